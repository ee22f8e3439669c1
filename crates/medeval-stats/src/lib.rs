//! Statistics that settle comparisons between evaluation runs.
//!
//! Leaderboards print one accuracy per model with no uncertainty, compare models with unpaired
//! tests or not at all, and ignore that many questions share one image. This crate provides the
//! statistics `medeval show --ci`, `medeval compare` and `medeval power` report, as pure
//! functions with no I/O:
//!
//! - intervals for one run's accuracy ([`estimate_accuracy`]): Wilson, Clopper-Pearson, Wald,
//!   cluster-robust (with design effect), percentile and cluster bootstrap, and the cluster bound
//!   that replaces the cluster methods when clusters are too few ([`MIN_CLUSTERS`]);
//! - paired comparison of two runs on the items both answered ([`compare`]): McNemar (exact for
//!   few discordant pairs), paired or cluster-paired bootstrap, and the discordant items;
//! - many comparisons: [`holm`] and [`benjamini_hochberg`] adjusted p-values, and bootstrap
//!   intervals for leaderboard ranks ([`rank_intervals`]);
//! - planning: [`items_needed`], [`minimum_detectable_effect`] and [`power_at`];
//! - repeated sampling, k answers per item ([`summarize_repeated`]);
//! - agreement between raters, a judge and people or two judges ([`cohen_kappa`],
//!   [`krippendorff_alpha`], [`binary_agreement`]);
//! - fairness across patient groups: the accuracy gap and ratio between the best and worst
//!   group ([`accuracy_gap`]) and a test of equal accuracy ([`test_equal_accuracy`]).
//!
//! Two rules hold throughout. Outcomes that are not judgements (`unparsed`, `refused`, `error`)
//! enter every statistic by a [`NonJudgementPolicy`] the caller chooses, and every result carries
//! that policy and the counts it applied to. And no statistic returns NaN or panics on user data:
//! an undefined quantity is an error ([`StatsError`]) or an explicit `None`. Bootstrap results are
//! reproducible bit for bit from the recorded seed and replicate count, on any platform and any
//! number of threads (see [`rng`]). Definitions and conventions are written out in
//! `docs/statistics.md`.

mod accuracy;
mod agreement;
mod bootstrap;
mod cluster;
mod error;
mod fairness;
mod few_clusters;
mod multiple;
mod outcomes;
mod paired;
mod policy;
mod power;
mod proportion;
mod ranks;
mod repeated;
pub mod rng;
pub mod special;

pub use accuracy::{
    AccuracyEstimate, CiMethod, CiMethodName, ClusterSummary, accuracy_replicates,
    estimate_accuracy,
};
pub use agreement::{
    AlphaLevel, BinaryAgreement, balanced_f1, binary_agreement, cohen_kappa, krippendorff_alpha,
};
pub use bootstrap::{
    Bootstrap, BootstrapRecord, DEFAULT_REPLICATES, DEFAULT_SEED, Resampled, percentile_interval,
    quantile_sorted,
};
pub use cluster::{ClusterRobustMean, cluster_robust_mean};
pub use error::{Result, StatsError};
pub use fairness::{
    AccuracyGap, ChiSquare, DEFAULT_PERMUTATIONS, EqualityTest, EqualityTestMethod, GroupedOutcome,
    MIN_EXPECTED_COUNT, PermutationTest, Permutations, accuracy_gap, chi_square_sf,
    pearson_chi_square, permutation_chi_square, test_equal_accuracy,
};
pub use few_clusters::{
    CiFallback, ClusterBound, FallbackReason, MIN_CLUSTERS, cluster_bound, worst_case_n,
};
pub use multiple::{apply_holm, benjamini_hochberg, holm};
pub use outcomes::{Clusters, Discordant, PairedExclusions, PairedOutcomes, Record, RunOutcomes};
pub use paired::{
    CompareOptions, DiffCiMethod, MCNEMAR_EXACT_BELOW, McNemar, McNemarMethod, PairedComparison,
    compare, difference_replicates, mcnemar, mcnemar_chi_square, mcnemar_exact,
};
pub use policy::{NonJudgementCounts, NonJudgementPolicy};
pub use power::{
    DetectableEffectPlan, Discordance, PowerDesign, PowerMethod, SampleSizePlan, items_needed,
    minimum_detectable_effect, power_at,
};
pub use proportion::{clopper_pearson, wald, wald_standard_error, wilson};
pub use ranks::{Leaderboard, LeaderboardExclusions, RankEntry, RankReport, rank_intervals};
pub use repeated::{RepeatedItem, RepeatedSummary, SampledAnswer, TieRule, summarize_repeated};
