//! Two-factor sign-in: time-based one-time passwords (RFC 6238, the codes
//! authenticator apps show) and single-use recovery codes.
//!
//! Staff must use it; grantees may. A code is accepted for the 30-second
//! step it belongs to and one step either side (clocks drift), and never
//! twice: a sign-in records the step it used, and a later sign-in needs a
//! later step (RFC 6238 §5.2).

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use totp_rs::{Algorithm, TOTP};

use crate::user::Role;

/// Seconds in one step.
pub const STEP_SECONDS: i64 = 30;
/// Digits in a code.
pub const DIGITS: usize = 6;
/// Bytes of a secret: 160 bits, RFC 4226's recommendation.
pub const SECRET_BYTES: usize = 20;
/// Recovery codes given at enrolment.
pub const RECOVERY_CODES: usize = 10;

impl Role {
    /// Whether people in this role must sign in with two factors. Staff
    /// can move money or read everyone's data; grantees may choose.
    ///
    /// ```
    /// use grantledger_domain::user::Role;
    /// assert!(Role::Auditor.requires_two_factor());
    /// assert!(!Role::Grantee.requires_two_factor());
    /// ```
    #[must_use]
    pub const fn requires_two_factor(self) -> bool {
        !matches!(self, Role::Grantee)
    }
}

string_enum! {
    /// How far a portal sign-in has got.
    pub enum SignInStage ("sign-in stage") {
        /// The password was right; the code from the app is still to come.
        AwaitingCode = "code", "Waiting for a code";
        /// Staff who must set up two-factor before anything else.
        MustEnrol = "enrol", "Must set up two-factor";
        /// Signed in.
        Complete = "full", "Signed in";
    }
}

impl SignInStage {
    /// Where a right password leaves someone of `role` who has (or has
    /// not) turned two-factor on.
    ///
    /// ```
    /// use grantledger_domain::two_factor::SignInStage;
    /// use grantledger_domain::user::Role;
    /// assert_eq!(SignInStage::after_password(Role::Admin, true), SignInStage::AwaitingCode);
    /// assert_eq!(SignInStage::after_password(Role::Admin, false), SignInStage::MustEnrol);
    /// assert_eq!(SignInStage::after_password(Role::Grantee, false), SignInStage::Complete);
    /// ```
    #[must_use]
    pub const fn after_password(role: Role, enabled: bool) -> SignInStage {
        if enabled {
            SignInStage::AwaitingCode
        } else if role.requires_two_factor() {
            SignInStage::MustEnrol
        } else {
            SignInStage::Complete
        }
    }
}

/// Why a code was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    /// Not six digits.
    #[error("the code must be the 6 digits your authenticator app shows")]
    Malformed,
    /// Six digits, but not the code for now.
    #[error("the code is wrong or has expired")]
    Wrong,
    /// The code for now, but already used to sign in.
    #[error("that code has already been used; wait for the next one")]
    Reused,
}

/// Why a secret could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a two-factor secret is {SECRET_BYTES} bytes, written in base32")]
pub struct SecretError;

/// The secret an authenticator app and the server share. Its `Debug`
/// never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct TotpSecret([u8; SECRET_BYTES]);

impl std::fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpSecret(..)")
    }
}

/// The step a moment falls in.
#[must_use]
pub fn step_at(at: DateTime<Utc>) -> i64 {
    at.timestamp().div_euclid(STEP_SECONDS)
}

impl TotpSecret {
    /// A secret from random bytes (the caller draws them from the
    /// operating system).
    #[must_use]
    pub const fn from_bytes(bytes: [u8; SECRET_BYTES]) -> TotpSecret {
        TotpSecret(bytes)
    }

