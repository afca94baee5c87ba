//! People who sign in.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use grantledger_domain::ids::{GranteeId, UserId};
use grantledger_domain::user::{Email, Role, User};

use crate::audit;
use crate::common::{
    Actor, Page, PageRequest, Record, db_id, find_row, page_query, parse, update_versioned,
};
use crate::connection::AnyConnection;
use crate::error::StoreError;
use crate::schema::users;
use crate::sql_types::{DbTime, DbUuid};

#[derive(Queryable, Selectable)]
#[diesel(table_name = users)]
pub(crate) struct UserRow {
    id: DbUuid,
    email: String,
    password_hash: String,
    role: String,
    grantee_id: Option<DbUuid>,
    disabled: bool,
    version: i64,
    created_at: DbTime,
    updated_at: DbTime,
    owner: bool,
    credentials_version: i64,
}

pub(crate) fn to_record(row: UserRow) -> Result<(Record<User>, String), StoreError> {
    let user = User {
        id: UserId::from_uuid(row.id.0),
        email: Email::parse(&row.email).map_err(|e| StoreError::corrupt("user email", e))?,
        role: parse::<Role>("user role", &row.role)?,
        grantee_id: row.grantee_id.map(|g| GranteeId::from_uuid(g.0)),
        disabled: row.disabled,
        owner: row.owner,
        credentials_version: row.credentials_version,
    };
    let record = Record {
        value: user,
        version: row.version,
        created_at: row.created_at.0,
        updated_at: row.updated_at.0,
    };
    Ok((record, row.password_hash))
}

/// Every column of a user that its domain value sets and a save may change
/// (the password hash has its own update); used by insert and update alike
/// so the two cannot drift apart.
#[derive(Insertable, AsChangeset)]
#[diesel(table_name = users, treat_none_as_null = true)]
struct UserFields<'a> {
    role: &'a str,
    #[diesel(treat_none_as_default_value = false)]
    grantee_id: Option<DbUuid>,
    disabled: bool,
    owner: bool,
}

impl<'a> UserFields<'a> {
    fn of(user: &'a User) -> Self {
        UserFields {
            role: user.role.as_str(),
            grantee_id: user.grantee_id.map(db_id),
            disabled: user.disabled,
            owner: user.owner,
        }
    }
}

/// The password hash of a user who has none yet (invited, not yet
/// accepted): no password verifies against it, as it is no PHC string.
pub const NO_PASSWORD: &str = "!";

