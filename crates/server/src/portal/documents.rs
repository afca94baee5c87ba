//! Documents in the portal (issue 19): the table of an organisation's
//! current documents (on the grantee's own page and the staff's page of
//! it), the form that uploads one of a kind, and the download every link
//! goes to. The rules are the API's ([`operations::documents`]).

use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, get, post, web};
use futures_util::StreamExt;
use grantledger_domain::document::{
    Attachment, AttachmentOwner, DEFAULT_MAX_BYTES, FileName, OrganisationDocumentKind, Purpose,
    format_size,
};
use grantledger_domain::ids::AttachmentId;

use crate::error::ApiError;
use crate::http::blocking;
use crate::operations;
use crate::policy::Action;
use crate::portal::format::instant;
use crate::portal::forms::FormErrors;
use crate::portal::messages::{Messages, english};
use crate::portal::page::{PortalError, PortalResult, see_other};
use crate::portal::session::{CSRF_FIELD, SignedIn, check_same_site, tokens_match};
use crate::portal::table::{Cell, Table};
use crate::routes::documents::download;
use crate::state::AppState;

/// One kind of organisation document, as the upload forms offer it.
#[derive(Debug)]
pub struct KindForm {
    /// The kind's code, in the form's address.
    pub code: &'static str,
    /// The file input's name and id.
    pub field: String,
    /// The kind in words.
    pub label: &'static str,
}

/// The upload forms, one a kind.
#[must_use]
pub fn kind_forms() -> Vec<KindForm> {
    OrganisationDocumentKind::ALL
        .into_iter()
        .map(|k| KindForm {
            code: k.as_str(),
            field: format!("file-{}", k.as_str()),
            label: k.label(),
        })
        .collect()
}

/// An organisation's current documents: what each is, its name (a link
/// that downloads it), type, size and when it was uploaded.
#[must_use]
pub fn documents_table(m: &Messages, documents: &[Attachment]) -> Table {
    let columns = [
        (m.t("documents-kind"), false),
        (m.t("documents-file"), false),
        (m.t("documents-type"), false),
        (m.t("documents-size"), true),
        (m.t("documents-uploaded-at"), false),
    ];
    let mut table = Table::under_heading(m.t("documents-title"), &columns, m.t("documents-none"));
    table.rows = documents
        .iter()
        .map(|d| {
            let kind = d
                .purpose
                .as_str()
                .parse::<OrganisationDocumentKind>()
                .map_or_else(|_| d.purpose.to_string(), |k| k.label().to_owned());
            let mut row = vec![Cell::text(kind)];
            row.extend(file_cells(d));
            row
        })
        .collect();
    table
}

/// An evaluation return's evidence: each file's name (a link that
/// downloads it), type, size and when it was attached.
#[must_use]
pub fn evidence_table(m: &Messages, evidence: &[Attachment]) -> Table {
    let columns = [
        (m.t("documents-file"), false),
        (m.t("documents-type"), false),
        (m.t("documents-size"), true),
        (m.t("documents-uploaded-at"), false),
    ];
    let mut table = Table::under_heading(
        m.t("return-evidence-title"),
        &columns,
        m.t("return-evidence-none"),
    );
    table.rows = evidence.iter().map(file_cells).collect();
    table
}

fn file_cells(d: &Attachment) -> Vec<Cell> {
    vec![
        Cell::link(
            d.file_name.to_string(),
            format!("/attachments/{}/download", d.id),
        ),
        Cell::text(d.document_type.label()),
        Cell::figure(format_size(d.size_bytes)),
        Cell::text(instant(d.uploaded_at)),
    ]
}

/// Downloads a document the signed-in person may see (another
/// organisation's: not found), recording the download in the audit trail.
#[get("/attachments/{id}/download")]
pub async fn download_page(
    state: web::Data<AppState>,
    signed_in: SignedIn,
    path: web::Path<String>,
) -> PortalResult {
    let id: AttachmentId = path.parse().map_err(|_| PortalError::NotFound)?;
    let principal = signed_in.principal.clone();
    let db = state.clone();
    let attachment = blocking(move || {
        db.db
            .write(|c| operations::documents::open_download(c, &principal, id))
    })
    .await?;
    Ok(download::response(state, &attachment))
}

/// Reads a multipart form whose CSRF token comes before its one file
/// field, `field_name`: the token is checked before any of the file is
/// read, and the file is streamed as the API's uploads are (refused past
/// `limit`, or when its first bytes are not an accepted type). `None` when
/// the form was sent without choosing a file.
///
/// # Errors
/// A missing or wrong token, or a form that cannot be read.
pub async fn form_file(
    payload: &mut Multipart,
    signed_in: &SignedIn,
    field_name: &str,
    limit: u64,
) -> Result<Option<Result<crate::document_upload::Received, ApiError>>, PortalError> {
    match file_field(payload, signed_in, field_name).await? {
        Some((mut field, file_name)) => Ok(Some(
            crate::document_upload::receive(&mut field, limit, file_name).await,
        )),
        None => Ok(None),
    }
}

