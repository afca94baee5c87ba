//! Evaluation returns: grantees report on accepted awards with the ONS
//! loneliness measures; administrators review them and set due dates; fund
//! outcomes are reported exactly or with disclosure control.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, get, post, put, web};
use chrono::{DateTime, NaiveDate, Utc};
use grantledger_domain::award::AwardStatus;
use grantledger_domain::evaluation::{
    DirectAnswer, EvaluationReturn, Figures, ParticipantCode, RegionFigures, ResponseInput,
    ReturnContent, ReturnInput, ReviewDecision, ReviewStatus, Stage, SurveyResponse, UclaAnswer,
    review_comment,
};
use grantledger_domain::ids::{AwardId, EvaluationReturnId, FundId, GranteeId, RoundId, UserId};
use grantledger_domain::user::Role;
use grantledger_store::common::{PageRequest, Record};
use grantledger_store::evaluation::{self, AwardContext, ReturnVersion, Review};
use grantledger_store::{AnyConnection, funds};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::principal::Principal;
use crate::error::{ApiError, Problem};
use crate::extract::Json;
use crate::http::{Fields, ListResponse, blocking, ok_versioned};
use crate::idempotency::{self, Created, IdempotencyKey};
use crate::policy::{Authorized, can};
use crate::state::AppState;

/// One anonymous survey response as sent. Coded answers are checked one by
/// one so that every unknown value is reported with its path.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResponseBody {
    /// `baseline` or `follow_up`.
    #[schema(value_type = Stage)]
    pub stage: String,
    /// A pseudonymous code pairing baseline and follow-up; never personal data.
    #[schema(value_type = Option<ParticipantCode>)]
    pub participant_code: Option<String>,
    /// "How often do you feel lonely?"
    #[schema(value_type = Option<DirectAnswer>)]
    pub direct: Option<String>,
    /// "How often do you feel that you lack companionship?"
    #[schema(value_type = Option<UclaAnswer>)]
    pub lack_companionship: Option<String>,
    /// "How often do you feel left out?"
    #[schema(value_type = Option<UclaAnswer>)]
    pub left_out: Option<String>,
    /// "How often do you feel isolated from others?"
    #[schema(value_type = Option<UclaAnswer>)]
    pub isolated: Option<String>,
}

/// An evaluation return (or a new version of one).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReturnBody {
    /// First day covered.
    pub period_start: NaiveDate,
    /// Last day covered.
    pub period_end: NaiveDate,
    /// People who took part.
    pub participants_reached: u32,
    /// Volunteers involved.
    pub volunteers: u32,
    /// Sessions delivered.
    pub sessions_delivered: u32,
    /// What happened, in your words.
    pub narrative: String,
    /// An optional case study (anonymised).
    pub case_study: Option<String>,
    /// Anonymous survey responses.
    #[serde(default)]
    pub responses: Vec<ResponseBody>,
}

impl From<ReturnBody> for ReturnInput {
    fn from(b: ReturnBody) -> Self {
        ReturnInput {
            period_start: b.period_start,
            period_end: b.period_end,
            participants_reached: b.participants_reached,
            volunteers: b.volunteers,
            sessions_delivered: b.sessions_delivered,
            narrative: b.narrative,
            case_study: b.case_study,
            responses: b
                .responses
                .into_iter()
                .map(|r| ResponseInput {
                    stage: r.stage,
                    participant_code: r.participant_code,
                    direct: r.direct,
                    lack_companionship: r.lack_companionship,
                    left_out: r.left_out,
                    isolated: r.isolated,
                })
                .collect(),
        }
    }
}

/// Respondents at each stage of one version.
#[derive(Debug, Serialize, ToSchema)]
pub struct RespondentCounts {
    /// Baseline responses.
    pub baseline: usize,
    /// Follow-up responses.
    pub follow_up: usize,
}

