//! Seeded random numbers for the bootstrap, reproducible on every platform.
//!
//! A bootstrap result is only worth reporting if anyone can recompute it from the recorded seed.
//! So the generators are specified here bit for bit, using only integer arithmetic:
//!
//! - [`SplitMix64`] (Steele, Lea & Flood 2014) turns a 64-bit seed into well-mixed state words;
//! - [`Xoshiro256StarStar`] (Blackman & Vigna 2018) draws the numbers;
//! - each bootstrap replicate `r` gets its own generator, [`replicate_stream`]`(seed, r)`, so
//!   replicates can run on any number of threads, in any order, and give identical results;
//! - [`Xoshiro256StarStar::below`] draws uniform integers without bias (Lemire 2019), and
//!   [`Xoshiro256StarStar::positions`] draws a bootstrap resample's positions two at a time from
//!   the two 32-bit halves of each output, the same way.
//!
//! For items valued -1, 0 or 1 the bootstrap needs only how many of each the resample holds, so
//! it draws those counts directly from their multinomial distribution with
//! [`BinomialInversion`] instead of drawing every item.
//!
//! `bench/stats/make_reference.py` reimplements all of this in Python and records replicate
//! statistics that `tests/bootstrap.rs` compares exactly.

use crate::special::{binomial_cdf, binomial_pmf};

/// The SplitMix64 generator (medeval's one seeded stream, from `medeval-core`). Used here to
/// derive seeds, not to draw bootstrap indices.
pub use medeval_core::SplitMix64;

/// The xoshiro256** generator: 256 bits of state, period 2²⁵⁶ - 1, fast and statistically strong.
#[derive(Debug, Clone)]
pub struct Xoshiro256StarStar {
    state: [u64; 4],
}

impl Xoshiro256StarStar {
    /// A generator whose state is the first four outputs of [`SplitMix64::new`]`(seed)` (the
    /// seeding its authors recommend; the state is never all zero).
    pub fn seed_from_u64(seed: u64) -> Self {
        let mut seeder = SplitMix64::new(seed);
        Self {
            state: [
                seeder.next_u64(),
                seeder.next_u64(),
                seeder.next_u64(),
                seeder.next_u64(),
            ],
        }
    }

    /// The next 64-bit output.
    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        let [s0, s1, s2, s3] = &mut self.state;
        let result = s1.wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = *s1 << 17;
        *s2 ^= *s0;
        *s3 ^= *s1;
        *s1 ^= *s2;
        *s0 ^= *s3;
        *s2 ^= t;
        *s3 = s3.rotate_left(45);
        result
    }

    /// A uniform integer in `0..bound` (`bound` > 0), without modulo bias.
    ///
    /// Lemire's method: the high 64 bits of `x · bound` for a 64-bit output `x`, redrawing `x`
    /// in the rare case (probability below bound / 2⁶⁴) that its low 64 bits fall under
    /// `2⁶⁴ mod bound`.
    #[inline]
    pub fn below(&mut self, bound: u64) -> u64 {
        debug_assert!(bound > 0);
        let mut product = u128::from(self.next_u64()) * u128::from(bound);
        let mut low = product as u64;
        if low < bound {
            let threshold = bound.wrapping_neg() % bound;
            while low < threshold {
                product = u128::from(self.next_u64()) * u128::from(bound);
                low = product as u64;
            }
        }
        (product >> 64) as u64
    }
}

impl Xoshiro256StarStar {
    /// Draws `count` positions uniform in `0..count` (`count` ≥ 1), calling `visit` with each:
    /// one bootstrap resample of `count` units.
    ///
    /// Each 64-bit output gives two 32-bit words, low half first. A word w becomes the position
    /// ⌊w·count / 2³²⌋ unless the low 32 bits of w·count fall below 2³² mod count, in which case
    /// it is skipped (Lemire's rejection, probability below count / 2³²), so every position is
    /// exactly equally likely. The unused half of the last output is discarded.
    #[inline]
    pub fn positions(&mut self, count: u32, visit: impl FnMut(u32)) {
        self.draw_positions(count, count, visit);
    }

    /// Draws `draws` positions uniform in `0..count`, as [`Xoshiro256StarStar::positions`] does.
    #[inline]
    fn draw_positions(&mut self, count: u32, draws: u32, mut visit: impl FnMut(u32)) {
        debug_assert!(count > 0);
        let threshold = count.wrapping_neg() % count;
        let mut remaining = draws;
        while remaining > 0 {
            let output = self.next_u64();
            let low = u64::from(output as u32) * u64::from(count);
            let high = (output >> 32) * u64::from(count);
            if low as u32 >= threshold {
                visit((low >> 32) as u32);
                remaining -= 1;
            }
            if remaining > 0 && high as u32 >= threshold {
                visit((high >> 32) as u32);
                remaining -= 1;
            }
        }
    }
}

/// A uniform double in [0, 1): the top 53 bits of one output, times 2⁻⁵³.
#[inline]
pub fn unit_interval(rng: &mut Xoshiro256StarStar) -> f64 {
    (rng.next_u64() >> 11) as f64 * (1.0 / (1_u64 << 53) as f64)
}

