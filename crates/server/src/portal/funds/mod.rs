//! A fund at a glance, for administrators and auditors: its money to the
//! penny, its reconciliation (now or as of a date, with a CSV download),
//! and charts of its awards by round, grant size and region and of the
//! money committed and paid over time, each beside a table of the same
//! figures.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use askama::Template;
use grantledger_domain::as_of::AsOf;
use grantledger_domain::spreadsheet::Sheet;
use serde::Deserialize;

use crate::error::ApiError;
use crate::http::blocking;
use crate::opendata::ExportFormat;
use crate::operations::audit as op;
use crate::policy::Action;
use crate::portal::chart::Chart;
use crate::portal::format::instant;
use crate::portal::forms::FormErrors;
use crate::portal::messages::english;
use crate::portal::page::{Chrome, PortalError, PortalResult, html};
use crate::portal::session::SignedIn;
use crate::portal::table::Table;
use crate::state::AppState;

mod figures;
pub mod outcomes;

use figures::{checks_table, funders_table, money_table, over_time, regions, rounds, sizes};

/// `?as_of=` on the fund's page and its CSV.
#[derive(Debug, Deserialize)]
pub struct AsOfQuery {
    /// A date (the end of that day, UTC) or an instant; empty for now.
    #[serde(default)]
    as_of: String,
}

impl AsOfQuery {
    fn parsed(&self) -> Result<Option<AsOf>, String> {
        let text = self.as_of.trim();
        if text.is_empty() {
            return Ok(None);
        }
        AsOf::parse(text).map(Some).map_err(|e| e.to_string())
    }
}

#[derive(Template)]
#[template(path = "fund.html")]
struct FundPage {
    c: Chrome,
    name: String,
    code: String,
    id: String,
    errors: FormErrors,
    as_of: String,
    as_of_said: Option<String>,
    csv_href: String,
    exports: bool,
    /// The spreadsheets the reader may download: (slug, title).
    sheets: Vec<(&'static str, &'static str)>,
    /// Whether the reader may add rounds and change the fund.
    manages: bool,
    /// The fund's status code (`draft`, `open`, `closed`), for its buttons.
    status: String,
    passed: bool,
    money: Table,
    checks: Table,
    funders: Table,
    rounds_chart: Chart,
    rounds: Table,
    time_chart: Chart,
    time: Table,
    any_awards: bool,
    sizes_chart: Chart,
    sizes: Table,
    regions_chart: Chart,
    regions: Table,
}

fn csv_href(id: &str, as_of: &str) -> String {
    let mut href = format!("/funds/{id}/reconciliation.csv");
    if !as_of.is_empty() {
        href.push_str("?as_of=");
        href.push_str(&url_encoded(as_of));
    }
    href
}

