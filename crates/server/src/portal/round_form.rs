//! A round's application form in the portal (issue 19): everyone who can
//! see the round can read its questions before applying; an administrator
//! writes the form (as the JSON the API takes, starting from a demo
//! template if they like) until the round opens. The same operation as
//! `PUT /v1/rounds/{id}/form`, with the same version check.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{get, post, web};
use askama::Template;
use chrono::Utc;
use grantledger_domain::form::{DateBound, Form, Question, QuestionKind, check_form_change};
use grantledger_domain::ids::RoundId;
use grantledger_store::forms::RoundForm;
use serde::Deserialize;

use crate::demo::{MICROGRANT_FORM, SMALL_GRANTS_FORM};
use crate::error::ApiError;
use crate::http::blocking;
use crate::operations;
use crate::policy::Action;
use crate::portal::format::{instant, pounds};
use crate::portal::forms::FormErrors;
use crate::portal::messages::{Messages, english};
use crate::portal::page::{Chrome, PortalError, PortalResult, html, html_with_status, see_other};
use crate::portal::session::{Posted, SignedIn};
use crate::state::AppState;

/// A question as the preview lists it.
#[derive(Debug)]
pub struct QuestionLine {
    /// The question.
    pub label: String,
    /// Its kind and rules, in words.
    pub rules: String,
}

/// A section as the preview lists it.
#[derive(Debug)]
pub struct SectionLines {
    /// Its title.
    pub title: String,
    /// Its questions.
    pub questions: Vec<QuestionLine>,
}

#[derive(Template)]
#[template(path = "round_form.html")]
struct RoundFormPage {
    c: Chrome,
    errors: FormErrors,
    id: String,
    round: String,
    /// "Version 2, saved …", or "" without a form.
    saved: String,
    sections: Vec<SectionLines>,
    /// The editor, for an administrator before the round opens.
    editor: Option<Editor>,
    /// Why the form can no longer change, for an administrator.
    locked: String,
}

/// The form editor's contents.
#[derive(Debug)]
pub struct Editor {
    /// The definition as JSON.
    pub definition: String,
    /// The version it was read at ("" for none).
    pub version: String,
}

fn round_of(raw: &str) -> Result<RoundId, PortalError> {
    raw.parse::<uuid::Uuid>()
        .map(RoundId::from_uuid)
        .map_err(|_| PortalError::NotFound)
}

fn rules(m: &Messages, form: &Form, q: &Question) -> String {
    let mut parts = vec![m.t(&format!("question-kind-{}", q.kind.code()))];
    match &q.kind {
        QuestionKind::ShortText { max_length } => {
            parts.push(m.with("question-max-length", &[("n", &max_length.to_string())]));
        }
        QuestionKind::LongText { word_limit } => {
            parts.push(m.with("answer-word-limit", &[("limit", &word_limit.to_string())]));
        }
        QuestionKind::WholeNumber { min, max } => parts.extend(
            [
                min.map(|v| ("question-min", v.to_string())),
                max.map(|v| ("question-max", v.to_string())),
            ]
            .into_iter()
            .flatten()
            .map(|(k, v)| m.with(k, &[("n", &v)])),
        ),
        QuestionKind::Money { min, max } => parts.extend(
            [
                min.map(|v| ("question-min", pounds(v))),
                max.map(|v| ("question-max", pounds(v))),
            ]
            .into_iter()
            .flatten()
            .map(|(k, v)| m.with(k, &[("n", &v)])),
        ),
        QuestionKind::Date {
            not_before,
            not_after,
        } => parts.extend(
            [
                ("question-not-before", not_before),
                ("question-not-after", not_after),
            ]
            .into_iter()
            .filter_map(|(k, b)| {
                b.as_ref()
                    .map(|b| m.with(k, &[("when", &bound(m, form, b))]))
            }),
        ),
        QuestionKind::SingleChoice { options, .. } | QuestionKind::MultipleChoice { options } => {
            parts.push(
                options
                    .iter()
                    .map(|o| o.label.as_str())
                    .collect::<Vec<_>>()
                    .join(" / "),
            );
        }
        QuestionKind::File { accept, max_bytes } => parts.push(
            m.with(
                "question-file",
                &[
                    (
                        "types",
                        &accept
                            .iter()
                            .map(|t| t.label())
                            .collect::<Vec<_>>()
                            .join(", "),
                    ),
                    ("mb", &megabytes(*max_bytes)),
                ],
            ),
        ),
        QuestionKind::Budget { max_lines } => {
            parts.push(m.with("question-budget", &[("n", &max_lines.to_string())]));
        }
        QuestionKind::Declaration { statement } => parts.push(statement.clone()),
        QuestionKind::YesNo | QuestionKind::Address => {}
    }
    if !q.required {
        parts.push(m.t("question-optional"));
    }
    if let Some(c) = &q.show_when {
        let target = form
            .question(c.question.as_str())
            .map_or_else(|| c.question.to_string(), |t| t.label.clone());
        parts.push(m.with(
            "question-shown-when",
            &[("question", &target), ("answer", &c.equals)],
        ));
    }
    parts.join("; ")
}

/// Bytes as megabytes to one decimal place, rounded down.
fn megabytes(bytes: u64) -> String {
    let tenths = bytes.saturating_mul(10) / 1_048_576;
    format!("{}.{}", tenths / 10, tenths % 10)
}

