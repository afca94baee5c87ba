use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::kind::{DateBound, QuestionKind};
use crate::text::{self, TextError};

/// The id of a section, a question or a choice option: a short slug such as
/// `project_start`, stable across versions so answers keep their meaning.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(try_from = "String", into = "String")]
pub struct QuestionId(String);

impl QuestionId {
    /// The longest id.
    pub const MAX_CHARS: usize = 64;

    /// Accepts `a-z`, `0-9` and `_`, starting with a letter, at most 64.
    ///
    /// # Errors
    /// [`FormError::BadId`].
    pub fn parse(s: &str) -> Result<QuestionId, FormError> {
        let ok = s.len() <= Self::MAX_CHARS
            && s.starts_with(|c: char| c.is_ascii_lowercase())
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if ok {
            Ok(QuestionId(s.to_owned()))
        } else {
            Err(FormError::BadId { id: s.to_owned() })
        }
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl core::fmt::Display for QuestionId {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for QuestionId {
    type Error = FormError;
    fn try_from(s: String) -> Result<QuestionId, FormError> {
        QuestionId::parse(&s)
    }
}

impl From<QuestionId> for String {
    fn from(id: QuestionId) -> String {
        id.0
    }
}

/// Why a form definition is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormError {
    /// An id that is not a slug.
    #[error(
        "\"{id}\" is not a usable id: use a-z, 0-9 and _, starting with a letter, at most 64 characters"
    )]
    BadId {
        /// The id given.
        id: String,
    },
    /// The same id twice.
    #[error(
        "the id \"{id}\" is used twice; section ids, and question ids, must each be unique in the form"
    )]
    DuplicateId {
        /// The repeated id.
        id: String,
    },
    /// No sections, a section without questions, or too many of either.
    #[error("{0}")]
    Shape(String),
    /// A label, hint, title or statement that is empty, too long or has control characters.
    #[error("question or section \"{id}\": {source}")]
    Text {
        /// Where.
        id: String,
        /// What is wrong.
        #[source]
        source: TextError,
    },
    /// A limit that cannot be met or makes no sense.
    #[error("question \"{id}\": {message}")]
    Limit {
        /// Which question.
        id: String,
        /// What is wrong.
        message: String,
    },
    /// A condition or date rule pointing at a question that is not earlier in the form, or of the wrong kind.
    #[error("question \"{id}\": {message}")]
    Reference {
        /// Which question.
        id: String,
        /// What is wrong.
        message: String,
    },
}

/// One question of a form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Question {
    /// Stable id; answers are keyed by it.
    pub id: QuestionId,
    /// What is asked.
    pub label: String,
    /// Help shown under the label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// Whether submission needs an answer (when the question is shown).
    #[serde(default = "yes")]
    pub required: bool,
    /// The kind of answer and its rules.
    #[serde(flatten)]
    pub kind: QuestionKind,
    /// Asked only when an earlier answer has a given value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub show_when: Option<super::kind::Condition>,
}

fn yes() -> bool {
    true
}

/// A group of questions shown together, one task in the applicant's list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Section {
    /// Stable id, used in page addresses.
    pub id: QuestionId,
    /// The task's name, e.g. "Your project".
    pub title: String,
    /// The questions, in order.
    pub questions: Vec<Question>,
}

/// The definition as written, before its rules are checked.
#[derive(Deserialize)]
struct FormDefinition {
    sections: Vec<Section>,
}

/// A round's application form: valid by construction (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(try_from = "FormDefinition")]
pub struct Form {
    sections: Vec<Section>,
}

impl TryFrom<FormDefinition> for Form {
    type Error = FormError;
    fn try_from(d: FormDefinition) -> Result<Form, FormError> {
        Form::new(d.sections)
    }
}

impl Form {
    /// The most sections a form may have.
    pub const MAX_SECTIONS: usize = 20;
    /// The most questions in one section.
    pub const MAX_QUESTIONS: usize = 40;
    /// The longest label, hint or statement.
    pub const MAX_TEXT_CHARS: usize = 2_000;

