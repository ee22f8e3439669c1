//! A bounded reader for the part of a DICOM file (PS3.10) that the builder needs.
//!
//! Every length in a DICOM file is declared by the file itself, and a general-purpose parser
//! allocates what an element declares before reading it: a 700-byte file whose header declares a
//! 4 GB element costs 4 GB of memory before the read fails. This reader never allocates or skips on
//! a declared length alone:
//!
//! - every length is checked against the bytes left in the file before anything is read or
//!   skipped, so what is read is bounded by the file's size;
//! - only the few top-level header fields the builder uses are read, each at most
//!   [`MAX_VALUE_LEN`] bytes; everything else, sequences included, is skipped without being
//!   decoded, and sequences may nest at most [`MAX_DEPTH`] deep;
//! - parsing stops at Pixel Data, whose position and length are recorded so that one frame can be
//!   read later, with sizes checked against the header and the file first (see `pixels.rs`).
//!
//! Data sets are read in implicit and explicit VR little endian, the encoding of every standard
//! transfer syntax except big endian and the deflated ones; a sequence of undefined length with VR
//! UN is read as implicit VR little endian, as PS3.5 section 6.2.2 requires.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use crate::scan::SkipReason;

/// The longest header value read; longer values of the fields the builder uses are malformed.
pub const MAX_VALUE_LEN: u64 = 4096;

/// How deep sequences may nest (items within sequences within items ...).
pub const MAX_DEPTH: usize = 16;

/// The most fragments encapsulated pixel data may hold.
pub const MAX_FRAGMENTS: usize = 1 << 16;

/// A data element tag: group and element number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Tag(pub u16, pub u16);

impl std::fmt::Display for Tag {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "({:04X},{:04X})", self.0, self.1)
    }
}

/// The tags the builder reads (PS3.6), and the delimiters it walks.
pub(crate) mod tags {
    use super::Tag;

    pub const TRANSFER_SYNTAX_UID: Tag = Tag(0x0002, 0x0010);
    pub const MEDIA_STORAGE_SOP_CLASS_UID: Tag = Tag(0x0002, 0x0002);
    pub const SOP_CLASS_UID: Tag = Tag(0x0008, 0x0016);
    pub const MODALITY: Tag = Tag(0x0008, 0x0060);
    pub const BODY_PART_EXAMINED: Tag = Tag(0x0018, 0x0015);
    pub const STUDY_INSTANCE_UID: Tag = Tag(0x0020, 0x000D);
    pub const SERIES_INSTANCE_UID: Tag = Tag(0x0020, 0x000E);
    pub const INSTANCE_NUMBER: Tag = Tag(0x0020, 0x0013);
    pub const IMAGE_ORIENTATION_PATIENT: Tag = Tag(0x0020, 0x0037);
    pub const SAMPLES_PER_PIXEL: Tag = Tag(0x0028, 0x0002);
    pub const PHOTOMETRIC_INTERPRETATION: Tag = Tag(0x0028, 0x0004);
    pub const PLANAR_CONFIGURATION: Tag = Tag(0x0028, 0x0006);
    pub const NUMBER_OF_FRAMES: Tag = Tag(0x0028, 0x0008);
    pub const ROWS: Tag = Tag(0x0028, 0x0010);
    pub const COLUMNS: Tag = Tag(0x0028, 0x0011);
    pub const BITS_ALLOCATED: Tag = Tag(0x0028, 0x0100);
    pub const BITS_STORED: Tag = Tag(0x0028, 0x0101);
    pub const PIXEL_REPRESENTATION: Tag = Tag(0x0028, 0x0103);
    pub const BURNED_IN_ANNOTATION: Tag = Tag(0x0028, 0x0301);
    pub const WINDOW_CENTER: Tag = Tag(0x0028, 0x1050);
    pub const WINDOW_WIDTH: Tag = Tag(0x0028, 0x1051);
    pub const RESCALE_INTERCEPT: Tag = Tag(0x0028, 0x1052);
    pub const RESCALE_SLOPE: Tag = Tag(0x0028, 0x1053);
    pub const PIXEL_DATA: Tag = Tag(0x7FE0, 0x0010);
    pub const ITEM: Tag = Tag(0xFFFE, 0xE000);
    pub const ITEM_DELIMITATION: Tag = Tag(0xFFFE, 0xE00D);
    pub const SEQUENCE_DELIMITATION: Tag = Tag(0xFFFE, 0xE0DD);
}

