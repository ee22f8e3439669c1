//! Confidence intervals for ranks on a leaderboard.
//!
//! A leaderboard that says model C is third hides whether it could as well be first or fifth.
//! Ranks are resampled jointly: every bootstrap replicate draws one resample of the items (or of
//! whole clusters) and ranks every run on that same resample, so the pairing between runs is
//! kept. Ranking is "competition" ranking: a run's rank is 1 + the number of runs with a strictly
//! higher accuracy, so runs tied for first are all rank 1.
//!
//! The rank interval is read off the replicate ranks with the inverted empirical distribution
//! (Hyndman & Fan type 1), so its ends are ranks that actually occurred: lower = the
//! ⌈R·α/2⌉-th smallest replicate rank, upper = the ⌈R·(1-α/2)⌉-th.

use std::collections::{HashMap, HashSet};
use std::hash::Hash;

use medeval_core::Outcome;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::bootstrap::{Bootstrap, BootstrapRecord, Resampled};
use crate::error::{Result, StatsError, check_confidence};
use crate::outcomes::{Clusters, Record};
use crate::policy::{NonJudgementCounts, NonJudgementPolicy};
use crate::rng::replicate_stream;

/// Why items were left out of a leaderboard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeaderboardExclusions {
    /// Items some run has and another does not.
    pub missing_items: u64,
    /// Per run (in leaderboard order): non-judgements among the items every run has.
    pub non_judgements: Vec<NonJudgementCounts>,
    /// Distinct items left out for any reason.
    pub excluded_items: u64,
}

/// Several runs judged on the same items, ready to be ranked.
#[derive(Debug, Clone)]
pub struct Leaderboard {
    names: Vec<String>,
    /// Per run, per item: 1 when correct.
    correct: Vec<Vec<u32>>,
    clusters: Option<Clusters>,
    policy: NonJudgementPolicy,
    exclusions: LeaderboardExclusions,
}

impl Leaderboard {
    /// Runs whose outcomes are already aligned item by item (every run lists the same items in
    /// the same order), with optional cluster keys (one per item; `None` is a cluster of its own).
    pub fn aligned<K: Hash + Eq>(
        runs: Vec<(String, Vec<Outcome>)>,
        cluster_keys: Option<Vec<Option<K>>>,
        policy: NonJudgementPolicy,
    ) -> Result<Self> {
        let n = runs.first().map_or(0, |(_, outcomes)| outcomes.len());
        for (name, outcomes) in &runs {
            if outcomes.len() != n {
                return Err(StatsError::LengthMismatch {
                    what: format!("outcomes of run {name}"),
                    expected: n,
                    found: outcomes.len(),
                });
            }
        }
        if let Some(keys) = &cluster_keys {
            if keys.len() != n {
                return Err(StatsError::LengthMismatch {
                    what: "cluster keys".into(),
                    expected: n,
                    found: keys.len(),
                });
            }
        }
        let names: Vec<String> = runs.iter().map(|(name, _)| name.clone()).collect();
        let mut board = Self::empty(names, policy);
        let kept: Vec<bool> = (0..n)
            .map(|item| board.push(runs.iter().map(|(_, outcomes)| outcomes[item])))
            .collect();
        if let Some(keys) = cluster_keys {
            let kept_keys = keys.into_iter().zip(&kept).filter(|(_, kept)| **kept);
            board.clusters = Some(Clusters::from_keys(kept_keys.map(|(key, _)| key)));
        }
        Ok(board)
    }

    /// Runs paired by item id. Items every run has are kept, in the first run's order; the
    /// rest are counted as missing. Cluster keys may come from any run but must agree; the
    /// items are clustered when any kept record has a key.
    pub fn join<'a>(
        runs: Vec<(String, Vec<Record<'a>>)>,
        policy: NonJudgementPolicy,
    ) -> Result<Self> {
        let mut indexes: Vec<HashMap<&'a str, Record<'a>>> = Vec::with_capacity(runs.len());
        let mut all_ids: HashSet<&'a str> = HashSet::new();
        for (name, records) in &runs {
            let mut index = HashMap::with_capacity(records.len());
            for record in records {
                if index.insert(record.id, *record).is_some() {
                    return Err(StatsError::DuplicateId {
                        run: name.clone(),
                        id: record.id.into(),
                    });
                }
                all_ids.insert(record.id);
            }
            indexes.push(index);
        }
        let names: Vec<String> = runs.iter().map(|(name, _)| name.clone()).collect();
        let mut board = Self::empty(names, policy);
        let mut keys = Vec::new();
        let mut common = 0_u64;
        let first_run = runs.first().map_or(&[][..], |(_, records)| &records[..]);
        for record in first_run {
            let Some(records) = indexes
                .iter()
                .map(|index| index.get(record.id).copied())
                .collect::<Option<Vec<Record<'a>>>>()
            else {
                continue;
            };
            common += 1;
            let key = agreed_cluster_key(&board.names, &records)?;
            if board.push(records.iter().map(|r| r.outcome)) {
                keys.push(key);
            }
        }
        let missing = all_ids.len() as u64 - common;
        board.exclusions.missing_items = missing;
        board.exclusions.excluded_items += missing;
        if keys.iter().any(Option::is_some) {
            board.clusters = Some(Clusters::from_keys(keys));
        }
        Ok(board)
    }

