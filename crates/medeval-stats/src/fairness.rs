//! Is a run equally good for every group of patients? Accuracy gaps between groups and a test of
//! equal accuracy.
//!
//! A model can be accurate overall and still fail one site, one scanner or one age band. Given
//! the items of a run, each in one group with its counted samples, this module gives:
//!
//! - [`accuracy_gap`]: the best and worst group, the gap (best minus worst accuracy) and the
//!   ratio (worst over best), with percentile bootstrap intervals from resampling the items;
//! - [`pearson_chi_square`]: Pearson's chi-square test on the groups x (correct, not correct)
//!   table, with its p-value from the chi-square survival function [`chi_square_sf`];
//! - [`permutation_chi_square`]: the same statistic's permutation test, for tables whose
//!   expected counts are too small for the chi-square approximation, or items with several
//!   samples (which are not independent);
//! - [`test_equal_accuracy`]: picks between the two and says which it used.
//!
//! Which groups are large enough to judge is the caller's decision: it passes only those
//! groups' items to the test, and names them as `ranked` for the gap.

use std::collections::BTreeMap;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::bootstrap::{Bootstrap, percentile_interval};
use crate::error::{Result, StatsError, check_confidence};
use crate::rng::{BinomialInversion, replicate_stream, unit_interval};

/// One item of a fairness analysis: its group and its counted samples (after the non-judgement
/// policy), of which `correct` were correct. With one sample per item, `trials` is 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GroupedOutcome {
    /// Index of the item's group (0-based, as the caller numbers its groups).
    pub group: usize,
    /// Correct samples of the item.
    pub correct: u32,
    /// Counted samples of the item (at least `correct`).
    pub trials: u32,
}

/// The chi-square approximation is trusted only when every expected count is at least this
/// (Cochran's rule, the usual textbook threshold); below it the permutation test is used.
pub const MIN_EXPECTED_COUNT: f64 = 5.0;

/// The number of permutations used when the caller does not choose one.
pub const DEFAULT_PERMUTATIONS: u32 = 10_000;

/// Relative tolerance under which a permuted statistic counts as equal to the observed one, so
/// that a permutation giving the same table is not lost to rounding in the sum.
const TIE_TOLERANCE: f64 = 1e-12;

/// Survival function of the chi-square distribution with `df` degrees of freedom, P(X > x):
/// the regularised upper incomplete gamma function Q(df/2, x/2).
///
/// Series for P below x = a + 1, Legendre's continued fraction (modified Lentz) for Q above it,
/// both with the prefactor e^{-x} x^a / Γ(a) from `libm`'s log-gamma. NaN in, NaN out; `df` must
/// be positive.
pub fn chi_square_sf(x: f64, df: f64) -> f64 {
    if x.is_nan() || df.is_nan() || df <= 0.0 {
        return f64::NAN;
    }
    if x <= 0.0 {
        return 1.0;
    }
    if x.is_infinite() {
        return 0.0;
    }
    upper_regularized_gamma(0.5 * df, 0.5 * x)
}

/// Q(a, x) = Γ(a, x) / Γ(a) for a > 0, x > 0.
fn upper_regularized_gamma(a: f64, x: f64) -> f64 {
    let log_prefactor = a * x.ln() - x - libm::lgamma(a);
    if x < a + 1.0 {
        // P(a, x) = e^{-x} x^a / Γ(a + 1) · Σ x^n / ((a+1)…(a+n)).
        let (mut term, mut sum, mut denominator) = (1.0 / a, 1.0 / a, a);
        for _ in 0..10_000 {
            denominator += 1.0;
            term *= x / denominator;
            sum += term;
            if term.abs() < sum.abs() * f64::EPSILON {
                break;
            }
        }
        (1.0 - sum * log_prefactor.exp()).clamp(0.0, 1.0)
    } else {
        // Q(a, x) = e^{-x} x^a / Γ(a) · 1/(x + 1 - a - 1·(1-a)/(x + 3 - a - ...)).
        const TINY: f64 = 1e-300;
        let mut b = x + 1.0 - a;
        let mut c = 1.0 / TINY;
        let mut d = 1.0 / b;
        let mut fraction = d;
        for i in 1..10_000 {
            let an = -f64::from(i) * (f64::from(i) - a);
            b += 2.0;
            d = an * d + b;
            if d.abs() < TINY {
                d = TINY;
            }
            c = b + an / c;
            if c.abs() < TINY {
                c = TINY;
            }
            d = 1.0 / d;
            let step = d * c;
            fraction *= step;
            if (step - 1.0).abs() < f64::EPSILON {
                break;
            }
        }
        (log_prefactor.exp() * fraction).clamp(0.0, 1.0)
    }
}

