//! Closed (yes/no) scoring: did the response commit to yes or to no?
//!
//! Words are matched whole, never as substrings: "no" is not read in "nodule", "normal", "not",
//! "none" or "know", "yes" not in "eyes", "是" not in "是否" or "不是". Rules, in order:
//!
//! 1. **Committed answers** ("the answer is no", `\boxed{Yes}`, `<answer>no</answer>`,
//!    `{"answer": "yes"}`, "答案：否"), the last one winning: `closed:<marker>`.
//! 2. **Leading word**: the first clause starts with a yes/no word: `closed:leading-word`.
//! 3. **Standalone word**: a later clause is nothing but a yes/no word ("Based on the image,
//!    yes."): `closed:standalone-word`.
//! 4. **Restated finding**: the response restates or denies the finding the question asks
//!    about ("Is there a pleural effusion?": "No pleural effusion is seen."), read relative to
//!    that finding with its negation's reach (module `finding`): `closed:finding-statement`.
//! 5. **Ellipsis**: the whole response is a presence or absence word ("Absent.", "None
//!    seen."): `closed:finding-ellipsis`.
//!
//! Rules 2 and 3 are read together: if the clauses they find disagree ("Yes. ... No.") the
//! response is `unparsed:ambiguous`. A clause may open with a conclusion word ("so no",
//! "I think yes"); "yes or no" in a clause is an echo of the question and is ignored. Then a
//! textual refusal is `refused:phrase`, and anything else is `unparsed:no-yes-no`.
//!
//! A response cut by the token limit (`Response::truncated`) is read only by a committed
//! answer that ended before the cut, and by rules 2-4 on the clauses that ended before it;
//! otherwise it is `unparsed:truncated`.
//!
//! Negation: "no" must be an interjection, not a determiner, for rules 2 and 3. "No, there is
//! no fracture", "No.", "No - ...", "No it is not" are answers; "No fracture is seen" and "No
//! evidence of pneumothorax" are statements whose yes/no depends on the question's polarity
//! ("Is there a fracture?" versus "Is the bone intact?"), so only rule 4, which knows the
//! question, reads them. The same holds for Chinese: "没有。" answers, "没有骨折" does not.

use medeval_core::{Item, Outcome, Scored, YesNo};

use crate::commit::{self, Markers, Picked};
use crate::normalize::{eq_ignore_case, is_cjk, skip_decoration};
use crate::{Response, finding, invalid_gold, prepare, refusal};

/// Yes in English and the other supported languages (Spanish, French, German, Portuguese,
/// Russian).
const YES_WORDS: &[&str] = &["yes", "yeah", "yep", "yup", "sí", "oui", "ja", "sim", "да"];
/// No in English and the other supported languages (read only as an interjection: Russian
/// "нет перелома" is "no fracture", like English "no fracture").
const NO_WORDS: &[&str] = &["no", "nope", "non", "nein", "não", "нет"];
/// Spanish "si" without its accent: yes only when punctuation follows it ("Si, hay ..."),
/// since "si hay ..." is "if there is ...".
const UNACCENTED_SI: &str = "si";
/// Words read as yes or no only inside a committed answer ("Answer: true").
const COMMITTED_YES: &[&str] = &["true", "si"];
const COMMITTED_NO: &[&str] = &["false"];
/// Words that may follow an interjection "no" without a comma ("No it is not").
const AFTER_NO: &[&str] = &[
    "it", "it's", "its", "this", "that", "there", "the", "i", "they", "he", "she", "we", "these",
    "those", "not",
];
/// Yes words of languages written without spaces between words (Chinese, Japanese) and of
/// Korean; like the Chinese ones, they must not be joined to further text ("是" is not read in
/// "是否"). The longest match wins, so `是的` is read before `是`.
const ZH_YES: &[&str] = &[
    "是的", "对的", "有的", "正确", "存在", "是", "对", "有", "はい", "네",
];
/// No words of the same languages; the longest match wins (`不是` before `不`, `아니요`
/// before `아니`).
const ZH_NO: &[&str] = &[
    "不正确",
    "不存在",
    "不是",
    "不对",
    "没有",
    "错误",
    "否",
    "无",
    "没",
    "不",
    "いいえ",
    "아니요",
    "아니오",
    "아닙니다",
];

