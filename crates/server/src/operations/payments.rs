//! Payments: scheduling an award's tranches, recording them paid, failed or
//! reversed, and payment runs that batch due tranches into a bank file and
//! confirm them in one step.

use chrono::{DateTime, NaiveDate, Utc};
use grantledger_domain::Money;
use grantledger_domain::bank::{
    BacsError, BacsLine, BankAccount, LineRefusal, Originator, PaymentHold, account_to_pay,
    bank_csv, bank_csv_audit_copy, standard18,
};
use grantledger_domain::disbursement::{Disbursement, DisbursementError, DisbursementStatus};
use grantledger_domain::ids::{AwardId, DisbursementId, PaymentRunId};
use grantledger_domain::ids::{FundId, GranteeId, RoundId};
use grantledger_domain::payment_run::{PaymentRun, PaymentRunError, RunScope, split_held};
use grantledger_store::bank_details::Keyring;
use grantledger_store::common::{Actor, Page, PageRequest, Record};
use grantledger_store::disbursements::{self, Outcome};
use grantledger_store::{AnyConnection, awards, bank_details, funds, grantees, rounds};

use crate::auth::principal::Principal;
use crate::error::ApiError;
use crate::operations::awards::visible;
use crate::operations::notices::{self, Notices};

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
/// due diligence and, when the award's fund requires checks, has each of
/// them passed and unexpired today; never more in total than the award.
#[tracing::instrument(skip_all, fields(award_id = %id))]
pub fn schedule(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: AwardId,
    input: NewTranche,
) -> Result<Record<disbursements::Stored>, ApiError> {
    let award = awards::get(conn, id)?;
    let grantee = grantees::get(conn, award.value.award.grantee_id)?.value;
    let fund = funds::get(conn, award.value.award.fund_id)?.value;
    let d = Disbursement::schedule(
        DisbursementId::new(),
        &award.value.award,
        input.amount,
        input.due_on,
        award.value.scheduled,
        &grantee,
    )
    .map_err(schedule_error)?;
    // After the award's own rules, so an award that cannot take a tranche
    // at all says so first; then the fund's required checks (issue 20).
    crate::operations::due_diligence::require_for_tranche(
        conn,
        &fund,
        grantee.id,
        Utc::now().date_naive(),
    )?;
    Ok(disbursements::schedule(
        conn,
        &award.value,
        &d,
        actor,
        Utc::now(),
    )?)
}

/// Records a tranche as paid, failed or reversed; a grantee is told of a
/// payment sent.
#[tracing::instrument(skip_all, fields(disbursement_id = %id, outcome = ?outcome))]
pub fn settle(
    conn: &mut AnyConnection,
    notices: &Notices,
    actor: &Actor,
    id: DisbursementId,
    outcome: Outcome,
    note: Option<&str>,
) -> Result<Record<disbursements::Stored>, ApiError> {
    let now = Utc::now();
    let paid = outcome == Outcome::Paid;
    let settled = disbursements::settle(conn, id, outcome, note, actor, now)?;
    if paid {
        tell_paid(conn, notices, &settled.value.disbursement, now)?;
    }
    Ok(settled)
}

/// Tells the grantee of a tranche just marked paid.
fn tell_paid(
    conn: &mut AnyConnection,
    notices: &Notices,
    tranche: &Disbursement,
    at: DateTime<Utc>,
) -> Result<(), ApiError> {
    let payment = notices::Payment {
        award: tranche.award_id,
        amount: tranche.amount,
    };
    notices::payment_sent(conn, notices, payment, at)?;
    Ok(())
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
/// other run. Tranches of grantees without verified bank details, or with
/// a change waiting for verification, are held out of it and listed with
/// why. 404 for an unknown
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
    let due = disbursements::due_tranches(conn, &scope)?;
    let grantees: Vec<GranteeId> = due.iter().map(|t| t.grantee_id).collect();
    let holds = bank_details::holds(conn, &grantees)?;
    let (pay, held) = split_held(due, |t| holds.get(&t.grantee_id).copied());
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
    // The run is approved for the accounts verified now, each line fixed
    // to its own (see `account_to_pay`).
    let lines = disbursements::run_lines(conn, &run.value)?;
    let chosen = line_accounts(conn, &lines)?;
    let accounts = all_payable(&lines, chosen, "the payment run cannot be approved")?;
    let fixed: Vec<_> = lines
        .iter()
        .zip(accounts)
        .map(|(line, account)| (line.disbursement_id, account))
        .collect();
    Ok(disbursements::approve_run(
        conn,
        &run,
        &fixed,
        actor,
        Utc::now(),
    )?)
}

