//! From a record to an item, as a card's `[item]` table says: id, question, options, gold
//! answer, answer type, images, metadata and cluster key, each checked with an error naming the
//! file, row and column.
//!
//! A report-generation row whose reference text is empty is not an error but not an item
//! either ([`Mapped::Skipped`]): upstream files hold studies without the section a benchmark
//! evaluates, and every report-generation paper leaves them out. The loader counts them, so
//! the skip is never silent.

mod images;
mod options;

use medeval_core::digest::Sha256Hasher;
use medeval_core::{AnswerType, Gold, Image, Item, Letter, Meta, Options, YesNo};

use self::images::{collect_images, image_identity};
use self::options::{OptionsSource, compile_options, option_with_text, parse_option_cell};
use super::schema::{AnswerTypeRule, GoldForm, ItemSpec, TypeRule};
use super::template::{Position, Template, cell_text};
use crate::error::DataError;
use crate::images::ImageRoots;
use crate::record::{Cell, Record};

/// A compiled `[item]` table.
#[derive(Debug, Clone)]
pub struct Mapping {
    id: Template,
    question: Template,
    answer: AnswerSource,
    answer_type: AnswerTypeRule,
    gold: GoldForm,
    options: Option<OptionsSource>,
    option_count: Option<usize>,
    strip_labels: bool,
    images: Vec<String>,
    cluster: Option<Cluster>,
    meta: Vec<(String, Vec<String>)>,
    optional_columns: Vec<String>,
}

/// Where the gold text comes from.
#[derive(Debug, Clone)]
enum AnswerSource {
    /// One column (`[item] answer`).
    Column(String),
    /// A template over the record (`[item] reference`, or a selection's `reference`).
    Template {
        /// The template as written, for messages.
        text: String,
        /// The compiled template.
        template: Template,
    },
}

impl AnswerSource {
    /// The column errors about the gold text name: the column, or a template's first column.
    fn column(&self) -> &str {
        match self {
            Self::Column(column) => column,
            Self::Template { template, .. } => template.first_column().unwrap_or("reference"),
        }
    }

    /// How the source reads in messages: ``column `report` `` or ``template `{a}\n{b?}` ``.
    fn describe(&self) -> String {
        match self {
            Self::Column(column) => format!("column `{column}`"),
            Self::Template { text, .. } => format!("template `{}`", text.escape_default()),
        }
    }
}

/// What one record becomes.
#[derive(Debug, Clone)]
pub enum Mapped {
    /// An item.
    Item(Item),
    /// Nothing: a report row whose reference text is empty (see the module docs).
    Skipped,
}

#[derive(Debug, Clone)]
enum Cluster {
    FirstImage,
    Template(Template),
}

/// Metadata keys that would shadow an item field in breakdowns.
const RESERVED_META: [&str; 1] = ["answer_type"];

