//! The strategy's pledges in the portal (issue 17): the pledge tracker
//! (`/commitments`, filtered by status and department), one pledge with
//! its status history and, for administrators, a new status with a note;
//! the annual progress report with its chart and downloads; uploading the
//! tracker file. The same operations as `/v1/commitments`.

use actix_multipart::Multipart;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use askama::Template;
use grantledger_domain::commitment::{CommitmentStatus, Department, ImportSummary};
use grantledger_domain::ids::CommitmentId;
use grantledger_store::commitments::{self, CommitmentFilter};
use grantledger_store::common::PageRequest;
use serde::Deserialize;

use crate::error::ApiError;
use crate::extract::TEXT_UPLOAD_LIMIT;
use crate::http::blocking;
use crate::operations::commitments::{self as op, ReportFormat};
use crate::policy::Action;
use crate::portal::chart::{self, BLUE, Chart, Series};
use crate::portal::format::instant;
use crate::portal::forms::FormErrors;
use crate::portal::imports::{BadLine, refusal, run_upload};
use crate::portal::messages::english;
use crate::portal::page::{Chrome, PortalError, PortalResult, html, html_with_status, see_other};
use crate::portal::payment_runs::SelectOption;
use crate::portal::session::{Posted, SignedIn, check_same_site};
use crate::portal::table::{Cell, Table};
use crate::state::AppState;

fn status_tag(status: CommitmentStatus) -> (String, &'static str) {
    let colour = match status {
        CommitmentStatus::Completed => "green",
        CommitmentStatus::InProgress | CommitmentStatus::Ongoing => "blue",
        CommitmentStatus::NotStarted => "yellow",
        CommitmentStatus::NotReported | CommitmentStatus::Other => "grey",
    };
    (status.label().to_owned(), colour)
}

fn statuses(chosen: Option<CommitmentStatus>, any: bool) -> Vec<SelectOption> {
    let mut options = Vec::new();
    if any {
        options.push(SelectOption {
            value: String::new(),
            label: english().t("commitments-any-status"),
            selected: chosen.is_none(),
        });
    }
    options.extend(CommitmentStatus::ALL.iter().map(|s| SelectOption {
        value: s.as_str().to_owned(),
        label: s.label().to_owned(),
        selected: chosen == Some(*s),
    }));
    options
}

#[derive(Template)]
#[template(path = "commitments.html")]
struct TrackerPage {
    c: Chrome,
    errors: FormErrors,
    statuses: Vec<SelectOption>,
    department: String,
    table: Table,
    next: Option<String>,
    manages: bool,
    imported: Option<String>,
    refused: Option<String>,
    bad_lines: Vec<BadLine>,
}

/// `?status=&department=&after=`.
#[derive(Debug, Default, Deserialize)]
pub struct TrackerQuery {
    #[serde(default)]
    status: String,
    #[serde(default)]
    department: String,
    after: Option<uuid::Uuid>,
}

