//! Field templates of cards: `{question}`, `Context: {CONTEXTS}`, `Hint: {hint?}`.
//!
//! `{name}` is a column (`{context.contexts}` reaches into a struct); a list of values renders one
//! per line. `{name?}` is optional: a line whose optional field is missing or empty is dropped,
//! so `"Hint: {hint?}\n{question}"` shows the hint line only when there is a hint. A missing
//! `{name}` without `?` is an error naming the column.
//!
//! A paragraph (lines between empty lines) whose placeholders are all optional and all empty
//! is dropped whole, with its literal lines and one of the empty lines around it: a reference
//! report `"FINDINGS:\n{findings?}\n\nIMPRESSION:\n{impression?}"` loses the `IMPRESSION:`
//! heading of a study without an impression, and renders empty for a study with neither
//! section. Pseudo-columns describe the record itself:
//!
//! | name | value |
//! |---|---|
//! | `_index` | zero-based position of the record in the split, over all files |
//! | `_row` | one-based row (or record, or line) within its file |
//! | `_file` | the file, relative to the benchmark folder |
//! | `_file_stem` | the file name without folder and extension |
//! | `_dir` | the name of the folder holding the file (MMMU's subject) |
//! | `_key` | the key of the record in a JSON object of records |

use crate::record::{Cell, Record};

/// The pseudo-columns templates and metadata may name.
pub const PSEUDO_COLUMNS: [&str; 6] = ["_index", "_row", "_file", "_file_stem", "_dir", "_key"];

/// Where a record sits, for the pseudo-columns.
#[derive(Debug, Clone, Copy)]
pub struct Position {
    /// Zero-based position over the whole split.
    pub index: usize,
}

/// A parsed template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    lines: Vec<Vec<Piece>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Text(String),
    Field { path: Vec<String>, optional: bool },
}

/// Why a template could not be filled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FillError {
    /// The column at fault.
    pub column: String,
    /// What is wrong.
    pub message: String,
}

impl Template {
    /// Parses template text. `{` always opens a placeholder; write literal braces as `{{` and
    /// `}}`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut lines = Vec::new();
        for line in text.split('\n') {
            lines.push(parse_line(line)?);
        }
        Ok(Self { lines })
    }

    /// Top-level columns of the placeholders that must be present.
    pub fn required_columns(&self) -> Vec<String> {
        self.columns(false)
    }

    /// Top-level columns of every placeholder (pseudo-columns excluded).
    pub fn all_columns(&self) -> Vec<String> {
        self.columns(true)
    }

    /// The top-level column of the first placeholder, in template order (pseudo-columns
    /// excluded): the column a message about the template as a whole names.
    pub fn first_column(&self) -> Option<&str> {
        self.lines
            .iter()
            .flatten()
            .find_map(|piece| match piece {
                Piece::Field { path, .. } => path.first().filter(|name| !name.starts_with('_')),
                Piece::Text(_) => None,
            })
            .map(String::as_str)
    }

    fn columns(&self, include_optional: bool) -> Vec<String> {
        let mut names: Vec<String> = self
            .lines
            .iter()
            .flatten()
            .filter_map(|piece| match piece {
                Piece::Field { path, optional } if include_optional || !optional => {
                    path.first().cloned()
                }
                _ => None,
            })
            .filter(|name| !name.starts_with('_'))
            .collect();
        names.sort();
        names.dedup();
        names
    }

    /// Fills the template from a record.
    pub fn fill(&self, record: &Record, position: Position) -> Result<String, FillError> {
        let dropped = self.dropped_lines(record, position)?;
        let mut out: Vec<String> = Vec::with_capacity(self.lines.len());
        'lines: for (line, dropped) in self.lines.iter().zip(dropped) {
            if dropped {
                continue;
            }
            let mut text = String::new();
            for piece in line {
                match piece {
                    Piece::Text(literal) => text.push_str(literal),
                    Piece::Field { path, optional } => match value(record, position, path)? {
                        Some(value) if !value.trim().is_empty() => text.push_str(&value),
                        _ if *optional => continue 'lines,
                        Some(value) => text.push_str(&value),
                        None => {
                            return Err(FillError {
                                column: path.join("."),
                                message: "missing (required)".into(),
                            });
                        }
                    },
                }
            }
            out.push(text);
        }
        Ok(out.join("\n"))
    }
}

