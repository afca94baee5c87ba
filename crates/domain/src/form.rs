//! Application forms: the questions a round asks, in sections, and the
//! rules answers must keep.
//!
//! A [`Form`] is parsed from its definition (JSON, see
//! `docs/FORMS.md`) and is valid or not at all: ids are unique, conditions
//! and date rules point at earlier questions, limits make sense. Answers are
//! parsed against it question by question ([`Form::parse_answers`], which a
//! draft needs) and checked as a whole before submission
//! ([`Form::check_submission`]).
//!
//! ```
//! use grantledger_domain::form::{Form, SubmissionContext};
//! use grantledger_domain::money::Money;
//!
//! let form: Form = serde_json::from_value(serde_json::json!({
//!     "sections": [{
//!         "id": "project", "title": "Your project",
//!         "questions": [
//!             {"id": "who", "label": "Who will take part?", "type": "long_text", "word_limit": 150},
//!             {"id": "budget", "label": "Budget", "type": "budget", "max_lines": 10}
//!         ]
//!     }]
//! }))?;
//! let today = chrono::NaiveDate::from_ymd_opt(2027, 1, 4).unwrap();
//! let raw = serde_json::json!({
//!     "who": "Older people living alone on the estate",
//!     "budget": [{"item": "Hall hire", "amount": "600.00"}, {"item": "Food", "amount": "900.00"}]
//! });
//! let answers = form.parse_answers(raw.as_object().unwrap(), today)?;
//! let context = SubmissionContext::new(Money::parse("1500")?, today);
//! assert!(form.check_submission(&answers, &context).is_ok());
//!
//! let context = SubmissionContext::new(Money::parse("2000")?, today);
//! let errors = form.check_submission(&answers, &context).unwrap_err();
//! assert_eq!(errors.0[0].question.as_str(), "budget");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod answer;
mod check;
mod definition;
mod kind;
#[cfg(test)]
mod tests;

use chrono::{DateTime, Utc};

pub use answer::word_count;
pub use answer::{Address, Answer, Answers, BudgetLine};
pub use check::{AnswerError, AnswerErrors, AttachedFile, SectionStatus, SubmissionContext};
pub use definition::{Form, FormError, Question, QuestionId, Section};
pub use kind::{ChoiceOption, Condition, DateBound, QuestionKind};

use crate::round::Round;

/// Why a round's form cannot be changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the round opened at {opens_at}, so its form can no longer change: applicants may already be answering it"
)]
pub struct FormLocked {
    /// When the round opened.
    pub opens_at: DateTime<Utc>,
}

/// The rule for changing a form: only before its round opens, so nobody's
/// answers are ever checked against questions they were not shown. Every
/// change before then is kept as a new version.
///
/// # Errors
/// [`FormLocked`] once the round has opened.
pub fn check_form_change(round: &Round, now: DateTime<Utc>) -> Result<(), FormLocked> {
    let opens_at = round.window.opens_at();
    if now >= opens_at {
        return Err(FormLocked { opens_at });
    }
    Ok(())
}
