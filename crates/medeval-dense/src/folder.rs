//! Folder mode: pair reference and prediction files by case name, evaluate every case in
//! parallel, write per-case rows and summarise each metric per label.
//!
//! A case that fails (unreadable file, missing prediction, grid mismatch) is reported with its
//! error and the rest still finish; callers must surface the failure count, because a summary
//! over fewer cases than expected is not the summary the user asked for.
//!
//! Without an explicit label list, the labels evaluated are the union over the whole folder:
//! a label found in any case is evaluated in every successful case, and a case where neither
//! file holds it gets the "both empty" row of the empty-mask table (Dice 1, distances 0). A case
//! whose two files are both all background therefore still counts, instead of giving no row and
//! silently dropping out of every label's summary.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde_json::{Map, Value};

use crate::encoding::{EncodingWarning, check_encoding};
use crate::io::case_name;
use crate::metrics::{EvalOptions, LabelCounts, LabelResult, MetricSpec, empty_mask_value};
use crate::pair::{GeometryPolicy, evaluate_pair_checked};
use crate::stats::{Bootstrap, Summary, summarize};
use crate::surface::Convention;

/// One case: a reference file and the prediction with the same case name, if any.
#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    /// File name without its image extension.
    pub name: String,
    /// The reference file.
    pub reference: PathBuf,
    /// The prediction file, `None` when the prediction folder has no file of that name.
    pub prediction: Option<PathBuf>,
}

/// Cases found in two folders.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseList {
    /// One entry per reference image, sorted by name.
    pub cases: Vec<Case>,
    /// Prediction images without a reference of the same name (reported, not evaluated).
    pub unmatched_predictions: Vec<PathBuf>,
}

/// Why the folders could not be listed.
#[derive(Debug, thiserror::Error)]
pub enum FolderError {
    /// A folder could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The folder.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// Two files in one folder map to the same case name.
    #[error("{first} and {second} both name case '{name}'")]
    DuplicateCase {
        /// The case name.
        name: String,
        /// One file.
        first: PathBuf,
        /// The other.
        second: PathBuf,
    },
    /// The reference folder holds no image.
    #[error("{path}: no image files ({extensions})")]
    NoCases {
        /// The folder.
        path: PathBuf,
        /// The extensions looked for.
        extensions: &'static str,
    },
}

/// Pairs the label maps of two folders by case name (file name without image extension).
pub fn find_cases(reference_dir: &Path, prediction_dir: &Path) -> Result<CaseList, FolderError> {
    find_cases_by(
        reference_dir,
        prediction_dir,
        case_name,
        ".nii, .nii.gz, .mha, .mhd, .nrrd, .png, .tif",
    )
}

/// Pairs the files of two folders by the case name `name_of` gives them (files it gives no
/// name are not cases); `extensions` words what it looks for in the error of an empty folder.
/// Segmentation and reconstruction share this so both pair files by the same rules.
pub fn find_cases_by(
    reference_dir: &Path,
    prediction_dir: &Path,
    name_of: fn(&Path) -> Option<String>,
    extensions: &'static str,
) -> Result<CaseList, FolderError> {
    let references = images_by_case(reference_dir, name_of)?;
    if references.is_empty() {
        return Err(FolderError::NoCases {
            path: reference_dir.to_path_buf(),
            extensions,
        });
    }
    let mut predictions = images_by_case(prediction_dir, name_of)?;
    let cases = references
        .into_iter()
        .map(|(name, reference)| {
            let prediction = predictions.remove(&name);
            Case {
                name,
                reference,
                prediction,
            }
        })
        .collect();
    Ok(CaseList {
        cases,
        unmatched_predictions: predictions.into_values().collect(),
    })
}

fn images_by_case(
    dir: &Path,
    name_of: fn(&Path) -> Option<String>,
) -> Result<BTreeMap<String, PathBuf>, FolderError> {
    let io = |source| FolderError::Io {
        path: dir.to_path_buf(),
        source,
    };
    let mut out: BTreeMap<String, PathBuf> = BTreeMap::new();
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let path = entry.map_err(io)?.path();
        // A .mhd's data file and a NIfTI pair's .img are not cases of their own.
        if !path.is_file() {
            continue;
        }
        let Some(name) = name_of(&path) else {
            continue;
        };
        if let Some(first) = out.insert(name.clone(), path.clone()) {
            return Err(FolderError::DuplicateCase {
                name,
                first,
                second: path,
            });
        }
    }
    Ok(out)
}

