//! Readers that turn benchmark files into [`medeval_core::Item`]s.
//!
//! Every reader validates as it goes and reports problems as a [`DataError`] naming the file,
//! line (or row) and field, so that a bad file fails before any model is called.

mod error;
pub mod jsonl;
pub mod predictions;
pub mod scored;

pub use error::{DataError, Location};
pub use jsonl::{ItemFile, parse_items_str, read_items};
pub use predictions::{Prediction, read_predictions};
pub use scored::{ScoredFile, ScoredSample, read_scored_samples};
