//! The audit trail. Every state change appends one event in the same
//! transaction as the change itself; a sealer later appends each event to
//! the hash chain (`audit_chain`), and verification recomputes it. The
//! encoding and chaining rules are in [`grantledger_domain::audit`].

use std::sync::Mutex;

use chrono::{DateTime, Utc};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use grantledger_domain::audit::{self as chain, AuditEvent, ChainLink, Verification, Verifier};
use grantledger_domain::ids::{AuditEventId, FundId};
use serde::Serialize;
use serde_json::Value;

use crate::common::{Actor, db_id};
use crate::connection::{AnyConnection, BackendKind};
use crate::database::Database;
use crate::error::StoreError;
use crate::schema::{audit_chain, audit_events};
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

impl<'a> NewEvent<'a> {
    /// The event for a change to one record, summarising the record before
    /// and after as their serde JSON (see [`summary`]).
    pub(crate) fn change<T: Serialize + ?Sized>(
        actor: &'a Actor,
        action: &'a str,
        entity_type: &'a str,
        entity_id: impl Into<uuid::Uuid>,
        fund_id: Option<FundId>,
        before: Option<&T>,
        after: Option<&T>,
    ) -> NewEvent<'a> {
        NewEvent {
            actor,
            action,
            entity_type,
            entity_id: entity_id.into(),
            fund_id,
            before: before.map(summary),
            after: after.map(summary),
        }
    }
}

/// How a record appears in the trail: its serde JSON, or `null` should it
/// not serialise (the domain types always do). A caller wanting a summary
/// with more in it passes a [`Value`], which serialises as itself.
pub(crate) fn summary<T: Serialize + ?Sized>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

/// Appends the event for a change to one record (see [`NewEvent::change`]);
/// must run inside the transaction making the change.
#[expect(
    clippy::too_many_arguments,
    reason = "one audit event: who, what, which record and fund, before and after, when"
)]
pub(crate) fn record_change<T: Serialize + ?Sized>(
    conn: &mut AnyConnection,
    actor: &Actor,
    action: &str,
    entity_type: &str,
    entity_id: impl Into<uuid::Uuid>,
    fund_id: Option<FundId>,
    before: Option<&T>,
    after: Option<&T>,
    now: DateTime<Utc>,
) -> Result<AuditEventId, StoreError> {
    append(
        conn,
        NewEvent::change(
            actor,
            action,
            entity_type,
            entity_id,
            fund_id,
            before,
            after,
        ),
        now,
    )
}

/// Who has changed anything: the labels of system actors (CLI, demo
/// loader) and the ids of users that appear in the audit trail, each once.
/// Every change appends an event, so this says whose data the database
/// holds.
pub fn actors(conn: &mut AnyConnection) -> Result<(Vec<String>, Vec<uuid::Uuid>), StoreError> {
    let systems: Vec<String> = audit_events::table
        .filter(audit_events::actor_id.is_null())
        .select(audit_events::actor)
        .distinct()
        .load(conn)?;
    let users: Vec<Option<DbUuid>> = audit_events::table
        .filter(audit_events::actor_id.is_not_null())
        .select(audit_events::actor_id)
        .distinct()
        .load(conn)?;
    Ok((
        systems,
        users.into_iter().flatten().map(|id| id.0).collect(),
    ))
}

/// Appends an event; must run inside the transaction making the change.
pub fn append(
    conn: &mut AnyConnection,
    event: NewEvent<'_>,
    at: DateTime<Utc>,
) -> Result<AuditEventId, StoreError> {
    let id = AuditEventId::new();
    diesel::insert_into(audit_events::table)
        .values(NewEventRow::new(id, &event, DbTime::new(at)))
        .execute(conn)?;
    Ok(id)
}

/// An event as the row [`append`] and [`append_many`] both write.
#[derive(Insertable)]
#[diesel(table_name = audit_events, treat_none_as_default_value = false)]
struct NewEventRow<'a> {
    id: DbUuid,
    occurred_at: DbTime,
    actor_id: Option<DbUuid>,
    actor: &'a str,
    action: &'a str,
    entity_type: &'a str,
    entity_id: DbUuid,
    fund_id: Option<DbUuid>,
    before: Option<String>,
    after: Option<String>,
}

