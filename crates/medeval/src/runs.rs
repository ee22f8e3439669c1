//! Runs named by a user: a run in the store (id or unique prefix), or a file of scored samples
//! (`medeval score --samples`, or another tool's output in that format), grouped by benchmark
//! for comparisons and rankings.
//!
//! An argument that names an existing file is read as a file; anything else is looked up in the
//! store. A file may hold several benchmarks (its lines carry `benchmark`); a store run is always
//! one benchmark.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use medeval_core::Scored;
use medeval_data::{DataError, ScoredFile};
use medeval_report::{RunLabel, RunSource, ScoredRecord, ScoredRun};
use medeval_store::{Store, StoreError};

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

/// Loads runs named on the command line, opening the store only when an argument is not a file.
pub struct RunLoader {
    store_path: PathBuf,
    store: Option<Store>,
}

impl RunLoader {
    /// A loader that looks up run ids in `store_path`.
    pub fn new(store_path: &Path) -> Self {
        Self {
            store_path: store_path.to_path_buf(),
            store: None,
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

    /// A run from the store, by id or unique prefix.
    pub fn load_stored(&mut self, selector: &str) -> Result<ScoredRun, LoadError> {
        let store = self.store()?;
        let run_id = store
            .resolve_run(Some(selector))
            .map_err(|source| LoadError::Lookup {
                selector: selector.to_owned(),
                store: store.path().to_path_buf(),
                source,
            })?;
        let run = store.load_run(&run_id)?;
        Ok(scored_run(&run))
    }

    fn store(&mut self) -> Result<&Store, LoadError> {
        let store = match self.store.take() {
            Some(store) => store,
            // Loading only reads: the store is opened read-only, so one on read-only media works.
            None => Store::open_read_only(&self.store_path).map_err(|source| LoadError::Store {
                path: self.store_path.clone(),
                source,
            })?,
        };
        Ok(self.store.insert(store))
    }
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
