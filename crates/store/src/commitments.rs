//! Commitments (pledges): import of the pledge tracker, their departments and
//! their append-only status history.
//!
//! An import runs inside the caller's write transaction and is all or
//! nothing. It appends one audit event per commitment it creates
//! (`commitment.created`), per progress change (`commitment.status_changed`)
//! and per change of text or departments (`commitment.updated`); a re-import
//! that changes nothing appends nothing.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use grantledger_domain::commitment::{
    ChangeSource, Commitment, CommitmentStatus, Department, ImportAction, ImportSummary,
    StatusChange, TrackerRow, plan_import,
};
use grantledger_domain::ids::{CommitmentId, UserId};

use crate::audit;
use crate::common::{
    Actor, Page, PageRequest, Record, db_id, find_row, page_query, parse, update_versioned,
};
use crate::connection::AnyConnection;
use crate::error::StoreError;
use crate::schema::{commitment_departments, commitment_history, commitments};
use crate::sql_types::{DbTime, DbUuid};

#[derive(Queryable, Selectable)]
#[diesel(table_name = commitments)]
struct CommitmentRow {
    id: DbUuid,
    number: i32,
    occurrence: i32,
    pledge: String,
    progress: String,
    status: String,
    source_line: i32,
    version: i64,
    created_at: DbTime,
    updated_at: DbTime,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = commitment_history)]
struct HistoryRow {
    changed_at: DbTime,
    actor_id: Option<DbUuid>,
    actor: String,
    source: String,
    status: String,
    progress: String,
    note: String,
}

fn count(what: &str, value: i32) -> Result<u32, StoreError> {
    u32::try_from(value).map_err(|e| StoreError::corrupt(what, e))
}

fn int(value: u32) -> Result<i32, StoreError> {
    i32::try_from(value)
        .map_err(|_| StoreError::Conflict(format!("the number {value} is too large to store")))
}

fn to_record(
    row: CommitmentRow,
    departments: Vec<Department>,
) -> Result<Record<Commitment>, StoreError> {
    Ok(Record {
        value: Commitment {
            id: CommitmentId::from_uuid(row.id.0),
            number: count("commitment number", row.number)?,
            occurrence: count("commitment occurrence", row.occurrence)?,
            text: row.pledge,
            departments,
            progress: row.progress,
            status: parse::<CommitmentStatus>("commitment status", &row.status)?,
            source_line: count("commitment source line", row.source_line)?,
        },
        version: row.version,
        created_at: row.created_at.0,
        updated_at: row.updated_at.0,
    })
}

/// Loads the departments of the given commitments (all of them when `ids`
/// is `None`), each list in its stored order.
fn departments_of(
    conn: &mut AnyConnection,
    ids: Option<Vec<DbUuid>>,
) -> Result<HashMap<uuid::Uuid, Vec<Department>>, StoreError> {
    let mut query = commitment_departments::table
        .select((
            commitment_departments::commitment_id,
            commitment_departments::department,
        ))
        .order((
            commitment_departments::commitment_id.asc(),
            commitment_departments::position.asc(),
        ))
        .into_boxed();
    if let Some(ids) = ids {
        query = query.filter(commitment_departments::commitment_id.eq_any(ids));
    }
    let rows: Vec<(DbUuid, String)> = query.load(conn)?;
    let mut map: HashMap<uuid::Uuid, Vec<Department>> = HashMap::new();
    for (id, code) in rows {
        map.entry(id.0)
            .or_default()
            .push(parse::<Department>("department", &code)?);
    }
    Ok(map)
}

fn with_departments(
    conn: &mut AnyConnection,
    rows: Vec<CommitmentRow>,
    all: bool,
) -> Result<Vec<Record<Commitment>>, StoreError> {
    let ids = (!all).then(|| rows.iter().map(|r| r.id).collect());
    let mut departments = departments_of(conn, ids)?;
    rows.into_iter()
        .map(|row| {
            let ds = departments.remove(&row.id.0).unwrap_or_default();
            to_record(row, ds)
        })
        .collect()
}