/// Characters that end a clause.
const CLAUSE_ENDS: &[char] = &[',', '.', ';', ':', '!', '?', '\n', '。', '、'];

/// What a word at the start of a text says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Word {
    Says(YesNo),
    /// "yes or no", "yes/no": both, so neither.
    Both,
}

/// Scores a yes/no response against the item's gold answer.
pub fn score(item: &Item, response: &Response<'_>) -> Scored {
    let Some(gold) = item.gold.closed() else {
        return invalid_gold();
    };
    let text = match prepare(response) {
        Ok(text) => text,
        Err(verdict) => return verdict,
    };
    let cut = response.truncated;
    let commitments = commit::find(&text, Markers::WithoutVerdicts);
    let committed = commit::pick_last(&text, &commitments, |answer| {
        match word_at_start(skip_decoration(answer), true) {
            Some(Word::Says(answer)) => Some(Some(answer)),
            Some(Word::Both) => Some(None),
            None => None,
        }
    });
    match committed {
        Picked::Read(Some(answer), marker, index) => {
            let ended = |c: &commit::Commitment<'_>| word_ended(&c.answer);
            if cut && !commit::complete_before_cut(&commitments, index, ended) {
                return truncated();
            }
            if contradicted(&text, &item.question, cut, answer) {
                return Scored::new(Outcome::Unparsed, None, "unparsed:ambiguous");
            }
            return verdict(answer, gold, &format!("closed:{}", marker.as_str()));
        }
        Picked::Read(None, _, _) | Picked::Ambiguous => {
            return Scored::new(Outcome::Unparsed, None, "unparsed:ambiguous");
        }
        Picked::Nothing => {}
    }
    // A cut response is read only in the clauses that ended before the cut.
    let readable = if cut { ended_clauses(&text) } else { &text };
    match clause_words(readable) {
        ClauseWords::One(answer, _) if contradicted(&text, &item.question, cut, answer) => {
            Scored::new(Outcome::Unparsed, None, "unparsed:ambiguous")
        }
        ClauseWords::One(answer, true) => verdict(answer, gold, "closed:leading-word"),
        ClauseWords::One(answer, false) => verdict(answer, gold, "closed:standalone-word"),
        ClauseWords::Mixed => Scored::new(Outcome::Unparsed, None, "unparsed:ambiguous"),
        ClauseWords::None => match restated_finding(&text, &item.question, cut) {
            Some((answer, rule)) => verdict(answer, gold, rule),
            None => nothing_read(&text, cut),
        },
    }
}

/// Whether the response's statement about the queried finding says the opposite of its yes/no
/// word ("Yes. No pleural effusion is seen."): then it answers both ways.
fn contradicted(text: &str, question: &str, cut: bool, answer: YesNo) -> bool {
    // A yes/no word and a statement need at least three words.
    text.split_whitespace().nth(2).is_some()
        && restated_finding(text, question, cut)
            .is_some_and(|(stated, rule)| rule == "closed:finding-statement" && stated != answer)
}

/// A closed question answered by restating the finding it asks about (module `finding`).
fn restated_finding(text: &str, question: &str, cut: bool) -> Option<(YesNo, &'static str)> {
    let query = finding::query(question)?;
    if cut {
        let ended = ended_clauses(text);
        let unfinished = !ended.ends_with(SENTENCE_ENDS);
        return finding::read(ended, &query, unfinished).map(|a| (a, "closed:finding-statement"));
    }
    if let Some(answer) = finding::read(text, &query, false) {
        return Some((answer, "closed:finding-statement"));
    }
    finding::read_ellipsis(text, &query).map(|a| (a, "closed:finding-ellipsis"))
}

/// Characters that end a sentence.
const SENTENCE_ENDS: &[char] = &['.', '!', ';', '\n', '。', '?'];

/// Why nothing was read.
fn nothing_read(text: &str, cut: bool) -> Scored {
    match () {
        () if cut => truncated(),
        () if refusal::is_refusal(text) => Scored::new(Outcome::Refused, None, "refused:phrase"),
        () => Scored::new(Outcome::Unparsed, None, "unparsed:no-yes-no"),
    }
}

fn truncated() -> Scored {
    Scored::new(Outcome::Unparsed, None, "unparsed:truncated")
}

