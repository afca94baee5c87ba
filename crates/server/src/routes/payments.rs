//! Recording payments: tranches paid, failed or reversed, and payment runs
//! that batch due tranches into a bank file and confirm them in one step.
//! Each handler parses the request, calls the operation in
//! [`operations::payments`](crate::operations::payments) and answers with
//! its view.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{DateTime, NaiveDate, Utc};
use grantledger_domain::Money;
use grantledger_domain::ids::{DisbursementId, PaymentRunId};
use grantledger_domain::payment_run::{PaymentRun, PaymentRunStatus};
use grantledger_store::common::Record;
use grantledger_store::disbursements::Outcome;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{ApiError, Problem};
use crate::extract::Json;
use crate::http::{ListResponse, PageQuery, blocking, read_one};
use crate::idempotency::{self, Created, IdempotencyKey};
use crate::operations;
use crate::policy::{Authorized, can};
use crate::routes::awards::DisbursementView;
use crate::state::AppState;

/// An optional note on a payment outcome.
#[derive(Debug, Default, Deserialize, ToSchema, validator::Validate)]
#[serde(deny_unknown_fields)]
pub struct NoteBody {
    /// Why it failed, what the bank said, why money came back.
    #[validate(length(max = 2000, message = "a note has at most 2000 characters"))]
    pub note: Option<String>,
}

async fn settle(
    state: web::Data<AppState>,
    auth: Authorized<can::ManagePayments>,
    req: HttpRequest,
    key: IdempotencyKey,
    id: uuid::Uuid,
    body: Option<Json<NoteBody>>,
    outcome: Outcome,
) -> Result<HttpResponse, ApiError> {
    let principal = auth.principal;
    let id = DisbursementId::from_uuid(id);
    let note = match body {
        Some(body) => crate::input_errors::validated(body.into_inner())?.note,
        None => None,
    };
    let actor = principal.actor();
    idempotency::write(&state, &req, &principal, key, StatusCode::OK, move |c| {
        let record = operations::payments::settle(c, &actor, id, outcome, note.as_deref())?;
        let view = DisbursementView::from(record);
        Ok(Created::updated(view))
    })
    .await
}

/// Record a tranche as paid: the award's payable money goes to the grantee.
/// A tranche in a draft payment run is paid only by confirming the run.
#[utoipa::path(
    tag = "payments",
    params(("id" = Uuid, Path, description = "The tranche's id"), IdempotencyKey),
    request_body(content = Option<NoteBody>, description = "An optional note"),
    responses((status = 200, description = "Paid", body = DisbursementView), (status = 409, description = "Not scheduled, in a draft payment run (it is paid by confirming the run), or the award is not accepted", body = Problem)),
    security(("bearer" = []))
)]
#[post("/disbursements/{id}/paid")]
pub async fn paid(
    state: web::Data<AppState>,
    auth: Authorized<can::ManagePayments>,
    req: HttpRequest,
    key: IdempotencyKey,
    id: web::Path<uuid::Uuid>,
    body: Option<Json<NoteBody>>,
) -> Result<HttpResponse, ApiError> {
    settle(state, auth, req, key, id.into_inner(), body, Outcome::Paid).await
}

/// Record a tranche as failed: it no longer counts against the award, and
/// leaves any draft payment run that carried it (the run's total drops).
#[utoipa::path(
    tag = "payments",
    params(("id" = Uuid, Path, description = "The tranche's id"), IdempotencyKey),
    request_body(content = Option<NoteBody>, description = "An optional note"),
    responses((status = 200, description = "Failed", body = DisbursementView), (status = 409, description = "Not scheduled", body = Problem)),
    security(("bearer" = []))
)]
#[post("/disbursements/{id}/failed")]
pub async fn failed(
    state: web::Data<AppState>,
    auth: Authorized<can::ManagePayments>,
    req: HttpRequest,
    key: IdempotencyKey,
    id: web::Path<uuid::Uuid>,
    body: Option<Json<NoteBody>>,
) -> Result<HttpResponse, ApiError> {
    settle(
        state,
        auth,
        req,
        key,
        id.into_inner(),
        body,
        Outcome::Failed,
    )
    .await
}

