//! The LUNA16 FROC and its CPM score, as the challenge's evaluation script
//! (`noduleCADEvaluationLUNA16.py`) computes them.
//!
//! * A mark (candidate) hits a nodule when its centre lies strictly inside the nodule's sphere:
//!   squared distance < (diameter / 2)²; a diameter below 0 counts as 10 mm.
//! * Marks on nodules of the excluded list (`annotations_excluded.csv`) are ignored: neither
//!   hits nor false positives.
//! * Several marks on one nodule: the highest probability is the nodule's, the others are
//!   ignored. A mark inside two nodules counts for both.
//! * A missed nodule stays in the sensitivity's denominator (the script enters it with
//!   probability -1e9 and drops it from the ROC).
//! * At most 100 marks per scan: when a scan has more, the script keeps the marks whose
//!   probability is strictly above the 101st highest, so ties at that probability can leave
//!   fewer than 100 (all of them dropped together).
//! * The curve is sklearn's ROC of the kept entries (with its dropping of collinear points),
//!   false positives per scan = FPR · (false-positive marks) / scans, sensitivity = TPR ·
//!   detected / nodules. The script interpolates it with numpy's `interp`; the sensitivity at
//!   each rate of 1/8, 1/4, 1/2, 1, 2, 4 and 8 false positives per scan is `interp` at exactly
//!   that rate, and CPM is their mean.
//!
//! The script reads the scans from a list file; a scan without nodules and without marks still
//! counts in the false positives per scan, so the scan list decides the rate. Without a list,
//! the scans are the union of those in the annotation and candidate files, and the result says
//! so.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::csv_boxes::{Table, cell, read_table};
use crate::error::{DetectError, Result};
use crate::numeric::{interp, numpy_mean};

/// The false-positive rates (per scan) whose sensitivities make up CPM.
pub const FP_RATES: [f64; 7] = [0.125, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0];

/// The most marks per scan the LUNA16 script evaluates.
pub const MAX_MARKS_PER_SCAN: usize = 100;

/// The probability the script gives a missed nodule, for the record.
const MISSED: f64 = -1_000_000_000.0;

/// A nodule: centre in world millimetres and diameter.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Nodule {
    /// Index into [`FrocInput::scans`].
    pub scan: usize,
    /// Centre, x y z in mm.
    pub centre: [f64; 3],
    /// Diameter in mm (below 0: treated as 10 mm).
    pub diameter: f64,
}

/// A CAD mark (candidate).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Mark {
    /// Index into [`FrocInput::scans`].
    pub scan: usize,
    /// Position, x y z in mm.
    pub centre: [f64; 3],
    /// The model's probability.
    pub probability: f64,
}

/// Where the list of scans came from: it sets the denominator of false positives per scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScanSource {
    /// A scan list file, as the LUNA16 script takes (`seriesuids.csv`).
    List(PathBuf),
    /// The union of the scans named in the annotation and candidate files: a scan with neither
    /// nodules nor marks is not counted.
    Union,
}

/// The files of a LUNA16 evaluation, read.
#[derive(Debug, Clone)]
pub struct FrocInput {
    /// Scan ids, in evaluation order.
    pub scans: Vec<String>,
    /// Where the scan list came from.
    pub scan_source: ScanSource,
    /// Nodules that count.
    pub nodules: Vec<Nodule>,
    /// Nodules whose marks are ignored.
    pub excluded: Vec<Nodule>,
    /// Marks, in file order.
    pub marks: Vec<Mark>,
    /// Rows left out because their scan is not in the scan list (as the script leaves them out).
    pub rows_outside_scan_list: usize,
}

const NODULE_COLUMNS: [&str; 5] = ["seriesuid", "coordX", "coordY", "coordZ", "diameter_mm"];
const MARK_COLUMNS: [&str; 5] = ["seriesuid", "coordX", "coordY", "coordZ", "probability"];

fn parse_number(path: &Path, row: u64, field: &str, text: &str) -> Result<f64> {
    match text.parse::<f64>() {
        Ok(value) if value.is_finite() => Ok(value),
        _ => Err(DetectError::Field {
            path: path.to_owned(),
            place: format!("row {row}"),
            field: field.to_owned(),
            problem: format!("is {text:?}, not a finite number"),
        }),
    }
}

