//! Funds and their funders.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use grantledger_domain::fund::{Fund, FundName, FundStatus, Funder};
use grantledger_domain::grantee::{OrganisationName, join_kinds, split_kinds};
use grantledger_domain::ids::FundId;
use grantledger_domain::ledger::Transfer;
use grantledger_domain::org_id::OrgId;
use grantledger_domain::reference::FundCode;

use crate::audit;
use crate::common::{
    Actor, Page, PageRequest, Record, db_id, find_row, money, page_query, parse, update_versioned,
};
use crate::connection::AnyConnection;
use crate::error::StoreError;
use crate::ledger::{self, Cause};
use crate::schema::{funders, funds};
use crate::sql_types::{DbTime, DbUuid};

#[derive(Queryable, Selectable)]
#[diesel(table_name = funds)]
struct FundRow {
    id: DbUuid,
    code: String,
    name: String,
    budget_pence: i64,
    status: String,
    version: i64,
    created_at: DbTime,
    updated_at: DbTime,
    required_checks: String,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = funders)]
struct FunderRow {
    fund_id: DbUuid,
    position: i32,
    name: String,
    org_id: Option<String>,
    contribution_pence: i64,
}

fn to_funder(row: &FunderRow) -> Result<Funder, StoreError> {
    Ok(Funder {
        name: parse::<OrganisationName>("funder name", &row.name)?,
        org_id: row
            .org_id
            .as_deref()
            .map(|s| parse::<OrgId>("funder org id", s))
            .transpose()?,
        contribution: money("funder contribution", row.contribution_pence)?,
    })
}

fn to_record(row: FundRow, funder_rows: &[FunderRow]) -> Result<Record<Fund>, StoreError> {
    let mut ours: Vec<&FunderRow> = funder_rows.iter().filter(|f| f.fund_id == row.id).collect();
    ours.sort_by_key(|f| f.position);
    let fund = Fund {
        id: FundId::from_uuid(row.id.0),
        code: parse::<FundCode>("fund code", &row.code)?,
        name: parse::<FundName>("fund name", &row.name)?,
        budget: money("fund budget", row.budget_pence)?,
        funders: ours.into_iter().map(to_funder).collect::<Result<_, _>>()?,
        status: parse::<FundStatus>("fund status", &row.status)?,
        required_checks: split_kinds(&row.required_checks)
            .map_err(|e| StoreError::corrupt("fund required checks", e))?,
    };
    Ok(Record {
        value: fund,
        version: row.version,
        created_at: row.created_at.0,
        updated_at: row.updated_at.0,
    })
}

