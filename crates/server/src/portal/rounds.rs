//! A round as a grantee sees it, and the eligibility check to take before
//! starting an application: the round's rules asked as questions, answered
//! from the organisation's record, every failed rule shown in words.

use actix_web::http::StatusCode;
use actix_web::{get, post, web};
use askama::Template;
use chrono::Utc;
use grantledger_domain::Money;
use grantledger_domain::grantee::{OrganisationType, Region};
use grantledger_domain::ids::RoundId;
use grantledger_domain::round::{Ineligibility, Round};
use serde::Deserialize;

use crate::http::blocking;
use crate::operations;
use crate::policy::Action;
use crate::portal::format::{instant, pounds};
use crate::portal::forms::FormErrors;
use crate::portal::messages::{Messages, english};
use crate::portal::page::{Chrome, PortalError, PortalResult, html, html_with_status};
use crate::portal::session::{Posted, SignedIn};
use crate::state::AppState;

/// A choice in a list of radios.
#[derive(Debug)]
pub struct Choice {
    /// The value posted.
    pub value: &'static str,
    /// What it says.
    pub label: String,
    /// Whether it is chosen.
    pub checked: bool,
}

#[derive(Template)]
#[template(path = "round.html")]
struct RoundPage {
    c: Chrome,
    id: String,
    name: String,
    fund: String,
    opens: String,
    closes: String,
    range: String,
    rules: Vec<String>,
    is_open: bool,
    reads_panel: bool,
    manages: bool,
}

#[derive(Template)]
#[template(path = "eligibility.html")]
struct EligibilityPage {
    c: Chrome,
    errors: FormErrors,
    id: String,
    name: String,
    types: Vec<Choice>,
    regions: Vec<Choice>,
    annual_income: String,
    amount: String,
}

#[derive(Template)]
#[template(path = "eligibility_result.html")]
struct EligibilityResult {
    c: Chrome,
    id: String,
    name: String,
    reasons: Vec<String>,
    is_open: bool,
}

/// The round's rules, in words.
fn rules(m: &Messages, round: &Round) -> Vec<String> {
    let e = &round.eligibility;
    let mut rules = vec![m.with(
        "rule-grant-range",
        &[
            ("min", &pounds(round.grant_range.min())),
            ("max", &pounds(round.grant_range.max())),
        ],
    )];
    if !e.organisation_types.is_empty() {
        let names: Vec<String> = e
            .organisation_types
            .iter()
            .map(|t| m.t(&format!("organisation-type-{t}")))
            .collect();
        rules.push(m.with("rule-types", &[("types", &names.join(", "))]));
    }
    if let Some(max) = e.max_annual_income {
        rules.push(m.with("rule-income", &[("max", &pounds(max))]));
    }
    if !e.regions.is_empty() {
        let names: Vec<String> = e
            .regions
            .iter()
            .map(|r| m.t(&format!("region-{r}")))
            .collect();
        rules.push(m.with("rule-regions", &[("regions", &names.join(", "))]));
    }
    rules
}

/// A failed rule, in words from the catalogue.
#[must_use]
pub fn reason(m: &Messages, r: &Ineligibility) -> String {
    match r {
        Ineligibility::AmountBelowMinimum { amount, min } => m.with(
            "ineligible-amount-below",
            &[("amount", &pounds(*amount)), ("min", &pounds(*min))],
        ),
        Ineligibility::AmountAboveMaximum { amount, max } => m.with(
            "ineligible-amount-above",
            &[("amount", &pounds(*amount)), ("max", &pounds(*max))],
        ),
        Ineligibility::OrganisationTypeNotEligible {
            organisation_type, ..
        } => m.with(
            "ineligible-type",
            &[(
                "type",
                &m.t(&format!("organisation-type-{organisation_type}")),
            )],
        ),
        Ineligibility::IncomeTooHigh { income, max } => m.with(
            "ineligible-income",
            &[("income", &pounds(*income)), ("max", &pounds(*max))],
        ),
        Ineligibility::RegionNotEligible { region, .. } => m.with(
            "ineligible-region",
            &[("region", &m.t(&format!("region-{region}")))],
        ),
        Ineligibility::AlreadyApplied => m.t("ineligible-already-applied"),
    }
}

fn round_id(raw: &str) -> Result<RoundId, PortalError> {
    raw.parse::<uuid::Uuid>()
        .map(RoundId::from_uuid)
        .map_err(|_| PortalError::NotFound)
}

/// The round's dates, grants and rules.
#[get("/rounds/{id}")]
pub async fn show(
    state: web::Data<AppState>,
    signed_in: SignedIn,
    path: web::Path<String>,
) -> PortalResult {
    let id = round_id(&path)?;
    signed_in.may(Action::ReadFunds)?;
    let (round, fund) = blocking(move || {
        state.db.read(|c| {
            let round = operations::rounds::get(c, id)?.record.value;
            let fund = operations::funds::get(c, &round.fund_id.to_string())?;
            Ok((round, fund.record.value.name.to_string()))
        })
    })
    .await?;
    let m = english();
    html(&RoundPage {
        c: Chrome::signed_in(&signed_in, "home"),
        id: round.id.to_string(),
        fund,
        opens: instant(round.window.opens_at()),
        closes: instant(round.window.closes_at()),
        range: m.with(
            "grant-range",
            &[
                ("min", &pounds(round.grant_range.min())),
                ("max", &pounds(round.grant_range.max())),
            ],
        ),
        rules: rules(m, &round),
        is_open: round.window.is_open_at(Utc::now()),
        reads_panel: signed_in.can(Action::ReadPanels),
        manages: signed_in.can(Action::ManageFunds),
        name: round.name,
    })
}

