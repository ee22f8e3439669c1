//! Terminal tables that fit the terminal: at most [`TERMINAL_WIDTH`] columns.
//!
//! A table wider than that is first narrowed by wrapping text onto several lines: headers and
//! text cells at spaces (a word longer than [`LONGEST_UNBROKEN_WORD`] is cut), number cells only
//! at spaces outside brackets, so `72.4 [68.1, 76.3] n=451` may become `72.4 [68.1, 76.3]` over
//! `n=451` but no number or interval is ever split. When even that does not fit, the columns are
//! laid out in blocks one under the other, each repeating the first column (the row's label),
//! as a pager shows a wide data frame.

use std::fmt::Write as _;

use crate::table::{Align, Table, display_width, pad};

/// The widest a terminal table is laid out (titles included).
pub const TERMINAL_WIDTH: usize = 100;

/// Text words up to this width are kept whole; longer ones (ids, URLs) are cut to fit.
pub const LONGEST_UNBROKEN_WORD: usize = 20;

/// Spaces between columns.
const GAP: usize = 2;

/// `table` (already made visible) as aligned text of at most [`TERMINAL_WIDTH`] columns, or
/// wider only where a single number cannot be split.
pub(crate) fn terminal(table: &Table) -> String {
    let mut out = String::new();
    if let Some(title) = &table.title {
        for line in wrap(title, TERMINAL_WIDTH, Breaks::Words) {
            let _ = writeln!(out, "{line}");
        }
    }
    let natural = natural_widths(table);
    let minimum = minimum_widths(table);
    for (i, block) in column_blocks(&minimum).iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let widths = fit(block, &natural, &minimum);
        render_block(table, block, &widths, &mut out);
    }
    out
}

/// How a cell may be broken across lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Breaks {
    /// At spaces; words longer than [`LONGEST_UNBROKEN_WORD`] are cut.
    Words,
    /// At spaces outside brackets, and never inside a token: numbers stay whole.
    Numbers,
}

impl Breaks {
    fn of(align: Align) -> Self {
        match align {
            Align::Left => Self::Words,
            Align::Right => Self::Numbers,
        }
    }
}

/// The widest each column would be on one line.
fn natural_widths(table: &Table) -> Vec<usize> {
    table
        .columns
        .iter()
        .enumerate()
        .map(|(i, (header, _))| {
            table
                .rows
                .iter()
                .map(|row| display_width(&row[i]))
                .chain([display_width(header)])
                .max()
                .unwrap_or(0)
        })
        .collect()
}

/// The narrowest each column can be made by wrapping.
fn minimum_widths(table: &Table) -> Vec<usize> {
    table
        .columns
        .iter()
        .enumerate()
        .map(|(i, (header, align))| {
            table
                .rows
                .iter()
                .map(|row| narrowest(&row[i], Breaks::of(*align)))
                .chain([narrowest(header, Breaks::Words)])
                .max()
                .unwrap_or(0)
        })
        .collect()
}

/// The narrowest `text` can be wrapped to.
fn narrowest(text: &str, breaks: Breaks) -> usize {
    let longest = tokens(text, breaks)
        .iter()
        .map(|token| display_width(token))
        .max()
        .unwrap_or(0);
    match breaks {
        Breaks::Words => longest.min(LONGEST_UNBROKEN_WORD),
        Breaks::Numbers => longest,
    }
}

/// The pieces `text` may be broken between: words, or for numbers runs of words joined while
/// a bracket is open.
fn tokens(text: &str, breaks: Breaks) -> Vec<String> {
    let mut tokens: Vec<String> = Vec::new();
    let mut depth = 0_usize;
    for word in text.split(' ').filter(|word| !word.is_empty()) {
        match tokens.last_mut() {
            Some(last) if breaks == Breaks::Numbers && depth > 0 => {
                last.push(' ');
                last.push_str(word);
            }
            _ => tokens.push(word.to_owned()),
        }
        for c in word.chars() {
            match c {
                '[' | '(' => depth += 1,
                ']' | ')' => depth = depth.saturating_sub(1),
                _ => {}
            }
        }
    }
    tokens
}

