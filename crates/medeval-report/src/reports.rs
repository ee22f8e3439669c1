//! Corpus text metrics for the report items of a run.
//!
//! A generated report is not right or wrong, so report items never enter an accuracy. They are
//! scored together, as report-generation papers score them: BLEU-1..4, METEOR (its exact+stem
//! variant, `meteor-exact-stem`, which needs none of METEOR 1.5's data), ROUGE-L and
//! CIDEr-D computed the way pycocoevalcap computes them (PTB tokenisation; CIDEr-D's document
//! frequencies over the run's references), with percentile bootstrap intervals over items (or
//! over clusters, when items share a patient or study).
//!
//! Samples that produced no report (`unparsed`, `refused`, `error`) follow the summary's
//! non-judgement policy: under `count_as_wrong` they enter as empty reports, which score zero
//! and lower the corpus values as a user of the model would experience; under `exclude` they
//! are left out. Either way they are counted beside the metrics.

use std::collections::{BTreeMap, HashMap};

use medeval_core::{Outcome, OutcomeCounts};
use medeval_stats::rng::{Xoshiro256StarStar, replicate_stream};
use medeval_stats::{BootstrapRecord, NonJudgementPolicy, Resampled, percentile_interval};
use medeval_text::{Evaluation, Flavor, Metric, Sample};
use serde::Serialize;

use crate::summary::Counted;

/// The metrics reported for report items, with the keys [`ReportSummary::metrics`] uses.
pub const REPORT_METRICS: [&str; 7] = [
    "bleu-1",
    "bleu-2",
    "bleu-3",
    "bleu-4",
    "meteor-exact-stem",
    "rouge-l",
    "cider-d",
];

/// Bootstrap replicates for report metric intervals. Each replicate re-aggregates pooled n-gram
/// statistics over a resample, so this is cheaper than it sounds (well under a second for
/// MIMIC-CXR's 3,858 test reports).
pub const REPORT_REPLICATES: u32 = 1_000;

/// The corpus metrics of a run's report items.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReportSummary {
    /// Report samples in the run.
    pub n: u64,
    /// Samples per outcome: `generated`, and the samples without a report.
    pub counts: OutcomeCounts,
    /// Samples the metrics were computed on (all of them under `count_as_wrong`, the
    /// generated reports under `exclude`).
    pub n_scored: u64,
    /// The reference implementation the values reproduce (`coco`: pycocoevalcap).
    pub flavor: &'static str,
    /// The tokeniser applied to candidates and references.
    pub tokenizer: &'static str,
    /// Corpus values: BLEU-1..4 and METEOR from pooled statistics, ROUGE-L and CIDEr-D as the
    /// mean of per-report values (CIDEr-D on pycocoevalcap's 0-10 scale).
    pub metrics: BTreeMap<String, f64>,
    /// Percentile bootstrap interval of each metric, at the summary's confidence level.
    pub metrics_ci: BTreeMap<String, [f64; 2]>,
    /// How the intervals were resampled.
    pub bootstrap: BootstrapRecord,
}