/// Records one line of an approved run as paid or failed (who and when are
/// kept on the line); the run is confirmed once no line is left to pay.
#[tracing::instrument(skip_all, fields(payment_run_id = %run, disbursement_id = %line))]
pub fn settle_line(
    conn: &mut AnyConnection,
    notices: &Notices,
    actor: &Actor,
    run: PaymentRunId,
    line: DisbursementId,
    outcome: Outcome,
    note: Option<&str>,
) -> Result<Record<disbursements::Stored>, ApiError> {
    let now = Utc::now();
    let paid = outcome == Outcome::Paid;
    let settled = disbursements::settle_line(conn, run, line, outcome, note, actor, now)?;
    if paid {
        tell_paid(conn, notices, &settled.value.disbursement, now)?;
    }
    Ok(settled)
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

/// A line of a run with the account it pays, or why it cannot be paid now.
#[derive(Debug, Clone)]
pub struct PayingLine {
    /// The line.
    pub line: disbursements::RunLine,
    /// The account fixed when the run was approved (before approval, the
    /// grantee's verified account now), or why the line cannot be paid:
    /// see [`account_to_pay`].
    pub account: Result<BankAccount, LineRefusal>,
}

/// The lines of a run: each tranche it will pay (a draft) or paid
/// (confirmed), with the account each pays. Callers show accounts masked.
#[tracing::instrument(skip_all, fields(payment_run_id = %id))]
pub fn run_lines(
    conn: &mut AnyConnection,
    keyring: &Keyring,
    id: PaymentRunId,
) -> Result<Vec<PayingLine>, ApiError> {
    let run = disbursements::get_run(conn, id)?;
    let lines = disbursements::run_lines(conn, &run.value)?;
    paying_lines(conn, keyring, lines)
}

fn paying_lines(
    conn: &mut AnyConnection,
    keyring: &Keyring,
    lines: Vec<disbursements::RunLine>,
) -> Result<Vec<PayingLine>, ApiError> {
    let chosen = line_accounts(conn, &lines)?;
    let rows: Vec<uuid::Uuid> = chosen.iter().filter_map(|c| c.ok()).collect();
    let opened = bank_details::open_accounts(conn, keyring, &rows)?;
    lines
        .into_iter()
        .zip(chosen)
        .map(|(line, chosen)| {
            let account = match chosen {
                Ok(row) => Ok(opened.get(&row).cloned().ok_or_else(|| {
                    ApiError::Internal(format!("bank details {row} were not opened"))
                })?),
                Err(why) => Err(why),
            };
            Ok(PayingLine { line, account })
        })
        .collect()
}

/// The bank details row each of `lines` pays (in the same order), or why
/// it cannot be paid now.
fn line_accounts(
    conn: &mut AnyConnection,
    lines: &[disbursements::RunLine],
) -> Result<Vec<Result<uuid::Uuid, LineRefusal>>, ApiError> {
    let grantees: Vec<GranteeId> = lines.iter().map(|l| l.grantee_id).collect();
    let now = bank_details::verified_ids(conn, &grantees)?;
    Ok(lines
        .iter()
        .map(|line| {
            let verified = now
                .get(&line.grantee_id)
                .copied()
                .unwrap_or(Err(PaymentHold::NoBankDetails));
            let to_pay = line.status == DisbursementStatus::Scheduled;
            account_to_pay(line.approved_account, verified, to_pay)
        })
        .collect())
}

/// Every line's account, or 409 naming each line that cannot be paid and
/// why, after `refused`.
fn all_payable<T>(
    lines: &[disbursements::RunLine],
    accounts: Vec<Result<T, LineRefusal>>,
    refused: &str,
) -> Result<Vec<T>, ApiError> {
    let refusals: Vec<String> = lines
        .iter()
        .zip(&accounts)
        .filter_map(|(line, account)| {
            let why = account.as_ref().err()?;
            Some(format!("{} ({}): {why}", line.payee, line.grantee_id))
        })
        .collect();
    if !refusals.is_empty() {
        return Err(ApiError::conflict(format!(
            "{refused}: {}",
            refusals.join("; ")
        )));
    }
    Ok(accounts.into_iter().filter_map(Result::ok).collect())
}

/// The file a bank accepts for a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BankFileFormat {
    /// Bacs Standard 18, for a direct submitter or bureau (docs/BACS.md).
    #[default]
    Standard18,
    /// A CSV for a bank's bulk-payment upload: sort code, account number,
    /// name, amount, reference (and roll number).
    BankCsv,
    /// The bank CSV with each account number masked (`****5678`): an
    /// auditor's copy of what a run pays, never sent to a bank.
    AuditCopy,
}

/// A bank file, ready to download.
#[derive(Debug, Clone)]
pub struct BankFile {
    /// The file.
    pub bytes: Vec<u8>,
    /// Its media type.
    pub content_type: &'static str,
    /// A name for the download.
    pub filename: String,
}

