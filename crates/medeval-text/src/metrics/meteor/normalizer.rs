//! Meteor's English `-norm` normaliser (`Normalizer.normalizeLine`), a pure text pass of its own.

fn is_alpha(c: char) -> bool {
    matches!(c,
        'A'..='Z' | 'a'..='z' | 'Š' | 'Ž' | 'š' | 'ž' | 'Ÿ' | 'À'..='Ö' | 'Ø'..='ö' | 'ø'..='ž'
        | 'Ѐ'..='ӿ' | 'Ԁ'..='ԧ' | 'Ꙁ'..='ꙮ' | '꙾'..='ꚗ' | 'ᴀ'..='ᵿ')
}

fn is_alnum(c: char) -> bool {
    c.is_ascii_digit() || is_alpha(c)
}

fn is_java_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\u{b}' | '\u{c}' | '\r')
}

/// Replaces all non-overlapping matches of a three-character pattern `[a][b][c]`, scanning
/// left to right like `Matcher.replaceAll`.
fn replace_triples(
    text: &str,
    a: impl Fn(char) -> bool,
    b: impl Fn(char) -> bool,
    c: impl Fn(char) -> bool,
    replace: impl Fn(char, char, char, &mut String),
) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    let mut chars = text.chars();
    // The next three characters (`None` past the end).
    let mut window = [chars.next(), chars.next(), chars.next()];
    loop {
        match window {
            [Some(x), Some(y), Some(z)] if a(x) && b(y) && c(z) => {
                replace(x, y, z, &mut out);
                window = [chars.next(), chars.next(), chars.next()];
            }
            [Some(x), y, z] => {
                out.push(x);
                window = [y, z, chars.next()];
            }
            [None, ..] => return out,
        }
    }
}

fn spaced(x: char, middle: &str, y: char, out: &mut String) {
    out.push(x);
    out.push_str(middle);
    out.push(y);
}

/// Non-breaking prefixes of Meteor's English list: `true` for those that are non-breaking
/// only before a number.
fn nonbreaking_prefix(word: &str) -> Option<bool> {
    const ANY: &[&str] = &[
        "Adj", "Adm", "Adv", "Asst", "Bart", "Bldg", "Brig", "Bros", "Capt", "Cmdr", "Col",
        "Comdr", "Con", "Corp", "Cpl", "DR", "Dr", "Drs", "Ens", "Gen", "Gov", "Hon", "Hr", "Hosp",
        "Insp", "Lt", "MM", "MR", "MRS", "MS", "Maj", "Messrs", "Mlle", "Mme", "Mr", "Mrs", "Ms",
        "Msgr", "Op", "Ord", "Pfc", "Ph", "Prof", "Pvt", "Rep", "Reps", "Res", "Rev", "Rt", "Sen",
        "Sens", "Sfc", "Sgt", "Sr", "St", "Supt", "Surg", "v", "vs", "i.e", "rev", "e.g", "Nos",
        "Nr",
    ];
    const NUMERIC_ONLY: &[&str] = &["No", "Art", "pp"];
    let single_capital = word.len() == 1 && word.as_bytes()[0].is_ascii_uppercase();
    if single_capital || ANY.contains(&word) {
        Some(false)
    } else if NUMERIC_ONLY.contains(&word) {
        Some(true)
    } else {
        None
    }
}

