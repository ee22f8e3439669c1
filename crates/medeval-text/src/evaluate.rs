//! Batch and per-item scoring: tokenise once per flavour, compute the requested metrics in
//! parallel over items with rayon, then aggregate as each reference toolkit does.

use std::fmt;
use std::sync::Arc;

use rayon::prelude::*;
use rust_stemmers::Stemmer;

use crate::metrics::bleu::{self, BleuStats};
use crate::metrics::meteor::{self, MeteorData, MeteorStats, MeteorText};
use crate::metrics::{cider, rouge};
use crate::ngram::{self, MAX_ORDER};
use crate::tokenize::Tokens;
use crate::{Flavor, Sample, Tokenizer};

/// A report-generation metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Metric {
    /// BLEU-1..4; the headline `bleu` value is BLEU-4.
    Bleu,
    /// ROUGE-L (F, with precision and recall alongside).
    RougeL,
    /// rouge-score's summary-level ROUGE-Lsum over newline-separated sentences.
    RougeLsum,
    /// CIDEr-D (corpus-relative).
    CiderD,
    /// METEOR 1.5 with all four English modules (exact, stem, synonym, paraphrase), as
    /// pycocoevalcap's jar computes it; needs the jar's data ([`Options::meteor_data`]).
    Meteor,
    /// METEOR 1.5 with the exact and stem modules only (`-m "exact stem"`): no data needed,
    /// but not the value pycocoevalcap reports.
    MeteorExactStem,
}

impl Metric {
    /// Every metric, in report order.
    pub const ALL: [Metric; 6] = [
        Self::Bleu,
        Self::RougeL,
        Self::RougeLsum,
        Self::CiderD,
        Self::Meteor,
        Self::MeteorExactStem,
    ];

    /// The name users type and output keys start with.
    pub fn name(self) -> &'static str {
        match self {
            Self::Bleu => "bleu",
            Self::RougeL => "rouge-l",
            Self::RougeLsum => "rouge-lsum",
            Self::CiderD => "cider-d",
            Self::Meteor => "meteor",
            Self::MeteorExactStem => "meteor-exact-stem",
        }
    }

    /// One line saying how this metric is computed under `flavor`, to record next to its
    /// number (manifests, JSON output). Empty for combinations the flavour does not define.
    pub fn convention(self, flavor: Flavor) -> &'static str {
        match (flavor, self) {
            (Flavor::Coco, Self::Bleu) => {
                "pycocoevalcap Bleu(4): corpus BLEU-4, closest reference length, 1e-15/1e-9 smoothing"
            }
            (Flavor::Coco, Self::RougeL) => {
                "pycocoevalcap Rouge: mean over items of F(beta=1.2) of max P and max R over references"
            }
            (Flavor::Coco, Self::CiderD) => {
                "pycocoevalcap Cider: CIDEr-D, n=4, sigma=6, idf over this corpus's references, x10"
            }
            (Flavor::Coco, Self::Meteor) => {
                "METEOR 1.5 -l en -norm, exact+stem+synonym+paraphrase modules with the jar's data (as pycocoevalcap); corpus score from pooled statistics"
            }
            (Flavor::Coco, Self::MeteorExactStem) => {
                "METEOR 1.5 -l en -norm -m 'exact stem', exact+stem modules only (not pycocoevalcap's value); corpus score from pooled statistics"
            }
            (Flavor::Sacrebleu { .. }, Self::Bleu) => {
                "sacrebleu BLEU(): corpus BLEU-4, exp smoothing, closest reference length, 0-100"
            }
            (Flavor::RougeScore { .. }, Self::RougeL) => {
                "rouge-score rougeL: mean over items of F1 (best reference by F)"
            }
            (Flavor::RougeScore { .. }, Self::RougeLsum) => {
                "rouge-score rougeLsum: summary-level LCS over newline-separated sentences, mean F1"
            }
            _ => "",
        }
    }

    /// Parses a metric name (case-insensitive; `_` may stand for `-`, and `cider` and `rougel`
    /// are accepted as aliases).
    pub fn parse(name: &str) -> Option<Self> {
        let name = name.trim().to_ascii_lowercase().replace('_', "-");
        match name.as_str() {
            "cider" => Some(Self::CiderD),
            "rougel" => Some(Self::RougeL),
            "rougelsum" => Some(Self::RougeLsum),
            _ => Self::ALL.into_iter().find(|m| m.name() == name),
        }
    }
}

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A metric the chosen flavour (or scoring mode) does not define.
#[derive(Debug, Clone, thiserror::Error)]
#[error("metric {metric} is not available with flavour {flavor} ({reason})")]
pub struct UnsupportedMetric {
    /// The flavour asked for.
    pub flavor: Flavor,
    /// The metric asked for.
    pub metric: Metric,
    /// Why, and what is available instead.
    pub reason: String,
}

