//! Power plans: before a comparison is run, how many items it needs to show a given improvement,
//! and what the smallest improvement is that the items at hand can show.
//!
//! The formulas live in `medeval-stats` ([`items_needed`], [`minimum_detectable_effect`],
//! [`power_at`]); this module decides what goes into them and records where each number came
//! from, because a plan is only as good as its assumptions:
//!
//! - the baseline accuracy p: a run's accuracy (the mean over draws for repeated samples), or an
//!   assumed value;
//! - the discordance ψ (the share of items on which the two models differ in correctness): an
//!   assumed value when given; otherwise, for a baseline with several samples per item, the
//!   discordance of two of its own draws plus the effect ([`Discordance::RepeatedDraws`]);
//!   otherwise errors independent of the baseline's ([`Discordance::IndependentErrors`]);
//! - the design effect: an assumed value when given; otherwise the baseline's measured design
//!   effect when its items carry cluster keys, never below 1 (a plan does not count on
//!   clustering to help); otherwise 1.

use medeval_core::Outcome;
use medeval_stats::{
    CiMethod, DetectableEffectPlan, Discordance, NonJudgementCounts, NonJudgementPolicy,
    PowerDesign, PowerMethod, RunOutcomes, SampleSizePlan, StatsError, TieRule, estimate_accuracy,
    items_needed, minimum_detectable_effect, power_at,
};
use serde::Serialize;

use crate::compare_tables::format_points;
use crate::scored::{RunLabel, ScoredRun};
use crate::table::{Align, Format, Table};

/// What a plan is asked for, besides the baseline.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanSettings {
    /// How non-judgements enter the baseline's accuracy.
    pub policy: NonJudgementPolicy,
    /// The test the plan is for.
    pub method: PowerMethod,
    /// Two-sided significance level.
    pub alpha: f64,
    /// Target power.
    pub power: f64,
    /// The improvement to detect (items needed, power at the items available).
    pub effect: Option<f64>,
    /// Items available (minimum detectable effect); by default the baseline run's.
    pub items: Option<u64>,
    /// An assumed discordance ψ, overriding what the baseline says.
    pub discordance: Option<f64>,
    /// An assumed design effect, overriding what the baseline says.
    pub design_effect: Option<f64>,
    /// Use the baseline's cluster keys for its design effect.
    pub use_clusters: bool,
}

/// What the plan knows about the baseline.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BaselineFacts {
    /// The run, when the baseline is one (`null` for an assumed accuracy).
    pub run: Option<RunLabel>,
    /// The benchmark, when known.
    pub benchmark: Option<String>,
    /// The baseline accuracy p.
    pub accuracy: f64,
    /// `run`, `repeated_draws_mean` (mean over items of the share of correct draws) or
    /// `assumed`.
    pub accuracy_source: &'static str,
    /// Judged items of the run (after the policy).
    pub items: Option<u64>,
    /// Most samples any item of the run has.
    pub samples_per_item: Option<u32>,
    /// ψ₀, the share of items on which two draws disagree: 2 × the mean unbiased within-item
    /// variance, for runs with several samples per item.
    pub draw_discordance: Option<f64>,
    /// Clusters of the run's items, when they carry keys.
    pub clusters: Option<usize>,
    /// The run's measured design effect for accuracy, when its items carry keys.
    pub measured_design_effect: Option<f64>,
    /// Non-judgements among the run's samples.
    pub non_judgements: Option<NonJudgementCounts>,
    /// How non-judgements entered the accuracy.
    pub policy: NonJudgementPolicy,
}

impl BaselineFacts {
    /// An assumed accuracy, with no run behind it.
    pub fn assumed(accuracy: f64, policy: NonJudgementPolicy) -> Self {
        Self {
            run: None,
            benchmark: None,
            accuracy,
            accuracy_source: "assumed",
            items: None,
            samples_per_item: None,
            draw_discordance: None,
            clusters: None,
            measured_design_effect: None,
            non_judgements: None,
            policy,
        }
    }

