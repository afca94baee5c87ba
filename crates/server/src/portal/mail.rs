//! "Failed mail" (issue 18): for administrators, each message the mail
//! server refused for good, with why, and a button to send it again once
//! the cause is fixed. The rules are [`operations::outbox`]'s.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{get, post, web};
use askama::Template;
use chrono::Utc;

use crate::http::blocking;
use crate::operations::outbox as op;
use crate::policy::Action;
use crate::portal::format::instant;
use crate::portal::page::{Chrome, PortalError, PortalResult, html_with_status, see_other};
use crate::portal::session::{Posted, SignedIn};
use crate::state::AppState;

/// One failed message, as the page shows it.
#[derive(Debug)]
struct Row {
    id: String,
    written: String,
    to: String,
    subject: String,
    attempts: i32,
    error: String,
}

#[derive(Template)]
#[template(path = "mail_failed.html")]
struct FailedPage {
    c: Chrome,
    messages: Vec<Row>,
    retried: bool,
}

/// Whether a message was just queued again.
#[derive(Debug, serde::Deserialize)]
pub struct Retried {
    retried: Option<String>,
}

/// The failed messages, oldest first.
#[get("/mail")]
pub async fn show(
    state: web::Data<AppState>,
    signed_in: SignedIn,
    query: web::Query<Retried>,
) -> PortalResult {
    signed_in.may(Action::ManageMail)?;
    let failed = blocking(move || state.db.read(|c| op::failed(c, op::LIST_LIMIT))).await?;
    html_with_status(
        StatusCode::OK,
        &FailedPage {
            c: Chrome::signed_in(&signed_in, "users"),
            messages: failed
                .into_iter()
                .map(|m| Row {
                    id: m.id.to_string(),
                    written: instant(m.created_at),
                    to: m.to_address,
                    subject: m.subject,
                    attempts: m.attempts,
                    error: m.last_error.unwrap_or_default(),
                })
                .collect(),
            retried: query.retried.is_some(),
        },
    )
}

/// Queues one again.
#[post("/mail/{id}/retry")]
pub async fn retry(
    state: web::Data<AppState>,
    posted: Posted<HashMap<String, String>>,
    path: web::Path<String>,
) -> PortalResult {
    posted.signed_in.may(Action::ManageMail)?;
    let id: uuid::Uuid = path.parse().map_err(|_| PortalError::NotFound)?;
    let actor = posted.signed_in.principal.actor();
    blocking(move || state.db.write(|c| op::retry(c, &actor, id, Utc::now()))).await?;
    Ok(see_other("/mail?retried=1"))
}
