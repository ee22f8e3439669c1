//! The run engine: every sample of a run requested, scored and stored exactly once.
//!
//! ```text
//! items --render + prepare images (blocking pool)--> request body
//!       --response cache? --ChatClient (bounded, retried)--> completion
//!       --medeval-score--> verdict --SampleSink (committed as it completes)--> store
//! ```
//!
//! A run is identified by its manifest ([`RunManifest::identity`]). Executing a plan whose run
//! already exists in the store continues it: samples that have a response are not requested
//! again, samples that ended in error are retried. Because a sample counts as done only once its
//! row is committed, a process killed at any moment loses nothing that was stored and requests
//! again only what was not.
//!
//! At most `window` samples are being prepared or requested at once, so memory stays flat however
//! large the benchmark; the [`ChatClient`] limits how many requests are on the wire.
//!
//! The engine reaches the store only through [`RunStore`], and relies on its contract rather than
//! on any backend: an answered sample is never overwritten (so a duplicate is harmless), a sample
//! is done once committed (so resuming is just "request what is not answered"), a run
//! continued under other extraction rules stays stale until rescored, and a run has one worker
//! at a time (`begin_run` refuses a run another live process holds, so two identical commands
//! never request the same samples). Any backend that passes `medeval_store::conformance` runs
//! here unchanged.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, UNIX_EPOCH};

use medeval_core::{
    Completion, Decoding, ImageGeometry, ImagePolicy, Item, PromptTemplate, RunManifest, Scored,
    ScorerId,
};
pub use medeval_models::RetryPause;
use medeval_models::images::prepare;
use medeval_models::request::{ChatBody, chat_body};
use medeval_models::{Baseline, ChatClient, Exchange, RequestError};
use medeval_score::{Response, RuleScorer, Scorer};
use medeval_store::{
    AttemptRecord, ResponseCache, RunStatus, RunStore, SampleRecord, StoreError, TakenOver,
    timestamp,
};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;

/// How long requests in preparation or being scored when a run is stopped get to finish; those
/// still busy then are dropped and requested again next time.
const STOP_GRACE: Duration = Duration::from_secs(2);

/// What answers the items of a run.
#[derive(Debug, Clone)]
pub enum Answerer {
    /// A model behind OpenAI-compatible endpoints.
    Endpoint(Arc<ChatClient>),
    /// A built-in baseline.
    Baseline(Baseline),
}

/// One invocation of a run.
#[derive(Debug, Clone)]
pub struct RunPlan {
    /// The manifest (its identity decides whether an earlier run is continued).
    pub manifest: RunManifest,
    /// The items this invocation covers, in benchmark order (`--limit` already applied).
    pub items: Vec<Item>,
    /// What answers them.
    pub answerer: Answerer,
    /// Start a new run even if one with the same identity exists.
    pub fresh: bool,
    /// Samples being prepared or requested at once.
    pub window: usize,
    /// Turns responses into verdicts; its identity is recorded in the manifest, and stored
    /// verdicts of another identity are scored again by it before the run continues.
    pub scorer: Arc<dyn Scorer>,
}

impl RunPlan {
    /// A plan scored by the extraction rules ([`RuleScorer`]).
    pub fn new(manifest: RunManifest, items: Vec<Item>, answerer: Answerer, window: usize) -> Self {
        Self {
            manifest,
            items,
            answerer,
            fresh: false,
            window,
            scorer: Arc::new(RuleScorer),
        }
    }
}

/// Receives progress as the run goes; the CLI draws a progress bar from it.
pub trait Progress: Send + Sync {
    /// The run is about to request `pending` of `total` samples.
    fn start(&self, _run_id: &str, _total: u64, _pending: u64, _resumed: bool) {}
    /// One sample is final (and queued for the store).
    fn sample(&self, _record: &SampleRecord) {}
    /// A server asked the run to wait (`Retry-After`) and it does, up to the client's cap:
    /// called once per pause, as it starts, so a long stall can be shown.
    fn retry_pause(&self, _pause: &RetryPause) {}
    /// The run was held by a process that is gone (it stopped refreshing its lock, or no longer
    /// exists), and this run took it over: worth telling, since that process may have been
    /// stopped uncleanly.
    fn took_over(&self, _run_id: &str, _from: &TakenOver) {}
}

