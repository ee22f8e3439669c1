//! What to do with outcomes that are not judgements (`unparsed`, `refused`, `error`).
//!
//! Accuracy moves by whole points depending on whether a run's unreadable answers count as wrong
//! or are left out, and toolkits differ silently on this. Here the caller must choose a
//! [`NonJudgementPolicy`]; every result struct carries the policy it was computed under together
//! with the [`NonJudgementCounts`] it applied to, so the choice always reaches the output.

use std::fmt;

use medeval_core::Outcome;
use serde::{Deserialize, Serialize};

/// How outcomes that are not judgements of the answer enter a statistic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NonJudgementPolicy {
    /// `unparsed`, `refused` and `error` count as wrong answers: the item stays in the
    /// denominator. This is what a user of the model experiences.
    CountAsWrong,
    /// Items with `unparsed`, `refused` or `error` are left out of the statistic (and counted
    /// in the result). This measures the model on the questions it answered.
    Exclude,
}

impl NonJudgementPolicy {
    /// The name used in output (`count_as_wrong`, `exclude`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CountAsWrong => "count_as_wrong",
            Self::Exclude => "exclude",
        }
    }

    /// Parses the name used in output.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "count_as_wrong" => Some(Self::CountAsWrong),
            "exclude" => Some(Self::Exclude),
            _ => None,
        }
    }

    /// The verdict of `outcome` under this policy: `Some(true)` for correct, `Some(false)` for
    /// wrong (including non-judgements counted as wrong), `None` when the item is excluded.
    ///
    /// A `generated` report is excluded under every policy: it is scored by text metrics, and
    /// counting it as a wrong answer would turn a produced report into a failure.
    pub fn judge(self, outcome: Outcome) -> Option<bool> {
        match (outcome, self) {
            (Outcome::Correct, _) => Some(true),
            (Outcome::Wrong, _) => Some(false),
            (Outcome::Generated, _) => None,
            (_, Self::CountAsWrong) => Some(false),
            (_, Self::Exclude) => None,
        }
    }
}

impl fmt::Display for NonJudgementPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How many outcomes were not judgements, by kind. Under [`NonJudgementPolicy::Exclude`] these
/// items were left out; under [`NonJudgementPolicy::CountAsWrong`] they were counted as wrong.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NonJudgementCounts {
    /// Responses with no readable answer.
    pub unparsed: u64,
    /// Responses in which the model declined to answer.
    pub refused: u64,
    /// Requests that got no response.
    pub error: u64,
    /// Reports, which are never judged (absent from output when zero).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub generated: u64,
}

fn is_zero(count: &u64) -> bool {
    *count == 0
}

impl NonJudgementCounts {
    /// Counts `outcome` if it is a non-judgement; returns whether it was one.
    pub fn record(&mut self, outcome: Outcome) -> bool {
        match outcome {
            Outcome::Correct | Outcome::Wrong => return false,
            Outcome::Unparsed => self.unparsed += 1,
            Outcome::Refused => self.refused += 1,
            Outcome::Error => self.error += 1,
            Outcome::Generated => self.generated += 1,
        }
        true
    }

    /// All non-judgements together.
    pub fn total(&self) -> u64 {
        self.unparsed + self.refused + self.error + self.generated
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies_judge_non_judgements_as_documented() {
        for outcome in [Outcome::Unparsed, Outcome::Refused, Outcome::Error] {
            assert_eq!(NonJudgementPolicy::CountAsWrong.judge(outcome), Some(false));
            assert_eq!(NonJudgementPolicy::Exclude.judge(outcome), None);
        }
        assert_eq!(
            NonJudgementPolicy::CountAsWrong.judge(Outcome::Generated),
            None
        );
        assert_eq!(NonJudgementPolicy::Exclude.judge(Outcome::Generated), None);
        for policy in [
            NonJudgementPolicy::CountAsWrong,
            NonJudgementPolicy::Exclude,
        ] {
            assert_eq!(policy.judge(Outcome::Correct), Some(true));
            assert_eq!(policy.judge(Outcome::Wrong), Some(false));
            assert_eq!(NonJudgementPolicy::parse(policy.as_str()), Some(policy));
            assert_eq!(
                serde_json::to_string(&policy).unwrap(),
                format!("\"{policy}\"")
            );
        }
    }

    #[test]
    fn counts_record_only_non_judgements() {
        let mut counts = NonJudgementCounts::default();
        for outcome in medeval_core::Outcome::ALL {
            counts.record(outcome);
        }
        counts.record(Outcome::Error);
        assert_eq!(
            counts,
            NonJudgementCounts {
                unparsed: 1,
                refused: 1,
                error: 2,
                generated: 1,
            }
        );
        assert_eq!(counts.total(), 5);
    }
}
