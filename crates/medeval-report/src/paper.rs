//! Paper tables: runs side by side, one row per model, one column per benchmark (optionally
//! split into sub-columns such as open/closed or understanding/reasoning), every cell an
//! accuracy with its interval and `n`.
//!
//! The interval of a cell is Wilson's unless the benchmark's items share cluster keys (several
//! questions on one image), in which case it is cluster-robust by default, because items on one
//! image are not independent and a Wilson interval would be too narrow: the same choice as
//! `medeval show` ([`CiMethod::Auto`]). The method of every cell is named: in the table's title,
//! with a `†` on the columns (or, when a column mixes methods, the cells) that are
//! cluster-robust, and a `‡` on cells whose clusters were too few, which get the cluster bound
//! instead (see `medeval_stats::CiFallback`).

use std::collections::{BTreeSet, HashMap};

use medeval_core::OutcomeCounts;
use medeval_stats::{CiFallback, CiMethod, CiMethodName, NonJudgementPolicy};
use serde::Serialize;

use crate::compare_reports::is_report_run;
use crate::paper_input::{IntervalChoice, PaperOptions};
use crate::paper_reports::{ReportPaperTable, report_paper_table};
use crate::scored::ScoredRun;
use crate::summary::{Counted, SummaryOptions, counted, summarize_counted};
use crate::table::{Align, Table};

/// One column: a benchmark, or the items of a benchmark whose `field` has one value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Column {
    /// The benchmark the column reads.
    pub benchmark: String,
    /// The header.
    pub label: String,
    /// The breakdown field and value that select the column's items, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filter: Option<(String, String)>,
}

impl Column {
    /// A whole benchmark.
    pub fn whole(benchmark: &str, label: &str) -> Self {
        Self {
            benchmark: benchmark.to_owned(),
            label: label.to_owned(),
            filter: None,
        }
    }

    /// The items of a benchmark whose `field` is `value`.
    pub fn part(benchmark: &str, label: &str, field: &str, value: &str) -> Self {
        Self {
            benchmark: benchmark.to_owned(),
            label: label.to_owned(),
            filter: Some((field.to_owned(), value.to_owned())),
        }
    }
}

/// How the columns are chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Layout {
    /// One column per benchmark, in the order the runs are given; for each `sub` field with at
    /// least two values among a benchmark's items, a sub-column per value after the benchmark's
    /// own column.
    Auto {
        /// Breakdown fields for sub-columns (`answer_type`, `question_type` ...).
        sub: Vec<String>,
    },
    /// Fixed columns, as a published table lays them out.
    Fixed {
        /// The layout's name.
        name: String,
        /// The columns.
        columns: Vec<Column>,
    },
}

/// The name of the built-in layout of arXiv 2507.11200.
pub const STUDY_2507_11200: &str = "2507.11200";

impl Layout {
    /// A built-in layout by name.
    pub fn named(name: &str) -> Option<Self> {
        (name == STUDY_2507_11200).then(Self::study_2507_11200)
    }

    /// The seven benchmarks of "How Far Have Medical Vision-Language Models Come?" (arXiv
    /// 2507.11200), MedXpertQA MM split into its Understanding and Reasoning questions.
    pub fn study_2507_11200() -> Self {
        Self::Fixed {
            name: STUDY_2507_11200.to_owned(),
            columns: vec![
                Column::whole("vqa-rad", "VQA-RAD"),
                Column::whole("slake", "SLAKE"),
                Column::whole("pathvqa", "PathVQA"),
                Column::whole("pmc-vqa", "PMC-VQA"),
                Column::whole("omnimedvqa", "OmniMedVQA"),
                Column::part(
                    "medxpertqa-mm",
                    "MedXpertQA-MM Understanding",
                    "question_type",
                    "Understanding",
                ),
                Column::part(
                    "medxpertqa-mm",
                    "MedXpertQA-MM Reasoning",
                    "question_type",
                    "Reasoning",
                ),
                Column::whole("mmmu-med", "MMMU-Med"),
            ],
        }
    }

