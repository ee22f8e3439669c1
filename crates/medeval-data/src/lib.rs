//! Readers that turn benchmark files into [`medeval_core::Item`]s.
//!
//! Two ways in:
//!
//! - the native JSONL item format ([`read_items`]), medeval's own;
//! - benchmark cards ([`card`]): declarative descriptions of the layouts benchmarks are
//!   distributed in (Hugging Face parquet shards, JSON/JSONL with image folders or zips, CSV,
//!   VLMEvalKit TSV), read through [`readers`] into items, with integrity checks (files, columns,
//!   row counts, SHA-256 of every file).
//!
//! Every reader validates as it goes and reports problems as a [`DataError`] naming the file,
//! line (or row) and field, so that a bad file fails before any model is called.

mod archive;
pub mod card;
pub mod containment;
mod error;
mod glob;
mod images;
mod json_lines;
pub mod jsonl;
pub mod predictions;
pub mod readers;
pub mod record;
pub mod scored;

pub use card::{
    BenchError, BenchSpec, Card, CardOrigin, CheckReport, DataLocation, Loaded, RowCountPolicy,
    SkippedRows, Verified, all_cards, builtin_cards, check, check_global_selections, find_card,
    load, load_within, verify, verify_within,
};
pub use containment::FileRoots;
pub use error::{DataError, Location, MAX_LISTED_PROBLEMS, Unit};
pub use jsonl::{ItemFile, parse_items_str, read_items, read_items_within};
pub use predictions::{Prediction, read_predictions};
pub use readers::Layout;
pub use scored::{ScoredFile, ScoredSample, read_scored_samples};
