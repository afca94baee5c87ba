//! Applying: start a draft, save and come back, change it, check the
//! answers, submit (a confirmation with the reference), or withdraw.

use actix_web::http::StatusCode;
use actix_web::{get, post, web};
use askama::Template;
use grantledger_domain::application::{Application, ApplicationStatus};
use grantledger_domain::ids::{ApplicationId, RoundId};
use grantledger_store::applications::Stored;
use grantledger_store::common::Record;
use serde::Deserialize;

use crate::http::{IfMatch, blocking};
use crate::operations;
use crate::operations::applications::{DraftChanges, NewApplication};
use crate::policy::Action;
use crate::portal::answers::{FormSummary, summary_for};
use crate::portal::format::{instant, pounds, status};
use crate::portal::forms::FormErrors;
use crate::portal::messages::english;
use crate::portal::page::{Chrome, PortalError, PortalResult, html, html_with_status, see_other};
use crate::portal::rounds::money_answer;
use crate::portal::session::{Posted, SignedIn};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "application_form.html")]
struct FormPage {
    c: Chrome,
    errors: FormErrors,
    heading: String,
    action: String,
    back: String,
    round: String,
    version: String,
    project_title: String,
    summary: String,
    amount_requested: String,
}

/// An application as its pages show it.
#[derive(Debug)]
pub struct View {
    /// Its id.
    pub id: String,
    /// The round's name.
    pub round: String,
    /// When the round closes.
    pub closes: String,
    /// The project's title.
    pub title: String,
    /// What it will do.
    pub summary: String,
    /// What is asked for.
    pub amount: String,
    /// Its status in words and tag colour.
    pub status: (String, &'static str),
    /// When it was submitted.
    pub submitted: Option<String>,
    /// The decision's feedback, for the applicant.
    pub feedback: Option<String>,
    /// The decision's internal note: `None` for a reader who may not see it.
    pub internal_note: Option<String>,
    /// Whether it can still be changed.
    pub editable: bool,
    /// Whether it can be withdrawn.
    pub withdrawable: bool,
}

#[derive(Template)]
#[template(path = "application.html")]
struct ApplicationPage {
    c: Chrome,
    a: View,
    saved: bool,
    /// Whether the reader may decide it now (staff who decide, and it is
    /// awaiting a decision).
    decidable: bool,
    /// The panel's recommendation and note, for staff who read the panel.
    recommendation: Option<(String, Option<String>)>,
    /// Whether the reader may record the panel's recommendation now.
    recommends: bool,
    /// The recommendation form's choices.
    panel_choices: Vec<crate::portal::rounds::Choice>,
    /// The recommendation form has no errors of its own to show (a bad
    /// post is answered by its own page).
    no_errors: FormErrors,
    /// The emails of its assessors, for staff who read the panel.
    assessors: Option<Vec<String>>,
    /// Assessors who could be assigned by hand, for those who assign.
    assessors_available: Vec<crate::portal::payment_runs::SelectOption>,
    /// The round's own questions and their answers, if it has a form.
    answers: Option<FormSummary>,
    /// Whether the reader may change the answers (the applicant, on a draft).
    editable: bool,
    /// Whether the reader may start its review now.
    reviewable: bool,
    /// Whether the reader may give it a later deadline now.
    extendable: bool,
    /// The award made on it: its reference and id.
    award: Option<(String, String)>,
}

#[derive(Template)]
#[template(path = "check_answers.html")]
struct CheckPage {
    c: Chrome,
    errors: FormErrors,
    a: View,
    answers: Option<FormSummary>,
    editable: bool,
}

#[derive(Template)]
#[template(path = "submitted.html")]
struct SubmittedPage {
    c: Chrome,
    a: View,
}

#[derive(Template)]
#[template(path = "withdraw.html")]
struct WithdrawPage {
    c: Chrome,
    a: View,
}

pub(super) fn application_id(raw: &str) -> Result<ApplicationId, PortalError> {
    raw.parse::<uuid::Uuid>()
        .map(ApplicationId::from_uuid)
        .map_err(|_| PortalError::NotFound)
}

pub(super) fn view(
    record: &Record<Stored>,
    round: &grantledger_domain::round::Round,
    reader: grantledger_domain::user::Role,
) -> View {
    let m = english();
    let a = &record.value.application;
    View {
        id: a.id.to_string(),
        round: round.name.clone(),
        closes: instant(round.window.closes_at()),
        title: a.project_title.clone(),
        summary: a.summary.clone(),
        amount: pounds(a.amount_requested),
        status: status(m, "application", a.status.as_str()),
        submitted: a.submitted_at.map(instant),
        feedback: record.value.decision_feedback.clone(),
        internal_note: record
            .value
            .decision_note
            .clone()
            .filter(|_| reader.sees_internal_notes()),
        editable: a.status.is_editable(),
        withdrawable: matches!(
            a.status,
            ApplicationStatus::Draft
                | ApplicationStatus::Submitted
                | ApplicationStatus::UnderReview
        ),
    }
}

/// Checks the person may take `action`, then loads the application at
/// `path` (if they may see it) with its round.
pub(super) async fn load(
    state: &web::Data<AppState>,
    signed_in: &SignedIn,
    path: &str,
    action: Action,
) -> Result<
    (
        ApplicationId,
        Record<Stored>,
        grantledger_domain::round::Round,
    ),
    PortalError,
> {
    let id = application_id(path)?;
    signed_in.may(action)?;
    let state = state.clone();
    let principal = signed_in.principal.clone();
    let (record, round) = blocking(move || {
        state.db.read(|c| {
            let record = operations::applications::visible(c, &principal, id)?;
            let round = operations::rounds::get(c, record.value.application.round_id)?;
            Ok((record, round.record.value))
        })
    })
    .await?;
    Ok((id, record, round))
}

/// What the application form posts.
#[derive(Debug, Default, Deserialize)]
pub struct Draft {
    #[serde(default)]
    project_title: String,
    #[serde(default)]
    summary: String,
    #[serde(default)]
    amount_requested: String,
    /// The version read, for a change.
    #[serde(default)]
    version: String,
    /// `later` to save and return to the application page.
    #[serde(default)]
    then: String,
}

/// A blank application form for a round.
#[get("/rounds/{id}/apply")]
pub async fn new_form(
    state: web::Data<AppState>,
    signed_in: SignedIn,
    path: web::Path<String>,
) -> PortalResult {
    let id = round_id(&path)?;
    signed_in.may(Action::Apply)?;
    let round = blocking(move || state.db.read(|c| operations::rounds::get(c, id))).await?;
    html(&start_page(
        &signed_in,
        &round.record.value,
        Draft::default(),
        FormErrors::default(),
    ))
}

fn round_id(raw: &str) -> Result<RoundId, PortalError> {
    raw.parse::<uuid::Uuid>()
        .map(RoundId::from_uuid)
        .map_err(|_| PortalError::NotFound)
}

fn start_page(
    signed_in: &SignedIn,
    round: &grantledger_domain::round::Round,
    draft: Draft,
    errors: FormErrors,
) -> FormPage {
    let m = english();
    FormPage {
        c: Chrome::signed_in(signed_in, "home"),
        errors,
        heading: m.t("apply-title"),
        action: format!("/rounds/{}/apply", round.id),
        back: format!("/rounds/{}", round.id),
        round: round.name.clone(),
        version: String::new(),
        project_title: draft.project_title,
        summary: draft.summary,
        amount_requested: draft.amount_requested,
    }
}

/// Starts a draft.
#[post("/rounds/{id}/apply")]
pub async fn start(
    state: web::Data<AppState>,
    posted: Posted<Draft>,
    path: web::Path<String>,
) -> PortalResult {
    let id = round_id(&path)?;
    posted.signed_in.may(Action::Apply)?;
    let Posted { signed_in, form } = posted;
    let round = {
        let state = state.clone();
        blocking(move || state.db.read(|c| operations::rounds::get(c, id))).await?
    };
    let m = english();
    let mut errors = draft_errors(&form);
    let amount = money_answer(&mut errors, m, "amount_requested", &form.amount_requested);
    let Some(amount) = amount.filter(|_| errors.is_empty()) else {
        return html_with_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &start_page(&signed_in, &round.record.value, form, errors),
        );
    };
    let input = NewApplication {
        round_id: id,
        grantee_id: None,
        amount_requested: amount,
        project_title: form.project_title.clone(),
        summary: form.summary.clone(),
    };
    let principal = signed_in.principal.clone();
    let started = blocking(move || {
        state.db.write(|c| {
            let record = operations::applications::start(c, &principal, input)?;
            let has_form = operations::forms::of_round(c, id)?.is_some();
            Ok((record, has_form))
        })
    })
    .await;
    match started {
        // A round with its own questions continues at the task list.
        Ok((record, true)) => Ok(see_other(&format!(
            "/applications/{}",
            record.value.application.id
        ))),
        Ok((record, false)) => Ok(next_page(&record.value.application.id, &form.then)),
        Err(e) => {
            let errors = FormErrors::from_api(e)?;
            html_with_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &start_page(&signed_in, &round.record.value, form, errors),
            )
        }
    }
}

