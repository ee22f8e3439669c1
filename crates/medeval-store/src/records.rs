//! The records the store keeps, independent of SQLite.

use std::borrow::Cow;

use medeval_core::{
    AnswerType, Completion, Gold, ImageGeometry, Item, Meta, Options, RunManifest, Scored,
};
use serde::{Deserialize, Serialize};

/// What the store keeps of an item: everything scoring and breakdowns need, without image bytes
/// (images are recorded by description: path or origin).
///
/// The gold answer is stored as text beside its answer type, the form every release wrote, and
/// read into a typed [`Gold`] when the record is loaded: a record whose gold does not read is a
/// decode error of the store, never a panic later.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemRecord {
    /// Item id.
    pub id: String,
    /// Question text.
    pub question: String,
    /// Image descriptions, in order.
    pub images: Vec<String>,
    /// Options (mcq).
    pub options: Options,
    /// Gold answer.
    pub gold: Gold,
    /// Metadata.
    pub meta: Meta,
    /// Cluster key.
    pub cluster: Option<String>,
}

/// The stored form of an [`ItemRecord`]: the gold answer as text and its answer type. Borrowed
/// when written, owned when read.
#[derive(Serialize, Deserialize)]
struct StoredItemRecord<'a> {
    id: Cow<'a, str>,
    question: Cow<'a, str>,
    #[serde(default, skip_serializing_if = "<[String]>::is_empty")]
    images: Cow<'a, [String]>,
    #[serde(default, skip_serializing_if = "Options::is_empty")]
    options: Cow<'a, Options>,
    answer: Cow<'a, str>,
    answer_type: AnswerType,
    #[serde(default, skip_serializing_if = "Meta::is_empty")]
    meta: Cow<'a, Meta>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    cluster: Option<Cow<'a, str>>,
}

impl Serialize for ItemRecord {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        StoredItemRecord {
            id: Cow::Borrowed(&self.id),
            question: Cow::Borrowed(&self.question),
            images: Cow::Borrowed(&self.images),
            options: Cow::Borrowed(&self.options),
            answer: self.gold.text(),
            answer_type: self.gold.answer_type(),
            meta: Cow::Borrowed(&self.meta),
            cluster: self.cluster.as_deref().map(Cow::Borrowed),
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for ItemRecord {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let stored = StoredItemRecord::deserialize(deserializer)?;
        let gold = Gold::read(stored.answer_type, &stored.answer)
            .map_err(|error| serde::de::Error::custom(format!("item {:?}: {error}", stored.id)))?;
        Ok(Self {
            id: stored.id.into_owned(),
            question: stored.question.into_owned(),
            images: stored.images.into_owned(),
            options: stored.options.into_owned(),
            gold,
            meta: stored.meta.into_owned(),
            cluster: stored.cluster.map(Cow::into_owned),
        })
    }
}

impl From<&Item> for ItemRecord {
    fn from(item: &Item) -> Self {
        Self {
            id: item.id.clone(),
            question: item.question.clone(),
            images: item.images.iter().map(|image| image.describe()).collect(),
            options: item.options.clone(),
            gold: item.gold.clone(),
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
            gold: self.gold.clone(),
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

#[cfg(test)]
mod tests {
    use super::*;
    use medeval_core::{Letter, YesNo};

    #[test]
    fn a_stored_item_reads_its_gold_text_into_the_typed_gold() {
        let mcq: ItemRecord = serde_json::from_str(
            r#"{"id":"q1","question":"Which?","options":{"A":"CT","B":"MRI"},"answer":"B","answer_type":"mcq"}"#,
        )
        .unwrap();
        assert_eq!(mcq.gold, Gold::Letter(Letter::new('B').unwrap()));
        let closed: ItemRecord = serde_json::from_str(
            r#"{"id":"q2","question":"Fracture?","answer":"是","answer_type":"closed"}"#,
        )
        .unwrap();
        assert_eq!(closed.gold.closed(), Some(YesNo::Yes));
        // Written back in the form it was read from.
        let json = serde_json::to_value(&closed).unwrap();
        assert_eq!(json["answer"], "是");
        assert_eq!(json["answer_type"], "closed");
    }

    #[test]
    fn a_stored_gold_that_does_not_fit_its_type_is_a_decode_error_naming_the_item() {
        let error = serde_json::from_str::<ItemRecord>(
            r#"{"id":"q7","question":"Fracture?","answer":"maybe","answer_type":"closed"}"#,
        )
        .unwrap_err()
        .to_string();
        assert!(error.contains("item \"q7\""), "{error}");
        assert!(error.contains("yes or no"), "{error}");
    }
}