/// Pearson's chi-square test of independence on a groups x (correct, not correct) table.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ChiSquare {
    /// Σ (observed - expected)² / expected over every cell.
    pub statistic: f64,
    /// Degrees of freedom, groups - 1.
    pub df: u32,
    /// P(χ²_df ≥ statistic).
    pub p_value: f64,
    /// The smallest expected count of any cell (the chi-square approximation wants ≥ 5).
    pub min_expected: f64,
}

/// Pearson's chi-square statistic, degrees of freedom and p-value for `table`, one row per group
/// as `[correct, not correct]` (no continuity correction: `scipy.stats.chi2_contingency(table,
/// correction=False)`).
///
/// Needs at least two groups, each with at least one item. When every item is correct (or every
/// one wrong) the accuracies are equal by construction: the statistic is 0 and p = 1 (its
/// expected counts of 0 make the approximation moot; `min_expected` is 0).
pub fn pearson_chi_square(table: &[[u64; 2]]) -> Result<ChiSquare> {
    let totals = check_table(table)?;
    let statistic = chi_square_statistic(table, &totals);
    let df = (table.len() - 1) as u32;
    Ok(ChiSquare {
        statistic,
        df,
        p_value: chi_square_sf(statistic, f64::from(df)),
        min_expected: min_expected(&totals),
    })
}

/// Row totals, column totals and grand total of a table.
struct Totals {
    rows: Vec<f64>,
    columns: [f64; 2],
    all: f64,
}

/// Checks that `table` has two groups or more, none empty, and returns its totals.
fn check_table(table: &[[u64; 2]]) -> Result<Totals> {
    if table.len() < 2 {
        return Err(StatsError::TooFewUnits {
            statistic: "a test of equal accuracy across groups",
            unit: "groups",
            needed: 2,
            found: table.len(),
        });
    }
    if let Some(index) = table.iter().position(|row| row[0] + row[1] == 0) {
        return Err(StatsError::InvalidParameter {
            name: "group size",
            value: format!("0 (group {index})"),
            expected: "every group in the table to have at least one item",
        });
    }
    let rows: Vec<f64> = table.iter().map(|row| (row[0] + row[1]) as f64).collect();
    let columns = [
        table.iter().map(|row| row[0] as f64).sum::<f64>(),
        table.iter().map(|row| row[1] as f64).sum::<f64>(),
    ];
    Ok(Totals {
        rows,
        all: columns[0] + columns[1],
        columns,
    })
}

/// Σ (O - E)² / E; cells of an empty column (expected 0, observed 0) add nothing.
fn chi_square_statistic(table: &[[u64; 2]], totals: &Totals) -> f64 {
    let mut statistic = 0.0;
    for (row, row_total) in table.iter().zip(&totals.rows) {
        for (observed, column_total) in row.iter().zip(totals.columns) {
            if column_total == 0.0 {
                continue;
            }
            let expected = row_total * column_total / totals.all;
            let difference = *observed as f64 - expected;
            statistic += difference * difference / expected;
        }
    }
    statistic
}

fn min_expected(totals: &Totals) -> f64 {
    let smallest_row = totals.rows.iter().copied().fold(f64::INFINITY, f64::min);
    let smallest_column = totals.columns[0].min(totals.columns[1]);
    smallest_row * smallest_column / totals.all
}