/// The top-level fields read, with their value representation (used for implicit VR files and
/// for values written as UN).
const WANTED: [(Tag, [u8; 2]); 21] = [
    (tags::SOP_CLASS_UID, *b"UI"),
    (tags::MODALITY, *b"CS"),
    (tags::BODY_PART_EXAMINED, *b"CS"),
    (tags::STUDY_INSTANCE_UID, *b"UI"),
    (tags::SERIES_INSTANCE_UID, *b"UI"),
    (tags::INSTANCE_NUMBER, *b"IS"),
    (tags::IMAGE_ORIENTATION_PATIENT, *b"DS"),
    (tags::SAMPLES_PER_PIXEL, *b"US"),
    (tags::PHOTOMETRIC_INTERPRETATION, *b"CS"),
    (tags::PLANAR_CONFIGURATION, *b"US"),
    (tags::NUMBER_OF_FRAMES, *b"IS"),
    (tags::ROWS, *b"US"),
    (tags::COLUMNS, *b"US"),
    (tags::BITS_ALLOCATED, *b"US"),
    (tags::BITS_STORED, *b"US"),
    (tags::PIXEL_REPRESENTATION, *b"US"),
    (tags::BURNED_IN_ANNOTATION, *b"CS"),
    (tags::WINDOW_CENTER, *b"DS"),
    (tags::WINDOW_WIDTH, *b"DS"),
    (tags::RESCALE_INTERCEPT, *b"DS"),
    (tags::RESCALE_SLOPE, *b"DS"),
];

const IMPLICIT_VR_LITTLE_ENDIAN: &str = "1.2.840.10008.1.2";
const EXPLICIT_VR_BIG_ENDIAN: &str = "1.2.840.10008.1.2.2";
/// Transfer syntaxes whose data set is deflated (Deflated Explicit VR Little Endian, JPIP
/// Referenced Deflate, JPIP HTJ2K Referenced Deflate).
const DEFLATED: [&str; 3] = [
    "1.2.840.10008.1.2.1.99",
    "1.2.840.10008.1.2.4.95",
    "1.2.840.10008.1.2.4.205",
];

