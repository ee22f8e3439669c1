//! The sample writer: a thread that owns one connection and commits samples as they arrive.
//!
//! The sample upsert here is where the SQLite backend keeps the [`RunStore`](crate::RunStore)
//! contract's central promise: an answered sample is never overwritten.

use std::path::PathBuf;
use std::sync::mpsc::{self, Receiver, Sender};
use std::thread::JoinHandle;

use rusqlite::{Connection, params};

use super::{Result, metrics_json, to_json};
use crate::{SampleRecord, SampleSink, StoreError};

/// Most samples committed in one transaction; a batch is whatever has queued up, up to this.
const MAX_BATCH: usize = 256;

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
    sender: Option<Sender<Write>>,
    thread: Option<JoinHandle<std::result::Result<u64, StoreError>>>,
}

impl SampleWriter {
    pub(super) fn spawn(conn: Connection, path: PathBuf, run_id: String) -> Self {
        let (sender, receiver) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("medeval-store-writer".into())
            .spawn(move || write_loop(conn, &run_id, receiver).map_err(|e| e.at(&path)))
            .ok();
        Self {
            sender: Some(sender),
            thread,
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
        self.sender
            .as_ref()
            .ok_or(StoreError::WriterStopped)?
            .send(Write { record, cache })
            .map_err(|_| StoreError::WriterStopped)
    }

    /// Waits until every queued sample is committed; returns how many were written.
    pub fn finish(mut self) -> std::result::Result<u64, StoreError> {
        self.join()
    }

    fn join(&mut self) -> std::result::Result<u64, StoreError> {
        drop(self.sender.take());
        match self.thread.take() {
            Some(thread) => thread.join().map_err(|_| StoreError::WriterStopped)?,
            None => Err(StoreError::WriterStopped),
        }
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
        if self.thread.is_some() {
            // Flush what is queued even when the caller bailed out early; its error, if any, was
            // the caller's to collect through `finish`.
            let _ = self.join();
        }
    }
}

fn write_loop(mut conn: Connection, run_id: &str, receiver: Receiver<Write>) -> Result<u64> {
    let mut written = 0u64;
    while let Ok(first) = receiver.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match receiver.try_recv() {
                Ok(next) => batch.push(next),
                Err(_) => break,
            }
        }
        let tx = conn.transaction()?;
        for write in &batch {
            insert_sample(&tx, run_id, write)?;
        }
        tx.commit()?;
        written += batch.len() as u64;
    }
    Ok(written)
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
