//! End-to-end tests of `medeval seg`: the real binary on real files.
//!
//! Two kinds of input, neither written by medeval's own code:
//! * small NIfTI-1 files built byte by byte from the specification (`nifti1.h`) below, holding
//!   boxes and voxels whose metrics are computed by hand in the comments;
//! * the nibabel-written fixtures of `crates/medeval-dense/tests/data`, whose metrics were
//!   recorded from MONAI and medpy by `bench/seg/make_fixtures.py`.

// In tests a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::PathBuf;
use std::process::Output;

use common::{assert_success, medeval_in, snapshot, stderr, stdout};
use serde_json::Value;

fn fixture(name: &str) -> PathBuf {
    common::manifest_dir()
        .join("../medeval-dense/tests/data")
        .join(name)
}

fn reference_values() -> Value {
    serde_json::from_str(&std::fs::read_to_string(fixture("reference_values.json")).unwrap())
        .unwrap()
}

/// A single-file NIfTI-1 image (`.nii`) of `uint8` labels, laid out as `nifti1.h` specifies:
/// a 348-byte little-endian header, a 4-byte extension flag (zero: no extensions) and the
/// voxels from byte 352, x fastest. `qform_code` and `sform_code` are 0, so the geometry is
/// `pixdim` alone; `scl_slope` is 0, which the standard defines as "no scaling".
fn nifti1_u8(
    shape: [usize; 3],
    spacing: [f32; 3],
    label_at: impl Fn(usize, usize, usize) -> u8,
) -> Vec<u8> {
    let mut bytes = vec![0u8; 352];
    let mut put =
        |offset: usize, value: &[u8]| bytes[offset..offset + value.len()].copy_from_slice(value);
    put(0, &348i32.to_le_bytes()); // sizeof_hdr
    let dim = [3, shape[0], shape[1], shape[2], 1, 1, 1, 1];
    for (i, d) in dim.iter().enumerate() {
        put(40 + 2 * i, &i16::try_from(*d).unwrap().to_le_bytes()); // dim[8]
    }
    put(70, &2i16.to_le_bytes()); // datatype: DT_UNSIGNED_CHAR
    put(72, &8i16.to_le_bytes()); // bitpix
    let pixdim = [1.0, spacing[0], spacing[1], spacing[2], 1.0, 1.0, 1.0, 1.0];
    for (i, p) in pixdim.iter().enumerate() {
        put(76 + 4 * i, &p.to_le_bytes()); // pixdim[8]; pixdim[0] is qfac
    }
    put(108, &352f32.to_le_bytes()); // vox_offset
    put(344, b"n+1\0"); // magic: header and data in one file
    for z in 0..shape[2] {
        for y in 0..shape[1] {
            for x in 0..shape[0] {
                bytes.push(label_at(x, y, z));
            }
        }
    }
    bytes
}

const SHAPE: [usize; 3] = [6, 5, 4];
const SPACING: [f32; 3] = [0.5, 1.0, 2.0];

/// Reference of the hand-computed case:
/// * label 1: the 2x2x2 box x 1..=2, y 1..=2, z 1..=2;
/// * label 2: the voxel (4, 0, 0);
/// * label 3: the voxel (0, 4, 3) (absent from the prediction).
fn hand_reference(x: usize, y: usize, z: usize) -> u8 {
    match (x, y, z) {
        (1..=2, 1..=2, 1..=2) => 1,
        (4, 0, 0) => 2,
        (0, 4, 3) => 3,
        _ => 0,
    }
}

/// Prediction of the hand-computed case:
/// * label 1: the same box moved one voxel (0.5 mm) along x: x 2..=3;
/// * label 2: the voxel (4, 1, 1), one voxel along y (1 mm) and z (2 mm) away;
/// * label 4: the voxel (5, 4, 3) (absent from the reference).
fn hand_prediction(x: usize, y: usize, z: usize) -> u8 {
    match (x, y, z) {
        (2..=3, 1..=2, 1..=2) => 1,
        (4, 1, 1) => 2,
        (5, 4, 3) => 4,
        _ => 0,
    }
}

