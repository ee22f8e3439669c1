//! Binary classification metrics for per-case or per-image predictions, with bootstrap
//! intervals: AUROC, AUPRC (average precision), F1, balanced accuracy, sensitivity and
//! specificity at a threshold, and expected calibration error.
//!
//! Definitions follow scikit-learn where it has the metric (`roc_auc_score`,
//! `average_precision_score`, `f1_score`, `balanced_accuracy_score`, `recall_score`), so that
//! numbers agree with what users already report; ECE uses equal-width bins over the predicted
//! probability of the positive class (Guo et al. 2017 with the positive-class reliability
//! diagram). A case is predicted positive when its score is at or above the threshold.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::stats::{Bootstrap, bootstrap_interval};

/// One scored case.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scored {
    /// True class (true = positive).
    pub positive: bool,
    /// Model score; a probability in [0, 1] for ECE.
    pub score: f64,
}

/// Why the inputs could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ClassifyError {
    /// A file could not be read or is not valid CSV.
    #[error("{path}: {source}")]
    Csv {
        /// The file.
        path: PathBuf,
        /// The parser's error.
        source: csv::Error,
    },
    /// A required column is missing.
    #[error("{path}: no column '{column}' (columns: {available})")]
    MissingColumn {
        /// The file.
        path: PathBuf,
        /// The column looked for.
        column: String,
        /// The header row.
        available: String,
    },
    /// A field has an invalid value.
    #[error("{path}: row {row}, field '{field}': {message}")]
    Field {
        /// The file.
        path: PathBuf,
        /// 1-based data row (the header is row 0).
        row: usize,
        /// Column name.
        field: String,
        /// What is wrong.
        message: String,
    },
    /// An id occurs in one file but not the other.
    #[error("id '{id}' is in {present} but not in {absent}")]
    Unmatched {
        /// The id.
        id: String,
        /// File that has it.
        present: PathBuf,
        /// File that lacks it.
        absent: PathBuf,
    },
    /// No case at all.
    #[error("{path}: no rows")]
    Empty {
        /// The file.
        path: PathBuf,
    },
}

/// Column names of the two CSV files.
#[derive(Debug, Clone)]
pub struct Columns {
    /// Case identifier column, present in both files.
    pub id: String,
    /// True label column (0/1) in the labels file.
    pub label: String,
    /// Score column in the scores file.
    pub score: String,
}

impl Default for Columns {
    fn default() -> Self {
        Columns {
            id: "id".into(),
            label: "label".into(),
            score: "score".into(),
        }
    }
}

/// Reads `labels` (id, 0/1 label) and `scores` (id, score) and joins them on id, in the order
/// of the labels file. Every id must appear exactly once in each file.
pub fn read_cases(
    labels: &Path,
    scores: &Path,
    columns: &Columns,
) -> Result<Vec<Scored>, ClassifyError> {
    let truth = read_column(labels, &columns.id, &columns.label, |text| {
        match text.trim() {
            "1" | "1.0" | "true" | "True" => Ok(1.0),
            "0" | "0.0" | "false" | "False" => Ok(0.0),
            other => Err(format!("'{other}' is not a binary label (0 or 1)")),
        }
    })?;
    let predicted = read_column(scores, &columns.id, &columns.score, |text| {
        text.trim()
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .ok_or_else(|| format!("'{}' is not a finite number", text.trim()))
    })?;
    let mut by_id: HashMap<&str, f64> = predicted.iter().map(|(id, v)| (id.as_str(), *v)).collect();
    let mut cases = Vec::with_capacity(truth.len());
    for (id, label) in &truth {
        let score = by_id
            .remove(id.as_str())
            .ok_or_else(|| ClassifyError::Unmatched {
                id: quoted_cell(id),
                present: labels.to_path_buf(),
                absent: scores.to_path_buf(),
            })?;
        cases.push(Scored {
            positive: *label == 1.0,
            score,
        });
    }
    if let Some((id, _)) = predicted
        .iter()
        .find(|(id, _)| by_id.contains_key(id.as_str()))
    {
        return Err(ClassifyError::Unmatched {
            id: quoted_cell(id),
            present: scores.to_path_buf(),
            absent: labels.to_path_buf(),
        });
    }
    Ok(cases)
}

