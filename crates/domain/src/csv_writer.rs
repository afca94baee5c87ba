//! The one CSV writer for every CSV the service writes (bank files,
//! reconciliation, outcomes, commitments, 360Giving): RFC 4180 quoting, and
//! cells a spreadsheet would run as a formula neutralised as OWASP's
//! CSV-injection guidance says.
//!
//! A cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage return
//! gets a `'` in front, so Excel, LibreOffice and Google Sheets show it as
//! text instead of evaluating it: `=1+1` is written `'=1+1`. The one
//! exception is a plain number (`-250.00`, `-3`): a spreadsheet reads it as
//! a number, it cannot run anything, and a negative amount must stay a
//! number people can add up.
//!
//! ```
//! use grantledger_domain::csv_writer::{CsvWriter, neutralise};
//!
//! assert_eq!(neutralise("=HYPERLINK(\"http://x\",\"Click\")"), "'=HYPERLINK(\"http://x\",\"Click\")");
//! assert_eq!(neutralise("-250.00"), "-250.00");
//! assert_eq!(neutralise("-1+1"), "'-1+1");
//! assert_eq!(neutralise("Tea dances"), "Tea dances");
//!
//! let mut writer = CsvWriter::new(Vec::new());
//! writer.write_record(["title", "amount"])?;
//! writer.write_record(["=1+1", "-12.50"])?;
//! let bytes = writer.into_inner()?;
//! assert_eq!(String::from_utf8(bytes)?, "title,amount\n'=1+1,-12.50\n");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::borrow::Cow;
use std::io::Write;

/// Characters that make a spreadsheet read a cell as a formula (OWASP).
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Whether `cell` is a plain decimal number: an optional `-`, digits, and
/// optionally `.` and more digits. Such a cell is a number to a spreadsheet,
/// never a formula.
fn is_plain_number(cell: &str) -> bool {
    let unsigned = cell.strip_prefix('-').unwrap_or(cell);
    let (whole, fraction) = match unsigned.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (unsigned, None),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    digits(whole) && fraction.is_none_or(digits)
}

/// The cell as a spreadsheet should see it: with `'` in front when it would
/// otherwise start a formula (see the module documentation).
#[must_use]
pub fn neutralise(cell: &str) -> Cow<'_, str> {
    if cell.starts_with(FORMULA_STARTS) && !is_plain_number(cell) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// Why a CSV could not be written.
#[derive(Debug, thiserror::Error)]
#[error("writing CSV: {0}")]
pub struct CsvWriteError(#[from] csv::Error);

impl From<std::io::Error> for CsvWriteError {
    fn from(e: std::io::Error) -> Self {
        CsvWriteError(csv::Error::from(e))
    }
}

/// A CSV writer that neutralises formula cells in every record it writes.
#[derive(Debug)]
pub struct CsvWriter<W: Write> {
    inner: csv::Writer<W>,
}

impl<W: Write> CsvWriter<W> {
    /// A writer into `out`. It buffers a little; call [`CsvWriter::flush`]
    /// or [`CsvWriter::into_inner`] at the end.
    pub fn new(out: W) -> Self {
        CsvWriter {
            inner: csv::WriterBuilder::new()
                .has_headers(false)
                .from_writer(out),
        }
    }

    /// Writes one record, each cell neutralised.
    ///
    /// # Errors
    /// When the underlying writer fails.
    pub fn write_record<I, T>(&mut self, record: I) -> Result<(), CsvWriteError>
    where
        I: IntoIterator<Item = T>,
        T: AsRef<str>,
    {
        for cell in record {
            self.inner
                .write_field(neutralise(cell.as_ref()).as_bytes())?;
        }
        // No more fields: this ends the record.
        self.inner.write_record(std::iter::empty::<&[u8]>())?;
        Ok(())
    }

    /// Sends what is buffered to the underlying writer.
    ///
    /// # Errors
    /// When the underlying writer fails.
    pub fn flush(&mut self) -> Result<(), CsvWriteError> {
        self.inner.flush()?;
        Ok(())
    }

    /// Flushes and gives back the underlying writer.
    ///
    /// # Errors
    /// When the final flush fails.
    pub fn into_inner(self) -> Result<W, CsvWriteError> {
        self.inner
            .into_inner()
            .map_err(|e| CsvWriteError::from(e.into_error()))
    }
}

/// Writes a whole table (header first) into a byte buffer.
///
/// # Errors
/// Only if formatting fails, which a `Vec` never does.
pub fn to_bytes<H, A, R, B>(
    header: H,
    rows: impl IntoIterator<Item = R>,
) -> Result<Vec<u8>, CsvWriteError>
where
    H: IntoIterator<Item = A>,
    A: AsRef<str>,
    R: IntoIterator<Item = B>,
    B: AsRef<str>,
{
    let mut writer = CsvWriter::new(Vec::new());
    writer.write_record(header)?;
    for row in rows {
        writer.write_record(row)?;
    }
    writer.into_inner()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_starts_are_neutralised() {
        for (cell, expected) in [
            ("=1+1", "'=1+1"),
            ("+44 20 7946 0000", "'+44 20 7946 0000"),
            ("-", "'-"),
            ("-1+1", "'-1+1"),
            ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
            ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
            ("\t=1", "'\t=1"),
            ("\r=1", "'\r=1"),
            ("-.5", "'-.5"),
            ("-5.", "'-5."),
            ("--5", "'--5"),
        ] {
            assert_eq!(neutralise(cell), expected, "{cell:?}");
        }
    }

    #[test]
    fn plain_text_and_numbers_are_kept() {
        for cell in [
            "",
            "Tea dances",
            "2500.00",
            "-2500.00",
            "-3",
            "0",
            "a=b",
            " =1",
            "'=1",
        ] {
            assert_eq!(neutralise(cell), cell, "{cell:?}");
        }
    }

    #[test]
    fn records_are_quoted_after_neutralising() {
        let bytes = to_bytes(
            ["a", "b"],
            [["=HYPERLINK(\"http://x\",\"Click\")", "-1.50"]],
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(bytes).unwrap(),
            "a,b\n\"'=HYPERLINK(\"\"http://x\"\",\"\"Click\"\")\",-1.50\n"
        );
    }

    proptest::proptest! {
        #[test]
        fn no_cell_starts_a_formula_unless_it_is_a_number(s in "\\PC*") {
            let out = neutralise(&s);
            proptest::prop_assert!(!out.starts_with(FORMULA_STARTS) || is_plain_number(&out));
        }
    }
}
