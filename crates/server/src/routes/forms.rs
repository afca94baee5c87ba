//! Application forms per round and the answers to them (issue 19):
//! `/v1/rounds/{id}/form` and `/v1/applications/{id}/answers`. The form's
//! JSON schema is documented in docs/FORMS.md and in the API document.

use std::collections::BTreeMap;

use actix_web::{HttpRequest, HttpResponse, get, put, web};
use chrono::{DateTime, Utc};
use grantledger_domain::document::DocumentType;
use grantledger_domain::form::{AnswerError, Form, Section, SectionStatus};
use grantledger_domain::ids::{ApplicationId, AttachmentId, RoundId};
use grantledger_store::forms::RoundForm;
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{ApiError, Problem};
use crate::extract::Json;
use crate::http::{IfMatch, blocking, ok_versioned};
use crate::operations::forms::{self as op, Answered};
use crate::policy::{Authorized, can};
use crate::state::AppState;

/// A version of a round's form.
#[derive(Debug, Serialize, ToSchema)]
pub struct RoundFormView {
    /// The round.
    pub round_id: RoundId,
    /// 1, 2, …; also the `ETag`.
    pub version: u32,
    /// When this version was saved.
    pub saved_at: DateTime<Utc>,
    /// The sections of questions, in order.
    pub sections: Vec<Section>,
}

impl From<RoundForm> for RoundFormView {
    fn from(f: RoundForm) -> Self {
        RoundFormView {
            round_id: f.round_id,
            version: f.version,
            saved_at: f.saved_at,
            sections: f.form.sections().to_vec(),
        }
    }
}

/// A round's application form: sections of questions, each with its type
/// and rules. 404 when the round asks only the standard questions (title,
/// summary, amount).
#[utoipa::path(
    tag = "forms",
    params(("id" = Uuid, Path, description = "The round's id")),
    responses((status = 200, description = "The latest version", body = RoundFormView), (status = 404, description = "No such round, or it has no form", body = Problem)),
    security(("bearer" = []))
)]
#[get("/rounds/{id}/form")]
pub async fn get_form(
    state: web::Data<AppState>,
    _auth: Authorized<can::ReadFunds>,
    id: web::Path<uuid::Uuid>,
) -> Result<HttpResponse, ApiError> {
    let round = RoundId::from_uuid(id.into_inner());
    let form = blocking(move || state.db.read(|c| op::get(c, round))).await?;
    let version = i64::from(form.version);
    Ok(ok_versioned(version, &RoundFormView::from(form)))
}

/// Every saved version of a round's form, oldest first.
#[utoipa::path(
    tag = "forms",
    params(("id" = Uuid, Path, description = "The round's id")),
    responses((status = 200, description = "The versions", body = [RoundFormView]), (status = 404, body = Problem)),
    security(("bearer" = []))
)]
#[get("/rounds/{id}/form/versions")]
pub async fn form_versions(
    state: web::Data<AppState>,
    _auth: Authorized<can::ReadFunds>,
    id: web::Path<uuid::Uuid>,
) -> Result<HttpResponse, ApiError> {
    let round = RoundId::from_uuid(id.into_inner());
    let all = blocking(move || state.db.read(|c| op::history(c, round))).await?;
    let views: Vec<RoundFormView> = all.into_iter().map(RoundFormView::from).collect();
    Ok(HttpResponse::Ok().json(views))
}

/// Save a new version of a round's form. Send `If-Match` with the
/// version you read (none for a round without a form): a different latest
/// version is a 409 naming both, never a silent overwrite. Refused (409)
/// once the round has opened, so nobody's answers change meaning.
#[utoipa::path(
    tag = "forms",
    params(("id" = Uuid, Path, description = "The round's id")),
    request_body = Form,
    responses(
        (status = 200, description = "The new version", body = RoundFormView),
        (status = 404, body = Problem),
        (status = 409, description = "The round has opened, or someone else changed the form", body = Problem),
        (status = 422, description = "The definition breaks a rule (the message names the question)", body = Problem),
    ),
    security(("bearer" = []))
)]
#[put("/rounds/{id}/form")]
pub async fn put_form(
    state: web::Data<AppState>,
    auth: Authorized<can::ManageFunds>,
    req: HttpRequest,
    id: web::Path<uuid::Uuid>,
    body: Json<Form>,
) -> Result<HttpResponse, ApiError> {
    let round = RoundId::from_uuid(id.into_inner());
    let read = match req.headers().get(actix_web::http::header::IF_MATCH) {
        None => None,
        Some(_) => match crate::http::require_if_match(&req)? {
            IfMatch::Version(v) => Some(u32::try_from(v).map_err(|_| {
                ApiError::BadRequest(format!("If-Match names no version of this form: {v}"))
            })?),
            IfMatch::Any => None,
        },
    };
    let form = body.into_inner();
    let actor = auth.principal.actor();
    let saved =
        blocking(move || state.db.write(|c| op::set(c, &actor, round, read, &form))).await?;
    let version = i64::from(saved.version);
    Ok(ok_versioned(version, &RoundFormView::from(saved)))
}

