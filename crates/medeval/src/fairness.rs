//! Is a run equally good for every patient group? `medeval fairness`: per-group accuracy, the
//! gap and ratio between the best and worst group, a test of equal accuracy, and the worst group,
//! for each metadata field asked for, with Holm's correction across the fields.
//!
//! Group accuracies and their intervals are the ones `medeval show --by` prints (the same
//! summary, the same non-answer policy and interval method), so the two commands never disagree
//! about a group. Groups with fewer items than the minimum, and the `(missing)` group of items
//! without the field, are listed but not ranked: they enter neither the gap, the ratio, the worst
//! group nor the test.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use medeval_report::{
    Accuracy, Align, Format, MISSING_GROUP, SummaryOptions, Table, percent, percent_interval,
    policy_sentence, visible,
};
use medeval_stats::{
    AccuracyGap, Bootstrap, CiMethod, EqualityTest, EqualityTestMethod, GroupedOutcome,
    NonJudgementPolicy, Permutations, StatsError, accuracy_gap, holm, test_equal_accuracy,
};
use medeval_store::StoredRun;
use serde::Serialize;
use thiserror::Error;

use crate::summary::{scored_run, summarize_samples};

/// The default minimum number of items a group needs to be judged (ranked, compared, tested).
pub const DEFAULT_MIN_GROUP_N: u64 = 30;

/// What `medeval fairness` computes and how.
#[derive(Debug, Clone, PartialEq)]
pub struct FairnessOptions {
    /// The metadata fields to examine, in order (`answer_type` always works).
    pub by: Vec<String>,
    /// How non-answers enter accuracy.
    pub policy: NonJudgementPolicy,
    /// The interval method of the per-group accuracies (as `show --ci`).
    pub ci: CiMethod,
    /// The level of every interval.
    pub confidence: f64,
    /// Groups with fewer items than this are listed but not judged.
    pub min_group_n: u64,
    /// The bootstrap of the gap and ratio.
    pub bootstrap: Bootstrap,
    /// The permutation test's permutations, when it is used.
    pub permutations: Permutations,
}

/// Why a fairness report could not be made.
#[derive(Debug, Error)]
pub enum FairnessError {
    /// No `--by` field was given.
    #[error(
        "fairness needs at least one field to group items by: add --by FIELD (e.g. --by sex); the items of run {run} have: {available}"
    )]
    NoFields {
        /// The run.
        run: String,
        /// The fields its items have, comma-separated.
        available: String,
    },
    /// A field no item of the run has.
    #[error(
        "--by {field}: no item of run {run} has the field {field:?}; the items have: {available}"
    )]
    UnknownField {
        /// The field asked for.
        field: String,
        /// The run.
        run: String,
        /// The fields its items have, comma-separated.
        available: String,
    },
    /// A statistic refused its input (an invalid confidence level, zero replicates ...).
    #[error("fairness by {field}: {source}")]
    Statistic {
        /// The field being examined.
        field: String,
        /// What the statistic said.
        #[source]
        source: Box<StatsError>,
    },
}

/// A run's fairness report: the `medeval fairness --json` schema.
#[derive(Debug, Clone, Serialize)]
pub struct FairnessReport {
    /// Run id.
    pub run: String,
    /// Benchmark name.
    pub benchmark: String,
    /// Model name.
    pub model: String,
    /// Samples per item the run asks for.
    pub samples_per_item: u32,
    /// How non-answers entered every accuracy.
    pub policy: NonJudgementPolicy,
    /// The level of every interval.
    pub confidence: f64,
    /// Groups with fewer items than this are listed but not judged.
    pub min_group_n: u64,
    /// The bootstrap of the gaps and ratios.
    pub bootstrap: Bootstrap,
    /// The permutations of a permutation test (used only where `test.method` says so).
    pub permutations: Permutations,
    /// One entry per field, in the order asked for.
    pub fields: Vec<FieldFairness>,
}

/// How one group takes part in a field's comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupStanding {
    /// Large enough: in the gap, the ratio, the worst group and the test.
    Ranked,
    /// Fewer items than the minimum: listed, not judged.
    TooSmall,
    /// The items without the field (`(missing)`): listed, not judged.
    MissingField,
}

/// One group of a field: its accuracy as `show --by` gives it, its items and its standing.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupFairness {
    /// The field's value (`(missing)` for items without it).
    pub group: String,
    /// Items of the group with at least one sample counted in its accuracy.
    pub items: u64,
    /// Whether the group is judged.
    pub standing: GroupStanding,
    /// The group's accuracy, interval and outcome counts (as `show --by`).
    #[serde(flatten)]
    pub accuracy: Accuracy,
}

/// A group named with its accuracy.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NamedAccuracy {
    /// The group.
    pub group: String,
    /// Its accuracy.
    pub accuracy: f64,
}

