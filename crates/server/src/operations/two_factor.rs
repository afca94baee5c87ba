//! Two-factor sign-in (issue 18): setting it up with an authenticator app,
//! checking a code (or a recovery code) at sign-in, turning it off
//! (grantees only: staff must keep it) and an administrator's reset for
//! someone who lost their phone. Each change and its audit event are
//! written in the transaction the caller passes in.

use chrono::{DateTime, Utc};
use grantledger_domain::ids::UserId;
use grantledger_domain::two_factor::{
    CodeError, RECOVERY_CODES, RecoveryCode, SECRET_BYTES, TotpSecret,
};
use grantledger_domain::user::User;
use grantledger_store::common::Actor;
use grantledger_store::two_factor::{self as store, TwoFactor};
use grantledger_store::{AnyConnection, users};
use rand::RngCore;

use crate::error::ApiError;
use crate::operations::notices::{self, Notices, TwoFactorChange};

/// The name authenticator apps show above the codes.
pub const ISSUER: &str = "grantledger";

/// What a person needs to add the account to their authenticator app.
#[derive(Debug, Clone)]
pub struct Enrolment {
    /// The secret, for typing in by hand.
    pub secret: TotpSecret,
    /// The `otpauth://` address the QR code holds.
    pub otpauth_url: String,
    /// The QR code, as an SVG document.
    pub qr_svg: String,
}

impl Enrolment {
    fn of(secret: TotpSecret, email: &str) -> Enrolment {
        let otpauth_url = secret.otpauth_url(ISSUER, email);
        Enrolment {
            qr_svg: qr_svg(&otpauth_url),
            otpauth_url,
            secret,
        }
    }

