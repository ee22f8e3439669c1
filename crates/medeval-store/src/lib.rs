//! The run store: every run's manifest, items, requests, responses and scored samples, plus the
//! response cache.
//!
//! The store is what makes runs resumable and auditable. What the run engine needs from it is
//! the [`RunStore`] trait, whose documentation is the contract every backend keeps:
//!
//! - A sample is written once it is final (a response, or an error after the last retry), and
//!   counts as done only once committed. A killed process loses at most the samples that had not
//!   been committed yet; those are requested again on resume.
//! - A sample with a response is never overwritten; a sample that ended in error is replaced by a
//!   later write. So every item ends with exactly one stored sample per draw.
//! - Nothing secret is written: manifests record the *name* of the API-key variable, and requests
//!   are stored by digest, never with their headers.
//! - One worker per run: the process that begins a run holds it (the [`lock`] module) until it
//!   finishes it; another process is refused while the holder is alive.
//!
//! [`Store`] keeps all of it in one SQLite file and is the first backend. The `conformance`
//! module (cargo feature `conformance`) is the test suite every backend must pass, written once;
//! `tests/conformance.rs` runs it against SQLite.
//!
//! Errors are [`StoreError`]: the variants a caller can act on (an unknown run, an ambiguous
//! prefix, a store from a newer medeval, a file that is not a store or is damaged, a read-only
//! store, a run another process holds) are the same for every backend, each naming the store,
//! and whatever the backend's own library reports is [`StoreError::Backend`], opaque, so no
//! backend's error type leaks into the callers' code.

#[cfg(feature = "conformance")]
pub mod conformance;
pub mod lock;
mod records;
mod run_store;
mod sqlite;
pub mod timestamp;

use std::collections::HashSet;
use std::path::PathBuf;

use medeval_core::ScorerId;

pub use lock::{LockHolder, Staleness, TakenOver};
pub use records::{AttemptRecord, ItemRecord, RunListing, RunStatus, SampleRecord, StoredRun};
pub use run_store::{ResponseCache, RunStore, SampleSink};
pub use sqlite::{CacheReader, SCHEMA_VERSION, SampleWriter, Store};

