//! A scripted OpenAI-compatible chat server, for tests and benchmarks.
//!
//! The model is the outside world of medeval, so tests talk to a real HTTP server on a loopback
//! port rather than to a mock object. This server answers `POST /v1/chat/completions` by a rule,
//! waits a fixed latency, and injects faults on demand (429 with `Retry-After`, 5xx, hangs,
//! malformed JSON, connection resets, truncated bodies, answers of any size streamed without
//! being held in memory), and can answer with a message object
//! given verbatim ([`Reply::raw_message`]: `content: null`, `content: 42`, tool calls only). It records every request it receives,
//! headers included, so tests can assert what the client sent.
//!
//! HTTP/1.1 is spoken by hand on top of tokio's TCP: the faults that matter (a reset in the middle
//! of a connection, a body shorter than its `Content-Length`) are precisely the ones a
//! well-behaved HTTP server library refuses to produce.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// What the server answers to one chat request.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Reply {
    /// `choices[0].message.content`.
    pub content: String,
    /// `choices[0].message.reasoning_content`, as reasoning parsers send it.
    pub reasoning: Option<String>,
    /// `choices[0].message.refusal`.
    pub refusal: Option<String>,
    /// `choices[0].message` exactly as given, in place of the one built from the fields above:
    /// for answers a well-behaved server would not send (see [`Reply::raw_message`]).
    pub message: Option<Value>,
    /// `choices[0].finish_reason`; `"stop"` when `None`.
    pub finish_reason: Option<String>,
}

impl Reply {
    /// A plain text answer.
    pub fn text(content: impl Into<String>) -> Self {
        Self {
            content: content.into(),
            ..Self::default()
        }
    }

    /// The same reply, ended by the token limit (`finish_reason` `"length"`), as a server sends
    /// an answer cut at `max_tokens`.
    pub fn cut_by_token_limit(self) -> Self {
        Self {
            finish_reason: Some("length".to_owned()),
            ..self
        }
    }

    /// A 200 response whose `choices[0].message` is `message`, verbatim: `{"content": null}`,
    /// `{"content": 42}`, a message with `tool_calls` and no text ... The rest of the body
    /// (id, model, `finish_reason`, usage) is as for any reply.
    pub fn raw_message(message: Value) -> Self {
        Self {
            message: Some(message),
            ..Self::default()
        }
    }
}

/// A failure the server produces instead of a normal reply.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// An HTTP error status with a JSON error body, optionally with `Retry-After` (seconds).
    Status {
        /// The status code.
        code: u16,
        /// `Retry-After` in seconds.
        retry_after: Option<u64>,
    },
    /// Accept the request and never answer within `Duration` (a client timeout fires first).
    Hang(Duration),
    /// A 200 response whose body is not valid JSON.
    MalformedJson,
    /// Reset the TCP connection (RST) without answering.
    Reset,
    /// A 200 response that announces a longer body than it sends, then closes.
    Truncated,
    /// A well-formed 200 chat completion whose answer is `bytes` bytes of `x`, written as it is
    /// generated (never held in memory), with a `Content-Length` when `declare_length`, else in
    /// chunked transfer encoding (so a client learns the size only by reading).
    Oversized {
        /// The answer's length in bytes.
        bytes: u64,
        /// Whether the size is announced in `Content-Length`.
        declare_length: bool,
    },
}

impl Fault {
    /// A short name, recorded with each request.
    pub fn name(&self) -> String {
        match self {
            Self::Status { code, .. } => format!("status-{code}"),
            Self::Hang(_) => "hang".into(),
            Self::MalformedJson => "malformed-json".into(),
            Self::Reset => "reset".into(),
            Self::Truncated => "truncated".into(),
            Self::Oversized { .. } => "oversized".into(),
        }
    }
}

/// What a rule sees of one chat request.
#[derive(Debug, Clone)]
pub struct ChatRequest {
    /// Arrival order across the server's life, from 0.
    pub seq: u64,
    /// The text of the user turn (all text parts joined): tests put item ids in it.
    pub prompt: String,
    /// How many earlier requests carried the same prompt: 0 on the first attempt.
    pub previous_attempts: u32,
    /// Number of images in the request.
    pub images: usize,
    /// The full JSON body.
    pub body: Value,
}

/// A request as the server recorded it.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    /// Arrival order.
    pub seq: u64,
    /// Method and path, e.g. `POST /v1/chat/completions`.
    pub route: String,
    /// Headers with lower-case names.
    pub headers: HashMap<String, String>,
    /// The raw body.
    pub body: Vec<u8>,
    /// The user-turn text for chat requests.
    pub prompt: Option<String>,
    /// The fault injected, if any.
    pub fault: Option<String>,
    /// When it arrived, relative to server start.
    pub at: Duration,
}

