//! Evaluation returns: grantees report on accepted awards with the ONS
//! loneliness measures; administrators review them and set due dates; fund
//! outcomes are reported exactly or with disclosure control.

use chrono::{DateTime, NaiveDate, Utc};
use grantledger_domain::evaluation::{
    EvaluationReturn, Figures, RegionFigures, ReturnContent, ReturnInput, ReviewDecision,
    review_comment,
};
use grantledger_domain::ids::{AwardId, EvaluationReturnId, FundId, RoundId};
use grantledger_domain::user::Role;
use grantledger_store::common::{Actor, Page, PageRequest, Record};
use grantledger_store::evaluation::{self, AwardContext, OverdueReturn, ReturnVersion, Review};
use grantledger_store::{AnyConnection, funds};

use crate::auth::principal::Principal;
use crate::error::ApiError;
use crate::http::{Fields, IfMatch};
use crate::operations::notices::{self, Notices};

/// A return with its latest version and every review, oldest first.
#[derive(Debug, Clone)]
pub struct ReturnDetail {
    /// The return.
    pub record: Record<EvaluationReturn>,
    /// Its latest version.
    pub current: ReturnVersion,
    /// Every review, oldest first.
    pub reviews: Vec<Review>,
}

/// A review decision, its comment checked.
#[derive(Debug, Clone)]
pub struct ReviewInput {
    /// Accept, or request changes.
    pub decision: ReviewDecision,
    /// The comment, trimmed (required to request changes).
    pub comment: Option<String>,
    /// The version the reviewer read, if they said.
    pub version_number: Option<u32>,
}

impl ReviewInput {
    /// Checks the comment (422 on `comment` when changes are requested
    /// without one).
    pub fn new(
        decision: ReviewDecision,
        comment: Option<&str>,
        version_number: Option<u32>,
    ) -> Result<Self, ApiError> {
        let comment = review_comment(decision, comment)
            .map_err(|message| ApiError::invalid("comment", message))?;
        Ok(ReviewInput {
            decision,
            comment,
            version_number,
        })
    }
}

/// One round's outcomes, with its number and name.
#[derive(Debug, Clone)]
pub struct RoundOutcomes {
    /// The round.
    pub round_id: RoundId,
    /// Its number (0 if the round is unknown).
    pub number: i32,
    /// Its name.
    pub name: String,
    /// Its figures.
    pub figures: Figures,
}

/// A fund's outcomes, for the fund, each round and each region.
#[derive(Debug, Clone)]
pub struct FundOutcomes {
    /// The fund.
    pub fund_id: FundId,
    /// Its name.
    pub fund_name: String,
    /// When the report was made.
    pub generated_at: DateTime<Utc>,
    /// Whether disclosure control was applied.
    pub published: bool,
    /// The whole fund.
    pub total: Figures,
    /// Each round.
    pub by_round: Vec<RoundOutcomes>,
    /// Each region with returns.
    pub by_region: Vec<RegionFigures>,
}

/// Checks a return's content, naming every invalid field (422).
pub fn return_content(input: ReturnInput) -> Result<ReturnContent, ApiError> {
    ReturnContent::parse(input).map_err(|issues| {
        let mut fields = Fields::default();
        for issue in issues {
            fields.reject(&issue.field, issue.message);
        }
        fields.error()
    })
}

/// Loads an award the caller may see; another organisation's answers 404.
#[tracing::instrument(skip_all, fields(award_id = %id))]
pub fn visible_award(
    conn: &mut AnyConnection,
    principal: &Principal,
    id: AwardId,
) -> Result<AwardContext, ApiError> {
    let award = evaluation::award_context(conn, id)?;
    principal.require_visible(award.grantee_id, "award")?;
    Ok(award)
}

/// Loads a return the caller may see; another organisation's answers 404.
#[tracing::instrument(skip_all, fields(return_id = %id))]
pub fn visible_return(
    conn: &mut AnyConnection,
    principal: &Principal,
    id: EvaluationReturnId,
) -> Result<Record<EvaluationReturn>, ApiError> {
    let record = evaluation::get(conn, id)?;
    principal.require_visible(record.value.grantee_id, "evaluation return")?;
    Ok(record)
}

