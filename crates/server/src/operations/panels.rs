//! Assessment panels (issue 20): an administrator sets a round's weighted
//! criteria and assigns assessors (by hand or automatically, never to an
//! application they declared a conflict on); assigned assessors record a
//! score sheet; the panel reads every application's weighted scores side
//! by side with disagreements flagged. The rules are the domain's
//! (`grantledger_domain::assessment::{criteria, assignment, moderation}`).

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, SubsecRound, Utc};
use grantledger_domain::application::ApplicationStatus;
use grantledger_domain::assessment::assignment::{
    ApplicationToCover, AssessorConflicts, AssessorsPerApplication, AssignmentError,
    AssignmentInput, AssignmentPair, AssignmentPlan, assign_one,
};
use grantledger_domain::assessment::criteria::{Criteria, CriterionScore, ScoreSheet};
use grantledger_domain::assessment::moderation::{
    Margin, ModerationRow, PanelDecision, PanelRecommendation, SubmittedSheet, panel_view,
};
use grantledger_domain::ids::{ApplicationId, RoundId, UserId};
use grantledger_domain::user::Role;
use grantledger_store::common::{Actor, PageRequest};
use grantledger_store::error::StoreError;
use grantledger_store::panels::RoundCriteria;
use grantledger_store::users::UserFilter;
use grantledger_store::{AnyConnection, applications, panels, users};

use crate::auth::principal::Principal;
use crate::error::ApiError;

/// Applications an assessor may be assigned to and score.
const ASSESSABLE: [ApplicationStatus; 2] =
    [ApplicationStatus::Submitted, ApplicationStatus::UnderReview];

/// Applications the panel shows: every one past draft and not withdrawn.
const ON_THE_PANEL: [ApplicationStatus; 4] = [
    ApplicationStatus::Submitted,
    ApplicationStatus::UnderReview,
    ApplicationStatus::Awarded,
    ApplicationStatus::Rejected,
];

fn now() -> DateTime<Utc> {
    // Microseconds, as the store keeps them.
    Utc::now().trunc_subsecs(6)
}

fn assignment_error(e: AssignmentError) -> ApiError {
    match e {
        AssignmentError::PerApplicationOutOfRange { .. } => {
            ApiError::invalid("per_application", e.to_string())
        }
        other => ApiError::conflict_from(other),
    }
}

/// The round's criteria, or 404 when none are set.
pub fn criteria(c: &mut AnyConnection, round: RoundId) -> Result<RoundCriteria, ApiError> {
    crate::operations::rounds::get(c, round)?;
    panels::criteria(c, round)?.ok_or(ApiError::not_found("round criteria"))
}

/// Sets the round's criteria and margin. They cannot change once anyone has
/// scored: the sheets already recorded were checked against them.
pub fn set_criteria(
    c: &mut AnyConnection,
    actor: &Actor,
    round: RoundId,
    criteria: &Criteria,
    margin: Margin,
) -> Result<RoundCriteria, ApiError> {
    let state = crate::operations::rounds::get(c, round)?;
    if panels::any_sheets(c, round)? {
        return Err(ApiError::conflict(
            "assessors have started scoring this round, so its criteria can no longer change",
        ));
    }
    let before = panels::criteria(c, round)?;
    let fund = state.record.value.fund_id;
    Ok(panels::set_criteria(
        c,
        before.as_ref(),
        criteria,
        margin,
        round,
        fund,
        actor,
        now(),
    )?)
}

/// The round's applications awaiting assessment, as the planner sees them.
fn to_cover(
    c: &mut AnyConnection,
    round: RoundId,
    statuses: &[ApplicationStatus],
) -> Result<Vec<ApplicationToCover>, ApiError> {
    Ok(applications::applicants_in_round(c, round, statuses)?
        .into_iter()
        .map(|(application_id, grantee_id)| ApplicationToCover {
            application_id,
            grantee_id,
        })
        .collect())
}

