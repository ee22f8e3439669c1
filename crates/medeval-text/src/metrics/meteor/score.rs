//! METEOR's sufficient statistics and score (Fmean, fragmentation penalty), apart from matching.

const ALPHA: f64 = 0.85;
const BETA: f64 = 0.20;
const GAMMA: f64 = 0.60;
const DELTA: f64 = 0.75;
/// Scoring weights of the English modules in the jar's order: exact, stem, synonym,
/// paraphrase (a variant without the last two has no matches for them).
const MODULE_WEIGHTS: [f64; 4] = [1.0, 0.6, 0.8, 0.6];

/// Sufficient statistics of one (candidate, reference) alignment, as Meteor's `-ssOut` prints
/// them; summing them over items gives the corpus statistics.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct MeteorStats {
    /// Candidate words.
    pub test_len: f64,
    /// Reference words.
    pub ref_len: f64,
    /// Candidate function words.
    pub test_function: f64,
    /// Reference function words.
    pub ref_function: f64,
    /// Per module: candidate content-word matches.
    pub test_content_matches: [f64; 4],
    /// Per module: reference content-word matches.
    pub ref_content_matches: [f64; 4],
    /// Per module: candidate function-word matches.
    pub test_function_matches: [f64; 4],
    /// Per module: reference function-word matches.
    pub ref_function_matches: [f64; 4],
    /// Chunks of contiguous matches.
    pub chunks: f64,
    /// Matched candidate words.
    pub test_word_matches: f64,
    /// Matched reference words.
    pub ref_word_matches: f64,
}

impl MeteorStats {
    fn test_total_matches(&self) -> f64 {
        (0..4)
            .map(|i| self.test_content_matches[i] + self.test_function_matches[i])
            .sum()
    }

    fn ref_total_matches(&self) -> f64 {
        (0..4)
            .map(|i| self.ref_content_matches[i] + self.ref_function_matches[i])
            .sum()
    }

    fn is_perfect(&self) -> bool {
        self.test_total_matches() == self.test_len
            && self.ref_total_matches() == self.ref_len
            && self.chunks == 1.0
    }

    /// Adds one item's statistics (Meteor's `addStats`: chunks of perfect matches are not
    /// added).
    pub fn add(&mut self, other: &Self) {
        self.test_len += other.test_len;
        self.ref_len += other.ref_len;
        self.test_function += other.test_function;
        self.ref_function += other.ref_function;
        for i in 0..4 {
            self.test_content_matches[i] += other.test_content_matches[i];
            self.ref_content_matches[i] += other.ref_content_matches[i];
            self.test_function_matches[i] += other.test_function_matches[i];
            self.ref_function_matches[i] += other.ref_function_matches[i];
        }
        if !other.is_perfect() {
            self.chunks += other.chunks;
        }
        self.test_word_matches += other.test_word_matches;
        self.ref_word_matches += other.ref_word_matches;
    }

    /// The METEOR score of these statistics (Meteor's `computeMetrics`).
    pub fn score(&self) -> f64 {
        let test_weighted_len =
            DELTA * (self.test_len - self.test_function) + (1.0 - DELTA) * self.test_function;
        let ref_weighted_len =
            DELTA * (self.ref_len - self.ref_function) + (1.0 - DELTA) * self.ref_function;
        // Summed in the jar's order: content words of every module, then function words.
        let weighted = |matches: &[f64; 4], factor: f64, mut sum: f64| {
            for (m, w) in matches.iter().zip(MODULE_WEIGHTS) {
                sum += m * w * factor;
            }
            sum
        };
        let test_weighted = weighted(
            &self.test_function_matches,
            1.0 - DELTA,
            weighted(&self.test_content_matches, DELTA, 0.0),
        );
        let ref_weighted = weighted(
            &self.ref_function_matches,
            1.0 - DELTA,
            weighted(&self.ref_content_matches, DELTA, 0.0),
        );
        let precision = test_weighted / test_weighted_len;
        let recall = ref_weighted / ref_weighted_len;
        let f_mean = 1.0 / (((1.0 - ALPHA) / precision) + (ALPHA / recall));
        let frag = if self.is_perfect() {
            0.0
        } else {
            self.chunks / ((self.test_word_matches + self.ref_word_matches) / 2.0)
        };
        let penalty = GAMMA * frag.powf(BETA);
        let score = f_mean * (1.0 - penalty);
        if score.is_nan() { 0.0 } else { score.max(0.0) }
    }
}
