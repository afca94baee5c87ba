//! Applications: start and change a draft, submit, withdraw, extend a
//! deadline, review, assess and decide.

use chrono::{DateTime, SubsecRound, Utc};
use grantledger_domain::Money;
use grantledger_domain::application::{
    Application, Decision, DecisionError, ExtensionError, SubmitError, Verdict,
};
use grantledger_domain::assessment::{Assessment, AssessmentOutcome};
use grantledger_domain::award::Award;
use grantledger_domain::ids::{ApplicationId, AssessmentId, AwardId, GranteeId, RoundId};
use grantledger_domain::reference::AwardReference;
use grantledger_domain::user::Role;
use grantledger_store::common::{Actor, Page, PageRequest, Record};
use grantledger_store::{
    AnyConnection, applications, award_numbers, awards, funds, grantees, rounds,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::principal::Principal;
use crate::error::{ApiError, FieldError};
use crate::http::IfMatch;
use crate::operations::notices::{self, Notices};

/// A new draft: what is asked for, and by whom.
#[derive(Debug, Clone)]
pub struct NewApplication {
    /// The round applied to.
    pub round_id: RoundId,
    /// The applicant; for a grantee user, its own organisation.
    pub grantee_id: Option<GranteeId>,
    /// What is asked for.
    pub amount_requested: Money,
    /// The project's title.
    pub project_title: String,
    /// What the project will do.
    pub summary: String,
}

/// Changes to a draft; `None` keeps what is there.
#[derive(Debug, Clone, Default)]
pub struct DraftChanges {
    /// A new amount.
    pub amount_requested: Option<Money>,
    /// A new title.
    pub project_title: Option<String>,
    /// A new summary.
    pub summary: Option<String>,
}

/// A decision on one application.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionBody {
    /// `award` or `reject`.
    pub outcome: Outcome,
    /// The amount to award (at most the amount requested, within the round's range).
    pub amount: Option<Money>,
    /// What the applicant is told (required to reject). `reason`, its old
    /// name, is still accepted.
    #[serde(default, alias = "reason")]
    pub feedback: Option<String>,
    /// A note for staff only: never shown to the applicant.
    #[serde(default)]
    pub internal_note: Option<String>,
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

/// An application after its decision, and the award made if any.
#[derive(Debug)]
pub struct Decided {
    /// The application, awarded or rejected.
    pub application: Record<applications::Stored>,
    /// The award offered, for an award.
    pub award: Option<Record<awards::Stored>>,
}

/// Loads an application the caller may see (another organisation's: 404).
#[tracing::instrument(skip_all, fields(application_id = %id))]
pub fn visible(
    c: &mut AnyConnection,
    principal: &Principal,
    id: ApplicationId,
) -> Result<Record<applications::Stored>, ApiError> {
    let record = applications::get(c, id)?;
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
        other => ApiError::conflict_from(other),
    }
}

fn decision_error(e: DecisionError) -> ApiError {
    match e {
        DecisionError::Transition(t) => ApiError::conflict_from(t),
        DecisionError::WrongRound => ApiError::conflict_from(e),
        DecisionError::FeedbackMissing | DecisionError::Feedback(_) => {
            ApiError::invalid("feedback", e.to_string())
        }
        DecisionError::InternalNote(_) => ApiError::invalid("internal_note", e.to_string()),
        DecisionError::AmountAboveRequested { .. } | DecisionError::AmountOutsideRange { .. } => {
            ApiError::invalid("amount", e.to_string())
        }
    }
}

