//! Payment tranches of awards, and payment runs that batch them.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use grantledger_domain::Money;
use grantledger_domain::bank::PaymentHold;
use grantledger_domain::disbursement::{
    Disbursement, DisbursementStatus, ReturnReasonCode, SettleError,
};
use grantledger_domain::ids::{AwardId, DisbursementId, PaymentRunId, UserId};
use grantledger_domain::ids::{FundId, GranteeId, RoundId};
use grantledger_domain::ledger::Transfer;
use grantledger_domain::payment_run::{PaymentRun, PaymentRunError, PaymentRunStatus, RunScope};

use crate::audit;
use crate::awards;
use crate::common::{
    Actor, Page, PageRequest, Record, db_id, find_row, money, page_query, parse, update_versioned,
};
use crate::connection::AnyConnection;
use crate::error::StoreError;
use crate::schema::{
    awards as awards_table, disbursements, grantees, payment_run_holds, payment_runs,
};
use crate::sql_types::{DbTime, DbUuid};

#[derive(Queryable, Selectable)]
#[diesel(table_name = disbursements)]
struct DisbursementRow {
    id: DbUuid,
    award_id: DbUuid,
    amount_pence: i64,
    due_on: NaiveDate,
    status: String,
    payment_run_id: Option<DbUuid>,
    paid_at: Option<DbTime>,
    note: Option<String>,
    version: i64,
    created_at: DbTime,
    updated_at: DbTime,
    settled_by: Option<DbUuid>,
    settled_at: Option<DbTime>,
    return_reason: Option<String>,
}

/// A tranche with when it was paid and any note (why it failed, why it was reversed).
#[derive(Debug, Clone, PartialEq)]
pub struct Stored {
    /// The tranche.
    pub disbursement: Disbursement,
    /// When it was marked paid.
    pub paid_at: Option<DateTime<Utc>>,
    /// Why it failed or was reversed.
    pub note: Option<String>,
    /// Who last marked it paid, failed, reversed or returned (`None`: the
    /// system, or not yet settled).
    pub settled_by: Option<UserId>,
    /// When it was last so marked.
    pub settled_at: Option<DateTime<Utc>>,
    /// The bank's reason code, once returned by the bank.
    pub return_reason: Option<ReturnReasonCode>,
}

fn to_record(row: DisbursementRow) -> Result<Record<Stored>, StoreError> {
    let disbursement = Disbursement {
        id: DisbursementId::from_uuid(row.id.0),
        award_id: AwardId::from_uuid(row.award_id.0),
        amount: money("disbursement amount", row.amount_pence)?,
        due_on: row.due_on,
        status: parse::<DisbursementStatus>("disbursement status", &row.status)?,
        payment_run_id: row.payment_run_id.map(|r| PaymentRunId::from_uuid(r.0)),
    };
    Ok(Record {
        value: Stored {
            disbursement,
            paid_at: row.paid_at.map(|t| t.0),
            note: row.note,
            settled_by: row.settled_by.map(|u| UserId::from_uuid(u.0)),
            settled_at: row.settled_at.map(|t| t.0),
            return_reason: row
                .return_reason
                .map(|r| {
                    ReturnReasonCode::parse(&r).map_err(|e| StoreError::corrupt("return reason", e))
                })
                .transpose()?,
        },
        version: row.version,
        created_at: row.created_at.0,
        updated_at: row.updated_at.0,
    })
}

/// The columns a change to a tranche sets, for insert and update alike, so
/// the two cannot drift.
#[derive(Insertable, AsChangeset)]
#[diesel(table_name = disbursements, treat_none_as_null = true)]
struct DisbursementFields<'a> {
    amount_pence: i64,
    due_on: NaiveDate,
    status: &'a str,
    payment_run_id: Option<DbUuid>,
    paid_at: Option<DbTime>,
    note: Option<&'a str>,
    settled_by: Option<DbUuid>,
    settled_at: Option<DbTime>,
    return_reason: Option<&'a str>,
}

