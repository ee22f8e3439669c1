//! Chat-template debris: special tokens, role headers and echoed prompts around an answer.
//!
//! Servers that do not strip a model's special tokens, or that stop generating only at the token
//! limit, return them as text: `B<|im_end|>`, `<start_of_turn>model\nB<end_of_turn>`,
//! `[INST] ... [/INST] B`, and after an end-of-turn token often an invented next turn
//! (`<|im_start|>user\nAre you sure?...`). Read as text they make `B<|im_end|>` an open answer
//! "b im end" and let an invented turn override the real answer, so they are removed before any
//! rule runs. Three kinds of token:
//!
//! | kind | tokens | reading |
//! |---|---|---|
//! | filler | `<s>`, `<bos>`, `<pad>` | removed |
//! | start of the model's turn | `<\|im_start\|>assistant`, `<start_of_turn>model`, `<\|start_header_id\|>assistant<\|end_header_id\|>`, `<\|assistant\|>`, `[/INST]`, `ASSISTANT:` or `Assistant:` at a line start | everything before it is prompt echo and removed |
//! | end of a turn, start of another | `<\|im_end\|>`, `<\|eot_id\|>`, `<\|eom_id\|>`, `<\|end\|>`, `<end_of_turn>`, `</s>`, `<eos>`, `<\|endoftext\|>`, `<\|end_of_text\|>`; `<\|im_start\|>user`, `<start_of_turn>user`, `<\|user\|>`, `[INST]`, `USER:`/`Human:` at a line start | the answer ends here once it has begun; before that, an opening prompt turn is skipped |
//!
//! A response that starts by echoing a question-answer pair (`Q: ... A: B`, `Question: ...
//! Answer: B`) is read from its first answer label: `A:` there labels the answer, not option A.
//! Pairs the model invents after that (`Q: ... A: ...` on later lines) are not its answer to
//! this question and are dropped.

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::Regex;

/// Every recognised template token; which kind each is is decided by [`kind`]. Every
/// alternative starts with a literal, so the search skips ahead quickly; that a role word
/// stands at a line start is checked in code ([`at_line_start`]).
static TOKEN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?x)
          <\|im_start\|>[\t\x20]*(?:assistant|user|system)?
        | <\|start_header_id\|>[\t\x20]*(?:assistant|user|system)[\t\x20]*<\|end_header_id\|>
        | <\|(?:assistant|user|system|im_end|eot_id|eom_id|end|endoftext|end_of_text)\|>
        | <start_of_turn>[\t\x20]*(?:model|user)?
        | <end_of_turn> | <eos> | <bos> | <pad> | </?s>
        | \[/?INST\]
        | (?:ASSISTANT|Assistant|USER|Human)[\t\x20]*:
        ",
    )
    .expect("template token pattern is valid")
});

/// An echoed question at the start of a response.
static ECHOED_QUESTION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\A\s*(?:Q|Question|QUESTION)[\t\x20]*:").expect("echo pattern is valid")
});

/// The answer label of an echoed pair: at a line start or after the question's end.
static ECHOED_ANSWER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?m)(?:^|[?.!][\t\x20]+)[\t\x20]*(?:(A)|Answer|ANSWER)[\t\x20]*:")
        .expect("echo answer pattern is valid")
});

/// A later invented question line.
static LATER_QUESTION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?m)^[\t\x20]*(?:Q|Question|QUESTION)[\t\x20]*:").expect("pattern is valid")
});

/// What a template token does to the text around it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Carries no text boundary (`<s>`).
    Filler,
    /// The model's turn starts after it.
    ModelTurn,
    /// A turn ends, or another speaker's turn starts.
    TurnBoundary,
    /// Another speaker's turn starts (an echoed prompt when nothing precedes it).
    OtherTurn,
}

fn kind(token: &str) -> Kind {
    let token = token.trim();
    let word = token
        .trim_start_matches(|c: char| !c.is_ascii_alphabetic())
        .to_ascii_lowercase();
    match token {
        "<s>" | "<bos>" | "<pad>" => Kind::Filler,
        "[/INST]" | "<|assistant|>" => Kind::ModelTurn,
        "[INST]" | "<|user|>" | "<|system|>" => Kind::OtherTurn,
        _ if token.ends_with(':') => {
            if word.starts_with("assistant") {
                Kind::ModelTurn
            } else {
                Kind::OtherTurn
            }
        }
        _ if token.starts_with("<|im_start|>")
            || token.starts_with("<|start_header_id|>")
            || token.starts_with("<start_of_turn>") =>
        {
            if token.contains("assistant") || token.contains("model") {
                Kind::ModelTurn
            } else {
                Kind::OtherTurn
            }
        }
        _ => Kind::TurnBoundary,
    }
}

/// Whether only spaces and tabs stand between the last line break (or the start) and `at`.
fn at_line_start(text: &str, at: usize) -> bool {
    text[..at]
        .chars()
        .rev()
        .take_while(|c| *c != '\n')
        .all(|c| c == ' ' || c == '\t')
}

/// Whether a text is worth the token search: some `<` or `[` starts a token's spelling, or a
/// role word stands before a colon. Looks only at those characters, so a `<think>` block costs
/// nothing.
fn may_hold_tokens(text: &str) -> bool {
    const AFTER_ANGLE: &[&str] = &[
        "|",
        "s>",
        "/s>",
        "start_of_turn>",
        "end_of_turn>",
        "eos>",
        "bos>",
        "pad>",
    ];
    // Single-character searches, which run as a fast byte search.
    text.match_indices('<').any(|(at, _)| {
        let rest = &text[at + 1..];
        AFTER_ANGLE.iter().any(|a| rest.starts_with(a))
    }) || text.match_indices('[').any(|(at, _)| {
        let rest = &text[at + 1..];
        rest.starts_with("INST]") || rest.starts_with("/INST]")
    }) || text.match_indices(':').any(|(at, _)| {
        let before = text[..at].trim_end_matches([' ', '\t']);
        ["ASSISTANT", "Assistant", "USER", "Human"]
            .iter()
            .any(|role| before.ends_with(role))
    })
}