/// How a permutation test draws: how many permutations, from which seed. Permutation `r` shuffles
/// with its own stream, [`replicate_stream`]`(seed, r)`, as bootstrap replicates do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Permutations {
    /// Number of random permutations of the group labels (at least 1).
    pub count: u32,
    /// The seed every permutation's random stream is derived from.
    pub seed: u64,
}

/// A permutation test of equal accuracy.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PermutationTest {
    /// The observed chi-square statistic.
    pub statistic: f64,
    /// (1 + permutations with a statistic at least the observed one) / (1 + permutations).
    pub p_value: f64,
    /// Permutations whose statistic was at least the observed one.
    pub at_least_observed: u32,
    /// The permutations and their seed.
    pub permutations: Permutations,
}

/// The permutation test of equal accuracy across the groups of `outcomes`: the group labels are
/// shuffled among the items `permutations.count` times, the chi-square statistic of the samples'
/// table recomputed each time, and p = (1 + #{statistic ≥ observed}) / (1 + count).
///
/// Items move with all their samples, so several samples of one item stay together (which the
/// chi-square approximation cannot account for). Items are put in a canonical order first, so
/// the result depends only on the data, never on the order the items were listed in.
pub fn permutation_chi_square(
    outcomes: &[GroupedOutcome],
    permutations: Permutations,
) -> Result<PermutationTest> {
    if permutations.count == 0 {
        return Err(StatsError::InvalidParameter {
            name: "permutations",
            value: "0".into(),
            expected: "at least 1 permutation",
        });
    }
    let mut sorted = outcomes.to_vec();
    sorted.sort_unstable();
    let groups = group_count(&sorted);
    let mut sizes = vec![0_usize; groups];
    for outcome in &sorted {
        sizes[outcome.group] += 1;
    }
    let observed_table = sample_table(sorted.iter().map(|o| (o.group, *o)), groups);
    let observed = pearson_chi_square(&observed_table)?.statistic;
    let threshold = observed - TIE_TOLERANCE * observed.abs().max(1.0);
    let labels: Vec<usize> = sorted.iter().map(|o| o.group).collect();
    let at_least_observed = (0..permutations.count)
        .into_par_iter()
        .map_init(
            || sorted.clone(),
            |shuffled, permutation| {
                // Every permutation shuffles the canonical order, so it is the same on any
                // thread, whatever that thread shuffled before.
                shuffled.copy_from_slice(&sorted);
                let mut rng = replicate_stream(permutations.seed, u64::from(permutation));
                for i in (1..shuffled.len()).rev() {
                    let j = rng.below(i as u64 + 1) as usize;
                    shuffled.swap(i, j);
                }
                let table =
                    sample_table(labels.iter().copied().zip(shuffled.iter().copied()), groups);
                let statistic = match check_table(&table) {
                    Ok(totals) => chi_square_statistic(&table, &totals),
                    Err(_) => f64::NEG_INFINITY,
                };
                u32::from(statistic >= threshold)
            },
        )
        .sum::<u32>();
    Ok(PermutationTest {
        statistic: observed,
        p_value: f64::from(1 + at_least_observed) / (1.0 + f64::from(permutations.count)),
        at_least_observed,
        permutations,
    })
}

/// The number of groups `outcomes` use (one past the largest index).
fn group_count(outcomes: &[GroupedOutcome]) -> usize {
    outcomes.iter().map(|o| o.group + 1).max().unwrap_or(0)
}

/// The samples' groups x (correct, not correct) table of items given as (group, item) pairs.
fn sample_table(
    items: impl Iterator<Item = (usize, GroupedOutcome)>,
    groups: usize,
) -> Vec<[u64; 2]> {
    let mut table = vec![[0_u64; 2]; groups];
    for (group, item) in items {
        table[group][0] += u64::from(item.correct);
        table[group][1] += u64::from(item.trials - item.correct.min(item.trials));
    }
    table
}

