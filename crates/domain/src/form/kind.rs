use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::definition::{FormError, QuestionId, checked_text};
use crate::document::{DEFAULT_MAX_BYTES, DocumentType};
use crate::money::Money;

/// One choice in a single- or multiple-choice question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChoiceOption {
    /// What the answer stores.
    pub value: QuestionId,
    /// What the applicant reads.
    pub label: String,
}

/// Show a question only when an earlier yes/no or choice question has this
/// answer (`"yes"`/`"no"`, or an option's value; for multiple choice, when
/// that option is among those chosen).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Condition {
    /// The earlier question.
    pub question: QuestionId,
    /// The answer that shows this question.
    pub equals: String,
}

/// A limit on a date answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "relative_to", rename_all = "snake_case")]
pub enum DateBound {
    /// Today (the day the answer is given), plus some days (may be negative).
    Today {
        /// Days after today.
        #[serde(default)]
        days: i32,
    },
    /// Another, earlier date answer, plus some days.
    Answer {
        /// The earlier date question.
        question: QuestionId,
        /// Days after that answer.
        #[serde(default)]
        days: i32,
    },
    /// A fixed date.
    Date {
        /// The date.
        date: NaiveDate,
    },
}

/// The kind of answer a question takes, with its rules. In JSON the kind is
/// the question's `type`, its rules sit beside it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum QuestionKind {
    /// One line of text.
    ShortText {
        /// The most characters.
        #[serde(default = "short_max")]
        max_length: u32,
    },
    /// Paragraphs, limited in words.
    LongText {
        /// The most words.
        word_limit: u32,
    },
    /// A whole number.
    WholeNumber {
        /// Smallest allowed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min: Option<i64>,
        /// Largest allowed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max: Option<i64>,
    },
    /// An amount of money in pounds and pence.
    Money {
        /// Smallest allowed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min: Option<Money>,
        /// Largest allowed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max: Option<Money>,
    },
    /// A calendar date.
    Date {
        /// The date may not be before this.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        not_before: Option<DateBound>,
        /// The date may not be after this.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        not_after: Option<DateBound>,
    },
    /// Yes or no.
    YesNo,
    /// One of several options (radios, or a dropdown when there are many).
    SingleChoice {
        /// The options.
        options: Vec<ChoiceOption>,
        /// Show as a dropdown instead of radios.
        #[serde(default)]
        dropdown: bool,
    },
    /// Any number of several options.
    MultipleChoice {
        /// The options.
        options: Vec<ChoiceOption>,
    },
    /// A UK postal address with postcode.
    Address,
    /// A file upload.
    File {
        /// Types accepted; all of grantledger's by default.
        #[serde(default = "all_types")]
        accept: Vec<DocumentType>,
        /// The largest file, in bytes.
        #[serde(default = "max_bytes")]
        max_bytes: u64,
    },
    /// A budget of 1 to `max_lines` lines of item and amount; its total
    /// must equal the amount requested.
    Budget {
        /// The most lines.
        #[serde(default = "budget_lines")]
        max_lines: u8,
    },
    /// A statement the applicant must confirm.
    Declaration {
        /// What they confirm.
        statement: String,
    },
}

fn short_max() -> u32 {
    200
}
fn all_types() -> Vec<DocumentType> {
    DocumentType::ALL.to_vec()
}
fn max_bytes() -> u64 {
    DEFAULT_MAX_BYTES
}
fn budget_lines() -> u8 {
    10
}

impl QuestionKind {
    /// The longest short answer allowed by any form.
    pub const SHORT_TEXT_CEILING: u32 = 2_000;
    /// The highest word limit allowed by any form.
    pub const WORD_LIMIT_CEILING: u32 = 5_000;
    /// The most lines a budget table may have.
    pub const BUDGET_LINES_CEILING: u8 = 50;

    pub(super) fn check(&self, id: &QuestionId) -> Result<(), FormError> {
        let limit = |message: String| FormError::Limit {
            id: id.to_string(),
            message,
        };
        match self {
            QuestionKind::ShortText { max_length }
                if *max_length == 0 || *max_length > Self::SHORT_TEXT_CEILING =>
            {
                return Err(limit(format!(
                    "max_length must be 1 to {}",
                    Self::SHORT_TEXT_CEILING
                )));
            }
            QuestionKind::LongText { word_limit }
                if *word_limit == 0 || *word_limit > Self::WORD_LIMIT_CEILING =>
            {
                return Err(limit(format!(
                    "word_limit must be 1 to {}",
                    Self::WORD_LIMIT_CEILING
                )));
            }
            QuestionKind::WholeNumber {
                min: Some(min),
                max: Some(max),
            } if min > max => return Err(limit(format!("min {min} is more than max {max}"))),
            QuestionKind::Money {
                min: Some(min),
                max: Some(max),
            } if min > max => return Err(limit(format!("min {min} is more than max {max}"))),
            QuestionKind::SingleChoice { options, .. }
            | QuestionKind::MultipleChoice { options } => {
                if options.is_empty() {
                    return Err(limit("a choice question needs at least one option".into()));
                }
                let mut seen = std::collections::BTreeSet::new();
                for o in options {
                    if !seen.insert(o.value.as_str()) {
                        return Err(limit(format!("the option \"{}\" is listed twice", o.value)));
                    }
                    checked_text(id, "option label", &o.label)?;
                }
            }
            QuestionKind::File { accept, .. } if accept.is_empty() => {
                return Err(limit(
                    "a file question must accept at least one type".into(),
                ));
            }
            QuestionKind::File { max_bytes, .. }
                if *max_bytes == 0 || *max_bytes > DEFAULT_MAX_BYTES =>
            {
                return Err(limit(format!(
                    "max_bytes must be 1 to {DEFAULT_MAX_BYTES} (12 MB)"
                )));
            }
            QuestionKind::Budget { max_lines }
                if *max_lines == 0 || *max_lines > Self::BUDGET_LINES_CEILING =>
            {
                return Err(limit(format!(
                    "max_lines must be 1 to {}",
                    Self::BUDGET_LINES_CEILING
                )));
            }
            QuestionKind::Declaration { statement } => checked_text(id, "statement", statement)?,
            _ => {}
        }
        Ok(())
    }

    /// Whether an answer to this kind of question can be `value`, for conditions.
    pub(super) fn has_value(&self, value: &str) -> bool {
        match self {
            QuestionKind::YesNo => matches!(value, "yes" | "no"),
            QuestionKind::SingleChoice { options, .. }
            | QuestionKind::MultipleChoice { options } => {
                options.iter().any(|o| o.value.as_str() == value)
            }
            _ => false,
        }
    }

    /// A short name for the kind, as in the JSON `type`.
    pub fn code(&self) -> &'static str {
        match self {
            QuestionKind::ShortText { .. } => "short_text",
            QuestionKind::LongText { .. } => "long_text",
            QuestionKind::WholeNumber { .. } => "whole_number",
            QuestionKind::Money { .. } => "money",
            QuestionKind::Date { .. } => "date",
            QuestionKind::YesNo => "yes_no",
            QuestionKind::SingleChoice { .. } => "single_choice",
            QuestionKind::MultipleChoice { .. } => "multiple_choice",
            QuestionKind::Address => "address",
            QuestionKind::File { .. } => "file",
            QuestionKind::Budget { .. } => "budget",
            QuestionKind::Declaration { .. } => "declaration",
        }
    }
}
