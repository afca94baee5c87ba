//! Staff actions on one application that the other pages do not hold
//! (issue 17): start its review, and give a draft a later deadline than
//! its round's, with a reason. The same operations as `POST
//! /v1/applications/{id}/start-review` and `…/deadline-extension`.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{get, post, web};
use askama::Template;
use chrono::NaiveDateTime;

use crate::error::ApiError;
use crate::http::blocking;
use crate::operations;
use crate::policy::Action;
use crate::portal::applications::{View, load, view};
use crate::portal::forms::FormErrors;
use crate::portal::messages::english;
use crate::portal::page::{Chrome, PortalResult, html, html_with_status, see_other};
use crate::portal::session::{Posted, SignedIn};
use crate::state::AppState;

/// Moves a submitted application into review.
#[post("/applications/{id}/start-review")]
pub async fn start_review(
    state: web::Data<AppState>,
    posted: Posted<HashMap<String, String>>,
    path: web::Path<String>,
) -> PortalResult {
    let signed_in = posted.signed_in;
    let (id, _, _) = load(&state, &signed_in, &path, Action::Assess).await?;
    let principal = signed_in.principal.clone();
    blocking(move || {
        state
            .db
            .write(|c| operations::applications::start_review(c, &principal, id))
    })
    .await?;
    Ok(see_other(&format!("/applications/{id}")))
}

#[derive(Template)]
#[template(path = "extend.html")]
struct ExtendPage {
    c: Chrome,
    errors: FormErrors,
    a: View,
    until: String,
    reason: String,
}

/// The form giving a draft a later deadline.
#[get("/applications/{id}/extend")]
pub async fn extend_form(
    state: web::Data<AppState>,
    signed_in: SignedIn,
    path: web::Path<String>,
) -> PortalResult {
    let (_, record, round) = load(&state, &signed_in, &path, Action::Decide).await?;
    html(&ExtendPage {
        c: Chrome::signed_in(&signed_in, "home"),
        errors: FormErrors::default(),
        a: view(&record, &round, signed_in.principal.role),
        until: String::new(),
        reason: String::new(),
    })
}

/// Gives the draft its later deadline; refusals are shown on the form.
#[post("/applications/{id}/extend")]
pub async fn extend(
    state: web::Data<AppState>,
    posted: Posted<HashMap<String, String>>,
    path: web::Path<String>,
) -> PortalResult {
    let Posted { signed_in, form } = posted;
    let (id, record, round) = load(&state, &signed_in, &path, Action::Decide).await?;
    let until = form.get("until").cloned().unwrap_or_default();
    let reason = form.get("reason").cloned().unwrap_or_default();
    let parsed = NaiveDateTime::parse_from_str(&until.trim().replace('T', " "), "%Y-%m-%d %H:%M")
        .map(|n| n.and_utc());
    let result = match parsed {
        Err(_) => Err(FormErrors::one("until", english().t("round-when-invalid"))),
        Ok(at) => {
            let principal = signed_in.principal.clone();
            let reason = reason.clone();
            let state = state.clone();
            match blocking(move || {
                state.db.write(|c| {
                    operations::applications::extend_deadline(c, &principal, id, at, &reason)
                })
            })
            .await
            {
                Ok(_) => Ok(()),
                Err(e @ (ApiError::Unprocessable { .. } | ApiError::Conflict { .. })) => {
                    Err(FormErrors::from_api(e)?)
                }
                Err(e) => return Err(e.into()),
            }
        }
    };
    match result {
        Ok(()) => Ok(see_other(&format!("/applications/{id}"))),
        Err(errors) => html_with_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &ExtendPage {
                c: Chrome::signed_in(&signed_in, "home"),
                errors,
                a: view(&record, &round, signed_in.principal.role),
                until,
                reason,
            },
        ),
    }
}
