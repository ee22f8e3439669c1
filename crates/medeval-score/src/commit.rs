//! Committed answers: the places where a response states its answer as an answer.
//!
//! A committed answer is text the model marked as its answer, as opposed to options it merely
//! mentions while reasoning. Markers, from the most to the least formal:
//!
//! | marker | examples |
//! |---|---|
//! | [`Marker::Boxed`] | `\boxed{B}`, `\boxed{\text{B}}`, `\fbox{B}` |
//! | [`Marker::AnswerTag`] | `<answer>B</answer>` |
//! | [`Marker::Json`] | `{"answer": "B"}`, also inside a ```` ```json ```` fence |
//! | [`Marker::AnswerPhrase`] | "the answer is B", "Answer: B", "final answer: (B)", "correct option is B", "答案是B", "答えは B", "정답: B", "Ответ: B", "la respuesta correcta es B" |
//! | [`Marker::ChoicePhrase`] | "I choose B", "I'd go with B", "故选B", "je choisis B" |
//! | [`Marker::VerdictPhrase`] | "B is the correct answer", "Option B is correct", "B选项正确", "Bが正解です" (letters only) |
//!
//! Every scorer reads the same list, ordered by position, from the last entry backwards: the last
//! committed answer wins over earlier ones ("the answer is A... wait, the answer is B" is B).
//! Two commitments separated only by a separator ("\boxed{A} and \boxed{C}") are one multiple
//! answer, which the scorers report as ambiguous instead of picking one.

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::Regex;

use crate::normalize::{first_line, is_blank, last_word, skip_decoration, strip_latex};

/// The kind of marker that committed an answer; its name is part of the rule recorded per sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Marker {
    /// `\boxed{...}`.
    Boxed,
    /// `<answer>...</answer>`.
    AnswerTag,
    /// A JSON object with an `answer` field.
    Json,
    /// "the answer is ...", "Answer: ...", "答案是...".
    AnswerPhrase,
    /// "I choose ...", "故选...".
    ChoicePhrase,
    /// "B is the correct answer".
    VerdictPhrase,
}

impl Marker {
    /// The marker's name in rule strings (`mcq:boxed`, `closed:answer-phrase` ...).
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Boxed => "boxed",
            Self::AnswerTag => "answer-tag",
            Self::Json => "json",
            Self::AnswerPhrase => "answer-phrase",
            Self::ChoicePhrase => "choice-phrase",
            Self::VerdictPhrase => "verdict-phrase",
        }
    }
}

/// One committed answer.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Commitment<'t> {
    /// The marker that committed it.
    pub marker: Marker,
    /// Byte offset where the marker starts: commitments are ordered by it.
    pub start: usize,
    /// Byte offset where the commitment (marker and answer) ends.
    pub end: usize,
    /// The committed answer text, still to be read by a scorer (a letter, yes/no, free text).
    pub answer: Cow<'t, str>,
    /// Whether the text itself shows that the answer ended: a closed `\boxed{}`, tag or JSON
    /// object, a verdict ("B is correct"), or a phrase answer whose line ended. A response cut
    /// by the token limit is read only from answers that ended (or that a scorer can tell
    /// ended, see [`word_is_delimited`]).
    pub closed: bool,
}

/// Rewrites every `\b` in `pattern` to an ASCII word boundary.
///
/// Unicode word boundaries would make the regex engine fall back from its fast DFA to a slow
/// simulation on any non-ASCII input (common here: CJK answers, curly quotes). The markers
/// are English or Romance words whose boundaries are ASCII characters in practice.
pub(crate) fn ascii_word_boundaries(pattern: &str) -> String {
    pattern.replace(r"\b", r"(?-u:\b)")
}

// Every pattern below starts with a distinctive word ("answer", "respuesta", "答案"), never with
// an optional article, a pronoun or punctuation: the regex engine scans for those first words
// with a fast literal search, which keeps marker search to a few microseconds on long
// chain-of-thought. Context a pattern cannot express without a common first word ("I" before
// "choose", the letter before "is correct") is checked in code around each match.