/// Everything that can go wrong with a store, whichever backend holds it.
///
/// Every error about opening or reading a store names the store (`location`: a file for SQLite,
/// a database for a server) and says what happened in plain words, then what to do.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The backend's own machinery failed (SQLite reported an error, a connection dropped ...).
    ///
    /// Opaque on purpose: callers cannot act on a backend's error codes without depending on
    /// that backend, so they get its message and its chain of causes, and the store it concerns.
    #[error("store {location}: {source}")]
    Backend {
        /// The store concerned: a file for SQLite, a database for a server.
        location: String,
        /// What the backend reported.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The store file does not exist (for commands that only read).
    #[error("no store at {}; runs are written there by `medeval run --store {}`", .0.display(), .0.display())]
    Missing(PathBuf),
    /// The store was written by a newer medeval. It is refused untouched, because this build would
    /// misread (or damage) data laid out in a way it does not know.
    #[error(
        "store {location}: written by a newer medeval (schema {found}; this medeval reads schemas up to {supported}): upgrade medeval to read it (nothing was changed)"
    )]
    NewerSchema {
        /// The store concerned.
        location: String,
        /// Version found in the store.
        found: u32,
        /// Highest version this build understands.
        supported: u32,
    },
    /// The file (or database) is not a medeval store, or is damaged: refused untouched.
    #[error("store {location}: not a medeval store or corrupt: {reason}")]
    NotAStore {
        /// The store concerned.
        location: String,
        /// What is wrong with it, and what to do.
        reason: String,
    },
    /// The store cannot be written: the file, its folder or its file system is read-only, or it
    /// was opened for reading only.
    #[error("store {location}: read-only: {reason}")]
    ReadOnly {
        /// The store concerned.
        location: String,
        /// Why it cannot be written, and what to do.
        reason: String,
    },
    /// A stored value could not be read back: the store was damaged or edited (boxed: errors
    /// travel in every `Result` of the store, and this one is rare).
    #[error(
        "store {}: corrupt: the stored {} of run {} is unreadable ({}); the store was damaged or edited by hand, and other runs can still be read",
        .0.location, .0.what, .0.run, .0.detail
    )]
    Corrupt(Box<CorruptValue>),
    /// The backend cannot be used where it is (a file system without the locking it needs ...).
    #[error("store {location}: {reason}")]
    Unsupported {
        /// The store concerned.
        location: String,
        /// Why, and what to do.
        reason: String,
    },
    /// Another process is working on the run: two would request every sample twice.
    ///
    /// The message says how long ago the holder last refreshed its lock, as of when it is shown.
    #[error(
        "store {location}: run {run} is in use by {holder}, last heartbeat {} s ago. Wait for it to finish, or stop it (Ctrl-C in its terminal, or `kill {}` on {}) and run the command again; a holder that stops refreshing its lock for {} s, or whose process is gone from this machine, is taken over automatically. `--fresh` starts a separate run instead",
        .holder.silent_for(lock::now_unix_ms()).as_secs(), .holder.pid, .holder.host, lock::STALE_AFTER.as_secs()
    )]
    RunLocked {
        /// The store concerned.
        location: String,
        /// The run.
        run: String,
        /// Who holds it (boxed: errors travel in every `Result` of the store).
        holder: Box<LockHolder>,
    },
    /// This process no longer holds the run it was writing: another process took it over (after
    /// this one stopped refreshing its lock) or the lock was released. Nothing more is written.
    #[error(
        "store {location}: run {run} is no longer held by this process{}; nothing more was written to it. Run the command again to continue the run once no other process works on it",
        .holder.as_ref().map(|h| format!(" (it was taken over by {h})")).unwrap_or_default()
    )]
    LockLost {
        /// The store concerned.
        location: String,
        /// The run.
        run: String,
        /// Who holds it now, if anyone.
        holder: Option<Box<LockHolder>>,
    },
    /// No run matches a selector.
    #[error("no run {0:?} in the store (`medeval runs` lists them)")]
    UnknownRun(String),
    /// A selector matches several runs.
    #[error("run prefix {prefix:?} is ambiguous: it matches {}", .matches.join(", "))]
    AmbiguousRun {
        /// The prefix given.
        prefix: String,
        /// The runs it matches, sorted.
        matches: Vec<String>,
    },
    /// The store holds no runs at all.
    #[error("the store holds no runs yet")]
    NoRuns,
    /// The background writer is gone: its error was returned once already (by the write or
    /// finish that found it stopped), or it panicked.
    #[error("the store writer had stopped (after the error reported before this one, or a crash)")]
    WriterStopped,
}

/// A stored value that could not be read back ([`StoreError::Corrupt`]).
#[derive(Debug)]
pub struct CorruptValue {
    /// The store concerned.
    pub location: String,
    /// What was being read (a manifest, an item, a completion ...).
    pub what: &'static str,
    /// The run it belongs to.
    pub run: String,
    /// What is wrong with it.
    pub detail: String,
}

impl StoreError {
    /// Wraps an error of a backend's own library, naming the store it concerns, so backends
    /// outside this crate report failures the same way SQLite does.
    pub fn backend(
        location: impl std::fmt::Display,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        Self::Backend {
            location: location.to_string(),
            source: source.into(),
        }
    }
}

/// What [`RunStore::begin_run`] found: a new run, or an earlier one to continue.
#[derive(Debug, Clone, PartialEq)]
pub struct RunStart {
    /// The run id.
    pub run_id: String,
    /// Whether an earlier run with the same identity is being continued.
    pub resumed: bool,
    /// `(item id, draw)` pairs that already have a response and must not be requested again.
    pub answered: HashSet<(String, u32)>,
    /// The scorer the stored samples were scored by, when it differs from the manifest's:
    /// those samples need scoring again.
    pub stale_scorer: Option<ScorerId>,
    /// The lock of a process that had stopped working on the run and was broken to continue it,
    /// for the caller to report.
    pub took_over: Option<TakenOver>,
}
