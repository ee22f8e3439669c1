//! A small table model rendered to the formats users paste into terminals, papers and notebooks.

use std::fmt::Write as _;

/// Output formats for tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Aligned plain text for terminals.
    Terminal,
    /// GitHub-flavoured Markdown.
    Markdown,
    /// RFC 4180 CSV.
    Csv,
    /// A LaTeX `tabular` (booktabs rules).
    Latex,
}

impl Format {
    /// Parses `table`, `markdown`, `csv` or `latex`.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "table" | "terminal" => Some(Self::Terminal),
            "markdown" | "md" => Some(Self::Markdown),
            "csv" => Some(Self::Csv),
            "latex" | "tex" => Some(Self::Latex),
            _ => None,
        }
    }
}

/// Column alignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    /// Text columns.
    Left,
    /// Number columns.
    Right,
}

/// A table: a title, headed columns and rows of cells.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Table {
    /// Shown above the table (a caption in LaTeX, omitted in CSV).
    pub title: Option<String>,
    /// Column headers with their alignment.
    pub columns: Vec<(String, Align)>,
    /// Rows; each has one cell per column.
    pub rows: Vec<Vec<String>>,
}

impl Table {
    /// An empty table with the given columns.
    pub fn new(columns: &[(&str, Align)]) -> Self {
        Self {
            title: None,
            columns: columns
                .iter()
                .map(|(name, align)| ((*name).to_owned(), *align))
                .collect(),
            rows: Vec::new(),
        }
    }

    /// Sets the title.
    pub fn titled(mut self, title: impl Into<String>) -> Self {
        self.title = Some(title.into());
        self
    }

    /// Appends a row (padded or cut to the number of columns).
    pub fn push(&mut self, mut row: Vec<String>) {
        row.resize(self.columns.len(), String::new());
        self.rows.push(row);
    }

    /// Renders the table. Cells may hold untrusted text (item ids, metadata, model output): in
    /// every format control characters are shown as escapes, never sent to the reader's
    /// terminal or editor, and each format's own special characters are escaped. A terminal
    /// table fits 100 columns: long text wraps, and too many columns are laid out in blocks
    /// (see [`crate::layout`]); numbers are never split.
    pub fn render(&self, format: Format) -> String {
        let visible = self.visible();
        match format {
            Format::Terminal => crate::layout::terminal(&visible),
            Format::Markdown => visible.markdown(),
            Format::Csv => visible.csv(),
            Format::Latex => visible.latex(),
        }
    }

    /// The table with every control character in its title, headers and cells escaped.
    fn visible(&self) -> Table {
        Table {
            title: self.title.as_deref().map(|t| visible(t).into_owned()),
            columns: self
                .columns
                .iter()
                .map(|(header, align)| (visible(header).into_owned(), *align))
                .collect(),
            rows: self
                .rows
                .iter()
                .map(|row| row.iter().map(|c| visible(c).into_owned()).collect())
                .collect(),
        }
    }

    fn markdown(&self) -> String {
        let mut out = String::new();
        if let Some(title) = &self.title {
            let _ = writeln!(out, "**{}**\n", escape_markdown(title));
        }
        let header: Vec<String> = self
            .columns
            .iter()
            .map(|(h, _)| escape_markdown(h))
            .collect();
        let _ = writeln!(out, "| {} |", header.join(" | "));
        let rule: Vec<&str> = self
            .columns
            .iter()
            .map(|(_, align)| match align {
                Align::Left => ":---",
                Align::Right => "---:",
            })
            .collect();
        let _ = writeln!(out, "| {} |", rule.join(" | "));
        for row in &self.rows {
            let cells: Vec<String> = row.iter().map(|c| escape_markdown(c)).collect();
            let _ = writeln!(out, "| {} |", cells.join(" | "));
        }
        out
    }

    fn csv(&self) -> String {
        let mut out = String::new();
        let header: Vec<String> = self.columns.iter().map(|(h, _)| escape_csv(h)).collect();
        let _ = writeln!(out, "{}", header.join(","));
        for row in &self.rows {
            let cells: Vec<String> = row.iter().map(|c| escape_csv(c)).collect();
            let _ = writeln!(out, "{}", cells.join(","));
        }
        out
    }

    fn latex(&self) -> String {
        let mut out = String::new();
        let spec: String = self
            .columns
            .iter()
            .map(|(_, align)| match align {
                Align::Left => 'l',
                Align::Right => 'r',
            })
            .collect();
        if let Some(title) = &self.title {
            let _ = writeln!(out, "% {}", title.replace('\n', " "));
        }
        let _ = writeln!(out, "\\begin{{tabular}}{{{spec}}}");
        let _ = writeln!(out, "\\toprule");
        let header: Vec<String> = self.columns.iter().map(|(h, _)| escape_latex(h)).collect();
        let _ = writeln!(out, "{} \\\\", header.join(" & "));
        let _ = writeln!(out, "\\midrule");
        for row in &self.rows {
            let cells: Vec<String> = row.iter().map(|c| escape_latex(c)).collect();
            let _ = writeln!(out, "{} \\\\", cells.join(" & "));
        }
        let _ = writeln!(out, "\\bottomrule");
        let _ = writeln!(out, "\\end{{tabular}}");
        out
    }
}

