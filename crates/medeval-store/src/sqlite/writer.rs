//! The sample writer: a thread that owns one connection and commits samples as they arrive.
//!
//! The sample upsert here is where the SQLite backend keeps the [`RunStore`](crate::RunStore)
//! contract's central promise: an answered sample is never overwritten. Each commit also checks,
//! in its own transaction, that the store still holds the run: a process whose run was taken
//! over (it stopped refreshing its lock) writes nothing more.
//!
//! When a commit fails (a full disk, an I/O error) the thread stops and its error is what the
//! next [`SampleWriter::write`] or [`SampleWriter::finish`] returns, naming the store: samples
//! committed before it are kept, the batch that failed is rolled back whole, and a later run
//! requests again whatever was not committed.

use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::mpsc::{self, Receiver, Sender};
use std::thread::JoinHandle;

use rusqlite::{Connection, TransactionBehavior, params};

use super::{Result, locks, metrics_json, to_json};
use crate::{SampleRecord, SampleSink, StoreError};

/// Most samples committed in one transaction; a batch is whatever has queued up, up to this.
const MAX_BATCH: usize = 256;

/// What the writer thread is asked to do.
// Nearly every message is a sample: boxing it would cost an allocation each for nothing.
#[allow(clippy::large_enum_variant)]
enum Message {
    /// Commit a sample.
    Sample(Write),
    /// Let the file grow by at most this many pages from now on (see
    /// [`SampleWriter::limit_growth`]).
    LimitGrowth(u64),
}

/// A sample, plus the cache entry to record with it.
struct Write {
    record: SampleRecord,
    cache: Option<CacheEntry>,
}

/// A response to remember under its request digest.
struct CacheEntry {
    key: String,
    model: String,
}

/// Writes samples of one run from any thread; the writes happen on a dedicated thread.
///
/// [`SampleWriter::write`] never blocks on the database: it queues the sample. The writer commits
/// whatever has queued up in one transaction, so a burst of completions costs one commit.
#[derive(Debug)]
pub struct SampleWriter {
    sender: Option<Sender<Message>>,
    /// The thread, until it is joined: by `finish`, or by the first `write` that finds it
    /// stopped (to report why).
    thread: Mutex<Option<JoinHandle<std::result::Result<u64, StoreError>>>>,
}

impl SampleWriter {
    pub(super) fn spawn(conn: Connection, path: PathBuf, run_id: String, token: String) -> Self {
        let (sender, receiver) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("medeval-store-writer".into())
            .spawn(move || {
                let run = Run {
                    id: &run_id,
                    token: &token,
                };
                write_loop(conn, &run, receiver).map_err(|e| e.at(&path))
            })
            .ok();
        Self {
            sender: Some(sender),
            thread: Mutex::new(thread),
        }
    }

    /// Queues a final sample. `cache_model` (the model name) asks for the response to be added to
    /// the response cache under the sample's request digest.
    pub fn write(
        &self,
        record: SampleRecord,
        cache_model: Option<&str>,
    ) -> std::result::Result<(), StoreError> {
        let cache = match (cache_model, &record.request_sha256, &record.completion) {
            (Some(model), Some(key), Some(_)) if !record.cached => Some(CacheEntry {
                key: key.clone(),
                model: model.to_owned(),
            }),
            _ => None,
        };
        self.send(Message::Sample(Write { record, cache }))
    }

    /// Caps the store's file at its current size plus `extra_pages` pages, for this writer's
    /// connection only (SQLite's `max_page_count`): a commit needing more fails as it would on
    /// a full disk, with SQLite's "database or disk is full". For tests of that failure, which
    /// need no small file system this way; applied after the samples queued before it.
    #[doc(hidden)]
    pub fn limit_growth(&self, extra_pages: u64) -> std::result::Result<(), StoreError> {
        self.send(Message::LimitGrowth(extra_pages))
    }

    /// Queues `message`; when the thread has stopped, its error.
    fn send(&self, message: Message) -> std::result::Result<(), StoreError> {
        let sent = self
            .sender
            .as_ref()
            .is_some_and(|sender| sender.send(message).is_ok());
        if sent {
            return Ok(());
        }
        // The thread only stops early on an error: report it, not the bare fact.
        match self.join_thread() {
            Some(Err(error)) => Err(error),
            _ => Err(StoreError::WriterStopped),
        }
    }

    /// Waits until every queued sample is committed; returns how many were written.
    pub fn finish(mut self) -> std::result::Result<u64, StoreError> {
        self.join()
    }

    fn join(&mut self) -> std::result::Result<u64, StoreError> {
        drop(self.sender.take());
        self.join_thread().unwrap_or(Err(StoreError::WriterStopped))
    }

    /// Joins the thread unless that was done already; its result, or `WriterStopped` if it
    /// panicked.
    fn join_thread(&self) -> Option<std::result::Result<u64, StoreError>> {
        let thread = self
            .thread
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take()?;
        Some(thread.join().unwrap_or(Err(StoreError::WriterStopped)))
    }
}

impl SampleSink for SampleWriter {
    fn write(
        &self,
        record: SampleRecord,
        cache_model: Option<&str>,
    ) -> std::result::Result<(), StoreError> {
        SampleWriter::write(self, record, cache_model)
    }

    fn finish(self: Box<Self>) -> std::result::Result<u64, StoreError> {
        SampleWriter::finish(*self)
    }
}

