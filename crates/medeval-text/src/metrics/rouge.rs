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
pub fn lcs_len<T: PartialEq>(a: &[T], b: &[T]) -> usize {
    let (long, short) = if a.len() >= b.len() { (a, b) } else { (b, a) };
    if short.is_empty() {
        return 0;
    }
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
        assert_eq!(lcs_len::<u8>(&[], &[1]), 0);
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
