//! Report items in a run, as a user runs them: the real binary against a scripted
//! OpenAI-compatible server; the summary scores the reports with corpus text metrics.

// In tests a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};

use common::{assert_success, medeval, runtime, stderr, stdout, success_json};
use medeval_mockserver::{MockServer, Reply};
use serde_json::Value;

fn write_report_items(dir: &Path) -> PathBuf {
    let path = dir.join("reports.jsonl");
    std::fs::write(
        &path,
        concat!(
            r#"{"id": "r1", "question": "[r1] Write the findings.", "answer": "heart size is normal", "answer_type": "report"}"#,
            "\n",
            r#"{"id": "r2", "question": "[r2] Write the findings.", "answer": "no pleural effusion", "answer_type": "report"}"#,
            "\n",
        ),
    )
    .unwrap();
    path
}

/// r1 copies its reference; r2 declines.
fn reply(prompt: &str) -> Reply {
    if prompt.contains("[r1]") {
        Reply::text("<think>two views</think>heart size is normal")
    } else {
        Reply::text("I'm sorry, but I cannot provide a diagnosis.")
    }
}

/// Reference values by hand (pycocoevalcap's pooled BLEU): every candidate n-gram matches, so
/// BLEU-n is the brevity penalty exp(1 - r/c), with c = 4 candidate words and r = 4 + 3
/// reference words when the refusal enters as an empty report; ROUGE-L is the mean of 1 and 0.
#[test]
fn a_report_run_prints_corpus_metrics_with_intervals_and_counts_refusals() {
    let rt = runtime();
    let server = rt
        .block_on(
            MockServer::builder()
                .models(&["cxr-model"])
                .rule(|req| reply(&req.prompt))
                .start(),
        )
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let items = write_report_items(dir.path());
    let store = dir.path().join("runs.db");
    let summary = success_json(&medeval(&[
        "run",
        "--items",
        items.to_str().unwrap(),
        "--endpoint",
        &server.url(),
        "--model",
        "cxr-model",
        "--store",
        store.to_str().unwrap(),
        "--json",
        "--no-progress",
    ]));
    assert_eq!(summary["complete"], true);
    // No item is judged: there is no accuracy.
    assert_eq!(summary["n"], 0);
    assert_eq!(summary["accuracy"], Value::Null);
    let report = &summary["report"];
    assert_eq!(report["n"], 2);
    assert_eq!(report["n_scored"], 2);
    assert_eq!(report["counts"]["generated"], 1);
    assert_eq!(report["counts"]["refused"], 1);
    assert_eq!(report["flavor"], "coco");
    assert_eq!(report["tokenizer"], "ptb-coco");
    let bp = (1.0f64 - 7.0 / 4.0).exp();
    for key in ["bleu-1", "bleu-2", "bleu-3", "bleu-4"] {
        let value = report["metrics"][key].as_f64().unwrap();
        assert!((value - bp).abs() < 1e-6, "{key}: {value}");
    }
    assert!((report["metrics"]["rouge-l"].as_f64().unwrap() - 0.5).abs() < 1e-12);
    for key in ["meteor-exact-stem", "cider-d"] {
        let value = report["metrics"][key].as_f64().unwrap();
        let ci = report["metrics_ci"][key].as_array().unwrap();
        assert!(ci[0].as_f64().unwrap() <= value && value <= ci[1].as_f64().unwrap());
    }
    assert_eq!(report["bootstrap"]["replicates"], 1000);

    // The stored sample keeps the report without its reasoning.
    let run = summary["run"].as_str().unwrap();
    let shown = medeval(&["show", run, "--store", store.to_str().unwrap()]);
    let text = stdout(&shown);
    assert!(
        text.contains(
            "reports: 1 of 2 generated (0 unparsed, 1 refused, 0 error: scored as empty reports)"
        ),
        "{text}"
    );
    assert!(text.contains("bleu-4"), "{text}");
    assert!(
        !text.contains("accuracy"),
        "a report run shows no accuracy:\n{text}"
    );

    // Leaving samples without a report out measures the reports that were written.
    let excluded = success_json(&medeval(&[
        "show",
        run,
        "--store",
        store.to_str().unwrap(),
        "--non-answers",
        "exclude",
        "--json",
    ]));
    assert_eq!(excluded["report"]["n_scored"], 1);
    assert!((excluded["report"]["metrics"]["bleu-4"].as_f64().unwrap() - 1.0).abs() < 1e-6);
    assert!((excluded["report"]["metrics"]["rouge-l"].as_f64().unwrap() - 1.0).abs() < 1e-12);

    // Paper tables lay report runs out by metric, since they have no accuracy.
    let table = success_json(&medeval(&[
        "table",
        run,
        "--store",
        store.to_str().unwrap(),
        "--format",
        "json",
    ]));
    assert_eq!(table["rows"].as_array().unwrap().len(), 0, "{table}");
    let cell = &table["reports"]["rows"][0]["cells"][0];
    assert_eq!(table["reports"]["rows"][0]["model"], "cxr-model");
    assert_eq!(cell["run"], run);
    assert!((cell["metrics"]["rouge-l"].as_f64().unwrap() - 0.5).abs() < 1e-12);
    let markdown = medeval(&[
        "table",
        run,
        "--store",
        store.to_str().unwrap(),
        "--format",
        "markdown",
    ]);
    let markdown = stdout(&markdown);
    assert!(markdown.contains("rouge-l"), "{markdown}");
    assert!(markdown.contains("0.500 ["), "{markdown}");
    assert!(!markdown.contains("Accuracy"), "{markdown}");
}

