//! The awards API's views (answers) and request bodies.

use chrono::{DateTime, NaiveDate, Utc};
use grantledger_domain::Money;
use grantledger_domain::award::AwardStatus;
use grantledger_domain::disbursement::DisbursementStatus;
use grantledger_domain::ids::{
    ApplicationId, AwardId, DisbursementId, FundId, GranteeId, PaymentRunId, RoundId,
};
use grantledger_domain::reference::AwardReference;
use grantledger_store::common::Record;
use grantledger_store::{awards, disbursements};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

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

crate::http::versioned!(AwardView, DisbursementView);