/// Every conflict declared in the round, per assessor, as a conflict with
/// the organisation of the application it was declared on
/// ([`AssessorConflicts::from_declarations`]).
fn conflicts_in_round(
    c: &mut AnyConnection,
    round: RoundId,
) -> Result<BTreeMap<UserId, AssessorConflicts>, ApiError> {
    let grantees: HashMap<ApplicationId, grantledger_domain::ids::GranteeId> =
        applications::applicants_in_round(c, round, &ApplicationStatus::ALL)?
            .into_iter()
            .collect();
    let declared = applications::assessments_in_round(c, round)?;
    Ok(AssessorConflicts::from_declarations(&declared, |a| {
        grantees.get(&a).copied()
    }))
}

/// Checks every id is an enabled assessor, naming the first that is not.
fn check_assessors(c: &mut AnyConnection, ids: &[UserId]) -> Result<(), ApiError> {
    for (i, id) in ids.iter().enumerate() {
        let ok = match users::get(c, *id) {
            Ok(u) => u.value.role == Role::Assessor && !u.value.disabled,
            Err(StoreError::NotFound { .. }) => false,
            Err(e) => return Err(e.into()),
        };
        if !ok {
            return Err(ApiError::invalid(
                format!("assessors[{i}]"),
                format!("{id} is not an enabled assessor"),
            ));
        }
    }
    Ok(())
}

/// Every enabled assessor, with their sign-in email.
fn all_assessors(c: &mut AnyConnection) -> Result<Vec<(UserId, String)>, ApiError> {
    let filter = UserFilter {
        role: Some(Role::Assessor),
        ..UserFilter::default()
    };
    let mut out = Vec::new();
    let mut after = None;
    loop {
        let page = users::list(c, &filter, PageRequest::new(Some(500), after))?;
        out.extend(
            page.items
                .iter()
                .filter(|u| !u.value.disabled)
                .map(|u| (u.value.id, u.value.email.as_str().to_owned())),
        );
        match page.next {
            Some(next) => after = Some(next),
            None => return Ok(out),
        }
    }
}

/// Assigns `per_application` assessors to every application of the round
/// awaiting assessment, from `assessors` (every enabled assessor when
/// empty), balancing their load and never assigning an assessor to an
/// application they declared a conflict on. Returns the plan made,
/// including any application that could not get enough assessors.
pub fn assign_automatically(
    c: &mut AnyConnection,
    actor: &Actor,
    round: RoundId,
    per_application: AssessorsPerApplication,
    assessors: Vec<UserId>,
) -> Result<AssignmentPlan, ApiError> {
    let state = crate::operations::rounds::get(c, round)?;
    let assessors = if assessors.is_empty() {
        all_assessors(c)?.into_iter().map(|(id, _)| id).collect()
    } else {
        check_assessors(c, &assessors)?;
        assessors
    };
    let input = AssignmentInput {
        applications: to_cover(c, round, &ASSESSABLE)?,
        assessors,
        conflicts: conflicts_in_round(c, round)?,
        existing: panels::assignments(c, round)?,
        per_application,
    };
    let plan = input.plan();
    panels::assign(
        c,
        round,
        state.record.value.fund_id,
        &plan.assignments,
        actor,
        now(),
    )?;
    Ok(plan)
}

/// Assigns one assessor to one application by hand.
pub fn assign(
    c: &mut AnyConnection,
    actor: &Actor,
    application: ApplicationId,
    assessor: UserId,
) -> Result<AssignmentPair, ApiError> {
    let record = applications::get(c, application)?;
    let a = &record.value.application;
    if !a.status.is_assessable() {
        return Err(ApiError::conflict(format!(
            "only submitted applications or those under review can be assigned; this one is {}",
            a.status.label().to_lowercase()
        )));
    }
    check_assessors(c, &[assessor]).map_err(|_| {
        ApiError::invalid(
            "assessor_id",
            format!("{assessor} is not an enabled assessor"),
        )
    })?;
    let conflicts = conflicts_in_round(c, a.round_id)?;
    let cover = ApplicationToCover {
        application_id: a.id,
        grantee_id: a.grantee_id,
    };
    let existing = panels::assignments(c, a.round_id)?;
    let pair = assign_one(
        &cover,
        assessor,
        conflicts
            .get(&assessor)
            .unwrap_or(&AssessorConflicts::default()),
        &existing,
    )
    .map_err(assignment_error)?;
    let fund = applications::fund_of_round(c, a.round_id)?;
    panels::assign(c, a.round_id, fund, &[pair], actor, now())?;
    Ok(pair)
}

