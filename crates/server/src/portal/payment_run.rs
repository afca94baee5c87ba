//! One payment run: what it pays and what was held out of it and why;
//! "Approve" (by an administrator other than the one who made it),
//! "Cancel", the bank file once approved, and each line confirmed paid or
//! failed. Auditors see the same page without buttons or files.

use actix_web::http::StatusCode;
use actix_web::{ResponseError, get, post, web};
use askama::Template;
use grantledger_domain::bank::LineRefusal;
use grantledger_domain::disbursement::DisbursementStatus;
use grantledger_domain::ids::{DisbursementId, PaymentRunId};
use grantledger_domain::payment_run::PaymentRunStatus;
use grantledger_store::disbursements::Outcome;
use serde::Deserialize;

use crate::error::ApiError;
use crate::http::blocking;
use crate::operations;
use crate::operations::payments::{BankFileFormat, PayingLine};
use crate::policy::Action;
use crate::portal::format::{date, instant, pounds, status};
use crate::portal::forms::FormErrors;
use crate::portal::messages::english;
use crate::portal::page::{Chrome, PortalError, PortalResult, html_with_status, see_other};
use crate::portal::payment_runs::fund_names;
use crate::portal::session::{Posted, SignedIn};
use crate::portal::table::{Cell, Table};
use crate::portal::verify_bank_details::emails;
use crate::state::AppState;