fn read_column(
    path: &Path,
    id_column: &str,
    value_column: &str,
    parse: impl Fn(&str) -> Result<f64, String>,
) -> Result<Vec<(String, f64)>, ClassifyError> {
    let csv_error = |source| ClassifyError::Csv {
        path: path.to_path_buf(),
        source,
    };
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_path(path)
        .map_err(csv_error)?;
    let headers = reader.headers().map_err(csv_error)?.clone();
    let find = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| ClassifyError::MissingColumn {
                path: path.to_path_buf(),
                column: quoted_cell(name),
                available: quoted_cell(&headers.iter().collect::<Vec<_>>().join(", ")),
            })
    };
    let (id_at, value_at) = (find(id_column)?, find(value_column)?);
    let mut rows = Vec::new();
    let mut seen = HashMap::new();
    for (index, record) in reader.records().enumerate() {
        let record = record.map_err(csv_error)?;
        let row = index + 1;
        let field_error = |field: &str, message: String| ClassifyError::Field {
            path: path.to_path_buf(),
            row,
            field: field.into(),
            message,
        };
        let id = record
            .get(id_at)
            .ok_or_else(|| field_error(id_column, "missing".into()))?
            .to_string();
        let value = parse(
            record
                .get(value_at)
                .ok_or_else(|| field_error(value_column, "missing".into()))?,
        )
        .map_err(|m| field_error(value_column, m))?;
        if let Some(first) = seen.insert(id.clone(), row) {
            return Err(field_error(
                id_column,
                format!("id '{}' already appears on row {first}", quoted_cell(&id)),
            ));
        }
        rows.push((id, value));
    }
    if rows.is_empty() {
        return Err(ClassifyError::Empty {
            path: path.to_path_buf(),
        });
    }
    Ok(rows)
}

/// Longest cell text an error message repeats.
const QUOTED_CELL_CHARS: usize = 80;