impl<'a> NewEventRow<'a> {
    fn new(id: AuditEventId, event: &NewEvent<'a>, at: DbTime) -> Self {
        NewEventRow {
            id: db_id(id),
            occurred_at: at,
            actor_id: event.actor.user_id.map(db_id),
            actor: &event.actor.label,
            action: event.action,
            entity_type: event.entity_type,
            entity_id: DbUuid(event.entity_id),
            fund_id: event.fund_id.map(db_id),
            before: event.before.as_ref().map(ToString::to_string),
            after: event.after.as_ref().map(ToString::to_string),
        }
    }
}

/// Appends many events at `at` in batched inserts (an import's thousands
/// of `grantee.created` events), each as [`append`] would.
pub fn append_many<'a>(
    conn: &mut AnyConnection,
    events: impl IntoIterator<Item = NewEvent<'a>>,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let at = DbTime::new(at);
    let rows: Vec<_> = events
        .into_iter()
        .map(|event| NewEventRow::new(AuditEventId::new(), &event, at))
        .collect();
    if !rows.is_empty() {
        crate::connection::insert_batch!(conn, audit_events::table, &rows)?;
    }
    Ok(())
}

/// An event made now and appended later in the same transaction with
/// others, by [`append_pending`] (a bulk decision's events, one insert for
/// the batch). It still commits, or rolls back, with the change.
#[derive(Debug, Clone)]
pub struct PendingEvent<'a> {
    event: NewEvent<'a>,
    at: DateTime<Utc>,
}

impl<'a> PendingEvent<'a> {
    /// The event for a change to one record, as [`record_change`] would
    /// append it at `now`.
    #[expect(
        clippy::too_many_arguments,
        reason = "one audit event: who, what, which record and fund, before and after, when"
    )]
    pub(crate) fn change<T: Serialize + ?Sized>(
        actor: &'a Actor,
        action: &'a str,
        entity_type: &'a str,
        entity_id: impl Into<uuid::Uuid>,
        fund_id: Option<FundId>,
        before: Option<&T>,
        after: Option<&T>,
        now: DateTime<Utc>,
    ) -> Self {
        PendingEvent {
            event: NewEvent::change(
                actor,
                action,
                entity_type,
                entity_id,
                fund_id,
                before,
                after,
            ),
            at: now,
        }
    }
}

