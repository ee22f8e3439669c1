//! Where the run engine meets the store: the [`RunStore`] trait and the two handles it hands out.
//!
//! The engine (`medeval-run`) needs a handful of operations, and those operations carry the
//! guarantees that make runs resumable and auditable. Writing them down as a trait, with the
//! guarantees as its contract, lets another backend (a PostgreSQL server shared by a team, say)
//! take SQLite's place without the engine changing, and lets one test suite
//! (`medeval_store::conformance`, behind the `conformance` feature) hold every backend to the same contract.
//!
//! The trait is object safe: a caller that picks the backend at run time (from a URL) can hold a
//! `Box<dyn RunStore>`. The handles are boxed trait objects for the same reason; a run opens one
//! of each, so the allocation costs nothing measurable.

use medeval_core::{Completion, Item, RunManifest, Scored, ScorerId};

use crate::{LockHolder, RunListing, RunStart, RunStatus, SampleRecord, StoreError, StoredRun};

/// A store of runs: what the run engine and the reporting commands need, whatever the backend.
///
/// # Contract
///
/// Every backend keeps these guarantees; `medeval_store::conformance` checks them.
///
/// - **One sample per draw.** A run stores at most one sample per `(item, draw)`, however often
///   one is written.
/// - **An answered sample is never overwritten.** Once a sample with a response is committed, no
///   later write for the same `(run, item, draw)` changes it: not an error, not another answer.
///   A sample that ended in error is replaced by the next write for it. This is what makes a
///   retried or duplicated request harmless.
/// - **Committed means done.** A sample counts as answered (in [`RunStart::answered`],
///   [`RunStore::load_run`], [`RunStore::list_runs`]) only once it is committed, and a committed
///   sample survives the process dying at any moment. So a crashed run, continued, requests
///   exactly the draws that have no committed response.
/// - **Responses are evidence.** [`RunStore::rescore`] changes verdicts only, never a stored
///   response.
/// - **Refuse rather than misread.** A store written by a newer schema is refused with
///   [`StoreError::NewerSchema`] and left exactly as it was; a foreign file or database is
///   refused with [`StoreError::Unsupported`], untouched.
/// - **No secrets.** Nothing passed here holds one; a backend must not add any (connection
///   passwords included).
/// - **One worker per run.** [`RunStore::begin_run`] takes the run for this store (a
///   [`LockHolder`]: process, host, since when, heartbeat), in the same step that picks the run,
///   and the store refreshes the heartbeat every [`HEARTBEAT_EVERY`](crate::lock::HEARTBEAT_EVERY)
///   while it holds the run. While another holder counts as alive
///   ([`LockHolder::staleness`]), `begin_run` is refused with [`StoreError::RunLocked`] and
///   changes nothing; a stale holder's lock is broken, once however many processes try at the
///   same moment, and reported in [`RunStart::took_over`]. [`RunStore::finish_run`] and dropping
///   the store release it. A sink commits only while its store holds the run, and a store that
///   lost a run ([`StoreError::LockLost`]) neither writes its samples nor changes its status.
///
/// Run ids are the backend's choice, unique within the store, and never reused.
pub trait RunStore: Send {
    /// Starts (or continues) the run described by `manifest` over `items`.
    ///
    /// Without `fresh`, the newest run whose manifest has the same
    /// [`identity`](RunManifest::identity) is continued (`resumed`): `answered` lists exactly the
    /// draws that have a committed response, the run's manifest becomes this one (keeping the
    /// first invocation's `started_at`, clearing `finished_at`), its status becomes
    /// [`RunStatus::Running`], and items it did not have yet are added after its others.
    ///
    /// `stale_scorer` names the scorer the run's verdicts were made by when that
    /// differs from the manifest's. The stored manifest keeps that old version until
    /// [`RunStore::rescore`] records the new one, so a process that dies in between leaves a run
    /// that is reported stale again, never one labelled with rules its verdicts were not made
    /// by. The caller rescores before writing samples.
    ///
    /// With `fresh`, or when no such run exists, a new run is created with no samples.
    ///
    /// The run is taken for this store (see "One worker per run" above): a run another live
    /// process holds is [`StoreError::RunLocked`], with nothing changed; a run this store holds
    /// already is simply continued.
    fn begin_run(
        &mut self,
        manifest: &RunManifest,
        items: &[Item],
        fresh: bool,
    ) -> Result<RunStart, StoreError>;

    /// Records the end of an invocation: the run's status, and when it finished
    /// (`manifest.finished_at`), and releases the run. An unknown run is
    /// [`StoreError::UnknownRun`]; a run another process took over from this store is
    /// [`StoreError::LockLost`], its status left to that process.
    fn finish_run(&mut self, run_id: &str, status: RunStatus) -> Result<(), StoreError>;

