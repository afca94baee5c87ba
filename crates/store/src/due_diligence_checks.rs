//! Grantees' due-diligence checks (issue 20): one row a check recorded,
//! append-only (triggers on both backends refuse UPDATE and DELETE). The
//! rules — which record is in force, expiry, what a fund requires — are the
//! domain's (`grantledger_domain::grantee::checks`); this module writes a
//! check with its audit event and reads a grantee's checks back.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use grantledger_domain::grantee::{Check, CheckKind, CheckStatus, Evidence};
use grantledger_domain::ids::{GranteeId, UserId};

use crate::audit;
use crate::common::{Actor, db_id, parse};
use crate::connection::AnyConnection;
use crate::error::StoreError;
use crate::schema::due_diligence_checks;
use crate::sql_types::{DbTime, DbUuid};

/// A check as stored: its row id with the domain value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCheck {
    /// The row's id (UUID v7, so time-ordered).
    pub id: uuid::Uuid,
    /// The grantee checked.
    pub grantee_id: GranteeId,
    /// The check.
    pub check: Check,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = due_diligence_checks)]
struct Row {
    id: DbUuid,
    grantee_id: DbUuid,
    kind: String,
    status: String,
    evidence: String,
    checked_by: DbUuid,
    checked_at: DbTime,
    checked_on: NaiveDate,
    expires_on: Option<NaiveDate>,
}

fn to_stored(row: Row) -> Result<StoredCheck, StoreError> {
    Ok(StoredCheck {
        id: row.id.0,
        grantee_id: GranteeId::from_uuid(row.grantee_id.0),
        check: Check {
            kind: parse::<CheckKind>("check kind", &row.kind)?,
            status: parse::<CheckStatus>("check status", &row.status)?,
            evidence: Evidence::parse(&row.evidence)
                .map_err(|e| StoreError::corrupt("check evidence", e))?,
            checked_by: UserId::from_uuid(row.checked_by.0),
            checked_at: row.checked_at.0,
            checked_on: row.checked_on,
            expires_on: row.expires_on,
        },
    })
}

/// Records a check of `grantee` that the domain's `Check::record` made,
/// with its `due_diligence.check_recorded` audit event, in the caller's
/// transaction.
pub fn record(
    conn: &mut AnyConnection,
    grantee: GranteeId,
    check: &Check,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<StoredCheck, StoreError> {
    let id = uuid::Uuid::now_v7();
    diesel::insert_into(due_diligence_checks::table)
        .values((
            due_diligence_checks::id.eq(db_id(id)),
            due_diligence_checks::grantee_id.eq(db_id(grantee)),
            due_diligence_checks::kind.eq(check.kind.as_str()),
            due_diligence_checks::status.eq(check.status.as_str()),
            due_diligence_checks::evidence.eq(check.evidence.as_str()),
            due_diligence_checks::checked_by.eq(db_id(check.checked_by)),
            due_diligence_checks::checked_at.eq(DbTime::new(check.checked_at)),
            due_diligence_checks::checked_on.eq(check.checked_on),
            due_diligence_checks::expires_on.eq(check.expires_on),
        ))
        .execute(conn)?;
    audit::record_change(
        conn,
        actor,
        "due_diligence.check_recorded",
        "grantee",
        grantee,
        None,
        None,
        Some(check),
        now,
    )?;
    let row = due_diligence_checks::table
        .find(db_id(id))
        .select(Row::as_select())
        .first(conn)?;
    to_stored(row)
}

/// Every check recorded for `grantee`, oldest first (by when recorded, then
/// by id), so the domain's `current` finds the latest of each kind.
pub fn for_grantee(
    conn: &mut AnyConnection,
    grantee: GranteeId,
) -> Result<Vec<StoredCheck>, StoreError> {
    let rows: Vec<Row> = due_diligence_checks::table
        .filter(due_diligence_checks::grantee_id.eq(db_id(grantee)))
        .order((
            due_diligence_checks::checked_at.asc(),
            due_diligence_checks::id.asc(),
        ))
        .select(Row::as_select())
        .load(conn)?;
    rows.into_iter().map(to_stored).collect()
}
