//! The run engine under injected faults: answers without text, a store that fills up mid-run, a
//! server asking for a very long `Retry-After`, a stop during that wait.
//!
//! Real HTTP to the scripted server, a real SQLite store. Every expected value is worked out by
//! hand from the scripted replies, never read back from medeval's own scoring.

// In tests a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used)]

mod common;

use common::{film, manifest, only_run, open_store, requests_per_film};
use std::collections::BTreeMap;
use std::future::pending;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use medeval_core::{Gold, Item, Meta, Options, Outcome, RunManifest, Scored, ScorerId, YesNo};
use medeval_mockserver::{ChatRequest, Fault, MockServer, Reply, json};
use medeval_models::{ChatClient, ClientConfig};
use medeval_run::{Answerer, Progress, RetryPause, RunError, RunPlan, RunReport, execute};
use medeval_store::{
    LockHolder, ResponseCache, RunListing, RunStart, RunStatus, RunStore, SampleRecord, SampleSink,
    Store, StoreError, StoredRun,
};

/// Four closed items, `Film N: is there a fracture?`, gold `yes`: a reply `Yes.` is correct.
fn items() -> Vec<Item> {
    (0..4)
        .map(|n| Item {
            id: format!("film{n}"),
            question: format!("Film {n}: is there a fracture?"),
            images: Vec::new(),
            options: Options::new(),
            gold: Gold::yes_no(YesNo::Yes),
            meta: Meta::new(),
            cluster: None,
        })
        .collect()
}

/// Three attempts a request, quick back-off, and `Retry-After` capped at `max_retry_after`.
fn client(server: &MockServer, concurrency: usize, max_retry_after: Duration) -> Arc<ChatClient> {
    let mut config = ClientConfig::new(vec![server.url()], "mock-model");
    config.max_attempts = 3;
    config.retry_base = Duration::from_millis(5);
    config.retry_cap = Duration::from_millis(20);
    config.timeout = Duration::from_secs(20);
    config.concurrency = concurrency;
    config.max_retry_after = max_retry_after;
    Arc::new(ChatClient::new(config).unwrap())
}

fn plan(server: &MockServer, window: usize, max_retry_after: Duration) -> RunPlan {
    RunPlan::new(
        manifest(server),
        items(),
        Answerer::Endpoint(client(server, window, max_retry_after)),
        window,
    )
}

/// The default cap of ten minutes: longer than any test waits.
const TEN_MINUTES: Duration = Duration::from_secs(600);

/// `(item, response text, outcome, rule, error, cached)` of every stored sample.
type Row = (
    String,
    Option<String>,
    Outcome,
    String,
    Option<String>,
    bool,
);

fn rows(run: &StoredRun) -> Vec<Row> {
    run.samples
        .iter()
        .map(|s| {
            (
                s.item_id.clone(),
                s.completion.as_ref().map(|c| c.content.clone()),
                s.scored.outcome,
                s.scored.rule.clone(),
                s.error.clone(),
                s.cached,
            )
        })
        .collect()
}

fn answered(id: &str, text: &str, outcome: Outcome, rule: &str, cached: bool) -> Row {
    (
        id.into(),
        Some(text.into()),
        outcome,
        rule.into(),
        None,
        cached,
    )
}

fn failed(id: &str, error: &str) -> Row {
    (
        id.into(),
        None,
        Outcome::Error,
        "error:request".into(),
        Some(error.into()),
        false,
    )
}

/// Records what the engine reports, and stops the run at the first pause when told to.
#[derive(Default)]
struct Recorder {
    pauses: Mutex<Vec<RetryPause>>,
    samples: Mutex<Vec<SampleRecord>>,
    stop_at_pause: Option<Arc<tokio::sync::Notify>>,
}

impl Progress for Recorder {
    fn sample(&self, record: &SampleRecord) {
        self.samples.lock().unwrap().push(record.clone());
    }

    fn retry_pause(&self, pause: &RetryPause) {
        self.pauses.lock().unwrap().push(pause.clone());
        if let Some(stop) = &self.stop_at_pause {
            stop.notify_one();
        }
    }
}