/// The round's assignments.
pub fn assignments(c: &mut AnyConnection, round: RoundId) -> Result<Vec<AssignmentPair>, ApiError> {
    crate::operations::rounds::get(c, round)?;
    Ok(panels::assignments(c, round)?)
}

/// The applications assigned to the caller.
pub fn my_assignments(
    c: &mut AnyConnection,
    principal: &Principal,
) -> Result<Vec<AssignmentPair>, ApiError> {
    Ok(panels::assignments_of(c, principal.user_id)?)
}

/// Records the caller's score sheet on an application they are assigned
/// to, against the round's criteria; returns it with its weighted score.
pub fn score(
    c: &mut AnyConnection,
    principal: &Principal,
    application: ApplicationId,
    scores: Vec<CriterionScore>,
) -> Result<ScoreSheet, ApiError> {
    let record = applications::get(c, application)?;
    let a = record.value.application;
    let assigned = panels::assignments_of(c, principal.user_id)?
        .iter()
        .any(|p| p.application_id == a.id);
    if !assigned {
        return Err(ApiError::conflict(
            "you are not assigned to this application, so you cannot score it",
        ));
    }
    if !a.status.is_assessable() {
        return Err(ApiError::conflict(format!(
            "only submitted applications or those under review can be scored; this one is {}",
            a.status.label().to_lowercase()
        )));
    }
    let conflicts = conflicts_in_round(c, a.round_id)?;
    if let Some(mine) = conflicts.get(&principal.user_id) {
        let cover = ApplicationToCover {
            application_id: a.id,
            grantee_id: a.grantee_id,
        };
        if let Some(e) = mine.check(principal.user_id, &cover) {
            return Err(assignment_error(e));
        }
    }
    let round_criteria = panels::criteria(c, a.round_id)?.ok_or_else(|| {
        ApiError::conflict("this round has no assessment criteria yet, so it cannot be scored")
    })?;
    let sheet = ScoreSheet::new(&round_criteria.criteria, scores)
        .map_err(|e| ApiError::invalid("scores", e.to_string()))?;
    let submitted = SubmittedSheet {
        application_id: a.id,
        assessor_id: principal.user_id,
        sheet,
    };
    let fund = applications::fund_of_round(c, a.round_id)?;
    match panels::record_sheet(c, a.round_id, fund, &submitted, &principal.actor(), now()) {
        Ok(()) => Ok(submitted.sheet),
        Err(StoreError::Duplicate { .. }) => Err(ApiError::conflict(
            "you have already scored this application",
        )),
        Err(e) => Err(e.into()),
    }
}

/// The panel view of a round: the criteria, and for each application its
/// weighted scores side by side, the mean, the spread and whether
/// assessors disagree by more than the round's margin (highest mean first,
/// unscored last), with the panel's recommendation where it has made one.
#[derive(Debug)]
pub struct Panel {
    /// The criteria scored against.
    pub criteria: RoundCriteria,
    /// One row per application, in the panel's order.
    pub rows: Vec<ModerationRow>,
    /// The panel's recommendations, by application.
    pub recommendations: HashMap<ApplicationId, PanelRecommendation>,
}

/// The panel view of a round ([`Panel`]).
pub fn panel(c: &mut AnyConnection, round: RoundId) -> Result<Panel, ApiError> {
    let round_criteria = criteria(c, round)?;
    let covered = to_cover(c, round, &ON_THE_PANEL)?;
    let sheets = panels::sheets(c, round, &round_criteria.criteria)?;
    let conflicts = conflicts_in_round(c, round)?;
    let rows = panel_view(
        &round_criteria.criteria,
        round_criteria.margin,
        &covered,
        &sheets,
        &conflicts,
    )
    .map_err(ApiError::conflict_from)?;
    Ok(Panel {
        criteria: round_criteria,
        rows,
        recommendations: panels::recommendations(c, round)?,
    })
}