/// The result of one case.
#[derive(Debug)]
pub struct CaseOutcome {
    /// The case name.
    pub name: String,
    /// Per-label metrics, or the error that stopped the case.
    pub result: Result<Vec<LabelResult>, String>,
    /// The distinct non-zero values of the reference and the prediction, when the case was
    /// read and not binarized (for [`check_folder_encoding`]).
    pub present: Option<(Vec<u32>, Vec<u32>)>,
}

/// Evaluates every case in parallel, calling `on_done` after each (for a progress bar).
/// Outcomes keep the order of `cases`. When `options.labels` is `None`, every successful case
/// gets a row for every label of [`evaluated_labels`] (see [`complete_label_union`]).
pub fn evaluate_cases(
    cases: &[Case],
    options: &EvalOptions,
    policy: &GeometryPolicy,
    on_done: &(dyn Fn(&CaseOutcome) + Sync),
) -> Vec<CaseOutcome> {
    let mut outcomes = cases
        .par_iter()
        .with_max_len(1)
        .map(|case| {
            let (result, present) = match &case.prediction {
                None => (
                    Err(format!(
                        "{}: no prediction file named '{}'",
                        case.reference.display(),
                        case.name
                    )),
                    None,
                ),
                Some(prediction) => {
                    match evaluate_pair_checked(&case.reference, prediction, options, policy) {
                        Ok(e) => (Ok(e.results), e.present),
                        Err(e) => (Err(e.to_string()), None),
                    }
                }
            };
            let outcome = CaseOutcome {
                name: case.name.clone(),
                result,
                present,
            };
            on_done(&outcome);
            outcome
        })
        .collect::<Vec<_>>();
    if options.labels.is_none() {
        complete_label_union(&mut outcomes, &options.metrics);
    }
    outcomes
}

/// [`check_encoding`] on the values of all cases together: the union of the references'
/// non-zero values against the union of the predictions'. Checking the folder as a whole keeps
/// a multi-label task where one case's only reference label differs from its only predicted
/// label from being flagged, while a folder of 0/1 references and 0/255 predictions is.
pub fn check_folder_encoding(outcomes: &[CaseOutcome]) -> Option<EncodingWarning> {
    let mut reference = BTreeSet::new();
    let mut prediction = BTreeSet::new();
    for (r, p) in outcomes.iter().filter_map(|o| o.present.as_ref()) {
        reference.extend(r.iter().copied());
        prediction.extend(p.iter().copied());
    }
    let reference: Vec<u32> = reference.into_iter().collect();
    let prediction: Vec<u32> = prediction.into_iter().collect();
    check_encoding(&reference, &prediction)
}

/// The labels with a row in any successful case, in increasing order.
pub fn evaluated_labels(outcomes: &[CaseOutcome]) -> Vec<u32> {
    outcomes
        .iter()
        .filter_map(|o| o.result.as_ref().ok())
        .flatten()
        .map(|r| r.label)
        .collect::<BTreeSet<u32>>()
        .into_iter()
        .collect()
}

/// Gives every successful case a row for every label of [`evaluated_labels`]: a label that
/// neither file of a case holds gets the "both empty" values of [`empty_mask_value`] with zero
/// voxel counts. Rows end up sorted by label.
pub fn complete_label_union(outcomes: &mut [CaseOutcome], metrics: &[MetricSpec]) {
    let labels = evaluated_labels(outcomes);
    let absent = LabelCounts::default();
    for outcome in outcomes {
        let Ok(rows) = &mut outcome.result else {
            continue;
        };
        for &label in &labels {
            if rows.iter().any(|r| r.label == label) {
                continue;
            }
            rows.push(LabelResult {
                label,
                reference_voxels: 0,
                prediction_voxels: 0,
                values: metrics
                    .iter()
                    .map(|m| empty_mask_value(m.metric, &absent, 0.0).unwrap_or(None))
                    .collect(),
            });
        }
        rows.sort_by_key(|r| r.label);
    }
}

/// Per-case output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowFormat {
    /// One row per case and label; failed cases get one row with the error.
    Csv,
    /// One JSON object per line, same fields as the CSV.
    JsonLines,
}

