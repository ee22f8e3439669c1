//! The SQLite backend: every run of a store in one file.
//!
//! Reads ([`Store`]) and writes during a run ([`SampleWriter`], on its own thread and connection)
//! use separate connections; WAL mode lets them proceed together. The [`RunStore`] contract is
//! kept in SQL where it matters most: "an answered sample is never overwritten" is the `WHERE`
//! clause of the sample upsert (see `writer.rs`), so it holds inside the committing transaction
//! whatever the caller does.
//!
//! Inside this module SQLite's errors travel as [`Error`]; they become a [`StoreError`] naming the
//! file at the public boundary, so `rusqlite` never shows in the public API.

mod schema;
mod writer;

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use medeval_core::{Completion, Item, Outcome, RunManifest, Scored, ScorerId};
use rusqlite::{Connection, OpenFlags, OptionalExtension, TransactionBehavior, params};

use crate::{
    ItemRecord, ResponseCache, RunListing, RunStart, RunStatus, RunStore, SampleRecord, SampleSink,
    StoreError, StoredRun, timestamp,
};

pub use schema::SCHEMA_VERSION;
pub use writer::SampleWriter;

/// A failure inside the SQLite backend, before it is given the store's file.
#[derive(Debug)]
enum Error {
    /// SQLite itself failed.
    Sql(rusqlite::Error),
    /// Something the store decided (an unknown run, a corrupt value ...).
    Store(StoreError),
}

impl From<rusqlite::Error> for Error {
    fn from(error: rusqlite::Error) -> Self {
        Self::Sql(error)
    }
}

impl From<StoreError> for Error {
    fn from(error: StoreError) -> Self {
        Self::Store(error)
    }
}

impl Error {
    /// The public error, naming the store's file when SQLite failed.
    fn at(self, path: &Path) -> StoreError {
        match self {
            Self::Sql(error) => StoreError::backend(path.display(), error),
            Self::Store(error) => error,
        }
    }

    /// The public error for a file that could not be opened as a store: a file that is not a
    /// database, or a database that is not a medeval store, is [`StoreError::Unsupported`]
    /// naming it.
    fn opening(self, path: &Path) -> StoreError {
        match self {
            Self::Sql(rusqlite::Error::SqliteFailure(code, _))
                if code.code == rusqlite::ErrorCode::NotADatabase =>
            {
                StoreError::Unsupported(format!("{} is not a SQLite database", path.display()))
            }
            Self::Store(StoreError::Unsupported(message)) => {
                StoreError::Unsupported(format!("{}: {message}", path.display()))
            }
            other => other.at(path),
        }
    }
}

type Result<T> = std::result::Result<T, Error>;

/// An open store: one SQLite file.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

impl Store {
    /// Opens the store at `path`, creating it if needed.
    pub fn open(path: &Path) -> std::result::Result<Self, StoreError> {
        Self::open_with(path, OpenFlags::default())
    }

    /// Opens an existing store; a missing file is [`StoreError::Missing`] rather than a new store.
    pub fn open_existing(path: &Path) -> std::result::Result<Self, StoreError> {
        if !path.is_file() {
            return Err(StoreError::Missing(path.to_path_buf()));
        }
        Self::open_with(path, OpenFlags::default())
    }

    fn open_with(path: &Path, flags: OpenFlags) -> std::result::Result<Self, StoreError> {
        let open = || -> Result<Connection> {
            let mut conn = Connection::open_with_flags(path, flags)?;
            schema::open(&mut conn)?;
            Ok(conn)
        };
        let conn = open().map_err(|e| e.opening(path))?;
        Ok(Self {
            conn,
            path: path.to_path_buf(),
        })
    }

    /// The store's file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Starts (or continues) the run described by `manifest` over `items`; see
    /// [`RunStore::begin_run`].
    pub fn begin_run(
        &mut self,
        manifest: &RunManifest,
        items: &[Item],
        fresh: bool,
    ) -> std::result::Result<RunStart, StoreError> {
        begin_run(&mut self.conn, manifest, items, fresh).map_err(|e| e.at(&self.path))
    }

    /// Records the end of an invocation: the run's status, and when it finished.
    pub fn finish_run(
        &mut self,
        run_id: &str,
        status: RunStatus,
    ) -> std::result::Result<(), StoreError> {
        finish_run(&mut self.conn, run_id, status).map_err(|e| e.at(&self.path))
    }

    /// A writer for the samples of `run_id`, on its own thread and connection.
    pub fn writer(&self, run_id: &str) -> std::result::Result<SampleWriter, StoreError> {
        let open = || -> Result<Connection> {
            require_run(&self.conn, run_id)?;
            let conn = Connection::open(&self.path)?;
            schema::configure(&conn)?;
            Ok(conn)
        };
        let conn = open().map_err(|e| e.at(&self.path))?;
        Ok(SampleWriter::spawn(
            conn,
            self.path.clone(),
            run_id.to_owned(),
        ))
    }