    /// The secret in groups of four, easier to type.
    #[must_use]
    pub fn secret_grouped(&self) -> String {
        let text = self.secret.base32();
        let chars: Vec<char> = text.chars().collect();
        chars
            .chunks(4)
            .map(|c| c.iter().collect::<String>())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// `text` as a QR code in SVG, black on white with a quiet zone.
#[must_use]
pub fn qr_svg(text: &str) -> String {
    match qrcode::QrCode::new(text.as_bytes()) {
        Ok(code) => code
            .render::<qrcode::render::svg::Color<'_>>()
            .min_dimensions(200, 200)
            .build(),
        // An otpauth address is far below a QR code's capacity.
        Err(_) => String::new(),
    }
}

fn random_secret() -> TotpSecret {
    let mut bytes = [0u8; SECRET_BYTES];
    rand::rng().fill_bytes(&mut bytes);
    TotpSecret::from_bytes(bytes)
}

fn new_recovery_codes() -> Vec<RecoveryCode> {
    (0..RECOVERY_CODES)
        .map(|_| {
            let mut bytes = [0u8; 8];
            rand::rng().fill_bytes(&mut bytes);
            RecoveryCode::from_bytes(bytes)
        })
        .collect()
}

fn hashes(codes: &[RecoveryCode]) -> Vec<String> {
    codes
        .iter()
        .map(|c| RecoveryCode::digest(c.as_str()))
        .collect()
}

/// The user's two-factor state.
///
/// # Errors
/// Database errors.
pub fn status(c: &mut AnyConnection, user: UserId) -> Result<TwoFactor, ApiError> {
    Ok(store::get(c, user)?)
}

/// Starts setting up two-factor for `user` with a new secret (replacing a
/// set-up not finished). Two-factor already on stays on, with its old
/// secret, until the new one is confirmed.
///
/// # Errors
/// Database errors.
pub fn begin(
    c: &mut AnyConnection,
    user: &User,
    now: DateTime<Utc>,
) -> Result<Enrolment, ApiError> {
    let secret = random_secret();
    store::begin(c, user.id, &secret, now)?;
    Ok(Enrolment::of(secret, user.email.as_str()))
}

/// The set-up in progress, to show its QR code again.
///
/// # Errors
/// Database errors.
pub fn pending(c: &mut AnyConnection, user: &User) -> Result<Option<Enrolment>, ApiError> {
    Ok(store::get(c, user.id)?
        .pending
        .map(|secret| Enrolment::of(secret, user.email.as_str())))
}

fn code_refused(field: &str, error: CodeError) -> ApiError {
    ApiError::invalid(field, error.to_string())
}

/// Finishes setting up: `code` from the app proves it holds the pending
/// secret. Returns the new recovery codes, shown once.
///
/// # Errors
/// 409 when no set-up was started; 422 naming `code` when it is wrong.
pub fn confirm(
    c: &mut AnyConnection,
    notices: &Notices,
    user: &User,
    code: &str,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Vec<RecoveryCode>, ApiError> {
    let state = store::get(c, user.id)?;
    let Some(pending) = state.pending else {
        return Err(ApiError::conflict(
            "two-factor set-up has not been started: start it, then enter the code the app shows",
        ));
    };
    let step = pending
        .verify(code, now, None)
        .map_err(|e| code_refused("code", e))?;
    let codes = enable(c, user, &pending, step, actor, now)?;
    notices::two_factor_changed(c, notices, &user.email, TwoFactorChange::TurnedOn, now)?;
    Ok(codes)
}

fn enable(
    c: &mut AnyConnection,
    user: &User,
    secret: &TotpSecret,
    step: i64,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Vec<RecoveryCode>, ApiError> {
    let codes = new_recovery_codes();
    store::confirm(c, user.id, secret, step, &hashes(&codes), now)?;
    users::record_event(c, actor, "user.two_factor_enabled", user, now)?;
    Ok(codes)
}

/// Sets two-factor up with a secret the operator chose, without a code
/// from an app: for the command line (which already has the database) and
/// the demo. Returns the recovery codes.
///
/// # Errors
/// Database errors.
pub fn enrol_with_secret(
    c: &mut AnyConnection,
    user: &User,
    secret: &TotpSecret,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Vec<RecoveryCode>, ApiError> {
    store::begin(c, user.id, secret, now)?;
    // The step before any code a person could type, so none is refused as
    // already used.
    enable(c, user, secret, i64::MIN, actor, now)
}

/// New recovery codes for someone with two-factor on; the old ones end.
///
/// # Errors
/// 409 when two-factor is off; 422 naming `code` when it is wrong.
pub fn renew_recovery_codes(
    c: &mut AnyConnection,
    notices: &Notices,
    user: &User,
    code: &str,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Vec<RecoveryCode>, ApiError> {
    check_code(c, user, code, now).map_err(|e| as_field_error(e, "code"))?;
    let codes = new_recovery_codes();
    store::replace_recovery_codes(c, user.id, &hashes(&codes))?;
    users::record_event(c, actor, "user.recovery_codes_renewed", user, now)?;
    notices::two_factor_changed(
        c,
        notices,
        &user.email,
        TwoFactorChange::NewRecoveryCodes,
        now,
    )?;
    Ok(codes)
}

/// Turns two-factor off, for a grantee who no longer wants it; `code` (or
/// a recovery code) proves it is them.
///
/// # Errors
/// 403 for staff, who must keep it; 409 when it is off; 422 naming `code`
/// when it is wrong.
pub fn turn_off(
    c: &mut AnyConnection,
    notices: &Notices,
    user: &User,
    code: &str,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    if user.role.requires_two_factor() {
        return Err(ApiError::Forbidden(format!(
            "two-factor sign-in is required for the {} role; it can be set up again, not turned off",
            user.role.label()
        )));
    }
    check_code(c, user, code, now).map_err(|e| as_field_error(e, "code"))?;
    store::remove(c, user.id)?;
    users::record_event(c, actor, "user.two_factor_disabled", user, now)?;
    notices::two_factor_changed(c, notices, &user.email, TwoFactorChange::TurnedOff, now)
}

/// An administrator's reset for someone who lost their authenticator and
/// recovery codes: two-factor goes, and every session and token of theirs
/// ends. Staff must set it up again at their next sign-in.
///
/// # Errors
/// 404 when there is no such user; 409 when two-factor is off.
pub fn reset(
    c: &mut AnyConnection,
    notices: &Notices,
    user: UserId,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let found = users::get(c, user)?;
    if !store::remove(c, user)? {
        return Err(ApiError::conflict(
            "two-factor sign-in is not set up for this user",
        ));
    }
    users::sign_out_everywhere(c, user, actor, now)?;
    users::record_event(c, actor, "user.two_factor_reset", &found.value, now)?;
    notices::two_factor_changed(c, notices, &found.value.email, TwoFactorChange::Reset, now)
}

/// Checks the second factor of a sign-in: the app's current code, never
/// accepted twice, or an unused recovery code, which is then used up.
///
/// # Errors
/// [`ApiError::TwoFactorRequired`] saying what is wrong.
pub fn check_code(
    c: &mut AnyConnection,
    user: &User,
    typed: &str,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let state = store::get(c, user.id)?;
    let Some(secret) = state.secret else {
        return Err(ApiError::conflict(
            "two-factor sign-in is not set up for this account",
        ));
    };
    if RecoveryCode::looks_like(typed) {
        if store::use_recovery_code(c, user.id, &RecoveryCode::digest(typed), now)? {
            let actor = Actor::user(user.id, format!("{}:{}", user.role, user.id));
            users::record_event(c, &actor, "user.recovery_code_used", user, now)?;
            return Ok(());
        }
        return Err(ApiError::TwoFactorRequired(
            "that recovery code is wrong or has been used".into(),
        ));
    }
    let step = secret
        .verify(typed, now, state.last_step)
        .map_err(|e| ApiError::TwoFactorRequired(e.to_string()))?;
    if store::record_step(c, user.id, step)? {
        Ok(())
    } else {
        Err(ApiError::TwoFactorRequired(CodeError::Reused.to_string()))
    }
}

fn as_field_error(error: ApiError, field: &str) -> ApiError {
    match error {
        ApiError::TwoFactorRequired(reason) => ApiError::invalid(field, reason),
        other => other,
    }
}
