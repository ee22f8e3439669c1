//! The run store: every run's manifest, items, requests, responses and scored samples, plus the
//! response cache, in one SQLite file.
//!
//! The store is what makes runs resumable and auditable. Its contract:
//!
//! - A sample is written once it is final (a response, or an error after the last retry), in a
//!   committed transaction, before it counts as done. A killed process loses at most the samples
//!   that had not been committed yet; those are requested again on resume.
//! - A sample with a response is never overwritten; a sample that ended in error is replaced when
//!   a later invocation obtains a response. So every item ends with exactly one stored sample.
//! - Nothing secret is written: manifests record the *name* of the API-key variable, and requests
//!   are stored by digest, never with their headers.
//!
//! Reads ([`Store`]) and writes during a run ([`SampleWriter`], on its own thread and connection)
//! use separate connections; WAL mode lets them proceed together.

mod records;
mod schema;
pub mod timestamp;
mod writer;

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use medeval_core::{Completion, Item, RunManifest, Scored};
use rusqlite::{Connection, OpenFlags, OptionalExtension, params};

pub use records::{AttemptRecord, ItemRecord, RunListing, RunStatus, SampleRecord, StoredRun};
pub use schema::SCHEMA_VERSION;
pub use writer::SampleWriter;

/// Everything that can go wrong with the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite reported an error.
    #[error("store database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The store file does not exist (for commands that only read).
    #[error("no store at {}; runs are written there by `medeval run --store {}`", .0.display(), .0.display())]
    Missing(PathBuf),
    /// The store was written by a newer medeval.
    #[error(
        "the store uses schema version {found}, but this medeval understands up to {supported}; upgrade medeval to read it (nothing was changed)"
    )]
    NewerSchema {
        /// Version found in the file.
        found: u32,
        /// Highest version this build understands.
        supported: u32,
    },
    /// The file is not a usable medeval store.
    #[error("{0}")]
    Unsupported(String),
    /// A stored JSON value could not be read back.
    #[error("stored {what} of run {run} is unreadable: {source}")]
    Corrupt {
        /// What was being read.
        what: &'static str,
        /// The run.
        run: String,
        /// The JSON error.
        #[source]
        source: serde_json::Error,
    },
    /// No run matches a selector.
    #[error("no run {0:?} in the store (`medeval runs` lists them)")]
    UnknownRun(String),
    /// A selector matches several runs.
    #[error("run prefix {prefix:?} is ambiguous: it matches {}", .matches.join(", "))]
    AmbiguousRun {
        /// The prefix given.
        prefix: String,
        /// The runs it matches.
        matches: Vec<String>,
    },
    /// The store holds no runs at all.
    #[error("the store holds no runs yet")]
    NoRuns,
    /// The background writer stopped (after an error it already reported, or a panic).
    #[error("the store writer stopped unexpectedly")]
    WriterStopped,
}

/// What [`Store::begin_run`] found: a new run, or an earlier one to continue.
#[derive(Debug, Clone, PartialEq)]
pub struct RunStart {
    /// The run id.
    pub run_id: String,
    /// Whether an earlier run with the same identity is being continued.
    pub resumed: bool,
    /// `(item id, sample)` pairs that already have a response and must not be requested again.
    pub answered: HashSet<(String, u32)>,
    /// The extractor version the stored samples were scored with, when it differs from the
    /// manifest's: those samples need scoring again.
    pub stale_extractor: Option<String>,
}

/// An open store.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

