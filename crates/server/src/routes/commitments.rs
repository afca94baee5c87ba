//! `/v1/commitments`: the strategy's pledges, imported from the pledge
//! tracker, their status history, and the annual progress report.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use grantledger_domain::commitment::{
    ChangeSource, Commitment, CommitmentStatus, Department, ImportSummary, ProgressReport,
    StatusChange,
};
use grantledger_domain::ids::{CommitmentId, UserId};
use grantledger_store::commitments::{self, CommitmentFilter};
use grantledger_store::common::Record;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::{ApiError, Problem};
use crate::extract::{Json, TextUpload};
use crate::http::{Fields, ListResponse, PageQuery, blocking, ok_versioned};
use crate::idempotency::{self, Created, IdempotencyKey};
use crate::operations::commitments as op;
pub use crate::operations::commitments::ReportFormat;
use crate::policy::{Authorized, can};
use crate::state::AppState;

/// A commitment as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct CommitmentView {
    /// The commitment's id.
    pub id: CommitmentId,
    /// The pledge number in the tracker (numbers can repeat).
    pub number: u32,
    /// Which row with this number it is, from 1 in file order.
    pub occurrence: u32,
    /// `50`, or `50 (2)` for the second row numbered 50.
    pub label: String,
    /// The pledge text.
    pub text: String,
    /// The departments responsible, canonical codes.
    pub departments: Vec<Department>,
    /// The progress text as last imported (may be empty).
    pub progress: String,
    /// The normalised status.
    pub status: CommitmentStatus,
    /// The tracker line it was last imported from.
    pub source_line: u32,
    /// The version, also sent as the `ETag`.
    pub version: i64,
    /// When it was first imported.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

impl From<Record<Commitment>> for CommitmentView {
    fn from(record: Record<Commitment>) -> Self {
        let c = record.value;
        CommitmentView {
            id: c.id,
            label: c.label(),
            number: c.number,
            occurrence: c.occurrence,
            text: c.text,
            departments: c.departments,
            progress: c.progress,
            status: c.status,
            source_line: c.source_line,
            version: record.version,
            created_at: record.created_at,
            updated_at: record.updated_at,
        }
    }
}

/// One entry of a commitment's status history.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatusChangeView {
    /// When.
    pub at: DateTime<Utc>,
    /// The user who made it, for changes made through the API.
    pub by: Option<UserId>,
    /// Who, as the audit trail names them.
    pub actor: String,
    /// `import` or `manual`.
    pub source: ChangeSource,
    /// The status from then on.
    pub status: CommitmentStatus,
    /// The progress text at the time.
    pub progress: String,
    /// Why, or which import line it came from.
    pub note: String,
}

impl From<StatusChange> for StatusChangeView {
    fn from(c: StatusChange) -> Self {
        StatusChangeView {
            at: c.at,
            by: c.by,
            actor: c.actor,
            source: c.source,
            status: c.status,
            progress: c.progress,
            note: c.note,
        }
    }
}

/// A commitment with its status history, oldest entry first.
#[derive(Debug, Serialize, ToSchema)]
pub struct CommitmentDetailView {
    /// The commitment.
    #[serde(flatten)]
    pub commitment: CommitmentView,
    /// Its status history, oldest first.
    pub history: Vec<StatusChangeView>,
}

/// A status decision.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusBody {
    /// The new status.
    pub status: CommitmentStatus,
    /// Why (1–2000 characters).
    pub note: String,
}

/// Filters for the commitment list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CommitmentQuery {
    /// Only commitments naming this department (any case: `dfe` is `DfE`).
    pub department: Option<String>,
    /// Only commitments with this status.
    pub status: Option<CommitmentStatus>,
    /// Most items to return (1–500, default 50).
    #[param(inline)]
    pub limit: Option<crate::http::PageLimit>,
    /// The `next` cursor from the previous page.
    pub after: Option<uuid::Uuid>,
}

/// `?format=` for the report.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// `markdown`, `csv` or `json`; without it, the `Accept` header decides
    /// (`text/markdown`, `text/csv`), and JSON otherwise.
    // Inline: a query parameter's type is not collected as a component,
    // so a `$ref` to it would dangle (found by tests/tests/hostile.rs).
    #[param(inline)]
    pub format: Option<ReportFormat>,
}

/// Import the pledge tracker.
///
/// Send the file itself as the body (`Content-Type: text/plain` or
/// `text/tab-separated-values`, UTF-8, at most 1 MiB). Pledges are matched to
/// those already held by number and occurrence, so importing the same file
/// again changes nothing; a changed progress text becomes a status history
/// entry. A file that does not read is refused whole (422 naming each bad
/// line as `line N`) and nothing changes.
#[utoipa::path(
    tag = "commitments",
    request_body(
        description = "The tracker file: a preamble, the header `Pledge<TAB>Dept<TAB>Progress`, one pledge per line.",
        content(("text/plain"), ("text/tab-separated-values"))
    ),
    params(IdempotencyKey),
    responses(
        (status = 200, description = "Imported; what changed", body = ImportSummary),
        (status = 413, description = "Over 1 MiB", body = Problem),
        (status = 415, description = "Not sent as text", body = Problem),
        (status = 422, description = "The file does not read; `errors[].field` is `line N`", body = Problem),
    ),
    security(("bearer" = []))
)]
#[post("/commitments/import")]
pub async fn import_commitments(
    state: web::Data<AppState>,
    auth: Authorized<can::ManageCommitments>,
    req: HttpRequest,
    key: IdempotencyKey,
    body: TextUpload,
) -> Result<HttpResponse, ApiError> {
    let principal = auth.principal;
    let actor = principal.actor();
    idempotency::write(&state, &req, &principal, key, StatusCode::OK, move |c| {
        Ok(Created::unversioned(op::import(c, &body.0, &actor)?))
    })
    .await
}

