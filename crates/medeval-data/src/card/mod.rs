//! Benchmark cards: declarative descriptions of how a benchmark is distributed and how its rows
//! become items.
//!
//! A card is a TOML file naming the files of the evaluation split (patterns relative to the
//! folder the user unpacked), their layout, how columns map onto items, the answer type of each
//! item, the prompt templates, metadata for breakdowns, the cluster key and the expected row
//! count. Cards for the common medical benchmarks are compiled into the binary
//! ([`builtin_cards`]); users load their own with [`Card::from_file`]. The format is documented
//! in `docs/benchmarks.md`; every table rejects unknown keys.

mod filter;
mod load;
mod mapping;
mod pylist;
mod schema;
mod template;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use medeval_core::digest::sha256_hex;
use medeval_core::{AnswerType, PromptTemplate};

pub use load::{
    CheckReport, Loaded, RowCountPolicy, SkippedRows, Verified, check, load, load_within, verify,
    verify_within,
};
pub use schema::{CardFile, Selection, SelectionValue};

use mapping::Mapping;
use schema::{AnswerTypeRule, TypeRule};

/// The built-in cards' TOML, in the order `medeval bench list` prints them.
const BUILTIN: [(&str, &str); 17] = [
    ("vqa-rad", include_str!("../../cards/vqa-rad.toml")),
    ("slake", include_str!("../../cards/slake.toml")),
    ("pathvqa", include_str!("../../cards/pathvqa.toml")),
    ("pmc-vqa", include_str!("../../cards/pmc-vqa.toml")),
    ("omnimedvqa", include_str!("../../cards/omnimedvqa.toml")),
    (
        "medxpertqa-mm",
        include_str!("../../cards/medxpertqa-mm.toml"),
    ),
    (
        "medxpertqa-text",
        include_str!("../../cards/medxpertqa-text.toml"),
    ),
    ("mmmu-med", include_str!("../../cards/mmmu-med.toml")),
    ("medqa", include_str!("../../cards/medqa.toml")),
    ("medmcqa", include_str!("../../cards/medmcqa.toml")),
    ("pubmedqa", include_str!("../../cards/pubmedqa.toml")),
    ("medframeqa", include_str!("../../cards/medframeqa.toml")),
    (
        "gmai-mmbench",
        include_str!("../../cards/gmai-mmbench.toml"),
    ),
    (
        "vlmevalkit-tsv",
        include_str!("../../cards/vlmevalkit-tsv.toml"),
    ),
    ("iu-xray", include_str!("../../cards/iu-xray.toml")),
    ("mimic-cxr", include_str!("../../cards/mimic-cxr.toml")),
    (
        "chexpert-plus",
        include_str!("../../cards/chexpert-plus.toml"),
    ),
];

/// Where a card came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CardOrigin {
    /// Compiled into medeval.
    BuiltIn,
    /// A user's card file.
    File(PathBuf),
}

impl CardOrigin {
    /// `built-in` or the file's path, as manifests record it.
    pub fn describe(&self) -> String {
        match self {
            Self::BuiltIn => "built-in".to_owned(),
            Self::File(path) => path.display().to_string(),
        }
    }
}

