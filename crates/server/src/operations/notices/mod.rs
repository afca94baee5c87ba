//! What grantledger tells people by email (issue 18), and to whom. Each
//! notice is put in the outbox inside the transaction making the change
//! it reports, so a change is never made without its notice, nor a
//! notice sent for a change that was rolled back. Sending is the
//! dispatcher's job (`crate::mail`).

use askama::Template;
use chrono::{DateTime, Utc};
use std::collections::HashMap;

use grantledger_domain::ids::GranteeId;
use grantledger_domain::user::User;
use grantledger_store::outbox::{self, NewMessage};
use grantledger_store::{AnyConnection, grantees, users};

use crate::error::ApiError;

mod account;
mod bank;
mod grant;
mod reminders;

pub use account::{TwoFactorChange, account_link, two_factor_changed};
pub use bank::{BankChange, BankEvent, bank_details_changed};
pub use grant::{
    Payment, application_decided, application_received, applications_decided, award_accepted,
    payment_sent, return_reviewed,
};
pub use reminders::{draft_closing, offer_waiting, return_awaited};

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

impl Notices {
    /// The address of the portal page at `path` (which starts with `/`).
    fn page(&self, path: &str) -> String {
        format!("{}{path}", self.portal_url)
    }
}

/// A message as written for its reader: paragraphs of plain English around
/// at most one link, set down once and rendered twice, as plain text
/// wrapped at [`WIDTH`] and as HTML from the `mail/letter.html` template
/// (which escapes everything given to it, so a name or a reviewer's
/// comment cannot inject markup).
#[derive(Debug, Clone, Template)]
#[template(path = "mail/letter.html")]
struct Letter {
    subject: String,
    before: Vec<String>,
    link: Option<Link>,
    after: Vec<String>,
    unsubscribe: Option<Unsubscribe>,
}

/// A reminder's way out: one link stopping reminders about its subject,
/// one to the page choosing which reminders come.
#[derive(Debug, Clone)]
struct Unsubscribe {
    url: String,
    preferences: String,
}

/// A link into the portal, with the sentence leading to it.
#[derive(Debug, Clone)]
struct Link {
    lead: String,
    url: String,
}

impl Letter {
    /// A letter with `before`, then the link, then nothing more.
    fn new(subject: impl Into<String>, before: Vec<String>, lead: &str, url: String) -> Letter {
        Letter {
            subject: subject.into(),
            before,
            link: Some(Link {
                lead: lead.to_owned(),
                url,
            }),
            after: Vec::new(),
            unsubscribe: None,
        }
    }

    /// Adds a paragraph after the link.
    fn then(mut self, paragraph: impl Into<String>) -> Letter {
        self.after.push(paragraph.into());
        self
    }

    fn text(&self) -> String {
        let mut parts = vec!["Hello,".to_owned()];
        parts.extend(self.before.iter().cloned());
        if let Some(link) = &self.link {
            parts.push(link.lead.clone());
            parts.push(link.url.clone());
        }
        parts.extend(self.after.iter().cloned());
        if let Some(u) = &self.unsubscribe {
            parts.push("To stop reminders about this, open:".to_owned());
            parts.push(u.url.clone());
            parts.push(format!(
                "To choose which reminders you get: {}",
                u.preferences
            ));
        }
        wrapped(&(parts.join("\n\n") + "\n"))
    }

    /// The letter as an outbox message to `to`, of `kind`.
    fn message(&self, to: &str, kind: &str) -> Result<NewMessage, ApiError> {
        let html = self
            .render()
            .map_err(|e| ApiError::Internal(format!("the {kind} email's HTML: {e}")))?;
        Ok(NewMessage {
            to_address: to.to_owned(),
            subject: self.subject.clone(),
            text_body: self.text(),
            html_body: Some(html),
            kind: kind.to_owned(),
            unsubscribe_url: self.unsubscribe.as_ref().map(|u| u.url.clone()),
        })
    }
}

