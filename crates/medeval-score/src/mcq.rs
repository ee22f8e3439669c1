//! Multiple-choice scoring: which option letter did the response commit to?
//!
//! Rules, in order; the first that reads an answer decides:
//!
//! 1. **Committed answers** (`\boxed{}`, `<answer>`, JSON, "the answer is", "I choose",
//!    "B is correct", and their Chinese, Japanese, Korean, Russian, Spanish, French, German,
//!    Portuguese and Italian forms; only Latin letters are option letters),
//!    read from the last backwards: `mcq:<marker>`.
//! 2. **Bare letter**: the whole response is one letter form, optionally with that option's
//!    text (`B`, `(b)`, `**B**`, `Option B`, `B. Pneumonia`, `选项B`): `mcq:bare-letter`.
//! 3. **Leading letter**: the first line starts with a letter set off by punctuation (`B.`,
//!    `(B)`, `B)`, `**B**`) or followed by a reason (`B because ...`), unless that line starts a
//!    list of options read back (consecutive lines `A. ...`, `B. ...` in increasing order):
//!    `mcq:leading-letter`. Another line that is a lone different letter makes it ambiguous.
//! 4. **Final-line letter**: after reasoning, the last line is a lone letter form
//!    (`**B. Pneumonia**`, `Therefore, B.`), unless it ends such a list:
//!    `mcq:final-line-letter`.
//! 5. **Option text**: the response is one option's text, or names exactly one option's text
//!    (longest match; no negation or question mark): `mcq:option-text`.
//! 6. **Option statement**: the response names several options' texts, asserts exactly one as
//!    a finding and denies every other it names ("The image shows a pneumothorax. There is no
//!    pleural effusion."), read like a restated finding of a closed question (module
//!    `finding`): `mcq:option-statement`.
//!
//! Then a textual refusal is `refused:phrase`; anything else is `unparsed` with the reason.
//!
//! A response cut by the token limit (`Response::truncated`) is read only by a committed
//! answer that ended before the cut, a bare or leading letter set off from what follows, or a
//! first sentence that is exactly one option's text; otherwise it is `unparsed:truncated`.
//!
//! How one committed answer is read: an option text at its start identifies that option
//! (`B cells`); otherwise a letter form (see `docs/scoring-rules.md`); otherwise exactly one option
//! text inside it. Several letters (`A or C`, `\boxed{A, C}`), labels of other options on the
//! same line, or a letter followed by another option's text (`B. Atelectasis` where B is
//! Pneumonia) are never resolved by choosing one: they are `unparsed:ambiguous` or
//! `unparsed:letter-text-conflict`. A committed upper-case letter that is not among the options
//! (`Answer: E` for options A-D) is a real answer and a wrong one: rule suffix `+outside`; the
//! exception is `I`, which outside the options is read as the pronoun, never as a letter.

use medeval_core::{Item, Letter, Outcome, Scored, YesNo};

use crate::commit::{self, Commitment, Markers, Picked};
use crate::letter::{
    Follower, LetterForm, is_label_like, joined_letter, letter_at_start, line_is_option_text,
    lists_other_labels, reason_follows, skip_closers, skip_lead,
};
use crate::normalize::{eq_ignore_case, first_line, is_blank, match_form, skip_decoration, tokens};
use crate::options::OptionTexts;
use crate::{Response, finding, invalid_gold, prepare, refusal};

/// How a letter was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reading {
    /// Written as a letter.
    Letter(Letter),
    /// Identified by the option's text.
    OptionText(Letter),
    /// A letter that labels no option.
    Outside(Letter),
}

impl Reading {
    fn letter(self) -> Letter {
        match self {
            Self::Letter(l) | Self::OptionText(l) | Self::Outside(l) => l,
        }
    }

    fn suffix(self) -> &'static str {
        match self {
            Self::Letter(_) => "",
            Self::OptionText(_) => "+text",
            Self::Outside(_) => "+outside",
        }
    }
}

/// What one piece of text (a committed answer, a line, the response) says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Read {
    /// One option.
    Answer(Reading),
    /// Several options at once.
    Ambiguous,
    /// A letter followed by another option's text.
    Conflict,
}