/// Reverse a paid tranche (money recovered): it returns to the round and the
/// award shrinks by it.
#[utoipa::path(
    tag = "payments",
    params(("id" = Uuid, Path, description = "The tranche's id"), IdempotencyKey),
    request_body(content = Option<NoteBody>, description = "An optional note"),
    responses((status = 200, description = "Reversed", body = DisbursementView), (status = 409, description = "Not paid", body = Problem)),
    security(("bearer" = []))
)]
#[post("/disbursements/{id}/reverse")]
pub async fn reverse(
    state: web::Data<AppState>,
    auth: Authorized<can::ManagePayments>,
    req: HttpRequest,
    key: IdempotencyKey,
    id: web::Path<uuid::Uuid>,
    body: Option<Json<NoteBody>>,
) -> Result<HttpResponse, ApiError> {
    settle(
        state,
        auth,
        req,
        key,
        id.into_inner(),
        body,
        Outcome::Reversed,
    )
    .await
}

/// A payment run as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct PaymentRunView {
    /// Its id.
    pub id: PaymentRunId,
    /// `draft`, `confirmed` or `cancelled`.
    pub status: PaymentRunStatus,
    /// The sum of its tranches.
    pub total: Money,
    /// How many tranches.
    pub count: u32,
    /// The version, also sent as the `ETag`.
    pub version: i64,
    /// When it was assembled.
    pub created_at: DateTime<Utc>,
}

impl From<Record<PaymentRun>> for PaymentRunView {
    fn from(r: Record<PaymentRun>) -> Self {
        PaymentRunView {
            id: r.value.id,
            status: r.value.status,
            total: r.value.total,
            count: r.value.count,
            version: r.version,
            created_at: r.created_at,
        }
    }
}

/// Which tranches a new run collects.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRunBody {
    /// Every scheduled tranche due on or before this date, in no other run.
    pub due_by: NaiveDate,
}

/// Assemble a payment run of the tranches now due.
#[utoipa::path(
    tag = "payments",
    params(IdempotencyKey),
    request_body = NewRunBody,
    responses((status = 201, description = "Assembled", body = PaymentRunView), (status = 409, description = "Nothing is due", body = Problem)),
    security(("bearer" = []))
)]
#[post("/payment-runs")]
pub async fn create_run(
    state: web::Data<AppState>,
    auth: Authorized<can::ManagePayments>,
    req: HttpRequest,
    key: IdempotencyKey,
    body: Json<NewRunBody>,
) -> Result<HttpResponse, ApiError> {
    let principal = auth.principal;
    let due_by = body.into_inner().due_by;
    let actor = principal.actor();
    idempotency::create(&state, &req, &principal, key, move |c| {
        let record = operations::payments::create_run(c, &actor, due_by)?;
        let view = PaymentRunView::from(record);
        Ok(Created::at(format!("/v1/payment-runs/{}", view.id), view))
    })
    .await
}

/// List payment runs.
#[utoipa::path(
    tag = "payments",
    params(PageQuery),
    responses((status = 200, description = "A page of payment runs", body = ListResponse<PaymentRunView>)),
    security(("bearer" = []))
)]
#[get("/payment-runs")]
pub async fn list_runs(
    state: web::Data<AppState>,
    _auth: Authorized<can::ReadPayments>,
    query: crate::extract::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = query.into_inner().page();
    let page =
        blocking(move || state.db.read(|c| operations::payments::list_runs(c, page))).await?;
    Ok(HttpResponse::Ok().json(ListResponse::from_page(page, PaymentRunView::from)))
}