/// A [`Progress`] that shows nothing.
#[derive(Debug, Default, Clone, Copy)]
pub struct Quiet;

impl Progress for Quiet {}

/// What one invocation did.
#[derive(Debug, Clone, PartialEq)]
pub struct RunReport {
    /// The run id.
    pub run_id: String,
    /// Whether an earlier run was continued.
    pub resumed: bool,
    /// Samples this invocation covers.
    pub total: u64,
    /// Samples that already had a response before this invocation.
    pub already_answered: u64,
    /// Samples requested by this invocation.
    pub requested: u64,
    /// Of those, how many got a response.
    pub answered: u64,
    /// Of those, how many ended in error.
    pub failed: u64,
    /// Of those answered, how many came from the response cache.
    pub cached: u64,
    /// When stored samples were scored again because the scorer changed (new extraction rules,
    /// another judge): the scorer that had scored them.
    pub rescored_from: Option<ScorerId>,
    /// The scorer the run's verdicts are by.
    pub scorer: ScorerId,
    /// Whether the invocation was stopped before it finished.
    pub interrupted: bool,
    /// The run's status afterwards.
    pub status: RunStatus,
}

/// Why a run could not proceed.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The store failed; samples committed before the failure are kept.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A worker task failed unexpectedly.
    #[error("a request task failed: {0}")]
    Task(String),
}

/// Executes `plan` against `store` until every sample is final or `stop` completes.
///
/// Any [`RunStore`] will do (`&mut Store`, or `&mut dyn RunStore` when the backend is chosen at
/// run time). Every sample handed to the store's sink is committed before this returns, even
/// when it returns an error; a `stop` leaves the run [`RunStatus::Incomplete`] and resumable.
pub async fn execute<S: RunStore + ?Sized>(
    store: &mut S,
    plan: RunPlan,
    progress: &dyn Progress,
    stop: impl Future<Output = ()>,
) -> Result<RunReport, RunError> {
    let RunPlan {
        mut manifest,
        items,
        answerer,
        fresh,
        window,
        scorer,
    } = plan;
    manifest.scorer = scorer.id();
    let start = store.begin_run(&manifest, &items, fresh)?;
    let run_id = start.run_id.clone();
    if let Some(from) = &start.took_over {
        progress.took_over(&run_id, from);
    }

    let rescored_from = match start.stale_scorer.clone() {
        Some(old) => {
            rescore_stored(store, &run_id, &scorer, window.max(1)).await?;
            Some(old)
        }
        None => None,
    };

    let samples_per_item = manifest.samples_per_item.max(1);
    let pending: Vec<(usize, u32)> = items
        .iter()
        .enumerate()
        .flat_map(|(index, item)| {
            (0..samples_per_item).map(move |sample| (index, sample, item.id.as_str()))
        })
        .filter(|(_, sample, id)| !start.answered.contains(&((*id).to_owned(), *sample)))
        .map(|(index, sample, _)| (index, sample))
        .collect();
    let total = items.len() as u64 * u64::from(samples_per_item);
    let already_answered = total - pending.len() as u64;
    progress.start(&run_id, total, pending.len() as u64, start.resumed);

    let mut report = RunReport {
        run_id: run_id.clone(),
        resumed: start.resumed,
        total,
        already_answered,
        requested: pending.len() as u64,
        answered: 0,
        failed: 0,
        cached: 0,
        rescored_from,
        scorer: manifest.scorer.clone(),
        interrupted: false,
        status: RunStatus::Running,
    };

    let writer = store.writer(&run_id)?;
    let cache_model = (manifest.cache && manifest.decoding.is_deterministic())
        .then(|| manifest.model.name.clone());
    let outcome = match answerer {
        Answerer::Baseline(baseline) => {
            let answers = baseline.answers(&items);
            for (index, sample) in pending {
                let item = &items[index];
                let text = answers.get(&item.id).cloned().unwrap_or_default();
                let completion = Completion::text(text);
                let scored = verdict(scorer.as_ref(), item, &completion).await;
                let record = answered_record(item, sample, completion, scored, None, 0.0);
                tally(&mut report, &record);
                progress.sample(&record);
                writer.write(record, None)?;
            }
            Ok(())
        }
        Answerer::Endpoint(client) => {
            let (pauses, paused) = mpsc::unbounded_channel();
            let (stopping, stopped) = watch::channel(false);
            let context = Arc::new(RequestContext {
                client,
                stopped,
                pauses,
                scorer: Arc::clone(&scorer),
                template: manifest.prompt.clone(),
                decoding: manifest.decoding.clone(),
                images: manifest.images,
                samples_per_item,
                cache: match &cache_model {
                    Some(_) => Some(Mutex::new(store.cache_reader()?)),
                    None => None,
                },
                cpu: tokio::sync::Semaphore::new(
                    std::thread::available_parallelism().map_or(2, |n| n.get()),
                ),
            });
            let items: Vec<Arc<Item>> = items.into_iter().map(Arc::new).collect();
            request_all(
                &context,
                &items,
                pending,
                window.max(1),
                |record| {
                    tally(&mut report, &record);
                    progress.sample(&record);
                    // An empty answer is stored with its sample but never cached: it is a
                    // server's hiccup as often as the model's choice, and must not be reused.
                    let cache = cache_model
                        .as_deref()
                        .filter(|_| record_has_answer(&record));
                    writer.write(record, cache)
                },
                |pause| progress.retry_pause(pause),
                Signals {
                    stop,
                    stopping,
                    paused,
                },
            )
            .await
            .map(|interrupted| report.interrupted = interrupted)
        }
    };
    // Commit everything queued before reporting, whatever happened above.
    let flushed = writer.finish();
    outcome?;
    flushed?;

    let complete = !report.interrupted && report.failed == 0 && report.answered == report.requested;
    report.status = if complete {
        RunStatus::Complete
    } else {
        RunStatus::Incomplete
    };
    store.finish_run(&run_id, report.status)?;
    Ok(report)
}