/// Scores a multiple-choice response against the item's gold letter.
pub fn score(item: &Item, response: &Response<'_>) -> Scored {
    let Some(gold) = item.gold_letter().filter(|l| item.options.contains_key(l)) else {
        return invalid_gold();
    };
    let text = match prepare(response) {
        Ok(text) => text,
        Err(verdict) => return verdict,
    };
    let options = OptionTexts::new(&item.options);
    if response.truncated {
        extract_cut(&text, &options).verdict(gold)
    } else {
        extract(&text, &options).verdict(gold)
    }
}

/// The result of all rules on one response.
enum Extraction {
    Read(Reading, &'static str),
    Ambiguous,
    Conflict,
    Refused,
    NoCommitment,
    NoLetter,
    /// The response was cut by the token limit before an answer was complete.
    Truncated,
}

impl Extraction {
    fn verdict(self, gold: Letter) -> Scored {
        match self {
            Self::Read(reading, locator) => {
                let letter = reading.letter();
                let outcome = match reading {
                    Reading::Outside(_) => Outcome::Wrong,
                    _ if letter == gold => Outcome::Correct,
                    _ => Outcome::Wrong,
                };
                let rule = format!("mcq:{locator}{}", reading.suffix());
                Scored::new(outcome, Some(letter.to_string()), rule)
            }
            Self::Ambiguous => Scored::new(Outcome::Unparsed, None, "unparsed:ambiguous"),
            Self::Conflict => Scored::new(Outcome::Unparsed, None, "unparsed:letter-text-conflict"),
            Self::Refused => Scored::new(Outcome::Refused, None, "refused:phrase"),
            Self::NoCommitment => Scored::new(Outcome::Unparsed, None, "unparsed:no-commitment"),
            Self::NoLetter => Scored::new(Outcome::Unparsed, None, "unparsed:no-letter"),
            Self::Truncated => Scored::new(Outcome::Unparsed, None, "unparsed:truncated"),
        }
    }
}

impl From<(Read, &'static str)> for Extraction {
    fn from((read, locator): (Read, &'static str)) -> Self {
        match read {
            Read::Answer(reading) => Self::Read(reading, locator),
            Read::Ambiguous => Self::Ambiguous,
            Read::Conflict => Self::Conflict,
        }
    }
}

fn extract(text: &str, options: &OptionTexts) -> Extraction {
    let commitments = commit::find(text, Markers::WithVerdicts);
    match commit::pick_last(text, &commitments, |answer| read_committed(answer, options)) {
        Picked::Read(read, marker, _) => return (read, marker.as_str()).into(),
        Picked::Ambiguous => return Extraction::Ambiguous,
        Picked::Nothing => {}
    }
    if let Some(read) = standalone(text.trim(), options) {
        return (read, "bare-letter").into();
    }
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !is_blank(l))
        .collect();
    let listed = listed_lines(&lines, options);
    let listing = listed.contains(&true);
    if let (Some(first), Some(false)) = (lines.first(), listed.first()) {
        if let Some(read) = leading_letter(first, options) {
            // "B\nA\nC": other lines that are lone letters make the first one no answer.
            let another_lone_letter = lines[1..]
                .iter()
                .filter_map(|line| standalone(line, options))
                .any(|other| other != read);
            if another_lone_letter {
                return Extraction::Ambiguous;
            }
            return (read, "leading-letter").into();
        }
    }
    if let (Some(last), true, Some(false)) = (lines.last(), lines.len() > 1, listed.last()) {
        if let Some(read) = standalone(last, options) {
            return (read, "final-line-letter").into();
        }
    }
    let option_text = whole_option_text(text, options);
    if let Some(Read::Answer(reading)) = option_text {
        // The rule name already says the letter was read from its text.
        return Extraction::Read(Reading::Letter(reading.letter()), "option-text");
    }
    if refusal::is_refusal(text) {
        return Extraction::Refused;
    }
    if option_text == Some(Read::Ambiguous) && !listing {
        if let Some(letter) = asserted_option(text, options) {
            return Extraction::Read(Reading::Letter(letter), "option-statement");
        }
        return Extraction::Ambiguous;
    }
    if mentions_a_letter(text, options) {
        Extraction::NoCommitment
    } else {
        Extraction::NoLetter
    }
}

/// The rules on a response cut by the token limit: a committed answer that ended before the
/// cut, a whole response or first line that starts with a letter set off from what follows,
/// or a first sentence that is exactly one option's text. Anything else, including what the
/// later rules would read from the cut text ("a deficiency of vitamin B12 or" naming the
/// option "Vitamin B12"), is `unparsed:truncated`.
fn extract_cut(text: &str, options: &OptionTexts) -> Extraction {
    let commitments = commit::find(text, Markers::WithVerdicts);
    match commit::pick_last(text, &commitments, |answer| read_committed(answer, options)) {
        Picked::Read(read, marker, index) => {
            let ended = |c: &Commitment<'_>| committed_answer_ended(&c.answer, options);
            if commit::complete_before_cut(&commitments, index, ended) {
                return (read, marker.as_str()).into();
            }
            return Extraction::Truncated;
        }
        Picked::Ambiguous => return Extraction::Ambiguous,
        Picked::Nothing => {}
    }
    if let Some(read) = standalone(text.trim(), options) {
        if letter_ended(text.trim()) {
            return (read, "bare-letter").into();
        }
        return Extraction::Truncated;
    }
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !is_blank(l))
        .collect();
    let listed = listed_lines(&lines, options);
    if let (Some(first), Some(false)) = (lines.first(), listed.first()) {
        if let Some(read) = leading_letter(first, options) {
            let another_lone_letter = lines[1..]
                .iter()
                .filter_map(|line| standalone(line, options))
                .any(|other| other != read);
            if !another_lone_letter && letter_ended(first) {
                return (read, "leading-letter").into();
            }
            return Extraction::Truncated;
        }
    }
    if let Some(letter) = first_sentence_option(text, options) {
        return Extraction::Read(Reading::Letter(letter), "option-text");
    }
    Extraction::Truncated
}

