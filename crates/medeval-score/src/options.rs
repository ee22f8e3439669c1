//! Matching option texts inside a response ("Pneumonia" for option B).
//!
//! Option texts and response text are compared in [`match_form`](crate::normalize::match_form)
//! tokens, so matches are whole words ("no" never matches "nodule") and CJK matches are
//! character sequences. When several option texts occur, an occurrence that lies inside a longer
//! occurrence does not count ("aspiration pneumonia" identifies that option, not "pneumonia");
//! if distinct options remain, the text is ambiguous.

use medeval_core::{Letter, Options};

use crate::normalize::{match_form, tokens};

/// The item's options in comparison form.
#[derive(Debug)]
pub(crate) struct OptionTexts<'o> {
    entries: Vec<(Letter, Vec<String>)>,
    /// The texts as the item wrote them.
    written: &'o Options,
}

/// Tokens that negate or hedge a mention ("not pneumonia", "pneumonia is unlikely",
/// "排除肺炎"): a mention near them does not identify an answer.
const NEGATION_CUES: &[&str] = &[
    "not",
    "no",
    "never",
    "without",
    "unlikely",
    "exclude",
    "excluded",
    "excludes",
    "excluding",
    "rule",
    "ruled",
    "isn",
    "aren",
    "doesn",
    "don",
    "didn",
    "wasn",
    "weren",
    "cannot",
    "neither",
    "nor",
    "less",
    "不",
    "没",
    "无",
    "非",
    "未",
    "否",
    "排",
    "incorrect",
    "wrong",
    "false",
];

impl<'o> OptionTexts<'o> {
    /// Prepares the options of one item.
    pub(crate) fn new(options: &'o Options) -> Self {
        let entries = options
            .iter()
            .map(|(letter, text)| {
                let form = match_form(text);
                (
                    *letter,
                    tokens(&form).into_iter().map(str::to_owned).collect(),
                )
            })
            .collect();
        Self {
            entries,
            written: options,
        }
    }

    /// `letter`'s option text in comparison tokens.
    pub(crate) fn tokens_of(&self, letter: Letter) -> Option<&[String]> {
        self.entries
            .iter()
            .find(|(l, _)| *l == letter)
            .map(|(_, t)| t.as_slice())
    }

