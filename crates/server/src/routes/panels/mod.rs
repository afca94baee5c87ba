//! Assessment panels: a round's weighted criteria, assigning assessors,
//! score sheets, the panel view and its recommendations (issue 20).

mod views;

use actix_web::{HttpRequest, HttpResponse, get, post, put, web};
use grantledger_domain::assessment::criteria::ScoreSheet;
use grantledger_domain::ids::{ApplicationId, RoundId};

use crate::error::{ApiError, Problem};
use crate::extract::Json;
use crate::http::{ListResponse, blocking};
use crate::idempotency::{self, Created, IdempotencyKey};
use crate::operations::panels as op;
use crate::policy::{Authorized, can};
use crate::state::AppState;
pub use views::*;

/// A round's assessment criteria.
#[utoipa::path(
    tag = "panels",
    params(("id" = Uuid, Path, description = "The round's id")),
    responses((status = 200, description = "The criteria", body = CriteriaView), (status = 404, description = "No such round, or no criteria set", body = Problem)),
    security(("bearer" = []))
)]
#[get("/rounds/{id}/criteria")]
pub async fn get_criteria(
    state: web::Data<AppState>,
    _auth: Authorized<can::ReadApplications>,
    id: web::Path<uuid::Uuid>,
) -> Result<HttpResponse, ApiError> {
    let round = RoundId::from_uuid(id.into_inner());
    let criteria = blocking(move || state.db.read(|c| op::criteria(c, round))).await?;
    Ok(HttpResponse::Ok().json(CriteriaView::from(criteria)))
}

/// Set a round's weighted criteria, their scale and the disagreement
/// margin. Refused once anyone has scored the round.
#[utoipa::path(
    tag = "panels",
    params(("id" = Uuid, Path, description = "The round's id")),
    request_body = CriteriaBody,
    responses(
        (status = 200, description = "The criteria as set", body = CriteriaView),
        (status = 409, description = "Scoring has started", body = Problem),
        (status = 422, description = "Invalid criteria", body = Problem),
    ),
    security(("bearer" = []))
)]
#[put("/rounds/{id}/criteria")]
pub async fn put_criteria(
    state: web::Data<AppState>,
    auth: Authorized<can::ManagePanels>,
    id: web::Path<uuid::Uuid>,
    body: Json<CriteriaBody>,
) -> Result<HttpResponse, ApiError> {
    let round = RoundId::from_uuid(id.into_inner());
    let (criteria, margin) = body.into_inner().criteria()?;
    let actor = auth.principal.actor();
    let set = blocking(move || {
        state
            .db
            .write(|c| op::set_criteria(c, &actor, round, &criteria, margin))
    })
    .await?;
    Ok(HttpResponse::Ok().json(CriteriaView::from(set)))
}

/// Assign assessors to every application of the round awaiting assessment:
/// `per_application` each, the load balanced, never an assessor who
/// declared a conflict on the application.
#[utoipa::path(
    tag = "panels",
    params(("id" = Uuid, Path, description = "The round's id"), IdempotencyKey),
    request_body = AutoAssignBody,
    responses(
        (status = 201, description = "The assignments made", body = AssignmentPlanView),
        (status = 422, description = "Invalid", body = Problem),
    ),
    security(("bearer" = []))
)]
#[post("/rounds/{id}/assignments")]
pub async fn assign_round(
    state: web::Data<AppState>,
    auth: Authorized<can::ManagePanels>,
    req: HttpRequest,
    key: IdempotencyKey,
    id: web::Path<uuid::Uuid>,
    body: Json<AutoAssignBody>,
) -> Result<HttpResponse, ApiError> {
    let principal = auth.principal;
    let round = RoundId::from_uuid(id.into_inner());
    let body = body.into_inner();
    let actor = principal.actor();
    idempotency::create(&state, &req, &principal, key, move |c| {
        let plan = op::assign_automatically(
            c,
            &actor,
            round,
            body.per_application,
            body.assessors.clone(),
        )?;
        Ok(Created::unversioned(AssignmentPlanView::from(plan)))
    })
    .await
}

/// A round's assignments.
#[utoipa::path(
    tag = "panels",
    params(("id" = Uuid, Path, description = "The round's id")),
    responses((status = 200, description = "Every assignment", body = ListResponse<AssignmentView>), (status = 404, body = Problem)),
    security(("bearer" = []))
)]
#[get("/rounds/{id}/assignments")]
pub async fn list_assignments(
    state: web::Data<AppState>,
    _auth: Authorized<can::ReadPanels>,
    id: web::Path<uuid::Uuid>,
) -> Result<HttpResponse, ApiError> {
    let round = RoundId::from_uuid(id.into_inner());
    let pairs = blocking(move || state.db.read(|c| op::assignments(c, round))).await?;
    Ok(HttpResponse::Ok().json(ListResponse::whole(pairs, AssignmentView::from)))
}

