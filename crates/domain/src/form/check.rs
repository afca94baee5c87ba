use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;

use super::answer::{Answer, Answers, check_date, fixed_bound};
use super::definition::{Form, Question, QuestionId, Section};
use super::kind::{DateBound, QuestionKind};
use crate::document::DocumentType;
use crate::ids::AttachmentId;
use crate::money::Money;

/// One problem with one answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AnswerError {
    /// The question's id.
    pub question: String,
    /// The question's label, so the message can be shown beside it.
    pub label: String,
    /// What is wrong, in words for the applicant.
    pub message: String,
}

impl AnswerError {
    pub(super) fn new(q: &Question, message: impl Into<String>) -> AnswerError {
        AnswerError {
            question: q.id.to_string(),
            label: q.label.clone(),
            message: message.into(),
        }
    }
}

/// Every problem found with a set of answers, in form order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{} answer(s) need attention: {}", .0.len(), summary(.0))]
pub struct AnswerErrors(pub Vec<AnswerError>);

fn summary(errors: &[AnswerError]) -> String {
    errors
        .iter()
        .map(|e| format!("{}: {}", e.question, e.message))
        .collect::<Vec<_>>()
        .join("; ")
}

/// A file uploaded in answer to a file question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachedFile {
    /// The upload.
    pub attachment_id: AttachmentId,
    /// Its type, decided from its content.
    pub document_type: DocumentType,
    /// Its size in bytes.
    pub size_bytes: u64,
    /// Its name, for display.
    pub file_name: String,
}

/// What a submission is checked against besides the answers.
#[derive(Debug, Clone)]
pub struct SubmissionContext {
    /// The application's amount requested: a budget must add up to it.
    pub amount_requested: Money,
    /// Today, for date limits relative to it.
    pub today: NaiveDate,
    /// Current uploads, by file question.
    pub files: BTreeMap<QuestionId, AttachedFile>,
}

impl SubmissionContext {
    /// A context with no uploads.
    pub fn new(amount_requested: Money, today: NaiveDate) -> SubmissionContext {
        SubmissionContext {
            amount_requested,
            today,
            files: BTreeMap::new(),
        }
    }
}

/// How far an applicant has got with a section, for the task list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SectionStatus {
    /// Nothing answered yet.
    NotStarted,
    /// Some answers, or some that need attention.
    InProgress,
    /// Every question shown is answered and passes its checks.
    Completed,
}

impl SectionStatus {
    /// Words for the task list.
    pub fn label(self) -> &'static str {
        match self {
            SectionStatus::NotStarted => "Not started",
            SectionStatus::InProgress => "In progress",
            SectionStatus::Completed => "Completed",
        }
    }
}

impl Form {
    /// Which questions are shown, given the answers: a question with a
    /// condition is shown when the question it depends on is shown and
    /// has the answer it looks for.
    pub fn shown(&self, answers: &Answers) -> Vec<&Question> {
        let mut shown: Vec<&Question> = Vec::new();
        for q in self.questions() {
            let visible = match &q.show_when {
                None => true,
                Some(c) => {
                    shown.iter().any(|s| s.id == c.question)
                        && answers
                            .get(&c.question)
                            .is_some_and(|a| a.matches(&c.equals))
                }
            };
            if visible {
                shown.push(q);
            }
        }
        shown
    }

    /// Checks a complete set of answers before submission: every question
    /// shown that is required is answered, uploads are of an accepted type
    /// and size, dates keep their limits, and the budget adds up to the
    /// amount requested. Answers to questions not shown are ignored.
    ///
    /// # Errors
    /// Every problem, in form order.
    pub fn check_submission(
        &self,
        answers: &Answers,
        context: &SubmissionContext,
    ) -> Result<(), AnswerErrors> {
        let errors: Vec<AnswerError> = self
            .shown(answers)
            .into_iter()
            .filter_map(|q| check_question(q, answers, context).err())
            .collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(AnswerErrors(errors))
        }
    }

    /// The status of one section of the task list.
    pub fn section_status(
        &self,
        section: &Section,
        answers: &Answers,
        context: &SubmissionContext,
    ) -> SectionStatus {
        let shown = self.shown(answers);
        let in_section: Vec<&&Question> = shown
            .iter()
            .filter(|q| section.questions.iter().any(|s| s.id == q.id))
            .collect();
        let answered = in_section
            .iter()
            .any(|q| answers.get(&q.id).is_some() || context.files.contains_key(&q.id));
        if !answered {
            return SectionStatus::NotStarted;
        }
        if in_section
            .iter()
            .all(|q| check_question(q, answers, context).is_ok())
        {
            SectionStatus::Completed
        } else {
            SectionStatus::InProgress
        }
    }
}

fn check_question(
    q: &Question,
    answers: &Answers,
    context: &SubmissionContext,
) -> Result<(), AnswerError> {
    if let QuestionKind::File {
        accept, max_bytes, ..
    } = &q.kind
    {
        return match context.files.get(&q.id) {
            None if q.required => Err(AnswerError::new(q, "upload a file")),
            None => Ok(()),
            Some(f) if !accept.contains(&f.document_type) => Err(AnswerError::new(
                q,
                format!(
                    "{} is a {} file; this question accepts {}",
                    f.file_name,
                    f.document_type.label(),
                    accept
                        .iter()
                        .map(|t| t.label())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )),
            Some(f) if f.size_bytes > *max_bytes => Err(AnswerError::new(
                q,
                format!(
                    "{} is {} bytes; the largest file this question accepts is {max_bytes} bytes",
                    f.file_name, f.size_bytes
                ),
            )),
            Some(_) => Ok(()),
        };
    }
    let Some(answer) = answers.get(&q.id) else {
        return if q.required {
            Err(AnswerError::new(q, missing(&q.kind)))
        } else {
            Ok(())
        };
    };
    match (&q.kind, answer) {
        (QuestionKind::Budget { .. }, Answer::Budget(lines)) => {
            let total = Money::sum(lines.iter().map(|l| l.amount))
                .map_err(|e| AnswerError::new(q, e.to_string()))?;
            if total != context.amount_requested {
                return Err(AnswerError::new(
                    q,
                    format!(
                        "the budget adds up to £{total} but the application asks for £{}; they must be the same",
                        context.amount_requested
                    ),
                ));
            }
        }
        (
            QuestionKind::Date {
                not_before,
                not_after,
            },
            Answer::Date(d),
        ) => {
            check_date(*d, not_before.as_ref(), not_after.as_ref(), |b| {
                bound(b, answers, context.today)
            })
            .map_err(|m| AnswerError::new(q, m))?;
        }
        _ => {}
    }
    Ok(())
}

fn bound(b: &DateBound, answers: &Answers, today: NaiveDate) -> Option<NaiveDate> {
    match b {
        DateBound::Answer { question, days } => match answers.get(question) {
            Some(Answer::Date(d)) => d.checked_add_signed(chrono::Duration::days(i64::from(*days))),
            _ => None,
        },
        other => fixed_bound(other, today),
    }
}

fn missing(kind: &QuestionKind) -> &'static str {
    match kind {
        QuestionKind::YesNo | QuestionKind::SingleChoice { .. } => "select an answer",
        QuestionKind::MultipleChoice { .. } => "select at least one option",
        QuestionKind::Budget { .. } => "add at least one budget line",
        QuestionKind::Declaration { .. } => "confirm the declaration to go on",
        QuestionKind::Date { .. } => "enter a date",
        QuestionKind::Address => "enter an address",
        _ => "answer this question",
    }
}
