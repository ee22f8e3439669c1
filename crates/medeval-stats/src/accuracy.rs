//! One run's accuracy with a confidence interval, by the method the user picks.
//!
//! This is what `medeval show --ci` prints for every number: the count, the accuracy, the
//! interval and everything needed to read it (method, level, policy on non-judgements, clusters
//! and design effect, bootstrap seed and replicates).

use serde::{Deserialize, Serialize};

use crate::bootstrap::{
    Bootstrap, BootstrapRecord, Resampled, Units, percentile_interval, standard_deviation,
};
use crate::cluster::cluster_robust_mean;
use crate::error::{Result, StatsError, check_confidence};
use crate::few_clusters::{CiFallback, FallbackReason, MIN_CLUSTERS, cluster_bound};
use crate::outcomes::{Clusters, RunOutcomes};
use crate::policy::{NonJudgementCounts, NonJudgementPolicy};
use crate::proportion::{clopper_pearson, wald, wald_standard_error, wilson};

/// How to compute the confidence interval of an accuracy.
///
/// The cluster methods need enough clusters: below [`MIN_CLUSTERS`], or when they would give an
/// interval of zero width, [`estimate_accuracy`] uses the cluster bound instead and records it
/// (see [`crate::CiFallback`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CiMethod {
    /// Cluster-robust when the run's items carry cluster keys, Wilson otherwise: what
    /// `medeval show` and `medeval table` use unless told otherwise, so that one run gets one
    /// interval everywhere.
    Auto,
    /// Wilson score interval (items independent).
    Wilson,
    /// Clopper-Pearson exact interval (items independent).
    ClopperPearson,
    /// Wald interval p̂ ± z·SE (items independent).
    Wald,
    /// Cluster-robust standard error with C/(C-1) correction, interval with t(C-1).
    ClusterRobust,
    /// Percentile bootstrap over items.
    Bootstrap(Bootstrap),
    /// Percentile bootstrap over whole clusters.
    ClusterBootstrap(Bootstrap),
}

impl CiMethod {
    /// Whether the method uses the run's clusters (a run without keys counts as all singletons).
    /// `Auto` is not: it uses them only when the run has keys (see [`CiMethod::resolve`]).
    pub fn is_clustered(&self) -> bool {
        matches!(self, Self::ClusterRobust | Self::ClusterBootstrap(_))
    }

    /// The method `Auto` stands for on data whose items carry cluster keys (`keyed`) or not;
    /// every other method is itself.
    pub fn resolve(self, keyed: bool) -> CiMethod {
        match self {
            Self::Auto if keyed => Self::ClusterRobust,
            Self::Auto => Self::Wilson,
            other => other,
        }
    }

    /// The name recorded in results.
    pub fn name(&self) -> CiMethodName {
        match self {
            Self::Auto => CiMethodName::Auto,
            Self::Wilson => CiMethodName::Wilson,
            Self::ClopperPearson => CiMethodName::ClopperPearson,
            Self::Wald => CiMethodName::Wald,
            Self::ClusterRobust => CiMethodName::ClusterRobust,
            Self::Bootstrap(_) => CiMethodName::Bootstrap,
            Self::ClusterBootstrap(_) => CiMethodName::ClusterBootstrap,
        }
    }
}

/// The name of a [`CiMethod`] as recorded in results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CiMethodName {
    /// See [`CiMethod::Auto`]: a request, never the method of a computed interval.
    Auto,
    /// See [`CiMethod::Wilson`].
    Wilson,
    /// See [`CiMethod::ClopperPearson`].
    ClopperPearson,
    /// See [`CiMethod::Wald`].
    Wald,
    /// See [`CiMethod::ClusterRobust`].
    ClusterRobust,
    /// See [`CiMethod::Bootstrap`].
    Bootstrap,
    /// See [`CiMethod::ClusterBootstrap`].
    ClusterBootstrap,
    /// Wilson's interval at the worst-case effective sample size n²/Σ m_g²: what a cluster
    /// method becomes with too few clusters (see [`crate::CiFallback`]).
    WilsonClusterBound,
}

