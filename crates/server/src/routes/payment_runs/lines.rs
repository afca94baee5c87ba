//! A payment run's lines: what it pays and what it held out, and each
//! line confirmed paid or failed (who and when are kept on the line).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{DateTime, NaiveDate, Utc};
use grantledger_domain::Money;
use grantledger_domain::bank::{BankAccount, PaymentHold};
use grantledger_domain::disbursement::DisbursementStatus;
use grantledger_domain::ids::{DisbursementId, GranteeId, PaymentRunId, UserId};
use grantledger_store::disbursements::Outcome;
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{ApiError, Problem};
use crate::extract::Json;
use crate::http::blocking;
use crate::idempotency::{self, Created, IdempotencyKey};
use crate::operations;
use crate::operations::payments::PayingLine;
use crate::policy::{Authorized, can};
use crate::routes::awards::DisbursementView;
use crate::routes::payments::NoteBody;
use crate::state::AppState;

/// One line of a payment run.
#[derive(Debug, Serialize, ToSchema)]
pub struct RunLineView {
    /// The tranche.
    pub disbursement_id: DisbursementId,
    /// `scheduled` (to pay), `paid`, `reversed` or `returned`.
    pub status: DisbursementStatus,
    /// The award's reference: the payment reference on the bank file.
    pub award_reference: String,
    /// The grantee paid.
    pub grantee_id: GranteeId,
    /// Its name.
    pub payee: String,
    /// How much.
    pub amount: Money,
    /// When it was due.
    pub due_on: NaiveDate,
    /// Who marked it paid, failed or returned.
    pub settled_by: Option<UserId>,
    /// When.
    pub settled_at: Option<DateTime<Utc>>,
    /// The account it pays, masked: the one fixed when the run was
    /// approved (before approval, the grantee's verified account now).
    /// Absent when the line cannot be paid now.
    pub account: Option<LineAccount>,
    /// Why the line cannot be paid now, when it cannot: the bank file is
    /// refused while any line has a reason.
    pub cannot_pay: Option<String>,
}

/// The account a line pays, with the number masked.
#[derive(Debug, Serialize, ToSchema)]
pub struct LineAccount {
    /// The name on the account.
    pub account_name: String,
    /// The sort code, `12-34-56`.
    pub sort_code: String,
    /// The account number's last 4 digits, as `****5678`.
    pub account_number: String,
}

impl LineAccount {
    /// The masked view of an account.
    pub fn of(account: &BankAccount) -> LineAccount {
        LineAccount {
            account_name: account.account_name.to_string(),
            sort_code: account.sort_code.hyphenated(),
            account_number: account.account_number.masked(),
        }
    }
}

/// A tranche due when the run was made but held out of it.
#[derive(Debug, Serialize, ToSchema)]
pub struct HeldLineView {
    /// The tranche.
    pub disbursement_id: DisbursementId,
    /// The award's reference.
    pub award_reference: String,
    /// The grantee it would have paid.
    pub grantee_id: GranteeId,
    /// Its name.
    pub payee: String,
    /// How much.
    pub amount: Money,
    /// `no_bank_details` or `bank_details_awaiting_verification`.
    pub reason: String,
    /// The reason in words.
    pub explanation: String,
}

/// A run's lines and the tranches held out of it.
#[derive(Debug, Serialize, ToSchema)]
pub struct RunLinesView {
    /// What it pays (or paid).
    pub lines: Vec<RunLineView>,
    /// What was due but held, and why.
    pub held: Vec<HeldLineView>,
}

impl RunLinesView {
    /// The view of a run's lines and held tranches, for the API and the
    /// command line alike.
    pub(crate) fn of(
        lines: Vec<PayingLine>,
        held: Vec<grantledger_store::disbursements::HeldLine>,
    ) -> RunLinesView {
        RunLinesView {
            lines: lines
                .into_iter()
                .map(|PayingLine { line: l, account }| RunLineView {
                    account: account.as_ref().ok().map(LineAccount::of),
                    cannot_pay: account.err().map(|why| why.to_string()),
                    disbursement_id: l.disbursement_id,
                    status: l.status,
                    award_reference: l.award_reference,
                    grantee_id: l.grantee_id,
                    payee: l.payee,
                    amount: l.amount,
                    due_on: l.due_on,
                    settled_by: l.settled_by,
                    settled_at: l.settled_at,
                })
                .collect(),
            held: held.into_iter().map(hold_view).collect(),
        }
    }
}