fn write_departments(conn: &mut AnyConnection, c: &Commitment) -> Result<(), StoreError> {
    diesel::delete(
        commitment_departments::table.filter(commitment_departments::commitment_id.eq(db_id(c.id))),
    )
    .execute(conn)?;
    for (position, department) in c.departments.iter().enumerate() {
        let position = i32::try_from(position)
            .map_err(|_| StoreError::Conflict("too many departments".to_owned()))?;
        diesel::insert_into(commitment_departments::table)
            .values((
                commitment_departments::commitment_id.eq(db_id(c.id)),
                commitment_departments::position.eq(position),
                commitment_departments::department.eq(department.code()),
            ))
            .execute(conn)?;
    }
    Ok(())
}

fn append_history(
    conn: &mut AnyConnection,
    c: &Commitment,
    source: ChangeSource,
    note: &str,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    diesel::insert_into(commitment_history::table)
        .values((
            commitment_history::id.eq(DbUuid(uuid::Uuid::now_v7())),
            commitment_history::commitment_id.eq(db_id(c.id)),
            commitment_history::changed_at.eq(DbTime::new(now)),
            commitment_history::actor_id.eq(actor.user_id.map(db_id)),
            commitment_history::actor.eq(&actor.label),
            commitment_history::source.eq(source.as_str()),
            commitment_history::status.eq(c.status.as_str()),
            commitment_history::progress.eq(&c.progress),
            commitment_history::note.eq(note),
        ))
        .execute(conn)?;
    Ok(())
}

fn audit_event(
    conn: &mut AnyConnection,
    action: &str,
    before: Option<&Commitment>,
    after: &Commitment,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    audit::record_change(
        conn,
        actor,
        action,
        "commitment",
        after.id,
        None,
        before,
        Some(after),
        now,
    )?;
    Ok(())
}

/// Every column of a pledge that an import may change; used by insert and
/// update alike so the two cannot drift apart.
#[derive(Insertable, AsChangeset)]
#[diesel(table_name = commitments, treat_none_as_null = true)]
struct CommitmentFields<'a> {
    pledge: &'a str,
    progress: &'a str,
    status: &'a str,
    source_line: i32,
}

impl<'a> CommitmentFields<'a> {
    fn of(c: &'a Commitment) -> Result<Self, StoreError> {
        Ok(CommitmentFields {
            pledge: &c.text,
            progress: &c.progress,
            status: c.status.as_str(),
            source_line: int(c.source_line)?,
        })
    }
}

fn insert(
    conn: &mut AnyConnection,
    c: &Commitment,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let at = DbTime::new(now);
    diesel::insert_into(commitments::table)
        .values((
            commitments::id.eq(db_id(c.id)),
            commitments::number.eq(int(c.number)?),
            commitments::occurrence.eq(int(c.occurrence)?),
            CommitmentFields::of(c)?,
            commitments::version.eq(1_i64),
            commitments::created_at.eq(at),
            commitments::updated_at.eq(at),
        ))
        .execute(conn)?;
    write_departments(conn, c)?;
    append_history(
        conn,
        c,
        ChangeSource::Import,
        &format!("imported from line {}", c.source_line),
        actor,
        now,
    )?;
    audit_event(conn, "commitment.created", None, c, actor, now)
}

/// Writes `after` over the stored row, if it is still at `version`.
fn update(
    conn: &mut AnyConnection,
    version: i64,
    before: &Commitment,
    after: &Commitment,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    update_versioned!(
        conn,
        commitments,
        db_id(after.id),
        version,
        "commitment",
        (
            CommitmentFields::of(after)?,
            commitments::updated_at.eq(DbTime::new(now)),
        ),
    )?;
    if before.departments != after.departments {
        write_departments(conn, after)?;
    }
    Ok(())
}