/// The model's answer without template tokens (see the module docs). Borrowed when there are
/// none.
pub(crate) fn strip_tokens(text: &str) -> Cow<'_, str> {
    if !may_hold_tokens(text) {
        return Cow::Borrowed(text);
    }
    let mut pieces: Vec<&str> = Vec::new();
    let mut cursor = 0;
    let mut in_prompt = false;
    let mut found = false;
    let has_content = |pieces: &[&str]| pieces.iter().any(|p| !p.trim().is_empty());
    for token in TOKEN.find_iter(text) {
        if token.as_str().ends_with(':') && !at_line_start(text, token.start()) {
            continue;
        }
        found = true;
        let before = &text[cursor..token.start()];
        match kind(token.as_str()) {
            Kind::Filler => pieces.push(before),
            Kind::ModelTurn => {
                pieces.clear();
                in_prompt = false;
            }
            Kind::OtherTurn => {
                pieces.push(before);
                if has_content(&pieces) && !in_prompt {
                    cursor = text.len();
                    break;
                }
                pieces.clear();
                in_prompt = true;
            }
            Kind::TurnBoundary => {
                pieces.push(before);
                if has_content(&pieces) && !in_prompt {
                    cursor = text.len();
                    break;
                }
                // A leading end token, or the end of an echoed prompt turn.
                pieces.clear();
                in_prompt = false;
            }
        }
        cursor = token.end();
    }
    if !found {
        return Cow::Borrowed(text);
    }
    if cursor < text.len() && !in_prompt {
        pieces.push(&text[cursor..]);
    }
    Cow::Owned(pieces.concat())
}

/// A response that echoes a question-answer pair, read from its first answer label (see the
/// module docs). Borrowed when the response does not start with an echoed question.
pub(crate) fn strip_echoed_pair(text: &str) -> Cow<'_, str> {
    // Most responses do not start with "Q": skip the pattern for them.
    if !text.trim_start().starts_with('Q') {
        return Cow::Borrowed(text);
    }
    let Some(question) = ECHOED_QUESTION.find(text) else {
        return Cow::Borrowed(text);
    };
    let Some(answer) = ECHOED_ANSWER.captures_at(text, question.end()) else {
        return Cow::Borrowed(text);
    };
    let Some(label) = answer.get(0) else {
        return Cow::Borrowed(text);
    };
    // "A:" is only a label: the answer follows it. "Answer:" stays, as an answer phrase.
    let from = if answer.get(1).is_some() {
        label.end()
    } else {
        label.start() + label.as_str().find('A').unwrap_or(0)
    };
    let until = LATER_QUESTION
        .find_at(text, from)
        .map_or(text.len(), |later| later.start());
    Cow::Owned(text[from..until].to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_without_tokens_is_borrowed() {
        assert!(matches!(strip_tokens("The answer is B."), Cow::Borrowed(_)));
        assert!(matches!(strip_tokens("x < y [1]"), Cow::Borrowed(_)));
    }

    #[test]
    fn end_tokens_end_the_answer() {
        assert_eq!(strip_tokens("B<|im_end|>"), "B");
        assert_eq!(
            strip_tokens("The answer is C.<|eot_id|>"),
            "The answer is C."
        );
        assert_eq!(
            strip_tokens(
                "B<|im_end|>\n<|im_start|>user\nSure?<|im_end|>\n<|im_start|>assistant\nA"
            ),
            "B"
        );
        assert_eq!(strip_tokens("B</s>\n\nUSER: Why?\nASSISTANT: C"), "B");
        assert_eq!(strip_tokens("<|im_end|>"), "");
    }

    #[test]
    fn model_turn_openers_drop_the_echoed_prompt() {
        assert_eq!(
            strip_tokens("[INST] <image>\nWhich? A. x B. y [/INST] B"),
            " B"
        );
        assert_eq!(
            strip_tokens("<start_of_turn>model\nB. Pneumonia<end_of_turn>"),
            "\nB. Pneumonia"
        );
        assert_eq!(strip_tokens("<s> B</s>"), " B");
        assert_eq!(strip_tokens("<s>[INST] <image> [/INST]"), "");
        assert_eq!(strip_tokens("ASSISTANT: B"), " B");
        assert_eq!(
            strip_tokens("<|start_header_id|>assistant<|end_header_id|>\n\nD.<|eot_id|>"),
            "\n\nD."
        );
    }

    #[test]
    fn echoed_pairs_are_read_from_the_answer_label() {
        assert_eq!(strip_echoed_pair("Q: Which?\nA: B"), " B");
        assert_eq!(
            strip_echoed_pair("Q: Which? A: C. Effusion"),
            " C. Effusion"
        );
        assert_eq!(
            strip_echoed_pair("Question: Which?\nAnswer: D"),
            "Answer: D"
        );
        assert_eq!(strip_echoed_pair("Q: a?\nA: B\nQ: b?\nA: C"), " B\n");
        assert!(matches!(strip_echoed_pair("A: B"), Cow::Borrowed(_)));
        assert!(matches!(
            strip_echoed_pair("Q: no answer"),
            Cow::Borrowed(_)
        ));
    }
}
