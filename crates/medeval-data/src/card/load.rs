//! Reading a benchmark folder through its card: for a run ([`load`]: the first problem stops
//! everything, before any model is called) and for `medeval bench check` ([`check`]: every
//! problem is collected, up to a limit, and reported together).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use medeval_core::digest::Sha256Hasher;
use medeval_core::{AnswerType, CardRecord, FileDigest, Item};

use super::mapping::{Mapped, Mapping};
use super::template::Position;
use super::{BenchError, Card};
use crate::containment::FileRoots;
use crate::error::{DataError, Location};
use crate::glob;
use crate::images::ImageRoots;
use crate::readers::{self, ReadSpec};
use crate::record::Record;

/// Row-level problems `check` lists before summarising the rest.
const MAX_LISTED_PROBLEMS: usize = 20;

/// Whether a run may go ahead when the row count differs from the card's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowCountPolicy {
    /// Refuse (the default).
    Enforce,
    /// Go ahead, and record that in the manifest.
    AllowMismatch,
}

/// A benchmark read for a run.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The benchmark's name with its non-default selections (`slake:lang=zh`).
    pub benchmark: String,
    /// The items, in file order.
    pub items: Vec<Item>,
    /// Rows of the evaluation split that are not items: report rows without a reference
    /// (`record.rows` counts the items only).
    pub skipped_rows: usize,
    /// What was read, for the manifest.
    pub record: CardRecord,
    /// The items' fingerprint: card, selections, file contents and image identities.
    pub fingerprint: String,
}

/// What `medeval bench check` found.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CheckReport {
    /// The benchmark's name with its non-default selections.
    pub benchmark: String,
    /// Rows of the evaluation split that were found (after selections), as items: skipped
    /// rows are not counted.
    pub rows: usize,
    /// Rows the card expects, when it pins a count.
    pub expected_rows: Option<usize>,
    /// Rows of the split that are not items, and why.
    pub skipped_rows: SkippedRows,
    /// Whether the folder is usable as it is: no problems.
    pub ok: bool,
    /// Everything that would stop a run, each naming its file, row and column.
    pub problems: Vec<String>,
    /// Things worth knowing that do not stop a run.
    pub warnings: Vec<String>,
    /// The files read, with their SHA-256.
    pub files: Vec<FileDigest>,
    /// Images the items reference.
    pub images: usize,
    /// Items by answer type.
    pub answer_types: BTreeMap<String, usize>,
    /// The selections in effect (defaults included).
    pub selections: BTreeMap<String, String>,
    /// The columns the card reads from each file.
    pub columns: Vec<String>,
    /// Of those, the ones every file must have (the others are optional or absent in some
    /// releases).
    pub required_columns: Vec<String>,
}

/// Rows of the evaluation split that are not items.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SkippedRows {
    /// How many.
    pub count: usize,
    /// Why rows are skipped, for cards that skip any (report cards: rows without a
    /// reference); `None` for cards whose every row must be an item.
    pub reason: Option<String>,
}

/// A benchmark checked for a run without keeping its items (see [`verify`]).
#[derive(Debug, Clone)]
pub struct Verified {
    /// The benchmark's name with its non-default selections.
    pub benchmark: String,
    /// Report rows without a reference, skipped (not items, not in `record.rows`).
    pub skipped_rows: usize,
    /// What a run would record.
    pub record: CardRecord,
    /// The items' fingerprint.
    pub fingerprint: String,
}

/// Reads the benchmark in `dir` for a run, its images inside `dir`. The first problem is an
/// error.
pub fn load(
    card: &Card,
    selections: &BTreeMap<String, String>,
    dir: &Path,
    policy: RowCountPolicy,
) -> Result<Loaded, BenchError> {
    load_within(card, selections, dir, policy, &FileRoots::none())
}

/// [`load`], also accepting image roots and images inside the folders of `roots`
/// (`--image-root`).
pub fn load_within(
    card: &Card,
    selections: &BTreeMap<String, String>,
    dir: &Path,
    policy: RowCountPolicy,
    roots: &FileRoots,
) -> Result<Loaded, BenchError> {
    read_for_run(card, selections, dir, policy, roots, true)
}

