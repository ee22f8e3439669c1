//! `medeval seg`: segmentation metrics for one pair of label maps or two folders of them.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use medeval_dense::encoding::{Binarize, EncodingWarning, check_encoding};
use medeval_dense::folder::{self, RowFormat};
use medeval_dense::metrics::{DEFAULT_METRICS, EvalOptions, KNOWN_METRICS, parse_metrics};
use medeval_dense::pair::{GeometryPolicy, evaluate_pair_checked};
use medeval_dense::stats::Bootstrap;
use medeval_dense::surface::Convention;
use serde_json::Value;

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
            let stdout = std::io::stdout();
            let mut out = stdout.lock();
            if args.json {
                for r in &evaluation.results {
                    let mut object = r.to_json(&options.metrics, options.convention);
                    if let (Some(rule), Value::Object(fields)) = (options.binarize, &mut object) {
                        fields.insert("binarized".into(), Value::from(binarize_key(rule)));
                    }
                    writeln!(out, "{object}")?;
                }
            } else {
                print_pair_table(&mut out, &evaluation.results, &options)?;
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

/// The `binarized` value of a JSON row.
fn binarize_key(rule: Binarize) -> String {
    match rule {
        Binarize::NonZero => "non-zero".into(),
        Binarize::PredictionAtLeast(t) => format!("reference non-zero, prediction >= {t}"),
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

fn print_pair_table(
    out: &mut dyn Write,
    results: &[medeval_dense::metrics::LabelResult],
    options: &EvalOptions,
) -> std::io::Result<()> {
    write!(
        out,
        "{:>6} {:>12} {:>12}",
        "label", "ref_voxels", "pred_voxels"
    )?;
    for m in &options.metrics {
        write!(out, " {:>12}", m.name)?;
    }
    writeln!(out)?;
    for r in results {
        write!(
            out,
            "{:>6} {:>12} {:>12}",
            r.label, r.reference_voxels, r.prediction_voxels
        )?;
        for v in &r.values {
            match v {
                Some(v) => write!(out, " {v:>12.6}")?,
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

fn run_folder(
    args: &Args,
    reference_dir: &std::path::Path,
    prediction_dir: &std::path::Path,
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
    let rows = folder::summarize_outcomes(&outcomes, &options.metrics, &bootstrap);
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    writeln!(
        out,
        "{:>6} {:>14} {:>5} {:>5} {:>11} {:>11} {:>23} {:>23}",
        "label", "metric", "n", "undef", "mean", "median", "IQR", "95% CI of mean"
    )?;
    for row in &rows {
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
    let labels = folder::evaluated_labels(&outcomes);
    let failed: Vec<(&str, &str)> = outcomes
        .iter()
        .filter_map(|o| {
            o.result
                .as_ref()
                .err()
                .map(|e| (o.name.as_str(), e.as_str()))
        })
        .collect();
    let evaluated = outcomes.len() - failed.len();
    if let Some(path) = &args.summary {
        let json = serde_json::json!({
            "convention": options.convention.name(),
            "bootstrap": { "resamples": bootstrap.resamples, "level": bootstrap.level, "seed": bootstrap.seed },
            "cases": {
                "found": outcomes.len(),
                "evaluated": evaluated,
                "left_out": failed.iter().map(|(case, error)| serde_json::json!({"case": case, "error": error})).collect::<Vec<_>>(),
                "predictions_without_reference": list.unmatched_predictions.len(),
            },
            "labels": labels,
            "labels_from": if options.labels.is_some() { "--labels" } else { "union over all cases" },
            "binarized": options.binarize.map(binarize_key),
            "rows": rows,
        });
        std::fs::write(path, format!("{json:#}\n"))
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    // Every value the summary leaves out, and why: failed cases (no row at all) and undefined
    // values (a mask empty on one side, or a ratio 0/0).
    for outcome in &outcomes {
        let Ok(results) = &outcome.result else {
            continue;
        };
        for r in results {
            let undefined: Vec<&str> = options
                .metrics
                .iter()
                .zip(&r.values)
                .filter(|(_, v)| v.is_none())
                .map(|(m, _)| m.name.as_str())
                .collect();
            if undefined.is_empty() {
                continue;
            }
            let why = match (r.reference_voxels, r.prediction_voxels) {
                (0, 0) => format!("label {} in neither file", r.label),
                (0, _) => format!("no label {} in the reference", r.label),
                (_, 0) => format!("no label {} in the prediction", r.label),
                _ => "undefined ratio".to_string(),
            };
            eprintln!(
                "note: case {} label {}: {} undefined ({why}); excluded from n, counted in undef",
                outcome.name,
                r.label,
                undefined.join(", ")
            );
        }
    }
    for (case, error) in &failed {
        eprintln!("left out: case {case}: {error}");
    }
    let label_list = if labels.is_empty() {
        "none".to_string()
    } else {
        labels
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    };
    let left_out = if failed.is_empty() {
        String::new()
    } else {
        format!(
            " (left out: {})",
            failed
                .iter()
                .map(|(case, _)| *case)
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    let orphans = match list.unmatched_predictions.len() {
        0 => String::new(),
        n => format!("; {n} prediction(s) without reference not evaluated"),
    };
    writeln!(
        out,
        "{} cases: {evaluated} evaluated, {} failed{left_out}{orphans}",
        outcomes.len(),
        failed.len(),
    )?;
    writeln!(
        out,
        "labels {label_list} ({}), each scored in all {evaluated} evaluated cases; convention {}; per-case rows in {}",
        if options.labels.is_some() {
            "from --labels"
        } else {
            "every label found in any case; a case without it in either file scores as both empty"
        },
        options.convention.name(),
        out_path.display()
    )?;
    if let Some(rule) = options.binarize {
        writeln!(out, "{rule}")?;
    }
    out.flush()?;
    let encoding = report_encoding(
        folder::check_folder_encoding(&outcomes).as_ref(),
        "over all cases",
        options.labels.is_some(),
    );
    if labels.is_empty() && evaluated > 0 {
        eprintln!(
            "warning: no case holds any non-zero label in either file; nothing to summarise (give --labels to score empty masks)"
        );
    }
    if !failed.is_empty() {
        eprintln!(
            "error: {} of {} cases failed; the summary covers only the others",
            failed.len(),
            outcomes.len()
        );
        return Ok(ExitCode::FAILURE);
    }
    Ok(encoding)
}