/// Phrases after which the answer follows.
const ANSWER_PHRASES: &str = r#"(?x)
  # English: answer is / answer: / answer - ("the final answer is" matches from "answer").
    \banswer\b(?:\s+to\s+(?:this|the)\s+question)?(?:\s+here)?
    (?:\s+(?:is|would\s+be|should\s+be|will\s+be|must\s+be|seems\s+to\s+be|appears\s+to\s+be)\b|['\x22]?[\s*_]*[:=]|\s+[-–—]\s)
  # A line holding only "Answer" or "Final answer" (Markdown heading, bold): checked in code.
  | \banswer[\t\x20*_\x23]*(?m:$)
  # The correct option / best choice / most likely diagnosis is.
  | \b(?:final|correct|right|best|true|most\s+(?:appropriate|likely|accurate|probable)|single\s+best|likely|probable)\s+
    (?:option|choice|alternative|diagnosis|selection)\b
    (?:\s+(?:is|would\s+be|should\s+be|will\s+be|must\s+be)\b|[\s*_]*[:=])
  | \b(?:choice|selection)\s+(?:is|would\s+be)\b
  # Chinese.
  | 答案(?:应该?|应当|就)?(?:是|为|选|:)
  | 正确的?(?:选项|选择|答案)?(?:应该?)?(?:是|为)
  # Spanish.
  | \brespuesta(?:\s+(?:correcta|final|adecuada))?\s*(?:es\b|ser[iíÍ]a|[:=])
  | \b(?:opci[oóÓ]n|alternativa)\s+correcta\s+(?:es\b|ser[iíÍ]a)
  # French.
  | \br[éeÉ]ponse(?:\s+(?:correcte|finale|exacte))?\s*(?:est\b|serait|[:=])
  | \boption\s+correcte\s+est\b
  # German.
  | \bantwort\s*(?:ist\b|lautet|w[äaÄ]re|[:=])
  | \b(?:richtige|korrekte)\s+(?:option|wahl|l[öoÖ]sung)\s+(?:ist\b|lautet|[:=])
  | \bl[öoÖ]sung\s*[:=]
  # Portuguese.
  | \bresposta(?:\s+(?:correta|certa|final))?\s*(?:é|É|seria|[:=])
  | \b(?:alternativa|op[çcÇ][ãaÃ]o)\s+correta\s+(?:é|É|seria)
  # Italian.
  | \brisposta(?:\s+(?:corretta|esatta|giusta|finale))?\s*(?:è|È|e['’]|sarebbe|[:=])
"#;

/// Answer phrases in Japanese, Korean and Russian. They are a pattern of their own, searched only
/// in texts that are not pure ASCII: added to [`ANSWER_PHRASES`] they would slow the literal
/// search every English response goes through.
const OTHER_SCRIPT_ANSWER_PHRASES: &str = r#"(?x)
  # Japanese: the answer is / the correct answer is / the correct option is.
    (?:答え|正解|解答|回答)[\t\x20]*(?:は|:)
  | 正しい(?:答え|選択肢|回答)は
  # Korean: the (correct) answer is / answer:.
  | (?:정답|답변|답)[\t\x20]*(?:은|는|:)
  # Russian (Cyrillic is not lower-cased with the text, so both cases are listed): the (correct)
  # answer is, answer:, the correct option is.
  | (?:[Оо]твет|ОТВЕТ)[\t\x20]*(?:[:=]|[-–—]|\s+это\s)
  | (?:[Пп]равильный|[Вв]ерный)\s+вариант[\t\x20]*(?:[:=]|[-–—])
"#;

/// Verbs of choosing after which the answer follows. English verbs count only after "I",
/// "I would", "I'd", "I'll", "I will", "I should" or "let's" (checked in code); `选` only at the
/// start of a clause or after 应/应该/应当/故/所以/因此/我/则 (checked in code).
const CHOICE_PHRASES: &str = r#"(?x)
    \b(?:choose|select|pick|go\s+with|opt\s+for|say)\b
  | \b(?:elijo|escojo|selecciono|choisis|w[äaÄ]hle|escolho|scelgo)\b
  | 选择?
"#;

/// What must precede an English choice verb (the text before it, anchored at its end).
const CHOICE_SUBJECT: &str =
    r#"(?x)(?:\bi(?:\s+would|\s+will|\s+should|['’]d|['’]ll)?|\blet['’]?s)\s+$"#;

/// Words that may directly precede a clause-internal `选` ("故选B").
const CHOICE_PREFIXES_ZH: &[&str] = &["应该", "应当", "应", "故", "所以", "因此", "我", "则"];

/// The verdict after a letter: "[B] is the correct answer", "[B]选项正确". The letter before it
/// is read in code.
const VERDICT_PHRASES: &str = r#"(?x)
    \bis\s+(?:the\s+)?(?:only\s+)?
    (?:correct|right|best|true|most\s+(?:appropriate|likely|accurate|suitable)|answer|final\s+answer)\b
  | (?:正确|对的|最佳|最合适|最恰当)
  # Japanese: "Bが正解です" (B is correct), "選択肢Bが正しい".
  | (?:が|は)(?:正解|正しい)
"#;

/// Japanese endings that negate a verdict after it: "Bは正解ではありません" (B is not correct),
/// "Bが正しいとは言えない" (B cannot be said to be correct).
const NEGATED_AFTER_JA: &[&str] = &[
    "ではな",
    "ではあり",
    "じゃな",
    "でな",
    "とは言え",
    "とはいえ",
    "とは限ら",
    "わけではな",
];

fn compile(pattern: &str, case_insensitive: bool) -> Regex {
    let flags = if case_insensitive { "(?i)" } else { "" };
    Regex::new(&format!("{flags}{}", ascii_word_boundaries(pattern)))
        .expect("commitment marker pattern is valid")
}

// The phrase patterns are lower case and run on an ASCII-lowercased copy of the text (same byte
// offsets): case-sensitive literals let the engine's literal search skip most of the text, which
// case-insensitive ones (64 variants of "answer") defeat. Non-ASCII capitals are listed in the
// patterns' character classes (`r[éeÉ]ponse`).
static ANSWER_PHRASE: LazyLock<Regex> = LazyLock::new(|| compile(ANSWER_PHRASES, false));
static OTHER_SCRIPT_ANSWER_PHRASE: LazyLock<Regex> =
    LazyLock::new(|| compile(OTHER_SCRIPT_ANSWER_PHRASES, false));
static CHOICE_PHRASE: LazyLock<Regex> = LazyLock::new(|| compile(CHOICE_PHRASES, false));
static VERDICT_PHRASE: LazyLock<Regex> = LazyLock::new(|| compile(VERDICT_PHRASES, false));
static CHOICE_SUBJECT_BEFORE: LazyLock<Regex> = LazyLock::new(|| compile(CHOICE_SUBJECT, false));
static ANSWER_TAG: LazyLock<Regex> = LazyLock::new(|| compile(r"<\s*/?\s*answer\s*>", true));

/// Which marker families a scorer reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Markers {
    /// Every marker, including letter-first verdicts: multiple-choice answers.
    WithVerdicts,
    /// Every marker except verdicts, which only exist for letters.
    WithoutVerdicts,
}

/// Every committed answer in `text`, ordered by position.
pub(crate) fn find(text: &str, markers: Markers) -> Vec<Commitment<'_>> {
    let mut found = Vec::new();
    boxed(text, &mut found);
    answer_tags(text, &mut found);
    let json_start = found.len();
    json(text, &mut found);
    let json_ranges: Vec<(usize, usize)> = found[json_start..]
        .iter()
        .map(|c| (c.start, c.end))
        .collect();
    let lower = text.to_ascii_lowercase();
    let mut phrases = Vec::new();
    phrase_matches(
        text,
        &lower,
        &ANSWER_PHRASE,
        Marker::AnswerPhrase,
        &mut phrases,
    );
    if !text.is_ascii() {
        phrase_matches(
            text,
            &lower,
            &OTHER_SCRIPT_ANSWER_PHRASE,
            Marker::AnswerPhrase,
            &mut phrases,
        );
    }
    phrase_matches(
        text,
        &lower,
        &CHOICE_PHRASE,
        Marker::ChoicePhrase,
        &mut phrases,
    );
    if markers == Markers::WithVerdicts {
        verdicts(text, &lower, &mut phrases);
    }
    // A phrase inside a JSON object ("answer": "B") is that object's answer, not a second one.
    phrases.retain(|p| {
        !json_ranges
            .iter()
            .any(|&(s, e)| p.start >= s && p.start < e)
    });
    found.extend(phrases);
    found.sort_by_key(|c| (c.start, c.end));
    found
}

/// `\boxed{...}` and `\fbox{...}` with balanced braces.
fn boxed<'t>(text: &'t str, found: &mut Vec<Commitment<'t>>) {
    for command in ["\\boxed", "\\fbox"] {
        for (start, _) in text.match_indices(command) {
            let after = &text[start + command.len()..];
            let Some(body) = after.trim_start().strip_prefix('{') else {
                continue;
            };
            let body_start = text.len() - body.len();
            let mut depth = 1usize;
            let close = body.char_indices().find_map(|(i, c)| {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    _ => {}
                }
                (depth == 0).then_some(i)
            });
            let Some(close) = close else {
                // Unclosed: no answer, but a sign that a cut response went on to commit.
                found.push(Commitment {
                    marker: Marker::Boxed,
                    start,
                    end: text.len(),
                    answer: Cow::Borrowed(""),
                    closed: false,
                });
                continue;
            };
            found.push(Commitment {
                marker: Marker::Boxed,
                start,
                end: body_start + close + 1,
                answer: strip_latex(&body[..close]),
                closed: true,
            });
        }
    }
}

