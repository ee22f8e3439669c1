//! End-to-end tests of `medeval classify`: the real binary on CSV files.
//!
//! Expected values come from a six-case example worked out by hand (below) and from the
//! values scikit-learn gave on the 240-case fixture in `crates/medeval-dense/tests/data`
//! (recorded by `bench/seg/make_classify_fixtures.py`).

// In tests a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;
use std::process::Output;

use common::{assert_success, medeval_in, snapshot, stderr, stdout, success_json};
use serde_json::Value;

/// Six cases, ids in a different order in the two files (they are joined on id).
///
/// Positives a (0.9), b (0.45), e (0.7); negatives c (0.62), d (0.1), f (0.3).
/// * AUROC: positive-negative pairs ranked correctly: a beats 3, b beats d and f, e beats 3:
///   8 of 9.
/// * Average precision: ranked a+, e+, c−, b+, f−, d−; recall steps of 1/3 at precisions 1,
///   1 and 3/4: (1 + 1 + 3/4) / 3 = 11/12.
/// * At threshold 0.5, predicted positive a, c, e: TP 2, FP 1, FN 1, TN 2; sensitivity,
///   specificity, accuracy, balanced accuracy and F1 (2·2 / (2·2 + 1 + 1)) are all 2/3.
/// * ECE, 15 bins of width 1/15: every score lands in its own bin (0.9→13, 0.45→6, 0.62→9,
///   0.1→1, 0.7→10, 0.3→4), so ECE = mean |y − p| = (0.1 + 0.55 + 0.62 + 0.1 + 0.3 + 0.3) / 6
///   = 1.97 / 6.
const LABELS: &str = "id,label\na,1\nb,1\nc,0\nd,0\ne,1\nf,0\n";
const SCORES: &str = "id,score\nf,0.3\ne,0.7\nd,0.1\nc,0.62\nb,0.45\na,0.9\n";

fn hand_expected() -> [(&'static str, f64); 8] {
    [
        ("auroc", 8.0 / 9.0),
        ("auprc", 11.0 / 12.0),
        ("f1", 2.0 / 3.0),
        ("balanced_accuracy", 2.0 / 3.0),
        ("sensitivity", 2.0 / 3.0),
        ("specificity", 2.0 / 3.0),
        ("accuracy", 2.0 / 3.0),
        ("ece", 1.97 / 6.0),
    ]
}

fn write_case(dir: &Path, labels: &str, scores: &str) {
    std::fs::write(dir.join("y.csv"), labels).unwrap();
    std::fs::write(dir.join("p.csv"), scores).unwrap();
}

fn metric_values(output: &Output) -> Value {
    let json = success_json(output);
    let mut values = serde_json::Map::new();
    for m in json["metrics"].as_array().unwrap() {
        values.insert(m["metric"].as_str().unwrap().to_owned(), m["value"].clone());
    }
    Value::Object(values)
}

#[test]
fn json_gives_the_hand_computed_values() {
    let dir = tempfile::tempdir().unwrap();
    write_case(dir.path(), LABELS, SCORES);
    let output = medeval_in(
        dir.path(),
        &[
            "classify", "--labels", "y.csv", "--scores", "p.csv", "--json",
        ],
    );
    let json = common::json(&output);
    assert_eq!(
        (json["n"].as_u64(), json["positives"].as_u64()),
        (Some(6), Some(3))
    );
    let values = metric_values(&output);
    for (metric, want) in hand_expected() {
        let got = values[metric].as_f64().unwrap();
        assert!((got - want).abs() < 1e-12, "{metric}: {got} vs {want}");
    }
}

#[test]
fn json_agrees_with_scikit_learn_on_the_recorded_fixture() {
    let data = common::manifest_dir().join("../medeval-dense/tests/data");
    let dir = tempfile::tempdir().unwrap();
    let labels = data.join("classify_labels.csv");
    let scores = data.join("classify_scores.csv");
    let output = medeval_in(
        dir.path(),
        &[
            "classify",
            "--labels",
            labels.to_str().unwrap(),
            "--scores",
            scores.to_str().unwrap(),
            "--json",
        ],
    );
    let values = metric_values(&output);
    let recorded: Value = serde_json::from_str(
        &std::fs::read_to_string(data.join("classify_reference.json")).unwrap(),
    )
    .unwrap();
    for (metric, want) in recorded["values"].as_object().unwrap() {
        let (got, want) = (values[metric].as_f64().unwrap(), want.as_f64().unwrap());
        assert!(
            (got - want).abs() < 1e-12,
            "{metric}: {got} vs scikit-learn {want}"
        );
    }
}

#[test]
fn the_table_lists_every_metric_with_its_interval() {
    let dir = tempfile::tempdir().unwrap();
    write_case(dir.path(), LABELS, SCORES);
    let output = medeval_in(
        dir.path(),
        &["classify", "--labels", "y.csv", "--scores", "p.csv"],
    );
    assert_success(&output);
    snapshot!("classify_table_hand_case", stdout(&output));
}

#[test]
fn bad_rows_are_errors_naming_file_row_and_field() {
    let dir = tempfile::tempdir().unwrap();
    for (name, labels, scores) in [
        // Data row 3 (case c) has a label that is not 0 or 1.
        (
            "classify_error_bad_label",
            "id,label\na,1\nb,1\nc,maybe\nd,0\n",
            "id,score\na,0.9\nb,0.45\nc,0.62\nd,0.1\n",
        ),
        // Data row 2 of the scores has no number.
        (
            "classify_error_bad_score",
            "id,label\na,1\nb,1\nc,0\nd,0\n",
            "id,score\na,0.9\nb,high\nc,0.62\nd,0.1\n",
        ),
        // Case d has no score.
        (
            "classify_error_unmatched_id",
            "id,label\na,1\nb,1\nc,0\nd,0\n",
            "id,score\na,0.9\nb,0.45\nc,0.62\n",
        ),
    ] {
        write_case(dir.path(), labels, scores);
        let output = medeval_in(
            dir.path(),
            &["classify", "--labels", "y.csv", "--scores", "p.csv"],
        );
        assert_eq!(output.status.code(), Some(1), "{name}");
        assert!(output.stdout.is_empty(), "{name}: no partial report");
        snapshot!(name, stderr(&output));
    }
}

/// `medeval classify` in `dir` with the files of [`write_case`] and `extra` arguments.
fn classify_with(dir: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["classify", "--labels", "y.csv", "--scores", "p.csv"];
    args.extend_from_slice(extra);
    medeval_in(dir, &args)
}

/// Before, `--threshold nan` was accepted and predicted every case negative (no score is at
/// or above NaN): sensitivity 0, specificity 1.
#[test]
fn a_threshold_that_is_not_a_finite_number_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    write_case(dir.path(), LABELS, SCORES);
    for threshold in ["nan", "NaN", "inf", "-inf"] {
        let flag = format!("--threshold={threshold}");
        let output = classify_with(dir.path(), &[&flag, "--json"]);
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{threshold}: {err}");
        assert!(output.stdout.is_empty(), "{threshold}");
        assert!(
            err.contains(&format!(
                "invalid value '{threshold}' for '--threshold <THRESHOLD>': must be a finite number"
            )),
            "{threshold}: {err}"
        );
    }
}

