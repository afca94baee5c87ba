//! The Bacs Standard 18 file: labels, one credit record per payment, the
//! contra that debits the fund's account with the total, and the trailer
//! labels. docs/BACS.md documents every position written here.

use chrono::{Datelike, NaiveDate, Weekday};

use super::{BacsError, BacsLine, FIELD_WIDTH, MAX_AMOUNT_PENCE, Originator, bacs_field};
use crate::bank::{AccountNumber, SortCode};

/// Every record is this long. Bacs labels are 80 characters; they are
/// padded with spaces to the width of the data records so the file has
/// one fixed record length, as bank upload portals for "100-character
/// Standard 18" files expect.
pub(super) const RECORD_WIDTH: usize = 100;

/// Records end with CR LF, the line ending bank upload portals accept on
/// every platform (some refuse a bare LF).
pub(super) const LINE_END: &str = "\r\n";

/// Transaction code of a credit to the destination account.
const CREDIT: &str = "99";
/// Transaction code of the contra: the debit of the originator's account.
const CONTRA_DEBIT: &str = "17";

/// The largest count the trailer's 7-digit count fields hold.
const MAX_COUNT: usize = 9_999_999;

/// A date in the Bacs julian form ` YYDDD`: a space, the last two digits of
/// the year and the day of the year (001–366).
///
/// ```
/// use chrono::NaiveDate;
/// use grantledger_domain::bank::julian;
/// let d = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
/// assert_eq!(julian(d), " 26341");
/// ```
#[must_use]
pub fn julian(day: NaiveDate) -> String {
    format!(" {:02}{:03}", day.year().rem_euclid(100), day.ordinal())
}

/// One record being built left to right.
struct Record(String);

impl Record {
    fn new() -> Record {
        Record(String::with_capacity(RECORD_WIDTH + LINE_END.len()))
    }

    /// Text already in the Bacs set and of its field's width.
    fn raw(mut self, s: &str) -> Record {
        self.0.push_str(s);
        self
    }

    /// Free text: Bacs character set, cut or padded to `width`.
    fn text(self, s: &str, width: usize) -> Record {
        self.raw(&bacs_field(s, width))
    }

    /// `width` spaces.
    fn blank(mut self, width: usize) -> Record {
        self.0.extend(std::iter::repeat_n(' ', width));
        self
    }

    /// A number right-aligned and zero-filled to `width`. Callers check the
    /// range first, so nothing is ever wider than its field.
    fn number(mut self, n: u64, width: usize) -> Record {
        self.0.push_str(&format!("{n:0width$}"));
        self
    }

    fn sort_code(self, s: SortCode) -> Record {
        self.raw(&s.to_string())
    }

    fn account(self, a: AccountNumber) -> Record {
        self.raw(&a.to_string())
    }

    /// Pads a label to the record width and ends the line.
    fn end(mut self, out: &mut String) {
        let pad = RECORD_WIDTH.saturating_sub(self.0.len());
        self = self.blank(pad);
        out.push_str(&self.0);
        out.push_str(LINE_END);
    }
}

/// What the labels need to know about the file.
struct Labels<'a> {
    originator: &'a Originator,
    serial: String,
    created: String,
}

