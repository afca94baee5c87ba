//! The transactional outbox (issue 18): messages to send, written in the
//! same transaction as the change they report, so a change and its
//! message commit together or not at all. A dispatcher (the server's
//! `mail` module) claims due messages, sends them outside any
//! transaction, and records the outcome here.
//!
//! Delivery is at least once: a message is marked sent only after the mail
//! server accepted it, so a crash (or a lost database) between the two
//! sends it again once its claim lapses. The store holds no wording: the
//! caller composes subject and bodies.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;

use crate::connection::{AnyConnection, write_transaction};
use crate::error::StoreError;
use crate::schema::outbox_messages;
use crate::sql_types::{DbTime, DbUuid};

const PENDING: &str = "pending";
const SENT: &str = "sent";
const FAILED: &str = "failed";

/// Attempts after which a message is given up as `failed`: with the
/// default backoff (30 s doubling, at most an hour apart) about three hours
/// of trying, long enough to outlast a mail server's maintenance window.
pub const MAX_ATTEMPTS: i32 = 10;

/// How long a claim keeps other dispatchers off a message. A dispatcher
/// that dies while sending holds its messages this long; one that sends
/// for longer than this may see a message sent twice (docs/MAIL.md).
pub const CLAIM_LEASE: Duration = Duration::minutes(10);

/// The longest wait between two attempts.
pub const MAX_BACKOFF: Duration = Duration::hours(1);

/// A message to enqueue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMessage {
    /// One recipient's address.
    pub to_address: String,
    /// The subject line.
    pub subject: String,
    /// The plain-text body (always sent).
    pub text_body: String,
    /// An HTML alternative, if any.
    pub html_body: Option<String>,
    /// What the message is about (`bank_details.entered`), for operators.
    pub kind: String,
    /// For a reminder, where one click unsubscribes the recipient from it
    /// (sent as `List-Unsubscribe`, RFC 8058); `None` for a message about
    /// a change, which everyone concerned must get.
    pub unsubscribe_url: Option<String>,
}

/// Where a message stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Waiting to be sent (or for its next attempt).
    Pending,
    /// Accepted by the mail server.
    Sent,
    /// Given up: permanently refused, or too many attempts.
    Failed,
}

impl Status {
    fn parse(s: &str) -> Result<Status, StoreError> {
        match s {
            PENDING => Ok(Status::Pending),
            SENT => Ok(Status::Sent),
            FAILED => Ok(Status::Failed),
            other => Err(StoreError::Corrupt(format!("outbox status {other:?}"))),
        }
    }
}

/// A stored message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The row, which also names the message (`Message-ID`).
    pub id: uuid::Uuid,
    /// When it was enqueued.
    pub created_at: DateTime<Utc>,
    /// The recipient.
    pub to_address: String,
    /// The subject line.
    pub subject: String,
    /// The plain-text body.
    pub text_body: String,
    /// The HTML alternative.
    pub html_body: Option<String>,
    /// What it is about.
    pub kind: String,
    /// Where it stands.
    pub status: Status,
    /// Attempts started so far (a claim counts as one).
    pub attempts: i32,
    /// When it may next be tried.
    pub next_attempt_at: DateTime<Utc>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// When the mail server accepted it.
    pub sent_at: Option<DateTime<Utc>>,
    /// The `Message-ID` header, without angle brackets: stable across
    /// attempts so a recipient's mail system can drop a duplicate.
    pub message_id: String,
    /// A reminder's one-click unsubscribe address.
    pub unsubscribe_url: Option<String>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = outbox_messages)]
struct Row {
    id: DbUuid,
    created_at: DbTime,
    to_address: String,
    subject: String,
    text_body: String,
    html_body: Option<String>,
    kind: String,
    status: String,
    attempts: i32,
    next_attempt_at: DbTime,
    last_error: Option<String>,
    sent_at: Option<DbTime>,
    message_id: String,
    unsubscribe_url: Option<String>,
}

impl TryFrom<Row> for Message {
    type Error = StoreError;

