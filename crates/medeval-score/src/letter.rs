//! Reading an option letter at the start of a piece of text.
//!
//! A single ASCII letter is an option letter only when what follows it says so; otherwise it is
//! a word (the article "a", the pronoun "I"), part of a word (`X-ray`, `N/A`, `e.g.`, `T2`) or
//! the start of an option text (`B cells`). What may follow a letter:
//!
//! | follower | example | letter? |
//! |---|---|---|
//! | end of text or line | `B`, `Answer: b` | yes |
//! | punctuation or closing bracket | `B.`, `(B)`, `**B**`, `b)`, `B:`, `B (Pneumonia)` | yes |
//! | `选项`, `项`, `是`, `为`, `正确`, `对` | `B选项`, `B是正确的` | yes |
//! | a space and a connecting word | `B because ...`, `B is ...`, `B since ...` | yes |
//! | a space and that option's own text | `B Pneumonia` (B is Pneumonia) | yes |
//! | a space and any other word | `a large effusion`, `I think`, `B cells` | no |
//! | a letter or digit | `Bone`, `T2` | no |
//! | `-`, `/`, `'`, `&` joined to a word | `X-ray`, `N/A`, `A's` | no |
//! | `.` joined to an ASCII letter or digit | `e.g.`, `U.S.` | no |

use crate::normalize::{
    eq_ignore_case, first_line, is_blank, last_word, match_form, skip_decoration, tokens,
};
use crate::options::OptionTexts;
use medeval_core::Letter;

/// How the letter was told apart from a word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Follower {
    /// End of text or of the line.
    End,
    /// Punctuation, a bracket, or a CJK particle such as `选项`.
    Punctuation,
    /// A space and a connecting word ("B because ...").
    Connector,
    /// A space and the letter's own option text ("B Pneumonia").
    OwnText,
}

/// A letter read at the start of a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LetterForm {
    /// The letter, upper case.
    pub letter: char,
    /// Whether it was written in lower case.
    pub lowercase: bool,
    /// What told it apart from a word.
    pub follower: Follower,
}

impl LetterForm {
    /// The option letter.
    pub(crate) fn as_letter(self) -> Option<Letter> {
        Letter::new(self.letter)
    }
}

/// Words after which a letter and a space remain a letter ("B because ...").
const CONNECTORS: &[&str] = &[
    "as",
    "because",
    "but",
    "since",
    "given",
    "due",
    "for",
    "is",
    "was",
    "which",
    "with",
    "and",
    "or",
    "then",
    "here",
    "this",
    "porque",
    "pues",
    "ya",
    "es",
    "car",
    "parce",
    "est",
    "weil",
    "da",
    "denn",
    "ist",
    "pois",
    "é",
    "perché",
    "poiché",
    "è",
    "です",
    "でしょう",
    "입니다",
];

/// Connecting words that give a reason: a first line "B because ..." answers with B, whereas
/// "A is ..." may only discuss option A.
const CAUSAL_CONNECTORS: &[&str] = &[
    "because", "since", "as", "given", "due", "porque", "car", "parce", "weil", "pois", "perché",
    "poiché",
];

/// Whether the word after a letter and a space gives a reason ("B because ...").
pub(crate) fn reason_follows(after: &str) -> bool {
    let rest = after.trim_start_matches([' ', '\t']);
    let end = rest
        .find(|c: char| !c.is_alphanumeric())
        .unwrap_or(rest.len());
    CAUSAL_CONNECTORS
        .iter()
        .any(|c| eq_ignore_case(c, &rest[..end]))
}

/// CJK words that may directly follow a letter (`B选项`, `B是正确的`).
/// Japanese and Korean copulas ("Bです", "C입니다": "it is B") count as well.
const CJK_FOLLOWERS: &[&str] = &[
    "选项",
    "项",
    "是",
    "为",
    "正确",
    "对",
    "。",
    "，",
    "、",
    "です",
    "でしょう",
    "입니다",
    "이다",
];

/// Reads a letter at the very start of `s` (decoration already skipped).
pub(crate) fn letter_at_start(s: &str, options: &OptionTexts) -> Option<LetterForm> {
    let first = s.chars().next()?;
    if !first.is_ascii_alphabetic() {
        return None;
    }
    let letter = first.to_ascii_uppercase();
    let after = &s[1..];
    let follower = follower(letter, after, options)?;
    Some(LetterForm {
        letter,
        lowercase: first.is_ascii_lowercase(),
        follower,
    })
}

