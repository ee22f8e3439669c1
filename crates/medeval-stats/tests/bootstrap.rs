//! The bootstrap against an independent Python implementation of the documented scheme
//! (`tests/data/bootstrap.json`): generator outputs, resampled positions and every replicate
//! value must agree exactly. Agreement in distribution with numpy's ordinary index-resampling
//! bootstrap, and with the closed-form variance of a resampled proportion, is checked too.

// In tests a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used)]

mod common;

use common::{assert_close, count, list, number, numbers, reference};
use medeval_core::Outcome;
use medeval_stats::rng::{Xoshiro256StarStar, replicate_stream};
use medeval_stats::{
    Bootstrap, CiMethod, CiMethodName, CompareOptions, NonJudgementPolicy, PairedOutcomes,
    Resampled, RunOutcomes, accuracy_replicates, compare, difference_replicates, estimate_accuracy,
    percentile_interval,
};
use serde_json::Value;

fn outcome(correct: bool) -> Outcome {
    if correct {
        Outcome::Correct
    } else {
        Outcome::Wrong
    }
}

fn values(case: &Value) -> Vec<i64> {
    list(&case["values"])
        .iter()
        .map(|v| v.as_i64().expect("an integer value"))
        .collect()
}

fn cluster_keys(case: &Value) -> Vec<Option<u64>> {
    list(&case["clusters"]).iter().map(Value::as_u64).collect()
}

fn bootstrap(case: &Value) -> Bootstrap {
    Bootstrap {
        replicates: count(&case["replicate_count"]) as u32,
        seed: count(&case["seed"]),
    }
}

/// A pair of outcomes with difference `d` (1: only A right, -1: only B right, 0: alternately
/// both right and both wrong).
fn pair(d: i64, index: usize) -> (Outcome, Outcome) {
    match d {
        1 => (Outcome::Correct, Outcome::Wrong),
        -1 => (Outcome::Wrong, Outcome::Correct),
        _ => (outcome(index % 2 == 0), outcome(index % 2 == 0)),
    }
}

#[test]
fn generators_match_the_reference_implementation() {
    let data = reference("bootstrap.json");
    let mut rng = Xoshiro256StarStar::seed_from_u64(0);
    let expected: Vec<u64> = data["xoshiro"]["seed_from_u64_0"]
        .as_array()
        .unwrap()
        .iter()
        .map(count)
        .collect();
    assert_eq!((0..4).map(|_| rng.next_u64()).collect::<Vec<_>>(), expected);
    let mut rng = replicate_stream(12345, 3);
    let expected: Vec<u64> = data["xoshiro"]["replicate_stream_12345_3"]
        .as_array()
        .unwrap()
        .iter()
        .map(count)
        .collect();
    assert_eq!((0..4).map(|_| rng.next_u64()).collect::<Vec<_>>(), expected);
    let mut positions = Vec::new();
    replicate_stream(5, 1).positions(13, |p| positions.push(u64::from(p)));
    let expected: Vec<u64> = data["positions_seed_5_replicate_1_count_13"]
        .as_array()
        .unwrap()
        .iter()
        .map(count)
        .collect();
    assert_eq!(positions, expected);
}

fn assert_replicates(got: &[f64], case: &Value, name: &str) {
    let expected = numbers(&case["replicates"]);
    assert_eq!(got.len(), expected.len(), "{name}");
    for (index, (g, e)) in got.iter().zip(&expected).enumerate() {
        assert_eq!(g, e, "{name}: replicate {index}");
    }
}

#[test]
fn item_bootstrap_of_an_accuracy_matches_exactly() {
    let data = reference("bootstrap.json");
    let case = &data["cases"]["items_accuracy"];
    let run = RunOutcomes::new(
        values(case).iter().map(|&v| outcome(v == 1)),
        NonJudgementPolicy::Exclude,
    );
    let replicates = accuracy_replicates(&run, &bootstrap(case), Resampled::Items).unwrap();
    assert_replicates(&replicates, case, "items_accuracy");
    for (confidence, key) in [(0.95, "ci95"), (0.90, "ci90")] {
        let estimate =
            estimate_accuracy(&run, CiMethod::Bootstrap(bootstrap(case)), confidence).unwrap();
        let expected = numbers(&case[key]);
        assert_close(estimate.ci[0], expected[0], 0.0, 1e-15, key);
        assert_close(estimate.ci[1], expected[1], 0.0, 1e-15, key);
        assert_close(
            estimate.standard_error,
            number(&case["standard_deviation"]),
            1e-12,
            0.0,
            "sd",
        );
        let record = estimate.bootstrap.unwrap();
        assert_eq!(
            (record.seed, record.replicates, record.units),
            (12345, 300, 50)
        );
    }
}

