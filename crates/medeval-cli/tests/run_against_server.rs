//! `medeval run`, `show`, `runs` and `score` as a user runs them: the real binary against a real
//! HTTP server on loopback that answers by rule and fails on demand.

// In tests a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use common::{assert_success, cli, json, medeval, medeval_in, runtime, snapshot, stderr, stdout};
use medeval_mockserver::{Fault, MockServer, Reply};
use serde_json::Value;

/// A benchmark of `n` items: even ones mcq with gold `B`, odd ones closed with gold `yes`.
/// Each question carries its id in brackets so the server can answer per item.
fn write_items(dir: &Path, n: usize) -> PathBuf {
    let mut text = String::new();
    for i in 0..n {
        let line = if i % 2 == 0 {
            serde_json::json!({"id": format!("q{i}"), "question": format!("[q{i}] Which modality?"),
                "options": {"A": "CT", "B": "MRI", "C": "US"}, "answer": "B",
                "meta": {"modality": if i % 4 == 0 { "CT" } else { "MR" }}, "cluster": format!("img{}", i / 2)})
        } else {
            serde_json::json!({"id": format!("q{i}"), "question": format!("[q{i}] Is there a fracture?"),
                "answer": "yes", "meta": {"modality": "CT"}, "cluster": format!("img{}", i / 2)})
        };
        text.push_str(&line.to_string());
        text.push('\n');
    }
    let path = dir.join("bench.jsonl");
    std::fs::write(&path, text).unwrap();
    path
}

/// The item id a prompt is about.
fn item_of(prompt: &str) -> String {
    prompt
        .split_once('[')
        .and_then(|(_, rest)| rest.split_once(']'))
        .map(|(id, _)| id.to_owned())
        .unwrap_or_default()
}

/// Answers every item correctly except the ones in `wrong`.
fn answer_rule(prompt: &str) -> Reply {
    let id = item_of(prompt);
    let n: usize = id.trim_start_matches('q').parse().unwrap_or(0);
    Reply::text(if n % 2 == 0 {
        "The answer is (B)."
    } else {
        "Yes, there is."
    })
}

