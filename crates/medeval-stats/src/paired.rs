//! Paired comparison of two runs on the items both answered.
//!
//! Two models answering the same questions are strongly correlated: most questions are easy or
//! hard for both. An unpaired test throws that away and needs several times more items to see the
//! same difference. Only the discordant pairs carry information about which model is better:
//! `b` items A got right and B got wrong, `c` items the other way round. McNemar's test asks
//! whether b and c differ more than chance; the paired bootstrap gives an interval for the
//! difference in accuracy, resampling whole clusters when the items share images.

use serde::{Deserialize, Serialize};

use crate::bootstrap::{Bootstrap, BootstrapRecord, Units, percentile_interval};
use crate::cluster::cluster_robust_mean;
use crate::error::{Result, StatsError, check_confidence};
use crate::outcomes::{Clusters, PairedExclusions, PairedOutcomes};
use crate::policy::NonJudgementPolicy;
use crate::special::{binomial_half_cdf, chi_square_1_sf};

/// Below this many discordant pairs McNemar's test is exact (binomial); from it on, chi-square.
pub const MCNEMAR_EXACT_BELOW: u64 = 25;

/// Which form of McNemar's test produced a p-value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum McNemarMethod {
    /// Exact: two-sided binomial test of min(b, c) among b + c pairs with p = 1/2,
    /// p = min(1, 2·P(X ≤ min(b, c))).
    ExactBinomial,
    /// Asymptotic: chi-square with one degree of freedom on the continuity-corrected statistic
    /// max(0, |b - c| - 1)² / (b + c).
    ChiSquareCorrected,
}

/// The result of McNemar's test.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct McNemar {
    /// Which form of the test was used.
    pub method: McNemarMethod,
    /// The chi-square statistic (for the chi-square form), or min(b, c) for the exact form.
    pub statistic: f64,
    /// The two-sided p-value.
    pub p_value: f64,
}

/// Exact McNemar test: two-sided binomial test on the discordant counts `b` and `c`.
/// With no discordant pairs the p-value is 1.
pub fn mcnemar_exact(b: u64, c: u64) -> McNemar {
    let smaller = b.min(c);
    McNemar {
        method: McNemarMethod::ExactBinomial,
        statistic: smaller as f64,
        p_value: (2.0 * binomial_half_cdf(smaller, b + c)).min(1.0),
    }
}

/// McNemar's chi-square test with Edwards' continuity correction, max(0, |b-c| - 1)²/(b+c).
///
/// Matches statsmodels' `mcnemar(exact=False, correction=True)` except when b = c, where
/// statsmodels computes (0 - 1)²/(b + c) > 0 and we clip the corrected difference at 0 (as R's
/// `mcnemar.test` does), giving p = 1. With no discordant pairs the p-value is 1.
pub fn mcnemar_chi_square(b: u64, c: u64) -> McNemar {
    let discordant = b + c;
    if discordant == 0 {
        return McNemar {
            method: McNemarMethod::ChiSquareCorrected,
            statistic: 0.0,
            p_value: 1.0,
        };
    }
    let corrected = (b.abs_diff(c) as f64 - 1.0).max(0.0);
    let statistic = corrected * corrected / discordant as f64;
    McNemar {
        method: McNemarMethod::ChiSquareCorrected,
        statistic,
        p_value: chi_square_1_sf(statistic),
    }
}

/// McNemar's test, exact when b + c < `exact_below`, chi-square with correction otherwise.
pub fn mcnemar(b: u64, c: u64, exact_below: u64) -> McNemar {
    if b + c < exact_below {
        mcnemar_exact(b, c)
    } else {
        mcnemar_chi_square(b, c)
    }
}

/// Settings of a paired comparison.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CompareOptions {
    /// Confidence level of `diff_ci` (0.95 by default).
    pub confidence: f64,
    /// Replicates and seed of the paired bootstrap.
    pub bootstrap: Bootstrap,
    /// McNemar's test is exact below this many discordant pairs ([`MCNEMAR_EXACT_BELOW`]).
    pub exact_below: u64,
}

