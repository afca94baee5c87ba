//! Applications: drafts, submission, review, assessment and decisions.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use chrono::{DateTime, SubsecRound, Utc};
use grantledger_domain::Money;
use grantledger_domain::application::{
    Application, ApplicationStatus, Decision, DecisionError, ExtensionError, SubmitError,
};
use grantledger_domain::assessment::{Assessment, AssessmentOutcome, Recommendation, Score};
use grantledger_domain::award::Award;
use grantledger_domain::ids::{ApplicationId, AssessmentId, AwardId, GranteeId, RoundId, UserId};
use grantledger_domain::reference::AwardReference;
use grantledger_domain::user::Role;
use grantledger_store::common::{Actor, Record};
use grantledger_store::{AnyConnection, applications, awards, funds, grantees, rounds};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::principal::Principal;
use crate::error::{ApiError, FieldError, Problem};
use crate::extract::Json;
use crate::http::{Fields, ListResponse, PageQuery, blocking, ok_versioned, require_if_match};
use crate::idempotency::{self, Created, IdempotencyKey};
use crate::policy::{Authorized, can};
use crate::routes::awards::AwardView;
use crate::state::AppState;

/// An application as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApplicationView {
    /// The application's id.
    pub id: ApplicationId,
    /// The round applied to.
    pub round_id: RoundId,
    /// The applicant.
    pub grantee_id: GranteeId,
    /// What is asked for.
    pub amount_requested: Money,
    /// The project's title.
    pub project_title: String,
    /// What the project will do.
    pub summary: String,
    /// `draft`, `submitted`, `under_review`, `awarded`, `rejected` or `withdrawn`.
    pub status: ApplicationStatus,
    /// When it was submitted.
    pub submitted_at: Option<DateTime<Utc>>,
    /// When it was awarded or rejected.
    pub decided_at: Option<DateTime<Utc>>,
    /// Why it was rejected.
    pub decision_reason: Option<String>,
    /// A later deadline for this application alone, with the reason an
    /// administrator gave it; absent when it has none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deadline_extension: Option<DeadlineExtensionView>,
    /// The version, also sent as the `ETag`.
    pub version: i64,
    /// When it was started.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

impl From<Record<applications::Stored>> for ApplicationView {
    fn from(r: Record<applications::Stored>) -> Self {
        let a = r.value.application;
        ApplicationView {
            id: a.id,
            round_id: a.round_id,
            grantee_id: a.grantee_id,
            amount_requested: a.amount_requested,
            project_title: a.project_title,
            summary: a.summary,
            status: a.status,
            submitted_at: a.submitted_at,
            decided_at: r.value.decided_at,
            decision_reason: r.value.decision_reason,
            deadline_extension: a.deadline_extension.map(|e| DeadlineExtensionView {
                until: e.until,
                reason: e.reason,
            }),
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// A later deadline for one application.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeadlineExtensionView {
    /// It may be submitted until this instant.
    pub until: DateTime<Utc>,
    /// Why the extension was given.
    pub reason: String,
}

/// A new draft application.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewApplicationBody {
    /// What is asked for.
    pub amount_requested: Money,
    /// The project's title.
    pub project_title: String,
    /// What the project will do.
    pub summary: String,
    /// The applicant; administrators only (a grantee applies for its own organisation).
    pub grantee_id: Option<GranteeId>,
}

/// Changes to a draft; absent fields stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplicationChangesBody {
    /// A new amount.
    pub amount_requested: Option<Money>,
    /// A new title.
    pub project_title: Option<String>,
    /// A new summary.
    pub summary: Option<String>,
}

/// Filters for a round's applications.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ApplicationQuery {
    /// Only applications in this status.
    pub status: Option<ApplicationStatus>,
    /// Only this grantee's.
    pub grantee_id: Option<GranteeId>,
    /// Most items to return (1–500, default 50).
    #[param(inline)]
    pub limit: Option<crate::http::PageLimit>,
    /// The `next` cursor from the previous page.
    pub after: Option<uuid::Uuid>,
}