    fn name(&self) -> &str {
        match self {
            Self::Auto { .. } => "auto",
            Self::Fixed { name, .. } => name,
        }
    }
}

/// One cell.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cell {
    /// The run the cell comes from.
    pub run: String,
    /// Samples in the accuracy (after the policy's exclusions).
    pub n: u64,
    /// Accuracy, `null` when `n` is 0.
    pub accuracy: Option<f64>,
    /// The interval, `null` when it cannot be computed (n = 0).
    pub accuracy_ci: Option<[f64; 2]>,
    /// The interval's method: `wilson`, `cluster_robust`, or `wilson_cluster_bound` when the
    /// cell's clusters were too few for a cluster-robust interval.
    pub ci_method: CiMethodName,
    /// Why the interval is the cluster bound, when it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ci_fallback: Option<CiFallback>,
    /// Samples per outcome, before exclusions.
    pub counts: OutcomeCounts,
}

/// Runs laid out side by side.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PaperTable {
    /// The layout's name (`auto`, `2507.11200`).
    pub layout: String,
    /// How non-judgements entered accuracy.
    pub policy: NonJudgementPolicy,
    /// Interval level.
    pub confidence: f64,
    /// The columns.
    pub columns: Vec<Column>,
    /// One row per model: the model and its cells, one per column (`null`: no run).
    pub rows: Vec<PaperRow>,
    /// Runs a fixed layout has no column for (`benchmark (run)`), so that nothing given is
    /// silently left out.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unplaced: Vec<String>,
    /// Report-generation runs (every item a report), which have no accuracy: their text
    /// metrics, laid out separately.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reports: Option<ReportPaperTable>,
}

/// One model's row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PaperRow {
    /// The model.
    pub model: String,
    /// One cell per column.
    pub cells: Vec<Option<Cell>>,
}

/// Why runs cannot be laid out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PaperError {
    /// Two runs would fill the same cell.
    #[error(
        "runs {first} and {second} both hold {model} on {benchmark}; give one of them \
         (runs that differ in prompt or decoding settings belong in separate tables)"
    )]
    SameCell {
        /// The model.
        model: String,
        /// The benchmark.
        benchmark: String,
        /// The first run.
        first: String,
        /// The second run.
        second: String,
    },
    /// No runs were given.
    #[error("no runs to lay out")]
    NoRuns,
}

/// A run with what places it in a paper table: its model is the row, its benchmark (with the
/// variant, when it has one) the column.
#[derive(Debug, Clone)]
pub(crate) struct Placed<'a> {
    /// The run's id (or file name), as cells name it.
    pub run: &'a str,
    /// The row.
    pub model: &'a str,
    /// The column.
    pub benchmark: String,
    /// The run.
    pub scored: &'a ScoredRun,
}

impl<'a> Placed<'a> {
    fn new(scored: &'a ScoredRun) -> Self {
        Self {
            run: &scored.label.label,
            model: scored.model_label(),
            benchmark: scored.benchmark_label(),
            scored,
        }
    }
}

