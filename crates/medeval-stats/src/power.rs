//! Power and minimum detectable effect for a paired comparison of two models on n items.
//!
//! Before spending GPU hours, a user wants to know whether a benchmark can show the difference
//! they care about. For a paired comparison the answer depends on the effect δ (difference in
//! accuracy) and on the discordance ψ, the share of items on which the two models disagree in
//! correctness: only those items carry information. Both tests are read as two-sided z-tests
//! whose statistic, per item, has standard deviation σ₀ under the null and σ₁ under the
//! alternative:
//!
//! - McNemar (Connor 1987): σ₀ = √ψ, σ₁ = √(ψ - δ²). Connor's closed form for the items needed
//!   is n = (z_{1-α/2} √ψ + z_{1-β} √(ψ - δ²))² / δ².
//! - Normal approximation to the paired difference: σ₀ = σ₁ = √(ψ - δ²) (the same variance under
//!   both hypotheses); matches statsmodels' `NormalIndPower` with `ratio=0`.
//!
//! Power counts both rejection tails, as statsmodels' `normal_power_het` does:
//! power(n) = Φ((|δ|√n - z σ₀)/σ₁) + Φ((-|δ|√n - z σ₀)/σ₁). Items needed and minimum detectable
//! effect are solved from this same function, so the three answers agree with each other; the
//! far tail makes the items needed differ from Connor's closed form only in the sixth digit.
//!
//! With clusters, the variance of the mean difference is multiplied by the design effect, so n
//! independent-item equivalents need deff · n items, and n items are worth n / deff.

use serde::{Deserialize, Serialize};

use crate::error::{Result, StatsError};
use crate::paired::PairedComparison;
use crate::special::{normal_cdf, normal_quantile};

/// Which test the power calculation is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PowerMethod {
    /// McNemar's test, variances after Connor (1987). The default.
    #[serde(rename = "mcnemar_connor")]
    McNemarConnor,
    /// z-test on the mean paired difference, one variance for both hypotheses.
    NormalPairedDifference,
}

/// Where the discordance rate ψ comes from.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "source")]
pub enum Discordance {
    /// A rate observed in a previous paired comparison, (b + c) / n; held fixed as δ varies.
    Observed {
        /// The discordance rate ψ, in (0, 1].
        rate: f64,
    },
    /// An assumed accuracy p of the baseline model, with the other model's errors independent
    /// of the baseline's: accuracy q = p + δ and ψ = p(1 - q) + q(1 - p). Models that fail on
    /// the same hard items discord less, so this is conservative for them.
    IndependentErrors {
        /// The baseline model's accuracy p, in [0, 1].
        baseline_accuracy: f64,
    },
    /// The discordance ψ₀ between two draws of the baseline itself (a run with several samples
    /// per item), plus the effect: the other model is a variant of the baseline (a new prompt,
    /// a fine-tune, other decoding) that disagrees with it as often as two of its own draws do,
    /// and in addition on the |δ| share of items its change fixes (or breaks). ψ = ψ₀ + |δ|, and
    /// q = p + δ must stay in [0, 1]. Optimistic for a model unlike the baseline, which
    /// disagrees on more items than that.
    RepeatedDraws {
        /// The baseline model's accuracy p, in [0, 1].
        baseline_accuracy: f64,
        /// ψ₀: the probability that two draws of the baseline disagree in correctness on an
        /// item, in [0, 1).
        draw_discordance: f64,
    },
}

impl Discordance {
    /// The discordance observed in a paired comparison, (b + c) / n_paired.
    pub fn from_comparison(comparison: &PairedComparison) -> Self {
        Self::Observed {
            rate: (comparison.b + comparison.c) as f64 / comparison.n_paired as f64,
        }
    }

    /// ψ at effect δ (signed: the other model's accuracy minus the baseline's).
    fn rate(&self, effect: f64) -> f64 {
        match *self {
            Self::Observed { rate } => rate,
            Self::IndependentErrors {
                baseline_accuracy: p,
            } => {
                let q = p + effect;
                p * (1.0 - q) + q * (1.0 - p)
            }
            Self::RepeatedDraws {
                draw_discordance, ..
            } => draw_discordance + effect.abs(),
        }
    }

    /// The largest improvement δ > 0 the design allows.
    fn largest_effect(&self) -> f64 {
        match *self {
            Self::Observed { rate } => rate,
            Self::IndependentErrors { baseline_accuracy } => 1.0 - baseline_accuracy,
            Self::RepeatedDraws {
                baseline_accuracy,
                draw_discordance,
            } => (1.0 - baseline_accuracy).min(1.0 - draw_discordance),
        }
    }

