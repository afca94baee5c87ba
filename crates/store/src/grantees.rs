//! Grantee organisations.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use grantledger_domain::grantee::{
    DueDiligence, DueDiligenceStatus, Grantee, Likeness, LocalAuthority, NameKey, NameSearch,
    OrganisationName, OrganisationType, Postcode, Region,
};
use grantledger_domain::ids::{GranteeId, UserId};
use grantledger_domain::org_id::OrgId;

use crate::audit::{self, NewEvent};
use crate::common::{
    Actor, Page, PageRequest, Record, db_id, find_row, money, page_query, parse, update_versioned,
};
use crate::connection::AnyConnection;
use crate::error::StoreError;
use crate::schema::grantees;
use crate::sql_types::{DbTime, DbUuid};

#[derive(Queryable, Selectable)]
#[diesel(table_name = grantees)]
pub(crate) struct GranteeRow {
    id: DbUuid,
    name: String,
    org_id: Option<String>,
    organisation_type: String,
    region: String,
    local_authority: String,
    postcode: String,
    annual_income_pence: i64,
    due_diligence: String,
    due_diligence_by: Option<DbUuid>,
    due_diligence_at: Option<DbTime>,
    version: i64,
    created_at: DbTime,
    updated_at: DbTime,
}

pub(crate) fn to_record(row: GranteeRow) -> Result<Record<Grantee>, StoreError> {
    let grantee = Grantee {
        id: GranteeId::from_uuid(row.id.0),
        name: parse::<OrganisationName>("grantee name", &row.name)?,
        org_id: row
            .org_id
            .as_deref()
            .map(|s| parse::<OrgId>("grantee org id", s))
            .transpose()?,
        organisation_type: parse::<OrganisationType>("organisation type", &row.organisation_type)?,
        region: parse::<Region>("region", &row.region)?,
        local_authority: parse::<LocalAuthority>("local authority", &row.local_authority)?,
        postcode: parse::<Postcode>("postcode", &row.postcode)?,
        annual_income: money("annual income", row.annual_income_pence)?,
        due_diligence: DueDiligence {
            status: parse::<DueDiligenceStatus>("due diligence status", &row.due_diligence)?,
            decided_by: row.due_diligence_by.map(|u| UserId::from_uuid(u.0)),
            decided_at: row.due_diligence_at.map(|t| t.0),
        },
    };
    Ok(Record {
        value: grantee,
        version: row.version,
        created_at: row.created_at.0,
        updated_at: row.updated_at.0,
    })
}

fn check_org_id_free(conn: &mut AnyConnection, grantee: &Grantee) -> Result<(), StoreError> {
    if let Some(org_id) = &grantee.org_id {
        let holder: Option<DbUuid> = grantees::table
            .filter(grantees::org_id.eq(org_id.as_str()))
            .select(grantees::id)
            .first(conn)
            .optional()?;
        if let Some(holder) = holder.filter(|h| h.0 != grantee.id.as_uuid()) {
            return Err(StoreError::Conflict(format!(
                "a grantee with org id {org_id} is already registered: grantee {}",
                holder.0
            )));
        }
    }
    Ok(())
}

/// Every column a grantee's domain value sets; used by insert and update
/// alike so the two cannot drift apart.
#[derive(Insertable, AsChangeset)]
#[diesel(table_name = grantees, treat_none_as_null = true)]
struct GranteeFields<'a> {
    name: &'a str,
    org_id: Option<&'a str>,
    organisation_type: &'a str,
    region: &'a str,
    local_authority: &'a str,
    postcode: &'a str,
    annual_income_pence: i64,
    due_diligence: &'a str,
    due_diligence_by: Option<DbUuid>,
    due_diligence_at: Option<DbTime>,
    /// The name as a search compares it ([`NameKey::compact`]).
    name_key: String,
    /// The local authority as a search compares it.
    local_authority_key: String,
}