    fn empty(names: Vec<String>, policy: NonJudgementPolicy) -> Self {
        let runs = names.len();
        Self {
            names,
            correct: vec![Vec::new(); runs],
            clusters: None,
            policy,
            exclusions: LeaderboardExclusions {
                missing_items: 0,
                non_judgements: vec![NonJudgementCounts::default(); runs],
                excluded_items: 0,
            },
        }
    }

    /// Records one item's outcomes (one per run); returns whether the item was kept.
    fn push(&mut self, outcomes: impl Iterator<Item = Outcome>) -> bool {
        let mut verdicts = Vec::with_capacity(self.names.len());
        for (run, outcome) in outcomes.enumerate() {
            self.exclusions.non_judgements[run].record(outcome);
            verdicts.push(self.policy.judge(outcome));
        }
        if verdicts.iter().any(Option::is_none) {
            self.exclusions.excluded_items += 1;
            return false;
        }
        for (run, verdict) in verdicts.into_iter().enumerate() {
            self.correct[run].push(u32::from(verdict == Some(true)));
        }
        true
    }

    /// The runs' names, in leaderboard order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Number of items every run is ranked on.
    pub fn n(&self) -> u64 {
        self.correct.first().map_or(0, Vec::len) as u64
    }

    /// Items left out, by reason.
    pub fn exclusions(&self) -> &LeaderboardExclusions {
        &self.exclusions
    }

    /// The clusters of the kept items, if any cluster keys were given.
    pub fn clusters(&self) -> Option<&Clusters> {
        self.clusters.as_ref()
    }
}

/// The one cluster key the runs give for an item (any run may leave it out).
fn agreed_cluster_key<'a>(names: &[String], records: &[Record<'a>]) -> Result<Option<&'a str>> {
    let mut agreed: Option<(usize, &'a str)> = None;
    for (run, record) in records.iter().enumerate() {
        let Some(key) = record.cluster else { continue };
        match agreed {
            None => agreed = Some((run, key)),
            Some((first_run, first)) if first != key => {
                return Err(StatsError::ClusterMismatch {
                    id: record.id.into(),
                    first_run: names[first_run].clone(),
                    first: first.into(),
                    second_run: names[run].clone(),
                    second: key.into(),
                });
            }
            Some(_) => {}
        }
    }
    Ok(agreed.map(|(_, key)| key))
}

/// One run's place on the leaderboard, with its uncertainty.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RankEntry {
    /// The run's name.
    pub name: String,
    /// Accuracy on the items every run has.
    pub accuracy: f64,
    /// Competition rank on the observed data (1 is best).
    pub rank: u32,
    /// Rank interval at the report's confidence level, [best, worst].
    pub rank_ci: [u32; 2],
    /// Share of replicates in which the run ranks first (ties for first included).
    pub p_best: f64,
    /// Mean rank over the replicates.
    pub mean_rank: f64,
}

/// Rank intervals for every run of a leaderboard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RankReport {
    /// Items every run is ranked on.
    pub n_items: u64,
    /// Items left out, by reason.
    pub exclusions: LeaderboardExclusions,
    /// The policy non-judgements were handled under.
    pub policy: NonJudgementPolicy,
    /// Confidence level of the rank intervals.
    pub confidence: f64,
    /// Seed, replicates and resampled units.
    pub bootstrap: BootstrapRecord,
    /// One entry per run, in leaderboard order.
    pub entries: Vec<RankEntry>,
}

