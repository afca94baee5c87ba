//! `/v1/mail`: the messages the mail server refused for good, for
//! administrators to see and send again (issue 18; docs/MAIL.md).

use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use grantledger_store::outbox::Message;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::{ApiError, Problem};
use crate::http::blocking;
use crate::operations::outbox as op;
use crate::policy::{Authorized, can};
use crate::state::AppState;

/// A message given up as failed. Its body is not shown: it may carry a
/// link that signs someone in.
#[derive(Debug, Serialize, ToSchema)]
pub struct FailedMessageView {
    /// The message's id (for `POST /v1/mail/{id}/retry`).
    pub id: uuid::Uuid,
    /// When it was written (when the change it reports happened).
    pub created_at: DateTime<Utc>,
    /// What it is about, e.g. `payment.sent`.
    pub kind: String,
    /// The recipient.
    pub to_address: String,
    /// Its subject line.
    pub subject: String,
    /// Attempts made.
    pub attempts: i32,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
}

impl From<Message> for FailedMessageView {
    fn from(m: Message) -> Self {
        FailedMessageView {
            id: m.id,
            created_at: m.created_at,
            kind: m.kind,
            to_address: m.to_address,
            subject: m.subject,
            attempts: m.attempts,
            last_error: m.last_error,
        }
    }
}

/// The failed messages.
#[derive(Debug, Serialize, ToSchema)]
pub struct FailedMessages {
    /// Oldest first.
    pub items: Vec<FailedMessageView>,
}

/// How many to list.
#[derive(Debug, Deserialize, IntoParams)]
pub struct FailedQuery {
    /// At most this many (default 100, at most 500).
    pub limit: Option<u32>,
}

/// Messages the mail server refused for good (or that failed too many
/// times), oldest first, each with why.
#[utoipa::path(
    tag = "mail",
    params(FailedQuery),
    responses((status = 200, description = "The failed messages", body = FailedMessages)),
    security(("bearer" = []))
)]
#[get("/mail/failed")]
pub async fn failed(
    state: web::Data<AppState>,
    _auth: Authorized<can::ManageMail>,
    query: crate::extract::Query<FailedQuery>,
) -> Result<HttpResponse, ApiError> {
    let limit = query.into_inner().limit.unwrap_or(100);
    let items = blocking(move || state.db.read(|c| op::failed(c, limit))).await?;
    Ok(HttpResponse::Ok().json(FailedMessages {
        items: items.into_iter().map(FailedMessageView::from).collect(),
    }))
}

/// Send a failed message again, once its cause is fixed: it is queued as
/// new, and the dispatcher sends it within seconds. Audited.
#[utoipa::path(
    tag = "mail",
    params(("id" = Uuid, Path, description = "The failed message's id")),
    responses(
        (status = 204, description = "Queued again"),
        (status = 404, description = "No failed message has this id", body = Problem),
    ),
    security(("bearer" = []))
)]
#[post("/mail/{id}/retry")]
pub async fn retry(
    state: web::Data<AppState>,
    auth: Authorized<can::ManageMail>,
    id: web::Path<uuid::Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let actor = auth.principal.actor();
    blocking(move || state.db.write(|c| op::retry(c, &actor, id, Utc::now()))).await?;
    Ok(HttpResponse::NoContent().finish())
}