/// Everything [`load`] checks, keeping no items: a multi-benchmark run verifies every benchmark
/// (files, columns, rows, images, row count) before the first request, then loads one benchmark
/// at a time, so only one benchmark's items are ever in memory.
pub fn verify(
    card: &Card,
    selections: &BTreeMap<String, String>,
    dir: &Path,
    policy: RowCountPolicy,
) -> Result<Verified, BenchError> {
    verify_within(card, selections, dir, policy, &FileRoots::none())
}

/// [`verify`], also accepting image roots and images inside the folders of `roots`
/// (`--image-root`).
pub fn verify_within(
    card: &Card,
    selections: &BTreeMap<String, String>,
    dir: &Path,
    policy: RowCountPolicy,
    roots: &FileRoots,
) -> Result<Verified, BenchError> {
    let loaded = read_for_run(card, selections, dir, policy, roots, false)?;
    Ok(Verified {
        benchmark: loaded.benchmark,
        skipped_rows: loaded.skipped_rows,
        record: loaded.record,
        fingerprint: loaded.fingerprint,
    })
}

fn read_for_run(
    card: &Card,
    selections: &BTreeMap<String, String>,
    dir: &Path,
    policy: RowCountPolicy,
    roots: &FileRoots,
    keep_items: bool,
) -> Result<Loaded, BenchError> {
    let selections = card.resolve_selections(selections)?;
    let benchmark = card.benchmark_name(&selections);
    let mut scan = Scan::new(card, &selections, dir, &benchmark, Mode::Stop, roots)?;
    scan.keep_items = keep_items;
    scan.run()?;
    let expected = card.expected_rows(&selections);
    if let Some(expected) = expected {
        if expected != scan.rows && policy == RowCountPolicy::Enforce {
            return Err(BenchError::RowCount {
                benchmark,
                expected,
                found: scan.rows,
                skipped: scan.skipped_rows,
            });
        }
    }
    let fingerprint = scan.fingerprint();
    let record = CardRecord {
        name: card.name().to_owned(),
        origin: card.origin().describe(),
        sha256: card.sha256().to_owned(),
        layout: card.spec().layout.as_str().to_owned(),
        split: card.spec().split.clone(),
        selections: selections.clone(),
        files: scan.digests.clone(),
        expected_rows: expected,
        rows: scan.rows,
        row_count_mismatch_allowed: policy == RowCountPolicy::AllowMismatch
            && expected.is_some_and(|e| e != scan.rows),
        skipped_rows: scan.skipped_rows,
    };
    Ok(Loaded {
        benchmark,
        items: scan.items,
        skipped_rows: scan.skipped_rows,
        record,
        fingerprint,
    })
}

/// Checks the benchmark in `dir`: files, columns, every row, images, row count, hashes.
/// Problems are collected, not raised; only an unusable card or selection is an error.
pub fn check(
    card: &Card,
    selections: &BTreeMap<String, String>,
    dir: &Path,
) -> Result<CheckReport, BenchError> {
    let selections = card.resolve_selections(selections)?;
    let benchmark = card.benchmark_name(&selections);
    let expected = card.expected_rows(&selections);
    let (columns, required_columns) = card.columns(&selections);
    let mut report = CheckReport {
        benchmark: benchmark.clone(),
        rows: 0,
        expected_rows: expected,
        skipped_rows: SkippedRows {
            count: 0,
            reason: card.mapping_for(&selections).skip_reason(),
        },
        ok: false,
        problems: Vec::new(),
        warnings: Vec::new(),
        files: Vec::new(),
        images: 0,
        answer_types: BTreeMap::new(),
        selections: selections.clone(),
        columns,
        required_columns,
    };
    let mut scan = match Scan::new(
        card,
        &selections,
        dir,
        &benchmark,
        Mode::Collect,
        &FileRoots::none(),
    ) {
        Ok(mut scan) => {
            scan.keep_items = false;
            scan
        }
        Err(error) => {
            report.problems.push(error.to_string());
            return Ok(report);
        }
    };
    if let Err(error) = scan.run() {
        scan.problems.push(error.to_string());
    }
    report.rows = scan.rows;
    report.skipped_rows.count = scan.skipped_rows;
    if let Some(expected) = expected {
        if expected != scan.rows {
            scan.problems.push(format!(
                "the evaluation split has {} rows where the card expects {expected}{}",
                scan.rows,
                not_counting(scan.skipped_rows)
            ));
        }
    } else {
        scan.warnings.push(
            "the card pins no row count for this split, so a partial download cannot be detected"
                .to_owned(),
        );
    }
    for (key, sources) in scan.mapping.meta_sources() {
        if scan.rows > 0 && !scan.meta_seen.contains(key) {
            scan.warnings.push(format!(
                "metadata field {key} ({}) is absent in every row: breakdowns by it will be empty",
                sources.join(" or ")
            ));
        }
    }
    if scan.skipped_problems > 0 {
        scan.problems.push(format!(
            "... and {} more row problems",
            scan.skipped_problems
        ));
    }
    report.images = scan.image_count;
    for (answer_type, count) in AnswerType::ALL.iter().zip(scan.answer_types) {
        if count > 0 {
            report
                .answer_types
                .insert(answer_type.as_str().to_owned(), count);
        }
    }
    report.ok = scan.problems.is_empty();
    report.problems = scan.problems;
    report.warnings = scan.warnings;
    report.files = scan.digests;
    Ok(report)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Stop at the first problem.
    Stop,
    /// Collect problems and go on.
    Collect,
}