/// A return with its latest version and reviews.
fn detail(
    conn: &mut AnyConnection,
    record: Record<EvaluationReturn>,
) -> Result<ReturnDetail, ApiError> {
    let current = evaluation::version(conn, record.value.id, record.value.latest_version)?;
    let reviews = evaluation::reviews(conn, record.value.id)?;
    Ok(ReturnDetail {
        record,
        current,
        reviews,
    })
}

/// Submits a return on an award the caller may see: the first submission
/// creates the return, each later one adds a version.
#[tracing::instrument(skip_all, fields(award_id = %id))]
pub fn submit(
    conn: &mut AnyConnection,
    principal: &Principal,
    id: AwardId,
    content: &ReturnContent,
) -> Result<ReturnDetail, ApiError> {
    let actor = principal.actor();
    let award = visible_award(conn, principal, id)?;
    let (record, _) = evaluation::submit(conn, &award, content, &actor, Utc::now())?;
    detail(conn, record)
}

/// Every version of the return on an award, oldest first (empty before the
/// first submission).
#[tracing::instrument(skip_all, fields(award_id = %id))]
pub fn award_versions(
    conn: &mut AnyConnection,
    principal: &Principal,
    id: AwardId,
) -> Result<Vec<ReturnVersion>, ApiError> {
    let award = visible_award(conn, principal, id)?;
    Ok(match evaluation::for_award(conn, award.id)? {
        Some(r) => evaluation::versions(conn, r.value.id)?,
        None => Vec::new(),
    })
}

/// One return the caller may see, with its latest version and reviews.
#[tracing::instrument(skip_all, fields(return_id = %id))]
pub fn get(
    conn: &mut AnyConnection,
    principal: &Principal,
    id: EvaluationReturnId,
) -> Result<ReturnDetail, ApiError> {
    let record = visible_return(conn, principal, id)?;
    detail(conn, record)
}

/// Reviews a return, and tells the organisation: refused (409) when the
/// reviewer read an older version than the latest.
#[tracing::instrument(skip_all, fields(return_id = %id))]
pub fn review(
    conn: &mut AnyConnection,
    notices: &Notices,
    principal: &Principal,
    id: EvaluationReturnId,
    input: &ReviewInput,
) -> Result<ReturnDetail, ApiError> {
    let actor = principal.actor();
    let before = visible_return(conn, principal, id)?;
    if let Some(n) = input.version_number
        && n != before.value.latest_version
    {
        return Err(ApiError::conflict(format!(
            "you reviewed version {n} but the latest is version {}; read it and review again",
            before.value.latest_version
        )));
    }
    let now = Utc::now();
    let record = evaluation::review(
        conn,
        &before,
        input.decision,
        input.comment.as_deref(),
        &actor,
        now,
    )?;
    notices::return_reviewed(
        conn,
        notices,
        &record.value,
        input.decision,
        input.comment.as_deref(),
        now,
    )?;
    detail(conn, record)
}

/// Sets (or clears) when an award's return is due: on or after the day the
/// award was made (422 otherwise), and only at the version the caller read
/// when `if_match` names one (412 otherwise).
#[tracing::instrument(skip_all, fields(award_id = %id))]
pub fn set_return_due_date(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: AwardId,
    due: Option<NaiveDate>,
    if_match: Option<IfMatch>,
) -> Result<AwardContext, ApiError> {
    let before = evaluation::award_context(conn, id)?;
    if let Some(due) = due {
        grantledger_domain::award::return_due_on(before.awarded_at, due)
            .map_err(|e| ApiError::invalid("return_due_on", e.to_string()))?;
    }
    if let Some(IfMatch::Version(v)) = if_match
        && v != before.version
    {
        return Err(ApiError::PreconditionFailed(format!(
            "the award has changed: you sent If-Match \"{v}\" but it is now at \"{}\"; reload it and try again",
            before.version
        )));
    }
    Ok(evaluation::set_return_due_date(
        conn,
        &before,
        due,
        actor,
        Utc::now(),
    )?)
}

/// Awards (accepted or completed) whose return was due before `today` and
/// has not been submitted.
#[tracing::instrument(skip_all)]
pub fn overdue(
    conn: &mut AnyConnection,
    today: NaiveDate,
    fund: Option<FundId>,
    page: PageRequest,
) -> Result<Page<OverdueReturn>, ApiError> {
    Ok(evaluation::overdue(conn, today, fund, page)?)
}

