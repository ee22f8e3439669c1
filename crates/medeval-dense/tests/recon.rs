//! Reconstruction metrics against scikit-image's values recorded by
//! `bench/recon/make_fixtures.py`, and against values computed by hand.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use medeval_dense::recon::{
    Convention, Named, ReconOptions, evaluate_images, evaluate_pair, folder,
};
use medeval_dense::volume::{AxisOrder, IntensityImage};
use serde_json::Value;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/recon")
}

fn reference_cases() -> Vec<Value> {
    let text = std::fs::read_to_string(fixtures().join("reference.json")).unwrap();
    let json: Value = serde_json::from_str(&text).unwrap();
    json["cases"].as_array().unwrap().clone()
}

fn options(convention: &str) -> ReconOptions {
    ReconOptions {
        convention: convention.parse().unwrap(),
        slice_axis: None,
    }
}

fn close(name: &str, metric: &str, got: f64, want: f64) {
    let tolerance = 1e-6 * want.abs().max(1.0);
    assert!(
        (got - want).abs() <= tolerance,
        "{name}: {metric} {got} vs scikit-image {want}"
    );
}

#[test]
fn every_fixture_agrees_with_scikit_image_to_1e6() {
    let cases = reference_cases();
    assert!(cases.len() >= 20, "the fixture file lists {}", cases.len());
    for case in &cases {
        let name = case["name"].as_str().unwrap();
        let reference = fixtures().join(case["reference"].as_str().unwrap());
        let prediction = fixtures().join(case["prediction"].as_str().unwrap());
        let outcome = evaluate_pair(
            &reference,
            &prediction,
            &options(case["convention"].as_str().unwrap()),
        );
        if let Some(fragment) = case["error"].as_str() {
            let message = outcome.expect_err(name).to_string();
            assert!(message.contains(fragment), "{name}: {message}");
            continue;
        }
        let result = outcome.unwrap_or_else(|e| panic!("{name}: {e}"));
        let expected = &case["expected"];
        match expected["psnr"].as_f64() {
            Some(want) => close(name, "psnr", result.psnr.expect(name), want),
            None => assert_eq!(result.psnr, None, "{name}: identical images"),
        }
        close(
            name,
            "ssim",
            result.ssim,
            expected["ssim"].as_f64().unwrap(),
        );
        close(
            name,
            "nmse",
            result.nmse,
            expected["nmse"].as_f64().unwrap(),
        );
        close(name, "mse", result.mse, expected["mse"].as_f64().unwrap());
        close(
            name,
            "data_range",
            result.data_range,
            expected["data_range"].as_f64().unwrap(),
        );
        assert_eq!(
            result.planes as u64,
            expected["planes"].as_u64().unwrap(),
            "{name}"
        );
    }
}

fn image(shape: &[usize], values: Vec<f64>) -> IntensityImage {
    IntensityImage::new(shape.to_vec(), None, values, AxisOrder::NumPy).unwrap()
}

fn score(
    gt: &IntensityImage,
    pred: &IntensityImage,
    convention: Convention,
) -> medeval_dense::recon::ReconResult {
    evaluate_images(
        Named {
            path: Path::new("gt.npy"),
            image: gt,
        },
        Named {
            path: Path::new("pred.npy"),
            image: pred,
        },
        &ReconOptions {
            convention,
            slice_axis: None,
        },
    )
    .unwrap()
}

#[test]
fn psnr_of_a_known_mse_by_hand() {
    // gt is 2 everywhere except one voxel of 4 (max 4); pred is gt + 0.5 everywhere:
    // MSE = 0.25, so PSNR = 10·log10(16 / 0.25) = 10·log10(64).
    let mut gt = vec![2.0; 2 * 8 * 8];
    gt[5] = 4.0;
    let pred: Vec<f64> = gt.iter().map(|v| v + 0.5).collect();
    let result = score(
        &image(&[2, 8, 8], gt.clone()),
        &image(&[2, 8, 8], pred),
        Convention::Fastmri,
    );
    assert!((result.psnr.unwrap() - 10.0 * 64f64.log10()).abs() < 1e-12);
    assert!((result.mse - 0.25).abs() < 1e-15);
    let energy: f64 = gt.iter().map(|v| v * v).sum();
    assert!((result.nmse - 0.25 * 128.0 / energy).abs() < 1e-15);
    assert_eq!(result.data_range, 4.0);
}

#[test]
fn identical_images_have_ssim_one_nmse_zero_and_infinite_psnr() {
    let values: Vec<f64> = (0..3 * 9 * 11).map(|v| ((v * 37) % 101) as f64).collect();
    let gt = image(&[3, 9, 11], values);
    for convention in [Convention::Fastmri, Convention::Cmrxrecon] {
        let result = score(&gt, &gt, convention);
        assert_eq!(result.psnr, None, "{convention}");
        assert!((result.ssim - 1.0).abs() < 1e-12, "{convention}");
        assert_eq!(result.nmse, 0.0, "{convention}");
    }
}

