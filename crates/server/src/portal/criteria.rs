//! Setting a round's assessment criteria in the portal (issue 20): the
//! scale, the disagreement margin and up to eight weighted criteria, each
//! kept by its id when changed. The same operation as `PUT
//! /v1/rounds/{id}/criteria`; refused, as there, once scoring has started.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{get, post, web};
use askama::Template;
use grantledger_domain::ids::RoundId;

use crate::error::ApiError;
use crate::http::blocking;
use crate::operations;
use crate::policy::Action;
use crate::portal::forms::FormErrors;
use crate::portal::messages::english;
use crate::portal::page::{Chrome, PortalError, PortalResult, html_with_status, see_other};
use crate::portal::session::{Posted, SignedIn};
use crate::routes::panels::{CriteriaBody, CriterionBody, ScaleBody};
use crate::state::AppState;

/// Rows the form offers; blank ones are left out.
const ROWS: usize = 8;

/// One criterion's row on the form, as typed.
#[derive(Debug, Default, Clone)]
pub struct Row {
    /// Its index, which names its fields (`name-0`, `weight-0`…).
    pub i: usize,
    /// The criterion's id when it already exists.
    pub id: String,
    /// What is scored.
    pub name: String,
    /// What a high or low score means.
    pub guidance: String,
    /// Its weight.
    pub weight: String,
}

#[derive(Template)]
#[template(path = "criteria.html")]
struct CriteriaPage {
    c: Chrome,
    errors: FormErrors,
    id: String,
    round: String,
    min: String,
    max: String,
    margin: String,
    rows: Vec<Row>,
}

fn round_of(raw: &str) -> Result<RoundId, PortalError> {
    raw.parse::<uuid::Uuid>()
        .map(RoundId::from_uuid)
        .map_err(|_| PortalError::NotFound)
}

/// The form as typed, from what was posted (or read).
fn rows_from(form: &HashMap<String, String>) -> Vec<Row> {
    let get = |k: String| form.get(&k).cloned().unwrap_or_default();
    (0..ROWS)
        .map(|i| Row {
            i,
            id: get(format!("id-{i}")),
            name: get(format!("name-{i}")),
            guidance: get(format!("guidance-{i}")),
            weight: get(format!("weight-{i}")),
        })
        .collect()
}

