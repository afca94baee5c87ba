//! Payment runs: batches of due disbursements sent to the bank together.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

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

    /// Confirms the run as paid.
    ///
    /// # Errors
    /// [`TransitionError`] unless a draft.
    pub fn confirm(&self) -> Result<PaymentRun, TransitionError> {
        Ok(PaymentRun {
            status: self.status.confirm()?,
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
        assert_eq!(run.confirm().unwrap().status, Confirmed);
        assert_eq!(
            run.confirm().unwrap().cancel().unwrap_err().to_string(),
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
}
