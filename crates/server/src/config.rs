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
    #[arg(long, env = "GRANTLEDGER_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<String>,
    /// The id of the current signing key, sent as the token's `kid`.
    #[arg(long, env = "GRANTLEDGER_JWT_KEY_ID", default_value = "k1")]
    pub jwt_key_id: String,
    /// Earlier keys still accepted while their tokens expire, as
    /// `kid=secret` pairs separated by commas.
    #[arg(long, env = "GRANTLEDGER_JWT_PREVIOUS_KEYS", hide_env_values = true)]
    pub jwt_previous_keys: Option<String>,
    /// The token issuer (`iss`).
    #[arg(long, env = "GRANTLEDGER_JWT_ISSUER", default_value = "grantledger")]
    pub jwt_issuer: String,
    /// The token audience (`aud`).
    #[arg(
        long,
        env = "GRANTLEDGER_JWT_AUDIENCE",
        default_value = "grantledger-api"
    )]
    pub jwt_audience: String,
    /// How long an access token lasts, in seconds.
    #[arg(long, env = "GRANTLEDGER_JWT_TTL_SECONDS", default_value_t = 900)]
    pub jwt_ttl_seconds: u64,
}

/// The longest token lifetime allowed: a working day. A bearer token
/// cannot be taken back once handed out except by changing its user, so a
/// lifetime of years is a standing credential.
pub const MAX_TOKEN_TTL_SECS: u64 = 12 * 3600;
/// The shortest token lifetime allowed: shorter ones expire in transit.
pub const MIN_TOKEN_TTL_SECS: u64 = 60;

impl AuthSettings {
    /// The signing configuration. In demo mode a missing secret is replaced
    /// by a random one (tokens then last until the process stops).
    pub fn jwt_config(&self, demo: bool) -> anyhow::Result<JwtConfig> {
        if !(MIN_TOKEN_TTL_SECS..=MAX_TOKEN_TTL_SECS).contains(&self.jwt_ttl_seconds) {
            bail!(
                "GRANTLEDGER_JWT_TTL_SECONDS is {}: a token lifetime must be from {MIN_TOKEN_TTL_SECS} \
                 to {MAX_TOKEN_TTL_SECS} seconds (12 hours)",
                self.jwt_ttl_seconds
            );
        }
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

/// How the service guards itself and stops: per-client limits, access to
/// `/metrics`, and the shutdown grace period.
#[derive(Debug, Clone, clap::Args)]
pub struct ServeSettings {
    /// Serve `/metrics` on this address, and only there (e.g.
    /// 127.0.0.1:9090, reachable by the monitoring system alone).
    #[arg(long, env = "GRANTLEDGER_METRICS_BIND")]
    pub metrics_bind: Option<std::net::SocketAddr>,
    /// A bearer token (at least 32 characters) that opens `/metrics` on
    /// the main address. Without it or --metrics-bind, `/metrics` is not
    /// served.
    #[arg(long, env = "GRANTLEDGER_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,
    /// Seconds a shutdown (SIGTERM, SIGINT) waits for requests in flight
    /// before dropping them.
    #[arg(long, env = "GRANTLEDGER_SHUTDOWN_GRACE_SECONDS", default_value_t = 30)]
    pub shutdown_grace_seconds: u64,
    /// Most connections one client address may hold open; 0 for no limit
    /// (behind a proxy, where every client shares its address).
    #[arg(long, env = "GRANTLEDGER_MAX_CONNECTIONS_PER_CLIENT", default_value_t = crate::limits::DEFAULT_CONNECTIONS_PER_CLIENT)]
    pub max_connections_per_client: usize,
    /// Seconds a request body may take to arrive in full.
    #[arg(long, env = "GRANTLEDGER_BODY_TIMEOUT_SECONDS", default_value_t = 30)]
    pub body_timeout_seconds: u64,
}

/// Fewest characters in a metrics token.
pub const MIN_METRICS_TOKEN_CHARS: usize = 32;

impl ServeSettings {
    /// The server's operations settings; binds the metrics listener, so
    /// call it before doing anything slow.
    pub fn operations(&self) -> anyhow::Result<crate::app::Operations> {
        if self.body_timeout_seconds == 0 {
            bail!("GRANTLEDGER_BODY_TIMEOUT_SECONDS must be at least 1");
        }
        let metrics_token = match &self.metrics_token {
            Some(token) if token.chars().count() < MIN_METRICS_TOKEN_CHARS => bail!(
                "GRANTLEDGER_METRICS_TOKEN must be at least {MIN_METRICS_TOKEN_CHARS} characters \
                 (e.g. `openssl rand -hex 32`)"
            ),
            Some(token) => Some(SecretString::from(token.clone())),
            None => None,
        };
        let metrics_listener = match self.metrics_bind {
            Some(addr) => Some(
                std::net::TcpListener::bind(addr)
                    .with_context(|| format!("binding {addr} for /metrics"))?,
            ),
            None => None,
        };
        Ok(crate::app::Operations {
            limits: crate::limits::ClientLimits {
                connections_per_client: self.max_connections_per_client,
                body_timeout: Duration::from_secs(self.body_timeout_seconds),
            },
            metrics_listener,
            metrics_token,
            shutdown_grace: Duration::from_secs(self.shutdown_grace_seconds),
            in_flight: crate::limits::InFlight::default(),
        })
    }
}

/// The keys that seal grantees' bank details at rest.
#[derive(Debug, Clone, clap::Args)]
pub struct BankKeySettings {
    /// The current key for bank details: 64 hexadecimal digits (32 random
    /// bytes, e.g. `openssl rand -hex 32`). Required unless serving with
    /// --demo, which uses a published demonstration key.
    #[arg(long, env = "GRANTLEDGER_BANK_KEY", hide_env_values = true)]
    pub bank_key: Option<String>,
    /// The current key's id, stored with every sealed account so keys can
    /// rotate.
    #[arg(long, env = "GRANTLEDGER_BANK_KEY_ID", default_value = "k1")]
    pub bank_key_id: String,
    /// Earlier keys, still needed to read accounts sealed under them until
    /// `grantledger bank-details rekey` has run: `id=key` pairs separated by
    /// commas.
    #[arg(long, env = "GRANTLEDGER_BANK_PREVIOUS_KEYS", hide_env_values = true)]
    pub bank_previous_keys: Option<String>,
}

impl BankKeySettings {
    /// The keyring. Without a key it is an error, except in demo mode,
    /// which uses the published demonstration key.
    pub fn keyring(&self, demo: bool) -> anyhow::Result<grantledger_store::bank_details::Keyring> {
        use grantledger_store::bank_details::Keyring;
        let Some(key) = &self.bank_key else {
            if demo {
                return Ok(Keyring::demo());
            }
            bail!(
                "GRANTLEDGER_BANK_KEY is not set: bank details are encrypted at rest, so give a key of \
                 64 hexadecimal digits (e.g. `openssl rand -hex 32`) and keep it safe, or run `serve --demo`"
            );
        };
        let mut previous = Vec::new();
        if let Some(list) = &self.bank_previous_keys {
            for pair in list.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                let (id, key) = pair.split_once('=').context(
                    "GRANTLEDGER_BANK_PREVIOUS_KEYS must be id=key pairs separated by commas",
                )?;
                previous.push((id.trim().to_owned(), key.trim().to_owned()));
            }
        }
        Ok(Keyring::new(&self.bank_key_id, key, &previous)?)
    }
}

/// The fund's own bank account and Bacs identity, for Standard 18 files.
#[derive(Debug, Clone, clap::Args)]
pub struct BacsSettings {
    /// The Bacs service user number (6 digits) the bank gave the fund.
    #[arg(long = "bacs-sun", env = "GRANTLEDGER_BACS_SUN")]
    pub sun: Option<String>,
    /// The sort code of the account payments are made from.
    #[arg(long = "bacs-sort-code", env = "GRANTLEDGER_BACS_SORT_CODE")]
    pub sort_code: Option<String>,
    /// The account number payments are made from.
    #[arg(
        long = "bacs-account-number",
        env = "GRANTLEDGER_BACS_ACCOUNT_NUMBER",
        hide_env_values = true
    )]
    pub account_number: Option<String>,
    /// The name grantees see on their statements (up to 18 characters).
    #[arg(long = "bacs-name", env = "GRANTLEDGER_BACS_NAME")]
    pub name: Option<String>,
}

