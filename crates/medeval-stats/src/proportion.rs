//! Confidence intervals for a proportion from a count: Wilson, Clopper-Pearson, Wald.
//!
//! Wilson is the default for accuracies: it keeps close to nominal coverage at small n and near
//! 0 or 1, where the Wald interval collapses. Clopper-Pearson is the conservative "exact"
//! interval some reviewers ask for. Wald is kept because its standard error is the CLT one that
//! other tools print. All three agree with statsmodels' `proportion_confint` (`wilson`, `beta`,
//! `normal`), which `tests/proportion.rs` checks.

use crate::error::{Result, StatsError, check_confidence};
use crate::special::{inverse_regularized_beta, normal_quantile};

/// The two-sided standard normal critical value z_{1-α/2} for `confidence` = 1 - α.
pub(crate) fn normal_critical_value(confidence: f64) -> f64 {
    -normal_quantile(0.5 * (1.0 - confidence))
}

fn check_counts(successes: u64, trials: u64, statistic: &'static str) -> Result<()> {
    if trials == 0 {
        return Err(StatsError::NoItems {
            statistic,
            excluded: 0,
        });
    }
    if successes > trials {
        return Err(StatsError::CountsExceedTrials { successes, trials });
    }
    Ok(())
}

/// Wilson score interval for `successes` out of `trials` at `confidence` (e.g. 0.95).
///
/// (p̂ + z²/2n ± z √(p̂(1-p̂)/n + z²/4n²)) / (1 + z²/n), with the bounds set to exactly 0 when
/// there are no successes and exactly 1 when there are no failures.
pub fn wilson(successes: u64, trials: u64, confidence: f64) -> Result<[f64; 2]> {
    check_counts(successes, trials, "Wilson interval")?;
    check_confidence(confidence)?;
    let n = trials as f64;
    Ok(wilson_score(successes as f64 / n, n, confidence))
}

/// The Wilson score interval for a mean `p` (in [0, 1]) whose variance is p(1-p)/`n`, for any
/// real `n` > 0: the interval of all p with |p̂ - p| ≤ z √(p(1-p)/n). With an integer n and
/// p = k/n it is [`wilson`]; the cluster bound uses it with a fractional worst-case n. The lower
/// bound is exactly 0 when p is 0, the upper exactly 1 when p is 1.
pub(crate) fn wilson_score(p: f64, n: f64, confidence: f64) -> [f64; 2] {
    let z = normal_critical_value(confidence);
    let z2 = z * z;
    let denominator = 1.0 + z2 / n;
    let center = (p + z2 / (2.0 * n)) / denominator;
    let half_width = z * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / denominator;
    let lower = if p <= 0.0 {
        0.0
    } else {
        (center - half_width).max(0.0)
    };
    let upper = if p >= 1.0 {
        1.0
    } else {
        (center + half_width).min(1.0)
    };
    [lower, upper]
}

/// Clopper-Pearson ("exact") interval for `successes` out of `trials` at `confidence`.
///
/// The bounds are Beta quantiles: lower = B⁻¹(α/2; k, n-k+1) (0 when k = 0) and
/// upper = B⁻¹(1-α/2; k+1, n-k) (1 when k = n).
pub fn clopper_pearson(successes: u64, trials: u64, confidence: f64) -> Result<[f64; 2]> {
    check_counts(successes, trials, "Clopper-Pearson interval")?;
    check_confidence(confidence)?;
    let alpha = 1.0 - confidence;
    let k = successes as f64;
    let n = trials as f64;
    let lower = if successes == 0 {
        0.0
    } else {
        inverse_regularized_beta(0.5 * alpha, k, n - k + 1.0)
    };
    let upper = if successes == trials {
        1.0
    } else {
        inverse_regularized_beta(1.0 - 0.5 * alpha, k + 1.0, n - k)
    };
    Ok([lower, upper])
}

/// The CLT (Wald) standard error of a proportion, √(p̂(1-p̂)/n).
pub fn wald_standard_error(successes: u64, trials: u64) -> Result<f64> {
    check_counts(successes, trials, "standard error")?;
    let n = trials as f64;
    let p = successes as f64 / n;
    Ok((p * (1.0 - p) / n).sqrt())
}

/// Wald interval p̂ ± z √(p̂(1-p̂)/n), clipped to [0, 1] (as statsmodels does).
///
/// It has zero width when p̂ is 0 or 1 (every item right, or every item wrong): prefer
/// [`wilson`] for reporting.
pub fn wald(successes: u64, trials: u64, confidence: f64) -> Result<[f64; 2]> {
    let standard_error = wald_standard_error(successes, trials)?;
    check_confidence(confidence)?;
    let p = successes as f64 / trials as f64;
    let half_width = normal_critical_value(confidence) * standard_error;
    Ok([(p - half_width).max(0.0), (p + half_width).min(1.0)])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_successes_have_closed_form_upper_bounds() {
        // k = 0: Wilson upper = z²/(n + z²); Clopper-Pearson upper = 1 - (α/2)^(1/n).
        let z = 1.959_963_984_540_054_f64;
        for n in [1_u64, 20, 1_000] {
            let nf = n as f64;
            let [lower, upper] = wilson(0, n, 0.95).unwrap();
            assert_eq!(lower, 0.0);
            assert!((upper - z * z / (nf + z * z)).abs() < 1e-14);
            let [lower, upper] = clopper_pearson(0, n, 0.95).unwrap();
            assert_eq!(lower, 0.0);
            assert!(
                (upper - (1.0 - 0.025_f64.powf(1.0 / nf))).abs() < 1e-13,
                "{n}"
            );
            // By symmetry, all successes mirror the bounds.
            let [lower, upper] = clopper_pearson(n, n, 0.95).unwrap();
            assert_eq!(upper, 1.0);
            assert!((lower - 0.025_f64.powf(1.0 / nf)).abs() < 1e-13);
        }
    }

    #[test]
    fn wald_collapses_at_the_boundary_and_wilson_does_not() {
        assert_eq!(wald(10, 10, 0.95).unwrap(), [1.0, 1.0]);
        assert_eq!(wald_standard_error(0, 10).unwrap(), 0.0);
        let [lower, upper] = wilson(10, 10, 0.95).unwrap();
        assert!(lower < 0.75 && upper == 1.0);
    }

    #[test]
    fn bad_counts_and_levels_are_errors() {
        assert!(matches!(
            wilson(0, 0, 0.95),
            Err(StatsError::NoItems { .. })
        ));
        assert!(matches!(
            clopper_pearson(3, 2, 0.95),
            Err(StatsError::CountsExceedTrials { .. })
        ));
        assert!(matches!(
            wald(1, 2, 1.0),
            Err(StatsError::InvalidParameter { .. })
        ));
        assert!(matches!(
            wilson(1, 2, f64::NAN),
            Err(StatsError::InvalidParameter { .. })
        ));
    }
}