fn sample_rows(store: &Path) -> Vec<(String, String)> {
    let conn = rusqlite::Connection::open(store).unwrap();
    let mut select = conn
        .prepare("SELECT item_id, outcome FROM samples ORDER BY item_id")
        .unwrap();
    select
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// Samples committed so far; 0 while the store is still being created.
fn committed_samples(store: &Path) -> usize {
    if !store.exists() {
        return 0;
    }
    let Ok(conn) = rusqlite::Connection::open(store) else {
        return 0;
    };
    conn.query_row("SELECT COUNT(*) FROM samples", [], |row| {
        row.get::<_, i64>(0)
    })
    .map_or(0, |n| n as usize)
}

#[test]
fn a_run_scores_every_item_and_prints_the_summary_contract() {
    let rt = runtime();
    let server = rt
        .block_on(
            MockServer::builder()
                .models(&["qwen2.5-vl-7b"])
                .rule(|req| answer_rule(&req.prompt))
                .start(),
        )
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let items = write_items(dir.path(), 20);
    let store = dir.path().join("runs.db");
    let url = server.url();
    let output = medeval(&[
        "run",
        "--items",
        items.to_str().unwrap(),
        "--endpoint",
        &url,
        "--model",
        "qwen2.5-vl-7b",
        "--store",
        store.to_str().unwrap(),
        "--json",
        "--by",
        "modality",
        // The items share images; the Wilson figures below are asked for by name.
        "--ci",
        "wilson",
        "--no-progress",
    ]);
    assert_success(&output);
    let summary = json(&output);
    assert_eq!(summary["n"], 20);
    assert_eq!(summary["accuracy"], 1.0);
    assert_eq!(summary["counts"]["correct"], 20);
    assert_eq!(summary["counts"]["error"], 0);
    // Wilson 95% for 20/20: [0.8389, 1].
    let ci = summary["accuracy_ci"].as_array().unwrap();
    assert!((ci[0].as_f64().unwrap() - 0.838_87).abs() < 1e-4, "{ci:?}");
    assert_eq!(ci[1].as_f64().unwrap(), 1.0);
    assert_eq!(summary["complete"], true);
    let run = summary["run"].as_str().unwrap().to_owned();
    // Items 0, 4, 8, ... are CT mcq, the odd ones CT closed: 15 CT, 5 MR.
    assert_eq!(summary["groups"]["modality"]["CT"]["n"], 15);
    assert_eq!(summary["groups"]["modality"]["MR"]["n"], 5);
    assert_eq!(server.chat_requests().len(), 20);

    // The request the server received: the model, greedy decoding, the rendered prompt.
    let body: Value = serde_json::from_slice(&server.chat_requests()[0].body).unwrap();
    assert_eq!(body["model"], "qwen2.5-vl-7b");
    assert_eq!(body["temperature"], 0.0);

    // `show` with no run prints the latest; `runs` lists it.
    let shown = json(&medeval(&[
        "show",
        "--store",
        store.to_str().unwrap(),
        "--json",
    ]));
    assert_eq!(shown["run"], run.as_str());
    assert_eq!(shown["accuracy"], 1.0);
    let listed = json(&medeval(&[
        "runs",
        "--store",
        store.to_str().unwrap(),
        "--json",
    ]));
    assert_eq!(listed[0]["run"], run.as_str());
    assert_eq!(listed[0]["status"], "complete");

    // The same command again requests nothing: everything is answered.
    let again = medeval(&[
        "run",
        "--items",
        items.to_str().unwrap(),
        "--endpoint",
        &url,
        "--model",
        "qwen2.5-vl-7b",
        "--store",
        store.to_str().unwrap(),
        "--json",
        "--no-progress",
    ]);
    assert_success(&again);
    assert_eq!(json(&again)["run"], run.as_str());
    assert_eq!(
        server.chat_requests().len(),
        20,
        "a finished run is not requested again"
    );
}

#[test]
fn failures_end_as_errors_never_as_wrong_answers_and_a_rerun_retries_only_them() {
    let rt = runtime();
    let broken = Arc::new(AtomicBool::new(true));
    let switch = Arc::clone(&broken);
    let server = rt
        .block_on(
            MockServer::builder()
                .rule(|req| answer_rule(&req.prompt))
                .faults(move |req| {
                    let id = item_of(&req.prompt);
                    (switch.load(Ordering::SeqCst) && (id == "q3" || id == "q4")).then_some(
                        Fault::Status {
                            code: 503,
                            retry_after: None,
                        },
                    )
                })
                .start(),
        )
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let items = write_items(dir.path(), 10);
    let store = dir.path().join("runs.db");
    let url = server.url();
    let args = [
        "run",
        "--items",
        items.to_str().unwrap(),
        "--endpoint",
        &url,
        "--model",
        "mock-model",
        "--store",
        store.to_str().unwrap(),
        "--json",
        "--no-progress",
        "--max-attempts",
        "3",
        "--retry-base-ms",
        "5",
    ];
    let first = medeval(&args);
    assert_eq!(first.status.code(), Some(3), "incomplete runs exit with 3");
    let summary = json(&first);
    assert_eq!(summary["counts"]["error"], 2);
    assert_eq!(
        summary["counts"]["wrong"], 0,
        "failures must not be scored as wrong answers"
    );
    assert_eq!(summary["counts"]["correct"], 8);
    assert_eq!(summary["complete"], false);
    let attempts_q3 = server
        .chat_requests()
        .iter()
        .filter(|r| item_of(r.prompt.as_deref().unwrap_or_default()) == "q3")
        .count();
    assert_eq!(attempts_q3, 3, "bounded retries");

    broken.store(false, Ordering::SeqCst);
    let before = server.chat_requests().len();
    let second = medeval(&args);
    assert_success(&second);
    let retried: HashSet<String> = server.chat_requests()[before..]
        .iter()
        .map(|r| item_of(r.prompt.as_deref().unwrap_or_default()))
        .collect();
    assert_eq!(retried, HashSet::from(["q3".to_owned(), "q4".to_owned()]));
    let summary = json(&second);
    assert_eq!(summary["counts"]["correct"], 10);
    assert_eq!(summary["counts"]["error"], 0);
    assert_eq!(
        sample_rows(&store).len(),
        10,
        "one sample per item, no duplicates"
    );
}

#[test]
fn a_killed_run_resumes_with_each_item_answered_exactly_once() {
    let rt = runtime();
    let server = rt
        .block_on(
            MockServer::builder()
                .latency(Duration::from_millis(40))
                .rule(|req| answer_rule(&req.prompt))
                .start(),
        )
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let items = write_items(dir.path(), 60);
    let store = dir.path().join("runs.db");
    let url = server.url();
    let args = [
        "run",
        "--items",
        items.to_str().unwrap(),
        "--endpoint",
        &url,
        "--model",
        "mock-model",
        "--store",
        store.to_str().unwrap(),
        "--concurrency",
        "2",
        "--no-progress",
        "--json",
    ];
    let mut child = cli(args).spawn(Stdio::null(), Stdio::null());
    // Wait until some samples are committed, then kill -9 in the middle of the run.
    let deadline = Instant::now() + Duration::from_secs(30);
    while committed_samples(&store) < 10 {
        assert!(Instant::now() < deadline, "the run never stored 10 samples");
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL on Unix
    child.wait().unwrap();
    let stored_before: HashSet<String> =
        sample_rows(&store).into_iter().map(|(id, _)| id).collect();
    assert!(
        stored_before.len() < 60,
        "the kill came too late to test anything"
    );
    let requests_before = server.chat_requests().len();

    let resumed = medeval(&args);
    assert_success(&resumed);
    let requested_after: Vec<String> = server.chat_requests()[requests_before..]
        .iter()
        .map(|r| item_of(r.prompt.as_deref().unwrap_or_default()))
        .collect();
    for id in &requested_after {
        assert!(
            !stored_before.contains(id),
            "{id} was stored before the kill and requested again"
        );
    }
    let rows = sample_rows(&store);
    assert_eq!(rows.len(), 60);
    let distinct: HashSet<&String> = rows.iter().map(|(id, _)| id).collect();
    assert_eq!(distinct.len(), 60, "every item exactly once");
    assert!(rows.iter().all(|(_, outcome)| outcome == "correct"));
    assert_eq!(json(&resumed)["n"], 60);
}

#[test]
fn the_api_key_is_sent_but_never_stored_or_printed() {
    const KEY: &str = "sk-medeval-test-4f9a2c71e0";
    let rt = runtime();
    let server = rt
        .block_on(
            MockServer::builder()
                .api_key(KEY)
                .rule(|req| answer_rule(&req.prompt))
                .start(),
        )
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let items = write_items(dir.path(), 6);
    let store = dir.path().join("runs.db");
    let output = cli([
        "run",
        "--items",
        items.to_str().unwrap(),
        "--endpoint",
        &server.url(),
        "--model",
        "mock-model",
        "--store",
        store.to_str().unwrap(),
        "--api-key-env",
        "MEDEVAL_TEST_KEY",
        "--no-progress",
    ])
    .env("MEDEVAL_TEST_KEY", KEY)
    .run();
    assert_success(&output);
    assert_eq!(
        server.chat_requests()[0].headers["authorization"],
        format!("Bearer {KEY}")
    );
    for stream in [stdout(&output), stderr(&output)] {
        assert!(!stream.contains(KEY));
    }
    let mut files = 0;
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        assert!(
            !bytes.windows(KEY.len()).any(|w| w == KEY.as_bytes()),
            "the key is in {}",
            path.display()
        );
        files += 1;
    }
    assert!(files >= 2, "the store (and its WAL) were checked");
    // The manifest records where the key came from, not the key.
    let shown = medeval(&["runs", "--store", store.to_str().unwrap(), "--json"]);
    assert_success(&shown);
    let conn = rusqlite::Connection::open(&store).unwrap();
    let manifest: String = conn
        .query_row("SELECT manifest FROM runs", [], |r| r.get(0))
        .unwrap();
    assert!(
        manifest.contains("\"api_key_env\":\"MEDEVAL_TEST_KEY\""),
        "{manifest}"
    );
}

/// Every file under `dir` whose bytes contain `needle`.
fn files_containing(dir: &Path, needle: &str) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| {
            let bytes = std::fs::read(path).unwrap();
            bytes.windows(needle.len()).any(|w| w == needle.as_bytes())
        })
        .collect()
}

