//! sacrebleu's `13a` and `intl` tokenisers.
//!
//! Both are defined by a short sequence of regular-expression substitutions. Each pattern
//! matches a fixed number of characters, so a left-to-right scan that tries the pattern at the
//! current position and, on a match, emits the replacement and jumps past it reproduces Python's
//! `re.sub` exactly, without a regex engine (and much faster). The returned strings still
//! contain the inserted spaces; callers split them with Python's whitespace rules.

use unicode_general_category::{GeneralCategory, get_general_category};

/// sacrebleu `13a` (`Tokenizer13a`): the `mteval-v13a.pl` rules, after sacrebleu's own
/// pre-processing (`rstrip`, `<skipped>` removal, line joins and four HTML entities).
pub fn tokenize_13a(text: &str) -> String {
    let mut line = text.trim_end_matches(super::is_python_space).to_owned();
    if line.contains("<skipped>") {
        line = line.replace("<skipped>", "");
    }
    if line.contains('\n') {
        line = line.replace("-\n", "");
        line = line.replace('\n', " ");
    }
    if line.contains('&') {
        line = line.replace("&quot;", "\"");
        line = line.replace("&amp;", "&");
        line = line.replace("&lt;", "<");
        line = line.replace("&gt;", ">");
    }
    // The four substitutions only test ASCII characters, and a multi-byte UTF-8 sequence never
    // contains an ASCII byte, so they can run over bytes: a non-ASCII character is "not a
    // digit" at each of its bytes exactly as it is as a whole.
    let mut bytes: Vec<u8> = Vec::with_capacity(line.len() * 2 + 2);
    bytes.push(b' ');
    // ([\{-\~\[-\` -\&\(-\+\:-\@\/]) -> ' \1 '
    //
    // The class includes the space, which this turns into three spaces. Spaces are left alone
    // here: the later substitutions only ever see a space as "not a digit" next to `.`, `,`
    // or `-`, which a single space is as well as three, and the final split does not count
    // spaces, so the tokens are the same.
    let mut copied = 0;
    for (i, &b) in line.as_bytes().iter().enumerate() {
        if b != b' ' && is_13a_symbol(b) {
            bytes.extend_from_slice(&line.as_bytes()[copied..i]);
            bytes.extend_from_slice(&[b' ', b, b' ']);
            copied = i + 1;
        }
    }
    bytes.extend_from_slice(&line.as_bytes()[copied..]);
    bytes.push(b' ');
    let mut out = Vec::with_capacity(bytes.len() + 16);
    // The next three substitutions change nothing in a text without `.`/`,` (or `-`), which
    // saves copying it.
    if bytes.iter().any(|&b| is_dot_or_comma(b)) {
        // ([^0-9])([\.,]) -> '\1 \2 '
        substitute_byte_pairs(
            &bytes,
            &mut out,
            |a| !a.is_ascii_digit(),
            is_dot_or_comma,
            |a, b, o| {
                o.extend_from_slice(&[a, b' ', b, b' ']);
            },
        );
        // ([\.,])([^0-9]) -> ' \1 \2'
        substitute_byte_pairs(
            &out,
            &mut bytes,
            is_dot_or_comma,
            |b| !b.is_ascii_digit(),
            |a, b, o| {
                o.extend_from_slice(&[b' ', a, b' ', b]);
            },
        );
    }
    if bytes.contains(&b'-') {
        // ([0-9])(-) -> '\1 \2 '
        substitute_byte_pairs(
            &bytes,
            &mut out,
            |a| a.is_ascii_digit(),
            |b| b == b'-',
            |a, b, o| {
                o.extend_from_slice(&[a, b' ', b, b' ']);
            },
        );
        std::mem::swap(&mut bytes, &mut out);
    }
    // Spaces are only inserted next to ASCII bytes, never inside a multi-byte sequence, so the
    // bytes stay valid UTF-8 and the fallback is unreachable.
    String::from_utf8(bytes).unwrap_or_default()
}

