//! `medeval seg`: segmentation metrics for one pair of label maps or two folders of them.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use medeval_dense::encoding::{Binarize, EncodingWarning, check_encoding};
use medeval_dense::folder::{self, RowFormat};
use medeval_dense::metrics::{DEFAULT_METRICS, EvalOptions, KNOWN_METRICS, parse_metrics};
use medeval_dense::pair::{GeometryPolicy, evaluate_pair_checked};
use medeval_dense::report::{self, FolderSummary};
use medeval_dense::stats::Bootstrap;
use medeval_dense::surface::Convention;

/// Arguments of `medeval seg`.
#[derive(Debug, clap::Args)]
#[command(after_help = format!(
    "Metrics: {KNOWN_METRICS}.\nDistances are in mm. Definitions, conventions and the empty-mask table: docs/segmentation-metrics.md"
))]
pub struct Args {
    /// Reference (ground-truth) label map: .nii[.gz], .mha, .mhd, .nrrd, .nhdr, .png, .tif.
    #[arg(long, requires = "prediction", conflicts_with_all = ["reference_dir", "prediction_dir"])]
    reference: Option<PathBuf>,
    /// Predicted label map on the same grid.
    #[arg(long, requires = "reference")]
    prediction: Option<PathBuf>,
    /// Folder of reference label maps (folder mode; cases are paired by file name).
    #[arg(long, requires_all = ["prediction_dir", "out"])]
    reference_dir: Option<PathBuf>,
    /// Folder of predicted label maps.
    #[arg(long, requires = "reference_dir")]
    prediction_dir: Option<PathBuf>,
    /// Folder mode: per-case output file; .csv, or .jsonl/.json for one JSON object per line.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Folder mode: also write the per-label summary as JSON to this file.
    #[arg(long)]
    summary: Option<PathBuf>,
    /// Comma-separated metrics; each becomes one output key, spelled as given.
    #[arg(long, default_value = DEFAULT_METRICS)]
    metrics: String,
    /// Comma-separated labels to report (default: every non-zero label in either file).
    #[arg(long, value_delimiter = ',')]
    labels: Option<Vec<u32>>,
    /// Surface convention for distance metrics: voxel (MONAI, MetricsReloaded, medpy) or
    /// surfel (DeepMind surface-distance).
    #[arg(long, default_value = "voxel")]
    convention: Convention,
    /// Print one JSON object per label (one per line) instead of a table.
    #[arg(long)]
    json: bool,
    /// Accept different axis directions or origins (shape and spacing must still agree).
    #[arg(long)]
    ignore_orientation: bool,
    /// Resample the prediction onto the reference grid (nearest neighbour) when grids differ.
    #[arg(long)]
    resample: bool,
    /// Override the voxel spacing of both files, in mm: x,y or x,y,z (PNG and TIFF carry none).
    #[arg(long, value_delimiter = ',')]
    spacing: Option<Vec<f64>>,
    /// Score binary masks stored with different foreground values (0/1 against 0/255): every
    /// non-zero voxel of both maps becomes label 1.
    #[arg(long, conflicts_with = "threshold")]
    binarize: bool,
    /// Score a probability map stored as integers: prediction voxels with a value >= T become
    /// label 1, the others 0 (e.g. 128 for 0-255); every non-zero reference voxel becomes 1.
    #[arg(long, value_name = "T")]
    threshold: Option<f64>,
    /// Folder mode: bootstrap resamples for the interval of each mean.
    #[arg(long, default_value_t = 2000)]
    bootstrap: usize,
    /// Folder mode: bootstrap seed.
    #[arg(long, default_value_t = 0)]
    seed: u64,
}

/// Runs `medeval seg`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let metrics = parse_metrics(&args.metrics)?;
    let binarize = match (args.binarize, args.threshold) {
        (_, Some(t)) if !(t.is_finite() && t > 0.0) => {
            bail!("--threshold must be a positive number, got {t}")
        }
        (_, Some(t)) => Some(Binarize::PredictionAtLeast(t)),
        (true, None) => Some(Binarize::NonZero),
        (false, None) => None,
    };
    let options = EvalOptions {
        metrics,
        labels: args.labels.clone(),
        convention: args.convention,
        binarize,
    };
    let policy = GeometryPolicy {
        ignore_orientation: args.ignore_orientation,
        resample: args.resample,
        spacing: parse_spacing(args.spacing.as_deref())?,
    };
    match (
        &args.reference,
        &args.prediction,
        &args.reference_dir,
        &args.prediction_dir,
    ) {
        (Some(reference), Some(prediction), None, None) => {
            let evaluation = evaluate_pair_checked(reference, prediction, &options, &policy)?;
            let warning = evaluation
                .present
                .as_ref()
                .and_then(|(r, p)| check_encoding(r, p));
            let mut out = std::io::stdout().lock();
            if args.json {
                report::write_pair_json(&mut out, &evaluation.results, &options)?;
            } else {
                report::write_pair_table(&mut out, &evaluation.results, &options)?;
            }
            out.flush()?;
            Ok(report_encoding(
                warning.as_ref(),
                &format!("{} vs {}", reference.display(), prediction.display()),
                options.labels.is_some(),
            ))
        }
        (None, None, Some(reference_dir), Some(prediction_dir)) => {
            run_folder(&args, reference_dir, prediction_dir, &options, &policy)
        }
        _ => bail!(
            "give either --reference and --prediction, or --reference-dir, --prediction-dir and --out"
        ),
    }
}

