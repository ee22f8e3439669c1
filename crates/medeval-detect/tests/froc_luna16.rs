//! The LUNA16 FROC against a reference written from the evaluation script's published
//! definition (`bench/detect/make_fixtures.py`, which runs sklearn's `roc_curve` and numpy's
//! `interp` as the script does), and small cases computed by hand.

// In tests a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used)]

use std::io::Write;
use std::path::{Path, PathBuf};

use medeval_detect::froc::{FP_RATES, ScanSource, froc_curve, match_marks, read_luna16};
use serde_json::Value;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/froc")
}

fn check(expected_file: &str, scans: Option<&Path>) {
    let dir = fixtures();
    let input = read_luna16(
        &dir.join("annotations.csv"),
        &dir.join("candidates.csv"),
        Some(&dir.join("annotations_excluded.csv")),
        scans,
    )
    .unwrap();
    let expected: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join(expected_file)).unwrap()).unwrap();
    assert_eq!(
        input.scans.len() as u64,
        expected["scans"].as_u64().unwrap()
    );
    let matched = match_marks(&input);
    assert!(matched.marks_over_cap >= 30, "the 130-mark scan is capped");
    let curve = froc_curve(matched.entries.iter().flatten(), input.scans.len()).unwrap();
    let cpm = curve.cpm();
    for (rate, ours) in FP_RATES.iter().zip(cpm.sensitivities) {
        let key = if rate.fract() == 0.0 {
            format!("{rate:.0}")
        } else {
            rate.to_string()
        };
        let theirs = expected["sensitivities"][&key].as_f64().unwrap();
        assert_eq!(
            ours.to_bits(),
            theirs.to_bits(),
            "{expected_file}: sensitivity at {rate}"
        );
    }
    let theirs = expected["cpm"].as_f64().unwrap();
    assert_eq!(cpm.cpm.to_bits(), theirs.to_bits(), "{expected_file}: CPM");
}

#[test]
fn luna16_reference_with_the_scan_list() {
    let list = fixtures().join("seriesuids.csv");
    check("expected_scan_list.json", Some(&list));
}

#[test]
fn luna16_reference_with_the_union_of_scans() {
    check("expected_union.json", None);
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::File::create(&path)
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    path
}

#[test]
fn hand_computed_case_hits_duplicates_excluded_and_misses() {
    // Two scans listed, plus an empty third scan. Scan a: nodule A (d 10, at origin) hit by
    // marks 0.9 and 0.3 (the 0.3 is a duplicate, ignored); nodule B (d 4 at x=50) missed
    // (a mark at distance exactly 2 = the radius is not a hit: strict <); it is a false
    // positive with 0.8. A mark on the excluded nodule (d -1 -> 10 mm) at x=100 is ignored.
    // Scan b: nodule C hit by 0.5; a false positive at 0.6.
    let dir = tempfile::tempdir().unwrap();
    let annotations = write(
        dir.path(),
        "annotations.csv",
        "seriesuid,coordX,coordY,coordZ,diameter_mm\na,0,0,0,10\na,50,0,0,4\nb,0,0,0,6\n",
    );
    let excluded = write(
        dir.path(),
        "excluded.csv",
        "seriesuid,coordX,coordY,coordZ,diameter_mm\na,100,0,0,-1\n",
    );
    let candidates = write(
        dir.path(),
        "candidates.csv",
        "seriesuid,coordX,coordY,coordZ,probability\n\
         a,1,1,1,0.9\na,-2,0,0,0.3\na,52,0,0,0.8\na,104,0,0,0.99\nb,0,1,0,0.5\nb,30,0,0,0.6\n",
    );
    let scans = write(dir.path(), "scans.csv", "a\nb\nc\n");
    let input = read_luna16(&annotations, &candidates, Some(&excluded), Some(&scans)).unwrap();
    assert_eq!(input.scan_source, ScanSource::List(scans.clone()));
    let matched = match_marks(&input);
    assert_eq!(matched.duplicate_marks, 1);
    assert_eq!(matched.marks_on_excluded, 1);
    let curve = froc_curve(matched.entries.iter().flatten(), 3).unwrap();
    // Kept entries by probability: 0.9 TP, 0.8 FP, 0.6 FP, 0.5 TP. Two false-positive marks
    // over three scans; two of three nodules detectable.
    // ROC points (fp, tp): (0,0) (0,1) (1,1) (2,1) (2,2); (1,1) is collinear and dropped.
    // FP/scan: 0, 0, 2/3, 2/3; sensitivity: 0, 1/3, 1/3, 2/3.
    assert_eq!(curve.fps, vec![0.0, 0.0, 2.0 / 3.0, 2.0 / 3.0]);
    assert_eq!(
        curve.sensitivity,
        vec![0.0, 1.0 / 3.0, 1.0 / 3.0, 2.0 / 3.0]
    );
    let cpm = curve.cpm();
    // Every rate from 1/8 up is past 0 FP; below 2/3 the curve is flat at 1/3, from 1 on it
    // is at its end, 2/3.
    assert_eq!(cpm.sensitivities[0], 1.0 / 3.0);
    assert_eq!(cpm.sensitivities[2], 1.0 / 3.0);
    assert_eq!(cpm.sensitivities[3], 2.0 / 3.0);
    assert_eq!(cpm.sensitivities[6], 2.0 / 3.0);
    assert!((cpm.cpm - (3.0 / 3.0 + 4.0 * 2.0 / 3.0) / 7.0).abs() < 1e-15);
}

#[test]
fn the_cap_keeps_marks_strictly_above_the_101st_probability() {
    // 105 marks, all false positives: 95 at 0.9 and 10 at 0.5. The 101st highest is 0.5, so
    // only the 95 marks above it are kept (not 100).
    let dir = tempfile::tempdir().unwrap();
    let annotations = write(
        dir.path(),
        "annotations.csv",
        "seriesuid,coordX,coordY,coordZ,diameter_mm\ns,0,0,0,5\n",
    );
    let mut text = String::from("seriesuid,coordX,coordY,coordZ,probability\n");
    for i in 0..105 {
        let p = if i < 95 { 0.9 } else { 0.5 };
        text.push_str(&format!("s,{},0,0,{p}\n", 100 + i));
    }
    let candidates = write(dir.path(), "candidates.csv", &text);
    let input = read_luna16(&annotations, &candidates, None, None).unwrap();
    assert_eq!(input.scan_source, ScanSource::Union);
    let matched = match_marks(&input);
    assert_eq!(matched.marks_over_cap, 10);
    assert_eq!(matched.entries[0].len(), 96);
}
