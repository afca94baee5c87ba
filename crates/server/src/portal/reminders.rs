//! Reminders in the portal (issue 18): where a reminder's unsubscribe
//! link goes, and "Your reminders", where a signed-in person stops or
//! starts them. The unsubscribe address takes the one-click POST of RFC
//! 8058 from a mail program, with no session and no form token: the token
//! in the address is the only key, and it can do nothing but stop
//! reminders. A GET only asks, so a link scanner opening it stops nothing.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{get, post, web};
use askama::Template;
use chrono::Utc;

use crate::http::blocking;
use crate::operations::reminders as op;
use crate::portal::accounts::plausible;
use crate::portal::page::{Chrome, PortalError, PortalResult, html_with_status, see_other};
use crate::portal::session::{Posted, SignedIn};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "unsubscribe.html")]
struct UnsubscribePage {
    c: Chrome,
    about: String,
    action: String,
    done: bool,
}

/// Asks whether to stop the reminders a link is about.
#[get("/unsubscribe/{token}")]
pub async fn ask(state: web::Data<AppState>, token: web::Path<String>) -> PortalResult {
    unsubscribe_page(state, token.into_inner(), false).await
}

/// Stops them: the page's button, or a mail program's one-click POST.
#[post("/unsubscribe/{token}")]
pub async fn stop(state: web::Data<AppState>, token: web::Path<String>) -> PortalResult {
    unsubscribe_page(state, token.into_inner(), true).await
}

/// The page of an unsubscribe link, having stopped its reminders if
/// `follow`; not found for a token that is not a link.
async fn unsubscribe_page(state: web::Data<AppState>, token: String, follow: bool) -> PortalResult {
    if !plausible(&token) {
        return Err(PortalError::NotFound);
    }
    let action = format!("/unsubscribe/{token}");
    let about = blocking(move || {
        if follow {
            state.db.write(|c| op::unsubscribe(c, &token, Utc::now()))
        } else {
            state.db.read(|c| op::unsubscribe_link(c, &token))
        }
    })
    .await?
    .ok_or(PortalError::NotFound)?;
    html_with_status(
        StatusCode::OK,
        &UnsubscribePage {
            c: Chrome::anonymous(),
            about,
            action,
            done: follow,
        },
    )
}

#[derive(Template)]
#[template(path = "account_reminders.html")]
struct PreferencesPage {
    c: Chrome,
    none: bool,
    stopped: Vec<(String, String)>,
    saved: bool,
}

/// Whether a change was just saved.
#[derive(Debug, serde::Deserialize)]
pub struct Saved {
    saved: Option<String>,
}

/// "Your reminders": all on or off, and each subject stopped, with a
/// button to start it again.
#[get("/account/reminders")]
pub async fn show(
    state: web::Data<AppState>,
    signed_in: SignedIn,
    query: web::Query<Saved>,
) -> PortalResult {
    let principal = signed_in.principal.clone();
    let preferences = blocking(move || state.db.read(|c| op::preferences(c, &principal))).await?;
    html_with_status(
        StatusCode::OK,
        &PreferencesPage {
            c: Chrome::signed_in(&signed_in, "account"),
            none: preferences.none,
            stopped: preferences.stopped,
            saved: query.saved.is_some(),
        },
    )
}

/// Turns every reminder on (`reminders=on`) or off (`reminders=off`).
#[post("/account/reminders")]
pub async fn set(
    state: web::Data<AppState>,
    posted: Posted<HashMap<String, String>>,
) -> PortalResult {
    let on = match posted.form.get("reminders").map(String::as_str) {
        Some("on") => true,
        Some("off") => false,
        _ => return Err(PortalError::BadForm),
    };
    let principal = posted.signed_in.principal.clone();
    blocking(move || {
        state
            .db
            .write(|c| op::set_all(c, &principal, on, Utc::now()))
    })
    .await?;
    Ok(see_other("/account/reminders?saved=1"))
}

/// Starts again the reminders about one subject (`subject`, its id).
#[post("/account/reminders/resume")]
pub async fn resume(
    state: web::Data<AppState>,
    posted: Posted<HashMap<String, String>>,
) -> PortalResult {
    let subject = posted
        .form
        .get("subject")
        .and_then(|s| s.parse::<uuid::Uuid>().ok())
        .ok_or(PortalError::BadForm)?;
    let principal = posted.signed_in.principal.clone();
    blocking(move || state.db.write(|c| op::resume(c, &principal, subject))).await?;
    Ok(see_other("/account/reminders?saved=1"))
}