/// Whether a committed answer ended before a cut: a letter set off from what follows and not
/// followed by "or"/"and" at the cut, or, for an answer read by its text, a clause end.
fn committed_answer_ended(answer: &str, options: &OptionTexts) -> bool {
    let start = skip_lead(answer);
    if letter_at_start(start, options).is_some() {
        letter_ended(start)
    } else {
        commit::clause_ends_in(answer) && !commit::ends_with_joiner(answer)
    }
}

/// Whether a letter at the start of `s` is set off from what follows before the cut.
fn letter_ended(s: &str) -> bool {
    let start = skip_lead(s);
    commit::word_is_delimited(start) && !commit::joined_at_cut(start)
}

/// The option whose whole text is the response's first sentence, when that sentence ended
/// before the cut ("Pneumonia. The right lower lobe ...").
fn first_sentence_option(text: &str, options: &OptionTexts) -> Option<Letter> {
    let text = text.trim_start();
    let line = first_line(text);
    let end = line
        .char_indices()
        .find(|&(i, c)| {
            let next = line[i + c.len_utf8()..].chars().next();
            c == '。' || matches!(c, '.' | '!' | '?') && next.is_none_or(char::is_whitespace)
        })
        .map(|(i, _)| i)
        .or_else(|| (line.len() < text.len()).then_some(line.len()))?;
    let form = match_form(&line[..end]);
    let toks = tokens(&form);
    options
        .prefix(&toks)
        .filter(|&(_, len)| len == toks.len() && len > 0)
        .map(|(letter, _)| letter)
}

/// Reads one committed answer (see the module docs); `None` when it holds no answer.
fn read_committed(answer: &str, options: &OptionTexts) -> Option<Read> {
    let decorated = skip_decoration(answer);
    let start = skip_lead(answer);
    if is_blank(start) {
        return None;
    }
    let form = match_form(first_line(decorated));
    let toks = tokens(&form);
    let text_prefix = options.prefix(&toks).or_else(|| {
        let form = match_form(first_line(start));
        options.prefix(&tokens(&form))
    });
    let letter = letter_at_start(start, options);
    match (letter, text_prefix) {
        (Some(form), Some((text_letter, _))) => {
            if form.as_letter() == Some(text_letter) {
                judge_letter(form, start, options)
            } else {
                Some(Read::Conflict)
            }
        }
        (None, Some((letter, len))) => {
            if lists_other_labels(first_line(start), letter.as_char(), options) {
                Some(Read::Conflict)
            } else if options.another_follows(&toks[len.min(toks.len())..], letter) {
                Some(Read::Ambiguous)
            } else {
                Some(Read::Answer(Reading::OptionText(letter)))
            }
        }
        (Some(form), None) => judge_letter(form, start, options),
        (None, None) => mentioned_option(first_line(start), options),
    }
}

