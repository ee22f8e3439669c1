//! The store's contract: resume, write-once answered samples, cache, and refusal of foreign files.

// In tests a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used)]

use std::collections::HashSet;

use medeval_core::{
    Completion, Decoding, Gold, ImageGeometry, ImagePolicy, Item, ItemsSource, Meta, ModelKind,
    ModelRecord, Options, Outcome, PromptTemplate, RunManifest, Scored, YesNo,
};
use medeval_store::{RunStatus, SampleRecord, Store, StoreError};

fn items(n: usize) -> Vec<Item> {
    (0..n)
        .map(|i| Item {
            id: format!("q{i}"),
            question: format!("question {i}"),
            images: vec![],
            options: Options::new(),
            gold: Gold::yes_no(YesNo::Yes),
            meta: Meta::new(),
            cluster: None,
        })
        .collect()
}

fn manifest(model: &str) -> RunManifest {
    RunManifest {
        tool_version: "test".into(),
        items: ItemsSource {
            benchmark: "bench".into(),
            path: "bench.jsonl".into(),
            sha256: "0123456789abcdef".into(),
            count: 3,
            limit: None,
            card: None,
        },
        prompt: PromptTemplate::default(),
        prompt_sha256: PromptTemplate::default().sha256(),
        model: ModelRecord {
            kind: ModelKind::Endpoint,
            name: model.into(),
            endpoints: vec!["http://127.0.0.1:1/v1".into()],
            api_key_env: None,
        },
        decoding: Decoding {
            temperature: Some(0.0),
            ..Decoding::default()
        },
        images: ImagePolicy::default(),
        samples_per_item: 1,
        cache: true,
        scorer: medeval_core::ScorerId::rules("x1"),
        variant: None,
        started_at: None,
        finished_at: None,
    }
}

fn answered(item: &str, text: &str, outcome: Outcome) -> SampleRecord {
    SampleRecord {
        item_id: item.into(),
        sample: 0,
        completion: Some(Completion::text(text)),
        error: None,
        attempts: vec![],
        latency_ms: 12.5,
        cached: false,
        request_sha256: Some(format!("req-{item}")),
        scored: Scored::new(outcome, Some(text.into()), "test"),
        completed_at: "2026-01-01T00:00:00.000Z".into(),
        images: Vec::new(),
    }
}

fn failed(item: &str) -> SampleRecord {
    SampleRecord {
        completion: None,
        error: Some("HTTP 500 after 3 attempts".into()),
        request_sha256: None,
        scored: Scored::error("error:http"),
        ..answered(item, "", Outcome::Error)
    }
}

#[test]
fn a_second_invocation_continues_the_run_and_skips_answered_samples() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("runs.db");
    let items = items(3);

    let mut store = Store::open(&path).unwrap();
    let start = store.begin_run(&manifest("m"), &items, false).unwrap();
    assert!(!start.resumed);
    assert!(start.answered.is_empty());
    let writer = store.writer(&start.run_id).unwrap();
    writer
        .write(answered("q0", "yes", Outcome::Correct), Some("m"))
        .unwrap();
    writer.write(failed("q1"), Some("m")).unwrap();
    assert_eq!(writer.finish().unwrap(), 2);
    store
        .finish_run(&start.run_id, RunStatus::Incomplete)
        .unwrap();
    drop(store);

    let mut store = Store::open(&path).unwrap();
    let again = store.begin_run(&manifest("m"), &items, false).unwrap();
    assert!(again.resumed);
    assert_eq!(again.run_id, start.run_id);
    assert_eq!(
        again.answered,
        HashSet::from([("q0".to_owned(), 0u32)]),
        "the errored sample must be requested again"
    );

    // The retry succeeds; a late duplicate of q0 must not replace the stored answer.
    let writer = store.writer(&again.run_id).unwrap();
    writer
        .write(answered("q1", "no", Outcome::Wrong), None)
        .unwrap();
    writer
        .write(answered("q0", "no", Outcome::Wrong), None)
        .unwrap();
    writer.finish().unwrap();

    let run = store.load_run(&again.run_id).unwrap();
    assert_eq!(run.items.len(), 3);
    let by_item: Vec<(&str, Outcome)> = run
        .samples
        .iter()
        .map(|s| (s.item_id.as_str(), s.scored.outcome))
        .collect();
    assert_eq!(
        by_item,
        vec![("q0", Outcome::Correct), ("q1", Outcome::Wrong)]
    );
    assert_eq!(run.manifest.started_at, {
        let first = store.list_runs().unwrap();
        first[0].manifest.started_at.clone()
    });
}

