//! Agreement between raters: a judge and people, or two judges.
//!
//! - **Cohen's kappa** for two raters over the same units: κ = (p_o − p_e) / (1 − p_e), with
//!   p_o the share of units both rate the same and p_e = Σ_k p₁ₖ·p₂ₖ the agreement expected from
//!   each rater's own category shares. Undefined (`None`) when p_e = 1 (both raters always say
//!   the same single category), where scikit-learn returns NaN.
//! - **Krippendorff's alpha** for any number of raters with missing ratings: α = 1 − D_o / D_e
//!   from the coincidence matrix (Krippendorff 2011, "Computing Krippendorff's Alpha-
//!   Reliability"). Units with fewer than two ratings are not pairable and are skipped. The
//!   nominal metric counts any difference as 1; the ordinal metric is the squared sum of the
//!   marginal frequencies between two values (their ranks), minus half of the two ends. α = 1
//!   when there is no expected disagreement (every rating the same).
//! - **Balanced F1** of a binary rater against a reference, as HealthBench's meta-evaluation
//!   computes it: the mean of the F1 score with "met" as the positive class and the F1 score
//!   with "not met" as the positive class.
//!
//! Intervals are percentile bootstraps over units, replicate `r` drawing from
//! [`replicate_stream`]`(seed, r)`, like every bootstrap in this crate.

use crate::bootstrap::{Bootstrap, percentile_interval};
use crate::rng::replicate_stream;

/// Cohen's kappa of two raters' nominal ratings of the same units (`pairs[i]` = the two
/// ratings of unit i). `None` when there are no units or chance agreement is 1.
pub fn cohen_kappa<T: PartialEq + Clone>(pairs: &[(T, T)]) -> Option<f64> {
    if pairs.is_empty() {
        return None;
    }
    let mut categories: Vec<T> = Vec::new();
    for (a, b) in pairs {
        for value in [a, b] {
            if !categories.contains(value) {
                categories.push(value.clone());
            }
        }
    }
    let n = pairs.len() as f64;
    let observed = pairs.iter().filter(|(a, b)| a == b).count() as f64 / n;
    let expected: f64 = categories
        .iter()
        .map(|category| {
            let first = pairs.iter().filter(|(a, _)| a == category).count() as f64 / n;
            let second = pairs.iter().filter(|(_, b)| b == category).count() as f64 / n;
            first * second
        })
        .sum();
    if (1.0 - expected).abs() < 1e-15 {
        return None;
    }
    Some((observed - expected) / (1.0 - expected))
}

/// The metric of Krippendorff's alpha: how unlike two values are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlphaLevel {
    /// Categories without order: any difference counts 1.
    Nominal,
    /// Ordered categories (1-5 scores): differences weighted by how many ratings lie between.
    Ordinal,
}

/// Krippendorff's alpha of `units`, each the ratings it received (`None` where a rater gave
/// none); values are category codes, ordered by their numeric value for the ordinal metric.
/// `None` when no unit has two ratings.
pub fn krippendorff_alpha(units: &[Vec<Option<i64>>], level: AlphaLevel) -> Option<f64> {
    let mut values: Vec<i64> = units.iter().flatten().flatten().copied().collect();
    values.sort_unstable();
    values.dedup();
    let index = |value: i64| values.binary_search(&value).unwrap_or(0);
    let k = values.len();
    // The coincidence matrix: each ordered pair of ratings within a unit adds 1/(m_u - 1).
    let mut coincidences = vec![vec![0.0f64; k]; k];
    let mut pairable = false;
    for unit in units {
        let rated: Vec<usize> = unit.iter().flatten().map(|v| index(*v)).collect();
        let m = rated.len();
        if m < 2 {
            continue;
        }
        pairable = true;
        let weight = 1.0 / (m as f64 - 1.0);
        for (i, &c) in rated.iter().enumerate() {
            for (j, &d) in rated.iter().enumerate() {
                if i != j {
                    coincidences[c][d] += weight;
                }
            }
        }
    }
    if !pairable {
        return None;
    }
    let marginals: Vec<f64> = coincidences.iter().map(|row| row.iter().sum()).collect();
    let n: f64 = marginals.iter().sum();
    let distance = |c: usize, d: usize| -> f64 {
        match level {
            AlphaLevel::Nominal => f64::from(u8::from(c != d)),
            AlphaLevel::Ordinal => {
                let (low, high) = (c.min(d), c.max(d));
                let between: f64 = marginals[low..=high].iter().sum();
                let span = between - (marginals[low] + marginals[high]) / 2.0;
                span * span
            }
        }
    };
    let mut observed = 0.0;
    let mut expected = 0.0;
    for c in 0..k {
        for d in 0..k {
            let delta = distance(c, d);
            observed += coincidences[c][d] * delta;
            expected += marginals[c] * marginals[d] * delta;
        }
    }
    if expected == 0.0 {
        return Some(1.0);
    }
    Some(1.0 - (n - 1.0) * observed / expected)
}

