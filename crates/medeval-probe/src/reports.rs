//! Probe reports: what a variant run says about a model, computed from stored runs.

use std::collections::{BTreeMap, HashMap};

use medeval_core::{Letter, Outcome, Scored};
use medeval_report::{Align, Table, percent, percent_interval};
use medeval_stats::{
    CompareOptions, NonJudgementPolicy, PairedComparison, PairedOutcomes, Record, clopper_pearson,
    compare, wilson,
};
use medeval_store::{ItemRecord, StoredRun};
use serde::Serialize;

use crate::variant::{SOURCE_ID, VARIANT_PARAM};

/// Why a report cannot be made.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    /// The runs do not fit the report.
    #[error("{0}")]
    Mismatch(String),
    /// A statistic could not be computed.
    #[error(transparent)]
    Stats(#[from] medeval_stats::StatsError),
}

/// One answered item of a run: its record and the first sample's verdict.
#[derive(Debug, Clone, Copy)]
struct Answer<'a> {
    item: &'a ItemRecord,
    scored: &'a Scored,
}

fn answers(run: &StoredRun) -> Vec<Answer<'_>> {
    let items: HashMap<&str, &ItemRecord> = run
        .items
        .iter()
        .map(|item| (item.id.as_str(), item))
        .collect();
    run.samples
        .iter()
        .filter(|sample| sample.sample == 0)
        .filter_map(|sample| {
            items.get(sample.item_id.as_str()).map(|item| Answer {
                item,
                scored: &sample.scored,
            })
        })
        .collect()
}

fn source_id(item: &ItemRecord) -> &str {
    item.meta
        .get(SOURCE_ID)
        .and_then(|v| v.as_str())
        .unwrap_or(&item.id)
}

fn wilson_or_none(successes: u64, n: u64) -> Option<[f64; 2]> {
    wilson(successes, n, 0.95).ok()
}

fn ratio(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

// ----------------------------------------------------------------------------------------------
// Option permutation

/// How often one letter was chosen, against how often it was the gold answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PositionBias {
    /// The option letter.
    pub letter: String,
    /// Answers that chose it.
    pub chosen: u64,
    /// Share of all letter answers.
    pub chosen_share: f64,
    /// Items whose gold answer it was.
    pub gold: u64,
    /// Share of all items.
    pub gold_share: f64,
}

/// The report of a `circular` or `permute:K` run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PermutationReport {
    /// Source items with an answer under every order.
    pub items: u64,
    /// Source items missing an answer under some order (left out).
    pub incomplete_items: u64,
    /// Accuracy in the original option order.
    pub original_order_accuracy: Option<f64>,
    /// Its Wilson 95% interval.
    pub original_order_ci: Option<[f64; 2]>,
    /// Accuracy over all orders (every answer counted).
    pub mean_accuracy: Option<f64>,
    /// Share of items answered correctly under every order (CircularEval).
    pub circular_accuracy: Option<f64>,
    /// Its Wilson 95% interval.
    pub circular_ci: Option<[f64; 2]>,
    /// Share of items where the same option *text* was chosen under every order.
    pub consistency_rate: Option<f64>,
    /// Answers that were `unparsed`, `refused` or `error` (they count as wrong and inconsistent).
    pub non_answers: u64,
    /// Letters chosen against letters that were gold.
    pub position_bias: Vec<PositionBias>,
}

