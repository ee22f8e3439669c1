//! Summaries as one tidy table of numbers: what `medeval show --format csv` writes.
//!
//! The terminal, Markdown and LaTeX layouts are for reading: several tables, percentages,
//! intervals as `[25.1, 49.1]`. A CSV is for pandas, R or a spreadsheet, so it is one table in
//! long form with one number per row: one row per (run, breakdown, group, metric), the value as
//! a plain number (proportions from 0 to 1, never a percent string), its unit, and the interval
//! in two columns of their own. Runs append to the same table, so several runs' CSVs concatenate
//! and `df.pivot(...)` recovers any wide layout.

use medeval_core::Outcome;
use medeval_stats::{CiMethodName, NonJudgementPolicy, RepeatedSummary};

use crate::summary::{Accuracy, Summary};
use crate::table::{Align, Table};

/// The columns of the tidy table, in order.
pub const TIDY_COLUMNS: [&str; 13] = [
    "run",
    "benchmark",
    "model",
    "breakdown",
    "group",
    "metric",
    "value",
    "unit",
    "ci_lower",
    "ci_upper",
    "ci_method",
    "confidence",
    "policy",
];

/// `breakdown` and `group` of the rows about a whole run.
pub const OVERALL: &str = "overall";

/// `group` of the rows about a whole run.
pub const ALL_GROUPS: &str = "all";

/// What identifies the rows of one summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TidySource<'a> {
    /// The run id (empty for scored files without one).
    pub run: &'a str,
    /// The benchmark.
    pub benchmark: &'a str,
    /// The model.
    pub model: &'a str,
}

/// An empty tidy table: [`TIDY_COLUMNS`] as headers.
pub fn tidy_table() -> Table {
    let columns: Vec<(&str, Align)> = TIDY_COLUMNS
        .iter()
        .map(|name| (*name, Align::Left))
        .collect();
    Table::new(&columns)
}

/// One row being written: where it belongs, then what it says.
struct Rows<'t, 'a> {
    table: &'t mut Table,
    source: TidySource<'a>,
    confidence: f64,
    policy: NonJudgementPolicy,
}

impl Rows<'_, '_> {
    fn push(
        &mut self,
        (breakdown, group): (&str, &str),
        metric: &str,
        value: Number,
        unit: &str,
        interval: Option<([f64; 2], CiMethodName)>,
    ) {
        let (lower, upper, method, confidence) = match interval {
            Some(([lower, upper], method)) => (
                number(lower),
                number(upper),
                method_name(method),
                number(self.confidence),
            ),
            None => Default::default(),
        };
        self.table.push(vec![
            self.source.run.to_owned(),
            self.source.benchmark.to_owned(),
            self.source.model.to_owned(),
            breakdown.to_owned(),
            group.to_owned(),
            metric.to_owned(),
            value.to_string(),
            unit.to_owned(),
            lower,
            upper,
            method,
            confidence,
            self.policy.as_str().to_owned(),
        ]);
    }

    /// `accuracy` (proportion, with its interval), `n` and the count of every outcome.
    fn accuracy(&mut self, at: (&str, &str), accuracy: &Accuracy) {
        if let Some(value) = accuracy.accuracy {
            let interval = accuracy.accuracy_ci.map(|ci| (ci, accuracy.ci_method));
            self.push(at, "accuracy", Number::Real(value), "proportion", interval);
        }
        self.push(at, "n", Number::Count(accuracy.n), "count", None);
        for outcome in Outcome::ANSWERED {
            let count = accuracy.counts.get(outcome);
            self.push(at, outcome.as_str(), Number::Count(count), "count", None);
        }
    }
}

/// A value as the CSV writes it.
enum Number {
    Count(u64),
    Real(f64),
}

impl std::fmt::Display for Number {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Count(count) => write!(f, "{count}"),
            Self::Real(value) => f.write_str(&number(*value)),
        }
    }
}

/// The shortest text that reads back as exactly `value`.
fn number(value: f64) -> String {
    format!("{value}")
}