    /// Whether δ is possible: within the observed discordance, or keeping q = p + δ in [0, 1]
    /// (and ψ₀ + |δ| ≤ 1 for repeated draws).
    fn allows(&self, effect: f64) -> bool {
        match *self {
            Self::Observed { rate } => effect.abs() <= rate,
            Self::IndependentErrors { baseline_accuracy } => {
                (0.0..=1.0).contains(&(baseline_accuracy + effect))
            }
            Self::RepeatedDraws {
                baseline_accuracy,
                draw_discordance,
            } => {
                (0.0..=1.0).contains(&(baseline_accuracy + effect))
                    && draw_discordance + effect.abs() <= 1.0
            }
        }
    }

    fn check(&self) -> Result<()> {
        match *self {
            Self::Observed { rate } if !(rate > 0.0 && rate <= 1.0) => {
                Err(StatsError::InvalidParameter {
                    name: "discordance rate",
                    value: rate.to_string(),
                    expected: "a share of discordant pairs in (0, 1]",
                })
            }
            Self::IndependentErrors { baseline_accuracy }
            | Self::RepeatedDraws {
                baseline_accuracy, ..
            } if !(0.0..=1.0).contains(&baseline_accuracy) => Err(StatsError::InvalidParameter {
                name: "baseline accuracy",
                value: baseline_accuracy.to_string(),
                expected: "an accuracy in [0, 1]",
            }),
            Self::RepeatedDraws {
                draw_discordance, ..
            } if !(0.0..1.0).contains(&draw_discordance) => Err(StatsError::InvalidParameter {
                name: "draw discordance",
                value: draw_discordance.to_string(),
                expected: "a share of items on which two draws disagree, in [0, 1)",
            }),
            _ => Ok(()),
        }
    }
}

/// The planned comparison: test, error rates, discordance and design effect.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PowerDesign {
    /// Which test.
    pub method: PowerMethod,
    /// Two-sided significance level α (e.g. 0.05).
    pub alpha: f64,
    /// Target power 1 - β (e.g. 0.8), at least 0.5.
    pub power: f64,
    /// Where ψ comes from.
    pub discordance: Discordance,
    /// Variance inflation from clustering (1 for independent items); see
    /// [`crate::PairedComparison::diff_design_effect`].
    pub design_effect: f64,
}

impl PowerDesign {
    fn check(&self) -> Result<()> {
        let invalid = |name, value: f64, expected| {
            Err(StatsError::InvalidParameter {
                name,
                value: value.to_string(),
                expected,
            })
        };
        if !(self.alpha > 0.0 && self.alpha < 1.0) {
            return invalid(
                "alpha",
                self.alpha,
                "a significance level strictly between 0 and 1",
            );
        }
        if !(self.power >= 0.5 && self.power < 1.0) {
            return invalid("power", self.power, "a target power in [0.5, 1)");
        }
        if !(self.design_effect > 0.0 && self.design_effect.is_finite()) {
            return invalid(
                "design effect",
                self.design_effect,
                "a positive number (1 without clusters)",
            );
        }
        self.discordance.check()
    }

    /// (σ₀, σ₁) per item at effect δ, or an error when δ is impossible under the design.
    fn standard_deviations(&self, effect: f64) -> Result<(f64, f64)> {
        let psi = self.discordance.rate(effect);
        let alternative_variance = psi - effect * effect;
        let possible = self.discordance.allows(effect);
        let variance_positive = alternative_variance > 0.0;
        if effect == 0.0 || !effect.is_finite() || !possible || !variance_positive {
            return Err(StatsError::InvalidParameter {
                name: "effect",
                value: effect.to_string(),
                expected: "a non-zero difference in accuracy the discordance allows (|δ| ≤ ψ, q = p + δ in [0, 1])",
            });
        }
        let null_sd = match self.method {
            PowerMethod::McNemarConnor => psi.sqrt(),
            PowerMethod::NormalPairedDifference => alternative_variance.sqrt(),
        };
        Ok((null_sd, alternative_variance.sqrt()))
    }

    /// Power with `independent_items` (continuous) at effect δ.
    fn power_with(&self, independent_items: f64, effect: f64) -> Result<f64> {
        let (null_sd, alternative_sd) = self.standard_deviations(effect)?;
        let z = -normal_quantile(0.5 * self.alpha);
        let shift = effect.abs() * independent_items.sqrt();
        Ok(normal_cdf((shift - z * null_sd) / alternative_sd)
            + normal_cdf((-shift - z * null_sd) / alternative_sd))
    }
}

/// How many items a comparison needs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SampleSizePlan {
    /// The design it was computed for.
    pub design: PowerDesign,
    /// The effect δ to detect.
    pub effect: f64,
    /// The discordance ψ at that effect.
    pub discordance_rate: f64,
    /// Independent items needed (continuous, before the design effect).
    pub independent_items: f64,
    /// Items needed: ⌈design effect · independent items⌉.
    pub items_needed: u64,
}