/// One version of a return, as submitted. Versions never change.
#[derive(Debug, Serialize, ToSchema)]
pub struct VersionView {
    /// The return.
    pub return_id: EvaluationReturnId,
    /// 1 for the first submission, then 2, 3…
    pub number: u32,
    /// First day covered.
    pub period_start: NaiveDate,
    /// Last day covered.
    pub period_end: NaiveDate,
    /// People who took part.
    pub participants_reached: u32,
    /// Volunteers involved.
    pub volunteers: u32,
    /// Sessions delivered.
    pub sessions_delivered: u32,
    /// The narrative.
    pub narrative: String,
    /// The case study, if any.
    pub case_study: Option<String>,
    /// Respondents at each stage.
    pub respondents: RespondentCounts,
    /// The survey responses.
    pub responses: Vec<SurveyResponse>,
    /// Who submitted it.
    pub submitted_by: Option<UserId>,
    /// When.
    pub submitted_at: DateTime<Utc>,
}

impl From<ReturnVersion> for VersionView {
    fn from(v: ReturnVersion) -> Self {
        let c = v.content;
        VersionView {
            return_id: v.return_id,
            number: v.number,
            respondents: RespondentCounts {
                baseline: c.respondents(Stage::Baseline),
                follow_up: c.respondents(Stage::FollowUp),
            },
            period_start: c.period_start,
            period_end: c.period_end,
            participants_reached: c.participants_reached,
            volunteers: c.volunteers,
            sessions_delivered: c.sessions_delivered,
            narrative: c.narrative,
            case_study: c.case_study,
            responses: c.responses,
            submitted_by: v.submitted_by,
            submitted_at: v.submitted_at,
        }
    }
}

/// An administrator's review.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewView {
    /// The version reviewed.
    pub version_number: u32,
    /// `accept` or `request_changes`.
    pub decision: ReviewDecision,
    /// The reviewer's comment.
    pub comment: Option<String>,
    /// Who reviewed.
    pub reviewed_by: Option<UserId>,
    /// When.
    pub reviewed_at: DateTime<Utc>,
}

impl From<Review> for ReviewView {
    fn from(r: Review) -> Self {
        ReviewView {
            version_number: r.version_number,
            decision: r.decision,
            comment: r.comment,
            reviewed_by: r.reviewed_by,
            reviewed_at: r.reviewed_at,
        }
    }
}

/// An evaluation return: its review state, latest version and reviews.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReturnView {
    /// The return's id.
    pub id: EvaluationReturnId,
    /// The award reported on.
    pub award_id: AwardId,
    /// The award's fund.
    pub fund_id: FundId,
    /// The award's round.
    pub round_id: RoundId,
    /// The grantee.
    pub grantee_id: GranteeId,
    /// `submitted`, `accepted` or `changes_requested`.
    pub status: ReviewStatus,
    /// The latest version's number.
    pub latest_version: u32,
    /// The latest version.
    pub current: VersionView,
    /// Every review, oldest first.
    pub reviews: Vec<ReviewView>,
    /// The record version, also sent as the `ETag`.
    pub version: i64,
    /// When first submitted.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

fn return_view(
    conn: &mut AnyConnection,
    record: Record<EvaluationReturn>,
) -> Result<ReturnView, ApiError> {
    let r = record.value;
    let current = evaluation::version(conn, r.id, r.latest_version)?;
    let reviews = evaluation::reviews(conn, r.id)?;
    Ok(ReturnView {
        id: r.id,
        award_id: r.award_id,
        fund_id: r.fund_id,
        round_id: r.round_id,
        grantee_id: r.grantee_id,
        status: r.status,
        latest_version: r.latest_version,
        current: current.into(),
        reviews: reviews.into_iter().map(ReviewView::from).collect(),
        version: record.version,
        created_at: record.created_at,
        updated_at: record.updated_at,
    })
}

/// Loads an award the caller may see; another organisation's answers 404.
fn visible_award(
    conn: &mut AnyConnection,
    principal: &Principal,
    id: AwardId,
) -> Result<AwardContext, ApiError> {
    let award = evaluation::award_context(conn, id)?;
    principal.require_visible(award.grantee_id, "award")?;
    Ok(award)
}

/// Loads a return the caller may see; another organisation's answers 404.
fn visible_return(
    conn: &mut AnyConnection,
    principal: &Principal,
    id: EvaluationReturnId,
) -> Result<Record<EvaluationReturn>, ApiError> {
    let record = evaluation::get(conn, id)?;
    principal.require_visible(record.value.grantee_id, "evaluation return")?;
    Ok(record)
}

