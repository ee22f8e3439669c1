//! Image preparation: what the model receives, encoded as the run's [`ImagePolicy`] says.
//!
//! Lossless is the default: a PNG file is sent with its pixels byte for byte but without its
//! metadata chunks and trailing bytes (see [`crate::png_chunks`]), any other format is decoded and
//! re-encoded as PNG. `original` sends files exactly as they are, metadata included. Resizing and
//! lossy JPEG happen only when asked for, and the policy is part of the run manifest.
//!
//! A file is never read whole before it is known to be an image of a size medeval takes: its
//! size is checked against [`MAX_IMAGE_BYTES`] and its first bytes against the PNG and JPEG
//! signatures first.

use std::io::{Cursor, Read};
use std::path::Path;
use std::sync::Arc;

use base64::Engine as _;
use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::{DynamicImage, ImageFormat, ImageReader};
use medeval_core::limits::{MAX_IMAGE_BYTES, byte_size};
use medeval_core::{Image, ImageEncoding, ImageGeometry, ImagePolicy};

use crate::png_chunks;

/// Bytes read from a file before its format is decided: enough for every signature
/// `image::guess_format` knows.
const HEADER_BYTES: u64 = 16;

/// An image ready to be sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreparedImage {
    /// Media type, e.g. `image/png`.
    pub media_type: &'static str,
    /// Encoded bytes.
    pub bytes: Arc<[u8]>,
    /// The image's size before preparation and as sent.
    pub geometry: ImageGeometry,
}

impl PreparedImage {
    /// The `data:` URL sent in `image_url.url`.
    pub fn data_url(&self) -> String {
        let mut url = format!("data:{};base64,", self.media_type);
        base64::engine::general_purpose::STANDARD.encode_string(&self.bytes, &mut url);
        url
    }
}

/// Why an image could not be prepared.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("image {origin}: {message}")]
pub struct ImageError {
    /// The image (path or origin).
    pub origin: String,
    /// What went wrong.
    pub message: String,
}

/// Reads (if needed), decodes and encodes one image under `policy`.
///
/// A [`Image::Derived`] image is decoded from its source, perturbed (see `medeval-perturb`) and
/// always re-encoded, since its pixels are new.
pub fn prepare(image: &Image, policy: &ImagePolicy) -> Result<PreparedImage, ImageError> {
    let fail = |message: String| ImageError {
        origin: image.describe(),
        message,
    };
    let strip_png = policy.encoding == ImageEncoding::Png;
    let (decoded, original) = decode(image, strip_png)?;
    let (original_width, original_height) = (decoded.width(), decoded.height());
    let geometry = |sent: &DynamicImage| ImageGeometry {
        original_width,
        original_height,
        sent_width: sent.width(),
        sent_height: sent.height(),
    };
    if let Some((bytes, format)) = original {
        let fits = policy
            .max_side
            .is_none_or(|max| decoded.width().max(decoded.height()) <= max);
        let keep_bytes = match policy.encoding {
            ImageEncoding::Png => format == ImageFormat::Png,
            ImageEncoding::Original => true,
            ImageEncoding::Jpeg { .. } => false,
        };
        if fits && keep_bytes {
            let media_type = media_type(format).unwrap_or("image/png");
            return Ok(PreparedImage {
                media_type,
                bytes,
                geometry: geometry(&decoded),
            });
        }
    }
    let decoded = match policy.max_side {
        Some(max_side) => shrink_to_fit(decoded, max_side),
        None => decoded,
    };
    let (media_type, bytes) = match policy.encoding {
        ImageEncoding::Png | ImageEncoding::Original => encode_png(&decoded),
        ImageEncoding::Jpeg { quality } => encode_jpeg(&decoded, quality),
    }
    .map_err(fail)?;
    Ok(PreparedImage {
        media_type,
        bytes,
        geometry: geometry(&decoded),
    })
}

