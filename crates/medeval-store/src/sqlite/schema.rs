//! The SQLite schema and connection settings.
//!
//! The store runs in WAL mode with `synchronous = NORMAL`: every committed transaction survives the
//! process being killed at any moment (kill -9, OOM killer); a power loss can lose at most the last
//! transactions, never corrupt the file. Samples are committed as they complete, in small batches.

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::{Error, Result};

/// The schema version this build writes. A store with a higher version was written by a newer
/// medeval and is refused rather than misread; a lower one is migrated when it is opened.
///
/// - 1: medeval 0.1.0.
/// - 2: `samples.images`, the size of each image as the item held it and as it was sent.
/// - 3: `run_locks`, the process working on a run (one worker per run).
pub const SCHEMA_VERSION: u32 = 3;

/// The statements that bring a store from version `n` to `n + 1`, in order, starting at 1.
/// Each only adds: a store keeps every row it had, and older samples read with defaults.
const MIGRATIONS: &[&str] = &[
    // 1 -> 2: image geometry per sample (NULL for samples stored before it was recorded).
    "ALTER TABLE samples ADD COLUMN images TEXT;",
    // 2 -> 3: run locks (no run is held when a store is migrated).
    RUN_LOCKS,
];

// One step per version after the first.
const _: () = assert!(MIGRATIONS.len() + 1 == SCHEMA_VERSION as usize);

