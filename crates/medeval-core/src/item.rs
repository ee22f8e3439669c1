//! Items: one benchmark question each, the unit everything else is counted in.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::gold::Gold;

/// How an item's gold answer is expressed, and therefore which scorer reads a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AnswerType {
    /// Multiple choice: the gold answer is one option letter.
    Mcq,
    /// Closed question: the gold answer is yes or no.
    Closed,
    /// Open question: the gold answer is free text.
    Open,
    /// Generated report: the gold answer is a reference report, scored with text metrics.
    Report,
}

impl AnswerType {
    /// Every answer type, in the order reports list them.
    pub const ALL: [AnswerType; 4] = [Self::Mcq, Self::Closed, Self::Open, Self::Report];

    /// The lowercase name used in item files, manifests and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Mcq => "mcq",
            Self::Closed => "closed",
            Self::Open => "open",
            Self::Report => "report",
        }
    }

    /// Parses the lowercase name used in item files.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == name)
    }
}

impl fmt::Display for AnswerType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The gold answer of a closed question.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum YesNo {
    /// Yes (是).
    Yes,
    /// No (否).
    No,
}

impl YesNo {
    /// Reads a gold answer as yes or no: `yes`/`no` in any case, `是`/`否`, ignoring surrounding
    /// whitespace and one trailing full stop. Anything else is not a closed gold answer.
    pub fn parse_gold(answer: &str) -> Option<Self> {
        let trimmed = answer.trim();
        let trimmed = trimmed
            .strip_suffix('.')
            .or_else(|| trimmed.strip_suffix('。'))
            .unwrap_or(trimmed)
            .trim();
        if trimmed.eq_ignore_ascii_case("yes") || trimmed == "是" {
            Some(Self::Yes)
        } else if trimmed.eq_ignore_ascii_case("no") || trimmed == "否" {
            Some(Self::No)
        } else {
            None
        }
    }

    /// `yes` or `no`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Yes => "yes",
            Self::No => "no",
        }
    }
}

/// Encoded image bytes that only the reader that found them knows how to fetch: a member of a
/// zip archive, a base64 span inside a multi-gigabyte TSV file. Reading happens when the request
/// is built, so a benchmark's images are never all in memory at once.
pub trait ImageSource: fmt::Debug + Send + Sync {
    /// Reads the encoded bytes (PNG, JPEG, ...).
    fn read(&self) -> Result<Vec<u8>, String>;
    /// A short, stable description for manifests and error messages (e.g. `imgs.zip:xmlab1/source.jpg`).
    fn describe(&self) -> String;
}

/// One image attached to an item, in the order it is shown to the model.
#[derive(Debug, Clone)]
pub enum Image {
    /// A file on disk, read when the request is built.
    Path(PathBuf),
    /// Encoded image bytes already in memory (a `data:` URI, a parquet cell, a TSV cell).
    Bytes {
        /// The encoded file contents (PNG, JPEG, ...).
        bytes: Arc<[u8]>,
        /// Where the bytes came from, for error messages and audit (e.g. `row 12, column image`).
        origin: String,
    },
    /// Bytes read on demand from a source only the reader knows (see [`ImageSource`]).
    Deferred(Arc<dyn ImageSource>),
    /// Another image with a perturbation applied to its decoded pixels when the request is built
    /// (robustness probes: blanking, corruptions).
    Derived {
        /// The image the perturbation starts from.
        source: Box<Image>,
        /// What is done to it.
        transform: ImageTransform,
    },
}

/// A perturbation of an image's pixels, applied after decoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum ImageTransform {
    /// Every pixel black, same size and colour type.
    Blank,
    /// A corruption at a severity from 1 (mild) to 5 (severe), with its own random stream.
    Corrupt {
        /// Which corruption.
        corruption: Corruption,
        /// Severity, 1 to 5.
        severity: u8,
        /// Seed of the corruption's random stream (noise, ghost phases).
        seed: u64,
    },
}