/// Appends events made earlier in this transaction, in their order, in
/// batched inserts; each row is what [`append`] would have written.
pub fn append_pending(
    conn: &mut AnyConnection,
    events: &[PendingEvent<'_>],
) -> Result<(), StoreError> {
    let rows: Vec<_> = events
        .iter()
        .map(|p| NewEventRow::new(AuditEventId::new(), &p.event, DbTime::new(p.at)))
        .collect();
    if !rows.is_empty() {
        crate::connection::insert_batch!(conn, audit_events::table, &rows)?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Reading the trail, and the hash chain.
// ---------------------------------------------------------------------------

/// An arbitrary constant naming grantledger's sealer lock on PostgreSQL.
const SEAL_LOCK: i64 = 0x6772_616e_7473_6561;

/// How many events one sealing transaction takes at most.
const SEAL_BATCH: i64 = 2_000;

/// How far below the highest sealed sequence number the background sealer
/// looks for events that committed late. Sealing on demand (before verify
/// and export) looks at every event.
pub const SEAL_LOOKBACK: i64 = 100_000;

#[derive(Queryable, Selectable)]
#[diesel(table_name = audit_events)]
struct EventRow {
    seq: i64,
    id: DbUuid,
    occurred_at: DbTime,
    actor_id: Option<DbUuid>,
    actor: String,
    action: String,
    entity_type: String,
    entity_id: DbUuid,
    fund_id: Option<DbUuid>,
    before: Option<String>,
    after: Option<String>,
}

impl From<EventRow> for AuditEvent {
    fn from(r: EventRow) -> Self {
        AuditEvent {
            seq: r.seq,
            id: r.id.0,
            occurred_at: r.occurred_at.0,
            actor_id: r.actor_id.map(|u| u.0),
            actor: r.actor,
            action: r.action,
            entity_type: r.entity_type,
            entity_id: r.entity_id.0,
            fund_id: r.fund_id.map(|u| u.0),
            before: r.before,
            after: r.after,
        }
    }
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = audit_chain)]
struct LinkRow {
    position: i64,
    seq: i64,
    prev_hash: String,
    hash: String,
    sealed_at: DbTime,
}

impl From<LinkRow> for ChainLink {
    fn from(r: LinkRow) -> Self {
        ChainLink {
            position: r.position,
            seq: r.seq,
            prev_hash: r.prev_hash,
            hash: r.hash,
            sealed_at: r.sealed_at.0,
        }
    }
}

fn last_link(conn: &mut AnyConnection) -> Result<Option<ChainLink>, StoreError> {
    let row: Option<LinkRow> = audit_chain::table
        .order(audit_chain::position.desc())
        .select(LinkRow::as_select())
        .first(conn)
        .optional()?;
    Ok(row.map(ChainLink::from))
}

/// Seals one batch of unsealed events into the chain, in sequence order.
/// Must run inside a write transaction; concurrent sealers (other threads or
/// processes) take turns on a transaction-scoped advisory lock on
/// PostgreSQL and on the write lock on SQLite, so each reads the chain's end
/// after the previous one committed. Ordinary writes never wait for it.
///
/// With `lookback`, only events numbered above (highest sealed − lookback)
/// are considered, which keeps the background sealer's query small.
/// Returns how many events were sealed.
pub fn seal_batch(
    conn: &mut AnyConnection,
    lookback: Option<i64>,
    now: DateTime<Utc>,
) -> Result<usize, StoreError> {
    if let AnyConnection::Postgresql(c) = conn {
        c.batch_execute(&format!("SELECT pg_advisory_xact_lock({SEAL_LOCK})"))?;
    }
    let mut previous = last_link(conn)?;
    let mut query = audit_events::table
        .left_join(audit_chain::table)
        .filter(audit_chain::position.nullable().is_null())
        .order(audit_events::seq.asc())
        .limit(SEAL_BATCH)
        .select(EventRow::as_select())
        .into_boxed();
    if let Some(lookback) = lookback {
        let highest: Option<i64> = audit_chain::table
            .select(diesel::dsl::max(audit_chain::seq))
            .first(conn)?;
        query = query.filter(audit_events::seq.gt(highest.unwrap_or(0).saturating_sub(lookback)));
    }
    let pending: Vec<EventRow> = query.load(conn)?;
    let sealed_at = DbTime::new(now);
    let mut links = Vec::with_capacity(pending.len());
    for row in pending {
        let event = AuditEvent::from(row);
        let link = chain::seal(previous.as_ref(), &event, sealed_at.0);
        links.push(LinkRow {
            position: link.position,
            seq: link.seq,
            prev_hash: link.prev_hash.clone(),
            hash: link.hash.clone(),
            sealed_at,
        });
        previous = Some(link);
    }
    // One statement for the batch: a busy server's sealer had made a round
    // trip a link, up to 2,000 a transaction.
    if !links.is_empty() {
        crate::connection::insert_batch!(conn, audit_chain::table, &links)?;
    }
    Ok(links.len())
}

/// Seals every pending event, a batch per transaction; `lookback` as for
/// [`seal_batch`]. Returns how many were sealed.
pub fn seal_pending(db: &Database, lookback: Option<i64>) -> Result<usize, StoreError> {
    seal_counting(db, lookback).map(|(sealed, _)| sealed)
}

/// [`seal_pending`], also returning how many write transactions it took.
fn seal_counting(db: &Database, lookback: Option<i64>) -> Result<(usize, u64), StoreError> {
    let (mut total, mut transactions) = (0, 0);
    loop {
        let sealed = db.write(|c| seal_batch(c, lookback, Utc::now()))?;
        total += sealed;
        transactions += 1;
        if sealed < SEAL_BATCH as usize {
            return Ok((total, transactions));
        }
    }
}

/// The server's background sealer. On PostgreSQL a look for late commits
/// costs an anti-join over [`SEAL_LOOKBACK`] events (tens of milliseconds
/// at that size), so it looks only when this process has committed a write since
/// its last look, and at least every [`Sealer::LOOK_AT_LEAST_EVERY`] ticks
/// for what other processes write (the command line, other servers).
#[derive(Debug)]
pub struct Sealer {
    db: Database,
    looked: Mutex<Looked>,
}

/// What the sealer knows since its last look.
#[derive(Debug, Default)]
struct Looked {
    /// The database's commit count after the last look, the look's own
    /// transactions included; `None` before the first.
    commits: Option<u64>,
    /// Ticks since the last look.
    ticks: u32,
}

impl Sealer {
    /// Ticks between looks when this process writes nothing.
    pub const LOOK_AT_LEAST_EVERY: u32 = 60;

    /// A sealer for this database that looks at its first tick.
    pub fn new(db: Database) -> Sealer {
        Sealer {
            db,
            looked: Mutex::new(Looked::default()),
        }
    }

    /// How far below the highest sealed event a look reaches. On SQLite
    /// one writer holds the database from its first write to its commit and
    /// sequence numbers only grow (`AUTOINCREMENT`), so no event can commit
    /// below one already sealed: the look starts at the chain's end, an
    /// index range instead of an anti-join over [`SEAL_LOOKBACK`] events.
    fn lookback(&self) -> i64 {
        match self.db.backend() {
            BackendKind::Sqlite => 0,
            BackendKind::Postgres => SEAL_LOOKBACK,
        }
    }

    /// Seals what is pending if this process wrote since the last look, or
    /// the last look was [`Sealer::LOOK_AT_LEAST_EVERY`] ticks ago. Returns
    /// how many events it sealed (0 when it did not look).
    pub fn tick(&self) -> Result<usize, StoreError> {
        let mut looked = self
            .looked
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // Read before looking: a write counted after this is looked at
        // again next tick.
        let commits = self.db.commits();
        looked.ticks += 1;
        if looked.commits == Some(commits) && looked.ticks < Self::LOOK_AT_LEAST_EVERY {
            return Ok(0);
        }
        looked.ticks = 0;
        let (sealed, transactions) = seal_counting(&self.db, Some(self.lookback()))?;
        looked.commits = Some(commits + transactions);
        Ok(sealed)
    }
}

/// Links from `after_position` on, each with the event it seals (`None`
/// if the event row is gone), in chain order.
pub fn chain_page(
    conn: &mut AnyConnection,
    after_position: i64,
    limit: i64,
) -> Result<Vec<(ChainLink, Option<AuditEvent>)>, StoreError> {
    let rows: Vec<(LinkRow, Option<EventRow>)> = audit_chain::table
        .left_join(audit_events::table)
        .filter(audit_chain::position.gt(after_position))
        .order(audit_chain::position.asc())
        .limit(limit)
        .select((LinkRow::as_select(), Option::<EventRow>::as_select()))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(l, e)| (ChainLink::from(l), e.map(AuditEvent::from)))
        .collect())
}