    /// What a run says: its accuracy, items, draw discordance and design effect. Report items
    /// are left out (they have no verdict).
    pub fn from_run(
        run: &ScoredRun,
        policy: NonJudgementPolicy,
        use_clusters: bool,
    ) -> Result<Self, StatsError> {
        let samples_per_item = run.samples_per_item();
        let judged: Vec<_> = run.records.iter().filter(|r| r.is_judged_item()).collect();
        // The design effect is measured on one draw per item: items are the unit of a plan.
        let first_draws = judged.iter().filter(|r| r.sample == 0);
        let outcomes = if use_clusters && judged.iter().any(|r| r.cluster.is_some()) {
            RunOutcomes::clustered(
                first_draws.map(|r| (r.outcome(), r.cluster.as_deref())),
                policy,
            )
        } else {
            RunOutcomes::new(first_draws.map(|r| r.outcome()), policy)
        };
        let estimate = estimate_accuracy(&outcomes, CiMethod::Wilson, 0.95)?;
        let clusters = estimate.clusters;
        let mut facts = Self {
            run: Some(run.label.clone()),
            benchmark: run.benchmark.clone(),
            accuracy: estimate.accuracy,
            accuracy_source: "run",
            items: Some(estimate.n),
            samples_per_item: Some(samples_per_item),
            draw_discordance: None,
            clusters: clusters.map(|c| c.clusters),
            measured_design_effect: clusters.and_then(|c| c.design_effect),
            non_judgements: Some(judged.iter().map(|r| r.outcome()).collect::<Counts>().0),
            policy,
        };
        if samples_per_item > 1 {
            let summary = run.repeated_summary(policy, TieRule::Wrong, 0.95, use_clusters)?;
            facts.accuracy = summary.mean_accuracy;
            facts.accuracy_source = "repeated_draws_mean";
            facts.items = Some(summary.n_items);
            facts.draw_discordance = summary.within_item_variance.map(|v| 2.0 * v);
        }
        Ok(facts)
    }
}

/// Non-judgement counts collected from outcomes.
struct Counts(NonJudgementCounts);

impl FromIterator<Outcome> for Counts {
    fn from_iter<I: IntoIterator<Item = Outcome>>(outcomes: I) -> Self {
        let mut counts = NonJudgementCounts::default();
        for outcome in outcomes {
            counts.record(outcome);
        }
        Self(counts)
    }
}

/// A power plan: the design, where its numbers came from, and the answers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PowerPlan {
    /// The baseline.
    pub baseline: BaselineFacts,
    /// The test, α, power, discordance and design effect used.
    pub design: PowerDesign,
    /// Where ψ came from: `assumed`, `repeated_draws` or `independent_errors`.
    pub discordance_source: &'static str,
    /// Where the design effect came from: `assumed`, `baseline_clusters` or `none`.
    pub design_effect_source: &'static str,
    /// Items needed to detect the effect, when one was given.
    pub items_needed: Option<SampleSizePlan>,
    /// Items the minimum detectable effect is computed for.
    pub items: Option<u64>,
    /// The smallest improvement detectable with `items`, when computable.
    pub minimum_detectable_effect: Option<DetectableEffectPlan>,
    /// Why the minimum detectable effect is missing, when it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub minimum_detectable_effect_error: Option<String>,
    /// Power to detect the effect with `items`, when both are known.
    pub power_at_items: Option<f64>,
    /// What a reader should know about the assumptions.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// Builds the plan for `baseline` under `settings`.