#[test]
fn cluster_bootstrap_of_an_accuracy_matches_exactly() {
    let data = reference("bootstrap.json");
    let case = &data["cases"]["clusters_accuracy"];
    let run = RunOutcomes::clustered(
        values(case)
            .iter()
            .map(|&v| outcome(v == 1))
            .zip(cluster_keys(case)),
        NonJudgementPolicy::Exclude,
    );
    let mut replicates = accuracy_replicates(&run, &bootstrap(case), Resampled::Clusters).unwrap();
    assert_replicates(&replicates, case, "clusters_accuracy");
    let interval = percentile_interval(&mut replicates, 0.95);
    let expected = numbers(&case["ci95"]);
    assert_close(interval[0], expected[0], 0.0, 1e-15, "lower");
    assert_close(interval[1], expected[1], 0.0, 1e-15, "upper");
    // The case has 14 clusters, fewer than MIN_CLUSTERS: as an accuracy interval the cluster
    // bootstrap gives way to the cluster bound, and says so.
    let estimate =
        estimate_accuracy(&run, CiMethod::ClusterBootstrap(bootstrap(case)), 0.95).unwrap();
    assert_eq!(estimate.ci_method, CiMethodName::WilsonClusterBound);
    let fallback = estimate.ci_fallback.unwrap();
    assert_eq!(fallback.from, CiMethodName::ClusterBootstrap);
    assert_eq!(fallback.clusters, 14);
    assert_eq!(estimate.bootstrap, None);
}

#[test]
fn paired_bootstraps_match_exactly() {
    let data = reference("bootstrap.json");
    for (name, clustered) in [("items_paired", false), ("clusters_paired", true)] {
        let case = &data["cases"][name];
        let differences = values(case);
        let pairs = if clustered {
            PairedOutcomes::clustered(
                differences
                    .iter()
                    .enumerate()
                    .zip(cluster_keys(case))
                    .map(|((i, &d), key)| {
                        let (a, b) = pair(d, i);
                        (a, b, key)
                    }),
                NonJudgementPolicy::Exclude,
            )
        } else {
            PairedOutcomes::new(
                differences.iter().enumerate().map(|(i, &d)| pair(d, i)),
                NonJudgementPolicy::Exclude,
            )
        };
        let replicates = difference_replicates(&pairs, &bootstrap(case)).unwrap();
        assert_replicates(&replicates, case, name);
        let options = CompareOptions {
            bootstrap: bootstrap(case),
            ..CompareOptions::default()
        };
        let comparison = compare(&pairs, &options).unwrap();
        let expected = numbers(&case["ci95"]);
        assert_close(comparison.diff_ci[0], expected[0], 0.0, 1e-15, name);
        assert_close(comparison.diff_ci[1], expected[1], 0.0, 1e-15, name);
        assert_eq!(
            comparison.bootstrap_p,
            number(&case["bootstrap_p"]),
            "{name}"
        );
        let b = differences.iter().filter(|&&d| d == 1).count() as u64;
        let c = differences.iter().filter(|&&d| d == -1).count() as u64;
        assert_eq!((comparison.b, comparison.c), (b, c));
        assert_close(
            comparison.diff,
            (b as f64 - c as f64) / differences.len() as f64,
            1e-15,
            0.0,
            name,
        );
    }
}

#[test]
fn results_do_not_depend_on_item_order() {
    let data = reference("bootstrap.json");
    let case = &data["cases"]["clusters_accuracy"];
    let items: Vec<_> = values(case)
        .iter()
        .map(|&v| outcome(v == 1))
        .zip(cluster_keys(case))
        .collect();
    let forward = RunOutcomes::clustered(items.iter().copied(), NonJudgementPolicy::Exclude);
    let backward = RunOutcomes::clustered(items.iter().rev().copied(), NonJudgementPolicy::Exclude);
    for method in [
        CiMethod::Bootstrap(bootstrap(case)),
        CiMethod::ClusterBootstrap(bootstrap(case)),
    ] {
        assert_eq!(
            estimate_accuracy(&forward, method, 0.95).unwrap().ci,
            estimate_accuracy(&backward, method, 0.95).unwrap().ci
        );
    }
}

#[test]
fn item_bootstrap_agrees_in_distribution_with_index_resampling() {
    let data = reference("bootstrap.json");
    let check = &data["numpy_index_bootstrap"];
    let values = values(check);
    let run = RunOutcomes::new(
        values.iter().map(|&v| outcome(v == 1)),
        NonJudgementPolicy::Exclude,
    );
    let boot = Bootstrap {
        replicates: 20_000,
        seed: 1,
    };
    let estimate = estimate_accuracy(&run, CiMethod::Bootstrap(boot), 0.95).unwrap();
    let numpy = numbers(&check["numpy_ci95"]);
    // Monte Carlo error of a 2.5% percentile with 20,000 replicates here is about 0.0002; the
    // accuracy moves in steps of 1/2000.
    assert_close(estimate.ci[0], numpy[0], 0.0, 0.0015, "lower");
    assert_close(estimate.ci[1], numpy[1], 0.0, 0.0015, "upper");
    // The resampled proportion has variance p(1-p)/n exactly.
    let p = estimate.accuracy;
    let exact_sd = (p * (1.0 - p) / values.len() as f64).sqrt();
    assert_close(estimate.standard_error, exact_sd, 0.03, 0.0, "bootstrap sd");
    let replicates = accuracy_replicates(&run, &boot, Resampled::Items).unwrap();
    let mean = replicates.iter().sum::<f64>() / replicates.len() as f64;
    assert_close(
        mean,
        p,
        0.0,
        4.0 * exact_sd / (replicates.len() as f64).sqrt(),
        "bootstrap mean",
    );
}
