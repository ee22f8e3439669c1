//! Prompt templates: how an item becomes the text (and image order) a model sees.
//!
//! A template is plain text with placeholders:
//!
//! | placeholder | replaced by |
//! |-------------|-------------|
//! | `{question}` | the item's question |
//! | `{options}`  | one line per option, `A. text` |
//! | `{letters}`  | the option letters, `A, B, C` |
//!
//! Images are placed where the question says `<image 1>`, `<image 2>` ... (the MMMU convention);
//! images the text does not mention come first, in order, before any text. Each image is sent
//! once, at its first mention: a later mention (an MMMU option reading `<image 2>`) stays text,
//! referring back to the image already shown, so a model is never sent the same picture twice. The whole template set
//! is hashed into the run manifest, so a changed prompt is a different run.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::digest::Sha256Hasher;
use crate::{AnswerType, Item};

/// One template per answer type, plus an optional system message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PromptTemplate {
    /// System message sent before the user turn, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
    /// Template for multiple-choice items.
    pub mcq: String,
    /// Template for yes/no items.
    pub closed: String,
    /// Template for open-answer items.
    pub open: String,
    /// Template for report-generation items.
    pub report: String,
}

impl Default for PromptTemplate {
    /// The built-in templates: the short, direct instructions the common VLM toolkits use, so
    /// that numbers are comparable with published ones.
    fn default() -> Self {
        Self {
            system: None,
            mcq: "{question}\n{options}\nAnswer with the option's letter from the given choices directly.".into(),
            closed: "{question}\nAnswer with yes or no.".into(),
            open: "{question}\nAnswer the question using a single word or phrase.".into(),
            report: "{question}".into(),
        }
    }
}

/// A piece of the user turn, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PromptPart {
    /// Text.
    Text(String),
    /// The item's image at this zero-based index.
    Image(usize),
}

/// An item rendered through a template: what the model will be sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedPrompt {
    /// The system message, if any.
    pub system: Option<String>,
    /// The user turn: text and images, interleaved.
    pub parts: Vec<PromptPart>,
}

impl RenderedPrompt {
    /// The text of the user turn with images shown as `<image N>`, for previews and dry runs.
    pub fn preview(&self) -> String {
        let mut out = String::new();
        if let Some(system) = &self.system {
            let _ = writeln!(out, "[system] {system}");
        }
        for part in &self.parts {
            match part {
                PromptPart::Text(text) => out.push_str(text),
                PromptPart::Image(index) => {
                    let _ = write!(out, "<image {}>", index + 1);
                }
            }
        }
        out
    }
}

impl PromptTemplate {
    /// The template text for one answer type.
    pub fn for_type(&self, answer_type: AnswerType) -> &str {
        match answer_type {
            AnswerType::Mcq => &self.mcq,
            AnswerType::Closed => &self.closed,
            AnswerType::Open => &self.open,
            AnswerType::Report => &self.report,
        }
    }

    /// SHA-256 over every field, pinned in the run manifest.
    pub fn sha256(&self) -> String {
        let mut hasher = Sha256Hasher::new();
        hasher.update_field(self.system.as_deref().unwrap_or("").as_bytes());
        for answer_type in AnswerType::ALL {
            hasher.update_field(self.for_type(answer_type).as_bytes());
        }
        hasher.finish_hex()
    }

    /// Renders `item`: fills the placeholders and places the images.
    pub fn render(&self, item: &Item) -> RenderedPrompt {
        let options: String = item
            .options
            .iter()
            .map(|(letter, text)| format!("{letter}. {text}"))
            .collect::<Vec<_>>()
            .join("\n");
        let letters = item
            .options
            .keys()
            .map(|letter| letter.to_string())
            .collect::<Vec<_>>()
            .join(", ");
        let text = fill_placeholders(
            self.for_type(item.answer_type()),
            &[
                ("question", &item.question),
                ("options", &options),
                ("letters", &letters),
            ],
        );
        RenderedPrompt {
            system: self.system.clone(),
            parts: interleave_images(&text, item.images.len()),
        }
    }
}

/// Replaces `{name}` placeholders in one pass, so placeholder-like text inside a value (a question
/// that contains `{options}`) is left as it is.
fn fill_placeholders(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    'scan: while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let tail = &rest[open..];
        for (name, value) in values {
            if let Some(after) = tail
                .strip_prefix('{')
                .and_then(|t| t.strip_prefix(name))
                .and_then(|t| t.strip_prefix('}'))
            {
                out.push_str(value);
                rest = after;
                continue 'scan;
            }
        }
        out.push('{');
        rest = &tail[1..];
    }
    out.push_str(rest);
    out
}