fn hold_view(h: grantledger_store::disbursements::HeldLine) -> HeldLineView {
    let reason: PaymentHold = h.reason;
    HeldLineView {
        disbursement_id: h.disbursement_id,
        award_reference: h.award_reference,
        grantee_id: h.grantee_id,
        payee: h.payee,
        amount: h.amount,
        reason: reason.code().to_owned(),
        explanation: reason.to_string(),
    }
}

/// A run's lines (with who confirmed each and when) and the tranches held
/// out of it when it was made, with why.
#[utoipa::path(
    tag = "payments",
    params(("id" = Uuid, Path, description = "The run's id")),
    responses((status = 200, description = "Lines and held tranches", body = RunLinesView), (status = 404, body = Problem)),
    security(("bearer" = []))
)]
#[get("/payment-runs/{id}/lines")]
pub async fn run_lines(
    state: web::Data<AppState>,
    _auth: Authorized<can::ReadPayments>,
    id: web::Path<uuid::Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = PaymentRunId::from_uuid(id.into_inner());
    let view = blocking(move || {
        state.db.read(|c| {
            let lines = operations::payments::run_lines(c, &state.bank_keys, id)?;
            let held = operations::payments::held_lines(c, id)?;
            Ok::<_, ApiError>(RunLinesView::of(lines, held))
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(view))
}

async fn settle_line(
    state: web::Data<AppState>,
    auth: Authorized<can::ManagePayments>,
    req: HttpRequest,
    key: IdempotencyKey,
    path: (uuid::Uuid, uuid::Uuid),
    body: Option<Json<NoteBody>>,
    outcome: Outcome,
) -> Result<HttpResponse, ApiError> {
    let principal = auth.principal;
    let run = PaymentRunId::from_uuid(path.0);
    let line = DisbursementId::from_uuid(path.1);
    let note = match body {
        Some(body) => crate::input_errors::validated(body.into_inner())?.note,
        None => None,
    };
    let actor = principal.actor();
    let notices = state.notices.clone();
    idempotency::write(&state, &req, &principal, key, StatusCode::OK, move |c| {
        let record = operations::payments::settle_line(
            c,
            &notices,
            &actor,
            run,
            line,
            outcome,
            note.as_deref(),
        )?;
        Ok(Created::updated(DisbursementView::from(record)))
    })
    .await
}

/// Confirm one line of an approved run paid (who and when are kept). Once
/// no line is left to pay, the run is confirmed.
#[utoipa::path(
    tag = "payments",
    params(("id" = Uuid, Path, description = "The run's id"), ("line" = Uuid, Path, description = "The tranche's id"), IdempotencyKey),
    request_body(content = Option<NoteBody>, description = "An optional note"),
    responses((status = 200, description = "Paid", body = DisbursementView), (status = 404, description = "No such run or tranche", body = Problem), (status = 409, description = "The run is not approved, the tranche is not in it, or the line is not to pay", body = Problem)),
    security(("bearer" = []))
)]
#[post("/payment-runs/{id}/lines/{line}/paid")]
pub async fn line_paid(
    state: web::Data<AppState>,
    auth: Authorized<can::ManagePayments>,
    req: HttpRequest,
    key: IdempotencyKey,
    path: web::Path<(uuid::Uuid, uuid::Uuid)>,
    body: Option<Json<NoteBody>>,
) -> Result<HttpResponse, ApiError> {
    settle_line(
        state,
        auth,
        req,
        key,
        path.into_inner(),
        body,
        Outcome::Paid,
    )
    .await
}

/// Record one line of an approved run as failed: it leaves the run (whose
/// total drops) and no longer counts against its award.
#[utoipa::path(
    tag = "payments",
    params(("id" = Uuid, Path, description = "The run's id"), ("line" = Uuid, Path, description = "The tranche's id"), IdempotencyKey),
    request_body(content = Option<NoteBody>, description = "What the bank said"),
    responses((status = 200, description = "Failed", body = DisbursementView), (status = 404, description = "No such run or tranche", body = Problem), (status = 409, description = "The run is not approved, the tranche is not in it, or the line is not to pay", body = Problem)),
    security(("bearer" = []))
)]
#[post("/payment-runs/{id}/lines/{line}/failed")]
pub async fn line_failed(
    state: web::Data<AppState>,
    auth: Authorized<can::ManagePayments>,
    req: HttpRequest,
    key: IdempotencyKey,
    path: web::Path<(uuid::Uuid, uuid::Uuid)>,
    body: Option<Json<NoteBody>>,
) -> Result<HttpResponse, ApiError> {
    settle_line(
        state,
        auth,
        req,
        key,
        path.into_inner(),
        body,
        Outcome::Failed,
    )
    .await
}