/// The groups left out of a field's comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct LeftOut {
    /// Groups with fewer items than the minimum.
    pub too_small: usize,
    /// Items in those groups.
    pub too_small_items: u64,
    /// Items without the field (the `(missing)` group).
    pub missing_field_items: u64,
}

/// The fairness of a run across the groups of one field.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldFairness {
    /// The field.
    pub field: String,
    /// Every group, in the order of their values (as `show --by`).
    pub groups: Vec<GroupFairness>,
    /// Groups judged (ranked).
    pub ranked_groups: usize,
    /// What was left out of the comparison.
    pub left_out: LeftOut,
    /// The judged group with the lowest accuracy (the first by name on ties).
    pub worst_group: Option<NamedAccuracy>,
    /// The judged group with the highest accuracy.
    pub best_group: Option<NamedAccuracy>,
    /// Best minus worst accuracy among the judged groups.
    pub gap: Option<f64>,
    /// Its percentile bootstrap interval.
    pub gap_ci: Option<[f64; 2]>,
    /// Worst over best accuracy; `null` when the best is 0.
    pub ratio: Option<f64>,
    /// Its percentile bootstrap interval.
    pub ratio_ci: Option<[f64; 2]>,
    /// Bootstrap replicates that left a judged group without a sample (left out of the
    /// intervals).
    #[serde(skip_serializing_if = "is_zero")]
    pub replicates_without_a_group: u32,
    /// The test of equal accuracy across the judged groups.
    pub test: Option<EqualityTest>,
    /// The test's p-value after Holm's correction across the fields tested.
    pub p_holm: Option<f64>,
    /// Why there is no gap or test, in words (fewer than two groups large enough).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_compared: Option<String>,
}

fn is_zero(value: &u32) -> bool {
    *value == 0
}

/// The fairness report of `run` under `options`.
pub fn fairness(
    run: &StoredRun,
    options: &FairnessOptions,
) -> Result<FairnessReport, FairnessError> {
    check_fields(run, &options.by)?;
    let summary_options = SummaryOptions {
        policy: options.policy,
        ci: options.ci,
        confidence: options.confidence,
        by: options.by.clone(),
        ..SummaryOptions::default()
    };
    let (summary, _) = summarize_samples(run, &summary_options);
    let scored = scored_run(run);
    let mut fields = Vec::new();
    for field in &summary.by {
        let accuracies = summary.groups.get(field).cloned().unwrap_or_default();
        let items = item_outcomes(&scored, field, options.policy);
        fields.push(field_fairness(field, accuracies, &items, options)?);
    }
    apply_holm_across_fields(&mut fields);
    let manifest = &run.manifest;
    Ok(FairnessReport {
        run: run.id.clone(),
        benchmark: manifest.items.benchmark.clone(),
        model: manifest.model.name.clone(),
        samples_per_item: scored.draws_per_item,
        policy: options.policy,
        confidence: options.confidence,
        min_group_n: options.min_group_n,
        bootstrap: options.bootstrap,
        permutations: options.permutations,
        fields,
    })
}

/// Refuses an empty field list and fields no item has, naming the fields the items do have.
fn check_fields(run: &StoredRun, by: &[String]) -> Result<(), FairnessError> {
    let known: BTreeSet<&str> = run
        .items
        .iter()
        .flat_map(|item| item.meta.keys().map(String::as_str))
        .chain(std::iter::once("answer_type"))
        .collect();
    let available = || known.iter().copied().collect::<Vec<_>>().join(", ");
    if by.is_empty() {
        return Err(FairnessError::NoFields {
            run: run.id.clone(),
            available: available(),
        });
    }
    match by.iter().find(|field| !known.contains(field.as_str())) {
        Some(field) => Err(FairnessError::UnknownField {
            field: field.clone(),
            run: run.id.clone(),
            available: available(),
        }),
        None => Ok(()),
    }
}

/// One item's group and its counted samples.
struct ItemOutcome {
    group: String,
    correct: u32,
    trials: u32,
}

/// Every judged item of `run` with its group under `field` and its samples counted by `policy`
/// (report items, which are not judged, are left out, as in every accuracy).
fn item_outcomes(
    run: &medeval_report::ScoredRun,
    field: &str,
    policy: NonJudgementPolicy,
) -> Vec<ItemOutcome> {
    let mut position: HashMap<&str, usize> = HashMap::new();
    let mut items: Vec<ItemOutcome> = Vec::new();
    for record in run.records.iter().filter(|r| r.is_judged_item()) {
        let index = *position.entry(record.id.as_str()).or_insert_with(|| {
            items.push(ItemOutcome {
                group: record
                    .group_key(field)
                    .unwrap_or_else(|| MISSING_GROUP.to_owned()),
                correct: 0,
                trials: 0,
            });
            items.len() - 1
        });
        if let Some(correct) = policy.judge(record.outcome()) {
            items[index].trials += 1;
            items[index].correct += u32::from(correct);
        }
    }
    items
}

