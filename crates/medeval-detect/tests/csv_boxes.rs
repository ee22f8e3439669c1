//! CSV boxes: under the pycocotools convention against pycocotools run on the same boxes
//! converted to COCO, under the VinDr convention against the PASCAL VOC 2010 reference written
//! from its published definition (`bench/detect/make_fixtures.py`), and by hand.

// In tests a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used)]

use std::io::Write;
use std::path::{Path, PathBuf};

use medeval_detect::DetectError;
use medeval_detect::cocoeval::{CocoParams, ImageEvaluation};
use medeval_detect::csv_boxes::read_csv_dataset;
use medeval_detect::voc::{VINDR_IOU, VocEvaluation};
use serde_json::Value;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/csv")
}

fn expected(name: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(fixtures().join(name)).unwrap()).unwrap()
}

#[test]
fn csv_boxes_under_pycocotools_match_pycocotools() {
    let dataset = read_csv_dataset(&fixtures().join("gt.csv"), &fixtures().join("dt.csv")).unwrap();
    let summary = ImageEvaluation::new(&dataset, CocoParams::pycocotools()).summarize();
    let reference = expected("expected_pycocotools.json");
    for (i, theirs) in reference["stats"].as_array().unwrap().iter().enumerate() {
        assert_eq!(
            summary.stats[i].to_bits(),
            theirs.as_f64().unwrap().to_bits(),
            "stats[{i}]"
        );
    }
    for (k, category) in dataset.categories.iter().enumerate() {
        let theirs = reference["per_category"][&category.key].as_f64().unwrap();
        assert_eq!(
            summary.per_category[k].unwrap().to_bits(),
            theirs.to_bits(),
            "{}",
            category.key
        );
    }
}

#[test]
fn csv_boxes_under_vindr_match_the_voc_reference() {
    let dataset = read_csv_dataset(&fixtures().join("gt.csv"), &fixtures().join("dt.csv")).unwrap();
    // A class only the detections use is left out, with a note.
    assert_eq!(dataset.categories.len(), 3);
    assert_eq!(dataset.left_out.len(), 1);
    let summary = VocEvaluation::new(&dataset, VINDR_IOU).summary(None);
    let reference = expected("expected_vindr.json");
    assert_eq!(
        summary.map.unwrap().to_bits(),
        reference["map"].as_f64().unwrap().to_bits()
    );
    for (k, category) in dataset.categories.iter().enumerate() {
        let theirs = reference["per_class"][&category.key].as_f64().unwrap();
        assert_eq!(
            summary.per_category[k].unwrap().to_bits(),
            theirs.to_bits(),
            "{}",
            category.key
        );
    }
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
fn vindr_needs_iou_strictly_above_point_four() {
    // gt [0,0,10,10]; a detection [0,0,4,10] overlaps with IoU exactly 0.4 (40 / 100): not a
    // match, so AP is 0; a detection [0,0,5,10] (IoU 0.5) would be.
    let dir = tempfile::tempdir().unwrap();
    let gt = write(
        dir.path(),
        "gt.csv",
        "image,class,x1,y1,x2,y2\ni,c,0,0,10,10\n",
    );
    let at = write(
        dir.path(),
        "at.csv",
        "image,class,x1,y1,x2,y2,score\ni,c,0,0,4,10,0.9\n",
    );
    let above = write(
        dir.path(),
        "above.csv",
        "image,class,x1,y1,x2,y2,score\ni,c,0,0,5,10,0.9\n",
    );
    let ap = |dt: &Path| {
        let dataset = read_csv_dataset(&gt, dt).unwrap();
        VocEvaluation::new(&dataset, VINDR_IOU)
            .summary(None)
            .map
            .unwrap()
    };
    assert_eq!(ap(&at), 0.0);
    assert_eq!(ap(&above), 1.0);
}

#[test]
fn vindr_ap_by_hand_with_a_duplicate_and_a_miss() {
    // Two gts in one image; detections by score: hit A (0.9), duplicate on A (0.8: its best
    // box is A, already taken, so a false positive), hit B (0.7). Recall/precision after each:
    // (1/2, 1), (1/2, 1/2), (1, 2/3). Envelope: 1 up to recall 1/2, 2/3 up to 1.
    // AP = 1/2 * 1 + 1/2 * 2/3 = 5/6.
    let dir = tempfile::tempdir().unwrap();
    let gt = write(
        dir.path(),
        "gt.csv",
        "image,class,x1,y1,x2,y2\ni,c,0,0,10,10\ni,c,100,100,110,110\nj,,,,,\n",
    );
    let dt = write(
        dir.path(),
        "dt.csv",
        "image,class,x1,y1,x2,y2,score\ni,c,0,0,10,10,0.9\ni,c,1,1,10,10,0.8\ni,c,100,100,110,110,0.7\n",
    );
    let dataset = read_csv_dataset(&gt, &dt).unwrap();
    assert_eq!(dataset.images, vec!["i".to_owned(), "j".to_owned()]);
    let map = VocEvaluation::new(&dataset, VINDR_IOU)
        .summary(None)
        .map
        .unwrap();
    assert!((map - 5.0 / 6.0).abs() < 1e-15, "{map}");
}

#[test]
fn a_bad_row_names_file_row_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let gt = write(
        dir.path(),
        "gt.csv",
        "image,class,x1,y1,x2,y2\ni,c,0,0,10,10\n",
    );
    let dt = write(
        dir.path(),
        "dt.csv",
        "image,class,x1,y1,x2,y2,score\ni,c,0,0,10,10,0.9\ni,c,0,zero,10,10,0.5\n",
    );
    let err = read_csv_dataset(&gt, &dt).unwrap_err();
    assert!(matches!(err, DetectError::Field { .. }));
    let text = err.to_string();
    assert!(
        text.contains("dt.csv") && text.contains("row 3") && text.contains("`y1`"),
        "{text}"
    );
    let unknown = write(
        dir.path(),
        "unknown.csv",
        "image,class,x1,y1,x2,y2,score\nk,c,0,0,10,10,0.9\n",
    );
    let text = read_csv_dataset(&gt, &unknown).unwrap_err().to_string();
    assert!(
        text.contains("row 2") && text.contains("`image`") && text.contains("\"k\""),
        "{text}"
    );
    let swapped = write(
        dir.path(),
        "swapped.csv",
        "image,class,x1,y1,x2,y2,score\ni,c,50,50,10,10,0.9\n",
    );
    let text = read_csv_dataset(&gt, &swapped).unwrap_err().to_string();
    assert!(text.contains("x2") && text.contains("corners"), "{text}");
}
