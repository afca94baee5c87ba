//! Paying grantees: their bank accounts, checked by shape and (in later
//! modules) by the Pay.UK modulus rules, and the files a bank accepts.

mod account;
mod approved;
mod bacs;
mod details;
mod modulus;

pub use account::{
    AccountName, AccountNumber, BankAccount, BankAccountError, RollNumber, SortCode,
};
pub use approved::{LineRefusal, account_to_pay};
pub use bacs::{
    BANK_CSV_HEADER, BacsError, BacsLine, Originator, OriginatorError, OriginatorName,
    ServiceUserNumber, bacs_field, bank_csv, bank_csv_audit_copy, is_bacs_char, julian, standard18,
    to_bacs,
};
pub use details::{
    BankDetails, BankDetailsError, Decision, Entered, Pending, Verified, payment_hold,
};
pub use modulus::{
    ModulusFile, ModulusLineProblem, ModulusOutcome, ModulusTable, ModulusTableError,
};

/// Why tranches due to a grantee are held out of a payment run: money goes
/// only to an account a second administrator has verified, and a change of
/// account (the usual way grant money is stolen) holds payments until the
/// new one is verified too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PaymentHold {
    /// The grantee has given no bank account.
    NoBankDetails,
    /// An account was given or changed and no second administrator has
    /// verified it yet.
    AwaitingVerification,
}

impl PaymentHold {
    /// A stable code for APIs and files.
    #[must_use]
    pub const fn code(self) -> &'static str {
        match self {
            PaymentHold::NoBankDetails => "no_bank_details",
            PaymentHold::AwaitingVerification => "bank_details_awaiting_verification",
        }
    }
}

impl PaymentHold {
    /// Reads back [`PaymentHold::code`].
    #[must_use]
    pub fn from_code(code: &str) -> Option<PaymentHold> {
        [
            PaymentHold::NoBankDetails,
            PaymentHold::AwaitingVerification,
        ]
        .into_iter()
        .find(|h| h.code() == code)
    }
}

impl core::fmt::Display for PaymentHold {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            PaymentHold::NoBankDetails => "the grantee has given no bank details",
            PaymentHold::AwaitingVerification => {
                "the grantee's bank details are new or changed and not yet verified by a second administrator"
            }
        })
    }
}
