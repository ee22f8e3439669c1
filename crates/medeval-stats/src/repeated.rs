//! Repeated sampling: k answers per item (temperature > 0).
//!
//! With sampling on, one run is k draws per item, and the interesting numbers are the mean
//! accuracy, how much answers to the same item vary (within-item variance), and the accuracy of
//! the majority (plurality) vote. Samples of one item are not independent evidence, so intervals
//! are clustered by item (or by the item's own cluster key, an image shared by several items,
//! which nests the items).
//!
//! Definitions, for item i with kᵢ judged samples of which cᵢ are correct:
//!
//! - mean accuracy = mean over items of cᵢ/kᵢ (each item weighs the same; with equal k this is
//!   also the mean over samples);
//! - within-item variance = mean, over items with kᵢ ≥ 2, of the unbiased sample variance of the
//!   item's 0/1 outcomes, cᵢ(kᵢ - cᵢ) / (kᵢ(kᵢ - 1));
//! - any correct: the share of items with at least one correct sample (pass@k with each item's
//!   kᵢ samples);
//! - majority vote: the samples' answers are grouped (all correct samples form one group, as they
//!   all match the gold answer; wrong samples group by their extracted answer, and a wrong sample
//!   without one stands alone; under `count_as_wrong`, an item's non-judgements form one wrong
//!   "no answer" group) and the largest group wins. A tie between largest groups is settled by
//!   the caller's [`TieRule`].

use std::collections::HashMap;

use medeval_core::Outcome;
use serde::{Deserialize, Serialize};

use crate::accuracy::CiMethodName;
use crate::cluster::cluster_robust_mean;
use crate::error::{Result, StatsError, check_confidence};
use crate::few_clusters::{CiFallback, FallbackReason, MIN_CLUSTERS, cluster_bound, worst_case_n};
use crate::outcomes::Clusters;
use crate::policy::{NonJudgementCounts, NonJudgementPolicy};

/// How a tie between the largest answer groups counts in the majority vote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TieRule {
    /// A tied vote counts as wrong (a system must commit to one answer).
    Wrong,
    /// A tied vote earns the share of tied groups that are correct (the expected accuracy of
    /// breaking the tie uniformly at random): 1/2 for a correct-versus-wrong tie.
    SplitCredit,
}

/// One sampled answer to an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SampledAnswer<'a> {
    /// The sample's outcome.
    pub outcome: Outcome,
    /// The extracted answer (normalised by the scorer), used to group wrong answers in the vote.
    pub answer: Option<&'a str>,
}

/// One item's samples with its cluster key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepeatedItem<'a> {
    /// The k samples.
    pub samples: Vec<SampledAnswer<'a>>,
    /// The item's cluster key (image, study); `None` clusters by the item alone.
    pub cluster: Option<&'a str>,
}

/// Accuracy statistics of a run with several samples per item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RepeatedSummary {
    /// The policy non-judgements were handled under.
    pub policy: NonJudgementPolicy,
    /// How majority-vote ties were counted.
    pub tie_rule: TieRule,
    /// Confidence level of the intervals.
    pub confidence: f64,
    /// Items with at least one judged sample (the statistics' n).
    pub n_items: u64,
    /// Items left out because none of their samples was judged (under `exclude`).
    pub excluded_items: u64,
    /// Judged samples over all items.
    pub n_samples: u64,
    /// Fewest and most judged samples of an item.
    pub samples_per_item: [u64; 2],
    /// Non-judgement samples by kind.
    pub non_judgements: NonJudgementCounts,
    /// Mean over items of the share of correct samples.
    pub mean_accuracy: f64,
    /// Interval for `mean_accuracy`: cluster-robust by item (or item cluster key), t(C-1).
    pub mean_accuracy_ci: [f64; 2],
    /// Cluster-robust standard error of `mean_accuracy`.
    pub mean_accuracy_se: f64,
    /// Mean unbiased within-item variance of the 0/1 outcomes; `None` when no item has two
    /// judged samples.
    pub within_item_variance: Option<f64>,
    /// Items whose judged samples are not all correct or all wrong.
    pub inconsistent_items: u64,
    /// Accuracy of the plurality vote.
    pub majority_vote_accuracy: f64,
    /// Interval for `majority_vote_accuracy`, clustered like `mean_accuracy_ci`.
    pub majority_vote_ci: [f64; 2],
    /// Items whose vote was a tie.
    pub ties: u64,
    /// Share of items with at least one correct sample (pass@k with each item's k): what a
    /// user who can check k answers and keep a right one would get. Grows with k.
    pub any_correct_accuracy: f64,
    /// Interval for `any_correct_accuracy`, clustered like `mean_accuracy_ci`.
    pub any_correct_ci: [f64; 2],
    /// Number of clusters the intervals use.
    pub clusters: usize,
    /// How the three intervals were computed: `cluster_robust`, or `wilson_cluster_bound` for
    /// all three when the clusters are too few or one of them would have zero width.
    #[serde(default = "cluster_robust_name")]
    pub ci_method: CiMethodName,
    /// Why the intervals are the cluster bound, when they are.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ci_fallback: Option<CiFallback>,
}

