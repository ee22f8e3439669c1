//! The statistics flags `compare`, `rank` and `power` share. The runs they read are loaded by
//! [`medeval::runs`].

use medeval_stats::{Bootstrap, NonJudgementPolicy};

use super::values::NonAnswers;

/// Statistics settings shared by `compare`, `rank` and `power`.
#[derive(Debug, Clone, clap::Args)]
pub struct PairedArgs {
    /// How unparsed, refused and error outcomes enter: count-as-wrong (the item stays, as a
    /// wrong answer) or exclude (items where either run has one are left out and counted).
    #[arg(long, value_enum, default_value_t = NonAnswers::CountAsWrong, value_name = "POLICY")]
    pub non_answers: NonAnswers,
    /// Confidence level of intervals.
    #[arg(long, default_value_t = 0.95, value_name = "LEVEL")]
    pub confidence: f64,
    /// Bootstrap replicates.
    #[arg(long, default_value_t = medeval_stats::DEFAULT_REPLICATES, value_name = "N")]
    pub replicates: u32,
    /// Bootstrap seed; recorded in the output.
    #[arg(long, default_value_t = medeval_stats::DEFAULT_SEED, value_name = "SEED")]
    pub bootstrap_seed: u64,
    /// Treat items as independent even when they carry cluster keys (by default whole clusters
    /// are resampled).
    #[arg(long)]
    pub ignore_clusters: bool,
    /// For runs with several samples per item: use this draw (0-based) as the item's outcome.
    #[arg(long, value_name = "N")]
    pub draw: Option<u32>,
}

impl PairedArgs {
    /// The non-judgement policy asked for.
    pub fn policy(&self) -> anyhow::Result<NonJudgementPolicy> {
        Ok(self.non_answers.into())
    }

    /// The bootstrap asked for.
    pub fn bootstrap(&self) -> anyhow::Result<Bootstrap> {
        if self.replicates == 0 {
            anyhow::bail!("--replicates must be at least 1");
        }
        Ok(Bootstrap {
            replicates: self.replicates,
            seed: self.bootstrap_seed,
        })
    }

    /// The confidence level, checked.
    pub fn confidence(&self) -> anyhow::Result<f64> {
        if self.confidence > 0.0 && self.confidence < 1.0 {
            Ok(self.confidence)
        } else {
            anyhow::bail!(
                "--confidence must be between 0 and 1, got {}",
                self.confidence
            )
        }
    }
}
