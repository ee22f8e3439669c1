//! `medeval fairness`: is a stored run equally good for every patient group?

use std::process::ExitCode;

use anyhow::{Context, bail};
use medeval::fairness::{DEFAULT_MIN_GROUP_N, FairnessOptions, fairness, fairness_text};
use medeval_report::Format;
use medeval_stats::{Bootstrap, DEFAULT_PERMUTATIONS, Permutations};
use medeval_store::Store;

use super::output::StoreArgs;
use super::values::{IntervalMethod, NonAnswers};

/// Arguments of `medeval fairness`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Run id or unique prefix (default: the most recent run).
    pub run: Option<String>,
    #[command(flatten)]
    pub store: StoreArgs,
    /// Item metadata field whose groups to compare (repeatable: sex, age_band, site, scanner
    /// ...); `answer_type` always works. Holm's correction runs across the fields given.
    #[arg(long = "by", value_name = "FIELD", required = true)]
    pub by: Vec<String>,
    /// Groups with fewer items than this are listed but not judged: they enter neither the
    /// gap, the ratio, the worst group nor the test.
    #[arg(long, default_value_t = DEFAULT_MIN_GROUP_N, value_name = "N")]
    pub min_group_n: u64,
    /// Print the report as one JSON object.
    #[arg(long)]
    pub json: bool,
    /// Interval method of the per-group accuracies (as `medeval show --ci`).
    #[arg(long, value_enum, default_value_t = IntervalMethod::Auto, value_name = "METHOD")]
    pub ci: IntervalMethod,
    /// Confidence level of intervals.
    #[arg(long, default_value_t = 0.95, value_name = "LEVEL")]
    pub confidence: f64,
    /// How unparsed, refused and error samples enter accuracy.
    #[arg(long, value_enum, default_value_t = NonAnswers::CountAsWrong, value_name = "POLICY")]
    pub non_answers: NonAnswers,
    /// Bootstrap replicates of the gap and ratio intervals.
    #[arg(long, default_value_t = 10_000, value_name = "N")]
    pub replicates: u32,
    /// Seed of the bootstrap and of the permutation test; recorded in the output.
    #[arg(long, default_value_t = medeval_stats::DEFAULT_SEED, value_name = "SEED")]
    pub seed: u64,
    /// Permutations of the permutation test (used when an expected count is below 5 or items
    /// have several samples).
    #[arg(long, default_value_t = DEFAULT_PERMUTATIONS, value_name = "N")]
    pub permutations: u32,
}

/// Runs `medeval fairness`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    if !(args.confidence > 0.0 && args.confidence < 1.0) {
        bail!(
            "--confidence must be between 0 and 1, got {}",
            args.confidence
        );
    }
    let store = Store::open_read_only(&args.store.store)?;
    let run_id = store
        .resolve_run(args.run.as_deref())
        .with_context(|| format!("in {}", args.store.store.display()))?;
    let run = store.load_run(&run_id)?;
    let bootstrap = Bootstrap {
        replicates: args.replicates,
        seed: args.seed,
    };
    let options = FairnessOptions {
        by: args.by.clone(),
        policy: args.non_answers.into(),
        ci: args.ci.method(bootstrap),
        confidence: args.confidence,
        min_group_n: args.min_group_n,
        bootstrap,
        permutations: Permutations {
            count: args.permutations,
            seed: args.seed,
        },
    };
    let report =
        fairness(&run, &options).with_context(|| format!("in {}", args.store.store.display()))?;
    if args.json {
        outln!("{}", serde_json::to_string_pretty(&report)?)?;
    } else {
        out!("{}", fairness_text(&report, Format::Terminal))?;
    }
    Ok(ExitCode::SUCCESS)
}
