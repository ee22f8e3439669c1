//! Inputs: one run's outcomes, or two runs' outcomes paired item by item, with cluster keys.
//!
//! These types apply the [`NonJudgementPolicy`] once, at construction, and remember what it did,
//! so that every statistic computed from them can report it. Cluster keys (the image, study or
//! patient an item shares with others) are turned into dense numbers here; an item without a key
//! is a cluster of its own.
//!
//! Order matters for reproducibility: the bootstrap draws item (or cluster) positions, so the
//! same seed gives the same replicates only for the same item order. Feed items in a stable order
//! (the store's order, or sorted by id).

use std::collections::{HashMap, HashSet};
use std::hash::Hash;

use medeval_core::Outcome;
use serde::{Deserialize, Serialize};

use crate::error::{Result, StatsError};
use crate::policy::{NonJudgementCounts, NonJudgementPolicy};

/// Dense cluster numbers (0, 1, 2, ...) for a list of items, in order of first appearance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clusters {
    ids: Vec<u32>,
    count: usize,
    unkeyed: usize,
}

impl Clusters {
    /// Numbers the clusters of `keys`, one key per item; an item whose key is `None` gets a
    /// cluster of its own.
    pub fn from_keys<K: Hash + Eq>(keys: impl IntoIterator<Item = Option<K>>) -> Self {
        let mut builder = ClusterBuilder::default();
        for key in keys {
            builder.push(key);
        }
        builder.finish()
    }

    /// The cluster number of each item.
    pub fn ids(&self) -> &[u32] {
        &self.ids
    }

    /// How many clusters there are.
    pub fn count(&self) -> usize {
        self.count
    }

    /// How many items had no cluster key (each is a cluster of its own).
    pub fn unkeyed(&self) -> usize {
        self.unkeyed
    }

    /// Per cluster: the sum of `values` over its items and its number of items.
    pub(crate) fn totals<T: Copy + Into<i64>>(&self, values: &[T]) -> (Vec<i64>, Vec<u32>) {
        let mut sums = vec![0_i64; self.count];
        let mut sizes = vec![0_u32; self.count];
        for (&id, &value) in self.ids.iter().zip(values) {
            sums[id as usize] += value.into();
            sizes[id as usize] += 1;
        }
        (sums, sizes)
    }

    /// Singleton clusters for `n` items.
    pub(crate) fn singletons(n: usize) -> Self {
        Self {
            ids: (0..n as u32).collect(),
            count: n,
            unkeyed: n,
        }
    }
}

/// Assigns dense cluster numbers while items are read.
struct ClusterBuilder<K> {
    numbers: HashMap<K, u32>,
    ids: Vec<u32>,
    count: u32,
    unkeyed: usize,
}

impl<K> Default for ClusterBuilder<K> {
    fn default() -> Self {
        Self {
            numbers: HashMap::new(),
            ids: Vec::new(),
            count: 0,
            unkeyed: 0,
        }
    }
}

impl<K: Hash + Eq> ClusterBuilder<K> {
    fn push(&mut self, key: Option<K>) {
        let id = match key {
            Some(key) => *self.numbers.entry(key).or_insert_with(|| {
                self.count += 1;
                self.count - 1
            }),
            None => {
                self.unkeyed += 1;
                self.count += 1;
                self.count - 1
            }
        };
        self.ids.push(id);
    }

    fn finish(self) -> Clusters {
        Clusters {
            ids: self.ids,
            count: self.count as usize,
            unkeyed: self.unkeyed,
        }
    }
}

/// One run's items, judged correct or wrong under a [`NonJudgementPolicy`].
#[derive(Debug, Clone)]
pub struct RunOutcomes {
    policy: NonJudgementPolicy,
    correct: Vec<bool>,
    clusters: Option<Clusters>,
    non_judgements: NonJudgementCounts,
}

impl RunOutcomes {
    /// A run whose items are independent (no cluster keys).
    pub fn new(outcomes: impl IntoIterator<Item = Outcome>, policy: NonJudgementPolicy) -> Self {
        let mut run = Self::empty(policy);
        for outcome in outcomes {
            if let Some(correct) = run.judge(outcome) {
                run.correct.push(correct);
            }
        }
        run
    }

    /// A run whose items carry cluster keys; an item with key `None` is a cluster of its own.
    pub fn clustered<K: Hash + Eq>(
        items: impl IntoIterator<Item = (Outcome, Option<K>)>,
        policy: NonJudgementPolicy,
    ) -> Self {
        let mut run = Self::empty(policy);
        let mut clusters = ClusterBuilder::default();
        for (outcome, key) in items {
            if let Some(correct) = run.judge(outcome) {
                run.correct.push(correct);
                clusters.push(key);
            }
        }
        run.clusters = Some(clusters.finish());
        run
    }

