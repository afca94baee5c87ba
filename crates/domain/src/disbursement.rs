//! Disbursements: payment tranches of an accepted award.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::award::{Award, AwardStatus};
use crate::grantee::{DueDiligenceStatus, Grantee};
use crate::ids::{AwardId, DisbursementId, PaymentRunId};
use crate::money::{Money, MoneyError};
use crate::transition::TransitionError;

string_enum! {
    /// A tranche's lifecycle.
    pub enum DisbursementStatus("disbursement status") {
        /// Due to be paid.
        Scheduled = "scheduled", "Scheduled";
        /// Paid to the grantee.
        Paid = "paid", "Paid";
        /// The bank payment failed; nothing left the fund.
        Failed = "failed", "Failed";
        /// Paid, then returned (a recovery).
        Reversed = "reversed", "Reversed";
        /// Paid, then sent back by the grantee's bank (account closed, name
        /// does not match…): the grantee is still owed it, so the money is
        /// payable again and a new tranche can be scheduled.
        Returned = "returned", "Returned by the bank";
    }
}

use DisbursementStatus::{Failed, Paid, Returned, Reversed, Scheduled};

impl DisbursementStatus {
    fn refuse(self, action: &'static str) -> TransitionError {
        TransitionError::new("disbursement", action, self.as_str())
    }

    /// scheduled → paid.
    ///
    /// # Errors
    /// [`TransitionError`] from any other state.
    pub fn pay(self) -> Result<DisbursementStatus, TransitionError> {
        match self {
            Scheduled => Ok(Paid),
            from => Err(from.refuse("pay")),
        }
    }

    /// scheduled → failed.
    ///
    /// # Errors
    /// [`TransitionError`] from any other state.
    pub fn fail(self) -> Result<DisbursementStatus, TransitionError> {
        match self {
            Scheduled => Ok(Failed),
            from => Err(from.refuse("fail")),
        }
    }

    /// paid → reversed.
    ///
    /// # Errors
    /// [`TransitionError`] from any other state.
    pub fn reverse(self) -> Result<DisbursementStatus, TransitionError> {
        match self {
            Paid => Ok(Reversed),
            from => Err(from.refuse("reverse")),
        }
    }

    /// paid → returned (by the grantee's bank).
    ///
    /// # Errors
    /// [`TransitionError`] from any other state.
    pub fn bank_return(self) -> Result<DisbursementStatus, TransitionError> {
        match self {
            Paid => Ok(Returned),
            from => Err(from.refuse("return")),
        }
    }

    /// Whether the tranche still uses up part of the award (scheduled or paid).
    #[must_use]
    pub const fn counts_against_award(self) -> bool {
        matches!(self, Scheduled | Paid)
    }
}

/// Why a tranche cannot be scheduled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DisbursementError {
    /// The award is not accepted.
    #[error("payments can only be scheduled on an accepted award; this award is {}", .status.as_str())]
    AwardNotAccepted {
        /// The award's status.
        status: AwardStatus,
    },
    /// The grantee has not passed due diligence.
    #[error("payments can only be scheduled once the grantee has passed due diligence; it is {}", .status.as_str())]
    DueDiligenceNotPassed {
        /// The grantee's due-diligence status.
        status: DueDiligenceStatus,
    },
    /// A zero tranche.
    #[error("the amount must be more than 0.00")]
    ZeroAmount,
    /// More than the award has left.
    #[error(
        "the amount {amount} is more than the {remaining} of the award not yet scheduled or paid"
    )]
    ExceedsAward {
        /// Tranche amount.
        amount: Money,
        /// Award amount minus everything scheduled or paid.
        remaining: Money,
    },
    /// The award passed is not this disbursement's award.
    #[error("the grantee given is not the award's grantee")]
    WrongGrantee,
}