    /// Reads a secret written by [`TotpSecret::base32`] (spaces and case
    /// ignored, as people type it from a page).
    ///
    /// # Errors
    /// [`SecretError`] unless it is base32 for exactly 20 bytes.
    pub fn parse(text: &str) -> Result<TotpSecret, SecretError> {
        let clean: String = text
            .chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| c.to_ascii_uppercase())
            .collect();
        let bytes = base32::decode(base32::Alphabet::Rfc4648 { padding: false }, &clean)
            .ok_or(SecretError)?;
        Ok(TotpSecret(bytes.try_into().map_err(|_| SecretError)?))
    }

    /// The secret in base32, as authenticator apps take it by hand.
    #[must_use]
    pub fn base32(&self) -> String {
        base32::encode(base32::Alphabet::Rfc4648 { padding: false }, &self.0)
    }

    fn totp(&self, issuer: &str, account: &str) -> TOTP {
        // A colon separates issuer from account in the label.
        TOTP::new_unchecked(
            Algorithm::SHA1,
            DIGITS,
            0,
            STEP_SECONDS.unsigned_abs(),
            self.0.to_vec(),
            Some(issuer.replace(':', " ")),
            account.replace(':', " "),
        )
    }

    /// The code for a step.
    ///
    /// ```
    /// use grantledger_domain::two_factor::TotpSecret;
    /// // RFC 6238 appendix B, SHA-1, T = 59 s (step 1), last 6 digits.
    /// let secret = TotpSecret::from_bytes(*b"12345678901234567890");
    /// assert_eq!(secret.code_for_step(1), "287082");
    /// ```
    #[must_use]
    pub fn code_for_step(&self, step: i64) -> String {
        let seconds = step.max(0).unsigned_abs() * STEP_SECONDS.unsigned_abs();
        self.totp("", "").generate(seconds)
    }

    /// The `otpauth://` address an authenticator app reads from a QR code.
    #[must_use]
    pub fn otpauth_url(&self, issuer: &str, account: &str) -> String {
        self.totp(issuer, account).get_url()
    }

    /// Checks `code` at `now`, given the step of the last code accepted
    /// for this secret. Returns the step to record.
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use grantledger_domain::two_factor::{CodeError, TotpSecret};
    /// let secret = TotpSecret::from_bytes(*b"12345678901234567890");
    /// let now = Utc.timestamp_opt(59, 0).unwrap();
    /// assert_eq!(secret.verify("287082", now, None), Ok(1));
    /// assert_eq!(secret.verify("287 082", now, None), Ok(1));
    /// assert_eq!(secret.verify("287082", now, Some(1)), Err(CodeError::Reused));
    /// assert_eq!(secret.verify("000000", now, None), Err(CodeError::Wrong));
    /// assert_eq!(secret.verify("28708", now, None), Err(CodeError::Malformed));
    /// ```
    ///
    /// # Errors
    /// [`CodeError`] says why it was refused.
    pub fn verify(
        &self,
        code: &str,
        now: DateTime<Utc>,
        last_step: Option<i64>,
    ) -> Result<i64, CodeError> {
        let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
        if code.len() != DIGITS || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(CodeError::Malformed);
        }
        let current = step_at(now);
        let matched = (current - 1..=current + 1).find(|&step| {
            let expected = self.code_for_step(step);
            constant_time_eq(expected.as_bytes(), code.as_bytes())
        });
        match matched {
            None => Err(CodeError::Wrong),
            Some(step) if last_step.is_some_and(|last| step <= last) => Err(CodeError::Reused),
            Some(step) => Ok(step),
        }
    }
}

/// What an authenticator app does, for programs that sign someone in
/// (the load generator, the tests): it gives each step's code at most
/// once, since the server accepts none twice, and when this step's and the
/// next one's are spent it says how long until another is due.
#[derive(Debug)]
pub struct Authenticator {
    secret: TotpSecret,
    last: std::sync::Mutex<Option<i64>>,
}

impl Authenticator {
    /// An authenticator holding `secret`.
    #[must_use]
    pub fn new(secret: TotpSecret) -> Authenticator {
        Authenticator {
            secret,
            last: std::sync::Mutex::new(None),
        }
    }

    /// A code not given before, or how long to wait for one. It uses this
    /// step and the next (the server accepts one either side), never the
    /// last, which the server's clock may have left behind.
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use grantledger_domain::two_factor::{Authenticator, TotpSecret};
    /// let phone = Authenticator::new(TotpSecret::from_bytes(*b"12345678901234567890"));
    /// let now = Utc.timestamp_opt(59, 0).unwrap();
    /// assert_eq!(phone.code_at(now), Ok("287082".to_owned()));
    /// assert!(phone.code_at(now).is_ok());
    /// assert_eq!(phone.code_at(now), Err(std::time::Duration::from_secs(1)));
    /// ```
    ///
    /// # Errors
    /// How long until the next code is due.
    pub fn code_at(&self, now: DateTime<Utc>) -> Result<String, std::time::Duration> {
        let mut last = self
            .last
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let current = step_at(now);
        let next = last.map_or(current, |l| (l + 1).max(current));
        if next > current + 1 {
            let boundary = (current + 1) * STEP_SECONDS;
            let wait = (boundary - now.timestamp()).max(1);
            return Err(std::time::Duration::from_secs(wait.unsigned_abs()));
        }
        *last = Some(next);
        Ok(self.secret.code_for_step(next))
    }

