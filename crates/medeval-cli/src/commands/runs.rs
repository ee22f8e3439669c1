//! `medeval runs`: the runs in a store, newest first.

use std::process::ExitCode;

use medeval_report::{Align, Format, Table, percent};
use medeval_store::Store;
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
}

/// Correct samples over the samples the run asks for (items × samples per item), non-answers and
/// missing samples counting as wrong.
fn accuracy(run: &medeval_store::RunListing) -> Option<f64> {
    let samples = run.items * u64::from(run.manifest.samples_per_item.max(1));
    (samples > 0).then(|| run.correct as f64 / samples as f64)
}

/// Runs `medeval runs`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let store = Store::open_existing(&args.store.store)?;
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
            percent(accuracy(r)),
            r.updated_at
                .get(..19)
                .unwrap_or(&r.updated_at)
                .replace('T', " "),
        ]);
    }
    out!("{}", table.render(Format::Terminal))?;
    outln!(
        "accuracy here is correct / (items × samples per item), non-answers counting as wrong; `medeval show RUN` has intervals"
    )?;
    Ok(ExitCode::SUCCESS)
}
