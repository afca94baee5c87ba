//! Grant rounds: their window, allocation, grant range and eligibility.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use grantledger_domain::fund::FundStatus;
use grantledger_domain::ids::{FundId, RoundId};
use grantledger_domain::ledger::Transfer;
use grantledger_domain::round::{Eligibility, GrantRange, Round, RoundWindow};

use crate::audit;
use crate::common::{
    Actor, Page, PageRequest, Record, db_id, find_row, join_names, money, page_query, split_names,
    update_versioned,
};
use crate::connection::AnyConnection;
use crate::error::StoreError;
use crate::ledger::{self, Cause};
use crate::schema::{funds, round_designations, round_settings, rounds};
use crate::sql_types::{DbTime, DbUuid};

#[derive(Queryable, Selectable)]
#[diesel(table_name = rounds)]
struct RoundRow {
    id: DbUuid,
    fund_id: DbUuid,
    number: i32,
    name: String,
    opens_at: DbTime,
    closes_at: DbTime,
    allocation_pence: i64,
    min_grant_pence: i64,
    max_grant_pence: i64,
    eligible_types: String,
    max_annual_income_pence: Option<i64>,
    eligible_regions: String,
    version: i64,
    created_at: DbTime,
    updated_at: DbTime,
}

fn to_record(row: RoundRow, one_per_organisation: bool) -> Result<Record<Round>, StoreError> {
    let corrupt = |e: grantledger_domain::round::RoundError| StoreError::corrupt("round", e);
    let round = Round {
        id: RoundId::from_uuid(row.id.0),
        fund_id: FundId::from_uuid(row.fund_id.0),
        number: u16::try_from(row.number).map_err(|e| StoreError::corrupt("round number", e))?,
        name: row.name,
        window: RoundWindow::new(row.opens_at.0, row.closes_at.0).map_err(corrupt)?,
        allocation: money("round allocation", row.allocation_pence)?,
        grant_range: GrantRange::new(
            money("minimum grant", row.min_grant_pence)?,
            money("maximum grant", row.max_grant_pence)?,
        )
        .map_err(corrupt)?,
        eligibility: Eligibility {
            organisation_types: split_names("eligible organisation type", &row.eligible_types)?,
            max_annual_income: row
                .max_annual_income_pence
                .map(|p| money("maximum annual income", p))
                .transpose()?,
            regions: split_names("eligible region", &row.eligible_regions)?,
            one_application_per_organisation: one_per_organisation,
        },
    };
    Ok(Record {
        value: round,
        version: row.version,
        created_at: row.created_at.0,
        updated_at: row.updated_at.0,
    })
}

fn fund_status(conn: &mut AnyConnection, fund: FundId) -> Result<FundStatus, StoreError> {
    let status: String = funds::table
        .find(db_id(fund))
        .select(funds::status)
        .first(conn)
        .optional()?
        .ok_or(StoreError::NotFound { entity: "fund" })?;
    crate::common::parse("fund status", &status)
}

/// The next free round number in a fund.
pub fn next_number(conn: &mut AnyConnection, fund: FundId) -> Result<u16, StoreError> {
    let max: Option<i32> = rounds::table
        .filter(rounds::fund_id.eq(db_id(fund)))
        .select(diesel::dsl::max(rounds::number))
        .first(conn)?;
    u16::try_from(max.unwrap_or(0) + 1)
        .map_err(|_| StoreError::Conflict("a fund can have at most 65535 rounds".into()))
}

