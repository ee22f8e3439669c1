//! Terminal tables that fit the terminal: at most [`TERMINAL_WIDTH`] columns.
//!
//! A table wider than that is first narrowed by wrapping text onto several lines, headers first
//! and then the columns where the fewest cells wrap: headers and text cells at spaces (then a
//! word too long for its column after punctuation such as `|` or `-`, and cut only down to
//! [`LONGEST_UNBROKEN_WORD`]), number cells only at spaces outside brackets, so
//! `72.4 [68.1, 76.3] n=451` may become `72.4 [68.1, 76.3]` over `n=451` but no number or
//! interval is ever split. When even that does not fit, the columns are laid out in blocks one
//! under the other, as many as fit without wrapping a cell, each repeating the first column
//! (the row's label), as a pager shows a wide data frame.

use std::cmp::Reverse;
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
    let widths = Widths::of(table);
    for (i, block) in widths.blocks().iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let fitted = widths.fit(table, block);
        render_block(table, block, &fitted, &mut out);
    }
    out
}

/// How a cell may be broken across lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Breaks {
    /// At spaces; a word too long for its column is broken after punctuation (`|`, `-`, `/`
    /// ...) or, failing that, cut, never below [`LONGEST_UNBROKEN_WORD`].
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

/// Characters a long word may be broken after.
const WORD_BREAKS: [char; 7] = ['|', '/', '-', '_', '=', ',', ':'];

/// The widths each column can take.
struct Widths {
    /// On one line: the widest header or cell.
    natural: Vec<usize>,
    /// Without wrapping any cell (only the header may wrap, at spaces).
    unwrapped: Vec<usize>,
    /// Breaking words only after punctuation, never a number.
    whole_words: Vec<usize>,
    /// The narrowest: words broken too.
    narrowest: Vec<usize>,
}

impl Widths {
    fn of(table: &Table) -> Self {
        let column = |i: usize, measure: &dyn Fn(&str, Breaks) -> usize, header: bool| {
            table
                .rows
                .iter()
                .map(|row| measure(&row[i], Breaks::of(table.columns[i].1)))
                .chain(header.then(|| measure(&table.columns[i].0, Breaks::Words)))
                .max()
                .unwrap_or(0)
        };
        let count = table.columns.len();
        let whole = |text: &str, breaks: Breaks| longest_piece(text, breaks, usize::MAX);
        let natural: Vec<usize> = (0..count)
            .map(|i| column(i, &|text, _| display_width(text), true))
            .collect();
        let whole_words: Vec<usize> = (0..count).map(|i| column(i, &whole, true)).collect();
        let unwrapped: Vec<usize> = (0..count)
            .map(|i| column(i, &|text, _| display_width(text), false).max(whole_words[i]))
            .collect();
        let cut = |text: &str, breaks: Breaks| longest_piece(text, breaks, LONGEST_UNBROKEN_WORD);
        let narrowest = (0..count).map(|i| column(i, &cut, true)).collect();
        Self {
            natural,
            unwrapped,
            whole_words,
            narrowest,
        }
    }

    /// The columns in blocks, each block after the first starting with column 0 again. One
    /// block when wrapping can make the table fit; otherwise as many columns per block as fit
    /// without wrapping a cell.
    fn blocks(&self) -> Vec<Vec<usize>> {
        let all: Vec<usize> = (0..self.natural.len()).collect();
        if all.len() <= 2 || total(&all, &self.narrowest) <= TERMINAL_WIDTH {
            return vec![all];
        }
        let mut blocks = Vec::new();
        let mut current = vec![0];
        for column in 1..self.natural.len() {
            current.push(column);
            if current.len() > 2 && total(&current, &self.unwrapped) > TERMINAL_WIDTH {
                current.pop();
                blocks.push(std::mem::replace(&mut current, vec![0, column]));
            }
        }
        blocks.push(current);
        blocks
    }

