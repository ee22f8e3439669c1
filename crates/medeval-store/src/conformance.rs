//! The conformance suite: the [`RunStore`] contract as tests, written once for every backend.
//!
//! A backend's guarantees are what make a run resumable and its numbers trustworthy, and they are
//! easy to get subtly wrong (an upsert that lets a late error replace an answer, a resume that
//! forgets errored draws). So each guarantee is checked here, against any backend, through a
//! [`Backend`]: a factory of fresh stores plus the three things only a backend knows how to do
//! (make a store claim a newer schema, show what it persists, and record a lock as another
//! process would).
//!
//! A backend's tests run every case with one line:
//!
//! ```text
//! // tests/conformance.rs of a backend crate, with the `conformance` feature on.
//! medeval_store::run_store_conformance!(MyBackend::new());
//! ```
//!
//! which expands to one `#[test]` per case, named after it, each with a backend of its own. The
//! cases are also public functions, to be called one by one.
//!
//! Cases panic (as tests do) with a message naming the broken guarantee. Expected values are
//! written out by hand from the samples each case writes, never read back from the store.

use std::collections::{BTreeMap, HashSet};
use std::fmt::Debug;
use std::path::PathBuf;
use std::time::Duration;

use medeval_core::{
    CardRecord, Completion, Decoding, FileDigest, Gold, Image, ImageEncoding, ImagePolicy, Item,
    ItemsSource, Letter, Meta, ModelKind, ModelRecord, Options, Outcome, PromptTemplate,
    RunManifest, Scored, ScorerId, Usage, YesNo,
};

use crate::lock::{self, LockHolder, STALE_AFTER, Staleness};
use crate::{AttemptRecord, ItemRecord, RunStatus, RunStore, SampleRecord, StoreError};

/// What the suite needs from a backend: fresh stores, and the hooks only the backend can provide.
///
/// Hooks other than [`Backend::open`] run test setup; they panic when the setup fails.
pub trait Backend {
    /// The backend's store.
    type Store: RunStore;
    /// Where one store lives (a file for SQLite, a database or schema name for a server), so a
    /// case can close a store and open it again as a new process would.
    type Location: Clone + Debug;

    /// A place for a new store, different from every place returned before; nothing is there yet
    /// (or an empty database).
    fn new_location(&mut self) -> Self::Location;

    /// Opens the store at `at`, creating it when nothing is there: what a process does when it
    /// starts. Refusals ([`StoreError::NewerSchema`] ...) are the cases' to check.
    fn open(&mut self, at: &Self::Location) -> Result<Self::Store, StoreError>;

    /// The highest schema version this build of the backend reads.
    fn supported_schema(&self) -> u32;

    /// Makes the closed store at `at` claim schema `version`, as if a newer medeval had written
    /// it.
    fn claim_schema_version(&mut self, at: &Self::Location, version: u32);

    /// Everything the closed store at `at` persists, as bytes (the file for SQLite, a full dump
    /// for a server): a refused open must leave this identical.
    fn persisted(&mut self, at: &Self::Location) -> Vec<u8>;

    /// Makes the store at `at` (open or not) record that `holder` holds `run_id`, replacing any
    /// holder it has, as another process that took the run would have: the suite plants live,
    /// silent and dead holders this way.
    fn plant_lock(&mut self, at: &Self::Location, run_id: &str, holder: &LockHolder);
}

/// Expands to one `#[test]` per conformance case, each calling the case with a backend made by
/// evaluating `$backend` anew.
///
/// Adding a case to the suite adds it to every backend's tests.
#[macro_export]
macro_rules! run_store_conformance {
    ($backend:expr) => {
        $crate::run_store_conformance!(@cases $backend;
            one_stored_sample_per_draw,
            an_answered_sample_is_never_overwritten,
            a_crashed_run_continues_with_only_missing_or_failed_draws_pending,
            fresh_starts_a_new_run,
            a_newer_schema_is_refused_and_left_untouched,
            rescoring_changes_verdicts_never_responses,
            a_continued_run_stays_stale_until_rescored,
            runs_round_trip_their_manifest_items_and_samples,
            runs_resolve_by_exact_id_or_unique_prefix,
            the_response_cache_keeps_what_it_was_asked_to,
            responses_put_in_the_cache_are_read_back_first_one_kept,
            a_deleted_run_is_gone_and_nothing_else_is,
            a_run_has_one_worker_at_a_time,
            a_stale_lock_is_taken_over_once_and_reported,
            a_store_that_lost_its_run_writes_nothing_more,
            a_held_run_keeps_its_heartbeat_fresh,
        );
    };
    (@cases $backend:expr; $($case:ident),* $(,)?) => {
        $(
            #[test]
            fn $case() {
                let mut backend = $backend;
                $crate::conformance::$case(&mut backend);
            }
        )*
    };
}