impl Award {
    /// Checks a new tranche of `amount` can be scheduled, given what is
    /// already scheduled or paid (failed and reversed tranches excluded).
    ///
    /// # Errors
    /// A [`DisbursementError`]; over-scheduling names the remaining headroom.
    pub fn check_schedule(
        &self,
        amount: Money,
        already_scheduled_or_paid: Money,
        grantee: &Grantee,
    ) -> Result<(), DisbursementError> {
        if grantee.id != self.grantee_id {
            return Err(DisbursementError::WrongGrantee);
        }
        if !self.status.can_pay() {
            return Err(DisbursementError::AwardNotAccepted {
                status: self.status,
            });
        }
        if !grantee.due_diligence.has_passed() {
            return Err(DisbursementError::DueDiligenceNotPassed {
                status: grantee.due_diligence.status,
            });
        }
        if amount.is_zero() {
            return Err(DisbursementError::ZeroAmount);
        }
        let remaining = self
            .amount
            .checked_sub(already_scheduled_or_paid)
            .unwrap_or(Money::ZERO);
        if amount > remaining {
            return Err(DisbursementError::ExceedsAward { amount, remaining });
        }
        Ok(())
    }
}

/// Why a tranche cannot be marked paid as asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettleError {
    /// Not allowed from the tranche's status.
    #[error(transparent)]
    Transition(#[from] TransitionError),
    /// Paying on its own a tranche that a draft payment run will pay.
    #[error(
        "the tranche is in payment run {run}, whose bank file lists it: mark it paid through that run (once approved), or cancel the run first to pay it another way"
    )]
    InDraftRun {
        /// The run carrying it.
        run: PaymentRunId,
    },
    /// Paying through a run a tranche that run does not carry.
    #[error("the tranche is not in payment run {run}")]
    NotInRun {
        /// The run being confirmed.
        run: PaymentRunId,
    },
}

/// The code a bank gives when it sends a payment back, as on its returns
/// report (for Bacs credits, the ARUCS report: e.g. `B`, account closed):
/// 1 to 4 letters or digits, upper-cased.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ReturnReasonCode(String);

/// A return reason code that is not 1 to 4 letters or digits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the return reason code must be 1 to 4 letters or digits, as on the bank's returns report (e.g. B)"
)]
pub struct ReturnReasonCodeError;

impl ReturnReasonCode {
    /// Parses a code.
    ///
    /// ```
    /// use grantledger_domain::disbursement::ReturnReasonCode;
    /// assert_eq!(ReturnReasonCode::parse(" b ")?.as_str(), "B");
    /// assert!(ReturnReasonCode::parse("account closed").is_err());
    /// # Ok::<(), grantledger_domain::disbursement::ReturnReasonCodeError>(())
    /// ```
    ///
    /// # Errors
    /// [`ReturnReasonCodeError`].
    pub fn parse(s: &str) -> Result<ReturnReasonCode, ReturnReasonCodeError> {
        let t = s.trim().to_ascii_uppercase();
        if (1..=4).contains(&t.len()) && t.chars().all(|c| c.is_ascii_alphanumeric()) {
            Ok(ReturnReasonCode(t))
        } else {
            Err(ReturnReasonCodeError)
        }
    }

    /// The code.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ReturnReasonCode {
    type Error = ReturnReasonCodeError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        ReturnReasonCode::parse(&s)
    }
}

impl From<ReturnReasonCode> for String {
    fn from(c: ReturnReasonCode) -> String {
        c.0
    }
}

/// One payment tranche.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Disbursement {
    /// Identity.
    pub id: DisbursementId,
    /// The award paid.
    pub award_id: AwardId,
    /// Tranche amount.
    pub amount: Money,
    /// When it is due.
    pub due_on: NaiveDate,
    /// Lifecycle state.
    pub status: DisbursementStatus,
    /// The payment run that carries it, once batched.
    pub payment_run_id: Option<PaymentRunId>,
}

impl Disbursement {
    /// Schedules a tranche after [`Award::check_schedule`].
    ///
    /// # Errors
    /// As [`Award::check_schedule`].
    pub fn schedule(
        id: DisbursementId,
        award: &Award,
        amount: Money,
        due_on: NaiveDate,
        already_scheduled_or_paid: Money,
        grantee: &Grantee,
    ) -> Result<Disbursement, DisbursementError> {
        award.check_schedule(amount, already_scheduled_or_paid, grantee)?;
        Ok(Disbursement {
            id,
            award_id: award.id,
            amount,
            due_on,
            status: Scheduled,
            payment_run_id: None,
        })
    }