// Audit summaries of users never include the password hash.
/// Creates a user with an already-hashed password.
pub fn create(
    conn: &mut AnyConnection,
    user: &User,
    password_hash: &str,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Record<User>, StoreError> {
    let taken: i64 = users::table
        .filter(users::email.eq(user.email.as_str()))
        .count()
        .get_result(conn)?;
    if taken > 0 {
        return Err(StoreError::Conflict(format!(
            "a user with email {} already exists",
            user.email
        )));
    }
    let at = DbTime::new(now);
    diesel::insert_into(users::table)
        .values((
            users::id.eq(db_id(user.id)),
            users::email.eq(user.email.as_str()),
            users::password_hash.eq(password_hash),
            UserFields::of(user),
            users::version.eq(1_i64),
            users::created_at.eq(at),
            users::updated_at.eq(at),
        ))
        .execute(conn)?;
    audit::record_change(
        conn,
        actor,
        "user.created",
        "user",
        user.id,
        None,
        None,
        Some(user),
        now,
    )?;
    get(conn, user.id)
}

/// One user.
pub fn get(conn: &mut AnyConnection, id: UserId) -> Result<Record<User>, StoreError> {
    let row = find_row!(conn, users, UserRow, db_id(id), "user")?;
    to_record(row).map(|(r, _)| r)
}

/// A user and their password hash, by email, for signing in.
pub fn find_for_login(
    conn: &mut AnyConnection,
    email: &Email,
) -> Result<Option<(Record<User>, String)>, StoreError> {
    let row: Option<UserRow> = users::table
        .filter(users::email.eq(email.as_str()))
        .select(UserRow::as_select())
        .first(conn)
        .optional()?;
    row.map(to_record).transpose()
}

/// Filters for listing users.
#[derive(Debug, Clone, Default)]
pub struct UserFilter {
    /// Only users with this role.
    pub role: Option<Role>,
    /// Only users acting for this grantee.
    pub grantee_id: Option<GranteeId>,
}

/// A page of users, oldest first.
pub fn list(
    conn: &mut AnyConnection,
    filter: &UserFilter,
    page: PageRequest,
) -> Result<Page<Record<User>>, StoreError> {
    let mut query = page_query!(users, UserRow, page);
    if let Some(role) = filter.role {
        query = query.filter(users::role.eq(role.as_str()));
    }
    if let Some(grantee) = filter.grantee_id {
        query = query.filter(users::grantee_id.eq(db_id(grantee)));
    }
    let rows: Vec<UserRow> = query.load(conn)?;
    page.finish_with(
        rows,
        |r| to_record(r).map(|(u, _)| u),
        |r| r.value.id.into(),
    )
}

/// Saves a changed user over the version it was read at; a new password
/// hash replaces the old one when given.
pub fn save(
    conn: &mut AnyConnection,
    before: &Record<User>,
    after: &User,
    new_password_hash: Option<&str>,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Record<User>, StoreError> {
    let id = before.value.id;
    update_versioned!(
        conn,
        users,
        db_id(id),
        before.version,
        "user",
        (
            UserFields::of(after),
            users::updated_at.eq(DbTime::new(now)),
        ),
    )?;
    if let Some(hash) = new_password_hash {
        diesel::update(users::table.filter(users::id.eq(db_id(id))))
            .set(users::password_hash.eq(hash))
            .execute(conn)?;
    }
    // A disabled account or a new password ends every portal session and
    // API token now.
    if after.disabled || new_password_hash.is_some() {
        end_everything(conn, id)?;
    }
    audit::record_change(
        conn,
        actor,
        if new_password_hash.is_some() {
            "user.password_changed"
        } else {
            "user.updated"
        },
        "user",
        id,
        None,
        Some(&before.value),
        Some(after),
        now,
    )?;
    get(conn, id)
}

/// The enabled users acting for `grantee`, oldest first: everyone who
/// should hear of a change to the organisation (all of them, unpaged: an
/// organisation has a handful of users, and a notice must reach each).
pub fn enabled_of_grantee(
    conn: &mut AnyConnection,
    grantee: GranteeId,
) -> Result<Vec<User>, StoreError> {
    enabled_of_grantees(conn, &[grantee])
}

/// The enabled users of any of `grantees`: [`enabled_of_grantee`] for many
/// organisations in one query.
pub fn enabled_of_grantees(
    conn: &mut AnyConnection,
    grantees: &[GranteeId],
) -> Result<Vec<User>, StoreError> {
    let rows: Vec<UserRow> = users::table
        .filter(users::grantee_id.eq_any(grantees.iter().map(|g| db_id(*g))))
        .filter(users::disabled.eq(false))
        .order(users::id)
        .select(UserRow::as_select())
        .load(conn)?;
    rows.into_iter()
        .map(|r| to_record(r).map(|(u, _)| u.value))
        .collect()
}

/// Ends every portal session of a user and every API token issued to them
/// so far (their credentials version moves on).
fn end_everything(conn: &mut AnyConnection, id: UserId) -> Result<(), StoreError> {
    diesel::update(users::table.filter(users::id.eq(db_id(id))))
        .set(users::credentials_version.eq(users::credentials_version + 1_i64))
        .execute(conn)?;
    crate::sessions::delete_for_user(conn, id)?;
    Ok(())
}

/// "Sign out everywhere": ends every portal session and API token of the
/// user, and records that they asked.
pub fn sign_out_everywhere(
    conn: &mut AnyConnection,
    id: UserId,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let before = get(conn, id)?;
    end_everything(conn, id)?;
    let after = get(conn, id)?;
    audit::record_change(
        conn,
        actor,
        "user.signed_out_everywhere",
        "user",
        id,
        None,
        Some(&before.value),
        Some(&after.value),
        now,
    )?;
    Ok(())
}

/// The password hash of a user, to check their current password.
pub fn password_hash(conn: &mut AnyConnection, id: UserId) -> Result<String, StoreError> {
    let row = find_row!(conn, users, UserRow, db_id(id), "user")?;
    to_record(row).map(|(_, hash)| hash)
}

/// Records an account event about a user that changes no field of it
/// (invited, removed, an invitation accepted) in the audit trail.
pub fn record_event(
    conn: &mut AnyConnection,
    actor: &Actor,
    action: &str,
    user: &User,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    audit::record_change(
        conn,
        actor,
        action,
        "user",
        user.id,
        None,
        None,
        Some(user),
        now,
    )?;
    Ok(())
}
