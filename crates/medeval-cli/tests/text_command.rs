//! `medeval text` end to end: the acceptance form of the command, its JSON shape, per-item
//! output and the errors for bad input.

use std::path::Path;
use std::process::{Command, Output};

fn medeval(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_medeval"))
        .args(args)
        .output()
        .expect("medeval runs")
}

fn write(dir: &Path, name: &str, content: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, content).expect("write input");
    path.to_string_lossy().into_owned()
}

const REFS: &str = concat!(
    r#"{"id": "a", "text": ["The heart size is normal. No pleural effusion.", "Normal heart."]}"#,
    "\n",
    r#"{"id": "b", "text": "Mild cardiomegaly. No pneumothorax."}"#,
    "\n"
);
const CANDS: &str = concat!(
    r#"{"id": "b", "text": "Mild cardiomegaly. No pneumothorax."}"#,
    "\n",
    r#"{"id": "a", "text": "Heart size is normal. There is no pleural effusion."}"#,
    "\n"
);

#[test]
fn acceptance_form_prints_one_json_object_with_flat_metric_keys() {
    let dir = tempfile::tempdir().expect("temp dir");
    let refs = write(dir.path(), "refs.jsonl", REFS);
    let cands = write(dir.path(), "cands.jsonl", CANDS);
    let per_item = dir.path().join("items.jsonl");
    let out = medeval(&[
        "text",
        "--references",
        &refs,
        "--candidates",
        &cands,
        "--metrics",
        "bleu,rouge-l,cider-d,meteor",
        "--json",
        "--per-item",
        &per_item.to_string_lossy(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    for key in ["bleu", "bleu-1", "bleu-4", "rouge-l", "cider-d", "meteor"] {
        let value = json[key]
            .as_f64()
            .unwrap_or_else(|| panic!("{key} missing"));
        assert!((0.0..=10.0).contains(&value), "{key} = {value}");
    }
    assert_eq!(json["bleu"], json["bleu-4"], "bleu is BLEU-4");
    assert_eq!(json["flavor"], "coco");
    assert_eq!(json["tokenizer"], "ptb-coco");
    assert_eq!(json["n"], 2);

    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&per_item)
        .expect("per-item file")
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSONL"))
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["id"], "a", "reference-file order");
    // Item b is an exact copy: every sentence-level value is perfect.
    assert!((lines[1]["meteor"].as_f64().expect("meteor") - 1.0).abs() < 1e-9);
    assert!((lines[1]["rouge-l"].as_f64().expect("rouge-l") - 1.0).abs() < 1e-9);
}

#[test]
fn sacrebleu_flavour_reports_on_the_0_100_scale() {
    let dir = tempfile::tempdir().expect("temp dir");
    let refs = write(dir.path(), "refs.jsonl", REFS);
    let cands = write(dir.path(), "cands.jsonl", CANDS);
    let out = medeval(&[
        "text",
        "--references",
        &refs,
        "--candidates",
        &cands,
        "--flavor",
        "sacrebleu",
        "--json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert!(json["bleu"].as_f64().expect("bleu") > 1.0);
    assert_eq!(json["scale"], "0-100");
    assert_eq!(json["tokenizer"], "13a");
}

#[test]
fn bad_input_names_file_line_and_id() {
    let dir = tempfile::tempdir().expect("temp dir");
    let refs = write(dir.path(), "refs.jsonl", REFS);
    let cases = [
        (
            "missing.jsonl",
            "{\"id\": \"a\", \"text\": \"x\"}\n",
            vec!["refs.jsonl", "no entry in", "\"b\"", "line 2"],
        ),
        (
            "dup.jsonl",
            "{\"id\": \"a\", \"text\": \"x\"}\n{\"id\": \"b\", \"text\": \"y\"}\n{\"id\": \"a\", \"text\": \"z\"}\n",
            vec!["dup.jsonl", "line 3", "duplicate id \"a\""],
        ),
        (
            "number.jsonl",
            "{\"id\": \"a\", \"text\": 3}\n",
            vec!["number.jsonl", "line 1", "(id \"a\")", "`text`"],
        ),
        (
            "broken.jsonl",
            "{\"id\": \"a\", \"text\": \"x\"}\n{\"id\": \"b\"\n",
            vec!["broken.jsonl", "line 2", "malformed JSON"],
        ),
    ];
    for (name, content, needles) in cases {
        let cands = write(dir.path(), name, content);
        let out = medeval(&[
            "text",
            "--references",
            &refs,
            "--candidates",
            &cands,
            "--json",
        ]);
        assert!(!out.status.success(), "{name} should fail");
        assert!(out.stdout.is_empty(), "{name}: no partial result on stdout");
        let stderr = String::from_utf8_lossy(&out.stderr);
        for needle in needles {
            assert!(
                stderr.contains(needle),
                "{name}: {needle:?} not in {stderr}"
            );
        }
    }
    let path = dir.path().join("latin1.jsonl");
    std::fs::write(&path, b"{\"id\": \"a\", \"text\": \"caf\xe9\"}\n").expect("write");
    let out = medeval(&[
        "text",
        "--references",
        &refs,
        "--candidates",
        &path.to_string_lossy(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("latin1.jsonl, line 1: not valid UTF-8"),
        "{stderr}"
    );
}

#[test]
fn metrics_a_flavour_does_not_define_are_rejected() {
    let dir = tempfile::tempdir().expect("temp dir");
    let refs = write(dir.path(), "refs.jsonl", REFS);
    let cands = write(dir.path(), "cands.jsonl", CANDS);
    let out = medeval(&[
        "text",
        "--references",
        &refs,
        "--candidates",
        &cands,
        "--flavor",
        "rouge-score",
        "--metrics",
        "cider-d",
    ]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("cider-d is not available with flavour rouge-score"),
        "{stderr}"
    );
}