/// A cell of the user's file as an error message repeats it: control characters escaped
/// (`\u{1b}`, `\n`), so a file cannot move the cursor or forge lines of the terminal it is
/// reported on, and cut after [`QUOTED_CELL_CHARS`] characters, so a huge cell cannot flood it.
fn quoted_cell(text: &str) -> String {
    let mut out = String::new();
    for (count, c) in text.chars().enumerate() {
        if count == QUOTED_CELL_CHARS {
            out.push_str("...");
            break;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// Settings of [`classification_report`].
#[derive(Debug, Clone, Copy)]
pub struct ClassifyOptions {
    /// Scores at or above this are predicted positive.
    pub threshold: f64,
    /// Equal-width bins for ECE.
    pub ece_bins: usize,
    /// Bootstrap settings for the intervals.
    pub bootstrap: Bootstrap,
}

impl Default for ClassifyOptions {
    fn default() -> Self {
        ClassifyOptions {
            threshold: 0.5,
            ece_bins: 15,
            bootstrap: Bootstrap::default(),
        }
    }
}

/// The metric names, in report order.
pub const CLASSIFICATION_METRICS: [&str; 8] = [
    "auroc",
    "auprc",
    "f1",
    "balanced_accuracy",
    "sensitivity",
    "specificity",
    "accuracy",
    "ece",
];

/// One metric's value and bootstrap interval (`None` where undefined, e.g. AUROC with one class).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct MetricEstimate {
    /// Metric name.
    pub metric: &'static str,
    /// Point estimate on all cases.
    pub value: Option<f64>,
    /// Lower bound of the bootstrap interval.
    pub ci_low: Option<f64>,
    /// Upper bound of the bootstrap interval.
    pub ci_high: Option<f64>,
}

/// Computes every metric with its bootstrap interval.
pub fn classification_report(cases: &[Scored], options: &ClassifyOptions) -> Vec<MetricEstimate> {
    CLASSIFICATION_METRICS
        .iter()
        .map(|&metric| {
            let compute =
                |sample: &[Scored]| metric_value(metric, sample, options).unwrap_or(f64::NAN);
            let value = metric_value(metric, cases, options);
            let (low, high) = bootstrap_interval(cases, &options.bootstrap, compute);
            let finite = |v: f64| v.is_finite().then_some(v);
            MetricEstimate {
                metric,
                value,
                ci_low: finite(low),
                ci_high: finite(high),
            }
        })
        .collect()
}

fn metric_value(metric: &str, cases: &[Scored], options: &ClassifyOptions) -> Option<f64> {
    let counts = Confusion::at(cases, options.threshold);
    let ratio = |num: usize, den: usize| (den > 0).then(|| num as f64 / den as f64);
    match metric {
        "auroc" => auroc(cases),
        "auprc" => average_precision(cases),
        "f1" => ratio(2 * counts.tp, 2 * counts.tp + counts.fp + counts.fn_),
        "sensitivity" => ratio(counts.tp, counts.tp + counts.fn_),
        "specificity" => ratio(counts.tn, counts.tn + counts.fp),
        "balanced_accuracy" => Some(
            0.5 * (ratio(counts.tp, counts.tp + counts.fn_)?
                + ratio(counts.tn, counts.tn + counts.fp)?),
        ),
        "accuracy" => ratio(counts.tp + counts.tn, cases.len()),
        "ece" => expected_calibration_error(cases, options.ece_bins),
        _ => None,
    }
}

struct Confusion {
    tp: usize,
    fp: usize,
    tn: usize,
    fn_: usize,
}

impl Confusion {
    fn at(cases: &[Scored], threshold: f64) -> Self {
        let mut c = Confusion {
            tp: 0,
            fp: 0,
            tn: 0,
            fn_: 0,
        };
        for case in cases {
            match (case.positive, case.score >= threshold) {
                (true, true) => c.tp += 1,
                (true, false) => c.fn_ += 1,
                (false, true) => c.fp += 1,
                (false, false) => c.tn += 1,
            }
        }
        c
    }
}

/// Area under the ROC curve via the Mann–Whitney statistic with mid-ranks for ties; `None`
/// when either class is absent.
pub fn auroc(cases: &[Scored]) -> Option<f64> {
    let mut order: Vec<&Scored> = cases.iter().collect();
    order.sort_unstable_by(|a, b| a.score.total_cmp(&b.score));
    let positives = cases.iter().filter(|c| c.positive).count();
    let negatives = cases.len() - positives;
    if positives == 0 || negatives == 0 {
        return None;
    }
    let mut rank_sum = 0.0;
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j < order.len() && order[j].score == order[i].score {
            j += 1;
        }
        let mid_rank = (i + 1 + j) as f64 / 2.0; // ranks i+1 ..= j
        rank_sum += mid_rank * order[i..j].iter().filter(|c| c.positive).count() as f64;
        i = j;
    }
    let p = positives as f64;
    Some((rank_sum - p * (p + 1.0) / 2.0) / (p * negatives as f64))
}

/// Average precision `Σ (R_k − R_{k−1}) P_k` over the distinct score thresholds, from high to
/// low (scikit-learn's `average_precision_score`); `None` without positives.
pub fn average_precision(cases: &[Scored]) -> Option<f64> {
    let positives = cases.iter().filter(|c| c.positive).count();
    if positives == 0 {
        return None;
    }
    let mut order: Vec<&Scored> = cases.iter().collect();
    order.sort_unstable_by(|a, b| b.score.total_cmp(&a.score));
    let (mut tp, mut fp, mut previous_recall, mut ap) = (0usize, 0usize, 0.0, 0.0);
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j < order.len() && order[j].score == order[i].score {
            if order[j].positive {
                tp += 1;
            } else {
                fp += 1;
            }
            j += 1;
        }
        let recall = tp as f64 / positives as f64;
        let precision = tp as f64 / (tp + fp) as f64;
        ap += (recall - previous_recall) * precision;
        previous_recall = recall;
        i = j;
    }
    Some(ap)
}

