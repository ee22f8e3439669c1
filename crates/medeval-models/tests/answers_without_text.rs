//! The chat client against the scripted server when a 200 response carries no usable text, and
//! when a server asks for a long `Retry-After`.
//!
//! The server sends the message objects verbatim ([`Reply::raw_message`]), so every case is one
//! a real server has been seen to send: `content: 42`, a list of parts without text, tool calls
//! only, `content: null`.

// In tests a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used)]

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use medeval_mockserver::{Fault, MockServer, Reply};
use medeval_models::{ChatClient, ClientConfig, RequestError, RetryPause};
use serde_json::json;

fn config(url: &str) -> ClientConfig {
    let mut config = ClientConfig::new(vec![url.to_owned()], "mock-model");
    config.retry_base = Duration::from_millis(5);
    config.retry_cap = Duration::from_millis(20);
    config.timeout = Duration::from_secs(5);
    config.max_attempts = 4;
    config.concurrency = 4;
    config
}

fn body(prompt: &str) -> bytes::Bytes {
    serde_json::to_vec(&json!({
        "model": "mock-model",
        "messages": [{"role": "user", "content": prompt}],
        "temperature": 0.0
    }))
    .unwrap()
    .into()
}

#[tokio::test]
async fn content_that_is_not_text_is_retried_and_ends_as_an_error() {
    // Every attempt gets `content: 42`: four attempts (max_attempts), then the error.
    let server = MockServer::builder()
        .rule(|_| Reply::raw_message(json!({"role": "assistant", "content": 42})))
        .start()
        .await
        .unwrap();
    let client = ChatClient::new(config(&server.url())).unwrap();
    let exchange = client.complete(&body("q")).await;
    assert_eq!(
        exchange.result.as_ref().unwrap_err(),
        &RequestError::Content("choices[0].message.content is a number: 42".into())
    );
    assert_eq!(exchange.attempts.len(), 4);
    assert_eq!(server.chat_requests().len(), 4);
    assert_eq!(
        exchange.error_message().unwrap(),
        "response is malformed: choices[0].message.content is a number: 42 (after 4 attempts)"
    );
    assert!(
        exchange
            .attempts
            .iter()
            .all(|a| a.http_status == Some(200) && a.error.is_some())
    );
}

#[tokio::test]
async fn a_server_that_recovers_from_bad_content_gives_its_answer() {
    // First attempt: parts without text; second: the answer.
    let server = MockServer::builder()
        .rule(|req| match req.previous_attempts {
            0 => Reply::raw_message(json!({
                "role": "assistant",
                "content": [{"type": "image_url", "image_url": {"url": "data:,"}}]
            })),
            _ => Reply::text("B"),
        })
        .start()
        .await
        .unwrap();
    let client = ChatClient::new(config(&server.url())).unwrap();
    let exchange = client.complete(&body("q")).await;
    assert_eq!(exchange.result.unwrap().content, "B");
    assert_eq!(exchange.attempts.len(), 2);
    assert!(
        exchange.attempts[0]
            .error
            .as_deref()
            .unwrap()
            .contains("a list of parts without text")
    );
}

#[tokio::test]
async fn tool_calls_only_are_their_own_error_and_not_retried() {
    let server = MockServer::builder()
        .rule(|_| {
            Reply::raw_message(json!({
                "role": "assistant",
                "content": null,
                "tool_calls": [
                    {"id": "c1", "type": "function",
                     "function": {"name": "search_guidelines", "arguments": "{}"}},
                    {"id": "c2", "type": "function",
                     "function": {"name": "zoom", "arguments": "{}"}}
                ]
            }))
        })
        .start()
        .await
        .unwrap();
    let client = ChatClient::new(config(&server.url())).unwrap();
    let exchange = client.complete(&body("q")).await;
    assert_eq!(
        exchange.result.as_ref().unwrap_err(),
        &RequestError::ToolCallsOnly("2 calls: search_guidelines, zoom".into())
    );
    assert_eq!(exchange.attempts.len(), 1, "asking again gets the same");
    assert_eq!(server.chat_requests().len(), 1);
    assert_eq!(
        exchange.error_message().unwrap(),
        "the model answered with tool calls only (2 calls: search_guidelines, zoom) and no \
         text; medeval offers no tools, so there is no answer to score (after 1 attempt)"
    );
}