/// Problems with cards and benchmark folders.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// A card is not valid.
    #[error("card {origin}: {message}")]
    InvalidCard {
        /// The card (`built-in card slake` or a file path).
        origin: String,
        /// What is wrong.
        message: String,
    },
    /// No card has this name.
    #[error("no benchmark card named {name:?}; known: {}", known.join(", "))]
    UnknownBenchmark {
        /// The name asked for.
        name: String,
        /// The names there are.
        known: Vec<String>,
    },
    /// A selection (`:lang=zh`) the card does not offer.
    #[error("{benchmark}: {message}")]
    Selection {
        /// The benchmark.
        benchmark: String,
        /// What is wrong.
        message: String,
    },
    /// The benchmark folder does not exist.
    #[error("{benchmark}: the data folder {} does not exist", dir.display())]
    NoFolder {
        /// The benchmark.
        benchmark: String,
        /// The folder.
        dir: PathBuf,
    },
    /// `--data-root` has no sub-folder for a benchmark.
    #[error(
        "{benchmark}: no folder {folder:?} in {} (it holds: {}); --data-root expects one sub-folder \
         per benchmark, named as `medeval bench list` prints them (or give one benchmark's folder \
         with --data)",
        root.display(),
        if holds.is_empty() { "nothing".to_owned() } else { holds.join(", ") }
    )]
    NoBenchmarkFolder {
        /// The benchmark.
        benchmark: String,
        /// The sub-folder looked for.
        folder: String,
        /// The data root.
        root: PathBuf,
        /// What the root holds at its top level.
        holds: Vec<String>,
    },
    /// `--data` names one benchmark's folder, but several benchmarks were asked for.
    #[error(
        "--data names the folder of one benchmark, but {count} were asked for; use --data-root \
         with one sub-folder per benchmark"
    )]
    DataForSeveral {
        /// How many benchmarks were asked for.
        count: usize,
    },
    /// A file pattern of the card matches nothing.
    #[error(
        "{benchmark}: no file matches {pattern:?} in {} (it holds: {}); is this the {benchmark} folder, unpacked as downloaded?",
        dir.display(),
        if holds.is_empty() { "nothing".to_owned() } else { holds.join(", ") }
    )]
    NoFiles {
        /// The benchmark.
        benchmark: String,
        /// The pattern.
        pattern: String,
        /// The folder.
        dir: PathBuf,
        /// What the folder holds at its top level (for the message).
        holds: Vec<String>,
    },
    /// A file is not what the card expects. The message already holds the data error's, so it
    /// is not chained as a separate cause.
    #[error("{benchmark}: {error}")]
    Data {
        /// The benchmark.
        benchmark: String,
        /// The problem, with its file, row and column (boxed: it is large, and rare).
        error: Box<crate::DataError>,
    },
    /// The split does not have the row count the card expects.
    #[error(
        "{benchmark}: the evaluation split has {found} rows where the card expects {expected}{}; \
         a partial download, another release, or a training split mixed in? \
         Pass --allow-row-count-mismatch to run anyway (the manifest records it).",
        load::not_counting(*skipped)
    )]
    RowCount {
        /// The benchmark.
        benchmark: String,
        /// Rows the card expects.
        expected: usize,
        /// Rows found (items: rows skipped for lack of a reference are not counted).
        found: usize,
        /// Report rows without a reference, skipped.
        skipped: usize,
    },
    /// Every row of the split was skipped for lack of a reference: the wrong file, column or
    /// section, not a benchmark to run.
    #[error(
        "{benchmark}: every one of the {skipped} rows of the evaluation split was skipped ({reason}); \
         is this the right file, and does it hold this section?"
    )]
    NothingLeft {
        /// The benchmark.
        benchmark: String,
        /// Rows skipped.
        skipped: usize,
        /// Why (the mapping's skip reason).
        reason: String,
    },
    /// Ids of the split's id list are not in the data.
    #[error(
        "{benchmark}: {missing} of the {listed} ids listed in {file} are not in the data (first: {first})"
    )]
    MissingIds {
        /// The benchmark.
        benchmark: String,
        /// The id list file.
        file: String,
        /// Ids listed.
        listed: usize,
        /// Ids not found.
        missing: usize,
        /// The first missing id.
        first: String,
    },
}

/// A parsed, checked benchmark card.
#[derive(Debug, Clone)]
pub struct Card {
    file: CardFile,
    mapping: Mapping,
    /// The mappings of selection values that set `reference` or `question` (one option at
    /// most does), by (option, value).
    selected_mappings: BTreeMap<(String, String), Mapping>,
    origin: CardOrigin,
    sha256: String,
    text: String,
}