/// What each label of the hand case must give, worked out by hand:
///
/// * label 1: the boxes share the layer x = 2 (4 voxels): dice 2·4/(8+8) = 0.5, iou 4/12.
///   Every voxel of a 2x2x2 box is a surface voxel. Half of each surface lies on the other
///   surface (distance 0), the other half one voxel along x away (0.5 mm): hd 0.5; directed
///   95th percentiles of [0,0,0,0,.5,.5,.5,.5] are 0.5; assd (8·0 + 8·0.5)/16 = 0.25; all
///   distances are within 1 mm: nsd@1.0 = 1.
/// * label 2: single voxels, no overlap, √(1² + 2²) = √5 mm apart in every statistic.
/// * label 3 (prediction empty) and 4 (reference empty): dice, iou and nsd 0, distances
///   undefined (null), per the empty-mask table.
fn hand_expected() -> Vec<(u64, [Option<f64>; 6])> {
    let root5 = 5f64.sqrt();
    vec![
        (
            1,
            [
                Some(0.5),
                Some(1.0 / 3.0),
                Some(0.5),
                Some(0.5),
                Some(0.25),
                Some(1.0),
            ],
        ),
        (
            2,
            [
                Some(0.0),
                Some(0.0),
                Some(root5),
                Some(root5),
                Some(root5),
                Some(0.0),
            ],
        ),
        (3, [Some(0.0), Some(0.0), None, None, None, Some(0.0)]),
        (4, [Some(0.0), Some(0.0), None, None, None, Some(0.0)]),
    ]
}

const METRIC_KEYS: [&str; 6] = ["dice", "iou", "hd", "hd95", "assd", "nsd@1.0"];

/// A temporary folder holding the hand case as `ref.nii` and `pred.nii`.
fn hand_case() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("ref.nii"),
        nifti1_u8(SHAPE, SPACING, hand_reference),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("pred.nii"),
        nifti1_u8(SHAPE, SPACING, hand_prediction),
    )
    .unwrap();
    dir
}

fn json_lines(output: &Output) -> Vec<Value> {
    assert_success(output);
    stdout(output)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

fn assert_close(got: &Value, want: Option<f64>, tolerance: f64, what: &str) {
    match want {
        None => assert!(got.is_null(), "{what}: expected null, got {got}"),
        Some(want) => {
            let got = got
                .as_f64()
                .unwrap_or_else(|| panic!("{what}: expected a number, got {got}"));
            assert!(
                (got - want).abs() <= tolerance * want.abs().max(1.0),
                "{what}: {got} vs {want}"
            );
        }
    }
}

#[test]
fn json_prints_one_object_per_label_with_exactly_the_requested_keys() {
    let dir = hand_case();
    let output = medeval_in(
        dir.path(),
        &[
            "seg",
            "--reference",
            "ref.nii",
            "--prediction",
            "pred.nii",
            "--metrics",
            "dice,iou,hd,hd95,assd,nsd@1.0",
            "--json",
        ],
    );
    let rows = json_lines(&output);
    let expected = hand_expected();
    assert_eq!(
        rows.len(),
        expected.len(),
        "one object per label present in either file"
    );
    for (row, (label, values)) in rows.iter().zip(expected) {
        let keys: Vec<&str> = row
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            [
                "label",
                "dice",
                "iou",
                "hd",
                "hd95",
                "assd",
                "nsd@1.0",
                "convention",
                "reference_voxels",
                "prediction_voxels"
            ]
        );
        assert_eq!(row["label"], label);
        assert_eq!(row["convention"], "voxel");
        for (key, want) in METRIC_KEYS.iter().zip(values) {
            assert_close(&row[key], want, 1e-12, &format!("label {label} {key}"));
        }
    }
    assert_eq!(
        (
            rows[0]["reference_voxels"].as_u64(),
            rows[0]["prediction_voxels"].as_u64()
        ),
        (Some(8), Some(8))
    );
    assert_eq!(
        (
            rows[2]["reference_voxels"].as_u64(),
            rows[2]["prediction_voxels"].as_u64()
        ),
        (Some(1), Some(0))
    );
    assert_eq!(
        (
            rows[3]["reference_voxels"].as_u64(),
            rows[3]["prediction_voxels"].as_u64()
        ),
        (Some(0), Some(1))
    );
}

