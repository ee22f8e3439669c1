//! `medeval judge`: the built-in judge specs, and how far a judge agrees with people or with
//! another judge. The judge's own flags (`--judge-endpoint` ...) are [`JudgeArgs`], shared by
//! `run` and `rescore`.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use medeval::{Connection, EndpointModel, JudgeSettings};
use medeval_judge::{DEFAULT_SPEC, JudgeScope, JudgeSpec};

/// How a run's open answers are judged by a second model (all optional; without
/// `--judge-model` the rules score everything).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct JudgeArgs {
    /// The judge's OpenAI-compatible base URL (repeatable: load is shared).
    #[arg(long = "judge-endpoint", value_name = "URL", requires = "judge_model")]
    pub judge_endpoints: Vec<String>,
    /// The judge model's name; open answers are then decided by it (see docs/judge.md).
    #[arg(long, value_name = "NAME", requires = "judge_endpoints")]
    pub judge_model: Option<String>,
    /// A built-in judge spec (`medeval judge specs` lists them) or a spec file (.toml).
    #[arg(long, value_name = "NAME|FILE", default_value = DEFAULT_SPEC)]
    pub judge_spec: String,
    /// Environment variable holding the judge's API key.
    #[arg(long, value_name = "VAR")]
    pub judge_api_key_env: Option<String>,
    /// Judge sampling temperature (default: the spec's, 0 for the built-ins).
    #[arg(long, value_name = "T")]
    pub judge_temperature: Option<f64>,
    /// Judge token limit (default: the spec's).
    #[arg(long, value_name = "N")]
    pub judge_max_tokens: Option<u32>,
    /// Judge requests in flight at most.
    #[arg(long, default_value_t = 8, value_name = "N")]
    pub judge_concurrency: usize,
    /// Attempts per judge request, the first included.
    #[arg(long, default_value_t = 3, value_name = "N")]
    pub judge_max_attempts: u32,
    /// Times a reply without a readable verdict is asked for again.
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub judge_retries: u32,
    /// Also let the judge decide multiple-choice and closed answers the rules could not read
    /// (recorded under the judge's rules, counted apart).
    #[arg(long)]
    pub judge_unparsed: bool,
    /// Allow the judge to be the model under test.
    #[arg(long)]
    pub allow_self_judge: bool,
}

impl JudgeArgs {
    /// The judge asked for, if any.
    pub fn settings(&self) -> anyhow::Result<Option<JudgeSettings>> {
        let Some(name) = &self.judge_model else {
            return Ok(None);
        };
        let spec = JudgeSpec::resolve(&self.judge_spec)?;
        let mut settings = JudgeSettings::new(
            EndpointModel {
                endpoints: self.judge_endpoints.clone(),
                name: name.clone(),
                api_key_env: self.judge_api_key_env.clone(),
                connection: Connection {
                    concurrency: self.judge_concurrency.max(1),
                    max_attempts: self.judge_max_attempts.max(1),
                    timeout: Duration::from_secs(600),
                    ..Connection::default()
                },
            },
            spec,
        );
        if let Some(temperature) = self.judge_temperature {
            settings.sampling.temperature = temperature;
        }
        if let Some(max_tokens) = self.judge_max_tokens {
            anyhow::ensure!(max_tokens > 0, "--judge-max-tokens must be at least 1");
            settings.sampling.max_tokens = max_tokens;
        }
        settings.sampling.unreadable_retries = self.judge_retries;
        settings.scope = if self.judge_unparsed {
            JudgeScope::OpenAndUnparsed
        } else {
            JudgeScope::Open
        };
        settings.allow_self_judge = self.allow_self_judge;
        Ok(Some(settings))
    }
}

/// Arguments of `medeval judge`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: JudgeCommand,
}

#[derive(Debug, clap::Subcommand)]
enum JudgeCommand {
    /// The built-in judge specs: name, hash, what each asks and how its verdict is read.
    Specs(SpecsArgs),
    /// Print one spec (built-in or file) in full: template, verdict reading, hash.
    Spec(SpecArgs),
    /// How far a judged run agrees with human labels, or two judged runs with each other:
    /// Cohen's kappa, Krippendorff's alpha, accuracy and balanced F1, with bootstrap intervals.
    Agree(super::agree::Args),
}

#[derive(Debug, clap::Args)]
struct SpecsArgs {
    /// Print the list as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, clap::Args)]
struct SpecArgs {
    /// A built-in spec's name or a spec file.
    name: String,
}

/// Runs `medeval judge`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        JudgeCommand::Specs(args) => specs(&args),
        JudgeCommand::Spec(args) => spec(&args),
        JudgeCommand::Agree(args) => super::agree::run(args),
    }
}

fn specs(args: &SpecsArgs) -> anyhow::Result<ExitCode> {
    let specs = JudgeSpec::builtins();
    if args.json {
        let list: Vec<serde_json::Value> = specs
            .iter()
            .map(|spec| {
                serde_json::json!({
                    "name": spec.name(),
                    "hash": spec.hash(),
                    "version": spec.version(),
                    "description": spec.description(),
                    "origin": spec.origin(),
                    "verdict": spec.verdict_summary(),
                    "temperature": spec.temperature(),
                    "max_tokens": spec.max_tokens(),
                    "default": spec.name() == DEFAULT_SPEC,
                })
            })
            .collect();
        outln!("{}", serde_json::to_string_pretty(&list)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    for spec in &specs {
        let default = if spec.name() == DEFAULT_SPEC {
            " (default)"
        } else {
            ""
        };
        outln!(
            "{}{default}  {}\n  {}\n  follows: {}\n  verdict: {}\n",
            spec.name(),
            medeval_core::short_hash(spec.hash()),
            spec.description(),
            spec.origin(),
            spec.verdict_summary()
        )?;
    }
    outln!(
        "A spec file of your own: `template = \"...\"` with {{question}}, {{options}}, {{gold}} and {{response}}, and a [verdict] table with regex, correct and incorrect (docs/judge.md); `medeval judge spec NAME` prints one in full."
    )?;
    Ok(ExitCode::SUCCESS)
}

fn spec(args: &SpecArgs) -> anyhow::Result<ExitCode> {
    let spec = JudgeSpec::resolve(&args.name)
        .with_context(|| format!("cannot read judge spec {}", args.name))?;
    outln!(
        "name: {}\nhash: {}\nversion: {}",
        spec.name(),
        spec.hash(),
        spec.version()
    )?;
    outln!(
        "temperature: {}\nmax_tokens: {}\nverdict: {}",
        spec.temperature(),
        spec.max_tokens(),
        spec.verdict_summary()
    )?;
    if !spec.delimiters().is_empty() {
        outln!(
            "delimiters defused in answers: {}",
            spec.delimiters().join("  ")
        )?;
    }
    if let Some(system) = spec.system() {
        outln!("\n--- system ---\n{system}")?;
    }
    outln!("\n--- template ---\n{}", spec.template_text())?;
    Ok(ExitCode::SUCCESS)
}