/// Splits `text` at the first `<image N>` token of each image (1-based, within `image_count`)
/// and returns the parts, with images the text never mentions placed first.
fn interleave_images(text: &str, image_count: usize) -> Vec<PromptPart> {
    let mut inline = Vec::new();
    let mut pieces = Vec::new();
    let mut pending = String::new();
    let mut rest = text;
    while let Some((before, index, after)) = next_image_token(rest, image_count) {
        pending.push_str(before);
        if inline.contains(&index) {
            // Already shown: the mention stays text.
            pending.push_str(&rest[before.len()..rest.len() - after.len()]);
        } else {
            pieces.push(PromptPart::Text(std::mem::take(&mut pending)));
            pieces.push(PromptPart::Image(index));
            inline.push(index);
        }
        rest = after;
    }
    pending.push_str(rest);
    pieces.push(PromptPart::Text(pending));

    let mut parts: Vec<PromptPart> = (0..image_count)
        .filter(|index| !inline.contains(index))
        .map(PromptPart::Image)
        .collect();
    parts.extend(
        pieces
            .into_iter()
            .filter(|part| !matches!(part, PromptPart::Text(t) if t.is_empty())),
    );
    parts
}

/// Finds the first `<image N>` token naming an existing image: `(before, index, after)`.
fn next_image_token(text: &str, image_count: usize) -> Option<(&str, usize, &str)> {
    let mut search_from = 0;
    while let Some(offset) = text[search_from..].find("<image ") {
        let start = search_from + offset;
        let after_prefix = &text[start + "<image ".len()..];
        let digits = after_prefix.bytes().take_while(u8::is_ascii_digit).count();
        if digits > 0 && after_prefix[digits..].starts_with('>') {
            if let Ok(number) = after_prefix[..digits].parse::<usize>() {
                if (1..=image_count).contains(&number) {
                    let end = start + "<image ".len() + digits + 1;
                    return Some((&text[..start], number - 1, &text[end..]));
                }
            }
        }
        search_from = start + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Gold;
    use crate::{Image, Letter, Meta, Options};
    use std::path::PathBuf;

    fn item(question: &str, answer_type: AnswerType, images: usize) -> Item {
        let mut options = Options::new();
        if answer_type == AnswerType::Mcq {
            options.insert(Letter::new('A').unwrap(), "CT".into());
            options.insert(Letter::new('B').unwrap(), "MRI".into());
        }
        Item {
            id: "x".into(),
            question: question.into(),
            images: (0..images)
                .map(|i| Image::Path(PathBuf::from(format!("{i}.png"))))
                .collect(),
            options,
            gold: Gold::read(
                answer_type,
                if answer_type == AnswerType::Closed {
                    "yes"
                } else {
                    "A"
                },
            )
            .unwrap(),
            meta: Meta::new(),
            cluster: None,
        }
    }

    #[test]
    fn mcq_template_lists_options() {
        let rendered = PromptTemplate::default().render(&item("Modality?", AnswerType::Mcq, 1));
        assert_eq!(
            rendered.parts,
            vec![
                PromptPart::Image(0),
                PromptPart::Text(
                    "Modality?\nA. CT\nB. MRI\nAnswer with the option's letter from the given choices directly."
                        .into()
                )
            ]
        );
    }

    #[test]
    fn image_tokens_place_images_inline_and_unmentioned_images_first() {
        let parts = interleave_images("Compare <image 2> with <image 1>. <image 9> stays text.", 3);
        assert_eq!(
            parts,
            vec![
                PromptPart::Image(2),
                PromptPart::Text("Compare ".into()),
                PromptPart::Image(1),
                PromptPart::Text(" with ".into()),
                PromptPart::Image(0),
                PromptPart::Text(". <image 9> stays text.".into()),
            ]
        );
    }

    #[test]
    fn each_image_is_sent_once_at_its_first_mention() {
        let parts = interleave_images(
            "Compare <image 1> with <image 2>.\nA. <image 1>\nB. <image 2>",
            2,
        );
        assert_eq!(
            parts,
            vec![
                PromptPart::Text("Compare ".into()),
                PromptPart::Image(0),
                PromptPart::Text(" with ".into()),
                PromptPart::Image(1),
                PromptPart::Text(".\nA. <image 1>\nB. <image 2>".into()),
            ]
        );
    }

    #[test]
    fn text_only_items_have_one_text_part() {
        let rendered = PromptTemplate::default().render(&item("Is it?", AnswerType::Closed, 0));
        assert_eq!(rendered.preview(), "Is it?\nAnswer with yes or no.");
    }

    #[test]
    fn placeholders_inside_values_are_not_expanded() {
        let text = fill_placeholders(
            "{question} | {options} | {unknown}",
            &[("question", "what is {options}?"), ("options", "A. x")],
        );
        assert_eq!(text, "what is {options}? | A. x | {unknown}");
    }

    #[test]
    fn every_field_changes_the_hash() {
        let base = PromptTemplate::default();
        let mut with_system = base.clone();
        with_system.system = Some("You are a radiologist.".into());
        let mut other_open = base.clone();
        other_open.open.push('!');
        assert_ne!(base.sha256(), with_system.sha256());
        assert_ne!(base.sha256(), other_open.sha256());
        assert_eq!(base.sha256(), PromptTemplate::default().sha256());
    }
}
