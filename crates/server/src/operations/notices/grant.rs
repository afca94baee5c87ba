//! What happens to an organisation's grant, step by step: its application
//! received and decided, the award accepted, its evaluation return
//! reviewed, and each payment sent.

use chrono::{DateTime, Utc};
use grantledger_domain::Money;
use grantledger_domain::application::Application;
use grantledger_domain::award::Award;
use grantledger_domain::evaluation::{EvaluationReturn, ReviewDecision};
use grantledger_domain::ids::AwardId;
use grantledger_store::{AnyConnection, awards, rounds};

use super::{Letter, Notices, to_organisation, to_organisations};
use crate::error::ApiError;

fn day(at: DateTime<Utc>) -> String {
    at.format("%-d %B %Y").to_string()
}

/// "We have received your application", when one is submitted.
///
/// # Errors
/// Database errors (which roll the submission back with it).
pub fn application_received(
    conn: &mut AnyConnection,
    notices: &Notices,
    application: &Application,
    at: DateTime<Utc>,
) -> Result<usize, ApiError> {
    let round = rounds::get(conn, application.round_id)?.value.name;
    to_organisation(
        conn,
        application.grantee_id,
        "application.received",
        at,
        |organisation| {
            Letter::new(
                "We have received your application",
                vec![
                    format!(
                        "{organisation}'s application to {round}, \u{201c}{title}\u{201d}, \
                         asking for {amount}, was received on {when}.",
                        title = application.project_title,
                        amount = application.amount_requested.pounds(),
                        when = day(at),
                    ),
                    "It will now be assessed. We will write again when it has been decided."
                        .to_owned(),
                ],
                "You can see the application, and where it has got to, here:",
                notices.page(&format!("/applications/{}", application.id)),
            )
        },
    )
}

/// The decision on an application in `round` (named by the caller, which
/// has the round already): a grant offered (with the amount and how to
/// accept it) or not funded (with the feedback written for the applicant,
/// never the internal note).
///
/// # Errors
/// Database errors (which roll the decision back with it).
pub fn application_decided(
    conn: &mut AnyConnection,
    notices: &Notices,
    round: &str,
    application: &Application,
    offer: Option<(AwardId, Money)>,
    feedback: &str,
    at: DateTime<Utc>,
) -> Result<usize, ApiError> {
    let (kind, letter) = decision_letter(notices, round, application, offer, feedback);
    to_organisation(conn, application.grantee_id, kind, at, letter)
}

/// [`application_decided`] for each of a bulk decision's decided
/// applications (with its offer, if an award, and the feedback), in a few
/// statements for the whole batch. Returns how many messages were queued.
///
/// # Errors
/// Database errors (which roll the decisions back with them).
pub fn applications_decided<'a>(
    conn: &mut AnyConnection,
    notices: &Notices,
    round: &str,
    decided: impl IntoIterator<Item = (&'a Application, Option<(AwardId, Money)>, &'a str)>,
    at: DateTime<Utc>,
) -> Result<usize, ApiError> {
    let letters: Vec<_> = decided
        .into_iter()
        .map(|(application, offer, feedback)| {
            let (kind, letter) = decision_letter(notices, round, application, offer, feedback);
            (application.grantee_id, kind, letter)
        })
        .collect();
    to_organisations(conn, letters, at)
}

/// The decision's letter to the organisation, and its kind.
fn decision_letter<'a>(
    notices: &'a Notices,
    round: &'a str,
    application: &'a Application,
    offer: Option<(AwardId, Money)>,
    feedback: &'a str,
) -> (&'static str, impl FnOnce(&str) -> Letter + 'a) {
    let title = &application.project_title;
    let feedback = feedback.trim();
    let kind = if offer.is_some() {
        "application.awarded"
    } else {
        "application.not_funded"
    };
    (kind, move |organisation: &str| {
        let said =
            (!feedback.is_empty()).then(|| format!("What the assessors said:\n\n{feedback}"));
        match offer {
            Some((award, amount)) => {
                let mut before = vec![format!(
                    "Good news: {round} offers {organisation} a grant of {amount} for \
                     \u{201c}{title}\u{201d}.",
                    amount = amount.pounds(),
                )];
                before.extend(said);
                Letter::new(
                    format!("You have been offered a grant of {}", amount.pounds()),
                    before,
                    "To accept the grant (or decline it), sign in and open the offer:",
                    notices.page(&format!("/awards/{award}")),
                )
                .then(
                    "Once you accept, the grant is paid to the bank details the fund \
                     holds for your organisation.",
                )
            }
            None => {
                let mut before = vec![format!(
                    "We are sorry: {round} cannot fund {organisation}'s application, \
                     \u{201c}{title}\u{201d}."
                )];
                before.extend(said);
                Letter::new(
                    "Your application was not funded",
                    before,
                    "The application's page:",
                    notices.page(&format!("/applications/{}", application.id)),
                )
            }
        }
    })
}