/// The comparison of one field's groups.
fn field_fairness(
    field: &str,
    accuracies: BTreeMap<String, Accuracy>,
    items: &[ItemOutcome],
    options: &FairnessOptions,
) -> Result<FieldFairness, FairnessError> {
    let mut items_per_group: HashMap<&str, u64> = HashMap::new();
    for item in items.iter().filter(|item| item.trials > 0) {
        *items_per_group.entry(item.group.as_str()).or_default() += 1;
    }
    let groups: Vec<GroupFairness> = accuracies
        .into_iter()
        .map(|(group, accuracy)| {
            let count = items_per_group.get(group.as_str()).copied().unwrap_or(0);
            let standing = if group == MISSING_GROUP {
                GroupStanding::MissingField
            } else if count < options.min_group_n.max(1) {
                GroupStanding::TooSmall
            } else {
                GroupStanding::Ranked
            };
            GroupFairness {
                group,
                items: count,
                standing,
                accuracy,
            }
        })
        .collect();
    let left_out = LeftOut {
        too_small: groups
            .iter()
            .filter(|g| g.standing == GroupStanding::TooSmall)
            .count(),
        too_small_items: groups
            .iter()
            .filter(|g| g.standing == GroupStanding::TooSmall)
            .map(|g| g.items)
            .sum(),
        missing_field_items: groups
            .iter()
            .filter(|g| g.standing == GroupStanding::MissingField)
            .map(|g| g.items)
            .sum(),
    };
    let index: HashMap<&str, usize> = groups
        .iter()
        .enumerate()
        .map(|(i, g)| (g.group.as_str(), i))
        .collect();
    let ranked: Vec<usize> = (0..groups.len())
        .filter(|&i| groups[i].standing == GroupStanding::Ranked)
        .collect();
    let outcomes: Vec<GroupedOutcome> = items
        .iter()
        .filter(|item| item.trials > 0)
        .filter_map(|item| {
            Some(GroupedOutcome {
                group: *index.get(item.group.as_str())?,
                correct: item.correct,
                trials: item.trials,
            })
        })
        .collect();
    let mut fairness = FieldFairness {
        field: field.to_owned(),
        ranked_groups: ranked.len(),
        left_out,
        worst_group: None,
        best_group: None,
        gap: None,
        gap_ci: None,
        ratio: None,
        ratio_ci: None,
        replicates_without_a_group: 0,
        test: None,
        p_holm: None,
        not_compared: None,
        groups,
    };
    if ranked.len() < 2 {
        fairness.not_compared = Some(not_compared_reason(ranked.len(), options.min_group_n));
        if let [only] = ranked[..] {
            let group = &fairness.groups[only];
            let named = group.accuracy.accuracy.map(|accuracy| NamedAccuracy {
                group: group.group.clone(),
                accuracy,
            });
            fairness.worst_group = named.clone();
            fairness.best_group = named;
        }
        return Ok(fairness);
    }
    let statistic = |source| FairnessError::Statistic {
        field: field.to_owned(),
        source: Box::new(source),
    };
    let gap = accuracy_gap(&outcomes, &ranked, options.bootstrap, options.confidence)
        .map_err(statistic)?;
    // The test sees only the judged groups, numbered 0..k.
    let judged: Vec<GroupedOutcome> = outcomes
        .iter()
        .filter_map(|o| {
            let group = ranked.iter().position(|&r| r == o.group)?;
            Some(GroupedOutcome { group, ..*o })
        })
        .collect();
    let test = test_equal_accuracy(&judged, options.permutations).map_err(statistic)?;
    set_gap(&mut fairness, &gap);
    fairness.test = Some(test);
    Ok(fairness)
}

fn set_gap(fairness: &mut FieldFairness, gap: &AccuracyGap) {
    let name = |index: usize| fairness.groups[index].group.clone();
    fairness.best_group = Some(NamedAccuracy {
        group: name(gap.best),
        accuracy: gap.best_accuracy,
    });
    fairness.worst_group = Some(NamedAccuracy {
        group: name(gap.worst),
        accuracy: gap.worst_accuracy,
    });
    fairness.gap = Some(gap.gap);
    fairness.gap_ci = gap.gap_ci;
    fairness.ratio = gap.ratio;
    fairness.ratio_ci = gap.ratio_ci;
    fairness.replicates_without_a_group = gap.replicates_without_a_group;
}

fn not_compared_reason(ranked: usize, min_group_n: u64) -> String {
    let large_enough = if ranked == 0 {
        "no group has".to_owned()
    } else {
        "only one group has".to_owned()
    };
    format!(
        "{large_enough} {min_group_n} or more items, so there is nothing to compare: no gap, ratio or test (lower --min-group-n to compare smaller groups, knowing their accuracies are uncertain)"
    )
}