/// A run begun by one store is refused to another (a second process) while the first holds it,
/// with nothing changed and the holder named; finishing the run, or dropping the store, releases
/// it; a store that holds a run may begin it again; `fresh` is a separate run with its own lock.
pub fn a_run_has_one_worker_at_a_time<B: Backend>(backend: &mut B) {
    let (at, mut first) = fresh(backend);
    let manifest = manifest("model-a");
    let items = items(2);
    let run = ok(first.begin_run(&manifest, &items, false), "first begin").run_id;
    let again = ok(
        first.begin_run(&manifest, &items, false),
        "first begins again",
    );
    assert_eq!(
        (again.run_id.as_str(), again.took_over.clone()),
        (run.as_str(), None),
        "the holder continues its own run"
    );

    let mut second = ok(backend.open(&at), "second open");
    let before = ok(second.list_runs(), "list_runs");
    let holder = match second.begin_run(&manifest, &items, false) {
        Err(StoreError::RunLocked {
            run: locked,
            holder,
            ..
        }) => {
            assert_eq!(locked, run);
            holder
        }
        other => panic!("a second worker on a held run: expected RunLocked, got {other:?}"),
    };
    assert_eq!(holder.pid, std::process::id(), "the holder is named");
    assert_eq!(holder.host, lock::host_name());
    assert!(
        holder.staleness(lock::now_unix_ms()).is_none(),
        "the holder is alive"
    );
    assert_eq!(
        ok(second.list_runs(), "list_runs"),
        before,
        "a refused begin changes nothing"
    );
    assert_eq!(
        ok(second.run_lock(&run), "run_lock"),
        Some(*holder.clone()),
        "run_lock names the holder"
    );
    match second.delete_run(&run) {
        Err(StoreError::RunLocked { .. }) => {}
        other => panic!("deleting a held run: expected RunLocked, got {other:?}"),
    }

    ok(first.finish_run(&run, RunStatus::Incomplete), "finish_run");
    assert_eq!(
        ok(second.run_lock(&run), "run_lock"),
        None,
        "finish releases"
    );
    let taken = ok(second.begin_run(&manifest, &items, false), "second begin");
    assert_eq!(
        (taken.run_id.as_str(), taken.resumed, taken.took_over),
        (run.as_str(), true, None)
    );
    match first.begin_run(&manifest, &items, false) {
        Err(StoreError::RunLocked { .. }) => {}
        other => panic!("the first store, now second: expected RunLocked, got {other:?}"),
    }
    let separate = ok(first.begin_run(&manifest, &items, true), "fresh");
    assert_ne!(
        separate.run_id, run,
        "fresh is a separate run, free to take"
    );

    drop(second);
    let after_drop = ok(
        first.begin_run(&manifest, &items, false),
        "begin after drop",
    );
    assert_eq!(
        (after_drop.run_id, after_drop.took_over),
        (separate.run_id, None),
        "the newest run of the identity is continued"
    );
    assert_eq!(
        ok(first.run_lock(&run), "run_lock"),
        None,
        "dropping the store released the run"
    );
}

/// A lock whose holder stopped refreshing it for longer than [`STALE_AFTER`], or whose process
/// is gone from this machine, is taken over by the next `begin_run`, which reports whose it was
/// and why; a live holder on another machine is refused however old its `since`.
pub fn a_stale_lock_is_taken_over_once_and_reported<B: Backend>(backend: &mut B) {
    let (at, mut store) = fresh(backend);
    let manifest = manifest("model-a");
    let items = items(1);
    let run = ok(store.begin_run(&manifest, &items, false), "begin").run_id;
    ok(store.finish_run(&run, RunStatus::Incomplete), "finish_run");
    let now = lock::now_unix_ms();

    let silent = LockHolder {
        pid: 4242,
        host: "gpu-07".into(),
        machine: "gpu-07 boot 1".into(),
        since: "2026-01-01T00:00:00.000Z".into(),
        heartbeat_unix_ms: now - 10 * 60 * 1000,
    };
    backend.plant_lock(&at, &run, &silent);
    // Four processes find the stale lock at the same moment: one breaks it, the others find
    // the breaker alive.
    let breakers: Vec<B::Store> = (0..4).map(|_| ok(backend.open(&at), "open")).collect();
    let barrier = std::sync::Barrier::new(breakers.len());
    let outcomes: Vec<(B::Store, Result<crate::RunStart, StoreError>)> =
        std::thread::scope(|scope| {
            let racing: Vec<_> = breakers
                .into_iter()
                .map(|mut breaker| {
                    let (barrier, manifest, items) = (&barrier, &manifest, &items);
                    scope.spawn(move || {
                        barrier.wait();
                        let outcome = breaker.begin_run(manifest, items, false);
                        (breaker, outcome)
                    })
                })
                .collect();
            racing
                .into_iter()
                .map(|thread| {
                    thread
                        .join()
                        .unwrap_or_else(|_| panic!("a breaker panicked"))
                })
                .collect()
        });
    let mut winners = Vec::new();
    for (_, outcome) in &outcomes {
        match outcome {
            Ok(start) => winners.push(start.took_over.clone()),
            Err(StoreError::RunLocked { holder, .. }) => {
                assert_eq!(
                    holder.pid,
                    std::process::id(),
                    "refused in favour of the breaker"
                );
            }
            Err(other) => panic!("a breaker: expected success or RunLocked, got {other}"),
        }
    }
    assert_eq!(winners.len(), 1, "exactly one breaker wins");
    let taken = winners.remove(0).expect("the take-over is reported");
    assert_eq!(taken.holder, silent);
    match taken.staleness {
        Staleness::Silent(silent_for) => assert!(silent_for >= Duration::from_secs(600)),
        other => panic!("expected Silent, got {other:?}"),
    }
    drop(outcomes);

    // On this machine, a holder whose process is gone is stale whatever its heartbeat.
    let here = LockHolder::this_process();
    let gone = LockHolder {
        // Linux pids stop at 2^22 and macOS pids at 99,999: no process has this id.
        pid: 2_000_000_000,
        ..here.clone()
    };
    backend.plant_lock(&at, &run, &gone);
    let start = ok(store.begin_run(&manifest, &items, false), "take over");
    assert_eq!(
        start.took_over.map(|t| (t.holder, t.staleness)),
        Some((gone, Staleness::ProcessGone))
    );

    // A live holder elsewhere, silent for less than STALE_AFTER, keeps the run.
    let alive = LockHolder {
        heartbeat_unix_ms: lock::now_unix_ms() - (STALE_AFTER.as_millis() as u64) / 2,
        ..silent
    };
    backend.plant_lock(&at, &run, &alive);
    match store.begin_run(&manifest, &items, false) {
        Err(StoreError::RunLocked { holder, .. }) => assert_eq!(*holder, alive),
        other => panic!("a live holder: expected RunLocked, got {other:?}"),
    }
}

