//! Agreement with the Python reference implementations on fixed inputs.
//!
//! The masks and the values were written by `bench/seg/make_fixtures.py` (MONAI 1.6, medpy 0.5,
//! DeepMind surface-distance 0.1); nothing here comes from this crate's own output.

use std::path::{Path, PathBuf};

use medeval_dense::metrics::{EvalOptions, parse_metrics};
use medeval_dense::pair::{GeometryPolicy, evaluate_pair};
use medeval_dense::surface::Convention;
use serde_json::Value;

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

fn references() -> Value {
    let text = std::fs::read_to_string(data("reference_values.json")).expect("fixture present");
    serde_json::from_str(&text).expect("valid JSON")
}

/// Evaluates every fixture case under `convention` and compares with `tool`'s values for the
/// metrics of `ours_to_theirs` (our metric name, their key), at relative tolerance `tol`.
fn compare(tool: &str, convention: Convention, ours_to_theirs: &[(&str, &str)], tol: f64) {
    let refs = references();
    let names: Vec<&str> = ours_to_theirs.iter().map(|(ours, _)| *ours).collect();
    let metrics = parse_metrics(&names.join(",")).expect("valid metric list");
    let mut checked = 0;
    for case in refs["cases"].as_array().expect("cases") {
        let options = EvalOptions {
            metrics: metrics.clone(),
            labels: None,
            convention,
            binarize: None,
        };
        let results = evaluate_pair(
            &data(case["reference"].as_str().expect("path")),
            &data(case["prediction"].as_str().expect("path")),
            &options,
            &GeometryPolicy::default(),
        )
        .expect("fixture pair evaluates");
        let labels = case["labels"].as_object().expect("labels");
        assert_eq!(results.len(), labels.len(), "case {}", case["name"]);
        for result in &results {
            let expected = &labels[&result.label.to_string()];
            assert_eq!(
                result.reference_voxels,
                expected["reference_voxels"].as_u64().expect("count")
            );
            assert_eq!(
                result.prediction_voxels,
                expected["prediction_voxels"].as_u64().expect("count")
            );
            for ((_, theirs), value) in ours_to_theirs.iter().zip(&result.values) {
                let want = expected[tool][*theirs].as_f64().expect("reference value");
                let got = value.expect("defined for non-empty masks");
                let scale = want.abs().max(1e-12);
                assert!(
                    (got - want).abs() <= tol * scale,
                    "{tool} {} label {} {theirs}: ours {got} vs {want}",
                    case["name"],
                    result.label
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 0);
}

#[test]
fn voxel_convention_matches_monai() {
    // MONAI returns float32 tensors: agreement is limited to single precision.
    compare(
        "monai",
        Convention::Voxel,
        &[
            ("hd", "hd"),
            ("hd95", "hd95"),
            ("assd", "assd"),
            ("nsd@1.0", "nsd@1.0"),
            ("nsd@2.0", "nsd@2.0"),
        ],
        1e-6,
    );
}

#[test]
fn voxel_convention_matches_medpy() {
    compare(
        "medpy",
        Convention::Voxel,
        &[
            ("dice", "dice"),
            ("iou", "iou"),
            ("precision", "precision"),
            ("recall", "recall"),
            ("rel_vol_diff", "rel_vol_diff"),
            ("hd", "hd"),
            ("hd95_pooled", "hd95_pooled"),
            ("assd", "assd"),
            ("masd", "masd"),
        ],
        1e-9,
    );
}

#[test]
fn surfel_convention_matches_deepmind_surface_distance() {
    compare(
        "deepmind",
        Convention::Surfel,
        &[
            ("dice", "dice"),
            ("hd", "hd"),
            ("hd95", "hd95"),
            ("masd", "masd"),
            ("assd", "assd"),
            ("nsd@1.0", "nsd@1.0"),
            ("nsd@2.0", "nsd@2.0"),
        ],
        1e-9,
    );
}