/// Per run, per resampling unit (cluster, or item without clusters): correct items in the unit.
/// Units are sorted by their row of counts across runs.
fn unit_sums_by_run(board: &Leaderboard) -> (Vec<Vec<u32>>, Resampled) {
    let runs = board.correct.len();
    let n = board.n() as usize;
    let (mut rows, resampled): (Vec<Vec<u32>>, Resampled) = match &board.clusters {
        Some(clusters) => {
            let mut rows = vec![vec![0_u32; runs]; clusters.count()];
            for (item, &id) in clusters.ids().iter().enumerate() {
                for (run, values) in board.correct.iter().enumerate() {
                    rows[id as usize][run] += values[item];
                }
            }
            (rows, Resampled::Clusters)
        }
        None => (
            (0..n)
                .map(|item| board.correct.iter().map(|values| values[item]).collect())
                .collect(),
            Resampled::Items,
        ),
    };
    rows.sort_unstable();
    let columns = (0..runs)
        .map(|run| rows.iter().map(|row| row[run]).collect())
        .collect();
    (columns, resampled)
}

/// Ranks of `correct_counts`: 1 + the number of strictly larger counts.
fn competition_ranks(correct_counts: &[u64]) -> Vec<u32> {
    correct_counts
        .iter()
        .map(|&own| 1 + correct_counts.iter().filter(|&&other| other > own).count() as u32)
        .collect()
}

/// Bootstrap rank intervals at `confidence` for every run of `board`, resampling clusters when
/// the board has them, items otherwise.
///
/// Errors when there is no run or no item, or fewer than two units to resample.
pub fn rank_intervals(
    board: &Leaderboard,
    bootstrap: &Bootstrap,
    confidence: f64,
) -> Result<RankReport> {
    check_confidence(confidence)?;
    bootstrap.check()?;
    let n = board.n();
    if board.names.is_empty() || n == 0 {
        return Err(StatsError::NoItems {
            statistic: "rank intervals",
            excluded: board.exclusions.excluded_items,
        });
    }
    // Per run, per unit: the number of correct items in the unit, units sorted by their row of
    // counts so that the result does not depend on the order items were listed in.
    let (unit_sums, resampled) = unit_sums_by_run(board);
    let units = unit_sums.first().map_or(0, Vec::len);
    if units < 2 {
        return Err(StatsError::TooFewUnits {
            statistic: "rank intervals",
            unit: match resampled {
                Resampled::Items => "items",
                Resampled::Clusters => "clusters",
            },
            needed: 2,
            found: units,
        });
    }
    let Ok(unit_count) = u32::try_from(units) else {
        return Err(StatsError::InvalidParameter {
            name: "bootstrap units",
            value: units.to_string(),
            expected: "at most 4,294,967,295 items or clusters",
        });
    };
    let observed_counts: Vec<u64> = unit_sums
        .iter()
        .map(|sums| sums.iter().map(|&s| u64::from(s)).sum())
        .collect();
    let observed = competition_ranks(&observed_counts);

    let replicate_ranks: Vec<Vec<u32>> = (0..bootstrap.replicates)
        .into_par_iter()
        .map(|replicate| {
            let mut rng = replicate_stream(bootstrap.seed, u64::from(replicate));
            let mut weights = vec![0_u32; units];
            rng.positions(unit_count, |p| weights[p as usize] += 1);
            let counts: Vec<u64> = unit_sums
                .iter()
                .map(|sums| {
                    sums.iter()
                        .zip(&weights)
                        .map(|(&s, &w)| u64::from(s) * u64::from(w))
                        .sum()
                })
                .collect();
            competition_ranks(&counts)
        })
        .collect();

    let runs = board.names.len();
    let replicates = replicate_ranks.len();
    let tail = 0.5 * (1.0 - confidence);
    let entries = (0..runs)
        .map(|run| {
            let mut ranks: Vec<u32> = replicate_ranks.iter().map(|r| r[run]).collect();
            ranks.sort_unstable();
            let firsts = ranks.iter().filter(|&&r| r == 1).count();
            RankEntry {
                name: board.names[run].clone(),
                accuracy: observed_counts[run] as f64 / n as f64,
                rank: observed[run],
                rank_ci: [
                    inverted_cdf_quantile(&ranks, tail),
                    inverted_cdf_quantile(&ranks, 1.0 - tail),
                ],
                p_best: firsts as f64 / replicates as f64,
                mean_rank: ranks.iter().map(|&r| f64::from(r)).sum::<f64>() / replicates as f64,
            }
        })
        .collect();
    Ok(RankReport {
        n_items: n,
        exclusions: board.exclusions.clone(),
        policy: board.policy,
        confidence,
        bootstrap: BootstrapRecord {
            replicates: bootstrap.replicates,
            seed: bootstrap.seed,
            resampled,
            units,
        },
        entries,
    })
}