/// Rows of one file as (scan id, x, y, z, last column), with their row numbers.
fn read_rows(path: &Path, columns: &[&str; 5]) -> Result<Vec<(u64, String, [f64; 4])>> {
    let table: Table = read_table(path, columns)?;
    let mut rows = Vec::with_capacity(table.rows.len());
    for (row, record) in &table.rows {
        let scan = cell(&table, record, 0);
        if scan.is_empty() {
            return Err(DetectError::Field {
                path: path.to_owned(),
                place: format!("row {row}"),
                field: "seriesuid".to_owned(),
                problem: "is empty; every row names its scan".to_owned(),
            });
        }
        let mut values = [0.0; 4];
        for (i, value) in values.iter_mut().enumerate() {
            *value = parse_number(path, *row, columns[i + 1], cell(&table, record, i + 1))?;
        }
        rows.push((*row, scan.to_owned(), values));
    }
    Ok(rows)
}

/// Reads a scan list: one scan id per line in the first column, no header (as LUNA16's
/// `seriesuids.csv`); a first line reading `seriesuid` is taken as a header and skipped.
fn read_scan_list(path: &Path) -> Result<Vec<String>> {
    let text = std::fs::read_to_string(path).map_err(|source| DetectError::Read {
        path: path.to_owned(),
        source,
    })?;
    let mut scans = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let id = line
            .split(',')
            .next()
            .unwrap_or("")
            .trim()
            .trim_start_matches('\u{feff}');
        if id.is_empty() || (i == 0 && id == "seriesuid") {
            continue;
        }
        if !scans.iter().any(|s: &String| s == id) {
            scans.push(id.to_owned());
        }
    }
    if scans.is_empty() {
        return Err(DetectError::Unusable(format!(
            "{}: the scan list is empty; it lists one scan id (seriesuid) per line",
            path.display()
        )));
    }
    Ok(scans)
}

/// Reads a LUNA16 evaluation: the nodule annotations, the candidates, optionally the excluded
/// annotations and the scan list.
pub fn read_luna16(
    annotations: &Path,
    candidates: &Path,
    excluded: Option<&Path>,
    scans: Option<&Path>,
) -> Result<FrocInput> {
    let nodule_rows = read_rows(annotations, &NODULE_COLUMNS)?;
    let excluded_rows = match excluded {
        Some(path) => read_rows(path, &NODULE_COLUMNS)?,
        None => Vec::new(),
    };
    let mark_rows = read_rows(candidates, &MARK_COLUMNS)?;
    let (scan_ids, scan_source) = match scans {
        Some(path) => (read_scan_list(path)?, ScanSource::List(path.to_owned())),
        None => {
            let mut ids: Vec<String> = nodule_rows
                .iter()
                .chain(&mark_rows)
                .map(|r| r.1.clone())
                .collect();
            ids.sort();
            ids.dedup();
            (ids, ScanSource::Union)
        }
    };
    let index: HashMap<&str, usize> = scan_ids
        .iter()
        .enumerate()
        .map(|(i, s)| (s.as_str(), i))
        .collect();
    let mut outside = 0_usize;
    let mut nodules_of = |rows: &[(u64, String, [f64; 4])]| -> Vec<Nodule> {
        rows.iter()
            .filter_map(|(_, scan, v)| match index.get(scan.as_str()) {
                Some(&scan) => Some(Nodule {
                    scan,
                    centre: [v[0], v[1], v[2]],
                    diameter: v[3],
                }),
                None => {
                    outside += 1;
                    None
                }
            })
            .collect()
    };
    let nodules = nodules_of(&nodule_rows);
    let excluded = nodules_of(&excluded_rows);
    let marks = mark_rows
        .iter()
        .filter_map(|(_, scan, v)| match index.get(scan.as_str()) {
            Some(&scan) => Some(Mark {
                scan,
                centre: [v[0], v[1], v[2]],
                probability: v[3],
            }),
            None => {
                outside += 1;
                None
            }
        })
        .collect();
    Ok(FrocInput {
        scans: scan_ids,
        scan_source,
        nodules,
        excluded,
        marks,
        rows_outside_scan_list: outside,
    })
}

