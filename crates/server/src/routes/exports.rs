//! `/v1/exports/360giving`: awards as 360Giving open data, streamed.

use actix_web::http::header;
use actix_web::{HttpResponse, get, web};
use futures_util::stream;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::error::{ApiError, Problem};
use crate::http::blocking;
use crate::opendata::{self, ChannelWriter, ExportFormat};
use crate::policy::{Authorized, can};
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
    let format = q.format.unwrap_or_default();
    let publisher = state.publisher.clone().ok_or_else(opendata::no_publisher)?;
    let db = state.db.clone();
    // Everything that can be refused is checked before the body starts, so
    // a bad fund is a 404 and an empty one a 409, never a truncated file.
    let (fund, plan) = {
        let db = db.clone();
        let publisher = publisher.clone();
        blocking(move || {
            let fund = q
                .fund_id
                .map(|f| opendata::find_fund(&db, &f))
                .transpose()?;
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