/// A file uploaded in answer to a file question.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttachedFileView {
    /// The upload; download it from `/v1/attachments/{id}/content`.
    pub attachment_id: AttachmentId,
    /// Its name, for display only.
    pub file_name: String,
    /// Its type, decided from its content.
    pub document_type: DocumentType,
    /// Its size in bytes.
    pub size_bytes: u64,
}

/// One section of the form and how far the applicant has got.
#[derive(Debug, Serialize, ToSchema)]
pub struct SectionProgress {
    /// The section's id.
    pub id: String,
    /// Its title.
    pub title: String,
    /// `not_started`, `in_progress` or `completed`.
    pub status: SectionStatus,
}

/// An application's answers to its round's form.
#[derive(Debug, Serialize, ToSchema)]
pub struct AnswersView {
    /// The application.
    pub application_id: ApplicationId,
    /// The form version answered.
    pub form_version: u32,
    /// The answers, keyed by question id, in the shapes docs/FORMS.md gives.
    #[schema(value_type = Object)]
    pub answers: serde_json::Value,
    /// Uploads answering file questions, keyed by question id.
    pub files: BTreeMap<String, AttachedFileView>,
    /// When the answers were last saved.
    pub saved_at: Option<DateTime<Utc>>,
    /// Each section's progress, for a task list.
    pub sections: Vec<SectionProgress>,
    /// What would stop a submission now (empty when ready), each naming its question.
    pub to_do: Vec<AnswerError>,
}

impl AnswersView {
    fn new(id: ApplicationId, a: &Answered) -> AnswersView {
        let form = &a.form.form;
        AnswersView {
            application_id: id,
            form_version: a.form.version,
            answers: a.answers.to_json(),
            files: a
                .files
                .iter()
                .map(|(q, f)| {
                    (
                        q.to_string(),
                        AttachedFileView {
                            attachment_id: f.attachment_id,
                            file_name: f.file_name.clone(),
                            document_type: f.document_type,
                            size_bytes: f.size_bytes,
                        },
                    )
                })
                .collect(),
            saved_at: a.saved_at,
            sections: form
                .sections()
                .iter()
                .map(|s| SectionProgress {
                    id: s.id.to_string(),
                    title: s.title.clone(),
                    status: form.section_status(s, &a.answers, &a.context),
                })
                .collect(),
            to_do: form
                .check_submission(&a.answers, &a.context)
                .err()
                .map(|e| e.0)
                .unwrap_or_default(),
        }
    }
}

/// An application's answers to its round's form, its uploads and each
/// section's progress. Another organisation's application: 404.
#[utoipa::path(
    tag = "forms",
    params(("id" = Uuid, Path, description = "The application's id")),
    responses((status = 200, description = "The answers", body = AnswersView), (status = 404, description = "No such application, or its round has no form", body = Problem)),
    security(("bearer" = []))
)]
#[get("/applications/{id}/answers")]
pub async fn get_answers(
    state: web::Data<AppState>,
    auth: Authorized<can::ReadApplications>,
    id: web::Path<uuid::Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = ApplicationId::from_uuid(id.into_inner());
    let principal = auth.principal;
    let answered = blocking(move || state.db.read(|c| op::answers(c, &principal, id))).await?;
    Ok(HttpResponse::Ok().json(AnswersView::new(id, &answered)))
}

/// Save answers to a draft: a JSON object keyed by question id. Answers
/// given replace those saved; questions not named keep theirs; `null` or
/// `""` clears one. Each answer is checked against its question, and
/// nothing is saved unless all are good (422 naming each question as
/// `answers.<id>`). Completeness is checked at submission.
#[utoipa::path(
    tag = "forms",
    params(("id" = Uuid, Path, description = "The application's id")),
    request_body(content = Object, description = "Answers keyed by question id"),
    responses(
        (status = 200, description = "The answers as saved", body = AnswersView),
        (status = 404, body = Problem),
        (status = 409, description = "The application is no longer a draft", body = Problem),
        (status = 422, description = "Answers that break their question's rules", body = Problem),
    ),
    security(("bearer" = []))
)]
#[put("/applications/{id}/answers")]
pub async fn put_answers(
    state: web::Data<AppState>,
    auth: Authorized<can::Apply>,
    id: web::Path<uuid::Uuid>,
    body: Json<serde_json::Map<String, serde_json::Value>>,
) -> Result<HttpResponse, ApiError> {
    let id = ApplicationId::from_uuid(id.into_inner());
    let principal = auth.principal;
    let raw = body.into_inner();
    let answered = blocking(move || state.db.write(|c| op::save(c, &principal, id, &raw))).await?;
    Ok(HttpResponse::Ok().json(AnswersView::new(id, &answered)))
}