pub fn plan_power(
    baseline: BaselineFacts,
    settings: &PlanSettings,
) -> Result<PowerPlan, StatsError> {
    let mut notes = Vec::new();
    let (discordance, discordance_source) = match (settings.discordance, baseline.draw_discordance)
    {
        (Some(rate), _) => (Discordance::Observed { rate }, "assumed"),
        (None, Some(draw_discordance)) => (
            Discordance::RepeatedDraws {
                baseline_accuracy: baseline.accuracy,
                draw_discordance,
            },
            "repeated_draws",
        ),
        (None, None) => {
            notes.push(
                "independent errors are conservative: models that fail on the same items disagree less and need fewer items (--discordance sets ψ, e.g. (b + c) / n_paired of a previous comparison)"
                    .to_owned(),
            );
            (
                Discordance::IndependentErrors {
                    baseline_accuracy: baseline.accuracy,
                },
                "independent_errors",
            )
        }
    };
    if discordance_source == "repeated_draws" {
        notes.push(
            "ψ = ψ₀ + |δ| fits a variant of the baseline (prompt, fine-tune, decoding); a different model usually disagrees more (pass --discordance)"
                .to_owned(),
        );
    }
    let (design_effect, design_effect_source) = match (
        settings.design_effect,
        baseline.measured_design_effect,
    ) {
        (Some(deff), _) => (deff, "assumed"),
        (None, Some(measured)) => {
            if measured < 1.0 {
                notes.push(format!(
                        "the measured design effect {measured:.2} is taken as 1: a plan does not count on clustering to help"
                    ));
            }
            (measured.max(1.0), "baseline_clusters")
        }
        (None, None) => {
            if baseline.clusters.is_some() {
                notes.push(
                        "the baseline's design effect is undefined (one cluster, or every item alike); 1 is used"
                            .to_owned(),
                    );
            }
            (1.0, "none")
        }
    };
    let design = PowerDesign {
        method: settings.method,
        alpha: settings.alpha,
        power: settings.power,
        discordance,
        design_effect,
    };
    let items_needed = settings
        .effect
        .map(|effect| items_needed(effect, &design))
        .transpose()?;
    let items = settings.items.or(baseline.items);
    let (minimum_detectable_effect, minimum_detectable_effect_error) = match items {
        Some(items) => match minimum_detectable_effect(items, &design) {
            Ok(plan) => (Some(plan), None),
            Err(error @ (StatsError::NotDetectable { .. } | StatsError::NoItems { .. })) => {
                (None, Some(error.to_string()))
            }
            Err(error) => return Err(error),
        },
        None => (None, None),
    };
    let power_at_items = match (items, settings.effect) {
        (Some(items), Some(effect)) if items > 0 => Some(power_at(items, effect, &design)?),
        _ => None,
    };
    Ok(PowerPlan {
        baseline,
        design,
        discordance_source,
        design_effect_source,
        items_needed,
        items,
        minimum_detectable_effect,
        minimum_detectable_effect_error,
        power_at_items,
        notes,
    })
}

/// A count with thousands separators: 12,345.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

fn discordance_text(plan: &PowerPlan) -> String {
    match plan.design.discordance {
        Discordance::Observed { rate } => format!("ψ = {rate:.3}, assumed (--discordance)"),
        Discordance::IndependentErrors { .. } => {
            "ψ = p(1-q) + q(1-p) with q = p + δ: errors independent of the baseline's".to_owned()
        }
        Discordance::RepeatedDraws {
            draw_discordance, ..
        } => format!(
            "ψ = ψ₀ + |δ|, ψ₀ = {draw_discordance:.3} = share of items on which two draws of the baseline disagree"
        ),
    }
}

/// The prose above a plan's table: baseline, test, and where ψ and the design effect came from.
fn plan_heading(plan: &PowerPlan) -> String {
    let b = &plan.baseline;
    let mut lines = Vec::new();
    let accuracy = format!("{:.1}%", b.accuracy * 100.0);
    lines.push(match &b.run {
        Some(run) => {
            let bench = b
                .benchmark
                .as_deref()
                .map_or_else(String::new, |name| format!(" on {name}"));
            let items = b
                .items
                .map_or_else(String::new, |n| format!(" over {} items", thousands(n)));
            let draws = match (b.accuracy_source, b.samples_per_item) {
                ("repeated_draws_mean", Some(k)) => format!(" (mean of up to {k} draws per item)"),
                _ => String::new(),
            };
            format!(
                "baseline {}{bench}: accuracy {accuracy}{items}{draws}; {}",
                run.display(),
                crate::policy_sentence(b.policy)
            )
        }
        None => format!("baseline accuracy {accuracy}, assumed"),
    });
    let test = match plan.design.method {
        PowerMethod::McNemarConnor => "McNemar (Connor 1987)",
        PowerMethod::NormalPairedDifference => "paired z-test on the difference",
    };
    lines.push(format!(
        "test: {test}, two-sided α = {}, power {}",
        plan.design.alpha, plan.design.power
    ));
    lines.push(format!("discordance: {}", discordance_text(plan)));
    let deff = plan.design.design_effect;
    lines.push(match plan.design_effect_source {
        "assumed" => format!("design effect {deff:.2}, assumed (--design-effect)"),
        "baseline_clusters" => format!(
            "design effect {deff:.2}, measured on the baseline's {} clusters",
            b.clusters.unwrap_or(0)
        ),
        _ => "design effect 1 (items independent)".to_owned(),
    });
    for note in &plan.notes {
        lines.push(format!("note: {note}"));
    }
    let mut text = lines.join("\n");
    text.push('\n');
    text
}

