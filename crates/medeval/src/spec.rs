//! What a run is: its items, the model that answers them and everything that can change a
//! response, checked once and turned into the [`RunManifest`] the store keys the run by.
//!
//! A [`RunSpec`] is built with [`RunSpec::builder`]. `build()` refuses settings that would make
//! a run mean less than it claims (several samples per item at temperature 0 look like k times
//! the evidence; a baseline answers every draw the same) before anything is contacted or
//! written, so every front end (the CLI, the viewer, the Python package) refuses the same
//! things with the same words.

use std::sync::Arc;
use std::time::Duration;

use medeval_core::{
    AnswerType, Decoding, ImageEncoding, ImagePolicy, Item, ItemsSource, ModelKind, ModelRecord,
    PromptTemplate, RunManifest, ScorerId,
};
use medeval_judge::{JudgeSampling, JudgeScope, JudgeSpec, judge_identity};
use medeval_models::Baseline;
use medeval_probe::{Variant, VariantError};
use medeval_score::{RuleScorer, Scorer};

/// Most samples per item a run takes: pass@k and majority-vote studies use up to about a hundred,
/// and every sample is one more request per item, so a mistyped number would otherwise make a
/// run without end.
pub const MAX_SAMPLES_PER_ITEM: u32 = 1000;

/// How requests reach a model's endpoints.
#[derive(Debug, Clone, PartialEq)]
pub struct Connection {
    /// Requests in flight at most, over all endpoints (lowered automatically on HTTP 429).
    pub concurrency: usize,
    /// Time limit for one attempt.
    pub timeout: Duration,
    /// Attempts per request, the first included.
    pub max_attempts: u32,
    /// Back-off before the first retry (doubles per retry, with jitter).
    pub retry_base: Duration,
    /// Largest response body read, in bytes; a larger answer ends its sample as an error.
    pub max_response_bytes: u64,
    /// Refuse to start when an endpoint does not list the model (by id or alias); off for
    /// servers that accept names they do not list.
    pub check_model: bool,
}

impl Default for Connection {
    /// The CLI's defaults: 16 in flight, 600 s per attempt, 5 attempts, 1 s first back-off,
    /// responses of at most 16 MiB, the model name checked.
    fn default() -> Self {
        Self {
            concurrency: 16,
            timeout: Duration::from_secs(600),
            max_attempts: 5,
            retry_base: Duration::from_secs(1),
            max_response_bytes: medeval_core::limits::DEFAULT_MAX_RESPONSE_BYTES,
            check_model: true,
        }
    }
}

/// A model behind one or more OpenAI-compatible endpoints.
#[derive(Debug, Clone, PartialEq)]
pub struct EndpointModel {
    /// Base URLs (load is shared between them), as the user gave them.
    pub endpoints: Vec<String>,
    /// The model name the endpoints serve.
    pub name: String,
    /// The environment variable holding the API key, read only when the client is built (the
    /// key itself is never part of a spec).
    pub api_key_env: Option<String>,
    /// Concurrency, time limits and retries.
    pub connection: Connection,
}

/// What answers a run's items.
#[derive(Debug, Clone, PartialEq)]
pub enum ModelSpec {
    /// A model behind endpoints.
    Endpoint(EndpointModel),
    /// A built-in baseline: no server.
    Baseline(Baseline),
}

/// A judge for a run's open answers: a second model behind its own endpoints, asked under a
/// spec. Its identity (spec hash, model, temperature, scope) is the run's scorer identity.
#[derive(Debug, Clone)]
pub struct JudgeSettings {
    /// The judge model and how to reach it (its own key variable, concurrency, retries).
    pub model: EndpointModel,
    /// What the judge is asked and how its reply is read.
    pub spec: Arc<JudgeSpec>,
    /// Sampling settings sent with every judge request (default: the spec's).
    pub sampling: JudgeSampling,
    /// Which answers the judge decides (default: open answers).
    pub scope: JudgeScope,
    /// Allow the judge to be the model under test (refused by default: a model grading itself
    /// is biased towards its own answers).
    pub allow_self_judge: bool,
}

impl JudgeSettings {
    /// The judge `model` under `spec`, with the spec's sampling settings, for open answers.
    pub fn new(model: EndpointModel, spec: JudgeSpec) -> Self {
        Self {
            sampling: JudgeSampling::of(&spec),
            spec: Arc::new(spec),
            model,
            scope: JudgeScope::Open,
            allow_self_judge: false,
        }
    }

