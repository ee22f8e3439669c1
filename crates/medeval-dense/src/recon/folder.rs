//! Folder mode for reconstruction metrics: cases paired by file name (the same rule as
//! segmentation, with `.npy` added), scored in parallel, one row per case, and each metric
//! summarised as fastMRI reports it: the mean over cases and ± 2·stddev, with the sample
//! standard deviation (n − 1, the default of the `runstats` package fastMRI uses).
//!
//! A failed case (unreadable file, missing prediction, shape mismatch, a non-positive data
//! range) keeps its error in its row and is left out of the summary; callers must surface the
//! count, as for segmentation.

use std::io::Write;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::{Convention, ReconOptions, ReconResult, evaluate_pair};
use crate::folder::{Case, CaseList, FolderError, find_cases_by};
use crate::io::intensity_case_name;

/// The extensions folder mode looks for, as its error for an empty folder words them.
pub const EXTENSIONS: &str = ".nii, .nii.gz, .mha, .mhd, .nrrd, .png, .tif, .npy";

/// Pairs the images of two folders by case name.
pub fn find_cases(reference_dir: &Path, prediction_dir: &Path) -> Result<CaseList, FolderError> {
    find_cases_by(
        reference_dir,
        prediction_dir,
        intensity_case_name,
        EXTENSIONS,
    )
}

/// The result of one case.
#[derive(Debug)]
pub struct CaseOutcome {
    /// The case name.
    pub name: String,
    /// The reference file.
    pub reference: PathBuf,
    /// The prediction file, if one was found.
    pub prediction: Option<PathBuf>,
    /// The metrics, or the error that stopped them (its message).
    pub result: Result<ReconResult, String>,
}

/// Scores every case in parallel, calling `progress` as each finishes; outcomes are in case
/// order whatever order they finished in.
pub fn evaluate_cases(
    cases: &[Case],
    options: &ReconOptions,
    progress: &(dyn Fn(&CaseOutcome) + Sync),
) -> Vec<CaseOutcome> {
    cases
        .par_iter()
        .map(|case| {
            let result = match &case.prediction {
                Some(prediction) => {
                    evaluate_pair(&case.reference, prediction, options).map_err(|e| e.to_string())
                }
                None => Err(format!(
                    "no prediction named '{}' (the reference is {})",
                    case.name,
                    case.reference.display()
                )),
            };
            let outcome = CaseOutcome {
                name: case.name.clone(),
                reference: case.reference.clone(),
                prediction: case.prediction.clone(),
                result,
            };
            progress(&outcome);
            outcome
        })
        .collect()
}

/// The per-case CSV columns.
pub const CSV_COLUMNS: [&str; 13] = [
    "case",
    "reference",
    "prediction",
    "convention",
    "psnr",
    "ssim",
    "nmse",
    "mse",
    "data_range",
    "planes",
    "slice_axis",
    "identical_planes",
    "error",
];

/// Writes one CSV row per case (empty cells for values a failed case lacks; an empty `psnr`
/// in a scored case means infinite, identical images).
pub fn write_csv(
    writer: impl Write,
    outcomes: &[CaseOutcome],
    convention: Convention,
) -> std::io::Result<()> {
    let mut csv = csv::Writer::from_writer(writer);
    csv.write_record(CSV_COLUMNS)?;
    let number = |v: f64| format!("{v}");
    for outcome in outcomes {
        let prediction = outcome
            .prediction
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        let mut row = vec![
            outcome.name.clone(),
            outcome.reference.display().to_string(),
            prediction,
            convention.to_string(),
        ];
        match &outcome.result {
            Ok(r) => row.extend([
                r.psnr.map(number).unwrap_or_default(),
                number(r.ssim),
                number(r.nmse),
                number(r.mse),
                number(r.data_range),
                r.planes.to_string(),
                r.layout
                    .slice_axis
                    .map(|a| a.to_string())
                    .unwrap_or_default(),
                r.identical_planes.to_string(),
                String::new(),
            ]),
            Err(error) => {
                row.extend(std::iter::repeat_n(String::new(), 8));
                row.push(error.clone());
            }
        }
        csv.write_record(&row)?;
    }
    csv.flush()
}