/// Runs the pending samples with at most `window` in progress; returns whether `stop` fired.
///
/// When it fires, requests give up at once (one waiting out a `Retry-After` keeps the
/// attempts it made, stored with its error); samples still being prepared or scored get
/// [`STOP_GRACE`] to finish.
async fn request_all(
    context: &Arc<RequestContext>,
    items: &[Arc<Item>],
    pending: Vec<(usize, u32)>,
    window: usize,
    mut on_record: impl FnMut(SampleRecord) -> Result<(), StoreError>,
    on_pause: impl Fn(&RetryPause),
    signals: Signals<impl Future<Output = ()>>,
) -> Result<bool, RunError> {
    let Signals {
        stop,
        stopping,
        mut paused,
    } = signals;
    let mut queue = pending.into_iter();
    let mut tasks = JoinSet::new();
    tokio::pin!(stop);
    loop {
        while tasks.len() < window {
            let Some((index, sample)) = queue.next() else {
                break;
            };
            let context = Arc::clone(context);
            let item = Arc::clone(&items[index]);
            tasks.spawn(async move { context.request(item, sample).await });
        }
        if tasks.is_empty() {
            return Ok(false);
        }
        tokio::select! {
            biased;
            () = &mut stop => {
                let _ = stopping.send(true);
                let grace = tokio::time::sleep(STOP_GRACE);
                tokio::pin!(grace);
                loop {
                    tokio::select! {
                        biased;
                        () = &mut grace => break,
                        joined = tasks.join_next() => match joined {
                            Some(Ok(Some(record))) => on_record(record)?,
                            Some(_) => {}
                            None => break,
                        },
                    }
                }
                tasks.abort_all();
                return Ok(true);
            }
            Some(pause) = paused.recv() => on_pause(&pause),
            Some(joined) = tasks.join_next() => {
                let record = joined.map_err(|e| RunError::Task(e.to_string()))?;
                if let Some(record) = record {
                    on_record(record)?;
                }
            }
        }
    }
}