/// One pass over a benchmark folder.
struct Scan<'c> {
    card: &'c Card,
    /// The card's mapping under the selections.
    mapping: Mapping,
    benchmark: String,
    dir: PathBuf,
    mode: Mode,
    /// Whether items are kept (a run) or only checked and counted (a verification).
    keep_items: bool,
    files: Vec<PathBuf>,
    roots: ImageRoots,
    filter: super::filter::Filter,
    split_ids: Option<SplitIds>,
    columns: Vec<String>,
    required: Vec<String>,
    selections: BTreeMap<String, String>,
    // Results.
    items: Vec<Item>,
    rows: usize,
    /// Report rows without a reference: not items, not in `rows`.
    skipped_rows: usize,
    position: usize,
    first_row_of: HashMap<String, Location>,
    digests: Vec<FileDigest>,
    images: Sha256Hasher,
    problems: Vec<String>,
    skipped_problems: usize,
    warnings: Vec<String>,
    meta_seen: HashSet<String>,
    /// Items per answer type, in [`AnswerType::ALL`] order.
    answer_types: [usize; AnswerType::ALL.len()],
    /// Images the items reference.
    image_count: usize,
}

struct SplitIds {
    file: String,
    ids: HashSet<String>,
    seen: HashSet<String>,
    order: Vec<String>,
}

impl<'c> Scan<'c> {
    fn new(
        card: &'c Card,
        selections: &BTreeMap<String, String>,
        dir: &Path,
        benchmark: &str,
        mode: Mode,
        allowed: &FileRoots,
    ) -> Result<Self, BenchError> {
        if !dir.is_dir() {
            return Err(BenchError::NoFolder {
                benchmark: benchmark.to_owned(),
                dir: dir.to_path_buf(),
            });
        }
        let spec = card.spec();
        let data = |source: DataError| BenchError::Data {
            benchmark: benchmark.to_owned(),
            error: Box::new(source),
        };
        let mut files = Vec::new();
        for pattern in &spec.files {
            let found = glob::find(dir, pattern).map_err(data)?;
            if found.is_empty() {
                return Err(BenchError::NoFiles {
                    benchmark: benchmark.to_owned(),
                    pattern: pattern.clone(),
                    dir: dir.to_path_buf(),
                    holds: top_level(dir),
                });
            }
            for file in found {
                if !files.contains(&file) {
                    files.push(file);
                }
            }
        }
        let mut digests = Vec::with_capacity(files.len());
        for file in &files {
            digests.push(digest(dir, file).map_err(data)?);
        }
        let split_ids = match &spec.split_ids {
            None => None,
            Some(ids) => {
                let found = glob::find(dir, &ids.file).map_err(data)?;
                let Some(file) = found.first() else {
                    return Err(BenchError::NoFiles {
                        benchmark: benchmark.to_owned(),
                        pattern: ids.file.clone(),
                        dir: dir.to_path_buf(),
                        holds: top_level(dir),
                    });
                };
                digests.push(digest(dir, file).map_err(data)?);
                Some(read_split_ids(dir, file).map_err(data)?)
            }
        };
        let roots = ImageRoots::open(dir, &spec.item.image_roots, allowed)
            .map_err(data)?
            .with_extension(spec.item.image_extension.as_deref());
        let (columns, required) = card.columns(selections);
        Ok(Self {
            card,
            mapping: card.mapping_for(selections).clone(),
            benchmark: benchmark.to_owned(),
            dir: dir.to_path_buf(),
            mode,
            keep_items: true,
            files,
            roots,
            filter: card.filter(selections),
            split_ids,
            columns,
            required,
            selections: selections.clone(),
            items: Vec::new(),
            rows: 0,
            skipped_rows: 0,
            position: 0,
            first_row_of: HashMap::new(),
            digests,
            images: Sha256Hasher::new(),
            problems: Vec::new(),
            skipped_problems: 0,
            warnings: Vec::new(),
            meta_seen: HashSet::new(),
            answer_types: [0; AnswerType::ALL.len()],
            image_count: 0,
        })
    }