/// A 200 response without usable text is never an answer that is reused.
///
/// | item  | faulty server's message               | run 1 (3 attempts at most)          | run 2, `--fresh`, healthy server |
/// |-------|---------------------------------------|-------------------------------------|----------------------------------|
/// | film0 | `content: null`                       | empty answer, `unparsed:empty`      | requested: `Yes.`, correct       |
/// | film1 | `content: 42`                         | error after 3 attempts (malformed)  | requested: `Yes.`, correct       |
/// | film2 | `content: null` + one tool call       | error after 1 attempt (tool calls)  | requested: `Yes.`, correct       |
/// | film3 | `Yes.`                                | correct                             | from the cache, correct          |
///
/// Before, film1 and film2 were answered `unparsed:empty` after one attempt, and run 2 took
/// films 0 to 2 from the cache as empty answers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_without_text_are_errors_or_empty_answers_that_are_never_cached() {
    let faulty = MockServer::builder()
        .rule(|request: &ChatRequest| match film(&request.prompt) {
            Some(0) => Reply::raw_message(json!({"role": "assistant", "content": null})),
            Some(1) => Reply::raw_message(json!({"role": "assistant", "content": 42})),
            Some(2) => Reply::raw_message(json!({
                "role": "assistant",
                "content": null,
                "tool_calls": [{"id": "call_1", "type": "function",
                                "function": {"name": "open_viewer", "arguments": "{}"}}]
            })),
            _ => Reply::text("Yes."),
        })
        .start()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut store = open_store(dir.path());

    let first = execute(
        &mut store,
        plan(&faulty, 4, TEN_MINUTES),
        &Recorder::default(),
        pending(),
    )
    .await
    .unwrap();
    assert_eq!(
        (first.requested, first.answered, first.failed, first.cached),
        (4, 2, 2, 0)
    );
    assert_eq!(first.status, RunStatus::Incomplete);
    assert_eq!(
        rows(&store.load_run(&first.run_id).unwrap()),
        vec![
            answered("film0", "", Outcome::Unparsed, "unparsed:empty", false),
            failed(
                "film1",
                "response is malformed: choices[0].message.content is a number: 42 (after 3 attempts)"
            ),
            failed(
                "film2",
                "the model answered with tool calls only (1 call: open_viewer) and no text; \
                 medeval offers no tools, so there is no answer to score (after 1 attempt)"
            ),
            answered(
                "film3",
                "Yes.",
                Outcome::Correct,
                "closed:leading-word",
                false
            ),
        ]
    );
    assert_eq!(
        requests_per_film(&faulty),
        BTreeMap::from([(0, 1), (1, 3), (2, 1), (3, 1)])
    );

    // A fresh run against a healthy server: only film3's answer comes from the cache.
    let healthy = MockServer::builder()
        .rule(|_| Reply::text("Yes."))
        .start()
        .await
        .unwrap();
    let second = execute(
        &mut store,
        RunPlan {
            fresh: true,
            ..plan(&healthy, 4, TEN_MINUTES)
        },
        &Recorder::default(),
        pending(),
    )
    .await
    .unwrap();
    assert_eq!(
        (
            second.requested,
            second.answered,
            second.failed,
            second.cached
        ),
        (4, 4, 0, 1)
    );
    assert_eq!(second.status, RunStatus::Complete);
    assert_eq!(
        rows(&store.load_run(&second.run_id).unwrap()),
        vec![
            answered(
                "film0",
                "Yes.",
                Outcome::Correct,
                "closed:leading-word",
                false
            ),
            answered(
                "film1",
                "Yes.",
                Outcome::Correct,
                "closed:leading-word",
                false
            ),
            answered(
                "film2",
                "Yes.",
                Outcome::Correct,
                "closed:leading-word",
                false
            ),
            answered(
                "film3",
                "Yes.",
                Outcome::Correct,
                "closed:leading-word",
                true
            ),
        ]
    );
    assert_eq!(
        requests_per_film(&healthy),
        BTreeMap::from([(0, 1), (1, 1), (2, 1)])
    );
}

/// A [`Store`] whose sample writer may only grow the file by `extra_pages` pages: the disk fills
/// up during the run.
///
/// Why this way: a small file system (tmpfs, a loop device) needs privileges tests do not have,
/// and `RLIMIT_FSIZE` fails writes with EFBIG (SQLite's "disk I/O error", not a full disk) for
/// the whole test process. SQLite's own `max_page_count`, set on the writer's connection only
/// ([`medeval_store::SampleWriter::limit_growth`]), makes SQLite fail exactly as on a full disk
/// (`SQLITE_FULL`, "database or disk is full"), deterministically, and leaves the store's other
/// connections, and the next run's writer, unaffected.
struct FullDisk {
    store: Store,
    extra_pages: Option<u64>,
}

