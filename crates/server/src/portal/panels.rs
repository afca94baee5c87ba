//! Assessment panels in the portal (issue 20): an assessor's assignments
//! and the scoring form; a round's panel view, where an administrator
//! assigns assessors automatically. The same operations as `/v1/...`
//! (`operations::panels`).

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{get, post, web};
use askama::Template;
use grantledger_domain::assessment::assignment::AssessorsPerApplication;
use grantledger_domain::assessment::criteria::CriterionScore;
use grantledger_domain::assessment::moderation::PanelDecision;
use grantledger_domain::ids::{ApplicationId, RoundId, UserId};
use serde::Deserialize;

use crate::error::ApiError;
use crate::http::blocking;
use crate::operations;
use crate::policy::Action;
use crate::portal::applications::{View, application_id, load, view};
use crate::portal::format::status;
use crate::portal::forms::FormErrors;
use crate::portal::messages::english;
use crate::portal::page::{Chrome, PortalError, PortalResult, html, html_with_status, see_other};
use crate::portal::payment_runs::SelectOption;
use crate::portal::rounds::Choice;
use crate::portal::session::{Posted, SignedIn};
use crate::portal::table::{Cell, Table};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "assignments.html")]
struct AssignmentsPage {
    c: Chrome,
    scored: bool,
    table: Table,
}

/// Whether the page follows a score sheet just recorded.
#[derive(Debug, Deserialize)]
pub struct Scored {
    scored: Option<String>,
}

/// The applications assigned to the signed-in assessor.
#[get("/assignments")]
pub async fn assignments(
    state: web::Data<AppState>,
    signed_in: SignedIn,
    query: web::Query<Scored>,
) -> PortalResult {
    signed_in.may(Action::Assess)?;
    let principal = signed_in.principal.clone();
    let work = blocking(move || {
        state
            .db
            .read(|c| operations::panels::my_work(c, &principal))
    })
    .await?;
    let m = english();
    let mut table = Table::under_heading(
        m.t("assignments-title"),
        &[
            (m.t("column-application"), false),
            (m.t("column-status"), false),
            (m.t("assignments-scored"), false),
        ],
        m.t("assignments-none"),
    );
    table.rows = work
        .into_iter()
        .map(|w| {
            let a = &w.application.value.application;
            let (text, href) = if w.scored || !a.status.is_assessable() {
                (a.project_title.clone(), format!("/applications/{}", a.id))
            } else {
                (
                    a.project_title.clone(),
                    format!("/applications/{}/score", a.id),
                )
            };
            vec![
                Cell::link(text, href),
                Cell::tag(status(m, "application", a.status.as_str())),
                Cell::text(m.t(if w.scored { "yes" } else { "no" })),
            ]
        })
        .collect();
    html(&AssignmentsPage {
        c: Chrome::signed_in(&signed_in, "home"),
        scored: query.scored.is_some(),
        table,
    })
}

/// A criterion on the scoring form.
#[derive(Debug)]
pub struct CriterionField {
    /// Its id, which names its fields (`score-<id>`, `comment-<id>`).
    pub id: String,
    /// What is scored.
    pub name: String,
    /// What a high or low score means.
    pub guidance: String,
    /// Its weight.
    pub weight: u8,
    /// The score typed, if any.
    pub score: String,
    /// The comment typed.
    pub comment: String,
}

#[derive(Template)]
#[template(path = "score.html")]
struct ScorePage {
    c: Chrome,
    errors: FormErrors,
    a: View,
    scale: String,
    criteria: Vec<CriterionField>,
}

async fn score_page(
    state: &web::Data<AppState>,
    signed_in: &SignedIn,
    path: &str,
    typed: &HashMap<String, String>,
    errors: FormErrors,
) -> PortalResult {
    let (_, record, round) = load(state, signed_in, path, Action::Assess).await?;
    let round_id = round.id;
    let criteria = {
        let state = state.clone();
        blocking(move || state.db.read(|c| operations::panels::criteria(c, round_id))).await?
    };
    let scale = criteria.criteria.scale();
    let fields = criteria
        .criteria
        .criteria()
        .iter()
        .map(|k| {
            let id = k.id().to_string();
            CriterionField {
                score: typed
                    .get(&format!("score-{id}"))
                    .cloned()
                    .unwrap_or_default(),
                comment: typed
                    .get(&format!("comment-{id}"))
                    .cloned()
                    .unwrap_or_default(),
                name: k.name().to_string(),
                guidance: k.guidance().as_str().to_owned(),
                weight: k.weight().into(),
                id,
            }
        })
        .collect();
    let status_code = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    html_with_status(
        status_code,
        &ScorePage {
            c: Chrome::signed_in(signed_in, "home"),
            errors,
            a: view(&record, &round, signed_in.principal.role),
            scale: scale.to_string(),
            criteria: fields,
        },
    )
}

