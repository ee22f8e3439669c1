//! Reports: scored samples in, numbers people can trust out.
//!
//! Runs from anywhere (the store, a scored-sample file, `medeval score`'s items and verdicts)
//! become [`ScoredRun`]s, the one shape everything here reads; whether a run is complete and
//! what it is missing are its methods.
//!
//! [`summarize`] turns a run into a [`Summary`]: accuracy with a confidence interval, the count
//! of every outcome beside it (so `unparsed`, `refused` and `error` are never hidden),
//! per-sample metric means, the corpus text metrics of report items, and breakdowns by any
//! metadata field with micro and macro averages labelled as such. [`summary_tables`] lays a
//! summary out as [`Table`]s, which render to the terminal, Markdown, CSV and LaTeX; JSON comes
//! from serialising the summary itself.
//!
//! [`compare_runs`] pairs two runs by item id (with the discordant items and breakdowns) and
//! [`correct_family`] applies Holm and BH across benchmarks; [`rank_runs`] ranks several with
//! bootstrap rank intervals and compares every pair ([`correct_pairs`]); [`plan_power`] turns a
//! baseline run or an assumed accuracy into items needed and a minimum detectable effect,
//! recording where each assumption came from. [`paper_table`] lays several runs side by side
//! (models as rows, benchmarks with their variants as columns) for papers.

mod compare;
mod compare_reports;
mod compare_tables;
mod layout;
mod leaderboard;
mod paper;
mod paper_input;
mod paper_reports;
mod plan;
mod reports;
mod scored;
mod summary;
mod table;
mod tidy;

pub use layout::{LONGEST_UNBROKEN_WORD, TERMINAL_WIDTH};
pub use paper::{
    Cell, Column, Layout, PaperError, PaperRow, PaperTable, STUDY_2507_11200, paper_table,
};
pub use paper_input::{IntervalChoice, PaperOptions};
pub use summary::{Accuracy, MISSING_GROUP, Summary, SummaryOptions, is_non_judgement, summarize};
pub use table::{Align, Format, Table, visible};
pub use tidy::{ALL_GROUPS, OVERALL, TIDY_COLUMNS, TidySource, push_tidy_rows, tidy_table};

pub use compare::{
    CompareError, CompareSettings, DiscordantItem, DiscordantItems, GroupComparison, RunComparison,
    compare_runs, correct_family,
};
pub use compare_reports::{MetricDifference, ReportComparison, compare_report_runs, is_report_run};
pub use compare_tables::{
    DiscordantLimit, format_p, format_points, render_comparisons, render_leaderboards,
};
pub use leaderboard::{RankedBenchmark, correct_pairs, rank_runs};
pub use paper_reports::{ReportCell, ReportPaperRow, ReportPaperTable};
pub use plan::{BaselineFacts, PlanSettings, PowerPlan, plan_power, render_plan};
pub use reports::{REPORT_METRICS, REPORT_REPLICATES, ReportSummary};
pub use scored::{DrawError, OnePerItem, RunLabel, RunSource, ScoredRecord, ScoredRun};

use medeval_core::Outcome;

/// A fraction as a percentage with one decimal, or `–` when undefined.
pub fn percent(value: Option<f64>) -> String {
    value.map_or_else(|| "–".to_owned(), |v| format!("{:.1}%", v * 100.0))
}

/// An interval as `[lo, hi]` in percent, or `–`.
pub fn percent_interval(ci: Option<[f64; 2]>) -> String {
    ci.map_or_else(
        || "–".to_owned(),
        |[lo, hi]| format!("[{:.1}, {:.1}]", lo * 100.0, hi * 100.0),
    )
}

/// How non-judgements entered a statistic, as a phrase for headings.
pub fn policy_sentence(policy: medeval_stats::NonJudgementPolicy) -> &'static str {
    match policy {
        medeval_stats::NonJudgementPolicy::CountAsWrong => {
            "non-answers (unparsed, refused, error) count as wrong"
        }
        medeval_stats::NonJudgementPolicy::Exclude => {
            "non-answers (unparsed, refused, error) are excluded"
        }
    }
}

/// The columns every accuracy row shows.
fn accuracy_columns(first: &str, summary: &Summary) -> Vec<(String, Align)> {
    let ci = format!(
        "{:.0}% CI ({})",
        summary.confidence * 100.0,
        ci_label(summary)
    );
    let mut columns = vec![
        (first.to_owned(), Align::Left),
        ("n".to_owned(), Align::Right),
        ("accuracy".to_owned(), Align::Right),
        (ci, Align::Right),
    ];
    columns.extend(
        Outcome::ANSWERED
            .iter()
            .map(|o| (o.as_str().to_owned(), Align::Right)),
    );
    columns
}