/// Lays `runs` out under `layout`: one row per model, one column per benchmark (a variant run
/// gets a column of its own), in the order the runs are given.
pub fn paper_table(
    runs: &[ScoredRun],
    layout: &Layout,
    options: &PaperOptions,
) -> Result<PaperTable, PaperError> {
    if runs.is_empty() {
        return Err(PaperError::NoRuns);
    }
    let runs: Vec<Placed<'_>> = runs.iter().map(Placed::new).collect();
    let mut models: Vec<&str> = Vec::new();
    let mut by_cell: HashMap<(&str, &str), &Placed<'_>> = HashMap::new();
    for run in &runs {
        if !models.contains(&run.model) {
            models.push(run.model);
        }
        if let Some(first) = by_cell.insert((run.model, &run.benchmark), run) {
            return Err(PaperError::SameCell {
                model: run.model.to_owned(),
                benchmark: run.benchmark.clone(),
                first: first.run.to_owned(),
                second: run.run.to_owned(),
            });
        }
    }
    let (report_runs, accuracy_runs): (Vec<&Placed<'_>>, Vec<&Placed<'_>>) =
        runs.iter().partition(|run| is_report_run(run.scored));
    models.retain(|model| accuracy_runs.iter().any(|run| run.model == *model));
    let columns = match layout {
        Layout::Fixed { columns, .. } if !accuracy_runs.is_empty() => columns.clone(),
        Layout::Fixed { .. } => Vec::new(),
        Layout::Auto { sub } => auto_columns(&accuracy_runs, sub),
    };
    let unplaced = accuracy_runs
        .iter()
        .filter(|run| !columns.iter().any(|c| c.benchmark == run.benchmark))
        .map(|run| format!("{} ({})", run.benchmark, run.run))
        .collect();
    let rows = models
        .iter()
        .map(|model| PaperRow {
            model: (*model).to_owned(),
            cells: columns
                .iter()
                .map(|column| {
                    by_cell
                        .get(&(*model, column.benchmark.as_str()))
                        .map(|run| cell(run, column, options))
                })
                .collect(),
        })
        .collect();
    Ok(PaperTable {
        layout: layout.name().to_owned(),
        policy: options.policy,
        confidence: options.confidence,
        columns,
        rows,
        unplaced,
        reports: report_paper_table(&report_runs, options),
    })
}

/// Benchmarks in order of appearance, each followed by its sub-columns.
fn auto_columns(runs: &[&Placed<'_>], sub: &[String]) -> Vec<Column> {
    let mut benchmarks: Vec<&str> = Vec::new();
    for run in runs {
        if !benchmarks.contains(&run.benchmark.as_str()) {
            benchmarks.push(&run.benchmark);
        }
    }
    let mut columns = Vec::new();
    for benchmark in benchmarks {
        columns.push(Column::whole(benchmark, benchmark));
        for field in sub {
            let values: BTreeSet<String> = runs
                .iter()
                .filter(|run| run.benchmark == benchmark)
                .flat_map(|run| {
                    run.scored
                        .records
                        .iter()
                        .filter_map(|record| record.group_key(field))
                })
                .collect();
            if values.len() >= 2 {
                columns.extend(values.iter().map(|value| {
                    Column::part(benchmark, &format!("{benchmark} {value}"), field, value)
                }));
            }
        }
    }
    columns
}

fn cell(run: &Placed<'_>, column: &Column, options: &PaperOptions) -> Cell {
    let counted = counted(run.scored);
    let records: Vec<&Counted<'_>> = match &column.filter {
        None => counted.iter().collect(),
        Some((field, value)) => counted
            .iter()
            .filter(|c| c.record.group_key(field).as_deref() == Some(value.as_str()))
            .collect(),
    };
    // Decided on the whole run, as `show` decides it, so a sub-column gets its run's method.
    let clustered = counted.iter().any(|c| c.cluster.is_some());
    let ci = match options.interval {
        IntervalChoice::Wilson => CiMethod::Wilson,
        IntervalChoice::ClusterRobust => CiMethod::ClusterRobust,
        IntervalChoice::Auto => CiMethod::Auto,
    }
    .resolve(clustered);
    let summary = summarize_counted(
        &records,
        &SummaryOptions {
            policy: options.policy,
            ci,
            confidence: options.confidence,
            by: Vec::new(),
            ..SummaryOptions::default()
        },
    );
    Cell {
        run: run.run.to_owned(),
        n: summary.overall.n,
        accuracy: summary.overall.accuracy,
        accuracy_ci: summary.overall.accuracy_ci,
        ci_method: summary.overall.ci_method,
        ci_fallback: summary.overall.ci_fallback,
        counts: summary.overall.counts,
    }
}

const CLUSTER_MARK: &str = "†";

