//! Paired comparison of two scored runs: does model A really beat model B on this benchmark?
//!
//! The runs are paired by item id on the items both answered; what was left out is counted by
//! reason. The statistics come from `medeval-stats` ([`medeval_stats::compare`]); this module adds
//! what a reader needs around them: which runs and benchmark, the discordant items with both
//! answers (the items worth looking at), breakdowns by a metadata field, and the corrections for
//! comparing on several benchmarks at once (Holm for the family-wise error rate, which `p_holm`
//! reports, and Benjamini-Hochberg for the false discovery rate, `p_bh`).
//!
//! Families: the comparisons passed to [`correct_family`] together (one per benchmark, or one
//! per model pair) form one family; the groups of one breakdown field within one comparison form
//! another. A group whose comparison cannot be computed (too few items or clusters) is reported
//! with its reason and is not part of its family.

use std::collections::{BTreeMap, HashMap, HashSet};

use medeval_core::Outcome;
use medeval_stats::{
    Bootstrap, CompareOptions, NonJudgementPolicy, PairedComparison, PairedOutcomes, Record,
    StatsError, benjamini_hochberg, holm,
};
use serde::Serialize;

use crate::MISSING_GROUP;
use crate::scored::{DrawError, RunLabel, ScoredRecord, ScoredRun};

/// How two runs are compared.
#[derive(Debug, Clone, PartialEq)]
pub struct CompareSettings {
    /// How `unparsed`, `refused` and `error` enter the comparison.
    pub policy: NonJudgementPolicy,
    /// Confidence level of `diff_ci`.
    pub confidence: f64,
    /// Replicates and seed of the paired bootstrap.
    pub bootstrap: Bootstrap,
    /// Metadata fields to break the comparison down by.
    pub by: Vec<String>,
    /// Resample whole clusters when the items carry cluster keys (the default); `false` treats
    /// every item as independent, and the output says so through `diff_ci_method`.
    pub use_clusters: bool,
    /// For runs with several samples per item: the draw to compare.
    pub draw: Option<u32>,
}

impl CompareSettings {
    /// Settings with the default confidence (0.95), bootstrap and clustering.
    pub fn new(policy: NonJudgementPolicy) -> Self {
        Self {
            policy,
            confidence: 0.95,
            bootstrap: Bootstrap::default(),
            by: Vec::new(),
            use_clusters: true,
            draw: None,
        }
    }

    fn options(&self) -> CompareOptions {
        CompareOptions {
            confidence: self.confidence,
            bootstrap: self.bootstrap,
            ..CompareOptions::default()
        }
    }
}

/// Why two runs could not be compared.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CompareError {
    /// A run has several samples per item and no draw was chosen, or lacks the chosen draw.
    #[error(transparent)]
    Draw(#[from] DrawError),
    /// The runs share no item id.
    #[error(
        "{a} and {b} have no item id in common ({a_items} items in A, e.g. {a_example:?}; {b_items} in B, e.g. {b_example:?}): there is nothing to pair"
    )]
    NoCommonItems {
        /// Run A's label.
        a: String,
        /// Run B's label.
        b: String,
        /// Judged items of A.
        a_items: usize,
        /// Judged items of B.
        b_items: usize,
        /// An id of A.
        a_example: String,
        /// An id of B.
        b_example: String,
    },
    /// The runs name different benchmarks.
    #[error("{a} is a run on benchmark {a_benchmark:?} but {b} is on {b_benchmark:?}")]
    DifferentBenchmarks {
        /// Run A's label.
        a: String,
        /// Run A's benchmark.
        a_benchmark: String,
        /// Run B's label.
        b: String,
        /// Run B's benchmark.
        b_benchmark: String,
    },
    /// A report item has no reference to score the reports against.
    #[error(
        "{run}: report item {id:?} has no reference report (the `answer` field of a scored-sample file); text metrics need one"
    )]
    MissingReference {
        /// The run's label.
        run: String,
        /// The item id.
        id: String,
    },
    /// A statistic could not be computed on the paired items.
    #[error("{benchmark}: {error}")]
    Stats {
        /// The benchmark (or the runs' labels when it has no name).
        benchmark: String,
        /// What the statistics library said.
        error: Box<StatsError>,
    },
}

