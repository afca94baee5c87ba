//! `/imports`: upload a CSV of grantee organisations, or of a round's
//! award decisions (issue 17), by the same operations as `POST
//! /v1/imports/grantees` and `POST /v1/rounds/{id}/imports/awards`. All or
//! nothing: a file with any bad line changes nothing, and the page lists
//! every bad line.

use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, get, post, web};
use askama::Template;
use chrono::Utc;
use futures_util::StreamExt;
use grantledger_domain::ids::RoundId;
use grantledger_domain::import::parse_grantees;
use grantledger_store::AnyConnection;
use grantledger_store::common::{Actor, PageRequest};
use grantledger_store::rounds::{self, RoundFilter};
use serde::Deserialize;

use crate::error::ApiError;
use crate::extract::CSV_UPLOAD_LIMIT;
use crate::http::blocking;
use crate::operations::imports::{
    ImportSummary, import_award_file, import_error, import_grantee_rows,
};
use crate::policy::Action;
use crate::portal::documents::file_field;
use crate::portal::messages::english;
use crate::portal::page::{Chrome, PortalError, PortalResult, html_with_status};
use crate::portal::payment_runs::SelectOption;
use crate::portal::session::{SignedIn, check_same_site};
use crate::state::AppState;

/// A bad line of a refused file.
#[derive(Debug)]
pub struct BadLine {
    /// `line N`.
    pub line: String,
    /// What is wrong with it.
    pub message: String,
}

/// Why an upload was refused, as a whole and line by line, for the page
/// to list; a refusal that is not about the file is returned as it is.
///
/// # Errors
/// Any refusal but a bad file or one too large.
pub fn refusal(error: ApiError) -> Result<(String, Vec<BadLine>), ApiError> {
    match error {
        ApiError::Unprocessable { detail, errors } => Ok((
            detail,
            errors
                .into_iter()
                .map(|e| BadLine {
                    line: e.field,
                    message: e.message,
                })
                .collect(),
        )),
        e @ (ApiError::FileTooLarge { .. } | ApiError::Conflict { .. }) => {
            Ok((e.to_string(), Vec::new()))
        }
        other => Err(other),
    }
}

#[derive(Template)]
#[template(path = "imports.html")]
struct ImportsPage {
    c: Chrome,
    rounds: Vec<SelectOption>,
    /// The round chosen for award decisions.
    round: Option<String>,
    /// What the last upload did.
    done: Option<String>,
    /// Why the last upload was refused, as a whole.
    refused: Option<String>,
    bad_lines: Vec<BadLine>,
}

/// The round chosen for award decisions.
#[derive(Debug, Deserialize)]
pub struct Chosen {
    round: Option<uuid::Uuid>,
}