/// `re.sub` of a two-character pattern over bytes (see [`substitute_pairs`]); writes into `out`.
/// Bytes between matches are copied in runs.
fn substitute_byte_pairs(
    text: &[u8],
    out: &mut Vec<u8>,
    first: impl Fn(u8) -> bool,
    second: impl Fn(u8) -> bool,
    replace: impl Fn(u8, u8, &mut Vec<u8>),
) {
    out.clear();
    let mut copied = 0;
    let mut i = 0;
    while i + 1 < text.len() {
        if first(text[i]) && second(text[i + 1]) {
            out.extend_from_slice(&text[copied..i]);
            replace(text[i], text[i + 1], out);
            i += 2;
            copied = i;
        } else {
            i += 1;
        }
    }
    out.extend_from_slice(&text[copied..]);
}

/// sacrebleu `intl` (`TokenizerV14International`): punctuation split off unless it sits
/// between digits, and every symbol split off. sacrebleu applies `rstrip` first.
pub fn tokenize_intl(text: &str) -> String {
    let line = text.trim_end_matches(super::is_python_space);
    if line.is_ascii() {
        return tokenize_intl_ascii(line.as_bytes());
    }
    // (\P{N})(\p{P}) -> '\1 \2 '
    let out = substitute_pairs(
        line,
        |a| !is_number(a),
        is_punctuation,
        |a, b, o| {
            o.push(a);
            o.push(' ');
            o.push(b);
            o.push(' ');
        },
    );
    // (\p{P})(\P{N}) -> ' \1 \2'
    let out = substitute_pairs(
        &out,
        is_punctuation,
        |b| !is_number(b),
        |a, b, o| {
            o.push(' ');
            o.push(a);
            o.push(' ');
            o.push(b);
        },
    );
    // (\p{S}) -> ' \1 '
    let mut result = String::with_capacity(out.len() + 8);
    for c in out.chars() {
        if is_symbol(c) {
            result.push(' ');
            result.push(c);
            result.push(' ');
        } else {
            result.push(c);
        }
    }
    result
}

/// [`tokenize_intl`] of an ASCII line: the same substitutions over bytes, which are then the
/// characters.
fn tokenize_intl_ascii(line: &[u8]) -> String {
    let number = |b: u8| ASCII_CLASSES[usize::from(b)] & NUMBER != 0;
    let punctuation = |b: u8| ASCII_CLASSES[usize::from(b)] & PUNCTUATION != 0;
    let symbol = |b: u8| ASCII_CLASSES[usize::from(b)] & SYMBOL != 0;
    let mut first = Vec::with_capacity(line.len() * 2 + 16);
    let mut second = Vec::with_capacity(line.len() * 2 + 16);
    // (\P{N})(\p{P}) -> '\1 \2 '
    substitute_byte_pairs(
        line,
        &mut first,
        |a| !number(a),
        punctuation,
        |a, b, o| o.extend_from_slice(&[a, b' ', b, b' ']),
    );
    // (\p{P})(\P{N}) -> ' \1 \2'
    substitute_byte_pairs(
        &first,
        &mut second,
        punctuation,
        |b| !number(b),
        |a, b, o| o.extend_from_slice(&[b' ', a, b' ', b]),
    );
    // (\p{S}) -> ' \1 '
    first.clear();
    for &b in &second {
        if symbol(b) {
            first.extend_from_slice(&[b' ', b, b' ']);
        } else {
            first.push(b);
        }
    }
    // Only ASCII bytes went in, so the fallback is unreachable.
    String::from_utf8(first).unwrap_or_default()
}

const NUMBER: u8 = 1;
const PUNCTUATION: u8 = 2;
const SYMBOL: u8 = 4;

