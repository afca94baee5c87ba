//! Documents people upload: application answers to file questions,
//! evidence in evaluation returns and organisation documents.
//!
//! A document's type is decided from its content, never from its name
//! ([`DocumentType::sniff`]); the name is kept for display only
//! ([`FileName`]). Content is addressed by its SHA-256 ([`Sha256`]) and
//! attached to an owner — an application, an evaluation return or an
//! organisation — for a purpose ([`Purpose`]). An attachment is never
//! changed or removed: a new upload for the same owner and purpose
//! supersedes it. See docs/DOCUMENTS.md.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{ApplicationId, AttachmentId, EvaluationReturnId, GranteeId, UserId};

mod name;
mod sniff;

pub use name::{DigestError, FileName, Sha256};
pub use sniff::SNIFF_BYTES;

/// The kinds of file grantledger accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum DocumentType {
    /// A PDF document.
    Pdf,
    /// A PNG image.
    Png,
    /// A JPEG image.
    Jpeg,
    /// A Word document (Office Open XML).
    Docx,
    /// An Excel workbook (Office Open XML).
    Xlsx,
    /// Comma-separated values, as UTF-8 text.
    Csv,
}

impl DocumentType {
    /// Every accepted type, in the order they are listed to users.
    pub const ALL: [DocumentType; 6] = [
        DocumentType::Pdf,
        DocumentType::Png,
        DocumentType::Jpeg,
        DocumentType::Docx,
        DocumentType::Xlsx,
        DocumentType::Csv,
    ];

    /// The media type a download is served with.
    pub fn media_type(self) -> &'static str {
        match self {
            DocumentType::Pdf => "application/pdf",
            DocumentType::Png => "image/png",
            DocumentType::Jpeg => "image/jpeg",
            DocumentType::Docx => {
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            }
            DocumentType::Xlsx => {
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
            DocumentType::Csv => "text/csv",
        }
    }

    /// The name users know the type by.
    pub fn label(self) -> &'static str {
        match self {
            DocumentType::Pdf => "PDF",
            DocumentType::Png => "PNG",
            DocumentType::Jpeg => "JPEG",
            DocumentType::Docx => "Word (DOCX)",
            DocumentType::Xlsx => "Excel (XLSX)",
            DocumentType::Csv => "CSV",
        }
    }

    /// The lower-case code used in the API and the database.
    pub fn code(self) -> &'static str {
        match self {
            DocumentType::Pdf => "pdf",
            DocumentType::Png => "png",
            DocumentType::Jpeg => "jpeg",
            DocumentType::Docx => "docx",
            DocumentType::Xlsx => "xlsx",
            DocumentType::Csv => "csv",
        }
    }

    /// Reads a code written by [`DocumentType::code`].
    pub fn from_code(code: &str) -> Option<DocumentType> {
        DocumentType::ALL.into_iter().find(|t| t.code() == code)
    }
}

/// The largest file accepted unless a question sets a smaller limit: 12 MB.
pub const DEFAULT_MAX_BYTES: u64 = 12 * 1024 * 1024;

/// The sentence every refusal of a type ends with.
pub const ACCEPTED_TYPES: &str =
    "accepted types are PDF, PNG, JPEG, Word (DOCX), Excel (XLSX) and CSV";

/// Why an upload is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocumentError {
    /// Larger than the limit.
    #[error("the file is larger than the limit of {} MB", .limit / (1024 * 1024))]
    TooLarge {
        /// The limit, in bytes.
        limit: u64,
    },
    /// No bytes at all.
    #[error("the file is empty; {ACCEPTED_TYPES}")]
    Empty,
    /// Not one of the accepted types, whatever its name says.
    #[error("this file is not an accepted type (it looks like {found}); {ACCEPTED_TYPES}")]
    NotAllowed {
        /// What the content looks like, in words ("a web page or other markup").
        found: String,
    },
}

/// Refuses a file of `size` bytes when over `limit`.
///
/// # Errors
/// [`DocumentError::TooLarge`] when `size > limit`.
pub fn check_size(size: u64, limit: u64) -> Result<(), DocumentError> {
    if size > limit {
        Err(DocumentError::TooLarge { limit })
    } else {
        Ok(())
    }
}

/// A size for people: `512 bytes`, `34 KB`, `1.2 MB`.
#[must_use]
pub fn format_size(bytes: u64) -> String {
    const KB: u64 = 1024;
    const MB: u64 = 1024 * 1024;
    if bytes < KB {
        format!("{bytes} bytes")
    } else if bytes < MB {
        format!("{} KB", bytes.div_ceil(KB))
    } else {
        let tenths = (bytes.saturating_mul(10)).div_ceil(MB);
        format!("{}.{} MB", tenths / 10, tenths % 10)
    }
}

string_enum! {
    /// The documents an organisation keeps on file with the fund.
    pub enum OrganisationDocumentKind("organisation document kind") {
        /// Constitution, articles or trust deed.
        GoverningDocument = "governing_document", "Governing document";
        /// The organisation's safeguarding policy.
        SafeguardingPolicy = "safeguarding_policy", "Safeguarding policy";
        /// A recent bank statement, to check bank details against.
        BankStatement = "bank_statement", "Bank statement";
    }
}

