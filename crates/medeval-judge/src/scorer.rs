//! The judge as a scorer: a peer of the rule scorer behind `medeval_score::Scorer`.
//!
//! The judge decides open answers (and, when asked, the multiple-choice and closed answers the
//! rules declined); everything else is scored by the rules alone, so no item is ever counted
//! by both. For a judged answer the rules' reading is kept beside the verdict: the sample
//! keeps the rules' extracted answer and token scores, plus `rule_match` (1 when the rules'
//! normalised match said correct, 0 when it said wrong), so the share of items where rule and
//! judge disagree can be reported.
//!
//! Rules recorded: `judge:met`, `judge:not-met`, `judge:unjudged:REASON` (outcome `unparsed`,
//! so the run's non-answer policy decides how it counts, and the count is shown).

use std::sync::Arc;

use medeval_core::{AnswerType, Item, JudgeRecord, Outcome, Scored, ScorerId};
use medeval_score::{EXTRACTOR_VERSION, Response, ScoreFuture, Scorer, answer_text};

use crate::judge::{Judge, JudgeSampling};
use crate::render::{Fields, render};
use crate::spec::JudgeSpec;
use crate::verdict::{Judgement, Unjudged};

/// Which answers a judge decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum JudgeScope {
    /// Open answers only (the default): the rules keep multiple-choice and closed items.
    #[default]
    Open,
    /// Open answers, and multiple-choice or closed answers the rules could not read
    /// (`unparsed`), recorded under the judge's rules and counted apart.
    OpenAndUnparsed,
}

impl JudgeScope {
    /// The name recorded in the scorer's identity.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::OpenAndUnparsed => "open+unparsed",
        }
    }
}

/// The rule of an answer the judge says meets the criterion.
pub const MET_RULE: &str = "judge:met";
/// The rule of an answer the judge says does not.
pub const NOT_MET_RULE: &str = "judge:not-met";
/// The prefix of the rule of an answer without a verdict; the reason follows it.
pub const UNJUDGED_RULE_PREFIX: &str = "judge:unjudged:";

/// The rule name of a judge's verdict.
pub fn rule_name(judgement: &Judgement) -> String {
    match judgement {
        Judgement::Met => MET_RULE.into(),
        Judgement::NotMet => NOT_MET_RULE.into(),
        Judgement::Unjudged(why) => format!("{UNJUDGED_RULE_PREFIX}{}", why.reason()),
    }
}

/// The identity a judge scorer records, computable before any client exists (a run's
/// manifest is built before its endpoints are contacted).
pub fn judge_identity(
    spec: &JudgeSpec,
    model: &str,
    sampling: &JudgeSampling,
    scope: JudgeScope,
) -> ScorerId {
    ScorerId::judge(JudgeRecord {
        model: model.to_owned(),
        spec: spec.name().to_owned(),
        spec_hash: spec.hash().to_owned(),
        temperature: sampling.temperature.to_string(),
        max_tokens: sampling.max_tokens,
        scope: scope.as_str().to_owned(),
        extractor: EXTRACTOR_VERSION.to_owned(),
    })
}

/// Scores with a judge where it applies and with the rules elsewhere.
#[derive(Debug, Clone)]
pub struct JudgeScorer {
    judge: Arc<Judge>,
    scope: JudgeScope,
}

impl JudgeScorer {
    /// A scorer asking `judge` about the answers `scope` covers.
    pub fn new(judge: Judge, scope: JudgeScope) -> Self {
        Self {
            judge: Arc::new(judge),
            scope,
        }
    }

    fn judges(&self, item: &Item, rules: &Scored) -> bool {
        match item.answer_type() {
            AnswerType::Open => true,
            AnswerType::Mcq | AnswerType::Closed => {
                self.scope == JudgeScope::OpenAndUnparsed && rules.outcome == Outcome::Unparsed
            }
            AnswerType::Report => false,
        }
    }

    async fn judged(&self, item: &Item, response: Response<'_>) -> Scored {
        let rules = medeval_score::score(item, &response);
        if !self.judges(item, &rules) || matches!(rules.outcome, Outcome::Refused | Outcome::Error)
        {
            return rules;
        }
        let judgement = match answer_text(&response) {
            Ok(answer) => {
                let prompt = render(self.judge.spec(), &Fields::for_item(item, &answer));
                self.judge.decide(&prompt).await.judgement
            }
            Err(_) => Judgement::Unjudged(Unjudged::EmptyCandidate),
        };
        let outcome = match judgement {
            Judgement::Met => Outcome::Correct,
            Judgement::NotMet => Outcome::Wrong,
            Judgement::Unjudged(_) => Outcome::Unparsed,
        };
        let mut metrics = rules.metrics;
        match rules.outcome {
            Outcome::Correct => {
                metrics.insert("rule_match".into(), 1.0);
            }
            Outcome::Wrong => {
                metrics.insert("rule_match".into(), 0.0);
            }
            _ => {}
        }
        Scored {
            outcome,
            extracted: rules.extracted,
            rule: rule_name(&judgement),
            metrics,
        }
    }
}

impl Scorer for JudgeScorer {
    fn id(&self) -> ScorerId {
        judge_identity(
            self.judge.spec(),
            self.judge.model(),
            &self.judge.settings(),
            self.scope,
        )
    }

    fn score<'a>(&'a self, item: &'a Item, response: Response<'a>) -> ScoreFuture<'a> {
        Box::pin(self.judged(item, response))
    }
}
