//! Two-factor sign-in in the portal (issue 18): the code asked for after
//! the password, and "Your account → Two-factor sign-in" to set it up
//! (staff are sent there at their first sign-in and can go nowhere else
//! until it is on), get new recovery codes, or turn it off (grantees).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, get, post, web};
use askama::Template;
use chrono::Utc;
use grantledger_domain::two_factor::SignInStage;
use grantledger_domain::user::User;
use grantledger_store::{AnyConnection, users};
use serde::Deserialize;

use crate::error::ApiError;
use crate::http::blocking;
use crate::operations::two_factor::{self as op, Enrolment};
use crate::portal::forms::FormErrors;
use crate::portal::page::{Chrome, PortalError, PortalResult, html_with_status, see_other};
use crate::portal::session::{
    self, At, CodeStep, Enrolling, Posted, PostedAt, SESSION_COOKIE, SignedIn, is_local_path,
};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "sign_in_code.html")]
struct CodePage {
    c: Chrome,
    errors: FormErrors,
    next: String,
    csrf: String,
}

/// Where to go once signed in.
#[derive(Debug, Deserialize)]
pub struct Next {
    next: Option<String>,
}

fn safe_next(next: Option<&str>) -> String {
    next.filter(|n| is_local_path(n)).unwrap_or("/").to_owned()
}

fn code_page(
    status: StatusCode,
    signed_in: &SignedIn,
    errors: FormErrors,
    next: String,
) -> PortalResult {
    html_with_status(
        status,
        &CodePage {
            c: Chrome::anonymous(),
            errors,
            next,
            csrf: signed_in.csrf.clone(),
        },
    )
}

/// Asks for the code, after a right password.
#[get("/sign-in/code")]
pub async fn ask(at: At<CodeStep>, query: web::Query<Next>) -> PortalResult {
    code_page(
        StatusCode::OK,
        &at.0,
        FormErrors::default(),
        safe_next(query.next.as_deref()),
    )
}

/// A code typed in (its `Debug` never shows it).
#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    next: String,
}

impl std::fmt::Debug for CodeForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CodeForm").finish_non_exhaustive()
    }
}

async fn me(state: &web::Data<AppState>, signed_in: &SignedIn) -> Result<User, PortalError> {
    let state = state.clone();
    let id = signed_in.principal.user_id;
    Ok(blocking(move || {
        state
            .db
            .read(|c| Ok::<_, ApiError>(users::get(c, id)?.value))
    })
    .await?)
}

/// Checks the code; right, the person is signed in with a new session.
#[post("/sign-in/code")]
pub async fn check(
    state: web::Data<AppState>,
    req: HttpRequest,
    posted: PostedAt<CodeForm, CodeStep>,
) -> PortalResult {
    let Posted { signed_in, form } = posted.0;
    let m = crate::portal::messages::english();
    let next = safe_next(Some(&form.next));
    if form.code.trim().is_empty() {
        let errors = FormErrors::one("code", m.t("code-missing"));
        return code_page(StatusCode::UNPROCESSABLE_ENTITY, &signed_in, errors, next);
    }
    let user = me(&state, &signed_in).await?;
    let ip = req.peer_addr().map(|a| a.ip());
    match crate::auth::sign_in::second_factor(&state, &user, form.code, ip).await {
        Ok(()) => {}
        Err(ApiError::TwoFactorRequired(reason)) => {
            let errors = FormErrors::one("code", reason);
            return code_page(StatusCode::UNAUTHORIZED, &signed_in, errors, next);
        }
        Err(ApiError::TooManyRequests { .. }) => {
            let errors = FormErrors::one("code", m.t("sign-in-too-many"));
            return code_page(StatusCode::TOO_MANY_REQUESTS, &signed_in, errors, next);
        }
        Err(other) => return Err(other.into()),
    }
    let previous = req.cookie(SESSION_COOKIE).map(|c| c.value().to_owned());
    let cookie = session::start(&state, user.id, previous, SignInStage::Complete).await?;
    let mut response = see_other(&next);
    response
        .add_cookie(&cookie)
        .map_err(|e| PortalError::Internal(e.to_string()))?;
    Ok(response)
}

#[derive(Template)]
#[template(path = "account_two_factor.html")]
struct TwoFactorPage {
    c: Chrome,
    errors: FormErrors,
    must_enrol: bool,
    required: bool,
    enabled: bool,
    recovery_codes_left: i64,
    pending: Option<Enrolment>,
    recovery_codes: Option<Vec<String>>,
}

async fn with_me<T: Send + 'static>(
    state: &web::Data<AppState>,
    signed_in: &SignedIn,
    f: impl FnOnce(&mut AnyConnection, &User) -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    let state = state.clone();
    let id = signed_in.principal.user_id;
    blocking(move || {
        state.db.write(|c| {
            let me = users::get(c, id)?.value;
            f(c, &me)
        })
    })
    .await
}

