//! Benchmark cards and downloaded folders, worded for a reader: the card listing, a card's
//! JSON, the integrity check report and the one-line account of a verified benchmark.
//!
//! `bench list`, `bench check` and `run --bench` print these; the viewer shows the same words,
//! so a row-count mismatch or a skipped row reads the same everywhere.

use std::collections::BTreeMap;
use std::path::Path;

use medeval_data::{Card, CheckReport, Verified};
use medeval_report::{Align, Format, Table};
use serde_json::json;

/// The card listing: name (also the `--data-root` sub-folder), title, evaluation split,
/// expected rows, answer types and options (the default value first).
pub fn listing_table(cards: &[Card]) -> Table {
    let mut table = Table::new(&[
        ("name", Align::Left),
        ("title", Align::Left),
        ("split", Align::Left),
        ("rows", Align::Right),
        ("answer types", Align::Left),
        ("options", Align::Left),
    ]);
    for card in cards {
        let spec = card.spec();
        table.push(vec![
            card.name().to_owned(),
            spec.title.clone(),
            spec.split.clone(),
            default_rows(card).map_or_else(|| "not pinned".to_owned(), |rows| rows.to_string()),
            answer_types(card).join(", "),
            options(card),
        ]);
    }
    table
}

/// One line per verified benchmark, printed before its run: rows against the card, rows
/// skipped, the split and the files hashed.
pub fn verified_line(verified: &Verified) -> String {
    let record = &verified.record;
    let rows = match record.expected_rows {
        Some(expected) if expected == record.rows => {
            format!("{} rows, as the card expects", record.rows)
        }
        Some(expected) => format!(
            "{} rows where the card expects {expected} (allowed by --allow-row-count-mismatch; recorded)",
            record.rows
        ),
        None => format!("{} rows (the card pins no count)", record.rows),
    };
    let rows = match record.skipped_rows {
        0 => rows,
        skipped => format!("{rows}; {skipped} row(s) without a reference report skipped"),
    };
    format!(
        "{}: {rows}; split {}; {} file(s) hashed",
        verified.benchmark,
        record.split,
        record.files.len()
    )
}

/// Rows of the evaluation split under the card's default options (SLAKE: English).
fn default_rows(card: &Card) -> Option<usize> {
    card.resolve_selections(&BTreeMap::new())
        .ok()
        .and_then(|defaults| card.expected_rows(&defaults))
}

/// The answer types a card's items can have, by name.
fn answer_types(card: &Card) -> Vec<&'static str> {
    card.answer_types().iter().map(|t| t.as_str()).collect()
}

/// `lang=en|zh|all` (the default first).
fn options(card: &Card) -> String {
    card.selections()
        .iter()
        .map(|(key, selection)| {
            let mut values = vec![selection.default.as_str()];
            values.extend(
                selection
                    .values
                    .keys()
                    .map(String::as_str)
                    .filter(|v| *v != selection.default),
            );
            format!("{key}={}", values.join("|"))
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A card as `bench list --json` prints it: name, title, split, layout, expected rows,
/// answer types, breakdown fields, options with their row counts, origin and hash.
pub fn card_json(card: &Card) -> serde_json::Value {
    let spec = card.spec();
    let selections: BTreeMap<&str, serde_json::Value> = card
        .selections()
        .iter()
        .map(|(key, selection)| {
            let values: BTreeMap<&str, Option<usize>> = selection
                .values
                .iter()
                .map(|(value, choice)| (value.as_str(), choice.expected_rows))
                .collect();
            (
                key.as_str(),
                json!({"default": selection.default, "expected_rows": values}),
            )
        })
        .collect();
    json!({
        "name": card.name(),
        "title": spec.title,
        "split": spec.split,
        "layout": spec.layout.as_str(),
        "expected_rows": default_rows(card),
        "answer_types": answer_types(card),
        "breakdown_fields": card.breakdown_fields(),
        "options": selections,
        "origin": card.origin().describe(),
        "sha256": card.sha256(),
    })
}

/// `bench check`'s report for a reader: the card, the rows against its expectation, skipped
/// rows, items per type, images, columns, every file with its hash, warnings, and the verdict
/// with what to do about it.
pub fn check_text(card: &Card, dir: &Path, report: &CheckReport) -> String {
    use std::fmt::Write as _;
    let spec = card.spec();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} · {} · split {} · {} layout · {}",
        report.benchmark,
        spec.title,
        spec.split,
        spec.layout.as_str(),
        dir.display()
    );
    let rows = match report.expected_rows {
        Some(expected) if expected == report.rows => {
            format!("{} (as the card expects)", report.rows)
        }
        Some(expected) => format!("{} (the card expects {expected})", report.rows),
        None => format!("{} (the card pins no count)", report.rows),
    };
    let _ = writeln!(out, "rows     {rows}");
    if let Some(reason) = &report.skipped_rows.reason {
        let _ = writeln!(
            out,
            "skipped  {} {} without a reference ({reason})",
            report.skipped_rows.count,
            if report.skipped_rows.count == 1 {
                "row"
            } else {
                "rows"
            }
        );
    }
    let types: Vec<String> = report
        .answer_types
        .iter()
        .map(|(t, n)| format!("{t} {n}"))
        .collect();
    if !types.is_empty() {
        let _ = writeln!(out, "items    {}", types.join(", "));
    }
    let _ = writeln!(out, "images   {}", report.images);
    let optional: Vec<&str> = report
        .columns
        .iter()
        .filter(|c| !report.required_columns.contains(c))
        .map(String::as_str)
        .collect();
    let _ = write!(out, "columns  {}", report.required_columns.join(", "));
    if !optional.is_empty() {
        let _ = write!(out, " (optional: {})", optional.join(", "));
    }
    out.push('\n');
    if !report.files.is_empty() {
        let mut files = Table::new(&[
            ("file", Align::Left),
            ("bytes", Align::Right),
            ("sha256", Align::Left),
        ]);
        for file in &report.files {
            files.push(vec![
                file.path.clone(),
                file.bytes.to_string(),
                file.sha256.clone(),
            ]);
        }
        out.push('\n');
        out.push_str(&files.render(Format::Terminal));
    }
    if !report.warnings.is_empty() {
        out.push_str("\nwarnings:\n");
        for warning in &report.warnings {
            let _ = writeln!(out, "  - {warning}");
        }
    }
    if report.ok {
        out.push_str("\nOK: the folder matches the card\n");
    } else {
        out.push_str("\nproblems:\n");
        for problem in &report.problems {
            let _ = writeln!(out, "  - {problem}");
        }
        let _ = writeln!(
            out,
            "\nNOT OK: {} problem(s); a run refuses this folder (a row count that differs from \
             the card's, alone, can be allowed with --allow-row-count-mismatch)",
            report.problems.len()
        );
    }
    out
}