#[test]
fn json_agrees_with_monai_and_medpy_on_nibabel_written_volumes() {
    let dir = tempfile::tempdir().unwrap();
    for name in [
        "ellipsoids_reference.nii.gz",
        "ellipsoids_prediction.nii.gz",
    ] {
        std::fs::copy(fixture(name), dir.path().join(name)).unwrap();
    }
    let output = medeval_in(
        dir.path(),
        &[
            "seg",
            "--reference",
            "ellipsoids_reference.nii.gz",
            "--prediction",
            "ellipsoids_prediction.nii.gz",
            "--metrics",
            "dice,iou,hd,hd95,assd,nsd@1.0",
            "--json",
        ],
    );
    let rows = json_lines(&output);
    let references = reference_values();
    let case = references["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "ellipsoids")
        .unwrap();
    let labels = case["labels"].as_object().unwrap();
    assert_eq!(rows.len(), labels.len());
    for row in &rows {
        let label = row["label"].to_string();
        let recorded = &labels[&label];
        assert_eq!(row["reference_voxels"], recorded["reference_voxels"]);
        assert_eq!(row["prediction_voxels"], recorded["prediction_voxels"]);
        // medpy computes in float64; MONAI returns float32, hence 1e-6 relative.
        for key in ["dice", "iou"] {
            assert_close(
                &row[key],
                recorded["medpy"][key].as_f64(),
                1e-12,
                &format!("label {label} {key} vs medpy"),
            );
        }
        for key in ["hd", "hd95", "assd", "nsd@1.0"] {
            assert_close(
                &row[key],
                recorded["monai"][key].as_f64(),
                1e-6,
                &format!("label {label} {key} vs MONAI"),
            );
        }
    }
}

#[test]
fn labels_option_selects_labels_in_the_order_given() {
    let dir = hand_case();
    let output = medeval_in(
        dir.path(),
        &[
            "seg",
            "--reference",
            "ref.nii",
            "--prediction",
            "pred.nii",
            "--labels",
            "2,7",
            "--metrics",
            "dice,hd,nsd@1.0",
            "--json",
        ],
    );
    let rows = json_lines(&output);
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["label"], 2);
    assert_close(&rows[0]["hd"], Some(5f64.sqrt()), 1e-12, "label 2 hd");
    // Label 7 is in neither file: both masks empty, which the table defines as perfect
    // agreement (dice 1, distances 0, nsd 1).
    assert_eq!(rows[1]["label"], 7);
    assert_eq!(
        (
            rows[1]["reference_voxels"].as_u64(),
            rows[1]["prediction_voxels"].as_u64()
        ),
        (Some(0), Some(0))
    );
    assert_close(&rows[1]["dice"], Some(1.0), 0.0, "label 7 dice");
    assert_close(&rows[1]["hd"], Some(0.0), 0.0, "label 7 hd");
    assert_close(&rows[1]["nsd@1.0"], Some(1.0), 0.0, "label 7 nsd");
}

#[test]
fn the_table_shows_every_label_and_names_the_convention() {
    let dir = hand_case();
    let output = medeval_in(
        dir.path(),
        &["seg", "--reference", "ref.nii", "--prediction", "pred.nii"],
    );
    assert_success(&output);
    snapshot!("seg_table_hand_case", stdout(&output));
}

