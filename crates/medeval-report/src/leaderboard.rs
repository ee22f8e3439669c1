//! Several runs on one benchmark: who is ahead, how sure is that, and which differences hold up.
//!
//! A leaderboard that prints one accuracy per model hides whether third place could as well be
//! first. Here every run is ranked on the items all of them have, with bootstrap intervals for
//! the ranks ([`medeval_stats::rank_intervals`]: each replicate ranks every run on the same
//! resample of items or clusters, so the pairing is kept), and every pair of runs is compared as
//! `compare` would. The pairs of all benchmarks ranked together form one family for Holm and
//! Benjamini-Hochberg, so "A beats B" is only claimed where it survives having looked at all
//! pairs.
//!
//! Ranks use the items every run has; a pair uses the items both of its runs have (as
//! `medeval compare` does). For complete runs of one benchmark these are the same items.

use medeval_stats::{Leaderboard, RankReport, Record, rank_intervals};
use serde::Serialize;

use crate::compare::{CompareError, CompareSettings, RunComparison, compare_runs, correct_family};
use crate::scored::{OnePerItem, RunLabel, ScoredRun};

/// Several runs of one benchmark, ranked, with every pair compared.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RankedBenchmark {
    /// The benchmark, when the runs name it.
    pub benchmark: Option<String>,
    /// The runs, in the order they were given (the order of `entries`).
    pub runs: Vec<RunLabel>,
    /// Ranks with intervals: `n_items`, `exclusions`, `policy`, `confidence`, `bootstrap`,
    /// `entries` (one per run: `name`, `accuracy`, `rank`, `rank_ci`, `p_best`, `mean_rank`).
    #[serde(flatten)]
    pub ranks: RankReport,
    /// Every pair (i < j in the order given), with `p_holm` and `p_bh` across all pairs of all
    /// benchmarks ranked together. The discordant items are not listed here (`medeval compare
    /// A B` lists them); their counts are `b` and `c`.
    pub pairs: Vec<RunComparison>,
    /// Things a reader should know (incomplete runs, report items).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

impl RankedBenchmark {
    /// The benchmark's name for headings.
    pub fn benchmark_name(&self) -> &str {
        self.benchmark.as_deref().unwrap_or("(benchmark not named)")
    }
}