/// Judges a letter read at the start of `s`: several letters, other labels on the line, a
/// conflicting option text, or a letter outside the options.
fn judge_letter(form: LetterForm, s: &str, options: &OptionTexts) -> Option<Read> {
    // The letter is itself another option's whole text (options "O", "A", "B", "AB").
    if line_is_option_text(s, options).is_some_and(|l| Some(l) != form.as_letter()) {
        return Some(Read::Conflict);
    }
    let after = &s[1..];
    if joined_letter(after, options).is_some_and(|other| other != form.letter) {
        return Some(Read::Ambiguous);
    }
    if lists_other_labels(first_line(after), form.letter, options) {
        return Some(Read::Ambiguous);
    }
    let letter = form.as_letter()?;
    if options.has(letter) {
        return match line_is_option_text(after, options) {
            Some(other) if other != letter => Some(Read::Conflict),
            _ => Some(Read::Answer(Reading::Letter(letter))),
        };
    }
    // Outside the options, "I" stays the pronoun (a response cut after its first word).
    let labels_an_answer = !form.lowercase && form.letter != 'I' && is_label_like(after);
    labels_an_answer.then_some(Read::Answer(Reading::Outside(letter)))
}

/// Exactly one option text named in `text`, with no negation or question around it.
fn mentioned_option(text: &str, options: &OptionTexts) -> Option<Read> {
    if text.contains('?') {
        return None;
    }
    let form = match_form(text);
    let toks = tokens(&form);
    match options.mentioned(&toks).as_slice() {
        [] => None,
        [_] if options.has_negation(&toks) => None,
        [letter] => Some(Read::Answer(Reading::OptionText(*letter))),
        _ => Some(Read::Ambiguous),
    }
}

/// A text that is nothing but one letter form, optionally with that option's text.
fn standalone(text: &str, options: &OptionTexts) -> Option<Read> {
    let start = skip_lead(text);
    let form = letter_at_start(start, options)?;
    let after = &start[1..];
    let rest = skip_closers(after.trim_start_matches(['选', '项']));
    let alone = is_blank(rest)
        || form
            .as_letter()
            .is_some_and(|letter| is_exactly_option_text(after, letter, options));
    if alone {
        judge_letter(form, start, options)
    } else {
        None
    }
}

/// Whether `text` is exactly `letter`'s option text (punctuation aside).
fn is_exactly_option_text(text: &str, letter: Letter, options: &OptionTexts) -> bool {
    let form = match_form(text);
    let toks = tokens(&form);
    options.prefix(&toks) == Some((letter, toks.len()))
}

/// A first line that starts with a letter set off by punctuation ("B. Pneumonia is ..."), unless
/// the line goes on to reject that option ("A) Atelectasis is unlikely because ...").
fn leading_letter(line: &str, options: &OptionTexts) -> Option<Read> {
    let start = skip_lead(line);
    let form = letter_at_start(start, options)?;
    if rejects_its_option(&start[1..], form, options) {
        return None;
    }
    match form.follower {
        Follower::End | Follower::Punctuation | Follower::OwnText => {
            judge_letter(form, start, options)
        }
        Follower::Connector if reason_follows(&start[1..]) => judge_letter(form, start, options),
        Follower::Connector => None,
    }
}

/// Words that reject an option right after it is named ("A) Atelectasis is unlikely", "C -
/// incorrect", "D: wrong").
const REJECTIONS: &[&str] = &[
    "unlikely",
    "incorrect",
    "wrong",
    "not",
    "false",
    "excluded",
    "less",
    "implausible",
    "inconsistent",
    "rejected",
    "eliminated",
    "isn't",
    "cannot",
];

/// Whether the text after a letter (optionally its own option text) rejects the option.
fn rejects_its_option(after: &str, form: LetterForm, options: &OptionTexts) -> bool {
    let mut words = first_line(after)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .peekable();
    // Skip the letter's own option text ("A) Atelectasis is unlikely").
    if let Some(own) = form.as_letter().and_then(|l| options.tokens_of(l)) {
        let mut probe = words.clone();
        if own
            .iter()
            .all(|t| probe.next().is_some_and(|w| eq_ignore_case(w, t)))
        {
            words = probe;
        }
    }
    let next = words.find(|w| {
        !["is", "are", "seems", "appears", "would", "be", "option"]
            .iter()
            .any(|skip| skip.eq_ignore_ascii_case(w))
    });
    next.is_some_and(|w| {
        REJECTIONS.iter().any(|r| r.eq_ignore_ascii_case(w)) || w.eq_ignore_ascii_case("isn")
    })
}

