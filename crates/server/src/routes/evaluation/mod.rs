//! Evaluation returns: grantees report on accepted awards with the ONS
//! loneliness measures; administrators review them and set due dates; fund
//! outcomes are reported exactly or with disclosure control. Each handler
//! parses the request, calls the operation in
//! [`operations::evaluation`](crate::operations::evaluation) and answers
//! with its view.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, get, post, put, web};
use chrono::Utc;
use grantledger_domain::ids::{AwardId, EvaluationReturnId, FundId};
use grantledger_store::common::PageRequest;

use crate::error::{ApiError, Problem};
use crate::extract::Json;
use crate::http::{ListResponse, blocking, read_one, write_one};
use crate::idempotency::{self, Created, IdempotencyKey};
use crate::operations;
use crate::operations::evaluation::ReviewInput;
use crate::policy::{Authorized, can};
use crate::state::AppState;

mod bodies;
mod views;

pub use bodies::*;
pub use views::*;

/// Submit an evaluation return on your organisation's accepted award. The
/// first submission creates the return; each later one adds a new version
/// (every version is kept). Refused once the return is accepted.
#[utoipa::path(
    tag = "evaluation",
    params(("id" = Uuid, Path, description = "The award's id"), IdempotencyKey),
    request_body = ReturnBody,
    responses(
        (status = 201, description = "Submitted; `Location` names the return", body = ReturnView),
        (status = 404, description = "No such award (or not your organisation's)", body = Problem),
        (status = 409, description = "The award is not accepted, or the return is already accepted", body = Problem),
        (status = 422, description = "Invalid; `errors` names each field, e.g. `responses[3].participant_code`", body = Problem),
    ),
    security(("bearer" = []))
)]
#[post("/awards/{id}/evaluation-returns")]
pub async fn submit_return(
    state: web::Data<AppState>,
    auth: Authorized<can::SubmitEvaluationReturns>,
    req: HttpRequest,
    key: IdempotencyKey,
    id: web::Path<uuid::Uuid>,
    body: Json<ReturnBody>,
) -> Result<HttpResponse, ApiError> {
    let principal = auth.principal;
    let id = AwardId::from_uuid(id.into_inner());
    let content = operations::evaluation::return_content(body.into_inner().into())?;
    let caller = principal.clone();
    // A resubmission is a new version, so a retried POST would add a second
    // one: the key makes the retry return the first answer instead.
    idempotency::create(&state, &req, &principal, key, move |c| {
        let view = ReturnView::from(operations::evaluation::submit(c, &caller, id, &content)?);
        Ok(Created::at(
            format!("/v1/evaluation-returns/{}", view.id),
            view,
        ))
    })
    .await
}

/// Every version of the return on an award, oldest first (empty before the
/// first submission).
#[utoipa::path(
    tag = "evaluation",
    params(("id" = Uuid, Path, description = "The award's id")),
    responses(
        (status = 200, description = "The versions", body = ListResponse<VersionView>),
        (status = 404, description = "No such award (or not your organisation's)", body = Problem),
    ),
    security(("bearer" = []))
)]
#[get("/awards/{id}/evaluation-returns")]
pub async fn list_award_returns(
    state: web::Data<AppState>,
    auth: Authorized<can::ReadEvaluationReturns>,
    id: web::Path<uuid::Uuid>,
) -> Result<HttpResponse, ApiError> {
    let principal = auth.principal;
    let id = AwardId::from_uuid(id.into_inner());
    let versions = blocking(move || {
        state
            .db
            .read(|c| operations::evaluation::award_versions(c, &principal, id))
    })
    .await?;
    Ok(HttpResponse::Ok().json(ListResponse::whole(versions, VersionView::from)))
}

/// One evaluation return with its latest version and reviews.
#[utoipa::path(
    tag = "evaluation",
    params(("id" = Uuid, Path, description = "The return's id")),
    responses(
        (status = 200, description = "The return", body = ReturnView),
        (status = 404, description = "No such return (or not your organisation's)", body = Problem),
    ),
    security(("bearer" = []))
)]
#[get("/evaluation-returns/{id}")]
pub async fn get_return(
    state: web::Data<AppState>,
    auth: Authorized<can::ReadEvaluationReturns>,
    id: web::Path<uuid::Uuid>,
) -> Result<HttpResponse, ApiError> {
    let principal = auth.principal;
    let id = EvaluationReturnId::from_uuid(id.into_inner());
    read_one::<ReturnView, _>(&state, move |c| {
        operations::evaluation::get(c, &principal, id)
    })
    .await
}

/// Accept a return, or request changes with a comment. Only a submitted
/// return can be reviewed; a new version after changes were requested goes
/// back to submitted.
#[utoipa::path(
    tag = "evaluation",
    params(
        ("id" = Uuid, Path, description = "The return's id"),
        IdempotencyKey,
    ),
    request_body = ReviewBody,
    responses(
        (status = 200, description = "Reviewed", body = ReturnView),
        (status = 404, description = "No such return", body = Problem),
        (status = 409, description = "Not awaiting review, or a newer version arrived", body = Problem),
        (status = 422, description = "A comment is required to request changes", body = Problem),
    ),
    security(("bearer" = []))
)]
#[post("/evaluation-returns/{id}/review")]
pub async fn review_return(
    state: web::Data<AppState>,
    auth: Authorized<can::ReviewEvaluationReturns>,
    id: web::Path<uuid::Uuid>,
    req: HttpRequest,
    key: IdempotencyKey,
    body: Json<ReviewBody>,
) -> Result<HttpResponse, ApiError> {
    let principal = auth.principal;
    let id = EvaluationReturnId::from_uuid(id.into_inner());
    let b = body.into_inner();
    let input = ReviewInput::new(b.decision, b.comment.as_deref(), b.version_number)?;
    let caller = principal.clone();
    let notices = state.notices.clone();
    idempotency::write(&state, &req, &caller, key, StatusCode::OK, move |c| {
        let view = ReturnView::from(operations::evaluation::review(
            c, &notices, &principal, id, &input,
        )?);
        Ok(Created::updated(view))
    })
    .await
}

