//! Chat request bodies for `POST /v1/chat/completions`.

use medeval_core::digest::sha256_hex;
use medeval_core::{Decoding, PromptPart, RenderedPrompt};
use serde_json::{Map, Value, json};

use crate::images::PreparedImage;

/// A request body ready to send, with its digest (the response-cache key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatBody {
    /// The serialised JSON body (cheap to clone for retries).
    pub bytes: bytes::Bytes,
    /// SHA-256 of `bytes`.
    pub sha256: String,
}

/// Builds the body for one item.
///
/// Text-only prompts send `content` as a plain string (older servers accept nothing else); prompts
/// with images send a list of `text` and `image_url` parts in the rendered order. Decoding
/// settings that are `None` are left out so the server's default applies. `extra_body` keys are
/// merged last; keys medeval itself sets (`model`, `messages`) are rejected earlier, by
/// [`check_extra_body`].
pub fn chat_body(
    model: &str,
    prompt: &RenderedPrompt,
    images: &[PreparedImage],
    decoding: &Decoding,
) -> ChatBody {
    let mut messages = Vec::new();
    if let Some(system) = &prompt.system {
        messages.push(json!({"role": "system", "content": system}));
    }
    messages.push(json!({"role": "user", "content": user_content(prompt, images)}));

    let mut body = Map::new();
    body.insert("model".into(), json!(model));
    body.insert("messages".into(), Value::Array(messages));
    if let Some(t) = decoding.temperature {
        body.insert("temperature".into(), json!(t));
    }
    if let Some(p) = decoding.top_p {
        body.insert("top_p".into(), json!(p));
    }
    if let Some(n) = decoding.max_tokens {
        body.insert("max_tokens".into(), json!(n));
    }
    if let Some(seed) = decoding.seed {
        body.insert("seed".into(), json!(seed));
    }
    if let Some(Value::Object(extra)) = &decoding.extra_body {
        for (key, value) in extra {
            body.insert(key.clone(), value.clone());
        }
    }
    let bytes = serde_json::to_vec(&Value::Object(body)).unwrap_or_default();
    let sha256 = sha256_hex(&bytes);
    ChatBody {
        bytes: bytes.into(),
        sha256,
    }
}

fn user_content(prompt: &RenderedPrompt, images: &[PreparedImage]) -> Value {
    let has_images = prompt
        .parts
        .iter()
        .any(|part| matches!(part, PromptPart::Image(_)));
    if !has_images {
        let text: String = prompt
            .parts
            .iter()
            .filter_map(|part| match part {
                PromptPart::Text(text) => Some(text.as_str()),
                PromptPart::Image(_) => None,
            })
            .collect();
        return json!(text);
    }
    let parts: Vec<Value> = prompt
        .parts
        .iter()
        .filter_map(|part| match part {
            PromptPart::Text(text) => Some(json!({"type": "text", "text": text})),
            PromptPart::Image(index) => images
                .get(*index)
                .map(|image| json!({"type": "image_url", "image_url": {"url": image.data_url()}})),
        })
        .collect();
    Value::Array(parts)
}

/// Keys of the request body the client controls, with why an extra body may not set them.
const RESERVED_KEYS: [(&str, &str); 5] = [
    ("model", "medeval sets it from the run"),
    ("messages", "medeval sets it from the run"),
    (
        "stream",
        "medeval reads one JSON response, not a stream of events",
    ),
    (
        "stream_options",
        "medeval reads one JSON response, not a stream of events",
    ),
    (
        "n",
        "medeval reads one answer per request; ask for several with --samples-per-item",
    ),
];

/// Checks a user-supplied extra body: it must be a JSON object and must not set what the
/// client controls (the model, the messages, streaming, the number of answers).
pub fn check_extra_body(extra: &Value) -> Result<(), String> {
    let Value::Object(map) = extra else {
        return Err("the extra body must be a JSON object".into());
    };
    for (reserved, why) in RESERVED_KEYS {
        if map.contains_key(reserved) {
            return Err(format!("the extra body may not set `{reserved}`; {why}"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prompt(parts: Vec<PromptPart>) -> RenderedPrompt {
        RenderedPrompt {
            system: Some("Be brief.".into()),
            parts,
        }
    }

    #[test]
    fn extra_bodies_may_not_set_what_the_client_controls() {
        assert_eq!(
            check_extra_body(&json!({"top_k": 1, "repetition_penalty": 1.1})),
            Ok(())
        );
        for key in ["model", "messages", "stream", "stream_options", "n"] {
            let error = check_extra_body(&json!({ key: true })).unwrap_err();
            assert!(error.contains(&format!("`{key}`")), "{error}");
        }
        assert!(
            check_extra_body(&json!({"stream": true}))
                .unwrap_err()
                .contains("not a stream")
        );
        assert!(check_extra_body(&json!([1, 2])).is_err());
    }

    #[test]
    fn text_only_prompts_send_a_string() {
        let body = chat_body(
            "m",
            &prompt(vec![PromptPart::Text("Is it? Answer yes or no.".into())]),
            &[],
            &Decoding {
                temperature: Some(0.0),
                max_tokens: Some(16),
                extra_body: Some(json!({"top_k": 1})),
                ..Decoding::default()
            },
        );
        let value: Value = serde_json::from_slice(&body.bytes).unwrap();
        assert_eq!(
            value,
            json!({
                "model": "m",
                "messages": [
                    {"role": "system", "content": "Be brief."},
                    {"role": "user", "content": "Is it? Answer yes or no."}
                ],
                "temperature": 0.0,
                "max_tokens": 16,
                "top_k": 1
            })
        );
        assert_eq!(body.sha256, sha256_hex(&body.bytes));
    }

    #[test]
    fn images_are_interleaved_in_prompt_order() {
        let image = PreparedImage {
            media_type: "image/png",
            bytes: b"png".to_vec().into(),
            geometry: medeval_core::ImageGeometry::unchanged(1, 1),
        };
        let body = chat_body(
            "m",
            &prompt(vec![
                PromptPart::Image(0),
                PromptPart::Text("Compare".into()),
                PromptPart::Image(1),
            ]),
            &[image.clone(), image],
            &Decoding::default(),
        );
        let value: Value = serde_json::from_slice(&body.bytes).unwrap();
        let content = &value["messages"][1]["content"];
        assert_eq!(content[0]["image_url"]["url"], "data:image/png;base64,cG5n");
        assert_eq!(content[1], json!({"type": "text", "text": "Compare"}));
        assert_eq!(content[2]["type"], "image_url");
        assert!(
            value.get("temperature").is_none(),
            "unset settings are not sent"
        );
    }

    #[test]
    fn extra_body_may_not_override_the_run() {
        assert!(check_extra_body(&json!({"top_k": 5})).is_ok());
        assert!(check_extra_body(&json!([1])).is_err());
        assert_eq!(
            check_extra_body(&json!({"model": "x"})).unwrap_err(),
            "the extra body may not set `model`; medeval sets it from the run"
        );
    }
}
