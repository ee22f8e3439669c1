//! Completions: what a model returned for one request, before any scoring.
//!
//! A completion is stored (and cached) as JSON. Its answer is most of the response body, so it is
//! written once: when the answer can be read back from the raw body (it is the body's
//! `choices[0].message.content`, as text or text parts), only the raw body is written and the
//! answer is read from it when the completion is read. Completions written before that, with
//! both, read as they always have.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

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
///
/// Its JSON form leaves `content` out when `raw` holds it (see the module documentation).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Completion {
    /// The answer text (`choices[0].message.content`); empty when the server sent none.
    pub content: String,
    /// Separated reasoning (`reasoning_content` from reasoning parsers), if any.
    pub reasoning: Option<String>,
    /// An API-level refusal message, if the server sent one.
    pub refusal: Option<String>,
    /// Why generation stopped (`stop`, `length` ...).
    pub finish_reason: Option<String>,
    /// Token counts, when reported.
    pub usage: Option<Usage>,
    /// The full response body exactly as received (empty for built-in baselines).
    pub raw: String,
}

/// The JSON form of a [`Completion`]: `content` is absent when `raw` holds it.
#[derive(Serialize, Deserialize)]
struct Stored<'a> {
    #[serde(default, skip_serializing_if = "Option::is_none", borrow)]
    content: Option<std::borrow::Cow<'a, str>>,
    #[serde(default, skip_serializing_if = "Option::is_none", borrow)]
    reasoning: Option<std::borrow::Cow<'a, str>>,
    #[serde(default, skip_serializing_if = "Option::is_none", borrow)]
    refusal: Option<std::borrow::Cow<'a, str>>,
    #[serde(default, skip_serializing_if = "Option::is_none", borrow)]
    finish_reason: Option<std::borrow::Cow<'a, str>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    usage: Option<Usage>,
    #[serde(default, skip_serializing_if = "str::is_empty", borrow)]
    raw: std::borrow::Cow<'a, str>,
}

impl Serialize for Completion {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let in_raw = answer_in_body(&self.raw).is_some_and(|answer| answer == self.content);
        Stored {
            content: (!in_raw).then_some(std::borrow::Cow::Borrowed(self.content.as_str())),
            reasoning: borrowed(&self.reasoning),
            refusal: borrowed(&self.refusal),
            finish_reason: borrowed(&self.finish_reason),
            usage: self.usage,
            raw: std::borrow::Cow::Borrowed(&self.raw),
        }
        .serialize(serializer)
    }
}

fn borrowed(text: &Option<String>) -> Option<std::borrow::Cow<'_, str>> {
    text.as_deref().map(std::borrow::Cow::Borrowed)
}

impl<'de> Deserialize<'de> for Completion {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let stored = Stored::deserialize(deserializer)?;
        let raw = stored.raw.into_owned();
        let content = match stored.content {
            Some(content) => content.into_owned(),
            None if raw.is_empty() => String::new(),
            None => answer_in_body(&raw).ok_or_else(|| {
                serde::de::Error::custom(
                    "the completion has no content and its raw body holds no answer text",
                )
            })?,
        };
        Ok(Self {
            content,
            reasoning: stored.reasoning.map(std::borrow::Cow::into_owned),
            refusal: stored.refusal.map(std::borrow::Cow::into_owned),
            finish_reason: stored.finish_reason.map(std::borrow::Cow::into_owned),
            usage: stored.usage,
            raw,
        })
    }
}