fn url_encoded(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// The fund's page. A date the reconciliation cannot read is named beside
/// its field, and the figures are shown for now.
#[get("/funds/{id}")]
pub async fn show(
    state: web::Data<AppState>,
    signed_in: SignedIn,
    id: web::Path<String>,
    query: web::Query<AsOfQuery>,
) -> PortalResult {
    signed_in.may(Action::Audit)?;
    let fund = id.into_inner();
    let m = english();
    let mut errors = FormErrors::default();
    let as_of = query.parsed().unwrap_or_else(|message| {
        errors.add("as_of", message);
        None
    });
    let overview = blocking(move || {
        state
            .db
            .read(|c| op::overview(c, &fund, as_of.map(AsOf::instant)))
    })
    .await?;
    let r = &overview.reconciliation;
    let id = r.fund_id.to_string();
    let typed = if errors.is_empty() {
        query.as_of.trim().to_owned()
    } else {
        String::new()
    };
    let (rounds_chart, rounds) = rounds(m, r);
    let (time_chart, time) = over_time(m, &overview.over_time);
    let any_awards = overview.sizes.iter().any(|s| s.awards > 0);
    let (sizes_chart, sizes) = sizes(m, &overview.sizes);
    let (regions_chart, regions) = regions(m, &r.by_region);
    html(&FundPage {
        c: Chrome::signed_in(&signed_in, "home"),
        name: r.fund_name.clone(),
        code: r.fund_code.clone(),
        csv_href: csv_href(&id, &typed),
        exports: signed_in.can(Action::ExportOpenData),
        sheets: if signed_in.can(Action::ExportSpreadsheets) {
            Sheet::ALL.iter().map(|s| (s.slug(), s.title())).collect()
        } else {
            Vec::new()
        },
        manages: signed_in.can(Action::ManageFunds),
        status: overview.status.as_str().to_owned(),
        id,
        as_of: if errors.is_empty() {
            typed
        } else {
            query.as_of.clone()
        },
        as_of_said: r.as_of.map(instant),
        errors,
        passed: r.passed,
        money: money_table(m, r),
        checks: checks_table(m, &r.checks),
        funders: funders_table(m, r),
        rounds_chart,
        rounds,
        time_chart,
        time,
        any_awards,
        sizes_chart,
        sizes,
        regions_chart,
        regions,
    })
}

/// `?format=xlsx|csv&round_id=` on a spreadsheet download.
#[derive(Debug, Deserialize)]
pub struct SheetQuery {
    #[serde(default)]
    format: Option<crate::spreadsheets::SheetFormat>,
    #[serde(default)]
    round_id: Option<uuid::Uuid>,
}

/// One of the fund's spreadsheets (the panel pack, awards, variations,
/// tranches, returns), the same file `GET /v1/exports/{sheet}` gives:
/// an Excel workbook unless CSV is asked for.
#[get("/funds/{id}/sheets/{sheet}")]
pub async fn spreadsheet(
    state: web::Data<AppState>,
    req: HttpRequest,
    signed_in: SignedIn,
    path: web::Path<(String, String)>,
    query: web::Query<SheetQuery>,
) -> PortalResult {
    signed_in.may(Action::ExportSpreadsheets)?;
    let (fund_id, slug) = path.into_inner();
    let sheet = Sheet::ALL
        .into_iter()
        .find(|s| s.slug() == slug)
        .ok_or(PortalError::NotFound)?;
    let query = query.into_inner();
    let wanted = crate::routes::exports::SpreadsheetQuery {
        fund_id,
        round_id: query.round_id,
        format: Some(
            query
                .format
                .unwrap_or(crate::spreadsheets::SheetFormat::Xlsx),
        ),
    };
    Ok(crate::routes::exports::spreadsheet(state, req, sheet, wanted).await?)
}

/// `?format=json|csv` on the 360Giving download.
#[derive(Debug, Deserialize)]
pub struct OpenDataQuery {
    #[serde(default)]
    format: Option<ExportFormat>,
}

/// The fund's grants as 360Giving open data, the same file the API
/// streams.
#[get("/funds/{id}/360giving")]
pub async fn open_data(
    state: web::Data<AppState>,
    signed_in: SignedIn,
    id: web::Path<String>,
    query: web::Query<OpenDataQuery>,
) -> PortalResult {
    signed_in.may(Action::ExportOpenData)?;
    let format = query.format.unwrap_or_default();
    Ok(crate::routes::exports::stream_360giving(state, Some(id.into_inner()), format).await?)
}

/// The reconciliation as CSV, the same file the API gives, as an
/// attachment named after the fund.
#[get("/funds/{id}/reconciliation.csv")]
pub async fn reconciliation_csv(
    state: web::Data<AppState>,
    signed_in: SignedIn,
    id: web::Path<String>,
    query: web::Query<AsOfQuery>,
) -> PortalResult {
    signed_in.may(Action::Audit)?;
    let as_of = query
        .parsed()
        .map_err(|message| PortalError::from(ApiError::invalid("as_of", message)))?;
    let fund = id.into_inner();
    let report = blocking(move || {
        state
            .db
            .read(|c| op::reconcile(c, &fund, as_of.map(AsOf::instant)))
    })
    .await?;
    let body = op::reconciliation_csv(&report).map_err(|e| ApiError::Internal(e.to_string()))?;
    let name = format!(
        "reconciliation-{}.csv",
        report
            .fund_code
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect::<String>()
    );
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        ))
        .body(body))
}
