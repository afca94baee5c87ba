//! Reminders (issue 18): unlike a notice of a change, which everyone
//! concerned must get, a reminder goes only to the organisation's users
//! who have not stopped it, and each carries a one-click unsubscribe
//! (RFC 8058) of its own and a link to the page choosing which come.

use chrono::{DateTime, Utc};
use grantledger_domain::ids::GranteeId;
use grantledger_domain::reminder::Reminder;
use grantledger_store::reminders::{self, AwaitedReturn, OpenDraft, WaitingOffer};
use grantledger_store::{AnyConnection, grantees, outbox, users};

use super::{Letter, Notices, Unsubscribe};
use crate::error::ApiError;
use crate::operations::accounts::{new_token, token_hash};

/// Puts a reminder about `subject` in the outbox for each enabled user of
/// the grantee's organisation who has not stopped it; each message's
/// unsubscribe link is its own (its token kept hashed). Returns how many
/// were written.
fn remind_organisation(
    conn: &mut AnyConnection,
    notices: &Notices,
    grantee: GranteeId,
    subject: uuid::Uuid,
    reminder: &Reminder,
    at: DateTime<Utc>,
    letter: impl FnOnce(&str) -> Letter,
) -> Result<usize, ApiError> {
    let mut recipients = Vec::new();
    for user in users::enabled_of_grantee(conn, grantee)? {
        if !reminders::opted_out(conn, user.id, subject)? {
            recipients.push(user);
        }
    }
    if recipients.is_empty() {
        return Ok(0);
    }
    let organisation = grantees::get(conn, grantee)?.value.name;
    let organisation = organisation.as_str();
    let letter = letter(organisation).then(format!(
        "You get this reminder as a user of {organisation}. It was sent \
         automatically; replies are not read."
    ));
    for user in &recipients {
        let token = new_token();
        reminders::add_link(conn, &token_hash(&token), user.id, subject, at)?;
        let letter = Letter {
            unsubscribe: Some(Unsubscribe {
                url: notices.page(&format!("/unsubscribe/{token}")),
                preferences: notices.page("/account/reminders"),
            }),
            ..letter.clone()
        };
        outbox::enqueue(
            conn,
            &letter.message(user.email.as_str(), reminder.kind())?,
            at,
        )?;
    }
    Ok(recipients.len())
}

fn day(on: chrono::NaiveDate) -> String {
    on.format("%-d %B %Y").to_string()
}

fn in_days(days: i64) -> String {
    match days {
        0 => "today".to_owned(),
        1 => "tomorrow".to_owned(),
        n => format!("in {n} days"),
    }
}

/// An offer not yet accepted: how much, since when, and where to accept.
///
/// # Errors
/// Database errors.
pub fn offer_waiting(
    conn: &mut AnyConnection,
    notices: &Notices,
    offer: &WaitingOffer,
    reminder: &Reminder,
    at: DateTime<Utc>,
) -> Result<usize, ApiError> {
    let reference = &offer.reference;
    remind_organisation(
        conn,
        notices,
        offer.grantee_id,
        offer.award_id.into(),
        reminder,
        at,
        |organisation| {
            Letter::new(
                format!("Your grant offer is waiting for you ({reference})"),
                vec![
                    format!(
                        "{organisation} was offered a grant of {amount} on {when}, and the \
                         offer has not yet been accepted. Nothing can be paid until it is.",
                        amount = offer.amount.pounds(),
                        when = day(offer.offered_at.date_naive()),
                    ),
                    "If you no longer want the grant, please decline it, so that the money \
                     can go to another group."
                        .to_owned(),
                ],
                "To accept the grant (or decline it), sign in and open the offer:",
                notices.page(&format!("/awards/{}", offer.award_id)),
            )
        },
    )
}

/// A return falling due or overdue: when, and where to fill it in.
///
/// # Errors
/// Database errors.
pub fn return_awaited(
    conn: &mut AnyConnection,
    notices: &Notices,
    awaited: &AwaitedReturn,
    reminder: &Reminder,
    at: DateTime<Utc>,
) -> Result<usize, ApiError> {
    let reference = &awaited.reference;
    let due = day(awaited.due_on);
    let (subject, said) = match reminder {
        Reminder::ReturnOverdue { days_late, .. } => (
            format!("Your evaluation return is overdue ({reference})"),
            format!(
                "The evaluation return for grant {reference} was due on {due}, {days_late} \
                 day{s} ago. Please send it as soon as you can; if something is in the way, \
                 tell the fund.",
                s = if *days_late == 1 { "" } else { "s" },
            ),
        ),
        Reminder::ReturnDue { days_left, .. } => (
            format!("Your evaluation return is due on {due} ({reference})"),
            format!(
                "The evaluation return for grant {reference} is due on {due}, {}. It tells \
                 the fund what your project did and how lonely the people who took part felt \
                 before and after.",
                in_days(*days_left)
            ),
        ),
        _ => return Ok(0),
    };
    remind_organisation(
        conn,
        notices,
        awaited.grantee_id,
        awaited.award_id.into(),
        reminder,
        at,
        |_| {
            Letter::new(
                subject,
                vec![said],
                "To fill in the return and send it:",
                notices.page(&format!("/awards/{}/return", awaited.award_id)),
            )
        },
    )
}

/// A draft whose round closes soon: when, and where to finish it.
///
/// # Errors
/// Database errors.
pub fn draft_closing(
    conn: &mut AnyConnection,
    notices: &Notices,
    draft: &OpenDraft,
    reminder: &Reminder,
    at: DateTime<Utc>,
) -> Result<usize, ApiError> {
    let Reminder::RoundClosing { days_left, .. } = reminder else {
        return Ok(0);
    };
    let when = draft.closes_at.format("%-d %B %Y at %H:%M UTC");
    let round = &draft.round;
    remind_organisation(
        conn,
        notices,
        draft.grantee_id,
        draft.application_id.into(),
        reminder,
        at,
        |organisation| {
            Letter::new(
                format!("Your application to {round} is not sent yet"),
                vec![format!(
                    "{organisation}'s application \u{201c}{title}\u{201d} to {round} is still \
                     a draft. Applications close on {when} ({left}); a draft not submitted \
                     by then cannot be.",
                    title = draft.title,
                    left = in_days(*days_left).replace("in ", "within "),
                )],
                "To finish the application and submit it:",
                notices.page(&format!("/applications/{}", draft.application_id)),
            )
        },
    )
}
