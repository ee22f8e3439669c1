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
use crate::outcomes::{Clusters, RunOutcomes};
use crate::policy::{NonJudgementCounts, NonJudgementPolicy};
use crate::proportion::{clopper_pearson, wald, wald_standard_error, wilson};

/// How to compute the confidence interval of an accuracy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CiMethod {
    /// Wilson score interval (items independent). The default.
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
    pub fn is_clustered(&self) -> bool {
        matches!(self, Self::ClusterRobust | Self::ClusterBootstrap(_))
    }

    /// The name recorded in results.
    pub fn name(&self) -> CiMethodName {
        match self {
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
    /// How the interval was computed.
    pub ci_method: CiMethodName,
    /// The interval, [lower, upper], within [0, 1].
    pub ci: [f64; 2],
    /// Standard error of the accuracy: √(p̂(1-p̂)/n) for Wilson, Clopper-Pearson and Wald; the
    /// cluster-robust one for `cluster_robust`; the standard deviation of the replicates for
    /// the bootstraps.
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
/// cluster of its own (recorded as `unkeyed_items`). Errors when no item is left, when a cluster
/// method meets fewer than two clusters, or when a bootstrap has fewer than two units.
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
    let mut bootstrap_record = None;
    let (ci, standard_error) = match method {
        CiMethod::Wilson => (
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
    Ok(AccuracyEstimate {
        policy: run.policy(),
        non_judgements: run.non_judgements(),
        excluded: run.excluded(),
        n,
        correct,
        accuracy: correct as f64 / n as f64,
        confidence,
        ci_method: method.name(),
        ci,
        standard_error,
        clusters: (run.clusters().is_some() || method.is_clustered()).then_some(cluster_summary),
        bootstrap: bootstrap_record,
    })
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
    fn cluster_methods_report_clusters_and_refuse_a_single_cluster() {
        let items = [
            (C, Some("a")),
            (C, Some("a")),
            (W, Some("b")),
            (C, Some("c")),
        ];
        let clustered = RunOutcomes::clustered(items, NonJudgementPolicy::Exclude);
        let estimate = estimate_accuracy(&clustered, CiMethod::ClusterRobust, 0.95).unwrap();
        let summary = estimate.clusters.unwrap();
        assert_eq!(summary.clusters, 3);
        assert!(summary.design_effect.is_some());
        let one = RunOutcomes::clustered([(C, Some(1)), (W, Some(1))], NonJudgementPolicy::Exclude);
        assert!(matches!(
            estimate_accuracy(&one, CiMethod::ClusterRobust, 0.95),
            Err(StatsError::TooFewUnits { found: 1, .. })
        ));
        // Non-cluster methods still work on one cluster, and say the design effect is unknown.
        let wilson = estimate_accuracy(&one, CiMethod::Wilson, 0.95).unwrap();
        assert_eq!(wilson.clusters.unwrap().design_effect, None);
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
