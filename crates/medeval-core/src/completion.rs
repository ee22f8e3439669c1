//! Completions: what a model returned for one request, before any scoring.

use serde::{Deserialize, Serialize};

/// Token counts reported by the server.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    /// Tokens in the prompt (images included, as the server counts them).
    pub prompt_tokens: u64,
    /// Tokens generated.
    pub completion_tokens: u64,
}

/// One model response, as received. Scoring reads `content` (and `refusal`); everything else is
/// kept for audit.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Completion {
    /// The answer text (`choices[0].message.content`); empty when the server sent none.
    pub content: String,
    /// Separated reasoning (`reasoning_content` from reasoning parsers), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning: Option<String>,
    /// An API-level refusal message, if the server sent one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refusal: Option<String>,
    /// Why generation stopped (`stop`, `length` ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finish_reason: Option<String>,
    /// Token counts, when reported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
    /// The full response body exactly as received (empty for built-in baselines).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub raw: String,
}

impl Completion {
    /// A completion holding only answer text (baselines, prediction files).
    pub fn text(content: impl Into<String>) -> Self {
        Self {
            content: content.into(),
            ..Self::default()
        }
    }
}
