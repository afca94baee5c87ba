//! Access tokens: HS256 JWTs with a key id, so the signing secret can be
//! rotated without signing everybody out.

use std::fmt;
use std::time::Duration;

use grantledger_domain::ids::{GranteeId, UserId};
use grantledger_domain::user::{Role, check_binding};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::auth::principal::Principal;
use crate::error::ApiError;

/// The environment variable that holds the signing secret; named in errors
/// so an operator knows what to fix.
pub const SECRET_ENV: &str = "GRANTLEDGER_JWT_SECRET";

/// Fewest bytes in a signing secret: HS256 keys shorter than the hash
/// output (32 bytes) can be brute-forced offline from any one token.
pub const MIN_SECRET_BYTES: usize = 32;

/// Least estimated entropy in a signing secret outside demo mode. The
/// estimate is the secret's length times the Shannon entropy of its
/// characters: 32 random bytes in hex score 256 and `openssl rand -base64
/// 32` about 240, while 32 `a`s score 0 and a short phrase repeated scores
/// little. It cannot see every pattern; it refuses the obvious ones.
pub const MIN_SECRET_ENTROPY_BITS: f64 = 100.0;

/// The estimated entropy of a secret, in bits: its length times the
/// Shannon entropy of its byte distribution.
#[must_use]
pub fn estimated_entropy_bits(secret: &[u8]) -> f64 {
    let mut counts = [0u32; 256];
    for byte in secret {
        if let Some(count) = counts.get_mut(usize::from(*byte)) {
            *count += 1;
        }
    }
    let len = f64::from(u32::try_from(secret.len()).unwrap_or(u32::MAX));
    let per_byte: f64 = counts
        .iter()
        .filter(|count| **count > 0)
        .map(|count| {
            let p = f64::from(*count) / len;
            -p * p.log2()
        })
        .sum();
    per_byte * len
}

/// Allowed clock difference between this server and whoever checks `exp`,
/// `nbf` and `iat`, in seconds.
pub const LEEWAY_SECS: u64 = 5;

/// How tokens are signed and checked.
#[derive(Debug, Clone)]
pub struct JwtConfig {
    /// The current signing secret.
    pub secret: SecretString,
    /// The `kid` of the current secret.
    pub key_id: String,
    /// Retired secrets by `kid`: tokens they signed verify until they expire.
    pub previous_keys: Vec<(String, SecretString)>,
    /// The `iss` claim issued and required.
    pub issuer: String,
    /// The `aud` claim issued and required.
    pub audience: String,
    /// How long an issued token is valid.
    pub ttl: Duration,
}

/// Why a [`JwtConfig`] cannot be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum JwtConfigError {
    /// A secret is too short to resist guessing.
    #[error(
        "the JWT secret for key id \"{key_id}\" is {len} bytes; {SECRET_ENV} (and every \
         previous key) must be at least {MIN_SECRET_BYTES} bytes outside demo mode"
    )]
    SecretTooShort {
        /// Which key.
        key_id: String,
        /// Its length in bytes.
        len: usize,
    },
    /// A secret is long enough but made of too few different characters
    /// (e.g. 32 `a`s) to be hard to guess.
    #[error(
        "the JWT secret for key id \"{key_id}\" is too predictable (estimated {bits:.0} bits of \
         entropy, at least {MIN_SECRET_ENTROPY_BITS} needed): use a random secret, e.g. \
         `openssl rand -hex 32`"
    )]
    SecretTooPredictable {
        /// Which key.
        key_id: String,
        /// Its estimated entropy, in bits.
        bits: f64,
    },
    /// A key id is empty, so tokens could not say which key signed them.
    #[error("JWT key ids must not be empty")]
    EmptyKeyId,
    /// Two keys share an id, so a token's `kid` would be ambiguous.
    #[error("JWT key id \"{0}\" is used by more than one key")]
    DuplicateKeyId(String),
}

