//! Awards: offers, acceptance, variations, cancellation, and their tranches.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{DateTime, NaiveDate, Utc};
use grantledger_domain::Money;
use grantledger_domain::award::{
    AwardError, AwardStatus, CancellationReason, RangeOverride, VariationError,
};
use grantledger_domain::disbursement::{Disbursement, DisbursementError, DisbursementStatus};
use grantledger_domain::ids::{
    ApplicationId, AwardId, DisbursementId, FundId, GranteeId, PaymentRunId, RoundId,
};
use grantledger_domain::ledger::Transfer;
use grantledger_domain::reference::AwardReference;
use grantledger_domain::user::Role;
use grantledger_store::common::{Actor, Record};
use grantledger_store::{AnyConnection, awards, disbursements, grantees, rounds};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::principal::Principal;
use crate::error::{ApiError, Problem};
use crate::extract::Json;
use crate::http::{ListResponse, PageQuery, blocking, ok_versioned};
use crate::idempotency::{self, Created, IdempotencyKey};
use crate::policy::{Authorized, can};
use crate::state::AppState;

/// An award as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AwardView {
    /// The award's id.
    pub id: AwardId,
    /// Its reference, e.g. `LCF-R1-000123`.
    pub reference: AwardReference,
    /// The fund paying it.
    pub fund_id: FundId,
    /// The round paying it.
    pub round_id: RoundId,
    /// The application it came from.
    pub application_id: ApplicationId,
    /// The recipient.
    pub grantee_id: GranteeId,
    /// The amount awarded, after variations.
    pub amount: Money,
    /// Paid so far, net of recoveries.
    pub paid: Money,
    /// Scheduled or paid in tranches.
    pub scheduled: Money,
    /// Still to pay: nothing once declined or cancelled, as in reconciliation.
    pub outstanding: Money,
    /// `offered`, `accepted`, `completed`, `declined` or `cancelled`.
    pub status: AwardStatus,
    /// When the evaluation return is due.
    pub return_due_on: Option<NaiveDate>,
    /// Why it was cancelled (cancelled awards only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cancellation_reason: Option<String>,
    /// The version, also sent as the `ETag`.
    pub version: i64,
    /// When it was offered.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

impl From<Record<awards::Stored>> for AwardView {
    fn from(r: Record<awards::Stored>) -> Self {
        let a = &r.value.award;
        AwardView {
            id: a.id,
            reference: a.reference.clone(),
            fund_id: a.fund_id,
            round_id: a.round_id,
            application_id: a.application_id,
            grantee_id: a.grantee_id,
            amount: a.amount,
            paid: a.paid,
            scheduled: r.value.scheduled,
            outstanding: a.outstanding(),
            status: a.status,
            return_due_on: r.value.return_due_on,
            cancellation_reason: r.value.cancellation_reason.clone(),
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// Filters for the award list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AwardQuery {
    /// Only this fund's.
    pub fund_id: Option<FundId>,
    /// Only this round's.
    pub round_id: Option<RoundId>,
    /// Only this grantee's.
    pub grantee_id: Option<GranteeId>,
    /// Only in this status.
    pub status: Option<AwardStatus>,
    /// Most items to return (1–500, default 50).
    #[param(inline)]
    pub limit: Option<crate::http::PageLimit>,
    /// The `next` cursor from the previous page.
    pub after: Option<uuid::Uuid>,
}

/// A reason, for cancelling.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReasonBody {
    /// Why.
    pub reason: String,
}

/// A change to an award's amount.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VariationBody {
    /// The new amount: more needs headroom in the round; less can never go
    /// below what is already paid (or scheduled); outside the round's grant
    /// range only with `range_override`.
    pub amount: Money,
    /// Why.
    pub reason: String,
    /// An administrator's explicit decision to go outside the round's grant
    /// range, with its reason (audited). Refused when the amount is within
    /// the range.
    pub range_override: Option<RangeOverrideBody>,
}

/// Why a variation goes outside the round's grant range.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RangeOverrideBody {
    /// The reason, kept with the variation and in the audit trail.
    pub reason: String,
}

/// A variation as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct VariationView {
    /// Its id.
    pub id: uuid::Uuid,
    /// The amount before.
    pub previous_amount: Money,
    /// The amount after.
    pub new_amount: Money,
    /// Why.
    pub reason: String,
    /// Why it goes outside the round's grant range (only when it does).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub range_override_reason: Option<String>,
    /// When.
    pub created_at: DateTime<Utc>,
}