impl Template {
    /// Which lines belong to dropped paragraphs (see the module docs), or to the run of empty
    /// lines that separated a dropped paragraph from the text kept: the one before it when a
    /// kept paragraph precedes it, else the one after it, so the output neither starts with
    /// nor doubles an empty line the template did not.
    fn dropped_lines(&self, record: &Record, position: Position) -> Result<Vec<bool>, FillError> {
        let blank = |i: usize| self.lines[i].is_empty();
        let mut dropped = vec![false; self.lines.len()];
        let mut kept_before = false;
        let mut start = 0;
        while start < self.lines.len() {
            if blank(start) {
                start += 1;
                continue;
            }
            let end = (start..self.lines.len())
                .find(|&i| blank(i))
                .unwrap_or(self.lines.len());
            if !self.paragraph_is_empty(&self.lines[start..end], record, position)? {
                kept_before = true;
                start = end;
                continue;
            }
            let (from, to) = if kept_before {
                let run = (0..start).rev().take_while(|&i| blank(i)).count();
                (start - run, end)
            } else {
                let run = (end..self.lines.len()).take_while(|&i| blank(i)).count();
                (start, end + run)
            };
            dropped[from..to].iter_mut().for_each(|d| *d = true);
            start = end;
        }
        Ok(dropped)
    }

    /// Whether a paragraph has placeholders, all optional and all empty for this record.
    fn paragraph_is_empty(
        &self,
        lines: &[Vec<Piece>],
        record: &Record,
        position: Position,
    ) -> Result<bool, FillError> {
        let mut fields = 0;
        for piece in lines.iter().flatten() {
            let Piece::Field { path, optional } = piece else {
                continue;
            };
            if !optional {
                return Ok(false);
            }
            if value(record, position, path)?.is_some_and(|v| !v.trim().is_empty()) {
                return Ok(false);
            }
            fields += 1;
        }
        Ok(fields > 0)
    }
}

fn parse_line(line: &str) -> Result<Vec<Piece>, String> {
    let mut pieces = Vec::new();
    let mut literal = String::new();
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                literal.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                literal.push('}');
            }
            '{' => {
                let mut name = String::new();
                loop {
                    match chars.next() {
                        Some('}') => break,
                        Some('{') | None => {
                            return Err(format!("unclosed placeholder `{{{name}` in {line:?}"));
                        }
                        Some(c) => name.push(c),
                    }
                }
                let (name, optional) = match name.strip_suffix('?') {
                    Some(stripped) => (stripped.to_owned(), true),
                    None => (name, false),
                };
                if name.trim().is_empty() {
                    return Err(format!("empty placeholder in {line:?}"));
                }
                if name.starts_with('_') && !PSEUDO_COLUMNS.contains(&name.as_str()) {
                    return Err(format!(
                        "unknown pseudo-column `{{{name}}}`; there are {}",
                        PSEUDO_COLUMNS.join(", ")
                    ));
                }
                if !literal.is_empty() {
                    pieces.push(Piece::Text(std::mem::take(&mut literal)));
                }
                pieces.push(Piece::Field {
                    path: name.split('.').map(str::to_owned).collect(),
                    optional,
                });
            }
            '}' => {
                return Err(format!(
                    "unmatched `}}` in {line:?} (write `}}}}` for a brace)"
                ));
            }
            c => literal.push(c),
        }
    }
    if !literal.is_empty() {
        pieces.push(Piece::Text(literal));
    }
    Ok(pieces)
}

/// The text of a placeholder's value, `None` when absent or null.
fn value(
    record: &Record,
    position: Position,
    path: &[String],
) -> Result<Option<String>, FillError> {
    let Some((first, rest)) = path.split_first() else {
        return Ok(None);
    };
    if first.starts_with('_') {
        return Ok(pseudo(record, position, first));
    }
    let mut cell = match record.get(first) {
        Some(cell) => cell,
        None => return Ok(None),
    };
    for name in rest {
        cell = match cell.get(name) {
            Some(inner) => inner,
            None => return Ok(None),
        };
    }
    cell_text(cell).map_err(|message| FillError {
        column: path.join("."),
        message,
    })
}

/// The value of a pseudo-column (see the module docs); `None` for unknown names.
pub fn pseudo(record: &Record, position: Position, name: &str) -> Option<String> {
    let file_part = |part: Option<&std::ffi::OsStr>| part.map(|s| s.to_string_lossy().into_owned());
    match name {
        "_index" => Some(position.index.to_string()),
        "_row" => Some(record.row.to_string()),
        "_file" => Some(record.file.display().to_string().replace('\\', "/")),
        "_file_stem" => file_part(record.file.file_stem()),
        "_dir" => file_part(record.file.parent().and_then(|p| p.file_name())),
        "_key" => record.key.clone(),
        _ => None,
    }
}