/// The scoring form: one score and comment per criterion.
#[get("/applications/{id}/score")]
pub async fn score_form(
    state: web::Data<AppState>,
    signed_in: SignedIn,
    path: web::Path<String>,
) -> PortalResult {
    score_page(
        &state,
        &signed_in,
        &path,
        &HashMap::new(),
        FormErrors::default(),
    )
    .await
}

/// Records the score sheet; refused scores come back with the form.
#[post("/applications/{id}/score")]
pub async fn score(
    state: web::Data<AppState>,
    posted: Posted<HashMap<String, String>>,
    path: web::Path<String>,
) -> PortalResult {
    let id = application_id(&path)?;
    let Posted { signed_in, form } = posted;
    signed_in.may(Action::Assess)?;
    let m = english();
    let mut errors = FormErrors::default();
    let mut scores = Vec::new();
    for (key, typed) in &form {
        let Some(criterion) = key.strip_prefix("score-") else {
            continue;
        };
        let criterion_id = criterion.parse().map_err(|_| PortalError::BadForm)?;
        match typed.trim().parse::<u8>() {
            Ok(score) => scores.push(CriterionScore {
                criterion_id,
                score,
                comment: form
                    .get(&format!("comment-{criterion}"))
                    .cloned()
                    .unwrap_or_default(),
            }),
            Err(_) => errors.add(key, m.t("score-missing")),
        }
    }
    if errors.is_empty() {
        let principal = signed_in.principal.clone();
        let state = state.clone();
        let recorded = blocking(move || {
            state
                .db
                .write(|c| operations::panels::score(c, &principal, id, scores))
        })
        .await;
        match recorded {
            Ok(_) => return Ok(see_other("/assignments?scored=1")),
            Err(e) => {
                // The API names the whole sheet (`scores`); on the form
                // the message is about the form as a whole.
                errors = FormErrors::from_api(e)?;
                for item in &mut errors.items {
                    if item.field == "scores" {
                        item.field.clear();
                    }
                }
            }
        }
    }
    score_page(&state, &signed_in, &path, &form, errors).await
}

#[derive(Template)]
#[template(path = "panel.html")]
struct PanelPage {
    c: Chrome,
    errors: FormErrors,
    id: String,
    round: String,
    criteria: Vec<String>,
    margin: String,
    table: Table,
    assigns: bool,
    assigned: Option<usize>,
    per_application: String,
}

fn round_id(raw: &str) -> Result<RoundId, PortalError> {
    raw.parse::<uuid::Uuid>()
        .map(RoundId::from_uuid)
        .map_err(|_| PortalError::NotFound)
}

/// After an automatic assignment: how many were made.
#[derive(Debug, Deserialize)]
pub struct Assigned {
    assigned: Option<usize>,
}