/// Whether a sample's completion holds an answer (text or a refusal), and so may be cached.
fn record_has_answer(record: &SampleRecord) -> bool {
    record.completion.as_ref().is_some_and(has_answer)
}

fn has_answer(completion: &Completion) -> bool {
    !completion.content.trim().is_empty() || completion.refusal.is_some()
}

/// What passes between a run and its requests besides their records.
struct Signals<F> {
    /// Completes when the run is to stop.
    stop: F,
    /// Tells the requests that the run stopped.
    stopping: watch::Sender<bool>,
    /// The `Retry-After` pauses requests report.
    paused: mpsc::UnboundedReceiver<RetryPause>,
}

fn tally(report: &mut RunReport, record: &SampleRecord) {
    if record.is_answered() {
        report.answered += 1;
        if record.cached {
            report.cached += 1;
        }
    } else {
        report.failed += 1;
    }
}

/// Everything a request task needs, shared by all of them.
struct RequestContext {
    client: Arc<ChatClient>,
    /// Turns true when the run is stopped.
    stopped: watch::Receiver<bool>,
    /// Where requests report a server's `Retry-After` pauses.
    pauses: mpsc::UnboundedSender<RetryPause>,
    scorer: Arc<dyn Scorer>,
    template: PromptTemplate,
    decoding: Decoding,
    images: ImagePolicy,
    samples_per_item: u32,
    cache: Option<Mutex<Box<dyn ResponseCache>>>,
    cpu: tokio::sync::Semaphore,
}

impl RequestContext {
    /// The final record of one draw of `item`; `None` when the run was stopped before its
    /// request had made an attempt (nothing to keep: it is requested again next time).
    async fn request(self: Arc<Self>, item: Arc<Item>, sample: u32) -> Option<SampleRecord> {
        let started = Instant::now();
        let body = {
            // Decoding and encoding images is CPU work: at most one per core at a time, so a wide
            // window does not hold a hundred decoded images in memory at once.
            let _cpu = self.cpu.acquire().await;
            let context = Arc::clone(&self);
            let item = Arc::clone(&item);
            tokio::task::spawn_blocking(move || context.build_body(&item, sample)).await
        };
        let (body, geometry) = match body {
            Ok(Ok(built)) => built,
            Ok(Err(message)) => {
                return Some(failed_record(&item, sample, message, "error:image", None));
            }
            Err(join) => {
                return Some(failed_record(
                    &item,
                    sample,
                    join.to_string(),
                    "error:internal",
                    None,
                ));
            }
        };
        if let Some(completion) = self.cached(&body.sha256) {
            let scored = verdict(self.scorer.as_ref(), &item, &completion).await;
            let mut record =
                answered_record(&item, sample, completion, scored, Some(body.sha256), 0.0);
            record.cached = true;
            record.images = geometry;
            return Some(record);
        }
        let pauses = self.pauses.clone();
        let on_pause = move |pause: &RetryPause| {
            let _ = pauses.send(pause.clone());
        };
        let mut stopped = self.stopped.clone();
        let stop = async move {
            // A dropped sender means the run is over, not stopped.
            if stopped.wait_for(|stopped| *stopped).await.is_err() {
                std::future::pending::<()>().await;
            }
        };
        let exchange = self
            .client
            .complete_observed(&body.bytes, &on_pause, stop)
            .await;
        if matches!(exchange.result, Err(RequestError::Interrupted(_)))
            && exchange.attempts.is_empty()
        {
            return None;
        }
        let mut record = exchange_record(
            self.scorer.as_ref(),
            &item,
            sample,
            exchange,
            body.sha256,
            started,
        )
        .await;
        record.images = geometry;
        Some(record)
    }