impl Card {
    /// Parses and checks a card's TOML text.
    pub fn parse(text: &str, origin: CardOrigin) -> Result<Self, BenchError> {
        let invalid = |message: String| BenchError::InvalidCard {
            origin: match &origin {
                CardOrigin::BuiltIn => "(built-in)".to_owned(),
                CardOrigin::File(path) => path.display().to_string(),
            },
            message,
        };
        let file: CardFile = toml::from_str(text).map_err(|e| invalid(toml_message(&e)))?;
        validate(&file).map_err(&invalid)?;
        let mapping = Mapping::compile(&file.item).map_err(&invalid)?;
        let mut selected_mappings = BTreeMap::new();
        for (key, selection) in &file.select {
            for (value, choice) in &selection.values {
                if choice.reference.is_none() && choice.question.is_none() {
                    continue;
                }
                let overridden = mapping
                    .with_overrides(
                        choice.reference.as_deref(),
                        choice.question.as_deref(),
                        &format!("select.{key}.values.{value}"),
                    )
                    .map_err(&invalid)?;
                selected_mappings.insert((key.clone(), value.clone()), overridden);
            }
        }
        Ok(Self {
            file,
            mapping,
            selected_mappings,
            origin,
            sha256: sha256_hex(text.as_bytes()),
            text: text.to_owned(),
        })
    }

    /// Reads a user's card file.
    pub fn from_file(path: &Path) -> Result<Self, BenchError> {
        let text = std::fs::read_to_string(path).map_err(|e| BenchError::InvalidCard {
            origin: path.display().to_string(),
            message: format!("cannot read: {e}"),
        })?;
        Self::parse(&text, CardOrigin::File(path.to_path_buf()))
    }

    /// The card's name.
    pub fn name(&self) -> &str {
        &self.file.name
    }

    /// The card as written.
    pub fn spec(&self) -> &CardFile {
        &self.file
    }

    /// The card's TOML text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// SHA-256 of the card's TOML text.
    pub fn sha256(&self) -> &str {
        &self.sha256
    }

    /// Where the card came from.
    pub fn origin(&self) -> &CardOrigin {
        &self.origin
    }

    /// The prompt templates: the built-in ones with the card's overrides.
    pub fn prompt(&self) -> PromptTemplate {
        let defaults = PromptTemplate::default();
        let overrides = &self.file.prompt;
        PromptTemplate {
            system: overrides.system.clone().or(defaults.system),
            mcq: overrides.mcq.clone().unwrap_or(defaults.mcq),
            closed: overrides.closed.clone().unwrap_or(defaults.closed),
            open: overrides.open.clone().unwrap_or(defaults.open),
            report: overrides.report.clone().unwrap_or(defaults.report),
        }
    }

    /// The answer types the card's items can have, in report order.
    pub fn answer_types(&self) -> Vec<AnswerType> {
        let rules: Vec<TypeRule> = match &self.file.item.answer_type {
            AnswerTypeRule::Fixed(rule) => vec![*rule],
            AnswerTypeRule::ByColumn { values, .. } => values.values().copied().collect(),
        };
        AnswerType::ALL
            .into_iter()
            .filter(|answer_type| {
                rules.iter().any(|rule| match rule {
                    TypeRule::Mcq => *answer_type == AnswerType::Mcq,
                    TypeRule::Closed => *answer_type == AnswerType::Closed,
                    TypeRule::Open => *answer_type == AnswerType::Open,
                    TypeRule::ClosedIfYesNo => {
                        matches!(answer_type, AnswerType::Closed | AnswerType::Open)
                    }
                    TypeRule::Report => *answer_type == AnswerType::Report,
                })
            })
            .collect()
    }

    /// The user-selectable options (`lang`), with their default and values.
    pub fn selections(&self) -> &BTreeMap<String, schema::Selection> {
        &self.file.select
    }

    /// Whether the card offers the selectable option `key`.
    pub fn offers(&self, key: &str) -> bool {
        self.file.select.contains_key(key)
    }

    /// The columns the card reads under `selections`, and which of them every file must have
    /// (the card-level filter's columns among them).
    pub fn columns(&self, selections: &BTreeMap<String, String>) -> (Vec<String>, Vec<String>) {
        let mapping = self.mapping_for(selections);
        let mut columns = mapping.columns();
        columns.extend(self.filter(selections).into_keys());
        let mut required = mapping.required_columns();
        required.extend(self.file.filter.keys().cloned());
        for list in [&mut columns, &mut required] {
            list.sort();
            list.dedup();
        }
        (columns, required)
    }

