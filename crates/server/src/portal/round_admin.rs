//! Setting up and changing rounds in the portal (issue 17): add a round
//! to a fund, change its dates, money and rules, open or close it now.
//! The same operations as `POST /v1/funds/{id}/rounds` and `PATCH
//! /v1/rounds/{id}`; a change made over someone else's shows both values,
//! never a silent overwrite.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{get, post, web};
use askama::Template;
use chrono::{DateTime, NaiveDateTime, SubsecRound, Utc};
use grantledger_domain::grantee::{OrganisationType, Region};
use grantledger_domain::ids::RoundId;
use grantledger_domain::round::{Eligibility, GrantRange, Round, RoundWindow};

use crate::error::ApiError;
use crate::http::{IfMatch, blocking};
use crate::operations;
use crate::operations::rounds::{NewRound, RoundChanges, RoundState};
use crate::policy::Action;
use crate::portal::forms::FormErrors;
use crate::portal::messages::english;
use crate::portal::page::{Chrome, PortalError, PortalResult, html, html_with_status, see_other};
use crate::portal::rounds::{Choice, money_answer};
use crate::portal::session::{Posted, SignedIn};
use crate::state::AppState;

type Typed = HashMap<String, String>;

/// One value the other person changed.
#[derive(Debug)]
pub struct Clash {
    /// The field's label.
    pub field: String,
    /// What is saved now.
    pub theirs: String,
    /// What this person typed.
    pub yours: String,
}

#[derive(Template)]
#[template(path = "round_edit.html")]
struct RoundEditPage {
    c: Chrome,
    errors: FormErrors,
    heading: String,
    action: String,
    back: String,
    typed: Typed,
    types: Vec<Choice>,
    regions: Vec<Choice>,
    clashes: Vec<Clash>,
    /// The round's id, when changing one (for open/close now).
    round: Option<String>,
}

impl RoundEditPage {
    fn v(&self, key: &str) -> String {
        self.typed.get(key).cloned().unwrap_or_default()
    }
}

const WHEN: &str = "%Y-%m-%d %H:%M";

fn when(at: DateTime<Utc>) -> String {
    at.format(WHEN).to_string()
}