fn check_metrics(flavor: Flavor, metrics: &[Metric]) -> Result<(), UnsupportedMetric> {
    for &metric in metrics {
        if !flavor.metrics().contains(&metric) {
            let available: Vec<&str> = flavor.metrics().iter().map(|m| m.name()).collect();
            return Err(UnsupportedMetric {
                flavor,
                metric,
                reason: format!("this flavour defines: {}", available.join(", ")),
            });
        }
    }
    Ok(())
}

/// Per-item values of one sample, keyed like the corpus values.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemScores {
    /// The sample's id.
    pub id: String,
    /// `(key, value)` pairs in report order.
    pub values: Vec<(&'static str, f64)>,
}

impl ItemScores {
    /// The value under `key` (`bleu`, `rouge-l`, ...), if computed.
    pub fn get(&self, key: &str) -> Option<f64> {
        lookup(&self.values, key)
    }
}

/// The result of [`evaluate`]: corpus values, per-item values and the conventions used.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    /// The flavour every number follows.
    pub flavor: Flavor,
    /// The tokeniser applied.
    pub tokenizer: Tokenizer,
    /// Number of items.
    pub n: usize,
    /// Corpus-level `(key, value)` pairs in report order.
    pub corpus: Vec<(&'static str, f64)>,
    /// Per-item values, in input order.
    pub items: Vec<ItemScores>,
    /// Metrics asked for but not computed, with the reason (METEOR 1.5 without its data).
    pub unavailable: Vec<Unavailable>,
    /// Where METEOR 1.5's synonym and paraphrase data was read from, when it was used.
    pub meteor_data: Option<String>,
    /// The metrics computed, in report order.
    metrics: Vec<Metric>,
    /// Per-item pooled statistics, for re-aggregating over a resample.
    parts: Vec<ItemParts>,
}

/// A metric that was asked for and not computed, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unavailable {
    /// The metric.
    pub metric: Metric,
    /// Why, and what to do to get it.
    pub reason: String,
}

/// Settings beyond the flavour and the metrics.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// METEOR 1.5's synonym and paraphrase data ([`MeteorData::load`]). Without it
    /// [`Metric::Meteor`] is not computed and is listed in [`Evaluation::unavailable`];
    /// [`Metric::MeteorExactStem`] needs no data.
    pub meteor_data: Option<Arc<MeteorData>>,
}

/// Why [`Metric::Meteor`] was not computed when no data was given.
pub const METEOR_DATA_MISSING: &str = "METEOR 1.5 needs the synonym and paraphrase data of the jar pycocoevalcap runs: point at meteor-1.5.jar or its folder (for example the pycocoevalcap/meteor folder of a pycocoevalcap installation); meteor-exact-stem computes the exact and stem modules only, without data";

/// The pooled statistics of one item that corpus BLEU and METEOR sum.
#[derive(Debug, Clone, Copy, PartialEq)]
struct ItemParts {
    bleu: Option<BleuStats>,
    meteor: Option<MeteorStats>,
    meteor_exact_stem: Option<MeteorStats>,
}

/// Token fingerprints of each newline-separated sentence of one text.
type Sentences = Vec<Vec<u64>>;

/// Token fingerprints of a candidate and of its references.
type Fingerprints = (Vec<u64>, Vec<Vec<u64>>);

impl Evaluation {
    /// The corpus value under `key` (`bleu`, `rouge-l`, ...), if computed.
    pub fn corpus_value(&self, key: &str) -> Option<f64> {
        lookup(&self.corpus, key)
    }

