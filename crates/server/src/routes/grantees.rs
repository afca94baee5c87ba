//! `/v1/grantees`: grantee organisations and their due diligence.

use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use chrono::{DateTime, Utc};
use grantledger_domain::Money;
use grantledger_domain::grantee::{
    DueDiligence, DueDiligenceOutcome, DueDiligenceStatus, Grantee, LocalAuthority, NameSearch,
    OrganisationName, OrganisationType, Postcode, Region, mixes_scripts,
};
use grantledger_domain::ids::{GranteeId, UserId};
use grantledger_domain::org_id::OrgId;
use grantledger_store::common::Record;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::{ApiError, Problem};
use crate::extract::Json;
use crate::http::{ListResponse, PageQuery, blocking, read_one, require_if_match, write_one};
use crate::idempotency::{self, Created, IdempotencyKey};
use crate::operations::grantees as op;
use crate::policy::{Authorized, can};
use crate::state::AppState;

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
    /// Things about the record a person should check, such as a name that
    /// mixes letters from different scripts (a look-alike of another
    /// name); absent when there are none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
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
        let warnings = if mixes_scripts(&g.name) {
            vec![
                "the name mixes letters from different scripts, as a look-alike of another name would; check it was typed as the organisation writes it"
                    .to_owned(),
            ]
        } else {
            Vec::new()
        };
        GranteeView {
            warnings,
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
    pub name: OrganisationName,
    /// Its org-id.guide identifier, if registered (GB-CHC, GB-COH, GB-SC, GB-NIC).
    pub org_id: Option<OrgId>,
    /// What kind of organisation it is.
    pub organisation_type: OrganisationType,
    /// Its region.
    pub region: Region,
    /// Its local authority.
    pub local_authority: LocalAuthority,
    /// Its postcode.
    pub postcode: Postcode,
    /// Its annual income.
    pub annual_income: Money,
    /// Set to `true` to register it even though a grantee with the same name
    /// and postcode is already held, once you have checked that they are
    /// different organisations. (A grantee with the same org id is always
    /// refused.)
    #[serde(default)]
    pub distinct_organisation: bool,
}

/// A due-diligence decision.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DueDiligenceBody {
    /// `passed` or `failed`.
    pub outcome: DueDiligenceOutcome,
}

/// Filters for the grantee list; every one given must hold.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct GranteeQuery {
    /// Only grantees whose name starts with this (1–200 characters, with at
    /// least one letter or digit). Case, spaces, punctuation, "&" against
    /// "and", a leading "The" and look-alike letters do not count, so
    /// `st. mary's  church` finds "St Marys Church Hall".
    #[param(inline)]
    pub name: Option<NameSearch>,
    /// Only the grantee with this org-id.guide identifier, e.g. `GB-CHC-1234567`.
    pub org_id: Option<OrgId>,
    /// Only grantees at this postcode, in any case and spacing (`sw1a1aa`).
    pub postcode: Option<Postcode>,
    /// Only grantees in this local authority, e.g. `Leeds` (case does not count).
    pub local_authority: Option<LocalAuthority>,
    /// Only grantees in this region.
    pub region: Option<Region>,
    /// Only grantees of this type.
    pub organisation_type: Option<OrganisationType>,
    /// Only grantees whose due diligence is in this state.
    pub due_diligence: Option<DueDiligenceStatus>,
    /// Most items to return (1–500, default 50).
    #[param(inline)]
    pub limit: Option<crate::http::PageLimit>,
    /// The `next` cursor from the previous page.
    pub after: Option<uuid::Uuid>,
}

/// Register a grantee organisation. A likely duplicate of one already
/// held — the same org id, or the same name and postcode (names compared
/// without case, punctuation or look-alike letters) — is refused with 409
/// and `existing_id`, unless `distinct_organisation` is `true` and the org
/// ids do not clash.
#[utoipa::path(
    tag = "grantees",
    params(IdempotencyKey),
    request_body = NewGranteeBody,
    responses(
        (status = 201, description = "Registered", body = GranteeView),
        (status = 409, description = "Likely already registered: `existing_id` names the record", body = Problem),
        (status = 422, description = "Invalid", body = Problem),
    ),
    security(("bearer" = []))
)]
#[post("/grantees")]
pub async fn create_grantee(
    state: web::Data<AppState>,
    auth: Authorized<can::ManageGrantees>,
    req: HttpRequest,
    key: IdempotencyKey,
    body: Json<NewGranteeBody>,
) -> Result<HttpResponse, ApiError> {
    let principal = auth.principal;
    let b = body.into_inner();
    let grantee = Grantee {
        id: GranteeId::new(),
        name: b.name,
        org_id: b.org_id,
        organisation_type: b.organisation_type,
        region: b.region,
        local_authority: b.local_authority,
        postcode: b.postcode,
        annual_income: b.annual_income,
        due_diligence: DueDiligence::pending(),
    };
    let distinct = b.distinct_organisation;
    let caller = principal.clone();
    idempotency::create(&state, &req, &principal, key, move |c| {
        let view = GranteeView::from(op::register(c, &caller, &grantee, distinct)?);
        Ok(Created::at(format!("/v1/grantees/{}", view.id), view))
    })
    .await
}

/// List or search grantees: by name (its beginning, ignoring case, spaces
/// and punctuation), org id, postcode or local authority, alongside region,
/// type and due diligence, oldest first. A grantee user sees only its own
/// organisation, whatever it searches for.
#[utoipa::path(
    tag = "grantees",
    params(GranteeQuery),
    responses(
        (status = 200, description = "A page of grantees", body = ListResponse<GranteeView>),
        (status = 422, description = "A filter is not valid: `field` names it", body = Problem),
    ),
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
    let listing = op::GranteeListing {
        region: q.region,
        organisation_type: q.organisation_type,
        due_diligence: q.due_diligence,
        name: q.name,
        org_id: q.org_id,
        postcode: q.postcode,
        local_authority: q.local_authority,
    };
    let page = blocking(move || state.db.read(|c| op::list(c, &principal, listing, page))).await?;
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
    read_one::<GranteeView, _>(&state, move |c| op::visible(c, &principal, id)).await
}

/// Change a grantee's details. Requires `If-Match`.
#[utoipa::path(
    tag = "grantees",
    params(("id" = Uuid, Path, description = "The grantee's id"), ("If-Match" = String, Header, description = "The ETag you read")),
    request_body = op::GranteeChanges,
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
    body: Json<op::GranteeChanges>,
) -> Result<HttpResponse, ApiError> {
    let principal = auth.principal;
    let if_match = require_if_match(&req)?;
    let id = GranteeId::from_uuid(id.into_inner());
    let changes = body.into_inner();
    write_one::<GranteeView, _>(&state, move |c| {
        op::update(c, &principal, id, if_match, changes)
    })
    .await
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
    write_one::<GranteeView, _>(&state, move |c| {
        op::record_due_diligence(c, &principal, id, outcome)
    })
    .await
}

crate::http::versioned!(GranteeView);
