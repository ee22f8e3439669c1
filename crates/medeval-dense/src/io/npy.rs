//! NumPy `.npy` arrays (format versions 1.0, 2.0 and 3.0), as fastMRI-style pipelines save
//! reconstructions: `np.save("case.npy", volume)` with `volume` of shape (slices, height, width).
//!
//! The header is a Python dictionary literal with three keys (`descr`, `fortran_order`,
//! `shape`); it is parsed by a small reader of exactly those literals, never evaluated. Real
//! and integer types of either byte order and `bool` are read; complex, float16, object and
//! structured arrays are refused with the field named. The element count the header claims is
//! checked against the file's size before anything is allocated, so a tiny file cannot ask for
//! gigabytes.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use super::ReadError;
use super::decode::{ByteOrder, SampleType, read_f64_samples};
use crate::volume::{AxisOrder, IntensityImage, first_axis_fastest};

const MAGIC: &[u8; 6] = b"\x93NUMPY";
/// Longest header accepted (NumPy itself refuses headers over 10 000 bytes by default).
const MAX_HEADER: usize = 1 << 20;

/// The parsed header: element type, layout and shape.
#[derive(Debug, Clone, PartialEq)]
struct Header {
    sample: SampleType,
    order: ByteOrder,
    fortran_order: bool,
    shape: Vec<usize>,
}

/// Reads a `.npy` file into an image whose axes are the array's own.
pub fn read(path: &Path) -> Result<IntensityImage, ReadError> {
    let io = |source| ReadError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = File::open(path).map_err(io)?;
    let file_len = file.metadata().map_err(io)?.len();
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let mut prefix = [0u8; 12];
    let got = super::fill(&mut reader, &mut prefix[..10]).map_err(io)?;
    if got < 10 || &prefix[..6] != MAGIC {
        return Err(ReadError::BadMagic {
            path: path.to_path_buf(),
            format: "NumPy .npy",
            detail: "the file does not start with \\x93NUMPY".into(),
        });
    }
    let (major, minor) = (prefix[6], prefix[7]);
    let (header_len, prefix_len) = match major {
        1 => (usize::from(u16::from_le_bytes([prefix[8], prefix[9]])), 10),
        2 | 3 => {
            if super::fill(&mut reader, &mut prefix[10..12]).map_err(io)? < 2 {
                return Err(truncated_header(path, 12, file_len));
            }
            let len = u32::from_le_bytes([prefix[8], prefix[9], prefix[10], prefix[11]]);
            (usize::try_from(len).unwrap_or(usize::MAX), 12)
        }
        _ => {
            return Err(ReadError::Unsupported {
                path: path.to_path_buf(),
                what: format!(
                    "NumPy format version {major}.{minor} (versions 1.0, 2.0 and 3.0 are read)"
                ),
            });
        }
    };
    if header_len > MAX_HEADER {
        return Err(header_error(
            path,
            "header length",
            format!("{header_len} bytes; headers longer than {MAX_HEADER} bytes are refused"),
        ));
    }
    let data_offset = (prefix_len + header_len) as u64;
    if data_offset > file_len {
        return Err(truncated_header(path, data_offset, file_len));
    }
    let mut raw = vec![0u8; header_len];
    reader.read_exact(&mut raw).map_err(io)?;
    // Version 1 and 2 headers are latin-1, version 3 UTF-8; the literals read here are ASCII.
    let text = String::from_utf8_lossy(&raw);
    let header = parse_header(path, &text)?;

    let count = header
        .shape
        .iter()
        .try_fold(1usize, |acc, &n| acc.checked_mul(n));
    let bytes = count.and_then(|c| c.checked_mul(header.sample.size()));
    let available = file_len - data_offset;
    let bytes = match bytes {
        Some(bytes) if bytes as u64 <= available => bytes,
        _ => {
            return Err(header_error(
                path,
                "shape",
                format!(
                    "{:?} of {}-byte elements needs more data than the file's {available} bytes \
                     after the header; the file is truncated or its header is wrong",
                    header.shape,
                    header.sample.size()
                ),
            ));
        }
    };
    let count = bytes / header.sample.size();
    let (values, read) =
        read_f64_samples(&mut reader, count, header.sample, header.order, None).map_err(io)?;
    if read < bytes {
        return Err(ReadError::Truncated {
            path: path.to_path_buf(),
            expected: bytes,
            found: read,
        });
    }
    let strides = header
        .fortran_order
        .then(|| first_axis_fastest(&header.shape));
    IntensityImage::new(header.shape, strides, values, AxisOrder::NumPy).ok_or_else(|| {
        ReadError::Unsupported {
            path: path.to_path_buf(),
            what: "the number of elements does not match the shape".into(),
        }
    })
}

