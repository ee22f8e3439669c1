//! The SQLite schema and connection settings.
//!
//! The store runs in WAL mode with `synchronous = NORMAL`: every committed transaction survives the
//! process being killed at any moment (kill -9, OOM killer); a power loss can lose at most the last
//! transactions, never corrupt the file. Samples are committed as they complete, in small batches.

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::Result;
use crate::StoreError;

/// The schema version this build writes. A store with a higher version was written by a newer
/// medeval and is refused rather than misread; a lower one is migrated when it is opened.
///
/// - 1: medeval 0.1.0.
/// - 2: `samples.images`, the size of each image as the item held it and as it was sent.
pub const SCHEMA_VERSION: u32 = 2;

/// The statements that bring a store from version `n` to `n + 1`, in order, starting at 1.
/// Each only adds: a store keeps every row it had, and older samples read with defaults.
const MIGRATIONS: &[&str] = &[
    // 1 -> 2: image geometry per sample (NULL for samples stored before it was recorded).
    "ALTER TABLE samples ADD COLUMN images TEXT;",
];

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
        return Err(StoreError::Unsupported(format!(
            "the store could not be switched to WAL journaling (got {mode:?}); is it on a network file system?"
        ))
        .into());
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
            .ok_or_else(|| {
                StoreError::Unsupported(
                    "the store has no readable schema version; it was not written by medeval"
                        .into(),
                )
            })?;
        if version > SCHEMA_VERSION {
            return Err(StoreError::NewerSchema {
                found: version,
                supported: SCHEMA_VERSION,
            }
            .into());
        }
        return Ok(Some(version));
    }
    let has_other_tables: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table')",
        [],
        |row| row.get(0),
    )?;
    if has_other_tables {
        return Err(StoreError::Unsupported(
            "the database holds tables but no medeval schema; refusing to write into it".into(),
        )
        .into());
    }
    Ok(None)
}
