//! What `show`, `table` and `run` print for a run, checked as a new user reads it: the same
//! interval in `show` and `table`, the cluster bound named when clusters are few, tables that
//! fit a 100-column terminal, breakdowns in the order asked, CSV that pandas reads as numbers,
//! and a run that says it started when it starts.

// In tests a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use common::{assert_success, cli, json, medeval, medeval_in, runtime, stdout, success_json};
use medeval_mockserver::{MockServer, Reply};

/// The demo's runs, stored in `dir/medeval-demo.db`; returns the id of the majority baseline.
fn demo_majority(dir: &Path) -> String {
    assert_success(&medeval_in(dir, &["demo"]));
    let listed = success_json(&medeval_in(
        dir,
        &["runs", "--store", "medeval-demo.db", "--json"],
    ));
    listed
        .as_array()
        .unwrap()
        .iter()
        .find(|run| run["model"] == "baseline:majority")
        .unwrap()["run"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Display width of a line: every character one column except the East Asian wide ones, which
/// the demo does not print.
fn columns(line: &str) -> usize {
    line.chars().count()
}

#[track_caller]
fn assert_fits_100_columns(text: &str) {
    for line in text.lines() {
        assert!(
            columns(line) <= 100,
            "{} columns: {line}\n{text}",
            columns(line)
        );
    }
}

/// The demo's 58 items show 8 DICOM images (clusters of 3, 4, 4, 9, 9, 9, 10 and 10 questions):
/// too few for a cluster-robust interval. The majority baseline has 21 of 58 right. Reference
/// (bench/stats/.venv, statsmodels 0.14): n_w = 58²/Σm² = 3364/484 = 6.950413223140496 and
/// `proportion_confint(21/58 * n_w, n_w, method="wilson")` = [0.1202575711605181,
/// 0.7020758141768102].
const DEMO_BOUND: [f64; 2] = [0.120_257_571_160_518_1, 0.702_075_814_176_810_2];

#[test]
fn show_and_table_give_a_run_the_same_interval_and_name_the_cluster_bound() {
    let dir = tempfile::tempdir().unwrap();
    let run = demo_majority(dir.path());
    let shown = success_json(&medeval_in(
        dir.path(),
        &["show", &run, "--store", "medeval-demo.db", "--json"],
    ));
    assert_eq!(shown["ci_method"], "wilson_cluster_bound");
    assert_eq!(shown["ci_fallback"]["from"], "cluster_robust");
    assert_eq!(shown["ci_fallback"]["reason"], "too_few_clusters");
    assert_eq!(shown["ci_fallback"]["clusters"], 8);
    assert_eq!(shown["ci_fallback"]["minimum_clusters"], 30);
    let n_w = shown["ci_fallback"]["worst_case_n"].as_f64().unwrap();
    assert!((n_w - 3364.0 / 484.0).abs() < 1e-12, "{n_w}");
    let ci: Vec<f64> = shown["accuracy_ci"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    for (got, expected) in ci.iter().zip(DEMO_BOUND) {
        assert!((got - expected).abs() < 1e-12, "{ci:?}");
    }

    let tabled = success_json(&medeval_in(
        dir.path(),
        &[
            "table",
            &run,
            "--store",
            "medeval-demo.db",
            "--format",
            "json",
        ],
    ));
    let cell = &tabled["rows"][0]["cells"][0];
    assert_eq!(cell["ci_method"], shown["ci_method"]);
    assert_eq!(cell["accuracy_ci"], shown["accuracy_ci"]);

    // The terminal output names the method and says why, and never prints the degenerate
    // cluster-robust interval.
    let text = stdout(&medeval_in(
        dir.path(),
        &["show", &run, "--store", "medeval-demo.db"],
    ));
    assert!(text.contains("95% CI (cluster-robust)"), "{text}");
    assert!(text.contains("[12.0, 70.2]‡"), "{text}");
    assert!(
        text.contains("‡ 8 cluster(s) are fewer than the 30 a cluster-robust interval needs"),
        "{text}"
    );
    let table = stdout(&medeval_in(
        dir.path(),
        &["table", &run, "--store", "medeval-demo.db"],
    ));
    assert!(table.contains("36.2 [12.0, 70.2]‡ n=58"), "{table}");
}

#[test]
fn breakdowns_follow_the_order_of_the_by_flags() {
    let dir = tempfile::tempdir().unwrap();
    let run = demo_majority(dir.path());
    for (first, second) in [("task", "answer_type"), ("answer_type", "task")] {
        let text = stdout(&medeval_in(
            dir.path(),
            &[
                "show",
                &run,
                "--store",
                "medeval-demo.db",
                "--by",
                first,
                "--by",
                second,
            ],
        ));
        let at = |field: &str| text.find(&format!("by {field}")).unwrap();
        assert!(
            at(first) < at(second),
            "--by {first} --by {second}:\n{text}"
        );
        let shown = success_json(&medeval_in(
            dir.path(),
            &[
                "show",
                &run,
                "--store",
                "medeval-demo.db",
                "--by",
                first,
                "--by",
                second,
                "--json",
            ],
        ));
        assert_eq!(shown["by"], serde_json::json!([first, second]));
    }
}

#[test]
fn terminal_tables_fit_100_columns_and_keep_every_number() {
    let dir = tempfile::tempdir().unwrap();
    let run = demo_majority(dir.path());
    let listed = success_json(&medeval_in(
        dir.path(),
        &["runs", "--store", "medeval-demo.db", "--json"],
    ));
    let runs: Vec<String> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["run"].as_str().unwrap().to_owned())
        .collect();
    let mut args = vec![
        "table",
        "--store",
        "medeval-demo.db",
        "--sub",
        "task,answer_type",
    ];
    args.extend(runs.iter().map(String::as_str));
    let output = medeval_in(dir.path(), &args);
    assert_success(&output);
    let text = stdout(&output);
    assert_fits_100_columns(&text);
    // Every cell's numbers are printed whole: the JSON's accuracies, to one decimal.
    args.extend(["--format", "json"]);
    let table = success_json(&medeval_in(dir.path(), &args));
    for row in table["rows"].as_array().unwrap() {
        for cell in row["cells"].as_array().unwrap() {
            let accuracy = cell["accuracy"].as_f64().unwrap() * 100.0;
            let n = cell["n"].as_u64().unwrap();
            let shown = format!("{accuracy:.1}");
            assert!(text.contains(&shown), "{shown} missing:\n{text}");
            assert!(text.contains(&format!("n={n}")), "n={n} missing:\n{text}");
        }
        assert!(text.contains(row["model"].as_str().unwrap()), "{text}");
    }
    let shown = stdout(&medeval_in(
        dir.path(),
        &[
            "show",
            &run,
            "--store",
            "medeval-demo.db",
            "--by",
            "task",
            "--by",
            "answer_type",
            "--ci",
            "cluster",
        ],
    ));
    assert_fits_100_columns(&shown);
    assert!(shown.contains("micro average"), "{shown}");
    let listing = stdout(&medeval_in(
        dir.path(),
        &["runs", "--store", "medeval-demo.db"],
    ));
    assert_fits_100_columns(&listing);
}

/// The cells of a CSV line (no quoted commas in the cells read here).
fn cells(line: &str) -> Vec<&str> {
    line.split(',').collect()
}

#[test]
fn show_csv_is_one_tidy_table_of_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let run = demo_majority(dir.path());
    let output = medeval_in(
        dir.path(),
        &[
            "show",
            &run,
            "--store",
            "medeval-demo.db",
            "--by",
            "task",
            "--format",
            "csv",
        ],
    );
    assert_success(&output);
    let text = stdout(&output);
    let mut lines = text.lines();
    assert_eq!(
        lines.next().unwrap(),
        "run,benchmark,model,breakdown,group,metric,value,unit,ci_lower,ci_upper,ci_method,confidence,policy"
    );
    assert!(!text.contains('%'), "no percent strings:\n{text}");
    let rows: Vec<Vec<&str>> = lines.map(cells).collect();
    for row in &rows {
        assert_eq!(row.len(), 13, "{row:?}");
        assert!(row[6].parse::<f64>().is_ok(), "value {row:?}");
        for bound in &row[8..10] {
            assert!(bound.is_empty() || bound.parse::<f64>().is_ok(), "{row:?}");
        }
    }
    let find = |breakdown: &str, group: &str, metric: &str| {
        rows.iter()
            .find(|row| row[3] == breakdown && row[4] == group && row[5] == metric)
            .unwrap_or_else(|| panic!("no row {breakdown} {group} {metric}:\n{text}"))
    };
    let accuracy = find("overall", "all", "accuracy");
    assert_eq!(accuracy[0], run);
    assert_eq!(accuracy[1..3], ["medeval-demo", "baseline:majority"]);
    assert!((accuracy[6].parse::<f64>().unwrap() - 21.0 / 58.0).abs() < 1e-15);
    assert_eq!(accuracy[7], "proportion");
    assert!((accuracy[8].parse::<f64>().unwrap() - DEMO_BOUND[0]).abs() < 1e-12);
    assert_eq!(
        accuracy[10..],
        ["wilson_cluster_bound", "0.95", "count_as_wrong"]
    );
    assert_eq!(find("overall", "all", "n")[6..8], ["58", "count"]);
    assert_eq!(find("overall", "all", "correct")[6], "21");
    // Task flip: 5 of 10 right (the demo's snapshot).
    assert_eq!(find("task", "flip", "accuracy")[6], "0.5");
    assert_eq!(find("task", "flip", "n")[6], "10");
    assert!(rows.iter().any(|row| row[5] == "macro_accuracy"), "{text}");
}

#[test]
fn samples_csv_has_a_row_per_sample_and_neutralises_untrusted_text() {
    let rt = runtime();
    // The model answers item 0 with a spreadsheet formula and item 1 with a comma and quotes.
    let server = rt
        .block_on(
            MockServer::builder()
                .models(&["m"])
                .rule(|req| {
                    if req.prompt.contains("[q0]") {
                        Reply::text("=HYPERLINK(\"http://x\",\"B\")")
                    } else if req.prompt.contains("[q1]") {
                        Reply::text("Yes, \"clearly\"")
                    } else {
                        Reply::text("B")
                    }
                })
                .start(),
        )
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut items = String::new();
    for i in 0..3 {
        let line = if i == 1 {
            serde_json::json!({"id": format!("q{i}"), "question": format!("[q{i}] Fracture?"),
                "answer": "yes", "meta": {"site": "@SUM(A1)"}})
        } else {
            serde_json::json!({"id": format!("q{i}"), "question": format!("[q{i}] Modality?"),
                "options": {"A": "CT", "B": "MRI"}, "answer": "B", "meta": {"site": "b"}})
        };
        items.push_str(&format!("{line}\n"));
    }
    let items_path = dir.path().join("items.jsonl");
    std::fs::write(&items_path, items).unwrap();
    let store = dir.path().join("runs.db");
    let ran = medeval(&[
        "run",
        "--items",
        items_path.to_str().unwrap(),
        "--endpoint",
        &server.url(),
        "--model",
        "m",
        "--store",
        store.to_str().unwrap(),
        "--no-progress",
        "--json",
    ]);
    let run = json(&ran)["run"].as_str().unwrap().to_owned();
    let csv_path = dir.path().join("samples.csv");
    let shown = medeval(&[
        "show",
        &run,
        "--store",
        store.to_str().unwrap(),
        "--samples-csv",
        csv_path.to_str().unwrap(),
    ]);
    assert!(shown.status.code() == Some(0) || shown.status.code() == Some(3));
    let csv = std::fs::read_to_string(&csv_path).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 4, "a header and three samples:\n{csv}");
    assert!(
        lines[0].starts_with(
            "run,benchmark,variant,model,item_id,sample,answer_type,cluster,outcome,correct,\
             extracted,gold,rule,latency_ms,prompt_tokens,completion_tokens,cached,\
             finish_reason,error,response,meta.site"
        ),
        "{}",
        lines[0]
    );
    // The formula is quoted and starts with an apostrophe; nothing starts with a bare `=`/`@`.
    assert!(
        csv.contains(",\"'=HYPERLINK(\"\"http://x\"\",\"\"B\"\")\","),
        "{csv}"
    );
    assert!(csv.contains(",\"Yes, \"\"clearly\"\"\","), "{csv}");
    assert!(csv.contains(",'@SUM(A1)"), "{csv}");
    for line in &lines {
        for cell in cells(line) {
            assert!(!cell.starts_with(['=', '@']), "{cell} in {line}");
        }
    }
    let q2 = lines.iter().find(|line| line.contains(",q2,")).unwrap();
    let q2 = cells(q2);
    assert_eq!(q2[4..12], ["q2", "0", "mcq", "", "correct", "1", "B", "B"]);
}