    /// A cached response for `key`, if the cache holds one.
    pub fn cached_completion(
        &self,
        key: &str,
    ) -> std::result::Result<Option<Completion>, StoreError> {
        cached_completion(&self.conn, key).map_err(|e| e.at(&self.path))
    }

    /// A reader of the response cache with its own connection, to be used from other threads
    /// while a run writes.
    pub fn cache_reader(&self) -> std::result::Result<CacheReader, StoreError> {
        let open = || -> Result<Connection> {
            let conn = Connection::open(&self.path)?;
            schema::configure(&conn)?;
            Ok(conn)
        };
        let conn = open().map_err(|e| e.at(&self.path))?;
        Ok(CacheReader {
            conn,
            path: self.path.clone(),
        })
    }

    /// Replaces the stored verdicts of a run (after the extraction rules changed) and records the
    /// extractor version in its manifest; see [`RunStore::rescore`].
    pub fn rescore(
        &mut self,
        run_id: &str,
        scorer: &ScorerId,
        verdicts: &[(String, u32, Scored)],
    ) -> std::result::Result<(), StoreError> {
        rescore(&mut self.conn, run_id, scorer, verdicts).map_err(|e| e.at(&self.path))
    }

    /// Every run, newest first, with its counts.
    pub fn list_runs(&self) -> std::result::Result<Vec<RunListing>, StoreError> {
        list_runs(&self.conn).map_err(|e| e.at(&self.path))
    }

    /// Resolves a run selector: a full id, a unique id prefix, or `None` for the newest run.
    pub fn resolve_run(&self, selector: Option<&str>) -> std::result::Result<String, StoreError> {
        resolve_run(&self.conn, selector).map_err(|e| e.at(&self.path))
    }

    /// Loads a run with its items and samples.
    pub fn load_run(&self, run_id: &str) -> std::result::Result<StoredRun, StoreError> {
        load_run(&self.conn, run_id).map_err(|e| e.at(&self.path))
    }

    /// Deletes a run and everything stored for it (see [`RunStore::delete_run`]).
    pub fn delete_run(&mut self, run_id: &str) -> std::result::Result<(), StoreError> {
        delete_run(&mut self.conn, run_id).map_err(|e| e.at(&self.path))
    }
}

/// SQLite is the first backend; each method is the inherent one of the same name, with the
/// handles boxed.
impl RunStore for Store {
    fn begin_run(
        &mut self,
        manifest: &RunManifest,
        items: &[Item],
        fresh: bool,
    ) -> std::result::Result<RunStart, StoreError> {
        Store::begin_run(self, manifest, items, fresh)
    }

    fn finish_run(
        &mut self,
        run_id: &str,
        status: RunStatus,
    ) -> std::result::Result<(), StoreError> {
        Store::finish_run(self, run_id, status)
    }

    fn writer(&self, run_id: &str) -> std::result::Result<Box<dyn SampleSink>, StoreError> {
        Ok(Box::new(Store::writer(self, run_id)?))
    }

    fn cache_reader(&self) -> std::result::Result<Box<dyn ResponseCache>, StoreError> {
        Ok(Box::new(Store::cache_reader(self)?))
    }

    fn rescore(
        &mut self,
        run_id: &str,
        scorer: &ScorerId,
        verdicts: &[(String, u32, Scored)],
    ) -> std::result::Result<(), StoreError> {
        Store::rescore(self, run_id, scorer, verdicts)
    }

    fn list_runs(&self) -> std::result::Result<Vec<RunListing>, StoreError> {
        Store::list_runs(self)
    }

    fn resolve_run(&self, selector: Option<&str>) -> std::result::Result<String, StoreError> {
        Store::resolve_run(self, selector)
    }

    fn load_run(&self, run_id: &str) -> std::result::Result<StoredRun, StoreError> {
        Store::load_run(self, run_id)
    }

    fn delete_run(&mut self, run_id: &str) -> std::result::Result<(), StoreError> {
        Store::delete_run(self, run_id)
    }
}

/// Reads the response cache on its own connection (see [`Store::cache_reader`]).
#[derive(Debug)]
pub struct CacheReader {
    conn: Connection,
    path: PathBuf,
}

impl CacheReader {
    /// A cached response for `key`, if the cache holds one.
    pub fn get(&self, key: &str) -> std::result::Result<Option<Completion>, StoreError> {
        cached_completion(&self.conn, key).map_err(|e| e.at(&self.path))
    }
}

impl ResponseCache for CacheReader {
    fn get(&self, key: &str) -> std::result::Result<Option<Completion>, StoreError> {
        CacheReader::get(self, key)
    }
}