/// Sets every tested field's `p_holm`: Holm's correction over the fields that have a test.
fn apply_holm_across_fields(fields: &mut [FieldFairness]) {
    let tested: Vec<usize> = (0..fields.len())
        .filter(|&i| fields[i].test.is_some())
        .collect();
    let p_values: Vec<f64> = tested
        .iter()
        .filter_map(|&i| fields[i].test.map(|t| t.p_value))
        .collect();
    // p-values come from the tests above, always in [0, 1]; an error cannot happen.
    if let Ok(adjusted) = holm(&p_values) {
        for (&i, p) in tested.iter().zip(adjusted) {
            fields[i].p_holm = Some(p);
        }
    }
}

/// The report worded for a terminal (or Markdown): per field, the groups' table and the
/// comparison in a few lines.
pub fn fairness_text(report: &FairnessReport, format: Format) -> String {
    let mut text = format!(
        "run {} · {} · {}\n{}; {:.0}% intervals; groups under {} items and {MISSING_GROUP} are listed, not judged\n\n",
        visible(&report.run),
        visible(&report.benchmark),
        visible(&report.model),
        policy_sentence(report.policy),
        report.confidence * 100.0,
        report.min_group_n,
    );
    for field in &report.fields {
        text.push_str(&group_table(field).render(format));
        text.push_str(&comparison_lines(field));
        text.push('\n');
    }
    text
}

fn group_table(field: &FieldFairness) -> Table {
    let ci_header = field.groups.first().map_or("CI".to_owned(), |g| {
        format!("CI ({})", g.accuracy.ci_method.label())
    });
    let mut table = Table::new(&[
        ("group", Align::Left),
        ("items", Align::Right),
        ("n", Align::Right),
        ("accuracy", Align::Right),
        (&ci_header, Align::Left),
        ("judged", Align::Left),
    ])
    .titled(format!("by {}", field.field));
    for group in &field.groups {
        table.push(vec![
            group.group.clone(),
            group.items.to_string(),
            group.accuracy.n.to_string(),
            percent(group.accuracy.accuracy),
            percent_interval(group.accuracy.accuracy_ci),
            match group.standing {
                GroupStanding::Ranked => "yes",
                GroupStanding::TooSmall => "too small to judge",
                GroupStanding::MissingField => "field missing, not judged",
            }
            .to_owned(),
        ]);
    }
    table
}

fn comparison_lines(field: &FieldFairness) -> String {
    let mut lines = String::new();
    let left_out = field.left_out;
    if left_out.too_small > 0 || left_out.missing_field_items > 0 {
        lines.push_str(&format!(
            "left out: {} group(s) too small to judge ({} items), {} item(s) without {}\n",
            left_out.too_small,
            left_out.too_small_items,
            left_out.missing_field_items,
            visible(&field.field)
        ));
    }
    if let Some(reason) = &field.not_compared {
        lines.push_str(&format!("not compared: {reason}\n"));
        return lines;
    }
    if let (Some(worst), Some(best)) = (&field.worst_group, &field.best_group) {
        lines.push_str(&format!(
            "worst group: {} ({}); best: {} ({})\n",
            visible(&worst.group),
            percent(Some(worst.accuracy)),
            visible(&best.group),
            percent(Some(best.accuracy))
        ));
    }
    lines.push_str(&format!(
        "gap (best - worst): {} points {}; ratio (worst / best): {} {}\n",
        field
            .gap
            .map_or("–".to_owned(), |g| format!("{:.1}", g * 100.0)),
        percent_interval(field.gap_ci),
        field.ratio.map_or("–".to_owned(), |r| format!("{r:.3}")),
        field
            .ratio_ci
            .map_or("–".to_owned(), |[lo, hi]| format!("[{lo:.3}, {hi:.3}]")),
    ));
    if let Some(test) = &field.test {
        let name = match test.method {
            EqualityTestMethod::PearsonChiSquare => "Pearson chi-square".to_owned(),
            EqualityTestMethod::PermutationSmallExpected => format!(
                "permutation test (an expected count is {:.2}, below 5)",
                test.min_expected
            ),
            EqualityTestMethod::PermutationSeveralSamples => {
                "permutation test of items (several samples per item)".to_owned()
            }
        };
        lines.push_str(&format!(
            "equal accuracy: {name}: chi-square {:.3}, df {}, p {}{}\n",
            test.statistic,
            test.df,
            p_text(test.p_value),
            field
                .p_holm
                .map_or(String::new(), |p| format!(", Holm p {}", p_text(p)))
        ));
    }
    lines
}

fn p_text(p: f64) -> String {
    if p < 1e-4 {
        format!("{p:.1e}")
    } else {
        format!("{p:.4}")
    }
}