    /// A code not given before, waiting for one if it must.
    #[must_use]
    pub fn code(&self) -> String {
        loop {
            match self.code_at(Utc::now()) {
                Ok(code) => return code,
                Err(wait) => std::thread::sleep(wait),
            }
        }
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A single-use code for signing in without the authenticator app, in
/// the form `xxxx-xxxx-xxxx` (base32 letters and digits, 60 bits).
#[derive(Clone, PartialEq, Eq)]
pub struct RecoveryCode(String);

impl std::fmt::Debug for RecoveryCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RecoveryCode(..)")
    }
}

impl RecoveryCode {
    /// A code from random bytes.
    #[must_use]
    pub fn from_bytes(bytes: [u8; 8]) -> RecoveryCode {
        let text = base32::encode(base32::Alphabet::Rfc4648 { padding: false }, &bytes)
            .to_ascii_lowercase();
        let chars: Vec<char> = text.chars().take(12).collect();
        let groups: Vec<String> = chars.chunks(4).map(|c| c.iter().collect()).collect();
        RecoveryCode(groups.join("-"))
    }

    /// The code as shown to its owner.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// What the store keeps: a SHA-256 of the code without dashes or case.
    /// The codes are random, so a plain hash is enough.
    ///
    /// ```
    /// use grantledger_domain::two_factor::RecoveryCode;
    /// let code = RecoveryCode::from_bytes([7; 8]);
    /// let typed = code.as_str().to_uppercase().replace('-', " ");
    /// assert_eq!(RecoveryCode::digest(&typed), RecoveryCode::digest(code.as_str()));
    /// ```
    #[must_use]
    pub fn digest(typed: &str) -> String {
        let clean: String = typed
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_lowercase())
            .collect();
        hex::encode(Sha256::digest(clean.as_bytes()))
    }

    /// Whether what someone typed looks like a recovery code rather than
    /// an app's six digits.
    #[must_use]
    pub fn looks_like(typed: &str) -> bool {
        typed.chars().filter(char::is_ascii_alphanumeric).count() == 12
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn secret() -> TotpSecret {
        TotpSecret::from_bytes(*b"12345678901234567890")
    }

    #[test]
    fn rfc_6238_sha1_vectors() {
        // Appendix B, the last six digits of the eight-digit values.
        for (t, code) in [
            (59, "287082"),
            (1_111_111_109, "081804"),
            (1_111_111_111, "050471"),
            (1_234_567_890, "005924"),
            (2_000_000_000, "279037"),
        ] {
            assert_eq!(secret().code_for_step(t / STEP_SECONDS), code, "T = {t}");
        }
    }

    #[test]
    fn one_step_either_side_and_no_further() {
        let now = Utc.timestamp_opt(1_234_567_890, 0).unwrap();
        let step = step_at(now);
        for offset in -1..=1 {
            let code = secret().code_for_step(step + offset);
            assert_eq!(secret().verify(&code, now, None), Ok(step + offset));
        }
        for offset in [-2, 2] {
            let code = secret().code_for_step(step + offset);
            assert_eq!(secret().verify(&code, now, None), Err(CodeError::Wrong));
        }
    }

    #[test]
    fn a_code_is_not_accepted_after_a_later_one() {
        let now = Utc.timestamp_opt(1_234_567_890, 0).unwrap();
        let step = step_at(now);
        let earlier = secret().code_for_step(step - 1);
        assert_eq!(
            secret().verify(&earlier, now, Some(step)),
            Err(CodeError::Reused)
        );
        let later = secret().code_for_step(step + 1);
        assert_eq!(secret().verify(&later, now, Some(step)), Ok(step + 1));
    }

    #[test]
    fn secrets_round_trip_through_base32() {
        let s = TotpSecret::from_bytes([200; SECRET_BYTES]);
        let typed = s.base32().to_lowercase();
        let spaced: String = typed
            .chars()
            .enumerate()
            .flat_map(|(i, c)| if i % 4 == 3 { vec![c, ' '] } else { vec![c] })
            .collect();
        assert_eq!(TotpSecret::parse(&spaced), Ok(s));
        assert_eq!(TotpSecret::parse("ABC"), Err(SecretError));
        assert_eq!(TotpSecret::parse("!!!!"), Err(SecretError));
    }

    #[test]
    fn otpauth_names_the_issuer_and_account() {
        let url = secret().otpauth_url("grantledger", "a@example.org");
        assert!(url.starts_with("otpauth://totp/grantledger:a%40example.org?secret="));
        assert!(url.contains("issuer=grantledger"));
    }

    #[test]
    fn recovery_codes_look_like_recovery_codes() {
        let code = RecoveryCode::from_bytes([1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(code.as_str().len(), 14);
        assert!(RecoveryCode::looks_like(code.as_str()));
        assert!(!RecoveryCode::looks_like("123456"));
    }
}