/// Imports parsed tracker rows: creates the pledges not held, records a
/// status history entry for each whose progress text changed, updates text
/// and departments, and leaves the rest alone. Run it inside
/// [`crate::Database::write`] so that it is all or nothing.
pub fn import(
    conn: &mut AnyConnection,
    rows: &[TrackerRow],
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<ImportSummary, StoreError> {
    let held = all_records(conn)?;
    let versions: HashMap<CommitmentId, i64> =
        held.iter().map(|r| (r.value.id, r.version)).collect();
    let existing: Vec<Commitment> = held.into_iter().map(|r| r.value).collect();
    let plan = plan_import(&existing, rows, CommitmentId::new);
    for action in &plan.actions {
        match action {
            ImportAction::Create(c) => insert(conn, c, actor, now)?,
            ImportAction::Update {
                before,
                after,
                progress_changed,
            } => {
                let version = versions.get(&before.id).copied().unwrap_or(1);
                update(conn, version, before, after, now)?;
                if *progress_changed {
                    append_history(
                        conn,
                        after,
                        ChangeSource::Import,
                        &format!(
                            "progress changed in import (line {}): was \"{}\"",
                            after.source_line, before.progress
                        ),
                        actor,
                        now,
                    )?;
                    audit_event(
                        conn,
                        "commitment.status_changed",
                        Some(before),
                        after,
                        actor,
                        now,
                    )?;
                } else {
                    audit_event(conn, "commitment.updated", Some(before), after, actor, now)?;
                }
            }
            ImportAction::Unchanged(_) => {}
        }
    }
    Ok(plan.summary())
}

fn all_records(conn: &mut AnyConnection) -> Result<Vec<Record<Commitment>>, StoreError> {
    let rows: Vec<CommitmentRow> = commitments::table
        .select(CommitmentRow::as_select())
        .order((commitments::number.asc(), commitments::occurrence.asc()))
        .load(conn)?;
    with_departments(conn, rows, true)
}

/// Every commitment, by number and occurrence: for the progress report.
pub fn all(conn: &mut AnyConnection) -> Result<Vec<Commitment>, StoreError> {
    Ok(all_records(conn)?.into_iter().map(|r| r.value).collect())
}

/// One commitment.
pub fn get(conn: &mut AnyConnection, id: CommitmentId) -> Result<Record<Commitment>, StoreError> {
    let row = find_row!(conn, commitments, CommitmentRow, db_id(id), "commitment")?;
    with_departments(conn, vec![row], false)?
        .pop()
        .ok_or(StoreError::NotFound {
            entity: "commitment",
        })
}

/// A commitment's status history, oldest first.
pub fn history(
    conn: &mut AnyConnection,
    id: CommitmentId,
) -> Result<Vec<StatusChange>, StoreError> {
    let rows: Vec<HistoryRow> = commitment_history::table
        .filter(commitment_history::commitment_id.eq(db_id(id)))
        .order(commitment_history::id.asc())
        .select(HistoryRow::as_select())
        .load(conn)?;
    rows.into_iter()
        .map(|row| {
            Ok(StatusChange {
                at: row.changed_at.0,
                by: row.actor_id.map(|u| UserId::from_uuid(u.0)),
                actor: row.actor,
                source: parse::<ChangeSource>("history source", &row.source)?,
                status: parse::<CommitmentStatus>("history status", &row.status)?,
                progress: row.progress,
                note: row.note,
            })
        })
        .collect()
}

/// Filters for listing commitments.
#[derive(Debug, Clone, Default)]
pub struct CommitmentFilter {
    /// Only commitments naming this department.
    pub department: Option<Department>,
    /// Only commitments with this status.
    pub status: Option<CommitmentStatus>,
}

/// A page of commitments, in the order they were first imported.
pub fn list(
    conn: &mut AnyConnection,
    filter: &CommitmentFilter,
    page: PageRequest,
) -> Result<Page<Record<Commitment>>, StoreError> {
    let mut query = page_query!(commitments, CommitmentRow, page);
    if let Some(department) = &filter.department {
        let naming = commitment_departments::table
            .filter(commitment_departments::department.eq(department.code().to_owned()))
            .select(commitment_departments::commitment_id);
        query = query.filter(commitments::id.eq_any(naming));
    }
    if let Some(status) = filter.status {
        query = query.filter(commitments::status.eq(status.as_str()));
    }
    let rows: Vec<CommitmentRow> = query.load(conn)?;
    let records = with_departments(conn, rows, false)?;
    Ok(page.finish(records, |r| r.value.id.into()))
}

/// Sets a commitment's status by hand, with a note: a history entry and an
/// audit event. `before` is the record as read in the same transaction.
pub fn set_status(
    conn: &mut AnyConnection,
    before: &Record<Commitment>,
    after: &Commitment,
    note: &str,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Record<Commitment>, StoreError> {
    update(conn, before.version, &before.value, after, now)?;
    append_history(conn, after, ChangeSource::Manual, note, actor, now)?;
    audit_event(
        conn,
        "commitment.status_changed",
        Some(&before.value),
        after,
        actor,
        now,
    )?;
    get(conn, after.id)
}
