//! Lists of strings written as Python literals, as MMMU stores its options:
//! `['Hydrolysis', "Kaposi's sarcoma"]`. JSON arrays of strings are a special case.

/// Parses a Python (or JSON) list literal holding only strings.
pub fn parse_string_list(text: &str) -> Result<Vec<String>, String> {
    let chars: Vec<char> = text.trim().chars().collect();
    let mut i = 0;
    let expect = |i: usize, what: char| -> Result<(), String> {
        match chars.get(i) {
            Some(c) if *c == what => Ok(()),
            Some(c) => Err(format!(
                "expected `{what}` at character {}, found `{c}`",
                i + 1
            )),
            None => Err(format!("expected `{what}` at the end")),
        }
    };
    expect(i, '[')?;
    i += 1;
    let mut items = Vec::new();
    loop {
        skip_space(&chars, &mut i);
        match chars.get(i) {
            Some(']') => {
                i += 1;
                break;
            }
            Some('\'' | '"') => {
                items.push(string(&chars, &mut i)?);
                skip_space(&chars, &mut i);
                match chars.get(i) {
                    Some(',') => i += 1,
                    Some(']') => {
                        i += 1;
                        break;
                    }
                    Some(c) => {
                        return Err(format!(
                            "expected `,` or `]` at character {}, found `{c}`",
                            i + 1
                        ));
                    }
                    None => return Err("the list is not closed".into()),
                }
            }
            Some(c) => {
                return Err(format!(
                    "expected a quoted string at character {}, found `{c}`",
                    i + 1
                ));
            }
            None => return Err("the list is not closed".into()),
        }
    }
    skip_space(&chars, &mut i);
    if i != chars.len() {
        return Err(format!(
            "unexpected text after the list at character {}",
            i + 1
        ));
    }
    Ok(items)
}

fn skip_space(chars: &[char], i: &mut usize) {
    while chars.get(*i).is_some_and(|c| c.is_whitespace()) {
        *i += 1;
    }
}

/// A quoted string with Python's common escapes; `i` is at the opening quote.
fn string(chars: &[char], i: &mut usize) -> Result<String, String> {
    let quote = chars[*i];
    let start = *i;
    *i += 1;
    let mut out = String::new();
    loop {
        match chars.get(*i) {
            None => {
                return Err(format!(
                    "the string starting at character {} is not closed",
                    start + 1
                ));
            }
            Some(c) if *c == quote => {
                *i += 1;
                return Ok(out);
            }
            Some('\\') => {
                let escaped = chars.get(*i + 1).copied();
                *i += 2;
                match escaped {
                    Some('n') => out.push('\n'),
                    Some('t') => out.push('\t'),
                    Some('r') => out.push('\r'),
                    Some('\\') => out.push('\\'),
                    Some('\'') => out.push('\''),
                    Some('"') => out.push('"'),
                    Some('u') => {
                        let hex: String =
                            chars.get(*i..*i + 4).unwrap_or_default().iter().collect();
                        let code = u32::from_str_radix(&hex, 16)
                            .ok()
                            .and_then(char::from_u32)
                            .ok_or_else(|| format!("bad \\u escape near character {}", *i))?;
                        out.push(code);
                        *i += 4;
                    }
                    // Python keeps unknown escapes as they are.
                    Some(other) => {
                        out.push('\\');
                        out.push(other);
                    }
                    None => return Err("a string ends in a backslash".into()),
                }
            }
            Some(c) => {
                out.push(*c);
                *i += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_python_and_json_lists() {
        assert_eq!(
            parse_string_list(r#"['a', "b's", 'c\'d', '<image 2>']"#).unwrap(),
            vec!["a", "b's", "c'd", "<image 2>"]
        );
        assert_eq!(
            parse_string_list(r#"["x", "\u00e9"]"#).unwrap(),
            vec!["x", "é"]
        );
        assert!(parse_string_list("[]").unwrap().is_empty());
        assert!(parse_string_list("['a',]").unwrap() == vec!["a"]);
    }

    #[test]
    fn rejects_what_is_not_a_list_of_strings() {
        assert!(parse_string_list("['a'").is_err());
        assert!(parse_string_list("[1, 2]").is_err());
        assert!(parse_string_list("['a'] tail").is_err());
        assert!(parse_string_list("'a'").is_err());
    }
}
