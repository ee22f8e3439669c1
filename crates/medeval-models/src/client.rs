//! The OpenAI-compatible chat client: one request per sample, retried when that can help.
//!
//! vLLM, SGLang, Ollama, llama.cpp's server, LM Studio, TGI, OpenAI and most gateways accept
//! `POST {base}/chat/completions`, so that is the one protocol spoken here. Every attempt is
//! reported back (endpoint, status, latency, error) so the store can keep the full history.
//!
//! Retried: 408, 429, 5xx, timeouts, connection failures, bodies cut short, and 200 responses
//! whose body is not JSON. Not retried: other 4xx (a bad request stays bad) and well-formed
//! responses without a message. Back-off is exponential with jitter; a `Retry-After` header is
//! honoured (up to ten minutes) and pauses every request, not only the one that received it.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime};

use medeval_core::{Completion, Usage};
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER};
use serde_json::Value;

use crate::health::{Availability, Breaker, EndpointHealth, Verdict};
use crate::limiter::Limiter;
use crate::redact::Redactor;

/// Longest `Retry-After` honoured; a server asking for more is waited on for this long.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(600);
/// Bytes of an error body kept in messages.
const ERROR_SNIPPET: usize = 300;

/// An API key. Its `Debug` and `Display` never show it, so it cannot leak into logs.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    /// Wraps a key read from the environment.
    pub fn new(key: impl Into<String>) -> Self {
        Self(key.into())
    }

    /// The key itself, for the request header and for removing it from what comes back.
    pub(crate) fn secret(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

/// How a [`ChatClient`] talks to its endpoints.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Base URLs (e.g. `http://localhost:8000/v1`); requests are spread over them.
    pub endpoints: Vec<String>,
    /// The model name sent in every request.
    pub model: String,
    /// Bearer token, if the server wants one.
    pub api_key: Option<ApiKey>,
    /// Time limit for one attempt, from sending to the last byte of the response.
    pub timeout: Duration,
    /// Time limit for establishing a connection.
    pub connect_timeout: Duration,
    /// Attempts per request, the first included (at least 1).
    pub max_attempts: u32,
    /// Back-off before the second attempt; doubles for each further attempt.
    pub retry_base: Duration,
    /// Longest back-off between attempts.
    pub retry_cap: Duration,
    /// Requests in flight at most, over all endpoints.
    pub concurrency: usize,
}

impl ClientConfig {
    /// Settings suited to a local inference server, for `model` at `endpoints`.
    pub fn new(endpoints: Vec<String>, model: impl Into<String>) -> Self {
        Self {
            endpoints,
            model: model.into(),
            api_key: None,
            timeout: Duration::from_secs(600),
            connect_timeout: Duration::from_secs(10),
            max_attempts: 5,
            retry_base: Duration::from_secs(1),
            retry_cap: Duration::from_secs(60),
            concurrency: 16,
        }
    }
}

/// Why the client could not be built, or an endpoint failed its check before a run.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// No endpoint was given.
    #[error("no endpoint given")]
    NoEndpoint,
    /// An endpoint URL is not a usable http(s) URL.
    #[error("endpoint {url:?} is not a valid http(s) URL: {reason}")]
    BadUrl {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The HTTP client could not be set up (TLS roots ...).
    #[error("cannot set up the HTTP client: {0}")]
    Setup(String),
    /// An endpoint could not be reached.
    #[error("cannot reach {endpoint}: {reason}. Is the server running and the URL right?")]
    Unreachable {
        /// The endpoint's base URL.
        endpoint: String,
        /// The transport error.
        reason: String,
    },
    /// An endpoint refused the credentials.
    #[error("{endpoint} answered HTTP {status}: the API key was refused or is missing")]
    Unauthorized {
        /// The endpoint's base URL.
        endpoint: String,
        /// 401 or 403.
        status: u16,
    },
    /// An endpoint does not serve the model.
    #[error("model {model:?} is not served by {endpoint}; it serves: {}", .available.join(", "))]
    ModelNotServed {
        /// The endpoint's base URL.
        endpoint: String,
        /// The model asked for.
        model: String,
        /// The models the endpoint lists.
        available: Vec<String>,
    },
    /// An endpoint answered the model listing with something unexpected.
    #[error("{endpoint}/models answered HTTP {status}: {body}")]
    Unexpected {
        /// The endpoint's base URL.
        endpoint: String,
        /// The status.
        status: u16,
        /// The start of the body.
        body: String,
    },
}

