//! Scored-sample files: one verdict per line, as `medeval score --samples` writes them.
//!
//! These files are how results produced elsewhere (or exported from a store) enter `medeval
//! compare`, `rank` and `power`. Only `id` and `outcome` are required, so a file from another tool
//! is easy to convert:
//!
//! ```json
//! {"id": "q1", "outcome": "correct", "extracted": "B", "answer": "B", "answer_type": "mcq",
//!  "cluster": "img-7", "meta": {"question_type": "modality"}, "rule": "mcq:letter"}
//! ```
//!
//! | field         | required | meaning |
//! |---------------|----------|---------|
//! | `id`          | yes      | string or integer: the item id runs are paired by |
//! | `outcome`     | yes      | `correct`, `wrong`, `unparsed`, `refused` or `error` |
//! | `sample`      | no       | draw index (0-based) for runs with several samples per item; 0 when absent |
//! | `extracted`   | no       | the answer read from the response (string or null) |
//! | `answer`      | no       | the gold answer |
//! | `answer_type` | no       | `mcq`, `closed`, `open` or `report` |
//! | `cluster`     | no       | string or integer: the image, study or patient items share |
//! | `meta`        | no       | object of free metadata, used for `--by` breakdowns |
//! | `benchmark`   | no       | the benchmark the item belongs to (a file may hold several) |
//! | `rule`, `metrics`, `model` | no | recorded by `medeval score`; read and ignored here |
//!
//! Unknown fields are rejected (a misspelt `outcom` must not turn into a missing verdict), and an
//! `(id, sample)` pair may appear only once per benchmark.

use std::collections::HashMap;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use medeval_core::{AnswerType, Meta, Outcome};
use serde_json::{Map, Value};

use crate::error::{DataError, Location};
use crate::json_lines::JsonLines;

/// Fields a scored-sample line may carry.
const FIELDS: [&str; 12] = [
    "id",
    "outcome",
    "sample",
    "extracted",
    "answer",
    "answer_type",
    "cluster",
    "meta",
    "benchmark",
    "rule",
    "metrics",
    "model",
];

/// One scored sample read from a file.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoredSample {
    /// The item id.
    pub id: String,
    /// The draw index (0 unless the run sampled several answers per item).
    pub sample: u32,
    /// The verdict.
    pub outcome: Outcome,
    /// The extracted answer, if the line gives one.
    pub extracted: Option<String>,
    /// The gold answer, if the line gives one.
    pub answer: Option<String>,
    /// The answer type, if the line gives one.
    pub answer_type: Option<AnswerType>,
    /// The cluster key, if any.
    pub cluster: Option<String>,
    /// Free metadata for breakdowns.
    pub meta: Meta,
    /// The benchmark, if the line names one.
    pub benchmark: Option<String>,
    /// The model, if the line names one.
    pub model: Option<String>,
    /// The one-based line the sample was read from.
    pub line: usize,
}

/// The samples of one scored-sample file, in file order.
#[derive(Debug, Clone)]
pub struct ScoredFile {
    /// The file.
    pub path: PathBuf,
    /// The samples.
    pub samples: Vec<ScoredSample>,
}

/// Reads a scored-sample file. Errors name the file, line and field; an `(id, sample)` pair
/// repeated within one benchmark is an error, and so is a file without samples.
pub fn read_scored_samples(path: &Path) -> Result<ScoredFile, DataError> {
    let file = std::fs::File::open(path).map_err(|e| DataError::io(path, e))?;
    let mut samples = Vec::new();
    let mut seen: HashMap<(Option<String>, String, u32), usize> = HashMap::new();
    for line in JsonLines::new(BufReader::new(file), path) {
        let (line_no, value) = line?;
        let sample = parse(path, line_no, value)?;
        let key = (sample.benchmark.clone(), sample.id.clone(), sample.sample);
        if let Some(&first_line) = seen.get(&key) {
            let id = if sample.sample == 0 {
                sample.id
            } else {
                format!("{} (sample {})", sample.id, sample.sample)
            };
            return Err(DataError::DuplicateId {
                location: Location::field(path, line_no, "id"),
                id,
                first_line,
            });
        }
        seen.insert(key, line_no);
        samples.push(sample);
    }
    if samples.is_empty() {
        return Err(DataError::Empty {
            path: path.to_path_buf(),
        });
    }
    Ok(ScoredFile {
        path: path.to_path_buf(),
        samples,
    })
}

