//! For auditors: reconcile a fund to the penny, now or as of an instant;
//! read the audit trail and verify its hash chain.

use chrono::{DateTime, Utc};
use grantledger_domain::audit::Verification;
use grantledger_domain::csv_writer::{CsvWriteError, CsvWriter};
use grantledger_domain::fund::FundStatus;
use grantledger_domain::fund_overview::{MoneyAt, SizeCount, grant_sizes, money_over_time};
use grantledger_domain::reconciliation::Reconciliation;
use grantledger_store::audit::{EventFilter, Listed};
use grantledger_store::{AnyConnection, Database, audit, funds, reconciliation};

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

/// A fund at a glance: its reconciliation (now or `as_of`), its live
/// awards by size and its money committed and paid over time (up to the
/// same instant), all from one snapshot.
#[derive(Debug)]
pub struct FundOverview {
    /// Whether the fund is open, closed…, now.
    pub status: FundStatus,
    /// The reconciliation, with every figure by round, region and funder.
    pub reconciliation: Reconciliation,
    /// Live awards in each size band.
    pub sizes: Vec<SizeCount>,
    /// Committed and paid, cumulatively, per period.
    pub over_time: Vec<MoneyAt>,
}

/// Everything the fund's page shows, read in one go: the charts' figures
/// come from the reconciliation's own passes over the awards and the
/// transfers.
#[tracing::instrument(skip_all, fields(fund = %fund))]
pub fn overview(
    c: &mut AnyConnection,
    fund: &str,
    as_of: Option<DateTime<Utc>>,
) -> Result<FundOverview, ApiError> {
    let found = reconciliation::fund_page(c, fund, as_of)?;
    Ok(FundOverview {
        status: found.fund.value.status,
        reconciliation: found.reconciliation,
        sizes: grant_sizes(found.page.live_amounts),
        over_time: money_over_time(found.page.movements),
    })
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

/// A page of the audit trail in sequence order, after sequence number
/// `after`, with the cursor for the next page.
#[tracing::instrument(skip_all, fields(after = ?after, limit))]
pub fn events(
    c: &mut AnyConnection,
    filter: &EventFilter,
    limit: u32,
    after: Option<i64>,
) -> Result<(Vec<Listed>, Option<i64>), ApiError> {
    Ok(audit::list(c, filter, limit, after)?)
}

/// The event with this sequence number, with its chain link if sealed.
#[tracing::instrument(skip_all, fields(seq))]
pub fn event(c: &mut AnyConnection, seq: i64) -> Result<Listed, ApiError> {
    let (mut found, _) = audit::list(c, &EventFilter::default(), 1, seq.checked_sub(1))?;
    match found.pop() {
        Some(listed) if listed.event.seq == seq => Ok(listed),
        _ => Err(ApiError::NotFound {
            entity: "audit event",
        }),
    }
}

/// Seals pending events, then verifies the whole chain from the events as
/// stored.
#[tracing::instrument(skip_all)]
pub fn verify(db: &Database) -> Result<Verification, ApiError> {
    Ok(audit::verify(db)?)
}