/// The claims of a grantledger access token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The user.
    pub sub: Uuid,
    /// The user's role when the token was issued.
    pub role: Role,
    /// For grantee users, their organisation.
    pub grantee: Option<Uuid>,
    /// Issuer.
    pub iss: String,
    /// Audience.
    pub aud: String,
    /// Expiry, seconds since the Unix epoch.
    pub exp: u64,
    /// Issued at, seconds since the Unix epoch.
    pub iat: u64,
    /// Not valid before, seconds since the Unix epoch.
    pub nbf: u64,
    /// Unique token id, for tracing a token through logs.
    pub jti: Uuid,
    /// The user's credentials version when the token was issued: once a
    /// new password, disabling or "sign out everywhere" moves the user's
    /// count on, the token is refused. Absent (0) in tokens issued before
    /// the count existed.
    #[serde(default)]
    pub cv: i64,
}

/// The body of a successful sign-in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct IssuedToken {
    /// The JWT to send as `Authorization: Bearer <access_token>`.
    pub access_token: String,
    /// Always `Bearer`.
    #[schema(example = "Bearer")]
    pub token_type: &'static str,
    /// Seconds until the token expires.
    pub expires_in: u64,
}

/// Signing and verification keys built from a validated [`JwtConfig`].
#[derive(Clone)]
pub struct JwtKeys {
    key_id: String,
    encoding: EncodingKey,
    /// The current key first, then previous keys.
    decoding: Vec<(String, DecodingKey)>,
    validation: Validation,
    issuer: String,
    audience: String,
    ttl: Duration,
}

impl fmt::Debug for JwtKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The keys themselves never reach a log line.
        f.debug_struct("JwtKeys")
            .field("key_id", &self.key_id)
            .field(
                "verifying_key_ids",
                &self.decoding.iter().map(|(kid, _)| kid).collect::<Vec<_>>(),
            )
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

impl JwtKeys {
    /// Checks the configuration and prepares the keys. In `demo` mode short
    /// secrets are allowed, so a throwaway instance can start without one.
    pub fn new(config: &JwtConfig, demo: bool) -> Result<JwtKeys, JwtConfigError> {
        let all = std::iter::once((&config.key_id, &config.secret)).chain(
            config
                .previous_keys
                .iter()
                .map(|(kid, secret)| (kid, secret)),
        );
        let mut decoding: Vec<(String, DecodingKey)> = Vec::new();
        for (kid, secret) in all {
            if kid.trim().is_empty() {
                return Err(JwtConfigError::EmptyKeyId);
            }
            if decoding.iter().any(|(seen, _)| seen == kid) {
                return Err(JwtConfigError::DuplicateKeyId(kid.clone()));
            }
            let bytes = secret.expose_secret().as_bytes();
            if bytes.len() < MIN_SECRET_BYTES && !demo {
                return Err(JwtConfigError::SecretTooShort {
                    key_id: kid.clone(),
                    len: bytes.len(),
                });
            }
            let bits = estimated_entropy_bits(bytes);
            if bits < MIN_SECRET_ENTROPY_BITS && !demo {
                return Err(JwtConfigError::SecretTooPredictable {
                    key_id: kid.clone(),
                    bits,
                });
            }
            decoding.push((kid.clone(), DecodingKey::from_secret(bytes)));
        }

        let mut validation = Validation::new(Algorithm::HS256);
        validation.algorithms = vec![Algorithm::HS256];
        validation.leeway = LEEWAY_SECS;
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.validate_aud = true;
        validation.set_required_spec_claims(&["exp", "iat", "nbf", "iss", "aud", "sub"]);
        validation.set_issuer(&[&config.issuer]);
        validation.set_audience(&[&config.audience]);

        Ok(JwtKeys {
            key_id: config.key_id.clone(),
            encoding: EncodingKey::from_secret(config.secret.expose_secret().as_bytes()),
            decoding,
            validation,
            issuer: config.issuer.clone(),
            audience: config.audience.clone(),
            ttl: config.ttl,
        })
    }

    /// Issues a token for a user, signed with the current key.
    pub fn issue(
        &self,
        user: UserId,
        role: Role,
        grantee: Option<GranteeId>,
    ) -> Result<IssuedToken, ApiError> {
        self.issue_at(user, role, grantee, now_secs())
    }

    /// Issues a token for a user who has just proven who they are, bound to
    /// their current credentials version.
    pub fn issue_for(
        &self,
        user: &grantledger_domain::user::User,
    ) -> Result<IssuedToken, ApiError> {
        self.issue_full(
            user.id,
            user.role,
            user.grantee_id,
            now_secs(),
            user.credentials_version,
        )
    }

