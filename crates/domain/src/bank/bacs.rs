//! The files a UK bank accepts for a payment run: a Bacs Standard 18 file
//! ([`standard18`]) for a direct submitter or bureau, and a bulk-payment
//! CSV ([`bank_csv`]) for a bank's upload portal. docs/BACS.md gives both
//! layouts field by field, with sources.
//!
//! Both are written only for an approved payment run, from lines whose
//! grantee has verified bank details; the server enforces that before it
//! builds a [`BacsLine`]. This module makes sure what it is given fits the
//! formats: amounts positive and within the 11-digit field, text in the
//! Bacs character set and cut to width.

mod charset;
mod csv;
mod standard18;

use core::fmt;

use crate::bank::{AccountNumber, BankAccount, SortCode};
use crate::csv_writer::CsvWriteError;
use crate::money::Money;

pub use charset::{bacs_field, is_bacs_char, to_bacs};
pub use csv::{BANK_CSV_HEADER, bank_csv};
pub use standard18::{julian, standard18};

/// Width of the name and reference fields of a Standard 18 record.
pub const FIELD_WIDTH: usize = 18;

/// The largest amount one Standard 18 amount field holds: 11 digits of
/// pence, £999,999,999.99. The contra carries the file's total in the same
/// field, so the total is held to it too.
pub const MAX_AMOUNT_PENCE: i64 = 99_999_999_999;

/// Why the fund's Bacs identity from configuration was refused. Each
/// variant names the setting.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OriginatorError {
    /// Not six digits.
    #[error("Bacs service user number (SUN) must be 6 digits")]
    ServiceUserNumber,
    /// Not a sort code.
    #[error("originating sort code must be 6 digits, like 12-34-56")]
    SortCode,
    /// Not an account number.
    #[error("originating account number must be 8 digits")]
    AccountNumber,
    /// Empty, over 18 characters, or outside the Bacs character set.
    #[error("originator name must be 1 to 18 characters, each a letter, digit, space or . & / -")]
    Name,
}

/// A Bacs service user number (SUN): the six digits Bacs gives a service
/// user, written into the labels of every file it submits.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ServiceUserNumber(String);

impl ServiceUserNumber {
    /// Parses a SUN, ignoring spaces around it.
    ///
    /// # Errors
    /// [`OriginatorError::ServiceUserNumber`].
    pub fn parse(s: &str) -> Result<ServiceUserNumber, OriginatorError> {
        let t = s.trim();
        if t.len() == 6 && t.bytes().all(|b| b.is_ascii_digit()) {
            Ok(ServiceUserNumber(t.to_owned()))
        } else {
            Err(OriginatorError::ServiceUserNumber)
        }
    }

    /// The six digits.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ServiceUserNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The fund's short name as recipients' statements show it: 1 to 18
/// characters of the Bacs character set, upper case.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OriginatorName(String);

impl OriginatorName {
    /// Parses a name, upper-casing it. Unlike payees' names it is refused,
    /// not converted, when outside the set: it is configured once, so
    /// whoever configures it should see exactly what statements will show.
    ///
    /// # Errors
    /// [`OriginatorError::Name`].
    pub fn parse(s: &str) -> Result<OriginatorName, OriginatorError> {
        let t = s.trim().to_ascii_uppercase();
        if (1..=FIELD_WIDTH).contains(&t.len()) && t.chars().all(is_bacs_char) {
            Ok(OriginatorName(t))
        } else {
            Err(OriginatorError::Name)
        }
    }

    /// The name.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for OriginatorName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The fund as a Bacs originator: its service user number and the account
/// the payments are taken from. Comes from configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Originator {
    sun: ServiceUserNumber,
    sort_code: SortCode,
    account_number: AccountNumber,
    name: OriginatorName,
}

impl Originator {
    /// An originator from parts already parsed.
    #[must_use]
    pub fn new(
        sun: ServiceUserNumber,
        sort_code: SortCode,
        account_number: AccountNumber,
        name: OriginatorName,
    ) -> Originator {
        Originator {
            sun,
            sort_code,
            account_number,
            name,
        }
    }

