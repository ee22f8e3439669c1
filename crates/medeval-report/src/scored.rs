//! Scored runs in one shape, whatever they came from: a run in the store, a file of scored
//! samples written by `medeval score --samples` (or by another tool), or the items and verdicts
//! of `medeval score`.
//!
//! Summaries, paper tables, comparisons, leaderboards and power plans only need, per sample, the
//! item id, the draw index, the verdict (with its per-sample metrics), the gold answer, the
//! answer type, the cluster key and the metadata to break results down by; and, per run, its
//! names, the draws it asks for and the items it has no sample of yet. Keeping that in one type
//! means the statistics cannot depend on where the numbers came from, and *missing* and
//! *complete* are counted once, here.

use std::collections::{HashMap, HashSet};

use medeval_core::{AnswerType, Item, Meta, Outcome, Scored};
use medeval_stats::{
    NonJudgementPolicy, RepeatedItem, RepeatedSummary, SampledAnswer, StatsError, TieRule,
    summarize_repeated,
};
use serde::Serialize;

/// Where a run's samples came from, as printed in every comparison.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "source", rename_all = "snake_case")]
pub enum RunSource {
    /// A run in a store.
    Store {
        /// The run id.
        run: String,
    },
    /// A file of scored samples.
    File {
        /// The file, as given on the command line.
        path: String,
    },
}

/// A run as named in output: a short label, where it came from, and the model when known.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunLabel {
    /// What tables print: the run id, or the file name.
    pub label: String,
    /// Store run or file.
    #[serde(flatten)]
    pub source: RunSource,
    /// The model's name, when the store or the file records it.
    pub model: Option<String>,
}

impl RunLabel {
    /// `label (model)`, or the label alone.
    pub fn display(&self) -> String {
        match &self.model {
            Some(model) => format!("{} ({model})", self.label),
            None => self.label.clone(),
        }
    }
}

/// One scored sample with what every report reads of its item: the one record comparisons,
/// rankings, power plans, summaries and paper tables are computed from, so none of them needs
/// the item itself or the store it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoredRecord {
    /// The item id runs are paired by.
    pub id: String,
    /// The draw index (0 unless the run sampled several answers per item).
    pub sample: u32,
    /// The verdict with the answer read, the rule that fired and the per-sample metrics (a
    /// scored-sample file's rule and metrics are not read: empty there).
    pub scored: Scored,
    /// The gold answer as text, if known. Text rather than a typed [`medeval_core::Gold`]
    /// because a scored-sample file may give an answer without its type, or one its type cannot
    /// read (another tool's `(B)`), and every report reads the text only (the reference of a
    /// report, the gold of a discordant item).
    pub gold: Option<String>,
    /// The answer type, if known.
    pub answer_type: Option<AnswerType>,
    /// The item's cluster key (image, study, patient), if any.
    pub cluster: Option<String>,
    /// Free metadata for breakdowns.
    pub meta: Meta,
}

impl ScoredRecord {
    /// A verdict on draw `sample` of `item`, with the item's gold answer, type, cluster and
    /// metadata: what an item and its verdict become wherever both are at hand.
    pub fn of_item(item: &Item, sample: u32, scored: Scored) -> Self {
        Self {
            id: item.id.clone(),
            sample,
            scored,
            gold: Some(item.gold.text().into_owned()),
            answer_type: Some(item.answer_type()),
            cluster: item.cluster.clone(),
            meta: item.meta.clone(),
        }
    }

    /// The verdict.
    pub fn outcome(&self) -> Outcome {
        self.scored.outcome
    }

    /// The answer read from the response, if any.
    pub fn extracted(&self) -> Option<&str> {
        self.scored.extracted.as_deref()
    }

    /// The record's value of a breakdown field: `answer_type`, or a metadata field rendered as
    /// text (the same rule as [`medeval_core::Item::group_key`]).
    pub fn group_key(&self, field: &str) -> Option<String> {
        if field == "answer_type" {
            return self.answer_type.map(|t| t.as_str().to_owned());
        }
        match self.meta.get(field)? {
            serde_json::Value::Null => None,
            serde_json::Value::String(s) => Some(s.clone()),
            other => Some(other.to_string()),
        }
    }

