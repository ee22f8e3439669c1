//! `medeval runs`: the runs in a store, newest first; `--delete` removes one.

use std::process::ExitCode;

use anyhow::bail;
use medeval::render;
use medeval_report::Format;
use medeval_store::{RunStatus, Store};

use super::output::StoreArgs;

/// Arguments of `medeval runs`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub store: StoreArgs,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
    /// Delete this run (id or unique prefix) with its items, samples and attempt log. A run
    /// marked running is refused: it may still be writing (use --force after a crash).
    #[arg(long, value_name = "RUN", conflicts_with = "json")]
    pub delete: Option<String>,
    /// With --delete: delete a run even when it is marked running (left so by a crash).
    #[arg(long, requires = "delete")]
    pub force: bool,
}

/// Runs `medeval runs`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    if let Some(selector) = &args.delete {
        return delete(&args, selector);
    }
    let store = Store::open_read_only(&args.store.store)?;
    let runs = render::list_runs(&store)?;
    if args.json {
        let list = render::run_list_json(&runs);
        outln!("{}", serde_json::to_string_pretty(&list)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    if runs.is_empty() {
        outln!("no runs in {}", args.store.store.display())?;
        return Ok(ExitCode::SUCCESS);
    }
    let table = render::run_list_table(&runs);
    out!("{}", table.render(Format::Terminal))?;
    outln!(
        "accuracy as `medeval show` computes it: correct / stored judged samples, non-answers\n\
         counting as wrong; `medeval show RUN` has intervals, and the metrics of report runs"
    )?;
    Ok(ExitCode::SUCCESS)
}

/// `runs --delete RUN`.
fn delete(args: &Args, selector: &str) -> anyhow::Result<ExitCode> {
    let mut store = Store::open_existing(&args.store.store)?;
    let run_id = store.resolve_run(Some(selector))?;
    let run = store.list_runs()?.into_iter().find(|run| run.id == run_id);
    if let Some(run) = &run {
        if run.status == RunStatus::Running && !args.force {
            bail!(
                "run {run_id} is marked running: a `medeval run` may still be writing to it. If that process is gone (a crash or kill -9 leaves a run marked running), delete it with --force"
            );
        }
    }
    store.delete_run(&run_id)?;
    outln!("deleted run {run_id} from {}", args.store.store.display())?;
    Ok(ExitCode::SUCCESS)
}
