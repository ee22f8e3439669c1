//! `medeval judge agree`: a judged run against human labels, or judged runs against each other.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use medeval::agreement::{self, LabelAgreement, RunsAgreement};
use medeval_stats::Bootstrap;
use medeval_store::Store;

use super::output::StoreArgs;

/// Arguments of `medeval judge agree`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
With --labels: one run's verdicts against human labels (accuracy, Cohen's kappa and balanced F1, \
each with a bootstrap interval over samples). Without: two or more runs (the same items judged by \
different judges, or a judge against the rules) compared pair by pair (Cohen's kappa) and all \
together (Krippendorff's alpha). Samples without a verdict (unjudged, unparsed, refused, errors) \
are left out and counted.")]
pub struct Args {
    /// Runs (ids or unique prefixes): one with --labels, two or more without.
    #[arg(required = true, value_name = "RUN")]
    pub runs: Vec<String>,
    /// Human labels, JSONL: {"id": ..., "label": true|false} per line (`sample` for draws).
    #[arg(long, value_name = "FILE")]
    pub labels: Option<PathBuf>,
    #[command(flatten)]
    pub store: StoreArgs,
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
    /// Bootstrap replicates for the intervals.
    #[arg(long, default_value_t = 2000, value_name = "N")]
    pub bootstrap: u32,
    /// Bootstrap seed.
    #[arg(long, default_value_t = medeval_stats::DEFAULT_SEED, value_name = "SEED")]
    pub seed: u64,
    /// Confidence level of intervals.
    #[arg(long, default_value_t = 0.95, value_name = "LEVEL")]
    pub confidence: f64,
}

/// Runs `medeval judge agree`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    if !(args.confidence > 0.0 && args.confidence < 1.0) {
        bail!("--confidence must be between 0 and 1, such as 0.95");
    }
    let store = Store::open_read_only(&args.store.store)?;
    let runs = args
        .runs
        .iter()
        .map(|selector| {
            let id = store
                .resolve_run(Some(selector))
                .with_context(|| format!("in {}", args.store.store.display()))?;
            Ok(store.load_run(&id)?)
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    match &args.labels {
        Some(path) => {
            let [run] = runs.as_slice() else {
                bail!("--labels compares one run with the labels; give one run");
            };
            let labels = agreement::read_labels(path)?;
            let bootstrap = Bootstrap {
                replicates: args.bootstrap.max(1),
                seed: args.seed,
            };
            let result = agreement::against_labels(run, &labels, bootstrap, args.confidence);
            if args.json {
                outln!("{}", serde_json::to_string_pretty(&result)?)?;
            } else {
                out!("{}", label_text(&result, path))?;
            }
        }
        None => {
            if runs.len() < 2 {
                bail!("give two or more runs to compare, or one run and --labels FILE");
            }
            let result = agreement::between_runs(&runs);
            if args.json {
                outln!("{}", serde_json::to_string_pretty(&result)?)?;
            } else {
                out!("{}", runs_text(&result))?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn number(value: Option<f64>) -> String {
    value.map_or_else(|| "undefined".into(), |v| format!("{v:.3}"))
}

fn interval(ci: Option<[f64; 2]>) -> String {
    ci.map_or_else(String::new, |[low, high]| format!(" [{low:.3}, {high:.3}]"))
}

fn label_text(result: &LabelAgreement, path: &std::path::Path) -> String {
    let a = &result.agreement;
    format!(
        "run {} ({}) against labels {}\n  compared {} sample(s); {} labelled sample(s) without a verdict in the run, {} label(s) for samples the run does not hold\n  accuracy {}{}  kappa {}{}  balanced F1 {}{}  ({:.0}% intervals, {} bootstrap replicates)\n  run met / label not met: {}   run not met / label met: {}\n",
        result.run,
        result.scorer,
        path.display(),
        a.n,
        result.labelled_without_verdict,
        result.labels_not_in_run,
        number(a.accuracy),
        interval(a.accuracy_ci),
        number(a.kappa),
        interval(a.kappa_ci),
        number(a.balanced_f1),
        interval(a.balanced_f1_ci),
        a.confidence * 100.0,
        a.bootstrap.replicates,
        a.rater_met_reference_not,
        a.rater_not_reference_met,
    )
}

fn runs_text(result: &RunsAgreement) -> String {
    let mut text = String::new();
    for (id, scorer) in &result.runs {
        text += &format!("run {id}: {scorer}\n");
    }
    for pair in &result.pairs {
        text += &format!(
            "  {} vs {}: {} sample(s) both decided, agreement {}, kappa {}\n",
            pair.first,
            pair.second,
            pair.n,
            number(pair.agreement),
            number(pair.kappa)
        );
    }
    text += &format!(
        "  Krippendorff's alpha (nominal) over {} sample(s): {}\n",
        result.alpha_units,
        number(result.alpha_nominal)
    );
    text
}
