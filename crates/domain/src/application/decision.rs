use serde::{Deserialize, Serialize};

use super::Application;
use crate::money::Money;
use crate::round::Round;
use crate::text::{self, TextError};
use crate::transition::TransitionError;

/// A funding decision on an application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Decision {
    /// Award a grant of `amount`.
    Award {
        /// The grant; at most the amount requested and within the round's range.
        amount: Money,
    },
    /// Turn the application down.
    Reject {
        /// Why, for the applicant.
        reason: String,
    },
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
    /// No reason for a rejection.
    #[error("rejection {0}")]
    Reason(TextError),
    /// The round passed is not the one applied to.
    #[error("the application belongs to a different round")]
    WrongRound,
}

impl Application {
    /// The longest rejection reason.
    pub const MAX_REASON_CHARS: usize = 2_000;

    /// Decides the application. Returns the decided copy and, for an award,
    /// the amount the caller must now offer as an [`crate::award::Award`].
    ///
    /// # Errors
    /// A [`DecisionError`] naming the amounts involved.
    pub fn decide(
        &self,
        round: &Round,
        decision: Decision,
    ) -> Result<(Application, Option<Money>), DecisionError> {
        if round.id != self.round_id {
            return Err(DecisionError::WrongRound);
        }
        match decision {
            Decision::Award { amount } => {
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
                Ok((
                    Application {
                        status,
                        ..self.clone()
                    },
                    Some(amount),
                ))
            }
            Decision::Reject { reason } => {
                let status = self.status.reject()?;
                text::multi_line("reason", &reason, Self::MAX_REASON_CHARS)
                    .map_err(DecisionError::Reason)?;
                Ok((
                    Application {
                        status,
                        ..self.clone()
                    },
                    None,
                ))
            }
        }
    }
}
