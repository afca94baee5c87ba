//! Verifying changes of bank details: the administrators' list of changes
//! waiting, and a grantee's details with "Verify" and "Reject", each with a
//! note saying how the change was checked. The person who entered a change
//! cannot decide it; the page says another administrator must.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{ResponseError, get, post, web};
use askama::Template;
use grantledger_domain::ids::{GranteeId, UserId};
use grantledger_store::AnyConnection;
use serde::Deserialize;

use crate::error::ApiError;
use crate::http::blocking;
use crate::operations;
use crate::operations::bank_details as op;
use crate::policy::Action;
use crate::portal::bank_details::{DetailsView, details_view};
use crate::portal::format::instant;
use crate::portal::forms::FormErrors;
use crate::portal::messages::english;
use crate::portal::page::{Chrome, PortalError, PortalResult, html, html_with_status, see_other};
use crate::portal::session::{Posted, SignedIn};
use crate::portal::table::{Cell, Table};
use crate::state::AppState;

/// Each user's email, to say who did what on staff pages (the id when the
/// user cannot be found).
pub fn emails(
    c: &mut AnyConnection,
    ids: impl IntoIterator<Item = UserId>,
) -> Result<HashMap<UserId, String>, ApiError> {
    let mut names = HashMap::new();
    for id in ids {
        if let std::collections::hash_map::Entry::Vacant(e) = names.entry(id) {
            let name = match operations::users::get(c, id) {
                Ok(user) => user.value.email.as_str().to_owned(),
                Err(ApiError::NotFound { .. }) => id.to_string(),
                Err(other) => return Err(other),
            };
            e.insert(name);
        }
    }
    Ok(names)
}

#[derive(Template)]
#[template(path = "bank_details_waiting.html")]
struct WaitingPage {
    c: Chrome,
    waiting: Table,
}

/// Changes of bank details waiting for verification, oldest first.
#[get("/bank-details")]
pub async fn waiting(state: web::Data<AppState>, signed_in: SignedIn) -> PortalResult {
    signed_in.may(Action::VerifyBankDetails)?;
    let (waiting, names) = blocking(move || {
        state.db.read(|c| {
            let waiting = op::waiting(c)?;
            let names = emails(c, waiting.iter().map(|w| w.entered.by))?;
            Ok::<_, ApiError>((waiting, names))
        })
    })
    .await?;
    let m = english();
    let mut table = Table::under_heading(
        m.t("bank-waiting-title"),
        &[
            (m.t("column-grantee"), false),
            (m.t("column-entered-by"), false),
            (m.t("column-entered-at"), false),
        ],
        m.t("bank-waiting-none"),
    );
    table.rows = waiting
        .into_iter()
        .map(|w| {
            vec![
                Cell::link(
                    w.grantee_name,
                    format!("/grantees/{}/bank-details", w.grantee_id),
                ),
                Cell::text(names.get(&w.entered.by).cloned().unwrap_or_default()),
                Cell::text(instant(w.entered.at)),
            ]
        })
        .collect();
    html(&WaitingPage {
        c: Chrome::signed_in(&signed_in, "home"),
        waiting: table,
    })
}

#[derive(Template)]
#[template(path = "grantee_bank_details.html")]
struct GranteePage {
    c: Chrome,
    errors: FormErrors,
    id: String,
    name: String,
    d: DetailsView,
    decided: Option<String>,
}

fn grantee_id(raw: &str) -> Result<GranteeId, PortalError> {
    raw.parse::<uuid::Uuid>()
        .map(GranteeId::from_uuid)
        .map_err(|_| PortalError::NotFound)
}

