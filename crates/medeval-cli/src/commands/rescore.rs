//! `medeval rescore`: score a stored run's responses again, by a judge or by the current rules,
//! without asking the model anything.

use std::process::ExitCode;

use anyhow::{Context, bail};
use medeval::Session;
use medeval_store::Store;

use super::judge::JudgeArgs;
use super::output::{ReportArgs, StoreArgs, exit_code, print_stored_run};

/// Arguments of `medeval rescore`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
With --judge-model, open answers are decided by the judge (its replies are kept in the store, so \
rescoring again with the same judge asks it nothing); without it, every answer is scored by this \
build's rules. Responses never change; the run's manifest records the new scorer. Exit status: 0 \
when the run is complete, 3 while samples are missing or in error, 1 on failure.")]
pub struct Args {
    /// Run id or unique prefix (default: the most recent run).
    pub run: Option<String>,
    #[command(flatten)]
    pub store: StoreArgs,
    #[command(flatten, next_help_heading = "Judge")]
    pub judge: JudgeArgs,
    #[command(flatten, next_help_heading = "Report")]
    pub report: ReportArgs,
}

/// Runs `medeval rescore`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    args.report.options()?;
    let path = &args.store.store;
    if !path.exists() {
        bail!(
            "no store at {}: `medeval run --store FILE` writes runs there",
            path.display()
        );
    }
    let judge = args.judge.settings()?;
    let run_id = Store::open_read_only(path)?
        .resolve_run(args.run.as_deref())
        .with_context(|| format!("in {}", path.display()))?;
    let mut session = Session::new(path)?.with_notices(|notice| eprintln!("{notice}"));
    let report = session.rescore(&run_id, judge.as_ref())?;
    eprintln!(
        "rescored {} answered sample(s) of run {run_id}: {} verdict(s) changed\n  before: {}\n  now:    {}",
        report.rescored, report.changed, report.from, report.to
    );
    drop(session);
    let store = Store::open_read_only(path)?;
    let complete = print_stored_run(&store, &run_id, &args.report)?;
    Ok(exit_code(complete))
}
