//! DICOM files written byte by byte (PS3.10 file format, PS3.5 encodings), so that tests can
//! craft both ordinary images and malformed ones (lengths that lie, truncated files, deep
//! nesting) without any DICOM library.

#![allow(dead_code)]

pub const IMPLICIT_LE: &str = "1.2.840.10008.1.2";
pub const EXPLICIT_LE: &str = "1.2.840.10008.1.2.1";
pub const JPEG_BASELINE: &str = "1.2.840.10008.1.2.4.50";
pub const CT_STORAGE: &str = "1.2.840.10008.5.1.4.1.1.2";
pub const US_STORAGE: &str = "1.2.840.10008.5.1.4.1.1.6.1";
pub const SC_STORAGE: &str = "1.2.840.10008.5.1.4.1.1.7";

/// VRs with a reserved field and a 4-byte length in explicit VR.
fn long_vr(vr: &str) -> bool {
    matches!(
        vr,
        "OB" | "OD" | "OF" | "OL" | "OV" | "OW" | "SQ" | "SV" | "UC" | "UN" | "UR" | "UT" | "UV"
    )
}

/// An explicit VR little endian element header with the given length.
pub fn header(group: u16, element: u16, vr: &str, len: u32) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend(group.to_le_bytes());
    out.extend(element.to_le_bytes());
    out.extend(vr.as_bytes());
    if long_vr(vr) {
        out.extend([0, 0]);
        out.extend(len.to_le_bytes());
    } else {
        out.extend(u16::try_from(len).expect("short length").to_le_bytes());
    }
    out
}

/// An implicit VR little endian element header (also the form of items and delimiters).
pub fn implicit_header(group: u16, element: u16, len: u32) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend(group.to_le_bytes());
    out.extend(element.to_le_bytes());
    out.extend(len.to_le_bytes());
    out
}

/// A text value padded to even length (UI with NUL, others with a space).
fn padded(vr: &str, text: &str) -> Vec<u8> {
    let mut bytes = text.as_bytes().to_vec();
    if bytes.len() % 2 == 1 {
        bytes.push(if vr == "UI" { 0 } else { b' ' });
    }
    bytes
}

/// An explicit VR little endian text element.
pub fn text(group: u16, element: u16, vr: &str, value: &str) -> Vec<u8> {
    let value = padded(vr, value);
    let mut out = header(group, element, vr, value.len() as u32);
    out.extend(value);
    out
}

/// An implicit VR little endian text element.
pub fn implicit_text(group: u16, element: u16, value: &str) -> Vec<u8> {
    let value = padded("CS", value);
    let mut out = implicit_header(group, element, value.len() as u32);
    out.extend(value);
    out
}

/// An explicit VR little endian US element.
pub fn us(group: u16, element: u16, value: u16) -> Vec<u8> {
    let mut out = header(group, element, "US", 2);
    out.extend(value.to_le_bytes());
    out
}

/// Preamble, magic and file meta information for a transfer syntax, then the data set.
pub fn file(transfer_syntax: &str, sop_class: &str, dataset: &[u8]) -> Vec<u8> {
    let mut meta = Vec::new();
    meta.extend(header(0x0002, 0x0001, "OB", 2));
    meta.extend([0, 1]);
    meta.extend(text(0x0002, 0x0002, "UI", sop_class));
    meta.extend(text(0x0002, 0x0003, "UI", "1.2.826.0.1.3680043.10.1087.9"));
    meta.extend(text(0x0002, 0x0010, "UI", transfer_syntax));
    let mut out = vec![0u8; 128];
    out.extend(b"DICM");
    out.extend(header(0x0002, 0x0000, "UL", 4));
    out.extend((meta.len() as u32).to_le_bytes());
    out.extend(meta);
    out.extend(dataset);
    out
}

/// What an image file says about itself.
#[derive(Debug, Clone)]
pub struct Image<'a> {
    pub modality: Option<&'a str>,
    pub sop_class: &'a str,
    pub photometric: &'a str,
    pub burned_in: Option<&'a str>,
    pub rows: u16,
    pub columns: u16,
    pub series: &'a str,
    /// Elements inserted before the image pixel module (patient and study fields ...).
    pub extra: Vec<u8>,
}

