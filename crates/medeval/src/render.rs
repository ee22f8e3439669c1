//! A stored run's summary worded for a reader: the header that says what was run and whether
//! the numbers are final, the errors grouped by reason, and the tables.
//!
//! `show`, `run` and the viewer print these words; model and server text inside them is made
//! visible (control characters escaped), never passed through.

use medeval_report::{
    Align, Format, MISSING_GROUP, Table, percent, percent_interval, render_tables, repeated_table,
    summary_tables, visible,
};
use medeval_store::StoredRun;

use crate::RunSummary;
use crate::summary::summarize_samples;

/// A stored run's summary as text tables in `format` (not CSV, which is one tidy table over
/// all runs): for the terminal, the header and the errors by reason first; then the repeated
/// sampling table, when the run has one, and the summary tables.
pub fn summary_text(run: &StoredRun, summary: &RunSummary, format: Format) -> String {
    let header = if format == Format::Terminal {
        run_header(run, summary.missing, summary.errors()) + &error_lines(summary)
    } else {
        String::new()
    };
    let header = match &summary.repeated_error {
        Some(error) => format!("{header}repeated sampling: not computed: {error}\n\n"),
        None => header,
    };
    let mut tables = Vec::new();
    tables.extend(summary.repeated.as_ref().map(repeated_table));
    tables.extend(summary_tables(&summary.summary));
    header + &render_tables(&tables, format)
}

/// Says when a `--by` field is a field of no item of the run: its only group would be
/// `(missing)`, which looks like a result. (Not an error: a command over several benchmarks may
/// break down by a field only some of them have.)
pub fn absent_field_warnings(run: &StoredRun, by: &[String]) -> Vec<String> {
    let mut warnings = Vec::new();
    for field in by {
        if field == "answer_type" || run.items.iter().any(|item| item.meta.contains_key(field)) {
            continue;
        }
        let mut fields: Vec<&str> = run
            .items
            .iter()
            .flat_map(|item| item.meta.keys().map(String::as_str))
            .collect();
        fields.sort_unstable();
        fields.dedup();
        fields.insert(0, "answer_type");
        warnings.push(format!(
            "--by {}: no item of run {} has this field, so every item is in group {MISSING_GROUP}; its fields: {}",
            visible(field),
            run.id,
            visible(&fields.join(", "))
        ));
    }
    warnings
}

/// Why samples ended in error, one line per reason with example items, most frequent first.
/// Error texts come from servers and files: control characters are escaped.
pub fn error_lines(summary: &RunSummary) -> String {
    let mut lines = String::new();
    for reason in &summary.error_reasons {
        lines.push_str(&format!(
            "  {} × {} (e.g. {})\n",
            reason.count,
            visible(&reason.reason),
            visible(&reason.examples.join(", "))
        ));
    }
    if !lines.is_empty() {
        lines.insert_str(0, "errors by reason:\n");
        lines.push('\n');
    }
    lines
}

/// The lines above a run's tables: what was run, and whether the numbers are final.
pub fn run_header(run: &StoredRun, missing: u64, errors: u64) -> String {
    let manifest = &run.manifest;
    let kind = match manifest.model.kind {
        medeval_core::ModelKind::Baseline => " [baseline, not a model]",
        medeval_core::ModelKind::Endpoint => "",
    };
    let mut header = format!(
        "run {} · {} ({} items) · {}{} · {}\n",
        run.id,
        manifest.items.benchmark,
        run.items.len(),
        manifest.model.name,
        kind,
        run.status.as_str()
    );
    let mut settings = Vec::new();
    if let Some(variant) = &manifest.variant {
        settings.push(format!("variant {variant}"));
    }
    settings.extend([
        manifest.scorer.to_string(),
        format!(
            "prompt {}",
            &manifest.prompt_sha256[..12.min(manifest.prompt_sha256.len())]
        ),
    ]);
    if let Some(t) = manifest.decoding.temperature {
        settings.push(format!("temperature {t}"));
    }
    if manifest.samples_per_item > 1 {
        settings.push(format!(
            "{} samples per item (intervals clustered by item)",
            manifest.samples_per_item
        ));
    }
    if let Some(limit) = manifest.items.limit {
        settings.push(format!(
            "limited to {limit} of {} items",
            manifest.items.count
        ));
    }
    header.push_str(&settings.join(" · "));
    header.push('\n');
    if manifest.samples_per_item > 1 && (missing > 0 || errors > 0) {
        header.push_str(&format!(
            "INCOMPLETE: {errors} sample(s) ended in error and {missing} sample(s) have no response yet; run the same `medeval run` command again to continue.\n"
        ));
    } else if missing > 0 || errors > 0 {
        header.push_str(&format!(
            "INCOMPLETE: {errors} sample(s) ended in error and {missing} item(s) have no response yet; run the same `medeval run` command again to continue.\n"
        ));
    }
    header.push('\n');
    header
}

/// Runs side by side, one row each: model, n, accuracy with its Wilson interval, unparsed and
/// error counts, and the accuracy in each group of the item field `by` (the groups of the first
/// run).
pub fn side_by_side(stored: &[StoredRun], by: &str) -> Table {
    let options = medeval_report::SummaryOptions {
        by: vec![by.to_owned()],
        ..medeval_report::SummaryOptions::default()
    };
    let summaries: Vec<_> = stored
        .iter()
        .map(|run| summarize_samples(run, &options).0)
        .collect();
    let tasks: Vec<String> = summaries
        .first()
        .and_then(|s| s.groups.get(by))
        .map(|groups| groups.keys().cloned().collect())
        .unwrap_or_default();
    let mut columns = vec![
        ("model".to_owned(), Align::Left),
        ("n".to_owned(), Align::Right),
        ("accuracy".to_owned(), Align::Right),
        ("95% CI (Wilson)".to_owned(), Align::Right),
        ("unparsed".to_owned(), Align::Right),
        ("error".to_owned(), Align::Right),
    ];
    columns.extend(tasks.iter().map(|t| (t.clone(), Align::Right)));
    let mut table = Table {
        title: None,
        columns,
        rows: Vec::new(),
    };
    for (run, summary) in stored.iter().zip(&summaries) {
        let mut row = vec![
            run.manifest.model.name.clone(),
            summary.overall.n.to_string(),
            percent(summary.overall.accuracy),
            percent_interval(summary.overall.accuracy_ci),
            summary
                .overall
                .counts
                .get(medeval_core::Outcome::Unparsed)
                .to_string(),
            summary
                .overall
                .counts
                .get(medeval_core::Outcome::Error)
                .to_string(),
        ];
        for task in &tasks {
            let accuracy = summary
                .groups
                .get(by)
                .and_then(|groups| groups.get(task))
                .and_then(|group| group.accuracy);
            row.push(percent(accuracy));
        }
        table.push(row);
    }
    table
}
