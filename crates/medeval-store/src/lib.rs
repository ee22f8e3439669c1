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
//!
//! [`Store`] keeps all of it in one SQLite file and is the first backend. The `conformance`
//! module (cargo feature `conformance`) is the test suite every backend must pass, written once;
//! `tests/conformance.rs` runs it against SQLite.
//!
//! Errors are [`StoreError`]: the variants a caller can act on (an unknown run, an ambiguous
//! prefix, a store from a newer medeval, a file that is not a store) are the same for every
//! backend, and whatever the backend's own library reports is [`StoreError::Backend`], opaque, so
//! no backend's error type leaks into the callers' code.

#[cfg(feature = "conformance")]
pub mod conformance;
mod records;
mod run_store;
mod sqlite;
pub mod timestamp;

use std::collections::HashSet;
use std::path::PathBuf;

use medeval_core::ScorerId;

pub use records::{AttemptRecord, ItemRecord, RunListing, RunStatus, SampleRecord, StoredRun};
pub use run_store::{ResponseCache, RunStore, SampleSink};
pub use sqlite::{CacheReader, SCHEMA_VERSION, SampleWriter, Store};

/// Everything that can go wrong with a store, whichever backend holds it.
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
        "the store uses schema version {found}, but this medeval understands up to {supported}; upgrade medeval to read it (nothing was changed)"
    )]
    NewerSchema {
        /// Version found in the store.
        found: u32,
        /// Highest version this build understands.
        supported: u32,
    },
    /// The file (or database) is not a usable medeval store; the message names it.
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
}