/// The demonstration's originator: made-up numbers that belong to nobody.
const DEMO_ORIGINATOR: (&str, &str, &str, &str) =
    ("900001", "20-00-00", "55779911", "LOCAL CONNECTIONS");

impl BacsSettings {
    /// The originator: all four settings, or none (Standard 18 files are
    /// then refused, naming the settings; the bank CSV still works). The
    /// demo has made-up ones.
    pub fn originator(
        &self,
        demo: bool,
    ) -> anyhow::Result<Option<grantledger_domain::bank::Originator>> {
        use grantledger_domain::bank::Originator;
        let given = [&self.sun, &self.sort_code, &self.account_number, &self.name];
        match given {
            [Some(sun), Some(sort), Some(number), Some(name)] => {
                Ok(Some(Originator::parse(sun, sort, number, name)?))
            }
            [None, None, None, None] if demo => {
                let (sun, sort, number, name) = DEMO_ORIGINATOR;
                Ok(Some(Originator::parse(sun, sort, number, name)?))
            }
            [None, None, None, None] => Ok(None),
            _ => bail!(
                "set all of GRANTLEDGER_BACS_SUN, GRANTLEDGER_BACS_SORT_CODE, GRANTLEDGER_BACS_ACCOUNT_NUMBER \
                 and GRANTLEDGER_BACS_NAME, or none of them"
            ),
        }
    }
}