/// Meteor's English `-norm` normalisation (before lower-casing).
pub fn normalize(line: &str) -> String {
    let mut s = String::with_capacity(line.len() + 16);
    s.push(' ');
    for c in line.chars() {
        if is_alnum(c) || is_java_space(c) || matches!(c, '.' | '\'' | '`' | ',' | '-' | '‘' | '’')
        {
            s.push(c);
        } else {
            s.push(' ');
            s.push(c);
            s.push(' ');
        }
    }
    s.push(' ');

    // Escape runs of dots.
    if s.contains("..") {
        let chars: Vec<char> = s.chars().collect();
        let mut out = String::with_capacity(s.len() + 16);
        let mut i = 0;
        while i < chars.len() {
            if chars[i] == '.' && chars.get(i + 1) == Some(&'.') {
                let mut j = i + 1;
                while chars.get(j) == Some(&'.') {
                    j += 1;
                }
                out.push_str(" DOTMULTI");
                out.extend(&chars[i + 1..j]);
                i = j;
            } else {
                out.push(chars[i]);
                i += 1;
            }
        }
        s = out;
        while s.contains("DOTMULTI.") {
            s = replace_dotmulti_before_non_dot(&s);
            s = s.replace("DOTMULTI.", "DOTDOTMULTI");
        }
    }

    // Commas outside numbers.
    let digit = |c: char| c.is_ascii_digit();
    let non_digit = |c: char| !c.is_ascii_digit();
    let comma = |c: char| c == ',';
    let sep = |x: char, _: char, y: char, o: &mut String| spaced(x, " , ", y, o);
    if s.contains(',') {
        s = replace_triples(&s, non_digit, comma, non_digit, sep);
        s = replace_triples(&s, digit, comma, non_digit, sep);
        s = replace_triples(&s, non_digit, comma, digit, sep);
    }

    // Quotes and dashes.
    if s.contains(['`', '‘', '’']) {
        s = s
            .chars()
            .map(|c| {
                if matches!(c, '`' | '‘' | '’') {
                    '\''
                } else {
                    c
                }
            })
            .collect();
    }
    if s.contains("''") || s.contains(['“', '”']) {
        s = s.replace("''", " \" ").replace(['“', '”'], " \" ");
    }
    if s.contains('–') {
        s = s.replace('–', "-");
    }
    if s.contains('-') {
        if s.contains("--") {
            s = s.replace("--", "-");
        }
        s = replace_triples(
            &s,
            |c| is_alnum(c) || c == '.',
            |c| c == '-',
            is_alnum,
            |x, _, y, o| spaced(x, " ", y, o),
        );
    }

    // English contractions split to the right.
    let apostrophe = |c: char| c == '\'';
    let split = |x: char, _: char, y: char, o: &mut String| spaced(x, " ' ", y, o);
    let attach = |x: char, _: char, y: char, o: &mut String| spaced(x, " '", y, o);
    if s.contains('\'') {
        s = replace_triples(&s, |c| !is_alpha(c), apostrophe, |c| !is_alpha(c), split);
        let before_letter = |c: char| !is_alpha(c) && !c.is_ascii_digit();
        s = replace_triples(&s, before_letter, apostrophe, is_alpha, split);
        s = replace_triples(&s, is_alpha, apostrophe, |c| !is_alpha(c), split);
        s = replace_triples(&s, is_alpha, apostrophe, is_alpha, attach);
        s = replace_triples(&s, digit, apostrophe, |c| c == 's', attach);
    }

    // Words ending in a dot: split unless a non-breaking prefix. Without a dot this step
    // changes only the spacing, which the final whitespace pass settles the same way, unless
    // there are tabs or line breaks (which only this step turns into spaces).
    if s.contains('.') || s.contains(['\t', '\n', '\r', '\u{c}']) {
        s = split_final_dots(&s);
    }
    if s.contains("DOTMULTI") {
        while s.contains("DOTDOTMULTI") {
            s = s.replace("DOTDOTMULTI", "DOTMULTI.");
        }
        s = s.replace("DOTMULTI", ".");
    }

    let mut out = String::with_capacity(s.len());
    let mut in_space = false;
    for c in s.chars() {
        if matches!(
            c,
            ' ' | '\u{a0}' | '\u{1680}' | '\u{2000}'
                ..='\u{200a}' | '\u{202f}' | '\u{205f}' | '\u{3000}'
        ) {
            if !in_space {
                out.push(' ');
            }
            in_space = true;
        } else {
            out.push(c);
            in_space = false;
        }
    }
    out.trim_matches(|c: char| c <= ' ').to_owned()
}

/// The normaliser's step for words ending in a dot: the dot is split off unless the word is a
/// dotted acronym (dots removed) or a non-breaking prefix; words are rejoined with single
/// spaces.
fn split_final_dots(s: &str) -> String {
    let words: Vec<&str> = s
        .split([' ', '\t', '\n', '\r', '\u{c}'])
        .filter(|w| !w.is_empty())
        .collect();
    let mut rebuilt = String::with_capacity(s.len());
    for (i, word) in words.iter().enumerate() {
        if word.len() > 1 && word.ends_with('.') {
            let prefix = &word[..word.len() - 1];
            let next = words.get(i + 1);
            if prefix.contains('.') && prefix.chars().any(is_alpha) {
                rebuilt.push_str(&word.replace('.', ""));
            } else if nonbreaking_prefix(prefix) == Some(false)
                || next.is_some_and(|n| n.starts_with(|c: char| c.is_ascii_lowercase()))
                || (nonbreaking_prefix(prefix) == Some(true)
                    && next.is_some_and(|n| n.starts_with(|c: char| c.is_ascii_digit())))
            {
                rebuilt.push_str(word);
            } else {
                rebuilt.push_str(prefix);
                rebuilt.push_str(" .");
            }
        } else {
            rebuilt.push_str(word);
        }
        rebuilt.push(' ');
    }
    rebuilt
}

/// `DOTMULTI\.([^\.])` -> `DOTDOTMULTI $1`.
fn replace_dotmulti_before_non_dot(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    let mut rest = s;
    while let Some(pos) = rest.find("DOTMULTI.") {
        let after = &rest[pos + "DOTMULTI.".len()..];
        match after.chars().next() {
            Some(c) if c != '.' => {
                out.push_str(&rest[..pos]);
                out.push_str("DOTDOTMULTI ");
                out.push(c);
                rest = &after[c.len_utf8()..];
            }
            _ => {
                out.push_str(&rest[..pos + "DOTMULTI.".len()]);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizer_splits_punctuation_and_undots_acronyms() {
        assert_eq!(normalize("the u.s. is big."), "the us is big .");
        assert_eq!(normalize("it's 2,000 (approx)"), "it 's 2,000 ( approx )");
        // Spacing comes out the same whether or not the dot step runs.
        assert_eq!(
            normalize("x-ray\tshows  no\neffusion"),
            "x ray shows no effusion"
        );
        assert_eq!(
            normalize(" x-ray  shows no effusion "),
            "x ray shows no effusion"
        );
        assert_eq!(
            normalize("x-ray  shows no effusion."),
            "x ray shows no effusion ."
        );
    }
}
