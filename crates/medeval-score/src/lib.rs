//! Answer extraction and scoring: from a model's raw response to an [`Outcome`], by explicit,
//! ordered rules that never guess.
//!
//! Existing toolkits disagree on the same responses: substring yes/no tests read "no" inside
//! "nodule", unreadable multiple-choice answers become a random or "most similar" option and so
//! score at about chance. Here every sample gets a [`Scored`] that names the rule that read it
//! (`mcq:answer-phrase`, `closed:leading-word`, `unparsed:ambiguous` ...), and a response the
//! rules cannot read is `unparsed`, counted and shown, never replaced by a guess.
//!
//! # Pipeline
//!
//! [`score`] runs the same preparation for every answer type, then the type's scorer:
//!
//! 1. An API-level refusal (`message.refusal`) is `refused` (`refused:api`).
//! 2. Chat-template debris is removed (module `template`): special tokens such as `<|im_end|>`,
//!    an echoed prompt before the model's turn, invented turns after an end-of-turn token.
//! 3. Reasoning blocks (`<think>...</think>` and similar) are removed (module `reasoning`); the
//!    separate `reasoning_content` is never read for answers. Nothing left: `unparsed`.
//! 4. The text is put in Unicode NFKC, so full-width `Ｂ` and `：` read as `B` and `:`; a
//!    response that starts with an echoed `Q: ... A: ...` pair is read from its answer label.
//! 5. The scorer ([`mcq`], [`closed`], [`open`], [`report`]) reads committed answers first ("the
//!    answer is B", `\boxed{B}`, "答えは B", "Ответ: B"; the last one wins), then its own
//!    whole-response rules (a closed question's scorer also reads a restated finding relative
//!    to the question: module `finding`), then textual refusals, and otherwise reports why
//!    nothing was read.
//!
//! A response cut by the token limit ([`Response::truncated`](Response#structfield.truncated))
//! is read only where its answer was complete before the cut; anything else is
//! `unparsed:truncated`, so a cut text is never read as an answer it only looks like.
//!
//! The full ordered rule table with examples is `docs/scoring-rules.md`.
//!
//! # Versioning
//!
//! [`EXTRACTOR_VERSION`] is recorded in every run manifest, as the version of the rule scorer
//! ([`RuleScorer`], one [`Scorer`] among the kinds a run can use). Rule: **any change that can change
//! the outcome, the extracted answer or the rule name of any response changes the version** (a
//! new marker phrase, a new refusal phrase, a different normalisation, a reordered rule). Pure
//! refactors, documentation and speed-ups that leave every result identical keep it. Scores
//! computed under different versions are not comparable without re-scoring, which is cheap:
//! scoring is a pure function of (item, response, version).

mod commit;
mod finding;
mod letter;
mod nonanswer;
mod normalize;
mod options;
mod reasoning;
mod refusal;
mod scorer;
mod template;

pub mod closed;
pub mod mcq;
pub mod open;
pub mod report;

use std::borrow::Cow;

use medeval_core::{AnswerType, Item, Outcome, Scored};

pub use scorer::{RuleScorer, ScoreFuture, Scorer};

/// Version of the extraction rules; see the crate docs for when it changes. Version 3 added
/// answers in Japanese, Korean and Russian, chat-template debris, restated findings for closed
/// questions, non-answers to open questions and the truncation rules.
pub const EXTRACTOR_VERSION: &str = "3";

/// What a model returned for one request, as far as scoring is concerned.
///
/// The caller keeps the raw response; scoring only reads it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Response<'a> {
    /// The message content (`choices[0].message.content`); empty when the API sent `null`.
    pub content: &'a str,
    /// Chain-of-thought a reasoning parser returned separately (`reasoning_content`). Never read
    /// for answers: it only lets an empty answer be reported as `unparsed:reasoning-only`.
    pub reasoning: Option<&'a str>,
    /// The API-level refusal message (`message.refusal`), if the server sent one.
    pub refusal: Option<&'a str>,
    /// Whether generation stopped at the token limit (`finish_reason` `"length"`), so the
    /// content may end mid-answer. A cut response is read only where its answer was complete
    /// before the cut (rule `unparsed:truncated` otherwise); see `docs/scoring-rules.md`.
    pub truncated: bool,
}

impl<'a> Response<'a> {
    /// A response that is only message content.
    pub fn new(content: &'a str) -> Self {
        Self {
            content,
            reasoning: None,
            refusal: None,
            truncated: false,
        }
    }

    /// The same response with separately returned reasoning.
    pub fn with_reasoning(self, reasoning: &'a str) -> Self {
        Self {
            reasoning: Some(reasoning),
            ..self
        }
    }

