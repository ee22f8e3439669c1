//! Behaviour users rely on that no other test pins down: the exit status of `score` when
//! predictions are missing, the warning for a `--by` field no item has, the advice printed after
//! a `--fresh` run with failures, timeouts refused before anything is sent, and a run that
//! finishes on the endpoint still alive when another stops listening.

// In tests a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};

use common::{assert_success, cli, json, medeval, run_command, runtime, stderr, stdout};
use medeval_mockserver::{Fault, MockServer, Reply};

/// `n` multiple-choice items, gold `B`, each question carrying its id in brackets so a scripted
/// server can answer (or fail) per item; items alternate between modality CT and MR.
fn write_items(dir: &Path, n: usize) -> PathBuf {
    let mut text = String::new();
    for i in 0..n {
        let line = serde_json::json!({
            "id": format!("q{i}"),
            "question": format!("[q{i}] Which modality?"),
            "options": {"A": "CT", "B": "MRI", "C": "US"},
            "answer": "B",
            "meta": {"modality": if i % 2 == 0 { "CT" } else { "MR" }},
        });
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

/// Items whose id is not in `with` get no prediction; each prediction is the gold letter.
fn write_predictions(dir: &Path, with: &[&str]) -> PathBuf {
    let mut text = String::new();
    for id in with {
        text.push_str(&serde_json::json!({"id": id, "response": "The answer is B."}).to_string());
        text.push('\n');
    }
    let path = dir.join("preds.jsonl");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn score_exits_3_while_items_lack_a_prediction_and_0_once_all_have_one() {
    let dir = tempfile::tempdir().unwrap();
    let items = write_items(dir.path(), 3);

    // One prediction for three items: two are scored as errors, so the numbers are not final.
    let partial = write_predictions(dir.path(), &["q0"]);
    let output = medeval(&[
        "score",
        "--items",
        items.to_str().unwrap(),
        "--predictions",
        partial.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    let summary = json(&output);
    assert_eq!(summary["n"], 3);
    assert_eq!(summary["counts"]["correct"], 1);
    assert_eq!(summary["counts"]["error"], 2);
    let err = stderr(&output);
    assert!(
        err.contains("warning: 2 item(s) have no prediction"),
        "{err}"
    );

    // Every item predicted: complete, exit 0, no warning.
    let full = write_predictions(dir.path(), &["q0", "q1", "q2"]);
    let output = medeval(&[
        "score",
        "--items",
        items.to_str().unwrap(),
        "--predictions",
        full.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let summary = json(&output);
    assert_eq!(summary["counts"]["correct"], 3);
    assert_eq!(summary["counts"]["error"], 0);
    assert!(!stderr(&output).contains("warning"), "{}", stderr(&output));
}

#[test]
fn show_by_a_field_no_item_has_warns_naming_it_and_the_run_fields() {
    let dir = tempfile::tempdir().unwrap();
    let items = write_items(dir.path(), 4);
    let store = dir.path().join("runs.db");
    let store = store.to_str().unwrap();
    let run = medeval(&[
        "run",
        "--items",
        items.to_str().unwrap(),
        "--baseline",
        "majority",
        "--store",
        store,
        "--no-progress",
        "--json",
    ]);
    assert_success(&run);
    let run_id = json(&run)["run"].as_str().unwrap().to_owned();

    // No item has `site`: every item would fall in one `(missing)` group, which is warned about
    // with the fields the items do have. The run is complete, so `show` still exits 0.
    let output = medeval(&["show", &run_id, "--store", store, "--by", "site"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(!stdout(&output).is_empty());
    let err = stderr(&output);
    let expected = format!(
        "warning: --by site: no item of run {run_id} has this field, so every item is in group \
         (missing); its fields: answer_type, modality"
    );
    assert!(
        err.lines().any(|line| line == expected),
        "expected the line\n{expected}\nin\n{err}"
    );

    // `answer_type` is every item's (it is the kind of gold), and `modality` is in the meta.
    for field in ["answer_type", "modality"] {
        let output = medeval(&["show", &run_id, "--store", store, "--by", field]);
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        let err = stderr(&output);
        assert!(!err.contains("warning"), "--by {field}: {err}");
        assert!(!err.contains("no item of run"), "--by {field}: {err}");
    }
}

#[test]
fn failures_after_fresh_advise_the_same_command_without_fresh_which_continues_that_run() {
    let rt = runtime();
    let server = rt
        .block_on(
            MockServer::builder()
                .rule(|_| Reply::text("The answer is (B)."))
                .faults(|req| {
                    (item_of(&req.prompt) == "q1").then_some(Fault::Status {
                        code: 500,
                        retry_after: None,
                    })
                })
                .start(),
        )
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let items = write_items(dir.path(), 4);
    let store = dir.path().join("runs.db");
    let url = server.url();
    let base = run_command(
        &items,
        &[&url],
        "mock-model",
        &store,
        &["--max-attempts", "1", "--json"],
    );
    let with_fresh = |fresh: bool| {
        let mut args = base.clone();
        if fresh {
            args.push("--fresh".to_owned());
        }
        cli(&args).run()
    };

    // Without --fresh, the advice (if any) cannot tell the user to drop a flag they did not give.
    let first = with_fresh(false);
    assert_eq!(first.status.code(), Some(3), "{}", stderr(&first));
    let err = stderr(&first);
    assert!(err.contains("1 failed"), "{err}");
    assert!(!err.contains("--fresh"), "{err}");
    let first_run = json(&first)["run"].as_str().unwrap().to_owned();

    // With --fresh: a new run, and the way to retry its failure is the command without --fresh
    // (with it, yet another new run would start).
    let fresh = with_fresh(true);
    assert_eq!(fresh.status.code(), Some(3), "{}", stderr(&fresh));
    let err = stderr(&fresh);
    assert!(
        err.contains(
            "1 sample(s) failed; run the same command without --fresh to retry them in this run"
        ),
        "{err}"
    );
    let fresh_run = json(&fresh)["run"].as_str().unwrap().to_owned();
    assert_ne!(fresh_run, first_run, "--fresh starts a new run");

    // Following the advice continues the fresh run and requests only the failed item.
    let before = server.chat_requests().len();
    let again = with_fresh(false);
    assert_eq!(again.status.code(), Some(3), "{}", stderr(&again));
    assert_eq!(json(&again)["run"].as_str().unwrap(), fresh_run);
    let requested: Vec<String> = server.chat_requests()[before..]
        .iter()
        .map(|r| item_of(r.prompt.as_deref().unwrap_or_default()))
        .collect();
    assert_eq!(requested, ["q1"]);
    assert!(!stderr(&again).contains("--fresh"), "{}", stderr(&again));
}

#[test]
fn a_timeout_that_is_not_a_positive_duration_is_refused_before_any_request() {
    let rt = runtime();
    let server = rt
        .block_on(
            MockServer::builder()
                .rule(|_| Reply::text("The answer is (B)."))
                .start(),
        )
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let items = write_items(dir.path(), 2);
    let store = dir.path().join("runs.db");
    let url = server.url();
    // 1e20 s is more than a Duration holds (u64::MAX s is about 1.8e19); 0 would time out every
    // attempt at once; NaN is no length of time at all.
    for timeout in ["1e20", "0", "nan"] {
        let args = run_command(
            &items,
            &[&url],
            "mock-model",
            &store,
            &["--timeout", timeout],
        );
        let output = cli(&args).run();
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(1), "--timeout {timeout}: {err}");
        assert!(
            err.contains("--timeout must be a positive number of seconds"),
            "--timeout {timeout}: {err}"
        );
    }
    assert_eq!(server.chat_requests().len(), 0);
    assert!(
        server.requests().is_empty(),
        "not even the endpoint check is sent"
    );
    assert!(!store.exists(), "no store is created");
}

/// A port on loopback that nothing listens on any more.
fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// An endpoint that answers the endpoint check (`GET /v1/models`, listing `mock-model`) once,
/// then stops listening: the server that dies after a run started.
fn endpoint_that_dies_after_its_check() -> (String, std::thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/v1", listener.local_addr().unwrap());
    let handle = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut request = Vec::new();
        let mut buf = [0u8; 1024];
        while !request.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = stream.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            request.extend_from_slice(&buf[..n]);
        }
        assert!(
            request.starts_with(b"GET /v1/models"),
            "{}",
            String::from_utf8_lossy(&request)
        );
        let body = r#"{"object":"list","data":[{"id":"mock-model","object":"model"}]}"#;
        write!(
            stream,
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
             Connection: close\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        stream.flush().unwrap();
        // Dropping the stream and the listener closes the port.
    });
    (url, handle)
}

/// Six items over two endpoints, the first of which stops listening after its check. Every
/// attempt that reaches the live one is answered, and a retry goes to the other endpoint than
/// the one that failed it, so by hand: 6 answered, 0 `error`; the live endpoint exactly 6
/// attempts (one per item), 0 failed; the dead one only failed attempts, at least one (with two
/// requests in flight at the start, one goes to each endpoint).
#[test]
fn a_run_finishes_on_the_live_endpoint_when_another_stops_listening() {
    let rt = runtime();
    let live = rt
        .block_on(
            MockServer::builder()
                .rule(|_| Reply::text("The answer is (B)."))
                .start(),
        )
        .unwrap();
    let (dead, dead_thread) = endpoint_that_dies_after_its_check();
    let dir = tempfile::tempdir().unwrap();
    let items = write_items(dir.path(), 6);
    let store = dir.path().join("runs.db");
    let live_url = live.url();
    let args = run_command(
        &items,
        &[&dead, &live_url],
        "mock-model",
        &store,
        &["--concurrency", "2", "--retry-base-ms", "5", "--json"],
    );
    let output = cli(&args).run();
    dead_thread.join().unwrap();
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(0), "{err}");
    let summary = json(&output);
    assert_eq!(summary["n"], 6);
    assert_eq!(summary["counts"]["correct"], 6);
    assert_eq!(summary["counts"]["error"], 0);
    assert_eq!(live.chat_requests().len(), 6);

    let endpoint_lines: Vec<&str> = err.lines().filter(|l| l.starts_with("endpoint ")).collect();
    assert_eq!(endpoint_lines.len(), 2, "one line per endpoint:\n{err}");
    let live_addr = live.addr().to_string();
    let dead_addr = dead.trim_start_matches("http://").trim_end_matches("/v1");
    let live_line = endpoint_lines
        .iter()
        .find(|l| l.contains(&live_addr))
        .unwrap_or_else(|| panic!("no line for {live_addr}:\n{err}"));
    assert!(
        live_line.contains(": 6 attempt(s), 0 failed"),
        "{live_line}"
    );
    let dead_line = endpoint_lines
        .iter()
        .find(|l| l.contains(dead_addr))
        .unwrap_or_else(|| panic!("no line for {dead_addr}:\n{err}"));
    let counts: Vec<u64> = dead_line
        .split(": ")
        .nth(1)
        .unwrap()
        .split(", ")
        .take(2)
        .map(|part| part.split(' ').next().unwrap().parse().unwrap())
        .collect();
    let (attempts, failed) = (counts[0], counts[1]);
    assert!(failed > 0, "{dead_line}");
    assert_eq!(attempts, failed, "no attempt succeeds there: {dead_line}");
}

/// An endpoint that is already down when the run starts fails the endpoint check: nothing is
/// sent to the other endpoint and no store is created (exit 1, "unreachable endpoint").
#[test]
fn an_endpoint_down_at_the_start_stops_the_run_before_anything_is_sent_or_stored() {
    let rt = runtime();
    let live = rt
        .block_on(
            MockServer::builder()
                .rule(|_| Reply::text("The answer is (B)."))
                .start(),
        )
        .unwrap();
    let port = closed_port();
    let dead = format!("http://127.0.0.1:{port}/v1");
    let dir = tempfile::tempdir().unwrap();
    let items = write_items(dir.path(), 3);
    let store = dir.path().join("runs.db");
    let args = run_command(&items, &[&live.url(), &dead], "mock-model", &store, &[]);
    let output = cli(&args).run();
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{err}");
    assert!(err.contains("cannot reach"), "{err}");
    assert!(err.contains(&format!("127.0.0.1:{port}")), "{err}");
    assert_eq!(live.chat_requests().len(), 0);
    assert!(!store.exists(), "no store is created");
}

/// An `https://` URL for a plain-HTTP server (llama-server and vLLM serve plain HTTP by default)
/// is refused with what happened and the URL to use, not a bare handshake failure or timeout.
#[test]
fn an_https_url_for_a_plain_http_server_says_to_use_http() {
    let rt = runtime();
    let server = rt
        .block_on(MockServer::builder().rule(|_| Reply::text("B")).start())
        .unwrap();
    let plain = server.url();
    let tls = plain.replacen("http://", "https://", 1);
    let dir = tempfile::tempdir().unwrap();
    let items = write_items(dir.path(), 1);
    let store = dir.path().join("runs.db");
    let args = run_command(&items, &[&tls], "mock-model", &store, &[]);
    let output = cli(&args).run();
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{err}");
    assert!(err.contains("speaks plain HTTP"), "{err}");
    assert!(err.contains(&format!("use --endpoint {plain}")), "{err}");
    assert!(!store.exists(), "no store is created");
}

/// A model name the server does not list stops the run before anything is sent, and the error
/// says how to start anyway; with `--no-model-check` the run is made and the mismatch is a
/// warning.
#[test]
fn a_model_the_server_does_not_list_is_refused_unless_the_check_is_turned_off() {
    let rt = runtime();
    let server = rt
        .block_on(
            MockServer::builder()
                .models(&["/models/qwen.gguf"])
                .unlisted_models(&["qwen2.5-0.5b"])
                .rule(|_| Reply::text("The answer is B."))
                .start(),
        )
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let items = write_items(dir.path(), 2);
    let store = dir.path().join("runs.db");
    let url = server.url();
    let args = run_command(&items, &[&url], "qwen2.5-0.5b", &store, &["--json"]);
    let refused = cli(&args).run();
    assert_eq!(refused.status.code(), Some(1), "{}", stderr(&refused));
    assert!(
        stderr(&refused).contains("--no-model-check"),
        "{}",
        stderr(&refused)
    );
    assert!(server.chat_requests().is_empty());

    let mut unchecked = args.clone();
    unchecked.push("--no-model-check".to_owned());
    let made = cli(&unchecked).run();
    assert_success(&made);
    assert!(
        stderr(&made).contains("does not list the model \"qwen2.5-0.5b\""),
        "{}",
        stderr(&made)
    );
    assert_eq!(json(&made)["counts"]["correct"], 2);
    assert_eq!(server.chat_requests().len(), 2);
}

/// What a server says reaches the terminal inert: a model name holding an escape sequence (one
/// that would clear the screen) is printed escaped, in the refusal and in the warning.
#[test]
fn server_text_in_errors_and_warnings_cannot_drive_the_terminal() {
    let rt = runtime();
    let server = rt
        .block_on(
            MockServer::builder()
                .models(&["evil\u{1b}[2J\u{7}model"])
                .unlisted_models(&["mock-model"])
                .start(),
        )
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let items = write_items(dir.path(), 1);
    let store = dir.path().join("runs.db");
    let url = server.url();
    let args = run_command(&items, &[&url], "mock-model", &store, &["--json"]);
    let refused = cli(&args).run();
    assert_eq!(refused.status.code(), Some(1));
    let mut checked = args.clone();
    checked.push("--no-model-check".to_owned());
    let warned = cli(&checked).run();
    for output in [&refused, &warned] {
        let err = stderr(output);
        assert!(!err.contains('\u{1b}') && !err.contains('\u{7}'), "{err:?}");
        assert!(err.contains(r"evil\u{1b}[2J\u{7}model"), "{err}");
    }
}
