//! The one error type of the crate: every problem names the file and the place in it.

use std::path::PathBuf;

/// Why a detection or FROC evaluation could not run. Every variant names the file, and where
/// it can, the row or the record and the field, so the user can fix the input directly.
#[derive(Debug, thiserror::Error)]
pub enum DetectError {
    /// A file could not be opened or read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// A JSON file is not valid JSON, or not shaped as the format requires.
    #[error("{}: {message}", path.display())]
    Json {
        /// The file.
        path: PathBuf,
        /// What is wrong, with the line and column serde reported.
        message: String,
    },
    /// One record (a JSON object or a CSV row) has a missing or unusable field.
    #[error("{}: {place}: field `{field}` {problem}", path.display())]
    Field {
        /// The file.
        path: PathBuf,
        /// Where in the file: `row 12` (CSV, counting the header as row 1) or
        /// `annotations[3]` (JSON).
        place: String,
        /// The field's name.
        field: String,
        /// What is wrong and what to do about it.
        problem: String,
    },
    /// A CSV file lacks a column the format needs.
    #[error("{}: no column `{column}` in the header ({found}); {hint}", path.display())]
    MissingColumn {
        /// The file.
        path: PathBuf,
        /// The column that is missing.
        column: String,
        /// The columns the header has.
        found: String,
        /// What the format expects.
        hint: String,
    },
    /// A CSV file could not be parsed (quoting, encoding, ragged rows).
    #[error("{}: row {row}: {message}", path.display())]
    Csv {
        /// The file.
        path: PathBuf,
        /// The row (the header is row 1), or 0 when the reader could not tell.
        row: u64,
        /// What the CSV reader said.
        message: String,
    },
    /// The inputs are well formed but cannot be evaluated together (no ground truth at all,
    /// nothing to evaluate).
    #[error("{0}")]
    Unusable(String),
}

/// The crate's result type.
pub type Result<T> = std::result::Result<T, DetectError>;