    /// The mapping under `selections`: the card's, with a selected value's `reference` and
    /// `question` templates in place of the card's.
    fn mapping_for(&self, selections: &BTreeMap<String, String>) -> &Mapping {
        selections
            .iter()
            .find_map(|(key, value)| self.selected_mappings.get(&(key.clone(), value.clone())))
            .unwrap_or(&self.mapping)
    }

    /// Fields results can be broken down by: `answer_type` and the card's metadata.
    pub fn breakdown_fields(&self) -> Vec<String> {
        let mut fields = vec!["answer_type".to_owned()];
        fields.extend(self.mapping.meta_keys().map(str::to_owned));
        fields
    }

    /// Every selection with the user's values, defaults filled in; unknown names or values are
    /// errors.
    pub fn resolve_selections(
        &self,
        given: &BTreeMap<String, String>,
    ) -> Result<BTreeMap<String, String>, BenchError> {
        for (key, value) in given {
            let Some(selection) = self.file.select.get(key) else {
                let offered: Vec<&str> = self.file.select.keys().map(String::as_str).collect();
                return Err(BenchError::Selection {
                    benchmark: self.name().to_owned(),
                    message: if offered.is_empty() {
                        format!("the card has no option {key:?} (it has none)")
                    } else {
                        format!(
                            "the card has no option {key:?}; it has {}",
                            offered.join(", ")
                        )
                    },
                });
            };
            if !selection.values.contains_key(value) {
                let values: Vec<&str> = selection.values.keys().map(String::as_str).collect();
                return Err(BenchError::Selection {
                    benchmark: self.name().to_owned(),
                    message: format!("{key}={value} is not offered; choose {}", values.join(", ")),
                });
            }
        }
        Ok(self
            .file
            .select
            .iter()
            .map(|(key, selection)| {
                let value = given.get(key).unwrap_or(&selection.default).clone();
                (key.clone(), value)
            })
            .collect())
    }

    /// The benchmark's name with its non-default selections: `slake`, `slake:lang=zh`.
    pub fn benchmark_name(&self, selections: &BTreeMap<String, String>) -> String {
        let mut name = self.name().to_owned();
        for (key, value) in selections {
            if self
                .file
                .select
                .get(key)
                .is_some_and(|s| &s.default != value)
            {
                name.push_str(&format!(":{key}={value}"));
            }
        }
        name
    }

    /// Rows the evaluation split should have under `selections`.
    pub fn expected_rows(&self, selections: &BTreeMap<String, String>) -> Option<usize> {
        selections
            .iter()
            .filter_map(|(key, value)| self.file.select.get(key)?.values.get(value)?.expected_rows)
            .next()
            .or(self.file.expected_rows)
    }

    /// The card's filter, with the selected values' filters (a selection's filter on a column
    /// the card filters replaces the card's).
    fn filter(&self, selections: &BTreeMap<String, String>) -> filter::Filter {
        let mut filter: filter::Filter = self
            .file
            .filter
            .iter()
            .map(|(column, accepted)| (column.clone(), accepted.as_slice().to_vec()))
            .collect();
        for (key, value) in selections {
            if let Some(choice) = self.file.select.get(key).and_then(|s| s.values.get(value)) {
                for (column, accepted) in &choice.filter {
                    filter.insert(column.clone(), accepted.as_slice().to_vec());
                }
            }
        }
        filter
    }
}