/// Why a file's structure cannot be trusted. Each is found before anything it declares is
/// allocated.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, thiserror::Error)]
pub enum Malformed {
    /// An element declares more bytes than remain in the file.
    #[error(
        "element {tag} at byte {offset} declares {declared} bytes but only {available} remain in the file"
    )]
    LengthBeyondEnd {
        /// The element.
        tag: Tag,
        /// Where its header starts.
        offset: u64,
        /// The length it declares.
        declared: u64,
        /// What is left of the file after the element's header.
        available: u64,
    },
    /// The file ends inside an element header, a sequence or an item.
    #[error("the file ends at byte {offset}, inside {inside}")]
    Truncated {
        /// The file size.
        offset: u64,
        /// What was being read.
        inside: &'static str,
    },
    /// An explicit value representation that is not two upper-case letters.
    #[error("element {tag} at byte {offset} has an invalid value representation {vr:?}")]
    InvalidVr {
        /// The element.
        tag: Tag,
        /// Where its header starts.
        offset: u64,
        /// The two bytes found.
        vr: String,
    },
    /// An undefined length on an element that cannot have one.
    #[error("element {tag} at byte {offset} has an undefined length with VR {vr}")]
    UndefinedLength {
        /// The element.
        tag: Tag,
        /// Where its header starts.
        offset: u64,
        /// Its value representation.
        vr: String,
    },
    /// An element where the structure calls for something else.
    #[error("found {tag} at byte {offset} where {expected} was expected")]
    Unexpected {
        /// What was found.
        tag: Tag,
        /// Where.
        offset: u64,
        /// What should have been there.
        expected: &'static str,
    },
    /// Sequences nested deeper than [`MAX_DEPTH`].
    #[error("sequences nested more than {limit} deep at byte {offset}")]
    TooDeep {
        /// Where the limit was passed.
        offset: u64,
        /// [`MAX_DEPTH`].
        limit: usize,
    },
    /// A header field the builder reads is longer than [`MAX_VALUE_LEN`].
    #[error("{tag} holds {len} bytes, more than the {limit} read for a header field")]
    ValueTooLong {
        /// The field.
        tag: Tag,
        /// Its length.
        len: u64,
        /// [`MAX_VALUE_LEN`].
        limit: u64,
    },
    /// The file meta information has no Transfer Syntax UID.
    #[error("no Transfer Syntax UID (0002,0010) in the file meta information")]
    NoTransferSyntax,
    /// The pixel data is shorter than the frames the header describes.
    #[error(
        "pixel data holds {available} bytes; {frames} frame(s) of {columns}x{rows} pixels, {samples} sample(s) of {bits_allocated} bits, need {needed}"
    )]
    PixelDataTooShort {
        /// Bytes of pixel data in the file.
        available: u64,
        /// Bytes the header's frames need.
        needed: u128,
        /// Number of Frames.
        frames: u64,
        /// Rows.
        rows: u64,
        /// Columns.
        columns: u64,
        /// Samples per Pixel.
        samples: u64,
        /// Bits Allocated.
        bits_allocated: u64,
    },
    /// Native pixel data without a length, or encapsulated pixel data with one.
    #[error("pixel data {0}")]
    PixelDataEncoding(&'static str),
    /// More fragments than [`MAX_FRAGMENTS`].
    #[error("encapsulated pixel data holds more than {limit} fragments")]
    TooManyFragments {
        /// [`MAX_FRAGMENTS`].
        limit: usize,
    },
    /// A compressed frame larger than the uncompressed frame bound allows.
    #[error("a compressed frame of {len} bytes exceeds the {limit}-byte limit")]
    CompressedFrameTooLarge {
        /// Its size.
        len: u64,
        /// The limit.
        limit: u64,
    },
    /// A compressed frame whose size differs from the header's Rows and Columns.
    #[error("the JPEG frame is {width}x{height}; the header says {columns}x{rows}")]
    FrameSizeMismatch {
        /// Decoded width.
        width: u32,
        /// Decoded height.
        height: u32,
        /// Columns.
        columns: u64,
        /// Rows.
        rows: u64,
    },
}

impl From<Malformed> for SkipReason {
    fn from(value: Malformed) -> Self {
        SkipReason::Malformed(value)
    }
}

/// Where the pixel data value is in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PixelData {
    /// The first byte of the value (of the first item, when encapsulated).
    pub offset: u64,
    /// The value's length; `None` for encapsulated (undefined length) pixel data.
    pub len: Option<u64>,
}

/// One header value as stored, with the value representation it is decoded by.
#[derive(Debug, Clone)]
struct Value {
    vr: [u8; 2],
    bytes: Vec<u8>,
}

/// An open DICOM file: its transfer syntax, the top-level header fields the builder uses, and
/// where its pixel data is.
#[derive(Debug)]
pub(crate) struct DicomFile {
    input: Input,
    transfer_syntax: String,
    media_sop_class: Option<String>,
    values: BTreeMap<Tag, Value>,
    pixel_data: Option<PixelData>,
}