    /// The scorer identity a run judged this way records.
    pub fn identity(&self) -> ScorerId {
        judge_identity(&self.spec, &self.model.name, &self.sampling, self.scope)
    }

    /// Refuses a judge that is the model under test, unless allowed.
    fn check_against(&self, candidate: &ModelSpec) -> Result<(), SpecError> {
        let ModelSpec::Endpoint(candidate) = candidate else {
            return Ok(());
        };
        let same_server = candidate.endpoints.iter().any(|url| {
            self.model
                .endpoints
                .iter()
                .any(|judge| same_url(url, judge))
        });
        if !self.allow_self_judge && same_server && candidate.name == self.model.name {
            return Err(SpecError::SelfJudge(candidate.name.clone()));
        }
        if self.model.endpoints.is_empty() {
            return Err(SpecError::NoJudgeEndpoint);
        }
        for (flag, value) in [
            ("judge-temperature", self.sampling.temperature),
            ("judge-top-p", self.sampling.top_p),
        ] {
            if !value.is_finite() || value < 0.0 {
                return Err(SpecError::BadNumber { flag, value });
            }
        }
        Ok(())
    }
}

fn same_url(a: &str, b: &str) -> bool {
    a.trim_end_matches('/')
        .eq_ignore_ascii_case(b.trim_end_matches('/'))
}

/// Sampling settings sent with every request.
#[derive(Debug, Clone, PartialEq)]
pub struct Sampling {
    /// Temperature (0 is greedy, the benchmark convention).
    pub temperature: f64,
    /// Nucleus sampling mass (server default when absent).
    pub top_p: Option<f64>,
    /// Maximum completion tokens (server default when absent).
    pub max_tokens: Option<u32>,
    /// Sampling seed.
    pub seed: Option<u64>,
    /// A JSON object merged into every request body.
    pub extra_body: Option<serde_json::Value>,
}

impl Default for Sampling {
    /// Greedy decoding with the server's defaults for everything else.
    fn default() -> Self {
        Self {
            temperature: 0.0,
            top_p: None,
            max_tokens: None,
            seed: None,
            extra_body: None,
        }
    }
}

/// Why a spec cannot be built.
#[derive(Debug, thiserror::Error)]
pub enum SpecError {
    /// Zero samples per item.
    #[error("--samples-per-item must be at least 1")]
    NoSamples,
    /// More samples per item than any repeated-sampling estimate needs.
    #[error(
        "--samples-per-item {0} is more than the {MAX_SAMPLES_PER_ITEM} a run takes: every sample is a request per item"
    )]
    TooManySamples(u32),
    /// Several samples from a baseline.
    #[error("--samples-per-item {samples} needs a model: a baseline answers every draw the same")]
    SamplesFromBaseline {
        /// Samples per item asked for.
        samples: u32,
    },
    /// Several samples at temperature 0.
    #[error(
        "--samples-per-item {samples} needs --temperature above 0: at temperature {temperature} every draw is the same answer, and {samples} copies of it would look like {samples} times the evidence"
    )]
    SamplesWithoutTemperature {
        /// Samples per item asked for.
        samples: u32,
        /// The temperature given.
        temperature: f64,
    },
    /// The extra body would change what the run is (model, messages) or is not an object.
    #[error("--extra-body: {0}")]
    ExtraBody(String),
    /// A sampling number that must be finite and at least 0 is not.
    #[error("--{flag} must be a finite number of at least 0, got {value}")]
    BadNumber {
        /// The setting, as its flag is named.
        flag: &'static str,
        /// The value given.
        value: f64,
    },
    /// A time limit of zero.
    #[error("--timeout must be a positive number of seconds")]
    ZeroTimeout,
    /// The judge is the model under test.
    #[error(
        "the judge is the model under test ({0} at the same endpoint): a model grading its own answers favours them; judge with another model, or pass --allow-self-judge to do it anyway"
    )]
    SelfJudge(String),
    /// A judge without endpoints.
    #[error("--judge-endpoint is required with --judge-model")]
    NoJudgeEndpoint,
    /// No endpoint to send requests to.
    #[error("--endpoint is required with --model")]
    NoEndpoint,
    /// A variant that does not apply to any item.
    #[error(transparent)]
    Variant(#[from] VariantError),
}

