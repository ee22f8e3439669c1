//! Adjusting p-values for many comparisons: Holm and Benjamini-Hochberg.
//!
//! Comparing two models on ten benchmarks gives ten chances to find a "significant" difference by
//! luck. Holm's step-down method controls the family-wise error rate (the chance of any false
//! claim) and is uniformly better than Bonferroni; Benjamini-Hochberg controls the false
//! discovery rate, for large screens (many model pairs). Both return adjusted p-values that are
//! monotone in the raw ones and capped at 1, exactly as statsmodels' `multipletests` (`holm`,
//! `fdr_bh`) computes them.

use crate::error::{Result, StatsError};
use crate::paired::PairedComparison;

fn check_p_values(p_values: &[f64]) -> Result<()> {
    match p_values.iter().position(|p| !(0.0..=1.0).contains(p)) {
        Some(index) => Err(StatsError::InvalidPValue {
            index,
            value: p_values[index],
        }),
        None => Ok(()),
    }
}

/// Positions of `p_values` in increasing order of value (ties in input order).
fn ascending_order(p_values: &[f64]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..p_values.len()).collect();
    order.sort_by(|&i, &j| p_values[i].total_cmp(&p_values[j]));
    order
}

/// Holm-adjusted p-values, in input order: with p₍₁₎ ≤ … ≤ p₍ₘ₎ sorted,
/// p̃₍ᵢ₎ = min(1, max_{j ≤ i} (m - j + 1) p₍ⱼ₎).
pub fn holm(p_values: &[f64]) -> Result<Vec<f64>> {
    check_p_values(p_values)?;
    let m = p_values.len();
    let mut adjusted = vec![0.0; m];
    let mut running_max = 0.0_f64;
    for (rank, &index) in ascending_order(p_values).iter().enumerate() {
        running_max = running_max.max((m - rank) as f64 * p_values[index]);
        adjusted[index] = running_max.min(1.0);
    }
    Ok(adjusted)
}

/// Benjamini-Hochberg-adjusted p-values, in input order: with p₍₁₎ ≤ … ≤ p₍ₘ₎ sorted,
/// p̃₍ᵢ₎ = min(1, min_{j ≥ i} m p₍ⱼ₎ / j).
pub fn benjamini_hochberg(p_values: &[f64]) -> Result<Vec<f64>> {
    check_p_values(p_values)?;
    let m = p_values.len();
    let mut adjusted = vec![0.0; m];
    let mut running_min = f64::INFINITY;
    for (rank, &index) in ascending_order(p_values).iter().enumerate().rev() {
        running_min = running_min.min(m as f64 * p_values[index] / (rank + 1) as f64);
        adjusted[index] = running_min.min(1.0);
    }
    Ok(adjusted)
}

/// Sets `p_holm` of every comparison in the family to its Holm-adjusted `mcnemar_p`.
pub fn apply_holm(comparisons: &mut [PairedComparison]) -> Result<()> {
    let raw: Vec<f64> = comparisons.iter().map(|c| c.mcnemar_p).collect();
    for (comparison, adjusted) in comparisons.iter_mut().zip(holm(&raw)?) {
        comparison.p_holm = Some(adjusted);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holm_by_hand() {
        // Sorted 0.01, 0.02, 0.03, 0.5 → 4·0.01, 3·0.02, max(0.06, 2·0.03), max(0.06, 0.5).
        let adjusted = holm(&[0.03, 0.5, 0.01, 0.02]).unwrap();
        let expected = [0.06, 0.5, 0.04, 0.06];
        for (a, e) in adjusted.iter().zip(expected) {
            assert!((a - e).abs() < 1e-15, "{adjusted:?}");
        }
        assert_eq!(holm(&[0.9, 0.8]).unwrap(), vec![1.0, 1.0]);
        assert_eq!(holm(&[]).unwrap(), Vec::<f64>::new());
    }

    #[test]
    fn benjamini_hochberg_by_hand() {
        // Sorted 0.01, 0.02, 0.03, 0.5 with m = 4: 0.04, 0.04, 0.04, 0.5 after the running minimum.
        let adjusted = benjamini_hochberg(&[0.03, 0.5, 0.01, 0.02]).unwrap();
        let expected = [0.04, 0.5, 0.04, 0.04];
        for (a, e) in adjusted.iter().zip(expected) {
            assert!((a - e).abs() < 1e-15, "{adjusted:?}");
        }
    }

    #[test]
    fn invalid_p_values_are_named() {
        assert!(matches!(
            holm(&[0.1, f64::NAN]),
            Err(StatsError::InvalidPValue { index: 1, .. })
        ));
        assert!(matches!(
            benjamini_hochberg(&[1.5]),
            Err(StatsError::InvalidPValue { index: 0, .. })
        ));
    }
}