/// Builds the permutation report from a variant run.
pub fn permutation_report(run: &StoredRun) -> Result<PermutationReport, ProbeError> {
    let answers = answers(run);
    let orders_per_source: HashMap<&str, usize> =
        run.items.iter().fold(HashMap::new(), |mut counts, item| {
            *counts.entry(source_id(item)).or_default() += 1;
            counts
        });
    let mut by_source: BTreeMap<&str, Vec<Answer<'_>>> = BTreeMap::new();
    for answer in &answers {
        by_source
            .entry(source_id(answer.item))
            .or_default()
            .push(*answer);
    }
    let (mut items, mut incomplete, mut all_right, mut consistent, mut original_right) =
        (0u64, 0u64, 0u64, 0u64, 0u64);
    let (mut answered, mut right, mut non_answers) = (0u64, 0u64, 0u64);
    let mut chosen: BTreeMap<Letter, u64> = BTreeMap::new();
    let mut gold: BTreeMap<Letter, u64> = BTreeMap::new();
    for (source, group) in &by_source {
        if group.len() < orders_per_source.get(source).copied().unwrap_or(0) {
            incomplete += 1;
            continue;
        }
        items += 1;
        let mut texts = Vec::new();
        for answer in group {
            answered += 1;
            let correct = answer.scored.outcome == Outcome::Correct;
            right += u64::from(correct);
            if !matches!(answer.scored.outcome, Outcome::Correct | Outcome::Wrong) {
                non_answers += 1;
            }
            if let Some(letter) = answer.item.gold.letter() {
                *gold.entry(letter).or_default() += 1;
            }
            let letter = answer
                .scored
                .extracted
                .clone()
                .and_then(|e| Letter::try_from(e).ok());
            if let Some(letter) = letter {
                *chosen.entry(letter).or_default() += 1;
            }
            texts.push(letter.and_then(|l| answer.item.options.get(&l)).cloned());
            let is_original =
                answer.item.meta.get(VARIANT_PARAM).and_then(|v| v.as_u64()) == Some(0);
            if is_original && correct {
                original_right += 1;
            }
        }
        if group.iter().all(|a| a.scored.outcome == Outcome::Correct) {
            all_right += 1;
        }
        if texts.iter().all(Option::is_some) && texts.windows(2).all(|w| w[0] == w[1]) {
            consistent += 1;
        }
    }
    if by_source.is_empty() {
        return Err(ProbeError::Mismatch(
            "the run has no answered items to report on".into(),
        ));
    }
    let letters_chosen: u64 = chosen.values().sum();
    let letters_gold: u64 = gold.values().sum();
    let position_bias = gold
        .keys()
        .chain(chosen.keys())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .map(|letter| {
            let (c, g) = (
                chosen.get(letter).copied().unwrap_or(0),
                gold.get(letter).copied().unwrap_or(0),
            );
            PositionBias {
                letter: letter.to_string(),
                chosen: c,
                chosen_share: ratio(c, letters_chosen).unwrap_or(0.0),
                gold: g,
                gold_share: ratio(g, letters_gold).unwrap_or(0.0),
            }
        })
        .collect();
    Ok(PermutationReport {
        items,
        incomplete_items: incomplete,
        original_order_accuracy: ratio(original_right, items),
        original_order_ci: wilson_or_none(original_right, items),
        mean_accuracy: ratio(right, answered),
        circular_accuracy: ratio(all_right, items),
        circular_ci: wilson_or_none(all_right, items),
        consistency_rate: ratio(consistent, items),
        non_answers,
        position_bias,
    })
}

impl PermutationReport {
    /// The report as tables.
    pub fn tables(&self) -> Vec<Table> {
        let mut summary = Table::new(&[
            ("measure", Align::Left),
            ("value", Align::Right),
            ("95% CI (Wilson)", Align::Right),
        ])
        .titled(format!(
            "option permutation: {} items ({} left out as incomplete), {} non-answers",
            self.items, self.incomplete_items, self.non_answers
        ));
        summary.push(vec![
            "accuracy, original order".into(),
            percent(self.original_order_accuracy),
            percent_interval(self.original_order_ci),
        ]);
        summary.push(vec![
            "accuracy, all orders".into(),
            percent(self.mean_accuracy),
            String::new(),
        ]);
        summary.push(vec![
            "circular accuracy (right under every order)".into(),
            percent(self.circular_accuracy),
            percent_interval(self.circular_ci),
        ]);
        summary.push(vec![
            "consistency (same option under every order)".into(),
            percent(self.consistency_rate),
            String::new(),
        ]);
        let mut bias = Table::new(&[
            ("letter", Align::Left),
            ("chosen", Align::Right),
            ("chosen share", Align::Right),
            ("gold", Align::Right),
            ("gold share", Align::Right),
        ])
        .titled("position bias: letters chosen against letters that were right");
        for row in &self.position_bias {
            bias.push(vec![
                row.letter.clone(),
                row.chosen.to_string(),
                percent(Some(row.chosen_share)),
                row.gold.to_string(),
                percent(Some(row.gold_share)),
            ]);
        }
        vec![summary, bias]
    }
}

// ----------------------------------------------------------------------------------------------
// Image ablation