/// Submit an evaluation return on your organisation's accepted award. The
/// first submission creates the return; each later one adds a new version
/// (every version is kept). Refused once the return is accepted.
#[utoipa::path(
    tag = "evaluation",
    params(("id" = Uuid, Path, description = "The award's id"), ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")),
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
    let content = match ReturnContent::parse(body.into_inner().into()) {
        Ok(content) => content,
        Err(issues) => {
            let mut fields = Fields::default();
            for issue in issues {
                fields.reject(&issue.field, issue.message);
            }
            return Err(fields.error());
        }
    };
    let actor = principal.actor();
    let caller = principal.clone();
    // A resubmission is a new version, so a retried POST would add a second
    // one: the key makes the retry return the first answer instead.
    idempotency::write(
        &state,
        &req,
        &principal,
        key,
        StatusCode::CREATED,
        move |c| {
            let award = visible_award(c, &caller, id)?;
            let (record, _) = evaluation::submit(c, &award, &content, &actor, Utc::now())?;
            let view = return_view(c, record)?;
            Ok(Created {
                location: Some(format!("/v1/evaluation-returns/{}", view.id)),
                version: Some(view.version),
                body: view,
            })
        },
    )
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
        state.db.read(|c| {
            let award = visible_award(c, &principal, id)?;
            Ok::<_, ApiError>(match evaluation::for_award(c, award.id)? {
                Some(r) => evaluation::versions(c, r.value.id)?,
                None => Vec::new(),
            })
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(ListResponse {
        items: versions.into_iter().map(VersionView::from).collect(),
        next: None,
    }))
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
    let view = blocking(move || {
        state.db.read(|c| {
            let record = visible_return(c, &principal, id)?;
            return_view(c, record)
        })
    })
    .await?;
    Ok(ok_versioned(view.version, &view))
}

/// A review decision.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewBody {
    /// `accept` or `request_changes`.
    pub decision: ReviewDecision,
    /// What needs to change (required when requesting changes).
    pub comment: Option<String>,
    /// The version you reviewed: if the grantee has since submitted a newer
    /// one, the review is refused with 409 rather than applied to a version
    /// you have not read.
    pub version_number: Option<u32>,
}

/// Accept a return, or request changes with a comment. Only a submitted
/// return can be reviewed; a new version after changes were requested goes
/// back to submitted.
#[utoipa::path(
    tag = "evaluation",
    params(
        ("id" = Uuid, Path, description = "The return's id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe: a retry with the same key and body answers as the first did"),
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
    let comment = review_comment(b.decision, b.comment.as_deref())
        .map_err(|message| ApiError::invalid("comment", message))?;
    let actor = principal.actor();
    let caller = principal.clone();
    idempotency::write(&state, &req, &caller, key, StatusCode::OK, move |c| {
        let before = visible_return(c, &principal, id)?;
        if let Some(n) = b.version_number {
            if n != before.value.latest_version {
                return Err(ApiError::Conflict(format!(
                    "you reviewed version {n} but the latest is version {}; read it and review again",
                    before.value.latest_version
                )));
            }
        }
        let record = evaluation::review(
            c,
            &before,
            b.decision,
            comment.as_deref(),
            &actor,
            Utc::now(),
        )?;
        let view = return_view(c, record)?;
        Ok(Created {
            location: None,
            version: Some(view.version),
            body: view,
        })
    })
    .await
}

/// When an award's evaluation return is due.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DueDateBody {
    /// The due date (`YYYY-MM-DD`), or `null` to clear it.
    pub return_due_on: Option<NaiveDate>,
}

/// An award's return due date.
#[derive(Debug, Serialize, ToSchema)]
pub struct DueDateView {
    /// The award.
    pub award_id: AwardId,
    /// Its reference.
    pub reference: String,
    /// Its state.
    pub status: AwardStatus,
    /// When its return is due.
    pub return_due_on: Option<NaiveDate>,
    /// The award's version, also sent as the `ETag`.
    pub version: i64,
}

