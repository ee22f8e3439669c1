//! Paired comparison of two report-generation runs: does model A write reports that score
//! higher than model B's on the same studies?
//!
//! The runs are paired by item id. Each metric is the corpus value computed as the run summary
//! computes it (pycocoevalcap's BLEU-1..4, METEOR, ROUGE-L, CIDEr-D); the difference A - B gets a
//! paired percentile bootstrap interval (the same items, or whole clusters, redrawn for both runs
//! in every replicate) and a two-sided bootstrap p-value, `2 min(P*(diff <= 0), P*(diff >= 0))`.
//! The p-values are per metric and not adjusted: the seven metrics measure overlapping things
//! and are strongly correlated, so they are one question asked seven ways, not seven questions.

use std::collections::HashMap;

use medeval_core::{AnswerType, Outcome, OutcomeCounts};
use medeval_stats::rng::replicate_stream;
use medeval_stats::{BootstrapRecord, NonJudgementPolicy, Resampled, percentile_interval};
use medeval_text::Evaluation;
use serde::Serialize;

use crate::compare::{CompareError, CompareSettings, shared_benchmark};
use crate::reports::{
    REPORT_METRICS, ReportText, draw_units, evaluate_reports, metric_values, resampling_units,
};
use crate::scored::{DrawError, RunLabel, ScoredRecord, ScoredRun};
use crate::table::{Align, Table};

/// One metric of a report comparison.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetricDifference {
    /// The metric (`bleu-4`, `rouge-l`, ...).
    pub metric: &'static str,
    /// Run A's corpus value on the paired items.
    pub a: f64,
    /// Run B's corpus value on the paired items.
    pub b: f64,
    /// a - b.
    pub diff: f64,
    /// Paired percentile bootstrap interval of the difference.
    pub diff_ci: [f64; 2],
    /// Two-sided bootstrap p-value of "no difference".
    pub p_bootstrap: f64,
}

/// Two report-generation runs compared on the items both hold.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReportComparison {
    /// Run A.
    pub a: RunLabel,
    /// Run B.
    pub b: RunLabel,
    /// The benchmark, when the runs name it.
    pub benchmark: Option<String>,
    /// Items paired (present in both runs and, under `exclude`, with a report from both).
    pub n_paired: u64,
    /// Items of one run only.
    pub unpaired: u64,
    /// Paired items left out because a run produced no report there (`exclude` only).
    pub excluded: u64,
    /// How samples without a report entered: as empty reports, or excluded.
    pub policy: NonJudgementPolicy,
    /// Outcomes of run A's paired samples (before exclusion).
    pub counts_a: OutcomeCounts,
    /// Outcomes of run B's paired samples (before exclusion).
    pub counts_b: OutcomeCounts,
    /// Interval level.
    pub confidence: f64,
    /// One entry per metric.
    pub metrics: Vec<MetricDifference>,
    /// How the bootstrap resampled.
    pub bootstrap: BootstrapRecord,
}

/// Whether a run is a report-generation run: it has samples, and every one is of a report item.
pub fn is_report_run(run: &ScoredRun) -> bool {
    !run.records.is_empty()
        && run
            .records
            .iter()
            .all(|r| r.answer_type == Some(AnswerType::Report))
}