/// The report of a `no-image`, `blank-image` or `mismatched-image` run against the clean run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AblationReport {
    /// The variant.
    pub variant: String,
    /// Clean (A) against the variant (B), paired by source item; `diff` is the accuracy the
    /// images bring (the multimodal gain, for `no-image`).
    pub comparison: PairedComparison,
    /// Share of items answered correctly without the (right) image.
    pub correct_without_image: f64,
    /// Of the items right with the image, the share still right without it.
    pub still_correct: Option<f64>,
}

/// Builds the ablation report: `clean` and `variant` are paired by source item id.
pub fn ablation_report(
    clean: &StoredRun,
    variant: &StoredRun,
    policy: NonJudgementPolicy,
) -> Result<AblationReport, ProbeError> {
    let clean_answers = answers(clean);
    let variant_answers = answers(variant);
    let comparison = paired(&clean_answers, &variant_answers, policy)?;
    let variant_correct: HashMap<&str, bool> = variant_answers
        .iter()
        .map(|a| (source_id(a.item), a.scored.outcome == Outcome::Correct))
        .collect();
    let (mut right_with, mut right_both) = (0u64, 0u64);
    for answer in &clean_answers {
        if answer.scored.outcome == Outcome::Correct {
            if let Some(&still) = variant_correct.get(answer.item.id.as_str()) {
                right_with += 1;
                right_both += u64::from(still);
            }
        }
    }
    Ok(AblationReport {
        variant: variant.manifest.variant.clone().unwrap_or_default(),
        correct_without_image: comparison.acc_b,
        still_correct: ratio(right_both, right_with),
        comparison,
    })
}

fn paired(
    clean: &[Answer<'_>],
    variant: &[Answer<'_>],
    policy: NonJudgementPolicy,
) -> Result<PairedComparison, ProbeError> {
    let a = clean.iter().map(|answer| Record {
        id: answer.item.id.as_str(),
        outcome: answer.scored.outcome,
        cluster: answer.item.cluster.as_deref(),
    });
    let b = variant.iter().map(|answer| Record {
        id: source_id(answer.item),
        outcome: answer.scored.outcome,
        cluster: answer.item.cluster.as_deref(),
    });
    let pairs = PairedOutcomes::join(a, b, policy)?;
    Ok(compare(&pairs, &CompareOptions::default())?)
}

impl AblationReport {
    /// The report as tables.
    pub fn tables(&self) -> Vec<Table> {
        let c = &self.comparison;
        let mut table =
            Table::new(&[("measure", Align::Left), ("value", Align::Right)]).titled(format!(
                "image ablation: clean vs {}, {} paired items",
                self.variant, c.n_paired
            ));
        let pct = |v: f64| percent(Some(v));
        table.push(vec!["accuracy with the image".into(), pct(c.acc_a)]);
        table.push(vec![format!("accuracy, {}", self.variant), pct(c.acc_b)]);
        table.push(vec![
            "gain from the image (clean - variant)".into(),
            format!("{:+.1} pts", c.diff * 100.0),
        ]);
        table.push(vec![
            "95% CI of the gain (paired)".into(),
            format!(
                "[{:+.1}, {:+.1}] pts",
                c.diff_ci[0] * 100.0,
                c.diff_ci[1] * 100.0
            ),
        ]);
        table.push(vec![
            "McNemar p".into(),
            medeval_report::format_p(c.mcnemar_p),
        ]);
        table.push(vec![
            "right only with the image / only without".into(),
            format!("{} / {}", c.b, c.c),
        ]);
        table.push(vec![
            "items right without the image".into(),
            pct(self.correct_without_image),
        ]);
        table.push(vec![
            "of those right with it, still right without".into(),
            percent(self.still_correct),
        ]);
        vec![table]
    }
}

// ----------------------------------------------------------------------------------------------
// Corruptions

/// Accuracy at one severity.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SeverityLevel {
    /// Severity, 0 for the clean run.
    pub severity: u8,
    /// Items at this severity.
    pub n: u64,
    /// Accuracy (non-answers count as wrong).
    pub accuracy: Option<f64>,
    /// Wilson 95% interval.
    pub accuracy_ci: Option<[f64; 2]>,
    /// Accuracy relative to clean (accuracy / clean accuracy), when the clean run is given.
    pub relative: Option<f64>,
    /// Clean minus this severity, paired by item, with its 95% interval and McNemar p.
    pub drop: Option<f64>,
    /// 95% interval of the drop.
    pub drop_ci: Option<[f64; 2]>,
}

/// The report of a `corrupt:NAME@...` run, optionally against the clean run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CorruptionReport {
    /// The variant.
    pub variant: String,
    /// The clean run's accuracy on the same items (severity 0), when given.
    pub clean: Option<SeverityLevel>,
    /// One entry per severity, ascending.
    pub levels: Vec<SeverityLevel>,
}

