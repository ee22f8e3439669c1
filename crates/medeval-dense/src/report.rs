//! What an evaluation tells its reader: the per-label table of one segmentation pair, the
//! summary of a folder of cases with every value it leaves out and why, and the classification
//! metrics with their intervals.
//!
//! The command-line tool prints these; the viewer and the Python package show the same table,
//! the same summary JSON and the same notes, so a case left out or a value undefined is
//! explained in the same words wherever the numbers appear.

use std::io::{self, Write};
use std::path::Path;

use serde_json::{Value, json};

use crate::classify::{ClassifyOptions, MetricEstimate, Scored, classification_report};
use crate::encoding::Binarize;
use crate::folder::{CaseOutcome, SummaryRow, evaluated_labels, summarize_outcomes};
use crate::metrics::{EvalOptions, LabelResult};
use crate::stats::Bootstrap;

impl Binarize {
    /// The rule in a JSON row or summary (`binarized` field).
    pub fn key(self) -> String {
        match self {
            Binarize::NonZero => "non-zero".into(),
            Binarize::PredictionAtLeast(t) => format!("reference non-zero, prediction >= {t}"),
        }
    }
}

/// One pair's results as JSON lines, one object per label (with the binarization rule when one
/// was applied).
pub fn write_pair_json(
    out: &mut dyn Write,
    results: &[LabelResult],
    options: &EvalOptions,
) -> io::Result<()> {
    for result in results {
        let mut object = result.to_json(&options.metrics, options.convention);
        if let (Some(rule), Value::Object(fields)) = (options.binarize, &mut object) {
            fields.insert("binarized".into(), Value::from(rule.key()));
        }
        writeln!(out, "{object}")?;
    }
    Ok(())
}

/// One pair's results as a fixed-width table, one row per label, followed by the conventions
/// that produced them.
pub fn write_pair_table(
    out: &mut dyn Write,
    results: &[LabelResult],
    options: &EvalOptions,
) -> io::Result<()> {
    write!(
        out,
        "{:>6} {:>12} {:>12}",
        "label", "ref_voxels", "pred_voxels"
    )?;
    for metric in &options.metrics {
        write!(out, " {:>12}", metric.name)?;
    }
    writeln!(out)?;
    for result in results {
        write!(
            out,
            "{:>6} {:>12} {:>12}",
            result.label, result.reference_voxels, result.prediction_voxels
        )?;
        for value in &result.values {
            match value {
                Some(value) => write!(out, " {value:>12.6}")?,
                None => write!(out, " {:>12}", "undefined")?,
            }
        }
        writeln!(out)?;
    }
    if let Some(rule) = options.binarize {
        writeln!(out, "{rule}")?;
    }
    writeln!(
        out,
        "surface convention: {}; distances in mm; undefined: see the empty-mask table in docs/segmentation-metrics.md",
        options.convention.name()
    )
}

/// The summary of a folder evaluation: per-label statistics over the evaluated cases, and an
/// account of every case and value left out.
#[derive(Debug)]
pub struct FolderSummary<'a> {
    outcomes: &'a [CaseOutcome],
    options: &'a EvalOptions,
    bootstrap: Bootstrap,
    rows: Vec<SummaryRow>,
    labels: Vec<u32>,
    failed: Vec<(&'a str, &'a str)>,
    predictions_without_reference: usize,
}

impl<'a> FolderSummary<'a> {
    /// Summarises `outcomes` (evaluated with `options`); `predictions_without_reference` counts
    /// prediction files no reference matched, which were not evaluated.
    pub fn new(
        outcomes: &'a [CaseOutcome],
        options: &'a EvalOptions,
        bootstrap: Bootstrap,
        predictions_without_reference: usize,
    ) -> Self {
        Self {
            rows: summarize_outcomes(outcomes, &options.metrics, &bootstrap),
            labels: evaluated_labels(outcomes),
            failed: outcomes
                .iter()
                .filter_map(|outcome| {
                    outcome
                        .result
                        .as_ref()
                        .err()
                        .map(|error| (outcome.name.as_str(), error.as_str()))
                })
                .collect(),
            outcomes,
            options,
            bootstrap,
            predictions_without_reference,
        }
    }

