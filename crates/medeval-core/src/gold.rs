//! The gold answer of an item, typed by what it is.
//!
//! Item files, benchmark sources and stores hold the gold answer as text next to an answer type.
//! That text is read into a [`Gold`] once, where an item is built, so every scorer receives a
//! letter, a yes/no, a reference text or a reference report and none of them re-parses strings.
//! New kinds of answer (boxes, rubrics) become new variants here, and the compiler then lists
//! every place that must learn about them.

use std::borrow::Cow;

use crate::item::{AnswerType, Letter, YesNo};

/// The gold answer of one item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Gold {
    /// Multiple choice: the letter of the correct option.
    Letter(Letter),
    /// Closed question: yes or no.
    Closed {
        /// The answer.
        answer: YesNo,
        /// The answer as the source wrote it (`No`, `是`, `yes.`), kept so stores, scored-sample
        /// files and tables show what the benchmark says, not a normalised form.
        written: String,
    },
    /// Open question: the reference answer.
    Text(String),
    /// Report generation: the reference report.
    Report(String),
}

/// Why a gold text does not fit its answer type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GoldError {
    /// A multiple-choice gold answer that is not one letter A-Z.
    #[error("expected an option letter A-Z, found {0:?}")]
    NotALetter(String),
    /// A closed gold answer that is not yes or no.
    #[error("a closed item's answer must be yes or no (or 是/否), found {0:?}")]
    NotYesNo(String),
}

impl Gold {
    /// Reads a gold text of the given answer type: a letter for `mcq` (surrounding whitespace
    /// ignored), yes/no for `closed` (see [`YesNo::parse_gold`]), any text for `open` and
    /// `report`, kept as written. Whether an empty reference is acceptable is the policy of the
    /// reader that builds items (item files refuse it), not of this type: a store must read back
    /// whatever an earlier release accepted.
    pub fn read(answer_type: AnswerType, text: &str) -> Result<Self, GoldError> {
        match answer_type {
            AnswerType::Mcq => Letter::try_from(text.trim().to_owned())
                .map(Self::Letter)
                .map_err(|_| GoldError::NotALetter(text.to_owned())),
            AnswerType::Closed => YesNo::parse_gold(text)
                .map(|answer| Self::Closed {
                    answer,
                    written: text.to_owned(),
                })
                .ok_or_else(|| GoldError::NotYesNo(text.to_owned())),
            AnswerType::Open => Ok(Self::Text(text.to_owned())),
            AnswerType::Report => Ok(Self::Report(text.to_owned())),
        }
    }

    /// A closed gold answer written in its plain form (`yes` or `no`).
    pub fn yes_no(answer: YesNo) -> Self {
        Self::Closed {
            answer,
            written: answer.as_str().to_owned(),
        }
    }

    /// The answer type this gold answer belongs to.
    pub fn answer_type(&self) -> AnswerType {
        match self {
            Self::Letter(_) => AnswerType::Mcq,
            Self::Closed { .. } => AnswerType::Closed,
            Self::Text(_) => AnswerType::Open,
            Self::Report(_) => AnswerType::Report,
        }
    }

    /// The gold answer as text, the form item files, stores and scored-sample files hold:
    /// [`Gold::read`] of this text with [`Gold::answer_type`] gives the same value back.
    pub fn text(&self) -> Cow<'_, str> {
        match self {
            Self::Letter(letter) => Cow::Owned(letter.to_string()),
            Self::Closed { written, .. } => Cow::Borrowed(written),
            Self::Text(text) | Self::Report(text) => Cow::Borrowed(text),
        }
    }

    /// The correct option's letter of a multiple-choice item.
    pub fn letter(&self) -> Option<Letter> {
        match self {
            Self::Letter(letter) => Some(*letter),
            _ => None,
        }
    }

    /// The reference text of an open or report item.
    pub fn reference(&self) -> Option<&str> {
        match self {
            Self::Text(text) | Self::Report(text) => Some(text),
            _ => None,
        }
    }

    /// The answer of a closed item.
    pub fn closed(&self) -> Option<YesNo> {
        match self {
            Self::Closed { answer, .. } => Some(*answer),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_answer_type_reads_its_own_form() {
        let b = Letter::new('B').unwrap();
        assert_eq!(Gold::read(AnswerType::Mcq, " B "), Ok(Gold::Letter(b)));
        assert_eq!(
            Gold::read(AnswerType::Mcq, "b"),
            Err(GoldError::NotALetter("b".into()))
        );
        assert_eq!(
            Gold::read(AnswerType::Mcq, "AB"),
            Err(GoldError::NotALetter("AB".into()))
        );
        assert_eq!(
            Gold::read(AnswerType::Closed, "是").map(|g| g.closed()),
            Ok(Some(YesNo::Yes))
        );
        assert_eq!(
            Gold::read(AnswerType::Closed, "maybe"),
            Err(GoldError::NotYesNo("maybe".into()))
        );
        assert_eq!(
            Gold::read(AnswerType::Report, "No acute disease."),
            Ok(Gold::Report("No acute disease.".into()))
        );
    }

    #[test]
    fn the_text_form_reads_back_to_the_same_gold() {
        for (answer_type, text) in [
            (AnswerType::Mcq, "D"),
            (AnswerType::Closed, "No."),
            (AnswerType::Closed, "否"),
            (AnswerType::Open, "left lower lobe"),
            (AnswerType::Report, "Heart size normal.\nLungs clear."),
        ] {
            let gold = Gold::read(answer_type, text).unwrap();
            assert_eq!(gold.answer_type(), answer_type);
            assert_eq!(gold.text(), text);
            assert_eq!(Gold::read(answer_type, &gold.text()), Ok(gold));
        }
    }

    #[test]
    fn a_plain_yes_no_is_written_plainly() {
        assert_eq!(Gold::yes_no(YesNo::No).text(), "no");
        assert_eq!(Gold::yes_no(YesNo::No).closed(), Some(YesNo::No));
    }
}
