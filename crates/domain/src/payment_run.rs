//! Payment runs: batches of due disbursements sent to the bank together.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::disbursement::DisbursementStatus;
use crate::ids::PaymentRunId;
use crate::money::{Money, MoneyError};
use crate::transition::TransitionError;

string_enum! {
    /// A payment run's lifecycle.
    pub enum PaymentRunStatus("payment run status") {
        /// Assembled, not yet sent.
        Draft = "draft", "Draft";
        /// Confirmed as paid by the bank.
        Confirmed = "confirmed", "Confirmed";
        /// Abandoned; its disbursements stay scheduled.
        Cancelled = "cancelled", "Cancelled";
    }
}

impl PaymentRunStatus {
    /// The tranches a run in this state lists in its bank file and counts in
    /// its total: while a draft, those still to be paid; once confirmed,
    /// those it paid (reversed later or not); once cancelled, none.
    #[must_use]
    pub const fn lists(self) -> &'static [DisbursementStatus] {
        match self {
            PaymentRunStatus::Draft => &[DisbursementStatus::Scheduled],
            PaymentRunStatus::Confirmed => {
                &[DisbursementStatus::Paid, DisbursementStatus::Reversed]
            }
            PaymentRunStatus::Cancelled => &[],
        }
    }

    /// draft → confirmed.
    ///
    /// # Errors
    /// [`TransitionError`] from any other state.
    pub fn confirm(self) -> Result<PaymentRunStatus, TransitionError> {
        match self {
            PaymentRunStatus::Draft => Ok(PaymentRunStatus::Confirmed),
            from => Err(TransitionError::new(
                "payment run",
                "confirm",
                from.as_str(),
            )),
        }
    }

    /// draft → cancelled.
    ///
    /// # Errors
    /// [`TransitionError`] from any other state.
    pub fn cancel(self) -> Result<PaymentRunStatus, TransitionError> {
        match self {
            PaymentRunStatus::Draft => Ok(PaymentRunStatus::Cancelled),
            from => Err(TransitionError::new("payment run", "cancel", from.as_str())),
        }
    }
}

/// Why a payment run cannot be assembled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PaymentRunError {
    /// Nothing to pay.
    #[error("a payment run needs at least one disbursement that is due")]
    Empty,
    /// Confirming a run whose every tranche has left it.
    #[error(
        "the payment run has nothing left to pay: every tranche in it has failed or left it; cancel the run"
    )]
    NothingLeft,
    /// Changing a run that is no longer a draft.
    #[error(transparent)]
    Transition(#[from] TransitionError),
    /// More payments than one run can count.
    #[error("a payment run can hold at most {} disbursements", u32::MAX)]
    TooMany,
    /// A total beyond the largest amount.
    #[error("the run's total {0}")]
    Money(#[from] MoneyError),
}

/// A batch of disbursements.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentRun {
    /// Identity.
    pub id: PaymentRunId,
    /// When it was assembled.
    pub created_at: DateTime<Utc>,
    /// Lifecycle state.
    pub status: PaymentRunStatus,
    /// Sum of its disbursements.
    pub total: Money,
    /// Number of disbursements.
    pub count: u32,
}

impl PaymentRun {
    /// Assembles a draft run over the given disbursement amounts.
    ///
    /// # Errors
    /// A [`PaymentRunError`].
    pub fn draft(
        id: PaymentRunId,
        created_at: DateTime<Utc>,
        amounts: impl IntoIterator<Item = Money>,
    ) -> Result<PaymentRun, PaymentRunError> {
        let mut total = Money::ZERO;
        let mut count: u32 = 0;
        for amount in amounts {
            total = total.checked_add(amount)?;
            count = count.checked_add(1).ok_or(PaymentRunError::TooMany)?;
        }
        if count == 0 {
            return Err(PaymentRunError::Empty);
        }
        Ok(PaymentRun {
            id,
            created_at,
            status: PaymentRunStatus::Draft,
            total,
            count,
        })
    }

