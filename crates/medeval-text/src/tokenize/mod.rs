//! Tokenisers, one per reference implementation.
//!
//! N-gram metrics only compare when the text was cut into tokens the same way, and every
//! reference toolkit cuts differently: pycocoevalcap runs the Stanford PTB tokenizer and then
//! drops a fixed list of punctuation tokens, sacrebleu applies the `13a` or `intl` regular
//! expressions of the WMT `mteval` scripts, and rouge-score keeps lower-cased alphanumeric runs
//! (optionally Porter-stemmed). Each submodule reproduces one of them; [`Tokenizer`] names the
//! choice so that it can be recorded next to every number.

pub mod mteval;
pub mod ptb;
pub mod rouge;

use std::fmt;

/// Which tokeniser turns a text into tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tokenizer {
    /// pycocoevalcap: Stanford PTB tokenisation (`-preserveLines -lowerCase`), then the COCO
    /// punctuation list removed.
    CocoPtb,
    /// sacrebleu `13a` (the WMT `mteval-v13a` rules; sacrebleu's default).
    Sacre13a,
    /// sacrebleu `intl` (the `mteval-v14` international rules over Unicode classes).
    SacreIntl,
    /// rouge-score's default tokeniser: lower-cased ASCII alphanumeric runs.
    Rouge {
        /// Apply NLTK's Porter stemmer to tokens longer than 3 characters, as
        /// `RougeScorer(use_stemmer=True)` does.
        stem: bool,
    },
}

impl Tokenizer {
    /// Splits `text` into tokens.
    pub fn tokenize(self, text: &str) -> Tokens {
        match self {
            Self::CocoPtb => ptb::coco_tokenize(text),
            Self::Sacre13a => split_python_whitespace(&mteval::tokenize_13a(text)),
            Self::SacreIntl => split_python_whitespace(&mteval::tokenize_intl(text)),
            Self::Rouge { stem } => rouge::tokenize(text, stem),
        }
    }

    /// A short, stable name recorded with every number (`ptb-coco`, `13a`, `intl`,
    /// `rouge-score`, `rouge-score+porter`).
    pub fn name(self) -> &'static str {
        match self {
            Self::CocoPtb => "ptb-coco",
            Self::Sacre13a => "13a",
            Self::SacreIntl => "intl",
            Self::Rouge { stem: false } => "rouge-score",
            Self::Rouge { stem: true } => "rouge-score+porter",
        }
    }
}

impl fmt::Display for Tokenizer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Python's `str.isspace`: Unicode `White_Space` plus the four ASCII information separators
/// (U+001C..U+001F), which Python also treats as whitespace.
pub fn is_python_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// Python's `str.split()` without arguments: runs of whitespace separate tokens, and leading or
/// trailing whitespace yields no empty token.
pub fn split_python_whitespace(text: &str) -> Tokens {
    let mut tokens = Tokens::with_capacity(text.len());
    if text.is_ascii() {
        let is_space = |b: &u8| matches!(b, b'\t'..=b'\r' | b'\x1c'..=b' ');
        for token in text.as_bytes().split(is_space).filter(|t| !t.is_empty()) {
            // ASCII slices of a `str` are valid UTF-8.
            tokens.push(std::str::from_utf8(token).unwrap_or_default());
        }
    } else {
        for token in text.split(is_python_space).filter(|t| !t.is_empty()) {
            tokens.push(token);
        }
    }
    tokens
}

/// The tokens of one text, stored in one buffer (one allocation per text rather than one per
/// token, which dominates tokenisation cost otherwise).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tokens {
    text: String,
    /// End offset in `text` of each token.
    ends: Vec<usize>,
}

impl Tokens {
    /// No tokens, with room for about `bytes` bytes of token text.
    pub fn with_capacity(bytes: usize) -> Self {
        Self {
            text: String::with_capacity(bytes),
            ends: Vec::with_capacity(bytes / 4),
        }
    }

    /// Appends one token.
    pub fn push(&mut self, token: &str) {
        self.text.push_str(token);
        self.ends.push(self.text.len());
    }

    /// Appends one token given as characters.
    pub fn push_chars(&mut self, token: impl IntoIterator<Item = char>) {
        self.text.extend(token);
        self.ends.push(self.text.len());
    }

    /// Appends one ASCII token, lower-cased.
    pub fn push_ascii_lowercase(&mut self, token: &str) {
        debug_assert!(token.is_ascii());
        let start = self.text.len();
        self.text.push_str(token);
        self.text[start..].make_ascii_lowercase();
        self.ends.push(self.text.len());
    }

    /// Removes the last token.
    pub fn pop(&mut self) {
        if self.ends.pop().is_some() {
            self.text.truncate(self.ends.last().copied().unwrap_or(0));
        }
    }

    fn last_start(&self) -> usize {
        match self.ends.len() {
            0 | 1 => 0,
            n => self.ends[n - 2],
        }
    }

    /// The last token (empty when there is none).
    pub fn last(&self) -> &str {
        &self.text[self.last_start()..]
    }

    /// Lower-cases the last token (Unicode full case mapping, like Java's and Python's).
    pub fn lowercase_last(&mut self) {
        let start = self.last_start();
        if self.text[start..].is_ascii() {
            self.text[start..].make_ascii_lowercase();
        } else {
            let lower = self.text[start..].to_lowercase();
            self.text.truncate(start);
            self.text.push_str(&lower);
            if let Some(end) = self.ends.last_mut() {
                *end = self.text.len();
            }
        }
    }

    /// Number of tokens.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether there are no tokens.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The tokens in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &str> + Clone + '_ {
        let mut start = 0;
        self.ends.iter().map(move |&end| {
            let token = &self.text[start..end];
            start = end;
            token
        })
    }

    /// The tokens joined by `separator`.
    pub fn join(&self, separator: &str) -> String {
        let mut out = String::with_capacity(self.text.len() + self.len() * separator.len());
        for (i, token) in self.iter().enumerate() {
            if i > 0 {
                out.push_str(separator);
            }
            out.push_str(token);
        }
        out
    }

    /// The tokens as owned strings.
    pub fn to_vec(&self) -> Vec<String> {
        self.iter().map(str::to_owned).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_push_pop_and_lowercase() {
        let mut t = Tokens::default();
        t.push("Heart");
        t.push_chars(['É', 'T']);
        t.lowercase_last();
        assert_eq!(t.to_vec(), vec!["Heart", "ét"]);
        t.pop();
        t.lowercase_last();
        assert_eq!(t.join(" "), "heart");
        t.pop();
        assert!(t.is_empty());
        assert_eq!(t.last(), "");
    }

    #[test]
    fn python_split_ascii_fast_path_matches_the_general_one() {
        let text = "a\tb\x0bc\x0cd\re\x1cf\x1fg  h\n";
        let general: Vec<&str> = text
            .split(is_python_space)
            .filter(|t| !t.is_empty())
            .collect();
        assert_eq!(split_python_whitespace(text).to_vec(), general);
        assert_eq!(general, vec!["a", "b", "c", "d", "e", "f", "g", "h"]);
    }

    #[test]
    fn python_split_treats_information_separators_as_space() {
        assert_eq!(
            split_python_whitespace(" a\u{1f}b\u{a0}c\n ").to_vec(),
            vec!["a", "b", "c"]
        );
        assert!(split_python_whitespace("  \t").is_empty());
    }
}
