//! What `run`, `show`, `score` and `demo` share: how results are summarised and printed.

use std::path::PathBuf;

use anyhow::{Context, bail};
use medeval::{RunSummary, render, summarize_stored};
use medeval_report::{
    Format, Summary, SummaryOptions, TidySource, push_tidy_rows, render_tables, summary_tables,
    tidy_table,
};
use medeval_stats::Bootstrap;

use super::values::{IntervalMethod, NonAnswers, OutputFormat};
use medeval_store::Store;

/// The default store file, in the current directory.
pub const DEFAULT_STORE: &str = "medeval.db";

/// Where runs are stored.
#[derive(Debug, Clone, clap::Args)]
pub struct StoreArgs {
    /// The run store (an SQLite file); `medeval run` creates it when it does not exist.
    #[arg(long, default_value = DEFAULT_STORE, value_name = "FILE")]
    pub store: PathBuf,
}

/// How results are summarised and printed.
#[derive(Debug, Clone, clap::Args)]
pub struct ReportArgs {
    /// Break results down by this item field (repeatable, shown in the order given);
    /// `answer_type` always works.
    #[arg(long = "by", value_name = "FIELD")]
    pub by: Vec<String>,
    /// Print the summary as one JSON object.
    #[arg(long)]
    pub json: bool,
    /// Output format; csv is one tidy table, a number per row (see docs/runs.md).
    #[arg(long, value_enum, default_value_t = OutputFormat::Table, value_name = "FORMAT")]
    pub format: OutputFormat,
    /// Interval method for accuracy: auto is cluster-robust where items carry cluster keys and
    /// Wilson elsewhere, as in `medeval table`; cluster methods with fewer than 30 clusters give
    /// the cluster bound instead, and say so.
    #[arg(long, value_enum, default_value_t = IntervalMethod::Auto, value_name = "METHOD")]
    pub ci: IntervalMethod,
    /// Confidence level of intervals.
    #[arg(long, default_value_t = 0.95, value_name = "LEVEL")]
    pub confidence: f64,
    /// How unparsed, refused and error samples enter accuracy.
    #[arg(long, value_enum, default_value_t = NonAnswers::CountAsWrong, value_name = "POLICY")]
    pub non_answers: NonAnswers,
    /// Bootstrap replicates (bootstrap intervals only).
    #[arg(long, default_value_t = 10_000, value_name = "N")]
    pub replicates: u32,
    /// Bootstrap seed (bootstrap accuracy intervals and report metric intervals); recorded in
    /// the output.
    #[arg(long, default_value_t = medeval_stats::DEFAULT_SEED, value_name = "SEED")]
    pub bootstrap_seed: u64,
}

/// How to print.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// One JSON document.
    Json,
    /// Tables in a format.
    Tables(Format),
}

impl ReportArgs {
    /// The summary options these arguments ask for.
    pub fn options(&self) -> anyhow::Result<SummaryOptions> {
        let bootstrap = Bootstrap {
            replicates: self.replicates,
            seed: self.bootstrap_seed,
        };
        let ci = self.ci.method(bootstrap);
        let policy = self.non_answers.into();
        if !(self.confidence > 0.0 && self.confidence < 1.0) {
            bail!(
                "--confidence must be between 0 and 1, got {}",
                self.confidence
            );
        }
        Ok(SummaryOptions {
            policy,
            ci,
            confidence: self.confidence,
            by: self.by.clone(),
            report_seed: self.bootstrap_seed,
        })
    }

    /// Where and how to print.
    pub fn output(&self) -> anyhow::Result<Output> {
        Ok(self
            .format
            .tables(self.json)
            .map_or(Output::Json, Output::Tables))
    }
}

/// A stored run's summary, rendered as [`ReportArgs`] ask.
#[derive(Debug)]
pub struct RenderedRun {
    /// Whether every item has a final response.
    pub complete: bool,
    /// The summary the renderings come from.
    pub summary: RunSummary,
    /// The JSON document (always built; printed for `--json`).
    pub json: serde_json::Value,
    /// The tables as text (for the table formats).
    pub text: String,
}

