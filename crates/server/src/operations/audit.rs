//! For auditors: reconcile a fund to the penny, now or as of an instant.

use chrono::{DateTime, Utc};
use grantledger_domain::csv_writer::{CsvWriteError, CsvWriter};
use grantledger_domain::reconciliation::Reconciliation;
use grantledger_store::{AnyConnection, funds, reconciliation};

use crate::error::ApiError;

/// Reconciles the fund with this id or code, now or `as_of`.
#[tracing::instrument(skip_all, fields(fund = %fund))]
pub fn reconcile(
    c: &mut AnyConnection,
    fund: &str,
    as_of: Option<DateTime<Utc>>,
) -> Result<Reconciliation, ApiError> {
    let fund = funds::find(c, fund)?.value.id;
    Ok(reconciliation::reconcile_fund(c, fund, as_of)?)
}

/// Writes a reconciliation as CSV, through the common writer (formula
/// cells neutralised).
pub fn reconciliation_csv(report: &Reconciliation) -> Result<Vec<u8>, CsvWriteError> {
    let mut writer = CsvWriter::new(Vec::new());
    writer.write_record(Reconciliation::CSV_HEADER)?;
    for row in report.csv_rows() {
        writer.write_record(&row)?;
    }
    writer.into_inner()
}