fn follower(letter: char, after: &str, options: &OptionTexts) -> Option<Follower> {
    let Some(next) = after.chars().next() else {
        return Some(Follower::End);
    };
    let rest = &after[next.len_utf8()..];
    let joined_to_word = rest
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric());
    match next {
        '\n' | '\r' => Some(Follower::End),
        ' ' | '\t' => after_space(letter, after.trim_start_matches([' ', '\t']), options),
        '-' | '/' | '\'' | '’' | '&' | '.' if joined_to_word => None,
        _ if CJK_FOLLOWERS.iter().any(|f| after.starts_with(f)) => Some(Follower::Punctuation),
        c if c.is_alphanumeric() => None,
        _ => Some(Follower::Punctuation),
    }
}

fn after_space(letter: char, rest: &str, options: &OptionTexts) -> Option<Follower> {
    let Some(next) = rest.chars().next() else {
        return Some(Follower::End);
    };
    if next == '\n' || next == '\r' {
        return Some(Follower::End);
    }
    if !next.is_alphanumeric() {
        return Some(Follower::Punctuation);
    }
    let word_end = rest
        .find(|c: char| !c.is_alphanumeric())
        .unwrap_or(rest.len());
    let word = &rest[..word_end];
    if CONNECTORS.iter().any(|c| eq_ignore_case(c, word)) {
        return Some(Follower::Connector);
    }
    let own = Letter::new(letter).filter(|l| options.has(*l))?;
    (text_begins_with_option(rest, options) == Some(own)).then_some(Follower::OwnText)
}

/// The option whose full text begins the first line of `s`, after brackets, punctuation and
/// decoration (`. Pneumonia`, `) Pneumonia`, ` (Pneumonia)`).
pub(crate) fn text_begins_with_option(s: &str, options: &OptionTexts) -> Option<Letter> {
    let s = s.trim_start_matches(|c: char| {
        c.is_whitespace() || matches!(c, ')' | ']' | '}' | '.' | ',' | '、' | '】') || c == '*'
    });
    let s = skip_decoration(s);
    let line = first_line(s);
    if is_blank(line) {
        return None;
    }
    let form = match_form(line);
    options.prefix(&tokens(&form)).map(|(letter, _)| letter)
}

/// The option whose full text is the whole first line of `s` (after brackets, punctuation and
/// decoration): `. Atelectasis` names A, `. Atelectasis is less likely` names nothing.
pub(crate) fn line_is_option_text(s: &str, options: &OptionTexts) -> Option<Letter> {
    let s = s.trim_start_matches(|c: char| {
        c.is_whitespace() || matches!(c, ')' | ']' | '}' | '.' | ',' | '、' | '】') || c == '*'
    });
    let form = match_form(first_line(s));
    let toks = tokens(&form);
    options
        .prefix(&toks)
        .filter(|(_, len)| *len == toks.len())
        .map(|(letter, _)| letter)
}

/// Closing marks right after a letter (`B)`, `(B)**`, `B.`).
pub(crate) fn skip_closers(s: &str) -> &str {
    s.trim_start_matches(|c: char| {
        matches!(
            c,
            ')' | ']' | '}' | '】' | '*' | '_' | '.' | ':' | '"' | '\'' | '`' | '$' | '。'
        )
    })
}

/// Whether a letter not among the options is written as a label (`(E)`, `E)`, `**E**`) or
/// stands alone on its line (`Answer: E.`): only then is it a committed, wrong answer rather
/// than a word that happens to be one letter long.
pub(crate) fn is_label_like(after: &str) -> bool {
    after.starts_with([')', ']', '}', '*', '】'])
        || is_blank(first_line(after))
        || COPULAS.iter().any(|c| after.trim_start().starts_with(c))
}

/// Japanese and Korean copulas after a letter ("答えはEです", "E입니다": "it is E").
const COPULAS: &[&str] = &["です", "でしょう", "입니다", "이다"];

/// Joining words between two letters ("B or C", "A and D", "B y C").
const JOINING_WORDS: &[&str] = &["and", "or", "y", "o", "et", "ou", "und", "oder", "e"];

/// A second letter joined to the first by a separator ("B, C", "A and D", "A或C"): the answer
/// names several options.
pub(crate) fn joined_letter(after: &str, options: &OptionTexts) -> Option<char> {
    let rest = skip_closers(after).trim_start_matches([' ', '\t']);
    let rest = if let Some(r) =
        rest.strip_prefix([',', '/', '&', '、', '和', '或', '及', '与', ';'])
    {
        r
    } else {
        let word_end = rest.find(|c: char| !c.is_alphanumeric())?;
        let word = &rest[..word_end];
        if !JOINING_WORDS.iter().any(|w| w.eq_ignore_ascii_case(word)) {
            return None;
        }
        &rest[word_end..]
    };
    let form = letter_at_start(skip_lead(rest), options)?;
    let valid = form.as_letter().is_some_and(|l| options.has(l));
    (valid || !form.lowercase).then_some(form.letter)
}

