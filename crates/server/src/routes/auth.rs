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
}

impl std::fmt::Debug for TokenRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenRequest")
            .field("email", &self.email)
            .finish_non_exhaustive()
    }
}

/// Exchange an email and password for a bearer token. Attempts are rate
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
        (status = 401, description = "Wrong email or password", body = Problem),
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
    let TokenRequest { email, password } = body.into_inner();
    let user =
        crate::auth::sign_in(&state, email, password, req.peer_addr().map(|a| a.ip())).await?;
    let token = keys.issue_for(&user)?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(token))
}