/// Which test of equal accuracy was used, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EqualityTestMethod {
    /// Pearson's chi-square with its asymptotic p-value: every expected count is at least 5 and
    /// every item has one sample.
    PearsonChiSquare,
    /// The permutation test of the chi-square statistic: some expected count is below 5.
    PermutationSmallExpected,
    /// The permutation test of the chi-square statistic: items have several samples, which are
    /// not independent, so the samples' table does not follow the chi-square distribution.
    PermutationSeveralSamples,
}

/// A test of equal accuracy across groups.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EqualityTest {
    /// Which test, and why.
    pub method: EqualityTestMethod,
    /// The chi-square statistic of the samples' table.
    pub statistic: f64,
    /// Degrees of freedom of the chi-square statistic (groups - 1).
    pub df: u32,
    /// The test's p-value.
    pub p_value: f64,
    /// The smallest expected count of the table.
    pub min_expected: f64,
    /// The permutations, for the permutation test.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub permutations: Option<Permutations>,
}

/// Tests equal accuracy across the groups of `outcomes` (items of the groups to compare only):
/// Pearson's chi-square when every expected count is at least [`MIN_EXPECTED_COUNT`] and every
/// item has at most one sample, the permutation test otherwise.
pub fn test_equal_accuracy(
    outcomes: &[GroupedOutcome],
    permutations: Permutations,
) -> Result<EqualityTest> {
    let groups = group_count(outcomes);
    let table = sample_table(outcomes.iter().map(|o| (o.group, *o)), groups);
    let chi_square = pearson_chi_square(&table)?;
    let several_samples = outcomes.iter().any(|o| o.trials > 1);
    let method = if several_samples {
        EqualityTestMethod::PermutationSeveralSamples
    } else if chi_square.min_expected < MIN_EXPECTED_COUNT {
        EqualityTestMethod::PermutationSmallExpected
    } else {
        return Ok(EqualityTest {
            method: EqualityTestMethod::PearsonChiSquare,
            statistic: chi_square.statistic,
            df: chi_square.df,
            p_value: chi_square.p_value,
            min_expected: chi_square.min_expected,
            permutations: None,
        });
    };
    let permuted = permutation_chi_square(outcomes, permutations)?;
    Ok(EqualityTest {
        method,
        statistic: chi_square.statistic,
        df: chi_square.df,
        p_value: permuted.p_value,
        min_expected: chi_square.min_expected,
        permutations: Some(permutations),
    })
}

/// The best and worst of the groups compared, the gap and the ratio between them, with
/// bootstrap intervals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccuracyGap {
    /// Index of the group with the highest accuracy (the first such, on ties).
    pub best: usize,
    /// Its accuracy.
    pub best_accuracy: f64,
    /// Index of the group with the lowest accuracy (the first such, on ties).
    pub worst: usize,
    /// Its accuracy.
    pub worst_accuracy: f64,
    /// best_accuracy - worst_accuracy.
    pub gap: f64,
    /// Percentile bootstrap interval of the gap; `None` when no replicate defined it.
    pub gap_ci: Option<[f64; 2]>,
    /// worst_accuracy / best_accuracy; `None` when every group compared has accuracy 0.
    pub ratio: Option<f64>,
    /// Percentile bootstrap interval of the ratio, over the replicates that define it.
    pub ratio_ci: Option<[f64; 2]>,
    /// Replicates that left some group compared without a sample, so the gap was undefined
    /// (left out of both intervals).
    pub replicates_without_a_group: u32,
    /// Replicates where every group compared had accuracy 0 (left out of the ratio's interval).
    pub replicates_without_ratio: u32,
    /// The bootstrap.
    pub bootstrap: Bootstrap,
    /// Items each replicate drew.
    pub items: u64,
}