impl DicomFile {
    /// Opens `path` and reads its header up to the pixel data. Files without the preamble and
    /// `DICM` magic are [`SkipReason::NotDicom`]; data sets in an encoding this reader does not
    /// walk (big endian, deflated, private transfer syntaxes) are
    /// [`SkipReason::UnsupportedTransferSyntax`].
    pub fn open(path: &Path) -> Result<Self, SkipReason> {
        let io = |e: std::io::Error| SkipReason::Unreadable(e.to_string());
        let file = File::open(path).map_err(io)?;
        let len = file.metadata().map_err(io)?.len();
        let mut input = Input {
            reader: BufReader::new(file),
            pos: 0,
            len,
        };
        let mut head = [0u8; 132];
        if len < 132 || input.reader.read_exact(&mut head).is_err() || &head[128..] != b"DICM" {
            return Err(SkipReason::NotDicom);
        }
        input.pos = 132;
        let mut file = Self {
            input,
            transfer_syntax: String::new(),
            media_sop_class: None,
            values: BTreeMap::new(),
            pixel_data: None,
        };
        file.read_meta()?;
        let explicit = match file.transfer_syntax.as_str() {
            IMPLICIT_VR_LITTLE_ENDIAN => false,
            EXPLICIT_VR_BIG_ENDIAN => {
                return Err(SkipReason::UnsupportedTransferSyntax(file.transfer_syntax));
            }
            ts if DEFLATED.contains(&ts) => {
                return Err(SkipReason::UnsupportedTransferSyntax(file.transfer_syntax));
            }
            ts if ts.starts_with("1.2.840.10008.1.2.") => true,
            _ => return Err(SkipReason::UnsupportedTransferSyntax(file.transfer_syntax)),
        };
        file.pixel_data = file.read_top_level(explicit)?;
        Ok(file)
    }

    /// The Transfer Syntax UID from the file meta information.
    pub fn transfer_syntax(&self) -> &str {
        &self.transfer_syntax
    }

    /// The SOP Class UID of the data set, else the Media Storage SOP Class UID of the meta
    /// information.
    pub fn sop_class(&self) -> Option<String> {
        self.text(tags::SOP_CLASS_UID)
            .or_else(|| self.media_sop_class.clone())
    }

    /// Where the pixel data is, when the data set has any.
    pub fn pixel_data(&self) -> Option<PixelData> {
        self.pixel_data
    }

    /// A string value, trimmed of spaces and NULs; `None` when absent, empty or binary.
    pub fn text(&self, tag: Tag) -> Option<String> {
        let value = self.values.get(&tag)?;
        if binary_vr(value.vr) {
            return None;
        }
        let text: String = value.bytes.iter().map(|&b| char::from(b)).collect();
        let trimmed = text.trim_matches(|c: char| c.is_whitespace() || c == '\0');
        (!trimmed.is_empty()).then(|| trimmed.to_owned())
    }

    /// An integer value (the first, when several): binary integers, or IS and DS text.
    pub fn int(&self, tag: Tag) -> Option<i64> {
        let value = self.values.get(&tag)?;
        let b = &value.bytes;
        match &value.vr {
            b"US" => Some(i64::from(u16::from_le_bytes([*b.first()?, *b.get(1)?]))),
            b"SS" => Some(i64::from(i16::from_le_bytes([*b.first()?, *b.get(1)?]))),
            b"UL" => Some(i64::from(u32::from_le_bytes(b.get(..4)?.try_into().ok()?))),
            b"SL" => Some(i64::from(i32::from_le_bytes(b.get(..4)?.try_into().ok()?))),
            _ => {
                let text = self.text(tag)?;
                let first = text.split('\\').next()?.trim();
                first.parse::<i64>().ok().or_else(|| {
                    // DS (or an IS written as "12.0"): whole numbers only.
                    let x = first.parse::<f64>().ok()?;
                    (x.fract() == 0.0 && x.abs() < 9.0e15).then_some(x as i64)
                })
            }
        }
    }

