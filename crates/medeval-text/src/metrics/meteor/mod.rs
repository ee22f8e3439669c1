//! METEOR 1.5 (`-l en -norm`) with the exact and stem matching modules.
//!
//! This follows the published Meteor 1.5 algorithm as the jar pycocoevalcap ships implements
//! it, step by step:
//!
//! 1. **Normalisation** (`-norm`): Meteor's Moses-derived English normaliser (punctuation split
//!    off, quotes and dashes unified, dotted acronyms undotted, non-breaking prefixes kept), then
//!    lower-casing.
//! 2. **Matching**: every candidate/reference word pair with the same surface form is an exact
//!    match; every pair with different surface forms but the same Snowball English stem is a
//!    stem match. Like the jar, words and stems are compared by their Java `String.hashCode`.
//! 3. **Alignment**: matches that are the only option for both words are fixed; the rest are
//!    resolved left to right over the reference by a beam search (beam 40) that prefers more
//!    matched words (exact counting 1, other modules 0.5, truncated to whole numbers as the jar
//!    does), then fewer chunks, then a smaller summed position distance, with the jar's
//!    bookkeeping of that distance reproduced.
//! 4. **Score**: with the English ranking parameters α = 0.85, β = 0.20, γ = 0.60, δ = 0.75 and
//!    module weights 1.0 (exact) and 0.6 (stem), content words count δ and function words 1−δ
//!    in precision and recall, `Fmean = PR / (αP + (1−α)R)`, the fragmentation penalty is
//!    `γ (chunks / mean matched words)^β` (0 for a perfect one-chunk match), and the score is
//!    `Fmean (1 − Pen)`; with several references the best-scoring one counts.
//! 5. **Corpus score**: the sufficient statistics of all items are summed (chunks of perfect
//!    matches excluded) and scored once, as Meteor's `EVAL` command does.
//!
//! The jar's English configuration also runs a WordNet synonym module and a paraphrase-table
//! module. They are not implemented here (the paraphrase table alone is a 60 MB download); the
//! resulting deviation is measured and documented in `docs/report-metrics.md`.
//!
//! Step 1 is in `normalizer`, the word preparation for step 2 in `words`, steps 2 and 3 in
//! `align`, steps 4 and 5 in `score`.

mod align;
mod normalizer;
mod score;
mod words;

pub use align::meteor_stats;
pub use normalizer::normalize;
pub use score::MeteorStats;
pub use words::{MeteorText, english_stemmer, java_hash};

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> MeteorText {
        MeteorText::new(s, &english_stemmer())
    }

    #[test]
    fn identical_sentences_score_one() {
        let a = text("no acute cardiopulmonary process");
        let stats = meteor_stats(&a, std::slice::from_ref(&a));
        assert_eq!(stats.chunks, 1.0);
        assert!((stats.score() - 1.0).abs() < 1e-12);
    }

    #[test]
    fn hand_computed_two_chunk_alignment() {
        // candidate "b a" vs reference "a b": 2 exact content matches in 2 chunks.
        // P = R = 1, Fmean = 1, frag = 2 / 2 = 1, Pen = 0.6 -> score 0.4.
        let stats = meteor_stats(&text("lung heart"), &[text("heart lung")]);
        assert_eq!(stats.chunks, 2.0);
        assert!((stats.score() - 0.4).abs() < 1e-12);
    }
}
