//! `/v1/funds`: funds, their funders and budgets.

use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use chrono::{DateTime, Utc};
use grantledger_domain::Money;
use grantledger_domain::fund::{Fund, FundName, FundStatus, Funder};
use grantledger_domain::grantee::{CheckKind, OrganisationName, distinct_kinds};
use grantledger_domain::ids::FundId;
use grantledger_domain::org_id::OrgId;
use grantledger_domain::reference::FundCode;
use grantledger_store::AnyConnection;
use grantledger_store::common::{Actor, Record};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::{ApiError, Problem};
use crate::extract::Json;
use crate::http::{ListResponse, PageQuery, blocking, read_one, require_if_match, write_one};
use crate::idempotency::{self, Created, IdempotencyKey};
use crate::operations::funds as op;
use crate::policy::{Authorized, can};
use crate::state::AppState;

/// A funder's part in a fund.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FunderBody {
    /// The funding organisation's name.
    pub name: OrganisationName,
    /// Its org-id.guide identifier, if registered.
    pub org_id: Option<OrgId>,
    /// What it contributes.
    pub contribution: Money,
}

/// A fund as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct FundView {
    /// The fund's id.
    pub id: FundId,
    /// Short code used in award references and open-data ids.
    pub code: FundCode,
    /// The fund's name.
    pub name: String,
    /// The whole budget (the funders' total when funders are given).
    pub budget: Money,
    /// Who pays in, and how much.
    pub funders: Vec<FunderBody>,
    /// `draft`, `open` or `closed`.
    pub status: FundStatus,
    /// The due-diligence checks a grantee must have passed, unexpired,
    /// before a tranche of this fund is scheduled; empty when none are.
    pub required_checks: Vec<CheckKind>,
    /// Budget not yet allocated to rounds.
    pub unallocated: Money,
    /// The version, also sent as the `ETag`.
    pub version: i64,
    /// When the fund was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

impl FundView {
    /// The view of a fund with what is unallocated.
    fn of(fund: op::FundState) -> FundView {
        FundView::new(fund.record, fund.unallocated)
    }

    fn new(record: Record<Fund>, unallocated: Money) -> FundView {
        let fund = record.value;
        FundView {
            id: fund.id,
            code: fund.code,
            name: fund.name.to_string(),
            budget: fund.budget,
            funders: fund
                .funders
                .into_iter()
                .map(|f| FunderBody {
                    name: f.name,
                    org_id: f.org_id,
                    contribution: f.contribution,
                })
                .collect(),
            status: fund.status,
            required_checks: fund.required_checks,
            unallocated,
            version: record.version,
            created_at: record.created_at,
            updated_at: record.updated_at,
        }
    }
}

/// A new fund.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewFundBody {
    /// Short code: 2–10 capital letters and digits, starting with a letter.
    pub code: FundCode,
    /// The fund's name.
    pub name: FundName,
    /// The budget; required without funders, and must equal their total with them.
    pub budget: Option<Money>,
    /// The funders and their contributions.
    #[serde(default)]
    pub funders: Vec<FunderBody>,
    /// The due-diligence checks a grantee must have passed, unexpired,
    /// before a tranche is scheduled (`registration`,
    /// `governing_document`, `safeguarding_policy`, `bank_details` or an
    /// administrator's own kind); none when absent.
    #[serde(default)]
    pub required_checks: Vec<CheckKind>,
}

/// Changes to a fund; absent fields stay as they are. `funders` replaces the list.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FundChangesBody {
    /// A new name.
    pub name: Option<FundName>,
    /// A new budget (must equal the funders' total when there are funders).
    pub budget: Option<Money>,
    /// A new list of funders.
    pub funders: Option<Vec<FunderBody>>,
    /// A new list of required due-diligence checks; `[]` requires none.
    pub required_checks: Option<Vec<CheckKind>>,
}

/// Filters for the fund list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FundQuery {
    /// Only funds in this status.
    pub status: Option<FundStatus>,
    /// Most items to return (1–500, default 50).
    #[param(inline)]
    pub limit: Option<crate::http::PageLimit>,
    /// The `next` cursor from the previous page.
    pub after: Option<uuid::Uuid>,
}

fn funders(funders: Vec<FunderBody>) -> Vec<Funder> {
    funders
        .into_iter()
        .map(|f| Funder {
            name: f.name,
            org_id: f.org_id,
            contribution: f.contribution,
        })
        .collect()
}

