//! Setting up and changing funds in the portal (issue 17): a fund's code,
//! name, funders and their contributions (or a budget of its own), the
//! due-diligence checks its tranches need; opening and closing it. The
//! same operations as `POST /v1/funds`, `PATCH /v1/funds/{id}` and the
//! open and close routes.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{get, post, web};
use askama::Template;
use grantledger_domain::Money;
use grantledger_domain::fund::{Fund, FundName, Funder};
use grantledger_domain::grantee::{CheckKind, OrganisationName, distinct_kinds};
use grantledger_domain::ids::FundId;
use grantledger_domain::reference::FundCode;

use crate::error::ApiError;
use crate::http::{IfMatch, blocking};
use crate::operations;
use crate::operations::funds::FundChanges;
use crate::policy::Action;
use crate::portal::answers::Opt;
use crate::portal::forms::FormErrors;
use crate::portal::messages::english;
use crate::portal::page::{Chrome, PortalError, PortalResult, html, html_with_status, see_other};
use crate::portal::rounds::money_answer;
use crate::portal::session::{Posted, SignedIn};
use crate::state::AppState;

type Typed = HashMap<String, String>;

/// Funder rows the form offers; blank ones are left out.
const FUNDER_ROWS: usize = 6;

#[derive(Template)]
#[template(path = "fund_edit.html")]
struct FundEditPage {
    c: Chrome,
    errors: FormErrors,
    heading: String,
    action: String,
    back: String,
    /// Whether the code can be given (a new fund only).
    new: bool,
    typed: Typed,
    rows: Vec<usize>,
    checks: Vec<Opt>,
}

impl FundEditPage {
    fn v(&self, key: &str) -> String {
        self.typed.get(key).cloned().unwrap_or_default()
    }

    fn row(&self, field: &str, i: &usize) -> String {
        self.v(&format!("{field}-{i}"))
    }
}

fn page(
    signed_in: &SignedIn,
    fund: Option<&str>,
    typed: Typed,
    errors: FormErrors,
) -> FundEditPage {
    let checks = CheckKind::STANDARD
        .iter()
        .map(|k| Opt {
            value: format!("check__{}", k.as_str()),
            label: k.description(),
            checked: typed.contains_key(&format!("check__{}", k.as_str())),
        })
        .collect();
    let m = english();
    let (heading, action, back) = match fund {
        None => (m.t("fund-new-title"), "/funds".to_owned(), "/".to_owned()),
        Some(id) => (
            m.t("fund-edit-title"),
            format!("/funds/{id}/edit"),
            format!("/funds/{id}"),
        ),
    };
    FundEditPage {
        c: Chrome::signed_in(signed_in, "home"),
        errors,
        heading,
        action,
        back,
        new: fund.is_none(),
        typed,
        rows: (0..FUNDER_ROWS).collect(),
        checks,
    }
}

/// The fund's funders, budget and checks as typed, or every problem.
fn parse(
    typed: &Typed,
    errors: &mut FormErrors,
) -> (Option<FundName>, Vec<Funder>, Option<Money>, Vec<CheckKind>) {
    let m = english();
    let get = |k: &str| typed.get(k).cloned().unwrap_or_default();
    let name = match FundName::parse(&get("name")) {
        Ok(n) => Some(n),
        Err(e) => {
            errors.add("name", e.to_string());
            None
        }
    };
    let mut funders = Vec::new();
    for i in 0..FUNDER_ROWS {
        let (who, much) = (
            get(&format!("funder-{i}")),
            get(&format!("contribution-{i}")),
        );
        if who.trim().is_empty() && much.trim().is_empty() {
            continue;
        }
        let name = OrganisationName::parse(&who)
            .map_err(|e| errors.add(&format!("funder-{i}"), e.to_string()))
            .ok();
        let contribution = money_answer(errors, m, &format!("contribution-{i}"), &much);
        if let (Some(name), Some(contribution)) = (name, contribution) {
            funders.push(Funder {
                name,
                org_id: None,
                contribution,
            });
        }
    }
    let budget = if get("budget").trim().is_empty() {
        None
    } else {
        money_answer(errors, m, "budget", &get("budget"))
    };
    let checks = distinct_kinds(
        CheckKind::STANDARD
            .into_iter()
            .filter(|k| typed.contains_key(&format!("check__{}", k.as_str())))
            .collect(),
    );
    (name, funders, budget, checks)
}

fn typed_from(fund: &Fund, version: i64) -> Typed {
    let mut t: Typed = [
        ("name".to_owned(), fund.name.to_string()),
        ("version".to_owned(), version.to_string()),
    ]
    .into_iter()
    .collect();
    if fund.funders.is_empty() {
        t.insert("budget".into(), fund.budget.to_string());
    }
    for (i, f) in fund.funders.iter().enumerate() {
        t.insert(format!("funder-{i}"), f.name.to_string());
        t.insert(format!("contribution-{i}"), f.contribution.to_string());
    }
    for k in &fund.required_checks {
        t.insert(format!("check__{}", k.as_str()), "on".into());
    }
    t
}

/// A blank fund.
#[get("/funds/new")]
pub async fn new_fund(signed_in: SignedIn) -> PortalResult {
    signed_in.may(Action::ManageFunds)?;
    html(&page(&signed_in, None, Typed::new(), FormErrors::default()))
}