/// The accuracy gap and ratio between the `ranked` groups of `outcomes`, with percentile
/// bootstrap intervals at `confidence`.
///
/// Each replicate resamples all the items of `outcomes` (those of groups not ranked included,
/// so every group's share varies as in a resample of the run) and recomputes the ranked groups'
/// accuracies (correct over counted samples) and from them the gap and the ratio. The resample
/// is drawn through its counts: items with the same (group, correct, samples) are
/// interchangeable, and how many of each kind a resample of n items holds is multinomial, drawn
/// as a chain of binomials ([`BinomialInversion`]) from replicate `r`'s own stream
/// [`replicate_stream`]`(seed, r)`. The kinds are taken in sorted order, so the result depends
/// only on the data.
pub fn accuracy_gap(
    outcomes: &[GroupedOutcome],
    ranked: &[usize],
    bootstrap: Bootstrap,
    confidence: f64,
) -> Result<AccuracyGap> {
    check_confidence(confidence)?;
    bootstrap.check()?;
    if ranked.len() < 2 {
        return Err(StatsError::TooFewUnits {
            statistic: "an accuracy gap",
            unit: "groups",
            needed: 2,
            found: ranked.len(),
        });
    }
    if outcomes.len() < 2 {
        return Err(StatsError::TooFewUnits {
            statistic: "a bootstrap of the accuracy gap",
            unit: "items",
            needed: 2,
            found: outcomes.len(),
        });
    }
    let groups = group_count(outcomes).max(ranked.iter().map(|g| g + 1).max().unwrap_or(0));
    let kinds = kinds_of(outcomes);
    let full: Vec<(u64, u64)> =
        group_sums(kinds.iter().map(|(kind, count)| (*kind, *count)), groups);
    let Some(point) = gap_of(&full, ranked) else {
        let empty = ranked
            .iter()
            .copied()
            .find(|&g| full[g].1 == 0)
            .unwrap_or_default();
        return Err(StatsError::NoItems {
            statistic: "the accuracy of every group compared",
            excluded: empty as u64,
        });
    };
    let items = outcomes.len() as u64;
    let replicates: Vec<Option<(f64, Option<f64>)>> = (0..bootstrap.replicates)
        .into_par_iter()
        .map(|replicate| {
            let drawn = resample_kinds(&kinds, items, bootstrap.seed, u64::from(replicate));
            let sums = group_sums(drawn, groups);
            gap_of(&sums, ranked).map(|gap| (gap.gap, gap.ratio))
        })
        .collect();
    let mut gaps: Vec<f64> = replicates.iter().flatten().map(|(gap, _)| *gap).collect();
    let mut ratios: Vec<f64> = replicates
        .iter()
        .flatten()
        .filter_map(|(_, r)| *r)
        .collect();
    let without_group = replicates.iter().filter(|r| r.is_none()).count() as u32;
    let without_ratio = (gaps.len() - ratios.len()) as u32;
    let interval = |values: &mut Vec<f64>| {
        (!values.is_empty()).then(|| percentile_interval(values, confidence))
    };
    Ok(AccuracyGap {
        best: point.best,
        best_accuracy: point.best_accuracy,
        worst: point.worst,
        worst_accuracy: point.worst_accuracy,
        gap: point.gap,
        gap_ci: interval(&mut gaps),
        ratio: point.ratio,
        ratio_ci: interval(&mut ratios),
        replicates_without_a_group: without_group,
        replicates_without_ratio: without_ratio,
        bootstrap,
        items,
    })
}

/// Items of each kind (group, correct, samples), in sorted order.
fn kinds_of(outcomes: &[GroupedOutcome]) -> Vec<(GroupedOutcome, u64)> {
    let mut kinds: BTreeMap<GroupedOutcome, u64> = BTreeMap::new();
    for outcome in outcomes {
        *kinds.entry(*outcome).or_default() += 1;
    }
    kinds.into_iter().collect()
}