/// Builds the corruption report.
pub fn corruption_report(
    clean: Option<&StoredRun>,
    variant: &StoredRun,
    policy: NonJudgementPolicy,
) -> Result<CorruptionReport, ProbeError> {
    let variant_answers = answers(variant);
    let mut by_severity: BTreeMap<u8, Vec<Answer<'_>>> = BTreeMap::new();
    for answer in &variant_answers {
        let severity = answer
            .item
            .meta
            .get(VARIANT_PARAM)
            .and_then(|v| v.as_u64())
            .and_then(|s| u8::try_from(s).ok())
            .ok_or_else(|| {
                ProbeError::Mismatch(format!(
                    "item {} of run {} has no severity; is it a corruption run?",
                    answer.item.id, variant.id
                ))
            })?;
        by_severity.entry(severity).or_default().push(*answer);
    }
    let clean_answers = clean.map(answers);
    let level = |severity: u8, answers: &[Answer<'_>]| {
        let n = answers.len() as u64;
        let right = answers
            .iter()
            .filter(|a| a.scored.outcome == Outcome::Correct)
            .count() as u64;
        SeverityLevel {
            severity,
            n,
            accuracy: ratio(right, n),
            accuracy_ci: wilson_or_none(right, n),
            relative: None,
            drop: None,
            drop_ci: None,
        }
    };
    let clean_level = clean_answers.as_deref().map(|answers| level(0, answers));
    let mut levels = Vec::new();
    for (severity, answers) in &by_severity {
        let mut entry = level(*severity, answers);
        if let (Some(clean_answers), Some(clean_level)) = (&clean_answers, &clean_level) {
            let comparison = paired(clean_answers, answers, policy)?;
            entry.relative = match (entry.accuracy, clean_level.accuracy) {
                (Some(a), Some(c)) if c > 0.0 => Some(a / c),
                _ => None,
            };
            entry.drop = Some(comparison.diff);
            entry.drop_ci = Some(comparison.diff_ci);
        }
        levels.push(entry);
    }
    Ok(CorruptionReport {
        variant: variant.manifest.variant.clone().unwrap_or_default(),
        clean: clean_level,
        levels,
    })
}

impl CorruptionReport {
    /// The report as tables: one row per severity, with a bar for the curve.
    pub fn tables(&self) -> Vec<Table> {
        let mut table = Table::new(&[
            ("severity", Align::Right),
            ("n", Align::Right),
            ("accuracy", Align::Right),
            ("95% CI", Align::Right),
            ("relative", Align::Right),
            ("drop (paired)", Align::Right),
            ("curve", Align::Left),
        ])
        .titled(format!("corruption: {}", self.variant));
        for level in self.clean.iter().chain(&self.levels) {
            let bar = level
                .accuracy
                .map(|a| "█".repeat((a * 40.0).round() as usize))
                .unwrap_or_default();
            table.push(vec![
                if level.severity == 0 {
                    "clean".into()
                } else {
                    level.severity.to_string()
                },
                level.n.to_string(),
                percent(level.accuracy),
                percent_interval(level.accuracy_ci),
                level
                    .relative
                    .map(|r| format!("{:.2}", r))
                    .unwrap_or_else(|| "–".into()),
                match (level.drop, level.drop_ci) {
                    (Some(d), Some([lo, hi])) => {
                        format!("{:+.1} [{:+.1}, {:+.1}]", d * 100.0, lo * 100.0, hi * 100.0)
                    }
                    _ => "–".into(),
                },
                bar,
            ]);
        }
        vec![table]
    }
}

// ----------------------------------------------------------------------------------------------
// Sanity benchmarks

/// Metadata key marking a negative control (an unaltered input asked about an alteration).
pub const CONTROL: &str = "control";
/// Metadata key naming a sanity task.
pub const TASK: &str = "task";

