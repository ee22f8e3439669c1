//! Repeated sampling against `tests/data/repeated.json`: plain numpy for the means and
//! variances, an independent implementation of the documented vote, and statsmodels OLS with
//! cluster-robust errors (samples clustered by item, or by image) for the intervals; the
//! any-correct share and the draw discordance from `tests/data/repeated_extra.json`. Grouped by
//! image the items form fewer than `MIN_CLUSTERS` clusters: there the intervals must be the
//! cluster bound (checked against statsmodels in `tests/cluster.rs`) and say so.

// In tests a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used)]

mod common;

use common::{assert_close, count, number, numbers, reference};
use medeval_core::Outcome;
use medeval_stats::{
    CiMethodName, Clusters, MIN_CLUSTERS, NonJudgementPolicy, RepeatedItem, SampledAnswer, TieRule,
    cluster_bound, summarize_repeated,
};

/// Checks an interval: statsmodels' (clipped to [0, 1]) when the summary kept the cluster-robust
/// intervals, the cluster bound of `mean` when it fell back.
fn check_interval(
    got: [f64; 2],
    mean: f64,
    statsmodels: &[f64],
    bound: Option<&Clusters>,
    context: &str,
) {
    let expected = match bound {
        None => [statsmodels[0].max(0.0), statsmodels[1].min(1.0)],
        Some(clusters) => {
            cluster_bound(mean, clusters, 0.95)
                .unwrap()
                .unwrap()
                .interval
        }
    };
    assert_close(got[0], expected[0], 1e-12, 1e-15, context);
    assert_close(got[1], expected[1], 1e-12, 1e-15, context);
}

#[test]
fn repeated_sampling_matches_the_reference() {
    let data = reference("repeated.json");
    // Any-correct and draw discordance, from bench/stats/make_repeated_extra.py on these items.
    let extra = reference("repeated_extra.json");
    let raw = data["items"].as_array().unwrap();
    for with_images in [false, true] {
        let items: Vec<RepeatedItem<'_>> = raw
            .iter()
            .map(|item| RepeatedItem {
                samples: item["samples"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|sample| SampledAnswer {
                        outcome: Outcome::parse(sample[0].as_str().unwrap()).unwrap(),
                        answer: sample[1].as_str(),
                    })
                    .collect(),
                cluster: if with_images {
                    item["cluster"].as_str()
                } else {
                    None
                },
            })
            .collect();
        let grouping = if with_images { "by_image" } else { "by_item" };
        for (rule, key) in [
            (TieRule::Wrong, "majority_wrong"),
            (TieRule::SplitCredit, "majority_split_credit"),
        ] {
            let summary =
                summarize_repeated(&items, NonJudgementPolicy::Exclude, rule, 0.95).unwrap();
            let context = format!("{key} {grouping}");
            assert_eq!(summary.n_items, raw.len() as u64);
            assert_eq!(summary.samples_per_item, [count(&data["k"]); 2]);
            assert_close(
                summary.mean_accuracy,
                number(&data["mean_accuracy"]),
                1e-14,
                0.0,
                &context,
            );
            assert_close(
                summary.within_item_variance.unwrap(),
                number(&data["within_item_variance"]),
                1e-14,
                0.0,
                &context,
            );
            assert_eq!(
                summary.inconsistent_items,
                count(&data["inconsistent_items"])
            );
            assert_eq!(summary.ties, count(&data["ties"]));
            let clusters =
                Clusters::from_keys(items.iter().enumerate().map(|(i, item)| {
                    Some(item.cluster.map_or(format!("item {i}"), str::to_owned))
                }));
            let bound = (clusters.count() < MIN_CLUSTERS).then_some(&clusters);
            match bound {
                None => assert_eq!(summary.ci_method, CiMethodName::ClusterRobust),
                Some(_) => {
                    assert_eq!(summary.ci_method, CiMethodName::WilsonClusterBound);
                    assert_eq!(summary.ci_fallback.unwrap().clusters, clusters.count());
                }
            }
            let mean = &data[format!("mean_{grouping}")];
            if bound.is_none() {
                assert_close(
                    summary.mean_accuracy_se,
                    number(&mean["standard_error"]),
                    1e-12,
                    0.0,
                    &context,
                );
            }
            check_interval(
                summary.mean_accuracy_ci,
                summary.mean_accuracy,
                &numbers(&mean["ci95"]),
                bound,
                &context,
            );
            assert_close(
                2.0 * summary.within_item_variance.unwrap(),
                number(&extra["draw_discordance"]),
                1e-14,
                0.0,
                &context,
            );
            let any = &extra[format!("any_correct_{grouping}")];
            assert_close(
                summary.any_correct_accuracy,
                number(&any["mean"]),
                1e-14,
                0.0,
                &context,
            );
            check_interval(
                summary.any_correct_ci,
                summary.any_correct_accuracy,
                &numbers(&any["ci95"]),
                bound,
                &context,
            );
            let vote = &data[key][grouping];
            assert_close(
                summary.majority_vote_accuracy,
                number(&vote["mean"]),
                1e-14,
                0.0,
                &context,
            );
            check_interval(
                summary.majority_vote_ci,
                summary.majority_vote_accuracy,
                &numbers(&vote["ci95"]),
                bound,
                &context,
            );
        }
    }
}
