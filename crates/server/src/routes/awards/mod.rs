//! Awards: offers, acceptance, variations, cancellation, and their tranches.
//! Each handler parses the request, calls the operation in
//! [`operations::awards`](crate::operations::awards) (or
//! [`operations::payments`](crate::operations::payments) for tranches) and
//! answers with its view.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use grantledger_domain::ids::AwardId;
use grantledger_store::common::Record;
use grantledger_store::{AnyConnection, awards};

use crate::auth::principal::Principal;
use crate::error::{ApiError, Problem};
use crate::extract::Json;
use crate::http::{ListResponse, PageQuery, blocking, read_one};
use crate::idempotency::{self, Created, IdempotencyKey};
use crate::operations;
use crate::policy::{Authorized, can};
use crate::state::AppState;

mod views;

pub use views::*;

/// List awards. A grantee sees only its own.
#[utoipa::path(
    tag = "awards",
    params(AwardQuery),
    responses((status = 200, description = "A page of awards", body = ListResponse<AwardView>)),
    security(("bearer" = []))
)]
#[get("/awards")]
pub async fn list_awards(
    state: web::Data<AppState>,
    auth: Authorized<can::ReadAwards>,
    query: crate::extract::Query<AwardQuery>,
) -> Result<HttpResponse, ApiError> {
    let principal = auth.principal;
    let q = query.into_inner();
    let page = PageQuery {
        limit: q.limit,
        after: q.after,
    }
    .page();
    let filter = awards::AwardFilter {
        fund_id: q.fund_id,
        round_id: q.round_id,
        grantee_id: q.grantee_id,
        status: q.status,
    };
    let page = blocking(move || {
        state
            .db
            .read(|c| operations::awards::list(c, &principal, filter, page))
    })
    .await?;
    Ok(HttpResponse::Ok().json(ListResponse::from_page(page, AwardView::from)))
}

/// One award.
#[utoipa::path(
    tag = "awards",
    params(("id" = Uuid, Path, description = "The award's id")),
    responses((status = 200, description = "The award", body = AwardView), (status = 404, body = Problem)),
    security(("bearer" = []))
)]
#[get("/awards/{id}")]
pub async fn get_one(
    state: web::Data<AppState>,
    auth: Authorized<can::ReadAwards>,
    id: web::Path<uuid::Uuid>,
) -> Result<HttpResponse, ApiError> {
    let principal = auth.principal;
    let id = AwardId::from_uuid(id.into_inner());
    read_one::<AwardView, _>(&state, move |c| {
        operations::awards::visible(c, &principal, id)
    })
    .await
}

/// Runs `change` on the award under the caller's idempotency key and answers
/// 200 with the award after it.
async fn respond_change(
    state: web::Data<AppState>,
    principal: Principal,
    req: HttpRequest,
    key: IdempotencyKey,
    id: uuid::Uuid,
    change: impl FnOnce(
        &mut AnyConnection,
        &Principal,
        AwardId,
    ) -> Result<Record<awards::Stored>, ApiError>
    + Send
    + 'static,
) -> Result<HttpResponse, ApiError> {
    let id = AwardId::from_uuid(id);
    let p = principal.clone();
    idempotency::write(&state, &req, &principal, key, StatusCode::OK, move |c| {
        let view = AwardView::from(change(c, &p, id)?);
        Ok(Created::updated(view))
    })
    .await
}

/// Accept an offer (the grantee, or an administrator on its behalf).
#[utoipa::path(
    tag = "awards",
    params(("id" = Uuid, Path, description = "The award's id"), IdempotencyKey),
    responses((status = 200, description = "Accepted", body = AwardView), (status = 409, description = "Not offered", body = Problem)),
    security(("bearer" = []))
)]
#[post("/awards/{id}/accept")]
pub async fn accept(
    state: web::Data<AppState>,
    auth: Authorized<can::RespondToAward>,
    req: HttpRequest,
    key: IdempotencyKey,
    id: web::Path<uuid::Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let notices = state.notices.clone();
    let accept = move |c: &mut _, p: &_, id| operations::awards::accept(c, &notices, p, id);
    respond_change(state, auth.principal, req, key, id, accept).await
}