    /// Widths for the columns of `block`: natural when they fit; otherwise narrowed a column at
    /// a time, first breaking words only after punctuation, then cutting them. Each step narrows
    /// the column that would wrap the fewest cells, a cell broken inside a word counting three
    /// times (a header wrapping costs nothing), the widest first among equals.
    fn fit(&self, table: &Table, block: &[usize]) -> Vec<usize> {
        let mut widths = self.natural.clone();
        for floor in [&self.whole_words, &self.narrowest] {
            while total(block, &widths) > TERMINAL_WIDTH {
                let cheapest = block
                    .iter()
                    .copied()
                    .filter(|&c| widths[c] > floor[c])
                    .min_by_key(|&c| {
                        let narrower = widths[c] - 1;
                        let cost = wrapped_cells(table, c, narrower)
                            + 2 * broken_words(table, c, narrower);
                        (cost, Reverse(widths[c]), c)
                    });
                match cheapest {
                    Some(column) => widths[column] -= 1,
                    None => break,
                }
            }
        }
        widths
    }
}

/// Cells of column `c` wider than `width`: the rows that would take more than one line.
fn wrapped_cells(table: &Table, c: usize, width: usize) -> usize {
    table
        .rows
        .iter()
        .filter(|row| display_width(&row[c]) > width)
        .count()
}

/// Cells of column `c` with a word (or number token) wider than `width`: the rows whose text
/// would be broken inside a word.
fn broken_words(table: &Table, c: usize, width: usize) -> usize {
    let breaks = Breaks::of(table.columns[c].1);
    table
        .rows
        .iter()
        .filter(|row| longest_token(&row[c], breaks) > width)
        .count()
}

/// The widest piece of `text` that is never broken: a word, or for numbers a token.
fn longest_token(text: &str, breaks: Breaks) -> usize {
    tokens(text, breaks)
        .iter()
        .map(|token| display_width(token))
        .max()
        .unwrap_or(0)
}

/// The narrowest `text` can be wrapped to with words broken after punctuation and their pieces
/// cut down to `cut` columns (numbers are never broken).
fn longest_piece(text: &str, breaks: Breaks, cut: usize) -> usize {
    match breaks {
        Breaks::Numbers => longest_token(text, breaks),
        Breaks::Words => tokens(text, breaks)
            .iter()
            .flat_map(|word| word_pieces(word))
            .map(|piece| display_width(&piece).min(cut))
            .max()
            .unwrap_or(0),
    }
}

/// `word` split after each of [`WORD_BREAKS`].
fn word_pieces(word: &str) -> Vec<String> {
    let mut pieces = vec![String::new()];
    for c in word.chars() {
        if let Some(piece) = pieces.last_mut() {
            piece.push(c);
        }
        if WORD_BREAKS.contains(&c) {
            pieces.push(String::new());
        }
    }
    pieces.retain(|piece| !piece.is_empty());
    pieces
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

/// `text` wrapped to lines of at most `width` columns (a word wider than that is broken, a
/// number token is not).
fn wrap(text: &str, width: usize, breaks: Breaks) -> Vec<String> {
    let width = width.max(1);
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for token in tokens(text, breaks) {
        let pieces = if breaks == Breaks::Words && display_width(&token) > width {
            break_word(&token, width)
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

/// `word` in pieces of at most `width` columns, broken after punctuation where it can be and
/// cut where it cannot.
fn break_word(word: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = vec![String::new()];
    for piece in word_pieces(word) {
        for part in cut(&piece, width) {
            let current = lines.last().map_or(0, |line| display_width(line));
            if current > 0 && current + display_width(&part) > width {
                lines.push(part);
            } else if let Some(line) = lines.last_mut() {
                line.push_str(&part);
            }
        }
    }
    lines
}

/// `word` cut into pieces of at most `width` columns.
fn cut(word: &str, width: usize) -> Vec<String> {
    let mut pieces = vec![String::new()];
    for c in word.chars() {
        let current = pieces.last().map_or(0, |p| display_width(p));
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
        // A long word breaks after punctuation before it is cut.
        assert_eq!(
            wrap("section=findings|findings-impression", 20, Breaks::Words),
            ["section=findings|", "findings-impression"]
        );
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
