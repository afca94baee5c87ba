use serde::{Deserialize, Serialize};

use super::Application;
use crate::money::Money;
use crate::round::Round;
use crate::text::{self, TextError};
use crate::transition::TransitionError;

/// A funding decision on an application: the verdict, the feedback the
/// applicant reads, and a note only staff ever see. The two texts are kept
/// apart so that a panel's candid remark ("score 3/10, weak budget") never
/// reaches the applicant by being the only place to write it.
///
/// ```
/// use grantledger_domain::application::{Decision, Verdict};
/// use grantledger_domain::Money;
/// let d = Decision::reject("The round was oversubscribed")
///     .with_internal_note("Scored 3/10; budget unclear");
/// assert_eq!(d.verdict, Verdict::Reject);
/// assert_eq!(Decision::award(Money::parse("800")?).feedback, "");
/// # Ok::<(), grantledger_domain::money::MoneyError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    /// Award or reject.
    #[serde(flatten)]
    pub verdict: Verdict,
    /// What the applicant is told: required to reject, optional to award.
    #[serde(default)]
    pub feedback: String,
    /// For staff only; never shown to the applicant. May be empty.
    #[serde(default)]
    pub internal_note: String,
}

/// Award or reject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Verdict {
    /// Award a grant of `amount`.
    Award {
        /// The grant; at most the amount requested and within the round's range.
        amount: Money,
    },
    /// Turn the application down.
    Reject,
}

impl Decision {
    /// An award of `amount`, with no feedback or note yet.
    #[must_use]
    pub fn award(amount: Money) -> Decision {
        Decision {
            verdict: Verdict::Award { amount },
            feedback: String::new(),
            internal_note: String::new(),
        }
    }

    /// A rejection with the `feedback` the applicant will read.
    #[must_use]
    pub fn reject(feedback: impl Into<String>) -> Decision {
        Decision {
            verdict: Verdict::Reject,
            feedback: feedback.into(),
            internal_note: String::new(),
        }
    }

    /// The same decision with `feedback` for the applicant.
    #[must_use]
    pub fn with_feedback(self, feedback: impl Into<String>) -> Decision {
        Decision {
            feedback: feedback.into(),
            ..self
        }
    }

    /// The same decision with a note for staff only.
    #[must_use]
    pub fn with_internal_note(self, note: impl Into<String>) -> Decision {
        Decision {
            internal_note: note.into(),
            ..self
        }
    }
}

/// A decision made: the decided application, the amount to offer for an
/// award, and the two texts as they are kept (trimmed; `None` when empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decided {
    /// The application, now awarded or rejected.
    pub application: Application,
    /// For an award, the amount the caller must now offer as an
    /// [`crate::award::Award`].
    pub amount: Option<Money>,
    /// What the applicant reads.
    pub feedback: Option<String>,
    /// What only staff read.
    pub internal_note: Option<String>,
}

/// Why a decision cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecisionError {
    /// The application is not awaiting a decision.
    #[error(transparent)]
    Transition(#[from] TransitionError),
    /// More than was asked for.
    #[error("the award of {amount} is more than the {requested} requested")]
    AmountAboveRequested {
        /// Award amount.
        amount: Money,
        /// Amount requested.
        requested: Money,
    },
    /// Outside the round's grant range.
    #[error("the award of {amount} is outside this round's grant range of {min} to {max}")]
    AmountOutsideRange {
        /// Award amount.
        amount: Money,
        /// Minimum grant.
        min: Money,
        /// Maximum grant.
        max: Money,
    },
    /// A rejection with no feedback for the applicant.
    #[error("a rejection needs feedback for the applicant")]
    FeedbackMissing,
    /// Feedback that is too long or unusable.
    #[error("{0}")]
    Feedback(TextError),
    /// An internal note that is too long or unusable.
    #[error("{0}")]
    InternalNote(TextError),
    /// The round passed is not the one applied to.
    #[error("the application belongs to a different round")]
    WrongRound,
}

/// A text that may be empty: trimmed, checked, `None` when blank.
fn optional_text(
    field: &'static str,
    value: &str,
    max: usize,
) -> Result<Option<String>, TextError> {
    if value.trim().is_empty() {
        Ok(None)
    } else {
        text::multi_line(field, value, max).map(Some)
    }
}

impl Application {
    /// The longest feedback or internal note.
    pub const MAX_DECISION_TEXT_CHARS: usize = 2_000;

    /// Decides the application.
    ///
    /// # Errors
    /// A [`DecisionError`] naming the amounts or the text involved.
    pub fn decide(&self, round: &Round, decision: Decision) -> Result<Decided, DecisionError> {
        if round.id != self.round_id {
            return Err(DecisionError::WrongRound);
        }
        let (status, amount) = match decision.verdict {
            Verdict::Award { amount } => {
                let status = self.status.award()?;
                if amount > self.amount_requested {
                    return Err(DecisionError::AmountAboveRequested {
                        amount,
                        requested: self.amount_requested,
                    });
                }
                let range = round.grant_range;
                if !range.contains(amount) {
                    return Err(DecisionError::AmountOutsideRange {
                        amount,
                        min: range.min(),
                        max: range.max(),
                    });
                }
                (status, Some(amount))
            }
            Verdict::Reject => (self.status.reject()?, None),
        };
        let max = Self::MAX_DECISION_TEXT_CHARS;
        let feedback =
            optional_text("feedback", &decision.feedback, max).map_err(DecisionError::Feedback)?;
        if amount.is_none() && feedback.is_none() {
            return Err(DecisionError::FeedbackMissing);
        }
        let internal_note = optional_text("internal note", &decision.internal_note, max)
            .map_err(DecisionError::InternalNote)?;
        Ok(Decided {
            application: Application {
                status,
                ..self.clone()
            },
            amount,
            feedback,
            internal_note,
        })
    }
}
