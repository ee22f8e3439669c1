//! Decoding DICOM pixel data into 8-bit images, as a radiologist's viewer would first show them.
//!
//! Grey-scale frames go through the DICOM display pipeline (PS3.3 C.11): the modality LUT
//! (rescale slope and intercept), then the VOI window from the header (Window Center/Width, the
//! first pair when several are given) with the standard's linear function, or the full range of
//! the frame when the header has no window; MONOCHROME1 is inverted so that higher values are
//! darker. RGB frames are passed through; colour JPEG frames are decoded in the colour space the
//! header and the JPEG's markers agree on (see [`prepare_colour`]). Multi-frame images show their
//! middle frame.
//!
//! Native (uncompressed) little-endian transfer syntaxes, 8-bit JPEG baseline and RLE Lossless
//! are decoded; everything else is reported as skipped, never guessed.
//!
//! Nothing is allocated on the header's word alone: a frame may hold at most
//! [`MAX_FRAME_PIXELS`] pixels, native pixel data must hold every frame the header describes
//! before one is read, only the middle frame is read, a compressed frame may be at most about twice
//! its uncompressed size, and the JPEG decoder may not produce an image larger than Rows x Columns.

use std::path::Path;

use image::{DynamicImage, GrayImage, RgbImage};

use crate::dicom::{DicomFile, Malformed, tags};
use crate::scan::SkipReason;

const IMPLICIT_VR_LITTLE_ENDIAN: &str = "1.2.840.10008.1.2";
const EXPLICIT_VR_LITTLE_ENDIAN: &str = "1.2.840.10008.1.2.1";
const JPEG_BASELINE: &str = "1.2.840.10008.1.2.4.50";
const RLE_LOSSLESS: &str = "1.2.840.10008.1.2.5";

/// The most pixels one frame may have (8192 x 8192): larger frames are skipped, not decoded.
pub const MAX_FRAME_PIXELS: u64 = 1 << 26;

/// True for the transfer syntaxes whose pixel data [`render`] decodes.
pub fn is_decodable_transfer_syntax(uid: &str) -> bool {
    matches!(
        uid,
        IMPLICIT_VR_LITTLE_ENDIAN | EXPLICIT_VR_LITTLE_ENDIAN | JPEG_BASELINE | RLE_LOSSLESS
    )
}

/// A VOI window: centre and width, in modality units (after rescale).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Window {
    /// Window Center (0028,1050).
    pub center: f64,
    /// Window Width (0028,1051), at least 1.
    pub width: f64,
}

impl Window {
    /// The DICOM linear VOI function (PS3.3 C.11.2.1.2.1) onto 0..=255, rounded to nearest.
    pub fn apply(&self, x: f64) -> u8 {
        let center = self.center - 0.5;
        let half = (self.width - 1.0) / 2.0;
        if x <= center - half {
            0
        } else if x > center + half {
            255
        } else {
            let y = ((x - center) / (self.width - 1.0) + 0.5) * 255.0;
            y.round().clamp(0.0, 255.0) as u8
        }
    }
}

/// Where the frame to show is in the file, once its size has been checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FrameBytes {
    /// Native pixel data: the middle frame's offset and length.
    Native {
        /// First byte of the frame.
        offset: u64,
        /// Its length.
        len: u64,
    },
    /// JPEG: the (offset, length) of the fragments that make up the middle frame.
    Jpeg(Vec<(u64, u64)>),
    /// RLE Lossless: the (offset, length) of the fragments that make up the middle frame.
    Rle(Vec<(u64, u64)>),
}