/// Decodes an image, returning for stored images also their encoded bytes (a PNG without its
/// metadata when `strip_png`) and format.
///
/// Images are always decoded, even when the original bytes will be sent: a truncated or corrupt
/// file is caught here, with its name, rather than as an opaque 400 from the server. What is
/// decoded is what is sent.
#[allow(clippy::type_complexity)]
fn decode(
    image: &Image,
    strip_png: bool,
) -> Result<(DynamicImage, Option<(Arc<[u8]>, ImageFormat)>), ImageError> {
    let fail = |message: String| ImageError {
        origin: image.describe(),
        message,
    };
    let bytes: Arc<[u8]> = match image {
        Image::Path(path) => read_image_file(path).map_err(fail)?.into(),
        Image::Bytes { bytes, .. } => Arc::clone(bytes),
        Image::Deferred(source) => source
            .read()
            .map_err(|e| fail(format!("cannot read: {e}")))?
            .into(),
        Image::Derived { source, transform } => {
            let (decoded, _) = decode(source, false)?;
            return Ok((medeval_perturb::apply(&decoded, transform), None));
        }
    };
    if bytes.len() as u64 > MAX_IMAGE_BYTES {
        return Err(fail(too_large(bytes.len() as u64)));
    }
    let format = supported_format(&bytes).map_err(fail)?;
    let bytes = if strip_png && format == ImageFormat::Png {
        match png_chunks::without_metadata(&bytes)
            .map_err(|e| fail(format!("cannot decode: {e}")))?
        {
            Some(stripped) => stripped.into(),
            None => bytes,
        }
    } else {
        bytes
    };
    let decoded = ImageReader::with_format(Cursor::new(&bytes[..]), format)
        .decode()
        .map_err(|e| fail(format!("cannot decode: {e}")))?;
    Ok((decoded, Some((bytes, format))))
}

/// The format of an encoded image from its first bytes, if medeval sends that format.
fn supported_format(header: &[u8]) -> Result<ImageFormat, String> {
    let format = image::guess_format(header)
        .map_err(|_| "not a recognised image format (PNG or JPEG expected)".to_owned())?;
    if media_type(format).is_none() {
        return Err(format!(
            "{format:?} images are not supported; convert them to PNG or JPEG"
        ));
    }
    Ok(format)
}

/// Reads an image file: its size is checked against [`MAX_IMAGE_BYTES`] and its first bytes
/// against the formats medeval sends before the rest is read, and never more than the limit
/// is read, whatever the file grows to meanwhile.
fn read_image_file(path: &Path) -> Result<Vec<u8>, String> {
    let cannot_read = |e: std::io::Error| format!("cannot read: {e}");
    let mut file = std::fs::File::open(path).map_err(cannot_read)?;
    let metadata = file.metadata().map_err(cannot_read)?;
    if !metadata.is_file() {
        return Err("cannot read: not a regular file".into());
    }
    if metadata.len() > MAX_IMAGE_BYTES {
        return Err(too_large(metadata.len()));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(metadata.len()).unwrap_or(0));
    (&mut file)
        .take(HEADER_BYTES)
        .read_to_end(&mut bytes)
        .map_err(cannot_read)?;
    supported_format(&bytes)?;
    (&mut file)
        .take(MAX_IMAGE_BYTES + 1 - bytes.len() as u64)
        .read_to_end(&mut bytes)
        .map_err(cannot_read)?;
    if bytes.len() as u64 > MAX_IMAGE_BYTES {
        return Err(format!(
            "the file grew past the {} limit for one image while it was read",
            byte_size(MAX_IMAGE_BYTES)
        ));
    }
    Ok(bytes)
}

/// The message for an image over [`MAX_IMAGE_BYTES`].
fn too_large(bytes: u64) -> String {
    format!(
        "the image is {bytes} bytes, more than the {} limit for one image; downscale or \
         re-encode it",
        byte_size(MAX_IMAGE_BYTES)
    )
}

