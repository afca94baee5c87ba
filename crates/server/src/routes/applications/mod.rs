//! Applications: drafts, submission, review, assessment and decisions. Each
//! handler parses, calls one operation in [`crate::operations::applications`]
//! and answers.

mod review;
mod views;

use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use grantledger_domain::ids::{ApplicationId, RoundId};

use crate::error::{ApiError, Problem};
use crate::extract::Json;
use crate::http::{ListResponse, PageQuery, blocking, read_one, require_if_match, write_one};
use crate::idempotency::{self, Created, IdempotencyKey};
use crate::operations::applications as op;
use crate::policy::{Authorized, can};
use crate::state::AppState;
pub use review::*;
pub use views::*;

/// Start a draft application to a round.
#[utoipa::path(
    tag = "applications",
    params(("id" = Uuid, Path, description = "The round's id"), IdempotencyKey),
    request_body = NewApplicationBody,
    responses(
        (status = 201, description = "The draft", body = ApplicationView),
        (status = 404, description = "No such round", body = Problem),
        (status = 409, description = "The round has closed", body = Problem),
        (status = 422, description = "Invalid", body = Problem),
    ),
    security(("bearer" = []))
)]
#[post("/rounds/{id}/applications")]
pub async fn create_application(
    state: web::Data<AppState>,
    auth: Authorized<can::Apply>,
    req: HttpRequest,
    key: IdempotencyKey,
    id: web::Path<uuid::Uuid>,
    body: Json<NewApplicationBody>,
) -> Result<HttpResponse, ApiError> {
    let principal = auth.principal;
    let input = body
        .into_inner()
        .into_input(RoundId::from_uuid(id.into_inner()));
    let caller = principal.clone();
    idempotency::create(&state, &req, &principal, key, move |c| {
        let view = ApplicationView::from((op::start(c, &caller, input)?, caller.role));
        Ok(Created::at(format!("/v1/applications/{}", view.id), view))
    })
    .await
}

/// A round's applications. A grantee sees only its own.
#[utoipa::path(
    tag = "applications",
    params(("id" = Uuid, Path, description = "The round's id"), ApplicationQuery),
    responses((status = 200, description = "A page of applications", body = ListResponse<ApplicationView>), (status = 404, body = Problem)),
    security(("bearer" = []))
)]
#[get("/rounds/{id}/applications")]
pub async fn list_applications(
    state: web::Data<AppState>,
    auth: Authorized<can::ReadApplications>,
    id: web::Path<uuid::Uuid>,
    query: crate::extract::Query<ApplicationQuery>,
) -> Result<HttpResponse, ApiError> {
    let principal = auth.principal;
    let reader = principal.role;
    let round_id = RoundId::from_uuid(id.into_inner());
    let q = query.into_inner();
    let page = PageQuery {
        limit: q.limit,
        after: q.after,
    }
    .page();
    let filter = grantledger_store::applications::ApplicationFilter {
        round_id: None,
        grantee_id: q.grantee_id,
        status: q.status,
        region: q.region,
        min_amount: q.min_amount,
        max_amount: q.max_amount,
        min_score: q.min_score,
        order: q.sort.unwrap_or_default(),
    };
    let page = blocking(move || {
        state
            .db
            .read(|c| op::list(c, &principal, round_id, filter, page))
    })
    .await?;
    Ok(HttpResponse::Ok().json(ListResponse::from_page(page, |r| {
        ApplicationView::from((r, reader))
    })))
}

/// One application.
#[utoipa::path(
    tag = "applications",
    params(("id" = Uuid, Path, description = "The application's id")),
    responses((status = 200, description = "The application", body = ApplicationView), (status = 404, body = Problem)),
    security(("bearer" = []))
)]
#[get("/applications/{id}")]
pub async fn get_one(
    state: web::Data<AppState>,
    auth: Authorized<can::ReadApplications>,
    id: web::Path<uuid::Uuid>,
) -> Result<HttpResponse, ApiError> {
    let principal = auth.principal;
    let id = ApplicationId::from_uuid(id.into_inner());
    read_one::<ApplicationView, _>(&state, move |c| {
        op::visible(c, &principal, id).map(|r| (r, principal.role))
    })
    .await
}