/// A run, fully specified: the manifest that identifies it, the items it covers and what
/// answers them.
#[derive(Debug, Clone)]
pub struct RunSpec {
    manifest: RunManifest,
    items: Vec<Item>,
    model: ModelSpec,
    scorer: Arc<dyn Scorer>,
    judge: Option<JudgeSettings>,
    /// The probe variant the items were expanded by.
    variant: Option<Variant>,
    /// Items a variant left out (it does not apply to them); 0 without a variant.
    left_out: usize,
}

impl RunSpec {
    /// Starts the settings of runs answered by `model`; [`RunSpecBuilder::build`] applies them
    /// to a set of items.
    pub fn builder(model: ModelSpec) -> RunSpecBuilder {
        RunSpecBuilder {
            model,
            sampling: Sampling::default(),
            prompt: None,
            images: ImagePolicy {
                encoding: ImageEncoding::Png,
                max_side: None,
            },
            samples_per_item: 1,
            cache: true,
            scorer: Arc::new(RuleScorer),
            judge: None,
        }
    }

    /// The manifest the run is stored under (its identity decides whether a stored run is
    /// continued).
    pub fn manifest(&self) -> &RunManifest {
        &self.manifest
    }

    /// The items the run covers, after any variant's expansion.
    pub fn items(&self) -> &[Item] {
        &self.items
    }

    /// What answers the items.
    pub fn model(&self) -> &ModelSpec {
        &self.model
    }

    /// The probe variant the items were expanded by, if any.
    pub fn variant(&self) -> Option<&Variant> {
        self.variant.as_ref()
    }

    /// Items of the source a variant does not apply to (left out, not passed through).
    pub fn left_out(&self) -> usize {
        self.left_out
    }

    /// Samples the run covers: items times samples per item.
    pub fn samples(&self) -> u64 {
        self.items.len() as u64 * u64::from(self.manifest.samples_per_item.max(1))
    }

    /// How progress and messages name the run: the benchmark, with its variant.
    pub fn label(&self) -> String {
        match &self.manifest.variant {
            Some(variant) => format!("{} [{variant}]", self.manifest.items.benchmark),
            None => self.manifest.items.benchmark.clone(),
        }
    }

    /// What `--dry-run` shows: how many items of which answer type and how many images would
    /// be sent, the model and prompt, and the first three prompts as rendered.
    pub fn dry_run_text(&self) -> String {
        use std::fmt::Write as _;
        let (manifest, items) = (&self.manifest, &self.items);
        let mut text = format!(
            "dry run: {} of {} items from {} (nothing is sent or stored)\n",
            items.len(),
            manifest.items.count,
            manifest.items.path
        );
        for answer_type in AnswerType::ALL {
            let n = items
                .iter()
                .filter(|item| item.answer_type() == answer_type)
                .count();
            if n > 0 {
                let _ = writeln!(text, "  {answer_type:<7} {n}");
            }
        }
        let images: usize = items.iter().map(|item| item.images.len()).sum();
        let _ = writeln!(text, "  images  {images}");
        let _ = writeln!(
            text,
            "model {} · prompt {}",
            manifest.model.name, manifest.prompt_sha256
        );
        for item in items.iter().take(3) {
            let _ = writeln!(text, "\n--- {} ({}) ---", item.id, item.answer_type());
            let _ = writeln!(text, "{}", manifest.prompt.render(item).preview());
        }
        text
    }

    /// What turns the run's responses into verdicts.
    pub fn scorer(&self) -> &Arc<dyn Scorer> {
        &self.scorer
    }

    /// The judge of the run's open answers, if it has one (then [`RunSpec::scorer`] is the
    /// rules, and a session builds the judge scorer once its endpoints have answered).
    pub fn judge(&self) -> Option<&JudgeSettings> {
        self.judge.as_ref()
    }

    /// The parts an engine needs to execute the spec.
    pub fn into_parts(self) -> RunParts {
        RunParts {
            manifest: self.manifest,
            items: self.items,
            model: self.model,
            scorer: self.scorer,
            judge: self.judge,
        }
    }
}

/// A [`RunSpec`] taken apart for execution.
#[derive(Debug)]
pub struct RunParts {
    /// The manifest.
    pub manifest: RunManifest,
    /// The items.
    pub items: Vec<Item>,
    /// What answers them.
    pub model: ModelSpec,
    /// The scorer, unless a judge is to be built.
    pub scorer: Arc<dyn Scorer>,
    /// The judge, when the run has one.
    pub judge: Option<JudgeSettings>,
}

