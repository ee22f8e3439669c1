//! The OpenAI-compatible chat client: one request per sample, retried when that can help.
//!
//! vLLM, SGLang, Ollama, llama.cpp's server, LM Studio, TGI, OpenAI and most gateways accept
//! `POST {base}/chat/completions`, so that is the one protocol spoken here. Every attempt is
//! reported back (endpoint, status, latency, error) so the store can keep the full history.
//!
//! Retried: 408, 429, 5xx, timeouts, connection failures, bodies cut short, and 200 responses
//! whose body is not JSON or whose message content is not text (`"content": 42`). Not retried:
//! other 4xx (a bad request stays bad), well-formed responses without a message, and answers
//! made of tool calls only (medeval offers no tools; the model chose not to answer in text).
//! Back-off is exponential with jitter; a `Retry-After` header is honoured (up to ten minutes by
//! default) and a 429's pauses every request, not only the one that received it. Each such pause
//! is reported to the caller once ([`RetryPause`], through [`ChatClient::complete_observed`]),
//! so a long silent wait can be shown; the client itself prints nothing.
//!
//! A response body is read as it streams in and never beyond
//! [`ClientConfig::max_response_bytes`]: a larger answer ends the attempt at the limit
//! ([`RequestError::TooLarge`], not retried), so a faulty server cannot make a run hold or
//! store gigabytes. Error bodies are read only as far as their message needs.

use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use medeval_core::limits::{DEFAULT_MAX_RESPONSE_BYTES, byte_size};
use medeval_core::{Completion, Usage};
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER};
use serde_json::Value;

use crate::health::{Availability, Breaker, EndpointHealth, Verdict};
use crate::limiter::Limiter;
use crate::redact::Redactor;

/// Longest `Retry-After` honoured by default; a server asking for more is waited on for this
/// long.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(600);
/// A server-requested pause is reported when it ends at least this long after the last one
/// reported: the 429s of requests in flight together make one pause, not one each.
const PAUSE_REPORT_GAP: Duration = Duration::from_secs(1);
/// Bytes of an error body kept in messages.
const ERROR_SNIPPET: usize = 300;
/// Bytes of an error body (a non-200 answer) read at most: its message is all that is kept.
const ERROR_BODY_BYTES: u64 = 64 * 1024;

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
    /// Longest wait honoured when a server sends `Retry-After`; it asking for more is waited on
    /// for this long (and the [`RetryPause`] says so).
    pub max_retry_after: Duration,
    /// Largest response body read, in bytes: a longer one ends its attempt as
    /// [`RequestError::TooLarge`] as soon as the limit is passed (or at once, when its
    /// `Content-Length` says so).
    pub max_response_bytes: u64,
    /// Refuse a run whose model the endpoint does not list (by id or alias) in `/models`.
    /// Off for servers that accept names they do not list; a name not listed is then a
    /// warning.
    pub check_model: bool,
    /// How long the start-up check waits for an endpoint that answers HTTP 503 (a server still
    /// loading its model) before it gives up.
    pub ready_wait: Duration,
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
            max_retry_after: MAX_RETRY_AFTER,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            check_model: true,
            ready_wait: DEFAULT_READY_WAIT,
        }
    }
}

