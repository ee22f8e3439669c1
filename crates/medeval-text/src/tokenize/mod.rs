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
    pub fn tokenize(self, text: &str) -> Vec<String> {
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
pub fn split_python_whitespace(text: &str) -> Vec<String> {
    text.split(is_python_space)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_split_treats_information_separators_as_space() {
        assert_eq!(
            split_python_whitespace(" a\u{1f}b\u{a0}c\n "),
            vec!["a", "b", "c"]
        );
        assert!(split_python_whitespace("  \t").is_empty());
    }
}
