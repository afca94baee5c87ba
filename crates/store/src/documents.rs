//! Documents (issue 19): content addressed by SHA-256 and kept in the
//! database in chunks of at most [`CHUNK_BYTES`], and attachments naming an
//! owner, a purpose and a content. Content is written once however often it
//! is uploaded; an attachment is never deleted, only marked superseded by a
//! later one for the same owner and purpose (triggers on both backends
//! refuse anything else). The rules on who may attach what, and when, are
//! the server's operations'; this module only stores and reads.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use grantledger_domain::document::{
    Attachment, AttachmentOwner, DocumentType, FileName, Purpose, Sha256,
};
use grantledger_domain::ids::{AttachmentId, FundId, UserId};
use serde_json::json;

use crate::audit;
use crate::common::{Actor, db_id};
use crate::connection::AnyConnection;
use crate::error::StoreError;
use crate::schema::{attachments, document_chunks, document_contents};
use crate::sql_types::{DbTime, DbUuid};

/// The most bytes one stored chunk holds: 256 KiB.
pub const CHUNK_BYTES: usize = 256 * 1024;

/// A content about to be stored: its address, sniffed type and size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewContent {
    /// SHA-256 of the bytes.
    pub sha256: Sha256,
    /// The type sniffed from the first bytes.
    pub document_type: DocumentType,
    /// The number of bytes.
    pub size_bytes: u64,
}

/// Whether content with this digest is stored already.
pub fn content_exists(conn: &mut AnyConnection, sha256: &Sha256) -> Result<bool, StoreError> {
    let found: Option<String> = document_contents::table
        .find(sha256.to_hex())
        .select(document_contents::sha256)
        .first(conn)
        .optional()?;
    Ok(found.is_some())
}

/// Stores `content` from `chunks`, each at most [`CHUNK_BYTES`], in order,
/// inside the caller's transaction — unless content with the same digest
/// is stored already, when `chunks` is not read at all and `false` is
/// returned. Only one chunk is held at a time.
///
/// # Errors
/// The first error `chunks` yields; [`StoreError::Conflict`] when a chunk
/// is empty or too large or the chunks' total differs from the size given.
pub fn write_content<E, I>(
    conn: &mut AnyConnection,
    content: &NewContent,
    now: DateTime<Utc>,
    chunks: I,
) -> Result<bool, E>
where
    E: From<StoreError>,
    I: IntoIterator<Item = Result<Vec<u8>, E>>,
{
    if content_exists(conn, &content.sha256)? {
        return Ok(false);
    }
    let hex = content.sha256.to_hex();
    let size = i64::try_from(content.size_bytes)
        .map_err(|_| StoreError::Conflict("the document is too large to store".into()))?;
    diesel::insert_into(document_contents::table)
        .values((
            document_contents::sha256.eq(&hex),
            document_contents::document_type.eq(content.document_type.code()),
            document_contents::size_bytes.eq(size),
            document_contents::created_at.eq(DbTime::new(now)),
        ))
        .execute(conn)
        .map_err(StoreError::from)?;
    let mut total: u64 = 0;
    for (seq, chunk) in chunks.into_iter().enumerate() {
        let chunk = chunk?;
        if chunk.is_empty() || chunk.len() > CHUNK_BYTES {
            return Err(StoreError::Conflict(format!(
                "a document chunk must hold 1 to {CHUNK_BYTES} bytes, not {}",
                chunk.len()
            ))
            .into());
        }
        total = total.saturating_add(chunk.len() as u64);
        let seq = i32::try_from(seq)
            .map_err(|_| StoreError::Conflict("the document has too many chunks".into()))?;
        diesel::insert_into(document_chunks::table)
            .values((
                document_chunks::sha256.eq(&hex),
                document_chunks::seq.eq(seq),
                document_chunks::bytes.eq(&chunk),
            ))
            .execute(conn)
            .map_err(StoreError::from)?;
    }
    if total != content.size_bytes {
        return Err(StoreError::Conflict(format!(
            "the document's chunks hold {total} bytes, not the {} expected",
            content.size_bytes
        ))
        .into());
    }
    Ok(true)
}