impl Default for CompareOptions {
    fn default() -> Self {
        Self {
            confidence: 0.95,
            bootstrap: Bootstrap::default(),
            exact_below: MCNEMAR_EXACT_BELOW,
        }
    }
}

/// How `diff_ci` was computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DiffCiMethod {
    /// Percentile interval of the paired bootstrap over items.
    PairedBootstrapPercentile,
    /// Percentile interval of the paired bootstrap over whole clusters.
    ClusterPairedBootstrapPercentile,
}

/// Two runs compared on the items both answered. Field names are part of the interface of
/// `medeval compare --json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PairedComparison {
    /// Number of items both runs answered (after the policy).
    pub n_paired: u64,
    /// Accuracy of run A on those items.
    pub acc_a: f64,
    /// Accuracy of run B on those items.
    pub acc_b: f64,
    /// acc_a - acc_b: positive when A is better.
    pub diff: f64,
    /// Interval for `diff` at `confidence` (0.95 by default), by `diff_ci_method`.
    pub diff_ci: [f64; 2],
    /// McNemar's two-sided p-value, by `mcnemar_method`.
    pub mcnemar_p: f64,
    /// Discordant pairs where A is right and B is wrong.
    pub b: u64,
    /// Discordant pairs where A is wrong and B is right.
    pub c: u64,
    /// Two-sided p-value of the paired bootstrap: min(1, 2·(1 + min(#{d* ≤ 0}, #{d* ≥ 0})) / (R + 1)).
    pub bootstrap_p: f64,
    /// `mcnemar_p` adjusted by Holm's method across a family of comparisons; `None` until
    /// [`crate::apply_holm`] is run over the family.
    pub p_holm: Option<f64>,
    /// Which form of McNemar's test gave `mcnemar_p`.
    pub mcnemar_method: McNemarMethod,
    /// The confidence level of `diff_ci`.
    pub confidence: f64,
    /// How `diff_ci` was computed.
    pub diff_ci_method: DiffCiMethod,
    /// Analytic standard error of `diff`: cluster-robust over the clusters when there are
    /// clusters, s_d/√n otherwise. `None` when it cannot be computed (one item, one cluster).
    pub diff_se: Option<f64>,
    /// Design effect of the paired differences (with clusters); `None` without clusters or when
    /// undefined.
    pub diff_design_effect: Option<f64>,
    /// Number of clusters, when the items have cluster keys.
    pub clusters: Option<usize>,
    /// Seed, replicates and resampled units of the paired bootstrap.
    pub bootstrap: BootstrapRecord,
    /// The policy non-judgements were handled under.
    pub policy: NonJudgementPolicy,
    /// Items left out, by reason.
    pub exclusions: PairedExclusions,
}