impl Store {
    /// Opens the store at `path`, creating it if needed.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        Self::open_with(path, OpenFlags::default())
    }

    /// Opens an existing store; a missing file is [`StoreError::Missing`] rather than a new store.
    pub fn open_existing(path: &Path) -> Result<Self, StoreError> {
        if !path.is_file() {
            return Err(StoreError::Missing(path.to_path_buf()));
        }
        Self::open_with(path, OpenFlags::default())
    }

    fn open_with(path: &Path, flags: OpenFlags) -> Result<Self, StoreError> {
        let mut conn = Connection::open_with_flags(path, flags)?;
        schema::configure(&conn).map_err(|e| not_a_store(path, e))?;
        schema::migrate(&mut conn).map_err(|e| not_a_store(path, e))?;
        Ok(Self {
            conn,
            path: path.to_path_buf(),
        })
    }

    /// The store's file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Starts (or continues) the run described by `manifest` over `items`.
    ///
    /// Without `fresh`, the newest run with the same identity is continued: its answered samples
    /// are reported so they are not requested again, and its manifest is updated to this
    /// invocation's. With `fresh`, a new run is created even if an identical one exists.
    pub fn begin_run(
        &mut self,
        manifest: &RunManifest,
        items: &[Item],
        fresh: bool,
    ) -> Result<RunStart, StoreError> {
        let identity = manifest.identity();
        let now = timestamp::now();
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let existing: Option<(String, String)> = if fresh {
            None
        } else {
            tx.query_row(
                "SELECT id, manifest FROM runs WHERE identity = ?1 ORDER BY created_at DESC, rowid DESC LIMIT 1",
                [&identity],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()?
        };
        let mut manifest = manifest.clone();
        let (run_id, resumed, stale_extractor) = match existing {
            Some((run_id, stored)) => {
                let stored: RunManifest =
                    serde_json::from_str(&stored).map_err(|source| StoreError::Corrupt {
                        what: "manifest",
                        run: run_id.clone(),
                        source,
                    })?;
                manifest.started_at = stored.started_at.clone();
                let stale = (stored.extractor_version != manifest.extractor_version)
                    .then_some(stored.extractor_version);
                (run_id, true, stale)
            }
            None => {
                manifest.started_at = Some(now.clone());
                let run_id = unused_run_id(&tx, &identity)?;
                tx.execute(
                    "INSERT INTO runs (id, identity, manifest, status, created_at, updated_at) VALUES (?1, ?2, '{}', 'running', ?3, ?3)",
                    params![run_id, identity, now],
                )?;
                (run_id, false, None)
            }
        };
        manifest.finished_at = None;
        let manifest_json = to_json(&manifest);
        tx.execute(
            "UPDATE runs SET manifest = ?2, status = 'running', updated_at = ?3 WHERE id = ?1",
            params![run_id, manifest_json, now],
        )?;
        tx.execute(
            "INSERT INTO invocations (run_id, started_at, manifest) VALUES (?1, ?2, ?3)",
            params![run_id, now, manifest_json],
        )?;
        {
            let mut insert = tx.prepare(
                "INSERT OR IGNORE INTO items (run_id, position, item_id, record) VALUES (?1, ?2, ?3, ?4)",
            )?;
            for (position, item) in items.iter().enumerate() {
                insert.execute(params![
                    run_id,
                    position as i64,
                    item.id,
                    to_json(&ItemRecord::from(item))
                ])?;
            }
        }
        let answered = {
            let mut select = tx.prepare(
                "SELECT item_id, sample FROM samples WHERE run_id = ?1 AND status = 'ok'",
            )?;
            select
                .query_map([&run_id], |row| Ok((row.get(0)?, row.get(1)?)))?
                .collect::<Result<HashSet<(String, u32)>, _>>()?
        };
        tx.commit()?;
        Ok(RunStart {
            run_id,
            resumed,
            answered,
            stale_extractor,
        })
    }

    /// Records the end of an invocation: the run's status, and when it finished.
    pub fn finish_run(&mut self, run_id: &str, status: RunStatus) -> Result<(), StoreError> {
        let now = timestamp::now();
        let tx = self.conn.transaction()?;
        let stored: String =
            tx.query_row("SELECT manifest FROM runs WHERE id = ?1", [run_id], |row| {
                row.get(0)
            })?;
        let mut manifest: RunManifest =
            serde_json::from_str(&stored).map_err(|source| StoreError::Corrupt {
                what: "manifest",
                run: run_id.to_owned(),
                source,
            })?;
        manifest.finished_at = Some(now.clone());
        tx.execute(
            "UPDATE runs SET manifest = ?2, status = ?3, updated_at = ?4 WHERE id = ?1",
            params![run_id, to_json(&manifest), status.as_str(), now],
        )?;
        tx.execute(
            "UPDATE invocations SET ended_at = ?2 WHERE rowid = (SELECT MAX(rowid) FROM invocations WHERE run_id = ?1)",
            params![run_id, now],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// A writer for the samples of `run_id`, on its own thread and connection.
    pub fn writer(&self, run_id: &str) -> Result<SampleWriter, StoreError> {
        let conn = Connection::open(&self.path)?;
        schema::configure(&conn)?;
        Ok(SampleWriter::spawn(conn, run_id.to_owned()))
    }

    /// A cached response for `key`, if the cache holds one.
    pub fn cached_completion(&self, key: &str) -> Result<Option<Completion>, StoreError> {
        cached_completion(&self.conn, key)
    }

    /// A reader of the response cache with its own connection, to be used from other threads
    /// while a run writes.
    pub fn cache_reader(&self) -> Result<CacheReader, StoreError> {
        let conn = Connection::open(&self.path)?;
        schema::configure(&conn)?;
        Ok(CacheReader { conn })
    }

    /// Replaces the stored verdicts of a run (after the extraction rules changed) and records the
    /// extractor version in its manifest.
    pub fn rescore(
        &mut self,
        run_id: &str,
        extractor_version: &str,
        verdicts: &[(String, u32, Scored)],
    ) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        {
            let mut update = tx.prepare(
                "UPDATE samples SET outcome = ?4, extracted = ?5, rule = ?6, metrics = ?7 WHERE run_id = ?1 AND item_id = ?2 AND sample = ?3",
            )?;
            for (item_id, sample, scored) in verdicts {
                update.execute(params![
                    run_id,
                    item_id,
                    sample,
                    scored.outcome.as_str(),
                    scored.extracted,
                    scored.rule,
                    metrics_json(scored)
                ])?;
            }
            let stored: String =
                tx.query_row("SELECT manifest FROM runs WHERE id = ?1", [run_id], |row| {
                    row.get(0)
                })?;
            let mut manifest: RunManifest =
                serde_json::from_str(&stored).map_err(|source| StoreError::Corrupt {
                    what: "manifest",
                    run: run_id.to_owned(),
                    source,
                })?;
            manifest.extractor_version = extractor_version.to_owned();
            tx.execute(
                "UPDATE runs SET manifest = ?2 WHERE id = ?1",
                params![run_id, to_json(&manifest)],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Every run, newest first, with its counts.
    pub fn list_runs(&self) -> Result<Vec<RunListing>, StoreError> {
        let mut select = self.conn.prepare(
            "SELECT r.id, r.manifest, r.status, r.created_at, r.updated_at,
                    (SELECT COUNT(*) FROM items i WHERE i.run_id = r.id),
                    (SELECT COUNT(*) FROM samples s WHERE s.run_id = r.id AND s.status = 'ok'),
                    (SELECT COUNT(*) FROM samples s WHERE s.run_id = r.id AND s.status = 'error'),
                    (SELECT COUNT(*) FROM samples s WHERE s.run_id = r.id AND s.outcome = 'correct')
             FROM runs r ORDER BY r.created_at DESC, r.rowid DESC",
        )?;
        let rows = select.query_map([], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
                row.get::<_, String>(3)?,
                row.get::<_, String>(4)?,
                row.get::<_, i64>(5)? as u64,
                row.get::<_, i64>(6)? as u64,
                row.get::<_, i64>(7)? as u64,
                row.get::<_, i64>(8)? as u64,
            ))
        })?;
        let mut listings = Vec::new();
        for row in rows {
            let (id, manifest, status, created_at, updated_at, items, answered, errors, correct) =
                row?;
            let manifest =
                serde_json::from_str(&manifest).map_err(|source| StoreError::Corrupt {
                    what: "manifest",
                    run: id.clone(),
                    source,
                })?;
            listings.push(RunListing {
                id,
                manifest,
                status: RunStatus::parse(&status),
                created_at,
                updated_at,
                items,
                answered,
                errors,
                correct,
            });
        }
        Ok(listings)
    }

    /// Resolves a run selector: a full id, a unique id prefix, or `None` for the newest run.
    pub fn resolve_run(&self, selector: Option<&str>) -> Result<String, StoreError> {
        let Some(selector) = selector else {
            return self
                .conn
                .query_row(
                    "SELECT id FROM runs ORDER BY updated_at DESC, rowid DESC LIMIT 1",
                    [],
                    |row| row.get(0),
                )
                .optional()?
                .ok_or(StoreError::NoRuns);
        };
        let mut select = self.conn.prepare(
            "SELECT id FROM runs WHERE id = ?1 OR substr(id, 1, length(?1)) = ?1 ORDER BY id",
        )?;
        let matches = select
            .query_map([selector], |row| row.get::<_, String>(0))?
            .collect::<Result<Vec<_>, _>>()?;
        if matches.iter().any(|id| id == selector) {
            return Ok(selector.to_owned());
        }
        match matches.len() {
            0 => Err(StoreError::UnknownRun(selector.to_owned())),
            1 => Ok(matches.into_iter().next().unwrap_or_default()),
            _ => Err(StoreError::AmbiguousRun {
                prefix: selector.to_owned(),
                matches,
            }),
        }
    }

    /// Loads a run with its items and samples.
    pub fn load_run(&self, run_id: &str) -> Result<StoredRun, StoreError> {
        let (manifest, status): (String, String) = self
            .conn
            .query_row(
                "SELECT manifest, status FROM runs WHERE id = ?1",
                [run_id],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()?
            .ok_or_else(|| StoreError::UnknownRun(run_id.to_owned()))?;
        let corrupt = |what: &'static str| {
            move |source| StoreError::Corrupt {
                what,
                run: run_id.to_owned(),
                source,
            }
        };
        let manifest: RunManifest = serde_json::from_str(&manifest).map_err(corrupt("manifest"))?;

        let mut select_items = self
            .conn
            .prepare("SELECT record FROM items WHERE run_id = ?1 ORDER BY position")?;
        let items = select_items
            .query_map([run_id], |row| row.get::<_, String>(0))?
            .map(|json| -> Result<ItemRecord, StoreError> {
                serde_json::from_str(&json?).map_err(corrupt("item"))
            })
            .collect::<Result<Vec<_>, _>>()?;

        let mut select_samples = self.conn.prepare(
            "SELECT s.item_id, s.sample, s.completion, s.error, s.latency_ms, s.cached, s.request_sha256,
                    s.outcome, s.extracted, s.rule, s.metrics, s.completed_at
             FROM samples s JOIN items i ON i.run_id = s.run_id AND i.item_id = s.item_id
             WHERE s.run_id = ?1 ORDER BY i.position, s.sample",
        )?;
        let rows = select_samples.query_map([run_id], |row| {
            Ok(RawSample {
                item_id: row.get(0)?,
                sample: row.get(1)?,
                completion: row.get(2)?,
                error: row.get(3)?,
                latency_ms: row.get(4)?,
                cached: row.get(5)?,
                request_sha256: row.get(6)?,
                outcome: row.get(7)?,
                extracted: row.get(8)?,
                rule: row.get(9)?,
                metrics: row.get(10)?,
                completed_at: row.get(11)?,
            })
        })?;
        let mut samples = Vec::new();
        for raw in rows {
            samples.push(raw?.into_record(run_id)?);
        }
        Ok(StoredRun {
            id: run_id.to_owned(),
            manifest,
            status: RunStatus::parse(&status),
            items,
            samples,
        })
    }
}

/// Reads the response cache on its own connection (see [`Store::cache_reader`]).
#[derive(Debug)]
pub struct CacheReader {
    conn: Connection,
}

impl CacheReader {
    /// A cached response for `key`, if the cache holds one.
    pub fn get(&self, key: &str) -> Result<Option<Completion>, StoreError> {
        cached_completion(&self.conn, key)
    }
}

fn cached_completion(conn: &Connection, key: &str) -> Result<Option<Completion>, StoreError> {
    let found: Option<String> = conn
        .prepare_cached("SELECT completion FROM response_cache WHERE key = ?1")?
        .query_row([key], |row| row.get(0))
        .optional()?;
    // A cache row that no longer parses is treated as absent: the request is simply sent.
    Ok(found.and_then(|json| serde_json::from_str(&json).ok()))
}

/// A sample row as read, before its JSON columns are parsed.
struct RawSample {
    item_id: String,
    sample: u32,
    completion: Option<String>,
    error: Option<String>,
    latency_ms: f64,
    cached: bool,
    request_sha256: Option<String>,
    outcome: String,
    extracted: Option<String>,
    rule: String,
    metrics: Option<String>,
    completed_at: String,
}

impl RawSample {
    fn into_record(self, run_id: &str) -> Result<SampleRecord, StoreError> {
        let corrupt = |what: &'static str| {
            move |source| StoreError::Corrupt {
                what,
                run: run_id.to_owned(),
                source,
            }
        };
        let completion = self
            .completion
            .map(|json| serde_json::from_str::<Completion>(&json))
            .transpose()
            .map_err(corrupt("completion"))?;
        let metrics = self
            .metrics
            .map(|json| serde_json::from_str(&json))
            .transpose()
            .map_err(corrupt("metrics"))?
            .unwrap_or_default();
        let outcome = medeval_core::Outcome::parse(&self.outcome).ok_or_else(|| {
            StoreError::Unsupported(format!(
                "run {run_id}: sample {} has unknown outcome {:?}",
                self.item_id, self.outcome
            ))
        })?;
        Ok(SampleRecord {
            item_id: self.item_id,
            sample: self.sample,
            completion,
            error: self.error,
            attempts: Vec::new(),
            latency_ms: self.latency_ms,
            cached: self.cached,
            request_sha256: self.request_sha256,
            scored: Scored {
                outcome,
                extracted: self.extracted,
                rule: self.rule,
                metrics,
            },
            completed_at: self.completed_at,
        })
    }
}

