//! Apache Parquet, as Hugging Face datasets store benchmarks: one or more shards per split, image
//! columns as `{bytes, path}` structs.
//!
//! Rows are read row group by row group through parquet's record API, decoding only the columns
//! the card reads. Only Snappy-compressed (and uncompressed) files are supported: Snappy is
//! pyarrow's default, and so what `datasets` writes; any other codec is reported by name, with
//! the command that re-saves the file.
//!
//! The record API suits these files well (thousands of rows, nested image structs) and keeps
//! Arrow, a much larger dependency, out of the build.

use std::fs::File;
use std::panic::{AssertUnwindSafe, catch_unwind};

use ::parquet::file::reader::{FileReader, SerializedFileReader};
use ::parquet::record::reader::RowIter;
use ::parquet::record::{Field, Row};
use ::parquet::schema::types::Type;

use super::{Layout, ReadSpec, RecordSink};
use crate::error::{DataError, Location, Unit};
use crate::record::{Cell, Record};

/// Reads one parquet file.
pub fn read(spec: &ReadSpec<'_>, sink: &mut dyn RecordSink) -> Result<usize, DataError> {
    let path = spec.full_path();
    let file = File::open(&path).map_err(|e| DataError::io(spec.file, e))?;
    let reader = SerializedFileReader::new(file).map_err(|e| {
        DataError::format(
            Location::file(spec.file),
            format!("not a readable parquet file (truncated or damaged?): {e}"),
        )
    })?;
    let schema = reader.metadata().file_metadata().schema();
    let names: Vec<&str> = schema.get_fields().iter().map(|f| f.name()).collect();
    spec.check_columns(Layout::Parquet, names.iter().copied())?;
    let projection = Type::group_type_builder(schema.name())
        .with_fields(
            schema
                .get_fields()
                .iter()
                .filter(|field| spec.columns.iter().any(|c| c == field.name()))
                .cloned()
                .collect(),
        )
        .build()
        .map_err(|e| parquet_error(spec, None, &e))?;

    // The decoders are third-party code running on untrusted bytes: a damaged file must end as
    // an error naming it, never as a crash of the whole run.
    catch_unwind(AssertUnwindSafe(|| {
        read_rows(spec, &reader, &projection, sink)
    }))
    .unwrap_or_else(|_| {
        Err(DataError::format(
            Location::file(spec.file),
            "the parquet decoder failed on this file (damaged data)",
        ))
    })
}

fn read_rows(
    spec: &ReadSpec<'_>,
    reader: &SerializedFileReader<File>,
    projection: &Type,
    sink: &mut dyn RecordSink,
) -> Result<usize, DataError> {
    let label = spec.label();
    let mut rows = 0;
    for group in 0..reader.num_row_groups() {
        let group_reader = reader
            .get_row_group(group)
            .map_err(|e| parquet_error(spec, Some(rows + 1), &e))?;
        let iter = RowIter::from_row_group(Some(projection.clone()), &*group_reader)
            .map_err(|e| parquet_error(spec, Some(rows + 1), &e))?;
        for row in iter {
            let row = row.map_err(|e| parquet_error(spec, Some(rows + 1), &e))?;
            rows += 1;
            sink.record(Record {
                file: label.clone(),
                row: rows,
                unit: Unit::Row,
                key: None,
                cells: row_cells(row),
            })?;
        }
    }
    Ok(rows)
}

fn parquet_error(
    spec: &ReadSpec<'_>,
    row: Option<usize>,
    error: &::parquet::errors::ParquetError,
) -> DataError {
    let text = error.to_string();
    let message = match text.split_once("Disabled feature at compile time: ") {
        Some((_, codec)) => format!(
            "compressed with {}, which medeval does not read; Hugging Face files use Snappy \
             (re-save with pyarrow: pq.write_table(table, path, compression=\"snappy\"))",
            codec.to_uppercase()
        ),
        None => format!("cannot decode: {text}"),
    };
    let location = match row {
        Some(row) => Location::row(spec.file, Unit::Row, row),
        None => Location::file(spec.file),
    };
    DataError::format(location, message)
}

fn row_cells(row: Row) -> Vec<(String, Cell)> {
    row.into_columns()
        .into_iter()
        .map(|(name, field)| (name, field_cell(field)))
        .collect()
}

fn field_cell(field: Field) -> Cell {
    match field {
        Field::Null => Cell::Null,
        Field::Bool(b) => Cell::Bool(b),
        Field::Byte(n) => Cell::Int(n.into()),
        Field::Short(n) => Cell::Int(n.into()),
        Field::Int(n) => Cell::Int(n.into()),
        Field::Long(n) => Cell::Int(n),
        Field::UByte(n) => Cell::Int(n.into()),
        Field::UShort(n) => Cell::Int(n.into()),
        Field::UInt(n) => Cell::Int(n.into()),
        Field::ULong(n) => i64::try_from(n).map_or_else(|_| Cell::Text(n.to_string()), Cell::Int),
        Field::Float16(x) => Cell::Float(f64::from(x)),
        Field::Float(x) => Cell::Float(x.into()),
        Field::Double(x) => Cell::Float(x),
        Field::Str(s) => Cell::Text(s),
        Field::Bytes(bytes) => Cell::Bytes(bytes.data().into()),
        Field::Group(row) => Cell::Struct(row_cells(row)),
        Field::ListInternal(list) => {
            Cell::List(list.elements().iter().cloned().map(field_cell).collect())
        }
        Field::MapInternal(map) => Cell::Struct(
            map.entries()
                .iter()
                .map(|(key, value)| (field_text(key), field_cell(value.clone())))
                .collect(),
        ),
        // Decimals, dates and times are never read as answers or images; their text form is
        // enough for metadata.
        other => Cell::Text(other.to_string()),
    }
}

/// A map key as plain text (the record API's display quotes strings).
fn field_text(field: &Field) -> String {
    match field {
        Field::Str(s) => s.clone(),
        other => other.to_string(),
    }
}