/// A real PNG from the data crate's fixtures.
fn png(name: &str) -> Vec<u8> {
    let path = common::manifest_dir()
        .join("../medeval-data/tests/fixtures/omnimedvqa/Images/ACRIMA")
        .join(name);
    std::fs::read(path).unwrap()
}

/// `run --bench chexpert-plus` on a folder laid out as the official release: the valid rows
/// become report items (the one without a findings section is skipped and recorded), the
/// images are sent, and the summary scores the reports. Patients are the clusters.
#[test]
fn a_report_card_runs_end_to_end_and_records_skipped_rows() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("chexpert-plus");
    std::fs::create_dir_all(data.join("PNG/valid/patient1/study1")).unwrap();
    std::fs::create_dir_all(data.join("PNG/valid/patient2/study1")).unwrap();
    std::fs::write(
        data.join("PNG/valid/patient1/study1/view1_frontal.png"),
        png("Im001.png"),
    )
    .unwrap();
    std::fs::write(
        data.join("PNG/valid/patient2/study1/view1_frontal.png"),
        png("Im002.png"),
    )
    .unwrap();
    std::fs::write(
        data.join("df_chexpert_plus_240401.csv"),
        concat!(
            "path_to_image,deid_patient_id,section_findings,section_impression,split,frontal_lateral\n",
            "valid/patient1/study1/view1_frontal.png,patient1,heart size is normal,no acute disease,valid,Frontal\n",
            "valid/patient2/study1/view1_frontal.png,patient2,no pleural effusion,normal chest,valid,Frontal\n",
            "valid/patient3/study1/view1_frontal.png,patient3,,stable,valid,Frontal\n",
            "train/patient9/study1/view1_frontal.png,patient9,lungs are clear,normal,train,Frontal\n",
        ),
    )
    .unwrap();
    let rt = runtime();
    let server = rt
        .block_on(
            MockServer::builder()
                .models(&["cxr-model"])
                .rule(|req| {
                    Reply::text(if req.images == 1 {
                        "heart size is normal"
                    } else {
                        "no image arrived"
                    })
                })
                .start(),
        )
        .unwrap();
    let store = dir.path().join("runs.db");
    let output = medeval(&[
        "run",
        "--bench",
        "chexpert-plus",
        "--data",
        data.to_str().unwrap(),
        "--endpoint",
        &server.url(),
        "--model",
        "cxr-model",
        "--store",
        store.to_str().unwrap(),
        "--json",
        "--no-progress",
    ]);
    let runs = success_json(&output);
    assert!(
        stderr(&output).contains("1 row(s) without a reference report skipped"),
        "{}",
        stderr(&output)
    );
    let summary = &runs[0];
    assert_eq!(summary["benchmark"], "chexpert-plus");
    assert_eq!(
        server.chat_requests().len(),
        2,
        "the train row and the empty row are not sent"
    );
    let report = &summary["report"];
    assert_eq!(report["n"], 2);
    assert_eq!(report["counts"]["generated"], 2);
    assert_eq!(report["bootstrap"]["resampled"], "clusters");
    assert_eq!(report["bootstrap"]["units"], 2);
    // patient1's report is a copy (ROUGE-L 1); patient2's shares no word with its reference.
    assert!((report["metrics"]["rouge-l"].as_f64().unwrap() - 0.5).abs() < 1e-12);

    let db = rusqlite::Connection::open(&store).unwrap();
    let manifest: String = db
        .query_row("SELECT manifest FROM runs", [], |row| row.get(0))
        .unwrap();
    let manifest: Value = serde_json::from_str(&manifest).unwrap();
    let card = &manifest["items"]["card"];
    assert_eq!(card["rows"], 2, "{manifest}");
    assert_eq!(card["skipped_rows"], 1);
}