    /// The same response, marked as cut by the token limit when `truncated` is true. Callers
    /// pass `finish_reason == Some("length")`: a cut text can look like an answer it is not
    /// ("a deficiency of vitamin B12 or" read as the option "Vitamin B12").
    pub fn truncated(self, truncated: bool) -> Self {
        Self { truncated, ..self }
    }

    /// The same response with an API-level refusal.
    pub fn with_refusal(self, refusal: &'a str) -> Self {
        Self {
            refusal: Some(refusal),
            ..self
        }
    }
}

/// Scores one response to one item, with the scorer its answer type calls for.
pub fn score(item: &Item, response: &Response<'_>) -> Scored {
    match item.answer_type() {
        AnswerType::Mcq => mcq::score(item, response),
        AnswerType::Closed => closed::score(item, response),
        AnswerType::Open => open::score(item, response),
        AnswerType::Report => report::score(item, response),
    }
}

/// Every rule name a scorer can record, in the order of `docs/scoring-rules.md`.
///
/// Multiple-choice rules that read a committed answer may carry a suffix naming how the letter
/// was read: `+text` (from the option's text, e.g. `mcq:answer-phrase+text`) or `+outside` (a
/// letter that is not among the options: outcome `wrong`). The list holds the base names.
pub const RULES: &[&str] = &[
    "refused:api",
    "unparsed:empty",
    "unparsed:reasoning-only",
    "unparsed:unterminated-reasoning",
    "error:invalid-gold",
    "mcq:boxed",
    "mcq:answer-tag",
    "mcq:json",
    "mcq:answer-phrase",
    "mcq:choice-phrase",
    "mcq:verdict-phrase",
    "mcq:bare-letter",
    "mcq:leading-letter",
    "mcq:final-line-letter",
    "mcq:option-text",
    "mcq:option-statement",
    "closed:boxed",
    "closed:answer-tag",
    "closed:json",
    "closed:answer-phrase",
    "closed:choice-phrase",
    "closed:leading-word",
    "closed:standalone-word",
    "closed:finding-statement",
    "closed:finding-ellipsis",
    "open:boxed",
    "open:answer-tag",
    "open:json",
    "open:answer-phrase",
    "open:choice-phrase",
    "open:whole-response",
    "unparsed:non-answer",
    "refused:phrase",
    "unparsed:ambiguous",
    "unparsed:letter-text-conflict",
    "unparsed:no-commitment",
    "unparsed:no-letter",
    "unparsed:no-yes-no",
    "unparsed:truncated",
    "report:generated",
];

/// The part of a response a judge reads: the message with chat-template debris, reasoning
/// blocks and an echoed question removed, in NFKC. `Err` carries the rules' verdict when
/// nothing is left to read (an API refusal, an empty or reasoning-only answer), so a judge is
/// never asked about an answer that is not there.
pub fn answer_text<'a>(response: &Response<'a>) -> Result<Cow<'a, str>, Scored> {
    prepare(response)
}

/// The preparation every scorer shares: API refusal, chat-template debris, reasoning removal,
/// NFKC, an echoed question. `Err` carries the final verdict when there is nothing left to read.
pub(crate) fn prepare<'a>(response: &Response<'a>) -> Result<Cow<'a, str>, Scored> {
    if response.refusal.is_some_and(|r| !r.trim().is_empty()) {
        return Err(Scored::new(Outcome::Refused, None, "refused:api"));
    }
    let text = match template::strip_tokens(response.content) {
        Cow::Borrowed(content) => readable(content, response)?,
        Cow::Owned(content) => Cow::Owned(readable(&content, response)?.into_owned()),
    };
    Ok(match template::strip_echoed_pair(&text) {
        Cow::Borrowed(_) => text,
        Cow::Owned(answer) => Cow::Owned(answer),
    })
}

/// `content` without reasoning blocks, in NFKC; `Err` when nothing is left to read.
fn readable<'a>(content: &'a str, response: &Response<'_>) -> Result<Cow<'a, str>, Scored> {
    let stripped = reasoning::strip(content);
    if stripped.text.trim().is_empty() {
        let rule = if stripped.unterminated {
            "unparsed:unterminated-reasoning"
        } else if stripped.had_reasoning || response.reasoning.is_some_and(|r| !r.trim().is_empty())
        {
            "unparsed:reasoning-only"
        } else {
            "unparsed:empty"
        };
        return Err(Scored::new(Outcome::Unparsed, None, rule));
    }
    Ok(match stripped.text {
        Cow::Borrowed(text) => normalize::canonical(text),
        Cow::Owned(text) => Cow::Owned(normalize::canonical(&text).into_owned()),
    })
}

/// The verdict for an item whose gold answer its scorer cannot read. Item readers reject such
/// items; this is a defensive outcome, never a judgement of the model.
pub(crate) fn invalid_gold() -> Scored {
    Scored::new(Outcome::Error, None, "error:invalid-gold")
}

