//! Cluster-robust standard errors against statsmodels OLS with `cov_type="cluster"` on an
//! intercept-only model (`tests/data/cluster.json`). For one parameter its small-sample factor
//! C/(C-1)·(n-1)/(n-1) is exactly our C/(C-1), so the numbers must agree to rounding.

// In tests a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used)]

mod common;

use common::{assert_close, number, numbers, reference};
use medeval_core::Outcome;
use medeval_stats::{
    CiMethod, CiMethodName, Clusters, FallbackReason, NonJudgementPolicy, RunOutcomes,
    cluster_robust_mean, estimate_accuracy,
};

#[test]
fn cluster_robust_mean_matches_statsmodels() {
    let data = reference("cluster.json");
    for case in data["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let values = numbers(&case["values"]);
        let keys: Vec<Option<u64>> = case["clusters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64())
            .collect();
        let clusters = Clusters::from_keys(keys);
        let result = cluster_robust_mean(&values, &clusters).unwrap();
        assert_close(result.mean, number(&case["mean"]), 1e-14, 1e-16, name);
        assert_close(
            result.standard_error,
            number(&case["standard_error"]),
            1e-12,
            0.0,
            name,
        );
        assert_eq!((clusters.count() - 1) as f64, number(&case["df"]), "{name}");
        for (confidence, key) in [(0.95, "ci95"), (0.90, "ci90")] {
            let got = result.interval(confidence).unwrap();
            let expected = numbers(&case[key]);
            assert_close(got[0], expected[0], 1e-12, 1e-15, &format!("{name} {key}"));
            assert_close(got[1], expected[1], 1e-12, 1e-15, &format!("{name} {key}"));
        }
        match case["design_effect"].as_f64() {
            Some(expected) => {
                assert_close(result.design_effect.unwrap(), expected, 1e-12, 0.0, name);
                assert_close(
                    result.effective_n.unwrap(),
                    values.len() as f64 / expected,
                    1e-12,
                    0.0,
                    name,
                );
            }
            None => assert_eq!(result.design_effect, None, "{name}"),
        }
    }
}

#[test]
fn accuracy_with_cluster_robust_interval_matches_statsmodels() {
    let data = reference("cluster.json");
    let case = &data["cases"][1];
    let values = numbers(&case["values"]);
    let keys = case["clusters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64());
    let run = RunOutcomes::clustered(
        values.iter().zip(keys).map(|(&v, key)| {
            (
                if v == 1.0 {
                    Outcome::Correct
                } else {
                    Outcome::Wrong
                },
                key,
            )
        }),
        NonJudgementPolicy::Exclude,
    );
    let estimate = estimate_accuracy(&run, CiMethod::ClusterRobust, 0.95).unwrap();
    let expected = numbers(&case["ci95"]);
    assert_close(estimate.ci[0], expected[0].max(0.0), 1e-12, 0.0, "lower");
    assert_close(estimate.ci[1], expected[1].min(1.0), 1e-12, 0.0, "upper");
    assert_close(
        estimate.standard_error,
        number(&case["standard_error"]),
        1e-12,
        0.0,
        "se",
    );
    let clusters = estimate.clusters.unwrap();
    assert_eq!(clusters.clusters, 100);
    assert_close(
        clusters.design_effect.unwrap(),
        number(&case["design_effect"]),
        1e-12,
        0.0,
        "deff",
    );
}

/// The cluster bound against statsmodels (`tests/data/cluster_bound.json`, written by
/// `bench/stats/make_cluster_bound.py`): the worst-case effective sample size n²/Σm² from
/// numpy and `proportion_confint(p·n_w, n_w, method="wilson")`. Each case is one a cluster
/// interval gets wrong: statsmodels' own sandwich interval for it has zero width or covers
/// [0, 1], and the accuracy's interval must be the bound instead, saying why.
#[test]
fn too_few_clusters_give_the_cluster_bound_as_statsmodels_computes_it() {
    let data = reference("cluster_bound.json");
    for case in data["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let values = numbers(&case["values"]);
        let keys: Vec<Option<u64>> = case["clusters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64())
            .collect();
        let sandwich = numbers(&case["sandwich"]["ci95"]);
        let width = sandwich[1].min(1.0) - sandwich[0].max(0.0);
        assert!(
            width < 1e-12 || (sandwich[0] <= 0.0 && sandwich[1] >= 1.0) || {
                let clusters = number(&case["n_clusters"]) as usize;
                clusters < medeval_stats::MIN_CLUSTERS
            },
            "{name}: the case should be one the sandwich cannot handle"
        );
        let run = RunOutcomes::clustered(
            values.iter().zip(&keys).map(|(&v, key)| {
                (
                    if v == 1.0 {
                        Outcome::Correct
                    } else {
                        Outcome::Wrong
                    },
                    *key,
                )
            }),
            NonJudgementPolicy::Exclude,
        );
        let bound = &case["bound"];
        for (confidence, key) in [(0.95, "ci95"), (0.90, "ci90")] {
            let estimate = estimate_accuracy(&run, CiMethod::ClusterRobust, confidence).unwrap();
            assert_eq!(
                estimate.ci_method,
                CiMethodName::WilsonClusterBound,
                "{name}"
            );
            let fallback = estimate.ci_fallback.unwrap();
            let expected_reason =
                if (number(&case["n_clusters"]) as usize) < medeval_stats::MIN_CLUSTERS {
                    FallbackReason::TooFewClusters
                } else {
                    FallbackReason::ZeroWidth
                };
            assert_eq!(fallback.reason, expected_reason, "{name}");
            assert_eq!(fallback.from, CiMethodName::ClusterRobust);
            assert_close(
                fallback.worst_case_n,
                number(&bound["worst_case_n"]),
                1e-14,
                0.0,
                name,
            );
            let expected = numbers(&bound[key]);
            assert_close(
                estimate.ci[0],
                expected[0],
                1e-13,
                1e-15,
                &format!("{name} {key}"),
            );
            assert_close(
                estimate.ci[1],
                expected[1],
                1e-13,
                1e-15,
                &format!("{name} {key}"),
            );
            assert_close(
                estimate.standard_error,
                number(&bound["standard_error"]),
                1e-13,
                1e-15,
                name,
            );
            assert!(
                estimate.ci[1] - estimate.ci[0] > 0.05,
                "{name}: never zero width"
            );
            assert!(
                estimate.ci[1] - estimate.ci[0] < 1.0,
                "{name}: never all of [0, 1]"
            );
        }
    }
}