fn type_choices(m: &Messages, chosen: &str) -> Vec<Choice> {
    OrganisationType::ALL
        .iter()
        .map(|t| Choice {
            value: t.as_str(),
            label: m.t(&format!("organisation-type-{t}")),
            checked: t.as_str() == chosen,
        })
        .collect()
}

fn region_choices(m: &Messages, chosen: &str) -> Vec<Choice> {
    Region::ALL
        .iter()
        .map(|r| Choice {
            value: r.as_str(),
            label: m.t(&format!("region-{r}")),
            checked: r.as_str() == chosen,
        })
        .collect()
}

/// The round, and the signed-in grantee's organisation as the fund holds
/// it: what the eligibility check asks about.
async fn round_and_organisation(
    state: &web::Data<AppState>,
    signed_in: &SignedIn,
    path: &str,
) -> Result<(Round, grantledger_domain::grantee::Grantee), PortalError> {
    let id = round_id(path)?;
    signed_in.may(Action::Apply)?;
    let principal = signed_in.principal.clone();
    let grantee_id = principal
        .grantee_id
        .ok_or_else(|| PortalError::Forbidden(english().t("grantee-only")))?;
    let state = state.clone();
    Ok(blocking(move || {
        state.db.read(|c| {
            let round = operations::rounds::get(c, id)?.record.value;
            let grantee = operations::grantees::visible(c, &principal, grantee_id)?.value;
            Ok((round, grantee))
        })
    })
    .await?)
}

/// The eligibility questions, answered from the organisation's record.
#[get("/rounds/{id}/eligibility")]
pub async fn questions(
    state: web::Data<AppState>,
    signed_in: SignedIn,
    path: web::Path<String>,
) -> PortalResult {
    let (round, grantee) = round_and_organisation(&state, &signed_in, &path).await?;
    let m = english();
    html(&EligibilityPage {
        c: Chrome::signed_in(&signed_in, "home"),
        errors: FormErrors::default(),
        id: round.id.to_string(),
        name: round.name,
        types: type_choices(m, grantee.organisation_type.as_str()),
        regions: region_choices(m, grantee.region.as_str()),
        annual_income: grantee.annual_income.to_string(),
        amount: String::new(),
    })
}

/// The answers to the eligibility questions.
#[derive(Debug, Deserialize)]
pub struct Answers {
    #[serde(default)]
    organisation_type: String,
    #[serde(default)]
    region: String,
    #[serde(default)]
    annual_income: String,
    #[serde(default)]
    amount_requested: String,
}

/// Checks the answers against the round's rules.
#[post("/rounds/{id}/eligibility")]
pub async fn check(
    state: web::Data<AppState>,
    posted: Posted<Answers>,
    path: web::Path<String>,
) -> PortalResult {
    let Posted { signed_in, form } = posted;
    let (round, grantee) = round_and_organisation(&state, &signed_in, &path).await?;
    let m = english();
    let mut errors = FormErrors::default();
    let organisation_type = form.organisation_type.parse::<OrganisationType>().ok();
    if organisation_type.is_none() {
        errors.add("organisation_type", m.t("eligibility-type-missing"));
    }
    let region = form.region.parse::<Region>().ok();
    if region.is_none() {
        errors.add("region", m.t("eligibility-region-missing"));
    }
    let income = money_answer(&mut errors, m, "annual_income", &form.annual_income);
    let amount = money_answer(&mut errors, m, "amount_requested", &form.amount_requested);
    let (Some(organisation_type), Some(region), Some(income), Some(amount)) =
        (organisation_type, region, income, amount)
    else {
        return html_with_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &EligibilityPage {
                c: Chrome::signed_in(&signed_in, "home"),
                errors,
                id: round.id.to_string(),
                name: round.name,
                types: type_choices(m, &form.organisation_type),
                regions: region_choices(m, &form.region),
                annual_income: form.annual_income,
                amount: form.amount_requested,
            },
        );
    };
    let mut answered = grantee;
    answered.organisation_type = organisation_type;
    answered.region = region;
    answered.annual_income = income;
    let reasons = round
        .check_eligibility(&answered, amount)
        .err()
        .unwrap_or_default()
        .iter()
        .map(|r| reason(m, r))
        .collect();
    html(&EligibilityResult {
        c: Chrome::signed_in(&signed_in, "home"),
        id: round.id.to_string(),
        is_open: round.window.is_open_at(Utc::now()),
        name: round.name,
        reasons,
    })
}

/// Reads an amount of money typed into a form, adding an error naming the
/// field when it is missing or not money.
pub fn money_answer(
    errors: &mut FormErrors,
    m: &Messages,
    field: &str,
    typed: &str,
) -> Option<Money> {
    let typed = typed.trim();
    if typed.is_empty() {
        errors.add(field, m.t(&format!("{field}-missing")));
        return None;
    }
    match Money::parse_typed(typed) {
        Ok(money) => Some(money),
        Err(e) => {
            errors.add(
                field,
                m.with("money-invalid", &[("reason", &e.to_string())]),
            );
            None
        }
    }
}