/// The title's and summary's problems, by the domain's rules, so that a
/// form shows every error at once.
fn draft_errors(form: &Draft) -> FormErrors {
    let mut errors = FormErrors::default();
    for e in Application::text_problems(&form.project_title, &form.summary) {
        let field = if e.field() == "summary" {
            "summary"
        } else {
            "project_title"
        };
        errors.add(field, e.to_string());
    }
    errors
}

fn next_page(id: &ApplicationId, then: &str) -> actix_web::HttpResponse {
    if then == "later" {
        see_other(&format!("/applications/{id}?saved=1"))
    } else {
        see_other(&format!("/applications/{id}/check"))
    }
}

/// Whether the application page should say the draft was saved.
#[derive(Debug, Deserialize)]
pub struct Saved {
    saved: Option<String>,
}

/// One application.
#[get("/applications/{id}")]
pub async fn show(
    state: web::Data<AppState>,
    signed_in: SignedIn,
    path: web::Path<String>,
    query: web::Query<Saved>,
) -> PortalResult {
    let (id, record, round) = load(&state, &signed_in, &path, Action::ReadApplications).await?;
    let decidable = record.value.application.status.is_decidable();
    // The panel's recommendation is staff-only, like the panel itself.
    let recommendation = if signed_in.can(Action::ReadPanels) {
        let state = state.clone();
        blocking(move || state.db.read(|c| operations::panels::recommendation(c, id))).await?
    } else {
        None
    };
    let mut assessors = crate::portal::panels::assessors_box(
        &state,
        &signed_in,
        id,
        record.value.application.status.is_assessable(),
    )
    .await?;
    let editable = signed_in.can(Action::Apply) && record.value.application.status.is_editable();
    let answers = summary_for(&state, &signed_in, id, editable).await?;
    let award = if record.value.application.status == ApplicationStatus::Awarded {
        let state = state.clone();
        let principal = signed_in.principal.clone();
        blocking(move || {
            state
                .db
                .read(|c| operations::awards::for_application(c, &principal, id))
        })
        .await?
        .map(|r| {
            let a = r.value.award;
            (a.reference.to_string(), a.id.to_string())
        })
    } else {
        None
    };
    let m = english();
    let status = record.value.application.status;
    html(&ApplicationPage {
        award,
        answers,
        editable,
        reviewable: signed_in.can(Action::Assess) && status == ApplicationStatus::Submitted,
        extendable: signed_in.can(Action::Decide) && status == ApplicationStatus::Draft,
        c: Chrome::signed_in(&signed_in, "home"),
        a: view(&record, &round, signed_in.principal.role),
        saved: query.saved.is_some(),
        decidable: signed_in.can(Action::Decide) && decidable,
        recommendation: recommendation.map(|r| {
            (
                m.t(&format!("panel-decision-{}", r.decision().as_str())),
                r.note().map(str::to_owned),
            )
        }),
        recommends: signed_in.can(Action::ManagePanels) && decidable,
        panel_choices: crate::portal::panels::decision_choices(),
        no_errors: FormErrors::default(),
        assessors_available: assessors
            .as_mut()
            .map(|b| std::mem::take(&mut b.available))
            .unwrap_or_default(),
        assessors: assessors.map(|b| b.assigned),
    })
}