/// `\p{N}`, `\p{P}` and `\p{S}` of each ASCII character as bit flags, for the byte-level
/// `intl` passes (a table lookup instead of a function call per byte).
const ASCII_CLASSES: [u8; 128] = {
    let mut classes = [0u8; 128];
    let mut b = 0;
    while b < 128 {
        let c = b as u8;
        let symbol = matches!(
            c,
            b'$' | b'+' | b'<' | b'=' | b'>' | b'^' | b'`' | b'|' | b'~'
        );
        classes[b] = if c.is_ascii_digit() {
            NUMBER
        } else if symbol {
            SYMBOL
        } else if c.is_ascii_punctuation() {
            PUNCTUATION
        } else {
            0
        };
        b += 1;
    }
    classes
};

/// The character class of the first `13a` substitution: ASCII punctuation other than
/// `'`, `,`, `-` and `.`, and the space.
fn is_13a_symbol(c: u8) -> bool {
    matches!(c, b'{'..=b'~' | b'['..=b'`' | b' '..=b'&' | b'('..=b'+' | b':'..=b'@' | b'/')
}

fn is_dot_or_comma(c: u8) -> bool {
    c == b'.' || c == b','
}

fn is_number(c: char) -> bool {
    use GeneralCategory::{DecimalNumber, LetterNumber, OtherNumber};
    if c.is_ascii() {
        return c.is_ascii_digit();
    }
    matches!(
        get_general_category(c),
        DecimalNumber | LetterNumber | OtherNumber
    )
}

fn is_punctuation(c: char) -> bool {
    use GeneralCategory::{
        ClosePunctuation, ConnectorPunctuation, DashPunctuation, FinalPunctuation,
        InitialPunctuation, OpenPunctuation, OtherPunctuation,
    };
    if c.is_ascii() {
        // ASCII punctuation minus the eight ASCII symbols (Sc, Sm, Sk).
        return c.is_ascii_punctuation() && !is_symbol(c);
    }
    matches!(
        get_general_category(c),
        ConnectorPunctuation
            | DashPunctuation
            | OpenPunctuation
            | ClosePunctuation
            | InitialPunctuation
            | FinalPunctuation
            | OtherPunctuation
    )
}

fn is_symbol(c: char) -> bool {
    use GeneralCategory::{CurrencySymbol, MathSymbol, ModifierSymbol, OtherSymbol};
    if c.is_ascii() {
        return matches!(c, '$' | '+' | '<' | '=' | '>' | '^' | '`' | '|' | '~');
    }
    matches!(
        get_general_category(c),
        MathSymbol | CurrencySymbol | ModifierSymbol | OtherSymbol
    )
}