impl RunStore for FullDisk {
    fn begin_run(
        &mut self,
        manifest: &RunManifest,
        items: &[Item],
        fresh: bool,
    ) -> Result<RunStart, StoreError> {
        self.store.begin_run(manifest, items, fresh)
    }

    fn finish_run(&mut self, run_id: &str, status: RunStatus) -> Result<(), StoreError> {
        self.store.finish_run(run_id, status)
    }

    fn writer(&self, run_id: &str) -> Result<Box<dyn SampleSink>, StoreError> {
        let writer = self.store.writer(run_id)?;
        if let Some(pages) = self.extra_pages {
            writer.limit_growth(pages)?;
        }
        Ok(Box::new(writer))
    }

    fn cache_reader(&self) -> Result<Box<dyn ResponseCache>, StoreError> {
        RunStore::cache_reader(&self.store)
    }

    fn rescore(
        &mut self,
        run_id: &str,
        scorer: &ScorerId,
        verdicts: &[(String, u32, Scored)],
    ) -> Result<(), StoreError> {
        self.store.rescore(run_id, scorer, verdicts)
    }

    fn list_runs(&self) -> Result<Vec<RunListing>, StoreError> {
        self.store.list_runs()
    }

    fn resolve_run(&self, selector: Option<&str>) -> Result<String, StoreError> {
        self.store.resolve_run(selector)
    }

    fn load_run(&self, run_id: &str) -> Result<StoredRun, StoreError> {
        self.store.load_run(run_id)
    }

    fn delete_run(&mut self, run_id: &str) -> Result<(), StoreError> {
        RunStore::delete_run(&mut self.store, run_id)
    }

    fn run_lock(&self, run_id: &str) -> Result<Option<LockHolder>, StoreError> {
        self.store.run_lock(run_id)
    }
}

/// Each answer carries 20 000 bytes of reasoning, which its completion holds twice (parsed, and
/// in the raw body): about 40 500 bytes, written twice, in the sample and in the response cache.
/// With SQLite's 4096-byte pages such a row keeps about 3700 bytes on its table's page and puts
/// the rest on 9 overflow pages, so the first sample takes 18 new pages, and the second 22 (18
/// overflow pages, and the two tables' first pages, too full for a second row, split into two
/// each). A growth of 30 pages holds the first sample and not the second.
const REASONING_BYTES: usize = 20_000;
const EXTRA_PAGES: u64 = 30;

/// The store fills up at film1: the run ends with SQLite's own error naming the store (not "the
/// writer stopped"), film0 stays committed, and the next run (a disk with room again) resumes
/// with films 1 to 3.
///
/// One request at a time, 100 ms apart, so each sample is committed on its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_ends_the_run_with_its_cause_and_the_next_run_resumes() {
    let server = MockServer::builder()
        .latency(Duration::from_millis(100))
        .rule(|_| Reply {
            reasoning: Some("x".repeat(REASONING_BYTES)),
            ..Reply::text("Yes.")
        })
        .start()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("runs.db");
    let mut full = FullDisk {
        store: Store::open(&path).unwrap(),
        extra_pages: Some(EXTRA_PAGES),
    };

    let error = execute(
        &mut full,
        plan(&server, 1, TEN_MINUTES),
        &Recorder::default(),
        pending(),
    )
    .await
    .unwrap_err();
    assert!(matches!(error, RunError::Store(StoreError::Backend { .. })));
    assert_eq!(
        error.to_string(),
        format!("store {}: database or disk is full", path.display())
    );
    // film0 committed; film1 failed to commit; film2's write found the writer stopped.
    assert_eq!(
        requests_per_film(&server),
        BTreeMap::from([(0, 1), (1, 1), (2, 1)])
    );
    let stopped = only_run(&full.store);
    assert_eq!(stopped.status, RunStatus::Running, "never finished");
    assert_eq!(
        rows(&stopped),
        vec![answered(
            "film0",
            "Yes.",
            Outcome::Correct,
            "closed:leading-word",
            false
        )]
    );

    // Room again: the same plan continues the run with exactly what was not committed.
    full.extra_pages = None;
    let second: RunReport = execute(
        &mut full,
        plan(&server, 1, TEN_MINUTES),
        &Recorder::default(),
        pending(),
    )
    .await
    .unwrap();
    assert!(second.resumed);
    assert_eq!(
        (second.already_answered, second.requested, second.answered),
        (1, 3, 3)
    );
    assert_eq!(second.status, RunStatus::Complete);
    let done = only_run(&full.store);
    assert_eq!(
        rows(&done),
        (0..4)
            .map(|n| answered(
                &format!("film{n}"),
                "Yes.",
                Outcome::Correct,
                "closed:leading-word",
                false
            ))
            .collect::<Vec<_>>()
    );
    assert_eq!(
        requests_per_film(&server),
        BTreeMap::from([(0, 1), (1, 2), (2, 2), (3, 1)])
    );
}

