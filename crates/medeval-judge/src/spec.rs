//! Judge specs: what a judge is asked and how its answer is read, as data.
//!
//! A spec is a TOML file. Its minimum is a prompt template and a `[verdict]` table:
//!
//! ```toml
//! template = """Question: {question}
//! Reference answer: {gold}
//! Answer to grade: <answer>{response}</answer>
//! Reply with one final line: GRADE: CORRECT or GRADE: INCORRECT"""
//! [verdict]
//! regex = '^GRADE:\s*([A-Z]+)$'
//! correct = ["CORRECT"]
//! incorrect = ["INCORRECT"]
//! ```
//!
//! The built-in specs are compiled in (`specs/*.toml`); a user's own is read from a path. The
//! spec's [hash](JudgeSpec::hash) covers everything that can change a verdict (template,
//! system message, verdict reading, token limit, temperature, delimiters) and enters the
//! identity of the scorer that uses it, so two runs judged under different specs are never
//! mixed.

use std::path::Path;

use medeval_core::digest::sha256_hex;
use regex::Regex;
use serde::{Deserialize, Serialize};

/// Why a judge spec cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SpecError {
    /// The file could not be read.
    #[error("cannot read the judge spec {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The file is not a valid spec.
    #[error("judge spec {origin}: {message}")]
    Invalid {
        /// The file, or the built-in spec's name.
        origin: String,
        /// What is wrong, and what to write instead.
        message: String,
    },
    /// No built-in spec has this name.
    #[error(
        "no built-in judge spec is called {0:?}; `medeval judge specs` lists them, or give the path of a spec file (a name ending in .toml)"
    )]
    UnknownBuiltin(String),
}

/// The placeholders a template may use, each filled from the item, the candidate's answer or
/// (for rubric grading) the criterion.
pub const PLACEHOLDERS: [&str; 7] = [
    "question",
    "options",
    "gold",
    "response",
    "criterion",
    "points",
    "conversation",
];

/// A judge spec, checked: its template parsed, its verdict regex compiled, its hash computed.
#[derive(Debug, Clone)]
pub struct JudgeSpec {
    name: String,
    description: String,
    origin: String,
    content: SpecContent,
    template: Vec<Piece>,
    reader: VerdictReader,
    hash: String,
}

/// A spec file as written. What can change a verdict is hashed in its serialised form (JSON,
/// fields in order); the name and the prose about the spec are not serialised, so they, comments
/// and layout do not change its identity.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SpecContent {
    #[serde(default, skip_serializing)]
    name: Option<String>,
    #[serde(default, skip_serializing)]
    description: Option<String>,
    #[serde(default, skip_serializing)]
    origin: Option<String>,
    #[serde(default = "default_version")]
    version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    system: Option<String>,
    template: String,
    #[serde(default = "default_max_tokens")]
    max_tokens: u32,
    #[serde(default)]
    temperature: f64,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    delimiters: Vec<String>,
    verdict: VerdictContent,
}

/// The `[verdict]` table: a regex whose first capture group is the verdict, or a JSON field
/// holding a boolean.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct VerdictContent {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    regex: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    correct: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    incorrect: Vec<String>,
    /// Where the regex is applied: `last-line` (the default) or `anywhere`.
    #[serde(default, skip_serializing_if = "Option::is_none", rename = "in")]
    scope: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    json_field: Option<String>,
}

fn default_version() -> String {
    "1".into()
}

fn default_max_tokens() -> u32 {
    1024
}

/// One piece of a parsed template.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Text(String),
    Field(&'static str),
}

/// How a judge's reply is turned into a verdict.
#[derive(Debug, Clone)]
pub(crate) enum VerdictReader {
    /// The first capture group of `regex`, compared whole with the listed values.
    Regex {
        regex: Regex,
        correct: Vec<String>,
        incorrect: Vec<String>,
        anywhere: bool,
    },
    /// A boolean field of the JSON object in the reply.
    Json { field: String },
}

/// The built-in specs: name and TOML text.
const BUILTINS: [(&str, &str); 5] = [
    (
        "open-equivalence",
        include_str!("../specs/open-equivalence.toml"),
    ),
    (
        "medevalkit-open",
        include_str!("../specs/medevalkit-open.toml"),
    ),
    (
        "model-graded-fact",
        include_str!("../specs/model-graded-fact.toml"),
    ),
    ("binary-strict", include_str!("../specs/binary-strict.toml")),
    ("short-answer", include_str!("../specs/short-answer.toml")),
];

/// The spec judges use when none is named.
pub const DEFAULT_SPEC: &str = "open-equivalence";