/// Decline an offer: its whole amount returns to the round.
#[utoipa::path(
    tag = "awards",
    params(("id" = Uuid, Path, description = "The award's id"), IdempotencyKey),
    responses((status = 200, description = "Declined", body = AwardView), (status = 409, description = "Not offered", body = Problem)),
    security(("bearer" = []))
)]
#[post("/awards/{id}/decline")]
pub async fn decline(
    state: web::Data<AppState>,
    auth: Authorized<can::RespondToAward>,
    req: HttpRequest,
    key: IdempotencyKey,
    id: web::Path<uuid::Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    respond_change(
        state,
        auth.principal,
        req,
        key,
        id,
        operations::awards::decline,
    )
    .await
}

/// Cancel an award, with a reason: tranches not yet paid fail (leaving any
/// draft payment run), and the unpaid amount returns to the round. The
/// reason is kept on the award, in its `award.cancelled` audit event and in
/// each failed tranche's note.
#[utoipa::path(
    tag = "awards",
    params(("id" = Uuid, Path, description = "The award's id"), IdempotencyKey),
    request_body = ReasonBody,
    responses((status = 200, description = "Cancelled", body = AwardView), (status = 409, description = "Not offered or accepted", body = Problem)),
    security(("bearer" = []))
)]
#[post("/awards/{id}/cancel")]
pub async fn cancel(
    state: web::Data<AppState>,
    auth: Authorized<can::ManageAwards>,
    req: HttpRequest,
    key: IdempotencyKey,
    id: web::Path<uuid::Uuid>,
    body: Json<ReasonBody>,
) -> Result<HttpResponse, ApiError> {
    let reason = operations::awards::cancellation_reason(&body.reason)?;
    let principal = auth.principal;
    let id = AwardId::from_uuid(id.into_inner());
    let p = principal.clone();
    idempotency::write(&state, &req, &principal, key, StatusCode::OK, move |c| {
        let view = AwardView::from(operations::awards::cancel(c, &p, id, &reason)?);
        Ok(Created::updated(view))
    })
    .await
}

/// Mark a fully paid award complete.
#[utoipa::path(
    tag = "awards",
    params(("id" = Uuid, Path, description = "The award's id"), IdempotencyKey),
    responses((status = 200, description = "Completed", body = AwardView), (status = 409, description = "Not accepted, or not fully paid", body = Problem)),
    security(("bearer" = []))
)]
#[post("/awards/{id}/complete")]
pub async fn complete(
    state: web::Data<AppState>,
    auth: Authorized<can::ManageAwards>,
    req: HttpRequest,
    key: IdempotencyKey,
    id: web::Path<uuid::Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    respond_change(
        state,
        auth.principal,
        req,
        key,
        id,
        operations::awards::complete,
    )
    .await
}

/// An award's variations.
#[utoipa::path(
    tag = "awards",
    params(("id" = Uuid, Path, description = "The award's id")),
    responses((status = 200, description = "Its variations, oldest first", body = ListResponse<VariationView>), (status = 404, body = Problem)),
    security(("bearer" = []))
)]
#[get("/awards/{id}/variations")]
pub async fn list_variations(
    state: web::Data<AppState>,
    auth: Authorized<can::ReadAwards>,
    id: web::Path<uuid::Uuid>,
) -> Result<HttpResponse, ApiError> {
    let principal = auth.principal;
    let id = AwardId::from_uuid(id.into_inner());
    let list = blocking(move || {
        state
            .db
            .read(|c| operations::awards::variations(c, &principal, id))
    })
    .await?;
    Ok(HttpResponse::Ok().json(ListResponse::whole(list, VariationView::from)))
}

