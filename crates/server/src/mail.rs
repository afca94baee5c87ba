//! Sending the outbox (issue 18): a dispatcher that every few seconds
//! claims due messages, hands each to an SMTP server (or writes it as an
//! `.eml` file when none is configured), and records the outcome.
//!
//! Delivery is at least once. A message is marked sent only after the
//! mail server accepted it; if the process dies, or the database cannot
//! be reached, between the server's acceptance and that mark, the message
//! is sent again once its claim lapses ([`outbox::CLAIM_LEASE`]). Its
//! `Message-ID` stays the same, so mail systems that drop duplicates do.
//! Several processes may dispatch at once: claims are disjoint
//! (`FOR UPDATE SKIP LOCKED` on PostgreSQL, the write lock on SQLite).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use actix_web::web;
use chrono::Utc;
use grantledger_store::outbox::{self, AfterFailure, Message};
use grantledger_store::{Database, StoreError};
use lettre::Transport as _;
use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::SmtpTransport;

use crate::operations::notices::Notices;

/// How often the dispatcher looks for due messages unless told otherwise.
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(5);
/// The first wait after a failed attempt; it doubles with each attempt.
pub const DEFAULT_RETRY_BASE: Duration = Duration::from_secs(30);
/// Messages claimed at once: few enough that a batch is sent well within
/// the claim lease even when every one waits for the SMTP timeout.
pub const DEFAULT_BATCH: u32 = 10;
/// The line opening a certificate in a PEM file.
const CERTIFICATE_PEM: &[u8] = b"-----BEGIN CERTIFICATE-----";
/// How often the dispatcher looks for reminders due: reminders are about
/// days, so an hour late is on time.
pub const DEFAULT_REMINDER_INTERVAL: Duration = Duration::from_secs(60 * 60);
/// How long one SMTP exchange may take before it counts as failed.
pub const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

/// What went wrong sending one message.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// An address in the message is not a valid email address.
    #[error("invalid address {address:?}: {source}")]
    Address {
        /// The address as stored.
        address: String,
        /// Why it is invalid.
        source: lettre::address::AddressError,
    },
    /// The message could not be assembled.
    #[error("building the message: {0}")]
    Build(#[from] lettre::error::Error),
    /// The SMTP server could not be reached or did not accept it.
    #[error("SMTP: {0}")]
    Smtp(#[from] lettre::transport::smtp::Error),
    /// The mail settings do not make sense together.
    #[error("{0}")]
    Settings(String),
    /// The `.eml` file could not be written.
    #[error("writing {path}: {source}")]
    File {
        /// The file.
        path: PathBuf,
        /// The failure.
        source: std::io::Error,
    },
}

impl MailError {
    /// Whether trying again cannot help: a bad address, or the SMTP
    /// server's permanent (5xx) refusal.
    pub fn is_permanent(&self) -> bool {
        match self {
            MailError::Address { .. } | MailError::Build(_) | MailError::Settings(_) => true,
            MailError::Smtp(e) => e.is_permanent(),
            MailError::File { .. } => false,
        }
    }
}

/// Where messages go.
#[derive(Clone)]
pub enum MailTransport {
    /// An SMTP server.
    Smtp(Box<SmtpTransport>),
    /// A directory, one `.eml` file a message (the default, and the demo's).
    Directory(PathBuf),
}

impl std::fmt::Debug for MailTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            // The transport holds the SMTP credentials, if any: not shown.
            MailTransport::Smtp(_) => f.write_str("MailTransport::Smtp(..)"),
            MailTransport::Directory(dir) => write!(f, "MailTransport::Directory({dir:?})"),
        }
    }
}

impl MailTransport {
    /// An SMTP transport from a URL: `smtp://host:port` (plain),
    /// `smtps://host:port` (implicit TLS), `smtp://host:port?tls=required`
    /// (STARTTLS), with `user:password@` for authentication.
    ///
    /// # Errors
    /// A URL lettre cannot use.
    pub fn smtp(url: &str) -> Result<MailTransport, MailError> {
        MailTransport::smtp_trusting(url, None)
    }