/// The method a summary's interval column is headed with: the one asked for. Cells whose
/// interval is the cluster bound instead carry [`BOUND_MARK`].
fn ci_label(summary: &Summary) -> &'static str {
    intended_method(&summary.overall).label()
}

/// The method asked for an accuracy's interval (before any fall-back to the cluster bound).
fn intended_method(accuracy: &Accuracy) -> medeval_stats::CiMethodName {
    accuracy
        .ci_fallback
        .map_or(accuracy.ci_method, |fallback| fallback.from)
}

/// Marks an interval that is the cluster bound because the cluster method asked for had too
/// few clusters (or no spread); [`fallback_note`] says what it means.
pub const BOUND_MARK: &str = "‡";

/// The sentence explaining [`BOUND_MARK`] for the fall-backs of one table, `None` without any.
/// With a single fall-back it gives its numbers.
pub fn fallback_note(fallbacks: &[&medeval_stats::CiFallback]) -> Option<String> {
    use medeval_stats::FallbackReason;
    let first = fallbacks.first()?;
    let too_few = fallbacks
        .iter()
        .any(|f| f.reason == FallbackReason::TooFewClusters);
    let zero_width = fallbacks
        .iter()
        .any(|f| f.reason == FallbackReason::ZeroWidth);
    let method = first.from.label();
    let minimum = first.minimum_clusters;
    let why = match (too_few, zero_width) {
        (true, false) if fallbacks.len() == 1 => format!(
            "{} cluster(s) are fewer than the {minimum} a {method} interval needs",
            first.clusters
        ),
        (true, false) => format!("fewer than the {minimum} clusters a {method} interval needs"),
        (false, _) => format!("the {method} interval had zero width"),
        (true, true) => format!(
            "fewer than the {minimum} clusters a {method} interval needs, or it had zero width"
        ),
    };
    let n = if fallbacks.len() == 1 {
        format!(" = {:.1}", first.worst_case_n)
    } else {
        String::new()
    };
    Some(format!(
        "{BOUND_MARK} {why}: Wilson interval at n = n²/Σ(cluster size)²{n}, what the items are \
         worth if all answers in a cluster were alike (docs/statistics.md)"
    ))
}

/// A title followed by the fall-back note, if any.
fn with_note(title: Option<String>, note: Option<String>) -> Option<String> {
    match (title, note) {
        (Some(title), Some(note)) => Some(format!("{title}; {note}")),
        (title, note) => title.or(note),
    }
}

fn accuracy_row(label: &str, accuracy: &Accuracy) -> Vec<String> {
    let mark = if accuracy.ci_fallback.is_some() {
        BOUND_MARK
    } else {
        ""
    };
    let mut row = vec![
        label.to_owned(),
        accuracy.n.to_string(),
        percent(accuracy.accuracy),
        format!("{}{mark}", percent_interval(accuracy.accuracy_ci)),
    ];
    row.extend(
        Outcome::ANSWERED
            .iter()
            .map(|&outcome| accuracy.counts.get(outcome).to_string()),
    );
    row
}

/// The repeated-sampling statistics of a run with several samples per item, as one table.
pub fn repeated_table(summary: &medeval_stats::RepeatedSummary) -> Table {
    let [fewest, most] = summary.samples_per_item;
    let draws = if fewest == most {
        format!("{most}")
    } else {
        format!("{fewest} to {most}")
    };
    let ties = match summary.tie_rule {
        medeval_stats::TieRule::Wrong => "counted wrong",
        medeval_stats::TieRule::SplitCredit => "split credit",
    };
    let mut table = Table::new(&[
        ("statistic", Align::Left),
        ("value", Align::Right),
        (
            &format!("{:.0}% CI", summary.confidence * 100.0),
            Align::Right,
        ),
        ("what it means", Align::Left),
    ])
    .titled(format!(
        "repeated sampling: {draws} judged samples per item over {} items; intervals cluster-robust over {} clusters (items, or their shared images)",
        summary.n_items, summary.clusters
    ));
    let mark = if summary.ci_fallback.is_some() {
        BOUND_MARK
    } else {
        ""
    };
    let interval = |ci: [f64; 2]| format!("{}{mark}", percent_interval(Some(ci)));
    table.title = with_note(
        table.title,
        summary
            .ci_fallback
            .as_ref()
            .and_then(|fallback| fallback_note(&[fallback])),
    );
    table.push(vec![
        "mean accuracy".into(),
        percent(Some(summary.mean_accuracy)),
        interval(summary.mean_accuracy_ci),
        "mean over items of the share of correct samples".into(),
    ]);
    table.push(vec![
        "majority-vote accuracy".into(),
        percent(Some(summary.majority_vote_accuracy)),
        interval(summary.majority_vote_ci),
        format!("plurality answer per item; {} tie(s) {ties}", summary.ties),
    ]);
    table.push(vec![
        "any correct (pass@k)".into(),
        percent(Some(summary.any_correct_accuracy)),
        interval(summary.any_correct_ci),
        "items with at least one correct sample".into(),
    ]);
    table.push(vec![
        "within-item variance".into(),
        summary
            .within_item_variance
            .map_or_else(|| "–".into(), |v| format!("{v:.4}")),
        String::new(),
        "mean unbiased variance of an item's 0/1 outcomes".into(),
    ]);
    table.push(vec![
        "inconsistent items".into(),
        format!("{} of {}", summary.inconsistent_items, summary.n_items),
        String::new(),
        "items with both correct and wrong samples".into(),
    ]);
    if summary.excluded_items > 0 {
        table.push(vec![
            "excluded items".into(),
            summary.excluded_items.to_string(),
            String::new(),
            "no judged sample (non-answers excluded)".into(),
        ]);
    }
    table
}