/// Image corruptions with five severities each (see `docs/probes.md` for their definitions).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Corruption {
    /// Additive Gaussian noise.
    GaussianNoise,
    /// Multiplicative (speckle) noise, as in ultrasound.
    SpeckleNoise,
    /// Gaussian blur.
    GaussianBlur,
    /// Linear motion blur.
    MotionBlur,
    /// Contrast reduction towards the mean.
    Contrast,
    /// Brightness increase.
    Brightness,
    /// JPEG compression artefacts.
    Jpeg,
    /// Pixelation (block averaging).
    Pixelate,
    /// MRI-like ghosting along the phase-encoding axis.
    Ghosting,
    /// MRI-like smooth multiplicative intensity inhomogeneity.
    BiasField,
}

impl Corruption {
    /// Every corruption.
    pub const ALL: [Corruption; 10] = [
        Self::GaussianNoise,
        Self::SpeckleNoise,
        Self::GaussianBlur,
        Self::MotionBlur,
        Self::Contrast,
        Self::Brightness,
        Self::Jpeg,
        Self::Pixelate,
        Self::Ghosting,
        Self::BiasField,
    ];

    /// The kebab-case name used on the command line and in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::GaussianNoise => "gaussian-noise",
            Self::SpeckleNoise => "speckle-noise",
            Self::GaussianBlur => "gaussian-blur",
            Self::MotionBlur => "motion-blur",
            Self::Contrast => "contrast",
            Self::Brightness => "brightness",
            Self::Jpeg => "jpeg",
            Self::Pixelate => "pixelate",
            Self::Ghosting => "ghosting",
            Self::BiasField => "bias-field",
        }
    }

    /// Parses the kebab-case name.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == name)
    }
}

impl fmt::Display for ImageTransform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Blank => f.write_str("blank"),
            Self::Corrupt {
                corruption,
                severity,
                ..
            } => write!(f, "{}@{severity}", corruption.as_str()),
        }
    }
}

impl Image {
    /// A short, stable description of the image for manifests and error messages.
    pub fn describe(&self) -> String {
        match self {
            Self::Path(path) => path.display().to_string(),
            Self::Bytes { origin, .. } => origin.clone(),
            Self::Deferred(source) => source.describe(),
            Self::Derived { source, transform } => format!("{} [{transform}]", source.describe()),
        }
    }
}

impl PartialEq for Image {
    /// Paths and bytes compare by content; deferred images by what they describe (the same
    /// member of the same archive is the same image); derived images by source and transform.
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::Path(a), Self::Path(b)) => a == b,
            (
                Self::Bytes {
                    bytes: a,
                    origin: x,
                },
                Self::Bytes {
                    bytes: b,
                    origin: y,
                },
            ) => a == b && x == y,
            (Self::Deferred(a), Self::Deferred(b)) => a.describe() == b.describe(),
            (
                Self::Derived {
                    source: a,
                    transform: x,
                },
                Self::Derived {
                    source: b,
                    transform: y,
                },
            ) => a == b && x == y,
            _ => false,
        }
    }
}

impl Eq for Image {}

/// A multiple-choice option label: one upper-case ASCII letter, `A` to `Z`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Letter(u8);

impl Letter {
    /// The letter for `c` when it is `A`..`Z` (upper case only).
    pub fn new(c: char) -> Option<Self> {
        c.is_ascii_uppercase().then_some(Self(c as u8))
    }

    /// The letter at zero-based position `index` (0 is `A`), if below 26.
    pub fn from_index(index: usize) -> Option<Self> {
        u8::try_from(index)
            .ok()
            .filter(|i| *i < 26)
            .map(|i| Self(b'A' + i))
    }

    /// Zero-based position of the letter (`A` is 0).
    pub fn index(self) -> usize {
        usize::from(self.0 - b'A')
    }

    /// The letter as a `char`.
    pub fn as_char(self) -> char {
        char::from(self.0)
    }
}

impl fmt::Display for Letter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.as_char())
    }
}

impl TryFrom<String> for Letter {
    type Error = String;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        let mut chars = value.chars();
        match (chars.next().and_then(Letter::new), chars.next()) {
            (Some(letter), None) => Ok(letter),
            _ => Err(format!("option label {value:?} is not a single letter A-Z")),
        }
    }
}

impl From<Letter> for String {
    fn from(letter: Letter) -> Self {
        letter.as_char().to_string()
    }
}

