//! `medeval run`: a model (or a baseline) over a benchmark, every response stored as it arrives.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use medeval::plan::{self, BenchmarkPlan, BenchmarkRequest, Planned};
use medeval::{
    Connection, EndpointModel, ModelSpec, RunSpec, RunSpecBuilder, Sampling, Session, render,
};
use medeval_core::{ImageEncoding, ImagePolicy, Item, Outcome, PromptTemplate};
use medeval_data::{DataLocation, FileRoots, RowCountPolicy};
use medeval_models::Baseline;
use medeval_probe::Variant;
use medeval_run::{Progress, RunReport};
use medeval_store::{SampleRecord, Store};

use super::bench::CardArgs;
use super::output::{ReportArgs, StoreArgs, exit_code, print_stored_runs};
use super::power::{PlanArgs, print_plan};

/// Arguments of `medeval run`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Items come from a native items file (--items) or from benchmark cards (--bench, see `medeval bench \
list`): one run per benchmark, every benchmark checked (files, columns, rows, row count) before the \
first request. Re-running the same command continues the runs: answered items are not requested \
again, items that ended in error are retried. Exit status: 0 when every item has a response, 3 when \
some are still missing or in error, 1 on failure.")]
pub struct Args {
    /// Benchmark items in medeval's JSONL format (see "Item files" in docs/runs.md).
    #[arg(
        long,
        value_name = "FILE",
        required_unless_present_any = ["bench", "cards"],
        conflicts_with_all = ["bench", "cards"]
    )]
    pub items: Option<PathBuf>,
    /// A folder images may also lie in (repeatable). Without it, an items file's images must lie
    /// in its own folder tree and a benchmark's in its folder (see "Which files medeval opens"
    /// in docs/runs.md).
    #[arg(long = "image-root", value_name = "DIR")]
    pub image_roots: Vec<PathBuf>,
    #[command(flatten)]
    pub bench: BenchArgs,
    #[command(flatten)]
    pub model: ModelArgs,
    #[command(flatten)]
    pub decoding: DecodingArgs,
    #[command(flatten)]
    pub store: StoreArgs,
    #[command(flatten)]
    pub report: ReportArgs,
    #[command(flatten)]
    pub probe: ProbeArgs,
    #[command(
        flatten,
        next_help_heading = "Judge (open answers decided by a second model)"
    )]
    pub judge: super::judge::JudgeArgs,
    /// Only the first N items.
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// Show item counts and the first rendered prompts; call nothing, store nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Print the power plan for comparing this run with another on these items (items needed
    /// for --effect, minimum detectable effect), then exit: call nothing, store nothing.
    #[arg(long, conflicts_with = "dry_run")]
    pub plan: bool,
    /// Start a new run even if an identical one is in the store.
    #[arg(long)]
    pub fresh: bool,
    /// Do not draw a progress bar.
    #[arg(long)]
    pub no_progress: bool,
    // Last: every argument after a heading is listed under it.
    #[command(flatten, next_help_heading = "Planning (with --plan)")]
    pub planning: PlanArgs,
}

/// Benchmarks read through their cards.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct BenchArgs {
    /// Benchmarks by card name, comma-separated or repeated (vqa-rad,slake:lang=zh); one run
    /// each, with one model.
    #[arg(long = "bench", value_name = "NAME", value_delimiter = ',')]
    pub bench: Vec<String>,
    /// The folder of the one benchmark, as downloaded and unpacked.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["data_root", "items"])]
    pub data: Option<PathBuf>,
    /// A folder holding one sub-folder per benchmark, named as `medeval bench list` prints them.
    #[arg(long, value_name = "DIR", conflicts_with = "items")]
    pub data_root: Option<PathBuf>,
    #[command(flatten)]
    pub cards: CardArgs,
    /// Run even when a split's row count differs from the card's (the manifest records it).
    #[arg(long)]
    pub allow_row_count_mismatch: bool,
}

/// Which model answers, and how to reach it.
#[derive(Debug, Clone, clap::Args)]
pub struct ModelArgs {
    /// OpenAI-compatible base URL, e.g. http://localhost:8000/v1 (repeatable: load is shared).
    #[arg(
        long = "endpoint",
        value_name = "URL",
        required_unless_present = "baseline"
    )]
    pub endpoints: Vec<String>,
    /// Model name the endpoint serves.
    #[arg(long, required_unless_present = "baseline")]
    pub model: Option<String>,
    /// A built-in baseline instead of a model: random[:SEED], majority or blind.
    #[arg(long, conflicts_with_all = ["endpoints", "model"], value_name = "NAME")]
    pub baseline: Option<String>,
    /// Environment variable holding the API key (the key itself is never stored).
    #[arg(long, value_name = "VAR")]
    pub api_key_env: Option<String>,
    /// Requests in flight at most (lowered automatically on HTTP 429).
    #[arg(long, default_value_t = 16, value_name = "N")]
    pub concurrency: usize,
    /// Time limit per attempt, in seconds.
    #[arg(long, default_value_t = 600.0, value_name = "SECONDS")]
    pub timeout: f64,
    /// Attempts per request, the first included.
    #[arg(long, default_value_t = 5, value_name = "N")]
    pub max_attempts: u32,
    /// Back-off before the first retry, in milliseconds (doubles per retry, with jitter).
    #[arg(long, default_value_t = 1000, value_name = "MS")]
    pub retry_base_ms: u64,
    /// Largest response body read from a server, in bytes (or with KiB, MiB, GiB); a larger
    /// answer ends its item as an error.
    #[arg(long, default_value = "16MiB", value_name = "BYTES", value_parser = medeval_core::limits::parse_byte_count)]
    pub max_response_bytes: u64,
    /// Start even when an endpoint does not list --model in /models (by id or alias), for
    /// servers that accept names they do not list; the mismatch is printed as a warning.
    #[arg(long)]
    pub no_model_check: bool,
}

/// What is sent: decoding settings, prompt, images.
#[derive(Debug, Clone, clap::Args)]
pub struct DecodingArgs {
    /// Sampling temperature (0 = greedy, the benchmark convention).
    #[arg(long, default_value_t = 0.0)]
    pub temperature: f64,
    /// Nucleus sampling mass (server default when absent).
    #[arg(long)]
    pub top_p: Option<f64>,
    /// Maximum completion tokens (server default when absent).
    #[arg(long)]
    pub max_tokens: Option<u32>,
    /// Sampling seed.
    #[arg(long)]
    pub seed: Option<u64>,
    /// JSON object merged into every request body (e.g. '{"top_k": 1}').
    #[arg(long, value_name = "JSON")]
    pub extra_body: Option<String>,
    /// Prompt templates (TOML with mcq, closed, open, report and optional system keys).
    #[arg(long, value_name = "FILE")]
    pub prompt: Option<PathBuf>,
    /// Image encoding: png (lossless, default), original, or jpeg:QUALITY.
    #[arg(long, default_value = "png", value_name = "FORMAT", value_parser = ImageEncoding::from_str)]
    pub image_format: ImageEncoding,
    /// Downscale images so the longer side is at most this many pixels.
    #[arg(long, value_name = "PIXELS")]
    pub image_max_side: Option<u32>,
    /// Samples per item (repeated sampling; use with temperature > 0).
    #[arg(long, default_value_t = 1, value_name = "K")]
    pub samples_per_item: u32,
    /// Do not read or write the response cache.
    #[arg(long)]
    pub no_cache: bool,
}

/// Robustness probes: variants of the items (see docs/probes.md).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ProbeArgs {
    /// Run variants of the items instead of the items themselves, one run per variant:
    /// circular, permute:K, no-image, blank-image, mismatched-image, corrupt:NAME@S or
    /// corrupt:NAME@A..B (comma-separated or repeated).
    #[arg(long = "variant", value_name = "SPEC", value_delimiter = ',')]
    pub variants: Vec<String>,
    /// Seed of the variants' random choices (permutations, image swaps, corruption noise).
    #[arg(long, default_value_t = 0, value_name = "SEED")]
    pub variant_seed: u64,
}

impl ProbeArgs {
    /// The variants asked for, parsed.
    pub fn parse(&self) -> anyhow::Result<Vec<Variant>> {
        self.variants
            .iter()
            .map(|spec| Variant::parse(spec.trim()).map_err(anyhow::Error::from))
            .collect()
    }
}

impl ModelArgs {
    /// What answers: a baseline, or the model behind the endpoints.
    fn spec(&self) -> anyhow::Result<ModelSpec> {
        if let Some(name) = &self.baseline {
            return Ok(ModelSpec::Baseline(parse_baseline(name)?));
        }
        let name = self
            .model
            .clone()
            .context("--model is required with --endpoint")?;
        let timeout = Duration::try_from_secs_f64(self.timeout)
            .ok()
            .filter(|timeout| !timeout.is_zero())
            .context("--timeout must be a positive number of seconds")?;
        Ok(ModelSpec::Endpoint(EndpointModel {
            endpoints: self.endpoints.clone(),
            name,
            api_key_env: self.api_key_env.clone(),
            connection: Connection {
                concurrency: self.concurrency.max(1),
                timeout,
                max_attempts: self.max_attempts.max(1),
                retry_base: Duration::from_millis(self.retry_base_ms),
                max_response_bytes: self.max_response_bytes,
                check_model: !self.no_model_check,
            },
        }))
    }
}

impl DecodingArgs {
    fn sampling(&self) -> anyhow::Result<Sampling> {
        let extra_body = self
            .extra_body
            .as_deref()
            .map(|text| serde_json::from_str(text).context("--extra-body is not valid JSON"))
            .transpose()?;
        Ok(Sampling {
            temperature: self.temperature,
            top_p: self.top_p,
            max_tokens: self.max_tokens,
            seed: self.seed,
            extra_body,
        })
    }
}

impl Args {
    /// The settings every run of the command shares.
    fn settings(&self) -> anyhow::Result<RunSpecBuilder> {
        let mut settings = RunSpec::builder(self.model.spec()?)
            .sampling(self.decoding.sampling()?)
            .images(ImagePolicy {
                encoding: self.decoding.image_format,
                max_side: self.decoding.image_max_side,
            })
            .samples_per_item(self.decoding.samples_per_item)
            .cache(!self.decoding.no_cache);
        if let Some(path) = &self.decoding.prompt {
            settings = settings.prompt(read_prompt(path)?);
        }
        if let Some(judge) = self.judge.settings()? {
            settings = settings.judge(judge);
        }
        Ok(settings)
    }

    /// How the runs are executed and reported.
    fn execution(&self) -> Execution {
        Execution {
            store: self.store.store.clone(),
            dry_run: self.dry_run,
            fresh: self.fresh,
            progress: !self.no_progress && !self.dry_run,
        }
    }
}

/// Runs `medeval run`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    // Argument problems are reported before anything is read, contacted or written.
    args.report.options()?;
    args.report.output()?;
    match args.items.clone() {
        Some(path) => run_items(&path, args),
        None => run_benchmarks(args),
    }
}

/// `medeval run --items FILE`.
fn run_items(path: &Path, args: Args) -> anyhow::Result<ExitCode> {
    let roots = FileRoots::new(&args.image_roots)?;
    let set = plan::items_file_within(path, args.limit, &roots)?;
    let variants = args.probe.parse()?;
    if args.plan {
        return print_run_plan(&args, &set.items, !variants.is_empty());
    }
    if args.planning.is_given() {
        bail!(
            "--effect, --accuracy, --alpha, --power, --discordance, --design-effect and --test plan a comparison: add --plan"
        );
    }
    let settings = args.settings()?;
    let mut specs = Vec::new();
    for planned in plan::runs_for(&settings, set, &variants, args.probe.variant_seed)? {
        match planned {
            Planned::Run(spec) => specs.push(*spec),
            // With one items file, a variant that applies to none of them is a mistake.
            Planned::NotApplicable { reason, .. } => bail!(reason),
        }
    }
    let execution = args.execution();
    let total = specs.iter().map(RunSpec::samples).sum();
    let mut runner = Runner::new(&execution, total);
    for spec in specs {
        runner.run(spec)?;
    }
    runner.finish(&args.report, true)
}

/// `run --plan`: the power plan for a comparison on these items, before anything is sent.
fn print_run_plan(args: &Args, items: &[Item], has_variants: bool) -> anyhow::Result<ExitCode> {
    let options = args.report.options()?;
    let format = match args.report.output()? {
        super::output::Output::Json => None,
        super::output::Output::Tables(format) => Some(format),
    };
    let judged = medeval::power::judged_items(items);
    let settings = args.planning.settings(options.policy, Some(judged), true)?;
    let plan =
        medeval::power::plan_for_items(items, &settings, args.planning.accuracy, has_variants)?;
    print_plan(&plan, format)?;
    Ok(ExitCode::SUCCESS)
}

/// How a command's runs are executed and reported.
#[derive(Debug, Clone)]
pub struct Execution {
    /// The store file.
    pub store: PathBuf,
    /// Show what would be sent; send and store nothing.
    pub dry_run: bool,
    /// Start new runs even when identical ones are stored.
    pub fresh: bool,
    /// Draw a progress bar (when stderr is a terminal).
    pub progress: bool,
}

/// Executes the runs of one command in one [`Session`] (opened at the first run, so a dry
/// run creates no store), under one progress bar, and prints their summaries together.
pub struct Runner<'e> {
    execution: &'e Execution,
    bar: BarProgress,
    session: Option<Session>,
    run_ids: Vec<String>,
}

impl<'e> Runner<'e> {
    /// A runner for about `samples` samples (the bar is corrected as benchmarks load).
    pub fn new(execution: &'e Execution, samples: u64) -> Self {
        Self {
            execution,
            bar: BarProgress::new(execution.progress, samples),
            session: None,
            run_ids: Vec::new(),
        }
    }

    /// Runs one spec to the end (or to Ctrl-C), or prints it for a dry run.
    pub fn run(&mut self, spec: RunSpec) -> anyhow::Result<()> {
        if let Some(variant) = spec.variant() {
            if spec.left_out() > 0 && !spec.items().is_empty() {
                self.bar.suspend(|| {
                    eprintln!(
                        "note: {}: {variant} applies to {} only; {} other item(s) are left out",
                        spec.manifest().items.benchmark,
                        variant.applies_to(),
                        spec.left_out()
                    );
                });
            }
        }
        if self.execution.dry_run {
            out!("{}", spec.dry_run_text())?;
            return Ok(());
        }
        let session = match &mut self.session {
            Some(session) => session,
            None => self.session.insert(
                Session::new(&self.execution.store)?
                    .with_notices(|notice| eprintln!("note: {}", super::terminal_text(notice))),
            ),
        };
        let warnings = session.connect(&spec)?;
        self.bar.suspend(|| {
            for warning in warnings {
                eprintln!("warning: {}", super::terminal_text(&warning));
            }
        });
        self.bar.begin(&spec.label());
        let report = session.run(spec, self.execution.fresh, &self.bar, stop_requested())?;
        self.bar
            .suspend(|| print_invocation(&report, self.execution.fresh));
        self.run_ids.push(report.run_id);
        Ok(())
    }

    /// The ids of the runs made so far, in order.
    pub fn run_ids(&self) -> &[String] {
        &self.run_ids
    }

    /// A benchmark was loaded: its estimated sample count is replaced by the real one.
    pub fn correct_estimate(&self, estimated: u64, actual: u64) {
        self.bar.correct_estimate(estimated, actual);
    }

    /// Ends the command: clears the bar, reports endpoint health, prints every run's summary
    /// (one JSON object rather than an array when `single` and there is one run), and returns
    /// the exit status: 3 while some run is incomplete.
    pub fn finish(self, report: &ReportArgs, single: bool) -> anyhow::Result<ExitCode> {
        self.bar.finish();
        let Some(session) = self.session else {
            return Ok(ExitCode::SUCCESS);
        };
        for (_, health) in session.endpoint_health() {
            for line in render::endpoint_health_lines(&health) {
                eprintln!("{line}");
            }
        }
        let Some(store) = session.into_store() else {
            return Ok(ExitCode::SUCCESS);
        };
        let complete = print_stored_runs(&store, &self.run_ids, report, !single)?;
        Ok(exit_code(complete))
    }

    /// Ends the runs without printing summaries, returning the store they were written to.
    pub fn into_store(self) -> Option<Store> {
        self.bar.finish();
        self.session.and_then(Session::into_store)
    }
}

/// `medeval run --bench ...`: every benchmark verified first, then loaded and run one at a
/// time, under one progress bar; the summaries are printed together at the end.
fn run_benchmarks(args: Args) -> anyhow::Result<ExitCode> {
    let variants = args.probe.parse()?;
    let request = BenchmarkRequest {
        names: args.bench.bench.clone(),
        cards: args.bench.cards.cards()?,
        card_files: args.bench.cards.cards.clone(),
        selections: args.bench.cards.selections()?,
        data: match (&args.bench.data, &args.bench.data_root) {
            (Some(dir), _) => Some(DataLocation::Folder(dir.clone())),
            (None, Some(root)) => Some(DataLocation::Root(root.clone())),
            (None, None) => None,
        },
        row_counts: if args.bench.allow_row_count_mismatch {
            RowCountPolicy::AllowMismatch
        } else {
            RowCountPolicy::Enforce
        },
        by: args.report.by.clone(),
        image_roots: FileRoots::new(&args.image_roots)?,
    };
    let settings = args.settings()?;
    let benchmarks = BenchmarkPlan::resolve(&request, |verified| {
        eprintln!("{}", medeval::cards::verified_line(verified));
    })?;
    let estimates: Vec<u64> = benchmarks
        .benchmarks()
        .iter()
        .map(|benchmark| {
            let rows = benchmark.verified().record.rows;
            args.limit.map_or(rows, |limit| limit.min(rows)) as u64
                * u64::from(args.decoding.samples_per_item.max(1))
                * variants.len().max(1) as u64
        })
        .collect();
    let execution = args.execution();
    let mut runner = Runner::new(&execution, estimates.iter().sum());
    for (benchmark, estimate) in benchmarks.benchmarks().iter().zip(estimates) {
        let items = benchmark.load(args.limit)?;
        let planned = plan::runs_for(&settings, items, &variants, args.probe.variant_seed)?;
        let mut specs = Vec::with_capacity(planned.len());
        for planned in planned {
            match planned {
                Planned::Run(spec) => specs.push(*spec),
                Planned::NotApplicable {
                    benchmark, reason, ..
                } => eprintln!("note: {benchmark}: {reason}; no run"),
            }
        }
        runner.correct_estimate(estimate, specs.iter().map(RunSpec::samples).sum());
        for spec in specs {
            runner.run(spec)?;
        }
    }
    runner.finish(&args.report, false)
}

fn parse_baseline(name: &str) -> anyhow::Result<Baseline> {
    Baseline::parse(name).with_context(|| {
        format!(
            "unknown baseline {name:?}; expected one of {} (random takes an optional :SEED)",
            Baseline::NAMES.join(", ")
        )
    })
}

fn read_prompt(path: &Path) -> anyhow::Result<PromptTemplate> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read prompt templates {}", path.display()))?;
    toml::from_str(&text).with_context(|| format!("{}: invalid prompt templates", path.display()))
}

/// What one invocation of a run did, printed when it ends (see [`render::invocation_lines`]).
fn print_invocation(report: &RunReport, fresh: bool) {
    for line in render::invocation_lines(report, fresh) {
        eprintln!("{line}");
    }
}

/// Completes when the user or a scheduler asks the process to stop: Ctrl-C (SIGINT) or SIGTERM,
/// which Slurm, Kubernetes and `kill` send. Either way the run ends gracefully: what is stored
/// stays, the run is marked incomplete, and the same command continues it.
async fn stop_requested() {
    // If a handler cannot be installed, that signal simply cannot stop the run gracefully.
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    () = ctrl_c => {}
                    _ = terminate.recv() => {}
                }
            }
            Err(_) => ctrl_c.await,
        }
    }
    #[cfg(not(unix))]
    ctrl_c.await;
}

/// One progress bar for every run of a command: its length is the samples still to request
/// over all runs (estimated for benchmarks not loaded yet, corrected as each is), its prefix the
/// benchmark being run, its message live accuracy, failures and request rate.
struct BarProgress {
    bar: ProgressBar,
    correct: AtomicU64,
    judged: AtomicU64,
    failed: AtomicU64,
    started: Instant,
}

impl BarProgress {
    fn new(enabled: bool, total: u64) -> Self {
        let bar = if enabled {
            ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr())
        } else {
            ProgressBar::hidden()
        };
        bar.set_length(total);
        bar.set_style(
            ProgressStyle::with_template("{prefix} {bar:30} {pos}/{len} · {msg} · ETA {eta}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        Self {
            bar,
            correct: AtomicU64::new(0),
            judged: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            started: Instant::now(),
        }
    }

    /// A new run starts: its name becomes the prefix.
    fn begin(&self, label: &str) {
        self.bar.set_prefix(label.to_owned());
    }

    /// A benchmark was loaded: replace its estimated sample count by the real one.
    fn correct_estimate(&self, estimated: u64, actual: u64) {
        let length = self.bar.length().unwrap_or(0);
        self.bar
            .set_length((length + actual).saturating_sub(estimated));
    }

    /// Prints a line without tearing the bar.
    fn suspend(&self, print: impl FnOnce()) {
        self.bar.suspend(print);
    }

    fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl Progress for BarProgress {
    fn retry_pause(&self, pause: &medeval_run::RetryPause) {
        // A server that asks for a long wait would otherwise stall the run without a word.
        self.bar.suspend(|| eprintln!("note: {pause}"));
    }

    fn took_over(&self, run_id: &str, from: &medeval_store::TakenOver) {
        // The earlier worker was stopped without releasing the run: say whose run this was.
        self.bar.suspend(|| {
            eprintln!(
                "note: run {run_id} was held by {}; {}, so this command took it over",
                from.holder, from.staleness
            );
        });
    }

    fn start(&self, run_id: &str, total: u64, pending: u64, resumed: bool) {
        // Samples answered by an earlier invocation are not requested again.
        let length = self.bar.length().unwrap_or(0);
        self.bar
            .set_length(length.saturating_sub(total.saturating_sub(pending)));
        let line = render::start_line(run_id, total, pending, resumed);
        self.bar.suspend(|| eprintln!("{line}"));
    }

    fn sample(&self, record: &SampleRecord) {
        match record.scored.outcome {
            Outcome::Correct => {
                self.correct.fetch_add(1, Ordering::Relaxed);
                self.judged.fetch_add(1, Ordering::Relaxed);
            }
            Outcome::Error => {
                self.failed.fetch_add(1, Ordering::Relaxed);
            }
            // A report is not judged: it does not move the running accuracy.
            Outcome::Generated => {}
            _ => {
                self.judged.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.bar.inc(1);
        let judged = self.judged.load(Ordering::Relaxed).max(1);
        let rate = self.bar.position() as f64 / self.started.elapsed().as_secs_f64().max(1e-3);
        self.bar.set_message(format!(
            "acc {:.1}% · failed {} · {rate:.1} req/s",
            self.correct.load(Ordering::Relaxed) as f64 * 100.0 / judged as f64,
            self.failed.load(Ordering::Relaxed),
        ));
    }
}
