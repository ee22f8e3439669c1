//! VLMEvalKit's TSV: one file per benchmark, images as base64 cells.
//!
//! Columns: `index` (unique), `image` (base64 of the image file; or, when at most 64 characters,
//! the `index` of another row whose image it reuses; or a Python-style list of base64 strings for
//! several images), `question`, optional `hint`, option columns `A`..`Z`, `answer`, and
//! benchmark-specific metadata. Quoting follows pandas: a field holding a tab, a newline or a
//! double quote is wrapped in double quotes, with inner quotes doubled.
//!
//! These files reach several gigabytes, nearly all of it image data. The reader streams the file
//! once, keeps only the byte range of each image (checking on the way that it is base64 of a PNG
//! or JPEG), and reads and decodes an image from disk only when its request is built.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use base64::Engine as _;
use medeval_core::{Image, ImageSource};

use super::{Layout, ReadSpec, RecordSink};
use crate::error::{DataError, Location, Unit};
use crate::record::{Cell, Record};

/// The column holding images.
const IMAGE_COLUMN: &str = "image";
/// The column other rows' image references point at.
const INDEX_COLUMN: &str = "index";
/// VLMEvalKit reads an image cell of at most this many characters as a reference to another row.
const MAX_REFERENCE_LEN: usize = 64;

/// Reads one TSV file.
pub fn read(spec: &ReadSpec<'_>, sink: &mut dyn RecordSink) -> Result<usize, DataError> {
    let path = spec.full_path();
    let file = File::open(&path).map_err(|e| DataError::io(spec.file, e))?;
    let mut lines = RecordReader::new(BufReader::with_capacity(1 << 20, file), spec.file);
    let header = lines.next_record()?.ok_or_else(|| {
        DataError::format(Location::file(spec.file), "empty file (no header row)")
    })?;
    let columns: Vec<String> = header
        .iter()
        .enumerate()
        .map(|(i, field)| {
            let name = String::from_utf8_lossy(&field.bytes).into_owned();
            if i == 0 {
                name.trim_start_matches('\u{feff}').to_owned()
            } else {
                name
            }
        })
        .collect();
    spec.check_columns(Layout::VlmevalkitTsv, columns.iter().map(String::as_str))?;
    let image_column = columns.iter().position(|c| c == IMAGE_COLUMN);
    let index_column = columns.iter().position(|c| c == INDEX_COLUMN);
    let source = Arc::new(TsvFile {
        path,
        label: spec.file.display().to_string(),
    });

    // First pass: every row, with images as byte ranges and references pending, because a row
    // may reuse the image of a row further down.
    let mut rows: Vec<(Record, Option<Reference>)> = Vec::new();
    let mut images_by_index: HashMap<String, Cell> = HashMap::new();
    let label = spec.label();
    while let Some(fields) = lines.next_record()? {
        let row = rows.len() + 1;
        let location = Location::row(spec.file, Unit::Row, row);
        if fields.len() != columns.len() {
            return Err(DataError::format(
                location,
                format!(
                    "has {} fields where the header has {}",
                    fields.len(),
                    columns.len()
                ),
            ));
        }
        let mut cells = Vec::with_capacity(columns.len());
        let mut reference = None;
        for (column, (name, field)) in columns.iter().zip(&fields).enumerate() {
            let at = || location.clone().with_field(name.as_str());
            let cell = if Some(column) == image_column {
                match image_cell(&source, field, row, at)? {
                    ImageCell::Images(cell) => cell,
                    ImageCell::Reference(key) => {
                        reference = Some(Reference { key, row });
                        Cell::Null
                    }
                }
            } else {
                Cell::Text(field.text(at)?)
            };
            cells.push((name.clone(), cell));
        }
        if let (Some(index), Some(image)) = (index_column, image_column) {
            if reference.is_none() {
                let key = cells[index].1.scalar_text().unwrap_or_default();
                images_by_index.insert(key.trim().to_owned(), cells[image].1.clone());
            }
        }
        rows.push((
            Record {
                file: label.clone(),
                row,
                unit: Unit::Row,
                key: None,
                cells,
            },
            reference,
        ));
    }

    let count = rows.len();
    for (mut record, reference) in rows {
        if let (Some(reference), Some(image)) = (reference, image_column) {
            let resolved = images_by_index.get(&reference.key).ok_or_else(|| {
                DataError::invalid(
                    record.at(IMAGE_COLUMN),
                    format!(
                        "refers to the image of index {:?}, but no row with that index holds an image",
                        reference.key
                    ),
                )
            })?;
            record.cells[image].1 = resolved.clone();
        }
        sink.record(record)?;
    }
    Ok(count)
}

/// An image cell that names another row's image.
struct Reference {
    key: String,
    #[allow(dead_code)]
    row: usize,
}

enum ImageCell {
    /// Null (no image), one image, or a list of images.
    Images(Cell),
    /// The `index` of the row whose image this row reuses.
    Reference(String),
}