/// Checks that the file's pixel data holds what its header describes, within the limits, and
/// finds the frame to show. Only headers are read. The transfer syntax must be decodable.
pub(crate) fn check(file: &mut DicomFile) -> Result<(Layout, FrameBytes), SkipReason> {
    let layout = Layout::read(file)?;
    let pixel_data = file.pixel_data().ok_or(SkipReason::NoPixelData)?;
    match file.transfer_syntax() {
        syntax @ (JPEG_BASELINE | RLE_LOSSLESS) => {
            let rle = syntax == RLE_LOSSLESS;
            let fragments = file.fragments()?;
            let frame = if layout.frames <= 1 {
                fragments
            } else if fragments.len() == layout.frames {
                vec![fragments[layout.frames / 2]]
            } else {
                return Err(SkipReason::UnsupportedPixels(format!(
                    "{} frames in {} fragments",
                    layout.frames,
                    fragments.len()
                )));
            };
            let len: u64 = frame.iter().map(|(_, len)| len).sum();
            let limit = layout.frame_len().saturating_mul(2).saturating_add(1 << 16);
            if len > limit {
                return Err(Malformed::CompressedFrameTooLarge { len, limit }.into());
            }
            if rle {
                Ok((layout, FrameBytes::Rle(frame)))
            } else {
                Ok((layout, FrameBytes::Jpeg(frame)))
            }
        }
        IMPLICIT_VR_LITTLE_ENDIAN | EXPLICIT_VR_LITTLE_ENDIAN => {
            let available = pixel_data.len.ok_or(Malformed::PixelDataEncoding(
                "has an undefined length under a native transfer syntax",
            ))?;
            let frame_len = layout.frame_len();
            let needed = u128::from(frame_len) * layout.frames as u128;
            if needed > u128::from(available) {
                return Err(Malformed::PixelDataTooShort {
                    available,
                    needed,
                    frames: layout.frames as u64,
                    rows: layout.rows as u64,
                    columns: layout.columns as u64,
                    samples: layout.samples as u64,
                    bits_allocated: u64::from(layout.bits_allocated),
                }
                .into());
            }
            // The middle frame ends within the pixel data, which ends within the file.
            let offset = pixel_data.offset + (layout.frames / 2) as u64 * frame_len;
            Ok((
                layout,
                FrameBytes::Native {
                    offset,
                    len: frame_len,
                },
            ))
        }
        other => Err(SkipReason::UnsupportedTransferSyntax(other.to_owned())),
    }
}

/// Reads `path` and renders its (middle) frame as an 8-bit grey or RGB image. Only that frame is
/// read, after its size has been checked against the header, the file and [`MAX_FRAME_PIXELS`].
pub fn render(path: &Path) -> Result<DynamicImage, SkipReason> {
    let mut file = DicomFile::open(path)?;
    let (layout, frame) = check(&mut file)?;
    match frame {
        FrameBytes::Native { offset, len } => {
            let bytes = file.read_at(offset, len)?;
            layout.render_frame(&bytes, header_window(&file))
        }
        FrameBytes::Rle(fragments) => {
            let mut data = Vec::new();
            for (offset, len) in fragments {
                data.extend(file.read_at(offset, len)?);
            }
            let frame = decode_rle_frame(&data, &layout)?;
            // The decoded frame is interleaved whatever Planar Configuration says (PS3.5 G.2).
            let interleaved = Layout {
                planar: false,
                ..layout
            };
            interleaved.render_frame(&frame, header_window(&file))
        }
        FrameBytes::Jpeg(fragments) => {
            let mut data = Vec::new();
            for (offset, len) in fragments {
                data.extend(file.read_at(offset, len)?);
            }
            decode_jpeg_frame(&data, &layout)
        }
    }
}

fn header_window(file: &DicomFile) -> Option<Window> {
    let center = file.float(tags::WINDOW_CENTER)?;
    let width = file.float(tags::WINDOW_WIDTH)?;
    (width >= 1.0 && center.is_finite() && width.is_finite()).then_some(Window { center, width })
}

/// How the pixels of one file are laid out (image pixel module, PS3.3 C.7.6.3).
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    /// Rows.
    pub rows: usize,
    /// Columns.
    pub columns: usize,
    /// Number of Frames (1 when absent).
    pub frames: usize,
    /// Samples per pixel: 1 (grey) or 3 (RGB).
    pub samples: usize,
    /// Bits Allocated: 8 or 16.
    pub bits_allocated: u16,
    /// Bits Stored, at most Bits Allocated.
    pub bits_stored: u16,
    /// Pixel Representation 1: two's complement signed.
    pub signed: bool,
    /// MONOCHROME1: the minimum value is white.
    pub inverted: bool,
    /// Planar Configuration 1: colour planes one after the other.
    pub planar: bool,
    /// YBR_FULL or YBR_FULL_422 (JPEG only): the compressed samples are YCbCr and are converted
    /// to RGB; otherwise three samples are RGB and are decoded without a colour transform.
    pub ybr: bool,
    /// Rescale Slope (1 when absent).
    pub slope: f64,
    /// Rescale Intercept (0 when absent).
    pub intercept: f64,
}

