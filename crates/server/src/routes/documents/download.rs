//! Sending a stored document: one chunk read from the database at a time,
//! each in its own short read on the blocking pool, so a download holds at
//! most one chunk in memory and no connection for longer than a query.

use actix_web::HttpResponse;
use actix_web::http::header;
use actix_web::web::{self, Bytes};
use futures_util::stream;
use grantledger_domain::document::Attachment;
use grantledger_store::documents;

use crate::error::ApiError;
use crate::http::blocking;
use crate::state::AppState;

/// The download of an attachment whose access was already checked and
/// recorded: `Content-Type` from its sniffed type, `Content-Disposition:
/// attachment` with its display name, `nosniff` and `no-store`.
#[must_use]
pub fn response(state: web::Data<AppState>, attachment: &Attachment) -> HttpResponse {
    let sha256 = attachment.sha256;
    let size = attachment.size_bytes;
    // (next chunk, bytes sent so far)
    let chunks = stream::unfold((0i32, 0u64), move |(seq, sent)| {
        let state = state.clone();
        async move {
            if sent >= size {
                return None;
            }
            let read = blocking(move || {
                state
                    .db
                    .read(|c| Ok::<_, ApiError>(documents::chunk(c, &sha256, seq)?))
            })
            .await;
            let next = match read {
                Ok(Some(bytes)) => {
                    let sent = sent.saturating_add(bytes.len() as u64);
                    Ok((Bytes::from(bytes), sent))
                }
                Ok(None) => Err(ApiError::Internal(format!(
                    "document {sha256} ends at chunk {seq}, before its {size} bytes"
                ))),
                Err(e) => Err(e),
            };
            Some(match next {
                Ok((bytes, sent)) => (Ok(bytes), (seq.saturating_add(1), sent)),
                // One error ends the stream: the client sees a short body.
                Err(e) => (Err(e), (seq, u64::MAX)),
            })
        }
    });
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, attachment.document_type.media_type()))
        .insert_header((
            header::CONTENT_DISPOSITION,
            attachment.file_name.content_disposition(),
        ))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .no_chunking(size)
        .streaming(chunks)
}
