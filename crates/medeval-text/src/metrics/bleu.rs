//! BLEU as pycocoevalcap and as sacrebleu compute it.
//!
//! Both start from the same sufficient statistics per item (candidate length, effective
//! reference length, and clipped n-gram matches and totals per order), which [`BleuStats`]
//! holds; they differ in how they turn them into numbers:
//!
//! * **pycocoevalcap** (`Bleu(4)`, `option='closest'`): precisions smoothed as
//!   `(correct + 1e-15) / (total + 1e-9)`, BLEU-n the geometric mean of the first n of them,
//!   brevity penalty `exp(1 - r/c)` from `ratio = (c + 1e-15) / (r + 1e-9)` when that ratio is
//!   below 1, on a 0-1 scale. The per-item value uses the same formula on one item's statistics.
//! * **sacrebleu** (`BLEU()` defaults): corpus BLEU with `exp` smoothing (NIST's: the k-th zero
//!   precision becomes `1 / (2^k · total)`), brevity penalty `exp(1 - r/c)` when `c < r`, a score
//!   of 0 when nothing matches at all, on a 0-100 scale; sentence BLEU additionally uses the
//!   *effective order* (only orders with at least one candidate n-gram count).

use crate::ngram::{self, CountTable, MAX_ORDER};

/// Per-item BLEU statistics.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct BleuStats {
    /// Candidate length in tokens.
    pub candidate_len: usize,
    /// Length of the reference closest in length to the candidate (the shorter one on ties).
    pub reference_len: usize,
    /// Clipped n-gram matches per order.
    pub correct: [u64; MAX_ORDER],
    /// Candidate n-grams per order.
    pub total: [u64; MAX_ORDER],
}

impl BleuStats {
    /// Statistics of one candidate (as token fingerprints) against its references.
    pub fn compute(candidate: &[u64], references: &[Vec<u64>]) -> Self {
        let correct = TABLES.with(|tables| {
            let (budget, scratch) = &mut *tables.borrow_mut();
            clipped_matches(candidate, references, budget, scratch)
        });
        let len = candidate.len();
        let mut total = [0u64; MAX_ORDER];
        for (k, t) in total.iter_mut().enumerate() {
            *t = (len + 1).saturating_sub(k + 1) as u64;
        }
        let reference_len = references
            .iter()
            .map(Vec::len)
            .min_by_key(|&l| (l.abs_diff(len), l))
            .unwrap_or(0);
        Self {
            candidate_len: len,
            reference_len,
            correct,
            total,
        }
    }

    /// Adds another item's statistics (corpus aggregation).
    pub fn add(&mut self, other: &Self) {
        self.candidate_len += other.candidate_len;
        self.reference_len += other.reference_len;
        for k in 0..MAX_ORDER {
            self.correct[k] += other.correct[k];
            self.total[k] += other.total[k];
        }
    }
}

thread_local! {
    /// Per-thread count tables for [`clipped_matches`], reused from item to item.
    static TABLES: std::cell::RefCell<(CountTable, CountTable)> = Default::default();
}

/// Clipped n-gram matches per order: `Σ_g min(count of g in the candidate, max over references
/// of the count of g)`.
///
/// The reference maxima are a budget per n-gram that each candidate occurrence draws on: an
/// occurrence matches while its n-gram has budget left, so an n-gram occurring `c` times
/// matches `min(c, budget)` times, the clipped count, without counting the candidate first.
fn clipped_matches(
    candidate: &[u64],
    references: &[Vec<u64>],
    budget: &mut CountTable,
    scratch: &mut CountTable,
) -> [u64; MAX_ORDER] {
    let longest = references.iter().map(Vec::len).max().unwrap_or(0);
    budget.reset(MAX_ORDER * references.iter().map(Vec::len).sum::<usize>());
    if let [single] = references {
        ngram::for_each_ngram(single, MAX_ORDER, |_, key| *budget.entry(key) += 1);
    } else {
        for reference in references {
            scratch.reset(MAX_ORDER * longest);
            ngram::for_each_ngram(reference, MAX_ORDER, |_, key| *scratch.entry(key) += 1);
            for (key, count) in scratch.iter() {
                let max = budget.entry(key);
                *max = (*max).max(count);
            }
        }
    }
    let mut correct = [0u64; MAX_ORDER];
    ngram::for_each_ngram(candidate, MAX_ORDER, |order, key| {
        if let Some(left) = budget.get_mut(key)
            && *left > 0
        {
            *left -= 1;
            correct[order] += 1;
        }
    });
    correct
}