/// List commitments, in the order they were first imported.
#[utoipa::path(
    tag = "commitments",
    params(CommitmentQuery),
    responses(
        (status = 200, description = "A page of commitments", body = ListResponse<CommitmentView>),
        (status = 422, description = "A filter is invalid", body = Problem),
    ),
    security(("bearer" = []))
)]
#[get("/commitments")]
pub async fn list_commitments(
    state: web::Data<AppState>,
    _auth: Authorized<can::ReadCommitments>,
    query: crate::extract::Query<CommitmentQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let mut fields = Fields::default();
    let department = q
        .department
        .as_deref()
        .and_then(|d| fields.take("department", Department::parse(d)));
    if !fields.is_ok() {
        return Err(fields.error());
    }
    let page = PageQuery {
        limit: q.limit,
        after: q.after,
    }
    .page();
    let filter = CommitmentFilter {
        department,
        status: q.status,
    };
    let page = blocking(move || {
        state
            .db
            .read(|c| Ok::<_, ApiError>(commitments::list(c, &filter, page)?))
    })
    .await?;
    Ok(HttpResponse::Ok().json(ListResponse::from_page(page, CommitmentView::from)))
}

/// The annual progress report: counts by status, by department and status,
/// and the pledge-by-pledge table, as JSON, Markdown or CSV.
#[utoipa::path(
    tag = "commitments",
    params(ReportQuery),
    responses(
        (status = 200, description = "The report", content(
            (ProgressReport = "application/json"),
            (String = "text/markdown"),
            (String = "text/csv"),
        )),
    ),
    security(("bearer" = []))
)]
#[get("/commitments/report")]
pub async fn commitments_report(
    state: web::Data<AppState>,
    _auth: Authorized<can::ReadCommitments>,
    req: HttpRequest,
    query: crate::extract::Query<ReportQuery>,
) -> Result<HttpResponse, ApiError> {
    let format = query.format.unwrap_or_else(|| {
        req.headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .map_or(ReportFormat::Json, ReportFormat::from_accept)
    });
    let report = blocking(move || op::progress_report(&state.db)).await?;
    let body = op::render_report(&report, format)?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, format.content_type()))
        .insert_header((header::VARY, "Accept"))
        .body(body))
}

/// One commitment with its status history.
#[utoipa::path(
    tag = "commitments",
    params(("id" = Uuid, Path, description = "The commitment's id")),
    responses(
        (status = 200, description = "The commitment", body = CommitmentDetailView),
        (status = 404, body = Problem),
    ),
    security(("bearer" = []))
)]
#[get("/commitments/{id}")]
pub async fn get_commitment(
    state: web::Data<AppState>,
    _auth: Authorized<can::ReadCommitments>,
    id: web::Path<uuid::Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = CommitmentId::from_uuid(id.into_inner());
    let (record, history) = blocking(move || state.db.read(|c| op::get(c, id))).await?;
    let view = CommitmentDetailView {
        commitment: CommitmentView::from(record),
        history: history.into_iter().map(StatusChangeView::from).collect(),
    };
    Ok(ok_versioned(view.commitment.version, &view))
}

/// Set a commitment's status by hand, with a note. The progress text stays
/// as imported, so re-importing an unchanged tracker keeps this decision.
#[utoipa::path(
    tag = "commitments",
    params(("id" = Uuid, Path, description = "The commitment's id")),
    request_body = StatusBody,
    responses(
        (status = 200, description = "The commitment with its history", body = CommitmentDetailView),
        (status = 404, body = Problem),
        (status = 409, description = "It already has that status", body = Problem),
        (status = 422, description = "Invalid", body = Problem),
    ),
    security(("bearer" = []))
)]
#[post("/commitments/{id}/status")]
pub async fn set_commitment_status(
    state: web::Data<AppState>,
    auth: Authorized<can::ManageCommitments>,
    id: web::Path<uuid::Uuid>,
    body: Json<StatusBody>,
) -> Result<HttpResponse, ApiError> {
    let id = CommitmentId::from_uuid(id.into_inner());
    let b = body.into_inner();
    let actor = auth.principal.actor();
    let (record, history) = blocking(move || {
        state
            .db
            .write(|c| op::set_status(c, id, b.status, &b.note, &actor))
    })
    .await?;
    let view = CommitmentDetailView {
        commitment: CommitmentView::from(record),
        history: history.into_iter().map(StatusChangeView::from).collect(),
    };
    Ok(ok_versioned(view.commitment.version, &view))
}

#[cfg(test)]
mod tests {
    use super::ReportFormat;

    #[test]
    fn accept_headers_choose_the_report_format() {
        assert_eq!(
            ReportFormat::from_accept("text/markdown"),
            ReportFormat::Markdown
        );
        assert_eq!(ReportFormat::from_accept("text/csv"), ReportFormat::Csv);
        assert_eq!(ReportFormat::from_accept("*/*"), ReportFormat::Json);
        assert_eq!(ReportFormat::from_accept("text/html"), ReportFormat::Json);
        assert_eq!(
            ReportFormat::from_accept("application/json;q=0.5, text/csv"),
            ReportFormat::Csv
        );
        assert_eq!(
            ReportFormat::from_accept("text/markdown, text/csv"),
            ReportFormat::Markdown
        );
        assert_eq!(
            ReportFormat::from_accept("text/csv;q=0"),
            ReportFormat::Json
        );
    }
}
