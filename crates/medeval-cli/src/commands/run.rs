//! `medeval run`: a model (or a baseline) over a benchmark, every response stored as it arrives.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use medeval_core::{
    AnswerType, Decoding, ImageEncoding, ImagePolicy, Item, ItemsSource, ModelKind, ModelRecord,
    Outcome, PromptTemplate, RunManifest,
};
use medeval_data::{BenchSpec, Card, DataLocation, RowCountPolicy, Verified, find_card};
use medeval_models::{ApiKey, Baseline, ChatClient, ClientConfig};
use medeval_run::{Answerer, Progress, RunPlan, RunReport, execute};
use medeval_store::{SampleRecord, Store};

use medeval_probe::{Variant, VariantError};

use medeval_report::{BaselineFacts, plan_power};

use super::bench::CardArgs;
use super::output::{ReportArgs, StoreArgs, print_stored_run, print_stored_runs};
use super::power::{PlanArgs, print_plan};

/// Exit code of a run that ended with samples still in error or missing.
pub const EXIT_INCOMPLETE: u8 = 3;

/// Arguments of `medeval run`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Items come from a native items file (--items) or from benchmark cards (--bench, see `medeval bench \
list`): one run per benchmark, every benchmark checked (files, columns, rows, row count) before the \
first request. Re-running the same command continues the runs: answered items are not requested \
again, items that ended in error are retried. Exit status: 0 when every item has a response, 3 when \
some are still missing or in error, 1 on failure.")]
pub struct Args {
    /// Benchmark items in medeval's JSONL format (see docs/item-format.md).
    #[arg(
        long,
        value_name = "FILE",
        required_unless_present_any = ["bench", "cards"],
        conflicts_with_all = ["bench", "cards"]
    )]
    pub items: Option<PathBuf>,
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
    #[command(flatten, next_help_heading = "Planning (with --plan)")]
    pub planning: PlanArgs,
    /// Start a new run even if an identical one is in the store.
    #[arg(long)]
    pub fresh: bool,
    /// Do not draw a progress bar.
    #[arg(long)]
    pub no_progress: bool,
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
    #[arg(long, default_value = "png", value_name = "FORMAT")]
    pub image_format: String,
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

/// Runs `medeval run`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.items.clone() {
        Some(path) => run_items(&path, args),
        None => run_benchmarks(args),
    }
}

/// `medeval run --items FILE`.
fn run_items(path: &Path, args: Args) -> anyhow::Result<ExitCode> {
    let file = medeval_data::read_items(path)?;
    let benchmark = file
        .path
        .file_stem()
        .map_or_else(|| "items".to_owned(), |s| s.to_string_lossy().into_owned());
    let source = ItemsSource {
        benchmark,
        path: path.display().to_string(),
        sha256: file.sha256,
        count: file.items.len(),
        limit: args.limit,
        card: None,
    };
    let mut items = file.items;
    if let Some(limit) = args.limit {
        items.truncate(limit);
    }
    let variants = args.probe.parse()?;
    if args.plan {
        return print_run_plan(&args, &items, !variants.is_empty());
    }
    if args.planning.is_given() {
        bail!(
            "--effect, --accuracy, --alpha, --power, --discordance, --design-effect and --test plan a comparison: add --plan"
        );
    }
    let job = Job {
        source,
        items,
        model: args.model,
        decoding: args.decoding,
        store: args.store.store,
        report: args.report,
        dry_run: args.dry_run,
        fresh: args.fresh,
        progress: !args.no_progress,
        variant: None,
        prompt: None,
    };
    if variants.is_empty() {
        return job.execute();
    }
    let jobs = variants
        .into_iter()
        .map(|variant| job.with_variant(variant, args.probe.variant_seed))
        .collect::<anyhow::Result<Vec<_>>>()?;
    execute_all(jobs)
}

/// The accuracy `--plan` assumes without `--accuracy`: under independent errors the discordance
/// is largest near 1/2, so the plan is close to the most conservative.
const PLAN_DEFAULT_ACCURACY: f64 = 0.5;

/// `run --plan`: the power plan for a comparison on these items, before anything is sent.
fn print_run_plan(args: &Args, items: &[Item], has_variants: bool) -> anyhow::Result<ExitCode> {
    let options = args.report.options()?;
    let format = match args.report.output()? {
        super::output::Output::Json => None,
        super::output::Output::Tables(format) => Some(format),
    };
    let judged = items
        .iter()
        .filter(|item| item.answer_type != AnswerType::Report)
        .count() as u64;
    let settings = args.planning.settings(options.policy, Some(judged), true)?;
    let accuracy = args.planning.accuracy.unwrap_or(PLAN_DEFAULT_ACCURACY);
    let baseline = BaselineFacts::assumed(accuracy, options.policy);
    let mut plan = plan_power(baseline, &settings)?;
    if args.planning.accuracy.is_none() {
        plan.notes.push(format!(
            "accuracy {PLAN_DEFAULT_ACCURACY} assumed (near the most conservative); --accuracy sets it"
        ));
    }
    let keys: std::collections::HashSet<&str> = items
        .iter()
        .filter_map(|item| item.cluster.as_deref())
        .collect();
    if !keys.is_empty() && args.planning.design_effect.is_none() {
        plan.notes.push(format!(
            "the items share {} cluster keys; the design effect is not known before a run (--design-effect, from `medeval show RUN --ci cluster`)",
            keys.len()
        ));
    }
    let report_items = items.len() as u64 - judged;
    if report_items > 0 {
        plan.notes.push(format!(
            "{report_items} report item(s) are not judged right or wrong and are not counted"
        ));
    }
    if has_variants {
        plan.notes.push(
            "planned for the items themselves; each --variant is a run of its own".to_owned(),
        );
    }
    print_plan(&plan, format)?;
    Ok(ExitCode::SUCCESS)
}

/// Runs several jobs one after another and prints their summaries together.
pub fn execute_all(jobs: Vec<Job>) -> anyhow::Result<ExitCode> {
    let Some(first) = jobs.first() else {
        return Ok(ExitCode::SUCCESS);
    };
    let report_args = first.report.clone();
    report_args.options()?;
    report_args.output()?;
    if first.dry_run {
        for job in &jobs {
            print_dry_run(&job.manifest()?, &job.items)?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    let total = jobs.iter().map(Job::samples).sum();
    let bar = BarProgress::new(first.progress, total);
    let mut store = None;
    let mut run_ids = Vec::new();
    for job in jobs {
        bar.begin(&job.label());
        let (opened, report) = job.start_with(&bar)?;
        bar.suspend(|| print_invocation(&report));
        run_ids.push(report.run_id);
        store = Some(opened);
    }
    bar.finish();
    let Some(store) = store else {
        return Ok(ExitCode::SUCCESS);
    };
    let complete = print_stored_runs(&store, &run_ids, &report_args, false)?;
    Ok(exit_code(complete))
}

fn exit_code(complete: bool) -> ExitCode {
    if complete {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_INCOMPLETE)
    }
}

/// One benchmark of a `--bench` run, resolved to its card, options and folder.
struct Benchmark {
    card: Card,
    selections: BTreeMap<String, String>,
    dir: PathBuf,
}

/// `medeval run --bench ...`: every benchmark verified first, then loaded and run one at a
/// time, under one progress bar; the summaries are printed together at the end.
fn run_benchmarks(args: Args) -> anyhow::Result<ExitCode> {
    let benchmarks = resolve_benchmarks(&args.bench)?;
    check_breakdown_fields(&benchmarks, &args.report.by)?;
    args.report.options()?;
    args.report.output()?;
    let variants = args.probe.parse()?;
    let policy = if args.bench.allow_row_count_mismatch {
        RowCountPolicy::AllowMismatch
    } else {
        RowCountPolicy::Enforce
    };

    // Every benchmark is checked before the first request: a wrong folder or row count found
    // after hours of requests to the benchmarks before it would waste them.
    let mut estimates = Vec::with_capacity(benchmarks.len());
    for benchmark in &benchmarks {
        let verified = medeval_data::verify(
            &benchmark.card,
            &benchmark.selections,
            &benchmark.dir,
            policy,
        )?;
        eprintln!("{}", describe_verified(&verified));
        let rows = args.limit.map_or(verified.record.rows, |limit| {
            limit.min(verified.record.rows)
        });
        estimates.push(
            rows as u64
                * u64::from(args.decoding.samples_per_item.max(1))
                * variants.len().max(1) as u64,
        );
    }

    let bar = BarProgress::new(!args.no_progress && !args.dry_run, estimates.iter().sum());
    let mut store = None;
    let mut run_ids = Vec::new();
    for (benchmark, estimate) in benchmarks.iter().zip(estimates) {
        let loaded = medeval_data::load(
            &benchmark.card,
            &benchmark.selections,
            &benchmark.dir,
            policy,
        )?;
        let source = ItemsSource {
            benchmark: loaded.benchmark.clone(),
            path: benchmark.dir.display().to_string(),
            sha256: loaded.fingerprint.clone(),
            count: loaded.items.len(),
            limit: args.limit,
            card: Some(loaded.record.clone()),
        };
        let mut items = loaded.items;
        if let Some(limit) = args.limit {
            items.truncate(limit);
        }
        let job = Job {
            source,
            items,
            model: args.model.clone(),
            decoding: args.decoding.clone(),
            store: args.store.store.clone(),
            report: args.report.clone(),
            dry_run: args.dry_run,
            fresh: args.fresh,
            progress: !args.no_progress,
            variant: None,
            prompt: Some(benchmark.card.prompt()),
        };
        let mut jobs = Vec::with_capacity(variants.len().max(1));
        for variant in &variants {
            match job.with_variant(variant.clone(), args.probe.variant_seed) {
                Ok(varied) => jobs.push(varied),
                // In a multi-benchmark run a variant may suit some benchmarks and not others.
                Err(error)
                    if matches!(
                        error.downcast_ref::<VariantError>(),
                        Some(VariantError::NotApplicable(_))
                    ) =>
                {
                    eprintln!("note: {}: {error}; no run", job.source.benchmark);
                }
                Err(error) => return Err(error),
            }
        }
        if variants.is_empty() {
            jobs.push(job);
        }
        if args.dry_run {
            for job in &jobs {
                print_dry_run(&job.manifest()?, &job.items)?;
            }
            continue;
        }
        bar.correct_estimate(estimate, jobs.iter().map(Job::samples).sum());
        for job in jobs {
            bar.begin(&job.label());
            let (opened, report) = job.start_with(&bar)?;
            bar.suspend(|| print_invocation(&report));
            run_ids.push(report.run_id);
            store = Some(opened);
        }
    }
    bar.finish();
    let Some(store) = store else {
        return Ok(ExitCode::SUCCESS);
    };
    let complete = print_stored_runs(&store, &run_ids, &args.report, true)?;
    Ok(exit_code(complete))
}

/// The cards, options and folders of `--bench`, `--card`, `--data`/`--data-root`.
fn resolve_benchmarks(args: &BenchArgs) -> anyhow::Result<Vec<Benchmark>> {
    let cards = args.cards.cards()?;
    let mut specs = args
        .bench
        .iter()
        .filter(|name| !name.trim().is_empty())
        .map(|name| BenchSpec::parse(name))
        .collect::<Result<Vec<_>, _>>()?;
    if specs.is_empty() {
        // `--card FILE` alone runs the user's cards.
        for path in &args.cards.cards {
            let card = Card::from_file(path)?;
            specs.push(BenchSpec::parse(card.name())?);
        }
    }
    if specs.is_empty() {
        bail!("name the benchmarks to run with --bench (see `medeval bench list`)");
    }
    let location = match (&args.data, &args.data_root) {
        (Some(dir), _) => DataLocation::Folder(dir.clone()),
        (None, Some(root)) => DataLocation::Root(root.clone()),
        (None, None) => bail!(
            "--bench needs the data: --data DIR (one benchmark's folder) or --data-root DIR (one \
             sub-folder per benchmark, named as `medeval bench list` prints them)"
        ),
    };
    let global = args.cards.selections()?;
    let chosen = specs
        .iter()
        .map(|spec| find_card(&cards, &spec.name))
        .collect::<Result<Vec<_>, _>>()?;
    medeval_data::check_global_selections(&chosen, &global)?;
    let mut benchmarks: Vec<Benchmark> = Vec::with_capacity(specs.len());
    for (spec, card) in specs.iter().zip(chosen) {
        let selections = card.resolve_selections(&spec.selections_for(card, &global))?;
        let name = card.benchmark_name(&selections);
        if benchmarks
            .iter()
            .any(|b| b.card.benchmark_name(&b.selections) == name)
        {
            bail!("--bench names {name} twice");
        }
        benchmarks.push(Benchmark {
            dir: location.folder_for(card, specs.len())?,
            card: card.clone(),
            selections,
        });
    }
    Ok(benchmarks)
}

/// `--by` fields must be fields of at least one of the benchmarks: a misspelt field would
/// otherwise print one `(missing)` group and look like a result.
fn check_breakdown_fields(benchmarks: &[Benchmark], by: &[String]) -> anyhow::Result<()> {
    for field in by {
        if !benchmarks
            .iter()
            .any(|b| b.card.breakdown_fields().contains(field))
        {
            let mut known: Vec<String> = benchmarks
                .iter()
                .flat_map(|b| b.card.breakdown_fields())
                .collect();
            known.sort();
            known.dedup();
            bail!(
                "--by {field}: not a field of {}; fields: {}",
                benchmarks
                    .iter()
                    .map(|b| b.card.name())
                    .collect::<Vec<_>>()
                    .join(", "),
                known.join(", ")
            );
        }
    }
    Ok(())
}

/// One line per verified benchmark: rows against the card, files hashed.
fn describe_verified(verified: &Verified) -> String {
    let record = &verified.record;
    let rows = match record.expected_rows {
        Some(expected) if expected == record.rows => {
            format!("{} rows, as the card expects", record.rows)
        }
        Some(expected) => format!(
            "{} rows where the card expects {expected} (allowed by --allow-row-count-mismatch; recorded)",
            record.rows
        ),
        None => format!("{} rows (the card pins no count)", record.rows),
    };
    let rows = match record.skipped_rows {
        0 => rows,
        skipped => format!("{rows}; {skipped} row(s) without a reference report skipped"),
    };
    format!(
        "{}: {rows}; split {}; {} file(s) hashed",
        verified.benchmark,
        record.split,
        record.files.len()
    )
}

/// Everything one invocation needs, however the items were obtained.
pub struct Job {
    /// Where the items came from.
    pub source: ItemsSource,
    /// The items to cover (limit applied).
    pub items: Vec<Item>,
    /// Model settings.
    pub model: ModelArgs,
    /// Request settings.
    pub decoding: DecodingArgs,
    /// The store file.
    pub store: PathBuf,
    /// Summary settings.
    pub report: ReportArgs,
    /// Dry run.
    pub dry_run: bool,
    /// New run.
    pub fresh: bool,
    /// Draw a progress bar (when stderr is a terminal).
    pub progress: bool,
    /// The probe variant the items were expanded by, and its seed.
    pub variant: Option<(Variant, u64)>,
    /// The benchmark card's prompt templates, used unless `--prompt` gives others.
    pub prompt: Option<PromptTemplate>,
}

impl Job {
    /// The same job over the items of `variant` (expanded with `seed`).
    pub fn with_variant(&self, variant: Variant, seed: u64) -> anyhow::Result<Job> {
        let expansion = variant.expand(&self.items, seed)?;
        if expansion.left_out > 0 && !expansion.items.is_empty() {
            eprintln!(
                "note: {}: {variant} applies to {} only; {} other item(s) are left out",
                self.source.benchmark,
                variant.applies_to(),
                expansion.left_out
            );
        }
        Ok(Job {
            source: self.source.clone(),
            items: expansion.items,
            model: self.model.clone(),
            decoding: self.decoding.clone(),
            store: self.store.clone(),
            report: self.report.clone(),
            dry_run: self.dry_run,
            fresh: self.fresh,
            progress: self.progress,
            variant: Some((variant, seed)),
            prompt: self.prompt.clone(),
        })
    }

    /// Samples the job covers (items times samples per item).
    pub fn samples(&self) -> u64 {
        self.items.len() as u64 * u64::from(self.decoding.samples_per_item.max(1))
    }

    /// What the progress bar calls the job: the benchmark and the variant.
    fn label(&self) -> String {
        match &self.variant {
            Some((variant, _)) => format!("{} [{variant}]", self.source.benchmark),
            None => self.source.benchmark.clone(),
        }
    }

    /// Runs the job and prints the run's summary.
    pub fn execute(self) -> anyhow::Result<ExitCode> {
        // Argument problems are reported before anything is contacted or written.
        self.report.options()?;
        self.report.output()?;
        if self.dry_run {
            print_dry_run(&self.manifest()?, &self.items)?;
            return Ok(ExitCode::SUCCESS);
        }
        let report_args = self.report.clone();
        let (store, report) = self.start()?;
        print_invocation(&report);
        let complete = print_stored_run(&store, &report.run_id, &report_args)?;
        Ok(exit_code(complete))
    }

    /// Runs the job to the end (or until Ctrl-C) without printing a summary, with a progress
    /// bar of its own.
    pub fn start(self) -> anyhow::Result<(Store, RunReport)> {
        let bar = BarProgress::new(self.progress, self.samples());
        let result = self.start_with(&bar);
        bar.finish();
        result
    }

    /// Runs the job, reporting progress to `bar` (shared by the jobs of one command).
    fn start_with(self, bar: &BarProgress) -> anyhow::Result<(Store, RunReport)> {
        let manifest = self.manifest()?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .context("cannot start the async runtime")?;
        let mut client = None;
        let answerer = match &self.model.baseline {
            Some(name) => Answerer::Baseline(parse_baseline(name)?),
            None => {
                let endpoint_client = Arc::new(self.client(&manifest)?);
                let warnings = runtime.block_on(endpoint_client.preflight())?;
                for warning in warnings {
                    eprintln!("warning: {warning}");
                }
                client = Some(Arc::clone(&endpoint_client));
                Answerer::Endpoint(endpoint_client)
            }
        };
        let mut store = Store::open(&self.store)
            .with_context(|| format!("cannot open the store {}", self.store.display()))?;
        let plan = RunPlan {
            manifest,
            items: self.items,
            answerer,
            fresh: self.fresh,
            window: self.model.concurrency.max(1) * 2,
        };
        let report = runtime.block_on(execute(&mut store, plan, bar, async {
            // If the handler cannot be installed, the run simply cannot be interrupted cleanly.
            if tokio::signal::ctrl_c().await.is_err() {
                std::future::pending::<()>().await;
            }
        }))?;
        if let Some(client) = client {
            print_endpoint_health(&client);
        }
        Ok((store, report))
    }

    fn manifest(&self) -> anyhow::Result<RunManifest> {
        let prompt = match (&self.decoding.prompt, &self.prompt) {
            (Some(path), _) => read_prompt(path)?,
            (None, Some(card)) => card.clone(),
            (None, None) => PromptTemplate::default(),
        };
        let extra_body = self
            .decoding
            .extra_body
            .as_deref()
            .map(|text| -> anyhow::Result<serde_json::Value> {
                let value: serde_json::Value =
                    serde_json::from_str(text).context("--extra-body is not valid JSON")?;
                medeval_models::request::check_extra_body(&value)
                    .map_err(|e| anyhow::anyhow!("--extra-body: {e}"))?;
                Ok(value)
            })
            .transpose()?;
        if self.decoding.samples_per_item == 0 {
            bail!("--samples-per-item must be at least 1");
        }
        if self.decoding.samples_per_item > 1 {
            if self.model.baseline.is_some() {
                bail!(
                    "--samples-per-item {} needs a model: a baseline answers every draw the same",
                    self.decoding.samples_per_item
                );
            }
            if self.decoding.temperature.is_nan() || self.decoding.temperature <= 0.0 {
                bail!(
                    "--samples-per-item {} needs --temperature above 0: at temperature {} every draw is the same answer, and {} copies of it would look like {} times the evidence",
                    self.decoding.samples_per_item,
                    self.decoding.temperature,
                    self.decoding.samples_per_item,
                    self.decoding.samples_per_item
                );
            }
        }
        let model = match (&self.model.baseline, &self.model.model) {
            (Some(name), _) => ModelRecord {
                kind: ModelKind::Baseline,
                name: parse_baseline(name)?.model_name(),
                endpoints: Vec::new(),
                api_key_env: None,
            },
            (None, Some(model)) => ModelRecord {
                kind: ModelKind::Endpoint,
                name: model.clone(),
                endpoints: self.model.endpoints.clone(),
                api_key_env: self.model.api_key_env.clone(),
            },
            (None, None) => bail!("--model is required with --endpoint"),
        };
        Ok(RunManifest {
            tool_version: env!("CARGO_PKG_VERSION").to_owned(),
            items: self.source.clone(),
            prompt_sha256: prompt.sha256(),
            prompt,
            model,
            decoding: Decoding {
                temperature: Some(self.decoding.temperature),
                top_p: self.decoding.top_p,
                max_tokens: self.decoding.max_tokens,
                seed: self.decoding.seed,
                extra_body,
            },
            images: ImagePolicy {
                encoding: parse_image_format(&self.decoding.image_format)?,
                max_side: self.decoding.image_max_side,
            },
            samples_per_item: self.decoding.samples_per_item,
            cache: !self.decoding.no_cache,
            extractor_version: medeval_score::EXTRACTOR_VERSION.to_owned(),
            variant: self
                .variant
                .as_ref()
                .map(|(variant, seed)| variant.recorded(*seed)),
            started_at: None,
            finished_at: None,
        })
    }

    fn client(&self, manifest: &RunManifest) -> anyhow::Result<ChatClient> {
        let mut config =
            ClientConfig::new(self.model.endpoints.clone(), manifest.model.name.clone());
        if let Some(var) = &self.model.api_key_env {
            let key = std::env::var(var).with_context(|| {
                format!("--api-key-env {var}: the environment variable is not set")
            })?;
            config.api_key = Some(ApiKey::new(key));
        }
        if !(self.model.timeout.is_finite() && self.model.timeout > 0.0) {
            bail!("--timeout must be a positive number of seconds");
        }
        config.timeout = Duration::from_secs_f64(self.model.timeout);
        config.max_attempts = self.model.max_attempts.max(1);
        config.retry_base = Duration::from_millis(self.model.retry_base_ms);
        config.concurrency = self.model.concurrency.max(1);
        Ok(ChatClient::new(config)?)
    }
}

fn parse_baseline(name: &str) -> anyhow::Result<Baseline> {
    Baseline::parse(name).with_context(|| {
        format!(
            "unknown baseline {name:?}; expected one of {} (random takes an optional :SEED)",
            Baseline::NAMES.join(", ")
        )
    })
}

fn parse_image_format(text: &str) -> anyhow::Result<ImageEncoding> {
    match text {
        "png" => Ok(ImageEncoding::Png),
        "original" => Ok(ImageEncoding::Original),
        _ => {
            let quality = text
                .strip_prefix("jpeg:")
                .and_then(|q| q.parse::<u8>().ok())
                .filter(|q| (1..=100).contains(q));
            quality
                .map(|quality| ImageEncoding::Jpeg { quality })
                .with_context(|| {
                    format!("unknown --image-format {text:?}; expected png, original or jpeg:1-100")
                })
        }
    }
}

fn read_prompt(path: &Path) -> anyhow::Result<PromptTemplate> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read prompt templates {}", path.display()))?;
    toml::from_str(&text).with_context(|| format!("{}: invalid prompt templates", path.display()))
}

fn print_dry_run(manifest: &RunManifest, items: &[Item]) -> std::io::Result<()> {
    outln!(
        "dry run: {} of {} items from {} (nothing is sent or stored)",
        items.len(),
        manifest.items.count,
        manifest.items.path
    )?;
    for answer_type in AnswerType::ALL {
        let n = items
            .iter()
            .filter(|i| i.answer_type == answer_type)
            .count();
        if n > 0 {
            outln!("  {answer_type:<7} {n}")?;
        }
    }
    let images: usize = items.iter().map(|i| i.images.len()).sum();
    outln!("  images  {images}")?;
    outln!(
        "model {} · prompt {}",
        manifest.model.name,
        manifest.prompt_sha256
    )?;
    for item in items.iter().take(3) {
        outln!("\n--- {} ({}) ---", item.id, item.answer_type)?;
        outln!("{}", manifest.prompt.render(item).preview())?;
    }
    Ok(())
}

fn print_invocation(report: &RunReport) {
    let verb = if report.resumed {
        "continued"
    } else {
        "started"
    };
    let mut line = format!(
        "run {} {verb}: {} sample(s) requested, {} answered, {} failed",
        report.run_id, report.requested, report.answered, report.failed
    );
    if report.already_answered > 0 {
        line.push_str(&format!(", {} already stored", report.already_answered));
    }
    if report.cached > 0 {
        line.push_str(&format!(", {} from cache", report.cached));
    }
    eprintln!("{line}");
    if let Some(old) = &report.rescored_from {
        eprintln!(
            "stored responses were scored again: extraction rules changed from v{old} to v{}",
            medeval_score::EXTRACTOR_VERSION
        );
    }
    if report.interrupted {
        eprintln!("interrupted; run the same command again to continue where it stopped");
    }
}

/// One stderr line per endpoint when a run spread its requests over several, or an endpoint was
/// taken out: where the attempts went and which endpoint failed.
fn print_endpoint_health(client: &ChatClient) {
    let health = client.endpoint_health();
    if health.len() < 2 && health.iter().all(|h| h.times_opened == 0) {
        return;
    }
    for endpoint in health {
        let mut line = format!(
            "endpoint {}: {} attempt(s), {} failed",
            endpoint.endpoint, endpoint.attempts, endpoint.failures
        );
        if endpoint.times_opened > 0 {
            line.push_str(&format!(
                ", taken out {} time(s) after failures in a row",
                endpoint.times_opened
            ));
        }
        if endpoint.out_now {
            line.push_str(", out at the end of the run");
        }
        eprintln!("{line}");
    }
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
    fn start(&self, _run_id: &str, total: u64, pending: u64, _resumed: bool) {
        // Samples answered by an earlier invocation are not requested again.
        let length = self.bar.length().unwrap_or(0);
        self.bar
            .set_length(length.saturating_sub(total.saturating_sub(pending)));
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
