//! The shared vocabulary of medeval.
//!
//! Every other crate speaks in these types: an [`Item`] is one benchmark question, a [`Scored`]
//! sample is what a scorer concluded about one response, an [`Outcome`] is its verdict. This crate
//! does no I/O so that the types can be used anywhere, including in pure scoring code.

pub mod digest;
mod item;
mod outcome;

pub use item::{AnswerType, Image, Item, Letter, Meta, Options, YesNo};
pub use outcome::{Outcome, OutcomeCounts, Scored};
