//! Managing an award in the staff portal (issue 17): schedule tranches,
//! vary the amount (with its history), set when the evaluation return is
//! due, complete or cancel it with a reason. The same operations as the
//! API's award routes; refusals are shown on the form that caused them.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{get, post, web};
use askama::Template;
use chrono::NaiveDate;
use grantledger_domain::award::AwardStatus;
use grantledger_domain::ids::AwardId;
use serde::Deserialize;

use crate::error::ApiError;
use crate::http::blocking;
use crate::operations;
use crate::operations::awards::Variation;
use crate::operations::payments::NewTranche;
use crate::policy::Action;
use crate::portal::format::{date, instant, pounds, status};
use crate::portal::forms::FormErrors;
use crate::portal::messages::english;
use crate::portal::page::{Chrome, PortalError, PortalResult, html_with_status, see_other};
use crate::portal::rounds::money_answer;
use crate::portal::session::{Posted, SignedIn};
use crate::portal::table::{Cell, Table};
use crate::state::AppState;

type Typed = HashMap<String, String>;

#[derive(Template)]
#[template(path = "award_manage.html")]
struct ManagePage {
    c: Chrome,
    errors: FormErrors,
    id: String,
    reference: String,
    round: String,
    status: (String, &'static str),
    amount: String,
    paid: String,
    return_due: String,
    /// What was just done, in words.
    done: String,
    live: bool,
    variations: Table,
    typed: Typed,
}

impl ManagePage {
    fn v(&self, key: &str) -> String {
        self.typed.get(key).cloned().unwrap_or_default()
    }
}

fn award_of(raw: &str) -> Result<AwardId, PortalError> {
    raw.parse::<uuid::Uuid>()
        .map(AwardId::from_uuid)
        .map_err(|_| PortalError::NotFound)
}

async fn page(
    state: &web::Data<AppState>,
    signed_in: &SignedIn,
    id: AwardId,
    typed: Typed,
    errors: FormErrors,
    done: &str,
) -> PortalResult {
    let state = state.clone();
    let principal = signed_in.principal.clone();
    let (record, round, variations) = blocking(move || {
        state.db.read(|c| {
            let record = operations::awards::visible(c, &principal, id)?;
            let round = operations::rounds::get(c, record.value.award.round_id)?;
            let variations = operations::awards::variations(c, &principal, id)?;
            Ok((record, round.record.value.name, variations))
        })
    })
    .await?;
    let m = english();
    let a = &record.value.award;
    let mut table = Table::under_heading(
        m.t("award-variations"),
        &[
            (m.t("column-when"), false),
            (m.t("award-variation-from"), true),
            (m.t("award-variation-to"), true),
            (m.t("award-variation-reason"), false),
        ],
        m.t("award-no-variations"),
    );
    table.rows = variations
        .iter()
        .map(|v| {
            let reason = match &v.range_override_reason {
                Some(o) => format!("{} ({})", v.reason, o),
                None => v.reason.clone(),
            };
            vec![
                Cell::text(instant(v.created_at)),
                Cell::figure(pounds(v.previous_amount)),
                Cell::figure(pounds(v.new_amount)),
                Cell::text(reason),
            ]
        })
        .collect();
    let code = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    html_with_status(
        code,
        &ManagePage {
            c: Chrome::signed_in(signed_in, "home"),
            errors,
            id: id.to_string(),
            reference: a.reference.to_string(),
            round,
            status: status(m, "award", a.status.as_str()),
            amount: pounds(a.amount),
            paid: pounds(a.paid),
            return_due: record.value.return_due_on.map(date).unwrap_or_default(),
            done: if done.is_empty() {
                String::new()
            } else {
                m.t(&format!("award-done-{done}"))
            },
            live: matches!(a.status, AwardStatus::Offered | AwardStatus::Accepted),
            variations: table,
            typed,
        },
    )
}

/// What was just done, for the banner.
#[derive(Debug, Deserialize)]
pub struct Done {
    #[serde(default)]
    done: String,
}

/// The award's management page.
#[get("/awards/{id}/manage")]
pub async fn manage(
    state: web::Data<AppState>,
    signed_in: SignedIn,
    path: web::Path<String>,
    query: web::Query<Done>,
) -> PortalResult {
    signed_in.may(Action::ManageAwards)?;
    let id = award_of(&path)?;
    let done = match query.done.as_str() {
        d @ ("tranche" | "varied" | "return" | "completed" | "cancelled") => d,
        _ => "",
    };
    page(
        &state,
        &signed_in,
        id,
        Typed::new(),
        FormErrors::default(),
        done,
    )
    .await
}

fn day(errors: &mut FormErrors, field: &str, typed: &str) -> Option<NaiveDate> {
    match NaiveDate::parse_from_str(typed.trim(), "%Y-%m-%d") {
        Ok(d) => Some(d),
        Err(_) => {
            errors.add(field, english().t("award-day-invalid"));
            None
        }
    }
}

/// An operation's refusal, shown on its form: fields prefixed with the
/// form's name, a conflict about the whole page.
fn refused(e: ApiError, prefix: &str) -> Result<FormErrors, PortalError> {
    let mut errors = FormErrors::from_api(e)?;
    for item in &mut errors.items {
        if !item.field.is_empty() {
            let field = item.field.rsplit('.').next().unwrap_or_default().to_owned();
            item.field = format!("{prefix}_{field}");
        }
    }
    Ok(errors)
}

/// Runs one of the page's actions: `parse` reads the form (adding errors),
/// `act` changes the award; success goes back to the page with `done`.
async fn act<T: Send + 'static>(
    state: web::Data<AppState>,
    posted: Posted<Typed>,
    path: web::Path<String>,
    prefix: &'static str,
    done: &'static str,
    parse: impl FnOnce(&Typed, &mut FormErrors) -> Option<T>,
    act: impl FnOnce(
        &mut grantledger_store::AnyConnection,
        &crate::auth::principal::Principal,
        AwardId,
        T,
    ) -> Result<(), ApiError>
    + Send
    + 'static,
) -> PortalResult {
    let Posted { signed_in, form } = posted;
    signed_in.may(Action::ManageAwards)?;
    let id = award_of(&path)?;
    let mut errors = FormErrors::default();
    let Some(input) = parse(&form, &mut errors).filter(|_| errors.is_empty()) else {
        return page(&state, &signed_in, id, form, errors, "").await;
    };
    let principal = signed_in.principal.clone();
    let result = {
        let state = state.clone();
        blocking(move || state.db.write(|c| act(c, &principal, id, input))).await
    };
    match result {
        Ok(()) => Ok(see_other(&format!("/awards/{id}/manage?done={done}"))),
        Err(e @ (ApiError::Unprocessable { .. } | ApiError::Conflict { .. })) => {
            let errors = refused(e, prefix)?;
            page(&state, &signed_in, id, form, errors, "").await
        }
        Err(e) => Err(e.into()),
    }
}

