//! Outcomes: what a scorer concluded about one response.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// The verdict on one sample. Every item of a run ends with exactly one.
///
/// Only `Correct` and `Wrong` are judgements of the model's answer; `Unparsed`, `Refused` and
/// `Error` say that no judgement was possible, and reports count them separately rather than
/// folding them silently into accuracy. `Generated` is the outcome of a free-text report: it is
/// scored against its reference by corpus text metrics, never judged right or wrong, and never
/// enters an accuracy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// The extracted answer matches the gold answer.
    Correct,
    /// An answer was extracted and it does not match.
    Wrong,
    /// The response held no answer the rules could read. Never replaced by a guess.
    Unparsed,
    /// The model declined to answer.
    Refused,
    /// No response was obtained (transport failure, server error, retries exhausted).
    Error,
    /// A report was produced (answer type `report`); text metrics score it, not a verdict.
    Generated,
}

impl Outcome {
    /// Every outcome, in the order reports list them.
    pub const ALL: [Outcome; 6] = [
        Self::Correct,
        Self::Wrong,
        Self::Unparsed,
        Self::Refused,
        Self::Error,
        Self::Generated,
    ];

    /// The outcomes of a sample scored against a gold answer (every outcome but `Generated`):
    /// the columns of accuracy tables.
    pub const ANSWERED: [Outcome; 5] = [
        Self::Correct,
        Self::Wrong,
        Self::Unparsed,
        Self::Refused,
        Self::Error,
    ];

    /// The lowercase name used in files and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Correct => "correct",
            Self::Wrong => "wrong",
            Self::Unparsed => "unparsed",
            Self::Refused => "refused",
            Self::Error => "error",
            Self::Generated => "generated",
        }
    }

    /// Parses the lowercase name.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.as_str() == name)
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Per-outcome counts, holding every outcome (zero when absent).
///
/// Serialised as an object with the five [`Outcome::ANSWERED`] keys always present and
/// `generated` only when non-zero, so files of runs without reports keep their shape.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OutcomeCounts([u64; 6]);

impl OutcomeCounts {
    /// Adds one sample with `outcome`.
    pub fn add(&mut self, outcome: Outcome) {
        self.0[outcome as usize] += 1;
    }

    /// The count for `outcome`.
    pub fn get(&self, outcome: Outcome) -> u64 {
        self.0[outcome as usize]
    }

    /// Total number of samples counted.
    pub fn total(&self) -> u64 {
        self.0.iter().sum()
    }

    /// `(outcome, count)` pairs in report order.
    pub fn iter(&self) -> impl Iterator<Item = (Outcome, u64)> + '_ {
        Outcome::ALL.into_iter().map(|o| (o, self.get(o)))
    }
}

impl FromIterator<Outcome> for OutcomeCounts {
    fn from_iter<I: IntoIterator<Item = Outcome>>(iter: I) -> Self {
        let mut counts = Self::default();
        for outcome in iter {
            counts.add(outcome);
        }
        counts
    }
}

impl Serialize for OutcomeCounts {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let generated = self.get(Outcome::Generated);
        let mut map = serializer.serialize_map(Some(5 + usize::from(generated > 0)))?;
        for outcome in Outcome::ANSWERED {
            map.serialize_entry(outcome.as_str(), &self.get(outcome))?;
        }
        if generated > 0 {
            map.serialize_entry(Outcome::Generated.as_str(), &generated)?;
        }
        map.end()
    }
}

/// The scorer's full account of one response: the verdict, what it read, and which rule read it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scored {
    /// The verdict.
    pub outcome: Outcome,
    /// The answer the rules extracted (a letter, `yes`/`no`, or normalised text), if any.
    pub extracted: Option<String>,
    /// Name of the extraction rule that fired (or why none did), for audit.
    pub rule: String,
    /// Extra metric values for this sample (token F1 for open answers, BLEU for reports ...).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub metrics: BTreeMap<String, f64>,
}

impl Scored {
    /// A verdict with no extra metrics.
    pub fn new(outcome: Outcome, extracted: Option<String>, rule: impl Into<String>) -> Self {
        Self {
            outcome,
            extracted,
            rule: rule.into(),
            metrics: BTreeMap::new(),
        }
    }

    /// The verdict for a sample whose request failed: no response to read.
    pub fn error(reason: impl Into<String>) -> Self {
        Self::new(Outcome::Error, None, reason)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_hold_every_outcome() {
        let counts: OutcomeCounts = [Outcome::Correct, Outcome::Correct, Outcome::Error]
            .into_iter()
            .collect();
        assert_eq!(counts.total(), 3);
        assert_eq!(counts.get(Outcome::Correct), 2);
        assert_eq!(counts.get(Outcome::Unparsed), 0);
        assert_eq!(
            serde_json::to_string(&counts).unwrap(),
            r#"{"correct":2,"wrong":0,"unparsed":0,"refused":0,"error":1}"#
        );
        let with_report: OutcomeCounts = [Outcome::Generated, Outcome::Error].into_iter().collect();
        assert_eq!(
            serde_json::to_string(&with_report).unwrap(),
            r#"{"correct":0,"wrong":0,"unparsed":0,"refused":0,"error":1,"generated":1}"#
        );
    }

    #[test]
    fn outcome_names_round_trip() {
        for outcome in Outcome::ALL {
            assert_eq!(Outcome::parse(outcome.as_str()), Some(outcome));
            let json = serde_json::to_string(&outcome).unwrap();
            assert_eq!(json, format!("\"{outcome}\""));
        }
    }
}
