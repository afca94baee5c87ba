//! Grant rounds: `/v1/funds/{id}/rounds` and `/v1/rounds/{id}`.

use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use chrono::{DateTime, Utc};
use grantledger_domain::Money;
use grantledger_domain::grantee::{OrganisationType, Region};
use grantledger_domain::ids::{FundId, RoundId};
use grantledger_domain::round::{Eligibility, GrantRange, Round, RoundWindow};
use grantledger_store::common::Record;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::{ApiError, Problem};
use crate::extract::Json;
use crate::http::{
    Fields, ListResponse, PageQuery, blocking, read_one, require_if_match, write_one,
};
use crate::idempotency::{self, Created, IdempotencyKey};
use crate::operations::rounds as op;
use crate::policy::{Authorized, can};
use crate::state::AppState;

/// Who may apply in a round. Empty lists mean "any".
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EligibilityBody {
    /// Organisation types that may apply; empty for any.
    #[serde(default)]
    pub organisation_types: Vec<OrganisationType>,
    /// The largest annual income an applicant may have.
    pub max_annual_income: Option<Money>,
    /// Regions applicants must be in; empty for any.
    #[serde(default)]
    pub regions: Vec<Region>,
    /// Each organisation may have only one application in the round
    /// (withdrawn ones do not count).
    #[serde(default)]
    pub one_application_per_organisation: bool,
}

impl From<EligibilityBody> for Eligibility {
    fn from(b: EligibilityBody) -> Self {
        Eligibility {
            organisation_types: b.organisation_types,
            max_annual_income: b.max_annual_income,
            regions: b.regions,
            one_application_per_organisation: b.one_application_per_organisation,
        }
    }
}

impl From<Eligibility> for EligibilityBody {
    fn from(e: Eligibility) -> Self {
        EligibilityBody {
            organisation_types: e.organisation_types,
            max_annual_income: e.max_annual_income,
            regions: e.regions,
            one_application_per_organisation: e.one_application_per_organisation,
        }
    }
}

/// Where a round stands at the moment of the request.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RoundPhase {
    /// Not yet open for applications.
    Upcoming,
    /// Accepting applications.
    Open,
    /// Past its closing deadline.
    Closed,
}

/// A round as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct RoundView {
    /// The round's id.
    pub id: RoundId,
    /// The fund it belongs to.
    pub fund_id: FundId,
    /// Its number within the fund (1, 2, …), used in award references.
    pub number: u16,
    /// Its name.
    pub name: String,
    /// When applications open (RFC 3339, UTC).
    pub opens_at: DateTime<Utc>,
    /// The closing deadline (RFC 3339, UTC).
    pub closes_at: DateTime<Utc>,
    /// Where the round stands now.
    pub phase: RoundPhase,
    /// Money taken from the fund's budget for this round.
    pub allocation: Money,
    /// Allocation not yet committed to awards.
    pub available: Money,
    /// The smallest grant.
    pub min_grant: Money,
    /// The largest grant.
    pub max_grant: Money,
    /// Who may apply.
    pub eligibility: EligibilityBody,
    /// The funder the round is designated to (its name as the fund lists
    /// it): the round's money counts wholly to that funder in the
    /// reconciliation's per-funder figures. Absent: the pooled budget.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub funder: Option<String>,
    /// The version, also sent as the `ETag`.
    pub version: i64,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

impl RoundView {
    /// The view of a round as it stands at `now`.
    fn of(round: op::RoundState, now: DateTime<Utc>) -> RoundView {
        RoundView::new(round.record, round.available, round.funder, now)
    }

    fn new(
        record: Record<Round>,
        available: Money,
        funder: Option<String>,
        now: DateTime<Utc>,
    ) -> RoundView {
        let r = record.value;
        let phase = if r.window.is_open_at(now) {
            RoundPhase::Open
        } else if r.window.has_closed_at(now) {
            RoundPhase::Closed
        } else {
            RoundPhase::Upcoming
        };
        RoundView {
            id: r.id,
            fund_id: r.fund_id,
            number: r.number,
            name: r.name,
            opens_at: r.window.opens_at(),
            closes_at: r.window.closes_at(),
            phase,
            allocation: r.allocation,
            available,
            min_grant: r.grant_range.min(),
            max_grant: r.grant_range.max(),
            eligibility: r.eligibility.into(),
            funder,
            version: record.version,
            created_at: record.created_at,
            updated_at: record.updated_at,
        }
    }
}