/// The smallest effect a comparison on a given number of items can detect.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DetectableEffectPlan {
    /// The design it was computed for.
    pub design: PowerDesign,
    /// Items available.
    pub items: u64,
    /// items / design effect.
    pub effective_items: f64,
    /// The smallest improvement δ > 0 detected with the target power.
    pub minimum_detectable_effect: f64,
    /// The discordance ψ at that effect.
    pub discordance_rate: f64,
}

/// Power of the design with `items` items at effect δ (`effect`).
pub fn power_at(items: u64, effect: f64, design: &PowerDesign) -> Result<f64> {
    design.check()?;
    check_items(items)?;
    design.power_with(items as f64 / design.design_effect, effect)
}

fn check_items(items: u64) -> Result<()> {
    if items == 0 {
        return Err(StatsError::NoItems {
            statistic: "power",
            excluded: 0,
        });
    }
    Ok(())
}

/// How many items are needed to detect effect δ (`effect`, signed for
/// [`Discordance::IndependentErrors`]) with the design's power.
pub fn items_needed(effect: f64, design: &PowerDesign) -> Result<SampleSizePlan> {
    design.check()?;
    let (null_sd, alternative_sd) = design.standard_deviations(effect)?;
    let target = design.power;
    // Connor's closed form ignores the far tail, so it slightly over-estimates: a safe bracket.
    let z_alpha = -normal_quantile(0.5 * design.alpha);
    let z_beta = normal_quantile(target);
    let closed_form = ((z_alpha * null_sd + z_beta * alternative_sd) / effect).powi(2);
    let (mut low, mut high) = (0.0_f64, closed_form.max(1.0));
    while design.power_with(high, effect)? < target {
        high *= 2.0;
    }
    for _ in 0..200 {
        let middle = 0.5 * (low + high);
        if design.power_with(middle, effect)? < target {
            low = middle;
        } else {
            high = middle;
        }
        if high - low <= 1e-12 * high {
            break;
        }
    }
    let items = (design.design_effect * high * (1.0 - 1e-12))
        .ceil()
        .max(1.0);
    Ok(SampleSizePlan {
        design: *design,
        effect,
        discordance_rate: design.discordance.rate(effect),
        independent_items: high,
        items_needed: items as u64,
    })
}

