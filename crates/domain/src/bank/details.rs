//! The lifecycle of a grantee's bank details under dual control.
//!
//! A change entered by anyone (a user of the grantee organisation or an
//! administrator) is *awaiting verification* and holds payments. An
//! administrator who did not enter it verifies it with a note saying how
//! (for example "called the treasurer on the number we hold"); from then on
//! it is the account paid. A newer change does not replace the verified
//! account until it is verified itself, so payments are held meanwhile.
//! An administrator may reject a pending change with a note: the previous
//! verified account (if any) stays in force, because a rejected change is
//! usually a failed attempt to divert grant money and must leave no trace
//! in what is paid.
//!
//! The account itself is a type parameter so the same rules serve stored
//! (encrypted) rows and decrypted accounts.

use chrono::{DateTime, Utc};

use super::PaymentHold;
use crate::ids::UserId;

/// Why a step in the bank details lifecycle was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BankDetailsError {
    /// Dual control: the person who entered a change may not verify it.
    #[error(
        "bank details must be verified by an administrator other than the person who entered them"
    )]
    SameAdministrator,
    /// Verify or reject with nothing pending.
    #[error("there is no change of bank details waiting to be verified")]
    NothingPending,
    /// The note saying how the change was checked is empty.
    #[error("enter a note saying how the bank details were checked")]
    NoteRequired,
}

/// Who entered a change, and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entered {
    /// The user who typed the details.
    pub by: UserId,
    /// When.
    pub at: DateTime<Utc>,
}

/// A second administrator's check of a change, or refusal of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// The administrator.
    pub by: UserId,
    /// When.
    pub at: DateTime<Utc>,
    /// How the change was checked, or why it was refused.
    pub note: String,
}

/// A change waiting for a second administrator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending<A> {
    /// The account entered.
    pub account: A,
    /// Who entered it.
    pub entered: Entered,
}

/// A verified account: the one payments go to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified<A> {
    /// The account.
    pub account: A,
    /// Who entered it.
    pub entered: Entered,
    /// Who verified it and how.
    pub verified: Decision,
}

/// A grantee's bank details: the verified account in force (if any) and a
/// change awaiting verification (if any).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BankDetails<A> {
    /// The account paid.
    pub in_force: Option<Verified<A>>,
    /// A newer change holding payments until verified or rejected.
    pub pending: Option<Pending<A>>,
}

impl<A> Default for BankDetails<A> {
    fn default() -> Self {
        BankDetails {
            in_force: None,
            pending: None,
        }
    }
}

fn checked_note(note: &str) -> Result<String, BankDetailsError> {
    let note = note.trim();
    if note.is_empty() {
        return Err(BankDetailsError::NoteRequired);
    }
    Ok(note.to_owned())
}

impl<A> BankDetails<A> {
    /// Enters a change; it replaces any earlier pending change (only the
    /// latest typed account can be verified) and holds payments.
    #[must_use]
    pub fn enter(self, account: A, entered: Entered) -> BankDetails<A> {
        BankDetails {
            in_force: self.in_force,
            pending: Some(Pending { account, entered }),
        }
    }

    /// Verifies the pending change: it becomes the account paid.
    ///
    /// # Errors
    /// [`BankDetailsError::SameAdministrator`] if `by` entered it,
    /// [`BankDetailsError::NothingPending`], [`BankDetailsError::NoteRequired`].
    pub fn verify(
        self,
        by: UserId,
        at: DateTime<Utc>,
        note: &str,
    ) -> Result<BankDetails<A>, BankDetailsError> {
        let note = checked_note(note)?;
        let pending = self.pending.ok_or(BankDetailsError::NothingPending)?;
        if pending.entered.by == by {
            return Err(BankDetailsError::SameAdministrator);
        }
        Ok(BankDetails {
            in_force: Some(Verified {
                account: pending.account,
                entered: pending.entered,
                verified: Decision { by, at, note },
            }),
            pending: None,
        })
    }

    /// Rejects the pending change; the previous verified account stays in
    /// force. Anyone but the enterer may reject (rejecting one's own typo is
    /// done by entering the right details instead).
    ///
    /// # Errors
    /// As [`BankDetails::verify`].
    pub fn reject(
        self,
        by: UserId,
        at: DateTime<Utc>,
        note: &str,
    ) -> Result<(BankDetails<A>, Pending<A>, Decision), BankDetailsError> {
        let note = checked_note(note)?;
        let pending = self.pending.ok_or(BankDetailsError::NothingPending)?;
        if pending.entered.by == by {
            return Err(BankDetailsError::SameAdministrator);
        }
        Ok((
            BankDetails {
                in_force: self.in_force,
                pending: None,
            },
            pending,
            Decision { by, at, note },
        ))
    }

    /// Why payments to the grantee are held, if they are.
    #[must_use]
    pub fn hold(&self) -> Option<PaymentHold> {
        payment_hold(self.in_force.is_some(), self.pending.is_some())
    }
}

/// The hold for a grantee from whether it has a verified account in force
/// and a pending change: nothing at all → no details; anything pending or
/// never verified → awaiting verification; else payable.
#[must_use]
pub fn payment_hold(has_verified: bool, has_pending: bool) -> Option<PaymentHold> {
    match (has_verified, has_pending) {
        (false, false) => Some(PaymentHold::NoBankDetails),
        (_, true) => Some(PaymentHold::AwaitingVerification),
        (true, false) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entered(by: UserId) -> Entered {
        Entered { by, at: Utc::now() }
    }

    #[test]
    fn no_details_hold_payment() {
        assert_eq!(
            BankDetails::<u8>::default().hold(),
            Some(PaymentHold::NoBankDetails)
        );
    }

    #[test]
    fn enterer_cannot_verify_another_can() {
        let (a, b) = (UserId::new(), UserId::new());
        let d = BankDetails::default().enter(1u8, entered(a));
        assert_eq!(d.hold(), Some(PaymentHold::AwaitingVerification));
        assert_eq!(
            d.clone().verify(a, Utc::now(), "called them"),
            Err(BankDetailsError::SameAdministrator)
        );
        assert_eq!(
            d.clone().verify(b, Utc::now(), "  "),
            Err(BankDetailsError::NoteRequired)
        );
        let v = d.verify(b, Utc::now(), "called them").unwrap();
        assert_eq!(v.hold(), None);
        assert_eq!(v.in_force.as_ref().map(|v| v.account), Some(1));
    }

    #[test]
    fn a_change_holds_until_verified_and_reject_restores_the_previous() {
        let (a, b) = (UserId::new(), UserId::new());
        let v = BankDetails::default()
            .enter(1u8, entered(a))
            .verify(b, Utc::now(), "ok")
            .unwrap();
        let changed = v.clone().enter(2, entered(a));
        assert_eq!(changed.hold(), Some(PaymentHold::AwaitingVerification));
        let (back, refused, _) = changed.reject(b, Utc::now(), "fraud").unwrap();
        assert_eq!(refused.account, 2);
        assert_eq!(back, v);
        assert_eq!(
            back.verify(b, Utc::now(), "x"),
            Err(BankDetailsError::NothingPending)
        );
    }
}
