//! Payment runs: batches of due disbursements sent to the bank together.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::bank::PaymentHold;
use crate::disbursement::DisbursementStatus;
use crate::ids::{FundId, PaymentRunId, RoundId, UserId};
use crate::money::{Money, MoneyError};
use crate::transition::TransitionError;

string_enum! {
    /// A payment run's lifecycle. Public money leaves only on the word of
    /// two administrators: one assembles the run, another approves it, and
    /// only an approved run has a bank file.
    pub enum PaymentRunStatus("payment run status") {
        /// Assembled, waiting for a second administrator's approval.
        Draft = "draft", "Draft";
        /// Approved by a second administrator: its bank file may be sent,
        /// and each line is then confirmed paid or failed.
        Approved = "approved", "Approved";
        /// Every line settled, at least one paid.
        Confirmed = "confirmed", "Confirmed";
        /// Abandoned before anything was paid; its tranches are free again.
        Cancelled = "cancelled", "Cancelled";
    }
}

impl PaymentRunStatus {
    /// The tranches a run in this state lists in its bank file and counts in
    /// its total: while a draft, those still to be paid; once approved,
    /// those to be paid and those already confirmed paid (returned later or
    /// not), so the file stays what was sent; once confirmed, those it paid;
    /// once cancelled, none.
    #[must_use]
    pub const fn lists(self) -> &'static [DisbursementStatus] {
        use DisbursementStatus::{Paid, Returned, Reversed, Scheduled};
        match self {
            PaymentRunStatus::Draft => &[Scheduled],
            PaymentRunStatus::Approved => &[Scheduled, Paid, Reversed, Returned],
            PaymentRunStatus::Confirmed => &[Paid, Reversed, Returned],
            PaymentRunStatus::Cancelled => &[],
        }
    }

    /// draft → approved.
    ///
    /// # Errors
    /// [`TransitionError`] from any other state.
    pub fn approve(self) -> Result<PaymentRunStatus, TransitionError> {
        match self {
            PaymentRunStatus::Draft => Ok(PaymentRunStatus::Approved),
            from => Err(TransitionError::new(
                "payment run",
                "approve",
                from.as_str(),
            )),
        }
    }

    /// approved → confirmed.
    ///
    /// # Errors
    /// [`TransitionError`] from any other state (a draft must be approved
    /// first).
    pub fn confirm(self) -> Result<PaymentRunStatus, TransitionError> {
        match self {
            PaymentRunStatus::Approved => Ok(PaymentRunStatus::Confirmed),
            from => Err(TransitionError::new(
                "payment run",
                "confirm",
                from.as_str(),
            )),
        }
    }

    /// draft or approved → cancelled.
    ///
    /// # Errors
    /// [`TransitionError`] from any other state.
    pub fn cancel(self) -> Result<PaymentRunStatus, TransitionError> {
        match self {
            PaymentRunStatus::Draft | PaymentRunStatus::Approved => Ok(PaymentRunStatus::Cancelled),
            from => Err(TransitionError::new("payment run", "cancel", from.as_str())),
        }
    }

    /// Whether tranches can still join or leave the run, or be settled in it.
    #[must_use]
    pub const fn is_open(self) -> bool {
        matches!(self, PaymentRunStatus::Draft | PaymentRunStatus::Approved)
    }
}

/// Why a payment run cannot be assembled or changed as asked.
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
    /// The administrator who assembled the run tried to approve it.
    #[error(
        "you created this payment run, so another administrator must approve it (two people approve every payment of public money)"
    )]
    SameAdministrator,
    /// Approval by the system (the command line without `--as`, the demo
    /// loader): a run is approved by a named person or not at all.
    #[error("a payment run must be approved by a named administrator")]
    UnnamedApprover,
    /// A bank file asked for before approval.
    #[error("the payment run is {}: only an approved run has a bank file; a second administrator must approve it first", .0.as_str())]
    NotApproved(PaymentRunStatus),
    /// Cancelling a run some of whose lines are already confirmed paid.
    #[error(
        "{0} of the run's payments are already confirmed paid, so it cannot be cancelled; mark the rest paid or failed"
    )]
    PartlyPaid(u32),
}