/// What a round's form shows, as typed.
fn typed_from(r: &Round) -> Typed {
    let e = &r.eligibility;
    let mut t: Typed = [
        ("name", r.name.clone()),
        ("opens_at", when(r.window.opens_at())),
        ("closes_at", when(r.window.closes_at())),
        ("allocation", r.allocation.to_string()),
        ("min_grant", r.grant_range.min().to_string()),
        ("max_grant", r.grant_range.max().to_string()),
        (
            "max_annual_income",
            e.max_annual_income
                .map(|m| m.to_string())
                .unwrap_or_default(),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    for t2 in &e.organisation_types {
        t.insert(format!("type__{t2}"), "on".into());
    }
    for r2 in &e.regions {
        t.insert(format!("region__{r2}"), "on".into());
    }
    if e.one_application_per_organisation {
        t.insert("one_each".into(), "on".into());
    }
    t
}

fn choices(typed: &Typed) -> (Vec<Choice>, Vec<Choice>) {
    let m = english();
    let types = OrganisationType::ALL
        .iter()
        .map(|t| Choice {
            value: t.as_str(),
            label: m.t(&format!("organisation-type-{t}")),
            checked: typed.contains_key(&format!("type__{t}")),
        })
        .collect();
    let regions = Region::ALL
        .iter()
        .map(|r| Choice {
            value: r.as_str(),
            label: m.t(&format!("region-{r}")),
            checked: typed.contains_key(&format!("region__{r}")),
        })
        .collect();
    (types, regions)
}

fn instant_answer(errors: &mut FormErrors, field: &str, typed: &str) -> Option<DateTime<Utc>> {
    let t = typed.trim().replace('T', " ");
    match NaiveDateTime::parse_from_str(&t, WHEN) {
        Ok(n) => Some(n.and_utc()),
        Err(_) => {
            errors.add(field, english().t("round-when-invalid"));
            None
        }
    }
}

/// The round the form describes, or every problem with it.
struct Parsed {
    name: String,
    window: Option<RoundWindow>,
    opens_at: Option<DateTime<Utc>>,
    closes_at: Option<DateTime<Utc>>,
    allocation: Option<grantledger_domain::Money>,
    min: Option<grantledger_domain::Money>,
    max: Option<grantledger_domain::Money>,
    eligibility: Eligibility,
}

fn parse(typed: &Typed, errors: &mut FormErrors) -> Parsed {
    let m = english();
    let get = |k: &str| typed.get(k).cloned().unwrap_or_default();
    let opens_at = instant_answer(errors, "opens_at", &get("opens_at"));
    let closes_at = instant_answer(errors, "closes_at", &get("closes_at"));
    let allocation = money_answer(errors, m, "allocation", &get("allocation"));
    let min = money_answer(errors, m, "min_grant", &get("min_grant"));
    let max = money_answer(errors, m, "max_grant", &get("max_grant"));
    let income = get("max_annual_income");
    let max_annual_income = if income.trim().is_empty() {
        None
    } else {
        money_answer(errors, m, "max_annual_income", &income)
    };
    let window = match (opens_at, closes_at) {
        (Some(o), Some(c)) => match RoundWindow::new(o, c) {
            Ok(w) => Some(w),
            Err(e) => {
                errors.add("closes_at", e.to_string());
                None
            }
        },
        _ => None,
    };
    Parsed {
        name: get("name"),
        window,
        opens_at,
        closes_at,
        allocation,
        min,
        max,
        eligibility: Eligibility {
            organisation_types: OrganisationType::ALL
                .into_iter()
                .filter(|t| typed.contains_key(&format!("type__{t}")))
                .collect(),
            max_annual_income,
            regions: Region::ALL
                .into_iter()
                .filter(|r| typed.contains_key(&format!("region__{r}")))
                .collect(),
            one_application_per_organisation: typed.contains_key("one_each"),
        },
    }
}

/// Which form: a new round of a fund, or changing a round.
enum Where {
    New(String),
    Edit(RoundId),
}

fn page(
    signed_in: &SignedIn,
    at: &Where,
    typed: Typed,
    errors: FormErrors,
    clashes: Vec<Clash>,
) -> RoundEditPage {
    let (types, regions) = choices(&typed);
    let (heading, action, back, round) = match at {
        Where::New(fund) => (
            "round-new-title",
            format!("/funds/{fund}/rounds"),
            format!("/funds/{fund}"),
            None,
        ),
        Where::Edit(id) => (
            "round-edit-title",
            format!("/rounds/{id}/edit"),
            format!("/rounds/{id}"),
            Some(id.to_string()),
        ),
    };
    RoundEditPage {
        c: Chrome::signed_in(signed_in, "home"),
        errors,
        heading: english().t(heading),
        action,
        back,
        typed,
        types,
        regions,
        clashes,
        round,
    }
}

/// A blank round for a fund.
#[get("/funds/{id}/rounds/new")]
pub async fn new_round(signed_in: SignedIn, path: web::Path<String>) -> PortalResult {
    signed_in.may(Action::ManageFunds)?;
    let fund = path.into_inner();
    html(&page(
        &signed_in,
        &Where::New(fund),
        Typed::new(),
        FormErrors::default(),
        Vec::new(),
    ))
}

/// Adds the round.
#[post("/funds/{id}/rounds")]
pub async fn create_round(
    state: web::Data<AppState>,
    posted: Posted<Typed>,
    path: web::Path<String>,
) -> PortalResult {
    let Posted { signed_in, form } = posted;
    signed_in.may(Action::ManageFunds)?;
    let fund = path.into_inner();
    let mut errors = FormErrors::default();
    let p = parse(&form, &mut errors);
    let refuse = |errors: FormErrors| {
        html_with_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &page(
                &signed_in,
                &Where::New(fund.clone()),
                form.clone(),
                errors,
                Vec::new(),
            ),
        )
    };
    let (Some(window), Some(allocation), Some(min), Some(max)) =
        (p.window, p.allocation, p.min, p.max)
    else {
        return refuse(errors);
    };
    let range = match GrantRange::new(min, max) {
        Ok(r) => r,
        Err(e) => return refuse(FormErrors::one("min_grant", e.to_string())),
    };
    let input = NewRound {
        fund: fund.clone(),
        number: None,
        name: p.name,
        window,
        allocation,
        range,
        eligibility: p.eligibility,
        funder: None,
        records_past_round: false,
    };
    let actor = signed_in.principal.actor();
    let created = {
        let state = state.clone();
        blocking(move || {
            state
                .db
                .write(|c| operations::rounds::create(c, &actor, input))
        })
        .await
    };
    match created {
        Ok(r) => Ok(see_other(&format!("/rounds/{}", r.record.value.id))),
        Err(e @ (ApiError::Unprocessable { .. } | ApiError::Conflict { .. })) => {
            refuse(FormErrors::from_api(e)?)
        }
        Err(e) => Err(e.into()),
    }
}

async fn current(state: &web::Data<AppState>, id: RoundId) -> Result<RoundState, PortalError> {
    let state = state.clone();
    Ok(blocking(move || state.db.read(|c| operations::rounds::get(c, id))).await?)
}

fn round_of(raw: &str) -> Result<RoundId, PortalError> {
    raw.parse::<uuid::Uuid>()
        .map(RoundId::from_uuid)
        .map_err(|_| PortalError::NotFound)
}

fn edit_page(
    signed_in: &SignedIn,
    id: RoundId,
    typed: Typed,
    errors: FormErrors,
    clashes: Vec<Clash>,
) -> RoundEditPage {
    page(signed_in, &Where::Edit(id), typed, errors, clashes)
}

/// The round's settings, to change.
#[get("/rounds/{id}/edit")]
pub async fn edit_round_form(
    state: web::Data<AppState>,
    signed_in: SignedIn,
    path: web::Path<String>,
) -> PortalResult {
    signed_in.may(Action::ManageFunds)?;
    let id = round_of(&path)?;
    let r = current(&state, id).await?;
    let mut typed = typed_from(&r.record.value);
    typed.insert("version".into(), r.record.version.to_string());
    html(&edit_page(
        &signed_in,
        id,
        typed,
        FormErrors::default(),
        Vec::new(),
    ))
}

/// Saves the changes over the version the form was read at.
#[post("/rounds/{id}/edit")]
pub async fn edit_round(
    state: web::Data<AppState>,
    posted: Posted<Typed>,
    path: web::Path<String>,
) -> PortalResult {
    let Posted { signed_in, form } = posted;
    signed_in.may(Action::ManageFunds)?;
    let id = round_of(&path)?;
    let version: i64 = form
        .get("version")
        .and_then(|v| v.parse().ok())
        .ok_or(PortalError::BadForm)?;
    let mut errors = FormErrors::default();
    let p = parse(&form, &mut errors);
    if !errors.is_empty() || p.window.is_none() {
        return html_with_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &edit_page(&signed_in, id, form, errors, Vec::new()),
        );
    }
    let changes = RoundChanges {
        name: Some(p.name),
        opens_at: p.opens_at,
        closes_at: p.closes_at,
        allocation: p.allocation,
        min_grant: p.min,
        max_grant: p.max,
        eligibility: Some(p.eligibility),
        funder: None,
    };
    save(
        &state,
        &signed_in,
        id,
        IfMatch::Version(version),
        changes,
        form,
    )
    .await
}