/// Scores the report records among `records`, or `None` when there are none.
pub(crate) fn summarize_reports(
    records: &[&Counted<'_>],
    policy: NonJudgementPolicy,
    confidence: f64,
    seed: u64,
) -> Option<ReportSummary> {
    let reports: Vec<&Counted<'_>> = records
        .iter()
        .copied()
        .filter(|counted| !counted.record.is_judged_item())
        .collect();
    if reports.is_empty() {
        return None;
    }
    let counts: OutcomeCounts = reports.iter().map(|c| c.record.outcome()).collect();
    let scored: Vec<&Counted<'_>> = reports
        .iter()
        .copied()
        .filter(|c| {
            c.record.outcome() == Outcome::Generated || policy == NonJudgementPolicy::CountAsWrong
        })
        .collect();
    let evaluation = evaluate_reports(scored.iter().map(|c| {
        ReportText {
            id: &c.record.id,
            report: (c.record.outcome() == Outcome::Generated)
                .then(|| c.record.extracted().unwrap_or_default()),
            reference: c.record.gold.as_deref().unwrap_or_default(),
        }
    }));

    let units = resampling_units(scored.iter().map(|c| c.cluster.as_deref()));
    let resampled = if scored.iter().any(|c| c.cluster.is_some()) {
        Resampled::Clusters
    } else {
        Resampled::Items
    };
    let mut replicates: Vec<Vec<f64>> = vec![Vec::new(); REPORT_METRICS.len()];
    let mut picks: Vec<usize> = Vec::with_capacity(scored.len());
    if !units.is_empty() {
        for replicate in 0..u64::from(REPORT_REPLICATES) {
            let mut rng = replicate_stream(seed, replicate);
            draw_units(&units, &mut rng, &mut picks);
            let values = metric_values(&evaluation.corpus_over(picks.iter().copied()));
            for (column, value) in replicates.iter_mut().zip(values) {
                column.push(value);
            }
        }
    }

    let corpus = metric_values(&evaluation.corpus);
    let mut metrics = BTreeMap::new();
    let mut metrics_ci = BTreeMap::new();
    for ((key, value), mut column) in REPORT_METRICS.iter().zip(corpus).zip(replicates) {
        if value.is_finite() {
            metrics.insert((*key).to_owned(), value);
        }
        column.retain(|v| v.is_finite());
        if !column.is_empty() {
            metrics_ci.insert(
                (*key).to_owned(),
                percentile_interval(&mut column, confidence),
            );
        }
    }
    Some(ReportSummary {
        n: reports.len() as u64,
        counts,
        n_scored: scored.len() as u64,
        flavor: evaluation.flavor.name(),
        tokenizer: evaluation.tokenizer.name(),
        metrics,
        metrics_ci,
        bootstrap: BootstrapRecord {
            replicates: REPORT_REPLICATES,
            seed,
            resampled,
            units: units.len(),
        },
    })
}

/// One sample's texts: the generated report (`None`: no report, scored as an empty one) and
/// the reference.
pub(crate) struct ReportText<'a> {
    /// The item id.
    pub id: &'a str,
    /// The report, when one was generated.
    pub report: Option<&'a str>,
    /// The reference report.
    pub reference: &'a str,
}

/// The corpus text metrics of `samples`, in pycocoevalcap's flavour.
pub(crate) fn evaluate_reports<'a>(samples: impl Iterator<Item = ReportText<'a>>) -> Evaluation {
    let samples: Vec<Sample> = samples
        .map(|text| Sample {
            id: text.id.to_owned(),
            candidate: text.report.unwrap_or_default().to_owned(),
            references: vec![text.reference.to_owned()],
        })
        .collect();
    medeval_text::evaluate(
        &samples,
        Flavor::Coco,
        &[
            Metric::Bleu,
            Metric::MeteorExactStem,
            Metric::RougeL,
            Metric::CiderD,
        ],
    )
    .expect("pycocoevalcap defines BLEU, METEOR, ROUGE-L and CIDEr-D")
}

