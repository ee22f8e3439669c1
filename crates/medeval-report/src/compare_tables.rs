//! How a comparison reads in a terminal or a paper: one heading per benchmark saying which runs
//! and which policy, a table of the statistics (overall and per group), the discordant items with
//! both answers, and, for several benchmarks, the family with its corrected p-values. Leaderboards
//! (`medeval rank`) read the same way: ranks with their intervals, then every pair.

use std::fmt::Write as _;

use medeval_core::Outcome;
use medeval_stats::{DiffCiMethod, McNemarMethod, NonJudgementCounts, PairedComparison};

use crate::compare::{DiscordantItem, GroupComparison, RunComparison};
use crate::leaderboard::RankedBenchmark;
use crate::table::{Align, Format, Table};
use crate::{percent, policy_sentence};

/// A p-value with as many digits as it needs: 0.375, 0.0031, 2.4e-7.
pub fn format_p(p: f64) -> String {
    if p >= 0.01 {
        format!("{p:.3}")
    } else if p >= 0.0001 {
        format!("{p:.4}")
    } else {
        format!("{p:.1e}")
    }
}

/// A difference of accuracies in percentage points, signed: `+5.8 pp`.
pub fn format_points(diff: f64) -> String {
    format!("{:+.1} pp", diff * 100.0)
}

fn points_interval([lower, upper]: [f64; 2]) -> String {
    format!("[{:+.1}, {:+.1}]", lower * 100.0, upper * 100.0)
}

fn mcnemar_label(method: McNemarMethod) -> &'static str {
    match method {
        McNemarMethod::ExactBinomial => "exact",
        McNemarMethod::ChiSquareCorrected => "χ², corrected",
    }
}

fn ci_label(method: DiffCiMethod) -> &'static str {
    match method {
        DiffCiMethod::PairedBootstrapPercentile => "paired bootstrap",
        DiffCiMethod::ClusterPairedBootstrapPercentile => "cluster-paired bootstrap",
    }
}

/// How many discordant items of each kind to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiscordantLimit {
    /// At most this many of each kind.
    First(usize),
    /// Every one.
    All,
}

/// The statistics' columns after `labels` (left-aligned label columns).
fn statistics_columns(labels: &[&str], confidence: f64) -> Table {
    let ci = format!("{:.0}% CI", confidence * 100.0);
    let mut columns: Vec<(&str, Align)> = labels.iter().map(|l| (*l, Align::Left)).collect();
    columns.extend([
        ("n", Align::Right),
        ("acc A", Align::Right),
        ("acc B", Align::Right),
        ("diff (A-B)", Align::Right),
        (&ci, Align::Right),
        ("b", Align::Right),
        ("c", Align::Right),
        ("McNemar p", Align::Right),
        ("bootstrap p", Align::Right),
        ("Holm p", Align::Right),
        ("BH p", Align::Right),
    ]);
    Table::new(&columns)
}

fn statistics_row(label: &str, c: &PairedComparison, p_bh: Option<f64>) -> Vec<String> {
    vec![
        label.to_owned(),
        c.n_paired.to_string(),
        percent(Some(c.acc_a)),
        percent(Some(c.acc_b)),
        format_points(c.diff),
        points_interval(c.diff_ci),
        c.b.to_string(),
        c.c.to_string(),
        format_p(c.mcnemar_p),
        format_p(c.bootstrap_p),
        c.p_holm.map_or_else(|| "–".into(), format_p),
        p_bh.map_or_else(|| "–".into(), format_p),
    ]
}

fn counts_text(counts: &NonJudgementCounts) -> String {
    if counts.total() == 0 {
        return "none".into();
    }
    let mut parts = Vec::new();
    for (name, count) in [
        ("unparsed", counts.unparsed),
        ("refused", counts.refused),
        ("error", counts.error),
    ] {
        if count > 0 {
            parts.push(format!("{count} {name}"));
        }
    }
    parts.join(", ")
}

