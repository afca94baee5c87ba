//! For auditors: a fund's reconciliation, the audit trail and its hash-chain
//! verification. Admins and auditors only; nothing here writes, except that
//! verification seals pending events into the chain first.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::{DateTime, Utc};
use grantledger_domain::as_of::AsOf;
use grantledger_domain::audit::{AuditEvent, ChainLink, Verification};

use grantledger_domain::reconciliation::Reconciliation;
use grantledger_store::audit;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::{ApiError, Problem};
use crate::http::blocking;
use crate::operations::audit as op;
use crate::policy::{Authorized, can};
use crate::state::AppState;

/// `?as_of=&format=` on the reconciliation.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReconciliationQuery {
    /// Reconcile as of this instant (RFC 3339) instead of now, or as of a
    /// plain date (`2026-11-30`), meaning the end of that day in UTC. See
    /// docs/AUDIT.md for what the past figures rest on.
    #[param(value_type = Option<String>)]
    pub as_of: Option<AsOf>,
    /// `json` (default) or `csv`; `Accept: text/csv` also selects CSV.
    // Inline: a query parameter's type is not collected as a component,
    // so a `$ref` to it would dangle (found by tests/tests/hostile.rs).
    #[param(inline)]
    pub format: Option<ReportFormat>,
}

/// A report's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ReportFormat {
    /// JSON.
    Json,
    /// CSV with a header row.
    Csv,
}

fn wants_csv(req: &HttpRequest, format: Option<ReportFormat>) -> bool {
    match format {
        Some(f) => f == ReportFormat::Csv,
        None => req
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("text/csv")),
    }
}

/// Reconcile a fund: every check of budget, allocations, commitments,
/// payments and ledger balances with expected, actual and difference, and
/// totals by round, region and grantee. JSON, or CSV with `Accept: text/csv`
/// or `?format=csv`.
#[utoipa::path(
    tag = "audit",
    params(("id" = String, Path, description = "The fund's id or its code (`LCF2`)"), ReconciliationQuery),
    responses(
        (status = 200, description = "The reconciliation (check `passed`); CSV with `Accept: text/csv` or `format=csv`",
         content((Reconciliation = "application/json"), (String = "text/csv"))),
        (status = 404, description = "No such fund (or none at `as_of`)", body = Problem),
    ),
    security(("bearer" = []))
)]
#[get("/funds/{id}/reconciliation")]
pub async fn reconcile(
    state: web::Data<AppState>,
    _auth: Authorized<can::Audit>,
    req: HttpRequest,
    id: web::Path<String>,
    query: crate::extract::Query<ReconciliationQuery>,
) -> Result<HttpResponse, ApiError> {
    let fund = id.into_inner();
    let query = query.into_inner();
    let csv = wants_csv(&req, query.format);
    let as_of = query.as_of.map(AsOf::instant);
    let report = blocking(move || state.db.read(|c| op::reconcile(c, &fund, as_of))).await?;
    if csv {
        let body =
            op::reconciliation_csv(&report).map_err(|e| ApiError::Internal(e.to_string()))?;
        return Ok(HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .body(body));
    }
    Ok(HttpResponse::Ok().json(report))
}

/// Filters and cursor for the audit trail.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EventQuery {
    /// Only events about this kind of record (`fund`, `round`, `award`, …).
    pub entity_type: Option<String>,
    /// Only events about this record.
    pub entity_id: Option<uuid::Uuid>,
    /// Only this fund's events.
    pub fund_id: Option<uuid::Uuid>,
    /// Only this action, e.g. `award.offered`.
    pub action: Option<String>,
    /// Only events by this user.
    pub actor_id: Option<uuid::Uuid>,
    /// Only events at or after this instant.
    pub since: Option<DateTime<Utc>>,
    /// Only events before this instant.
    pub until: Option<DateTime<Utc>>,
    /// Most items to return (1–500, default 50).
    #[param(inline)]
    pub limit: Option<crate::http::PageLimit>,
    /// The `next` cursor from the previous page (a sequence number).
    pub after: Option<i64>,
}

