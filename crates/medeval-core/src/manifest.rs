//! Run manifests: everything that pins a run's numbers, recorded with the run.

use serde::{Deserialize, Serialize};

use crate::digest::Sha256Hasher;
use crate::prompt::PromptTemplate;

/// Where a run's items came from and which of them it covers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemsSource {
    /// The benchmark's name (a card name, or the items file's stem).
    pub benchmark: String,
    /// The file (or folder) the items were read from, as given by the user.
    pub path: String,
    /// SHA-256 of the items file's bytes (for cards: of the evaluation split's files).
    pub sha256: String,
    /// Number of items in the source.
    pub count: usize,
    /// `--limit`: only the first `limit` items are requested.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<usize>,
    /// The benchmark card the items were read with, when they came from a card rather than a
    /// native items file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card: Option<CardRecord>,
}

/// What a benchmark card read: which card, which selections, which files with which content, and
/// whether the row count matched the card.
///
/// [`ItemsSource::sha256`] is a fingerprint over the card text, the selections and these file
/// digests (plus the images' identities), so a different language selection or a changed file is
/// a different run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardRecord {
    /// The card's name (`slake`, `vqa-rad`, a user card's name).
    pub name: String,
    /// `built-in` or the path of the user's card file.
    pub origin: String,
    /// SHA-256 of the card's TOML text.
    pub sha256: String,
    /// The upstream layout the card reads (`parquet`, `json`, `csv`, `vlmevalkit-tsv` ...).
    pub layout: String,
    /// The evaluation split the card reads (`test`, `validation` ...).
    pub split: String,
    /// Selections made for the card's options (e.g. `lang = en`), defaults included.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub selections: std::collections::BTreeMap<String, String>,
    /// Every file read, relative to the benchmark folder, with its size and SHA-256.
    pub files: Vec<FileDigest>,
    /// Rows the card expects in the evaluation split (after selections), when it pins a count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_rows: Option<usize>,
    /// Rows actually read.
    pub rows: usize,
    /// Whether the user allowed a row count different from `expected_rows`.
    #[serde(default)]
    pub row_count_mismatch_allowed: bool,
    /// Rows of the split that are not items because they hold no reference report (report
    /// cards skip them, as report-generation papers do); not counted in `rows`.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub skipped_rows: usize,
}

/// The content fingerprint of one data file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileDigest {
    /// Path relative to the benchmark folder, with `/` separators.
    pub path: String,
    /// Size in bytes.
    pub bytes: u64,
    /// SHA-256 of the content.
    pub sha256: String,
}

/// What kind of model answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ModelKind {
    /// An OpenAI-compatible chat endpoint.
    Endpoint,
    /// A built-in baseline (random, majority, blind): a reference point, not a model.
    Baseline,
}

/// The model that answered a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelRecord {
    /// Endpoint or baseline.
    pub kind: ModelKind,
    /// The model name sent to the endpoint, or the baseline's name (`baseline:random` ...).
    pub name: String,
    /// Base URLs of the endpoints that shared the load (empty for baselines).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub endpoints: Vec<String>,
    /// Name of the environment variable the API key was read from. The key itself is never
    /// recorded anywhere.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key_env: Option<String>,
}

/// Decoding settings passed through to the endpoint. `None` means "not sent": the server's
/// default applies, and the manifest says so.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Decoding {
    /// Sampling temperature.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    /// Nucleus sampling mass.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f64>,
    /// Maximum completion tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u32>,
    /// Sampling seed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// Extra JSON merged into every request body (server-specific settings).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extra_body: Option<serde_json::Value>,
}

impl Decoding {
    /// Whether repeating a request should give the same answer: greedy decoding or a fixed seed.
    /// Only such requests are served from the response cache.
    pub fn is_deterministic(&self) -> bool {
        self.temperature == Some(0.0) || self.seed.is_some()
    }
}

/// How images are encoded for the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", tag = "format")]
pub enum ImageEncoding {
    /// Lossless PNG (the default): PNG files pass through untouched, other formats are decoded
    /// and re-encoded as PNG.
    Png,
    /// The original file bytes with their own media type.
    Original,
    /// Lossy JPEG at the given quality (1-100), only when asked for.
    Jpeg {
        /// JPEG quality.
        quality: u8,
    },
}

