//! Text normalisation shared by every scorer.
//!
//! Two forms exist, for two different jobs:
//!
//! - [`canonical`] is applied to the whole response before any rule runs: Unicode NFKC, which
//!   folds full-width letters, digits and punctuation (`Ｂ`, `：`, `（`) to their ASCII forms and
//!   composes accents, so that rules can be written once for ASCII. Case and punctuation are kept,
//!   because rules need them (`(B)` versus the article `a`).
//! - [`match_form`] is what two texts are compared in (open answers, option texts): NFKC, lower
//!   case, every character that is not a letter or digit becomes a separator, CJK characters become
//!   one token each (CJK text has no spaces, so a per-character token is the only split that does
//!   not need a dictionary), and articles are dropped (see [`match_form`] for the exact rule).

use std::borrow::Cow;

use unicode_normalization::char::canonical_combining_class;
use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfkc_quick};

/// The response text in NFKC, borrowed when it already is.
///
/// A full NFKC pass costs more than every extraction rule together, and Chinese responses are
/// rarely NFKC only because of full-width punctuation (`，`, `：`). So one pass copies ASCII,
/// CJK ideographs and every other character that is NFKC-stable on its own (quick check "yes",
/// combining class 0), and folds full-width forms to ASCII (which is what NFKC does to them);
/// only text holding any other character goes through the full normalisation. Nothing is
/// allocated when nothing changes.
pub(crate) fn canonical(text: &str) -> Cow<'_, str> {
    if text.is_ascii() {
        return Cow::Borrowed(text);
    }
    let mut folded: Option<String> = None;
    for (i, c) in text.char_indices() {
        let replacement = match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(u32::from(c) - 0xFEE0),
            '\u{3000}' => Some(' '),
            c if c.is_ascii() || is_always_stable(c) || is_stable(c) => None,
            _ => return Cow::Owned(text.nfkc().collect()),
        };
        match (replacement, &mut folded) {
            (Some(r), Some(out)) => out.push(r),
            (Some(r), None) => {
                let mut out = String::with_capacity(text.len());
                out.push_str(&text[..i]);
                out.push(r);
                folded = Some(out);
            }
            (None, Some(out)) => out.push(c),
            (None, None) => {}
        }
    }
    folded.map_or(Cow::Borrowed(text), Cow::Owned)
}

/// Common non-ASCII characters that NFKC never changes, checked before the table lookups: CJK
/// unified ideographs (not the compatibility ones), CJK punctuation `、。「」『』【】`, curly
/// quotes, en and em dashes, and the precomposed Latin-1 letters.
fn is_always_stable(c: char) -> bool {
    matches!(c,
        '\u{3400}'..='\u{4DBF}'
        | '\u{4E00}'..='\u{9FFF}'
        | '\u{3001}'..='\u{3003}'
        | '\u{3008}'..='\u{3011}'
        | '\u{2013}'..='\u{2014}'
        | '\u{2018}'..='\u{2019}'
        | '\u{201C}'..='\u{201D}'
        | '\u{00C0}'..='\u{00FF}'
    )
}

/// Whether `c` is unchanged by NFKC whatever surrounds it.
fn is_stable(c: char) -> bool {
    canonical_combining_class(c) == 0 && is_nfkc_quick(std::iter::once(c)) == IsNormalized::Yes
}

/// Whether `c` is a CJK ideograph or Japanese kana: scripts written without spaces, tokenised one
/// character per token.
pub(crate) fn is_cjk(c: char) -> bool {
    matches!(c,
        '\u{3040}'..='\u{30FF}'   // Hiragana, Katakana
        | '\u{3400}'..='\u{4DBF}' // CJK Extension A
        | '\u{4E00}'..='\u{9FFF}' // CJK Unified Ideographs
        | '\u{F900}'..='\u{FAFF}' // CJK Compatibility Ideographs
        | '\u{20000}'..='\u{2FA1F}' // CJK Extensions B-F, Compatibility Supplement
    )
}

/// Words after which a lone `a` is the English article rather than a label (`vitamin a`,
/// `hepatitis a`, `type a` keep their `a`).
const ARTICLE_CONTEXT: &[&str] = &[
    "and",
    "are",
    "as",
    "at",
    "be",
    "been",
    "by",
    "contains",
    "demonstrates",
    "for",
    "from",
    "has",
    "have",
    "in",
    "indicates",
    "into",
    "is",
    "it",
    "like",
    "of",
    "on",
    "or",
    "represents",
    "reveals",
    "see",
    "seen",
    "show",
    "showing",
    "shows",
    "suggests",
    "than",
    "that",
    "there",
    "this",
    "to",
    "was",
    "were",
    "with",
];

