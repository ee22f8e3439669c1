//! What a cluster interval becomes when there are too few clusters to estimate it.
//!
//! The cluster-robust (sandwich) variance estimates the variance of a mean from the spread of
//! per-cluster residual sums; the cluster bootstrap resamples whole clusters. Both rest on the
//! number of clusters C growing, not the number of items, and both break down when C is small:
//! with two clusters whose accuracies happen to agree the sandwich variance is exactly 0 (an
//! interval of zero width), and with two or three clusters t(C-1) is so large that the interval
//! covers [0, 1]. The literature puts the point below which they are unreliable at a few dozen
//! clusters: Cameron & Miller (2015, "A practitioner's guide to cluster-robust inference",
//! J. Human Resources 50(2), section VI) between "less than 20 to less than 50" balanced
//! clusters; Cameron, Gelbach & Miller (2008, Rev. Economics and Statistics 90(3)) show
//! over-rejection of sandwich tests and a poor pairs cluster bootstrap with 5 to 30 clusters.
//! Below [`MIN_CLUSTERS`] clusters, and whenever a cluster method gives an interval of zero
//! width, medeval uses the cluster bound instead and says so ([`CiFallback`]).
//!
//! **The cluster bound.** Whatever the correlation inside clusters, a cluster's mean is a
//! number in [0, 1] with mean p, so its variance is at most p(1-p) (the most a [0, 1] variable
//! can vary), reached when every item of a cluster has the same outcome. With clusters of sizes
//! m_g (n items in all, clusters independent) the variance of the item mean is therefore at most
//! p(1-p) · Σ m_g² / n² = p(1-p) / n_w, with the worst-case effective sample size
//!
//! ```text
//! n_w = n² / Σ_g m_g²        (= C for C clusters of equal size; = n for singletons)
//! ```
//!
//! (Kish's effective sample size at intra-cluster correlation 1). The interval is Wilson's score
//! interval for that variance: all p with |p̂ - p| ≤ z √(p(1-p)/n_w). It needs no estimate of the
//! correlation, so it holds with any number of clusters; it is conservative (wider than the
//! truth when answers within a cluster are not all alike). Wilson intervals at an effective
//! sample size are what Korn & Graubard (1998, Survey Methodology 24(2)) and Dean & Pagano (2015,
//! J. Survey Statistics and Methodology 3(4)) recommend for proportions from clustered samples.

use serde::{Deserialize, Serialize};

use crate::accuracy::CiMethodName;
use crate::error::{Result, check_confidence};
use crate::outcomes::Clusters;
use crate::proportion::wilson_score;

/// Below this many clusters a cluster-robust interval or a cluster bootstrap is not computed:
/// the cluster bound is used instead. 30 is the low end of the range the literature gives (see
/// the module documentation); clusters of very unequal size need more.
pub const MIN_CLUSTERS: usize = 30;

/// Why a cluster interval was replaced by the cluster bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FallbackReason {
    /// Fewer than [`MIN_CLUSTERS`] clusters.
    TooFewClusters,
    /// The cluster method estimated no variance at all (every cluster at the same accuracy,
    /// or every item alike), which would read as certainty.
    ZeroWidth,
}

/// A record that the interval asked for was not used, why, and what replaced it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CiFallback {
    /// The cluster method that was asked for (`cluster_robust` or `cluster_bootstrap`).
    pub from: CiMethodName,
    /// Why it was not used.
    pub reason: FallbackReason,
    /// Clusters in the data.
    pub clusters: usize,
    /// The fewest clusters a cluster method is used with ([`MIN_CLUSTERS`]).
    pub minimum_clusters: usize,
    /// n² / Σ m_g², the sample size of the Wilson interval that replaced it.
    pub worst_case_n: f64,
}

/// The cluster bound on a mean: its interval and its largest standard error.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClusterBound {
    /// Wilson's interval at `worst_case_n`, within [0, 1].
    pub interval: [f64; 2],
    /// √(p̂(1-p̂)/n_w), the largest standard error the clustering allows.
    pub standard_error: f64,
    /// n² / Σ m_g².
    pub worst_case_n: f64,
}

/// n² / Σ m_g² for the items of `clusters` (m_g the size of cluster g): the number of
/// independent items the data is worth if every item of a cluster had the same outcome.
/// `None` when there are no items.
pub fn worst_case_n(clusters: &Clusters) -> Option<f64> {
    let mut sizes = vec![0_u64; clusters.count()];
    for &id in clusters.ids() {
        sizes[id as usize] += 1;
    }
    let n = clusters.ids().len() as f64;
    let squares: u64 = sizes.iter().map(|m| m * m).sum();
    (squares > 0).then(|| n * n / squares as f64)
}

/// The cluster bound for a `mean` of values in [0, 1] over the items of `clusters`, at
/// `confidence`. `None` when there are no items or the mean is not in [0, 1].
pub fn cluster_bound(
    mean: f64,
    clusters: &Clusters,
    confidence: f64,
) -> Result<Option<ClusterBound>> {
    check_confidence(confidence)?;
    let Some(n_w) = worst_case_n(clusters) else {
        return Ok(None);
    };
    if !(0.0..=1.0).contains(&mean) {
        return Ok(None);
    }
    Ok(Some(ClusterBound {
        interval: wilson_score(mean, n_w, confidence),
        standard_error: (mean * (1.0 - mean) / n_w).sqrt(),
        worst_case_n: n_w,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worst_case_n_is_the_cluster_count_for_equal_sizes_and_n_for_singletons() {
        let equal = Clusters::from_keys((0..40).map(|i| Some(i / 20)));
        assert_eq!(worst_case_n(&equal), Some(2.0));
        assert_eq!(worst_case_n(&Clusters::singletons(7)), Some(7.0));
        // Sizes 3 and 2: 25 / 13.
        let unequal = Clusters::from_keys([Some(1), Some(1), Some(1), Some(2), Some(2)]);
        assert_eq!(worst_case_n(&unequal), Some(25.0 / 13.0));
        assert_eq!(worst_case_n(&Clusters::from_keys::<u8>([])), None);
    }

    #[test]
    fn the_bound_at_one_unit_is_wilson_for_one_trial() {
        // One cluster of 4 items, all correct: Wilson for 1/1 is [1/(1+z²), 1].
        let one = Clusters::from_keys([Some(0); 4]);
        let bound = cluster_bound(1.0, &one, 0.95).unwrap().unwrap();
        let z = 1.959_963_984_540_054_f64;
        assert!((bound.interval[0] - 1.0 / (1.0 + z * z)).abs() < 1e-15);
        assert_eq!(bound.interval[1], 1.0);
        assert_eq!(bound.standard_error, 0.0);
        assert!(cluster_bound(1.5, &one, 0.95).unwrap().is_none());
    }
}