fn cluster_robust_name() -> CiMethodName {
    CiMethodName::ClusterRobust
}

/// A mean with its interval and standard error.
struct Interval {
    mean: f64,
    ci: [f64; 2],
    standard_error: f64,
}

/// Why the intervals of `series` (each a value per item) must be the cluster bound: fewer than
/// [`MIN_CLUSTERS`] clusters, or a cluster-robust interval of zero width. `None` when the
/// cluster-robust intervals stand.
fn fallback_reason(
    series: &[&[f64]],
    clusters: &Clusters,
    confidence: f64,
) -> Result<Option<FallbackReason>> {
    if clusters.count() < MIN_CLUSTERS {
        return Ok(Some(FallbackReason::TooFewClusters));
    }
    for values in series {
        let [lower, upper] = robust_interval(values, clusters, confidence)?.ci;
        if lower >= upper {
            return Ok(Some(FallbackReason::ZeroWidth));
        }
    }
    Ok(None)
}

/// The cluster-robust mean of `values` with its t(C-1) interval, clipped to [0, 1].
fn robust_interval(values: &[f64], clusters: &Clusters, confidence: f64) -> Result<Interval> {
    let mean = cluster_robust_mean(values, clusters)?;
    let [lower, upper] = mean.interval(confidence)?;
    Ok(Interval {
        mean: mean.mean,
        ci: [lower.max(0.0), upper.min(1.0)],
        standard_error: mean.standard_error,
    })
}

/// The mean of `values` with the interval `fallback` calls for: the cluster bound when set,
/// cluster-robust otherwise.
fn interval(
    values: &[f64],
    clusters: &Clusters,
    fallback: Option<&CiFallback>,
    confidence: f64,
) -> Result<Interval> {
    if fallback.is_none() {
        return robust_interval(values, clusters, confidence);
    }
    let mean = values.iter().sum::<f64>() / values.len().max(1) as f64;
    let bound = cluster_bound(mean, clusters, confidence)?.ok_or(StatsError::NoItems {
        statistic: "repeated-sampling summary",
        excluded: 0,
    })?;
    Ok(Interval {
        mean,
        ci: bound.interval,
        standard_error: bound.standard_error,
    })
}

