//! Options and gold letters from upstream cells, apart from the rest of the `[item]` mapping.

use medeval_core::{Letter, Options};

use crate::card::pylist;
use crate::card::schema::OptionsSpec;
use crate::record::Cell;

#[derive(Debug, Clone)]
pub(super) enum OptionsSource {
    Columns(Vec<String>),
    Column(String),
    Fixed(Vec<String>),
}

pub(super) fn compile_options(spec: &OptionsSpec) -> Result<OptionsSource, String> {
    let given = [
        spec.columns.is_some(),
        spec.column.is_some(),
        spec.fixed.is_some(),
    ]
    .iter()
    .filter(|g| **g)
    .count();
    if given != 1 {
        return Err("item.options: give exactly one of `columns`, `column` or `fixed`".into());
    }
    if let Some(columns) = &spec.columns {
        if columns.len() < 2 || columns.len() > 26 {
            return Err("item.options.columns: list 2 to 26 columns".into());
        }
        return Ok(OptionsSource::Columns(columns.clone()));
    }
    if let Some(fixed) = &spec.fixed {
        if fixed.len() < 2 || fixed.len() > 26 {
            return Err("item.options.fixed: list 2 to 26 options".into());
        }
        return Ok(OptionsSource::Fixed(fixed.clone()));
    }
    Ok(OptionsSource::Column(
        spec.column.clone().unwrap_or_default(),
    ))
}

/// The options held in one cell: a struct keyed by letter, a list, or text holding a list.
pub(super) fn parse_option_cell(cell: &Cell) -> Result<Vec<(Letter, String)>, String> {
    match cell {
        Cell::Null => Ok(Vec::new()),
        Cell::Struct(fields) => {
            let mut options = Vec::new();
            for (key, value) in fields {
                let letter = Letter::try_from(key.trim().to_owned())
                    .map_err(|_| format!("option key {key:?} is not a letter A-Z"))?;
                if let Some(text) = value.scalar_text().filter(|t| !t.trim().is_empty()) {
                    options.push((letter, text));
                }
            }
            Ok(options)
        }
        Cell::List(list) => list_options(list.iter().map(|c| c.scalar_text())),
        Cell::Text(text) => {
            let trimmed = text.trim();
            if trimmed.is_empty() {
                return Ok(Vec::new());
            }
            if trimmed.starts_with('[') {
                let items = pylist::parse_string_list(trimmed)
                    .map_err(|e| format!("cannot read the option list: {e}"))?;
                return list_options(items.into_iter().map(Some));
            }
            if trimmed.starts_with('{') {
                let value: serde_json::Value = serde_json::from_str(trimmed)
                    .map_err(|e| format!("cannot read the option object: {e}"))?;
                return parse_option_cell(&Cell::from_json(value));
            }
            Err(format!(
                "expected a list or an object of options, found text {:?}",
                truncate(trimmed, 40)
            ))
        }
        other => Err(format!("expected options, found {}", other.kind())),
    }
}

fn list_options(
    texts: impl Iterator<Item = Option<String>>,
) -> Result<Vec<(Letter, String)>, String> {
    let mut options = Vec::new();
    for (index, text) in texts.enumerate() {
        let letter = Letter::from_index(index).ok_or("more than 26 options")?;
        if let Some(text) = text.filter(|t| !t.trim().is_empty()) {
            options.push((letter, text));
        }
    }
    Ok(options)
}

/// The letter of the one option whose text is `text` (exactly after trimming, else ignoring case).
pub(super) fn option_with_text(options: &Options, text: &str) -> Result<Letter, String> {
    let exact: Vec<Letter> = options
        .iter()
        .filter(|(_, option)| option.trim() == text)
        .map(|(letter, _)| *letter)
        .collect();
    let matches = if exact.is_empty() {
        options
            .iter()
            .filter(|(_, option)| option.trim().to_lowercase() == text.to_lowercase())
            .map(|(letter, _)| *letter)
            .collect()
    } else {
        exact
    };
    match matches.as_slice() {
        [letter] => Ok(*letter),
        [] => Err(format!(
            "the gold answer {:?} is not the text of any option",
            truncate(text, 60)
        )),
        several => Err(format!(
            "the gold answer {:?} is the text of several options ({})",
            truncate(text, 60),
            several.iter().map(|l| l.as_char()).collect::<String>()
        )),
    }
}

fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let cut: String = text.chars().take(max).collect();
    format!("{cut}…")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn letter(c: char) -> Letter {
        Letter::new(c).unwrap()
    }

    #[test]
    fn option_cells_in_every_upstream_shape() {
        let object = Cell::Struct(vec![
            ("A".into(), Cell::Text("CT".into())),
            ("B".into(), Cell::Text("MRI".into())),
        ]);
        assert_eq!(
            parse_option_cell(&object).unwrap(),
            vec![(letter('A'), "CT".into()), (letter('B'), "MRI".into())]
        );
        let python = Cell::Text("['Kaposi\\'s sarcoma', \"MRI\"]".into());
        assert_eq!(
            parse_option_cell(&python).unwrap(),
            vec![
                (letter('A'), "Kaposi's sarcoma".into()),
                (letter('B'), "MRI".into())
            ]
        );
        assert!(
            parse_option_cell(&Cell::Text("[]".into()))
                .unwrap()
                .is_empty()
        );
        assert!(parse_option_cell(&Cell::Text("CT or MRI".into())).is_err());
    }

    #[test]
    fn gold_text_must_name_exactly_one_option() {
        let mut options = Options::new();
        options.insert(letter('A'), "Lung".into());
        options.insert(letter('B'), "Liver".into());
        assert_eq!(option_with_text(&options, "Liver").unwrap(), letter('B'));
        assert_eq!(option_with_text(&options, "liver").unwrap(), letter('B'));
        assert!(option_with_text(&options, "Kidney").is_err());
        options.insert(letter('C'), "Liver".into());
        assert_eq!(
            option_with_text(&options, "Liver").unwrap_err(),
            "the gold answer \"Liver\" is the text of several options (BC)"
        );
    }
}
