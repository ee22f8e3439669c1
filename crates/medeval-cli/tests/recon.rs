//! End-to-end tests of `medeval recon`: the real binary on the fixtures that
//! `bench/recon/make_fixtures.py` wrote with NumPy and nibabel, whose metrics it recorded from
//! scikit-image.

// In tests a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::PathBuf;

use common::{assert_success, medeval, stderr, stdout, success_json};
use serde_json::Value;

fn fixture(name: &str) -> PathBuf {
    common::manifest_dir()
        .join("../medeval-dense/tests/fixtures/recon")
        .join(name)
}

fn path(name: &str) -> String {
    fixture(name).display().to_string()
}

fn recorded(case: &str) -> Value {
    let text = std::fs::read_to_string(fixture("reference.json")).unwrap();
    let json: Value = serde_json::from_str(&text).unwrap();
    json["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == case)
        .unwrap_or_else(|| panic!("no case {case}"))
        .clone()
}

#[test]
fn pair_json_carries_the_metrics_and_what_they_were_computed_over() {
    let out = medeval(&[
        "recon",
        "--reference",
        &path("phantom_gt.nii.gz"),
        "--prediction",
        &path("phantom_pred.nii.gz"),
        "--convention",
        "fastmri",
        "--json",
    ]);
    let json = success_json(&out);
    let expected = &recorded("phantom/fastmri")["expected"];
    for metric in ["psnr", "ssim", "nmse", "mse", "data_range"] {
        let (got, want) = (
            json[metric].as_f64().unwrap(),
            expected[metric].as_f64().unwrap(),
        );
        assert!(
            (got - want).abs() <= 1e-6 * want.abs().max(1.0),
            "{metric}: {got} vs {want}"
        );
    }
    assert_eq!(json["convention"], "fastmri");
    assert_eq!(json["slice_axis"], 2);
    assert_eq!(json["frame_axis"], Value::Null);
    assert_eq!(json["plane_axes"], serde_json::json!([0, 1]));
    assert_eq!(json["axis_order"], "voxel");
    assert_eq!(json["shape"], serde_json::json!([28, 32, 5]));
    assert_eq!(json["planes"], 5);
    assert_eq!(json["ssim_window"], 7);
}

#[test]
fn a_cine_is_scored_per_slice_and_frame_under_cmrxrecon() {
    let out = medeval(&[
        "recon",
        "--reference",
        &path("cine_npy_gt.npy"),
        "--prediction",
        &path("cine_npy_pred.npy"),
        "--convention",
        "cmrxrecon",
        "--json",
    ]);
    let json = success_json(&out);
    let expected = &recorded("cine_npy/cmrxrecon")["expected"];
    let (got, want) = (
        json["ssim"].as_f64().unwrap(),
        expected["ssim"].as_f64().unwrap(),
    );
    assert!((got - want).abs() <= 1e-6, "ssim {got} vs {want}");
    assert_eq!(
        (json["slice_axis"].clone(), json["frame_axis"].clone()),
        (0.into(), 1.into())
    );
    assert_eq!(json["planes"], 6);
    assert_eq!(json["data_range"], 1.0);
}

#[test]
fn identical_images_print_an_infinite_psnr_as_null_with_a_note() {
    let out = medeval(&[
        "recon",
        "--reference",
        &path("identical_gt.npy"),
        "--prediction",
        &path("identical_pred.npy"),
        "--convention",
        "fastmri",
        "--json",
    ]);
    let json = success_json(&out);
    assert_eq!(json["psnr"], Value::Null);
    assert_eq!(json["ssim"], 1.0);
    assert!(
        json["notes"][0].as_str().unwrap().contains("infinite"),
        "{json}"
    );
}

#[test]
fn a_shape_mismatch_names_both_files_and_fails() {
    let out = medeval(&[
        "recon",
        "--reference",
        &path("zero_pred.npy"),
        "--prediction",
        &path("mismatch_pred.npy"),
        "--convention",
        "fastmri",
    ]);
    assert!(!out.status.success());
    let err = stderr(&out);
    for part in [
        "zero_pred.npy",
        "mismatch_pred.npy",
        "[2, 8, 8]",
        "[2, 8, 9]",
    ] {
        assert!(err.contains(part), "{part} missing from: {err}");
    }
}

#[test]
fn an_all_zero_reference_is_an_error_not_a_nan() {
    let out = medeval(&[
        "recon",
        "--reference",
        &path("zero_gt.npy"),
        "--prediction",
        &path("zero_pred.npy"),
        "--convention",
        "cmrxrecon",
    ]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("zero_gt.npy") && err.contains("slice 0"),
        "{err}"
    );
}

#[test]
fn folder_mode_writes_rows_summarises_and_fails_on_a_missing_prediction() {
    let refs = tempfile::tempdir().unwrap();
    let preds = tempfile::tempdir().unwrap();
    let out_dir = tempfile::tempdir().unwrap();
    for (name, from) in [
        ("a.npy", "random_gt.npy"),
        ("b.npy", "odd_9x13_gt.npy"),
        ("c.nii.gz", "phantom_gt.nii.gz"),
    ] {
        std::fs::copy(fixture(from), refs.path().join(name)).unwrap();
    }
    for (name, from) in [("a.npy", "random_pred.npy"), ("b.npy", "odd_9x13_pred.npy")] {
        std::fs::copy(fixture(from), preds.path().join(name)).unwrap();
    }
    let csv = out_dir.path().join("cases.csv");
    let args = |json: bool| {
        let mut args = vec![
            "recon".to_string(),
            "--reference-dir".into(),
            refs.path().display().to_string(),
            "--prediction-dir".into(),
            preds.path().display().to_string(),
            "--convention".into(),
            "fastmri".into(),
            "--out".into(),
            csv.display().to_string(),
        ];
        if json {
            args.push("--json".into());
        }
        args
    };
    let text = common::cli(args(false)).run();
    assert!(!text.status.success(), "a missing prediction fails the run");
    assert!(
        stderr(&text).contains("1 of 3 cases failed"),
        "{}",
        stderr(&text)
    );
    assert!(stdout(&text).contains("± 2·stddev"), "{}", stdout(&text));

    let json_run = common::cli(args(true)).run();
    let summary = common::json(&json_run);
    assert_eq!(
        (summary["evaluated"].clone(), summary["failed"].clone()),
        (2.into(), 1.into())
    );
    let ssim = &summary["metrics"]["ssim"];
    let a = recorded("random/fastmri")["expected"]["ssim"]
        .as_f64()
        .unwrap();
    let b = recorded("odd_9x13/fastmri")["expected"]["ssim"]
        .as_f64()
        .unwrap();
    assert!((ssim["mean"].as_f64().unwrap() - (a + b) / 2.0).abs() < 1e-6);
    // Sample standard deviation of two values is |a − b| / sqrt(2); fastMRI prints twice it.
    let two_std = 2.0 * (a - b).abs() / 2f64.sqrt();
    assert!((ssim["two_std"].as_f64().unwrap() - two_std).abs() < 1e-6);

    let rows = std::fs::read_to_string(&csv).unwrap();
    let lines: Vec<&str> = rows.lines().collect();
    assert_eq!(lines.len(), 4, "{rows}");
    assert!(lines[0].starts_with("case,reference,prediction,convention,psnr,ssim"));
    assert!(
        lines[3].starts_with("c,") && lines[3].contains("no prediction"),
        "{rows}"
    );
}

#[test]
fn a_slice_axis_on_a_4d_image_is_refused_with_advice() {
    let out = medeval(&[
        "recon",
        "--reference",
        &path("cine_nii_gt.nii.gz"),
        "--prediction",
        &path("cine_nii_pred.nii.gz"),
        "--convention",
        "cmrxrecon",
        "--slice-axis",
        "2",
    ]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("leave --slice-axis out"),
        "{}",
        stderr(&out)
    );
    let ok = medeval(&[
        "recon",
        "--reference",
        &path("cine_nii_gt.nii.gz"),
        "--prediction",
        &path("cine_nii_pred.nii.gz"),
        "--convention",
        "cmrxrecon",
    ]);
    assert_success(&ok);
    assert!(
        stdout(&ok).contains("slice axis 2, frame axis 3"),
        "{}",
        stdout(&ok)
    );
}