    /// [`MailTransport::smtp`], trusting the certificates in `ca_pem`
    /// besides the system's: for a mail server whose certificate comes
    /// from a private certificate authority. The URL must ask for TLS
    /// (`smtps://`, or `?tls=required` or `?tls=opportunistic`).
    ///
    /// # Errors
    /// A URL lettre cannot use; a certificate that does not read; a CA
    /// file with a URL without TLS.
    pub fn smtp_trusting(url: &str, ca_pem: Option<&[u8]>) -> Result<MailTransport, MailError> {
        use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
        let mut builder = SmtpTransport::from_url(url)?.timeout(Some(SMTP_TIMEOUT));
        if let Some(pem) = ca_pem {
            let parsed = url::Url::parse(url)
                .map_err(|e| MailError::Settings(format!("the SMTP URL: {e}")))?;
            let host = parsed
                .host_str()
                .ok_or_else(|| MailError::Settings("the SMTP URL has no host".to_owned()))?;
            let tls = parsed
                .query_pairs()
                .find(|(k, _)| k == "tls")
                .map(|(_, v)| v.into_owned());
            let mode: fn(TlsParameters) -> Tls = match (parsed.scheme(), tls.as_deref()) {
                ("smtps", _) => Tls::Wrapper,
                (_, Some("required")) => Tls::Required,
                (_, Some("opportunistic")) => Tls::Opportunistic,
                _ => {
                    return Err(MailError::Settings(
                        "a CA file is for TLS: use smtps:// or ?tls=required".to_owned(),
                    ));
                }
            };
            // lettre reads every certificate in the file, and none from a
            // file without any: that must not pass for a CA file.
            if !pem
                .windows(CERTIFICATE_PEM.len())
                .any(|w| w == CERTIFICATE_PEM)
            {
                return Err(MailError::Settings(
                    "the CA file holds no PEM certificate (-----BEGIN CERTIFICATE-----)".to_owned(),
                ));
            }
            let params = TlsParameters::builder(host.to_owned())
                .add_root_certificate(Certificate::from_pem(pem)?)
                .build()?;
            builder = builder.tls(mode(params));
        }
        Ok(MailTransport::Smtp(Box::new(builder.build())))
    }

    /// A directory transport, creating the directory.
    ///
    /// # Errors
    /// The directory cannot be created.
    pub fn directory(dir: &Path) -> Result<MailTransport, MailError> {
        std::fs::create_dir_all(dir).map_err(|source| MailError::File {
            path: dir.to_owned(),
            source,
        })?;
        Ok(MailTransport::Directory(dir.to_owned()))
    }
}

/// How the dispatcher sends.
#[derive(Debug, Clone)]
pub struct MailConfig {
    /// Where messages go.
    pub transport: MailTransport,
    /// The `From:` of every message.
    pub from: Mailbox,
    /// How often to look for due messages.
    pub poll_interval: Duration,
    /// The first wait after a failed attempt (doubling after).
    pub retry_base: Duration,
    /// Messages claimed at once.
    pub batch: u32,
    /// How often to look for reminders due (the first look is at start).
    pub reminder_interval: Duration,
    /// How long a claimed message is kept from other dispatchers
    /// ([`outbox::CLAIM_LEASE`] unless configured).
    pub claim_lease: Duration,
}

impl MailConfig {
    /// Sends to `transport` from `from`, with the default timings.
    ///
    /// # Errors
    /// `from` is not a valid mailbox.
    pub fn new(transport: MailTransport, from: &str) -> Result<MailConfig, MailError> {
        Ok(MailConfig {
            transport,
            from: parse_mailbox(from)?,
            poll_interval: DEFAULT_POLL_INTERVAL,
            retry_base: DEFAULT_RETRY_BASE,
            batch: DEFAULT_BATCH,
            reminder_interval: DEFAULT_REMINDER_INTERVAL,
            claim_lease: outbox::CLAIM_LEASE
                .to_std()
                .unwrap_or(Duration::from_secs(600)),
        })
    }
}

fn parse_mailbox(address: &str) -> Result<Mailbox, MailError> {
    address.parse().map_err(|source| MailError::Address {
        address: address.to_owned(),
        source,
    })
}

