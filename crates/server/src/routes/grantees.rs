//! `/v1/grantees`: grantee organisations and their due diligence.

use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use chrono::{DateTime, Utc};
use grantledger_domain::Money;
use grantledger_domain::grantee::{
    DueDiligence, DueDiligenceOutcome, DueDiligenceStatus, Grantee, LocalAuthority,
    OrganisationName, OrganisationType, Postcode, Region,
};
use grantledger_domain::ids::{GranteeId, UserId};
use grantledger_domain::org_id::OrgId;
use grantledger_store::common::Record;
use grantledger_store::grantees;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::app::AppState;
use crate::auth::principal::Principal;
use crate::error::{ApiError, Problem};
use crate::extract::Json;
use crate::http::{
    Fields, ListResponse, PageQuery, blocking, created, ok_versioned, require_if_match,
};
use crate::policy::{Authorized, can};

/// Where a grantee's due diligence stands.
#[derive(Debug, Serialize, ToSchema)]
pub struct DueDiligenceView {
    /// `pending`, `passed` or `failed`.
    pub status: DueDiligenceStatus,
    /// Who recorded the decision.
    pub decided_by: Option<UserId>,
    /// When.
    pub decided_at: Option<DateTime<Utc>>,
}

/// A grantee as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct GranteeView {
    /// The grantee's id.
    pub id: GranteeId,
    /// The organisation's name.
    pub name: String,
    /// Its org-id.guide identifier; absent for unregistered groups.
    pub org_id: Option<OrgId>,
    /// What kind of organisation it is.
    pub organisation_type: OrganisationType,
    /// Its region (ITL1).
    pub region: Region,
    /// Its local authority.
    pub local_authority: String,
    /// Its postcode.
    pub postcode: Postcode,
    /// Its annual income.
    pub annual_income: Money,
    /// Its due diligence.
    pub due_diligence: DueDiligenceView,
    /// The version, also sent as the `ETag`.
    pub version: i64,
    /// When it was registered.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

impl From<Record<Grantee>> for GranteeView {
    fn from(record: Record<Grantee>) -> Self {
        let g = record.value;
        GranteeView {
            id: g.id,
            name: g.name.to_string(),
            org_id: g.org_id,
            organisation_type: g.organisation_type,
            region: g.region,
            local_authority: g.local_authority.to_string(),
            postcode: g.postcode,
            annual_income: g.annual_income,
            due_diligence: DueDiligenceView {
                status: g.due_diligence.status,
                decided_by: g.due_diligence.decided_by,
                decided_at: g.due_diligence.decided_at,
            },
            version: record.version,
            created_at: record.created_at,
            updated_at: record.updated_at,
        }
    }
}

/// A grantee organisation to register.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewGranteeBody {
    /// The organisation's name.
    pub name: String,
    /// Its org-id.guide identifier, if registered (GB-CHC, GB-COH, GB-SC, GB-NIC).
    pub org_id: Option<OrgId>,
    /// What kind of organisation it is.
    pub organisation_type: OrganisationType,
    /// Its region.
    pub region: Region,
    /// Its local authority.
    pub local_authority: String,
    /// Its postcode.
    pub postcode: String,
    /// Its annual income.
    pub annual_income: Money,
}

/// Changes to a grantee; absent fields stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GranteeChangesBody {
    /// A new name.
    pub name: Option<String>,
    /// A new org id.
    pub org_id: Option<OrgId>,
    /// A new organisation type.
    pub organisation_type: Option<OrganisationType>,
    /// A new region.
    pub region: Option<Region>,
    /// A new local authority.
    pub local_authority: Option<String>,
    /// A new postcode.
    pub postcode: Option<String>,
    /// A new annual income.
    pub annual_income: Option<Money>,
}

/// A due-diligence decision.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DueDiligenceBody {
    /// `passed` or `failed`.
    pub outcome: DueDiligenceOutcome,
}

/// Filters for the grantee list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct GranteeQuery {
    /// Only grantees in this region.
    pub region: Option<Region>,
    /// Only grantees of this type.
    pub organisation_type: Option<OrganisationType>,
    /// Only grantees whose due diligence is in this state.
    pub due_diligence: Option<DueDiligenceStatus>,
    /// Most items to return (1–500, default 50).
    pub limit: Option<u32>,
    /// The `next` cursor from the previous page.
    pub after: Option<uuid::Uuid>,
}