/// Where an event sits in the hash chain.
#[derive(Debug, Serialize, ToSchema)]
pub struct LinkView {
    /// Chain position.
    pub position: i64,
    /// The previous link's hash.
    pub prev_hash: String,
    /// SHA-256(prev_hash ‖ canonical event), hex.
    pub hash: String,
    /// When it was sealed.
    pub sealed_at: DateTime<Utc>,
}

impl From<ChainLink> for LinkView {
    fn from(l: ChainLink) -> Self {
        LinkView {
            position: l.position,
            prev_hash: l.prev_hash,
            hash: l.hash,
            sealed_at: l.sealed_at,
        }
    }
}

/// One audit event.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventView {
    /// Sequence number.
    pub seq: i64,
    /// Event id.
    pub id: uuid::Uuid,
    /// When.
    pub occurred_at: DateTime<Utc>,
    /// The user, if a user acted.
    pub actor_id: Option<uuid::Uuid>,
    /// Who, readably.
    pub actor: String,
    /// What, as `entity.verb`.
    pub action: String,
    /// The kind of record.
    pub entity_type: String,
    /// The record.
    pub entity_id: uuid::Uuid,
    /// Its fund.
    pub fund_id: Option<uuid::Uuid>,
    /// The record before, as summarised.
    #[schema(value_type = Option<Object>)]
    pub before: Option<serde_json::Value>,
    /// The record after, as summarised.
    #[schema(value_type = Option<Object>)]
    pub after: Option<serde_json::Value>,
    /// Its chain link; absent until sealed (within about a second).
    pub chain: Option<LinkView>,
}

fn summary(text: Option<String>) -> Option<serde_json::Value> {
    text.map(|t| serde_json::from_str(&t).unwrap_or(serde_json::Value::String(t)))
}

impl EventView {
    fn new(event: AuditEvent, link: Option<ChainLink>) -> EventView {
        EventView {
            seq: event.seq,
            id: event.id,
            occurred_at: event.occurred_at,
            actor_id: event.actor_id,
            actor: event.actor,
            action: event.action,
            entity_type: event.entity_type,
            entity_id: event.entity_id,
            fund_id: event.fund_id,
            before: summary(event.before),
            after: summary(event.after),
            chain: link.map(LinkView::from),
        }
    }
}

/// A page of audit events.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventList {
    /// Events in sequence order.
    pub items: Vec<EventView>,
    /// Pass as `after` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

/// The audit trail: every state change, who made it and when, with
/// before/after summaries and its place in the hash chain.
#[utoipa::path(
    tag = "audit",
    params(EventQuery),
    responses((status = 200, description = "A page of events", body = EventList), (status = 422, body = Problem)),
    security(("bearer" = []))
)]
#[get("/audit-events")]
pub async fn list_events(
    state: web::Data<AppState>,
    _auth: Authorized<can::Audit>,
    query: crate::extract::Query<EventQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let filter = audit::EventFilter {
        entity_type: q.entity_type,
        entity_id: q.entity_id,
        fund_id: q.fund_id,
        action: q.action,
        actor_id: q.actor_id,
        since: q.since,
        until: q.until,
    };
    let limit = q.limit.map_or(
        grantledger_store::common::DEFAULT_PAGE_SIZE,
        crate::http::PageLimit::get,
    );
    let (items, next) =
        blocking(move || state.db.read(|c| op::events(c, &filter, limit, q.after))).await?;
    Ok(HttpResponse::Ok().json(EventList {
        items: items
            .into_iter()
            .map(|l| EventView::new(l.event, l.link))
            .collect(),
        next: next.map(|n| n.to_string()),
    }))
}

/// Verify the audit trail: seal pending events, recompute the whole hash
/// chain from the events as stored, and name the first bad position and
/// sequence number (an event edited, deleted or inserted directly in the
/// database). `ok` is false when anything is wrong.
#[utoipa::path(
    tag = "audit",
    responses((status = 200, description = "The verdict", body = Verification)),
    security(("bearer" = []))
)]
#[get("/audit-events/verify")]
pub async fn verify(
    state: web::Data<AppState>,
    _auth: Authorized<can::Audit>,
) -> Result<HttpResponse, ApiError> {
    let report = blocking(move || op::verify(&state.db)).await?;
    Ok(HttpResponse::Ok().json(report))
}
