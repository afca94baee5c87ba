//! `POST /v1/auth/token`: sign in with email and password, get a bearer token.

use actix_web::{HttpRequest, HttpResponse, post, web};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::auth::jwt::{IssuedToken, JwtKeys};
use crate::error::{ApiError, Problem};
use crate::extract::Json;
use crate::state::AppState;

/// Credentials.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    /// The account's email address.
    pub email: String,
    /// Its password.
    pub password: String,
    /// For accounts with two-factor sign-in (all staff): the 6 digits the
    /// authenticator app shows now, or one of the recovery codes.
    #[serde(default)]
    pub code: Option<String>,
}

impl std::fmt::Debug for TokenRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenRequest")
            .field("email", &self.email)
            .finish_non_exhaustive()
    }
}

/// Exchange an email and password (and, for accounts with two-factor
/// sign-in, the authenticator's code) for a bearer token. Attempts are rate
/// limited per client address, and wrong passwords back off per account
/// and address; a wrong email and a wrong password get the same answer in
/// the same time. Passwords are checked by a few threads of their own:
/// when they are all busy and their queue is full the answer is 503 with
/// `Retry-After`.
#[utoipa::path(
    tag = "auth",
    request_body = TokenRequest,
    responses(
        (status = 200, description = "A bearer token", body = IssuedToken),
        (status = 401, description = "Wrong email or password; or the two-factor code is missing, wrong or used (problem type `two-factor-required`)", body = Problem),
        (status = 403, description = "Staff who have not set up two-factor sign-in yet (problem type `two-factor-setup-required`)", body = Problem),
        (status = 422, description = "The password is longer than any password can be", body = Problem),
        (status = 429, description = "Too many attempts", body = Problem),
        (status = 503, description = "Too many sign-ins at once; retry after the time given", body = Problem),
    )
)]
#[post("/auth/token")]
pub async fn issue_token(
    state: web::Data<AppState>,
    keys: web::Data<JwtKeys>,
    req: HttpRequest,
    body: Json<TokenRequest>,
) -> Result<HttpResponse, ApiError> {
    let TokenRequest {
        email,
        password,
        code,
    } = body.into_inner();
    let ip = req.peer_addr().map(|a| a.ip());
    let right = crate::auth::sign_in(&state, email, password, ip).await?;
    crate::auth::sign_in::for_token(&state, &right, code, ip).await?;
    let token = keys.issue_for(&right.user)?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(token))
}