/// Loads a grantee the caller may see; any other answers 404.
fn visible(
    conn: &mut grantledger_store::AnyConnection,
    principal: &Principal,
    id: GranteeId,
) -> Result<Record<Grantee>, ApiError> {
    principal.require_visible(id, "grantee")?;
    Ok(grantees::get(conn, id)?)
}

/// Register a grantee organisation.
#[utoipa::path(
    tag = "grantees",
    request_body = NewGranteeBody,
    responses(
        (status = 201, description = "Registered", body = GranteeView),
        (status = 409, description = "The org id is already registered", body = Problem),
        (status = 422, description = "Invalid", body = Problem),
    ),
    security(("bearer" = []))
)]
#[post("/grantees")]
pub async fn create_grantee(
    state: web::Data<AppState>,
    auth: Authorized<can::ManageGrantees>,
    body: Json<NewGranteeBody>,
) -> Result<HttpResponse, ApiError> {
    let principal = auth.principal;
    let b = body.into_inner();
    let mut fields = Fields::default();
    let name = fields.take("name", OrganisationName::parse(&b.name));
    let local_authority = fields.take("local_authority", LocalAuthority::parse(&b.local_authority));
    let postcode = fields.take("postcode", Postcode::parse(&b.postcode));
    let (Some(name), Some(local_authority), Some(postcode)) = (name, local_authority, postcode)
    else {
        return Err(fields.error());
    };
    let grantee = Grantee {
        id: GranteeId::new(),
        name,
        org_id: b.org_id,
        organisation_type: b.organisation_type,
        region: b.region,
        local_authority,
        postcode,
        annual_income: b.annual_income,
        due_diligence: DueDiligence::pending(),
    };
    let actor = principal.actor();
    let record = blocking(move || {
        state
            .db
            .write(|c| Ok::<_, ApiError>(grantees::create(c, &grantee, &actor, Utc::now())?))
    })
    .await?;
    let view = GranteeView::from(record);
    Ok(created(
        format!("/v1/grantees/{}", view.id),
        view.version,
        &view,
    ))
}

/// List grantees. A grantee user sees only its own organisation.
#[utoipa::path(
    tag = "grantees",
    params(GranteeQuery),
    responses((status = 200, description = "A page of grantees", body = ListResponse<GranteeView>)),
    security(("bearer" = []))
)]
#[get("/grantees")]
pub async fn list_grantees(
    state: web::Data<AppState>,
    auth: Authorized<can::ReadGrantees>,
    query: crate::extract::Query<GranteeQuery>,
) -> Result<HttpResponse, ApiError> {
    let principal = auth.principal;
    let q = query.into_inner();
    let page = PageQuery {
        limit: q.limit,
        after: q.after,
    }
    .page();
    let only = match principal.role {
        grantledger_domain::user::Role::Grantee => Some(
            principal
                .grantee_id
                .ok_or_else(|| ApiError::Forbidden("no grantee organisation".into()))?,
        ),
        _ => None,
    };
    let filter = grantees::GranteeFilter {
        region: q.region,
        organisation_type: q.organisation_type,
        due_diligence: q.due_diligence,
        only,
    };
    let page = blocking(move || {
        state
            .db
            .read(|c| Ok::<_, ApiError>(grantees::list(c, &filter, page)?))
    })
    .await?;
    Ok(HttpResponse::Ok().json(ListResponse::from_page(page, GranteeView::from)))
}

/// One grantee. Another organisation's record answers 404 to a grantee user.
#[utoipa::path(
    tag = "grantees",
    params(("id" = Uuid, Path, description = "The grantee's id")),
    responses((status = 200, description = "The grantee", body = GranteeView), (status = 404, body = Problem)),
    security(("bearer" = []))
)]
#[get("/grantees/{id}")]
pub async fn get_grantee(
    state: web::Data<AppState>,
    auth: Authorized<can::ReadGrantees>,
    id: web::Path<uuid::Uuid>,
) -> Result<HttpResponse, ApiError> {
    let principal = auth.principal;
    let id = GranteeId::from_uuid(id.into_inner());
    let record = blocking(move || state.db.read(|c| visible(c, &principal, id))).await?;
    let view = GranteeView::from(record);
    Ok(ok_versioned(view.version, &view))
}