/// Whether a committed yes/no word ended before a cut: something follows it ("no.", "yes,"),
/// and not "or"/"and" ("yes or" may have become "yes or no").
fn word_ended(answer: &str) -> bool {
    commit::word_is_delimited(answer) && !commit::joined_at_cut(answer)
}

/// `text` up to its last clause end: the clauses a cut response finished.
fn ended_clauses(text: &str) -> &str {
    text.rfind(CLAUSE_ENDS).map_or("", |i| {
        &text[..i + text[i..].chars().next().map_or(1, char::len_utf8)]
    })
}

fn verdict(answer: YesNo, gold: YesNo, rule: &str) -> Scored {
    let outcome = if answer == gold {
        Outcome::Correct
    } else {
        Outcome::Wrong
    };
    Scored::new(outcome, Some(answer.as_str().to_owned()), rule)
}

/// The yes/no words that the clauses of a response hold.
enum ClauseWords {
    /// One polarity; `true` when the first clause holds it.
    One(YesNo, bool),
    /// Both polarities.
    Mixed,
    /// None.
    None,
}

fn clause_words(text: &str) -> ClauseWords {
    let mut found: Option<(YesNo, bool)> = None;
    let mut first = true;
    for clause in text.split(CLAUSE_ENDS) {
        let clause = trim_decoration(clause);
        if clause.is_empty() {
            continue;
        }
        let word = if first {
            word_at_start(clause, false).or_else(|| whole_word(clause))
        } else {
            whole_word(clause)
        };
        let leading = first;
        first = false;
        // "Yes or no" in a clause echoes the question; it answers nothing.
        let Some(Word::Says(answer)) = word else {
            continue;
        };
        match found {
            Some((earlier, _)) if earlier != answer => return ClauseWords::Mixed,
            Some(_) => {}
            None => found = Some((answer, leading)),
        }
    }
    match found {
        Some((answer, leading)) => ClauseWords::One(answer, leading),
        None => ClauseWords::None,
    }
}

fn trim_decoration(clause: &str) -> &str {
    skip_decoration(clause).trim_end_matches(|c: char| {
        c.is_whitespace()
            || matches!(
                c,
                '*' | '_' | '"' | '\'' | '`' | ')' | ']' | '」' | '】' | '$'
            )
    })
}

/// Words that may open a clause holding only a conclusion ("so, no", "I think yes").
const CONCLUSION_WORDS: &[&str] = &[
    "so ",
    "thus ",
    "therefore ",
    "hence ",
    "then ",
    "i think ",
    "i believe ",
    "probably ",
    "likely ",
    "definitely ",
    "actually ",
    // "Yes, but no." answers both ways: the clause after "but" is read.
    "but ",
    "pero ",
    "mais ",
    "aber ",
    "mas ",
    "но ",
    "所以",
    "因此",
    "故",
];

/// A clause that is nothing but a yes/no word, possibly after a conclusion word.
fn whole_word(clause: &str) -> Option<Word> {
    let clause = CONCLUSION_WORDS
        .iter()
        .find_map(|w| strip_prefix_ignore_case(clause, w))
        .map_or(clause, str::trim_start);
    let is = |words: &[&str]| words.iter().any(|w| eq_ignore_case(w, clause));
    if is(YES_WORDS) || is(ZH_YES) {
        Some(Word::Says(YesNo::Yes))
    } else if is(NO_WORDS) || is(ZH_NO) {
        Some(Word::Says(YesNo::No))
    } else {
        None
    }
}

/// The yes/no word at the start of `s`, if it is used as an answer there. `committed` admits
/// the words only read inside committed answers ("true", "false").
fn word_at_start(s: &str, committed: bool) -> Option<Word> {
    if let Some(word) = chinese_word_at_start(s) {
        return Some(word);
    }
    let end = s.find(|c: char| !c.is_alphanumeric()).unwrap_or(s.len());
    let (word, rest) = s.split_at(end);
    let is = |words: &[&str]| words.iter().any(|w| eq_ignore_case(w, word));
    if is(YES_WORDS) || committed && is(COMMITTED_YES) {
        Some(if opposite_follows(rest, YesNo::Yes) {
            Word::Both
        } else {
            Word::Says(YesNo::Yes)
        })
    } else if eq_ignore_case(UNACCENTED_SI, word) && si_is_interjection(rest) {
        Some(Word::Says(YesNo::Yes))
    } else if is(NO_WORDS) || committed && is(COMMITTED_NO) {
        if opposite_follows(rest, YesNo::No) {
            Some(Word::Both)
        } else {
            (is(COMMITTED_NO) || no_is_interjection(rest)).then_some(Word::Says(YesNo::No))
        }
    } else {
        None
    }
}