impl Mapping {
    /// Checks and compiles an `[item]` table.
    pub fn compile(spec: &ItemSpec) -> Result<Self, String> {
        let template =
            |name: &str, text: &str| Template::parse(text).map_err(|e| format!("item.{name}: {e}"));
        let options = spec.options.as_ref().map(compile_options).transpose()?;
        let cluster = match spec.cluster.as_deref() {
            None => None,
            Some("image") => Some(Cluster::FirstImage),
            Some(text) => Some(Cluster::Template(template("cluster", text)?)),
        };
        for (key, sources) in &spec.meta {
            if let Some(unknown) = sources.as_slice().iter().find(|c| {
                c.starts_with('_') && !super::template::PSEUDO_COLUMNS.contains(&c.as_str())
            }) {
                return Err(format!(
                    "item.meta.{key}: unknown pseudo-column {unknown:?}; there are {}",
                    super::template::PSEUDO_COLUMNS.join(", ")
                ));
            }
            if RESERVED_META.contains(&key.as_str()) {
                return Err(format!(
                    "item.meta.{key}: `{key}` is computed by medeval; name the upstream column \
                     something else (e.g. upstream_{key})"
                ));
            }
        }
        let mentions_mcq = match &spec.answer_type {
            AnswerTypeRule::Fixed(rule) => *rule == TypeRule::Mcq,
            AnswerTypeRule::ByColumn { values, .. } => values.values().any(|r| *r == TypeRule::Mcq),
        };
        if mentions_mcq && options.is_none() {
            return Err("item.options: multiple-choice items need options".into());
        }
        if !mentions_mcq && spec.gold.is_some() {
            return Err("item.gold: only multiple-choice items have a gold letter".into());
        }
        let answer = match (&spec.answer, &spec.reference) {
            (Some(column), None) => AnswerSource::Column(column.clone()),
            (None, Some(text)) => compile_reference("item.reference", text)?,
            (Some(_), Some(_)) => {
                return Err(
                    "item: give either `answer` (the gold column) or `reference` (a template \
                     giving the gold text), not both"
                        .into(),
                );
            }
            (None, None) => {
                return Err(
                    "item: give `answer` (the gold column) or `reference` (a template giving \
                     the gold text)"
                        .into(),
                );
            }
        };
        Ok(Self {
            id: template("id", &spec.id)?,
            question: template("question", &spec.question)?,
            answer,
            answer_type: spec.answer_type.clone(),
            gold: spec.gold.unwrap_or(GoldForm::Letter),
            options,
            option_count: spec.option_count,
            strip_labels: spec.options.as_ref().is_some_and(|o| o.strip_labels),
            images: spec.images.clone(),
            cluster,
            meta: spec
                .meta
                .iter()
                .map(|(key, columns)| (key.clone(), columns.as_slice().to_vec()))
                .collect(),
            optional_columns: spec.optional_columns.clone(),
        })
    }

    /// The same mapping with a selection's gold text and question templates in place of the
    /// card's (`at` names the selection in messages).
    pub fn with_overrides(
        &self,
        reference: Option<&str>,
        question: Option<&str>,
        at: &str,
    ) -> Result<Self, String> {
        let mut mapping = self.clone();
        if let Some(text) = reference {
            mapping.answer = compile_reference(&format!("{at}.reference"), text)?;
        }
        if let Some(text) = question {
            mapping.question = Template::parse(text).map_err(|e| format!("{at}.question: {e}"))?;
        }
        Ok(mapping)
    }

    /// Why rows are skipped, when this mapping can produce report items (whose rows without a
    /// reference are skipped); `None` when no row is ever skipped.
    pub fn skip_reason(&self) -> Option<String> {
        let reports = match &self.answer_type {
            AnswerTypeRule::Fixed(rule) => *rule == TypeRule::Report,
            AnswerTypeRule::ByColumn { values, .. } => {
                values.values().any(|rule| *rule == TypeRule::Report)
            }
        };
        reports.then(|| {
            format!(
                "no reference report: the {} is empty for these rows",
                self.answer.describe()
            )
        })
    }

    /// Every column the mapping reads (readers may skip decoding the rest).
    pub fn columns(&self) -> Vec<String> {
        let mut columns = self.id.all_columns();
        columns.extend(self.question.all_columns());
        match &self.answer {
            AnswerSource::Column(column) => columns.push(column.clone()),
            AnswerSource::Template { template, .. } => columns.extend(template.all_columns()),
        }
        if let AnswerTypeRule::ByColumn { column, .. } = &self.answer_type {
            columns.push(column.clone());
        }
        match &self.options {
            Some(OptionsSource::Columns(list)) => columns.extend(list.iter().cloned()),
            Some(OptionsSource::Column(column)) => columns.push(column.clone()),
            _ => {}
        }
        columns.extend(self.images.iter().cloned());
        if let Some(Cluster::Template(template)) = &self.cluster {
            columns.extend(template.all_columns());
        }
        for (_, sources) in &self.meta {
            columns.extend(sources.iter().filter(|c| !c.starts_with('_')).cloned());
        }
        columns.sort();
        columns.dedup();
        columns
    }