/// The applications assigned to the caller.
#[utoipa::path(
    tag = "panels",
    responses((status = 200, description = "My assignments", body = ListResponse<AssignmentView>)),
    security(("bearer" = []))
)]
#[get("/me/assignments")]
pub async fn my_assignments(
    state: web::Data<AppState>,
    auth: Authorized<can::Assess>,
) -> Result<HttpResponse, ApiError> {
    let principal = auth.principal;
    let pairs = blocking(move || state.db.read(|c| op::my_assignments(c, &principal))).await?;
    Ok(HttpResponse::Ok().json(ListResponse::whole(pairs, AssignmentView::from)))
}

/// Assign one assessor to an application by hand; refused when they
/// declared a conflict on it or are assigned already.
#[utoipa::path(
    tag = "panels",
    params(("id" = Uuid, Path, description = "The application's id"), IdempotencyKey),
    request_body = AssignBody,
    responses(
        (status = 201, description = "Assigned", body = AssignmentView),
        (status = 409, description = "Conflicted, already assigned, or not awaiting assessment", body = Problem),
        (status = 422, description = "Not an assessor", body = Problem),
    ),
    security(("bearer" = []))
)]
#[post("/applications/{id}/assignments")]
pub async fn assign_one(
    state: web::Data<AppState>,
    auth: Authorized<can::ManagePanels>,
    req: HttpRequest,
    key: IdempotencyKey,
    id: web::Path<uuid::Uuid>,
    body: Json<AssignBody>,
) -> Result<HttpResponse, ApiError> {
    let principal = auth.principal;
    let application = ApplicationId::from_uuid(id.into_inner());
    let assessor = body.into_inner().assessor_id;
    let actor = principal.actor();
    idempotency::create(&state, &req, &principal, key, move |c| {
        let pair = op::assign(c, &actor, application, assessor)?;
        Ok(Created::unversioned(AssignmentView::from(pair)))
    })
    .await
}

/// Record the caller's score sheet on an application they are assigned to.
#[utoipa::path(
    tag = "panels",
    params(("id" = Uuid, Path, description = "The application's id"), IdempotencyKey),
    request_body = ScoreSheetBody,
    responses(
        (status = 201, description = "Recorded", body = ScoreSheetView),
        (status = 409, description = "Not assigned, conflicted, already scored, or no criteria", body = Problem),
        (status = 422, description = "Scores do not match the criteria", body = Problem),
    ),
    security(("bearer" = []))
)]
#[post("/applications/{id}/score-sheet")]
pub async fn score(
    state: web::Data<AppState>,
    auth: Authorized<can::Assess>,
    req: HttpRequest,
    key: IdempotencyKey,
    id: web::Path<uuid::Uuid>,
    body: Json<ScoreSheetBody>,
) -> Result<HttpResponse, ApiError> {
    let principal = auth.principal;
    let application = ApplicationId::from_uuid(id.into_inner());
    let scores = body.into_inner().scores;
    let caller = principal.clone();
    idempotency::create(&state, &req, &principal, key, move |c| {
        let sheet: ScoreSheet = op::score(c, &caller, application, scores.clone())?;
        Ok(Created::unversioned(ScoreSheetView {
            application_id: application,
            scores: sheet.scores().cloned().collect(),
            weighted: sheet.weighted_score().into(),
        }))
    })
    .await
}

/// The panel view: every application's weighted scores side by side, the
/// spread flagged where assessors disagree by more than the margin.
#[utoipa::path(
    tag = "panels",
    params(("id" = Uuid, Path, description = "The round's id")),
    responses((status = 200, description = "The panel view", body = PanelView), (status = 404, description = "No such round, or no criteria set", body = Problem)),
    security(("bearer" = []))
)]
#[get("/rounds/{id}/panel")]
pub async fn panel(
    state: web::Data<AppState>,
    _auth: Authorized<can::ReadPanels>,
    id: web::Path<uuid::Uuid>,
) -> Result<HttpResponse, ApiError> {
    let round = RoundId::from_uuid(id.into_inner());
    let found = blocking(move || state.db.read(|c| op::panel(c, round))).await?;
    Ok(HttpResponse::Ok().json(PanelView::from(found)))
}

/// Record the panel's recommendation on an application awaiting a
/// decision, replacing any earlier one.
#[utoipa::path(
    tag = "panels",
    params(("id" = Uuid, Path, description = "The application's id")),
    request_body = RecommendationBody,
    responses(
        (status = 200, description = "Recorded", body = RecommendationView),
        (status = 409, description = "Already decided", body = Problem),
        (status = 422, description = "Invalid", body = Problem),
    ),
    security(("bearer" = []))
)]
#[put("/applications/{id}/panel-recommendation")]
pub async fn recommend(
    state: web::Data<AppState>,
    auth: Authorized<can::ManagePanels>,
    id: web::Path<uuid::Uuid>,
    body: Json<RecommendationBody>,
) -> Result<HttpResponse, ApiError> {
    let application = ApplicationId::from_uuid(id.into_inner());
    let body = body.into_inner();
    let actor = auth.principal.actor();
    let recorded = blocking(move || {
        state
            .db
            .write(|c| op::recommend(c, &actor, application, body.decision, &body.note))
    })
    .await?;
    Ok(HttpResponse::Ok().json(RecommendationView::from(&recorded)))
}