    /// Issues a token as if the clock read `now` (seconds since the epoch),
    /// so tests can make expired and future tokens.
    pub(crate) fn issue_at(
        &self,
        user: UserId,
        role: Role,
        grantee: Option<GranteeId>,
        now: u64,
    ) -> Result<IssuedToken, ApiError> {
        self.issue_full(user, role, grantee, now, 0)
    }

    fn issue_full(
        &self,
        user: UserId,
        role: Role,
        grantee: Option<GranteeId>,
        now: u64,
        cv: i64,
    ) -> Result<IssuedToken, ApiError> {
        let ttl = self.ttl.as_secs();
        let claims = Claims {
            sub: user.as_uuid(),
            role,
            grantee: grantee.map(GranteeId::as_uuid),
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            exp: now.saturating_add(ttl),
            iat: now,
            nbf: now,
            jti: Uuid::now_v7(),
            cv,
        };
        let access_token = self.sign(&claims)?;
        Ok(IssuedToken {
            access_token,
            token_type: "Bearer",
            expires_in: ttl,
        })
    }

    fn sign(&self, claims: &Claims) -> Result<String, ApiError> {
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(self.key_id.clone());
        jsonwebtoken::encode(&header, claims, &self.encoding)
            .map_err(|error| ApiError::Internal(format!("signing a token: {error}")))
    }

    /// Checks a token and returns who it was issued to. Every failure is a
    /// 401 with a short reason; the token itself is never echoed.
    pub fn verify(&self, token: &str) -> Result<Principal, ApiError> {
        self.verify_with_version(token)
            .map(|(principal, _)| principal)
    }

    /// Like [`JwtKeys::verify`], with the credentials version the token
    /// was issued at.
    pub fn verify_with_version(&self, token: &str) -> Result<(Principal, i64), ApiError> {
        let invalid = || ApiError::Unauthorized("invalid token".to_owned());
        // The header is read before the signature is checked only to pick
        // the key; nothing in it is trusted beyond that choice.
        let header = jsonwebtoken::decode_header(token).map_err(|_| invalid())?;
        // Pinning the algorithm here as well as in `Validation` keeps a
        // future change to either from opening the door to `none` or to
        // RS/HS key confusion.
        if header.alg != Algorithm::HS256 {
            return Err(invalid());
        }
        let kid = header.kid.ok_or_else(invalid)?;
        let key = self
            .decoding
            .iter()
            .find_map(|(id, key)| (*id == kid).then_some(key))
            .ok_or_else(invalid)?;
        let data =
            jsonwebtoken::decode::<Claims>(token, key, &self.validation).map_err(|error| {
                match error.kind() {
                    ErrorKind::ExpiredSignature => {
                        ApiError::Unauthorized("token expired".to_owned())
                    }
                    ErrorKind::ImmatureSignature => {
                        ApiError::Unauthorized("token not yet valid".to_owned())
                    }
                    _ => invalid(),
                }
            })?;
        let claims = data.claims;
        if claims.iat > now_secs().saturating_add(LEEWAY_SECS) {
            return Err(invalid());
        }
        let grantee_id = claims.grantee.map(GranteeId::from_uuid);
        // A validly signed token with an impossible role binding can only
        // come from a bug; refusing it keeps grantee scoping sound.
        check_binding(claims.role, grantee_id).map_err(|_| invalid())?;
        Ok((
            Principal {
                user_id: UserId::from_uuid(claims.sub),
                role: claims.role,
                grantee_id,
            },
            claims.cv,
        ))
    }
}