/// Compares the two runs of `pairs`: accuracies, difference with its interval, McNemar's test
/// and the paired bootstrap test.
///
/// When the pairs have clusters, the bootstrap resamples whole clusters. Errors when no pair is
/// left, or when the bootstrap has fewer than two units (items, or clusters) to resample.
pub fn compare(pairs: &PairedOutcomes, options: &CompareOptions) -> Result<PairedComparison> {
    check_confidence(options.confidence)?;
    let n = pairs.n();
    if n == 0 {
        return Err(StatsError::NoItems {
            statistic: "paired comparison",
            excluded: pairs.exclusions().excluded_items,
        });
    }
    let differences = differences(pairs);
    let b = differences.iter().filter(|&&d| d == 1).count() as u64;
    let c = differences.iter().filter(|&&d| d == -1).count() as u64;
    let correct_a = pairs.a().iter().filter(|&&x| x).count() as u64;
    let correct_b = pairs.b().iter().filter(|&&x| x).count() as u64;
    let acc_a = correct_a as f64 / n as f64;
    let acc_b = correct_b as f64 / n as f64;
    let diff = (b as f64 - c as f64) / n as f64;
    let test = mcnemar(b, c, options.exact_below);

    let units = difference_units(pairs)?;
    let mut replicates = units.replicates(&options.bootstrap, "paired bootstrap")?;
    let at_most_zero = replicates.iter().filter(|&&d| d <= 0.0).count() as f64;
    let at_least_zero = replicates.iter().filter(|&&d| d >= 0.0).count() as f64;
    let r = replicates.len() as f64;
    let bootstrap_p = (2.0 * (1.0 + at_most_zero.min(at_least_zero)) / (r + 1.0)).min(1.0);
    let diff_ci = percentile_interval(&mut replicates, options.confidence);

    let floats: Vec<f64> = differences.iter().map(|&d| f64::from(d)).collect();
    let (diff_se, diff_design_effect) = match pairs.clusters() {
        Some(clusters) => match cluster_robust_mean(&floats, clusters) {
            Ok(robust) => (Some(robust.standard_error), robust.design_effect),
            Err(_) => (None, None),
        },
        None => (
            cluster_robust_mean(&floats, &Clusters::singletons(floats.len()))
                .ok()
                .map(|r| r.standard_error),
            None,
        ),
    };

    Ok(PairedComparison {
        n_paired: n,
        acc_a,
        acc_b,
        diff,
        diff_ci,
        mcnemar_p: test.p_value,
        b,
        c,
        bootstrap_p,
        p_holm: None,
        mcnemar_method: test.method,
        confidence: options.confidence,
        diff_ci_method: if pairs.clusters().is_some() {
            DiffCiMethod::ClusterPairedBootstrapPercentile
        } else {
            DiffCiMethod::PairedBootstrapPercentile
        },
        diff_se,
        diff_design_effect,
        clusters: pairs.clusters().map(Clusters::count),
        bootstrap: units.record(&options.bootstrap),
        policy: pairs.policy(),
        exclusions: pairs.exclusions(),
    })
}

/// The paired-bootstrap replicates of acc_a - acc_b, in replicate order, resampling clusters when
/// the pairs have them; [`compare`] computes `diff_ci` and `bootstrap_p` from exactly these.
pub fn difference_replicates(pairs: &PairedOutcomes, bootstrap: &Bootstrap) -> Result<Vec<f64>> {
    if pairs.n() == 0 {
        return Err(StatsError::NoItems {
            statistic: "paired bootstrap",
            excluded: pairs.exclusions().excluded_items,
        });
    }
    difference_units(pairs)?.replicates(bootstrap, "paired bootstrap")
}

/// Per pair: 1 when only A is right, -1 when only B is, 0 otherwise.
fn differences(pairs: &PairedOutcomes) -> Vec<i8> {
    pairs
        .a()
        .iter()
        .zip(pairs.b())
        .map(|(&a, &b)| i8::from(a) - i8::from(b))
        .collect()
}

fn difference_units(pairs: &PairedOutcomes) -> Result<Units> {
    let differences = differences(pairs);
    match pairs.clusters() {
        Some(clusters) => Units::clusters(&differences, clusters),
        None => Units::items(&differences),
    }
}

#[cfg(test)]
mod tests {
    use medeval_core::Outcome::{Correct as C, Wrong as W};

    use super::*;

    #[test]
    fn exact_mcnemar_matches_a_hand_computed_binomial_tail() {
        // b = 1, c = 5: 2 · (C(6,0) + C(6,1)) / 2⁶ = 14/64.
        let test = mcnemar(1, 5, MCNEMAR_EXACT_BELOW);
        assert_eq!(test.method, McNemarMethod::ExactBinomial);
        assert_eq!(test.p_value, 14.0 / 64.0);
        assert_eq!(mcnemar(0, 0, MCNEMAR_EXACT_BELOW).p_value, 1.0);
        assert_eq!(mcnemar(3, 3, MCNEMAR_EXACT_BELOW).p_value, 1.0);
    }

