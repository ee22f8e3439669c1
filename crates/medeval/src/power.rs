//! Planning a comparison before anything is sent (`run --plan`): the power plan for two models
//! compared on these items, with the assumptions a plan made without a baseline run rests on.

use std::collections::HashSet;

use medeval_core::{AnswerType, Item};
use medeval_report::{BaselineFacts, PlanSettings, PowerPlan, plan_power};
use medeval_stats::StatsError;

/// The accuracy a plan assumes when none is given: under independent errors the discordance is
/// largest near 1/2, so the plan is close to the most conservative.
pub const DEFAULT_ACCURACY: f64 = 0.5;

/// Items a verdict is given for: report items are scored by text metrics, not right or wrong.
pub fn judged_items(items: &[Item]) -> u64 {
    items
        .iter()
        .filter(|item| item.answer_type() != AnswerType::Report)
        .count() as u64
}

/// The power plan for comparing two models on `items` under `settings` (whose item count is
/// [`judged_items`]), the baseline accuracy `accuracy` or [`DEFAULT_ACCURACY`]. Its notes say
/// what was assumed: the accuracy, that a design effect cannot be known before a run when items
/// share cluster keys, report items not counted, and that `has_variants` runs are planned for
/// the items themselves.
pub fn plan_for_items(
    items: &[Item],
    settings: &PlanSettings,
    accuracy: Option<f64>,
    has_variants: bool,
) -> Result<PowerPlan, StatsError> {
    let assumed = accuracy.unwrap_or(DEFAULT_ACCURACY);
    let mut plan = plan_power(BaselineFacts::assumed(assumed, settings.policy), settings)?;
    if accuracy.is_none() {
        plan.notes.push(format!(
            "accuracy {DEFAULT_ACCURACY} assumed (near the most conservative); --accuracy sets it"
        ));
    }
    let keys: HashSet<&str> = items
        .iter()
        .filter_map(|item| item.cluster.as_deref())
        .collect();
    if !keys.is_empty() && settings.design_effect.is_none() {
        plan.notes.push(format!(
            "the items share {} cluster keys; the design effect is not known before a run (--design-effect, from `medeval show RUN --ci cluster`)",
            keys.len()
        ));
    }
    let report_items = items.len() as u64 - judged_items(items);
    if report_items > 0 {
        plan.notes.push(format!(
            "{report_items} report item(s) are not judged right or wrong and are not counted"
        ));
    }
    if has_variants {
        plan.notes.push(
            "planned for the items themselves; each --variant is a run of its own".to_owned(),
        );
    }
    Ok(plan)
}