/// A new round.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRoundBody {
    /// Its name, e.g. "Round 1".
    pub name: String,
    /// Its number in the fund; the next free number when absent.
    pub number: Option<u16>,
    /// When applications open.
    pub opens_at: DateTime<Utc>,
    /// The closing deadline.
    pub closes_at: DateTime<Utc>,
    /// Money to take from the fund's unallocated budget.
    pub allocation: Money,
    /// The smallest grant.
    pub min_grant: Money,
    /// The largest grant.
    pub max_grant: Money,
    /// Who may apply; anyone when absent.
    #[serde(default)]
    pub eligibility: EligibilityBody,
    /// Set to `true` to record a round that has already closed (historic
    /// data); otherwise such a round is refused. Audited as
    /// `round.recorded_past`.
    #[serde(default)]
    pub records_past_round: bool,
    /// Designate the round to one of the fund's funders, by its name as the
    /// fund lists it: the round's money then counts wholly to that funder
    /// in the reconciliation's per-funder figures (e.g. the partner funder
    /// pays for round 2). Absent: the round draws on the pooled budget.
    pub funder: Option<String>,
}

/// Changes to a round; absent fields stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoundChangesBody {
    /// A new name.
    pub name: Option<String>,
    /// A new opening time.
    pub opens_at: Option<DateTime<Utc>>,
    /// A new closing deadline.
    pub closes_at: Option<DateTime<Utc>>,
    /// A new allocation: more is taken from the fund, less is returned to it.
    pub allocation: Option<Money>,
    /// A new smallest grant.
    pub min_grant: Option<Money>,
    /// A new largest grant.
    pub max_grant: Option<Money>,
    /// New eligibility rules (replace the old ones).
    pub eligibility: Option<EligibilityBody>,
    /// Designate the round to one of the fund's funders (its name), or
    /// `null` to return it to the pooled budget.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, nullable)]
    pub funder: Option<Option<String>>,
}

/// Tells a field sent as `null` (`Some(None)`) from one not sent (`None`).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

/// Filters for a fund's rounds.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RoundQuery {
    /// Only rounds open for applications now.
    pub open: Option<bool>,
    /// Most items to return (1–500, default 50).
    #[param(inline)]
    pub limit: Option<crate::http::PageLimit>,
    /// The `next` cursor from the previous page.
    pub after: Option<uuid::Uuid>,
}

/// Add a round to a fund, taking its allocation from the fund's budget.
#[utoipa::path(
    tag = "rounds",
    params(("id" = String, Path, description = "The fund's id or its code (`LCF2`)"), IdempotencyKey),
    request_body = NewRoundBody,
    responses(
        (status = 201, description = "Created", body = RoundView),
        (status = 404, description = "No such fund", body = Problem),
        (status = 409, description = "The fund's budget cannot cover the allocation, or the number is taken", body = Problem),
        (status = 422, description = "Invalid", body = Problem),
    ),
    security(("bearer" = []))
)]
#[post("/funds/{id}/rounds")]
pub async fn create_round(
    state: web::Data<AppState>,
    auth: Authorized<can::ManageFunds>,
    req: HttpRequest,
    key: IdempotencyKey,
    id: web::Path<String>,
    body: Json<NewRoundBody>,
) -> Result<HttpResponse, ApiError> {
    let principal = auth.principal;
    let fund = id.into_inner();
    let b = body.into_inner();
    let mut fields = Fields::default();
    let window = fields.take("closes_at", RoundWindow::new(b.opens_at, b.closes_at));
    let range = fields.take("min_grant", GrantRange::new(b.min_grant, b.max_grant));
    let (Some(window), Some(range)) = (window, range) else {
        return Err(fields.error());
    };
    let past = b.records_past_round;
    window
        .check_new(Utc::now(), past)
        .map_err(op::round_error)?;
    let input = op::NewRound {
        fund,
        number: b.number,
        name: b.name,
        window,
        allocation: b.allocation,
        range,
        eligibility: b.eligibility.into(),
        funder: b.funder,
        records_past_round: past,
    };
    let actor = principal.actor();
    idempotency::create(&state, &req, &principal, key, move |c| {
        let view = RoundView::of(op::create(c, &actor, input)?, Utc::now());
        Ok(Created::at(format!("/v1/rounds/{}", view.id), view))
    })
    .await
}

