//! Documents (issue 19): files attached to applications (a question's
//! answer), evaluation returns (evidence) and organisations (governing
//! document, safeguarding policy, bank statement). Uploads are the raw
//! bytes as the body (`application/octet-stream`), streamed to a temporary
//! file and refused as soon as they pass the limit or show a type that is
//! not accepted; the rules are
//! [`operations::documents`](crate::operations::documents).

use actix_web::http::header::{self, ContentDisposition};
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use grantledger_domain::document::{
    AttachmentOwner, DEFAULT_MAX_BYTES, FileName, OrganisationDocumentKind, Purpose,
};
use grantledger_domain::ids::{ApplicationId, AttachmentId, EvaluationReturnId, GranteeId};

use crate::auth::principal::Principal;
use crate::document_upload::{receive, refuse_declared_length};
use crate::error::{ApiError, Problem};
use crate::extract::Query;
use crate::http::blocking;
use crate::operations::documents as op;
use crate::policy::{Authorized, can};
use crate::state::AppState;

pub mod download;
mod views;

pub use views::*;

/// The name an upload is displayed by: the `name` parameter, else
/// `Content-Disposition`'s `filename`, else "document".
fn file_name(req: &HttpRequest, name: Option<String>) -> FileName {
    let from_header = || {
        req.headers()
            .get(header::CONTENT_DISPOSITION)
            .and_then(|v| ContentDisposition::from_raw(v).ok())
            .and_then(|d| d.get_filename().map(str::to_owned))
    };
    FileName::new(&name.or_else(from_header).unwrap_or_default())
}

/// Receives the body as `owner`'s file for `purpose` and stores it: the
/// caller's rights and the owner's state are checked before the body is
/// read, and again in the transaction that stores it; `purpose` is looked
/// at only after that, so another organisation's owner is never told more
/// than 404.
async fn upload(
    state: web::Data<AppState>,
    principal: Principal,
    req: HttpRequest,
    payload: web::Payload,
    owner: AttachmentOwner,
    purpose: Result<Purpose, ApiError>,
    name: Option<String>,
) -> Result<HttpResponse, ApiError> {
    let multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim_start()
                .to_ascii_lowercase()
                .starts_with("multipart/")
        });
    if multipart {
        return Err(ApiError::UnsupportedMediaType(
            "send the file's bytes as the body (Content-Type: application/octet-stream), not a multipart form".into(),
        ));
    }
    let (db, caller) = (state.clone(), principal.clone());
    blocking(move || db.db.read(|c| op::writable_owner(c, &caller, owner))).await?;
    let purpose = purpose?;
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    refuse_declared_length(declared, DEFAULT_MAX_BYTES)?;
    let mut received = receive(payload, DEFAULT_MAX_BYTES, file_name(&req, name)).await?;
    let attachment = blocking(move || {
        state
            .db
            .write(|c| op::attach(c, &principal, owner, purpose, &mut received))
    })
    .await?;
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/v1/attachments/{}", attachment.id),
        ))
        .json(AttachmentView::from(attachment)))
}

async fn list(
    state: web::Data<AppState>,
    principal: Principal,
    owner: AttachmentOwner,
) -> Result<HttpResponse, ApiError> {
    let items = blocking(move || state.db.read(|c| op::list(c, &principal, owner))).await?;
    Ok(HttpResponse::Ok().json(AttachmentList::from(items)))
}

fn purpose(field: &str, text: Option<&str>) -> Result<Purpose, ApiError> {
    let text = text.ok_or_else(|| ApiError::invalid(field, format!("{field} is required")))?;
    Purpose::parse(text).map_err(|e| ApiError::invalid(field, e.to_string()))
}