#[test]
fn a_different_manifest_is_a_different_run_and_fresh_forces_a_new_one() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("runs.db")).unwrap();
    let a = store.begin_run(&manifest("m"), &items(1), false).unwrap();
    let b = store
        .begin_run(&manifest("other"), &items(1), false)
        .unwrap();
    let c = store.begin_run(&manifest("m"), &items(1), true).unwrap();
    assert_ne!(a.run_id, b.run_id);
    assert_ne!(a.run_id, c.run_id);
    assert!(
        c.run_id.starts_with(&a.run_id),
        "{} vs {}",
        c.run_id,
        a.run_id
    );
    assert!(!c.resumed);
    // The newest run with the identity is the one continued.
    let d = store.begin_run(&manifest("m"), &items(1), false).unwrap();
    assert_eq!(d.run_id, c.run_id);
}

#[test]
fn cached_completions_are_found_by_request_digest() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("runs.db")).unwrap();
    let start = store.begin_run(&manifest("m"), &items(2), false).unwrap();
    let writer = store.writer(&start.run_id).unwrap();
    writer
        .write(answered("q0", "yes", Outcome::Correct), Some("m"))
        .unwrap();
    writer
        .write(answered("q1", "yes", Outcome::Correct), None)
        .unwrap();
    writer.finish().unwrap();
    assert_eq!(
        store
            .cached_completion("req-q0")
            .unwrap()
            .map(|c| c.content),
        Some("yes".to_owned())
    );
    assert_eq!(
        store.cached_completion("req-q1").unwrap(),
        None,
        "not asked to cache"
    );
}

#[test]
fn run_selectors_accept_prefixes_and_default_to_the_newest() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("runs.db")).unwrap();
    assert!(matches!(store.resolve_run(None), Err(StoreError::NoRuns)));
    let a = store.begin_run(&manifest("m"), &items(1), false).unwrap();
    let b = store.begin_run(&manifest("n"), &items(1), false).unwrap();
    assert_eq!(store.resolve_run(None).unwrap(), b.run_id);
    assert_eq!(store.resolve_run(Some(&a.run_id[..5])).unwrap(), a.run_id);
    assert!(matches!(
        store.resolve_run(Some("zzzz")),
        Err(StoreError::UnknownRun(_))
    ));
}

#[test]
fn stores_from_newer_versions_and_foreign_files_are_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("runs.db");
    Store::open(&path).unwrap();
    {
        let conn = rusqlite_conn(&path);
        conn.execute(
            "UPDATE store_meta SET value = '99' WHERE key = 'schema_version'",
            [],
        )
        .unwrap();
    }
    for err in [
        Store::open(&path).unwrap_err().to_string(),
        Store::open_read_only(&path).unwrap_err().to_string(),
    ] {
        assert_eq!(
            err,
            format!(
                "store {}: written by a newer medeval (schema 99; this medeval reads schemas up to 3): upgrade medeval to read it (nothing was changed)",
                path.display()
            )
        );
    }

    let text = dir.path().join("notes.txt");
    std::fs::write(
        &text,
        "these are not the runs you are looking for\n".repeat(200),
    )
    .unwrap();
    let err = Store::open(&text).unwrap_err().to_string();
    assert!(
        err.starts_with(&format!(
            "store {}: not a medeval store or corrupt: the file does not start with SQLite's header",
            text.display()
        )),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(&text).unwrap(),
        "these are not the runs you are looking for\n".repeat(200)
    );

    let missing = dir.path().join("missing.db");
    assert!(matches!(
        Store::open_existing(&missing),
        Err(StoreError::Missing(_))
    ));
    assert!(!missing.exists());
}

fn rusqlite_conn(path: &std::path::Path) -> rusqlite::Connection {
    rusqlite::Connection::open(path).unwrap()
}

