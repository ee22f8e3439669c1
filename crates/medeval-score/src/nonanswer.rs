//! Non-answers to open questions: "Not sure.", "Cannot be determined", "Unknown".
//!
//! An open answer is compared with the gold text, so without this rule "Not sure." is an
//! answer, and a wrong one: a model that declines would be scored as if it had answered
//! badly, and its declines would never be counted as declines. A whole answer (the committed
//! answer, or the whole response when nothing was committed) that says only that the model
//! does not know is `unparsed` with rule `unparsed:non-answer`. Only the whole answer counts:
//! "Not sure, but probably the left lung" is an answer.
//!
//! The phrases are matched on the answer's comparison form (lower case, punctuation and
//! articles removed, apostrophes splitting words, so "I don't know." is `i don t know`):
//!
//! - an optional subject: *I am, I'm, it is, it's, this is, answer is*;
//! - a statement of not knowing: *not sure, unsure, uncertain, unclear, unknown,
//!   indeterminate, undetermined, not determinable, (I) don't know, no idea, no answer, N/A,
//!   not applicable, insufficient / not enough information*, or *cannot / can't / unable to /
//!   impossible to / not possible to / difficult to / hard to* + *(be) determine(d), assess(ed),
//!   tell, say, answer(ed), evaluate(d), identify / identified, judge*;
//! - an optional object (*this, it, that, question, location, answer, diagnosis*) and an
//!   optional source (*from / based on / with / on / in / given* + *(this, these, provided,
//!   given, available) image, images, scan, picture, information, data, view, study, x-ray,
//!   radiograph*);
//! - or, written without spaces, 不确定, 不清楚, 不知道, 无法确定, 无法判断, わかりません,
//!   分かりません, 不明, 모르겠습니다, 알 수 없음.

use std::sync::LazyLock;

use regex::Regex;

/// English non-answers on the comparison form (see the module docs).
static ENGLISH: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?x)
        ^(?:(?:i\ am|i\ m|im|it\ is|it\ s|its|this\ is|that\ is|answer\ is)\ )?
        (?:
            not\ sure(?:\ (?:what|which|where|about)\ (?:this|it|that)(?:\ is)?)?
          | (?:i\ have\ |i\ ve\ )?no\ idea
          # The location cannot be determined: a short subject, then an inability.
          | (?:[a-z]+\ ){1,4}(?:cannot|can\ not|can\ t)\ be\ (?:determined|assessed|evaluated|identified|judged)
          | unsure | uncertain | unclear | unknown | indeterminate | undetermined
          | not\ determinable | indeterminable | not\ applicable | n\ a | no\ idea | no\ answer
          | (?:i\ )?(?:do\ not|don\ t|dont)\ know
          | (?:insufficient|not\ enough|inadequate)\ information
            (?:\ to\ (?:answer|determine|say|tell|assess))?
          | (?:cannot|can\ not|can\ t|unable\ to|impossible\ to|not\ possible\ to|difficult\ to|hard\ to)
            \ (?:be\ )?
            (?:determine|determined|assess|assessed|tell|say|answer|answered|evaluate|evaluated
              |identify|identified|judge|judged)
        )
        (?:\ (?:this|it|that|question|location|answer|diagnosis))?
        (?:\ (?:from|based\ on|with|on|in|given)
           (?:\ (?:this|these|provided|given|available))?
           \ (?:image|images|scan|picture|information|data|view|study|x\ ray|radiograph))?
        $",
    )
    .expect("non-answer pattern is valid")
});

/// Non-answers in languages written without spaces (compared with spaces removed).
const UNSPACED: &[&str] = &[
    "不确定",
    "不清楚",
    "不知道",
    "无法确定",
    "无法判断",
    "わかりません",
    "分かりません",
    "不明",
    "모르겠습니다",
    "알수없음",
];

/// Whether an answer in comparison form ([`crate::normalize::match_form`]) only says that the
/// model does not know.
pub(crate) fn is_non_answer(form: &str) -> bool {
    form_is_non_answer(form)
}

/// Whether a response opens with a non-answer: its first clause or sentence is one ("Cannot be
/// determined. The image quality is poor.", "Not sure, but maybe the left lung"). Whatever
/// follows is at best a hedged guess, so the response is not read as an answer.
pub(crate) fn opens_with_non_answer(text: &str) -> bool {
    let first = text
        .trim_start()
        .split(['.', ',', ';', '!', '\n', '。', '，'])
        .next()
        .unwrap_or("");
    // A response that is one clause was already checked whole; only English phrases have a
    // subject before them, so a non-answer starts with a letter.
    let more_follows = text.trim_start()[first.len()..]
        .chars()
        .any(char::is_alphanumeric);
    more_follows
        && first.len() <= 120
        && first.starts_with(|c: char| c.is_alphabetic())
        && form_is_non_answer(&crate::normalize::match_form(first))
}

fn form_is_non_answer(form: &str) -> bool {
    if form.len() > 120 {
        return false;
    }
    if ENGLISH.is_match(form) {
        return true;
    }
    if form.is_ascii() {
        return false;
    }
    let unspaced: String = form.chars().filter(|c| !c.is_whitespace()).collect();
    UNSPACED.contains(&unspaced.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::match_form;

    fn non_answer(text: &str) -> bool {
        is_non_answer(&match_form(text))
    }

    #[test]
    fn statements_of_not_knowing_are_non_answers() {
        for text in [
            "Not sure.",
            "I'm not sure.",
            "Unable to assess.",
            "Cannot be determined",
            "Cannot be determined from the provided image.",
            "It is unclear from this image.",
            "I don't know.",
            "N/A",
            "Insufficient information to answer.",
            "Unable to determine the location from this image.",
            "It's impossible to tell from this image.",
            "Not sure what this is.",
            "I have no idea.",
            "The lesion's location cannot be determined.",
            "不确定。",
            "わかりません。",
        ] {
            assert!(non_answer(text), "{text}");
        }
    }

    #[test]
    fn responses_that_open_with_a_non_answer() {
        assert!(opens_with_non_answer(
            "Cannot be determined. The image quality is poor."
        ));
        assert!(opens_with_non_answer(
            "Not sure, but probably the left lung."
        ));
        assert!(!opens_with_non_answer("Not sure.  "));
        assert!(!opens_with_non_answer("Left lung, upper lobe."));
    }

    #[test]
    fn answers_are_not_non_answers() {
        for text in [
            "None.",
            "Normal",
            "Left lung",
            "Unknown primary tumour",
            "Uncertain significance lesion in the liver",
        ] {
            assert!(!non_answer(text), "{text}");
        }
    }
}
