//! Funds: set one up, read them with what is unallocated, change the name,
//! budget or funders (a budget change is a ledger transfer), open and close.

use chrono::Utc;
use grantledger_domain::Money;
use grantledger_domain::fund::{Fund, FundError, FundName, FundStatus, Funder};
use grantledger_domain::grantee::{CheckKind, distinct_kinds};
use grantledger_domain::ledger::Account;
use grantledger_store::common::{Actor, Page, PageRequest, Record};
use grantledger_store::{AnyConnection, funds, ledger, rounds};

use crate::error::ApiError;
use crate::http::IfMatch;

/// A fund with what is left of its budget for new rounds.
#[derive(Debug)]
pub struct FundState {
    /// The fund.
    pub record: Record<Fund>,
    /// Its budget not yet allocated to rounds.
    pub unallocated: Money,
}

/// Changes to a fund; `None` keeps what is there. `funders` replaces the
/// list.
#[derive(Debug, Clone, Default)]
pub struct FundChanges {
    /// A new name.
    pub name: Option<FundName>,
    /// A new budget (the funders' total when there are funders).
    pub budget: Option<Money>,
    /// A new list of funders.
    pub funders: Option<Vec<Funder>>,
    /// A new list of the due-diligence checks a tranche needs (repeats
    /// are dropped); an empty list requires none.
    pub required_checks: Option<Vec<CheckKind>>,
}

/// Names the field a refused fund gets wrong.
pub fn fund_error(error: FundError) -> ApiError {
    let field = match &error {
        FundError::ZeroContribution { .. } | FundError::DuplicateFunder { .. } => "funders",
        _ => "budget",
    };
    ApiError::invalid(field, error.to_string())
}

fn state_of(c: &mut AnyConnection, record: Record<Fund>) -> Result<FundState, ApiError> {
    let unallocated = ledger::balance(c, &Account::FundUnallocated(record.value.id))?;
    Ok(FundState {
        record,
        unallocated,
    })
}

/// Sets up a fund, its budget recorded on the ledger.
#[tracing::instrument(skip_all, fields(fund_id = %fund.id))]
pub fn create(c: &mut AnyConnection, actor: &Actor, fund: &Fund) -> Result<FundState, ApiError> {
    let record = funds::create(c, fund, actor, Utc::now())?;
    state_of(c, record)
}

/// A page of funds, optionally in one status.
#[tracing::instrument(skip_all, fields(status = ?status))]
pub fn list(
    c: &mut AnyConnection,
    status: Option<FundStatus>,
    page: PageRequest,
) -> Result<Page<FundState>, ApiError> {
    funds::list(c, &funds::FundFilter { status }, page)?.try_map(|record| state_of(c, record))
}

/// One fund, by its id or its code.
#[tracing::instrument(skip_all, fields(fund = %id_or_code))]
pub fn get(c: &mut AnyConnection, id_or_code: &str) -> Result<FundState, ApiError> {
    let record = funds::find(c, id_or_code)?;
    state_of(c, record)
}

/// Changes a fund read at the version in `if_match`. A round designated to
/// a funder keeps that funder in the list.
#[tracing::instrument(skip_all, fields(fund = %id_or_code))]
pub fn update(
    c: &mut AnyConnection,
    actor: &Actor,
    id_or_code: &str,
    if_match: IfMatch,
    changes: FundChanges,
) -> Result<FundState, ApiError> {
    let before = funds::find(c, id_or_code)?;
    if_match.check(&before, "fund")?;
    let current = &before.value;
    let id = current.id;
    let funders = changes.funders.unwrap_or_else(|| current.funders.clone());
    // Without funders the budget stands on its own; with them it is their total.
    let budget = changes
        .budget
        .or(funders.is_empty().then_some(current.budget));
    let name = changes.name.unwrap_or_else(|| current.name.clone());
    let mut after =
        Fund::new(id, current.code.clone(), name, budget, funders).map_err(fund_error)?;
    after.status = current.status;
    after.required_checks = changes
        .required_checks
        .map_or_else(|| current.required_checks.clone(), distinct_kinds);
    for (number, funder) in rounds::designations(c, id)? {
        if !after.funders.iter().any(|f| f.name.as_ref() == funder) {
            return Err(ApiError::invalid(
                "funders",
                format!(
                    "round {number} is designated to {funder:?}, which must stay a funder of the fund (designate the round to another funder, or to none, first)"
                ),
            ));
        }
    }
    let record = funds::save(c, &before, &after, "fund.updated", actor, Utc::now())?;
    state_of(c, record)
}

/// Opens a draft fund.
#[tracing::instrument(skip_all, fields(fund = %id_or_code))]
pub fn open(c: &mut AnyConnection, actor: &Actor, id_or_code: &str) -> Result<FundState, ApiError> {
    transition(c, actor, id_or_code, "fund.opened", Fund::open)
}

/// Closes an open fund.
#[tracing::instrument(skip_all, fields(fund = %id_or_code))]
pub fn close(
    c: &mut AnyConnection,
    actor: &Actor,
    id_or_code: &str,
) -> Result<FundState, ApiError> {
    transition(c, actor, id_or_code, "fund.closed", Fund::close)
}

fn transition(
    c: &mut AnyConnection,
    actor: &Actor,
    id_or_code: &str,
    action: &str,
    change: fn(&Fund) -> Result<Fund, grantledger_domain::TransitionError>,
) -> Result<FundState, ApiError> {
    let before = funds::find(c, id_or_code)?;
    let after = change(&before.value).map_err(ApiError::conflict_from)?;
    let record = funds::save(c, &before, &after, action, actor, Utc::now())?;
    state_of(c, record)
}