/// One payment run.
#[utoipa::path(
    tag = "payments",
    params(("id" = Uuid, Path, description = "The run's id")),
    responses((status = 200, description = "The run", body = PaymentRunView), (status = 404, body = Problem)),
    security(("bearer" = []))
)]
#[get("/payment-runs/{id}")]
pub async fn get_run(
    state: web::Data<AppState>,
    _auth: Authorized<can::ReadPayments>,
    id: web::Path<uuid::Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = PaymentRunId::from_uuid(id.into_inner());
    read_one::<PaymentRunView, _>(&state, move |c| operations::payments::get_run(c, id)).await
}

/// The run as a CSV file for the bank: one line per tranche it will pay (a
/// draft) or paid (confirmed), with the award reference as the payment
/// reference. A tranche that failed or whose award was cancelled has left
/// the run and is not listed.
#[utoipa::path(
    tag = "payments",
    params(("id" = Uuid, Path, description = "The run's id")),
    responses((status = 200, description = "CSV", content_type = "text/csv", body = String), (status = 404, body = Problem)),
    security(("bearer" = []))
)]
#[get("/payment-runs/{id}/export")]
pub async fn export_run(
    state: web::Data<AppState>,
    _auth: Authorized<can::ReadPayments>,
    id: web::Path<uuid::Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = PaymentRunId::from_uuid(id.into_inner());
    let csv = blocking(move || {
        let lines = state.db.read(|c| operations::payments::run_lines(c, id))?;
        operations::payments::bank_file(lines)
    })
    .await?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"payment-run-{id}.csv\""),
        ))
        .body(csv))
}

async fn run_change(
    state: web::Data<AppState>,
    auth: Authorized<can::ManagePayments>,
    req: HttpRequest,
    key: IdempotencyKey,
    id: uuid::Uuid,
    confirm: bool,
) -> Result<HttpResponse, ApiError> {
    let principal = auth.principal;
    let id = PaymentRunId::from_uuid(id);
    let actor = principal.actor();
    idempotency::write(&state, &req, &principal, key, StatusCode::OK, move |c| {
        let record = if confirm {
            operations::payments::confirm_run(c, &actor, id)?
        } else {
            operations::payments::cancel_run(c, &actor, id)?
        };
        let view = PaymentRunView::from(record);
        Ok(Created::updated(view))
    })
    .await
}

/// Confirm the whole run as paid, in one step: every tranche in it is marked
/// paid with its ledger transfer, or none is. The answer's total and count
/// are exactly what was recorded as paid; a run with nothing left in it is
/// refused (409): cancel it.
#[utoipa::path(
    tag = "payments",
    params(("id" = Uuid, Path, description = "The run's id"), IdempotencyKey),
    responses((status = 200, description = "Confirmed", body = PaymentRunView), (status = 409, description = "Not a draft, or nothing left in it to pay", body = Problem)),
    security(("bearer" = []))
)]
#[post("/payment-runs/{id}/confirm")]
pub async fn confirm_run(
    state: web::Data<AppState>,
    auth: Authorized<can::ManagePayments>,
    req: HttpRequest,
    key: IdempotencyKey,
    id: web::Path<uuid::Uuid>,
) -> Result<HttpResponse, ApiError> {
    run_change(state, auth, req, key, id.into_inner(), true).await
}

/// Abandon a draft run: its tranches are free for another.
#[utoipa::path(
    tag = "payments",
    params(("id" = Uuid, Path, description = "The run's id"), IdempotencyKey),
    responses((status = 200, description = "Cancelled", body = PaymentRunView), (status = 409, description = "Not a draft", body = Problem)),
    security(("bearer" = []))
)]
#[post("/payment-runs/{id}/cancel")]
pub async fn cancel_run(
    state: web::Data<AppState>,
    auth: Authorized<can::ManagePayments>,
    req: HttpRequest,
    key: IdempotencyKey,
    id: web::Path<uuid::Uuid>,
) -> Result<HttpResponse, ApiError> {
    run_change(state, auth, req, key, id.into_inner(), false).await
}

crate::http::versioned!(PaymentRunView);