fn begin_run(
    conn: &mut Connection,
    manifest: &RunManifest,
    items: &[Item],
    fresh: bool,
) -> Result<RunStart> {
    let identity = manifest.identity();
    let now = timestamp::now();
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
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
    let (run_id, resumed, stale_scorer) = match existing {
        Some((run_id, stored)) => {
            let stored = parse_manifest(&stored, &run_id)?;
            manifest.started_at = stored.started_at.clone();
            let stale = (stored.scorer != manifest.scorer).then_some(stored.scorer);
            if let Some(old) = &stale {
                // The verdicts are still the old scorer's; only `rescore` may say otherwise, so
                // an invocation that dies before rescoring leaves the run visibly stale.
                manifest.scorer.clone_from(old);
            }
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
        let mut select =
            tx.prepare("SELECT item_id, sample FROM samples WHERE run_id = ?1 AND status = 'ok'")?;
        select
            .query_map([&run_id], |row| Ok((row.get(0)?, row.get(1)?)))?
            .collect::<std::result::Result<HashSet<(String, u32)>, _>>()?
    };
    tx.commit()?;
    Ok(RunStart {
        run_id,
        resumed,
        answered,
        stale_scorer,
    })
}

fn delete_run(conn: &mut Connection, run_id: &str) -> Result<()> {
    let tx = conn.transaction()?;
    require_run(&tx, run_id)?;
    // Children first: items and invocations reference the run.
    for table in ["attempts", "samples", "items", "invocations"] {
        tx.execute(&format!("DELETE FROM {table} WHERE run_id = ?1"), [run_id])?;
    }
    tx.execute("DELETE FROM runs WHERE id = ?1", [run_id])?;
    tx.commit()?;
    Ok(())
}

fn finish_run(conn: &mut Connection, run_id: &str, status: RunStatus) -> Result<()> {
    let now = timestamp::now();
    let tx = conn.transaction()?;
    let mut manifest = stored_manifest(&tx, run_id)?;
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

fn rescore(
    conn: &mut Connection,
    run_id: &str,
    scorer: &ScorerId,
    verdicts: &[(String, u32, Scored)],
) -> Result<()> {
    let tx = conn.transaction()?;
    let mut manifest = stored_manifest(&tx, run_id)?;
    {
        // Verdicts only, and only of answered samples: the response is the evidence a verdict is
        // made from, and an error keeps the verdict that says why there is no response.
        let mut update = tx.prepare(
            "UPDATE samples SET outcome = ?4, extracted = ?5, rule = ?6, metrics = ?7
             WHERE run_id = ?1 AND item_id = ?2 AND sample = ?3 AND status = 'ok'",
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
    }
    manifest.scorer = scorer.clone();
    tx.execute(
        "UPDATE runs SET manifest = ?2 WHERE id = ?1",
        params![run_id, to_json(&manifest)],
    )?;
    tx.commit()?;
    Ok(())
}

fn list_runs(conn: &Connection) -> Result<Vec<RunListing>> {
    let mut select = conn.prepare(
        "SELECT r.id, r.manifest, r.status, r.created_at, r.updated_at,
                (SELECT COUNT(*) FROM items i WHERE i.run_id = r.id),
                (SELECT COUNT(*) FROM samples s WHERE s.run_id = r.id AND s.status = 'ok'),
                (SELECT COUNT(*) FROM samples s WHERE s.run_id = r.id AND s.status = 'error'),
                (SELECT COUNT(*) FROM samples s WHERE s.run_id = r.id AND s.outcome = 'correct'),
                (SELECT COUNT(*) FROM samples s WHERE s.run_id = r.id AND s.outcome = 'generated')
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
            row.get::<_, i64>(9)? as u64,
        ))
    })?;
    let mut listings = Vec::new();
    for row in rows {
        let (
            id,
            manifest,
            status,
            created_at,
            updated_at,
            items,
            answered,
            errors,
            correct,
            generated,
        ) = row?;
        let manifest = parse_manifest(&manifest, &id)?;
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
            generated,
        });
    }
    Ok(listings)
}

fn resolve_run(conn: &Connection, selector: Option<&str>) -> Result<String> {
    let Some(selector) = selector else {
        return conn
            .query_row(
                "SELECT id FROM runs ORDER BY updated_at DESC, rowid DESC LIMIT 1",
                [],
                |row| row.get(0),
            )
            .optional()?
            .ok_or(Error::Store(StoreError::NoRuns));
    };
    let mut select = conn.prepare(
        "SELECT id FROM runs WHERE id = ?1 OR substr(id, 1, length(?1)) = ?1 ORDER BY id",
    )?;
    let matches = select
        .query_map([selector], |row| row.get::<_, String>(0))?
        .collect::<std::result::Result<Vec<_>, _>>()?;
    if matches.iter().any(|id| id == selector) {
        return Ok(selector.to_owned());
    }
    match matches.len() {
        0 => Err(StoreError::UnknownRun(selector.to_owned()).into()),
        1 => Ok(matches.into_iter().next().unwrap_or_default()),
        _ => Err(StoreError::AmbiguousRun {
            prefix: selector.to_owned(),
            matches,
        }
        .into()),
    }
}