    fn empty(policy: NonJudgementPolicy) -> Self {
        Self {
            policy,
            correct: Vec::new(),
            clusters: None,
            non_judgements: NonJudgementCounts::default(),
        }
    }

    fn judge(&mut self, outcome: Outcome) -> Option<bool> {
        self.non_judgements.record(outcome);
        self.policy.judge(outcome)
    }

    /// The policy the outcomes were judged under.
    pub fn policy(&self) -> NonJudgementPolicy {
        self.policy
    }

    /// Per retained item: whether it counts as correct.
    pub fn judgements(&self) -> &[bool] {
        &self.correct
    }

    /// Number of items the statistics are computed on.
    pub fn n(&self) -> u64 {
        self.correct.len() as u64
    }

    /// Number of those items that count as correct.
    pub fn correct(&self) -> u64 {
        self.correct.iter().filter(|&&c| c).count() as u64
    }

    /// Non-judgements seen, by kind (excluded or counted as wrong, depending on the policy).
    pub fn non_judgements(&self) -> NonJudgementCounts {
        self.non_judgements
    }

    /// Number of items left out (non-zero only under [`NonJudgementPolicy::Exclude`]).
    pub fn excluded(&self) -> u64 {
        match self.policy {
            NonJudgementPolicy::Exclude => self.non_judgements.total(),
            NonJudgementPolicy::CountAsWrong => 0,
        }
    }

    /// The clusters of the retained items, if the run was built with cluster keys.
    pub fn clusters(&self) -> Option<&Clusters> {
        self.clusters.as_ref()
    }
}

/// One item of one run, for pairing runs by item id with [`PairedOutcomes::join`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Record<'a> {
    /// The item id, unique within the run.
    pub id: &'a str,
    /// The item's outcome in this run.
    pub outcome: Outcome,
    /// The item's cluster key (image, study, patient), if the benchmark has one.
    pub cluster: Option<&'a str>,
}

/// Why items of two runs were left out of a paired comparison, by reason.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PairedExclusions {
    /// Items run A has and run B does not.
    pub only_in_a: u64,
    /// Items run B has and run A does not.
    pub only_in_b: u64,
    /// Non-judgements of run A among the items both runs have. Excluded or counted as wrong,
    /// depending on the policy.
    pub non_judgements_a: NonJudgementCounts,
    /// Non-judgements of run B among the items both runs have.
    pub non_judgements_b: NonJudgementCounts,
    /// Distinct items left out for any of the reasons above (an item both runs failed on is
    /// counted once).
    pub excluded_items: u64,
}

/// Two runs' outcomes on the items both answered, paired item by item.
#[derive(Debug, Clone)]
pub struct PairedOutcomes {
    policy: NonJudgementPolicy,
    a: Vec<bool>,
    b: Vec<bool>,
    positions: Vec<usize>,
    clusters: Option<Clusters>,
    exclusions: PairedExclusions,
}

impl PairedOutcomes {
    /// Pairs given in order, `(outcome in A, outcome in B)`, items independent.
    pub fn new(
        pairs: impl IntoIterator<Item = (Outcome, Outcome)>,
        policy: NonJudgementPolicy,
    ) -> Self {
        let mut paired = Self::empty(policy);
        for (position, (a, b)) in pairs.into_iter().enumerate() {
            paired.push(position, a, b);
        }
        paired
    }

    /// Pairs given in order with the item's cluster key; `None` is a cluster of its own.
    pub fn clustered<K: Hash + Eq>(
        pairs: impl IntoIterator<Item = (Outcome, Outcome, Option<K>)>,
        policy: NonJudgementPolicy,
    ) -> Self {
        let mut paired = Self::empty(policy);
        let mut clusters = ClusterBuilder::default();
        for (position, (a, b, key)) in pairs.into_iter().enumerate() {
            if paired.push(position, a, b) {
                clusters.push(key);
            }
        }
        paired.clusters = Some(clusters.finish());
        paired
    }

