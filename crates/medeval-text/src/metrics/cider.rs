//! CIDEr-D as pycocoevalcap computes it (`Cider()`, n = 4, σ = 6).
//!
//! Each text becomes, per order n, a vector of tf-idf weights `tf · (log N − log max(1, df))`
//! where N is the number of items in the corpus and df the number of items whose *references*
//! contain the n-gram. An item scores `10 · mean_n(Σ_refs sim_n) / |refs|`, where `sim_n` is the
//! cosine similarity with the candidate weights clipped to the reference's
//! (`min(v_c, v_r) · v_r`), multiplied by the Gaussian length penalty `exp(−δ²/2σ²)`.
//!
//! pycocoevalcap measures δ in *bigrams*, not tokens (its length counter only advances for
//! order-2 n-grams), so δ = max(0, c−1) − max(0, r−1); this module reproduces that. Because
//! the idf comes from the corpus, CIDEr-D is only defined for a whole corpus: a single item
//! scored alone has N = 1 and every weight 0.

use std::collections::HashMap;
use std::hash::BuildHasherDefault;

use rayon::prelude::*;

use crate::ngram::{self, MAX_ORDER, NgramCount};

const SIGMA: f64 = 6.0;

/// Hasher for keys that already are well-mixed 64-bit fingerprints.
#[derive(Default)]
struct PassThrough(u64);

impl std::hash::Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) | u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// Document frequency per reference n-gram key; after counting, each value is replaced by
/// `ln(max(1, df))` so that weighing texts does not recompute logarithms.
type DocFrequency = HashMap<u64, f64, BuildHasherDefault<PassThrough>>;

/// A tf-idf vector: weights in n-gram key order, plus the norm per order.
#[derive(Default)]
struct Weighted {
    weights: Vec<(u64, u8, f64)>,
    norms: [f64; MAX_ORDER],
    bigrams: usize,
}

/// Buffers one rayon job reuses from item to item.
#[derive(Default)]
struct Scratch {
    keys: Vec<u64>,
    counts: Vec<NgramCount>,
    candidate: Weighted,
    reference: Weighted,
}

/// The tf-idf vector of the text `ids` into `out`.
///
/// Weights are produced, and their squares summed into the norms, in n-gram key order: the
/// order of the floating-point sums is part of the result, so it must not depend on how the
/// n-grams were counted.
fn weigh(
    ids: &[u64],
    df: &DocFrequency,
    log_n: f64,
    scratch_keys: &mut Vec<u64>,
    counts: &mut Vec<NgramCount>,
    out: &mut Weighted,
) {
    ngram::count_ngrams_into(ids, MAX_ORDER, scratch_keys, counts);
    let mut norms = [0.0; MAX_ORDER];
    out.weights.clear();
    out.weights.extend(counts.iter().map(|c| {
        let log_df = df.get(&c.key).copied().unwrap_or(0.0);
        let w = f64::from(c.count) * (log_n - log_df);
        norms[usize::from(c.order)] += w * w;
        (c.key, c.order, w)
    }));
    for n in &mut norms {
        *n = n.sqrt();
    }
    out.norms = norms;
    out.bigrams = ids.len().saturating_sub(1);
}

fn similarity(candidate: &Weighted, reference: &Weighted) -> [f64; MAX_ORDER] {
    let mut val = [0.0; MAX_ORDER];
    // Both vectors are sorted by key: walk them together.
    let mut others = reference.weights.iter().peekable();
    for &(key, order, w) in &candidate.weights {
        while others.next_if(|e| e.0 < key).is_some() {}
        if let Some(&&(_, _, r)) = others.peek().filter(|e| e.0 == key) {
            val[usize::from(order)] += w.min(r) * r;
        }
    }
    let delta = candidate.bigrams as f64 - reference.bigrams as f64;
    let penalty = std::f64::consts::E.powf(-(delta * delta) / (2.0 * SIGMA * SIGMA));
    for (n, v) in val.iter_mut().enumerate() {
        if candidate.norms[n] != 0.0 && reference.norms[n] != 0.0 {
            *v /= candidate.norms[n] * reference.norms[n];
        }
        *v *= penalty;
    }
    val
}

