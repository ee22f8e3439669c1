//! The bootstrap: resampling items (or whole clusters) with replacement.
//!
//! Each replicate draws as many units as there are, uniformly with replacement, and computes the
//! ratio Σ numerators / Σ denominators over the drawn units: for items, the numerator is the
//! item's value (1 correct / 0 wrong, or the paired difference -1/0/1) and the denominator is 1;
//! for clusters, they are the cluster's sum and its number of items, so a replicate's accuracy is
//! taken over all items of the drawn clusters.
//!
//! Replicate `r` draws from its own generator [`replicate_stream`]`(seed, r)`, so replicates run in
//! parallel (rayon) and the result is identical on any number of threads and any platform. The
//! interval is the percentile interval with linear interpolation between order statistics (the
//! default of `numpy.percentile`, Hyndman & Fan type 7).

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{Result, StatsError};
use crate::rng::replicate_stream;

/// The seed used when the caller does not choose one (the ASCII bytes of `medeval`).
pub const DEFAULT_SEED: u64 = 0x006D_6564_6576_616C;

/// The number of replicates used when the caller does not choose one.
pub const DEFAULT_REPLICATES: u32 = 10_000;

/// How to bootstrap: how many replicates, from which seed. Recorded in every result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bootstrap {
    /// Number of replicates (at least 1; 10,000 gives percentiles stable to about ±0.002 for
    /// typical accuracies).
    pub replicates: u32,
    /// The seed every replicate's random stream is derived from.
    pub seed: u64,
}

impl Default for Bootstrap {
    fn default() -> Self {
        Self {
            replicates: DEFAULT_REPLICATES,
            seed: DEFAULT_SEED,
        }
    }
}

impl Bootstrap {
    pub(crate) fn check(&self) -> Result<()> {
        if self.replicates == 0 {
            return Err(StatsError::InvalidParameter {
                name: "replicates",
                value: "0".into(),
                expected: "at least 1 bootstrap replicate",
            });
        }
        Ok(())
    }
}

/// What a bootstrap resampled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Resampled {
    /// Items were drawn independently.
    Items,
    /// Whole clusters were drawn (the cluster bootstrap).
    Clusters,
}

/// How a bootstrap result was obtained, for the record: enough to recompute it exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BootstrapRecord {
    /// Number of replicates.
    pub replicates: u32,
    /// The seed.
    pub seed: u64,
    /// Whether items or clusters were resampled.
    pub resampled: Resampled,
    /// How many units (items or clusters) each replicate drew.
    pub units: usize,
}

/// Units to resample: one numerator per unit, and either unit denominators (items) or one
/// denominator per unit (clusters: their sizes).
pub(crate) enum Units<'a, T> {
    /// Items: each replicate's value is the mean of the drawn numerators.
    Items(&'a [T]),
    /// Clusters: each replicate's value is Σ drawn sums / Σ drawn sizes.
    Clusters {
        /// Per cluster: the sum of the item values.
        sums: &'a [i64],
        /// Per cluster: the number of items.
        sizes: &'a [u32],
    },
}

impl<T: Copy + Into<i64> + Sync> Units<'_, T> {
    fn count(&self) -> usize {
        match self {
            Self::Items(values) => values.len(),
            Self::Clusters { sums, .. } => sums.len(),
        }
    }

    /// The replicate statistics, in replicate order. Needs at least two units: resampling a
    /// single unit gives a degenerate distribution that would read as certainty.
    pub(crate) fn replicates(&self, bootstrap: &Bootstrap, statistic: &'static str) -> Result<Vec<f64>> {
        bootstrap.check()?;
        let units = self.count();
        if units < 2 {
            return Err(StatsError::TooFewUnits {
                statistic,
                unit: match self {
                    Self::Items(_) => "items",
                    Self::Clusters { .. } => "clusters",
                },
                needed: 2,
                found: units,
            });
        }
        let seed = bootstrap.seed;
        Ok((0..bootstrap.replicates)
            .into_par_iter()
            .map(|replicate| self.replicate(seed, u64::from(replicate)))
            .collect())
    }

    fn replicate(&self, seed: u64, replicate: u64) -> f64 {
        let mut rng = replicate_stream(seed, replicate);
        match self {
            Self::Items(values) => {
                let n = values.len() as u64;
                let mut sum = 0_i64;
                for _ in 0..n {
                    sum += values[rng.below(n) as usize].into();
                }
                sum as f64 / n as f64
            }
            Self::Clusters { sums, sizes } => {
                let count = sums.len() as u64;
                let (mut sum, mut size) = (0_i64, 0_u64);
                for _ in 0..count {
                    let drawn = rng.below(count) as usize;
                    sum += sums[drawn];
                    size += u64::from(sizes[drawn]);
                }
                sum as f64 / size as f64
            }
        }
    }

    /// The record of a bootstrap over these units.
    pub(crate) fn record(&self, bootstrap: &Bootstrap) -> BootstrapRecord {
        BootstrapRecord {
            replicates: bootstrap.replicates,
            seed: bootstrap.seed,
            resampled: match self {
                Self::Items(_) => Resampled::Items,
                Self::Clusters { .. } => Resampled::Clusters,
            },
            units: self.count(),
        }
    }
}