fn image_cell(
    source: &Arc<TsvFile>,
    field: &RawField,
    row: usize,
    at: impl Fn() -> Location,
) -> Result<ImageCell, DataError> {
    let content = trim_ascii(&field.bytes);
    if content.is_empty() {
        return Ok(ImageCell::Images(Cell::Null));
    }
    if content.len() <= MAX_REFERENCE_LEN {
        return Ok(ImageCell::Reference(
            String::from_utf8_lossy(content).trim().to_owned(),
        ));
    }
    let origin = format!("{}: row {row}", source.label);
    if content.first() == Some(&b'[') {
        // A Python-style list of base64 strings: ['iVBOR...', '/9j/...'].
        let mut images = Vec::new();
        for (number, (start, end)) in quoted_elements(&field.bytes).into_iter().enumerate() {
            let element = &field.bytes[start..end];
            let image = base64_image(
                source,
                field,
                start,
                element,
                &format!("{origin}, image {}", number + 1),
            )
            .map_err(|message| {
                DataError::invalid(at(), format!("list element {}: {message}", number + 1))
            })?;
            images.push(Cell::Image(image));
        }
        if images.is_empty() {
            return Err(DataError::invalid(
                at(),
                "starts with `[` but holds no quoted base64 strings",
            ));
        }
        return Ok(ImageCell::Images(Cell::List(images)));
    }
    let start = content.as_ptr() as usize - field.bytes.as_ptr() as usize;
    base64_image(source, field, start, content, &origin)
        .map(|image| ImageCell::Images(Cell::Image(image)))
        .map_err(|message| DataError::invalid(at(), message))
}

/// One image from base64 text at `start..` within `field`: a deferred byte range when the field
/// was copied verbatim from the file, decoded bytes otherwise.
fn base64_image(
    source: &Arc<TsvFile>,
    field: &RawField,
    start: usize,
    text: &[u8],
    origin: &str,
) -> Result<Image, String> {
    if let Some(bad) = text.iter().position(|b| !is_base64_byte(*b)) {
        return Err(format!(
            "is neither base64 image data nor an index reference (unexpected {:?} at character {})",
            char::from(text[bad]),
            bad + 1
        ));
    }
    // Decode a prefix to check that this is an image medeval can send.
    let prefix_len = (text.len().min(64) / 4) * 4;
    let prefix = base64::engine::general_purpose::STANDARD
        .decode(&text[..prefix_len])
        .map_err(|e| format!("is not valid base64: {e}"))?;
    if !(prefix.starts_with(b"\x89PNG") || prefix.starts_with(b"\xff\xd8\xff")) {
        return Err("is base64 but not of a PNG or JPEG image".to_owned());
    }
    if field.verbatim {
        return Ok(Image::Deferred(Arc::new(Base64Span {
            file: Arc::clone(source),
            offset: field.start + start as u64,
            len: text.len() as u64,
            origin: origin.to_owned(),
        })));
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|e| format!("is not valid base64: {e}"))?;
    Ok(Image::Bytes {
        bytes: bytes.into(),
        origin: origin.to_owned(),
    })
}

fn is_base64_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=')
}

/// Byte ranges of the single- or double-quoted strings inside a Python-style list.
fn quoted_elements(text: &[u8]) -> Vec<(usize, usize)> {
    let mut ranges = Vec::new();
    let mut i = 0;
    while i < text.len() {
        let quote = text[i];
        if quote == b'\'' || quote == b'"' {
            let start = i + 1;
            let end = text[start..]
                .iter()
                .position(|b| *b == quote)
                .map_or(text.len(), |p| start + p);
            ranges.push((start, end));
            i = end + 1;
        } else {
            i += 1;
        }
    }
    ranges
}

fn trim_ascii(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(start, |p| p + 1);
    &bytes[start..end]
}

/// The TSV file images are read back from.
#[derive(Debug)]
struct TsvFile {
    path: PathBuf,
    label: String,
}

/// Base64 text at a byte range of a TSV file.
#[derive(Debug)]
struct Base64Span {
    file: Arc<TsvFile>,
    offset: u64,
    len: u64,
    origin: String,
}

impl ImageSource for Base64Span {
    fn read(&self) -> Result<Vec<u8>, String> {
        let mut file = File::open(&self.file.path).map_err(|e| e.to_string())?;
        file.seek(SeekFrom::Start(self.offset))
            .map_err(|e| e.to_string())?;
        let len = usize::try_from(self.len).map_err(|e| e.to_string())?;
        let mut text = vec![0; len];
        file.read_exact(&mut text)
            .map_err(|e| format!("{} (was the file changed since it was read?)", e))?;
        base64::engine::general_purpose::STANDARD
            .decode(&text)
            .map_err(|e| format!("not valid base64: {e}"))
    }

    fn describe(&self) -> String {
        self.origin.clone()
    }
}

/// One field of a record with where its content lies in the file.
#[derive(Debug)]
struct RawField {
    /// The field's content, quotes removed and doubled quotes undone.
    bytes: Vec<u8>,
    /// Absolute offset in the file of the first content byte.
    start: u64,
    /// Whether `bytes` is a verbatim copy of the file at `start..` (no doubled quotes undone).
    verbatim: bool,
}

