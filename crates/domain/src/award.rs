//! Awards (the microgrants): offer, acceptance, variation, payment, completion.

mod status;
mod variation;

use serde::{Deserialize, Serialize};

use crate::application::Application;
use crate::ids::{ApplicationId, AwardId, FundId, GranteeId, RoundId};
use crate::money::{Money, MoneyError};
use crate::reference::AwardReference;
use crate::round::Round;
use crate::transition::TransitionError;
pub use status::AwardStatus;
pub use variation::VariationError;

/// Why an award-level action is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AwardError {
    /// Not allowed from the award's current status.
    #[error(transparent)]
    Transition(#[from] TransitionError),
    /// Completing an award that still has money to pay.
    #[error("the award cannot be completed until it is fully paid: {paid} of {amount} paid")]
    NotFullyPaid {
        /// Award amount.
        amount: Money,
        /// Paid so far.
        paid: Money,
    },
    /// A payment larger than what is left to pay.
    #[error("a payment of {amount} is more than the {outstanding} still to pay on this award")]
    PaymentExceedsOutstanding {
        /// Payment amount.
        amount: Money,
        /// Still to pay.
        outstanding: Money,
    },
    /// A recovery larger than what was paid.
    #[error("a recovery of {amount} is more than the {paid} paid on this award")]
    RecoveryExceedsPaid {
        /// Recovery amount.
        amount: Money,
        /// Paid so far.
        paid: Money,
    },
    /// A zero payment or recovery.
    #[error("the amount must be more than 0.00")]
    ZeroAmount,
}

/// A microgrant awarded to a grantee from a round.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Award {
    /// Identity.
    pub id: AwardId,
    /// Human reference, e.g. `LCF-R1-000123`.
    pub reference: AwardReference,
    /// The application it came from.
    pub application_id: ApplicationId,
    /// The round paying it.
    pub round_id: RoundId,
    /// The round's fund.
    pub fund_id: FundId,
    /// The recipient.
    pub grantee_id: GranteeId,
    /// The amount awarded (after any variations).
    pub amount: Money,
    /// Paid so far (net of recoveries).
    pub paid: Money,
    /// Lifecycle state.
    pub status: AwardStatus,
}

impl Award {
    /// Offers an award for an application that [`Application::decide`] has
    /// just awarded. The caller commits `amount` from the round in the ledger.
    #[must_use]
    pub fn offer(
        id: AwardId,
        reference: AwardReference,
        application: &Application,
        round: &Round,
        amount: Money,
    ) -> Award {
        Award {
            id,
            reference,
            application_id: application.id,
            round_id: round.id,
            fund_id: round.fund_id,
            grantee_id: application.grantee_id,
            amount,
            paid: Money::ZERO,
            status: AwardStatus::Offered,
        }
    }

    /// What is still to pay (`amount − paid`).
    #[must_use]
    pub fn outstanding(&self) -> Money {
        // paid <= amount is kept by every method; ZERO is only a guard.
        self.amount.checked_sub(self.paid).unwrap_or(Money::ZERO)
    }

    /// The money this award holds against its round: the whole amount while
    /// live, only what was paid once declined or cancelled. Reconciliation
    /// sums this, so it matches the ledger after releases.
    #[must_use]
    pub fn committed(&self) -> Money {
        if self.status.is_live() {
            self.amount
        } else {
            self.paid
        }
    }

    /// The grantee accepts the offer.
    ///
    /// # Errors
    /// [`AwardError::Transition`] unless offered.
    pub fn accept(&self) -> Result<Award, AwardError> {
        Ok(Award {
            status: self.status.accept()?,
            ..self.clone()
        })
    }

    /// The grantee declines the offer. Returns the amount released back to the round.
    ///
    /// # Errors
    /// [`AwardError::Transition`] unless offered.
    pub fn decline(&self) -> Result<(Award, Money), AwardError> {
        let status = self.status.decline()?;
        Ok((
            Award {
                status,
                ..self.clone()
            },
            self.outstanding(),
        ))
    }

    /// Cancels the award. Returns the amount released back to the round:
    /// whatever has not been paid.
    ///
    /// # Errors
    /// [`AwardError::Transition`] unless offered or accepted.
    pub fn cancel(&self) -> Result<(Award, Money), AwardError> {
        let status = self.status.cancel()?;
        Ok((
            Award {
                status,
                ..self.clone()
            },
            self.outstanding(),
        ))
    }

    /// Marks a fully paid award complete.
    ///
    /// # Errors
    /// [`AwardError::Transition`] unless accepted; [`AwardError::NotFullyPaid`].
    pub fn complete(&self) -> Result<Award, AwardError> {
        let status = self.status.complete()?;
        if self.paid != self.amount {
            return Err(AwardError::NotFullyPaid {
                amount: self.amount,
                paid: self.paid,
            });
        }
        Ok(Award {
            status,
            ..self.clone()
        })
    }

    /// Records a disbursement of `amount` as paid.
    ///
    /// # Errors
    /// [`AwardError::Transition`] unless accepted; [`AwardError::ZeroAmount`];
    /// [`AwardError::PaymentExceedsOutstanding`].
    pub fn record_payment(&self, amount: Money) -> Result<Award, AwardError> {
        if !self.status.can_pay() {
            return Err(TransitionError::new("award", "pay", self.status.as_str()).into());
        }
        if amount.is_zero() {
            return Err(AwardError::ZeroAmount);
        }
        let outstanding = self.outstanding();
        if amount > outstanding {
            return Err(AwardError::PaymentExceedsOutstanding {
                amount,
                outstanding,
            });
        }
        let paid = self.paid.checked_add(amount).map_err(|_: MoneyError| {
            AwardError::PaymentExceedsOutstanding {
                amount,
                outstanding,
            }
        })?;
        Ok(Award {
            paid,
            ..self.clone()
        })
    }

    /// Records `amount` paid earlier and now returned (a reversed
    /// disbursement). The money goes back to the round, so the award shrinks
    /// by the same amount and what is still to pay is unchanged.
    ///
    /// # Errors
    /// [`AwardError::ZeroAmount`]; [`AwardError::RecoveryExceedsPaid`].
    pub fn record_recovery(&self, amount: Money) -> Result<Award, AwardError> {
        if amount.is_zero() {
            return Err(AwardError::ZeroAmount);
        }
        let too_much = || AwardError::RecoveryExceedsPaid {
            amount,
            paid: self.paid,
        };
        let paid = self.paid.checked_sub(amount).map_err(|_| too_much())?;
        let new_amount = self.amount.checked_sub(amount).map_err(|_| too_much())?;
        Ok(Award {
            paid,
            amount: new_amount,
            ..self.clone()
        })
    }
}

#[cfg(test)]
mod tests;