/// Compares the reports of run A with those of run B, paired by item id.
pub fn compare_report_runs(
    a: &ScoredRun,
    b: &ScoredRun,
    settings: &CompareSettings,
) -> Result<ReportComparison, CompareError> {
    let benchmark = shared_benchmark(a, b)?;
    let records_a = one_per_item(a, settings.draw)?;
    let records_b: HashMap<&str, &ScoredRecord> = one_per_item(b, settings.draw)?
        .into_iter()
        .map(|r| (r.id.as_str(), r))
        .collect();
    let paired: Vec<(&ScoredRecord, &ScoredRecord)> = records_a
        .iter()
        .filter_map(|ra| records_b.get(ra.id.as_str()).map(|rb| (*ra, *rb)))
        .collect();
    if paired.is_empty() {
        return Err(CompareError::NoCommonItems {
            a: a.label.label.clone(),
            b: b.label.label.clone(),
            a_items: records_a.len(),
            b_items: records_b.len(),
            a_example: records_a.first().map_or_else(String::new, |r| r.id.clone()),
            b_example: records_b
                .keys()
                .next()
                .map_or_else(String::new, |id| (*id).to_owned()),
        });
    }
    if let Some((run, record)) = paired
        .iter()
        .flat_map(|(ra, rb)| [(a, *ra), (b, *rb)])
        .find(|(_, record)| record.gold.is_none())
    {
        return Err(CompareError::MissingReference {
            run: run.label.label.clone(),
            id: record.id.clone(),
        });
    }
    let unpaired = (records_a.len() + records_b.len() - 2 * paired.len()) as u64;
    let counts_a: OutcomeCounts = paired.iter().map(|(ra, _)| ra.outcome()).collect();
    let counts_b: OutcomeCounts = paired.iter().map(|(_, rb)| rb.outcome()).collect();
    let kept: Vec<(&ScoredRecord, &ScoredRecord)> = paired
        .iter()
        .copied()
        .filter(|(ra, rb)| {
            settings.policy == NonJudgementPolicy::CountAsWrong
                || (ra.outcome() == Outcome::Generated && rb.outcome() == Outcome::Generated)
        })
        .collect();
    let excluded = (paired.len() - kept.len()) as u64;
    let evaluation_a = evaluate(kept.iter().map(|(ra, _)| *ra));
    let evaluation_b = evaluate(kept.iter().map(|(_, rb)| *rb));

    let clustered = settings.use_clusters && kept.iter().any(|(ra, _)| ra.cluster.is_some());
    let units = resampling_units(kept.iter().map(|(ra, _)| {
        if clustered {
            ra.cluster.as_deref()
        } else {
            None
        }
    }));
    let replicates = settings.bootstrap.replicates;
    let mut differences: Vec<Vec<f64>> = vec![Vec::new(); REPORT_METRICS.len()];
    let mut picks: Vec<usize> = Vec::with_capacity(kept.len());
    if !units.is_empty() {
        for replicate in 0..u64::from(replicates) {
            let mut rng = replicate_stream(settings.bootstrap.seed, replicate);
            draw_units(&units, &mut rng, &mut picks);
            let values_a = metric_values(&evaluation_a.corpus_over(picks.iter().copied()));
            let values_b = metric_values(&evaluation_b.corpus_over(picks.iter().copied()));
            for ((column, va), vb) in differences.iter_mut().zip(values_a).zip(values_b) {
                column.push(va - vb);
            }
        }
    }

    let corpus_a = metric_values(&evaluation_a.corpus);
    let corpus_b = metric_values(&evaluation_b.corpus);
    let metrics = REPORT_METRICS
        .iter()
        .zip(corpus_a)
        .zip(corpus_b)
        .zip(differences)
        .filter(|(((_, va), vb), _)| va.is_finite() && vb.is_finite())
        .map(|(((metric, va), vb), mut column)| {
            column.retain(|d| d.is_finite());
            let p_bootstrap = two_sided_p(&column);
            let diff_ci = if column.is_empty() {
                [f64::NAN; 2]
            } else {
                percentile_interval(&mut column, settings.confidence)
            };
            MetricDifference {
                metric,
                a: va,
                b: vb,
                diff: va - vb,
                diff_ci,
                p_bootstrap,
            }
        })
        .collect();
    Ok(ReportComparison {
        a: a.label.clone(),
        b: b.label.clone(),
        benchmark,
        n_paired: kept.len() as u64,
        unpaired,
        excluded,
        policy: settings.policy,
        counts_a,
        counts_b,
        confidence: settings.confidence,
        metrics,
        bootstrap: BootstrapRecord {
            replicates,
            seed: settings.bootstrap.seed,
            resampled: if clustered {
                Resampled::Clusters
            } else {
                Resampled::Items
            },
            units: units.len(),
        },
    })
}