impl std::str::FromStr for ImageEncoding {
    type Err = String;

    /// Reads `png`, `original` or `jpeg:QUALITY` (1-100), as `--image-format` takes them.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "png" => Ok(ImageEncoding::Png),
            "original" => Ok(ImageEncoding::Original),
            _ => text
                .strip_prefix("jpeg:")
                .and_then(|quality| quality.parse::<u8>().ok())
                .filter(|quality| (1..=100).contains(quality))
                .map(|quality| ImageEncoding::Jpeg { quality })
                .ok_or_else(|| {
                    format!("unknown image format {text:?}; expected png, original or jpeg:1-100")
                }),
        }
    }
}

/// The size of one image as the item holds it and as the model was sent it.
///
/// Geometric scorers (boxes, points) compare a model's coordinates with gold coordinates in the
/// item's frame; models answer in the frame of what they saw. Recording both sizes per sample
/// keeps such scoring a pure function of what the model saw, whatever resizing policy a run used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageGeometry {
    /// Width of the image before preparation, in pixels.
    pub original_width: u32,
    /// Height of the image before preparation, in pixels.
    pub original_height: u32,
    /// Width of the image sent, in pixels.
    pub sent_width: u32,
    /// Height of the image sent, in pixels.
    pub sent_height: u32,
}

impl ImageGeometry {
    /// An image sent at the size it has.
    pub fn unchanged(width: u32, height: u32) -> Self {
        Self {
            original_width: width,
            original_height: height,
            sent_width: width,
            sent_height: height,
        }
    }

    /// Whether the image was resized before it was sent.
    pub fn resized(&self) -> bool {
        (self.original_width, self.original_height) != (self.sent_width, self.sent_height)
    }
}

/// How images are prepared before they are sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImagePolicy {
    /// The encoding.
    pub encoding: ImageEncoding,
    /// Downscale so the longer side is at most this many pixels (aspect ratio kept); `None`
    /// sends images at their original size.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_side: Option<u32>,
}

impl Default for ImagePolicy {
    fn default() -> Self {
        Self {
            encoding: ImageEncoding::Png,
            max_side: None,
        }
    }
}

/// Everything that pins a run's numbers.
///
/// Two invocations with the same [`RunManifest::identity`] are the same run: the second continues
/// the first. Settings that do not change answers (endpoints, concurrency, timeouts) are recorded
/// but are not part of the identity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunManifest {
    /// medeval's version.
    pub tool_version: String,
    /// The items.
    pub items: ItemsSource,
    /// The prompt templates.
    pub prompt: PromptTemplate,
    /// SHA-256 of the prompt templates.
    pub prompt_sha256: String,
    /// The model.
    pub model: ModelRecord,
    /// Decoding settings.
    pub decoding: Decoding,
    /// Image preparation.
    pub images: ImagePolicy,
    /// Samples drawn per item (1 unless repeated sampling was asked for).
    pub samples_per_item: u32,
    /// Whether the response cache was used.
    pub cache: bool,
    /// What turned the responses into verdicts, and which version of it. Stores written before
    /// scorers had names recorded only the rules' version (`"extractor_version": "2"`); that
    /// reads as the rule scorer of that version.
    #[serde(alias = "extractor_version", deserialize_with = "ScorerId::recorded")]
    pub scorer: ScorerId,
    /// The probe variant the items were transformed by (`circular`, `no-image`,
    /// `corrupt:jpeg@1..5` ...), if any. Part of the identity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    /// When the run was first started (RFC 3339, UTC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
    /// When the last invocation that worked on the run ended (RFC 3339, UTC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<String>,
}