/// `<answer>...</answer>`; an unclosed tag runs to the end of the text.
fn answer_tags<'t>(text: &'t str, found: &mut Vec<Commitment<'t>>) {
    let mut open: Option<(usize, usize)> = None;
    for tag in ANSWER_TAG.find_iter(text) {
        let closing = tag.as_str().contains('/');
        match (open, closing) {
            (None, false) => open = Some((tag.start(), tag.end())),
            (Some((start, body)), true) => {
                found.push(Commitment {
                    marker: Marker::AnswerTag,
                    start,
                    end: tag.end(),
                    answer: strip_latex(&text[body..tag.start()]),
                    closed: true,
                });
                open = None;
            }
            _ => {}
        }
    }
    if let Some((start, body)) = open {
        found.push(Commitment {
            marker: Marker::AnswerTag,
            start,
            end: text.len(),
            answer: strip_latex(&text[body..]),
            closed: false,
        });
    }
}

/// Keys of a JSON object that hold the answer (compared case-insensitively).
const JSON_ANSWER_KEYS: &[&str] = &["answer", "final_answer", "final answer", "correct_answer"];

/// JSON objects with an answer field, wherever they start in the text (bare, or in a fence).
fn json<'t>(text: &'t str, found: &mut Vec<Commitment<'t>>) {
    if !text.contains('{') || !contains_ascii_ci(text, "answer") {
        return;
    }
    let mut from = 0;
    while let Some(offset) = text[from..].find('{') {
        let start = from + offset;
        let mut stream =
            serde_json::Deserializer::from_str(&text[start..]).into_iter::<serde_json::Value>();
        match stream.next() {
            Some(Ok(serde_json::Value::Object(object))) => {
                let end = start + stream.byte_offset();
                let answer = object.iter().find_map(|(key, value)| {
                    JSON_ANSWER_KEYS
                        .iter()
                        .any(|k| key.eq_ignore_ascii_case(k))
                        .then(|| json_answer_text(value))
                        .flatten()
                });
                if let Some(answer) = answer {
                    found.push(Commitment {
                        marker: Marker::Json,
                        start,
                        end,
                        answer: Cow::Owned(answer),
                        closed: true,
                    });
                }
                from = end;
            }
            _ => from = start + 1,
        }
    }
}