/// Words before a label that contrast it with the answer rather than list it ("B, not (C)",
/// "B rather than C.").
const CONTRAST_WORDS: &[&str] = &["not", "than", "over", "vs", "versus", "nor"];

/// Option labels other than `letter` written later on the same line (`(A) CT (B) MRI`,
/// `A) CT B) MRI`, `A. CT B. MRI`): the line lists options rather than answering with one.
/// A label right after a contrasting word ("not (C)") does not count, nor a bracketed label
/// right after its own option's text ("while atelectasis (A) can ..."), which refers to that
/// option instead of listing it.
pub(crate) fn lists_other_labels(line: &str, letter: char, options: &OptionTexts) -> bool {
    let chars: Vec<(usize, char)> = line.char_indices().collect();
    (0..chars.len()).any(|i| {
        let (at, c) = chars[i];
        if c == letter || !c.is_ascii_uppercase() || !Letter::new(c).is_some_and(|l| options.has(l))
        {
            return false;
        }
        let before = i.checked_sub(1).map(|j| chars[j].1);
        let after = chars.get(i + 1).map(|&(_, c)| c);
        let text_follows = chars.get(i + 2).is_some_and(|&(_, c)| c.is_whitespace())
            && chars.get(i + 3).is_some_and(|&(_, c)| !c.is_whitespace());
        let bracketed = matches!(before, Some('(' | '[')) && matches!(after, Some(')' | ']'));
        let labelled = before.is_none_or(char::is_whitespace)
            && (matches!(after, Some(')' | ':')) || after == Some('.') && text_follows);
        let refers = bracketed
            && Letter::new(c).is_some_and(|l| {
                let form = match_form(&line[..at.saturating_sub(1)]);
                options.ends_with_text_of(&tokens(&form), l)
            });
        (bracketed || labelled) && !contrasted(&line[..at]) && !refers
    })
}

/// Whether the text before a label ends with a contrasting word.
fn contrasted(before: &str) -> bool {
    let before = before.trim_end_matches(|c: char| c.is_whitespace() || matches!(c, '(' | '['));
    let word = last_word(before, char::is_alphanumeric);
    CONTRAST_WORDS.iter().any(|w| w.eq_ignore_ascii_case(word))
}

/// Words that introduce a letter without being part of the answer ("option B", "probably B",
/// "选项B").
const FILLER_WORDS: &[&str] = &[
    "option",
    "choice",
    "letter",
    "alternative",
    "alternativa",
    "opción",
    "opcion",
    "opção",
    "opcao",
    "probably",
    "likely",
    "most",
    "definitely",
    "clearly",
    "therefore",
    "thus",
    "hence",
    "indeed",
    "actually",
    "вариант",
    "la",
    "el",
    "le",
    "il",
    "die",
    "der",
];

/// Filler phrases of several words, or with an apostrophe.
const FILLER_PHRASES: &[&str] = &[
    "l'option",
    "l’option",
    "a alternativa",
    "a opção",
    "a opcao",
    "la opción",
    "la opcion",
    "la alternativa",
];

/// Articles that precede a letter in Portuguese ("a resposta correta é a B"); read as filler only
/// right before an upper-case letter, so the article "a" of "the answer is a." stays option A.
const LETTER_ARTICLES: &[&str] = &["a ", "o "];

/// `s` without one leading filler word, if it starts with one.
pub(crate) fn strip_option_word(s: &str) -> Option<&str> {
    for article in LETTER_ARTICLES {
        if let Some(rest) = s.strip_prefix(article) {
            if starts_with_lone_capital(rest) {
                return Some(rest);
            }
        }
    }
    for cjk in ["选项", "选择", "选", "選択肢", "선택지", "보기"] {
        if let Some(rest) = s.strip_prefix(cjk) {
            return Some(rest);
        }
    }
    for phrase in FILLER_PHRASES {
        let Some(head) = s.get(..phrase.len()) else {
            continue;
        };
        let rest = &s[phrase.len()..];
        if eq_ignore_case(head, phrase) && !rest.starts_with(char::is_alphanumeric) {
            return Some(rest);
        }
    }
    let word_end = s.find(|c: char| !c.is_alphanumeric()).unwrap_or(s.len());
    if word_end == 0 || word_end == s.len() {
        return None;
    }
    let word = &s[..word_end];
    FILLER_WORDS
        .iter()
        .any(|w| eq_ignore_case(w, word))
        .then(|| &s[word_end..])
}

