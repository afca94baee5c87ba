//! Service settings that are not about the database: signing keys and login
//! limits. Read from flags or the environment (see `cli`).

use std::time::Duration;

use anyhow::{Context, bail};
use rand::RngCore;
use secrecy::SecretString;

use crate::auth::jwt::JwtConfig;

/// How tokens are signed, as given on the command line or environment.
#[derive(Debug, Clone, clap::Args)]
pub struct AuthSettings {
    /// Secret for signing access tokens (HS256), at least 32 bytes. Required
    /// unless serving with --demo, which makes a random one.
    #[arg(
        long = "jwt-secret",
        env = "GRANTLEDGER_JWT_SECRET",
        hide_env_values = true
    )]
    pub jwt_secret: Option<String>,
    /// The id of the current signing key, sent as the token's `kid`.
    #[arg(
        long = "jwt-key-id",
        env = "GRANTLEDGER_JWT_KEY_ID",
        default_value = "k1"
    )]
    pub jwt_key_id: String,
    /// Earlier keys still accepted while their tokens expire, as
    /// `kid=secret` pairs separated by commas.
    #[arg(
        long = "jwt-previous-keys",
        env = "GRANTLEDGER_JWT_PREVIOUS_KEYS",
        hide_env_values = true
    )]
    pub jwt_previous_keys: Option<String>,
    /// The token issuer (`iss`).
    #[arg(
        long = "jwt-issuer",
        env = "GRANTLEDGER_JWT_ISSUER",
        default_value = "grantledger"
    )]
    pub jwt_issuer: String,
    /// The token audience (`aud`).
    #[arg(
        long = "jwt-audience",
        env = "GRANTLEDGER_JWT_AUDIENCE",
        default_value = "grantledger-api"
    )]
    pub jwt_audience: String,
    /// How long an access token lasts, in seconds.
    #[arg(
        long = "jwt-ttl-seconds",
        env = "GRANTLEDGER_JWT_TTL_SECONDS",
        default_value_t = 900
    )]
    pub jwt_ttl_seconds: u64,
}

impl AuthSettings {
    /// The signing configuration. In demo mode a missing secret is replaced
    /// by a random one (tokens then last until the process stops).
    pub fn jwt_config(&self, demo: bool) -> anyhow::Result<JwtConfig> {
        let secret = match (&self.jwt_secret, demo) {
            (Some(secret), _) => secret.clone(),
            (None, true) => {
                let mut bytes = [0u8; 32];
                rand::rng().fill_bytes(&mut bytes);
                bytes.iter().map(|b| format!("{b:02x}")).collect()
            }
            (None, false) => bail!(
                "GRANTLEDGER_JWT_SECRET is not set: give a random secret of at least 32 bytes \
                 (e.g. `openssl rand -hex 32`), or run `serve --demo`"
            ),
        };
        let mut previous_keys = Vec::new();
        if let Some(list) = &self.jwt_previous_keys {
            for pair in list.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                let (kid, secret) = pair.split_once('=').context(
                    "GRANTLEDGER_JWT_PREVIOUS_KEYS must be kid=secret pairs separated by commas",
                )?;
                previous_keys.push((kid.to_owned(), SecretString::from(secret.to_owned())));
            }
        }
        Ok(JwtConfig {
            secret: SecretString::from(secret),
            key_id: self.jwt_key_id.clone(),
            previous_keys,
            issuer: self.jwt_issuer.clone(),
            audience: self.jwt_audience.clone(),
            ttl: Duration::from_secs(self.jwt_ttl_seconds),
        })
    }
}