    /// Confirms the run as paid, recording as its total and count exactly
    /// the tranches paid through it (`paid`), never what it held when it was
    /// assembled.
    ///
    /// # Errors
    /// [`PaymentRunError::Transition`] unless a draft;
    /// [`PaymentRunError::NothingLeft`] when nothing is paid.
    pub fn confirm(
        &self,
        paid: impl IntoIterator<Item = Money>,
    ) -> Result<PaymentRun, PaymentRunError> {
        let status = self.status.confirm()?;
        let recorded = match PaymentRun::draft(self.id, self.created_at, paid) {
            Err(PaymentRunError::Empty) => return Err(PaymentRunError::NothingLeft),
            other => other?,
        };
        Ok(PaymentRun { status, ..recorded })
    }

    /// Takes a tranche of `amount` out of a draft run (it failed, or its
    /// award was cancelled): the run's total and count no longer include it,
    /// so its bank file and confirmation never pay it.
    ///
    /// # Errors
    /// [`PaymentRunError::Transition`] unless a draft;
    /// [`PaymentRunError::Money`] if the run does not hold that much.
    pub fn without(&self, amount: Money) -> Result<PaymentRun, PaymentRunError> {
        if self.status != PaymentRunStatus::Draft {
            return Err(TransitionError::new("payment run", "change", self.status.as_str()).into());
        }
        Ok(PaymentRun {
            total: self.total.checked_sub(amount)?,
            count: self.count.saturating_sub(1),
            ..self.clone()
        })
    }

    /// Abandons the run.
    ///
    /// # Errors
    /// [`TransitionError`] unless a draft.
    pub fn cancel(&self) -> Result<PaymentRun, TransitionError> {
        Ok(PaymentRun {
            status: self.status.cancel()?,
            ..self.clone()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{at, m};
    use crate::transition::testing::check_table;
    use PaymentRunStatus::*;

    #[test]
    fn transitions() {
        check_table(
            "payment run",
            &PaymentRunStatus::ALL,
            PaymentRunStatus::as_str,
            &[
                ("confirm", PaymentRunStatus::confirm),
                ("cancel", PaymentRunStatus::cancel),
            ],
            &[(Draft, "confirm", Confirmed), (Draft, "cancel", Cancelled)],
        );
    }

    #[test]
    fn totals() {
        let run = PaymentRun::draft(PaymentRunId::new(), at(1, 0), [m("1.50"), m("2.25")]).unwrap();
        assert_eq!((run.total, run.count, run.status), (m("3.75"), 2, Draft));
        let confirmed = run.confirm([m("1.50"), m("2.25")]).unwrap();
        assert_eq!(confirmed.status, Confirmed);
        assert_eq!(
            confirmed.cancel().unwrap_err().to_string(),
            "cannot cancel a payment run that is confirmed"
        );
        assert_eq!(
            PaymentRun::draft(PaymentRunId::new(), at(1, 0), []),
            Err(PaymentRunError::Empty)
        );
        assert_eq!(
            PaymentRun::draft(PaymentRunId::new(), at(1, 0), [Money::MAX, m("0.01")]),
            Err(PaymentRunError::Money(MoneyError::TooLarge))
        );
    }

    #[test]
    fn a_run_records_only_what_it_pays() {
        let run = PaymentRun::draft(PaymentRunId::new(), at(1, 0), [m("500"), m("300")]).unwrap();
        let smaller = run.without(m("500")).unwrap();
        assert_eq!((smaller.total, smaller.count), (m("300"), 1));
        let confirmed = smaller.confirm([m("300")]).unwrap();
        assert_eq!(
            (confirmed.total, confirmed.count, confirmed.status),
            (m("300"), 1, Confirmed)
        );
        assert!(matches!(
            confirmed.without(m("300")),
            Err(PaymentRunError::Transition(_))
        ));
        let empty = smaller.without(m("300")).unwrap();
        assert_eq!((empty.total, empty.count), (Money::ZERO, 0));
        assert_eq!(empty.confirm([]), Err(PaymentRunError::NothingLeft));
        assert!(matches!(
            run.without(m("900")),
            Err(PaymentRunError::Money(_))
        ));
        assert_eq!(Draft.lists(), [DisbursementStatus::Scheduled]);
        assert_eq!(
            Confirmed.lists(),
            [DisbursementStatus::Paid, DisbursementStatus::Reversed]
        );
        assert!(Cancelled.lists().is_empty());
    }
}