    /// The request body for one draw of `item`, and each image's size as the item held it and
    /// as it is sent.
    fn build_body(
        &self,
        item: &Item,
        sample: u32,
    ) -> Result<(ChatBody, Vec<ImageGeometry>), String> {
        let prompt = self.template.render(item);
        let images = item
            .images
            .iter()
            .map(|image| prepare(image, &self.images).map_err(|e| e.to_string()))
            .collect::<Result<Vec<_>, _>>()?;
        let mut decoding = self.decoding.clone();
        // Repeated samples of one item must differ: each draw gets its own seed.
        if self.samples_per_item > 1 {
            decoding.seed = decoding
                .seed
                .map(|seed| seed.wrapping_add(u64::from(sample)));
        }
        let geometry = images.iter().map(|image| image.geometry).collect();
        Ok((
            chat_body(self.client.model(), &prompt, &images, &decoding),
            geometry,
        ))
    }

    fn cached(&self, key: &str) -> Option<Completion> {
        let cache = self.cache.as_ref()?;
        let reader = cache
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        // A cache that cannot be read is skipped, not fatal: the request is sent instead. An
        // empty answer cached by an earlier medeval is not reused either.
        reader.get(key).ok().flatten().filter(has_answer)
    }
}

/// Scores a completion with the current extraction rules.
pub fn score(item: &Item, completion: &Completion) -> Scored {
    medeval_score::score(item, &response_of(completion))
}

/// `scorer`'s verdict on a completion.
async fn verdict(scorer: &dyn Scorer, item: &Item, completion: &Completion) -> Scored {
    scorer.score(item, response_of(completion)).await
}

/// What a scorer reads of a completion: its content, separated reasoning and API refusal, and
/// whether the token limit cut it (`finish_reason` `"length"`): a cut text can look like an
/// answer it is not, so the rules read it only where the answer ended before the cut.
fn response_of(completion: &Completion) -> Response<'_> {
    let mut response = Response::new(&completion.content)
        .truncated(completion.finish_reason.as_deref() == Some("length"));
    if let Some(reasoning) = &completion.reasoning {
        response = response.with_reasoning(reasoning);
    }
    if let Some(refusal) = &completion.refusal {
        response = response.with_refusal(refusal);
    }
    response
}

fn answered_record(
    item: &Item,
    sample: u32,
    completion: Completion,
    scored: Scored,
    request_sha256: Option<String>,
    latency_ms: f64,
) -> SampleRecord {
    SampleRecord {
        item_id: item.id.clone(),
        sample,
        scored,
        completion: Some(completion),
        error: None,
        attempts: Vec::new(),
        latency_ms,
        cached: false,
        request_sha256,
        completed_at: timestamp::now(),
        images: Vec::new(),
    }
}

fn failed_record(
    item: &Item,
    sample: u32,
    message: String,
    rule: &str,
    request_sha256: Option<String>,
) -> SampleRecord {
    SampleRecord {
        item_id: item.id.clone(),
        sample,
        completion: None,
        error: Some(message),
        attempts: Vec::new(),
        latency_ms: 0.0,
        cached: false,
        request_sha256,
        scored: Scored::error(rule),
        completed_at: timestamp::now(),
        images: Vec::new(),
    }
}

/// The record of a request's exchange: its response scored by `scorer`, or its last error.
async fn exchange_record(
    scorer: &dyn Scorer,
    item: &Item,
    sample: u32,
    exchange: Exchange,
    request_sha256: String,
    started: Instant,
) -> SampleRecord {
    let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    let attempts = exchange
        .attempts
        .iter()
        .map(|attempt| AttemptRecord {
            attempt: attempt.number,
            endpoint: attempt.endpoint.clone(),
            started_at: timestamp::format_unix_millis(
                attempt
                    .started_at
                    .duration_since(UNIX_EPOCH)
                    .unwrap_or_default()
                    .as_millis(),
            ),
            latency_ms: attempt.latency.as_secs_f64() * 1000.0,
            http_status: attempt.http_status,
            error: attempt.error.clone(),
        })
        .collect();
    let error_message = exchange.error_message();
    let mut record = match exchange.result {
        Ok(completion) => {
            let scored = verdict(scorer, item, &completion).await;
            answered_record(
                item,
                sample,
                completion,
                scored,
                Some(request_sha256),
                latency_ms,
            )
        }
        Err(_) => failed_record(
            item,
            sample,
            error_message.unwrap_or_default(),
            "error:request",
            Some(request_sha256),
        ),
    };
    record.latency_ms = latency_ms;
    record.attempts = attempts;
    record
}