/// A discordant item: one run right, the other wrong, with both answers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DiscordantItem {
    /// The item id.
    pub id: String,
    /// The gold answer, when known.
    pub gold: Option<String>,
    /// Run A's extracted answer.
    pub answer_a: Option<String>,
    /// Run A's verdict (a non-answer here was counted as wrong).
    pub outcome_a: Outcome,
    /// Run B's extracted answer.
    pub answer_b: Option<String>,
    /// Run B's verdict.
    pub outcome_b: Outcome,
}

/// The discordant items of a comparison, in run A's item order.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct DiscordantItems {
    /// A right, B wrong: the `b` cell.
    pub a_right_b_wrong: Vec<DiscordantItem>,
    /// A wrong, B right: the `c` cell.
    pub a_wrong_b_right: Vec<DiscordantItem>,
}

/// The comparison on the items of one group of a breakdown field.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupComparison {
    /// The breakdown field.
    pub field: String,
    /// The group's value of the field (`(missing)` for items without it).
    pub group: String,
    /// The statistics, when they could be computed.
    #[serde(flatten)]
    pub comparison: Option<PairedComparison>,
    /// `mcnemar_p` adjusted by Benjamini-Hochberg across the field's groups.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p_bh: Option<f64>,
    /// Number of groups of the field in the correction.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub family_size: Option<usize>,
    /// Why the statistics could not be computed (too few items or clusters in the group).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Two runs compared on one benchmark. Serialised, the statistics' names (`n_paired`, `acc_a`,
/// `acc_b`, `diff`, `diff_ci`, `mcnemar_p`, `b`, `c`, `bootstrap_p`, `p_holm` ...) sit at the top
/// level of the object next to `benchmark`, `run_a` and `run_b`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunComparison {
    /// The benchmark, when either run names it.
    pub benchmark: Option<String>,
    /// Run A.
    pub run_a: RunLabel,
    /// Run B.
    pub run_b: RunLabel,
    /// The statistics (with `p_holm` once [`correct_family`] has run).
    #[serde(flatten)]
    pub comparison: PairedComparison,
    /// `mcnemar_p` adjusted by Benjamini-Hochberg across the family; `None` until
    /// [`correct_family`] has run.
    pub p_bh: Option<f64>,
    /// Number of comparisons in the family the corrections are taken over.
    pub family_size: usize,
    /// The discordant items with both answers.
    pub discordant: DiscordantItems,
    /// Per breakdown field and group, with Holm and BH across the field's groups.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<GroupComparison>,
    /// Things a reader should know (incomplete runs, different item files, report items).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

impl RunComparison {
    /// The benchmark's name for headings.
    pub fn benchmark_name(&self) -> &str {
        self.benchmark.as_deref().unwrap_or("(benchmark not named)")
    }
}

/// The benchmark two runs share, or an error when they name different ones.
pub(crate) fn shared_benchmark(
    a: &ScoredRun,
    b: &ScoredRun,
) -> Result<Option<String>, CompareError> {
    match (&a.benchmark, &b.benchmark) {
        (Some(x), Some(y)) if x != y => Err(CompareError::DifferentBenchmarks {
            a: a.label.label.clone(),
            a_benchmark: x.clone(),
            b: b.label.label.clone(),
            b_benchmark: y.clone(),
        }),
        (x, y) => Ok(x.clone().or_else(|| y.clone())),
    }
}

/// Pairs two lists of records by id; cluster keys are dropped when `use_clusters` is false.
fn pair<'a>(
    a: &[&'a ScoredRecord],
    b: &[&'a ScoredRecord],
    settings: &CompareSettings,
) -> Result<PairedOutcomes, StatsError> {
    let record = |r: &&'a ScoredRecord| Record {
        id: r.id.as_str(),
        outcome: r.outcome(),
        cluster: if settings.use_clusters {
            r.cluster.as_deref()
        } else {
            None
        },
    };
    PairedOutcomes::join(a.iter().map(record), b.iter().map(record), settings.policy)
}