impl From<AwardContext> for DueDateView {
    fn from(a: AwardContext) -> Self {
        DueDateView {
            award_id: a.id,
            reference: a.reference,
            status: a.status,
            return_due_on: a.return_due_on,
            version: a.version,
        }
    }
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
    let award = blocking(move || {
        state.db.write(|c| {
            let before = evaluation::award_context(c, id)?;
            if let Some(due) = due {
                grantledger_domain::award::return_due_on(before.awarded_at, due)
                    .map_err(|e| ApiError::invalid("return_due_on", e.to_string()))?;
            }
            if let Some(crate::http::IfMatch::Version(v)) = if_match {
                if v != before.version {
                    return Err(ApiError::PreconditionFailed(format!(
                        "the award has changed: you sent If-Match \"{v}\" but it is now at \"{}\"; reload it and try again",
                        before.version
                    )));
                }
            }
            Ok(evaluation::set_return_due_date(
                c,
                &before,
                due,
                &actor,
                Utc::now(),
            )?)
        })
    })
    .await?;
    let view = DueDateView::from(award);
    Ok(ok_versioned(view.version, &view))
}

/// Filters for the overdue list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct OverdueQuery {
    /// Only this fund's awards.
    pub fund_id: Option<uuid::Uuid>,
    /// Most items to return (1–500, default 50).
    #[param(inline)]
    pub limit: Option<crate::http::PageLimit>,
    /// The `next` cursor from the previous page.
    pub after: Option<uuid::Uuid>,
}

/// An award whose evaluation return is overdue.
#[derive(Debug, Serialize, ToSchema)]
pub struct OverdueView {
    /// The award.
    pub award_id: AwardId,
    /// Its reference.
    pub reference: String,
    /// Its fund.
    pub fund_id: FundId,
    /// Its round.
    pub round_id: RoundId,
    /// The grantee owing the return.
    pub grantee_id: GranteeId,
    /// The award's state (`accepted` or `completed`).
    pub award_status: AwardStatus,
    /// When the return was due.
    pub return_due_on: Option<NaiveDate>,
    /// Whole days since it was due.
    pub days_overdue: i64,
    /// `null` when nothing was submitted; `changes_requested` when a new
    /// version is owed.
    pub return_status: Option<ReviewStatus>,
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
            .read(|c| Ok::<_, ApiError>(evaluation::overdue(c, today, fund, page)?))
    })
    .await?;
    Ok(
        HttpResponse::Ok().json(ListResponse::from_page(page, |o| OverdueView {
            award_id: o.award.id,
            reference: o.award.reference,
            fund_id: o.award.fund_id,
            round_id: o.award.round_id,
            grantee_id: o.award.grantee_id,
            award_status: o.award.status,
            days_overdue: o
                .award
                .return_due_on
                .map_or(0, |due| (today - due).num_days()),
            return_due_on: o.award.return_due_on,
            return_status: o.return_status,
        })),
    )
}

/// `json` or `csv`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum OutcomeFormat {
    /// JSON (the default).
    Json,
    /// CSV: one row per group and measure.
    Csv,
}

/// Options for the outcome report.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct OutcomeQuery {
    /// `true` for the published form with disclosure control. Administrators
    /// and auditors get exact figures by default; every other role gets (and
    /// may only get) the published form.
    pub published: Option<bool>,
    /// `json` (default) or `csv`; `Accept: text/csv` also selects CSV.
    // Inline: a query parameter's type is not collected as a component,
    // so a `$ref` to it would dangle (found by tests/tests/hostile.rs).
    #[param(inline)]
    pub format: Option<OutcomeFormat>,
}

/// A round's outcomes.
#[derive(Debug, Serialize, ToSchema)]
pub struct RoundOutcome {
    /// The round.
    pub round_id: RoundId,
    /// Its number.
    pub number: i32,
    /// Its name.
    pub name: String,
    /// Its figures.
    pub figures: Figures,
}

