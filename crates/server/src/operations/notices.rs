//! What grantledger tells people by email (issue 18), and to whom. Each
//! notice is put in the outbox inside the transaction making the change
//! it reports, so a change is never made without its notice, nor a
//! notice sent for a change that was rolled back. Sending is the
//! dispatcher's job (`crate::mail`).

use chrono::{DateTime, Utc};
use grantledger_domain::bank::BankAccount;
use grantledger_domain::ids::{GranteeId, UserId};
use grantledger_store::outbox::{self, NewMessage};
use grantledger_store::{AnyConnection, grantees, users};

use crate::error::ApiError;

/// What notices need to know about the installation.
#[derive(Debug, Clone)]
pub struct Notices {
    /// The portal's address, for links (no trailing slash).
    pub portal_url: String,
}

impl Notices {
    /// Notices linking to the portal at `portal_url`.
    pub fn new(portal_url: &str) -> Notices {
        Notices {
            portal_url: portal_url.trim_end_matches('/').to_owned(),
        }
    }
}

impl Default for Notices {
    /// Links to a portal on this machine (`serve`'s default address).
    fn default() -> Self {
        Notices::new(DEFAULT_PORTAL_URL)
    }
}

/// The portal address links use unless configured.
pub const DEFAULT_PORTAL_URL: &str = "http://127.0.0.1:8080";

/// What happened to a grantee's bank details.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BankChange {
    /// New details were entered and wait for verification.
    Entered,
    /// The waiting details were verified and are now in force.
    Verified,
    /// The waiting details were rejected.
    Rejected,
}

impl BankChange {
    fn kind(self) -> &'static str {
        match self {
            BankChange::Entered => "bank_details.entered",
            BankChange::Verified => "bank_details.verified",
            BankChange::Rejected => "bank_details.rejected",
        }
    }

    fn subject(self) -> &'static str {
        match self {
            BankChange::Entered => "Your bank details were changed",
            BankChange::Verified => "Your bank details were verified",
            BankChange::Rejected => "Your bank details were rejected",
        }
    }
}

/// One bank-details event, as the notice tells it.
#[derive(Debug, Clone, Copy)]
pub struct BankEvent<'a> {
    /// What happened.
    pub change: BankChange,
    /// The grantee whose details they are.
    pub grantee: GranteeId,
    /// The account the change is about (shown masked, never in full).
    pub account: &'a BankAccount,
    /// Who did it (named in the notice by their email).
    pub by: UserId,
    /// When.
    pub at: DateTime<Utc>,
}

/// Tells every enabled user of the grantee's organisation about a change
/// of its bank details: the surest defence against mandate fraud (someone
/// redirecting a grant to their own account) is that the real organisation
/// hears of every change at once, from a channel the fraudster does not
/// control. Call inside the change's transaction.
///
/// # Errors
/// Database errors (which roll the change back with it).
pub fn bank_details_changed(
    conn: &mut AnyConnection,
    notices: &Notices,
    event: &BankEvent<'_>,
) -> Result<usize, ApiError> {
    let grantee = grantees::get(conn, event.grantee)?;
    let recipients = users::enabled_of_grantee(conn, event.grantee)?;
    let by = users::get(conn, event.by)?;
    let text_body = bank_text(
        notices,
        event,
        grantee.value.name.as_str(),
        by.value.email.as_str(),
    );
    for user in &recipients {
        outbox::enqueue(
            conn,
            &NewMessage {
                to_address: user.email.as_str().to_owned(),
                subject: event.change.subject().to_owned(),
                text_body: text_body.clone(),
                html_body: None,
                kind: event.change.kind().to_owned(),
            },
            event.at,
        )?;
    }
    Ok(recipients.len())
}

fn bank_text(notices: &Notices, event: &BankEvent<'_>, organisation: &str, by: &str) -> String {
    let when = event.at.format("%-d %B %Y at %H:%M UTC");
    let masked = event.account.account_number.masked();
    let what = match event.change {
        BankChange::Entered => format!(
            "New bank details were entered for {organisation} on {when} by {by}.\n\
             \n\
             Account: {masked}\n\
             \n\
             A second person at the fund must verify them before they are used; \
             until then, payments to {organisation} are held."
        ),
        BankChange::Verified => format!(
            "The new bank details for {organisation} were verified on {when} by {by}.\n\
             \n\
             Account: {masked}\n\
             \n\
             Grant payments to {organisation} will now be made to this account."
        ),
        BankChange::Rejected => format!(
            "The new bank details entered for {organisation} were rejected on {when} by {by}.\n\
             \n\
             Account: {masked}\n\
             \n\
             They will not be used; payments go to the account verified before, if any."
        ),
    };
    wrapped(&format!(
        "Hello,\n\
         \n\
         {what}\n\
         \n\
         If you did not expect this, contact the fund at once, by a telephone number \
         you already know (not one given in an email): someone may be trying to divert \
         your grant payments to their own account (mandate fraud).\n\
         \n\
         Your organisation's page: {portal}/organisation\n\
         \n\
         This message went to every user of {organisation}. It was sent automatically; \
         replies are not read.\n",
        portal = notices.portal_url,
    ))
}

