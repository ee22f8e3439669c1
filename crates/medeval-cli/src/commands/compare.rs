//! `medeval compare`: paired comparison of two runs (or several pairs, one per benchmark).

use std::process::ExitCode;

use anyhow::{Context, bail};
use medeval_report::{
    CompareError, CompareSettings, DiscordantLimit, ReportComparison, RunComparison,
    compare_report_runs, compare_runs, correct_family, is_report_run, render_comparisons,
    render_tables,
};

use medeval::runs::{RunLoader, match_benchmarks};

use super::inputs::PairedArgs;
use super::output::StoreArgs;
use super::values::OutputFormat;

/// Arguments of `medeval compare`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Each RUN is a run id (or unique prefix) in the store, STORE:RUN for a run of another store, or a \
file of scored samples as written by \
`medeval score --samples` (an argument naming an existing file is read as a file). Runs are paired \
by item id. Give several pairs (A1 B1 A2 B2 ...) to compare two models on several benchmarks: \
`p_holm` (and `p_bh`) are then adjusted across all the comparisons. diff = acc A - acc B. \
Report-generation runs are compared on BLEU-1..4, METEOR, ROUGE-L and CIDEr-D instead: the \
difference of each corpus value with a paired bootstrap interval and p-value.")]
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
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table, value_name = "FORMAT")]
    pub format: OutputFormat,
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
    let format = args.format.tables(args.json);
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
    let mut report_comparisons: Vec<ReportComparison> = Vec::new();
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
            if is_report_run(run_a) && is_report_run(run_b) {
                let comparison = compare_report_runs(run_a, run_b, &settings)
                    .with_context(|| format!("cannot compare {a} with {b}"))?;
                report_comparisons.push(comparison);
                continue;
            }
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
        None if report_comparisons.is_empty() => {
            outln!("{}", serde_json::to_string_pretty(&comparisons)?)?;
        }
        None => {
            let mut all: Vec<serde_json::Value> = comparisons
                .iter()
                .map(serde_json::to_value)
                .collect::<Result<_, _>>()?;
            for comparison in &report_comparisons {
                let mut value = serde_json::to_value(comparison)?;
                if let Some(object) = value.as_object_mut() {
                    object.insert("kind".into(), "report".into());
                }
                all.push(value);
            }
            outln!("{}", serde_json::to_string_pretty(&all)?)?;
        }
        Some(format) => {
            if !comparisons.is_empty() {
                out!("{}", render_comparisons(&comparisons, limit, format))?;
            }
            let tables: Vec<_> = report_comparisons.iter().map(|c| c.to_table()).collect();
            if !tables.is_empty() {
                if !comparisons.is_empty() {
                    outln!()?;
                }
                out!("{}", render_tables(&tables, format))?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn discordant_limit(text: &str) -> anyhow::Result<DiscordantLimit> {
    if text == "all" {
        return Ok(DiscordantLimit::All);
    }
    text.parse::<usize>()
        .map(DiscordantLimit::First)
        .with_context(|| format!("--discordant takes a number or `all`, not {text:?}"))
}
