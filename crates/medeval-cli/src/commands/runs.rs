//! `medeval runs`: the runs in a store, newest first; `--delete` removes one.

use std::process::ExitCode;

use anyhow::bail;
use medeval_report::{Align, Format, Table, percent};
use medeval_store::{RunStatus, Store};
use serde_json::json;

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

/// Accuracy as `medeval show` computes it by default: correct over the stored samples that are
/// judged (generated reports are not), non-answers counting as wrong; `None` without any.
fn accuracy(run: &medeval_store::RunListing) -> Option<f64> {
    let judged = (run.answered + run.errors).saturating_sub(run.generated);
    (judged > 0).then(|| run.correct as f64 / judged as f64)
}

/// A report-generation run: every stored sample is a generated report.
fn is_report_run(run: &medeval_store::RunListing) -> bool {
    run.generated > 0 && run.generated == run.answered
}

/// Runs `medeval runs`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    if let Some(selector) = &args.delete {
        return delete(&args, selector);
    }
    let store = Store::open_read_only(&args.store.store)?;
    let runs = store.list_runs()?;
    if args.json {
        let list: Vec<_> = runs
            .iter()
            .map(|r| {
                json!({
                    "run": r.id,
                    "benchmark": r.manifest.items.benchmark,
                    "variant": r.manifest.variant,
                    "model": r.manifest.model.name,
                    "status": r.status.as_str(),
                    "items": r.items,
                    "answered": r.answered,
                    "errors": r.errors,
                    "correct": r.correct,
                    "samples_per_item": r.manifest.samples_per_item.max(1),
                    "generated": r.generated,
                    "accuracy": accuracy(r),
                    "created_at": r.created_at,
                    "updated_at": r.updated_at,
                })
            })
            .collect();
        outln!("{}", serde_json::to_string_pretty(&list)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    if runs.is_empty() {
        outln!("no runs in {}", args.store.store.display())?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut table = Table::new(&[
        ("run", Align::Left),
        ("benchmark", Align::Left),
        ("model", Align::Left),
        ("status", Align::Left),
        ("items", Align::Right),
        ("answered", Align::Right),
        ("errors", Align::Right),
        ("accuracy", Align::Right),
        ("updated", Align::Left),
    ]);
    for r in &runs {
        let status = match r.status {
            medeval_store::RunStatus::Running => "running or interrupted",
            other => other.as_str(),
        };
        table.push(vec![
            r.id.clone(),
            match &r.manifest.variant {
                Some(variant) => format!("{} · {variant}", r.manifest.items.benchmark),
                None => r.manifest.items.benchmark.clone(),
            },
            r.manifest.model.name.clone(),
            status.to_owned(),
            r.items.to_string(),
            r.answered.to_string(),
            r.errors.to_string(),
            if is_report_run(r) {
                "report".to_owned()
            } else {
                percent(accuracy(r))
            },
            r.updated_at
                .get(..19)
                .unwrap_or(&r.updated_at)
                .replace('T', " "),
        ]);
    }
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