#[cfg(test)]
mod tests {
    use super::*;
    use medeval_core::Gold;

    #[test]
    fn api_refusal_wins_over_content() {
        let response = Response::new("B").with_refusal("I can't help with that.");
        let err = prepare(&response).expect_err("refused");
        assert_eq!(
            (err.outcome, err.rule.as_str()),
            (Outcome::Refused, "refused:api")
        );
        assert!(prepare(&Response::new("B").with_refusal("  ")).is_ok());
    }

    #[test]
    fn nothing_to_read_says_why() {
        let rule = |r: Response<'_>| prepare(&r).expect_err("nothing to read").rule;
        assert_eq!(rule(Response::new("  \n")), "unparsed:empty");
        assert_eq!(
            rule(Response::new("").with_reasoning("A or B...")),
            "unparsed:reasoning-only"
        );
        assert_eq!(
            rule(Response::new("<think>A or B</think>")),
            "unparsed:reasoning-only"
        );
        assert_eq!(
            rule(Response::new("<think>A or B")),
            "unparsed:unterminated-reasoning"
        );
    }

    /// Model output is untrusted: no text may make a scorer panic. A fixed-seed sweep over
    /// strings built from the characters the rules look at (letters, brackets, CJK, full-width
    /// and combining characters, tags, braces, quotes).
    #[test]
    fn arbitrary_text_never_panics() {
        use medeval_core::{Item, Letter, Options};
        let pieces = [
            "A",
            "b",
            "I",
            "a",
            " ",
            "\n",
            ".",
            ")",
            "(",
            "**",
            "选项",
            "选",
            "项",
            "是",
            "否",
            "不",
            "没有",
            "答案",
            "：",
            "Ｂ",
            "，",
            "。",
            "é",
            "e\u{301}",
            "ﬁ",
            "’",
            "\\boxed{",
            "}",
            "{",
            "\"answer\": ",
            "\"",
            "<answer>",
            "</answer>",
            "<think>",
            "</think>",
            "answer is ",
            "Answer:",
            "I choose ",
            " is correct",
            "no",
            "yes",
            "Pneumonia",
            "肺炎",
            "/",
            "-",
            "x",
            "\u{200b}",
            "🙂",
            "ⅰ",
            "¼",
            "no ",
            "not ",
            "without ",
            "pleural effusion",
            "effusions",
            " is seen",
            ", ",
            " but ",
            " and ",
            " or ",
            "larger than ",
            "change in ",
            "enlarged",
            "spleen",
            "<|im_end|>",
            "<start_of_turn>model\n",
            "[/INST]",
            "</s>",
            "Q: ",
            "A: ",
            "答えは",
            "Ответ: ",
            "нет",
            "はい",
            "아니요",
            "です",
            "Not sure",
            "cannot be determined",
            ";",
            "?",
        ];
        let mut options = Options::new();
        for (l, t) in [('A', "Pneumonia"), ('B', "肺炎"), ('C', "No"), ('D', "A")] {
            options.insert(Letter::new(l).expect("letter"), t.to_owned());
        }
        let items: Vec<Item> = [
            (AnswerType::Mcq, "B", ""),
            (AnswerType::Closed, "yes", ""),
            (AnswerType::Closed, "yes", "Is there a pleural effusion?"),
            (AnswerType::Closed, "no", "Is the spleen enlarged?"),
            (AnswerType::Open, "left lung", ""),
        ]
        .into_iter()
        .map(|(answer_type, answer, question)| Item {
            id: "fuzz".into(),
            question: question.into(),
            images: vec![],
            options: if answer_type == AnswerType::Mcq {
                options.clone()
            } else {
                Options::new()
            },
            gold: Gold::read(answer_type, answer).unwrap(),
            meta: Default::default(),
            cluster: None,
        })
        .collect();
        let mut state: u64 = 7;
        for _ in 0..4000 {
            let mut text = String::new();
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            let len = (state >> 59) as usize + 1;
            for _ in 0..len * 2 {
                state = state
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1);
                text.push_str(pieces[(state >> 33) as usize % pieces.len()]);
            }
            for item in &items {
                for cut in [false, true] {
                    let scored = score(item, &Response::new(&text).truncated(cut));
                    // An answer is extracted exactly when it is judged.
                    let judged = matches!(scored.outcome, Outcome::Correct | Outcome::Wrong);
                    assert_eq!(judged, scored.extracted.is_some(), "{text:?}: {scored:?}");
                }
            }
        }
    }

    #[test]
    fn prepared_text_is_nfkc_without_reasoning() {
        let text = prepare(&Response::new("<think>Ａ?</think>答案：Ｂ")).expect("text");
        assert_eq!(text, "答案:B");
    }
}