fn load_run(conn: &Connection, run_id: &str) -> Result<StoredRun> {
    let (manifest, status): (String, String) = conn
        .query_row(
            "SELECT manifest, status FROM runs WHERE id = ?1",
            [run_id],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .optional()?
        .ok_or_else(|| StoreError::UnknownRun(run_id.to_owned()))?;
    let manifest = parse_manifest(&manifest, run_id)?;

    let mut select_items =
        conn.prepare("SELECT record FROM items WHERE run_id = ?1 ORDER BY position")?;
    let items = select_items
        .query_map([run_id], |row| row.get::<_, String>(0))?
        .map(|json| -> Result<ItemRecord> {
            serde_json::from_str(&json?).map_err(|source| corrupt("item", run_id, source).into())
        })
        .collect::<Result<Vec<_>>>()?;

    let mut select_samples = conn.prepare(
        "SELECT s.item_id, s.sample, s.completion, s.error, s.latency_ms, s.cached, s.request_sha256,
                s.outcome, s.extracted, s.rule, s.metrics, s.completed_at, s.images
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
            images: row.get(12)?,
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

fn cached_completion(conn: &Connection, key: &str) -> Result<Option<Completion>> {
    let found: Option<String> = conn
        .prepare_cached("SELECT completion FROM response_cache WHERE key = ?1")?
        .query_row([key], |row| row.get(0))
        .optional()?;
    // A cache row that no longer parses is treated as absent: the request is simply sent.
    Ok(found.and_then(|json| serde_json::from_str(&json).ok()))
}

/// [`StoreError::UnknownRun`] unless the store holds `run_id`.
fn require_run(conn: &Connection, run_id: &str) -> Result<()> {
    let exists: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM runs WHERE id = ?1)",
        [run_id],
        |row| row.get(0),
    )?;
    if exists {
        Ok(())
    } else {
        Err(StoreError::UnknownRun(run_id.to_owned()).into())
    }
}

/// The manifest stored for `run_id`; [`StoreError::UnknownRun`] when there is no such run.
fn stored_manifest(conn: &Connection, run_id: &str) -> Result<RunManifest> {
    let stored: String = conn
        .query_row("SELECT manifest FROM runs WHERE id = ?1", [run_id], |row| {
            row.get(0)
        })
        .optional()?
        .ok_or_else(|| StoreError::UnknownRun(run_id.to_owned()))?;
    Ok(parse_manifest(&stored, run_id)?)
}

fn parse_manifest(json: &str, run_id: &str) -> std::result::Result<RunManifest, StoreError> {
    serde_json::from_str(json).map_err(|source| corrupt("manifest", run_id, source))
}

fn corrupt(what: &'static str, run_id: &str, source: serde_json::Error) -> StoreError {
    StoreError::Corrupt {
        what,
        run: run_id.to_owned(),
        source,
    }
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
    images: Option<String>,
}

impl RawSample {
    fn into_record(self, run_id: &str) -> std::result::Result<SampleRecord, StoreError> {
        let completion = self
            .completion
            .map(|json| serde_json::from_str::<Completion>(&json))
            .transpose()
            .map_err(|source| corrupt("completion", run_id, source))?;
        let metrics = self
            .metrics
            .map(|json| serde_json::from_str(&json))
            .transpose()
            .map_err(|source| corrupt("metrics", run_id, source))?
            .unwrap_or_default();
        // Samples stored before image geometry was recorded (schema 1) have none.
        let images = self
            .images
            .map(|json| serde_json::from_str(&json))
            .transpose()
            .map_err(|source| corrupt("image geometry", run_id, source))?
            .unwrap_or_default();
        let outcome = Outcome::parse(&self.outcome).ok_or_else(|| {
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
            images,
        })
    }
}

/// Run ids are the first 8 hex digits of the identity, lengthened when that is taken.
fn unused_run_id(conn: &Connection, identity: &str) -> Result<String> {
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

fn to_json<T: serde::Serialize>(value: &T) -> String {
    // The stored types are plain data; serialising them cannot fail.
    serde_json::to_string(value).unwrap_or_default()
}

fn metrics_json(scored: &Scored) -> Option<String> {
    (!scored.metrics.is_empty()).then(|| to_json(&scored.metrics))
}