/// How many chunks the content with this digest is stored in.
pub fn chunk_count(conn: &mut AnyConnection, sha256: &Sha256) -> Result<i64, StoreError> {
    Ok(document_chunks::table
        .filter(document_chunks::sha256.eq(sha256.to_hex()))
        .count()
        .get_result(conn)?)
}

/// Chunk `seq` (from 0) of the content with this digest; `None` past the
/// last. One query a chunk, so a download holds one chunk at a time.
pub fn chunk(
    conn: &mut AnyConnection,
    sha256: &Sha256,
    seq: i32,
) -> Result<Option<Vec<u8>>, StoreError> {
    Ok(document_chunks::table
        .find((sha256.to_hex(), seq))
        .select(document_chunks::bytes)
        .first(conn)
        .optional()?)
}

/// An attachment about to be made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAttachment {
    /// What it belongs to.
    pub owner: AttachmentOwner,
    /// Why: the question id, `evidence`, or the organisation document kind.
    pub purpose: Purpose,
    /// The stored content it names (see [`write_content`]).
    pub sha256: Sha256,
    /// The name it was uploaded with.
    pub file_name: FileName,
    /// Who uploaded it.
    pub uploaded_by: UserId,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = attachments)]
struct Row {
    id: DbUuid,
    owner_kind: String,
    owner_id: DbUuid,
    purpose: String,
    sha256: String,
    file_name: String,
    uploaded_by: DbUuid,
    uploaded_at: DbTime,
    superseded_at: Option<DbTime>,
    superseded_by: Option<DbUuid>,
}

fn to_attachment(
    (row, (document_type, size)): (Row, (String, i64)),
) -> Result<Attachment, StoreError> {
    Ok(Attachment {
        id: AttachmentId::from_uuid(row.id.0),
        owner: AttachmentOwner::from_parts(&row.owner_kind, row.owner_id.0)
            .ok_or_else(|| StoreError::corrupt("attachment owner kind", &row.owner_kind))?,
        purpose: Purpose::parse(&row.purpose)
            .map_err(|e| StoreError::corrupt("attachment purpose", e))?,
        sha256: Sha256::parse(&row.sha256)
            .map_err(|e| StoreError::corrupt("document digest", e))?,
        document_type: DocumentType::from_code(&document_type)
            .ok_or_else(|| StoreError::corrupt("document type", &document_type))?,
        size_bytes: u64::try_from(size).map_err(|e| StoreError::corrupt("document size", e))?,
        file_name: FileName::new(&row.file_name),
        uploaded_by: UserId::from_uuid(row.uploaded_by.0),
        uploaded_at: row.uploaded_at.0,
        superseded_at: row.superseded_at.map(|t| t.0),
        superseded_by: row.superseded_by.map(|id| AttachmentId::from_uuid(id.0)),
    })
}

/// The attachments of `owner` with their content's type and size, in the
/// filter's order: the query every read shares.
macro_rules! with_content {
    () => {
        attachments::table
            .inner_join(document_contents::table)
            .select((
                Row::as_select(),
                (
                    document_contents::document_type,
                    document_contents::size_bytes,
                ),
            ))
    };
}

/// One attachment, current or superseded.
///
/// # Errors
/// [`StoreError::NotFound`] for an unknown id.
pub fn get(conn: &mut AnyConnection, id: AttachmentId) -> Result<Attachment, StoreError> {
    let row = with_content!()
        .filter(attachments::id.eq(db_id(id)))
        .first::<(Row, (String, i64))>(conn)
        .optional()?
        .ok_or(StoreError::NotFound {
            entity: "attachment",
        })?;
    to_attachment(row)
}

/// The current (not superseded) attachments of `owner`, by purpose, then
/// oldest first.
pub fn current_for_owner(
    conn: &mut AnyConnection,
    owner: AttachmentOwner,
) -> Result<Vec<Attachment>, StoreError> {
    let rows: Vec<(Row, (String, i64))> = with_content!()
        .filter(attachments::owner_kind.eq(owner.kind()))
        .filter(attachments::owner_id.eq(db_id(owner.id())))
        .filter(attachments::superseded_at.is_null())
        .order((attachments::purpose.asc(), attachments::uploaded_at.asc()))
        .load(conn)?;
    rows.into_iter().map(to_attachment).collect()
}