/// The balanced F1 of binary `ratings` against `reference` (pairs of rating and reference):
/// the mean of the F1 scores with `true` and with `false` as the positive class. A class
/// neither side ever uses has F1 0 (as scikit-learn's `zero_division=0`). `None` with no pairs.
pub fn balanced_f1(pairs: &[(bool, bool)]) -> Option<f64> {
    if pairs.is_empty() {
        return None;
    }
    let f1 = |positive: bool| -> f64 {
        let tp = pairs
            .iter()
            .filter(|(r, t)| *r == positive && *t == positive)
            .count() as f64;
        let predicted = pairs.iter().filter(|(r, _)| *r == positive).count() as f64;
        let actual = pairs.iter().filter(|(_, t)| *t == positive).count() as f64;
        if predicted + actual == 0.0 {
            0.0
        } else {
            2.0 * tp / (predicted + actual)
        }
    };
    Some((f1(true) + f1(false)) / 2.0)
}

/// Agreement of a binary rater with a reference (a judge with human labels), with bootstrap
/// intervals over units.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct BinaryAgreement {
    /// Units rated by both.
    pub n: usize,
    /// Share of units where the rater and the reference agree (`None` with no units).
    pub accuracy: Option<f64>,
    /// Interval for `accuracy`.
    pub accuracy_ci: Option<[f64; 2]>,
    /// Cohen's kappa (`None` when undefined: chance agreement 1).
    pub kappa: Option<f64>,
    /// Interval for `kappa` (replicates where it is undefined are left out).
    pub kappa_ci: Option<[f64; 2]>,
    /// Balanced F1 (HealthBench's meta-evaluation statistic).
    pub balanced_f1: Option<f64>,
    /// Interval for `balanced_f1`.
    pub balanced_f1_ci: Option<[f64; 2]>,
    /// How often the rater said "met" where the reference said "not met" (false positives), and
    /// the reverse (false negatives).
    pub rater_met_reference_not: usize,
    /// See `rater_met_reference_not`.
    pub rater_not_reference_met: usize,
    /// The bootstrap.
    pub bootstrap: Bootstrap,
    /// The interval level.
    pub confidence: f64,
}