    /// The corpus values of the items at `picks` (positions in input order; an item drawn twice
    /// counts twice), aggregated exactly as [`Evaluation::corpus`] is. This is what a bootstrap
    /// over items recomputes per replicate.
    ///
    /// CIDEr-D keeps the document frequencies of the whole corpus: its per-item values are
    /// averaged over the picks, not recomputed, so an interval reflects which reports were
    /// drawn and not the change in n-gram rarity a resample would bring.
    ///
    /// # Panics
    ///
    /// When a pick is not below [`Evaluation::n`].
    pub fn corpus_over(
        &self,
        picks: impl Iterator<Item = usize> + Clone,
    ) -> Vec<(&'static str, f64)> {
        aggregate(self.flavor, &self.metrics, &self.items, &self.parts, picks)
    }
}

/// One sample, tokenised for its flavour.
struct Prepared {
    /// Token fingerprints of the candidate and of each reference (empty when no metric
    /// computed needs them).
    candidate: Vec<u64>,
    references: Vec<Vec<u64>>,
    /// Candidate and references prepared for METEOR with exact and stem modules.
    meteor_exact_stem: Option<(MeteorText, Vec<MeteorText>)>,
    /// Candidate and references prepared for METEOR with all four modules.
    meteor: Option<(MeteorText, Vec<MeteorText>)>,
    /// Candidate and reference sentences (ROUGE-Lsum only).
    sentences: Option<(Sentences, Vec<Sentences>)>,
}

fn prepare(
    sample: &Sample,
    flavor: Flavor,
    metrics: &[Metric],
    stemmer: &Stemmer,
    meteor_data: Option<&MeteorData>,
) -> Prepared {
    let tokenizer = flavor.tokenizer();
    let candidate_tokens = tokenizer.tokenize(&sample.candidate);
    let reference_tokens: Vec<Tokens> = sample
        .references
        .iter()
        .map(|r| tokenizer.tokenize(r))
        .collect();
    // pycocoevalcap sends the PTB output joined by spaces, with `|||` removed from the
    // hypothesis.
    let meteor_line = |tokens: &Tokens, hypothesis: bool| {
        let mut text = tokens.join(" ");
        if hypothesis && text.contains("|||") {
            text = text.replace("|||", "");
        }
        text
    };
    let meteor_exact_stem = metrics.contains(&Metric::MeteorExactStem).then(|| {
        // Texts of plain words (most, in the coco flavour) skip the joining and normalising,
        // which would leave them as they are.
        let meteor_text = |tokens: &Tokens, hypothesis: bool| {
            MeteorText::from_plain_words(tokens.iter(), stemmer)
                .unwrap_or_else(|| MeteorText::new(&meteor_line(tokens, hypothesis), stemmer))
        };
        (
            meteor_text(&candidate_tokens, true),
            reference_tokens
                .iter()
                .map(|r| meteor_text(r, false))
                .collect(),
        )
    });
    let meteor = meteor_data
        .filter(|_| metrics.contains(&Metric::Meteor))
        .map(|data| {
            let meteor_text = |tokens: &Tokens, hypothesis: bool| {
                MeteorText::with_data(&meteor_line(tokens, hypothesis), stemmer, data)
            };
            (
                meteor_text(&candidate_tokens, true),
                reference_tokens
                    .iter()
                    .map(|r| meteor_text(r, false))
                    .collect(),
            )
        });
    let sentences = metrics.contains(&Metric::RougeLsum).then(|| {
        let split = |text: &str| -> Sentences {
            text.split('\n')
                .filter(|s| !s.is_empty())
                .map(|s| ngram::fingerprints(tokenizer.tokenize(s).iter()))
                .collect()
        };
        (
            split(&sample.candidate),
            sample.references.iter().map(|r| split(r)).collect(),
        )
    });
    // Token fingerprints serve the n-gram and LCS metrics; METEOR and ROUGE-Lsum work from
    // their own representations.
    let fingerprinted = metrics
        .iter()
        .any(|m| matches!(m, Metric::Bleu | Metric::RougeL | Metric::CiderD));
    Prepared {
        candidate: if fingerprinted {
            ngram::fingerprints(candidate_tokens.iter())
        } else {
            Vec::new()
        },
        references: reference_tokens
            .iter()
            .map(|r| {
                if fingerprinted {
                    ngram::fingerprints(r.iter())
                } else {
                    Vec::new()
                }
            })
            .collect(),
        meteor_exact_stem,
        meteor,
        sentences,
    }
}

