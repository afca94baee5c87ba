//! User accounts: make one, list them, change a role, organisation,
//! password or whether they may sign in.

use chrono::Utc;
use grantledger_domain::ids::{GranteeId, UserId};
use grantledger_domain::user::{Email, Role, User, check_binding, check_password};
use grantledger_store::common::{Actor, Page, PageRequest, Record};
use grantledger_store::{AnyConnection, Database, grantees, users};

use crate::auth::password::hash_password;
use crate::auth::principal::Principal;
use crate::error::ApiError;
use crate::http::{Fields, IfMatch};

/// A user ready to store: every field checked and the password hashed
/// (slow on purpose, so done before the transaction).
#[derive(Debug)]
pub struct PreparedUser {
    user: User,
    hash: String,
}

/// Changes to a user; `None` keeps what is there. `hash` is a new
/// password already hashed by [`hash_new_password`].
#[derive(Debug, Default)]
pub struct UserChanges {
    /// A new role.
    pub role: Option<Role>,
    /// The grantee a grantee user acts for.
    pub grantee_id: Option<GranteeId>,
    /// Whether they may no longer sign in.
    pub disabled: Option<bool>,
    /// A new password's hash.
    pub hash: Option<String>,
}

/// Makes a user: checks every field, hashes the password, and checks the
/// grantee exists, all before writing. Shared by the API, the CLI and the
/// demo loader.
#[tracing::instrument(skip_all, fields(role = %role, grantee_id = ?grantee_id))]
pub fn create_user(
    db: &Database,
    email: &str,
    password: &str,
    role: Role,
    grantee_id: Option<GranteeId>,
    actor: &Actor,
) -> Result<Record<User>, ApiError> {
    let prepared = prepare(email, password, role, grantee_id)?;
    db.write(|c| create(c, &prepared, actor))
}

/// Checks every field of a new user and hashes the password.
pub fn prepare(
    email: &str,
    password: &str,
    role: Role,
    grantee_id: Option<GranteeId>,
) -> Result<PreparedUser, ApiError> {
    let mut fields = Fields::default();
    let email = fields.take("email", Email::parse(email));
    fields.take("password", check_password(password));
    fields.take("grantee_id", check_binding(role, grantee_id));
    let Some(email) = email.filter(|_| fields.is_ok()) else {
        return Err(fields.error());
    };
    let user = User::new(UserId::new(), email, role, grantee_id)
        .map_err(|e| ApiError::invalid("grantee_id", e.to_string()))?;
    let hash = hash_password(password)?;
    Ok(PreparedUser { user, hash })
}

/// Stores a prepared user, checking that its grantee exists.
#[tracing::instrument(skip_all, fields(user_id = %prepared.user.id))]
pub fn create(
    c: &mut AnyConnection,
    prepared: &PreparedUser,
    actor: &Actor,
) -> Result<Record<User>, ApiError> {
    let mut user = prepared.user.clone();
    if let Some(g) = user.grantee_id {
        grantees::get(c, g)
            .map_err(|_| ApiError::invalid("grantee_id", format!("no grantee has id {g}")))?;
        // The first user of an organisation is its owner: they may invite
        // and remove colleagues.
        user.owner = users::enabled_of_grantee(c, g)?.is_empty();
    }
    Ok(users::create(c, &user, &prepared.hash, actor, Utc::now())?)
}

/// A page of users, by role or grantee.
#[tracing::instrument(skip_all, fields(role = ?role, grantee_id = ?grantee_id))]
pub fn list(
    c: &mut AnyConnection,
    role: Option<Role>,
    grantee_id: Option<GranteeId>,
    page: PageRequest,
) -> Result<Page<Record<User>>, ApiError> {
    Ok(users::list(
        c,
        &users::UserFilter { role, grantee_id },
        page,
    )?)
}

/// One user.
#[tracing::instrument(skip_all, fields(user_id = %id))]
pub fn get(c: &mut AnyConnection, id: UserId) -> Result<Record<User>, ApiError> {
    Ok(users::get(c, id)?)
}

/// Checks and hashes a new password (slow on purpose: call it outside the
/// transaction).
pub fn hash_new_password(password: &str) -> Result<String, ApiError> {
    check_password(password).map_err(|e| ApiError::invalid("password", e.to_string()))?;
    hash_password(password)
}

/// Refuses what an administrator may not do to their own account.
pub fn check_self_change(
    principal: &Principal,
    id: UserId,
    changes: &UserChanges,
) -> Result<(), ApiError> {
    if id == principal.user_id
        && (changes.disabled == Some(true) || changes.role.is_some_and(|r| r != Role::Admin))
    {
        return Err(ApiError::conflict(
            "you cannot disable yourself or give up your own admin role",
        ));
    }
    Ok(())
}

/// Changes a user read at the version in `if_match`.
#[tracing::instrument(skip_all, fields(user_id = %id))]
pub fn update(
    c: &mut AnyConnection,
    principal: &Principal,
    id: UserId,
    if_match: IfMatch,
    changes: UserChanges,
) -> Result<Record<User>, ApiError> {
    check_self_change(principal, id, &changes)?;
    let before = users::get(c, id)?;
    if_match.check(&before, "user")?;
    let role = changes.role.unwrap_or(before.value.role);
    let grantee_id = match role {
        Role::Grantee => changes.grantee_id.or(before.value.grantee_id),
        _ => None,
    };
    check_binding(role, grantee_id).map_err(|e| ApiError::invalid("grantee_id", e.to_string()))?;
    if let Some(g) = grantee_id {
        grantees::get(c, g)
            .map_err(|_| ApiError::invalid("grantee_id", format!("no grantee has id {g}")))?;
    }
    let after = User {
        role,
        grantee_id,
        disabled: changes.disabled.unwrap_or(before.value.disabled),
        ..before.value.clone()
    };
    Ok(users::save(
        c,
        &before,
        &after,
        changes.hash.as_deref(),
        &principal.actor(),
        Utc::now(),
    )?)
}

/// The users of the caller's own organisation (a grantee's "My
/// organisation" page). Staff have no organisation: 403.
pub fn of_my_organisation(
    c: &mut AnyConnection,
    principal: &Principal,
) -> Result<Vec<Record<User>>, ApiError> {
    let grantee_id = principal
        .grantee_id
        .filter(|_| principal.role == Role::Grantee)
        .ok_or_else(|| ApiError::Forbidden("only a grantee user has an organisation".into()))?;
    Ok(users::list(
        c,
        &users::UserFilter {
            role: None,
            grantee_id: Some(grantee_id),
        },
        PageRequest::new(Some(200), None),
    )?
    .items)
}
