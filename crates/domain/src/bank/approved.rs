//! Which account a line of a payment run pays.
//!
//! A second administrator approves a run for the accounts verified at that
//! moment, so the run is fixed to them: its bank file pays those accounts
//! however often it is downloaded, and a paid run's file still shows the
//! account each line was paid to after the grantee's details change. While
//! a line is still to pay, a change since approval (a newer account
//! verified, or one waiting) refuses it rather than paying an account no
//! approver saw for this run: the run is cancelled and made again.

use super::PaymentHold;

/// Why a line of a payment run cannot be paid (or approved) now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LineRefusal {
    /// Payments to the grantee are held.
    #[error("{0}")]
    Held(PaymentHold),
    /// The account the run was approved for is no longer the one in force.
    #[error(
        "the grantee's bank details changed after the run was approved; cancel the run and make a new one, so that a second administrator approves paying the new account"
    )]
    ChangedSinceApproval,
}

impl From<PaymentHold> for LineRefusal {
    fn from(hold: PaymentHold) -> Self {
        LineRefusal::Held(hold)
    }
}

/// The account a line pays, from the account fixed when its run was
/// approved (`approved`: `None` before approval, and for runs approved
/// before accounts were recorded), the grantee's verified account now or
/// why payments to them are held (`now`), and whether the line is still to
/// pay (`to_pay`; a paid, failed or returned line's file is a record).
///
/// Approving asks with `approved` as `None`: the account to fix is the one
/// verified now, and a held grantee refuses the approval.
///
/// ```
/// use grantledger_domain::bank::{account_to_pay, LineRefusal, PaymentHold};
/// // Approval fixes the account verified now.
/// assert_eq!(account_to_pay(None, Ok("A"), true), Ok("A"));
/// // Still to pay: only the approved account, and only while it is in force.
/// assert_eq!(account_to_pay(Some("A"), Ok("A"), true), Ok("A"));
/// assert_eq!(account_to_pay(Some("A"), Ok("B"), true), Err(LineRefusal::ChangedSinceApproval));
/// assert_eq!(
///     account_to_pay(Some("A"), Err(PaymentHold::AwaitingVerification), true),
///     Err(LineRefusal::Held(PaymentHold::AwaitingVerification))
/// );
/// // Paid: the account it was paid to, whatever has changed since.
/// assert_eq!(account_to_pay(Some("A"), Ok("B"), false), Ok("A"));
/// ```
///
/// # Errors
/// [`LineRefusal::Held`] when there is no approved account to fall back on
/// and the grantee is held, or when the line is still to pay and a change
/// is waiting; [`LineRefusal::ChangedSinceApproval`] when it is still to
/// pay and another account has been verified since approval.
pub fn account_to_pay<A: PartialEq>(
    approved: Option<A>,
    now: Result<A, PaymentHold>,
    to_pay: bool,
) -> Result<A, LineRefusal> {
    match approved {
        Some(approved) if !to_pay => Ok(approved),
        Some(approved) => {
            if now? == approved {
                Ok(approved)
            } else {
                Err(LineRefusal::ChangedSinceApproval)
            }
        }
        None => Ok(now?),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_paid_line_keeps_its_account_even_when_the_grantee_is_held_now() {
        for now in [
            Ok(2),
            Err(PaymentHold::AwaitingVerification),
            Err(PaymentHold::NoBankDetails),
        ] {
            assert_eq!(account_to_pay(Some(1), now, false), Ok(1));
        }
    }

    #[test]
    fn without_an_approved_account_the_line_pays_what_is_verified_now() {
        assert_eq!(account_to_pay(None, Ok(7), false), Ok(7));
        assert_eq!(
            account_to_pay::<u8>(None, Err(PaymentHold::NoBankDetails), true),
            Err(LineRefusal::Held(PaymentHold::NoBankDetails))
        );
    }

    #[test]
    fn a_line_to_pay_is_refused_once_its_account_is_replaced() {
        assert_eq!(
            account_to_pay(Some(1), Ok(2), true),
            Err(LineRefusal::ChangedSinceApproval)
        );
        assert_eq!(account_to_pay(Some(1), Ok(1), true), Ok(1));
    }
}
