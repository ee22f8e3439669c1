//! Line numbering, blanks, BOM and `file:line` errors of JSON Lines, shared by every JSONL format.

use std::io::{BufRead, Lines};
use std::iter::Enumerate;
use std::path::Path;

use serde_json::Value;

use crate::error::{DataError, Location};

/// The JSON values of a JSON Lines text with their 1-based line numbers, blank lines skipped.
///
/// A UTF-8 byte-order mark at the start of the first line is dropped, as the CSV and TSV readers
/// drop it from their header. Errors name `path` and the line: a line that is not UTF-8, a line
/// that is not JSON (with serde's message and column), or a failed read.
pub(crate) struct JsonLines<'p, R> {
    lines: Enumerate<Lines<R>>,
    path: &'p Path,
    trim: bool,
}

impl<'p, R: BufRead> JsonLines<'p, R> {
    /// Parses each line as written (JSON's own whitespace around the value is allowed).
    pub(crate) fn new(reader: R, path: &'p Path) -> Self {
        Self {
            lines: reader.lines().enumerate(),
            path,
            trim: false,
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
}

impl<R: BufRead> Iterator for JsonLines<'_, R> {
    type Item = Result<(usize, Value), DataError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let (index, line) = self.lines.next()?;
            let line_no = index + 1;
            let line = match line {
                Ok(line) => line,
                Err(e) => {
                    return Some(Err(match e.kind() {
                        std::io::ErrorKind::InvalidData => DataError::invalid(
                            Location::line(self.path, line_no),
                            "line is not valid UTF-8",
                        ),
                        _ => DataError::io(self.path, e),
                    }));
                }
            };
            let text = match index {
                0 => line.strip_prefix('\u{feff}').unwrap_or(&line),
                _ => &line,
            };
            if text.trim().is_empty() {
                continue;
            }
            let text = if self.trim { text.trim() } else { text };
            return Some(
                serde_json::from_str(text)
                    .map(|value| (line_no, value))
                    .map_err(|e| DataError::Json {
                        location: Location::line(self.path, line_no),
                        message: json_error_message(&e),
                    }),
            );
        }
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
    fn trimmed_lines_are_parsed_without_their_padding() {
        let text = "\u{a0}{\"a\": 1}\u{3000}\n".as_bytes();
        assert!(read(text).is_err());
        let values = JsonLines::trimmed(text, Path::new("f.jsonl"))
            .collect::<Result<Vec<_>, _>>()
            .unwrap();
        assert_eq!(values, vec![(1, serde_json::json!({"a": 1}))]);
    }
}