/// For each line, whether it belongs to a list of options read back: two or more consecutive
/// lines that each start with an option label (`A. CT`, `B) MRI`) in increasing letter order.
/// Such a list echoes the question and answers nothing.
fn listed_lines(lines: &[&str], options: &OptionTexts) -> Vec<bool> {
    let labels: Vec<Option<char>> = lines
        .iter()
        .map(|line| {
            let form = letter_at_start(skip_decoration(line), options)?;
            let labelled = !form.lowercase
                && form.follower == Follower::Punctuation
                && form.as_letter().is_some_and(|l| options.has(l));
            labelled.then_some(form.letter)
        })
        .collect();
    let mut listed = vec![false; lines.len()];
    let mut run_start = 0;
    for i in 1..=labels.len() {
        let continues =
            i < labels.len() && matches!((labels[i - 1], labels[i]), (Some(a), Some(b)) if a < b);
        if !continues {
            if i - run_start >= 2 {
                listed[run_start..i].fill(true);
            }
            run_start = i;
        }
    }
    listed
}

/// The whole response as an option text: equal to one option's text, or naming exactly one.
fn whole_option_text(text: &str, options: &OptionTexts) -> Option<Read> {
    let form = match_form(text);
    let toks = tokens(&form);
    if let Some((letter, len)) = options.prefix(&toks) {
        if len == toks.len() {
            return Some(Read::Answer(Reading::OptionText(letter)));
        }
    }
    mentioned_option(text, options)
}

/// The one option a response asserts as a finding while it denies every other option it
/// names ("The image shows a pneumothorax. There is no pleural effusion."), read with the
/// restated-finding rules of closed questions (negation reach, hedges). Only a response that
/// negates something can deny an option.
fn asserted_option(text: &str, options: &OptionTexts) -> Option<Letter> {
    let form = match_form(text);
    let toks = tokens(&form);
    if !options.has_negation(&toks) {
        return None;
    }
    let mentioned = options.mentioned(&toks);
    let letters: Vec<Letter> = options.letters().collect();
    let texts: Vec<&str> = letters
        .iter()
        .map(|l| options.text(*l).unwrap_or(""))
        .collect();
    let mut asserted = None;
    for (letter, reading) in letters.iter().zip(finding::option_statements(text, &texts)) {
        match reading {
            Some(YesNo::Yes) if asserted.is_none() => asserted = Some(*letter),
            Some(YesNo::Yes) => return None,
            Some(YesNo::No) => {}
            // An option named without a clear reading leaves the answer open.
            None if mentioned.contains(letter) => return None,
            None => {}
        }
    }
    asserted
}

/// Whether the text names an option letter anywhere (`(B)`, `B.`, `option C`), used only to say
/// why nothing was read.
fn mentions_a_letter(text: &str, options: &OptionTexts) -> bool {
    text.char_indices().any(|(i, c)| {
        let starts_word = text[..i]
            .chars()
            .next_back()
            .is_none_or(|p| !p.is_alphanumeric());
        starts_word
            && c.is_ascii_uppercase()
            && Letter::new(c).is_some_and(|l| options.has(l))
            // "I was ..." is the pronoun, whatever the options.
            && letter_at_start(&text[i..], options)
                .is_some_and(|f| !(c == 'I' && f.follower == Follower::Connector))
    })
}

#[cfg(test)]
mod tests {
    use medeval_core::{AnswerType, Options};

    use super::*;
    use medeval_core::Gold;

    fn item(options: &[(char, &str)], answer: &str) -> Item {
        Item {
            id: "t".into(),
            question: "q".into(),
            images: vec![],
            options: options
                .iter()
                .filter_map(|(l, t)| Letter::new(*l).map(|l| (l, (*t).to_owned())))
                .collect::<Options>(),
            gold: Gold::read(AnswerType::Mcq, answer).unwrap(),
            meta: Default::default(),
            cluster: None,
        }
    }