/// The message as sent: `Message-ID` `<outbox id@grantledger>`, dated
/// when it was enqueued (when the change happened), plain text with an
/// HTML alternative when there is one.
///
/// # Errors
/// A bad address; a message lettre cannot build.
pub fn build(message: &Message, from: &Mailbox) -> Result<lettre::Message, MailError> {
    let mut builder = lettre::Message::builder()
        .from(from.clone())
        .to(parse_mailbox(&message.to_address)?)
        .subject(message.subject.as_str())
        .message_id(Some(format!("<{}>", message.message_id)))
        .date(message.created_at.into());
    if let Some(url) = &message.unsubscribe_url {
        builder = builder
            .header(ListUnsubscribe(format!("<{url}>")))
            .header(ListUnsubscribePost);
    }
    // Quoted-printable rather than lettre's choice (base64 for long
    // lines): an .eml file, or a message in a mail server's queue, stays
    // readable, and non-ASCII names survive.
    let text = SinglePart::builder()
        .header(ContentType::TEXT_PLAIN)
        .header(ContentTransferEncoding::QuotedPrintable)
        .body(message.text_body.clone());
    Ok(match &message.html_body {
        None => builder.singlepart(text)?,
        Some(html) => builder.multipart(
            MultiPart::alternative().singlepart(text).singlepart(
                SinglePart::builder()
                    .header(ContentType::TEXT_HTML)
                    .header(ContentTransferEncoding::QuotedPrintable)
                    .body(html.clone()),
            ),
        )?,
    })
}

/// `List-Unsubscribe` (RFC 2369): where a reminder's recipient stops it.
#[derive(Debug, Clone)]
struct ListUnsubscribe(String);

impl lettre::message::header::Header for ListUnsubscribe {
    fn name() -> lettre::message::header::HeaderName {
        lettre::message::header::HeaderName::new_from_ascii_str("List-Unsubscribe")
    }

    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(ListUnsubscribe(s.to_owned()))
    }

    fn display(&self) -> lettre::message::header::HeaderValue {
        lettre::message::header::HeaderValue::new(Self::name(), self.0.clone())
    }
}

/// `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058): the
/// unsubscribe address takes a POST without a page in between, so a mail
/// program's "unsubscribe" button works, while a link scanner's GET does
/// nothing.
#[derive(Debug, Clone)]
struct ListUnsubscribePost;

impl lettre::message::header::Header for ListUnsubscribePost {
    fn name() -> lettre::message::header::HeaderName {
        lettre::message::header::HeaderName::new_from_ascii_str("List-Unsubscribe-Post")
    }

    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(ListUnsubscribePost)
    }

    fn display(&self) -> lettre::message::header::HeaderValue {
        lettre::message::header::HeaderValue::new(
            Self::name(),
            "List-Unsubscribe=One-Click".to_owned(),
        )
    }
}

/// Sends one message; returns where it went (for the log).
///
/// # Errors
/// See [`MailError`].
pub fn send(config: &MailConfig, message: &Message) -> Result<Option<PathBuf>, MailError> {
    let email = build(message, &config.from)?;
    match &config.transport {
        MailTransport::Smtp(smtp) => {
            smtp.send(&email)?;
            Ok(None)
        }
        MailTransport::Directory(dir) => {
            let path = dir.join(format!("{}.eml", message.id));
            // Written aside and renamed, so a reader never sees half a
            // message; a second attempt overwrites the same file.
            let partial = dir.join(format!(".{}.eml.partial", message.id));
            let file_error = |path: &Path| {
                let path = path.to_owned();
                move |source| MailError::File { path, source }
            };
            std::fs::write(&partial, email.formatted()).map_err(file_error(&partial))?;
            std::fs::rename(&partial, &path).map_err(file_error(&path))?;
            Ok(Some(path))
        }
    }
}

/// What one round of the dispatcher did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Dispatched {
    /// Messages accepted.
    pub sent: usize,
    /// Messages that failed and will be tried again.
    pub retrying: usize,
    /// Messages given up.
    pub failed: usize,
}

