//! The seam every way of scoring shares: a [`Scorer`] has an identity recorded in the run's
//! manifest and turns (item, response) into a [`Scored`].
//!
//! The rule scorer ([`RuleScorer`], this crate's extraction rules) is the first; a judge
//! scorer (a second model behind an endpoint), a box scorer and a rubric scorer are its peers.
//! Scoring is asynchronous because a judge waits on the network; the rules answer at once.
//! Rescoring a stored run goes through the same trait, so a run is always scored by exactly
//! the scorer its manifest names.

use std::future::Future;
use std::pin::Pin;

use medeval_core::{Item, Scored, ScorerId};

use crate::{EXTRACTOR_VERSION, Response};

/// A verdict on its way: ready at once for rules, after a request for a judge.
pub type ScoreFuture<'a> = Pin<Box<dyn Future<Output = Scored> + Send + 'a>>;

/// Turns a model's response to an item into a verdict.
///
/// Contract: the verdict is a function of (item, response, [`Scorer::id`]) alone, so a stored
/// run can be scored again and give the same numbers; a response the scorer cannot judge is
/// `unparsed` (or `error` when the scorer itself failed), never a guess.
pub trait Scorer: Send + Sync + std::fmt::Debug {
    /// Who scores, and which version of it; recorded in the manifest.
    fn id(&self) -> ScorerId;

    /// The verdict on `response` to `item`.
    fn score<'a>(&'a self, item: &'a Item, response: Response<'a>) -> ScoreFuture<'a>;
}

/// The versioned extraction rules of this crate ([`crate::score`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RuleScorer;

impl Scorer for RuleScorer {
    fn id(&self) -> ScorerId {
        ScorerId::rules(EXTRACTOR_VERSION)
    }

    fn score<'a>(&'a self, item: &'a Item, response: Response<'a>) -> ScoreFuture<'a> {
        Box::pin(std::future::ready(crate::score(item, &response)))
    }
}
