//! Summaries: accuracy with an interval, every outcome counted beside it, and breakdowns.

use std::borrow::Cow;
use std::collections::BTreeMap;

use medeval_core::{Outcome, OutcomeCounts};
use medeval_stats::{
    AccuracyEstimate, CiFallback, CiMethod, CiMethodName, ClusterSummary, NonJudgementPolicy,
    RunOutcomes, estimate_accuracy,
};
use serde::Serialize;

use crate::reports::{ReportSummary, summarize_reports};
use crate::scored::{ScoredRecord, ScoredRun};

/// How a summary is computed.
#[derive(Debug, Clone, PartialEq)]
pub struct SummaryOptions {
    /// How `unparsed`, `refused` and `error` enter the accuracy.
    pub policy: NonJudgementPolicy,
    /// The interval method. `Auto` is decided once for all the samples summarised (cluster-robust
    /// when any item carries a cluster key), so every breakdown uses the same method.
    pub ci: CiMethod,
    /// The interval's confidence level.
    pub confidence: f64,
    /// Metadata fields to break results down by (`answer_type` is always available), in the
    /// order the breakdowns are shown.
    pub by: Vec<String>,
    /// The seed of the report metrics' bootstrap intervals (a bootstrap accuracy interval
    /// carries its own seed in `ci`).
    pub report_seed: u64,
}

impl Default for SummaryOptions {
    /// Non-judgements count as wrong; Wilson 95% intervals; no breakdown. (`medeval show` and
    /// `table` default to [`CiMethod::Auto`] instead.)
    fn default() -> Self {
        Self {
            policy: NonJudgementPolicy::CountAsWrong,
            ci: CiMethod::Wilson,
            confidence: 0.95,
            by: Vec::new(),
            report_seed: medeval_stats::DEFAULT_SEED,
        }
    }
}

/// Accuracy of a set of samples.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Accuracy {
    /// Samples the accuracy is computed on (after the policy's exclusions).
    pub n: u64,
    /// correct / n; `null` when n is 0.
    pub accuracy: Option<f64>,
    /// The interval, `null` when it cannot be computed (n = 0).
    pub accuracy_ci: Option<[f64; 2]>,
    /// The method of the interval: the one asked for (`auto` decided), or
    /// `wilson_cluster_bound` when a cluster method had too few clusters.
    pub ci_method: CiMethodName,
    /// Why the interval is the cluster bound rather than the cluster method asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ci_fallback: Option<CiFallback>,
    /// Samples per outcome, before any exclusion.
    pub counts: OutcomeCounts,
}

/// A whole summary: the overall accuracy, how it was computed, and the breakdowns.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// The overall accuracy.
    #[serde(flatten)]
    pub overall: Accuracy,
    /// How non-judgements entered the accuracy.
    pub policy: NonJudgementPolicy,
    /// Interval level.
    pub confidence: f64,
    /// Clustering and design effect, when the items carry cluster keys.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clusters: Option<ClusterSummary>,
    /// Bootstrap seed and replicates, for bootstrap intervals.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bootstrap: Option<medeval_stats::BootstrapRecord>,
    /// Mean of each per-sample metric over the samples that have it (token F1 for open answers).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub metrics: BTreeMap<String, f64>,
    /// Corpus text metrics of the report items, when the run has any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub report: Option<ReportSummary>,
    /// The breakdown fields, in the order asked for (the order of the tables).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub by: Vec<String>,
    /// For each breakdown field: value -> accuracy of the samples with that value.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub groups: BTreeMap<String, BTreeMap<String, Accuracy>>,
    /// For each breakdown field: the unweighted mean of its groups' accuracies (macro average).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub macro_accuracy: BTreeMap<String, f64>,
}

/// The group a sample falls in when its item lacks the breakdown field.
pub const MISSING_GROUP: &str = "(missing)";

/// A record as summaries count it: with the cluster key its intervals and bootstraps group it
/// by.
#[derive(Debug, Clone)]
pub(crate) struct Counted<'a> {
    /// The record.
    pub record: &'a ScoredRecord,
    /// Its item's cluster key; with several draws per item, an item without one is a cluster of
    /// its own, so that its samples are one unit in every cluster interval.
    pub cluster: Option<Cow<'a, str>>,
}

impl Counted<'_> {
    fn cluster(&self) -> Option<&str> {
        self.cluster.as_deref()
    }
}