impl From<awards::Variation> for VariationView {
    fn from(v: awards::Variation) -> Self {
        VariationView {
            id: v.id,
            previous_amount: v.previous_amount,
            new_amount: v.new_amount,
            reason: v.reason,
            range_override_reason: v.range_override_reason,
            created_at: v.created_at,
        }
    }
}

/// A variation and the award after it.
#[derive(Debug, Serialize, ToSchema)]
pub struct VariedView {
    /// The variation.
    pub variation: VariationView,
    /// The award after it.
    pub award: AwardView,
}

/// A tranche to schedule.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDisbursementBody {
    /// How much.
    pub amount: Money,
    /// When it is due (a date, `YYYY-MM-DD`).
    pub due_on: NaiveDate,
}

/// A tranche as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct DisbursementView {
    /// Its id.
    pub id: DisbursementId,
    /// The award it pays.
    pub award_id: AwardId,
    /// How much.
    pub amount: Money,
    /// When it is due.
    pub due_on: NaiveDate,
    /// `scheduled`, `paid`, `failed` or `reversed`.
    pub status: DisbursementStatus,
    /// The payment run carrying it.
    pub payment_run_id: Option<PaymentRunId>,
    /// When it was paid.
    pub paid_at: Option<DateTime<Utc>>,
    /// Why it failed or was reversed.
    pub note: Option<String>,
    /// The version.
    pub version: i64,
}

impl From<Record<disbursements::Stored>> for DisbursementView {
    fn from(r: Record<disbursements::Stored>) -> Self {
        let d = &r.value.disbursement;
        DisbursementView {
            id: d.id,
            award_id: d.award_id,
            amount: d.amount,
            due_on: d.due_on,
            status: d.status,
            payment_run_id: d.payment_run_id,
            paid_at: r.value.paid_at,
            note: r.value.note.clone(),
            version: r.version,
        }
    }
}

/// Loads an award the caller may see (another organisation's: 404).
pub fn visible(
    conn: &mut AnyConnection,
    principal: &Principal,
    id: AwardId,
) -> Result<Record<awards::Stored>, ApiError> {
    let record = awards::get(conn, id)?;
    principal.require_visible(record.value.award.grantee_id, "award")?;
    Ok(record)
}

fn award_error(e: AwardError) -> ApiError {
    ApiError::Conflict(e.to_string())
}

/// List awards. A grantee sees only its own.
#[utoipa::path(
    tag = "awards",
    params(AwardQuery),
    responses((status = 200, description = "A page of awards", body = ListResponse<AwardView>)),
    security(("bearer" = []))
)]
#[get("/awards")]
pub async fn list_awards(
    state: web::Data<AppState>,
    auth: Authorized<can::ReadAwards>,
    query: crate::extract::Query<AwardQuery>,
) -> Result<HttpResponse, ApiError> {
    let principal = auth.principal;
    let q = query.into_inner();
    let page = PageQuery {
        limit: q.limit,
        after: q.after,
    }
    .page();
    let grantee_id = match principal.role {
        Role::Grantee => principal.grantee_id,
        _ => q.grantee_id,
    };
    let filter = awards::AwardFilter {
        fund_id: q.fund_id,
        round_id: q.round_id,
        grantee_id,
        status: q.status,
    };
    let page = blocking(move || {
        state
            .db
            .read(|c| Ok::<_, ApiError>(awards::list(c, &filter, page)?))
    })
    .await?;
    Ok(HttpResponse::Ok().json(ListResponse::from_page(page, AwardView::from)))
}

/// One award.
#[utoipa::path(
    tag = "awards",
    params(("id" = Uuid, Path, description = "The award's id")),
    responses((status = 200, description = "The award", body = AwardView), (status = 404, body = Problem)),
    security(("bearer" = []))
)]
#[get("/awards/{id}")]
pub async fn get_one(
    state: web::Data<AppState>,
    auth: Authorized<can::ReadAwards>,
    id: web::Path<uuid::Uuid>,
) -> Result<HttpResponse, ApiError> {
    let principal = auth.principal;
    let id = AwardId::from_uuid(id.into_inner());
    let record = blocking(move || state.db.read(|c| visible(c, &principal, id))).await?;
    let view = AwardView::from(record);
    Ok(ok_versioned(view.version, &view))
}

