//! Reading a judge's reply: met, not met, or unjudged, fail-closed.
//!
//! A verdict is read only where the spec says it is (the reply's last line, every match of a
//! pattern, or one JSON field), compared whole with the values the spec lists: `INCORRECT` is
//! never read as `CORRECT`, a number outside the listed values is not a verdict, and matches
//! that disagree are no verdict at all. Anything else is [`Judgement::Unjudged`] with its
//! reason, counted and shown beside every judged number, never folded into "wrong" silently.

use medeval_core::Completion;
use medeval_score::{Response, answer_text};
use serde_json::Value;

use crate::spec::VerdictReader;

/// A judge's decision on one answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Judgement {
    /// The answer meets the spec's criterion (correct, equivalent, criterion met).
    Met,
    /// It does not.
    NotMet,
    /// No verdict could be had; see [`Unjudged`].
    Unjudged(Unjudged),
}

/// Why an answer has no verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unjudged {
    /// The reply has no verdict where the spec reads it.
    NoVerdict,
    /// The verdict position holds a value the spec does not list.
    UnknownVerdict(String),
    /// The reply holds verdicts that disagree.
    ConflictingVerdicts,
    /// The reply's JSON does not parse, or its field is not `true` or `false`.
    BadJson,
    /// The judge declined (an API refusal).
    Refusal,
    /// The reply was cut by the judge's token limit before a verdict.
    Truncated,
    /// The judge could not be reached, or answered with an error, after its retries.
    JudgeError(String),
    /// The candidate's answer is empty (nothing to judge); the judge is not asked.
    EmptyCandidate,
}

impl Unjudged {
    /// The short name recorded in the rule (`judge:unjudged:REASON`).
    pub fn reason(&self) -> &'static str {
        match self {
            Self::NoVerdict => "no-verdict",
            Self::UnknownVerdict(_) => "unknown-verdict",
            Self::ConflictingVerdicts => "conflicting-verdicts",
            Self::BadJson => "bad-json",
            Self::Refusal => "refusal",
            Self::Truncated => "truncated",
            Self::JudgeError(_) => "judge-error",
            Self::EmptyCandidate => "empty-candidate",
        }
    }

    /// Whether asking the judge again could give a verdict (its reply was unreadable), as
    /// opposed to a refusal or a transport failure the client has already retried.
    pub fn is_unreadable(&self) -> bool {
        matches!(
            self,
            Self::NoVerdict | Self::UnknownVerdict(_) | Self::ConflictingVerdicts | Self::BadJson
        )
    }
}

/// Reads the judge's `completion` with `reader`.
pub(crate) fn read(reader: &VerdictReader, completion: &Completion) -> Judgement {
    let response = Response {
        content: &completion.content,
        reasoning: completion.reasoning.as_deref(),
        refusal: completion.refusal.as_deref(),
        truncated: completion.finish_reason.as_deref() == Some("length"),
    };
    let text = match answer_text(&response) {
        Ok(text) => text,
        Err(verdict) if verdict.rule.starts_with("refused") => {
            return Judgement::Unjudged(Unjudged::Refusal);
        }
        Err(_) if response.truncated => return Judgement::Unjudged(Unjudged::Truncated),
        Err(_) => return Judgement::Unjudged(Unjudged::NoVerdict),
    };
    let judgement = read_text(reader, &text);
    match judgement {
        Judgement::Unjudged(Unjudged::NoVerdict) if response.truncated => {
            Judgement::Unjudged(Unjudged::Truncated)
        }
        other => other,
    }
}

fn read_text(reader: &VerdictReader, text: &str) -> Judgement {
    match reader {
        VerdictReader::Regex {
            regex,
            correct,
            incorrect,
            anywhere,
        } => {
            let values: Vec<&str> = if *anywhere {
                regex
                    .captures_iter(text)
                    .filter_map(|caps| caps.get(1).map(|m| m.as_str()))
                    .collect()
            } else {
                let last_line = text.lines().rev().find(|line| !line.trim().is_empty());
                last_line
                    .and_then(|line| regex.captures(line.trim()))
                    .and_then(|caps| caps.get(1).map(|m| m.as_str()))
                    .into_iter()
                    .collect()
            };
            let mut verdicts = values
                .iter()
                .map(|value| classify(value.trim(), correct, incorrect));
            let Some(first) = verdicts.next() else {
                return Judgement::Unjudged(Unjudged::NoVerdict);
            };
            if verdicts.any(|other| other != first) {
                return Judgement::Unjudged(Unjudged::ConflictingVerdicts);
            }
            first
        }
        VerdictReader::Json { field } => read_json(text, field),
    }
}

fn classify(value: &str, correct: &[String], incorrect: &[String]) -> Judgement {
    if correct.iter().any(|c| c == value) {
        Judgement::Met
    } else if incorrect.iter().any(|i| i == value) {
        Judgement::NotMet
    } else {
        Judgement::Unjudged(Unjudged::UnknownVerdict(value.to_owned()))
    }
}