impl Cell {
    /// The method asked for, before any fall-back to the cluster bound.
    fn intended_method(&self) -> CiMethodName {
        self.ci_fallback
            .map_or(self.ci_method, |fallback| fallback.from)
    }
}

impl PaperTable {
    /// The tables to render: the accuracy table (when any run has judged items), then the
    /// report metrics table (when any run is a report-generation run).
    pub fn to_tables(&self, options: &PaperOptions) -> Vec<Table> {
        let mut tables = Vec::new();
        if !self.rows.is_empty() {
            tables.push(self.to_table());
        }
        tables.extend(self.reports.as_ref().map(|r| r.to_table(options)));
        tables
    }

    /// The accuracy table: a `model` column, then one column per layout column. A cell reads
    /// `72.4 [68.1, 76.3] n=451`; `–` when the model has no run on the benchmark.
    pub fn to_table(&self) -> Table {
        let mixed: Vec<bool> = (0..self.columns.len())
            .map(|i| {
                let methods: BTreeSet<&str> = self
                    .rows
                    .iter()
                    .filter_map(|row| row.cells[i].as_ref())
                    .map(|cell| method_label(cell.intended_method()))
                    .collect();
                methods.len() > 1
            })
            .collect();
        let robust_column = |i: usize| {
            !mixed[i]
                && self
                    .rows
                    .iter()
                    .filter_map(|row| row.cells[i].as_ref())
                    .any(|cell| cell.intended_method() == CiMethodName::ClusterRobust)
        };
        let mut columns = vec![("model".to_owned(), Align::Left)];
        columns.extend(self.columns.iter().enumerate().map(|(i, column)| {
            let mark = if robust_column(i) { CLUSTER_MARK } else { "" };
            (format!("{}{mark}", column.label), Align::Right)
        }));
        let mut table = Table {
            title: Some(self.title()),
            columns,
            rows: Vec::new(),
        };
        for row in &self.rows {
            let mut cells = vec![row.model.clone()];
            cells.extend(row.cells.iter().enumerate().map(|(i, cell)| match cell {
                None => "–".to_owned(),
                Some(cell) => {
                    let robust = mixed[i] && cell.intended_method() == CiMethodName::ClusterRobust;
                    let mark = format!(
                        "{}{}",
                        if robust { CLUSTER_MARK } else { "" },
                        if cell.ci_fallback.is_some() {
                            crate::BOUND_MARK
                        } else {
                            ""
                        }
                    );
                    format_cell(cell, &mark)
                }
            }));
            table.push(cells);
        }
        table
    }

    /// What the numbers are: accuracy in percent, the interval level and methods, the policy.
    fn title(&self) -> String {
        let uses = |method: CiMethodName| {
            self.rows
                .iter()
                .flat_map(|row| row.cells.iter().flatten())
                .any(|cell| cell.intended_method() == method)
        };
        let level = format!("{:.0}%", self.confidence * 100.0);
        let intervals = match (
            uses(CiMethodName::Wilson),
            uses(CiMethodName::ClusterRobust),
        ) {
            (true, true) => format!(
                "{level} Wilson intervals; {CLUSTER_MARK} cluster-robust, items sharing an image \
                 (the card's cluster key) being correlated"
            ),
            (false, true) => format!(
                "{level} cluster-robust intervals {CLUSTER_MARK} (items sharing an image, the \
                 card's cluster key, are correlated)"
            ),
            _ => format!("{level} Wilson intervals"),
        };
        let policy = match self.policy {
            NonJudgementPolicy::CountAsWrong => "unparsed, refused and error count as wrong",
            NonJudgementPolicy::Exclude => "unparsed, refused and error excluded",
        };
        let fallbacks: Vec<&CiFallback> = self
            .rows
            .iter()
            .flat_map(|row| row.cells.iter().flatten())
            .filter_map(|cell| cell.ci_fallback.as_ref())
            .collect();
        let note = crate::fallback_note(&fallbacks)
            .map(|note| format!("; {note}"))
            .unwrap_or_default();
        format!("Accuracy (%) with {intervals}; n items per cell; {policy}{note}")
    }
}