    /// Whether the record is judged correct or wrong at all: report items are scored by text
    /// metrics, not by a verdict.
    pub fn is_judged_item(&self) -> bool {
        self.answer_type != Some(AnswerType::Report)
    }
}

/// One model's scored samples on one benchmark: the one shape of a run for every report, built
/// once where the data is owned (a stored run, a scored-sample file, `medeval score`'s items and
/// verdicts), so no statistic depends on where the numbers came from.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoredRun {
    /// How the run is named in output; its model is the row of a paper table.
    pub label: RunLabel,
    /// The benchmark's name, when the store or the file records it.
    pub benchmark: Option<String>,
    /// The probe variant the run's items were expanded by (`circular`), when any: a paper
    /// table gives a variant its own column.
    pub variant: Option<String>,
    /// SHA-256 of the items file the run used, when known (store runs).
    pub items_sha256: Option<String>,
    /// Samples per item the run asks for: a store run's manifest value (also while draws are
    /// still missing), otherwise the most any item has. Above 1, summaries treat the samples of
    /// one item as one cluster.
    pub draws_per_item: u32,
    /// Items of the run without any sample yet (an interrupted or limited store run), in the
    /// run's order.
    pub unanswered: Vec<String>,
    /// Whether an invocation started and recorded no end (a store run marked running): its
    /// samples may still change, so it is not complete.
    pub running: bool,
    /// The samples, in the run's item order, draws in order.
    pub records: Vec<ScoredRecord>,
}

/// A run's samples reduced to one per item, ready to be paired.
#[derive(Debug, Clone)]
pub struct OnePerItem<'a> {
    /// One record per judged item, in the run's order.
    pub records: Vec<&'a ScoredRecord>,
    /// Report items left out (they have no verdict).
    pub report_items: u64,
}

/// Why a run cannot be reduced to one sample per item.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DrawError {
    /// The run holds several samples of some item and no draw was chosen.
    #[error(
        "run {run} has up to {samples_per_item} samples per item; a paired statistic needs one outcome per item, so choose one draw (0 to {last})",
        last = samples_per_item - 1
    )]
    SeveralDraws {
        /// The run's label.
        run: String,
        /// The most samples any item has.
        samples_per_item: u32,
    },
    /// No sample has the chosen draw index.
    #[error("run {run} has no sample with draw index {draw} (it has {samples_per_item} per item)")]
    NoSuchDraw {
        /// The run's label.
        run: String,
        /// The draw asked for.
        draw: u32,
        /// The most samples any item has.
        samples_per_item: u32,
    },
}

impl ScoredRun {
    /// A run of `records` with nothing missing and nothing running, asking for as many draws
    /// per item as the records hold: a scored-sample file's benchmark, or `medeval score`'s
    /// items.
    pub fn new(label: RunLabel, benchmark: Option<String>, records: Vec<ScoredRecord>) -> Self {
        let mut run = Self {
            label,
            benchmark,
            variant: None,
            items_sha256: None,
            draws_per_item: 1,
            unanswered: Vec::new(),
            running: false,
            records,
        };
        run.draws_per_item = run.samples_per_item().max(1);
        run
    }

    /// Each item scored once: what `medeval score` makes of an items file and the verdicts on
    /// its predictions, one per item in order.
    pub fn of_items(
        label: RunLabel,
        benchmark: Option<String>,
        items: &[Item],
        verdicts: Vec<Scored>,
    ) -> Self {
        let records = items
            .iter()
            .zip(verdicts)
            .map(|(item, scored)| ScoredRecord::of_item(item, 0, scored))
            .collect();
        Self::new(label, benchmark, records)
    }

    /// Items without any sample: the one count of *missing items* (`compare`, `rank` and
    /// `table` refuse or note a run with some).
    pub fn missing_items(&self) -> u64 {
        self.unanswered.len() as u64
    }

