//! `medeval classify`: binary classification metrics with bootstrap intervals.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use medeval_dense::classify::{ClassifyOptions, Columns, classification_report, read_cases};
use medeval_dense::stats::Bootstrap;

/// Arguments of `medeval classify`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// CSV with the true labels (0/1), one row per case or image.
    #[arg(long)]
    labels: PathBuf,
    /// CSV with the model scores (probabilities of the positive class for ECE).
    #[arg(long)]
    scores: PathBuf,
    /// Column holding the case id in both files.
    #[arg(long, default_value = "id")]
    id_column: String,
    /// Column holding the label in the labels file.
    #[arg(long, default_value = "label")]
    label_column: String,
    /// Column holding the score in the scores file.
    #[arg(long, default_value = "score")]
    score_column: String,
    /// Scores at or above this are predicted positive (F1, sensitivity, specificity, ...).
    #[arg(long, default_value_t = 0.5)]
    threshold: f64,
    /// Equal-width bins for the expected calibration error.
    #[arg(long, default_value_t = 15)]
    ece_bins: usize,
    /// Bootstrap resamples for the 95% intervals.
    #[arg(long, default_value_t = 2000)]
    bootstrap: usize,
    /// Bootstrap seed.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    json: bool,
}

/// Runs `medeval classify`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let columns = Columns {
        id: args.id_column,
        label: args.label_column,
        score: args.score_column,
    };
    let cases = read_cases(&args.labels, &args.scores, &columns)?;
    let options = ClassifyOptions {
        threshold: args.threshold,
        ece_bins: args.ece_bins,
        bootstrap: Bootstrap {
            resamples: args.bootstrap,
            level: 0.95,
            seed: args.seed,
        },
    };
    let report = classification_report(&cases, &options);
    let positives = cases.iter().filter(|c| c.positive).count();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if args.json {
        let json = serde_json::json!({
            "n": cases.len(),
            "positives": positives,
            "threshold": options.threshold,
            "ece_bins": options.ece_bins,
            "bootstrap": { "resamples": options.bootstrap.resamples, "level": 0.95, "seed": options.bootstrap.seed },
            "metrics": report,
        });
        writeln!(out, "{json}")?;
    } else {
        writeln!(
            out,
            "{} cases, {positives} positive; threshold {}; 95% percentile bootstrap ({} resamples, seed {})",
            cases.len(),
            options.threshold,
            options.bootstrap.resamples,
            options.bootstrap.seed
        )?;
        writeln!(out, "{:<18} {:>9} {:>21}", "metric", "value", "95% CI")?;
        let show = |v: Option<f64>| v.map_or("undefined".to_string(), |v| format!("{v:.4}"));
        for m in &report {
            writeln!(
                out,
                "{:<18} {:>9} {:>21}",
                m.metric,
                show(m.value),
                format!("[{}, {}]", show(m.ci_low), show(m.ci_high))
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