    #[test]
    fn chi_square_mcnemar_matches_the_corrected_statistic() {
        // Agresti's approval-rating table: b = 150, c = 86, (|150 - 86| - 1)² / 236.
        let test = mcnemar(150, 86, MCNEMAR_EXACT_BELOW);
        assert_eq!(test.method, McNemarMethod::ChiSquareCorrected);
        assert!((test.statistic - 63.0 * 63.0 / 236.0).abs() < 1e-12);
        // b = c: the corrected difference is clipped at 0.
        assert_eq!(mcnemar(20, 20, MCNEMAR_EXACT_BELOW).p_value, 1.0);
        // The switch happens at 25 discordant pairs.
        assert_eq!(mcnemar(12, 12, 25).method, McNemarMethod::ExactBinomial);
        assert_eq!(
            mcnemar(12, 13, 25).method,
            McNemarMethod::ChiSquareCorrected
        );
    }

    #[test]
    fn comparison_of_identical_runs_finds_nothing() {
        let pairs = PairedOutcomes::new(
            (0..40).map(|i| if i % 3 == 0 { (W, W) } else { (C, C) }),
            NonJudgementPolicy::Exclude,
        );
        let result = compare(&pairs, &CompareOptions::default()).unwrap();
        assert_eq!((result.b, result.c), (0, 0));
        assert_eq!(result.diff, 0.0);
        assert_eq!(result.diff_ci, [0.0, 0.0]);
        assert_eq!(result.mcnemar_p, 1.0);
        assert_eq!(result.bootstrap_p, 1.0);
        assert_eq!(result.acc_a, result.acc_b);
    }

    #[test]
    fn comparison_serializes_with_the_documented_names() {
        let pairs = PairedOutcomes::new(
            [(C, W), (C, W), (W, C), (C, C), (W, W), (C, W)],
            NonJudgementPolicy::CountAsWrong,
        );
        let result = compare(&pairs, &CompareOptions::default()).unwrap();
        assert_eq!((result.b, result.c), (3, 1));
        assert!((result.diff - 2.0 / 6.0).abs() < 1e-15);
        assert!((result.acc_a - result.acc_b - result.diff).abs() < 1e-15);
        let json = serde_json::to_value(&result).unwrap();
        for name in [
            "n_paired",
            "acc_a",
            "acc_b",
            "diff",
            "diff_ci",
            "mcnemar_p",
            "b",
            "c",
            "bootstrap_p",
            "p_holm",
        ] {
            assert!(json.get(name).is_some(), "{name} missing from {json}");
        }
        assert_eq!(json["diff_ci"].as_array().unwrap().len(), 2);
        assert_eq!(json["policy"], "count_as_wrong");
        assert_eq!(json["mcnemar_method"], "exact_binomial");
        assert_eq!(json["bootstrap"]["resampled"], "items");
    }

    #[test]
    fn a_single_pair_or_cluster_cannot_be_bootstrapped() {
        let one = PairedOutcomes::new([(C, W)], NonJudgementPolicy::Exclude);
        assert!(matches!(
            compare(&one, &CompareOptions::default()),
            Err(StatsError::TooFewUnits { unit: "items", .. })
        ));
        let one_cluster = PairedOutcomes::clustered(
            [(C, W, Some("img")), (W, W, Some("img"))],
            NonJudgementPolicy::Exclude,
        );
        assert!(matches!(
            compare(&one_cluster, &CompareOptions::default()),
            Err(StatsError::TooFewUnits {
                unit: "clusters",
                ..
            })
        ));
        let none = PairedOutcomes::new([], NonJudgementPolicy::Exclude);
        assert!(matches!(
            compare(&none, &CompareOptions::default()),
            Err(StatsError::NoItems { .. })
        ));
    }
}