/// One resample of `items` items, as (kind, how many drawn): the multinomial counts drawn as
/// binomials, kind by kind, each conditional on the items left to draw.
fn resample_kinds(
    kinds: &[(GroupedOutcome, u64)],
    items: u64,
    seed: u64,
    replicate: u64,
) -> impl Iterator<Item = (GroupedOutcome, u64)> + '_ {
    let mut rng = replicate_stream(seed, replicate);
    let mut left_to_draw = items;
    let mut left_in_pool = items;
    kinds.iter().map(move |(kind, count)| {
        let drawn = if *count >= left_in_pool {
            left_to_draw
        } else {
            let share = *count as f64 / left_in_pool as f64;
            BinomialInversion::new(left_to_draw, share).sample(unit_interval(&mut rng))
        };
        left_to_draw -= drawn;
        left_in_pool -= count;
        (*kind, drawn)
    })
}

/// Per group: (correct samples, counted samples) of `kinds` drawn `count` times each.
fn group_sums(
    kinds: impl Iterator<Item = (GroupedOutcome, u64)>,
    groups: usize,
) -> Vec<(u64, u64)> {
    let mut sums = vec![(0_u64, 0_u64); groups];
    for (kind, count) in kinds {
        sums[kind.group].0 += count * u64::from(kind.correct);
        sums[kind.group].1 += count * u64::from(kind.trials);
    }
    sums
}

/// The point values of [`AccuracyGap`].
struct Gap {
    best: usize,
    best_accuracy: f64,
    worst: usize,
    worst_accuracy: f64,
    gap: f64,
    ratio: Option<f64>,
}