/// Change a draft. Requires `If-Match`.
#[utoipa::path(
    tag = "applications",
    params(("id" = Uuid, Path, description = "The application's id"), ("If-Match" = String, Header, description = "The ETag you read")),
    request_body = ApplicationChangesBody,
    responses(
        (status = 200, description = "The changed draft", body = ApplicationView),
        (status = 409, description = "No longer a draft", body = Problem),
        (status = 412, description = "Changed since you read it", body = Problem),
        (status = 422, description = "Invalid", body = Problem),
    ),
    security(("bearer" = []))
)]
#[patch("/applications/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    auth: Authorized<can::Apply>,
    req: HttpRequest,
    id: web::Path<uuid::Uuid>,
    body: Json<ApplicationChangesBody>,
) -> Result<HttpResponse, ApiError> {
    let principal = auth.principal;
    let if_match = require_if_match(&req)?;
    let id = ApplicationId::from_uuid(id.into_inner());
    let changes = body.into_inner().into();
    write_one::<ApplicationView, _>(&state, move |c| {
        op::update(c, &principal, id, if_match, changes).map(|r| (r, principal.role))
    })
    .await
}

/// Runs an application's state change and answers with the application.
pub(super) async fn transition(
    state: web::Data<AppState>,
    principal: crate::auth::principal::Principal,
    id: uuid::Uuid,
    change: impl FnOnce(
        &mut grantledger_store::AnyConnection,
        &crate::auth::principal::Principal,
        ApplicationId,
    ) -> Result<
        grantledger_store::common::Record<grantledger_store::applications::Stored>,
        ApiError,
    > + Send
    + 'static,
) -> Result<HttpResponse, ApiError> {
    let id = ApplicationId::from_uuid(id);
    write_one::<ApplicationView, _>(&state, move |c| {
        change(c, &principal, id).map(|r| (r, principal.role))
    })
    .await
}

/// Submit a draft: only while the round is open and only if eligible. A 422
/// lists every eligibility rule the application fails.
#[utoipa::path(
    tag = "applications",
    params(("id" = Uuid, Path, description = "The application's id")),
    responses(
        (status = 200, description = "Submitted", body = ApplicationView),
        (status = 409, description = "Not a draft, or the round is not open", body = Problem),
        (status = 422, description = "Not eligible: each failed rule is listed", body = Problem),
    ),
    security(("bearer" = []))
)]
#[post("/applications/{id}/submit")]
pub async fn submit(
    state: web::Data<AppState>,
    auth: Authorized<can::Apply>,
    id: web::Path<uuid::Uuid>,
) -> Result<HttpResponse, ApiError> {
    let notices = state.notices.clone();
    let submit = move |c: &mut _, p: &_, id| op::submit(c, &notices, p, id);
    transition(state, auth.principal, id.into_inner(), submit).await
}

/// Withdraw an application that is not yet decided.
#[utoipa::path(
    tag = "applications",
    params(("id" = Uuid, Path, description = "The application's id")),
    responses((status = 200, description = "Withdrawn", body = ApplicationView), (status = 409, description = "Already decided or withdrawn", body = Problem)),
    security(("bearer" = []))
)]
#[post("/applications/{id}/withdraw")]
pub async fn withdraw(
    state: web::Data<AppState>,
    auth: Authorized<can::Apply>,
    id: web::Path<uuid::Uuid>,
) -> Result<HttpResponse, ApiError> {
    transition(state, auth.principal, id.into_inner(), op::withdraw).await
}

/// Give a draft alone a later deadline than its round's, with a reason,
/// instead of reopening the round for everyone. Audited as
/// `application.deadline_extended`; giving another replaces it.
#[utoipa::path(
    tag = "applications",
    params(("id" = Uuid, Path, description = "The application's id")),
    request_body = DeadlineExtensionView,
    responses(
        (status = 200, description = "The application with its new deadline", body = ApplicationView),
        (status = 404, body = Problem),
        (status = 409, description = "Not a draft", body = Problem),
        (status = 422, description = "The deadline is not after the round's, or no reason", body = Problem),
    ),
    security(("bearer" = []))
)]
#[post("/applications/{id}/deadline-extension")]
pub async fn extend_deadline(
    state: web::Data<AppState>,
    auth: Authorized<can::Decide>,
    id: web::Path<uuid::Uuid>,
    body: Json<DeadlineExtensionView>,
) -> Result<HttpResponse, ApiError> {
    let principal = auth.principal;
    let id = ApplicationId::from_uuid(id.into_inner());
    let b = body.into_inner();
    write_one::<ApplicationView, _>(&state, move |c| {
        op::extend_deadline(c, &principal, id, b.until, &b.reason).map(|r| (r, principal.role))
    })
    .await
}
