//! Credentials are removed from every text a server sends back before it is kept.
//!
//! Servers echo what they were sent: OpenAI answers a refused key with "Incorrect API key
//! provided: sk-…", proxies repeat the `Authorization` header in their error pages, and a
//! misbehaving server may put anything in a 200 body. Error messages and snippets end up in
//! the store, in logs and on the terminal, so each one passes through a [`Redactor`] first.
//!
//! Two layers: the key this client sends is removed wherever it appears (exact match, so it
//! also holds in a model's answer), and in error texts anything shaped like a credential
//! (`Bearer …`, `Basic …`, `sk-…` tokens, `api_key=…`, `"password": "…"`) is replaced too,
//! because a server may echo a key it holds rather than the one it was sent.

use std::borrow::Cow;

use regex::Regex;

use crate::client::ApiKey;

/// What a removed credential is replaced with.
pub const REDACTED: &str = "<redacted>";

/// Removes credentials from text a server sent back.
#[derive(Debug, Clone)]
pub struct Redactor {
    key: Option<String>,
    /// `Bearer xxx` / `Basic xxx`: the scheme is kept, the token replaced.
    auth_scheme: Regex,
    /// `sk-…`, `sk-proj-…`, `sk-ant-…` style keys, masked or not.
    key_token: Regex,
    /// `api_key=…`, `"token": "…"`, `password: …`: the name is kept, the value replaced.
    named_secret: Regex,
}

impl Redactor {
    /// A redactor that also removes `key`, the key this client sends.
    pub fn new(key: Option<&ApiKey>) -> Self {
        // The patterns are literals checked by the tests below; failing to compile one is a
        // programming error, not a user's.
        #[allow(clippy::expect_used)]
        let compile = |pattern: &str| Regex::new(pattern).expect("redaction pattern compiles");
        Self {
            key: key.map(|k| k.secret().to_owned()).filter(|k| !k.is_empty()),
            auth_scheme: compile(r"(?i)\b(bearer|basic)(\s+)[A-Za-z0-9._~+/=*:-]{4,}"),
            key_token: compile(r"\bsk-[A-Za-z0-9_*.-]{4,}"),
            named_secret: compile(
                r#"(?i)\b((?:x-)?api[_-]?key|access[_-]?token|auth[_-]?token|secret|password|passwd)(["']?\s*[:=]\s*["']?)[^\s"'&,;}]{3,}"#,
            ),
        }
    }

    /// Removes the client's own key from text that is otherwise kept as it is (a model's
    /// answer, a raw response body).
    pub fn remove_key<'a>(&self, text: &'a str) -> Cow<'a, str> {
        match &self.key {
            Some(key) if text.contains(key.as_str()) => Cow::Owned(text.replace(key, REDACTED)),
            _ => Cow::Borrowed(text),
        }
    }

    /// Removes the client's key and anything shaped like a credential from an error text.
    pub fn error_text(&self, text: &str) -> String {
        let text = self.remove_key(text);
        let text = self
            .auth_scheme
            .replace_all(&text, format!("${{1}}${{2}}{REDACTED}").as_str());
        let text = self.key_token.replace_all(&text, REDACTED);
        let text = self
            .named_secret
            .replace_all(&text, format!("${{1}}${{2}}{REDACTED}").as_str());
        text.into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn redactor() -> Redactor {
        Redactor::new(Some(&ApiKey::new("local-key-4f9a2c")))
    }

    #[test]
    fn the_clients_own_key_is_removed_anywhere() {
        let r = redactor();
        assert_eq!(
            r.remove_key("echo:local-key-4f9a2c!local-key-4f9a2c"),
            "echo:<redacted>!<redacted>"
        );
        assert_eq!(r.remove_key("nothing here"), "nothing here");
        assert_eq!(
            r.error_text("unknown key local-key-4f9a2c"),
            "unknown key <redacted>"
        );
    }

    #[test]
    fn credential_shaped_text_is_removed_from_errors() {
        let r = Redactor::new(None);
        let cases = [
            (
                "Incorrect API key provided: Bearer sk-proj-abc123XYZ. You can find your key",
                "Incorrect API key provided: Bearer <redacted> You can find your key",
            ),
            (
                "Incorrect API key provided: sk-abc12***************wxyz.",
                "Incorrect API key provided: <redacted>",
            ),
            (
                "header was 'Authorization: Basic dXNlcjpwYXNz'",
                "header was 'Authorization: Basic <redacted>'",
            ),
            (
                r#"{"api_key": "hunter2hunter2", "model": "m"}"#,
                r#"{"api_key": "<redacted>", "model": "m"}"#,
            ),
            (
                "GET /v1/models?api-key=abcd1234&x=1 failed",
                "GET /v1/models?api-key=<redacted>&x=1 failed",
            ),
            ("password: swordfish", "password: <redacted>"),
        ];
        for (input, expected) in cases {
            assert_eq!(r.error_text(input), expected, "{input}");
        }
    }

    #[test]
    fn ordinary_error_text_is_left_alone() {
        let r = redactor();
        for text in [
            "The model `m` does not exist.",
            "injected failure",
            "Rate limit reached for requests; try again in 20ms",
            "the key was refused",
        ] {
            assert_eq!(r.error_text(text), text);
        }
    }
}
