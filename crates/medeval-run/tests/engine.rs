//! The run engine end to end, without the CLI: real HTTP to the scripted server, a real SQLite
//! store.
//!
//! Every expected verdict is worked out by hand from the items' gold answers and the replies the
//! server is scripted to give, never read back from medeval's own scoring.

// In tests a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used)]

mod common;

use common::{film, manifest, only_run, open_store, requests_per_film};
use std::collections::{BTreeMap, HashSet};
use std::future::pending;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use medeval_core::{
    AnswerType, Completion, Gold, Item, Letter, Meta, Options, Outcome, RunManifest, Scored,
    ScorerId,
};
use medeval_mockserver::{ChatRequest, Fault, MockServer, Reply};
use medeval_models::{ChatClient, ClientConfig};
use medeval_run::{Answerer, Progress, Quiet, RunPlan, RunReport, execute};
use medeval_store::{RunStatus, RunStore, SampleRecord, Store, StoredRun};

/// Four items whose questions start with `Film N:`, so the server can tell them apart.
///
/// | item  | type   | gold | scripted reply | verdict |
/// |-------|--------|------|----------------|---------|
/// | film0 | closed | yes  | `Yes.`         | correct |
/// | film1 | closed | no   | `Yes.`         | wrong   |
/// | film2 | mcq    | B    | `B`            | correct |
/// | film3 | closed | yes  | `No.`          | wrong   |
fn items() -> Vec<Item> {
    let closed = |n: usize, question: &str, answer: &str| Item {
        id: format!("film{n}"),
        question: format!("Film {n}: {question}"),
        images: Vec::new(),
        options: Options::new(),
        gold: Gold::read(AnswerType::Closed, answer).unwrap(),
        meta: Meta::new(),
        cluster: None,
    };
    let letter = |c| Letter::new(c).unwrap();
    let mcq = Item {
        id: "film2".into(),
        question: "Film 2: what is the main finding?".into(),
        options: Options::from([
            (letter('A'), "Pneumothorax".to_owned()),
            (letter('B'), "Consolidation".to_owned()),
            (letter('C'), "Pleural effusion".to_owned()),
        ]),
        gold: Gold::Letter(Letter::new('B').unwrap()),
        ..closed(2, "", "yes")
    };
    vec![
        closed(0, "is there a fracture?", "yes"),
        closed(1, "is there a fracture?", "no"),
        mcq,
        closed(3, "is the heart enlarged?", "yes"),
    ]
}

/// The verdicts of the table above, in item order.
const EXPECTED: [(&str, &str, Outcome); 4] = [
    ("film0", "Yes.", Outcome::Correct),
    ("film1", "Yes.", Outcome::Wrong),
    ("film2", "B", Outcome::Correct),
    ("film3", "No.", Outcome::Wrong),
];

/// The scripted replies of the table above.
fn reply(request: &ChatRequest) -> Reply {
    Reply::text(match film(&request.prompt) {
        Some(0 | 1) => "Yes.",
        Some(2) => "B",
        Some(3) => "No.",
        _ => "I cannot tell.",
    })
}

/// A client that never retries, so a scripted failure ends the sample at once.
fn client(server: &MockServer) -> Arc<ChatClient> {
    let mut config = ClientConfig::new(vec![server.url()], "mock-model");
    config.max_attempts = 1;
    config.retry_base = Duration::from_millis(10);
    config.timeout = Duration::from_secs(20);
    config.concurrency = 4;
    Arc::new(ChatClient::new(config).unwrap())
}

fn plan(server: &MockServer, window: usize) -> RunPlan {
    RunPlan::new(
        manifest(server),
        items(),
        Answerer::Endpoint(client(server)),
        window,
    )
}

async fn run(store: &mut Store, plan: RunPlan) -> RunReport {
    execute(store, plan, &Quiet, pending()).await.unwrap()
}

/// `(item, draw, response text, outcome)` of every stored sample, in store order.
fn verdicts(run: &StoredRun) -> Vec<(String, u32, Option<String>, Outcome)> {
    run.samples
        .iter()
        .map(|s| {
            (
                s.item_id.clone(),
                s.sample,
                s.completion.as_ref().map(|c| c.content.clone()),
                s.scored.outcome,
            )
        })
        .collect()
}