fn edit_page(
    signed_in: &SignedIn,
    record: &Record<Stored>,
    round: &grantledger_domain::round::Round,
    draft: Option<Draft>,
    errors: FormErrors,
) -> FormPage {
    let m = english();
    let a = &record.value.application;
    let draft = draft.unwrap_or_else(|| Draft {
        project_title: a.project_title.clone(),
        summary: a.summary.clone(),
        amount_requested: a.amount_requested.to_string(),
        version: record.version.to_string(),
        then: String::new(),
    });
    FormPage {
        c: Chrome::signed_in(signed_in, "home"),
        errors,
        heading: m.t("edit-title"),
        action: format!("/applications/{}/edit", a.id),
        back: format!("/applications/{}", a.id),
        round: round.name.clone(),
        version: draft.version,
        project_title: draft.project_title,
        summary: draft.summary,
        amount_requested: draft.amount_requested,
    }
}

/// The draft's answers, to change.
#[get("/applications/{id}/edit")]
pub async fn edit_form(
    state: web::Data<AppState>,
    signed_in: SignedIn,
    path: web::Path<String>,
) -> PortalResult {
    let (id, record, round) = load(&state, &signed_in, &path, Action::Apply).await?;
    if !record.value.application.status.is_editable() {
        return Ok(see_other(&format!("/applications/{id}")));
    }
    html(&edit_page(
        &signed_in,
        &record,
        &round,
        None,
        FormErrors::default(),
    ))
}