impl Drop for SampleWriter {
    fn drop(&mut self) {
        let running = self.thread.get_mut().map_or_else(
            |poisoned| poisoned.get_ref().is_some(),
            |thread| thread.is_some(),
        );
        if running {
            // Flush what is queued even when the caller bailed out early; its error, if any, was
            // the caller's to collect through `finish`.
            let _ = self.join();
        }
    }
}

/// The run a writer commits to, and the lock token its store holds it by.
struct Run<'a> {
    id: &'a str,
    token: &'a str,
}

fn write_loop(mut conn: Connection, run: &Run<'_>, receiver: Receiver<Message>) -> Result<u64> {
    let mut written = 0u64;
    let mut batch = Vec::new();
    while let Ok(first) = receiver.recv() {
        let mut next = Some(first);
        while let Some(message) = next {
            match message {
                Message::Sample(write) => batch.push(write),
                Message::LimitGrowth(extra_pages) => {
                    written += commit(&mut conn, run, &mut batch)?;
                    limit_growth(&conn, extra_pages)?;
                }
            }
            next = if batch.len() < MAX_BATCH {
                receiver.try_recv().ok()
            } else {
                None
            };
        }
        written += commit(&mut conn, run, &mut batch)?;
    }
    Ok(written)
}

/// Commits `batch` in one transaction, if the store still holds the run, and empties it; how
/// many samples it held.
fn commit(conn: &mut Connection, run: &Run<'_>, batch: &mut Vec<Write>) -> Result<u64> {
    if batch.is_empty() {
        return Ok(0);
    }
    // Immediate: the lock is checked under SQLite's write lock, so no take-over can come
    // between the check and the commit.
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    locks::require_held(&tx, run.id, run.token)?;
    for write in batch.iter() {
        insert_sample(&tx, run.id, write)?;
    }
    tx.commit()?;
    let n = batch.len() as u64;
    batch.clear();
    Ok(n)
}

fn limit_growth(conn: &Connection, extra_pages: u64) -> Result<()> {
    let pages: i64 = conn.query_row("PRAGMA page_count", [], |row| row.get(0))?;
    let extra_pages = i64::try_from(extra_pages).unwrap_or(i64::MAX);
    // The pragma answers with the limit it set.
    let _: i64 = conn.query_row(
        &format!(
            "PRAGMA max_page_count = {}",
            pages.saturating_add(extra_pages)
        ),
        [],
        |row| row.get(0),
    )?;
    Ok(())
}

fn insert_sample(conn: &Connection, run_id: &str, write: &Write) -> Result<()> {
    let record = &write.record;
    let status = if record.is_answered() { "ok" } else { "error" };
    let usage = record.completion.as_ref().and_then(|c| c.usage);
    // The contract's "an answered sample is never overwritten": a row with a response is final
    // (the `WHERE` below leaves it as it is, whether the later write is an error or another
    // answer); a row that ended in error is replaced by whatever comes next.
    conn.prepare_cached(
        "INSERT INTO samples (run_id, item_id, sample, status, completion, error, latency_ms, attempts, cached,
                              request_sha256, prompt_tokens, completion_tokens, outcome, extracted, rule, metrics, completed_at,
                              images)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)
         ON CONFLICT (run_id, item_id, sample) DO UPDATE SET
             status = excluded.status, completion = excluded.completion, error = excluded.error,
             latency_ms = excluded.latency_ms, attempts = samples.attempts + excluded.attempts,
             cached = excluded.cached, request_sha256 = excluded.request_sha256,
             prompt_tokens = excluded.prompt_tokens, completion_tokens = excluded.completion_tokens,
             outcome = excluded.outcome, extracted = excluded.extracted, rule = excluded.rule,
             metrics = excluded.metrics, completed_at = excluded.completed_at,
             images = excluded.images
         WHERE samples.status = 'error'",
    )?
    .execute(params![
        run_id,
        record.item_id,
        record.sample,
        status,
        record.completion.as_ref().map(to_json),
        record.error,
        record.latency_ms,
        record.attempts.len() as i64,
        record.cached,
        record.request_sha256,
        usage.map(|u| u.prompt_tokens as i64),
        usage.map(|u| u.completion_tokens as i64),
        record.scored.outcome.as_str(),
        record.scored.extracted,
        record.scored.rule,
        metrics_json(&record.scored),
        record.completed_at,
        (!record.images.is_empty()).then(|| to_json(&record.images)),
    ])?;
    let mut insert_attempt = conn.prepare_cached(
        "INSERT INTO attempts (run_id, item_id, sample, attempt, endpoint, started_at, latency_ms, http_status, error)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?;
    for attempt in &record.attempts {
        insert_attempt.execute(params![
            run_id,
            record.item_id,
            record.sample,
            attempt.attempt,
            attempt.endpoint,
            attempt.started_at,
            attempt.latency_ms,
            attempt.http_status,
            attempt.error,
        ])?;
    }
    if let (Some(cache), Some(completion)) = (&write.cache, &record.completion) {
        conn.prepare_cached(
            "INSERT OR IGNORE INTO response_cache (key, model, completion, created_at) VALUES (?1, ?2, ?3, ?4)",
        )?
        .execute(params![cache.key, cache.model, to_json(completion), record.completed_at])?;
    }
    Ok(())
}