/// Draws from Binomial(n, p) by inversion, walking the distribution function from the mode.
///
/// For a uniform u in [0, 1) the draw is the smallest x with u < F(x). The walk starts at the
/// mode m = ⌊(n+1)p⌋ with F(m) and P(X = m) from [`crate::special`], and moves one value at a
/// time with the ratio P(X = x+1) / P(X = x) = (n-x)p / ((x+1)(1-p)), so a draw costs about one
/// standard deviation of steps. Only IEEE arithmetic and `libm` are involved, so draws are the
/// same on every platform.
#[derive(Debug, Clone, Copy)]
pub struct BinomialInversion {
    trials: u64,
    p: f64,
    mode: u64,
    mode_pmf: f64,
    mode_cdf: f64,
}

impl BinomialInversion {
    /// The sampler for Binomial(`trials`, `p`), p in [0, 1].
    pub fn new(trials: u64, p: f64) -> Self {
        let mode = (((trials + 1) as f64 * p).floor() as u64).min(trials);
        Self {
            trials,
            p,
            mode,
            mode_pmf: binomial_pmf(mode, trials, p),
            mode_cdf: binomial_cdf(mode, trials, p),
        }
    }

    /// The draw for uniform `u` in [0, 1).
    pub fn sample(&self, u: f64) -> u64 {
        let (n, p) = (self.trials, self.p);
        if p <= 0.0 || n == 0 {
            return 0;
        }
        if p >= 1.0 {
            return n;
        }
        let odds = p / (1.0 - p);
        let (mut x, mut pmf, mut cdf) = (self.mode, self.mode_pmf, self.mode_cdf);
        if u < cdf {
            // Walk down while u < F(x - 1) = F(x) - P(X = x).
            while x > 0 && u < cdf - pmf {
                cdf -= pmf;
                pmf *= x as f64 / ((n - x + 1) as f64 * odds);
                x -= 1;
            }
        } else {
            // Walk up while F(x) ≤ u.
            while x < n && cdf <= u {
                pmf *= (n - x) as f64 * odds / (x + 1) as f64;
                cdf += pmf;
                x += 1;
            }
        }
        x
    }
}

/// The generator of bootstrap replicate `replicate` under `seed`.
///
/// Defined as `Xoshiro256StarStar::seed_from_u64(seed ^ SplitMix64::new(replicate).next_u64())`:
/// hashing the replicate index first keeps the seeds of neighbouring replicates far apart.
pub fn replicate_stream(seed: u64, replicate: u64) -> Xoshiro256StarStar {
    Xoshiro256StarStar::seed_from_u64(seed ^ SplitMix64::new(replicate).next_u64())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix_and_xoshiro_match_the_published_algorithms() {
        // SplitMix64 from state 0: the first output is the mix of the golden-ratio increment,
        // 0xE220A8397B1DCDAF (the value the reference C implementation prints).
        assert_eq!(SplitMix64::new(0).next_u64(), 0xE220_A839_7B1D_CDAF);
        // xoshiro256** with state [1, 2, 3, 4]: first output rotl(2 * 5, 7) * 9 = 11520,
        // second output 0 (by hand from the state update), third 1509978240.
        let mut rng = Xoshiro256StarStar {
            state: [1, 2, 3, 4],
        };
        assert_eq!(rng.next_u64(), 11_520);
        assert_eq!(rng.next_u64(), 0);
        assert_eq!(rng.next_u64(), 1_509_978_240);
    }

    #[test]
    fn bounded_draws_stay_in_range_and_cover_it() {
        let mut rng = replicate_stream(7, 0);
        let mut seen = [0u32; 7];
        for _ in 0..7_000 {
            let value = rng.below(7);
            seen[value as usize] += 1;
        }
        assert!(
            seen.iter().all(|&count| (850..1150).contains(&count)),
            "{seen:?}"
        );
        assert_eq!(rng.below(1), 0);
    }

    #[test]
    fn rejected_words_are_skipped_in_order() {
        // count = 3·2³⁰: 2³² mod count = 2³⁰, so a quarter of all words are rejected.
        let count = 3 << 30;
        let mut words = Vec::new();
        let mut raw = replicate_stream(1, 2);
        for _ in 0..600 {
            let output = raw.next_u64();
            words.extend([output & 0xFFFF_FFFF, output >> 32]);
        }
        let expected: Vec<u32> = words
            .iter()
            .map(|&w| w * u64::from(count))
            .filter(|&product| product & 0xFFFF_FFFF >= 1 << 30)
            .map(|product| (product >> 32) as u32)
            .take(800)
            .collect();
        let mut drawn = Vec::new();
        replicate_stream(1, 2).draw_positions(count, 800, |p| drawn.push(p));
        assert_eq!(drawn, expected);
        assert!(
            words.len() - 800 > 200,
            "enough words were rejected to exercise the path"
        );
    }

    #[test]
    fn positions_use_both_halves_and_stay_in_range() {
        let output = replicate_stream(3, 9).next_u64();
        // The first two positions come from one output: ⌊half · 10 / 2³²⌋, low half first
        // (rejection needs the low product bits below 2³² mod 10 = 6: practically never).
        let expected = [output & 0xFFFF_FFFF, output >> 32].map(|half| ((half * 10) >> 32) as u32);
        let mut drawn = Vec::new();
        replicate_stream(3, 9).positions(10, |p| drawn.push(p));
        assert_eq!(drawn.len(), 10);
        assert_eq!(drawn[..2], expected);
        assert!(drawn.iter().all(|&p| p < 10));
    }
}