/// Saves changed answers over the version the form was read at.
#[post("/applications/{id}/edit")]
pub async fn edit(
    state: web::Data<AppState>,
    posted: Posted<Draft>,
    path: web::Path<String>,
) -> PortalResult {
    let Posted { signed_in, form } = posted;
    let (id, record, round) = load(&state, &signed_in, &path, Action::Apply).await?;
    let m = english();
    let mut errors = draft_errors(&form);
    let amount = money_answer(&mut errors, m, "amount_requested", &form.amount_requested);
    let version = form
        .version
        .parse::<i64>()
        .map_err(|_| PortalError::BadForm)?;
    let Some(amount) = amount.filter(|_| errors.is_empty()) else {
        return html_with_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &edit_page(&signed_in, &record, &round, Some(form), errors),
        );
    };
    let changes = DraftChanges {
        amount_requested: Some(amount),
        project_title: Some(form.project_title.clone()),
        summary: Some(form.summary.clone()),
    };
    let principal = signed_in.principal.clone();
    let saved = blocking(move || {
        state.db.write(|c| {
            operations::applications::update(c, &principal, id, IfMatch::Version(version), changes)
        })
    })
    .await;
    match saved {
        Ok(_) => Ok(next_page(&id, &form.then)),
        Err(crate::error::ApiError::PreconditionFailed(_)) => {
            let errors = FormErrors::one("", m.t("edit-stale"));
            html_with_status(
                StatusCode::CONFLICT,
                &edit_page(&signed_in, &record, &round, None, errors),
            )
        }
        Err(e) => {
            let errors = FormErrors::from_api(e)?;
            html_with_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &edit_page(&signed_in, &record, &round, Some(form), errors),
            )
        }
    }
}

