//! A round's own questions in the portal (issue 19): the applicant's task
//! list of sections, one page per section, and the answers as every
//! reader of the application sees them. The rules are the domain's; the
//! pages call `operations::forms` as the JSON API does.

mod fields;
mod files;

pub use files::{file_form, upload_file};

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{get, post, web};
use askama::Template;
use grantledger_domain::form::{AnswerError, SectionStatus};
use grantledger_domain::ids::ApplicationId;

use crate::error::ApiError;
use crate::http::blocking;
use crate::operations;
use crate::operations::forms::Answered;
use crate::policy::Action;
use crate::portal::applications::load;
use crate::portal::forms::FormErrors;
use crate::portal::messages::{Messages, english};
use crate::portal::page::{Chrome, PortalError, PortalResult, html, html_with_status, see_other};
use crate::portal::session::{Posted, SignedIn};
use crate::state::AppState;
pub use fields::{Field, FieldKind, Opt};

/// One answer in a summary.
#[derive(Debug, Clone)]
pub struct AnswerRow {
    /// The question.
    pub label: String,
    /// The answer in words ("" when not answered).
    pub value: String,
    /// A download for an uploaded file.
    pub download: Option<String>,
}

/// One section of the form, for the task list and the summaries.
#[derive(Debug, Clone)]
pub struct SectionSummary {
    /// Where its page is (for a draft the reader may change).
    pub href: Option<String>,
    /// Its title.
    pub title: String,
    /// Its status in words and tag colour.
    pub status: (String, &'static str),
    /// Its answers, for the questions shown.
    pub rows: Vec<AnswerRow>,
}

/// The form's sections with their answers.
#[derive(Debug, Clone)]
pub struct FormSummary {
    /// Each section.
    pub sections: Vec<SectionSummary>,
    /// What stops a submission now, in words.
    pub to_do: Vec<String>,
}

fn status_tag(m: &Messages, s: SectionStatus) -> (String, &'static str) {
    let colour = match s {
        SectionStatus::Completed => "green",
        SectionStatus::InProgress => "light-blue",
        SectionStatus::NotStarted => "grey",
    };
    (m.t(&format!("section-status-{}", status_code(s))), colour)
}

fn status_code(s: SectionStatus) -> &'static str {
    match s {
        SectionStatus::NotStarted => "not-started",
        SectionStatus::InProgress => "in-progress",
        SectionStatus::Completed => "completed",
    }
}

/// Where the reader downloads an upload.
fn download(attachment: &str) -> String {
    format!("/attachments/{attachment}/download")
}

/// The summary of an application's answers; `editable` links each
/// section to its page.
pub fn summary(id: ApplicationId, a: &Answered, editable: bool) -> FormSummary {
    let m = english();
    let form = &a.form.form;
    let shown = form.shown(&a.answers);
    let sections = form
        .sections()
        .iter()
        .map(|s| SectionSummary {
            href: editable.then(|| format!("/applications/{id}/sections/{}", s.id)),
            title: s.title.clone(),
            status: status_tag(m, form.section_status(s, &a.answers, &a.context)),
            rows: s
                .questions
                .iter()
                .filter(|q| shown.iter().any(|v| v.id == q.id))
                .map(|q| {
                    let file = a.files.get(&q.id);
                    AnswerRow {
                        label: q.label.clone(),
                        value: match (a.answers.get(&q.id), file) {
                            (Some(answer), _) => fields::display(m, q, answer),
                            (None, Some(f)) => f.file_name.clone(),
                            (None, None) => String::new(),
                        },
                        download: file.map(|f| download(&f.attachment_id.to_string())),
                    }
                })
                .collect(),
        })
        .collect();
    let to_do = form
        .check_submission(&a.answers, &a.context)
        .err()
        .map(|e| e.0.iter().map(to_do_line).collect())
        .unwrap_or_default();
    FormSummary { sections, to_do }
}

fn to_do_line(e: &AnswerError) -> String {
    format!("{}: {}", e.label, e.message)
}

/// The summary for an application page, or `None` when its round asks
/// only the standard questions.
pub async fn summary_for(
    state: &web::Data<AppState>,
    signed_in: &SignedIn,
    id: ApplicationId,
    editable: bool,
) -> Result<Option<FormSummary>, PortalError> {
    let state = state.clone();
    let principal = signed_in.principal.clone();
    let answered = blocking(move || {
        state.db.read(|c| {
            let record = operations::applications::visible(c, &principal, id)?;
            if operations::forms::of_round(c, record.value.application.round_id)?.is_none() {
                return Ok(None);
            }
            operations::forms::answers(c, &principal, id).map(Some)
        })
    })
    .await?;
    Ok(answered.map(|a| summary(id, &a, editable)))
}