/// `text` wrapped to lines of at most `width` columns (a token wider than that is cut, unless
/// it is a number token).
fn wrap(text: &str, width: usize, breaks: Breaks) -> Vec<String> {
    let width = width.max(1);
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for token in tokens(text, breaks) {
        let pieces = if breaks == Breaks::Words && display_width(&token) > width {
            cut(&token, width)
        } else {
            vec![token]
        };
        for piece in pieces {
            if line.is_empty() {
                line = piece;
            } else if display_width(&line) + 1 + display_width(&piece) <= width {
                line.push(' ');
                line.push_str(&piece);
            } else {
                lines.push(std::mem::replace(&mut line, piece));
            }
        }
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// `word` cut into pieces of at most `width` columns.
fn cut(word: &str, width: usize) -> Vec<String> {
    let mut pieces = vec![String::new()];
    for c in word.chars() {
        let current = pieces.last_mut().map_or(0, |p| display_width(p));
        if current + display_width(c.encode_utf8(&mut [0; 4])) > width && current > 0 {
            pieces.push(String::new());
        }
        if let Some(piece) = pieces.last_mut() {
            piece.push(c);
        }
    }
    pieces
}

/// Width of `columns` laid out at `widths`, gaps included.
fn total(columns: &[usize], widths: &[usize]) -> usize {
    columns.iter().map(|&c| widths[c]).sum::<usize>() + GAP * columns.len().saturating_sub(1)
}

/// The columns in blocks that fit [`TERMINAL_WIDTH`] at their narrowest, each block after the
/// first starting with column 0 again. One block when everything fits.
fn column_blocks(minimum: &[usize]) -> Vec<Vec<usize>> {
    let all: Vec<usize> = (0..minimum.len()).collect();
    if all.len() <= 2 || total(&all, minimum) <= TERMINAL_WIDTH {
        return vec![all];
    }
    let mut blocks = Vec::new();
    let mut current = vec![0];
    for column in 1..minimum.len() {
        current.push(column);
        if current.len() > 2 && total(&current, minimum) > TERMINAL_WIDTH {
            current.pop();
            blocks.push(std::mem::replace(&mut current, vec![0, column]));
        }
    }
    blocks.push(current);
    blocks
}

/// Widths for the columns of `block`: natural when they fit, otherwise narrowed one column at
/// a time, widest first, down to each column's minimum.
fn fit(block: &[usize], natural: &[usize], minimum: &[usize]) -> Vec<usize> {
    let mut widths = natural.to_vec();
    while total(block, &widths) > TERMINAL_WIDTH {
        let widest = block
            .iter()
            .copied()
            .filter(|&c| widths[c] > minimum[c])
            .max_by_key(|&c| (widths[c], std::cmp::Reverse(c)));
        match widest {
            Some(column) => widths[column] -= 1,
            None => break,
        }
    }
    widths
}

/// The header, the rule and the rows of the columns in `block`, at `widths`.
fn render_block(table: &Table, block: &[usize], widths: &[usize], out: &mut String) {
    let headers: Vec<Vec<String>> = block
        .iter()
        .map(|&c| wrap(&table.columns[c].0, widths[c], Breaks::Words))
        .collect();
    let height = headers.iter().map(Vec::len).max().unwrap_or(1);
    // Headers sit on the rule: a short one is padded above.
    for line in 0..height {
        let cells: Vec<String> = block
            .iter()
            .zip(&headers)
            .map(|(&c, lines)| {
                let offset = height - lines.len();
                let text = line.checked_sub(offset).map_or("", |i| lines[i].as_str());
                pad(text, widths[c], table.columns[c].1)
            })
            .collect();
        let _ = writeln!(out, "{}", cells.join("  ").trim_end());
    }
    let rule: Vec<String> = block.iter().map(|&c| "─".repeat(widths[c])).collect();
    let _ = writeln!(out, "{}", rule.join("  "));
    for row in &table.rows {
        let cells: Vec<Vec<String>> = block
            .iter()
            .map(|&c| {
                let align = table.columns[c].1;
                wrap(&row[c], widths[c], Breaks::of(align))
            })
            .collect();
        let height = cells.iter().map(Vec::len).max().unwrap_or(1);
        for line in 0..height {
            let padded: Vec<String> = block
                .iter()
                .zip(&cells)
                .map(|(&c, lines)| {
                    let text = lines.get(line).map_or("", String::as_str);
                    pad(text, widths[c], table.columns[c].1)
                })
                .collect();
            let _ = writeln!(out, "{}", padded.join("  ").trim_end());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn width_of(text: &str) -> usize {
        text.lines().map(display_width).max().unwrap_or(0)
    }

    #[test]
    fn number_cells_break_only_between_whole_numbers() {
        assert_eq!(
            tokens("50.0 [0.0, 100.0] n=4", Breaks::Numbers),
            ["50.0", "[0.0, 100.0]", "n=4"]
        );
        assert_eq!(
            wrap("50.0 [0.0, 100.0]‡ n=4", 14, Breaks::Numbers),
            ["50.0", "[0.0, 100.0]‡", "n=4"]
        );
        assert_eq!(wrap("abcdefghij", 4, Breaks::Words), ["abcd", "efgh", "ij"]);
    }

    #[test]
    fn a_table_that_fits_is_laid_out_on_one_line_per_row() {
        let mut table = Table::new(&[("group", Align::Left), ("acc", Align::Right)]);
        table.push(vec!["CT".into(), "71.0%".into()]);
        assert_eq!(
            terminal(&table),
            "group    acc\n─────  ─────\nCT     71.0%\n"
        );
    }

    #[test]
    fn long_headers_and_text_wrap_and_numbers_stay_whole() {
        let long = "micro average over every sample of every group of the run";
        let mut table = Table::new(&[
            ("label", Align::Left),
            ("a very long header about intervals", Align::Right),
            ("b", Align::Right),
        ]);
        table.push(vec![
            long.repeat(2),
            "12345678901234567890".into(),
            "[1.5, 2.5]".into(),
        ]);
        let text = terminal(&table);
        assert!(width_of(&text) <= TERMINAL_WIDTH, "{text}");
        assert!(text.contains("12345678901234567890"), "{text}");
        assert!(text.contains("[1.5, 2.5]"), "{text}");
    }

    #[test]
    fn too_many_columns_are_laid_out_in_blocks_repeating_the_first() {
        let mut columns = vec![("model", Align::Left)];
        let headers: Vec<String> = (0..9).map(|i| format!("benchmark-{i}")).collect();
        columns.extend(headers.iter().map(|h| (h.as_str(), Align::Right)));
        let mut table = Table::new(&columns);
        let mut row = vec!["baseline:majority".to_owned()];
        row.extend((0..9).map(|i| format!("5{i}.0 [0.0, 100.0]‡ n=4")));
        table.push(row);
        let text = terminal(&table);
        assert!(width_of(&text) <= TERMINAL_WIDTH, "{text}");
        assert!(text.matches("baseline:majority").count() >= 2, "{text}");
        for i in 0..9 {
            assert!(text.contains(&format!("benchmark-{i}")), "{text}");
            assert!(text.contains(&format!("5{i}.0")), "{text}");
        }
        assert_eq!(text.matches("[0.0, 100.0]‡").count(), 9, "{text}");
    }
}