/// The agreement of `pairs` (rater, reference) with percentile bootstrap intervals.
pub fn binary_agreement(
    pairs: &[(bool, bool)],
    bootstrap: Bootstrap,
    confidence: f64,
) -> BinaryAgreement {
    let statistics = |sample: &[(bool, bool)]| {
        let accuracy = sample.iter().filter(|(a, b)| a == b).count() as f64 / sample.len() as f64;
        (accuracy, cohen_kappa(sample), balanced_f1(sample))
    };
    let (accuracy, kappa, balanced) = if pairs.is_empty() {
        (None, None, None)
    } else {
        let (accuracy, kappa, balanced) = statistics(pairs);
        (Some(accuracy), kappa, balanced)
    };
    let mut accuracies = Vec::new();
    let mut kappas = Vec::new();
    let mut f1s = Vec::new();
    if pairs.len() > 1 && bootstrap.replicates > 0 {
        let mut resample = Vec::with_capacity(pairs.len());
        for replicate in 0..u64::from(bootstrap.replicates) {
            let mut rng = replicate_stream(bootstrap.seed, replicate);
            resample.clear();
            for _ in 0..pairs.len() {
                resample.push(pairs[rng.below(pairs.len() as u64) as usize]);
            }
            let (a, k, f) = statistics(&resample);
            accuracies.push(a);
            kappas.extend(k);
            f1s.extend(f);
        }
    }
    let interval = |values: &mut Vec<f64>| {
        (!values.is_empty()).then(|| percentile_interval(values, confidence))
    };
    BinaryAgreement {
        n: pairs.len(),
        accuracy,
        accuracy_ci: interval(&mut accuracies),
        kappa,
        kappa_ci: interval(&mut kappas),
        balanced_f1: balanced,
        balanced_f1_ci: interval(&mut f1s),
        rater_met_reference_not: pairs.iter().filter(|(r, t)| *r && !*t).count(),
        rater_not_reference_met: pairs.iter().filter(|(r, t)| !*r && *t).count(),
        bootstrap,
        confidence,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn kappa_of_the_textbook_yes_no_table() {
        // 50 units: both yes 20, both no 15, A yes / B no 5, A no / B yes 10.
        // p_o = 0.7, p_e = 0.5*0.6 + 0.5*0.4 = 0.5, kappa = 0.4.
        let mut pairs = Vec::new();
        pairs.extend(std::iter::repeat_n((true, true), 20));
        pairs.extend(std::iter::repeat_n((false, false), 15));
        pairs.extend(std::iter::repeat_n((true, false), 5));
        pairs.extend(std::iter::repeat_n((false, true), 10));
        assert!((cohen_kappa(&pairs).unwrap() - 0.4).abs() < 1e-12);
    }

    #[test]
    fn kappa_is_undefined_when_both_raters_use_one_category() {
        assert_eq!(cohen_kappa(&[(true, true), (true, true)]), None);
        assert_eq!(cohen_kappa::<bool>(&[]), None);
    }

    /// Krippendorff (2011), the reliability data of section C: 4 observers, 12 units, values
    /// 1-5 with missing ratings. The paper gives alpha = 0.743 (nominal) and 0.815 (ordinal).
    fn krippendorff_example() -> Vec<Vec<Option<i64>>> {
        let a = [
            Some(1),
            Some(2),
            Some(3),
            Some(3),
            Some(2),
            Some(1),
            Some(4),
            Some(1),
            Some(2),
            None,
            None,
            None,
        ];
        let b = [
            Some(1),
            Some(2),
            Some(3),
            Some(3),
            Some(2),
            Some(2),
            Some(4),
            Some(1),
            Some(2),
            Some(5),
            None,
            Some(3),
        ];
        let c = [
            None,
            Some(3),
            Some(3),
            Some(3),
            Some(2),
            Some(3),
            Some(4),
            Some(2),
            Some(2),
            Some(5),
            Some(1),
            None,
        ];
        let d = [
            Some(1),
            Some(2),
            Some(3),
            Some(3),
            Some(2),
            Some(4),
            Some(4),
            Some(1),
            Some(2),
            Some(5),
            Some(1),
            None,
        ];
        (0..12).map(|u| vec![a[u], b[u], c[u], d[u]]).collect()
    }

    #[test]
    fn alpha_of_krippendorffs_worked_example() {
        let units = krippendorff_example();
        let nominal = krippendorff_alpha(&units, AlphaLevel::Nominal).unwrap();
        assert!((nominal - 0.743).abs() < 5e-4, "{nominal}");
        let ordinal = krippendorff_alpha(&units, AlphaLevel::Ordinal).unwrap();
        assert!((ordinal - 0.815).abs() < 5e-4, "{ordinal}");
    }

    #[test]
    fn alpha_edge_cases() {
        assert_eq!(
            krippendorff_alpha(
                &[vec![Some(1), None], vec![None, Some(2)]],
                AlphaLevel::Nominal
            ),
            None,
            "no unit has two ratings"
        );
        assert_eq!(
            krippendorff_alpha(
                &[vec![Some(1), Some(1)], vec![Some(1), Some(1)]],
                AlphaLevel::Nominal
            ),
            Some(1.0)
        );
    }

    #[test]
    fn balanced_f1_by_hand() {
        // rater/reference: TP 3 (met/met), FP 1, FN 2, TN 4.
        let mut pairs = Vec::new();
        pairs.extend(std::iter::repeat_n((true, true), 3));
        pairs.extend(std::iter::repeat_n((true, false), 1));
        pairs.extend(std::iter::repeat_n((false, true), 2));
        pairs.extend(std::iter::repeat_n((false, false), 4));
        // F1(met) = 6 / (4 + 5) = 2/3; F1(not met) = 8 / (6 + 5) = 8/11.
        let expected = (2.0 / 3.0 + 8.0 / 11.0) / 2.0;
        assert!((balanced_f1(&pairs).unwrap() - expected).abs() < 1e-12);
        let agreement = binary_agreement(
            &pairs,
            Bootstrap {
                replicates: 200,
                seed: 1,
            },
            0.95,
        );
        assert_eq!(agreement.n, 10);
        assert!((agreement.accuracy.unwrap() - 0.7).abs() < 1e-12);
        assert_eq!(
            (
                agreement.rater_met_reference_not,
                agreement.rater_not_reference_met
            ),
            (1, 2)
        );
        let [low, high] = agreement.accuracy_ci.unwrap();
        assert!(low <= 0.7 && 0.7 <= high && low >= 0.0 && high <= 1.0);
        let none = binary_agreement(
            &[],
            Bootstrap {
                replicates: 10,
                seed: 1,
            },
            0.95,
        );
        assert_eq!(
            (none.n, none.accuracy, none.kappa, none.accuracy_ci),
            (0, None, None, None)
        );
    }
}