impl<'a> GranteeFields<'a> {
    fn of(g: &'a Grantee) -> Self {
        GranteeFields {
            name: g.name.as_str(),
            org_id: g.org_id.as_ref().map(OrgId::as_str),
            organisation_type: g.organisation_type.as_str(),
            region: g.region.as_str(),
            local_authority: g.local_authority.as_str(),
            postcode: g.postcode.as_str(),
            annual_income_pence: g.annual_income.pence(),
            due_diligence: g.due_diligence.status.as_str(),
            due_diligence_by: g.due_diligence.decided_by.map(db_id),
            due_diligence_at: g.due_diligence.decided_at.map(DbTime::new),
            name_key: NameKey::of(&g.name).compact(),
            local_authority_key: g.local_authority.search_key(),
        }
    }
}

/// Registers a grantee organisation.
pub fn create(
    conn: &mut AnyConnection,
    grantee: &Grantee,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Record<Grantee>, StoreError> {
    check_org_id_free(conn, grantee)?;
    let at = DbTime::new(now);
    diesel::insert_into(grantees::table)
        .values((
            grantees::id.eq(db_id(grantee.id)),
            GranteeFields::of(grantee),
            grantees::version.eq(1_i64),
            grantees::created_at.eq(at),
            grantees::updated_at.eq(at),
        ))
        .execute(conn)?;
    audit::record_change(
        conn,
        actor,
        "grantee.created",
        "grantee",
        grantee.id,
        None,
        None,
        Some(grantee),
        now,
    )?;
    get(conn, grantee.id)
}

/// How many rows one batched insert carries: well under SQLite's and
/// PostgreSQL's limits on bound parameters (16 columns a grantee row).
const INSERT_BATCH: usize = 1_000;

/// Registers many grantees at once, as [`create`] does one: a few batched
/// inserts and one `grantee.created` audit event each. The caller has
/// matched them against the grantees held (see [`all`]); an org id held
/// already is refused by the database's unique index.
pub fn create_many(
    conn: &mut AnyConnection,
    new: &[Grantee],
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let at = DbTime::new(now);
    for chunk in new.chunks(INSERT_BATCH) {
        let rows: Vec<_> = chunk
            .iter()
            .map(|g| {
                (
                    grantees::id.eq(db_id(g.id)),
                    GranteeFields::of(g),
                    grantees::version.eq(1_i64),
                    grantees::created_at.eq(at),
                    grantees::updated_at.eq(at),
                )
            })
            .collect();
        crate::connection::insert_batch!(conn, grantees::table, &rows)?;
        audit::append_many(
            conn,
            chunk.iter().map(|g| {
                NewEvent::change(
                    actor,
                    "grantee.created",
                    "grantee",
                    g.id,
                    None,
                    None,
                    Some(g),
                )
            }),
            now,
        )?;
    }
    Ok(())
}

/// Every grantee held, oldest first: an import matches a whole file
/// against them in memory rather than asking once a row.
pub fn all(conn: &mut AnyConnection) -> Result<Vec<Record<Grantee>>, StoreError> {
    let rows: Vec<GranteeRow> = grantees::table
        .select(GranteeRow::as_select())
        .order(grantees::id.asc())
        .load(conn)?;
    rows.into_iter().map(to_record).collect()
}

/// Grantees with awards (of `fund`, or of any fund) whose stored org id
/// is not a valid one: an export checks these before writing its first
/// byte, so a bad id is a clear refusal rather than a file cut off midway.
pub fn invalid_org_ids(
    conn: &mut AnyConnection,
    fund: Option<grantledger_domain::ids::FundId>,
) -> Result<Vec<(GranteeId, String)>, StoreError> {
    use crate::schema::awards;
    let mut query = grantees::table
        .inner_join(awards::table.on(awards::grantee_id.eq(grantees::id)))
        .filter(grantees::org_id.is_not_null())
        .select((grantees::id, grantees::org_id))
        .distinct()
        .into_boxed();
    if let Some(fund) = fund {
        query = query.filter(awards::fund_id.eq(db_id(fund)));
    }
    let held: Vec<(DbUuid, Option<String>)> = query.load(conn)?;
    Ok(held
        .into_iter()
        .filter_map(|(id, org_id)| {
            let org_id = org_id?;
            org_id
                .parse::<OrgId>()
                .is_err()
                .then(|| (GranteeId::from_uuid(id.0), org_id))
        })
        .collect())
}

/// One grantee.
pub fn get(conn: &mut AnyConnection, id: GranteeId) -> Result<Record<Grantee>, StoreError> {
    let row = find_row!(conn, grantees, GranteeRow, db_id(id), "grantee")?;
    to_record(row)
}

/// The names of `ids` (those that exist), in one query.
pub fn names_of(
    conn: &mut AnyConnection,
    ids: &[GranteeId],
) -> Result<std::collections::HashMap<GranteeId, OrganisationName>, StoreError> {
    let rows: Vec<(DbUuid, String)> = grantees::table
        .filter(grantees::id.eq_any(ids.iter().map(|g| db_id(*g))))
        .select((grantees::id, grantees::name))
        .load(conn)?;
    rows.into_iter()
        .map(|(id, name)| {
            Ok((
                GranteeId::from_uuid(id.0),
                parse::<OrganisationName>("grantee name", &name)?,
            ))
        })
        .collect()
}

/// Filters for listing grantees.
#[derive(Debug, Clone, Default)]
pub struct GranteeFilter {
    /// Only grantees in this region.
    pub region: Option<Region>,
    /// Only grantees of this type.
    pub organisation_type: Option<OrganisationType>,
    /// Only grantees whose due diligence is in this state.
    pub due_diligence: Option<DueDiligenceStatus>,
    /// Only this grantee (a grantee user sees its own organisation only).
    pub only: Option<GranteeId>,
    /// Only grantees whose name this finds (by prefix of the name's key).
    pub name: Option<NameSearch>,
    /// Only the grantee with this org id.
    pub org_id: Option<OrgId>,
    /// Only grantees at this postcode.
    pub postcode: Option<Postcode>,
    /// Only grantees in this local authority, compared without case.
    pub local_authority: Option<LocalAuthority>,
}

/// A page of grantees, oldest first.
pub fn list(
    conn: &mut AnyConnection,
    filter: &GranteeFilter,
    page: PageRequest,
) -> Result<Page<Record<Grantee>>, StoreError> {
    let mut query = page_query!(grantees, GranteeRow, page);
    if let Some(region) = filter.region {
        query = query.filter(grantees::region.eq(region.as_str()));
    }
    if let Some(kind) = filter.organisation_type {
        query = query.filter(grantees::organisation_type.eq(kind.as_str()));
    }
    if let Some(dd) = filter.due_diligence {
        query = query.filter(grantees::due_diligence.eq(dd.as_str()));
    }
    if let Some(only) = filter.only {
        query = query.filter(grantees::id.eq(db_id(only)));
    }
    if let Some(name) = &filter.name {
        // Each range is one index range scan on `grantees_name_key`; two
        // are OR-ed (PostgreSQL's BitmapOr, SQLite's MULTI-INDEX OR).
        let in_range = |r: &grantledger_domain::grantee::KeyRange| {
            grantees::name_key
                .ge(r.from.clone())
                .and(grantees::name_key.lt(r.to.clone()))
        };
        match name.ranges().as_slice() {
            [one] => query = query.filter(in_range(one)),
            [one, two] => query = query.filter(in_range(one).or(in_range(two))),
            // A search always has a key, so at least one range.
            _ => query = query.filter(grantees::id.ne(grantees::id)),
        }
    }
    if let Some(org_id) = &filter.org_id {
        query = query.filter(grantees::org_id.eq(org_id.as_str().to_owned()));
    }
    if let Some(postcode) = &filter.postcode {
        query = query.filter(grantees::postcode.eq(postcode.as_str().to_owned()));
    }
    if let Some(authority) = &filter.local_authority {
        query = query.filter(grantees::local_authority_key.eq(authority.search_key()));
    }
    let rows: Vec<GranteeRow> = query.load(conn)?;
    page.finish_with(rows, to_record, |r| r.value.id.into())
}

/// Saves a changed grantee over the version it was read at.
pub fn save(
    conn: &mut AnyConnection,
    before: &Record<Grantee>,
    after: &Grantee,
    action: &str,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Record<Grantee>, StoreError> {
    check_org_id_free(conn, after)?;
    let id = before.value.id;
    update_versioned!(
        conn,
        grantees,
        db_id(id),
        before.version,
        "grantee",
        (
            GranteeFields::of(after),
            grantees::updated_at.eq(DbTime::new(now)),
        ),
    )?;
    audit::record_change(
        conn,
        actor,
        action,
        "grantee",
        id,
        None,
        Some(&before.value),
        Some(after),
        now,
    )?;
    get(conn, id)
}

/// The grantee an import row stands for: the one with its org id, or else
/// one with the same name and postcode that no org id tells apart (so a
/// file that adds an org id updates the record it was missing from).
pub fn find_same(
    conn: &mut AnyConnection,
    grantee: &Grantee,
) -> Result<Option<Record<Grantee>>, StoreError> {
    Ok(likely_same(conn, grantee)?.map(|(record, _)| record))
}

/// A grantee already registered that `grantee` is likely the same
/// organisation as, and why (see [`Grantee::likeness_to`]): the same org id
/// first, else the same name and postcode.
pub fn likely_same(
    conn: &mut AnyConnection,
    grantee: &Grantee,
) -> Result<Option<(Record<Grantee>, Likeness)>, StoreError> {
    if let Some(org_id) = &grantee.org_id {
        let row: Option<GranteeRow> = grantees::table
            .filter(grantees::org_id.eq(org_id.as_str()))
            .filter(grantees::id.ne(db_id(grantee.id)))
            .select(GranteeRow::as_select())
            .first(conn)
            .optional()?;
        if let Some(row) = row {
            return Ok(Some((to_record(row)?, Likeness::SameOrgId)));
        }
    }
    let rows: Vec<GranteeRow> = grantees::table
        .filter(grantees::postcode.eq(grantee.postcode.as_str()))
        .filter(grantees::id.ne(db_id(grantee.id)))
        .order(grantees::id.asc())
        .select(GranteeRow::as_select())
        .load(conn)?;
    for row in rows {
        let record = to_record(row)?;
        if let Some(likeness) = grantee.likeness_to(&record.value) {
            return Ok(Some((record, likeness)));
        }
    }
    Ok(None)
}

/// Fills in the search keys of grantees stored before they were kept
/// (migration `2026-12-05-000130_grantee_search`), computing them in Rust
/// as every insert and update does; returns how many rows it filled. A row
/// whose name or local authority no longer parses is left for `get` to
/// report.
pub fn backfill_search_keys(conn: &mut AnyConnection) -> Result<usize, StoreError> {
    conn.transaction(|conn| {
        let rows: Vec<(DbUuid, String, String)> = grantees::table
            .filter(
                grantees::name_key
                    .is_null()
                    .or(grantees::local_authority_key.is_null()),
            )
            .select((grantees::id, grantees::name, grantees::local_authority))
            .load(conn)?;
        let mut filled = 0;
        for (id, name, authority) in rows {
            let (Ok(name), Ok(authority)) = (
                OrganisationName::parse(&name),
                LocalAuthority::parse(&authority),
            ) else {
                continue;
            };
            diesel::update(grantees::table.find(id))
                .set((
                    grantees::name_key.eq(NameKey::of(&name).compact()),
                    grantees::local_authority_key.eq(authority.search_key()),
                ))
                .execute(conn)?;
            filled += 1;
        }
        Ok(filled)
    })
}