fn insert_funders(conn: &mut AnyConnection, fund: &Fund) -> Result<(), StoreError> {
    for (position, funder) in fund.funders.iter().enumerate() {
        let position =
            i32::try_from(position).map_err(|_| StoreError::Conflict("too many funders".into()))?;
        diesel::insert_into(funders::table)
            .values((
                funders::fund_id.eq(db_id(fund.id)),
                funders::position.eq(position),
                funders::name.eq(funder.name.as_str()),
                funders::org_id.eq(funder.org_id.as_ref().map(OrgId::as_str)),
                funders::contribution_pence.eq(funder.contribution.pence()),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Every column of a fund that its domain value sets and a save may change;
/// used by insert and update alike so the two cannot drift apart.
#[derive(Insertable, AsChangeset)]
#[diesel(table_name = funds, treat_none_as_null = true)]
struct FundFields<'a> {
    name: &'a str,
    budget_pence: i64,
    status: &'a str,
    required_checks: String,
}

impl<'a> FundFields<'a> {
    fn of(fund: &'a Fund) -> Self {
        FundFields {
            name: fund.name.as_str(),
            budget_pence: fund.budget.pence(),
            status: fund.status.as_str(),
            required_checks: join_kinds(&fund.required_checks),
        }
    }
}

/// Records a new fund, its funders, and its budget as a ledger transfer from
/// the funders into the fund's unallocated account, with an audit event.
pub fn create(
    conn: &mut AnyConnection,
    fund: &Fund,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Record<Fund>, StoreError> {
    let taken: i64 = funds::table
        .filter(funds::code.eq(fund.code.as_str()))
        .count()
        .get_result(conn)?;
    if taken > 0 {
        return Err(StoreError::Conflict(format!(
            "a fund with code {} already exists",
            fund.code
        )));
    }
    let at = DbTime::new(now);
    diesel::insert_into(funds::table)
        .values((
            funds::id.eq(db_id(fund.id)),
            funds::code.eq(fund.code.as_str()),
            FundFields::of(fund),
            funds::version.eq(1_i64),
            funds::created_at.eq(at),
            funds::updated_at.eq(at),
        ))
        .execute(conn)?;
    insert_funders(conn, fund)?;
    let transfer = Transfer::budget_recorded(fund.id, fund.budget)
        .map_err(|e| StoreError::Conflict(e.to_string()))?;
    ledger::post(
        conn,
        fund.id,
        &transfer,
        Cause {
            entity_type: "fund",
            entity_id: fund.id.into(),
        },
        now,
    )?;
    audit::record_change(
        conn,
        actor,
        "fund.created",
        "fund",
        fund.id,
        Some(fund.id),
        None,
        Some(fund),
        now,
    )?;
    get(conn, fund.id)
}

/// One fund.
pub fn get(conn: &mut AnyConnection, id: FundId) -> Result<Record<Fund>, StoreError> {
    let row = find_row!(conn, funds, FundRow, db_id(id), "fund")?;
    let funder_rows: Vec<FunderRow> = funders::table
        .filter(funders::fund_id.eq(db_id(id)))
        .select(FunderRow::as_select())
        .load(conn)?;
    to_record(row, &funder_rows)
}

/// A fund named by its id or its code (`LCF`), as operators type it.
pub fn find(conn: &mut AnyConnection, id_or_code: &str) -> Result<Record<Fund>, StoreError> {
    if let Ok(id) = id_or_code.parse::<uuid::Uuid>() {
        return get(conn, FundId::from_uuid(id));
    }
    let id: Option<DbUuid> = funds::table
        .filter(funds::code.eq(id_or_code.trim().to_uppercase()))
        .select(funds::id)
        .first(conn)
        .optional()?;
    match id {
        Some(id) => get(conn, FundId::from_uuid(id.0)),
        None => Err(StoreError::NotFound { entity: "fund" }),
    }
}

/// Filters for listing funds.
#[derive(Debug, Clone, Default)]
pub struct FundFilter {
    /// Only funds in this status.
    pub status: Option<FundStatus>,
}

/// A page of funds, oldest first.
pub fn list(
    conn: &mut AnyConnection,
    filter: &FundFilter,
    page: PageRequest,
) -> Result<Page<Record<Fund>>, StoreError> {
    let mut query = page_query!(funds, FundRow, page);
    if let Some(status) = filter.status {
        query = query.filter(funds::status.eq(status.as_str()));
    }
    let rows: Vec<FundRow> = query.load(conn)?;
    let ids: Vec<DbUuid> = rows.iter().map(|r| r.id).collect();
    let funder_rows: Vec<FunderRow> = funders::table
        .filter(funders::fund_id.eq_any(&ids))
        .select(FunderRow::as_select())
        .load(conn)?;
    page.finish_with(rows, |r| to_record(r, &funder_rows), |r| r.value.id.into())
}

/// Saves a changed fund over the version it was read at: the budget change
/// (if any) is a ledger transfer, and reducing the budget below what rounds
/// have taken fails, because the unallocated account cannot cover it.
pub fn save(
    conn: &mut AnyConnection,
    before: &Record<Fund>,
    after: &Fund,
    action: &str,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Record<Fund>, StoreError> {
    let id = before.value.id;
    update_versioned!(
        conn,
        funds,
        db_id(id),
        before.version,
        "fund",
        (
            FundFields::of(after),
            funds::updated_at.eq(DbTime::new(now)),
        ),
    )?;
    if before.value.funders != after.funders {
        diesel::delete(funders::table.filter(funders::fund_id.eq(db_id(id)))).execute(conn)?;
        insert_funders(conn, after)?;
    }
    let delta = before.value.budget.delta_to(after.budget);
    if !delta.is_zero() {
        let transfer = Transfer::budget_adjusted(id, delta)
            .map_err(|e| StoreError::Conflict(e.to_string()))?;
        ledger::post(
            conn,
            id,
            &transfer,
            Cause {
                entity_type: "fund",
                entity_id: id.into(),
            },
            now,
        )?;
    }
    audit::record_change(
        conn,
        actor,
        action,
        "fund",
        id,
        Some(id),
        Some(&before.value),
        Some(after),
        now,
    )?;
    get(conn, id)
}
