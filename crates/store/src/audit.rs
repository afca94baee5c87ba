//! Appending to the audit trail. Every state change appends one event in the
//! same transaction as the change itself.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use grantledger_domain::ids::{AuditEventId, FundId};
use serde_json::Value;

use crate::common::{Actor, db_id};
use crate::connection::AnyConnection;
use crate::error::StoreError;
use crate::schema::audit_events;
use crate::sql_types::{DbTime, DbUuid};

/// One event to append.
#[derive(Debug, Clone)]
pub struct NewEvent<'a> {
    /// Who did it.
    pub actor: &'a Actor,
    /// What was done, as `entity.verb` (e.g. `fund.created`).
    pub action: &'a str,
    /// The kind of record changed.
    pub entity_type: &'a str,
    /// Its id.
    pub entity_id: uuid::Uuid,
    /// The fund it belongs to, where there is one.
    pub fund_id: Option<FundId>,
    /// A summary of the record before the change.
    pub before: Option<Value>,
    /// A summary of the record after the change.
    pub after: Option<Value>,
}

/// Appends an event; must run inside the transaction making the change.
pub fn append(
    conn: &mut AnyConnection,
    event: NewEvent<'_>,
    at: DateTime<Utc>,
) -> Result<AuditEventId, StoreError> {
    let id = AuditEventId::new();
    diesel::insert_into(audit_events::table)
        .values((
            audit_events::id.eq(db_id(id)),
            audit_events::occurred_at.eq(DbTime::new(at)),
            audit_events::actor_id.eq(event.actor.user_id.map(db_id)),
            audit_events::actor.eq(&event.actor.label),
            audit_events::action.eq(event.action),
            audit_events::entity_type.eq(event.entity_type),
            audit_events::entity_id.eq(DbUuid(event.entity_id)),
            audit_events::fund_id.eq(event.fund_id.map(db_id)),
            audit_events::before.eq(event.before.map(|v| v.to_string())),
            audit_events::after.eq(event.after.map(|v| v.to_string())),
        ))
        .execute(conn)?;
    Ok(id)
}