/// "You have accepted your grant", with the reference the payments carry.
///
/// # Errors
/// Database errors (which roll the acceptance back with it).
pub fn award_accepted(
    conn: &mut AnyConnection,
    notices: &Notices,
    award: &Award,
    at: DateTime<Utc>,
) -> Result<usize, ApiError> {
    let round = rounds::get(conn, award.round_id)?.value.name;
    let reference = &award.reference;
    to_organisation(
        conn,
        award.grantee_id,
        "award.accepted",
        at,
        |organisation| {
            Letter::new(
                format!("You have accepted your grant ({reference})"),
                vec![
                    format!(
                        "Thank you: {organisation} accepted the grant of {amount} from {round} \
                     on {when}.",
                        amount = award.amount.pounds(),
                        when = day(at),
                    ),
                    format!(
                        "Its reference is {reference}. Please quote it when you contact the \
                     fund; payments to you carry it on your bank statement."
                    ),
                ],
                "The grant's page, with its payments and what to report:",
                notices.page(&format!("/awards/{}", award.id)),
            )
        },
    )
}

/// An evaluation return accepted, or sent back for changes with the
/// reviewer's comment.
///
/// # Errors
/// Database errors (which roll the review back with it).
pub fn return_reviewed(
    conn: &mut AnyConnection,
    notices: &Notices,
    evaluation_return: &EvaluationReturn,
    decision: ReviewDecision,
    comment: Option<&str>,
    at: DateTime<Utc>,
) -> Result<usize, ApiError> {
    let reference = awards::get(conn, evaluation_return.award_id)?
        .value
        .award
        .reference;
    let url = notices.page(&format!("/awards/{}/return", evaluation_return.award_id));
    let comment = comment.map(str::trim).filter(|c| !c.is_empty());
    let (kind, subject) = match decision {
        ReviewDecision::Accept => (
            "evaluation_return.accepted",
            format!("Your evaluation return was accepted ({reference})"),
        ),
        ReviewDecision::RequestChanges => (
            "evaluation_return.changes_requested",
            format!("Your evaluation return needs changes ({reference})"),
        ),
    };
    let said = comment.map(|c| format!("What the reviewer said:\n\n{c}"));
    to_organisation(
        conn,
        evaluation_return.grantee_id,
        kind,
        at,
        |organisation| match decision {
            ReviewDecision::Accept => {
                let mut before = vec![format!(
                    "The evaluation return {organisation} sent for grant {reference} has \
                     been accepted. Thank you for measuring and reporting what your \
                     project did."
                )];
                before.extend(said);
                Letter::new(subject, before, "The return:", url)
            }
            ReviewDecision::RequestChanges => {
                let mut before = vec![format!(
                    "The evaluation return {organisation} sent for grant {reference} has \
                     been read, and the reviewer asks for changes before it can be accepted."
                )];
                before.extend(said);
                Letter::new(
                    subject,
                    before,
                    "To change the return and send it again:",
                    url,
                )
            }
        },
    )
}

/// One payment made to a grantee.
#[derive(Debug, Clone, Copy)]
pub struct Payment {
    /// The award paid.
    pub award: AwardId,
    /// How much.
    pub amount: Money,
}

/// "A payment has been sent", when a tranche is marked paid (on its own
/// or in a payment run).
///
/// # Errors
/// Database errors (which roll the payment's record back with it).
pub fn payment_sent(
    conn: &mut AnyConnection,
    notices: &Notices,
    payment: Payment,
    at: DateTime<Utc>,
) -> Result<usize, ApiError> {
    let award = awards::get(conn, payment.award)?.value.award;
    let reference = &award.reference;
    let amount = payment.amount.pounds();
    to_organisation(conn, award.grantee_id, "payment.sent", at, |organisation| {
        Letter::new(
            format!("A payment of {amount} has been sent ({reference})"),
            vec![
                format!(
                    "A payment of {amount} for grant {reference} was sent to \
                     {organisation}'s bank account on {when}. It shows on your bank \
                     statement with the reference {reference}.",
                    when = day(at),
                ),
                "If it has not arrived within three working days, contact the fund.".to_owned(),
            ],
            "The grant's page, with every payment:",
            notices.page(&format!("/awards/{}", award.id)),
        )
    })
}