async fn account_page(
    state: &web::Data<AppState>,
    signed_in: &SignedIn,
    status: StatusCode,
    errors: FormErrors,
    recovery_codes: Option<Vec<String>>,
) -> PortalResult {
    let (me, found, pending) = with_me(state, signed_in, |c, me| {
        Ok((me.clone(), op::status(c, me.id)?, op::pending(c, me)?))
    })
    .await?;
    html_with_status(
        status,
        &TwoFactorPage {
            c: Chrome::signed_in(signed_in, "account"),
            errors,
            must_enrol: signed_in.stage == SignInStage::MustEnrol,
            required: me.role.requires_two_factor(),
            enabled: found.enabled(),
            recovery_codes_left: found.recovery_codes_left,
            pending,
            recovery_codes,
        },
    )
}

/// Two-factor sign-in: on or off, the QR code of a set-up under way, new
/// recovery codes, turning it off.
#[get("/account/two-factor")]
pub async fn show(state: web::Data<AppState>, at: At<Enrolling>) -> PortalResult {
    account_page(&state, &at.0, StatusCode::OK, FormErrors::default(), None).await
}

/// Starts a set-up: a new secret, shown as a QR code.
#[post("/account/two-factor/start")]
pub async fn start(
    state: web::Data<AppState>,
    posted: PostedAt<std::collections::HashMap<String, String>, Enrolling>,
) -> PortalResult {
    let signed_in = posted.0.signed_in;
    with_me(&state, &signed_in, |c, me| op::begin(c, me, Utc::now())).await?;
    Ok(see_other("/account/two-factor"))
}

/// A form with one code field, named as on the page.
#[derive(Deserialize)]
pub struct Codes {
    #[serde(default)]
    code: String,
    #[serde(default)]
    renew_code: String,
    #[serde(default)]
    off_code: String,
}

impl std::fmt::Debug for Codes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Codes").finish_non_exhaustive()
    }
}

/// The page again with a refused code's reason on the field it was typed
/// in (422); any other refusal as itself.
async fn code_refused(
    state: &web::Data<AppState>,
    signed_in: &SignedIn,
    error: ApiError,
    field: &str,
) -> PortalResult {
    let errors = match error {
        ApiError::Unprocessable { errors, detail } => FormErrors::one(
            field,
            errors.into_iter().next().map_or(detail, |e| e.message),
        ),
        other => return Err(other.into()),
    };
    account_page(
        state,
        signed_in,
        StatusCode::UNPROCESSABLE_ENTITY,
        errors,
        None,
    )
    .await
}

/// The page with new recovery codes, shown this once.
async fn show_codes(
    state: &web::Data<AppState>,
    signed_in: &SignedIn,
    codes: &[grantledger_domain::two_factor::RecoveryCode],
) -> PortalResult {
    let codes = codes.iter().map(|c| c.as_str().to_owned()).collect();
    account_page(
        state,
        signed_in,
        StatusCode::OK,
        FormErrors::default(),
        Some(codes),
    )
    .await
}

/// Finishes the set-up with a code from the app; shows the recovery codes.
#[post("/account/two-factor/confirm")]
pub async fn confirm(
    state: web::Data<AppState>,
    posted: PostedAt<Codes, Enrolling>,
) -> PortalResult {
    let Posted { signed_in, form } = posted.0;
    let actor = signed_in.principal.actor();
    let code = form.code;
    let notices = state.notices.clone();
    let confirmed = with_me(&state, &signed_in, move |c, me| {
        op::confirm(c, &notices, me, &code, &actor, Utc::now())
    })
    .await;
    match confirmed {
        Ok(codes) => {
            if signed_in.stage == SignInStage::MustEnrol {
                session::advance(&state, &signed_in, SignInStage::Complete).await?;
            }
            show_codes(&state, &signed_in, &codes).await
        }
        Err(error) => code_refused(&state, &signed_in, error, "code").await,
    }
}

/// New recovery codes, given a code.
#[post("/account/two-factor/recovery-codes")]
pub async fn renew(state: web::Data<AppState>, posted: Posted<Codes>) -> PortalResult {
    let Posted { signed_in, form } = posted;
    let actor = signed_in.principal.actor();
    let code = form.renew_code;
    let notices = state.notices.clone();
    let renewed = with_me(&state, &signed_in, move |c, me| {
        op::renew_recovery_codes(c, &notices, me, &code, &actor, Utc::now())
    })
    .await;
    match renewed {
        Ok(codes) => show_codes(&state, &signed_in, &codes).await,
        Err(error) => code_refused(&state, &signed_in, error, "renew_code").await,
    }
}

/// Turns two-factor off (grantees), given a code.
#[post("/account/two-factor/turn-off")]
pub async fn turn_off(state: web::Data<AppState>, posted: Posted<Codes>) -> PortalResult {
    let Posted { signed_in, form } = posted;
    let actor = signed_in.principal.actor();
    let code = form.off_code;
    let notices = state.notices.clone();
    let result = with_me(&state, &signed_in, move |c, me| {
        op::turn_off(c, &notices, me, &code, &actor, Utc::now())
    })
    .await;
    match result {
        Ok(()) => Ok(see_other("/account/two-factor")),
        Err(error) => code_refused(&state, &signed_in, error, "off_code").await,
    }
}
