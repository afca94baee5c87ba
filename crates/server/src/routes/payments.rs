//! Recording payments one tranche at a time: paid, failed, reversed, or
//! returned by the grantee's bank (payment runs are in
//! [`payment_runs`](crate::routes::payment_runs)). Each handler parses the request, calls the operation in
//! [`operations::payments`](crate::operations::payments) and answers with
//! its view.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, post, web};
use grantledger_domain::disbursement::ReturnReasonCode;
use grantledger_domain::ids::DisbursementId;
use grantledger_store::disbursements::Outcome;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::error::{ApiError, Problem};
use crate::extract::Json;
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
    let notices = state.notices.clone();
    idempotency::write(&state, &req, &principal, key, StatusCode::OK, move |c| {
        let record =
            operations::payments::settle(c, &notices, &actor, id, outcome, note.as_deref())?;
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

/// A payment the grantee's bank sent back.
#[derive(Debug, Deserialize, ToSchema, validator::Validate)]
#[serde(deny_unknown_fields)]
pub struct ReturnedBody {
    /// The bank's reason code, as on its returns report (e.g. `B`).
    #[schema(value_type = String, example = "B")]
    pub reason_code: ReturnReasonCode,
    /// What the bank said.
    #[validate(length(max = 2000, message = "a note has at most 2000 characters"))]
    pub note: Option<String>,
}

/// Record a paid tranche as returned by the grantee's bank (with its reason
/// code): the money is payable on the award again, and a new tranche can be
/// scheduled for it (to corrected bank details).
#[utoipa::path(
    tag = "payments",
    params(("id" = Uuid, Path, description = "The tranche's id"), IdempotencyKey),
    request_body = ReturnedBody,
    responses((status = 200, description = "Returned", body = DisbursementView), (status = 409, description = "Not paid", body = Problem), (status = 422, description = "A bad reason code", body = Problem)),
    security(("bearer" = []))
)]
#[post("/disbursements/{id}/returned")]
pub async fn returned(
    state: web::Data<AppState>,
    auth: Authorized<can::ManagePayments>,
    req: HttpRequest,
    key: IdempotencyKey,
    id: web::Path<uuid::Uuid>,
    body: Json<ReturnedBody>,
) -> Result<HttpResponse, ApiError> {
    let principal = auth.principal;
    let id = DisbursementId::from_uuid(id.into_inner());
    let body = crate::input_errors::validated(body.into_inner())?;
    let actor = principal.actor();
    let notices = state.notices.clone();
    idempotency::write(&state, &req, &principal, key, StatusCode::OK, move |c| {
        let record = operations::payments::settle(
            c,
            &notices,
            &actor,
            id,
            Outcome::Returned(body.reason_code.clone()),
            body.note.as_deref(),
        )?;
        Ok(Created::updated(DisbursementView::from(record)))
    })
    .await
}