    /// Marks it paid on its own, outside any payment run. A tranche waiting
    /// in a draft run is paid only by confirming that run: the run's bank
    /// file still lists it, so paying it here too would pay it twice.
    ///
    /// # Errors
    /// [`SettleError::InDraftRun`] while in a run; [`SettleError::Transition`]
    /// unless scheduled.
    pub fn pay(&self) -> Result<Disbursement, SettleError> {
        let status = self.status.pay()?;
        if let Some(run) = self.payment_run_id {
            return Err(SettleError::InDraftRun { run });
        }
        Ok(Disbursement {
            status,
            ..self.clone()
        })
    }

    /// Marks it paid by confirming the payment run `run` that carries it.
    ///
    /// # Errors
    /// [`SettleError::NotInRun`] unless it is in `run`;
    /// [`SettleError::Transition`] unless scheduled.
    pub fn pay_in_run(&self, run: PaymentRunId) -> Result<Disbursement, SettleError> {
        let status = self.status.pay()?;
        if self.payment_run_id != Some(run) {
            return Err(SettleError::NotInRun { run });
        }
        Ok(Disbursement {
            status,
            ..self.clone()
        })
    }

    /// Marks it failed. A failed tranche leaves any draft run that carried
    /// it (the caller takes it out of the run's total), so the run never
    /// pays it.
    ///
    /// # Errors
    /// [`TransitionError`] unless scheduled.
    pub fn fail(&self) -> Result<Disbursement, TransitionError> {
        Ok(Disbursement {
            status: self.status.fail()?,
            payment_run_id: None,
            ..self.clone()
        })
    }

    /// Records that the money came back.
    ///
    /// # Errors
    /// [`TransitionError`] unless paid.
    pub fn reverse(&self) -> Result<Disbursement, TransitionError> {
        Ok(Disbursement {
            status: self.status.reverse()?,
            ..self.clone()
        })
    }

    /// Records that the grantee's bank sent the payment back, with its
    /// reason code. The tranche keeps its payment run, whose records show
    /// it paid and then returned.
    ///
    /// # Errors
    /// [`TransitionError`] unless paid.
    pub fn returned_by_bank(&self) -> Result<Disbursement, TransitionError> {
        Ok(Disbursement {
            status: self.status.bank_return()?,
            ..self.clone()
        })
    }