#[test]
fn a_key_echoed_by_the_server_is_removed_before_it_is_stored_or_printed() {
    const KEY: &str = "sk-medeval-echo-93d1b7c2aa";
    let rt = runtime();
    // Refuses q0 and q1 with 401 and fails q2 with 500, echoing the Authorization header in
    // each error body, as OpenAI's "Incorrect API key provided" and many proxies do.
    let server = rt
        .block_on(
            MockServer::builder()
                .api_key(KEY)
                .echo_credentials()
                .rule(|req| answer_rule(&req.prompt))
                .faults(|req| match item_of(&req.prompt).as_str() {
                    "q0" | "q1" => Some(Fault::Status {
                        code: 401,
                        retry_after: None,
                    }),
                    "q2" => Some(Fault::Status {
                        code: 500,
                        retry_after: None,
                    }),
                    _ => None,
                })
                .start(),
        )
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let items = write_items(dir.path(), 6);
    let store = dir.path().join("runs.db");
    let output = cli([
        "run",
        "--items",
        items.to_str().unwrap(),
        "--endpoint",
        &server.url(),
        "--model",
        "mock-model",
        "--store",
        store.to_str().unwrap(),
        "--api-key-env",
        "MEDEVAL_TEST_KEY",
        "--max-attempts",
        "2",
        "--retry-base-ms",
        "1",
        "--no-progress",
    ])
    .env("MEDEVAL_TEST_KEY", KEY)
    .run();
    assert_eq!(output.status.code(), Some(3), "three items ended in error");
    let echoed = server
        .chat_requests()
        .iter()
        .filter(|r| {
            matches!(
                item_of(r.prompt.as_deref().unwrap_or_default()).as_str(),
                "q0" | "q1" | "q2"
            )
        })
        .count();
    assert_eq!(echoed, 4, "401s are not retried, the 500 is retried once");
    for stream in [stdout(&output), stderr(&output)] {
        assert!(!stream.contains(KEY));
    }
    let shown = medeval(&["show", "--store", store.to_str().unwrap(), "--json"]);
    assert!(!stdout(&shown).contains(KEY));
    assert_eq!(files_containing(dir.path(), KEY), Vec::<PathBuf>::new());
    // What the server said is kept, with the credential replaced.
    let conn = rusqlite::Connection::open(&store).unwrap();
    let errors: Vec<String> = conn
        .prepare("SELECT error FROM samples WHERE error IS NOT NULL ORDER BY item_id")
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(errors.len(), 3, "{errors:?}");
    for error in &errors {
        assert!(
            error.contains("Incorrect API key provided: Bearer <redacted>"),
            "{error}"
        );
    }
}