fn bound(m: &Messages, form: &Form, b: &DateBound) -> String {
    match b {
        DateBound::Today { days } => m.with("question-today", &[("days", &days.to_string())]),
        DateBound::Answer { question, days } => m.with(
            "question-answer-date",
            &[
                (
                    "question",
                    &form
                        .question(question.as_str())
                        .map_or_else(|| question.to_string(), |q| q.label.clone()),
                ),
                ("days", &days.to_string()),
            ],
        ),
        DateBound::Date { date } => crate::portal::format::date(*date),
    }
}

fn preview(m: &Messages, form: &Form) -> Vec<SectionLines> {
    form.sections()
        .iter()
        .map(|s| SectionLines {
            title: s.title.clone(),
            questions: s
                .questions
                .iter()
                .map(|q| QuestionLine {
                    label: q.label.clone(),
                    rules: rules(m, form, q),
                })
                .collect(),
        })
        .collect()
}

/// What the page may offer: a template to start from.
#[derive(Debug, Deserialize)]
pub struct FormQuery {
    template: Option<String>,
}

async fn page(
    state: &web::Data<AppState>,
    signed_in: &SignedIn,
    id: RoundId,
    typed: Option<(String, String)>,
    errors: FormErrors,
) -> Result<RoundFormPage, PortalError> {
    let state = state.clone();
    let (round, current): (_, Option<RoundForm>) = blocking(move || {
        state.db.read(|c| {
            let round = operations::rounds::get(c, id)?.record.value;
            Ok((round, operations::forms::of_round(c, id)?))
        })
    })
    .await?;
    let m = english();
    let manages = signed_in.can(Action::ManageFunds);
    let open = check_form_change(&round, Utc::now());
    let editor = (manages && open.is_ok()).then(|| {
        let (definition, version) = typed.unwrap_or_else(|| {
            (
                current
                    .as_ref()
                    .and_then(|f| serde_json::to_string_pretty(&f.form).ok())
                    .unwrap_or_default(),
                current
                    .as_ref()
                    .map(|f| f.version.to_string())
                    .unwrap_or_default(),
            )
        });
        Editor {
            definition,
            version,
        }
    });
    Ok(RoundFormPage {
        c: Chrome::signed_in(signed_in, "home"),
        errors,
        id: id.to_string(),
        round: round.name.clone(),
        saved: current.as_ref().map_or_else(String::new, |f| {
            m.with(
                "round-form-version",
                &[
                    ("version", &f.version.to_string()),
                    ("at", &instant(f.saved_at)),
                ],
            )
        }),
        sections: current
            .as_ref()
            .map(|f| preview(m, &f.form))
            .unwrap_or_default(),
        editor,
        locked: match open {
            Err(e) if manages => e.to_string(),
            _ => String::new(),
        },
    })
}

/// The round's questions, and for an administrator the form to change them.
#[get("/rounds/{id}/form")]
pub async fn show_form(
    state: web::Data<AppState>,
    signed_in: SignedIn,
    path: web::Path<String>,
    query: web::Query<FormQuery>,
) -> PortalResult {
    let id = round_of(&path)?;
    signed_in.may(Action::ReadFunds)?;
    let template = match query.template.as_deref() {
        Some("microgrant") => Some(MICROGRANT_FORM),
        Some("small_grants") => Some(SMALL_GRANTS_FORM),
        _ => None,
    };
    let typed = template.map(|t| (t.to_owned(), String::new()));
    let mut p = page(&state, &signed_in, id, typed, FormErrors::default()).await?;
    // A template replaces the text only; the version read stays the one on file.
    if let (Some(editor), true) = (&mut p.editor, template.is_some()) {
        editor.version = blocking({
            let state = state.clone();
            move || state.db.read(|c| operations::forms::of_round(c, id))
        })
        .await?
        .map(|f| f.version.to_string())
        .unwrap_or_default();
    }
    html(&p)
}

/// Saves a new version of the form over the version it was read at.
#[post("/rounds/{id}/form")]
pub async fn save_form(
    state: web::Data<AppState>,
    posted: Posted<HashMap<String, String>>,
    path: web::Path<String>,
) -> PortalResult {
    let Posted { signed_in, form } = posted;
    let id = round_of(&path)?;
    signed_in.may(Action::ManageFunds)?;
    let definition = form.get("definition").cloned().unwrap_or_default();
    let version = form.get("version").cloned().unwrap_or_default();
    let read = if version.is_empty() {
        None
    } else {
        Some(version.parse::<u32>().map_err(|_| PortalError::BadForm)?)
    };
    let refuse = |errors: FormErrors| async {
        let p = page(
            &state,
            &signed_in,
            id,
            Some((definition.clone(), version.clone())),
            errors,
        )
        .await?;
        html_with_status(StatusCode::UNPROCESSABLE_ENTITY, &p)
    };
    let parsed: Form = match serde_json::from_str(&definition) {
        Ok(f) => f,
        Err(e) => return refuse(FormErrors::one("definition", e.to_string())).await,
    };
    let actor = signed_in.principal.actor();
    let saved = {
        let state = state.clone();
        blocking(move || {
            state
                .db
                .write(|c| operations::forms::set(c, &actor, id, read, &parsed))
        })
        .await
    };
    match saved {
        Ok(_) => Ok(see_other(&format!("/rounds/{id}/form"))),
        Err(e @ (ApiError::Conflict { .. } | ApiError::Unprocessable { .. })) => {
            refuse(FormErrors::from_api(e)?).await
        }
        Err(e) => Err(e.into()),
    }
}