/// Why one attempt failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RequestError {
    /// No connection (refused, reset, DNS ...).
    #[error("connection failed: {0}")]
    Connect(String),
    /// The attempt took longer than the timeout.
    #[error("timed out after {0:?}")]
    Timeout(Duration),
    /// The server answered with an error status.
    #[error("HTTP {status}: {message}")]
    Http {
        /// Status code.
        status: u16,
        /// The error message from the body, or its start.
        message: String,
        /// `Retry-After`, when sent.
        retry_after: Option<Duration>,
    },
    /// The body could not be read completely.
    #[error("response body cut short: {0}")]
    Body(String),
    /// The body is not JSON.
    #[error("response is not valid JSON: {0}")]
    Malformed(String),
    /// The body is JSON but holds no message.
    #[error("response has no choices[0].message: {0}")]
    NoMessage(String),
}

impl RequestError {
    /// Whether another attempt may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Connect(_) | Self::Timeout(_) | Self::Body(_) | Self::Malformed(_) => true,
            Self::Http { status, .. } => *status == 408 || *status == 429 || *status >= 500,
            Self::NoMessage(_) => false,
        }
    }

    /// The same error with `f` applied to its server-provided text (credential removal).
    pub fn map_text(self, f: impl FnOnce(String) -> String) -> Self {
        match self {
            Self::Connect(text) => Self::Connect(f(text)),
            Self::Timeout(limit) => Self::Timeout(limit),
            Self::Http {
                status,
                message,
                retry_after,
            } => Self::Http {
                status,
                message: f(message),
                retry_after,
            },
            Self::Body(text) => Self::Body(f(text)),
            Self::Malformed(text) => Self::Malformed(f(text)),
            Self::NoMessage(text) => Self::NoMessage(f(text)),
        }
    }

    /// The HTTP status, when a response arrived.
    pub fn http_status(&self) -> Option<u16> {
        match self {
            Self::Http { status, .. } => Some(*status),
            Self::Malformed(_) | Self::NoMessage(_) | Self::Body(_) => Some(200),
            _ => None,
        }
    }
}

/// One attempt, for the audit log.
#[derive(Debug, Clone, PartialEq)]
pub struct Attempt {
    /// One-based attempt number.
    pub number: u32,
    /// The endpoint's base URL.
    pub endpoint: String,
    /// When it started.
    pub started_at: SystemTime,
    /// How long it took.
    pub latency: Duration,
    /// HTTP status, when a response arrived.
    pub http_status: Option<u16>,
    /// What went wrong, if anything.
    pub error: Option<String>,
}

/// The result of a request after all its attempts.
#[derive(Debug, Clone)]
pub struct Exchange {
    /// The completion, or the last attempt's error.
    pub result: Result<Completion, RequestError>,
    /// Every attempt, in order.
    pub attempts: Vec<Attempt>,
    /// Wall time from the first attempt to the result, back-off included.
    pub elapsed: Duration,
}

impl Exchange {
    /// A one-line description of a failed exchange, naming the attempts made.
    pub fn error_message(&self) -> Option<String> {
        self.result.as_ref().err().map(|err| {
            let n = self.attempts.len();
            format!("{err} (after {n} attempt{})", if n == 1 { "" } else { "s" })
        })
    }
}

#[derive(Debug)]
struct Endpoint {
    base: String,
    chat_url: String,
    models_url: String,
    in_flight: AtomicUsize,
    breaker: Breaker,
}