impl CiMethodName {
    /// The name as tables print it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Auto => "auto",
            Self::Wilson => "Wilson",
            Self::ClopperPearson => "Clopper-Pearson",
            Self::Wald => "Wald",
            Self::ClusterRobust => "cluster-robust",
            Self::Bootstrap => "bootstrap",
            Self::ClusterBootstrap => "cluster bootstrap",
            Self::WilsonClusterBound => "Wilson, cluster bound",
        }
    }
}

/// The clustering of a run's items and what it costs in precision.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ClusterSummary {
    /// Number of clusters.
    pub clusters: usize,
    /// Items without a cluster key (each counted as a cluster of its own).
    pub unkeyed_items: usize,
    /// Cluster-robust variance over simple-random-sampling variance; `None` with fewer than two
    /// clusters or when every item has the same outcome.
    pub design_effect: Option<f64>,
    /// n / design effect; `None` when the design effect is undefined or 0.
    pub effective_n: Option<f64>,
}

/// One run's accuracy with its interval and everything needed to read it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccuracyEstimate {
    /// The policy non-judgements were handled under.
    pub policy: NonJudgementPolicy,
    /// Non-judgements by kind (left out or counted as wrong, per `policy`).
    pub non_judgements: NonJudgementCounts,
    /// Items left out of the statistic (non-zero only when `policy` is `exclude`).
    pub excluded: u64,
    /// Items the accuracy is computed on.
    pub n: u64,
    /// Items counted as correct.
    pub correct: u64,
    /// correct / n.
    pub accuracy: f64,
    /// The interval's confidence level (e.g. 0.95).
    pub confidence: f64,
    /// How the interval was computed: the method asked for (`Auto` resolved), or
    /// `wilson_cluster_bound` when a cluster method had too few clusters (`ci_fallback` says
    /// why).
    pub ci_method: CiMethodName,
    /// Set when the cluster method asked for was replaced by the cluster bound.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ci_fallback: Option<CiFallback>,
    /// The interval, [lower, upper], within [0, 1].
    pub ci: [f64; 2],
    /// Standard error of the accuracy: √(p̂(1-p̂)/n) for Wilson, Clopper-Pearson and Wald; the
    /// cluster-robust one for `cluster_robust`; the standard deviation of the replicates for
    /// the bootstraps; the largest the clustering allows, √(p̂(1-p̂)/n_w), for the cluster bound.
    pub standard_error: f64,
    /// Clusters and design effect, when the run has cluster keys or the method is a cluster
    /// method (then a run without keys shows as `unkeyed_items` = n singleton clusters).
    pub clusters: Option<ClusterSummary>,
    /// Seed, replicates and resampled units, for the bootstrap methods.
    pub bootstrap: Option<BootstrapRecord>,
}

