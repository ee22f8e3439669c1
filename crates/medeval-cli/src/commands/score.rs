//! `medeval score`: score a predictions file against items, offline.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use medeval_core::{Completion, Scored};
use medeval_report::{RunLabel, RunSource, ScoredRun, summarize};
use serde_json::json;

use super::output::{ReportArgs, exit_code, print_summary};

/// Arguments of `medeval score`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Benchmark items in medeval's JSONL format.
    #[arg(long, value_name = "FILE")]
    pub items: PathBuf,
    /// Responses as JSONL: {"id": ..., "response": "..."}.
    #[arg(long, value_name = "FILE")]
    pub predictions: PathBuf,
    /// Write one scored sample per item (JSONL) here.
    #[arg(long, value_name = "FILE")]
    pub samples: Option<PathBuf>,
    /// A folder the items' images may also lie in, as for `medeval run` (repeatable).
    #[arg(long = "image-root", value_name = "DIR")]
    pub image_roots: Vec<PathBuf>,
    #[command(flatten)]
    pub report: ReportArgs,
}

/// Runs `medeval score`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let options = args.report.options()?;
    let output = args.report.output()?;
    let roots = medeval_data::FileRoots::new(&args.image_roots)?;
    let items = medeval_data::read_items_within(&args.items, &roots)?.items;
    let mut predictions = medeval_data::read_predictions(&args.predictions)?;

    let mut verdicts = Vec::with_capacity(items.len());
    let mut missing = 0usize;
    for item in &items {
        let scored = match predictions.remove(&item.id) {
            Some(prediction) => {
                let completion = Completion {
                    content: prediction.response,
                    reasoning: prediction.reasoning,
                    refusal: prediction.refusal,
                    ..Completion::default()
                };
                medeval_run::score(item, &completion)
            }
            None => {
                missing += 1;
                Scored::error("error:no-prediction")
            }
        };
        verdicts.push(scored);
    }
    if let Some(unknown) = predictions.values().min_by_key(|p| p.line) {
        anyhow::bail!(
            "{}:{}: prediction for id {:?}, which is not an item of {} ({} such prediction(s))",
            args.predictions.display(),
            unknown.line,
            unknown.id,
            args.items.display(),
            predictions.len()
        );
    }
    if missing > 0 {
        eprintln!("warning: {missing} item(s) have no prediction; they are scored as `error`");
    }

    // Named like `medeval run` names a benchmark: after the items file.
    let benchmark = args
        .items
        .file_stem()
        .map_or_else(|| "items".to_owned(), |s| s.to_string_lossy().into_owned());
    let predictions = args.predictions.display().to_string();
    let label = RunLabel {
        label: predictions.clone(),
        source: RunSource::File { path: predictions },
        model: None,
    };
    let run = ScoredRun::of_items(label, Some(benchmark), &items, verdicts);
    if let Some(path) = &args.samples {
        write_samples(path, &run).with_context(|| format!("cannot write {}", path.display()))?;
    }
    print_summary(&summarize(&run, &options), output)?;
    // Items without a prediction are scored as errors, so the run is not complete: the
    // numbers are not final.
    Ok(exit_code(run.is_complete()))
}

fn write_samples(path: &PathBuf, run: &ScoredRun) -> std::io::Result<()> {
    let mut out = BufWriter::new(File::create(path)?);
    for record in &run.records {
        let scored = &record.scored;
        let mut line = json!({
            "benchmark": run.benchmark,
            "id": record.id,
            "answer_type": record.answer_type,
            "answer": record.gold,
            "extracted": scored.extracted,
            "outcome": scored.outcome,
            "rule": scored.rule,
        });
        if !scored.metrics.is_empty() {
            line["metrics"] = json!(scored.metrics);
        }
        if let Some(cluster) = &record.cluster {
            line["cluster"] = json!(cluster);
        }
        if !record.meta.is_empty() {
            line["meta"] = json!(record.meta);
        }
        serde_json::to_writer(&mut out, &line)?;
        out.write_all(b"\n")?;
    }
    out.flush()
}