/// A store whose run was taken over by another process (it stopped refreshing its lock) commits
/// no more samples, cannot rescore or finish the run, and leaves its status to the new holder; a
/// sink for a run the store does not hold is refused.
pub fn a_store_that_lost_its_run_writes_nothing_more<B: Backend>(backend: &mut B) {
    let (at, mut store) = fresh(backend);
    let manifest = manifest("model-a");
    let items = items(3);
    let run = ok(store.begin_run(&manifest, &items, false), "begin").run_id;
    let sink = ok(store.writer(&run), "writer");
    ok(
        sink.write(answered("q0", 0, "yes", Outcome::Correct), None),
        "write",
    );
    ok(sink.finish(), "finish");
    let sink = ok(store.writer(&run), "writer");

    let usurper = LockHolder {
        pid: 4242,
        host: "gpu-07".into(),
        machine: "gpu-07 boot 1".into(),
        since: "2026-01-01T00:00:00.000Z".into(),
        heartbeat_unix_ms: lock::now_unix_ms(),
    };
    backend.plant_lock(&at, &run, &usurper);
    // The write may be refused at once or when it is committed; either way it is not stored.
    let written = sink
        .write(answered("q1", 0, "no", Outcome::Wrong), None)
        .and_then(|()| sink.finish().map(drop));
    match written {
        Err(StoreError::LockLost {
            run: lost, holder, ..
        }) => {
            assert_eq!(lost, run);
            assert_eq!(
                holder.map(|h| *h),
                Some(usurper.clone()),
                "the new holder is named"
            );
        }
        other => panic!("a sink of a lost run: expected LockLost, got {other:?}"),
    }
    match store.writer(&run) {
        Err(StoreError::LockLost { .. }) => {}
        other => panic!(
            "a new sink for a lost run: expected LockLost, got {:?}",
            other.map(drop)
        ),
    }
    match store.rescore(&run, &ScorerId::rules("x2"), &[]) {
        Err(StoreError::LockLost { .. }) => {}
        other => panic!("rescoring a lost run: expected LockLost, got {other:?}"),
    }
    match store.finish_run(&run, RunStatus::Complete) {
        Err(StoreError::LockLost { .. }) => {}
        other => panic!("finishing a lost run: expected LockLost, got {other:?}"),
    }
    let loaded = ok(store.load_run(&run), "load_run");
    assert_eq!(
        keys(&loaded.samples),
        vec![("q0", 0)],
        "only q0 was committed"
    );
    assert_eq!(
        loaded.status,
        RunStatus::Running,
        "the status is the new holder's"
    );
    assert_eq!(loaded.manifest.scorer, ScorerId::rules("x1"));
    assert_eq!(ok(store.run_lock(&run), "run_lock"), Some(usurper));
}

/// A store refreshes the heartbeat of the runs it holds at least every
/// [`lock::HEARTBEAT_EVERY`], so a run that takes hours is never taken for abandoned.
pub fn a_held_run_keeps_its_heartbeat_fresh<B: Backend>(backend: &mut B) {
    let (_, mut store) = fresh(backend);
    let run = ok(
        store.begin_run(&manifest("model-a"), &items(1), false),
        "begin",
    )
    .run_id;
    let first = ok(store.run_lock(&run), "run_lock").expect("the run is held");
    std::thread::sleep(lock::HEARTBEAT_EVERY + Duration::from_millis(1500));
    let later = ok(store.run_lock(&run), "run_lock").expect("the run is still held");
    assert!(
        later.heartbeat_unix_ms > first.heartbeat_unix_ms,
        "the heartbeat was refreshed: {} then {}",
        first.heartbeat_unix_ms,
        later.heartbeat_unix_ms
    );
    assert_eq!(
        later.since, first.since,
        "a refresh keeps when the run was taken"
    );
    assert!(later.staleness(lock::now_unix_ms()).is_none());
}

/// Deleting a run removes it, its items and samples, and only it: another run of the same
/// items keeps everything, and the same manifest begins a new run afterwards.
pub fn a_deleted_run_is_gone_and_nothing_else_is<B: Backend>(backend: &mut B) {
    let (_, mut store) = fresh(backend);
    let items = items(2);
    let doomed = ok(
        store.begin_run(&manifest("model-a"), &items, false),
        "begin a",
    )
    .run_id;
    let kept = ok(
        store.begin_run(&manifest("model-b"), &items, false),
        "begin b",
    )
    .run_id;
    for run in [&doomed, &kept] {
        let sink = ok(store.writer(run), "writer");
        ok(
            sink.write(answered("q0", 0, "yes", Outcome::Correct), None),
            "write",
        );
        ok(sink.finish(), "finish");
    }
    ok(store.delete_run(&doomed), "delete_run");
    match store.load_run(&doomed) {
        Err(StoreError::UnknownRun(id)) => assert_eq!(id, doomed),
        other => panic!("loading a deleted run: expected UnknownRun, got {other:?}"),
    }
    let listed: Vec<String> = ok(store.list_runs(), "list_runs")
        .into_iter()
        .map(|run| run.id)
        .collect();
    assert_eq!(listed, vec![kept.clone()]);
    let other = ok(store.load_run(&kept), "load the other run");
    assert_eq!((other.items.len(), other.samples.len()), (2, 1));
    match store.delete_run(&doomed) {
        Err(StoreError::UnknownRun(_)) => {}
        other => panic!("deleting twice: expected UnknownRun, got {other:?}"),
    }
    let again = ok(
        store.begin_run(&manifest("model-a"), &items, false),
        "begin a again",
    );
    assert!(
        !again.resumed && again.answered.is_empty(),
        "a new run, with nothing stored"
    );
}

/// A run stores at most one sample per `(item, draw)`, however often one is written: repeated
/// errors leave the last, an answer replaces an error, and draws of one item are kept apart.
pub fn one_stored_sample_per_draw<B: Backend>(backend: &mut B) {
    let (_, mut store) = fresh(backend);
    let manifest = RunManifest {
        samples_per_item: 2,
        ..manifest("model-a")
    };
    let items = items(2);
    let run = ok(store.begin_run(&manifest, &items, false), "begin_run").run_id;

    let sink = ok(store.writer(&run), "writer");
    ok(
        sink.write(failed("q0", 0, "HTTP 500 (first)"), None),
        "write",
    );
    ok(
        sink.write(failed("q0", 0, "HTTP 500 (second)"), None),
        "write",
    );
    ok(
        sink.write(answered("q0", 1, "yes", Outcome::Correct), None),
        "write",
    );
    ok(sink.write(failed("q1", 1, "timed out"), None), "write");
    assert_eq!(ok(sink.finish(), "finish"), 4, "finish counts every write");

    let sink = ok(store.writer(&run), "writer");
    ok(
        sink.write(answered("q0", 0, "no", Outcome::Wrong), None),
        "write",
    );
    ok(
        sink.write(failed("q1", 1, "connection reset"), None),
        "write",
    );
    ok(sink.write(failed("q1", 1, "HTTP 502"), None), "write");
    ok(sink.finish(), "finish");

    let loaded = ok(store.load_run(&run), "load_run");
    assert_eq!(
        keys(&loaded.samples),
        vec![("q0", 0), ("q0", 1), ("q1", 1)],
        "exactly one sample per written (item, draw), in item then draw order"
    );
    assert_eq!(
        loaded.samples[0],
        stored(answered("q0", 0, "no", Outcome::Wrong)),
        "an answer replaces an error"
    );
    assert_eq!(
        loaded.samples[1],
        stored(answered("q0", 1, "yes", Outcome::Correct))
    );
    assert_eq!(
        loaded.samples[2],
        stored(failed("q1", 1, "HTTP 502")),
        "a later error replaces an earlier one"
    );

    let listed = ok(store.list_runs(), "list_runs");
    assert_eq!(listed.len(), 1);
    assert_eq!(
        (listed[0].answered, listed[0].errors, listed[0].correct),
        (2, 1, 1),
        "the listing counts stored samples, not writes"
    );
}

