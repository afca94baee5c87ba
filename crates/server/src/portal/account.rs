//! "Your account" (issue 18): change your own password, or sign out
//! everywhere. Either ends every session and API token you hold; after a
//! password change this browser is signed in again with a new session.

use actix_web::http::StatusCode;
use actix_web::{get, post, web};
use askama::Template;
use chrono::Utc;
use grantledger_domain::two_factor::SignInStage;
use serde::Deserialize;

use crate::error::ApiError;
use crate::http::blocking;
use crate::portal::forms::FormErrors;
use crate::portal::page::{Chrome, PortalError, PortalResult, html_with_status, see_other};
use crate::portal::session::{self, Posted, SESSION_COOKIE, SignedIn};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "account_password.html")]
struct PasswordPage {
    c: Chrome,
    errors: FormErrors,
    changed: bool,
}

/// Whether the password was just changed.
#[derive(Debug, Deserialize)]
pub struct Changed {
    changed: Option<String>,
}

/// The form to change your password, and the button to sign out everywhere.
#[get("/account/password")]
pub async fn show(signed_in: SignedIn, query: web::Query<Changed>) -> PortalResult {
    html_with_status(
        StatusCode::OK,
        &PasswordPage {
            c: Chrome::signed_in(&signed_in, "account"),
            errors: FormErrors::default(),
            changed: query.changed.is_some(),
        },
    )
}

/// What the form posts (its `Debug` shows no password).
#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
}

impl std::fmt::Debug for PasswordForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordForm").finish_non_exhaustive()
    }
}

/// Changes the password; every other session ends, this one starts afresh.
#[post("/account/password")]
pub async fn change(state: web::Data<AppState>, posted: Posted<PasswordForm>) -> PortalResult {
    let Posted { signed_in, form } = posted;
    let principal = signed_in.principal.clone();
    let result = crate::routes::accounts::change_password(
        &state,
        principal,
        form.current_password,
        form.new_password,
    )
    .await;
    match result {
        Ok(user) => {
            let cookie = session::start(&state, user.id, None, SignInStage::Complete).await?;
            let mut response = see_other("/account/password?changed=1");
            response
                .add_cookie(&cookie)
                .map_err(|e| PortalError::Internal(e.to_string()))?;
            Ok(response)
        }
        Err(error @ ApiError::Unprocessable { .. }) => html_with_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &PasswordPage {
                c: Chrome::signed_in(&signed_in, "account"),
                errors: FormErrors::from_api(error)?,
                changed: false,
            },
        ),
        Err(other) => Err(other.into()),
    }
}

/// Ends every session (this one too) and every API token of the user.
#[post("/account/sign-out-everywhere")]
pub async fn sign_out_everywhere(
    state: web::Data<AppState>,
    posted: Posted<std::collections::HashMap<String, String>>,
) -> PortalResult {
    let principal = posted.signed_in.principal.clone();
    blocking(move || {
        state
            .db
            .write(|c| crate::operations::accounts::sign_out_everywhere(c, &principal, Utc::now()))
    })
    .await?;
    let mut response = see_other("/sign-in?signed_out=1");
    response
        .add_removal_cookie(&session::removal(SESSION_COOKIE))
        .map_err(|e| PortalError::Internal(e.to_string()))?;
    Ok(response)
}
