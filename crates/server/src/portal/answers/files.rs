//! Uploading the file that answers a file question (issue 19): a page per
//! question with the types and size it takes; a new upload replaces the
//! draft's current file (which is kept, superseded). The same operation
//! as `POST /v1/applications/{id}/attachments?purpose=<question>`.

use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, get, post, web};
use askama::Template;
use grantledger_domain::document::{AttachmentOwner, Purpose, format_size};
use grantledger_domain::form::{Question, QuestionKind};
use grantledger_domain::ids::ApplicationId;

use crate::error::ApiError;
use crate::http::blocking;
use crate::operations;
use crate::policy::Action;
use crate::portal::applications::load;
use crate::portal::documents::form_file;
use crate::portal::forms::FormErrors;
use crate::portal::messages::english;
use crate::portal::page::{Chrome, PortalError, PortalResult, html, html_with_status, see_other};
use crate::portal::session::{SignedIn, check_same_site};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "answer_file.html")]
struct FilePage {
    c: Chrome,
    errors: FormErrors,
    id: String,
    round: String,
    label: String,
    hint: String,
    accepts: String,
    current: Option<(String, String)>,
    back: String,
    question: String,
}

impl FilePage {
    fn question_id(&self) -> &str {
        &self.question
    }
}

/// The question, its section, and what it accepts.
struct Asked {
    question: Question,
    section: String,
    accept: Vec<grantledger_domain::document::DocumentType>,
    max_bytes: u64,
    current: Option<(String, String)>,
}

async fn asked(
    state: &web::Data<AppState>,
    signed_in: &SignedIn,
    id: ApplicationId,
    question: &str,
) -> Result<Asked, PortalError> {
    let state = state.clone();
    let principal = signed_in.principal.clone();
    let answered = blocking(move || {
        state
            .db
            .read(|c| operations::forms::answers(c, &principal, id))
    })
    .await?;
    let form = &answered.form.form;
    let section = form
        .sections()
        .iter()
        .find(|s| s.questions.iter().any(|q| q.id.as_str() == question))
        .ok_or(PortalError::NotFound)?;
    let q = form.question(question).ok_or(PortalError::NotFound)?;
    let QuestionKind::File { accept, max_bytes } = &q.kind else {
        return Err(PortalError::NotFound);
    };
    Ok(Asked {
        question: q.clone(),
        section: section.id.to_string(),
        accept: accept.clone(),
        max_bytes: *max_bytes,
        current: answered.files.get(&q.id).map(|f| {
            (
                f.file_name.clone(),
                format!("/attachments/{}/download", f.attachment_id),
            )
        }),
    })
}

fn page(
    id: ApplicationId,
    round: &str,
    signed_in: &SignedIn,
    a: Asked,
    errors: FormErrors,
) -> FilePage {
    let m = english();
    FilePage {
        c: Chrome::signed_in(signed_in, "home"),
        errors,
        id: id.to_string(),
        round: round.to_owned(),
        label: a.question.label.clone(),
        hint: a.question.hint.clone().unwrap_or_default(),
        accepts: m.with(
            "answer-file-accepts",
            &[
                (
                    "types",
                    &a.accept
                        .iter()
                        .map(|t| t.label())
                        .collect::<Vec<_>>()
                        .join(", "),
                ),
                ("size", &format_size(a.max_bytes)),
            ],
        ),
        question: a.question.id.to_string(),
        current: a.current,
        back: format!("/applications/{id}/sections/{}", a.section),
    }
}

/// The upload form for one file question.
#[get("/applications/{id}/files/{question}")]
pub async fn file_form(
    state: web::Data<AppState>,
    signed_in: SignedIn,
    path: web::Path<(String, String)>,
) -> PortalResult {
    let (raw, question) = path.into_inner();
    let (id, record, round) = load(&state, &signed_in, &raw, Action::Apply).await?;
    if !record.value.application.status.is_editable() {
        return Ok(see_other(&format!("/applications/{id}")));
    }
    let a = asked(&state, &signed_in, id, &question).await?;
    html(&page(id, &round.name, &signed_in, a, FormErrors::default()))
}

/// Receives the file; refused ones are shown on the form with the reason.
#[post("/applications/{id}/files/{question}")]
pub async fn upload_file(
    state: web::Data<AppState>,
    req: HttpRequest,
    signed_in: SignedIn,
    path: web::Path<(String, String)>,
    mut payload: Multipart,
) -> PortalResult {
    check_same_site(&req)?;
    let (raw, question) = path.into_inner();
    let (id, _, round) = load(&state, &signed_in, &raw, Action::Apply).await?;
    let a = asked(&state, &signed_in, id, &question).await?;
    let m = english();
    let purpose = Purpose::parse(&question).map_err(|_| PortalError::NotFound)?;
    let result = match form_file(&mut payload, &signed_in, "file", a.max_bytes).await? {
        None => Err(ApiError::invalid("file", m.t("documents-no-file"))),
        Some(Err(e)) => Err(e),
        Some(Ok(received)) if !a.accept.contains(&received.document_type) => {
            Err(ApiError::invalid(
                "file",
                m.with(
                    "answer-file-wrong-type",
                    &[
                        ("type", received.document_type.label()),
                        (
                            "types",
                            &a.accept
                                .iter()
                                .map(|t| t.label())
                                .collect::<Vec<_>>()
                                .join(", "),
                        ),
                    ],
                ),
            ))
        }
        Some(Ok(mut received)) => {
            let principal = signed_in.principal.clone();
            let db = state.clone();
            blocking(move || {
                db.db.write(|c| {
                    operations::documents::attach(
                        c,
                        &principal,
                        AttachmentOwner::Application(id),
                        purpose,
                        &mut received,
                    )
                })
            })
            .await
            .map(|_| ())
        }
    };
    match result {
        Ok(()) => Ok(see_other(&format!(
            "/applications/{id}/sections/{}",
            a.section
        ))),
        Err(e) => {
            use actix_web::ResponseError;
            let status = match e.status_code() {
                s if s.is_client_error() => s,
                _ => return Err(e.into()),
            };
            let message = match &e {
                ApiError::Unprocessable { errors, .. } => errors
                    .first()
                    .map_or_else(|| e.to_string(), |f| f.message.clone()),
                _ => e.to_string(),
            };
            let errors = FormErrors::one("file", message);
            html_with_status(
                if status == StatusCode::CONFLICT {
                    StatusCode::CONFLICT
                } else {
                    status
                },
                &page(id, &round.name, &signed_in, a, errors),
            )
        }
    }
}