fn parse(path: &Path, line: usize, value: Value) -> Result<ScoredSample, DataError> {
    let at = |field: &str| Location::field(path, line, field);
    let Value::Object(mut object) = value else {
        return Err(DataError::invalid(
            Location::line(path, line),
            "expected a JSON object {\"id\": ..., \"outcome\": ...}",
        ));
    };
    if let Some(unknown) = object.keys().find(|k| !FIELDS.contains(&k.as_str())) {
        return Err(DataError::invalid(
            at(unknown),
            format!("unknown field; a scored sample has {}", FIELDS.join(", ")),
        ));
    }
    let id = key_text(object.remove("id"), true)
        .map_err(|message| DataError::invalid(at("id"), message))?
        .unwrap_or_default();
    let outcome = match object.remove("outcome") {
        Some(Value::String(name)) => Outcome::parse(&name).ok_or_else(|| {
            DataError::invalid(
                at("outcome"),
                format!(
                    "unknown outcome {name:?} for id {id:?}; expected correct, wrong, unparsed, refused or error"
                ),
            )
        })?,
        None | Some(Value::Null) => {
            return Err(DataError::invalid(
                at("outcome"),
                format!("missing (required) for id {id:?}"),
            ));
        }
        Some(_) => {
            return Err(DataError::invalid(
                at("outcome"),
                format!("expected a string for id {id:?}"),
            ));
        }
    };
    let sample = match object.remove("sample") {
        None | Some(Value::Null) => 0,
        Some(Value::Number(n)) => {
            n.as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .ok_or_else(|| {
                    DataError::invalid(at("sample"), "expected a draw index 0, 1, 2, ...")
                })?
        }
        Some(_) => {
            return Err(DataError::invalid(
                at("sample"),
                "expected a draw index 0, 1, 2, ...",
            ));
        }
    };
    let mut text = |field: &str| -> Result<Option<String>, DataError> {
        match object.remove(field) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(DataError::invalid(
                at(field),
                format!("expected a string or null for id {id:?}"),
            )),
        }
    };
    let extracted = text("extracted")?;
    let answer = text("answer")?;
    let benchmark = text("benchmark")?;
    let model = text("model")?;
    let answer_type = text("answer_type")?
        .map(|name| {
            AnswerType::parse(&name).ok_or_else(|| {
                DataError::invalid(
                    at("answer_type"),
                    format!("unknown answer type {name:?}; expected mcq, closed, open or report"),
                )
            })
        })
        .transpose()?;
    let cluster = key_text(object.remove("cluster"), false)
        .map_err(|message| DataError::invalid(at("cluster"), message))?;
    let meta = match object.remove("meta") {
        None | Some(Value::Null) => Meta::new(),
        Some(Value::Object(map)) => into_meta(map),
        Some(_) => {
            return Err(DataError::invalid(
                at("meta"),
                "expected an object of metadata fields",
            ));
        }
    };
    Ok(ScoredSample {
        id,
        sample,
        outcome,
        extracted,
        answer,
        answer_type,
        cluster,
        meta,
        benchmark,
        model,
        line,
    })
}

/// An id or cluster key: a non-empty string or an integer.
fn key_text(value: Option<Value>, required: bool) -> Result<Option<String>, &'static str> {
    match value {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(Some(s)),
        Some(Value::Number(n)) if n.is_i64() || n.is_u64() => Ok(Some(n.to_string())),
        None | Some(Value::Null) if required => Err("missing (required)"),
        None | Some(Value::Null) => Ok(None),
        Some(_) => Err("expected a non-empty string or an integer"),
    }
}

fn into_meta(map: Map<String, Value>) -> Meta {
    map.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<ScoredFile, DataError> {
        let dir = tempfile::tempdir().map_err(|e| DataError::io(Path::new("."), e))?;
        let path = dir.path().join("scored.jsonl");
        std::fs::write(&path, text).map_err(|e| DataError::io(&path, e))?;
        read_scored_samples(&path)
    }

    #[test]
    fn reads_what_medeval_score_writes_and_minimal_lines() -> Result<(), DataError> {
        let file = read(concat!(
            r#"{"id": "m1", "answer_type": "mcq", "answer": "B", "extracted": "B", "outcome": "correct", "rule": "mcq:letter", "cluster": 7}"#,
            "\n\n",
            r#"{"id": 2, "outcome": "unparsed", "meta": {"organ": "liver"}, "sample": 1}"#,
            "\n",
        ))?;
        assert_eq!(file.samples.len(), 2);
        let first = &file.samples[0];
        assert_eq!(first.outcome, Outcome::Correct);
        assert_eq!(first.cluster.as_deref(), Some("7"));
        assert_eq!(first.answer_type, Some(AnswerType::Mcq));
        let second = &file.samples[1];
        assert_eq!((second.id.as_str(), second.sample), ("2", 1));
        assert_eq!(second.line, 3);
        assert_eq!(second.meta["organ"], "liver");
        Ok(())
    }

    #[test]
    fn errors_name_the_line_and_field() {
        let message = |text: &str| read(text).map(|_| ()).unwrap_err().to_string();
        assert!(message("{\"id\": \"a\"}\n").contains(":1: field `outcome`: missing"));
        assert!(
            message("{\"id\": \"a\", \"outcome\": \"right\"}\n")
                .contains("field `outcome`: unknown outcome \"right\"")
        );
        assert!(
            message("{\"id\": \"a\", \"outcom\": \"correct\"}\n")
                .contains("field `outcom`: unknown field")
        );
        let duplicate = message(
            "{\"id\": \"a\", \"outcome\": \"correct\"}\n{\"id\": \"a\", \"outcome\": \"wrong\"}\n",
        );
        assert!(
            duplicate.contains(":2: field `id`: duplicate id \"a\" (first seen on line 1)"),
            "{duplicate}"
        );
        assert!(message("\n").contains("no items"));
    }

    #[test]
    fn the_same_id_may_appear_once_per_benchmark_and_draw() -> Result<(), DataError> {
        let file = read(concat!(
            r#"{"id": "a", "outcome": "correct", "benchmark": "x"}"#,
            "\n",
            r#"{"id": "a", "outcome": "wrong", "benchmark": "y"}"#,
            "\n",
            r#"{"id": "a", "outcome": "wrong", "benchmark": "y", "sample": 1}"#,
            "\n",
        ))?;
        assert_eq!(file.samples.len(), 3);
        Ok(())
    }
}