/// Whether `s` starts with an upper-case ASCII letter that is not the start of a word.
fn starts_with_lone_capital(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_uppercase())
        && chars
            .next()
            .is_none_or(|c| !c.is_alphanumeric() && !matches!(c, '-' | '/' | '\'' | '’' | '&'))
}

/// `s` without leading decoration and filler words: where an answer starts.
pub(crate) fn skip_lead(mut s: &str) -> &str {
    loop {
        s = skip_decoration(s);
        match strip_option_word(s) {
            Some(rest) => s = rest,
            None => return s,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use medeval_core::Options;

    // Tests keep their options for the whole run: leaked, so the borrowing texts are 'static.
    fn abcd() -> OptionTexts<'static> {
        let options: Options = [
            ('A', "Atelectasis"),
            ('B', "Pneumonia"),
            ('C', "B cells"),
            ('D', "Effusion"),
        ]
        .into_iter()
        .filter_map(|(l, t)| Letter::new(l).map(|l| (l, t.to_owned())))
        .collect();
        OptionTexts::new(Box::leak(Box::new(options)))
    }

    fn read(s: &str) -> Option<(char, Follower)> {
        letter_at_start(s, &abcd()).map(|f| (f.letter, f.follower))
    }

    #[test]
    fn delimited_letters_are_read() {
        assert_eq!(read("B"), Some(('B', Follower::End)));
        assert_eq!(read("B."), Some(('B', Follower::Punctuation)));
        assert_eq!(read("b)"), Some(('B', Follower::Punctuation)));
        assert_eq!(read("B**"), Some(('B', Follower::Punctuation)));
        assert_eq!(read("B选项"), Some(('B', Follower::Punctuation)));
        assert_eq!(read("B\nbecause"), Some(('B', Follower::End)));
        assert_eq!(read("B (Pneumonia)"), Some(('B', Follower::Punctuation)));
    }

    #[test]
    fn a_letter_and_a_word_need_a_connector_or_the_option_text() {
        assert_eq!(read("B because"), Some(('B', Follower::Connector)));
        assert_eq!(read("B Pneumonia"), Some(('B', Follower::OwnText)));
        assert_eq!(read("a large effusion"), None);
        assert_eq!(read("I think so"), None);
        assert_eq!(read("B cells"), None);
        assert_eq!(read("A Pneumonia"), None);
    }

    #[test]
    fn letters_inside_words_are_not_read() {
        for s in ["Bone", "T2", "X-ray", "N/A", "A's", "e.g.", "U.S.", "B超"] {
            assert_eq!(read(s), None, "{s}");
        }
    }

    #[test]
    fn joined_letters_are_found() {
        assert_eq!(joined_letter(", C", &abcd()), Some('C'));
        assert_eq!(joined_letter(" or (D)", &abcd()), Some('D'));
        assert_eq!(joined_letter(") and option D", &abcd()), Some('D'));
        assert_eq!(joined_letter(", a common cause", &abcd()), None);
        assert_eq!(joined_letter(" because C is wrong", &abcd()), None);
    }

    #[test]
    fn labels_of_other_options_are_found() {
        assert!(lists_other_labels(" CT (B) MRI", 'A', &abcd()));
        assert!(lists_other_labels(". x  C. y", 'A', &abcd()));
        assert!(!lists_other_labels(" because C is wrong", 'A', &abcd()));
        assert!(!lists_other_labels(", not C.", 'B', &abcd()));
        assert!(!lists_other_labels(", not (C)", 'B', &abcd()));
        assert!(!lists_other_labels(
            ". While atelectasis (A) may",
            'B',
            &abcd()
        ));
    }

    #[test]
    fn lead_skips_decoration_and_fillers() {
        assert_eq!(skip_lead("**Option (C)**"), "C)**");
        assert_eq!(skip_lead(" probably B"), "B");
        assert_eq!(skip_lead("选项B"), "B");
        assert_eq!(skip_lead("Optional"), "Optional");
        assert_eq!(skip_lead("a B"), "B");
        assert_eq!(skip_lead("a."), "a.");
        assert_eq!(skip_lead("a B-cell lymphoma"), "a B-cell lymphoma");
    }
}