impl RunManifest {
    /// The run's identity: SHA-256 over everything that can change a response.
    pub fn identity(&self) -> String {
        let mut hasher = Sha256Hasher::new();
        hasher.update_field(self.items.benchmark.as_bytes());
        hasher.update_field(self.items.sha256.as_bytes());
        hasher.update_field(self.prompt_sha256.as_bytes());
        hasher.update_field(self.model.name.as_bytes());
        hasher.update_field(canonical_json(&self.model.kind).as_bytes());
        hasher.update_field(canonical_json(&self.decoding).as_bytes());
        hasher.update_field(canonical_json(&self.images).as_bytes());
        hasher.update_field(&self.samples_per_item.to_le_bytes());
        // Hashed only when present, so runs without a variant keep the identity they had.
        if let Some(variant) = &self.variant {
            hasher.update_field(b"variant");
            hasher.update_field(variant.as_bytes());
        }
        hasher.finish_hex()
    }
}

/// The identity of a scorer: its name and the version of its rules (or of its judge, rubric or
/// box matching). Two runs scored by scorers with different identities may disagree on the
/// same response, so a stored run scored by another identity is scored again before it is
/// continued, and every summary says which scorer produced its numbers.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ScorerId {
    /// The scorer's name: `rules` for the versioned extraction rules, `judge` for a model
    /// judging answers.
    pub name: String,
    /// The version of what it does; any change that can change a verdict changes it. For a
    /// judge, its spec's name and hash (`open-equivalence@3f2a...`).
    pub version: String,
    /// For a judge: the model and settings that judged, which change verdicts as much as the
    /// spec does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub judge: Option<JudgeRecord>,
}

/// Who judged a run's answers, and how: recorded with the scorer, so every judged number can
/// say which judge it came from, and a run judged by another model or at another temperature is
/// judged again rather than mixed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct JudgeRecord {
    /// The judge model's name, as sent in its requests.
    pub model: String,
    /// The judge spec's name (`open-equivalence`, or a user spec's file name).
    pub spec: String,
    /// SHA-256 of the spec's content (template, verdict reading, settings), in hex.
    pub spec_hash: String,
    /// The sampling temperature sent to the judge, as written in its requests.
    pub temperature: String,
    /// The token limit sent to the judge.
    pub max_tokens: u32,
    /// Which answers the judge decides: `open`, or `open+unparsed` when it also reads the
    /// multiple-choice and closed answers the rules declined.
    pub scope: String,
    /// The version of the extraction rules that score what the judge does not, and whose
    /// reading of open answers is kept beside the judge's verdict.
    pub extractor: String,
}

impl ScorerId {
    /// The name of the rule scorer (answer extraction by ordered, versioned rules).
    pub const RULES: &'static str = "rules";

    /// The rule scorer at `version`.
    pub fn rules(version: impl Into<String>) -> Self {
        Self {
            name: Self::RULES.to_owned(),
            version: version.into(),
            judge: None,
        }
    }

    /// The name of a judge scorer.
    pub const JUDGE: &'static str = "judge";

    /// A judge scorer: the judge's spec and settings in `record`.
    pub fn judge(record: JudgeRecord) -> Self {
        Self {
            name: Self::JUDGE.to_owned(),
            version: format!("{}@{}", record.spec, short_hash(&record.spec_hash)),
            judge: Some(record),
        }
    }

    /// Reads an identity as any release recorded it: an object, or (before scorers had names)
    /// the rule scorer's version as a bare string.
    fn recorded<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Recorded {
            Identity(ScorerId),
            RulesVersion(String),
        }
        Ok(match Recorded::deserialize(deserializer)? {
            Recorded::Identity(identity) => identity,
            Recorded::RulesVersion(version) => Self::rules(version),
        })
    }
}

impl std::fmt::Display for ScorerId {
    /// `extractor v2` for the rule scorer (as summaries have always said), `NAME vVERSION` for
    /// any other.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.name == Self::RULES {
            write!(f, "extractor v{}", self.version)
        } else if let Some(judge) = &self.judge {
            write!(
                f,
                "judge {}, {} {}, temperature {} (extractor v{} beside it)",
                judge.model,
                judge.spec,
                short_hash(&judge.spec_hash),
                judge.temperature,
                judge.extractor
            )
        } else {
            write!(f, "{} v{}", self.name, self.version)
        }
    }
}

