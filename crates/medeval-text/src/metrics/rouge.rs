//! ROUGE-L as pycocoevalcap and as rouge-score compute it, and rouge-score's ROUGE-Lsum.
//!
//! * **pycocoevalcap** (`Rouge()`): tokens are the PTB output split on single spaces, so an
//!   empty caption is one empty token; precision and recall are maximised *separately* over the
//!   references and combined as `F = (1+β²)PR / (R + β²P)` with β = 1.2.
//! * **rouge-score** (`RougeScorer(['rougeL'])`): F1 of LCS precision and recall, 0 when either
//!   side has no tokens; with several references the one with the highest F wins
//!   (`score_multi`, first on ties).
//! * **ROUGE-Lsum**: rouge-score's summary-level LCS over newline-separated sentences (the union
//!   of per-sentence LCS hits, each token counted at most as often as it occurs).

/// Length of the longest common subsequence of two token sequences.
///
/// Bit-parallel (Allison and Dix 1986, in the form of Hyyrö 2004): a row of the usual
/// dynamic-programming table over the shorter sequence is kept as a bit vector whose zero bits
/// mark the positions where the LCS grows, and each token of the longer sequence updates it
/// with one multi-word addition and a few bitwise operations per 64 tokens, instead of one
/// table cell per pair of tokens. The result is the same integer as the table's.
///
/// The bit vectors of the shorter sequence's distinct tokens take `distinct × length / 64`
/// words; for the rare pair of very long texts where that would exceed [`MAX_MASK_WORDS`], the
/// table is computed row by row instead (linear memory, quadratic time).
pub fn lcs_len(a: &[u64], b: &[u64]) -> usize {
    let (long, short) = if a.len() >= b.len() { (a, b) } else { (b, a) };
    if short.is_empty() {
        return 0;
    }
    LCS_SCRATCH.with(|scratch| scratch.borrow_mut().lcs_len(long, short))
}

thread_local! {
    static LCS_SCRATCH: std::cell::RefCell<BitParallelLcs> = Default::default();
}

/// Bound on the bit vectors [`lcs_len`] builds (8 MB).
const MAX_MASK_WORDS: usize = 1 << 20;

/// The LCS table computed one row at a time (over the shorter sequence).
fn lcs_by_rows(long: &[u64], short: &[u64]) -> usize {
    let mut row = vec![0u32; short.len() + 1];
    for x in long {
        let mut diagonal = 0u32;
        for (j, y) in short.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = if x == y {
                diagonal + 1
            } else {
                above.max(row[j])
            };
            diagonal = above;
        }
    }
    row[short.len()] as usize
}

/// Buffers for [`lcs_len`], reused from call to call.
#[derive(Default)]
struct BitParallelLcs {
    /// The shorter sequence's (token, position) pairs, sorted.
    positions: Vec<(u64, usize)>,
    /// Its distinct tokens, sorted.
    tokens: Vec<u64>,
    /// For each distinct token, the bit vector of its positions (`words` u64 each).
    masks: Vec<u64>,
    /// The current row: bit i is 0 where the LCS grows at position i of the shorter sequence.
    row: Vec<u64>,
}

impl BitParallelLcs {
    fn lcs_len(&mut self, long: &[u64], short: &[u64]) -> usize {
        let words = short.len().div_ceil(64);
        self.positions.clear();
        self.positions.extend(short.iter().copied().zip(0..));
        self.positions.sort_unstable();
        let distinct = 1 + self
            .positions
            .windows(2)
            .filter(|w| w[0].0 != w[1].0)
            .count();
        if distinct * words > MAX_MASK_WORDS {
            return lcs_by_rows(long, short);
        }
        self.tokens.clear();
        self.masks.clear();
        for &(token, position) in &self.positions {
            if self.tokens.last() != Some(&token) {
                self.tokens.push(token);
                self.masks.resize(self.masks.len() + words, 0);
            }
            let base = (self.tokens.len() - 1) * words;
            self.masks[base + position / 64] |= 1 << (position % 64);
        }
        self.row.clear();
        self.row.resize(words, !0);
        for token in long {
            let Ok(k) = self.tokens.binary_search(token) else {
                // No match anywhere: the row is unchanged.
                continue;
            };
            let mask = &self.masks[k * words..(k + 1) * words];
            // row' = (row + u) | (row & !u), u = row & mask, the addition carried across words.
            let mut carry = false;
            for (v, &m) in self.row.iter_mut().zip(mask) {
                let u = *v & m;
                let (sum, overflow) = v.overflowing_add(u);
                let (sum, overflow_carry) = sum.overflowing_add(u64::from(carry));
                carry = overflow || overflow_carry;
                *v = sum | (*v & !u);
            }
        }
        // Bits above the shorter sequence's length are never read: additions only carry
        // upwards.
        let mut zeros = 0;
        for (w, &v) in self.row.iter().enumerate() {
            let valid = short.len() - 64 * w;
            let live = if valid >= 64 { !0 } else { (1u64 << valid) - 1 };
            zeros += (!v & live).count_ones() as usize;
        }
        zeros
    }
}

