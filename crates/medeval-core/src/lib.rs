//! The shared vocabulary of medeval.
//!
//! Every other crate speaks in these types: an [`Item`] is one benchmark question, a
//! [`PromptTemplate`] turns it into what a model sees, a [`Scored`] sample is what a scorer
//! concluded about one response, an [`Outcome`] is its verdict, and a [`RunManifest`] pins
//! everything that can change a number. This crate does no I/O so that the types can be used
//! anywhere, including in pure scoring code.

mod completion;
pub mod digest;
mod gold;
mod item;
pub mod limits;
mod manifest;
mod outcome;
mod prompt;
mod rng;

pub use completion::{Completion, Usage};
pub use gold::{Gold, GoldError};
pub use item::{
    AnswerType, Corruption, Image, ImageSource, ImageTransform, Item, Letter, Meta, Options, YesNo,
};
pub use manifest::{
    CardRecord, Decoding, FileDigest, ImageEncoding, ImageGeometry, ImagePolicy, ItemsSource,
    JudgeRecord, ModelKind, ModelRecord, RunManifest, ScorerId, short_hash,
};
pub use outcome::{Outcome, OutcomeCounts, Scored};
pub use prompt::{PromptPart, PromptTemplate, RenderedPrompt};
pub use rng::SplitMix64;