impl Layout {
    fn read(file: &DicomFile) -> Result<Self, SkipReason> {
        let dimension = |tag, name: &str| {
            file.int(tag)
                .filter(|v| (1..=i64::from(u16::MAX)).contains(v))
                .map(|v| v as usize)
                .ok_or_else(|| SkipReason::UnsupportedPixels(format!("missing or invalid {name}")))
        };
        let rows = dimension(tags::ROWS, "Rows")?;
        let columns = dimension(tags::COLUMNS, "Columns")?;
        let pixels = rows as u64 * columns as u64;
        if pixels > MAX_FRAME_PIXELS {
            return Err(SkipReason::UnsupportedPixels(format!(
                "a frame of {columns}x{rows} pixels exceeds the {MAX_FRAME_PIXELS}-pixel limit"
            )));
        }
        let frames = match file.int(tags::NUMBER_OF_FRAMES) {
            Some(n) if n > 0 => usize::try_from(n).map_err(|_| {
                SkipReason::UnsupportedPixels(format!("Number of Frames {n} is out of range"))
            })?,
            _ => 1,
        };
        let samples = file.int(tags::SAMPLES_PER_PIXEL).unwrap_or(1);
        let photometric = file
            .text(tags::PHOTOMETRIC_INTERPRETATION)
            .unwrap_or_else(|| "MONOCHROME2".to_owned());
        let jpeg = file.transfer_syntax() == JPEG_BASELINE;
        let (samples, ybr): (usize, bool) = match (photometric.as_str(), samples) {
            ("MONOCHROME1" | "MONOCHROME2", 1) => (1, false),
            ("RGB", 3) => (3, false),
            // JPEG compresses YCbCr; the decoder converts it to RGB (PS3.5 8.2.1).
            ("YBR_FULL" | "YBR_FULL_422", 3) if jpeg => (3, true),
            (other @ ("YBR_FULL" | "YBR_FULL_422"), 3) => {
                return Err(SkipReason::UnsupportedPixels(format!(
                    "photometric interpretation {other} is decoded only in JPEG baseline, not in native pixel data"
                )));
            }
            (other, n) => {
                return Err(SkipReason::UnsupportedPixels(format!(
                    "photometric interpretation {other} with {n} samples per pixel"
                )));
            }
        };
        let bits = |tag| file.int(tag).and_then(|v| u16::try_from(v).ok());
        let bits_allocated = bits(tags::BITS_ALLOCATED).unwrap_or(0);
        let bits_stored = file
            .int(tags::BITS_STORED)
            .map_or(Some(bits_allocated), |v| u16::try_from(v).ok())
            .unwrap_or(0);
        let supported = match samples {
            1 => matches!(bits_allocated, 8 | 16),
            _ => bits_allocated == 8,
        };
        if !supported || bits_stored == 0 || bits_stored > bits_allocated {
            return Err(SkipReason::UnsupportedPixels(format!(
                "{bits_allocated} bits allocated, {bits_stored} stored, {samples} samples per pixel"
            )));
        }
        Ok(Self {
            rows,
            columns,
            frames,
            samples,
            bits_allocated,
            bits_stored,
            signed: file.int(tags::PIXEL_REPRESENTATION) == Some(1),
            inverted: photometric == "MONOCHROME1",
            ybr,
            planar: file.int(tags::PLANAR_CONFIGURATION) == Some(1),
            slope: file
                .float(tags::RESCALE_SLOPE)
                .filter(|s| s.is_finite() && *s != 0.0)
                .unwrap_or(1.0),
            intercept: file
                .float(tags::RESCALE_INTERCEPT)
                .filter(|i| i.is_finite())
                .unwrap_or(0.0),
        })
    }

    /// Bytes in one frame (saturating: a layout built by hand may describe an impossible one).
    pub fn frame_len(&self) -> u64 {
        (self.rows as u64)
            .saturating_mul(self.columns as u64)
            .saturating_mul(self.samples as u64)
            .saturating_mul(u64::from(self.bits_allocated / 8))
    }

