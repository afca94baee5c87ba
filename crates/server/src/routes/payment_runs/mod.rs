//! `/v1/payment-runs`: one fund's due tranches batched for the bank. One
//! administrator makes a run, another approves it; only then does its bank
//! file (Bacs Standard 18 or a bank's bulk-upload CSV) exist, and its lines
//! are confirmed paid or failed one by one. Each handler parses the
//! request, calls the operation in
//! [`operations::payments`](crate::operations::payments) and answers with
//! its view.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{DateTime, NaiveDate, Utc};
use grantledger_domain::Money;
use grantledger_domain::ids::{FundId, PaymentRunId, RoundId, UserId};
use grantledger_domain::payment_run::{PaymentRun, PaymentRunStatus};
use grantledger_store::common::Record;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{ApiError, Problem};
use crate::extract::Json;
use crate::http::{ListResponse, PageQuery, blocking, read_one};
use crate::idempotency::{self, Created, IdempotencyKey};
use crate::operations;
use crate::policy::{Authorized, can};
use crate::state::AppState;

mod lines;

pub use lines::{HeldLineView, RunLineView, RunLinesView, line_failed, line_paid, run_lines};

/// A payment run as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct PaymentRunView {
    /// Its id.
    pub id: PaymentRunId,
    /// `draft` (waiting for a second administrator), `approved` (its bank
    /// file may be sent), `confirmed` or `cancelled`.
    pub status: PaymentRunStatus,
    /// The fund paying (`null` only for runs made before runs were per fund).
    pub fund_id: Option<FundId>,
    /// The round, when the run pays one round only.
    pub round_id: Option<RoundId>,
    /// Tranches due on or before this date.
    pub due_by: NaiveDate,
    /// The sum of its tranches.
    pub total: Money,
    /// How many tranches.
    pub count: u32,
    /// Who assembled it (`null`: the system).
    pub created_by: Option<UserId>,
    /// Who approved it.
    pub approved_by: Option<UserId>,
    /// When it was approved.
    pub approved_at: Option<DateTime<Utc>>,
    /// The version, also sent as the `ETag`.
    pub version: i64,
    /// When it was assembled.
    pub created_at: DateTime<Utc>,
}

impl From<Record<PaymentRun>> for PaymentRunView {
    fn from(r: Record<PaymentRun>) -> Self {
        let run = r.value;
        PaymentRunView {
            id: run.id,
            status: run.status,
            fund_id: run.scope.fund_id,
            round_id: run.scope.round_id,
            due_by: run.scope.due_by,
            total: run.total,
            count: run.count,
            created_by: run.created_by,
            approved_by: run.approved.map(|(by, _)| by),
            approved_at: run.approved.map(|(_, at)| at),
            version: r.version,
            created_at: r.created_at,
        }
    }
}

/// Which tranches a new run collects.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRunBody {
    /// The fund whose tranches it pays.
    pub fund_id: FundId,
    /// Only this round's tranches, when given.
    #[serde(default)]
    pub round_id: Option<RoundId>,
    /// Every scheduled tranche due on or before this date, in no other run.
    pub due_by: NaiveDate,
}

/// Assemble a payment run of one fund's (or one round's) tranches now due,
/// as a draft that a second administrator must approve.
#[utoipa::path(
    tag = "payments",
    params(IdempotencyKey),
    request_body = NewRunBody,
    responses((status = 201, description = "Assembled, as a draft waiting for a second administrator's approval", body = PaymentRunView), (status = 404, description = "No such fund or round", body = Problem), (status = 409, description = "Nothing is due", body = Problem), (status = 422, description = "The round is not the fund's", body = Problem)),
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
    let body = body.into_inner();
    let input = operations::payments::NewRun {
        fund_id: body.fund_id,
        round_id: body.round_id,
        due_by: body.due_by,
    };
    let actor = principal.actor();
    idempotency::create(&state, &req, &principal, key, move |c| {
        let record = operations::payments::create_run(c, &actor, input)?;
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

/// Which bank file, and for which processing day.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ExportQuery {
    /// `standard18` (Bacs Standard 18, the default), `bank_csv` (a
    /// bank's bulk-payment upload) or `audit_copy` (that CSV with the
    /// account numbers masked, as `/audit-copy` gives auditors).
    #[param(inline)]
    pub format: Option<operations::payments::BankFileFormat>,
    /// The Bacs processing day (Standard 18), a Monday to Friday; the next
    /// banking day when absent.
    pub processing_day: Option<NaiveDate>,
}

/// An approved run's bank file, with the grantees' full account details:
/// Bacs Standard 18 (docs/BACS.md) or a bank's bulk-payment CSV. A draft
/// has no file until a second administrator approves it (409), and a file
/// is refused (409) while any line's grantee has no verified bank details,
/// naming each. A tranche that failed or whose award was cancelled has
/// left the run and is not in the file.
#[utoipa::path(
    tag = "payments",
    params(("id" = Uuid, Path, description = "The run's id"), ExportQuery),
    responses(
        (status = 200, description = "The bank file", content_type = "text/plain", body = String),
        (status = 404, body = Problem),
        (status = 409, description = "Not approved, or a grantee's bank details are not verified", body = Problem),
        (status = 422, description = "The processing day is not a banking day", body = Problem),
    ),
    security(("bearer" = []))
)]
#[get("/payment-runs/{id}/export")]
pub async fn export_run(
    state: web::Data<AppState>,
    _auth: Authorized<can::ManagePayments>,
    id: web::Path<uuid::Uuid>,
    query: crate::extract::Query<ExportQuery>,
) -> Result<HttpResponse, ApiError> {
    let id = PaymentRunId::from_uuid(id.into_inner());
    let q = query.into_inner();
    download_bank_file(state, id, q.format.unwrap_or_default(), q.processing_day).await
}

