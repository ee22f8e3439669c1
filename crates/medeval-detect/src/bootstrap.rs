//! Bootstrap intervals over images (mAP) or scans (FROC): each replicate draws as many units
//! as there are, with replacement, and recomputes the metric on the drawn multiset (an image
//! drawn twice counts twice). Replicate `r` draws from medeval's stream `(seed, r)`, so the
//! interval is the same on any number of threads; the interval is the 95% percentile interval
//! (numpy's default interpolation), as everywhere in medeval.

use rayon::prelude::*;
use serde::Serialize;

use medeval_stats::rng::replicate_stream;

/// How to bootstrap: how many replicates, from which seed. Recorded with every interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BootstrapSpec {
    /// Number of replicates (0 turns the bootstrap off).
    pub resamples: u32,
    /// The seed of every replicate's stream.
    pub seed: u64,
}

/// A 95% percentile interval, with what it rests on.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Interval {
    /// Lower end.
    pub low: f64,
    /// Upper end.
    pub high: f64,
    /// Replicates that gave a value (a replicate whose draw holds no ground truth has none).
    pub replicates: u32,
    /// Replicates without a value, left out of the interval.
    pub undefined: u32,
    /// The seed.
    pub seed: u64,
    /// What was resampled: `images` or `scans`.
    pub units: &'static str,
}

/// How many times each of `units` units is drawn in replicate `replicate`.
pub fn draw_counts(units: usize, seed: u64, replicate: u32) -> Vec<u32> {
    let mut counts = vec![0_u32; units];
    if units == 0 {
        return counts;
    }
    let mut rng = replicate_stream(seed, u64::from(replicate));
    rng.positions(units as u32, |p| counts[p as usize] += 1);
    counts
}

/// Runs `metric` on every replicate's draw counts (in parallel) and returns one interval per
/// value `metric` returns (each value `None` when undefined for that draw); an interval is
/// `None` when no replicate gave its value.
pub fn intervals<F>(
    spec: BootstrapSpec,
    units: usize,
    unit_name: &'static str,
    values: usize,
    metric: F,
) -> Vec<Option<Interval>>
where
    F: Fn(&[u32]) -> Vec<Option<f64>> + Sync,
{
    let replicates: Vec<Vec<Option<f64>>> = (0..spec.resamples)
        .into_par_iter()
        .map(|r| metric(&draw_counts(units, spec.seed, r)))
        .collect();
    (0..values)
        .map(|v| {
            let mut defined: Vec<f64> = replicates.iter().filter_map(|r| r[v]).collect();
            if defined.is_empty() {
                return None;
            }
            let count = defined.len() as u32;
            let [low, high] = medeval_stats::percentile_interval(&mut defined, 0.95);
            Some(Interval {
                low,
                high,
                replicates: count,
                undefined: spec.resamples - count,
                seed: spec.seed,
                units: unit_name,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_draw_takes_as_many_units_as_there_are_and_depends_only_on_seed_and_replicate() {
        let counts = draw_counts(37, 5, 3);
        assert_eq!(counts.iter().sum::<u32>(), 37);
        assert_eq!(counts, draw_counts(37, 5, 3));
        assert_ne!(counts, draw_counts(37, 5, 4));
    }

    #[test]
    fn intervals_cover_the_replicates_and_count_undefined_ones() {
        let spec = BootstrapSpec {
            resamples: 200,
            seed: 1,
        };
        // The share of draws of unit 0, undefined when unit 0 is not drawn.
        let found = intervals(spec, 10, "images", 1, |w| {
            vec![(w[0] > 0).then(|| f64::from(w[0]) / 10.0)]
        });
        let interval = found[0].clone().unwrap();
        assert!(interval.low >= 0.1 && interval.high <= 0.5, "{interval:?}");
        // P(unit 0 not drawn) = 0.9^10 ≈ 0.35: some replicates are undefined.
        assert!(
            interval.undefined > 30 && interval.undefined < 110,
            "{interval:?}"
        );
        assert_eq!(interval.replicates + interval.undefined, 200);
    }
}