    /// Renders one frame of native little-endian pixel data (`frame` holds at least
    /// [`frame_len`](Self::frame_len) bytes).
    pub fn render_frame(
        &self,
        frame: &[u8],
        window: Option<Window>,
    ) -> Result<DynamicImage, SkipReason> {
        let frame_len = self.frame_len();
        let frame = usize::try_from(frame_len)
            .ok()
            .and_then(|n| frame.get(..n))
            .ok_or_else(|| {
                SkipReason::Malformed(Malformed::PixelDataTooShort {
                    available: frame.len() as u64,
                    needed: u128::from(frame_len),
                    frames: 1,
                    rows: self.rows as u64,
                    columns: self.columns as u64,
                    samples: self.samples as u64,
                    bits_allocated: u64::from(self.bits_allocated),
                })
            })?;
        if self.samples == 3 {
            return self.rgb(frame).map(DynamicImage::ImageRgb8);
        }
        let modality = |v: i64| v as f64 * self.slope + self.intercept;
        let window = window.unwrap_or_else(|| full_range(self.stored_values(frame).map(modality)));
        let pixels = self
            .stored_values(frame)
            .map(|v| {
                let y = window.apply(modality(v));
                if self.inverted { 255 - y } else { y }
            })
            .collect();
        let image = GrayImage::from_raw(self.columns as u32, self.rows as u32, pixels)
            .ok_or_else(|| SkipReason::Unreadable("frame size does not match".into()))?;
        Ok(DynamicImage::ImageLuma8(image))
    }

    /// Stored values with the bits above Bits Stored masked off and the sign extended.
    fn stored_values<'a>(&self, frame: &'a [u8]) -> Box<dyn Iterator<Item = i64> + 'a> {
        let bits = u32::from(self.bits_stored);
        let mask = if bits >= 64 {
            u64::MAX
        } else {
            (1u64 << bits) - 1
        };
        let signed = self.signed;
        let interpret = move |raw: u64| {
            let v = raw & mask;
            if signed && bits > 0 && v >> (bits - 1) & 1 == 1 {
                v as i64 - (1i64 << bits)
            } else {
                v as i64
            }
        };
        match self.bits_allocated {
            8 => Box::new(frame.iter().map(move |&b| interpret(u64::from(b)))),
            _ => Box::new(
                frame
                    .chunks_exact(2)
                    .map(move |c| interpret(u64::from(u16::from_le_bytes([c[0], c[1]])))),
            ),
        }
    }

    fn rgb(&self, frame: &[u8]) -> Result<RgbImage, SkipReason> {
        let n = self.rows * self.columns;
        let pixels = if self.planar {
            (0..n)
                .flat_map(|i| [frame[i], frame[n + i], frame[2 * n + i]])
                .collect()
        } else {
            frame.to_vec()
        };
        RgbImage::from_raw(self.columns as u32, self.rows as u32, pixels)
            .ok_or_else(|| SkipReason::Unreadable("frame size does not match".into()))
    }
}

/// A window spanning the frame's range, for images without one in the header.
fn full_range(values: impl IntoIterator<Item = f64>) -> Window {
    let (lo, hi) = values
        .into_iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    if !lo.is_finite() || hi <= lo {
        // A constant frame: black, rather than a division by zero.
        return Window {
            center: lo.max(0.0) + 0.5,
            width: 1.0,
        };
    }
    // The linear function maps [c - 0.5 - (w-1)/2, c - 0.5 + (w-1)/2] onto [0, 255].
    Window {
        center: (lo + hi) / 2.0 + 0.5,
        width: hi - lo + 1.0,
    }
}

/// Decodes one JPEG frame, refusing (before decoding) an image larger than the header's Rows x
/// Columns, and then one of another size.
fn decode_jpeg_frame(data: &[u8], layout: &Layout) -> Result<DynamicImage, SkipReason> {
    let markers = JpegMarkers::read(data)?;
    let prepared = prepare_colour(data, &markers, layout)?;
    let data: &[u8] = &prepared;
    let (columns, rows) = (layout.columns as u32, layout.rows as u32);
    let reader = |limit_size: bool| {
        let mut limits = image::Limits::default();
        if limit_size {
            limits.max_image_width = Some(columns);
            limits.max_image_height = Some(rows);
        }
        let mut reader =
            image::ImageReader::with_format(std::io::Cursor::new(data), image::ImageFormat::Jpeg);
        reader.limits(limits);
        reader
    };
    let unreadable = |e: image::ImageError| SkipReason::Unreadable(format!("JPEG frame: {e}"));
    // The frame header first (no pixels are decoded), to name a size mismatch as such.
    let (width, height) = reader(false).into_dimensions().map_err(unreadable)?;
    if (width, height) != (columns, rows) {
        return Err(Malformed::FrameSizeMismatch {
            width,
            height,
            columns: u64::from(columns),
            rows: u64::from(rows),
        }
        .into());
    }
    let image = reader(true).decode().map_err(unreadable)?;
    if (image.width(), image.height()) != (columns, rows) {
        return Err(Malformed::FrameSizeMismatch {
            width: image.width(),
            height: image.height(),
            columns: u64::from(columns),
            rows: u64::from(rows),
        }
        .into());
    }
    Ok(match image {
        DynamicImage::ImageLuma8(_) | DynamicImage::ImageRgb8(_) => image,
        other => DynamicImage::ImageRgb8(other.to_rgb8()),
    })
}