async fn panel_page(
    state: &web::Data<AppState>,
    signed_in: &SignedIn,
    round: RoundId,
    assigned: Option<usize>,
    per_application: String,
    errors: FormErrors,
) -> PortalResult {
    signed_in.may(Action::ReadPanels)?;
    let state = state.clone();
    let read = blocking(move || {
        state.db.read(|c| {
            let round_state = operations::rounds::get(c, round)?;
            let found = operations::panels::panel(c, round)?;
            let rows = &found.rows;
            let ids: Vec<ApplicationId> = rows.iter().map(|r| r.application_id).collect();
            let titles: HashMap<ApplicationId, String> =
                grantledger_store::applications::get_many(c, &ids)?
                    .into_iter()
                    .map(|(id, r)| (id, r.value.application.project_title))
                    .collect();
            let mut assessors: HashMap<UserId, String> = HashMap::new();
            for row in rows {
                for s in &row.scores {
                    if let std::collections::hash_map::Entry::Vacant(e) =
                        assessors.entry(s.assessor_id)
                    {
                        let email = operations::users::get(c, s.assessor_id)
                            .map(|u| u.value.email.as_str().to_owned())
                            .unwrap_or_else(|_| s.assessor_id.to_string());
                        e.insert(email);
                    }
                }
            }
            Ok((round_state.record.value.name, found, titles, assessors))
        })
    })
    .await;
    let (round_name, found, titles, assessors) = match read {
        Ok(read) => read,
        // Nothing to show before the criteria: an administrator sets them.
        Err(ApiError::NotFound {
            entity: "round criteria",
        }) if signed_in.can(Action::ManagePanels) => {
            return Ok(see_other(&format!("/rounds/{round}/criteria")));
        }
        Err(ApiError::NotFound {
            entity: "round criteria",
        }) => return Err(PortalError::NotFound),
        Err(e) => return Err(e.into()),
    };
    let m = english();
    let mut table = Table::under_heading(
        m.t("panel-title"),
        &[
            (m.t("column-application"), false),
            (m.t("panel-scores"), false),
            (m.t("panel-mean"), true),
            (m.t("panel-spread"), true),
            (m.t("column-status"), false),
            (m.t("panel-recommends"), false),
        ],
        m.t("panel-none"),
    );
    let criteria = &found.criteria;
    table.rows = found
        .rows
        .iter()
        .map(|r| {
            let recommends = found
                .recommendations
                .get(&r.application_id)
                .map(|rec| m.t(&format!("panel-decision-{}", rec.decision().as_str())))
                .unwrap_or_default();
            let scores = r
                .scores
                .iter()
                .map(|s| {
                    format!(
                        "{}: {}",
                        assessors.get(&s.assessor_id).map_or("?", String::as_str),
                        s.score.rounded()
                    )
                })
                .collect::<Vec<_>>()
                .join("; ");
            let flag = if r.disagreement {
                Cell::tag((m.t("panel-disagree"), "orange"))
            } else if r.scores.is_empty() {
                Cell::tag((m.t("panel-unscored"), "grey"))
            } else {
                Cell::tag((m.t("panel-agree"), "green"))
            };
            vec![
                Cell::link(
                    titles.get(&r.application_id).cloned().unwrap_or_default(),
                    format!("/applications/{}", r.application_id),
                ),
                Cell::text(scores),
                Cell::figure(r.mean_rounded().map(|d| d.to_string()).unwrap_or_default()),
                Cell::figure(
                    r.spread_rounded()
                        .map(|d| d.to_string())
                        .unwrap_or_default(),
                ),
                flag,
                Cell::text(recommends),
            ]
        })
        .collect();
    let scale = criteria.criteria.scale();
    let status_code = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    html_with_status(
        status_code,
        &PanelPage {
            c: Chrome::signed_in(signed_in, "home"),
            errors,
            id: round.to_string(),
            round: round_name,
            criteria: criteria
                .criteria
                .criteria()
                .iter()
                .map(|k| {
                    m.with(
                        "panel-criterion",
                        &[
                            ("name", k.name().as_ref()),
                            ("weight", &u8::from(k.weight()).to_string()),
                            ("scale", &scale.to_string()),
                        ],
                    )
                })
                .collect(),
            margin: criteria.margin.value().to_string(),
            table,
            assigns: signed_in.can(Action::ManagePanels),
            assigned,
            per_application,
        },
    )
}

/// The panel view of a round.
#[get("/rounds/{id}/panel")]
pub async fn panel(
    state: web::Data<AppState>,
    signed_in: SignedIn,
    path: web::Path<String>,
    query: web::Query<Assigned>,
) -> PortalResult {
    let round = round_id(&path)?;
    panel_page(
        &state,
        &signed_in,
        round,
        query.assigned,
        "2".to_owned(),
        FormErrors::default(),
    )
    .await
}

/// What the assignment form posts.
#[derive(Debug, Deserialize)]
pub struct AssignForm {
    #[serde(default)]
    per_application: String,
}

/// Assigns assessors to every application awaiting assessment.
#[post("/rounds/{id}/assign")]
pub async fn assign(
    state: web::Data<AppState>,
    posted: Posted<AssignForm>,
    path: web::Path<String>,
) -> PortalResult {
    let round = round_id(&path)?;
    let Posted { signed_in, form } = posted;
    signed_in.may(Action::ManagePanels)?;
    let m = english();
    let per = form
        .per_application
        .trim()
        .parse::<u8>()
        .ok()
        .and_then(|n| AssessorsPerApplication::new(n).ok());
    let errors = match per {
        None => FormErrors::one("per_application", m.t("panel-per-application-invalid")),
        Some(per) => {
            let actor = signed_in.principal.actor();
            let state = state.clone();
            let made = blocking(move || {
                state.db.write(|c| {
                    operations::panels::assign_automatically(c, &actor, round, per, Vec::new())
                })
            })
            .await;
            match made {
                Ok(plan) => {
                    return Ok(see_other(&format!(
                        "/rounds/{round}/panel?assigned={}",
                        plan.assignments.len()
                    )));
                }
                Err(e) => FormErrors::from_api(e)?,
            }
        }
    };
    panel_page(
        &state,
        &signed_in,
        round,
        None,
        form.per_application.clone(),
        errors,
    )
    .await
}