/// The accuracy of `run` with a `confidence` interval (e.g. 0.95) by `method`.
///
/// The cluster methods use the run's cluster keys; a run built without keys has every item in a
/// cluster of its own (recorded as `unkeyed_items`). With fewer than [`MIN_CLUSTERS`] clusters,
/// or when a cluster method's interval has zero width, the interval is the cluster bound instead
/// and `ci_fallback` says so. Errors when no item is left or when the item bootstrap has fewer
/// than two items.
pub fn estimate_accuracy(
    run: &RunOutcomes,
    method: CiMethod,
    confidence: f64,
) -> Result<AccuracyEstimate> {
    check_confidence(confidence)?;
    let (n, correct) = (run.n(), run.correct());
    if n == 0 {
        return Err(StatsError::NoItems {
            statistic: "accuracy",
            excluded: run.excluded(),
        });
    }
    let values: Vec<i8> = run.judgements().iter().map(|&c| i8::from(c)).collect();
    let singletons;
    let clusters = match run.clusters() {
        Some(clusters) => clusters,
        None => {
            singletons = Clusters::singletons(values.len());
            &singletons
        }
    };
    let cluster_summary = summarize_clusters(&values, clusters);
    let method = method.resolve(run.clusters().is_some());
    let mut bootstrap_record = None;
    let mut ci_method = method.name();
    let mut ci_fallback = None;
    let accuracy = correct as f64 / n as f64;
    let too_few = method.is_clustered() && clusters.count() < MIN_CLUSTERS;
    let (ci, standard_error) = match method {
        _ if too_few => {
            let (fallback, interval) = fall_back(
                method,
                FallbackReason::TooFewClusters,
                accuracy,
                clusters,
                confidence,
            )?;
            ci_method = CiMethodName::WilsonClusterBound;
            ci_fallback = Some(fallback);
            interval
        }
        // `resolve` never returns `Auto`.
        CiMethod::Wilson | CiMethod::Auto => (
            wilson(correct, n, confidence)?,
            wald_standard_error(correct, n)?,
        ),
        CiMethod::ClopperPearson => (
            clopper_pearson(correct, n, confidence)?,
            wald_standard_error(correct, n)?,
        ),
        CiMethod::Wald => (
            wald(correct, n, confidence)?,
            wald_standard_error(correct, n)?,
        ),
        CiMethod::ClusterRobust => {
            let floats: Vec<f64> = values.iter().map(|&v| f64::from(v)).collect();
            let robust = cluster_robust_mean(&floats, clusters)?;
            let [lower, upper] = robust.interval(confidence)?;
            ([lower.max(0.0), upper.min(1.0)], robust.standard_error)
        }
        CiMethod::Bootstrap(bootstrap) => {
            let units = Units::items(&values)?;
            bootstrap_record = Some(units.record(&bootstrap));
            bootstrap_interval(&units, &bootstrap, confidence)?
        }
        CiMethod::ClusterBootstrap(bootstrap) => {
            let units = Units::clusters(&values, clusters)?;
            bootstrap_record = Some(units.record(&bootstrap));
            bootstrap_interval(&units, &bootstrap, confidence)?
        }
    };
    let (ci, standard_error) = if method.is_clustered() && !too_few && ci[0] >= ci[1] {
        let (fallback, interval) = fall_back(
            method,
            FallbackReason::ZeroWidth,
            accuracy,
            clusters,
            confidence,
        )?;
        ci_method = CiMethodName::WilsonClusterBound;
        ci_fallback = Some(fallback);
        bootstrap_record = None;
        interval
    } else {
        (ci, standard_error)
    };
    Ok(AccuracyEstimate {
        policy: run.policy(),
        non_judgements: run.non_judgements(),
        excluded: run.excluded(),
        n,
        correct,
        accuracy,
        confidence,
        ci_method,
        ci_fallback,
        ci,
        standard_error,
        clusters: (run.clusters().is_some() || method.is_clustered()).then_some(cluster_summary),
        bootstrap: bootstrap_record,
    })
}

/// The cluster bound replacing a cluster `method`, and the record saying so.
fn fall_back(
    method: CiMethod,
    reason: FallbackReason,
    accuracy: f64,
    clusters: &Clusters,
    confidence: f64,
) -> Result<(CiFallback, ([f64; 2], f64))> {
    let bound = cluster_bound(accuracy, clusters, confidence)?.ok_or(StatsError::NoItems {
        statistic: "cluster bound",
        excluded: 0,
    })?;
    Ok((
        CiFallback {
            from: method.name(),
            reason,
            clusters: clusters.count(),
            minimum_clusters: MIN_CLUSTERS,
            worst_case_n: bound.worst_case_n,
        },
        (bound.interval, bound.standard_error),
    ))
}

/// The bootstrap replicates of `run`'s accuracy, in replicate order, resampling items or (with
/// `resampled` = clusters) whole clusters. For plotting a bootstrap distribution, or checking a
/// reported interval: [`estimate_accuracy`] takes its percentiles from exactly these values.
pub fn accuracy_replicates(
    run: &RunOutcomes,
    bootstrap: &Bootstrap,
    resampled: Resampled,
) -> Result<Vec<f64>> {
    if run.n() == 0 {
        return Err(StatsError::NoItems {
            statistic: "bootstrap",
            excluded: run.excluded(),
        });
    }
    let values: Vec<i8> = run.judgements().iter().map(|&c| i8::from(c)).collect();
    let units = match resampled {
        Resampled::Items => Units::items(&values)?,
        Resampled::Clusters => match run.clusters() {
            Some(clusters) => Units::clusters(&values, clusters)?,
            None => Units::clusters(&values, &Clusters::singletons(values.len()))?,
        },
    };
    units.replicates(bootstrap, "bootstrap")
}