/// An approved or confirmed run's audit copy: its bank CSV with each
/// account number (and roll number) masked, `****5678`, for an auditor
/// checking what a run paid, and to whom, against the ledger. Refused as
/// the bank file is (409): a draft has none.
#[utoipa::path(
    tag = "payments",
    params(("id" = Uuid, Path, description = "The run's id")),
    responses(
        (status = 200, description = "The audit copy", content_type = "text/csv", body = String),
        (status = 404, body = Problem),
        (status = 409, description = "Not approved, or a grantee's bank details are not verified", body = Problem),
    ),
    security(("bearer" = []))
)]
#[get("/payment-runs/{id}/audit-copy")]
pub async fn audit_copy(
    state: web::Data<AppState>,
    _auth: Authorized<can::ReadPayments>,
    id: web::Path<uuid::Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = PaymentRunId::from_uuid(id.into_inner());
    download_bank_file(
        state,
        id,
        operations::payments::BankFileFormat::AuditCopy,
        None,
    )
    .await
}

/// A run's bank file (or its audit copy) as an attachment that is never
/// cached: a bank file holds the grantees' full account numbers, and even
/// the masked copy names them and what they were paid. The API and the
/// portal both serve it so.
pub async fn download_bank_file(
    state: web::Data<AppState>,
    id: PaymentRunId,
    format: operations::payments::BankFileFormat,
    processing_day: Option<NaiveDate>,
) -> Result<HttpResponse, ApiError> {
    let file = blocking(move || {
        let request = operations::payments::BankFileRequest {
            format,
            processing_day,
            originator: state.originator.as_ref(),
        };
        state
            .db
            .read(|c| operations::payments::bank_file(c, &state.bank_keys, id, request))
    })
    .await?;
    Ok(HttpResponse::Ok()
        .content_type(file.content_type)
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"{}\"", file.filename),
        ))
        .insert_header(("Cache-Control", "no-store"))
        .body(file.bytes))
}

#[derive(Debug, Clone, Copy)]
enum RunChange {
    Approve,
    Confirm,
    Cancel,
}

async fn run_change(
    state: web::Data<AppState>,
    auth: Authorized<can::ManagePayments>,
    req: HttpRequest,
    key: IdempotencyKey,
    id: uuid::Uuid,
    change: RunChange,
) -> Result<HttpResponse, ApiError> {
    let principal = auth.principal;
    let id = PaymentRunId::from_uuid(id);
    let actor = principal.actor();
    let notices = state.notices.clone();
    idempotency::write(&state, &req, &principal, key, StatusCode::OK, move |c| {
        let record = match change {
            RunChange::Approve => operations::payments::approve_run(c, &actor, id)?,
            RunChange::Confirm => operations::payments::confirm_run(c, &notices, &actor, id)?,
            RunChange::Cancel => operations::payments::cancel_run(c, &actor, id)?,
        };
        let view = PaymentRunView::from(record);
        Ok(Created::updated(view))
    })
    .await
}

/// Approve a draft run. The administrator who assembled it cannot (403):
/// a second one must. Only an approved run has a bank file.
#[utoipa::path(
    tag = "payments",
    params(("id" = Uuid, Path, description = "The run's id"), IdempotencyKey),
    responses((status = 200, description = "Approved", body = PaymentRunView), (status = 403, description = "You assembled this run", body = Problem), (status = 409, description = "Not a draft", body = Problem)),
    security(("bearer" = []))
)]
#[post("/payment-runs/{id}/approve")]
pub async fn approve_run(
    state: web::Data<AppState>,
    auth: Authorized<can::ManagePayments>,
    req: HttpRequest,
    key: IdempotencyKey,
    id: web::Path<uuid::Uuid>,
) -> Result<HttpResponse, ApiError> {
    run_change(state, auth, req, key, id.into_inner(), RunChange::Approve).await
}

/// Confirm every line of an approved run still to pay as paid, in one
/// step: each is marked paid with its ledger transfer, or none is. The
/// answer's total and count are exactly what was recorded as paid; a run
/// with nothing paid in it is refused (409): cancel it.
#[utoipa::path(
    tag = "payments",
    params(("id" = Uuid, Path, description = "The run's id"), IdempotencyKey),
    responses((status = 200, description = "Confirmed", body = PaymentRunView), (status = 409, description = "Not approved, or nothing left in it to pay", body = Problem)),
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
    run_change(state, auth, req, key, id.into_inner(), RunChange::Confirm).await
}

/// Abandon a draft or approved run none of whose lines is confirmed paid:
/// its tranches are free for another.
#[utoipa::path(
    tag = "payments",
    params(("id" = Uuid, Path, description = "The run's id"), IdempotencyKey),
    responses((status = 200, description = "Cancelled", body = PaymentRunView), (status = 409, description = "Confirmed, cancelled, or a line already paid", body = Problem)),
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
    run_change(state, auth, req, key, id.into_inner(), RunChange::Cancel).await
}

crate::http::versioned!(PaymentRunView);