/// What an assessor records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AssessmentKind {
    /// A score from 0 to 10 and a recommendation.
    Scored,
    /// The assessor has a conflict of interest and will not score.
    ConflictDeclared,
}

/// An assessor's view of an application: `kind` says which of the other
/// fields it takes. One flat object rather than a tagged union, so that every
/// invalid field is named by its own path.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssessmentBody {
    /// `scored` or `conflict_declared`.
    pub kind: AssessmentKind,
    /// 0 to 10; required when scored.
    #[schema(value_type = Option<u8>, minimum = 0, maximum = 10)]
    pub score: Option<Score>,
    /// `award` or `reject`; required when scored.
    pub recommendation: Option<Recommendation>,
    /// Notes for the panel, when scored.
    pub comment: Option<String>,
    /// What the conflict is; required when declaring one.
    pub declaration: Option<String>,
}

impl AssessmentBody {
    /// The outcome it records, or every field that does not fit its kind.
    fn outcome(self) -> Result<AssessmentOutcome, ApiError> {
        let mut fields = Fields::default();
        let outcome = match self.kind {
            AssessmentKind::Scored => {
                if self.declaration.is_some() {
                    fields.reject(
                        "declaration",
                        "declaration is only for kind conflict_declared",
                    );
                }
                if self.score.is_none() {
                    fields.reject("score", "score is required when kind is scored");
                }
                if self.recommendation.is_none() {
                    fields.reject(
                        "recommendation",
                        "recommendation is required when kind is scored",
                    );
                }
                self.score
                    .zip(self.recommendation)
                    .map(|(score, recommendation)| AssessmentOutcome::Scored {
                        score,
                        recommendation,
                        comment: self.comment.unwrap_or_default(),
                    })
            }
            AssessmentKind::ConflictDeclared => {
                for (field, given) in [
                    ("score", self.score.is_some()),
                    ("recommendation", self.recommendation.is_some()),
                    ("comment", self.comment.is_some()),
                ] {
                    if given {
                        fields.reject(field, format!("{field} is only for kind scored"));
                    }
                }
                if self.declaration.is_none() {
                    fields.reject(
                        "declaration",
                        "declaration is required when kind is conflict_declared",
                    );
                }
                self.declaration
                    .map(|declaration| AssessmentOutcome::ConflictDeclared { declaration })
            }
        };
        match outcome {
            Some(outcome) if fields.is_ok() => Ok(outcome),
            _ => Err(fields.error()),
        }
    }
}

/// An assessment as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AssessmentView {
    /// Its id.
    pub id: AssessmentId,
    /// Who assessed.
    pub assessor_id: UserId,
    /// `scored` or `conflict_declared`.
    pub kind: &'static str,
    /// The score, when scored.
    pub score: Option<u8>,
    /// The recommendation, when scored.
    pub recommendation: Option<Recommendation>,
    /// Notes, or the conflict declared.
    pub comment: String,
    /// Whether the score counts (not overtaken by a later conflict declaration).
    pub counts: bool,
    /// When.
    pub recorded_at: DateTime<Utc>,
}

fn assessment_view(a: &Assessment, all: &[Assessment]) -> AssessmentView {
    let (kind, score, recommendation, comment) = match &a.outcome {
        AssessmentOutcome::Scored {
            score,
            recommendation,
            comment,
        } => (
            "scored",
            Some(score.value()),
            Some(*recommendation),
            comment.clone(),
        ),
        AssessmentOutcome::ConflictDeclared { declaration } => {
            ("conflict_declared", None, None, declaration.clone())
        }
    };
    AssessmentView {
        id: a.id,
        assessor_id: a.assessor_id,
        kind,
        score,
        recommendation,
        comment,
        counts: a.counts(all),
        recorded_at: a.recorded_at,
    }
}

/// A decision on one application.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionBody {
    /// `award` or `reject`.
    pub outcome: Outcome,
    /// The amount to award (at most the amount requested, within the round's range).
    pub amount: Option<Money>,
    /// Why (required to reject; recorded either way).
    pub reason: Option<String>,
}

