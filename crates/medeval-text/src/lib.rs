//! Report-generation metrics that reproduce the reference implementations, fast.
//!
//! Radiology report generation is scored with n-gram metrics whose numbers only compare when
//! computed the same way, and papers use three toolkits that disagree on tokenisation,
//! smoothing and scale. This crate reproduces each of them as a [`Flavor`]:
//!
//! | flavour | reproduces | metrics | scale |
//! |---|---|---|---|
//! | [`Flavor::Coco`] | pycocoevalcap 1.2 | BLEU-1..4, ROUGE-L, CIDEr-D, METEOR 1.5 (with the jar's data), METEOR exact+stem | 0-1 (CIDEr-D 0-10) |
//! | [`Flavor::Sacrebleu`] | sacrebleu 2.6 `BLEU()` | BLEU (max order 1..4) | 0-100 |
//! | [`Flavor::RougeScore`] | rouge-score 0.1.2 | ROUGE-L, ROUGE-Lsum | 0-1 |
//!
//! Two entry points cover the rest of the workspace:
//!
//! * [`evaluate`] scores a whole corpus of [`Sample`]s in one parallel batch and returns both
//!   corpus-level values (as each toolkit aggregates them) and per-item values;
//! * [`SentenceScorer`] scores one candidate against its references (sentence-level values;
//!   CIDEr-D is corpus-relative and therefore not available there).
//!
//! Every number is reported under a stable key (`bleu`, `bleu-1`, `rouge-l`, `cider-d`,
//! `meteor`, ...) together with the flavour and tokeniser that produced it. Definitions, edge
//! cases and measured agreement are in `docs/report-metrics.md`.

pub mod metrics;
pub mod ngram;
pub mod report;
pub mod samples;
pub mod tokenize;

mod evaluate;

pub use evaluate::{
    Evaluation, ItemScores, METEOR_DATA_MISSING, Metric, Options, SentenceScorer, Unavailable,
    UnsupportedMetric, evaluate, evaluate_with,
};
pub use metrics::meteor::{MeteorData, MeteorDataError};
pub use samples::{InputError, Sample, read_samples};
pub use tokenize::Tokenizer;

use std::fmt;

/// Which reference implementation the numbers reproduce.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Flavor {
    /// pycocoevalcap (the COCO caption toolkit): PTB tokenisation, BLEU-1..4 with `closest`
    /// reference length, ROUGE-L (β = 1.2), CIDEr-D, METEOR 1.5.
    Coco,
    /// sacrebleu's BLEU with its default `exp` smoothing and the given tokeniser.
    Sacrebleu {
        /// `13a` (sacrebleu's default) or `intl`.
        tokenizer: SacreTokenizer,
    },
    /// Google's rouge-score.
    RougeScore {
        /// Porter stemming (`use_stemmer=True`).
        stemmer: bool,
    },
}

/// sacrebleu's tokenisers supported here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SacreTokenizer {
    /// `13a`, sacrebleu's default.
    Thirteen,
    /// `intl`.
    Intl,
}

impl Flavor {
    /// The flavour's name as the CLI accepts it (`coco`, `sacrebleu`, `rouge-score`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Coco => "coco",
            Self::Sacrebleu { .. } => "sacrebleu",
            Self::RougeScore { .. } => "rouge-score",
        }
    }

    /// The tokeniser the flavour applies.
    pub fn tokenizer(self) -> Tokenizer {
        match self {
            Self::Coco => Tokenizer::CocoPtb,
            Self::Sacrebleu {
                tokenizer: SacreTokenizer::Thirteen,
            } => Tokenizer::Sacre13a,
            Self::Sacrebleu {
                tokenizer: SacreTokenizer::Intl,
            } => Tokenizer::SacreIntl,
            Self::RougeScore { stemmer } => Tokenizer::Rouge { stem: stemmer },
        }
    }

    /// The scale the flavour reports on, as the reference tool does.
    pub fn scale(self) -> &'static str {
        match self {
            Self::Coco => "0-1 (cider-d: 0-10)",
            Self::Sacrebleu { .. } => "0-100",
            Self::RougeScore { .. } => "0-1",
        }
    }

    /// The metrics reported when none are named: what the reference toolkit reports (for
    /// `coco`, METEOR 1.5 and not its exact+stem variant).
    pub fn default_metrics(self) -> &'static [Metric] {
        match self {
            Self::Coco => &[Metric::Bleu, Metric::RougeL, Metric::CiderD, Metric::Meteor],
            other => other.metrics(),
        }
    }

    /// The metrics the flavour defines.
    pub fn metrics(self) -> &'static [Metric] {
        match self {
            Self::Coco => &[
                Metric::Bleu,
                Metric::RougeL,
                Metric::CiderD,
                Metric::Meteor,
                Metric::MeteorExactStem,
            ],
            Self::Sacrebleu { .. } => &[Metric::Bleu],
            Self::RougeScore { .. } => &[Metric::RougeL, Metric::RougeLsum],
        }
    }
}

/// A flavour name that [`Flavor::from_str`](std::str::FromStr) does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown flavour {0:?} (known: coco, sacrebleu, sacrebleu-intl, rouge-score, rouge-score-stem)"
)]
pub struct UnknownFlavor(pub String);

impl std::str::FromStr for Flavor {
    type Err = UnknownFlavor;

    /// Parses the names benchmark cards and manifests use: `coco`, `sacrebleu` (13a),
    /// `sacrebleu-intl`, `rouge-score`, `rouge-score-stem`.
    fn from_str(name: &str) -> Result<Self, Self::Err> {
        match name.trim().to_ascii_lowercase().as_str() {
            "coco" => Ok(Self::Coco),
            "sacrebleu" | "sacrebleu-13a" => Ok(Self::Sacrebleu {
                tokenizer: SacreTokenizer::Thirteen,
            }),
            "sacrebleu-intl" => Ok(Self::Sacrebleu {
                tokenizer: SacreTokenizer::Intl,
            }),
            "rouge-score" => Ok(Self::RougeScore { stemmer: false }),
            "rouge-score-stem" => Ok(Self::RougeScore { stemmer: true }),
            _ => Err(UnknownFlavor(name.to_owned())),
        }
    }
}

impl fmt::Display for Flavor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flavour_names_round_trip_through_tokenizer_names() {
        for (name, tokenizer) in [
            ("coco", "ptb-coco"),
            ("sacrebleu", "13a"),
            ("sacrebleu-intl", "intl"),
            ("rouge-score", "rouge-score"),
            ("rouge-score-stem", "rouge-score+porter"),
        ] {
            let flavor: Flavor = name.parse().expect("known flavour");
            assert_eq!(flavor.tokenizer().name(), tokenizer);
        }
        assert!("bleurt".parse::<Flavor>().is_err());
    }
}
