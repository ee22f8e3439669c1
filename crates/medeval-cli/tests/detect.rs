//! `medeval detect` and `medeval froc` end to end: the `--json` contracts against the
//! reference numbers recorded in medeval-detect's fixtures (pycocotools' own output, the LUNA16
//! reference), and errors that name the file, the row or record, and the field.

// In tests a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::PathBuf;

use common::{manifest_dir, medeval, stderr, success_json};
use serde_json::Value;

fn fixture(path: &str) -> String {
    manifest_dir()
        .join("../medeval-detect/tests/fixtures")
        .join(path)
        .display()
        .to_string()
}

fn read(path: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(fixture(path)).unwrap()).unwrap()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12
}

#[test]
fn detect_json_has_pycocotools_stats_in_order_and_ap_per_category() {
    let out = success_json(&medeval(&[
        "detect",
        "--gt",
        &fixture("coco/random/gt.json"),
        "--dt",
        &fixture("coco/random/dt.json"),
        "--json",
    ]));
    let expected = read("coco/random/expected.json");
    assert_eq!(out["convention"], "pycocotools");
    let stats = out["stats"].as_array().unwrap();
    assert_eq!(stats.len(), 12);
    for (i, (ours, theirs)) in stats
        .iter()
        .zip(expected["stats"].as_array().unwrap())
        .enumerate()
    {
        assert!(
            close(ours.as_f64().unwrap(), theirs.as_f64().unwrap()),
            "stats[{i}]: {ours} vs {theirs}"
        );
    }
    for entry in out["per_category"].as_array().unwrap() {
        let key = entry["category"].as_str().unwrap();
        let theirs = expected["per_category"][key].as_f64().unwrap();
        match entry["ap"].as_f64() {
            Some(ours) => assert!(close(ours, theirs), "category {key}"),
            // A category without ground truth: pycocotools' -1, JSON null.
            None => assert_eq!(theirs, -1.0, "category {key}"),
        }
    }
    assert!(
        out["quirks"]
            .as_array()
            .unwrap()
            .iter()
            .any(|q| q == "gt-id-zero")
    );
}

#[test]
fn detect_vindr_json_and_bootstrap_interval() {
    let out = success_json(&medeval(&[
        "detect",
        "--gt",
        &fixture("csv/gt.csv"),
        "--dt",
        &fixture("csv/dt.csv"),
        "--convention",
        "vindr",
        "--bootstrap",
        "200",
        "--seed",
        "7",
        "--json",
    ]));
    let expected = read("csv/expected_vindr.json");
    assert_eq!(out["convention"], "vindr");
    let map = out["map"].as_f64().unwrap();
    assert!(close(map, expected["map"].as_f64().unwrap()));
    let interval = &out["bootstrap"]["intervals"]["mAP@0.4"];
    let (low, high) = (
        interval["low"].as_f64().unwrap(),
        interval["high"].as_f64().unwrap(),
    );
    assert!(low < map && map < high, "{low} {map} {high}");
    assert_eq!(out["bootstrap"]["seed"], 7);
    assert_eq!(out["bootstrap"]["units"], "images");
}

#[test]
fn froc_json_has_cpm_and_sensitivities_by_rate() {
    let out = success_json(&medeval(&[
        "froc",
        "--gt",
        &fixture("froc/annotations.csv"),
        "--dt",
        &fixture("froc/candidates.csv"),
        "--excluded",
        &fixture("froc/annotations_excluded.csv"),
        "--scans",
        &fixture("froc/seriesuids.csv"),
        "--convention",
        "luna16",
        "--json",
    ]));
    let expected = read("froc/expected_scan_list.json");
    assert!(close(
        out["cpm"].as_f64().unwrap(),
        expected["cpm"].as_f64().unwrap()
    ));
    let sensitivities = out["sensitivities"].as_object().unwrap();
    let keys: Vec<&str> = sensitivities.keys().map(String::as_str).collect();
    assert_eq!(keys, ["0.125", "0.25", "0.5", "1", "2", "4", "8"]);
    for (key, value) in sensitivities {
        assert!(
            close(
                value.as_f64().unwrap(),
                expected["sensitivities"][key].as_f64().unwrap()
            ),
            "{key}"
        );
    }
    assert_eq!(out["scans"], 8);
    assert!(
        out["scan_source"]
            .as_str()
            .unwrap()
            .contains("seriesuids.csv")
    );
}

#[test]
fn a_bad_csv_row_is_refused_naming_file_row_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let gt: PathBuf = dir.path().join("gt.csv");
    let dt: PathBuf = dir.path().join("dt.csv");
    std::fs::write(&gt, "image,class,x1,y1,x2,y2\na,nodule,0,0,10,10\nb,,,,,\n").unwrap();
    std::fs::write(
        &dt,
        "image,class,x1,y1,x2,y2,score\na,nodule,0,0,10,10,0.9\nb,nodule,1,2,3,4,high\n",
    )
    .unwrap();
    let output = medeval(&[
        "detect",
        "--gt",
        gt.to_str().unwrap(),
        "--dt",
        dt.to_str().unwrap(),
    ]);
    assert!(!output.status.success());
    let err = stderr(&output);
    assert!(
        err.contains("dt.csv")
            && err.contains("row 3")
            && err.contains("`score`")
            && err.contains("\"high\""),
        "{err}"
    );
}

#[test]
fn a_result_on_an_unknown_image_is_refused_naming_its_index() {
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("results.json");
    std::fs::write(
        &results,
        r#"[{"image_id": 1, "category_id": 1, "bbox": [0, 0, 5, 5], "score": 0.5},
            {"image_id": 999, "category_id": 1, "bbox": [0, 0, 5, 5], "score": 0.5}]"#,
    )
    .unwrap();
    let output = medeval(&[
        "detect",
        "--gt",
        &fixture("coco/ties/gt.json"),
        "--dt",
        results.to_str().unwrap(),
    ]);
    assert!(!output.status.success());
    let err = stderr(&output);
    assert!(
        err.contains("results.json")
            && err.contains("[1]")
            && err.contains("image_id")
            && err.contains("999"),
        "{err}"
    );
}