/// Compares run A with run B on the items both answered; `p_holm` and `p_bh` are filled in by
/// [`correct_family`] (alone, a comparison is a family of one).
pub fn compare_runs(
    a: &ScoredRun,
    b: &ScoredRun,
    settings: &CompareSettings,
) -> Result<RunComparison, CompareError> {
    let benchmark = shared_benchmark(a, b)?;
    let context = || {
        benchmark
            .clone()
            .unwrap_or_else(|| format!("{} vs {}", a.label.label, b.label.label))
    };
    let stats_error = |error| CompareError::Stats {
        benchmark: context(),
        error: Box::new(error),
    };
    let one_a = a.one_per_item(settings.draw)?;
    let one_b = b.one_per_item(settings.draw)?;
    let ids_b: HashSet<&str> = one_b.records.iter().map(|r| r.id.as_str()).collect();
    if !one_a.records.iter().any(|r| ids_b.contains(r.id.as_str())) {
        return Err(CompareError::NoCommonItems {
            a: a.label.label.clone(),
            b: b.label.label.clone(),
            a_items: one_a.records.len(),
            b_items: one_b.records.len(),
            a_example: one_a
                .records
                .first()
                .map_or_else(String::new, |r| r.id.clone()),
            b_example: one_b
                .records
                .first()
                .map_or_else(String::new, |r| r.id.clone()),
        });
    }
    let pairs = pair(&one_a.records, &one_b.records, settings).map_err(stats_error)?;
    let comparison = medeval_stats::compare(&pairs, &settings.options()).map_err(stats_error)?;
    let discordant = discordant_items(&pairs, &one_a.records, &one_b.records);

    let mut groups = Vec::new();
    for field in &settings.by {
        groups.extend(group_comparisons(
            field,
            &one_a.records,
            &one_b.records,
            settings,
        ));
    }

    let mut warnings = Vec::new();
    for (name, run) in [("A", a), ("B", b)] {
        let missing = run.missing_items();
        if missing > 0 {
            warnings.push(format!(
                "run {name} ({}) is incomplete: {missing} item(s) have no response yet and are not compared",
                run.label.label
            ));
        }
    }
    if let (Some(x), Some(y)) = (&a.items_sha256, &b.items_sha256) {
        if x != y {
            warnings.push(format!(
                "the runs used different item files (sha256 {} and {}); items are paired by id",
                short(x),
                short(y)
            ));
        }
    }
    let report_items = one_a.report_items.max(one_b.report_items);
    if report_items > 0 {
        warnings.push(format!(
            "{report_items} report item(s) are scored by text metrics, not right or wrong, and are not compared"
        ));
    }
    if !settings.use_clusters && a.records.iter().any(|r| r.cluster.is_some()) {
        warnings.push(
            "cluster keys were ignored on request: items are treated as independent".to_owned(),
        );
    }

    Ok(RunComparison {
        benchmark,
        run_a: a.label.clone(),
        run_b: b.label.clone(),
        comparison,
        p_bh: None,
        family_size: 1,
        discordant,
        groups,
        warnings,
    })
}

fn short(digest: &str) -> &str {
    digest.get(..12).unwrap_or(digest)
}

/// The discordant pairs with both runs' answers.
fn discordant_items(
    pairs: &PairedOutcomes,
    a: &[&ScoredRecord],
    b: &[&ScoredRecord],
) -> DiscordantItems {
    let by_id: HashMap<&str, &ScoredRecord> = b.iter().map(|r| (r.id.as_str(), *r)).collect();
    let item = |position: &usize| -> Option<DiscordantItem> {
        let record_a = a.get(*position)?;
        let record_b = by_id.get(record_a.id.as_str())?;
        Some(DiscordantItem {
            id: record_a.id.clone(),
            gold: record_a.gold.clone().or_else(|| record_b.gold.clone()),
            answer_a: record_a.scored.extracted.clone(),
            outcome_a: record_a.outcome(),
            answer_b: record_b.scored.extracted.clone(),
            outcome_b: record_b.outcome(),
        })
    };
    let cells = pairs.discordant();
    DiscordantItems {
        a_right_b_wrong: cells.a_right_b_wrong.iter().filter_map(item).collect(),
        a_wrong_b_right: cells.a_wrong_b_right.iter().filter_map(item).collect(),
    }
}