async fn save(
    state: &web::Data<AppState>,
    signed_in: &SignedIn,
    id: RoundId,
    if_match: IfMatch,
    changes: RoundChanges,
    typed: Typed,
) -> PortalResult {
    let actor = signed_in.principal.actor();
    let saved = {
        let state = state.clone();
        blocking(move || {
            state
                .db
                .write(|c| operations::rounds::update(c, &actor, id, if_match, changes))
        })
        .await
    };
    match saved {
        Ok(_) => Ok(see_other(&format!("/rounds/{id}"))),
        Err(ApiError::PreconditionFailed(_)) => {
            let now = current(state, id).await?;
            let theirs = typed_from(&now.record.value);
            let m = english();
            let clashes = [
                "name",
                "opens_at",
                "closes_at",
                "allocation",
                "min_grant",
                "max_grant",
                "max_annual_income",
            ]
            .into_iter()
            .filter(|k| theirs.get(*k) != typed.get(*k))
            .map(|k| Clash {
                field: m.t(&format!("round-field-{k}")),
                theirs: theirs.get(k).cloned().unwrap_or_default(),
                yours: typed.get(k).cloned().unwrap_or_default(),
            })
            .collect();
            let mut typed = typed;
            typed.insert("version".into(), now.record.version.to_string());
            html_with_status(
                StatusCode::CONFLICT,
                &edit_page(
                    signed_in,
                    id,
                    typed,
                    FormErrors::one("", m.t("round-changed-meanwhile")),
                    clashes,
                ),
            )
        }
        Err(e @ (ApiError::Unprocessable { .. } | ApiError::Conflict { .. })) => html_with_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &edit_page(signed_in, id, typed, FormErrors::from_api(e)?, Vec::new()),
        ),
        Err(e) => Err(e.into()),
    }
}

/// Opens the round for applications now, or closes it now.
#[post("/rounds/{id}/{when}-now")]
pub async fn open_or_close_now(
    state: web::Data<AppState>,
    posted: Posted<Typed>,
    path: web::Path<(String, String)>,
) -> PortalResult {
    let Posted { signed_in, .. } = posted;
    signed_in.may(Action::ManageFunds)?;
    let (raw, which) = path.into_inner();
    let id = round_of(&raw)?;
    let now = Utc::now().trunc_subsecs(6);
    let changes = match which.as_str() {
        "open" => RoundChanges {
            opens_at: Some(now),
            ..RoundChanges::default()
        },
        "close" => RoundChanges {
            closes_at: Some(now),
            ..RoundChanges::default()
        },
        _ => return Err(PortalError::NotFound),
    };
    let typed = typed_from(&current(&state, id).await?.record.value);
    save(&state, &signed_in, id, IfMatch::Any, changes, typed).await
}