    /// The labels scored (from `--labels`, or the union over every case).
    pub fn labels(&self) -> &[u32] {
        &self.labels
    }

    /// Cases that could not be evaluated, with the reason: they have no row at all.
    pub fn failed(&self) -> &[(&'a str, &'a str)] {
        &self.failed
    }

    /// Cases evaluated.
    pub fn evaluated(&self) -> usize {
        self.outcomes.len() - self.failed.len()
    }

    /// The per-label, per-metric table: n, undefined count, mean, median, IQR and the
    /// bootstrap interval of the mean.
    pub fn write_table(&self, out: &mut dyn Write) -> io::Result<()> {
        writeln!(
            out,
            "{:>6} {:>14} {:>5} {:>5} {:>11} {:>11} {:>23} {:>23}",
            "label", "metric", "n", "undef", "mean", "median", "IQR", "95% CI of mean"
        )?;
        for row in &self.rows {
            match &row.summary {
                Some(s) => writeln!(
                    out,
                    "{:>6} {:>14} {:>5} {:>5} {:>11.5} {:>11.5} {:>23} {:>23}",
                    row.label,
                    row.metric,
                    s.n,
                    row.undefined,
                    s.mean,
                    s.median,
                    format!("[{:.5}, {:.5}]", s.q1, s.q3),
                    format!("[{:.5}, {:.5}]", s.ci_low, s.ci_high)
                )?,
                None => writeln!(
                    out,
                    "{:>6} {:>14} {:>5} {:>5} {:>11}",
                    row.label, row.metric, 0, row.undefined, "undefined"
                )?,
            }
        }
        Ok(())
    }

    /// The lines under the table: cases evaluated and left out, the labels and where they came
    /// from, the convention, where the per-case rows are, and the binarization rule.
    pub fn write_footer(&self, out: &mut dyn Write, per_case_rows: &Path) -> io::Result<()> {
        let failed = &self.failed;
        let evaluated = self.evaluated();
        let left_out = if failed.is_empty() {
            String::new()
        } else {
            let cases: Vec<&str> = failed.iter().map(|(case, _)| *case).collect();
            format!(" (left out: {})", cases.join(", "))
        };
        let orphans = match self.predictions_without_reference {
            0 => String::new(),
            n => format!("; {n} prediction(s) without reference not evaluated"),
        };
        writeln!(
            out,
            "{} cases: {evaluated} evaluated, {} failed{left_out}{orphans}",
            self.outcomes.len(),
            failed.len(),
        )?;
        let label_list = if self.labels.is_empty() {
            "none".to_string()
        } else {
            let labels: Vec<String> = self.labels.iter().map(u32::to_string).collect();
            labels.join(", ")
        };
        writeln!(
            out,
            "labels {label_list} ({}), each scored in all {evaluated} evaluated cases; convention {}; per-case rows in {}",
            if self.options.labels.is_some() {
                "from --labels"
            } else {
                "every label found in any case; a case without it in either file scores as both empty"
            },
            self.options.convention.name(),
            per_case_rows.display()
        )?;
        if let Some(rule) = self.options.binarize {
            writeln!(out, "{rule}")?;
        }
        Ok(())
    }

    /// Every value the summary leaves out, and why: a note per undefined value (a mask empty on
    /// one side, or a ratio 0/0) and a line per failed case.
    pub fn left_out_notes(&self) -> Vec<String> {
        let mut notes = Vec::new();
        for outcome in self.outcomes {
            let Ok(results) = &outcome.result else {
                continue;
            };
            for result in results {
                let undefined: Vec<&str> = self
                    .options
                    .metrics
                    .iter()
                    .zip(&result.values)
                    .filter(|(_, value)| value.is_none())
                    .map(|(metric, _)| metric.name.as_str())
                    .collect();
                if undefined.is_empty() {
                    continue;
                }
                let why = match (result.reference_voxels, result.prediction_voxels) {
                    (0, 0) => format!("label {} in neither file", result.label),
                    (0, _) => format!("no label {} in the reference", result.label),
                    (_, 0) => format!("no label {} in the prediction", result.label),
                    _ => "undefined ratio".to_string(),
                };
                notes.push(format!(
                    "note: case {} label {}: {} undefined ({why}); excluded from n, counted in undef",
                    outcome.name,
                    result.label,
                    undefined.join(", ")
                ));
            }
        }
        for (case, error) in &self.failed {
            notes.push(format!("left out: case {case}: {error}"));
        }
        notes
    }