/// Once a sample with a response is committed, no later write changes it: not an error, not
/// another answer, whether it comes through the same sink or a later one.
pub fn an_answered_sample_is_never_overwritten<B: Backend>(backend: &mut B) {
    let (_, mut store) = fresh(backend);
    let manifest = manifest("model-a");
    let items = items(2);
    let run = ok(store.begin_run(&manifest, &items, false), "begin_run").run_id;

    let first_q0 = answered("q0", 0, "yes", Outcome::Correct);
    let sink = ok(store.writer(&run), "writer");
    ok(sink.write(first_q0.clone(), None), "write");
    ok(sink.finish(), "finish");

    // A later invocation's duplicates, through another sink.
    let sink = ok(store.writer(&run), "writer");
    ok(sink.write(failed("q0", 0, "HTTP 503"), None), "write");
    ok(
        sink.write(answered("q0", 0, "no", Outcome::Wrong), None),
        "write",
    );
    // Within one sink: answer, then error, then another answer for q1.
    let first_q1 = answered("q1", 0, "no", Outcome::Wrong);
    ok(sink.write(first_q1.clone(), None), "write");
    ok(sink.write(failed("q1", 0, "HTTP 500"), None), "write");
    ok(
        sink.write(answered("q1", 0, "yes", Outcome::Correct), None),
        "write",
    );
    ok(sink.finish(), "finish");

    let loaded = ok(store.load_run(&run), "load_run");
    assert_eq!(
        loaded.samples,
        vec![stored(first_q0), stored(first_q1)],
        "the first committed answers stay exactly as written"
    );

    let again = ok(store.begin_run(&manifest, &items, false), "begin_run again");
    assert_eq!(
        again.answered,
        set(&[("q0", 0), ("q1", 0)]),
        "both samples still count as answered"
    );
}

/// A run whose process died (its sink dropped without `finish`, the run never finished),
/// continued by a new process, requests exactly the draws without a committed response.
pub fn a_crashed_run_continues_with_only_missing_or_failed_draws_pending<B: Backend>(
    backend: &mut B,
) {
    let (at, mut store) = fresh(backend);
    let manifest = RunManifest {
        samples_per_item: 2,
        ..manifest("model-a")
    };
    let items = items(3);
    let first = ok(store.begin_run(&manifest, &items, false), "begin_run");

    let sink = ok(store.writer(&first.run_id), "writer");
    ok(
        sink.write(answered("q0", 0, "yes", Outcome::Correct), None),
        "write",
    );
    ok(
        sink.write(answered("q0", 1, "no", Outcome::Wrong), None),
        "write",
    );
    ok(sink.write(failed("q1", 0, "HTTP 500"), None), "write");
    ok(
        sink.write(answered("q2", 1, "yes", Outcome::Correct), None),
        "write",
    );
    // The process dies: no `finish`, no `finish_run`.
    drop(sink);
    drop(store);

    let mut store = ok(backend.open(&at), "reopen");
    let listed = ok(store.list_runs(), "list_runs");
    assert_eq!(listed.len(), 1);
    assert_eq!(
        listed[0].status,
        RunStatus::Running,
        "a run whose end was never recorded is still running (or killed)"
    );
    assert_eq!((listed[0].answered, listed[0].errors), (3, 1));

    let again = ok(store.begin_run(&manifest, &items, false), "begin_run again");
    assert!(again.resumed, "the crashed run is continued");
    assert_eq!(again.run_id, first.run_id);
    assert_eq!(
        again.answered,
        set(&[("q0", 0), ("q0", 1), ("q2", 1)]),
        "answered: the committed responses, and nothing else"
    );
    let pending: HashSet<(String, u32)> = items
        .iter()
        .flat_map(|item| (0..2).map(move |draw| (item.id.clone(), draw)))
        .filter(|key| !again.answered.contains(key))
        .collect();
    assert_eq!(
        pending,
        set(&[("q1", 0), ("q1", 1), ("q2", 0)]),
        "pending: the errored draw and the two never written"
    );
}

/// `fresh` creates a new run even when one with the same identity exists; without it, the newest
/// run with the identity is continued, and a different manifest is a different run.
pub fn fresh_starts_a_new_run<B: Backend>(backend: &mut B) {
    let (_, mut store) = fresh(backend);
    let items = items(1);
    let a = ok(
        store.begin_run(&manifest("model-a"), &items, false),
        "begin",
    );
    assert!(!a.resumed && a.answered.is_empty() && a.stale_scorer.is_none());
    let sink = ok(store.writer(&a.run_id), "writer");
    ok(
        sink.write(answered("q0", 0, "yes", Outcome::Correct), None),
        "write",
    );
    ok(sink.finish(), "finish");

    let b = ok(
        store.begin_run(&manifest("model-b"), &items, false),
        "begin",
    );
    assert!(!b.resumed, "another model is another run");
    assert_ne!(b.run_id, a.run_id);

    let c = ok(
        store.begin_run(&manifest("model-a"), &items, true),
        "begin fresh",
    );
    assert!(!c.resumed, "fresh never continues");
    assert!(c.answered.is_empty(), "a fresh run has no answers");
    assert_ne!(c.run_id, a.run_id);
    assert_ne!(c.run_id, b.run_id);
    assert!(
        ok(store.load_run(&c.run_id), "load fresh")
            .samples
            .is_empty()
    );
    assert_eq!(
        ok(store.load_run(&a.run_id), "load first").samples.len(),
        1,
        "the earlier run is kept"
    );

    let d = ok(
        store.begin_run(&manifest("model-a"), &items, false),
        "begin",
    );
    assert!(d.resumed);
    assert_eq!(
        d.run_id, c.run_id,
        "the newest run with the identity continues"
    );
    assert_eq!(ok(store.list_runs(), "list_runs").len(), 3);
}

