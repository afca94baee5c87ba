//! Pages reached without signing in (issue 18): choosing a password from
//! an invitation or reset link (`/set-password/{token}`) and asking for a
//! reset (`/forgot-password`). Their forms carry a double-submit token, as
//! the sign-in form does. A link that cannot be used gets a page saying so
//! (404 unknown, 410 used or expired), never an error.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, get, post, web};
use askama::Template;
use chrono::Utc;
use grantledger_domain::user::LinkRefused;
use serde::Deserialize;

use crate::error::ApiError;
use crate::http::blocking;
use crate::operations::accounts as op;
use crate::portal::forms::FormErrors;
use crate::portal::messages::english;
use crate::portal::page::{Chrome, PortalError, PortalResult, html_with_status, see_other};
use crate::portal::session::{
    self, SESSION_COOKIE, SIGN_IN_COOKIE, check_same_site, random_token, tokens_match,
};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "set_password.html")]
struct SetPasswordPage {
    c: Chrome,
    errors: FormErrors,
    email: String,
    invitation: bool,
    action: String,
    token: String,
}

#[derive(Template)]
#[template(path = "link_refused.html")]
struct LinkRefusedPage {
    c: Chrome,
    heading: String,
    body: String,
}

#[derive(Template)]
#[template(path = "forgot_password.html")]
struct ForgotPasswordPage {
    c: Chrome,
    errors: FormErrors,
    email: String,
    sent: bool,
    token: String,
}

/// Renders an anonymous form page with a fresh double-submit token.
fn with_token<T: Template>(status: StatusCode, make: impl FnOnce(String) -> T) -> PortalResult {
    let token = random_token();
    let mut response = html_with_status(status, &make(token.clone()))?;
    response
        .add_cookie(&session::cookie(SIGN_IN_COOKIE, token))
        .map_err(|e| PortalError::Internal(e.to_string()))?;
    Ok(response)
}

fn check_token(req: &HttpRequest, posted: &str) -> Result<(), PortalError> {
    check_same_site(req)?;
    let expected = req.cookie(SIGN_IN_COOKIE).map(|c| c.value().to_owned());
    if expected.is_some_and(|t| tokens_match(&t, posted)) {
        Ok(())
    } else {
        Err(PortalError::BadCsrf)
    }
}

fn refused(refused: LinkRefused) -> PortalResult {
    let m = english();
    let (status, heading, body) = match refused {
        LinkRefused::Unknown => (
            StatusCode::NOT_FOUND,
            "link-unknown-heading",
            "link-unknown-body",
        ),
        LinkRefused::Used => (StatusCode::GONE, "link-used-heading", "link-used-body"),
        LinkRefused::Expired => (
            StatusCode::GONE,
            "link-expired-heading",
            "link-expired-body",
        ),
    };
    html_with_status(
        status,
        &LinkRefusedPage {
            c: Chrome::anonymous(),
            heading: m.t(heading),
            body: m.t(body),
        },
    )
}

/// Tokens are 43 base64url characters; anything else is refused before
/// the database is asked.
pub(crate) fn plausible(token: &str) -> bool {
    token.len() == 43
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The form to choose a password, if the link may be used.
#[get("/set-password/{token}")]
pub async fn show(state: web::Data<AppState>, token: web::Path<String>) -> PortalResult {
    let token = token.into_inner();
    if !plausible(&token) {
        return refused(LinkRefused::Unknown);
    }
    let action = format!("/set-password/{token}");
    let found = blocking(move || state.db.read(|c| op::find_link(c, &token, Utc::now()))).await?;
    match found {
        Err(why) => refused(why),
        Ok((link, user)) => with_token(StatusCode::OK, |token| SetPasswordPage {
            c: Chrome::anonymous(),
            errors: FormErrors::default(),
            email: user.email.to_string(),
            invitation: link.purpose == grantledger_domain::user::LinkPurpose::Invitation,
            action,
            token,
        }),
    }
}

/// What the set-password form posts (its `Debug` shows no password).
#[derive(Deserialize)]
pub struct NewPassword {
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf: String,
}

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewPassword").finish_non_exhaustive()
    }
}

