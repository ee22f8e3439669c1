//! `medeval recon`: reconstruction metrics (PSNR, SSIM, NMSE) for a pair of images or two
//! folders of them, under a named convention.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use medeval_dense::recon::folder::{self, FolderSummary};
use medeval_dense::recon::{Convention, ReconOptions, evaluate_pair, report};

/// Arguments of `medeval recon`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Conventions:\n  fastmri    per volume: PSNR and NMSE over the volume, SSIM averaged over slices; data range = reference maximum\n  cmrxrecon  per 2-D image: each image divided by its own maximum, data range 1; averaged over slices x frames\nSSIM is scikit-image's default (7x7 uniform window, K1 0.01, K2 0.03, sample covariance).\nDefinitions, slice axes and edge cases: docs/reconstruction-metrics.md"
)]
pub struct Args {
    /// Reference image: .nii[.gz], .mha, .mhd, .nrrd, .nhdr, .png, .tif or .npy.
    #[arg(long, requires = "prediction", conflicts_with_all = ["reference_dir", "prediction_dir"])]
    reference: Option<PathBuf>,
    /// Reconstructed image with the same planes.
    #[arg(long, requires = "reference")]
    prediction: Option<PathBuf>,
    /// Folder of reference images (folder mode; cases are paired by file name).
    #[arg(long, requires_all = ["prediction_dir", "out"])]
    reference_dir: Option<PathBuf>,
    /// Folder of reconstructed images.
    #[arg(long, requires = "reference_dir")]
    prediction_dir: Option<PathBuf>,
    /// Folder mode: per-case CSV file.
    #[arg(long)]
    out: Option<PathBuf>,
    /// The convention: fastmri or cmrxrecon.
    #[arg(long)]
    convention: Convention,
    /// Slice axis of 3-D images in the file's own axis order (default: 2, NIfTI's k, for
    /// volume formats; 0 for .npy in fastMRI's (slices, height, width) order).
    #[arg(long, value_name = "AXIS")]
    slice_axis: Option<usize>,
    /// Print JSON instead of text (one object: the pair's metrics, or the folder's summary).
    #[arg(long)]
    json: bool,
}

/// Runs `medeval recon`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let options = ReconOptions {
        convention: args.convention,
        slice_axis: args.slice_axis,
    };
    match (
        &args.reference,
        &args.prediction,
        &args.reference_dir,
        &args.prediction_dir,
    ) {
        (Some(reference), Some(prediction), None, None) => {
            let result = evaluate_pair(reference, prediction, &options)?;
            let mut out = std::io::stdout().lock();
            if args.json {
                writeln!(out, "{}", report::pair_json(reference, prediction, &result))?;
            } else {
                report::write_pair_text(&mut out, reference, prediction, &result)?;
            }
            out.flush()?;
            Ok(ExitCode::SUCCESS)
        }
        (None, None, Some(reference_dir), Some(prediction_dir)) => {
            run_folder(&args, reference_dir, prediction_dir, &options)
        }
        _ => bail!(
            "give either --reference and --prediction, or --reference-dir, --prediction-dir and --out"
        ),
    }
}

/// Folder mode: every case scored under a progress bar, rows written to `--out`, the summary
/// printed; failed cases are reported and make the exit status 1.
fn run_folder(
    args: &Args,
    reference_dir: &Path,
    prediction_dir: &Path,
    options: &ReconOptions,
) -> anyhow::Result<ExitCode> {
    let out_path = args.out.as_ref().context("folder mode needs --out")?;
    if out_path.extension().and_then(|e| e.to_str()) != Some("csv") {
        bail!("{}: --out must end in .csv", out_path.display());
    }
    let list = folder::find_cases(reference_dir, prediction_dir)?;
    for path in &list.unmatched_predictions {
        eprintln!(
            "warning: {} has no reference of the same name; not evaluated",
            path.display()
        );
    }
    let bar =
        ProgressBar::with_draw_target(Some(list.cases.len() as u64), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} cases  {elapsed_precise} (eta {eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let outcomes = folder::evaluate_cases(&list.cases, options, &|outcome| {
        if let Err(error) = &outcome.result {
            bar.suspend(|| eprintln!("error: case {}: {error}", outcome.name));
        }
        bar.inc(1);
    });
    bar.finish_and_clear();

    let file =
        File::create(out_path).with_context(|| format!("cannot create {}", out_path.display()))?;
    let mut writer = BufWriter::new(file);
    folder::write_csv(&mut writer, &outcomes, options.convention)
        .and_then(|()| writer.flush())
        .with_context(|| format!("cannot write {}", out_path.display()))?;

    let summary = FolderSummary::new(
        &outcomes,
        options.convention,
        list.unmatched_predictions.len(),
    );
    let mut out = std::io::stdout().lock();
    if args.json {
        writeln!(out, "{}", report::summary_json(&summary))?;
    } else {
        report::write_summary_table(&mut out, &summary)?;
        writeln!(out, "per-case rows: {}", out_path.display())?;
    }
    out.flush()?;
    let failed = summary.failed.len();
    if failed > 0 {
        eprintln!(
            "error: {failed} of {} cases failed; the summary covers only the others",
            summary.cases
        );
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}
