//! Grant rounds: add one to a fund (its allocation taken from the fund's
//! budget), read them, and change them (money moves with the allocation).

use chrono::{DateTime, Utc};
use grantledger_domain::Money;
use grantledger_domain::fund::Fund;
use grantledger_domain::ids::RoundId;
use grantledger_domain::ledger::Account;
use grantledger_domain::round::{Eligibility, GrantRange, Round, RoundError, RoundWindow};
use grantledger_store::common::{Actor, Page, PageRequest, Record};
use grantledger_store::{AnyConnection, funds, ledger, rounds};

use crate::error::ApiError;
use crate::http::{Fields, IfMatch};

/// A round to add to a fund.
#[derive(Debug, Clone)]
pub struct NewRound {
    /// The fund's id or code.
    pub fund: String,
    /// Its number in the fund; the next free one when absent.
    pub number: Option<u16>,
    /// Its name.
    pub name: String,
    /// When applications open and close.
    pub window: RoundWindow,
    /// The money set aside for it.
    pub allocation: Money,
    /// The smallest and largest grant.
    pub range: GrantRange,
    /// Who may apply.
    pub eligibility: Eligibility,
    /// The funder it is designated to, by the name the fund lists.
    pub funder: Option<String>,
    /// A round that has already run, recorded after the fact.
    pub records_past_round: bool,
}

/// Changes to a round; `None` keeps what is there. `funder` is
/// `Some(None)` to return the round to the pooled budget.
#[derive(Debug, Clone, Default)]
pub struct RoundChanges {
    /// A new name.
    pub name: Option<String>,
    /// A new opening instant.
    pub opens_at: Option<DateTime<Utc>>,
    /// A new closing instant.
    pub closes_at: Option<DateTime<Utc>>,
    /// A new allocation.
    pub allocation: Option<Money>,
    /// A new smallest grant.
    pub min_grant: Option<Money>,
    /// A new largest grant.
    pub max_grant: Option<Money>,
    /// New eligibility rules.
    pub eligibility: Option<Eligibility>,
    /// A new designation.
    pub funder: Option<Option<String>>,
}

/// A round with what is left of its allocation and its designated funder.
#[derive(Debug)]
pub struct RoundState {
    /// The round.
    pub record: Record<Round>,
    /// Its allocation not yet committed to awards.
    pub available: Money,
    /// The funder it is designated to, if any.
    pub funder: Option<String>,
}

/// Names the field a refused round gets wrong.
pub fn round_error(error: RoundError) -> ApiError {
    let field = match &error {
        RoundError::WindowInverted { .. } | RoundError::WhollyInPast { .. } => "closes_at",
        RoundError::ZeroMinimumGrant | RoundError::MinimumAboveMaximum { .. } => "min_grant",
        RoundError::MaximumAboveAllocation { .. } => "max_grant",
        RoundError::ZeroAllocation => "allocation",
        RoundError::NumberZero => "number",
        RoundError::Name(_) => "name",
    };
    ApiError::invalid(field, error.to_string())
}

/// The fund's funder named `name` (as the fund lists it), or a 422 naming
/// `funder`.
fn fund_funder(fund: &Fund, name: &str) -> Result<String, ApiError> {
    let name = name.trim();
    if let Some(f) = fund.funders.iter().find(|f| f.name.as_ref() == name) {
        return Ok(f.name.as_ref().to_owned());
    }
    let detail = if fund.funders.is_empty() {
        format!(
            "fund {} lists no funders, so a round cannot be designated to one",
            fund.code
        )
    } else {
        let names: Vec<&str> = fund.funders.iter().map(|f| f.name.as_ref()).collect();
        format!(
            "{name:?} is not a funder of fund {}; its funders are: {}",
            fund.code,
            names.join(", ")
        )
    };
    Err(ApiError::invalid("funder", detail))
}

fn state_of(c: &mut AnyConnection, record: Record<Round>) -> Result<RoundState, ApiError> {
    let id = record.value.id;
    Ok(RoundState {
        available: ledger::balance(c, &Account::RoundAvailable(id))?,
        funder: rounds::designated_funder(c, id)?,
        record,
    })
}