/// Semantic checks serde cannot express.
fn validate(file: &CardFile) -> Result<(), String> {
    let name_ok = !file.name.is_empty()
        && file
            .name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !file.name.starts_with('-');
    if !name_ok {
        return Err(format!(
            "name {:?}: use lower-case letters, digits and `-` (it names a folder under --data-root)",
            file.name
        ));
    }
    if file.files.is_empty() {
        return Err("files: list at least one file pattern".into());
    }
    for pattern in &file.files {
        if pattern.starts_with('/') || pattern.split('/').any(|s| s == "..") {
            return Err(format!(
                "files: {pattern:?} must stay inside the benchmark folder"
            ));
        }
    }
    if file.records.is_some() && file.layout != crate::readers::Layout::Json {
        return Err(format!(
            "records: only the json layout has records under a top-level key (this card's layout \
             is {})",
            file.layout.as_str()
        ));
    }
    for field in ["reference", "question"] {
        let setting: Vec<&String> = file
            .select
            .iter()
            .filter(|(_, selection)| {
                selection.values.values().any(|choice| match field {
                    "reference" => choice.reference.is_some(),
                    _ => choice.question.is_some(),
                })
            })
            .map(|(key, _)| key)
            .collect();
        if setting.len() > 1 {
            return Err(format!(
                "select: only one option may set `{field}` (here {} do)",
                setting
                    .iter()
                    .map(|k| k.as_str())
                    .collect::<Vec<_>>()
                    .join(" and ")
            ));
        }
    }
    for (key, selection) in &file.select {
        if !selection.values.contains_key(&selection.default) {
            return Err(format!(
                "select.{key}: the default {:?} is not one of its values",
                selection.default
            ));
        }
        if selection.values.is_empty() {
            return Err(format!("select.{key}: list at least one value"));
        }
    }
    Ok(())
}

/// toml's message, with its multi-line source excerpt kept (it shows the offending line).
fn toml_message(error: &toml::de::Error) -> String {
    error.to_string().trim_end().to_owned()
}

/// The built-in cards, in `medeval bench list` order.
pub fn builtin_cards() -> Vec<Card> {
    BUILTIN
        .iter()
        .map(|(name, text)| {
            // The built-in cards are checked by a unit test; a broken one is a build defect, and
            // this message names it.
            Card::parse(text, CardOrigin::BuiltIn)
                .unwrap_or_else(|e| panic!("built-in card {name} is invalid: {e}"))
        })
        .collect()
}

/// A benchmark as the user names it: `slake`, `slake:lang=zh`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BenchSpec {
    /// The card's name.
    pub name: String,
    /// Selections given (`lang = zh`).
    pub selections: BTreeMap<String, String>,
}

impl BenchSpec {
    /// Parses `NAME[:KEY=VALUE]...`.
    pub fn parse(text: &str) -> Result<Self, BenchError> {
        let mut parts = text.trim().split(':');
        let name = parts.next().unwrap_or_default().trim().to_owned();
        let mut selections = BTreeMap::new();
        for part in parts {
            let (key, value) = part.split_once('=').ok_or_else(|| BenchError::Selection {
                benchmark: name.clone(),
                message: format!("{part:?} is not KEY=VALUE (e.g. slake:lang=zh)"),
            })?;
            selections.insert(key.trim().to_owned(), value.trim().to_owned());
        }
        Ok(Self { name, selections })
    }
}

impl BenchSpec {
    /// The selections for `card`: the ones written with the name (`slake:lang=zh`) first, then
    /// the command-wide ones (`--lang zh`) for the options this card offers.
    pub fn selections_for(
        &self,
        card: &Card,
        global: &BTreeMap<String, String>,
    ) -> BTreeMap<String, String> {
        let mut selections = self.selections.clone();
        for (key, value) in global {
            if card.offers(key) {
                selections
                    .entry(key.clone())
                    .or_insert_with(|| value.clone());
            }
        }
        selections
    }
}

/// Checks that every command-wide selection (`--lang`, `--select KEY=VALUE`) is offered by at
/// least one of `cards`: a selection nothing uses is a mistake, not a no-op.
pub fn check_global_selections(
    cards: &[&Card],
    global: &BTreeMap<String, String>,
) -> Result<(), BenchError> {
    for key in global.keys() {
        if !cards.iter().any(|card| card.offers(key)) {
            let offering: Vec<String> = builtin_cards()
                .iter()
                .filter(|card| card.offers(key))
                .map(|card| card.name().to_owned())
                .collect();
            let names: Vec<&str> = cards.iter().map(|card| card.name()).collect();
            return Err(BenchError::Selection {
                benchmark: names.join(","),
                message: if offering.is_empty() {
                    format!("no benchmark offers the option {key:?}")
                } else {
                    format!(
                        "none of these benchmarks offers the option {key:?} (offered by {})",
                        offering.join(", ")
                    )
                },
            });
        }
    }
    Ok(())
}