fn bootstrap_interval(
    units: &Units,
    bootstrap: &Bootstrap,
    confidence: f64,
) -> Result<([f64; 2], f64)> {
    let mut replicates = units.replicates(bootstrap, "bootstrap interval")?;
    let standard_error = standard_deviation(&replicates);
    Ok((
        percentile_interval(&mut replicates, confidence),
        standard_error,
    ))
}

fn summarize_clusters(values: &[i8], clusters: &Clusters) -> ClusterSummary {
    let floats: Vec<f64> = values.iter().map(|&v| f64::from(v)).collect();
    let robust = cluster_robust_mean(&floats, clusters).ok();
    ClusterSummary {
        clusters: clusters.count(),
        unkeyed_items: clusters.unkeyed(),
        design_effect: robust.and_then(|r| r.design_effect),
        effective_n: robust.and_then(|r| r.effective_n),
    }
}

#[cfg(test)]
mod tests {
    use medeval_core::Outcome::{self, Correct as C, Error as E, Wrong as W};

    use super::*;
    use crate::few_clusters::FallbackReason;

    fn run(outcomes: &[Outcome], policy: NonJudgementPolicy) -> RunOutcomes {
        RunOutcomes::new(outcomes.iter().copied(), policy)
    }

    #[test]
    fn the_policy_changes_the_denominator_and_is_recorded() {
        let outcomes = [C, C, W, E];
        let excluded = estimate_accuracy(
            &run(&outcomes, NonJudgementPolicy::Exclude),
            CiMethod::Wilson,
            0.95,
        )
        .unwrap();
        assert_eq!((excluded.n, excluded.correct, excluded.excluded), (3, 2, 1));
        assert!((excluded.accuracy - 2.0 / 3.0).abs() < 1e-15);
        let counted = estimate_accuracy(
            &run(&outcomes, NonJudgementPolicy::CountAsWrong),
            CiMethod::Wilson,
            0.95,
        )
        .unwrap();
        assert_eq!((counted.n, counted.excluded), (4, 0));
        assert_eq!(counted.accuracy, 0.5);
        let json = serde_json::to_value(&counted).unwrap();
        assert_eq!(json["policy"], "count_as_wrong");
        assert_eq!(json["non_judgements"]["error"], 1);
        assert_eq!(json["ci_method"], "wilson");
        assert!(json["clusters"].is_null());
    }

    #[test]
    fn no_items_left_is_an_error_naming_the_exclusions() {
        let err = estimate_accuracy(
            &run(&[E, E], NonJudgementPolicy::Exclude),
            CiMethod::Wald,
            0.95,
        )
        .unwrap_err();
        assert_eq!(
            err,
            StatsError::NoItems {
                statistic: "accuracy",
                excluded: 2
            }
        );
    }

    #[test]
    fn all_correct_gives_a_one_sided_wilson_interval_and_a_degenerate_bootstrap() {
        let all = run(&[C; 30], NonJudgementPolicy::Exclude);
        let wilson = estimate_accuracy(&all, CiMethod::Wilson, 0.95).unwrap();
        assert_eq!(wilson.ci[1], 1.0);
        assert!(wilson.ci[0] < 0.9);
        let boot =
            estimate_accuracy(&all, CiMethod::Bootstrap(Bootstrap::default()), 0.95).unwrap();
        assert_eq!(boot.ci, [1.0, 1.0]);
        assert_eq!(boot.standard_error, 0.0);
        assert_eq!(boot.bootstrap.unwrap().replicates, 10_000);
    }

