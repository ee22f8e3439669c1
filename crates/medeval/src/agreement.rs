//! How far a judged run agrees with people, or judged runs with each other.
//!
//! A run's verdict on a sample is binary where it has one: `correct` (a judge's `met`) or
//! `wrong` (`not met`); samples without one (unjudged, unparsed, refused, errors) are left out
//! and counted, never read as either. Human labels come from a JSONL file, one object per line:
//! `{"id": "item id", "label": true}` (or `"correct"`/`"wrong"`, `"met"`/`"not met"`, `1`/`0`),
//! with `"sample": k` for runs with several samples per item.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use medeval_core::Outcome;
use medeval_stats::{
    AlphaLevel, BinaryAgreement, Bootstrap, binary_agreement, cohen_kappa, krippendorff_alpha,
};
use medeval_store::StoredRun;
use serde::Serialize;
use serde_json::Value;

/// A sample: item id and draw.
pub type SampleKey = (String, u32);

/// Why a label file cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum LabelError {
    /// The file could not be read.
    #[error("cannot read the label file {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A line is not a label.
    #[error("{path}, line {line}: {message}")]
    Line {
        /// The file.
        path: String,
        /// The line (from 1).
        line: usize,
        /// What is wrong, and what to write.
        message: String,
    },
    /// The file holds no label.
    #[error(
        "{0}: no labels; write one JSON object per line, {{\"id\": \"item id\", \"label\": true}}"
    )]
    Empty(String),
}

/// Reads a label file: (item, draw) -> met.
pub fn read_labels(path: &Path) -> Result<BTreeMap<SampleKey, bool>, LabelError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| LabelError::Read {
        path: shown.clone(),
        source,
    })?;
    let mut labels = BTreeMap::new();
    for (at, line) in text.lines().enumerate() {
        let line_no = at + 1;
        if line.trim().is_empty() {
            continue;
        }
        let error = |message: String| LabelError::Line {
            path: shown.clone(),
            line: line_no,
            message,
        };
        let value: Value =
            serde_json::from_str(line).map_err(|e| error(format!("not a JSON object: {e}")))?;
        let id = match &value["id"] {
            Value::String(id) => id.clone(),
            Value::Number(id) => id.to_string(),
            _ => return Err(error("field \"id\": missing or not a string".into())),
        };
        let sample = match &value["sample"] {
            Value::Null => 0,
            Value::Number(n) => n
                .as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .ok_or_else(|| error(format!("field \"sample\": {n} is not a draw number")))?,
            other => return Err(error(format!("field \"sample\": {other} is not a number"))),
        };
        let label = read_label(&value["label"]).ok_or_else(|| {
            error(format!(
                "field \"label\": {} is not a verdict; write true/false, \"correct\"/\"wrong\", \"met\"/\"not met\" or 1/0",
                value["label"]
            ))
        })?;
        if labels.insert((id.clone(), sample), label).is_some() {
            return Err(error(format!(
                "item {id:?} draw {sample} is labelled twice; keep one label per sample"
            )));
        }
    }
    if labels.is_empty() {
        return Err(LabelError::Empty(shown));
    }
    Ok(labels)
}