/// The method as the JSON names it (`cluster_robust`, `wilson_cluster_bound` ...).
fn method_name(method: CiMethodName) -> String {
    serde_json::to_value(method)
        .ok()
        .and_then(|value| value.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// Appends the rows of one run's `summary` (and of its repeated-sampling statistics) to
/// `table`, a [`tidy_table`].
pub fn push_tidy_rows(
    table: &mut Table,
    source: TidySource<'_>,
    summary: &Summary,
    repeated: Option<&RepeatedSummary>,
) {
    let mut rows = Rows {
        table,
        source,
        confidence: summary.confidence,
        policy: summary.policy,
    };
    let overall = (OVERALL, ALL_GROUPS);
    if summary.overall.counts.total() > 0 || summary.report.is_none() {
        rows.accuracy(overall, &summary.overall);
    }
    for (name, value) in &summary.metrics {
        rows.push(overall, name, Number::Real(*value), "score", None);
    }
    if let Some(repeated) = repeated {
        push_repeated(&mut rows, repeated);
    }
    if let Some(report) = &summary.report {
        for (name, value) in &report.metrics {
            let interval = report
                .metrics_ci
                .get(name)
                .map(|ci| (*ci, CiMethodName::Bootstrap));
            rows.push(overall, name, Number::Real(*value), "score", interval);
        }
    }
    for field in &summary.by {
        let Some(groups) = summary.groups.get(field) else {
            continue;
        };
        for (value, accuracy) in groups {
            rows.accuracy((field, value), accuracy);
        }
        if let Some(macro_accuracy) = summary.macro_accuracy.get(field) {
            let at = (field.as_str(), "");
            let value = Number::Real(*macro_accuracy);
            rows.push(at, "macro_accuracy", value, "proportion", None);
        }
    }
}

fn push_repeated(rows: &mut Rows<'_, '_>, repeated: &RepeatedSummary) {
    let overall = (OVERALL, ALL_GROUPS);
    let method = repeated.ci_method;
    for (metric, value, ci) in [
        (
            "mean_accuracy",
            repeated.mean_accuracy,
            repeated.mean_accuracy_ci,
        ),
        (
            "majority_vote_accuracy",
            repeated.majority_vote_accuracy,
            repeated.majority_vote_ci,
        ),
        (
            "any_correct_accuracy",
            repeated.any_correct_accuracy,
            repeated.any_correct_ci,
        ),
    ] {
        let value = Number::Real(value);
        rows.push(overall, metric, value, "proportion", Some((ci, method)));
    }
    if let Some(variance) = repeated.within_item_variance {
        let value = Number::Real(variance);
        rows.push(overall, "within_item_variance", value, "variance", None);
    }
    for (metric, count) in [
        ("n_items", repeated.n_items),
        ("inconsistent_items", repeated.inconsistent_items),
        ("ties", repeated.ties),
    ] {
        rows.push(overall, metric, Number::Count(count), "count", None);
    }
}

#[cfg(test)]
mod tests {
    use medeval_core::{Gold, Item, Meta, Options, Scored, YesNo};

    use super::*;
    use crate::scored::{RunLabel, RunSource, ScoredRun};
    use crate::summary::{SummaryOptions, summarize};
    use crate::table::Format;

    fn item(id: usize, site: &str) -> Item {
        let mut meta = Meta::new();
        meta.insert("site".into(), site.into());
        Item {
            id: id.to_string(),
            question: "q".into(),
            images: vec![],
            options: Options::new(),
            gold: Gold::yes_no(YesNo::Yes),
            meta,
            cluster: None,
        }
    }

    #[test]
    fn a_summary_is_one_long_table_of_plain_numbers() {
        // Six of ten right; site "=cmd()" is untrusted metadata.
        let items: Vec<Item> = (0..10)
            .map(|i| item(i, if i < 4 { "=cmd()" } else { "b" }))
            .collect();
        let verdicts: Vec<Scored> = (0..10)
            .map(|i| {
                let outcome = match i {
                    0..6 => Outcome::Correct,
                    6 => Outcome::Error,
                    _ => Outcome::Wrong,
                };
                Scored::new(outcome, None, "test")
            })
            .collect();
        let label = RunLabel {
            label: "r1".into(),
            source: RunSource::Store { run: "r1".into() },
            model: Some("m".into()),
        };
        let run = ScoredRun::of_items(label, Some("bench".into()), &items, verdicts);
        let summary = summarize(
            &run,
            &SummaryOptions {
                by: vec!["site".into()],
                ..SummaryOptions::default()
            },
        );
        let mut table = tidy_table();
        let source = TidySource {
            run: "r1",
            benchmark: "bench",
            model: "m",
        };
        push_tidy_rows(&mut table, source, &summary, None);
        let csv = table.render(Format::Csv);
        let mut lines = csv.lines();
        assert_eq!(lines.next(), Some(TIDY_COLUMNS.join(",").as_str()));
        let rows: Vec<Vec<&str>> = lines.map(|line| line.split(',').collect()).collect();
        assert!(
            rows.iter().all(|row| row.len() == TIDY_COLUMNS.len()),
            "{csv}"
        );
        let accuracy = &rows[0];
        assert_eq!(
            accuracy[..8],
            [
                "r1",
                "bench",
                "m",
                "overall",
                "all",
                "accuracy",
                "0.6",
                "proportion"
            ]
        );
        // Wilson 95% for 6/10, as published tables give it: [0.3127, 0.8318].
        let lower: f64 = accuracy[8].parse().unwrap();
        let upper: f64 = accuracy[9].parse().unwrap();
        assert!((lower - 0.312_67).abs() < 1e-4 && (upper - 0.831_82).abs() < 1e-4);
        assert_eq!(accuracy[10..], ["wilson", "0.95", "count_as_wrong"]);
        let error = rows
            .iter()
            .find(|row| row[3] == "overall" && row[5] == "error");
        assert_eq!(error.unwrap()[6..8], ["1", "count"]);
        // No percent strings anywhere, and the group named like a formula is neutralised.
        assert!(!csv.contains('%'), "{csv}");
        assert!(csv.contains(",site,'=cmd(),accuracy,"), "{csv}");
        assert!(!csv.contains(",=cmd"), "{csv}");
        let macro_row = rows.iter().find(|row| row[5] == "macro_accuracy").unwrap();
        // Groups: 4/4 right and 2/6 right: (1 + 1/3)/2 = 2/3.
        let value: f64 = macro_row[6].parse().unwrap();
        assert!((value - 2.0 / 3.0).abs() < 1e-15);
    }
}
