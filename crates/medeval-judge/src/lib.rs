//! A model as judge: open answers graded by a second model behind an OpenAI-compatible
//! endpoint, under a versioned spec, with tri-state verdicts and every reply cached.
//!
//! ```text
//! item + candidate answer --render (spec template, answer fenced)--> judge prompt
//!   --Judge (cache? else ChatClient, every sampling setting sent)--> reply
//!   --verdict (fail-closed: last line / all matches agree / JSON bool)--> met | not met | unjudged
//!   --JudgeScorer--> Scored (rule judge:*, rules' reading kept beside it)
//! ```
//!
//! What this crate guarantees, each against a bug the field's judges have shipped:
//!
//! - a failed, refused, truncated or unreadable judgement is `unjudged` with its reason, never
//!   "wrong" and never 0 silently (it is `unparsed` for the run's non-answer policy, and counted);
//! - verdict values are compared whole (`INCORRECT` is not `CORRECT`), disagreeing matches are no
//!   verdict, and unreadable replies are asked again a bounded number of times;
//! - the candidate's text cannot close the template's markers or hand the judge a verdict
//!   ([`render`]);
//! - a judge never silently turns into exact matching: when it cannot be reached the run says
//!   so per sample;
//! - multiple-choice and closed items stay with the rules unless asked, so no item is counted
//!   twice;
//! - the judge's spec hash, model, temperature and scope are the scorer's identity, printed
//!   beside every judged number and checked before a stored run is continued.

mod judge;
pub mod render;
mod scorer;
mod spec;
pub mod verdict;

pub use judge::{Decision, Judge, JudgeCache, JudgeSampling};
pub use scorer::{
    JudgeScope, JudgeScorer, MET_RULE, NOT_MET_RULE, UNJUDGED_RULE_PREFIX, judge_identity,
    rule_name,
};
pub use spec::{DEFAULT_SPEC, JudgeSpec, PLACEHOLDERS, SpecError};
pub use verdict::{Judgement, Unjudged};
