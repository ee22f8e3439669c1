//! Where a run's items come from: a native items file, or benchmark cards resolved, verified
//! and loaded in the layouts users download.
//!
//! Every benchmark of a command is verified (files, columns, rows, row count) before the first
//! is loaded, so a wrong folder found after hours of requests to the benchmarks before it
//! cannot waste them. Variants that do not apply to a benchmark's items are values
//! ([`Planned::NotApplicable`]), because in a multi-benchmark command a variant may suit some
//! benchmarks and not others.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use medeval_core::ItemsSource;
use medeval_data::{
    BenchError, BenchSpec, Card, DataError, DataLocation, FileRoots, RowCountPolicy, Verified,
    find_card,
};
use medeval_probe::{Variant, VariantError};

use crate::spec::{ItemSet, RunSpec, RunSpecBuilder, SpecError};

/// Why a plan cannot be made.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    /// A card, folder or data file is wrong.
    #[error(transparent)]
    Bench(#[from] BenchError),
    /// An items file is wrong.
    #[error(transparent)]
    Data(#[from] DataError),
    /// The settings do not suit the items.
    #[error(transparent)]
    Spec(#[from] SpecError),
    /// No benchmark was named.
    #[error("name the benchmarks to run with --bench (see `medeval bench list`)")]
    NoBenchmark,
    /// Benchmarks were named but no data folder.
    #[error(
        "--bench needs the data: --data DIR (one benchmark's folder) or --data-root DIR (one \
         sub-folder per benchmark, named as `medeval bench list` prints them)"
    )]
    NoData,
    /// The same benchmark (with the same selections) twice.
    #[error("--bench names {0} twice")]
    Twice(String),
    /// A breakdown field none of the benchmarks has.
    #[error("--by {field}: not a field of {benchmarks}; fields: {known}")]
    UnknownBreakdown {
        /// The field asked for.
        field: String,
        /// The benchmarks, comma-separated.
        benchmarks: String,
        /// Their fields, comma-separated.
        known: String,
    },
}

/// Reads a native items file, keeping the first `limit` items; its images must lie in its own
/// folder tree.
///
/// The benchmark is named after the file's stem; the source records the file as given, its
/// SHA-256 and its full item count, so a limited run is recorded as limited.
pub fn items_file(path: &Path, limit: Option<usize>) -> Result<ItemSet, PlanError> {
    items_file_within(path, limit, &FileRoots::none())
}

/// [`items_file`], also accepting images inside the folders of `roots` (`--image-root`).
pub fn items_file_within(
    path: &Path,
    limit: Option<usize>,
    roots: &FileRoots,
) -> Result<ItemSet, PlanError> {
    let file = medeval_data::read_items_within(path, roots)?;
    let benchmark = file
        .path
        .file_stem()
        .map_or_else(|| "items".to_owned(), |s| s.to_string_lossy().into_owned());
    let source = ItemsSource {
        benchmark,
        path: path.display().to_string(),
        sha256: file.sha256,
        count: file.items.len(),
        limit,
        card: None,
    };
    let mut items = file.items;
    if let Some(limit) = limit {
        items.truncate(limit);
    }
    Ok(ItemSet {
        source,
        items,
        card_prompt: None,
    })
}

/// The benchmarks a command names, and how to find and check their data.
#[derive(Debug, Clone)]
pub struct BenchmarkRequest {
    /// Card names with optional selections (`vqa-rad`, `slake:lang=zh`). Empty with
    /// `card_files`: run the user's cards.
    pub names: Vec<String>,
    /// The built-in cards and the user's (see [`medeval_data::all_cards`]).
    pub cards: Vec<Card>,
    /// The user's card files, when named (their cards run when `names` is empty).
    pub card_files: Vec<PathBuf>,
    /// Selections for every benchmark that offers them (`lang=zh`).
    pub selections: BTreeMap<String, String>,
    /// One benchmark's folder, or a root with one sub-folder per benchmark.
    pub data: Option<DataLocation>,
    /// Whether a row count other than the card's is refused.
    pub row_counts: RowCountPolicy,
    /// Breakdown fields the command will group by: each must belong to some benchmark.
    pub by: Vec<String>,
    /// Folders the user allowed image roots and images in besides each benchmark's folder
    /// (`--image-root`).
    pub image_roots: FileRoots,
}

/// One benchmark of a plan: its card, selections and folder, verified.
#[derive(Debug, Clone)]
pub struct PlannedBenchmark {
    card: Card,
    selections: BTreeMap<String, String>,
    dir: PathBuf,
    verified: Verified,
    row_counts: RowCountPolicy,
    image_roots: FileRoots,
}

impl PlannedBenchmark {
    /// What verification found: rows against the card, files hashed.
    pub fn verified(&self) -> &Verified {
        &self.verified
    }

    /// The benchmark's card.
    pub fn card(&self) -> &Card {
        &self.card
    }

    /// Loads the items (the first `limit`), with the card's prompt templates.
    pub fn load(&self, limit: Option<usize>) -> Result<ItemSet, PlanError> {
        let loaded = medeval_data::load_within(
            &self.card,
            &self.selections,
            &self.dir,
            self.row_counts,
            &self.image_roots,
        )?;
        let source = ItemsSource {
            benchmark: loaded.benchmark.clone(),
            path: self.dir.display().to_string(),
            sha256: loaded.fingerprint.clone(),
            count: loaded.items.len(),
            limit,
            card: Some(loaded.record.clone()),
        };
        let mut items = loaded.items;
        if let Some(limit) = limit {
            items.truncate(limit);
        }
        Ok(ItemSet {
            source,
            items,
            card_prompt: Some(self.card.prompt()),
        })
    }
}

