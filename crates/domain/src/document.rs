//! Documents people upload: application answers to file questions,
//! evidence in evaluation returns and organisation documents.
//!
//! A document's type is decided from its content, never from its name.

use serde::{Deserialize, Serialize};

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