    /// Parses the four settings as configured.
    ///
    /// ```
    /// use grantledger_domain::bank::{Originator, OriginatorError};
    /// let o = Originator::parse("123456", "40-11-62", "12345678", "Local Fund")?;
    /// assert_eq!(o.name().as_str(), "LOCAL FUND");
    /// assert_eq!(
    ///     Originator::parse("12345", "40-11-62", "12345678", "Local Fund"),
    ///     Err(OriginatorError::ServiceUserNumber)
    /// );
    /// # Ok::<(), OriginatorError>(())
    /// ```
    ///
    /// # Errors
    /// The first bad setting, in argument order.
    pub fn parse(
        sun: &str,
        sort_code: &str,
        account_number: &str,
        name: &str,
    ) -> Result<Originator, OriginatorError> {
        Ok(Originator {
            sun: ServiceUserNumber::parse(sun)?,
            sort_code: SortCode::parse(sort_code).map_err(|_| OriginatorError::SortCode)?,
            account_number: AccountNumber::parse(account_number)
                .map_err(|_| OriginatorError::AccountNumber)?,
            name: OriginatorName::parse(name)?,
        })
    }

    /// The service user number.
    #[must_use]
    pub fn sun(&self) -> &ServiceUserNumber {
        &self.sun
    }

    /// The sort code payments are taken from.
    #[must_use]
    pub fn sort_code(&self) -> SortCode {
        self.sort_code
    }

    /// The account payments are taken from.
    #[must_use]
    pub fn account_number(&self) -> AccountNumber {
        self.account_number
    }

    /// The name on recipients' statements.
    #[must_use]
    pub fn name(&self) -> &OriginatorName {
        &self.name
    }
}

/// Why a payment line or a bank file could not be made. Messages name what
/// is wrong and never echo account numbers.
#[derive(Debug, thiserror::Error)]
pub enum BacsError {
    /// A payment of £0.00.
    #[error("a payment must be more than 0.00")]
    AmountNotPositive,
    /// A payment too large for the 11-digit amount field.
    #[error("a payment of {amount} is over the Bacs limit of 999999999.99 for one payment")]
    AmountTooLarge {
        /// The amount given.
        amount: Money,
    },
    /// A reference with nothing left once put in the Bacs character set.
    #[error(
        "the payment reference must contain letters or digits (Bacs allows A-Z, 0-9 and . & / - and space)"
    )]
    EmptyReference,
    /// A file with no payments.
    #[error("a bank file needs at least one payment")]
    NoLines,
    /// More payments than the 7-digit counts of the trailer hold.
    #[error("a bank file holds at most 9999999 payments; got {count}")]
    TooManyLines {
        /// The number of payments given.
        count: usize,
    },
    /// The total is over what the contra's 11-digit amount field holds.
    #[error(
        "the payments total more than 999999999.99, the most one Bacs file can carry; split the run"
    )]
    TotalTooLarge,
    /// A processing day on a Saturday or Sunday.
    #[error("{day} is a {weekday}; Bacs processes files on banking days only, Monday to Friday")]
    NotABankingDay {
        /// The day given.
        day: chrono::NaiveDate,
        /// Its day of the week.
        weekday: chrono::Weekday,
    },
    /// A processing day before the day the file is made.
    #[error("the processing day {processing_day} is before the file's creation day {created}")]
    ProcessingDayBeforeCreation {
        /// The day given for processing.
        processing_day: chrono::NaiveDate,
        /// The day given for creation.
        created: chrono::NaiveDate,
    },
    /// A file serial number outside 1 to 999999.
    #[error("the file serial number must be between 1 and 999999; got {got}")]
    FileSerial {
        /// The number given.
        got: u32,
    },
    /// Writing the CSV failed.
    #[error(transparent)]
    Csv(#[from] CsvWriteError),
}

/// One payment in a bank file: a credit to a grantee's verified account.
/// Valid by construction: the amount is positive and fits the Bacs amount
/// field, and the reference is in the Bacs character set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BacsLine {
    destination: BankAccount,
    amount: Money,
    reference: String,
}

impl BacsLine {
    /// A payment of `amount` to `destination` with `reference` (the award
    /// reference, e.g. `LCF-R1-000123`), put into the Bacs character set
    /// and cut to 18 characters.
    ///
    /// ```
    /// use grantledger_domain::bank::{BacsLine, BankAccount};
    /// use grantledger_domain::money::Money;
    /// let to = BankAccount::parse("Tuesday Lunch Club", "12-34-56", "12345678", "").unwrap();
    /// let line = BacsLine::new(to, Money::parse("1500")?, "lcf-r1-000123")?;
    /// assert_eq!(line.reference(), "LCF-R1-000123");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// [`BacsError::AmountNotPositive`], [`BacsError::AmountTooLarge`] or
    /// [`BacsError::EmptyReference`].
    pub fn new(
        destination: BankAccount,
        amount: Money,
        reference: &str,
    ) -> Result<BacsLine, BacsError> {
        if amount.is_zero() {
            return Err(BacsError::AmountNotPositive);
        }
        if amount.pence() > MAX_AMOUNT_PENCE {
            return Err(BacsError::AmountTooLarge { amount });
        }
        let mut reference = to_bacs(reference);
        reference.truncate(FIELD_WIDTH);
        let reference = reference.trim_end().to_owned();
        if !reference.bytes().any(|b| b.is_ascii_alphanumeric()) {
            return Err(BacsError::EmptyReference);
        }
        Ok(BacsLine {
            destination,
            amount,
            reference,
        })
    }

