//! Colour JPEG frames are decoded in the colour space the header and the JPEG declare: RGB
//! compressed without a colour transform (pydicom's `SC_jpeg_no_color_transform.dcm`) stays
//! RGB, YBR_FULL and YBR_FULL_422 are converted from YCbCr, and a file whose markers contradict
//! its header is skipped with its reason.

// In tests a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;

use common::{Image, JPEG_BASELINE, SC_STORAGE, encapsulated, file};
use medeval_sanity::{SkipReason, render};

/// A uniform colour JPEG (baseline, YCbCr, as the image crate writes it) with its APP0 marker.
fn ycbcr_jpeg(colour: [u8; 3]) -> Vec<u8> {
    let image = image::RgbImage::from_pixel(16, 16, image::Rgb(colour));
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 100)
        .encode_image(&image)
        .unwrap();
    assert_eq!(
        &out[2..4],
        &[0xFF, 0xE0],
        "the encoder writes a JFIF APP0 marker"
    );
    out
}

/// The same stream without its JFIF APP0 marker: no marker says what the components are.
fn unmarked(jpeg: &[u8]) -> Vec<u8> {
    let len = usize::from(u16::from_be_bytes([jpeg[4], jpeg[5]]));
    let mut out = jpeg[..2].to_vec();
    out.extend(&jpeg[4 + len..]);
    out
}

/// `jpeg` without its APP0 marker and with an Adobe APP14 marker carrying `transform`.
fn adobe(jpeg: &[u8], transform: u8) -> Vec<u8> {
    let stripped = unmarked(jpeg);
    let mut out = stripped[..2].to_vec();
    out.extend([0xFF, 0xEE, 0x00, 0x0E]);
    out.extend(b"Adobe");
    out.extend([0x00, 0x64, 0x00, 0x00, 0x00, 0x00, transform]);
    out.extend(&stripped[2..]);
    out
}

/// A secondary capture file holding one JPEG frame, with the given photometric interpretation.
fn write(dir: &Path, name: &str, photometric: &str, jpeg: &[u8]) -> std::path::PathBuf {
    let mut ds = Image {
        modality: Some("OT"),
        sop_class: SC_STORAGE,
        photometric,
        burned_in: Some("NO"),
        rows: 16,
        columns: 16,
        ..Image::default()
    }
    .header();
    ds.extend(encapsulated(&[jpeg]));
    let path = dir.join(name);
    std::fs::write(&path, file(JPEG_BASELINE, SC_STORAGE, &ds)).unwrap();
    path
}

fn centre(image: &image::DynamicImage) -> [u8; 3] {
    image.to_rgb8().get_pixel(8, 8).0
}

fn close(got: [u8; 3], want: [u8; 3]) -> bool {
    got.iter()
        .zip(want)
        .all(|(g, w)| (i16::from(*g) - i16::from(w)).abs() <= 3)
}

/// The stored components of a YCbCr stream of `colour`: what an RGB stream without a colour
/// transform holding those values would show.
fn ycbcr_of(colour: [u8; 3]) -> [u8; 3] {
    let [r, g, b] = colour.map(f64::from);
    let y = 0.299 * r + 0.587 * g + 0.114 * b;
    let cb = 128.0 - 0.168_736 * r - 0.331_264 * g + 0.5 * b;
    let cr = 128.0 + 0.5 * r - 0.418_688 * g - 0.081_312 * b;
    [y, cb, cr].map(|v| v.round().clamp(0.0, 255.0) as u8)
}

const COLOUR: [u8; 3] = [124, 166, 136];

#[test]
fn rgb_without_a_colour_transform_is_not_converted() {
    let dir = tempfile::tempdir().unwrap();
    let jpeg = ycbcr_jpeg(COLOUR);
    // No marker: the components are what the header says, RGB, shown as stored.
    let stored = ycbcr_of(COLOUR);
    let path = write(dir.path(), "rgb_unmarked.dcm", "RGB", &unmarked(&jpeg));
    let got = centre(&render(&path).unwrap());
    assert!(close(got, stored), "got {got:?}, stored {stored:?}");
    // An Adobe marker saying "no transform" agrees with the header.
    let path = write(dir.path(), "rgb_adobe0.dcm", "RGB", &adobe(&jpeg, 0));
    let got = centre(&render(&path).unwrap());
    assert!(close(got, stored), "got {got:?}, stored {stored:?}");
}

#[test]
fn ybr_jpeg_is_converted_to_rgb() {
    let dir = tempfile::tempdir().unwrap();
    let jpeg = ycbcr_jpeg(COLOUR);
    for (name, photometric, stream) in [
        ("full_422_jfif.dcm", "YBR_FULL_422", jpeg.clone()),
        ("full_jfif.dcm", "YBR_FULL", jpeg.clone()),
        ("full_422_unmarked.dcm", "YBR_FULL_422", unmarked(&jpeg)),
        ("full_422_adobe1.dcm", "YBR_FULL_422", adobe(&jpeg, 1)),
    ] {
        let path = write(dir.path(), name, photometric, &stream);
        let got = centre(&render(&path).unwrap_or_else(|e| panic!("{name}: {e}")));
        assert!(close(got, COLOUR), "{name}: got {got:?}, want {COLOUR:?}");
    }
}

#[test]
fn colour_markers_that_contradict_the_header_are_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let jpeg = ycbcr_jpeg(COLOUR);
    let cases = [
        ("rgb_jfif.dcm", "RGB", jpeg.clone(), "JFIF APP0"),
        (
            "rgb_adobe1.dcm",
            "RGB",
            adobe(&jpeg, 1),
            "colour transform 1",
        ),
        (
            "ybr_adobe0.dcm",
            "YBR_FULL_422",
            adobe(&jpeg, 0),
            "colour transform 0",
        ),
        (
            "rgb_adobe2.dcm",
            "RGB",
            adobe(&jpeg, 2),
            "colour transform 2",
        ),
    ];
    for (name, photometric, stream, says) in cases {
        let path = write(dir.path(), name, photometric, &stream);
        match render(&path) {
            Err(SkipReason::UnsupportedPixels(why)) => {
                assert!(why.contains(says), "{name}: {why}");
            }
            other => panic!("{name}: {other:?}"),
        }
    }
    // A grey JPEG under a colour header is refused, not passed off as colour.
    let mut grey = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut grey, 90)
        .encode_image(&image::GrayImage::from_pixel(16, 16, image::Luma([90])))
        .unwrap();
    let path = write(dir.path(), "rgb_grey.dcm", "RGB", &grey);
    match render(&path) {
        Err(SkipReason::UnsupportedPixels(why)) => assert!(why.contains("1 component"), "{why}"),
        other => panic!("{other:?}"),
    }
}
