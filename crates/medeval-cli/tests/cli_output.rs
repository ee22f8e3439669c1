//! Snapshots of what users read: the demo, a stored run's summary, and error messages.
//! Run ids, paths and times are replaced by placeholders; everything else must match exactly.

// In tests a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used)]

use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_medeval");

fn medeval(dir: &std::path::Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

macro_rules! snapshot {
    ($name:expr, $value:expr) => {
        insta::with_settings!({filters => vec![
            (r"\b[0-9a-f]{8}(-\d+)?\b", "[RUN]"),
            (r"\b[0-9a-f]{12}\b", "[HASH]"),
            (r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", "[TIME]"),
            (r"/tmp/\.tmp\w+", "[DIR]"),
            (r"\S*/medeval-sanity/tests/fixtures/dicom", "[DICOM]"),
        ]}, {
            insta::assert_snapshot!($name, $value);
        });
    };
}

#[test]
fn the_demo_compares_the_baselines_and_says_what_to_do_next() {
    let dir = tempfile::tempdir().unwrap();
    let first = medeval(dir.path(), &["demo"]);
    assert!(first.status.success(), "{}", text(&first.stderr));
    snapshot!("demo", text(&first.stdout));
    // A second demo reuses the stored runs and prints the same numbers.
    let second = medeval(dir.path(), &["demo"]);
    assert_eq!(text(&first.stdout), text(&second.stdout));
}

#[test]
fn show_prints_counts_intervals_and_labelled_averages() {
    let dir = tempfile::tempdir().unwrap();
    assert!(medeval(dir.path(), &["demo"]).status.success());
    let runs = medeval(
        dir.path(),
        &["runs", "--store", "medeval-demo.db", "--json"],
    );
    let listed: serde_json::Value = serde_json::from_slice(&runs.stdout).unwrap();
    let majority = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["model"] == "baseline:majority")
        .unwrap()["run"]
        .as_str()
        .unwrap()
        .to_owned();
    let shown = medeval(
        dir.path(),
        &[
            "show",
            &majority,
            "--store",
            "medeval-demo.db",
            "--by",
            "task",
            "--by",
            "answer_type",
        ],
    );
    assert!(shown.status.success(), "{}", text(&shown.stderr));
    snapshot!("show_majority_by_task", text(&shown.stdout));
    let markdown = medeval(
        dir.path(),
        &[
            "show",
            &majority,
            "--store",
            "medeval-demo.db",
            "--format",
            "markdown",
            "--ci",
            "cluster",
        ],
    );
    snapshot!("show_majority_markdown_cluster", text(&markdown.stdout));
}

#[test]
fn bad_input_errors_name_the_place() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bench.jsonl"),
        "{\"id\": \"a\", \"question\": \"q\", \"options\": {\"A\": \"x\", \"B\": \"y\"}, \"answer\": \"C\"}\n",
    )
    .unwrap();
    let out = medeval(
        dir.path(),
        &["run", "--items", "bench.jsonl", "--baseline", "random"],
    );
    assert_eq!(out.status.code(), Some(1));
    snapshot!("error_gold_not_an_option", text(&out.stderr));

    let out = medeval(dir.path(), &["show", "--store", "nothing-here.db"]);
    assert_eq!(out.status.code(), Some(1));
    snapshot!("error_missing_store", text(&out.stderr));

    std::fs::write(
        dir.path().join("good.jsonl"),
        "{\"id\": \"a\", \"question\": \"q\", \"answer\": \"yes\"}\n",
    )
    .unwrap();
    let out = medeval(
        dir.path(),
        &["run", "--items", "good.jsonl", "--baseline", "oracle"],
    );
    assert_eq!(out.status.code(), Some(1));
    snapshot!("error_unknown_baseline", text(&out.stderr));
}

#[test]
fn sanity_build_says_what_it_wrote_and_what_it_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let dicom = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../medeval-sanity/tests/fixtures/dicom");
    let out = medeval(
        dir.path(),
        &[
            "sanity",
            "build",
            "--dicom-dir",
            dicom.to_str().unwrap(),
            "--out",
            "sanity.jsonl",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    snapshot!("sanity_build", text(&out.stdout));

    let again = medeval(
        dir.path(),
        &[
            "sanity",
            "build",
            "--dicom-dir",
            dicom.to_str().unwrap(),
            "--out",
            "sanity.jsonl",
        ],
    );
    assert_eq!(again.status.code(), Some(1));
    snapshot!("error_sanity_output_exists", text(&again.stderr));

    let unknown = medeval(
        dir.path(),
        &[
            "sanity",
            "build",
            "--dicom-dir",
            ".",
            "--out",
            "x.jsonl",
            "--tasks",
            "flip,laterality",
        ],
    );
    assert_eq!(unknown.status.code(), Some(1));
    snapshot!("error_sanity_unknown_task", text(&unknown.stderr));
}

#[test]
fn sanity_build_leaves_out_images_that_may_show_burned_in_text_unless_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let dicom = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../medeval-sanity/tests/fixtures/burned_in_unknown");
    let build = |out: &str, extra: &[&str]| {
        let mut args = vec![
            "sanity",
            "build",
            "--dicom-dir",
            dicom.to_str().unwrap(),
            "--out",
            out,
            "--tasks",
            "modality",
        ];
        args.extend(extra);
        medeval(dir.path(), &args)
    };
    let refused = build("default.jsonl", &[]);
    assert!(refused.status.success(), "{}", text(&refused.stderr));
    snapshot!("sanity_build_burned_in_unknown", text(&refused.stdout));
    let allowed = build("allowed.jsonl", &["--allow-unknown-burned-in"]);
    assert!(allowed.status.success(), "{}", text(&allowed.stderr));
    snapshot!("sanity_build_burned_in_allowed", text(&allowed.stdout));
}

/// `medeval bench list | head -0`: the reader goes away before medeval writes. The command ends
/// quietly instead of panicking on the broken pipe. Repeated, because whether the write comes
/// before or after the reader closes is a race.
#[test]
fn a_closed_pipe_ends_the_command_quietly() {
    for _ in 0..30 {
        let mut child = Command::new(BIN)
            .args(["bench", "list"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let output = child.wait_with_output().unwrap();
        let stderr = text(&output.stderr);
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert!(output.status.success(), "{stderr}");
    }
}