/// The boolean `field` of the JSON object in `text` (a ```json fence or text around it
/// allowed).
fn read_json(text: &str, field: &str) -> Judgement {
    let (Some(start), Some(end)) = (text.find('{'), text.rfind('}')) else {
        return Judgement::Unjudged(Unjudged::BadJson);
    };
    if end < start {
        return Judgement::Unjudged(Unjudged::BadJson);
    }
    let Ok(Value::Object(object)) = serde_json::from_str::<Value>(&text[start..=end]) else {
        return Judgement::Unjudged(Unjudged::BadJson);
    };
    match object.get(field) {
        Some(Value::Bool(true)) => Judgement::Met,
        Some(Value::Bool(false)) => Judgement::NotMet,
        _ => Judgement::Unjudged(Unjudged::BadJson),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::JudgeSpec;

    fn reply(text: &str) -> Completion {
        Completion {
            content: text.into(),
            ..Completion::default()
        }
    }

    fn judged(spec: &str, text: &str) -> Judgement {
        read(JudgeSpec::builtin(spec).unwrap().reader(), &reply(text))
    }

    #[test]
    fn incorrect_is_never_read_as_correct() {
        assert_eq!(
            judged(
                "open-equivalence",
                "The answer names another organ.\nVERDICT: INCORRECT"
            ),
            Judgement::NotMet
        );
        assert_eq!(
            judged("open-equivalence", "Same finding.\n**VERDICT: CORRECT**"),
            Judgement::Met
        );
        assert_eq!(
            judged("short-answer", "[Begin Correctness] no [End Correctness]"),
            Judgement::NotMet
        );
    }

    #[test]
    fn the_verdict_is_read_from_the_last_line_only() {
        // The reasoning quotes the candidate's "GRADE: C"; the final line decides.
        let text = "The submission ends with GRADE: C, which is not evidence.\nGRADE: C\nGRADE: I";
        assert_eq!(judged("model-graded-fact", text), Judgement::NotMet);
        assert_eq!(
            judged("model-graded-fact", "GRADE: C\nI am not sure about this."),
            Judgement::Unjudged(Unjudged::NoVerdict)
        );
    }

    #[test]
    fn unlisted_values_and_disagreeing_matches_are_not_verdicts() {
        assert_eq!(
            judged("medevalkit-open", "<judge>2</judge>"),
            Judgement::Unjudged(Unjudged::NoVerdict),
            "2 is not a 0/1 value, so the pattern does not match"
        );
        assert_eq!(
            judged("medevalkit-open", "<judge>0</judge>"),
            Judgement::Met
        );
        assert_eq!(
            judged("medevalkit-open", "<judge>1</judge>"),
            Judgement::NotMet
        );
        assert_eq!(
            judged(
                "medevalkit-open",
                "<judge>0</judge> or maybe <judge>1</judge>"
            ),
            Judgement::Unjudged(Unjudged::ConflictingVerdicts)
        );
        assert_eq!(
            judged("open-equivalence", "VERDICT: PARTIALLY"),
            Judgement::Unjudged(Unjudged::NoVerdict)
        );
    }

    #[test]
    fn reasoning_blocks_and_template_tokens_are_not_read() {
        assert_eq!(
            judged(
                "model-graded-fact",
                "<think>GRADE: C</think>\nGRADE: I<|im_end|>"
            ),
            Judgement::NotMet
        );
    }

    #[test]
    fn refusals_and_cut_replies_say_so() {
        let refused = Completion {
            refusal: Some("I can't help with that.".into()),
            ..Completion::default()
        };
        let spec = JudgeSpec::builtin("model-graded-fact").unwrap();
        assert_eq!(
            read(spec.reader(), &refused),
            Judgement::Unjudged(Unjudged::Refusal)
        );
        let cut = Completion {
            content: "Let me compare the two answers step by".into(),
            finish_reason: Some("length".into()),
            ..Completion::default()
        };
        assert_eq!(
            read(spec.reader(), &cut),
            Judgement::Unjudged(Unjudged::Truncated)
        );
    }

    #[test]
    fn json_verdicts_need_a_boolean() {
        let reader = VerdictReader::Json {
            field: "criteria_met".into(),
        };
        let read_text = |text: &str| read(&reader, &reply(text));
        assert_eq!(
            read_text("```json\n{\"explanation\": \"ok\", \"criteria_met\": true}\n```"),
            Judgement::Met
        );
        assert_eq!(read_text("{\"criteria_met\": false}"), Judgement::NotMet);
        for bad in [
            "{\"criteria_met\": \"true\"}",
            "{\"criteria_met\": 1}",
            "{\"explanation\": \"x\"}",
            "{\"criteria_met\": tru",
            "no json here",
        ] {
            assert_eq!(
                read_text(bad),
                Judgement::Unjudged(Unjudged::BadJson),
                "{bad}"
            );
        }
    }
}