    /// `letter`'s option text as the item wrote it.
    pub(crate) fn text(&self, letter: Letter) -> Option<&'o str> {
        self.written.get(&letter).map(String::as_str)
    }

    /// Whether `letter` labels one of the options.
    pub(crate) fn has(&self, letter: Letter) -> bool {
        self.entries.iter().any(|(l, _)| *l == letter)
    }

    fn texts(&self) -> impl Iterator<Item = (Letter, &[String])> {
        self.entries
            .iter()
            .filter(|(_, t)| !t.is_empty())
            .map(|(l, t)| (*l, t.as_slice()))
    }

    /// The option whose full text begins `tokens`, with its length in tokens. The longest such
    /// option wins; two different options with the same (longest) text identify neither.
    pub(crate) fn prefix(&self, tokens: &[&str]) -> Option<(Letter, usize)> {
        let mut best: Option<(Letter, usize)> = None;
        let mut tied = false;
        for (letter, text) in self.texts() {
            if text.len() > tokens.len() || !text.iter().zip(tokens).all(|(a, b)| a == b) {
                continue;
            }
            match best {
                Some((_, len)) if len > text.len() => {}
                Some((other, len)) if len == text.len() => tied |= other != letter,
                _ => {
                    best = Some((letter, text.len()));
                    tied = false;
                }
            }
        }
        best.filter(|_| !tied)
    }

    /// Whether `tokens` end with `letter`'s option text ("... atelectasis" for option A
    /// "Atelectasis").
    pub(crate) fn ends_with_text_of(&self, tokens: &[&str], letter: Letter) -> bool {
        self.texts().any(|(l, text)| {
            l == letter
                && text.len() <= tokens.len()
                && text
                    .iter()
                    .zip(&tokens[tokens.len() - text.len()..])
                    .all(|(a, b)| a == b)
        })
    }

    /// The options' letters, in order.
    pub(crate) fn letters(&self) -> impl Iterator<Item = Letter> + '_ {
        self.entries.iter().map(|(l, _)| *l)
    }

    /// Whether `after` (the tokens after an option's text) continues with another option's text,
    /// directly or after "and"/"or": "pneumonia or atelectasis" names two answers.
    pub(crate) fn another_follows(&self, after: &[&str], letter: Letter) -> bool {
        let after = match after.first() {
            Some(&"and" | &"or" | &"和" | &"或" | &"及" | &"与") => &after[1..],
            _ => after,
        };
        self.prefix(after).is_some_and(|(other, _)| other != letter)
    }

    /// Whether `tokens` hold a negation or hedge (see [`NEGATION_CUES`]) outside the option
    /// texts themselves ("肺不张", atelectasis, contains "不" without negating anything).
    pub(crate) fn has_negation(&self, tokens: &[&str]) -> bool {
        let mut inside_option = vec![false; tokens.len()];
        for (_, text) in self.texts() {
            if text.len() > tokens.len() {
                continue;
            }
            for start in 0..=tokens.len() - text.len() {
                if text.iter().zip(&tokens[start..]).all(|(a, b)| a == b) {
                    inside_option[start..start + text.len()].fill(true);
                }
            }
        }
        tokens
            .iter()
            .zip(&inside_option)
            .any(|(t, inside)| !inside && NEGATION_CUES.contains(t))
    }

    /// The distinct options whose texts occur in `tokens`, ignoring occurrences that lie inside
    /// an occurrence of a longer option text.
    pub(crate) fn mentioned(&self, tokens: &[&str]) -> Vec<Letter> {
        let mut occurrences: Vec<(Letter, usize, usize)> = Vec::new();
        for (letter, text) in self.texts() {
            if text.len() > tokens.len() {
                continue;
            }
            for start in 0..=tokens.len() - text.len() {
                if text.iter().zip(&tokens[start..]).all(|(a, b)| a == b) {
                    occurrences.push((letter, start, start + text.len()));
                }
            }
        }
        let mut letters: Vec<Letter> = occurrences
            .iter()
            .filter(|&&(_, start, end)| {
                !occurrences
                    .iter()
                    .any(|&(_, s, e)| s <= start && end <= e && e - s > end - start)
            })
            .map(|&(letter, _, _)| letter)
            .collect();
        letters.sort();
        letters.dedup();
        letters
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Tests keep their options for the whole run: leaked, so the borrowing texts are 'static.
    fn options(texts: &[(char, &str)]) -> OptionTexts<'static> {
        let options: Options = texts
            .iter()
            .filter_map(|(l, t)| Letter::new(*l).map(|l| (l, (*t).to_owned())))
            .collect();
        OptionTexts::new(Box::leak(Box::new(options)))
    }

    fn letter(c: char) -> Letter {
        Letter::new(c).expect("test letters are A-Z")
    }

    #[test]
    fn the_longest_option_text_wins() {
        let opts = options(&[('A', "Pneumonia"), ('B', "Aspiration pneumonia")]);
        let form = match_form("Aspiration pneumonia of the right lobe");
        assert_eq!(opts.prefix(&tokens(&form)), Some((letter('B'), 2)));
        assert_eq!(opts.mentioned(&tokens(&form)), [letter('B')]);
        let form = match_form("Consistent with aspiration pneumonia");
        assert_eq!(opts.mentioned(&tokens(&form)), [letter('B')]);
        let form = match_form("Pneumonia, likely aspiration");
        assert_eq!(opts.prefix(&tokens(&form)), Some((letter('A'), 1)));
    }

    #[test]
    fn two_separate_options_are_both_mentioned() {
        let opts = options(&[('A', "Pneumonia"), ('B', "Atelectasis")]);
        let form = match_form("pneumonia or atelectasis");
        let toks = tokens(&form);
        assert_eq!(opts.mentioned(&toks), [letter('A'), letter('B')]);
        assert!(opts.another_follows(&toks[1..], letter('A')));
    }

    #[test]
    fn mentions_are_whole_words() {
        let opts = options(&[('A', "No"), ('B', "Yes")]);
        let form = match_form("A nodule is seen in both eyes");
        assert!(opts.mentioned(&tokens(&form)).is_empty());
    }

    #[test]
    fn identical_option_texts_identify_neither() {
        let opts = options(&[('A', "CT"), ('B', "ct")]);
        let form = match_form("CT");
        assert_eq!(opts.prefix(&tokens(&form)), None);
    }

    #[test]
    fn cjk_options_match_by_characters() {
        let opts = options(&[('A', "肺炎"), ('B', "肺不张")]);
        let form = match_form("图像显示右下肺炎。");
        assert_eq!(opts.mentioned(&tokens(&form)), [letter('A')]);
        let form = match_form("考虑肺不张");
        assert!(!opts.has_negation(&tokens(&form)));
        let form = match_form("不是肺炎");
        assert!(opts.has_negation(&tokens(&form)));
    }
}
