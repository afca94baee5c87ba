//! `/v1/users` (administrators) and `/v1/me` (anyone signed in).

use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use chrono::{DateTime, Utc};
use grantledger_domain::ids::{GranteeId, UserId};
use grantledger_domain::user::{Email, Role, User};
use grantledger_store::common::Record;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::principal::Principal;
use crate::error::{ApiError, Problem};
use crate::extract::Json;
use crate::http::{ListResponse, PageQuery, blocking, ok_versioned, read_one, require_if_match};
use crate::idempotency::{self, Created, IdempotencyKey};
use crate::operations::users as op;
pub use crate::operations::users::create_user;
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

/// Make a user account.
#[utoipa::path(
    tag = "users",
    params(IdempotencyKey),
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
    let prepared =
        blocking(move || op::prepare(&b.email, &b.password, b.role, b.grantee_id)).await?;
    idempotency::create(&state, &req, &principal, key, move |c| {
        let view = UserView::from(op::create(c, &prepared, &actor)?);
        Ok(Created::at(format!("/v1/users/{}", view.id), view))
    })
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
    let page = blocking(move || state.db.read(|c| op::list(c, q.role, q.grantee_id, page))).await?;
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
    read_one::<UserView, _>(&state, move |c| op::get(c, id)).await
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
    let mut changes = op::UserChanges {
        role: b.role,
        grantee_id: b.grantee_id,
        disabled: b.disabled,
        hash: None,
    };
    op::check_self_change(&principal, id, &changes)?;
    let record = blocking(move || {
        changes.hash = b
            .password
            .as_deref()
            .map(op::hash_new_password)
            .transpose()?;
        state
            .db
            .write(|c| op::update(c, &principal, id, if_match, changes))
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
    read_one::<UserView, _>(&state, move |c| op::get(c, id)).await
}

crate::http::versioned!(UserView);