/// Folder mode over three references and three predictions: `case_a` (hand case, `.nii`),
/// `case_b` (nibabel fixture, `.nii.gz`), `case_c` (reference only) and `case_d`
/// (prediction only).
#[test]
fn folder_mode_pairs_by_file_name_and_reports_the_missing_pair() {
    let dir = tempfile::tempdir().unwrap();
    let (refs, preds) = (dir.path().join("refs"), dir.path().join("preds"));
    std::fs::create_dir_all(&refs).unwrap();
    std::fs::create_dir_all(&preds).unwrap();
    std::fs::write(
        refs.join("case_a.nii"),
        nifti1_u8(SHAPE, SPACING, hand_reference),
    )
    .unwrap();
    std::fs::write(
        preds.join("case_a.nii"),
        nifti1_u8(SHAPE, SPACING, hand_prediction),
    )
    .unwrap();
    std::fs::copy(
        fixture("ellipsoids_reference.nii.gz"),
        refs.join("case_b.nii.gz"),
    )
    .unwrap();
    std::fs::copy(
        fixture("ellipsoids_prediction.nii.gz"),
        preds.join("case_b.nii.gz"),
    )
    .unwrap();
    std::fs::write(
        refs.join("case_c.nii"),
        nifti1_u8(SHAPE, SPACING, hand_reference),
    )
    .unwrap();
    std::fs::write(
        preds.join("case_d.nii"),
        nifti1_u8(SHAPE, SPACING, hand_prediction),
    )
    .unwrap();

    let output = medeval_in(
        dir.path(),
        &[
            "seg",
            "--reference-dir",
            "refs",
            "--prediction-dir",
            "preds",
            "--metrics",
            "dice,iou,hd,hd95,assd,nsd@1.0",
            "--out",
            "per_case.csv",
        ],
    );
    // One case failed, so the run fails, after writing everything else.
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let err = stderr(&output);
    assert!(
        err.contains("case case_c: refs/case_c.nii: no prediction file named 'case_c'"),
        "{err}"
    );
    assert!(
        err.contains("preds/case_d.nii has no reference of the same name"),
        "{err}"
    );
    assert!(err.contains("1 of 3 cases failed"), "{err}");
    snapshot!("seg_folder_summary", stdout(&output));

    let mut reader = csv::Reader::from_path(dir.path().join("per_case.csv")).unwrap();
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(
        header,
        [
            "case",
            "label",
            "convention",
            "reference_voxels",
            "prediction_voxels",
            "dice",
            "iou",
            "hd",
            "hd95",
            "assd",
            "nsd@1.0",
            "error"
        ]
    );
    let rows: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect();
    let number = |field: &str| (!field.is_empty()).then(|| field.parse::<f64>().unwrap());

    // case_a: the hand-computed values.
    let case_a: Vec<&Vec<String>> = rows.iter().filter(|r| r[0] == "case_a").collect();
    assert_eq!(case_a.len(), 4);
    for (row, (label, values)) in case_a.iter().zip(hand_expected()) {
        assert_eq!(row[1], label.to_string());
        assert_eq!(row[11], "", "no error");
        for (i, want) in values.iter().enumerate() {
            let got = number(&row[5 + i]);
            match (got, want) {
                (None, None) => {}
                (Some(g), Some(w)) => assert!(
                    (g - w).abs() < 1e-12,
                    "case_a label {label} column {}: {g} vs {w}",
                    header[5 + i]
                ),
                other => panic!("case_a label {label} column {}: {other:?}", header[5 + i]),
            }
        }
    }
    // case_b: the values recorded from MONAI and medpy.
    let references = reference_values();
    let recorded = &references["cases"][0]["labels"];
    let case_b: Vec<&Vec<String>> = rows.iter().filter(|r| r[0] == "case_b").collect();
    assert_eq!(case_b.len(), 4);
    // Labels 3 and 4 occur only in case_a: case_b holds neither in either file, so they score
    // as both empty there (dice, iou, nsd 1; distances 0).
    for row in &case_b[2..] {
        assert_eq!(
            row[3..11],
            ["0", "0", "1", "1", "0", "0", "0", "1"],
            "{row:?}"
        );
    }
    for row in &case_b[..2] {
        let labels = &recorded[row[1].as_str()];
        let close = |got: &str, want: &Value, tolerance: f64| {
            let (got, want) = (got.parse::<f64>().unwrap(), want.as_f64().unwrap());
            assert!(
                (got - want).abs() <= tolerance * want.abs().max(1.0),
                "case_b label {}: {got} vs {want}",
                row[1]
            );
        };
        close(&row[5], &labels["medpy"]["dice"], 1e-12);
        close(&row[7], &labels["monai"]["hd"], 1e-6);
        close(&row[8], &labels["monai"]["hd95"], 1e-6);
        close(&row[10], &labels["monai"]["nsd@1.0"], 1e-6);
    }
    // case_c: one row carrying the error, no values.
    let case_c: Vec<&Vec<String>> = rows.iter().filter(|r| r[0] == "case_c").collect();
    assert_eq!(case_c.len(), 1);
    assert!(case_c[0][5..11].iter().all(String::is_empty));
    assert_eq!(
        case_c[0][11],
        "refs/case_c.nii: no prediction file named 'case_c'"
    );
    assert!(
        !rows.iter().any(|r| r[0] == "case_d"),
        "a prediction without reference is not a case"
    );
}