/// Precision, recall and F of one ROUGE-L computation.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct RougeScore {
    /// LCS length over candidate length.
    pub precision: f64,
    /// LCS length over reference length.
    pub recall: f64,
    /// The combined F value of the flavour.
    pub f: f64,
}

/// pycocoevalcap's ROUGE-L of one candidate against its references (β = 1.2).
///
/// An empty token list stands for the single empty token that `"".split(" ")` yields.
pub fn coco_rouge_l(candidate: &[u64], references: &[Vec<u64>]) -> RougeScore {
    const BETA: f64 = 1.2;
    const EMPTY: [u64; 1] = [EMPTY_TOKEN];
    let candidate = if candidate.is_empty() {
        &EMPTY[..]
    } else {
        candidate
    };
    let mut precision_max = f64::NEG_INFINITY;
    let mut recall_max = f64::NEG_INFINITY;
    for reference in references {
        let reference = if reference.is_empty() {
            &EMPTY[..]
        } else {
            &reference[..]
        };
        let lcs = lcs_len(reference, candidate) as f64;
        precision_max = precision_max.max(lcs / candidate.len() as f64);
        recall_max = recall_max.max(lcs / reference.len() as f64);
    }
    let f = if precision_max != 0.0 && recall_max != 0.0 && precision_max.is_finite() {
        ((1.0 + BETA * BETA) * precision_max * recall_max)
            / (recall_max + BETA * BETA * precision_max)
    } else {
        0.0
    };
    RougeScore {
        precision: precision_max.max(0.0),
        recall: recall_max.max(0.0),
        f,
    }
}

/// Fingerprint standing for the empty string token (`"".split(" ") == [""]`).
pub const EMPTY_TOKEN: u64 = 0x9e37_79b9_7f4a_7c15;

fn f1(precision: f64, recall: f64) -> f64 {
    if precision + recall > 0.0 {
        2.0 * precision * recall / (precision + recall)
    } else {
        0.0
    }
}

/// rouge-score's `_score_lcs`.
pub fn rouge_score_l(target: &[u64], prediction: &[u64]) -> RougeScore {
    if target.is_empty() || prediction.is_empty() {
        return RougeScore::default();
    }
    let lcs = lcs_len(target, prediction) as f64;
    let precision = lcs / prediction.len() as f64;
    let recall = lcs / target.len() as f64;
    RougeScore {
        precision,
        recall,
        f: f1(precision, recall),
    }
}

/// rouge-score's `score_multi`: the reference with the highest F (the first on ties).
pub fn best_of(scores: impl IntoIterator<Item = RougeScore>) -> RougeScore {
    let mut best: Option<RougeScore> = None;
    for s in scores {
        if best.is_none_or(|b| s.f > b.f) {
            best = Some(s);
        }
    }
    best.unwrap_or_default()
}

/// Indices into `reference` of one LCS with `candidate`, chosen by rouge-score's backtracking
/// (match when equal, otherwise move left when the left cell is strictly larger, else up).
fn lcs_indices(reference: &[u64], candidate: &[u64]) -> Vec<usize> {
    let rows = reference.len();
    let cols = candidate.len();
    let width = cols + 1;
    let mut table = vec![0u32; (rows + 1) * width];
    for i in 1..=rows {
        for j in 1..=cols {
            table[i * width + j] = if reference[i - 1] == candidate[j - 1] {
                table[(i - 1) * width + j - 1] + 1
            } else {
                table[(i - 1) * width + j].max(table[i * width + j - 1])
            };
        }
    }
    let (mut i, mut j) = (rows, cols);
    let mut indices = Vec::new();
    while i > 0 && j > 0 {
        if reference[i - 1] == candidate[j - 1] {
            indices.push(i - 1);
            i -= 1;
            j -= 1;
        } else if table[i * width + j - 1] > table[(i - 1) * width + j] {
            j -= 1;
        } else {
            i -= 1;
        }
    }
    indices.reverse();
    indices
}