/// The form's file part `field_name`, once the CSRF token before it has
/// been checked, with the name it came with; `None` when the form was
/// sent without a file chosen.
///
/// # Errors
/// A token missing, wrong or after the file; a form that cannot be read.
pub async fn file_field(
    payload: &mut Multipart,
    signed_in: &SignedIn,
    field_name: &str,
) -> Result<Option<(actix_multipart::Field, FileName)>, PortalError> {
    let mut token_ok = false;
    while let Some(field) = payload.next().await {
        let mut field = field.map_err(|_| PortalError::BadForm)?;
        let name = field.name().unwrap_or_default().to_owned();
        if name == CSRF_FIELD {
            let mut token = Vec::new();
            while let Some(chunk) = field.next().await {
                let chunk = chunk.map_err(|_| PortalError::BadForm)?;
                if token.len() + chunk.len() > TOKEN_LIMIT {
                    return Err(PortalError::BadForm);
                }
                token.extend_from_slice(&chunk);
            }
            token_ok = tokens_match(&String::from_utf8_lossy(&token), &signed_in.csrf);
        } else if name == field_name {
            if !token_ok {
                return Err(PortalError::BadCsrf);
            }
            let file_name = FileName::new(
                field
                    .content_disposition()
                    .and_then(|d| d.get_filename())
                    .unwrap_or_default(),
            );
            // A form sent without choosing a file has an empty part.
            if file_name.as_str() == FileName::FALLBACK {
                while field.next().await.is_some() {}
                return Ok(None);
            }
            return Ok(Some((field, file_name)));
        } else {
            // Another field (a choice before the file): read and dropped
            // here; forms that need one read it themselves.
            while field.next().await.is_some() {}
        }
    }
    if token_ok {
        Ok(None)
    } else {
        Err(PortalError::BadCsrf)
    }
}

/// The longest CSRF field read before the file.
const TOKEN_LIMIT: usize = 1024;

/// Uploads one of the organisation's documents from the form on "Your
/// organisation". The form's token comes before the file and is checked
/// before the file is read; the file is streamed as the API's is.
#[post("/organisation/documents/{kind}")]
pub async fn upload(
    state: web::Data<AppState>,
    req: HttpRequest,
    signed_in: SignedIn,
    path: web::Path<String>,
    mut payload: Multipart,
) -> PortalResult {
    check_same_site(&req)?;
    signed_in.may(Action::UploadOrganisationDocuments)?;
    let m = english();
    let kind: OrganisationDocumentKind = path.parse().map_err(|_| PortalError::NotFound)?;
    let grantee = signed_in
        .principal
        .grantee_id
        .ok_or_else(|| PortalError::Forbidden(m.t("grantee-only")))?;
    let field_name = format!("file-{}", kind.as_str());
    let owner = AttachmentOwner::Organisation(grantee);
    let purpose = Purpose::organisation(kind);
    match attach_form_file(
        &state,
        &signed_in,
        &mut payload,
        &field_name,
        owner,
        purpose,
    )
    .await?
    {
        Ok(()) => Ok(see_other("/organisation#documents")),
        Err((status, errors)) => {
            crate::portal::organisation::render(state, signed_in, errors, status).await
        }
    }
}

/// A file refused on its form: the status to answer with, and the error
/// on the file's field.
pub type Refused = (StatusCode, FormErrors);

/// Reads the form's one file, `field_name` ([`form_file`]), and attaches it
/// to `owner` for `purpose` by the API's rules. `Ok(Err(_))` when the
/// person can put it right on the form: no file chosen, a type not
/// accepted, or the owner not open to changes (the message names which).
///
/// # Errors
/// A bad token or form; any other refusal.
pub async fn attach_form_file(
    state: &web::Data<AppState>,
    signed_in: &SignedIn,
    payload: &mut Multipart,
    field_name: &str,
    owner: AttachmentOwner,
    purpose: Purpose,
) -> Result<Result<(), Refused>, PortalError> {
    let stored = match form_file(payload, signed_in, field_name, DEFAULT_MAX_BYTES).await? {
        Some(Ok(mut received)) => {
            let principal = signed_in.principal.clone();
            let db = state.clone();
            blocking(move || {
                db.db.write(|c| {
                    operations::documents::attach(c, &principal, owner, purpose, &mut received)
                })
            })
            .await
        }
        Some(Err(e)) => Err(e),
        None => {
            let mut errors = FormErrors::default();
            errors.add(field_name, english().t("documents-no-file"));
            return Ok(Err((StatusCode::UNPROCESSABLE_ENTITY, errors)));
        }
    };
    match stored {
        Ok(_) => Ok(Ok(())),
        Err(e @ (ApiError::Document(_) | ApiError::Conflict { .. })) => {
            use actix_web::ResponseError;
            let mut errors = FormErrors::default();
            errors.add(field_name, e.to_string());
            Ok(Err((e.status_code(), errors)))
        }
        Err(e) => Err(e.into()),
    }
}