/// What an attachment belongs to. Whoever may see the owner may see the
/// attachment; nobody else.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum AttachmentOwner {
    /// An answer to a file question of an application.
    Application(ApplicationId),
    /// Evidence in an evaluation return.
    EvaluationReturn(EvaluationReturnId),
    /// An organisation's document on file.
    Organisation(GranteeId),
}

impl AttachmentOwner {
    /// The owner's kind as stored: `application`, `evaluation_return` or
    /// `organisation`.
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self {
            AttachmentOwner::Application(_) => "application",
            AttachmentOwner::EvaluationReturn(_) => "evaluation_return",
            AttachmentOwner::Organisation(_) => "organisation",
        }
    }

    /// The owner's id.
    #[must_use]
    pub fn id(&self) -> uuid::Uuid {
        match self {
            AttachmentOwner::Application(id) => id.as_uuid(),
            AttachmentOwner::EvaluationReturn(id) => id.as_uuid(),
            AttachmentOwner::Organisation(id) => id.as_uuid(),
        }
    }

    /// Reads an owner written as [`AttachmentOwner::kind`] and
    /// [`AttachmentOwner::id`]; `None` for an unknown kind.
    #[must_use]
    pub fn from_parts(kind: &str, id: uuid::Uuid) -> Option<AttachmentOwner> {
        match kind {
            "application" => Some(AttachmentOwner::Application(ApplicationId::from_uuid(id))),
            "evaluation_return" => Some(AttachmentOwner::EvaluationReturn(
                EvaluationReturnId::from_uuid(id),
            )),
            "organisation" => Some(AttachmentOwner::Organisation(GranteeId::from_uuid(id))),
            _ => None,
        }
    }
}

/// Why an attachment is attached: for an application the question's id,
/// for a return `evidence`, for an organisation the document kind's code.
/// 1–64 characters of lower-case ASCII letters, digits, `_` and `-`.
///
/// ```
/// use grantledger_domain::document::Purpose;
/// assert_eq!(Purpose::parse("budget_upload")?.as_str(), "budget_upload");
/// assert!(Purpose::parse("Budget upload").is_err());
/// assert!(Purpose::parse("").is_err());
/// # Ok::<(), grantledger_domain::document::PurposeError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(try_from = "String", into = "String")]
pub struct Purpose(String);

impl Purpose {
    /// The most characters a purpose may have.
    pub const MAX_CHARS: usize = 64;

    /// Parses a purpose.
    ///
    /// # Errors
    /// [`PurposeError`] unless `s` has the form described on the type.
    pub fn parse(s: &str) -> Result<Purpose, PurposeError> {
        let ok = (1..=Self::MAX_CHARS).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
        if ok {
            Ok(Purpose(s.to_owned()))
        } else {
            Err(PurposeError {
                got: s.chars().take(80).collect(),
            })
        }
    }

    /// The purpose of evidence in an evaluation return.
    #[must_use]
    pub fn evidence() -> Purpose {
        Purpose("evidence".to_owned())
    }

    /// The purpose of an organisation document of `kind`.
    #[must_use]
    pub fn organisation(kind: OrganisationDocumentKind) -> Purpose {
        Purpose(kind.as_str().to_owned())
    }

    /// The purpose as stored.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Purpose {
    type Error = PurposeError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Purpose::parse(&s)
    }
}

impl From<Purpose> for String {
    fn from(p: Purpose) -> String {
        p.0
    }
}

impl core::fmt::Display for Purpose {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Text that is not a [`Purpose`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a purpose (a question id) is 1–64 lower-case letters, digits, '_' or '-'; got \"{got}\"")]
pub struct PurposeError {
    /// The text given (at most 80 characters of it).
    pub got: String,
}

/// A file attached to an owner, as recorded. Never changed except to be
/// marked superseded by a later upload for the same owner and purpose.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Attachment {
    /// Its id.
    pub id: AttachmentId,
    /// What it belongs to.
    pub owner: AttachmentOwner,
    /// Why (the question id, `evidence`, or the document kind).
    pub purpose: Purpose,
    /// The content's address.
    pub sha256: Sha256,
    /// The content's type, as sniffed.
    pub document_type: DocumentType,
    /// The content's size in bytes.
    pub size_bytes: u64,
    /// The name it was uploaded with, for display.
    pub file_name: FileName,
    /// Who uploaded it.
    pub uploaded_by: UserId,
    /// When.
    pub uploaded_at: DateTime<Utc>,
    /// When a later upload replaced it; `None` while current.
    pub superseded_at: Option<DateTime<Utc>>,
    /// The attachment that replaced it.
    pub superseded_by: Option<AttachmentId>,
}

impl Attachment {
    /// Whether it is the current file for its owner and purpose.
    #[must_use]
    pub fn is_current(&self) -> bool {
        self.superseded_at.is_none()
    }
}

#[cfg(test)]
mod sniff_tests;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for t in DocumentType::ALL {
            assert_eq!(DocumentType::from_code(t.code()), Some(t));
            assert_eq!(
                serde_json::to_string(&t).unwrap(),
                format!("\"{}\"", t.code())
            );
        }
        assert_eq!(DocumentType::from_code("exe"), None);
    }
}