fn now_secs() -> u64 {
    jsonwebtoken::get_current_timestamp()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "0123456789abcdef0123456789abcdef";
    const OTHER: &str = "fedcba9876543210fedcba9876543210";

    fn config() -> JwtConfig {
        JwtConfig {
            secret: SECRET.to_owned().into(),
            key_id: "k2".to_owned(),
            previous_keys: vec![],
            issuer: "grantledger".to_owned(),
            audience: "grantledger-api".to_owned(),
            ttl: Duration::from_secs(900),
        }
    }

    fn keys() -> JwtKeys {
        JwtKeys::new(&config(), false).unwrap()
    }

    fn reason(result: Result<Principal, ApiError>) -> String {
        match result {
            Err(ApiError::Unauthorized(reason)) => reason,
            other => panic!("expected 401, got {other:?}"),
        }
    }

    /// Unpadded base64url, enough to hand-craft tokens.
    fn b64(bytes: &[u8]) -> String {
        const ALPHABET: &[u8; 64] =
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let n = chunk
                .iter()
                .enumerate()
                .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
            for i in 0..=chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            }
        }
        out
    }

    fn claims(now: u64) -> Claims {
        Claims {
            sub: Uuid::now_v7(),
            role: Role::Auditor,
            grantee: None,
            iss: "grantledger".to_owned(),
            aud: "grantledger-api".to_owned(),
            exp: now + 600,
            iat: now,
            nbf: now,
            jti: Uuid::now_v7(),
            cv: 0,
        }
    }

    fn sign_with(secret: &str, kid: Option<&str>, claims: &Claims) -> String {
        let mut header = Header::new(Algorithm::HS256);
        header.kid = kid.map(str::to_owned);
        jsonwebtoken::encode(
            &header,
            claims,
            &EncodingKey::from_secret(secret.as_bytes()),
        )
        .unwrap()
    }

    #[test]
    fn issued_tokens_round_trip() {
        let keys = keys();
        let user = UserId::new();
        let grantee = GranteeId::new();
        let issued = keys.issue(user, Role::Grantee, Some(grantee)).unwrap();
        assert_eq!(issued.token_type, "Bearer");
        assert_eq!(issued.expires_in, 900);
        let header = jsonwebtoken::decode_header(&issued.access_token).unwrap();
        assert_eq!(header.alg, Algorithm::HS256);
        assert_eq!(header.kid.as_deref(), Some("k2"));
        let principal = keys.verify(&issued.access_token).unwrap();
        assert_eq!(
            principal,
            Principal {
                user_id: user,
                role: Role::Grantee,
                grantee_id: Some(grantee)
            }
        );
    }

    #[test]
    fn expired_tokens_are_refused() {
        let keys = keys();
        let token = keys
            .issue_at(UserId::new(), Role::Admin, None, now_secs() - 1000)
            .unwrap();
        assert_eq!(reason(keys.verify(&token.access_token)), "token expired");
    }

    #[test]
    fn tokens_from_the_future_are_refused() {
        let keys = keys();
        let token = keys
            .issue_at(UserId::new(), Role::Admin, None, now_secs() + 120)
            .unwrap();
        assert_eq!(
            reason(keys.verify(&token.access_token)),
            "token not yet valid"
        );

        // iat in the future with nbf now: still refused.
        let now = now_secs();
        let mut claims = claims(now);
        claims.iat = now + 120;
        let token = sign_with(SECRET, Some("k2"), &claims);
        assert_eq!(reason(keys.verify(&token)), "invalid token");

        // Within the leeway is fine.
        let token = keys
            .issue_at(UserId::new(), Role::Admin, None, now_secs() + 2)
            .unwrap();
        assert!(keys.verify(&token.access_token).is_ok());
    }

    #[test]
    fn wrong_audience_or_issuer_is_refused() {
        let keys = keys();
        let mut wrong_aud = claims(now_secs());
        wrong_aud.aud = "someone-else".to_owned();
        assert_eq!(
            reason(keys.verify(&sign_with(SECRET, Some("k2"), &wrong_aud))),
            "invalid token"
        );
        let mut wrong_iss = claims(now_secs());
        wrong_iss.iss = "evil".to_owned();
        assert_eq!(
            reason(keys.verify(&sign_with(SECRET, Some("k2"), &wrong_iss))),
            "invalid token"
        );
        // The hand-made claims themselves are fine.
        assert!(
            keys.verify(&sign_with(SECRET, Some("k2"), &claims(now_secs())))
                .is_ok()
        );
    }

    #[test]
    fn alg_none_is_refused() {
        let keys = keys();
        let header = b64(br#"{"alg":"none","typ":"JWT","kid":"k2"}"#);
        let payload = b64(serde_json::to_string(&claims(now_secs()))
            .unwrap()
            .as_bytes());
        assert_eq!(
            reason(keys.verify(&format!("{header}.{payload}."))),
            "invalid token"
        );
        let header = b64(br#"{"alg":"RS256","typ":"JWT","kid":"k2"}"#);
        assert_eq!(
            reason(keys.verify(&format!("{header}.{payload}.c2ln"))),
            "invalid token"
        );
        let header = b64(br#"{"alg":"HS512","typ":"JWT","kid":"k2"}"#);
        assert_eq!(
            reason(keys.verify(&format!("{header}.{payload}.c2ln"))),
            "invalid token"
        );
    }

    #[test]
    fn a_token_signed_with_another_key_is_refused() {
        let keys = keys();
        let token = sign_with(OTHER, Some("k2"), &claims(now_secs()));
        assert_eq!(reason(keys.verify(&token)), "invalid token");
    }

    #[test]
    fn a_tampered_payload_is_refused() {
        let keys = keys();
        let original = claims(now_secs());
        let token = sign_with(SECRET, Some("k2"), &original);
        let parts: Vec<&str> = token.split('.').collect();
        let mut forged = original.clone();
        forged.role = Role::Admin;
        let payload = b64(serde_json::to_string(&forged).unwrap().as_bytes());
        let tampered = format!("{}.{payload}.{}", parts[0], parts[2]);
        assert_eq!(reason(keys.verify(&tampered)), "invalid token");
    }

    #[test]
    fn missing_or_unknown_kid_is_refused() {
        let keys = keys();
        assert_eq!(
            reason(keys.verify(&sign_with(SECRET, None, &claims(now_secs())))),
            "invalid token"
        );
        let token = sign_with(SECRET, Some("k9"), &claims(now_secs()));
        assert_eq!(reason(keys.verify(&token)), "invalid token");
    }

    #[test]
    fn previous_keys_still_verify_after_rotation() {
        let mut old = config();
        old.secret = OTHER.to_owned().into();
        old.key_id = "k1".to_owned();
        let old_token = JwtKeys::new(&old, false)
            .unwrap()
            .issue(UserId::new(), Role::Assessor, None)
            .unwrap();

        let mut rotated = config();
        rotated.previous_keys = vec![("k1".to_owned(), OTHER.to_owned().into())];
        let keys = JwtKeys::new(&rotated, false).unwrap();
        assert_eq!(
            keys.verify(&old_token.access_token).unwrap().role,
            Role::Assessor
        );
        // New tokens use the new key.
        let new_token = keys.issue(UserId::new(), Role::Admin, None).unwrap();
        let header = jsonwebtoken::decode_header(&new_token.access_token).unwrap();
        assert_eq!(header.kid.as_deref(), Some("k2"));
        // Once the old key is dropped, its tokens stop working.
        assert!(self::keys().verify(&old_token.access_token).is_err());
    }

    #[test]
    fn short_secrets_are_refused_unless_demo() {
        let mut short = config();
        short.secret = "too-short".to_owned().into();
        let error = JwtKeys::new(&short, false).unwrap_err();
        assert!(error.to_string().contains(SECRET_ENV), "{error}");
        assert!(JwtKeys::new(&short, true).is_ok());

        let mut short_previous = config();
        short_previous.previous_keys = vec![("k1".to_owned(), "short".to_owned().into())];
        assert!(matches!(
            JwtKeys::new(&short_previous, false),
            Err(JwtConfigError::SecretTooShort { .. })
        ));

        let mut empty_kid = config();
        empty_kid.key_id = String::new();
        assert_eq!(
            JwtKeys::new(&empty_kid, true).unwrap_err(),
            JwtConfigError::EmptyKeyId
        );

        let mut duplicate = config();
        duplicate.previous_keys = vec![("k2".to_owned(), OTHER.to_owned().into())];
        assert!(matches!(
            JwtKeys::new(&duplicate, false),
            Err(JwtConfigError::DuplicateKeyId(_))
        ));
    }

    #[test]
    fn grantee_tokens_without_an_organisation_are_refused() {
        let keys = keys();
        let mut claims = claims(now_secs());
        claims.role = Role::Grantee;
        assert_eq!(
            reason(keys.verify(&sign_with(SECRET, Some("k2"), &claims))),
            "invalid token"
        );
    }

    #[test]
    fn debug_output_hides_secrets() {
        let text = format!("{:?}", keys());
        assert!(!text.contains(SECRET));
        let text = format!("{:?}", config());
        assert!(!text.contains(SECRET));
    }
}
