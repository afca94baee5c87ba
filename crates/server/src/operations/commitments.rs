//! The strategy's commitments: import the pledge tracker, report
//! progress, and record a commitment's status.

use chrono::Utc;
use grantledger_domain::commitment::{
    CSV_HEADER, Commitment, CommitmentError, CommitmentStatus, ImportSummary, ProgressReport,
    StatusChange, TrackerErrors, parse_tracker,
};
use grantledger_domain::ids::CommitmentId;
use grantledger_store::commitments;
use grantledger_store::common::{Actor, Record};
use grantledger_store::{AnyConnection, Database};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::error::{ApiError, FieldError};

/// The forms the progress report comes in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum ReportFormat {
    /// A Markdown document (`text/markdown`).
    Markdown,
    /// One CSV table with a `section` column (`text/csv`).
    Csv,
    /// JSON (`application/json`).
    Json,
}

impl ReportFormat {
    /// The media type of the rendered report.
    pub fn content_type(self) -> &'static str {
        match self {
            ReportFormat::Markdown => "text/markdown; charset=utf-8",
            ReportFormat::Csv => "text/csv; charset=utf-8",
            ReportFormat::Json => "application/json",
        }
    }

    /// The file name extension of a download.
    #[must_use]
    pub fn extension(self) -> &'static str {
        match self {
            ReportFormat::Markdown => "md",
            ReportFormat::Csv => "csv",
            ReportFormat::Json => "json",
        }
    }

    /// The format an `Accept` header prefers: the supported type with the
    /// highest `q` (the first on a tie); JSON when none is supported.
    pub fn from_accept(accept: &str) -> ReportFormat {
        let mut best: Option<(f32, ReportFormat)> = None;
        for entry in accept.split(',') {
            let mut parts = entry.split(';').map(str::trim);
            let media = parts.next().unwrap_or_default().to_ascii_lowercase();
            let q = parts
                .filter_map(|p| p.strip_prefix("q="))
                .find_map(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            let format = match media.as_str() {
                "text/markdown" | "text/x-markdown" => ReportFormat::Markdown,
                "text/csv" => ReportFormat::Csv,
                "application/json" | "application/*" | "*/*" => ReportFormat::Json,
                _ => continue,
            };
            if q > 0.0 && best.is_none_or(|(b, _)| q > b) {
                best = Some((q, format));
            }
        }
        best.map_or(ReportFormat::Json, |(_, f)| f)
    }
}

/// The 422 for a tracker file that does not read: one error per bad line,
/// each named `line N`.
pub fn tracker_error(errors: &TrackerErrors) -> ApiError {
    let detail = match errors.0.as_slice() {
        [one] => format!("the tracker file is invalid: {one}"),
        [first, rest @ ..] => format!(
            "the tracker file is invalid: {first} (and {} more)",
            rest.len()
        ),
        [] => "the tracker file is invalid".to_owned(),
    };
    ApiError::Unprocessable {
        detail,
        errors: errors
            .0
            .iter()
            .map(|e| FieldError::new(format!("line {}", e.line), e.message.clone()))
            .collect(),
    }
}

/// Reads a tracker file and imports it in one write transaction: all or
/// nothing. Shared by `POST /v1/commitments/import` and `grantledger
/// commitments import`.
#[tracing::instrument(skip_all, fields(bytes = bytes.len()))]
pub fn import_tracker(
    db: &Database,
    bytes: &[u8],
    actor: &Actor,
) -> Result<ImportSummary, ApiError> {
    db.write(|c| import(c, bytes, actor))
}

/// [`import_tracker`] inside the caller's transaction.
#[tracing::instrument(skip_all, fields(bytes = bytes.len()))]
pub fn import(
    c: &mut AnyConnection,
    bytes: &[u8],
    actor: &Actor,
) -> Result<ImportSummary, ApiError> {
    let rows = parse_tracker(bytes).map_err(|e| tracker_error(&e))?;
    Ok(commitments::import(c, &rows, actor, Utc::now())?)
}

/// The progress report over every commitment held, as of now.
#[tracing::instrument(skip_all)]
pub fn progress_report(db: &Database) -> Result<ProgressReport, ApiError> {
    let all = db.read(|c| Ok::<_, ApiError>(commitments::all(c)?))?;
    Ok(ProgressReport::new(&all, Utc::now()))
}

/// Renders the report in a format.
pub fn render_report(report: &ProgressReport, format: ReportFormat) -> Result<String, ApiError> {
    match format {
        ReportFormat::Markdown => Ok(report.to_markdown()),
        ReportFormat::Json => serde_json::to_string_pretty(report)
            .map_err(|e| ApiError::Internal(format!("report JSON: {e}"))),
        ReportFormat::Csv => {
            let internal =
                |e: &dyn std::fmt::Display| ApiError::Internal(format!("report CSV: {e}"));
            let bytes = grantledger_domain::csv_writer::to_bytes(CSV_HEADER, report.csv_records())
                .map_err(|e| internal(&e))?;
            String::from_utf8(bytes).map_err(|e| internal(&e))
        }
    }
}

/// A commitment with its status history, oldest first.
#[tracing::instrument(skip_all, fields(commitment_id = %id))]
pub fn get(
    c: &mut AnyConnection,
    id: CommitmentId,
) -> Result<(Record<Commitment>, Vec<StatusChange>), ApiError> {
    let record = commitments::get(c, id)?;
    let history = commitments::history(c, id)?;
    Ok((record, history))
}

/// Records a commitment's new status with a note; returns it with its
/// history.
#[tracing::instrument(skip_all, fields(commitment_id = %id))]
pub fn set_status(
    c: &mut AnyConnection,
    id: CommitmentId,
    status: CommitmentStatus,
    note: &str,
    actor: &Actor,
) -> Result<(Record<Commitment>, Vec<StatusChange>), ApiError> {
    let before = commitments::get(c, id)?;
    let (after, note) = before.value.set_status(status, note).map_err(|e| match e {
        CommitmentError::Unchanged(_) => ApiError::conflict_from(e),
        CommitmentError::Note(message) => ApiError::invalid("note", message),
    })?;
    let record = commitments::set_status(c, &before, &after, &note, actor, Utc::now())?;
    let history = commitments::history(c, id)?;
    Ok((record, history))
}
