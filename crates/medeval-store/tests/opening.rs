//! Opening stores: every refusal names the file and says in plain words what is wrong, a damaged
//! file is left as it was, a store opened for reading is never written, and stores written by
//! earlier schemas are read as they are and migrated when opened for writing.

// In tests a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use medeval_core::{
    Completion, Decoding, Gold, ImagePolicy, Item, ItemsSource, Meta, ModelKind, ModelRecord,
    Options, Outcome, PromptTemplate, RunManifest, Scored, ScorerId, YesNo,
};
use medeval_store::{RunStatus, SampleRecord, Store, StoreError};

fn items(n: usize) -> Vec<Item> {
    (0..n)
        .map(|i| Item {
            id: format!("q{i}"),
            question: format!(
                "Is there an effusion on film {i}? {}",
                "details ".repeat(60)
            ),
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
            benchmark: "films".into(),
            path: "films.jsonl".into(),
            sha256: "0123456789abcdef".into(),
            count: 40,
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
        scorer: ScorerId::rules("x1"),
        variant: None,
        started_at: None,
        finished_at: None,
    }
}

fn answered(item: &str) -> SampleRecord {
    SampleRecord {
        item_id: item.into(),
        sample: 0,
        completion: Some(Completion::text("yes")),
        error: None,
        attempts: vec![],
        latency_ms: 12.5,
        cached: false,
        request_sha256: Some(format!("req-{item}")),
        scored: Scored::new(Outcome::Correct, Some("yes".into()), "test"),
        completed_at: "2026-01-01T00:00:00.000Z".into(),
        images: Vec::new(),
    }
}

/// A closed store of a few pages holding one complete run of 40 answered items.
fn written_store(dir: &Path) -> PathBuf {
    let path = dir.join("runs.db");
    let mut store = Store::open(&path).unwrap();
    let items = items(40);
    let run = store
        .begin_run(&manifest("m"), &items, false)
        .unwrap()
        .run_id;
    let writer = store.writer(&run).unwrap();
    for item in &items {
        writer.write(answered(&item.id), None).unwrap();
    }
    writer.finish().unwrap();
    store.finish_run(&run, RunStatus::Complete).unwrap();
    drop(store);
    assert!(
        !sibling(&path, "-wal").exists(),
        "a closed store is one file"
    );
    path
}

fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// The error of opening `path` for writing and for reading, which must be the same refusal of
/// kind `NotAStore`, with the file left byte for byte as it was. Returns the message.
fn refused(path: &Path) -> String {
    let before = std::fs::read(path).unwrap();
    let mut messages = Vec::new();
    for (how, result) in [
        ("for writing", Store::open(path).map(drop)),
        ("for reading", Store::open_read_only(path).map(drop)),
    ] {
        match result {
            Err(error @ StoreError::NotAStore { .. }) => messages.push(error.to_string()),
            other => panic!("opening {how}: expected NotAStore, got {other:?}"),
        }
        assert_eq!(
            std::fs::read(path).unwrap(),
            before,
            "opening {how} changed the file"
        );
        assert!(!sibling(path, "-wal").exists() && !sibling(path, "-shm").exists());
    }
    assert_eq!(messages[0], messages[1]);
    let prefix = format!("store {}: not a medeval store or corrupt: ", path.display());
    assert!(messages[0].starts_with(&prefix), "{}", messages[0]);
    messages[0][prefix.len()..].to_owned()
}

/// What to do about a damaged store, at the end of every such message.
const ADVICE: &str = "check that --store names your store; if it does, restore it from a backup (`sqlite3 FILE .recover` can often save its rows). Nothing was written to it";

#[test]
fn a_flipped_header_byte_is_named_as_damage_not_as_a_read_only_database() {
    let dir = tempfile::tempdir().unwrap();
    let path = written_store(dir.path());
    let sound = std::fs::read(&path).unwrap();
    // Offsets and meanings from https://www.sqlite.org/fileformat.html#the_database_header.
    let cases: [(usize, &str); 5] = [
        (
            0,
            "the file does not start with SQLite's header (\"SQLite format 3\"), so it is not a SQLite database",
        ),
        (
            16,
            "its header is damaged: the page size reads 61184, which SQLite never writes",
        ),
        // The write version: SQLite alone calls this "attempt to write a readonly database".
        (
            18,
            "its header is damaged: the file format versions read 253 and 2, where SQLite writes 1 or 2",
        ),
        (
            19,
            "its header is damaged: the file format versions read 2 and 253, where SQLite writes 1 or 2",
        ),
        (
            21,
            "its header is damaged: the payload fractions (bytes 21 to 23) are not SQLite's fixed 64, 32, 32",
        ),
    ];
    for (offset, why) in cases {
        let mut bytes = sound.clone();
        bytes[offset] ^= 0xff;
        std::fs::write(&path, &bytes).unwrap();
        assert_eq!(refused(&path), format!("{why}; {ADVICE}"), "byte {offset}");
    }
}

#[test]
fn a_truncated_store_is_named_as_cut_short() {
    let dir = tempfile::tempdir().unwrap();
    let path = written_store(dir.path());
    let bytes = std::fs::read(&path).unwrap();
    let page_size = u64::from(u16::from_be_bytes([bytes[16], bytes[17]]));
    let pages = u32::from_be_bytes([bytes[28], bytes[29], bytes[30], bytes[31]]);
    assert!(pages >= 6, "the store spans several pages ({pages})");
    let kept = page_size * u64::from(pages / 2);
    std::fs::write(&path, &bytes[..kept as usize]).unwrap();
    assert_eq!(
        refused(&path),
        format!(
            "the file is {kept} bytes long but its header counts {pages} pages of {page_size} bytes ({}): it was cut short; {ADVICE}",
            format_args!("{} bytes", page_size * u64::from(pages))
        )
    );
    // Cut inside the header.
    std::fs::write(&path, &bytes[..60]).unwrap();
    assert_eq!(
        refused(&path),
        format!(
            "the file is 60 bytes long, shorter than SQLite's 100-byte header: it was cut short; {ADVICE}"
        )
    );
}

#[test]
fn a_random_file_is_not_a_store() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("noise.bin");
    // A fixed pseudo-random stream (a 64-bit LCG, Knuth's MMIX constants).
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let noise: Vec<u8> = (0..8192)
        .map(|_| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 56) as u8
        })
        .collect();
    std::fs::write(&path, &noise).unwrap();
    assert_eq!(
        refused(&path),
        format!(
            "the file does not start with SQLite's header (\"SQLite format 3\"), so it is not a SQLite database; {ADVICE}"
        )
    );
}