/// Writes per-case rows: `case, label, convention, reference_voxels, prediction_voxels`, one
/// column per metric (empty / null when undefined) and `error`.
pub fn write_rows(
    out: &mut dyn Write,
    format: RowFormat,
    outcomes: &[CaseOutcome],
    metrics: &[MetricSpec],
    convention: Convention,
) -> std::io::Result<()> {
    match format {
        RowFormat::Csv => {
            let mut writer = csv::Writer::from_writer(out);
            let mut header = vec![
                "case".to_string(),
                "label".into(),
                "convention".into(),
                "reference_voxels".into(),
                "prediction_voxels".into(),
            ];
            header.extend(metrics.iter().map(|m| m.name.clone()));
            header.push("error".into());
            writer.write_record(&header)?;
            for outcome in outcomes {
                match &outcome.result {
                    Ok(labels) => {
                        for r in labels {
                            let mut row = vec![
                                outcome.name.clone(),
                                r.label.to_string(),
                                convention.name().to_string(),
                                r.reference_voxels.to_string(),
                                r.prediction_voxels.to_string(),
                            ];
                            row.extend(
                                r.values
                                    .iter()
                                    .map(|v| v.map_or(String::new(), format_number)),
                            );
                            row.push(String::new());
                            writer.write_record(&row)?;
                        }
                    }
                    Err(error) => {
                        let mut row = vec![
                            outcome.name.clone(),
                            String::new(),
                            convention.name().to_string(),
                            String::new(),
                            String::new(),
                        ];
                        row.extend(metrics.iter().map(|_| String::new()));
                        row.push(error.clone());
                        writer.write_record(&row)?;
                    }
                }
            }
            writer.flush()?;
        }
        RowFormat::JsonLines => {
            for outcome in outcomes {
                match &outcome.result {
                    Ok(labels) => {
                        for r in labels {
                            let mut object = Map::new();
                            object.insert("case".into(), Value::from(outcome.name.clone()));
                            if let Value::Object(fields) = r.to_json(metrics, convention) {
                                object.extend(fields);
                            }
                            writeln!(out, "{}", Value::Object(object))?;
                        }
                    }
                    Err(error) => {
                        let mut object = Map::new();
                        object.insert("case".into(), Value::from(outcome.name.clone()));
                        object.insert("convention".into(), Value::from(convention.name()));
                        object.insert("error".into(), Value::from(error.clone()));
                        writeln!(out, "{}", Value::Object(object))?;
                    }
                }
            }
        }
    }
    Ok(())
}

/// Shortest decimal that round-trips the value (Rust's `Display` for f64).
fn format_number(v: f64) -> String {
    format!("{v}")
}

/// Summary of one metric for one label across cases.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SummaryRow {
    /// The label.
    pub label: u32,
    /// The metric's requested name.
    pub metric: String,
    /// Cases where the metric was undefined (null), excluded from the statistics.
    pub undefined: usize,
    /// Statistics over the defined values (`None` when there is none).
    pub summary: Option<Summary>,
}

