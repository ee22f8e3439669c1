//! The one error type of the crate.
//!
//! Every statistic either returns a number that means what its documentation says or one of these
//! errors; none returns NaN, and none panics on user data.

use thiserror::Error;

/// Why a statistic could not be computed.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum StatsError {
    /// No items were left to compute the statistic from (n = 0), e.g. every item was excluded.
    #[error("{statistic} needs at least one item, but none were left ({excluded} excluded)")]
    NoItems {
        /// The statistic that was asked for.
        statistic: &'static str,
        /// How many items were excluded before the statistic was computed.
        excluded: u64,
    },

    /// A count of successes larger than the number of trials.
    #[error("{successes} successes out of {trials} trials is impossible")]
    CountsExceedTrials {
        /// The number of successes given.
        successes: u64,
        /// The number of trials given.
        trials: u64,
    },

    /// A statistic needs more independent units (items or clusters) than the data has: a
    /// cluster-robust standard error with one cluster, a bootstrap of a single item.
    #[error("{statistic} needs at least {needed} {unit}, but the data has {found}")]
    TooFewUnits {
        /// The statistic that was asked for.
        statistic: &'static str,
        /// What is being counted (`clusters`, `items`).
        unit: &'static str,
        /// How many the statistic needs.
        needed: usize,
        /// How many the data has.
        found: usize,
    },

    /// A parameter outside its domain (a confidence level of 1.2, zero bootstrap replicates ...).
    #[error("{name} = {value} is invalid: {expected}")]
    InvalidParameter {
        /// The parameter's name as the caller knows it.
        name: &'static str,
        /// The value given, rendered as text.
        value: String,
        /// What a valid value looks like.
        expected: &'static str,
    },

    /// Inputs that must describe the same items have different lengths.
    #[error("{what}: expected {expected} entries, found {found}")]
    LengthMismatch {
        /// Which input is the wrong length.
        what: String,
        /// The length it should have.
        expected: usize,
        /// The length it has.
        found: usize,
    },

    /// The same item id appears twice in one run, so items cannot be paired unambiguously.
    #[error("item id {id:?} appears more than once in run {run}")]
    DuplicateId {
        /// The run (as named by the caller: `A`, `B`, or a leaderboard name).
        run: String,
        /// The repeated item id.
        id: String,
    },

    /// Two runs give different cluster keys for the same item id.
    #[error(
        "item id {id:?} has cluster key {first:?} in run {first_run} but {second:?} in run {second_run}"
    )]
    ClusterMismatch {
        /// The item id.
        id: String,
        /// The run that gave the first key.
        first_run: String,
        /// The first key.
        first: String,
        /// The run that gave the second key.
        second_run: String,
        /// The second key.
        second: String,
    },

    /// A p-value outside [0, 1] (or NaN) given to a multiple-comparison correction.
    #[error("p-value at position {index} is {value}, outside [0, 1]")]
    InvalidPValue {
        /// Zero-based position of the p-value in the input.
        index: usize,
        /// The value given.
        value: f64,
    },

    /// The requested effect cannot be detected at the requested power with the given items (the
    /// power stays below target even for the largest effect the design allows).
    #[error("no effect up to {largest_effect} reaches power {power} with {items} items")]
    NotDetectable {
        /// The number of items (after the design effect).
        items: f64,
        /// The target power.
        power: f64,
        /// The largest effect the design allows.
        largest_effect: f64,
    },
}

/// Shorthand for results of this crate.
pub type Result<T, E = StatsError> = std::result::Result<T, E>;

/// Checks that `confidence` is a usable confidence level, strictly between 0 and 1.
pub(crate) fn check_confidence(confidence: f64) -> Result<()> {
    if confidence > 0.0 && confidence < 1.0 {
        Ok(())
    } else {
        Err(StatsError::InvalidParameter {
            name: "confidence",
            value: confidence.to_string(),
            expected: "a number strictly between 0 and 1, such as 0.95",
        })
    }
}