/// With every score a probability, a threshold outside [0, 1] gives every case one class.
#[test]
fn a_threshold_outside_0_1_is_refused_when_the_scores_are_probabilities() {
    let dir = tempfile::tempdir().unwrap();
    write_case(dir.path(), LABELS, SCORES);
    for (threshold, class) in [("1.5", "negative"), ("-0.1", "positive")] {
        let output = classify_with(dir.path(), &["--threshold", threshold]);
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(1), "{threshold}: {err}");
        assert!(output.stdout.is_empty(), "{threshold}: no partial report");
        assert!(
            err.contains(&format!(
                "--threshold {threshold} is outside [0, 1], but every score in p.csv is a \
                 probability: every case would be predicted {class}"
            )),
            "{threshold}: {err}"
        );
    }
    // The ends of the range are thresholds like any other.
    for threshold in ["0", "1"] {
        let output = classify_with(dir.path(), &["--threshold", threshold, "--json"]);
        assert_eq!(output.status.code(), Some(0), "{threshold}");
    }
}

/// Case a scores 1.2 instead of 0.9: the scores are not all probabilities. The order, and so
/// AUROC (8/9), AUPRC (11/12) and the predictions at 0.5 (a, c, e: every thresholded metric 2/3)
/// are those of the hand case; ECE is undefined, and so is its interval. Before, the interval
/// was computed from the resamples that happened to miss case a (about a third of them), and a
/// numeric interval stood beside an undefined ECE.
#[test]
fn scores_outside_0_1_leave_ece_undefined_with_no_interval() {
    let dir = tempfile::tempdir().unwrap();
    write_case(
        dir.path(),
        LABELS,
        "id,score\nf,0.3\ne,0.7\nd,0.1\nc,0.62\nb,0.45\na,1.2\n",
    );
    let output = classify_with(dir.path(), &["--json"]);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(0), "{err}");
    let json = common::json(&output);
    let metrics = json["metrics"].as_array().unwrap();
    for (metric, want) in hand_expected() {
        let m = metrics.iter().find(|m| m["metric"] == metric).unwrap();
        if metric == "ece" {
            assert_eq!(
                (&m["value"], &m["ci_low"], &m["ci_high"]),
                (&Value::Null, &Value::Null, &Value::Null),
                "{m}"
            );
        } else {
            let got = m["value"].as_f64().unwrap();
            assert!((got - want).abs() < 1e-12, "{metric}: {got} vs {want}");
            assert!(m["ci_low"].is_f64() && m["ci_high"].is_f64(), "{m}");
        }
    }

    assert!(
        err.contains(
            "note: ece is undefined: 1 of 6 scores lie outside [0, 1], so the scores are not \
             probabilities"
        ),
        "{err}"
    );

    let table = classify_with(dir.path(), &[]);
    assert_eq!(table.status.code(), Some(0));
    let text = stdout(&table);
    let ece: Vec<&str> = text
        .lines()
        .find(|line| line.starts_with("ece "))
        .unwrap()
        .split_whitespace()
        .collect();
    assert_eq!(ece, vec!["ece", "undefined", "-"], "{text}");
}
