//! Deciding an application in the portal: award or reject, with the two
//! texts a decision carries — feedback the applicant reads, and an internal
//! note only staff see. The same operation as `POST
//! /v1/applications/{id}/decision`.

use actix_web::http::StatusCode;
use actix_web::{get, post, web};
use askama::Template;
use serde::Deserialize;

use crate::http::blocking;
use crate::operations;
use crate::operations::applications::{DecisionBody, Outcome};
use crate::policy::Action;
use crate::portal::applications::{View, application_id, load, view};
use crate::portal::forms::FormErrors;
use crate::portal::messages::english;
use crate::portal::page::{Chrome, PortalResult, html, html_with_status, see_other};
use crate::portal::rounds::{Choice, money_answer};
use crate::portal::session::{Posted, SignedIn};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "decide.html")]
struct DecidePage {
    c: Chrome,
    errors: FormErrors,
    a: View,
    outcomes: Vec<Choice>,
    amount: String,
    feedback: String,
    internal_note: String,
}

/// What the decision form posts; every field as typed.
#[derive(Debug, Default, Deserialize)]
pub struct DecisionForm {
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    amount: String,
    #[serde(default)]
    feedback: String,
    #[serde(default)]
    internal_note: String,
}

fn page(signed_in: &SignedIn, a: View, form: &DecisionForm, errors: FormErrors) -> DecidePage {
    let m = english();
    let outcomes = [("award", "decide-award"), ("reject", "decide-reject")]
        .into_iter()
        .map(|(value, label)| Choice {
            value,
            label: m.t(label),
            checked: form.outcome == value,
        })
        .collect();
    DecidePage {
        c: Chrome::signed_in(signed_in, "home"),
        errors,
        a,
        outcomes,
        amount: form.amount.clone(),
        feedback: form.feedback.clone(),
        internal_note: form.internal_note.clone(),
    }
}

/// The decision form; the amount starts at the amount requested.
#[get("/applications/{id}/decide")]
pub async fn decide_form(
    state: web::Data<AppState>,
    signed_in: SignedIn,
    path: web::Path<String>,
) -> PortalResult {
    let (id, record, round) = load(&state, &signed_in, &path, Action::Decide).await?;
    if !record.value.application.status.is_decidable() {
        return Ok(see_other(&format!("/applications/{id}")));
    }
    let form = DecisionForm {
        amount: record.value.application.amount_requested.to_string(),
        ..DecisionForm::default()
    };
    let a = view(&record, &round, signed_in.principal.role);
    html(&page(&signed_in, a, &form, FormErrors::default()))
}

/// Makes the decision; a refused one comes back with its errors by field.
#[post("/applications/{id}/decide")]
pub async fn decide(
    state: web::Data<AppState>,
    posted: Posted<DecisionForm>,
    path: web::Path<String>,
) -> PortalResult {
    let id = application_id(&path)?;
    let Posted { signed_in, form } = posted;
    signed_in.may(Action::Decide)?;
    let m = english();
    let mut errors = FormErrors::default();
    let (outcome, amount) = match form.outcome.as_str() {
        "award" => (
            Some(Outcome::Award),
            money_answer(&mut errors, m, "amount", &form.amount),
        ),
        "reject" => (Some(Outcome::Reject), None),
        _ => {
            errors.add("outcome", m.t("decide-outcome-missing"));
            (None, None)
        }
    };
    let written = match outcome.filter(|_| errors.is_empty()) {
        Some(outcome) => {
            let body = DecisionBody {
                outcome,
                amount,
                feedback: Some(form.feedback.clone()),
                internal_note: Some(form.internal_note.clone()),
            };
            let actor = signed_in.principal.actor();
            let state = state.clone();
            blocking(move || {
                state.db.write(|c| {
                    operations::applications::decide(c, &state.notices, id, None, &body, &actor)
                })
            })
            .await
            .map(|_| ())
        }
        None => Ok(()),
    };
    if errors.is_empty() {
        match written {
            Ok(()) => return Ok(see_other(&format!("/applications/{id}"))),
            Err(e) => errors = FormErrors::from_api(e)?,
        }
    }
    let (_, record, round) = load(&state, &signed_in, &path, Action::Decide).await?;
    let a = view(&record, &round, signed_in.principal.role);
    html_with_status(
        StatusCode::UNPROCESSABLE_ENTITY,
        &page(&signed_in, a, &form, errors),
    )
}