/// The `q`-quantile of sorted, non-empty `values` by the inverted empirical distribution: the
/// ⌈R·q⌉-th smallest (at least the first). R·q is rounded to 9 decimals first, so that 0.025 of
/// 10,000 replicates is the 250th value despite floating-point noise in 1 - 0.95.
fn inverted_cdf_quantile(sorted: &[u32], q: f64) -> u32 {
    let position = ((sorted.len() as f64 * q * 1e9).round() / 1e9).ceil() as usize;
    sorted[position.clamp(1, sorted.len()) - 1]
}

#[cfg(test)]
mod tests {
    use medeval_core::Outcome::{Correct as C, Error as E, Wrong as W};

    use super::*;

    #[test]
    fn competition_ranks_share_the_best_place_on_ties() {
        assert_eq!(competition_ranks(&[5, 7, 7, 1]), vec![3, 1, 1, 4]);
    }

    #[test]
    fn inverted_cdf_quantiles_pick_observed_ranks() {
        let ranks: Vec<u32> = (0..10_000).map(|i| if i < 250 { 1 } else { 2 }).collect();
        // The 250th smallest is 1, the 251st is 2.
        assert_eq!(inverted_cdf_quantile(&ranks, 0.5 * (1.0 - 0.95)), 1);
        assert_eq!(inverted_cdf_quantile(&ranks, 0.0251), 2);
        assert_eq!(inverted_cdf_quantile(&ranks, 0.0), 1);
        assert_eq!(inverted_cdf_quantile(&ranks, 1.0), 2);
    }

    #[test]
    fn a_dominant_run_is_always_first() {
        let n = 200;
        let strong: Vec<_> = (0..n).map(|i| if i % 10 == 0 { W } else { C }).collect();
        let weak: Vec<_> = (0..n).map(|i| if i % 2 == 0 { W } else { C }).collect();
        let board = Leaderboard::aligned::<u8>(
            vec![("weak".into(), weak), ("strong".into(), strong)],
            None,
            NonJudgementPolicy::Exclude,
        )
        .unwrap();
        let report = rank_intervals(
            &board,
            &Bootstrap {
                replicates: 500,
                seed: 1,
            },
            0.95,
        )
        .unwrap();
        assert_eq!(report.entries[1].rank, 1);
        assert_eq!(report.entries[1].rank_ci, [1, 1]);
        assert_eq!(report.entries[1].p_best, 1.0);
        assert_eq!(report.entries[0].rank_ci, [2, 2]);
        assert_eq!(report.entries[0].mean_rank, 2.0);
    }

    #[test]
    fn identical_runs_tie_for_first_in_every_replicate() {
        let outcomes = vec![C, W, C, C, W];
        let board = Leaderboard::aligned::<u8>(
            vec![("x".into(), outcomes.clone()), ("y".into(), outcomes)],
            None,
            NonJudgementPolicy::Exclude,
        )
        .unwrap();
        let report = rank_intervals(
            &board,
            &Bootstrap {
                replicates: 50,
                seed: 2,
            },
            0.95,
        )
        .unwrap();
        for entry in &report.entries {
            assert_eq!((entry.rank, entry.rank_ci, entry.p_best), (1, [1, 1], 1.0));
        }
    }

    #[test]
    fn join_keeps_items_every_run_has_and_counts_the_rest() {
        let record = |id, outcome| Record {
            id,
            outcome,
            cluster: None,
        };
        let runs = vec![
            (
                "a".to_owned(),
                vec![record("1", C), record("2", W), record("3", C)],
            ),
            (
                "b".to_owned(),
                vec![record("3", E), record("1", W), record("4", C)],
            ),
        ];
        let board = Leaderboard::join(runs, NonJudgementPolicy::Exclude).unwrap();
        // Common items: 1 and 3; 3 failed in b. Missing: 2 and 4.
        assert_eq!(board.n(), 1);
        assert_eq!(board.exclusions().missing_items, 2);
        assert_eq!(board.exclusions().excluded_items, 3);
        assert_eq!(board.exclusions().non_judgements[1].error, 1);
    }

    #[test]
    fn misaligned_runs_are_rejected() {
        let err = Leaderboard::aligned::<u8>(
            vec![("a".into(), vec![C, W]), ("b".into(), vec![C])],
            None,
            NonJudgementPolicy::Exclude,
        )
        .unwrap_err();
        assert!(err.to_string().contains("run b"), "{err}");
    }
}