/// A store that claims a newer schema is refused with [`StoreError::NewerSchema`], and what it
/// persists is left byte for byte as it was, however often it is opened.
pub fn a_newer_schema_is_refused_and_left_untouched<B: Backend>(backend: &mut B) {
    let at = backend.new_location();
    {
        let mut store = ok(backend.open(&at), "open");
        let run = ok(
            store.begin_run(&manifest("model-a"), &items(1), false),
            "begin",
        )
        .run_id;
        let sink = ok(store.writer(&run), "writer");
        ok(
            sink.write(answered("q0", 0, "yes", Outcome::Correct), None),
            "write",
        );
        ok(sink.finish(), "finish");
        ok(store.finish_run(&run, RunStatus::Complete), "finish_run");
    }
    let supported = backend.supported_schema();
    let found = supported + 1;
    backend.claim_schema_version(&at, found);
    let before = backend.persisted(&at);
    for attempt in 1..=2 {
        match backend.open(&at) {
            Err(StoreError::NewerSchema {
                found: f,
                supported: s,
                ..
            }) => assert_eq!((f, s), (found, supported), "attempt {attempt}"),
            Err(other) => panic!("attempt {attempt}: expected NewerSchema, got {other}"),
            Ok(_) => panic!("attempt {attempt}: a store of schema {found} was opened"),
        }
        assert!(
            backend.persisted(&at) == before,
            "attempt {attempt}: a refused store was changed"
        );
    }
}

/// Rescoring replaces the verdicts of answered samples and records the extractor version; it
/// never changes a response, leaves errors as they are, and ignores samples the run lacks.
pub fn rescoring_changes_verdicts_never_responses<B: Backend>(backend: &mut B) {
    let (_, mut store) = fresh(backend);
    let manifest = manifest("model-a");
    let items = items(3);
    let run = ok(store.begin_run(&manifest, &items, false), "begin").run_id;
    let q0 = SampleRecord {
        scored: Scored::new(Outcome::Unparsed, None, "old:none"),
        ..answered("q0", 0, "Yes, clearly.", Outcome::Unparsed)
    };
    let q1 = answered("q1", 0, "no", Outcome::Correct);
    let q2 = failed("q2", 0, "HTTP 500");
    let sink = ok(store.writer(&run), "writer");
    for record in [&q0, &q1, &q2] {
        ok(sink.write(record.clone(), None), "write");
    }
    ok(sink.finish(), "finish");

    let mut new_q1 = Scored::new(Outcome::Wrong, Some("no".into()), "new:word");
    new_q1.metrics.insert("f1".into(), 0.5);
    let new_q0 = Scored::new(Outcome::Correct, Some("yes".into()), "new:leading-word");
    let verdicts = vec![
        ("q0".to_owned(), 0, new_q0.clone()),
        ("q1".to_owned(), 0, new_q1.clone()),
        (
            "q2".to_owned(),
            0,
            Scored::new(Outcome::Correct, None, "new:x"),
        ),
        (
            "q9".to_owned(),
            0,
            Scored::new(Outcome::Correct, None, "new:x"),
        ),
    ];
    ok(
        store.rescore(&run, &ScorerId::rules("x2"), &verdicts),
        "rescore",
    );

    let loaded = ok(store.load_run(&run), "load_run");
    assert_eq!(
        loaded.samples,
        vec![
            stored(SampleRecord {
                scored: new_q0,
                ..q0
            }),
            stored(SampleRecord {
                scored: new_q1,
                ..q1
            }),
            stored(q2),
        ],
        "new verdicts, same responses; the error keeps its verdict; q9 is not added"
    );
    assert_eq!(loaded.manifest.scorer, ScorerId::rules("x2"));

    match store.rescore("no-such-run", &ScorerId::rules("x2"), &verdicts) {
        Err(StoreError::UnknownRun(id)) => assert_eq!(id, "no-such-run"),
        other => panic!("rescoring an unknown run: expected UnknownRun, got {other:?}"),
    }
}

/// A run continued with other extraction rules reports the extractor its verdicts were made
/// with, and keeps reporting it until the verdicts are rescored, so an invocation that died
/// before rescoring leaves the run stale rather than mislabelled.
pub fn a_continued_run_stays_stale_until_rescored<B: Backend>(backend: &mut B) {
    let (at, mut store) = fresh(backend);
    let old = manifest("model-a");
    let new = RunManifest {
        scorer: ScorerId::rules("x2"),
        ..old.clone()
    };
    let items = items(1);
    let run = ok(store.begin_run(&old, &items, false), "begin").run_id;
    let sink = ok(store.writer(&run), "writer");
    ok(
        sink.write(answered("q0", 0, "yes", Outcome::Correct), None),
        "write",
    );
    ok(sink.finish(), "finish");
    ok(store.finish_run(&run, RunStatus::Complete), "finish_run");

    let second = ok(store.begin_run(&new, &items, false), "begin with x2");
    assert!(second.resumed, "the scorer is not part of a run's identity");
    assert_eq!(second.run_id, run);
    assert_eq!(second.stale_scorer, Some(ScorerId::rules("x1")));
    // The process dies before rescoring.
    drop(store);

    let mut store = ok(backend.open(&at), "reopen");
    let third = ok(store.begin_run(&new, &items, false), "begin with x2 again");
    assert_eq!(
        third.stale_scorer,
        Some(ScorerId::rules("x1")),
        "the verdicts are still those of x1"
    );
    ok(
        store.rescore(
            &run,
            &ScorerId::rules("x2"),
            &[(
                "q0".into(),
                0,
                Scored::new(Outcome::Correct, Some("yes".into()), "new"),
            )],
        ),
        "rescore",
    );
    let fourth = ok(
        store.begin_run(&new, &items, false),
        "begin after rescoring",
    );
    assert_eq!(fourth.stale_scorer, None);
    assert_eq!(
        ok(store.load_run(&run), "load_run").manifest.scorer,
        ScorerId::rules("x2")
    );
}