async fn page(
    state: &web::Data<AppState>,
    signed_in: &SignedIn,
    id: GranteeId,
    status: StatusCode,
    errors: FormErrors,
    decided: Option<String>,
) -> PortalResult {
    let state = state.clone();
    let principal = signed_in.principal.clone();
    let (name, details, names) = blocking(move || {
        state.db.read(|c| {
            let grantee = operations::grantees::visible(c, &principal, id)?;
            let details = op::show(c, &state.bank_keys, &principal, id)?;
            let people = details
                .in_force
                .iter()
                .flat_map(|v| [v.entered.by, v.verified.by])
                .chain(details.pending.iter().map(|p| p.entered.by));
            let names = emails(c, people)?;
            Ok::<_, ApiError>((grantee.value.name.to_string(), details, names))
        })
    })
    .await?;
    let name_of = |id: UserId| names.get(&id).cloned().unwrap_or_else(|| id.to_string());
    html_with_status(
        status,
        &GranteePage {
            c: Chrome::signed_in(signed_in, "home"),
            errors,
            id: id.to_string(),
            name,
            d: details_view(&details, Some(&name_of)),
            decided,
        },
    )
}

/// Which decision the page should confirm.
#[derive(Debug, Deserialize)]
pub struct Decided {
    decided: Option<String>,
}

/// A grantee's bank details, masked, with the forms to verify or reject a
/// change waiting.
#[get("/grantees/{id}/bank-details")]
pub async fn show(
    state: web::Data<AppState>,
    signed_in: SignedIn,
    path: web::Path<String>,
    query: web::Query<Decided>,
) -> PortalResult {
    let id = grantee_id(&path)?;
    signed_in.may(Action::VerifyBankDetails)?;
    let m = english();
    let decided = match query.decided.as_deref() {
        Some("verified") => Some(m.t("bank-verified-done")),
        Some("rejected") => Some(m.t("bank-rejected-done")),
        _ => None,
    };
    page(
        &state,
        &signed_in,
        id,
        StatusCode::OK,
        FormErrors::default(),
        decided,
    )
    .await
}

/// A decision's note. Each form names its own field, so an error shows
/// beside the form it came from.
#[derive(Debug, Deserialize)]
pub struct Note {
    #[serde(default)]
    verify_note: String,
    #[serde(default)]
    reject_note: String,
}

/// Verifies the change waiting: it comes into force and payments resume.
#[post("/grantees/{id}/bank-details/verify")]
pub async fn verify_change(
    state: web::Data<AppState>,
    posted: Posted<Note>,
    path: web::Path<String>,
) -> PortalResult {
    decide(state, posted, &path, true).await
}

/// Rejects the change waiting: the account in force (if any) stays.
#[post("/grantees/{id}/bank-details/reject")]
pub async fn reject_change(
    state: web::Data<AppState>,
    posted: Posted<Note>,
    path: web::Path<String>,
) -> PortalResult {
    decide(state, posted, &path, false).await
}

async fn decide(
    state: web::Data<AppState>,
    posted: Posted<Note>,
    raw_id: &str,
    verifying: bool,
) -> PortalResult {
    let id = grantee_id(raw_id)?;
    posted.signed_in.may(Action::VerifyBankDetails)?;
    let Posted { signed_in, form } = posted;
    let (field, note) = if verifying {
        ("verify_note", form.verify_note)
    } else {
        ("reject_note", form.reject_note)
    };
    let actor = signed_in.principal.actor();
    let decided = {
        let state = state.clone();
        blocking(move || {
            state.db.write(|c| {
                if verifying {
                    op::verify(c, &state.bank_keys, &state.notices, &actor, id, &note)
                } else {
                    op::reject(c, &state.bank_keys, &state.notices, &actor, id, &note)
                }
            })
        })
        .await
    };
    let (status, errors) = match decided {
        Ok(_) => {
            let word = if verifying { "verified" } else { "rejected" };
            return Ok(see_other(&format!(
                "/grantees/{id}/bank-details?decided={word}"
            )));
        }
        // The role was checked above: a refusal now is the rule that the
        // person who entered a change cannot decide it.
        Err(ApiError::Forbidden(_)) => (
            StatusCode::FORBIDDEN,
            FormErrors::one("", english().t("bank-same-administrator")),
        ),
        Err(e) => {
            let status = e.status_code();
            let mut errors = FormErrors::from_api(e)?;
            for item in &mut errors.items {
                if item.field == "note" {
                    field.clone_into(&mut item.field);
                }
            }
            (status, errors)
        }
    };
    page(&state, &signed_in, id, status, errors, None).await
}