/// The answer field as text: strings as they are, booleans as yes/no, numbers as written.
fn json_answer_text(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Bool(true) => Some("yes".to_owned()),
        serde_json::Value::Bool(false) => Some("no".to_owned()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Whether `haystack` contains `needle`, ASCII letters compared without case.
pub(crate) fn contains_ascii_ci(haystack: &str, needle: &str) -> bool {
    haystack
        .as_bytes()
        .windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

/// Whether the words right before a marker negate it: "the incorrect answer is", "不正确答案是",
/// "我不选A".
fn negated_before(before: &str) -> bool {
    let before = before.trim_end_matches([' ', '\t']);
    if ["不", "没", "未", "别", "非", "错误的", "错误"]
        .iter()
        .any(|n| before.ends_with(n))
    {
        return true;
    }
    let word = last_word(before, |c| c.is_ascii_alphabetic());
    ["incorrect", "wrong", "not", "false"]
        .iter()
        .any(|w| w.eq_ignore_ascii_case(word))
}

/// Whether a phrase match stands where its pattern's context rules allow it (see the pattern
/// docs): headings alone on their line, English choice verbs after "I", `选` at a clause start.
fn in_context(text: &str, lower: &str, m: &regex::Match<'_>) -> bool {
    let before = &text[..m.start()];
    let after = &text[m.end()..];
    let matched = m.as_str();
    if matched.starts_with('选') {
        // "选项" is "option" and "选择题" is "multiple-choice question", not "choose".
        if after.starts_with('项') || matched.ends_with('择') && after.starts_with('题') {
            return false;
        }
        let before = before.trim_end_matches([' ', '\t']);
        return before.is_empty()
            || before.ends_with(['\n', ',', ';', ':', '。', '，', '；', '：'])
            || CHOICE_PREFIXES_ZH.iter().any(|p| before.ends_with(p));
    }
    let first = matched.chars().next().unwrap_or(' ');
    if first.is_ascii_alphabetic() && is_choice_verb(matched) {
        let lower_before = &lower[..m.start()];
        let from = floor_char_boundary(lower_before, lower_before.len().saturating_sub(24));
        return CHOICE_SUBJECT_BEFORE.is_match(&lower_before[from..]);
    }
    if matched.len() >= 6 && !matched.contains([':', '=']) && is_heading(matched) {
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let lead = before[line_start..]
            .trim_matches(|c: char| c.is_whitespace() || matches!(c, '#' | '*' | '_'));
        return lead.is_empty() || lead.eq_ignore_ascii_case("final");
    }
    true
}

fn is_choice_verb(matched: &str) -> bool {
    let word = matched.split_whitespace().next().unwrap_or("");
    ["choose", "select", "pick", "go", "opt", "say"]
        .iter()
        .any(|v| v.eq_ignore_ascii_case(word))
}

/// Whether a match of the answer pattern is the heading form ("Answer" with nothing after it).
fn is_heading(matched: &str) -> bool {
    matched
        .trim_end_matches(|c: char| c.is_whitespace() || matches!(c, '#' | '*' | '_'))
        .eq_ignore_ascii_case("answer")
}

/// The largest char boundary of `s` at or below `index`.
fn floor_char_boundary(s: &str, mut index: usize) -> usize {
    while !s.is_char_boundary(index) {
        index -= 1;
    }
    index
}

/// Phrase matches found in `lower` (the ASCII-lowercased `text`), with answers taken from `text`.
fn phrase_matches<'t>(
    text: &'t str,
    lower: &str,
    regex: &Regex,
    marker: Marker,
    found: &mut Vec<Commitment<'t>>,
) {
    for m in regex.find_iter(lower) {
        if !in_context(text, lower, &m) || negated_before(&text[..m.start()]) {
            continue;
        }
        let (answer, end) = phrase_answer(text, m.end());
        found.push(Commitment {
            marker,
            start: m.start(),
            end,
            answer: strip_latex(answer),
            closed: text[end..].starts_with(['\n', '\r']),
        });
    }
}

/// The answer after a phrase marker ending at `from`: the rest of that line, or, when the rest
/// holds no letter or digit ("**Final Answer:**" on its own line), the next non-blank line.
fn phrase_answer(text: &str, from: usize) -> (&str, usize) {
    let rest = &text[from..];
    let line = first_line(rest);
    if !is_blank(line) {
        return (line, from + line.len());
    }
    let mut offset = from + line.len();
    for next in text[offset..].split('\n').skip(1) {
        offset += 1; // the line break before `next`
        if !is_blank(next) {
            return (next, offset + next.len());
        }
        offset += next.len();
    }
    (line, from + line.len())
}

/// Words that may stand right before a letter-first verdict ("so B is correct"); any other word
/// there makes the letter part of a name ("vitamin A is the correct answer").
const VERDICT_LEAD_WORDS: &[&str] = &[
    "so",
    "thus",
    "hence",
    "therefore",
    "that",
    "conclusion",
    "conclude",
    "and",
    "believe",
    "think",
];

fn verdicts<'t>(text: &'t str, lower: &str, found: &mut Vec<Commitment<'t>>) {
    for m in VERDICT_PHRASE.find_iter(lower) {
        let chinese = !m.as_str().starts_with('i');
        let after = &text[m.end()..];
        if NEGATED_AFTER_JA.iter().any(|n| after.starts_with(n)) {
            continue;
        }
        let Some(letter) = letter_before_verdict(&text[..m.start()], chinese) else {
            continue;
        };
        found.push(Commitment {
            marker: Marker::VerdictPhrase,
            start: letter.start,
            end: m.end(),
            answer: Cow::Borrowed(&text[letter.start..letter.start + 1]),
            closed: true,
        });
    }
}

/// Where the letter of a verdict was found.
struct VerdictLetter {
    start: usize,
}

/// The letter that ends `before`, the text before "is correct" / "正确": `B`, `(B)`, `**B**`,
/// `option b`, `B选项`, `B是`. Lower case only after "option"/"choice"/"answer"/"letter"; an
/// upper-case letter after any other word is part of a name ("vitamin A is the correct
/// choice") unless that word may lead a verdict ("so B is correct").
fn letter_before_verdict(before: &str, chinese: bool) -> Option<VerdictLetter> {
    let mut rest = before.trim_end_matches([' ', '\t']);
    if chinese {
        for suffix in ["是", "为"] {
            rest = rest.strip_suffix(suffix).unwrap_or(rest).trim_end();
        }
        for suffix in ["选项", "项"] {
            rest = rest.strip_suffix(suffix).unwrap_or(rest).trim_end();
        }
    } else {
        rest = rest.trim_end_matches(['*', ')', ']']);
    }
    let letter = rest.chars().next_back().filter(char::is_ascii_alphabetic)?;
    let start = rest.len() - 1;
    let lead = &rest[..start];
    if lead
        .chars()
        .next_back()
        .is_some_and(|c| c.is_ascii_alphanumeric())
    {
        return None;
    }
    if chinese {
        return letter
            .is_ascii_uppercase()
            .then_some(VerdictLetter { start });
    }
    let lead = lead.trim_end_matches(['(', '[', '*']);
    let prefixed = {
        let trimmed = lead.trim_end_matches([' ', '\t']);
        let word = last_word(trimmed, |c| c.is_ascii_alphabetic());
        trimmed.len() < lead.len()
            && ["option", "choice", "answer", "letter"]
                .iter()
                .any(|w| w.eq_ignore_ascii_case(word))
    };
    if prefixed {
        return Some(VerdictLetter { start });
    }
    (letter.is_ascii_uppercase() && verdict_lead_is_clear(lead)).then_some(VerdictLetter { start })
}

/// Whether the text before a verdict's letter ends a clause or with a word that may precede it.
fn verdict_lead_is_clear(before: &str) -> bool {
    let before = before.trim_end_matches([' ', '\t', '*', '(', '[']);
    let Some(last) = before.chars().next_back() else {
        return true;
    };
    if !last.is_alphanumeric() {
        return true;
    }
    let word = last_word(before, char::is_alphanumeric);
    VERDICT_LEAD_WORDS
        .iter()
        .any(|w| w.eq_ignore_ascii_case(word))
}

/// Whether the text between two commitments only separates them, making them one multiple
/// answer: whitespace, punctuation and the words "and"/"or" (and their Chinese forms).
pub(crate) fn only_separates(gap: &str) -> bool {
    gap.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .all(|w| {
            ["and", "or", "和", "或", "及", "与"]
                .iter()
                .any(|s| w.eq_ignore_ascii_case(s))
        })
}

/// What reading the committed answers gave.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Picked<R> {
    /// The last readable commitment, read as `R`, with the marker that committed it and its
    /// index in the commitments.
    Read(R, Marker, usize),
    /// The last readable commitment is one of several adjacent commitments that disagree.
    Ambiguous,
    /// No commitment could be read.
    Nothing,
}

