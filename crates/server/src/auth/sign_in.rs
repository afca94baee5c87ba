//! Checking an email and password: shared by the API's token endpoint and
//! the portal's sign-in page, so both have the same limits and timing.

use std::net::IpAddr;

use actix_web::web;
use grantledger_domain::user::{Email, User, check_sign_in_password};
use grantledger_store::users;

use crate::auth::password::{dummy_verify, verify_password};
use crate::error::ApiError;
use crate::http::blocking;
use crate::state::AppState;

/// The user with this email and password. Attempts are rate limited per
/// client address, and wrong passwords back off per account and address;
/// a wrong email and a wrong password get the same answer in the same
/// time, and a disabled user is refused like a wrong password.
pub async fn sign_in(
    state: &web::Data<AppState>,
    email: String,
    password: String,
    ip: Option<IpAddr>,
) -> Result<User, ApiError> {
    check_sign_in_password(&password).map_err(|e| ApiError::invalid("password", e.to_string()))?;
    let normalised = email.trim().to_lowercase();
    state.limiter.check(&normalised, ip)?;
    let found = {
        let state = state.clone();
        blocking(move || match Email::parse(&email) {
            Ok(email) => state
                .db
                .read(|c| Ok::<_, ApiError>(users::find_for_login(c, &email)?)),
            Err(_) => Ok(None),
        })
        .await?
    };
    let user = state
        .hashing
        .run(move || match found {
            Some((user, hash)) if !user.value.disabled && hash != users::NO_PASSWORD => {
                verify_password(&hash, &password).then_some(user.value)
            }
            _ => {
                dummy_verify(&password);
                None
            }
        })
        .await?;
    let Some(user) = user else {
        state.limiter.failed(&normalised, ip);
        return Err(ApiError::Unauthorized(
            "the email or password is wrong".into(),
        ));
    };
    state.limiter.succeeded(&normalised, ip);
    Ok(user)
}
