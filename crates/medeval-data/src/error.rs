//! Errors that say where the problem is: file, line (or row) and field.

use std::fmt;
use std::path::{Path, PathBuf};

/// A place in an input file, as precise as the reader can make it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The file.
    pub file: PathBuf,
    /// One-based line (JSONL) or data row (tables), when the problem is inside one.
    pub line: Option<usize>,
    /// The field or column, when the problem is in one.
    pub field: Option<String>,
}

impl Location {
    /// The whole file.
    pub fn file(file: &Path) -> Self {
        Self {
            file: file.to_path_buf(),
            line: None,
            field: None,
        }
    }

    /// One line of the file.
    pub fn line(file: &Path, line: usize) -> Self {
        Self {
            line: Some(line),
            ..Self::file(file)
        }
    }

    /// One field on one line.
    pub fn field(file: &Path, line: usize, field: impl Into<String>) -> Self {
        Self {
            field: Some(field.into()),
            ..Self::line(file, line)
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some(field) = &self.field {
            write!(f, ": field `{field}`")?;
        }
        Ok(())
    }
}

/// Everything that can go wrong while reading benchmark data.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// The file could not be opened or read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A line is not valid JSON.
    #[error("{location}: not valid JSON: {message}")]
    Json {
        /// Where.
        location: Location,
        /// What the JSON parser said.
        message: String,
    },
    /// A value is present but wrong (type, content, reference).
    #[error("{location}: {message}")]
    Invalid {
        /// Where.
        location: Location,
        /// What is wrong and, where possible, what was expected.
        message: String,
    },
    /// Two items share an id.
    #[error("{location}: duplicate id {id:?} (first seen on line {first_line})")]
    DuplicateId {
        /// Where the second occurrence is.
        location: Location,
        /// The repeated id.
        id: String,
        /// Line of the first occurrence.
        first_line: usize,
    },
    /// The file holds no items.
    #[error("{}: no items (the file is empty or holds only blank lines)", path.display())]
    Empty {
        /// The file.
        path: PathBuf,
    },
}

impl DataError {
    /// An [`DataError::Invalid`] at `location`.
    pub fn invalid(location: Location, message: impl Into<String>) -> Self {
        Self::Invalid {
            location,
            message: message.into(),
        }
    }

    /// An [`DataError::Io`] for `path`.
    pub fn io(path: &Path, source: std::io::Error) -> Self {
        Self::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}