/// Whether the caller gets the published outcomes: administrators and
/// auditors get exact figures unless they ask for the published form; every
/// other role gets the published form, and asking for exact ones is 403.
pub fn outcome_form(principal: &Principal, published: Option<bool>) -> Result<bool, ApiError> {
    let may_see_exact = matches!(principal.role, Role::Admin | Role::Auditor);
    match published {
        Some(false) if !may_see_exact => Err(ApiError::Forbidden(format!(
            "your role ({}) can read only the published outcomes, with disclosure control: use ?published=true",
            principal.role
        ))),
        Some(p) => Ok(p),
        None => Ok(!may_see_exact),
    }
}

/// A fund's outcomes (the fund named by id or code), exact or published.
#[tracing::instrument(skip_all, fields(fund = %fund, published = published))]
pub fn outcomes(
    conn: &mut AnyConnection,
    fund: &str,
    published: bool,
) -> Result<FundOutcomes, ApiError> {
    let fund = funds::find(conn, fund)?;
    let id = fund.value.id;
    let rounds = evaluation::fund_rounds(conn, id)?;
    let builder = evaluation::outcomes(conn, id)?;
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
            RoundOutcomes {
                round_id: r.round_id,
                number: label.map_or(0, |l| l.number),
                name: label.map(|l| l.name.clone()).unwrap_or_default(),
                figures: r.figures,
            }
        })
        .collect();
    Ok(FundOutcomes {
        fund_id: id,
        fund_name: fund.value.name.to_string(),
        generated_at: Utc::now(),
        published: report.published,
        total: report.total,
        by_round,
        by_region: report.by_region,
    })
}

/// The outcomes as CSV through the common writer (formula cells
/// neutralised): one row per group and measure.
pub fn outcomes_csv(outcomes: &FundOutcomes) -> Result<Vec<u8>, ApiError> {
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
        &outcomes.fund_id.to_string(),
        &outcomes.fund_name,
        &outcomes.total,
    );
    for r in &outcomes.by_round {
        group("round", &r.number.to_string(), &r.name, &r.figures);
    }
    for r in &outcomes.by_region {
        group("region", r.region.as_str(), r.region.label(), &r.figures);
    }
    grantledger_domain::csv_writer::to_bytes(
        ["breakdown", "group", "group_name", "measure", "value"],
        rows,
    )
    .map_err(|e| ApiError::Internal(e.to_string()))
}

/// The award's grantee saves an evaluation return part-way (the form's
/// fields as JSON; nothing in it is checked until it is submitted).
#[tracing::instrument(skip_all, fields(award_id = %id))]
pub fn save_draft(
    conn: &mut AnyConnection,
    principal: &Principal,
    id: AwardId,
    form: &str,
) -> Result<(), ApiError> {
    crate::policy::authorize(principal, crate::policy::Action::SubmitEvaluationReturns)?;
    visible_award(conn, principal, id)?;
    Ok(grantledger_store::return_drafts::save(
        conn,
        id,
        form,
        principal.user_id,
        Utc::now(),
    )?)
}

/// The draft return saved on an award, if any.
pub fn draft(
    conn: &mut AnyConnection,
    principal: &Principal,
    id: AwardId,
) -> Result<Option<grantledger_store::return_drafts::Draft>, ApiError> {
    visible_award(conn, principal, id)?;
    Ok(grantledger_store::return_drafts::get(conn, id)?)
}

/// Submits a return made in the portal and discards its draft, in the
/// caller's transaction.
#[tracing::instrument(skip_all, fields(award_id = %id))]
pub fn submit_draft(
    conn: &mut AnyConnection,
    principal: &Principal,
    id: AwardId,
    content: &ReturnContent,
) -> Result<ReturnDetail, ApiError> {
    crate::policy::authorize(principal, crate::policy::Action::SubmitEvaluationReturns)?;
    let detail = submit(conn, principal, id, content)?;
    grantledger_store::return_drafts::delete(conn, id)?;
    Ok(detail)
}

/// The return on an award with its latest version and reviews, if one has
/// been submitted.
pub fn for_award(
    conn: &mut AnyConnection,
    principal: &Principal,
    id: AwardId,
) -> Result<Option<ReturnDetail>, ApiError> {
    let award = visible_award(conn, principal, id)?;
    match evaluation::for_award(conn, award.id)? {
        Some(record) => Ok(Some(detail(conn, record)?)),
        None => Ok(None),
    }
}