/// The values of [`REPORT_METRICS`] among `values`, in order (NaN where absent).
pub(crate) fn metric_values(values: &[(&'static str, f64)]) -> Vec<f64> {
    REPORT_METRICS
        .iter()
        .map(|key| {
            values
                .iter()
                .find(|(k, _)| k == key)
                .map_or(f64::NAN, |(_, v)| *v)
        })
        .collect()
}

/// Fills `picks` with the sample positions of one bootstrap replicate: as many units as there
/// are, drawn with replacement.
pub(crate) fn draw_units(
    units: &[Vec<usize>],
    rng: &mut Xoshiro256StarStar,
    picks: &mut Vec<usize>,
) {
    picks.clear();
    for _ in 0..units.len() {
        picks.extend_from_slice(&units[rng.below(units.len() as u64) as usize]);
    }
}

/// The units a replicate draws, given each sample's cluster key: the positions of each
/// cluster's samples (several images of one patient), and a sample without a key alone.
pub(crate) fn resampling_units<'k>(keys: impl Iterator<Item = Option<&'k str>>) -> Vec<Vec<usize>> {
    let mut by_cluster: HashMap<&str, usize> = HashMap::new();
    let mut units: Vec<Vec<usize>> = Vec::new();
    for (position, key) in keys.enumerate() {
        let Some(key) = key else {
            units.push(vec![position]);
            continue;
        };
        match by_cluster.get(key) {
            Some(&unit) => units[unit].push(position),
            None => {
                by_cluster.insert(key, units.len());
                units.push(vec![position]);
            }
        }
    }
    units
}

#[cfg(test)]
mod tests {
    use medeval_core::{Item, Meta, Options, Scored};

    use super::*;
    use medeval_core::Gold;

    fn report_item(id: &str, reference: &str, cluster: Option<&str>) -> Item {
        Item {
            id: id.into(),
            question: "Write the findings.".into(),
            images: vec![],
            options: Options::new(),
            gold: Gold::Report(reference.into()),
            meta: Meta::new(),
            cluster: cluster.map(str::to_owned),
        }
    }

    /// The report summary of `items` scored once each by `verdicts`.
    fn summarize(
        items: &[Item],
        verdicts: Vec<Scored>,
        policy: NonJudgementPolicy,
        confidence: f64,
        seed: u64,
    ) -> Option<ReportSummary> {
        let label = crate::RunLabel {
            label: "reports.jsonl".into(),
            source: crate::RunSource::File {
                path: "reports.jsonl".into(),
            },
            model: None,
        };
        let run = crate::ScoredRun::of_items(label, None, items, verdicts);
        let counted = crate::summary::counted(&run);
        let records: Vec<&Counted<'_>> = counted.iter().collect();
        summarize_reports(&records, policy, confidence, seed)
    }

    fn generated(text: &str) -> Scored {
        Scored::new(Outcome::Generated, Some(text.into()), "report:generated")
    }

    /// One copied report of four words and one refusal against a three-word reference.
    /// By hand (pycocoevalcap's pooled BLEU): every candidate n-gram matches, so BLEU-n is the
    /// brevity penalty alone, exp(1 - r/c) with c = 4 candidate words and r = 4 + 3 reference
    /// words under `count_as_wrong` (0.472367), and 1 under `exclude`. ROUGE-L is the mean of
    /// 1 and 0, or 1.
    #[test]
    fn samples_without_a_report_follow_the_policy() {
        let items = [
            report_item("r1", "heart size is normal", None),
            report_item("r2", "no pleural effusion", None),
        ];
        let verdicts = vec![
            generated("heart size is normal"),
            Scored::new(Outcome::Refused, None, "refused:phrase"),
        ];
        let counted = summarize(
            &items,
            verdicts.clone(),
            NonJudgementPolicy::CountAsWrong,
            0.95,
            7,
        )
        .expect("reports");
        assert_eq!((counted.n, counted.n_scored), (2, 2));
        assert_eq!(counted.counts.get(Outcome::Refused), 1);
        let bp = (1.0f64 - 7.0 / 4.0).exp();
        for key in ["bleu-1", "bleu-2", "bleu-3", "bleu-4"] {
            assert!((counted.metrics[key] - bp).abs() < 1e-6, "{key}");
        }
        assert!((counted.metrics["rouge-l"] - 0.5).abs() < 1e-12);
        for (key, [lo, hi]) in &counted.metrics_ci {
            let value = counted.metrics[key];
            assert!(*lo <= value + 1e-12 && value <= hi + 1e-12, "{key}");
        }
        assert_eq!(counted.bootstrap.resampled, Resampled::Items);

        let excluded = summarize(&items, verdicts, NonJudgementPolicy::Exclude, 0.95, 7).unwrap();
        assert_eq!(excluded.n_scored, 1);
        assert!((excluded.metrics["bleu-4"] - 1.0).abs() < 1e-6);
        assert!((excluded.metrics["rouge-l"] - 1.0).abs() < 1e-12);
        // One item: every replicate is that item.
        assert_eq!(excluded.metrics_ci["rouge-l"], [1.0, 1.0]);
    }

    #[test]
    fn reports_sharing_a_patient_are_resampled_together() {
        let items = [
            report_item("a1", "heart size is normal", Some("patient-a")),
            report_item("a2", "lungs are clear", Some("patient-a")),
            report_item("b1", "small effusion", Some("patient-b")),
        ];
        let verdicts = vec![
            generated("heart is normal"),
            generated("clear lungs"),
            generated(""),
        ];
        let summary =
            summarize(&items, verdicts, NonJudgementPolicy::CountAsWrong, 0.9, 1).expect("reports");
        assert_eq!(summary.bootstrap.resampled, Resampled::Clusters);
        assert_eq!(summary.bootstrap.units, 2);
        assert_eq!(summary.bootstrap.replicates, REPORT_REPLICATES);
    }

    #[test]
    fn runs_without_report_items_have_no_report_summary() {
        let mut item = report_item("q", "yes", None);
        item.gold = Gold::yes_no(medeval_core::YesNo::Yes);
        let scored = Scored::new(Outcome::Correct, Some("yes".into()), "closed:leading-word");
        assert!(
            summarize(
                &[item],
                vec![scored],
                NonJudgementPolicy::CountAsWrong,
                0.95,
                1
            )
            .is_none()
        );
    }
}
