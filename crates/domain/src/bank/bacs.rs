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
mod line;
mod originator;
mod standard18;

use crate::csv_writer::CsvWriteError;
use crate::money::Money;

pub use charset::{bacs_field, is_bacs_char, to_bacs};
pub use csv::{BANK_CSV_HEADER, bank_csv, bank_csv_audit_copy};
pub use line::BacsLine;
pub use originator::{Originator, OriginatorError, OriginatorName, ServiceUserNumber};
pub use standard18::{julian, standard18};

/// Width of the name and reference fields of a Standard 18 record.
pub const FIELD_WIDTH: usize = 18;

/// The largest amount one Standard 18 amount field holds: 11 digits of
/// pence, £999,999,999.99. The contra carries the file's total in the same
/// field, so the total is held to it too.
pub const MAX_AMOUNT_PENCE: i64 = 99_999_999_999;

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
    /// An account name with nothing left once put in the Bacs character
    /// set (e.g. written only in a non-Latin script): the payee's bank
    /// would have no name to check.
    #[error(
        "the account name has no letters or digits Bacs can carry (A-Z, 0-9); ask the grantee for the name as their bank holds it in Latin letters"
    )]
    EmptyAccountName,
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