/// Sets the fund up (a draft, to open when its rounds are ready).
#[post("/funds")]
pub async fn create_fund(state: web::Data<AppState>, posted: Posted<Typed>) -> PortalResult {
    let Posted { signed_in, form } = posted;
    signed_in.may(Action::ManageFunds)?;
    let mut errors = FormErrors::default();
    let code = FundCode::parse(form.get("code").map_or("", String::as_str))
        .map_err(|e| errors.add("code", e.to_string()))
        .ok();
    let (name, funders, budget, checks) = parse(&form, &mut errors);
    let refuse = |errors| {
        html_with_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &page(&signed_in, None, form.clone(), errors),
        )
    };
    let (Some(code), Some(name)) = (code, name) else {
        return refuse(errors);
    };
    if !errors.is_empty() {
        return refuse(errors);
    }
    let fund = match Fund::new(FundId::new(), code, name, budget, funders) {
        Ok(f) => Fund {
            required_checks: checks,
            ..f
        },
        Err(e) => return refuse(FormErrors::from_api(operations::funds::fund_error(e))?),
    };
    let actor = signed_in.principal.actor();
    let created = {
        let state = state.clone();
        blocking(move || {
            state
                .db
                .write(|c| operations::funds::create(c, &actor, &fund))
        })
        .await
    };
    match created {
        Ok(f) => Ok(see_other(&format!("/funds/{}", f.record.value.id))),
        Err(e @ (ApiError::Unprocessable { .. } | ApiError::Conflict { .. })) => {
            refuse(FormErrors::from_api(e)?)
        }
        Err(e) => Err(e.into()),
    }
}

/// The fund's settings, to change.
#[get("/funds/{id}/edit")]
pub async fn edit_fund_form(
    state: web::Data<AppState>,
    signed_in: SignedIn,
    path: web::Path<String>,
) -> PortalResult {
    signed_in.may(Action::ManageFunds)?;
    let id = path.into_inner();
    let lookup = id.clone();
    let fund = blocking(move || state.db.read(|c| operations::funds::get(c, &lookup))).await?;
    let typed = typed_from(&fund.record.value, fund.record.version);
    html(&page(&signed_in, Some(&id), typed, FormErrors::default()))
}

/// Saves the changes over the version the form was read at.
#[post("/funds/{id}/edit")]
pub async fn edit_fund(
    state: web::Data<AppState>,
    posted: Posted<Typed>,
    path: web::Path<String>,
) -> PortalResult {
    let Posted { signed_in, form } = posted;
    signed_in.may(Action::ManageFunds)?;
    let id = path.into_inner();
    let version: i64 = form
        .get("version")
        .and_then(|v| v.parse().ok())
        .ok_or(PortalError::BadForm)?;
    let mut errors = FormErrors::default();
    let (name, funders, budget, checks) = parse(&form, &mut errors);
    if !errors.is_empty() {
        return html_with_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &page(&signed_in, Some(&id), form, errors),
        );
    }
    let changes = FundChanges {
        name,
        budget,
        funders: Some(funders),
        required_checks: Some(checks),
    };
    let actor = signed_in.principal.actor();
    let target = id.clone();
    let saved = {
        let state = state.clone();
        blocking(move || {
            state.db.write(|c| {
                operations::funds::update(c, &actor, &target, IfMatch::Version(version), changes)
            })
        })
        .await
    };
    match saved {
        Ok(_) => Ok(see_other(&format!("/funds/{id}"))),
        Err(ApiError::PreconditionFailed(_)) => {
            let m = english();
            let lookup = id.clone();
            let now =
                blocking(move || state.db.read(|c| operations::funds::get(c, &lookup))).await?;
            let mut typed = form;
            typed.insert("version".into(), now.record.version.to_string());
            let errors = FormErrors::one(
                "",
                m.with(
                    "fund-changed-meanwhile",
                    &[
                        ("name", now.record.value.name.as_ref()),
                        ("budget", &now.record.value.budget.to_string()),
                    ],
                ),
            );
            html_with_status(
                StatusCode::CONFLICT,
                &page(&signed_in, Some(&id), typed, errors),
            )
        }
        Err(e @ (ApiError::Unprocessable { .. } | ApiError::Conflict { .. })) => html_with_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &page(&signed_in, Some(&id), form, FormErrors::from_api(e)?),
        ),
        Err(e) => Err(e.into()),
    }
}

async fn open_or_close(
    state: web::Data<AppState>,
    posted: Posted<Typed>,
    id: String,
    open: bool,
) -> PortalResult {
    let signed_in = posted.signed_in;
    signed_in.may(Action::ManageFunds)?;
    let actor = signed_in.principal.actor();
    let target = id.clone();
    blocking(move || {
        state.db.write(|c| {
            if open {
                operations::funds::open(c, &actor, &target)
            } else {
                operations::funds::close(c, &actor, &target)
            }
        })
    })
    .await?;
    Ok(see_other(&format!("/funds/{id}")))
}

/// Opens a draft fund.
#[post("/funds/{id}/open")]
pub async fn open_fund(
    state: web::Data<AppState>,
    posted: Posted<Typed>,
    path: web::Path<String>,
) -> PortalResult {
    open_or_close(state, posted, path.into_inner(), true).await
}

/// Closes an open fund.
#[post("/funds/{id}/close")]
pub async fn close_fund(
    state: web::Data<AppState>,
    posted: Posted<Typed>,
    path: web::Path<String>,
) -> PortalResult {
    open_or_close(state, posted, path.into_inner(), false).await
}