/// What a payment run pays: one fund's tranches (optionally one round's),
/// due on or before a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunScope {
    /// The fund paying. `None` only for runs made before runs were per
    /// fund, which took every fund's due tranches, and whose tranches have
    /// all since left them.
    pub fund_id: Option<FundId>,
    /// Only this round's awards, when given.
    pub round_id: Option<RoundId>,
    /// Tranches due on or before this date.
    pub due_by: NaiveDate,
}

/// A batch of disbursements.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentRun {
    /// Identity.
    pub id: PaymentRunId,
    /// What it pays.
    pub scope: RunScope,
    /// When it was assembled.
    pub created_at: DateTime<Utc>,
    /// Who assembled it (`None`: the system, e.g. the demo loader).
    pub created_by: Option<UserId>,
    /// Who approved it, and when.
    pub approved: Option<(UserId, DateTime<Utc>)>,
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
        scope: RunScope,
        created_by: Option<UserId>,
        created_at: DateTime<Utc>,
        amounts: impl IntoIterator<Item = Money>,
    ) -> Result<PaymentRun, PaymentRunError> {
        let (total, count) = totals(amounts)?;
        if count == 0 {
            return Err(PaymentRunError::Empty);
        }
        Ok(PaymentRun {
            id,
            scope,
            created_at,
            created_by,
            approved: None,
            status: PaymentRunStatus::Draft,
            total,
            count,
        })
    }

    /// Approves a draft: `by` must be a named administrator other than the
    /// one who assembled it.
    ///
    /// ```
    /// use chrono::{NaiveDate, Utc};
    /// use grantledger_domain::ids::{FundId, PaymentRunId, UserId};
    /// use grantledger_domain::money::Money;
    /// use grantledger_domain::payment_run::*;
    /// let scope = RunScope { fund_id: Some(FundId::new()), round_id: None, due_by: NaiveDate::from_ymd_opt(2026, 12, 31).unwrap() };
    /// let (alice, bob) = (UserId::new(), UserId::new());
    /// let run = PaymentRun::draft(PaymentRunId::new(), scope, Some(alice), Utc::now(), [Money::parse("500")?])?;
    /// assert_eq!(run.approve(Some(alice), Utc::now()), Err(PaymentRunError::SameAdministrator));
    /// assert_eq!(run.approve(Some(bob), Utc::now())?.status, PaymentRunStatus::Approved);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// [`PaymentRunError::SameAdministrator`], [`PaymentRunError::UnnamedApprover`],
    /// or [`PaymentRunError::Transition`] unless a draft.
    pub fn approve(
        &self,
        by: Option<UserId>,
        at: DateTime<Utc>,
    ) -> Result<PaymentRun, PaymentRunError> {
        let status = self.status.approve()?;
        let by = by.ok_or(PaymentRunError::UnnamedApprover)?;
        if self.created_by == Some(by) {
            return Err(PaymentRunError::SameAdministrator);
        }
        Ok(PaymentRun {
            status,
            approved: Some((by, at)),
            ..self.clone()
        })
    }

    /// Checks the run may be written out as a bank file: approved, or
    /// confirmed (a past run's file, for the record).
    ///
    /// # Errors
    /// [`PaymentRunError::NotApproved`].
    pub fn check_exportable(&self) -> Result<(), PaymentRunError> {
        match self.status {
            PaymentRunStatus::Approved | PaymentRunStatus::Confirmed => Ok(()),
            other => Err(PaymentRunError::NotApproved(other)),
        }
    }

    /// Confirms the run as paid, recording as its total and count exactly
    /// the tranches paid through it (`paid`), never what it held when it was
    /// assembled.
    ///
    /// # Errors
    /// [`PaymentRunError::Transition`] unless approved;
    /// [`PaymentRunError::NothingLeft`] when nothing is paid.
    pub fn confirm(
        &self,
        paid: impl IntoIterator<Item = Money>,
    ) -> Result<PaymentRun, PaymentRunError> {
        let status = self.status.confirm()?;
        let (total, count) = totals(paid)?;
        if count == 0 {
            return Err(PaymentRunError::NothingLeft);
        }
        Ok(PaymentRun {
            status,
            total,
            count,
            ..self.clone()
        })
    }

    /// After one of its lines is settled on its own: once no line is left
    /// to pay and some were paid, the run is confirmed with exactly those
    /// (`paid`); otherwise it is unchanged.
    ///
    /// # Errors
    /// As [`PaymentRun::confirm`].
    pub fn after_line_settled(
        &self,
        still_to_pay: u32,
        paid: &[Money],
    ) -> Result<PaymentRun, PaymentRunError> {
        if self.status == PaymentRunStatus::Approved && still_to_pay == 0 && !paid.is_empty() {
            self.confirm(paid.iter().copied())
        } else {
            Ok(self.clone())
        }
    }

    /// Takes a tranche of `amount` out of an open run (it failed, or its
    /// award was cancelled): the run's total and count no longer include it,
    /// so its bank file and confirmation never pay it.
    ///
    /// # Errors
    /// [`PaymentRunError::Transition`] unless draft or approved;
    /// [`PaymentRunError::Money`] if the run does not hold that much.
    pub fn without(&self, amount: Money) -> Result<PaymentRun, PaymentRunError> {
        if !self.status.is_open() {
            return Err(TransitionError::new("payment run", "change", self.status.as_str()).into());
        }
        Ok(PaymentRun {
            total: self.total.checked_sub(amount)?,
            count: self.count.saturating_sub(1),
            ..self.clone()
        })
    }

    /// Abandons the run, unless `paid` of its lines are already confirmed paid.
    ///
    /// # Errors
    /// [`PaymentRunError::PartlyPaid`], or [`PaymentRunError::Transition`]
    /// unless draft or approved.
    pub fn cancel(&self, paid: u32) -> Result<PaymentRun, PaymentRunError> {
        let status = self.status.cancel()?;
        if paid > 0 {
            return Err(PaymentRunError::PartlyPaid(paid));
        }
        Ok(PaymentRun {
            status,
            ..self.clone()
        })
    }
}

