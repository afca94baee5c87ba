//! Signing in and out.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, get, post, web};
use askama::Template;
use serde::Deserialize;

use crate::error::ApiError;
use crate::portal::forms::FormErrors;
use crate::portal::page::{Chrome, PortalError, PortalResult, html_with_status, see_other};
use crate::portal::session::{
    self, SESSION_COOKIE, SIGN_IN_COOKIE, SignedIn, check_same_site, is_local_path, random_token,
    tokens_match,
};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "sign_in.html")]
struct SignInPage {
    c: Chrome,
    errors: FormErrors,
    email: String,
    next: String,
    token: String,
    signed_out: bool,
}

/// Where a sign-in goes back to.
#[derive(Debug, Deserialize)]
pub struct Next {
    next: Option<String>,
    signed_out: Option<String>,
}

fn safe_next(next: Option<&str>) -> String {
    next.filter(|n| is_local_path(n)).unwrap_or("/").to_owned()
}

fn page(status: StatusCode, errors: FormErrors, email: String, next: String) -> PortalResult {
    page_with_banner(status, errors, email, next, false)
}

fn page_with_banner(
    status: StatusCode,
    errors: FormErrors,
    email: String,
    next: String,
    signed_out: bool,
) -> PortalResult {
    let token = random_token();
    let mut response = html_with_status(
        status,
        &SignInPage {
            c: Chrome::anonymous(),
            errors,
            email,
            next,
            token: token.clone(),
            signed_out,
        },
    )?;
    response
        .add_cookie(&session::cookie(SIGN_IN_COOKIE, token))
        .map_err(|e| PortalError::Internal(e.to_string()))?;
    Ok(response)
}

/// The sign-in form.
#[get("/sign-in")]
pub async fn show(query: web::Query<Next>) -> PortalResult {
    page_with_banner(
        StatusCode::OK,
        FormErrors::default(),
        String::new(),
        safe_next(query.next.as_deref()),
        query.signed_out.is_some(),
    )
}

/// What the sign-in form posts (its `Debug` never shows the password).
#[derive(Deserialize)]
pub struct Credentials {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
    #[serde(default)]
    csrf: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("email", &self.email)
            .finish_non_exhaustive()
    }
}

/// Checks the email and password; on success starts a new session and
/// goes to the page asked for.
#[post("/sign-in")]
pub async fn submit(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: web::Form<Credentials>,
) -> PortalResult {
    check_same_site(&req)?;
    let Credentials {
        email,
        password,
        next,
        csrf,
    } = form.into_inner();
    let expected = req.cookie(SIGN_IN_COOKIE).map(|c| c.value().to_owned());
    if !expected.is_some_and(|t| tokens_match(&t, &csrf)) {
        return Err(PortalError::BadCsrf);
    }
    let m = crate::portal::messages::english();
    let next = safe_next(Some(&next));
    let mut errors = FormErrors::default();
    if email.trim().is_empty() {
        errors.add("email", m.t("sign-in-email-missing"));
    }
    if password.is_empty() {
        errors.add("password", m.t("sign-in-password-missing"));
    }
    if !errors.is_empty() {
        return page(StatusCode::UNPROCESSABLE_ENTITY, errors, email, next);
    }
    let ip = req.peer_addr().map(|a| a.ip());
    let right = match crate::auth::sign_in(&state, email.clone(), password, ip).await {
        Ok(right) => right,
        Err(ApiError::Unauthorized(_) | ApiError::Unprocessable { .. }) => {
            return page(
                StatusCode::UNAUTHORIZED,
                FormErrors::one("email", m.t("sign-in-wrong")),
                email,
                next,
            );
        }
        Err(ApiError::TooManyRequests { .. }) => {
            return page(
                StatusCode::TOO_MANY_REQUESTS,
                FormErrors::one("email", m.t("sign-in-too-many")),
                email,
                next,
            );
        }
        Err(other) => return Err(other.into()),
    };
    let previous = req.cookie(SESSION_COOKIE).map(|c| c.value().to_owned());
    let cookie = session::start(&state, right.user.id, previous, right.stage).await?;
    let mut response = see_other(&session::stage_home(right.stage, &next));
    response
        .add_cookie(&cookie)
        .and_then(|()| response.add_removal_cookie(&session::removal(SIGN_IN_COOKIE)))
        .map_err(|e| PortalError::Internal(e.to_string()))?;
    Ok(response)
}

/// Ends the session and says so.
#[post("/sign-out")]
pub async fn sign_out(
    state: web::Data<AppState>,
    posted: session::PostedAt<std::collections::HashMap<String, String>, session::AnyStage>,
) -> PortalResult {
    session::end(&state, &posted.0.signed_in).await?;
    let mut response = see_other("/sign-in?signed_out=1");
    response
        .add_removal_cookie(&session::removal(SESSION_COOKIE))
        .map_err(|e| PortalError::Internal(e.to_string()))?;
    Ok(response)
}

/// The home page: the dashboard for the signed-in, sign-in for the rest.
#[get("/")]
pub async fn home(req: HttpRequest, state: web::Data<AppState>) -> PortalResult {
    let signed_in = match <SignedIn as actix_web::FromRequest>::extract(&req).await {
        Ok(s) => s,
        Err(PortalError::SignInRequired { .. }) => return Ok(see_other("/sign-in")),
        Err(e) => return Err(e),
    };
    crate::portal::dashboard::show(&state, &signed_in).await
}