/// One metric summarised over the scored cases.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricSummary {
    /// `psnr`, `ssim`, `nmse` or `mse`.
    pub metric: &'static str,
    /// Cases with a finite value.
    pub n: usize,
    /// Their mean (`None` without any).
    pub mean: Option<f64>,
    /// Their sample standard deviation (n − 1; `None` with fewer than two).
    pub std: Option<f64>,
    /// Scored cases without a finite value (PSNR of identical images).
    pub undefined: usize,
}

impl MetricSummary {
    /// Twice the standard deviation, the half-width fastMRI prints after ±.
    pub fn two_std(&self) -> Option<f64> {
        self.std.map(|s| 2.0 * s)
    }
}

/// A folder's summary: each metric over the cases that were scored.
#[derive(Debug, Clone, PartialEq)]
pub struct FolderSummary {
    /// The convention.
    pub convention: Convention,
    /// Cases found (references).
    pub cases: usize,
    /// Cases scored.
    pub evaluated: usize,
    /// Failed cases: name and error.
    pub failed: Vec<(String, String)>,
    /// Predictions without a reference of the same name.
    pub unmatched_predictions: usize,
    /// One entry per metric: psnr, ssim, nmse, mse.
    pub metrics: Vec<MetricSummary>,
}

impl FolderSummary {
    /// Summarises `outcomes`.
    pub fn new(
        outcomes: &[CaseOutcome],
        convention: Convention,
        unmatched_predictions: usize,
    ) -> Self {
        let scored: Vec<&ReconResult> = outcomes
            .iter()
            .filter_map(|o| o.result.as_ref().ok())
            .collect();
        let failed = outcomes
            .iter()
            .filter_map(|o| o.result.as_ref().err().map(|e| (o.name.clone(), e.clone())))
            .collect();
        let metric = |name: &'static str, value: fn(&ReconResult) -> Option<f64>| {
            let values: Vec<f64> = scored.iter().filter_map(|r| value(r)).collect();
            summarize(name, &values, scored.len() - values.len())
        };
        FolderSummary {
            convention,
            cases: outcomes.len(),
            evaluated: scored.len(),
            failed,
            unmatched_predictions,
            metrics: vec![
                metric("psnr", |r| r.psnr),
                metric("ssim", |r| Some(r.ssim)),
                metric("nmse", |r| Some(r.nmse)),
                metric("mse", |r| Some(r.mse)),
            ],
        }
    }
}

/// Mean and sample standard deviation of `values`.
pub fn summarize(metric: &'static str, values: &[f64], undefined: usize) -> MetricSummary {
    let n = values.len();
    let mean = (n > 0).then(|| values.iter().sum::<f64>() / n as f64);
    let std = mean.filter(|_| n > 1).map(|m| {
        let ss: f64 = values.iter().map(|v| (v - m) * (v - m)).sum();
        (ss / (n - 1) as f64).sqrt()
    });
    MetricSummary {
        metric,
        n,
        mean,
        std,
        undefined,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_spread_is_the_sample_standard_deviation() {
        // Values 1, 2, 3, 4: mean 2.5, squared deviations sum to 5, so s = sqrt(5/3).
        let s = summarize("ssim", &[1.0, 2.0, 3.0, 4.0], 0);
        assert_eq!(s.mean, Some(2.5));
        let expected = (5.0f64 / 3.0).sqrt();
        assert!((s.std.expect("n > 1") - expected).abs() < 1e-15);
        assert!((s.two_std().expect("n > 1") - 2.0 * expected).abs() < 1e-15);
    }

    #[test]
    fn one_case_has_no_spread() {
        let s = summarize("psnr", &[30.0], 1);
        assert_eq!((s.n, s.mean, s.std, s.undefined), (1, Some(30.0), None, 1));
    }
}