/// Records the panel's recommendation on an application awaiting a
/// decision, replacing any earlier one.
pub fn recommend(
    c: &mut AnyConnection,
    actor: &Actor,
    application: ApplicationId,
    decision: PanelDecision,
    note: &str,
) -> Result<PanelRecommendation, ApiError> {
    let record = applications::get(c, application)?;
    let a = &record.value.application;
    if !a.status.is_decidable() {
        return Err(ApiError::conflict(format!(
            "the panel recommends on applications awaiting a decision; this one is {}",
            a.status.label().to_lowercase()
        )));
    }
    let recommendation = PanelRecommendation::new(a.id, decision, note)
        .map_err(|e| ApiError::invalid("note", e.to_string()))?;
    let fund = applications::fund_of_round(c, a.round_id)?;
    panels::recommend(c, a.round_id, fund, &recommendation, actor, now())?;
    Ok(recommendation)
}

/// The panel's recommendation on one application, if any.
pub fn recommendation(
    c: &mut AnyConnection,
    application: ApplicationId,
) -> Result<Option<PanelRecommendation>, ApiError> {
    Ok(panels::recommendation(c, application)?)
}

/// One application assigned to the caller, and whether they have scored it.
#[derive(Debug)]
pub struct MyAssignment {
    /// The application.
    pub application: grantledger_store::common::Record<applications::Stored>,
    /// Whether the caller has recorded a score sheet on it.
    pub scored: bool,
}

/// The caller's assignments with their applications, oldest first.
pub fn my_work(
    c: &mut AnyConnection,
    principal: &Principal,
) -> Result<Vec<MyAssignment>, ApiError> {
    let pairs = panels::assignments_of(c, principal.user_id)?;
    let scored = panels::scored_by(c, principal.user_id)?;
    let ids: Vec<ApplicationId> = pairs.iter().map(|p| p.application_id).collect();
    let mut found = applications::get_many(c, &ids)?;
    Ok(ids
        .iter()
        .filter_map(|id| found.remove(id))
        .map(|application| MyAssignment {
            scored: scored.contains(&application.value.application.id),
            application,
        })
        .collect())
}

/// Who is assigned to an application, and every enabled assessor who could
/// be added by hand (not yet assigned, no conflict declared on it), each
/// with their sign-in email.
#[derive(Debug)]
pub struct Assessors {
    /// Assigned now.
    pub assigned: Vec<(UserId, String)>,
    /// Could be assigned by hand.
    pub available: Vec<(UserId, String)>,
}

/// [`Assessors`] of one application.
pub fn assessors_of(
    c: &mut AnyConnection,
    application: ApplicationId,
) -> Result<Assessors, ApiError> {
    let record = applications::get(c, application)?;
    let a = &record.value.application;
    let assigned: Vec<UserId> = panels::assignments(c, a.round_id)?
        .into_iter()
        .filter(|p| p.application_id == a.id)
        .map(|p| p.assessor_id)
        .collect();
    let conflicts = conflicts_in_round(c, a.round_id)?;
    let cover = ApplicationToCover {
        application_id: a.id,
        grantee_id: a.grantee_id,
    };
    let mut out = Assessors {
        assigned: Vec::new(),
        available: Vec::new(),
    };
    // Read one by one: an assigned assessor may since have been disabled,
    // so is not among `all_assessors`.
    for id in &assigned {
        out.assigned
            .push((*id, users::get(c, *id)?.value.email.as_str().to_owned()));
    }
    for (id, email) in all_assessors(c)? {
        let conflicted = conflicts
            .get(&id)
            .is_some_and(|k| k.check(id, &cover).is_some());
        if !assigned.contains(&id) && !conflicted {
            out.available.push((id, email));
        }
    }
    Ok(out)
}