/// Per-item intermediate results that the corpus aggregation needs.
#[derive(Default)]
struct ItemResult {
    values: Vec<(&'static str, f64)>,
    bleu: Option<BleuStats>,
    meteor: Option<MeteorStats>,
    meteor_exact_stem: Option<MeteorStats>,
}

const BLEU_KEYS: [&str; MAX_ORDER] = ["bleu-1", "bleu-2", "bleu-3", "bleu-4"];

fn score_item(
    prepared: &Prepared,
    flavor: Flavor,
    metrics: &[Metric],
    meteor_data: Option<&MeteorData>,
) -> ItemResult {
    let mut result = ItemResult::default();
    for &metric in metrics {
        match (metric, flavor) {
            (Metric::Bleu, Flavor::Coco) => {
                let stats = BleuStats::compute(&prepared.candidate, &prepared.references);
                let scores = bleu::coco_bleu(&stats);
                result.values.push(("bleu", scores[3]));
                for (key, value) in BLEU_KEYS.iter().zip(scores) {
                    result.values.push((key, value));
                }
                result.bleu = Some(stats);
            }
            (Metric::Bleu, _) => {
                let stats = BleuStats::compute(&prepared.candidate, &prepared.references);
                result
                    .values
                    .push(("bleu", bleu::sacre_bleu(&stats, MAX_ORDER, true).score));
                for (n, key) in BLEU_KEYS.iter().enumerate() {
                    result
                        .values
                        .push((key, bleu::sacre_bleu(&stats, n + 1, true).score));
                }
                result.bleu = Some(stats);
            }
            (Metric::RougeL, Flavor::Coco) => {
                let s = rouge::coco_rouge_l(&prepared.candidate, &prepared.references);
                push_rouge(&mut result.values, rouge_keys(Metric::RougeL), s);
            }
            (Metric::RougeL, _) => {
                let s = rouge::best_of(
                    prepared
                        .references
                        .iter()
                        .map(|r| rouge::rouge_score_l(r, &prepared.candidate)),
                );
                push_rouge(&mut result.values, rouge_keys(Metric::RougeL), s);
            }
            (Metric::RougeLsum, _) => {
                if let Some((candidate, references)) = &prepared.sentences {
                    let s = rouge::best_of(
                        references
                            .iter()
                            .map(|r| rouge::rouge_score_lsum(r, candidate)),
                    );
                    push_rouge(&mut result.values, rouge_keys(Metric::RougeLsum), s);
                }
            }
            (Metric::Meteor, _) => {
                if let (Some((candidate, references)), Some(data)) = (&prepared.meteor, meteor_data)
                {
                    let stats = meteor::meteor_stats_with_data(candidate, references, data);
                    result.values.push(("meteor", stats.score()));
                    result.meteor = Some(stats);
                }
            }
            (Metric::MeteorExactStem, _) => {
                if let Some((candidate, references)) = &prepared.meteor_exact_stem {
                    let stats = meteor::meteor_stats(candidate, references);
                    result.values.push(("meteor-exact-stem", stats.score()));
                    result.meteor_exact_stem = Some(stats);
                }
            }
            // Corpus-relative: filled in by `evaluate`.
            (Metric::CiderD, _) => {}
        }
    }
    result
}

fn push_rouge(
    values: &mut Vec<(&'static str, f64)>,
    keys: [&'static str; 3],
    s: rouge::RougeScore,
) {
    values.push((keys[0], s.f));
    values.push((keys[1], s.precision));
    values.push((keys[2], s.recall));
}

fn mean(values: impl Iterator<Item = f64>) -> f64 {
    let (sum, n) = values.fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
    if n == 0 { f64::NAN } else { sum / n as f64 }
}

/// Scores a corpus: per-item values for every sample and corpus values aggregated as the
/// flavour's reference toolkit does (pooled statistics for BLEU and METEOR, means for ROUGE
/// and CIDEr-D). Work is spread over rayon's thread pool.
///
/// Metrics are reported in [`Metric::ALL`] order whatever order `metrics` lists them in.
/// Without METEOR's data, [`Metric::Meteor`] is not computed (see [`evaluate_with`]).
pub fn evaluate(
    samples: &[Sample],
    flavor: Flavor,
    metrics: &[Metric],
) -> Result<Evaluation, UnsupportedMetric> {
    evaluate_with(samples, flavor, metrics, &Options::default())
}

/// [`evaluate`] with [`Options`]: METEOR 1.5's data. A metric that cannot be computed with
/// the options given ([`Metric::Meteor`] without data) is left out of the values and listed,
/// with the reason, in [`Evaluation::unavailable`]; nothing is substituted for it.
pub fn evaluate_with(
    samples: &[Sample],
    flavor: Flavor,
    metrics: &[Metric],
    options: &Options,
) -> Result<Evaluation, UnsupportedMetric> {
    check_metrics(flavor, metrics)?;
    let mut metrics = metrics.to_vec();
    metrics.sort_unstable();
    metrics.dedup();
    let meteor_data = options.meteor_data.as_deref();
    let mut unavailable = Vec::new();
    if meteor_data.is_none() && metrics.contains(&Metric::Meteor) {
        metrics.retain(|m| *m != Metric::Meteor);
        unavailable.push(Unavailable {
            metric: Metric::Meteor,
            reason: METEOR_DATA_MISSING.to_owned(),
        });
    }
    let stemmer = meteor::english_stemmer();
    let cider = metrics.contains(&Metric::CiderD);
    // Each item is tokenised and scored in one go, while its tokens are in cache; only the
    // token fingerprints CIDEr-D needs (a corpus-level second pass) are kept.
    let (mut results, fingerprints): (Vec<ItemResult>, Vec<Option<Fingerprints>>) = samples
        .par_iter()
        .map(|s| {
            let prepared = prepare(s, flavor, &metrics, &stemmer, meteor_data);
            let result = score_item(&prepared, flavor, &metrics, meteor_data);
            (
                result,
                cider.then_some((prepared.candidate, prepared.references)),
            )
        })
        .unzip();

    if cider {
        let items: Vec<(&[u64], &[Vec<u64>])> = fingerprints
            .iter()
            .flatten()
            .map(|(candidate, references)| (candidate.as_slice(), references.as_slice()))
            .collect();
        for (r, s) in results.iter_mut().zip(cider::cider_d(&items)) {
            r.values.push(("cider-d", s));
        }
    }
    let parts: Vec<ItemParts> = results
        .iter()
        .map(|r| ItemParts {
            bleu: r.bleu,
            meteor: r.meteor,
            meteor_exact_stem: r.meteor_exact_stem,
        })
        .collect();
    let corpus = aggregate(flavor, &metrics, &results, &parts, 0..samples.len());
    let items = samples
        .iter()
        .zip(results)
        .map(|(s, r)| ItemScores {
            id: s.id.clone(),
            values: r.values,
        })
        .collect();
    Ok(Evaluation {
        flavor,
        tokenizer: flavor.tokenizer(),
        n: samples.len(),
        corpus,
        items,
        unavailable,
        meteor_data: meteor_data
            .filter(|_| metrics.contains(&Metric::Meteor))
            .map(|d| d.source.clone()),
        metrics,
        parts,
    })
}

/// Corpus values over `picks` (item positions, repeats allowed), aggregated as the flavour's
/// reference toolkit does: pooled statistics for BLEU and METEOR, means of per-item values for
/// ROUGE and CIDEr-D.
fn aggregate(
    flavor: Flavor,
    metrics: &[Metric],
    values: &[impl ItemValues],
    parts: &[ItemParts],
    picks: impl Iterator<Item = usize> + Clone,
) -> Vec<(&'static str, f64)> {
    let mut corpus: Vec<(&'static str, f64)> = Vec::new();
    let mean_of = |key: &str| mean(picks.clone().filter_map(|i| values[i].value(key)));
    for &metric in metrics {
        match metric {
            Metric::Bleu => {
                let mut total = BleuStats::default();
                for s in picks.clone().filter_map(|i| parts[i].bleu.as_ref()) {
                    total.add(s);
                }
                if flavor == Flavor::Coco {
                    let scores = bleu::coco_bleu(&total);
                    corpus.push(("bleu", scores[3]));
                    corpus.extend(BLEU_KEYS.iter().copied().zip(scores));
                } else {
                    let full = bleu::sacre_bleu(&total, MAX_ORDER, false);
                    corpus.push(("bleu", full.score));
                    for (n, key) in BLEU_KEYS.iter().enumerate() {
                        corpus.push((key, bleu::sacre_bleu(&total, n + 1, false).score));
                    }
                    for (key, p) in ["bleu-p1", "bleu-p2", "bleu-p3", "bleu-p4"]
                        .into_iter()
                        .zip(full.precisions)
                    {
                        corpus.push((key, p));
                    }
                    corpus.push(("bleu-bp", full.brevity_penalty));
                    corpus.push(("bleu-sys-len", total.candidate_len as f64));
                    corpus.push(("bleu-ref-len", total.reference_len as f64));
                }
            }
            Metric::RougeL | Metric::RougeLsum => {
                for key in rouge_keys(metric) {
                    corpus.push((key, mean_of(key)));
                }
            }
            Metric::CiderD => corpus.push(("cider-d", mean_of("cider-d"))),
            Metric::Meteor | Metric::MeteorExactStem => {
                let exact_stem = metric == Metric::MeteorExactStem;
                let mut total = MeteorStats::default();
                for i in picks.clone() {
                    let part = if exact_stem {
                        parts[i].meteor_exact_stem.as_ref()
                    } else {
                        parts[i].meteor.as_ref()
                    };
                    if let Some(s) = part {
                        total.add(s);
                    }
                }
                corpus.push((metric.name(), total.score()));
            }
        }
    }
    corpus
}

/// Per-item values as [`aggregate`] reads them.
trait ItemValues {
    fn value(&self, key: &str) -> Option<f64>;
}

impl ItemValues for ItemResult {
    fn value(&self, key: &str) -> Option<f64> {
        lookup(&self.values, key)
    }
}

impl ItemValues for ItemScores {
    fn value(&self, key: &str) -> Option<f64> {
        self.get(key)
    }
}

fn lookup(values: &[(&'static str, f64)], key: &str) -> Option<f64> {
    values.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
}

/// The F, precision and recall keys of a ROUGE metric.
fn rouge_keys(metric: Metric) -> [&'static str; 3] {
    if metric == Metric::RougeLsum {
        ["rouge-lsum", "rouge-lsum-p", "rouge-lsum-r"]
    } else {
        ["rouge-l", "rouge-l-p", "rouge-l-r"]
    }
}

/// Sentence-level scoring of one candidate against its references, for per-item scorers.
///
/// Values are those [`evaluate`] reports per item (pycocoevalcap's per-image BLEU, sacrebleu's
/// `sentence_bleu`, ...). CIDEr-D needs corpus document frequencies and is rejected here; use
/// [`evaluate`] over the whole run instead.
pub struct SentenceScorer {
    flavor: Flavor,
    metrics: Vec<Metric>,
    stemmer: Stemmer,
    meteor_data: Option<Arc<MeteorData>>,
}

impl SentenceScorer {
    /// A scorer for `metrics` under `flavor`, without METEOR's data.
    pub fn new(flavor: Flavor, metrics: &[Metric]) -> Result<Self, UnsupportedMetric> {
        Self::with_options(flavor, metrics, &Options::default())
    }

    /// A scorer for `metrics` under `flavor` with [`Options`]. [`Metric::Meteor`] without
    /// data is an error here, since a per-item score cannot say what it lacks.
    pub fn with_options(
        flavor: Flavor,
        metrics: &[Metric],
        options: &Options,
    ) -> Result<Self, UnsupportedMetric> {
        check_metrics(flavor, metrics)?;
        if metrics.contains(&Metric::CiderD) {
            return Err(UnsupportedMetric {
                flavor,
                metric: Metric::CiderD,
                reason: "CIDEr-D is corpus-relative; compute it with `evaluate` over all items"
                    .to_owned(),
            });
        }
        if metrics.contains(&Metric::Meteor) && options.meteor_data.is_none() {
            return Err(UnsupportedMetric {
                flavor,
                metric: Metric::Meteor,
                reason: METEOR_DATA_MISSING.to_owned(),
            });
        }
        let mut metrics = metrics.to_vec();
        metrics.sort_unstable();
        metrics.dedup();
        Ok(Self {
            flavor,
            metrics,
            stemmer: meteor::english_stemmer(),
            meteor_data: options.meteor_data.clone(),
        })
    }

    /// Scores `candidate` against `references`; `(key, value)` pairs in report order.
    pub fn score(&self, candidate: &str, references: &[String]) -> Vec<(&'static str, f64)> {
        let sample = Sample {
            id: String::new(),
            candidate: candidate.to_owned(),
            references: references.to_vec(),
        };
        let data = self.meteor_data.as_deref();
        let prepared = prepare(&sample, self.flavor, &self.metrics, &self.stemmer, data);
        score_item(&prepared, self.flavor, &self.metrics, data).values
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(id: &str, candidate: &str, references: &[&str]) -> Sample {
        Sample {
            id: id.into(),
            candidate: candidate.into(),
            references: references.iter().map(|r| (*r).to_owned()).collect(),
        }
    }

    #[test]
    fn flavours_reject_metrics_they_do_not_define() {
        let err = evaluate(&[], Flavor::RougeScore { stemmer: false }, &[Metric::Bleu]);
        assert!(err.is_err());
        assert!(SentenceScorer::new(Flavor::Coco, &[Metric::CiderD]).is_err());
    }

    /// Re-aggregating over a resample: every item once is the corpus value; one item drawn
    /// twice pools its statistics twice, which leaves BLEU, METEOR and ROUGE-L as they are for
    /// that item alone (up to pycocoevalcap's 1e-9 smoothing constant in BLEU).
    #[test]
    fn corpus_over_picks_reaggregates_like_the_corpus() {
        let samples = vec![
            sample(
                "a",
                "heart size is normal and the lungs are clear",
                &["the heart is normal in size and the lungs are clear"],
            ),
            sample(
                "b",
                "small left pleural effusion",
                &["no pleural effusion or pneumothorax"],
            ),
        ];
        let metrics = [Metric::Bleu, Metric::RougeL, Metric::MeteorExactStem];
        let both = evaluate(&samples, Flavor::Coco, &metrics).unwrap();
        assert_eq!(both.corpus_over(0..2), both.corpus);
        let first_twice = both.corpus_over([0, 0].into_iter());
        let first_alone = evaluate(&samples[..1], Flavor::Coco, &metrics).unwrap();
        for ((key, twice), (alone_key, alone)) in first_twice.iter().zip(&first_alone.corpus) {
            assert_eq!(key, alone_key);
            assert!((twice - alone).abs() < 1e-9, "{key}: {twice} vs {alone}");
        }
        assert_ne!(first_twice, both.corpus);
    }

    #[test]
    fn perfect_copies_score_one_everywhere() {
        let samples = vec![
            sample(
                "a",
                "No acute cardiopulmonary process.",
                &["No acute cardiopulmonary process."],
            ),
            sample("b", "Heart size is normal.", &["Heart size is normal."]),
        ];
        let eval = evaluate(
            &samples,
            Flavor::Coco,
            &[Metric::Bleu, Metric::RougeL, Metric::MeteorExactStem],
        )
        .expect("coco defines these");
        for key in ["bleu", "rouge-l", "meteor-exact-stem"] {
            let value = lookup(&eval.corpus, key).expect("reported");
            assert!((value - 1.0).abs() < 1e-6, "{key} = {value}");
        }
        assert_eq!(eval.items.len(), 2);
        assert_eq!(eval.items[1].id, "b");
    }

    #[test]
    fn every_defined_metric_has_a_convention() {
        for flavor in [
            Flavor::Coco,
            Flavor::Sacrebleu {
                tokenizer: crate::SacreTokenizer::Intl,
            },
            Flavor::RougeScore { stemmer: true },
        ] {
            for metric in Metric::ALL {
                let defined = flavor.metrics().contains(&metric);
                assert_eq!(
                    !metric.convention(flavor).is_empty(),
                    defined,
                    "{flavor} {metric}"
                );
            }
        }
    }

    #[test]
    fn metric_names_parse() {
        assert_eq!(Metric::parse("ROUGE_L"), Some(Metric::RougeL));
        assert_eq!(Metric::parse("cider"), Some(Metric::CiderD));
        assert_eq!(Metric::parse("bleu4"), None);
    }
}
