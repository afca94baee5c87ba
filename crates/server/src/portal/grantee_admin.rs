//! Registering and changing grantee organisations in the portal (issue
//! 17): the same operations as `POST /v1/grantees` (with its check for an
//! organisation already held) and `PATCH /v1/grantees/{id}` (at the
//! version the form was read).

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{get, post, web};
use askama::Template;
use grantledger_domain::grantee::{Grantee, OrganisationType, Region};
use grantledger_domain::ids::GranteeId;
use grantledger_domain::import::grantee_from_fields;

use crate::error::ApiError;
use crate::http::{IfMatch, blocking};
use crate::operations::grantees::{self as op, GranteeChanges};
use crate::policy::Action;
use crate::portal::forms::FormErrors;
use crate::portal::messages::english;
use crate::portal::page::{Chrome, PortalError, PortalResult, html, html_with_status, see_other};
use crate::portal::payment_runs::SelectOption;
use crate::portal::session::{Posted, SignedIn};
use crate::state::AppState;

type Typed = HashMap<String, String>;

#[derive(Template)]
#[template(path = "grantee_edit.html")]
struct GranteeEditPage {
    c: Chrome,
    errors: FormErrors,
    heading: String,
    action: String,
    back: String,
    /// A new organisation (which may be confirmed as distinct).
    new: bool,
    /// Whether the form was refused as a likely duplicate, so the
    /// "it is a different organisation" box is offered.
    duplicate: bool,
    typed: Typed,
    types: Vec<SelectOption>,
    regions: Vec<SelectOption>,
}

impl GranteeEditPage {
    fn v(&self, key: &str) -> String {
        self.typed.get(key).cloned().unwrap_or_default()
    }
}

fn options<T: Copy + PartialEq>(
    all: &[T],
    value: impl Fn(T) -> &'static str,
    label: impl Fn(T) -> &'static str,
    chosen: Option<&String>,
) -> Vec<SelectOption> {
    let mut list = vec![SelectOption {
        value: String::new(),
        label: english().t("grantee-choose"),
        selected: chosen.is_none_or(String::is_empty),
    }];
    list.extend(all.iter().map(|&t| SelectOption {
        value: value(t).to_owned(),
        label: label(t).to_owned(),
        selected: chosen.is_some_and(|c| c == value(t)),
    }));
    list
}

fn page(
    signed_in: &SignedIn,
    grantee: Option<&str>,
    typed: Typed,
    errors: FormErrors,
    duplicate: bool,
) -> GranteeEditPage {
    let m = english();
    let (heading, action, back) = match grantee {
        None => (
            m.t("grantee-new-title"),
            "/grantees/new".to_owned(),
            "/grantees".to_owned(),
        ),
        Some(id) => (
            m.t("grantee-edit-title"),
            format!("/grantees/{id}/edit"),
            format!("/grantees/{id}"),
        ),
    };
    GranteeEditPage {
        c: Chrome::signed_in(signed_in, "home"),
        errors,
        heading,
        action,
        back,
        new: grantee.is_none(),
        duplicate,
        types: options(
            &OrganisationType::ALL,
            OrganisationType::as_str,
            OrganisationType::label,
            typed.get("organisation_type"),
        ),
        regions: options(
            &Region::ALL,
            Region::as_str,
            Region::label,
            typed.get("region"),
        ),
        typed,
    }
}

/// The organisation the form describes, by the same rule as an import
/// row, or every problem on its field. An empty choice is asked for in
/// words.
fn parse(typed: &Typed) -> Result<Grantee, FormErrors> {
    let m = english();
    let get = |k: &str| typed.get(k).cloned().unwrap_or_default();
    grantee_from_fields(get, grantledger_domain::Money::parse_typed).map_err(|problems| {
        let mut errors = FormErrors::default();
        for p in problems {
            let blank = get(p.field).trim().is_empty();
            let message = match p.field {
                "organisation_type" if blank => m.t("grantee-type-missing"),
                "region" if blank => m.t("grantee-region-missing"),
                "annual_income" if blank => m.t("annual_income-missing"),
                _ => p.message,
            };
            errors.add(p.field, message);
        }
        errors
    })
}

