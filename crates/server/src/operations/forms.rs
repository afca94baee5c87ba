//! Round application forms and the answers to them (issue 19). The rules
//! are the domain's (`grantledger_domain::form`): a form is valid by
//! construction and changes only before its round opens; a draft saves
//! partial answers, each checked against its question; a submission needs
//! a complete, valid set (checked in `applications::submit`).

use std::collections::BTreeMap;

use chrono::{DateTime, SubsecRound, Utc};
use grantledger_domain::document::AttachmentOwner;
use grantledger_domain::form::{
    AnswerErrors, Answers, AttachedFile, Form, QuestionId, QuestionKind, SubmissionContext,
    check_form_change,
};
use grantledger_domain::ids::{ApplicationId, RoundId};
use grantledger_store::common::Actor;
use grantledger_store::forms::{self, RoundForm, SavedAnswers};
use grantledger_store::{AnyConnection, applications, documents, rounds};
use serde_json::{Map, Value};

use crate::auth::principal::Principal;
use crate::error::{ApiError, FieldError};

fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// A 422 naming every answer that needs attention, each by its question.
pub fn answer_errors(e: AnswerErrors) -> ApiError {
    ApiError::Unprocessable {
        detail: e.to_string(),
        errors: e
            .0
            .into_iter()
            .map(|a| {
                let message = if a.label.is_empty() {
                    a.message
                } else {
                    format!("{}: {}", a.label, a.message)
                };
                FieldError::new(format!("answers.{}", a.question), message)
            })
            .collect(),
    }
}

/// The round's form, or 404 when the round asks only the standard questions.
pub fn get(c: &mut AnyConnection, round: RoundId) -> Result<RoundForm, ApiError> {
    rounds::get(c, round)?;
    forms::current(c, round)?.ok_or(ApiError::not_found("round form"))
}

/// The round's form if it has one.
pub fn of_round(c: &mut AnyConnection, round: RoundId) -> Result<Option<RoundForm>, ApiError> {
    Ok(forms::current(c, round)?)
}

/// Every saved version of the round's form, oldest first.
pub fn history(c: &mut AnyConnection, round: RoundId) -> Result<Vec<RoundForm>, ApiError> {
    rounds::get(c, round)?;
    Ok(forms::history(c, round)?)
}

/// Saves a new version of the round's form. `read` is the version the
/// administrator last read (`None`: they saw no form); anything else is
/// "someone else changed this". Refused once the round has opened.
pub fn set(
    c: &mut AnyConnection,
    actor: &Actor,
    round_id: RoundId,
    read: Option<u32>,
    form: &Form,
) -> Result<RoundForm, ApiError> {
    let round = rounds::get(c, round_id)?.value;
    let now = now();
    check_form_change(&round, now).map_err(ApiError::conflict_from)?;
    let before = forms::current(c, round_id)?;
    if before.as_ref().map(|f| f.version) != read {
        return Err(ApiError::conflict(format!(
            "someone else changed this form: you read version {}, the latest is version {}; reload it and make your change again",
            read.map_or_else(|| "none".to_owned(), |v| v.to_string()),
            before
                .as_ref()
                .map_or_else(|| "none".to_owned(), |f| f.version.to_string()),
        )));
    }
    Ok(forms::save(
        c,
        before.as_ref(),
        round_id,
        round.fund_id,
        form,
        actor,
        now,
    )?)
}

/// An application's form with its answers, uploads and how far each section has got.
#[derive(Debug)]
pub struct Answered {
    /// The round's form.
    pub form: RoundForm,
    /// The answers saved so far (empty if none).
    pub answers: Answers,
    /// When they were last saved.
    pub saved_at: Option<DateTime<Utc>>,
    /// Current uploads, by file question.
    pub files: BTreeMap<QuestionId, AttachedFile>,
    /// The amount requested, which a budget must add up to.
    pub context: SubmissionContext,
}

/// Loads the answers of an application the caller may see (another
/// organisation's: 404); 404 when its round has no form.
pub fn answers(
    c: &mut AnyConnection,
    principal: &Principal,
    id: ApplicationId,
) -> Result<Answered, ApiError> {
    let record = super::applications::visible(c, principal, id)?;
    let application = &record.value.application;
    let form = forms::current(c, application.round_id)?.ok_or(ApiError::not_found("round form"))?;
    let saved = forms::answers(c, id, &form.form)?;
    let files = files(c, id, &form.form)?;
    let mut context = SubmissionContext::new(application.amount_requested, now().date_naive());
    context.files = files.clone();
    let (answers, saved_at) = match saved {
        Some(SavedAnswers {
            answers, saved_at, ..
        }) => (answers, Some(saved_at)),
        None => (Answers::default(), None),
    };
    Ok(Answered {
        form,
        answers,
        saved_at,
        files,
        context,
    })
}

/// Saves answers to a draft: each given answer is checked against its
/// question and laid over those saved before (`null` or `""` clears one).
/// Nothing is saved unless every given answer is good.
pub fn save(
    c: &mut AnyConnection,
    principal: &Principal,
    id: ApplicationId,
    raw: &Map<String, Value>,
) -> Result<Answered, ApiError> {
    let record = super::applications::visible(c, principal, id)?;
    let application = &record.value.application;
    if !application.status.is_editable() {
        return Err(ApiError::conflict(format!(
            "only a draft's answers can change; this application is {}",
            application.status
        )));
    }
    let form = forms::current(c, application.round_id)?.ok_or(ApiError::not_found("round form"))?;
    let now = now();
    let (changes, cleared) = form
        .form
        .parse_changes(raw, now.date_naive())
        .map_err(answer_errors)?;
    let before = forms::answers(c, id, &form.form)?.map(|s| s.answers);
    let fund = applications::fund_of_round(c, application.round_id)?;
    let after = before.clone().unwrap_or_default().merged(changes, &cleared);
    forms::save_answers(
        c,
        before.as_ref(),
        id,
        fund,
        form.version,
        &after,
        &principal.actor(),
        now,
    )?;
    answers(c, principal, id)
}

/// Checks a draft's answers before submission, when its round has a form.
pub fn check_submission(
    c: &mut AnyConnection,
    stored: &applications::Stored,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let application = &stored.application;
    let Some(form) = forms::current(c, application.round_id)? else {
        return Ok(());
    };
    let answers = forms::answers(c, application.id, &form.form)?
        .map(|s| s.answers)
        .unwrap_or_default();
    let mut context = SubmissionContext::new(application.amount_requested, now.date_naive());
    context.files = files(c, application.id, &form.form)?;
    form.form
        .check_submission(&answers, &context)
        .map_err(answer_errors)
}

/// The application's current uploads for the form's file questions.
fn files(
    c: &mut AnyConnection,
    id: ApplicationId,
    form: &Form,
) -> Result<BTreeMap<QuestionId, AttachedFile>, ApiError> {
    let attached = documents::current_for_owner(c, AttachmentOwner::Application(id))?;
    Ok(form
        .questions()
        .filter(|q| matches!(q.kind, QuestionKind::File { .. }))
        .filter_map(|q| {
            attached
                .iter()
                .find(|a| a.purpose.as_str() == q.id.as_str())
                .map(|a| {
                    (
                        q.id.clone(),
                        AttachedFile {
                            attachment_id: a.id,
                            document_type: a.document_type,
                            size_bytes: a.size_bytes,
                            file_name: a.file_name.as_str().to_owned(),
                        },
                    )
                })
        })
        .collect())
}