type Change = fn(
    &mut AnyConnection,
    &Record<awards::Stored>,
    &Actor,
) -> Result<(awards::Stored, Option<Transfer>), ApiError>;

async fn change(
    state: web::Data<AppState>,
    principal: Principal,
    req: HttpRequest,
    key: IdempotencyKey,
    id: uuid::Uuid,
    action: &'static str,
    change: Change,
) -> Result<HttpResponse, ApiError> {
    let id = AwardId::from_uuid(id);
    let actor = principal.actor();
    let p = principal.clone();
    idempotency::write(&state, &req, &principal, key, StatusCode::OK, move |c| {
        let before = visible(c, &p, id)?;
        let (after, transfer) = change(c, &before, &actor)?;
        let record = awards::save(
            c,
            &before,
            &after,
            transfer.as_ref(),
            action,
            &actor,
            Utc::now(),
        )?;
        let view = AwardView::from(record);
        Ok(Created {
            location: None,
            version: Some(view.version),
            body: view,
        })
    })
    .await
}

/// Accept an offer (the grantee, or an administrator on its behalf).
#[utoipa::path(
    tag = "awards",
    params(("id" = Uuid, Path, description = "The award's id"), ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")),
    responses((status = 200, description = "Accepted", body = AwardView), (status = 409, description = "Not offered", body = Problem)),
    security(("bearer" = []))
)]
#[post("/awards/{id}/accept")]
pub async fn accept(
    state: web::Data<AppState>,
    auth: Authorized<can::RespondToAward>,
    req: HttpRequest,
    key: IdempotencyKey,
    id: web::Path<uuid::Uuid>,
) -> Result<HttpResponse, ApiError> {
    change(
        state,
        auth.principal,
        req,
        key,
        id.into_inner(),
        "award.accepted",
        |_, before, _| {
            let accepted = before.value.award.accept().map_err(award_error)?;
            Ok((
                awards::Stored {
                    award: accepted,
                    ..before.value.clone()
                },
                None,
            ))
        },
    )
    .await
}

/// Decline an offer: its whole amount returns to the round.
#[utoipa::path(
    tag = "awards",
    params(("id" = Uuid, Path, description = "The award's id"), ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")),
    responses((status = 200, description = "Declined", body = AwardView), (status = 409, description = "Not offered", body = Problem)),
    security(("bearer" = []))
)]
#[post("/awards/{id}/decline")]
pub async fn decline(
    state: web::Data<AppState>,
    auth: Authorized<can::RespondToAward>,
    req: HttpRequest,
    key: IdempotencyKey,
    id: web::Path<uuid::Uuid>,
) -> Result<HttpResponse, ApiError> {
    change(
        state,
        auth.principal,
        req,
        key,
        id.into_inner(),
        "award.declined",
        |_, before, _| {
            let a = &before.value.award;
            let (declined, released) = a.decline().map_err(award_error)?;
            let transfer = Transfer::award_released(a.round_id, a.id, released).ok();
            Ok((
                awards::Stored {
                    award: declined,
                    ..before.value.clone()
                },
                transfer,
            ))
        },
    )
    .await
}

/// Cancel an award, with a reason: tranches not yet paid fail (leaving any
/// draft payment run), and the unpaid amount returns to the round. The
/// reason is kept on the award, in its `award.cancelled` audit event and in
/// each failed tranche's note.
#[utoipa::path(
    tag = "awards",
    params(("id" = Uuid, Path, description = "The award's id"), ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")),
    request_body = ReasonBody,
    responses((status = 200, description = "Cancelled", body = AwardView), (status = 409, description = "Not offered or accepted", body = Problem)),
    security(("bearer" = []))
)]
#[post("/awards/{id}/cancel")]
pub async fn cancel(
    state: web::Data<AppState>,
    auth: Authorized<can::ManageAwards>,
    req: HttpRequest,
    key: IdempotencyKey,
    id: web::Path<uuid::Uuid>,
    body: Json<ReasonBody>,
) -> Result<HttpResponse, ApiError> {
    let reason = CancellationReason::parse(&body.reason)
        .map_err(|e| ApiError::invalid("reason", e.to_string()))?;
    let principal = auth.principal;
    let id = AwardId::from_uuid(id.into_inner());
    let actor = principal.actor();
    let p = principal.clone();
    idempotency::write(&state, &req, &principal, key, StatusCode::OK, move |c| {
        let first = visible(c, &p, id)?;
        first
            .value
            .award
            .status
            .cancel()
            .map_err(|e| ApiError::Conflict(e.to_string()))?;
        let now = Utc::now();
        // Unpaid tranches fail first, so what is left to release is exact.
        disbursements::fail_unpaid(c, id, &reason.tranche_note(), &actor, now)?;
        let before = awards::get(c, id)?;
        let a = &before.value.award;
        let (cancelled, released) = a.cancel().map_err(award_error)?;
        let transfer = Transfer::award_released(a.round_id, a.id, released).ok();
        let after = awards::Stored {
            award: cancelled,
            cancellation_reason: Some(reason.as_str().to_owned()),
            ..before.value.clone()
        };
        let record = awards::save(
            c,
            &before,
            &after,
            transfer.as_ref(),
            "award.cancelled",
            &actor,
            now,
        )?;
        let view = AwardView::from(record);
        Ok(Created {
            location: None,
            version: Some(view.version),
            body: view,
        })
    })
    .await
}