impl<'a> DisbursementFields<'a> {
    fn new(s: &'a Stored) -> Self {
        let d = &s.disbursement;
        DisbursementFields {
            amount_pence: d.amount.pence(),
            due_on: d.due_on,
            status: d.status.as_str(),
            payment_run_id: d.payment_run_id.map(db_id),
            paid_at: s.paid_at.map(DbTime::new),
            note: s.note.as_deref(),
            settled_by: s.settled_by.map(db_id),
            settled_at: s.settled_at.map(DbTime::new),
            return_reason: s.return_reason.as_ref().map(ReturnReasonCode::as_str),
        }
    }
}

fn conflict(e: impl std::fmt::Display) -> StoreError {
    StoreError::Conflict(e.to_string())
}

/// Schedules a tranche the domain has checked. What is scheduled against the
/// award moves by a conditional update (which also bumps the award's
/// version), so two tranches scheduled at once can never exceed the award.
pub fn schedule(
    conn: &mut AnyConnection,
    award: &awards::Stored,
    d: &Disbursement,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Record<Stored>, StoreError> {
    let amount = d.amount.pence();
    let a = &award.award;
    let reserved = diesel::update(
        awards_table::table
            .filter(awards_table::id.eq(db_id(a.id)))
            .filter(awards_table::status.eq("accepted"))
            .filter((awards_table::scheduled_pence + amount).le(awards_table::amount_pence)),
    )
    .set((
        awards_table::scheduled_pence.eq(awards_table::scheduled_pence + amount),
        awards_table::version.eq(awards_table::version + 1),
    ))
    .execute(conn)?;
    if reserved == 0 {
        return Err(StoreError::Conflict(format!(
            "the award cannot take a tranche of {}: it is not accepted, or too little of it is left unscheduled",
            d.amount
        )));
    }
    let at = DbTime::new(now);
    diesel::insert_into(disbursements::table)
        .values((
            disbursements::id.eq(db_id(d.id)),
            disbursements::award_id.eq(db_id(d.award_id)),
            DisbursementFields::new(&Stored {
                disbursement: d.clone(),
                paid_at: None,
                note: None,
                settled_by: None,
                settled_at: None,
                return_reason: None,
            }),
            disbursements::version.eq(1_i64),
            disbursements::created_at.eq(at),
            disbursements::updated_at.eq(at),
        ))
        .execute(conn)?;
    event(
        conn,
        actor,
        "disbursement.scheduled",
        a.fund_id,
        d,
        None,
        now,
    )?;
    get(conn, d.id)
}

fn event(
    conn: &mut AnyConnection,
    actor: &Actor,
    action: &str,
    fund: grantledger_domain::ids::FundId,
    after: &Disbursement,
    before: Option<&Disbursement>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    audit::record_change(
        conn,
        actor,
        action,
        "disbursement",
        after.id,
        Some(fund),
        before,
        Some(after),
        now,
    )?;
    Ok(())
}

/// One tranche.
pub fn get(conn: &mut AnyConnection, id: DisbursementId) -> Result<Record<Stored>, StoreError> {
    let row = find_row!(
        conn,
        disbursements,
        DisbursementRow,
        db_id(id),
        "disbursement"
    )?;
    to_record(row)
}

/// An award's tranches, oldest first.
pub fn for_award(
    conn: &mut AnyConnection,
    award: AwardId,
) -> Result<Vec<Record<Stored>>, StoreError> {
    let rows: Vec<DisbursementRow> = disbursements::table
        .filter(disbursements::award_id.eq(db_id(award)))
        .order(disbursements::id.asc())
        .select(DisbursementRow::as_select())
        .load(conn)?;
    rows.into_iter().map(to_record).collect()
}

fn write(
    conn: &mut AnyConnection,
    before: &Record<Stored>,
    after: &Stored,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let d = &after.disbursement;
    update_versioned!(
        conn,
        disbursements,
        db_id(d.id),
        before.version,
        "disbursement",
        (
            DisbursementFields::new(after),
            disbursements::updated_at.eq(DbTime::new(now)),
        ),
    )?;
    Ok(())
}

/// What happened to a scheduled or paid tranche.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The bank paid it: the award's payable money goes to the grantee.
    Paid,
    /// The payment failed: the tranche no longer counts against the award.
    Failed,
    /// Money paid came back: it returns to the round, and the award shrinks by it.
    Reversed,
    /// The grantee's bank sent it back, with its reason code: the grantee
    /// is still owed it, so it is payable on the award again and a new
    /// tranche can be scheduled.
    Returned(ReturnReasonCode),
}

