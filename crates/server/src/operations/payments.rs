//! Payments: scheduling an award's tranches, recording them paid, failed or
//! reversed, and payment runs that batch due tranches into a bank file and
//! confirm them in one step.

use chrono::{NaiveDate, Utc};
use grantledger_domain::Money;
use grantledger_domain::bank::PaymentHold;
use grantledger_domain::disbursement::{Disbursement, DisbursementError};
use grantledger_domain::ids::{AwardId, DisbursementId, PaymentRunId};
use grantledger_domain::ids::{FundId, RoundId};
use grantledger_domain::payment_run::{PaymentRun, PaymentRunError, RunScope};
use grantledger_store::common::{Actor, Page, PageRequest, Record};
use grantledger_store::disbursements::{self, Outcome};
use grantledger_store::{AnyConnection, awards, funds, grantees, rounds};

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

/// What a new payment run pays: one fund's (optionally one round's)
/// scheduled tranches due on or before a date.
#[derive(Debug, Clone, Copy)]
pub struct NewRun {
    /// The fund paying.
    pub fund_id: FundId,
    /// Only this round, when given (it must belong to the fund).
    pub round_id: Option<RoundId>,
    /// Tranches due on or before this date.
    pub due_by: NaiveDate,
}

/// Assembles a draft payment run of the fund's tranches now due, in no
/// other run. 404 for an unknown
/// fund or round, 422 for a round of another fund, 409 when nothing is due.
#[tracing::instrument(skip_all, fields(fund_id = %input.fund_id, due_by = %input.due_by))]
pub fn create_run(
    conn: &mut AnyConnection,
    actor: &Actor,
    input: NewRun,
) -> Result<Record<PaymentRun>, ApiError> {
    funds::get(conn, input.fund_id)?;
    if let Some(round) = input.round_id
        && rounds::get(conn, round)?.value.fund_id != input.fund_id
    {
        return Err(ApiError::invalid(
            "round_id",
            "the round is not one of this fund's rounds",
        ));
    }
    let scope = RunScope {
        fund_id: Some(input.fund_id),
        round_id: input.round_id,
        due_by: input.due_by,
    };
    // Grantees' bank details (and so holds for missing or unverified
    // ones) are not stored yet: every tranche due is paid by the run.
    let pay = disbursements::due_tranches(conn, &scope)?;
    let held: Vec<(disbursements::DueTranche, PaymentHold)> = Vec::new();
    Ok(disbursements::create_run(
        conn,
        scope,
        &pay,
        &held,
        actor,
        Utc::now(),
    )?)
}

/// Approves a draft run: a named administrator other than its maker (403
/// for the maker, or for the command line without `--as`).
#[tracing::instrument(skip_all, fields(payment_run_id = %id))]
pub fn approve_run(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: PaymentRunId,
) -> Result<Record<PaymentRun>, ApiError> {
    let run = disbursements::get_run(conn, id)?;
    match run.value.approve(actor.user_id, Utc::now()) {
        Err(e @ (PaymentRunError::SameAdministrator | PaymentRunError::UnnamedApprover)) => {
            return Err(ApiError::Forbidden(e.to_string()));
        }
        Err(e) => return Err(ApiError::conflict_from(e)),
        Ok(_) => {}
    }
    Ok(disbursements::approve_run(conn, id, actor, Utc::now())?)
}

/// Records one line of an approved run as paid or failed (who and when are
/// kept on the line); the run is confirmed once no line is left to pay.
#[tracing::instrument(skip_all, fields(payment_run_id = %run, disbursement_id = %line))]
pub fn settle_line(
    conn: &mut AnyConnection,
    actor: &Actor,
    run: PaymentRunId,
    line: DisbursementId,
    outcome: Outcome,
    note: Option<&str>,
) -> Result<Record<disbursements::Stored>, ApiError> {
    Ok(disbursements::settle_line(
        conn,
        run,
        line,
        outcome,
        note,
        actor,
        Utc::now(),
    )?)
}

/// The tranches held out of a run when it was made, and why.
#[tracing::instrument(skip_all, fields(payment_run_id = %id))]
pub fn held_lines(
    conn: &mut AnyConnection,
    id: PaymentRunId,
) -> Result<Vec<disbursements::HeldLine>, ApiError> {
    disbursements::get_run(conn, id)?;
    Ok(disbursements::held_lines(conn, id)?)
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

/// The lines of an approved (or confirmed) run's bank file: a draft has
/// none until a second administrator approves it (409).
#[tracing::instrument(skip_all, fields(payment_run_id = %id))]
pub fn bank_file_lines(
    conn: &mut AnyConnection,
    id: PaymentRunId,
) -> Result<Vec<disbursements::RunLine>, ApiError> {
    let run = disbursements::get_run(conn, id)?;
    run.value
        .check_exportable()
        .map_err(ApiError::conflict_from)?;
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
