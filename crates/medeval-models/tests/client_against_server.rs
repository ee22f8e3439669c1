//! The chat client against a real HTTP server on loopback that misbehaves on request.

// In tests a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use medeval_mockserver::{Fault, MockServer, Reply};
use medeval_models::{ApiKey, ChatClient, ClientConfig, ClientError, RequestError};

fn config(url: &str) -> ClientConfig {
    let mut config = ClientConfig::new(vec![url.to_owned()], "mock-model");
    config.retry_base = Duration::from_millis(5);
    config.retry_cap = Duration::from_millis(20);
    config.timeout = Duration::from_millis(500);
    config.max_attempts = 4;
    config.concurrency = 4;
    config
}

fn body(prompt: &str) -> bytes::Bytes {
    serde_json::to_vec(&serde_json::json!({
        "model": "mock-model",
        "messages": [{"role": "user", "content": prompt}],
        "temperature": 0.0
    }))
    .unwrap()
    .into()
}

#[tokio::test]
async fn every_transient_fault_is_retried_until_it_succeeds() {
    let faults = [
        Fault::Status {
            code: 500,
            retry_after: None,
        },
        Fault::Status {
            code: 503,
            retry_after: None,
        },
        Fault::Hang(Duration::from_secs(5)),
        Fault::MalformedJson,
        Fault::Reset,
        Fault::Truncated,
    ];
    for fault in faults {
        let injected = fault.clone();
        let server = MockServer::builder()
            .rule(|req| Reply::text(format!("answer to {}", req.prompt)))
            .faults(move |req| (req.previous_attempts < 2).then(|| injected.clone()))
            .start()
            .await
            .unwrap();
        let client = ChatClient::new(config(&server.url())).unwrap();
        let exchange = client.complete(&body("q1")).await;
        let completion = exchange
            .result
            .unwrap_or_else(|e| panic!("{fault:?} was not recovered from: {e}"));
        assert_eq!(completion.content, "answer to q1", "{fault:?}");
        assert_eq!(
            exchange.attempts.len(),
            3,
            "{fault:?}: two failures then success"
        );
        assert!(exchange.attempts[..2].iter().all(|a| a.error.is_some()));
        assert_eq!(exchange.attempts[2].error, None);
        assert_eq!(server.chat_requests().len(), 3, "{fault:?}");
    }
}

#[tokio::test]
async fn attempts_are_bounded_and_the_last_error_is_kept() {
    let server = MockServer::builder()
        .faults(|_| {
            Some(Fault::Status {
                code: 502,
                retry_after: None,
            })
        })
        .start()
        .await
        .unwrap();
    let client = ChatClient::new(config(&server.url())).unwrap();
    let exchange = client.complete(&body("q")).await;
    assert_eq!(exchange.attempts.len(), 4);
    assert_eq!(server.chat_requests().len(), 4);
    assert!(matches!(
        exchange.result,
        Err(RequestError::Http { status: 502, .. })
    ));
    assert_eq!(
        exchange.error_message().unwrap(),
        "HTTP 502: injected failure (after 4 attempts)"
    );
}

#[tokio::test]
async fn client_errors_are_not_retried() {
    let server = MockServer::builder()
        .faults(|_| {
            Some(Fault::Status {
                code: 400,
                retry_after: None,
            })
        })
        .start()
        .await
        .unwrap();
    let client = ChatClient::new(config(&server.url())).unwrap();
    let exchange = client.complete(&body("q")).await;
    assert_eq!(exchange.attempts.len(), 1);
    assert!(matches!(
        exchange.result,
        Err(RequestError::Http { status: 400, .. })
    ));
}

#[tokio::test]
async fn retry_after_is_honoured_and_halves_concurrency() {
    let server = MockServer::builder()
        .faults(|req| {
            (req.previous_attempts == 0).then_some(Fault::Status {
                code: 429,
                retry_after: Some(1),
            })
        })
        .start()
        .await
        .unwrap();
    let client = ChatClient::new(config(&server.url())).unwrap();
    let exchange = client.complete(&body("q")).await;
    assert!(exchange.result.is_ok());
    let requests = server.chat_requests();
    assert_eq!(requests.len(), 2);
    let gap = requests[1].at - requests[0].at;
    assert!(
        gap >= Duration::from_millis(990),
        "retried after {gap:?}, Retry-After said 1 s"
    );
    assert_eq!(
        client.allowed_in_flight(),
        2,
        "4 allowed before the 429, 2 after"
    );
}