/// Set (or clear) the date an award's evaluation return is due: on or after
/// the day the award was made (422 otherwise). `If-Match` with the award's
/// version is honoured when sent.
#[utoipa::path(
    tag = "evaluation",
    params(
        ("id" = Uuid, Path, description = "The award's id"),
        ("If-Match" = Option<String>, Header, description = "The award version you read (optional)"),
    ),
    request_body = DueDateBody,
    responses(
        (status = 200, description = "Set", body = DueDateView),
        (status = 404, description = "No such award", body = Problem),
        (status = 412, description = "The award changed since you read it", body = Problem),
        (status = 422, description = "A date before the award was made", body = Problem),
    ),
    security(("bearer" = []))
)]
#[put("/awards/{id}/return-due-date")]
pub async fn set_return_due_date(
    state: web::Data<AppState>,
    auth: Authorized<can::SetReturnDueDates>,
    req: HttpRequest,
    id: web::Path<uuid::Uuid>,
    body: Json<DueDateBody>,
) -> Result<HttpResponse, ApiError> {
    let principal = auth.principal;
    let if_match = match req.headers().contains_key(header::IF_MATCH) {
        true => Some(crate::http::require_if_match(&req)?),
        false => None,
    };
    let id = AwardId::from_uuid(id.into_inner());
    let due = body.into_inner().return_due_on;
    let actor = principal.actor();
    write_one::<DueDateView, _>(&state, move |c| {
        operations::evaluation::set_return_due_date(c, &actor, id, due, if_match)
    })
    .await
}

/// Awards (accepted or completed) whose evaluation return was due before
/// today (UTC) and has not been submitted: no return at all, or changes
/// requested and no new version yet.
#[utoipa::path(
    tag = "evaluation",
    params(OverdueQuery),
    responses((status = 200, description = "A page of overdue returns", body = ListResponse<OverdueView>)),
    security(("bearer" = []))
)]
#[get("/evaluation-returns/overdue")]
pub async fn list_overdue(
    state: web::Data<AppState>,
    _auth: Authorized<can::ReadOverdueReturns>,
    query: crate::extract::Query<OverdueQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let page = PageRequest::new(q.limit.map(crate::http::PageLimit::get), q.after);
    let fund = q.fund_id.map(FundId::from_uuid);
    let today = Utc::now().date_naive();
    let page = blocking(move || {
        state
            .db
            .read(|c| operations::evaluation::overdue(c, today, fund, page))
    })
    .await?;
    Ok(HttpResponse::Ok().json(ListResponse::from_page(page, |o| {
        OverdueView::new(o, today)
    })))
}

fn wants_csv(req: &HttpRequest, format: Option<OutcomeFormat>) -> bool {
    match format {
        Some(f) => f == OutcomeFormat::Csv,
        None => req
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|accept| {
                accept
                    .split(',')
                    .any(|part| part.trim().to_ascii_lowercase().starts_with("text/csv"))
            }),
    }
}

/// A fund's outcomes, by round and by region, as JSON or CSV. Exact for
/// administrators and auditors; `?published=true` applies disclosure control
/// and is open to every role (grantees and assessors get only this form).
#[utoipa::path(
    tag = "evaluation",
    params(("id" = String, Path, description = "The fund's id or its code (`LCF2`)"), OutcomeQuery),
    responses(
        (status = 200, description = "The outcomes (JSON, or CSV with `?format=csv` / `Accept: text/csv`: columns breakdown, group, group_name, measure, value)",
         content((OutcomesView = "application/json"), (String = "text/csv"))),
        (status = 403, description = "Exact figures asked for by a role that may only read the published form", body = Problem),
        (status = 404, description = "No such fund", body = Problem),
    ),
    security(("bearer" = []))
)]
#[get("/funds/{id}/outcomes")]
pub async fn fund_outcomes(
    state: web::Data<AppState>,
    auth: Authorized<can::ReadOutcomes>,
    req: HttpRequest,
    id: web::Path<String>,
    query: crate::extract::Query<OutcomeQuery>,
) -> Result<HttpResponse, ApiError> {
    let principal = auth.principal;
    let q = query.into_inner();
    let published = operations::evaluation::outcome_form(&principal, q.published)?;
    let csv = wants_csv(&req, q.format);
    let fund_named = id.into_inner();
    let outcomes = blocking(move || {
        state
            .db
            .read(|c| operations::evaluation::outcomes(c, &fund_named, published))
    })
    .await?;
    if csv {
        Ok(HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .body(operations::evaluation::outcomes_csv(&outcomes)?))
    } else {
        Ok(HttpResponse::Ok().json(OutcomesView::from(outcomes)))
    }
}
