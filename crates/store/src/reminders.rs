//! Reminders (issue 18): what may need one, which were sent, the links
//! that stop them and who stopped them. When each is due is the domain's
//! rule (`grantledger_domain::reminder`); the wording is the server's.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use grantledger_domain::Money;
use grantledger_domain::application::ApplicationStatus;
use grantledger_domain::award::AwardStatus;
use grantledger_domain::evaluation::ReviewStatus;
use grantledger_domain::ids::{ApplicationId, AwardId, GranteeId, UserId};

use crate::common::{db_id, money};
use crate::connection::{AnyConnection, write_transaction};
use crate::error::StoreError;
use crate::schema::{
    applications, awards, evaluation_returns as returns, reminder_links, reminder_opt_outs,
    reminders_sent, rounds,
};
use crate::sql_types::{DbTime, DbUuid};

/// An offer waiting to be accepted or declined.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaitingOffer {
    /// The award.
    pub award_id: AwardId,
    /// Whose.
    pub grantee_id: GranteeId,
    /// Its reference.
    pub reference: String,
    /// How much.
    pub amount: Money,
    /// When it was offered.
    pub offered_at: DateTime<Utc>,
}

/// Offers made before `before` and still waiting.
///
/// # Errors
/// Database errors.
pub fn offers_waiting(
    conn: &mut AnyConnection,
    before: DateTime<Utc>,
) -> Result<Vec<WaitingOffer>, StoreError> {
    let rows: Vec<(DbUuid, DbUuid, String, i64, DbTime)> = awards::table
        .filter(awards::status.eq(AwardStatus::Offered.as_str()))
        .filter(awards::created_at.le(DbTime::new(before)))
        .select((
            awards::id,
            awards::grantee_id,
            awards::reference,
            awards::amount_pence,
            awards::created_at,
        ))
        .order(awards::id)
        .load(conn)?;
    rows.into_iter()
        .map(|(id, grantee, reference, amount, at)| {
            Ok(WaitingOffer {
                award_id: AwardId::from_uuid(id.0),
                grantee_id: GranteeId::from_uuid(grantee.0),
                reference,
                amount: money("award amount", amount)?,
                offered_at: at.0,
            })
        })
        .collect()
}

/// A return the fund waits for: due on a day, and not in (never sent, or
/// sent back for changes and not sent again).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwaitedReturn {
    /// The award it reports on.
    pub award_id: AwardId,
    /// Whose.
    pub grantee_id: GranteeId,
    /// The award's reference.
    pub reference: String,
    /// When it is due.
    pub due_on: NaiveDate,
}

/// Every return awaited on an accepted or completed award with a due date.
///
/// # Errors
/// Database errors.
pub fn returns_awaited(conn: &mut AnyConnection) -> Result<Vec<AwaitedReturn>, StoreError> {
    let rows: Vec<(DbUuid, DbUuid, String, Option<NaiveDate>)> = awards::table
        .left_join(returns::table.on(returns::award_id.eq(awards::id)))
        .filter(awards::status.eq_any([
            AwardStatus::Accepted.as_str(),
            AwardStatus::Completed.as_str(),
        ]))
        .filter(awards::return_due_on.is_not_null())
        .filter(
            returns::id
                .is_null()
                .or(returns::status.eq(ReviewStatus::ChangesRequested.as_str())),
        )
        .select((
            awards::id,
            awards::grantee_id,
            awards::reference,
            awards::return_due_on,
        ))
        .order(awards::id)
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, grantee, reference, due)| {
            Some(AwaitedReturn {
                award_id: AwardId::from_uuid(id.0),
                grantee_id: GranteeId::from_uuid(grantee.0),
                reference,
                due_on: due?,
            })
        })
        .collect())
}

/// A draft in a round that has not closed for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenDraft {
    /// The application.
    pub application_id: ApplicationId,
    /// Whose.
    pub grantee_id: GranteeId,
    /// Its project's title.
    pub title: String,
    /// The round's name.
    pub round: String,
    /// When it can no longer be submitted: the round's close, or the
    /// draft's own later deadline.
    pub closes_at: DateTime<Utc>,
}

/// Drafts whose round (or own deadline) closes after `now` and before
/// `until`.
///
/// # Errors
/// Database errors.
pub fn drafts_closing(
    conn: &mut AnyConnection,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<Vec<OpenDraft>, StoreError> {
    let rows: Vec<(DbUuid, DbUuid, String, String, DbTime, Option<DbTime>)> = applications::table
        .inner_join(rounds::table.on(rounds::id.eq(applications::round_id)))
        .filter(applications::status.eq(ApplicationStatus::Draft.as_str()))
        .filter(
            rounds::closes_at
                .gt(DbTime::new(now))
                .or(applications::extended_until.gt(DbTime::new(now))),
        )
        .select((
            applications::id,
            applications::grantee_id,
            applications::project_title,
            rounds::name,
            rounds::closes_at,
            applications::extended_until,
        ))
        .order(applications::id)
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, grantee, title, round, closes, extended)| OpenDraft {
            application_id: ApplicationId::from_uuid(id.0),
            grantee_id: GranteeId::from_uuid(grantee.0),
            title,
            round,
            closes_at: extended.map_or(closes.0, |e| e.0.max(closes.0)),
        })
        .filter(|d| d.closes_at > now && d.closes_at <= until)
        .collect())
}

