//! Single-use account links (issue 18): invitations and password resets.
//! A link carries a random token; only its SHA-256 is stored, so a copy of
//! the database opens no account. Whether a link may still be used is the
//! domain's rule ([`grantledger_domain::user::check_link`]).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use grantledger_domain::ids::UserId;
use grantledger_domain::user::LinkPurpose;

use crate::common::{db_id, parse};
use crate::connection::AnyConnection;
use crate::error::StoreError;
use crate::schema::user_tokens;
use crate::sql_types::{DbTime, DbUuid};

/// A stored link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserToken {
    /// The row's id.
    pub id: uuid::Uuid,
    /// Whose account it opens.
    pub user_id: UserId,
    /// What it is for.
    pub purpose: LinkPurpose,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
    /// When it was used, if it was.
    pub used_at: Option<DateTime<Utc>>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = user_tokens)]
struct Row {
    id: DbUuid,
    user_id: DbUuid,
    purpose: String,
    expires_at: DbTime,
    used_at: Option<DbTime>,
}

/// Stores a link whose token hashes to `token_hash`.
pub fn create(
    conn: &mut AnyConnection,
    user: UserId,
    purpose: LinkPurpose,
    token_hash: &str,
    expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    diesel::insert_into(user_tokens::table)
        .values((
            user_tokens::id.eq(DbUuid(uuid::Uuid::now_v7())),
            user_tokens::user_id.eq(db_id(user)),
            user_tokens::purpose.eq(purpose.as_str()),
            user_tokens::token_hash.eq(token_hash),
            user_tokens::expires_at.eq(DbTime::new(expires_at)),
            user_tokens::created_at.eq(DbTime::new(now)),
        ))
        .execute(conn)?;
    Ok(())
}

/// The link whose token hashes to `token_hash`, if any.
pub fn find(conn: &mut AnyConnection, token_hash: &str) -> Result<Option<UserToken>, StoreError> {
    let row: Option<Row> = user_tokens::table
        .filter(user_tokens::token_hash.eq(token_hash))
        .select(Row::as_select())
        .first(conn)
        .optional()?;
    row.map(|r| {
        Ok(UserToken {
            id: r.id.0,
            user_id: UserId::from_uuid(r.user_id.0),
            purpose: parse::<LinkPurpose>("link purpose", &r.purpose)?,
            expires_at: r.expires_at.0,
            used_at: r.used_at.map(|t| t.0),
        })
    })
    .transpose()
}

/// Marks a link used, unless it was used already; returns whether this
/// call used it (two people racing with one link: one wins).
pub fn mark_used(
    conn: &mut AnyConnection,
    id: uuid::Uuid,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let n = diesel::update(
        user_tokens::table
            .filter(user_tokens::id.eq(DbUuid(id)))
            .filter(user_tokens::used_at.is_null()),
    )
    .set(user_tokens::used_at.eq(Some(DbTime::new(now))))
    .execute(conn)?;
    Ok(n == 1)
}

/// Marks every unused link of a user used: a new password
/// makes older reset links worthless.
pub fn retire(
    conn: &mut AnyConnection,
    user: UserId,
    now: DateTime<Utc>,
) -> Result<usize, StoreError> {
    Ok(diesel::update(
        user_tokens::table
            .filter(user_tokens::user_id.eq(db_id(user)))
            .filter(user_tokens::used_at.is_null()),
    )
    .set(user_tokens::used_at.eq(Some(DbTime::new(now))))
    .execute(conn)?)
}
