//! What the document routes answer with.

use chrono::{DateTime, Utc};
use grantledger_domain::document::{Attachment, DocumentType, FileName, Purpose, Sha256};
use grantledger_domain::ids::{AttachmentId, UserId};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// An attached file's record (not its content: follow `content`).
#[derive(Debug, Serialize, ToSchema)]
pub struct AttachmentView {
    /// The attachment's id.
    pub id: AttachmentId,
    /// `application`, `evaluation_return` or `organisation`.
    pub owner_kind: String,
    /// The application's, return's or grantee's id.
    pub owner_id: uuid::Uuid,
    /// Why it is attached: the question's id, `evidence`, or the
    /// organisation document kind.
    pub purpose: Purpose,
    /// The name it was uploaded with, for display only.
    pub file_name: FileName,
    /// Its type, decided from its content.
    pub document_type: DocumentType,
    /// The type in words ("Word (DOCX)").
    pub type_label: String,
    /// The media type it is downloaded as.
    pub media_type: String,
    /// Its size in bytes.
    pub size_bytes: u64,
    /// SHA-256 of the content.
    pub sha256: Sha256,
    /// Who uploaded it.
    pub uploaded_by: UserId,
    /// When.
    pub uploaded_at: DateTime<Utc>,
    /// When a later upload for the same purpose replaced it; absent while
    /// it is current.
    pub superseded_at: Option<DateTime<Utc>>,
    /// The attachment that replaced it.
    pub superseded_by: Option<AttachmentId>,
    /// Where to download the content.
    pub content: String,
}

impl From<Attachment> for AttachmentView {
    fn from(a: Attachment) -> Self {
        AttachmentView {
            id: a.id,
            owner_kind: a.owner.kind().to_owned(),
            owner_id: a.owner.id(),
            purpose: a.purpose,
            file_name: a.file_name,
            document_type: a.document_type,
            type_label: a.document_type.label().to_owned(),
            media_type: a.document_type.media_type().to_owned(),
            size_bytes: a.size_bytes,
            sha256: a.sha256,
            uploaded_by: a.uploaded_by,
            uploaded_at: a.uploaded_at,
            superseded_at: a.superseded_at,
            superseded_by: a.superseded_by,
            content: format!("/v1/attachments/{}/content", a.id),
        }
    }
}

/// An owner's current files.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttachmentList {
    /// One a purpose: the latest upload for it.
    pub items: Vec<AttachmentView>,
}

impl From<Vec<Attachment>> for AttachmentList {
    fn from(items: Vec<Attachment>) -> Self {
        AttachmentList {
            items: items.into_iter().map(AttachmentView::from).collect(),
        }
    }
}

/// The name of an uploaded file, when not sent in `Content-Disposition`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct NameQuery {
    /// The file's name, for display only (its type is decided from its
    /// content). Falls back to `Content-Disposition`'s `filename`, then to
    /// "document".
    pub name: Option<String>,
}

/// A file for an application's question.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ApplicationUploadQuery {
    /// The question's id: 1–64 lower-case letters, digits, `_` or `-`.
    /// Required.
    pub purpose: Option<String>,
    /// The file's name, for display only.
    pub name: Option<String>,
}

/// An organisation document.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct OrganisationUploadQuery {
    /// `governing_document`, `safeguarding_policy` or `bank_statement`.
    /// Required.
    pub kind: Option<String>,
    /// The file's name, for display only.
    pub name: Option<String>,
}
