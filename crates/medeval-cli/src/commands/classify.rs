//! `medeval classify`: binary classification metrics with bootstrap intervals.
//!
//! Scores need not be probabilities: AUROC and AUPRC use only their order, and the thresholded
//! metrics compare them with `--threshold`. ECE needs probabilities, so it is undefined (with no
//! interval) when a score lies outside [0, 1]. A threshold must be a finite number, and within
//! [0, 1] when every score is a probability (outside it every case would get one class).

use std::path::PathBuf;
use std::process::ExitCode;

use medeval_dense::classify::{ClassifyOptions, Columns, read_cases};
use medeval_dense::report::ClassificationSummary;
use medeval_dense::stats::Bootstrap;

/// Arguments of `medeval classify`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// CSV with the true labels (0/1), one row per case or image.
    #[arg(long)]
    labels: PathBuf,
    /// CSV with the model scores: probabilities of the positive class, or any real scores
    /// (logits ...), in which case ECE is undefined.
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
    /// Scores at or above this are predicted positive (F1, sensitivity, specificity, ...): a
    /// finite number, within [0, 1] when the scores are probabilities.
    #[arg(long, default_value_t = 0.5, value_parser = finite, allow_negative_numbers = true)]
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
    let not_probabilities = cases
        .iter()
        .filter(|c| !(0.0..=1.0).contains(&c.score))
        .count();
    if not_probabilities == 0 && !(0.0..=1.0).contains(&args.threshold) {
        anyhow::bail!(
            "--threshold {} is outside [0, 1], but every score in {} is a probability: every \
             case would be predicted {}",
            args.threshold,
            args.scores.display(),
            if args.threshold > 1.0 {
                "negative"
            } else {
                "positive"
            }
        );
    }
    let options = ClassifyOptions {
        threshold: args.threshold,
        ece_bins: args.ece_bins,
        bootstrap: Bootstrap {
            resamples: args.bootstrap,
            level: 0.95,
            seed: args.seed,
        },
    };
    let summary = ClassificationSummary::new(&cases, options);
    if not_probabilities > 0 {
        eprintln!(
            "note: ece is undefined: {not_probabilities} of {} scores lie outside [0, 1], so the \
             scores are not probabilities",
            cases.len()
        );
    }
    if args.json {
        outln!("{}", summary.to_json())?;
    } else {
        out!("{}", summary.table_text())?;
    }
    Ok(ExitCode::SUCCESS)
}

/// A finite number (`nan` and `inf` parse as numbers but compare with nothing usefully).
fn finite(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(value) if value.is_finite() => Ok(value),
        Ok(_) => Err("must be a finite number".to_owned()),
        Err(e) => Err(e.to_string()),
    }
}
