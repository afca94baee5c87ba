//! Bank details changed: the notice that defends against mandate fraud.

use chrono::{DateTime, Utc};
use grantledger_domain::bank::BankAccount;
use grantledger_domain::ids::{GranteeId, UserId};
use grantledger_store::{AnyConnection, users};

use super::{Letter, Notices, to_organisation};
use crate::error::ApiError;

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
    let by = users::get(conn, event.by)?.value.email;
    to_organisation(
        conn,
        event.grantee,
        event.change.kind(),
        event.at,
        |organisation| bank_letter(notices, event, organisation, by.as_str()),
    )
}

fn bank_letter(notices: &Notices, event: &BankEvent<'_>, organisation: &str, by: &str) -> Letter {
    let when = event.at.format("%-d %B %Y at %H:%M UTC");
    let account = format!("Account: {}", event.account.account_number.masked());
    let (what, then) = match event.change {
        BankChange::Entered => (
            format!("New bank details were entered for {organisation} on {when} by {by}."),
            format!(
                "A second person at the fund must verify them before they are used; \
                 until then, payments to {organisation} are held."
            ),
        ),
        BankChange::Verified => (
            format!("The new bank details for {organisation} were verified on {when} by {by}."),
            format!("Grant payments to {organisation} will now be made to this account."),
        ),
        BankChange::Rejected => (
            format!(
                "The new bank details entered for {organisation} were rejected on {when} by {by}."
            ),
            "They will not be used; payments go to the account verified before, if any.".to_owned(),
        ),
    };
    Letter::new(
        event.change.subject(),
        vec![
            what,
            account,
            then,
            "If you did not expect this, contact the fund at once, by a telephone number \
             you already know (not one given in an email): someone may be trying to divert \
             your grant payments to their own account (mandate fraud)."
                .to_owned(),
        ],
        "Your organisation's page:",
        notices.page("/organisation"),
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::operations::notices::WIDTH;

    #[test]
    fn the_text_shows_the_masked_number_only_and_warns_of_fraud() {
        let account = BankAccount::parse("Riverside Trust", "08-99-99", "66374958", "").unwrap();
        let event = BankEvent {
            change: BankChange::Entered,
            grantee: GranteeId::from_uuid(uuid::Uuid::nil()),
            account: &account,
            by: UserId::from_uuid(uuid::Uuid::nil()),
            at: Utc.with_ymd_and_hms(2026, 12, 5, 9, 30, 0).unwrap(),
        };
        let message = bank_letter(
            &Notices::new("https://grants.example.org/"),
            &event,
            "Riverside Trust",
            "admin@example.org",
        )
        .message("treasurer@riverside.example.org", "test")
        .unwrap();
        for body in [&message.text_body, message.html_body.as_ref().unwrap()] {
            let flat = body.replace('\n', " ");
            assert!(body.contains("****4958"), "{body}");
            assert!(!body.contains("66374958"), "{body}");
            assert!(body.contains("admin@example.org"), "{body}");
            assert!(flat.contains("5 December 2026 at 09:30 UTC"), "{body}");
            assert!(flat.contains("(mandate fraud)"), "{body}");
            assert!(body.contains("https://grants.example.org/organisation"));
        }
        let text = &message.text_body;
        assert!(text.lines().all(|l| l.chars().count() <= WIDTH), "{text}");
    }
}