/// The plan's answers as a two-column table.
fn plan_table(plan: &PowerPlan) -> Table {
    let mut table = Table::new(&[("question", Align::Left), ("answer", Align::Left)]);
    if let Some(needed) = &plan.items_needed {
        let mut answer = format!(
            "{} items (ψ = {:.3}",
            thousands(needed.items_needed),
            needed.discordance_rate
        );
        if plan.design.design_effect != 1.0 {
            answer.push_str(&format!(
                "; {:.1} independent items × design effect {:.2}",
                needed.independent_items, plan.design.design_effect
            ));
        }
        answer.push(')');
        table.push(vec![
            format!("items needed to detect {}", format_points(needed.effect)),
            answer,
        ]);
    }
    if let (Some(items), Some(effect), Some(power)) = (
        plan.items,
        plan.items_needed.map(|n| n.effect),
        plan.power_at_items,
    ) {
        table.push(vec![
            format!(
                "power to detect {} with {} items",
                format_points(effect),
                thousands(items)
            ),
            format!("{power:.3}"),
        ]);
    }
    if let Some(items) = plan.items {
        let question = format!("minimum detectable effect with {} items", thousands(items));
        match (
            &plan.minimum_detectable_effect,
            &plan.minimum_detectable_effect_error,
        ) {
            (Some(mde), _) => table.push(vec![
                question,
                format!(
                    "{} (ψ = {:.3})",
                    format_points(mde.minimum_detectable_effect),
                    mde.discordance_rate
                ),
            ]),
            (None, Some(error)) => table.push(vec![question, format!("none: {error}")]),
            (None, None) => {}
        }
    }
    table
}

/// Renders a plan for reading: the assumptions (terminal and Markdown only), then the answers.
pub fn render_plan(plan: &PowerPlan, format: Format) -> String {
    let mut out = String::new();
    if matches!(format, Format::Terminal | Format::Markdown) {
        crate::compare_tables::push_prose(&mut out, &plan_heading(plan), format);
    }
    out.push_str(&plan_table(plan).render(format));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> PlanSettings {
        PlanSettings {
            policy: NonJudgementPolicy::CountAsWrong,
            method: PowerMethod::McNemarConnor,
            alpha: 0.05,
            power: 0.8,
            effect: Some(0.05),
            items: Some(500),
            discordance: None,
            design_effect: None,
            use_clusters: true,
        }
    }

    #[test]
    fn counts_get_thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }

    #[test]
    fn an_assumed_accuracy_plans_with_independent_errors() {
        let plan = plan_power(
            BaselineFacts::assumed(0.7, NonJudgementPolicy::CountAsWrong),
            &settings(),
        )
        .unwrap();
        assert_eq!(plan.discordance_source, "independent_errors");
        assert_eq!(plan.design_effect_source, "none");
        // q = 0.75: ψ = 0.7·0.25 + 0.75·0.3 = 0.175 + 0.225 = 0.4 (by hand).
        let needed = plan.items_needed.unwrap();
        assert!((needed.discordance_rate - 0.4).abs() < 1e-12);
        // Connor: (1.959964·√0.4 + 0.841621·√(0.4 - 0.0025))² / 0.0025
        // = (1.239590 + 0.530622)² / 0.0025 = 3.133651 / 0.0025 ≈ 1253.46 → 1254 items.
        assert_eq!(needed.items_needed, 1254);
        let power = plan.power_at_items.unwrap();
        assert!(power > 0.3 && power < 0.5, "{power}");
        assert!(
            plan.minimum_detectable_effect
                .unwrap()
                .minimum_detectable_effect
                > 0.05
        );
    }

    #[test]
    fn assumed_values_override_and_impossible_effects_are_errors() {
        let mut s = settings();
        s.discordance = Some(0.2);
        s.design_effect = Some(1.5);
        let plan = plan_power(
            BaselineFacts::assumed(0.7, NonJudgementPolicy::CountAsWrong),
            &s,
        )
        .unwrap();
        assert_eq!(plan.discordance_source, "assumed");
        assert_eq!(plan.design_effect_source, "assumed");
        let needed = plan.items_needed.unwrap();
        assert_eq!(
            needed.items_needed,
            (1.5 * needed.independent_items).ceil() as u64
        );
        s.effect = Some(0.3);
        assert!(plan_power(BaselineFacts::assumed(0.7, s.policy), &s).is_err());
        s.effect = None;
        s.items = Some(3);
        let tiny = plan_power(BaselineFacts::assumed(0.7, s.policy), &s).unwrap();
        assert!(tiny.minimum_detectable_effect.is_none());
        assert!(tiny.minimum_detectable_effect_error.is_some());
    }
}