/// Items to run, with where they came from.
#[derive(Debug, Clone)]
pub struct ItemSet {
    /// The file or benchmark folder, its fingerprint and item count, as the manifest records it.
    pub source: ItemsSource,
    /// The items, in benchmark order (any limit applied).
    pub items: Vec<Item>,
    /// The benchmark card's prompt templates, used unless the settings name others.
    pub card_prompt: Option<PromptTemplate>,
}

/// The settings of a run, apart from its items; every setting has the CLI's default. One
/// builder serves every benchmark and variant of a command: [`RunSpecBuilder::build`] applies
/// it to a set of items.
#[derive(Debug, Clone)]
pub struct RunSpecBuilder {
    model: ModelSpec,
    sampling: Sampling,
    prompt: Option<PromptTemplate>,
    images: ImagePolicy,
    samples_per_item: u32,
    cache: bool,
    scorer: Arc<dyn Scorer>,
    judge: Option<JudgeSettings>,
}

impl RunSpecBuilder {
    /// Sampling settings (default: greedy).
    pub fn sampling(mut self, sampling: Sampling) -> Self {
        self.sampling = sampling;
        self
    }

    /// Prompt templates for every benchmark (default: the card's, else medeval's).
    pub fn prompt(mut self, prompt: PromptTemplate) -> Self {
        self.prompt = Some(prompt);
        self
    }

    /// How images are encoded and sized (default: lossless PNG at full size).
    pub fn images(mut self, images: ImagePolicy) -> Self {
        self.images = images;
        self
    }

    /// Samples per item (default 1; more needs a model and a temperature above 0).
    pub fn samples_per_item(mut self, samples: u32) -> Self {
        self.samples_per_item = samples;
        self
    }

    /// Whether the response cache is read and written (default: yes).
    pub fn cache(mut self, cache: bool) -> Self {
        self.cache = cache;
        self
    }

    /// What scores the responses (default: the extraction rules); its identity is recorded.
    pub fn scorer(mut self, scorer: Arc<dyn Scorer>) -> Self {
        self.scorer = scorer;
        self
    }

    /// A judge for open answers (default: none, the rules score everything). The judge must not
    /// be the model under test unless [`JudgeSettings::allow_self_judge`] says so.
    pub fn judge(mut self, judge: JudgeSettings) -> Self {
        self.judge = Some(judge);
        self
    }

    /// Checks the settings against `items` and builds the run's manifest. With a variant, the
    /// run covers the variant's expansion of the items (made with `seed`) instead of the items.
    pub fn build(
        &self,
        items: ItemSet,
        variant: Option<(&Variant, u64)>,
    ) -> Result<RunSpec, SpecError> {
        self.check_samples()?;
        if let Some(judge) = &self.judge {
            judge.check_against(&self.model)?;
        }
        let sampling = &self.sampling;
        for (flag, value) in [
            ("temperature", Some(sampling.temperature)),
            ("top-p", sampling.top_p),
        ] {
            if let Some(value) = value {
                if !value.is_finite() || value < 0.0 {
                    return Err(SpecError::BadNumber { flag, value });
                }
            }
        }
        if let Some(extra) = &sampling.extra_body {
            medeval_models::request::check_extra_body(extra)
                .map_err(|e| SpecError::ExtraBody(e.to_string()))?;
        }
        let model = match &self.model {
            ModelSpec::Baseline(baseline) => ModelRecord {
                kind: ModelKind::Baseline,
                name: baseline.model_name(),
                endpoints: Vec::new(),
                api_key_env: None,
            },
            ModelSpec::Endpoint(endpoint) => {
                if endpoint.endpoints.is_empty() {
                    return Err(SpecError::NoEndpoint);
                }
                if endpoint.connection.timeout.is_zero() {
                    return Err(SpecError::ZeroTimeout);
                }
                ModelRecord {
                    kind: ModelKind::Endpoint,
                    name: endpoint.name.clone(),
                    endpoints: endpoint.endpoints.clone(),
                    api_key_env: endpoint.api_key_env.clone(),
                }
            }
        };
        let ItemSet {
            source,
            items,
            card_prompt,
        } = items;
        let (items, left_out) = match variant {
            Some((variant, seed)) => {
                let expansion = variant.expand(&items, seed)?;
                (expansion.items, expansion.left_out)
            }
            None => (items, 0),
        };
        let prompt = self.prompt.clone().or(card_prompt).unwrap_or_default();
        let manifest = RunManifest {
            tool_version: env!("CARGO_PKG_VERSION").to_owned(),
            items: source,
            prompt_sha256: prompt.sha256(),
            prompt,
            model,
            decoding: Decoding {
                temperature: Some(self.sampling.temperature),
                top_p: self.sampling.top_p,
                max_tokens: self.sampling.max_tokens,
                seed: self.sampling.seed,
                extra_body: self.sampling.extra_body.clone(),
            },
            images: self.images,
            samples_per_item: self.samples_per_item,
            cache: self.cache,
            scorer: match &self.judge {
                Some(judge) => judge.identity(),
                None => self.scorer.id(),
            },
            variant: variant.map(|(variant, seed)| variant.recorded(seed)),
            started_at: None,
            finished_at: None,
        };
        Ok(RunSpec {
            manifest,
            items,
            model: self.model.clone(),
            scorer: Arc::clone(&self.scorer),
            judge: self.judge.clone(),
            variant: variant.map(|(variant, _)| variant.clone()),
            left_out,
        })
    }