fn typed_from(g: &Grantee, version: i64) -> Typed {
    [
        ("name", g.name.to_string()),
        (
            "org_id",
            g.org_id
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
        ),
        ("organisation_type", g.organisation_type.as_str().to_owned()),
        ("region", g.region.as_str().to_owned()),
        ("local_authority", g.local_authority.to_string()),
        ("postcode", g.postcode.to_string()),
        ("annual_income", g.annual_income.to_string()),
        ("version", version.to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

/// A blank form to register an organisation.
#[get("/grantees/new")]
pub async fn new_form(signed_in: SignedIn) -> PortalResult {
    signed_in.may(Action::ManageGrantees)?;
    html(&page(
        &signed_in,
        None,
        Typed::new(),
        FormErrors::default(),
        false,
    ))
}

/// Registers it; one that looks like an organisation already held is
/// refused naming it, unless the form says it is a different one.
#[post("/grantees/new")]
pub async fn register(state: web::Data<AppState>, posted: Posted<Typed>) -> PortalResult {
    let Posted { signed_in, form } = posted;
    signed_in.may(Action::ManageGrantees)?;
    let refuse = |errors, duplicate| {
        html_with_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &page(&signed_in, None, form.clone(), errors, duplicate),
        )
    };
    let grantee = match parse(&form) {
        Ok(g) => g,
        Err(errors) => return refuse(errors, false),
    };
    let distinct = form.contains_key("distinct_organisation");
    let principal = signed_in.principal.clone();
    let made = {
        let state = state.clone();
        blocking(move || {
            state
                .db
                .write(|c| op::register(c, &principal, &grantee, distinct))
        })
        .await
    };
    match made {
        Ok(g) => Ok(see_other(&format!("/grantees/{}", g.value.id))),
        Err(ApiError::Duplicate { detail, .. }) => refuse(FormErrors::one("name", detail), true),
        Err(e @ ApiError::Unprocessable { .. }) => refuse(FormErrors::from_api(e)?, false),
        Err(e) => Err(e.into()),
    }
}

fn grantee_id(id: &str) -> Result<GranteeId, PortalError> {
    id.parse::<uuid::Uuid>()
        .map(GranteeId::from_uuid)
        .map_err(|_| PortalError::NotFound)
}

/// The organisation's details, to change.
#[get("/grantees/{id}/edit")]
pub async fn edit_form(
    state: web::Data<AppState>,
    signed_in: SignedIn,
    path: web::Path<String>,
) -> PortalResult {
    signed_in.may(Action::ManageGrantees)?;
    let id = grantee_id(&path)?;
    let principal = signed_in.principal.clone();
    let found = blocking(move || state.db.read(|c| op::visible(c, &principal, id))).await?;
    let typed = typed_from(&found.value, found.version);
    html(&page(
        &signed_in,
        Some(&path),
        typed,
        FormErrors::default(),
        false,
    ))
}

/// Saves the changes, unless someone changed the organisation since the
/// form was read (then it says so, and shows the form again).
#[post("/grantees/{id}/edit")]
pub async fn edit(
    state: web::Data<AppState>,
    path: web::Path<String>,
    posted: Posted<Typed>,
) -> PortalResult {
    let Posted { signed_in, form } = posted;
    signed_in.may(Action::ManageGrantees)?;
    let id = grantee_id(&path)?;
    let refuse = |errors| {
        html_with_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &page(&signed_in, Some(&path), form.clone(), errors, false),
        )
    };
    let parsed = match parse(&form) {
        Ok(p) => p,
        Err(errors) => return refuse(errors),
    };
    let version = form
        .get("version")
        .and_then(|v| v.parse::<i64>().ok())
        .ok_or(PortalError::BadForm)?;
    let changes = GranteeChanges {
        name: Some(parsed.name),
        org_id: parsed.org_id,
        organisation_type: Some(parsed.organisation_type),
        region: Some(parsed.region),
        local_authority: Some(parsed.local_authority),
        postcode: Some(parsed.postcode),
        annual_income: Some(parsed.annual_income),
    };
    let principal = signed_in.principal.clone();
    let saved = {
        let state = state.clone();
        blocking(move || {
            state
                .db
                .write(|c| op::update(c, &principal, id, IfMatch::Version(version), changes))
        })
        .await
    };
    match saved {
        Ok(_) => Ok(see_other(&format!("/grantees/{id}"))),
        Err(ApiError::PreconditionFailed(_)) => refuse(FormErrors::one(
            "name",
            english().t("grantee-changed-meanwhile"),
        )),
        Err(e @ (ApiError::Unprocessable { .. } | ApiError::Duplicate { .. })) => {
            refuse(FormErrors::one("org_id", e.to_string()))
        }
        Err(e) => Err(e.into()),
    }
}
