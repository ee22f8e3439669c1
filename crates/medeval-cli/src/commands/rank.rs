//! `medeval rank`: a leaderboard of several runs with rank intervals and every pair compared.

use std::process::ExitCode;

use anyhow::bail;
use medeval_report::{
    CompareError, CompareSettings, RankedBenchmark, correct_pairs, rank_runs, render_leaderboards,
};

use medeval::runs::{RunLoader, group_benchmarks};

use super::inputs::PairedArgs;
use super::output::StoreArgs;
use super::values::OutputFormat;

/// Arguments of `medeval rank`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Each RUN is a run id (or unique prefix) in the store, STORE:RUN for a run of another store, or a \
file of scored samples as written by \
`medeval score --samples`. Runs are ranked on the items all of them have; rank intervals come from \
a bootstrap that resamples items (or whole clusters) once per replicate for all runs together. \
Every pair of runs is compared as `medeval compare` does, with `p_holm` and `p_bh` adjusted across \
all pairs (of all benchmarks, when files hold several).")]
pub struct Args {
    /// Runs to rank (at least two).
    #[arg(required = true, num_args = 2.., value_name = "RUN")]
    pub runs: Vec<String>,
    #[command(flatten)]
    pub store: StoreArgs,
    /// Print the leaderboards as JSON: an array with one object per benchmark.
    #[arg(long)]
    pub json: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table, value_name = "FORMAT")]
    pub format: OutputFormat,
    #[command(flatten)]
    pub paired: PairedArgs,
}

/// Runs `medeval rank`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let format = args.format.tables(args.json);
    let settings = CompareSettings {
        policy: args.paired.policy()?,
        confidence: args.paired.confidence()?,
        bootstrap: args.paired.bootstrap()?,
        by: Vec::new(),
        use_clusters: !args.paired.ignore_clusters,
        draw: args.paired.draw,
    };

    let mut loader = RunLoader::new(&args.store.store);
    let mut loaded = Vec::with_capacity(args.runs.len());
    for argument in &args.runs {
        loaded.push((argument.clone(), loader.load(argument)?));
    }
    let (groups, notes) = group_benchmarks(loaded);
    for note in notes {
        eprintln!("note: {note}");
    }
    if groups.is_empty() {
        bail!("the runs have no benchmark in common");
    }
    let mut boards: Vec<RankedBenchmark> = Vec::with_capacity(groups.len());
    for runs in &groups {
        let board = rank_runs(runs, &settings).map_err(|error| {
            let hint = match error {
                CompareError::Draw(_) => " (--draw N ranks draw N of every item)",
                _ => "",
            };
            anyhow::Error::new(error).context(format!("cannot rank the runs{hint}"))
        })?;
        boards.push(board);
    }
    correct_pairs(&mut boards)?;

    match format {
        None => outln!("{}", serde_json::to_string_pretty(&boards)?)?,
        Some(format) => out!("{}", render_leaderboards(&boards, format))?,
    }
    Ok(ExitCode::SUCCESS)
}