#[tokio::test]
async fn the_api_key_is_sent_as_a_bearer_token() {
    let server = MockServer::builder()
        .api_key("sk-test-123")
        .start()
        .await
        .unwrap();
    let mut with_key = config(&server.url());
    with_key.api_key = Some(ApiKey::new("sk-test-123"));
    let client = ChatClient::new(with_key).unwrap();
    assert!(client.complete(&body("q")).await.result.is_ok());
    let request = &server.chat_requests()[0];
    assert_eq!(request.headers["authorization"], "Bearer sk-test-123");

    let without = ChatClient::new(config(&server.url())).unwrap();
    assert!(matches!(
        without.preflight().await,
        Err(ClientError::Unauthorized { status: 401, .. })
    ));
}

#[tokio::test]
async fn preflight_names_unreachable_endpoints_and_unknown_models() {
    let server = MockServer::builder()
        .models(&["qwen2.5-vl-7b", "llava"])
        .start()
        .await
        .unwrap();
    let mut wrong_model = config(&server.url());
    wrong_model.model = "qwen2.5-vl-7B".into();
    let err = ChatClient::new(wrong_model)
        .unwrap()
        .preflight()
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "model \"qwen2.5-vl-7B\" is not served by {}; it serves: qwen2.5-vl-7b, llava (a server that accepts names it does not list: pass --no-model-check)",
            server.url()
        )
    );
    // Without the check the name is sent anyway, and the mismatch is a warning.
    let mut unchecked = config(&server.url());
    unchecked.model = "qwen2.5-vl-7B".into();
    unchecked.check_model = false;
    let warnings = ChatClient::new(unchecked)
        .unwrap()
        .preflight()
        .await
        .unwrap();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].contains("does not list the model \"qwen2.5-vl-7B\""),
        "{warnings:?}"
    );

    let addr = server.addr();
    drop(server);
    tokio::time::sleep(Duration::from_millis(50)).await;
    let err = ChatClient::new(config(&format!("http://{addr}/v1")))
        .unwrap()
        .preflight()
        .await
        .unwrap_err();
    assert!(matches!(err, ClientError::Unreachable { .. }), "{err}");
    assert!(
        err.to_string().contains("Connection refused")
            || err.to_string().contains("connection refused"),
        "{err}"
    );
}

#[tokio::test]
async fn several_endpoints_share_the_load() {
    let a = MockServer::builder()
        .latency(Duration::from_millis(20))
        .start()
        .await
        .unwrap();
    let b = MockServer::builder()
        .latency(Duration::from_millis(20))
        .start()
        .await
        .unwrap();
    let mut both = config(&a.url());
    both.endpoints.push(b.url());
    both.concurrency = 8;
    let client = std::sync::Arc::new(ChatClient::new(both).unwrap());
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..40 {
        let client = std::sync::Arc::clone(&client);
        tasks.spawn(async move {
            client
                .complete(&body(&format!("q{i}")))
                .await
                .result
                .is_ok()
        });
    }
    while let Some(ok) = tasks.join_next().await {
        assert!(ok.unwrap());
    }
    let (na, nb) = (a.chat_requests().len(), b.chat_requests().len());
    assert_eq!(na + nb, 40);
    assert!(
        (10..=30).contains(&na),
        "endpoint a served {na}, b served {nb}"
    );
}

#[tokio::test]
async fn a_dead_endpoint_is_taken_out_and_its_retries_go_to_the_live_one() {
    let live = MockServer::builder()
        .latency(Duration::from_millis(10))
        .start()
        .await
        .unwrap();
    let dying = MockServer::builder()
        .latency(Duration::from_millis(10))
        .start()
        .await
        .unwrap();
    let dying_url = dying.url();
    let mut both = config(&live.url());
    both.endpoints.push(dying_url.clone());
    both.concurrency = 8;
    both.max_attempts = 3;
    let client = std::sync::Arc::new(ChatClient::new(both).unwrap());
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..400 {
        let client = std::sync::Arc::clone(&client);
        tasks.spawn(async move { client.complete(&body(&format!("q{i}"))).await });
    }
    // The second server dies once a tenth of the requests have been answered.
    let mut dying = Some(dying);
    let (mut answered, mut failed, mut attempts) = (0, 0, 0);
    while let Some(exchange) = tasks.join_next().await {
        let exchange = exchange.unwrap();
        attempts += exchange.attempts.len();
        match exchange.result {
            Ok(_) => answered += 1,
            Err(_) => failed += 1,
        }
        if answered == 40 {
            drop(dying.take());
        }
    }
    assert_eq!(
        (answered, failed),
        (400, 0),
        "no request may fail while one endpoint lives"
    );
    let health = client.endpoint_health();
    let dead = health.iter().find(|h| h.endpoint == dying_url).unwrap();
    // Three failures open the breaker; within this short run its first probe may come due.
    assert!(dead.times_opened >= 1, "{health:?}");
    assert!(
        dead.failures <= 12,
        "a dead endpoint drew {} failed attempts: {health:?}",
        dead.failures
    );
    assert!(attempts <= 400 + 12, "{attempts} attempts for 400 requests");
}