/// What rescoring a stored run did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RescoreReport {
    /// The scorer the run's verdicts were by before.
    pub from: ScorerId,
    /// The scorer they are by now.
    pub to: ScorerId,
    /// Samples scored again (those with a response).
    pub rescored: u64,
    /// Of those, how many verdicts changed (outcome or rule).
    pub changed: u64,
}

/// Scores every stored response of `run_id` again with `scorer`, at most `concurrency` at once
/// (a judge scorer waits on the network), and records the new verdicts and the scorer's
/// identity in one step: a process stopped before the end leaves the run as it was.
///
/// The run must not be held by another live process ([`StoreError::RunLocked`]); no sample is
/// requested, and stored responses never change.
pub async fn rescore_stored<S: RunStore + ?Sized>(
    store: &mut S,
    run_id: &str,
    scorer: &Arc<dyn Scorer>,
    concurrency: usize,
) -> Result<RescoreReport, RunError> {
    let run = store.load_run(run_id)?;
    let from = run.manifest.scorer.clone();
    let before: HashMap<(String, u32), (medeval_core::Outcome, String)> = run
        .samples
        .iter()
        .filter(|sample| sample.completion.is_some())
        .map(|sample| {
            (
                (sample.item_id.clone(), sample.sample),
                (sample.scored.outcome, sample.scored.rule.clone()),
            )
        })
        .collect();
    let verdicts = score_stored(&run, scorer, concurrency).await?;
    let changed = verdicts
        .iter()
        .filter(|(item, sample, scored)| {
            before.get(&(item.clone(), *sample)) != Some(&(scored.outcome, scored.rule.clone()))
        })
        .count() as u64;
    store.rescore(run_id, &scorer.id(), &verdicts)?;
    Ok(RescoreReport {
        from,
        to: scorer.id(),
        rescored: verdicts.len() as u64,
        changed,
    })
}

/// The verdicts of `scorer` on every answered sample of `run`, in the run's sample order,
/// with at most `concurrency` being scored at once.
async fn score_stored(
    run: &medeval_store::StoredRun,
    scorer: &Arc<dyn Scorer>,
    concurrency: usize,
) -> Result<Vec<(String, u32, Scored)>, RunError> {
    let items: HashMap<&str, Arc<Item>> = run
        .items
        .iter()
        .map(|record| (record.id.as_str(), Arc::new(record.to_item())))
        .collect();
    let mut queue = run.samples.iter().enumerate().filter_map(|(at, sample)| {
        let completion = sample.completion.clone()?;
        let item = Arc::clone(items.get(sample.item_id.as_str())?);
        Some((at, sample.item_id.clone(), sample.sample, item, completion))
    });
    let mut verdicts: Vec<(usize, String, u32, Scored)> = Vec::new();
    let mut tasks = JoinSet::new();
    loop {
        while tasks.len() < concurrency.max(1) {
            let Some((at, item_id, sample, item, completion)) = queue.next() else {
                break;
            };
            let scorer = Arc::clone(scorer);
            tasks.spawn(async move {
                let scored = verdict(scorer.as_ref(), &item, &completion).await;
                (at, item_id, sample, scored)
            });
        }
        match tasks.join_next().await {
            Some(joined) => verdicts.push(joined.map_err(|e| RunError::Task(e.to_string()))?),
            None => break,
        }
    }
    verdicts.sort_by_key(|(at, ..)| *at);
    Ok(verdicts
        .into_iter()
        .map(|(_, item_id, sample, scored)| (item_id, sample, scored))
        .collect())
}
