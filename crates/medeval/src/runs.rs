//! Runs named by a user: a run in the store (id or unique prefix), or a file of scored samples
//! (`medeval score --samples`, or another tool's output in that format), grouped by benchmark
//! for comparisons and rankings.
//!
//! An argument that names an existing file is read as a file; `STORE:RUN` (STORE an existing
//! file) is a run of that store, so runs kept in different stores can be compared and tabled
//! together; anything else is looked up in the `--store`. A file may hold several benchmarks (its
//! lines carry `benchmark`); a store run is always one benchmark.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use medeval_core::RunManifest;
use medeval_core::Scored;
use medeval_data::{DataError, ScoredFile};
use medeval_report::{RunLabel, RunSource, ScoredRecord, ScoredRun};
use medeval_store::{Store, StoreError, StoredRun};

use crate::summary::scored_run;

/// Why the runs an argument names cannot be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// A scored-sample file is wrong.
    #[error(transparent)]
    File(#[from] DataError),
    /// The store cannot be opened.
    #[error("runs are looked up in the store {} (choose another with --store)", path.display())]
    Store {
        /// The store file.
        path: PathBuf,
        /// Why.
        #[source]
        source: StoreError,
    },
    /// No run (or several) matches the argument.
    #[error("{selector:?} is not a file, so it was looked up as a run in {}", store.display())]
    Lookup {
        /// The argument.
        selector: String,
        /// The store searched.
        store: PathBuf,
        /// Why it matched none or several.
        #[source]
        source: StoreError,
    },
    /// A run could not be read.
    #[error(transparent)]
    Read(#[from] StoreError),
}

/// Loads runs named on the command line, opening a store only when an argument names a run in
/// it (each store once).
pub struct RunLoader {
    store_path: PathBuf,
    stores: HashMap<PathBuf, Store>,
}

/// `STORE:RUN` when STORE is an existing file and RUN is not empty: the store and the selector.
pub fn split_store_run(argument: &str) -> Option<(&Path, &str)> {
    let (store, run) = argument.rsplit_once(':')?;
    let store = Path::new(store);
    (!run.is_empty() && store.is_file()).then_some((store, run))
}

impl RunLoader {
    /// A loader that looks up run ids in `store_path` (and `STORE:RUN` in STORE).
    pub fn new(store_path: &Path) -> Self {
        Self {
            store_path: store_path.to_path_buf(),
            stores: HashMap::new(),
        }
    }

    /// The runs an argument names: one per benchmark (a store run is one benchmark).
    pub fn load(&mut self, argument: &str) -> Result<Vec<ScoredRun>, LoadError> {
        let path = Path::new(argument);
        if path.is_file() {
            let file = medeval_data::read_scored_samples(path)?;
            return Ok(runs_from_file(argument, file));
        }
        Ok(vec![self.load_stored(argument)?])
    }

    /// A run from a store, by id or unique prefix (`STORE:RUN` for another store than the
    /// loader's); the run is labelled `STORE:ID` when it comes from another store.
    pub fn load_stored(&mut self, selector: &str) -> Result<ScoredRun, LoadError> {
        let (label, run) = self.load_stored_run(selector)?;
        let mut scored = scored_run(&run);
        scored.label.label = label;
        Ok(scored)
    }

    /// A stored run as the store holds it (manifest included), with the label reports give it:
    /// its id, or `STORE:ID` for a run of another store than the loader's.
    pub fn load_stored_run(&mut self, selector: &str) -> Result<(String, StoredRun), LoadError> {
        let (store_path, selector, named) = match split_store_run(selector) {
            Some((store, run)) => (store.to_path_buf(), run, true),
            None => (self.store_path.clone(), selector, false),
        };
        let store = self.store(&store_path)?;
        let run_id = store
            .resolve_run(Some(selector))
            .map_err(|source| LoadError::Lookup {
                selector: selector.to_owned(),
                store: store.path().to_path_buf(),
                source,
            })?;
        let run = store.load_run(&run_id)?;
        let label = if named {
            format!("{}:{run_id}", store_path.display())
        } else {
            run_id
        };
        Ok((label, run))
    }

    fn store(&mut self, path: &Path) -> Result<&Store, LoadError> {
        Ok(match self.stores.entry(path.to_path_buf()) {
            Entry::Occupied(open) => open.into_mut(),
            // Loading only reads: the store is opened read-only, so one on read-only media works.
            Entry::Vacant(slot) => {
                slot.insert(
                    Store::open_read_only(path).map_err(|source| LoadError::Store {
                        path: path.to_path_buf(),
                        source,
                    })?,
                )
            }
        })
    }
}

/// Makes the rows of runs that share a model and a benchmark tell them apart: each such run's
/// model label gets the settings in which its manifest differs from the others' (temperature,
/// prompt, token limit, seed, images, samples per item, scorer), e.g. `qwen [temperature 0.7]`.
/// Runs that differ in none of them keep their labels (a table then refuses two runs in one
/// cell, as before).
pub fn label_differing_settings(runs: &mut [(ScoredRun, RunManifest)]) {
    let keys: Vec<(String, String)> = runs
        .iter()
        .map(|(run, _)| (run.model_label().to_owned(), run.benchmark_label()))
        .collect();
    let mut suffixes: Vec<Vec<String>> = vec![Vec::new(); runs.len()];
    for (i, key) in keys.iter().enumerate() {
        let same: Vec<usize> = (0..runs.len()).filter(|j| keys[*j] == *key).collect();
        if same.len() < 2 {
            continue;
        }
        let settings: Vec<Vec<(&str, String)>> =
            same.iter().map(|j| settings_of(&runs[*j].1)).collect();
        let mine = &settings[same.iter().position(|j| *j == i).unwrap_or(0)];
        for (name, value) in mine {
            let differs = settings
                .iter()
                .any(|other| other.iter().any(|(n, v)| n == name && v != value));
            if differs {
                suffixes[i].push(format!("{name} {value}"));
            }
        }
    }
    for ((run, _), suffix) in runs.iter_mut().zip(suffixes) {
        if !suffix.is_empty() {
            let model = format!("{} [{}]", run.model_label(), suffix.join(", "));
            run.label.model = Some(model);
        }
    }
}

/// The settings of a manifest a row may be told apart by, as (name, value) in a fixed order.
fn settings_of(manifest: &RunManifest) -> Vec<(&'static str, String)> {
    let shown = |value: Option<String>| value.unwrap_or_else(|| "default".into());
    let decoding = &manifest.decoding;
    vec![
        (
            "temperature",
            shown(decoding.temperature.map(|t| t.to_string())),
        ),
        ("top-p", shown(decoding.top_p.map(|p| p.to_string()))),
        (
            "max-tokens",
            shown(decoding.max_tokens.map(|n| n.to_string())),
        ),
        ("seed", shown(decoding.seed.map(|s| s.to_string()))),
        (
            "extra-body",
            shown(decoding.extra_body.as_ref().map(|e| e.to_string())),
        ),
        (
            "prompt",
            medeval_core::short_hash(&manifest.prompt_sha256).to_owned(),
        ),
        (
            "images",
            format!(
                "{:?}{}",
                manifest.images.encoding,
                manifest
                    .images
                    .max_side
                    .map_or_else(String::new, |side| format!(" max {side}"))
            ),
        ),
        ("samples", manifest.samples_per_item.to_string()),
        ("scorer", manifest.scorer.to_string()),
    ]
}

/// A file's samples as one run per benchmark, in order of first appearance: the only place a
/// scored-sample file's lines become records.
fn runs_from_file(argument: &str, file: ScoredFile) -> Vec<ScoredRun> {
    let mut order: Vec<Option<String>> = Vec::new();
    let mut by_benchmark: HashMap<Option<String>, (Vec<ScoredRecord>, HashSet<String>)> =
        HashMap::new();
    for sample in file.samples {
        if !by_benchmark.contains_key(&sample.benchmark) {
            order.push(sample.benchmark.clone());
        }
        let (records, models) = by_benchmark.entry(sample.benchmark).or_default();
        if let Some(model) = sample.model {
            models.insert(model);
        }
        records.push(ScoredRecord {
            id: sample.id,
            sample: sample.sample,
            // The file's rule and metrics are not read (see `medeval_data::ScoredSample`).
            scored: Scored::new(sample.outcome, sample.extracted, String::new()),
            gold: sample.answer,
            answer_type: sample.answer_type,
            cluster: sample.cluster,
            meta: sample.meta,
        });
    }
    order
        .into_iter()
        .filter_map(|benchmark| {
            let (records, models) = by_benchmark.remove(&benchmark)?;
            let model = (models.len() == 1)
                .then(|| models.into_iter().next())
                .flatten();
            let label = RunLabel {
                label: argument.to_owned(),
                source: RunSource::File {
                    path: argument.to_owned(),
                },
                model,
            };
            Some(ScoredRun::new(label, benchmark, records))
        })
        .collect()
}

/// Pairs the benchmarks of two arguments: the single runs of each when both name one, otherwise
/// the runs whose benchmark names match. Benchmarks only one side has are returned as notes.
pub fn match_benchmarks(
    a: Vec<ScoredRun>,
    b: Vec<ScoredRun>,
) -> (Vec<(ScoredRun, ScoredRun)>, Vec<String>) {
    if a.len() == 1 && b.len() == 1 {
        return (a.into_iter().zip(b).collect(), Vec::new());
    }
    let mut notes = Vec::new();
    let mut b_by_name: HashMap<Option<String>, ScoredRun> = b
        .into_iter()
        .map(|run| (run.benchmark.clone(), run))
        .collect();
    let mut pairs = Vec::new();
    for run_a in a {
        match b_by_name.remove(&run_a.benchmark) {
            Some(run_b) => pairs.push((run_a, run_b)),
            None => notes.push(format!(
                "benchmark {} is only in {}; it is not compared",
                benchmark_text(&run_a.benchmark),
                run_a.label.label
            )),
        }
    }
    let mut rest: Vec<ScoredRun> = b_by_name.into_values().collect();
    rest.sort_by(|x, y| x.benchmark.cmp(&y.benchmark));
    for run_b in rest {
        notes.push(format!(
            "benchmark {} is only in {}; it is not compared",
            benchmark_text(&run_b.benchmark),
            run_b.label.label
        ));
    }
    (pairs, notes)
}

fn benchmark_text(benchmark: &Option<String>) -> String {
    benchmark
        .as_ref()
        .map_or_else(|| "(not named)".to_owned(), |name| format!("{name:?}"))
}

/// Groups the runs of several arguments by benchmark, one run per argument in each group: all of
/// them when every argument names one run, otherwise by benchmark name, in order of first
/// appearance. Benchmarks some argument lacks are returned as notes.
pub fn group_benchmarks(
    arguments: Vec<(String, Vec<ScoredRun>)>,
) -> (Vec<Vec<ScoredRun>>, Vec<String>) {
    if arguments.iter().all(|(_, runs)| runs.len() == 1) {
        let group = arguments.into_iter().flat_map(|(_, runs)| runs).collect();
        return (vec![group], Vec::new());
    }
    let mut order: Vec<Option<String>> = Vec::new();
    for (_, runs) in &arguments {
        for run in runs {
            if !order.contains(&run.benchmark) {
                order.push(run.benchmark.clone());
            }
        }
    }
    let mut by_argument: Vec<(String, HashMap<Option<String>, ScoredRun>)> = arguments
        .into_iter()
        .map(|(argument, runs)| {
            let runs = runs
                .into_iter()
                .map(|run| (run.benchmark.clone(), run))
                .collect();
            (argument, runs)
        })
        .collect();
    let mut groups = Vec::new();
    let mut notes = Vec::new();
    for benchmark in order {
        let lacking: Vec<&str> = by_argument
            .iter()
            .filter(|(_, runs)| !runs.contains_key(&benchmark))
            .map(|(argument, _)| argument.as_str())
            .collect();
        if !lacking.is_empty() {
            notes.push(format!(
                "benchmark {} is not in {}; it is not ranked",
                benchmark_text(&benchmark),
                lacking.join(", ")
            ));
            continue;
        }
        let group = by_argument
            .iter_mut()
            .filter_map(|(_, runs)| runs.remove(&benchmark))
            .collect();
        groups.push(group);
    }
    (groups, notes)
}