/// What goes in comes back: the manifest (with the store's own start and finish times), every
/// field of the items and of the samples, the status, and the listing's counts. Continuing with
/// more items appends them.
pub fn runs_round_trip_their_manifest_items_and_samples<B: Backend>(backend: &mut B) {
    let (_, mut store) = fresh(backend);
    let manifest = rich_manifest();
    let items = rich_items();
    let start = ok(store.begin_run(&manifest, &items, false), "begin");
    let run = start.run_id;

    let mut q0 = answered("mcq-1", 0, "The answer is B.", Outcome::Correct);
    q0.completion = Some(Completion {
        content: "The answer is B.".into(),
        reasoning: Some("Looks like consolidation.".into()),
        refusal: None,
        finish_reason: Some("stop".into()),
        usage: Some(Usage {
            prompt_tokens: 812,
            completion_tokens: 6,
        }),
        raw: r#"{"choices":[{"message":{"content":"The answer is B."}}]}"#.into(),
    });
    q0.scored.metrics.insert("confidence".into(), 0.75);
    q0.attempts = vec![AttemptRecord {
        attempt: 1,
        endpoint: "http://127.0.0.1:9/v1".into(),
        started_at: "2026-01-01T00:00:00.000Z".into(),
        latency_ms: 250.0,
        http_status: Some(200),
        error: None,
    }];
    let q1 = failed("closed-1", 0, "HTTP 429 after 5 attempts");
    let q2 = SampleRecord {
        cached: true,
        ..answered("open-1", 0, "left lower lobe", Outcome::Wrong)
    };
    let sink = ok(store.writer(&run), "writer");
    for record in [&q0, &q1, &q2] {
        ok(sink.write(record.clone(), None), "write");
    }
    ok(sink.finish(), "finish");
    ok(store.finish_run(&run, RunStatus::Complete), "finish_run");

    let loaded = ok(store.load_run(&run), "load_run");
    assert_eq!(loaded.id, run);
    assert_eq!(loaded.status, RunStatus::Complete);
    let started = loaded.manifest.started_at.clone();
    let finished = loaded.manifest.finished_at.clone();
    assert!(
        started.is_some() && finished.is_some(),
        "the store records when the run started and finished"
    );
    assert_eq!(
        loaded.manifest,
        RunManifest {
            started_at: started,
            finished_at: finished,
            ..manifest.clone()
        },
        "the manifest comes back as given, but for its times"
    );
    let expected_items: Vec<ItemRecord> = items.iter().map(ItemRecord::from).collect();
    assert_eq!(loaded.items, expected_items);
    assert_eq!(
        loaded.items[0].images,
        vec!["images/chest 01.png".to_owned()]
    );
    assert_eq!(
        loaded.samples,
        vec![stored(q0), stored(q1), stored(q2)],
        "samples come back field for field (attempts stay in the attempt log)"
    );

    let listed = ok(store.list_runs(), "list_runs");
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id, run);
    assert_eq!(listed[0].manifest, loaded.manifest);
    assert_eq!(listed[0].status, RunStatus::Complete);
    assert_eq!(
        (
            listed[0].items,
            listed[0].answered,
            listed[0].errors,
            listed[0].correct
        ),
        (3, 2, 1, 1)
    );

    ok(store.finish_run(&run, RunStatus::Incomplete), "finish_run");
    assert_eq!(
        ok(store.load_run(&run), "load_run").status,
        RunStatus::Incomplete
    );

    // Continued with one more item (a raised --limit): the new item is appended.
    let mut more = items.clone();
    more.push(Item {
        id: "closed-2".into(),
        question: "Is the heart enlarged?".into(),
        ..items[1].clone()
    });
    let again = ok(
        store.begin_run(&manifest, &more, false),
        "begin with more items",
    );
    assert_eq!(again.run_id, run);
    let ids: Vec<String> = ok(store.load_run(&run), "load_run")
        .items
        .into_iter()
        .map(|item| item.id)
        .collect();
    assert_eq!(ids, ["mcq-1", "closed-1", "open-1", "closed-2"]);

    for (what, result) in [
        ("load_run", store.load_run("no-such-run").map(drop)),
        (
            "finish_run",
            store.finish_run("no-such-run", RunStatus::Complete),
        ),
        ("writer", store.writer("no-such-run").map(drop)),
    ] {
        match result {
            Err(StoreError::UnknownRun(id)) => assert_eq!(id, "no-such-run", "{what}"),
            other => panic!("{what} of an unknown run: expected UnknownRun, got {other:?}"),
        }
    }
}