/// Check your answers, then submit.
#[get("/applications/{id}/check")]
pub async fn check(
    state: web::Data<AppState>,
    signed_in: SignedIn,
    path: web::Path<String>,
) -> PortalResult {
    let (id, record, round) = load(&state, &signed_in, &path, Action::Apply).await?;
    if !record.value.application.status.is_editable() {
        return Ok(see_other(&format!("/applications/{id}")));
    }
    let answers = summary_for(&state, &signed_in, id, true).await?;
    html(&CheckPage {
        c: Chrome::signed_in(&signed_in, "home"),
        errors: FormErrors::default(),
        a: view(&record, &round, signed_in.principal.role),
        answers,
        editable: true,
    })
}

/// Submits the draft; every failed rule is listed on the check page.
#[post("/applications/{id}/submit")]
pub async fn submit(
    state: web::Data<AppState>,
    posted: Posted<std::collections::HashMap<String, String>>,
    path: web::Path<String>,
) -> PortalResult {
    let id = application_id(&path)?;
    posted.signed_in.may(Action::Apply)?;
    let signed_in = posted.signed_in;
    let principal = signed_in.principal.clone();
    let submitted = {
        let state = state.clone();
        blocking(move || {
            state
                .db
                .write(|c| operations::applications::submit(c, &state.notices, &principal, id))
        })
        .await
    };
    match submitted {
        Ok(_) => Ok(see_other(&format!("/applications/{id}/submitted"))),
        Err(e) => {
            let mut errors = FormErrors::from_api(e)?;
            // Answers are changed on their sections' pages, not here.
            for item in &mut errors.items {
                if item.field.starts_with("answers.") {
                    item.field.clear();
                }
            }
            let (_, record, round) = load(&state, &signed_in, &path, Action::Apply).await?;
            let answers = summary_for(&state, &signed_in, id, true).await?;
            html_with_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &CheckPage {
                    c: Chrome::signed_in(&signed_in, "home"),
                    errors,
                    a: view(&record, &round, signed_in.principal.role),
                    answers,
                    editable: true,
                },
            )
        }
    }
}

/// The confirmation, with the reference.
#[get("/applications/{id}/submitted")]
pub async fn confirmation(
    state: web::Data<AppState>,
    signed_in: SignedIn,
    path: web::Path<String>,
) -> PortalResult {
    let (id, record, round) = load(&state, &signed_in, &path, Action::ReadApplications).await?;
    if record.value.application.status != ApplicationStatus::Submitted {
        return Ok(see_other(&format!("/applications/{id}")));
    }
    html(&SubmittedPage {
        c: Chrome::signed_in(&signed_in, "home"),
        a: view(&record, &round, signed_in.principal.role),
    })
}

/// Are you sure you want to withdraw?
#[get("/applications/{id}/withdraw")]
pub async fn withdraw_form(
    state: web::Data<AppState>,
    signed_in: SignedIn,
    path: web::Path<String>,
) -> PortalResult {
    let (_, record, round) = load(&state, &signed_in, &path, Action::Apply).await?;
    html(&WithdrawPage {
        c: Chrome::signed_in(&signed_in, "home"),
        a: view(&record, &round, signed_in.principal.role),
    })
}

/// Withdraws the application.
#[post("/applications/{id}/withdraw")]
pub async fn withdraw(
    state: web::Data<AppState>,
    posted: Posted<std::collections::HashMap<String, String>>,
    path: web::Path<String>,
) -> PortalResult {
    let id = application_id(&path)?;
    posted.signed_in.may(Action::Apply)?;
    let principal = posted.signed_in.principal.clone();
    blocking(move || {
        state
            .db
            .write(|c| operations::applications::withdraw(c, &principal, id))
    })
    .await?;
    Ok(see_other(&format!("/applications/{id}")))
}