/// The comparison within each group of `field`. An item's group comes from run A's record (or
/// B's, for items only B has).
fn group_comparisons(
    field: &str,
    a: &[&ScoredRecord],
    b: &[&ScoredRecord],
    settings: &CompareSettings,
) -> Vec<GroupComparison> {
    let mut group_of: HashMap<&str, String> = HashMap::new();
    for record in a.iter().chain(b) {
        group_of.entry(record.id.as_str()).or_insert_with(|| {
            record
                .group_key(field)
                .unwrap_or_else(|| MISSING_GROUP.into())
        });
    }
    type Members<'r> = (Vec<&'r ScoredRecord>, Vec<&'r ScoredRecord>);
    let mut groups: BTreeMap<&str, Members<'_>> = BTreeMap::new();
    for record in a {
        groups
            .entry(group_of[record.id.as_str()].as_str())
            .or_default()
            .0
            .push(record);
    }
    for record in b {
        groups
            .entry(group_of[record.id.as_str()].as_str())
            .or_default()
            .1
            .push(record);
    }
    groups
        .into_iter()
        .map(|(group, (members_a, members_b))| {
            let result = pair(&members_a, &members_b, settings)
                .and_then(|pairs| medeval_stats::compare(&pairs, &settings.options()));
            let (comparison, error) = match result {
                Ok(comparison) => (Some(comparison), None),
                Err(error) => (None, Some(error.to_string())),
            };
            GroupComparison {
                field: field.to_owned(),
                group: group.to_owned(),
                comparison,
                p_bh: None,
                family_size: None,
                error,
            }
        })
        .collect()
}

/// Holm- and BH-adjusts `mcnemar_p` across `comparisons` (one family), and across the groups of
/// each breakdown field within each comparison (one family per field and comparison).
pub fn correct_family(comparisons: &mut [RunComparison]) -> Result<(), StatsError> {
    let raw: Vec<f64> = comparisons.iter().map(|c| c.comparison.mcnemar_p).collect();
    let (by_holm, by_bh) = (holm(&raw)?, benjamini_hochberg(&raw)?);
    let size = comparisons.len();
    for ((comparison, p_holm), p_bh) in comparisons.iter_mut().zip(by_holm).zip(by_bh) {
        comparison.comparison.p_holm = Some(p_holm);
        comparison.p_bh = Some(p_bh);
        comparison.family_size = size;
        correct_groups(&mut comparison.groups)?;
    }
    Ok(())
}

