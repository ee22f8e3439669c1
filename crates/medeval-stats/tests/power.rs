//! Power, items needed and minimum detectable effect against statsmodels
//! (`tests/data/power.json`): `NormalIndPower(ratio=0)` for the normal approximation, and
//! `normal_power_het` (solved with `brentq`) for McNemar with Connor's variances.

// In tests a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used)]

mod common;

use common::{assert_close, count, number, reference};
use medeval_stats::{
    Discordance, PowerDesign, PowerMethod, items_needed, minimum_detectable_effect, power_at,
};

fn design(case: &serde_json::Value, method: PowerMethod) -> PowerDesign {
    let discordance = match case["discordance"]["source"].as_str().expect("a source") {
        "observed" => Discordance::Observed {
            rate: number(&case["discordance"]["rate"]),
        },
        _ => Discordance::IndependentErrors {
            baseline_accuracy: number(&case["discordance"]["baseline_accuracy"]),
        },
    };
    PowerDesign {
        method,
        alpha: number(&case["alpha"]),
        power: number(&case["power"]),
        discordance,
        design_effect: 1.0,
    }
}

#[test]
fn power_calculations_match_statsmodels() {
    let data = reference("power.json");
    for case in data["cases"].as_array().unwrap() {
        let effect = number(&case["effect"]);
        let items = count(&case["items"]);
        for (method, key) in [
            (PowerMethod::NormalPairedDifference, "normal"),
            (PowerMethod::McNemarConnor, "mcnemar_connor"),
        ] {
            let design = design(case, method);
            let expected = &case[key];
            let context = format!("{key} {}", case["discordance"]);
            let plan = items_needed(effect, &design).unwrap();
            assert_close(
                plan.independent_items,
                number(&expected["independent_items"]),
                1e-9,
                0.0,
                &context,
            );
            assert_eq!(
                plan.items_needed,
                number(&expected["independent_items"]).ceil() as u64,
                "{context}"
            );
            assert_close(
                power_at(items, effect, &design).unwrap(),
                number(&expected["power_at_items"]),
                1e-12,
                0.0,
                &context,
            );
            let mde = minimum_detectable_effect(items, &design).unwrap();
            assert_close(
                mde.minimum_detectable_effect,
                number(&expected["minimum_detectable_effect"]),
                1e-9,
                0.0,
                &context,
            );
            if let Some(closed_form) = expected["closed_form_items"].as_f64() {
                // Connor's closed form leaves out the far rejection tail: a hair more items.
                assert!(closed_form >= plan.independent_items, "{context}");
                assert_close(plan.independent_items, closed_form, 1e-4, 0.0, &context);
            }
        }
    }
}

#[test]
fn design_effect_multiplies_items_and_divides_power() {
    let data = reference("power.json");
    let case = &data["cases"][0];
    let mut clustered = design(case, PowerMethod::McNemarConnor);
    clustered.design_effect = 2.0;
    let effect = number(&case["effect"]);
    let plain = items_needed(effect, &design(case, PowerMethod::McNemarConnor)).unwrap();
    let plan = items_needed(effect, &clustered).unwrap();
    assert_eq!(
        plan.items_needed,
        (2.0 * plain.independent_items).ceil() as u64
    );
    // 2n clustered items have the power of n independent ones.
    let n = count(&case["items"]);
    assert_close(
        power_at(2 * n, effect, &clustered).unwrap(),
        number(&case["mcnemar_connor"]["power_at_items"]),
        1e-12,
        0.0,
        "clustered power",
    );
}