#[test]
fn an_endpoint_with_credentials_in_its_url_is_refused_before_anything_is_stored() {
    let dir = tempfile::tempdir().unwrap();
    let items = write_items(dir.path(), 2);
    let store = dir.path().join("runs.db");
    for endpoint in [
        "http://user:hunter2secret@127.0.0.1:9/v1",
        "http://127.0.0.1:9/v1?api-key=hunter2secret",
    ] {
        let output = medeval(&[
            "run",
            "--items",
            items.to_str().unwrap(),
            "--endpoint",
            endpoint,
            "--model",
            "m",
            "--store",
            store.to_str().unwrap(),
            "--no-progress",
        ]);
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(1), "{err}");
        assert!(err.contains("--api-key-env"), "{err}");
        assert!(!err.contains("hunter2secret"), "{err}");
        assert!(!store.exists() || files_containing(dir.path(), "hunter2secret").is_empty());
    }
}

#[test]
fn dry_runs_and_bad_endpoints_call_nothing_and_say_why() {
    let rt = runtime();
    let server = rt.block_on(MockServer::builder().start()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let items = write_items(dir.path(), 4);
    let store = dir.path().join("runs.db");
    let dry = medeval(&[
        "run",
        "--items",
        items.to_str().unwrap(),
        "--endpoint",
        &server.url(),
        "--model",
        "mock-model",
        "--store",
        store.to_str().unwrap(),
        "--dry-run",
    ]);
    assert_success(&dry);
    let text = stdout(&dry);
    assert!(text.contains("dry run: 4 of 4 items"), "{text}");
    assert!(
        text.contains(
            "[q0] Which modality?\nA. CT\nB. MRI\nC. US\nAnswer with the option's letter"
        ),
        "{text}"
    );
    assert!(server.requests().is_empty(), "a dry run contacts nothing");
    assert!(!store.exists(), "a dry run stores nothing");

    let addr = server.addr();
    drop(server);
    drop(rt);
    let refused = medeval(&[
        "run",
        "--items",
        items.to_str().unwrap(),
        "--endpoint",
        &format!("http://{addr}/v1"),
        "--model",
        "mock-model",
        "--store",
        store.to_str().unwrap(),
    ]);
    assert_eq!(refused.status.code(), Some(1));
    let err = stderr(&refused);
    assert!(
        err.starts_with(&format!("error: cannot reach http://{addr}/v1:")),
        "{err}"
    );
    assert!(
        !store.exists(),
        "nothing is created before the endpoint answers"
    );
}

#[test]
fn offline_scoring_follows_the_contract() {
    let dir = tempfile::tempdir().unwrap();
    let items = dir.path().join("items.jsonl");
    std::fs::write(
        &items,
        concat!(
            r#"{"id": "m1", "question": "Modality?", "options": {"A": "CT", "B": "MRI"}, "answer": "B"}"#, "\n",
            r#"{"id": "m2", "question": "Modality?", "options": {"A": "CT", "B": "MRI"}, "answer": "A"}"#, "\n",
            r#"{"id": "c1", "question": "Nodule?", "answer": "no"}"#, "\n",
            r#"{"id": "c2", "question": "Effusion?", "answer": "yes"}"#, "\n",
            r#"{"id": "o1", "question": "Organ?", "answer": "liver", "answer_type": "open"}"#, "\n",
        ),
    )
    .unwrap();
    let predictions = dir.path().join("preds.jsonl");
    std::fs::write(
        &predictions,
        concat!(
            r#"{"id": "m1", "response": "<think>A looks right</think>The answer is B."}"#,
            "\n",
            r#"{"id": "m2", "response": "I am not sure."}"#,
            "\n",
            r#"{"id": "c1", "response": "There is a nodule in the left lung."}"#,
            "\n",
            r#"{"id": "c2", "response": "Yes."}"#,
            "\n",
            r#"{"id": "o1", "response": "The liver"}"#,
            "\n",
        ),
    )
    .unwrap();
    let samples = dir.path().join("scored.jsonl");
    let output = medeval(&[
        "score",
        "--items",
        items.to_str().unwrap(),
        "--predictions",
        predictions.to_str().unwrap(),
        "--samples",
        samples.to_str().unwrap(),
        "--json",
    ]);
    assert_success(&output);
    let summary = json(&output);
    // Read by hand: m1 B (correct), m2 nothing committed (unparsed), c1 "nodule" is not "no"
    // (unparsed), c2 yes (correct), o1 "the liver" normalises to "liver" (correct).
    assert_eq!(summary["n"], 5);
    assert_eq!(summary["accuracy"], 0.6);
    assert_eq!(summary["counts"]["correct"], 3);
    assert_eq!(summary["counts"]["unparsed"], 2);
    assert_eq!(summary["accuracy_ci"].as_array().unwrap().len(), 2);
    let lines: HashMap<String, Value> = std::fs::read_to_string(&samples)
        .unwrap()
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            (v["id"].as_str().unwrap().to_owned(), v)
        })
        .collect();
    assert_eq!(lines.len(), 5);
    assert_eq!(lines["m1"]["extracted"], "B");
    assert_eq!(lines["m1"]["outcome"], "correct");
    assert_eq!(lines["m2"]["extracted"], Value::Null);
    assert_eq!(lines["c1"]["outcome"], "unparsed");
    assert_eq!(lines["c2"]["extracted"], "yes");

    // A prediction for an id that is not an item is refused with its line.
    std::fs::write(
        &predictions,
        "{\"id\": \"m1\", \"response\": \"B\"}\n{\"id\": \"zz\", \"response\": \"B\"}\n",
    )
    .unwrap();
    let output = medeval(&[
        "score",
        "--items",
        items.to_str().unwrap(),
        "--predictions",
        predictions.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(
        err.contains("preds.jsonl:2: prediction for id \"zz\", which is not an item of"),
        "{err}"
    );
}

#[test]
fn a_bare_items_file_name_resolves_its_images_from_the_current_directory() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("images")).unwrap();
    image::GrayImage::from_pixel(8, 8, image::Luma([90u8]))
        .save(dir.path().join("images/ct.png"))
        .unwrap();
    std::fs::write(
        dir.path().join("items.jsonl"),
        concat!(
            r#"{"id": "m1", "question": "Modality?", "images": ["images/ct.png"], "options": {"A": "CT", "B": "MRI"}, "answer": "A"}"#,
            "\n"
        ),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("preds.jsonl"),
        concat!(r#"{"id": "m1", "response": "A"}"#, "\n"),
    )
    .unwrap();
    // Exactly the form `sanity build` prints as the next step: a bare file name.
    let in_dir = |args: &[&str]| medeval_in(dir.path(), args);
    let run = in_dir(&[
        "run",
        "--items",
        "items.jsonl",
        "--baseline",
        "majority",
        "--store",
        "runs.db",
        "--no-progress",
        "--json",
    ]);
    assert_success(&run);
    assert_eq!(json(&run)["n"], 1);
    let scored = in_dir(&[
        "score",
        "--items",
        "items.jsonl",
        "--predictions",
        "preds.jsonl",
        "--json",
    ]);
    assert_success(&scored);
    assert_eq!(json(&scored)["counts"]["correct"], 1);
}