/// One entry of the script's FROC lists: a nodule (hit or missed) or a false-positive mark.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Entry {
    /// A nodule (true) or a false-positive mark (false).
    pub nodule: bool,
    /// The highest probability of the marks on the nodule, or the mark's probability.
    pub probability: f64,
    /// A missed nodule: in the denominator, not in the ROC.
    pub missed: bool,
}

/// The matching of marks to nodules, per scan, with the counts the script reports.
#[derive(Debug, Clone)]
pub struct Matched {
    /// Entries per scan (index as [`FrocInput::scans`]).
    pub entries: Vec<Vec<Entry>>,
    /// Marks dropped by the 100-marks-per-scan cap.
    pub marks_over_cap: usize,
    /// Marks ignored because they lie on an excluded nodule only.
    pub marks_on_excluded: usize,
    /// Extra marks on an already hit nodule (ignored).
    pub duplicate_marks: usize,
}

fn hits(nodule: &Nodule, mark: &Mark) -> bool {
    let mut diameter = nodule.diameter;
    if diameter < 0.0 {
        diameter = 10.0;
    }
    let radius = diameter / 2.0;
    let d: Vec<f64> = (0..3).map(|i| nodule.centre[i] - mark.centre[i]).collect();
    d[0] * d[0] + d[1] * d[1] + d[2] * d[2] < radius * radius
}

/// The script's cap: with more than 100 marks, keep those strictly above the 101st highest
/// probability (in file order, at most 100).
fn capped(marks: Vec<&Mark>) -> Vec<&Mark> {
    if marks.len() <= MAX_MARKS_PER_SCAN {
        return marks;
    }
    let mut probabilities: Vec<f64> = marks.iter().map(|m| m.probability).collect();
    probabilities.sort_by(|a, b| b.partial_cmp(a).unwrap_or(std::cmp::Ordering::Equal));
    let threshold = probabilities[MAX_MARKS_PER_SCAN];
    marks
        .into_iter()
        .filter(|m| m.probability > threshold)
        .take(MAX_MARKS_PER_SCAN)
        .collect()
}

/// Matches every scan's marks to its nodules as the script does.
pub fn match_marks(input: &FrocInput) -> Matched {
    let n = input.scans.len();
    let mut marks_by_scan: Vec<Vec<&Mark>> = vec![Vec::new(); n];
    for mark in &input.marks {
        marks_by_scan[mark.scan].push(mark);
    }
    let mut nodules_by_scan: Vec<Vec<&Nodule>> = vec![Vec::new(); n];
    for nodule in &input.nodules {
        nodules_by_scan[nodule.scan].push(nodule);
    }
    let mut excluded_by_scan: Vec<Vec<&Nodule>> = vec![Vec::new(); n];
    for nodule in &input.excluded {
        excluded_by_scan[nodule.scan].push(nodule);
    }
    let mut matched = Matched {
        entries: Vec::with_capacity(n),
        marks_over_cap: 0,
        marks_on_excluded: 0,
        duplicate_marks: 0,
    };
    for scan in 0..n {
        let all = std::mem::take(&mut marks_by_scan[scan]);
        let before = all.len();
        let marks = capped(all);
        matched.marks_over_cap += before - marks.len();
        let mut free = vec![true; marks.len()];
        let mut entries = Vec::new();
        for nodule in &nodules_by_scan[scan] {
            let mut best: Option<f64> = None;
            let mut count = 0;
            for (i, mark) in marks.iter().enumerate() {
                if hits(nodule, mark) {
                    count += 1;
                    free[i] = false;
                    if best.is_none_or(|b| mark.probability > b) {
                        best = Some(mark.probability);
                    }
                }
            }
            matched.duplicate_marks += count.max(1) - 1;
            entries.push(match best {
                Some(probability) => Entry {
                    nodule: true,
                    probability,
                    missed: false,
                },
                None => Entry {
                    nodule: true,
                    probability: MISSED,
                    missed: true,
                },
            });
        }
        for nodule in &excluded_by_scan[scan] {
            for (i, mark) in marks.iter().enumerate() {
                if free[i] && hits(nodule, mark) {
                    free[i] = false;
                    matched.marks_on_excluded += 1;
                }
            }
        }
        for (i, mark) in marks.iter().enumerate() {
            if free[i] {
                entries.push(Entry {
                    nodule: false,
                    probability: mark.probability,
                    missed: false,
                });
            }
        }
        matched.entries.push(entries);
    }
    matched
}