/// The gap between the `ranked` groups of `sums`; `None` when one has no sample.
fn gap_of(sums: &[(u64, u64)], ranked: &[usize]) -> Option<Gap> {
    let mut best: Option<(usize, f64)> = None;
    let mut worst: Option<(usize, f64)> = None;
    for &group in ranked {
        let (correct, trials) = *sums.get(group)?;
        if trials == 0 {
            return None;
        }
        let accuracy = correct as f64 / trials as f64;
        if best.is_none_or(|(_, b)| accuracy > b) {
            best = Some((group, accuracy));
        }
        if worst.is_none_or(|(_, w)| accuracy < w) {
            worst = Some((group, accuracy));
        }
    }
    let ((best, best_accuracy), (worst, worst_accuracy)) = (best?, worst?);
    Some(Gap {
        best,
        best_accuracy,
        worst,
        worst_accuracy,
        gap: best_accuracy - worst_accuracy,
        ratio: (best_accuracy > 0.0).then(|| worst_accuracy / best_accuracy),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn items(group: usize, correct: usize, wrong: usize) -> Vec<GroupedOutcome> {
        let one = |c| GroupedOutcome {
            group,
            correct: c,
            trials: 1,
        };
        let mut out = vec![one(1); correct];
        out.extend(vec![one(0); wrong]);
        out
    }

    const PERMUTATIONS: Permutations = Permutations {
        count: 2_000,
        seed: 7,
    };

    #[test]
    fn chi_square_of_a_two_by_two_by_hand() {
        // Rows 30/10 and 20/20: totals 40, 40; columns 50, 30; n 80. Expected 25, 15 in both
        // rows. Statistic = 2·(5²/25 + 5²/15) = 2·(1 + 5/3) = 16/3. With one degree of
        // freedom, p = erfc(√(8/3)) (the chi-square-1 tail).
        let result = pearson_chi_square(&[[30, 10], [20, 20]]).unwrap();
        assert!((result.statistic - 16.0 / 3.0).abs() < 1e-12);
        assert_eq!(result.df, 1);
        let expected_p = libm::erfc((8.0_f64 / 3.0).sqrt());
        assert!(
            (result.p_value - expected_p).abs() < 1e-14,
            "{}",
            result.p_value
        );
        assert!((result.min_expected - 15.0).abs() < 1e-12);
    }

    #[test]
    fn chi_square_of_a_three_by_two_by_hand() {
        // Rows 10/10, 15/5, 5/15: every row 20, columns 30/30, n 60, every expected count 10.
        // Statistic = (0 + 0) + (25/10 + 25/10) + (25/10 + 25/10) = 10, df 2, and the
        // chi-square-2 tail is e^{-x/2}: p = e^{-5}.
        let result = pearson_chi_square(&[[10, 10], [15, 5], [5, 15]]).unwrap();
        assert!((result.statistic - 10.0).abs() < 1e-12);
        assert_eq!(result.df, 2);
        assert!(((result.p_value - (-5.0_f64).exp()) / result.p_value).abs() < 1e-13);
    }

    #[test]
    fn chi_square_survival_closed_forms() {
        // df 2: e^{-x/2}; df 4: e^{-x/2}(1 + x/2); df 1: erfc(√(x/2)).
        for x in [0.01, 0.5, 1.0, 3.0, 10.0, 40.0, 200.0] {
            let two = (-x / 2.0_f64).exp();
            assert!(((chi_square_sf(x, 2.0) - two) / two).abs() < 1e-13, "{x}");
            let four = two * (1.0 + x / 2.0);
            assert!(((chi_square_sf(x, 4.0) - four) / four).abs() < 1e-13, "{x}");
            let one = libm::erfc((x / 2.0).sqrt());
            assert!(((chi_square_sf(x, 1.0) - one) / one).abs() < 1e-12, "{x}");
        }
        assert_eq!(chi_square_sf(0.0, 3.0), 1.0);
        assert!(chi_square_sf(f64::NAN, 3.0).is_nan());
        assert!(chi_square_sf(1.0, 0.0).is_nan());
    }

    #[test]
    fn equal_accuracy_everywhere_gives_statistic_zero() {
        let result = pearson_chi_square(&[[5, 0], [9, 0]]).unwrap();
        assert_eq!((result.statistic, result.p_value), (0.0, 1.0));
        assert_eq!(result.min_expected, 0.0);
    }

    #[test]
    fn one_group_has_no_test() {
        let error = pearson_chi_square(&[[5, 5]]).unwrap_err();
        assert_eq!(
            error.to_string(),
            "a test of equal accuracy across groups needs at least 2 groups, but the data has 1"
        );
        let error = test_equal_accuracy(&items(0, 20, 20), PERMUTATIONS).unwrap_err();
        assert!(matches!(error, StatsError::TooFewUnits { found: 1, .. }));
    }

    #[test]
    fn large_expected_counts_use_the_chi_square() {
        let mut outcomes = items(0, 30, 10);
        outcomes.extend(items(1, 20, 20));
        let test = test_equal_accuracy(&outcomes, PERMUTATIONS).unwrap();
        assert_eq!(test.method, EqualityTestMethod::PearsonChiSquare);
        assert!((test.statistic - 16.0 / 3.0).abs() < 1e-12);
        assert_eq!(test.permutations, None);
    }

    #[test]
    fn small_expected_counts_use_the_permutation_test() {
        // 9/10 and 10/10: expected wrong counts 0.5 each.
        let mut outcomes = items(0, 9, 1);
        outcomes.extend(items(1, 10, 0));
        let test = test_equal_accuracy(&outcomes, PERMUTATIONS).unwrap();
        assert_eq!(test.method, EqualityTestMethod::PermutationSmallExpected);
        // Exactly: the one wrong item is in either group with probability 1/2, and both
        // placements give the same statistic, so every permutation ties: p = 1.
        assert_eq!(test.p_value, 1.0);
    }

    #[test]
    fn the_permutation_p_value_approaches_the_exact_one() {
        // 3 wrong of 6 in group 0 and 0 of 6 in group 1: the statistic is as large as it gets
        // when all three wrong items sit in one group, which happens with probability
        // 2·C(6,3)/C(12,3) = 40/220 = 2/11 (Fisher's two-sided exact p for this table).
        let mut outcomes = items(0, 3, 3);
        outcomes.extend(items(1, 6, 0));
        let test = permutation_chi_square(
            &outcomes,
            Permutations {
                count: 20_000,
                seed: 3,
            },
        )
        .unwrap();
        let exact = 2.0 / 11.0;
        // The binomial standard error at 20,000 permutations is about 0.0027.
        assert!((test.p_value - exact).abs() < 0.011, "{}", test.p_value);
        // Order does not matter.
        let mut reversed = outcomes.clone();
        reversed.reverse();
        let again = permutation_chi_square(
            &reversed,
            Permutations {
                count: 20_000,
                seed: 3,
            },
        )
        .unwrap();
        assert_eq!(test, again);
    }

    #[test]
    fn several_samples_per_item_use_the_permutation_test() {
        let two = |group, correct| GroupedOutcome {
            group,
            correct,
            trials: 2,
        };
        // Group 0 always right; group 1 right 0, 1 or 2 times of 2.
        let outcomes: Vec<GroupedOutcome> = (0..40_u32)
            .map(|i| two((i % 2) as usize, if i % 2 == 0 { 2 } else { i % 3 }))
            .collect();
        let test = test_equal_accuracy(&outcomes, PERMUTATIONS).unwrap();
        assert_eq!(test.method, EqualityTestMethod::PermutationSeveralSamples);
        assert!(test.p_value > 0.0 && test.p_value <= 1.0);
    }

    #[test]
    fn gap_and_ratio_by_hand() {
        // Group 0: 30/40 = 0.75; group 1: 20/40 = 0.5; group 2 (not ranked): 1/1.
        let mut outcomes = items(0, 30, 10);
        outcomes.extend(items(1, 20, 20));
        outcomes.extend(items(2, 1, 0));
        let bootstrap = Bootstrap {
            replicates: 2_000,
            seed: 11,
        };
        let gap = accuracy_gap(&outcomes, &[0, 1], bootstrap, 0.95).unwrap();
        assert_eq!((gap.best, gap.worst), (0, 1));
        assert_eq!((gap.best_accuracy, gap.worst_accuracy), (0.75, 0.5));
        assert_eq!(gap.gap, 0.25);
        assert_eq!(gap.ratio, Some(0.5 / 0.75));
        let [low, high] = gap.gap_ci.unwrap();
        // Normal approximation: se = √(0.75·0.25/40 + 0.5·0.5/40) ≈ 0.1046, so roughly
        // 0.25 ± 0.205; the percentile interval lies near it.
        assert!(
            (low - 0.045).abs() < 0.04 && (high - 0.455).abs() < 0.04,
            "{low} {high}"
        );
        let [rlow, rhigh] = gap.ratio_ci.unwrap();
        assert!(
            rlow < 2.0 / 3.0 && 2.0 / 3.0 < rhigh && rhigh <= 1.2,
            "{rlow} {rhigh}"
        );
        assert_eq!(gap.replicates_without_a_group, 0);
        assert_eq!(gap.items, 81);
        // The same seed gives the same interval; item order does not matter.
        let mut reversed = outcomes.clone();
        reversed.reverse();
        assert_eq!(
            accuracy_gap(&reversed, &[0, 1], bootstrap, 0.95).unwrap(),
            gap
        );
    }

    #[test]
    fn a_gap_needs_two_groups_and_all_zero_has_no_ratio() {
        let outcomes = items(0, 5, 5);
        let bootstrap = Bootstrap {
            replicates: 100,
            seed: 1,
        };
        assert!(matches!(
            accuracy_gap(&outcomes, &[0], bootstrap, 0.95),
            Err(StatsError::TooFewUnits {
                needed: 2,
                found: 1,
                ..
            })
        ));
        let mut zero = items(0, 0, 20);
        zero.extend(items(1, 0, 20));
        let gap = accuracy_gap(&zero, &[0, 1], bootstrap, 0.95).unwrap();
        assert_eq!(gap.gap, 0.0);
        assert_eq!(gap.ratio, None);
        assert_eq!(gap.ratio_ci, None);
        assert_eq!(gap.gap_ci, Some([0.0, 0.0]));
        assert_eq!(gap.replicates_without_ratio, 100);
    }
}
