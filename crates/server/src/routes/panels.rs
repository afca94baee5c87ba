//! Assessment panels: a round's weighted criteria, assigning assessors,
//! score sheets, and the panel view (issue 20).

use actix_web::{HttpRequest, HttpResponse, get, post, put, web};
use chrono::{DateTime, Utc};
use grantledger_domain::assessment::assignment::{
    AssessorsPerApplication, AssignmentPair, AssignmentPlan,
};
use grantledger_domain::assessment::criteria::{
    Criteria, Criterion, CriterionScore, Scale, ScoreSheet, WeightedScore,
};
use grantledger_domain::assessment::moderation::{
    Margin, ModerationRow, PanelDecision, PanelRecommendation,
};
use grantledger_domain::ids::{ApplicationId, CriterionId, RoundId, UserId};
use grantledger_store::panels::RoundCriteria;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{ApiError, Problem};
use crate::extract::Json;
use crate::http::{ListResponse, blocking};
use crate::idempotency::{self, Created, IdempotencyKey};
use crate::operations::panels as op;
use crate::policy::{Authorized, can};
use crate::state::AppState;

/// A scale of whole-number scores.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScaleBody {
    /// The lowest score.
    pub min: u8,
    /// The highest score (at most 100).
    pub max: u8,
}

/// One criterion as an administrator sets it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CriterionBody {
    /// Keep a criterion's id when changing it; a new one is made when absent.
    pub id: Option<CriterionId>,
    /// What assessors score, e.g. "Reaches people who are lonely".
    pub name: String,
    /// What a high or low score means (may be empty).
    #[serde(default)]
    pub guidance: String,
    /// Its weight, a whole number from 1 to 100.
    pub weight: u8,
}

/// A round's criteria.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CriteriaBody {
    /// The scale every criterion is scored on.
    pub scale: ScaleBody,
    /// One to twenty criteria with different names.
    pub criteria: Vec<CriterionBody>,
    /// The panel flags an application whose assessors' weighted scores
    /// differ by more than this (a decimal on the scale, e.g. "1.5").
    #[schema(value_type = String, example = "1.5")]
    pub margin: Margin,
}