/// The answer text a chat completion body holds: `choices[0].message.content` as a string, the
/// text parts of a list joined, or empty when null or absent. `None` when the body is not JSON,
/// has no message, or its content is something else.
fn answer_in_body(raw: &str) -> Option<String> {
    /// Only the path to the answer is read; everything else in the body is skipped unbuilt.
    #[derive(Deserialize)]
    struct Body {
        choices: Vec<Choice>,
    }
    #[derive(Deserialize)]
    struct Choice {
        message: Message,
    }
    #[derive(Deserialize)]
    struct Message {
        #[serde(default)]
        content: Value,
    }
    if raw.is_empty() {
        return None;
    }
    let body: Body = serde_json::from_str(raw).ok()?;
    let message = body.choices.into_iter().next()?.message;
    match message.content {
        Value::Null => Some(String::new()),
        Value::String(text) => Some(text),
        Value::Array(parts) => {
            let texts: Vec<&str> = parts
                .iter()
                .filter_map(|part| part.get("text").and_then(Value::as_str))
                .collect();
            (parts.is_empty() || !texts.is_empty()).then(|| texts.concat())
        }
        _ => None,
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn from_body(raw: &str, content: &str) -> Completion {
        Completion {
            content: content.into(),
            finish_reason: Some("stop".into()),
            raw: raw.into(),
            ..Completion::default()
        }
    }

    #[test]
    fn an_answer_the_raw_body_holds_is_stored_once_and_read_back() {
        let answer = "The opacity in the left lower lobe is consolidation: B. ".repeat(100);
        let raw = format!(
            r#"{{"id":"c1","choices":[{{"index":0,"message":{{"role":"assistant","content":{}}},"finish_reason":"stop"}}]}}"#,
            serde_json::to_string(&answer).unwrap()
        );
        let completion = from_body(&raw, &answer);
        let json = serde_json::to_string(&completion).unwrap();
        assert_eq!(
            json.matches("left lower lobe").count(),
            100,
            "the answer once"
        );
        assert!(
            json.len() < raw.len() + 200,
            "{} against {}",
            json.len(),
            raw.len()
        );
        let back: Completion = serde_json::from_str(&json).unwrap();
        assert_eq!(back, completion);
    }

    #[test]
    fn an_answer_that_differs_from_the_raw_body_is_stored_beside_it() {
        // A key removed from the answer but not found in the body's escaped text, or text parts
        // joined: whenever reading the body back would not give the answer, it is written.
        let raw = r#"{"choices":[{"message":{"content":"key sk-1 here"}}]}"#;
        let completion = from_body(raw, "key <redacted> here");
        let json = serde_json::to_string(&completion).unwrap();
        assert!(
            json.contains(r#""content":"key <redacted> here""#),
            "{json}"
        );
        let back: Completion = serde_json::from_str(&json).unwrap();
        assert_eq!(back, completion);

        let parts = r#"{"choices":[{"message":{"content":[{"type":"text","text":"B"},{"type":"text","text":"."}]}}]}"#;
        let completion = from_body(parts, "B.");
        let json = serde_json::to_string(&completion).unwrap();
        assert!(!json.contains(r#""content":"B.""#), "{json}");
        assert_eq!(
            serde_json::from_str::<Completion>(&json).unwrap(),
            completion
        );

        // Baselines and prediction files have no body: the answer is all there is.
        let text = Completion::text("A");
        let json = serde_json::to_string(&text).unwrap();
        assert_eq!(json, r#"{"content":"A"}"#);
        assert_eq!(serde_json::from_str::<Completion>(&json).unwrap(), text);
    }

    #[test]
    fn completions_written_with_both_fields_still_read() {
        // As medeval 0.1.0 wrote them.
        let json = r#"{"content":"B","finish_reason":"stop","usage":{"prompt_tokens":3,"completion_tokens":1},"raw":"{\"choices\":[{\"message\":{\"content\":\"B\"}}]}"}"#;
        let completion: Completion = serde_json::from_str(json).unwrap();
        assert_eq!(completion.content, "B");
        assert_eq!(completion.usage.map(|u| u.prompt_tokens), Some(3));
        assert!(completion.raw.starts_with(r#"{"choices""#));
        let missing = r#"{"raw":"not json"}"#;
        assert!(serde_json::from_str::<Completion>(missing).is_err());
    }
}