impl Default for Image<'_> {
    fn default() -> Self {
        Self {
            modality: Some("CT"),
            sop_class: CT_STORAGE,
            photometric: "MONOCHROME2",
            burned_in: None,
            rows: 4,
            columns: 6,
            series: "1.2.826.0.1.3680043.10.1087.200",
            extra: Vec::new(),
        }
    }
}

impl Image<'_> {
    /// The data set up to (not including) Pixel Data, in tag order.
    pub fn header(&self) -> Vec<u8> {
        let samples: u16 = if self.photometric.starts_with("MONOCHROME") {
            1
        } else {
            3
        };
        let mut ds = Vec::new();
        ds.extend(text(0x0008, 0x0016, "UI", self.sop_class));
        ds.extend(text(0x0008, 0x0018, "UI", "1.2.826.0.1.3680043.10.1087.9"));
        if let Some(modality) = self.modality {
            ds.extend(text(0x0008, 0x0060, "CS", modality));
        }
        ds.extend(&self.extra);
        ds.extend(text(
            0x0020,
            0x000D,
            "UI",
            "1.2.826.0.1.3680043.10.1087.100",
        ));
        ds.extend(text(0x0020, 0x000E, "UI", self.series));
        ds.extend(us(0x0028, 0x0002, samples));
        ds.extend(text(0x0028, 0x0004, "CS", self.photometric));
        if samples == 3 {
            ds.extend(us(0x0028, 0x0006, 0));
        }
        ds.extend(us(0x0028, 0x0010, self.rows));
        ds.extend(us(0x0028, 0x0011, self.columns));
        ds.extend(us(0x0028, 0x0100, 8));
        ds.extend(us(0x0028, 0x0101, 8));
        ds.extend(us(0x0028, 0x0102, 7));
        ds.extend(us(0x0028, 0x0103, 0));
        if let Some(value) = self.burned_in {
            ds.extend(text(0x0028, 0x0301, "CS", value));
        }
        ds
    }

    /// A complete explicit VR little endian file with a gradient as 8-bit native pixels.
    pub fn bytes(&self) -> Vec<u8> {
        let samples = if self.photometric.starts_with("MONOCHROME") {
            1
        } else {
            3
        };
        let n = usize::from(self.rows) * usize::from(self.columns) * samples;
        let mut pixels: Vec<u8> = (0..n).map(|i| (i * 7 % 256) as u8).collect();
        if pixels.len() % 2 == 1 {
            pixels.push(0);
        }
        let mut ds = self.header();
        ds.extend(header(0x7FE0, 0x0010, "OB", pixels.len() as u32));
        ds.extend(pixels);
        file(EXPLICIT_LE, self.sop_class, &ds)
    }
}

/// Encapsulated pixel data: an empty basic offset table, one item per fragment, the delimiter.
pub fn encapsulated(fragments: &[&[u8]]) -> Vec<u8> {
    let mut out = header(0x7FE0, 0x0010, "OB", u32::MAX);
    out.extend(implicit_header(0xFFFE, 0xE000, 0));
    for fragment in fragments {
        let mut bytes = fragment.to_vec();
        if bytes.len() % 2 == 1 {
            bytes.push(0);
        }
        out.extend(implicit_header(0xFFFE, 0xE000, bytes.len() as u32));
        out.extend(bytes);
    }
    out.extend(implicit_header(0xFFFE, 0xE0DD, 0));
    out
}

/// A grey-scale JPEG baseline image of the given size.
pub fn jpeg(width: u32, height: u32) -> Vec<u8> {
    let image = image::GrayImage::from_fn(width, height, |x, _| image::Luma([(x * 16) as u8]));
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90)
        .encode_image(&image)
        .expect("encode");
    out
}