/// A fund's rounds.
#[utoipa::path(
    tag = "rounds",
    params(("id" = String, Path, description = "The fund's id or its code (`LCF2`)"), RoundQuery),
    responses((status = 200, description = "A page of rounds", body = ListResponse<RoundView>), (status = 404, body = Problem)),
    security(("bearer" = []))
)]
#[get("/funds/{id}/rounds")]
pub async fn list_rounds(
    state: web::Data<AppState>,
    _auth: Authorized<can::ReadFunds>,
    id: web::Path<String>,
    query: crate::extract::Query<RoundQuery>,
) -> Result<HttpResponse, ApiError> {
    let fund = id.into_inner();
    let q = query.into_inner();
    let page = PageQuery {
        limit: q.limit,
        after: q.after,
    }
    .page();
    let now = Utc::now();
    let open_at = q.open.filter(|o| *o).map(|_| now);
    let page = blocking(move || state.db.read(|c| op::list(c, &fund, open_at, page))).await?;
    Ok(HttpResponse::Ok().json(ListResponse::from_page(page, |r| RoundView::of(r, now))))
}

/// One round.
#[utoipa::path(
    tag = "rounds",
    params(("id" = Uuid, Path, description = "The round's id")),
    responses((status = 200, description = "The round", body = RoundView), (status = 404, body = Problem)),
    security(("bearer" = []))
)]
#[get("/rounds/{id}")]
pub async fn get_round(
    state: web::Data<AppState>,
    _auth: Authorized<can::ReadFunds>,
    id: web::Path<uuid::Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = RoundId::from_uuid(id.into_inner());
    read_one::<RoundView, _>(&state, move |c| op::get(c, id)).await
}

/// Change a round. Requires `If-Match`. A changed allocation moves money
/// between the fund and the round; it cannot drop below what is committed.
#[utoipa::path(
    tag = "rounds",
    params(("id" = Uuid, Path, description = "The round's id"), ("If-Match" = String, Header, description = "The ETag you read")),
    request_body = RoundChangesBody,
    responses(
        (status = 200, description = "The changed round", body = RoundView),
        (status = 409, description = "The money is not there", body = Problem),
        (status = 412, description = "Changed since you read it", body = Problem),
        (status = 422, description = "Invalid", body = Problem),
        (status = 428, description = "If-Match missing", body = Problem),
    ),
    security(("bearer" = []))
)]
#[patch("/rounds/{id}")]
pub async fn update_round(
    state: web::Data<AppState>,
    auth: Authorized<can::ManageFunds>,
    req: HttpRequest,
    id: web::Path<uuid::Uuid>,
    body: Json<RoundChangesBody>,
) -> Result<HttpResponse, ApiError> {
    let principal = auth.principal;
    let if_match = require_if_match(&req)?;
    let id = RoundId::from_uuid(id.into_inner());
    let b = body.into_inner();
    let changes = op::RoundChanges {
        name: b.name,
        opens_at: b.opens_at,
        closes_at: b.closes_at,
        allocation: b.allocation,
        min_grant: b.min_grant,
        max_grant: b.max_grant,
        eligibility: b.eligibility.map(Into::into),
        funder: b.funder,
    };
    let actor = principal.actor();
    write_one::<RoundView, _>(&state, move |c| {
        op::update(c, &actor, id, if_match, changes)
    })
    .await
}

impl From<op::RoundState> for RoundView {
    fn from(round: op::RoundState) -> Self {
        RoundView::of(round, Utc::now())
    }
}

crate::http::versioned!(RoundView);
