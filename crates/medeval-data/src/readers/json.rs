//! JSON documents (an array of records, or an object of records keyed by id) and JSON Lines.
//!
//! A document is streamed element by element through serde's visitor, so only one record is in
//! memory at a time however long the array is. A card's `records = "test"` reads the records
//! under one top-level key of an object (R2Gen's `annotation.json` holds `train`, `val` and
//! `test`); the other keys are parsed past without being built (`IgnoredAny`), so a large
//! training split costs reading time but no memory.

use std::fmt;
use std::fs::File;
use std::io::BufReader;
use std::path::Path;
use std::sync::Arc;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use super::{Layout, ReadSpec, RecordSink};
use crate::error::{DataError, Location, Unit};
use crate::json_lines::JsonLines;
use crate::record::{Cell, Record};

/// Reads a JSON document: `[{...}, {...}]` or `{"id": {...}, ...}`; with `spec.records`, one
/// of those under that top-level key of an object.
pub fn read_document(spec: &ReadSpec<'_>, sink: &mut dyn RecordSink) -> Result<usize, DataError> {
    let path = spec.full_path();
    let file = File::open(&path).map_err(|e| DataError::io(spec.file, e))?;
    let mut deserializer = serde_json::Deserializer::from_reader(BufReader::new(file));
    let mut state = Stream {
        spec,
        label: spec.label(),
        sink,
        count: 0,
        failure: None,
    };
    let outcome = match spec.records {
        None => (&mut deserializer).deserialize_any(DocumentVisitor(&mut state)),
        Some(key) => (&mut deserializer).deserialize_any(KeyedVisitor {
            key,
            stream: &mut state,
        }),
    };
    if let Some(failure) = state.failure.take() {
        return Err(failure);
    }
    match outcome.and_then(|()| deserializer.end()) {
        Ok(()) => Ok(state.count),
        Err(e) => Err(syntax_error(spec.file, &e)),
    }
}

/// Reads JSON Lines: one object per line, blank lines ignored.
pub fn read_lines(spec: &ReadSpec<'_>, sink: &mut dyn RecordSink) -> Result<usize, DataError> {
    let path = spec.full_path();
    let file = File::open(&path).map_err(|e| DataError::io(spec.file, e))?;
    let label = spec.label();
    let mut count = 0;
    for line in JsonLines::new(BufReader::new(file), spec.file) {
        let (line_no, value) = line?;
        let Value::Object(object) = value else {
            return Err(DataError::invalid(
                Location::line(spec.file, line_no),
                "expected a JSON object per line",
            ));
        };
        if count == 0 {
            spec.check_columns(Layout::Jsonl, object.keys().map(String::as_str))?;
        }
        count += 1;
        sink.record(Record {
            file: label.clone(),
            row: line_no,
            unit: Unit::Line,
            key: None,
            cells: object
                .into_iter()
                .map(|(name, value)| (name, Cell::from_json(value)))
                .collect(),
        })?;
    }
    Ok(count)
}

fn syntax_error(file: &Path, error: &serde_json::Error) -> DataError {
    let message = error.to_string();
    let message = message
        .find(" at line ")
        .map_or(message.as_str(), |at| &message[..at]);
    DataError::Json {
        location: Location::line(file, error.line()),
        message: format!("{message} (column {})", error.column()),
    }
}

/// Shared state of a streamed document.
struct Stream<'s, 'a> {
    spec: &'s ReadSpec<'a>,
    label: Arc<Path>,
    sink: &'s mut dyn RecordSink,
    count: usize,
    /// A sink or record error, kept aside while serde unwinds with a placeholder error.
    failure: Option<DataError>,
}

impl Stream<'_, '_> {
    fn accept<E: de::Error>(&mut self, key: Option<String>, value: Value) -> Result<(), E> {
        self.count += 1;
        let location = Location::row(self.spec.file, Unit::Record, self.count);
        let result = match value {
            Value::Object(object) => {
                let checked = if self.count == 1 {
                    self.spec
                        .check_columns(Layout::Json, object.keys().map(String::as_str))
                } else {
                    Ok(())
                };
                checked.and_then(|()| {
                    self.sink.record(Record {
                        file: self.label.clone(),
                        row: self.count,
                        unit: Unit::Record,
                        key,
                        cells: object
                            .into_iter()
                            .map(|(name, value)| (name, Cell::from_json(value)))
                            .collect(),
                    })
                })
            }
            _ => Err(DataError::invalid(location, "expected a JSON object")),
        };
        result.map_err(|failure| {
            self.failure = Some(failure);
            E::custom("stopped")
        })
    }
}

struct DocumentVisitor<'v, 's, 'a>(&'v mut Stream<'s, 'a>);

impl<'de> Visitor<'de> for DocumentVisitor<'_, '_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of records or an object of records")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(value) = seq.next_element::<Value>()? {
            self.0.accept(None, value)?;
        }
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            let value = map.next_value_seed(ValueSeed)?;
            self.0.accept(Some(key), value)?;
        }
        Ok(())
    }
}

/// A document whose records are under one top-level key; the other keys' values are skipped.
struct KeyedVisitor<'v, 's, 'a> {
    key: &'v str,
    stream: &'v mut Stream<'s, 'a>,
}

impl KeyedVisitor<'_, '_, '_> {
    /// Sets a problem with the document's shape aside (as [`Stream::accept`] does) and stops.
    fn fail<E: de::Error>(&mut self, message: String) -> E {
        self.stream.failure = Some(DataError::invalid(
            Location::file(self.stream.spec.file),
            message,
        ));
        E::custom("stopped")
    }
}

impl<'de> Visitor<'de> for KeyedVisitor<'_, '_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "an object holding the records under the key {:?}",
            self.key
        )
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<(), A::Error> {
        let mut keys = Vec::new();
        let mut found = false;
        while let Some(name) = map.next_key::<String>()? {
            if name == self.key && !found {
                found = true;
                map.next_value_seed(RecordsSeed(&mut *self.stream))?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
            keys.push(name);
        }
        if found {
            return Ok(());
        }
        let has = if keys.is_empty() {
            "no keys".to_owned()
        } else {
            keys.iter()
                .map(|k| format!("{k:?}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        Err(self.fail(format!(
            "no top-level key {:?}, which the card reads the records from (the file has {has})",
            self.key
        )))
    }

    fn visit_seq<A: SeqAccess<'de>>(mut self, _: A) -> Result<(), A::Error> {
        Err(self.fail(format!(
            "the document is an array; the card reads the records under the key {:?} of an object",
            self.key
        )))
    }
}

/// The records under the chosen key: an array, or an object keyed by id.
struct RecordsSeed<'v, 's, 'a>(&'v mut Stream<'s, 'a>);

impl<'de> DeserializeSeed<'de> for RecordsSeed<'_, '_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(DocumentVisitor(self.0))
    }
}

/// Deserialises one value of any shape.
struct ValueSeed;

impl<'de> DeserializeSeed<'de> for ValueSeed {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        serde::Deserialize::deserialize(deserializer)
    }
}
