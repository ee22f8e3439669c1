//! Malformed files are rejected quickly, with their reason, and cost no more than their size:
//! lengths are checked against the file before anything is read, frames against the header and
//! the frame limit. Valid but unusual structures (a UN sequence of undefined length, whose items
//! are implicit VR) are read correctly.

// In tests a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use common::{
    CT_STORAGE, EXPLICIT_LE, IMPLICIT_LE, Image, JPEG_BASELINE, encapsulated, file, header,
    implicit_header, implicit_text, jpeg, malformed_files, text,
};
use medeval_sanity::{
    BuildOptions, BuildSummary, MAX_DEPTH, MAX_FRAME_PIXELS, MAX_VALUE_LEN, Malformed, SkipReason,
    Tag, Task, build, scan,
};

fn folder(files: &[(&str, Vec<u8>)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes) in files {
        std::fs::write(dir.path().join(name), bytes).unwrap();
    }
    dir
}

fn reasons(dir: &Path) -> BTreeMap<String, SkipReason> {
    scan(dir, false)
        .unwrap()
        .skipped
        .into_iter()
        .map(|s| (s.path.to_string_lossy().into_owned(), s.reason))
        .collect()
}

fn build_flip(dir: &Path) -> (tempfile::TempDir, BuildSummary) {
    let out = tempfile::tempdir().unwrap();
    let options = BuildOptions {
        tasks: vec![Task::Flip],
        ..BuildOptions::default()
    };
    let summary = build(dir, &out.path().join("sanity.jsonl"), &options).unwrap();
    (out, summary)
}

#[test]
fn lengths_beyond_the_file_are_refused_before_reading() {
    let files = malformed_files();
    let dir = folder(&files);
    let started = Instant::now();
    let reasons = reasons(dir.path());
    let elapsed = started.elapsed();
    assert_eq!(reasons.len(), files.len(), "{reasons:#?}");
    // Ten small files: milliseconds each; the bound leaves room for a loaded machine.
    assert!(elapsed < Duration::from_secs(2), "{elapsed:?}");

    let beyond = |name: &str| match &reasons[name] {
        SkipReason::Malformed(Malformed::LengthBeyondEnd {
            tag,
            declared,
            available,
            ..
        }) => (*tag, *declared, *available),
        other => panic!("{name}: {other:?}"),
    };
    assert_eq!(
        beyond("huge_element.dcm"),
        (Tag(0x0029, 0x1010), 0xFFFF_FFF0, 10)
    );
    let (tag, declared, _) = beyond("huge_in_un_sequence.dcm");
    assert_eq!((tag, declared), (Tag(0x0008, 0x1150), 0xFFFF_FF00));
    let (tag, declared, _) = beyond("huge_item.dcm");
    assert_eq!((tag, declared), (Tag(0xFFFE, 0xE000), 0x7FFF_0000));
    assert_eq!(
        beyond("huge_pixel_data.dcm"),
        (Tag(0x7FE0, 0x0010), 0xFFFF_FFF0, 24)
    );
    let (tag, declared, _) = beyond("huge_jpeg_fragment.dcm");
    assert_eq!((tag, declared), (Tag(0xFFFE, 0xE000), 0x7FFF_FFF0));

    assert_eq!(
        reasons["huge_rows_columns.dcm"],
        SkipReason::Malformed(Malformed::PixelDataTooShort {
            available: 16,
            needed: 4096 * 4096,
            frames: 1,
            rows: 4096,
            columns: 4096,
            samples: 1,
            bits_allocated: 8,
        })
    );
    assert!(matches!(
        &reasons["huge_frame_count.dcm"],
        SkipReason::Malformed(Malformed::PixelDataTooShort { available: 24, needed, .. })
            if *needed == 24 * 2_147_483_647
    ));
    assert_eq!(
        reasons["huge_frame.dcm"],
        SkipReason::UnsupportedPixels(format!(
            "a frame of 65535x65535 pixels exceeds the {MAX_FRAME_PIXELS}-pixel limit"
        ))
    );
    assert!(matches!(
        reasons["deep_nesting.dcm"],
        SkipReason::Malformed(Malformed::TooDeep {
            limit: MAX_DEPTH,
            ..
        })
    ));
    assert!(matches!(
        reasons["truncated.dcm"],
        SkipReason::Malformed(Malformed::Truncated {
            inside: "an element header",
            ..
        })
    ));

    // What a user reads.
    assert_eq!(
        reasons["huge_element.dcm"].to_string(),
        format!(
            "malformed DICOM: element (0029,1010) at byte {} declares 4294967280 bytes but only 10 \
             remain in the file",
            files[0].1.len() - 10 - 12
        )
    );
    assert_eq!(
        reasons["huge_rows_columns.dcm"].to_string(),
        "malformed DICOM: pixel data holds 16 bytes; 1 frame(s) of 4096x4096 pixels, 1 sample(s) \
         of 8 bits, need 16777216"
    );
}