#[tokio::test]
async fn a_response_over_the_limit_ends_the_attempt_at_the_limit_and_is_not_retried() {
    // 1 MiB allowed; the server answers with 3 MiB, announced or only streamed (chunked).
    const LIMIT: u64 = 1 << 20;
    for declare_length in [true, false] {
        let server = MockServer::builder()
            .faults(move |_| {
                Some(Fault::Oversized {
                    bytes: 3 << 20,
                    declare_length,
                })
            })
            .start()
            .await
            .unwrap();
        let mut config = config(&server.url());
        config.max_response_bytes = LIMIT;
        config.timeout = Duration::from_secs(20);
        let client = ChatClient::new(config).unwrap();
        let exchange = client.complete(&body("big")).await;
        let error = exchange.result.unwrap_err();
        // The announced size is the answer and the JSON around it.
        assert!(
            matches!(&error, RequestError::TooLarge { limit: LIMIT, declared: d }
                if d.is_some() == declare_length && d.is_none_or(|n| n > 3 << 20)),
            "declare_length {declare_length}: {error:?}"
        );
        let message = error.to_string();
        assert!(
            message.contains("1 MiB limit (--max-response-bytes)"),
            "{message}"
        );
        assert_eq!(exchange.attempts.len(), 1, "not retried");
        assert_eq!(exchange.attempts[0].http_status, Some(200));
    }

    // Under the limit, the same streamed answer is read whole, in both framings.
    for declare_length in [true, false] {
        let server = MockServer::builder()
            .faults(move |_| {
                Some(Fault::Oversized {
                    bytes: 200_000,
                    declare_length,
                })
            })
            .start()
            .await
            .unwrap();
        let mut config = config(&server.url());
        config.max_response_bytes = LIMIT;
        let client = ChatClient::new(config).unwrap();
        let completion = client.complete(&body("fits")).await.result.unwrap();
        assert_eq!(completion.content.len(), 200_000);
        assert!(completion.content.bytes().all(|b| b == b'x'));
        assert!(completion.raw.len() > 200_000);
    }
}

/// A server still loading its model answers 503: the check waits for it, says so once, and
/// succeeds when it is ready; a server that stays at 503 is given up after the wait, with a
/// message saying what happened.
#[tokio::test]
async fn preflight_waits_for_a_server_that_is_still_loading() {
    let server = MockServer::builder().loading_for(2).start().await.unwrap();
    let told = std::sync::Mutex::new(Vec::new());
    let mut patient = config(&server.url());
    patient.ready_wait = Duration::from_secs(30);
    let warnings = ChatClient::new(patient)
        .unwrap()
        .preflight_observed(&|notice| told.lock().unwrap().push(notice.to_owned()))
        .await
        .unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    let told = told.into_inner().unwrap();
    assert_eq!(told.len(), 1, "{told:?}");
    assert!(
        told[0].contains("answered HTTP 503 (Loading model)"),
        "{told:?}"
    );
    assert!(told[0].contains("waiting up to 30 s"), "{told:?}");

    let still_loading = MockServer::builder()
        .loading_for(1_000)
        .start()
        .await
        .unwrap();
    let mut impatient = config(&still_loading.url());
    impatient.ready_wait = Duration::from_millis(300);
    let err = ChatClient::new(impatient)
        .unwrap()
        .preflight()
        .await
        .unwrap_err();
    assert!(matches!(err, ClientError::NotReady { .. }), "{err}");
    let message = err.to_string();
    assert!(
        message.contains("still answered HTTP 503 (Loading model)"),
        "{message}"
    );
    assert!(message.contains("still loading its model"), "{message}");
}