    /// Columns every file must have.
    pub fn required_columns(&self) -> Vec<String> {
        let mut columns = self.id.required_columns();
        columns.extend(self.question.required_columns());
        match &self.answer {
            AnswerSource::Column(column) => columns.push(column.clone()),
            // Every column a reference names must exist, optional (`?`) or not: its value may
            // be empty, but a file without it is another file, whose rows would all be skipped.
            AnswerSource::Template { template, .. } => columns.extend(template.all_columns()),
        }
        if let AnswerTypeRule::ByColumn { column, .. } = &self.answer_type {
            columns.push(column.clone());
        }
        match &self.options {
            // Items have at least two options; later columns may be absent in some releases.
            Some(OptionsSource::Columns(list)) => columns.extend(list.iter().take(2).cloned()),
            Some(OptionsSource::Column(column)) => columns.push(column.clone()),
            _ => {}
        }
        columns.extend(self.images.iter().cloned());
        if let Some(Cluster::Template(template)) = &self.cluster {
            columns.extend(template.required_columns());
        }
        columns.retain(|c| !self.optional_columns.contains(c));
        columns.sort();
        columns.dedup();
        columns
    }

    /// The metadata keys items carry (breakdown fields).
    pub fn meta_keys(&self) -> impl Iterator<Item = &str> {
        self.meta.iter().map(|(key, _)| key.as_str())
    }

    /// The metadata keys with the columns they read.
    pub fn meta_sources(&self) -> &[(String, Vec<String>)] {
        &self.meta
    }

    /// The item id of a record (used to apply split id lists before the full mapping).
    pub fn id(&self, record: &Record, position: Position) -> Result<String, DataError> {
        let id = self.id.fill(record, position).map_err(|e| {
            DataError::invalid(record.at(&e.column), format!("(item id) {}", e.message))
        })?;
        let id = id.trim().to_owned();
        if id.is_empty() {
            return Err(DataError::invalid(
                record.location(),
                "the item id is empty",
            ));
        }
        Ok(id)
    }

    /// Builds the item of one record, or skips a report row without a reference.
    pub fn item(
        &self,
        record: &Record,
        position: Position,
        roots: &ImageRoots,
        fingerprint: &mut Sha256Hasher,
    ) -> Result<Mapped, DataError> {
        let invalid =
            |column: &str, message: String| DataError::invalid(record.at(column), message);
        let rule = self.rule(record)?;
        let answer = self.answer_text(record, position)?;
        if rule == TypeRule::Report && answer.as_deref().is_none_or(|a| a.trim().is_empty()) {
            return Ok(Mapped::Skipped);
        }
        let gold_column = self.answer.column();
        let answer = answer.ok_or_else(|| invalid(gold_column, "missing (required)".into()))?;
        let id = self.id(record, position)?;
        let question = self
            .question
            .fill(record, position)
            .map_err(|e| invalid(&e.column, e.message))?;
        if question.trim().is_empty() {
            return Err(DataError::invalid(
                record.location(),
                "the question is empty",
            ));
        }
        let options = self.options(record)?;
        let gold = match (rule, YesNo::parse_gold(&answer)) {
            (TypeRule::Mcq, _) => Gold::Letter(self.gold_letter(record, &options, &answer)?),
            (TypeRule::Closed | TypeRule::ClosedIfYesNo, Some(yes_no)) => Gold::Closed {
                answer: yes_no,
                written: answer.trim().to_owned(),
            },
            (TypeRule::Closed, None) => {
                return Err(invalid(
                    gold_column,
                    format!("a closed item's answer must be yes or no, found {answer:?}"),
                ));
            }
            (TypeRule::Open | TypeRule::ClosedIfYesNo, _) => {
                if answer.trim().is_empty() {
                    return Err(invalid(gold_column, "the gold answer is empty".into()));
                }
                Gold::Text(answer.trim().to_owned())
            }
            (TypeRule::Report, _) => Gold::Report(answer.trim().to_owned()),
        };
        let answer_type = gold.answer_type();
        if answer_type != AnswerType::Mcq && !options.is_empty() {
            let column = self.options_column().unwrap_or("options");
            return Err(invalid(
                column,
                format!("this {answer_type} item has options; only multiple-choice items may"),
            ));
        }
        let images = self.images(record, roots, fingerprint)?;
        let cluster = match &self.cluster {
            None => None,
            Some(Cluster::FirstImage) => images.first().map(image_identity),
            // A template that renders empty (its only field optional and absent) gives no key.
            Some(Cluster::Template(template)) => Some(
                template
                    .fill(record, position)
                    .map_err(|e| invalid(&e.column, format!("(cluster key) {}", e.message)))?,
            )
            .filter(|key| !key.trim().is_empty()),
        };
        Ok(Mapped::Item(Item {
            id,
            question,
            images,
            options,
            gold,
            meta: self.meta(record, position),
            cluster,
        }))
    }

