//! Readers for the layouts benchmarks are distributed in, each streaming [`Record`]s to a sink.
//!
//! | layout | files | notes |
//! |---|---|---|
//! | `parquet` | Hugging Face shards (`data/test-*.parquet`) | row group by row group; image columns are `{bytes, path}` structs |
//! | `json` | a JSON array of objects, or an object of objects keyed by id; or either under one top-level key (`records`) | SLAKE, OmniMedVQA, PubMedQA, R2Gen's `annotation.json` |
//! | `jsonl` | one JSON object per line | MedXpertQA, MedQA |
//! | `csv` | a header row, then rows | PMC-VQA |
//! | `vlmevalkit-tsv` | VLMEvalKit's TSV | base64 images, shared by index reference, multi-image lists; images stay on disk until sent |
//!
//! A reader checks the columns the card needs before the first row (a folder holding another
//! benchmark fails with the columns it does have), then hands over one record at a time, so a
//! multi-gigabyte file is never held whole.

mod csv;
mod json;
mod parquet;
mod tsv;

use std::path::Path;
use std::sync::Arc;

use crate::error::DataError;
use crate::record::Record;

/// The upstream layouts a card can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Layout {
    /// Apache Parquet (Hugging Face datasets).
    Parquet,
    /// A JSON document: an array of objects, or an object of objects keyed by id.
    Json,
    /// JSON Lines.
    Jsonl,
    /// Comma-separated values with a header row.
    Csv,
    /// VLMEvalKit's tab-separated benchmark files.
    VlmevalkitTsv,
}

impl Layout {
    /// The name used in cards and manifests.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Parquet => "parquet",
            Self::Json => "json",
            Self::Jsonl => "jsonl",
            Self::Csv => "csv",
            Self::VlmevalkitTsv => "vlmevalkit-tsv",
        }
    }
}

/// What a reader needs to know about the card it reads for.
#[derive(Debug, Clone)]
pub struct ReadSpec<'a> {
    /// The benchmark folder.
    pub root: &'a Path,
    /// The file, relative to `root`.
    pub file: &'a Path,
    /// For the `json` layout: the top-level key holding the records (the card's `records`).
    pub records: Option<&'a str>,
    /// Columns the card reads; a reader may skip decoding the others.
    pub columns: &'a [String],
    /// Columns that must exist in the file.
    pub required: &'a [String],
    /// The benchmark's name, for "this does not look like" messages.
    pub benchmark: &'a str,
}

impl ReadSpec<'_> {
    /// The file's full path.
    pub fn full_path(&self) -> std::path::PathBuf {
        self.root.join(self.file)
    }

    /// The file as records name it (relative to the benchmark folder).
    pub fn label(&self) -> Arc<Path> {
        Arc::from(self.file)
    }

    /// A [`DataError::MissingColumns`] when `found` lacks required columns.
    pub fn check_columns<'n>(
        &self,
        layout: Layout,
        found: impl IntoIterator<Item = &'n str>,
    ) -> Result<(), DataError> {
        let found: Vec<String> = found.into_iter().map(str::to_owned).collect();
        let missing: Vec<String> = self
            .required
            .iter()
            .filter(|name| !found.contains(name))
            .cloned()
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        Err(DataError::MissingColumns {
            path: self.file.to_path_buf(),
            missing,
            found,
            benchmark: self.benchmark.to_owned(),
            layout: layout.as_str().to_owned(),
        })
    }
}

/// Receives records as a reader produces them. Returning an error stops the reader.
pub trait RecordSink {
    /// Takes one record.
    fn record(&mut self, record: Record) -> Result<(), DataError>;
}

impl<F: FnMut(Record) -> Result<(), DataError>> RecordSink for F {
    fn record(&mut self, record: Record) -> Result<(), DataError> {
        self(record)
    }
}

/// Reads one file of `layout`, handing every record to `sink`. Returns the number of records.
pub fn read(
    layout: Layout,
    spec: &ReadSpec<'_>,
    sink: &mut dyn RecordSink,
) -> Result<usize, DataError> {
    match layout {
        Layout::Parquet => parquet::read(spec, sink),
        Layout::Json => json::read_document(spec, sink),
        Layout::Jsonl => json::read_lines(spec, sink),
        Layout::Csv => csv::read(spec, sink),
        Layout::VlmevalkitTsv => tsv::read(spec, sink),
    }
}
