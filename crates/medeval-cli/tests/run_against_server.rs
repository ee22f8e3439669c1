//! `medeval run`, `show`, `runs` and `score` as a user runs them: the real binary against a real
//! HTTP server on loopback that answers by rule and fails on demand.

// In tests a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used)]

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use medeval_mockserver::{Fault, MockServer, Reply};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_medeval");

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

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn medeval(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().unwrap()
}

fn stdout_json(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
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
        "--no-progress",
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let summary = stdout_json(&output);
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
    let shown = stdout_json(&medeval(&[
        "show",
        "--store",
        store.to_str().unwrap(),
        "--json",
    ]));
    assert_eq!(shown["run"], run.as_str());
    assert_eq!(shown["accuracy"], 1.0);
    let listed = stdout_json(&medeval(&[
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
    assert!(again.status.success());
    assert_eq!(stdout_json(&again)["run"], run.as_str());
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
    let summary = stdout_json(&first);
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
    assert!(
        second.status.success(),
        "{}",
        String::from_utf8_lossy(&second.stderr)
    );
    let retried: HashSet<String> = server.chat_requests()[before..]
        .iter()
        .map(|r| item_of(r.prompt.as_deref().unwrap_or_default()))
        .collect();
    assert_eq!(retried, HashSet::from(["q3".to_owned(), "q4".to_owned()]));
    let summary = stdout_json(&second);
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
    let mut child = Command::new(BIN)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
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
    assert!(
        resumed.status.success(),
        "{}",
        String::from_utf8_lossy(&resumed.stderr)
    );
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
    assert_eq!(stdout_json(&resumed)["n"], 60);
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
    let output = Command::new(BIN)
        .args([
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
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        server.chat_requests()[0].headers["authorization"],
        format!("Bearer {KEY}")
    );
    for stream in [&output.stdout, &output.stderr] {
        assert!(!String::from_utf8_lossy(stream).contains(KEY));
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
    assert!(shown.status.success());
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
    let output = Command::new(BIN)
        .args([
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
        .output()
        .unwrap();
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
    for stream in [&output.stdout, &output.stderr] {
        assert!(!String::from_utf8_lossy(stream).contains(KEY));
    }
    let shown = medeval(&["show", "--store", store.to_str().unwrap(), "--json"]);
    assert!(!String::from_utf8_lossy(&shown.stdout).contains(KEY));
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
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{stderr}");
        assert!(stderr.contains("--api-key-env"), "{stderr}");
        assert!(!stderr.contains("hunter2secret"), "{stderr}");
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
    assert!(dry.status.success());
    let text = String::from_utf8_lossy(&dry.stdout);
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
    let err = String::from_utf8_lossy(&refused.stderr);
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
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let summary = stdout_json(&output);
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
    let err = String::from_utf8_lossy(&output.stderr);
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
    let in_dir = |args: &[&str]| {
        Command::new(BIN)
            .args(args)
            .current_dir(dir.path())
            .output()
            .unwrap()
    };
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
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert_eq!(stdout_json(&run)["n"], 1);
    let scored = in_dir(&[
        "score",
        "--items",
        "items.jsonl",
        "--predictions",
        "preds.jsonl",
        "--json",
    ]);
    assert!(
        scored.status.success(),
        "{}",
        String::from_utf8_lossy(&scored.stderr)
    );
    assert_eq!(stdout_json(&scored)["counts"]["correct"], 1);
}
