//! McNemar's test against statsmodels' `mcnemar` and SciPy's `binomtest`
//! (`tests/data/mcnemar.json`).

// In tests a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used)]

mod common;

use common::{assert_close, count, number, reference};
use medeval_stats::{
    MCNEMAR_EXACT_BELOW, McNemarMethod, mcnemar, mcnemar_chi_square, mcnemar_exact,
};

#[test]
fn exact_test_matches_statsmodels_and_scipy() {
    let data = reference("mcnemar.json");
    for case in data["cases"].as_array().unwrap() {
        let (b, c) = (count(&case["b"]), count(&case["c"]));
        let context = format!("exact McNemar b={b} c={c}");
        let p = mcnemar_exact(b, c).p_value;
        assert_close(p, number(&case["exact_p"]), 1e-13, 1e-300, &context);
        assert_close(p, number(&case["binomtest_p"]), 1e-12, 1e-300, &context);
    }
}

#[test]
fn chi_square_test_matches_statsmodels_except_where_documented() {
    let data = reference("mcnemar.json");
    for case in data["cases"].as_array().unwrap() {
        let (b, c) = (count(&case["b"]), count(&case["c"]));
        if b + c == 0 {
            assert_eq!(mcnemar_chi_square(b, c).p_value, 1.0);
            continue;
        }
        let test = mcnemar_chi_square(b, c);
        let context = format!("chi-square McNemar b={b} c={c}");
        if b == c {
            // statsmodels computes (|b-c| - 1)² = 1 here; the corrected difference is clipped at 0.
            assert_eq!((test.statistic, test.p_value), (0.0, 1.0), "{context}");
            assert!(number(&case["chi_square_p"]) < 1.0);
            continue;
        }
        assert_close(
            test.statistic,
            number(&case["chi_square_statistic"]),
            1e-14,
            0.0,
            &context,
        );
        assert_close(
            test.p_value,
            number(&case["chi_square_p"]),
            1e-12,
            1e-300,
            &context,
        );
    }
}

#[test]
fn the_form_switches_at_twenty_five_discordant_pairs() {
    let data = reference("mcnemar.json");
    for case in data["cases"].as_array().unwrap() {
        let (b, c) = (count(&case["b"]), count(&case["c"]));
        let test = mcnemar(b, c, MCNEMAR_EXACT_BELOW);
        if b + c < 25 {
            assert_eq!(test.method, McNemarMethod::ExactBinomial);
            assert_close(
                test.p_value,
                number(&case["exact_p"]),
                1e-13,
                1e-300,
                "exact",
            );
        } else {
            assert_eq!(test.method, McNemarMethod::ChiSquareCorrected);
        }
    }
}