/// A selector is a full id (an exact match wins), a prefix of exactly one id, or nothing for the
/// most recently updated run; no match, several matches and an empty store are distinct errors.
pub fn runs_resolve_by_exact_id_or_unique_prefix<B: Backend>(backend: &mut B) {
    let (_, mut store) = fresh(backend);
    assert!(
        matches!(store.resolve_run(None), Err(StoreError::NoRuns)),
        "an empty store has no newest run"
    );
    let items = items(1);
    let a = ok(
        store.begin_run(&manifest("model-a"), &items, false),
        "begin",
    )
    .run_id;
    let b = ok(
        store.begin_run(&manifest("model-b"), &items, false),
        "begin",
    )
    .run_id;
    let c = ok(store.begin_run(&manifest("model-a"), &items, true), "begin").run_id;
    let ids = [a.clone(), b.clone(), c.clone()];

    for id in &ids {
        assert_eq!(&ok(store.resolve_run(Some(id)), "resolve id"), id);
        // The shortest prefix no other id starts with, when the id has one.
        let unique = (1..id.len())
            .filter(|&n| id.is_char_boundary(n))
            .map(|n| &id[..n])
            .find(|prefix| ids.iter().filter(|other| other.starts_with(prefix)).count() == 1);
        if let Some(prefix) = unique {
            assert_eq!(
                &ok(store.resolve_run(Some(prefix)), "resolve prefix"),
                id,
                "prefix {prefix:?}"
            );
        }
    }

    // A prefix shared by the two runs of one identity (not itself an id) is ambiguous.
    let mut shared: String = a
        .chars()
        .zip(c.chars())
        .take_while(|(x, y)| x == y)
        .map(|(x, _)| x)
        .collect();
    if ids.contains(&shared) {
        shared.pop();
    }
    let mut expected: Vec<String> = ids
        .iter()
        .filter(|id| id.starts_with(&shared))
        .cloned()
        .collect();
    expected.sort();
    assert!(expected.len() >= 2);
    match store.resolve_run(Some(&shared)) {
        Err(StoreError::AmbiguousRun { prefix, matches }) => {
            assert_eq!(prefix, shared);
            assert_eq!(matches, expected, "every match, sorted");
        }
        other => panic!("prefix {shared:?}: expected AmbiguousRun, got {other:?}"),
    }

    let unknown = "no-such-run";
    assert!(!ids.iter().any(|id| id.starts_with(unknown)));
    match store.resolve_run(Some(unknown)) {
        Err(StoreError::UnknownRun(selector)) => assert_eq!(selector, unknown),
        other => panic!("expected UnknownRun, got {other:?}"),
    }

    assert_eq!(ok(store.resolve_run(None), "resolve newest"), c);
    // Updated later than the others (timestamps may have millisecond resolution).
    std::thread::sleep(std::time::Duration::from_millis(20));
    ok(store.finish_run(&a, RunStatus::Complete), "finish_run");
    assert_eq!(
        ok(store.resolve_run(None), "resolve newest"),
        a,
        "the most recently updated run"
    );
    let listed: Vec<String> = ok(store.list_runs(), "list_runs")
        .into_iter()
        .map(|run| run.id)
        .collect();
    assert_eq!(listed, [c, b, a], "listed newest first by creation");
}

/// The response cache holds a response a sink was asked to cache, under its request digest, for
/// every later run; nothing is cached without the request, without a response, or from a sample
/// that came from the cache; and the first response cached under a digest stays.
pub fn the_response_cache_keeps_what_it_was_asked_to<B: Backend>(backend: &mut B) {
    let (_, mut store) = fresh(backend);
    let items = items(4);
    let run = ok(
        store.begin_run(&manifest("model-a"), &items, false),
        "begin",
    )
    .run_id;
    // Opened before anything is written: it must see later commits.
    let cache = ok(store.cache_reader(), "cache_reader");
    assert_eq!(ok(cache.get("req-q0"), "get"), None);

    let sink = ok(store.writer(&run), "writer");
    let q0 = answered("q0", 0, "yes", Outcome::Correct);
    ok(sink.write(q0.clone(), Some("model-a")), "write");
    ok(
        sink.write(answered("q1", 0, "no", Outcome::Wrong), None),
        "write",
    );
    let q2 = SampleRecord {
        request_sha256: Some("req-q2".into()),
        ..failed("q2", 0, "HTTP 500")
    };
    ok(sink.write(q2, Some("model-a")), "write");
    let q3 = SampleRecord {
        cached: true,
        ..answered("q3", 0, "yes", Outcome::Correct)
    };
    ok(sink.write(q3, Some("model-a")), "write");
    ok(sink.finish(), "finish");

    assert_eq!(
        ok(cache.get("req-q0"), "get"),
        q0.completion.clone(),
        "asked to cache"
    );
    assert_eq!(ok(cache.get("req-q1"), "get"), None, "not asked to cache");
    assert_eq!(ok(cache.get("req-q2"), "get"), None, "no response");
    assert_eq!(
        ok(cache.get("req-q3"), "get"),
        None,
        "served from the cache"
    );

    // Another run caching another response under the same digest.
    let other = ok(store.begin_run(&manifest("model-a"), &items, true), "begin").run_id;
    let sink = ok(store.writer(&other), "writer");
    ok(
        sink.write(answered("q0", 0, "no", Outcome::Wrong), Some("model-a")),
        "write",
    );
    ok(sink.finish(), "finish");
    let cache = ok(store.cache_reader(), "cache_reader");
    assert_eq!(
        ok(cache.get("req-q0"), "get"),
        q0.completion,
        "the first cached response stays"
    );
}

/// A response put in the cache directly (a judge's reply) is read back by any reader, at once
/// and after the store is opened again; the first response put under a digest stays.
pub fn responses_put_in_the_cache_are_read_back_first_one_kept<B: Backend>(backend: &mut B) {
    let (at, store) = fresh(backend);
    let cache = ok(store.cache_reader(), "cache_reader");
    let first = answered("q0", 0, "GRADE: C", Outcome::Correct).completion;
    let second = answered("q0", 0, "GRADE: I", Outcome::Wrong).completion;
    let (Some(first), Some(second)) = (first, second) else {
        panic!("answered samples carry a completion");
    };
    assert_eq!(ok(cache.get("judge-q0"), "get"), None);
    ok(cache.put("judge-q0", "judge-model", &first), "put");
    ok(cache.put("judge-q0", "judge-model", &second), "put again");
    let other_reader = ok(store.cache_reader(), "cache_reader");
    assert_eq!(ok(other_reader.get("judge-q0"), "get"), Some(first.clone()));
    drop((cache, other_reader, store));
    let reopened = ok(backend.open(&at), "reopen");
    let cache = ok(reopened.cache_reader(), "cache_reader");
    assert_eq!(
        ok(cache.get("judge-q0"), "get"),
        Some(first),
        "a put is committed, and the first response stays"
    );
}

/// A new store at a new location.
fn fresh<B: Backend>(backend: &mut B) -> (B::Location, B::Store) {
    let at = backend.new_location();
    let store = ok(backend.open(&at), "open a new store");
    (at, store)
}

/// The value, or a panic naming the operation and the store's error.
fn ok<T>(result: Result<T, StoreError>, what: &str) -> T {
    match result {
        Ok(value) => value,
        Err(error) => panic!("{what} failed: {error}"),
    }
}

/// A record as [`RunStore::load_run`] returns it: attempts stay in the attempt log.
fn stored(record: SampleRecord) -> SampleRecord {
    SampleRecord {
        attempts: Vec::new(),
        ..record
    }
}

fn keys(samples: &[SampleRecord]) -> Vec<(&str, u32)> {
    samples
        .iter()
        .map(|sample| (sample.item_id.as_str(), sample.sample))
        .collect()
}