/// Adds a round to a fund, taking its allocation from the fund's budget
/// (409 when the budget cannot cover it).
#[tracing::instrument(skip_all, fields(fund = %input.fund))]
pub fn create(
    c: &mut AnyConnection,
    actor: &Actor,
    input: NewRound,
) -> Result<RoundState, ApiError> {
    let fund = funds::find(c, &input.fund)?.value;
    let funder = input
        .funder
        .as_deref()
        .map(|name| fund_funder(&fund, name))
        .transpose()?;
    let number = match input.number {
        Some(n) => n,
        None => rounds::next_number(c, fund.id)?,
    };
    let round = Round::new(
        RoundId::new(),
        fund.id,
        number,
        &input.name,
        input.window,
        input.allocation,
        input.range,
        input.eligibility,
    )
    .map_err(round_error)?;
    let now = Utc::now();
    let mut record = if input.records_past_round {
        rounds::record_past(c, &round, actor, now)?
    } else {
        rounds::create(c, &round, actor, now)?
    };
    if let Some(name) = &funder {
        rounds::designate_funder(c, &round, Some(name), actor, now)?;
        record = rounds::get(c, round.id)?;
    }
    state_of(c, record)
}

/// A page of a fund's rounds; with `open_at`, only those open then.
#[tracing::instrument(skip_all, fields(fund = %fund))]
pub fn list(
    c: &mut AnyConnection,
    fund: &str,
    open_at: Option<DateTime<Utc>>,
    page: PageRequest,
) -> Result<Page<RoundState>, ApiError> {
    let fund_id = funds::find(c, fund)?.value.id;
    let filter = rounds::RoundFilter {
        fund_id: Some(fund_id),
        open_at,
    };
    rounds::list(c, &filter, page)?.try_map(|record| state_of(c, record))
}

/// One round.
#[tracing::instrument(skip_all, fields(round_id = %id))]
pub fn get(c: &mut AnyConnection, id: RoundId) -> Result<RoundState, ApiError> {
    let record = rounds::get(c, id)?;
    state_of(c, record)
}

/// Changes a round read at the version in `if_match`. A changed
/// allocation moves money between the fund and the round; it cannot drop
/// below what is committed.
#[tracing::instrument(skip_all, fields(round_id = %id))]
pub fn update(
    c: &mut AnyConnection,
    actor: &Actor,
    id: RoundId,
    if_match: IfMatch,
    changes: RoundChanges,
) -> Result<RoundState, ApiError> {
    let before = rounds::get(c, id)?;
    if_match.check(&before, "round")?;
    let cur = &before.value;
    let mut fields = Fields::default();
    let window = fields.take(
        "closes_at",
        RoundWindow::new(
            changes.opens_at.unwrap_or_else(|| cur.window.opens_at()),
            changes.closes_at.unwrap_or_else(|| cur.window.closes_at()),
        ),
    );
    let range = fields.take(
        "min_grant",
        GrantRange::new(
            changes.min_grant.unwrap_or_else(|| cur.grant_range.min()),
            changes.max_grant.unwrap_or_else(|| cur.grant_range.max()),
        ),
    );
    let (Some(window), Some(range)) = (window, range) else {
        return Err(fields.error());
    };
    let after = Round::new(
        id,
        cur.fund_id,
        cur.number,
        changes.name.as_deref().unwrap_or(&cur.name),
        window,
        changes.allocation.unwrap_or(cur.allocation),
        range,
        changes
            .eligibility
            .unwrap_or_else(|| cur.eligibility.clone()),
    )
    .map_err(round_error)?;
    let funder = match changes.funder {
        None => None,
        Some(None) => Some(None),
        Some(Some(name)) => {
            let fund = funds::get(c, cur.fund_id)?.value;
            Some(Some(fund_funder(&fund, &name)?))
        }
    };
    let now = Utc::now();
    let mut record = rounds::save(c, &before, &after, actor, now)?;
    if let Some(funder) = &funder {
        rounds::designate_funder(c, &after, funder.as_deref(), actor, now)?;
        record = rounds::get(c, id)?;
    }
    state_of(c, record)
}

/// A page of the rounds open for applications at `now`, across all funds
/// (what a grantee's dashboard offers).
pub fn open_now(
    c: &mut AnyConnection,
    now: DateTime<Utc>,
    page: PageRequest,
) -> Result<Page<RoundState>, ApiError> {
    let filter = rounds::RoundFilter {
        fund_id: None,
        open_at: Some(now),
    };
    let page = rounds::list(c, &filter, page)?;
    let items = page
        .items
        .into_iter()
        .map(|record| state_of(c, record))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Page {
        items,
        next: page.next,
    })
}