impl Labels<'_> {
    /// VOL1, the volume header label.
    fn vol1(&self, out: &mut String) {
        Record::new()
            .raw("VOL1")
            .raw(&self.serial) // 5-10 submission serial number
            .raw("0") // 11 accessibility indicator
            .blank(20) // 12-31 reserved
            .blank(6) // 32-37 reserved
            .blank(4) // 38-41 owner identification, first part
            .raw(self.originator.sun().as_str()) // 42-47 service user number
            .blank(4) // 48-51 owner identification, last part
            .blank(28) // 52-79 reserved
            .raw("1") // 80 label standard level
            .end(out);
    }

    /// HDR1 or EOF1: the file header label and its end-of-file twin.
    fn file_label(&self, label: &str, out: &mut String) {
        let sun = self.originator.sun().as_str();
        Record::new()
            .raw(label)
            .raw("A") // 5 file identifier: file of a service user
            .raw(sun) // 6-11 service user number
            .raw("S") // 12 single file
            .blank(2) // 13-14
            .raw("1") // 15
            .raw(sun) // 16-21 service user number again
            .raw(&self.serial) // 22-27 set identification = VOL1 serial
            .raw("0001") // 28-31 file section number
            .raw("0001") // 32-35 file sequence number
            .blank(4) // 36-39 generation number
            .blank(2) // 40-41 generation version number
            .raw(&self.created) // 42-47 creation date
            .raw(&self.created) // 48-53 expiration date
            .raw("0") // 54 accessibility indicator
            .raw("000000") // 55-60 block count
            .blank(13) // 61-73 system code
            .blank(7) // 74-80 reserved
            .end(out);
    }

    /// HDR2 or EOF2: fixed-length records of 100 characters.
    fn format_label(label: &str, out: &mut String) {
        Record::new()
            .raw(label)
            .raw("F") // 5 record format: fixed
            .raw("02000") // 6-10 block length
            .raw("00100") // 11-15 record length
            .blank(35) // 16-50 reserved
            .raw("00") // 51-52 buffer offset
            .blank(28) // 53-80 reserved
            .end(out);
    }
}