/// The report records of a run, one per item (draw `draw` when given).
fn one_per_item(run: &ScoredRun, draw: Option<u32>) -> Result<Vec<&ScoredRecord>, DrawError> {
    let samples_per_item = run.samples_per_item();
    let reports = run
        .records
        .iter()
        .filter(|r| r.answer_type == Some(AnswerType::Report));
    match draw {
        None if samples_per_item > 1 => Err(DrawError::SeveralDraws {
            run: run.label.label.clone(),
            samples_per_item,
        }),
        None => Ok(reports.collect()),
        Some(draw) => {
            let chosen: Vec<&ScoredRecord> = reports.filter(|r| r.sample == draw).collect();
            if chosen.is_empty() {
                return Err(DrawError::NoSuchDraw {
                    run: run.label.label.clone(),
                    draw,
                    samples_per_item,
                });
            }
            Ok(chosen)
        }
    }
}

/// The corpus text metrics of `records`: a report where one was generated, an empty one
/// otherwise, each against the item's reference.
fn evaluate<'a>(records: impl Iterator<Item = &'a ScoredRecord>) -> Evaluation {
    evaluate_reports(records.map(|r| ReportText {
        id: &r.id,
        report: (r.outcome() == Outcome::Generated).then(|| r.extracted().unwrap_or_default()),
        // Checked by the caller: every paired record has its reference.
        reference: r.gold.as_deref().unwrap_or_default(),
    }))
}

/// `2 min(P(d <= 0), P(d >= 0))` over the bootstrap differences, at most 1.
fn two_sided_p(differences: &[f64]) -> f64 {
    if differences.is_empty() {
        return f64::NAN;
    }
    let n = differences.len() as f64;
    let at_most = differences.iter().filter(|d| **d <= 0.0).count() as f64 / n;
    let at_least = differences.iter().filter(|d| **d >= 0.0).count() as f64 / n;
    (2.0 * at_most.min(at_least)).min(1.0)
}

/// A bootstrap p-value as text: 0 means no replicate crossed zero, i.e. below 1/replicates.
fn bootstrap_p(p: f64, replicates: u32) -> String {
    if p == 0.0 {
        format!("< {}", crate::format_p(1.0 / f64::from(replicates)))
    } else {
        crate::format_p(p)
    }
}

impl ReportComparison {
    /// The comparison as a table: one row per metric.
    pub fn to_table(&self) -> Table {
        let ci = format!("{:.0}% CI", self.confidence * 100.0);
        let mut table = Table::new(&[
            ("metric", Align::Left),
            ("A", Align::Right),
            ("B", Align::Right),
            ("diff (A-B)", Align::Right),
            (ci.as_str(), Align::Right),
            ("p (bootstrap)", Align::Right),
        ]);
        for m in &self.metrics {
            table.push(vec![
                m.metric.to_owned(),
                format!("{:.4}", m.a),
                format!("{:.4}", m.b),
                format!("{:+.4}", m.diff),
                format!("[{:+.4}, {:+.4}]", m.diff_ci[0], m.diff_ci[1]),
                bootstrap_p(m.p_bootstrap, self.bootstrap.replicates),
            ]);
        }
        let without = match self.policy {
            NonJudgementPolicy::CountAsWrong => "samples without a report scored as empty reports",
            NonJudgementPolicy::Exclude => "items where either run has no report left out",
        };
        table.titled(format!(
            "{}A = {}, B = {}: {} paired reports ({} of one run only, {} excluded); {without}; \
             paired {} bootstrap, {} replicates, seed {}",
            self.benchmark
                .as_ref()
                .map_or_else(String::new, |b| format!("{b}: ")),
            self.a.display(),
            self.b.display(),
            self.n_paired,
            self.unpaired,
            self.excluded,
            match self.bootstrap.resampled {
                Resampled::Clusters => "cluster",
                Resampled::Items => "item",
            },
            self.bootstrap.replicates,
            self.bootstrap.seed,
        ))
    }
}

#[cfg(test)]
mod tests {
    use medeval_core::{Meta, Scored};
    use medeval_stats::Bootstrap;

    use super::*;
    use crate::scored::RunSource;

    const REFERENCES: [&str; 4] = [
        "heart size is normal",
        "no pleural effusion",
        "lungs are clear",
        "no pneumothorax",
    ];