/// The panel's three recommendations as radio choices, none chosen.
pub fn decision_choices() -> Vec<Choice> {
    let m = english();
    PanelDecision::ALL
        .iter()
        .map(|d| Choice {
            value: d.as_str(),
            label: m.t(&format!("panel-decision-{}", d.as_str())),
            checked: false,
        })
        .collect()
}

/// What the recommendation form posts.
#[derive(Debug, Deserialize)]
pub struct RecommendationForm {
    #[serde(default)]
    decision: String,
    #[serde(default)]
    note: String,
}

/// Records the panel's recommendation and goes back to the application.
#[post("/applications/{id}/recommendation")]
pub async fn recommend(
    state: web::Data<AppState>,
    posted: Posted<RecommendationForm>,
    path: web::Path<String>,
) -> PortalResult {
    let id = application_id(&path)?;
    let Posted { signed_in, form } = posted;
    signed_in.may(Action::ManagePanels)?;
    let decision = form
        .decision
        .parse::<PanelDecision>()
        .map_err(|_| PortalError::Refused {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            reason: english().t("panel-recommend-missing"),
        })?;
    let actor = signed_in.principal.actor();
    blocking(move || {
        state
            .db
            .write(|c| operations::panels::recommend(c, &actor, id, decision, &form.note))
    })
    .await?;
    Ok(see_other(&format!("/applications/{id}")))
}

/// Who assesses an application, as its page shows staff who read the panel:
/// the assessors assigned and, for those who assign, the ones who could be.
#[derive(Debug)]
pub struct AssessorsBox {
    /// Emails of the assessors assigned.
    pub assigned: Vec<String>,
    /// The select box of assessors who could be added; empty when the
    /// reader may not assign or the application is not awaiting assessment.
    pub available: Vec<SelectOption>,
}

/// The [`AssessorsBox`] of an application, or `None` for a reader who may
/// not read the panel.
pub async fn assessors_box(
    state: &web::Data<AppState>,
    signed_in: &SignedIn,
    id: ApplicationId,
    assessable: bool,
) -> Result<Option<AssessorsBox>, PortalError> {
    if !signed_in.can(Action::ReadPanels) {
        return Ok(None);
    }
    let state = state.clone();
    let found =
        blocking(move || state.db.read(|c| operations::panels::assessors_of(c, id))).await?;
    let assigns = assessable && signed_in.can(Action::ManagePanels);
    Ok(Some(AssessorsBox {
        assigned: found.assigned.into_iter().map(|(_, e)| e).collect(),
        available: if assigns {
            found
                .available
                .into_iter()
                .map(|(id, email)| SelectOption {
                    value: id.to_string(),
                    label: email,
                    selected: false,
                })
                .collect()
        } else {
            Vec::new()
        },
    }))
}

/// What the assign-by-hand form posts.
#[derive(Debug, Deserialize)]
pub struct AssignOneForm {
    #[serde(default)]
    assessor_id: String,
}

/// Assigns one assessor to the application by hand.
#[post("/applications/{id}/assign")]
pub async fn assign_one(
    state: web::Data<AppState>,
    posted: Posted<AssignOneForm>,
    path: web::Path<String>,
) -> PortalResult {
    let id = application_id(&path)?;
    let Posted { signed_in, form } = posted;
    signed_in.may(Action::ManagePanels)?;
    let assessor = form
        .assessor_id
        .parse::<uuid::Uuid>()
        .map(UserId::from_uuid)
        .map_err(|_| PortalError::Refused {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            reason: english().t("panel-assessor-missing"),
        })?;
    let actor = signed_in.principal.actor();
    blocking(move || {
        state
            .db
            .write(|c| operations::panels::assign(c, &actor, id, assessor))
    })
    .await?;
    Ok(see_other(&format!("/applications/{id}")))
}
