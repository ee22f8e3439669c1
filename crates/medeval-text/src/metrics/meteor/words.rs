//! A text prepared for alignment (word and stem hashes, function words), apart from the aligner.

use rust_stemmers::{Algorithm, Stemmer};

use super::normalizer::normalize;
use super::resources::MeteorData;

/// Meteor 1.5's English function-word list (`function/english.words` in the jar).
const FUNCTION_WORDS: &[&str] = &[
    "the", ",", ".", "to", "of", "and", "a", "in", "that", "for", "\"", "is", "on", "'s", "it",
    "with", "was", "as", "said", "at", "he", "by", "be", "from", "have", "has", "are", "his",
    "but", "an", "this", "not", "i", "will", "\u{2019}", "they", ")", "-rrb-", "(", "-lrb-", "who",
    "their", "had", "we", "which", "were", "been", "more", "or", "s", "its", "would", "about",
    "new", "one", "after", "you", ":", "also", "up", "when", "there", "than", "$", "all", "out",
    "her", "people", "she", "year", "two", "-", "can", "if", "last", "first", "\u{201c}", "over",
    "other", "\u{201d}", "into", "some", "what", "so", "--", "no", "time", "years", "could", "?",
    "'t", "\u{2014}", "'",
];

/// A normalised, lower-cased sentence ready for alignment: per word, its Java hash, the Java
/// hash of its stem, and whether it is a function word.
#[derive(Debug, Clone)]
pub struct MeteorText {
    pub(super) hashes: Vec<i32>,
    pub(super) stem_hashes: Vec<i32>,
    pub(super) function: Vec<bool>,
    /// What the synonym and paraphrase modules compare, when the text was prepared with
    /// METEOR's data ([`MeteorText::with_data`]).
    pub(super) lexical: Option<Lexical>,
}

/// Per word: its WordNet synsets (with those of its base forms), sorted, and its id in the
/// paraphrase table (`None`: a word no paraphrase contains).
#[derive(Debug, Clone, Default)]
pub(super) struct Lexical {
    pub(super) synsets: Vec<Box<[u32]>>,
    pub(super) paraphrase_ids: Vec<Option<u32>>,
}

/// What alignment needs to know about one word.
#[derive(Debug, Clone, Copy)]
struct WordInfo {
    hash: i32,
    stem_hash: i32,
    function: bool,
}

thread_local! {
    /// Per-thread memo of [`WordInfo`]: report vocabularies are small and repetitive, and
    /// stemming dominates the cost of preparing a text otherwise.
    static WORD_INFO: std::cell::RefCell<crate::ngram::FastMap<String, WordInfo>> =
        std::cell::RefCell::new(crate::ngram::FastMap::default());
}

/// Bound on the memo's size; it is cleared when exceeded.
const WORD_INFO_CAPACITY: usize = 1 << 20;

fn word_info(
    cache: &mut crate::ngram::FastMap<String, WordInfo>,
    word: &str,
    stemmer: &Stemmer,
) -> WordInfo {
    if let Some(info) = cache.get(word) {
        return *info;
    }
    let info = WordInfo {
        hash: java_hash(word),
        stem_hash: java_hash(&stemmer.stem(word)),
        function: FUNCTION_WORDS.contains(&word.to_lowercase().as_str()),
    };
    if cache.len() >= WORD_INFO_CAPACITY {
        cache.clear();
    }
    cache.insert(word.to_owned(), info);
    info
}