/// Reads commitments from the last backwards and returns the first reading `read` accepts.
///
/// Unreadable commitments are skipped ("the answer is consistent with..." is not an answer).
/// If the chosen commitment directly follows or precedes another readable one that reads
/// differently with only separators between them (`\boxed{A}, \boxed{C}`), the response
/// committed to several answers at once: [`Picked::Ambiguous`].
pub(crate) fn pick_last<R: PartialEq>(
    text: &str,
    commitments: &[Commitment<'_>],
    read: impl Fn(&str) -> Option<R>,
) -> Picked<R> {
    let Some((index, reading)) = commitments
        .iter()
        .enumerate()
        .rev()
        .find_map(|(i, c)| read(&c.answer).map(|r| (i, r)))
    else {
        return Picked::Nothing;
    };
    let chosen = &commitments[index];
    let mut group_start = chosen.start;
    let mut group_end = chosen.end;
    // Walk outwards while neighbours are separated only by separators.
    let neighbours = commitments[..index]
        .iter()
        .rev()
        .map(|c| (c, true))
        .chain(commitments[index + 1..].iter().map(|c| (c, false)));
    for (other, before) in neighbours {
        let separated = if before {
            other.end <= group_start && only_separates(&text[other.end..group_start])
        } else {
            other.start >= group_end && only_separates(&text[group_end..other.start])
        };
        if !separated {
            continue;
        }
        match read(&other.answer) {
            Some(r) if r != reading => return Picked::Ambiguous,
            Some(_) => {
                if before {
                    group_start = other.start;
                } else {
                    group_end = other.end;
                }
            }
            None => {}
        }
    }
    Picked::Read(reading, chosen.marker, index)
}

/// Whether a cut response's committed answer (commitment `index`) is known to be its last
/// complete one: the answer itself ended before the cut (`ended`, which sees what the scorer
/// read), and no later commitment was cut in the middle ("the answer is A. Wait, the answer
/// is actually" is no answer at all).
pub(crate) fn complete_before_cut(
    commitments: &[Commitment<'_>],
    index: usize,
    ended: impl Fn(&Commitment<'_>) -> bool,
) -> bool {
    let Some(chosen) = commitments.get(index) else {
        return false;
    };
    let later_cut = commitments[index + 1..]
        .iter()
        .any(|later| later.start > chosen.start && !later.closed && !ended(later));
    (chosen.closed || ended(chosen)) && !later_cut
}

/// Whether the first word of an answer is followed by something before the cut: `B.`, `B `
/// then a word, `yes,`, `是的，` are; a bare `B`, `yes` or `pleural` at the end are not (the cut
/// may have taken `B cells`, `yes or no`, `pleural thickening`). A word of ASCII letters and
/// digits ends at the first other character (`Dです`).
pub(crate) fn word_is_delimited(answer: &str) -> bool {
    let start = skip_decoration(answer);
    let word_end = first_word_end(start);
    if word_end == 0 {
        return false;
    }
    let rest = start[word_end..].trim_start_matches([' ', '\t']);
    match rest.chars().next() {
        None => false,
        // A joiner with nothing after it may be the middle of a word ("B-", "T2/").
        Some('-' | '/' | '\'' | '’' | '&') => rest.chars().nth(1).is_some(),
        Some(_) => true,
    }
}

/// Words and marks that join a second answer to the first ("B or", "yes and", "B,"): an answer
/// cut right after one of them may have gone on to name another.
const JOINERS: &[&str] = &[
    "or", "and", "y", "o", "et", "ou", "und", "oder", "e", "nor", "versus", "vs", "或", "和", "及",
    "与", "还是",
];

/// Whether the first word of a cut answer is followed by a joiner or a separator ("B or",
/// "B, or maybe", "yes,", "B、"): the cut may have taken a second answer.
pub(crate) fn joined_at_cut(answer: &str) -> bool {
    let start = skip_decoration(answer);
    let after = &start[first_word_end(start)..];
    let rest = after.trim_start_matches(|c: char| {
        c.is_whitespace() || matches!(c, ')' | ']' | '*' | '_' | '"' | '\'' | '】' | '」')
    });
    match rest.strip_prefix([',', '/', '&', '、', '，', ';']) {
        Some(more) if more.trim().is_empty() => true,
        Some(more) => starts_with_joiner(more.trim_start()),
        None => starts_with_joiner(rest),
    }
}

/// Whether `s` starts with a joiner word ("or maybe C", "and").
fn starts_with_joiner(s: &str) -> bool {
    let end = s.find(|c: char| !c.is_alphanumeric()).unwrap_or(s.len());
    end > 0 && JOINERS.iter().any(|j| j.eq_ignore_ascii_case(&s[..end]))
}

/// Where the first word of `s` ends: a word of ASCII letters and digits ends at the first other
/// character (`Dです`), any other word at the first character that is not alphanumeric.
fn first_word_end(s: &str) -> usize {
    let ascii = s.starts_with(|c: char| c.is_ascii_alphanumeric());
    s.find(|c: char| {
        if ascii {
            !c.is_ascii_alphanumeric()
        } else {
            !c.is_alphanumeric()
        }
    })
    .unwrap_or(s.len())
}

/// Whether a cut answer ends with a joiner (see [`JOINERS`]) or a list separator.
pub(crate) fn ends_with_joiner(answer: &str) -> bool {
    let trimmed = answer.trim_end();
    if trimmed.ends_with([',', '/', '&', '、', '，', ';']) {
        return true;
    }
    let last = last_word(trimmed, char::is_alphanumeric);
    JOINERS.iter().any(|j| j.eq_ignore_ascii_case(last))
        || JOINERS
            .iter()
            .any(|j| !j.is_ascii() && trimmed.ends_with(j))
}

/// Whether an answer holds a clause end after its first word (`pleural effusion, as ...`,
/// `pneumonia.`): an answer read by its text ended there.
pub(crate) fn clause_ends_in(answer: &str) -> bool {
    let start = skip_decoration(answer);
    let Some(first) = start.find(char::is_alphanumeric) else {
        return false;
    };
    let mut previous = ' ';
    let mut chars = start[first..].chars().peekable();
    while let Some(c) = chars.next() {
        let next = chars.peek().copied();
        let ends = match c {
            // Not a decimal point ("3.5", or "3." just before the cut).
            '.' => !previous.is_ascii_digit() || next.is_some_and(|n| !n.is_ascii_digit()),
            ',' | ';' | '!' | '?' | ')' | ']' | '。' | '，' | '；' | '！' | '？' | '、' => {
                true
            }
            ':' | '*' => next.is_some(),
            _ => false,
        };
        if ends {
            return true;
        }
        previous = c;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answers(text: &str) -> Vec<(Marker, String)> {
        find(text, Markers::WithVerdicts)
            .into_iter()
            .map(|c| (c.marker, c.answer.trim().to_owned()))
            .collect()
    }

    #[test]
    fn boxed_answers_are_unwrapped() {
        assert_eq!(
            answers(r"so $\boxed{\text{B}}$ and \fbox{C}"),
            [
                (Marker::Boxed, "B".to_owned()),
                (Marker::Boxed, "C".to_owned())
            ]
        );
        assert_eq!(
            answers(r"\boxed{x^{2}}"),
            [(Marker::Boxed, "x^{2}".to_owned())]
        );
        // An unclosed box holds no answer (it only tells a cut response from a complete one).
        assert_eq!(
            answers(r"\boxed{unclosed"),
            [(Marker::Boxed, String::new())]
        );
    }

    #[test]
    fn answer_tags_and_json_are_read() {
        assert_eq!(
            answers("<ANSWER> C </answer>"),
            [(Marker::AnswerTag, "C".to_owned())]
        );
        assert_eq!(
            answers("```json\n{\"answer\": \"D\", \"why\": \"...\"}\n```"),
            [(Marker::Json, "D".to_owned())]
        );
        assert_eq!(
            answers(r#"{"Answer": true}"#),
            [(Marker::Json, "yes".to_owned())]
        );
    }

    #[test]
    fn phrases_take_the_rest_of_the_line_or_the_next_line() {
        assert_eq!(
            answers("The correct answer is (B) Pneumonia.\nA is wrong."),
            [(Marker::AnswerPhrase, "(B) Pneumonia.".to_owned())]
        );
        assert_eq!(
            answers("**Final Answer:**\n\nC"),
            [(Marker::AnswerPhrase, "C".to_owned())]
        );
        // Scorers read NFKC text, where the full-width colon of "答案：B" is ASCII.
        assert_eq!(answers("答案:B"), [(Marker::AnswerPhrase, "B".to_owned())]);
        assert_eq!(
            answers("故选C。"),
            [(Marker::ChoicePhrase, "C。".to_owned())]
        );
        assert_eq!(
            answers("La respuesta correcta es B"),
            [(Marker::AnswerPhrase, "B".to_owned())]
        );
    }

    #[test]
    fn lookalike_phrases_are_not_markers() {
        assert!(answers("选项A是错误的").is_empty());
        assert!(answers("这是一道选择题").is_empty());
        assert!(answers("我不选A").is_empty());
        assert!(answers("Answer choices: (A) CT (B) MRI").is_empty());
        assert!(answers("Please answer with a letter.").is_empty());
    }

    #[test]
    fn verdicts_need_a_clear_letter() {
        assert_eq!(
            answers("So B is the correct answer."),
            [(Marker::VerdictPhrase, "B".to_owned())]
        );
        assert_eq!(
            answers("option c is correct"),
            [(Marker::VerdictPhrase, "c".to_owned())]
        );
        assert_eq!(
            answers("B选项正确"),
            [(Marker::VerdictPhrase, "B".to_owned())]
        );
        assert!(answers("Vitamin A is the correct choice").is_empty());
        assert!(answers("B is not correct").is_empty());
        assert!(answers("B is incorrect").is_empty());
    }

    #[test]
    fn cut_answers_are_told_from_complete_ones() {
        assert!(word_is_delimited("B. Pneumonia"));
        assert!(word_is_delimited("B because"));
        assert!(word_is_delimited("**C**"));
        assert!(word_is_delimited("yes, there"));
        assert!(word_is_delimited("Dです"));
        assert!(!word_is_delimited("B"));
        assert!(!word_is_delimited("B "));
        assert!(!word_is_delimited("B-"));
        assert!(!word_is_delimited("yes"));
        assert!(clause_ends_in("pleural effusion, as shown"));
        assert!(clause_ends_in("left lung. The"));
        assert!(!clause_ends_in("pleural effusion"));
        assert!(!clause_ends_in("3."));
        assert!(!clause_ends_in("**pneumo"));
        assert!(ends_with_joiner("B or"));
        assert!(ends_with_joiner("B,"));
        assert!(ends_with_joiner("B或"));
        assert!(!ends_with_joiner("B because the angle"));
        assert!(joined_at_cut("B or"));
        assert!(joined_at_cut("yes, "));
        assert!(joined_at_cut("B、"));
        assert!(!joined_at_cut(
            "B. Pneumonia is likely given the consolidation and"
        ));
        assert!(!joined_at_cut("B"));
        assert!(joined_at_cut("B, or maybe"));
        assert!(!joined_at_cut("B)"));
        assert!(!joined_at_cut(
            "I choose C because the angle is blunted and"
        ));
        let text = "The answer is A. Wait, the answer is actually";
        let found = find(text, Markers::WithoutVerdicts);
        assert!(!complete_before_cut(&found, 0, |c| word_is_delimited(
            &c.answer
        )));
        let text = "\\boxed{C}\n\nExplanation: the";
        let found = find(text, Markers::WithoutVerdicts);
        assert!(complete_before_cut(&found, 0, |_| false));
    }

    #[test]
    fn separators_join_adjacent_commitments() {
        assert!(only_separates(", and "));
        assert!(only_separates(" 或 "));
        assert!(!only_separates(". Wait, let me reconsider. "));
    }

    #[test]
    fn the_last_readable_commitment_wins() {
        let read = |s: &str| s.trim().chars().next().filter(char::is_ascii_uppercase);
        let text = r"\boxed{A} ... actually no. \boxed{B}";
        let found = find(text, Markers::WithoutVerdicts);
        assert_eq!(
            pick_last(text, &found, read),
            Picked::Read('B', Marker::Boxed, 1)
        );
        let text = r"\boxed{A}, \boxed{C}";
        let found = find(text, Markers::WithoutVerdicts);
        assert_eq!(pick_last(text, &found, read), Picked::Ambiguous);
        let text = r"\boxed{C} and \boxed{C}";
        let found = find(text, Markers::WithoutVerdicts);
        assert_eq!(
            pick_last(text, &found, read),
            Picked::Read('C', Marker::Boxed, 1)
        );
    }
}