    fn run(&mut self) -> Result<(), BenchError> {
        let layout = self.card.spec().layout;
        let files = self.files.clone();
        let columns = self.columns.clone();
        let required = self.required.clone();
        let dir = self.dir.clone();
        let benchmark = self.benchmark.clone();
        for file in &files {
            let spec = ReadSpec {
                root: &dir,
                file,
                records: self.card.spec().records.as_deref(),
                columns: &columns,
                required: &required,
                benchmark: &benchmark,
            };
            let mut sink = |record: Record| self.accept(record);
            if let Err(error) = readers::read(layout, &spec, &mut sink) {
                match self.mode {
                    Mode::Stop => {
                        return Err(BenchError::Data {
                            benchmark: self.benchmark.clone(),
                            error: Box::new(error),
                        });
                    }
                    Mode::Collect => self.problem(error.to_string()),
                }
            }
        }
        if self.rows == 0 && self.skipped_rows > 0 {
            let error = BenchError::NothingLeft {
                benchmark: self.benchmark.clone(),
                skipped: self.skipped_rows,
                reason: self.mapping.skip_reason().unwrap_or_default(),
            };
            match self.mode {
                Mode::Stop => return Err(error),
                Mode::Collect => self.problems.push(error.to_string()),
            }
        }
        if let Some(ids) = &self.split_ids {
            let missing: Vec<&String> = ids
                .order
                .iter()
                .filter(|id| !ids.seen.contains(*id))
                .collect();
            if let Some(first) = missing.first() {
                let error = BenchError::MissingIds {
                    benchmark: self.benchmark.clone(),
                    file: ids.file.clone(),
                    listed: ids.order.len(),
                    missing: missing.len(),
                    first: (*first).clone(),
                };
                match self.mode {
                    Mode::Stop => return Err(error),
                    Mode::Collect => self.problems.push(error.to_string()),
                }
            }
        }
        Ok(())
    }

    /// Takes one record: filters, maps, checks the id is new.
    fn accept(&mut self, record: Record) -> Result<(), DataError> {
        let position = Position {
            index: self.position,
        };
        self.position += 1;
        if !super::filter::passes(&record, &self.filter) {
            return Ok(());
        }
        if let Some(ids) = &mut self.split_ids {
            let id = self.mapping.id(&record, position);
            match id {
                Ok(id) if ids.ids.contains(&id) => {
                    ids.seen.insert(id);
                }
                Ok(_) => return Ok(()),
                Err(error) => return self.row_problem(error),
            }
        }
        let mapped = self
            .mapping
            .item(&record, position, &self.roots, &mut self.images);
        let item = match mapped {
            Ok(Mapped::Skipped) => {
                self.skipped_rows += 1;
                return Ok(());
            }
            Ok(Mapped::Item(item)) => {
                self.count_row(&record, position);
                item
            }
            Err(error) => {
                self.count_row(&record, position);
                return self.row_problem(error);
            }
        };
        if let Some(first) = self.first_row_of.get(&item.id) {
            let error = DataError::invalid(
                record.location(),
                format!("duplicate item id {:?} (first at {first})", item.id),
            );
            return self.row_problem(error);
        }
        self.first_row_of.insert(item.id.clone(), record.location());
        self.images.update_field(item.id.as_bytes());
        self.answer_types[AnswerType::ALL
            .iter()
            .position(|t| *t == item.answer_type())
            .unwrap_or(0)] += 1;
        self.image_count += item.images.len();
        if self.keep_items {
            self.items.push(item);
        }
        Ok(())
    }

