//! `/v1/grantees/{id}/checks`: a grantee's due-diligence checks with expiry
//! (issue 20). Administrators record them; administrators, assessors and
//! auditors read them, and a grantee user reads its own organisation's.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{DateTime, NaiveDate, Utc};
use grantledger_domain::grantee::{CheckKind, CheckStatus, Evidence, NewCheck, current_checks};
use grantledger_domain::ids::{GranteeId, UserId};
use grantledger_store::due_diligence_checks::StoredCheck;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{ApiError, Problem};
use crate::extract::Json;
use crate::http::blocking;
use crate::idempotency::{self, Created, IdempotencyKey};
use crate::operations::due_diligence as op;
use crate::policy::{Authorized, can};
use crate::state::AppState;

/// One due-diligence check as recorded.
#[derive(Debug, Serialize, ToSchema)]
pub struct CheckView {
    /// The record's id.
    pub id: uuid::Uuid,
    /// What was checked.
    pub kind: CheckKind,
    /// The kind in words, e.g. "Bank details verified".
    pub description: String,
    /// `passed` or `failed`.
    pub status: CheckStatus,
    /// What was seen, or where the evidence is kept.
    pub evidence: String,
    /// Who recorded it.
    pub checked_by: UserId,
    /// When it was recorded.
    pub checked_at: DateTime<Utc>,
    /// The day the check was carried out.
    pub checked_on: NaiveDate,
    /// The first day the check is no longer valid; absent if it does not
    /// expire.
    pub expires_on: Option<NaiveDate>,
    /// Whether it has expired today (UTC): today is its expiry day or later.
    pub expired: bool,
}

impl CheckView {
    fn new(stored: &StoredCheck, today: NaiveDate) -> CheckView {
        let c = &stored.check;
        CheckView {
            id: stored.id,
            kind: c.kind.clone(),
            description: c.kind.description(),
            status: c.status,
            evidence: c.evidence.to_string(),
            checked_by: c.checked_by,
            checked_at: c.checked_at,
            checked_on: c.checked_on,
            expires_on: c.expires_on,
            expired: c.is_expired(today),
        }
    }
}

/// A grantee's due-diligence checks.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChecksView {
    /// The grantee.
    pub grantee_id: GranteeId,
    /// The record in force for each kind recorded: the latest recorded.
    pub current: Vec<CheckView>,
    /// Every record, newest first.
    pub history: Vec<CheckView>,
}

impl ChecksView {
    /// The view of every check of `grantee`, as of `today`.
    pub fn new(grantee: GranteeId, stored: &[StoredCheck], today: NaiveDate) -> ChecksView {
        let checks: Vec<_> = stored.iter().map(|s| s.check.clone()).collect();
        let current = current_checks(&checks)
            .into_iter()
            .filter_map(|c| {
                stored
                    .iter()
                    .find(|s| &s.check == c)
                    .map(|s| CheckView::new(s, today))
            })
            .collect();
        ChecksView {
            grantee_id: grantee,
            current,
            history: stored
                .iter()
                .rev()
                .map(|s| CheckView::new(s, today))
                .collect(),
        }
    }
}

/// A check to record.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCheckBody {
    /// `registration`, `governing_document`, `safeguarding_policy`,
    /// `bank_details`, or a kind of your own: 2–40 lower-case letters,
    /// digits and underscores starting with a letter.
    pub kind: CheckKind,
    /// `passed` or `failed`.
    pub status: CheckStatus,
    /// What was seen, or where the evidence is kept (1–2,000 characters).
    pub evidence: Evidence,
    /// The day the check was carried out, if before today; today when
    /// absent. Never in the future.
    pub checked_on: Option<NaiveDate>,
    /// The first day the check is no longer valid: it must be after the
    /// day the check was carried out. Absent if it does not expire.
    pub expires_on: Option<NaiveDate>,
}

/// Record a due-diligence check of a grantee. Records are kept forever: a
/// renewal or a correction is a new record, and the latest of a kind is the
/// one in force. A fund that requires checks refuses a tranche unless each
/// is passed and unexpired.
#[utoipa::path(
    tag = "grantees",
    params(("id" = Uuid, Path, description = "The grantee's id"), IdempotencyKey),
    request_body = NewCheckBody,
    responses(
        (status = 201, description = "Recorded", body = CheckView),
        (status = 404, body = Problem),
        (status = 422, description = "Invalid: `field` names it (an unknown kind, an expiry not after the check, evidence too long)", body = Problem),
    ),
    security(("bearer" = []))
)]
#[post("/grantees/{id}/checks")]
pub async fn record_check(
    state: web::Data<AppState>,
    auth: Authorized<can::ManageGrantees>,
    req: HttpRequest,
    key: IdempotencyKey,
    id: web::Path<uuid::Uuid>,
    body: Json<NewCheckBody>,
) -> Result<HttpResponse, ApiError> {
    let principal = auth.principal;
    let id = GranteeId::from_uuid(id.into_inner());
    let b = body.into_inner();
    let new = NewCheck {
        kind: b.kind,
        status: b.status,
        evidence: b.evidence,
        checked_on: b.checked_on,
        expires_on: b.expires_on,
    };
    let caller = principal.clone();
    idempotency::create(&state, &req, &principal, key, move |c| {
        let stored = op::record(c, &caller, id, new)?;
        let view = CheckView::new(&stored, Utc::now().date_naive());
        Ok(Created {
            location: Some(format!("/v1/grantees/{id}/checks")),
            version: None,
            body: view,
        })
    })
    .await
}

/// A grantee's due-diligence checks: the record in force for each kind, and
/// every record. Another organisation's grantee answers 404 to a grantee
/// user.
#[utoipa::path(
    tag = "grantees",
    params(("id" = Uuid, Path, description = "The grantee's id")),
    responses((status = 200, description = "The checks", body = ChecksView), (status = 404, body = Problem)),
    security(("bearer" = []))
)]
#[get("/grantees/{id}/checks")]
pub async fn list_checks(
    state: web::Data<AppState>,
    auth: Authorized<can::ReadGrantees>,
    id: web::Path<uuid::Uuid>,
) -> Result<HttpResponse, ApiError> {
    let principal = auth.principal;
    let id = GranteeId::from_uuid(id.into_inner());
    let stored = blocking(move || state.db.read(|c| op::for_grantee(c, &principal, id))).await?;
    Ok(HttpResponse::Ok().json(ChecksView::new(id, &stored, Utc::now().date_naive())))
}