/// Ranks `runs` (at least two, one benchmark) and compares every pair. `p_holm` and `p_bh` are
/// filled in by [`correct_pairs`].
pub fn rank_runs(
    runs: &[ScoredRun],
    settings: &CompareSettings,
) -> Result<RankedBenchmark, CompareError> {
    let benchmark = shared_benchmark(runs)?;
    let context = || {
        benchmark.clone().unwrap_or_else(|| {
            runs.iter()
                .map(|run| run.label.label.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        })
    };
    let chosen: Vec<OnePerItem<'_>> = runs
        .iter()
        .map(|run| run.one_per_item(settings.draw))
        .collect::<Result<_, _>>()?;
    let board_runs: Vec<(String, Vec<Record<'_>>)> = runs
        .iter()
        .zip(&chosen)
        .map(|(run, one)| {
            let records = one
                .records
                .iter()
                .map(|r| Record {
                    id: r.id.as_str(),
                    outcome: r.outcome(),
                    cluster: if settings.use_clusters {
                        r.cluster.as_deref()
                    } else {
                        None
                    },
                })
                .collect();
            (run.label.label.clone(), records)
        })
        .collect();
    let stats_error = |error| CompareError::Stats {
        benchmark: context(),
        error: Box::new(error),
    };
    let board = Leaderboard::join(board_runs, settings.policy).map_err(stats_error)?;
    let ranks =
        rank_intervals(&board, &settings.bootstrap, settings.confidence).map_err(stats_error)?;

    let pair_settings = CompareSettings {
        by: Vec::new(),
        ..settings.clone()
    };
    let mut pairs = Vec::new();
    for (i, a) in runs.iter().enumerate() {
        for b in &runs[i + 1..] {
            let mut comparison = compare_runs(a, b, &pair_settings)?;
            comparison.discordant = Default::default();
            comparison.warnings.clear();
            pairs.push(comparison);
        }
    }

    let mut warnings = Vec::new();
    for run in runs {
        let missing = run.missing_items();
        if missing > 0 {
            warnings.push(format!(
                "run {} is incomplete: {missing} item(s) have no response yet and are not ranked",
                run.label.label
            ));
        }
    }
    let report_items = chosen.iter().map(|one| one.report_items).max().unwrap_or(0);
    if report_items > 0 {
        warnings.push(format!(
            "{report_items} report item(s) are scored by text metrics, not right or wrong, and are not ranked"
        ));
    }
    Ok(RankedBenchmark {
        benchmark,
        runs: runs.iter().map(|run| run.label.clone()).collect(),
        ranks,
        pairs,
        warnings,
    })
}

/// The benchmark all runs share, or an error naming the first two that differ.
fn shared_benchmark(runs: &[ScoredRun]) -> Result<Option<String>, CompareError> {
    let mut named = runs
        .iter()
        .filter_map(|run| run.benchmark.as_ref().map(|name| (run, name)));
    let Some((first, first_name)) = named.next() else {
        return Ok(None);
    };
    for (run, name) in named {
        if name != first_name {
            return Err(CompareError::DifferentBenchmarks {
                a: first.label.label.clone(),
                a_benchmark: first_name.clone(),
                b: run.label.label.clone(),
                b_benchmark: name.clone(),
            });
        }
    }
    Ok(Some(first_name.clone()))
}

/// Holm- and BH-adjusts `mcnemar_p` across every pair of every benchmark in `boards` (one
/// family).
pub fn correct_pairs(boards: &mut [RankedBenchmark]) -> Result<(), medeval_stats::StatsError> {
    let counts: Vec<usize> = boards.iter().map(|board| board.pairs.len()).collect();
    let mut family: Vec<RunComparison> = boards
        .iter_mut()
        .flat_map(|board| std::mem::take(&mut board.pairs))
        .collect();
    correct_family(&mut family)?;
    let mut family = family.into_iter();
    for (board, count) in boards.iter_mut().zip(counts) {
        board.pairs = family.by_ref().take(count).collect();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use medeval_core::{Meta, Outcome, Scored};

    use super::*;
    use crate::scored::{RunSource, ScoredRecord};
    use medeval_stats::NonJudgementPolicy;

    fn run(name: &str, benchmark: &str, outcomes: &[Outcome]) -> ScoredRun {
        ScoredRun::new(
            RunLabel {
                label: name.into(),
                source: RunSource::File {
                    path: format!("{name}.jsonl"),
                },
                model: None,
            },
            Some(benchmark.into()),
            outcomes
                .iter()
                .enumerate()
                .map(|(i, &outcome)| ScoredRecord {
                    id: format!("q{i}"),
                    sample: 0,
                    scored: Scored::new(outcome, None, "test"),
                    gold: None,
                    answer_type: None,
                    cluster: None,
                    meta: Meta::new(),
                })
                .collect(),
        )
    }

    use Outcome::{Correct as C, Wrong as W};

    #[test]
    fn every_pair_is_compared_and_corrected_across_benchmarks() {
        let x = [C, C, C, W, C, W, C, C, W, C];
        let y = [C, W, C, W, W, W, C, C, W, C];
        let z = [W, W, C, W, W, W, C, W, W, C];
        let settings = CompareSettings::new(NonJudgementPolicy::CountAsWrong);
        let mut boards = vec![
            rank_runs(
                &[
                    run("x", "one", &x),
                    run("y", "one", &y),
                    run("z", "one", &z),
                ],
                &settings,
            )
            .unwrap(),
            rank_runs(&[run("x", "two", &x), run("z", "two", &z)], &settings).unwrap(),
        ];
        correct_pairs(&mut boards).unwrap();
        let first = &boards[0];
        assert_eq!(first.ranks.n_items, 10);
        let ranks: Vec<u32> = first.ranks.entries.iter().map(|e| e.rank).collect();
        assert_eq!(ranks, [1, 2, 3]);
        let pairs: Vec<(&str, &str, u64, u64)> = first
            .pairs
            .iter()
            .map(|p| {
                (
                    p.run_a.label.as_str(),
                    p.run_b.label.as_str(),
                    p.comparison.b,
                    p.comparison.c,
                )
            })
            .collect();
        // Hand-counted discordant cells of x, y, z above.
        assert_eq!(
            pairs,
            [("x", "y", 2, 0), ("x", "z", 4, 0), ("y", "z", 2, 0)]
        );
        // One family of 4 pairs across both benchmarks. Exact McNemar p-values: b + c = 2 gives
        // 2·(1/4) = 0.5, b + c = 4 gives 2·(1/16) = 0.125. Holm over (0.5, 0.125, 0.5, 0.125):
        // sorted 0.125, 0.125, 0.5, 0.5 -> 4·0.125 = 0.5, max(0.5, 3·0.125) = 0.5,
        // max(0.5, 2·0.5) = 1, 1.
        assert!(
            boards
                .iter()
                .flat_map(|b| &b.pairs)
                .all(|p| p.family_size == 4)
        );
        let holm: Vec<f64> = boards
            .iter()
            .flat_map(|b| &b.pairs)
            .map(|p| p.comparison.p_holm.unwrap())
            .collect();
        assert_eq!(holm, [1.0, 0.5, 1.0, 0.5]);
        // BH: m·p/rank = 4·0.125/2 = 0.25 for the two smallest, 4·0.5/4 = 0.5 for the others.
        let bh: Vec<f64> = boards
            .iter()
            .flat_map(|b| &b.pairs)
            .map(|p| p.p_bh.unwrap())
            .collect();
        assert_eq!(bh, [0.5, 0.25, 0.5, 0.25]);
    }

    #[test]
    fn runs_of_different_benchmarks_are_not_ranked_together() {
        let settings = CompareSettings::new(NonJudgementPolicy::CountAsWrong);
        let err = rank_runs(
            &[run("x", "one", &[C, W]), run("y", "two", &[C, W])],
            &settings,
        )
        .unwrap_err();
        assert!(
            matches!(err, CompareError::DifferentBenchmarks { .. }),
            "{err}"
        );
    }
}