fn get(typed: &Typed, key: &str) -> String {
    typed.get(key).cloned().unwrap_or_default()
}

/// Schedules a tranche.
#[post("/awards/{id}/tranches")]
pub async fn schedule_tranche(
    state: web::Data<AppState>,
    posted: Posted<Typed>,
    path: web::Path<String>,
) -> PortalResult {
    act(
        state,
        posted,
        path,
        "tranche",
        "tranche",
        |t, errors| {
            let amount = money_answer(
                errors,
                english(),
                "tranche_amount",
                &get(t, "tranche_amount"),
            );
            let due_on = day(errors, "tranche_due_on", &get(t, "tranche_due_on"));
            Some(NewTranche {
                amount: amount?,
                due_on: due_on?,
            })
        },
        |c, p, id, input| operations::payments::schedule(c, &p.actor(), id, input).map(|_| ()),
    )
    .await
}

/// Changes the award's amount.
#[post("/awards/{id}/variations")]
pub async fn vary_award(
    state: web::Data<AppState>,
    posted: Posted<Typed>,
    path: web::Path<String>,
) -> PortalResult {
    act(
        state,
        posted,
        path,
        "vary",
        "varied",
        |t, errors| {
            let amount = money_answer(errors, english(), "vary_amount", &get(t, "vary_amount"));
            let reason = get(t, "vary_reason");
            if reason.trim().is_empty() {
                errors.add("vary_reason", english().t("award-vary-reason-missing"));
            }
            let range_override = match get(t, "vary_override").trim() {
                "" => None,
                text => match operations::awards::range_override(text) {
                    Ok(o) => Some(o),
                    Err(_) => {
                        errors.add("vary_override", english().t("award-vary-override-invalid"));
                        None
                    }
                },
            };
            Some(Variation {
                amount: amount?,
                reason,
                range_override,
            })
        },
        |c, p, id, v| operations::awards::vary(c, &p.actor(), id, &v).map(|_| ()),
    )
    .await
}

/// Sets when the evaluation return is due.
#[post("/awards/{id}/return-due")]
pub async fn set_return_due(
    state: web::Data<AppState>,
    posted: Posted<Typed>,
    path: web::Path<String>,
) -> PortalResult {
    act(
        state,
        posted,
        path,
        "return",
        "return",
        |t, errors| day(errors, "return_due_on", &get(t, "return_due_on")),
        |c, p, id, due| {
            operations::evaluation::set_return_due_date(c, &p.actor(), id, Some(due), None)
                .map(|_| ())
        },
    )
    .await
}

/// Marks the award complete.
#[post("/awards/{id}/complete")]
pub async fn complete_award(
    state: web::Data<AppState>,
    posted: Posted<Typed>,
    path: web::Path<String>,
) -> PortalResult {
    act(
        state,
        posted,
        path,
        "complete",
        "completed",
        |_, _| Some(()),
        |c, p, id, ()| operations::awards::complete(c, p, id).map(|_| ()),
    )
    .await
}

/// Cancels the award with a reason.
#[post("/awards/{id}/cancel")]
pub async fn cancel_award(
    state: web::Data<AppState>,
    posted: Posted<Typed>,
    path: web::Path<String>,
) -> PortalResult {
    act(
        state,
        posted,
        path,
        "cancel",
        "cancelled",
        |t, errors| match operations::awards::cancellation_reason(&get(t, "cancel_reason")) {
            Ok(r) => Some(r),
            Err(e) => {
                if let ApiError::Unprocessable { errors: list, .. } = e {
                    for item in list {
                        errors.add("cancel_reason", item.message);
                    }
                }
                None
            }
        },
        |c, p, id, reason| operations::awards::cancel(c, p, id, &reason).map(|_| ()),
    )
    .await
}