/// A Chinese yes/no word at the start of `s`, not joined to more CJK text ("没有。" but not
/// "没有骨折", "是" but not "是否").
fn chinese_word_at_start(s: &str) -> Option<Word> {
    let candidates = ZH_YES
        .iter()
        .map(|w| (*w, YesNo::Yes))
        .chain(ZH_NO.iter().map(|w| (*w, YesNo::No)));
    let mut longest: Option<(&str, YesNo)> = None;
    for (word, answer) in candidates {
        if s.starts_with(word) && longest.is_none_or(|(l, _)| word.len() > l.len()) {
            longest = Some((word, answer));
        }
    }
    let (word, answer) = longest?;
    let next = s[word.len()..].chars().next();
    next.is_none_or(|c| !is_cjk(c) && !c.is_alphanumeric())
        .then_some(Word::Says(answer))
}

/// Whether an unaccented "si" is the answer: punctuation or the end follows it.
fn si_is_interjection(rest: &str) -> bool {
    rest.chars()
        .next()
        .is_none_or(|c| matches!(c, ',' | '.' | '!' | ';'))
}

/// Whether "no" is an interjection: followed by nothing, punctuation, or a word that cannot
/// follow the determiner "no" ("No, ...", "No.", "No - ...", "No it is not").
fn no_is_interjection(rest: &str) -> bool {
    let Some(next) = rest.chars().next() else {
        return true;
    };
    if next == '-' || next == '\'' {
        // "no-reflow", "no'": part of a word.
        return !rest[1..].starts_with(char::is_alphanumeric);
    }
    if !next.is_whitespace() {
        return !next.is_alphanumeric();
    }
    let rest = rest.trim_start_matches([' ', '\t']);
    let Some(next) = rest.chars().next() else {
        return true;
    };
    if !next.is_alphanumeric() {
        return true;
    }
    let end = rest
        .find(|c: char| !(c.is_alphanumeric() || c == '\''))
        .unwrap_or(rest.len());
    AFTER_NO.iter().any(|w| eq_ignore_case(w, &rest[..end]))
}

/// Whether the opposite answer follows after "or", "and" or "/" ("yes or no", "yes/no").
fn opposite_follows(rest: &str, first: YesNo) -> bool {
    let rest = rest.trim_start();
    let rest = if let Some(r) = rest.strip_prefix(['/', '|']) {
        r
    } else if let Some(r) = ["or ", "and ", "或", "还是"]
        .iter()
        .find_map(|joiner| strip_prefix_ignore_case(rest, joiner))
    {
        r
    } else {
        return false;
    };
    let rest = rest.trim_start();
    let end = rest
        .find(|c: char| !c.is_alphanumeric())
        .unwrap_or(rest.len());
    let word = &rest[..end];
    let opposite = match first {
        YesNo::Yes => NO_WORDS,
        YesNo::No => YES_WORDS,
    };
    opposite.iter().any(|w| eq_ignore_case(w, word))
        || matches!(
            (first, chinese_word_at_start(rest)),
            (YesNo::Yes, Some(Word::Says(YesNo::No))) | (YesNo::No, Some(Word::Says(YesNo::Yes)))
        )
}

fn strip_prefix_ignore_case<'s>(s: &'s str, prefix: &str) -> Option<&'s str> {
    let head = s.get(..prefix.len())?;
    eq_ignore_case(head, prefix).then(|| &s[prefix.len()..])
}

#[cfg(test)]
mod tests {
    use medeval_core::Options;

    use super::*;
    use medeval_core::Gold;

    fn run(response: &str) -> (Option<String>, String) {
        asked("Is there a fracture?", response)
    }

    fn asked(question: &str, response: &str) -> (Option<String>, String) {
        let item = Item {
            id: "t".into(),
            question: question.into(),
            images: vec![],
            options: Options::new(),
            gold: Gold::yes_no(YesNo::No),
            meta: Default::default(),
            cluster: None,
        };
        let s = score(&item, &Response::new(response));
        (s.extracted, s.rule)
    }

