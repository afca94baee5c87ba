//! Signed-in sessions of the web portal: a row per session, found by the
//! SHA-256 of the id its cookie carries. Rows are the truth: deleting one
//! signs it out at once, and a session of a disabled user is never found.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use grantledger_domain::ids::UserId;
use grantledger_domain::two_factor::SignInStage;
use grantledger_domain::user::User;

use crate::common::{Record, db_id};
use crate::connection::AnyConnection;
use crate::error::StoreError;
use crate::schema::{portal_sessions, users};
use crate::sql_types::DbTime;
use crate::users::{UserRow, to_record};

/// A session found by its id's hash, with the user it signs in.
#[derive(Debug, Clone)]
pub struct Session {
    /// The signed-in user, as stored now (role and organisation current).
    pub user: Record<User>,
    /// The token every form of this session must carry.
    pub csrf_token: String,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it was last used.
    pub last_seen_at: DateTime<Utc>,
    /// How far the sign-in has got (a code may still be owed).
    pub stage: SignInStage,
}

/// Stores a new session.
pub fn create(
    conn: &mut AnyConnection,
    id_hash: &str,
    user: UserId,
    csrf_token: &str,
    stage: SignInStage,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    diesel::insert_into(portal_sessions::table)
        .values((
            portal_sessions::stage.eq(stage.as_str()),
            portal_sessions::id_hash.eq(id_hash),
            portal_sessions::user_id.eq(db_id(user)),
            portal_sessions::csrf_token.eq(csrf_token),
            portal_sessions::created_at.eq(DbTime::new(now)),
            portal_sessions::last_seen_at.eq(DbTime::new(now)),
        ))
        .execute(conn)?;
    Ok(())
}

/// The session with this id hash, unless its user is disabled. Whether it
/// has been idle too long is the caller's rule (the domain's
/// [`grantledger_domain::user::session_is_idle`]).
pub fn find(conn: &mut AnyConnection, id_hash: &str) -> Result<Option<Session>, StoreError> {
    let row: Option<(String, DbTime, DbTime, String, UserRow)> = portal_sessions::table
        .inner_join(users::table)
        .filter(portal_sessions::id_hash.eq(id_hash))
        .filter(users::disabled.eq(false))
        .select((
            portal_sessions::csrf_token,
            portal_sessions::created_at,
            portal_sessions::last_seen_at,
            portal_sessions::stage,
            UserRow::as_select(),
        ))
        .first(conn)
        .optional()?;
    row.map(|(csrf_token, created_at, last_seen_at, stage, user)| {
        Ok(Session {
            stage: stage
                .parse()
                .map_err(|_| StoreError::Corrupt(format!("session stage {stage:?}")))?,
            user: to_record(user)?.0,
            csrf_token,
            created_at: created_at.0,
            last_seen_at: last_seen_at.0,
        })
    })
    .transpose()
}

/// Records that a session was used now.
pub fn touch(
    conn: &mut AnyConnection,
    id_hash: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    diesel::update(portal_sessions::table.find(id_hash))
        .set(portal_sessions::last_seen_at.eq(DbTime::new(now)))
        .execute(conn)?;
    Ok(())
}

/// Moves a session on to `stage` (set-up of two-factor finished).
pub fn set_stage(
    conn: &mut AnyConnection,
    id_hash: &str,
    stage: SignInStage,
) -> Result<(), StoreError> {
    diesel::update(portal_sessions::table.find(id_hash))
        .set(portal_sessions::stage.eq(stage.as_str()))
        .execute(conn)?;
    Ok(())
}

/// Ends one session (signing out, or found idle).
pub fn delete(conn: &mut AnyConnection, id_hash: &str) -> Result<(), StoreError> {
    diesel::delete(portal_sessions::table.find(id_hash)).execute(conn)?;
    Ok(())
}

/// Ends every session of a user (disabled, or a new password).
pub fn delete_for_user(conn: &mut AnyConnection, user: UserId) -> Result<usize, StoreError> {
    Ok(
        diesel::delete(portal_sessions::table.filter(portal_sessions::user_id.eq(db_id(user))))
            .execute(conn)?,
    )
}

/// Removes sessions last used before `before`; returns how many.
pub fn delete_idle(conn: &mut AnyConnection, before: DateTime<Utc>) -> Result<usize, StoreError> {
    Ok(diesel::delete(
        portal_sessions::table.filter(portal_sessions::last_seen_at.lt(DbTime::new(before))),
    )
    .execute(conn)?)
}