type Rule = Arc<dyn Fn(&ChatRequest) -> Reply + Send + Sync>;
type FaultRule = Arc<dyn Fn(&ChatRequest) -> Option<Fault> + Send + Sync>;

/// Configures and starts a [`MockServer`].
#[derive(Clone)]
pub struct MockServerBuilder {
    latency: Duration,
    models: Vec<String>,
    unlisted: Vec<String>,
    loading_answers: u64,
    api_key: Option<String>,
    echo_credentials: bool,
    rule: Rule,
    faults: FaultRule,
}

impl Default for MockServerBuilder {
    fn default() -> Self {
        Self {
            latency: Duration::ZERO,
            models: vec!["mock-model".into()],
            unlisted: Vec::new(),
            loading_answers: 0,
            api_key: None,
            echo_credentials: false,
            rule: Arc::new(|_| Reply::text("A")),
            faults: Arc::new(|_| None),
        }
    }
}

impl MockServerBuilder {
    /// Time the server waits before answering each chat request.
    pub fn latency(mut self, latency: Duration) -> Self {
        self.latency = latency;
        self
    }

    /// The first `answers` requests for `GET /v1/models` get HTTP 503 "Loading model", as a
    /// server still loading its model answers.
    pub fn loading_for(mut self, answers: u64) -> Self {
        self.loading_answers = answers;
        self
    }

    /// Model names the server answers to without listing them in `GET /v1/models`, as some
    /// servers accept an alias they do not list.
    pub fn unlisted_models(mut self, models: &[&str]) -> Self {
        self.unlisted = models.iter().map(|m| (*m).to_owned()).collect();
        self
    }

    /// Model ids listed by `GET /v1/models`.
    pub fn models(mut self, models: &[&str]) -> Self {
        self.models = models.iter().map(|m| (*m).to_owned()).collect();
        self
    }

    /// Requires `Authorization: Bearer <key>`; other requests get 401.
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = Some(key.into());
        self
    }

    /// Echoes the `Authorization` header it received in every error body, as OpenAI's
    /// "Incorrect API key provided: …" and many proxies' error pages do.
    pub fn echo_credentials(mut self) -> Self {
        self.echo_credentials = true;
        self
    }

    /// How to answer a chat request.
    pub fn rule(mut self, rule: impl Fn(&ChatRequest) -> Reply + Send + Sync + 'static) -> Self {
        self.rule = Arc::new(rule);
        self
    }

    /// Which requests fail, and how.
    pub fn faults(
        mut self,
        faults: impl Fn(&ChatRequest) -> Option<Fault> + Send + Sync + 'static,
    ) -> Self {
        self.faults = Arc::new(faults);
        self
    }

    /// Binds `addr` (port 0 picks a free port) and serves on the current tokio runtime.
    pub async fn start_on(self, addr: SocketAddr) -> std::io::Result<MockServer> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = watch::channel(false);
        let state = Arc::new(State {
            config: self,
            started: Instant::now(),
            seq: AtomicU64::new(0),
            log: Mutex::new(Vec::new()),
            model_listings: AtomicU64::new(0),
            attempts_by_prompt: Mutex::new(HashMap::new()),
        });
        tokio::spawn(accept_loop(listener, Arc::clone(&state), stopped));
        Ok(MockServer { addr, state, stop })
    }

    /// Binds a free loopback port and serves on the current tokio runtime.
    pub async fn start(self) -> std::io::Result<MockServer> {
        self.start_on(SocketAddr::from(([127, 0, 0, 1], 0))).await
    }
}

/// A running server. Dropping it stops accepting connections.
pub struct MockServer {
    addr: SocketAddr,
    state: Arc<State>,
    stop: watch::Sender<bool>,
}

impl MockServer {
    /// A builder with no latency, one model (`mock-model`), no key, answering `A`.
    pub fn builder() -> MockServerBuilder {
        MockServerBuilder::default()
    }

    /// The base URL clients use, ending in `/v1`.
    pub fn url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Every request received so far, in arrival order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.state.log).clone()
    }

    /// Chat requests received so far.
    pub fn chat_requests(&self) -> Vec<RecordedRequest> {
        self.requests()
            .into_iter()
            .filter(|r| r.route == "POST /v1/chat/completions")
            .collect()
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

struct State {
    config: MockServerBuilder,
    started: Instant,
    seq: AtomicU64,
    log: Mutex<Vec<RecordedRequest>>,
    model_listings: AtomicU64,
    attempts_by_prompt: Mutex<HashMap<String, u32>>,
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

async fn accept_loop(listener: TcpListener, state: Arc<State>, mut stopped: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                if let Ok((stream, _)) = accepted {
                    let _ = stream.set_nodelay(true);
                    tokio::spawn(serve_connection(stream, Arc::clone(&state), stopped.clone()));
                }
            }
            _ = stopped.changed() => return,
        }
    }
}