    fn says(answer: &str, rule: &str) -> (Option<String>, String) {
        (Some(answer.to_owned()), rule.to_owned())
    }

    fn none(rule: &str) -> (Option<String>, String) {
        (None, rule.to_owned())
    }

    #[test]
    fn words_are_whole() {
        assert_eq!(run("Nodule in the left lung."), none("unparsed:no-yes-no"));
        assert_eq!(run("Normal."), none("unparsed:no-yes-no"));
        assert_eq!(run("I don't know."), none("unparsed:no-yes-no"));
        assert_eq!(run("Both eyes are normal."), none("unparsed:no-yes-no"));
        // "None." is not the word "no"; it answers the fracture question as an ellipsis.
        assert_eq!(run("None."), says("no", "closed:finding-ellipsis"));
        assert_eq!(
            asked("Is the bone intact?", "None."),
            none("unparsed:no-yes-no")
        );
    }

    #[test]
    fn interjections_answer_determiners_do_not() {
        assert_eq!(
            run("No, there is no fracture."),
            says("no", "closed:leading-word")
        );
        assert_eq!(run("No it is not."), says("no", "closed:leading-word"));
        assert_eq!(
            run("Yes there is a fracture"),
            says("yes", "closed:leading-word")
        );
        // A determiner "no" is not the answer no: the question decides what it means.
        let intact = "Is the bone intact?";
        assert_eq!(
            asked(intact, "No fracture is seen."),
            none("unparsed:no-yes-no")
        );
        assert_eq!(
            run("No fracture is seen."),
            says("no", "closed:finding-statement")
        );
        assert_eq!(
            run("No evidence of fracture."),
            says("no", "closed:finding-statement")
        );
    }

    #[test]
    fn standalone_clauses_and_contradictions() {
        assert_eq!(
            run("Based on the image, yes."),
            says("yes", "closed:standalone-word")
        );
        assert_eq!(
            run("Yes. On second thought, no."),
            none("unparsed:ambiguous")
        );
        // A yes/no word and a statement about the queried finding that disagree.
        assert_eq!(run("Yes. No fracture is seen."), none("unparsed:ambiguous"));
        assert_eq!(
            run("The answer is no: there is a displaced fracture."),
            none("unparsed:ambiguous")
        );
        assert_eq!(run("Yes or no?"), none("unparsed:no-yes-no"));
        assert_eq!(run("Yes or no: no"), says("no", "closed:standalone-word"));
        assert_eq!(
            run("None of the findings suggest it, so no."),
            says("no", "closed:standalone-word")
        );
    }

    #[test]
    fn committed_answers_win() {
        assert_eq!(
            run("Yes... the answer is no."),
            says("no", "closed:answer-phrase")
        );
        assert_eq!(run(r"\boxed{\text{No}}"), says("no", "closed:boxed"));
        assert_eq!(run(r#"{"answer": false}"#), says("no", "closed:json"));
    }

    #[test]
    fn chinese_words_are_whole() {
        assert_eq!(run("不是。"), says("no", "closed:leading-word"));
        assert_eq!(run("是的，有骨折。"), says("yes", "closed:leading-word"));
        assert_eq!(
            run("是否有骨折需要进一步检查。"),
            none("unparsed:no-yes-no")
        );
        assert_eq!(run("没有骨折。"), none("unparsed:no-yes-no"));
        assert_eq!(run("答案：否"), says("no", "closed:answer-phrase"));
    }

    #[test]
    fn other_languages_answer_with_their_words() {
        assert_eq!(
            run("はい、骨折があります。"),
            says("yes", "closed:leading-word")
        );
        assert_eq!(
            run("아니요, 골절은 없습니다."),
            says("no", "closed:leading-word")
        );
        assert_eq!(run("Нет, перелома нет."), says("no", "closed:leading-word"));
        assert_eq!(run("Нет перелома."), none("unparsed:no-yes-no"));
        assert_eq!(
            run("Si, hay una fractura."),
            says("yes", "closed:leading-word")
        );
        assert_eq!(
            run("Si hay fractura, inmovilizar."),
            none("unparsed:no-yes-no")
        );
        assert_eq!(
            run("答えは「いいえ」です。"),
            says("no", "closed:answer-phrase")
        );
        assert_eq!(run("Ответ: да"), says("yes", "closed:answer-phrase"));
    }
}