#[test]
fn an_empty_file_is_no_store_to_read_but_becomes_one_when_written() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("empty.db");
    std::fs::write(&path, b"").unwrap();
    let err = Store::open_read_only(&path).unwrap_err();
    assert!(matches!(err, StoreError::NotAStore { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!(
            "store {}: not a medeval store or corrupt: the file is empty (0 bytes): no run was ever written to it; `medeval run --store FILE` writes runs there",
            path.display()
        )
    );
    assert_eq!(std::fs::metadata(&path).unwrap().len(), 0, "left empty");
    // `medeval run` makes a store of it, as of a file that does not exist yet.
    let store = Store::open(&path).unwrap();
    assert!(store.list_runs().unwrap().is_empty());
}

#[test]
fn damage_inside_the_file_names_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let path = written_store(dir.path());
    let mut bytes = std::fs::read(&path).unwrap();
    let page_size = usize::from(u16::from_be_bytes([bytes[16], bytes[17]]));
    // The second half of the pages (the samples' rows): the header stays sound.
    let pages = bytes.len() / page_size;
    for byte in &mut bytes[page_size * (pages / 2)..] {
        *byte = 0xa5;
    }
    std::fs::write(&path, &bytes).unwrap();
    let read_everything = || -> Result<(), StoreError> {
        let store = Store::open_read_only(&path)?;
        for run in store.list_runs()? {
            store.load_run(&run.id)?;
        }
        Ok(())
    };
    let err = read_everything().unwrap_err();
    assert!(matches!(err, StoreError::NotAStore { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!(
            "store {}: not a medeval store or corrupt: SQLite could not read it (database disk image is malformed); {ADVICE}",
            path.display()
        )
    );
}

#[test]
fn a_store_opened_for_reading_is_never_written() {
    let dir = tempfile::tempdir().unwrap();
    let path = written_store(dir.path());
    let before = std::fs::read(&path).unwrap();
    let mut store = Store::open_read_only(&path).unwrap();
    assert!(store.is_read_only());
    let run = store.resolve_run(None).unwrap();
    assert_eq!(store.load_run(&run).unwrap().samples.len(), 40);
    let err = store
        .begin_run(&manifest("m"), &items(1), false)
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "store {}: read-only: it was opened for reading only; commands that only read (show, runs, table, compare, rank, probe) work on it; to run or delete, copy it to a writable folder and pass that --store",
            path.display()
        )
    );
    assert!(matches!(
        store.delete_run(&run),
        Err(StoreError::ReadOnly { .. })
    ));
    assert!(matches!(
        store.writer(&run).map(drop),
        Err(StoreError::ReadOnly { .. })
    ));
    drop(store);
    assert_eq!(std::fs::read(&path).unwrap(), before, "nothing was written");
}