/// Decodes one RLE Lossless frame (PS3.5 Annex G) into native little-endian pixel data,
/// interleaved: a 64-byte header with the number of segments and their offsets, then one
/// PackBits-coded segment per byte of each sample, most significant byte first. Every offset is
/// checked against the frame, and each segment must decode to exactly Rows x Columns bytes
/// (a longer run is cut at the end of the segment's plane).
fn decode_rle_frame(data: &[u8], layout: &Layout) -> Result<Vec<u8>, SkipReason> {
    let bad = |why: String| SkipReason::Unreadable(format!("RLE frame: {why}"));
    let bytes = usize::from(layout.bits_allocated / 8);
    let expected = layout.samples * bytes;
    let pixels = layout.rows * layout.columns;
    let word = |i: usize| {
        data.get(4 * i..4 * i + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
    };
    let count = word(0).ok_or_else(|| bad("shorter than its 64-byte header".into()))?;
    if data.len() < 64 {
        return Err(bad("shorter than its 64-byte header".into()));
    }
    if count != expected {
        return Err(bad(format!(
            "{count} segment(s); {} sample(s) of {} bits need {expected}",
            layout.samples, layout.bits_allocated
        )));
    }
    let mut offsets: Vec<usize> = (1..=count).filter_map(word).collect();
    offsets.push(data.len());
    if offsets[0] != 64 || offsets.windows(2).any(|w| w[0] > w[1]) {
        return Err(bad(format!(
            "segment offsets {:?} are not increasing from 64 within the frame's {} bytes",
            &offsets[..count],
            data.len()
        )));
    }
    let mut out = vec![0u8; pixels * expected];
    for segment in 0..count {
        let (sample, msb_index) = (segment / bytes, segment % bytes);
        let byte = bytes - 1 - msb_index;
        let stride = expected;
        let start = sample * bytes + byte;
        let mut input = data[offsets[segment]..offsets[segment + 1]].iter().copied();
        let mut written = 0;
        let mut put = |value: u8, written: &mut usize| {
            if *written < pixels {
                out[start + *written * stride] = value;
                *written += 1;
            }
        };
        while written < pixels {
            let Some(header) = input.next() else {
                return Err(bad(format!(
                    "segment {} decodes to {written} of {pixels} bytes",
                    segment + 1
                )));
            };
            match header as i8 {
                n @ 0..=127 => {
                    for _ in 0..=n {
                        let value = input.next().ok_or_else(|| {
                            bad(format!("segment {} ends inside a literal run", segment + 1))
                        })?;
                        put(value, &mut written);
                    }
                }
                -128 => {}
                n => {
                    let value = input.next().ok_or_else(|| {
                        bad(format!(
                            "segment {} ends inside a replicate run",
                            segment + 1
                        ))
                    })?;
                    for _ in 0..=(-n) {
                        put(value, &mut written);
                    }
                }
            }
        }
    }
    Ok(out)
}

/// What a JPEG stream says about its own colour space, read from the markers before the first
/// scan: JFIF APP0 (whose images are grey or YCbCr), Adobe APP14 (whose transform flag says
/// whether three components are YCbCr, 1, or untransformed RGB, 0), and the component ids of the
/// frame header (`R`, `G`, `B` marks RGB, as libjpeg and jpegli write it).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct JpegMarkers {
    jfif: bool,
    adobe_transform: Option<u8>,
    /// Component ids from the frame header; empty when there is no frame header before the scan.
    components: Vec<u8>,
}

