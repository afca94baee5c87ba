//! Two-factor sign-in (issue 18): `/v1/me/two-factor` for your own
//! account, `DELETE /v1/users/{id}/two-factor` for an administrator's
//! reset. Staff set it up in the portal (their first sign-in there asks
//! them to), since without it they get no token.

use actix_web::{HttpResponse, delete, get, post, web};
use chrono::{DateTime, Utc};
use grantledger_domain::ids::UserId;
use grantledger_domain::two_factor::RecoveryCode;
use grantledger_domain::user::User;
use grantledger_store::AnyConnection;
use grantledger_store::common::Actor;
use grantledger_store::users;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::principal::Principal;
use crate::error::{ApiError, Problem};
use crate::extract::Json;
use crate::http::blocking;
use crate::operations::notices::Notices;
use crate::operations::two_factor::{self as op, Enrolment};
use crate::policy::{Authorized, can};
use crate::state::AppState;

/// Whether two-factor sign-in is on for you.
#[derive(Debug, Serialize, ToSchema)]
pub struct TwoFactorView {
    /// Whether you sign in with a code from an authenticator app.
    pub enabled: bool,
    /// Whether your role must (administrators, assessors, auditors).
    pub required: bool,
    /// When it was turned on.
    pub enabled_at: Option<DateTime<Utc>>,
    /// Recovery codes you have not used.
    pub recovery_codes_left: i64,
    /// Whether a set-up was started and waits for a code.
    pub set_up_started: bool,
}

/// What to add to an authenticator app.
#[derive(Debug, Serialize, ToSchema)]
pub struct EnrolmentView {
    /// The secret in base32, to type in by hand.
    pub secret: String,
    /// The `otpauth://` address; the QR code holds it.
    pub otpauth_url: String,
    /// The QR code, an SVG document.
    pub qr_svg: String,
}

impl From<Enrolment> for EnrolmentView {
    fn from(e: Enrolment) -> Self {
        EnrolmentView {
            secret: e.secret.base32(),
            otpauth_url: e.otpauth_url,
            qr_svg: e.qr_svg,
        }
    }
}

/// A code from the authenticator app (or, where it says so, a recovery
/// code).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CodeBody {
    /// The six digits the app shows now.
    pub code: String,
}

impl std::fmt::Debug for CodeBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CodeBody").finish_non_exhaustive()
    }
}

/// Recovery codes, shown this once: each signs in once without the app.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecoveryCodesView {
    /// The codes.
    pub recovery_codes: Vec<String>,
}

fn codes_view(codes: &[RecoveryCode]) -> RecoveryCodesView {
    RecoveryCodesView {
        recovery_codes: codes.iter().map(|c| c.as_str().to_owned()).collect(),
    }
}

fn no_store(body: &impl Serialize) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(body)
}

async fn as_me<T: Send + 'static>(
    state: web::Data<AppState>,
    principal: Principal,
    f: impl FnOnce(&mut AnyConnection, &User, &Principal) -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    blocking(move || {
        state.db.write(|c| {
            let me = users::get(c, principal.user_id)?.value;
            f(c, &me, &principal)
        })
    })
    .await
}

/// An operation given the caller's code that answers new recovery codes:
/// [`op::confirm`] or [`op::renew_recovery_codes`].
type CodeStep = fn(
    &mut AnyConnection,
    &Notices,
    &User,
    &str,
    &Actor,
    DateTime<Utc>,
) -> Result<Vec<RecoveryCode>, ApiError>;

/// What confirming set-up and renewing the codes share: the caller's code
/// goes to `step`, whose new recovery codes are the answer (never cached).
async fn new_recovery_codes(
    state: web::Data<AppState>,
    principal: Principal,
    body: Json<CodeBody>,
    step: CodeStep,
) -> Result<HttpResponse, ApiError> {
    let code = body.into_inner().code;
    let notices = state.notices.clone();
    let codes = as_me(state, principal, move |c, me, p| {
        step(c, &notices, me, &code, &p.actor(), Utc::now())
    })
    .await?;
    Ok(no_store(&codes_view(&codes)))
}