fn method_label(method: CiMethodName) -> &'static str {
    match method {
        CiMethodName::ClusterRobust => "cluster-robust",
        _ => "other",
    }
}

fn format_cell(cell: &Cell, mark: &str) -> String {
    let accuracy = cell
        .accuracy
        .map_or_else(|| "–".to_owned(), |a| format!("{:.1}", a * 100.0));
    let interval = cell.accuracy_ci.map_or_else(
        || "[–]".to_owned(),
        |[lo, hi]| format!("[{:.1}, {:.1}]", lo * 100.0, hi * 100.0),
    );
    format!("{accuracy} {interval}{mark} n={}", cell.n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use medeval_core::{AnswerType, Item, Meta, Options, Outcome, Scored};
    use medeval_core::{Gold, Letter, YesNo};

    fn item(id: usize, answer_type: AnswerType, cluster: Option<&str>, kind: &str) -> Item {
        let mut meta = Meta::new();
        meta.insert("question_type".into(), kind.into());
        Item {
            id: id.to_string(),
            question: "q".into(),
            images: vec![],
            options: Options::new(),
            gold: match answer_type {
                AnswerType::Mcq => Gold::Letter(Letter::new('A').unwrap()),
                AnswerType::Closed => Gold::yes_no(YesNo::Yes),
                AnswerType::Open => Gold::Text("yes".into()),
                AnswerType::Report => Gold::Report("yes".into()),
            },
            meta,
            cluster: cluster.map(str::to_owned),
        }
    }

    fn verdicts(outcomes: &[Outcome]) -> Vec<Scored> {
        outcomes
            .iter()
            .map(|o| Scored::new(*o, None, "test"))
            .collect()
    }

    fn input(
        run: &str,
        model: &str,
        benchmark: &str,
        items: &[Item],
        scored: &[Scored],
    ) -> ScoredRun {
        let label = crate::RunLabel {
            label: run.into(),
            source: crate::RunSource::Store { run: run.into() },
            model: Some(model.into()),
        };
        ScoredRun::of_items(label, Some(benchmark.into()), items, scored.to_vec())
    }

    use Outcome::{Correct, Unparsed, Wrong};

    /// A report run has no accuracy: it goes to the report table, by metric, and takes no
    /// accuracy column; a model with only report runs gets no accuracy row.
    #[test]
    fn report_runs_are_laid_out_by_metric_apart_from_accuracy() {
        let closed: Vec<Item> = (0..2)
            .map(|i| item(i, AnswerType::Closed, None, "x"))
            .collect();
        let closed_scored = verdicts(&[Correct, Wrong]);
        let reports: Vec<Item> = (0..2)
            .map(|i| item(i, AnswerType::Report, None, "x"))
            .collect();
        // Both reports copy the reference "yes": every metric is perfect.
        let report_scored: Vec<Scored> = (0..2)
            .map(|_| Scored::new(Outcome::Generated, Some("yes".into()), "report:generated"))
            .collect();
        let table = paper_table(
            &[
                input("r1", "m1", "vqa", &closed, &closed_scored),
                input("r2", "m1", "iu-xray", &reports, &report_scored),
                input("r3", "m2", "iu-xray", &reports, &report_scored),
            ],
            &Layout::Auto { sub: vec![] },
            &PaperOptions::default(),
        )
        .unwrap();
        assert_eq!(table.columns, vec![Column::whole("vqa", "vqa")]);
        assert_eq!(table.rows.len(), 1, "m2 has no accuracy run");
        let reports = table.reports.as_ref().expect("report table");
        assert_eq!(reports.benchmarks, vec!["iu-xray".to_owned()]);
        assert_eq!(reports.rows.len(), 2);
        let cell = reports.rows[1].cells[0].as_ref().unwrap();
        assert_eq!(cell.run, "r3");
        assert!((cell.summary.metrics["rouge-l"] - 1.0).abs() < 1e-12);
        let rendered = table.to_tables(&PaperOptions::default());
        assert_eq!(rendered.len(), 2);
        assert_eq!(rendered[1].columns.len(), 1 + REPORT_METRICS_LEN);
        assert_eq!(rendered[1].rows[0][6], "1.000 [1.000, 1.000]");
    }

    const REPORT_METRICS_LEN: usize = crate::reports::REPORT_METRICS.len();

    #[test]
    fn cells_hold_accuracy_interval_and_n() {
        let items: Vec<Item> = (0..4)
            .map(|i| item(i, AnswerType::Closed, None, "x"))
            .collect();
        let scored = verdicts(&[Correct, Correct, Correct, Unparsed]);
        let table = paper_table(
            &[input("r1", "m", "b", &items, &scored)],
            &Layout::Auto { sub: vec![] },
            &PaperOptions::default(),
        )
        .unwrap();
        let cell = table.rows[0].cells[0].as_ref().unwrap();
        assert_eq!(cell.n, 4);
        assert_eq!(cell.counts.get(Unparsed), 1);
        // Wilson 95% for 3/4 by the published closed form: [0.3006, 0.9544].
        let [lo, hi] = cell.accuracy_ci.unwrap();
        assert!(
            (lo - 0.300_64).abs() < 1e-4 && (hi - 0.954_41).abs() < 1e-4,
            "{lo} {hi}"
        );
        assert_eq!(
            table.to_table().rows,
            vec![vec!["m".to_owned(), "75.0 [30.1, 95.4] n=4".to_owned()]]
        );
    }

    #[test]
    fn clustered_runs_get_cluster_robust_intervals_and_say_so() {
        // Two images, two questions each; one image answered right twice, the other wrong twice.
        let items: Vec<Item> = (0..4)
            .map(|i| {
                let image = if i < 2 { "img1" } else { "img2" };
                item(i, AnswerType::Closed, Some(image), "x")
            })
            .collect();
        let scored = verdicts(&[Correct, Correct, Wrong, Wrong]);
        let table = paper_table(
            &[input("r1", "m", "b", &items, &scored)],
            &Layout::Auto { sub: vec![] },
            &PaperOptions::default(),
        )
        .unwrap();
        let cell = table.rows[0].cells[0].as_ref().unwrap();
        // Two clusters are too few for a cluster-robust interval: the cluster bound, Wilson's
        // (p̂ + z²/2n ± z√(p̂(1-p̂)/n + z²/4n²))/(1 + z²/n) at n = n²/Σm² = 16/8 = 2, p̂ = 1/2.
        assert_eq!(cell.ci_method, CiMethodName::WilsonClusterBound);
        let fallback = cell.ci_fallback.unwrap();
        assert_eq!(fallback.from, CiMethodName::ClusterRobust);
        assert_eq!((fallback.clusters, fallback.worst_case_n), (2, 2.0));
        let z = 1.959_963_984_540_054_f64;
        let n = 2.0;
        let half = z * (0.25 / n + z * z / (4.0 * n * n)).sqrt() / (1.0 + z * z / n);
        let [lo, hi] = cell.accuracy_ci.unwrap();
        assert!((lo - (0.5 - half)).abs() < 1e-15 && (hi - (0.5 + half)).abs() < 1e-15);
        let rendered = table.to_table();
        assert_eq!(rendered.columns[1].0, "b†");
        assert_eq!(rendered.rows[0][1], "50.0 [9.5, 90.5]‡ n=4");
        let title = rendered.title.unwrap();
        assert!(title.contains("cluster-robust"), "{title}");
        assert!(
            title.contains("‡ 2 cluster(s) are fewer than the 30"),
            "{title}"
        );
    }

    #[test]
    fn models_are_rows_benchmarks_columns_with_sub_columns() {
        let items: Vec<Item> = vec![
            item(0, AnswerType::Mcq, None, "Understanding"),
            item(1, AnswerType::Mcq, None, "Reasoning"),
            item(2, AnswerType::Mcq, None, "Reasoning"),
        ];
        let right = verdicts(&[Correct, Correct, Wrong]);
        let wrong = verdicts(&[Wrong, Wrong, Correct]);
        let runs = [
            input("a1", "model-a", "mx", &items, &right),
            input("b1", "model-b", "mx", &items, &wrong),
            input("a2", "model-a", "other", &items[..1], &right[..1]),
        ];
        let table = paper_table(
            &runs,
            &Layout::Auto {
                sub: vec!["question_type".into(), "answer_type".into()],
            },
            &PaperOptions::default(),
        )
        .unwrap();
        let labels: Vec<&str> = table.columns.iter().map(|c| c.label.as_str()).collect();
        // answer_type has one value only: no sub-columns for it; `other` has one item.
        assert_eq!(labels, ["mx", "mx Reasoning", "mx Understanding", "other"]);
        let models: Vec<&str> = table.rows.iter().map(|r| r.model.as_str()).collect();
        assert_eq!(models, ["model-a", "model-b"]);
        let reasoning_b = table.rows[1].cells[1].as_ref().unwrap();
        assert_eq!((reasoning_b.n, reasoning_b.accuracy), (2, Some(0.5)));
        assert!(table.rows[1].cells[3].is_none());
        assert_eq!(table.to_table().rows[1][4], "–");
    }

    #[test]
    fn the_study_layout_splits_medxpertqa_and_reports_what_it_leaves_out() {
        let items: Vec<Item> = vec![
            item(0, AnswerType::Mcq, None, "Understanding"),
            item(1, AnswerType::Mcq, None, "Reasoning"),
        ];
        let scored = verdicts(&[Correct, Wrong]);
        let runs = [
            input("r1", "m", "medxpertqa-mm", &items, &scored),
            input("r2", "m", "medqa", &items, &scored),
        ];
        let table = paper_table(
            &runs,
            &Layout::named("2507.11200").unwrap(),
            &PaperOptions::default(),
        )
        .unwrap();
        assert_eq!(table.columns.len(), 8);
        let understanding = table.rows[0].cells[5].as_ref().unwrap();
        assert_eq!(understanding.accuracy, Some(1.0));
        let reasoning = table.rows[0].cells[6].as_ref().unwrap();
        assert_eq!(reasoning.accuracy, Some(0.0));
        assert_eq!(table.unplaced, ["medqa (r2)"]);
    }

    /// A probe variant's run of a benchmark is a column of its own next to the plain run.
    #[test]
    fn a_variant_run_has_its_own_column() {
        let items = vec![item(0, AnswerType::Mcq, None, "x")];
        let scored = verdicts(&[Correct]);
        let mut circular = input("r2", "m", "b", &items, &scored);
        circular.variant = Some("circular".into());
        let runs = [input("r1", "m", "b", &items, &scored), circular];
        let table = paper_table(
            &runs,
            &Layout::Auto { sub: vec![] },
            &PaperOptions::default(),
        )
        .unwrap();
        let labels: Vec<&str> = table.columns.iter().map(|c| c.label.as_str()).collect();
        assert_eq!(labels, ["b", "b [circular]"]);
        assert_eq!(table.rows[0].cells[1].as_ref().unwrap().run, "r2");
    }

    #[test]
    fn two_runs_for_one_cell_are_refused() {
        let items = vec![item(0, AnswerType::Mcq, None, "x")];
        let scored = verdicts(&[Correct]);
        let runs = [
            input("r1", "m", "b", &items, &scored),
            input("r2", "m", "b", &items, &scored),
        ];
        let error = paper_table(
            &runs,
            &Layout::Auto { sub: vec![] },
            &PaperOptions::default(),
        )
        .unwrap_err();
        assert!(matches!(error, PaperError::SameCell { .. }));
    }
}
