//! Bulk CSV imports: `POST /v1/imports/grantees` and
//! `POST /v1/rounds/{id}/imports/awards`. A file is checked whole; any bad
//! row refuses the whole file (422, one error per line) and nothing changes.
//! Importing the same file twice changes nothing the second time.

use actix_web::{HttpResponse, post, web};
use chrono::Utc;
use grantledger_domain::grantee::Grantee;
use grantledger_domain::ids::RoundId;
use grantledger_domain::import::{ImportErrors, LineError, parse_award_decisions, parse_grantees};
use grantledger_store::common::Actor;
use grantledger_store::{Database, awards, grantees, rounds, write_transaction};
use serde::Serialize;
use utoipa::ToSchema;

use crate::app::AppState;
use crate::error::{ApiError, FieldError, Problem};
use crate::extract::CsvUpload;
use crate::http::blocking;
use crate::policy::{Authorized, can};
use crate::routes::applications::{DecisionBody, Outcome, decide};

/// What an import did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct ImportSummary {
    /// Rows read.
    pub rows: u64,
    /// Records created (grantees registered, awards made).
    pub created: u64,
    /// Grantees whose details changed.
    pub updated: u64,
    /// Rows that were already as the file says.
    pub unchanged: u64,
}

/// The 422 for a file with bad lines: one error per line, named `line N`.
pub fn import_error(errors: ImportErrors) -> ApiError {
    let detail = match errors.0.as_slice() {
        [one] => format!("the file cannot be imported: {one}"),
        [first, rest @ ..] => format!(
            "the file cannot be imported: {first} (and {} more)",
            rest.len()
        ),
        [] => "the file cannot be imported".to_owned(),
    };
    ApiError::Unprocessable {
        detail,
        errors: errors
            .0
            .into_iter()
            .map(|e| FieldError::new(format!("line {}", e.line), e.message))
            .collect(),
    }
}

/// A store or rule failure on one row, in words for the line's error.
fn row_message(error: &ApiError) -> String {
    match error {
        ApiError::Unprocessable { errors, detail } if !errors.is_empty() => {
            let parts: Vec<String> = errors
                .iter()
                .map(|e| format!("{}: {}", e.field, e.message))
                .collect();
            if parts.is_empty() {
                detail.clone()
            } else {
                parts.join("; ")
            }
        }
        ApiError::Internal(_) => error.problem().detail,
        other => other.to_string(),
    }
}

fn same_details(a: &Grantee, b: &Grantee) -> bool {
    a.name == b.name
        && a.org_id == b.org_id
        && a.organisation_type == b.organisation_type
        && a.region == b.region
        && a.local_authority == b.local_authority
        && a.postcode == b.postcode
        && a.annual_income == b.annual_income
}

/// Imports a grantee file in one transaction. Rows are matched to grantees
/// already held by org id, or by name and postcode: a match with the same
/// details is unchanged, one with other details is updated (its id and due
/// diligence kept), no match is registered.
pub fn import_grantees(
    db: &Database,
    bytes: &[u8],
    actor: &Actor,
    mut progress: impl FnMut(u64),
) -> Result<ImportSummary, ApiError> {
    let rows = parse_grantees(bytes).map_err(import_error)?;
    let now = Utc::now();
    db.write(|c| {
        let mut summary = ImportSummary::default();
        let mut errors = Vec::new();
        for row in &rows {
            summary.rows += 1;
            let outcome = write_transaction(c, |c| {
                let existing = grantees::find_same(c, &row.grantee)?;
                Ok::<_, ApiError>(match existing {
                    Some(held) if same_details(&held.value, &row.grantee) => 0,
                    Some(held) => {
                        let after = Grantee {
                            id: held.value.id,
                            due_diligence: held.value.due_diligence,
                            ..row.grantee.clone()
                        };
                        grantees::save(c, &held, &after, "grantee.imported", actor, now)?;
                        1
                    }
                    None => {
                        grantees::create(c, &row.grantee, actor, now)?;
                        2
                    }
                })
            });
            match outcome {
                Ok(0) => summary.unchanged += 1,
                Ok(1) => summary.updated += 1,
                Ok(_) => summary.created += 1,
                Err(error) => errors.push(LineError {
                    line: row.line,
                    message: row_message(&error),
                }),
            }
            progress(1);
        }
        if errors.is_empty() {
            Ok(summary)
        } else {
            Err(import_error(ImportErrors(errors)))
        }
    })
}