/// `medeval compare` on two scored-sample files of report items compares text metrics, paired
/// by item: A copies both references (ROUGE-L 1 and 1), B copies one and declines the other
/// (1 and 0, mean 0.5), so ROUGE-L differs by 0.5.
#[test]
fn report_runs_are_compared_on_text_metrics() {
    let dir = tempfile::tempdir().unwrap();
    let items = write_report_items(dir.path());
    let score = |name: &str, responses: [&str; 2]| {
        let predictions = dir.path().join(format!("{name}.predictions.jsonl"));
        let lines: Vec<String> = ["r1", "r2"]
            .iter()
            .zip(responses)
            .map(|(id, response)| serde_json::json!({"id": id, "response": response}).to_string())
            .collect();
        std::fs::write(&predictions, lines.join("\n")).unwrap();
        let samples = dir.path().join(format!("{name}.jsonl"));
        let output = medeval(&[
            "score",
            "--items",
            items.to_str().unwrap(),
            "--predictions",
            predictions.to_str().unwrap(),
            "--samples",
            samples.to_str().unwrap(),
        ]);
        assert_success(&output);
        samples
    };
    let a = score("a", ["heart size is normal", "no pleural effusion"]);
    let b = score(
        "b",
        ["heart size is normal", "I cannot provide a diagnosis."],
    );
    let comparisons = success_json(&medeval(&[
        "compare",
        a.to_str().unwrap(),
        b.to_str().unwrap(),
        "--json",
    ]));
    let comparison = &comparisons[0];
    assert_eq!(comparison["kind"], "report");
    assert_eq!(comparison["n_paired"], 2);
    assert_eq!(comparison["counts_b"]["refused"], 1);
    let rouge = comparison["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["metric"] == "rouge-l")
        .unwrap();
    assert!((rouge["a"].as_f64().unwrap() - 1.0).abs() < 1e-12);
    assert!((rouge["b"].as_f64().unwrap() - 0.5).abs() < 1e-12);
    assert!((rouge["diff"].as_f64().unwrap() - 0.5).abs() < 1e-12);
    let text = medeval(&["compare", a.to_str().unwrap(), b.to_str().unwrap()]);
    let text = stdout(&text);
    assert!(text.contains("2 paired reports"), "{text}");
    assert!(text.contains("rouge-l"), "{text}");
}