/// Records that the reminder `occasion` about `subject` was sent: `true`
/// the first time, `false` if it already was (so the caller sends nothing).
/// Two processes recording the same occasion at once: one inserts, the
/// other waits for it and finds the row.
///
/// # Errors
/// Database errors.
pub fn record_sent(
    conn: &mut AnyConnection,
    kind: &str,
    subject: uuid::Uuid,
    occasion: &str,
    at: DateTime<Utc>,
) -> Result<bool, StoreError> {
    // In a savepoint of its own: on PostgreSQL a row a concurrent
    // transaction inserted first fails the insert (once that transaction
    // commits), which must not abort the caller's transaction.
    let inserted = write_transaction(conn, |c| {
        diesel::insert_into(reminders_sent::table)
            .values((
                reminders_sent::kind.eq(kind),
                reminders_sent::subject_id.eq(DbUuid(subject)),
                reminders_sent::occasion.eq(occasion),
                reminders_sent::sent_at.eq(DbTime::new(at)),
            ))
            .execute(c)
            .map_err(StoreError::from)
    });
    match inserted {
        Ok(_) => Ok(true),
        Err(StoreError::Duplicate { .. }) => Ok(false),
        Err(e) => Err(e),
    }
}

/// The scope of an opt-out from every reminder.
pub const ALL: &str = "all";

/// Whether `user` has stopped reminders about `subject` (or all of them).
///
/// # Errors
/// Database errors.
pub fn opted_out(
    conn: &mut AnyConnection,
    user: UserId,
    subject: uuid::Uuid,
) -> Result<bool, StoreError> {
    let n: i64 = reminder_opt_outs::table
        .filter(reminder_opt_outs::user_id.eq(db_id(user)))
        .filter(reminder_opt_outs::scope.eq_any([ALL.to_owned(), subject.to_string()]))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// Keeps an unsubscribe link: `token_hash` (the SHA-256 of the token in
/// the message) stops reminders about `subject` for `user`.
///
/// # Errors
/// Database errors.
pub fn add_link(
    conn: &mut AnyConnection,
    token_hash: &str,
    user: UserId,
    subject: uuid::Uuid,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    diesel::insert_into(reminder_links::table)
        .values((
            reminder_links::token_hash.eq(token_hash),
            reminder_links::user_id.eq(db_id(user)),
            reminder_links::subject_id.eq(DbUuid(subject)),
            reminder_links::created_at.eq(DbTime::new(at)),
        ))
        .execute(conn)?;
    Ok(())
}

/// The user and subject an unsubscribe link is for, if it is one.
///
/// # Errors
/// Database errors.
pub fn link(
    conn: &mut AnyConnection,
    token_hash: &str,
) -> Result<Option<(UserId, uuid::Uuid)>, StoreError> {
    let row: Option<(DbUuid, DbUuid)> = reminder_links::table
        .filter(reminder_links::token_hash.eq(token_hash))
        .select((reminder_links::user_id, reminder_links::subject_id))
        .first(conn)
        .optional()?;
    Ok(row.map(|(user, subject)| (UserId::from_uuid(user.0), subject.0)))
}

/// Stops reminders for `user` about `scope` (a subject's id, or [`ALL`]);
/// stopping twice is stopping once.
///
/// # Errors
/// Database errors.
pub fn opt_out(
    conn: &mut AnyConnection,
    user: UserId,
    scope: &str,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let stopped: Option<String> = reminder_opt_outs::table
        .filter(reminder_opt_outs::user_id.eq(db_id(user)))
        .filter(reminder_opt_outs::scope.eq(scope))
        .select(reminder_opt_outs::scope)
        .first(conn)
        .optional()?;
    if stopped.is_none() {
        diesel::insert_into(reminder_opt_outs::table)
            .values((
                reminder_opt_outs::user_id.eq(db_id(user)),
                reminder_opt_outs::scope.eq(scope),
                reminder_opt_outs::created_at.eq(DbTime::new(at)),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Starts reminders again for `user` about `scope`.
///
/// # Errors
/// Database errors.
pub fn opt_in(conn: &mut AnyConnection, user: UserId, scope: &str) -> Result<(), StoreError> {
    diesel::delete(
        reminder_opt_outs::table
            .filter(reminder_opt_outs::user_id.eq(db_id(user)))
            .filter(reminder_opt_outs::scope.eq(scope)),
    )
    .execute(conn)?;
    Ok(())
}

/// What `user` has stopped, oldest first: subjects' ids and [`ALL`].
///
/// # Errors
/// Database errors.
pub fn opt_outs(conn: &mut AnyConnection, user: UserId) -> Result<Vec<String>, StoreError> {
    Ok(reminder_opt_outs::table
        .filter(reminder_opt_outs::user_id.eq(db_id(user)))
        .order(reminder_opt_outs::created_at)
        .select(reminder_opt_outs::scope)
        .load(conn)?)
}