impl JudgeSpec {
    /// Every built-in spec, in the order `medeval judge specs` lists them.
    pub fn builtins() -> Vec<JudgeSpec> {
        BUILTINS
            .iter()
            .filter_map(|(name, text)| Self::parse(text, name, name).ok())
            .collect()
    }

    /// A built-in spec by name.
    pub fn builtin(name: &str) -> Result<JudgeSpec, SpecError> {
        let (_, text) = BUILTINS
            .iter()
            .find(|(builtin, _)| *builtin == name)
            .ok_or_else(|| SpecError::UnknownBuiltin(name.to_owned()))?;
        Self::parse(text, name, name)
    }

    /// A built-in spec by name, or a spec file when `name_or_path` ends in `.toml` or names an
    /// existing file.
    pub fn resolve(name_or_path: &str) -> Result<JudgeSpec, SpecError> {
        let path = Path::new(name_or_path);
        if name_or_path.ends_with(".toml") || path.is_file() {
            Self::from_file(path)
        } else {
            Self::builtin(name_or_path)
        }
    }

    /// Reads a spec file; its name is the file's stem unless it gives one.
    pub fn from_file(path: &Path) -> Result<JudgeSpec, SpecError> {
        let text = std::fs::read_to_string(path).map_err(|source| SpecError::Read {
            path: path.display().to_string(),
            source,
        })?;
        let stem = path
            .file_stem()
            .map(|stem| stem.to_string_lossy().into_owned())
            .unwrap_or_else(|| "judge-spec".into());
        Self::parse(&text, &stem, &path.display().to_string())
    }

    /// Parses spec `text`; `default_name` names it when the text does not, `origin` (a path or
    /// built-in name) is what errors name.
    pub fn parse(text: &str, default_name: &str, origin: &str) -> Result<JudgeSpec, SpecError> {
        let invalid = |message: String| SpecError::Invalid {
            origin: origin.to_owned(),
            message,
        };
        let mut content: SpecContent = toml::from_str(text).map_err(|e| invalid(e.to_string()))?;
        let template = parse_template(&content.template).map_err(invalid)?;
        if !template
            .iter()
            .any(|piece| matches!(piece, Piece::Field("response" | "conversation")))
        {
            return Err(invalid(
                "the template never shows the answer to judge: put {response} (or {conversation}) in it".into(),
            ));
        }
        let reader = verdict_reader(&content.verdict).map_err(invalid)?;
        if !content.temperature.is_finite() || content.temperature < 0.0 {
            return Err(invalid(format!(
                "temperature must be a number of at least 0, found {}",
                content.temperature
            )));
        }
        if content.max_tokens == 0 {
            return Err(invalid("max_tokens must be at least 1".into()));
        }
        if let Some(empty) = content.delimiters.iter().find(|d| d.trim().is_empty()) {
            return Err(invalid(format!(
                "delimiters must not be blank, found {empty:?}"
            )));
        }
        let canonical = serde_json::to_string(&content).unwrap_or_default();
        Ok(JudgeSpec {
            name: content
                .name
                .take()
                .unwrap_or_else(|| default_name.to_owned()),
            description: content.description.take().unwrap_or_default(),
            origin: content.origin.take().unwrap_or_default(),
            hash: sha256_hex(canonical.as_bytes()),
            content,
            template,
            reader,
        })
    }

    /// The spec's name (`open-equivalence`, or a spec file's stem).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// One line on what the spec asks the judge.
    pub fn description(&self) -> &str {
        &self.description
    }

    /// Which published grader the spec follows, if any, in the words of its file.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The spec's own version (its authors' number; the hash is what identifies it).
    pub fn version(&self) -> &str {
        &self.content.version
    }

    /// SHA-256 (hex) of everything in the spec that can change a verdict.
    pub fn hash(&self) -> &str {
        &self.hash
    }

    /// The system message sent to the judge, if the spec has one.
    pub fn system(&self) -> Option<&str> {
        self.content.system.as_deref()
    }

    /// The token limit sent to the judge unless the run overrides it.
    pub fn max_tokens(&self) -> u32 {
        self.content.max_tokens
    }

    /// The sampling temperature sent to the judge unless the run overrides it.
    pub fn temperature(&self) -> f64 {
        self.content.temperature
    }

    /// Markers of the template that the candidate's text must not be able to reproduce (a
    /// closing tag, `[END DATA]`); see [`crate::render`].
    pub fn delimiters(&self) -> &[String] {
        &self.content.delimiters
    }

    /// The template text as written in the spec.
    pub fn template_text(&self) -> &str {
        &self.content.template
    }