/// Records what happened to a tranche: its state change, the award's paid and
/// scheduled figures, the ledger transfer and the audit events, all in the
/// caller's transaction.
///
/// A tranche waiting in a draft payment run is paid only by confirming the
/// run; failing it takes it out of the run, whose total and count follow.
pub fn settle(
    conn: &mut AnyConnection,
    id: DisbursementId,
    outcome: Outcome,
    note: Option<&str>,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Record<Stored>, StoreError> {
    let run = get(conn, id)?.value.disbursement.payment_run_id;
    let settled = apply(conn, id, outcome, None, note, actor, now)?;
    if let Some(run) = run {
        settle_run_if_done(conn, run, actor, now)?;
    }
    Ok(settled)
}

// `run` is the payment run being confirmed, when it is the one paying.
fn apply(
    conn: &mut AnyConnection,
    id: DisbursementId,
    outcome: Outcome,
    run: Option<PaymentRunId>,
    note: Option<&str>,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Record<Stored>, StoreError> {
    let before = get(conn, id)?;
    let d = &before.value.disbursement;
    let award = awards::get(conn, d.award_id)?;
    let a = &award.value.award;
    // Every outcome but payment takes the tranche's amount off what the
    // award has scheduled, so it can be scheduled again.
    let (changed, award_now, unschedules, transfer, action) = match &outcome {
        Outcome::Paid => {
            let changed = match run {
                Some(run) => d.pay_in_run(run),
                None => d.pay(),
            }
            .map_err(conflict)?;
            let paid = a.record_payment(d.amount).map_err(conflict)?;
            let transfer = Transfer::disbursement_paid(a.id, d.amount).map_err(conflict)?;
            (changed, paid, false, Some(transfer), "disbursement.paid")
        }
        Outcome::Failed => {
            let changed = d.fail().map_err(conflict)?;
            // The run's row first, as confirming does, so the two queue on
            // it rather than deadlock on the tranche.
            if let Some(run) = d.payment_run_id {
                leave_run(conn, run, d.amount, actor, now)?;
            }
            (changed, a.clone(), true, None, "disbursement.failed")
        }
        Outcome::Returned(_) => {
            let changed = d.returned_by_bank().map_err(conflict)?;
            let returned = a.record_return(d.amount).map_err(conflict)?;
            let transfer = Transfer::payment_returned(a.id, d.amount).map_err(conflict)?;
            (
                changed,
                returned,
                true,
                Some(transfer),
                "disbursement.returned",
            )
        }
        Outcome::Reversed => {
            let changed = d.reverse().map_err(conflict)?;
            let recovered = a.record_recovery(d.amount).map_err(conflict)?;
            let transfer = Transfer::recovery(a.round_id, d.amount).map_err(conflict)?;
            (
                changed,
                recovered,
                true,
                Some(transfer),
                "disbursement.reversed",
            )
        }
    };
    let scheduled = if unschedules {
        award
            .value
            .scheduled
            .checked_sub(d.amount)
            .map_err(conflict)?
    } else {
        award.value.scheduled
    };
    let award_after = awards::Stored {
        award: award_now,
        scheduled,
        ..award.value.clone()
    };
    let after = Stored {
        disbursement: changed,
        paid_at: if matches!(outcome, Outcome::Paid) {
            Some(now)
        } else {
            before.value.paid_at
        },
        note: note
            .map(str::to_owned)
            .or_else(|| before.value.note.clone()),
        settled_by: actor.user_id,
        settled_at: Some(now),
        return_reason: match &outcome {
            Outcome::Returned(code) => Some(code.clone()),
            _ => before.value.return_reason.clone(),
        },
    };
    write(conn, &before, &after, now)?;
    awards::save(
        conn,
        &award,
        &award_after,
        transfer.as_ref(),
        action,
        actor,
        now,
    )?;
    event(
        conn,
        actor,
        action,
        a.fund_id,
        &after.disbursement,
        Some(d),
        now,
    )?;
    get(conn, id)
}

/// Fails every tranche of an award that is still scheduled (taking it out
/// of any draft run), with `note`: used when the award is cancelled, so
/// nothing is paid after that.
pub fn fail_unpaid(
    conn: &mut AnyConnection,
    award: AwardId,
    note: &str,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Money, StoreError> {
    let mut released = Money::ZERO;
    for record in for_award(conn, award)? {
        if record.value.disbursement.status == DisbursementStatus::Scheduled {
            released = released
                .checked_add(record.value.disbursement.amount)
                .map_err(conflict)?;
            settle(
                conn,
                record.value.disbursement.id,
                Outcome::Failed,
                Some(note),
                actor,
                now,
            )?;
        }
    }
    Ok(released)
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = payment_runs)]
struct RunRow {
    id: DbUuid,
    status: String,
    total_pence: i64,
    disbursement_count: i32,
    created_by: Option<DbUuid>,
    created_at: DbTime,
    confirmed_at: Option<DbTime>,
    version: i64,
    fund_id: Option<DbUuid>,
    round_id: Option<DbUuid>,
    due_by: NaiveDate,
    approved_by: Option<DbUuid>,
    approved_at: Option<DbTime>,
}

fn to_run(row: RunRow) -> Result<Record<PaymentRun>, StoreError> {
    let approved = match (row.approved_by, row.approved_at) {
        (Some(by), Some(at)) => Some((UserId::from_uuid(by.0), at.0)),
        _ => None,
    };
    let run = PaymentRun {
        id: PaymentRunId::from_uuid(row.id.0),
        scope: RunScope {
            fund_id: row.fund_id.map(|f| FundId::from_uuid(f.0)),
            round_id: row.round_id.map(|r| RoundId::from_uuid(r.0)),
            due_by: row.due_by,
        },
        created_at: row.created_at.0,
        created_by: row.created_by.map(|u| UserId::from_uuid(u.0)),
        approved,
        status: parse::<PaymentRunStatus>("payment run status", &row.status)?,
        total: money("payment run total", row.total_pence)?,
        count: u32::try_from(row.disbursement_count)
            .map_err(|e| StoreError::corrupt("payment run count", e))?,
    };
    let updated = [row.confirmed_at, row.approved_at]
        .into_iter()
        .flatten()
        .map(|t| t.0)
        .max()
        .unwrap_or(row.created_at.0);
    Ok(Record {
        value: run,
        version: row.version,
        created_at: row.created_at.0,
        updated_at: updated,
    })
}

/// A tranche due for payment: what a new run would pay, before holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DueTranche {
    /// The tranche.
    pub disbursement_id: DisbursementId,
    /// Whom it pays.
    pub grantee_id: GranteeId,
    /// How much.
    pub amount: Money,
}

/// Every scheduled tranche in `scope` (the fund, the round if given, due on
/// or before the date) on an accepted award and in no other run, in a
/// stable order.
pub fn due_tranches(
    conn: &mut AnyConnection,
    scope: &RunScope,
) -> Result<Vec<DueTranche>, StoreError> {
    let mut query = disbursements::table
        .inner_join(awards_table::table)
        .filter(disbursements::status.eq(DisbursementStatus::Scheduled.as_str()))
        .filter(disbursements::payment_run_id.is_null())
        .filter(disbursements::due_on.le(scope.due_by))
        .filter(awards_table::status.eq("accepted"))
        .into_boxed();
    if let Some(fund) = scope.fund_id {
        query = query.filter(awards_table::fund_id.eq(db_id(fund)));
    }
    if let Some(round) = scope.round_id {
        query = query.filter(awards_table::round_id.eq(db_id(round)));
    }
    let rows: Vec<(DbUuid, DbUuid, i64)> = query
        .order(disbursements::id.asc())
        .select((
            disbursements::id,
            awards_table::grantee_id,
            disbursements::amount_pence,
        ))
        .load(conn)?;
    rows.into_iter()
        .map(|(id, grantee, pence)| {
            Ok(DueTranche {
                disbursement_id: DisbursementId::from_uuid(id.0),
                grantee_id: GranteeId::from_uuid(grantee.0),
                amount: money("disbursement amount", pence)?,
            })
        })
        .collect()
}

/// Assembles a draft payment run of `pay` (from [`due_tranches`]) and
/// records `held`, the tranches due but held out of it and why. Fails with
/// a conflict when there is nothing to pay, or when another run took some
/// of the same tranches at the same moment.
pub fn create_run(
    conn: &mut AnyConnection,
    scope: RunScope,
    pay: &[DueTranche],
    held: &[(DueTranche, PaymentHold)],
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Record<PaymentRun>, StoreError> {
    let run = PaymentRun::draft(
        PaymentRunId::new(),
        scope,
        actor.user_id,
        DbTime::new(now).0,
        pay.iter().map(|t| t.amount),
    )
    .map_err(conflict)?;
    let count = i32::try_from(run.count).map_err(conflict)?;
    diesel::insert_into(payment_runs::table)
        .values((
            payment_runs::id.eq(db_id(run.id)),
            payment_runs::status.eq(run.status.as_str()),
            payment_runs::total_pence.eq(run.total.pence()),
            payment_runs::disbursement_count.eq(count),
            payment_runs::created_by.eq(actor.user_id.map(db_id)),
            payment_runs::created_at.eq(DbTime::new(now)),
            payment_runs::version.eq(1_i64),
            payment_runs::fund_id.eq(scope.fund_id.map(db_id)),
            payment_runs::round_id.eq(scope.round_id.map(db_id)),
            payment_runs::due_by.eq(scope.due_by),
        ))
        .execute(conn)?;
    let ids: Vec<DbUuid> = pay.iter().map(|t| db_id(t.disbursement_id)).collect();
    for chunk in ids.chunks(500) {
        let taken = diesel::update(
            disbursements::table
                .filter(disbursements::id.eq_any(chunk))
                .filter(disbursements::payment_run_id.is_null())
                .filter(disbursements::status.eq("scheduled")),
        )
        .set((
            disbursements::payment_run_id.eq(db_id(run.id)),
            // An account fixed by an earlier run's approval is not this run's.
            disbursements::bank_details_id.eq(None::<DbUuid>),
            disbursements::version.eq(disbursements::version + 1),
        ))
        .execute(conn)?;
        if taken != chunk.len() {
            return Err(StoreError::Conflict(
                "another payment run took some of these tranches; try again".into(),
            ));
        }
    }
    // One row at a time: diesel's two-backend connection has no batch
    // insert, and a run holds back few tranches.
    for (t, hold) in held {
        diesel::insert_into(payment_run_holds::table)
            .values((
                payment_run_holds::payment_run_id.eq(db_id(run.id)),
                payment_run_holds::disbursement_id.eq(db_id(t.disbursement_id)),
                payment_run_holds::reason.eq(hold.code()),
            ))
            .execute(conn)?;
    }
    audit::record_change(
        conn,
        actor,
        "payment_run.created",
        "payment_run",
        run.id,
        scope.fund_id,
        None,
        Some(&run),
        now,
    )?;
    get_run(conn, run.id)
}

/// One payment run.
pub fn get_run(
    conn: &mut AnyConnection,
    id: PaymentRunId,
) -> Result<Record<PaymentRun>, StoreError> {
    let row = find_row!(conn, payment_runs, RunRow, db_id(id), "payment run")?;
    to_run(row)
}

/// The run's number for its bank file's serial: its place among all runs
/// ever made (ids are time-ordered), from 1, wrapping after 999999 as the
/// six-digit Bacs file serial must. Unique for years at one run a day.
pub fn run_serial(conn: &mut AnyConnection, id: PaymentRunId) -> Result<u32, StoreError> {
    let place: i64 = payment_runs::table
        .filter(payment_runs::id.le(db_id(id)))
        .count()
        .get_result(conn)?;
    let place = u32::try_from(place.max(1) - 1).unwrap_or(0);
    Ok(place % 999_999 + 1)
}

/// A page of payment runs, oldest first.
pub fn list_runs(
    conn: &mut AnyConnection,
    page: PageRequest,
) -> Result<Page<Record<PaymentRun>>, StoreError> {
    let query = page_query!(payment_runs, RunRow, page);
    let rows: Vec<RunRow> = query.load(conn)?;
    page.finish_with(rows, to_run, |r| r.value.id.into())
}

/// One line of a payment run, as the bank file needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct RunLine {
    /// The tranche.
    pub disbursement_id: DisbursementId,
    /// Its state: to pay, paid, or paid and then reversed or returned.
    pub status: DisbursementStatus,
    /// The award's reference, used as the payment reference.
    pub award_reference: String,
    /// Who is paid.
    pub grantee_id: GranteeId,
    /// Their name.
    pub payee: String,
    /// The payee's org id, if registered.
    pub payee_org_id: Option<String>,
    /// How much.
    pub amount: Money,
    /// When it is due.
    pub due_on: NaiveDate,
    /// Who marked it paid (or returned), and when.
    pub settled_by: Option<UserId>,
    /// When.
    pub settled_at: Option<DateTime<Utc>>,
    /// The stored bank details (a [`crate::bank_details`] row) the line
    /// pays, fixed when the run was approved: `None` before approval and
    /// for runs approved before accounts were recorded.
    pub approved_account: Option<uuid::Uuid>,
}

type RunLineRow = (
    DbUuid,
    String,
    String,
    DbUuid,
    String,
    Option<String>,
    i64,
    NaiveDate,
    Option<DbUuid>,
    Option<DbTime>,
    Option<DbUuid>,
);

/// The lines of a run that it pays (or, confirmed, paid), in a stable
/// order: see [`PaymentRunStatus::lists`].
pub fn run_lines(conn: &mut AnyConnection, run: &PaymentRun) -> Result<Vec<RunLine>, StoreError> {
    let listed: Vec<&str> = run.status.lists().iter().map(|s| s.as_str()).collect();
    let rows: Vec<RunLineRow> = disbursements::table
        .inner_join(awards_table::table.inner_join(grantees::table))
        .filter(disbursements::payment_run_id.eq(db_id(run.id)))
        .filter(disbursements::status.eq_any(listed))
        .order(disbursements::id.asc())
        .select((
            disbursements::id,
            disbursements::status,
            awards_table::reference,
            grantees::id,
            grantees::name,
            grantees::org_id,
            disbursements::amount_pence,
            disbursements::due_on,
            disbursements::settled_by,
            disbursements::settled_at,
            disbursements::bank_details_id,
        ))
        .load(conn)?;
    rows.into_iter()
        .map(
            |(id, status, reference, grantee, payee, org, pence, due_on, by, at, account)| {
                Ok(RunLine {
                    disbursement_id: DisbursementId::from_uuid(id.0),
                    status: parse::<DisbursementStatus>("disbursement status", &status)?,
                    award_reference: reference,
                    grantee_id: GranteeId::from_uuid(grantee.0),
                    payee,
                    payee_org_id: org,
                    amount: money("disbursement amount", pence)?,
                    due_on,
                    settled_by: by.map(|u| UserId::from_uuid(u.0)),
                    settled_at: at.map(|t| t.0),
                    approved_account: account.map(|a| a.0),
                })
            },
        )
        .collect()
}

/// A tranche that was due when a run was made but held out of it.
#[derive(Debug, Clone, PartialEq)]
pub struct HeldLine {
    /// The tranche.
    pub disbursement_id: DisbursementId,
    /// The award's reference.
    pub award_reference: String,
    /// Whom it would have paid.
    pub grantee_id: GranteeId,
    /// Their name.
    pub payee: String,
    /// How much.
    pub amount: Money,
    /// Why it was held.
    pub reason: PaymentHold,
}

/// The tranches held out of a run when it was made, and why.
pub fn held_lines(
    conn: &mut AnyConnection,
    run: PaymentRunId,
) -> Result<Vec<HeldLine>, StoreError> {
    let rows: Vec<(DbUuid, String, DbUuid, String, i64, String)> = payment_run_holds::table
        .inner_join(
            disbursements::table.inner_join(awards_table::table.inner_join(grantees::table)),
        )
        .filter(payment_run_holds::payment_run_id.eq(db_id(run)))
        .order(payment_run_holds::disbursement_id.asc())
        .select((
            disbursements::id,
            awards_table::reference,
            grantees::id,
            grantees::name,
            disbursements::amount_pence,
            payment_run_holds::reason,
        ))
        .load(conn)?;
    rows.into_iter()
        .map(|(id, reference, grantee, payee, pence, reason)| {
            Ok(HeldLine {
                disbursement_id: DisbursementId::from_uuid(id.0),
                award_reference: reference,
                grantee_id: GranteeId::from_uuid(grantee.0),
                payee,
                amount: money("disbursement amount", pence)?,
                reason: PaymentHold::from_code(&reason)
                    .ok_or_else(|| StoreError::corrupt("payment hold reason", reason.clone()))?,
            })
        })
        .collect()
}

// Tranches of the run with the given status, with their amounts.
fn run_tranches(
    conn: &mut AnyConnection,
    run: PaymentRunId,
    status: DisbursementStatus,
) -> Result<Vec<(DisbursementId, Money)>, StoreError> {
    let rows: Vec<(DbUuid, i64)> = disbursements::table
        .filter(disbursements::payment_run_id.eq(db_id(run)))
        .filter(disbursements::status.eq(status.as_str()))
        .order(disbursements::id.asc())
        .select((disbursements::id, disbursements::amount_pence))
        .load(conn)?;
    rows.into_iter()
        .map(|(id, pence)| {
            Ok((
                DisbursementId::from_uuid(id.0),
                money("disbursement amount", pence)?,
            ))
        })
        .collect()
}

// What a run has paid: tranches paid through it, reversed or returned later
// or not.
fn run_paid(conn: &mut AnyConnection, run: PaymentRunId) -> Result<Vec<Money>, StoreError> {
    let mut paid = Vec::new();
    for status in PaymentRunStatus::Confirmed.lists() {
        paid.extend(
            run_tranches(conn, run, *status)?
                .into_iter()
                .map(|(_, m)| m),
        );
    }
    Ok(paid)
}

fn save_run(
    conn: &mut AnyConnection,
    before: &Record<PaymentRun>,
    after: &PaymentRun,
    action: &str,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    update_versioned!(
        conn,
        payment_runs,
        db_id(after.id),
        before.version,
        "payment run",
        (
            payment_runs::status.eq(after.status.as_str()),
            payment_runs::total_pence.eq(after.total.pence()),
            payment_runs::disbursement_count.eq(i32::try_from(after.count).map_err(conflict)?),
            payment_runs::confirmed_at
                .eq((after.status == PaymentRunStatus::Confirmed).then_some(DbTime::new(now))),
            payment_runs::approved_by.eq(after.approved.map(|(by, _)| db_id(by))),
            payment_runs::approved_at.eq(after.approved.map(|(_, at)| DbTime::new(at))),
        ),
    )?;
    audit::record_change(
        conn,
        actor,
        action,
        "payment_run",
        after.id,
        after.scope.fund_id,
        Some(&before.value),
        Some(after),
        now,
    )?;
    Ok(())
}

// A tranche failed (or its award was cancelled) while in an open run: the
// run's total and count drop by it, so its bank file and confirmation
// never pay it; if it was the last line to settle, the run is confirmed.
fn leave_run(
    conn: &mut AnyConnection,
    run: PaymentRunId,
    amount: Money,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let before = get_run(conn, run)?;
    let after = before.value.without(amount).map_err(conflict)?;
    save_run(conn, &before, &after, "payment_run.changed", actor, now)
}

// After a line of an approved run is settled on its own: confirm the run
// once no line is left to pay.
fn settle_run_if_done(
    conn: &mut AnyConnection,
    run: PaymentRunId,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let before = get_run(conn, run)?;
    let still = run_tranches(conn, run, DisbursementStatus::Scheduled)?.len();
    let paid = run_paid(conn, run)?;
    let after = before
        .value
        .after_line_settled(u32::try_from(still).map_err(conflict)?, &paid)
        .map_err(conflict)?;
    if after != before.value {
        save_run(conn, &before, &after, "payment_run.confirmed", actor, now)?;
    }
    Ok(())
}

/// Approves a draft run: `actor` must be a named administrator other than
/// the one who made it. `accounts` fixes the bank details row each line
/// pays (see [`grantledger_domain::bank::account_to_pay`]).
pub fn approve_run(
    conn: &mut AnyConnection,
    before: &Record<PaymentRun>,
    accounts: &[(DisbursementId, uuid::Uuid)],
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Record<PaymentRun>, StoreError> {
    let id = before.value.id;
    let after = before
        .value
        .approve(actor.user_id, DbTime::new(now).0)
        .map_err(conflict)?;
    // `before` is the run as the caller read it with its lines' accounts:
    // the version check stops a line leaving the run in between.
    save_run(conn, before, &after, "payment_run.approved", actor, now)?;
    let mut by_account: BTreeMap<uuid::Uuid, Vec<DbUuid>> = BTreeMap::new();
    for (line, account) in accounts {
        by_account.entry(*account).or_default().push(db_id(*line));
    }
    // Which account each line pays is part of what was approved: on the
    // record beside the approval (row ids only; the numbers stay sealed).
    let fixed: BTreeMap<String, String> = accounts
        .iter()
        .map(|(line, account)| (line.to_string(), account.to_string()))
        .collect();
    audit::record_change(
        conn,
        actor,
        "payment_run.accounts_fixed",
        "payment_run",
        id,
        after.scope.fund_id,
        None,
        Some(&serde_json::json!({ "bank_details_by_line": fixed })),
        now,
    )?;
    for (account, lines) in by_account {
        for chunk in lines.chunks(1_000) {
            diesel::update(
                disbursements::table
                    .filter(disbursements::id.eq_any(chunk))
                    .filter(disbursements::payment_run_id.eq(db_id(id))),
            )
            .set(disbursements::bank_details_id.eq(Some(DbUuid(account))))
            .execute(conn)?;
        }
    }
    get_run(conn, id)
}

/// Records one line of an approved run as paid, failed or returned, with
/// who and when; the run is confirmed once no line is left to pay.
pub fn settle_line(
    conn: &mut AnyConnection,
    run: PaymentRunId,
    line: DisbursementId,
    outcome: Outcome,
    note: Option<&str>,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Record<Stored>, StoreError> {
    let current = get_run(conn, run)?;
    let tranche = get(conn, line)?;
    if tranche.value.disbursement.payment_run_id != Some(run) {
        return Err(conflict(SettleError::NotInRun { run }));
    }
    if matches!(outcome, Outcome::Paid | Outcome::Failed)
        && current.value.status != PaymentRunStatus::Approved
    {
        return Err(conflict(PaymentRunError::NotApproved(current.value.status)));
    }
    let settled = apply(conn, line, outcome, Some(run), note, actor, now)?;
    settle_run_if_done(conn, run, actor, now)?;
    Ok(settled)
}

/// Confirms every line of an approved run still to pay as paid, in one
/// step, with its ledger transfers, in the caller's one transaction. The
/// run records as its total and count exactly the tranches it paid.
pub fn confirm_run(
    conn: &mut AnyConnection,
    id: PaymentRunId,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Record<PaymentRun>, StoreError> {
    let before = get_run(conn, id)?;
    let due = run_tranches(conn, id, DisbursementStatus::Scheduled)?;
    let mut paid = run_paid(conn, id)?;
    paid.extend(due.iter().map(|(_, amount)| *amount));
    let after = before.value.confirm(paid).map_err(conflict)?;
    // The version check on the run row stops a tranche leaving the run
    // between the read above and this write.
    save_run(conn, &before, &after, "payment_run.confirmed", actor, now)?;
    for (d, _) in due {
        apply(conn, d, Outcome::Paid, Some(id), None, actor, now)?;
    }
    get_run(conn, id)
}

/// Abandons a draft or approved run none of whose lines is confirmed paid;
/// its tranches become free for another run.
pub fn cancel_run(
    conn: &mut AnyConnection,
    id: PaymentRunId,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Record<PaymentRun>, StoreError> {
    let before = get_run(conn, id)?;
    let paid = u32::try_from(run_paid(conn, id)?.len()).map_err(conflict)?;
    let after = before.value.cancel(paid).map_err(conflict)?;
    save_run(conn, &before, &after, "payment_run.cancelled", actor, now)?;
    diesel::update(
        disbursements::table
            .filter(disbursements::payment_run_id.eq(db_id(id)))
            .filter(disbursements::status.eq(DisbursementStatus::Scheduled.as_str())),
    )
    .set((
        disbursements::payment_run_id.eq(None::<DbUuid>),
        disbursements::bank_details_id.eq(None::<DbUuid>),
        disbursements::version.eq(disbursements::version + 1),
    ))
    .execute(conn)?;
    get_run(conn, id)
}
