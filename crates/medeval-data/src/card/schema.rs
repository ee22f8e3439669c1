//! The card file format (TOML), as serde reads it. Every table rejects unknown keys: a misspelt
//! `expected_row` must fail loudly rather than silently disable a check.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::readers::Layout;

/// A benchmark card as written in TOML.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CardFile {
    /// Short name, as `medeval bench list` prints it and `--data-root` sub-folders are named.
    pub name: String,
    /// Human title (`VQA-RAD`).
    pub title: String,
    /// One paragraph: what the benchmark is.
    #[serde(default)]
    pub description: String,
    /// Where users download it (a URL).
    #[serde(default)]
    pub source: String,
    /// The evaluation split the card reads (`test`, `validation`).
    pub split: String,
    /// The upstream layout.
    pub layout: Layout,
    /// File patterns relative to the benchmark folder; every pattern must match at least one
    /// file, and the matches are read in order.
    pub files: Vec<String>,
    /// Rows of the evaluation split (after the default selections), counted as items: rows
    /// skipped for lack of a reference report are not counted.
    #[serde(default)]
    pub expected_rows: Option<usize>,
    /// For the `json` layout: the top-level key whose array (or object) of records is the
    /// evaluation split (`"test"` in R2Gen's `annotation.json`); the other keys are skipped.
    #[serde(default)]
    pub records: Option<String>,
    /// Keep only records whose column has one of these values (CheXpert Plus's one CSV holds
    /// every split: `filter = { split = "valid" }`). The columns must exist.
    #[serde(default)]
    pub filter: BTreeMap<String, OneOrMany>,
    /// Conventions and caveats worth knowing, shown by `medeval bench card`.
    #[serde(default)]
    pub notes: Option<String>,
    /// How records become items.
    pub item: ItemSpec,
    /// Prompt templates that replace the built-in ones (keys `system`, `mcq`, `closed`, `open`,
    /// `report`; absent keys keep the built-in template).
    #[serde(default)]
    pub prompt: PromptOverrides,
    /// Options the user selects (`lang = en|zh|all`), by name.
    #[serde(default)]
    pub select: BTreeMap<String, Selection>,
    /// A file listing the ids of the evaluation split, when the split is a subset of the rows
    /// (PubMedQA's 500 test ids among 1000 labelled questions).
    #[serde(default)]
    pub split_ids: Option<SplitIds>,
}

/// How one record becomes an item.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemSpec {
    /// Template for the item id (`{qid}`; `{_index}` for files without ids).
    pub id: String,
    /// Template for the question text (lines with an empty `{field?}` are dropped).
    pub question: String,
    /// The column holding the gold answer (give this or `reference`).
    #[serde(default)]
    pub answer: Option<String>,
    /// A template giving the gold text (`"{section_findings}\n{section_impression?}"`), in place
    /// of an `answer` column: reference reports often combine sections.
    #[serde(default)]
    pub reference: Option<String>,
    /// The rule giving each item's answer type.
    pub answer_type: AnswerTypeRule,
    /// How a multiple-choice gold answer is written.
    #[serde(default)]
    pub gold: Option<GoldForm>,
    /// Where the options are.
    #[serde(default)]
    pub options: Option<OptionsSpec>,
    /// The exact number of options every multiple-choice item must have (MedQA's 4-option
    /// release has as many rows as the 5-option one).
    #[serde(default)]
    pub option_count: Option<usize>,
    /// Columns holding images (cells: bytes, `{bytes, path}` structs, relative paths or lists).
    #[serde(default)]
    pub images: Vec<String>,
    /// Folders or `.zip` archives (relative to the benchmark folder) relative image paths are
    /// looked up in, in order; default: the benchmark folder itself.
    #[serde(default)]
    pub image_roots: Vec<String>,
    /// An extension every relative image path is given before it is looked up (`png` when a
    /// table names `.jpg` files and the images at hand are the PNG release). Explicit, hashed
    /// with the card, and never applied unless asked for.
    #[serde(default)]
    pub image_extension: Option<String>,
    /// Template for the cluster key, or `image` for the first image's identity.
    #[serde(default)]
    pub cluster: Option<String>,
    /// Metadata for breakdowns: item field name -> column (or a list of columns, the first
    /// present one wins; pseudo-columns such as `_dir` work too).
    #[serde(default)]
    pub meta: BTreeMap<String, OneOrMany>,
    /// Columns the card reads that some releases lack; they are not required to exist.
    #[serde(default)]
    pub optional_columns: Vec<String>,
}

/// A string or a list of strings.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(untagged)]
pub enum OneOrMany {
    /// One.
    One(String),
    /// Several, in order of preference.
    Many(Vec<String>),
}

