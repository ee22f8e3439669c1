//! Holm and Benjamini-Hochberg against statsmodels' `multipletests`
//! (`tests/data/multipletests.json`).

// In tests a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used)]

mod common;

use common::{assert_close, numbers, reference};
use medeval_stats::{
    NonJudgementPolicy, PairedOutcomes, apply_holm, benjamini_hochberg, compare, holm,
};

#[test]
fn adjusted_p_values_match_statsmodels() {
    let data = reference("multipletests.json");
    for case in data["cases"].as_array().unwrap() {
        let p = numbers(&case["p"]);
        for (got, expected) in holm(&p).unwrap().iter().zip(numbers(&case["holm"])) {
            assert_close(*got, expected, 1e-15, 1e-16, &format!("Holm {p:?}"));
        }
        let bh = benjamini_hochberg(&p).unwrap();
        for (got, expected) in bh.iter().zip(numbers(&case["fdr_bh"])) {
            assert_close(*got, expected, 1e-15, 1e-16, &format!("BH {p:?}"));
        }
    }
}

#[test]
fn holm_fills_p_holm_across_a_family_of_comparisons() {
    use medeval_core::Outcome::{Correct as C, Wrong as W};
    let family: Vec<_> = [(3, 1), (10, 1), (6, 6)]
        .into_iter()
        .map(|(b, c)| {
            let pairs = PairedOutcomes::new(
                std::iter::repeat_n((C, W), b)
                    .chain(std::iter::repeat_n((W, C), c))
                    .chain(std::iter::repeat_n((C, C), 20)),
                NonJudgementPolicy::Exclude,
            );
            compare(&pairs, &Default::default()).unwrap()
        })
        .collect();
    let mut family = family;
    assert!(family.iter().all(|c| c.p_holm.is_none()));
    apply_holm(&mut family).unwrap();
    let raw: Vec<f64> = family.iter().map(|c| c.mcnemar_p).collect();
    let expected = holm(&raw).unwrap();
    for (comparison, expected) in family.iter().zip(expected) {
        assert_eq!(comparison.p_holm, Some(expected));
        assert!(expected >= comparison.mcnemar_p);
    }
}
