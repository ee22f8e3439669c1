//! Seeded random numbers for the bootstrap, reproducible on every platform.
//!
//! A bootstrap result is only worth reporting if anyone can recompute it from the recorded seed.
//! So the generators are specified here bit for bit, using only integer arithmetic:
//!
//! - [`SplitMix64`] (Steele, Lea & Flood 2014) turns a 64-bit seed into well-mixed state words;
//! - [`Xoshiro256StarStar`] (Blackman & Vigna 2018) draws the numbers;
//! - each bootstrap replicate `r` gets its own generator, [`replicate_stream`]`(seed, r)`, so
//!   replicates can run on any number of threads, in any order, and give identical results;
//! - [`Xoshiro256StarStar::below`] draws uniform integers without bias (Lemire 2019).
//!
//! `bench/stats/make_reference.py` reimplements all of this in Python and records replicate
//! statistics that `tests/bootstrap.rs` compares exactly.

/// The SplitMix64 generator: a 64-bit counter advanced by the golden-ratio increment and passed
/// through a mixing function. Used here to derive seeds, not to draw bootstrap indices.
#[derive(Debug, Clone)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// A generator whose counter starts at `seed`.
    pub fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    /// The next output.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

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
        let mut rng = Xoshiro256StarStar { state: [1, 2, 3, 4] };
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
        assert!(seen.iter().all(|&count| (850..1150).contains(&count)), "{seen:?}");
        assert_eq!(rng.below(1), 0);
    }
}
