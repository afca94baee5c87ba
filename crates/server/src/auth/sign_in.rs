//! Checking an email and password: shared by the API's token endpoint and
//! the portal's sign-in page, so both have the same limits and timing.

use std::net::IpAddr;

use actix_web::web;
use chrono::Utc;
use grantledger_domain::two_factor::SignInStage;
use grantledger_domain::user::{Email, User, check_sign_in_password};
use grantledger_store::{two_factor, users};

use crate::auth::password::{dummy_verify, verify_password};
use crate::error::ApiError;
use crate::http::blocking;
use crate::state::AppState;

/// A right password, and what must come next.
#[derive(Debug, Clone)]
pub struct PasswordRight {
    /// Whose it is.
    pub user: User,
    /// Signed in, or a code still owed, or two-factor to set up first.
    pub stage: SignInStage,
}

/// The user with this email and password. Attempts are rate limited per
/// client address, and wrong passwords back off per account and address;
/// a wrong email and a wrong password get the same answer in the same
/// time, and a disabled user is refused like a wrong password. For someone
/// with two-factor on, the back-off is cleared only by the right code.
pub async fn sign_in(
    state: &web::Data<AppState>,
    email: String,
    password: String,
    ip: Option<IpAddr>,
) -> Result<PasswordRight, ApiError> {
    check_sign_in_password(&password).map_err(|e| ApiError::invalid("password", e.to_string()))?;
    let normalised = email.trim().to_lowercase();
    state.limiter.check(&normalised, ip)?;
    let found = {
        let state = state.clone();
        blocking(move || match Email::parse(&email) {
            Ok(email) => state.db.read(|c| {
                let Some((user, hash)) = users::find_for_login(c, &email)? else {
                    return Ok::<_, ApiError>(None);
                };
                let enabled = two_factor::enabled(c, user.value.id)?;
                Ok(Some((user, hash, enabled)))
            }),
            Err(_) => Ok(None),
        })
        .await?
    };
    let user = state
        .hashing
        .run(move || match found {
            Some((user, hash, enabled)) if !user.value.disabled && hash != users::NO_PASSWORD => {
                verify_password(&hash, &password).then_some((user.value, enabled))
            }
            _ => {
                dummy_verify(&password);
                None
            }
        })
        .await?;
    let Some((user, enabled)) = user else {
        state.limiter.failed(&normalised, ip);
        return Err(ApiError::Unauthorized(
            "the email or password is wrong".into(),
        ));
    };
    let stage = SignInStage::after_password(user.role, enabled);
    if stage != SignInStage::AwaitingCode {
        state.limiter.succeeded(&normalised, ip);
    }
    Ok(PasswordRight { user, stage })
}

/// Checks the second factor of someone whose password was right: the
/// app's code or a recovery code. A wrong one counts against the account
/// and address as a wrong password does.
pub async fn second_factor(
    state: &web::Data<AppState>,
    user: &User,
    code: String,
    ip: Option<IpAddr>,
) -> Result<(), ApiError> {
    let key = user.email.as_str().to_lowercase();
    state.limiter.check_backoff(&key, ip)?;
    let checked = {
        let state = state.clone();
        let user = user.clone();
        blocking(move || {
            state
                .db
                .write(|c| crate::operations::two_factor::check_code(c, &user, &code, Utc::now()))
        })
        .await
    };
    match checked {
        Ok(()) => {
            state.limiter.succeeded(&key, ip);
            Ok(())
        }
        Err(error @ ApiError::TwoFactorRequired(_)) => {
            state.limiter.failed(&key, ip);
            Err(error)
        }
        Err(other) => Err(other),
    }
}

/// What the API's token endpoint asks beyond the password: nothing, the
/// code, or (for staff without two-factor) that they set it up first.
pub async fn for_token(
    state: &web::Data<AppState>,
    right: &PasswordRight,
    code: Option<String>,
    ip: Option<IpAddr>,
) -> Result<(), ApiError> {
    match (right.stage, code) {
        (SignInStage::Complete, _) => Ok(()),
        (SignInStage::MustEnrol, _) => Err(ApiError::TwoFactorSetupRequired(format!(
            "the {} role signs in with two factors: sign in to the portal, which asks you to set it up, then send its code as `code`",
            right.user.role.label()
        ))),
        (SignInStage::AwaitingCode, None) => Err(ApiError::TwoFactorRequired(
            "this account signs in with two factors: send `code`, the 6 digits your authenticator app shows, or one of your recovery codes".into(),
        )),
        (SignInStage::AwaitingCode, Some(code)) => {
            second_factor(state, &right.user, code, ip).await
        }
    }
}