    /// Pairs two runs by item id. Items only one run has are counted and left out; pairs keep
    /// run A's order, and [`PairedOutcomes::positions`] refer to positions in `a`.
    ///
    /// Cluster keys are taken from either run; the pairs are clustered when any record has a
    /// key. Errors on an id repeated within a run, or on an item whose two runs give different
    /// cluster keys.
    pub fn join<'a>(
        a: impl IntoIterator<Item = Record<'a>>,
        b: impl IntoIterator<Item = Record<'a>>,
        policy: NonJudgementPolicy,
    ) -> Result<Self> {
        let mut in_b: HashMap<&str, Record<'a>> = HashMap::new();
        for record in b {
            if in_b.insert(record.id, record).is_some() {
                return Err(StatsError::DuplicateId {
                    run: "B".into(),
                    id: record.id.into(),
                });
            }
        }
        let mut paired = Self::empty(policy);
        let mut seen_in_a: HashSet<&str> = HashSet::new();
        let mut keys: Vec<Option<&str>> = Vec::new();
        let mut matched = 0_u64;
        for (position, record_a) in a.into_iter().enumerate() {
            if !seen_in_a.insert(record_a.id) {
                return Err(StatsError::DuplicateId {
                    run: "A".into(),
                    id: record_a.id.into(),
                });
            }
            let Some(record_b) = in_b.get(record_a.id) else {
                paired.exclusions.only_in_a += 1;
                paired.exclusions.excluded_items += 1;
                continue;
            };
            matched += 1;
            let key = shared_cluster_key(&record_a, record_b)?;
            if paired.push(position, record_a.outcome, record_b.outcome) {
                keys.push(key);
            }
        }
        let only_in_b = in_b.len() as u64 - matched;
        paired.exclusions.only_in_b = only_in_b;
        paired.exclusions.excluded_items += only_in_b;
        if keys.iter().any(Option::is_some) {
            paired.clusters = Some(Clusters::from_keys(keys));
        }
        Ok(paired)
    }

    fn empty(policy: NonJudgementPolicy) -> Self {
        Self {
            policy,
            a: Vec::new(),
            b: Vec::new(),
            positions: Vec::new(),
            clusters: None,
            exclusions: PairedExclusions::default(),
        }
    }

    /// Records one pair; returns whether it was kept.
    fn push(&mut self, position: usize, a: Outcome, b: Outcome) -> bool {
        let a_failed = self.exclusions.non_judgements_a.record(a);
        let b_failed = self.exclusions.non_judgements_b.record(b);
        match (self.policy.judge(a), self.policy.judge(b)) {
            (Some(a), Some(b)) => {
                self.a.push(a);
                self.b.push(b);
                self.positions.push(position);
                true
            }
            _ => {
                debug_assert!(a_failed || b_failed);
                self.exclusions.excluded_items += 1;
                false
            }
        }
    }

    /// The policy the outcomes were judged under.
    pub fn policy(&self) -> NonJudgementPolicy {
        self.policy
    }

    /// Number of pairs the comparison is computed on.
    pub fn n(&self) -> u64 {
        self.a.len() as u64
    }

    /// Per pair: whether run A counts as correct.
    pub fn a(&self) -> &[bool] {
        &self.a
    }

    /// Per pair: whether run B counts as correct.
    pub fn b(&self) -> &[bool] {
        &self.b
    }

    /// Per pair: its position in the input (in run A's input for [`PairedOutcomes::join`]).
    pub fn positions(&self) -> &[usize] {
        &self.positions
    }

    /// Items left out, by reason.
    pub fn exclusions(&self) -> PairedExclusions {
        self.exclusions
    }

    /// The clusters of the pairs, if any cluster keys were given.
    pub fn clusters(&self) -> Option<&Clusters> {
        self.clusters.as_ref()
    }

    /// The discordant pairs: the items worth looking at.
    pub fn discordant(&self) -> Discordant {
        let mut discordant = Discordant::default();
        for ((&a, &b), &position) in self.a.iter().zip(&self.b).zip(&self.positions) {
            match (a, b) {
                (true, false) => discordant.a_right_b_wrong.push(position),
                (false, true) => discordant.a_wrong_b_right.push(position),
                _ => {}
            }
        }
        discordant
    }
}

/// The cluster key two runs agree on for one item.
fn shared_cluster_key<'a>(a: &Record<'a>, b: &Record<'a>) -> Result<Option<&'a str>> {
    match (a.cluster, b.cluster) {
        (Some(first), Some(second)) if first != second => Err(StatsError::ClusterMismatch {
            id: a.id.into(),
            first_run: "A".into(),
            first: first.into(),
            second_run: "B".into(),
            second: second.into(),
        }),
        (first, second) => Ok(first.or(second)),
    }
}