/// Attach a file to an application as the answer to a question, while the
/// application is a draft. The body is the file's bytes; its type is
/// decided from its content (PDF, PNG, JPEG, DOCX, XLSX or CSV), never from
/// its name. A second upload for the same question replaces the first,
/// which is kept (superseded).
#[utoipa::path(
    tag = "documents",
    params(("id" = Uuid, Path, description = "The application's id"), ApplicationUploadQuery),
    request_body(description = "The file's bytes, at most 12 MB", content(("application/octet-stream"))),
    responses(
        (status = 201, description = "Attached; `Location` names the attachment", body = AttachmentView),
        (status = 404, description = "No such application (or not your organisation's)", body = Problem),
        (status = 409, description = "The application is no longer a draft", body = Problem),
        (status = 413, description = "Over 12 MB: refused without reading the rest", body = Problem),
        (status = 415, description = "Sent as a multipart form", body = Problem),
        (status = 422, description = "Empty, not an accepted type (the detail names the accepted types), or a bad `purpose`", body = Problem),
    ),
    security(("bearer" = []))
)]
#[post("/applications/{id}/attachments")]
pub async fn upload_application_file(
    state: web::Data<AppState>,
    auth: Authorized<can::Apply>,
    req: HttpRequest,
    id: web::Path<uuid::Uuid>,
    query: Query<ApplicationUploadQuery>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let owner = AttachmentOwner::Application(ApplicationId::from_uuid(id.into_inner()));
    let purpose = purpose("purpose", q.purpose.as_deref());
    upload(state, auth.principal, req, payload, owner, purpose, q.name).await
}

/// An application's current files, one a question.
#[utoipa::path(
    tag = "documents",
    params(("id" = Uuid, Path, description = "The application's id")),
    responses(
        (status = 200, description = "The files", body = AttachmentList),
        (status = 404, description = "No such application (or not your organisation's)", body = Problem),
    ),
    security(("bearer" = []))
)]
#[get("/applications/{id}/attachments")]
pub async fn list_application_files(
    state: web::Data<AppState>,
    auth: Authorized<can::ReadApplications>,
    id: web::Path<uuid::Uuid>,
) -> Result<HttpResponse, ApiError> {
    let owner = AttachmentOwner::Application(ApplicationId::from_uuid(id.into_inner()));
    list(state, auth.principal, owner).await
}

/// Attach evidence to your organisation's evaluation return, until it is
/// accepted. The body is the file's bytes; an accepted return's evidence
/// is fixed.
#[utoipa::path(
    tag = "documents",
    params(("id" = Uuid, Path, description = "The return's id"), NameQuery),
    request_body(description = "The file's bytes, at most 12 MB", content(("application/octet-stream"))),
    responses(
        (status = 201, description = "Attached; `Location` names the attachment", body = AttachmentView),
        (status = 404, description = "No such return (or not your organisation's)", body = Problem),
        (status = 409, description = "The return is accepted: its evidence is fixed", body = Problem),
        (status = 413, description = "Over 12 MB: refused without reading the rest", body = Problem),
        (status = 415, description = "Sent as a multipart form", body = Problem),
        (status = 422, description = "Empty, or not an accepted type (the detail names the accepted types)", body = Problem),
    ),
    security(("bearer" = []))
)]
#[post("/evaluation-returns/{id}/attachments")]
pub async fn upload_return_evidence(
    state: web::Data<AppState>,
    auth: Authorized<can::SubmitEvaluationReturns>,
    req: HttpRequest,
    id: web::Path<uuid::Uuid>,
    query: Query<NameQuery>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let owner = AttachmentOwner::EvaluationReturn(EvaluationReturnId::from_uuid(id.into_inner()));
    let name = query.into_inner().name;
    upload(
        state,
        auth.principal,
        req,
        payload,
        owner,
        Ok(Purpose::evidence()),
        name,
    )
    .await
}

/// An evaluation return's current evidence.
#[utoipa::path(
    tag = "documents",
    params(("id" = Uuid, Path, description = "The return's id")),
    responses(
        (status = 200, description = "The files", body = AttachmentList),
        (status = 404, description = "No such return (or not your organisation's)", body = Problem),
    ),
    security(("bearer" = []))
)]
#[get("/evaluation-returns/{id}/attachments")]
pub async fn list_return_evidence(
    state: web::Data<AppState>,
    auth: Authorized<can::ReadEvaluationReturns>,
    id: web::Path<uuid::Uuid>,
) -> Result<HttpResponse, ApiError> {
    let owner = AttachmentOwner::EvaluationReturn(EvaluationReturnId::from_uuid(id.into_inner()));
    list(state, auth.principal, owner).await
}