    /// Draws without a sample, [`Self::draws_per_item`] per item: the one count of *missing
    /// samples* (`show`); with one draw per item, the items without a response.
    pub fn missing_samples(&self) -> u64 {
        let draws = self.draws_per_item.max(1);
        let stored: HashSet<(&str, u32)> = self
            .records
            .iter()
            .filter(|r| r.sample < draws)
            .map(|r| (r.id.as_str(), r.sample))
            .collect();
        let answered: HashSet<&str> = self.records.iter().map(|r| r.id.as_str()).collect();
        let items = answered.len() as u64 + self.missing_items();
        (items * u64::from(draws)).saturating_sub(stored.len() as u64)
    }

    /// Samples that ended in error, judged and report samples together.
    pub fn errors(&self) -> u64 {
        self.records
            .iter()
            .filter(|r| r.outcome() == Outcome::Error)
            .count() as u64
    }

    /// Whether the numbers are final: every draw of every item has a sample, none ended in
    /// error, and no invocation is still running. The one rule for *complete*.
    pub fn is_complete(&self) -> bool {
        self.missing_samples() == 0 && self.errors() == 0 && !self.running
    }

    /// The benchmark as a table heads it: with its variant when it has one
    /// (`medqa [circular]`); the run's label when the benchmark is not recorded.
    pub fn benchmark_label(&self) -> String {
        let benchmark = self.benchmark.as_deref().unwrap_or(&self.label.label);
        match &self.variant {
            Some(variant) => format!("{benchmark} [{variant}]"),
            None => benchmark.to_owned(),
        }
    }

    /// The model as a table's row names it: the recorded model, or the run's label.
    pub fn model_label(&self) -> &str {
        self.label.model.as_deref().unwrap_or(&self.label.label)
    }

    /// The most samples any item has (1 for an ordinary run, K with `--samples-per-item K`).
    pub fn samples_per_item(&self) -> u32 {
        let mut counts: HashMap<&str, u32> = HashMap::new();
        for record in &self.records {
            *counts.entry(record.id.as_str()).or_default() += 1;
        }
        counts.values().copied().max().unwrap_or(0)
    }

    /// One record per judged item: draw `draw` when given; otherwise the run must have one
    /// sample per item. Report items are left out and counted.
    pub fn one_per_item(&self, draw: Option<u32>) -> Result<OnePerItem<'_>, DrawError> {
        let samples_per_item = self.samples_per_item();
        let chosen: Vec<&ScoredRecord> = match draw {
            None if samples_per_item > 1 => {
                return Err(DrawError::SeveralDraws {
                    run: self.label.label.clone(),
                    samples_per_item,
                });
            }
            None => self.records.iter().collect(),
            Some(draw) => {
                let chosen: Vec<&ScoredRecord> =
                    self.records.iter().filter(|r| r.sample == draw).collect();
                if chosen.is_empty() {
                    return Err(DrawError::NoSuchDraw {
                        run: self.label.label.clone(),
                        draw,
                        samples_per_item,
                    });
                }
                chosen
            }
        };
        let report_items = chosen.iter().filter(|r| !r.is_judged_item()).count() as u64;
        Ok(OnePerItem {
            records: chosen.into_iter().filter(|r| r.is_judged_item()).collect(),
            report_items,
        })
    }
}

impl ScoredRun {
    /// The repeated-sampling summary of a run with several samples per item (mean accuracy,
    /// within-item variance, majority vote, any-correct), clustered by item, or by the items'
    /// cluster keys when they have them and `use_clusters` is set. Report items are left out.
    pub fn repeated_summary(
        &self,
        policy: NonJudgementPolicy,
        tie_rule: TieRule,
        confidence: f64,
        use_clusters: bool,
    ) -> Result<RepeatedSummary, StatsError> {
        let mut order: Vec<&str> = Vec::new();
        let mut by_item: HashMap<&str, RepeatedItem<'_>> = HashMap::new();
        for record in self.records.iter().filter(|r| r.is_judged_item()) {
            let item = by_item.entry(record.id.as_str()).or_insert_with(|| {
                order.push(record.id.as_str());
                RepeatedItem {
                    samples: Vec::new(),
                    cluster: None,
                }
            });
            if use_clusters && item.cluster.is_none() {
                item.cluster = record.cluster.as_deref();
            }
            item.samples.push(SampledAnswer {
                outcome: record.outcome(),
                answer: record.extracted(),
            });
        }
        let items: Vec<RepeatedItem<'_>> =
            order.iter().filter_map(|id| by_item.remove(id)).collect();
        summarize_repeated(&items, policy, tie_rule, confidence)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: &str, sample: u32, answer_type: Option<AnswerType>) -> ScoredRecord {
        ScoredRecord {
            id: id.into(),
            sample,
            scored: Scored::new(Outcome::Correct, None, "test"),
            gold: None,
            answer_type,
            cluster: None,
            meta: Meta::new(),
        }
    }