fn set(pairs: &[(&str, u32)]) -> HashSet<(String, u32)> {
    pairs
        .iter()
        .map(|(item, draw)| ((*item).to_owned(), *draw))
        .collect()
}

/// `n` closed questions `q0`, `q1` ...
fn items(n: usize) -> Vec<Item> {
    (0..n)
        .map(|i| Item {
            id: format!("q{i}"),
            question: format!("Is there a fracture on film {i}?"),
            images: Vec::new(),
            options: Options::new(),
            gold: Gold::yes_no(YesNo::Yes),
            meta: Meta::new(),
            cluster: None,
        })
        .collect()
}

fn manifest(model: &str) -> RunManifest {
    RunManifest {
        tool_version: "conformance".into(),
        items: ItemsSource {
            benchmark: "bench".into(),
            path: "bench.jsonl".into(),
            sha256: "0123456789abcdef".into(),
            count: 4,
            limit: None,
            card: None,
        },
        prompt: PromptTemplate::default(),
        prompt_sha256: PromptTemplate::default().sha256(),
        model: ModelRecord {
            kind: ModelKind::Endpoint,
            name: model.into(),
            endpoints: vec!["http://127.0.0.1:9/v1".into()],
            api_key_env: None,
        },
        decoding: Decoding {
            temperature: Some(0.0),
            ..Decoding::default()
        },
        images: ImagePolicy::default(),
        samples_per_item: 1,
        cache: true,
        scorer: ScorerId::rules("x1"),
        variant: None,
        started_at: None,
        finished_at: None,
    }
}

/// A manifest with every optional part filled in.
fn rich_manifest() -> RunManifest {
    let prompt = PromptTemplate {
        system: Some("You are a radiologist.".into()),
        ..PromptTemplate::default()
    };
    RunManifest {
        tool_version: "conformance".into(),
        items: ItemsSource {
            benchmark: "vqa-rad".into(),
            path: "/data/vqa-rad".into(),
            sha256: "fedcba9876543210".into(),
            count: 451,
            limit: Some(3),
            card: Some(CardRecord {
                name: "vqa-rad".into(),
                origin: "built-in".into(),
                sha256: "aa11".into(),
                layout: "parquet".into(),
                split: "test".into(),
                selections: BTreeMap::from([("lang".to_owned(), "en".to_owned())]),
                files: vec![FileDigest {
                    path: "data/test-00000-of-00001.parquet".into(),
                    bytes: 1234,
                    sha256: "bb22".into(),
                }],
                expected_rows: Some(451),
                rows: 451,
                row_count_mismatch_allowed: false,
                skipped_rows: 2,
            }),
        },
        prompt_sha256: prompt.sha256(),
        prompt,
        model: ModelRecord {
            kind: ModelKind::Endpoint,
            name: "org/model-7b".into(),
            endpoints: vec![
                "http://10.0.0.1:8000/v1".into(),
                "http://10.0.0.2:8000/v1".into(),
            ],
            api_key_env: Some("MEDEVAL_API_KEY".into()),
        },
        decoding: Decoding {
            temperature: Some(0.5),
            top_p: Some(0.25),
            max_tokens: Some(512),
            seed: Some(7),
            extra_body: Some(serde_json::json!({"chat_template_kwargs": {"thinking": false}})),
        },
        images: ImagePolicy {
            encoding: ImageEncoding::Jpeg { quality: 90 },
            max_side: Some(1024),
        },
        samples_per_item: 1,
        cache: false,
        scorer: ScorerId::rules("x1"),
        variant: Some("circular".into()),
        started_at: Some("1999-01-01T00:00:00.000Z".into()),
        finished_at: Some("1999-01-01T00:00:01.000Z".into()),
    }
}

/// One item of each answer type that has verdicts, with options, metadata, a cluster and an
/// image path with a space in it.
fn rich_items() -> Vec<Item> {
    let letter = |c| Letter::new(c).unwrap_or_else(|| panic!("{c} is a letter"));
    let mcq = Item {
        id: "mcq-1".into(),
        question: "What is the most likely finding?".into(),
        images: vec![Image::Path(PathBuf::from("images/chest 01.png"))],
        options: Options::from([
            (letter('A'), "Pneumothorax".to_owned()),
            (letter('B'), "Consolidation".to_owned()),
            (letter('C'), "Pleural effusion".to_owned()),
        ]),
        gold: Gold::Letter(letter('B')),
        meta: Meta::from([
            ("modality".to_owned(), serde_json::json!("X-ray")),
            ("difficulty".to_owned(), serde_json::json!(3)),
        ]),
        cluster: Some("patient-17".into()),
    };
    let closed = Item {
        id: "closed-1".into(),
        question: "Is there a fracture?".into(),
        images: Vec::new(),
        options: Options::new(),
        gold: Gold::yes_no(YesNo::No),
        meta: Meta::new(),
        cluster: Some("patient-17".into()),
    };
    let open = Item {
        id: "open-1".into(),
        question: "Where is the lesion?".into(),
        gold: Gold::Text("right upper lobe".into()),
        cluster: None,
        ..closed.clone()
    };
    vec![mcq, closed, open]
}

fn answered(item: &str, draw: u32, text: &str, outcome: Outcome) -> SampleRecord {
    SampleRecord {
        item_id: item.into(),
        sample: draw,
        completion: Some(Completion::text(text)),
        error: None,
        attempts: vec![AttemptRecord {
            attempt: 1,
            endpoint: "http://127.0.0.1:9/v1".into(),
            started_at: "2026-01-01T00:00:00.000Z".into(),
            latency_ms: 12.5,
            http_status: Some(200),
            error: None,
        }],
        latency_ms: 12.5,
        cached: false,
        request_sha256: Some(format!("req-{item}")),
        scored: Scored::new(outcome, Some(text.into()), "test:rule"),
        completed_at: "2026-01-01T00:00:00.500Z".into(),
        images: Vec::new(),
    }
}

fn failed(item: &str, draw: u32, message: &str) -> SampleRecord {
    SampleRecord {
        completion: None,
        error: Some(message.into()),
        request_sha256: None,
        scored: Scored::error("error:request"),
        latency_ms: 30.0,
        ..answered(item, draw, "", Outcome::Error)
    }
}
