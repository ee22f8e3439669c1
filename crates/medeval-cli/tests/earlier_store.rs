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

/// The listing of run `id` in `runs --json` output.
fn listed<'a>(runs: &'a Value, id: &str) -> &'a Value {
    runs.as_array()
        .unwrap()
        .iter()
        .find(|r| r["run"] == id)
        .unwrap_or_else(|| panic!("run {id} is not listed: {runs:#}"))
}

/// The command that continues the fixture's mock-model run against the server at `url`.
fn continue_model_run(url: &str) -> Vec<&str> {
    vec![
        "run",
        "--items",
        "items.jsonl",
        "--endpoint",
        url,
        "--model",
        "mock-model",
        "--store",
        "store.db",
        "--no-progress",
    ]
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
    assert_eq!(shown.status.code(), Some(3), "an incomplete run exits 3");
    // Both failures are the server's 503, grouped under one reason without the attempt count.
    assert_eq!(summary["error_reasons"][0]["count"], 2, "{summary:#}");
    assert_eq!(
        summary["error_reasons"][0]["examples"],
        serde_json::json!(["f1", "f2"])
    );
    assert_eq!(
        listed(&runs, &model_run)["accuracy"],
        0.2,
        "runs agrees with show"
    );

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
        &[continue_model_run(&server.url()).as_slice(), &["--json"]].concat(),
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

#[test]
fn runs_are_deleted_one_at_a_time_and_report_runs_are_listed_by_their_headline_metric() {
    let dir = copied_fixture();
    let runs = json(&medeval_in(
        dir.path(),
        &["runs", "--store", "store.db", "--json"],
    ));
    let report_run = run_of(&runs, "reports", "mock-model");
    let listed_report = listed(&runs, &report_run);
    // Three generated reports and nothing judged: no accuracy to list.
    assert_eq!(listed_report["generated"], 3);
    assert!(listed_report["accuracy"].is_null(), "{listed_report:#}");
    // Listed by ROUGE-L instead, as pycocoevalcap computes it (β = 1.2, per-report F, mean).
    // The reporter always wrote "The heart size is normal. The lungs are clear." (9 tokens):
    // r1 (12 tokens) holds all 9 in order, P 1, R 9/12: F = 2.44·0.75/(0.75 + 1.44) = 0.835616;
    // r2 shares no token: F = 0; r3 (8 tokens) shares "the lungs are clear", P 4/9, R 4/8:
    // F = 2.44·(2/9)/(0.5 + 1.44·4/9) = 0.475634. Mean 0.437083.
    assert_eq!(listed_report["report_metric"]["name"], "rouge-l");
    let rouge = listed_report["report_metric"]["value"].as_f64().unwrap();
    assert!((rouge - 0.437_083_322).abs() < 1e-6, "{listed_report:#}");
    let table = medeval_in(dir.path(), &["runs", "--store", "store.db"]);
    assert_success(&table);
    let report_line = common::stdout(&table)
        .lines()
        .find(|line| line.starts_with(&report_run[..8]))
        .unwrap()
        .to_owned();
    // The 100-column table may wrap the cell after the metric's name.
    assert!(report_line.contains("rouge-l"), "{report_line}");
    assert!(
        common::stdout(&table).contains("0.437"),
        "{}",
        common::stdout(&table)
    );

    let majority = run_of(&runs, "items", "baseline:majority");
    let deleted = medeval_in(
        dir.path(),
        &["runs", "--store", "store.db", "--delete", &majority[..6]],
    );
    assert_success(&deleted);
    let after = json(&medeval_in(
        dir.path(),
        &["runs", "--store", "store.db", "--json"],
    ));
    let ids: Vec<&str> = after
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["run"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 3, "{after:#}");
    assert!(!ids.contains(&majority.as_str()));
    let gone = medeval_in(dir.path(), &["show", &majority, "--store", "store.db"]);
    assert_eq!(gone.status.code(), Some(1));
}

#[test]
fn sigterm_stops_a_run_gracefully_and_a_running_run_is_not_deleted() {
    let dir = copied_fixture();
    let rt = runtime();
    // The server takes far longer than the test waits: the run is still requesting when stopped.
    let server = rt
        .block_on(
            MockServer::builder()
                .latency(std::time::Duration::from_secs(60))
                .rule(|_| Reply::text("The answer is A."))
                .start(),
        )
        .unwrap();
    let child = common::cli(continue_model_run(&server.url()))
        .current_dir(dir.path())
        .spawn(std::process::Stdio::null(), std::process::Stdio::piped());
    // The earlier incomplete run is continued: it is marked running while its two failed
    // items are requested again.
    let started = std::time::Instant::now();
    let running = loop {
        let runs = json(&medeval_in(
            dir.path(),
            &["runs", "--store", "store.db", "--json"],
        ));
        if let Some(run) = runs
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["status"] == "running")
        {
            break run["run"].as_str().unwrap().to_owned();
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "the run never started"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let refused = medeval_in(
        dir.path(),
        &["runs", "--store", "store.db", "--delete", &running],
    );
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        common::stderr(&refused).contains("--force"),
        "{}",
        common::stderr(&refused)
    );

    let kill = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    let runs = json(&medeval_in(
        dir.path(),
        &["runs", "--store", "store.db", "--json"],
    ));
    let after = listed(&runs, &running);
    assert_eq!(after["status"], "incomplete", "{after:#}");
    assert_eq!(
        after["errors"], 2,
        "the two failures are still there to retry"
    );
}