    /// Checks a definition's rules and builds the form.
    ///
    /// # Errors
    /// The first [`FormError`] found.
    pub fn new(sections: Vec<Section>) -> Result<Form, FormError> {
        if sections.is_empty() || sections.len() > Self::MAX_SECTIONS {
            return Err(FormError::Shape(format!(
                "a form has 1 to {} sections; this one has {}",
                Self::MAX_SECTIONS,
                sections.len()
            )));
        }
        let mut section_ids = BTreeSet::new();
        let mut ids = BTreeSet::new();
        let mut earlier: Vec<&Question> = Vec::new();
        let mut budgets = 0;
        for section in &sections {
            unique(&mut section_ids, &section.id)?;
            checked_text(&section.id, "section title", &section.title)?;
            if section.questions.is_empty() || section.questions.len() > Self::MAX_QUESTIONS {
                return Err(FormError::Shape(format!(
                    "section \"{}\" has {} questions; a section has 1 to {}",
                    section.id,
                    section.questions.len(),
                    Self::MAX_QUESTIONS
                )));
            }
            for q in &section.questions {
                unique(&mut ids, &q.id)?;
                checked_text(&q.id, "label", &q.label)?;
                if let Some(hint) = &q.hint {
                    checked_text(&q.id, "hint", hint)?;
                }
                q.kind.check(&q.id)?;
                if matches!(q.kind, QuestionKind::Budget { .. }) {
                    budgets += 1;
                }
                if let Some(cond) = &q.show_when {
                    let target = earlier.iter().find(|e| e.id == cond.question).ok_or_else(|| {
                        FormError::Reference {
                            id: q.id.to_string(),
                            message: format!(
                                "it is shown when \"{}\" is answered, but there is no such question before it",
                                cond.question
                            ),
                        }
                    })?;
                    if !target.kind.has_value(&cond.equals) {
                        return Err(FormError::Reference {
                            id: q.id.to_string(),
                            message: format!(
                                "\"{}\" can never be answered \"{}\" (conditions use yes/no or choice questions and one of their options)",
                                cond.question, cond.equals
                            ),
                        });
                    }
                }
                if let QuestionKind::Date {
                    not_before,
                    not_after,
                } = &q.kind
                {
                    for bound in [not_before, not_after].into_iter().flatten() {
                        if let DateBound::Answer { question, .. } = bound {
                            let ok = earlier.iter().any(|e| {
                                e.id == *question && matches!(e.kind, QuestionKind::Date { .. })
                            });
                            if !ok {
                                return Err(FormError::Reference {
                                    id: q.id.to_string(),
                                    message: format!(
                                        "its date rule refers to \"{question}\", which is not a date question before it"
                                    ),
                                });
                            }
                        }
                    }
                }
                earlier.push(q);
            }
        }
        if budgets > 1 {
            return Err(FormError::Shape(
                "a form has at most one budget table, whose total is the amount requested".into(),
            ));
        }
        Ok(Form { sections })
    }

    /// The sections, in order.
    pub fn sections(&self) -> &[Section] {
        &self.sections
    }

    /// Every question, in order.
    pub fn questions(&self) -> impl Iterator<Item = &Question> {
        self.sections.iter().flat_map(|s| s.questions.iter())
    }

    /// The question with this id.
    pub fn question(&self, id: &str) -> Option<&Question> {
        self.questions().find(|q| q.id.as_str() == id)
    }

    /// The section with this id.
    pub fn section(&self, id: &str) -> Option<&Section> {
        self.sections.iter().find(|s| s.id.as_str() == id)
    }
}

fn unique(ids: &mut BTreeSet<String>, id: &QuestionId) -> Result<(), FormError> {
    if ids.insert(id.to_string()) {
        Ok(())
    } else {
        Err(FormError::DuplicateId { id: id.to_string() })
    }
}

pub(super) fn checked_text(id: &QuestionId, field: &'static str, s: &str) -> Result<(), FormError> {
    text::multi_line(field, s, Form::MAX_TEXT_CHARS)
        .map(|_| ())
        .map_err(|source| FormError::Text {
            id: id.to_string(),
            source,
        })
}