/// The prose above a comparison's table: runs, pairing, exclusions, policy, clusters.
fn heading(comparison: &RunComparison) -> String {
    let c = &comparison.comparison;
    let x = &c.exclusions;
    let mut text = String::new();
    let _ = writeln!(
        text,
        "{}: A = {}, B = {}",
        comparison.benchmark_name(),
        comparison.run_a.display(),
        comparison.run_b.display()
    );
    let mut reasons = Vec::new();
    if x.only_in_a > 0 {
        reasons.push(format!("{} only in A", x.only_in_a));
    }
    if x.only_in_b > 0 {
        reasons.push(format!("{} only in B", x.only_in_b));
    }
    let with_non_answer = x.excluded_items - x.only_in_a - x.only_in_b;
    if with_non_answer > 0 {
        reasons.push(format!("{with_non_answer} with a non-answer in A or B"));
    }
    let excluded = if reasons.is_empty() {
        "none excluded".to_owned()
    } else {
        format!("{} excluded: {}", x.excluded_items, reasons.join(", "))
    };
    let _ = writeln!(text, "paired on {} items; {excluded}", c.n_paired);
    let _ = writeln!(
        text,
        "{}; non-answers among the shared items: A {}; B {}",
        policy_sentence(c.policy),
        counts_text(&x.non_judgements_a),
        counts_text(&x.non_judgements_b)
    );
    let resampling = match c.clusters {
        Some(clusters) => {
            let deff = c
                .diff_design_effect
                .map_or_else(String::new, |d| format!(", design effect {d:.2}"));
            format!("clustered: {clusters} clusters resampled whole{deff}")
        }
        None => "items resampled independently (no cluster keys)".to_owned(),
    };
    let _ = writeln!(
        text,
        "{} ({} replicates, seed {}); {resampling}; McNemar {}",
        ci_label(c.diff_ci_method),
        c.bootstrap.replicates,
        c.bootstrap.seed,
        mcnemar_label(c.mcnemar_method),
    );
    for warning in &comparison.warnings {
        let _ = writeln!(text, "warning: {warning}");
    }
    text
}

fn answer_cell(answer: Option<&str>, outcome: Outcome) -> String {
    let answer = answer.unwrap_or("–");
    match outcome {
        Outcome::Correct | Outcome::Wrong => answer.to_owned(),
        other => format!("{answer} ({})", other.as_str()),
    }
}

/// The listing of one discordant cell, or `None` when there is nothing to list (an empty cell,
/// or `--discordant 0`): the counts are in the statistics table either way.
fn discordant_table(
    title: String,
    items: &[DiscordantItem],
    limit: DiscordantLimit,
) -> Option<Table> {
    let shown = match limit {
        DiscordantLimit::First(n) => n.min(items.len()),
        DiscordantLimit::All => items.len(),
    };
    if shown == 0 {
        return None;
    }
    let title = if shown < items.len() {
        format!(
            "{title}: first {shown} of {} (--discordant all lists every one)",
            items.len()
        )
    } else {
        title
    };
    let mut table = Table::new(&[
        ("id", Align::Left),
        ("gold", Align::Left),
        ("A answered", Align::Left),
        ("B answered", Align::Left),
    ])
    .titled(title);
    for item in &items[..shown] {
        table.push(vec![
            item.id.clone(),
            item.gold.clone().unwrap_or_else(|| "–".into()),
            answer_cell(item.answer_a.as_deref(), item.outcome_a),
            answer_cell(item.answer_b.as_deref(), item.outcome_b),
        ]);
    }
    Some(table)
}

