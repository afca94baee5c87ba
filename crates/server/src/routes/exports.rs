//! `/v1/exports/360giving`: awards as 360Giving open data, streamed; and
//! the spreadsheet exports staff open (`/v1/exports/panel-pack`, `awards`,
//! `variations`, `tranches`, `returns`), as CSV or XLSX.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use futures_util::stream;
use grantledger_domain::spreadsheet::Sheet;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::error::{ApiError, Problem};
use crate::http::blocking;
use crate::opendata::{self, ChannelWriter, ExportFormat};
use crate::policy::{Authorized, can};
use crate::spreadsheets::{self, SheetFormat, XLSX_CONTENT_TYPE};
use crate::state::AppState;

/// `?fund_id=&format=`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// Only this fund's awards: its id or its code (`LCF`). All funds when absent.
    pub fund_id: Option<String>,
    /// `json` (a 360Giving package, the default) or `csv` (the official grants-sheet columns).
    // Inline: a query parameter's type is not collected as a component,
    // so a `$ref` to it would dangle (found by tests/tests/hostile.rs).
    #[param(inline)]
    pub format: Option<ExportFormat>,
}

/// Export awards as 360Giving open data.
///
/// Offered, accepted and completed awards are published at their amount; a
/// cancelled award at what was paid before it was cancelled (not at all if
/// nothing was); declined offers never. The body is streamed as it is read
/// from the database, in award order, so any size of fund exports in
/// constant memory. See docs/OPENDATA.md for the field mapping.
#[utoipa::path(
    tag = "open data",
    params(ExportQuery),
    responses(
        (status = 200, description = "A 360Giving JSON package `{\"grants\": [...]}`, or CSV with the official column titles",
            content(("application/json"), ("text/csv"))),
        (status = 404, description = "No such fund", body = Problem),
        (status = 409, description = "Nothing to publish: no grant in the fund (a 360Giving file needs at least one)", body = Problem),
        (status = 422, description = "A bad query parameter", body = Problem),
        (status = 503, description = "No publisher prefix is configured (GRANTLEDGER_360G_PREFIX)", body = Problem),
    ),
    security(("bearer" = []))
)]
#[get("/exports/360giving")]
pub async fn export_360giving(
    state: web::Data<AppState>,
    _auth: Authorized<can::ExportOpenData>,
    query: crate::extract::Query<ExportQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    stream_360giving(state, q.fund_id, q.format.unwrap_or_default()).await
}

/// Streams one fund's grants (or every fund's) as a 360Giving file
/// attachment: the API's export and the portal's download are this one.
pub async fn stream_360giving(
    state: web::Data<AppState>,
    fund_id: Option<String>,
    format: ExportFormat,
) -> Result<HttpResponse, ApiError> {
    let publisher = state.publisher.clone().ok_or_else(opendata::no_publisher)?;
    let db = state.db.clone();
    // Everything that can be refused is checked before the body starts, so
    // a bad fund is a 404 and an empty one a 409, never a truncated file.
    let (fund, plan) = {
        let db = db.clone();
        let publisher = publisher.clone();
        blocking(move || {
            let fund = fund_id.map(|f| opendata::find_fund(&db, &f)).transpose()?;
            let plan = opendata::prepare(&db, fund, &publisher)?;
            Ok::<_, ApiError>((fund, plan))
        })
        .await?
    };
    let (tx, rx) = tokio::sync::mpsc::channel(8);
    actix_web::rt::task::spawn_blocking(move || {
        let mut writer = ChannelWriter::new(tx);
        let result = opendata::export(&db, &plan, format, &publisher, &mut writer, |_| {});
        if let Err(error) = result {
            tracing::warn!(%error, "360Giving export stopped");
            writer.fail(&error);
        }
    });
    let body = stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    });
    let name = match fund {
        Some(f) => format!("360giving-{f}.{}", format.extension()),
        None => format!("360giving.{}", format.extension()),
    };
    Ok(HttpResponse::Ok()
        .content_type(format.content_type())
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        ))
        .streaming(body))
}

/// `?fund_id=&round_id=&format=` on the spreadsheet exports.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SpreadsheetQuery {
    /// The fund: its id or its code (`LCF2`).
    pub fund_id: String,
    /// Only this round of the fund.
    pub round_id: Option<uuid::Uuid>,
    /// `csv` (the default) or `xlsx`. Without it, `Accept:
    /// application/vnd.openxmlformats-officedocument.spreadsheetml.sheet`
    /// selects XLSX.
    // Inline: a query parameter's type is not collected as a component.
    #[param(inline)]
    pub format: Option<SheetFormat>,
}