/// Writes a Bacs Standard 18 file crediting each line's account from the
/// originator's, to be processed on `processing_day`.
///
/// The file is labels `VOL1`, `HDR1`, `HDR2`, `UHL1`; one credit record
/// (transaction code 99) per line, in the order given; one contra record
/// (transaction code 17) debiting the originator's account with the total;
/// then `EOF1`, `EOF2`, `UTL1`. Every record is 100 characters ending with
/// CR LF. `file_serial` (1 to 999999) must be unique among the service
/// user's submissions that day; `created` is the day the file is made.
///
/// `processing_day` is the Bacs processing day (money reaches the payees
/// the next banking day). Saturdays and Sundays are refused; bank holidays
/// are not known here, so the caller must not pass one.
///
/// ```
/// use chrono::NaiveDate;
/// use grantledger_domain::bank::{standard18, BacsLine, BankAccount, Originator};
/// use grantledger_domain::money::Money;
///
/// let fund = Originator::parse("123456", "40-11-62", "87654321", "Local Fund")?;
/// let payee = BankAccount::parse("Tuesday Lunch Club", "12-34-56", "12345678", "").unwrap();
/// let lines = [BacsLine::new(payee, Money::parse("1500")?, "LCF-R1-000123")?];
/// let created = NaiveDate::from_ymd_opt(2026, 12, 3).unwrap();
/// let processing_day = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap(); // a Monday
///
/// let file = standard18(&fund, 42, created, processing_day, &lines)?;
/// let records: Vec<&str> = file.split_terminator("\r\n").collect();
/// assert_eq!(records.len(), 9);
/// assert!(records.iter().all(|r| r.len() == 100));
/// assert!(records[3].starts_with("UHL1 26341"));
/// assert_eq!(&records[4][15..17], "99");
/// assert_eq!(&records[4][35..46], "00000150000");
/// assert_eq!(&records[5][15..17], "17");
///
/// let sunday = NaiveDate::from_ymd_opt(2026, 12, 6).unwrap();
/// assert!(standard18(&fund, 42, created, sunday, &lines).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// [`BacsError::NoLines`], [`BacsError::TooManyLines`],
/// [`BacsError::TotalTooLarge`], [`BacsError::NotABankingDay`],
/// [`BacsError::ProcessingDayBeforeCreation`] or [`BacsError::FileSerial`].
pub fn standard18(
    originator: &Originator,
    file_serial: u32,
    created: NaiveDate,
    processing_day: NaiveDate,
    lines: &[BacsLine],
) -> Result<String, BacsError> {
    if lines.is_empty() {
        return Err(BacsError::NoLines);
    }
    if lines.len() > MAX_COUNT {
        return Err(BacsError::TooManyLines { count: lines.len() });
    }
    if !(1..=999_999).contains(&file_serial) {
        return Err(BacsError::FileSerial { got: file_serial });
    }
    let weekday = processing_day.weekday();
    if matches!(weekday, Weekday::Sat | Weekday::Sun) {
        return Err(BacsError::NotABankingDay {
            day: processing_day,
            weekday,
        });
    }
    if processing_day < created {
        return Err(BacsError::ProcessingDayBeforeCreation {
            processing_day,
            created,
        });
    }
    // Each amount is at most MAX_AMOUNT_PENCE and there are at most
    // MAX_COUNT of them, so the u64 sum cannot overflow.
    let total: u64 = lines.iter().map(|l| pence(l.amount().pence())).sum();
    if total > pence(MAX_AMOUNT_PENCE) {
        return Err(BacsError::TotalTooLarge);
    }
    let count = lines.len() as u64;

    let labels = Labels {
        originator,
        serial: format!("{file_serial:06}"),
        created: julian(created),
    };
    let mut out = String::with_capacity((lines.len() + 8) * (RECORD_WIDTH + LINE_END.len()));
    labels.vol1(&mut out);
    labels.file_label("HDR1", &mut out);
    Labels::format_label("HDR2", &mut out);
    Record::new()
        .raw("UHL1")
        .raw(&julian(processing_day)) // 5-10 processing day
        .raw("999999") // 11-16 receiving party: all Bacs members
        .blank(4) // 17-20
        .raw("00") // 21-22 currency code: sterling
        .raw("000000") // 23-28 country code
        .raw("1 DAILY  ") // 29-37 work code: single processing day
        .raw("001") // 38-40 file number
        .blank(7) // 41-47 reserved
        .blank(7) // 48-54 audit print identifier
        .blank(26) // 55-80 reserved
        .end(&mut out);

    for line in lines {
        let to = line.destination();
        Record::new()
            .sort_code(to.sort_code) // 1-6 destination sort code
            .account(to.account_number) // 7-14 destination account number
            .raw("0") // 15 destination account type
            .raw(CREDIT) // 16-17 transaction code
            .sort_code(originator.sort_code()) // 18-23 originating sort code
            .account(originator.account_number()) // 24-31 originating account number
            .blank(4) // 32-35 free format
            .number(pence(line.amount().pence()), 11) // 36-46 amount in pence
            .text(originator.name().as_str(), FIELD_WIDTH) // 47-64 service user's name
            .text(line.statement_reference(), FIELD_WIDTH) // 65-82 service user's reference
            .text(to.account_name.as_str(), FIELD_WIDTH) // 83-100 destination account name
            .end(&mut out);
    }

    Record::new()
        .sort_code(originator.sort_code()) // 1-6 originating sort code
        .account(originator.account_number()) // 7-14 originating account number
        .raw("0") // 15 account type
        .raw(CONTRA_DEBIT) // 16-17 transaction code
        .sort_code(originator.sort_code()) // 18-23 originating sort code
        .account(originator.account_number()) // 24-31 originating account number
        .blank(4) // 32-35 free format
        .number(total, 11) // 36-46 total in pence
        .text(&format!("GRANT RUN {file_serial:06}"), FIELD_WIDTH) // 47-64 narrative
        .text("CONTRA", FIELD_WIDTH) // 65-82 contra reference
        .text(originator.name().as_str(), FIELD_WIDTH) // 83-100 originator's name
        .end(&mut out);

    labels.file_label("EOF1", &mut out);
    Labels::format_label("EOF2", &mut out);
    // Bacs counts the contra among the debits, so a credit file's trailer
    // balances: debit total = credit total.
    Record::new()
        .raw("UTL1")
        .number(total, 13) // 5-17 debit value total
        .number(total, 13) // 18-30 credit value total
        .number(1, 7) // 31-37 debit item count: the contra
        .number(count, 7) // 38-44 credit item count
        .blank(36) // 45-80 reserved
        .end(&mut out);
    Ok(out)
}

/// Pence as unsigned: [`crate::money::Money`] is never negative, so this
/// is exact.
fn pence(p: i64) -> u64 {
    p.unsigned_abs()
}
