//! A store written by medeval 0.1.0 (`tests/fixtures/store-0.1`, made by its `make.sh`) is
//! listed, shown, compared, tabled and continued by this build exactly as that release did:
//! stores outlive releases.

// In tests a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use medeval_mockserver::{MockServer, Reply};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_medeval");

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
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

fn medeval(dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

fn json(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
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
    let runs = json(&medeval(
        dir.path(),
        &["runs", "--store", "store.db", "--json"],
    ));
    assert_eq!(runs.as_array().unwrap().len(), 4, "{runs:#}");
    let model_run = run_of(&runs, "items", "mock-model");

    // The mock model always answered "The answer is A.": of the four multiple-choice items
    // answered, m1 and m3 have gold A. The two "[flaky]" items got HTTP 503.
    let shown = medeval(
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
    let report = json(&medeval(
        dir.path(),
        &["show", &report_run, "--store", "store.db", "--json"],
    ));
    assert_eq!(report["report"]["counts"]["generated"], 3, "{report:#}");
}

#[test]
fn runs_of_an_earlier_release_are_compared_and_tabled() {
    let dir = copied_fixture();
    let runs = json(&medeval(
        dir.path(),
        &["runs", "--store", "store.db", "--json"],
    ));
    let model_run = run_of(&runs, "items", "mock-model");
    let majority = run_of(&runs, "items", "baseline:majority");
    let compared = medeval(
        dir.path(),
        &[
            "compare", &model_run, &majority, "--store", "store.db", "--json",
        ],
    );
    assert!(
        compared.status.success(),
        "{}",
        String::from_utf8_lossy(&compared.stderr)
    );
    let comparison = &json(&compared)[0];
    assert_eq!(comparison["n_paired"], 10);
    // Four items only the baseline gets right, none the other way: exact McNemar
    // p = 2 * 0.5^4 = 0.125.
    assert_eq!(
        (comparison["b"].clone(), comparison["c"].clone()),
        (0.into(), 4.into())
    );
    assert!((comparison["mcnemar_p"].as_f64().unwrap() - 0.125).abs() < 1e-12);

    let tabled = medeval(
        dir.path(),
        &[
            "table", &model_run, &majority, "--store", "store.db", "--format", "json",
        ],
    );
    assert!(
        tabled.status.success(),
        "{}",
        String::from_utf8_lossy(&tabled.stderr)
    );
    let table = json(&tabled);
    assert_eq!(table["rows"].as_array().unwrap().len(), 2, "{table:#}");
}

#[test]
fn an_incomplete_run_of_an_earlier_release_is_continued_requesting_only_its_failures() {
    let dir = copied_fixture();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let server = runtime
        .block_on(
            MockServer::builder()
                .rule(|_| Reply::text("The answer is A."))
                .start(),
        )
        .unwrap();
    let continued = medeval(
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
    assert!(
        continued.status.success(),
        "{}",
        String::from_utf8_lossy(&continued.stderr)
    );
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
    let runs = json(&medeval(
        dir.path(),
        &["runs", "--store", "store.db", "--json"],
    ));
    assert_eq!(runs.as_array().unwrap().len(), 4, "no new run: {runs:#}");
}