fn read_label(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => match n.as_f64() {
            Some(1.0) => Some(true),
            Some(0.0) => Some(false),
            _ => None,
        },
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "correct" | "met" | "yes" | "true" => Some(true),
            "wrong" | "incorrect" | "not met" | "not_met" | "no" | "false" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// The binary verdicts of a run's samples, and how many samples had none.
pub fn verdicts(run: &StoredRun) -> (BTreeMap<SampleKey, bool>, usize) {
    let mut verdicts = BTreeMap::new();
    let mut without = 0;
    for sample in &run.samples {
        let key = (sample.item_id.clone(), sample.sample);
        match sample.scored.outcome {
            Outcome::Correct => {
                verdicts.insert(key, true);
            }
            Outcome::Wrong => {
                verdicts.insert(key, false);
            }
            _ => without += 1,
        }
    }
    (verdicts, without)
}

/// A run's agreement with human labels.
#[derive(Debug, Clone, Serialize)]
pub struct LabelAgreement {
    /// The run.
    pub run: String,
    /// Who scored it (`judge MODEL, SPEC HASH ...` or `extractor vN`).
    pub scorer: String,
    /// Accuracy, kappa and balanced F1 with intervals, over samples both rated.
    #[serde(flatten)]
    pub agreement: BinaryAgreement,
    /// Labelled samples the run has no verdict on (unjudged, unparsed, refused, errors).
    pub labelled_without_verdict: usize,
    /// Labels for samples the run does not hold.
    pub labels_not_in_run: usize,
}

/// How far `run`'s verdicts agree with `labels`.
pub fn against_labels(
    run: &StoredRun,
    labels: &BTreeMap<SampleKey, bool>,
    bootstrap: Bootstrap,
    confidence: f64,
) -> LabelAgreement {
    let (verdicts, _) = verdicts(run);
    let held: HashSet<SampleKey> = run
        .samples
        .iter()
        .map(|s| (s.item_id.clone(), s.sample))
        .collect();
    let mut pairs = Vec::new();
    let mut without = 0;
    let mut missing = 0;
    for (key, label) in labels {
        match verdicts.get(key) {
            Some(verdict) => pairs.push((*verdict, *label)),
            None if held.contains(key) => without += 1,
            None => missing += 1,
        }
    }
    LabelAgreement {
        run: run.id.clone(),
        scorer: run.manifest.scorer.to_string(),
        agreement: binary_agreement(&pairs, bootstrap, confidence),
        labelled_without_verdict: without,
        labels_not_in_run: missing,
    }
}

/// Two runs' agreement on the samples both have a verdict on.
#[derive(Debug, Clone, Serialize)]
pub struct PairAgreement {
    /// The first run.
    pub first: String,
    /// The second run.
    pub second: String,
    /// Samples both have a verdict on.
    pub n: usize,
    /// Share of those with the same verdict.
    pub agreement: Option<f64>,
    /// Cohen's kappa (`None` when undefined).
    pub kappa: Option<f64>,
}

/// Several runs' agreement: every pair, and Krippendorff's alpha over all of them.
#[derive(Debug, Clone, Serialize)]
pub struct RunsAgreement {
    /// Each run with its scorer.
    pub runs: Vec<(String, String)>,
    /// Every pair of runs.
    pub pairs: Vec<PairAgreement>,
    /// Krippendorff's alpha (nominal) over every sample at least two runs have a verdict on.
    pub alpha_nominal: Option<f64>,
    /// Samples in the alpha.
    pub alpha_units: usize,
}

/// How far `runs` agree with each other.
pub fn between_runs(runs: &[StoredRun]) -> RunsAgreement {
    let verdicts: Vec<BTreeMap<SampleKey, bool>> = runs.iter().map(|r| verdicts(r).0).collect();
    let mut pairs = Vec::new();
    for (i, first) in verdicts.iter().enumerate() {
        for (j, second) in verdicts.iter().enumerate().skip(i + 1) {
            let both: Vec<(bool, bool)> = first
                .iter()
                .filter_map(|(key, a)| second.get(key).map(|b| (*a, *b)))
                .collect();
            pairs.push(PairAgreement {
                first: runs[i].id.clone(),
                second: runs[j].id.clone(),
                n: both.len(),
                agreement: (!both.is_empty()).then(|| {
                    both.iter().filter(|(a, b)| a == b).count() as f64 / both.len() as f64
                }),
                kappa: cohen_kappa(&both),
            });
        }
    }
    let mut keys: Vec<&SampleKey> = verdicts.iter().flat_map(|v| v.keys()).collect();
    keys.sort();
    keys.dedup();
    let units: Vec<Vec<Option<i64>>> = keys
        .iter()
        .map(|key| {
            verdicts
                .iter()
                .map(|v| v.get(*key).map(|met| i64::from(*met)))
                .collect()
        })
        .filter(|unit: &Vec<Option<i64>>| unit.iter().flatten().count() >= 2)
        .collect();
    RunsAgreement {
        runs: runs
            .iter()
            .map(|r| (r.id.clone(), r.manifest.scorer.to_string()))
            .collect(),
        pairs,
        alpha_nominal: krippendorff_alpha(&units, AlphaLevel::Nominal),
        alpha_units: units.len(),
    }
}