#[test]
fn a_folder_of_malformed_files_is_an_error_that_counts_them() {
    let dir = folder(&malformed_files());
    let out = tempfile::tempdir().unwrap();
    let err = build(
        dir.path(),
        &out.path().join("sanity.jsonl"),
        &BuildOptions::default(),
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .ends_with("(10 file(s) skipped: 9 malformed, 1 unsupported pixel layout)"),
        "{err}"
    );
}

#[test]
fn long_header_values_are_refused() {
    let mut ds = Image::default().header();
    ds.extend(header(0x7FE0, 0x0010, "OB", 24));
    ds.extend([0u8; 24]);
    // Body Part Examined of 5000 bytes, inserted in tag order after Modality.
    let long = "A".repeat(5000);
    let mut bytes = text(0x0018, 0x0015, "CS", &long);
    let at = ds
        .windows(4)
        .position(|w| w == [0x20, 0x00, 0x0D, 0x00])
        .unwrap();
    bytes.extend(ds.split_off(at));
    ds.extend(bytes);
    let dir = folder(&[("long.dcm", file(EXPLICIT_LE, CT_STORAGE, &ds))]);
    assert_eq!(
        reasons(dir.path())["long.dcm"],
        SkipReason::Malformed(Malformed::ValueTooLong {
            tag: Tag(0x0018, 0x0015),
            len: 5000,
            limit: MAX_VALUE_LEN,
        })
    );
}

#[test]
fn jpeg_frames_must_match_the_header() {
    // The header says 8 x 8; the JPEG is 16 x 16. (A series of its own, so that it is selected.)
    let mut ds = Image {
        rows: 8,
        columns: 8,
        series: "1.2.826.0.1.3680043.10.1087.201",
        ..Image::default()
    }
    .header();
    ds.extend(encapsulated(&[&jpeg(16, 16)]));
    let bigger = file(JPEG_BASELINE, CT_STORAGE, &ds);
    // The header says 8 x 8 (64 bytes); the compressed frame is 70,000 bytes.
    let mut ds = Image {
        rows: 8,
        columns: 8,
        ..Image::default()
    }
    .header();
    ds.extend(encapsulated(&[&[0u8; 70_000]]));
    let oversized = file(JPEG_BASELINE, CT_STORAGE, &ds);
    // A matching one renders.
    let mut ds = Image {
        rows: 16,
        columns: 16,
        ..Image::default()
    }
    .header();
    ds.extend(encapsulated(&[&jpeg(16, 16)]));
    let good = file(JPEG_BASELINE, CT_STORAGE, &ds);

    let dir = folder(&[
        ("bigger.dcm", bigger),
        ("good.dcm", good),
        ("oversized.dcm", oversized),
    ]);
    let (_out, summary) = build_flip(dir.path());
    assert_eq!(summary.images, 1);
    assert_eq!(summary.sources[0].path, Path::new("good.dcm"));
    let skipped: BTreeMap<String, SkipReason> = summary
        .skipped
        .into_iter()
        .map(|s| (s.path.to_string_lossy().into_owned(), s.reason))
        .collect();
    assert_eq!(skipped.len(), 2, "{skipped:?}");
    assert_eq!(
        skipped["bigger.dcm"],
        SkipReason::Malformed(Malformed::FrameSizeMismatch {
            width: 16,
            height: 16,
            columns: 8,
            rows: 8,
        })
    );
    assert_eq!(
        skipped["oversized.dcm"],
        SkipReason::Malformed(Malformed::CompressedFrameTooLarge {
            len: 70_000,
            limit: 2 * 64 + 65_536,
        })
    );
}