/// Where Pay.UK's modulus checking tables come from.
#[derive(Debug, Clone, clap::Args)]
pub struct ModulusSettings {
    /// A directory holding newer `valacdos.txt` and `scsubtab.txt` from
    /// Pay.UK (docs/MODULUS.md); the tables shipped with grantledger when
    /// absent.
    #[arg(long = "modulus-dir", env = "GRANTLEDGER_MODULUS_DIR")]
    pub dir: Option<std::path::PathBuf>,
}

impl ModulusSettings {
    /// The tables: read from the directory, or the shipped ones.
    pub fn table(&self) -> anyhow::Result<grantledger_domain::bank::ModulusTable> {
        use grantledger_domain::bank::ModulusTable;
        let Some(dir) = &self.dir else {
            return Ok(ModulusTable::shipped().clone());
        };
        let read = |name: &str| {
            let path = dir.join(name);
            std::fs::read_to_string(&path)
                .with_context(|| format!("reading the modulus table {}", path.display()))
        };
        ModulusTable::parse(&read("valacdos.txt")?, &read("scsubtab.txt")?)
            .with_context(|| format!("the modulus tables in {}", dir.display()))
    }
}

/// Where mail goes (issue 18; docs/MAIL.md).
#[derive(Debug, Clone, clap::Args)]
pub struct MailSettings {
    /// The SMTP server: `smtp://host:port` (plain), `smtps://host:port`
    /// (implicit TLS) or `smtp://host:port?tls=required` (STARTTLS), with
    /// `user:password@` before the host to sign in. Without it, mail is
    /// written as .eml files to --mail-dir.
    #[arg(long, env = "GRANTLEDGER_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,
    /// A PEM file of certificates to trust besides the system's, for an
    /// SMTP server whose certificate comes from a private certificate
    /// authority (the URL must ask for TLS).
    #[arg(long, env = "GRANTLEDGER_SMTP_CA_FILE")]
    pub smtp_ca_file: Option<std::path::PathBuf>,
    /// The sender of every message.
    #[arg(
        long = "mail-from",
        env = "GRANTLEDGER_MAIL_FROM",
        default_value = "grantledger@localhost"
    )]
    pub from: String,
    /// Where mail is written, one .eml file a message, when no SMTP server
    /// is configured.
    #[arg(long, env = "GRANTLEDGER_MAIL_DIR", default_value = "mail")]
    pub mail_dir: std::path::PathBuf,
    /// The portal's address, for links in messages.
    #[arg(long, env = "GRANTLEDGER_PORTAL_URL", default_value = crate::operations::notices::DEFAULT_PORTAL_URL)]
    pub portal_url: String,
    /// Seconds a dispatcher keeps the messages it claimed from the others:
    /// a process that dies while sending holds its messages this long, and
    /// a send slower than this may be made twice (docs/MAIL.md). At least
    /// 1; keep it above the SMTP timeout (30 s).
    #[arg(long = "mail-claim-lease", env = "GRANTLEDGER_MAIL_CLAIM_LEASE", default_value_t = 600, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub claim_lease_secs: u64,
}

impl MailSettings {
    /// The dispatcher's settings: SMTP when a URL is given, else the
    /// directory (created now, so a bad path fails the start).
    pub fn mail(&self) -> anyhow::Result<crate::mail::MailConfig> {
        use crate::mail::{MailConfig, MailTransport};
        let ca =
            match &self.smtp_ca_file {
                Some(path) => Some(std::fs::read(path).with_context(|| {
                    format!("reading GRANTLEDGER_SMTP_CA_FILE {}", path.display())
                })?),
                None => None,
            };
        let transport = match &self.smtp_url {
            Some(url) => MailTransport::smtp_trusting(url, ca.as_deref()).with_context(|| {
                format!(
                    "GRANTLEDGER_SMTP_URL {} with GRANTLEDGER_SMTP_CA_FILE {}",
                    crate::cli::redact_url(url),
                    self.smtp_ca_file
                        .as_ref()
                        .map_or_else(|| "unset".to_owned(), |p| p.display().to_string())
                )
            })?,
            None => MailTransport::directory(&self.mail_dir)
                .with_context(|| format!("GRANTLEDGER_MAIL_DIR {}", self.mail_dir.display()))?,
        };
        let mut config = MailConfig::new(transport, &self.from).context("GRANTLEDGER_MAIL_FROM")?;
        config.claim_lease = std::time::Duration::from_secs(self.claim_lease_secs);
        Ok(config)
    }

    /// What notices link to.
    pub fn notices(&self) -> crate::operations::notices::Notices {
        crate::operations::notices::Notices::new(&self.portal_url)
    }
}

/// Where links in messages point, for commands that send notices but do
/// not run the dispatcher (the service sends what they queue).
#[derive(Debug, Clone, clap::Args)]
pub struct NoticeSettings {
    /// The portal's address, for links in messages.
    #[arg(long, env = "GRANTLEDGER_PORTAL_URL", default_value = crate::operations::notices::DEFAULT_PORTAL_URL)]
    pub portal_url: String,
}

impl NoticeSettings {
    /// What notices link to.
    pub fn notices(&self) -> crate::operations::notices::Notices {
        crate::operations::notices::Notices::new(&self.portal_url)
    }
}
