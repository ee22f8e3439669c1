//! `medeval run` at its input boundaries, as a user meets them: a server answering with an
//! oversized body, an answer stored once, images outside the items file's folder, and PNG
//! metadata that must not reach the model.

// In tests a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;

use base64::Engine as _;
use common::{assert_success, json, medeval, runtime, stderr};
use medeval_mockserver::{Fault, MockServer, Reply};
use serde_json::Value;

/// Two closed items, without images.
fn write_items(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("bench.jsonl");
    std::fs::write(
        &path,
        concat!(
            r#"{"id": "q1", "question": "[q1] Fracture?", "answer": "yes"}"#,
            "\n",
            r#"{"id": "q2", "question": "[q2] Effusion?", "answer": "no"}"#,
            "\n"
        ),
    )
    .unwrap();
    path
}

fn run_args<'a>(items: &'a str, url: &'a str, store: &'a str) -> Vec<&'a str> {
    vec![
        "run",
        "--items",
        items,
        "--endpoint",
        url,
        "--model",
        "mock-model",
        "--store",
        store,
        "--no-progress",
        "--retry-base-ms",
        "1",
        "--json",
    ]
}

#[test]
fn an_answer_over_the_response_limit_is_an_error_naming_the_limit_and_the_flag() {
    let rt = runtime();
    // q1's answer is 3 MiB streamed without a length, q2's 20 MiB with one; both over.
    let server = rt
        .block_on(
            MockServer::builder()
                .faults(|req| {
                    Some(if req.prompt.contains("[q1]") {
                        Fault::Oversized {
                            bytes: 3 << 20,
                            declare_length: false,
                        }
                    } else {
                        Fault::Oversized {
                            bytes: 20 << 20,
                            declare_length: true,
                        }
                    })
                })
                .start(),
        )
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let items = write_items(dir.path());
    let store = dir.path().join("runs.db");
    let (items, store_arg, url) = (
        items.to_str().unwrap().to_owned(),
        store.to_str().unwrap().to_owned(),
        server.url(),
    );

    let mut args = run_args(&items, &url, &store_arg);
    args.extend(["--max-response-bytes", "1MiB"]);
    let out = medeval(&args);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let summary = json(&out);
    assert_eq!(summary["counts"]["error"], 2);
    let mut reasons: Vec<String> = summary["error_reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["reason"].as_str().unwrap().to_owned())
        .collect();
    reasons.sort();
    assert_eq!(
        reasons,
        [
            "response body is 20971758 bytes, more than the 1 MiB limit (--max-response-bytes); \
             a chat answer is far smaller, so check the server (or raise the limit)",
            "response body is larger than the 1 MiB limit (--max-response-bytes); a chat answer \
             is far smaller, so check the server (or raise the limit)",
        ]
        .map(|reason| reason.replace("20971758", &declared_length(&server))),
        "{summary}"
    );
    // Not retried: one request per item.
    assert_eq!(server.chat_requests().len(), 2);

    // The default limit, 16 MiB, stops the 20 MiB answer too; the 3 MiB one is stored.
    let out = medeval(&run_args(&items, &url, &store_arg));
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let summary = json(&out);
    assert_eq!(summary["counts"]["error"], 1, "{summary}");
    assert!(
        summary["error_reasons"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("more than the 16 MiB limit (--max-response-bytes)"),
        "{summary}"
    );
}

/// The `Content-Length` the server announces for q2's 20 MiB answer (the answer and the JSON
/// around it), as the client reports it.
fn declared_length(server: &MockServer) -> String {
    let request = server
        .chat_requests()
        .into_iter()
        .find(|r| r.prompt.as_deref().is_some_and(|p| p.contains("[q2]")))
        .unwrap();
    let body: Value = serde_json::from_slice(&request.body).unwrap();
    // The reply's JSON without the answer, measured on a reply with an empty answer.
    let empty = serde_json::json!({
        "id": format!("chatcmpl-mock-{}", request.seq),
        "object": "chat.completion",
        "created": 0,
        "model": body["model"],
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "\u{1}answer\u{1}"}, "finish_reason": "stop"}],
        "usage": {
            "prompt_tokens": body.to_string().len() / 4,
            "completion_tokens": 1,
            "total_tokens": body.to_string().len() / 4 + 1,
        }
    });
    let around = empty.to_string().len() - r#"\u0001answer\u0001"#.len();
    (around + (20 << 20)).to_string()
}

#[test]
fn an_answer_is_stored_once_beside_the_raw_response() {
    let rt = runtime();
    let answer = format!(
        "Yes. {}",
        "consolidation in the left lower lobe; ".repeat(50_000)
    );
    let reply = answer.clone();
    let server = rt
        .block_on(
            MockServer::builder()
                .rule(move |_| Reply::text(reply.clone()))
                .start(),
        )
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let items = write_items(dir.path());
    let store = dir.path().join("runs.db");
    let (items, store_arg, url) = (
        items.to_str().unwrap().to_owned(),
        store.to_str().unwrap().to_owned(),
        server.url(),
    );
    let out = medeval(&run_args(&items, &url, &store_arg));
    assert_success(&out);

    let conn = rusqlite::Connection::open(&store).unwrap();
    let lengths: Vec<i64> = conn
        .prepare("SELECT length(completion) FROM samples ORDER BY item_id")
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(lengths.len(), 2);
    for length in lengths {
        // The raw body (escaped once more as a JSON string) and nothing else of that size.
        let length = usize::try_from(length).unwrap();
        assert!(
            length > answer.len() && length < answer.len() + answer.len() / 10,
            "{length} bytes stored for a {} byte answer",
            answer.len()
        );
    }
    // And it reads back: `show` counts the stored answers (yes: right for q1, wrong for q2).
    let show = medeval(&["show", "--store", &store_arg, "--json"]);
    assert_success(&show);
    let counts = &json(&show)["counts"];
    assert_eq!(
        (&counts["correct"], &counts["wrong"]),
        (&1.into(), &1.into())
    );
}

