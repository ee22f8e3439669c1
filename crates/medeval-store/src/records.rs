//! The records the store keeps, independent of SQLite.

use medeval_core::{
    AnswerType, Completion, ImageGeometry, Item, Meta, Options, RunManifest, Scored,
};
use serde::{Deserialize, Serialize};

/// What the store keeps of an item: everything scoring and breakdowns need, without image bytes
/// (images are recorded by description: path or origin).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemRecord {
    /// Item id.
    pub id: String,
    /// Question text.
    pub question: String,
    /// Image descriptions, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<String>,
    /// Options (mcq).
    #[serde(default, skip_serializing_if = "Options::is_empty")]
    pub options: Options,
    /// Gold answer.
    pub answer: String,
    /// Answer type.
    pub answer_type: AnswerType,
    /// Metadata.
    #[serde(default, skip_serializing_if = "Meta::is_empty")]
    pub meta: Meta,
    /// Cluster key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
}

impl From<&Item> for ItemRecord {
    fn from(item: &Item) -> Self {
        Self {
            id: item.id.clone(),
            question: item.question.clone(),
            images: item.images.iter().map(|image| image.describe()).collect(),
            options: item.options.clone(),
            answer: item.answer.clone(),
            answer_type: item.answer_type,
            meta: item.meta.clone(),
            cluster: item.cluster.clone(),
        }
    }
}

impl ItemRecord {
    /// The item without its images: enough to score a stored response again and to group results.
    pub fn to_item(&self) -> Item {
        Item {
            id: self.id.clone(),
            question: self.question.clone(),
            images: Vec::new(),
            options: self.options.clone(),
            answer: self.answer.clone(),
            answer_type: self.answer_type,
            meta: self.meta.clone(),
            cluster: self.cluster.clone(),
        }
    }
}

/// One HTTP attempt of a request, kept for audit (retries, back-off, which endpoint).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttemptRecord {
    /// One-based attempt number within the invocation.
    pub attempt: u32,
    /// The endpoint's base URL.
    pub endpoint: String,
    /// When the attempt started (RFC 3339, UTC).
    pub started_at: String,
    /// Time to the full response or the failure, in milliseconds.
    pub latency_ms: f64,
    /// HTTP status, when a response arrived.
    pub http_status: Option<u16>,
    /// What went wrong, if anything.
    pub error: Option<String>,
}

/// The final state of one sample (one item, one draw), written once it is known.
#[derive(Debug, Clone, PartialEq)]
pub struct SampleRecord {
    /// The item.
    pub item_id: String,
    /// Zero-based draw number (always 0 unless several samples per item were asked for).
    pub sample: u32,
    /// The response, when one was obtained.
    pub completion: Option<Completion>,
    /// Why no response was obtained, when none was.
    pub error: Option<String>,
    /// Every HTTP attempt made for this sample in this invocation.
    pub attempts: Vec<AttemptRecord>,
    /// Wall time from the first attempt to the final result, in milliseconds.
    pub latency_ms: f64,
    /// Whether the response came from the response cache.
    pub cached: bool,
    /// SHA-256 of the request body (the response-cache key), when a request was built.
    pub request_sha256: Option<String>,
    /// The scorer's verdict.
    pub scored: Scored,
    /// When the sample was completed (RFC 3339, UTC).
    pub completed_at: String,
    /// Each image of the request as the item held it and as it was sent, in request order;
    /// empty for text-only items, baselines, and samples stored before this was recorded.
    pub images: Vec<ImageGeometry>,
}

impl SampleRecord {
    /// Whether this sample holds a response (as opposed to a final error).
    pub fn is_answered(&self) -> bool {
        self.completion.is_some()
    }
}

/// Status of a run as recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunStatus {
    /// An invocation started and has not recorded its end: it is running, or it was killed.
    Running,
    /// Every requested sample has a response.
    Complete,
    /// The last invocation ended with samples still missing or in error.
    Incomplete,
}

impl RunStatus {
    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Complete => "complete",
            Self::Incomplete => "incomplete",
        }
    }

    pub(crate) fn parse(name: &str) -> Self {
        match name {
            "complete" => Self::Complete,
            "incomplete" => Self::Incomplete,
            _ => Self::Running,
        }
    }
}

/// A run as listed by `medeval runs`.
#[derive(Debug, Clone, PartialEq)]
pub struct RunListing {
    /// Run id.
    pub id: String,
    /// The manifest of the latest invocation.
    pub manifest: RunManifest,
    /// Recorded status.
    pub status: RunStatus,
    /// When the run was created.
    pub created_at: String,
    /// When it was last updated.
    pub updated_at: String,
    /// Items recorded for the run.
    pub items: u64,
    /// Samples with a response.
    pub answered: u64,
    /// Samples that ended in error.
    pub errors: u64,
    /// Samples scored correct.
    pub correct: u64,
    /// Samples that are generated reports (scored by corpus metrics, never right or wrong).
    pub generated: u64,
}

/// A stored run with everything needed to report on it.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredRun {
    /// Run id.
    pub id: String,
    /// The manifest of the latest invocation.
    pub manifest: RunManifest,
    /// Recorded status.
    pub status: RunStatus,
    /// The items, in benchmark order.
    pub items: Vec<ItemRecord>,
    /// The samples, in item order then draw order.
    pub samples: Vec<SampleRecord>,
}
