//! Wilson, Clopper-Pearson and Wald intervals against statsmodels' `proportion_confint`
//! (`tests/data/proportion.json`), including Newcombe's (1998) worked examples and the edges
//! 0/n and n/n.

// In tests a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used)]

mod common;

use common::{assert_close, count, number, numbers, reference};
use medeval_core::Outcome;
use medeval_stats::{
    CiMethod, NonJudgementPolicy, RunOutcomes, clopper_pearson, estimate_accuracy, wald,
    wald_standard_error, wilson,
};

#[test]
fn intervals_match_statsmodels() {
    let data = reference("proportion.json");
    let cases = data["cases"].as_array().unwrap();
    assert!(cases.len() > 60);
    for case in cases {
        let (k, n, confidence) = (
            count(&case["successes"]),
            count(&case["trials"]),
            number(&case["confidence"]),
        );
        let context = |method: &str| format!("{method} {k}/{n} at {confidence}");
        let check = |got: [f64; 2], expected: Vec<f64>, method: &str| {
            assert_close(got[0], expected[0], 1e-12, 1e-15, &context(method));
            assert_close(got[1], expected[1], 1e-12, 1e-15, &context(method));
        };
        check(
            wilson(k, n, confidence).unwrap(),
            numbers(&case["wilson"]),
            "Wilson",
        );
        check(
            clopper_pearson(k, n, confidence).unwrap(),
            numbers(&case["clopper_pearson"]),
            "Clopper-Pearson",
        );
        check(
            wald(k, n, confidence).unwrap(),
            numbers(&case["wald"]),
            "Wald",
        );
        assert_close(
            wald_standard_error(k, n).unwrap(),
            number(&case["wald_standard_error"]),
            1e-14,
            1e-17,
            &context("standard error"),
        );
    }
}

#[test]
fn accuracy_estimates_use_the_same_intervals() {
    // Newcombe's first example, 81/263, through the run-level API.
    let outcomes = (0..263).map(|i| {
        if i < 81 {
            Outcome::Correct
        } else {
            Outcome::Wrong
        }
    });
    let run = RunOutcomes::new(outcomes, NonJudgementPolicy::Exclude);
    let data = reference("proportion.json");
    let case = data["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["successes"] == 81 && c["trials"] == 263 && number(&c["confidence"]) > 0.949)
        .unwrap();
    for (method, key) in [
        (CiMethod::Wilson, "wilson"),
        (CiMethod::ClopperPearson, "clopper_pearson"),
        (CiMethod::Wald, "wald"),
    ] {
        let estimate = estimate_accuracy(&run, method, 0.95).unwrap();
        let expected = numbers(&case[key]);
        assert_close(estimate.ci[0], expected[0], 1e-12, 0.0, key);
        assert_close(estimate.ci[1], expected[1], 1e-12, 0.0, key);
        assert_eq!((estimate.n, estimate.correct), (263, 81));
    }
}