impl CriteriaBody {
    /// The domain's criteria and margin, or a 422 naming what is wrong.
    ///
    /// # Errors
    /// [`ApiError::Unprocessable`] naming `scale`, `criteria[i]` or `criteria`.
    pub fn criteria(self) -> Result<(Criteria, Margin), ApiError> {
        let scale = Scale::new(self.scale.min, self.scale.max)
            .map_err(|e| ApiError::invalid("scale", e.to_string()))?;
        let criteria = self
            .criteria
            .into_iter()
            .enumerate()
            .map(|(i, c)| {
                Criterion::new(
                    c.id.unwrap_or_else(CriterionId::new),
                    &c.name,
                    &c.guidance,
                    c.weight,
                )
                .map_err(|e| ApiError::invalid(format!("criteria[{i}]"), e.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let criteria = Criteria::new(scale, criteria)
            .map_err(|e| ApiError::invalid("criteria", e.to_string()))?;
        Ok((criteria, self.margin))
    }
}

/// One criterion.
#[derive(Debug, Serialize, ToSchema)]
pub struct CriterionView {
    /// Its id, which score sheets name.
    pub id: CriterionId,
    /// What assessors score.
    pub name: String,
    /// What a high or low score means.
    pub guidance: String,
    /// Its weight.
    pub weight: u8,
}

/// A round's criteria.
#[derive(Debug, Serialize, ToSchema)]
pub struct CriteriaView {
    /// The round.
    pub round_id: RoundId,
    /// The scale.
    pub scale: ScaleBody,
    /// The criteria.
    pub criteria: Vec<CriterionView>,
    /// The disagreement margin.
    pub margin: String,
    /// Counts changes.
    pub version: i64,
    /// When they last changed.
    pub updated_at: DateTime<Utc>,
}

impl From<RoundCriteria> for CriteriaView {
    fn from(r: RoundCriteria) -> Self {
        let scale = r.criteria.scale();
        CriteriaView {
            round_id: r.round_id,
            scale: ScaleBody {
                min: scale.min(),
                max: scale.max(),
            },
            criteria: r
                .criteria
                .criteria()
                .iter()
                .map(|c| CriterionView {
                    id: c.id(),
                    name: c.name().to_string(),
                    guidance: c.guidance().as_str().to_owned(),
                    weight: c.weight().into(),
                })
                .collect(),
            margin: r.margin.value().to_string(),
            version: r.version,
            updated_at: r.updated_at,
        }
    }
}

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

/// Assign assessors automatically.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AutoAssignBody {
    /// How many assessors each application should have (1 to 10).
    #[schema(value_type = u8)]
    pub per_application: AssessorsPerApplication,
    /// The assessors to draw on; every enabled assessor when absent.
    #[serde(default)]
    pub assessors: Vec<UserId>,
}

/// One assessor assigned to one application.
#[derive(Debug, Serialize, ToSchema)]
pub struct AssignmentView {
    /// The application.
    pub application_id: ApplicationId,
    /// The assessor.
    pub assessor_id: UserId,
}

impl From<AssignmentPair> for AssignmentView {
    fn from(p: AssignmentPair) -> Self {
        AssignmentView {
            application_id: p.application_id,
            assessor_id: p.assessor_id,
        }
    }
}

/// An application that could not get as many assessors as asked.
#[derive(Debug, Serialize, ToSchema)]
pub struct ShortfallView {
    /// The application.
    pub application_id: ApplicationId,
    /// How many were asked for.
    pub wanted: u8,
    /// How many it has now.
    pub assigned: usize,
    /// How many assessors are free of a conflict on it.
    pub eligible: usize,
}

/// What automatic assignment did.
#[derive(Debug, Serialize, ToSchema)]
pub struct AssignmentPlanView {
    /// The assignments made now.
    pub assignments: Vec<AssignmentView>,
    /// Applications left with fewer assessors than asked, and why.
    pub shortfalls: Vec<ShortfallView>,
}

impl From<AssignmentPlan> for AssignmentPlanView {
    fn from(plan: AssignmentPlan) -> Self {
        AssignmentPlanView {
            assignments: plan
                .assignments
                .into_iter()
                .map(AssignmentView::from)
                .collect(),
            shortfalls: plan
                .shortfalls
                .into_iter()
                .map(|s| ShortfallView {
                    application_id: s.application_id,
                    wanted: s.wanted,
                    assigned: s.assigned,
                    eligible: s.eligible,
                })
                .collect(),
        }
    }
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
    Ok(HttpResponse::Ok().json(ListResponse {
        items: pairs
            .into_iter()
            .map(AssignmentView::from)
            .collect::<Vec<_>>(),
        next: None,
    }))
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
    Ok(HttpResponse::Ok().json(ListResponse {
        items: pairs
            .into_iter()
            .map(AssignmentView::from)
            .collect::<Vec<_>>(),
        next: None,
    }))
}

/// Assign one assessor.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignBody {
    /// The assessor.
    pub assessor_id: UserId,
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

/// An assessor's scores, one per criterion.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScoreSheetBody {
    /// Every criterion of the round, scored once.
    #[schema(value_type = Vec<Object>)]
    pub scores: Vec<CriterionScore>,
}

/// A weighted score: exact to two places, and as a percentage of the scale.
#[derive(Debug, Serialize, ToSchema)]
pub struct WeightedScoreView {
    /// Σ(weight × score) ÷ Σ(weight), half-up to two places.
    pub score: String,
    /// The same as a percentage of the scale.
    pub percent_of_scale: String,
}

impl From<WeightedScore> for WeightedScoreView {
    fn from(w: WeightedScore) -> Self {
        WeightedScoreView {
            score: w.rounded().to_string(),
            percent_of_scale: w.percent_of_scale().to_string(),
        }
    }
}

/// A recorded score sheet.
#[derive(Debug, Serialize, ToSchema)]
pub struct ScoreSheetView {
    /// The application.
    pub application_id: ApplicationId,
    /// The scores as recorded.
    #[schema(value_type = Vec<Object>)]
    pub scores: Vec<CriterionScore>,
    /// The weighted score.
    pub weighted: WeightedScoreView,
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

/// One assessor's weighted score in the panel view.
#[derive(Debug, Serialize, ToSchema)]
pub struct PanelScoreView {
    /// The assessor.
    pub assessor_id: UserId,
    /// Their weighted score.
    pub weighted: WeightedScoreView,
}

/// One application in the panel view.
#[derive(Debug, Serialize, ToSchema)]
pub struct PanelRowView {
    /// The application.
    pub application_id: ApplicationId,
    /// Each counted assessor's weighted score.
    pub scores: Vec<PanelScoreView>,
    /// The mean weighted score (half-up to two places); absent when unscored.
    pub mean: Option<String>,
    /// Highest less lowest weighted score; absent when unscored.
    pub spread: Option<String>,
    /// Whether the spread is wider than the round's margin.
    pub disagreement: bool,
    /// Sheets left out because their assessor declared a conflict.
    pub conflicted_sheets: usize,
    /// The panel's recommendation, once it has made one.
    pub recommendation: Option<RecommendationView>,
}

/// The panel's recommendation on an application.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecommendationView {
    /// The application.
    pub application_id: ApplicationId,
    /// `award`, `reject` or `reserve`.
    #[schema(value_type = String)]
    pub decision: PanelDecision,
    /// The panel's note (staff only, like everything on the panel).
    pub note: Option<String>,
}

impl From<&PanelRecommendation> for RecommendationView {
    fn from(r: &PanelRecommendation) -> Self {
        RecommendationView {
            application_id: r.application_id(),
            decision: r.decision(),
            note: r.note().map(str::to_owned),
        }
    }
}

impl PanelRowView {
    /// A row of the panel with the recommendation on it, if any.
    #[must_use]
    pub fn new(r: ModerationRow, recommendation: Option<&PanelRecommendation>) -> Self {
        PanelRowView {
            recommendation: recommendation.map(RecommendationView::from),
            application_id: r.application_id,
            scores: r
                .scores
                .iter()
                .map(|s| PanelScoreView {
                    assessor_id: s.assessor_id,
                    weighted: s.score.into(),
                })
                .collect(),
            mean: r.mean_rounded().map(|d| d.to_string()),
            spread: r.spread_rounded().map(|d| d.to_string()),
            disagreement: r.disagreement,
            conflicted_sheets: r.conflicted_sheets,
        }
    }
}

/// The panel view of a round.
#[derive(Debug, Serialize, ToSchema)]
pub struct PanelView {
    /// The criteria scored against.
    pub criteria: CriteriaView,
    /// One row per application, highest mean first, unscored last.
    pub rows: Vec<PanelRowView>,
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

impl From<op::Panel> for PanelView {
    fn from(found: op::Panel) -> Self {
        let recommendations = found.recommendations;
        PanelView {
            criteria: found.criteria.into(),
            rows: found
                .rows
                .into_iter()
                .map(|r| {
                    let rec = recommendations.get(&r.application_id);
                    PanelRowView::new(r, rec)
                })
                .collect(),
        }
    }
}

/// The panel's recommendation.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecommendationBody {
    /// `award`, `reject` or `reserve` (fund it if money is left).
    #[schema(value_type = String)]
    pub decision: PanelDecision,
    /// A note for staff (optional, at most 2,000 characters).
    #[serde(default)]
    pub note: String,
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