    fn check_samples(&self) -> Result<(), SpecError> {
        let samples = self.samples_per_item;
        if samples == 0 {
            return Err(SpecError::NoSamples);
        }
        if samples > MAX_SAMPLES_PER_ITEM {
            return Err(SpecError::TooManySamples(samples));
        }
        if samples == 1 {
            return Ok(());
        }
        if matches!(self.model, ModelSpec::Baseline(_)) {
            return Err(SpecError::SamplesFromBaseline { samples });
        }
        let temperature = self.sampling.temperature;
        if temperature.is_nan() || temperature <= 0.0 {
            return Err(SpecError::SamplesWithoutTemperature {
                samples,
                temperature,
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items() -> ItemSet {
        ItemSet {
            source: ItemsSource {
                benchmark: "demo".into(),
                path: "demo.jsonl".into(),
                sha256: "abc".into(),
                count: 0,
                limit: None,
                card: None,
            },
            items: Vec::new(),
            card_prompt: None,
        }
    }

    fn endpoint() -> ModelSpec {
        ModelSpec::Endpoint(EndpointModel {
            endpoints: vec!["http://localhost:8000/v1".into()],
            name: "m".into(),
            api_key_env: Some("KEY".into()),
            connection: Connection::default(),
        })
    }

    #[test]
    fn a_spec_records_everything_that_can_change_a_response() {
        let spec = RunSpec::builder(endpoint())
            .sampling(Sampling {
                temperature: 0.7,
                seed: Some(3),
                ..Sampling::default()
            })
            .samples_per_item(4)
            .cache(false)
            .build(items(), None)
            .unwrap();
        let manifest = spec.manifest();
        assert_eq!(manifest.model.name, "m");
        assert_eq!(manifest.model.api_key_env.as_deref(), Some("KEY"));
        assert_eq!(manifest.decoding.temperature, Some(0.7));
        assert_eq!(manifest.decoding.seed, Some(3));
        assert_eq!(manifest.samples_per_item, 4);
        assert!(!manifest.cache);
        assert_eq!(manifest.prompt_sha256, PromptTemplate::default().sha256());
    }

    #[test]
    fn settings_that_would_overstate_the_evidence_are_refused() {
        let greedy = RunSpec::builder(endpoint())
            .samples_per_item(5)
            .build(items(), None)
            .unwrap_err();
        assert!(
            greedy.to_string().contains("needs --temperature above 0"),
            "{greedy}"
        );
        let baseline = RunSpec::builder(ModelSpec::Baseline(Baseline::parse("majority").unwrap()))
            .samples_per_item(2)
            .build(items(), None)
            .unwrap_err();
        assert!(matches!(
            baseline,
            SpecError::SamplesFromBaseline { samples: 2 }
        ));
        let none = RunSpec::builder(endpoint())
            .samples_per_item(0)
            .build(items(), None)
            .unwrap_err();
        assert!(matches!(none, SpecError::NoSamples));
        let endless = RunSpec::builder(endpoint())
            .sampling(Sampling {
                temperature: 0.7,
                ..Sampling::default()
            })
            .samples_per_item(u32::MAX)
            .build(items(), None)
            .unwrap_err();
        assert!(matches!(endless, SpecError::TooManySamples(u32::MAX)));
        let nan = RunSpec::builder(endpoint())
            .sampling(Sampling {
                top_p: Some(f64::NAN),
                ..Sampling::default()
            })
            .build(items(), None)
            .unwrap_err();
        assert!(matches!(nan, SpecError::BadNumber { flag: "top-p", .. }));
    }
}
