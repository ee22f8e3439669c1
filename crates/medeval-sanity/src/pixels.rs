//! Decoding DICOM pixel data into 8-bit images, as a radiologist's viewer would first show them.
//!
//! Grey-scale frames go through the DICOM display pipeline (PS3.3 C.11): the modality LUT
//! (rescale slope and intercept), then the VOI window from the header (Window Center/Width, the
//! first pair when several are given) with the standard's linear function, or the full range of
//! the frame when the header has no window; MONOCHROME1 is inverted so that higher values are
//! darker. RGB frames are passed through. Multi-frame images show their middle frame.
//!
//! Native (uncompressed) little-endian transfer syntaxes and 8-bit JPEG baseline are decoded;
//! everything else is reported as skipped, never guessed.

use std::path::Path;

use dicom_dictionary_std::tags;
use dicom_object::OpenFileOptions;
use image::{DynamicImage, GrayImage, RgbImage};

use crate::scan::{Header, SkipReason};

const IMPLICIT_VR_LITTLE_ENDIAN: &str = "1.2.840.10008.1.2";
const EXPLICIT_VR_LITTLE_ENDIAN: &str = "1.2.840.10008.1.2.1";
const JPEG_BASELINE: &str = "1.2.840.10008.1.2.4.50";

/// True for the transfer syntaxes whose pixel data [`render`] decodes.
pub fn is_decodable_transfer_syntax(uid: &str) -> bool {
    matches!(
        uid,
        IMPLICIT_VR_LITTLE_ENDIAN | EXPLICIT_VR_LITTLE_ENDIAN | JPEG_BASELINE
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

/// Reads `path` in full and renders its (middle) frame as an 8-bit grey or RGB image.
pub fn render(path: &Path) -> Result<DynamicImage, SkipReason> {
    let object = OpenFileOptions::new()
        .open_file(path)
        .map_err(|e| SkipReason::Unreadable(e.to_string()))?;
    let header = Header(&object);
    let layout = Layout::read(&header)?;
    let pixel_data = object
        .element_opt(tags::PIXEL_DATA)
        .ok()
        .flatten()
        .ok_or(SkipReason::NoPixelData)?;
    match object.meta().transfer_syntax() {
        JPEG_BASELINE => {
            let fragments = pixel_data.value().fragments().ok_or_else(|| {
                SkipReason::Unreadable("JPEG transfer syntax without encapsulated fragments".into())
            })?;
            decode_jpeg_frame(fragments, layout.frames)
        }
        IMPLICIT_VR_LITTLE_ENDIAN | EXPLICIT_VR_LITTLE_ENDIAN => {
            let bytes = pixel_data
                .to_bytes()
                .map_err(|e| SkipReason::Unreadable(format!("pixel data: {e}")))?;
            let window = header_window(&header);
            layout.render_native(&bytes, window)
        }
        other => Err(SkipReason::UnsupportedTransferSyntax(other.to_owned())),
    }
}

fn header_window(header: &Header<'_>) -> Option<Window> {
    let center = header.float(tags::WINDOW_CENTER)?;
    let width = header.float(tags::WINDOW_WIDTH)?;
    (width >= 1.0 && center.is_finite()).then_some(Window { center, width })
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
    /// Rescale Slope (1 when absent).
    pub slope: f64,
    /// Rescale Intercept (0 when absent).
    pub intercept: f64,
}

impl Layout {
    fn read(header: &Header<'_>) -> Result<Self, SkipReason> {
        let positive = |tag, name: &str| {
            header
                .int(tag)
                .filter(|v| *v > 0)
                .map(|v| v as usize)
                .ok_or_else(|| SkipReason::UnsupportedPixels(format!("missing or zero {name}")))
        };
        let rows = positive(tags::ROWS, "Rows")?;
        let columns = positive(tags::COLUMNS, "Columns")?;
        let frames = header
            .int(tags::NUMBER_OF_FRAMES)
            .filter(|v| *v > 0)
            .unwrap_or(1) as usize;
        let samples = header.int(tags::SAMPLES_PER_PIXEL).unwrap_or(1) as usize;
        let photometric = header
            .text(tags::PHOTOMETRIC_INTERPRETATION)
            .unwrap_or_else(|| "MONOCHROME2".to_owned());
        match (photometric.as_str(), samples) {
            ("MONOCHROME1" | "MONOCHROME2", 1) | ("RGB", 3) => {}
            (other, n) => {
                return Err(SkipReason::UnsupportedPixels(format!(
                    "photometric interpretation {other} with {n} samples per pixel"
                )));
            }
        }
        let bits_allocated = header.int(tags::BITS_ALLOCATED).unwrap_or(0) as u16;
        let bits_stored = header
            .int(tags::BITS_STORED)
            .map_or(bits_allocated, |v| v as u16);
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
            signed: header.int(tags::PIXEL_REPRESENTATION) == Some(1),
            inverted: photometric == "MONOCHROME1",
            planar: header.int(tags::PLANAR_CONFIGURATION) == Some(1),
            slope: header
                .float(tags::RESCALE_SLOPE)
                .filter(|s| s.is_finite() && *s != 0.0)
                .unwrap_or(1.0),
            intercept: header
                .float(tags::RESCALE_INTERCEPT)
                .filter(|i| i.is_finite())
                .unwrap_or(0.0),
        })
    }

    fn frame_len(&self) -> usize {
        self.rows * self.columns * self.samples * usize::from(self.bits_allocated / 8)
    }

    /// Renders the middle frame of native little-endian pixel data.
    pub fn render_native(
        &self,
        bytes: &[u8],
        window: Option<Window>,
    ) -> Result<DynamicImage, SkipReason> {
        let frame_len = self.frame_len();
        let start = (self.frames / 2) * frame_len;
        let frame = bytes.get(start..start + frame_len).ok_or_else(|| {
            SkipReason::Unreadable(format!(
                "pixel data holds {} bytes; {} frames of {}x{} need {}",
                bytes.len(),
                self.frames,
                self.columns,
                self.rows,
                self.frames * frame_len
            ))
        })?;
        if self.samples == 3 {
            return self.rgb(frame).map(DynamicImage::ImageRgb8);
        }
        let values: Vec<f64> = self
            .stored_values(frame)
            .map(|v| v as f64 * self.slope + self.intercept)
            .collect();
        let window = window.unwrap_or_else(|| full_range(&values));
        let pixels = values
            .iter()
            .map(|&v| {
                let y = window.apply(v);
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
fn full_range(values: &[f64]) -> Window {
    let (lo, hi) = values
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
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

fn decode_jpeg_frame(fragments: &[Vec<u8>], frames: usize) -> Result<DynamicImage, SkipReason> {
    let data: Vec<u8> = if frames <= 1 {
        fragments.concat()
    } else if fragments.len() == frames {
        fragments[frames / 2].clone()
    } else {
        return Err(SkipReason::UnsupportedPixels(format!(
            "{frames} JPEG frames in {} fragments",
            fragments.len()
        )));
    };
    let image = image::load_from_memory_with_format(&data, image::ImageFormat::Jpeg)
        .map_err(|e| SkipReason::Unreadable(format!("JPEG frame: {e}")))?;
    Ok(match image {
        DynamicImage::ImageLuma8(_) | DynamicImage::ImageRgb8(_) => image,
        other => DynamicImage::ImageRgb8(other.to_rgb8()),
    })
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
        let window = full_range(&[100.0, 250.0, 400.0]);
        assert_eq!(window.apply(100.0), 0);
        assert_eq!(window.apply(400.0), 255);
        assert_eq!(window.apply(250.0), 128);
    }

    #[test]
    fn constant_frames_render_black() {
        let window = full_range(&[7.0, 7.0]);
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
            slope: 1.0,
            intercept: 0.0,
        };
        // 0x0FFF is -1 in 12-bit two's complement; 0xF001 has junk above bit 12 and means 1.
        let frame = [0xFF, 0x0F, 0x01, 0xF0];
        let values: Vec<i64> = layout.stored_values(&frame).collect();
        assert_eq!(values, vec![-1, 1]);
    }
}