    /// The gold text: the answer column's cell, or the reference template filled; `None` when
    /// the cell is null. A record without the column is an error (a JSON record missing the
    /// field is malformed, not a study without a report).
    fn answer_text(
        &self,
        record: &Record,
        position: Position,
    ) -> Result<Option<String>, DataError> {
        match &self.answer {
            AnswerSource::Column(column) => match record.get(column) {
                None => Err(DataError::invalid(record.at(column), "missing (required)")),
                Some(Cell::Null) => Ok(None),
                Some(cell) => cell_text(cell)
                    .map(|text| Some(text.unwrap_or_default()))
                    .map_err(|message| DataError::invalid(record.at(column), message)),
            },
            AnswerSource::Template { template, .. } => template
                .fill(record, position)
                .map(Some)
                .map_err(|e| DataError::invalid(record.at(&e.column), e.message)),
        }
    }

    fn options_column(&self) -> Option<&str> {
        match &self.options {
            Some(OptionsSource::Columns(list)) => list.first().map(String::as_str),
            Some(OptionsSource::Column(column)) => Some(column),
            _ => None,
        }
    }

    fn rule(&self, record: &Record) -> Result<TypeRule, DataError> {
        match &self.answer_type {
            AnswerTypeRule::Fixed(rule) => Ok(*rule),
            AnswerTypeRule::ByColumn { column, values } => {
                let value = record
                    .get(column)
                    .and_then(Cell::scalar_text)
                    .unwrap_or_default();
                values.get(value.trim()).copied().ok_or_else(|| {
                    let known: Vec<String> = values.keys().map(|k| format!("{k:?}")).collect();
                    DataError::invalid(
                        record.at(column),
                        format!(
                            "{value:?} is not a known value; the card maps {}",
                            known.join(", ")
                        ),
                    )
                })
            }
        }
    }

    fn options(&self, record: &Record) -> Result<Options, DataError> {
        let mut options = Options::new();
        let Some(source) = &self.options else {
            return Ok(options);
        };
        match source {
            OptionsSource::Fixed(texts) => {
                for (index, text) in texts.iter().enumerate() {
                    if let Some(letter) = Letter::from_index(index) {
                        options.insert(letter, text.clone());
                    }
                }
            }
            OptionsSource::Columns(columns) => {
                for (index, column) in columns.iter().enumerate() {
                    let Some(cell) = record.get(column) else {
                        continue;
                    };
                    let text = cell_text(cell)
                        .map_err(|message| DataError::invalid(record.at(column), message))?;
                    if let (Some(text), Some(letter)) = (text, Letter::from_index(index)) {
                        if !text.trim().is_empty() {
                            options.insert(letter, self.clean_option(letter, &text));
                        }
                    }
                }
            }
            OptionsSource::Column(column) => {
                let cell = record.get(column).unwrap_or(&Cell::Null);
                for (letter, text) in parse_option_cell(cell)
                    .map_err(|message| DataError::invalid(record.at(column), message))?
                {
                    options.insert(letter, self.clean_option(letter, &text));
                }
            }
        }
        Ok(options)
    }