/// `ln(max(1, df))` for every n-gram key found in some item's references, where df is the
/// number of items whose references contain it.
fn document_frequencies(items: &[(&[u64], &[Vec<u64>])]) -> DocFrequency {
    /// Items counted so far, and the last item counted (so that an n-gram occurring several
    /// times in one item's references counts once, without collecting the item's distinct
    /// n-grams first).
    #[derive(Default)]
    struct Seen {
        items: u32,
        last: usize,
    }
    let counts = items
        .par_iter()
        .enumerate()
        .fold(
            HashMap::<u64, Seen, BuildHasherDefault<PassThrough>>::default,
            |mut counts, (item, (_, refs))| {
                for reference in refs.iter() {
                    ngram::for_each_ngram(reference, MAX_ORDER, |_, key| {
                        let seen = counts.entry(key).or_insert(Seen {
                            items: 0,
                            last: usize::MAX,
                        });
                        if seen.last != item {
                            seen.last = item;
                            seen.items += 1;
                        }
                    });
                }
                counts
            },
        )
        .reduce(HashMap::default, |a, b| {
            // Each item was counted in exactly one of the maps: add them up.
            let (mut big, small) = if a.len() >= b.len() { (a, b) } else { (b, a) };
            for (k, v) in small {
                big.entry(k).or_default().items += v.items;
            }
            big
        });
    counts
        .into_iter()
        .map(|(key, seen)| (key, f64::from(seen.items).max(1.0).ln()))
        .collect()
}

/// Per-item CIDEr-D scores of a corpus; the corpus score is their mean.
///
/// `items` holds, for each item, the candidate and reference token fingerprints. Two passes
/// over the corpus: document frequencies from the references, then each item's score. The
/// n-grams are counted again in the second pass rather than kept from the first: recounting a
/// report is cheaper than storing every text's n-grams (hundreds of megabytes at 100,000
/// items) and reading them back.
pub fn cider_d(items: &[(&[u64], &[Vec<u64>])]) -> Vec<f64> {
    let df = document_frequencies(items);
    let log_n = (items.len() as f64).ln();
    items
        .par_iter()
        .map_init(Scratch::default, |scratch, (candidate, refs)| {
            let Scratch {
                keys,
                counts,
                candidate: weighted_candidate,
                reference,
            } = scratch;
            weigh(candidate, &df, log_n, keys, counts, weighted_candidate);
            let mut sum = [0.0; MAX_ORDER];
            for r in refs.iter() {
                weigh(r, &df, log_n, keys, counts, reference);
                let val = similarity(weighted_candidate, reference);
                for n in 0..MAX_ORDER {
                    sum[n] += val[n];
                }
            }
            let mean = (((sum[0] + sum[1]) + sum[2]) + sum[3]) / MAX_ORDER as f64;
            mean / refs.len().max(1) as f64 * 10.0
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ngram::fingerprints;

    fn ids(s: &str) -> Vec<u64> {
        fingerprints(s.split_whitespace())
    }

    #[test]
    fn single_item_corpus_scores_zero() {
        let refs = [ids("a b c")];
        let scores = cider_d(&[(&ids("a b c"), &refs)]);
        assert_eq!(scores, vec![0.0]);
    }

    /// An n-gram repeated inside one item's references (in one reference or across two)
    /// counts once in its document frequency.
    #[test]
    fn document_frequency_counts_items_not_occurrences() {
        // df("a") = df("a a") = 1 of N = 2 items: idf ln 2. The exact copy matches at orders 1
        // and 2 (cosine 1); orders 3 and 4 have no n-grams: 10 * (1 + 1 + 0 + 0) / 4 = 5.
        let (c1, r1) = (ids("a a"), [ids("a a")]);
        let (c2, r2) = (ids("b"), [ids("c")]);
        let scores = cider_d(&[(&c1, &r1), (&c2, &r2)]);
        assert!((scores[0] - 5.0).abs() < 1e-12, "{scores:?}");
        // A second reference "a": order 1 clipped cosine min(2w, w)·w / (2w · w) = 1/2 with
        // the length penalty exp(-1/72) (one bigram against none); order 2 has no reference
        // bigram. Mean over orders of the sums over references, over 2 references, x10.
        let r1 = [ids("a a"), ids("a")];
        let scores = cider_d(&[(&c1, &r1), (&c2, &r2)]);
        let expected = 10.0 * ((1.0 + 0.5 * (-1.0f64 / 72.0).exp()) + 1.0) / 4.0 / 2.0;
        assert!(
            (scores[0] - expected).abs() < 1e-12,
            "{scores:?} vs {expected}"
        );
    }

    #[test]
    fn unique_exact_match_scores_ten() {
        // Two items with disjoint vocabularies: every n-gram has df 1, idf log 2, and an exact
        // copy has cosine 1 at every order with no length penalty: 10 * mean(1,1,1,1) = 10.
        let (c1, r1) = (ids("a b c d"), [ids("a b c d")]);
        let (c2, r2) = (ids("w x y z"), [ids("q r s t")]);
        let scores = cider_d(&[(&c1, &r1), (&c2, &r2)]);
        assert!((scores[0] - 10.0).abs() < 1e-12);
        assert_eq!(scores[1], 0.0);
    }
}