/// The first attempt of every film gets `429, Retry-After: 100000`.
async fn rate_limiting_server() -> MockServer {
    MockServer::builder()
        .rule(|_| Reply::text("Yes."))
        .faults(|request| {
            (request.previous_attempts == 0).then_some(Fault::Status {
                code: 429,
                retry_after: Some(100_000),
            })
        })
        .start()
        .await
        .unwrap()
}

/// Four requests in flight together all get `Retry-After: 100000`: one pause, reported once,
/// capped (here at 300 ms, so the test does not wait the default ten minutes); every film is
/// then answered on its second attempt.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_retry_after_is_reported_once_per_pause_with_its_cap() {
    let server = rate_limiting_server().await;
    let dir = tempfile::tempdir().unwrap();
    let mut store = open_store(dir.path());
    let progress = Recorder::default();
    let started = Instant::now();
    let report = execute(
        &mut store,
        plan(&server, 4, Duration::from_millis(300)),
        &progress,
        pending(),
    )
    .await
    .unwrap();
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!((report.answered, report.failed), (4, 0));
    assert_eq!(
        progress.pauses.into_inner().unwrap(),
        vec![RetryPause {
            endpoint: server.url(),
            status: 429,
            attempt: 1,
            requested: Duration::from_secs(100_000),
            waiting: Duration::from_millis(300),
            everyone: true,
        }]
    );
    let samples = progress.samples.into_inner().unwrap();
    assert_eq!(samples.len(), 4);
    for sample in samples {
        let statuses: Vec<Option<u16>> = sample.attempts.iter().map(|a| a.http_status).collect();
        assert_eq!(statuses, vec![Some(429), Some(200)], "{}", sample.item_id);
    }
}

/// A run stopped while it waits out `Retry-After: 100000` (ten minutes, capped) stops at once
/// and keeps what the request did: film0's sample is stored as an error naming the 429, with
/// its one attempt; films 1 to 3, never started, have no sample. The next run retries film0.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_stopped_during_a_pause_keeps_the_attempt_log() {
    let server = rate_limiting_server().await;
    let dir = tempfile::tempdir().unwrap();
    let mut store = open_store(dir.path());
    let stop = Arc::new(tokio::sync::Notify::new());
    let progress = Recorder {
        stop_at_pause: Some(Arc::clone(&stop)),
        ..Recorder::default()
    };
    let started = Instant::now();
    let report = execute(&mut store, plan(&server, 1, TEN_MINUTES), &progress, {
        let stop = Arc::clone(&stop);
        async move { stop.notified().await }
    })
    .await
    .unwrap();
    assert!(started.elapsed() < Duration::from_secs(60), "did not wait");
    assert!(report.interrupted);
    assert_eq!(
        (report.requested, report.answered, report.failed),
        (4, 0, 1)
    );
    assert_eq!(report.status, RunStatus::Incomplete);
    assert_eq!(progress.pauses.lock().unwrap().len(), 1);

    let error = "stopped before an answer (the last attempt had failed: HTTP 429: injected \
                 failure) (after 1 attempt)";
    assert_eq!(rows(&only_run(&store)), vec![failed("film0", error)]);
    let samples = progress.samples.into_inner().unwrap();
    assert_eq!(samples.len(), 1);
    let attempts = &samples[0].attempts;
    assert_eq!(attempts.len(), 1, "the attempt log handed to the store");
    assert_eq!(
        (
            attempts[0].attempt,
            attempts[0].http_status,
            attempts[0].error.as_deref()
        ),
        (1, Some(429), Some("HTTP 429: injected failure"))
    );
    assert_eq!(requests_per_film(&server), BTreeMap::from([(0, 1)]));

    // The next run (a new client: the old one is still paused) retries film0 and the rest.
    let second = execute(
        &mut store,
        plan(&server, 1, Duration::from_millis(50)),
        &Recorder::default(),
        pending(),
    )
    .await
    .unwrap();
    assert!(second.resumed);
    assert_eq!((second.requested, second.answered), (4, 4));
    assert_eq!(second.status, RunStatus::Complete);
    assert_eq!(
        requests_per_film(&server),
        BTreeMap::from([(0, 2), (1, 2), (2, 2), (3, 2)])
    );
}
