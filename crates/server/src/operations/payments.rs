//! Payments: scheduling an award's tranches, recording them paid, failed or
//! reversed, and payment runs that batch due tranches into a bank file and
//! confirm them in one step.

use chrono::{NaiveDate, Utc};
use grantledger_domain::Money;
use grantledger_domain::disbursement::{Disbursement, DisbursementError};
use grantledger_domain::ids::{AwardId, DisbursementId, PaymentRunId};
use grantledger_domain::payment_run::PaymentRun;
use grantledger_store::common::{Actor, Page, PageRequest, Record};
use grantledger_store::disbursements::{self, Outcome};
use grantledger_store::{AnyConnection, awards, grantees};

use crate::auth::principal::Principal;
use crate::error::ApiError;
use crate::operations::awards::visible;

/// A tranche to schedule.
#[derive(Debug, Clone, Copy)]
pub struct NewTranche {
    /// How much.
    pub amount: Money,
    /// When it is due.
    pub due_on: NaiveDate,
}

/// An award's tranches, oldest first (another organisation's award: 404).
#[tracing::instrument(skip_all, fields(award_id = %id))]
pub fn tranches(
    conn: &mut AnyConnection,
    principal: &Principal,
    id: AwardId,
) -> Result<Vec<Record<disbursements::Stored>>, ApiError> {
    visible(conn, principal, id)?;
    Ok(disbursements::for_award(conn, id)?)
}

fn schedule_error(e: DisbursementError) -> ApiError {
    match e {
        DisbursementError::ZeroAmount => ApiError::invalid("amount", e.to_string()),
        _ => ApiError::conflict_from(e),
    }
}

/// Schedules a tranche: only for an accepted award whose grantee has passed
/// due diligence, and never more in total than the award.
#[tracing::instrument(skip_all, fields(award_id = %id))]
pub fn schedule(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: AwardId,
    input: NewTranche,
) -> Result<Record<disbursements::Stored>, ApiError> {
    let award = awards::get(conn, id)?;
    let grantee = grantees::get(conn, award.value.award.grantee_id)?.value;
    let d = Disbursement::schedule(
        DisbursementId::new(),
        &award.value.award,
        input.amount,
        input.due_on,
        award.value.scheduled,
        &grantee,
    )
    .map_err(schedule_error)?;
    Ok(disbursements::schedule(
        conn,
        &award.value,
        &d,
        actor,
        Utc::now(),
    )?)
}

/// Records a tranche as paid, failed or reversed.
#[tracing::instrument(skip_all, fields(disbursement_id = %id, outcome = ?outcome))]
pub fn settle(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: DisbursementId,
    outcome: Outcome,
    note: Option<&str>,
) -> Result<Record<disbursements::Stored>, ApiError> {
    Ok(disbursements::settle(
        conn,
        id,
        outcome,
        note,
        actor,
        Utc::now(),
    )?)
}

/// Assembles a payment run of every scheduled tranche due by `due_by` and in
/// no other run (409 when nothing is due).
#[tracing::instrument(skip_all, fields(due_by = %due_by))]
pub fn create_run(
    conn: &mut AnyConnection,
    actor: &Actor,
    due_by: NaiveDate,
) -> Result<Record<PaymentRun>, ApiError> {
    Ok(disbursements::create_run(conn, due_by, actor, Utc::now())?)
}

/// A page of payment runs.
#[tracing::instrument(skip_all)]
pub fn list_runs(
    conn: &mut AnyConnection,
    page: PageRequest,
) -> Result<Page<Record<PaymentRun>>, ApiError> {
    Ok(disbursements::list_runs(conn, page)?)
}

/// One payment run.
#[tracing::instrument(skip_all, fields(payment_run_id = %id))]
pub fn get_run(conn: &mut AnyConnection, id: PaymentRunId) -> Result<Record<PaymentRun>, ApiError> {
    Ok(disbursements::get_run(conn, id)?)
}

/// The lines of a run's bank file: each tranche it will pay (a draft) or
/// paid (confirmed).
#[tracing::instrument(skip_all, fields(payment_run_id = %id))]
pub fn run_lines(
    conn: &mut AnyConnection,
    id: PaymentRunId,
) -> Result<Vec<disbursements::RunLine>, ApiError> {
    let run = disbursements::get_run(conn, id)?;
    Ok(disbursements::run_lines(conn, &run.value)?)
}

/// A run's lines as the bank's CSV file, with the award reference as the
/// payment reference (formula cells neutralised by the common writer).
pub fn bank_file(lines: Vec<disbursements::RunLine>) -> Result<Vec<u8>, ApiError> {
    let header = [
        "disbursement_id",
        "payment_reference",
        "payee",
        "payee_org_id",
        "amount_gbp",
        "due_on",
    ];
    let rows = lines.into_iter().map(|line| {
        [
            line.disbursement_id.to_string(),
            line.award_reference,
            line.payee,
            line.payee_org_id.unwrap_or_default(),
            line.amount.to_string(),
            line.due_on.to_string(),
        ]
    });
    grantledger_domain::csv_writer::to_bytes(header, rows)
        .map_err(|e| ApiError::Internal(e.to_string()))
}

/// Confirms a whole draft run as paid, in one step.
#[tracing::instrument(skip_all, fields(payment_run_id = %id))]
pub fn confirm_run(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: PaymentRunId,
) -> Result<Record<PaymentRun>, ApiError> {
    Ok(disbursements::confirm_run(conn, id, actor, Utc::now())?)
}

/// Abandons a draft run: its tranches are free for another.
#[tracing::instrument(skip_all, fields(payment_run_id = %id))]
pub fn cancel_run(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: PaymentRunId,
) -> Result<Record<PaymentRun>, ApiError> {
    Ok(disbursements::cancel_run(conn, id, actor, Utc::now())?)
}
