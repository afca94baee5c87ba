//! Bulk CSV imports over HTTP: `POST /v1/imports/grantees` and
//! `POST /v1/rounds/{id}/imports/awards`, adapters over
//! [`crate::operations::imports`].

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, post, web};
use chrono::Utc;
use grantledger_domain::ids::RoundId;
use grantledger_domain::import::parse_grantees;

use crate::error::{ApiError, Problem};
use crate::extract::CsvUpload;
use crate::idempotency::{self, Created, IdempotencyKey};
pub use crate::operations::imports::ImportSummary;
use crate::operations::imports::{import_award_file, import_error, import_grantee_rows};
use crate::policy::{Authorized, can};
use crate::state::AppState;

/// Import grantee organisations from CSV.
///
/// Columns (a header line first, any order): `name, org_id (optional),
/// organisation_type, region, local_authority, postcode, annual_income`.
/// See docs/IMPORT.md. All or nothing: a file with any bad row is refused
/// with 422 naming every bad line (`errors[].field` is `line N`).
#[utoipa::path(
    tag = "imports",
    request_body(description = "The CSV file (UTF-8)", content(("text/csv"))),
    params(IdempotencyKey),
    responses(
        (status = 200, description = "Imported", body = ImportSummary),
        (status = 413, description = "Over 4 MiB", body = Problem),
        (status = 415, description = "Not sent as text/csv", body = Problem),
        (status = 422, description = "Bad lines; `errors[].field` is `line N`", body = Problem),
    ),
    security(("bearer" = []))
)]
#[post("/imports/grantees")]
pub async fn import_grantees_route(
    state: web::Data<AppState>,
    auth: Authorized<can::ImportData>,
    req: HttpRequest,
    key: IdempotencyKey,
    body: CsvUpload,
) -> Result<HttpResponse, ApiError> {
    let principal = auth.principal;
    let actor = principal.actor();
    idempotency::write(&state, &req, &principal, key, StatusCode::OK, move |c| {
        let rows = parse_grantees(&body.0).map_err(import_error)?;
        Ok(Created::unversioned(import_grantee_rows(
            c,
            &rows,
            &actor,
            Utc::now(),
            |_| {},
        )?))
    })
    .await
}

/// Import award decisions for a round from CSV.
///
/// Columns: `application_id, amount`. Each row awards a submitted (or
/// under review) application of this round the amount; the whole file is
/// one transaction, so a file that would over-commit the round is refused
/// whole (422 naming the line) and nothing is awarded.
#[utoipa::path(
    tag = "imports",
    params(
        ("id" = Uuid, Path, description = "The round's id"),
        IdempotencyKey,
    ),
    request_body(description = "The CSV file (UTF-8)", content(("text/csv"))),
    responses(
        (status = 200, description = "Imported", body = ImportSummary),
        (status = 404, description = "No such round", body = Problem),
        (status = 413, description = "Over 4 MiB", body = Problem),
        (status = 415, description = "Not sent as text/csv", body = Problem),
        (status = 422, description = "Bad lines; `errors[].field` is `line N`", body = Problem),
    ),
    security(("bearer" = []))
)]
#[post("/rounds/{id}/imports/awards")]
pub async fn import_awards_route(
    state: web::Data<AppState>,
    auth: Authorized<can::ImportData>,
    id: web::Path<uuid::Uuid>,
    req: HttpRequest,
    key: IdempotencyKey,
    body: CsvUpload,
) -> Result<HttpResponse, ApiError> {
    let principal = auth.principal;
    let actor = principal.actor();
    let round = RoundId::from_uuid(id.into_inner());
    let notices = state.notices.clone();
    idempotency::write(&state, &req, &principal, key, StatusCode::OK, move |c| {
        Ok(Created::unversioned(import_award_file(
            c,
            &notices,
            round,
            &body.0,
            &actor,
            |_| {},
        )?))
    })
    .await
}