/// One parsed HTTP request.
struct HttpRequest {
    method: String,
    path: String,
    headers: HashMap<String, String>,
    body: Vec<u8>,
}

async fn serve_connection(
    mut stream: TcpStream,
    state: Arc<State>,
    mut stopped: watch::Receiver<bool>,
) {
    let mut buffer = Vec::new();
    loop {
        let request = tokio::select! {
            request = read_request(&mut stream, &mut buffer) => request,
            _ = stopped.changed() => return,
        };
        let Ok(Some(request)) = request else { return };
        let keep_alive = !request
            .headers
            .get("connection")
            .is_some_and(|v| v.eq_ignore_ascii_case("close"));
        match handle(&state, request).await {
            Action::Respond(bytes) => {
                if stream.write_all(&bytes).await.is_err() || !keep_alive {
                    return;
                }
            }
            Action::Close(bytes) => {
                let _ = stream.write_all(&bytes).await;
                let _ = stream.shutdown().await;
                return;
            }
            Action::Stream(stream_body) => {
                if write_stream(&mut stream, &stream_body).await.is_err() || !keep_alive {
                    return;
                }
            }
            Action::Reset => {
                // A zero linger makes the close send RST at once; the deprecation warns about
                // blocking on non-zero lingers, which cannot happen here.
                #[allow(deprecated)]
                let _ = stream.set_linger(Some(Duration::ZERO));
                return;
            }
        }
    }
}

/// The first byte of a TLS record carrying a handshake (a ClientHello).
const TLS_HANDSHAKE: u8 = 0x16;