/// Change an award's amount, with a reason. Up needs headroom in the round
/// (409 otherwise); down can never go below what is paid or scheduled. An
/// amount outside the round's grant range is a 422 naming the range, unless
/// the body carries a `range_override` with the administrator's reason,
/// which is kept on the variation and audited (`award.varied_outside_range`).
#[utoipa::path(
    tag = "awards",
    params(("id" = Uuid, Path, description = "The award's id"), IdempotencyKey),
    request_body = VariationBody,
    responses(
        (status = 201, description = "Varied", body = VariedView),
        (status = 409, description = "Not enough in the round, below what is paid, or the award cannot be varied", body = Problem),
        (status = 422, description = "Invalid, or outside the round's grant range without a range_override", body = Problem),
    ),
    security(("bearer" = []))
)]
#[post("/awards/{id}/variations")]
pub async fn vary(
    state: web::Data<AppState>,
    auth: Authorized<can::ManageAwards>,
    req: HttpRequest,
    key: IdempotencyKey,
    id: web::Path<uuid::Uuid>,
    body: Json<VariationBody>,
) -> Result<HttpResponse, ApiError> {
    let principal = auth.principal;
    let id = AwardId::from_uuid(id.into_inner());
    let b = body.into_inner();
    let input = operations::awards::Variation {
        range_override: b
            .range_override
            .as_ref()
            .map(|o| operations::awards::range_override(&o.reason))
            .transpose()?,
        amount: b.amount,
        reason: b.reason,
    };
    let actor = principal.actor();
    idempotency::create(&state, &req, &principal, key, move |c| {
        let (record, variation) = operations::awards::vary(c, &actor, id, &input)?;
        Ok(Created {
            location: Some(format!("/v1/awards/{id}/variations")),
            version: Some(record.version),
            body: VariedView {
                variation: variation.into(),
                award: record.into(),
            },
        })
    })
    .await
}

/// An award's tranches.
#[utoipa::path(
    tag = "payments",
    params(("id" = Uuid, Path, description = "The award's id")),
    responses((status = 200, description = "Its tranches, oldest first", body = ListResponse<DisbursementView>), (status = 404, body = Problem)),
    security(("bearer" = []))
)]
#[get("/awards/{id}/disbursements")]
pub async fn list_disbursements(
    state: web::Data<AppState>,
    auth: Authorized<can::ReadAwards>,
    id: web::Path<uuid::Uuid>,
) -> Result<HttpResponse, ApiError> {
    let principal = auth.principal;
    let id = AwardId::from_uuid(id.into_inner());
    let list = blocking(move || {
        state
            .db
            .read(|c| operations::payments::tranches(c, &principal, id))
    })
    .await?;
    Ok(HttpResponse::Ok().json(ListResponse::whole(list, DisbursementView::from)))
}

/// Schedule a payment tranche: only for an accepted award whose grantee has
/// passed due diligence and, when the award's fund requires checks, has
/// each of them passed and unexpired today (the 409 names the check); never
/// more in total than the award.
#[utoipa::path(
    tag = "payments",
    params(("id" = Uuid, Path, description = "The award's id"), IdempotencyKey),
    request_body = NewDisbursementBody,
    responses(
        (status = 201, description = "Scheduled", body = DisbursementView),
        (status = 409, description = "Not accepted, due diligence not passed, a required check missing, failed or expired, or more than the award", body = Problem),
        (status = 422, description = "Invalid", body = Problem),
    ),
    security(("bearer" = []))
)]
#[post("/awards/{id}/disbursements")]
pub async fn schedule(
    state: web::Data<AppState>,
    auth: Authorized<can::ManageAwards>,
    req: HttpRequest,
    key: IdempotencyKey,
    id: web::Path<uuid::Uuid>,
    body: Json<NewDisbursementBody>,
) -> Result<HttpResponse, ApiError> {
    let principal = auth.principal;
    let id = AwardId::from_uuid(id.into_inner());
    let b = body.into_inner();
    let input = operations::payments::NewTranche {
        amount: b.amount,
        due_on: b.due_on,
    };
    let actor = principal.actor();
    idempotency::create(&state, &req, &principal, key, move |c| {
        let view = DisbursementView::from(operations::payments::schedule(c, &actor, id, input)?);
        Ok(Created::at(format!("/v1/awards/{id}/disbursements"), view))
    })
    .await
}
