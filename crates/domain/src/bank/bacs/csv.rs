//! The bulk-payment CSV that bank upload portals take (one payment a row),
//! for funds that pay through online banking instead of a Bacs submission.

use super::{BacsError, BacsLine, FIELD_WIDTH, to_bacs};
use crate::bank::RollNumber;
use crate::csv_writer::CsvWriter;

/// The header row of [`bank_csv`].
pub const BANK_CSV_HEADER: [&str; 6] = [
    "sort_code",
    "account_number",
    "account_name",
    "amount",
    "reference",
    "roll_number",
];

/// Text in the Bacs character set, cut to the 18 characters the payment
/// reaches the payee's bank with, without padding.
fn cell(s: &str) -> String {
    let mut t = to_bacs(s);
    t.truncate(FIELD_WIDTH);
    t.trim_end().to_owned()
}

/// Writes the lines as a bulk-payment CSV with the header
/// [`BANK_CSV_HEADER`]: sort code as six digits, account number as eight,
/// the account name and reference in the Bacs character set and cut to 18
/// characters (the bank sends them on through Bacs or Faster Payments,
/// which carry no more), the amount in pounds with two decimals, and the
/// building-society roll number (empty when there is none). Written through
/// [`CsvWriter`], so a cell that would start a formula is neutralised.
///
/// ```
/// use grantledger_domain::bank::{bank_csv, BacsLine, BankAccount};
/// use grantledger_domain::money::Money;
/// let to = BankAccount::parse("Tuesday Lunch Club", "12-34-56", "01234567", "").unwrap();
/// let csv = bank_csv(&[BacsLine::new(to, Money::parse("1500")?, "LCF-R1-000123")?])?;
/// assert_eq!(
///     String::from_utf8(csv)?,
///     "sort_code,account_number,account_name,amount,reference,roll_number\n\
///      123456,01234567,TUESDAY LUNCH CLUB,1500.00,LCF-R1-000123,\n"
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// [`BacsError::NoLines`], or [`BacsError::Csv`] if writing fails.
pub fn bank_csv(lines: &[BacsLine]) -> Result<Vec<u8>, BacsError> {
    write(lines, Numbers::Full)
}

/// An audit copy of [`bank_csv`]: the same header and rows, each account
/// number masked as `****5678` and a roll number cut to `****` and its last
/// four characters. For whoever checks what a run paid without holding
/// the grantees' full account numbers: an auditor.
///
/// ```
/// use grantledger_domain::bank::{bank_csv_audit_copy, BacsLine, BankAccount};
/// use grantledger_domain::money::Money;
/// let to = BankAccount::parse("Tuesday Lunch Club", "12-34-56", "01234567", "").unwrap();
/// let csv = bank_csv_audit_copy(&[BacsLine::new(to, Money::parse("1500")?, "LCF-R1-000123")?])?;
/// assert_eq!(
///     String::from_utf8(csv)?,
///     "sort_code,account_number,account_name,amount,reference,roll_number\n\
///      123456,****4567,TUESDAY LUNCH CLUB,1500.00,LCF-R1-000123,\n"
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// As [`bank_csv`].
pub fn bank_csv_audit_copy(lines: &[BacsLine]) -> Result<Vec<u8>, BacsError> {
    write(lines, Numbers::Masked)
}

/// Whether a file carries the account numbers as they are or masked.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Numbers {
    Full,
    Masked,
}

fn write(lines: &[BacsLine], numbers: Numbers) -> Result<Vec<u8>, BacsError> {
    if lines.is_empty() {
        return Err(BacsError::NoLines);
    }
    let mut writer = CsvWriter::new(Vec::new());
    writer.write_record(BANK_CSV_HEADER)?;
    for line in lines {
        let to = line.destination();
        let (account, roll) = match (numbers, to.roll_number.as_ref()) {
            (Numbers::Full, roll) => (
                to.account_number.to_string(),
                roll.map_or_else(String::new, |r| r.as_str().to_owned()),
            ),
            (Numbers::Masked, roll) => (
                to.account_number.masked(),
                roll.map_or_else(String::new, RollNumber::masked),
            ),
        };
        writer.write_record([
            to.sort_code.to_string(),
            account,
            cell(to.account_name.as_str()),
            line.amount().to_string(),
            line.reference().to_owned(),
            roll,
        ])?;
    }
    Ok(writer.into_inner()?)
}