    /// All numeric values: DS or IS text (every component must parse) or binary floats and
    /// integers.
    pub fn floats(&self, tag: Tag) -> Option<Vec<f64>> {
        let value = self.values.get(&tag)?;
        match &value.vr {
            b"FD" => Some(
                value
                    .bytes
                    .chunks_exact(8)
                    .filter_map(|c| c.try_into().ok().map(f64::from_le_bytes))
                    .collect(),
            ),
            b"FL" => Some(
                value
                    .bytes
                    .chunks_exact(4)
                    .filter_map(|c| c.try_into().ok().map(f32::from_le_bytes))
                    .map(f64::from)
                    .collect(),
            ),
            b"US" | b"SS" | b"UL" | b"SL" => self.int(tag).map(|v| vec![v as f64]),
            _ => self
                .text(tag)?
                .split('\\')
                .map(|v| v.trim().parse::<f64>().ok())
                .collect(),
        }
    }

    /// A floating-point value (the first, when several).
    pub fn float(&self, tag: Tag) -> Option<f64> {
        self.floats(tag)?.first().copied()
    }

    /// Reads `len` bytes at `offset`; the caller has checked them against the pixel data's
    /// length, and this checks them against the file again.
    pub fn read_at(&mut self, offset: u64, len: u64) -> Result<Vec<u8>, SkipReason> {
        self.input.seek_to(offset)?;
        self.input.read_vec(tags::PIXEL_DATA, len)
    }

    /// The fragments of encapsulated pixel data, as (offset, length) of each fragment's bytes,
    /// the basic offset table left out. Only item headers are read.
    pub fn fragments(&mut self) -> Result<Vec<(u64, u64)>, SkipReason> {
        let pixel_data = self.pixel_data.ok_or(SkipReason::NoPixelData)?;
        if pixel_data.len.is_some() {
            return Err(Malformed::PixelDataEncoding(
                "has a defined length under an encapsulated transfer syntax",
            )
            .into());
        }
        self.input.seek_to(pixel_data.offset)?;
        let mut fragments = Vec::new();
        let mut first = true;
        loop {
            let (tag, offset, len) = self.input.read_item_header("encapsulated pixel data")?;
            match (tag, len) {
                (tags::SEQUENCE_DELIMITATION, _) => break,
                (tags::ITEM, Some(len)) => {
                    self.input.check_len(tag, offset, u64::from(len))?;
                    if !first {
                        if fragments.len() >= MAX_FRAGMENTS {
                            return Err(Malformed::TooManyFragments {
                                limit: MAX_FRAGMENTS,
                            }
                            .into());
                        }
                        fragments.push((self.input.pos, u64::from(len)));
                    }
                    first = false;
                    self.input.skip(u64::from(len))?;
                }
                _ => {
                    return Err(Malformed::Unexpected {
                        tag,
                        offset,
                        expected: "a pixel data item of defined length",
                    }
                    .into());
                }
            }
        }
        Ok(fragments)
    }

    /// The file meta information group (always explicit VR little endian).
    fn read_meta(&mut self) -> Result<(), SkipReason> {
        let mut transfer_syntax = None;
        loop {
            if self.input.remaining() < 8 {
                break;
            }
            let start = self.input.pos;
            let group = u16::from_le_bytes(self.input.read_array::<2>("an element header")?);
            self.input.seek_to(start)?;
            if group != 0x0002 {
                break;
            }
            let header = self.input.read_element_header(true)?;
            let Some(len) = header.len else {
                return Err(Malformed::UndefinedLength {
                    tag: header.tag,
                    offset: header.offset,
                    vr: vr_text(header.vr),
                }
                .into());
            };
            let len = u64::from(len);
            self.input.check_len(header.tag, header.offset, len)?;
            if header.tag == tags::TRANSFER_SYNTAX_UID
                || header.tag == tags::MEDIA_STORAGE_SOP_CLASS_UID
            {
                let bytes = self.read_value(header.tag, len)?;
                let text = trim_uid(&bytes);
                if header.tag == tags::TRANSFER_SYNTAX_UID {
                    transfer_syntax = Some(text);
                } else {
                    self.media_sop_class = Some(text).filter(|t| !t.is_empty());
                }
            } else {
                self.input.skip(len)?;
            }
        }
        self.transfer_syntax = transfer_syntax
            .filter(|t| !t.is_empty())
            .ok_or(Malformed::NoTransferSyntax)?;
        Ok(())
    }

