//! A paper table's options, apart so `paper` and `paper_reports` need not use each other.

use medeval_stats::NonJudgementPolicy;

/// Which interval each cell gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntervalChoice {
    /// Cluster-robust for runs whose items carry cluster keys, Wilson for the others.
    Auto,
    /// Wilson for every cell.
    Wilson,
    /// Cluster-robust for every cell (items without a key are their own cluster).
    ClusterRobust,
}

/// How cells are computed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PaperOptions {
    /// How `unparsed`, `refused` and `error` enter accuracy.
    pub policy: NonJudgementPolicy,
    /// Interval level.
    pub confidence: f64,
    /// Interval method.
    pub interval: IntervalChoice,
}

impl Default for PaperOptions {
    /// Non-judgements count as wrong, 95% intervals, the method chosen per run.
    fn default() -> Self {
        Self {
            policy: NonJudgementPolicy::CountAsWrong,
            confidence: 0.95,
            interval: IntervalChoice::Auto,
        }
    }
}