    /// How the verdict is read, in one line (for `medeval judge specs`).
    pub fn verdict_summary(&self) -> String {
        let verdict = &self.content.verdict;
        match (&verdict.regex, &verdict.json_field) {
            (Some(regex), _) => format!(
                "regex {regex} on the {}, correct {:?}, incorrect {:?}",
                if verdict.scope.as_deref() == Some("anywhere") {
                    "whole reply (all matches must agree)"
                } else {
                    "last line"
                },
                verdict.correct,
                verdict.incorrect
            ),
            (None, Some(field)) => format!("JSON field {field:?}: true or false"),
            (None, None) => String::new(),
        }
    }

    pub(crate) fn reader(&self) -> &VerdictReader {
        &self.reader
    }

    /// The template with each placeholder replaced by `fill(name)`; literal braces are written
    /// `{{` and `}}` in the template.
    pub(crate) fn fill(&self, mut fill: impl FnMut(&str) -> String) -> String {
        let mut out = String::new();
        for piece in &self.template {
            match piece {
                Piece::Text(text) => out.push_str(text),
                Piece::Field(name) => out.push_str(&fill(name)),
            }
        }
        out
    }
}

/// Splits a template into text and placeholders; an unknown placeholder or a lone brace is an
/// error naming it.
fn parse_template(template: &str) -> Result<Vec<Piece>, String> {
    let mut pieces = Vec::new();
    let mut text = String::new();
    let mut chars = template.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        match c {
            '{' if chars.peek().map(|(_, next)| *next) == Some('{') => {
                chars.next();
                text.push('{');
            }
            '}' if chars.peek().map(|(_, next)| *next) == Some('}') => {
                chars.next();
                text.push('}');
            }
            '{' => {
                let rest = &template[at + 1..];
                let end = rest.find('}').ok_or_else(|| {
                    format!("template: a '{{' at byte {at} is never closed; write {{{{ for a literal brace")
                })?;
                let name = &rest[..end];
                if !name.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
                    return Err(format!(
                        "template: a '{{' at byte {at} is never closed as a placeholder; write {{{{ for a literal brace"
                    ));
                }
                let field = PLACEHOLDERS
                    .iter()
                    .find(|known| **known == name)
                    .ok_or_else(|| {
                        format!(
                            "template: unknown placeholder {{{name}}}; the placeholders are {}; write {{{{ and }}}} for literal braces",
                            PLACEHOLDERS.map(|p| format!("{{{p}}}")).join(", ")
                        )
                    })?;
                if !text.is_empty() {
                    pieces.push(Piece::Text(std::mem::take(&mut text)));
                }
                pieces.push(Piece::Field(field));
                for _ in 0..=end {
                    chars.next();
                }
            }
            '}' => {
                return Err(format!(
                    "template: a lone '}}' at byte {at}; write }}}} for a literal brace"
                ));
            }
            other => text.push(other),
        }
    }
    if !text.is_empty() {
        pieces.push(Piece::Text(text));
    }
    Ok(pieces)
}