    fn run(records: Vec<ScoredRecord>) -> ScoredRun {
        ScoredRun::new(
            RunLabel {
                label: "r1".into(),
                source: RunSource::File {
                    path: "r1.jsonl".into(),
                },
                model: None,
            },
            None,
            records,
        )
    }

    #[test]
    fn one_per_item_drops_report_items_and_requires_a_draw_for_repeated_runs() {
        let single = run(vec![
            record("a", 0, Some(AnswerType::Mcq)),
            record("b", 0, Some(AnswerType::Report)),
            record("c", 0, None),
        ]);
        let chosen = single.one_per_item(None).unwrap();
        assert_eq!(chosen.records.len(), 2);
        assert_eq!(chosen.report_items, 1);

        let repeated = run(vec![record("a", 0, None), record("a", 1, None)]);
        assert_eq!(repeated.samples_per_item(), 2);
        let err = repeated.one_per_item(None).unwrap_err();
        assert!(
            err.to_string().contains("up to 2 samples per item"),
            "{err}"
        );
        assert_eq!(repeated.one_per_item(Some(1)).unwrap().records[0].sample, 1);
        assert!(matches!(
            repeated.one_per_item(Some(5)),
            Err(DrawError::NoSuchDraw { draw: 5, .. })
        ));
    }

    /// Three items asked twice each: `a` has both draws, `b` one (one of them an error), `c`
    /// none. By hand: 1 missing item, 6 - 3 = 3 missing samples, 1 error.
    #[test]
    fn missing_and_complete_are_counted_from_the_draws_asked_for() {
        let mut failed = record("b", 0, None);
        failed.scored = Scored::error("error:http");
        let mut stored = run(vec![record("a", 0, None), record("a", 1, None), failed]);
        stored.draws_per_item = 2;
        stored.unanswered = vec!["c".into()];
        assert_eq!(stored.missing_items(), 1);
        assert_eq!(stored.missing_samples(), 3);
        assert_eq!(stored.errors(), 1);
        assert!(!stored.is_complete());

        let mut finished = run(vec![record("a", 0, None), record("a", 1, None)]);
        assert_eq!(
            finished.draws_per_item, 2,
            "a file asks for the draws it holds"
        );
        assert!(finished.is_complete());
        finished.running = true;
        assert!(!finished.is_complete(), "a running run is not final");
    }

    #[test]
    fn a_variant_run_is_its_own_column() {
        let mut probed = run(vec![record("a", 0, None)]);
        assert_eq!(probed.benchmark_label(), "r1");
        assert_eq!(probed.model_label(), "r1");
        probed.benchmark = Some("medqa".into());
        probed.variant = Some("circular".into());
        probed.label.model = Some("m".into());
        assert_eq!(probed.benchmark_label(), "medqa [circular]");
        assert_eq!(probed.model_label(), "m");
    }

    #[test]
    fn group_keys_read_answer_type_and_metadata() {
        let mut r = record("a", 0, Some(AnswerType::Closed));
        r.meta.insert("organ".into(), "liver".into());
        r.meta.insert("year".into(), 2020.into());
        assert_eq!(r.group_key("answer_type").as_deref(), Some("closed"));
        assert_eq!(r.group_key("organ").as_deref(), Some("liver"));
        assert_eq!(r.group_key("year").as_deref(), Some("2020"));
        assert_eq!(r.group_key("missing"), None);
    }
}
