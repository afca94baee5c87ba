//! Accounts people manage themselves (issue 18): invitations, password
//! resets, changing your own password and signing out everywhere.

use actix_web::{HttpRequest, HttpResponse, post, put, web};
use chrono::Utc;
use grantledger_domain::ids::GranteeId;
use grantledger_domain::user::{Role, check_sign_in_password};
use grantledger_store::users;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::jwt::{IssuedToken, JwtKeys};
use crate::auth::password::verify_password;
use crate::auth::principal::Principal;
use crate::error::{ApiError, Problem};
use crate::extract::Json;
use crate::http::blocking;
use crate::idempotency::{self, Created, IdempotencyKey};
use crate::operations::accounts as op;
use crate::operations::users::hash_new_password;
use crate::routes::users::UserView;
use crate::state::AppState;

/// Whom to invite.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InvitationBody {
    /// Their sign-in address; the invitation is emailed there.
    pub email: String,
    /// Their role (an organisation's owner may invite only `grantee`).
    pub role: Role,
    /// For grantee users, their organisation (an owner's own by default).
    pub grantee_id: Option<GranteeId>,
}

/// Invite someone: their account is made with no usable password, and an
/// email carries a single-use link, valid 7 days, to choose one. An
/// administrator may invite anyone; an organisation's owner (its first
/// user) may invite colleagues of their own organisation only.
#[utoipa::path(
    tag = "users",
    params(IdempotencyKey),
    request_body = InvitationBody,
    responses(
        (status = 201, description = "Invited; the email is in the outbox", body = UserView),
        (status = 401, description = "No valid token", body = Problem),
        (status = 403, description = "Not an administrator or the organisation's owner", body = Problem),
        (status = 404, description = "Another organisation (for an owner)", body = Problem),
        (status = 409, description = "The email has an account", body = Problem),
        (status = 422, description = "Invalid", body = Problem),
    ),
    security(("bearer" = []))
)]
#[post("/users/invitations")]
pub async fn invite(
    state: web::Data<AppState>,
    principal: Principal,
    req: HttpRequest,
    key: IdempotencyKey,
    body: Json<InvitationBody>,
) -> Result<HttpResponse, ApiError> {
    principal.require_role(&[Role::Admin, Role::Grantee], "invite users")?;
    let b = body.into_inner();
    let notices = state.notices.clone();
    let who = principal.clone();
    idempotency::create(&state, &req, &principal, key, move |c| {
        let invitation = op::Invitation {
            email: b.email,
            role: b.role,
            grantee_id: b.grantee_id,
        };
        let invited = op::invite(c, &notices, &who, &invitation, Utc::now())?;
        let view = UserView::from(invited.user);
        Ok(Created::at(format!("/v1/users/{}", view.id), view))
    })
    .await
}

/// An address that forgot its password.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordResetBody {
    /// The account's address.
    pub email: String,
}

/// What a reset request is told, whether or not the address has an account.
#[derive(Debug, Serialize, ToSchema)]
pub struct PasswordResetAnswer {
    /// Always the same words.
    pub detail: &'static str,
}

/// The one answer to every reset request.
pub const RESET_ANSWER: &str = "if an account has this address, a link to reset its password \
                                has been emailed to it; the link works once, for 1 hour";

/// Ask for a password reset. The answer is the same whether or not the
/// address has an account; when it has, an email carries a single-use link
/// valid 1 hour. Attempts are rate limited per address and client address.
#[utoipa::path(
    tag = "auth",
    request_body = PasswordResetBody,
    responses(
        (status = 202, description = "Accepted (the same for every address)", body = PasswordResetAnswer),
        (status = 422, description = "Not an email address", body = Problem),
        (status = 429, description = "Too many attempts", body = Problem),
    )
)]
#[post("/auth/password-reset")]
pub async fn password_reset(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: Json<PasswordResetBody>,
) -> Result<HttpResponse, ApiError> {
    let email = body.into_inner().email;
    request_reset(&state, email, req.peer_addr().map(|a| a.ip())).await?;
    Ok(HttpResponse::Accepted().json(PasswordResetAnswer {
        detail: RESET_ANSWER,
    }))
}