/// What was decided.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Make an award.
    Award,
    /// Turn the application down.
    Reject,
}

/// The answer to a decision.
#[derive(Debug, Serialize, ToSchema)]
pub struct DecisionView {
    /// The application after the decision.
    pub application: ApplicationView,
    /// The award made, when the outcome is `award`.
    pub award: Option<AwardView>,
}

/// Many decisions on one round.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkDecisionBody {
    /// One decision per application (at most 1,000).
    pub decisions: Vec<BulkDecisionItem>,
}

/// One decision of a bulk request.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkDecisionItem {
    /// The application decided.
    pub application_id: ApplicationId,
    /// `award` or `reject`.
    pub outcome: Outcome,
    /// The amount to award.
    pub amount: Option<Money>,
    /// Why.
    pub reason: Option<String>,
}

/// What happened to one item of a bulk decision.
#[derive(Debug, Serialize, ToSchema)]
pub struct BulkDecisionResult {
    /// The application.
    pub application_id: ApplicationId,
    /// The HTTP status this item would have had on its own (201, 404, 409, 422).
    pub status: u16,
    /// The award made, for a successful award.
    pub award: Option<AwardView>,
    /// What went wrong, for a failed item.
    pub problem: Option<Problem>,
}

/// The answer to a bulk decision: each item's result, in request order.
#[derive(Debug, Serialize, ToSchema)]
pub struct BulkDecisionView {
    /// How many items succeeded.
    pub succeeded: usize,
    /// How many failed.
    pub failed: usize,
    /// Each item's result.
    pub results: Vec<BulkDecisionResult>,
}

/// Loads an application the caller may see (another organisation's: 404).
fn visible(
    conn: &mut AnyConnection,
    principal: &Principal,
    id: ApplicationId,
) -> Result<Record<applications::Stored>, ApiError> {
    let record = applications::get(conn, id)?;
    principal.require_visible(record.value.application.grantee_id, "application")?;
    Ok(record)
}

/// Names the JSON field of a refused title or summary.
fn text_error(e: grantledger_domain::text::TextError) -> ApiError {
    let field = if e.field() == "summary" {
        "summary"
    } else {
        "project_title"
    };
    ApiError::invalid(field, e.to_string())
}