/// The first banking day (Monday to Friday) after `today`: the soonest a
/// file submitted today can be processed.
#[must_use]
pub fn next_banking_day(today: NaiveDate) -> NaiveDate {
    use chrono::{Datelike, Weekday};
    let mut day = today.succ_opt().unwrap_or(today);
    while matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
        day = day.succ_opt().unwrap_or(day);
    }
    day
}

/// What a bank file needs besides the run.
#[derive(Debug, Clone, Copy)]
pub struct BankFileRequest<'a> {
    /// Which layout.
    pub format: BankFileFormat,
    /// The Bacs processing day (Standard 18); the next banking day when absent.
    pub processing_day: Option<NaiveDate>,
    /// The fund's own account and Bacs identity (Standard 18 only).
    pub originator: Option<&'a Originator>,
}

/// An approved (or confirmed) run's bank file, paying each line to the
/// account fixed when the run was approved. Refused (409) for a draft, and
/// for a line still to pay whose grantee's bank details are waiting for
/// verification or have changed since approval, naming each; nothing else
/// is ever written with the full account numbers.
#[tracing::instrument(skip_all, fields(payment_run_id = %id))]
pub fn bank_file(
    conn: &mut AnyConnection,
    keyring: &Keyring,
    id: PaymentRunId,
    request: BankFileRequest<'_>,
) -> Result<BankFile, ApiError> {
    let run = disbursements::get_run(conn, id)?;
    run.value
        .check_exportable()
        .map_err(ApiError::conflict_from)?;
    let lines = disbursements::run_lines(conn, &run.value)?;
    let lines = paying_lines(conn, keyring, lines)?;
    let (lines, accounts): (Vec<_>, Vec<_>) =
        lines.into_iter().map(|l| (l.line, l.account)).unzip();
    let accounts = all_payable(&lines, accounts, "the bank file cannot be made")?;
    let payments = lines
        .iter()
        .zip(accounts)
        .map(|(line, account)| {
            BacsLine::new(account, line.amount, &line.award_reference)
                .map_err(ApiError::conflict_from)
        })
        .collect::<Result<Vec<_>, _>>()?;
    match request.format {
        BankFileFormat::BankCsv => Ok(BankFile {
            bytes: bank_csv(&payments).map_err(ApiError::conflict_from)?,
            content_type: "text/csv; charset=utf-8",
            filename: format!("payment-run-{id}.csv"),
        }),
        BankFileFormat::AuditCopy => Ok(BankFile {
            bytes: bank_csv_audit_copy(&payments).map_err(ApiError::conflict_from)?,
            content_type: "text/csv; charset=utf-8",
            filename: format!("payment-run-{id}-audit-copy.csv"),
        }),
        BankFileFormat::Standard18 => {
            let originator = request.originator.ok_or_else(|| {
                ApiError::conflict(
                    "no Bacs originator is configured: set GRANTLEDGER_BACS_SUN, GRANTLEDGER_BACS_SORT_CODE, \
                     GRANTLEDGER_BACS_ACCOUNT_NUMBER and GRANTLEDGER_BACS_NAME, or download format=bank_csv",
                )
            })?;
            let today = Utc::now().date_naive();
            let processing_day = request
                .processing_day
                .unwrap_or_else(|| next_banking_day(today));
            let serial = disbursements::run_serial(conn, id)?;
            let file =
                standard18(originator, serial, today, processing_day, &payments).map_err(|e| {
                    match e {
                        BacsError::NotABankingDay { .. }
                        | BacsError::ProcessingDayBeforeCreation { .. } => {
                            ApiError::invalid("processing_day", e.to_string())
                        }
                        other => ApiError::conflict_from(other),
                    }
                })?;
            Ok(BankFile {
                bytes: file.into_bytes(),
                content_type: "text/plain; charset=us-ascii",
                filename: format!("payment-run-{id}.std18.txt"),
            })
        }
    }
}

/// Confirms a whole draft run as paid, in one step, telling each grantee
/// paid by it.
#[tracing::instrument(skip_all, fields(payment_run_id = %id))]
pub fn confirm_run(
    conn: &mut AnyConnection,
    notices: &Notices,
    actor: &Actor,
    id: PaymentRunId,
) -> Result<Record<PaymentRun>, ApiError> {
    let run = disbursements::get_run(conn, id)?;
    // The lines this confirmation pays: those settled one by one before
    // were told of then.
    let unpaid: Vec<DisbursementId> = disbursements::run_lines(conn, &run.value)?
        .into_iter()
        .filter(|l| l.status == DisbursementStatus::Scheduled)
        .map(|l| l.disbursement_id)
        .collect();
    let now = Utc::now();
    let confirmed = disbursements::confirm_run(conn, id, actor, now)?;
    for line in unpaid {
        let tranche = disbursements::get(conn, line)?.value.disbursement;
        tell_paid(conn, notices, &tranche, now)?;
    }
    Ok(confirmed)
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