/// Asks for a reset, shared by the API and the portal: rate limited like
/// signing in, so nobody can fill an inbox.
pub async fn request_reset(
    state: &web::Data<AppState>,
    email: String,
    ip: Option<std::net::IpAddr>,
) -> Result<(), ApiError> {
    let normalised = format!("reset:{}", email.trim().to_lowercase());
    state.limiter.check(&normalised, ip)?;
    // Every request counts against the allowance, as a failed sign-in does.
    state.limiter.failed(&normalised, ip);
    let state = state.clone();
    blocking(move || {
        let notices = state.notices.clone();
        state
            .db
            .write(|c| op::request_reset(c, &notices, &email, Utc::now()))
    })
    .await
}

/// Your current password and a new one.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChangeBody {
    /// Your password now.
    pub current_password: String,
    /// The new one (12 to 1024 characters).
    pub new_password: String,
}

impl std::fmt::Debug for PasswordChangeBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordChangeBody").finish_non_exhaustive()
    }
}

/// Checks the current password and sets a new one, shared by the API and
/// the portal. Every session and token of the user ends.
pub async fn change_password(
    state: &web::Data<AppState>,
    principal: Principal,
    current: String,
    new: String,
) -> Result<grantledger_domain::user::User, ApiError> {
    check_sign_in_password(&current)
        .map_err(|e| ApiError::invalid("current_password", e.to_string()))?;
    let hash = {
        let state = state.clone();
        let id = principal.user_id;
        blocking(move || {
            state
                .db
                .read(|c| Ok::<_, ApiError>(users::password_hash(c, id)?))
        })
        .await?
    };
    let right = state
        .hashing
        .run(move || verify_password(&hash, &current))
        .await?;
    if !right {
        return Err(ApiError::invalid(
            "current_password",
            "your current password is not right",
        ));
    }
    let state = state.clone();
    blocking(move || {
        let hash = hash_new_password(&new).map_err(|e| match e {
            ApiError::Unprocessable { errors, .. } => ApiError::invalid(
                "new_password",
                errors
                    .first()
                    .map_or_else(String::new, |f| f.message.clone()),
            ),
            other => other,
        })?;
        state
            .db
            .write(|c| op::change_own_password(c, &principal, &hash, Utc::now()))
    })
    .await
    .map(|r| r.value)
}

/// Change your own password (any role). Every portal session and every
/// token you hold ends at once, this one included: the answer carries a
/// new token.
#[utoipa::path(
    tag = "users",
    request_body = PasswordChangeBody,
    responses(
        (status = 200, description = "Changed; a new token", body = IssuedToken),
        (status = 401, description = "No valid token", body = Problem),
        (status = 422, description = "The current password is wrong, or the new one too weak", body = Problem),
    ),
    security(("bearer" = []))
)]
#[put("/me/password")]
pub async fn put_password(
    state: web::Data<AppState>,
    keys: web::Data<JwtKeys>,
    principal: Principal,
    body: Json<PasswordChangeBody>,
) -> Result<HttpResponse, ApiError> {
    let b = body.into_inner();
    let user = change_password(&state, principal, b.current_password, b.new_password).await?;
    let token = keys.issue_for(&user)?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(token))
}

/// Sign out everywhere: every portal session and every token you hold
/// (this one included) stops working at once.
#[utoipa::path(
    tag = "users",
    responses(
        (status = 204, description = "Signed out everywhere"),
        (status = 401, description = "No valid token", body = Problem),
    ),
    security(("bearer" = []))
)]
#[post("/me/sign-out-everywhere")]
pub async fn sign_out_everywhere(
    state: web::Data<AppState>,
    principal: Principal,
) -> Result<HttpResponse, ApiError> {
    blocking(move || {
        state
            .db
            .write(|c| op::sign_out_everywhere(c, &principal, Utc::now()))
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