fn submit_error(e: SubmitError) -> ApiError {
    match e {
        SubmitError::Ineligible(reasons) => ApiError::Unprocessable {
            detail: format!(
                "the application is not eligible: {}",
                reasons
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
            errors: reasons
                .iter()
                .map(|r| FieldError::new(r.field(), r.to_string()))
                .collect(),
        },
        other => ApiError::Conflict(other.to_string()),
    }
}

fn decision_error(e: DecisionError) -> ApiError {
    match e {
        DecisionError::Transition(t) => ApiError::Conflict(t.to_string()),
        DecisionError::WrongRound => ApiError::Conflict(e.to_string()),
        DecisionError::Reason(_) => ApiError::invalid("reason", e.to_string()),
        DecisionError::AmountAboveRequested { .. } | DecisionError::AmountOutsideRange { .. } => {
            ApiError::invalid("amount", e.to_string())
        }
    }
}

/// Decides one application inside the caller's transaction: the
/// application's new state, and for an award the award itself with its
/// money committed from the round (409 when the round cannot cover it).
pub fn decide(
    conn: &mut AnyConnection,
    id: ApplicationId,
    round_id: Option<RoundId>,
    body: &DecisionBody,
    actor: &Actor,
) -> Result<DecisionView, ApiError> {
    let before = applications::get(conn, id)?;
    if round_id.is_some_and(|r| r != before.value.application.round_id) {
        return Err(ApiError::not_found("application"));
    }
    let round = rounds::get(conn, before.value.application.round_id)?.value;
    let decision = match body.outcome {
        Outcome::Award => Decision::Award {
            amount: body
                .amount
                .ok_or_else(|| ApiError::invalid("amount", "an award needs an amount"))?,
        },
        Outcome::Reject => Decision::Reject {
            reason: body
                .reason
                .clone()
                .ok_or_else(|| ApiError::invalid("reason", "a rejection needs a reason"))?,
        },
    };
    let (decided, amount) = before
        .value
        .application
        .decide(&round, decision)
        .map_err(decision_error)?;
    let now = Utc::now();
    let after = applications::Stored {
        application: decided.clone(),
        decided_at: Some(now),
        decision_reason: body.reason.clone(),
    };
    let action = if amount.is_some() {
        "application.awarded"
    } else {
        "application.rejected"
    };
    // The application first, the award last: the award takes the round's
    // number and debits its money, two rows every decision in the round
    // waits for until this transaction commits, so as little as possible
    // should happen after them.
    let record = applications::save(conn, &before, &after, action, actor, now)?;
    let award = match amount {
        Some(amount) => {
            let fund = funds::get(conn, round.fund_id)?.value;
            let sequence = awards::next_sequence(conn, round.id)?;
            let reference = AwardReference::new(fund.code, round.number, sequence)
                .map_err(|e| ApiError::Conflict(e.to_string()))?;
            let award = Award::offer(AwardId::new(), reference, &decided, &round, amount);
            Some(awards::create(conn, &award, actor, now)?)
        }
        None => None,
    };
    Ok(DecisionView {
        application: record.into(),
        award: award.map(AwardView::from),
    })
}

/// Start a draft application to a round.
#[utoipa::path(
    tag = "applications",
    params(("id" = Uuid, Path, description = "The round's id"), ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")),
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
    let round_id = RoundId::from_uuid(id.into_inner());
    let b = body.into_inner();
    let grantee_id = match principal.role {
        Role::Grantee => {
            if b.grantee_id
                .is_some_and(|g| Some(g) != principal.grantee_id)
            {
                return Err(ApiError::invalid(
                    "grantee_id",
                    "a grantee applies for its own organisation only",
                ));
            }
            principal
                .grantee_id
                .ok_or_else(|| ApiError::Forbidden("no grantee organisation".into()))?
        }
        _ => b
            .grantee_id
            .ok_or_else(|| ApiError::invalid("grantee_id", "say which grantee is applying"))?,
    };
    let draft = Application::draft(
        ApplicationId::new(),
        round_id,
        grantee_id,
        b.amount_requested,
        &b.project_title,
        &b.summary,
    )
    .map_err(text_error)?;
    let actor = principal.actor();
    idempotency::write(
        &state,
        &req,
        &principal,
        key,
        StatusCode::CREATED,
        move |c| {
            let round = rounds::get(c, round_id)?;
            let now = Utc::now();
            round
                .value
                .window
                .check_can_start(now)
                .map_err(|e| ApiError::Conflict(e.to_string()))?;
            grantees::get(c, grantee_id).map_err(|_| {
                ApiError::invalid("grantee_id", format!("no grantee has id {grantee_id}"))
            })?;
            let record = applications::create(c, &draft, round.value.fund_id, &actor, now)?;
            let view = ApplicationView::from(record);
            Ok(Created {
                location: Some(format!("/v1/applications/{}", view.id)),
                version: Some(view.version),
                body: view,
            })
        },
    )
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
    let round_id = RoundId::from_uuid(id.into_inner());
    let q = query.into_inner();
    let page = PageQuery {
        limit: q.limit,
        after: q.after,
    }
    .page();
    let grantee_id = match principal.role {
        Role::Grantee => principal.grantee_id,
        _ => q.grantee_id,
    };
    let filter = applications::ApplicationFilter {
        round_id: Some(round_id),
        grantee_id,
        status: q.status,
    };
    let page = blocking(move || {
        state.db.read(|c| {
            rounds::get(c, round_id)?;
            Ok::<_, ApiError>(applications::list(c, &filter, page)?)
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(ListResponse::from_page(page, ApplicationView::from)))
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
    let record = blocking(move || state.db.read(|c| visible(c, &principal, id))).await?;
    let view = ApplicationView::from(record);
    Ok(ok_versioned(view.version, &view))
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
    let b = body.into_inner();
    let actor = principal.actor();
    let record = blocking(move || {
        state.db.write(|c| {
            let before = visible(c, &principal, id)?;
            if_match.check(&before, "application")?;
            let cur = &before.value.application;
            if !cur.status.is_editable() {
                return Err(ApiError::Conflict(format!(
                    "only a draft can be changed; this application is {}",
                    cur.status
                )));
            }
            let edited = Application::draft(
                cur.id,
                cur.round_id,
                cur.grantee_id,
                b.amount_requested.unwrap_or(cur.amount_requested),
                b.project_title.as_deref().unwrap_or(&cur.project_title),
                b.summary.as_deref().unwrap_or(&cur.summary),
            )
            .map_err(text_error)?;
            let after = applications::Stored {
                application: edited,
                ..before.value.clone()
            };
            Ok(applications::save(
                c,
                &before,
                &after,
                "application.updated",
                &actor,
                Utc::now(),
            )?)
        })
    })
    .await?;
    let view = ApplicationView::from(record);
    Ok(ok_versioned(view.version, &view))
}

async fn transition(
    state: web::Data<AppState>,
    principal: Principal,
    id: uuid::Uuid,
    action: &'static str,
    change: fn(&mut AnyConnection, &applications::Stored) -> Result<Application, ApiError>,
) -> Result<HttpResponse, ApiError> {
    let id = ApplicationId::from_uuid(id);
    let actor = principal.actor();
    let record = blocking(move || {
        state.db.write(|c| {
            let before = visible(c, &principal, id)?;
            let changed = change(c, &before.value)?;
            let after = applications::Stored {
                application: changed,
                ..before.value.clone()
            };
            Ok::<_, ApiError>(applications::save(
                c,
                &before,
                &after,
                action,
                &actor,
                Utc::now(),
            )?)
        })
    })
    .await?;
    let view = ApplicationView::from(record);
    Ok(ok_versioned(view.version, &view))
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
    transition(
        state,
        auth.principal,
        id.into_inner(),
        "application.submitted",
        |c, stored| {
            let a = &stored.application;
            let round = rounds::get(c, a.round_id)?.value;
            let grantee = grantees::get(c, a.grantee_id)?.value;
            a.submit(&round, &grantee, Utc::now()).map_err(submit_error)
        },
    )
    .await
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
    transition(
        state,
        auth.principal,
        id.into_inner(),
        "application.withdrawn",
        |_, stored| {
            stored
                .application
                .withdraw()
                .map_err(|e| ApiError::Conflict(e.to_string()))
        },
    )
    .await
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
    let actor = principal.actor();
    let record = blocking(move || {
        state.db.write(|c| {
            let before = visible(c, &principal, id)?;
            let round = rounds::get(c, before.value.application.round_id)?.value;
            let now = Utc::now();
            let extended = before
                .value
                .application
                .extend_deadline(&round, b.until, &b.reason, now)
                .map_err(|e| match e {
                    ExtensionError::NotDraft(_) => ApiError::Conflict(e.to_string()),
                    ExtensionError::NotLater { .. } => ApiError::invalid("until", e.to_string()),
                    ExtensionError::Reason(_) => ApiError::invalid("reason", e.to_string()),
                })?;
            let after = applications::Stored {
                application: extended,
                ..before.value.clone()
            };
            Ok::<_, ApiError>(applications::save(
                c,
                &before,
                &after,
                "application.deadline_extended",
                &actor,
                now,
            )?)
        })
    })
    .await?;
    let view = ApplicationView::from(record);
    Ok(ok_versioned(view.version, &view))
}

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
    transition(
        state,
        auth.principal,
        id.into_inner(),
        "application.review_started",
        |_, stored| {
            stored
                .application
                .start_review()
                .map_err(|e| ApiError::Conflict(e.to_string()))
        },
    )
    .await
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
    let all = blocking(move || {
        state.db.read(|c| {
            applications::get(c, id)?;
            Ok::<_, ApiError>(applications::assessments(c, id)?)
        })
    })
    .await?;
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
    params(("id" = Uuid, Path, description = "The application's id"), ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")),
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
    let actor = principal.actor();
    let assessor = principal.user_id;
    idempotency::write(
        &state,
        &req,
        &principal,
        key,
        StatusCode::CREATED,
        move |c| {
            let application = applications::get(c, id)?.value.application;
            let existing = applications::assessments(c, id)?;
            // Microseconds, as the store keeps it, so this answer and a later
            // read show the same instant.
            let now = Utc::now().trunc_subsecs(6);
            let assessment = Assessment::record(
                AssessmentId::new(),
                &application,
                assessor,
                outcome,
                now,
                &existing,
            )
            .map_err(|e| ApiError::Conflict(e.to_string()))?;
            let fund = applications::fund_of_round(c, application.round_id)?;
            applications::add_assessment(c, &assessment, fund, &actor, now)?;
            let mut all = existing;
            all.push(assessment.clone());
            Ok(Created {
                location: None,
                version: None,
                body: assessment_view(&assessment, &all),
            })
        },
    )
    .await
}

/// Award or reject an application. An award commits its amount from the
/// round in the same transaction: when the round cannot cover it the answer
/// is 409 and nothing changes.
#[utoipa::path(
    tag = "applications",
    params(("id" = Uuid, Path, description = "The application's id"), ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")),
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
    let id = ApplicationId::from_uuid(id.into_inner());
    let body = body.into_inner();
    let actor = principal.actor();
    idempotency::write(
        &state,
        &req,
        &principal,
        key,
        StatusCode::CREATED,
        move |c| {
            let view = decide(c, id, None, &body, &actor)?;
            let location = view.award.as_ref().map(|a| format!("/v1/awards/{}", a.id));
            Ok(Created {
                location,
                version: None,
                body: view,
            })
        },
    )
    .await
}

/// Decide many applications of a round in one request. Each item is decided
/// within its own savepoint, so one that fails (the round run dry, an
/// invalid amount) does not undo the others; the batch commits as a whole,
/// and the answer reports every item.
#[utoipa::path(
    tag = "applications",
    params(("id" = Uuid, Path, description = "The round's id"), ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")),
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
    const MAX_ITEMS: usize = 1_000;
    let principal = auth.principal;
    let round_id = RoundId::from_uuid(id.into_inner());
    let items = body.into_inner().decisions;
    if items.is_empty() || items.len() > MAX_ITEMS {
        return Err(ApiError::invalid(
            "decisions",
            format!("send between 1 and {MAX_ITEMS} decisions"),
        ));
    }
    let actor = principal.actor();
    idempotency::write(&state, &req, &principal, key, StatusCode::OK, move |c| {
        rounds::get(c, round_id)?;
        let mut results = Vec::with_capacity(items.len());
        for item in items {
            let one = DecisionBody {
                outcome: item.outcome,
                amount: item.amount,
                reason: item.reason.clone(),
            };
            let outcome = grantledger_store::write_transaction(c, |c2| {
                decide(c2, item.application_id, Some(round_id), &one, &actor)
            });
            results.push(match outcome {
                Ok(view) => BulkDecisionResult {
                    application_id: item.application_id,
                    status: 201,
                    award: view.award,
                    problem: None,
                },
                Err(error) => {
                    let problem = error.problem();
                    BulkDecisionResult {
                        application_id: item.application_id,
                        status: problem.status,
                        award: None,
                        problem: Some(problem),
                    }
                }
            });
        }
        let succeeded = results.iter().filter(|r| r.status == 201).count();
        Ok(Created {
            location: None,
            version: None,
            body: BulkDecisionView {
                succeeded,
                failed: results.len() - succeeded,
                results,
            },
        })
    })
    .await
}