/// Puts a letter in the outbox for every enabled user of the grantee's
/// organisation (one removed from it hears no more), as `kind`; `letter`
/// is given the organisation's name. Call inside the change's transaction.
///
/// # Errors
/// Database errors (which roll the change back with it).
fn to_organisation(
    conn: &mut AnyConnection,
    grantee: GranteeId,
    kind: &str,
    at: DateTime<Utc>,
    letter: impl FnOnce(&str) -> Letter,
) -> Result<usize, ApiError> {
    let recipients = users::enabled_of_grantee(conn, grantee)?;
    if recipients.is_empty() {
        return Ok(0);
    }
    let organisation = grantees::get(conn, grantee)?.value.name;
    let messages = addressed(organisation.as_str(), &recipients, kind, letter)?;
    for message in &messages {
        outbox::enqueue(conn, message, at)?;
    }
    Ok(messages.len())
}

/// [`to_organisation`] for many letters at once, each to its own
/// organisation: the recipients and the organisations' names read in one
/// query each and the messages put in the outbox with one insert (a bulk
/// decision's notices, written while the round's money is held). Returns
/// how many messages were queued.
///
/// # Errors
/// Database errors (which roll the change back with it).
fn to_organisations<F: FnOnce(&str) -> Letter>(
    conn: &mut AnyConnection,
    letters: Vec<(GranteeId, &str, F)>,
    at: DateTime<Utc>,
) -> Result<usize, ApiError> {
    let mut ids: Vec<GranteeId> = letters.iter().map(|(g, _, _)| *g).collect();
    ids.sort_unstable();
    ids.dedup();
    let mut recipients: HashMap<GranteeId, Vec<User>> = HashMap::new();
    for user in users::enabled_of_grantees(conn, &ids)? {
        if let Some(grantee) = user.grantee_id {
            recipients.entry(grantee).or_default().push(user);
        }
    }
    let names = grantees::names_of(conn, &ids)?;
    let mut messages = Vec::new();
    for (grantee, kind, letter) in letters {
        let (Some(to), Some(name)) = (recipients.get(&grantee), names.get(&grantee)) else {
            continue;
        };
        messages.extend(addressed(name.as_str(), to, kind, letter)?);
    }
    outbox::enqueue_many(conn, &messages, at)?;
    Ok(messages.len())
}

/// One organisation's letter, signed off as going to all its users, as a
/// message to each of `recipients`.
fn addressed(
    organisation: &str,
    recipients: &[User],
    kind: &str,
    letter: impl FnOnce(&str) -> Letter,
) -> Result<Vec<NewMessage>, ApiError> {
    let letter = letter(organisation).then(format!(
        "This message went to every user of {organisation}. It was sent \
         automatically; replies are not read."
    ));
    recipients
        .iter()
        .map(|user| letter.message(user.email.as_str(), kind))
        .collect()
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
    use super::*;

    #[test]
    fn a_letter_escapes_what_it_is_given_in_html_and_keeps_it_in_text() {
        let letter = Letter::new(
            "Your evaluation return needs changes",
            vec!["What the reviewer said:\n\n<script>alert(1)</script> & \"more\"".to_owned()],
            "To change it:",
            "https://grants.example.org/awards/1/return".to_owned(),
        )
        .then("Replies are not read.");
        let message = letter.message("a@example.org", "test").unwrap();
        let html = message.html_body.unwrap();
        assert!(!html.contains("<script>"), "{html}");
        assert!(html.contains("&#60;script&#62;"), "{html}");
        assert!(
            html.contains(r#"<a href="https://grants.example.org/awards/1/return""#),
            "{html}"
        );
        assert!(html.contains("<title>Your evaluation return needs changes</title>"));
        let text = message.text_body;
        assert!(text.starts_with("Hello,\n\nWhat the reviewer said:\n\n<script>"));
        assert!(
            text.contains("To change it:\n\nhttps://grants.example.org/awards/1/return\n\nReplies")
        );
        assert!(text.ends_with("read.\n"));
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
