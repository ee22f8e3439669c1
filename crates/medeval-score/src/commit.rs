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
//! | [`Marker::AnswerPhrase`] | "the answer is B", "Answer: B", "final answer: (B)", "correct option is B", "答案是B", "la respuesta correcta es B" |
//! | [`Marker::ChoicePhrase`] | "I choose B", "I'd go with B", "故选B", "je choisis B" |
//! | [`Marker::VerdictPhrase`] | "B is the correct answer", "Option B is correct", "B选项正确" (letters only) |
//!
//! Every scorer reads the same list, ordered by position, from the last entry backwards: the last
//! committed answer wins over earlier ones ("the answer is A... wait, the answer is B" is B).
//! Two commitments separated only by a separator ("\boxed{A} and \boxed{C}") are one multiple
//! answer, which the scorers report as ambiguous instead of picking one.

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::Regex;

use crate::normalize::{first_line, is_blank, strip_latex};

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
}

/// Rewrites every `\b` in `pattern` to an ASCII word boundary.
///
/// Unicode word boundaries would make the regex engine fall back from its fast DFA to a slow
/// simulation on any non-ASCII input (common here: CJK answers, curly quotes). The markers
/// are English or Romance words whose boundaries are ASCII characters in practice.
pub(crate) fn ascii_word_boundaries(pattern: &str) -> String {
    pattern.replace(r"\b", r"(?-u:\b)")
}