/// Run ids are the first 8 hex digits of the identity, lengthened when that is taken.
fn unused_run_id(conn: &Connection, identity: &str) -> Result<String, StoreError> {
    let mut exists = conn.prepare("SELECT EXISTS (SELECT 1 FROM runs WHERE id = ?1)")?;
    let base = &identity[..8.min(identity.len())];
    let mut candidate = base.to_owned();
    let mut suffix = 1u64;
    while exists.query_row([&candidate], |row| row.get::<_, bool>(0))? {
        suffix += 1;
        candidate = format!("{base}-{suffix}");
    }
    Ok(candidate)
}

fn not_a_store(path: &Path, err: StoreError) -> StoreError {
    match err {
        StoreError::Sqlite(rusqlite::Error::SqliteFailure(code, _))
            if code.code == rusqlite::ErrorCode::NotADatabase =>
        {
            StoreError::Unsupported(format!("{} is not a SQLite database", path.display()))
        }
        StoreError::Unsupported(message) => {
            StoreError::Unsupported(format!("{}: {message}", path.display()))
        }
        other => other,
    }
}

fn to_json<T: serde::Serialize>(value: &T) -> String {
    // The stored types are plain data; serialising them cannot fail.
    serde_json::to_string(value).unwrap_or_default()
}

fn metrics_json(scored: &Scored) -> Option<String> {
    (!scored.metrics.is_empty()).then(|| to_json(&scored.metrics))
}