/// Imports award decisions for a round in one transaction: each row awards
/// its application the amount, as `POST /v1/applications/{id}/decision`
/// would (eligibility of the amount, the round's money). An application
/// already awarded that amount is unchanged; any other outcome already
/// decided is an error on its line.
pub fn import_awards(
    db: &Database,
    round: RoundId,
    bytes: &[u8],
    actor: &Actor,
    mut progress: impl FnMut(u64),
) -> Result<ImportSummary, ApiError> {
    db.read(|c| Ok::<_, ApiError>(rounds::get(c, round)?))?;
    let rows = parse_award_decisions(bytes).map_err(import_error)?;
    db.write(|c| {
        let mut summary = ImportSummary::default();
        let mut errors = Vec::new();
        for row in &rows {
            summary.rows += 1;
            let outcome = write_transaction(c, |c| {
                if let Some(held) = awards::for_application(c, row.application_id)? {
                    let award = &held.value.award;
                    if award.round_id == round && award.amount == row.amount {
                        return Ok(false);
                    }
                    if award.round_id == round {
                        return Err(ApiError::Conflict(format!(
                            "the application was already awarded {} ({}); vary the award instead",
                            award.amount, award.reference
                        )));
                    }
                }
                let body = DecisionBody {
                    outcome: Outcome::Award,
                    amount: Some(row.amount),
                    reason: Some("imported".to_owned()),
                };
                decide(c, row.application_id, Some(round), &body, actor).map(|_| true)
            });
            match outcome {
                Ok(false) => summary.unchanged += 1,
                Ok(true) => summary.created += 1,
                Err(ApiError::NotFound { .. }) => errors.push(LineError {
                    line: row.line,
                    message: format!(
                        "application_id: no application {} in this round",
                        row.application_id
                    ),
                }),
                Err(error) => errors.push(LineError {
                    line: row.line,
                    message: row_message(&error),
                }),
            }
            progress(1);
        }
        if errors.is_empty() {
            Ok(summary)
        } else {
            Err(import_error(ImportErrors(errors)))
        }
    })
}

/// Import grantee organisations from CSV.
///
/// Columns (a header line first, any order): `name, org_id (optional),
/// organisation_type, region, local_authority, postcode, annual_income`.
/// See docs/IMPORT.md. All or nothing: a file with any bad row is refused
/// with 422 naming every bad line (`errors[].field` is `line N`).
#[utoipa::path(
    tag = "imports",
    request_body(description = "The CSV file (UTF-8)", content(("text/csv"))),
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
    body: CsvUpload,
) -> Result<HttpResponse, ApiError> {
    let actor = auth.principal.actor();
    let summary = blocking(move || import_grantees(&state.db, &body.0, &actor, |_| {})).await?;
    Ok(HttpResponse::Ok().json(summary))
}

/// Import award decisions for a round from CSV.
///
/// Columns: `application_id, amount`. Each row awards a submitted (or
/// under review) application of this round the amount; the whole file is
/// one transaction, so a file that would over-commit the round is refused
/// whole (422 naming the line) and nothing is awarded.
#[utoipa::path(
    tag = "imports",
    params(("id" = Uuid, Path, description = "The round's id")),
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
    body: CsvUpload,
) -> Result<HttpResponse, ApiError> {
    let actor = auth.principal.actor();
    let round = RoundId::from_uuid(id.into_inner());
    let summary =
        blocking(move || import_awards(&state.db, round, &body.0, &actor, |_| {})).await?;
    Ok(HttpResponse::Ok().json(summary))
}