    /// A sink for the samples of `run_id`, usable from any thread while this store is used for
    /// other things. An unknown run is [`StoreError::UnknownRun`]; a run this store does not
    /// hold is [`StoreError::LockLost`], and so is every commit after another process took the
    /// run over.
    fn writer(&self, run_id: &str) -> Result<Box<dyn SampleSink>, StoreError>;

    /// A reader of the response cache, usable from another thread while a sink writes.
    fn cache_reader(&self) -> Result<Box<dyn ResponseCache>, StoreError>;

    /// Replaces the verdicts (outcome, extracted answer, rule, metrics) of stored samples of
    /// `run_id`, after the scorer changed, and records `scorer` in its
    /// manifest, all at once or not at all.
    ///
    /// Only samples with a response are rescored: a stored response never changes, and a sample
    /// that ended in error keeps its error verdict. Verdicts for samples the run does not hold
    /// are ignored. An unknown run is [`StoreError::UnknownRun`]; a run another process took
    /// over from this store is [`StoreError::LockLost`].
    fn rescore(
        &mut self,
        run_id: &str,
        scorer: &ScorerId,
        verdicts: &[(String, u32, Scored)],
    ) -> Result<(), StoreError>;

    /// Every run, newest first, with its counts.
    fn list_runs(&self) -> Result<Vec<RunListing>, StoreError>;

    /// Resolves a run selector: a full id (an exact match wins), a prefix matching exactly one
    /// id, or `None` for the most recently updated run.
    ///
    /// No match is [`StoreError::UnknownRun`], several are [`StoreError::AmbiguousRun`] (sorted),
    /// and `None` on an empty store is [`StoreError::NoRuns`].
    fn resolve_run(&self, selector: Option<&str>) -> Result<String, StoreError>;

    /// Loads a run with its latest manifest, its items in the order first recorded, and its
    /// samples in item order, then draw order. Samples come back as written (for errors, as
    /// last written), except `attempts`, which stay in the attempt log and come back empty.
    /// An unknown run is [`StoreError::UnknownRun`].
    fn load_run(&self, run_id: &str) -> Result<StoredRun, StoreError>;

    /// Deletes a run with its invocations, items, samples and attempt log, all at once or not
    /// at all; other runs and the response cache (shared by runs) are untouched. An unknown run
    /// is [`StoreError::UnknownRun`], and a run another live process holds is
    /// [`StoreError::RunLocked`]. Whether a run no one holds may be deleted (it is marked
    /// running, say) is the caller's decision.
    fn delete_run(&mut self, run_id: &str) -> Result<(), StoreError>;

    /// Who holds `run_id`, alive or not (the caller judges with [`LockHolder::staleness`]);
    /// `None` when no one does. An unknown run is [`StoreError::UnknownRun`].
    fn run_lock(&self, run_id: &str) -> Result<Option<LockHolder>, StoreError>;
}

/// Takes the final samples of one run and commits them, off the caller's thread.
///
/// The engine hands each sample over the moment it is final and must not wait for a commit
/// there (a request slot would sit idle), so a sink accepts without blocking and commits on its
/// own, batching whatever has queued up.
///
/// Guarantees, besides the [`RunStore`] contract for what is stored:
///
/// - [`finish`](SampleSink::finish) returns only once every accepted sample is committed (or with
///   the error that stopped the commits).
/// - Dropping a sink without `finish` still commits what it had accepted, as far as it can, so an
///   engine that bails out early loses nothing it had handed over.
pub trait SampleSink: Send + Sync {
    /// Accepts a final sample for committing.
    ///
    /// `cache_model` (the model name) asks for the response to be added to the response cache
    /// under the sample's request digest; it is ignored for samples without a response or digest
    /// and for samples that were themselves served from the cache. The first response cached
    /// under a digest stays.
    ///
    /// An error means the sink has stopped (its `finish` tells why); nothing more is accepted.
    fn write(&self, record: SampleRecord, cache_model: Option<&str>) -> Result<(), StoreError>;

    /// Waits until every accepted sample is committed; returns how many were written.
    fn finish(self: Box<Self>) -> Result<u64, StoreError>;
}

/// The response cache: earlier responses to byte-identical, reproducible requests.
///
/// A separate handle so the engine's request tasks can consult the cache while a [`SampleSink`]
/// writes; the engine serialises its calls, so it need not be `Sync`.
pub trait ResponseCache: Send {
    /// The cached response for a request digest, if the cache holds one.
    fn get(&self, key: &str) -> Result<Option<Completion>, StoreError>;

    /// Adds a response to a request that is not a sample of a run (a judge's verdict on a
    /// sample), committed before this returns, so a judge is never asked the same thing twice
    /// even when the process dies right after. The first response cached under a digest stays.
    fn put(&self, key: &str, model: &str, completion: &Completion) -> Result<(), StoreError>;
}