/// A client for one model behind one or more OpenAI-compatible endpoints.
#[derive(Debug)]
pub struct ChatClient {
    http: reqwest::Client,
    endpoints: Vec<Endpoint>,
    limiter: Arc<Limiter>,
    config: ClientConfig,
    next: AtomicUsize,
    /// Applied to everything a server sends back before it leaves the client.
    redactor: Redactor,
}

impl ChatClient {
    /// Builds a client; checks the URLs but does not contact the servers.
    pub fn new(config: ClientConfig) -> Result<Self, ClientError> {
        if config.endpoints.is_empty() {
            return Err(ClientError::NoEndpoint);
        }
        let endpoints = config
            .endpoints
            .iter()
            .map(|url| endpoint(url))
            .collect::<Result<Vec<_>, _>>()?;
        let http = reqwest::Client::builder()
            .tls_backend_preconfigured(tls_config()?)
            .connect_timeout(config.connect_timeout)
            .pool_max_idle_per_host(config.concurrency.max(1))
            .tcp_nodelay(true)
            .user_agent(concat!("medeval/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ClientError::Setup(e.to_string()))?;
        Ok(Self {
            http,
            endpoints,
            limiter: Limiter::new(config.concurrency),
            redactor: Redactor::new(config.api_key.as_ref()),
            config,
            next: AtomicUsize::new(0),
        })
    }

    /// The normalised base URLs, as recorded in manifests.
    pub fn endpoint_urls(&self) -> Vec<String> {
        self.endpoints.iter().map(|e| e.base.clone()).collect()
    }

    /// The model name sent in requests.
    pub fn model(&self) -> &str {
        &self.config.model
    }

    /// Requests currently allowed in flight (lowered after 429s).
    pub fn allowed_in_flight(&self) -> usize {
        self.limiter.allowed()
    }

    /// Checks every endpoint before a run: reachable, accepts the key, serves the model.
    ///
    /// Returns warnings for endpoints that do not list their models (`/models` absent), where
    /// the model name cannot be checked.
    pub async fn preflight(&self) -> Result<Vec<String>, ClientError> {
        let mut warnings = Vec::new();
        for endpoint in &self.endpoints {
            let mut request = self
                .http
                .get(&endpoint.models_url)
                .timeout(self.config.connect_timeout + Duration::from_secs(20));
            if let Some(key) = &self.config.api_key {
                request = request.header(AUTHORIZATION, format!("Bearer {}", key.secret()));
            }
            let response = request.send().await.map_err(|e| ClientError::Unreachable {
                endpoint: endpoint.base.clone(),
                reason: describe_transport_error(&e),
            })?;
            let status = response.status().as_u16();
            let body = response.bytes().await.unwrap_or_default();
            match status {
                200 => {
                    let available = listed_models(&body);
                    if !available.iter().any(|m| m == &self.config.model) {
                        return Err(ClientError::ModelNotServed {
                            endpoint: endpoint.base.clone(),
                            model: self.config.model.clone(),
                            available,
                        });
                    }
                }
                401 | 403 => {
                    return Err(ClientError::Unauthorized {
                        endpoint: endpoint.base.clone(),
                        status,
                    });
                }
                404 | 405 => warnings.push(format!(
                    "{} does not list its models; the model name {:?} could not be checked",
                    endpoint.base, self.config.model
                )),
                _ => {
                    return Err(ClientError::Unexpected {
                        endpoint: endpoint.base.clone(),
                        status,
                        body: self.redactor.error_text(&snippet(&body)),
                    });
                }
            }
        }
        Ok(warnings)
    }

    /// Sends one chat request body, retrying as described in the module documentation.
    pub async fn complete(&self, body: &bytes::Bytes) -> Exchange {
        let started = Instant::now();
        let mut attempts = Vec::new();
        let max_attempts = self.config.max_attempts.max(1);
        let mut number = 0;
        let mut failed_on = None;
        loop {
            number += 1;
            let slot = self.limiter.acquire().await;
            let (index, probe) = self.pick_endpoint(failed_on);
            let endpoint = &self.endpoints[index];
            endpoint.in_flight.fetch_add(1, Ordering::SeqCst);
            let attempt_started = SystemTime::now();
            let clock = Instant::now();
            let result = self
                .send_once(endpoint, body)
                .await
                .map(|completion| self.without_key(completion))
                .map_err(|error| error.map_text(|text| self.redactor.error_text(&text)));
            let latency = clock.elapsed();
            endpoint.in_flight.fetch_sub(1, Ordering::SeqCst);
            drop(slot);
            let verdict = health_verdict(&result);
            endpoint.breaker.record(verdict, probe, Instant::now());
            failed_on = (verdict == Verdict::Failed).then_some(index);

            attempts.push(Attempt {
                number,
                endpoint: endpoint.base.clone(),
                started_at: attempt_started,
                latency,
                http_status: match &result {
                    Ok(_) => Some(200),
                    Err(e) => e.http_status(),
                },
                error: result.as_ref().err().map(ToString::to_string),
            });
            let error = match result {
                Ok(completion) => {
                    self.limiter.succeeded();
                    return Exchange {
                        result: Ok(completion),
                        attempts,
                        elapsed: started.elapsed(),
                    };
                }
                Err(error) => error,
            };
            if !error.is_retryable() || number >= max_attempts {
                return Exchange {
                    result: Err(error),
                    attempts,
                    elapsed: started.elapsed(),
                };
            }
            let backoff = self.backoff(number);
            let wait = match &error {
                RequestError::Http {
                    status: 429,
                    retry_after,
                    ..
                } => {
                    let wait = retry_after.map_or(backoff, |r| r.min(MAX_RETRY_AFTER));
                    self.limiter.rate_limited(wait).await;
                    wait
                }
                RequestError::Http {
                    retry_after: Some(retry_after),
                    ..
                } => (*retry_after).min(MAX_RETRY_AFTER),
                _ => backoff,
            };
            tokio::time::sleep(wait).await;
        }
    }

    /// The endpoint for the next attempt, and whether the attempt is its breaker's half-open
    /// probe: among the endpoints that take requests, the one with the fewest in flight (ties
    /// go round-robin), other than `avoid` (where this request just failed) when there is a
    /// choice. When every endpoint is out, the one whose cool-down ends first.
    fn pick_endpoint(&self, avoid: Option<usize>) -> (usize, bool) {
        let now = Instant::now();
        let n = self.endpoints.len();
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        let in_flight = |&i: &usize| self.endpoints[i].in_flight.load(Ordering::SeqCst);
        // Another request may take a half-open endpoint's probe between looking and admitting:
        // then look again, at most once per endpoint.
        for _ in 0..n {
            let open = |i: &usize| {
                !matches!(
                    self.endpoints[*i].breaker.availability(now),
                    Availability::Open(_)
                )
            };
            let order = || (0..n).map(|offset| (start + offset) % n).filter(open);
            let chosen = order()
                .filter(|&i| Some(i) != avoid)
                .min_by_key(in_flight)
                .or_else(|| order().min_by_key(in_flight));
            let Some(index) = chosen else { break };
            if let Some(probe) = self.endpoints[index].breaker.admit(now) {
                return (index, probe);
            }
        }
        let back_soonest =
            (0..n).min_by_key(|&i| match self.endpoints[i].breaker.availability(now) {
                Availability::Open(until) => until,
                Availability::Closed | Availability::HalfOpen => now,
            });
        (back_soonest.unwrap_or(0), false)
    }

    /// Attempts, failures and breaker state of every endpoint, for the run's report.
    pub fn endpoint_health(&self) -> Vec<EndpointHealth> {
        let now = Instant::now();
        self.endpoints
            .iter()
            .map(|e| e.breaker.health(&e.base, now))
            .collect()
    }

    /// Exponential back-off with "equal jitter": half the delay fixed, half random.
    fn backoff(&self, failed_attempts: u32) -> Duration {
        let exponent = failed_attempts.saturating_sub(1).min(20);
        let delay = self
            .config
            .retry_base
            .saturating_mul(1 << exponent)
            .min(self.config.retry_cap);
        let half = delay / 2;
        half + half.mul_f64(fastrand::f64())
    }

    async fn send_once(
        &self,
        endpoint: &Endpoint,
        body: &bytes::Bytes,
    ) -> Result<Completion, RequestError> {
        let mut request = self
            .http
            .post(&endpoint.chat_url)
            .timeout(self.config.timeout)
            .header(CONTENT_TYPE, "application/json")
            .body(body.clone());
        if let Some(key) = &self.config.api_key {
            request = request.header(AUTHORIZATION, format!("Bearer {}", key.secret()));
        }
        let response = request.send().await.map_err(|e| self.transport_error(&e))?;
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_retry_after);
        let bytes = response.bytes().await.map_err(|e| {
            if e.is_timeout() {
                RequestError::Timeout(self.config.timeout)
            } else {
                RequestError::Body(describe_transport_error(&e))
            }
        })?;
        if status != 200 {
            return Err(RequestError::Http {
                status,
                message: error_message(&bytes),
                retry_after,
            });
        }
        parse_completion(&bytes)
    }

    /// A completion with this client's key removed from every text in it: a server may
    /// echo the request, and what it sends back is stored and shown.
    fn without_key(&self, completion: Completion) -> Completion {
        let strip = |text: String| match self.redactor.remove_key(&text) {
            std::borrow::Cow::Borrowed(_) => text,
            std::borrow::Cow::Owned(cleaned) => cleaned,
        };
        Completion {
            content: strip(completion.content),
            reasoning: completion.reasoning.map(strip),
            refusal: completion.refusal.map(strip),
            raw: strip(completion.raw),
            ..completion
        }
    }

    fn transport_error(&self, err: &reqwest::Error) -> RequestError {
        if err.is_timeout() {
            RequestError::Timeout(self.config.timeout)
        } else {
            RequestError::Connect(describe_transport_error(err))
        }
    }
}

/// Reads a chat completion body into a [`Completion`].
pub fn parse_completion(bytes: &[u8]) -> Result<Completion, RequestError> {
    let value: Value =
        serde_json::from_slice(bytes).map_err(|e| RequestError::Malformed(e.to_string()))?;
    let choice = value
        .get("choices")
        .and_then(|c| c.get(0))
        .ok_or_else(|| RequestError::NoMessage(snippet(bytes)))?;
    let message = choice
        .get("message")
        .ok_or_else(|| RequestError::NoMessage(snippet(bytes)))?;
    let text_field = |name: &str| -> Option<String> {
        match message.get(name)? {
            Value::String(s) => Some(s.clone()),
            Value::Array(parts) => Some(
                parts
                    .iter()
                    .filter_map(|p| p.get("text").and_then(Value::as_str))
                    .collect(),
            ),
            _ => None,
        }
    };
    let usage = value.get("usage").map(|u| Usage {
        prompt_tokens: u.get("prompt_tokens").and_then(Value::as_u64).unwrap_or(0),
        completion_tokens: u
            .get("completion_tokens")
            .and_then(Value::as_u64)
            .unwrap_or(0),
    });
    Ok(Completion {
        content: text_field("content").unwrap_or_default(),
        // vLLM and SGLang call it `reasoning_content`; some servers say `reasoning`.
        reasoning: text_field("reasoning_content")
            .or_else(|| text_field("reasoning"))
            .filter(|r| !r.is_empty()),
        refusal: text_field("refusal").filter(|r| !r.is_empty()),
        finish_reason: choice
            .get("finish_reason")
            .and_then(Value::as_str)
            .map(str::to_owned),
        usage,
        raw: String::from_utf8_lossy(bytes).into_owned(),
    })
}

/// Whether an attempt's result says its endpoint is alive. A 4xx or 429 is an answer (the
/// request or the rate is the problem); connection failures, timeouts, cut or non-JSON bodies
/// and 5xx say the server is not serving.
fn health_verdict(result: &Result<Completion, RequestError>) -> Verdict {
    match result {
        Ok(_) | Err(RequestError::NoMessage(_)) => Verdict::Alive,
        Err(RequestError::Http { status, .. }) if *status < 500 && *status != 408 => Verdict::Alive,
        Err(_) => Verdict::Failed,
    }
}

/// `Retry-After` as seconds or as an HTTP date.
fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<f64>() {
        return (seconds.is_finite() && seconds >= 0.0).then(|| Duration::from_secs_f64(seconds));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(
        at.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

/// Checks and normalises one endpoint URL.
///
/// URLs carrying credentials (`user:password@host`) or a query string (`?api-key=…`) are
/// refused: the URL is recorded in the manifest and every attempt row, and the chat and model
/// paths are appended to it, so a query would end up in the wrong place. Keys travel only in
/// the `Authorization` header, read from `--api-key-env`.
fn endpoint(url: &str) -> Result<Endpoint, ClientError> {
    let trimmed = url.trim().trim_end_matches('/');
    let base = trimmed
        .strip_suffix("/chat/completions")
        .unwrap_or(trimmed)
        .to_owned();
    let parsed = reqwest::Url::parse(&base);
    // The URL as shown in errors: never with its password or query.
    let shown = match &parsed {
        Ok(parsed) => without_secrets(parsed),
        Err(_) => url.to_owned(),
    };
    let bad = |reason: &str| ClientError::BadUrl {
        url: shown.clone(),
        reason: reason.to_owned(),
    };
    let parsed = parsed.map_err(|e| bad(&e.to_string()))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(bad("the scheme must be http or https"));
    }
    if parsed.host_str().is_none() {
        return Err(bad("it has no host"));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(bad(
            "it carries credentials (user:password@host), which would be stored with the run; \
             put the key in an environment variable and name it with --api-key-env",
        ));
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(bad(
            "it has a query string or fragment (?... or #...), which would be stored with the run \
             and cut from the chat path; give the base URL only (e.g. http://host:8000/v1) and \
             pass a key with --api-key-env",
        ));
    }
    Ok(Endpoint {
        chat_url: format!("{base}/chat/completions"),
        models_url: format!("{base}/models"),
        base,
        in_flight: AtomicUsize::new(0),
        breaker: Breaker::default(),
    })
}

/// `url` without user name, password, query or fragment, for error messages.
fn without_secrets(url: &reqwest::Url) -> String {
    let mut shown = url.clone();
    // Only fails for URLs that cannot have credentials, which then have none to remove.
    let _ = shown.set_username("");
    let _ = shown.set_password(None);
    shown.set_query(None);
    shown.set_fragment(None);
    shown.to_string()
}

/// rustls with the *ring* provider and the platform's certificate store.
fn tls_config() -> Result<rustls::ClientConfig, ClientError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = rustls_platform_verifier::Verifier::new(Arc::clone(&provider))
        .map_err(|e| ClientError::Setup(e.to_string()))?;
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| ClientError::Setup(e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

fn listed_models(body: &[u8]) -> Vec<String> {
    serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| v.get("data").and_then(Value::as_array).cloned())
        .unwrap_or_default()
        .iter()
        .filter_map(|m| m.get("id").and_then(Value::as_str).map(str::to_owned))
        .collect()
}

/// The `error.message` of an OpenAI-style error body, else the start of the body.
fn error_message(body: &[u8]) -> String {
    serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| {
            let error = v.get("error")?;
            error
                .get("message")
                .and_then(Value::as_str)
                .or_else(|| error.as_str())
                .map(str::to_owned)
        })
        .unwrap_or_else(|| snippet(body))
}

fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let mut end = text.len().min(ERROR_SNIPPET);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].trim().to_owned()
}