/// The `q`-quantile (0 ≤ q ≤ 1) of sorted, non-empty `values`, interpolating linearly between
/// order statistics: position h = (R-1)·q (Hyndman & Fan type 7, numpy's default).
pub fn quantile_sorted(values: &[f64], q: f64) -> f64 {
    debug_assert!(!values.is_empty());
    let position = (values.len() - 1) as f64 * q;
    let below = position.floor() as usize;
    let above = (below + 1).min(values.len() - 1);
    let fraction = position - below as f64;
    values[below] + fraction * (values[above] - values[below])
}

/// The percentile interval at `confidence` of bootstrap `replicates` (sorted in place).
pub fn percentile_interval(replicates: &mut [f64], confidence: f64) -> [f64; 2] {
    replicates.sort_unstable_by(f64::total_cmp);
    let tail = 0.5 * (1.0 - confidence);
    [
        quantile_sorted(replicates, tail),
        quantile_sorted(replicates, 1.0 - tail),
    ]
}

/// The sample standard deviation of the replicates (the bootstrap standard error).
pub(crate) fn standard_deviation(values: &[f64]) -> f64 {
    let n = values.len() as f64;
    if values.len() < 2 {
        return 0.0;
    }
    let mean = values.iter().sum::<f64>() / n;
    (values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (n - 1.0)).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_interpolate_like_numpy() {
        let values = [1.0, 2.0, 3.0, 4.0];
        // numpy.percentile([1, 2, 3, 4], [0, 25, 50, 100]) = 1, 1.75, 2.5, 4.
        assert_eq!(quantile_sorted(&values, 0.0), 1.0);
        assert_eq!(quantile_sorted(&values, 0.25), 1.75);
        assert_eq!(quantile_sorted(&values, 0.5), 2.5);
        assert_eq!(quantile_sorted(&values, 1.0), 4.0);
        assert_eq!(quantile_sorted(&[7.0], 0.3), 7.0);
    }

    #[test]
    fn identical_units_give_identical_replicates() {
        let values = [1_u8; 50];
        let replicates = Units::Items(&values[..])
            .replicates(&Bootstrap { replicates: 20, seed: 3 }, "test")
            .unwrap();
        assert!(replicates.iter().all(|&r| r == 1.0));
    }

    #[test]
    fn results_do_not_depend_on_the_number_of_threads() {
        let values: Vec<u8> = (0..997).map(|i| u8::from(i % 3 == 0)).collect();
        let bootstrap = Bootstrap { replicates: 257, seed: 11 };
        let run = |threads| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| Units::Items(&values[..]).replicates(&bootstrap, "test").unwrap())
        };
        let one = run(1);
        assert_eq!(one, run(2));
        assert_eq!(one, run(5));
        // And replicate r does not depend on how many replicates were asked for.
        let fewer = Units::Items(&values[..])
            .replicates(&Bootstrap { replicates: 10, seed: 11 }, "test")
            .unwrap();
        assert_eq!(fewer[..], one[..10]);
    }

    #[test]
    fn a_single_unit_or_no_replicates_is_an_error() {
        let one = [1_u8];
        assert!(matches!(
            Units::Items(&one[..]).replicates(&Bootstrap::default(), "test"),
            Err(StatsError::TooFewUnits { found: 1, .. })
        ));
        let two = [1_u8, 0];
        assert!(matches!(
            Units::Items(&two[..]).replicates(&Bootstrap { replicates: 0, seed: 1 }, "test"),
            Err(StatsError::InvalidParameter { .. })
        ));
    }
}