/// One closed item showing `image`, as a JSON line.
fn image_item(image: &str) -> String {
    format!(
        "{}\n",
        serde_json::json!({"id": "m1", "question": "Fracture?", "images": [image], "answer": "no"})
    )
}

fn png(dir: &Path, name: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    image::GrayImage::from_pixel(8, 8, image::Luma([90u8]))
        .save(&path)
        .unwrap();
    path
}

#[test]
fn images_outside_the_items_folder_are_read_only_under_an_image_root() {
    let root = tempfile::tempdir().unwrap();
    let home = root.path().join("bench");
    png(root.path(), "shared/ct.png");
    std::fs::create_dir_all(&home).unwrap();
    let items = home.join("items.jsonl");
    std::fs::write(&items, image_item("../shared/ct.png")).unwrap();
    let store = root.path().join("runs.db");
    let base = [
        "run",
        "--items",
        items.to_str().unwrap(),
        "--baseline",
        "majority",
        "--store",
        store.to_str().unwrap(),
        "--no-progress",
        "--json",
    ];
    let refused = medeval(&base);
    assert_eq!(refused.status.code(), Some(1));
    let message = stderr(&refused).replace(&root.path().display().to_string(), "DIR");
    assert!(
        message.contains("DIR/bench/items.jsonl:1: field `images[0]`: image file")
            && message.contains("outside the items file's folder DIR/bench")
            && message.contains("--image-root"),
        "{message}"
    );
    assert!(
        !store.exists(),
        "nothing is stored for a refused items file"
    );

    let shared = root.path().join("shared");
    let mut allowed = base.to_vec();
    allowed.extend(["--image-root", shared.to_str().unwrap()]);
    let out = medeval(&allowed);
    assert_success(&out);
    assert_eq!(json(&out)["n"], 1);

    // `score` reads the same items under the same rule.
    let predictions = root.path().join("preds.jsonl");
    std::fs::write(&predictions, "{\"id\": \"m1\", \"response\": \"no\"}\n").unwrap();
    let score = [
        "score",
        "--items",
        items.to_str().unwrap(),
        "--predictions",
        predictions.to_str().unwrap(),
        "--json",
    ];
    let refused = medeval(&score);
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        stderr(&refused).contains("--image-root"),
        "{}",
        stderr(&refused)
    );
    let mut allowed = score.to_vec();
    allowed.extend(["--image-root", shared.to_str().unwrap()]);
    let out = medeval(&allowed);
    assert_success(&out);
    assert_eq!(json(&out)["counts"]["correct"], 1);
}

/// One chunk of a PNG with its CRC-32 (the ISO 3309 polynomial the PNG specification names).
fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut crc = 0xffff_ffffu32;
    for &byte in kind.iter().chain(data) {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    let mut out = u32::try_from(data.len()).unwrap().to_be_bytes().to_vec();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    out.extend_from_slice(&(!crc).to_be_bytes());
    out
}

#[test]
fn png_text_chunks_and_trailing_bytes_do_not_reach_the_model() {
    let rt = runtime();
    let server = rt
        .block_on(MockServer::builder().rule(|_| Reply::text("no")).start())
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = png(dir.path(), "img/ct.png");
    let plain = std::fs::read(&path).unwrap();
    // Signature (8 bytes) and IHDR (25 bytes), then the metadata an exporter may leave.
    let mut tagged = plain[..33].to_vec();
    tagged.extend(chunk(b"tEXt", b"Patient Name\0DOE^JANE"));
    tagged.extend(chunk(b"tIME", &[0x07, 0xe9, 1, 2, 3, 4, 5]));
    tagged.extend_from_slice(&plain[33..]);
    tagged.extend_from_slice(b"MRN 0042");
    std::fs::write(&path, &tagged).unwrap();
    let items = dir.path().join("items.jsonl");
    std::fs::write(&items, image_item("img/ct.png")).unwrap();
    let store = dir.path().join("runs.db");
    let url = server.url();
    let (items_arg, store_arg) = (items.to_str().unwrap(), store.to_str().unwrap());

    let sent_image = |extra: &[&str]| -> Vec<u8> {
        let mut args = run_args(items_arg, &url, store_arg);
        args.extend(["--fresh", "--no-cache"]);
        args.extend(extra);
        assert_success(&medeval(&args));
        let request = server.chat_requests().pop().unwrap();
        let body: Value = serde_json::from_slice(&request.body).unwrap();
        let url = body["messages"][0]["content"][0]["image_url"]["url"]
            .as_str()
            .unwrap()
            .to_owned();
        let encoded = url.strip_prefix("data:image/png;base64,").unwrap();
        base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .unwrap()
    };
    let contains =
        |haystack: &[u8], needle: &[u8]| haystack.windows(needle.len()).any(|w| w == needle);

    let sent = sent_image(&[]);
    assert!(!contains(&sent, b"DOE^JANE") && !contains(&sent, b"tIME"));
    assert!(!contains(&sent, b"MRN"), "nothing after IEND");
    assert_eq!(sent, plain, "the PNG without its metadata is the plain PNG");
    // `--image-format original` sends the file as it is.
    assert_eq!(sent_image(&["--image-format", "original"]), tagged);
}
