//! COCO mAP against pycocotools' own numbers, recorded as data by
//! `bench/detect/make_fixtures.py` (pycocotools 2.0.11): the 12 summary numbers and AP per
//! category must be equal to the last bit.

// In tests a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use medeval_detect::coco::{read_ground_truth, read_results};
use medeval_detect::cocoeval::{CocoParams, ImageEvaluation};
use medeval_detect::numeric::linspace;
use serde_json::Value;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/coco")
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn check_case(name: &str) {
    let folder = fixtures().join(name);
    let mut dataset = read_ground_truth(&folder.join("gt.json")).unwrap();
    read_results(&folder.join("dt.json"), &mut dataset).unwrap();
    let summary = ImageEvaluation::new(&dataset, CocoParams::pycocotools()).summarize();
    let expected = read_json(&folder.join("expected.json"));
    let stats: Vec<f64> = expected["stats"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    for (i, (ours, theirs)) in summary.stats.iter().zip(&stats).enumerate() {
        assert_eq!(
            ours.to_bits(),
            theirs.to_bits(),
            "{name}: stats[{i}] is {ours}, pycocotools says {theirs}"
        );
    }
    for (k, category) in dataset.categories.iter().enumerate() {
        let theirs = expected["per_category"][&category.key].as_f64().unwrap();
        let ours = summary.per_category[k].unwrap_or(-1.0);
        assert_eq!(
            ours.to_bits(),
            theirs.to_bits(),
            "{name}: category {}: AP {ours}, pycocotools says {theirs}",
            category.key
        );
    }
}

#[test]
fn thresholds_are_numpys_linspace_values() {
    let params = read_json(&fixtures().join("params.json"));
    let ious: Vec<f64> = params["iou_thresholds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    let recalls: Vec<f64> = params["recall_thresholds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert_eq!(linspace(0.5, 0.95, 10), ious);
    assert_eq!(linspace(0.0, 1.0, 101), recalls);
    assert_eq!(CocoParams::pycocotools().iou_thresholds(), ious.as_slice());
}

#[test]
fn edge_cases_match_pycocotools_bit_for_bit() {
    // gt id 0, crowd regions, tied scores, an image without gt, a category without gt, boxes
    // outside the image, 130 detections in one image, every size range, area field != box.
    check_case("edge");
}

#[test]
fn no_detections_match_pycocotools() {
    check_case("no_detections");
}

#[test]
fn tied_scores_across_images_match_pycocotools() {
    check_case("ties");
}

#[test]
fn random_sets_match_pycocotools_bit_for_bit() {
    check_case("random");
    check_case("random_large");
}