    /// A value of the fields the builder reads, refusing long ones.
    fn read_value(&mut self, tag: Tag, len: u64) -> Result<Vec<u8>, SkipReason> {
        if len > MAX_VALUE_LEN {
            return Err(Malformed::ValueTooLong {
                tag,
                len,
                limit: MAX_VALUE_LEN,
            }
            .into());
        }
        self.input.read_vec(tag, len)
    }

    /// Walks the top-level data set up to Pixel Data, keeping the wanted fields.
    fn read_top_level(&mut self, explicit: bool) -> Result<Option<PixelData>, SkipReason> {
        loop {
            if self.input.remaining() == 0 {
                return Ok(None);
            }
            let header = self.input.read_element_header(explicit)?;
            match header.tag {
                tags::PIXEL_DATA => {
                    let len = header.len.map(u64::from);
                    if let Some(len) = len {
                        self.input.check_len(header.tag, header.offset, len)?;
                    }
                    return Ok(Some(PixelData {
                        offset: self.input.pos,
                        len,
                    }));
                }
                tags::ITEM_DELIMITATION if header.len == Some(0) => {
                    // A stray delimiter outside any item: harmless, and written by some
                    // software.
                }
                tag if tag.0 == 0xFFFE => {
                    return Err(Malformed::Unexpected {
                        tag,
                        offset: header.offset,
                        expected: "a data element",
                    }
                    .into());
                }
                tag => {
                    let wanted = WANTED.iter().find(|(t, _)| *t == tag).map(|(_, vr)| *vr);
                    match (header.len, wanted) {
                        (None, _) => self.skip_undefined(&header, explicit, 1)?,
                        (Some(len), Some(default_vr)) => {
                            let len = u64::from(len);
                            self.input.check_len(tag, header.offset, len)?;
                            let bytes = self.read_value(tag, len)?;
                            let vr = match header.vr {
                                Some(vr) if &vr != b"UN" => vr,
                                _ => default_vr,
                            };
                            self.values.insert(tag, Value { vr, bytes });
                        }
                        (Some(len), None) => {
                            let len = u64::from(len);
                            self.input.check_len(tag, header.offset, len)?;
                            self.input.skip(len)?;
                        }
                    }
                }
            }
        }
    }

    /// Skips an element of undefined length: a sequence (SQ, or UN whose items are implicit VR).
    fn skip_undefined(
        &mut self,
        header: &ElementHeader,
        explicit: bool,
        depth: usize,
    ) -> Result<(), SkipReason> {
        let nested_explicit = match header.vr {
            None => false,
            Some(vr) if &vr == b"SQ" => explicit,
            Some(vr) if &vr == b"UN" => false,
            Some(vr) => {
                return Err(Malformed::UndefinedLength {
                    tag: header.tag,
                    offset: header.offset,
                    vr: vr_text(Some(vr)),
                }
                .into());
            }
        };
        self.skip_sequence(nested_explicit, depth)
    }

    /// Skips the items of a sequence of undefined length, up to its delimiter.
    fn skip_sequence(&mut self, explicit: bool, depth: usize) -> Result<(), SkipReason> {
        if depth > MAX_DEPTH {
            return Err(Malformed::TooDeep {
                offset: self.input.pos,
                limit: MAX_DEPTH,
            }
            .into());
        }
        loop {
            let (tag, offset, len) = self.input.read_item_header("a sequence")?;
            match (tag, len) {
                (tags::SEQUENCE_DELIMITATION, _) => return Ok(()),
                (tags::ITEM, Some(len)) => {
                    self.input.check_len(tag, offset, u64::from(len))?;
                    self.input.skip(u64::from(len))?;
                }
                (tags::ITEM, None) => self.skip_item(explicit, depth)?,
                _ => {
                    return Err(Malformed::Unexpected {
                        tag,
                        offset,
                        expected: "an item or a sequence delimiter",
                    }
                    .into());
                }
            }
        }
    }