/// Calls `f` for every link in chain order, a page at a time, so the whole
/// chain is never in memory. Stops early when `f` returns `false`.
pub fn for_each_link(
    db: &Database,
    mut f: impl FnMut(ChainLink, Option<AuditEvent>) -> Result<bool, StoreError>,
) -> Result<(), StoreError> {
    let mut after = 0;
    loop {
        let page = db.read(|c| chain_page(c, after, 5_000))?;
        let Some((last, _)) = page.last() else {
            return Ok(());
        };
        after = last.position;
        for (link, event) in page {
            if !f(link, event)? {
                return Ok(());
            }
        }
    }
}

/// Whether sequence numbers on this backend are gap-free and sealed in
/// order (SQLite), which lets verification treat any gap as a deletion.
pub fn contiguous_seq(db: &Database) -> bool {
    db.backend() == BackendKind::Sqlite
}

/// Seals what is pending, then recomputes the whole chain from the events
/// as stored now, and names the first bad position and sequence number.
/// Also reports an event left outside the chain.
pub fn verify(db: &Database) -> Result<Verification, StoreError> {
    seal_pending(db, None)?;
    let mut verifier = Verifier::new(contiguous_seq(db));
    for_each_link(db, |link, event| {
        verifier.check(&link, event.as_ref());
        Ok(!verifier.failed())
    })?;
    if !verifier.failed() {
        let unsealed: Option<i64> = db.read(|c| {
            audit_events::table
                .left_join(audit_chain::table)
                .filter(audit_chain::position.nullable().is_null())
                .select(audit_events::seq)
                .order(audit_events::seq.asc())
                .first(c)
                .optional()
                .map_err(StoreError::from)
        })?;
        if let Some(seq) = unsealed {
            verifier.unsealed(seq);
        }
    }
    Ok(verifier.finish())
}