#[test]
fn grids_that_differ_are_errors_naming_both_files() {
    let dir = hand_case();
    std::fs::write(
        dir.path().join("short.nii"),
        nifti1_u8([6, 5, 3], SPACING, hand_prediction),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("thick.nii"),
        nifti1_u8(SHAPE, [0.5, 1.0, 2.5], hand_prediction),
    )
    .unwrap();

    let shape = medeval_in(
        dir.path(),
        &["seg", "--reference", "ref.nii", "--prediction", "short.nii"],
    );
    assert_eq!(shape.status.code(), Some(1));
    snapshot!("seg_error_shape", stderr(&shape));

    let spacing = medeval_in(
        dir.path(),
        &["seg", "--reference", "ref.nii", "--prediction", "thick.nii"],
    );
    assert_eq!(spacing.status.code(), Some(1));
    snapshot!("seg_error_spacing", stderr(&spacing));
}

#[test]
fn unreadable_and_corrupt_files_are_errors_naming_the_file() {
    let dir = hand_case();
    // A gzip stream cut in the middle (the nibabel fixture, first half only).
    let gz = std::fs::read(fixture("ellipsoids_prediction.nii.gz")).unwrap();
    std::fs::write(dir.path().join("cut.nii.gz"), &gz[..gz.len() / 2]).unwrap();
    // Not a NIfTI file at all.
    std::fs::write(dir.path().join("notes.nii"), b"these are not voxels\n").unwrap();
    // A valid header announcing more voxels than the file holds.
    let mut short = nifti1_u8(SHAPE, SPACING, hand_prediction);
    short.truncate(352 + 50);
    std::fs::write(dir.path().join("short_data.nii"), short).unwrap();

    for (name, file) in [
        ("seg_error_truncated_gzip", "cut.nii.gz"),
        ("seg_error_wrong_magic", "notes.nii"),
        ("seg_error_truncated_voxels", "short_data.nii"),
        ("seg_error_missing_file", "absent.nii"),
    ] {
        let output = medeval_in(
            dir.path(),
            &["seg", "--reference", "ref.nii", "--prediction", file],
        );
        assert_eq!(output.status.code(), Some(1), "{file}");
        let err = stderr(&output);
        assert!(err.contains(file), "{file}: {err}");
        assert!(
            output.stdout.is_empty(),
            "{file}: no partial result on stdout"
        );
        snapshot!(name, err);
    }
}

/// Label 1 of the hand case alone: the 2x2x2 box x 1..=2, y 1..=2, z 1..=2.
fn box_reference(x: usize, y: usize, z: usize) -> u8 {
    u8::from(matches!((x, y, z), (1..=2, 1..=2, 1..=2)))
}

/// The same box one voxel (0.5 mm) along x: dice 0.5, hd 0.5 (see [`hand_expected`]).
fn box_prediction(x: usize, y: usize, z: usize) -> u8 {
    u8::from(matches!((x, y, z), (2..=3, 1..=2, 1..=2)))
}

