//! Cluster-robust standard errors against statsmodels OLS with `cov_type="cluster"` on an
//! intercept-only model (`tests/data/cluster.json`). For one parameter its small-sample factor
//! C/(C-1)·(n-1)/(n-1) is exactly our C/(C-1), so the numbers must agree to rounding.

// In tests a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used)]

mod common;

use common::{assert_close, number, numbers, reference};
use medeval_core::Outcome;
use medeval_stats::{
    CiMethod, Clusters, NonJudgementPolicy, RunOutcomes, cluster_robust_mean, estimate_accuracy,
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