/// Set up a fund.
#[utoipa::path(
    tag = "funds",
    params(IdempotencyKey),
    request_body = NewFundBody,
    responses(
        (status = 201, description = "Created", body = FundView),
        (status = 409, description = "The code is taken", body = Problem),
        (status = 422, description = "Invalid", body = Problem),
    ),
    security(("bearer" = []))
)]
#[post("/funds")]
pub async fn create_fund(
    state: web::Data<AppState>,
    auth: Authorized<can::ManageFunds>,
    req: HttpRequest,
    key: IdempotencyKey,
    body: Json<NewFundBody>,
) -> Result<HttpResponse, ApiError> {
    let principal = auth.principal;
    let body = body.into_inner();
    let fund = Fund {
        required_checks: distinct_kinds(body.required_checks),
        ..Fund::new(
            FundId::new(),
            body.code,
            body.name,
            body.budget,
            funders(body.funders),
        )
        .map_err(op::fund_error)?
    };
    let actor = principal.actor();
    idempotency::create(&state, &req, &principal, key, move |c| {
        let view = FundView::of(op::create(c, &actor, &fund)?);
        Ok(Created::at(format!("/v1/funds/{}", view.id), view))
    })
    .await
}

/// List funds.
#[utoipa::path(
    tag = "funds",
    params(FundQuery),
    responses((status = 200, description = "A page of funds", body = ListResponse<FundView>)),
    security(("bearer" = []))
)]
#[get("/funds")]
pub async fn list_funds(
    state: web::Data<AppState>,
    _auth: Authorized<can::ReadFunds>,
    query: crate::extract::Query<FundQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    let page = PageQuery {
        limit: query.limit,
        after: query.after,
    }
    .page();
    let status = query.status;
    let page = blocking(move || state.db.read(|c| op::list(c, status, page))).await?;
    Ok(HttpResponse::Ok().json(ListResponse::from_page(page, FundView::of)))
}

/// One fund.
#[utoipa::path(
    tag = "funds",
    params(("id" = String, Path, description = "The fund's id or its code (`LCF2`)")),
    responses((status = 200, description = "The fund", body = FundView), (status = 404, body = Problem)),
    security(("bearer" = []))
)]
#[get("/funds/{id}")]
pub async fn get_fund(
    state: web::Data<AppState>,
    _auth: Authorized<can::ReadFunds>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    read_one::<FundView, _>(&state, move |c| op::get(c, &id)).await
}

/// Change a fund's name, budget, funders or required due-diligence checks.
/// Requires `If-Match`. A budget
/// change is a ledger transfer; it cannot drop below what rounds hold.
#[utoipa::path(
    tag = "funds",
    params(("id" = String, Path, description = "The fund's id or its code (`LCF2`)"), ("If-Match" = String, Header, description = "The ETag you read")),
    request_body = FundChangesBody,
    responses(
        (status = 200, description = "The changed fund", body = FundView),
        (status = 409, description = "The budget would not cover the rounds", body = Problem),
        (status = 412, description = "Changed since you read it", body = Problem),
        (status = 428, description = "If-Match missing", body = Problem),
    ),
    security(("bearer" = []))
)]
#[patch("/funds/{id}")]
pub async fn update_fund(
    state: web::Data<AppState>,
    auth: Authorized<can::ManageFunds>,
    req: HttpRequest,
    id: web::Path<String>,
    body: Json<FundChangesBody>,
) -> Result<HttpResponse, ApiError> {
    let principal = auth.principal;
    let if_match = require_if_match(&req)?;
    let id = id.into_inner();
    let body = body.into_inner();
    let changes = op::FundChanges {
        name: body.name,
        budget: body.budget,
        funders: body.funders.map(funders),
        required_checks: body.required_checks,
    };
    let actor = principal.actor();
    write_one::<FundView, _>(&state, move |c| {
        op::update(c, &actor, &id, if_match, changes)
    })
    .await
}

/// Runs a fund's opening or closing and answers with the fund.
async fn transition(
    state: web::Data<AppState>,
    auth: Authorized<can::ManageFunds>,
    id: String,
    change: fn(&mut AnyConnection, &Actor, &str) -> Result<op::FundState, ApiError>,
) -> Result<HttpResponse, ApiError> {
    let actor = auth.principal.actor();
    write_one::<FundView, _>(&state, move |c| change(c, &actor, &id)).await
}

/// Open a draft fund.
#[utoipa::path(
    tag = "funds",
    params(("id" = String, Path, description = "The fund's id or its code (`LCF2`)")),
    responses((status = 200, description = "The opened fund", body = FundView), (status = 409, description = "Not a draft", body = Problem)),
    security(("bearer" = []))
)]
#[post("/funds/{id}/open")]
pub async fn open_fund(
    state: web::Data<AppState>,
    auth: Authorized<can::ManageFunds>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    transition(state, auth, id.into_inner(), op::open).await
}

/// Close an open fund.
#[utoipa::path(
    tag = "funds",
    params(("id" = String, Path, description = "The fund's id or its code (`LCF2`)")),
    responses((status = 200, description = "The closed fund", body = FundView), (status = 409, description = "Not open", body = Problem)),
    security(("bearer" = []))
)]
#[post("/funds/{id}/close")]
pub async fn close_fund(
    state: web::Data<AppState>,
    auth: Authorized<can::ManageFunds>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    transition(state, auth, id.into_inner(), op::close).await
}

impl From<op::FundState> for FundView {
    fn from(fund: op::FundState) -> Self {
        FundView::of(fund)
    }
}

crate::http::versioned!(FundView);