/// The FROC curve: false positives per scan and sensitivity at each of sklearn's ROC points.
#[derive(Debug, Clone, PartialEq)]
pub struct Curve {
    /// False positives per scan, non-decreasing.
    pub fps: Vec<f64>,
    /// Sensitivity at each point.
    pub sensitivity: Vec<f64>,
}

/// sklearn's `roc_curve` (with `drop_intermediate`) as counts: false and true positives at
/// each distinct probability, highest first, with the (0, 0) point in front.
fn roc_counts(mut kept: Vec<(f64, bool)>) -> (Vec<f64>, Vec<f64>) {
    kept.sort_by(|a, b| b.0.partial_cmp(&a.0).unwrap_or(std::cmp::Ordering::Equal));
    let (mut fps, mut tps) = (Vec::new(), Vec::new());
    let (mut fp, mut tp) = (0.0_f64, 0.0_f64);
    for (i, (probability, positive)) in kept.iter().enumerate() {
        if *positive {
            tp += 1.0;
        } else {
            fp += 1.0;
        }
        if i + 1 == kept.len() || kept[i + 1].0 != *probability {
            fps.push(fp);
            tps.push(tp);
        }
    }
    if fps.len() > 2 {
        let last = fps.len() - 1;
        let keep: Vec<usize> = (0..fps.len())
            .filter(|&i| {
                i == 0
                    || i == last
                    || (fps[i + 1] - fps[i]) - (fps[i] - fps[i - 1]) != 0.0
                    || (tps[i + 1] - tps[i]) - (tps[i] - tps[i - 1]) != 0.0
            })
            .collect();
        fps = keep.iter().map(|&i| fps[i]).collect();
        tps = keep.iter().map(|&i| tps[i]).collect();
    }
    fps.insert(0, 0.0);
    tps.insert(0, 0.0);
    (fps, tps)
}

/// The script's `computeFROC` over entries (of any multiset of scans) and a scan count.
/// Returns `None` when there is no nodule (sensitivity undefined). With no nodule detected the
/// sensitivity is 0 everywhere (the script divides by zero there and gets NaN).
pub fn froc_curve<'a>(entries: impl Iterator<Item = &'a Entry>, scans: usize) -> Option<Curve> {
    let mut nodules = 0_u64;
    let mut kept = Vec::new();
    for entry in entries {
        if entry.nodule {
            nodules += 1;
        }
        if !entry.missed {
            kept.push((entry.probability, entry.nodule));
        }
    }
    if nodules == 0 {
        return None;
    }
    let detected = kept.iter().filter(|k| k.1).count() as f64;
    let false_marks = kept.len() as f64 - detected;
    if detected == 0.0 {
        return Some(Curve {
            fps: vec![0.0],
            sensitivity: vec![0.0],
        });
    }
    let (fp_counts, tp_counts) = roc_counts(kept);
    let fp_total = *fp_counts.last().unwrap_or(&0.0);
    let tp_total = *tp_counts.last().unwrap_or(&0.0);
    let fps = if fp_total == 0.0 {
        // The script's border case: no false positive at all gives a curve at 0 FP per scan.
        vec![0.0; fp_counts.len()]
    } else {
        fp_counts
            .iter()
            .map(|f| (f / fp_total) * false_marks / scans as f64)
            .collect()
    };
    let sensitivity = tp_counts
        .iter()
        .map(|t| ((t / tp_total) * detected) / nodules as f64)
        .collect();
    Some(Curve { fps, sensitivity })
}

/// Sensitivity at each of [`FP_RATES`] and their mean, CPM.
#[derive(Debug, Clone, PartialEq)]
pub struct Cpm {
    /// Sensitivity at 1/8, 1/4, 1/2, 1, 2, 4, 8 false positives per scan.
    pub sensitivities: [f64; 7],
    /// The mean of the seven (the Competition Performance Metric).
    pub cpm: f64,
}

impl Curve {
    /// The sensitivities at [`FP_RATES`] (numpy's `interp` on the curve) and CPM.
    pub fn cpm(&self) -> Cpm {
        let sensitivities = FP_RATES.map(|rate| interp(rate, &self.fps, &self.sensitivity));
        Cpm {
            sensitivities,
            cpm: numpy_mean(&sensitivities),
        }
    }
}