    fn try_from(row: Row) -> Result<Message, StoreError> {
        Ok(Message {
            id: row.id.0,
            created_at: row.created_at.0,
            to_address: row.to_address,
            subject: row.subject,
            text_body: row.text_body,
            html_body: row.html_body,
            kind: row.kind,
            status: Status::parse(&row.status)?,
            attempts: row.attempts,
            next_attempt_at: row.next_attempt_at.0,
            last_error: row.last_error,
            sent_at: row.sent_at.map(|t| t.0),
            message_id: row.message_id,
            unsubscribe_url: row.unsubscribe_url,
        })
    }
}

/// The `Message-ID` of the message with row `id` (without brackets).
pub fn message_id_for(id: uuid::Uuid) -> String {
    format!("{id}@grantledger")
}

/// Adds a message, due at once. Call it inside the transaction making the
/// change it reports, so that neither commits without the other.
///
/// # Errors
/// Database errors.
pub fn enqueue(
    conn: &mut AnyConnection,
    message: &NewMessage,
    now: DateTime<Utc>,
) -> Result<uuid::Uuid, StoreError> {
    let id = uuid::Uuid::now_v7();
    diesel::insert_into(outbox_messages::table)
        .values(NewRow::of(id, message, DbTime::new(now)))
        .execute(conn)?;
    Ok(id)
}

/// Puts several messages in the outbox at once, as [`enqueue`] puts each
/// (one insert on PostgreSQL): a bulk decision's notices. Call inside the
/// change's transaction.
///
/// # Errors
/// Database errors.
pub fn enqueue_many(
    conn: &mut AnyConnection,
    messages: &[NewMessage],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let at = DbTime::new(now);
    let rows: Vec<NewRow<'_>> = messages
        .iter()
        .map(|m| NewRow::of(uuid::Uuid::now_v7(), m, at))
        .collect();
    if !rows.is_empty() {
        crate::connection::insert_batch!(conn, outbox_messages::table, &rows)?;
    }
    Ok(())
}

/// A new message's row, pending and due at once.
#[derive(Insertable)]
#[diesel(table_name = outbox_messages, treat_none_as_default_value = false)]
struct NewRow<'a> {
    id: DbUuid,
    created_at: DbTime,
    to_address: &'a str,
    subject: &'a str,
    text_body: &'a str,
    html_body: Option<&'a str>,
    kind: &'a str,
    status: &'static str,
    attempts: i32,
    next_attempt_at: DbTime,
    message_id: String,
    unsubscribe_url: Option<&'a str>,
}

impl<'a> NewRow<'a> {
    fn of(id: uuid::Uuid, message: &'a NewMessage, at: DbTime) -> Self {
        NewRow {
            id: DbUuid(id),
            created_at: at,
            to_address: &message.to_address,
            subject: &message.subject,
            text_body: &message.text_body,
            html_body: message.html_body.as_deref(),
            kind: &message.kind,
            status: PENDING,
            attempts: 0,
            next_attempt_at: at,
            message_id: message_id_for(id),
            unsubscribe_url: message.unsubscribe_url.as_deref(),
        }
    }
}

/// Whether any message is due: a plain read, so that an idle dispatcher
/// polling every few seconds does not take SQLite's write lock each time.
///
/// # Errors
/// Database errors.
pub fn any_due(conn: &mut AnyConnection, now: DateTime<Utc>) -> Result<bool, StoreError> {
    let due: Option<DbUuid> = outbox_messages::table
        .filter(outbox_messages::status.eq(PENDING))
        .filter(outbox_messages::next_attempt_at.le(DbTime::new(now)))
        .select(outbox_messages::id)
        .first(conn)
        .optional()?;
    Ok(due.is_some())
}