/// Reads one request; `Ok(None)` when the client closed the connection cleanly (or spoke TLS,
/// which gets a 400 and the connection closed).
async fn read_request(
    stream: &mut TcpStream,
    buffer: &mut Vec<u8>,
) -> std::io::Result<Option<HttpRequest>> {
    let header_end = loop {
        if let Some(end) = find(buffer, b"\r\n\r\n") {
            break end;
        }
        let mut chunk = [0u8; 8192];
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(None);
        }
        buffer.extend_from_slice(&chunk[..n]);
        if buffer.first() == Some(&TLS_HANDSHAKE) {
            // A TLS client speaking to this plain-HTTP server: answer as HTTP servers do to
            // bytes that are not HTTP, and close.
            stream
                .write_all(
                    b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                )
                .await?;
            return Ok(None);
        }
    };
    let head = String::from_utf8_lossy(&buffer[..header_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next().unwrap_or_default().split_whitespace();
    let method = request_line.next().unwrap_or_default().to_owned();
    let path = request_line.next().unwrap_or_default().to_owned();
    let headers: HashMap<String, String> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
        .collect();
    let length: usize = headers
        .get("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let body_start = header_end + 4;
    while buffer.len() < body_start + length {
        let mut chunk = [0u8; 65536];
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(None);
        }
        buffer.extend_from_slice(&chunk[..n]);
    }
    let body = buffer[body_start..body_start + length].to_vec();
    buffer.drain(..body_start + length);
    Ok(Some(HttpRequest {
        method,
        path,
        headers,
        body,
    }))
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

enum Action {
    Respond(Vec<u8>),
    Close(Vec<u8>),
    Stream(StreamBody),
    Reset,
}

/// A 200 JSON body written piece by piece: `prefix`, `fill` bytes of `x`, `suffix`.
struct StreamBody {
    prefix: Vec<u8>,
    fill: u64,
    suffix: Vec<u8>,
    declare_length: bool,
}

/// Writes a [`StreamBody`] with its head; fails as soon as the client stops reading.
async fn write_stream(stream: &mut TcpStream, body: &StreamBody) -> std::io::Result<()> {
    const BLOCK: usize = 64 * 1024;
    let length = body.prefix.len() as u64 + body.fill + body.suffix.len() as u64;
    let head = if body.declare_length {
        format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {length}\r\n\r\n"
        )
    } else {
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n"
            .to_owned()
    };
    stream.write_all(head.as_bytes()).await?;
    let chunked = !body.declare_length;
    let mut write = async |piece: &[u8]| -> std::io::Result<()> {
        if chunked {
            stream
                .write_all(format!("{:x}\r\n", piece.len()).as_bytes())
                .await?;
            stream.write_all(piece).await?;
            stream.write_all(b"\r\n").await
        } else {
            stream.write_all(piece).await
        }
    };
    write(&body.prefix).await?;
    let block = [b'x'; BLOCK];
    let mut left = body.fill;
    while left > 0 {
        let n = usize::try_from(left).unwrap_or(BLOCK).min(BLOCK);
        write(&block[..n]).await?;
        left -= n as u64;
    }
    write(&body.suffix).await?;
    if chunked {
        stream.write_all(b"0\r\n\r\n").await?;
    }
    Ok(())
}

async fn handle(state: &State, request: HttpRequest) -> Action {
    let seq = state.seq.fetch_add(1, Ordering::SeqCst);
    let route = format!("{} {}", request.method, request.path);
    let mut record = RecordedRequest {
        seq,
        route: route.clone(),
        headers: request.headers.clone(),
        body: request.body.clone(),
        prompt: None,
        fault: None,
        at: state.started.elapsed(),
    };
    if let Some(key) = &state.config.api_key {
        let expected = format!("Bearer {key}");
        if request.headers.get("authorization") != Some(&expected) {
            lock(&state.log).push(record);
            let message = echoed(
                &state.config,
                request.headers.get("authorization"),
                "invalid API key",
            );
            return Action::Respond(json_response(
                401,
                &[],
                &error_body(&message, "authentication_error"),
            ));
        }
    }
    let action = match (request.method.as_str(), request.path.trim_end_matches('/')) {
        ("GET", "/v1/models")
            if state.model_listings.fetch_add(1, Ordering::Relaxed)
                < state.config.loading_answers =>
        {
            Action::Respond(json_response(
                503,
                &[],
                &error_body("Loading model", "unavailable_error"),
            ))
        }
        ("GET", "/v1/models") => {
            let data: Vec<Value> = state
                .config
                .models
                .iter()
                .map(|id| json!({"id": id, "object": "model", "owned_by": "medeval-mockserver"}))
                .collect();
            Action::Respond(json_response(
                200,
                &[],
                &json!({"object": "list", "data": data}),
            ))
        }
        ("POST", "/v1/chat/completions") => {
            return chat(state, seq, request.body, record).await;
        }
        _ => Action::Respond(json_response(
            404,
            &[],
            &error_body("not found", "not_found"),
        )),
    };
    record.fault = None;
    lock(&state.log).push(record);
    action
}

async fn chat(state: &State, seq: u64, body: Vec<u8>, mut record: RecordedRequest) -> Action {
    let Ok(body) = serde_json::from_slice::<Value>(&body) else {
        lock(&state.log).push(record);
        return Action::Respond(json_response(
            400,
            &[],
            &error_body("request body is not JSON", "invalid_request_error"),
        ));
    };
    let model = body
        .get("model")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let served = state.config.models.iter().chain(&state.config.unlisted);
    if !served.into_iter().any(|m| m == model) {
        lock(&state.log).push(record);
        return Action::Respond(json_response(
            404,
            &[],
            &error_body(
                &format!("The model `{model}` does not exist."),
                "not_found_error",
            ),
        ));
    }
    let (prompt, images) = user_turn(&body);
    let previous_attempts = {
        let mut attempts = lock(&state.attempts_by_prompt);
        let count = attempts.entry(prompt.clone()).or_insert(0);
        let previous = *count;
        *count += 1;
        previous
    };
    let chat = ChatRequest {
        seq,
        prompt: prompt.clone(),
        previous_attempts,
        images,
        body,
    };
    let fault = (state.config.faults)(&chat);
    record.prompt = Some(prompt);
    record.fault = fault.as_ref().map(Fault::name);
    let authorization = record.headers.get("authorization").cloned();
    lock(&state.log).push(record);

    if let Some(fault) = fault {
        return match fault {
            Fault::Status { code, retry_after } => {
                let retry = retry_after.map(|s| s.to_string());
                let headers: Vec<(&str, &str)> = retry
                    .as_deref()
                    .map(|v| vec![("Retry-After", v)])
                    .unwrap_or_default();
                let message = echoed(&state.config, authorization.as_ref(), "injected failure");
                Action::Respond(json_response(
                    code,
                    &headers,
                    &error_body(&message, "server_error"),
                ))
            }
            Fault::Hang(duration) => {
                tokio::time::sleep(duration).await;
                Action::Close(Vec::new())
            }
            Fault::MalformedJson => {
                Action::Respond(raw_response(200, &[], b"{\"choices\": [{\"mess"))
            }
            Fault::Reset => Action::Reset,
            Fault::Truncated => {
                let full = serde_json::to_vec(&completion_body(seq, &chat.body, &Reply::text("A")))
                    .unwrap_or_default();
                let mut bytes = head(200, &[], full.len());
                bytes.extend_from_slice(&full[..full.len() / 2]);
                Action::Close(bytes)
            }
            Fault::Oversized {
                bytes,
                declare_length,
            } => {
                // The body of a reply whose answer is one marker, split around the marker.
                const MARKER: &str = "\u{1}answer\u{1}";
                let template =
                    serde_json::to_string(&completion_body(seq, &chat.body, &Reply::text(MARKER)))
                        .unwrap_or_default();
                let escaped = serde_json::to_string(MARKER).unwrap_or_default();
                let escaped = escaped.trim_matches('"');
                let (prefix, suffix) = template.split_once(escaped).unwrap_or((&template, ""));
                Action::Stream(StreamBody {
                    prefix: prefix.as_bytes().to_vec(),
                    fill: bytes,
                    suffix: suffix.as_bytes().to_vec(),
                    declare_length,
                })
            }
        };
    }
    if !state.config.latency.is_zero() {
        tokio::time::sleep(state.config.latency).await;
    }
    let reply = (state.config.rule)(&chat);
    Action::Respond(json_response(
        200,
        &[],
        &completion_body(seq, &chat.body, &reply),
    ))
}

/// The user turn's text and image count. Content may be a string or a list of typed parts.
fn user_turn(body: &Value) -> (String, usize) {
    let mut text = String::new();
    let mut images = 0;
    let messages = body.get("messages").and_then(Value::as_array);
    for message in messages.into_iter().flatten() {
        if message.get("role").and_then(Value::as_str) != Some("user") {
            continue;
        }
        match message.get("content") {
            Some(Value::String(s)) => text.push_str(s),
            Some(Value::Array(parts)) => {
                for part in parts {
                    match part.get("type").and_then(Value::as_str) {
                        Some("text") => {
                            text.push_str(
                                part.get("text").and_then(Value::as_str).unwrap_or_default(),
                            );
                        }
                        Some("image_url") => images += 1,
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    (text, images)
}

fn completion_body(seq: u64, request: &Value, reply: &Reply) -> Value {
    let message = match &reply.message {
        Some(raw) => raw.clone(),
        None => {
            let mut message = json!({"role": "assistant", "content": reply.content});
            if let Some(reasoning) = &reply.reasoning {
                message["reasoning_content"] = json!(reasoning);
            }
            if let Some(refusal) = &reply.refusal {
                message["refusal"] = json!(refusal);
            }
            message
        }
    };
    let prompt_chars = request.to_string().len() as u64;
    json!({
        "id": format!("chatcmpl-mock-{seq}"),
        "object": "chat.completion",
        "created": 0,
        "model": request.get("model").cloned().unwrap_or(Value::Null),
        "choices": [{
            "index": 0,
            "message": message,
            "finish_reason": reply.finish_reason.as_deref().unwrap_or("stop"),
        }],
        "usage": {
            "prompt_tokens": prompt_chars / 4,
            "completion_tokens": reply.content.split_whitespace().count(),
            "total_tokens": prompt_chars / 4 + reply.content.split_whitespace().count() as u64,
        }
    })
}

/// An error message, with the received `Authorization` header appended when the server
/// was told to echo credentials.
fn echoed(config: &MockServerBuilder, authorization: Option<&String>, message: &str) -> String {
    match authorization {
        Some(sent) if config.echo_credentials => {
            format!("{message}. Incorrect API key provided: {sent}")
        }
        _ => message.to_owned(),
    }
}

fn error_body(message: &str, kind: &str) -> Value {
    json!({"error": {"message": message, "type": kind}})
}

fn json_response(code: u16, headers: &[(&str, &str)], body: &Value) -> Vec<u8> {
    raw_response(code, headers, &serde_json::to_vec(body).unwrap_or_default())
}

fn raw_response(code: u16, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut bytes = head(code, headers, body.len());
    bytes.extend_from_slice(body);
    bytes
}

fn head(code: u16, headers: &[(&str, &str)], length: usize) -> Vec<u8> {
    let reason = match code {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Status",
    };
    let mut text = format!(
        "HTTP/1.1 {code} {reason}\r\ncontent-type: application/json\r\ncontent-length: {length}\r\n"
    );
    for (name, value) in headers {
        text.push_str(&format!("{name}: {value}\r\n"));
    }
    text.push_str("\r\n");
    text.into_bytes()
}
