//! Cluster-robust standard errors of a mean, and the design effect.
//!
//! Many benchmarks ask several questions about one image (VQA-RAD, SLAKE) or one patient; answers
//! about the same image succeed and fail together, so the items are not independent and the
//! binomial standard error is too small. The cluster-robust ("sandwich") variance estimates the
//! variance from the spread of per-cluster sums of residuals instead:
//!
//! ```text
//! V_cluster = C/(C-1) · Σ_g (Σ_{i∈g} (y_i - ȳ))² / n²
//! ```
//!
//! with C clusters and n items. This is exactly what statsmodels reports for an intercept-only
//! OLS with `cov_type="cluster"`: its small-sample factor C/(C-1) · (n-1)/(n-k) reduces to C/(C-1)
//! with k = 1 parameter. Intervals use Student's t with C-1 degrees of freedom, as statsmodels
//! does with `use_t=True` (and Stata always does), which matters when clusters are few.
//!
//! The design effect compares this variance with the simple-random-sampling variance s²/n
//! (s² the sample variance with n-1 in the denominator), so that n singleton clusters give a
//! design effect of exactly 1; n / deff is the effective number of independent items.

use serde::{Deserialize, Serialize};

use crate::error::{Result, StatsError, check_confidence};
use crate::outcomes::Clusters;
use crate::special::student_t_quantile;

/// A mean with its cluster-robust standard error.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ClusterRobustMean {
    /// The mean over items.
    pub mean: f64,
    /// The cluster-robust standard error of the mean, with the C/(C-1) correction.
    pub standard_error: f64,
    /// Number of items.
    pub n: u64,
    /// Number of clusters C.
    pub clusters: usize,
    /// Cluster-robust variance over simple-random-sampling variance s²/n. `None` when every
    /// item has the same value (both variances are 0, the ratio is undefined).
    pub design_effect: Option<f64>,
    /// n / design effect: how many independent items the data is worth. `None` when the design
    /// effect is undefined or 0.
    pub effective_n: Option<f64>,
}

impl ClusterRobustMean {
    /// Mean ± t_{C-1, 1-α/2} · standard error, for `confidence` = 1 - α (not clipped).
    pub fn interval(&self, confidence: f64) -> Result<[f64; 2]> {
        check_confidence(confidence)?;
        let t = student_t_quantile(0.5 + 0.5 * confidence, (self.clusters - 1) as f64);
        let half_width = t * self.standard_error;
        Ok([self.mean - half_width, self.mean + half_width])
    }
}

/// The mean of `values` (one per item) with its cluster-robust standard error, the items
/// belonging to `clusters` (as many ids as values).
///
/// Errors when there are no items, or fewer than two clusters (the correction and the
/// between-cluster variance are undefined with one).
pub fn cluster_robust_mean(values: &[f64], clusters: &Clusters) -> Result<ClusterRobustMean> {
    const STATISTIC: &str = "cluster-robust standard error";
    if values.len() != clusters.ids().len() {
        return Err(StatsError::LengthMismatch {
            what: "cluster ids".into(),
            expected: values.len(),
            found: clusters.ids().len(),
        });
    }
    if values.is_empty() {
        return Err(StatsError::NoItems {
            statistic: STATISTIC,
            excluded: 0,
        });
    }
    let count = clusters.count();
    if count < 2 {
        return Err(StatsError::TooFewUnits {
            statistic: STATISTIC,
            unit: "clusters",
            needed: 2,
            found: count,
        });
    }
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let mut residual_sums = vec![0.0_f64; count];
    let mut squared_residuals = 0.0;
    for (&value, &id) in values.iter().zip(clusters.ids()) {
        let residual = value - mean;
        residual_sums[id as usize] += residual;
        squared_residuals += residual * residual;
    }
    let c = count as f64;
    let between = residual_sums.iter().map(|s| s * s).sum::<f64>();
    let variance = c / (c - 1.0) * between / (n * n);
    let srs_variance = if values.len() > 1 {
        squared_residuals / (n - 1.0) / n
    } else {
        0.0
    };
    let design_effect = (srs_variance > 0.0).then(|| variance / srs_variance);
    let effective_n = design_effect.filter(|&d| d > 0.0).map(|d| n / d);
    Ok(ClusterRobustMean {
        mean,
        standard_error: variance.sqrt(),
        n: values.len() as u64,
        clusters: count,
        design_effect,
        effective_n,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn singleton_clusters_give_the_textbook_standard_error_and_unit_design_effect() {
        let values = [1.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0, 1.0];
        let result = cluster_robust_mean(&values, &Clusters::singletons(values.len())).unwrap();
        // s² = p(1-p) n/(n-1) with p = 6/8: 0.1875 · 8/7; SE = s/√n.
        let expected = (0.1875_f64 * 8.0 / 7.0 / 8.0).sqrt();
        assert!((result.standard_error - expected).abs() < 1e-15);
        assert!((result.design_effect.unwrap() - 1.0).abs() < 1e-12);
        assert!((result.effective_n.unwrap() - 8.0).abs() < 1e-9);
    }

    #[test]
    fn perfectly_correlated_clusters_have_design_effect_near_cluster_size() {
        // Four clusters of three identical answers: the information is four items' worth.
        let values = [1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0];
        let clusters = Clusters::from_keys(values.iter().enumerate().map(|(i, _)| Some(i / 3)));
        let result = cluster_robust_mean(&values, &clusters).unwrap();
        // Per-cluster residual sums ±1.5: V = 4/3 · 4 · 2.25 / 144 = 1/12.
        assert!((result.standard_error - (1.0_f64 / 12.0).sqrt()).abs() < 1e-15);
        // s² = 0.25 · 12/11, V_srs = s²/12 = 1/44; deff = 44/12.
        assert!((result.design_effect.unwrap() - 44.0 / 12.0).abs() < 1e-12);
    }

    #[test]
    fn constant_values_have_no_design_effect_and_one_cluster_is_an_error() {
        let clusters = Clusters::from_keys([Some(1), Some(2), Some(2)]);
        let result = cluster_robust_mean(&[1.0, 1.0, 1.0], &clusters).unwrap();
        assert_eq!(result.standard_error, 0.0);
        assert_eq!(result.design_effect, None);
        assert_eq!(result.effective_n, None);
        let one = Clusters::from_keys([Some(1), Some(1)]);
        assert!(matches!(
            cluster_robust_mean(&[1.0, 0.0], &one),
            Err(StatsError::TooFewUnits { found: 1, .. })
        ));
        assert!(matches!(
            cluster_robust_mean(&[], &Clusters::from_keys::<u8>([])),
            Err(StatsError::NoItems { .. })
        ));
    }
}