/// The summary as tables: the overall row, then one table per breakdown field with its groups,
/// the micro average (all samples) and the macro average (mean of the groups).
pub fn summary_tables(summary: &Summary) -> Vec<Table> {
    let mut tables = Vec::new();
    // A run of report items only has no accuracy to show.
    if summary.overall.counts.total() > 0 || summary.report.is_none() {
        let mut overall = Table {
            title: summary
                .overall
                .ci_fallback
                .as_ref()
                .and_then(|fallback| fallback_note(&[fallback])),
            columns: accuracy_columns("", summary),
            rows: Vec::new(),
        };
        overall.push(accuracy_row("overall", &summary.overall));
        tables.push(overall);
    }
    for field in &summary.by {
        let Some(groups) = summary.groups.get(field) else {
            continue;
        };
        let fallbacks: Vec<&medeval_stats::CiFallback> = groups
            .values()
            .chain([&summary.overall])
            .filter_map(|accuracy| accuracy.ci_fallback.as_ref())
            .collect();
        let mut table = Table {
            title: with_note(Some(format!("by {field}")), fallback_note(&fallbacks)),
            columns: accuracy_columns(field, summary),
            rows: Vec::new(),
        };
        for (value, accuracy) in groups {
            table.push(accuracy_row(value, accuracy));
        }
        table.push(accuracy_row(
            "micro average (all samples)",
            &summary.overall,
        ));
        let mut macro_row = vec![
            format!("macro average ({} groups)", groups.len()),
            String::new(),
            percent(summary.macro_accuracy.get(field).copied()),
        ];
        macro_row.resize(table.columns.len(), String::new());
        table.push(macro_row);
        tables.push(table);
    }
    if !summary.metrics.is_empty() {
        let mut metrics = Table::new(&[("metric", Align::Left), ("mean", Align::Right)]);
        for (name, value) in &summary.metrics {
            metrics.push(vec![name.clone(), format!("{value:.4}")]);
        }
        tables.push(metrics.titled("per-sample metrics (mean)"));
    }
    tables.extend(
        summary
            .report
            .as_ref()
            .map(|r| report_table(r, summary.policy, summary.confidence)),
    );
    tables
}

/// The corpus text metrics of a run's reports, with their intervals and how they were computed.
pub fn report_table(
    report: &ReportSummary,
    policy: medeval_stats::NonJudgementPolicy,
    confidence: f64,
) -> Table {
    let ci = format!("{:.0}% CI (bootstrap)", confidence * 100.0);
    let mut table = Table::new(&[
        ("metric", Align::Left),
        ("value", Align::Right),
        (ci.as_str(), Align::Right),
    ]);
    for key in REPORT_METRICS {
        let Some(value) = report.metrics.get(key) else {
            continue;
        };
        let interval = report
            .metrics_ci
            .get(key)
            .map_or_else(|| "–".to_owned(), |[lo, hi]| format!("[{lo:.4}, {hi:.4}]"));
        table.push(vec![key.to_owned(), format!("{value:.4}"), interval]);
    }
    let treatment = match policy {
        medeval_stats::NonJudgementPolicy::CountAsWrong => "scored as empty reports",
        medeval_stats::NonJudgementPolicy::Exclude => "left out",
    };
    table.titled(format!(
        "reports: {} of {} generated ({} unparsed, {} refused, {} error: {treatment}); flavour {}, tokeniser {}, CIDEr-D on 0-10",
        report.counts.get(Outcome::Generated),
        report.n,
        report.counts.get(Outcome::Unparsed),
        report.counts.get(Outcome::Refused),
        report.counts.get(Outcome::Error),
        report.flavor,
        report.tokenizer,
    ))
}

/// Renders tables one after another, separated by blank lines.
pub fn render_tables(tables: &[Table], format: Format) -> String {
    tables
        .iter()
        .map(|t| t.render(format))
        .collect::<Vec<_>>()
        .join("\n")
}