/// Change a grantee's details. Requires `If-Match`.
#[utoipa::path(
    tag = "grantees",
    params(("id" = Uuid, Path, description = "The grantee's id"), ("If-Match" = String, Header, description = "The ETag you read")),
    request_body = GranteeChangesBody,
    responses(
        (status = 200, description = "The changed grantee", body = GranteeView),
        (status = 409, description = "The org id is taken", body = Problem),
        (status = 412, description = "Changed since you read it", body = Problem),
        (status = 422, description = "Invalid", body = Problem),
        (status = 428, description = "If-Match missing", body = Problem),
    ),
    security(("bearer" = []))
)]
#[patch("/grantees/{id}")]
pub async fn update_grantee(
    state: web::Data<AppState>,
    auth: Authorized<can::ManageGrantees>,
    req: HttpRequest,
    id: web::Path<uuid::Uuid>,
    body: Json<GranteeChangesBody>,
) -> Result<HttpResponse, ApiError> {
    let principal = auth.principal;
    let if_match = require_if_match(&req)?;
    let id = GranteeId::from_uuid(id.into_inner());
    let b = body.into_inner();
    let mut fields = Fields::default();
    let name = b
        .name
        .as_deref()
        .map(|v| fields.take("name", OrganisationName::parse(v)));
    let local_authority = b
        .local_authority
        .as_deref()
        .map(|v| fields.take("local_authority", LocalAuthority::parse(v)));
    let postcode = b
        .postcode
        .as_deref()
        .map(|v| fields.take("postcode", Postcode::parse(v)));
    if !fields.is_ok() {
        return Err(fields.error());
    }
    let actor = principal.actor();
    let record = blocking(move || {
        state.db.write(|c| {
            let before = grantees::get(c, id)?;
            if_match.check(&before, "grantee")?;
            let cur = before.value.clone();
            let after = Grantee {
                name: name.flatten().unwrap_or(cur.name),
                org_id: b.org_id.or(cur.org_id),
                organisation_type: b.organisation_type.unwrap_or(cur.organisation_type),
                region: b.region.unwrap_or(cur.region),
                local_authority: local_authority.flatten().unwrap_or(cur.local_authority),
                postcode: postcode.flatten().unwrap_or(cur.postcode),
                annual_income: b.annual_income.unwrap_or(cur.annual_income),
                ..cur
            };
            Ok::<_, ApiError>(grantees::save(
                c,
                &before,
                &after,
                "grantee.updated",
                &actor,
                Utc::now(),
            )?)
        })
    })
    .await?;
    let view = GranteeView::from(record);
    Ok(ok_versioned(view.version, &view))
}

/// Record the outcome of due-diligence checks. Payments need a pass.
#[utoipa::path(
    tag = "grantees",
    params(("id" = Uuid, Path, description = "The grantee's id")),
    request_body = DueDiligenceBody,
    responses(
        (status = 200, description = "The grantee", body = GranteeView),
        (status = 409, description = "Already in that state", body = Problem),
    ),
    security(("bearer" = []))
)]
#[post("/grantees/{id}/due-diligence")]
pub async fn record_due_diligence(
    state: web::Data<AppState>,
    auth: Authorized<can::ManageGrantees>,
    id: web::Path<uuid::Uuid>,
    body: Json<DueDiligenceBody>,
) -> Result<HttpResponse, ApiError> {
    let principal = auth.principal;
    let id = GranteeId::from_uuid(id.into_inner());
    let outcome = body.into_inner().outcome;
    let actor = principal.actor();
    let by = principal.user_id;
    let record = blocking(move || {
        state.db.write(|c| {
            let before = grantees::get(c, id)?;
            let now = Utc::now();
            let after = before
                .value
                .record_due_diligence(outcome, by, now)
                .map_err(|e| ApiError::Conflict(e.to_string()))?;
            Ok::<_, ApiError>(grantees::save(
                c,
                &before,
                &after,
                "grantee.due_diligence",
                &actor,
                now,
            )?)
        })
    })
    .await?;
    let view = GranteeView::from(record);
    Ok(ok_versioned(view.version, &view))
}