    #[test]
    fn cluster_methods_fall_back_to_the_cluster_bound_with_few_clusters() {
        let items = [
            (C, Some("a")),
            (C, Some("a")),
            (W, Some("b")),
            (C, Some("c")),
        ];
        let clustered = RunOutcomes::clustered(items, NonJudgementPolicy::Exclude);
        for method in [
            CiMethod::ClusterRobust,
            CiMethod::Auto,
            CiMethod::ClusterBootstrap(Bootstrap::default()),
        ] {
            let estimate = estimate_accuracy(&clustered, method, 0.95).unwrap();
            assert_eq!(estimate.ci_method, CiMethodName::WilsonClusterBound);
            let fallback = estimate.ci_fallback.unwrap();
            assert_eq!(fallback.reason, FallbackReason::TooFewClusters);
            assert_eq!((fallback.clusters, fallback.minimum_clusters), (3, 30));
            // Sizes 2, 1, 1: n²/Σm² = 16/6.
            assert!((fallback.worst_case_n - 8.0 / 3.0).abs() < 1e-15);
            assert!(estimate.bootstrap.is_none());
            let summary = estimate.clusters.unwrap();
            assert_eq!(summary.clusters, 3);
            assert!(summary.design_effect.is_some());
        }
        // One cluster, half right: Wilson for one trial, 1/2 ± z/(2√(1+z²)), never an error.
        let one = RunOutcomes::clustered([(C, Some(1)), (W, Some(1))], NonJudgementPolicy::Exclude);
        let bound = estimate_accuracy(&one, CiMethod::ClusterRobust, 0.95).unwrap();
        let z = 1.959_963_984_540_054_f64;
        let half = z / (2.0 * (1.0 + z * z).sqrt());
        assert!((bound.ci[0] - (0.5 - half)).abs() < 1e-15);
        assert!((bound.ci[1] - (0.5 + half)).abs() < 1e-15);
        // Non-cluster methods still work on one cluster, and say the design effect is unknown.
        let wilson = estimate_accuracy(&one, CiMethod::Wilson, 0.95).unwrap();
        assert_eq!(wilson.clusters.unwrap().design_effect, None);
        assert_eq!(wilson.ci_fallback, None);
    }

    #[test]
    fn auto_is_cluster_robust_with_keys_and_wilson_without() {
        // 40 clusters of two items: enough for the sandwich.
        let keyed = RunOutcomes::clustered(
            (0..80).map(|i| (if i % 3 == 0 { W } else { C }, Some(i / 2))),
            NonJudgementPolicy::Exclude,
        );
        let estimate = estimate_accuracy(&keyed, CiMethod::Auto, 0.95).unwrap();
        assert_eq!(estimate.ci_method, CiMethodName::ClusterRobust);
        assert_eq!(estimate.ci_fallback, None);
        let plain = run(&[C, W, C, C], NonJudgementPolicy::Exclude);
        let estimate = estimate_accuracy(&plain, CiMethod::Auto, 0.95).unwrap();
        assert_eq!(estimate.ci_method, CiMethodName::Wilson);
    }

    #[test]
    fn a_zero_width_cluster_interval_is_replaced_by_the_bound() {
        // 30 clusters of two, every item right: the sandwich variance is 0.
        let all_right = RunOutcomes::clustered(
            (0..60).map(|i| (C, Some(i / 2))),
            NonJudgementPolicy::Exclude,
        );
        let estimate = estimate_accuracy(&all_right, CiMethod::ClusterRobust, 0.95).unwrap();
        assert_eq!(estimate.ci_method, CiMethodName::WilsonClusterBound);
        assert_eq!(
            estimate.ci_fallback.unwrap().reason,
            FallbackReason::ZeroWidth
        );
        // Wilson for 30/30: [30/(30+z²), 1].
        let z = 1.959_963_984_540_054_f64;
        assert!((estimate.ci[0] - 30.0 / (30.0 + z * z)).abs() < 1e-14);
        assert_eq!(estimate.ci[1], 1.0);
    }

    #[test]
    fn cluster_methods_on_a_run_without_keys_say_every_item_stood_alone() {
        let plain = run(&[C, W, C, C], NonJudgementPolicy::Exclude);
        let robust = estimate_accuracy(&plain, CiMethod::ClusterRobust, 0.95).unwrap();
        let summary = robust.clusters.unwrap();
        assert_eq!((summary.clusters, summary.unkeyed_items), (4, 4));
        assert!((summary.design_effect.unwrap() - 1.0).abs() < 1e-12);
        assert!(
            estimate_accuracy(&plain, CiMethod::Wilson, 0.95)
                .unwrap()
                .clusters
                .is_none()
        );
    }
}