/// The process holding a run: a token unique to one open store, the process and machine for
/// people and for telling a dead holder, when it took the run and when it last said it was alive
/// (milliseconds since the Unix epoch).
const RUN_LOCKS: &str = "
CREATE TABLE IF NOT EXISTS run_locks (
    run_id       TEXT PRIMARY KEY,
    holder       TEXT NOT NULL,
    pid          INTEGER NOT NULL,
    host         TEXT NOT NULL,
    machine      TEXT NOT NULL,
    since        TEXT NOT NULL,
    heartbeat_ms INTEGER NOT NULL
);
";

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS store_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS runs (
    id         TEXT PRIMARY KEY,
    identity   TEXT NOT NULL,
    manifest   TEXT NOT NULL,
    status     TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS runs_by_identity ON runs (identity, created_at);
CREATE TABLE IF NOT EXISTS invocations (
    run_id     TEXT NOT NULL REFERENCES runs (id),
    started_at TEXT NOT NULL,
    ended_at   TEXT,
    manifest   TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS items (
    run_id   TEXT NOT NULL REFERENCES runs (id),
    position INTEGER NOT NULL,
    item_id  TEXT NOT NULL,
    record   TEXT NOT NULL,
    PRIMARY KEY (run_id, item_id)
);
CREATE TABLE IF NOT EXISTS samples (
    run_id            TEXT NOT NULL REFERENCES runs (id),
    item_id           TEXT NOT NULL,
    sample            INTEGER NOT NULL,
    status            TEXT NOT NULL CHECK (status IN ('ok', 'error')),
    completion        TEXT,
    error             TEXT,
    latency_ms        REAL NOT NULL,
    attempts          INTEGER NOT NULL,
    cached            INTEGER NOT NULL,
    request_sha256    TEXT,
    prompt_tokens     INTEGER,
    completion_tokens INTEGER,
    outcome           TEXT NOT NULL,
    extracted         TEXT,
    rule              TEXT NOT NULL,
    metrics           TEXT,
    completed_at      TEXT NOT NULL,
    images            TEXT,
    PRIMARY KEY (run_id, item_id, sample)
);
CREATE TABLE IF NOT EXISTS attempts (
    run_id      TEXT NOT NULL,
    item_id     TEXT NOT NULL,
    sample      INTEGER NOT NULL,
    attempt     INTEGER NOT NULL,
    endpoint    TEXT NOT NULL,
    started_at  TEXT NOT NULL,
    latency_ms  REAL NOT NULL,
    http_status INTEGER,
    error       TEXT
);
CREATE INDEX IF NOT EXISTS attempts_by_sample ON attempts (run_id, item_id, sample);
CREATE TABLE IF NOT EXISTS response_cache (
    key        TEXT PRIMARY KEY,
    model      TEXT NOT NULL,
    completion TEXT NOT NULL,
    created_at TEXT NOT NULL
);
";

/// Checks that the file at `conn` is a medeval store this build can read (or an empty file),
/// and only then makes it one: WAL journaling, and the schema when it has none.
///
/// Nothing is written before the check passes, because switching to WAL rewrites the file's
/// header: a foreign database or a newer store must be refused exactly as it was.
pub(super) fn open(conn: &mut Connection) -> Result<()> {
    settings(conn)?;
    check(conn)?;
    use_wal(conn)?;
    migrate(conn)
}

/// Checks that the read-only connection `conn` is to a medeval store this build can read, and
/// returns its schema version. An older store is read as it is, never migrated: reading writes
/// nothing.
pub(super) fn open_read_only(conn: &Connection) -> Result<u32> {
    conn.busy_timeout(std::time::Duration::from_secs(30))?;
    check(conn)?.ok_or_else(|| {
        Error::NotAStore(
            "it is an empty database: no run was ever written to it; `medeval run --store FILE` writes runs there"
                .into(),
        )
    })
}

/// Applies the settings every further connection to an opened store uses.
pub(super) fn configure(conn: &Connection) -> Result<()> {
    settings(conn)?;
    use_wal(conn)
}

/// Per-connection settings, which change nothing in the file.
fn settings(conn: &Connection) -> Result<()> {
    conn.busy_timeout(std::time::Duration::from_secs(30))?;
    conn.execute_batch("PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;")?;
    Ok(())
}

/// Switches the file to WAL journaling (a no-op once it is).
fn use_wal(conn: &Connection) -> Result<()> {
    // `journal_mode` returns a row, so it is read rather than executed.
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(Error::Unsupported(format!(
            "the store could not be switched to WAL journaling (got {mode:?}); is it on a network file system? Keep the store on a local disk"
        )));
    }
    Ok(())
}

/// Creates the schema in a new store, or brings an older one up to [`SCHEMA_VERSION`].
fn migrate(conn: &mut Connection) -> Result<()> {
    // IMMEDIATE takes the write lock up front, so two processes opening a new store at once
    // cannot both create the schema; the check is repeated under the lock for the same reason.
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    match check(&tx)? {
        None => {
            tx.execute_batch(SCHEMA)?;
            tx.execute_batch(RUN_LOCKS)?;
            tx.execute(
                "INSERT INTO store_meta (key, value) VALUES ('schema_version', ?1), ('created_by', ?2)",
                params![SCHEMA_VERSION.to_string(), env!("CARGO_PKG_VERSION")],
            )?;
        }
        Some(version) if version < SCHEMA_VERSION => {
            // All steps in one transaction: a store is at one version or the next, never between.
            for step in &MIGRATIONS[(version as usize).saturating_sub(1)..] {
                tx.execute_batch(step)?;
            }
            tx.execute(
                "UPDATE store_meta SET value = ?1 WHERE key = 'schema_version'",
                [SCHEMA_VERSION.to_string()],
            )?;
            tx.execute(
                "INSERT OR REPLACE INTO store_meta (key, value) VALUES (?1, ?2)",
                params![
                    format!("migrated_from_{version}_by"),
                    env!("CARGO_PKG_VERSION")
                ],
            )?;
        }
        Some(_) => {}
    }
    tx.commit()?;
    Ok(())
}

/// The schema version of a medeval store this build reads, or `None` for an empty database;
/// anything else is an error. Only reads.
fn check(conn: &Connection) -> Result<Option<u32>> {
    let has_meta: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'store_meta')",
        [],
        |row| row.get(0),
    )?;
    if has_meta {
        let found: Option<String> = conn
            .query_row(
                "SELECT value FROM store_meta WHERE key = 'schema_version'",
                [],
                |row| row.get(0),
            )
            .optional()?;
        let version = found
            .as_deref()
            .and_then(|v| v.parse::<u32>().ok())
            .filter(|&v| v >= 1)
            .ok_or_else(|| {
                Error::NotAStore(
                    "it has a store_meta table but no readable schema version, so it was not written by medeval (or was edited); check that --store names your store. Nothing was written to it"
                        .into(),
                )
            })?;
        if version > SCHEMA_VERSION {
            return Err(Error::NewerSchema { found: version });
        }
        return Ok(Some(version));
    }
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name LIMIT 6")?
        .query_map([], |row| row.get(0))?
        .collect::<std::result::Result<_, _>>()?;
    if !tables.is_empty() {
        let shown = tables
            .iter()
            .take(5)
            .cloned()
            .collect::<Vec<_>>()
            .join(", ");
        let more = if tables.len() > 5 { ", ..." } else { "" };
        return Err(Error::NotAStore(format!(
            "it is a SQLite database of something else (tables {shown}{more}, none of medeval's); check that --store names your store. Nothing was written to it"
        )));
    }
    Ok(None)
}
