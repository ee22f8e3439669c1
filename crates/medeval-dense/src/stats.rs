//! Summary statistics and percentile-bootstrap confidence intervals.
//!
//! The bootstrap uses its own small deterministic generator (SplitMix64) so that a summary is
//! reproducible from its seed alone, on every platform, without a dependency.

/// Summary of one sample of metric values.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Summary {
    /// Number of defined values.
    pub n: usize,
    /// Arithmetic mean.
    pub mean: f64,
    /// Sample standard deviation (n - 1 in the denominator; 0 for one value).
    pub std: f64,
    /// Median (linear-interpolation percentile 50).
    pub median: f64,
    /// First quartile.
    pub q1: f64,
    /// Third quartile.
    pub q3: f64,
    /// Lower end of the bootstrap interval of the mean.
    pub ci_low: f64,
    /// Upper end of the bootstrap interval of the mean.
    pub ci_high: f64,
}

/// Bootstrap settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bootstrap {
    /// Number of resamples.
    pub resamples: usize,
    /// Confidence level, e.g. 0.95.
    pub level: f64,
    /// Generator seed.
    pub seed: u64,
}

impl Default for Bootstrap {
    fn default() -> Self {
        Bootstrap {
            resamples: 2000,
            level: 0.95,
            seed: 0,
        }
    }
}

/// Summarises `values` (all finite); `None` for an empty sample.
pub fn summarize(values: &[f64], bootstrap: &Bootstrap) -> Option<Summary> {
    let n = values.len();
    if n == 0 {
        return None;
    }
    let mean = values.iter().sum::<f64>() / n as f64;
    let std = if n > 1 {
        (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt()
    } else {
        0.0
    };
    let mut sorted = values.to_vec();
    sorted.sort_unstable_by(f64::total_cmp);
    let (ci_low, ci_high) = bootstrap_interval(values, bootstrap, |sample| {
        sample.iter().sum::<f64>() / sample.len() as f64
    });
    Some(Summary {
        n,
        mean,
        std,
        median: quantile_sorted(&sorted, 0.5),
        q1: quantile_sorted(&sorted, 0.25),
        q3: quantile_sorted(&sorted, 0.75),
        ci_low,
        ci_high,
    })
}

/// Linear-interpolation quantile (NumPy's default) of sorted values, `q` in [0, 1].
pub fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    let n = sorted.len();
    if n == 0 {
        return f64::NAN;
    }
    let rank = q * (n - 1) as f64;
    let low = rank.floor() as usize;
    let high = (low + 1).min(n - 1);
    let fraction = rank - low as f64;
    sorted[low] + (sorted[high] - sorted[low]) * fraction
}

/// Percentile bootstrap interval of `statistic` over resamples (with replacement) of `items`.
/// Resamples on which the statistic is not finite are dropped; NaN bounds when none is left.
pub fn bootstrap_interval<T: Clone>(
    items: &[T],
    settings: &Bootstrap,
    statistic: impl Fn(&[T]) -> f64,
) -> (f64, f64) {
    if items.is_empty() || settings.resamples == 0 {
        return (f64::NAN, f64::NAN);
    }
    let mut rng = SplitMix64(settings.seed);
    let mut sample = Vec::with_capacity(items.len());
    let mut stats = Vec::with_capacity(settings.resamples);
    for _ in 0..settings.resamples {
        sample.clear();
        for _ in 0..items.len() {
            sample.push(items[rng.below(items.len())].clone());
        }
        let s = statistic(&sample);
        if s.is_finite() {
            stats.push(s);
        }
    }
    if stats.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    stats.sort_unstable_by(f64::total_cmp);
    let alpha = (1.0 - settings.level) / 2.0;
    (
        quantile_sorted(&stats, alpha),
        quantile_sorted(&stats, 1.0 - alpha),
    )
}

/// SplitMix64 (Steele, Lea & Flood 2014): tiny, fast, well distributed, reproducible.
pub struct SplitMix64(pub u64);

impl SplitMix64 {
    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform integer in `0..n` (Lemire's multiply-shift; the bias is below 2^-32 for the
    /// sample sizes of an evaluation).
    pub fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quartiles_follow_numpy() {
        // numpy.percentile([1, 2, 3, 4], [25, 50, 75]) = [1.75, 2.5, 3.25]
        let s = summarize(
            &[4.0, 1.0, 3.0, 2.0],
            &Bootstrap {
                resamples: 0,
                ..Bootstrap::default()
            },
        )
        .expect("non-empty");
        assert_eq!((s.q1, s.median, s.q3), (1.75, 2.5, 3.25));
        assert_eq!(s.mean, 2.5);
        assert!((s.std - (5.0f64 / 3.0).sqrt()).abs() < 1e-12);
    }

    #[test]
    fn bootstrap_interval_brackets_the_mean_and_is_reproducible() {
        let values: Vec<f64> = (0..50).map(|i| f64::from(i % 7)).collect();
        let settings = Bootstrap::default();
        let a = summarize(&values, &settings).expect("non-empty");
        let b = summarize(&values, &settings).expect("non-empty");
        assert_eq!(a, b);
        assert!(a.ci_low < a.mean && a.mean < a.ci_high);
    }

    #[test]
    fn constant_samples_have_a_degenerate_interval() {
        let s = summarize(&[0.5; 10], &Bootstrap::default()).expect("non-empty");
        assert_eq!((s.ci_low, s.ci_high), (0.5, 0.5));
    }
}