/// Puts a `failed` message back in the queue, due at `now`, with its
/// attempts counted afresh: for an operator who has fixed the cause
/// (`grantledger mail retry`). Returns whether there was such a message.
///
/// # Errors
/// Database errors.
pub fn retry_failed(
    conn: &mut AnyConnection,
    id: uuid::Uuid,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let changed = diesel::update(
        outbox_messages::table
            .filter(outbox_messages::id.eq(DbUuid(id)))
            .filter(outbox_messages::status.eq(FAILED)),
    )
    .set((
        outbox_messages::status.eq(PENDING),
        outbox_messages::attempts.eq(0),
        outbox_messages::next_attempt_at.eq(DbTime::new(now)),
    ))
    .execute(conn)?;
    Ok(changed == 1)
}

/// Claims up to `limit` due messages for sending, oldest due first: each
/// counts an attempt and is kept from other dispatchers for
/// [`CLAIM_LEASE`]. Runs in a write transaction of its own (a savepoint
/// if the caller has one).
///
/// On PostgreSQL the rows are locked with `FOR UPDATE SKIP LOCKED`, so
/// dispatchers in several processes claim disjoint messages without
/// waiting on each other; on SQLite the write transaction (`BEGIN
/// IMMEDIATE`) serialises them.
///
/// # Errors
/// Database errors.
pub fn claim_due(
    conn: &mut AnyConnection,
    now: DateTime<Utc>,
    limit: u32,
) -> Result<Vec<Message>, StoreError> {
    claim_due_for(conn, now, limit, CLAIM_LEASE)
}

/// [`claim_due`] with a lease of `lease` instead of [`CLAIM_LEASE`]: a
/// shorter lease brings back sooner the messages of a dispatcher that died
/// while holding them, and widens the window in which a slow send is
/// claimed again by another (docs/MAIL.md).
///
/// # Errors
/// Database errors.
pub fn claim_due_for(
    conn: &mut AnyConnection,
    now: DateTime<Utc>,
    limit: u32,
    lease: Duration,
) -> Result<Vec<Message>, StoreError> {
    let limit = i64::from(limit);
    write_transaction(conn, |conn| {
        let due = outbox_messages::table
            .filter(outbox_messages::status.eq(PENDING))
            .filter(outbox_messages::next_attempt_at.le(DbTime::new(now)))
            .order((outbox_messages::next_attempt_at, outbox_messages::id))
            .select(outbox_messages::id)
            .limit(limit);
        let ids: Vec<DbUuid> = match conn {
            AnyConnection::Postgresql(pg) => due.for_update().skip_locked().load(pg)?,
            AnyConnection::Sqlite(lite) => due.load(lite)?,
        };
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        diesel::update(outbox_messages::table.filter(outbox_messages::id.eq_any(&ids)))
            .set((
                outbox_messages::attempts.eq(outbox_messages::attempts + 1),
                outbox_messages::next_attempt_at.eq(DbTime::new(now + lease)),
            ))
            .execute(conn)?;
        let rows: Vec<Row> = outbox_messages::table
            .filter(outbox_messages::id.eq_any(&ids))
            .order((outbox_messages::created_at, outbox_messages::id))
            .select(Row::as_select())
            .load(conn)?;
        rows.into_iter().map(Message::try_from).collect()
    })
}

/// Records that the mail server accepted message `id`.
///
/// # Errors
/// Database errors.
pub fn mark_sent(
    conn: &mut AnyConnection,
    id: uuid::Uuid,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    diesel::update(outbox_messages::table.filter(outbox_messages::id.eq(DbUuid(id))))
        .set((
            outbox_messages::status.eq(SENT),
            outbox_messages::sent_at.eq(Some(DbTime::new(now))),
            outbox_messages::last_error.eq(None::<String>),
        ))
        .execute(conn)?;
    Ok(())
}

/// When a message that has had `attempts` attempts may be tried again:
/// `base` doubled for each attempt after the first, at most
/// [`MAX_BACKOFF`] later.
pub fn backoff(now: DateTime<Utc>, attempts: i32, base: Duration) -> DateTime<Utc> {
    let doublings = u32::try_from(attempts.saturating_sub(1))
        .unwrap_or(0)
        .min(20);
    let wait = base
        .checked_mul(1_i32 << doublings)
        .unwrap_or(MAX_BACKOFF)
        .min(MAX_BACKOFF);
    now + wait
}

