//! medeval as a library: the one API boundary the command-line tool, the viewer and the Python
//! package share.
//!
//! A front end maps its own input (flags, a web form, Python arguments) to the typed values
//! here, and prints or shows what comes back; everything in between lives here, once:
//!
//! - [`agreement`]: how far a judged run agrees with human labels, or runs with each other.
//! - [`cards`]: benchmark cards and downloaded folders worded for a reader (listing, check
//!   report, the line a verified benchmark prints).
//! - [`fairness`]: whether a run is equally good for every patient group (`medeval
//!   fairness`): per-group accuracy, gap, ratio, worst group and a test of equal accuracy.
//! - [`plan`]: where items come from: a native items file ([`plan::items_file`]) or benchmark
//!   cards, resolved, verified and loaded ([`BenchmarkPlan`]), expanded into one run per probe
//!   variant ([`plan::runs_for`]).
//! - [`spec`]: what a run is ([`RunSpec`], built by [`RunSpecBuilder`]): the manifest that
//!   identifies it, checked before anything is contacted or written.
//! - [`session`]: one runtime, one client per endpoint set and the store for a whole command
//!   ([`Session`]).
//! - [`runs`]: runs named by a user (a store run or a scored-sample file), grouped by benchmark
//!   for comparisons and rankings.
//! - [`power`]: the power plan for a comparison on items not yet run (`run --plan`).
//! - [`render`]: a stored run's summary worded for a reader (header, errors by reason,
//!   tables).
//! - [`summary`]: a stored run summarised ([`RunSummary`], the `show --json` schema), and the
//!   one conversion of a stored run to the `medeval_report::ScoredRun` every report reads
//!   ([`scored_run`]), which says whether the run is complete.
//!
//! The leaf crates (`medeval-core`, `-data`, `-models`, `-score`, `-store`, `-run`, `-report`,
//! `-stats`, `-probe`) stay usable on their own; this crate composes them.

pub mod agreement;
pub mod cards;
pub mod fairness;
pub mod plan;
pub mod power;
pub mod render;
pub mod runs;
pub mod session;
pub mod spec;
pub mod summary;

pub use plan::{BenchmarkPlan, BenchmarkRequest, PlanError, Planned, PlannedBenchmark};
pub use session::{Session, SessionError};
pub use spec::{
    Connection, EndpointModel, ItemSet, JudgeSettings, ModelSpec, RunParts, RunSpec,
    RunSpecBuilder, Sampling, SpecError,
};
pub use summary::{ErrorReason, RunSummary, scored_run, summarize_stored};
