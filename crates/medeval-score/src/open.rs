//! Open-answer scoring: normalised exact match, plus token precision, recall and F1.
//!
//! The answer is the last committed answer ("The answer is: left lung", `\boxed{left lung}`),
//! or else the whole response. A textual refusal without a committed answer is `refused`. An
//! answer that only says the model does not know ("Not sure.", "Cannot be determined") is
//! `unparsed:non-answer` (module `nonanswer`), never a wrong answer. A response cut by the token
//! limit (`Response::truncated`) is read only from a committed answer whose first sentence or
//! line ended before the cut, else it is `unparsed:truncated`. The
//! answer and the gold text are compared in [`normalize_answer`] form: equal forms are
//! `correct`, anything else `wrong`; an answer whose form is empty ("...") is `unparsed`.
//!
//! Every scored sample carries three extra metrics, computed on the same tokens (whitespace
//! separated words, one token per CJK character), counting repeated tokens as often as they
//! occur in both (multiset intersection):
//!
//! - `token_precision` = shared tokens / answer tokens
//! - `token_recall` = shared tokens / gold tokens
//! - `token_f1` = 2 P R / (P + R), and 0 when nothing is shared.

use std::collections::HashMap;

use medeval_core::{Item, Outcome, Scored};

use crate::commit::{self, Markers, Picked};
use crate::normalize::{self, first_line, is_blank, skip_decoration};
use crate::{Response, invalid_gold, nonanswer, prepare, refusal};

/// The comparison form of an answer: NFKC, lower case, punctuation (ASCII, CJK and
/// full-width) removed, whitespace collapsed, CJK split per character, articles dropped
/// (`the`, `an` everywhere; `a` where it reads as an article, so `vitamin a` keeps it).
///
/// `"The Left Lung."` and `"left  lung"` both become `left lung`; `"右肺。"` becomes `右 肺`.
pub fn normalize_answer(text: &str) -> String {
    normalize::match_form(text)
}

/// Token precision, recall and F1 of `answer` against `gold`, both in [`normalize_answer`] form.
pub fn token_scores(answer: &str, gold: &str) -> (f64, f64, f64) {
    let answer: Vec<&str> = answer.split_whitespace().collect();
    let gold: Vec<&str> = gold.split_whitespace().collect();
    let mut gold_counts: HashMap<&str, usize> = HashMap::new();
    for token in &gold {
        *gold_counts.entry(token).or_default() += 1;
    }
    let mut shared = 0usize;
    for token in &answer {
        if let Some(count) = gold_counts.get_mut(token).filter(|c| **c > 0) {
            *count -= 1;
            shared += 1;
        }
    }
    if shared == 0 {
        return (0.0, 0.0, 0.0);
    }
    let precision = shared as f64 / answer.len() as f64;
    let recall = shared as f64 / gold.len() as f64;
    (
        precision,
        recall,
        2.0 * precision * recall / (precision + recall),
    )
}

/// Scores a free-text response against the item's gold text.
pub fn score(item: &Item, response: &Response<'_>) -> Scored {
    let gold = normalize_answer(&item.gold.text());
    if gold.is_empty() {
        return invalid_gold();
    }
    let text = match prepare(response) {
        Ok(text) => text,
        Err(verdict) => return verdict,
    };
    let commitments = commit::find(&text, Markers::WithoutVerdicts);
    let picked = commit::pick_last(&text, &commitments, |answer| {
        let answer = committed_text(answer);
        let form = normalize_answer(answer);
        (!form.is_empty()).then_some(form)
    });
    let cut = response.truncated;
    let (answer, rule) = match picked {
        Picked::Read(_, _, index)
            if cut
                && !commit::complete_before_cut(&commitments, index, |c| {
                    sentence_ended(&c.answer)
                }) =>
        {
            return truncated();
        }
        Picked::Read(answer, marker, _) => (answer, format!("open:{}", marker.as_str())),
        Picked::Ambiguous => return Scored::new(Outcome::Unparsed, None, "unparsed:ambiguous"),
        Picked::Nothing if cut => return truncated(),
        Picked::Nothing if refusal::is_refusal(&text) => {
            return Scored::new(Outcome::Refused, None, "refused:phrase");
        }
        Picked::Nothing => (normalize_answer(&text), "open:whole-response".to_owned()),
    };
    if answer.is_empty() {
        return Scored::new(Outcome::Unparsed, None, "unparsed:empty");
    }
    let whole = rule == "open:whole-response";
    if nonanswer::is_non_answer(&answer) || whole && nonanswer::opens_with_non_answer(&text) {
        return Scored::new(Outcome::Unparsed, None, "unparsed:non-answer");
    }
    let outcome = if answer == gold {
        Outcome::Correct
    } else {
        Outcome::Wrong
    };
    let (precision, recall, f1) = token_scores(&answer, &gold);
    let mut scored = Scored::new(outcome, Some(answer), rule);
    scored.metrics.insert("token_precision".into(), precision);
    scored.metrics.insert("token_recall".into(), recall);
    scored.metrics.insert("token_f1".into(), f1);
    scored
}