/// Downscales (never upscales) so that the longer side is at most `max_side`, keeping the aspect
/// ratio, with a Lanczos-3 filter. The convolution runs in `fast_image_resize` (SIMD, about ten
/// times faster than a scalar implementation), with the same filter definition.
fn shrink_to_fit(image: DynamicImage, max_side: u32) -> DynamicImage {
    let (width, height) = (image.width(), image.height());
    if width.max(height) <= max_side {
        return image;
    }
    let scale = f64::from(max_side) / f64::from(width.max(height));
    let target = |side: u32| ((f64::from(side) * scale).round() as u32).clamp(1, max_side);
    let mut resized = DynamicImage::new(target(width), target(height), image.color());
    let options = fast_image_resize::ResizeOptions::new().resize_alg(
        fast_image_resize::ResizeAlg::Convolution(fast_image_resize::FilterType::Lanczos3),
    );
    match fast_image_resize::Resizer::new().resize(&image, &mut resized, &options) {
        Ok(()) => resized,
        // Pixel layouts the fast path does not handle (e.g. 32-bit float grey) take the slow one.
        Err(_) => image.resize(max_side, max_side, image::imageops::FilterType::Lanczos3),
    }
}

fn encode_png(image: &DynamicImage) -> Result<(&'static str, Arc<[u8]>), String> {
    let mut out = Vec::new();
    // Fast deflate: the bytes stay lossless, and encoding is not the bottleneck of a run.
    let encoder =
        PngEncoder::new_with_quality(&mut out, CompressionType::Fast, FilterType::Adaptive);
    image
        .write_with_encoder(encoder)
        .map_err(|e| format!("cannot encode as PNG: {e}"))?;
    Ok(("image/png", out.into()))
}

fn encode_jpeg(image: &DynamicImage, quality: u8) -> Result<(&'static str, Arc<[u8]>), String> {
    let mut out = Vec::new();
    // JPEG has no alpha channel.
    let rgb = DynamicImage::ImageRgb8(image.to_rgb8());
    rgb.write_with_encoder(JpegEncoder::new_with_quality(&mut out, quality))
        .map_err(|e| format!("cannot encode as JPEG: {e}"))?;
    Ok(("image/jpeg", out.into()))
}