async fn tracker(
    state: &web::Data<AppState>,
    signed_in: &SignedIn,
    query: TrackerQuery,
    status_code: StatusCode,
    imported: Result<Option<ImportSummary>, ApiError>,
) -> PortalResult {
    signed_in.may(Action::ReadCommitments)?;
    let m = english();
    let mut errors = FormErrors::default();
    let status = if query.status.is_empty() {
        None
    } else {
        query
            .status
            .parse::<CommitmentStatus>()
            .map_err(|e| errors.add("status", e.to_string()))
            .ok()
    };
    let department = if query.department.trim().is_empty() {
        None
    } else {
        Department::parse(&query.department)
            .map_err(|e| errors.add("department", e.to_string()))
            .ok()
    };
    let filter = CommitmentFilter { department, status };
    let after = query.after;
    let page = {
        let state = state.clone();
        blocking(move || {
            state.db.read(|c| {
                Ok::<_, ApiError>(commitments::list(
                    c,
                    &filter,
                    PageRequest::new(Some(100), after),
                )?)
            })
        })
        .await?
    };
    let mut table = Table::under_heading(
        m.t("commitments-title"),
        &[
            (m.t("commitments-pledge"), false),
            (m.t("commitments-text"), false),
            (m.t("commitments-departments"), false),
            (m.t("column-status"), false),
        ],
        m.t("commitments-none"),
    );
    for r in &page.items {
        let c = &r.value;
        table.rows.push(vec![
            Cell::link(c.label(), format!("/commitments/{}", c.id)),
            Cell::text(c.text.clone()),
            Cell::text(
                c.departments
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
            Cell::tag(status_tag(c.status)),
        ]);
    }
    let next = page.next.map(|after| {
        let fields = [
            ("status", query.status.clone()),
            ("department", query.department.clone()),
            ("after", after.to_string()),
        ];
        format!(
            "/commitments?{}",
            serde_urlencoded::to_string(fields).unwrap_or_default()
        )
    });
    let (imported, refused, bad_lines) = match imported {
        Ok(None) => (None, None, Vec::new()),
        Ok(Some(s)) => (
            Some(m.with(
                "commitments-imported",
                &[
                    ("rows", &s.rows.to_string()),
                    ("created", &s.created.to_string()),
                    ("changed", &s.progress_changed.to_string()),
                    ("unchanged", &s.unchanged.to_string()),
                ],
            )),
            None,
            Vec::new(),
        ),
        Err(e) => {
            let (why, lines) = refusal(e)?;
            (None, Some(why), lines)
        }
    };
    let status_code = if errors.is_empty() {
        status_code
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    html_with_status(
        status_code,
        &TrackerPage {
            c: Chrome::signed_in(signed_in, "home"),
            errors,
            statuses: statuses(status, true),
            department: query.department,
            table,
            next,
            manages: signed_in.can(Action::ManageCommitments),
            imported,
            refused,
            bad_lines,
        },
    )
}

/// The pledge tracker.
#[get("/commitments")]
pub async fn list(
    state: web::Data<AppState>,
    signed_in: SignedIn,
    query: web::Query<TrackerQuery>,
) -> PortalResult {
    tracker(
        &state,
        &signed_in,
        query.into_inner(),
        StatusCode::OK,
        Ok(None),
    )
    .await
}

/// Uploads the tracker file: all or nothing.
#[post("/commitments/import")]
pub async fn import(
    state: web::Data<AppState>,
    req: HttpRequest,
    signed_in: SignedIn,
    mut payload: Multipart,
) -> PortalResult {
    check_same_site(&req)?;
    signed_in.may(Action::ManageCommitments)?;
    let (status, outcome) = run_upload(
        &state,
        &mut payload,
        &signed_in,
        TEXT_UPLOAD_LIMIT,
        |c, _, bytes, actor| op::import(c, bytes, actor),
    )
    .await?;
    tracker(&state, &signed_in, TrackerQuery::default(), status, outcome).await
}

#[derive(Template)]
#[template(path = "commitment.html")]
struct CommitmentPage {
    c: Chrome,
    errors: FormErrors,
    id: String,
    label: String,
    text: String,
    departments: String,
    progress: String,
    status: (String, &'static str),
    history: Table,
    manages: bool,
    statuses: Vec<SelectOption>,
    note: String,
}

async fn commitment_page(
    state: &web::Data<AppState>,
    signed_in: &SignedIn,
    id: CommitmentId,
    errors: FormErrors,
    note: String,
) -> PortalResult {
    signed_in.may(Action::ReadCommitments)?;
    let (record, history) = {
        let state = state.clone();
        blocking(move || state.db.read(|c| op::get(c, id))).await?
    };
    let m = english();
    let mut table = Table::under_heading(
        m.t("commitments-history"),
        &[
            (m.t("commitments-when"), false),
            (m.t("commitments-who"), false),
            (m.t("column-status"), false),
            (m.t("commitments-note"), false),
        ],
        m.t("commitments-no-history"),
    );
    for h in &history {
        table.rows.push(vec![
            Cell::text(instant(h.at)),
            Cell::text(format!("{} ({})", h.actor, h.source.label())),
            Cell::tag(status_tag(h.status)),
            Cell::text(if h.note.is_empty() {
                h.progress.clone()
            } else {
                h.note.clone()
            }),
        ]);
    }
    let c = record.value;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    html_with_status(
        status,
        &CommitmentPage {
            c: Chrome::signed_in(signed_in, "home"),
            errors,
            id: c.id.to_string(),
            label: c.label(),
            text: c.text.clone(),
            departments: c
                .departments
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", "),
            progress: c.progress.clone(),
            status: status_tag(c.status),
            history: table,
            manages: signed_in.can(Action::ManageCommitments),
            statuses: statuses(Some(c.status), false),
            note,
        },
    )
}

fn commitment_id(text: &str) -> Result<CommitmentId, PortalError> {
    text.parse::<uuid::Uuid>()
        .map(CommitmentId::from_uuid)
        .map_err(|_| PortalError::NotFound)
}

/// One pledge and its history.
#[get("/commitments/{id}")]
pub async fn show(
    state: web::Data<AppState>,
    signed_in: SignedIn,
    path: web::Path<String>,
) -> PortalResult {
    let id = commitment_id(&path)?;
    commitment_page(&state, &signed_in, id, FormErrors::default(), String::new()).await
}

/// A new status with a note (administrators).
#[derive(Debug, Deserialize)]
pub struct StatusForm {
    #[serde(default)]
    status: String,
    #[serde(default)]
    note: String,
}

/// Sets a pledge's status; an unchanged status or a missing note is
/// named on the form.
#[post("/commitments/{id}/status")]
pub async fn set_status(
    state: web::Data<AppState>,
    path: web::Path<String>,
    posted: Posted<StatusForm>,
) -> PortalResult {
    let Posted { signed_in, form } = posted;
    signed_in.may(Action::ManageCommitments)?;
    let id = commitment_id(&path)?;
    let Ok(status) = form.status.parse::<CommitmentStatus>() else {
        let errors = FormErrors::one("status", english().t("commitments-status-missing"));
        return commitment_page(&state, &signed_in, id, errors, form.note).await;
    };
    let actor = signed_in.principal.actor();
    let note = form.note.clone();
    let result = {
        let state = state.clone();
        blocking(move || {
            state
                .db
                .write(|c| op::set_status(c, id, status, &note, &actor))
        })
        .await
    };
    match result {
        Ok(_) => Ok(see_other(&format!("/commitments/{id}"))),
        Err(e @ ApiError::Unprocessable { .. }) => {
            commitment_page(&state, &signed_in, id, FormErrors::from_api(e)?, form.note).await
        }
        Err(e @ ApiError::Conflict { .. }) => {
            let errors = FormErrors::one("status", e.to_string());
            commitment_page(&state, &signed_in, id, errors, form.note).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "commitments_report.html")]
struct ReportPage {
    c: Chrome,
    as_of: String,
    total: usize,
    chart: Chart,
    by_status: Table,
    by_department: Table,
}

/// `?format=markdown|json|csv` for a download.
#[derive(Debug, Deserialize)]
pub struct ReportQuery {
    format: Option<ReportFormat>,
}

/// The annual progress report: by status, by department; or, with a
/// format, the file the API gives.
#[get("/commitments/report")]
pub async fn report(
    state: web::Data<AppState>,
    signed_in: SignedIn,
    query: web::Query<ReportQuery>,
) -> PortalResult {
    signed_in.may(Action::ReadCommitments)?;
    let report = {
        let state = state.clone();
        blocking(move || op::progress_report(&state.db)).await?
    };
    if let Some(format) = query.format {
        let body = op::render_report(&report, format)?;
        let name = format!("commitments-report.{}", format.extension());
        return Ok(HttpResponse::Ok()
            .content_type(format.content_type())
            .insert_header((
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ))
            .body(body));
    }
    let m = english();
    let mut by_status = Table::under_heading(
        m.t("commitments-by-status"),
        &[
            (m.t("column-status"), false),
            (m.t("commitments-count"), true),
        ],
        m.t("commitments-none"),
    );
    for s in &report.by_status {
        by_status.rows.push(vec![
            Cell::tag(status_tag(s.status)),
            Cell::figure(s.count.to_string()),
        ]);
    }
    let columns: Vec<(String, bool)> = std::iter::once((m.t("commitments-department"), false))
        .chain(std::iter::once((m.t("commitments-count"), true)))
        .chain(
            CommitmentStatus::ALL
                .iter()
                .map(|s| (s.label().to_owned(), true)),
        )
        .collect();
    let mut by_department = Table::under_heading(
        m.t("commitments-by-department"),
        &columns,
        m.t("commitments-none"),
    );
    for d in &report.by_department {
        let mut row = vec![
            Cell::text(d.name.map_or_else(
                || d.department.to_string(),
                |n| format!("{n} ({})", d.department),
            )),
            Cell::figure(d.total.to_string()),
        ];
        row.extend(
            d.by_status
                .iter()
                .map(|s| Cell::figure(s.count.to_string())),
        );
        by_department.rows.push(row);
    }
    let categories: Vec<(String, Vec<i64>)> = report
        .by_status
        .iter()
        .map(|s| {
            (
                s.status.label().to_owned(),
                vec![i64::try_from(s.count).unwrap_or(i64::MAX)],
            )
        })
        .collect();
    let chart = chart::bars(
        "chart-commitments",
        m.t("commitments-by-status"),
        &[Series {
            name: m.t("commitments-count"),
            colour: BLUE,
        }],
        &categories,
        |v| v.to_string(),
    );
    html(&ReportPage {
        c: Chrome::signed_in(&signed_in, "home"),
        as_of: instant(report.as_of),
        total: report.total,
        chart,
        by_status,
        by_department,
    })
}