impl RawField {
    fn text(&self, at: impl Fn() -> Location) -> Result<String, DataError> {
        String::from_utf8(self.bytes.clone())
            .map_err(|_| DataError::invalid(at(), "is not valid UTF-8"))
    }
}

/// Splits a byte stream into TSV records, following pandas' quoting.
struct RecordReader<'p, R> {
    reader: R,
    file: &'p Path,
    /// Absolute offset of the next unread byte.
    offset: u64,
    buffer: Vec<u8>,
}

impl<'p, R: BufRead> RecordReader<'p, R> {
    fn new(reader: R, file: &'p Path) -> Self {
        Self {
            reader,
            file,
            offset: 0,
            buffer: Vec::new(),
        }
    }

    /// The next record's fields, or `None` at the end of the file. Blank lines are skipped.
    fn next_record(&mut self) -> Result<Option<Vec<RawField>>, DataError> {
        loop {
            self.buffer.clear();
            let start = self.offset;
            if !self.read_line()? {
                return Ok(None);
            }
            // A quoted field may hold newlines: read on until the record is whole.
            loop {
                match split_fields(&self.buffer, start) {
                    Ok(fields) => {
                        if fields.len() == 1 && fields[0].bytes.is_empty() {
                            break; // a blank line
                        }
                        return Ok(Some(fields));
                    }
                    Err(Split::OpenQuote) => {
                        if !self.read_line()? {
                            return Err(DataError::format(
                                Location::file(self.file),
                                format!("a quoted field starting near byte {start} never ends"),
                            ));
                        }
                    }
                    Err(Split::TextAfterQuote(at)) => {
                        return Err(DataError::format(
                            Location::file(self.file),
                            format!("text after a closing quote at byte {}", start + at as u64),
                        ));
                    }
                }
            }
        }
    }

    /// Appends one physical line to the buffer; false at the end of the file.
    fn read_line(&mut self) -> Result<bool, DataError> {
        let n = self
            .reader
            .read_until(b'\n', &mut self.buffer)
            .map_err(|e| DataError::io(self.file, e))?;
        self.offset += n as u64;
        Ok(n > 0)
    }
}

enum Split {
    OpenQuote,
    TextAfterQuote(usize),
}

/// Splits one record (with its line ending) into fields; `base` is its offset in the file.
fn split_fields(line: &[u8], base: u64) -> Result<Vec<RawField>, Split> {
    let mut end = line.len();
    if end > 0 && line[end - 1] == b'\n' {
        end -= 1;
    }
    if end > 0 && line[end - 1] == b'\r' {
        end -= 1;
    }
    let line = &line[..end];
    let mut fields = Vec::new();
    let mut i = 0;
    loop {
        if line.get(i) == Some(&b'"') {
            let start = i + 1;
            let mut bytes = Vec::new();
            let mut j = start;
            let mut verbatim = true;
            loop {
                match line[j..].iter().position(|b| *b == b'"') {
                    None => return Err(Split::OpenQuote),
                    Some(p) => {
                        bytes.extend_from_slice(&line[j..j + p]);
                        j += p;
                        if line.get(j + 1) == Some(&b'"') {
                            bytes.push(b'"');
                            verbatim = false;
                            j += 2;
                        } else {
                            j += 1;
                            break;
                        }
                    }
                }
            }
            fields.push(RawField {
                bytes,
                start: base + start as u64,
                verbatim,
            });
            match line.get(j) {
                None => break,
                Some(b'\t') => i = j + 1,
                Some(_) => return Err(Split::TextAfterQuote(j)),
            }
        } else {
            let stop = line[i..]
                .iter()
                .position(|b| *b == b'\t')
                .map_or(line.len(), |p| i + p);
            fields.push(RawField {
                bytes: line[i..stop].to_vec(),
                start: base + i as u64,
                verbatim: true,
            });
            if stop == line.len() {
                break;
            }
            i = stop + 1;
        }
    }
    Ok(fields)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_follow_pandas_quoting() {
        let fields = split_fields(b"1\t\"a\tb\"\t\"say \"\"hi\"\"\"\t\r\n", 100)
            .ok()
            .unwrap();
        let texts: Vec<&[u8]> = fields.iter().map(|f| f.bytes.as_slice()).collect();
        assert_eq!(texts, vec![&b"1"[..], b"a\tb", b"say \"hi\"", b""]);
        assert_eq!(fields[1].start, 103);
        assert!(fields[1].verbatim && !fields[2].verbatim);
        assert!(matches!(
            split_fields(b"\"open\tfield\n", 0),
            Err(Split::OpenQuote)
        ));
    }

    #[test]
    fn list_elements_are_found_by_their_quotes() {
        let text = b"['iVBOR', \"/9j/\"]";
        let ranges = quoted_elements(text);
        assert_eq!(ranges, vec![(2, 7), (11, 15)]);
        assert_eq!(&text[2..7], b"iVBOR");
    }
}