/// Width in terminal columns, counting East Asian wide characters as two.
pub(crate) fn display_width(text: &str) -> usize {
    text.chars()
        .map(|c| match u32::from(c) {
            0x1100..=0x115F
            | 0x2E80..=0xA4CF
            | 0xAC00..=0xD7A3
            | 0xF900..=0xFAFF
            | 0xFE30..=0xFE4F
            | 0xFF00..=0xFF60
            | 0xFFE0..=0xFFE6 => 2,
            _ => 1,
        })
        .sum()
}

/// `cell` padded with spaces to `width` columns on the side `align` leaves free.
pub(crate) fn pad(cell: &str, width: usize, align: Align) -> String {
    let fill = " ".repeat(width.saturating_sub(display_width(cell)));
    match align {
        Align::Left => format!("{cell}{fill}"),
        Align::Right => format!("{fill}{cell}"),
    }
}

/// `text` with C0 and C1 control characters (ESC, BEL, CR, newlines, tabs ...) written as Rust
/// escapes (`\u{1b}`, `\n`), so untrusted text can neither move the cursor, clear the screen,
/// plant a hyperlink nor break a line of a table.
pub fn visible(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Model output and metadata are untrusted: keep them from breaking the table's structure.
fn escape_markdown(cell: &str) -> String {
    cell.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace(['\n', '\r'], " ")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Quotes what CSV needs quoted, and neutralises cells a spreadsheet would run as a formula
/// (leading `=`, `+`, `-`, `@`; OWASP's advice: a leading apostrophe). Numbers, negative ones
/// included, stay numbers.
fn escape_csv(cell: &str) -> String {
    let formula = cell.starts_with(['=', '+', '-', '@']) && cell.trim().parse::<f64>().is_err();
    let cell = if formula {
        std::borrow::Cow::Owned(format!("'{cell}"))
    } else {
        std::borrow::Cow::Borrowed(cell)
    };
    if cell.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", cell.replace('"', "\"\""))
    } else {
        cell.into_owned()
    }
}

fn escape_latex(cell: &str) -> String {
    let mut out = String::with_capacity(cell.len());
    for c in cell.chars() {
        match c {
            '\\' => out.push_str("\\textbackslash{}"),
            '&' | '%' | '$' | '#' | '_' | '{' | '}' => {
                out.push('\\');
                out.push(c);
            }
            '~' => out.push_str("\\textasciitilde{}"),
            '^' => out.push_str("\\textasciicircum{}"),
            '±' => out.push_str("$\\pm$"),
            '\n' | '\r' => out.push(' '),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Table {
        let mut table =
            Table::new(&[("group", Align::Left), ("acc", Align::Right)]).titled("by modality");
        table.push(vec!["CT".into(), "71.0%".into()]);
        table.push(vec!["a|b, \"c\"_&".into(), "5.0%".into()]);
        table
    }

    #[test]
    fn control_characters_and_formulas_are_inert_in_every_format() {
        let mut table = Table::new(&[("id", Align::Left), ("value", Align::Right)]);
        table.push(vec!["a\u{1b}[2Jb".into(), "=HYPERLINK(\"x\")".into()]);
        table.push(vec!["\u{1b}]8;;http://x\u{7}link".into(), "-0.25".into()]);
        for format in [
            Format::Terminal,
            Format::Markdown,
            Format::Csv,
            Format::Latex,
        ] {
            let rendered = table.render(format);
            assert!(
                !rendered.contains('\u{1b}') && !rendered.contains('\u{7}'),
                "{format:?}: {rendered:?}"
            );
        }
        assert!(table.render(Format::Terminal).contains("a\\u{1b}[2Jb"));
        let csv = table.render(Format::Csv);
        assert!(csv.contains("\"'=HYPERLINK(\"\"x\"\")\""), "{csv}");
        assert!(
            csv.contains(",-0.25"),
            "a negative number stays a number: {csv}"
        );
    }

    #[test]
    fn terminal_aligns_columns() {
        assert_eq!(
            sample().render(Format::Terminal),
            "by modality\ngroup         acc\n──────────  ─────\nCT          71.0%\na|b, \"c\"_&   5.0%\n"
        );
    }

    #[test]
    fn every_format_escapes_cells() {
        let md = sample().render(Format::Markdown);
        assert!(md.contains("| a\\|b, \"c\"_& | 5.0% |"), "{md}");
        assert!(md.contains("| :--- | ---: |"));
        let csv = sample().render(Format::Csv);
        assert_eq!(csv, "group,acc\nCT,71.0%\n\"a|b, \"\"c\"\"_&\",5.0%\n");
        let tex = sample().render(Format::Latex);
        assert!(tex.contains("a|b, \"c\"\\_\\& & 5.0\\% \\\\"), "{tex}");
        assert!(tex.starts_with("% by modality\n\\begin{tabular}{lr}\n\\toprule\n"));
    }

    #[test]
    fn wide_characters_take_two_columns() {
        assert_eq!(display_width("肺"), 2);
        assert_eq!(pad("肺", 4, Align::Left), "肺  ");
    }
}