/// rouge-score's summary-level ROUGE-Lsum (`_summary_level_lcs`) over tokenised sentences.
pub fn rouge_score_lsum(reference: &[Vec<u64>], candidate: &[Vec<u64>]) -> RougeScore {
    if reference.is_empty() || candidate.is_empty() {
        return RougeScore::default();
    }
    let m: usize = reference.iter().map(Vec::len).sum();
    let n: usize = candidate.iter().map(Vec::len).sum();
    if m == 0 || n == 0 {
        return RougeScore::default();
    }
    let mut ref_counts: std::collections::HashMap<u64, i64> = std::collections::HashMap::new();
    let mut cand_counts: std::collections::HashMap<u64, i64> = std::collections::HashMap::new();
    for s in reference {
        for &t in s {
            *ref_counts.entry(t).or_default() += 1;
        }
    }
    for s in candidate {
        for &t in s {
            *cand_counts.entry(t).or_default() += 1;
        }
    }
    let mut hits = 0usize;
    for r in reference {
        let mut union: Vec<usize> = candidate.iter().flat_map(|c| lcs_indices(r, c)).collect();
        union.sort_unstable();
        union.dedup();
        for i in union {
            let t = r[i];
            let c = cand_counts.entry(t).or_default();
            let rc = ref_counts.entry(t).or_default();
            if *c > 0 && *rc > 0 {
                hits += 1;
                *c -= 1;
                *rc -= 1;
            }
        }
    }
    let recall = hits as f64 / m as f64;
    let precision = hits as f64 / n as f64;
    RougeScore {
        precision,
        recall,
        f: f1(precision, recall),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lcs_of_hand_examples() {
        assert_eq!(lcs_len(&[1, 2, 3, 4], &[1, 3, 4]), 3);
        assert_eq!(lcs_len(&[1, 2], &[3, 4]), 0);
        assert_eq!(lcs_len(&[], &[1]), 0);
        assert_eq!(lcs_len(&[7, 7, 7], &[7, 7]), 2);
    }

    /// The textbook quadratic table, to check the bit-parallel version against.
    fn lcs_by_table(a: &[u64], b: &[u64]) -> usize {
        let mut table = vec![vec![0usize; b.len() + 1]; a.len() + 1];
        for i in 1..=a.len() {
            for j in 1..=b.len() {
                table[i][j] = if a[i - 1] == b[j - 1] {
                    table[i - 1][j - 1] + 1
                } else {
                    table[i - 1][j].max(table[i][j - 1])
                };
            }
        }
        table[a.len()][b.len()]
    }

    #[test]
    fn bit_parallel_lcs_agrees_with_the_table_across_word_boundaries() {
        let mut state: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = move |bound: u64| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 33) % bound
        };
        for round in 0..400 {
            let alphabet = 2 + next(12);
            let n = next(200) as usize;
            let m = [0, 1, 63, 64, 65, 127, 128, 129][round % 8] + next(3) as usize;
            let a: Vec<u64> = (0..n).map(|_| next(alphabet)).collect();
            let b: Vec<u64> = (0..m).map(|_| next(alphabet)).collect();
            assert_eq!(lcs_len(&a, &b), lcs_by_table(&a, &b), "{a:?} / {b:?}");
            assert_eq!(lcs_by_rows(&a, &b), lcs_by_table(&a, &b), "{a:?} / {b:?}");
        }
    }

    #[test]
    fn very_long_texts_fall_back_to_linear_memory() {
        // 3,000 distinct tokens would need 3,000 x 47 mask words: within the bound. 10,000 x
        // 157 is not, and takes the row-by-row table.
        for n in [3_000u64, 10_000] {
            let a: Vec<u64> = (0..n).collect();
            let b: Vec<u64> = (0..n).map(|i| (i * 7) % n).collect();
            assert_eq!(lcs_len(&a, &b), lcs_by_rows(&a, &b));
        }
    }

    #[test]
    fn coco_rouge_hand_computed() {
        // candidate 3 tokens, reference 4, LCS 2: P = 2/3, R = 1/2,
        // F = 2.44 * (1/3) / (0.5 + 1.44 * 2/3) = 0.8133.../1.46 = 0.557077...
        let s = coco_rouge_l(&[1, 2, 9], &[vec![1, 5, 2, 6]]);
        let expected = 2.44 * (2.0 / 3.0) * 0.5 / (0.5 + 1.44 * (2.0 / 3.0));
        assert!((s.f - expected).abs() < 1e-12);
    }

    #[test]
    fn empty_candidate_against_empty_reference_is_a_perfect_coco_match() {
        assert_eq!(coco_rouge_l(&[], &[vec![]]).f, 1.0);
        assert_eq!(rouge_score_l(&[], &[]).f, 0.0);
    }
}
