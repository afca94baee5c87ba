//! Awards (the microgrants): offer, acceptance, variation, payment, completion.

mod status;
mod variation;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::application::Application;
use crate::ids::{ApplicationId, AwardId, FundId, GranteeId, RoundId};
use crate::money::{Money, MoneyError};
use crate::reference::AwardReference;
use crate::round::Round;
use crate::text::{self, TextError};
use crate::transition::TransitionError;
pub use status::AwardStatus;
pub use variation::{RangeOverride, VariationError};

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

/// Why an award is cancelled: required, at most
/// [`CancellationReason::MAX_CHARS`] characters, kept on the award, in its
/// `award.cancelled` audit event and in the notes of the tranches it fails.
///
/// ```
/// use grantledger_domain::award::CancellationReason;
/// let reason = CancellationReason::parse("  Group has wound up ")?;
/// assert_eq!(reason.as_str(), "Group has wound up");
/// assert_eq!(reason.tranche_note(), "award cancelled: Group has wound up");
/// assert!(CancellationReason::parse(" ").is_err());
/// # Ok::<(), grantledger_domain::text::TextError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CancellationReason(String);

impl CancellationReason {
    /// The longest reason.
    pub const MAX_CHARS: usize = 2_000;

    /// Parses a reason (trimmed; line breaks allowed).
    ///
    /// # Errors
    /// A [`TextError`] naming `reason` when empty, too long or holding
    /// control characters.
    pub fn parse(s: &str) -> Result<CancellationReason, TextError> {
        text::multi_line("reason", s, Self::MAX_CHARS).map(CancellationReason)
    }

    /// The reason's text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The note on a scheduled tranche that the cancellation fails.
    #[must_use]
    pub fn tranche_note(&self) -> String {
        format!("award cancelled: {}", self.0)
    }
}

/// An evaluation return due before the award was made: open data would
/// publish a grant whose planned end comes before its start.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the return cannot be due on {due}, before the award was made on {awarded_on}")]
pub struct ReturnDueBeforeAward {
    /// The due date asked for.
    pub due: NaiveDate,
    /// The day (UTC) the award was made.
    pub awarded_on: NaiveDate,
}

/// Checks an evaluation return due date against when the award was made:
/// on that day or later.
///
/// ```
/// use chrono::{NaiveDate, TimeZone, Utc};
/// use grantledger_domain::award::return_due_on;
/// let awarded = Utc.with_ymd_and_hms(2026, 11, 30, 23, 30, 0).unwrap();
/// let day = |d| NaiveDate::from_ymd_opt(2026, 11, d).unwrap();
/// assert_eq!(return_due_on(awarded, day(30)), Ok(day(30)));
/// assert!(return_due_on(awarded, day(29)).is_err());
/// ```
///
/// # Errors
/// [`ReturnDueBeforeAward`] when `due` is before the award's day.
pub fn return_due_on(
    awarded_at: DateTime<Utc>,
    due: NaiveDate,
) -> Result<NaiveDate, ReturnDueBeforeAward> {
    let awarded_on = awarded_at.date_naive();
    if due < awarded_on {
        return Err(ReturnDueBeforeAward { due, awarded_on });
    }
    Ok(due)
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

    /// What is still to pay: [`Award::committed`] − paid, so `amount − paid`
    /// while live and nothing once declined or cancelled (the unpaid money
    /// went back to the round) — the figure reconciliation uses.
    #[must_use]
    pub fn outstanding(&self) -> Money {
        // paid <= committed is kept by every method; ZERO is only a guard.
        self.committed()
            .checked_sub(self.paid)
            .unwrap_or(Money::ZERO)
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

    /// Records `amount` paid earlier and sent back by the grantee's bank.
    /// Unlike a recovery the grantee is still owed it: the award keeps its
    /// amount and what is still to pay grows by `amount`, to be scheduled
    /// again (to corrected bank details).
    ///
    /// # Errors
    /// [`AwardError::RecoveryExceedsPaid`] when more than was paid.
    pub fn record_return(&self, amount: Money) -> Result<Award, AwardError> {
        if amount.is_zero() {
            return Err(AwardError::ZeroAmount);
        }
        let paid = self
            .paid
            .checked_sub(amount)
            .map_err(|_| AwardError::RecoveryExceedsPaid {
                amount,
                paid: self.paid,
            })?;
        Ok(Award {
            paid,
            ..self.clone()
        })
    }
}

#[cfg(test)]
mod tests;
