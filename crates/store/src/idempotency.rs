//! Idempotency keys: a retried POST returns the first response instead of
//! applying twice.
//!
//! A key is claimed in its own short transaction, then completed inside the
//! same transaction as the change it guards, with the response to replay. So
//! either the change and its stored response both commit, or neither does and
//! the claim can be taken again: a claim left behind by a process that died
//! before committing is reclaimed once it is older than [`STALE_AFTER`].

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use grantledger_domain::ids::UserId;

use crate::common::db_id;
use crate::connection::AnyConnection;
use crate::error::StoreError;
use crate::schema::idempotency_keys as keys;
use crate::sql_types::DbTime;

/// How long an unfinished claim blocks retries before it is taken as abandoned.
pub const STALE_AFTER: Duration = Duration::seconds(120);

/// The stored answer to a request, for replay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResponse {
    /// HTTP status.
    pub status: u16,
    /// JSON body.
    pub body: String,
    /// `Location` header, for creations.
    pub location: Option<String>,
}

/// What a claim found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The key is new (or abandoned): go ahead, then [`complete`].
    Fresh,
    /// The request was done before: answer with this.
    Replay(StoredResponse),
    /// The key was used for a different request.
    Mismatch,
    /// The same request is being handled right now.
    InFlight,
}

/// The request a key is used for.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// Who sent it.
    pub caller: UserId,
    /// The client's key.
    pub key: &'a str,
    /// HTTP method.
    pub method: &'a str,
    /// Request path.
    pub path: &'a str,
    /// A hash of method, path and body.
    pub fingerprint: &'a str,
}

type Row = (
    String,
    Option<i32>,
    Option<String>,
    Option<String>,
    DbTime,
    Option<DbTime>,
);

/// Looks the key up and claims it if free. Run it in its own write
/// transaction; on PostgreSQL a concurrent claim of the same key surfaces as
/// a unique violation, which the caller answers by calling again.
pub fn claim(
    conn: &mut AnyConnection,
    request: Request<'_>,
    now: DateTime<Utc>,
) -> Result<Claim, StoreError> {
    let target = keys::table.find((db_id(request.caller), request.key));
    let existing: Option<Row> = target
        .select((
            keys::fingerprint,
            keys::response_status,
            keys::response_body,
            keys::response_location,
            keys::created_at,
            keys::completed_at,
        ))
        .first(conn)
        .optional()?;
    match existing {
        Some((fingerprint, _, _, _, _, _)) if fingerprint != request.fingerprint => {
            Ok(Claim::Mismatch)
        }
        Some((_, Some(status), body, location, _, Some(_))) => Ok(Claim::Replay(StoredResponse {
            status: u16::try_from(status).map_err(|e| StoreError::corrupt("stored status", e))?,
            body: body.unwrap_or_default(),
            location,
        })),
        Some((_, _, _, _, created_at, _)) if now - created_at.0 < STALE_AFTER => {
            Ok(Claim::InFlight)
        }
        Some((_, _, _, _, created_at, _)) => {
            // Abandoned: take it over, unless another retry just did.
            let taken = diesel::update(
                target
                    .filter(keys::created_at.eq(created_at))
                    .filter(keys::completed_at.is_null()),
            )
            .set(keys::created_at.eq(DbTime::new(now)))
            .execute(conn)?;
            Ok(if taken == 1 {
                Claim::Fresh
            } else {
                Claim::InFlight
            })
        }
        None => {
            diesel::insert_into(keys::table)
                .values((
                    keys::caller_id.eq(db_id(request.caller)),
                    keys::key.eq(request.key),
                    keys::method.eq(request.method),
                    keys::path.eq(request.path),
                    keys::fingerprint.eq(request.fingerprint),
                    keys::created_at.eq(DbTime::new(now)),
                ))
                .execute(conn)?;
            Ok(Claim::Fresh)
        }
    }
}

/// Stores the response; call inside the transaction making the change.
pub fn complete(
    conn: &mut AnyConnection,
    caller: UserId,
    key: &str,
    response: &StoredResponse,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let status = i32::from(response.status);
    let done = diesel::update(keys::table.find((db_id(caller), key)))
        .set((
            keys::response_status.eq(status),
            keys::response_body.eq(&response.body),
            keys::response_location.eq(response.location.as_deref()),
            keys::completed_at.eq(DbTime::new(now)),
        ))
        .execute(conn)?;
    if done == 1 {
        Ok(())
    } else {
        Err(StoreError::Conflict(
            "the idempotency key was lost while in use".into(),
        ))
    }
}

/// Gives up a claim whose request failed, so a retry runs afresh.
pub fn release(conn: &mut AnyConnection, caller: UserId, key: &str) -> Result<(), StoreError> {
    diesel::delete(
        keys::table
            .find((db_id(caller), key))
            .filter(keys::completed_at.is_null()),
    )
    .execute(conn)?;
    Ok(())
}