/// Holm and BH within each field's groups (those with statistics).
pub(crate) fn correct_groups(groups: &mut [GroupComparison]) -> Result<(), StatsError> {
    let fields: Vec<String> = {
        let mut seen = Vec::new();
        for group in groups.iter() {
            if !seen.contains(&group.field) {
                seen.push(group.field.clone());
            }
        }
        seen
    };
    for field in fields {
        let mut members: Vec<&mut GroupComparison> = groups
            .iter_mut()
            .filter(|g| g.field == field && g.comparison.is_some())
            .collect();
        let raw: Vec<f64> = members
            .iter()
            .filter_map(|g| g.comparison.as_ref().map(|c| c.mcnemar_p))
            .collect();
        let (by_holm, by_bh) = (holm(&raw)?, benjamini_hochberg(&raw)?);
        let size = members.len();
        for ((group, p_holm), p_bh) in members.iter_mut().zip(by_holm).zip(by_bh) {
            if let Some(comparison) = group.comparison.as_mut() {
                comparison.p_holm = Some(p_holm);
            }
            group.p_bh = Some(p_bh);
            group.family_size = Some(size);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use medeval_core::{AnswerType, Meta, Scored};

    use super::*;
    use crate::scored::RunSource;

    fn run(name: &str, outcomes: &[(&str, Outcome, Option<&str>)]) -> ScoredRun {
        ScoredRun::new(
            RunLabel {
                label: name.into(),
                source: RunSource::File {
                    path: format!("{name}.jsonl"),
                },
                model: None,
            },
            Some("bench".into()),
            outcomes
                .iter()
                .map(|&(id, outcome, group)| {
                    let mut meta = Meta::new();
                    if let Some(group) = group {
                        meta.insert("kind".into(), group.into());
                    }
                    ScoredRecord {
                        id: id.into(),
                        sample: 0,
                        scored: Scored::new(outcome, Some(format!("{name}-{id}")), "test"),
                        gold: Some("gold".into()),
                        answer_type: Some(AnswerType::Closed),
                        cluster: None,
                        meta,
                    }
                })
                .collect(),
        )
    }

    use Outcome::{Correct as C, Unparsed as U, Wrong as W};

    #[test]
    fn discordant_items_carry_both_answers_in_a_order() {
        let a = run(
            "a",
            &[
                ("1", C, None),
                ("2", W, None),
                ("3", C, None),
                ("4", C, None),
            ],
        );
        let b = run(
            "b",
            &[
                ("4", W, None),
                ("3", C, None),
                ("2", C, None),
                ("1", W, None),
            ],
        );
        let comparison =
            compare_runs(&a, &b, &CompareSettings::new(NonJudgementPolicy::Exclude)).unwrap();
        assert_eq!((comparison.comparison.b, comparison.comparison.c), (2, 1));
        let ids: Vec<&str> = comparison
            .discordant
            .a_right_b_wrong
            .iter()
            .map(|d| d.id.as_str())
            .collect();
        assert_eq!(ids, ["1", "4"]);
        let other = &comparison.discordant.a_wrong_b_right[0];
        assert_eq!(other.answer_a.as_deref(), Some("a-2"));
        assert_eq!(other.answer_b.as_deref(), Some("b-2"));
        assert_eq!(other.outcome_b, C);
    }

    #[test]
    fn disjoint_runs_and_different_benchmarks_are_clear_errors() {
        let a = run("a", &[("1", C, None), ("2", W, None)]);
        let b = run("b", &[("x", C, None), ("y", W, None)]);
        let settings = CompareSettings::new(NonJudgementPolicy::CountAsWrong);
        let err = compare_runs(&a, &b, &settings).unwrap_err();
        assert!(err.to_string().contains("no item id in common"), "{err}");
        let mut c = run("c", &[("1", C, None), ("2", W, None)]);
        c.benchmark = Some("other".into());
        let err = compare_runs(&a, &c, &settings).unwrap_err();
        assert!(matches!(err, CompareError::DifferentBenchmarks { .. }));
    }

    #[test]
    fn groups_form_their_own_family_and_small_groups_say_why() {
        let a = run(
            "a",
            &[
                ("1", C, Some("x")),
                ("2", C, Some("x")),
                ("3", W, Some("x")),
                ("4", U, Some("y")),
            ],
        );
        let b = run(
            "b",
            &[
                ("1", W, Some("x")),
                ("2", C, Some("x")),
                ("3", W, Some("x")),
                ("4", C, Some("y")),
            ],
        );
        let mut settings = CompareSettings::new(NonJudgementPolicy::CountAsWrong);
        settings.by = vec!["kind".into()];
        let mut comparisons = vec![compare_runs(&a, &b, &settings).unwrap()];
        correct_family(&mut comparisons).unwrap();
        let comparison = &comparisons[0];
        assert_eq!(
            comparison.comparison.p_holm,
            Some(comparison.comparison.mcnemar_p)
        );
        assert_eq!(comparison.family_size, 1);
        let x = &comparison.groups[0];
        assert_eq!(x.group, "x");
        assert_eq!(x.comparison.as_ref().unwrap().n_paired, 3);
        assert_eq!(x.family_size, Some(1));
        let y = &comparison.groups[1];
        assert!(y.comparison.is_none());
        assert!(y.error.as_deref().unwrap().contains("at least 2"), "{y:?}");
    }
}
