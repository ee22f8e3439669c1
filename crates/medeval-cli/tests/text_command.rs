//! `medeval text` end to end: the acceptance form of the command, its JSON shape, per-item
//! output and the errors for bad input.

mod common;

use std::path::Path;

use common::{assert_success, medeval, snapshot, stderr, stdout, success_json};

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
        "--meteor-data",
        &meteor_fixture(),
        "--json",
        "--per-item",
        &per_item.to_string_lossy(),
    ]);
    let json = success_json(&out);
    assert_eq!(json["meteor_data"], meteor_fixture().as_str());
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

/// METEOR 1.5 data written for medeval-text's tests, laid out as extracted files.
fn meteor_fixture() -> String {
    format!(
        "{}/../medeval-text/tests/data/meteor-fixture",
        env!("CARGO_MANIFEST_DIR")
    )
}

#[test]
fn meteor_without_its_data_is_never_substituted() {
    let dir = tempfile::tempdir().expect("temp dir");
    let refs = write(dir.path(), "refs.jsonl", REFS);
    let cands = write(dir.path(), "cands.jsonl", CANDS);
    // Asked for by name: an error saying what to pass.
    let out = medeval(&[
        "text",
        "--references",
        &refs,
        "--candidates",
        &cands,
        "--metrics",
        "meteor",
    ]);
    assert!(!out.status.success());
    let message = stderr(&out);
    assert!(message.contains("--meteor-data"), "{message}");
    assert!(message.contains("meteor-exact-stem"), "{message}");
    // By default: the other metrics, and meteor named as not computed.
    let out = medeval(&[
        "text",
        "--references",
        &refs,
        "--candidates",
        &cands,
        "--json",
    ]);
    let json = success_json(&out);
    assert!(json.get("meteor").is_none());
    assert!(json.get("meteor-exact-stem").is_none());
    let reason = json["not_computed"]["meteor"].as_str().expect("reason");
    assert!(reason.contains("meteor-1.5.jar"), "{reason}");
    assert!(stderr(&out).contains("meteor not computed"));
    // The exact+stem variant under its own name, with its own convention.
    let out = medeval(&[
        "text",
        "--references",
        &refs,
        "--candidates",
        &cands,
        "--metrics",
        "meteor-exact-stem",
        "--json",
    ]);
    let json = success_json(&out);
    assert!(json["meteor-exact-stem"].as_f64().is_some());
    assert!(json.get("meteor").is_none());
    let convention = json["conventions"]["meteor-exact-stem"]
        .as_str()
        .expect("convention");
    assert!(convention.contains("exact+stem"), "{convention}");
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
    let json = success_json(&out);
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
        let err = stderr(&out);
        for needle in needles {
            assert!(err.contains(needle), "{name}: {needle:?} not in {err}");
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
    let err = stderr(&out);
    assert!(!out.status.success());
    assert!(
        err.contains("latin1.jsonl, line 1: not valid UTF-8"),
        "{err}"
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
    let err = stderr(&out);
    assert!(
        err.contains("cider-d is not available with flavour rouge-score"),
        "{err}"
    );
}

/// What a user reads from `medeval text` in a terminal: the metric table.
///
/// Item a is an exact copy; item b adds one word ("seen") to its reference. Worked by hand
/// (pycocoevalcap: corpus BLEU over pooled n-gram counts, ROUGE-L with β = 1.2 averaged over
/// items):
/// * candidate length c = 4 + 4 = 8 words, reference length r = 4 + 3 = 7: c > r, brevity
///   penalty 1;
/// * matched n-grams, a + b: unigrams 4 + 3 of 8, bigrams 3 + 2 of 6, trigrams 2 + 1 of 4,
///   4-grams 1 + 0 of 2;
/// * BLEU-1 = 7/8 = 0.875, BLEU-2 = √(7/8 · 5/6) = 0.8539, BLEU-3 = ∛(7/8 · 5/6 · 3/4) = 0.8178,
///   BLEU-4 = (7/8 · 5/6 · 3/4 · 1/2)^¼ = 0.7231;
/// * ROUGE-L: a 1; b LCS 3, P = 3/4, R = 1, F = (1 + 1.2²)·P·R / (R + 1.2²·P) = 1.83/2.08 =
///   0.8798; mean 0.9399; mean precision (1 + 3/4)/2 = 0.875, mean recall 1.
#[test]
fn the_table_reads_well_in_a_terminal() {
    let dir = tempfile::tempdir().expect("temp dir");
    let refs = write(
        dir.path(),
        "refs.jsonl",
        concat!(
            r#"{"id": "a", "text": "heart size is normal"}"#,
            "\n",
            r#"{"id": "b", "text": "no pleural effusion"}"#,
            "\n"
        ),
    );
    let cands = write(
        dir.path(),
        "cands.jsonl",
        concat!(
            r#"{"id": "a", "text": "heart size is normal"}"#,
            "\n",
            r#"{"id": "b", "text": "no pleural effusion seen"}"#,
            "\n"
        ),
    );
    let args = [
        "text",
        "--references",
        &refs,
        "--candidates",
        &cands,
        "--metrics",
        "bleu,rouge-l",
    ];
    let mut with_json = args.to_vec();
    with_json.push("--json");
    let values = success_json(&medeval(&with_json));
    let bleu_4 = (7.0f64 / 8.0 * 5.0 / 6.0 * 3.0 / 4.0 / 2.0).powf(0.25);
    let expected = [
        ("bleu", bleu_4),
        ("bleu-1", 7.0 / 8.0),
        ("bleu-2", (7.0f64 / 8.0 * 5.0 / 6.0).sqrt()),
        ("bleu-3", (7.0f64 / 8.0 * 5.0 / 6.0 * 3.0 / 4.0).cbrt()),
        ("bleu-4", bleu_4),
        ("rouge-l", (1.0 + 1.83 / 2.08) / 2.0),
        ("rouge-l-p", (1.0 + 3.0 / 4.0) / 2.0),
        ("rouge-l-r", 1.0),
    ];
    for (key, want) in expected {
        let got = values[key]
            .as_f64()
            .unwrap_or_else(|| panic!("{key} missing"));
        // pycocoevalcap adds 1e-15 and 1e-9 to the BLEU counts.
        assert!((got - want).abs() < 1e-6, "{key}: {got} vs {want}");
    }

    let table = medeval(&args);
    assert_success(&table);
    let text = stdout(&table);
    for figure in ["0.7231", "0.8750", "0.8539", "0.8178", "0.9399", "1.0000"] {
        assert!(text.contains(figure), "{figure} not in\n{text}");
    }
    snapshot!("text_table_by_hand", text);
}
