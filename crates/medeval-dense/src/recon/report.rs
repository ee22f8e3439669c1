//! Reconstruction results worded for a reader: a pair's text and JSON, a folder's summary
//! table and JSON. Every output names the convention, the data range and the axes it used, so
//! a number is never read without what it was computed over.

use std::io::Write;
use std::path::Path;

use serde_json::{Value, json};

use super::folder::FolderSummary;
use super::ssim::{K1, K2, WINDOW};
use super::{Convention, ReconResult};

/// What the convention computes, in one line.
pub fn convention_words(convention: Convention) -> &'static str {
    match convention {
        Convention::Fastmri => {
            "per volume: PSNR and NMSE over the whole volume, SSIM averaged over slices; data range = reference maximum"
        }
        Convention::Cmrxrecon => {
            "per 2-D image: each image divided by its own maximum, data range 1, metrics averaged over slices x frames"
        }
    }
}

/// The axes worded: "slice axis 2 (voxel axes i, j, k), 40 planes of 320x320".
fn axes_words(result: &ReconResult) -> String {
    let layout = &result.layout;
    let slice = match layout.slice_axis {
        Some(axis) => format!("slice axis {axis}"),
        None => "2-D image".to_string(),
    };
    let frame = layout
        .frame_axis
        .map(|a| format!(", frame axis {a}"))
        .unwrap_or_default();
    format!(
        "{slice}{frame} ({} axes, shape {:?}), {} plane(s) over axes {:?}",
        result.axis_order, result.shape, result.planes, layout.plane_axes
    )
}

/// Notes a reader needs to read the numbers right (infinite PSNR).
pub fn notes(result: &ReconResult) -> Vec<String> {
    let mut notes = Vec::new();
    if result.psnr.is_none() {
        notes.push(match result.convention {
            Convention::Fastmri => {
                "PSNR is infinite (written null in JSON): the images are identical (MSE 0)"
                    .to_string()
            }
            Convention::Cmrxrecon => format!(
                "PSNR is infinite (written null in JSON): {} of {} planes are identical after normalisation (MSE 0), so the mean over planes is infinite",
                result.identical_planes, result.planes
            ),
        });
    }
    notes
}

/// The `--json` object of one pair.
pub fn pair_json(reference: &Path, prediction: &Path, result: &ReconResult) -> Value {
    json!({
        "reference": reference.display().to_string(),
        "prediction": prediction.display().to_string(),
        "convention": result.convention.as_str(),
        "psnr": result.psnr,
        "ssim": result.ssim,
        "nmse": result.nmse,
        "mse": result.mse,
        "data_range": result.data_range,
        "slice_axis": result.layout.slice_axis,
        "frame_axis": result.layout.frame_axis,
        "plane_axes": result.layout.plane_axes,
        "axis_order": result.axis_order,
        "shape": result.shape,
        "planes": result.planes,
        "identical_planes": result.identical_planes,
        "ssim_window": WINDOW,
        "k1": K1,
        "k2": K2,
        "notes": notes(result),
    })
}

/// The text report of one pair.
pub fn write_pair_text(
    out: &mut impl Write,
    reference: &Path,
    prediction: &Path,
    result: &ReconResult,
) -> std::io::Result<()> {
    writeln!(out, "reference   {}", reference.display())?;
    writeln!(out, "prediction  {}", prediction.display())?;
    writeln!(
        out,
        "convention  {} ({})",
        result.convention,
        convention_words(result.convention)
    )?;
    writeln!(out, "axes        {}", axes_words(result))?;
    writeln!(out, "data range  {}", result.data_range)?;
    let psnr = result
        .psnr
        .map_or_else(|| "inf".to_string(), |v| format!("{v:.4} dB"));
    writeln!(out, "PSNR        {psnr}")?;
    writeln!(out, "SSIM        {:.6}", result.ssim)?;
    writeln!(out, "NMSE        {:.6e}", result.nmse)?;
    writeln!(out, "MSE         {:.6e}", result.mse)?;
    for note in notes(result) {
        writeln!(out, "note: {note}")?;
    }
    Ok(())
}

/// The folder summary as JSON.
pub fn summary_json(summary: &FolderSummary) -> Value {
    let metrics: serde_json::Map<String, Value> = summary
        .metrics
        .iter()
        .map(|m| {
            (
                m.metric.to_string(),
                json!({
                    "n": m.n,
                    "mean": m.mean,
                    "std": m.std,
                    "two_std": m.two_std(),
                    "undefined": m.undefined,
                }),
            )
        })
        .collect();
    json!({
        "convention": summary.convention.as_str(),
        "cases": summary.cases,
        "evaluated": summary.evaluated,
        "failed": summary.failed.len(),
        "unmatched_predictions": summary.unmatched_predictions,
        "std": "sample standard deviation (n - 1) over cases; two_std is the ± fastMRI prints",
        "metrics": metrics,
    })
}

/// The folder summary as a table: metric, n, mean ± 2·stddev.
pub fn write_summary_table(out: &mut impl Write, summary: &FolderSummary) -> std::io::Result<()> {
    writeln!(
        out,
        "convention {} ({}); {} of {} cases scored",
        summary.convention,
        convention_words(summary.convention),
        summary.evaluated,
        summary.cases
    )?;
    writeln!(
        out,
        "{:<6} {:>5}  {:>14}  {:>12}",
        "metric", "n", "mean", "± 2·stddev"
    )?;
    for m in &summary.metrics {
        let mean = m.mean.map_or_else(|| "-".into(), |v| format!("{v:.6}"));
        let spread = m
            .two_std()
            .map_or_else(|| "-".into(), |v| format!("{v:.6}"));
        writeln!(out, "{:<6} {:>5}  {mean:>14}  {spread:>12}", m.metric, m.n)?;
        if m.undefined > 0 {
            writeln!(
                out,
                "note: {} case(s) have an infinite {} (identical images) and are left out of its mean",
                m.undefined, m.metric
            )?;
        }
    }
    writeln!(
        out,
        "± is twice the sample standard deviation (n − 1) over cases, as fastMRI reports"
    )
}
