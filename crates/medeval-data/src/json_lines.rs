//! Line numbering, blanks, BOM, the line-length cap and `file:line` errors of JSON Lines, shared
//! by every JSONL format.

use std::io::BufRead;
use std::path::Path;

use medeval_core::limits::{MAX_JSON_LINE_BYTES, byte_size};
use serde_json::Value;

use crate::error::{DataError, Location};

/// The JSON values of a JSON Lines text with their 1-based line numbers, blank lines skipped.
///
/// A UTF-8 byte-order mark at the start of the first line is dropped, as the CSV and TSV readers
/// drop it from their header. Errors name `path` and the line: a line that is not UTF-8, a line
/// that is not JSON (with serde's message and column), a line longer than
/// [`MAX_JSON_LINE_BYTES`], or a failed read. A line is read into memory only up to the cap: the
/// rest of an over-long line is skipped unread into memory, so one bad line costs no more than
/// the cap and the lines after it keep their numbers.
pub(crate) struct JsonLines<'p, R> {
    reader: R,
    path: &'p Path,
    trim: bool,
    /// Lines read so far.
    line_no: usize,
    /// The longest line accepted, in bytes (without its line ending).
    max_line: usize,
    /// The current line's bytes.
    buffer: Vec<u8>,
}

/// What reading one line found.
enum Line {
    /// The line is in the buffer, without its line ending.
    Read,
    /// The line was longer than the cap; it was skipped.
    TooLong,
}

impl<'p, R: BufRead> JsonLines<'p, R> {
    /// Parses each line as written (JSON's own whitespace around the value is allowed).
    pub(crate) fn new(reader: R, path: &'p Path) -> Self {
        Self {
            reader,
            path,
            trim: false,
            line_no: 0,
            max_line: MAX_JSON_LINE_BYTES,
            buffer: Vec::new(),
        }
    }

    /// Parses each line with surrounding whitespace (as [`str::trim`] defines it) removed first,
    /// as the native items reader always has; error columns then count from the first
    /// non-blank character.
    pub(crate) fn trimmed(reader: R, path: &'p Path) -> Self {
        Self {
            trim: true,
            ..Self::new(reader, path)
        }
    }

    /// The same reader with another line cap (tests use a small one).
    #[cfg(test)]
    fn with_max_line(self, max_line: usize) -> Self {
        Self { max_line, ..self }
    }

    /// Reads the next line into `buffer` (or skips it when it is too long); `None` at the end.
    fn read_line(&mut self) -> Option<std::io::Result<Line>> {
        self.buffer.clear();
        let mut started = false;
        let mut too_long = false;
        loop {
            let available = match self.reader.fill_buf() {
                Ok(available) => available,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Some(Err(e)),
            };
            if available.is_empty() {
                break;
            }
            started = true;
            let newline = available.iter().position(|&b| b == b'\n');
            let chunk = &available[..newline.unwrap_or(available.len())];
            if !too_long {
                // One byte more than the cap may be a `\r` of the line ending.
                if self.buffer.len() + chunk.len() > self.max_line.saturating_add(1) {
                    too_long = true;
                    self.buffer = Vec::new();
                } else {
                    self.buffer.extend_from_slice(chunk);
                }
            }
            let used = newline.map_or(available.len(), |at| at + 1);
            self.reader.consume(used);
            if newline.is_some() {
                break;
            }
        }
        if !started {
            return None;
        }
        self.line_no += 1;
        if self.buffer.last() == Some(&b'\r') {
            self.buffer.pop();
        }
        if too_long || self.buffer.len() > self.max_line {
            self.buffer = Vec::new();
            return Some(Ok(Line::TooLong));
        }
        Some(Ok(Line::Read))
    }
}

/// Why one line of a JSON Lines text yielded no value, and whether the lines after it are worth
/// reading.
pub(crate) enum LineError {
    /// Only this line is wrong (not UTF-8, not JSON); the next line can be read as usual, so a
    /// reader that lists every problem goes on.
    Line(DataError),
    /// Reading stops here: a failed read leaves nothing to go on with, and a line over the cap
    /// usually means the file is not JSON Lines at all (a binary file, a whole JSON array on one
    /// line), so whatever the lines after it say would be noise.
    Fatal(DataError),
}

impl LineError {
    /// The error, whether or not reading could go on.
    pub(crate) fn into_error(self) -> DataError {
        match self {
            Self::Line(error) | Self::Fatal(error) => error,
        }
    }
}