/// Prints an encoding warning and chooses the exit status: 1 when the labels were not named
/// (the rows printed are most likely not what the user meant), 0 when `--labels` named them.
fn report_encoding(warning: Option<&EncodingWarning>, what: &str, labels_named: bool) -> ExitCode {
    let Some(warning) = warning else {
        return ExitCode::SUCCESS;
    };
    eprintln!("warning: {what}: {warning}");
    if labels_named {
        eprintln!("warning: scored as given, since --labels names the labels");
        ExitCode::SUCCESS
    } else {
        eprintln!(
            "error: the label values of reference and prediction do not match (see the warning above); the results are printed but the exit status is 1"
        );
        ExitCode::FAILURE
    }
}

fn parse_spacing(values: Option<&[f64]>) -> anyhow::Result<Option<[f64; 3]>> {
    let Some(values) = values else {
        return Ok(None);
    };
    if values.iter().any(|v| !(v.is_finite() && *v > 0.0)) {
        bail!("--spacing values must be positive numbers, got {values:?}");
    }
    match *values {
        [x, y] => Ok(Some([x, y, 1.0])),
        [x, y, z] => Ok(Some([x, y, z])),
        _ => bail!("--spacing takes 2 or 3 values, got {}", values.len()),
    }
}

/// Folder mode: every case evaluated under a progress bar, per-case rows written to `--out`,
/// the summary printed (and written to `--summary`), every left-out value explained.
fn run_folder(
    args: &Args,
    reference_dir: &Path,
    prediction_dir: &Path,
    options: &EvalOptions,
    policy: &GeometryPolicy,
) -> anyhow::Result<ExitCode> {
    let out_path = args.out.as_ref().context("folder mode needs --out")?;
    let format = match out_path.extension().and_then(|e| e.to_str()) {
        Some("csv") => RowFormat::Csv,
        Some("json" | "jsonl") => RowFormat::JsonLines,
        _ => bail!(
            "{}: --out must end in .csv, .json or .jsonl",
            out_path.display()
        ),
    };
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
    let outcomes = folder::evaluate_cases(&list.cases, options, policy, &|outcome| {
        if let Err(error) = &outcome.result {
            bar.suspend(|| eprintln!("error: case {}: {error}", outcome.name));
        }
        bar.inc(1);
    });
    bar.finish_and_clear();

    let file =
        File::create(out_path).with_context(|| format!("cannot create {}", out_path.display()))?;
    let mut writer = BufWriter::new(file);
    folder::write_rows(
        &mut writer,
        format,
        &outcomes,
        &options.metrics,
        options.convention,
    )
    .and_then(|()| writer.flush())
    .with_context(|| format!("cannot write {}", out_path.display()))?;

    let bootstrap = Bootstrap {
        resamples: args.bootstrap,
        level: 0.95,
        seed: args.seed,
    };
    let summary = FolderSummary::new(
        &outcomes,
        options,
        bootstrap,
        list.unmatched_predictions.len(),
    );
    let mut out = std::io::stdout().lock();
    summary.write_table(&mut out)?;
    if let Some(path) = &args.summary {
        std::fs::write(path, format!("{:#}\n", summary.to_json()))
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    for note in summary.left_out_notes() {
        eprintln!("{note}");
    }
    summary.write_footer(&mut out, out_path)?;
    out.flush()?;
    let encoding = report_encoding(
        folder::check_folder_encoding(&outcomes).as_ref(),
        "over all cases",
        options.labels.is_some(),
    );
    let (evaluated, failed) = (summary.evaluated(), summary.failed().len());
    if summary.labels().is_empty() && evaluated > 0 {
        eprintln!(
            "warning: no case holds any non-zero label in either file; nothing to summarise (give --labels to score empty masks)"
        );
    }
    if failed > 0 {
        eprintln!(
            "error: {failed} of {} cases failed; the summary covers only the others",
            outcomes.len()
        );
        return Ok(ExitCode::FAILURE);
    }
    Ok(encoding)
}