/// The innermost cause of a transport error: "connection refused" rather than "error sending
/// request for url (...)".
fn describe_transport_error(err: &reqwest::Error) -> String {
    let mut source: &dyn std::error::Error = err;
    while let Some(next) = source.source() {
        source = next;
    }
    source.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_are_normalised() {
        let e = endpoint("http://localhost:8000/v1/").unwrap();
        assert_eq!(e.base, "http://localhost:8000/v1");
        assert_eq!(e.chat_url, "http://localhost:8000/v1/chat/completions");
        let e = endpoint("https://api.example.com/v1/chat/completions").unwrap();
        assert_eq!(e.models_url, "https://api.example.com/v1/models");
        assert!(endpoint("localhost:8000").is_err());
        assert!(endpoint("ftp://host/v1").is_err());
    }

    #[test]
    fn endpoints_with_credentials_are_refused_without_repeating_them() {
        for url in [
            "http://user:hunter2@localhost:8000/v1",
            "http://token@localhost:8000/v1",
            "https://gateway.example/v1?api-key=hunter2",
            "https://gateway.example/v1/chat/completions?api-version=2024-06-01",
            "https://gateway.example/v1#hunter2",
        ] {
            let error = endpoint(url).unwrap_err().to_string();
            assert!(error.contains("--api-key-env"), "{url}: {error}");
            assert!(!error.contains("hunter2"), "{url}: {error}");
            assert!(!error.contains("token@"), "{url}: {error}");
        }
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        assert_eq!(parse_retry_after("3"), Some(Duration::from_secs(3)));
        assert_eq!(parse_retry_after("0.5"), Some(Duration::from_millis(500)));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO),
            "a date in the past means now"
        );
        assert_eq!(parse_retry_after("soon"), None);
        assert_eq!(parse_retry_after("-1"), None);
    }

    #[test]
    fn completions_keep_reasoning_refusal_and_usage() {
        let body = br#"{"choices":[{"message":{"role":"assistant","content":"B","reasoning_content":"because","refusal":null},"finish_reason":"stop"}],"usage":{"prompt_tokens":12,"completion_tokens":1}}"#;
        let completion = parse_completion(body).unwrap();
        assert_eq!(completion.content, "B");
        assert_eq!(completion.reasoning.as_deref(), Some("because"));
        assert_eq!(completion.refusal, None);
        assert_eq!(completion.finish_reason.as_deref(), Some("stop"));
        assert_eq!(
            completion.usage,
            Some(Usage {
                prompt_tokens: 12,
                completion_tokens: 1
            })
        );
        assert_eq!(completion.raw.as_bytes(), body);

        let null_content = parse_completion(
            br#"{"choices":[{"message":{"content":null,"refusal":"I can't help"}}]}"#,
        )
        .unwrap();
        assert_eq!(null_content.content, "");
        assert_eq!(null_content.refusal.as_deref(), Some("I can't help"));

        assert!(matches!(
            parse_completion(b"{\"choices\": [{\"mess"),
            Err(RequestError::Malformed(_))
        ));
        assert!(matches!(
            parse_completion(b"{\"choices\": []}"),
            Err(RequestError::NoMessage(_))
        ));
    }

    #[test]
    fn retryable_errors_are_the_transient_ones() {
        let http = |status| RequestError::Http {
            status,
            message: String::new(),
            retry_after: None,
        };
        assert!(http(429).is_retryable());
        assert!(http(503).is_retryable());
        assert!(http(408).is_retryable());
        assert!(!http(400).is_retryable());
        assert!(!http(404).is_retryable());
        assert!(RequestError::Timeout(Duration::from_secs(1)).is_retryable());
        assert!(RequestError::Body("eof".into()).is_retryable());
        assert!(!RequestError::NoMessage(String::new()).is_retryable());
    }

    #[test]
    fn api_keys_never_print() {
        let key = ApiKey::new("sk-secret");
        assert_eq!(format!("{key:?}"), "ApiKey(<redacted>)");
        let mut config = ClientConfig::new(vec!["http://x/v1".into()], "m");
        config.api_key = Some(key);
        assert!(!format!("{config:?}").contains("sk-secret"));
    }
}