impl OneOrMany {
    /// The strings, in order.
    pub fn as_slice(&self) -> &[String] {
        match self {
            Self::One(one) => std::slice::from_ref(one),
            Self::Many(many) => many,
        }
    }
}

/// The answer type of each item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnswerTypeRule {
    /// One rule for every item (`mcq`, `closed`, `open`, `closed-if-yes-no`, `report`).
    Fixed(TypeRule),
    /// A column's value decides, through a table of values.
    ByColumn {
        /// The column.
        column: String,
        /// Column value -> rule.
        values: BTreeMap<String, TypeRule>,
    },
}

/// One answer-type rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TypeRule {
    /// Multiple choice.
    Mcq,
    /// Yes/no (the gold answer must read as yes or no).
    Closed,
    /// Free text.
    Open,
    /// Closed when the gold answer reads as yes or no, open otherwise (the VQA-RAD/PathVQA
    /// convention).
    ClosedIfYesNo,
    /// Report generation: the gold is the reference report text. A row whose reference is
    /// empty is not an item: it is skipped and counted.
    Report,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ByColumnTable {
    column: String,
    values: BTreeMap<String, TypeRule>,
}

impl<'de> Deserialize<'de> for AnswerTypeRule {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct RuleVisitor;
        impl<'de> serde::de::Visitor<'de> for RuleVisitor {
            type Value = AnswerTypeRule;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(
                    "a rule (mcq, closed, open, closed-if-yes-no, report) or a table { column, values }",
                )
            }
            fn visit_str<E: serde::de::Error>(self, value: &str) -> Result<Self::Value, E> {
                TypeRule::deserialize(serde::de::value::StrDeserializer::<E>::new(value))
                    .map(AnswerTypeRule::Fixed)
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<Self::Value, A::Error> {
                let table =
                    ByColumnTable::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
                Ok(AnswerTypeRule::ByColumn {
                    column: table.column,
                    values: table.values,
                })
            }
        }
        deserializer.deserialize_any(RuleVisitor)
    }
}

/// How a multiple-choice gold answer is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum GoldForm {
    /// An option letter (`B`).
    Letter,
    /// The text of the correct option (OmniMedVQA's `gt_answer`).
    OptionText,
    /// A zero-based option index (MedMCQA's `cop`).
    #[serde(rename = "index-0")]
    Index0,
    /// A one-based option index.
    #[serde(rename = "index-1")]
    Index1,
    /// A letter when it is one of the options' letters, otherwise the option's text.
    LetterOrText,
}

/// Where the options of a multiple-choice item are.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OptionsSpec {
    /// One column per option, letters A, B, C ... in order (empty or absent cells: no option).
    #[serde(default)]
    pub columns: Option<Vec<String>>,
    /// One column holding all options: an object keyed by letter, a list, or text holding a
    /// Python- or JSON-style list.
    #[serde(default)]
    pub column: Option<String>,
    /// The same options for every item (PubMedQA's yes / no / maybe).
    #[serde(default)]
    pub fixed: Option<Vec<String>>,
    /// Remove a leading `A:` / `A.` / `(A)` label from option texts (PMC-VQA writes `A:text`).
    #[serde(default)]
    pub strip_labels: bool,
}

/// A user-selectable option of a card (SLAKE's language).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Selection {
    /// The value used when the user selects nothing.
    pub default: String,
    /// What each value does.
    pub values: BTreeMap<String, SelectionValue>,
}

/// What one selectable value does.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SelectionValue {
    /// Keep only records whose column has one of these values.
    #[serde(default)]
    pub filter: BTreeMap<String, OneOrMany>,
    /// Rows of the evaluation split under this value.
    #[serde(default)]
    pub expected_rows: Option<usize>,
    /// A template replacing the card's gold text (`[item] answer` or `reference`) under this
    /// value: CheXpert Plus's `section = findings | findings-impression`.
    #[serde(default)]
    pub reference: Option<String>,
    /// A template replacing the card's `[item] question` under this value (the instruction
    /// of a report item names the sections it asks for).
    #[serde(default)]
    pub question: Option<String>,
}

/// A file of ids that defines the evaluation split.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SplitIds {
    /// Pattern of the file: a JSON object whose keys are the ids, or a JSON array of ids.
    pub file: String,
}

/// Prompt templates replacing the built-in ones.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct PromptOverrides {
    /// System message.
    #[serde(default)]
    pub system: Option<String>,
    /// Multiple choice.
    #[serde(default)]
    pub mcq: Option<String>,
    /// Yes/no.
    #[serde(default)]
    pub closed: Option<String>,
    /// Open.
    #[serde(default)]
    pub open: Option<String>,
    /// Report.
    #[serde(default)]
    pub report: Option<String>,
}