    /// The total of the tranches that still use up their award.
    ///
    /// # Errors
    /// [`MoneyError::TooLarge`] if the total is beyond [`Money::MAX`].
    pub fn scheduled_or_paid<'a>(
        all: impl IntoIterator<Item = &'a Disbursement>,
    ) -> Result<Money, MoneyError> {
        Money::sum(
            all.into_iter()
                .filter(|d| d.status.counts_against_award())
                .map(|d| d.amount),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::award::AwardStatus;
    use crate::grantee::{DueDiligence, DueDiligenceOutcome};
    use crate::ids::UserId;
    use crate::reference::{AwardReference, FundCode};
    use crate::testing::{at, grantee, m};
    use crate::transition::testing::check_table;

    #[test]
    fn transitions() {
        check_table(
            "disbursement",
            &DisbursementStatus::ALL,
            DisbursementStatus::as_str,
            &[
                ("pay", DisbursementStatus::pay),
                ("fail", DisbursementStatus::fail),
                ("reverse", DisbursementStatus::reverse),
                ("return", DisbursementStatus::bank_return),
            ],
            &[
                (Scheduled, "pay", Paid),
                (Scheduled, "fail", Failed),
                (Paid, "reverse", Reversed),
                (Paid, "return", Returned),
            ],
        );
    }

    fn setup(status: AwardStatus) -> (Award, Grantee) {
        let g = grantee();
        let g = Grantee {
            due_diligence: DueDiligence::pending()
                .record(DueDiligenceOutcome::Passed, UserId::new(), at(1, 0))
                .unwrap(),
            ..g
        };
        let award = Award {
            id: AwardId::new(),
            reference: AwardReference::new(FundCode::parse("LCF").unwrap(), 1, 1).unwrap(),
            application_id: crate::ids::ApplicationId::new(),
            round_id: crate::ids::RoundId::new(),
            fund_id: crate::ids::FundId::new(),
            grantee_id: g.id,
            amount: m("1000"),
            paid: Money::ZERO,
            status,
        };
        (award, g)
    }

    #[test]
    fn schedule_rules() {
        let (a, g) = setup(AwardStatus::Accepted);
        assert_eq!(a.check_schedule(m("400"), m("600"), &g), Ok(()));
        let err = a.check_schedule(m("400.01"), m("600"), &g).unwrap_err();
        assert_eq!(
            err,
            DisbursementError::ExceedsAward {
                amount: m("400.01"),
                remaining: m("400")
            }
        );
        assert_eq!(
            err.to_string(),
            "the amount 400.01 is more than the 400.00 of the award not yet scheduled or paid"
        );
        assert_eq!(
            a.check_schedule(Money::ZERO, Money::ZERO, &g),
            Err(DisbursementError::ZeroAmount)
        );
        let pending = Grantee {
            due_diligence: DueDiligence::pending(),
            ..g.clone()
        };
        assert_eq!(
            a.check_schedule(m("1"), Money::ZERO, &pending),
            Err(DisbursementError::DueDiligenceNotPassed {
                status: DueDiligenceStatus::Pending
            })
        );
        assert_eq!(
            a.check_schedule(m("1"), Money::ZERO, &grantee()),
            Err(DisbursementError::WrongGrantee)
        );
        for status in [
            AwardStatus::Offered,
            AwardStatus::Completed,
            AwardStatus::Declined,
            AwardStatus::Cancelled,
        ] {
            let (a, g) = setup(status);
            assert_eq!(
                a.check_schedule(m("1"), Money::ZERO, &g),
                Err(DisbursementError::AwardNotAccepted { status })
            );
        }
    }

    #[test]
    fn tranche_lifecycle() {
        let (a, g) = setup(AwardStatus::Accepted);
        let due = NaiveDate::from_ymd_opt(2019, 9, 1).unwrap();
        let d1 = Disbursement::schedule(DisbursementId::new(), &a, m("600"), due, Money::ZERO, &g)
            .unwrap();
        let d2 =
            Disbursement::schedule(DisbursementId::new(), &a, m("400"), due, m("600"), &g).unwrap();
        let paid = d1.pay().unwrap();
        let failed = d2.fail().unwrap();
        assert_eq!(
            Disbursement::scheduled_or_paid([&paid, &failed]).unwrap(),
            m("600")
        );
        let reversed = paid.reverse().unwrap();
        assert_eq!(
            Disbursement::scheduled_or_paid([&reversed, &d2]).unwrap(),
            m("400")
        );
        assert_eq!(
            failed.pay().unwrap_err().to_string(),
            "cannot pay a disbursement that is failed"
        );
    }

    #[test]
    fn a_tranche_in_a_run_is_paid_only_by_that_run() {
        let (a, g) = setup(AwardStatus::Accepted);
        let due = NaiveDate::from_ymd_opt(2019, 9, 1).unwrap();
        let (run, other) = (PaymentRunId::new(), PaymentRunId::new());
        let d = Disbursement {
            payment_run_id: Some(run),
            ..Disbursement::schedule(DisbursementId::new(), &a, m("600"), due, Money::ZERO, &g)
                .unwrap()
        };
        assert_eq!(d.pay(), Err(SettleError::InDraftRun { run }));
        assert_eq!(
            d.pay_in_run(other),
            Err(SettleError::NotInRun { run: other })
        );
        assert_eq!(d.pay_in_run(run).unwrap().status, Paid);
        let failed = d.fail().unwrap();
        assert_eq!((failed.status, failed.payment_run_id), (Failed, None));
    }
}
