//! A series is not lost because the slice picked from it is unreadable: the nearest readable
//! slice of the series is used instead, and the files passed over are listed with their reason.

// In tests a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};

use common::{CT_STORAGE, Image, JPEG_BASELINE, encapsulated, file, jpeg};
use medeval_sanity::{BuildOptions, BuildSummary, Malformed, SkipReason, Task, build};

const SERIES: &str = "1.2.826.0.1.3680043.10.1087.401";

fn good() -> Vec<u8> {
    Image {
        series: SERIES,
        ..Image::default()
    }
    .bytes()
}

/// Passes the header checks, fails when decoded: the JPEG is 16 x 16, the header says 6 x 4.
fn corrupt() -> Vec<u8> {
    let mut ds = Image {
        series: SERIES,
        ..Image::default()
    }
    .header();
    ds.extend(encapsulated(&[&jpeg(16, 16)]));
    file(JPEG_BASELINE, CT_STORAGE, &ds)
}

fn run(files: &[(&str, Vec<u8>)], per_series: usize) -> Result<BuildSummary, String> {
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes) in files {
        std::fs::write(dir.path().join(name), bytes).unwrap();
    }
    let out = tempfile::tempdir().unwrap();
    let options = BuildOptions {
        tasks: vec![Task::Modality],
        per_series,
        ..BuildOptions::default()
    };
    build(dir.path(), &out.path().join("sanity.jsonl"), &options).map_err(|e| e.to_string())
}

fn used(summary: &BuildSummary) -> Vec<(PathBuf, Vec<PathBuf>)> {
    summary
        .sources
        .iter()
        .map(|s| (s.path.clone(), s.passed_over.clone()))
        .collect()
}

fn mismatch() -> SkipReason {
    SkipReason::Malformed(Malformed::FrameSizeMismatch {
        width: 16,
        height: 16,
        columns: 6,
        rows: 4,
    })
}

#[test]
fn an_unreadable_middle_slice_falls_back_to_the_next_readable_one() {
    let files = [
        ("s1.dcm", good()),
        ("s2.dcm", corrupt()),
        ("s3.dcm", corrupt()),
        ("s4.dcm", good()),
        ("s5.dcm", good()),
    ];
    // The middle slice (s3) fails; the nearest ones are s4 (the next, tried first) and s2.
    let summary = run(&files, 1).unwrap();
    assert_eq!(
        used(&summary),
        vec![(PathBuf::from("s4.dcm"), vec![PathBuf::from("s3.dcm")])]
    );
    assert_eq!(summary.skipped.len(), 1);
    assert_eq!(summary.skipped[0].path, Path::new("s3.dcm"));
    assert_eq!(summary.skipped[0].reason, mismatch());
}

#[test]
fn every_slice_is_tried_before_a_series_is_dropped() {
    let files = [
        ("s1.dcm", good()),
        ("s2.dcm", corrupt()),
        ("s3.dcm", corrupt()),
    ];
    // The middle (s2), then s3, then s1.
    let summary = run(&files, 1).unwrap();
    assert_eq!(
        used(&summary),
        vec![(
            PathBuf::from("s1.dcm"),
            vec![PathBuf::from("s2.dcm"), PathBuf::from("s3.dcm")]
        )]
    );
    // All unreadable: the error counts every file tried.
    let files = [("s1.dcm", corrupt()), ("s2.dcm", corrupt())];
    let error = run(&files, 1).unwrap_err();
    assert!(error.contains("2 file(s) skipped"), "{error}");
}

#[test]
fn fallbacks_never_use_an_image_twice() {
    let files = [
        ("s1.dcm", good()),
        ("s2.dcm", corrupt()),
        ("s3.dcm", good()),
        ("s4.dcm", good()),
    ];
    // Two picks of four: s2 (index 1) and s4 (index 3). s2 fails; its nearest is s3.
    let summary = run(&files, 2).unwrap();
    let paths: Vec<PathBuf> = summary.sources.iter().map(|s| s.path.clone()).collect();
    assert_eq!(
        paths,
        vec![PathBuf::from("s3.dcm"), PathBuf::from("s4.dcm")]
    );
    // Three picks of four with two unreadable: three images are not there to be had, and no
    // readable one is used twice.
    let files = [
        ("s1.dcm", good()),
        ("s2.dcm", corrupt()),
        ("s3.dcm", corrupt()),
        ("s4.dcm", good()),
    ];
    let summary = run(&files, 3).unwrap();
    let mut paths: Vec<PathBuf> = summary.sources.iter().map(|s| s.path.clone()).collect();
    paths.sort();
    assert_eq!(
        paths,
        vec![PathBuf::from("s1.dcm"), PathBuf::from("s4.dcm")]
    );
    assert_eq!(summary.skipped.len(), 2);
}