#[derive(Template)]
#[template(path = "answer_section.html")]
struct SectionPage {
    c: Chrome,
    errors: FormErrors,
    id: String,
    round: String,
    title: String,
    action: String,
    fields: Vec<Field>,
}

async fn answered(
    state: &web::Data<AppState>,
    signed_in: &SignedIn,
    id: ApplicationId,
) -> Result<Answered, PortalError> {
    let state = state.clone();
    let principal = signed_in.principal.clone();
    Ok(blocking(move || {
        state
            .db
            .read(|c| operations::forms::answers(c, &principal, id))
    })
    .await?)
}

fn section_page(
    signed_in: &SignedIn,
    a: &Answered,
    id: ApplicationId,
    round: &str,
    section_id: &str,
    posted: &fields::Posted,
    errors: FormErrors,
) -> Result<SectionPage, PortalError> {
    let form = &a.form.form;
    let section = form.section(section_id).ok_or(PortalError::NotFound)?;
    let files: HashMap<String, (String, String)> = a
        .files
        .iter()
        .map(|(q, f)| {
            (
                q.to_string(),
                (f.file_name.clone(), download(&f.attachment_id.to_string())),
            )
        })
        .collect();
    Ok(SectionPage {
        c: Chrome::signed_in(signed_in, "home"),
        errors,
        id: id.to_string(),
        round: round.to_owned(),
        title: section.title.clone(),
        action: format!("/applications/{id}/sections/{section_id}"),
        fields: fields::fields(english(), form, section, posted, &files),
    })
}

/// One section of the form, to answer.
#[get("/applications/{id}/sections/{section}")]
pub async fn section_form(
    state: web::Data<AppState>,
    signed_in: SignedIn,
    path: web::Path<(String, String)>,
) -> PortalResult {
    let (raw_id, section_id) = path.into_inner();
    let (id, record, round) = load(&state, &signed_in, &raw_id, Action::Apply).await?;
    if !record.value.application.status.is_editable() {
        return Ok(see_other(&format!("/applications/{id}")));
    }
    let a = answered(&state, &signed_in, id).await?;
    let posted = fields::posted_from(&a.form.form, &a.answers);
    html(&section_page(
        &signed_in,
        &a,
        id,
        &round.name,
        &section_id,
        &posted,
        FormErrors::default(),
    )?)
}

/// Saves a section's answers; each refused answer is shown on its question.
#[post("/applications/{id}/sections/{section}")]
pub async fn save_section(
    state: web::Data<AppState>,
    posted: Posted<HashMap<String, String>>,
    path: web::Path<(String, String)>,
) -> PortalResult {
    let Posted { signed_in, form } = posted;
    let (raw_id, section_id) = path.into_inner();
    let (id, _, round) = load(&state, &signed_in, &raw_id, Action::Apply).await?;
    let a = answered(&state, &signed_in, id).await?;
    let section = a
        .form
        .form
        .section(&section_id)
        .ok_or(PortalError::NotFound)?;
    let raw = fields::answers_from(section, &form);
    let next = a
        .form
        .form
        .sections()
        .iter()
        .skip_while(|s| s.id.as_str() != section_id)
        .nth(1)
        .map(|s| s.id.to_string());
    let principal = signed_in.principal.clone();
    let saved = {
        let state = state.clone();
        blocking(move || {
            state
                .db
                .write(|c| operations::forms::save(c, &principal, id, &raw))
        })
        .await
    };
    match saved {
        Ok(_) if form.get("then").is_some_and(|t| t == "later") => {
            Ok(see_other(&format!("/applications/{id}?saved=1")))
        }
        Ok(_) => Ok(see_other(&match next {
            Some(next) => format!("/applications/{id}/sections/{next}"),
            None => format!("/applications/{id}/check"),
        })),
        Err(e @ (ApiError::Unprocessable { .. } | ApiError::Conflict { .. })) => {
            let mut errors = FormErrors::from_api(e)?;
            for item in &mut errors.items {
                if let Some(q) = item.field.strip_prefix("answers.") {
                    item.field = format!("a_{q}");
                }
            }
            html_with_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &section_page(&signed_in, &a, id, &round.name, &section_id, &form, errors)?,
            )
        }
        Err(e) => Err(e.into()),
    }
}