    /// The account credited.
    #[must_use]
    pub fn destination(&self) -> &BankAccount {
        &self.destination
    }

    /// The amount paid.
    #[must_use]
    pub fn amount(&self) -> Money {
        self.amount
    }

    /// The payment reference as given, in the Bacs character set, at most
    /// 18 characters.
    #[must_use]
    pub fn reference(&self) -> &str {
        &self.reference
    }

    /// What the Standard 18 reference field carries: the building-society
    /// roll number when the account has one, because the society needs it
    /// to find the member's account behind its own pooled account; the
    /// payment reference otherwise.
    #[must_use]
    pub fn statement_reference(&self) -> &str {
        self.destination
            .roll_number
            .as_ref()
            .map_or(self.reference.as_str(), |r| r.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(roll: &str) -> BankAccount {
        BankAccount::parse("Tuesday Lunch Club", "12-34-56", "12345678", roll).unwrap()
    }

    #[test]
    fn originator_settings_are_named_when_wrong() {
        let ok = ("123456", "40-11-62", "12345678", "Local Fund");
        assert!(Originator::parse(ok.0, ok.1, ok.2, ok.3).is_ok());
        for (sun, sort, number, name, expected) in [
            (
                "12345a",
                ok.1,
                ok.2,
                ok.3,
                OriginatorError::ServiceUserNumber,
            ),
            (
                "1234567",
                ok.1,
                ok.2,
                ok.3,
                OriginatorError::ServiceUserNumber,
            ),
            (ok.0, "40-11", ok.2, ok.3, OriginatorError::SortCode),
            (ok.0, ok.1, "1234", ok.3, OriginatorError::AccountNumber),
            (ok.0, ok.1, ok.2, "", OriginatorError::Name),
            (ok.0, ok.1, ok.2, "Fund, the", OriginatorError::Name),
            (ok.0, ok.1, ok.2, "Café Fund", OriginatorError::Name),
            (
                ok.0,
                ok.1,
                ok.2,
                "ABCDEFGHIJKLMNOPQRS",
                OriginatorError::Name,
            ),
        ] {
            assert_eq!(
                Originator::parse(sun, sort, number, name),
                Err(expected.clone()),
                "{sun} {sort} {name}"
            );
        }
        assert_eq!(
            OriginatorName::parse(" local fund & co ").unwrap().as_str(),
            "LOCAL FUND & CO"
        );
    }

    #[test]
    fn amounts_must_be_positive_and_fit_eleven_digits() {
        assert!(matches!(
            BacsLine::new(account(""), Money::ZERO, "LCF-R1-000001"),
            Err(BacsError::AmountNotPositive)
        ));
        let max = Money::from_pence(MAX_AMOUNT_PENCE).unwrap();
        assert!(BacsLine::new(account(""), max, "LCF-R1-000001").is_ok());
        let over = Money::from_pence(MAX_AMOUNT_PENCE + 1).unwrap();
        let e = BacsLine::new(account(""), over, "LCF-R1-000001").unwrap_err();
        assert!(matches!(e, BacsError::AmountTooLarge { .. }));
        assert!(e.to_string().contains("1000000000.00"), "{e}");
    }

    #[test]
    fn references_are_put_in_the_set_and_cut() {
        let line = BacsLine::new(
            account(""),
            Money::parse("1").unwrap(),
            "lcf-r1-000123 extra words",
        )
        .unwrap();
        assert_eq!(line.reference(), "LCF-R1-000123 EXTR");
        for blank in ["", "   ", "££", "-/-"] {
            assert!(
                matches!(
                    BacsLine::new(account(""), Money::parse("1").unwrap(), blank),
                    Err(BacsError::EmptyReference)
                ),
                "{blank:?}"
            );
        }
    }

    #[test]
    fn roll_number_takes_the_reference_field() {
        let plain =
            BacsLine::new(account(""), Money::parse("1").unwrap(), "LCF-R1-000001").unwrap();
        assert_eq!(plain.statement_reference(), "LCF-R1-000001");
        let society = BacsLine::new(
            account("ab/123.4-5"),
            Money::parse("1").unwrap(),
            "LCF-R1-000001",
        )
        .unwrap();
        assert_eq!(society.statement_reference(), "AB/123.4-5");
        assert_eq!(society.reference(), "LCF-R1-000001");
    }
}