/// `refs/` and `preds/` in a temporary folder: `case_a` (the box and the shifted box),
/// `case_b` (background only in both files) and `case_c` (reference only).
fn folder_with_an_empty_case() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let (refs, preds) = (dir.path().join("refs"), dir.path().join("preds"));
    std::fs::create_dir_all(&refs).unwrap();
    std::fs::create_dir_all(&preds).unwrap();
    let write = |path: PathBuf, label_at: fn(usize, usize, usize) -> u8| {
        std::fs::write(path, nifti1_u8(SHAPE, SPACING, label_at)).unwrap();
    };
    write(refs.join("case_a.nii"), box_reference);
    write(preds.join("case_a.nii"), box_prediction);
    write(refs.join("case_b.nii"), |_, _, _| 0);
    write(preds.join("case_b.nii"), |_, _, _| 0);
    write(refs.join("case_c.nii"), box_reference);
    dir
}

/// Runs folder mode on [`folder_with_an_empty_case`] and returns the process output and the
/// `--summary` JSON.
fn run_empty_case_folder(dir: &std::path::Path, extra: &[&str]) -> (Output, Value) {
    let mut args = vec![
        "seg",
        "--reference-dir",
        "refs",
        "--prediction-dir",
        "preds",
        "--metrics",
        "dice,hd",
        "--out",
        "per_case.csv",
        "--summary",
        "summary.json",
        "--bootstrap",
        "10",
    ];
    args.extend_from_slice(extra);
    let output = medeval_in(dir, &args);
    let summary: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap();
    (output, summary)
}

/// (n, undefined, mean) of one label and metric in a `--summary` file.
fn summary_stat(summary: &Value, label: u64, metric: &str) -> (u64, u64, f64) {
    let row = summary["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["label"] == label && r["metric"] == metric)
        .unwrap_or_else(|| panic!("no row for label {label} {metric} in {summary:#}"));
    (
        row["summary"]["n"].as_u64().unwrap(),
        row["undefined"].as_u64().unwrap(),
        row["summary"]["mean"].as_f64().unwrap(),
    )
}

/// A case whose two files hold no label at all is a perfect "both empty" case for every label
/// found elsewhere in the folder: by hand, label 1 Dice is (0.5 + 1) / 2 = 0.75 over n = 2 and
/// hd (0.5 + 0) / 2 = 0.25, with or without `--labels 1` (before: n = 1, mean 0.5 and 0.5
/// without `--labels`, while the footer claimed 2 cases evaluated). The failed case is named
/// in the footer and on stderr with its reason.
#[test]
fn folder_mode_scores_cases_without_any_label_as_both_empty() {
    let dir = folder_with_an_empty_case();
    let (output, summary) = run_empty_case_folder(dir.path(), &[]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let (n, undefined, mean) = summary_stat(&summary, 1, "dice");
    assert_eq!((n, undefined), (2, 0));
    assert!((mean - 0.75).abs() < 1e-12, "dice mean {mean}");
    let (n, undefined, mean) = summary_stat(&summary, 1, "hd");
    assert_eq!((n, undefined), (2, 0));
    assert!((mean - 0.25).abs() < 1e-12, "hd mean {mean}");
    assert_eq!(summary["labels"], serde_json::json!([1]));
    assert_eq!(summary["cases"]["found"], 3);
    assert_eq!(summary["cases"]["evaluated"], 2);
    assert_eq!(summary["cases"]["left_out"][0]["case"], "case_c");

    let mut reader = csv::Reader::from_path(dir.path().join("per_case.csv")).unwrap();
    let rows: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect();
    let case_b: Vec<&Vec<String>> = rows.iter().filter(|r| r[0] == "case_b").collect();
    assert_eq!(case_b.len(), 1, "{rows:?}");
    assert_eq!(case_b[0][1..8], ["1", "voxel", "0", "0", "1", "0", ""]);

    let out = stdout(&output);
    assert!(
        out.contains("3 cases: 2 evaluated, 1 failed (left out: case_c)"),
        "{out}"
    );
    assert!(
        out.contains("labels 1 (every label found in any case"),
        "{out}"
    );
    let err = stderr(&output);
    assert!(
        err.contains("left out: case case_c: refs/case_c.nii: no prediction file named 'case_c'"),
        "{err}"
    );

    // Naming the label gives the same summary.
    let (_, with_labels) = run_empty_case_folder(dir.path(), &["--labels", "1"]);
    assert_eq!(with_labels["rows"], summary["rows"]);
}

/// [`box_prediction`] stored as 0/255, as many tools save masks.
fn box_prediction_255(x: usize, y: usize, z: usize) -> u8 {
    255 * box_prediction(x, y, z)
}

/// [`box_prediction`] as a probability map stored as 0-255: the shifted box holds values
/// 204..=207 (200 + x + y + z), the background 92 distinct values in 1..=100, none >= 128.
fn box_probabilities(x: usize, y: usize, z: usize) -> u8 {
    if box_prediction(x, y, z) == 1 {
        200 + u8::try_from(x + y + z).unwrap()
    } else {
        u8::try_from((x + 6 * y + 30 * z) % 100 + 1).unwrap()
    }
}

/// A temporary folder holding `ref.nii` (the box, 0/1) and `pred.nii`.
fn box_pair(prediction: fn(usize, usize, usize) -> u8) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("ref.nii"),
        nifti1_u8(SHAPE, SPACING, box_reference),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("pred.nii"),
        nifti1_u8(SHAPE, SPACING, prediction),
    )
    .unwrap();
    dir
}

