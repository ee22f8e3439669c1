//! Things that answer items.
//!
//! - [`ChatClient`]: any model behind an OpenAI-compatible `/v1/chat/completions` endpoint, with
//!   bounded, adaptive concurrency, retries with back-off, and load spread over several endpoints.
//! - [`Baseline`]: built-in reference answerers (random, majority, blind) that need no server.
//! - [`images`] and [`request`]: how an item's rendered prompt and images become a request body.

mod baseline;
mod client;
mod health;
pub mod images;
mod limiter;
mod png_chunks;
mod redact;
pub mod request;

pub use baseline::Baseline;
pub use client::{
    ApiKey, Attempt, ChatClient, ClientConfig, ClientError, Exchange, RequestError, RetryPause,
    parse_completion,
};
pub use health::EndpointHealth;
