//! Payment runs: the list, making a new one from a fund's (or one
//! round's) tranches due by a date, and "are you sure?" before cancelling
//! one. The run is made as a draft that a second administrator approves on
//! its own page ([`super::payment_run`]).

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{get, post, web};
use askama::Template;
use chrono::NaiveDate;
use grantledger_domain::ids::{FundId, RoundId};
use grantledger_store::AnyConnection;
use grantledger_store::common::PageRequest;
use serde::Deserialize;

use crate::error::ApiError;
use crate::http::blocking;
use crate::operations;
use crate::policy::Action;
use crate::portal::format::{date, instant, pounds, status};
use crate::portal::forms::FormErrors;
use crate::portal::messages::english;
use crate::portal::page::{Chrome, PortalResult, html, html_with_status, see_other};
use crate::portal::session::{Posted, SignedIn};
use crate::portal::table::{Cell, Table};
use crate::state::AppState;

/// The most runs the list shows (newest first); runs are made about
/// monthly, so this is years of them.
const MOST_RUNS: usize = 500;

/// Every fund's name by id (the list of funds is short).
pub fn fund_names(c: &mut AnyConnection) -> Result<HashMap<FundId, String>, ApiError> {
    let funds = operations::funds::list(c, None, PageRequest::new(Some(100), None))?;
    Ok(funds
        .items
        .into_iter()
        .map(|f| (f.record.value.id, f.record.value.name.to_string()))
        .collect())
}

#[derive(Template)]
#[template(path = "payment_runs.html")]
struct RunsPage {
    c: Chrome,
    runs: Table,
    manages: bool,
}

/// Payment runs, newest first.
#[get("/payment-runs")]
pub async fn list(state: web::Data<AppState>, signed_in: SignedIn) -> PortalResult {
    signed_in.may(Action::ReadPayments)?;
    let (runs, funds) = blocking(move || {
        state.db.read(|c| {
            let mut runs = Vec::new();
            let mut after = None;
            loop {
                let page = operations::payments::list_runs(c, PageRequest::new(Some(100), after))?;
                runs.extend(page.items);
                after = page.next;
                if after.is_none() || runs.len() >= MOST_RUNS {
                    break;
                }
            }
            Ok::<_, ApiError>((runs, fund_names(c)?))
        })
    })
    .await?;
    let m = english();
    let mut table = Table::under_heading(
        m.t("runs-title"),
        &[
            (m.t("column-made"), false),
            (m.t("column-fund"), false),
            (m.t("column-due-by"), false),
            (m.t("column-payments"), true),
            (m.t("column-total"), true),
            (m.t("column-status"), false),
        ],
        m.t("runs-none"),
    );
    table.rows = runs
        .into_iter()
        .rev()
        .map(|r| {
            let run = r.value;
            let fund = run
                .scope
                .fund_id
                .and_then(|f| funds.get(&f).cloned())
                .unwrap_or_default();
            vec![
                Cell::link(instant(run.created_at), format!("/payment-runs/{}", run.id)),
                Cell::text(fund),
                Cell::text(date(run.scope.due_by)),
                Cell::figure(run.count.to_string()),
                Cell::figure(pounds(run.total)),
                Cell::tag(status(m, "run", run.status.as_str())),
            ]
        })
        .collect();
    html(&RunsPage {
        c: Chrome::signed_in(&signed_in, "home"),
        runs: table,
        manages: signed_in.can(Action::ManagePayments),
    })
}

/// An option of a select box.
#[derive(Debug)]
pub struct SelectOption {
    /// The value posted.
    pub value: String,
    /// What it says.
    pub label: String,
    /// Whether it is chosen.
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "payment_run_new.html")]
struct NewRunPage {
    c: Chrome,
    errors: FormErrors,
    funds: Vec<SelectOption>,
    rounds: Vec<SelectOption>,
    due_by: String,
}

/// The new-run form as posted.
#[derive(Debug, Default, Deserialize)]
pub struct NewRunForm {
    #[serde(default)]
    fund_id: String,
    #[serde(default)]
    round_id: String,
    #[serde(default)]
    due_by: String,
}

