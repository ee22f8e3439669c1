//! Prediction files: model responses produced elsewhere, scored offline by `medeval score`.
//!
//! One JSON object per line: `{"id": ..., "response": "..."}`, optionally with `"reasoning"`
//! (separated chain of thought, kept for audit) and `"refusal"` (an API-level refusal).

use std::collections::HashMap;
use std::io::BufReader;
use std::path::Path;

use serde_json::Value;

use crate::error::{DataError, Location};
use crate::json_lines::JsonLines;

/// One prediction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prediction {
    /// The item id it answers.
    pub id: String,
    /// The response text.
    pub response: String,
    /// Separated reasoning, if given.
    pub reasoning: Option<String>,
    /// API-level refusal text, if given.
    pub refusal: Option<String>,
    /// The line it was read from.
    pub line: usize,
}

const FIELDS: [&str; 4] = ["id", "response", "reasoning", "refusal"];

/// Reads a predictions file, keyed by item id. Duplicate ids are an error.
pub fn read_predictions(path: &Path) -> Result<HashMap<String, Prediction>, DataError> {
    let file = std::fs::File::open(path).map_err(|e| DataError::io(path, e))?;
    let mut predictions: HashMap<String, Prediction> = HashMap::new();
    for line in JsonLines::new(BufReader::new(file), path) {
        let (line_no, value) = line?;
        let prediction = parse(path, line_no, value)?;
        if let Some(first) = predictions.get(&prediction.id) {
            return Err(DataError::DuplicateId {
                location: Location::field(path, line_no, "id"),
                id: prediction.id,
                first_line: first.line,
            });
        }
        predictions.insert(prediction.id.clone(), prediction);
    }
    if predictions.is_empty() {
        return Err(DataError::Empty {
            path: path.to_path_buf(),
        });
    }
    Ok(predictions)
}

fn parse(path: &Path, line: usize, value: Value) -> Result<Prediction, DataError> {
    let at = |field: &str| Location::field(path, line, field);
    let Value::Object(mut object) = value else {
        return Err(DataError::invalid(
            Location::line(path, line),
            "expected a JSON object {\"id\": ..., \"response\": ...}",
        ));
    };
    if let Some(unknown) = object.keys().find(|k| !FIELDS.contains(&k.as_str())) {
        return Err(DataError::invalid(
            at(unknown),
            format!("unknown field; a prediction has {}", FIELDS.join(", ")),
        ));
    }
    let id = match object.remove("id") {
        Some(Value::String(s)) if !s.trim().is_empty() => s,
        Some(Value::Number(n)) if n.is_i64() || n.is_u64() => n.to_string(),
        None | Some(Value::Null) => return Err(DataError::invalid(at("id"), "missing (required)")),
        Some(_) => {
            return Err(DataError::invalid(
                at("id"),
                "expected a non-empty string or an integer",
            ));
        }
    };
    let mut text = |field: &str, required: bool| -> Result<Option<String>, DataError> {
        match object.remove(field) {
            Some(Value::String(s)) => Ok(Some(s)),
            None | Some(Value::Null) if !required => Ok(None),
            None | Some(Value::Null) => Err(DataError::invalid(
                at(field),
                format!("missing (required) for id {id:?}"),
            )),
            Some(_) => Err(DataError::invalid(
                at(field),
                format!("expected a string for id {id:?}"),
            )),
        }
    };
    let response = text("response", true)?.unwrap_or_default();
    let reasoning = text("reasoning", false)?;
    let refusal = text("refusal", false)?;
    Ok(Prediction {
        id,
        response,
        reasoning,
        refusal,
        line,
    })
}