impl MeteorText {
    /// Normalises `text` (`-norm`) and prepares its words.
    pub fn new(text: &str, stemmer: &Stemmer) -> Self {
        // Lower-case letters, digits and spaces pass the normaliser unchanged (the common case
        // for PTB-tokenised input), so skip it.
        let plain = text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b' ');
        let normalized;
        let words = if plain {
            text
        } else {
            normalized = normalize_lowercase(text);
            normalized.as_str()
        };
        let capacity = words.bytes().filter(|&b| b == b' ').count() + 1;
        Self::from_words(
            words
                .split([' ', '\t', '\n', '\r', '\u{c}'])
                .filter(|w| !w.is_empty()),
            capacity,
            stemmer,
        )
    }

    /// Normalises `text` (`-norm`) and prepares its words for all four modules of METEOR 1.5
    /// (exact, stem, synonym, paraphrase) with `data`.
    pub fn with_data(text: &str, stemmer: &Stemmer, data: &MeteorData) -> Self {
        let normalized = normalize_lowercase(text);
        let words: Vec<&str> = normalized
            .split([' ', '\t', '\n', '\r', '\u{c}'])
            .filter(|w| !w.is_empty())
            .collect();
        let mut prepared = Self::from_words(words.iter().copied(), words.len(), stemmer);
        prepared.lexical = Some(Lexical {
            synsets: words
                .iter()
                .map(|w| data.synonyms.synsets_of(w).into_boxed_slice())
                .collect(),
            paraphrase_ids: words.iter().map(|w| data.paraphrases.id(w)).collect(),
        });
        prepared
    }

    /// A text whose words need no normalisation: plain words (lower-case ASCII letters and
    /// digits only), which [`MeteorText::new`] would take as they are. `None` when some word
    /// is not plain.
    pub fn from_plain_words<'a>(
        words: impl ExactSizeIterator<Item = &'a str> + Clone,
        stemmer: &Stemmer,
    ) -> Option<Self> {
        let plain = |word: &str| {
            !word.is_empty()
                && word
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        };
        if !words.clone().all(plain) {
            return None;
        }
        let capacity = words.len();
        Some(Self::from_words(words, capacity, stemmer))
    }

    fn from_words<'a>(
        words: impl Iterator<Item = &'a str>,
        capacity: usize,
        stemmer: &Stemmer,
    ) -> Self {
        let mut prepared = Self {
            hashes: Vec::with_capacity(capacity),
            stem_hashes: Vec::with_capacity(capacity),
            function: Vec::with_capacity(capacity),
            lexical: None,
        };
        WORD_INFO.with(|cache| {
            let cache = &mut *cache.borrow_mut();
            for word in words {
                let info = word_info(cache, word, stemmer);
                prepared.hashes.push(info.hash);
                prepared.stem_hashes.push(info.stem_hash);
                prepared.function.push(info.function);
            }
        });
        prepared
    }

    /// Number of words after normalisation.
    pub fn len(&self) -> usize {
        self.hashes.len()
    }

    /// Whether normalisation left no words.
    pub fn is_empty(&self) -> bool {
        self.hashes.is_empty()
    }
}

/// [`normalize`], then lower-cased (in place when ASCII, where that equals `to_lowercase`).
fn normalize_lowercase(text: &str) -> String {
    let mut normalized = normalize(text);
    if normalized.is_ascii() {
        normalized.make_ascii_lowercase();
        normalized
    } else {
        normalized.to_lowercase()
    }
}

/// The Snowball English stemmer METEOR's stem module uses.
pub fn english_stemmer() -> Stemmer {
    Stemmer::create(Algorithm::English)
}

/// Java's `String.hashCode` (over UTF-16 code units), which Meteor compares words by.
pub fn java_hash(s: &str) -> i32 {
    let mut h: i32 = 0;
    for unit in s.encode_utf16() {
        h = h.wrapping_mul(31).wrapping_add(i32::from(unit));
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> MeteorText {
        MeteorText::new(s, &english_stemmer())
    }

    #[test]
    fn plain_words_are_prepared_as_their_text_is() {
        let stemmer = english_stemmer();
        let words = ["no", "acute", "cardiopulmonary", "processes", "2"];
        let quick = MeteorText::from_plain_words(words.iter().copied(), &stemmer).expect("plain");
        let full = text(&words.join(" "));
        assert_eq!(quick.hashes, full.hashes);
        assert_eq!(quick.stem_hashes, full.stem_hashes);
        assert_eq!(quick.function, full.function);
        for unusual in ["x-ray", "The", "2.5", ""] {
            let words = ["a", unusual];
            assert!(MeteorText::from_plain_words(words.iter().copied(), &stemmer).is_none());
        }
    }

    #[test]
    fn java_hash_matches_java() {
        // "hello".hashCode() == 99162322 in Java.
        assert_eq!(java_hash("hello"), 99_162_322);
        assert_eq!(java_hash(""), 0);
    }
}