/// One sanity task's results.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SanityTask {
    /// The task (`modality`, `flip`, `rotation`, `odd-panel` ...).
    pub task: String,
    /// Items that are not controls.
    pub n: u64,
    /// Their accuracy (non-answers count as wrong).
    pub accuracy: Option<f64>,
    /// Wilson 95% interval.
    pub accuracy_ci: Option<[f64; 2]>,
    /// Negative controls.
    pub controls: u64,
    /// Controls answered wrongly: an alteration reported where there is none.
    pub false_alarms: u64,
    /// Controls left unanswered (`unparsed`, `refused`, `error`), counted separately.
    pub unanswered_controls: u64,
    /// false_alarms / controls.
    pub false_alarm_rate: Option<f64>,
    /// 95% upper bound of the false-alarm rate: 3/n (the rule of three) when there are none,
    /// else the Clopper-Pearson upper limit.
    pub false_alarm_upper: Option<f64>,
}

/// The report of a run on a sanity benchmark (`medeval sanity build`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SanityReport {
    /// One entry per task.
    pub tasks: Vec<SanityTask>,
}

/// Builds the sanity report from a run whose items carry `task` (and `control`) metadata.
pub fn sanity_report(run: &StoredRun) -> Result<SanityReport, ProbeError> {
    let mut by_task: BTreeMap<String, Vec<Answer<'_>>> = BTreeMap::new();
    for answer in answers(run) {
        let task = answer
            .item
            .meta
            .get(TASK)
            .and_then(|v| v.as_str())
            .ok_or_else(|| {
                ProbeError::Mismatch(format!(
                    "item {} has no `task` field; is run {} a sanity benchmark?",
                    answer.item.id, run.id
                ))
            })?;
        by_task.entry(task.to_owned()).or_default().push(answer);
    }
    let tasks = by_task
        .into_iter()
        .map(|(task, answers)| {
            let is_control =
                |a: &Answer<'_>| a.item.meta.get(CONTROL).and_then(|v| v.as_bool()) == Some(true);
            let altered: Vec<_> = answers.iter().filter(|a| !is_control(a)).collect();
            let controls: Vec<_> = answers.iter().filter(|a| is_control(a)).collect();
            let right = altered
                .iter()
                .filter(|a| a.scored.outcome == Outcome::Correct)
                .count() as u64;
            let false_alarms = controls
                .iter()
                .filter(|a| a.scored.outcome == Outcome::Wrong)
                .count() as u64;
            let unanswered = controls
                .iter()
                .filter(|a| !matches!(a.scored.outcome, Outcome::Correct | Outcome::Wrong))
                .count() as u64;
            let n_controls = controls.len() as u64;
            let upper = match (n_controls, false_alarms) {
                (0, _) => None,
                (n, 0) => Some((3.0 / n as f64).min(1.0)),
                (n, k) => clopper_pearson(k, n, 0.90).ok().map(|[_, hi]| hi),
            };
            SanityTask {
                task,
                n: altered.len() as u64,
                accuracy: ratio(right, altered.len() as u64),
                accuracy_ci: wilson_or_none(right, altered.len() as u64),
                controls: n_controls,
                false_alarms,
                unanswered_controls: unanswered,
                false_alarm_rate: ratio(false_alarms, n_controls),
                false_alarm_upper: upper,
            }
        })
        .collect();
    Ok(SanityReport { tasks })
}

impl SanityReport {
    /// The report as a table.
    pub fn tables(&self) -> Vec<Table> {
        let mut table = Table::new(&[
            ("task", Align::Left),
            ("n", Align::Right),
            ("accuracy", Align::Right),
            ("95% CI", Align::Right),
            ("controls", Align::Right),
            ("false alarms", Align::Right),
            ("rate", Align::Right),
            ("95% upper bound", Align::Right),
        ])
        .titled("sanity checks (controls are unaltered inputs; a false alarm reports an alteration that is not there)");
        for task in &self.tasks {
            table.push(vec![
                task.task.clone(),
                task.n.to_string(),
                percent(task.accuracy),
                percent_interval(task.accuracy_ci),
                task.controls.to_string(),
                format!(
                    "{}{}",
                    task.false_alarms,
                    if task.unanswered_controls > 0 {
                        format!(" (+{} unanswered)", task.unanswered_controls)
                    } else {
                        String::new()
                    }
                ),
                percent(task.false_alarm_rate),
                percent(task.false_alarm_upper),
            ]);
        }
        vec![table]
    }
}