async fn render(
    state: &web::Data<AppState>,
    signed_in: &SignedIn,
    status: StatusCode,
    round: Option<uuid::Uuid>,
    outcome: Result<Option<ImportSummary>, ApiError>,
) -> PortalResult {
    let list = {
        let state = state.clone();
        blocking(move || {
            state.db.read(|c| {
                Ok::<_, ApiError>(
                    rounds::list(
                        c,
                        &RoundFilter::default(),
                        PageRequest::new(Some(500), None),
                    )?
                    .items,
                )
            })
        })
        .await?
    };
    let m = english();
    let mut options = vec![SelectOption {
        value: String::new(),
        label: m.t("imports-choose-round"),
        selected: round.is_none(),
    }];
    options.extend(list.iter().map(|r| SelectOption {
        value: r.value.id.to_string(),
        label: r.value.name.clone(),
        selected: round.is_some_and(|id| id == r.value.id.as_uuid()),
    }));
    let (done, refused, bad_lines) = match outcome {
        Ok(None) => (None, None, Vec::new()),
        Ok(Some(s)) => (
            Some(m.with(
                "imports-done",
                &[
                    ("rows", &s.rows.to_string()),
                    ("created", &s.created.to_string()),
                    ("updated", &s.updated.to_string()),
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
    html_with_status(
        status,
        &ImportsPage {
            c: Chrome::signed_in(signed_in, "home"),
            rounds: options,
            round: round.map(|r| r.to_string()),
            done,
            refused,
            bad_lines,
        },
    )
}

/// The upload forms.
#[get("/imports")]
pub async fn show(
    state: web::Data<AppState>,
    signed_in: SignedIn,
    query: web::Query<Chosen>,
) -> PortalResult {
    signed_in.may(Action::ImportData)?;
    render(&state, &signed_in, StatusCode::OK, query.round, Ok(None)).await
}

/// The form's file `file`, read whole up to `limit` bytes (an import's
/// limit, as the API's); `None` when none was chosen.
///
/// # Errors
/// A bad token or form.
async fn small_file(
    payload: &mut Multipart,
    signed_in: &SignedIn,
    limit: usize,
) -> Result<Option<Result<Vec<u8>, ApiError>>, PortalError> {
    let Some((mut field, _)) = file_field(payload, signed_in, "file").await? else {
        return Ok(None);
    };
    let mut bytes = Vec::new();
    while let Some(chunk) = field.next().await {
        let chunk = chunk.map_err(|_| PortalError::BadForm)?;
        if bytes.len() + chunk.len() > limit {
            while field.next().await.is_some() {}
            return Ok(Some(Err(ApiError::FileTooLarge { limit })));
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(Some(Ok(bytes)))
}

/// The refusal for a form sent without a file.
fn no_file() -> ApiError {
    ApiError::invalid("file", english().t("imports-no-file"))
}

/// What every upload form does with its file `file` (read whole, up to
/// `limit` bytes): runs `import` on it in one write transaction, as the
/// signed-in person. Answers the status for the page with what came of
/// it: the import's summary, or why nothing was changed.
///
/// # Errors
/// A bad token or form.
pub async fn run_upload<T: Send + 'static>(
    state: &web::Data<AppState>,
    payload: &mut Multipart,
    signed_in: &SignedIn,
    limit: usize,
    import: impl FnOnce(&mut AnyConnection, &AppState, &[u8], &Actor) -> Result<T, ApiError>
    + Send
    + 'static,
) -> Result<(StatusCode, Result<Option<T>, ApiError>), PortalError> {
    let file = small_file(payload, signed_in, limit).await?;
    let actor = signed_in.principal.actor();
    let outcome = match file {
        None => Err(no_file()),
        Some(Err(e)) => Err(e),
        Some(Ok(bytes)) => {
            let state = state.clone();
            blocking(move || {
                state
                    .db
                    .write(|c| import(c, &state, &bytes, &actor).map(Some))
            })
            .await
        }
    };
    let status = match &outcome {
        Ok(_) => StatusCode::OK,
        Err(e) => actix_web::ResponseError::status_code(e),
    };
    Ok((status, outcome))
}

/// Imports grantee organisations.
#[post("/imports/grantees")]
pub async fn grantees(
    state: web::Data<AppState>,
    req: HttpRequest,
    signed_in: SignedIn,
    mut payload: Multipart,
) -> PortalResult {
    check_same_site(&req)?;
    signed_in.may(Action::ImportData)?;
    let (status, outcome) = run_upload(
        &state,
        &mut payload,
        &signed_in,
        CSV_UPLOAD_LIMIT,
        |c, _, bytes, actor| {
            let rows = parse_grantees(bytes).map_err(import_error)?;
            import_grantee_rows(c, &rows, actor, Utc::now(), |_| {})
        },
    )
    .await?;
    render(&state, &signed_in, status, None, outcome).await
}

/// Imports a round's award decisions.
#[post("/rounds/{id}/import-awards")]
pub async fn awards(
    state: web::Data<AppState>,
    req: HttpRequest,
    signed_in: SignedIn,
    path: web::Path<uuid::Uuid>,
    mut payload: Multipart,
) -> PortalResult {
    check_same_site(&req)?;
    signed_in.may(Action::ImportData)?;
    let round = path.into_inner();
    let (status, outcome) = run_upload(
        &state,
        &mut payload,
        &signed_in,
        CSV_UPLOAD_LIMIT,
        move |c, state, bytes, actor| {
            let round = RoundId::from_uuid(round);
            import_award_file(c, &state.notices, round, bytes, actor, |_| {})
        },
    )
    .await?;
    render(&state, &signed_in, status, Some(round), outcome).await
}
