//! Removing reasoning blocks before extraction.
//!
//! Chain-of-thought routinely names options it later rejects ("A is tempting... the answer is
//! B"), so nothing inside a reasoning block is ever read as the answer. Recognised blocks:
//! `<think>`, `<thinking>`, `<reasoning>`, `<thought>` (any case), Kimi's `◁think▷ ... ◁/think▷`
//! and `<|begin_of_thought|> ... <|end_of_thought|>`.
//!
//! Three shapes occur in practice, and each has a fixed reading:
//!
//! - A closed block is removed; the text around it is kept.
//! - A closing tag with no opening tag before it (chat templates that put `<think>` into the
//!   prompt, so the response starts inside the block): everything before that closing tag is
//!   reasoning and is removed.
//! - An opening tag that is never closed (the response stopped while thinking, typically because
//!   `max_tokens` ran out): everything from the tag on is reasoning, so the model never committed
//!   to an answer there. Text before the tag is still read. If none is left the sample is
//!   `unparsed` with rule `unparsed:unterminated-reasoning`, which tells the user to raise the
//!   token budget rather than hiding the truncation as a wrong answer.

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::Regex;

/// Opening and closing tags of every recognised reasoning block.
static TAGS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)<\s*/?\s*(?:think|thinking|reasoning|thought)\s*>|◁/?think▷|<\|(?:begin|end)_of_thought\|>",
    )
    .expect("reasoning tag pattern is valid")
});

/// A response with its reasoning blocks removed.
#[derive(Debug)]
pub(crate) struct Stripped<'a> {
    /// The text outside reasoning blocks.
    pub text: Cow<'a, str>,
    /// Whether any reasoning was removed.
    pub had_reasoning: bool,
    /// Whether an opening tag was never closed.
    pub unterminated: bool,
}

fn is_closing(tag: &str) -> bool {
    tag.contains('/') || tag.contains("end_of")
}

/// Removes reasoning blocks from `text` (see the module docs for the three shapes).
pub(crate) fn strip(text: &str) -> Stripped<'_> {
    let mut kept = String::new();
    let mut cursor = 0;
    let mut open_at: Option<usize> = None;
    let mut had_reasoning = false;
    for tag in TAGS.find_iter(text) {
        had_reasoning = true;
        if is_closing(tag.as_str()) {
            if open_at.take().is_none() {
                // The response began inside a block whose opening tag was in the prompt.
                kept.clear();
            }
            cursor = tag.end();
        } else if open_at.is_none() {
            kept.push_str(&text[cursor..tag.start()]);
            open_at = Some(tag.start());
        }
    }
    if !had_reasoning {
        return Stripped {
            text: Cow::Borrowed(text),
            had_reasoning,
            unterminated: false,
        };
    }
    let unterminated = open_at.is_some();
    if !unterminated {
        kept.push_str(&text[cursor..]);
    }
    Stripped {
        text: Cow::Owned(kept),
        had_reasoning,
        unterminated,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_without_tags_is_borrowed() {
        let s = strip("The answer is B.");
        assert!(matches!(s.text, Cow::Borrowed("The answer is B.")));
        assert!(!s.had_reasoning && !s.unterminated);
    }

    #[test]
    fn closed_blocks_are_removed() {
        let s = strip("<think>A looks right</think>\nThe answer is B.");
        assert_eq!(s.text, "\nThe answer is B.");
        assert!(s.had_reasoning && !s.unterminated);
        let s = strip("<THINKING>x</THINKING>B<reasoning>y</reasoning>.");
        assert_eq!(s.text, "B.");
        assert_eq!(strip("◁think▷maybe A◁/think▷B").text, "B");
        assert_eq!(
            strip("<|begin_of_thought|>A?<|end_of_thought|>Answer: C").text,
            "Answer: C"
        );
    }

    #[test]
    fn an_orphan_closing_tag_ends_reasoning_that_began_in_the_prompt() {
        assert_eq!(strip("so probably A</think>\n\nB").text, "\n\nB");
    }

    #[test]
    fn an_unclosed_block_is_never_read() {
        let s = strip("<think>the answer is A, but wait");
        assert_eq!(s.text, "");
        assert!(s.unterminated);
        let s = strip("Answer: C <think>hmm");
        assert_eq!(s.text, "Answer: C ");
        assert!(s.unterminated);
    }
}