/// Claims the due messages and sends them, one at a time, recording each
/// outcome as it comes. A database failure recording an outcome is
/// logged and the round goes on: the message is then tried again after
/// its claim lapses (the duplicate window of docs/MAIL.md).
///
/// # Errors
/// The claim itself failed.
pub fn dispatch_once(db: &Database, config: &MailConfig) -> Result<Dispatched, StoreError> {
    if !db.read(|c| outbox::any_due(c, Utc::now()))? {
        return Ok(Dispatched::default());
    }
    let lease = chrono::Duration::from_std(config.claim_lease).unwrap_or(outbox::CLAIM_LEASE);
    let claimed = db.write(|c| outbox::claim_due_for(c, Utc::now(), config.batch, lease))?;
    let mut done = Dispatched::default();
    for message in claimed {
        match send(config, &message) {
            Ok(file) => {
                if let Some(file) = file {
                    tracing::info!(
                        file = %file.display(),
                        kind = %message.kind,
                        message_id = %message.message_id,
                        "mail written as a file (no SMTP server is configured)"
                    );
                } else {
                    tracing::info!(kind = %message.kind, message_id = %message.message_id, "mail sent");
                }
                done.sent += 1;
                if let Err(error) = db.write(|c| outbox::mark_sent(c, message.id, Utc::now())) {
                    tracing::error!(
                        %error,
                        message_id = %message.message_id,
                        "mail was sent but could not be marked sent: it will be sent again"
                    );
                }
            }
            Err(error) => {
                let next = (!error.is_permanent()).then(|| {
                    let base = chrono::Duration::from_std(config.retry_base)
                        .unwrap_or(outbox::MAX_BACKOFF);
                    outbox::backoff(Utc::now(), message.attempts, base)
                });
                let reason = error.to_string();
                match db.write(|c| outbox::mark_failed_attempt(c, message.id, &reason, next)) {
                    Ok(AfterFailure::RetryAt(at)) => {
                        done.retrying += 1;
                        tracing::warn!(
                            error = %reason,
                            message_id = %message.message_id,
                            attempts = message.attempts,
                            retry_at = %at.to_rfc3339(),
                            "sending mail failed; will retry"
                        );
                    }
                    Ok(AfterFailure::GaveUp) => {
                        done.failed += 1;
                        tracing::error!(
                            error = %reason,
                            message_id = %message.message_id,
                            attempts = message.attempts,
                            "sending mail failed for good; the message is marked failed"
                        );
                    }
                    Err(store) => tracing::error!(
                        error = %reason,
                        %store,
                        message_id = %message.message_id,
                        "sending mail failed and the failure could not be recorded"
                    ),
                }
            }
        }
    }
    Ok(done)
}