    fn clean_option(&self, letter: Letter, text: &str) -> String {
        let text = text.trim();
        if !self.strip_labels {
            return text.to_owned();
        }
        let l = letter.as_char();
        for prefix in [
            format!("{l}:"),
            format!("{l}."),
            format!("({l})"),
            format!("{l})"),
        ] {
            if let Some(rest) = text.strip_prefix(&prefix) {
                return rest.trim().to_owned();
            }
        }
        text.to_owned()
    }

    fn gold_letter(
        &self,
        record: &Record,
        options: &Options,
        answer: &str,
    ) -> Result<Letter, DataError> {
        let at = || record.at(self.answer.column());
        if options.len() < 2 {
            let column = self.options_column().unwrap_or(self.answer.column());
            return Err(DataError::invalid(
                record.at(column),
                format!(
                    "a multiple-choice item needs at least two options, found {}",
                    options.len()
                ),
            ));
        }
        let letters: String = options.keys().map(|l| l.as_char()).collect();
        if let Some(count) = self.option_count {
            if options.len() != count {
                let column = self.options_column().unwrap_or(self.answer.column());
                return Err(DataError::invalid(
                    record.at(column),
                    format!(
                        "has {} options ({letters}) where the card expects {count}: another release of this benchmark?",
                        options.len()
                    ),
                ));
            }
        }
        let trimmed = answer.trim();
        let letter = match self.gold {
            GoldForm::Letter => Letter::try_from(trimmed.to_owned()).map_err(|_| {
                DataError::invalid(
                    at(),
                    format!("expected an option letter ({letters}), found {trimmed:?}"),
                )
            })?,
            GoldForm::Index0 | GoldForm::Index1 => {
                let base = usize::from(self.gold == GoldForm::Index1);
                trimmed
                    .parse::<usize>()
                    .ok()
                    .and_then(|i| i.checked_sub(base))
                    .and_then(Letter::from_index)
                    .ok_or_else(|| {
                        DataError::invalid(
                            at(),
                            format!("expected a {}-based option index, found {trimmed:?}", base),
                        )
                    })?
            }
            GoldForm::OptionText => {
                option_with_text(options, trimmed).map_err(|m| DataError::invalid(at(), m))?
            }
            GoldForm::LetterOrText => match Letter::try_from(trimmed.to_owned()) {
                Ok(letter) if options.contains_key(&letter) => letter,
                _ => option_with_text(options, trimmed).map_err(|m| DataError::invalid(at(), m))?,
            },
        };
        if !options.contains_key(&letter) {
            return Err(DataError::invalid(
                at(),
                format!("gold letter {letter} is not among the options ({letters})"),
            ));
        }
        Ok(letter)
    }

    fn images(
        &self,
        record: &Record,
        roots: &ImageRoots,
        fingerprint: &mut Sha256Hasher,
    ) -> Result<Vec<Image>, DataError> {
        let mut images = Vec::new();
        for column in &self.images {
            let Some(cell) = record.get(column) else {
                continue;
            };
            collect_images(cell, record, column, roots, fingerprint, &mut images)?;
        }
        Ok(images)
    }

    fn meta(&self, record: &Record, position: Position) -> Meta {
        let mut meta = Meta::new();
        for (key, sources) in &self.meta {
            let value = sources.iter().find_map(|column| {
                if column.starts_with('_') {
                    super::template::pseudo(record, position, column).map(serde_json::Value::String)
                } else {
                    record
                        .get(column)
                        .filter(|cell| !matches!(cell, Cell::Null))
                        .map(Cell::to_json)
                }
            });
            if let Some(value) = value {
                meta.insert(key.clone(), value);
            }
        }
        meta
    }
}

/// A reference template, checked: at least one placeholder, or every item would have the same
/// gold text.
fn compile_reference(at: &str, text: &str) -> Result<AnswerSource, String> {
    let template = Template::parse(text).map_err(|e| format!("{at}: {e}"))?;
    if template.all_columns().is_empty() {
        return Err(format!(
            "{at}: {text:?} names no column, so every item would have the same gold text"
        ));
    }
    Ok(AnswerSource::Template {
        text: text.to_owned(),
        template,
    })
}