/// How long the start-up check waits, by default, for a server still loading its model.
pub const DEFAULT_READY_WAIT: Duration = Duration::from_secs(120);

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
    /// An `https://` endpoint is a plain-HTTP server.
    #[error(
        "cannot reach {endpoint} over TLS, but {plain} answers: the server speaks plain HTTP; use --endpoint {plain}"
    )]
    PlainHttp {
        /// The endpoint's base URL, as given.
        endpoint: String,
        /// The same address over plain HTTP.
        plain: String,
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
    #[error(
        "model {model:?} is not served by {endpoint}; it serves: {} (a server that accepts names it does not list: pass --no-model-check)",
        .available.join(", ")
    )]
    ModelNotServed {
        /// The endpoint's base URL.
        endpoint: String,
        /// The model asked for.
        model: String,
        /// The models the endpoint lists.
        available: Vec<String>,
    },
    /// An endpoint kept answering HTTP 503 (still loading, or overloaded) for as long as the
    /// start-up check waits.
    #[error(
        "{endpoint}/models still answered HTTP 503 ({body}) after {waited_s} s; the server is still loading its model or is overloaded: start the run again when it answers"
    )]
    NotReady {
        /// The endpoint's base URL.
        endpoint: String,
        /// Seconds waited.
        waited_s: u64,
        /// The server's message.
        body: String,
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
    /// The message's `content` is neither text, a list of text parts nor null (`42`, `{}`,
    /// parts without text): a server fault, retried like a body that is not JSON.
    #[error("response is malformed: {0}")]
    Content(String),
    /// The message has no text, only tool calls (named here). medeval offers the model no
    /// tools, so there is nothing to score; asking again would get the same, so it is not
    /// retried.
    #[error(
        "the model answered with tool calls only ({0}) and no text; medeval offers no tools, so there is no answer to score"
    )]
    ToolCallsOnly(String),
    /// The response body is larger than [`ClientConfig::max_response_bytes`]; reading stopped
    /// at the limit. Not retried: the same request would get the same answer, and reading it
    /// again costs as much.
    #[error(
        "response body {} the {} limit (--max-response-bytes); a chat answer is far smaller, so \
         check the server (or raise the limit)",
        .declared.map_or_else(|| "is larger than".to_owned(), |n| format!("is {n} bytes, more than")),
        byte_size(*.limit)
    )]
    TooLarge {
        /// The limit, in bytes.
        limit: u64,
        /// The size the server announced (`Content-Length`), when it did.
        declared: Option<u64>,
    },
    /// The caller stopped the request (a run interrupted) before it had an answer, during an
    /// attempt or while waiting to retry; with the last finished attempt's error, if any.
    #[error("stopped before an answer{}", last_error(.0))]
    Interrupted(Option<String>),
}

fn last_error(error: &Option<String>) -> String {
    error
        .as_ref()
        .map(|e| format!(" (the last attempt had failed: {e})"))
        .unwrap_or_default()
}

impl RequestError {
    /// Whether another attempt may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Connect(_)
            | Self::Timeout(_)
            | Self::Body(_)
            | Self::Malformed(_)
            | Self::Content(_) => true,
            Self::Http { status, .. } => *status == 408 || *status == 429 || *status >= 500,
            Self::NoMessage(_)
            | Self::ToolCallsOnly(_)
            | Self::TooLarge { .. }
            | Self::Interrupted(_) => false,
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
            Self::Content(text) => Self::Content(f(text)),
            Self::ToolCallsOnly(text) => Self::ToolCallsOnly(f(text)),
            Self::TooLarge { limit, declared } => Self::TooLarge { limit, declared },
            Self::Interrupted(text) => Self::Interrupted(text.map(f)),
        }
    }

    /// The HTTP status, when a response arrived.
    pub fn http_status(&self) -> Option<u16> {
        match self {
            Self::Http { status, .. } => Some(*status),
            Self::Malformed(_)
            | Self::NoMessage(_)
            | Self::Body(_)
            | Self::Content(_)
            | Self::TooLarge { .. }
            | Self::ToolCallsOnly(_) => Some(200),
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

/// A wait before the next attempt that a server asked for with `Retry-After`.
///
/// Reported once per pause: when several requests are told to wait at about the same time
/// (every request in flight gets the 429), only the first is reported.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPause {
    /// The endpoint that asked.
    pub endpoint: String,
    /// The status it answered with (429, 503 ...).
    pub status: u16,
    /// The attempt that received it, from 1.
    pub attempt: u32,
    /// The wait the server asked for.
    pub requested: Duration,
    /// The wait the client makes: `requested`, capped at [`ClientConfig::max_retry_after`].
    pub waiting: Duration,
    /// Whether every request of the client waits (after a 429), or only this one.
    pub everyone: bool,
}

impl RetryPause {
    /// Whether the server asked for more than the client waits.
    pub fn capped(&self) -> bool {
        self.waiting < self.requested
    }
}

impl fmt::Display for RetryPause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "server {} (HTTP {}) asked to wait {} s; waiting {} s",
            self.endpoint,
            self.status,
            seconds(self.requested),
            seconds(self.waiting)
        )?;
        if self.capped() {
            f.write_str(" (capped)")?;
        }
        if self.everyone {
            f.write_str(" before sending any request")?;
        }
        Ok(())
    }
}