/// A line the run pays, as the page shows it.
#[derive(Debug)]
pub struct LineView {
    /// The tranche's id, for its buttons.
    pub id: String,
    /// The grantee paid.
    pub payee: String,
    /// The award's reference: the payment reference on the bank file.
    pub reference: String,
    /// The account it pays, masked, or why it cannot be paid now.
    pub account: String,
    /// How much.
    pub amount: String,
    /// Its status in words and tag colour.
    pub status: (String, &'static str),
    /// Whether it can still be confirmed paid or failed.
    pub to_settle: bool,
}

/// What the run page says about the run.
#[derive(Debug)]
pub struct RunView {
    /// Its id.
    pub id: String,
    /// Its status in words and tag colour.
    pub status: (String, &'static str),
    /// The fund paying.
    pub fund: String,
    /// The round, when the run pays one round only.
    pub round: Option<String>,
    /// Tranches due on or before this date.
    pub due_by: String,
    /// How many lines, and their sum.
    pub count: u32,
    /// The sum of its lines.
    pub total: String,
    /// Who made it, and when.
    pub made: String,
    /// Who approved it, and when.
    pub approved: Option<String>,
}

#[derive(Template)]
#[template(path = "payment_run.html")]
struct RunPage {
    c: Chrome,
    errors: FormErrors,
    done: Option<String>,
    r: RunView,
    lines: Vec<LineView>,
    held: Table,
    can_approve: bool,
    can_cancel: bool,
    has_file: bool,
    /// The masked copy, for administrators and auditors once approved.
    has_audit_copy: bool,
    can_settle: bool,
}

fn run_id(raw: &str) -> Result<PaymentRunId, PortalError> {
    raw.parse::<uuid::Uuid>()
        .map(PaymentRunId::from_uuid)
        .map_err(|_| PortalError::NotFound)
}

async fn page(
    state: &web::Data<AppState>,
    signed_in: &SignedIn,
    id: PaymentRunId,
    status_code: StatusCode,
    errors: FormErrors,
    done: Option<String>,
) -> PortalResult {
    let state = state.clone();
    let (run, lines, held, funds, round, names) = blocking(move || {
        state.db.read(|c| {
            let run = operations::payments::get_run(c, id)?.value;
            let lines = operations::payments::run_lines(c, &state.bank_keys, id)?;
            let held = operations::payments::held_lines(c, id)?;
            let funds = fund_names(c)?;
            let round = match run.scope.round_id {
                Some(r) => Some(operations::rounds::get(c, r)?.record.value.name),
                None => None,
            };
            let people = run.created_by.into_iter().chain(run.approved.map(|a| a.0));
            let names = emails(c, people)?;
            Ok::<_, ApiError>((run, lines, held, funds, round, names))
        })
    })
    .await?;
    let m = english();
    let who = |id: Option<grantledger_domain::ids::UserId>| {
        id.and_then(|id| names.get(&id).cloned())
            .unwrap_or_else(|| m.t("runs-the-system"))
    };
    let manages = signed_in.can(Action::ManagePayments);
    let verifies = signed_in.can(Action::VerifyBankDetails);
    let view = RunView {
        id: run.id.to_string(),
        status: status(m, "run", run.status.as_str()),
        fund: run
            .scope
            .fund_id
            .and_then(|f| funds.get(&f).cloned())
            .unwrap_or_default(),
        round,
        due_by: date(run.scope.due_by),
        count: run.count,
        total: pounds(run.total),
        made: m.with(
            "runs-by-at",
            &[
                ("who", &who(run.created_by)),
                ("when", &instant(run.created_at)),
            ],
        ),
        approved: run.approved.map(|(by, at)| {
            m.with(
                "runs-by-at",
                &[("who", &who(Some(by))), ("when", &instant(at))],
            )
        }),
    };
    let approved = run.status == PaymentRunStatus::Approved;
    let lines = lines
        .into_iter()
        .map(|PayingLine { line: l, account }| LineView {
            account: match account {
                Ok(a) => format!("{} {}", a.sort_code.hyphenated(), a.account_number.masked()),
                Err(LineRefusal::Held(why)) => m.with(
                    "runs-account-held",
                    &[("why", &m.t(&format!("held-{}", why.code())))],
                ),
                Err(LineRefusal::ChangedSinceApproval) => m.t("runs-account-changed"),
            },
            id: l.disbursement_id.to_string(),
            payee: l.payee,
            reference: l.award_reference,
            amount: pounds(l.amount),
            status: status(m, "tranche", l.status.as_str()),
            to_settle: approved && l.status == DisbursementStatus::Scheduled,
        })
        .collect();
    let mut held_table = Table::under_heading(
        m.t("runs-held"),
        &[
            (m.t("column-payee"), false),
            (m.t("column-reference"), false),
            (m.t("column-amount"), true),
            (m.t("column-why-held"), false),
        ],
        m.t("runs-none-held"),
    );
    held_table.rows = held
        .into_iter()
        .map(|h| {
            // An administrator goes from a held payment to the change
            // that holds it.
            let payee = if verifies {
                Cell::link(h.payee, format!("/grantees/{}/bank-details", h.grantee_id))
            } else {
                Cell::text(h.payee)
            };
            vec![
                payee,
                Cell::text(h.award_reference),
                Cell::figure(pounds(h.amount)),
                Cell::text(m.t(&format!("held-{}", h.reason.code()))),
            ]
        })
        .collect();
    html_with_status(
        status_code,
        &RunPage {
            c: Chrome::signed_in(signed_in, "home"),
            errors,
            done,
            r: view,
            lines,
            held: held_table,
            can_approve: manages && run.status == PaymentRunStatus::Draft,
            can_cancel: manages && run.status.is_open(),
            has_file: manages && run.check_exportable().is_ok(),
            has_audit_copy: run.check_exportable().is_ok(),
            can_settle: manages && approved,
        },
    )
}

/// What the page should confirm after a change.
#[derive(Debug, Deserialize)]
pub struct Done {
    made: Option<String>,
    done: Option<String>,
}

/// A run, its lines and the tranches held out of it.
#[get("/payment-runs/{id}")]
pub async fn show(
    state: web::Data<AppState>,
    signed_in: SignedIn,
    path: web::Path<String>,
    query: web::Query<Done>,
) -> PortalResult {
    let id = run_id(&path)?;
    signed_in.may(Action::ReadPayments)?;
    let m = english();
    let done = if query.made.is_some() {
        Some(m.t("runs-made"))
    } else {
        match query.done.as_deref() {
            Some(change @ ("approved" | "cancelled" | "paid" | "failed")) => {
                Some(m.t(&format!("runs-done-{change}")))
            }
            _ => None,
        }
    };
    page(
        &state,
        &signed_in,
        id,
        StatusCode::OK,
        FormErrors::default(),
        done,
    )
    .await
}

#[derive(Debug, Clone, Copy)]
enum Change {
    Approve,
    Cancel,
    /// A line confirmed paid (`true`) or failed.
    Settle(DisbursementId, bool),
}

impl Change {
    fn done(self) -> &'static str {
        match self {
            Change::Approve => "approved",
            Change::Cancel => "cancelled",
            Change::Settle(_, true) => "paid",
            Change::Settle(_, false) => "failed",
        }
    }
}

async fn change(
    state: web::Data<AppState>,
    signed_in: SignedIn,
    id: PaymentRunId,
    change: Change,
) -> PortalResult {
    signed_in.may(Action::ManagePayments)?;
    let actor = signed_in.principal.actor();
    let changed = {
        let state = state.clone();
        blocking(move || {
            state.db.write(|c| match change {
                Change::Approve => operations::payments::approve_run(c, &actor, id).map(|_| ()),
                Change::Cancel => operations::payments::cancel_run(c, &actor, id).map(|_| ()),
                Change::Settle(line, paid) => {
                    let outcome = if paid { Outcome::Paid } else { Outcome::Failed };
                    operations::payments::settle_line(
                        c,
                        &state.notices,
                        &actor,
                        id,
                        line,
                        outcome,
                        None,
                    )
                    .map(|_| ())
                }
            })
        })
        .await
    };
    let (status, errors) = match changed {
        Ok(()) => {
            return Ok(see_other(&format!(
                "/payment-runs/{id}?done={}",
                change.done()
            )));
        }
        // The role was checked above: a refusal now is the four-eyes rule.
        Err(ApiError::Forbidden(_)) => (
            StatusCode::FORBIDDEN,
            FormErrors::one("", english().t("runs-same-administrator")),
        ),
        Err(e) => (e.status_code(), FormErrors::from_api(e)?),
    };
    page(&state, &signed_in, id, status, errors, None).await
}

/// Approves a draft run: a second administrator, not its maker.
#[post("/payment-runs/{id}/approve")]
pub async fn approve(
    state: web::Data<AppState>,
    posted: Posted<std::collections::HashMap<String, String>>,
    path: web::Path<String>,
) -> PortalResult {
    let id = run_id(&path)?;
    change(state, posted.signed_in, id, Change::Approve).await
}

/// Cancels a run none of whose lines is paid: its tranches are free again.
#[post("/payment-runs/{id}/cancel")]
pub async fn cancel(
    state: web::Data<AppState>,
    posted: Posted<std::collections::HashMap<String, String>>,
    path: web::Path<String>,
) -> PortalResult {
    let id = run_id(&path)?;
    change(state, posted.signed_in, id, Change::Cancel).await
}

/// Confirms one line paid, or records that the bank's payment failed.
#[post("/payment-runs/{id}/lines/{line}/{outcome}")]
pub async fn settle(
    state: web::Data<AppState>,
    posted: Posted<std::collections::HashMap<String, String>>,
    path: web::Path<(String, String, String)>,
) -> PortalResult {
    let (raw_run, raw_line, outcome) = path.into_inner();
    let id = run_id(&raw_run)?;
    let line = raw_line
        .parse::<uuid::Uuid>()
        .map(DisbursementId::from_uuid)
        .map_err(|_| PortalError::NotFound)?;
    let paid = match outcome.as_str() {
        "paid" => true,
        "failed" => false,
        _ => return Err(PortalError::NotFound),
    };
    change(state, posted.signed_in, id, Change::Settle(line, paid)).await
}

/// Which bank file.
#[derive(Debug, Deserialize)]
pub struct FileQuery {
    format: Option<String>,
}

/// An approved run's bank file, as an attachment that is never cached: it
/// holds the grantees' full account numbers. `?format=audit_copy` is the
/// masked copy administrators and auditors may both download.
#[get("/payment-runs/{id}/file")]
pub async fn file(
    state: web::Data<AppState>,
    signed_in: SignedIn,
    path: web::Path<String>,
    query: web::Query<FileQuery>,
) -> PortalResult {
    let id = run_id(&path)?;
    let format = match query.format.as_deref() {
        None | Some("standard18") => BankFileFormat::Standard18,
        Some("bank_csv") => BankFileFormat::BankCsv,
        Some("audit_copy") => BankFileFormat::AuditCopy,
        Some(_) => return Err(PortalError::NotFound),
    };
    // The masked copy is an auditor's too; the files a bank takes are not.
    signed_in.may(match format {
        BankFileFormat::AuditCopy => Action::ReadPayments,
        BankFileFormat::Standard18 | BankFileFormat::BankCsv => Action::ManagePayments,
    })?;
    Ok(crate::routes::payment_runs::download_bank_file(state, id, format, None).await?)
}