/// Positions (see [`PairedOutcomes::positions`]) of the discordant pairs, in input order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Discordant {
    /// Items A got right and B got wrong: the `b` cell of McNemar's table.
    pub a_right_b_wrong: Vec<usize>,
    /// Items A got wrong and B got right: the `c` cell of McNemar's table.
    pub a_wrong_b_right: Vec<usize>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use Outcome::{Correct as C, Error as E, Refused as R, Unparsed as U, Wrong as W};

    #[test]
    fn clusters_are_numbered_by_first_appearance_and_unkeyed_items_stand_alone() {
        let clusters = Clusters::from_keys([Some("x"), None, Some("y"), Some("x"), None]);
        assert_eq!(clusters.ids(), &[0, 1, 2, 0, 3]);
        assert_eq!(clusters.count(), 4);
        assert_eq!(clusters.unkeyed(), 2);
    }

    #[test]
    fn run_outcomes_apply_the_policy_and_count_what_it_did() {
        let outcomes = [C, W, U, R, E, C];
        let excluded = RunOutcomes::new(outcomes, NonJudgementPolicy::Exclude);
        assert_eq!(
            (excluded.n(), excluded.correct(), excluded.excluded()),
            (3, 2, 3)
        );
        let counted = RunOutcomes::new(outcomes, NonJudgementPolicy::CountAsWrong);
        assert_eq!(
            (counted.n(), counted.correct(), counted.excluded()),
            (6, 2, 0)
        );
        assert_eq!(counted.non_judgements(), excluded.non_judgements());
        assert_eq!(counted.non_judgements().total(), 3);
    }

    #[test]
    fn clustered_runs_number_only_retained_items() {
        let run = RunOutcomes::clustered(
            [(C, Some("a")), (E, Some("b")), (W, Some("a")), (W, None)],
            NonJudgementPolicy::Exclude,
        );
        let clusters = run.clusters().unwrap();
        assert_eq!(clusters.ids(), &[0, 0, 1]);
        assert_eq!(clusters.count(), 2);
    }

    #[test]
    fn join_pairs_by_id_and_explains_every_exclusion() {
        let record = |id, outcome| Record {
            id,
            outcome,
            cluster: None,
        };
        let a = [
            record("1", C),
            record("2", W),
            record("3", E),
            record("4", U),
            record("5", C),
        ];
        let b = [
            record("5", W),
            record("4", R),
            record("2", C),
            record("1", C),
            record("9", C),
        ];
        let paired = PairedOutcomes::join(a, b, NonJudgementPolicy::Exclude).unwrap();
        // 1 and 2 and 5 are kept (in A's order); 3 is only in A; 4 failed in both runs; 9 only in B.
        assert_eq!(paired.positions(), &[0, 1, 4]);
        assert_eq!(paired.a(), &[true, false, true]);
        assert_eq!(paired.b(), &[true, true, false]);
        let exclusions = paired.exclusions();
        assert_eq!(exclusions.only_in_a, 1);
        assert_eq!(exclusions.only_in_b, 1);
        assert_eq!(exclusions.non_judgements_a.total(), 1);
        assert_eq!(exclusions.non_judgements_b.refused, 1);
        assert_eq!(exclusions.excluded_items, 3);
        assert!(paired.clusters().is_none());
        let discordant = paired.discordant();
        assert_eq!(discordant.a_right_b_wrong, vec![4]);
        assert_eq!(discordant.a_wrong_b_right, vec![1]);
    }

    #[test]
    fn join_rejects_repeated_ids_and_conflicting_cluster_keys() {
        let a = [
            Record {
                id: "1",
                outcome: C,
                cluster: Some("img1"),
            },
            Record {
                id: "1",
                outcome: W,
                cluster: Some("img1"),
            },
        ];
        let err = PairedOutcomes::join(a, [], NonJudgementPolicy::Exclude).unwrap_err();
        assert_eq!(
            err,
            StatsError::DuplicateId {
                run: "A".into(),
                id: "1".into()
            }
        );
        let a = [Record {
            id: "1",
            outcome: C,
            cluster: Some("img1"),
        }];
        let b = [Record {
            id: "1",
            outcome: C,
            cluster: Some("img2"),
        }];
        let err = PairedOutcomes::join(a, b, NonJudgementPolicy::Exclude).unwrap_err();
        assert!(matches!(err, StatsError::ClusterMismatch { .. }));
        assert!(err.to_string().contains("img2"));
    }

    #[test]
    fn join_takes_cluster_keys_from_either_run() {
        let a = [
            Record {
                id: "1",
                outcome: C,
                cluster: Some("img1"),
            },
            Record {
                id: "2",
                outcome: C,
                cluster: None,
            },
        ];
        let b = [
            Record {
                id: "2",
                outcome: W,
                cluster: Some("img1"),
            },
            Record {
                id: "1",
                outcome: W,
                cluster: None,
            },
        ];
        let paired = PairedOutcomes::join(a, b, NonJudgementPolicy::CountAsWrong).unwrap();
        assert_eq!(paired.clusters().unwrap().ids(), &[0, 0]);
    }
}
