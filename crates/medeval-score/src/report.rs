//! Report scoring: a generated radiology report is not right or wrong; it is kept, cleaned of
//! reasoning, for the corpus text metrics (BLEU, ROUGE-L, CIDEr-D, METEOR) a run summary
//! computes over all reports at once.
//!
//! Rules, in order:
//!
//! 1. The shared preparation: an API refusal is `refused:api`; nothing left once reasoning
//!    blocks are removed is `unparsed:empty` (or `unparsed:reasoning-only`, ...).
//! 2. A short response (at most [`REFUSAL_MAX_WORDS`] words) holding a refusal phrase ("I
//!    cannot provide a diagnosis") is `refused:phrase`. A disclaimer inside a real report does
//!    not make it a refusal: the report is scored, and the disclaimer costs it in the metrics.
//! 3. Anything else is `generated` (`report:generated`); the extracted text is the response
//!    with chat-template tokens and reasoning blocks removed and surrounding whitespace
//!    trimmed, otherwise unchanged (no
//!    Unicode normalisation: the text metrics tokenise candidate and reference alike).

use medeval_core::{Item, Outcome, Scored};

use crate::{Response, prepare, reasoning, refusal, template};

/// The longest response, in whitespace-separated words, that a refusal phrase can make
/// `refused`; longer responses are reports that happen to contain a disclaimer.
pub const REFUSAL_MAX_WORDS: usize = 40;

/// Scores a generated report.
pub fn score(_item: &Item, response: &Response<'_>) -> Scored {
    let prepared = match prepare(response) {
        Ok(text) => text,
        Err(verdict) => return verdict,
    };
    if prepared.split_whitespace().count() <= REFUSAL_MAX_WORDS && refusal::is_refusal(&prepared) {
        return Scored::new(Outcome::Refused, None, "refused:phrase");
    }
    let content = template::strip_tokens(response.content);
    let report = reasoning::strip(&content).text.trim().to_owned();
    Scored::new(Outcome::Generated, Some(report), "report:generated")
}

#[cfg(test)]
mod tests {
    use medeval_core::Options;

    use super::*;
    use medeval_core::Gold;

    fn item() -> Item {
        Item {
            id: "r1".into(),
            question: "Describe the findings.".into(),
            images: vec![],
            options: Options::default(),
            gold: Gold::Report("Heart size is normal.".into()),
            meta: Default::default(),
            cluster: None,
        }
    }

    #[test]
    fn reports_are_kept_without_reasoning_and_unnormalised() {
        let scored = score(
            &item(),
            &Response::new(
                "<think>frontal view</think>\n  Heart size is normal. ﬁbrosis absent.\n",
            ),
        );
        assert_eq!(scored.outcome, Outcome::Generated);
        assert_eq!(scored.rule, "report:generated");
        assert_eq!(
            scored.extracted.as_deref(),
            Some("Heart size is normal. ﬁbrosis absent.")
        );
    }

    #[test]
    fn short_refusals_are_refused_but_disclaimers_in_reports_are_not() {
        let refused = score(
            &item(),
            &Response::new("I cannot provide a medical diagnosis."),
        );
        assert_eq!(refused.outcome, Outcome::Refused);
        let long = format!(
            "I cannot provide a medical diagnosis. {}",
            "The lungs are clear without focal consolidation. ".repeat(6)
        );
        assert_eq!(
            score(&item(), &Response::new(&long)).outcome,
            Outcome::Generated
        );
    }

    #[test]
    fn empty_responses_are_unparsed() {
        let scored = score(&item(), &Response::new("<think>hmm</think>  "));
        assert_eq!(
            (scored.outcome, scored.rule.as_str()),
            (Outcome::Unparsed, "unparsed:reasoning-only")
        );
    }
}
