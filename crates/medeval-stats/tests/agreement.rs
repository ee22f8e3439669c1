//! Agreement statistics against independent implementations: Cohen's kappa as scikit-learn
//! computes it and Krippendorff's alpha as the `krippendorff` package does, on seeded random
//! ratings recorded by `bench/judge/agreement_reference.sh`.

#![allow(clippy::unwrap_used)]

use medeval_stats::{AlphaLevel, cohen_kappa, krippendorff_alpha};
use serde_json::Value;

fn reference() -> Value {
    serde_json::from_str(include_str!("data/agreement_reference.json")).unwrap()
}

fn ints(value: &Value) -> Vec<i64> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_i64().unwrap())
        .collect()
}

#[test]
fn cohen_kappa_equals_scikit_learn() {
    let reference = reference();
    let cases = reference["kappa"].as_array().unwrap();
    assert_eq!(cases.len(), 4);
    for case in cases {
        let pairs: Vec<(i64, i64)> = ints(&case["a"]).into_iter().zip(ints(&case["b"])).collect();
        let expected = case["kappa"].as_f64().unwrap();
        let kappa = cohen_kappa(&pairs).unwrap();
        assert!((kappa - expected).abs() < 1e-12, "{kappa} vs {expected}");
    }
}

#[test]
fn krippendorff_alpha_equals_the_krippendorff_package() {
    let reference = reference();
    let cases = reference["alpha"].as_array().unwrap();
    assert_eq!(cases.len(), 3);
    for case in cases {
        let raters: Vec<Vec<Option<i64>>> = case["ratings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|row| row.as_array().unwrap().iter().map(Value::as_i64).collect())
            .collect();
        let units: Vec<Vec<Option<i64>>> = (0..raters[0].len())
            .map(|u| raters.iter().map(|row| row[u]).collect())
            .collect();
        for (level, key) in [
            (AlphaLevel::Nominal, "nominal"),
            (AlphaLevel::Ordinal, "ordinal"),
        ] {
            let expected = case[key].as_f64().unwrap();
            let alpha = krippendorff_alpha(&units, level).unwrap();
            assert!(
                (alpha - expected).abs() < 1e-12,
                "{key}: {alpha} vs {expected}"
            );
        }
    }
}
