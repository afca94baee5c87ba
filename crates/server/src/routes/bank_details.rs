//! `/v1/grantees/{id}/bank-details`: where a grantee is paid, entered by
//! the grantee or an administrator and verified by a second
//! administrator. Account numbers are only ever shown masked.

use actix_web::{HttpResponse, get, post, put, web};
use chrono::{DateTime, Utc};
use grantledger_domain::bank::{BankAccount, Entered, ModulusTable, PaymentHold, RollNumber};
use grantledger_domain::ids::{GranteeId, UserId};
use grantledger_store::bank_details::{Details, Waiting};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{ApiError, Problem};
use crate::extract::Json;
use crate::http::blocking;
use crate::operations::bank_details as op;
use crate::policy::{Authorized, can};
use crate::state::AppState;

/// An account as the API shows it: the number masked to its last 4 digits.
#[derive(Debug, Serialize, ToSchema)]
pub struct MaskedAccount {
    /// The name on the account.
    pub account_name: String,
    /// The sort code, `12-34-56`.
    pub sort_code: String,
    /// The account number's last 4 digits, as `****5678`.
    pub account_number: String,
    /// The roll number's last 4 characters, masked, when there is one.
    pub roll_number: Option<String>,
    /// Who entered it.
    pub entered_by: UserId,
    /// When.
    pub entered_at: DateTime<Utc>,
    /// Pay.UK's modulus check of the sort code and number: `valid`, or
    /// `not_checked` when the tables do not list the sort code.
    pub modulus_check: String,
}

impl MaskedAccount {
    fn of(account: &BankAccount, entered: &Entered, modulus: &ModulusTable) -> MaskedAccount {
        MaskedAccount {
            modulus_check: modulus
                .check(&account.sort_code, &account.account_number)
                .code()
                .to_owned(),
            account_name: account.account_name.to_string(),
            sort_code: account.sort_code.hyphenated(),
            account_number: account.account_number.masked(),
            roll_number: account.roll_number.as_ref().map(mask_roll),
            entered_by: entered.by,
            entered_at: entered.at,
        }
    }
}

/// A roll number with all but its last 4 characters hidden.
#[must_use]
pub fn mask_roll(roll: &RollNumber) -> String {
    let chars: Vec<char> = roll.as_str().chars().collect();
    let keep = chars.len().saturating_sub(4);
    chars
        .iter()
        .enumerate()
        .map(|(i, c)| if i < keep { '*' } else { *c })
        .collect()
}

/// The account payments go to, and who verified it.
#[derive(Debug, Serialize, ToSchema)]
pub struct VerifiedAccount {
    /// The account, masked.
    #[serde(flatten)]
    pub account: MaskedAccount,
    /// The administrator who verified it.
    pub verified_by: UserId,
    /// When.
    pub verified_at: DateTime<Utc>,
    /// How it was checked.
    pub verification_note: String,
}

/// A grantee's bank details.
#[derive(Debug, Serialize, ToSchema)]
pub struct BankDetailsView {
    /// The grantee.
    pub grantee_id: GranteeId,
    /// Why payments to the grantee are held (`no_bank_details`,
    /// `bank_details_awaiting_verification`); absent when they are not.
    pub payment_hold: Option<String>,
    /// The verified account payments go to.
    pub in_force: Option<VerifiedAccount>,
    /// A change waiting for a second administrator; payments are held
    /// until it is verified or rejected.
    pub pending: Option<MaskedAccount>,
}

impl BankDetailsView {
    /// The view of a grantee's details: the only form in which they are
    /// shown, by the API and the command line alike.
    pub(crate) fn of(
        grantee_id: GranteeId,
        details: &Details,
        modulus: &ModulusTable,
    ) -> BankDetailsView {
        BankDetailsView {
            grantee_id,
            payment_hold: details.hold().map(|h| PaymentHold::code(h).to_owned()),
            in_force: details.in_force.as_ref().map(|v| VerifiedAccount {
                account: MaskedAccount::of(&v.account.account, &v.entered, modulus),
                verified_by: v.verified.by,
                verified_at: v.verified.at,
                verification_note: v.verified.note.clone(),
            }),
            pending: details
                .pending
                .as_ref()
                .map(|p| MaskedAccount::of(&p.account.account, &p.entered, modulus)),
        }
    }
}

/// Bank details as typed: separators (spaces, hyphens) are allowed.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BankDetailsBody {
    /// The name on the account, as the bank has it.
    pub account_name: String,
    /// The sort code, e.g. `12-34-56`.
    pub sort_code: String,
    /// The 8-digit account number.
    pub account_number: String,
    /// For building-society accounts that need one.
    pub roll_number: Option<String>,
}

/// A note saying how a change was checked, or why it was refused.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionBody {
    /// For example "called the treasurer on the number we hold".
    pub note: String,
}

fn grantee_id(id: web::Path<uuid::Uuid>) -> GranteeId {
    GranteeId::from_uuid(id.into_inner())
}

/// A grantee's bank details, masked. A grantee user sees only its own
/// organisation's (another's answers 404).
#[utoipa::path(
    tag = "bank details",
    params(("id" = Uuid, Path, description = "The grantee's id")),
    responses(
        (status = 200, description = "The bank details", body = BankDetailsView),
        (status = 404, body = Problem),
    ),
    security(("bearer" = []))
)]
#[get("/grantees/{id}/bank-details")]
pub async fn get_bank_details(
    state: web::Data<AppState>,
    auth: Authorized<can::ReadBankDetails>,
    id: web::Path<uuid::Uuid>,
) -> Result<HttpResponse, ApiError> {
    let principal = auth.principal;
    let id = grantee_id(id);
    let keys = state.bank_keys.clone();
    let modulus = state.modulus.clone();
    let state = state.clone();
    let details = blocking(move || state.db.read(|c| op::show(c, &keys, &principal, id))).await?;
    Ok(HttpResponse::Ok().json(BankDetailsView::of(id, &details, &modulus)))
}

