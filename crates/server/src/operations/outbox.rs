//! Mail the server gave up on (issue 18): administrators see each failed
//! message with why, and send it again once the cause is fixed. The same
//! for the JSON API, the portal's "Failed mail" page and `grantledger mail
//! failed|retry`.

use chrono::{DateTime, Utc};
use grantledger_store::AnyConnection;
use grantledger_store::audit::{self, NewEvent};
use grantledger_store::common::Actor;
use grantledger_store::outbox::{self, Message};

use crate::error::ApiError;

/// The most failed messages listed at once.
pub const LIST_LIMIT: u32 = 500;

/// Messages given up as failed, oldest first.
///
/// # Errors
/// Database errors.
pub fn failed(c: &mut AnyConnection, limit: u32) -> Result<Vec<Message>, ApiError> {
    Ok(outbox::list_failed(c, limit.min(LIST_LIMIT))?)
}

/// Queues a failed message again, recording who did so in the audit
/// trail (the message's recipient and kind; never its body). 404 when
/// `id` is not a failed message.
///
/// # Errors
/// Not found; database errors.
#[tracing::instrument(skip_all, fields(message = %id))]
pub fn retry(
    c: &mut AnyConnection,
    actor: &Actor,
    id: uuid::Uuid,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let message = outbox::get(c, id)?
        .filter(|m| m.status == outbox::Status::Failed)
        .ok_or_else(|| ApiError::not_found("failed message"))?;
    if !outbox::retry_failed(c, id, now)? {
        return Err(ApiError::not_found("failed message"));
    }
    audit::append(
        c,
        NewEvent {
            actor,
            action: "mail.retried",
            entity_type: "mail",
            entity_id: id,
            fund_id: None,
            before: Some(serde_json::json!({
                "status": "failed",
                "kind": message.kind,
                "to": message.to_address,
                "attempts": message.attempts,
            })),
            after: Some(serde_json::json!({"status": "pending"})),
        },
        now,
    )?;
    Ok(())
}