    /// The summary as one JSON object: conventions, bootstrap settings, cases found, evaluated
    /// and left out (with reasons), labels and their origin, and the per-label rows.
    pub fn to_json(&self) -> Value {
        let left_out: Vec<Value> = self
            .failed
            .iter()
            .map(|(case, error)| json!({"case": case, "error": error}))
            .collect();
        json!({
            "convention": self.options.convention.name(),
            "bootstrap": {
                "resamples": self.bootstrap.resamples,
                "level": self.bootstrap.level,
                "seed": self.bootstrap.seed,
            },
            "cases": {
                "found": self.outcomes.len(),
                "evaluated": self.evaluated(),
                "left_out": left_out,
                "predictions_without_reference": self.predictions_without_reference,
            },
            "labels": self.labels,
            "labels_from": if self.options.labels.is_some() { "--labels" } else { "union over all cases" },
            "binarized": self.options.binarize.map(Binarize::key),
            "rows": self.rows,
        })
    }
}

/// The classification metrics of one set of cases, with what a reader needs to trust them: the
/// case counts, the threshold, the binning of ECE and the bootstrap that gave the intervals.
#[derive(Debug, Clone)]
pub struct ClassificationSummary {
    /// Cases scored.
    pub n: usize,
    /// Positive cases.
    pub positives: usize,
    /// Threshold, ECE bins and bootstrap.
    pub options: ClassifyOptions,
    /// Every metric with its interval; an undefined metric has no interval.
    pub metrics: Vec<MetricEstimate>,
}

impl ClassificationSummary {
    /// Computes every metric of `cases` under `options`.
    pub fn new(cases: &[Scored], options: ClassifyOptions) -> Self {
        let mut metrics = classification_report(cases, &options);
        // Resamples can define a metric the cases do not (ECE on resamples that miss every
        // score outside [0, 1]); an interval around an undefined value means nothing.
        for metric in &mut metrics {
            if metric.value.is_none() {
                metric.ci_low = None;
                metric.ci_high = None;
            }
        }
        Self {
            n: cases.len(),
            positives: cases.iter().filter(|case| case.positive).count(),
            options,
            metrics,
        }
    }

    /// The summary as one JSON object (`classify --json`).
    pub fn to_json(&self) -> Value {
        let bootstrap = &self.options.bootstrap;
        json!({
            "n": self.n,
            "positives": self.positives,
            "threshold": self.options.threshold,
            "ece_bins": self.options.ece_bins,
            "bootstrap": { "resamples": bootstrap.resamples, "level": bootstrap.level, "seed": bootstrap.seed },
            "metrics": self.metrics,
        })
    }

    /// The summary as a table under a line naming the counts, threshold and bootstrap.
    pub fn table_text(&self) -> String {
        let bootstrap = &self.options.bootstrap;
        let mut text = format!(
            "{} cases, {} positive; threshold {}; 95% percentile bootstrap ({} resamples, seed {})\n",
            self.n, self.positives, self.options.threshold, bootstrap.resamples, bootstrap.seed
        );
        text.push_str(&format!(
            "{:<18} {:>9} {:>21}\n",
            "metric", "value", "95% CI"
        ));
        let show = |v: Option<f64>| v.map_or("undefined".to_string(), |v| format!("{v:.4}"));
        for metric in &self.metrics {
            let interval = match metric.value {
                Some(_) => format!("[{}, {}]", show(metric.ci_low), show(metric.ci_high)),
                None => "-".to_owned(),
            };
            text.push_str(&format!(
                "{:<18} {:>9} {:>21}\n",
                metric.metric,
                show(metric.value),
                interval
            ));
        }
        text
    }
}