/// The first 12 hex digits of a hash: enough to tell specs apart in a line of text.
pub fn short_hash(hash: &str) -> &str {
    hash.get(..12).unwrap_or(hash)
}

fn canonical_json<T: Serialize>(value: &T) -> String {
    // Serialising these plain structs cannot fail; an empty string would still hash stably.
    serde_json::to_string(value).unwrap_or_default()
}

fn is_zero(count: &usize) -> bool {
    *count == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest() -> RunManifest {
        RunManifest {
            tool_version: "0.1.0".into(),
            items: ItemsSource {
                benchmark: "demo".into(),
                path: "demo.jsonl".into(),
                sha256: "abc".into(),
                count: 10,
                limit: None,
                card: None,
            },
            prompt: PromptTemplate::default(),
            prompt_sha256: PromptTemplate::default().sha256(),
            model: ModelRecord {
                kind: ModelKind::Endpoint,
                name: "qwen".into(),
                endpoints: vec!["http://a/v1".into()],
                api_key_env: None,
            },
            decoding: Decoding {
                temperature: Some(0.0),
                ..Decoding::default()
            },
            images: ImagePolicy::default(),
            samples_per_item: 1,
            cache: true,
            scorer: ScorerId::rules("1"),
            variant: None,
            started_at: None,
            finished_at: None,
        }
    }

    #[test]
    fn a_bare_extractor_version_of_earlier_releases_reads_as_the_rule_scorer() {
        let mut json = serde_json::to_value(manifest()).unwrap();
        let object = json.as_object_mut().unwrap();
        assert_eq!(
            object.remove("scorer").unwrap(),
            serde_json::json!({"name": "rules", "version": "1"})
        );
        object.insert("extractor_version".into(), "2".into());
        let read: RunManifest = serde_json::from_value(json).unwrap();
        assert_eq!(read.scorer, ScorerId::rules("2"));
        assert_eq!(read.scorer.to_string(), "extractor v2");
        let other = ScorerId {
            name: "boxes".into(),
            version: "1".into(),
            judge: None,
        };
        assert_eq!(other.to_string(), "boxes v1");
        let judge = ScorerId::judge(JudgeRecord {
            model: "qwen2.5-7b".into(),
            spec: "open-equivalence".into(),
            spec_hash: "0123456789abcdef".into(),
            temperature: "0".into(),
            max_tokens: 512,
            scope: "open".into(),
            extractor: "3".into(),
        });
        assert_eq!(judge.version, "open-equivalence@0123456789ab");
        assert_eq!(
            judge.to_string(),
            "judge qwen2.5-7b, open-equivalence 0123456789ab, temperature 0 (extractor v3 beside it)"
        );
    }

    #[test]
    fn identity_ignores_where_and_how_fast_but_not_what() {
        let base = manifest();
        let mut more_endpoints = base.clone();
        more_endpoints.model.endpoints.push("http://b/v1".into());
        more_endpoints.items.limit = Some(3);
        more_endpoints.scorer = ScorerId::rules("2");
        assert_eq!(base.identity(), more_endpoints.identity());

        let mut hotter = base.clone();
        hotter.decoding.temperature = Some(0.7);
        assert_ne!(base.identity(), hotter.identity());
        let mut other_items = base.clone();
        other_items.items.sha256 = "abd".into();
        assert_ne!(base.identity(), other_items.identity());
        let mut resized = base.clone();
        resized.images.max_side = Some(512);
        assert_ne!(base.identity(), resized.identity());
        let mut circular = base.clone();
        circular.variant = Some("circular".into());
        assert_ne!(base.identity(), circular.identity());
    }

    #[test]
    fn only_greedy_or_seeded_decoding_is_deterministic() {
        assert!(
            Decoding {
                temperature: Some(0.0),
                ..Decoding::default()
            }
            .is_deterministic()
        );
        assert!(
            Decoding {
                temperature: Some(1.0),
                seed: Some(1),
                ..Decoding::default()
            }
            .is_deterministic()
        );
        assert!(
            !Decoding {
                temperature: Some(1.0),
                ..Decoding::default()
            }
            .is_deterministic()
        );
        assert!(!Decoding::default().is_deterministic());
    }
}