/// The comparison form of `text`: tokens separated by single spaces.
///
/// NFKC, lower case; every character that is not alphanumeric separates tokens (so punctuation,
/// including CJK and full-width punctuation, is removed); each CJK character is its own token.
/// Articles: `the` and `an` are dropped everywhere; `a` is dropped only where it reads as an
/// article, that is when another token follows it and it is either the first token or follows
/// one of a short list of function words (`is`, `of`, `with`, `shows` ...). So `a fracture` and
/// `there is a fracture` lose their `a`, while `vitamin a`, `hepatitis a virus` and
/// `type a dissection` keep theirs.
pub(crate) fn match_form(text: &str) -> String {
    let mut spaced = String::with_capacity(text.len() + 8);
    for c in canonical(text).chars() {
        for c in c.to_lowercase() {
            if is_cjk(c) {
                spaced.push(' ');
                spaced.push(c);
                spaced.push(' ');
            } else if c.is_alphanumeric() {
                spaced.push(c);
            } else {
                spaced.push(' ');
            }
        }
    }
    let tokens: Vec<&str> = spaced.split_whitespace().collect();
    let mut out = String::with_capacity(spaced.len());
    let mut previous: Option<&str> = None;
    for (i, token) in tokens.iter().enumerate() {
        let is_article = match *token {
            "the" | "an" => true,
            "a" => i + 1 < tokens.len() && previous.is_none_or(|p| ARTICLE_CONTEXT.contains(&p)),
            _ => false,
        };
        if is_article {
            continue;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(token);
        previous = Some(token);
    }
    out
}

/// Whether two words are equal ignoring case (Unicode lower case, so `OPCIÓN` equals `opción`).
pub(crate) fn eq_ignore_case(a: &str, b: &str) -> bool {
    match (a.is_ascii(), b.is_ascii()) {
        (true, true) => return a.eq_ignore_ascii_case(b),
        // No non-ASCII character of NFKC text lower-cases to ASCII, so an ASCII word never
        // equals a non-ASCII one (the rules compare words of prepared, NFKC text).
        (true, false) | (false, true) => return false,
        (false, false) => {}
    }
    a.chars()
        .flat_map(char::to_lowercase)
        .eq(b.chars().flat_map(char::to_lowercase))
}

/// The run of characters satisfying `is_word` at the end of `s` ("the option" gives "option").
pub(crate) fn last_word(s: &str, is_word: impl Fn(char) -> bool) -> &str {
    let start = s
        .char_indices()
        .rev()
        .take_while(|&(_, c)| is_word(c))
        .last()
        .map_or(s.len(), |(i, _)| i);
    &s[start..]
}

/// The tokens of a [`match_form`] string.
pub(crate) fn tokens(form: &str) -> Vec<&str> {
    form.split(' ').filter(|t| !t.is_empty()).collect()
}

/// Characters that decorate an answer without being part of it: Markdown emphasis and headings,
/// quotes, LaTeX math delimiters, opening brackets, list dashes, commas and the colon of
/// "Answer:".
pub(crate) fn is_decoration(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '*' | '_'
                | ','
                | '#'
                | '>'
                | '`'
                | '"'
                | '\''
                | '‘'
                | '’'
                | '“'
                | '”'
                | '「'
                | '」'
                | '『'
                | '』'
                | '$'
                | ':'
                | '='
                | '-'
                | '–'
                | '—'
                | '~'
                | '('
                | '['
                | '{'
                | '【'
                | '《'
                | '|'
        )
}

/// LaTeX commands whose braces only style their content (`\text{B}` is `B`).
const LATEX_STYLE_COMMANDS: &[&str] = &[
    "\\boxed{",
    "\\text{",
    "\\textbf{",
    "\\textrm{",
    "\\textit{",
    "\\mathrm{",
    "\\mathbf{",
    "\\mathit{",
    "\\bf{",
];

