//! `/v1/users` (administrators) and `/v1/me` (anyone signed in).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use chrono::{DateTime, Utc};
use grantledger_domain::ids::{GranteeId, UserId};
use grantledger_domain::user::{Email, Role, User, check_binding, check_password};
use grantledger_store::common::Record;
use grantledger_store::{grantees, users};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::password::hash_password;
use crate::auth::principal::Principal;
use crate::error::{ApiError, Problem};
use crate::extract::Json;
use crate::http::{Fields, ListResponse, PageQuery, blocking, ok_versioned, require_if_match};
use crate::idempotency::{self, Created, IdempotencyKey};
use crate::policy::{Authorized, can};
use crate::state::AppState;

/// A user as the API shows it. Password hashes never leave the store.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    /// The user's id.
    pub id: UserId,
    /// Their sign-in address.
    pub email: Email,
    /// Their role.
    pub role: Role,
    /// For grantee users, the organisation they act for.
    pub grantee_id: Option<GranteeId>,
    /// A disabled user cannot sign in.
    pub disabled: bool,
    /// The version, also sent as the `ETag`.
    pub version: i64,
    /// When the account was made.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

impl From<Record<User>> for UserView {
    fn from(record: Record<User>) -> Self {
        let u = record.value;
        UserView {
            id: u.id,
            email: u.email,
            role: u.role,
            grantee_id: u.grantee_id,
            disabled: u.disabled,
            version: record.version,
            created_at: record.created_at,
            updated_at: record.updated_at,
        }
    }
}

/// A new user.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUserBody {
    /// Their sign-in address.
    pub email: String,
    /// Their first password (12 to 1024 characters).
    pub password: String,
    /// Their role.
    pub role: Role,
    /// Required for, and only for, grantee users.
    pub grantee_id: Option<GranteeId>,
}

impl std::fmt::Debug for NewUserBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewUserBody")
            .field("email", &self.email)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

/// Changes to a user; absent fields stay as they are.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserChangesBody {
    /// A new role (a grantee user must keep or be given an organisation).
    pub role: Option<Role>,
    /// A new organisation, for grantee users.
    pub grantee_id: Option<GranteeId>,
    /// Disable or re-enable sign-in.
    pub disabled: Option<bool>,
    /// A new password.
    pub password: Option<String>,
}

impl std::fmt::Debug for UserChangesBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserChangesBody")
            .field("role", &self.role)
            .field("disabled", &self.disabled)
            .finish_non_exhaustive()
    }
}

/// Filters for the user list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UserQuery {
    /// Only users with this role.
    pub role: Option<Role>,
    /// Only users acting for this grantee.
    pub grantee_id: Option<GranteeId>,
    /// Most items to return (1–500, default 50).
    #[param(inline)]
    pub limit: Option<crate::http::PageLimit>,
    /// The `next` cursor from the previous page.
    pub after: Option<uuid::Uuid>,
}

/// Makes a user: checks every field, hashes the password, and checks the
/// grantee exists, all before writing. Shared by the API and the CLI.
pub fn create_user(
    db: &grantledger_store::Database,
    email: &str,
    password: &str,
    role: Role,
    grantee_id: Option<GranteeId>,
    actor: &grantledger_store::common::Actor,
) -> Result<Record<User>, ApiError> {
    let (user, hash) = prepare_user(email, password, role, grantee_id)?;
    db.write(|c| insert_user(c, &user, &hash, actor))
}

/// Checks every field of a new user and hashes the password.
fn prepare_user(
    email: &str,
    password: &str,
    role: Role,
    grantee_id: Option<GranteeId>,
) -> Result<(User, String), ApiError> {
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
    Ok((user, hash))
}

/// Stores a prepared user, checking that its grantee exists.
fn insert_user(
    c: &mut grantledger_store::AnyConnection,
    user: &User,
    hash: &str,
    actor: &grantledger_store::common::Actor,
) -> Result<Record<User>, ApiError> {
    if let Some(g) = user.grantee_id {
        grantees::get(c, g)
            .map_err(|_| ApiError::invalid("grantee_id", format!("no grantee has id {g}")))?;
    }
    Ok(users::create(c, user, hash, actor, Utc::now())?)
}

/// Make a user account.
#[utoipa::path(
    tag = "users",
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")),
    request_body = NewUserBody,
    responses(
        (status = 201, description = "Created", body = UserView),
        (status = 409, description = "The email is taken", body = Problem),
        (status = 422, description = "Invalid", body = Problem),
    ),
    security(("bearer" = []))
)]
#[post("/users")]
pub async fn create(
    state: web::Data<AppState>,
    auth: Authorized<can::ManageUsers>,
    req: HttpRequest,
    key: IdempotencyKey,
    body: Json<NewUserBody>,
) -> Result<HttpResponse, ApiError> {
    let principal = auth.principal;
    let b = body.into_inner();
    let actor = principal.actor();
    let (user, hash) =
        blocking(move || prepare_user(&b.email, &b.password, b.role, b.grantee_id)).await?;
    idempotency::write(
        &state,
        &req,
        &principal,
        key,
        StatusCode::CREATED,
        move |c| {
            let view = UserView::from(insert_user(c, &user, &hash, &actor)?);
            Ok(Created {
                location: Some(format!("/v1/users/{}", view.id)),
                version: Some(view.version),
                body: view,
            })
        },
    )
    .await
}