fn parse_header(path: &Path, text: &str) -> Result<Header, ReadError> {
    let dict = Literal::parse_dict(text)
        .map_err(|message| header_error(path, "header", format!("{message} in {text:?}")))?;
    let get = |key: &str| {
        dict.iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
            .ok_or_else(|| header_error(path, key, "missing".into()))
    };
    let descr = match get("descr")? {
        Literal::Str(s) => s.clone(),
        other => {
            return Err(header_error(
                path,
                "descr",
                format!(
                    "{other:?} is not a simple type (structured arrays are not read; save a plain numeric array)"
                ),
            ));
        }
    };
    let (sample, order) = parse_descr(path, &descr)?;
    let fortran_order = match get("fortran_order")? {
        Literal::Bool(b) => *b,
        other => {
            return Err(header_error(
                path,
                "fortran_order",
                format!("{other:?} is not True or False"),
            ));
        }
    };
    let shape = match get("shape")? {
        Literal::Tuple(values) => values.clone(),
        other => {
            return Err(header_error(
                path,
                "shape",
                format!("{other:?} is not a tuple of sizes"),
            ));
        }
    };
    if shape.len() < 2 {
        return Err(header_error(
            path,
            "shape",
            format!(
                "{shape:?} has {} axes; an image has at least 2 (height, width)",
                shape.len()
            ),
        ));
    }
    if shape.len() > 4 {
        return Err(ReadError::TooManyDimensions {
            path: path.to_path_buf(),
            dims: shape.len(),
            shape,
        });
    }
    Ok(Header {
        sample,
        order,
        fortran_order,
        shape,
    })
}

/// `'<f4'` and friends: byte order, kind and size.
fn parse_descr(path: &Path, descr: &str) -> Result<(SampleType, ByteOrder), ReadError> {
    let bad = |why: &str| header_error(path, "descr", format!("'{descr}': {why}"));
    let mut chars = descr.chars();
    let order = match chars.next() {
        Some('<') => ByteOrder::Little,
        Some('>') => ByteOrder::Big,
        Some('|') => ByteOrder::Little,
        Some('=') if cfg!(target_endian = "big") => ByteOrder::Big,
        Some('=') => ByteOrder::Little,
        _ => return Err(bad("does not start with a byte order (<, >, | or =)")),
    };
    let kind = chars.next().ok_or_else(|| bad("no type"))?;
    let size: usize = chars.as_str().parse().map_err(|_| bad("no element size"))?;
    let sample = match (kind, size) {
        ('f', 4) => SampleType::F32,
        ('f', 8) => SampleType::F64,
        ('i', 1) => SampleType::I8,
        ('i', 2) => SampleType::I16,
        ('i', 4) => SampleType::I32,
        ('i', 8) => SampleType::I64,
        ('u', 1) | ('b', 1) => SampleType::U8,
        ('u', 2) => SampleType::U16,
        ('u', 4) => SampleType::U32,
        ('u', 8) => SampleType::U64,
        ('c', _) => {
            return Err(ReadError::Unsupported {
                path: path.to_path_buf(),
                what: format!(
                    "complex array (descr '{descr}'); save the magnitude (np.abs) to score it"
                ),
            });
        }
        _ => {
            return Err(ReadError::Unsupported {
                path: path.to_path_buf(),
                what: format!("element type '{descr}' (read: float32/64, int8-64, uint8-64, bool)"),
            });
        }
    };
    Ok((sample, order))
}

/// The Python literals a `.npy` header holds.
#[derive(Debug, Clone, PartialEq)]
enum Literal {
    Str(String),
    Bool(bool),
    Tuple(Vec<usize>),
    Other(String),
}

impl Literal {
    /// Parses `{'key': value, ...}` into its entries in order.
    fn parse_dict(text: &str) -> Result<Vec<(String, Literal)>, String> {
        let mut p = Cursor {
            s: text.as_bytes(),
            at: 0,
        };
        p.expect(b'{')?;
        let mut out = Vec::new();
        loop {
            p.skip_ws();
            if p.eat(b'}') {
                return Ok(out);
            }
            let key = p.string()?;
            p.skip_ws();
            p.expect(b':')?;
            p.skip_ws();
            let value = p.value()?;
            out.push((key, value));
            p.skip_ws();
            if p.eat(b'}') {
                return Ok(out);
            }
            p.expect(b',')?;
        }
    }
}

struct Cursor<'a> {
    s: &'a [u8],
    at: usize,
}

