//! Repeated sampling against `tests/data/repeated.json`: plain numpy for the means and
//! variances, an independent implementation of the documented vote, and statsmodels OLS with
//! cluster-robust errors (samples clustered by item, or by image) for the intervals; the
//! any-correct share and the draw discordance from `tests/data/repeated_extra.json`.

// In tests a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used)]

mod common;

use common::{assert_close, count, number, numbers, reference};
use medeval_core::Outcome;
use medeval_stats::{NonJudgementPolicy, RepeatedItem, SampledAnswer, TieRule, summarize_repeated};

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
            let mean = &data[format!("mean_{grouping}")];
            assert_close(
                summary.mean_accuracy_se,
                number(&mean["standard_error"]),
                1e-12,
                0.0,
                &context,
            );
            let ci = numbers(&mean["ci95"]);
            assert_close(summary.mean_accuracy_ci[0], ci[0], 1e-12, 0.0, &context);
            assert_close(summary.mean_accuracy_ci[1], ci[1], 1e-12, 0.0, &context);
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
            let ci = numbers(&any["ci95"]);
            assert_close(summary.any_correct_ci[0], ci[0], 1e-12, 0.0, &context);
            assert_close(
                summary.any_correct_ci[1],
                ci[1].min(1.0),
                1e-12,
                0.0,
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
            let ci = numbers(&vote["ci95"]);
            assert_close(
                summary.majority_vote_ci[0],
                ci[0].max(0.0),
                1e-12,
                0.0,
                &context,
            );
            assert_close(
                summary.majority_vote_ci[1],
                ci[1].min(1.0),
                1e-12,
                0.0,
                &context,
            );
        }
    }
}
