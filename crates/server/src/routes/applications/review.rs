//! Review: start it, assess, and decide one application or many.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use grantledger_domain::assessment::Assessment;
use grantledger_domain::ids::{ApplicationId, RoundId};

use super::transition;
use super::views::*;
use crate::error::{ApiError, Problem};
use crate::extract::Json;
use crate::http::{ListResponse, blocking};
use crate::idempotency::{self, Created, IdempotencyKey};
use crate::operations::applications as op;
use crate::policy::{Authorized, can};
use crate::state::AppState;

/// Move a submitted application into review.
#[utoipa::path(
    tag = "applications",
    params(("id" = Uuid, Path, description = "The application's id")),
    responses((status = 200, description = "Under review", body = ApplicationView), (status = 409, description = "Not submitted", body = Problem)),
    security(("bearer" = []))
)]
#[post("/applications/{id}/start-review")]
pub async fn start_review(
    state: web::Data<AppState>,
    auth: Authorized<can::Assess>,
    id: web::Path<uuid::Uuid>,
) -> Result<HttpResponse, ApiError> {
    transition(state, auth.principal, id.into_inner(), op::start_review).await
}

/// An application's assessments. An assessor who has declared a conflict
/// of interest on it sees only their own.
#[utoipa::path(
    tag = "applications",
    params(("id" = Uuid, Path, description = "The application's id")),
    responses((status = 200, description = "Its assessments", body = ListResponse<AssessmentView>), (status = 404, body = Problem)),
    security(("bearer" = []))
)]
#[get("/applications/{id}/assessments")]
pub async fn list_assessments(
    state: web::Data<AppState>,
    auth: Authorized<can::Assess>,
    id: web::Path<uuid::Uuid>,
) -> Result<HttpResponse, ApiError> {
    let viewer = auth.principal.user_id;
    let id = ApplicationId::from_uuid(id.into_inner());
    let all = blocking(move || state.db.read(|c| op::assessments(c, id))).await?;
    let views: Vec<AssessmentView> = Assessment::visible_to(&all, viewer)
        .into_iter()
        .map(|a| assessment_view(a, &all))
        .collect();
    Ok(HttpResponse::Ok().json(ListResponse {
        items: views,
        next: None,
    }))
}

/// Record an assessment: a score and recommendation, or a declared conflict
/// of interest (after which the assessor cannot score it).
#[utoipa::path(
    tag = "applications",
    params(("id" = Uuid, Path, description = "The application's id"), IdempotencyKey),
    request_body = AssessmentBody,
    responses(
        (status = 201, description = "Recorded", body = AssessmentView),
        (status = 409, description = "Conflict of interest, already scored, or not assessable", body = Problem),
        (status = 422, description = "Invalid", body = Problem),
    ),
    security(("bearer" = []))
)]
#[post("/applications/{id}/assessments")]
pub async fn assess(
    state: web::Data<AppState>,
    auth: Authorized<can::Assess>,
    req: HttpRequest,
    key: IdempotencyKey,
    id: web::Path<uuid::Uuid>,
    body: Json<AssessmentBody>,
) -> Result<HttpResponse, ApiError> {
    let principal = auth.principal;
    let id = ApplicationId::from_uuid(id.into_inner());
    let outcome = body.into_inner().outcome()?;
    let caller = principal.clone();
    idempotency::create(&state, &req, &principal, key, move |c| {
        let (assessment, all) = op::assess(c, &caller, id, outcome)?;
        Ok(Created::unversioned(assessment_view(&assessment, &all)))
    })
    .await
}

/// Award or reject an application. An award commits its amount from the
/// round in the same transaction: when the round cannot cover it the answer
/// is 409 and nothing changes.
#[utoipa::path(
    tag = "applications",
    params(("id" = Uuid, Path, description = "The application's id"), IdempotencyKey),
    request_body = DecisionBody,
    responses(
        (status = 201, description = "Decided", body = DecisionView),
        (status = 409, description = "Already decided, or the round cannot cover the award", body = Problem),
        (status = 422, description = "Invalid amount or reason", body = Problem),
    ),
    security(("bearer" = []))
)]
#[post("/applications/{id}/decision")]
pub async fn decide_one(
    state: web::Data<AppState>,
    auth: Authorized<can::Decide>,
    req: HttpRequest,
    key: IdempotencyKey,
    id: web::Path<uuid::Uuid>,
    body: Json<DecisionBody>,
) -> Result<HttpResponse, ApiError> {
    let principal = auth.principal;
    let reader = principal.role;
    let id = ApplicationId::from_uuid(id.into_inner());
    let body = body.into_inner();
    let actor = principal.actor();
    let notices = state.notices.clone();
    idempotency::create(&state, &req, &principal, key, move |c| {
        let view = DecisionView::from((op::decide(c, &notices, id, None, &body, &actor)?, reader));
        let location = view.award.as_ref().map(|a| format!("/v1/awards/{}", a.id));
        Ok(Created {
            location,
            version: None,
            body: view,
        })
    })
    .await
}

/// Decide many applications of a round in one request. Each item is decided
/// within its own savepoint, so one that fails (the round run dry, an
/// invalid amount) does not undo the others; the batch commits as a whole,
/// and the answer reports every item.
#[utoipa::path(
    tag = "applications",
    params(("id" = Uuid, Path, description = "The round's id"), IdempotencyKey),
    request_body = BulkDecisionBody,
    responses(
        (status = 200, description = "Each item's result", body = BulkDecisionView),
        (status = 422, description = "Too many items", body = Problem),
    ),
    security(("bearer" = []))
)]
#[post("/rounds/{id}/decisions")]
pub async fn bulk_decision(
    state: web::Data<AppState>,
    auth: Authorized<can::Decide>,
    req: HttpRequest,
    key: IdempotencyKey,
    id: web::Path<uuid::Uuid>,
    body: Json<BulkDecisionBody>,
) -> Result<HttpResponse, ApiError> {
    let principal = auth.principal;
    let round_id = RoundId::from_uuid(id.into_inner());
    let items = crate::input_errors::validated(body.into_inner())?.decisions;
    let actor = principal.actor();
    let notices = state.notices.clone();
    idempotency::write(&state, &req, &principal, key, StatusCode::OK, move |c| {
        let items = items
            .into_iter()
            .map(|item| {
                let body = DecisionBody {
                    outcome: item.outcome,
                    amount: item.amount,
                    feedback: item.feedback,
                    internal_note: item.internal_note,
                };
                (item.application_id, body)
            })
            .collect();
        let results: Vec<BulkDecisionResult> =
            crate::operations::bulk_decisions::decide_many(c, &notices, round_id, items, &actor)?
                .into_iter()
                .map(|(application_id, outcome)| match outcome {
                    Ok(decided) => BulkDecisionResult {
                        application_id,
                        status: 201,
                        award: decided.award.map(crate::routes::awards::AwardView::from),
                        problem: None,
                    },
                    Err(error) => {
                        let problem = error.problem();
                        BulkDecisionResult {
                            application_id,
                            status: problem.status,
                            award: None,
                            problem: Some(problem),
                        }
                    }
                })
                .collect();
        let succeeded = results.iter().filter(|r| r.status == 201).count();
        Ok(Created::unversioned(BulkDecisionView {
            succeeded,
            failed: results.len() - succeeded,
            results,
        }))
    })
    .await
}