/// The smallest improvement δ > 0 that `items` items detect with the design's power.
///
/// Scans (0, largest effect] on a grid of 1,000 steps for the first effect reaching the target
/// power, then bisects within that step, so the smallest such effect is found even where power
/// is not monotone in δ. Errors with [`StatsError::NotDetectable`] when no effect reaches it.
pub fn minimum_detectable_effect(items: u64, design: &PowerDesign) -> Result<DetectableEffectPlan> {
    design.check()?;
    check_items(items)?;
    let effective_items = items as f64 / design.design_effect;
    let mut largest = design.discordance.largest_effect();
    if design.standard_deviations(largest).is_err() {
        largest *= 1.0 - 1e-9;
    }
    let reaches = |effect: f64| -> Result<bool> {
        Ok(design.power_with(effective_items, effect)? >= design.power)
    };
    const STEPS: u32 = 1_000;
    let mut below = 0.0;
    let mut above = None;
    for step in 1..=STEPS {
        let effect = largest * f64::from(step) / f64::from(STEPS);
        if design.standard_deviations(effect).is_ok() && reaches(effect)? {
            above = Some(effect);
            break;
        }
        below = effect;
    }
    let Some(mut above) = above else {
        return Err(StatsError::NotDetectable {
            items: effective_items,
            power: design.power,
            largest_effect: largest,
        });
    };
    for _ in 0..200 {
        let middle = 0.5 * (below + above);
        if middle > 0.0 && reaches(middle)? {
            above = middle;
        } else {
            below = middle;
        }
        if above - below <= 1e-13 * above {
            break;
        }
    }
    Ok(DetectableEffectPlan {
        design: *design,
        items,
        effective_items,
        minimum_detectable_effect: above,
        discordance_rate: design.discordance.rate(above),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn design(method: PowerMethod, discordance: Discordance) -> PowerDesign {
        PowerDesign {
            method,
            alpha: 0.05,
            power: 0.8,
            discordance,
            design_effect: 1.0,
        }
    }

    #[test]
    fn items_needed_is_close_to_connors_closed_form() {
        let d = design(
            PowerMethod::McNemarConnor,
            Discordance::Observed { rate: 0.2 },
        );
        let plan = items_needed(0.05, &d).unwrap();
        let z_a = 1.959_963_984_540_054_f64;
        let z_b = 0.841_621_233_572_914_3_f64;
        let closed = ((z_a * 0.2_f64.sqrt() + z_b * (0.2_f64 - 0.0025).sqrt()) / 0.05).powi(2);
        assert!(
            (plan.independent_items - closed).abs() < 1e-4 * closed,
            "{plan:?} vs {closed}"
        );
        assert!((power_at(plan.items_needed, 0.05, &d).unwrap() - 0.8).abs() < 1e-3);
    }

    #[test]
    fn the_three_directions_agree() {
        for method in [
            PowerMethod::McNemarConnor,
            PowerMethod::NormalPairedDifference,
        ] {
            let d = design(
                method,
                Discordance::IndependentErrors {
                    baseline_accuracy: 0.7,
                },
            );
            let plan = items_needed(0.04, &d).unwrap();
            let mde = minimum_detectable_effect(plan.items_needed, &d).unwrap();
            assert!(mde.minimum_detectable_effect <= 0.04 + 1e-9);
            assert!(mde.minimum_detectable_effect > 0.0399);
            let power = power_at(plan.items_needed, mde.minimum_detectable_effect, &d).unwrap();
            assert!((power - 0.8).abs() < 1e-9);
        }
    }

    #[test]
    fn repeated_draws_add_the_effect_to_the_draw_discordance() {
        let d = design(
            PowerMethod::McNemarConnor,
            Discordance::RepeatedDraws {
                baseline_accuracy: 0.7,
                draw_discordance: 0.1,
            },
        );
        // ψ = 0.1 + 0.05 = 0.15; Connor's closed form by hand:
        // (1.959964·√0.15 + 0.841621·√(0.15 - 0.0025))² / 0.0025
        // = (0.759091 + 0.323231)² / 0.0025 = 1.171420 / 0.0025 ≈ 468.57.
        let plan = items_needed(0.05, &d).unwrap();
        assert!((plan.discordance_rate - 0.15).abs() < 1e-15);
        let z_a = 1.959_963_984_540_054_f64;
        let z_b = 0.841_621_233_572_914_3_f64;
        let closed = ((z_a * 0.15_f64.sqrt() + z_b * (0.15_f64 - 0.0025).sqrt()) / 0.05).powi(2);
        assert!((closed - 468.57).abs() < 0.01, "{closed}");
        assert!((plan.independent_items - closed).abs() < 1e-4 * closed);
        // The effect cannot take the accuracy past 1 nor the discordance past 1.
        assert!(items_needed(0.31, &d).is_err());
        let mde = minimum_detectable_effect(plan.items_needed, &d).unwrap();
        assert!((mde.minimum_detectable_effect - 0.05).abs() < 1e-3);
        assert!((mde.discordance_rate - 0.1 - mde.minimum_detectable_effect).abs() < 1e-15);
        let bad = design(
            PowerMethod::McNemarConnor,
            Discordance::RepeatedDraws {
                baseline_accuracy: 0.7,
                draw_discordance: 1.0,
            },
        );
        assert!(matches!(
            items_needed(0.01, &bad),
            Err(StatsError::InvalidParameter {
                name: "draw discordance",
                ..
            })
        ));
    }

    #[test]
    fn plans_serialize_with_readable_names() {
        let d = design(
            PowerMethod::McNemarConnor,
            Discordance::Observed { rate: 0.2 },
        );
        let json = serde_json::to_value(items_needed(0.05, &d).unwrap()).unwrap();
        assert_eq!(json["design"]["method"], "mcnemar_connor");
        assert_eq!(json["design"]["discordance"]["source"], "observed");
        assert_eq!(json["design"]["discordance"]["rate"], 0.2);
    }

    #[test]
    fn the_design_effect_scales_items() {
        let mut d = design(
            PowerMethod::McNemarConnor,
            Discordance::Observed { rate: 0.3 },
        );
        let independent = items_needed(0.05, &d).unwrap();
        d.design_effect = 2.5;
        let clustered = items_needed(0.05, &d).unwrap();
        assert_eq!(clustered.independent_items, independent.independent_items);
        assert_eq!(
            clustered.items_needed,
            (2.5 * independent.independent_items).ceil() as u64
        );
    }

    #[test]
    fn impossible_requests_are_errors() {
        let d = design(
            PowerMethod::McNemarConnor,
            Discordance::Observed { rate: 0.02 },
        );
        assert!(matches!(
            items_needed(0.05, &d),
            Err(StatsError::InvalidParameter { name: "effect", .. })
        ));
        assert!(matches!(
            items_needed(0.0, &d),
            Err(StatsError::InvalidParameter { .. })
        ));
        assert!(matches!(
            minimum_detectable_effect(10, &d),
            Err(StatsError::NotDetectable { .. })
        ));
        assert!(matches!(
            power_at(0, 0.01, &d),
            Err(StatsError::NoItems { .. })
        ));
        let mut bad = d;
        bad.power = 0.3;
        assert!(matches!(
            items_needed(0.01, &bad),
            Err(StatsError::InvalidParameter { name: "power", .. })
        ));
    }
}
