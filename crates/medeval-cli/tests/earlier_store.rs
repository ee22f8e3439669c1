//! A store written by medeval 0.1.0 (`tests/fixtures/store-0.1`, made by its `make.sh`) is
//! listed, shown, compared, tabled and continued by this build exactly as that release did:
//! stores outlive releases.

// In tests a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::PathBuf;

use common::{assert_success, json, medeval_in, runtime};
use medeval_mockserver::{MockServer, Reply};
use serde_json::Value;

fn fixture(name: &str) -> PathBuf {
    common::manifest_dir()
        .join("tests/fixtures/store-0.1")
        .join(name)
}

/// The fixture's store and items, copied so the test may write to them.
fn copied_fixture() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for name in ["store.db", "items.jsonl", "reports.jsonl"] {
        std::fs::copy(fixture(name), dir.path().join(name)).unwrap();
    }
    dir
}

/// The id of the one listed run of `model` over `benchmark` without a variant.
fn run_of(runs: &Value, benchmark: &str, model: &str) -> String {
    let matching: Vec<&Value> = runs
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["benchmark"] == benchmark && r["model"] == model && r["variant"].is_null())
        .collect();
    assert_eq!(matching.len(), 1, "{runs:#}");
    matching[0]["run"].as_str().unwrap().to_owned()
}

#[test]
fn runs_of_an_earlier_release_are_listed_and_shown_as_it_showed_them() {
    let dir = copied_fixture();
    let runs = json(&medeval_in(
        dir.path(),
        &["runs", "--store", "store.db", "--json"],
    ));
    assert_eq!(runs.as_array().unwrap().len(), 4, "{runs:#}");
    let model_run = run_of(&runs, "items", "mock-model");

    // The mock model always answered "The answer is A.": of the four multiple-choice items
    // answered, m1 and m3 have gold A. The two "[flaky]" items got HTTP 503.
    let shown = medeval_in(
        dir.path(),
        &["show", &model_run, "--store", "store.db", "--json"],
    );
    let summary = json(&shown);
    assert_eq!(summary["n"], 10);
    assert_eq!(summary["counts"]["correct"], 2);
    assert_eq!(summary["counts"]["error"], 2);
    assert_eq!(summary["complete"], false);
    assert_eq!(summary["accuracy"], 0.2);

    // The report run keeps its corpus metrics: three generated reports.
    let report_run = run_of(&runs, "reports", "mock-model");
    let report = json(&medeval_in(
        dir.path(),
        &["show", &report_run, "--store", "store.db", "--json"],
    ));
    assert_eq!(report["report"]["counts"]["generated"], 3, "{report:#}");
}

#[test]
fn runs_of_an_earlier_release_are_compared_and_tabled() {
    let dir = copied_fixture();
    let runs = json(&medeval_in(
        dir.path(),
        &["runs", "--store", "store.db", "--json"],
    ));
    let model_run = run_of(&runs, "items", "mock-model");
    let majority = run_of(&runs, "items", "baseline:majority");
    let compared = medeval_in(
        dir.path(),
        &[
            "compare", &model_run, &majority, "--store", "store.db", "--json",
        ],
    );
    assert_success(&compared);
    let comparison = &json(&compared)[0];
    assert_eq!(comparison["n_paired"], 10);
    // Four items only the baseline gets right, none the other way: exact McNemar
    // p = 2 * 0.5^4 = 0.125.
    assert_eq!(
        (comparison["b"].clone(), comparison["c"].clone()),
        (0.into(), 4.into())
    );
    assert!((comparison["mcnemar_p"].as_f64().unwrap() - 0.125).abs() < 1e-12);

    let tabled = medeval_in(
        dir.path(),
        &[
            "table", &model_run, &majority, "--store", "store.db", "--format", "json",
        ],
    );
    assert_success(&tabled);
    let table = json(&tabled);
    assert_eq!(table["rows"].as_array().unwrap().len(), 2, "{table:#}");
}

#[test]
fn an_incomplete_run_of_an_earlier_release_is_continued_requesting_only_its_failures() {
    let dir = copied_fixture();
    let rt = runtime();
    let server = rt
        .block_on(
            MockServer::builder()
                .rule(|_| Reply::text("The answer is A."))
                .start(),
        )
        .unwrap();
    let continued = medeval_in(
        dir.path(),
        &[
            "run",
            "--items",
            "items.jsonl",
            "--endpoint",
            &server.url(),
            "--model",
            "mock-model",
            "--store",
            "store.db",
            "--no-progress",
            "--json",
        ],
    );
    assert_success(&continued);
    let prompts: Vec<String> = server
        .chat_requests()
        .into_iter()
        .map(|r| r.prompt.unwrap_or_default())
        .collect();
    assert_eq!(prompts.len(), 2, "{prompts:?}");
    assert!(prompts.iter().all(|p| p.contains("[flaky]")), "{prompts:?}");
    let summary = json(&continued);
    // f1 (gold A) is now right, f2 (closed) is not a yes or no.
    assert_eq!(summary["counts"]["correct"], 3);
    assert_eq!(summary["counts"]["error"], 0);
    assert_eq!(summary["complete"], true);
    let runs = json(&medeval_in(
        dir.path(),
        &["runs", "--store", "store.db", "--json"],
    ));
    assert_eq!(runs.as_array().unwrap().len(), 4, "no new run: {runs:#}");
}