async fn new_page(
    state: &web::Data<AppState>,
    signed_in: &SignedIn,
    errors: FormErrors,
    form: NewRunForm,
) -> PortalResult {
    let state = state.clone();
    // Every fund, and each fund's rounds labelled with the fund's name, so
    // one select box serves whichever fund is chosen.
    let (funds, rounds) = blocking(move || {
        state.db.read(|c| {
            let funds = operations::funds::list(c, None, PageRequest::new(Some(100), None))?;
            let mut rounds = Vec::new();
            for f in &funds.items {
                let fund = &f.record.value;
                let page = operations::rounds::list(
                    c,
                    &fund.id.to_string(),
                    None,
                    PageRequest::new(Some(100), None),
                )?;
                for r in page.items {
                    let round = r.record.value;
                    rounds.push((round.id, format!("{}: {}", fund.name, round.name)));
                }
            }
            let funds: Vec<(FundId, String)> = funds
                .items
                .into_iter()
                .map(|f| (f.record.value.id, f.record.value.name.to_string()))
                .collect();
            Ok::<_, ApiError>((funds, rounds))
        })
    })
    .await?;
    let m = english();
    let mut fund_options = vec![SelectOption {
        value: String::new(),
        label: m.t("runs-choose-fund"),
        selected: form.fund_id.is_empty(),
    }];
    fund_options.extend(funds.into_iter().map(|(id, name)| SelectOption {
        selected: form.fund_id == id.to_string(),
        value: id.to_string(),
        label: name,
    }));
    let mut round_options = vec![SelectOption {
        value: String::new(),
        label: m.t("runs-every-round"),
        selected: form.round_id.is_empty(),
    }];
    round_options.extend(rounds.into_iter().map(|(id, name)| SelectOption {
        selected: form.round_id == id.to_string(),
        value: id.to_string(),
        label: name,
    }));
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    html_with_status(
        status,
        &NewRunPage {
            c: Chrome::signed_in(signed_in, "home"),
            errors,
            funds: fund_options,
            rounds: round_options,
            due_by: form.due_by,
        },
    )
}

/// The form for a new run.
#[get("/payment-runs/new")]
pub async fn new_form(state: web::Data<AppState>, signed_in: SignedIn) -> PortalResult {
    signed_in.may(Action::ManagePayments)?;
    new_page(
        &state,
        &signed_in,
        FormErrors::default(),
        NewRunForm::default(),
    )
    .await
}

/// Reads the form: every missing or unreadable field is named.
fn read(form: &NewRunForm) -> Result<operations::payments::NewRun, FormErrors> {
    let m = english();
    let mut errors = FormErrors::default();
    let fund_id = form.fund_id.trim().parse::<uuid::Uuid>().ok();
    if fund_id.is_none() {
        errors.add("fund_id", m.t("runs-fund-missing"));
    }
    let round_id = if form.round_id.trim().is_empty() {
        Ok(None)
    } else {
        form.round_id
            .trim()
            .parse::<uuid::Uuid>()
            .map(|r| Some(RoundId::from_uuid(r)))
    };
    if round_id.is_err() {
        errors.add("round_id", m.t("runs-round-unknown"));
    }
    let due_by = NaiveDate::parse_from_str(form.due_by.trim(), "%Y-%m-%d").ok();
    if due_by.is_none() {
        errors.add("due_by", m.t("runs-due-by-missing"));
    }
    match (fund_id, round_id, due_by) {
        (Some(fund), Ok(round_id), Some(due_by)) if errors.is_empty() => {
            Ok(operations::payments::NewRun {
                fund_id: FundId::from_uuid(fund),
                round_id,
                due_by,
            })
        }
        _ => Err(errors),
    }
}

/// Makes a draft run; its page then waits for a second administrator.
#[post("/payment-runs")]
pub async fn create(state: web::Data<AppState>, posted: Posted<NewRunForm>) -> PortalResult {
    posted.signed_in.may(Action::ManagePayments)?;
    let Posted { signed_in, form } = posted;
    let input = match read(&form) {
        Ok(input) => input,
        Err(errors) => return new_page(&state, &signed_in, errors, form).await,
    };
    let actor = signed_in.principal.actor();
    let made = {
        let state = state.clone();
        blocking(move || {
            state
                .db
                .write(|c| operations::payments::create_run(c, &actor, input))
        })
        .await
    };
    match made {
        Ok(run) => Ok(see_other(&format!("/payment-runs/{}?made=1", run.value.id))),
        // A fund or round that does not exist was not one offered.
        Err(ApiError::NotFound { .. }) => {
            let errors = FormErrors::one("fund_id", english().t("runs-fund-missing"));
            new_page(&state, &signed_in, errors, form).await
        }
        Err(e) => {
            let errors = FormErrors::from_api(e)?;
            new_page(&state, &signed_in, errors, form).await
        }
    }
}

#[derive(Template)]
#[template(path = "payment_run_cancel.html")]
struct CancelPage {
    c: Chrome,
    id: String,
    warning: String,
}

/// Are you sure you want to cancel the run? (The form posts to
/// [`super::payment_run::cancel`].)
#[get("/payment-runs/{id}/cancel")]
pub async fn cancel_form(
    state: web::Data<AppState>,
    signed_in: SignedIn,
    path: web::Path<String>,
) -> PortalResult {
    let id = path
        .parse::<uuid::Uuid>()
        .map(grantledger_domain::ids::PaymentRunId::from_uuid)
        .map_err(|_| crate::portal::page::PortalError::NotFound)?;
    signed_in.may(Action::ManagePayments)?;
    let run = blocking(move || state.db.read(|c| operations::payments::get_run(c, id))).await?;
    html(&CancelPage {
        c: Chrome::signed_in(&signed_in, "home"),
        id: run.value.id.to_string(),
        warning: english().with(
            "runs-cancel-warning",
            &[
                ("count", &run.value.count.to_string()),
                ("total", &pounds(run.value.total)),
            ],
        ),
    })
}