impl Cursor<'_> {
    fn skip_ws(&mut self) {
        while self.s.get(self.at).is_some_and(u8::is_ascii_whitespace) {
            self.at += 1;
        }
    }

    fn eat(&mut self, c: u8) -> bool {
        if self.s.get(self.at) == Some(&c) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, c: u8) -> Result<(), String> {
        self.skip_ws();
        if self.eat(c) {
            Ok(())
        } else {
            Err(format!("expected '{}' at byte {}", c as char, self.at))
        }
    }

    fn string(&mut self) -> Result<String, String> {
        let quote = match self.s.get(self.at) {
            Some(&q @ (b'\'' | b'"')) => q,
            _ => return Err(format!("expected a quoted name at byte {}", self.at)),
        };
        let start = self.at + 1;
        let len = self.s[start..]
            .iter()
            .position(|&c| c == quote)
            .ok_or_else(|| format!("unterminated string at byte {}", self.at))?;
        self.at = start + len + 1;
        Ok(String::from_utf8_lossy(&self.s[start..start + len]).into_owned())
    }

    fn value(&mut self) -> Result<Literal, String> {
        match self.s.get(self.at) {
            Some(b'\'' | b'"') => self.string().map(Literal::Str),
            Some(b'(') => self.tuple().map(Literal::Tuple),
            Some(_) => {
                let start = self.at;
                let mut depth = 0i32;
                while let Some(&c) = self.s.get(self.at) {
                    match c {
                        b'[' | b'(' | b'{' => depth += 1,
                        b']' | b')' | b'}' if depth > 0 => depth -= 1,
                        b',' | b'}' if depth == 0 => break,
                        _ => {}
                    }
                    self.at += 1;
                }
                let word = String::from_utf8_lossy(&self.s[start..self.at])
                    .trim()
                    .to_string();
                Ok(match word.as_str() {
                    "True" => Literal::Bool(true),
                    "False" => Literal::Bool(false),
                    _ => Literal::Other(word),
                })
            }
            None => Err("the header ends inside the dictionary".into()),
        }
    }

    fn tuple(&mut self) -> Result<Vec<usize>, String> {
        self.expect(b'(')?;
        let mut values = Vec::new();
        loop {
            self.skip_ws();
            if self.eat(b')') {
                return Ok(values);
            }
            let start = self.at;
            while self.s.get(self.at).is_some_and(u8::is_ascii_digit) {
                self.at += 1;
            }
            let digits = std::str::from_utf8(&self.s[start..self.at]).unwrap_or_default();
            let value: usize = digits
                .parse()
                .map_err(|_| format!("expected a size at byte {start}"))?;
            values.push(value);
            // Python 2 wrote long integers with an L suffix.
            self.eat(b'L');
            self.skip_ws();
            if self.eat(b')') {
                return Ok(values);
            }
            self.expect(b',')?;
        }
    }
}

fn header_error(path: &Path, field: &str, message: String) -> ReadError {
    ReadError::Header {
        path: path.to_path_buf(),
        field: field.into(),
        message,
    }
}

fn truncated_header(path: &Path, needed: u64, file_len: u64) -> ReadError {
    header_error(
        path,
        "header length",
        format!("the header needs {needed} bytes but the file has {file_len}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn npy(version: u8, dict: &str, data: &[u8]) -> Vec<u8> {
        let mut out = MAGIC.to_vec();
        out.extend([version, 0]);
        let mut header = dict.to_string();
        let prefix = if version == 1 { 10 } else { 12 };
        while (prefix + header.len() + 1) % 64 != 0 {
            header.push(' ');
        }
        header.push('\n');
        if version == 1 {
            out.extend((header.len() as u16).to_le_bytes());
        } else {
            out.extend((header.len() as u32).to_le_bytes());
        }
        out.extend(header.as_bytes());
        out.extend(data);
        out
    }

    fn write(bytes: &[u8]) -> tempfile::NamedTempFile {
        let mut file = tempfile::Builder::new()
            .suffix(".npy")
            .tempfile()
            .expect("temp file");
        std::io::Write::write_all(&mut file, bytes).expect("write");
        file
    }

    #[test]
    fn big_endian_fortran_order_int16_is_read_with_its_strides() {
        let data: Vec<u8> = [1i16, -2, 3, 4, 5, 6]
            .iter()
            .flat_map(|v| v.to_be_bytes())
            .collect();
        let file = write(&npy(
            2,
            "{'descr': '>i2', 'fortran_order': True, 'shape': (2, 3), }",
            &data,
        ));
        let image = read(file.path()).expect("readable");
        assert_eq!(image.shape, vec![2, 3]);
        assert_eq!(image.strides, vec![1, 2]);
        assert_eq!(image.values, vec![1.0, -2.0, 3.0, 4.0, 5.0, 6.0].into());
    }

    #[test]
    fn a_header_claiming_more_than_the_file_holds_is_refused_before_allocating() {
        let file = write(&npy(
            1,
            "{'descr': '<f8', 'fortran_order': False, 'shape': (100000, 100000, 100), }",
            &[0u8; 16],
        ));
        let err = read(file.path()).unwrap_err().to_string();
        assert!(
            err.contains("'shape'") && err.contains("truncated"),
            "{err}"
        );
    }

    #[test]
    fn complex_arrays_are_refused_with_advice() {
        let file = write(&npy(
            3,
            "{'descr': '<c8', 'fortran_order': False, 'shape': (2, 2), }",
            &[0u8; 32],
        ));
        let err = read(file.path()).unwrap_err().to_string();
        assert!(err.contains("np.abs"), "{err}");
    }

    #[test]
    fn python2_long_sizes_and_double_quotes_parse() {
        let dict = Literal::parse_dict(
            "{\"descr\": \"|u1\", \"fortran_order\": False, \"shape\": (3L, 4L), }",
        )
        .expect("parses");
        assert_eq!(dict[2].1, Literal::Tuple(vec![3, 4]));
    }
}
