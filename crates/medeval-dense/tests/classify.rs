//! Classification metrics against scikit-learn (values recorded by
//! `bench/seg/make_classify_fixtures.py`).

use std::path::{Path, PathBuf};

use medeval_dense::classify::{
    ClassifyError, ClassifyOptions, Columns, classification_report, read_cases,
};
use serde_json::Value;

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

#[test]
fn point_estimates_match_scikit_learn() {
    let reference: Value = serde_json::from_str(
        &std::fs::read_to_string(data("classify_reference.json")).expect("fixture"),
    )
    .expect("JSON");
    let cases = read_cases(
        &data("classify_labels.csv"),
        &data("classify_scores.csv"),
        &Columns::default(),
    )
    .expect("readable");
    assert_eq!(cases.len(), 240);
    let report = classification_report(&cases, &ClassifyOptions::default());
    for estimate in &report {
        let want = reference["values"][estimate.metric]
            .as_f64()
            .expect("reference value");
        let got = estimate.value.expect("defined");
        assert!(
            (got - want).abs() < 1e-12,
            "{}: {got} vs {want}",
            estimate.metric
        );
        let (low, high) = (
            estimate.ci_low.expect("interval"),
            estimate.ci_high.expect("interval"),
        );
        assert!(
            low <= got + 1e-12 && got <= high + 1e-12,
            "{}: {got} outside [{low}, {high}]",
            estimate.metric
        );
    }
}

#[test]
fn unmatched_ids_and_bad_labels_name_the_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let labels = dir.path().join("y.csv");
    let scores = dir.path().join("p.csv");
    std::fs::write(&labels, "id,label\na,1\nb,0\n").expect("write");
    std::fs::write(&scores, "id,score\na,0.9\n").expect("write");
    let err = read_cases(&labels, &scores, &Columns::default()).unwrap_err();
    assert!(matches!(err, ClassifyError::Unmatched { .. }), "{err}");
    assert!(err.to_string().contains("'b'"));
    std::fs::write(&labels, "id,label\na,1\nb,2\n").expect("write");
    let err = read_cases(&labels, &scores, &Columns::default()).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("y.csv") && text.contains("row 2") && text.contains("label"),
        "{text}"
    );
}
