//! An award: the offer and its conditions, accepting with a declaration or
//! declining, and the tranches scheduled and paid.

use actix_web::http::StatusCode;
use actix_web::{get, post, web};
use askama::Template;
use grantledger_domain::award::AwardStatus;
use grantledger_domain::ids::AwardId;
use grantledger_store::awards::Stored;
use grantledger_store::common::Record;
use serde::Deserialize;

use crate::http::blocking;
use crate::operations;
use crate::policy::Action;
use crate::portal::format::{date, instant, pounds, status};
use crate::portal::forms::FormErrors;
use crate::portal::messages::english;
use crate::portal::page::{Chrome, PortalError, PortalResult, html, html_with_status, see_other};
use crate::portal::session::{Posted, SignedIn};
use crate::portal::table::{Cell, Table};
use crate::state::AppState;

/// An award as its pages show it.
#[derive(Debug)]
pub struct View {
    /// Its id.
    pub id: String,
    /// Its reference.
    pub reference: String,
    /// The round's name.
    pub round: String,
    /// The amount awarded.
    pub amount: String,
    /// Paid so far.
    pub paid: String,
    /// Its status in words and tag colour.
    pub status: (String, &'static str),
    /// When its evaluation return is due.
    pub return_due: Option<String>,
    /// Why it was cancelled.
    pub cancellation: Option<String>,
    /// Whether it waits for the grantee's answer.
    pub offered: bool,
    /// Whether an evaluation return can be made.
    pub reportable: bool,
}

#[derive(Template)]
#[template(path = "award.html")]
struct AwardPage {
    c: Chrome,
    errors: FormErrors,
    a: View,
    conditions: Vec<String>,
    tranches: Table,
    accepted: bool,
    manages: bool,
}

#[derive(Template)]
#[template(path = "decline.html")]
struct DeclinePage {
    c: Chrome,
    a: View,
}

fn award_id(raw: &str) -> Result<AwardId, PortalError> {
    raw.parse::<uuid::Uuid>()
        .map(AwardId::from_uuid)
        .map_err(|_| PortalError::NotFound)
}

fn view(record: &Record<Stored>, round: &str) -> View {
    let m = english();
    let a = &record.value.award;
    View {
        id: a.id.to_string(),
        reference: a.reference.to_string(),
        round: round.to_owned(),
        amount: pounds(a.amount),
        paid: pounds(a.paid),
        status: status(m, "award", a.status.as_str()),
        return_due: record.value.return_due_on.map(date),
        cancellation: record.value.cancellation_reason.clone(),
        offered: a.status == AwardStatus::Offered,
        reportable: matches!(a.status, AwardStatus::Accepted | AwardStatus::Completed),
    }
}

/// The standard conditions every offer carries, from the catalogue.
fn conditions() -> Vec<String> {
    let m = english();
    [
        "condition-purpose",
        "condition-evaluation",
        "condition-changes",
        "condition-unspent",
        "condition-records",
    ]
    .iter()
    .map(|k| m.t(k))
    .collect()
}

async fn page(
    state: &web::Data<AppState>,
    signed_in: &SignedIn,
    id: AwardId,
    errors: FormErrors,
    accepted: bool,
) -> PortalResult {
    let state = state.clone();
    let principal = signed_in.principal.clone();
    let (record, round, tranches) = blocking(move || {
        state.db.read(|c| {
            let record = operations::awards::visible(c, &principal, id)?;
            let round = operations::rounds::get(c, record.value.award.round_id)?;
            let tranches = operations::payments::tranches(c, &principal, id)?;
            Ok((record, round.record.value.name, tranches))
        })
    })
    .await?;
    let m = english();
    let mut table = Table::under_heading(
        m.t("award-tranches"),
        &[
            (m.t("column-due"), false),
            (m.t("column-amount"), true),
            (m.t("column-status"), false),
            (m.t("column-paid-on"), false),
        ],
        m.t("award-no-tranches"),
    );
    table.rows = tranches
        .into_iter()
        .map(|t| {
            let d = &t.value.disbursement;
            vec![
                Cell::text(date(d.due_on)),
                Cell::figure(pounds(d.amount)),
                Cell::tag(status(m, "tranche", d.status.as_str())),
                Cell::text(t.value.paid_at.map(instant).unwrap_or_default()),
            ]
        })
        .collect();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    html_with_status(
        status,
        &AwardPage {
            c: Chrome::signed_in(signed_in, "home"),
            errors,
            a: view(&record, &round),
            conditions: conditions(),
            tranches: table,
            accepted,
            manages: signed_in.can(Action::ManageAwards),
        },
    )
}

/// Whether the award page should say the offer was accepted.
#[derive(Debug, Deserialize)]
pub struct Accepted {
    accepted: Option<String>,
}

/// The offer, its conditions and its tranches.
#[get("/awards/{id}")]
pub async fn show(
    state: web::Data<AppState>,
    signed_in: SignedIn,
    path: web::Path<String>,
    query: web::Query<Accepted>,
) -> PortalResult {
    let id = award_id(&path)?;
    signed_in.may(Action::ReadAwards)?;
    page(
        &state,
        &signed_in,
        id,
        FormErrors::default(),
        query.accepted.is_some(),
    )
    .await
}

/// The acceptance form: the declaration must be ticked.
#[derive(Debug, Deserialize)]
pub struct Acceptance {
    #[serde(default)]
    declaration: String,
}

/// Accepts the offer.
#[post("/awards/{id}/accept")]
pub async fn accept(
    state: web::Data<AppState>,
    posted: Posted<Acceptance>,
    path: web::Path<String>,
) -> PortalResult {
    let id = award_id(&path)?;
    posted.signed_in.may(Action::RespondToAward)?;
    let Posted { signed_in, form } = posted;
    if form.declaration != "yes" {
        let errors = FormErrors::one("declaration", english().t("accept-declaration-missing"));
        return page(&state, &signed_in, id, errors, false).await;
    }
    let principal = signed_in.principal.clone();
    let accepted = {
        let state = state.clone();
        blocking(move || {
            state
                .db
                .write(|c| operations::awards::accept(c, &state.notices, &principal, id))
        })
        .await
    };
    match accepted {
        Ok(_) => Ok(see_other(&format!("/awards/{id}?accepted=1"))),
        Err(e) => {
            let errors = FormErrors::from_api(e)?;
            page(&state, &signed_in, id, errors, false).await
        }
    }
}

/// Are you sure you want to decline?
#[get("/awards/{id}/decline")]
pub async fn decline_form(
    state: web::Data<AppState>,
    signed_in: SignedIn,
    path: web::Path<String>,
) -> PortalResult {
    let id = award_id(&path)?;
    signed_in.may(Action::RespondToAward)?;
    let principal = signed_in.principal.clone();
    let (record, round) = blocking(move || {
        state.db.read(|c| {
            let record = operations::awards::visible(c, &principal, id)?;
            let round = operations::rounds::get(c, record.value.award.round_id)?;
            Ok((record, round.record.value.name))
        })
    })
    .await?;
    html(&DeclinePage {
        c: Chrome::signed_in(&signed_in, "home"),
        a: view(&record, &round),
    })
}

/// Declines the offer: its money returns to the round.
#[post("/awards/{id}/decline")]
pub async fn decline(
    state: web::Data<AppState>,
    posted: Posted<std::collections::HashMap<String, String>>,
    path: web::Path<String>,
) -> PortalResult {
    let id = award_id(&path)?;
    posted.signed_in.may(Action::RespondToAward)?;
    let principal = posted.signed_in.principal.clone();
    blocking(move || {
        state
            .db
            .write(|c| operations::awards::decline(c, &principal, id))
    })
    .await?;
    Ok(see_other(&format!("/awards/{id}")))
}
