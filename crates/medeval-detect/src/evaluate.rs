//! The two jobs front ends ask for, from file paths to a report: detection mAP under a named
//! convention, and the LUNA16 FROC. Reading, evaluating and bootstrapping happen here so the
//! binary, and any later front end, only maps its options and prints the report.

use std::path::PathBuf;

use crate::bootstrap::{BootstrapSpec, Interval, intervals};
use crate::cocoeval::{CocoParams, ImageEvaluation};
use crate::error::{DetectError, Result};
use crate::froc::{Cpm, ScanSource, froc_curve, match_marks, read_luna16};
use crate::voc::{VINDR_IOU, VocEvaluation};
use crate::{Convention, Dataset, coco, csv_boxes};

/// Where the boxes come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DetectInput {
    /// A COCO ground-truth JSON and a COCO results JSON.
    Coco {
        /// The ground-truth file.
        ground_truth: PathBuf,
        /// The results file.
        results: PathBuf,
    },
    /// A ground-truth CSV and a detections CSV (`image, class, x1, y1, x2, y2[, score]`).
    Csv {
        /// The ground-truth file.
        ground_truth: PathBuf,
        /// The detections file.
        detections: PathBuf,
    },
}

/// What `medeval detect` evaluates and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DetectOptions {
    /// The files.
    pub input: DetectInput,
    /// Whose definition of mAP.
    pub convention: Convention,
    /// Resample images for intervals (`None`: no intervals).
    pub bootstrap: Option<BootstrapSpec>,
}

/// The numbers of one convention.
#[derive(Debug, Clone, PartialEq)]
pub enum Scores {
    /// pycocotools' 12 numbers and AP per category.
    Coco(crate::cocoeval::CocoSummary),
    /// VinDr's mAP@0.4 and AP per class.
    Vindr(crate::voc::VocSummary),
}

/// A detection evaluation with everything needed to word it.
#[derive(Debug, Clone)]
pub struct DetectReport {
    /// The options it ran with.
    pub options: DetectOptions,
    /// The boxes read (images, categories, counts, notes).
    pub dataset: Dataset,
    /// The numbers.
    pub scores: Scores,
    /// Intervals, named by what they cover (`AP@[.5:.95]` ...), when asked for.
    pub intervals: Vec<(&'static str, Option<Interval>)>,
}

fn read_dataset(input: &DetectInput) -> Result<Dataset> {
    match input {
        DetectInput::Coco {
            ground_truth,
            results,
        } => {
            let mut dataset = coco::read_ground_truth(ground_truth)?;
            coco::read_results(results, &mut dataset)?;
            Ok(dataset)
        }
        DetectInput::Csv {
            ground_truth,
            detections,
        } => csv_boxes::read_csv_dataset(ground_truth, detections),
    }
}

/// Reads the boxes, evaluates them under the convention and, when asked, bootstraps images.
pub fn evaluate_detection(options: DetectOptions) -> Result<DetectReport> {
    let dataset = read_dataset(&options.input)?;
    if dataset.images.is_empty() {
        return Err(DetectError::Unusable(
            "the ground truth lists no image; there is nothing to evaluate".to_owned(),
        ));
    }
    let (scores, intervals) = match options.convention {
        Convention::Pycocotools => {
            let evaluation = ImageEvaluation::new(&dataset, CocoParams::pycocotools());
            let summary = evaluation.summarize();
            let intervals = match options.bootstrap {
                Some(spec) if spec.resamples > 0 => {
                    let params = evaluation.params().clone();
                    let found = intervals(spec, evaluation.images(), "images", 2, |weights| {
                        let acc = evaluation.accumulate(&[0], &[2], Some(weights));
                        [None, Some(0.5)]
                            .map(|iou| {
                                let v = acc.stat(&params, true, iou, 0, 2);
                                (v >= 0.0).then_some(v)
                            })
                            .to_vec()
                    });
                    vec![
                        ("AP@[.50:.95]", found[0].clone()),
                        ("AP@.50", found[1].clone()),
                    ]
                }
                _ => Vec::new(),
            };
            (Scores::Coco(summary), intervals)
        }
        Convention::Vindr => {
            let evaluation = VocEvaluation::new(&dataset, VINDR_IOU);
            let summary = evaluation.summary(None);
            let intervals = match options.bootstrap {
                Some(spec) if spec.resamples > 0 => {
                    let found = intervals(spec, evaluation.images(), "images", 1, |weights| {
                        vec![evaluation.summary(Some(weights)).map]
                    });
                    vec![("mAP@0.4", found[0].clone())]
                }
                _ => Vec::new(),
            };
            (Scores::Vindr(summary), intervals)
        }
    };
    Ok(DetectReport {
        options,
        dataset,
        scores,
        intervals,
    })
}

/// What `medeval froc` evaluates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrocOptions {
    /// `annotations.csv`: nodules that count.
    pub annotations: PathBuf,
    /// `candidates.csv`: the CAD marks with probabilities.
    pub candidates: PathBuf,
    /// `annotations_excluded.csv`: nodules whose marks are ignored.
    pub excluded: Option<PathBuf>,
    /// The scan list (`seriesuids.csv`); without it, the scans named in the files.
    pub scans: Option<PathBuf>,
    /// Resample scans for intervals.
    pub bootstrap: Option<BootstrapSpec>,
}

