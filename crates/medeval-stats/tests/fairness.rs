//! The chi-square test of equal accuracy across groups against SciPy:
//! `scipy.stats.chi2_contingency(table, correction=False)` on seeded random tables, recorded by
//! `bench/fairness/reference.sh`.

#![allow(clippy::unwrap_used)]

mod common;

use common::{count, list, number, reference};
use medeval_stats::pearson_chi_square;

fn relative_difference(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs().max(f64::MIN_POSITIVE)
}

#[test]
fn pearson_chi_square_equals_scipy() {
    let data = reference("fairness_reference.json");
    let cases = list(&data["cases"]);
    assert!(cases.len() >= 5, "{} cases", cases.len());
    for case in cases {
        let table: Vec<[u64; 2]> = list(&case["table"])
            .iter()
            .map(|row| [count(&row[0]), count(&row[1])])
            .collect();
        let result = pearson_chi_square(&table).unwrap();
        let statistic = number(&case["statistic"]);
        let p_value = number(&case["p_value"]);
        assert!(
            relative_difference(result.statistic, statistic) < 1e-10,
            "{table:?}: statistic {} vs {statistic}",
            result.statistic
        );
        assert!(
            relative_difference(result.p_value, p_value) < 1e-10,
            "{table:?}: p {} vs {p_value}",
            result.p_value
        );
        assert_eq!(u64::from(result.df), count(&case["df"]));
        assert!(relative_difference(result.min_expected, number(&case["min_expected"])) < 1e-12);
    }
}