#[test]
fn a_run_says_it_started_before_its_first_answer_and_finished_at_the_end() {
    let rt = runtime();
    let server = rt
        .block_on(
            MockServer::builder()
                .models(&["m"])
                .latency(Duration::from_millis(700))
                .rule(|_| Reply::text("B"))
                .start(),
        )
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut items = String::new();
    for i in 0..3 {
        items.push_str(&format!(
            "{{\"id\": \"q{i}\", \"question\": \"Modality?\", \"options\": {{\"A\": \"CT\", \"B\": \"MRI\"}}, \"answer\": \"B\"}}\n"
        ));
    }
    let items_path = dir.path().join("items.jsonl");
    std::fs::write(&items_path, items).unwrap();
    let store = dir.path().join("runs.db");
    let mut child = cli([
        "run",
        "--items",
        items_path.to_str().unwrap(),
        "--endpoint",
        &server.url(),
        "--model",
        "m",
        "--store",
        store.to_str().unwrap(),
        "--concurrency",
        "1",
        "--no-progress",
    ])
    .spawn(Stdio::null(), Stdio::piped());
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut first = String::new();
    let answered_when_started = loop {
        first.clear();
        assert!(stderr.read_line(&mut first).unwrap() > 0, "no start line");
        if first.contains(" started: ") {
            break server.chat_requests().len();
        }
    };
    // One request at a time, each answered after 0.7 s: the line came before the last request
    // was even sent (without the fix it came after all three answers).
    assert!(
        answered_when_started < 3,
        "{answered_when_started} requests"
    );
    assert!(
        first.ends_with("started: 3 sample(s) to request\n"),
        "{first}"
    );
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
    assert!(child.wait().unwrap().success());
    assert!(
        rest.contains("finished: 3 sample(s) requested, 3 answered, 0 failed"),
        "{rest}"
    );
}