fn verdict_reader(verdict: &VerdictContent) -> Result<VerdictReader, String> {
    match (&verdict.regex, &verdict.json_field) {
        (Some(_), Some(_)) => Err(
            "[verdict] has both `regex` and `json_field`; a verdict is read one way".into(),
        ),
        (None, None) => Err(
            "[verdict] needs `regex` (with `correct` and `incorrect` values for its first capture group) or `json_field` (a JSON boolean)".into(),
        ),
        (None, Some(field)) => {
            if !verdict.correct.is_empty() || !verdict.incorrect.is_empty() {
                return Err("[verdict] `correct`/`incorrect` go with `regex`; a `json_field` must hold true or false".into());
            }
            Ok(VerdictReader::Json {
                field: field.clone(),
            })
        }
        (Some(pattern), None) => {
            let regex = Regex::new(pattern)
                .map_err(|e| format!("[verdict] regex {pattern:?} does not compile: {e}"))?;
            if regex.captures_len() < 2 {
                return Err(format!(
                    "[verdict] regex {pattern:?} has no capture group; its first group is the verdict"
                ));
            }
            if verdict.correct.is_empty() || verdict.incorrect.is_empty() {
                return Err("[verdict] needs at least one `correct` and one `incorrect` value".into());
            }
            if let Some(both) = verdict.correct.iter().find(|v| verdict.incorrect.contains(v)) {
                return Err(format!(
                    "[verdict] {both:?} is listed as both correct and incorrect"
                ));
            }
            let anywhere = match verdict.scope.as_deref() {
                None | Some("last-line") => false,
                Some("anywhere") => true,
                Some(other) => {
                    return Err(format!(
                        "[verdict] in = {other:?}: expected \"last-line\" or \"anywhere\""
                    ));
                }
            };
            Ok(VerdictReader::Regex {
                regex,
                correct: verdict.correct.clone(),
                incorrect: verdict.incorrect.clone(),
                anywhere,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    const MINIMAL: &str = r#"
template = "Q: {question}\nGold: {gold}\nAnswer: {response}\nReply GRADE: C or GRADE: I"
[verdict]
regex = '^GRADE:\s*([CI])$'
correct = ["C"]
incorrect = ["I"]
"#;

    #[test]
    fn every_builtin_parses_and_has_a_distinct_hash() {
        let specs = JudgeSpec::builtins();
        assert_eq!(specs.len(), BUILTINS.len(), "a built-in failed to parse");
        let mut hashes: Vec<&str> = specs.iter().map(JudgeSpec::hash).collect();
        hashes.sort_unstable();
        hashes.dedup();
        assert_eq!(hashes.len(), specs.len());
        for spec in &specs {
            assert!(
                !spec.description().is_empty(),
                "{} has no description",
                spec.name()
            );
        }
    }

    #[test]
    fn the_minimum_user_spec_is_a_template_and_a_verdict_table() {
        let spec = JudgeSpec::parse(MINIMAL, "mine", "mine.toml").unwrap();
        assert_eq!(spec.name(), "mine");
        assert_eq!(spec.max_tokens(), 1024);
        assert_eq!(spec.temperature(), 0.0);
        let filled = spec.fill(|name| format!("<{name}>"));
        assert_eq!(
            filled,
            "Q: <question>\nGold: <gold>\nAnswer: <response>\nReply GRADE: C or GRADE: I"
        );
    }

    #[test]
    fn the_hash_ignores_comments_and_prose_but_not_the_template() {
        let base = JudgeSpec::parse(MINIMAL, "a", "a").unwrap();
        let commented = format!("# a comment\nname = \"other\"\ndescription = \"x\"\n{MINIMAL}");
        assert_eq!(
            JudgeSpec::parse(&commented, "b", "b").unwrap().hash(),
            base.hash()
        );
        let reworded = MINIMAL.replace("Q: ", "Question: ");
        assert_ne!(
            JudgeSpec::parse(&reworded, "a", "a").unwrap().hash(),
            base.hash()
        );
        let hotter = format!("temperature = 0.5\n{MINIMAL}");
        assert_ne!(
            JudgeSpec::parse(&hotter, "a", "a").unwrap().hash(),
            base.hash()
        );
    }

    #[test]
    fn literal_braces_are_doubled() {
        let text = MINIMAL.replace(
            "Reply GRADE",
            "Example {{\\\"ok\\\": true}} then reply GRADE",
        );
        let spec = JudgeSpec::parse(&text, "a", "a").unwrap();
        assert!(
            spec.fill(|_| String::new())
                .contains("Example {\"ok\": true} then")
        );
    }

    #[test]
    fn bad_specs_say_what_to_write_instead() {
        let cases = [
            (
                MINIMAL.replace("{gold}", "{reference}"),
                "unknown placeholder {reference}",
            ),
            (MINIMAL.replace("{response}", "x"), "put {response}"),
            (MINIMAL.replace("([CI])", "[CI]"), "no capture group"),
            (
                MINIMAL.replace("incorrect = [\"I\"]", "incorrect = [\"C\"]"),
                "both correct and incorrect",
            ),
            (MINIMAL.replace("{gold}", "{gold"), "never closed"),
            (format!("temperature = -1\n{MINIMAL}"), "at least 0"),
            (format!("max_tokens = 0\n{MINIMAL}"), "at least 1"),
            (
                format!("{MINIMAL}in = \"first-line\"\n"),
                "expected \"last-line\"",
            ),
            (
                format!("{MINIMAL}json_field = \"ok\"\n"),
                "both `regex` and `json_field`",
            ),
            (format!("colour = \"red\"\n{MINIMAL}"), "unknown field"),
        ];
        for (text, expected) in cases {
            let err = JudgeSpec::parse(&text, "bad", "bad.toml")
                .unwrap_err()
                .to_string();
            assert!(err.starts_with("judge spec bad.toml: "), "{err}");
            assert!(err.contains(expected), "{expected:?} not in {err:?}");
        }
    }

    #[test]
    fn an_unknown_builtin_points_at_the_list() {
        let err = JudgeSpec::resolve("open-equivalance")
            .unwrap_err()
            .to_string();
        assert!(err.contains("medeval judge specs"), "{err}");
    }
}
