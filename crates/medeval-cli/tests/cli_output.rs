//! Snapshots of what users read: the demo, a stored run's summary, and error messages.
//! Run ids, paths and times are replaced by placeholders; everything else must match exactly.

// In tests a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used)]

mod common;

use std::process::Stdio;

use common::{assert_success, cli, medeval_in, snapshot, stderr, stdout};

#[test]
fn the_demo_compares_the_baselines_and_says_what_to_do_next() {
    let dir = tempfile::tempdir().unwrap();
    let first = medeval_in(dir.path(), &["demo"]);
    assert_success(&first);
    snapshot!("demo", stdout(&first));
    // A second demo reuses the stored runs and prints the same numbers.
    let second = medeval_in(dir.path(), &["demo"]);
    assert_eq!(stdout(&first), stdout(&second));
}

#[test]
fn show_prints_counts_intervals_and_labelled_averages() {
    let dir = tempfile::tempdir().unwrap();
    assert_success(&medeval_in(dir.path(), &["demo"]));
    let runs = medeval_in(
        dir.path(),
        &["runs", "--store", "medeval-demo.db", "--json"],
    );
    let listed = common::json(&runs);
    let majority = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["model"] == "baseline:majority")
        .unwrap()["run"]
        .as_str()
        .unwrap()
        .to_owned();
    let shown = medeval_in(
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
    assert_success(&shown);
    snapshot!("show_majority_by_task", stdout(&shown));
    let markdown = medeval_in(
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
    snapshot!("show_majority_markdown_cluster", stdout(&markdown));
}

#[test]
fn bad_input_errors_name_the_place() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bench.jsonl"),
        "{\"id\": \"a\", \"question\": \"q\", \"options\": {\"A\": \"x\", \"B\": \"y\"}, \"answer\": \"C\"}\n",
    )
    .unwrap();
    let out = medeval_in(
        dir.path(),
        &["run", "--items", "bench.jsonl", "--baseline", "random"],
    );
    assert_eq!(out.status.code(), Some(1));
    snapshot!("error_gold_not_an_option", stderr(&out));

    let out = medeval_in(dir.path(), &["show", "--store", "nothing-here.db"]);
    assert_eq!(out.status.code(), Some(1));
    snapshot!("error_missing_store", stderr(&out));

    std::fs::write(
        dir.path().join("good.jsonl"),
        "{\"id\": \"a\", \"question\": \"q\", \"answer\": \"yes\"}\n",
    )
    .unwrap();
    let out = medeval_in(
        dir.path(),
        &["run", "--items", "good.jsonl", "--baseline", "oracle"],
    );
    assert_eq!(out.status.code(), Some(1));
    snapshot!("error_unknown_baseline", stderr(&out));
}

#[test]
fn sanity_build_says_what_it_wrote_and_what_it_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let dicom = common::manifest_dir().join("../medeval-sanity/tests/fixtures/dicom");
    let out = medeval_in(
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
    assert_success(&out);
    snapshot!("sanity_build", stdout(&out));

    let again = medeval_in(
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
    snapshot!("error_sanity_output_exists", stderr(&again));

    let unknown = medeval_in(
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
    snapshot!("error_sanity_unknown_task", stderr(&unknown));
}

#[test]
fn sanity_build_leaves_out_images_that_may_show_burned_in_text_unless_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let dicom = common::manifest_dir().join("../medeval-sanity/tests/fixtures/burned_in_unknown");
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
        medeval_in(dir.path(), &args)
    };
    let refused = build("default.jsonl", &[]);
    assert_success(&refused);
    snapshot!("sanity_build_burned_in_unknown", stdout(&refused));
    let allowed = build("allowed.jsonl", &["--allow-unknown-burned-in"]);
    assert_success(&allowed);
    snapshot!("sanity_build_burned_in_allowed", stdout(&allowed));
}

/// `medeval bench list | head -0`: the reader goes away before medeval writes. The command ends
/// quietly instead of panicking on the broken pipe. Repeated, because whether the write comes
/// before or after the reader closes is a race.
#[test]
fn a_closed_pipe_ends_the_command_quietly() {
    for _ in 0..30 {
        let mut child = cli(["bench", "list"]).spawn(Stdio::piped(), Stdio::piped());
        drop(child.stdout.take());
        let output = child.wait_with_output().unwrap();
        assert!(!stderr(&output).contains("panicked"), "{}", stderr(&output));
        assert_success(&output);
    }
}
