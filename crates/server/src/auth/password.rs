//! Password hashing with argon2id.
//!
//! Hashing and verifying take tens of milliseconds of CPU by design; call
//! these from `web::block`, not directly on an async worker.

use std::sync::OnceLock;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use rand::RngCore;

use crate::error::ApiError;

/// Hashes a password with argon2id (default parameters, random salt) and
/// returns the PHC string to store.
pub fn hash_password(password: &str) -> Result<String, ApiError> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt)
        .map_err(|error| ApiError::Internal(format!("encoding a salt: {error}")))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|error| ApiError::Internal(format!("hashing a password: {error}")))
}

/// Whether `password` matches a stored PHC string. An unparseable hash
/// matches nothing.
#[must_use]
pub fn verify_password(phc: &str, password: &str) -> bool {
    match PasswordHash::new(phc) {
        // The parameters come from the stored hash, so hashes made with
        // older settings keep verifying after the defaults change.
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// Spends as long as [`verify_password`] does, for sign-ins naming an
/// unknown email, so response times do not reveal which emails have
/// accounts.
pub fn dummy_verify(password: &str) {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let phc = DUMMY.get_or_init(|| {
        // Hashed on first use rather than written out as a literal so that
        // its cost follows the library's current default parameters.
        hash_password("grantledger dummy password").unwrap_or_default()
    });
    let _ = verify_password(phc, password);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    #[test]
    fn hashes_verify_and_are_salted() {
        let first = hash_password("correct horse battery staple").unwrap();
        let second = hash_password("correct horse battery staple").unwrap();
        assert!(first.starts_with("$argon2id$"), "{first}");
        assert_ne!(first, second);
        assert!(verify_password(&first, "correct horse battery staple"));
        assert!(!verify_password(&first, "Correct horse battery staple"));
    }

    #[test]
    fn unparseable_hashes_match_nothing() {
        assert!(!verify_password("", "x"));
        assert!(!verify_password("not a hash", "x"));
        assert!(!verify_password("$argon2id$v=19$m=bad", "x"));
    }

    #[test]
    fn dummy_verify_costs_about_as_much_as_a_real_one() {
        let phc = hash_password("some password here").unwrap();
        dummy_verify("warm up the lazy hash");
        let start = Instant::now();
        let _ = verify_password(&phc, "wrong password");
        let real = start.elapsed();
        let start = Instant::now();
        dummy_verify("wrong password");
        let dummy = start.elapsed();
        // Loose bounds: this guards against the dummy being a no-op, not
        // against scheduler noise.
        assert!(dummy * 4 > real, "dummy {dummy:?} vs real {real:?}");
    }
}