#[tokio::test]
async fn null_content_is_an_empty_answer() {
    let server = MockServer::builder()
        .rule(|_| Reply::raw_message(json!({"role": "assistant", "content": null})))
        .start()
        .await
        .unwrap();
    let client = ChatClient::new(config(&server.url())).unwrap();
    let exchange = client.complete(&body("q")).await;
    let completion = exchange.result.unwrap();
    assert_eq!(completion.content, "");
    assert_eq!(completion.refusal, None);
    assert_eq!(exchange.attempts.len(), 1);
}

/// The first attempt of every prompt gets `429, Retry-After: 100000`.
async fn rate_limiting_server() -> MockServer {
    MockServer::builder()
        .faults(|req| {
            (req.previous_attempts == 0).then_some(Fault::Status {
                code: 429,
                retry_after: Some(100_000),
            })
        })
        .start()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_long_retry_after_is_capped_and_reported_once_per_pause() {
    let server = rate_limiting_server().await;
    let mut config = config(&server.url());
    // The cap, 600 s by default, short so the test does not wait ten minutes.
    config.max_retry_after = Duration::from_millis(300);
    let client = ChatClient::new(config).unwrap();
    let pauses = Mutex::new(Vec::<RetryPause>::new());
    let on_pause = |pause: &RetryPause| pauses.lock().unwrap().push(pause.clone());

    // Four requests in flight together all get the 429: one pause, reported once.
    let started = Instant::now();
    let bodies: Vec<bytes::Bytes> = (0..4).map(|i| body(&format!("q{i}"))).collect();
    let observed =
        |i: usize| client.complete_observed(&bodies[i], &on_pause, std::future::pending());
    let (a, b, c, d) = tokio::join!(observed(0), observed(1), observed(2), observed(3));
    let exchanges = [a, b, c, d];
    let elapsed = started.elapsed();
    for exchange in &exchanges {
        assert_eq!(exchange.result.as_ref().unwrap().content, "A");
        assert_eq!(exchange.attempts.len(), 2);
        assert_eq!(exchange.attempts[0].http_status, Some(429));
    }
    assert!(elapsed >= Duration::from_millis(300), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(30), "{elapsed:?}");

    let pauses = pauses.into_inner().unwrap();
    assert_eq!(
        pauses,
        vec![RetryPause {
            endpoint: server.url(),
            status: 429,
            attempt: 1,
            requested: Duration::from_secs(100_000),
            waiting: Duration::from_millis(300),
            everyone: true,
        }]
    );
    assert_eq!(
        pauses[0].to_string(),
        format!(
            "server {} (HTTP 429) asked to wait 100000 s; waiting 0.3 s (capped) before sending any request",
            server.url()
        )
    );
}

#[tokio::test]
async fn a_request_stopped_while_it_waits_keeps_its_attempts() {
    let server = rate_limiting_server().await;
    // The default cap: the request would wait 600 s.
    let client = ChatClient::new(config(&server.url())).unwrap();
    let stop = Arc::new(tokio::sync::Notify::new());
    let on_pause = {
        let stop = Arc::clone(&stop);
        move |_: &RetryPause| stop.notify_one()
    };
    let started = Instant::now();
    let exchange = client
        .complete_observed(&body("q"), &on_pause, stop.notified())
        .await;
    assert!(started.elapsed() < Duration::from_secs(30));
    assert_eq!(
        exchange.result.as_ref().unwrap_err(),
        &RequestError::Interrupted(Some("HTTP 429: injected failure".into()))
    );
    assert_eq!(exchange.attempts.len(), 1);
    assert_eq!(exchange.attempts[0].http_status, Some(429));
    assert_eq!(server.chat_requests().len(), 1);
    assert_eq!(
        exchange.error_message().unwrap(),
        "stopped before an answer (the last attempt had failed: HTTP 429: injected failure) \
         (after 1 attempt)"
    );
}