/// The colour space of three JPEG components.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum JpegColour {
    Rgb,
    YCbCr,
}

impl JpegMarkers {
    /// Walks the marker segments from SOI to the first SOS, each length checked against the data.
    fn read(data: &[u8]) -> Result<Self, SkipReason> {
        let bad = |why: String| SkipReason::Unreadable(format!("JPEG frame: {why}"));
        if data.get(..2) != Some(&[0xFF, 0xD8][..]) {
            return Err(bad("no start-of-image marker".into()));
        }
        let mut markers = Self::default();
        let mut pos = 2;
        loop {
            if data.get(pos) != Some(&0xFF) {
                return Err(bad(format!(
                    "no marker at byte {pos} before the first scan"
                )));
            }
            while data.get(pos) == Some(&0xFF) {
                pos += 1;
            }
            let Some(&marker) = data.get(pos) else {
                return Err(bad("the data ends before the first scan".into()));
            };
            pos += 1;
            match marker {
                // Start of scan: the colour markers all come before it.
                0xDA => return Ok(markers),
                0xD9 => return Err(bad("the image ends before its first scan".into())),
                // Markers without a length.
                0x01 | 0xD0..=0xD8 => continue,
                _ => {}
            }
            let len = match data.get(pos..pos + 2) {
                Some(&[hi, lo]) => usize::from(u16::from_be_bytes([hi, lo])),
                _ => return Err(bad("the data ends inside a marker".into())),
            };
            let payload = len
                .checked_sub(2)
                .and_then(|n| data.get(pos + 2..pos + 2 + n))
                .ok_or_else(|| {
                    bad(format!(
                        "marker 0xFF{marker:02X} at byte {} declares {len} bytes",
                        pos - 2
                    ))
                })?;
            match marker {
                0xE0 if payload.starts_with(b"JFIF\0") => markers.jfif = true,
                0xEE if payload.starts_with(b"Adobe") && payload.len() >= 12 => {
                    markers.adobe_transform = Some(payload[11]);
                }
                // Start of frame (every process; C4, C8 and CC are other markers).
                0xC0..=0xCF if !matches!(marker, 0xC4 | 0xC8 | 0xCC) => {
                    let count = usize::from(*payload.get(5).unwrap_or(&0));
                    markers.components = (0..count)
                        .map(|i| payload.get(6 + 3 * i).copied())
                        .collect::<Option<Vec<u8>>>()
                        .ok_or_else(|| bad("a frame header shorter than its components".into()))?;
                }
                _ => {}
            }
            pos += len;
        }
    }