/// Where benchmark folders are: one benchmark's folder (`--data`), or a folder holding one
/// sub-folder per benchmark, named like the card (`--data-root`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DataLocation {
    /// The folder of the only benchmark.
    Folder(PathBuf),
    /// A folder of benchmark folders.
    Root(PathBuf),
}

impl DataLocation {
    /// The folder of `card`'s benchmark; `count` is how many benchmarks were asked for.
    pub fn folder_for(&self, card: &Card, count: usize) -> Result<PathBuf, BenchError> {
        match self {
            Self::Folder(dir) if count == 1 => Ok(dir.clone()),
            Self::Folder(_) => Err(BenchError::DataForSeveral { count }),
            Self::Root(root) => {
                let dir = root.join(card.name());
                if dir.is_dir() || !root.is_dir() {
                    // A missing root is reported by the loader, naming the folder.
                    return Ok(dir);
                }
                Err(BenchError::NoBenchmarkFolder {
                    benchmark: card.name().to_owned(),
                    folder: card.name().to_owned(),
                    root: root.clone(),
                    holds: load::top_level(root),
                })
            }
        }
    }
}

/// Finds a card by name among the built-in cards and the user's.
pub fn find_card<'c>(cards: &'c [Card], name: &str) -> Result<&'c Card, BenchError> {
    cards
        .iter()
        .find(|card| card.name() == name)
        .ok_or_else(|| BenchError::UnknownBenchmark {
            name: name.to_owned(),
            known: cards.iter().map(|c| c.name().to_owned()).collect(),
        })
}

/// The built-in cards plus the user's card files; a user card may not reuse a built-in name.
pub fn all_cards(user_files: &[PathBuf]) -> Result<Vec<Card>, BenchError> {
    let mut cards = builtin_cards();
    for path in user_files {
        let card = Card::from_file(path)?;
        if cards.iter().any(|c| c.name() == card.name()) {
            return Err(BenchError::InvalidCard {
                origin: path.display().to_string(),
                message: format!(
                    "name {:?} is already taken by {}; give your card its own name",
                    card.name(),
                    if cards
                        .iter()
                        .any(|c| c.name() == card.name() && c.origin == CardOrigin::BuiltIn)
                    {
                        "a built-in card"
                    } else {
                        "another card file"
                    }
                ),
            });
        }
        cards.push(card);
    }
    Ok(cards)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_card_parses_and_is_named_like_its_file() {
        let cards = builtin_cards();
        assert_eq!(cards.len(), BUILTIN.len());
        for (card, (name, _)) in cards.iter().zip(BUILTIN) {
            assert_eq!(card.name(), name);
        }
    }

    #[test]
    fn bench_specs_carry_selections() {
        let spec = BenchSpec::parse("slake:lang=zh").unwrap();
        assert_eq!(spec.name, "slake");
        assert_eq!(spec.selections["lang"], "zh");
        assert!(BenchSpec::parse("slake:zh").is_err());
    }

    #[test]
    fn selections_default_and_name_the_benchmark() {
        let cards = builtin_cards();
        let slake = find_card(&cards, "slake").unwrap();
        let default = slake.resolve_selections(&BTreeMap::new()).unwrap();
        assert_eq!(default["lang"], "en");
        assert_eq!(slake.benchmark_name(&default), "slake");
        assert_eq!(slake.expected_rows(&default), Some(1061));
        let zh = slake
            .resolve_selections(&BTreeMap::from([("lang".to_owned(), "zh".to_owned())]))
            .unwrap();
        assert_eq!(slake.benchmark_name(&zh), "slake:lang=zh");
        assert_eq!(slake.expected_rows(&zh), Some(1033));
        assert!(
            slake
                .resolve_selections(&BTreeMap::from([("lang".to_owned(), "fr".to_owned())]))
                .is_err()
        );
    }
}