/// Upload one of an organisation's documents: its governing document,
/// safeguarding policy or a bank statement. A new upload of a kind replaces
/// the last (which is kept, superseded).
#[utoipa::path(
    tag = "documents",
    params(("id" = Uuid, Path, description = "The grantee's id"), OrganisationUploadQuery),
    request_body(description = "The file's bytes, at most 12 MB", content(("application/octet-stream"))),
    responses(
        (status = 201, description = "Uploaded; `Location` names the attachment", body = AttachmentView),
        (status = 404, description = "No such grantee (or not your organisation)", body = Problem),
        (status = 413, description = "Over 12 MB: refused without reading the rest", body = Problem),
        (status = 415, description = "Sent as a multipart form", body = Problem),
        (status = 422, description = "Empty, not an accepted type (the detail names the accepted types), or an unknown `kind`", body = Problem),
    ),
    security(("bearer" = []))
)]
#[post("/grantees/{id}/documents")]
pub async fn upload_organisation_document(
    state: web::Data<AppState>,
    auth: Authorized<can::UploadOrganisationDocuments>,
    req: HttpRequest,
    id: web::Path<uuid::Uuid>,
    query: Query<OrganisationUploadQuery>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let owner = AttachmentOwner::Organisation(GranteeId::from_uuid(id.into_inner()));
    let purpose = purpose("kind", q.kind.as_deref()).and_then(|p| {
        p.as_str()
            .parse::<OrganisationDocumentKind>()
            .map(Purpose::organisation)
            .map_err(|e| ApiError::invalid("kind", e.to_string()))
    });
    upload(state, auth.principal, req, payload, owner, purpose, q.name).await
}

/// An organisation's current documents, one a kind.
#[utoipa::path(
    tag = "documents",
    params(("id" = Uuid, Path, description = "The grantee's id")),
    responses(
        (status = 200, description = "The documents", body = AttachmentList),
        (status = 404, description = "No such grantee (or not your organisation)", body = Problem),
    ),
    security(("bearer" = []))
)]
#[get("/grantees/{id}/documents")]
pub async fn list_organisation_documents(
    state: web::Data<AppState>,
    auth: Authorized<can::ReadGrantees>,
    id: web::Path<uuid::Uuid>,
) -> Result<HttpResponse, ApiError> {
    let owner = AttachmentOwner::Organisation(GranteeId::from_uuid(id.into_inner()));
    list(state, auth.principal, owner).await
}

/// One attachment's record, current or superseded. Whoever may read its
/// application, return or organisation may read it; nobody else (404).
#[utoipa::path(
    tag = "documents",
    params(("id" = Uuid, Path, description = "The attachment's id")),
    responses(
        (status = 200, description = "The attachment", body = AttachmentView),
        (status = 404, description = "No such attachment (or not your organisation's)", body = Problem),
    ),
    security(("bearer" = []))
)]
#[get("/attachments/{id}")]
pub async fn get_attachment(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<uuid::Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = AttachmentId::from_uuid(id.into_inner());
    let found = blocking(move || state.db.read(|c| op::get(c, &principal, id))).await?;
    Ok(HttpResponse::Ok().json(AttachmentView::from(found)))
}

/// Download an attachment's content, as `Content-Disposition: attachment`
/// with `X-Content-Type-Options: nosniff`. The download is recorded in the
/// audit trail (who, which file) before the content is sent.
#[utoipa::path(
    tag = "documents",
    params(("id" = Uuid, Path, description = "The attachment's id")),
    responses(
        (status = 200, description = "The file, in the media type of its sniffed type", content(
            ("application/pdf"), ("image/png"), ("image/jpeg"),
            ("application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
            ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            ("text/csv"),
        )),
        (status = 404, description = "No such attachment (or not your organisation's)", body = Problem),
    ),
    security(("bearer" = []))
)]
#[get("/attachments/{id}/content")]
pub async fn download_attachment(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<uuid::Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = AttachmentId::from_uuid(id.into_inner());
    let db = state.clone();
    let attachment =
        blocking(move || db.db.write(|c| op::open_download(c, &principal, id))).await?;
    Ok(download::response(state, &attachment))
}