    fn run(response: &str) -> (Outcome, Option<String>, String) {
        let item = item(
            &[
                ('A', "Atelectasis"),
                ('B', "Pneumonia"),
                ('C', "Pleural effusion"),
                ('D', "Pneumothorax"),
            ],
            "B",
        );
        let s = score(&item, &Response::new(response));
        (s.outcome, s.extracted, s.rule)
    }

    fn read(response: &str) -> (Option<String>, String) {
        let (_, extracted, rule) = run(response);
        (extracted, rule)
    }

    fn letter(l: &str, rule: &str) -> (Option<String>, String) {
        (Some(l.to_owned()), rule.to_owned())
    }

    fn none(rule: &str) -> (Option<String>, String) {
        (None, rule.to_owned())
    }

    #[test]
    fn committed_markers_are_read() {
        assert_eq!(read(r"\boxed{B}"), letter("B", "mcq:boxed"));
        assert_eq!(read("<answer>(C)</answer>"), letter("C", "mcq:answer-tag"));
        assert_eq!(read(r#"{"answer": "D"}"#), letter("D", "mcq:json"));
        assert_eq!(read("The answer is B."), letter("B", "mcq:answer-phrase"));
        assert_eq!(read("I choose A"), letter("A", "mcq:choice-phrase"));
        assert_eq!(read("So B is correct."), letter("B", "mcq:verdict-phrase"));
    }

    #[test]
    fn the_last_commitment_wins_over_reasoning() {
        assert_eq!(
            read("A is wrong, C is tempting, but the answer is B."),
            letter("B", "mcq:answer-phrase")
        );
        assert_eq!(
            read("The answer is A. Wait, no: the final answer is B."),
            letter("B", "mcq:answer-phrase")
        );
    }

    #[test]
    fn option_text_in_a_committed_answer() {
        assert_eq!(
            read("The most likely diagnosis is pneumonia."),
            letter("B", "mcq:answer-phrase+text")
        );
        assert_eq!(
            read("The answer is pneumonia or atelectasis."),
            none("unparsed:ambiguous")
        );
    }

    #[test]
    fn several_letters_are_ambiguous() {
        assert_eq!(read("The answer is B or C."), none("unparsed:ambiguous"));
        assert_eq!(read(r"\boxed{A, C}"), none("unparsed:ambiguous"));
        assert_eq!(read(r"\boxed{A} and \boxed{C}"), none("unparsed:ambiguous"));
    }

    #[test]
    fn a_letter_with_another_options_text_conflicts() {
        assert_eq!(
            read("Answer: B. Atelectasis"),
            none("unparsed:letter-text-conflict")
        );
    }

    #[test]
    fn a_letter_outside_the_options_is_wrong() {
        assert_eq!(
            run("Answer: E"),
            (
                Outcome::Wrong,
                Some("E".into()),
                "mcq:answer-phrase+outside".into()
            )
        );
        assert_eq!(read("The answer is e."), none("unparsed:no-letter"));
    }

    #[test]
    fn whole_response_forms() {
        assert_eq!(read("b"), letter("B", "mcq:bare-letter"));
        assert_eq!(read("**(B)**"), letter("B", "mcq:bare-letter"));
        assert_eq!(read("B. Pneumonia"), letter("B", "mcq:bare-letter"));
        assert_eq!(
            read("B. Pneumonia is most likely given the fever."),
            letter("B", "mcq:leading-letter")
        );
        assert_eq!(
            read("Reasoning...\n\n**B. Pneumonia**"),
            letter("B", "mcq:final-line-letter")
        );
        assert_eq!(read("Pneumonia."), letter("B", "mcq:option-text"));
    }

    #[test]
    fn options_listed_back_are_not_answers() {
        assert_eq!(
            read("A. Atelectasis\nB. Pneumonia\nC. Pleural effusion\nD. Pneumothorax"),
            none("unparsed:no-commitment")
        );
    }

    #[test]
    fn articles_are_not_letters() {
        assert_eq!(read("a"), letter("A", "mcq:bare-letter"));
        assert_eq!(
            read("A large pleural effusion is seen."),
            letter("C", "mcq:option-text")
        );
        assert_eq!(
            read("I think it is hard to say."),
            none("unparsed:no-letter")
        );
    }
}