/// Splits the tranches due into those a new run pays and those held out of
/// it, with why: a grantee's tranches are held while `hold_of` says its bank
/// details are missing or not yet verified.
pub fn split_held<T>(
    due: impl IntoIterator<Item = T>,
    hold_of: impl Fn(&T) -> Option<PaymentHold>,
) -> (Vec<T>, Vec<(T, PaymentHold)>) {
    let mut paid = Vec::new();
    let mut held = Vec::new();
    for line in due {
        match hold_of(&line) {
            Some(hold) => held.push((line, hold)),
            None => paid.push(line),
        }
    }
    (paid, held)
}

fn totals(amounts: impl IntoIterator<Item = Money>) -> Result<(Money, u32), PaymentRunError> {
    let mut total = Money::ZERO;
    let mut count: u32 = 0;
    for amount in amounts {
        total = total.checked_add(amount)?;
        count = count.checked_add(1).ok_or(PaymentRunError::TooMany)?;
    }
    Ok((total, count))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{at, m};
    use crate::transition::testing::check_table;
    use PaymentRunStatus::*;

    fn scope() -> RunScope {
        RunScope {
            fund_id: Some(FundId::new()),
            round_id: None,
            due_by: NaiveDate::from_ymd_opt(2026, 12, 31).unwrap(),
        }
    }

    fn draft(amounts: &[&str]) -> (PaymentRun, UserId) {
        let creator = UserId::new();
        let run = PaymentRun::draft(
            PaymentRunId::new(),
            scope(),
            Some(creator),
            at(1, 0),
            amounts.iter().map(|a| m(a)),
        )
        .unwrap();
        (run, creator)
    }

    #[test]
    fn transitions() {
        check_table(
            "payment run",
            &PaymentRunStatus::ALL,
            PaymentRunStatus::as_str,
            &[
                ("approve", PaymentRunStatus::approve),
                ("confirm", PaymentRunStatus::confirm),
                ("cancel", PaymentRunStatus::cancel),
            ],
            &[
                (Draft, "approve", Approved),
                (Approved, "confirm", Confirmed),
                (Draft, "cancel", Cancelled),
                (Approved, "cancel", Cancelled),
            ],
        );
    }

    #[test]
    fn four_eyes() {
        let (run, creator) = draft(&["1.50", "2.25"]);
        assert_eq!((run.total, run.count, run.status), (m("3.75"), 2, Draft));
        assert_eq!(
            run.approve(Some(creator), at(2, 0)),
            Err(PaymentRunError::SameAdministrator)
        );
        assert_eq!(
            run.approve(None, at(2, 0)),
            Err(PaymentRunError::UnnamedApprover)
        );
        assert_eq!(
            run.check_exportable(),
            Err(PaymentRunError::NotApproved(Draft))
        );
        assert!(matches!(
            run.confirm([m("3.75")]),
            Err(PaymentRunError::Transition(_))
        ));
        let second = UserId::new();
        let approved = run.approve(Some(second), at(2, 0)).unwrap();
        assert_eq!(approved.approved, Some((second, at(2, 0))));
        assert!(approved.check_exportable().is_ok());
        assert!(matches!(
            approved.approve(Some(UserId::new()), at(3, 0)),
            Err(PaymentRunError::Transition(_))
        ));
        let confirmed = approved.confirm([m("1.50"), m("2.25")]).unwrap();
        assert_eq!(confirmed.status, Confirmed);
        assert!(confirmed.check_exportable().is_ok());
        assert!(matches!(
            confirmed.cancel(0),
            Err(PaymentRunError::Transition(_))
        ));
    }

    #[test]
    fn sums_and_limits() {
        assert_eq!(
            PaymentRun::draft(PaymentRunId::new(), scope(), None, at(1, 0), []),
            Err(PaymentRunError::Empty)
        );
        assert_eq!(
            PaymentRun::draft(
                PaymentRunId::new(),
                scope(),
                None,
                at(1, 0),
                [Money::MAX, m("0.01")]
            ),
            Err(PaymentRunError::Money(MoneyError::TooLarge))
        );
    }

    #[test]
    fn a_run_records_only_what_it_pays() {
        let (run, _) = draft(&["500", "300"]);
        let smaller = run.without(m("500")).unwrap();
        assert_eq!((smaller.total, smaller.count), (m("300"), 1));
        let approved = smaller.approve(Some(UserId::new()), at(2, 0)).unwrap();
        let confirmed = approved.confirm([m("300")]).unwrap();
        assert_eq!(
            (confirmed.total, confirmed.count, confirmed.status),
            (m("300"), 1, Confirmed)
        );
        assert!(matches!(
            confirmed.without(m("300")),
            Err(PaymentRunError::Transition(_))
        ));
        let empty = approved.without(m("300")).unwrap();
        assert_eq!((empty.total, empty.count), (Money::ZERO, 0));
        assert_eq!(empty.confirm([]), Err(PaymentRunError::NothingLeft));
        assert!(matches!(
            run.without(m("900")),
            Err(PaymentRunError::Money(_))
        ));
    }

    #[test]
    fn held_lines_stay_out() {
        let (paid, held) = split_held([1, 2, 3], |n| {
            (*n == 2).then_some(PaymentHold::NoBankDetails)
        });
        assert_eq!(paid, [1, 3]);
        assert_eq!(held, [(2, PaymentHold::NoBankDetails)]);
    }

    #[test]
    fn lines_settled_one_by_one() {
        let (run, _) = draft(&["500", "300"]);
        let approved = run.approve(Some(UserId::new()), at(2, 0)).unwrap();
        // One paid, one still to pay: unchanged.
        assert_eq!(
            approved.after_line_settled(1, &[m("500")]).unwrap(),
            approved
        );
        // The other failed (left the run): confirmed with what was paid.
        let after_fail = approved.without(m("300")).unwrap();
        let done = after_fail.after_line_settled(0, &[m("500")]).unwrap();
        assert_eq!(
            (done.status, done.total, done.count),
            (Confirmed, m("500"), 1)
        );
        // Every line failed: nothing to confirm, the run waits to be cancelled.
        let none = approved
            .without(m("300"))
            .unwrap()
            .without(m("500"))
            .unwrap();
        assert_eq!(none.after_line_settled(0, &[]).unwrap().status, Approved);
        assert_eq!(approved.cancel(1), Err(PaymentRunError::PartlyPaid(1)));
        assert_eq!(approved.cancel(0).unwrap().status, Cancelled);
        assert_eq!(
            Approved.lists(),
            [
                DisbursementStatus::Scheduled,
                DisbursementStatus::Paid,
                DisbursementStatus::Reversed,
                DisbursementStatus::Returned
            ]
        );
        assert!(Cancelled.lists().is_empty());
    }
}