    /// Counts a row of the split (an item, or a row with a problem) and notes which metadata
    /// fields it has.
    fn count_row(&mut self, record: &Record, position: Position) {
        self.rows += 1;
        for (key, sources) in self.mapping.meta_sources() {
            if !self.meta_seen.contains(key)
                && sources.iter().any(|c| {
                    if c.starts_with('_') {
                        super::template::pseudo(record, position, c).is_some()
                    } else {
                        record
                            .get(c)
                            .is_some_and(|cell| !matches!(cell, crate::record::Cell::Null))
                    }
                })
            {
                self.meta_seen.insert(key.clone());
            }
        }
    }

    /// A problem with one row: stops a run, is listed by a check.
    fn row_problem(&mut self, error: DataError) -> Result<(), DataError> {
        match self.mode {
            Mode::Stop => Err(error),
            Mode::Collect => {
                self.problem(error.to_string());
                Ok(())
            }
        }
    }

    fn problem(&mut self, message: String) {
        if self.problems.len() < MAX_LISTED_PROBLEMS {
            self.problems.push(message);
        } else {
            self.skipped_problems += 1;
        }
    }

    /// The items' fingerprint (see [`Loaded::fingerprint`]).
    fn fingerprint(&self) -> String {
        let mut hasher = Sha256Hasher::new();
        hasher.update_field(self.card.sha256().as_bytes());
        for (key, value) in &self.selections {
            hasher.update_field(key.as_bytes());
            hasher.update_field(value.as_bytes());
        }
        for digest in &self.digests {
            hasher.update_field(digest.path.as_bytes());
            hasher.update_field(digest.sha256.as_bytes());
        }
        hasher.update_field(self.images.clone().finish_hex().as_bytes());
        hasher.finish_hex()
    }
}

/// What a row count leaves out, for messages: `""`, or ` (not counting 3 rows without a
/// reference, skipped)`.
pub(super) fn not_counting(skipped: usize) -> String {
    match skipped {
        0 => String::new(),
        1 => " (not counting 1 row without a reference, skipped)".to_owned(),
        n => format!(" (not counting {n} rows without a reference, skipped)"),
    }
}

/// SHA-256 and size of one file.
fn digest(dir: &Path, file: &Path) -> Result<FileDigest, DataError> {
    let full = dir.join(file);
    let mut reader = File::open(&full).map_err(|e| DataError::io(file, e))?;
    let mut hasher = Sha256Hasher::new();
    let mut buffer = vec![0; 1 << 20];
    let mut bytes = 0u64;
    loop {
        let n = reader
            .read(&mut buffer)
            .map_err(|e| DataError::io(file, e))?;
        if n == 0 {
            break;
        }
        bytes += n as u64;
        hasher.update(&buffer[..n]);
    }
    Ok(FileDigest {
        path: file.display().to_string().replace('\\', "/"),
        bytes,
        sha256: hasher.finish_hex(),
    })
}

/// The ids of a split list: keys of a JSON object, or elements of a JSON array.
fn read_split_ids(dir: &Path, file: &Path) -> Result<SplitIds, DataError> {
    let text = std::fs::read_to_string(dir.join(file)).map_err(|e| DataError::io(file, e))?;
    let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| DataError::Json {
        location: Location::line(file, e.line()),
        message: e.to_string(),
    })?;
    let order: Vec<String> = match value {
        serde_json::Value::Object(map) => map.keys().cloned().collect(),
        serde_json::Value::Array(list) => list
            .iter()
            .map(|v| match v {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect(),
        _ => {
            return Err(DataError::invalid(
                Location::file(file),
                "expected a JSON object keyed by id, or a JSON array of ids",
            ));
        }
    };
    Ok(SplitIds {
        file: file.display().to_string(),
        ids: order.iter().cloned().collect(),
        seen: HashSet::new(),
        order,
    })
}

/// What a folder holds at its top level, for "is this the right folder?" messages.
pub(super) fn top_level(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .map(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            if entry.path().is_dir() {
                format!("{name}/")
            } else {
                name
            }
        })
        .filter(|name| !name.starts_with('.'))
        .collect();
    names.sort();
    if names.len() > 10 {
        let more = names.len() - 10;
        names.truncate(10);
        names.push(format!("{more} more"));
    }
    names
}