/// `s` without leading decoration (see [`is_decoration`]) and LaTeX styling openers.
pub(crate) fn skip_decoration(mut s: &str) -> &str {
    loop {
        let trimmed = s.trim_start_matches(is_decoration);
        let trimmed = LATEX_STYLE_COMMANDS
            .iter()
            .find_map(|cmd| trimmed.strip_prefix(cmd))
            .unwrap_or(trimmed);
        if trimmed.len() == s.len() {
            return s;
        }
        s = trimmed;
    }
}

/// `s` up to (not including) its first line break.
pub(crate) fn first_line(s: &str) -> &str {
    s.split('\n').next().unwrap_or(s)
}

/// Whether `s` holds nothing but decoration and punctuation: no letter, digit or CJK character.
pub(crate) fn is_blank(s: &str) -> bool {
    !s.chars().any(char::is_alphanumeric)
}

/// Removes LaTeX text-styling commands (`\text{...}`, `\textbf{...}` ...) together with their
/// closing brace, and math-mode dollars, keeping the content: `\text{B. } \textbf{Pneumonia}`
/// becomes `B.  Pneumonia`.
pub(crate) fn strip_latex(content: &str) -> Cow<'_, str> {
    if !content.contains('\\') && !content.contains('$') {
        return Cow::Borrowed(content);
    }
    let mut out = String::with_capacity(content.len());
    // One entry per open brace: whether its closing brace is dropped.
    let mut braces: Vec<bool> = Vec::new();
    let mut rest = content;
    while let Some(c) = rest.chars().next() {
        if let Some(cmd) = LATEX_STYLE_COMMANDS
            .iter()
            .find(|cmd| rest.starts_with(**cmd))
        {
            braces.push(true);
            rest = &rest[cmd.len()..];
            continue;
        }
        match c {
            '{' => {
                braces.push(false);
                out.push(c);
            }
            '}' => {
                if !braces.pop().unwrap_or(false) {
                    out.push(c);
                }
            }
            '$' => {}
            _ => out.push(c),
        }
        rest = &rest[c.len_utf8()..];
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_folds_full_width_forms() {
        assert_eq!(canonical("答案：Ｂ（肺炎）"), "答案:B(肺炎)");
        assert!(matches!(canonical("The answer is B."), Cow::Borrowed(_)));
        // The fast fold and the full normalisation agree.
        for text in [
            "答案：Ｂ，肺炎。",
            "ＭＲＩ　扫描",
            "café",
            "cafe\u{301}",
            "x²",
            "ﬁbrosis",
        ] {
            assert_eq!(canonical(text), text.nfkc().collect::<String>(), "{text}");
        }
    }

    #[test]
    fn match_form_lowercases_and_removes_punctuation() {
        assert_eq!(match_form("  Left   Lung. "), "left lung");
        assert_eq!(match_form("T2-weighted MRI!"), "t2 weighted mri");
        assert_eq!(match_form("右肺，上叶。"), "右 肺 上 叶");
        assert_eq!(match_form("CT扫描"), "ct 扫 描");
        assert_eq!(match_form("ＭＲＩ"), "mri");
    }

    #[test]
    fn match_form_drops_articles_but_keeps_letter_labels() {
        assert_eq!(match_form("The left lung"), "left lung");
        assert_eq!(match_form("an MRI"), "mri");
        assert_eq!(match_form("A fracture"), "fracture");
        assert_eq!(match_form("there is a fracture"), "there is fracture");
        assert_eq!(match_form("Vitamin A"), "vitamin a");
        assert_eq!(match_form("vitamin a deficiency"), "vitamin a deficiency");
        assert_eq!(match_form("hepatitis A virus"), "hepatitis a virus");
        assert_eq!(match_form("A"), "a");
    }

    #[test]
    fn decoration_is_skipped_before_an_answer() {
        assert_eq!(skip_decoration("  **(B)**"), "B)**");
        assert_eq!(skip_decoration(": $\\boxed{\\text{C}}$"), "C}}$");
        assert_eq!(skip_decoration("Pneumonia"), "Pneumonia");
    }

    #[test]
    fn latex_styling_is_removed_with_its_braces() {
        assert_eq!(strip_latex("\\text{B}"), "B");
        assert_eq!(
            strip_latex("\\textbf{(C)} \\text{Pneumonia}"),
            "(C) Pneumonia"
        );
        assert_eq!(strip_latex("$\\frac{1}{2}$"), "\\frac{1}{2}");
        assert_eq!(strip_latex("plain"), "plain");
    }
}