/// One reply per item of `write_items(dir, 8)`, covering every outcome; q5 gets HTTP 503.
fn mixed_reply(prompt: &str) -> Reply {
    Reply::text(match item_of(prompt).as_str() {
        "q0" | "q6" => "The answer is (B).",
        "q1" => "Yes, there is.",
        "q2" => "The answer is (A).",
        "q3" => "I'm sorry, but I cannot answer that.",
        "q4" => "Perhaps.",
        _ => "No.",
    })
}

/// What a user reads after `medeval run` in a terminal: the summary tables on stdout, one line
/// per run on stderr.
///
/// Eight items (`write_items`): q0, q2, q4, q6 multiple choice with gold B, q0 and q4 CT, q2 and
/// q6 MR; the odd ones closed CT with gold yes. The server answers
/// q0 B and q6 B (correct), q1 yes (correct), q2 A (wrong), q3 a refusal (refused), q4
/// "Perhaps." (unparsed), q5 HTTP 503 (error, with one attempt allowed), q7 no (wrong).
/// So, by hand:
/// * overall 3 correct of 8: 37.5%, Wilson 95% [13.7, 69.4]; 2 wrong, 1 unparsed, 1 refused,
///   1 error;
/// * CT (q0, q1, q3, q4, q5, q7): 2 of 6 = 33.3%, Wilson [9.7, 70.0]; MR (q2, q6): 1 of 2 =
///   50.0%, Wilson [9.5, 90.5]; macro average (33.3 + 50.0) / 2 = 41.7%;
/// * 8 requests, 7 answered, 1 failed; the run is incomplete (exit 3). The same command again
///   requests q5 alone (7 already stored), which fails again.
///
/// Wilson 95% for k of n, z = 1.96: (k/n + z²/2n ± z·√(k/n·(1 - k/n)/n + z²/4n²)) / (1 + z²/n).
#[test]
fn a_run_in_a_terminal_prints_its_summary_and_one_line_per_run() {
    let rt = runtime();
    let server = rt
        .block_on(
            MockServer::builder()
                .models(&["qwen2.5-vl-7b"])
                .rule(|req| mixed_reply(&req.prompt))
                .faults(|req| {
                    (item_of(&req.prompt) == "q5").then_some(Fault::Status {
                        code: 503,
                        retry_after: None,
                    })
                })
                .start(),
        )
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let items = write_items(dir.path(), 8);
    let store = dir.path().join("runs.db");
    let url = server.url();
    let args = [
        "run",
        "--items",
        items.to_str().unwrap(),
        "--endpoint",
        &url,
        "--model",
        "qwen2.5-vl-7b",
        "--store",
        store.to_str().unwrap(),
        "--by",
        "modality",
        // The items share images; the Wilson figures below are asked for by name.
        "--ci",
        "wilson",
        "--max-attempts",
        "1",
        "--no-progress",
    ];
    let output = medeval(&args);
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    assert_eq!(server.chat_requests().len(), 8);
    let outcomes: HashMap<String, String> = sample_rows(&store).into_iter().collect();
    let expected = [
        ("q0", "correct"),
        ("q1", "correct"),
        ("q2", "wrong"),
        ("q3", "refused"),
        ("q4", "unparsed"),
        ("q6", "correct"),
        ("q7", "wrong"),
    ];
    for (id, outcome) in expected {
        assert_eq!(outcomes[id], outcome, "{id}");
    }
    let summary = stdout(&output);
    for figure in [
        "37.5%",
        "[13.7, 69.4]",
        "33.3%",
        "[9.7, 70.0]",
        "[9.5, 90.5]",
        "41.7%",
    ] {
        assert!(summary.contains(figure), "{figure} not in\n{summary}");
    }
    snapshot!("run_terminal_summary", summary);

    // The same command again requests only q5, which fails again.
    let again = medeval(&args);
    assert_eq!(again.status.code(), Some(3), "{}", stderr(&again));
    assert_eq!(server.chat_requests().len(), 9);
    assert_eq!(stdout(&again), stdout(&output));
    let run_of = |err: String| err.split_whitespace().nth(1).unwrap().to_owned();
    assert_eq!(run_of(stderr(&again)), run_of(stderr(&output)), "one run");
    snapshot!(
        "run_terminal_stderr",
        format!("{}{}", stderr(&output), stderr(&again))
    );
}