/// The records of `run` as summaries count them, in the run's order (see [`Counted`]).
pub(crate) fn counted(run: &ScoredRun) -> Vec<Counted<'_>> {
    let per_item = run.draws_per_item > 1;
    run.records
        .iter()
        .map(|record| Counted {
            record,
            cluster: match &record.cluster {
                Some(key) => Some(Cow::Borrowed(key.as_str())),
                // A prefix no benchmark's keys use keeps item ids apart from image keys.
                None if per_item => Some(Cow::Owned(format!("\u{1}item:{}", record.id))),
                None => None,
            },
        })
        .collect()
}

/// Summarises a run's samples. Report items are not judged correct or wrong, so they are left
/// out of accuracy; their corpus text metrics are under `report`. With several draws per item
/// every sample counts, and an item without a cluster key is a cluster of its own.
pub fn summarize(run: &ScoredRun, options: &SummaryOptions) -> Summary {
    let counted = counted(run);
    let records: Vec<&Counted<'_>> = counted.iter().collect();
    summarize_counted(&records, options)
}

/// Summarises `records` (a run's, or the part of a run a paper table's column selects).
pub(crate) fn summarize_counted(records: &[&Counted<'_>], options: &SummaryOptions) -> Summary {
    let judged: Vec<&Counted<'_>> = records
        .iter()
        .copied()
        .filter(|counted| counted.record.is_judged_item())
        .collect();
    let method = options
        .ci
        .resolve(judged.iter().any(|counted| counted.cluster.is_some()));
    let (overall, estimate) = accuracy_of(&judged, method, options);

    let mut by: Vec<String> = Vec::new();
    for field in &options.by {
        if !by.contains(field) {
            by.push(field.clone());
        }
    }
    let mut groups = BTreeMap::new();
    let mut macro_accuracy = BTreeMap::new();
    for field in &by {
        let mut by_value: BTreeMap<String, Vec<&Counted<'_>>> = BTreeMap::new();
        for counted in &judged {
            let key = counted
                .record
                .group_key(field)
                .unwrap_or_else(|| MISSING_GROUP.to_owned());
            by_value.entry(key).or_default().push(counted);
        }
        let summaries: BTreeMap<String, Accuracy> = by_value
            .into_iter()
            .map(|(value, records)| (value, accuracy_of(&records, method, options).0))
            .collect();
        let accuracies: Vec<f64> = summaries.values().filter_map(|s| s.accuracy).collect();
        if !accuracies.is_empty() {
            macro_accuracy.insert(
                field.clone(),
                accuracies.iter().sum::<f64>() / accuracies.len() as f64,
            );
        }
        groups.insert(field.clone(), summaries);
    }

    Summary {
        overall,
        policy: options.policy,
        confidence: options.confidence,
        clusters: estimate.as_ref().and_then(|e| e.clusters),
        bootstrap: estimate.and_then(|e| e.bootstrap),
        metrics: metric_means(records),
        report: summarize_reports(
            records,
            options.policy,
            options.confidence,
            options.report_seed,
        ),
        by,
        groups,
        macro_accuracy,
    }
}

/// The accuracy of `records` with an interval by `method` (`Auto` already decided).
fn accuracy_of(
    records: &[&Counted<'_>],
    method: CiMethod,
    options: &SummaryOptions,
) -> (Accuracy, Option<AccuracyEstimate>) {
    let counts: OutcomeCounts = records.iter().map(|c| c.record.outcome()).collect();
    let any_cluster = records.iter().any(|c| c.cluster.is_some());
    let outcomes = if any_cluster || method.is_clustered() {
        RunOutcomes::clustered(
            records.iter().map(|c| (c.record.outcome(), c.cluster())),
            options.policy,
        )
    } else {
        RunOutcomes::new(records.iter().map(|c| c.record.outcome()), options.policy)
    };
    let n = outcomes.n();
    let accuracy = (n > 0).then(|| outcomes.correct() as f64 / n as f64);
    let estimate = estimate_accuracy(&outcomes, method, options.confidence).ok();
    (
        Accuracy {
            n,
            accuracy,
            accuracy_ci: estimate.as_ref().map(|e| e.ci),
            ci_method: estimate.as_ref().map_or(method.name(), |e| e.ci_method),
            ci_fallback: estimate.as_ref().and_then(|e| e.ci_fallback),
            counts,
        },
        estimate,
    )
}

fn metric_means(records: &[&Counted<'_>]) -> BTreeMap<String, f64> {
    let mut sums: BTreeMap<&str, (f64, u64)> = BTreeMap::new();
    for counted in records {
        for (name, value) in &counted.record.scored.metrics {
            if value.is_finite() {
                let entry = sums.entry(name).or_default();
                entry.0 += value;
                entry.1 += 1;
            }
        }
    }
    sums.into_iter()
        .map(|(name, (sum, n))| (name.to_owned(), sum / n as f64))
        .collect()
}

/// The outcomes that are not judgements, for labelling.
pub fn is_non_judgement(outcome: Outcome) -> bool {
    !matches!(outcome, Outcome::Correct | Outcome::Wrong)
}

#[cfg(test)]
mod tests {
    use super::*;
    use medeval_core::{Gold, YesNo};
    use medeval_core::{Item, Meta, Options, Scored};

    fn item(id: usize, modality: Option<&str>, cluster: Option<&str>) -> Item {
        let mut meta = Meta::new();
        if let Some(m) = modality {
            meta.insert("modality".into(), m.into());
        }
        Item {
            id: id.to_string(),
            question: "q".into(),
            images: vec![],
            options: Options::new(),
            gold: Gold::yes_no(YesNo::Yes),
            meta,
            cluster: cluster.map(str::to_owned),
        }
    }

    fn scored(outcome: Outcome) -> Scored {
        Scored::new(outcome, None, "test")
    }

    /// Each item scored once, as `medeval score` scores a predictions file.
    fn run(items: &[Item], verdicts: Vec<Scored>) -> ScoredRun {
        let label = crate::RunLabel {
            label: "predictions.jsonl".into(),
            source: crate::RunSource::File {
                path: "predictions.jsonl".into(),
            },
            model: None,
        };
        ScoredRun::of_items(label, None, items, verdicts)
    }

    #[test]
    fn accuracy_counts_non_judgements_as_wrong_by_default() {
        let items: Vec<Item> = (0..10).map(|i| item(i, None, None)).collect();
        let outcomes = [
            Outcome::Correct,
            Outcome::Correct,
            Outcome::Correct,
            Outcome::Correct,
            Outcome::Correct,
            Outcome::Correct,
            Outcome::Wrong,
            Outcome::Unparsed,
            Outcome::Refused,
            Outcome::Error,
        ];
        let verdicts: Vec<Scored> = outcomes.iter().map(|o| scored(*o)).collect();
        let samples = run(&items, verdicts);
        let summary = summarize(&samples, &SummaryOptions::default());
        assert_eq!(summary.overall.n, 10);
        assert_eq!(summary.overall.accuracy, Some(0.6));
        // Wilson 95% for 6/10, as published tables give it: [0.3127, 0.8318].
        let [lo, hi] = summary.overall.accuracy_ci.unwrap();
        assert!(
            (lo - 0.312_67).abs() < 1e-4 && (hi - 0.831_82).abs() < 1e-4,
            "{lo} {hi}"
        );
        assert_eq!(summary.overall.counts.get(Outcome::Refused), 1);

        let excluding = summarize(
            &samples,
            &SummaryOptions {
                policy: NonJudgementPolicy::Exclude,
                ..SummaryOptions::default()
            },
        );
        assert_eq!(excluding.overall.n, 7);
        assert_eq!(excluding.overall.accuracy, Some(6.0 / 7.0));
        assert_eq!(
            excluding.overall.counts.total(),
            10,
            "counts are never filtered"
        );
    }

    #[test]
    fn breakdowns_group_by_meta_and_report_a_macro_average() {
        let items = [
            item(0, Some("CT"), None),
            item(1, Some("CT"), None),
            item(2, Some("MR"), None),
            item(3, None, None),
        ];
        let verdicts = vec![
            scored(Outcome::Correct),
            scored(Outcome::Correct),
            scored(Outcome::Wrong),
            scored(Outcome::Correct),
        ];
        let samples = run(&items, verdicts);
        let summary = summarize(
            &samples,
            &SummaryOptions {
                by: vec!["modality".into()],
                ..SummaryOptions::default()
            },
        );
        let groups = &summary.groups["modality"];
        assert_eq!(groups["CT"].accuracy, Some(1.0));
        assert_eq!(groups["MR"].accuracy, Some(0.0));
        assert_eq!(groups[MISSING_GROUP].n, 1);
        // Micro 3/4; macro (1 + 0 + 1) / 3.
        assert_eq!(summary.overall.accuracy, Some(0.75));
        assert!((summary.macro_accuracy["modality"] - 2.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn breakdowns_keep_the_order_they_were_asked_in() {
        let items: Vec<Item> = (0..4)
            .map(|i| item(i, Some(if i < 2 { "CT" } else { "MR" }), None))
            .collect();
        let verdicts: Vec<Scored> = (0..4).map(|_| scored(Outcome::Correct)).collect();
        let samples = run(&items, verdicts);
        // "modality" sorts after "answer_type"; asked first, it comes first. A repeat is ignored.
        let summary = summarize(
            &samples,
            &SummaryOptions {
                by: vec!["modality".into(), "answer_type".into(), "modality".into()],
                ..SummaryOptions::default()
            },
        );
        assert_eq!(summary.by, ["modality", "answer_type"]);
        let titles: Vec<String> = crate::summary_tables(&summary)
            .into_iter()
            .filter_map(|table| table.title)
            .collect();
        assert_eq!(titles, ["by modality", "by answer_type"]);
    }

    #[test]
    fn auto_clusters_every_group_of_a_keyed_run_and_marks_the_cluster_bound() {
        // 40 images of two questions; modality CT holds 4 images, too few to cluster.
        let items: Vec<Item> = (0..80)
            .map(|i| {
                let modality = if i < 8 { "CT" } else { "MR" };
                item(i, Some(modality), Some(&format!("img{}", i / 2)))
            })
            .collect();
        let verdicts: Vec<Scored> = (0..80)
            .map(|i| {
                scored(if i % 3 == 0 {
                    Outcome::Wrong
                } else {
                    Outcome::Correct
                })
            })
            .collect();
        let samples = run(&items, verdicts);
        let summary = summarize(
            &samples,
            &SummaryOptions {
                ci: CiMethod::Auto,
                by: vec!["modality".into()],
                ..SummaryOptions::default()
            },
        );
        assert_eq!(summary.overall.ci_method, CiMethodName::ClusterRobust);
        let groups = &summary.groups["modality"];
        assert_eq!(groups["MR"].ci_method, CiMethodName::ClusterRobust);
        assert_eq!(groups["CT"].ci_method, CiMethodName::WilsonClusterBound);
        let fallback = groups["CT"].ci_fallback.unwrap();
        // Four images of two questions: n_w = 64/16 = 4.
        assert_eq!((fallback.clusters, fallback.worst_case_n), (4, 4.0));
        let tables = crate::summary_tables(&summary);
        assert_eq!(tables[0].columns[3].0, "95% CI (cluster-robust)");
        let by = &tables[1];
        let ct = by.rows.iter().find(|row| row[0] == "CT").unwrap();
        assert!(ct[3].ends_with('‡'), "{ct:?}");
        let mr = by.rows.iter().find(|row| row[0] == "MR").unwrap();
        assert!(!mr[3].ends_with('‡'), "{mr:?}");
        let title = by.title.as_deref().unwrap();
        assert!(title.starts_with("by modality; ‡ 4 cluster(s)"), "{title}");
        let json = serde_json::to_value(&summary).unwrap();
        assert_eq!(json["ci_method"], "cluster_robust");
        assert_eq!(
            json["groups"]["modality"]["CT"]["ci_fallback"]["reason"],
            "too_few_clusters"
        );
        assert_eq!(json["by"][0], "modality");
    }

    /// Two items asked twice each, without cluster keys: the samples of an item are one
    /// cluster, so two clusters are too few and the interval is the cluster bound at
    /// n = n²/Σm² = 16/8 = 2.
    #[test]
    fn the_draws_of_one_item_are_one_cluster() {
        let items = [item(0, None, None), item(1, None, None)];
        let mut samples = run(
            &items,
            vec![scored(Outcome::Correct), scored(Outcome::Wrong)],
        );
        let again: Vec<ScoredRecord> = samples
            .records
            .iter()
            .map(|record| ScoredRecord {
                sample: 1,
                ..record.clone()
            })
            .collect();
        samples.records.extend(again);
        samples.draws_per_item = 2;
        let summary = summarize(
            &samples,
            &SummaryOptions {
                ci: CiMethod::Auto,
                ..SummaryOptions::default()
            },
        );
        assert_eq!(summary.overall.n, 4);
        assert_eq!(summary.overall.ci_method, CiMethodName::WilsonClusterBound);
        let fallback = summary.overall.ci_fallback.unwrap();
        assert_eq!((fallback.clusters, fallback.worst_case_n), (2, 2.0));
    }

    #[test]
    fn empty_input_has_no_accuracy_rather_than_nan() {
        let summary = summarize(&run(&[], Vec::new()), &SummaryOptions::default());
        assert_eq!(summary.overall.n, 0);
        assert_eq!(summary.overall.accuracy, None);
        assert_eq!(summary.overall.accuracy_ci, None);
        let json = serde_json::to_value(&summary).unwrap();
        assert_eq!(json["accuracy"], serde_json::Value::Null);
    }
}
