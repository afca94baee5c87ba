//! Sends the reminders due at a moment (issue 18): offers waiting, returns
//! falling due or overdue, drafts whose round is closing. Each reminder is
//! recorded with its occasion in the same transaction as its messages, so
//! it is sent once however often this runs — every `serve` process's
//! dispatcher runs it hourly, and `grantledger mail remind` on demand —
//! and none is sent once its subject is dealt with (the offer answered,
//! the return in, the draft submitted).

use chrono::{DateTime, Duration, Utc};
use grantledger_domain::reminder::{
    OFFER_WAITING_DAYS, ROUND_CLOSING_DAYS, Reminder, draft_reminder, offer_reminder,
    return_reminder,
};
use grantledger_store::AnyConnection;
use grantledger_store::reminders;

use crate::error::ApiError;
use crate::operations::notices::{self, Notices};

/// What one run sent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Reminded {
    /// Reminders newly due (each once, to however many people).
    pub reminders: usize,
    /// Messages put in the outbox for them.
    pub messages: usize,
}

/// Sends every reminder due at `now` and not sent before, inside the
/// caller's write transaction.
///
/// # Errors
/// Database errors (which roll back every reminder of the run).
#[tracing::instrument(skip_all, fields(now = %now.to_rfc3339()))]
pub fn send_due(
    c: &mut AnyConnection,
    notices: &Notices,
    now: DateTime<Utc>,
) -> Result<Reminded, ApiError> {
    let mut done = Reminded::default();
    // The rules ask about `now`; the messages are written, dated and due
    // at the real time, so a run as of another moment (`mail remind --at`)
    // still sends at once.
    let written = Utc::now();
    let mut count =
        |c: &mut AnyConnection,
         reminder: Reminder,
         subject: uuid::Uuid,
         send: &mut dyn FnMut(&mut AnyConnection, &Reminder) -> Result<usize, ApiError>|
         -> Result<(), ApiError> {
            if reminders::record_sent(c, reminder.kind(), subject, &reminder.occasion(), now)? {
                done.reminders += 1;
                done.messages += send(c, &reminder)?;
            }
            Ok(())
        };
    for offer in reminders::offers_waiting(c, now - Duration::days(OFFER_WAITING_DAYS))? {
        if let Some(r) = offer_reminder(offer.offered_at, now) {
            count(c, r, offer.award_id.into(), &mut |c, r| {
                notices::offer_waiting(c, notices, &offer, r, written)
            })?;
        }
    }
    let today = now.date_naive();
    for awaited in reminders::returns_awaited(c)? {
        if let Some(r) = return_reminder(awaited.due_on, today) {
            count(c, r, awaited.award_id.into(), &mut |c, r| {
                notices::return_awaited(c, notices, &awaited, r, written)
            })?;
        }
    }
    let horizon = now + Duration::days(ROUND_CLOSING_DAYS[0]);
    for draft in reminders::drafts_closing(c, now, horizon)? {
        if let Some(r) = draft_reminder(draft.closes_at, now) {
            count(c, r, draft.application_id.into(), &mut |c, r| {
                notices::draft_closing(c, notices, &draft, r, written)
            })?;
        }
    }
    if done.reminders > 0 {
        tracing::info!(
            reminders = done.reminders,
            messages = done.messages,
            "reminders sent"
        );
    }
    Ok(done)
}

/// What a reminder was about, in words: "grant LCF-R1-000001" or "the
/// application “Tuesday lunches”".
fn about(c: &mut AnyConnection, subject: uuid::Uuid) -> Result<String, ApiError> {
    use grantledger_domain::ids::{ApplicationId, AwardId};
    use grantledger_store::StoreError;
    match grantledger_store::awards::get(c, AwardId::from_uuid(subject)) {
        Ok(award) => return Ok(format!("grant {}", award.value.award.reference)),
        Err(StoreError::NotFound { .. }) => {}
        Err(e) => return Err(e.into()),
    }
    match grantledger_store::applications::get(c, ApplicationId::from_uuid(subject)) {
        Ok(a) => Ok(format!(
            "the application \u{201c}{}\u{201d}",
            a.value.application.project_title
        )),
        Err(StoreError::NotFound { .. }) => Ok("something no longer held".to_owned()),
        Err(e) => Err(e.into()),
    }
}

/// Follows a reminder's unsubscribe link: its user gets no more reminders
/// about its subject. Returns what that was, in words; `None` for a token
/// that is not a link (404). Following it twice is following it once.
///
/// # Errors
/// Database errors.
#[tracing::instrument(skip_all)]
pub fn unsubscribe(
    c: &mut AnyConnection,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Option<String>, ApiError> {
    let Some((user, subject)) =
        reminders::link(c, &crate::operations::accounts::token_hash(token))?
    else {
        return Ok(None);
    };
    reminders::opt_out(c, user, &subject.to_string(), now)?;
    Ok(Some(about(c, subject)?))
}

/// What an unsubscribe link is about, without following it (the page
/// asking to confirm); `None` for a token that is not a link.
///
/// # Errors
/// Database errors.
pub fn unsubscribe_link(c: &mut AnyConnection, token: &str) -> Result<Option<String>, ApiError> {
    match reminders::link(c, &crate::operations::accounts::token_hash(token))? {
        Some((_, subject)) => Ok(Some(about(c, subject)?)),
        None => Ok(None),
    }
}

/// Which reminders a user gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preferences {
    /// Whether they stopped every reminder.
    pub none: bool,
    /// The subjects they stopped reminders about: (scope, in words).
    pub stopped: Vec<(String, String)>,
}

/// The signed-in user's reminder preferences.
///
/// # Errors
/// Database errors.
pub fn preferences(
    c: &mut AnyConnection,
    principal: &crate::auth::principal::Principal,
) -> Result<Preferences, ApiError> {
    let mut out = Preferences {
        none: false,
        stopped: Vec::new(),
    };
    for scope in reminders::opt_outs(c, principal.user_id)? {
        if scope == reminders::ALL {
            out.none = true;
        } else if let Ok(subject) = scope.parse::<uuid::Uuid>() {
            out.stopped.push((scope, about(c, subject)?));
        }
    }
    Ok(out)
}

/// Starts or stops every reminder for the signed-in user (reminders
/// stopped one by one stay stopped).
///
/// # Errors
/// Database errors.
pub fn set_all(
    c: &mut AnyConnection,
    principal: &crate::auth::principal::Principal,
    on: bool,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    if on {
        reminders::opt_in(c, principal.user_id, reminders::ALL)?;
    } else {
        reminders::opt_out(c, principal.user_id, reminders::ALL, now)?;
    }
    Ok(())
}

/// Starts again the reminders about one subject the signed-in user had
/// stopped.
///
/// # Errors
/// Database errors.
pub fn resume(
    c: &mut AnyConnection,
    principal: &crate::auth::principal::Principal,
    subject: uuid::Uuid,
) -> Result<(), ApiError> {
    reminders::opt_in(c, principal.user_id, &subject.to_string())?;
    Ok(())
}
