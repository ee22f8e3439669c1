//! The `RunStore` conformance suite, run against the SQLite backend.

use std::path::{Path, PathBuf};

use medeval_store::conformance::Backend;
use medeval_store::{LockHolder, SCHEMA_VERSION, Store, StoreError};

/// Fresh SQLite stores, each its own file in one temporary folder.
struct Sqlite {
    dir: tempfile::TempDir,
    made: u32,
}

impl Sqlite {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("a temporary folder"),
            made: 0,
        }
    }
}

impl Backend for Sqlite {
    type Store = Store;
    type Location = PathBuf;

    fn new_location(&mut self) -> PathBuf {
        self.made += 1;
        self.dir.path().join(format!("store-{}.db", self.made))
    }

    fn open(&mut self, at: &PathBuf) -> Result<Store, StoreError> {
        Store::open(at)
    }

    fn supported_schema(&self) -> u32 {
        SCHEMA_VERSION
    }

    fn claim_schema_version(&mut self, at: &PathBuf, version: u32) {
        let conn = rusqlite::Connection::open(at).expect("open the store with SQLite");
        let changed = conn
            .execute(
                "UPDATE store_meta SET value = ?1 WHERE key = 'schema_version'",
                [version.to_string()],
            )
            .expect("rewrite the schema version");
        assert_eq!(changed, 1, "the store records its schema version");
    }

    /// The database file and its write-ahead log, if one was left behind.
    fn persisted(&mut self, at: &PathBuf) -> Vec<u8> {
        let mut bytes = read_or_empty(at);
        bytes.extend_from_slice(b"\n-- wal --\n");
        bytes.extend(read_or_empty(&with_suffix(at, "-wal")));
        bytes
    }

    /// A `run_locks` row with a token no store handle has.
    fn plant_lock(&mut self, at: &PathBuf, run_id: &str, holder: &LockHolder) {
        let conn = rusqlite::Connection::open(at).expect("open the store with SQLite");
        conn.busy_timeout(std::time::Duration::from_secs(30))
            .expect("set a busy timeout");
        conn.execute(
            "INSERT OR REPLACE INTO run_locks (run_id, holder, pid, host, machine, since, heartbeat_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            rusqlite::params![
                run_id,
                format!("planted/{}/{}", holder.host, holder.pid),
                holder.pid,
                holder.host,
                holder.machine,
                holder.since,
                i64::try_from(holder.heartbeat_unix_ms).expect("a heartbeat in range"),
            ],
        )
        .expect("plant a lock");
    }
}

fn read_or_empty(path: &Path) -> Vec<u8> {
    match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => panic!("cannot read {}: {e}", path.display()),
    }
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

medeval_store::run_store_conformance!(Sqlite::new());