    /// The colour space the stream's markers declare for three components, with the marker that
    /// says so; `None` when no marker says; an error naming them when they disagree or the
    /// Adobe transform is not one of RGB or YCbCr.
    fn declared(&self) -> Result<Option<(JpegColour, String)>, String> {
        let mut said: Vec<(JpegColour, String)> = Vec::new();
        match self.adobe_transform {
            Some(0) => said.push((
                JpegColour::Rgb,
                "an Adobe APP14 marker with colour transform 0 (RGB)".into(),
            )),
            Some(1) => said.push((
                JpegColour::YCbCr,
                "an Adobe APP14 marker with colour transform 1 (YCbCr)".into(),
            )),
            Some(other) => {
                return Err(format!(
                    "the JPEG's Adobe APP14 marker has colour transform {other} (YCCK), not RGB or YCbCr"
                ));
            }
            None => {}
        }
        if self.jfif {
            said.push((
                JpegColour::YCbCr,
                "a JFIF APP0 marker (JFIF images are YCbCr)".into(),
            ));
        }
        if self.components == b"RGB" {
            said.push((JpegColour::Rgb, "component ids R, G, B".into()));
        }
        match said.as_slice() {
            [] => Ok(None),
            [(first, _), rest @ ..] if rest.iter().all(|(c, _)| c == first) => {
                Ok(said.into_iter().next())
            }
            _ => Err(format!(
                "the JPEG's markers disagree on its colour space: {}",
                said.iter()
                    .map(|(c, why)| format!("{why} says {c:?}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
    }
}

/// An Adobe APP14 segment with colour transform 0: three components are RGB, not YCbCr.
const ADOBE_NO_TRANSFORM: [u8; 16] = [
    0xFF, 0xEE, 0x00, 0x0E, b'A', b'd', b'o', b'b', b'e', 0x00, 0x64, 0x00, 0x00, 0x00, 0x00, 0x00,
];

/// Checks the JPEG's components against the header, and its colour markers against the
/// Photometric Interpretation, and returns the stream the decoder gets. Photometric
/// Interpretation RGB means the components were compressed without a colour transform (PS3.5
/// 8.2.1); a JPEG decoder assumes YCbCr when no marker says otherwise, so such a stream gets an
/// Adobe APP14 marker saying "no transform" before it is decoded. YBR_FULL and YBR_FULL_422 are
/// YCbCr, which the decoder converts to RGB. A stream whose markers contradict the header, or
/// each other, is skipped: which one is right cannot be told from the file.
fn prepare_colour<'a>(
    data: &'a [u8],
    markers: &JpegMarkers,
    layout: &Layout,
) -> Result<std::borrow::Cow<'a, [u8]>, SkipReason> {
    let unsupported = |why: String| SkipReason::UnsupportedPixels(why);
    if markers.components.len() != layout.samples {
        return Err(unsupported(format!(
            "the JPEG frame has {} component(s); the header says {} sample(s) per pixel",
            markers.components.len(),
            layout.samples
        )));
    }
    if layout.samples != 3 {
        return Ok(std::borrow::Cow::Borrowed(data));
    }
    let header = if layout.ybr {
        JpegColour::YCbCr
    } else {
        JpegColour::Rgb
    };
    let header_name = if layout.ybr {
        "YBR_FULL or YBR_FULL_422 (YCbCr)"
    } else {
        "RGB (no colour transform)"
    };
    match markers.declared().map_err(unsupported)? {
        Some((colour, why)) if colour != header => Err(unsupported(format!(
            "Photometric Interpretation is {header_name} but the JPEG carries {why}; which is right cannot be told"
        ))),
        _ if header == JpegColour::Rgb && markers.adobe_transform.is_none() => {
            let mut marked = Vec::with_capacity(data.len() + ADOBE_NO_TRANSFORM.len());
            marked.extend_from_slice(&data[..2]);
            marked.extend_from_slice(&ADOBE_NO_TRANSFORM);
            marked.extend_from_slice(&data[2..]);
            Ok(std::borrow::Cow::Owned(marked))
        }
        _ => Ok(std::borrow::Cow::Borrowed(data)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hand computation of PS3.3 C.11.2.1.2.1 for centre 40, width 400: the ramp ends at
    /// c - 0.5 - (w-1)/2 = -160 (black) and c - 0.5 + (w-1)/2 = 239 (white);
    /// -60 -> ((-60 - 39.5)/399 + 0.5) * 255 = 63.9; 40 -> 127.8; 140 -> 191.7.
    #[test]
    fn linear_window_follows_the_standard() {
        let window = Window {
            center: 40.0,
            width: 400.0,
        };
        let got: Vec<u8> = [-161.0, -160.0, -60.0, 40.0, 140.0, 239.0, 239.5, 240.0]
            .into_iter()
            .map(|x| window.apply(x))
            .collect();
        assert_eq!(got, vec![0, 0, 64, 128, 192, 255, 255, 255]);
    }

    #[test]
    fn full_range_maps_min_to_black_and_max_to_white() {
        let window = full_range([100.0, 250.0, 400.0]);
        assert_eq!(window.apply(100.0), 0);
        assert_eq!(window.apply(400.0), 255);
        assert_eq!(window.apply(250.0), 128);
    }

    #[test]
    fn constant_frames_render_black() {
        let window = full_range([7.0, 7.0]);
        assert_eq!(window.apply(7.0), 0);
    }

    #[test]
    fn twelve_bit_signed_values_are_sign_extended() {
        let layout = Layout {
            rows: 1,
            columns: 2,
            frames: 1,
            samples: 1,
            bits_allocated: 16,
            bits_stored: 12,
            signed: true,
            inverted: false,
            planar: false,
            ybr: false,
            slope: 1.0,
            intercept: 0.0,
        };
        // 0x0FFF is -1 in 12-bit two's complement; 0xF001 has junk above bit 12 and means 1.
        let frame = [0xFF, 0x0F, 0x01, 0xF0];
        let values: Vec<i64> = layout.stored_values(&frame).collect();
        assert_eq!(values, vec![-1, 1]);
    }
}
