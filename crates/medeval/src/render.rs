//! Runs worded for a reader: a stored run's header (what was run, whether the numbers are
//! final), its errors grouped by reason and its tables; runs side by side; the store's run list;
//! and the lines a run prints as it starts and ends.
//!
//! `show`, `run` and the viewer print these words; model and server text inside them is made
//! visible (control characters escaped), never passed through.

use medeval_models::EndpointHealth;
use medeval_report::SummaryOptions;
use medeval_report::{
    Align, Format, MISSING_GROUP, Table, percent, percent_interval, render_tables, repeated_table,
    summary_tables, visible,
};
use medeval_run::RunReport;
use medeval_store::{RunListing, Store, StoreError, StoredRun};
use serde_json::json;

use crate::RunSummary;
use crate::summary::summarize_samples;

/// A stored run's summary as text tables in `format` (not CSV, which is one tidy table over
/// all runs): for the terminal, the header and the errors by reason first; then the repeated
/// sampling table, when the run has one, and the summary tables.
pub fn summary_text(run: &StoredRun, summary: &RunSummary, format: Format) -> String {
    let header = if format == Format::Terminal {
        run_header(run, summary.missing, summary.errors())
            + &incomplete_policy_line(summary)
            + &error_lines(summary)
            + &truncation_line(summary.truncated)
            + &summary.judge.as_ref().map(judge_line).unwrap_or_default()
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

/// For a run with samples in error: how the accuracy below treats them, so a number from an
/// unfinished run is never read as the model's accuracy on the whole benchmark.
pub fn incomplete_policy_line(summary: &RunSummary) -> String {
    let errors = summary.errors();
    if errors == 0 {
        return String::new();
    }
    match summary.summary.policy {
        medeval_stats::NonJudgementPolicy::CountAsWrong => format!(
            "The accuracy below counts the {errors} sample(s) in error as wrong (--non-answers count-as-wrong); --non-answers exclude leaves them out (with unparsed and refused answers).\n"
        ),
        medeval_stats::NonJudgementPolicy::Exclude => format!(
            "The accuracy below leaves out the {errors} sample(s) in error (--non-answers exclude), with unparsed and refused answers.\n"
        ),
    }
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

/// Says how many answers the token limit cut, and what to do about it; empty when none was.
pub fn truncation_line(truncated: u64) -> String {
    match truncated {
        0 => String::new(),
        n => format!(
            "{n} answer(s) were cut by the token limit (finish_reason length) and read only where they ended before the cut; raise --max-tokens to let the model finish\n\n"
        ),
    }
}

/// The judge of a judged run, printed above its numbers: who judged under which spec, how
/// many answers it decided and could not, and how often it disagreed with the rules.
pub fn judge_line(judge: &crate::summary::JudgeSummary) -> String {
    let mut line = format!(
        "judge: {}, {} {}, temperature {} · {} judged",
        judge.model,
        judge.spec,
        medeval_core::short_hash(&judge.spec_hash),
        judge.temperature,
        judge.judged
    );
    if judge.unjudged > 0 {
        let reasons: Vec<String> = judge
            .unjudged_reasons
            .iter()
            .map(|(reason, n)| format!("{reason} {n}"))
            .collect();
        line += &format!(
            ", {} unjudged ({}; counted as unparsed)",
            judge.unjudged,
            reasons.join(", ")
        );
    } else {
        line += ", 0 unjudged";
    }
    if let Some(share) = judge.rule_judge_disagreement {
        line += &format!(
            " · rule and judge disagree on {:.1}% of {}",
            share * 100.0,
            judge.rule_judge_compared
        );
    }
    line + "\n\n"
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

/// Accuracy as `medeval show` computes it by default: correct over the stored samples that are
/// judged (generated reports are not), non-answers counting as wrong; `None` without any.
fn accuracy(run: &RunListing) -> Option<f64> {
    let judged = (run.answered + run.errors).saturating_sub(run.generated);
    (judged > 0).then(|| run.correct as f64 / judged as f64)
}

/// A report-generation run: every stored sample is a generated report.
fn is_report_run(run: &RunListing) -> bool {
    run.generated > 0 && run.generated == run.answered
}

/// The metric a report-generation run is listed by: ROUGE-L as `show` computes it (per-report
/// F-measure, pycocoevalcap's convention, averaged), bounded in [0, 1] like an accuracy.
pub const REPORT_HEADLINE: &str = "rouge-l";

/// A run as the store lists it, with the headline metric of a report-generation run.
#[derive(Debug, Clone)]
pub struct ListedRun {
    /// The run's identity, status and counts.
    pub listing: RunListing,
    /// [`REPORT_HEADLINE`] of a report-generation run, computed as `show` computes it; `None`
    /// for other runs.
    pub report_headline: Option<f64>,
}

/// The runs of a store, newest first, each report-generation run with its headline metric
/// (which needs the run's samples, so only those runs are loaded).
pub fn list_runs(store: &Store) -> Result<Vec<ListedRun>, StoreError> {
    store
        .list_runs()?
        .into_iter()
        .map(|listing| {
            let report_headline = if is_report_run(&listing) {
                let run = store.load_run(&listing.id)?;
                let summary = summarize_samples(&run, &SummaryOptions::default()).0;
                summary
                    .report
                    .and_then(|report| report.metrics.get(REPORT_HEADLINE).copied())
            } else {
                None
            };
            Ok(ListedRun {
                listing,
                report_headline,
            })
        })
        .collect()
}

/// The runs of a store as `runs --json` prints them, one object per run: identity, status,
/// counts, the accuracy `show` gives by default and, for report-generation runs, the headline
/// metric (`report_metric`: name and value).
pub fn run_list_json(runs: &[ListedRun]) -> Vec<serde_json::Value> {
    runs.iter()
        .map(|listed| {
            let r = &listed.listing;
            json!({
                "run": r.id,
                "benchmark": r.manifest.items.benchmark,
                "variant": r.manifest.variant,
                "model": r.manifest.model.name,
                "status": r.status.as_str(),
                "items": r.items,
                "answered": r.answered,
                "errors": r.errors,
                "correct": r.correct,
                "samples_per_item": r.manifest.samples_per_item.max(1),
                "generated": r.generated,
                "accuracy": accuracy(r),
                "report_metric": listed.report_headline.map(|value| json!({"name": REPORT_HEADLINE, "value": value})),
                "created_at": r.created_at,
                "updated_at": r.updated_at,
            })
        })
        .collect()
}

/// The runs of a store as a table, newest first: run, benchmark with variant, model, status,
/// counts, accuracy (for report-generation runs their headline metric, named) and when it was
/// last written.
pub fn run_list_table(runs: &[ListedRun]) -> Table {
    let mut table = Table::new(&[
        ("run", Align::Left),
        ("benchmark", Align::Left),
        ("model", Align::Left),
        ("status", Align::Left),
        ("items", Align::Right),
        ("answered", Align::Right),
        ("errors", Align::Right),
        ("accuracy", Align::Right),
        ("updated", Align::Left),
    ]);
    for listed in runs {
        let r = &listed.listing;
        let status = match r.status {
            medeval_store::RunStatus::Running => "running or interrupted",
            other => other.as_str(),
        };
        let score = match (is_report_run(r), listed.report_headline) {
            (true, Some(value)) => format!("{REPORT_HEADLINE} {value:.3}"),
            (true, None) => "report".to_owned(),
            (false, _) => percent(accuracy(r)),
        };
        table.push(vec![
            r.id.clone(),
            match &r.manifest.variant {
                Some(variant) => format!("{} · {variant}", r.manifest.items.benchmark),
                None => r.manifest.items.benchmark.clone(),
            },
            r.manifest.model.name.clone(),
            status.to_owned(),
            r.items.to_string(),
            r.answered.to_string(),
            r.errors.to_string(),
            score,
            r.updated_at
                .get(..19)
                .unwrap_or(&r.updated_at)
                .replace('T', " "),
        ]);
    }
    table
}

/// The line a run prints as it starts, before its first request: which run, and how much of
/// it is left to request.
pub fn start_line(run_id: &str, total: u64, pending: u64, resumed: bool) -> String {
    if resumed {
        format!(
            "run {run_id} continued: {pending} of {total} sample(s) to request, {} already stored",
            total.saturating_sub(pending)
        )
    } else {
        format!("run {run_id} started: {pending} sample(s) to request")
    }
}

/// What one invocation of a run did, line by line, printed when it ends (the run's start was
/// announced by [`start_line`]). `fresh` says the command had `--fresh`, which the advice to continue must
/// leave out: the same command with it would start yet another run.
pub fn invocation_lines(report: &RunReport, fresh: bool) -> Vec<String> {
    let mut lines = Vec::new();
    let verb = if report.interrupted {
        "stopped"
    } else {
        "finished"
    };
    let mut line = format!(
        "run {} {verb}: {} sample(s) requested, {} answered, {} failed",
        report.run_id, report.requested, report.answered, report.failed
    );
    if report.cached > 0 {
        line.push_str(&format!(", {} from cache", report.cached));
    }
    lines.push(line);
    if let Some(old) = &report.rescored_from {
        lines.push(format!(
            "stored responses were scored again: their verdicts were by {old}, now by {}",
            report.scorer
        ));
    }
    let continue_with = if fresh {
        "the same command without --fresh"
    } else {
        "the same command"
    };
    if report.interrupted {
        lines.push(format!(
            "interrupted; run {continue_with} again to continue where it stopped"
        ));
    } else if report.failed > 0 && fresh {
        lines.push(format!(
            "{} sample(s) failed; run {continue_with} to retry them in this run",
            report.failed
        ));
    }
    lines
}

/// One line per endpoint when a run spread its requests over several, or an endpoint was
/// taken out: where the attempts went and which endpoint failed.
pub fn endpoint_health_lines(health: &[EndpointHealth]) -> Vec<String> {
    if health.len() < 2 && health.iter().all(|h| h.times_opened == 0) {
        return Vec::new();
    }
    let mut lines = Vec::new();
    for endpoint in health {
        let mut line = format!(
            "endpoint {}: {} attempt(s), {} failed",
            endpoint.endpoint, endpoint.attempts, endpoint.failures
        );
        if endpoint.times_opened > 0 {
            line.push_str(&format!(
                ", taken out {} time(s) after failures in a row",
                endpoint.times_opened
            ));
        }
        if endpoint.out_now {
            line.push_str(", out at the end of the run");
        }
        lines.push(line);
    }
    lines
}