/// Summarises a run with repeated samples; `confidence` is the intervals' level (e.g. 0.95).
///
/// Intervals are cluster-robust, or the cluster bound when the items form fewer than
/// [`MIN_CLUSTERS`] clusters (`ci_method` and `ci_fallback` say which). Errors when no item has a
/// judged sample.
pub fn summarize_repeated(
    items: &[RepeatedItem<'_>],
    policy: NonJudgementPolicy,
    tie_rule: TieRule,
    confidence: f64,
) -> Result<RepeatedSummary> {
    check_confidence(confidence)?;
    let mut non_judgements = NonJudgementCounts::default();
    let mut item_accuracies = Vec::with_capacity(items.len());
    let mut votes = Vec::with_capacity(items.len());
    let mut any_correct = Vec::with_capacity(items.len());
    let mut keys = Vec::with_capacity(items.len());
    let mut within_variances = Vec::new();
    let (mut n_samples, mut fewest, mut most) = (0_u64, u64::MAX, 0_u64);
    let (mut excluded_items, mut inconsistent_items, mut ties) = (0_u64, 0_u64, 0_u64);

    for item in items {
        let mut judged = 0_u64;
        let mut correct = 0_u64;
        for sample in &item.samples {
            non_judgements.record(sample.outcome);
            if let Some(verdict) = policy.judge(sample.outcome) {
                judged += 1;
                correct += u64::from(verdict);
            }
        }
        if judged == 0 {
            excluded_items += 1;
            continue;
        }
        n_samples += judged;
        fewest = fewest.min(judged);
        most = most.max(judged);
        item_accuracies.push(correct as f64 / judged as f64);
        any_correct.push(if correct > 0 { 1.0 } else { 0.0 });
        if judged >= 2 {
            within_variances
                .push((correct * (judged - correct)) as f64 / (judged * (judged - 1)) as f64);
        }
        if correct != 0 && correct != judged {
            inconsistent_items += 1;
        }
        let vote = majority_vote(&item.samples, policy);
        if vote.tied_groups > 1 {
            ties += 1;
        }
        votes.push(vote.credit(tie_rule));
        keys.push(item.cluster);
    }

    let n_items = item_accuracies.len() as u64;
    if n_items == 0 {
        return Err(StatsError::NoItems {
            statistic: "repeated-sampling summary",
            excluded: excluded_items,
        });
    }
    let clusters = Clusters::from_keys(keys);
    let series: [&[f64]; 3] = [&item_accuracies, &votes, &any_correct];
    let ci_fallback = fallback_reason(&series, &clusters, confidence)?.map(|reason| CiFallback {
        from: CiMethodName::ClusterRobust,
        reason,
        clusters: clusters.count(),
        minimum_clusters: MIN_CLUSTERS,
        worst_case_n: worst_case_n(&clusters).unwrap_or(0.0),
    });
    let [mean, vote, any] =
        series.map(|values| interval(values, &clusters, ci_fallback.as_ref(), confidence));
    let (mean, vote, any) = (mean?, vote?, any?);
    Ok(RepeatedSummary {
        policy,
        tie_rule,
        confidence,
        n_items,
        excluded_items,
        n_samples,
        samples_per_item: [fewest, most],
        non_judgements,
        mean_accuracy: mean.mean,
        mean_accuracy_ci: mean.ci,
        mean_accuracy_se: mean.standard_error,
        within_item_variance: (!within_variances.is_empty())
            .then(|| within_variances.iter().sum::<f64>() / within_variances.len() as f64),
        inconsistent_items,
        majority_vote_accuracy: vote.mean,
        majority_vote_ci: vote.ci,
        ties,
        any_correct_accuracy: any.mean,
        any_correct_ci: any.ci,
        clusters: clusters.count(),
        ci_method: if ci_fallback.is_some() {
            CiMethodName::WilsonClusterBound
        } else {
            CiMethodName::ClusterRobust
        },
        ci_fallback,
    })
}

/// The outcome of one item's vote.
struct Vote {
    /// How many groups share the largest size.
    tied_groups: usize,
    /// Whether the correct group is among them.
    correct_among_tied: bool,
}

impl Vote {
    fn credit(&self, tie_rule: TieRule) -> f64 {
        match (self.correct_among_tied, self.tied_groups, tie_rule) {
            (false, _, _) => 0.0,
            (true, 1, _) => 1.0,
            (true, _, TieRule::Wrong) => 0.0,
            (true, tied, TieRule::SplitCredit) => 1.0 / tied as f64,
        }
    }
}

/// Groups an item's samples by answer and finds the largest groups.
fn majority_vote(samples: &[SampledAnswer<'_>], policy: NonJudgementPolicy) -> Vote {
    #[derive(PartialEq, Eq, Hash)]
    enum Group<'a> {
        Correct,
        Answer(&'a str),
        Unread(usize),
        NoAnswer,
    }
    let mut sizes: HashMap<Group<'_>, u64> = HashMap::new();
    for (index, sample) in samples.iter().enumerate() {
        let group = match (sample.outcome, sample.answer) {
            (Outcome::Correct, _) => Group::Correct,
            (Outcome::Wrong, Some(answer)) => Group::Answer(answer),
            (Outcome::Wrong, None) => Group::Unread(index),
            (_, _) => match policy {
                NonJudgementPolicy::CountAsWrong => Group::NoAnswer,
                NonJudgementPolicy::Exclude => continue,
            },
        };
        *sizes.entry(group).or_default() += 1;
    }
    let largest = sizes.values().copied().max().unwrap_or(0);
    Vote {
        tied_groups: sizes.values().filter(|&&size| size == largest).count(),
        correct_among_tied: sizes.get(&Group::Correct) == Some(&largest),
    }
}

#[cfg(test)]
mod tests {
    use medeval_core::Outcome::{Correct as C, Error as E, Wrong as W};

    use super::*;

    fn item<'a>(
        samples: &[(Outcome, Option<&'a str>)],
        cluster: Option<&'a str>,
    ) -> RepeatedItem<'a> {
        RepeatedItem {
            samples: samples
                .iter()
                .map(|&(outcome, answer)| SampledAnswer { outcome, answer })
                .collect(),
            cluster,
        }
    }

    #[test]
    fn plurality_beats_a_split_wrong_majority() {
        // 2 correct against 3 wrong answers that disagree: the correct answer is the plurality.
        let samples = [
            (C, Some("A")),
            (C, Some("A")),
            (W, Some("B")),
            (W, Some("C")),
            (W, Some("D")),
        ];
        let items = [item(&samples, None), item(&[(W, Some("B")); 3], None)];
        let summary =
            summarize_repeated(&items, NonJudgementPolicy::Exclude, TieRule::Wrong, 0.95).unwrap();
        assert_eq!(summary.majority_vote_accuracy, 0.5);
        assert!((summary.mean_accuracy - 0.2).abs() < 1e-15);
        // Item 1: 2·3/(5·4) = 0.3; item 2: 0.
        assert!((summary.within_item_variance.unwrap() - 0.15).abs() < 1e-15);
        assert_eq!(summary.inconsistent_items, 1);
        assert_eq!(summary.samples_per_item, [3, 5]);
    }

    #[test]
    fn ties_follow_the_chosen_rule() {
        let tied = [(C, Some("A")), (W, Some("B"))];
        let items = [item(&tied, None), item(&[(C, None), (C, None)], None)];
        let wrong =
            summarize_repeated(&items, NonJudgementPolicy::Exclude, TieRule::Wrong, 0.95).unwrap();
        assert_eq!((wrong.majority_vote_accuracy, wrong.ties), (0.5, 1));
        let split = summarize_repeated(
            &items,
            NonJudgementPolicy::Exclude,
            TieRule::SplitCredit,
            0.95,
        )
        .unwrap();
        assert_eq!(split.majority_vote_accuracy, 0.75);
        assert_eq!(split.tie_rule, TieRule::SplitCredit);
    }

    #[test]
    fn non_judgements_pool_as_one_wrong_answer_or_drop_out() {
        let samples = [(C, Some("A")), (E, None), (E, None)];
        let items = [
            item(&samples, None),
            item(&[(C, None)], None),
            item(&[(E, None)], None),
        ];
        let counted = summarize_repeated(
            &items,
            NonJudgementPolicy::CountAsWrong,
            TieRule::Wrong,
            0.95,
        )
        .unwrap();
        // The two errors outvote the correct sample; the all-error item is wrong.
        assert!((counted.majority_vote_accuracy - 1.0 / 3.0).abs() < 1e-15);
        assert_eq!(counted.n_items, 3);
        assert_eq!(counted.non_judgements.error, 3);
        let excluded =
            summarize_repeated(&items, NonJudgementPolicy::Exclude, TieRule::Wrong, 0.95).unwrap();
        assert_eq!((excluded.n_items, excluded.excluded_items), (2, 1));
        assert_eq!(excluded.majority_vote_accuracy, 1.0);
        assert_eq!(excluded.within_item_variance, None);
    }

    #[test]
    fn one_item_is_one_cluster_and_gets_the_cluster_bound() {
        let items = [item(&[(C, None), (W, None)], None)];
        let summary =
            summarize_repeated(&items, NonJudgementPolicy::Exclude, TieRule::Wrong, 0.95).unwrap();
        assert_eq!(summary.ci_method, CiMethodName::WilsonClusterBound);
        let fallback = summary.ci_fallback.unwrap();
        assert_eq!(fallback.reason, FallbackReason::TooFewClusters);
        assert_eq!((fallback.clusters, fallback.worst_case_n), (1, 1.0));
        // Wilson for one trial, closed forms: p = 1/2 gives 1/2 ± z/(2√(1+z²)); p = 1 gives
        // [1/(1+z²), 1]; p = 0 gives [0, z²/(1+z²)].
        let z = 1.959_963_984_540_054_f64;
        let half = z / (2.0 * (1.0 + z * z).sqrt());
        assert!((summary.mean_accuracy_ci[0] - (0.5 - half)).abs() < 1e-15);
        assert!((summary.mean_accuracy_ci[1] - (0.5 + half)).abs() < 1e-15);
        assert!((summary.any_correct_ci[0] - 1.0 / (1.0 + z * z)).abs() < 1e-15);
        assert_eq!(summary.majority_vote_ci[0], 0.0);
        assert!((summary.majority_vote_ci[1] - z * z / (1.0 + z * z)).abs() < 1e-15);
        assert!(matches!(
            summarize_repeated(&[], NonJudgementPolicy::Exclude, TieRule::Wrong, 0.95),
            Err(StatsError::NoItems { .. })
        ));
    }
}
