//! Receiving an uploaded document, from the JSON API's raw body or a portal
//! form's file field: the bytes are streamed into an anonymous temporary
//! file as they arrive, hashed (SHA-256) and counted on the way. Reading
//! stops the moment the count passes the limit (413) or the first bytes
//! show a type that is not accepted (422), so an oversized or refused file
//! is never read to its end, and no file is ever held whole in memory.

use std::io::{Read, Seek, SeekFrom, Write};

use actix_web::web::Bytes;
use futures_util::{Stream, StreamExt};
use grantledger_domain::document::{
    DocumentError, DocumentType, FileName, SNIFF_BYTES, Sha256, check_size,
};
use grantledger_store::documents::{CHUNK_BYTES, NewContent};
use sha2::Digest;

use crate::error::ApiError;

/// A file received in full, waiting in a temporary file to be stored. The
/// temporary file is deleted when this is dropped.
#[derive(Debug)]
pub struct Received {
    file: std::fs::File,
    /// Its address.
    pub sha256: Sha256,
    /// Its size in bytes.
    pub size_bytes: u64,
    /// Its type, from its first bytes.
    pub document_type: DocumentType,
    /// The name it came with, for display.
    pub file_name: FileName,
}

fn io_error(e: std::io::Error) -> ApiError {
    ApiError::Internal(format!("a temporary file for an upload failed: {e}"))
}

/// Streams `body` into a temporary file, refusing it (413) as soon as more
/// than `limit` bytes have arrived and (422) as soon as its first bytes are
/// not an accepted type.
///
/// # Errors
/// [`ApiError::Document`] for a refused file; [`ApiError::BadRequest`] if
/// the body cannot be read.
pub async fn receive<S, E>(
    mut body: S,
    limit: u64,
    file_name: FileName,
) -> Result<Received, ApiError>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    let mut file = tempfile::tempfile().map_err(io_error)?;
    let mut hasher = sha2::Sha256::new();
    let mut size: u64 = 0;
    let mut head: Vec<u8> = Vec::new();
    let mut document_type = None;
    while let Some(chunk) = body.next().await {
        let chunk =
            chunk.map_err(|e| ApiError::BadRequest(format!("the upload was cut short: {e}")))?;
        size = size.saturating_add(chunk.len() as u64);
        check_size(size, limit).map_err(ApiError::Document)?;
        if document_type.is_none() {
            let wanted = SNIFF_BYTES.saturating_sub(head.len()).min(chunk.len());
            head.extend_from_slice(chunk.get(..wanted).unwrap_or_default());
            if head.len() >= SNIFF_BYTES {
                document_type = Some(DocumentType::sniff(&head).map_err(ApiError::Document)?);
            }
        }
        hasher.update(&chunk);
        file.write_all(&chunk).map_err(io_error)?;
    }
    let document_type = match document_type {
        Some(t) => t,
        None => DocumentType::sniff(&head).map_err(ApiError::Document)?,
    };
    file.flush().map_err(io_error)?;
    Ok(Received {
        file,
        sha256: Sha256::from_bytes(hasher.finalize().into()),
        size_bytes: size,
        document_type,
        file_name,
    })
}

impl Received {
    /// What the store is told about the content.
    #[must_use]
    pub fn content(&self) -> NewContent {
        NewContent {
            sha256: self.sha256,
            document_type: self.document_type,
            size_bytes: self.size_bytes,
        }
    }

    /// The content again, from the start, in chunks of the store's size:
    /// one chunk in memory at a time.
    pub fn chunks(&mut self) -> impl Iterator<Item = Result<Vec<u8>, ApiError>> + '_ {
        let rewound = self.file.seek(SeekFrom::Start(0)).map_err(io_error);
        let mut failed = rewound.err();
        let file = &mut self.file;
        std::iter::from_fn(move || {
            if let Some(e) = failed.take() {
                return Some(Err(e));
            }
            let mut buffer = vec![0u8; CHUNK_BYTES];
            let mut filled = 0;
            while filled < CHUNK_BYTES {
                match file.read(buffer.get_mut(filled..).unwrap_or_default()) {
                    Ok(0) => break,
                    Ok(n) => filled += n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => return Some(Err(io_error(e))),
                }
            }
            if filled == 0 {
                return None;
            }
            buffer.truncate(filled);
            Some(Ok(buffer))
        })
    }
}

/// Refuses a body whose declared length is already over `limit`, before
/// reading any of it.
///
/// # Errors
/// [`ApiError::Document`] with [`DocumentError::TooLarge`].
pub fn refuse_declared_length(declared: Option<u64>, limit: u64) -> Result<(), ApiError> {
    match declared {
        Some(length) if length > limit => {
            Err(ApiError::Document(DocumentError::TooLarge { limit }))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::stream;

    fn body(parts: Vec<&'static [u8]>) -> impl Stream<Item = Result<Bytes, String>> + Unpin {
        stream::iter(parts.into_iter().map(|p| Ok(Bytes::from_static(p))))
    }

    #[actix_web::test]
    async fn a_file_is_hashed_counted_and_read_back_in_chunks() {
        let mut got = receive(
            body(vec![b"%PDF-1.7\n", b"rest"]),
            100,
            FileName::new("a.pdf"),
        )
        .await
        .unwrap();
        assert_eq!(got.document_type, DocumentType::Pdf);
        assert_eq!(got.size_bytes, 13);
        assert_eq!(got.sha256, Sha256::of(b"%PDF-1.7\nrest"));
        let back: Vec<u8> = got.chunks().flat_map(Result::unwrap).collect();
        assert_eq!(back, b"%PDF-1.7\nrest");
    }

    #[actix_web::test]
    async fn reading_stops_at_the_limit() {
        let error = receive(body(vec![b"%PDF-", b"123456"]), 8, FileName::new("a"))
            .await
            .unwrap_err();
        assert!(matches!(
            error,
            ApiError::Document(DocumentError::TooLarge { limit: 8 })
        ));
    }
}