fn expected_verdicts() -> Vec<(String, u32, Option<String>, Outcome)> {
    EXPECTED
        .iter()
        .map(|(id, text, outcome)| ((*id).to_owned(), 0, Some((*text).to_owned()), *outcome))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_item_is_answered_scored_and_stored_exactly_once() {
    let server = MockServer::builder().rule(reply).start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut store = open_store(dir.path());

    let report = run(&mut store, plan(&server, 4)).await;
    assert!(!report.resumed);
    assert_eq!(
        (
            report.total,
            report.requested,
            report.answered,
            report.failed
        ),
        (4, 4, 4, 0)
    );
    assert_eq!(report.cached, 0);
    assert_eq!(report.status, RunStatus::Complete);
    assert_eq!(
        requests_per_film(&server),
        BTreeMap::from([(0, 1), (1, 1), (2, 1), (3, 1)]),
        "one request per item"
    );

    let stored = only_run(&store);
    assert_eq!(stored.id, report.run_id);
    assert_eq!(stored.status, RunStatus::Complete);
    assert_eq!(verdicts(&stored), expected_verdicts());
    assert_eq!(stored.samples[2].scored.extracted.as_deref(), Some("B"));
    assert!(
        stored.samples.iter().all(|s| s.request_sha256.is_some()),
        "every sample records its request digest"
    );

    // The same plan again: the run is complete, nothing is requested.
    let again = run(&mut store, plan(&server, 4)).await;
    assert!(again.resumed);
    assert_eq!(again.run_id, report.run_id);
    assert_eq!(
        (again.already_answered, again.requested, again.answered),
        (4, 0, 0)
    );
    assert_eq!(again.status, RunStatus::Complete);
    assert_eq!(server.chat_requests().len(), 4, "no request sent again");
    assert_eq!(only_run(&store).samples, stored.samples);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_requests_end_as_errors_and_the_next_execute_retries_only_them() {
    // Films 1 and 3 fail the first time they are asked, and only then.
    let server = MockServer::builder()
        .rule(reply)
        .faults(|request| {
            (request.previous_attempts == 0 && matches!(film(&request.prompt), Some(1 | 3)))
                .then_some(Fault::Status {
                    code: 500,
                    retry_after: None,
                })
        })
        .start()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut store = open_store(dir.path());

    let first = run(&mut store, plan(&server, 4)).await;
    assert_eq!((first.requested, first.answered, first.failed), (4, 2, 2));
    assert_eq!(first.status, RunStatus::Incomplete);
    let stored = only_run(&store);
    assert_eq!(stored.status, RunStatus::Incomplete);
    let outcomes: Vec<(&str, Outcome)> = stored
        .samples
        .iter()
        .map(|s| (s.item_id.as_str(), s.scored.outcome))
        .collect();
    assert_eq!(
        outcomes,
        [
            ("film0", Outcome::Correct),
            ("film1", Outcome::Error),
            ("film2", Outcome::Correct),
            ("film3", Outcome::Error),
        ]
    );
    for failed in [&stored.samples[1], &stored.samples[3]] {
        assert_eq!(failed.completion, None);
        assert_eq!(failed.scored.rule, "error:request");
        let message = failed.error.as_deref().unwrap_or_default();
        assert!(message.contains("500"), "{message}");
    }

    let second = run(&mut store, plan(&server, 4)).await;
    assert!(second.resumed);
    assert_eq!(second.run_id, first.run_id);
    assert_eq!(
        (
            second.already_answered,
            second.requested,
            second.answered,
            second.failed
        ),
        (2, 2, 2, 0)
    );
    assert_eq!(second.status, RunStatus::Complete);

    let retried: HashSet<usize> = server
        .chat_requests()
        .iter()
        .skip(4)
        .map(|r| film(r.prompt.as_deref().unwrap_or_default()).unwrap())
        .collect();
    assert_eq!(server.chat_requests().len(), 6);
    assert_eq!(retried, HashSet::from([1, 3]), "only the failed items");

    let after = only_run(&store);
    assert_eq!(verdicts(&after), expected_verdicts());
    assert_eq!(
        (&after.samples[0], &after.samples[2]),
        (&stored.samples[0], &stored.samples[2]),
        "answered samples are not written again"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_identical_request_is_served_from_the_response_cache() {
    let server = MockServer::builder().rule(reply).start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut store = open_store(dir.path());

    let first = run(&mut store, plan(&server, 4)).await;
    assert_eq!((first.answered, first.cached), (4, 0));

    // A new run of the same requests: every response comes from the cache.
    let second = run(
        &mut store,
        RunPlan {
            fresh: true,
            ..plan(&server, 4)
        },
    )
    .await;
    assert_ne!(second.run_id, first.run_id);
    assert_eq!(
        (second.requested, second.answered, second.cached),
        (4, 4, 4)
    );
    assert_eq!(server.chat_requests().len(), 4, "nothing sent");
    let cached = store.load_run(&second.run_id).unwrap();
    assert!(cached.samples.iter().all(|s| s.cached));
    assert_eq!(verdicts(&cached), expected_verdicts());
    let original = store.load_run(&first.run_id).unwrap();
    let responses = |run: &StoredRun| -> Vec<Option<Completion>> {
        run.samples.iter().map(|s| s.completion.clone()).collect()
    };
    assert_eq!(
        responses(&cached),
        responses(&original),
        "the very responses, raw bodies included"
    );

    // With the cache turned off, the same requests are sent again.
    let mut uncached = plan(&server, 4);
    uncached.manifest.cache = false;
    uncached.fresh = true;
    let third = run(&mut store, uncached).await;
    assert_eq!((third.answered, third.cached), (4, 0));
    assert_eq!(server.chat_requests().len(), 8);
}

/// Stops the run once `after` samples are final.
struct StopAfter {
    after: usize,
    seen: AtomicUsize,
    stop: Arc<tokio::sync::Notify>,
}

impl Progress for StopAfter {
    fn sample(&self, _record: &SampleRecord) {
        if self.seen.fetch_add(1, Ordering::SeqCst) + 1 == self.after {
            self.stop.notify_one();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_mid_run_leaves_a_run_the_next_execute_finishes() {
    // Slow enough that the request in flight when the stop fires is not answered.
    let server = MockServer::builder()
        .rule(reply)
        .latency(Duration::from_millis(100))
        .start()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut store = open_store(dir.path());

    // One sample at a time, stopped after the second.
    let stop = Arc::new(tokio::sync::Notify::new());
    let progress = StopAfter {
        after: 2,
        seen: AtomicUsize::new(0),
        stop: Arc::clone(&stop),
    };
    let first = execute(&mut store, plan(&server, 1), &progress, async move {
        stop.notified().await;
    })
    .await
    .unwrap();
    assert!(first.interrupted);
    assert_eq!((first.requested, first.answered, first.failed), (4, 2, 0));
    assert_eq!(first.status, RunStatus::Incomplete);
    let stopped = only_run(&store);
    assert_eq!(stopped.status, RunStatus::Incomplete);
    assert_eq!(verdicts(&stopped), expected_verdicts()[..2].to_vec());

    let second = run(&mut store, plan(&server, 1)).await;
    assert!(second.resumed && !second.interrupted);
    assert_eq!(second.run_id, first.run_id);
    assert_eq!(
        (second.already_answered, second.requested, second.answered),
        (2, 2, 2)
    );
    assert_eq!(second.status, RunStatus::Complete);
    assert_eq!(verdicts(&only_run(&store)), expected_verdicts());

    let counts = requests_per_film(&server);
    assert_eq!(
        (counts[&0], counts[&1], counts[&3]),
        (1, 1, 1),
        "answered items are never asked again"
    );
    // Film 2 was on the wire when the stop fired, or not yet sent.
    assert!((1..=2).contains(&counts[&2]), "{counts:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stored_responses_are_rescored_when_the_extraction_rules_changed() {
    let server = MockServer::builder().rule(reply).start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut store = open_store(dir.path());

    // A run written by an older extractor: three responses with verdicts the current rules do
    // not give, and one request that failed.
    let plan = plan(&server, 4);
    let old = RunManifest {
        scorer: ScorerId::rules("0-old"),
        ..plan.manifest.clone()
    };
    let run_id = store.begin_run(&old, &plan.items, false).unwrap().run_id;
    let stale = |item: &str, text: &str| SampleRecord {
        item_id: item.into(),
        sample: 0,
        completion: Some(Completion::text(text)),
        error: None,
        attempts: Vec::new(),
        latency_ms: 5.0,
        cached: false,
        request_sha256: None,
        scored: Scored::new(Outcome::Unparsed, None, "old:rule"),
        completed_at: "2025-01-01T00:00:00.000Z".into(),
        images: Vec::new(),
    };
    let writer = store.writer(&run_id).unwrap();
    writer.write(stale("film0", "Yes."), None).unwrap();
    writer.write(stale("film1", "Yes."), None).unwrap();
    writer.write(stale("film2", "B"), None).unwrap();
    writer
        .write(
            SampleRecord {
                completion: None,
                error: Some("HTTP 500".into()),
                scored: Scored::error("error:request"),
                ..stale("film3", "")
            },
            None,
        )
        .unwrap();
    writer.finish().unwrap();
    store.finish_run(&run_id, RunStatus::Incomplete).unwrap();

    // Through the trait object, as a caller choosing its backend at run time would.
    let dynamic: &mut dyn RunStore = &mut store;
    let report = execute(dynamic, plan, &Quiet, pending()).await.unwrap();
    assert_eq!(report.run_id, run_id);
    assert_eq!(report.rescored_from, Some(ScorerId::rules("0-old")));
    assert_eq!(
        (report.already_answered, report.requested, report.answered),
        (3, 1, 1)
    );
    assert_eq!(report.status, RunStatus::Complete);
    assert_eq!(
        requests_per_film(&server),
        BTreeMap::from([(3, 1)]),
        "only the failed item is requested"
    );

    let rescored = store.load_run(&run_id).unwrap();
    assert_eq!(verdicts(&rescored), expected_verdicts());
    assert!(
        rescored.samples[..3]
            .iter()
            .all(|s| s.scored.rule != "old:rule" && s.completed_at == "2025-01-01T00:00:00.000Z"),
        "new verdicts on the stored responses"
    );
    assert_eq!(
        rescored.manifest.scorer,
        ScorerId::rules(medeval_score::EXTRACTOR_VERSION)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_draw_of_an_item_is_requested_with_its_own_seed_and_stored_once() {
    // Seed 7 answers yes, seed 8 answers no; the server notes which film asked with which seed.
    let asked = Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = Arc::clone(&asked);
    let server = MockServer::builder()
        .rule(move |request| {
            let seed = request.body["seed"].as_u64();
            log.lock().unwrap().push((film(&request.prompt), seed));
            Reply::text(match seed {
                Some(7) => "Yes.",
                Some(8) => "No.",
                _ => "I cannot tell.",
            })
        })
        .start()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut store = open_store(dir.path());
    let mut plan = plan(&server, 4);
    plan.items.truncate(2);
    plan.manifest.samples_per_item = 2;
    plan.manifest.decoding.seed = Some(7);

    let report = run(&mut store, plan).await;
    assert_eq!((report.total, report.answered), (4, 4));
    let mut seeds = asked.lock().unwrap().clone();
    seeds.sort_unstable();
    assert_eq!(
        seeds,
        [
            (Some(0), Some(7)),
            (Some(0), Some(8)),
            (Some(1), Some(7)),
            (Some(1), Some(8))
        ]
    );

    // film0 (gold yes) and film1 (gold no), each answered yes then no.
    let yes = || Some("Yes.".to_owned());
    let no = || Some("No.".to_owned());
    assert_eq!(
        verdicts(&only_run(&store)),
        [
            ("film0".to_owned(), 0, yes(), Outcome::Correct),
            ("film0".to_owned(), 1, no(), Outcome::Wrong),
            ("film1".to_owned(), 0, yes(), Outcome::Wrong),
            ("film1".to_owned(), 1, no(), Outcome::Correct),
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_can_be_spawned_onto_the_runtime_with_its_store() {
    // `execute` must be `Send` for a caller to spawn it (one task per run of a session); this
    // would not compile otherwise.
    let server = MockServer::builder().rule(reply).start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("runs.db");
    let plan = plan(&server, 2);
    let task = tokio::spawn(async move {
        let mut store = Store::open(&path).unwrap();
        let report = execute(&mut store, plan, &Quiet, pending()).await.unwrap();
        (report, only_run(&store))
    });
    let (report, stored) = task.await.unwrap();
    assert_eq!((report.answered, report.status), (4, RunStatus::Complete));
    assert_eq!(verdicts(&stored), expected_verdicts());
}

/// A reply cut by the token limit (`finish_reason` `"length"`) is read only where its answer
/// ended before the cut, and the stored completion keeps the reason.
///
/// | item  | gold | scripted reply (all cut)                                  | verdict  |
/// |-------|------|-----------------------------------------------------------|----------|
/// | film0 | yes  | `Yes. The fracture line runs through the`                 | correct  |
/// | film1 | no   | `Yes. There is a`                                         | wrong    |
/// | film2 | B    | `The likely finding is a consolidation of the lower lobe, or` | unparsed |
/// | film3 | yes  | `The answer is B or`  (closed item: no yes/no before the cut) | unparsed |
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_cut_by_the_token_limit_are_read_only_where_they_ended() {
    let server = MockServer::builder()
        .rule(|request| {
            Reply::text(match film(&request.prompt) {
                Some(0) => "Yes. The fracture line runs through the",
                Some(1) => "Yes. There is a",
                Some(2) => "The likely finding is a consolidation of the lower lobe, or",
                _ => "The answer is B or",
            })
            .cut_by_token_limit()
        })
        .start()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut store = open_store(dir.path());
    run(&mut store, plan(&server, 4)).await;
    let stored = only_run(&store);
    let outcomes: Vec<(String, Outcome)> = stored
        .samples
        .iter()
        .map(|s| (s.item_id.clone(), s.scored.outcome))
        .collect();
    assert_eq!(
        outcomes,
        vec![
            ("film0".to_owned(), Outcome::Correct),
            ("film1".to_owned(), Outcome::Wrong),
            ("film2".to_owned(), Outcome::Unparsed),
            ("film3".to_owned(), Outcome::Unparsed),
        ]
    );
    for sample in &stored.samples {
        let completion = sample.completion.as_ref().unwrap();
        assert_eq!(completion.finish_reason.as_deref(), Some("length"));
        if sample.scored.outcome == Outcome::Unparsed {
            assert_eq!(
                sample.scored.rule, "unparsed:truncated",
                "{}",
                sample.item_id
            );
        }
    }
}