/// Your two-factor sign-in: on or off, required or not, recovery codes left.
#[utoipa::path(
    tag = "users",
    responses(
        (status = 200, description = "Your two-factor state", body = TwoFactorView),
        (status = 401, description = "No valid token", body = Problem),
    ),
    security(("bearer" = []))
)]
#[get("/me/two-factor")]
pub async fn status(
    state: web::Data<AppState>,
    principal: Principal,
) -> Result<HttpResponse, ApiError> {
    let view = as_me(state, principal, |c, me, _| {
        let s = op::status(c, me.id)?;
        Ok(TwoFactorView {
            enabled: s.enabled(),
            required: me.role.requires_two_factor(),
            enabled_at: s.enabled_at,
            recovery_codes_left: s.recovery_codes_left,
            set_up_started: s.pending.is_some(),
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Start setting up two-factor (or moving it to a new phone): a new secret
/// to add to an authenticator app. Nothing changes until a code from the
/// app confirms it.
#[utoipa::path(
    tag = "users",
    responses(
        (status = 200, description = "The secret and its QR code", body = EnrolmentView),
        (status = 401, description = "No valid token", body = Problem),
    ),
    security(("bearer" = []))
)]
#[post("/me/two-factor")]
pub async fn begin(
    state: web::Data<AppState>,
    principal: Principal,
) -> Result<HttpResponse, ApiError> {
    let enrolment = as_me(state, principal, |c, me, _| op::begin(c, me, Utc::now())).await?;
    Ok(no_store(&EnrolmentView::from(enrolment)))
}

/// Finish setting up: the code the app shows for the new secret. The answer
/// holds your recovery codes, shown this once.
#[utoipa::path(
    tag = "users",
    request_body = CodeBody,
    responses(
        (status = 200, description = "On; your recovery codes", body = RecoveryCodesView),
        (status = 401, description = "No valid token", body = Problem),
        (status = 409, description = "No set-up was started", body = Problem),
        (status = 422, description = "The code is wrong", body = Problem),
    ),
    security(("bearer" = []))
)]
#[post("/me/two-factor/confirm")]
pub async fn confirm(
    state: web::Data<AppState>,
    principal: Principal,
    body: Json<CodeBody>,
) -> Result<HttpResponse, ApiError> {
    new_recovery_codes(state, principal, body, op::confirm).await
}

/// New recovery codes (the old ones stop working), given a code from the
/// app or a recovery code.
#[utoipa::path(
    tag = "users",
    request_body = CodeBody,
    responses(
        (status = 200, description = "Your new recovery codes", body = RecoveryCodesView),
        (status = 401, description = "No valid token", body = Problem),
        (status = 409, description = "Two-factor is off", body = Problem),
        (status = 422, description = "The code is wrong", body = Problem),
    ),
    security(("bearer" = []))
)]
#[post("/me/two-factor/recovery-codes")]
pub async fn renew_recovery_codes(
    state: web::Data<AppState>,
    principal: Principal,
    body: Json<CodeBody>,
) -> Result<HttpResponse, ApiError> {
    new_recovery_codes(state, principal, body, op::renew_recovery_codes).await
}

/// Turn two-factor off (grantees only; staff must keep it), given a code
/// from the app or a recovery code.
#[utoipa::path(
    tag = "users",
    request_body = CodeBody,
    responses(
        (status = 204, description = "Off"),
        (status = 401, description = "No valid token", body = Problem),
        (status = 403, description = "Your role must keep two-factor on", body = Problem),
        (status = 409, description = "Two-factor is off", body = Problem),
        (status = 422, description = "The code is wrong", body = Problem),
    ),
    security(("bearer" = []))
)]
#[post("/me/two-factor/turn-off")]
pub async fn turn_off(
    state: web::Data<AppState>,
    principal: Principal,
    body: Json<CodeBody>,
) -> Result<HttpResponse, ApiError> {
    let code = body.into_inner().code;
    let notices = state.notices.clone();
    as_me(state, principal, move |c, me, p| {
        op::turn_off(c, &notices, me, &code, &p.actor(), Utc::now())
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Reset a user's two-factor sign-in, for someone who lost their phone and
/// their recovery codes: it goes, and every session and token of theirs
/// ends. Staff set it up again at their next sign-in to the portal.
#[utoipa::path(
    tag = "users",
    params(("id" = Uuid, Path, description = "The user's id")),
    responses(
        (status = 204, description = "Reset"),
        (status = 403, description = "Not an administrator", body = Problem),
        (status = 404, description = "No such user", body = Problem),
        (status = 409, description = "Two-factor is not set up for them", body = Problem),
    ),
    security(("bearer" = []))
)]
#[delete("/users/{id}/two-factor")]
pub async fn reset(
    state: web::Data<AppState>,
    auth: Authorized<can::ManageUsers>,
    id: web::Path<uuid::Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = UserId::from_uuid(id.into_inner());
    let actor = auth.principal.actor();
    blocking(move || {
        state
            .db
            .write(|c| op::reset(c, &state.notices, id, &actor, Utc::now()))
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