/// Enter or change a grantee's bank details. The change waits for an
/// administrator other than the person entering it to verify it, and the
/// grantee's payments are held until then. Every wrong field is named
/// (422), without echoing the digits.
#[utoipa::path(
    tag = "bank details",
    params(("id" = Uuid, Path, description = "The grantee's id")),
    request_body = BankDetailsBody,
    responses(
        (status = 200, description = "The bank details, with the change pending", body = BankDetailsView),
        (status = 404, body = Problem),
        (status = 422, description = "Invalid", body = Problem),
    ),
    security(("bearer" = []))
)]
#[put("/grantees/{id}/bank-details")]
pub async fn enter_bank_details(
    state: web::Data<AppState>,
    auth: Authorized<can::EnterBankDetails>,
    id: web::Path<uuid::Uuid>,
    body: Json<BankDetailsBody>,
) -> Result<HttpResponse, ApiError> {
    let principal = auth.principal;
    let id = grantee_id(id);
    let b = body.into_inner();
    let account = op::parse(
        &op::TypedAccount {
            account_name: b.account_name,
            sort_code: b.sort_code,
            account_number: b.account_number,
            roll_number: b.roll_number,
        },
        &state.modulus,
    )?;
    let keys = state.bank_keys.clone();
    let modulus = state.modulus.clone();
    let state = state.clone();
    let details = blocking(move || {
        state
            .db
            .write(|c| op::enter(c, &keys, &state.notices, &principal, id, &account))
    })
    .await?;
    Ok(HttpResponse::Ok().json(BankDetailsView::of(id, &details, &modulus)))
}

/// Verify a pending change of bank details, saying how it was checked.
/// The administrator who entered it cannot (403).
#[utoipa::path(
    tag = "bank details",
    params(("id" = Uuid, Path, description = "The grantee's id")),
    request_body = DecisionBody,
    responses(
        (status = 200, description = "The bank details, the change now in force", body = BankDetailsView),
        (status = 403, description = "You entered the change", body = Problem),
        (status = 409, description = "Nothing is waiting", body = Problem),
        (status = 422, description = "No note", body = Problem),
    ),
    security(("bearer" = []))
)]
#[post("/grantees/{id}/bank-details/verify")]
pub async fn verify_bank_details(
    state: web::Data<AppState>,
    auth: Authorized<can::VerifyBankDetails>,
    id: web::Path<uuid::Uuid>,
    body: Json<DecisionBody>,
) -> Result<HttpResponse, ApiError> {
    decide(
        state,
        auth.principal.actor(),
        grantee_id(id),
        body.into_inner().note,
        true,
    )
    .await
}

/// Reject a pending change of bank details, saying why; the account in
/// force (if any) stays.
#[utoipa::path(
    tag = "bank details",
    params(("id" = Uuid, Path, description = "The grantee's id")),
    request_body = DecisionBody,
    responses(
        (status = 200, description = "The bank details, the change refused", body = BankDetailsView),
        (status = 403, description = "You entered the change", body = Problem),
        (status = 409, description = "Nothing is waiting", body = Problem),
        (status = 422, description = "No note", body = Problem),
    ),
    security(("bearer" = []))
)]
#[post("/grantees/{id}/bank-details/reject")]
pub async fn reject_bank_details(
    state: web::Data<AppState>,
    auth: Authorized<can::VerifyBankDetails>,
    id: web::Path<uuid::Uuid>,
    body: Json<DecisionBody>,
) -> Result<HttpResponse, ApiError> {
    decide(
        state,
        auth.principal.actor(),
        grantee_id(id),
        body.into_inner().note,
        false,
    )
    .await
}

async fn decide(
    state: web::Data<AppState>,
    actor: grantledger_store::common::Actor,
    id: GranteeId,
    note: String,
    verify: bool,
) -> Result<HttpResponse, ApiError> {
    let keys = state.bank_keys.clone();
    let modulus = state.modulus.clone();
    let details = blocking(move || {
        state.db.write(|c| {
            if verify {
                op::verify(c, &keys, &state.notices, &actor, id, &note)
            } else {
                op::reject(c, &keys, &state.notices, &actor, id, &note)
            }
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(BankDetailsView::of(id, &details, &modulus)))
}

/// A change of bank details waiting for verification.
#[derive(Debug, Serialize, ToSchema)]
pub struct WaitingView {
    /// The grantee.
    pub grantee_id: GranteeId,
    /// Its name.
    pub grantee_name: String,
    /// Who entered the change.
    pub entered_by: UserId,
    /// When.
    pub entered_at: DateTime<Utc>,
}

impl From<Waiting> for WaitingView {
    fn from(w: Waiting) -> Self {
        WaitingView {
            grantee_id: w.grantee_id,
            grantee_name: w.grantee_name,
            entered_by: w.entered.by,
            entered_at: w.entered.at,
        }
    }
}

/// Changes of bank details waiting for a second administrator, oldest first.
#[utoipa::path(
    tag = "bank details",
    responses((status = 200, description = "Waiting changes", body = Vec<WaitingView>)),
    security(("bearer" = []))
)]
#[get("/bank-details/waiting")]
pub async fn waiting_bank_details(
    state: web::Data<AppState>,
    _auth: Authorized<can::VerifyBankDetails>,
) -> Result<HttpResponse, ApiError> {
    let waiting = blocking(move || state.db.read(op::waiting)).await?;
    Ok(HttpResponse::Ok().json(
        waiting
            .into_iter()
            .map(WaitingView::from)
            .collect::<Vec<_>>(),
    ))
}
