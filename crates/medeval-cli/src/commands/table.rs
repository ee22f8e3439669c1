//! `medeval table`: stored runs side by side, one row per model and one column per benchmark.

use std::process::ExitCode;

use anyhow::{Context, bail};
use medeval::runs::{RunLoader, label_differing_settings};
use medeval_core::RunManifest;
use medeval_report::{
    IntervalChoice, Layout, PaperOptions, STUDY_2507_11200, ScoredRun, paper_table, render_tables,
};

use super::output::StoreArgs;
use super::values::{NonAnswers, OutputFormat};

/// Arguments of `medeval table`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Every cell is the accuracy (%) of one run with its interval and n. Intervals are Wilson, or \
cluster-robust (marked †) for benchmarks whose items share a cluster key such as an image, as \
`medeval show` chooses them; a cell with fewer than 30 clusters gets the cluster bound instead \
(marked ‡); the table's title says which. Two runs of one model on one benchmark cannot share a cell. \
Report-generation runs (IU X-Ray, MIMIC-CXR, CheXpert Plus) get a second table: BLEU-1..4, \
METEOR, ROUGE-L and CIDEr-D per benchmark, each with its bootstrap interval.")]
pub struct Args {
    /// Runs (ids or unique id prefixes; STORE:RUN for a run of another store); models and
    /// benchmarks appear in this order. Runs of one model on one benchmark that differ in a
    /// setting (temperature, prompt, ...) get a row each, named by that setting.
    #[arg(required = true, value_name = "RUN")]
    pub runs: Vec<String>,
    #[command(flatten)]
    pub store: StoreArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table, value_name = "FORMAT")]
    pub format: OutputFormat,
    /// Sub-columns per value of these fields where a benchmark has several (comma-separated or
    /// repeated): answer_type for open/closed, question_type for understanding/reasoning ...
    #[arg(long, value_name = "FIELD", value_delimiter = ',')]
    pub sub: Vec<String>,
    /// A built-in layout instead of one column per benchmark: 2507.11200 (the seven benchmarks
    /// of arXiv 2507.11200, MedXpertQA-MM split into understanding and reasoning).
    #[arg(long, value_name = "NAME", conflicts_with = "sub")]
    pub layout: Option<String>,
    /// Interval method: auto is cluster-robust where items carry cluster keys, Wilson
    /// elsewhere.
    #[arg(long, value_enum, default_value_t = TableInterval::Auto, value_name = "METHOD")]
    pub ci: TableInterval,
    /// Confidence level of intervals.
    #[arg(long, default_value_t = 0.95, value_name = "LEVEL")]
    pub confidence: f64,
    /// How unparsed, refused and error samples enter accuracy.
    #[arg(long, value_enum, default_value_t = NonAnswers::CountAsWrong, value_name = "POLICY")]
    pub non_answers: NonAnswers,
    /// Lay out runs that still have items without a response (their cells cover the answered
    /// items only).
    #[arg(long)]
    pub allow_incomplete: bool,
}

/// `--ci` of `table`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TableInterval {
    /// Cluster-robust where items carry cluster keys, Wilson elsewhere.
    Auto,
    /// Wilson score interval.
    Wilson,
    /// Cluster-robust (sandwich) standard error.
    #[value(alias = "cluster-robust")]
    Cluster,
}

/// Runs `medeval table`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let options = options(&args)?;
    let format = args.format.tables(false);
    let layout = match &args.layout {
        None => Layout::Auto {
            sub: args.sub.clone(),
        },
        Some(name) => Layout::named(name).with_context(|| {
            format!("unknown --layout {name:?}; the built-in layout is {STUDY_2507_11200}")
        })?,
    };
    let mut loader = RunLoader::new(&args.store.store);
    let mut loaded: Vec<(ScoredRun, RunManifest)> = Vec::with_capacity(args.runs.len());
    for selector in &args.runs {
        let (label, run) = loader.load_stored_run(selector)?;
        if loaded.iter().any(|(run, _)| run.label.label == label) {
            bail!("run {label} is given twice");
        }
        let mut scored = medeval::scored_run(&run);
        scored.label.label = label;
        loaded.push((scored, run.manifest));
    }
    label_differing_settings(&mut loaded);
    let runs: Vec<ScoredRun> = loaded.into_iter().map(|(run, _)| run).collect();
    for run in &runs {
        let missing = run.missing_items();
        if missing > 0 {
            if !args.allow_incomplete {
                bail!(
                    "run {} has {missing} item(s) without a response; finish it with the same \
                     `medeval run` command, or pass --allow-incomplete",
                    run.label.label
                );
            }
            eprintln!(
                "note: run {} has {missing} item(s) without a response; its cells cover the others",
                run.label.label
            );
        }
    }
    let table = paper_table(&runs, &layout, &options)?;
    if !table.unplaced.is_empty() {
        eprintln!(
            "note: layout {} has no column for {}",
            table.layout,
            table.unplaced.join(", ")
        );
    }
    match format {
        None => outln!("{}", serde_json::to_string_pretty(&table)?)?,
        Some(format) => out!("{}", render_tables(&table.to_tables(&options), format))?,
    }
    Ok(ExitCode::SUCCESS)
}

fn options(args: &Args) -> anyhow::Result<PaperOptions> {
    let interval = match args.ci {
        TableInterval::Auto => IntervalChoice::Auto,
        TableInterval::Wilson => IntervalChoice::Wilson,
        TableInterval::Cluster => IntervalChoice::ClusterRobust,
    };
    let policy = args.non_answers.into();
    if !(args.confidence > 0.0 && args.confidence < 1.0) {
        bail!(
            "--confidence must be between 0 and 1, got {}",
            args.confidence
        );
    }
    Ok(PaperOptions {
        policy,
        confidence: args.confidence,
        interval,
    })
}