/// Summarises every metric per label over the successful cases.
pub fn summarize_outcomes(
    outcomes: &[CaseOutcome],
    metrics: &[MetricSpec],
    bootstrap: &Bootstrap,
) -> Vec<SummaryRow> {
    let mut by_label: BTreeMap<u32, Vec<Vec<Option<f64>>>> = BTreeMap::new();
    for outcome in outcomes {
        if let Ok(labels) = &outcome.result {
            for r in labels {
                let columns = by_label
                    .entry(r.label)
                    .or_insert_with(|| vec![Vec::new(); metrics.len()]);
                for (column, value) in columns.iter_mut().zip(&r.values) {
                    column.push(*value);
                }
            }
        }
    }
    let mut rows = Vec::new();
    for (label, columns) in by_label {
        for (spec, column) in metrics.iter().zip(columns) {
            let defined: Vec<f64> = column.iter().flatten().copied().collect();
            rows.push(SummaryRow {
                label,
                metric: spec.name.clone(),
                undefined: column.len() - defined.len(),
                summary: summarize(&defined, bootstrap),
            });
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cases_pair_by_name_across_formats() {
        let refs = tempfile::tempdir().expect("temp dir");
        let preds = tempfile::tempdir().expect("temp dir");
        for name in ["a.nii.gz", "b.mha", "notes.txt"] {
            std::fs::write(refs.path().join(name), b"").expect("write");
        }
        for name in ["a.nii", "c.nrrd"] {
            std::fs::write(preds.path().join(name), b"").expect("write");
        }
        let list = find_cases(refs.path(), preds.path()).expect("listable");
        assert_eq!(list.cases.len(), 2);
        assert_eq!(list.cases[0].name, "a");
        assert!(list.cases[0].prediction.is_some());
        assert_eq!(list.cases[1].prediction, None);
        assert_eq!(list.unmatched_predictions.len(), 1);
    }

    #[test]
    fn summaries_skip_failed_cases_and_count_undefined_values() {
        let metrics = crate::metrics::parse_metrics("dice,hd").expect("valid");
        let ok = |dice: f64, hd: Option<f64>| CaseOutcome {
            name: "x".into(),
            present: None,
            result: Ok(vec![LabelResult {
                label: 1,
                reference_voxels: 1,
                prediction_voxels: 1,
                values: vec![Some(dice), hd],
            }]),
        };
        let outcomes = vec![
            ok(0.5, Some(2.0)),
            ok(1.0, None),
            CaseOutcome {
                name: "bad".into(),
                result: Err("broken".into()),
                present: None,
            },
        ];
        let rows = summarize_outcomes(
            &outcomes,
            &metrics,
            &Bootstrap {
                resamples: 10,
                ..Bootstrap::default()
            },
        );
        assert_eq!(rows.len(), 2);
        assert_eq!(
            rows[0].summary.as_ref().map(|s| (s.n, s.mean)),
            Some((2, 0.75))
        );
        assert_eq!(
            (rows[1].undefined, rows[1].summary.as_ref().map(|s| s.n)),
            (1, Some(1))
        );
    }

    #[test]
    fn a_label_of_any_case_is_scored_in_every_case() {
        // Case `x` holds label 1 in both files; case `y` is background in both files; case `z`
        // holds label 2 in its prediction only. Evaluated alone, `y` has no row at all and `x`
        // none for label 2. After completion each of the three has rows for labels 1 and 2,
        // the added ones with zero voxels and the "both empty" values: dice 1, hd 0.
        let metrics = crate::metrics::parse_metrics("dice,hd,precision").expect("valid");
        let row = |label: u32, reference_voxels: u64, prediction_voxels: u64, values| LabelResult {
            label,
            reference_voxels,
            prediction_voxels,
            values,
        };
        let mut outcomes = vec![
            CaseOutcome {
                name: "x".into(),
                present: None,
                result: Ok(vec![row(1, 8, 8, vec![Some(0.5), Some(1.0), Some(0.5)])]),
            },
            CaseOutcome {
                name: "y".into(),
                present: None,
                result: Ok(vec![]),
            },
            CaseOutcome {
                name: "z".into(),
                present: None,
                result: Ok(vec![row(2, 0, 3, vec![Some(0.0), None, Some(0.0)])]),
            },
            CaseOutcome {
                name: "failed".into(),
                present: None,
                result: Err("unreadable".into()),
            },
        ];
        complete_label_union(&mut outcomes, &metrics);
        assert_eq!(evaluated_labels(&outcomes), vec![1, 2]);
        let both_empty = |label| row(label, 0, 0, vec![Some(1.0), Some(0.0), None]);
        assert_eq!(
            outcomes[0].result.as_ref().expect("ok"),
            &vec![
                row(1, 8, 8, vec![Some(0.5), Some(1.0), Some(0.5)]),
                both_empty(2)
            ]
        );
        assert_eq!(
            outcomes[1].result.as_ref().expect("ok"),
            &vec![both_empty(1), both_empty(2)]
        );
        assert_eq!(
            outcomes[2].result.as_ref().expect("ok"),
            &vec![
                both_empty(1),
                row(2, 0, 3, vec![Some(0.0), None, Some(0.0)])
            ]
        );
        assert!(outcomes[3].result.is_err());
        // Label 1's Dice over the three evaluated cases: (0.5 + 1 + 1) / 3, n = 3.
        let rows = summarize_outcomes(
            &outcomes,
            &metrics,
            &Bootstrap {
                resamples: 10,
                ..Bootstrap::default()
            },
        );
        let dice1 = rows[0].summary.as_ref().expect("defined");
        assert_eq!((rows[0].label, dice1.n), (1, 3));
        assert!((dice1.mean - 2.5 / 3.0).abs() < 1e-15);
    }
}