/// `re.sub` for a pattern of exactly two single-character classes: scans left to right and,
/// wherever `first` holds for the current character and `second` for the next one, lets
/// `replace` write the replacement and continues after the pair.
fn substitute_pairs(
    text: &str,
    first: impl Fn(char) -> bool,
    second: impl Fn(char) -> bool,
    replace: impl Fn(char, char, &mut String),
) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len() + 16);
    let mut i = 0;
    while i < chars.len() {
        if i + 1 < chars.len() && first(chars[i]) && second(chars[i + 1]) {
            replace(chars[i], chars[i + 1], &mut out);
            i += 2;
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tokenize::split_python_whitespace;

    fn t13a(s: &str) -> String {
        split_python_whitespace(&tokenize_13a(s)).join(" ")
    }

    fn tintl(s: &str) -> String {
        split_python_whitespace(&tokenize_intl(s)).join(" ")
    }

    // Expected strings follow by hand from the published mteval-v13a / v14 rules.
    #[test]
    fn thirteen_a_splits_punctuation_but_keeps_numbers() {
        assert_eq!(t13a("Size 2.5 cm, stable."), "Size 2.5 cm , stable .");
        assert_eq!(t13a("1,000 T4-5 (left)"), "1,000 T4 - 5 ( left )");
        assert_eq!(t13a("a &amp; b"), "a & b");
        assert_eq!(t13a("it's"), "it's");
    }

    /// `re.sub` of a two-character pattern, written plainly (the reference for the tests).
    fn literal_pairs(
        text: &[char],
        first: impl Fn(char) -> bool,
        second: impl Fn(char) -> bool,
        replace: impl Fn(char, char) -> String,
    ) -> Vec<char> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < text.len() {
            if i + 1 < text.len() && first(text[i]) && second(text[i + 1]) {
                out.extend(replace(text[i], text[i + 1]).chars());
                i += 2;
            } else {
                out.push(text[i]);
                i += 1;
            }
        }
        out
    }

    /// The 13a rules applied literally, the space included in the first class.
    fn literal_13a(line: &str) -> String {
        let mut chars = vec![' '];
        for c in line.chars() {
            if c.is_ascii() && is_13a_symbol(c as u8) {
                chars.extend([' ', c, ' ']);
            } else {
                chars.push(c);
            }
        }
        chars.push(' ');
        let dot = |c: char| c == '.' || c == ',';
        let chars = literal_pairs(
            &chars,
            |a| !a.is_ascii_digit(),
            dot,
            |a, b| format!("{a} {b} "),
        );
        let chars = literal_pairs(
            &chars,
            dot,
            |b| !b.is_ascii_digit(),
            |a, b| format!(" {a} {b}"),
        );
        let chars = literal_pairs(
            &chars,
            |a| a.is_ascii_digit(),
            |b| b == '-',
            |a, b| format!("{a} {b} "),
        );
        chars.into_iter().collect()
    }

    #[test]
    fn thirteen_a_agrees_with_the_literal_rules_on_random_text() {
        let alphabet: Vec<char> = " .,-'05aZ$(/:;&<>[]{}~|\t".chars().collect();
        let mut state: u64 = 0x853c_49e6_748f_ea9b;
        let mut next = move |bound: usize| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 33) as usize % bound
        };
        for _ in 0..20_000 {
            let len = next(14);
            let line: String = (0..len).map(|_| alphabet[next(alphabet.len())]).collect();
            let expected = split_python_whitespace(&literal_13a(&line)).to_vec();
            assert_eq!(
                split_python_whitespace(&tokenize_13a(&line)).to_vec(),
                expected,
                "{line:?}"
            );
        }
    }

    #[test]
    fn ascii_fast_paths_agree_with_the_unicode_tables() {
        for b in 0u8..128 {
            let c = char::from(b);
            let gc = get_general_category(c);
            let punct = matches!(
                gc,
                GeneralCategory::ConnectorPunctuation
                    | GeneralCategory::DashPunctuation
                    | GeneralCategory::OpenPunctuation
                    | GeneralCategory::ClosePunctuation
                    | GeneralCategory::InitialPunctuation
                    | GeneralCategory::FinalPunctuation
                    | GeneralCategory::OtherPunctuation
            );
            let symbol = matches!(
                gc,
                GeneralCategory::MathSymbol
                    | GeneralCategory::CurrencySymbol
                    | GeneralCategory::ModifierSymbol
                    | GeneralCategory::OtherSymbol
            );
            assert_eq!(is_punctuation(c), punct, "{c:?}");
            let classes = ASCII_CLASSES[usize::from(b)];
            assert_eq!(classes & PUNCTUATION != 0, punct, "{c:?}");
            assert_eq!(classes & SYMBOL != 0, symbol, "{c:?}");
            assert_eq!(
                classes & NUMBER != 0,
                gc == GeneralCategory::DecimalNumber,
                "{c:?}"
            );
            assert_eq!(is_symbol(c), symbol, "{c:?}");
            assert_eq!(is_number(c), gc == GeneralCategory::DecimalNumber, "{c:?}");
        }
    }

    #[test]
    fn intl_splits_symbols_and_punctuation_outside_numbers() {
        assert_eq!(tintl("Size 2.5 cm, stable."), "Size 2.5 cm , stable .");
        assert_eq!(tintl("in 1990."), "in 1990.");
        assert_eq!(tintl("50% €3"), "50 % € 3");
        assert_eq!(tintl("«oui»"), "« oui »");
    }
}