/// The CLI's fixture `name` (a store an earlier medeval wrote), copied into `dir`.
fn earlier_store(dir: &Path, name: &str) -> PathBuf {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../medeval-cli/tests/fixtures")
        .join(name)
        .join("store.db");
    let path = dir.join("store.db");
    std::fs::copy(fixture, &path).unwrap();
    path
}

fn schema_version_of(path: &Path) -> String {
    rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .unwrap()
        .query_row(
            "SELECT value FROM store_meta WHERE key = 'schema_version'",
            [],
            |row| row.get(0),
        )
        .unwrap()
}

#[test]
fn earlier_stores_are_read_as_they_are_without_migrating() {
    for (fixture, version, runs, samples) in [
        ("store-0.1", "1", 4, 10 + 10 + 17 + 3),
        ("store-schema-2", "2", 2, 20),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let path = earlier_store(dir.path(), fixture);
        let before = std::fs::read(&path).unwrap();
        let store = Store::open_read_only(&path).unwrap();
        let listed = store.list_runs().unwrap();
        assert_eq!(listed.len(), runs, "{fixture}");
        let mut read = 0;
        for listing in &listed {
            read += store.load_run(&listing.id).unwrap().samples.len();
            assert_eq!(store.run_lock(&listing.id).unwrap(), None);
        }
        assert_eq!(read, samples, "{fixture}");
        drop(store);
        assert_eq!(schema_version_of(&path), version, "{fixture}: not migrated");
        assert_eq!(
            std::fs::read(&path).unwrap(),
            before,
            "{fixture}: unchanged"
        );
    }
}

#[test]
fn a_schema_2_store_is_migrated_to_take_locks_and_its_run_continues() {
    let dir = tempfile::tempdir().unwrap();
    let path = earlier_store(dir.path(), "store-schema-2");
    assert_eq!(schema_version_of(&path), "2");
    let mut store = Store::open(&path).unwrap();
    assert_eq!(schema_version_of(&path), "3");
    let listed = store.list_runs().unwrap();
    let incomplete = listed
        .iter()
        .find(|run| run.status == RunStatus::Incomplete)
        .unwrap();
    // The mock model's run: 8 answers and the two "[flaky]" items' HTTP 503.
    assert_eq!((incomplete.answered, incomplete.errors), (8, 2));
    let run = store.load_run(&incomplete.id).unwrap();
    let items: Vec<Item> = run.items.iter().map(|item| item.to_item()).collect();
    let start = store.begin_run(&run.manifest, &items, false).unwrap();
    assert!(start.resumed);
    assert_eq!(start.run_id, incomplete.id);
    assert_eq!(start.answered.len(), 8, "the two failures are pending");
    assert_eq!(
        store.run_lock(&start.run_id).unwrap().map(|h| h.pid),
        Some(std::process::id()),
        "the continued run is held"
    );
    store
        .finish_run(&start.run_id, RunStatus::Incomplete)
        .unwrap();
    assert_eq!(store.run_lock(&start.run_id).unwrap(), None);
}