    fn run(label: &str, candidates: &[Option<&str>], clusters: bool) -> ScoredRun {
        ScoredRun::new(
            RunLabel {
                label: label.into(),
                source: RunSource::File { path: label.into() },
                model: None,
            },
            Some("iu-xray".into()),
            candidates
                .iter()
                .zip(REFERENCES)
                .enumerate()
                .map(|(i, (candidate, reference))| ScoredRecord {
                    id: format!("s{i}"),
                    sample: 0,
                    scored: if candidate.is_some() {
                        Scored::new(Outcome::Generated, candidate.map(str::to_owned), "test")
                    } else {
                        Scored::error("test")
                    },
                    gold: Some(reference.into()),
                    answer_type: Some(AnswerType::Report),
                    cluster: clusters.then(|| format!("patient{}", i / 2)),
                    meta: Meta::new(),
                })
                .collect(),
        )
    }

    fn settings(policy: NonJudgementPolicy) -> CompareSettings {
        CompareSettings {
            bootstrap: Bootstrap {
                replicates: 500,
                seed: 11,
            },
            ..CompareSettings::new(policy)
        }
    }

    fn rouge(comparison: &ReportComparison) -> &MetricDifference {
        comparison
            .metrics
            .iter()
            .find(|m| m.metric == "rouge-l")
            .expect("rouge-l")
    }

    #[test]
    fn a_run_against_itself_differs_by_nothing() {
        let copies: Vec<Option<&str>> = REFERENCES.iter().map(|r| Some(*r)).collect();
        let a = run("a", &copies, false);
        let comparison =
            compare_report_runs(&a, &a, &settings(NonJudgementPolicy::CountAsWrong)).unwrap();
        assert_eq!(comparison.n_paired, 4);
        for m in &comparison.metrics {
            assert_eq!((m.diff, m.diff_ci), (0.0, [0.0, 0.0]), "{}", m.metric);
            assert_eq!(m.p_bootstrap, 1.0);
        }
    }

    /// A copies every reference (ROUGE-L 1 on each), B fails every request (empty reports, 0):
    /// every replicate's difference is exactly 1, so the interval is [1, 1] and no replicate
    /// reaches 0.
    #[test]
    fn copies_beat_failures_in_every_replicate() {
        let copies: Vec<Option<&str>> = REFERENCES.iter().map(|r| Some(*r)).collect();
        let a = run("a", &copies, true);
        let b = run("b", &[None, None, None, None], true);
        let comparison =
            compare_report_runs(&a, &b, &settings(NonJudgementPolicy::CountAsWrong)).unwrap();
        let m = rouge(&comparison);
        assert_eq!((m.a, m.b, m.diff), (1.0, 0.0, 1.0));
        assert_eq!(m.diff_ci, [1.0, 1.0]);
        assert_eq!(m.p_bootstrap, 0.0);
        assert_eq!(comparison.bootstrap.resampled, Resampled::Clusters);
        assert_eq!(comparison.bootstrap.units, 2);
        assert_eq!(comparison.counts_b.get(Outcome::Error), 4);

        // Leaving out items without a report from either run leaves nothing to compare here.
        let excluded = compare_report_runs(&a, &b, &settings(NonJudgementPolicy::Exclude)).unwrap();
        assert_eq!((excluded.n_paired, excluded.excluded), (0, 4));
        assert!(excluded.metrics.iter().all(|m| m.metric != "rouge-l"));
    }

    #[test]
    fn a_report_without_its_reference_is_an_error_naming_it() {
        let a = run("a", &[Some("x"), Some("y")], false);
        let mut b = a.clone();
        b.label.label = "b.jsonl".into();
        b.records[1].gold = None;
        let error = compare_report_runs(&a, &b, &settings(NonJudgementPolicy::CountAsWrong))
            .unwrap_err()
            .to_string();
        assert!(
            error.starts_with("b.jsonl: report item \"s1\" has no reference"),
            "{error}"
        );
    }

    #[test]
    fn the_two_sided_p_counts_replicates_on_either_side_of_zero() {
        assert_eq!(two_sided_p(&[0.1, 0.2, -0.1, 0.3]), 0.5);
        assert_eq!(two_sided_p(&[0.1, 0.2, 0.3, 0.4]), 0.0);
        assert_eq!(two_sided_p(&[0.0, 0.0]), 1.0);
    }
}