/// Seconds as a server writes them: whole when they are, else with up to three decimals.
fn seconds(duration: Duration) -> String {
    if duration.subsec_nanos() == 0 {
        duration.as_secs().to_string()
    } else {
        let text = format!("{:.3}", duration.as_secs_f64());
        text.trim_end_matches('0').to_owned()
    }
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
    /// When the last reported server-requested pause ends.
    reported_pause_until: Mutex<Option<Instant>>,
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
            reported_pause_until: Mutex::new(None),
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
        self.preflight_observed(&|_| {}).await
    }

    /// [`ChatClient::preflight`], telling `on_wait` when an endpoint answers HTTP 503 (a server
    /// still loading its model) and the check waits for it, up to
    /// [`ClientConfig::ready_wait`].
    pub async fn preflight_observed(
        &self,
        on_wait: &(dyn Fn(&str) + Send + Sync),
    ) -> Result<Vec<String>, ClientError> {
        let mut warnings = Vec::new();
        for endpoint in &self.endpoints {
            let (status, body) = self.models_when_ready(endpoint, on_wait).await?;
            match status {
                200 => {
                    let available = listed_models(&body);
                    if !available.iter().any(|m| m == &self.config.model) {
                        if self.config.check_model {
                            return Err(ClientError::ModelNotServed {
                                endpoint: endpoint.base.clone(),
                                model: self.config.model.clone(),
                                available,
                            });
                        }
                        warnings.push(format!(
                            "{} does not list the model {:?} (it lists: {}); sending it anyway, as --no-model-check asks",
                            endpoint.base,
                            self.config.model,
                            available.join(", ")
                        ));
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

    /// `GET /models` of `endpoint`, asked again while it answers HTTP 503 (a server loading its
    /// model), every second at first and then up to every 5 s, for at most
    /// [`ClientConfig::ready_wait`]; `on_wait` is told once, when the waiting starts.
    async fn models_when_ready(
        &self,
        endpoint: &Endpoint,
        on_wait: &(dyn Fn(&str) + Send + Sync),
    ) -> Result<(u16, Vec<u8>), ClientError> {
        let started = Instant::now();
        let mut pause = Duration::from_secs(1);
        let mut told = false;
        loop {
            let (status, body) = self.list_models(endpoint).await?;
            if status != 503 {
                return Ok((status, body));
            }
            let waited = started.elapsed();
            let message = self.redactor.error_text(&error_message(&body));
            if waited >= self.config.ready_wait {
                return Err(ClientError::NotReady {
                    endpoint: endpoint.base.clone(),
                    waited_s: waited.as_secs(),
                    body: message,
                });
            }
            if !told {
                told = true;
                on_wait(&format!(
                    "{} answered HTTP 503 ({message}); waiting up to {} s for it to be ready",
                    endpoint.base,
                    self.config.ready_wait.as_secs()
                ));
            }
            tokio::time::sleep(pause.min(self.config.ready_wait.saturating_sub(waited))).await;
            pause = (pause * 2).min(Duration::from_secs(5));
        }
    }

    /// One `GET /models`: its status and (bounded) body.
    async fn list_models(&self, endpoint: &Endpoint) -> Result<(u16, Vec<u8>), ClientError> {
        let mut request = self
            .http
            .get(&endpoint.models_url)
            .timeout(self.config.connect_timeout + Duration::from_secs(20));
        if let Some(key) = &self.config.api_key {
            request = request.header(AUTHORIZATION, format!("Bearer {}", key.secret()));
        }
        let response = match request.send().await {
            Ok(response) => response,
            Err(error) => {
                if let Some(plain) = self.answers_plain_http(endpoint).await {
                    return Err(ClientError::PlainHttp {
                        endpoint: endpoint.base.clone(),
                        plain,
                    });
                }
                return Err(ClientError::Unreachable {
                    endpoint: endpoint.base.clone(),
                    reason: describe_transport_error(&error),
                });
            }
        };
        let status = response.status().as_u16();
        let limit = if status == 200 {
            self.config.max_response_bytes
        } else {
            ERROR_BODY_BYTES
        };
        let body = match read_body(response, limit).await {
            Ok(body) | Err(BodyError::TooLarge(body)) => body,
            Err(BodyError::Transport(_)) => Vec::new(),
        };
        Ok((status, body))
    }

    /// When an `https://` endpoint could not be reached: the same address as `http://`, if a
    /// plain-HTTP server answers there (any HTTP status), so the error can say what happened
    /// instead of a bare timeout or handshake failure.
    async fn answers_plain_http(&self, endpoint: &Endpoint) -> Option<String> {
        let plain = endpoint.models_url.strip_prefix("https://")?;
        let probe = format!("http://{plain}");
        self.http
            .get(&probe)
            .timeout(Duration::from_secs(5))
            .send()
            .await
            .ok()?;
        Some(format!(
            "http://{}",
            endpoint.base.strip_prefix("https://")?
        ))
    }

    /// Sends one chat request body, retrying as described in the module documentation.
    pub async fn complete(&self, body: &bytes::Bytes) -> Exchange {
        self.complete_observed(body, &|_| {}, std::future::pending())
            .await
    }

    /// [`ChatClient::complete`], telling `on_pause` of every wait a server asks for with
    /// `Retry-After` (once per pause, as it starts), and giving up when `stop` completes.
    ///
    /// A stopped request ends with [`RequestError::Interrupted`] and keeps the attempts it
    /// made: a request stopped while it waits out a `Retry-After` has only those to show.
    pub async fn complete_observed(
        &self,
        body: &bytes::Bytes,
        on_pause: &(dyn Fn(&RetryPause) + Send + Sync),
        stop: impl Future<Output = ()>,
    ) -> Exchange {
        let started = Instant::now();
        let mut attempts = Vec::new();
        let finished = {
            let attempting = self.attempt(body, on_pause, &mut attempts);
            tokio::select! {
                biased;
                () = stop => None,
                result = attempting => Some(result),
            }
        };
        let result = finished.unwrap_or_else(|| {
            Err(RequestError::Interrupted(
                attempts.last().and_then(|a| a.error.clone()),
            ))
        });
        Exchange {
            result,
            attempts,
            elapsed: started.elapsed(),
        }
    }

    /// The attempts of one request until one succeeds, fails for good, or the last is made;
    /// each is added to `attempts` as it ends.
    async fn attempt(
        &self,
        body: &bytes::Bytes,
        on_pause: &(dyn Fn(&RetryPause) + Send + Sync),
        attempts: &mut Vec<Attempt>,
    ) -> Result<Completion, RequestError> {
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
                    return Ok(completion);
                }
                Err(error) => error,
            };
            if !error.is_retryable() || number >= max_attempts {
                return Err(error);
            }
            let backoff = self.backoff(number);
            let cap = self.config.max_retry_after;
            let (wait, asked) = match &error {
                RequestError::Http {
                    status: 429,
                    retry_after,
                    ..
                } => {
                    let wait = retry_after.map_or(backoff, |r| r.min(cap));
                    self.limiter.rate_limited(wait).await;
                    (wait, retry_after.map(|r| (429, r, true)))
                }
                RequestError::Http {
                    status,
                    retry_after: Some(retry_after),
                    ..
                } => (
                    (*retry_after).min(cap),
                    Some((*status, *retry_after, false)),
                ),
                _ => (backoff, None),
            };
            if let Some((status, requested, everyone)) = asked {
                let pause = RetryPause {
                    endpoint: endpoint.base.clone(),
                    status,
                    attempt: number,
                    requested,
                    waiting: wait,
                    everyone,
                };
                if self.is_new_pause(&pause) {
                    on_pause(&pause);
                }
            }
            tokio::time::sleep(wait).await;
        }
    }

    /// Whether `pause`, starting now, is one to report: it asks for a wait and ends at least
    /// [`PAUSE_REPORT_GAP`] after the last reported one.
    fn is_new_pause(&self, pause: &RetryPause) -> bool {
        if pause.requested.is_zero() {
            return false;
        }
        let until = Instant::now() + pause.waiting;
        let mut reported = self
            .reported_pause_until
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if reported.is_some_and(|last| until < last + PAUSE_REPORT_GAP) {
            return false;
        }
        *reported = Some(until);
        true
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
            let takes_requests = |i: &usize| {
                !matches!(
                    self.endpoints[*i].breaker.availability(now),
                    Availability::Open(_)
                )
            };
            let order = || {
                (0..n)
                    .map(|offset| (start + offset) % n)
                    .filter(takes_requests)
            };
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
        if status != 200 {
            // Only the message is kept: an error body is read no further than it needs.
            let bytes = match read_body(response, ERROR_BODY_BYTES).await {
                Ok(bytes) | Err(BodyError::TooLarge(bytes)) => bytes,
                Err(BodyError::Transport(e)) => return Err(self.body_error(&e)),
            };
            return Err(RequestError::Http {
                status,
                message: error_message(&bytes),
                retry_after,
            });
        }
        let limit = self.config.max_response_bytes;
        let too_large = |declared| RequestError::TooLarge { limit, declared };
        let declared = response.content_length();
        if declared.is_some_and(|length| length > limit) {
            return Err(too_large(declared));
        }
        let bytes = read_body(response, limit).await.map_err(|e| match e {
            BodyError::TooLarge(_) => too_large(None),
            BodyError::Transport(e) => self.body_error(&e),
        })?;
        parse_completion_owned(bytes)
    }

    /// A failure while reading a body: a timeout, or a body cut short.
    fn body_error(&self, e: &reqwest::Error) -> RequestError {
        if e.is_timeout() {
            RequestError::Timeout(self.config.timeout)
        } else {
            RequestError::Body(describe_transport_error(e))
        }
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
///
/// `content` may be a string, a list of parts (the text parts are joined) or null/absent (an
/// empty answer, or with `refusal` a refusal). Anything else is [`RequestError::Content`]; a
/// message without text whose `tool_calls` (or legacy `function_call`) are set is
/// [`RequestError::ToolCallsOnly`].
pub fn parse_completion(bytes: &[u8]) -> Result<Completion, RequestError> {
    parse_completion_owned(bytes.to_vec())
}

/// [`parse_completion`] of a body the caller gives away: the body becomes the completion's
/// `raw` text without being copied, and the answer is moved out of the parsed JSON, so a large
/// answer is held as few times as possible.
fn parse_completion_owned(bytes: Vec<u8>) -> Result<Completion, RequestError> {
    let raw = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    };
    let mut value: Value =
        serde_json::from_str(&raw).map_err(|e| RequestError::Malformed(e.to_string()))?;
    let usage = value.get("usage").map(|u| Usage {
        prompt_tokens: u.get("prompt_tokens").and_then(Value::as_u64).unwrap_or(0),
        completion_tokens: u
            .get("completion_tokens")
            .and_then(Value::as_u64)
            .unwrap_or(0),
    });
    let no_message = || RequestError::NoMessage(snippet(raw.as_bytes()));
    let choice = value
        .get_mut("choices")
        .and_then(|c| c.get_mut(0))
        .ok_or_else(no_message)?;
    let finish_reason = choice
        .get("finish_reason")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let message = choice.get_mut("message").ok_or_else(no_message)?;
    let content = message_content(message)?;
    let refusal = text_field(message, "refusal").filter(|r| !r.is_empty());
    if content.trim().is_empty() && refusal.is_none() {
        if let Some(tools) = tool_calls(message) {
            return Err(RequestError::ToolCallsOnly(tools));
        }
    }
    // vLLM and SGLang call it `reasoning_content`; some servers say `reasoning`.
    let reasoning = text_field(message, "reasoning_content")
        .or_else(|| text_field(message, "reasoning"))
        .filter(|r| !r.is_empty());
    Ok(Completion {
        content,
        reasoning,
        refusal,
        finish_reason,
        usage,
        raw,
    })
}

/// A text field of a message: a string, or the text parts of a list joined.
fn text_field(message: &Value, name: &str) -> Option<String> {
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
}

/// Why a body was not read to its end.
enum BodyError {
    /// It is longer than the limit; the bytes read up to the limit.
    TooLarge(Vec<u8>),
    /// The connection failed or timed out.
    Transport(reqwest::Error),
}

/// Reads a response body as it streams in, holding at most `limit` bytes.
async fn read_body(mut response: reqwest::Response, limit: u64) -> Result<Vec<u8>, BodyError> {
    let expected = response.content_length().unwrap_or(0).min(limit);
    let mut body = Vec::with_capacity(usize::try_from(expected).unwrap_or(0));
    while let Some(chunk) = response.chunk().await.map_err(BodyError::Transport)? {
        let room = usize::try_from(limit)
            .unwrap_or(usize::MAX)
            .saturating_sub(body.len());
        if chunk.len() > room {
            body.extend_from_slice(&chunk[..room]);
            return Err(BodyError::TooLarge(body));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// The text of a message's `content`: a string, the text parts of a list joined, or empty when
/// null or absent. Any other value, or a list of parts none of which has text, is not an
/// answer a model gives: the server is at fault.
fn message_content(message: &mut Value) -> Result<String, RequestError> {
    let unusable = |what: &str, value: &Value| {
        let mut shown = value.to_string();
        if shown.len() > ERROR_SNIPPET {
            shown = snippet(shown.as_bytes()) + " ...";
        }
        RequestError::Content(format!("choices[0].message.content is {what}: {shown}"))
    };
    match message.get_mut("content") {
        None | Some(Value::Null) => Ok(String::new()),
        // Moved out, not copied: the answer may be most of the body.
        Some(Value::String(text)) => Ok(std::mem::take(text)),
        Some(Value::Array(parts)) => {
            let texts: Vec<&str> = parts
                .iter()
                .filter_map(|p| p.get("text").and_then(Value::as_str))
                .collect();
            if texts.is_empty() && !parts.is_empty() {
                return Err(unusable(
                    "a list of parts without text",
                    &Value::Array(parts.clone()),
                ));
            }
            Ok(texts.concat())
        }
        Some(other) => Err(unusable(json_kind(other), other)),
    }
}

/// The names of the tools a message calls (`tool_calls`, or the older `function_call`), when
/// it calls any.
fn tool_calls(message: &Value) -> Option<String> {
    let name = |call: &Value| {
        call.get("function")
            .unwrap_or(call)
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("unnamed")
            .to_owned()
    };
    let names: Vec<String> = match (message.get("tool_calls"), message.get("function_call")) {
        (Some(Value::Array(calls)), _) if !calls.is_empty() => calls.iter().map(name).collect(),
        (_, Some(call @ Value::Object(_))) => vec![name(call)],
        _ => return None,
    };
    Some(format!(
        "{} call{}: {}",
        names.len(),
        if names.len() == 1 { "" } else { "s" },
        names.join(", ")
    ))
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// Whether an attempt's result says its endpoint is alive. A 4xx or 429 is an answer (the
/// request or the rate is the problem), and so is an answer of tool calls only; connection
/// failures, timeouts, cut or non-JSON bodies, content that is not text and 5xx say the server
/// is not serving.
fn health_verdict(result: &Result<Completion, RequestError>) -> Verdict {
    match result {
        Ok(_)
        | Err(
            RequestError::NoMessage(_)
            | RequestError::ToolCallsOnly(_)
            | RequestError::Interrupted(_),
        ) => Verdict::Alive,
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

/// The names a `/models` body lists: each model's `id` and its `aliases` (llama.cpp's server
/// names a model by its file path and lists the `--alias` given to it there).
fn listed_models(body: &[u8]) -> Vec<String> {
    let listing = serde_json::from_slice::<Value>(body).unwrap_or(Value::Null);
    let models = listing
        .get("data")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let mut names = Vec::new();
    for model in models {
        names.extend(model.get("id").and_then(Value::as_str).map(str::to_owned));
        let aliases = model
            .get("aliases")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default();
        names.extend(aliases.iter().filter_map(Value::as_str).map(str::to_owned));
    }
    names
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
    fn listed_models_include_aliases_as_llama_server_lists_them() {
        // The shape of llama.cpp's `/v1/models` for `-m /models/q.gguf --alias qwen2.5-0.5b`.
        let body = br#"{"models":[{"name":"/models/q.gguf","model":"/models/q.gguf"}],"object":"list","data":[{"id":"/models/q.gguf","aliases":["qwen2.5-0.5b"],"tags":[],"object":"model","owned_by":"llamacpp"}]}"#;
        assert_eq!(listed_models(body), ["/models/q.gguf", "qwen2.5-0.5b"]);
        assert_eq!(
            listed_models(br#"{"data":[{"id":"a"},{"id":"b","aliases":"not a list"}]}"#),
            ["a", "b"]
        );
        assert!(listed_models(b"not json").is_empty());
    }

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
    fn content_that_is_not_text_is_malformed_and_tool_calls_only_are_their_own_case() {
        let message =
            |m: &str| format!(r#"{{"choices":[{{"message":{m},"finish_reason":"stop"}}]}}"#);
        let parse = |m: &str| parse_completion(message(m).as_bytes());

        // Null or absent content is an empty answer (scored unparsed), not an error.
        assert_eq!(parse(r#"{"content":null}"#).unwrap().content, "");
        assert_eq!(parse(r#"{"role":"assistant"}"#).unwrap().content, "");
        // Text parts are joined; an empty list is an empty answer.
        let parts = r#"{"content":[{"type":"text","text":"B"},{"type":"text","text":"."}]}"#;
        assert_eq!(parse(parts).unwrap().content, "B.");
        assert_eq!(parse(r#"{"content":[]}"#).unwrap().content, "");

        for (content, kind) in [
            ("42", "a number: 42"),
            ("true", "a boolean: true"),
            (r#"{"text":"B"}"#, r#"an object: {"text":"B"}"#),
            (
                r#"[{"type":"image_url","image_url":{"url":"x"}}]"#,
                "a list of parts without text",
            ),
        ] {
            let error = parse(&format!(r#"{{"content":{content}}}"#)).unwrap_err();
            assert!(
                matches!(&error, RequestError::Content(m) if m.contains(kind)),
                "{content}: {error}"
            );
            assert!(error.is_retryable(), "{content}");
            assert_eq!(error.http_status(), Some(200));
            assert_eq!(health_verdict(&Err(error)), Verdict::Failed, "{content}");
        }

        let tool_calls = r#"{"content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"lookup_guideline","arguments":"{}"}}]}"#;
        let error = parse(tool_calls).unwrap_err();
        assert_eq!(
            error,
            RequestError::ToolCallsOnly("1 call: lookup_guideline".into())
        );
        assert!(!error.is_retryable());
        assert_eq!(health_verdict(&Err(error)), Verdict::Alive);
        let legacy = r#"{"content":"","function_call":{"name":"f","arguments":"{}"}}"#;
        assert_eq!(
            parse(legacy).unwrap_err(),
            RequestError::ToolCallsOnly("1 call: f".into())
        );
        // Text beside the tool calls is an answer; so is a refusal.
        let with_text = r#"{"content":"B","tool_calls":[{"function":{"name":"f"}}]}"#;
        assert_eq!(parse(with_text).unwrap().content, "B");
        let refused = r#"{"content":null,"refusal":"no","tool_calls":[{"function":{"name":"f"}}]}"#;
        assert_eq!(parse(refused).unwrap().refusal.as_deref(), Some("no"));
    }

    #[test]
    fn pauses_name_what_was_asked_and_what_is_waited() {
        let pause = RetryPause {
            endpoint: "http://h/v1".into(),
            status: 429,
            attempt: 1,
            requested: Duration::from_secs(100_000),
            waiting: Duration::from_secs(600),
            everyone: true,
        };
        assert!(pause.capped());
        assert_eq!(
            pause.to_string(),
            "server http://h/v1 (HTTP 429) asked to wait 100000 s; waiting 600 s (capped) before sending any request"
        );
        let short = RetryPause {
            status: 503,
            requested: Duration::from_millis(2500),
            waiting: Duration::from_millis(2500),
            everyone: false,
            ..pause
        };
        assert!(!short.capped());
        assert_eq!(
            short.to_string(),
            "server http://h/v1 (HTTP 503) asked to wait 2.5 s; waiting 2.5 s"
        );
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