/// The current attachment of `owner` for `purpose` — for an application,
/// the file answering question `purpose` — with its type and size; `None`
/// if nothing is attached.
pub fn current(
    conn: &mut AnyConnection,
    owner: AttachmentOwner,
    purpose: &Purpose,
) -> Result<Option<Attachment>, StoreError> {
    with_content!()
        .filter(attachments::owner_kind.eq(owner.kind()))
        .filter(attachments::owner_id.eq(db_id(owner.id())))
        .filter(attachments::purpose.eq(purpose.as_str()))
        .filter(attachments::superseded_at.is_null())
        .first::<(Row, (String, i64))>(conn)
        .optional()?
        .map(to_attachment)
        .transpose()
}

/// Every attachment of `owner`, superseded ones included, oldest first.
pub fn history(
    conn: &mut AnyConnection,
    owner: AttachmentOwner,
) -> Result<Vec<Attachment>, StoreError> {
    let rows: Vec<(Row, (String, i64))> = with_content!()
        .filter(attachments::owner_kind.eq(owner.kind()))
        .filter(attachments::owner_id.eq(db_id(owner.id())))
        .order((attachments::uploaded_at.asc(), attachments::id.asc()))
        .load(conn)?;
    rows.into_iter().map(to_attachment).collect()
}

/// Marks `old` superseded by `by` at `now`. Refused by the database if
/// `old` is superseded already.
pub fn supersede(
    conn: &mut AnyConnection,
    old: AttachmentId,
    by: AttachmentId,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let changed = diesel::update(attachments::table.find(db_id(old)))
        .filter(attachments::superseded_at.is_null())
        .set((
            attachments::superseded_at.eq(Some(DbTime::new(now))),
            attachments::superseded_by.eq(Some(db_id(by))),
        ))
        .execute(conn)?;
    if changed == 1 {
        Ok(())
    } else {
        Err(StoreError::Conflict(
            "that file was replaced by another upload meanwhile; reload and try again".into(),
        ))
    }
}

/// Inserts an attachment row with id `id`; its content must be stored.
pub fn insert_attachment(
    conn: &mut AnyConnection,
    id: AttachmentId,
    new: &NewAttachment,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    diesel::insert_into(attachments::table)
        .values((
            attachments::id.eq(db_id(id)),
            attachments::owner_kind.eq(new.owner.kind()),
            attachments::owner_id.eq(db_id(new.owner.id())),
            attachments::purpose.eq(new.purpose.as_str()),
            attachments::sha256.eq(new.sha256.to_hex()),
            attachments::file_name.eq(new.file_name.as_str()),
            attachments::uploaded_by.eq(db_id(new.uploaded_by)),
            attachments::uploaded_at.eq(DbTime::new(now)),
        ))
        .execute(conn)?;
    Ok(())
}

/// Attaches stored content: supersedes the current attachment of the same
/// owner and purpose, if any, inserts the new one and appends its
/// `document.attached` audit event (the superseded attachment as `before`),
/// all in the caller's transaction.
pub fn attach(
    conn: &mut AnyConnection,
    new: &NewAttachment,
    fund_id: Option<FundId>,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Attachment, StoreError> {
    let id = AttachmentId::new();
    let previous = current(conn, new.owner, &new.purpose)?;
    if let Some(old) = &previous {
        supersede(conn, old.id, id, now)?;
    }
    insert_attachment(conn, id, new, now)?;
    let attached = get(conn, id)?;
    audit::record_change(
        conn,
        actor,
        "document.attached",
        "attachment",
        id,
        fund_id,
        previous.as_ref(),
        Some(&attached),
        now,
    )?;
    Ok(attached)
}

/// Appends the `document.downloaded` audit event: who (the actor) read
/// which attachment, of which owner and content.
pub fn record_download(
    conn: &mut AnyConnection,
    attachment: &Attachment,
    fund_id: Option<FundId>,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let summary = json!({
        "attachment_id": attachment.id,
        "owner": attachment.owner,
        "purpose": attachment.purpose,
        "file_name": attachment.file_name,
        "sha256": attachment.sha256,
    });
    audit::record_change(
        conn,
        actor,
        "document.downloaded",
        "attachment",
        attachment.id,
        fund_id,
        None,
        Some(&summary),
        now,
    )?;
    Ok(())
}