/// What became of a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterFailure {
    /// It will be tried again then.
    RetryAt(DateTime<Utc>),
    /// It was given up as `failed`.
    GaveUp,
}

/// Records a failed attempt at message `id`: it is tried again at
/// `next_attempt_at`, or given up as `failed` when that is `None` (the
/// mail server refused it for good) or it has had [`MAX_ATTEMPTS`].
///
/// # Errors
/// [`StoreError::NotFound`] for an unknown id; database errors.
pub fn mark_failed_attempt(
    conn: &mut AnyConnection,
    id: uuid::Uuid,
    error: &str,
    next_attempt_at: Option<DateTime<Utc>>,
) -> Result<AfterFailure, StoreError> {
    let attempts: i32 = outbox_messages::table
        .filter(outbox_messages::id.eq(DbUuid(id)))
        .select(outbox_messages::attempts)
        .first(conn)
        .optional()?
        .ok_or(StoreError::NotFound {
            entity: "outbox message",
        })?;
    let outcome = match next_attempt_at {
        Some(at) if attempts < MAX_ATTEMPTS => AfterFailure::RetryAt(at),
        _ => AfterFailure::GaveUp,
    };
    let target = outbox_messages::table
        .filter(outbox_messages::id.eq(DbUuid(id)))
        .filter(outbox_messages::status.eq(PENDING));
    match outcome {
        AfterFailure::RetryAt(at) => diesel::update(target)
            .set((
                outbox_messages::last_error.eq(Some(error)),
                outbox_messages::next_attempt_at.eq(DbTime::new(at)),
            ))
            .execute(conn)?,
        AfterFailure::GaveUp => diesel::update(target)
            .set((
                outbox_messages::last_error.eq(Some(error)),
                outbox_messages::status.eq(FAILED),
            ))
            .execute(conn)?,
    };
    Ok(outcome)
}

/// Messages given up as `failed`, oldest first, for an operator to look
/// into.
///
/// # Errors
/// Database errors.
pub fn list_failed(conn: &mut AnyConnection, limit: u32) -> Result<Vec<Message>, StoreError> {
    list_where(conn, FAILED, limit)
}

/// Messages in `status`, oldest first (tests and operators).
///
/// # Errors
/// Database errors.
pub fn list(
    conn: &mut AnyConnection,
    status: Status,
    limit: u32,
) -> Result<Vec<Message>, StoreError> {
    let status = match status {
        Status::Pending => PENDING,
        Status::Sent => SENT,
        Status::Failed => FAILED,
    };
    list_where(conn, status, limit)
}

/// One message, if there is one with this id.
///
/// # Errors
/// Database errors.
pub fn get(conn: &mut AnyConnection, id: uuid::Uuid) -> Result<Option<Message>, StoreError> {
    let row: Option<Row> = outbox_messages::table
        .find(DbUuid(id))
        .select(Row::as_select())
        .first(conn)
        .optional()?;
    row.map(Message::try_from).transpose()
}