/// A cell as template text: scalars as they are, lists of scalars one per line.
pub fn cell_text(cell: &Cell) -> Result<Option<String>, String> {
    match cell {
        Cell::Null => Ok(None),
        Cell::List(list) => {
            let mut lines = Vec::with_capacity(list.len());
            for element in list {
                match element.scalar_text() {
                    Some(text) => lines.push(text),
                    None if matches!(element, Cell::Null) => {}
                    None => return Err(format!("holds a list of {}, not text", element.kind())),
                }
            }
            Ok(Some(lines.join("\n")))
        }
        other => other
            .scalar_text()
            .map(Some)
            .ok_or_else(|| format!("holds {}, not text", other.kind())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Unit;
    use std::path::Path;
    use std::sync::Arc;

    fn record(cells: Vec<(&str, Cell)>) -> Record {
        Record {
            file: Arc::from(Path::new("QA/Chest CT.json")),
            row: 4,
            unit: Unit::Record,
            key: Some("12345".into()),
            cells: cells
                .into_iter()
                .map(|(name, cell)| (name.to_owned(), cell))
                .collect(),
        }
    }

    #[test]
    fn optional_lines_disappear_when_empty() {
        let template = Template::parse("Hint: {hint?}\n{question}").unwrap();
        let at = Position { index: 0 };
        let with = record(vec![
            ("hint", Cell::Text("CT".into())),
            ("question", Cell::Text("Organ?".into())),
        ]);
        assert_eq!(template.fill(&with, at).unwrap(), "Hint: CT\nOrgan?");
        let without = record(vec![
            ("hint", Cell::Text(String::new())),
            ("question", Cell::Text("Organ?".into())),
        ]);
        assert_eq!(template.fill(&without, at).unwrap(), "Organ?");
        assert_eq!(template.required_columns(), vec!["question"]);
        let missing = record(vec![("hint", Cell::Text("x".into()))]);
        assert_eq!(
            template.fill(&missing, at).unwrap_err(),
            FillError {
                column: "question".into(),
                message: "missing (required)".into()
            }
        );
    }

    #[test]
    fn lists_render_one_per_line_and_structs_are_reachable() {
        let template = Template::parse("Context: {context.contexts}\n{{literal}}").unwrap();
        let rec = record(vec![(
            "context",
            Cell::Struct(vec![(
                "contexts".into(),
                Cell::List(vec![Cell::Text("a".into()), Cell::Text("b".into())]),
            )]),
        )]);
        assert_eq!(
            template.fill(&rec, Position { index: 0 }).unwrap(),
            "Context: a\nb\n{literal}"
        );
    }

    #[test]
    fn pseudo_columns_describe_the_record() {
        let template = Template::parse("{_file_stem}/{_key}/{_row}/{_index}").unwrap();
        assert_eq!(
            template
                .fill(&record(vec![]), Position { index: 9 })
                .unwrap(),
            "Chest CT/12345/4/9"
        );
        assert!(template.required_columns().is_empty());
    }

    #[test]
    fn paragraphs_of_empty_optional_fields_disappear_with_their_headings() {
        let template =
            Template::parse("FINDINGS:\n{findings?}\n\nIMPRESSION:\n{impression?}").unwrap();
        let at = Position { index: 0 };
        let fill = |findings: &str, impression: &str| {
            template
                .fill(
                    &record(vec![
                        ("findings", Cell::Text(findings.into())),
                        ("impression", Cell::Text(impression.into())),
                    ]),
                    at,
                )
                .unwrap()
        };
        assert_eq!(
            fill("Clear lungs.", "Normal."),
            "FINDINGS:\nClear lungs.\n\nIMPRESSION:\nNormal."
        );
        assert_eq!(fill("Clear lungs.", " "), "FINDINGS:\nClear lungs.");
        assert_eq!(fill("", "Normal."), "IMPRESSION:\nNormal.");
        assert_eq!(fill("", ""), "");
        assert_eq!(template.first_column(), Some("findings"));

        // Three paragraphs, the middle one dropped: one empty line stays between the others.
        let three = Template::parse("A: {a?}\n\nB: {b?}\n\nC: {c}").unwrap();
        let filled = three
            .fill(
                &record(vec![
                    ("a", Cell::Text("1".into())),
                    ("c", Cell::Text("3".into())),
                ]),
                at,
            )
            .unwrap();
        assert_eq!(filled, "A: 1\n\nC: 3");
        // A paragraph with a required field, or with no field at all, always stays.
        let fixed = Template::parse("Notes\n\n{hint?}\n\n{question}").unwrap();
        let filled = fixed
            .fill(&record(vec![("question", Cell::Text("Q".into()))]), at)
            .unwrap();
        assert_eq!(filled, "Notes\n\nQ");
    }

    #[test]
    fn malformed_templates_are_rejected() {
        assert!(Template::parse("{open").is_err());
        assert!(Template::parse("close}").is_err());
        assert!(Template::parse("{}").is_err());
    }
}
