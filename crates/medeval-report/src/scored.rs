//! Scored runs in one shape, whatever they came from: a run in the store, or a file of scored
//! samples written by `medeval score --samples` (or by another tool).
//!
//! Comparisons, leaderboards and power plans only need, per sample, the item id, the draw index,
//! the verdict, what was answered, the gold answer, the cluster key and the metadata to break
//! results down by. Keeping that in one type means the statistics cannot depend on where the
//! numbers came from.

use std::collections::HashMap;

use medeval_core::{AnswerType, Meta, Outcome};
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

/// One scored sample.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoredRecord {
    /// The item id runs are paired by.
    pub id: String,
    /// The draw index (0 unless the run sampled several answers per item).
    pub sample: u32,
    /// The verdict.
    pub outcome: Outcome,
    /// The answer read from the response, if any.
    pub extracted: Option<String>,
    /// The gold answer, if known.
    pub gold: Option<String>,
    /// The answer type, if known.
    pub answer_type: Option<AnswerType>,
    /// The item's cluster key (image, study, patient), if any.
    pub cluster: Option<String>,
    /// Free metadata for breakdowns.
    pub meta: Meta,
}

impl ScoredRecord {
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

/// One model's scored samples on one benchmark.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoredRun {
    /// How the run is named in output.
    pub label: RunLabel,
    /// The benchmark's name, when the store or the file records it.
    pub benchmark: Option<String>,
    /// SHA-256 of the items file the run used, when known (store runs).
    pub items_sha256: Option<String>,
    /// Items of the run that have no sample yet (an interrupted store run).
    pub missing_items: u64,
    /// The samples, in the run's item order.
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
                outcome: record.outcome,
                answer: record.extracted.as_deref(),
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
            outcome: Outcome::Correct,
            extracted: None,
            gold: None,
            answer_type,
            cluster: None,
            meta: Meta::new(),
        }
    }

    fn run(records: Vec<ScoredRecord>) -> ScoredRun {
        ScoredRun {
            label: RunLabel {
                label: "r1".into(),
                source: RunSource::File {
                    path: "r1.jsonl".into(),
                },
                model: None,
            },
            benchmark: None,
            items_sha256: None,
            missing_items: 0,
            records,
        }
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