fn list_where(
    conn: &mut AnyConnection,
    status: &str,
    limit: u32,
) -> Result<Vec<Message>, StoreError> {
    let rows: Vec<Row> = outbox_messages::table
        .filter(outbox_messages::status.eq(status))
        .order((outbox_messages::created_at, outbox_messages::id))
        .limit(i64::from(limit))
        .select(Row::as_select())
        .load(conn)?;
    rows.into_iter().map(Message::try_from).collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use chrono::{Duration, TimeZone, Utc};

    use super::*;
    use crate::testing::TestDb;

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 5, 9, 0, 0).unwrap()
    }

    fn message(to: &str) -> NewMessage {
        NewMessage {
            to_address: to.to_owned(),
            subject: "Your bank details were changed".to_owned(),
            text_body: "body".to_owned(),
            html_body: None,
            kind: "test".to_owned(),
            unsubscribe_url: None,
        }
    }

    fn enqueue_and_claim_then_mark_sent(db: &TestDb) {
        let id = db
            .db
            .write(|c| enqueue(c, &message("a@example.org"), t0()))
            .unwrap();
        let claimed = db
            .db
            .write(|c| claim_due(c, t0() + Duration::seconds(1), 10))
            .unwrap();
        assert_eq!(claimed.len(), 1);
        let m = &claimed[0];
        assert_eq!(m.id, id);
        assert_eq!(m.attempts, 1);
        assert_eq!(m.message_id, format!("{id}@grantledger"));
        assert_eq!(m.status, Status::Pending);
        // Claimed: another dispatcher sees nothing until the lease lapses.
        let again = db
            .db
            .write(|c| claim_due(c, t0() + Duration::seconds(2), 10))
            .unwrap();
        assert!(again.is_empty());
        db.db
            .write(|c| mark_sent(c, id, t0() + Duration::seconds(3)))
            .unwrap();
        let sent = db.db.read(|c| list(c, Status::Sent, 10)).unwrap();
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].sent_at, Some(t0() + Duration::seconds(3)));
        // Sent messages are never claimed again, even long after.
        let later = db
            .db
            .write(|c| claim_due(c, t0() + Duration::days(1), 10))
            .unwrap();
        assert!(later.is_empty());
    }

    fn not_due_until_its_time_and_a_lapsed_claim_is_retried(db: &TestDb) {
        db.db
            .write(|c| enqueue(c, &message("a@example.org"), t0()))
            .unwrap();
        assert!(
            db.db
                .write(|c| claim_due(c, t0() - Duration::seconds(1), 10))
                .unwrap()
                .is_empty()
        );
        assert_eq!(db.db.write(|c| claim_due(c, t0(), 10)).unwrap().len(), 1);
        // The dispatcher died while sending: after the lease it is due again.
        let retried = db
            .db
            .write(|c| claim_due(c, t0() + CLAIM_LEASE, 10))
            .unwrap();
        assert_eq!(retried.len(), 1);
        assert_eq!(retried[0].attempts, 2);
    }

    fn claims_respect_the_limit_and_a_rollback_enqueues_nothing(db: &TestDb) {
        for n in 0..3 {
            db.db
                .write(|c| enqueue(c, &message(&format!("u{n}@example.org")), t0()))
                .unwrap();
        }
        let result: Result<(), StoreError> = db.db.write(|c| {
            enqueue(c, &message("rolled-back@example.org"), t0())?;
            Err(StoreError::Conflict("the change failed".to_owned()))
        });
        assert!(result.is_err());
        let first = db.db.write(|c| claim_due(c, t0(), 2)).unwrap();
        let second = db.db.write(|c| claim_due(c, t0(), 2)).unwrap();
        assert_eq!(first.len(), 2);
        assert_eq!(second.len(), 1);
        let mut all: Vec<String> = first
            .iter()
            .chain(&second)
            .map(|m| m.to_address.clone())
            .collect();
        all.sort();
        assert_eq!(all, ["u0@example.org", "u1@example.org", "u2@example.org"]);
    }

    fn failures_back_off_then_give_up(db: &TestDb) {
        let id = db
            .db
            .write(|c| enqueue(c, &message("a@example.org"), t0()))
            .unwrap();
        let mut now = t0();
        for attempt in 1..=MAX_ATTEMPTS {
            let claimed = db.db.write(|c| claim_due(c, now, 10)).unwrap();
            assert_eq!(claimed.len(), 1, "attempt {attempt}");
            assert_eq!(claimed[0].attempts, attempt);
            let next = backoff(now, attempt, Duration::seconds(30));
            let outcome = db
                .db
                .write(|c| mark_failed_attempt(c, id, "connection refused", Some(next)))
                .unwrap();
            if attempt < MAX_ATTEMPTS {
                assert_eq!(outcome, AfterFailure::RetryAt(next));
                // Not before its time.
                assert!(
                    db.db
                        .write(|c| claim_due(c, next - Duration::seconds(1), 10))
                        .unwrap()
                        .is_empty()
                );
                now = next;
            } else {
                assert_eq!(outcome, AfterFailure::GaveUp);
            }
        }
        let failed = db.db.read(|c| list_failed(c, 10)).unwrap();
        assert_eq!(failed.len(), 1);
        assert_eq!(failed[0].status, Status::Failed);
        assert_eq!(failed[0].last_error.as_deref(), Some("connection refused"));
        assert!(
            db.db
                .write(|c| claim_due(c, now + Duration::days(2), 10))
                .unwrap()
                .is_empty()
        );
    }

    fn a_permanent_refusal_fails_at_once(db: &TestDb) {
        let id = db
            .db
            .write(|c| enqueue(c, &message("nobody@example.org"), t0()))
            .unwrap();
        db.db.write(|c| claim_due(c, t0(), 10)).unwrap();
        let outcome = db
            .db
            .write(|c| mark_failed_attempt(c, id, "550 no such user", None))
            .unwrap();
        assert_eq!(outcome, AfterFailure::GaveUp);
        assert_eq!(db.db.read(|c| list_failed(c, 10)).unwrap().len(), 1);
        assert!(
            !db.db
                .read(|c| any_due(c, t0() + Duration::days(1)))
                .unwrap()
        );
        // An operator fixed the address: it goes out again.
        let later = t0() + Duration::hours(2);
        assert!(db.db.write(|c| retry_failed(c, id, later)).unwrap());
        assert!(!db.db.write(|c| retry_failed(c, id, later)).unwrap());
        assert!(db.db.read(|c| any_due(c, later)).unwrap());
        let again = db.db.write(|c| claim_due(c, later, 10)).unwrap();
        assert_eq!(again.len(), 1);
        assert_eq!(again[0].attempts, 1);
        assert_eq!(again[0].last_error.as_deref(), Some("550 no such user"));
    }

    /// Two dispatchers at once on PostgreSQL: the second skips the rows
    /// the first has locked instead of waiting for them or taking them too.
    /// (On SQLite the second would wait for the write lock: nothing to
    /// show.)
    fn concurrent_claims_on_postgres_are_disjoint(db: &TestDb) {
        if db.db.backend() == crate::BackendKind::Sqlite {
            return;
        }
        for n in 0..3 {
            db.db
                .write(|c| enqueue(c, &message(&format!("u{n}@example.org")), t0()))
                .unwrap();
        }
        let (first, second) = db
            .db
            .write(|a| {
                let first = claim_due(a, t0(), 2)?;
                // The first claim is not committed yet: its rows are locked.
                let second = std::thread::scope(|s| {
                    s.spawn(|| db.db.write(|b| claim_due(b, t0(), 10)))
                        .join()
                        .unwrap()
                })?;
                Ok::<_, StoreError>((first, second))
            })
            .unwrap();
        assert_eq!(first.len(), 2);
        assert_eq!(second.len(), 1);
        assert!(first.iter().all(|m| m.id != second[0].id));
    }

    #[test]
    fn backoff_doubles_up_to_an_hour() {
        let base = Duration::seconds(30);
        assert_eq!(backoff(t0(), 1, base), t0() + Duration::seconds(30));
        assert_eq!(backoff(t0(), 2, base), t0() + Duration::seconds(60));
        assert_eq!(backoff(t0(), 4, base), t0() + Duration::seconds(240));
        assert_eq!(backoff(t0(), 9, base), t0() + MAX_BACKOFF);
        assert_eq!(backoff(t0(), 1000, base), t0() + MAX_BACKOFF);
        assert_eq!(backoff(t0(), 0, base), t0() + Duration::seconds(30));
    }

    crate::backend_tests!(
        enqueue_and_claim_then_mark_sent,
        not_due_until_its_time_and_a_lapsed_claim_is_retried,
        claims_respect_the_limit_and_a_rollback_enqueues_nothing,
        failures_back_off_then_give_up,
        a_permanent_refusal_fails_at_once,
        concurrent_claims_on_postgres_are_disjoint,
    );
}