fn sheet_format(req: &HttpRequest, format: Option<SheetFormat>) -> SheetFormat {
    format.unwrap_or_else(|| {
        let accept = req
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        if accept.split(',').any(|part| {
            part.trim()
                .to_ascii_lowercase()
                .starts_with(XLSX_CONTENT_TYPE)
        }) {
            SheetFormat::Xlsx
        } else {
            SheetFormat::Csv
        }
    })
}

/// Serves one spreadsheet export: everything that can be refused (the
/// fund, the round) is checked before the body starts; CSV is then
/// streamed, XLSX built and sent whole.
pub async fn spreadsheet(
    state: web::Data<AppState>,
    req: HttpRequest,
    sheet: Sheet,
    query: SpreadsheetQuery,
) -> Result<HttpResponse, ApiError> {
    let format = sheet_format(&req, query.format);
    let db = state.db.clone();
    let plan = {
        let db = db.clone();
        blocking(move || spreadsheets::plan(&db, sheet, &query.fund_id, query.round_id, "round_id"))
            .await?
    };
    let disposition = format!(
        "attachment; filename=\"{}.{}\"",
        plan.file_stem,
        format.extension()
    );
    let response = match format {
        SheetFormat::Xlsx => {
            let bytes = blocking(move || spreadsheets::xlsx_bytes(&db, &plan)).await?;
            HttpResponse::Ok()
                .content_type(format.content_type())
                .insert_header((header::CONTENT_DISPOSITION, disposition))
                .body(bytes)
        }
        SheetFormat::Csv => {
            let (tx, rx) = tokio::sync::mpsc::channel(8);
            actix_web::rt::task::spawn_blocking(move || {
                let mut writer = ChannelWriter::new(tx);
                if let Err(error) = spreadsheets::write_csv(&db, &plan, &mut writer) {
                    tracing::warn!(%error, "spreadsheet export stopped");
                    writer.fail(&error);
                }
            });
            let body = stream::unfold(rx, |mut rx| async move {
                rx.recv().await.map(|item| (item, rx))
            });
            HttpResponse::Ok()
                .content_type(format.content_type())
                .insert_header((header::CONTENT_DISPOSITION, disposition))
                .streaming(body)
        }
    };
    Ok(response)
}

/// A spreadsheet of a fund's (or one round's) records, as CSV or XLSX:
///
/// - `panel-pack`: applications (drafts left out) with their answers
///   (project title, summary, amount asked), each assessor's score and
///   recommendation, and the mean score;
/// - `awards`: amounts awarded, scheduled and paid, status, dates;
/// - `variations`: every change of an award's amount: before, after, the
///   change and why;
/// - `tranches`: every tranche: amount, due date, status, when paid and in
///   which payment run;
/// - `returns`: where each award's evaluation return stands: due date,
///   status, versions submitted — never what a return says.
///
/// See docs/EXPORTS.md for the columns.
#[utoipa::path(
    tag = "exports",
    params(
        ("sheet" = String, Path, description = "`panel-pack`, `awards`, `variations`, `tranches` or `returns`"),
        SpreadsheetQuery,
    ),
    responses(
        (status = 200, description = "CSV, or an XLSX workbook with `?format=xlsx`",
            content(("text/csv"), ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 403, description = "Not an administrator or auditor", body = Problem),
        (status = 404, description = "No such fund, or no such export", body = Problem),
        (status = 409, description = "More rows than an XLSX worksheet holds: ask for CSV", body = Problem),
        (status = 422, description = "A bad query parameter, or a round not in the fund", body = Problem),
    ),
    security(("bearer" = []))
)]
#[get("/exports/{sheet}")]
pub async fn export_spreadsheet(
    state: web::Data<AppState>,
    _auth: Authorized<can::ExportSpreadsheets>,
    req: HttpRequest,
    sheet: web::Path<String>,
    query: crate::extract::Query<SpreadsheetQuery>,
) -> Result<HttpResponse, ApiError> {
    let sheet = Sheet::ALL
        .into_iter()
        .find(|s| s.slug() == sheet.as_str())
        .ok_or_else(|| ApiError::not_found("export"))?;
    spreadsheet(state, req, sheet, query.into_inner()).await
}