/// Starts a draft in a round that is open for applications. A grantee
/// applies for its own organisation; staff name the grantee.
#[tracing::instrument(skip_all, fields(round_id = %input.round_id))]
pub fn start(
    c: &mut AnyConnection,
    principal: &Principal,
    input: NewApplication,
) -> Result<Record<applications::Stored>, ApiError> {
    let grantee_id = match principal.role {
        Role::Grantee => {
            if input
                .grantee_id
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
        _ => input
            .grantee_id
            .ok_or_else(|| ApiError::invalid("grantee_id", "say which grantee is applying"))?,
    };
    let draft = Application::draft(
        ApplicationId::new(),
        input.round_id,
        grantee_id,
        input.amount_requested,
        &input.project_title,
        &input.summary,
    )
    .map_err(text_error)?;
    let round = rounds::get(c, input.round_id)?;
    let now = Utc::now();
    round
        .value
        .window
        .check_can_start(now)
        .map_err(ApiError::conflict_from)?;
    grantees::get(c, grantee_id)
        .map_err(|_| ApiError::invalid("grantee_id", format!("no grantee has id {grantee_id}")))?;
    let eligibility = &round.value.eligibility;
    if eligibility.limits_applications_per_organisation() {
        let existing = applications::statuses_of(c, input.round_id, grantee_id)?;
        eligibility
            .check_another_application(&existing)
            .map_err(ApiError::conflict_from)?;
    }
    Ok(applications::create(
        c,
        &draft,
        round.value.fund_id,
        &principal.actor(),
        now,
    )?)
}

/// A page of a round's applications that pass `filter` (its round is
/// the one given); a grantee sees only its own.
#[tracing::instrument(skip_all, fields(round_id = %round_id))]
pub fn list(
    c: &mut AnyConnection,
    principal: &Principal,
    round_id: RoundId,
    filter: applications::ApplicationFilter,
    page: PageRequest,
) -> Result<Page<Record<applications::Stored>>, ApiError> {
    let grantee_id = match principal.role {
        Role::Grantee => principal.grantee_id,
        _ => filter.grantee_id,
    };
    if (filter.order.reveals_scores() || filter.min_score.is_some())
        && !principal.role.sees_mean_scores()
    {
        return Err(ApiError::Forbidden(
            "only administrators and auditors can sort or filter applications by assessment score"
                .into(),
        ));
    }
    let filter = applications::ApplicationFilter {
        round_id: Some(round_id),
        grantee_id,
        ..filter
    };
    rounds::get(c, round_id)?;
    Ok(applications::list(c, &filter, page)?)
}

/// Changes a draft read at the version in `if_match`.
#[tracing::instrument(skip_all, fields(application_id = %id))]
pub fn update(
    c: &mut AnyConnection,
    principal: &Principal,
    id: ApplicationId,
    if_match: IfMatch,
    changes: DraftChanges,
) -> Result<Record<applications::Stored>, ApiError> {
    let before = visible(c, principal, id)?;
    if_match.check(&before, "application")?;
    let cur = &before.value.application;
    if !cur.status.is_editable() {
        return Err(ApiError::conflict(format!(
            "only a draft can be changed; this application is {}",
            cur.status
        )));
    }
    let edited = Application::draft(
        cur.id,
        cur.round_id,
        cur.grantee_id,
        changes.amount_requested.unwrap_or(cur.amount_requested),
        changes
            .project_title
            .as_deref()
            .unwrap_or(&cur.project_title),
        changes.summary.as_deref().unwrap_or(&cur.summary),
    )
    .map_err(text_error)?;
    save(
        c,
        principal,
        &before,
        edited,
        "application.updated",
        Utc::now(),
    )
}

fn save(
    c: &mut AnyConnection,
    principal: &Principal,
    before: &Record<applications::Stored>,
    changed: Application,
    action: &str,
    now: DateTime<Utc>,
) -> Result<Record<applications::Stored>, ApiError> {
    let after = applications::Stored {
        application: changed,
        ..before.value.clone()
    };
    Ok(applications::save(
        c,
        before,
        &after,
        action,
        &principal.actor(),
        now,
    )?)
}

/// Loads an application the caller may see, changes it by `change` and
/// saves it with the audit event `action`.
fn change(
    c: &mut AnyConnection,
    principal: &Principal,
    id: ApplicationId,
    action: &str,
    change: impl FnOnce(
        &mut AnyConnection,
        &applications::Stored,
        DateTime<Utc>,
    ) -> Result<Application, ApiError>,
) -> Result<Record<applications::Stored>, ApiError> {
    let before = visible(c, principal, id)?;
    let now = Utc::now();
    let changed = change(c, &before.value, now)?;
    save(c, principal, &before, changed, action, now)
}

/// Submits a draft: only while the round is open (or before the draft's
/// own extended deadline) and only if eligible; a 422 lists every rule the
/// application fails.
#[tracing::instrument(skip_all, fields(application_id = %id))]
pub fn submit(
    c: &mut AnyConnection,
    notices: &Notices,
    principal: &Principal,
    id: ApplicationId,
) -> Result<Record<applications::Stored>, ApiError> {
    let submitted = change(
        c,
        principal,
        id,
        "application.submitted",
        |c, stored, now| {
            let a = &stored.application;
            let round = rounds::get(c, a.round_id)?.value;
            let grantee = grantees::get(c, a.grantee_id)?.value;
            let submitted = a.submit(&round, &grantee, now).map_err(submit_error)?;
            super::forms::check_submission(c, stored, now)?;
            Ok(submitted)
        },
    )?;
    notices::application_received(c, notices, &submitted.value.application, Utc::now())?;
    Ok(submitted)
}

/// Withdraws an application that is not yet decided.
#[tracing::instrument(skip_all, fields(application_id = %id))]
pub fn withdraw(
    c: &mut AnyConnection,
    principal: &Principal,
    id: ApplicationId,
) -> Result<Record<applications::Stored>, ApiError> {
    change(c, principal, id, "application.withdrawn", |_, stored, _| {
        stored
            .application
            .withdraw()
            .map_err(ApiError::conflict_from)
    })
}

/// Moves a submitted application into review.
#[tracing::instrument(skip_all, fields(application_id = %id))]
pub fn start_review(
    c: &mut AnyConnection,
    principal: &Principal,
    id: ApplicationId,
) -> Result<Record<applications::Stored>, ApiError> {
    change(
        c,
        principal,
        id,
        "application.review_started",
        |_, stored, _| {
            stored
                .application
                .start_review()
                .map_err(ApiError::conflict_from)
        },
    )
}

/// Gives one draft a later deadline than its round's, with a reason.
#[tracing::instrument(skip_all, fields(application_id = %id))]
pub fn extend_deadline(
    c: &mut AnyConnection,
    principal: &Principal,
    id: ApplicationId,
    until: DateTime<Utc>,
    reason: &str,
) -> Result<Record<applications::Stored>, ApiError> {
    change(
        c,
        principal,
        id,
        "application.deadline_extended",
        |c, stored, now| {
            let round = rounds::get(c, stored.application.round_id)?.value;
            stored
                .application
                .extend_deadline(&round, until, reason, now)
                .map_err(|e| match e {
                    ExtensionError::NotDraft(_) => ApiError::conflict_from(e),
                    ExtensionError::NotLater { .. } => ApiError::invalid("until", e.to_string()),
                    ExtensionError::Reason(_) => ApiError::invalid("reason", e.to_string()),
                })
        },
    )
}

/// Every assessment of an application (the caller filters what a
/// conflicted assessor may see).
#[tracing::instrument(skip_all, fields(application_id = %id))]
pub fn assessments(c: &mut AnyConnection, id: ApplicationId) -> Result<Vec<Assessment>, ApiError> {
    applications::get(c, id)?;
    Ok(applications::assessments(c, id)?)
}

/// Records an assessment by the caller; returns it with every assessment
/// of the application, which says whether it counts.
#[tracing::instrument(skip_all, fields(application_id = %id))]
pub fn assess(
    c: &mut AnyConnection,
    principal: &Principal,
    id: ApplicationId,
    outcome: AssessmentOutcome,
) -> Result<(Assessment, Vec<Assessment>), ApiError> {
    let application = applications::get(c, id)?.value.application;
    let existing = applications::assessments(c, id)?;
    // Microseconds, as the store keeps it, so this answer and a later read
    // show the same instant.
    let now = Utc::now().trunc_subsecs(6);
    let assessment = Assessment::record(
        AssessmentId::new(),
        &application,
        principal.user_id,
        outcome,
        now,
        &existing,
    )
    .map_err(ApiError::conflict_from)?;
    let fund = applications::fund_of_round(c, application.round_id)?;
    applications::add_assessment(c, &assessment, fund, &principal.actor(), now)?;
    let mut all = existing;
    all.push(assessment.clone());
    Ok((assessment, all))
}

/// The domain's decision a request asks for.
fn decision_of(body: &DecisionBody) -> Result<Decision, ApiError> {
    let verdict = match body.outcome {
        Outcome::Award => Verdict::Award {
            amount: body
                .amount
                .ok_or_else(|| ApiError::invalid("amount", "an award needs an amount"))?,
        },
        Outcome::Reject => Verdict::Reject,
    };
    Ok(Decision {
        verdict,
        feedback: body.feedback.clone().unwrap_or_default(),
        internal_note: body.internal_note.clone().unwrap_or_default(),
    })
}

/// A decision worked out on an application, before anything is written:
/// shared by [`decide`] and [`super::bulk_decisions::decide_many`].
pub(super) struct Reached {
    pub(super) decided: grantledger_domain::application::Application,
    pub(super) amount: Option<grantledger_domain::Money>,
    pub(super) after: applications::Stored,
    pub(super) action: &'static str,
    pub(super) now: DateTime<Utc>,
}

pub(super) fn decision_on(
    application: &grantledger_domain::application::Application,
    round: &grantledger_domain::round::Round,
    body: &DecisionBody,
) -> Result<Reached, ApiError> {
    let decision = decision_of(body)?;
    let made = application
        .decide(round, decision)
        .map_err(decision_error)?;
    let (decided, amount) = (made.application, made.amount);
    let now = Utc::now();
    let after = applications::Stored {
        application: decided.clone(),
        decided_at: Some(now),
        decision_feedback: made.feedback,
        decision_note: made.internal_note,
        // Kept by the store as assessments arrive, never written by a
        // decision; the saved record reads the stored mean back.
        mean_score: None,
    };
    let action = if amount.is_some() {
        "application.awarded"
    } else {
        "application.rejected"
    };
    Ok(Reached {
        decided,
        amount,
        after,
        action,
        now,
    })
}

/// Decides one application inside the caller's transaction: the
/// application's new state, and for an award the award itself with its
/// money committed from the round (409 when the round cannot cover it),
/// and the decision's notice to the organisation.
/// With `round_id`, an application of another round is not found.
#[tracing::instrument(skip_all, fields(application_id = %id))]
pub fn decide(
    c: &mut AnyConnection,
    notices: &Notices,
    id: ApplicationId,
    round_id: Option<RoundId>,
    body: &DecisionBody,
    actor: &Actor,
) -> Result<Decided, ApiError> {
    let before = applications::get(c, id)?;
    if round_id.is_some_and(|r| r != before.value.application.round_id) {
        return Err(ApiError::not_found("application"));
    }
    let round = rounds::get(c, before.value.application.round_id)?.value;
    let Reached {
        decided,
        amount,
        after,
        action,
        now,
    } = decision_on(&before.value.application, &round, body)?;
    // The application first, the award last, and the award's debit of the
    // round's money last of all (awards::create): that row is one every
    // decision in the round waits for until this transaction commits, so
    // as little as possible should happen after it.
    let application = applications::save(c, &before, &after, action, actor, now)?;
    let award_id = AwardId::new();
    notices::application_decided(
        c,
        notices,
        &round.name,
        &decided,
        amount.map(|a| (award_id, a)),
        after.decision_feedback.as_deref().unwrap_or_default(),
        now,
    )?;
    let award = match amount {
        Some(amount) => {
            let fund = funds::get(c, round.fund_id)?.value;
            let sequence = award_numbers::next_for(c, round.id, amount)?;
            let reference = AwardReference::new(fund.code, round.number, sequence)
                .map_err(ApiError::conflict_from)?;
            let award = Award::offer(award_id, reference, &decided, &round, amount);
            Some(awards::create(c, &award, actor, now)?)
        }
        None => None,
    };
    Ok(Decided { application, award })
}

/// A page of the caller's own organisation's applications in every round
/// (a grantee's dashboard). Staff have no organisation: 403.
pub fn mine(
    c: &mut AnyConnection,
    principal: &Principal,
    page: PageRequest,
) -> Result<Page<Record<applications::Stored>>, ApiError> {
    let grantee_id = principal
        .grantee_id
        .filter(|_| principal.role == Role::Grantee)
        .ok_or_else(|| {
            ApiError::Forbidden("only a grantee user has applications of its own".into())
        })?;
    let filter = applications::ApplicationFilter {
        grantee_id: Some(grantee_id),
        ..Default::default()
    };
    Ok(applications::list(c, &filter, page)?)
}