/// Filters for listing audit events; all optional and combined with AND.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    /// Only events about this kind of record.
    pub entity_type: Option<String>,
    /// Only events about this record.
    pub entity_id: Option<uuid::Uuid>,
    /// Only events of this fund.
    pub fund_id: Option<uuid::Uuid>,
    /// Only this action, e.g. `award.offered`.
    pub action: Option<String>,
    /// Only events by this user.
    pub actor_id: Option<uuid::Uuid>,
    /// Only events at or after this instant.
    pub since: Option<DateTime<Utc>>,
    /// Only events before this instant.
    pub until: Option<DateTime<Utc>>,
}

/// An event with its chain link, if sealed yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    /// The event.
    pub event: AuditEvent,
    /// Its link.
    pub link: Option<ChainLink>,
}

/// A page of events in sequence order, after sequence number `after`;
/// `next` is the cursor for the following page.
pub fn list(
    conn: &mut AnyConnection,
    filter: &EventFilter,
    limit: u32,
    after: Option<i64>,
) -> Result<(Vec<Listed>, Option<i64>), StoreError> {
    let limit = limit.clamp(1, crate::common::MAX_PAGE_SIZE);
    let mut query = audit_events::table
        .left_join(audit_chain::table)
        .order(audit_events::seq.asc())
        .limit(i64::from(limit) + 1)
        .select((EventRow::as_select(), Option::<LinkRow>::as_select()))
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(audit_events::seq.gt(after));
    }
    if let Some(t) = &filter.entity_type {
        query = query.filter(audit_events::entity_type.eq(t.clone()));
    }
    if let Some(id) = filter.entity_id {
        query = query.filter(audit_events::entity_id.eq(DbUuid(id)));
    }
    if let Some(id) = filter.fund_id {
        query = query.filter(audit_events::fund_id.eq(DbUuid(id)));
    }
    if let Some(a) = &filter.action {
        query = query.filter(audit_events::action.eq(a.clone()));
    }
    if let Some(id) = filter.actor_id {
        query = query.filter(audit_events::actor_id.eq(DbUuid(id)));
    }
    if let Some(t) = filter.since {
        query = query.filter(audit_events::occurred_at.ge(DbTime::new(t)));
    }
    if let Some(t) = filter.until {
        query = query.filter(audit_events::occurred_at.lt(DbTime::new(t)));
    }
    let mut rows: Vec<(EventRow, Option<LinkRow>)> = query.load(conn)?;
    let more = rows.len() > limit as usize;
    rows.truncate(limit as usize);
    let items: Vec<Listed> = rows
        .into_iter()
        .map(|(e, l)| Listed {
            event: AuditEvent::from(e),
            link: l.map(ChainLink::from),
        })
        .collect();
    let next = if more {
        items.last().map(|l| l.event.seq)
    } else {
        None
    };
    Ok((items, next))
}