fn group_tables(comparison: &RunComparison) -> Vec<Table> {
    let mut tables: Vec<Table> = Vec::new();
    let mut field: Option<&str> = None;
    let mut failures: Vec<&GroupComparison> = Vec::new();
    for group in &comparison.groups {
        if field != Some(group.field.as_str()) {
            field = Some(group.field.as_str());
            let table =
                statistics_columns(&[&group.field], comparison.comparison.confidence).titled(
                    format!("by {} (Holm and BH across the field's groups)", group.field),
                );
            tables.push(table);
        }
        let Some(table) = tables.last_mut() else {
            continue;
        };
        match &group.comparison {
            Some(stats) => table.push(statistics_row(&group.group, stats, group.p_bh)),
            None => {
                failures.push(group);
                let mut row = vec![group.group.clone()];
                row.resize(table.columns.len(), "–".into());
                table.push(row);
            }
        }
    }
    if !failures.is_empty() {
        let mut notes = Table::new(&[("group", Align::Left), ("not computed", Align::Left)])
            .titled("groups without statistics");
        for group in failures {
            notes.push(vec![
                format!("{} = {}", group.field, group.group),
                group.error.clone().unwrap_or_default(),
            ]);
        }
        tables.push(notes);
    }
    tables
}

/// Appends prose lines, with Markdown line breaks when writing Markdown, and a blank line.
pub(crate) fn push_prose(out: &mut String, text: &str, format: Format) {
    match format {
        Format::Markdown => {
            for line in text.lines() {
                let _ = writeln!(out, "{line}  ");
            }
        }
        _ => out.push_str(text),
    }
    out.push('\n');
}

/// Renders comparisons for reading: per comparison a heading (terminal and Markdown only), the
/// statistics, the breakdowns and the discordant items; then, for a family of several, a
/// summary with the corrected p-values.
pub fn render_comparisons(
    comparisons: &[RunComparison],
    limit: DiscordantLimit,
    format: Format,
) -> String {
    let prose = matches!(format, Format::Terminal | Format::Markdown);
    let mut out = String::new();
    for (index, comparison) in comparisons.iter().enumerate() {
        if index > 0 {
            out.push('\n');
        }
        if prose {
            push_prose(&mut out, &heading(comparison), format);
        }
        let c = &comparison.comparison;
        let mut overall = statistics_columns(&[""], c.confidence);
        overall.push(statistics_row("overall", c, comparison.p_bh));
        let mut tables = vec![overall];
        tables.extend(group_tables(comparison));
        let d = &comparison.discordant;
        tables.extend(discordant_table(
            format!("A right, B wrong (b = {})", d.a_right_b_wrong.len()),
            &d.a_right_b_wrong,
            limit,
        ));
        tables.extend(discordant_table(
            format!("A wrong, B right (c = {})", d.a_wrong_b_right.len()),
            &d.a_wrong_b_right,
            limit,
        ));
        out.push_str(&crate::render_tables(&tables, format));
    }
    if comparisons.len() > 1 {
        let mut family = Table::new(&[
            ("benchmark", Align::Left),
            ("A", Align::Left),
            ("B", Align::Left),
            ("n", Align::Right),
            ("diff (A-B)", Align::Right),
            ("McNemar p", Align::Right),
            ("Holm p", Align::Right),
            ("BH p", Align::Right),
        ])
        .titled(format!(
            "family of {} comparisons: Holm controls the family-wise error rate, BH the false discovery rate",
            comparisons.len()
        ));
        for comparison in comparisons {
            let c = &comparison.comparison;
            family.push(vec![
                comparison.benchmark_name().to_owned(),
                comparison.run_a.label.clone(),
                comparison.run_b.label.clone(),
                c.n_paired.to_string(),
                format_points(c.diff),
                format_p(c.mcnemar_p),
                c.p_holm.map_or_else(|| "–".into(), format_p),
                comparison.p_bh.map_or_else(|| "–".into(), format_p),
            ]);
        }
        out.push('\n');
        out.push_str(&family.render(format));
    }
    out
}