/// A LUNA16 FROC evaluation with its counts.
#[derive(Debug, Clone)]
pub struct FrocReport {
    /// The options it ran with.
    pub options: FrocOptions,
    /// Sensitivities at the seven rates and CPM.
    pub cpm: Cpm,
    /// Scans in the false-positive denominator.
    pub scans: usize,
    /// Where the scan list came from.
    pub scan_source: ScanSource,
    /// Nodules that count.
    pub nodules: usize,
    /// Nodules hit by at least one kept mark.
    pub detected: usize,
    /// Marks read (for listed scans).
    pub marks: usize,
    /// Marks counted as false positives.
    pub false_positive_marks: usize,
    /// Marks dropped by the 100-per-scan cap.
    pub marks_over_cap: usize,
    /// Marks ignored on excluded nodules.
    pub marks_on_excluded: usize,
    /// Extra marks on an already hit nodule.
    pub duplicate_marks: usize,
    /// Rows whose scan is not in the scan list (left out).
    pub rows_outside_scan_list: usize,
    /// Intervals for CPM then each rate, when asked for.
    pub intervals: Vec<Option<Interval>>,
}

/// Reads the LUNA16 files, computes the FROC and CPM and, when asked, bootstraps scans.
pub fn evaluate_froc(options: FrocOptions) -> Result<FrocReport> {
    let input = read_luna16(
        &options.annotations,
        &options.candidates,
        options.excluded.as_deref(),
        options.scans.as_deref(),
    )?;
    let matched = match_marks(&input);
    let scans = input.scans.len();
    let curve = froc_curve(matched.entries.iter().flatten(), scans).ok_or_else(|| {
        DetectError::Unusable(format!(
            "{} holds no nodule on the evaluated scans; sensitivity is undefined",
            options.annotations.display()
        ))
    })?;
    let cpm = curve.cpm();
    let flat = || matched.entries.iter().flatten();
    let detected = flat().filter(|e| e.nodule && !e.missed).count();
    let false_positive_marks = flat().filter(|e| !e.nodule).count();
    let intervals = match options.bootstrap {
        Some(spec) if spec.resamples > 0 => intervals(spec, scans, "scans", 8, |weights| {
            let entries = matched
                .entries
                .iter()
                .zip(weights)
                .flat_map(|(entries, &w)| (0..w).flat_map(move |_| entries.iter()));
            match froc_curve(entries, scans) {
                Some(curve) => {
                    let cpm = curve.cpm();
                    std::iter::once(cpm.cpm)
                        .chain(cpm.sensitivities)
                        .map(Some)
                        .collect()
                }
                None => vec![None; 8],
            }
        }),
        _ => Vec::new(),
    };
    Ok(FrocReport {
        cpm,
        scans,
        scan_source: input.scan_source.clone(),
        nodules: input.nodules.len(),
        detected,
        marks: input.marks.len(),
        false_positive_marks,
        marks_over_cap: matched.marks_over_cap,
        marks_on_excluded: matched.marks_on_excluded,
        duplicate_marks: matched.duplicate_marks,
        rows_outside_scan_list: input.rows_outside_scan_list,
        intervals,
        options,
    })
}
