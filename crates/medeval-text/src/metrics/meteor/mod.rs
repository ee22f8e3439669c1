//! METEOR 1.5 (`-l en -norm`), as the jar pycocoevalcap runs computes it, in two variants:
//! with all four English matching modules (exact, stem, WordNet synonym, paraphrase), which
//! needs the jar's synonym and paraphrase data ([`MeteorData`]), and with the exact and stem
//! modules only (`-m "exact stem"`), which needs no data.
//!
//! This follows the published Meteor 1.5 algorithm (Denkowski and Lavie, "Meteor Universal",
//! 2014) as the jar implements it, step by step:
//!
//! 1. **Normalisation** (`-norm`): Meteor's Moses-derived English normaliser (punctuation split
//!    off, quotes and dashes unified, dotted acronyms undotted, non-breaking prefixes kept), then
//!    lower-casing.
//! 2. **Matching**, module by module: every candidate/reference word pair with the same surface
//!    form is an exact match; every pair with different forms but the same Snowball English
//!    stem a stem match (words and stems compared by their Java `String.hashCode`, as the jar
//!    does); every pair of different words sharing a WordNet synset (their own, or their base
//!    form's: listed irregular forms, else WordNet's suffix rules) a synonym match; every
//!    phrase of either text whose paraphrase-table entry occurs in the other text a paraphrase
//!    match, spanning one or more words on each side.
//! 3. **Alignment**: matches that are the only option for all their words are fixed; the rest
//!    are resolved left to right over the reference by a beam search (beam 40) that prefers
//!    more matched words (exact counting 1, other modules 0.5, truncated to whole numbers at
//!    each addition as the jar's `int` counters do), then fewer chunks, then a smaller summed
//!    position distance, with the jar's bookkeeping of that distance reproduced.
//! 4. **Score**: with the English ranking parameters α = 0.85, β = 0.20, γ = 0.60, δ = 0.75 and
//!    module weights 1.0 (exact), 0.6 (stem), 0.8 (synonym) and 0.6 (paraphrase), content
//!    words count δ and function words 1−δ in precision and recall,
//!    `Fmean = PR / (αP + (1−α)R)`, the fragmentation penalty is `γ (chunks / mean matched
//!    words)^β` (0 for a perfect one-chunk match), and the score is `Fmean (1 − Pen)`; with
//!    several references the best-scoring one counts.
//! 5. **Corpus score**: the sufficient statistics of all items are summed (chunks of perfect
//!    matches excluded) and scored once, as Meteor's `EVAL` command does.
//!
//! Step 1 is in `normalizer`, the word preparation for step 2 in `words`, the data in
//! `resources`, steps 2 and 3 in `align` (exact and stem, one-word matches) and
//! `phrase_align` (all four modules), steps 4 and 5 in `score`.

mod align;
mod normalizer;
mod phrase_align;
mod resources;
mod score;
mod words;

pub use align::meteor_stats;
pub use normalizer::normalize;
pub use phrase_align::meteor_stats_with_data;
pub use resources::{MeteorData, MeteorDataError};
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