/// Expected calibration error over `bins` equal-width bins of the positive-class probability:
/// `Σ_b |B_b|/n · |mean(y in B_b) − mean(p in B_b)|`, bin `b` holding `(b/M, (b+1)/M]` (the
/// first bin also holds 0). `None` when a score lies outside [0, 1].
pub fn expected_calibration_error(cases: &[Scored], bins: usize) -> Option<f64> {
    if bins == 0 || cases.iter().any(|c| !(0.0..=1.0).contains(&c.score)) {
        return None;
    }
    let mut count = vec![0usize; bins];
    let mut positives = vec![0usize; bins];
    let mut confidence = vec![0.0; bins];
    for c in cases {
        let b = ((c.score * bins as f64).ceil() as usize)
            .saturating_sub(1)
            .min(bins - 1);
        count[b] += 1;
        positives[b] += usize::from(c.positive);
        confidence[b] += c.score;
    }
    let n = cases.len() as f64;
    Some(
        (0..bins)
            .filter(|&b| count[b] > 0)
            .map(|b| {
                let k = count[b] as f64;
                k / n * (positives[b] as f64 / k - confidence[b] / k).abs()
            })
            .sum(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_repeat_cells_with_control_characters_escaped_and_long_cells_cut() {
        assert_eq!(quoted_cell("case\u{1b}[2Jx\n"), "case\\u{1b}[2Jx\\n");
        let long = "a".repeat(1000);
        assert_eq!(quoted_cell(&long), format!("{}...", "a".repeat(80)));
        assert_eq!(quoted_cell("plain id"), "plain id");
    }

    fn cases(pairs: &[(bool, f64)]) -> Vec<Scored> {
        pairs
            .iter()
            .map(|&(positive, score)| Scored { positive, score })
            .collect()
    }

    #[test]
    fn auroc_by_hand_with_ties() {
        // Positives 0.8, 0.4; negatives 0.4, 0.1: pairs (0.8>0.4, 0.8>0.1, 0.4=0.4 -> 1/2, 0.4>0.1)
        let c = cases(&[(true, 0.8), (true, 0.4), (false, 0.4), (false, 0.1)]);
        assert_eq!(auroc(&c), Some(3.5 / 4.0));
        assert_eq!(auroc(&cases(&[(true, 0.3)])), None);
    }

    #[test]
    fn average_precision_by_hand() {
        // Descending: 0.9 (+), 0.8 (-), 0.7 (+): AP = 0.5 * 1 + 0.5 * 2/3.
        let c = cases(&[(true, 0.9), (false, 0.8), (true, 0.7)]);
        assert!((average_precision(&c).expect("positives") - (0.5 + 1.0 / 3.0)).abs() < 1e-12);
    }

    #[test]
    fn calibration_error_by_hand() {
        // Two bins: [0, 0.5] holds 0.2 (y=0) and 0.4 (y=1): |0.5 - 0.3| = 0.2, weight 1/2;
        // (0.5, 1] holds 0.9 (y=1) and 1.0 (y=1): |1 - 0.95| = 0.05, weight 1/2.
        let c = cases(&[(false, 0.2), (true, 0.4), (true, 0.9), (true, 1.0)]);
        assert!((expected_calibration_error(&c, 2).expect("probabilities") - 0.125).abs() < 1e-12);
        assert_eq!(expected_calibration_error(&cases(&[(true, 1.5)]), 2), None);
    }
}