impl<R: BufRead> JsonLines<'_, R> {
    /// The next non-blank line's value, or why it has none; `None` at the end.
    ///
    /// [`Iterator::next`] gives the same results with the kind of failure erased, for readers
    /// that stop at the first problem anyway.
    pub(crate) fn next_line(&mut self) -> Option<Result<(usize, Value), LineError>> {
        loop {
            let read = self.read_line()?;
            let line_no = self.line_no;
            match read {
                Ok(Line::Read) => {}
                Ok(Line::TooLong) => {
                    return Some(Err(LineError::Fatal(DataError::invalid(
                        Location::line(self.path, line_no),
                        format!(
                            "line is longer than {}, the limit for one JSON Lines line; \
                             keep large data (base64 images) in files and name them instead",
                            byte_size(self.max_line as u64)
                        ),
                    ))));
                }
                Err(e) => return Some(Err(LineError::Fatal(DataError::io(self.path, e)))),
            }
            let Ok(line) = std::str::from_utf8(&self.buffer) else {
                return Some(Err(LineError::Line(DataError::invalid(
                    Location::line(self.path, line_no),
                    "line is not valid UTF-8",
                ))));
            };
            let text = match line_no {
                1 => line.strip_prefix('\u{feff}').unwrap_or(line),
                _ => line,
            };
            if text.trim().is_empty() {
                continue;
            }
            let text = if self.trim { text.trim() } else { text };
            return Some(
                serde_json::from_str(text)
                    .map(|value| (line_no, value))
                    .map_err(|e| {
                        LineError::Line(DataError::Json {
                            location: Location::line(self.path, line_no),
                            message: json_error_message(&e),
                        })
                    }),
            );
        }
    }
}

impl<R: BufRead> Iterator for JsonLines<'_, R> {
    type Item = Result<(usize, Value), DataError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_line()
            .map(|result| result.map_err(LineError::into_error))
    }
}

/// serde_json's message without its own "at line 1 column N" (every line is line 1 to it).
pub(crate) fn json_error_message(err: &serde_json::Error) -> String {
    let message = err.to_string();
    let message = message
        .find(" at line ")
        .map_or(message.as_str(), |at| &message[..at]);
    format!("{message} (column {})", err.column())
}

#[cfg(test)]
mod tests {
    // In tests a failed unwrap is a failed test, with its message.
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn read(text: &[u8]) -> Result<Vec<(usize, Value)>, String> {
        JsonLines::new(text, Path::new("f.jsonl"))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| e.to_string())
    }

    #[test]
    fn numbers_lines_and_skips_blank_ones() {
        let values = read(b"{\"a\": 1}\n\n  \r\n[2]\r\n").unwrap();
        assert_eq!(
            values,
            vec![
                (1, serde_json::json!({"a": 1})),
                (4, serde_json::json!([2]))
            ]
        );
    }

    #[test]
    fn a_leading_byte_order_mark_is_dropped_only_at_the_start() {
        assert_eq!(
            read(b"\xEF\xBB\xBF{\"a\": 1}\n").unwrap(),
            vec![(1, serde_json::json!({"a": 1}))]
        );
        assert_eq!(
            read(b"\xEF\xBB\xBF\n7\n").unwrap(),
            vec![(2, serde_json::json!(7))]
        );
        assert_eq!(
            read(b"1\n\xEF\xBB\xBF2\n").unwrap_err(),
            "f.jsonl:2: not valid JSON: expected value (column 1)"
        );
    }

    #[test]
    fn errors_name_the_file_and_line() {
        assert_eq!(
            read(b"1\n{\"a\":\n").unwrap_err(),
            "f.jsonl:2: not valid JSON: EOF while parsing a value (column 5)"
        );
        assert_eq!(
            read(b"1\n\xff\n").unwrap_err(),
            "f.jsonl:2: line is not valid UTF-8"
        );
    }

    #[test]
    fn a_line_over_the_cap_is_an_error_naming_file_and_line_and_the_next_lines_keep_their_numbers()
    {
        let text = format!("[1]\n[\"{}\"]\r\n\n[3]\n", "x".repeat(40));
        let results: Vec<Result<(usize, Value), String>> =
            JsonLines::new(text.as_bytes(), Path::new("f.jsonl"))
                .with_max_line(32)
                .map(|r| r.map_err(|e| e.to_string()))
                .collect();
        assert_eq!(
            results,
            vec![
                Ok((1, serde_json::json!([1]))),
                Err(
                    "f.jsonl:2: line is longer than 32 bytes, the limit for one JSON Lines \
                     line; keep large data (base64 images) in files and name them instead"
                        .to_owned()
                ),
                Ok((4, serde_json::json!([3]))),
            ]
        );
        // Exactly at the cap is accepted; the line ending does not count.
        let at_cap = format!("[\"{}\"]\r\n", "y".repeat(28));
        let values = JsonLines::new(at_cap.as_bytes(), Path::new("f.jsonl"))
            .with_max_line(32)
            .collect::<Result<Vec<_>, _>>()
            .unwrap();
        assert_eq!(values.len(), 1);
    }

    #[test]
    fn a_last_line_without_a_line_ending_is_read() {
        assert_eq!(
            read(b"1\n2").unwrap(),
            vec![(1, serde_json::json!(1)), (2, serde_json::json!(2))]
        );
        assert_eq!(read(b"").unwrap(), vec![]);
    }

    #[test]
    fn trimmed_lines_are_parsed_without_their_padding() {
        let text = "\u{a0}{\"a\": 1}\u{3000}\n".as_bytes();
        assert!(read(text).is_err());
        let values = JsonLines::trimmed(text, Path::new("f.jsonl"))
            .collect::<Result<Vec<_>, _>>()
            .unwrap();
        assert_eq!(values, vec![(1, serde_json::json!({"a": 1}))]);
    }
}