/// Mark a fully paid award complete.
#[utoipa::path(
    tag = "awards",
    params(("id" = Uuid, Path, description = "The award's id"), ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")),
    responses((status = 200, description = "Completed", body = AwardView), (status = 409, description = "Not accepted, or not fully paid", body = Problem)),
    security(("bearer" = []))
)]
#[post("/awards/{id}/complete")]
pub async fn complete(
    state: web::Data<AppState>,
    auth: Authorized<can::ManageAwards>,
    req: HttpRequest,
    key: IdempotencyKey,
    id: web::Path<uuid::Uuid>,
) -> Result<HttpResponse, ApiError> {
    change(
        state,
        auth.principal,
        req,
        key,
        id.into_inner(),
        "award.completed",
        |_, before, _| {
            let completed = before.value.award.complete().map_err(award_error)?;
            Ok((
                awards::Stored {
                    award: completed,
                    ..before.value.clone()
                },
                None,
            ))
        },
    )
    .await
}

/// An award's variations.
#[utoipa::path(
    tag = "awards",
    params(("id" = Uuid, Path, description = "The award's id")),
    responses((status = 200, description = "Its variations, oldest first", body = ListResponse<VariationView>), (status = 404, body = Problem)),
    security(("bearer" = []))
)]
#[get("/awards/{id}/variations")]
pub async fn list_variations(
    state: web::Data<AppState>,
    auth: Authorized<can::ReadAwards>,
    id: web::Path<uuid::Uuid>,
) -> Result<HttpResponse, ApiError> {
    let principal = auth.principal;
    let id = AwardId::from_uuid(id.into_inner());
    let list = blocking(move || {
        state.db.read(|c| {
            visible(c, &principal, id)?;
            Ok::<_, ApiError>(awards::variations(c, id)?)
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(ListResponse {
        items: list
            .into_iter()
            .map(VariationView::from)
            .collect::<Vec<_>>(),
        next: None,
    }))
}

/// Change an award's amount, with a reason. Up needs headroom in the round
/// (409 otherwise); down can never go below what is paid or scheduled. An
/// amount outside the round's grant range is a 422 naming the range, unless
/// the body carries a `range_override` with the administrator's reason,
/// which is kept on the variation and audited (`award.varied_outside_range`).
#[utoipa::path(
    tag = "awards",
    params(("id" = Uuid, Path, description = "The award's id"), ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")),
    request_body = VariationBody,
    responses(
        (status = 201, description = "Varied", body = VariedView),
        (status = 409, description = "Not enough in the round, below what is paid, or the award cannot be varied", body = Problem),
        (status = 422, description = "Invalid, or outside the round's grant range without a range_override", body = Problem),
    ),
    security(("bearer" = []))
)]
#[post("/awards/{id}/variations")]
pub async fn vary(
    state: web::Data<AppState>,
    auth: Authorized<can::ManageAwards>,
    req: HttpRequest,
    key: IdempotencyKey,
    id: web::Path<uuid::Uuid>,
    body: Json<VariationBody>,
) -> Result<HttpResponse, ApiError> {
    let principal = auth.principal;
    let id = AwardId::from_uuid(id.into_inner());
    let b = body.into_inner();
    let range_override = b
        .range_override
        .as_ref()
        .map(|o| RangeOverride::parse(&o.reason))
        .transpose()
        .map_err(|e| ApiError::invalid("range_override.reason", e.to_string()))?;
    let actor = principal.actor();
    idempotency::write(
        &state,
        &req,
        &principal,
        key,
        StatusCode::CREATED,
        move |c| {
            let before = awards::get(c, id)?;
            let range = rounds::get(c, before.value.award.round_id)?
                .value
                .grant_range;
            let (varied, delta) = before
                .value
                .award
                .vary_in_range(range, b.amount, &b.reason, range_override.as_ref())
                .map_err(|e| match e {
                    VariationError::Reason(_) => ApiError::invalid("reason", e.to_string()),
                    VariationError::Zero
                    | VariationError::Unchanged { .. }
                    | VariationError::OutsideRange { .. } => {
                        ApiError::invalid("amount", e.to_string())
                    }
                    VariationError::OverrideNotNeeded { .. } => {
                        ApiError::invalid("range_override", e.to_string())
                    }
                    _ => ApiError::Conflict(e.to_string()),
                })?;
            let (record, variation) = awards::vary(
                c,
                &before,
                &varied,
                delta,
                &b.reason,
                range_override.as_ref().map(RangeOverride::reason),
                &actor,
                Utc::now(),
            )?;
            Ok(Created {
                location: Some(format!("/v1/awards/{id}/variations")),
                version: Some(record.version),
                body: VariedView {
                    variation: variation.into(),
                    award: record.into(),
                },
            })
        },
    )
    .await
}

/// An award's tranches.
#[utoipa::path(
    tag = "payments",
    params(("id" = Uuid, Path, description = "The award's id")),
    responses((status = 200, description = "Its tranches, oldest first", body = ListResponse<DisbursementView>), (status = 404, body = Problem)),
    security(("bearer" = []))
)]
#[get("/awards/{id}/disbursements")]
pub async fn list_disbursements(
    state: web::Data<AppState>,
    auth: Authorized<can::ReadAwards>,
    id: web::Path<uuid::Uuid>,
) -> Result<HttpResponse, ApiError> {
    let principal = auth.principal;
    let id = AwardId::from_uuid(id.into_inner());
    let list = blocking(move || {
        state.db.read(|c| {
            visible(c, &principal, id)?;
            Ok::<_, ApiError>(disbursements::for_award(c, id)?)
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(ListResponse {
        items: list
            .into_iter()
            .map(DisbursementView::from)
            .collect::<Vec<_>>(),
        next: None,
    }))
}

/// Schedule a payment tranche: only for an accepted award whose grantee has
/// passed due diligence, and never more in total than the award.
#[utoipa::path(
    tag = "payments",
    params(("id" = Uuid, Path, description = "The award's id"), ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")),
    request_body = NewDisbursementBody,
    responses(
        (status = 201, description = "Scheduled", body = DisbursementView),
        (status = 409, description = "Not accepted, due diligence not passed, or more than the award", body = Problem),
        (status = 422, description = "Invalid", body = Problem),
    ),
    security(("bearer" = []))
)]
#[post("/awards/{id}/disbursements")]
pub async fn schedule(
    state: web::Data<AppState>,
    auth: Authorized<can::ManageAwards>,
    req: HttpRequest,
    key: IdempotencyKey,
    id: web::Path<uuid::Uuid>,
    body: Json<NewDisbursementBody>,
) -> Result<HttpResponse, ApiError> {
    let principal = auth.principal;
    let id = AwardId::from_uuid(id.into_inner());
    let b = body.into_inner();
    let actor = principal.actor();
    idempotency::write(
        &state,
        &req,
        &principal,
        key,
        StatusCode::CREATED,
        move |c| {
            let award = awards::get(c, id)?;
            let grantee = grantees::get(c, award.value.award.grantee_id)?.value;
            let d = Disbursement::schedule(
                DisbursementId::new(),
                &award.value.award,
                b.amount,
                b.due_on,
                award.value.scheduled,
                &grantee,
            )
            .map_err(|e| match e {
                DisbursementError::ZeroAmount => ApiError::invalid("amount", e.to_string()),
                _ => ApiError::Conflict(e.to_string()),
            })?;
            let record = disbursements::schedule(c, &award.value, &d, &actor, Utc::now())?;
            let view = DisbursementView::from(record);
            Ok(Created {
                location: Some(format!("/v1/awards/{id}/disbursements")),
                version: Some(view.version),
                body: view,
            })
        },
    )
    .await
}
