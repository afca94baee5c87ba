//! Single-use account links: invitations and password resets.

use chrono::{DateTime, Utc};
use grantledger_domain::user::{Email, LinkPurpose};
use grantledger_store::AnyConnection;
use grantledger_store::outbox;

use super::{Letter, Notices};
use crate::error::ApiError;

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
    to: &Email,
    purpose: LinkPurpose,
    token: &str,
    organisation: Option<&str>,
    at: DateTime<Utc>,
) -> Result<String, ApiError> {
    let link = notices.page(&format!("/set-password/{token}"));
    let (kind, letter) = link_letter(purpose, link.clone(), organisation);
    outbox::enqueue(conn, &letter.message(to.as_str(), kind)?, at)?;
    Ok(link)
}

fn link_letter(
    purpose: LinkPurpose,
    link: String,
    organisation: Option<&str>,
) -> (&'static str, Letter) {
    const AUTOMATIC: &str = "It was sent automatically; replies are not read.";
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
                "user.invited",
                Letter::new(
                    "You have been invited to the grant fund's portal",
                    vec![what],
                    "To start, choose your password by opening this link:",
                    link,
                )
                .then(
                    "The link works once, for 7 days. If it has expired, ask whoever \
                     invited you to invite you again.",
                )
                .then(format!(
                    "If you did not expect this message, you can ignore it. {AUTOMATIC}"
                )),
            )
        }
        LinkPurpose::PasswordReset => (
            "user.password_reset",
            Letter::new(
                "Reset your password for the grant fund's portal",
                vec![
                    "Someone (we hope you) asked to reset the password of your \
                     account on the grant fund's portal."
                        .to_owned(),
                ],
                "To choose a new password, open this link:",
                link,
            )
            .then(
                "The link works once, for 1 hour. Choosing a new password \
                 signs your account out everywhere.",
            )
            .then(format!(
                "If you did not ask, you can ignore this message: your password has \
                 not changed. {AUTOMATIC}"
            )),
        ),
    }
}

/// What happened to someone's two-factor sign-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TwoFactorChange {
    /// They turned it on (or moved it to a new phone).
    TurnedOn,
    /// They turned it off.
    TurnedOff,
    /// They got new recovery codes (the old ones stopped working).
    NewRecoveryCodes,
    /// An administrator reset it.
    Reset,
}

/// Tells someone their two-factor sign-in changed, so a change they did
/// not make does not go unnoticed. Call inside the change's transaction.
///
/// # Errors
/// Database errors.
pub fn two_factor_changed(
    conn: &mut AnyConnection,
    notices: &Notices,
    to: &Email,
    change: TwoFactorChange,
    at: DateTime<Utc>,
) -> Result<(), ApiError> {
    let (subject, what) = match change {
        TwoFactorChange::TurnedOn => (
            "Two-factor sign-in is on for your account",
            "Two-factor sign-in was set up for your account on the grant fund's portal: \
             signing in now also needs a code from your authenticator app.",
        ),
        TwoFactorChange::TurnedOff => (
            "Two-factor sign-in is off for your account",
            "Two-factor sign-in was turned off for your account on the grant fund's portal: \
             signing in now needs only your password.",
        ),
        TwoFactorChange::NewRecoveryCodes => (
            "New recovery codes for your account",
            "New two-factor recovery codes were made for your account on the grant fund's \
             portal; the old ones no longer work.",
        ),
        TwoFactorChange::Reset => (
            "Your two-factor sign-in was reset",
            "An administrator reset two-factor sign-in for your account on the grant fund's \
             portal, and signed your account out everywhere. If you must use it, you will be \
             asked to set it up again when you next sign in.",
        ),
    };
    let letter = Letter::new(
        subject,
        vec![what.to_owned()],
        "You can see and change it here:",
        notices.page("/account/two-factor"),
    )
    .then(
        "If you did not expect this, tell the fund's administrators at once and change \
         your password. It was sent automatically; replies are not read.",
    );
    outbox::enqueue(conn, &letter.message(to.as_str(), "user.two_factor")?, at)?;
    Ok(())
}