/// Summarises a stored run for printing.
pub fn render_stored_run(
    store: &Store,
    run_id: &str,
    args: &ReportArgs,
) -> anyhow::Result<RenderedRun> {
    let options = args.options()?;
    let output = args.output()?;
    let run = store.load_run(run_id)?;
    let summary = summarize_stored(&run, &options);
    for warning in render::absent_field_warnings(&run, &options.by) {
        eprintln!("warning: {warning}");
    }
    let text = match output {
        // One tidy table over all runs: see `print_stored_runs`.
        Output::Json | Output::Tables(Format::Csv) => String::new(),
        Output::Tables(format) => render::summary_text(&run, &summary, format),
    };
    let complete = summary.complete;
    let json = serde_json::to_value(&summary)?;
    Ok(RenderedRun {
        complete,
        summary,
        json,
        text,
    })
}

/// Prints the summaries of several stored runs: one after another as tables, or as one JSON
/// value (an array, or a single object for one run unless `always_array`). Returns whether all
/// are complete.
pub fn print_stored_runs(
    store: &Store,
    run_ids: &[String],
    args: &ReportArgs,
    always_array: bool,
) -> anyhow::Result<bool> {
    let rendered = run_ids
        .iter()
        .map(|id| render_stored_run(store, id, args))
        .collect::<anyhow::Result<Vec<_>>>()?;
    if args.output()? == Output::Json {
        let documents: Vec<&serde_json::Value> = rendered.iter().map(|r| &r.json).collect();
        let value = match documents.as_slice() {
            [one] if !always_array => serde_json::to_string_pretty(one)?,
            many => serde_json::to_string_pretty(many)?,
        };
        outln!("{value}")?;
    } else if args.output()? == Output::Tables(Format::Csv) {
        let mut table = tidy_table();
        for run in &rendered {
            run.summary.push_tidy_rows(&mut table);
        }
        out!("{}", table.render(Format::Csv))?;
    } else {
        let texts: Vec<&str> = rendered.iter().map(|r| r.text.as_str()).collect();
        out!("{}", texts.join("\n"))?;
    }
    Ok(rendered.iter().all(|r| r.complete))
}

/// Exit status of a command that reports runs: 3 (`EXIT_INCOMPLETE`) while some run has samples
/// in error or without a response, as `medeval run` promises.
pub fn exit_code(complete: bool) -> std::process::ExitCode {
    if complete {
        std::process::ExitCode::SUCCESS
    } else {
        std::process::ExitCode::from(EXIT_INCOMPLETE)
    }
}

/// Exit code of a command whose runs (or scored samples) are not all complete yet.
pub const EXIT_INCOMPLETE: u8 = 3;

/// Prints a stored run's summary. Returns whether the run is complete.
pub fn print_stored_run(store: &Store, run_id: &str, args: &ReportArgs) -> anyhow::Result<bool> {
    print_stored_runs(store, &[run_id.to_owned()], args, false)
}

/// Writes every sample of a stored run as a CSV file for pandas or a spreadsheet (`show
/// --samples-csv`); returns the number of rows written.
pub fn write_samples_csv(
    store: &Store,
    run_id: &str,
    path: &std::path::Path,
) -> anyhow::Result<usize> {
    let run = store.load_run(run_id)?;
    let table = medeval::summary::samples_table(&run);
    std::fs::write(path, table.render(Format::Csv)).with_context(|| {
        format!(
            "cannot write the samples of run {run_id} to {}; check that its folder exists and is writable",
            path.display()
        )
    })?;
    Ok(table.rows.len())
}

/// Prints a summary of samples that are not in a store (offline scoring).
pub fn print_summary(summary: &Summary, output: Output) -> anyhow::Result<()> {
    match output {
        Output::Json => outln!("{}", serde_json::to_string_pretty(summary)?)?,
        Output::Tables(Format::Csv) => {
            let mut table = tidy_table();
            let source = TidySource {
                run: "",
                benchmark: "",
                model: "",
            };
            push_tidy_rows(&mut table, source, summary, None);
            out!("{}", table.render(Format::Csv))?;
        }
        Output::Tables(format) => out!("{}", render_tables(&summary_tables(summary), format))?,
    }
    Ok(())
}