/// The prose above a leaderboard: which items, which policy, how the ranks were resampled.
fn leaderboard_heading(board: &RankedBenchmark) -> String {
    let ranks = &board.ranks;
    let x = &ranks.exclusions;
    let mut text = String::new();
    let _ = writeln!(
        text,
        "{}: {} runs ranked on the {} items every run has",
        board.benchmark_name(),
        board.runs.len(),
        ranks.n_items
    );
    let non_answer_items = x.excluded_items - x.missing_items;
    let mut reasons = Vec::new();
    if x.missing_items > 0 {
        reasons.push(format!("{} missing from some run", x.missing_items));
    }
    if non_answer_items > 0 {
        reasons.push(format!("{non_answer_items} with a non-answer in some run"));
    }
    let excluded = if reasons.is_empty() {
        "none excluded".to_owned()
    } else {
        format!("{} excluded: {}", x.excluded_items, reasons.join(", "))
    };
    let _ = writeln!(text, "{excluded}; {}", policy_sentence(ranks.policy));
    let units = match ranks.bootstrap.resampled {
        medeval_stats::Resampled::Clusters => "clusters resampled whole",
        medeval_stats::Resampled::Items => "items resampled (no cluster keys)",
    };
    let _ = writeln!(
        text,
        "rank intervals: bootstrap ({} replicates, seed {}; {} {units}); rank = 1 + runs strictly ahead",
        ranks.bootstrap.replicates, ranks.bootstrap.seed, ranks.bootstrap.units,
    );
    for warning in &board.warnings {
        let _ = writeln!(text, "warning: {warning}");
    }
    text
}

/// The ranks, best first (ties keep the order given).
fn rank_table(board: &RankedBenchmark) -> Table {
    let confidence = format!("{:.0}% rank CI", board.ranks.confidence * 100.0);
    let mut table = Table::new(&[
        ("rank", Align::Right),
        ("run", Align::Left),
        ("model", Align::Left),
        ("accuracy", Align::Right),
        (&confidence, Align::Right),
        ("P(best)", Align::Right),
        ("mean rank", Align::Right),
    ]);
    let mut order: Vec<usize> = (0..board.ranks.entries.len()).collect();
    order.sort_by_key(|&i| board.ranks.entries[i].rank);
    for i in order {
        let entry = &board.ranks.entries[i];
        let model = board
            .runs
            .get(i)
            .and_then(|run| run.model.clone())
            .unwrap_or_else(|| "–".into());
        let [best, worst] = entry.rank_ci;
        table.push(vec![
            entry.rank.to_string(),
            entry.name.clone(),
            model,
            percent(Some(entry.accuracy)),
            if best == worst {
                best.to_string()
            } else {
                format!("{best}–{worst}")
            },
            format!("{:.3}", entry.p_best),
            format!("{:.2}", entry.mean_rank),
        ]);
    }
    table
}

/// Every pair with its corrected p-values.
fn pairs_table(board: &RankedBenchmark) -> Table {
    let confidence = board.ranks.confidence;
    let family = board.pairs.first().map_or(0, |pair| pair.family_size);
    let mut table = statistics_columns(&["A", "B"], confidence).titled(format!(
        "pairs: diff = acc A - acc B; Holm and BH across all {family} pairs compared"
    ));
    for pair in &board.pairs {
        let mut row = vec![pair.run_a.label.clone()];
        row.extend(statistics_row(
            &pair.run_b.label,
            &pair.comparison,
            pair.p_bh,
        ));
        table.push(row);
    }
    table
}

/// Renders leaderboards for reading: per benchmark a heading (terminal and Markdown only), the
/// ranks with their intervals, and every pair with Holm- and BH-corrected p-values.
pub fn render_leaderboards(boards: &[RankedBenchmark], format: Format) -> String {
    let prose = matches!(format, Format::Terminal | Format::Markdown);
    let mut out = String::new();
    for (index, board) in boards.iter().enumerate() {
        if index > 0 {
            out.push('\n');
        }
        if prose {
            push_prose(&mut out, &leaderboard_heading(board), format);
        }
        let tables = [rank_table(board), pairs_table(board)];
        out.push_str(&crate::render_tables(&tables, format));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn p_values_keep_their_significant_digits() {
        assert_eq!(format_p(0.375), "0.375");
        assert_eq!(format_p(0.003_14), "0.0031");
        assert_eq!(format_p(2.4e-7), "2.4e-7");
        assert_eq!(format_p(1.0), "1.000");
        assert_eq!(format_points(0.058), "+5.8 pp");
        assert_eq!(format_points(-0.1), "-10.0 pp");
    }
}