/// The benchmarks of a command, resolved to cards and folders and verified.
#[derive(Debug, Clone)]
pub struct BenchmarkPlan {
    benchmarks: Vec<PlannedBenchmark>,
}

impl BenchmarkPlan {
    /// Resolves every named benchmark to its card, selections and folder, checks the breakdown
    /// fields, and verifies every benchmark's data. `on_verified` is called as each benchmark
    /// passes (hashing large benchmarks takes a while; a front end can say how far it got).
    pub fn resolve(
        request: &BenchmarkRequest,
        mut on_verified: impl FnMut(&Verified),
    ) -> Result<Self, PlanError> {
        let mut specs = request
            .names
            .iter()
            .filter(|name| !name.trim().is_empty())
            .map(|name| BenchSpec::parse(name))
            .collect::<Result<Vec<_>, _>>()?;
        if specs.is_empty() {
            // `--card FILE` alone runs the user's cards.
            for path in &request.card_files {
                let card = Card::from_file(path)?;
                specs.push(BenchSpec::parse(card.name())?);
            }
        }
        if specs.is_empty() {
            return Err(PlanError::NoBenchmark);
        }
        let location = request.data.as_ref().ok_or(PlanError::NoData)?;
        let chosen = specs
            .iter()
            .map(|spec| find_card(&request.cards, &spec.name))
            .collect::<Result<Vec<_>, _>>()?;
        medeval_data::check_global_selections(&chosen, &request.selections)?;
        let mut resolved: Vec<(Card, BTreeMap<String, String>, PathBuf)> = Vec::new();
        for (spec, card) in specs.iter().zip(chosen) {
            let selections =
                card.resolve_selections(&spec.selections_for(card, &request.selections))?;
            let name = card.benchmark_name(&selections);
            if resolved
                .iter()
                .any(|(card, selections, _)| card.benchmark_name(selections) == name)
            {
                return Err(PlanError::Twice(name));
            }
            resolved.push((
                card.clone(),
                selections,
                location.folder_for(card, specs.len())?,
            ));
        }
        check_breakdown_fields(resolved.iter().map(|(card, _, _)| card), &request.by)?;
        let mut benchmarks = Vec::with_capacity(resolved.len());
        for (card, selections, dir) in resolved {
            let verified = medeval_data::verify_within(
                &card,
                &selections,
                &dir,
                request.row_counts,
                &request.image_roots,
            )?;
            on_verified(&verified);
            benchmarks.push(PlannedBenchmark {
                card,
                selections,
                dir,
                verified,
                row_counts: request.row_counts,
                image_roots: request.image_roots.clone(),
            });
        }
        Ok(Self { benchmarks })
    }

    /// The benchmarks, in the order they were named.
    pub fn benchmarks(&self) -> &[PlannedBenchmark] {
        &self.benchmarks
    }
}

/// `--by` fields must be fields of at least one of the benchmarks: a misspelt field would
/// otherwise print one `(missing)` group and look like a result.
fn check_breakdown_fields<'c>(
    cards: impl Iterator<Item = &'c Card> + Clone,
    by: &[String],
) -> Result<(), PlanError> {
    for field in by {
        if cards
            .clone()
            .any(|card| card.breakdown_fields().contains(field))
        {
            continue;
        }
        let mut known: Vec<String> = cards
            .clone()
            .flat_map(|card| card.breakdown_fields())
            .collect();
        known.sort();
        known.dedup();
        return Err(PlanError::UnknownBreakdown {
            field: field.clone(),
            benchmarks: cards.map(Card::name).collect::<Vec<_>>().join(", "),
            known: known.join(", "),
        });
    }
    Ok(())
}

/// One run of a command, or why a variant has none for a benchmark.
#[derive(Debug, Clone)]
pub enum Planned {
    /// A run to execute.
    Run(Box<RunSpec>),
    /// The variant applies to none of the benchmark's items (option permutations need
    /// multiple-choice items, image variants need images).
    NotApplicable {
        /// The benchmark.
        benchmark: String,
        /// The variant.
        variant: Variant,
        /// Why not.
        reason: String,
    },
}

/// The runs of one set of items: one per variant, or the items themselves without variants.
pub fn runs_for(
    settings: &RunSpecBuilder,
    items: ItemSet,
    variants: &[Variant],
    variant_seed: u64,
) -> Result<Vec<Planned>, PlanError> {
    if variants.is_empty() {
        return Ok(vec![Planned::Run(Box::new(settings.build(items, None)?))]);
    }
    let mut planned = Vec::with_capacity(variants.len());
    for variant in variants {
        match settings.build(items.clone(), Some((variant, variant_seed))) {
            Ok(spec) => planned.push(Planned::Run(Box::new(spec))),
            Err(SpecError::Variant(VariantError::NotApplicable(reason))) => {
                planned.push(Planned::NotApplicable {
                    benchmark: items.source.benchmark.clone(),
                    variant: variant.clone(),
                    reason: reason.to_string(),
                });
            }
            Err(error) => return Err(error.into()),
        }
    }
    Ok(planned)
}