/// Sets the password, uses up the link and signs the person in.
#[post("/set-password/{token}")]
pub async fn submit(
    state: web::Data<AppState>,
    req: HttpRequest,
    token: web::Path<String>,
    form: web::Form<NewPassword>,
) -> PortalResult {
    let NewPassword { password, csrf } = form.into_inner();
    check_token(&req, &csrf)?;
    let token = token.into_inner();
    if !plausible(&token) {
        return refused(LinkRefused::Unknown);
    }
    let action = format!("/set-password/{token}");
    let hashed = blocking(move || crate::operations::users::hash_new_password(&password)).await;
    let hash = match hashed {
        Ok(hash) => hash,
        Err(error @ ApiError::Unprocessable { .. }) => {
            let errors = FormErrors::from_api(error)?;
            let found = {
                let state = state.clone();
                blocking(move || state.db.read(|c| op::find_link(c, &token, Utc::now()))).await?
            };
            let (link, user) = match found {
                Ok(found) => found,
                Err(why) => return refused(why),
            };
            return with_token(StatusCode::UNPROCESSABLE_ENTITY, |token| SetPasswordPage {
                c: Chrome::anonymous(),
                errors,
                email: user.email.to_string(),
                invitation: link.purpose == grantledger_domain::user::LinkPurpose::Invitation,
                action,
                token,
            });
        }
        Err(other) => return Err(other.into()),
    };
    let used = {
        let state = state.clone();
        blocking(move || {
            state
                .db
                .write(|c| op::use_link(c, &token, &hash, Utc::now()))
        })
        .await?
    };
    let user = match used {
        Ok(user) => user,
        Err(why) => return refused(why),
    };
    let previous = req.cookie(SESSION_COOKIE).map(|c| c.value().to_owned());
    let (cookie, stage) = session::start_after_password(&state, &user, previous).await?;
    let mut response = see_other(&session::stage_home(stage, "/?password_set=1"));
    response
        .add_cookie(&cookie)
        .and_then(|()| response.add_removal_cookie(&session::removal(SIGN_IN_COOKIE)))
        .map_err(|e| PortalError::Internal(e.to_string()))?;
    Ok(response)
}

/// Whether the reset was asked for (to show the answer).
#[derive(Debug, Deserialize)]
pub struct Sent {
    sent: Option<String>,
}

/// The form to ask for a reset link, or the answer once asked.
#[get("/forgot-password")]
pub async fn forgot(query: web::Query<Sent>) -> PortalResult {
    let sent = query.sent.is_some();
    with_token(StatusCode::OK, |token| ForgotPasswordPage {
        c: Chrome::anonymous(),
        errors: FormErrors::default(),
        email: String::new(),
        sent,
        token,
    })
}

/// What the forgot-password form posts.
#[derive(Debug, Deserialize)]
pub struct ResetRequest {
    #[serde(default)]
    email: String,
    #[serde(default)]
    csrf: String,
}

/// Asks for a reset link; the answer is the same for every address.
#[post("/forgot-password")]
pub async fn request(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: web::Form<ResetRequest>,
) -> PortalResult {
    let ResetRequest { email, csrf } = form.into_inner();
    check_token(&req, &csrf)?;
    let m = english();
    let ip = req.peer_addr().map(|a| a.ip());
    let errors = match crate::routes::accounts::request_reset(&state, email.clone(), ip).await {
        Ok(()) => return Ok(see_other("/forgot-password?sent=1")),
        Err(ApiError::Unprocessable { .. }) => {
            FormErrors::one("email", m.t("forgot-email-invalid"))
        }
        Err(ApiError::TooManyRequests { .. }) => FormErrors::one("email", m.t("sign-in-too-many")),
        Err(other) => return Err(other.into()),
    };
    with_token(StatusCode::UNPROCESSABLE_ENTITY, |token| {
        ForgotPasswordPage {
            c: Chrome::anonymous(),
            errors,
            email,
            sent: false,
            token,
        }
    })
}