/// Records a new round and takes its allocation from the fund's unallocated
/// money in the same transaction; fails with a conflict if the fund's budget
/// cannot cover it or the fund is closed.
pub fn create(
    conn: &mut AnyConnection,
    round: &Round,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Record<Round>, StoreError> {
    insert(conn, round, actor, "round.created", now)
}

/// Records a round that has already run (historic data): as [`create`],
/// audited as `round.recorded_past` so that an auditor can find every round
/// set up after its deadline.
pub fn record_past(
    conn: &mut AnyConnection,
    round: &Round,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Record<Round>, StoreError> {
    insert(conn, round, actor, "round.recorded_past", now)
}

/// Every column of a round that its domain value sets and a save may
/// change; used by insert and update alike so the two cannot drift apart.
#[derive(Insertable, AsChangeset)]
#[diesel(table_name = rounds, treat_none_as_null = true)]
struct RoundFields<'a> {
    name: &'a str,
    opens_at: DbTime,
    closes_at: DbTime,
    allocation_pence: i64,
    min_grant_pence: i64,
    max_grant_pence: i64,
    eligible_types: String,
    #[diesel(treat_none_as_default_value = false)]
    max_annual_income_pence: Option<i64>,
    eligible_regions: String,
}

impl<'a> RoundFields<'a> {
    fn of(round: &'a Round) -> Self {
        RoundFields {
            name: &round.name,
            opens_at: DbTime::new(round.window.opens_at()),
            closes_at: DbTime::new(round.window.closes_at()),
            allocation_pence: round.allocation.pence(),
            min_grant_pence: round.grant_range.min().pence(),
            max_grant_pence: round.grant_range.max().pence(),
            eligible_types: join_names(&round.eligibility.organisation_types),
            max_annual_income_pence: round.eligibility.max_annual_income.map(|m| m.pence()),
            eligible_regions: join_names(&round.eligibility.regions),
        }
    }
}

fn insert(
    conn: &mut AnyConnection,
    round: &Round,
    actor: &Actor,
    action: &str,
    now: DateTime<Utc>,
) -> Result<Record<Round>, StoreError> {
    if fund_status(conn, round.fund_id)? == FundStatus::Closed {
        return Err(StoreError::Conflict(
            "the fund is closed: no new rounds can be added".into(),
        ));
    }
    let taken: i64 = rounds::table
        .filter(rounds::fund_id.eq(db_id(round.fund_id)))
        .filter(rounds::number.eq(i32::from(round.number)))
        .count()
        .get_result(conn)?;
    if taken > 0 {
        return Err(StoreError::Conflict(format!(
            "the fund already has a round {}",
            round.number
        )));
    }
    let at = DbTime::new(now);
    diesel::insert_into(rounds::table)
        .values((
            rounds::id.eq(db_id(round.id)),
            rounds::fund_id.eq(db_id(round.fund_id)),
            rounds::number.eq(i32::from(round.number)),
            RoundFields::of(round),
            rounds::version.eq(1_i64),
            rounds::created_at.eq(at),
            rounds::updated_at.eq(at),
        ))
        .execute(conn)?;
    crate::award_numbers::open(conn, round.id)?;
    write_settings(conn, round)?;
    let transfer = Transfer::round_allocation(round.fund_id, round.id, round.allocation)
        .map_err(|e| StoreError::Conflict(e.to_string()))?;
    ledger::post(
        conn,
        round.fund_id,
        &transfer,
        Cause {
            entity_type: "round",
            entity_id: round.id.into(),
        },
        now,
    )?;
    audit::record_change(
        conn,
        actor,
        action,
        "round",
        round.id,
        Some(round.fund_id),
        None,
        Some(round),
        now,
    )?;
    get(conn, round.id)
}

/// One round.
pub fn get(conn: &mut AnyConnection, id: RoundId) -> Result<Record<Round>, StoreError> {
    let row = find_row!(conn, rounds, RoundRow, db_id(id), "round")?;
    let one = round_settings::table
        .find(db_id(id))
        .select(round_settings::one_application_per_organisation)
        .first::<bool>(conn)
        .optional()?
        .unwrap_or(false);
    to_record(row, one)
}

/// The rounds among `ids` that take one application per organisation.
fn one_per_organisation(
    conn: &mut AnyConnection,
    ids: Vec<DbUuid>,
) -> Result<std::collections::HashSet<uuid::Uuid>, StoreError> {
    let rows: Vec<DbUuid> = round_settings::table
        .filter(round_settings::round_id.eq_any(ids))
        .filter(round_settings::one_application_per_organisation.eq(true))
        .select(round_settings::round_id)
        .load(conn)?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

/// Writes the rules kept beside the round's row.
fn write_settings(conn: &mut AnyConnection, round: &Round) -> Result<(), StoreError> {
    let one = round.eligibility.one_application_per_organisation;
    let changed = diesel::update(round_settings::table.find(db_id(round.id)))
        .set(round_settings::one_application_per_organisation.eq(one))
        .execute(conn)?;
    if changed == 0 {
        diesel::insert_into(round_settings::table)
            .values((
                round_settings::round_id.eq(db_id(round.id)),
                round_settings::one_application_per_organisation.eq(one),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Filters for listing rounds.
#[derive(Debug, Clone, Default)]
pub struct RoundFilter {
    /// Only rounds of this fund.
    pub fund_id: Option<FundId>,
    /// Only rounds open for applications at this instant.
    pub open_at: Option<DateTime<Utc>>,
}

/// A page of rounds, oldest first.
pub fn list(
    conn: &mut AnyConnection,
    filter: &RoundFilter,
    page: PageRequest,
) -> Result<Page<Record<Round>>, StoreError> {
    let mut query = page_query!(rounds, RoundRow, page);
    if let Some(fund) = filter.fund_id {
        query = query.filter(rounds::fund_id.eq(db_id(fund)));
    }
    if let Some(at) = filter.open_at {
        let at = DbTime::new(at);
        query = query
            .filter(rounds::opens_at.le(at))
            .filter(rounds::closes_at.gt(at));
    }
    let rows: Vec<RoundRow> = query.load(conn)?;
    let one = one_per_organisation(conn, rows.iter().map(|r| r.id).collect())?;
    page.finish_with(
        rows,
        |row| {
            let flag = one.contains(&row.id.0);
            to_record(row, flag)
        },
        |r| r.value.id.into(),
    )
}

/// Saves a changed round over the version it was read at. A changed
/// allocation moves money between the fund and the round in the same
/// transaction: raising it needs unallocated money in the fund, lowering it
/// needs that much still available (uncommitted) in the round.
pub fn save(
    conn: &mut AnyConnection,
    before: &Record<Round>,
    after: &Round,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Record<Round>, StoreError> {
    let id = before.value.id;
    update_versioned!(
        conn,
        rounds,
        db_id(id),
        before.version,
        "round",
        (
            RoundFields::of(after),
            rounds::updated_at.eq(DbTime::new(now)),
        ),
    )?;
    write_settings(conn, after)?;
    let delta = before.value.allocation.delta_to(after.allocation);
    if !delta.is_zero() {
        let transfer = Transfer::allocation_adjusted(after.fund_id, id, delta)
            .map_err(|e| StoreError::Conflict(e.to_string()))?;
        ledger::post(
            conn,
            after.fund_id,
            &transfer,
            Cause {
                entity_type: "round",
                entity_id: id.into(),
            },
            now,
        )?;
    }
    audit::record_change(
        conn,
        actor,
        "round.updated",
        "round",
        id,
        Some(after.fund_id),
        Some(&before.value),
        Some(after),
        now,
    )?;
    get(conn, id)
}

/// The funder a round is designated to (by the funder's name), if any: its
/// money counts wholly to that funder in the reconciliation's per-funder
/// figures (`grantledger_domain::reconciliation::funder_shares_designated`).
pub fn designated_funder(
    conn: &mut AnyConnection,
    id: RoundId,
) -> Result<Option<String>, StoreError> {
    Ok(round_designations::table
        .filter(round_designations::round_id.eq(db_id(id)))
        .select(round_designations::funder)
        .first(conn)
        .optional()?)
}

/// Designates a round to one of its fund's funders (by name), or to none
/// (`None`: the pooled budget). The caller checks the name is a funder of
/// the fund. A change bumps the round's version and records a
/// `round.funder_designated` event (entity type `round_designation`, so the
/// round summaries that past reconciliations rebuild are untouched).
pub fn designate_funder(
    conn: &mut AnyConnection,
    round: &Round,
    funder: Option<&str>,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let before = designated_funder(conn, round.id)?;
    if before.as_deref() == funder {
        return Ok(());
    }
    diesel::delete(
        round_designations::table.filter(round_designations::round_id.eq(db_id(round.id))),
    )
    .execute(conn)?;
    if let Some(funder) = funder {
        diesel::insert_into(round_designations::table)
            .values((
                round_designations::round_id.eq(db_id(round.id)),
                round_designations::funder.eq(funder),
            ))
            .execute(conn)?;
    }
    diesel::update(rounds::table.filter(rounds::id.eq(db_id(round.id))))
        .set((
            rounds::version.eq(rounds::version + 1),
            rounds::updated_at.eq(DbTime::new(now)),
        ))
        .execute(conn)?;
    audit::record_change(
        conn,
        actor,
        "round.funder_designated",
        "round_designation",
        round.id,
        Some(round.fund_id),
        Some(&serde_json::json!({ "designated_funder": before })),
        Some(&serde_json::json!({ "designated_funder": funder })),
        now,
    )?;
    Ok(())
}

/// A fund's rounds that are designated to a funder: (round number, funder).
pub fn designations(
    conn: &mut AnyConnection,
    fund: FundId,
) -> Result<Vec<(i32, String)>, StoreError> {
    Ok(round_designations::table
        .inner_join(rounds::table.on(rounds::id.eq(round_designations::round_id)))
        .filter(rounds::fund_id.eq(db_id(fund)))
        .order(rounds::number.asc())
        .select((rounds::number, round_designations::funder))
        .load(conn)?)
}