async fn page(
    state: &web::Data<AppState>,
    signed_in: &SignedIn,
    round: RoundId,
    typed: Option<&HashMap<String, String>>,
    errors: FormErrors,
) -> PortalResult {
    let state = state.clone();
    let (name, current) = blocking(move || {
        state.db.read(|c| {
            let name = operations::rounds::get(c, round)?.record.value.name;
            let current = match operations::panels::criteria(c, round) {
                Ok(found) => Some(found),
                Err(ApiError::NotFound { .. }) => None,
                Err(e) => return Err(e),
            };
            Ok((name, current))
        })
    })
    .await?;
    let form = match typed {
        Some(typed) => typed.clone(),
        None => {
            let mut form = HashMap::new();
            let (min, max, margin) =
                current
                    .as_ref()
                    .map_or(("1".to_owned(), "5".to_owned(), "1".to_owned()), |k| {
                        let s = k.criteria.scale();
                        (
                            s.min().to_string(),
                            s.max().to_string(),
                            k.margin.value().to_string(),
                        )
                    });
            form.insert("min".to_owned(), min);
            form.insert("max".to_owned(), max);
            form.insert("margin".to_owned(), margin);
            if let Some(k) = &current {
                for (i, c) in k.criteria.criteria().iter().enumerate() {
                    form.insert(format!("id-{i}"), c.id().to_string());
                    form.insert(format!("name-{i}"), c.name().to_string());
                    form.insert(format!("guidance-{i}"), c.guidance().as_str().to_owned());
                    form.insert(format!("weight-{i}"), u8::from(c.weight()).to_string());
                }
            }
            form
        }
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    html_with_status(
        status,
        &CriteriaPage {
            c: Chrome::signed_in(signed_in, "home"),
            errors,
            id: round.to_string(),
            round: name,
            min: form.get("min").cloned().unwrap_or_default(),
            max: form.get("max").cloned().unwrap_or_default(),
            margin: form.get("margin").cloned().unwrap_or_default(),
            rows: rows_from(&form),
        },
    )
}

/// The criteria form, filled with the round's criteria if it has any.
#[get("/rounds/{id}/criteria")]
pub async fn criteria_form(
    state: web::Data<AppState>,
    signed_in: SignedIn,
    path: web::Path<String>,
) -> PortalResult {
    signed_in.may(Action::ManagePanels)?;
    let round = round_of(&path)?;
    page(&state, &signed_in, round, None, FormErrors::default()).await
}

/// Reads a whole number typed into `field`, adding an error when it is not one.
fn number(errors: &mut FormErrors, field: &str, typed: &str) -> u8 {
    typed.trim().parse::<u8>().unwrap_or_else(|_| {
        errors.add(field, english().t("criteria-number-invalid"));
        0
    })
}

/// Sets the criteria; each refusal comes back on its field.
#[post("/rounds/{id}/criteria")]
pub async fn save_criteria(
    state: web::Data<AppState>,
    posted: Posted<HashMap<String, String>>,
    path: web::Path<String>,
) -> PortalResult {
    let round = round_of(&path)?;
    let Posted { signed_in, form } = posted;
    signed_in.may(Action::ManagePanels)?;
    let mut errors = FormErrors::default();
    let field = |k: &str| form.get(k).cloned().unwrap_or_default();
    let min = number(&mut errors, "min", &field("min"));
    let max = number(&mut errors, "max", &field("max"));
    let margin = field("margin")
        .trim()
        .parse()
        .ok()
        .and_then(|d| grantledger_domain::assessment::moderation::Margin::new(d).ok());
    if margin.is_none() {
        errors.add("margin", english().t("criteria-margin-invalid"));
    }
    // Rows left blank are not criteria; the others keep their row number
    // so that an error lands on the row it is about.
    let mut kept = Vec::new();
    let mut criteria = Vec::new();
    for row in rows_from(&form) {
        if row.name.trim().is_empty() && row.weight.trim().is_empty() {
            continue;
        }
        let weight = number(&mut errors, &format!("weight-{}", row.i), &row.weight);
        criteria.push(CriterionBody {
            id: row.id.parse().ok(),
            name: row.name.clone(),
            guidance: row.guidance.clone(),
            weight,
        });
        kept.push(row.i);
    }
    if let (true, Some(margin)) = (errors.is_empty(), margin) {
        let body = CriteriaBody {
            scale: ScaleBody { min, max },
            criteria,
            margin,
        };
        let actor = signed_in.principal.actor();
        let saved = match body.criteria() {
            Ok((criteria, margin)) => {
                let state = state.clone();
                blocking(move || {
                    state.db.write(|c| {
                        operations::panels::set_criteria(c, &actor, round, &criteria, margin)
                    })
                })
                .await
                .map(|_| ())
            }
            Err(e) => Err(e),
        };
        match saved {
            Ok(()) => return Ok(see_other(&format!("/rounds/{round}/panel"))),
            Err(e) => {
                errors = FormErrors::from_api(e)?;
                // `criteria[i]` is the i-th kept row: name that row's field.
                for item in &mut errors.items {
                    if let Some(i) = item
                        .field
                        .strip_prefix("criteria[")
                        .and_then(|rest| rest.strip_suffix(']'))
                        .and_then(|i| i.parse::<usize>().ok())
                        .and_then(|i| kept.get(i))
                    {
                        item.field = format!("name-{i}");
                    } else if item.field == "criteria" {
                        item.field = "name-0".to_owned();
                    } else if item.field == "scale" {
                        item.field = "min".to_owned();
                    }
                }
            }
        }
    }
    page(&state, &signed_in, round, Some(&form), errors).await
}