#[test]
fn cmrxrecon_ignores_each_images_scale_and_fastmri_does_not() {
    let values: Vec<f64> = (0..2 * 8 * 8)
        .map(|v| 1.0 + ((v * 13) % 17) as f64)
        .collect();
    let gt = image(&[2, 8, 8], values.clone());
    let scaled = image(&[2, 8, 8], values.iter().map(|v| 3.0 * v).collect());
    let cmrx = score(&gt, &scaled, Convention::Cmrxrecon);
    assert_eq!(cmrx.psnr, None);
    assert!((cmrx.ssim - 1.0).abs() < 1e-12);
    let fastmri = score(&gt, &scaled, Convention::Fastmri);
    // pred = 3·gt: NMSE = ||2·gt||² / ||gt||² = 4.
    assert!((fastmri.nmse - 4.0).abs() < 1e-12);
}

#[test]
fn a_slice_axis_override_changes_the_planes() {
    let values: Vec<f64> = (0..8 * 9 * 10)
        .map(|v| 1.0 + ((v * 29) % 31) as f64)
        .collect();
    let gt = image(&[8, 9, 10], values.clone());
    let pred = image(
        &[8, 9, 10],
        values.iter().map(|v| v + (v * 7.0) % 3.0).collect(),
    );
    let run = |slice_axis| {
        evaluate_images(
            Named {
                path: Path::new("gt.npy"),
                image: &gt,
            },
            Named {
                path: Path::new("pred.npy"),
                image: &pred,
            },
            &ReconOptions {
                convention: Convention::Fastmri,
                slice_axis,
            },
        )
    };
    let default = run(None).unwrap();
    assert_eq!((default.planes, default.layout.slice_axis), (8, Some(0)));
    assert_eq!(run(Some(0)).unwrap(), default);
    let along_1 = run(Some(1)).unwrap();
    assert_eq!((along_1.planes, along_1.layout.plane_axes), (9, [0, 2]));
    // Whole-volume PSNR does not depend on the planes; the mean SSIM does.
    assert_eq!(along_1.psnr, default.psnr);
    assert_ne!(along_1.ssim, default.ssim);
    let err = run(Some(3)).unwrap_err().to_string();
    assert!(err.contains("--slice-axis 3"), "{err}");
}

#[test]
fn an_image_without_samples_is_an_error_not_a_nan() {
    let empty = image(&[0, 8, 8], Vec::new());
    for convention in [Convention::Fastmri, Convention::Cmrxrecon] {
        let err = evaluate_images(
            Named {
                path: Path::new("gt.npy"),
                image: &empty,
            },
            Named {
                path: Path::new("pred.npy"),
                image: &empty,
            },
            &ReconOptions {
                convention,
                slice_axis: None,
            },
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("gt.npy") && err.contains("length 0"), "{err}");
    }
}

#[test]
fn a_shape_mismatch_names_both_files_and_shapes() {
    let reference = fixtures().join("zero_pred.npy");
    let prediction = fixtures().join("mismatch_pred.npy");
    let err = evaluate_pair(&reference, &prediction, &options("fastmri"))
        .unwrap_err()
        .to_string();
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
fn folder_mode_pairs_npy_and_nifti_files_by_name() {
    let refs = tempfile::tempdir().unwrap();
    let preds = tempfile::tempdir().unwrap();
    for (name, from) in [
        ("a.npy", "random_gt.npy"),
        ("b.nii.gz", "phantom_gt.nii.gz"),
        ("c.npy", "odd_9x13_gt.npy"),
    ] {
        std::fs::copy(fixtures().join(from), refs.path().join(name)).unwrap();
    }
    for (name, from) in [
        ("a.npy", "random_pred.npy"),
        ("b.nii.gz", "phantom_pred.nii.gz"),
    ] {
        std::fs::copy(fixtures().join(from), preds.path().join(name)).unwrap();
    }
    let list = folder::find_cases(refs.path(), preds.path()).unwrap();
    let outcomes = folder::evaluate_cases(&list.cases, &options("fastmri"), &|_| {});
    let names: Vec<&str> = outcomes.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(names, ["a", "b", "c"]);
    assert!(outcomes[0].result.is_ok() && outcomes[1].result.is_ok());
    assert!(
        outcomes[2]
            .result
            .as_ref()
            .unwrap_err()
            .contains("no prediction")
    );
    let summary = folder::FolderSummary::new(&outcomes, Convention::Fastmri, 0);
    assert_eq!((summary.evaluated, summary.failed.len()), (2, 1));
    let ssim = &summary.metrics[1];
    let (a, b) = (
        outcomes[0].result.as_ref().unwrap().ssim,
        outcomes[1].result.as_ref().unwrap().ssim,
    );
    assert!((ssim.mean.unwrap() - (a + b) / 2.0).abs() < 1e-15);
    // Sample standard deviation of two values: |a − b| / sqrt(2).
    assert!((ssim.std.unwrap() - (a - b).abs() / 2f64.sqrt()).abs() < 1e-15);
    let mut csv = Vec::new();
    folder::write_csv(&mut csv, &outcomes, Convention::Fastmri).unwrap();
    let csv = String::from_utf8(csv).unwrap();
    assert_eq!(csv.lines().count(), 4);
    assert!(csv.lines().nth(3).unwrap().contains("no prediction"));
}