/// Puts the email carrying a single-use account link (an invitation or
/// a password reset) in the outbox. Call inside the transaction that made
/// the link. `organisation` names the grantee an invited user will act
/// for, if any.
///
/// # Errors
/// Database errors (which roll the link back with it).
pub fn account_link(
    conn: &mut AnyConnection,
    notices: &Notices,
    to: &grantledger_domain::user::Email,
    purpose: grantledger_domain::user::LinkPurpose,
    token: &str,
    organisation: Option<&str>,
    at: DateTime<Utc>,
) -> Result<String, ApiError> {
    let link = format!("{}/set-password/{token}", notices.portal_url);
    let (subject, kind, text_body) = link_text(purpose, &link, organisation);
    outbox::enqueue(
        conn,
        &NewMessage {
            to_address: to.as_str().to_owned(),
            subject: subject.to_owned(),
            text_body,
            html_body: None,
            kind: kind.to_owned(),
        },
        at,
    )?;
    Ok(link)
}

fn link_text(
    purpose: grantledger_domain::user::LinkPurpose,
    link: &str,
    organisation: Option<&str>,
) -> (&'static str, &'static str, String) {
    use grantledger_domain::user::LinkPurpose;
    match purpose {
        LinkPurpose::Invitation => {
            let what = organisation.map_or_else(
                || "You have been given an account on the grant fund's portal.".to_owned(),
                |o| {
                    format!(
                        "You have been given an account on the grant fund's portal, to act for {o}."
                    )
                },
            );
            (
                "You have been invited to the grant fund's portal",
                "user.invited",
                wrapped(&format!(
                    "Hello,\n\n{what}\n\nTo start, choose your password by opening this link:\n\n\
                     {link}\n\nThe link works once, for 7 days. If it has expired, ask whoever \
                     invited you to invite you again.\n\nIf you did not expect this message, \
                     you can ignore it. It was sent automatically; replies are not read.\n"
                )),
            )
        }
        LinkPurpose::PasswordReset => (
            "Reset your password for the grant fund's portal",
            "user.password_reset",
            wrapped(&format!(
                "Hello,\n\nSomeone (we hope you) asked to reset the password of your \
                 account on the grant fund's portal.\n\nTo choose a new password, open this \
                 link:\n\n{link}\n\nThe link works once, for 1 hour. Choosing a new password \
                 signs your account out everywhere.\n\nIf you did not ask, you can ignore this \
                 message: your password has not changed. It was sent automatically; replies \
                 are not read.\n"
            )),
        ),
    }
}

/// Lines of at most [`WIDTH`] characters, broken between words (a longer
/// word, such as a link, keeps a line of its own): quoted-printable then
/// has no line to break mid-word, so the message reads as written in a
/// mail program and as plain text in an `.eml` file alike.
fn wrapped(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / WIDTH);
    for line in text.split('\n') {
        let mut width = 0;
        for (i, word) in line.split(' ').enumerate() {
            let len = word.chars().count();
            if i > 0 && width + 1 + len > WIDTH {
                out.push('\n');
                width = 0;
            } else if i > 0 {
                out.push(' ');
                width += 1;
            }
            out.push_str(word);
            width += len;
        }
        out.push('\n');
    }
    // `split` yields one piece more than there are newlines.
    out.pop();
    out
}

/// The longest line of a notice, as RFC 5322 recommends (78 with room
/// for a quoted reply's "> ").
const WIDTH: usize = 72;

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn the_text_shows_the_masked_number_only_and_warns_of_fraud() {
        let account = BankAccount::parse("Riverside Trust", "08-99-99", "66374958", "").unwrap();
        let event = BankEvent {
            change: BankChange::Entered,
            grantee: GranteeId::from_uuid(uuid::Uuid::nil()),
            account: &account,
            by: grantledger_domain::ids::UserId::from_uuid(uuid::Uuid::nil()),
            at: Utc.with_ymd_and_hms(2026, 12, 5, 9, 30, 0).unwrap(),
        };
        let text = bank_text(
            &Notices::new("https://grants.example.org/"),
            &event,
            "Riverside Trust",
            "admin@example.org",
        );
        let flat = text.replace('\n', " ");
        assert!(text.contains("****4958"));
        assert!(!text.contains("66374958"));
        assert!(text.contains("admin@example.org"));
        assert!(flat.contains("5 December 2026 at 09:30 UTC"), "{text}");
        assert!(flat.contains("(mandate fraud)"), "{text}");
        assert!(text.contains("https://grants.example.org/organisation"));
        assert!(text.lines().all(|l| l.chars().count() <= WIDTH), "{text}");
    }

    #[test]
    fn wrapping_breaks_between_words_and_keeps_paragraphs() {
        let long = "word ".repeat(30);
        let text = wrapped(&format!(
            "Hello,\n\n{}\nhttps://{}\n",
            long.trim(),
            "x".repeat(80)
        ));
        assert!(text.starts_with("Hello,\n\nword word"));
        assert!(text.ends_with(&format!("\nhttps://{}\n", "x".repeat(80))));
        assert_eq!(text.replace('\n', " ").split_whitespace().count(), 32);
        for line in text.lines().filter(|l| !l.starts_with("https")) {
            assert!(line.chars().count() <= WIDTH);
            assert!(!line.ends_with(' '));
        }
    }
}
