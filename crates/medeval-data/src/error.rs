//! Errors that say where the problem is: file, line (or row, or record) and field.

use std::fmt;
use std::path::{Path, PathBuf};

/// What the number in a [`Location`] counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Unit {
    /// A line of a text file (JSON Lines): shown as `file:N`.
    #[default]
    Line,
    /// A data row of a table (parquet, CSV, TSV), one-based, header excluded: `file: row N`.
    Row,
    /// An element of a JSON array or object: `file: record N`.
    Record,
}

/// A place in an input file, as precise as the reader can make it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The file.
    pub file: PathBuf,
    /// One-based line, data row or record, when the problem is inside one.
    pub line: Option<usize>,
    /// The field or column, when the problem is in one.
    pub field: Option<String>,
    /// What `line` counts.
    pub unit: Unit,
}

impl Location {
    /// The whole file.
    pub fn file(file: &Path) -> Self {
        Self {
            file: file.to_path_buf(),
            line: None,
            field: None,
            unit: Unit::Line,
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

    /// One data row (or record) of a table-like file, counted in `unit`.
    pub fn row(file: &Path, unit: Unit, row: usize) -> Self {
        Self {
            unit,
            ..Self::line(file, row)
        }
    }

    /// The same place, narrowed to one field or column.
    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        match (self.line, self.unit) {
            (Some(line), Unit::Line) => write!(f, ":{line}")?,
            (Some(row), Unit::Row) => write!(f, ": row {row}")?,
            (Some(record), Unit::Record) => write!(f, ": record {record}")?,
            (None, _) => {}
        }
        if let Some(field) = &self.field {
            let noun = match self.unit {
                Unit::Row => "column",
                Unit::Line | Unit::Record => "field",
            };
            write!(f, ": {noun} `{field}`")?;
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
    /// A table lacks columns the benchmark card needs: usually the folder holds a different
    /// benchmark, or a different release of this one.
    #[error(
        "{}: missing {} {} (the file has {}); this does not look like {benchmark}'s {layout} layout",
        path.display(),
        plural(missing.len(), "column", "columns"),
        quoted_list(missing),
        quoted_list(found),
    )]
    MissingColumns {
        /// The file.
        path: PathBuf,
        /// The columns the card needs that the file lacks.
        missing: Vec<String>,
        /// The columns the file has.
        found: Vec<String>,
        /// The benchmark the card describes.
        benchmark: String,
        /// The layout the card expects.
        layout: String,
    },
    /// A file is not valid in its format (a truncated parquet file, a TSV with a broken quote).
    #[error("{location}: {message}")]
    Format {
        /// Where.
        location: Location,
        /// What the format reader said.
        message: String,
    },
    /// Several lines of one file are wrong. They are reported together so that one check shows
    /// every fix to make, instead of one fix per run; each listed problem reads exactly as it
    /// would on its own.
    #[error("{}", problem_list(path, listed, *unlisted))]
    Problems {
        /// The file.
        path: PathBuf,
        /// The first [`MAX_LISTED_PROBLEMS`] problems, in file order.
        listed: Vec<DataError>,
        /// How many problems were found beyond those listed.
        unlisted: usize,
    },
}

/// How many problems one error lists: enough to show the pattern of a systematically wrong file
/// (the same field missing on every line) without burying the terminal.
pub const MAX_LISTED_PROBLEMS: usize = 20;

/// The text of [`DataError::Problems`]: a heading with the count, then one problem per indented
/// line, then how many were left out.
fn problem_list(path: &Path, listed: &[DataError], unlisted: usize) -> String {
    let total = listed.len() + unlisted;
    let mut text = format!("{}: {total} problems", path.display());
    if unlisted > 0 {
        text.push_str(&format!(", the first {} listed", listed.len()));
    }
    text.push(':');
    for problem in listed {
        text.push_str(&format!("\n  {problem}"));
    }
    if unlisted > 0 {
        text.push_str(&format!(
            "\n  ... and {unlisted} more {}",
            plural(unlisted, "problem", "problems")
        ));
    }
    text
}

/// Problems found while reading one file, gathered so that a reader can go on past a bad line
/// and report them all at once. Only the first [`MAX_LISTED_PROBLEMS`] are kept; the rest are
/// counted, so a file that is wrong on every line costs no memory per line.
#[derive(Debug)]
pub(crate) struct ProblemList {
    path: PathBuf,
    listed: Vec<DataError>,
    unlisted: usize,
}

impl ProblemList {
    /// No problems yet in `path`.
    pub(crate) fn new(path: &Path) -> Self {
        Self {
            path: path.to_path_buf(),
            listed: Vec::new(),
            unlisted: 0,
        }
    }

    /// Records one more problem, in file order.
    pub(crate) fn push(&mut self, problem: DataError) {
        if self.listed.len() < MAX_LISTED_PROBLEMS {
            self.listed.push(problem);
        } else {
            self.unlisted += 1;
        }
    }

    /// `Ok` when nothing was found; one problem is returned as it is, so that a file with a single
    /// mistake reads the same as when readers stopped at the first one.
    pub(crate) fn into_result(self) -> Result<(), DataError> {
        if self.listed.len() + self.unlisted <= 1 {
            return match self.listed.into_iter().next() {
                Some(only) => Err(only),
                None => Ok(()),
            };
        }
        Err(self.into_error())
    }

    /// The problems so far followed by `last`, which stopped reading (a failed read, a line over
    /// the size limit): alone when it is the only one, otherwise at the end of the list.
    pub(crate) fn ending_with(mut self, last: DataError) -> DataError {
        if self.listed.is_empty() {
            return last;
        }
        self.push(last);
        self.into_error()
    }

    fn into_error(self) -> DataError {
        DataError::Problems {
            path: self.path,
            listed: self.listed,
            unlisted: self.unlisted,
        }
    }
}

fn plural(n: usize, one: &'static str, many: &'static str) -> &'static str {
    if n == 1 { one } else { many }
}

fn quoted_list(names: &[String]) -> String {
    const SHOWN: usize = 12;
    if names.is_empty() {
        return "no columns".to_owned();
    }
    let mut listed: Vec<String> = names.iter().take(SHOWN).map(|n| format!("`{n}`")).collect();
    if names.len() > SHOWN {
        listed.push(format!("and {} more", names.len() - SHOWN));
    }
    listed.join(", ")
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

    /// A [`DataError::Format`] at `location`.
    pub fn format(location: Location, message: impl Into<String>) -> Self {
        Self::Format {
            location,
            message: message.into(),
        }
    }
}