/// pycocoevalcap BLEU-1..4 (0-1 scale) from (corpus or item) statistics.
pub fn coco_bleu(stats: &BleuStats) -> [f64; MAX_ORDER] {
    const SMALL: f64 = 1e-9;
    const TINY: f64 = 1e-15;
    let mut bleus = [0.0; MAX_ORDER];
    let mut product = 1.0;
    for (k, bleu) in bleus.iter_mut().enumerate() {
        product *= (stats.correct[k] as f64 + TINY) / (stats.total[k] as f64 + SMALL);
        *bleu = product.powf(1.0 / (k as f64 + 1.0));
    }
    let ratio = (stats.candidate_len as f64 + TINY) / (stats.reference_len as f64 + SMALL);
    if ratio < 1.0 {
        let penalty = (1.0 - 1.0 / ratio).exp();
        for b in &mut bleus {
            *b *= penalty;
        }
    }
    bleus
}

/// sacrebleu's score breakdown for one BLEU computation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SacreBleu {
    /// BLEU on sacrebleu's 0-100 scale.
    pub score: f64,
    /// The (smoothed) n-gram precisions, 0-100.
    pub precisions: [f64; MAX_ORDER],
    /// Brevity penalty.
    pub brevity_penalty: f64,
}

/// sacrebleu `BLEU.compute_bleu` with `smooth_method='exp'` over the first `max_order` orders.
pub fn sacre_bleu(stats: &BleuStats, max_order: usize, effective_order: bool) -> SacreBleu {
    let sys_len = stats.candidate_len as f64;
    let ref_len = stats.reference_len as f64;
    let brevity_penalty = if stats.candidate_len < stats.reference_len {
        if stats.candidate_len > 0 {
            (1.0 - ref_len / sys_len).exp()
        } else {
            0.0
        }
    } else {
        1.0
    };
    let mut precisions = [0.0; MAX_ORDER];
    if stats.correct[..max_order].iter().all(|&c| c == 0) {
        return SacreBleu {
            score: 0.0,
            precisions,
            brevity_penalty,
        };
    }
    let mut smooth_mteval = 1.0;
    let mut eff_order = max_order;
    for (n, precision) in precisions.iter_mut().enumerate().take(max_order) {
        let total = stats.total[n] as f64;
        if stats.total[n] == 0 {
            break;
        }
        if effective_order {
            eff_order = n + 1;
        }
        if stats.correct[n] == 0 {
            smooth_mteval *= 2.0;
            *precision = 100.0 / (smooth_mteval * total);
        } else {
            *precision = 100.0 * stats.correct[n] as f64 / total;
        }
    }
    let log_sum: f64 = precisions[..eff_order]
        .iter()
        .map(|&p| if p == 0.0 { -9_999_999_999.0 } else { p.ln() })
        .sum();
    SacreBleu {
        score: brevity_penalty * (log_sum / eff_order as f64).exp(),
        precisions,
        brevity_penalty,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ngram::fingerprints;

    fn ids(s: &str) -> Vec<u64> {
        fingerprints(s.split_whitespace())
    }

    #[test]
    fn identical_sentences_score_one() {
        let stats = BleuStats::compute(&ids("a b c d e"), &[ids("a b c d e")]);
        let bleu = coco_bleu(&stats);
        assert!((bleu[3] - 1.0).abs() < 1e-9);
        assert!((sacre_bleu(&stats, 4, false).score - 100.0).abs() < 1e-9);
    }

    #[test]
    fn closest_reference_length_prefers_the_shorter_on_ties() {
        let stats = BleuStats::compute(&ids("a b c"), &[ids("a b c d"), ids("a b")]);
        assert_eq!(stats.reference_len, 2);
    }

    #[test]
    fn hand_computed_unigram_clipping() {
        // Papineni et al. (2002): "the the the the the the the" against
        // "the cat is on the mat" has modified unigram precision 2/7.
        let stats = BleuStats::compute(
            &ids("the the the the the the the"),
            &[ids("the cat is on the mat")],
        );
        assert_eq!(stats.correct[0], 2);
        assert_eq!(stats.total[0], 7);
    }

    #[test]
    fn clipping_takes_the_maximum_count_over_references() {
        // "the" occurs at most twice in one reference, "the the" at most once.
        let stats = BleuStats::compute(
            &ids("the the the"),
            &[ids("the cat"), ids("the the dog"), ids("a the")],
        );
        assert_eq!(stats.correct[..3], [2, 1, 0]);
        assert_eq!(stats.total[..3], [3, 2, 1]);
        // Scored item after item, the budgets of one item do not leak into the next.
        let again = BleuStats::compute(&ids("the the the"), &[ids("dog")]);
        assert_eq!(again.correct[0], 0);
    }
}
