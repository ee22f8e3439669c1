//! The common shape every upstream layout is read into: a record of named cells.
//!
//! Parquet rows, JSON objects, CSV and TSV rows all become [`Record`]s, so that one card-driven
//! mapping (module `card::mapping`) turns any of them into items, with the same rules and the
//! same error messages whatever the file format.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use medeval_core::Image;

use crate::error::{Location, Unit};

/// One value of a record, possibly nested.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Absent or null.
    Null,
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A floating-point number.
    Float(f64),
    /// Text.
    Text(String),
    /// Binary data (a parquet `binary` column: usually encoded image bytes).
    Bytes(Arc<[u8]>),
    /// An image the layout already located (a VLMEvalKit TSV cell).
    Image(Image),
    /// A list.
    List(Vec<Cell>),
    /// A struct or JSON object, fields in order.
    Struct(Vec<(String, Cell)>),
}

impl Cell {
    /// What kind of value this is, for error messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Null => "null",
            Self::Bool(_) => "a boolean",
            Self::Int(_) => "an integer",
            Self::Float(_) => "a number",
            Self::Text(_) => "text",
            Self::Bytes(_) => "binary data",
            Self::Image(_) => "an image",
            Self::List(_) => "a list",
            Self::Struct(_) => "a struct",
        }
    }

    /// Whether the cell holds nothing: null, empty text, or an empty list.
    pub fn is_empty(&self) -> bool {
        match self {
            Self::Null => true,
            Self::Text(text) => text.trim().is_empty(),
            Self::List(list) => list.is_empty(),
            _ => false,
        }
    }

    /// A field of a struct cell.
    pub fn get(&self, name: &str) -> Option<&Cell> {
        match self {
            Self::Struct(fields) => fields.iter().find(|(n, _)| n == name).map(|(_, c)| c),
            _ => None,
        }
    }

    /// The cell as text, when it is a scalar: text as is, numbers and booleans printed.
    pub fn scalar_text(&self) -> Option<String> {
        match self {
            Self::Text(text) => Some(text.clone()),
            Self::Int(n) => Some(n.to_string()),
            Self::Float(x) => Some(format_float(*x)),
            Self::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    /// The cell as a JSON value for item metadata (binary data and images are not metadata).
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value;
        match self {
            Self::Null | Self::Bytes(_) | Self::Image(_) => Value::Null,
            Self::Bool(b) => Value::Bool(*b),
            Self::Int(n) => Value::from(*n),
            Self::Float(x) => serde_json::Number::from_f64(*x).map_or(Value::Null, Value::Number),
            Self::Text(text) => Value::String(text.clone()),
            Self::List(list) => Value::Array(list.iter().map(Cell::to_json).collect()),
            Self::Struct(fields) => Value::Object(
                fields
                    .iter()
                    .map(|(name, cell)| (name.clone(), cell.to_json()))
                    .collect(),
            ),
        }
    }

    /// Converts a JSON value (JSON and JSONL layouts).
    pub fn from_json(value: serde_json::Value) -> Self {
        use serde_json::Value;
        match value {
            Value::Null => Self::Null,
            Value::Bool(b) => Self::Bool(b),
            Value::Number(n) => match n.as_i64() {
                Some(i) => Self::Int(i),
                None => Self::Float(n.as_f64().unwrap_or(f64::NAN)),
            },
            Value::String(s) => Self::Text(s),
            Value::Array(list) => Self::List(list.into_iter().map(Self::from_json).collect()),
            Value::Object(map) => Self::Struct(
                map.into_iter()
                    .map(|(name, value)| (name, Self::from_json(value)))
                    .collect(),
            ),
        }
    }
}

/// Integral floats print without a fraction (`3.0` reads `3`), as a spreadsheet shows them.
fn format_float(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{x:.0}")
    } else {
        x.to_string()
    }
}

impl fmt::Display for Cell {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.scalar_text() {
            Some(text) => f.write_str(&text),
            None => f.write_str(self.kind()),
        }
    }
}

/// One row (or JSON record) of an upstream file, before it is mapped onto an item.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// The file, relative to the benchmark folder.
    pub file: Arc<Path>,
    /// One-based row (or record, or line) within the file.
    pub row: usize,
    /// What `row` counts.
    pub unit: Unit,
    /// The key of the record when the file is a JSON object of records (PubMedQA's
    /// `ori_pqal.json` is keyed by PubMed id).
    pub key: Option<String>,
    /// The cells, in file order.
    pub cells: Vec<(String, Cell)>,
}

impl Record {
    /// A cell by column name.
    pub fn get(&self, name: &str) -> Option<&Cell> {
        self.cells.iter().find(|(n, _)| n == name).map(|(_, c)| c)
    }

    /// Where this record is, for errors.
    pub fn location(&self) -> Location {
        Location::row(&self.file, self.unit, self.row)
    }

    /// Where one of its columns is, for errors.
    pub fn at(&self, column: &str) -> Location {
        self.location().with_field(column)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars_print_as_a_spreadsheet_shows_them() {
        assert_eq!(Cell::Int(3).scalar_text().as_deref(), Some("3"));
        assert_eq!(Cell::Float(3.0).scalar_text().as_deref(), Some("3"));
        assert_eq!(Cell::Float(0.25).scalar_text().as_deref(), Some("0.25"));
        assert_eq!(Cell::List(vec![]).scalar_text(), None);
        assert!(Cell::Text("  ".into()).is_empty());
        assert!(!Cell::Int(0).is_empty());
    }

    #[test]
    fn json_round_trips_through_cells() {
        let value = serde_json::json!({"a": [1, "x", null], "b": {"c": true}, "d": 0.5});
        assert_eq!(Cell::from_json(value.clone()).to_json(), value);
    }

    #[test]
    fn locations_name_rows_records_and_columns() {
        let file = Path::new("data/test.parquet");
        assert_eq!(
            Location::row(file, Unit::Row, 7)
                .with_field("image")
                .to_string(),
            "data/test.parquet: row 7: column `image`"
        );
        assert_eq!(
            Location::row(Path::new("test.json"), Unit::Record, 3)
                .with_field("answer")
                .to_string(),
            "test.json: record 3: field `answer`"
        );
        assert_eq!(
            Location::field(Path::new("a.jsonl"), 2, "id").to_string(),
            "a.jsonl:2: field `id`"
        );
    }
}
