//! Special functions against 50-digit mpmath values, with SciPy's values as a loose cross-check
//! (`tests/data/special.json`: each row is the arguments, the exact value, SciPy's value).

mod common;

use common::{assert_close, count, list, number, reference};
use medeval_stats::special::{
    binomial_cdf, binomial_half_cdf, binomial_pmf, chi_square_1_sf, inverse_regularized_beta,
    ln_beta, normal_cdf, normal_quantile, regularized_beta, student_t_cdf, student_t_quantile,
};

/// Relative tolerance for beta-family functions: the continued fraction accumulates rounding over
/// its many terms when a shape parameter is large (measured worst cases: 1e-14 below 1,000,
/// 4e-12 at 50,000 and 100,000).
fn beta_tolerance(largest_shape: f64) -> f64 {
    if largest_shape < 1_000.0 {
        2e-14
    } else {
        5e-12
    }
}

fn rows(name: &str) -> Vec<Vec<serde_json::Value>> {
    let data = reference("special.json");
    list(&data[name])
        .iter()
        .map(|row| list(row).to_vec())
        .collect()
}

#[test]
fn normal_quantile_matches_reference() {
    for row in rows("normal_quantile") {
        let (p, expected) = (number(&row[0]), number(&row[1]));
        let context = format!("Φ⁻¹({p})");
        assert_close(normal_quantile(p), expected, 1e-14, 1e-15, &context);
        assert_close(
            number(&row[2]),
            expected,
            1e-9,
            1e-15,
            &format!("SciPy {context}"),
        );
    }
}

#[test]
fn normal_cdf_matches_reference() {
    for row in rows("normal_cdf") {
        let (x, expected) = (number(&row[0]), number(&row[1]));
        // Rounding x/√2 to a double moves Φ(x) by a relative x²·ε in the tails; Φ(-37.5) is
        // subnormal, where only an absolute tolerance makes sense.
        let relative = 1e-14 + 2.5e-16 * x * x;
        assert_close(
            normal_cdf(x),
            expected,
            relative,
            1e-320,
            &format!("Φ({x})"),
        );
        assert_close(
            number(&row[2]),
            expected,
            1e-9,
            1e-320,
            &format!("SciPy Φ({x})"),
        );
    }
}

#[test]
fn incomplete_beta_matches_reference() {
    for row in rows("beta_cdf") {
        let (x, a, b, expected) = (
            number(&row[0]),
            number(&row[1]),
            number(&row[2]),
            number(&row[3]),
        );
        let context = format!("I_{x}({a}, {b})");
        let tolerance = beta_tolerance(a.max(b));
        assert_close(
            regularized_beta(x, a, b),
            expected,
            tolerance,
            1e-300,
            &context,
        );
        assert_close(
            number(&row[4]),
            expected,
            1e-9,
            1e-300,
            &format!("SciPy {context}"),
        );
    }
}

#[test]
fn beta_quantile_matches_reference() {
    for row in rows("beta_quantile") {
        let (p, a, b, expected) = (
            number(&row[0]),
            number(&row[1]),
            number(&row[2]),
            number(&row[3]),
        );
        let context = format!("Beta({a}, {b}) quantile {p}");
        let tolerance = beta_tolerance(a.max(b));
        assert_close(
            inverse_regularized_beta(p, a, b),
            expected,
            tolerance,
            1e-300,
            &context,
        );
        assert_close(
            number(&row[4]),
            expected,
            1e-9,
            1e-300,
            &format!("SciPy {context}"),
        );
    }
}

#[test]
fn ln_beta_matches_reference() {
    for row in rows("ln_beta") {
        let (a, b, expected) = (number(&row[0]), number(&row[1]), number(&row[2]));
        let context = format!("ln B({a}, {b})");
        assert_close(ln_beta(a, b), expected, 1e-14, 1e-14, &context);
        assert_close(
            number(&row[3]),
            expected,
            1e-9,
            1e-9,
            &format!("SciPy {context}"),
        );
    }
}

#[test]
fn student_t_matches_reference() {
    for row in rows("t_quantile") {
        let (p, df, expected) = (number(&row[0]), number(&row[1]), number(&row[2]));
        let context = format!("t_{df} quantile {p}");
        let tolerance = beta_tolerance(df);
        assert_close(
            student_t_quantile(p, df),
            expected,
            tolerance,
            1e-15,
            &context,
        );
        assert_close(
            number(&row[3]),
            expected,
            1e-9,
            1e-15,
            &format!("SciPy {context}"),
        );
    }
    for row in rows("t_cdf") {
        let (t, df, expected) = (number(&row[0]), number(&row[1]), number(&row[2]));
        let tolerance = beta_tolerance(df);
        assert_close(
            student_t_cdf(t, df),
            expected,
            tolerance,
            1e-300,
            &format!("T_{df}({t})"),
        );
    }
}

#[test]
fn binomial_matches_reference() {
    for row in rows("binomial") {
        let (k, n, p) = (count(&row[0]), count(&row[1]), number(&row[2]));
        let (cdf, pmf) = (number(&row[3]), number(&row[4]));
        let context = format!("Binomial({n}, {p}) at {k}");
        // Tiny probabilities come out of exp(ln …): a relative |ln v|·ε more is inevitable.
        let tolerance =
            |v: f64| beta_tolerance(n as f64) + 4.0 * f64::EPSILON * v.max(1e-300).ln().abs();
        assert_close(binomial_cdf(k, n, p), cdf, tolerance(cdf), 1e-300, &context);
        assert_close(binomial_pmf(k, n, p), pmf, tolerance(pmf), 1e-300, &context);
        assert_close(
            number(&row[5]),
            cdf,
            1e-9,
            1e-300,
            &format!("SciPy cdf {context}"),
        );
        assert_close(
            number(&row[6]),
            pmf,
            1e-9,
            1e-300,
            &format!("SciPy pmf {context}"),
        );
        if p == 0.5 {
            assert_close(binomial_half_cdf(k, n), cdf, 1e-14, 0.0, &context);
        }
    }
}

#[test]
fn chi_square_matches_reference() {
    for row in rows("chi_square_1_sf") {
        let (x, expected) = (number(&row[0]), number(&row[1]));
        assert_close(
            chi_square_1_sf(x),
            expected,
            1e-14,
            0.0,
            &format!("χ²₁ sf({x})"),
        );
        assert_close(
            number(&row[2]),
            expected,
            1e-9,
            0.0,
            &format!("SciPy χ²₁ sf({x})"),
        );
    }
}