/// A UN element of undefined length holds a sequence encoded in implicit VR little endian
/// (PS3.5 6.2.2), even in an explicit VR file; pydicom's `UN_sequence.dcm` is such a file. It is
/// read as such, and the image after it is used.
#[test]
fn un_sequences_of_undefined_length_are_read_as_implicit_vr() {
    let mut ds = text(0x0008, 0x0016, "UI", CT_STORAGE);
    ds.extend(text(0x0008, 0x0060, "CS", "CT"));
    ds.extend(header(0x0009, 0x100C, "UN", u32::MAX));
    ds.extend(implicit_header(0xFFFE, 0xE000, u32::MAX));
    // Referenced Series Sequence, undefined length, with one item holding a UID.
    ds.extend(implicit_header(0x0008, 0x1115, u32::MAX));
    ds.extend(implicit_header(0xFFFE, 0xE000, u32::MAX));
    ds.extend(implicit_text(0x0008, 0x1150, CT_STORAGE));
    ds.extend(implicit_header(0xFFFE, 0xE00D, 0));
    ds.extend(implicit_header(0xFFFE, 0xE0DD, 0));
    ds.extend(implicit_text(0x0020, 0x000D, "1.2.3"));
    ds.extend(implicit_header(0xFFFE, 0xE00D, 0));
    ds.extend(implicit_header(0xFFFE, 0xE0DD, 0));
    let image = Image::default().header();
    // The image header without its SOP class and modality (already written above).
    let at = image
        .windows(4)
        .position(|w| w == [0x20, 0x00, 0x0D, 0x00])
        .unwrap();
    ds.extend(&image[at..]);
    ds.extend(header(0x7FE0, 0x0010, "OB", 24));
    ds.extend((0..24u8).collect::<Vec<_>>());
    let dir = folder(&[("un_sequence.dcm", file(EXPLICIT_LE, CT_STORAGE, &ds))]);
    let (_out, summary) = build_flip(dir.path());
    assert_eq!(summary.images, 1, "{:?}", summary.skipped);
}

/// The same image in implicit VR little endian, with a sequence of defined length skipped whole.
#[test]
fn implicit_vr_files_are_read() {
    let mut ds = Vec::new();
    ds.extend(implicit_text(0x0008, 0x0016, CT_STORAGE));
    ds.extend(implicit_text(0x0008, 0x0060, "MR"));
    ds.extend(implicit_header(0x0008, 0x1115, 20));
    ds.extend(implicit_header(0xFFFE, 0xE000, 12));
    ds.extend(implicit_text(0x0008, 0x1150, "1.2"));
    let us = |element: u16, value: u16| {
        let mut out = implicit_header(0x0028, element, 2);
        out.extend(value.to_le_bytes());
        out
    };
    ds.extend(us(0x0002, 1));
    ds.extend(implicit_text(0x0028, 0x0004, "MONOCHROME2"));
    ds.extend(us(0x0010, 2));
    ds.extend(us(0x0011, 3));
    ds.extend(us(0x0100, 16));
    ds.extend(us(0x0101, 12));
    ds.extend(us(0x0103, 0));
    ds.extend(implicit_header(0x7FE0, 0x0010, 12));
    for v in [0u16, 100, 200, 300, 400, 500] {
        ds.extend(v.to_le_bytes());
    }
    let dir = folder(&[("mr.dcm", file(IMPLICIT_LE, CT_STORAGE, &ds))]);
    let out = tempfile::tempdir().unwrap();
    let items = out.path().join("sanity.jsonl");
    let summary = build(
        dir.path(),
        &items,
        &BuildOptions {
            tasks: vec![Task::Modality],
            ..BuildOptions::default()
        },
    )
    .unwrap();
    assert_eq!(summary.images, 1, "{:?}", summary.skipped);
    let png = image::open(summary.images_dir.join("img0001.png"))
        .unwrap()
        .to_luma8();
    assert_eq!(png.dimensions(), (3, 2));
    // Full range 0..500: 0 black, 500 white.
    assert_eq!(png.get_pixel(0, 0).0, [0]);
    assert_eq!(png.get_pixel(2, 1).0, [255]);
}