    /// Skips the elements of an item of undefined length, up to its delimiter.
    fn skip_item(&mut self, explicit: bool, depth: usize) -> Result<(), SkipReason> {
        loop {
            if self.input.remaining() == 0 {
                return Err(Malformed::Truncated {
                    offset: self.input.pos,
                    inside: "an item",
                }
                .into());
            }
            let header = self.input.read_element_header(explicit)?;
            match (header.tag, header.len) {
                (tags::ITEM_DELIMITATION, _) => return Ok(()),
                (tag, _) if tag.0 == 0xFFFE => {
                    return Err(Malformed::Unexpected {
                        tag,
                        offset: header.offset,
                        expected: "a data element or an item delimiter",
                    }
                    .into());
                }
                (_, None) => self.skip_undefined(&header, explicit, depth + 1)?,
                (tag, Some(len)) => {
                    self.input.check_len(tag, header.offset, u64::from(len))?;
                    self.input.skip(u64::from(len))?;
                }
            }
        }
    }
}

/// VRs whose values are binary numbers, not text.
fn binary_vr(vr: [u8; 2]) -> bool {
    matches!(
        &vr,
        b"US"
            | b"SS"
            | b"UL"
            | b"SL"
            | b"FL"
            | b"FD"
            | b"OB"
            | b"OW"
            | b"OF"
            | b"OD"
            | b"OL"
            | b"OV"
            | b"SV"
            | b"UV"
            | b"AT"
            | b"UN"
            | b"SQ"
    )
}

/// VRs with a 2-byte reserved field and a 4-byte length in explicit VR (PS3.5 7.1.2).
fn long_vr(vr: [u8; 2]) -> bool {
    matches!(
        &vr,
        b"OB"
            | b"OD"
            | b"OF"
            | b"OL"
            | b"OV"
            | b"OW"
            | b"SQ"
            | b"SV"
            | b"UC"
            | b"UN"
            | b"UR"
            | b"UT"
            | b"UV"
    )
}

fn vr_text(vr: Option<[u8; 2]>) -> String {
    match vr {
        Some(vr) => vr.iter().map(|&b| char::from(b)).collect(),
        None => "(implicit)".to_owned(),
    }
}

fn trim_uid(bytes: &[u8]) -> String {
    let text: String = bytes.iter().map(|&b| char::from(b)).collect();
    text.trim_matches(|c: char| c.is_whitespace() || c == '\0')
        .to_owned()
}

/// An element header as read.
#[derive(Debug, Clone, Copy)]
struct ElementHeader {
    tag: Tag,
    /// Where the header starts.
    offset: u64,
    /// The explicit VR, when the encoding has one.
    vr: Option<[u8; 2]>,
    /// The value length; `None` when undefined (0xFFFFFFFF).
    len: Option<u32>,
}

/// The file, read forward through a buffer, with its position and size known so that every
/// declared length can be checked before it is used.
#[derive(Debug)]
struct Input {
    reader: BufReader<File>,
    pos: u64,
    len: u64,
}

impl Input {
    fn remaining(&self) -> u64 {
        self.len.saturating_sub(self.pos)
    }

    fn io(&self, e: std::io::Error) -> SkipReason {
        if e.kind() == std::io::ErrorKind::UnexpectedEof {
            // The file shrank while it was read.
            SkipReason::Malformed(Malformed::Truncated {
                offset: self.pos,
                inside: "a value",
            })
        } else {
            SkipReason::Unreadable(e.to_string())
        }
    }

    fn read_array<const N: usize>(&mut self, inside: &'static str) -> Result<[u8; N], SkipReason> {
        if self.remaining() < N as u64 {
            return Err(Malformed::Truncated {
                offset: self.len,
                inside,
            }
            .into());
        }
        let mut buf = [0u8; N];
        self.reader.read_exact(&mut buf).map_err(|e| self.io(e))?;
        self.pos += N as u64;
        Ok(buf)
    }