/// The options of a multiple-choice item, ordered by letter.
pub type Options = BTreeMap<Letter, String>;

/// Free metadata of an item (modality, organ, question type, language ...), used for breakdowns.
pub type Meta = BTreeMap<String, serde_json::Value>;

/// One benchmark question with its gold answer.
///
/// Invariants (checked by the readers that build items): `id` is unique within a benchmark;
/// `options` is non-empty exactly when the gold answer is a [`Gold::Letter`], and then that
/// letter is one of the options.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    /// Identifier, unique within the benchmark.
    pub id: String,
    /// The question text as shown to the model (before the prompt template).
    pub question: String,
    /// Images, in order.
    pub images: Vec<Image>,
    /// Options for multiple-choice items; empty otherwise.
    pub options: Options,
    /// The gold answer, whose kind is the item's answer type.
    pub gold: Gold,
    /// Free metadata for breakdowns.
    pub meta: Meta,
    /// The unit items share (image, study, patient); items with the same key are correlated.
    pub cluster: Option<String>,
}

impl Item {
    /// A metadata value rendered as a breakdown key: strings as they are, other JSON as text.
    /// `answer_type` is always available as a pseudo-field.
    pub fn group_key(&self, field: &str) -> Option<String> {
        if field == "answer_type" {
            return Some(self.answer_type().as_str().to_owned());
        }
        match self.meta.get(field)? {
            serde_json::Value::Null => None,
            serde_json::Value::String(s) => Some(s.clone()),
            other => Some(other.to_string()),
        }
    }

    /// How the gold answer is expressed, and therefore which scorer reads a response.
    pub fn answer_type(&self) -> AnswerType {
        self.gold.answer_type()
    }

    /// The gold letter of a multiple-choice item.
    pub fn gold_letter(&self) -> Option<Letter> {
        self.gold.letter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Gold;

    #[test]
    fn letters_are_single_uppercase_ascii() {
        assert_eq!(Letter::new('C').map(Letter::index), Some(2));
        assert_eq!(Letter::new('c'), None);
        assert_eq!(Letter::new('É'), None);
        assert_eq!(Letter::from_index(25).map(Letter::as_char), Some('Z'));
        assert_eq!(Letter::from_index(26), None);
        assert!(Letter::try_from("AB".to_owned()).is_err());
        assert!(Letter::try_from(String::new()).is_err());
    }

    #[test]
    fn options_serialize_as_a_letter_keyed_object() {
        let mut options = Options::new();
        options.insert(Letter::new('B').unwrap(), "CT".into());
        options.insert(Letter::new('A').unwrap(), "MRI".into());
        let json = serde_json::to_string(&options).unwrap();
        assert_eq!(json, r#"{"A":"MRI","B":"CT"}"#);
        let back: Options = serde_json::from_str(&json).unwrap();
        assert_eq!(back, options);
    }

    #[test]
    fn closed_gold_answers_read_as_yes_or_no() {
        assert_eq!(YesNo::parse_gold(" Yes. "), Some(YesNo::Yes));
        assert_eq!(YesNo::parse_gold("NO"), Some(YesNo::No));
        assert_eq!(YesNo::parse_gold("是"), Some(YesNo::Yes));
        assert_eq!(YesNo::parse_gold("否。"), Some(YesNo::No));
        assert_eq!(YesNo::parse_gold("none"), None);
        assert_eq!(YesNo::parse_gold("yes, left side"), None);
    }

    #[test]
    fn group_key_reads_meta_and_answer_type() {
        let mut meta = Meta::new();
        meta.insert("modality".into(), "CT".into());
        meta.insert("year".into(), 2020.into());
        let item = Item {
            id: "1".into(),
            question: "q".into(),
            images: vec![],
            options: Options::new(),
            gold: Gold::yes_no(YesNo::Yes),
            meta,
            cluster: None,
        };
        assert_eq!(item.group_key("modality").as_deref(), Some("CT"));
        assert_eq!(item.group_key("year").as_deref(), Some("2020"));
        assert_eq!(item.group_key("answer_type").as_deref(), Some("closed"));
        assert_eq!(item.group_key("missing"), None);
    }
}