fn pair_json(dir: &std::path::Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "seg",
        "--reference",
        "ref.nii",
        "--prediction",
        "pred.nii",
        "--metrics",
        "dice,hd",
        "--json",
    ];
    args.extend_from_slice(extra);
    medeval_in(dir, &args)
}

/// A 0/1 reference against a 0/255 prediction: labels 1 and 255 with Dice 0 each are still
/// printed, but with a warning naming both values and `--binarize`, and exit status 1 (before:
/// silently, status 0). `--binarize` scores the masks: by hand, Dice 0.5 and hd 0.5 mm (the
/// box moved by one 0.5 mm voxel). `--labels` names the labels, so the warning stays but the
/// status is 0.
#[test]
fn zero_one_against_zero_255_is_flagged_and_binarize_scores_it() {
    let dir = box_pair(box_prediction_255);
    let output = pair_json(dir.path(), &[]);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{err}");
    assert!(
        err.contains("the reference's only foreground value is 1 and the prediction's is 255"),
        "{err}"
    );
    assert!(err.contains("pass --binarize"), "{err}");
    let labels: Vec<Value> = stdout(&output)
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["label"].clone())
        .collect();
    assert_eq!(labels, [1, 255]);

    let rows = json_lines(&pair_json(dir.path(), &["--binarize"]));
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["label"], 1);
    assert_eq!(rows[0]["reference_voxels"], 8);
    assert_eq!(rows[0]["prediction_voxels"], 8);
    assert_close(&rows[0]["dice"], Some(0.5), 1e-12, "dice");
    assert_close(&rows[0]["hd"], Some(0.5), 1e-12, "hd");
    assert_eq!(rows[0]["binarized"], "non-zero");

    let output = medeval_in(
        dir.path(),
        &[
            "seg",
            "--reference",
            "ref.nii",
            "--prediction",
            "pred.nii",
            "--binarize",
        ],
    );
    assert_success(&output);
    assert!(
        stdout(&output).contains("binarized: non-zero voxels of both maps = label 1"),
        "{}",
        stdout(&output)
    );
    assert_eq!(stderr(&output), "");

    let output = pair_json(dir.path(), &["--labels", "1"]);
    assert_success(&output);
    assert!(
        stderr(&output).contains("pass --binarize"),
        "{}",
        stderr(&output)
    );
}