    fn read_u32(&mut self, inside: &'static str) -> Result<u32, SkipReason> {
        Ok(u32::from_le_bytes(self.read_array::<4>(inside)?))
    }

    /// Fails unless `len` bytes remain in the file after the current position.
    fn check_len(&self, tag: Tag, offset: u64, len: u64) -> Result<(), SkipReason> {
        if len > self.remaining() {
            return Err(Malformed::LengthBeyondEnd {
                tag,
                offset,
                declared: len,
                available: self.remaining(),
            }
            .into());
        }
        Ok(())
    }

    /// Reads `len` bytes, after checking that the file holds them.
    fn read_vec(&mut self, tag: Tag, len: u64) -> Result<Vec<u8>, SkipReason> {
        self.check_len(tag, self.pos, len)?;
        let n = usize::try_from(len).map_err(|_| {
            SkipReason::Malformed(Malformed::LengthBeyondEnd {
                tag,
                offset: self.pos,
                declared: len,
                available: self.remaining(),
            })
        })?;
        let mut buf = vec![0u8; n];
        self.reader.read_exact(&mut buf).map_err(|e| self.io(e))?;
        self.pos += len;
        Ok(buf)
    }

    /// Skips `len` bytes the caller has checked.
    fn skip(&mut self, len: u64) -> Result<(), SkipReason> {
        let target = self.pos.saturating_add(len);
        self.seek_to(target)
    }

    fn seek_to(&mut self, target: u64) -> Result<(), SkipReason> {
        if target > self.len {
            return Err(Malformed::Truncated {
                offset: self.len,
                inside: "a value",
            }
            .into());
        }
        let delta = i64::try_from(i128::from(target) - i128::from(self.pos));
        match delta {
            Ok(delta) => self.reader.seek_relative(delta),
            Err(_) => self.reader.seek(SeekFrom::Start(target)).map(|_| ()),
        }
        .map_err(|e| self.io(e))?;
        self.pos = target;
        Ok(())
    }

    /// An item or delimiter header: tag and 4-byte length, in any encoding.
    fn read_item_header(
        &mut self,
        inside: &'static str,
    ) -> Result<(Tag, u64, Option<u32>), SkipReason> {
        let offset = self.pos;
        let tag = self.read_tag(inside)?;
        let len = self.read_u32(inside)?;
        Ok((tag, offset, (len != u32::MAX).then_some(len)))
    }

    fn read_tag(&mut self, inside: &'static str) -> Result<Tag, SkipReason> {
        let [g0, g1, e0, e1] = self.read_array::<4>(inside)?;
        Ok(Tag(
            u16::from_le_bytes([g0, g1]),
            u16::from_le_bytes([e0, e1]),
        ))
    }

    fn read_element_header(&mut self, explicit: bool) -> Result<ElementHeader, SkipReason> {
        const INSIDE: &str = "an element header";
        let offset = self.pos;
        let tag = self.read_tag(INSIDE)?;
        if tag.0 == 0xFFFE || !explicit {
            let len = self.read_u32(INSIDE)?;
            return Ok(ElementHeader {
                tag,
                offset,
                vr: None,
                len: (len != u32::MAX).then_some(len),
            });
        }
        let vr = self.read_array::<2>(INSIDE)?;
        if !vr.iter().all(u8::is_ascii_uppercase) {
            return Err(Malformed::InvalidVr {
                tag,
                offset,
                vr: vr.iter().map(|b| format!("\\x{b:02x}")).collect(),
            }
            .into());
        }
        let len = if long_vr(vr) {
            self.read_array::<2>(INSIDE)?;
            let len = self.read_u32(INSIDE)?;
            (len != u32::MAX).then_some(len)
        } else {
            Some(u32::from(u16::from_le_bytes(self.read_array::<2>(INSIDE)?)))
        };
        Ok(ElementHeader {
            tag,
            offset,
            vr: Some(vr),
            len,
        })
    }
}
