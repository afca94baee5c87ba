//! Deciding a file's type from its first bytes. The name a file was given
//! plays no part: an HTML page named `report.pdf` is HTML, and refused.

use super::{DocumentError, DocumentType};

/// How many bytes from the start of a file [`DocumentType::sniff`] is
/// given: enough for an Office document's first entries, small enough to
/// hold in memory for every upload.
pub const SNIFF_BYTES: usize = 64 * 1024;

const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";
const ZIP_LOCAL_HEADER: &[u8] = b"PK\x03\x04";
/// The fixed part of a zip local file header, before the entry's name.
const ZIP_HEADER_LEN: usize = 30;

impl DocumentType {
    /// Decides the type of a file from `head`, its first bytes (up to
    /// [`SNIFF_BYTES`]; fewer if the file is shorter).
    ///
    /// - PDF: starts `%PDF-`.
    /// - PNG: starts with the 8-byte PNG signature.
    /// - JPEG: starts `FF D8 FF`.
    /// - Word / Excel: a zip (`PK\x03\x04`) with an entry under `word/`
    ///   resp. `xl/` among the local file headers in `head`; any other zip
    ///   is refused.
    /// - CSV: UTF-8 text without NUL or other control characters (tab, CR
    ///   and LF aside) that is not markup: refused if, after whitespace and
    ///   a byte-order mark, it starts with `<`, or if it contains `<script`,
    ///   `<html`, `<!doctype`, `<svg` or `<iframe` in any case.
    ///
    /// # Errors
    /// [`DocumentError::Empty`] for no bytes; [`DocumentError::NotAllowed`],
    /// saying what the file looks like, for anything else.
    ///
    /// ```
    /// use grantledger_domain::document::DocumentType;
    /// assert_eq!(DocumentType::sniff(b"%PDF-1.7\n...").unwrap(), DocumentType::Pdf);
    /// assert_eq!(DocumentType::sniff(b"name,amount\nTea,5\n").unwrap(), DocumentType::Csv);
    /// assert!(DocumentType::sniff(b"<!DOCTYPE html><p>hi").is_err());
    /// assert!(DocumentType::sniff(b"MZ\x90\x00").is_err());
    /// ```
    pub fn sniff(head: &[u8]) -> Result<DocumentType, DocumentError> {
        if head.is_empty() {
            return Err(DocumentError::Empty);
        }
        if head.starts_with(b"%PDF-") {
            return Ok(DocumentType::Pdf);
        }
        if head.starts_with(PNG_SIGNATURE) {
            return Ok(DocumentType::Png);
        }
        if head.starts_with(b"\xFF\xD8\xFF") {
            return Ok(DocumentType::Jpeg);
        }
        if head.starts_with(ZIP_LOCAL_HEADER) {
            return office(head);
        }
        if head.starts_with(b"MZ") {
            // A program's header is binary straight after its "MZ"; a
            // spreadsheet whose first cell happens to begin "MZ" is text.
            return csv(head).map_err(|_| refused("a Windows program"));
        }
        if head.starts_with(b"\x7FELF") {
            return Err(refused("a Linux program"));
        }
        csv(head)
    }
}

fn refused(found: &str) -> DocumentError {
    DocumentError::NotAllowed {
        found: found.to_owned(),
    }
}

/// The names of the entries whose local headers lie in `head`. Entries are
/// found by their signature rather than by skipping each entry's data, so
/// entries whose sizes follow their data (bit 3 of the flags) are found too.
fn zip_entry_names(head: &[u8]) -> impl Iterator<Item = &[u8]> {
    (0..head.len()).filter_map(move |at| {
        let header = head.get(at..at.checked_add(ZIP_HEADER_LEN)?)?;
        if !header.starts_with(ZIP_LOCAL_HEADER) {
            return None;
        }
        let len = usize::from(u16::from_le_bytes([*header.get(26)?, *header.get(27)?]));
        let start = at.checked_add(ZIP_HEADER_LEN)?;
        head.get(start..start.checked_add(len)?)
    })
}

fn office(head: &[u8]) -> Result<DocumentType, DocumentError> {
    for name in zip_entry_names(head) {
        if name.starts_with(b"word/") {
            return Ok(DocumentType::Docx);
        }
        if name.starts_with(b"xl/") {
            return Ok(DocumentType::Xlsx);
        }
    }
    Err(refused(
        "a ZIP archive that is neither a Word document nor an Excel workbook",
    ))
}

/// Markers that make text a web page or script rather than data.
const MARKUP: [&str; 5] = ["<script", "<html", "<!doctype", "<svg", "<iframe"];

fn csv(head: &[u8]) -> Result<DocumentType, DocumentError> {
    let text = match std::str::from_utf8(head) {
        Ok(text) => text,
        // A multi-byte character cut by the end of the head is not an error
        // in the file: keep what came before it.
        Err(e) if e.error_len().is_none() => head
            .get(..e.valid_up_to())
            .and_then(|valid| std::str::from_utf8(valid).ok())
            .unwrap_or_default(),
        Err(_) => return Err(refused("binary data, or text that is not UTF-8")),
    };
    if text
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\t' | '\r' | '\n'))
    {
        return Err(refused("binary data"));
    }
    let start = text.trim_start_matches(|c: char| c.is_whitespace() || c == '\u{FEFF}');
    let lower = text.to_lowercase();
    if start.starts_with('<') || MARKUP.iter().any(|m| lower.contains(m)) {
        return Err(refused("a web page or other markup"));
    }
    Ok(DocumentType::Csv)
}
