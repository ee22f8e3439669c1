//! Comma-separated values with a header row (PMC-VQA's `test_2.csv`), streamed row by row.

use std::fs::File;

use super::{Layout, ReadSpec, RecordSink};
use crate::error::{DataError, Location, Unit};
use crate::record::{Cell, Record};

/// Reads one CSV file.
pub fn read(spec: &ReadSpec<'_>, sink: &mut dyn RecordSink) -> Result<usize, DataError> {
    let path = spec.full_path();
    let file = File::open(&path).map_err(|e| DataError::io(spec.file, e))?;
    let mut reader = ::csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(file);
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| csv_error(spec, &e))?
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let name = if i == 0 {
                name.trim_start_matches('\u{feff}')
            } else {
                name
            };
            name.to_owned()
        })
        .collect();
    spec.check_columns(Layout::Csv, headers.iter().map(String::as_str))?;
    let label = spec.label();
    let mut rows = 0;
    for record in reader.records() {
        let record = record.map_err(|e| csv_error(spec, &e))?;
        rows += 1;
        sink.record(Record {
            file: label.clone(),
            row: rows,
            unit: Unit::Row,
            key: None,
            cells: headers
                .iter()
                .zip(record.iter())
                .map(|(name, value)| (name.clone(), Cell::Text(value.to_owned())))
                .collect(),
        })?;
    }
    Ok(rows)
}

fn csv_error(spec: &ReadSpec<'_>, error: &::csv::Error) -> DataError {
    let location = match error.position() {
        // The csv crate counts the header as record 0, so its record index is our data row.
        Some(position) if position.record() > 0 => {
            Location::row(spec.file, Unit::Row, position.record() as usize)
        }
        _ => Location::file(spec.file),
    };
    let message = match error.kind() {
        ::csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("has {len} fields where the header has {expected_len}"),
        ::csv::ErrorKind::Utf8 { .. } => "is not valid UTF-8".to_owned(),
        _ => error.to_string(),
    };
    DataError::format(location, message)
}