/// Phrases after which the answer follows.
const ANSWER_PHRASES: &str = r#"(?x)
  # English: the (final | correct | best ...) answer is / answer: / final answer (heading).
    \b(?:(?:the|my|our|your)\s+)?
    (?:(?:final|correct|right|best|true|most\s+(?:appropriate|likely|accurate|probable)|single\s+best|likely|probable)\s+)?
    answer\b(?:\s+to\s+(?:this|the)\s+question)?(?:\s+here)?
    (?:\s+(?:is|would\s+be|should\s+be|will\s+be|must\s+be|seems\s+to\s+be|appears\s+to\s+be)\b|['\x22]?[\s*_]*[:=]|\s+[-–—]\s)
  # A heading line holding only Answer or Final answer (Markdown headings, bold).
  | (?m:^)[\t\x20\x23*_]*(?:final\s+)?answer[\t\x20*_\x23]*(?m:$)
  | \b(?:(?:the|my|our)\s+)?
    (?:final|correct|right|best|true|most\s+(?:appropriate|likely|accurate|probable)|single\s+best|likely|probable)\s+
    (?:option|choice|alternative|diagnosis|selection)\b
    (?:\s+(?:is|would\s+be|should\s+be|will\s+be|must\s+be)\b|[\s*_]*[:=])
  | \bmy\s+(?:choice|selection|pick)\s+(?:is|would\s+be)\b
  # Chinese.
  | (?:正确|最终|最佳|标准|参考)?答案(?:应该?|应当|就)?(?:是|为|选|:)
  | 正确的?(?:选项|选择|答案)?(?:应该?)?(?:是|为)
  # Spanish.
  | \b(?:la\s+)?respuesta(?:\s+(?:correcta|final|adecuada))?\s*(?:es\b|ser[ií]a|[:=])
  | \bla\s+(?:opci[oó]n|alternativa)\s+correcta\s+(?:es\b|ser[ií]a)
  # French.
  | \b(?:la\s+)?(?:bonne\s+)?r[ée]ponse(?:\s+(?:correcte|finale|exacte))?\s*(?:est\b|serait|[:=])
  | \bl['’]option\s+correcte\s+est\b
  # German.
  | \b(?:die\s+)?(?:richtige\s+|korrekte\s+)?antwort\s*(?:ist\b|lautet|w[äa]re|[:=])
  | \b(?:die\s+)?(?:richtige|korrekte)\s+(?:option|wahl|l[öo]sung)\s+(?:ist\b|lautet|[:=])
  | \bl[öo]sung\s*[:=]
  # Portuguese.
  | \b(?:a\s+)?resposta(?:\s+(?:correta|certa|final))?\s*(?:é|seria|[:=])
  | \ba\s+(?:alternativa|op[çc][ãa]o)\s+correta\s+(?:é|seria)
  # Italian.
  | \b(?:la\s+)?risposta(?:\s+(?:corretta|esatta|giusta|finale))?\s*(?:è|e['’]|sarebbe|[:=])
"#;

/// Verbs of choosing after which the answer follows.
const CHOICE_PHRASES: &str = r#"(?x)
    \bI(?:\s+would|\s+will|\s+should|['’]d|['’]ll)?\s+(?:choose|select|pick|go\s+with|opt\s+for|say)\b
  | \blet['’]?s\s+go\s+with\b
  | \b(?:elijo|escojo|selecciono|je\s+choisis|ich\s+w[äa]hle|escolho|scelgo)\b
  | (?:应该?|应当|故|所以|因此|我|则)选择?
  # "选B" at the start of a clause.
  | (?m:^)选择?|[,;:。]\s*选择?
"#;

/// "B is the correct answer": the letter comes first. Group 1: `option`/`choice` prefix;
/// group 2: the letter (English form); group 3: the letter (Chinese form).
const VERDICT_PHRASES: &str = r#"(?x)
    (\b(?i:option|choice|answer|letter)\s+)?
    [(\[]?\*{0,2}\b([A-Za-z])\b\*{0,2}[)\]]?\*{0,2}
    \s+(?i:is)\s+(?i:the\s+)?(?i:only\s+)?
    (?i:correct|right|best|true|most\s+(?:appropriate|likely|accurate|suitable)|answer|final\s+answer)\b
  | \b([A-Z])\s*(?:选项|项)?\s*(?:是|为)?\s*(?:正确|对的|最佳|最合适|最恰当)
"#;

fn compile(pattern: &str, case_insensitive: bool) -> Regex {
    let flags = if case_insensitive { "(?i)" } else { "" };
    Regex::new(&format!("{flags}{}", ascii_word_boundaries(pattern)))
        .expect("commitment marker pattern is valid")
}

static ANSWER_PHRASE: LazyLock<Regex> = LazyLock::new(|| compile(ANSWER_PHRASES, true));
static CHOICE_PHRASE: LazyLock<Regex> = LazyLock::new(|| compile(CHOICE_PHRASES, true));
static VERDICT_PHRASE: LazyLock<Regex> = LazyLock::new(|| compile(VERDICT_PHRASES, false));
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
    let mut phrases = Vec::new();
    phrase_matches(text, &ANSWER_PHRASE, Marker::AnswerPhrase, &mut phrases);
    phrase_matches(text, &CHOICE_PHRASE, Marker::ChoicePhrase, &mut phrases);
    if markers == Markers::WithVerdicts {
        verdicts(text, &mut phrases);
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
            let Some(close) = close else { continue };
            found.push(Commitment {
                marker: Marker::Boxed,
                start,
                end: body_start + close + 1,
                answer: strip_latex(&body[..close]),
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

fn contains_ascii_ci(haystack: &str, needle: &str) -> bool {
    haystack
        .as_bytes()
        .windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

/// Characters that negate a Chinese marker placed right before it ("不选A", "不正确的是").
fn negated_in_chinese(text: &str, start: usize) -> bool {
    text[..start]
        .chars()
        .next_back()
        .is_some_and(|c| matches!(c, '不' | '没' | '未' | '别' | '非'))
}

fn phrase_matches<'t>(
    text: &'t str,
    regex: &Regex,
    marker: Marker,
    found: &mut Vec<Commitment<'t>>,
) {
    for m in regex.find_iter(text) {
        let after = &text[m.end()..];
        // "选项" is "option" and "选择题" is "multiple-choice question", not "choose".
        if m.as_str().ends_with('选') && after.starts_with('项')
            || m.as_str().ends_with('择') && after.starts_with('题')
            || negated_in_chinese(text, m.start())
        {
            continue;
        }
        let (answer, end) = phrase_answer(text, m.end());
        found.push(Commitment {
            marker,
            start: m.start(),
            end,
            answer: strip_latex(answer),
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

fn verdicts<'t>(text: &'t str, found: &mut Vec<Commitment<'t>>) {
    for caps in VERDICT_PHRASE.captures_iter(text) {
        let Some(whole) = caps.get(0) else { continue };
        let (letter, prefixed) = match (caps.get(2), caps.get(3)) {
            (Some(letter), _) => (letter, caps.get(1).is_some()),
            (None, Some(letter)) => (letter, false),
            (None, None) => continue,
        };
        if !prefixed && !letter.as_str().chars().all(|c| c.is_ascii_uppercase()) {
            continue;
        }
        if !prefixed && !verdict_lead_is_clear(&text[..whole.start()]) {
            continue;
        }
        found.push(Commitment {
            marker: Marker::VerdictPhrase,
            start: whole.start(),
            end: whole.end(),
            answer: Cow::Borrowed(letter.as_str()),
        });
    }
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
    let word_start = before.rfind(|c: char| !c.is_alphanumeric()).map_or(0, |i| {
        i + before[i..].chars().next().map_or(1, char::len_utf8)
    });
    let word = &before[word_start..];
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
    /// The last readable commitment, read as `R`, with the marker that committed it.
    Read(R, Marker),
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
    Picked::Read(reading, chosen.marker)
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
        assert!(answers(r"\boxed{unclosed").is_empty());
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
            Picked::Read('B', Marker::Boxed)
        );
        let text = r"\boxed{A}, \boxed{C}";
        let found = find(text, Markers::WithoutVerdicts);
        assert_eq!(pick_last(text, &found, read), Picked::Ambiguous);
        let text = r"\boxed{C} and \boxed{C}";
        let found = find(text, Markers::WithoutVerdicts);
        assert_eq!(
            pick_last(text, &found, read),
            Picked::Read('C', Marker::Boxed)
        );
    }
}