/// The answer part of a committed answer: up to the end of its first sentence ("The answer
/// is: left lung. It shows..." gives "left lung").
fn committed_text(answer: &str) -> &str {
    let answer = first_line(skip_decoration(answer));
    let answer = &answer[..sentence_end(answer).unwrap_or(answer.len())];
    if is_blank(answer) { "" } else { answer }
}

/// Where the first sentence of `line` ends: `。`, or `.`, `!`, `?` before a space or the end.
fn sentence_end(line: &str) -> Option<usize> {
    line.char_indices().find_map(|(i, c)| {
        let next = line[i + c.len_utf8()..].chars().next();
        let ends =
            c == '。' || matches!(c, '.' | '!' | '?') && next.is_none_or(char::is_whitespace);
        ends.then_some(i)
    })
}

/// Whether a committed answer's first sentence ended before a cut ("left lung. The lesion").
fn sentence_ended(answer: &str) -> bool {
    sentence_end(first_line(skip_decoration(answer))).is_some()
}

fn truncated() -> Scored {
    Scored::new(Outcome::Unparsed, None, "unparsed:truncated")
}

#[cfg(test)]
mod tests {
    use medeval_core::Options;

    use super::*;
    use medeval_core::Gold;

    fn run(gold: &str, response: &str) -> Scored {
        let item = Item {
            id: "t".into(),
            question: "Where is the lesion?".into(),
            images: vec![],
            options: Options::new(),
            gold: Gold::Text(gold.into()),
            meta: Default::default(),
            cluster: None,
        };
        score(&item, &Response::new(response))
    }

    #[test]
    fn token_scores_follow_the_multiset_definition() {
        // Hand computation: answer {left, lung, lung} vs gold {left, lung}: shared 2.
        let (p, r, f) = token_scores("left lung lung", "left lung");
        assert!((p - 2.0 / 3.0).abs() < 1e-12);
        assert!((r - 1.0).abs() < 1e-12);
        assert!((f - 0.8).abs() < 1e-12);
        assert_eq!(token_scores("heart", "left lung"), (0.0, 0.0, 0.0));
    }

    #[test]
    fn normalised_exact_match() {
        let s = run("left lung", "The Left Lung.");
        assert_eq!(s.outcome, Outcome::Correct);
        assert_eq!(s.extracted.as_deref(), Some("left lung"));
        assert_eq!(s.rule, "open:whole-response");
        assert_eq!(s.metrics.get("token_f1"), Some(&1.0));
        let s = run("右肺", "右肺。");
        assert_eq!(s.outcome, Outcome::Correct);
    }

    #[test]
    fn committed_answer_is_cut_at_its_sentence() {
        let s = run(
            "left lung",
            "Looking at the image... The answer is: left lung. It is large.",
        );
        assert_eq!(
            (s.outcome, s.rule.as_str()),
            (Outcome::Correct, "open:answer-phrase")
        );
    }

    #[test]
    fn partial_answers_are_wrong_with_partial_f1() {
        let s = run("left lower lobe", "left lobe");
        assert_eq!(s.outcome, Outcome::Wrong);
        let f1 = s.metrics["token_f1"];
        assert!((f1 - 0.8).abs() < 1e-12, "{f1}");
    }

    #[test]
    fn punctuation_only_is_unparsed_and_refusals_are_refused() {
        assert_eq!(run("heart", "...").rule, "unparsed:empty");
        assert_eq!(
            run("heart", "I cannot view the image.").outcome,
            Outcome::Refused
        );
        assert_eq!(run("heart", "Not sure.").rule, "unparsed:non-answer");
        assert_eq!(
            run("heart", "The answer is: cannot be determined.").rule,
            "unparsed:non-answer"
        );
    }
}
