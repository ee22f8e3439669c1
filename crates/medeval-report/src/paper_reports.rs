//! The report-generation part of a paper table: runs whose items are all reports have no
//! accuracy, so they are laid out separately, one row per model and, for each benchmark, one
//! column per text metric (BLEU-1..4, METEOR, ROUGE-L, CIDEr-D), each cell a corpus value with
//! its bootstrap interval, as the run summary computes it.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::paper::Placed;
use crate::paper_input::PaperOptions;
use crate::reports::{REPORT_METRICS, ReportSummary, summarize_reports};
use crate::summary::{Counted, counted};
use crate::table::{Align, Table};

/// Report-generation runs side by side.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReportPaperTable {
    /// The benchmarks, in the order the runs are given.
    pub benchmarks: Vec<String>,
    /// The metrics of every benchmark, in column order.
    pub metrics: Vec<&'static str>,
    /// One row per model: one cell per benchmark (`null`: no run).
    pub rows: Vec<ReportPaperRow>,
}

/// One model's row of report metrics.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReportPaperRow {
    /// The model.
    pub model: String,
    /// One cell per benchmark.
    pub cells: Vec<Option<ReportCell>>,
}

/// The report metrics of one run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReportCell {
    /// The run the cell comes from.
    pub run: String,
    /// The run's report summary (values, intervals, counts, bootstrap).
    #[serde(flatten)]
    pub summary: ReportSummary,
}

/// Lays report runs out; `None` when there are none. Runs must already be known to fill
/// distinct cells.
pub(crate) fn report_paper_table(
    runs: &[&Placed<'_>],
    options: &PaperOptions,
) -> Option<ReportPaperTable> {
    if runs.is_empty() {
        return None;
    }
    let mut models: Vec<&str> = Vec::new();
    let mut benchmarks: Vec<&str> = Vec::new();
    for run in runs {
        if !models.contains(&run.model) {
            models.push(run.model);
        }
        if !benchmarks.contains(&run.benchmark.as_str()) {
            benchmarks.push(&run.benchmark);
        }
    }
    let summaries: BTreeMap<(&str, &str), ReportCell> = runs
        .iter()
        .filter_map(|run| {
            let counted = counted(run.scored);
            let records: Vec<&Counted<'_>> = counted.iter().collect();
            let summary = summarize_reports(
                &records,
                options.policy,
                options.confidence,
                medeval_stats::DEFAULT_SEED,
            )?;
            Some((
                (run.model, run.benchmark.as_str()),
                ReportCell {
                    run: run.run.to_owned(),
                    summary,
                },
            ))
        })
        .collect();
    let rows = models
        .iter()
        .map(|model| ReportPaperRow {
            model: (*model).to_owned(),
            cells: benchmarks
                .iter()
                .map(|benchmark| summaries.get(&(*model, *benchmark)).cloned())
                .collect(),
        })
        .collect();
    Some(ReportPaperTable {
        benchmarks: benchmarks.iter().map(|b| (*b).to_owned()).collect(),
        metrics: REPORT_METRICS.to_vec(),
        rows,
    })
}

impl ReportPaperTable {
    /// The table to render: a `model` column, then for each benchmark one column per metric. A
    /// cell reads `0.412 [0.398, 0.427]`; `–` when the model has no run on the benchmark.
    pub fn to_table(&self, options: &PaperOptions) -> Table {
        let mut columns = vec![("model".to_owned(), Align::Left)];
        for benchmark in &self.benchmarks {
            columns.extend(
                self.metrics
                    .iter()
                    .map(|metric| (format!("{benchmark} {metric}"), Align::Right)),
            );
        }
        let mut table = Table {
            title: Some(self.title(options)),
            columns,
            rows: Vec::new(),
        };
        for row in &self.rows {
            let mut cells = vec![row.model.clone()];
            for cell in &row.cells {
                for metric in &self.metrics {
                    cells.push(cell.as_ref().map_or_else(
                        || "–".to_owned(),
                        |cell| format_value(&cell.summary, metric),
                    ));
                }
            }
            table.push(cells);
        }
        table
    }

    fn title(&self, options: &PaperOptions) -> String {
        let without = match options.policy {
            medeval_stats::NonJudgementPolicy::CountAsWrong => {
                "samples without a report score as empty reports"
            }
            medeval_stats::NonJudgementPolicy::Exclude => "samples without a report left out",
        };
        format!(
            "Report metrics (pycocoevalcap, PTB tokens; CIDEr-D on 0-10) with {:.0}% bootstrap intervals; {without}",
            options.confidence * 100.0
        )
    }
}

fn format_value(summary: &ReportSummary, metric: &str) -> String {
    let Some(value) = summary.metrics.get(metric) else {
        return "–".to_owned();
    };
    match summary.metrics_ci.get(metric) {
        Some([lo, hi]) => format!("{value:.3} [{lo:.3}, {hi:.3}]"),
        None => format!("{value:.3}"),
    }
}