/// List users.
#[utoipa::path(
    tag = "users",
    params(UserQuery),
    responses((status = 200, description = "A page of users", body = ListResponse<UserView>)),
    security(("bearer" = []))
)]
#[get("/users")]
pub async fn list(
    state: web::Data<AppState>,
    _auth: Authorized<can::ManageUsers>,
    query: crate::extract::Query<UserQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let page = PageQuery {
        limit: q.limit,
        after: q.after,
    }
    .page();
    let filter = users::UserFilter {
        role: q.role,
        grantee_id: q.grantee_id,
    };
    let page = blocking(move || {
        state
            .db
            .read(|c| Ok::<_, ApiError>(users::list(c, &filter, page)?))
    })
    .await?;
    Ok(HttpResponse::Ok().json(ListResponse::from_page(page, UserView::from)))
}

/// One user.
#[utoipa::path(
    tag = "users",
    params(("id" = Uuid, Path, description = "The user's id")),
    responses((status = 200, description = "The user", body = UserView), (status = 404, body = Problem)),
    security(("bearer" = []))
)]
#[get("/users/{id}")]
pub async fn get_one(
    state: web::Data<AppState>,
    _auth: Authorized<can::ManageUsers>,
    id: web::Path<uuid::Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = UserId::from_uuid(id.into_inner());
    let record = blocking(move || state.db.read(|c| Ok::<_, ApiError>(users::get(c, id)?))).await?;
    let view = UserView::from(record);
    Ok(ok_versioned(view.version, &view))
}

/// Change a user's role, organisation, password or whether they may sign in.
/// Requires `If-Match`.
#[utoipa::path(
    tag = "users",
    params(("id" = Uuid, Path, description = "The user's id"), ("If-Match" = String, Header, description = "The ETag you read")),
    request_body = UserChangesBody,
    responses(
        (status = 200, description = "The changed user", body = UserView),
        (status = 412, description = "Changed since you read it", body = Problem),
        (status = 422, description = "Invalid", body = Problem),
        (status = 428, description = "If-Match missing", body = Problem),
    ),
    security(("bearer" = []))
)]
#[patch("/users/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    auth: Authorized<can::ManageUsers>,
    req: HttpRequest,
    id: web::Path<uuid::Uuid>,
    body: Json<UserChangesBody>,
) -> Result<HttpResponse, ApiError> {
    let principal = auth.principal;
    let if_match = require_if_match(&req)?;
    let id = UserId::from_uuid(id.into_inner());
    let b = body.into_inner();
    if id == principal.user_id
        && (b.disabled == Some(true) || b.role.is_some_and(|r| r != Role::Admin))
    {
        return Err(ApiError::Conflict(
            "you cannot disable yourself or give up your own admin role".into(),
        ));
    }
    let actor = principal.actor();
    let record = blocking(move || {
        let hash = match &b.password {
            Some(p) => {
                check_password(p).map_err(|e| ApiError::invalid("password", e.to_string()))?;
                Some(hash_password(p)?)
            }
            None => None,
        };
        state.db.write(|c| {
            let before = users::get(c, id)?;
            if_match.check(&before, "user")?;
            let role = b.role.unwrap_or(before.value.role);
            let grantee_id = match role {
                Role::Grantee => b.grantee_id.or(before.value.grantee_id),
                _ => None,
            };
            check_binding(role, grantee_id)
                .map_err(|e| ApiError::invalid("grantee_id", e.to_string()))?;
            if let Some(g) = grantee_id {
                grantees::get(c, g).map_err(|_| {
                    ApiError::invalid("grantee_id", format!("no grantee has id {g}"))
                })?;
            }
            let after = User {
                role,
                grantee_id,
                disabled: b.disabled.unwrap_or(before.value.disabled),
                ..before.value.clone()
            };
            Ok::<_, ApiError>(users::save(
                c,
                &before,
                &after,
                hash.as_deref(),
                &actor,
                Utc::now(),
            )?)
        })
    })
    .await?;
    let view = UserView::from(record);
    Ok(ok_versioned(view.version, &view))
}

/// The signed-in user.
#[utoipa::path(
    tag = "users",
    responses((status = 200, description = "You", body = UserView), (status = 401, body = Problem)),
    security(("bearer" = []))
)]
#[get("/me")]
pub async fn me(
    state: web::Data<AppState>,
    principal: Principal,
) -> Result<HttpResponse, ApiError> {
    let id = principal.user_id;
    let record = blocking(move || state.db.read(|c| Ok::<_, ApiError>(users::get(c, id)?))).await?;
    let view = UserView::from(record);
    Ok(ok_versioned(view.version, &view))
}