/// Small files whose headers declare far more than they hold, each with the element (or check)
/// that gives it away. Every one is under 2 KB.
pub fn malformed_files() -> Vec<(&'static str, Vec<u8>)> {
    let image = Image::default();
    let ct = |dataset: &[u8]| file(EXPLICIT_LE, CT_STORAGE, dataset);
    let mut files = Vec::new();

    // A private OB element declaring almost 4 GB, 10 bytes before the end of the file.
    let mut ds = image.header();
    ds.extend(header(0x0029, 0x1010, "OB", 0xFFFF_FFF0));
    ds.extend([0u8; 10]);
    files.push(("huge_element.dcm", ct(&ds)));

    // Like pydicom's UN_sequence.dcm: a UN sequence of undefined length, whose items are implicit
    // VR, and inside it an element declaring almost 4 GB.
    let mut ds = text(0x0008, 0x0016, "UI", CT_STORAGE);
    ds.extend(header(0x4453, 0x100C, "UN", u32::MAX));
    ds.extend(implicit_header(0xFFFE, 0xE000, u32::MAX));
    ds.extend(implicit_header(0x0008, 0x1150, 0xFFFF_FF00));
    ds.extend(b"1.2.3.4\0");
    files.push(("huge_in_un_sequence.dcm", ct(&ds)));

    // A sequence item declaring more than the file holds.
    let mut ds = text(0x0008, 0x0016, "UI", CT_STORAGE);
    ds.extend(header(0x0008, 0x1115, "SQ", u32::MAX));
    ds.extend(implicit_header(0xFFFE, 0xE000, 0x7FFF_0000));
    ds.extend([0u8; 16]);
    files.push(("huge_item.dcm", ct(&ds)));

    // Pixel Data declaring almost 4 GB.
    let mut ds = image.header();
    ds.extend(header(0x7FE0, 0x0010, "OW", 0xFFFF_FFF0));
    ds.extend([0u8; 24]);
    files.push(("huge_pixel_data.dcm", ct(&ds)));

    // 4096 x 4096 pixels declared, 16 bytes present.
    let mut ds = Image {
        rows: 4096,
        columns: 4096,
        ..Image::default()
    }
    .header();
    ds.extend(header(0x7FE0, 0x0010, "OB", 16));
    ds.extend([0u8; 16]);
    files.push(("huge_rows_columns.dcm", ct(&ds)));

    // 65535 x 65535 pixels: more than one frame may have, whatever the file holds.
    let mut ds = Image {
        rows: 65535,
        columns: 65535,
        ..Image::default()
    }
    .header();
    ds.extend(header(0x7FE0, 0x0010, "OB", 16));
    ds.extend([0u8; 16]);
    files.push(("huge_frame.dcm", ct(&ds)));

    // 2^31 - 1 frames of 4 x 6 pixels in 24 bytes.
    let mut ds = image.header();
    ds.extend(text(0x0028, 0x0008, "IS", "2147483647"));
    ds.extend(header(0x7FE0, 0x0010, "OB", 24));
    ds.extend([0u8; 24]);
    files.push(("huge_frame_count.dcm", ct(&ds)));

    // A JPEG fragment declaring almost 2 GB.
    let mut ds = image.header();
    ds.extend(header(0x7FE0, 0x0010, "OB", u32::MAX));
    ds.extend(implicit_header(0xFFFE, 0xE000, 0));
    ds.extend(implicit_header(0xFFFE, 0xE000, 0x7FFF_FFF0));
    ds.extend([0xFFu8, 0xD8, 0xFF, 0xD9]);
    files.push((
        "huge_jpeg_fragment.dcm",
        file(JPEG_BASELINE, CT_STORAGE, &ds),
    ));

    // Sequences nested 40 deep.
    let mut ds = text(0x0008, 0x0016, "UI", CT_STORAGE);
    for _ in 0..40 {
        ds.extend(header(0x0008, 0x1115, "SQ", u32::MAX));
        ds.extend(implicit_header(0xFFFE, 0xE000, u32::MAX));
    }
    files.push(("deep_nesting.dcm", ct(&ds)));

    // A valid image cut inside the Pixel Data element's header (12 bytes, then 24 of pixels).
    let mut bytes = image.bytes();
    bytes.truncate(bytes.len() - 24 - 6);
    files.push(("truncated.dcm", bytes));

    files
}