/// A fund's outcomes: returns, respondents, the ONS direct question and the
/// UCLA score, for the fund, each round and each region.
#[derive(Debug, Serialize, ToSchema)]
pub struct OutcomesView {
    /// The fund.
    pub fund_id: FundId,
    /// Its name.
    pub fund_name: String,
    /// When the report was made.
    pub generated_at: DateTime<Utc>,
    /// Whether disclosure control was applied.
    pub published: bool,
    /// The disclosure control rules, when applied.
    pub disclosure_control: Option<String>,
    /// The base of each figure: whom it counts or averages over.
    pub bases: std::collections::BTreeMap<String, String>,
    /// The whole fund.
    pub total: Figures,
    /// Each round.
    pub by_round: Vec<RoundOutcome>,
    /// Each region with returns.
    pub by_region: Vec<RegionFigures>,
}

const DISCLOSURE_RULES: &str = "Counts below 10 are suppressed (null) and other counts are rounded to the nearest 5; \
where what is published would pin a count to fewer than three possible values, more counts are suppressed. \
Percentages, their intervals and the paired change in the share often/always lonely are computed from the \
published (rounded) counts, as whole numbers, and are not shown at 0% or 100% or where a count they use is suppressed. \
Means are rounded to the nearest 0.5 and kept at least 1 inside their scale (a mean shown as 8 on the 3-9 score \
means 8 or more; -5 on the change scale means -5 or less); they and the change interval are shown only where their count is published.";

fn evaluation_bases() -> std::collections::BTreeMap<String, String> {
    grantledger_domain::evaluation::BASES
        .iter()
        .map(|(figure, base)| ((*figure).to_owned(), (*base).to_owned()))
        .collect()
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

/// The outcomes as CSV through the common writer (formula cells neutralised).
fn outcomes_csv(view: &OutcomesView) -> Result<Vec<u8>, ApiError> {
    let mut rows: Vec<[String; 5]> = Vec::new();
    let mut group = |breakdown: &str, key: &str, name: &str, figures: &Figures| {
        for (measure, value) in figures.rows() {
            rows.push([
                breakdown.to_owned(),
                key.to_owned(),
                name.to_owned(),
                measure,
                value.unwrap_or_default(),
            ]);
        }
    };
    group(
        "fund",
        &view.fund_id.to_string(),
        &view.fund_name,
        &view.total,
    );
    for r in &view.by_round {
        group("round", &r.number.to_string(), &r.name, &r.figures);
    }
    for r in &view.by_region {
        group("region", r.region.as_str(), r.region.label(), &r.figures);
    }
    grantledger_domain::csv_writer::to_bytes(
        ["breakdown", "group", "group_name", "measure", "value"],
        rows,
    )
    .map_err(|e| ApiError::Internal(e.to_string()))
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
    let may_see_exact = matches!(principal.role, Role::Admin | Role::Auditor);
    let published = match q.published {
        Some(false) if !may_see_exact => {
            return Err(ApiError::Forbidden(format!(
                "your role ({}) can read only the published outcomes, with disclosure control: use ?published=true",
                principal.role
            )));
        }
        Some(p) => p,
        None => !may_see_exact,
    };
    let csv = wants_csv(&req, q.format);
    let fund_named = id.into_inner();
    let view = blocking(move || {
        state.db.read(|c| {
            let fund = funds::find(c, &fund_named)?;
            let id = fund.value.id;
            let rounds = evaluation::fund_rounds(c, id)?;
            let builder = evaluation::outcomes(c, id)?;
            let report = if published {
                builder.published()
            } else {
                builder.exact()
            };
            let by_round = report
                .by_round
                .into_iter()
                .map(|r| {
                    let label = rounds.iter().find(|l| l.id == r.round_id);
                    RoundOutcome {
                        round_id: r.round_id,
                        number: label.map_or(0, |l| l.number),
                        name: label.map(|l| l.name.clone()).unwrap_or_default(),
                        figures: r.figures,
                    }
                })
                .collect();
            Ok::<_, ApiError>(OutcomesView {
                fund_id: id,
                fund_name: fund.value.name.to_string(),
                generated_at: Utc::now(),
                published: report.published,
                disclosure_control: report.published.then(|| DISCLOSURE_RULES.to_owned()),
                bases: evaluation_bases(),
                total: report.total,
                by_round,
                by_region: report.by_region,
            })
        })
    })
    .await?;
    if csv {
        Ok(HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .body(outcomes_csv(&view)?))
    } else {
        Ok(HttpResponse::Ok().json(view))
    }
}
