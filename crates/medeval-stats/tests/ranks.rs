//! Leaderboard rank intervals against an independent Python implementation of the documented
//! scheme (`tests/data/bootstrap.json`, `ranks`).

// In tests a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used)]

mod common;

use common::{assert_close, count, number, reference};
use medeval_core::Outcome;
use medeval_stats::{Bootstrap, Leaderboard, NonJudgementPolicy, Resampled, rank_intervals};

#[test]
fn rank_intervals_match_the_reference_implementation() {
    let data = reference("bootstrap.json");
    let ranks = &data["ranks"];
    let runs: Vec<(String, Vec<Outcome>)> = ranks["runs"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
        .map(|(i, run)| {
            let outcomes = run
                .as_array()
                .unwrap()
                .iter()
                .map(|v| {
                    if v == 1 {
                        Outcome::Correct
                    } else {
                        Outcome::Wrong
                    }
                })
                .collect();
            (format!("model-{i}"), outcomes)
        })
        .collect();
    let keys: Vec<Option<u64>> = ranks["clusters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64())
        .collect();
    let bootstrap = Bootstrap {
        replicates: count(&ranks["replicate_count"]) as u32,
        seed: count(&ranks["seed"]),
    };
    for (key, cluster_keys) in [("items", None), ("clustered", Some(keys))] {
        let board =
            Leaderboard::aligned(runs.clone(), cluster_keys, NonJudgementPolicy::Exclude).unwrap();
        let report = rank_intervals(&board, &bootstrap, 0.95).unwrap();
        assert_eq!(
            report.bootstrap.resampled,
            if key == "items" {
                Resampled::Items
            } else {
                Resampled::Clusters
            }
        );
        let expected = ranks[key]["entries"].as_array().unwrap();
        assert_eq!(report.entries.len(), expected.len());
        for (entry, expected) in report.entries.iter().zip(expected) {
            let context = format!("{key} {}", entry.name);
            assert_close(
                entry.accuracy,
                number(&expected["accuracy"]),
                1e-15,
                0.0,
                &context,
            );
            assert_eq!(u64::from(entry.rank), count(&expected["rank"]), "{context}");
            let ci: Vec<u64> = expected["rank_ci"]
                .as_array()
                .unwrap()
                .iter()
                .map(count)
                .collect();
            assert_eq!(entry.rank_ci.map(u64::from).to_vec(), ci, "{context}");
            assert_eq!(entry.p_best, number(&expected["p_best"]), "{context}");
            assert_close(
                entry.mean_rank,
                number(&expected["mean_rank"]),
                1e-15,
                0.0,
                &context,
            );
        }
    }
}