/// A probability map stored as 0-255 against a 0/1 reference gives one row per stored value
/// (here 96 distinct non-zero values, 95 of them absent from the reference): flagged, exit
/// status 1.
/// `--threshold 128` keeps exactly the shifted box: Dice 0.5, hd 0.5 mm by hand, and so does
/// `--threshold 127.5` (stored values are whole numbers).
#[test]
fn a_probability_map_is_flagged_and_threshold_scores_it() {
    let dir = box_pair(box_probabilities);
    let output = pair_json(dir.path(), &[]);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{err}");
    assert!(
        err.contains("the prediction holds 96 distinct non-zero values, 95 of them absent"),
        "{err}"
    );
    assert!(err.contains("distinct non-zero values"), "{err}");
    assert!(err.contains("--threshold T"), "{err}");
    assert_eq!(stdout(&output).lines().count(), 96);

    for threshold in ["128", "127.5"] {
        let rows = json_lines(&pair_json(dir.path(), &["--threshold", threshold]));
        assert_eq!(rows.len(), 1, "--threshold {threshold}");
        assert_eq!(rows[0]["label"], 1);
        assert_eq!(rows[0]["prediction_voxels"], 8);
        assert_close(&rows[0]["dice"], Some(0.5), 1e-12, "dice");
        assert_close(&rows[0]["hd"], Some(0.5), 1e-12, "hd");
        assert_eq!(
            rows[0]["binarized"],
            format!("reference non-zero, prediction >= {threshold}")
        );
    }
    let output = pair_json(dir.path(), &["--threshold", "0"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("--threshold must be a positive number"));
}

/// Folder mode checks the values of all cases together: 0/1 references against 0/255
/// predictions are flagged once (exit 1); with `--binarize`, label 1 Dice over the box case
/// (0.5) and the empty case (1) is 0.75 by hand, and the footer states the rule.
#[test]
fn folder_mode_flags_mismatched_encodings_and_binarizes() {
    let dir = tempfile::tempdir().unwrap();
    let (refs, preds) = (dir.path().join("refs"), dir.path().join("preds"));
    std::fs::create_dir_all(&refs).unwrap();
    std::fs::create_dir_all(&preds).unwrap();
    let write = |path: PathBuf, label_at: fn(usize, usize, usize) -> u8| {
        std::fs::write(path, nifti1_u8(SHAPE, SPACING, label_at)).unwrap();
    };
    write(refs.join("case_a.nii"), box_reference);
    write(preds.join("case_a.nii"), box_prediction_255);
    write(refs.join("case_b.nii"), |_, _, _| 0);
    write(preds.join("case_b.nii"), |_, _, _| 0);
    let run = |extra: &[&str]| {
        let mut args = vec![
            "seg",
            "--reference-dir",
            "refs",
            "--prediction-dir",
            "preds",
            "--metrics",
            "dice",
            "--out",
            "per_case.csv",
            "--summary",
            "summary.json",
            "--bootstrap",
            "10",
        ];
        args.extend_from_slice(extra);
        let output = medeval_in(dir.path(), &args);
        let summary: Value = serde_json::from_str(
            &std::fs::read_to_string(dir.path().join("summary.json")).unwrap(),
        )
        .unwrap();
        (output, summary)
    };
    let (output, _) = run(&[]);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{err}");
    assert!(
        err.contains("over all cases: the reference's only foreground value is 1"),
        "{err}"
    );

    let (output, summary) = run(&["--binarize"]);
    assert_success(&output);
    assert_eq!(summary["labels"], serde_json::json!([1]));
    assert_eq!(summary["binarized"], "non-zero");
    let (n, undefined, mean) = summary_stat(&summary, 1, "dice");
    assert_eq!((n, undefined), (2, 0));
    assert!((mean - 0.75).abs() < 1e-12, "dice mean {mean}");
    assert!(
        stdout(&output).contains("binarized: non-zero voxels of both maps = label 1"),
        "{}",
        stdout(&output)
    );
}