#[test]
fn failures_to_open_are_opaque_and_name_the_store_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("no-such-folder/runs.db");
    let err = Store::open(&path).unwrap_err();
    let StoreError::Backend { location, source } = &err else {
        panic!("expected a backend error, got {err:?}");
    };
    assert_eq!(location, &path.display().to_string());
    let message = err.to_string();
    assert_eq!(
        message,
        format!(
            "store {}: the folder {} does not exist; create it, or pass another --store",
            path.display(),
            dir.path().join("no-such-folder").display()
        )
    );
    assert!(message.ends_with(&source.to_string()), "{message}");

    // A folder where the file should be.
    let err = Store::open(dir.path()).unwrap_err().to_string();
    assert_eq!(
        err,
        format!(
            "store {}: not a medeval store or corrupt: it is a folder; --store names the store's file (medeval.db by default)",
            dir.path().display()
        )
    );
}

#[test]
fn a_database_of_someone_else_is_refused_and_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("other.db");
    rusqlite_conn(&path)
        .execute_batch("CREATE TABLE patients (id INTEGER PRIMARY KEY, name TEXT);")
        .unwrap();
    let before = std::fs::read(&path).unwrap();
    for err in [
        Store::open(&path).unwrap_err().to_string(),
        Store::open_read_only(&path).unwrap_err().to_string(),
    ] {
        assert_eq!(
            err,
            format!(
                "store {}: not a medeval store or corrupt: it is a SQLite database of something else (tables patients, none of medeval's); check that --store names your store. Nothing was written to it",
                path.display()
            )
        );
    }
    assert_eq!(std::fs::read(&path).unwrap(), before);
}

/// The store medeval 0.1.0 wrote (schema 1), kept with the CLI's fixtures.
fn store_written_by_0_1(dir: &std::path::Path) -> std::path::PathBuf {
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../medeval-cli/tests/fixtures/store-0.1/store.db");
    let path = dir.join("store.db");
    std::fs::copy(fixture, &path).unwrap();
    path
}

fn schema_version_of(path: &std::path::Path) -> String {
    rusqlite::Connection::open(path)
        .unwrap()
        .query_row(
            "SELECT value FROM store_meta WHERE key = 'schema_version'",
            [],
            |row| row.get(0),
        )
        .unwrap()
}

#[test]
fn a_schema_1_store_is_migrated_in_place_and_keeps_every_row() {
    let dir = tempfile::tempdir().unwrap();
    let path = store_written_by_0_1(dir.path());
    assert_eq!(schema_version_of(&path), "1");
    let rows_before: i64 = rusqlite::Connection::open(&path)
        .unwrap()
        .query_row("SELECT COUNT(*) FROM samples", [], |row| row.get(0))
        .unwrap();
    assert_eq!(rows_before, 10 + 10 + 17 + 3, "the fixture's four runs");

    let mut store = Store::open(&path).unwrap();
    assert_eq!(schema_version_of(&path), "3");
    let runs = store.list_runs().unwrap();
    assert_eq!(runs.len(), 4);
    let mut rows_after = 0;
    for listing in &runs {
        let run = store.load_run(&listing.id).unwrap();
        assert!(run.samples.iter().all(|s| s.images.is_empty()));
        rows_after += run.samples.len();
    }
    assert_eq!(rows_after as i64, rows_before);

    // A sample written after the migration keeps its image geometry.
    let run = store.load_run(&runs[0].id).unwrap();
    let geometry = ImageGeometry {
        original_width: 512,
        original_height: 384,
        sent_width: 448,
        sent_height: 336,
    };
    let run_id = store
        .begin_run(
            &run.manifest,
            &run.items.iter().map(|i| i.to_item()).collect::<Vec<_>>(),
            true,
        )
        .unwrap()
        .run_id;
    let writer = store.writer(&run_id).unwrap();
    let mut record = answered(&run.items[0].id, "A", Outcome::Correct);
    record.images = vec![geometry];
    writer.write(record, None).unwrap();
    writer.finish().unwrap();
    let stored = store.load_run(&run_id).unwrap();
    assert_eq!(stored.samples[0].images, vec![geometry]);
    drop(store);

    // Opening a migrated store again changes nothing.
    let _again = Store::open_existing(&path).unwrap();
    assert_eq!(schema_version_of(&path), "3");
}