/// Runs the dispatcher on the current actix system until it stops: one
/// round every `poll_interval`, each on a blocking thread (SMTP and the
/// database block), and every `reminder_interval` first the reminders
/// due ([`crate::operations::reminders::send_due`]), whose messages that
/// round then sends. Rounds never overlap within a process; across
/// processes each reminder is still sent once.
pub fn spawn(db: Database, config: MailConfig, notices: Notices) {
    let config = Arc::new(config);
    match &config.transport {
        MailTransport::Smtp(_) => tracing::info!("mail is sent over SMTP"),
        MailTransport::Directory(dir) => tracing::info!(
            dir = %dir.display(),
            "no SMTP server is configured: mail is written as .eml files"
        ),
    }
    let notices = Arc::new(notices);
    actix_web::rt::spawn(async move {
        let mut tick = actix_web::rt::time::interval(config.poll_interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut reminded: Option<std::time::Instant> = None;
        loop {
            tick.tick().await;
            let db = db.clone();
            let config = config.clone();
            let remind = reminded.is_none_or(|at| at.elapsed() >= config.reminder_interval);
            if remind {
                reminded = Some(std::time::Instant::now());
            }
            let notices = notices.clone();
            match web::block(move || {
                if remind {
                    send_reminders(&db, &notices);
                }
                dispatch_once(&db, &config)
            })
            .await
            {
                Ok(Ok(_)) => {}
                Ok(Err(error)) => {
                    tracing::warn!(%error, "claiming mail to send failed; will retry")
                }
                Err(error) => {
                    tracing::warn!(%error, "the mail dispatcher could not run; will retry")
                }
            }
        }
    });
}

/// Puts the reminders due now in the outbox; a failure is logged, and
/// the next look tries again.
fn send_reminders(db: &Database, notices: &Notices) {
    if let Err(error) = db.write(|c| crate::operations::reminders::send_due(c, notices, Utc::now()))
    {
        tracing::warn!(%error, "sending reminders failed; will retry at the next look");
    }
}

/// Runs `grantledger mail …`, writing what it lists to `out`.
///
/// # Errors
/// Database errors; an id that is not a failed message.
pub fn run_command(
    db: &Database,
    command: &crate::cli::MailCommand,
    out: &mut dyn std::io::Write,
) -> anyhow::Result<()> {
    use anyhow::Context;
    match command {
        crate::cli::MailCommand::Failed { limit } => {
            let failed = db
                .read(|c| outbox::list_failed(c, *limit))
                .context("listing failed mail")?;
            for m in &failed {
                // One line a message: the error loses its line breaks.
                let error = m
                    .last_error
                    .as_deref()
                    .unwrap_or("")
                    .replace(['\n', '\r', '\t'], " ");
                writeln!(
                    out,
                    "{}\t{}\t{}\t{}\t{}\t{}",
                    m.id,
                    m.created_at
                        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                    m.kind,
                    m.to_address,
                    m.attempts,
                    error
                )?;
            }
            eprintln!("{} failed message(s)", failed.len());
            Ok(())
        }
        crate::cli::MailCommand::Remind { at, notices } => {
            let at = at.unwrap_or_else(Utc::now);
            let notices = notices.notices();
            let done = db
                .write(|c| crate::operations::reminders::send_due(c, &notices, at))
                .context("sending reminders")?;
            writeln!(out, "{}\t{}", done.reminders, done.messages)?;
            eprintln!(
                "{} reminder(s) due at {}: {} message(s) queued",
                done.reminders,
                at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                done.messages
            );
            Ok(())
        }
        crate::cli::MailCommand::Retry { id } => {
            let actor = grantledger_store::common::Actor::system("cli");
            match db.write(|c| crate::operations::outbox::retry(c, &actor, *id, Utc::now())) {
                Ok(()) => {
                    eprintln!("message {id} is queued again");
                    Ok(())
                }
                Err(crate::error::ApiError::NotFound { .. }) => {
                    anyhow::bail!("no failed message has id {id} (see `grantledger mail failed`)")
                }
                Err(e) => Err(anyhow::Error::new(e).context("queuing the message again")),
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use chrono::TimeZone;
    use grantledger_store::outbox::Status;

    use super::*;

    fn stored() -> Message {
        let id = uuid::Uuid::now_v7();
        Message {
            id,
            created_at: Utc.with_ymd_and_hms(2026, 12, 5, 9, 30, 0).unwrap(),
            to_address: "treasurer@example.org".to_owned(),
            subject: "Your bank details were changed".to_owned(),
            text_body:
                "Account: ****4958 — a line long enough to need wrapping in quoted-printable, \
                        which lettre would otherwise send as base64.\n"
                    .to_owned(),
            html_body: None,
            kind: "bank_details.entered".to_owned(),
            status: Status::Pending,
            attempts: 1,
            next_attempt_at: Utc::now(),
            last_error: None,
            sent_at: None,
            message_id: outbox::message_id_for(id),
            unsubscribe_url: None,
        }
    }

    #[test]
    fn a_message_has_a_stable_id_the_default_sender_and_readable_text() {
        let message = stored();
        let config = MailConfig::new(
            MailTransport::Directory(PathBuf::new()),
            "grantledger@localhost",
        )
        .unwrap();
        let formatted =
            String::from_utf8(build(&message, &config.from).unwrap().formatted()).unwrap();
        assert!(formatted.contains(&format!("Message-ID: <{}@grantledger>", message.id)));
        assert!(formatted.contains("From: grantledger@localhost"));
        assert!(formatted.contains("To: treasurer@example.org"));
        assert!(formatted.contains("Date: Sat, 05 Dec 2026 09:30:00 +0000"));
        assert!(formatted.contains("Content-Transfer-Encoding: quoted-printable"));
        assert!(formatted.contains("Account: ****4958"));
        // A message about a change has no unsubscribe: everyone concerned
        // must get it.
        assert!(!formatted.contains("List-Unsubscribe"));
    }

    #[test]
    fn a_ca_file_needs_a_tls_url_and_a_certificate() {
        let plain = MailTransport::smtp_trusting("smtp://127.0.0.1:25", Some(b"x"));
        assert!(
            matches!(&plain, Err(MailError::Settings(m)) if m.contains("smtps://")),
            "{plain:?}"
        );
        let garbage = MailTransport::smtp_trusting(
            "smtp://127.0.0.1:587?tls=required",
            Some(b"not a certificate"),
        );
        assert!(garbage.is_err());
    }

    #[test]
    fn a_reminder_carries_a_one_click_unsubscribe() {
        let message = Message {
            unsubscribe_url: Some("https://grants.example.org/unsubscribe/abc".to_owned()),
            ..stored()
        };
        let from = parse_mailbox("grantledger@localhost").unwrap();
        let formatted = String::from_utf8(build(&message, &from).unwrap().formatted()).unwrap();
        assert!(
            formatted
                .contains("List-Unsubscribe: <https://grants.example.org/unsubscribe/abc>\r\n"),
            "{formatted}"
        );
        assert!(formatted.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"));
    }

    #[test]
    fn a_bad_address_is_a_permanent_failure() {
        let mut message = stored();
        message.to_address = "not an address".to_owned();
        let from = parse_mailbox("grantledger@localhost").unwrap();
        let error = build(&message, &from).unwrap_err();
        assert!(error.is_permanent());
    }

    #[test]
    fn smtp_urls_of_the_three_kinds_are_accepted() {
        for url in [
            "smtp://127.0.0.1:2525",
            "smtps://mail.example.org:465",
            "smtp://user:secret@mail.example.org:587?tls=required",
        ] {
            let transport = MailTransport::smtp(url).unwrap();
            assert!(!format!("{transport:?}").contains("secret"));
        }
        assert!(MailTransport::smtp("http://mail.example.org").is_err());
    }

    fn enqueued(db: &Database) -> uuid::Uuid {
        let m = stored();
        db.write(|c| {
            outbox::enqueue(
                c,
                &outbox::NewMessage {
                    to_address: m.to_address.clone(),
                    subject: m.subject.clone(),
                    text_body: m.text_body.clone(),
                    html_body: Some("<p>Account: ****4958</p>".to_owned()),
                    kind: m.kind.clone(),
                    unsubscribe_url: None,
                },
                Utc::now(),
            )
        })
        .unwrap()
    }

    #[test]
    fn without_smtp_each_message_becomes_an_eml_file_and_is_marked_sent() {
        let test = grantledger_store::testing::TestDb::sqlite();
        let id = enqueued(&test.db);
        let dir = tempfile::tempdir().unwrap();
        let config = MailConfig::new(
            MailTransport::directory(&dir.path().join("mail")).unwrap(),
            "grantledger@localhost",
        )
        .unwrap();
        let done = dispatch_once(&test.db, &config).unwrap();
        assert_eq!(done.sent, 1);
        let file = dir.path().join("mail").join(format!("{id}.eml"));
        let text = std::fs::read_to_string(&file).expect("the .eml file");
        assert!(text.contains(&format!("Message-ID: <{id}@grantledger>")));
        assert!(text.contains("multipart/alternative"));
        let sent = test.db.read(|c| outbox::list(c, Status::Sent, 10)).unwrap();
        assert_eq!(sent.len(), 1);
        // Nothing left to do.
        assert_eq!(
            dispatch_once(&test.db, &config).unwrap(),
            Dispatched::default()
        );
    }

    #[test]
    fn failed_messages_are_listed_and_can_be_queued_again() {
        let test = grantledger_store::testing::TestDb::sqlite();
        let id = enqueued(&test.db);
        test.db
            .write(|c| {
                outbox::claim_due(c, Utc::now(), 10)?;
                outbox::mark_failed_attempt(c, id, "550 5.1.1 no such\nuser", None)
            })
            .unwrap();
        let mut out = Vec::new();
        run_command(
            &test.db,
            &crate::cli::MailCommand::Failed { limit: 10 },
            &mut out,
        )
        .unwrap();
        let listed = String::from_utf8(out).unwrap();
        assert!(listed.starts_with(&id.to_string()), "{listed}");
        assert!(
            listed.contains("\ttreasurer@example.org\t1\t550 5.1.1 no such user\n"),
            "{listed}"
        );
        let retry = crate::cli::MailCommand::Retry { id };
        run_command(&test.db, &retry, &mut Vec::new()).unwrap();
        assert!(run_command(&test.db, &retry, &mut Vec::new()).is_err());
        assert!(test.db.read(|c| outbox::any_due(c, Utc::now())).unwrap());
    }

    #[test]
    fn an_unreachable_smtp_server_leaves_the_message_to_retry() {
        let test = grantledger_store::testing::TestDb::sqlite();
        enqueued(&test.db);
        // A port nothing listens on: bound, then released.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let config = MailConfig::new(
            MailTransport::smtp(&format!("smtp://127.0.0.1:{port}")).unwrap(),
            "grantledger@localhost",
        )
        .unwrap();
        let done = dispatch_once(&test.db, &config).unwrap();
        assert_eq!(done.retrying, 1);
        let pending = test
            .db
            .read(|c| outbox::list(c, Status::Pending, 10))
            .unwrap();
        assert_eq!(pending.len(), 1);
        assert!(
            pending[0]
                .last_error
                .as_deref()
                .unwrap()
                .starts_with("SMTP")
        );
        assert!(pending[0].next_attempt_at > Utc::now());
    }
}
