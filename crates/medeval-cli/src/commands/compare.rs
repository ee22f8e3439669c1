//! `medeval compare`: paired comparison of two runs (or several pairs, one per benchmark).

use std::process::ExitCode;

use anyhow::{Context, bail};
use medeval_report::{
    CompareError, CompareSettings, DiscordantLimit, Format, RunComparison, compare_runs,
    correct_family, render_comparisons,
};

use super::inputs::{PairedArgs, RunLoader, match_benchmarks};
use super::output::StoreArgs;

/// Arguments of `medeval compare`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Each RUN is a run id (or unique prefix) in the store, or a file of scored samples as written by \
`medeval score --samples` (an argument naming an existing file is read as a file). Runs are paired \
by item id. Give several pairs (A1 B1 A2 B2 ...) to compare two models on several benchmarks: \
`p_holm` (and `p_bh`) are then adjusted across all the comparisons. diff = acc A - acc B.")]
pub struct Args {
    /// Runs to compare, in pairs: A B [A2 B2 ...].
    #[arg(required = true, num_args = 2.., value_name = "RUN")]
    pub runs: Vec<String>,
    #[command(flatten)]
    pub store: StoreArgs,
    /// Also compare within the groups of this item field (repeatable); `answer_type` always works.
    #[arg(long = "by", value_name = "FIELD")]
    pub by: Vec<String>,
    /// Print the comparisons as JSON: an array with one object per benchmark.
    #[arg(long)]
    pub json: bool,
    /// Output format: table, markdown, csv, latex or json.
    #[arg(long, default_value = "table", value_name = "FORMAT")]
    pub format: String,
    /// Discordant items listed per direction in tables: a number, or `all`. JSON lists all.
    #[arg(long, default_value = "10", value_name = "N|all")]
    pub discordant: String,
    #[command(flatten)]
    pub paired: PairedArgs,
}

/// Runs `medeval compare`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    if args.runs.len() % 2 != 0 {
        bail!(
            "compare takes runs in pairs (A B, or A1 B1 A2 B2 ...), but {} were given; to rank several models use `medeval rank RUN RUN RUN ...`",
            args.runs.len()
        );
    }
    let format = output_format(&args)?;
    let limit = discordant_limit(&args.discordant)?;
    let settings = CompareSettings {
        policy: args.paired.policy()?,
        confidence: args.paired.confidence()?,
        bootstrap: args.paired.bootstrap()?,
        by: args.by.clone(),
        use_clusters: !args.paired.ignore_clusters,
        draw: args.paired.draw,
    };

    let mut loader = RunLoader::new(&args.store.store);
    let mut comparisons: Vec<RunComparison> = Vec::new();
    for pair in args.runs.chunks(2) {
        let [a, b] = pair else { continue };
        let (matched, notes) = match_benchmarks(loader.load(a)?, loader.load(b)?);
        for note in notes {
            eprintln!("note: {note}");
        }
        if matched.is_empty() {
            bail!("{a} and {b} have no benchmark in common");
        }
        for (run_a, run_b) in &matched {
            let comparison = compare_runs(run_a, run_b, &settings).map_err(|error| {
                let hint = match error {
                    CompareError::Draw(_) => " (--draw N compares draw N of every item)",
                    _ => "",
                };
                anyhow::Error::new(error).context(format!("cannot compare {a} with {b}{hint}"))
            })?;
            comparisons.push(comparison);
        }
    }
    correct_family(&mut comparisons)?;

    match format {
        None => outln!("{}", serde_json::to_string_pretty(&comparisons)?)?,
        Some(format) => out!("{}", render_comparisons(&comparisons, limit, format))?,
    }
    Ok(ExitCode::SUCCESS)
}

/// `None` for JSON.
fn output_format(args: &Args) -> anyhow::Result<Option<Format>> {
    if args.json || args.format == "json" {
        return Ok(None);
    }
    Format::parse(&args.format).map(Some).with_context(|| {
        format!(
            "unknown --format {:?}; expected table, markdown, csv, latex or json",
            args.format
        )
    })
}

fn discordant_limit(text: &str) -> anyhow::Result<DiscordantLimit> {
    if text == "all" {
        return Ok(DiscordantLimit::All);
    }
    text.parse::<usize>()
        .map(DiscordantLimit::First)
        .with_context(|| format!("--discordant takes a number or `all`, not {text:?}"))
}