fn media_type(format: ImageFormat) -> Option<&'static str> {
    match format {
        ImageFormat::Png => Some("image/png"),
        ImageFormat::Jpeg => Some("image/jpeg"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{GrayImage, Luma};

    fn png_bytes(width: u32, height: u32) -> Vec<u8> {
        let image =
            GrayImage::from_fn(width, height, |x, y| Luma([((x * 7 + y * 13) % 256) as u8]));
        let mut out = Vec::new();
        DynamicImage::ImageLuma8(image)
            .write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
            .unwrap();
        out
    }

    fn bytes_image(bytes: Vec<u8>) -> Image {
        Image::Bytes {
            bytes: bytes.into(),
            origin: "test".into(),
        }
    }

    #[test]
    fn png_passes_through_untouched_by_default() {
        let original = png_bytes(20, 10);
        let prepared = prepare(&bytes_image(original.clone()), &ImagePolicy::default()).unwrap();
        assert_eq!(prepared.media_type, "image/png");
        assert_eq!(&prepared.bytes[..], &original[..]);
        assert!(
            prepared
                .data_url()
                .starts_with("data:image/png;base64,iVBORw0KGgo")
        );
    }

    /// `png` with text, EXIF, time and private chunks after its header, transparency and gamma
    /// kept beside them, and bytes after its end.
    fn png_with_metadata(png: &[u8]) -> Vec<u8> {
        use crate::png_chunks::tests::chunk;
        // Signature (8) and IHDR (4 + 4 + 13 + 4).
        let (head, rest) = png.split_at(33);
        let mut out = head.to_vec();
        out.extend(chunk(b"tEXt", b"Patient Name\0DOE^JANE"));
        out.extend(chunk(b"zTXt", b"Comment\0\0x\x9c\x03\x00\x00\x00\x00\x01"));
        out.extend(chunk(b"iTXt", b"Accession\0\0\0\0\0A123456"));
        out.extend(chunk(b"eXIf", b"MM\0*\0\0\0\x08\0\0"));
        out.extend(chunk(b"tIME", &[0x07, 0xe9, 1, 2, 3, 4, 5]));
        out.extend(chunk(b"gAMA", &45455u32.to_be_bytes()));
        out.extend(chunk(b"prVt", b"hospital-internal"));
        out.extend(chunk(b"tRNS", &[0, 7]));
        out.extend_from_slice(rest);
        out.extend_from_slice(b"MRN 0042 after IEND");
        out
    }

    #[test]
    fn png_metadata_and_trailing_bytes_are_not_sent_by_default() {
        let plain = png_bytes(20, 10);
        let with_metadata = png_with_metadata(&plain);
        assert_eq!(
            crate::png_chunks::chunk_types(&with_metadata),
            [
                "IHDR", "tEXt", "zTXt", "iTXt", "eXIf", "tIME", "gAMA", "prVt", "tRNS", "IDAT",
                "IEND"
            ]
        );
        let sent = prepare(&bytes_image(with_metadata.clone()), &ImagePolicy::default()).unwrap();
        assert_eq!(sent.media_type, "image/png");
        assert_eq!(
            crate::png_chunks::chunk_types(&sent.bytes),
            ["IHDR", "gAMA", "tRNS", "IDAT", "IEND"]
        );
        assert!(
            sent.bytes.ends_with(&[0xae, 0x42, 0x60, 0x82]),
            "nothing after IEND"
        );
        for secret in [&b"DOE^JANE"[..], b"A123456", b"hospital", b"MRN"] {
            assert!(
                !sent.bytes.windows(secret.len()).any(|w| w == secret),
                "{}",
                String::from_utf8_lossy(secret)
            );
        }
        // The pixels are those of the file (transparency applied as the original's).
        let original_pixels = image::load_from_memory(&with_metadata)
            .unwrap()
            .to_luma_alpha8();
        let sent_pixels = image::load_from_memory(&sent.bytes)
            .unwrap()
            .to_luma_alpha8();
        assert_eq!(sent_pixels, original_pixels);

        // `original` sends the file as it is, metadata included.
        let policy = ImagePolicy {
            encoding: ImageEncoding::Original,
            ..ImagePolicy::default()
        };
        let kept = prepare(&bytes_image(with_metadata.clone()), &policy).unwrap();
        assert_eq!(&kept.bytes[..], &with_metadata[..]);
    }

    #[test]
    fn an_image_file_over_the_limit_is_refused_before_it_is_read() {
        let dir = std::env::temp_dir().join(format!("medeval-images-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("huge.png");
        let file = std::fs::File::create(&path).unwrap();
        // A sparse file: a PNG signature and then nothing, 64 MiB + 1 byte long.
        std::io::Write::write_all(&mut &file, &png_bytes(4, 4)).unwrap();
        file.set_len(MAX_IMAGE_BYTES + 1).unwrap();
        let error = prepare(&Image::Path(path.clone()), &ImagePolicy::default())
            .unwrap_err()
            .to_string();
        assert_eq!(
            error,
            format!(
                "image {}: the image is 67108865 bytes, more than the 64 MiB limit for one \
                 image; downscale or re-encode it",
                path.display()
            )
        );
        // A file that does not start like a PNG or JPEG is refused from its first bytes.
        let text = dir.join("notes.png");
        std::fs::write(&text, b"Patient: DOE^JANE, not an image at all").unwrap();
        let error = prepare(&Image::Path(text), &ImagePolicy::default())
            .unwrap_err()
            .to_string();
        assert!(
            error.ends_with("not a recognised image format (PNG or JPEG expected)"),
            "{error}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn jpeg_is_re_encoded_losslessly_as_png() {
        let source = image::load_from_memory(&png_bytes(16, 16)).unwrap();
        let mut jpeg = Vec::new();
        source
            .write_to(&mut Cursor::new(&mut jpeg), ImageFormat::Jpeg)
            .unwrap();
        let decoded_jpeg = image::load_from_memory(&jpeg).unwrap().to_luma8();
        let prepared = prepare(&bytes_image(jpeg), &ImagePolicy::default()).unwrap();
        assert_eq!(prepared.media_type, "image/png");
        let sent = image::load_from_memory(&prepared.bytes).unwrap().to_luma8();
        assert_eq!(
            sent, decoded_jpeg,
            "PNG must carry exactly the decoded JPEG pixels"
        );
    }

    #[test]
    fn resizing_only_shrinks_and_keeps_the_aspect_ratio() {
        let policy = ImagePolicy {
            max_side: Some(50),
            ..ImagePolicy::default()
        };
        let big = prepare(&bytes_image(png_bytes(200, 100)), &policy).unwrap();
        assert_eq!(
            big.geometry,
            ImageGeometry {
                original_width: 200,
                original_height: 100,
                sent_width: 50,
                sent_height: 25
            }
        );
        let big = image::load_from_memory(&big.bytes).unwrap();
        assert_eq!((big.width(), big.height()), (50, 25));
        let small = prepare(&bytes_image(png_bytes(20, 10)), &policy).unwrap();
        assert_eq!(small.geometry, ImageGeometry::unchanged(20, 10));
        assert!(!small.geometry.resized());
        let small = image::load_from_memory(&small.bytes).unwrap();
        assert_eq!((small.width(), small.height()), (20, 10));
    }

    #[test]
    fn downscaling_keeps_a_flat_image_flat_and_sixteen_bits_deep() {
        // A Lanczos kernel's weights sum to one: a constant image stays exactly constant.
        let flat = image::ImageBuffer::from_pixel(300, 120, Luma([40_000u16]));
        let mut encoded = Vec::new();
        DynamicImage::ImageLuma16(flat)
            .write_to(&mut Cursor::new(&mut encoded), ImageFormat::Png)
            .unwrap();
        let policy = ImagePolicy {
            max_side: Some(100),
            ..ImagePolicy::default()
        };
        let sent = prepare(&bytes_image(encoded), &policy).unwrap();
        let sent = image::load_from_memory(&sent.bytes).unwrap();
        assert_eq!((sent.width(), sent.height()), (100, 40));
        let pixels = sent.as_luma16().expect("16-bit depth is kept");
        assert!(pixels.pixels().all(|p| p.0[0] == 40_000));
    }

    /// A deferred source that serves fixed bytes, or fails like a damaged archive.
    #[derive(Debug)]
    struct Member(Option<Vec<u8>>);

    impl medeval_core::ImageSource for Member {
        fn read(&self) -> Result<Vec<u8>, String> {
            self.0.clone().ok_or_else(|| "invalid checksum".to_owned())
        }
        fn describe(&self) -> String {
            "imgs.zip:xmlab1/source.png".into()
        }
    }

    #[test]
    fn deferred_images_are_read_when_prepared() {
        let original = png_bytes(12, 8);
        let image = Image::Deferred(Arc::new(Member(Some(original.clone()))));
        let prepared = prepare(&image, &ImagePolicy::default()).unwrap();
        assert_eq!(&prepared.bytes[..], &original[..]);
        let broken = Image::Deferred(Arc::new(Member(None)));
        let err = prepare(&broken, &ImagePolicy::default()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "image imgs.zip:xmlab1/source.png: cannot read: invalid checksum"
        );
    }

    #[test]
    fn derived_images_are_perturbed_and_re_encoded() {
        let source = bytes_image(png_bytes(30, 20));
        let blank = Image::Derived {
            source: Box::new(source.clone()),
            transform: medeval_core::ImageTransform::Blank,
        };
        let sent = prepare(&blank, &ImagePolicy::default()).unwrap();
        assert_eq!(sent.media_type, "image/png");
        let pixels = image::load_from_memory(&sent.bytes).unwrap().to_luma8();
        assert_eq!(pixels.dimensions(), (30, 20));
        assert!(pixels.pixels().all(|p| p.0[0] == 0));
        assert_eq!(blank.describe(), "test [blank]");
    }

    #[test]
    fn unreadable_images_name_their_origin() {
        let err = prepare(
            &bytes_image(b"GIF89a....".to_vec()),
            &ImagePolicy::default(),
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "image test: Gif images are not supported; convert them to PNG or JPEG"
        );
        let mut truncated = png_bytes(40, 40);
        truncated.truncate(60);
        let err = prepare(&bytes_image(truncated), &ImagePolicy::default()).unwrap_err();
        assert!(
            err.to_string().starts_with("image test: cannot decode:"),
            "{err}"
        );
        let missing = Image::Path("/nonexistent/scan.png".into());
        let err = prepare(&missing, &ImagePolicy::default()).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("image /nonexistent/scan.png: cannot read:"),
            "{err}"
        );
    }
}
