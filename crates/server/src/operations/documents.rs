//! Documents (issue 19): attach an uploaded file to an application, an
//! evaluation return or an organisation, list an owner's current files,
//! and open one for download. Who may see a file is who may see its owner
//! (another organisation's: 404); who may attach one, and when:
//!
//! - an application's files, while it is a draft (its applicant, or an
//!   administrator acting for it);
//! - an evaluation return's evidence, while changes are requested of it
//!   (its grantee): a submitted or accepted return is fixed;
//! - an organisation's documents, at any time (its own users, or an
//!   administrator).
//!
//! Nothing is ever deleted: a new upload for the same owner and purpose
//! supersedes the current one, which stays readable by id.

use chrono::Utc;
use grantledger_domain::document::{Attachment, AttachmentOwner, Purpose};
use grantledger_domain::ids::{AttachmentId, FundId};
use grantledger_store::documents::{self, NewAttachment};
use grantledger_store::{AnyConnection, applications, grantees};

use crate::auth::principal::Principal;
use crate::document_upload::Received;
use crate::error::ApiError;
use crate::operations;
use crate::policy::{Action, authorize};

/// Checks that the caller may read `owner`'s files (role, then 404 for
/// another organisation's or an unknown owner) and returns the fund the
/// owner belongs to, for the audit trail.
pub fn readable_owner(
    c: &mut AnyConnection,
    principal: &Principal,
    owner: AttachmentOwner,
) -> Result<Option<FundId>, ApiError> {
    match owner {
        AttachmentOwner::Application(id) => {
            authorize(principal, Action::ReadApplications)?;
            let record = operations::applications::visible(c, principal, id)?;
            Ok(Some(applications::fund_of_round(
                c,
                record.value.application.round_id,
            )?))
        }
        AttachmentOwner::EvaluationReturn(id) => {
            authorize(principal, Action::ReadEvaluationReturns)?;
            Ok(Some(
                operations::evaluation::visible_return(c, principal, id)?
                    .value
                    .fund_id,
            ))
        }
        AttachmentOwner::Organisation(id) => {
            authorize(principal, Action::ReadGrantees)?;
            principal.require_visible(id, "grantee")?;
            grantees::get(c, id)?;
            Ok(None)
        }
    }
}

/// Checks that the caller may attach files to `owner` now: its role, the
/// owner visible to it (404 otherwise), and the owner still open to change
/// (409 otherwise). Returns the owner's fund, for the audit trail. Called
/// before the body is read, and again in the transaction that stores it.
pub fn writable_owner(
    c: &mut AnyConnection,
    principal: &Principal,
    owner: AttachmentOwner,
) -> Result<Option<FundId>, ApiError> {
    match owner {
        AttachmentOwner::Application(id) => {
            authorize(principal, Action::Apply)?;
            let record = operations::applications::visible(c, principal, id)?;
            let status = record.value.application.status;
            if !status.is_editable() {
                return Err(ApiError::conflict(format!(
                    "files can be attached to an application only while it is a draft; this one is {}, so its files can no longer be replaced",
                    status.label().to_lowercase()
                )));
            }
            Ok(Some(applications::fund_of_round(
                c,
                record.value.application.round_id,
            )?))
        }
        AttachmentOwner::EvaluationReturn(id) => {
            authorize(principal, Action::SubmitEvaluationReturns)?;
            let record = operations::evaluation::visible_return(c, principal, id)?;
            if !record.value.status.accepts_evidence() {
                return Err(ApiError::conflict(
                    "this evaluation return is accepted: its evidence can no longer change"
                        .to_owned(),
                ));
            }
            Ok(Some(record.value.fund_id))
        }
        AttachmentOwner::Organisation(id) => {
            authorize(principal, Action::UploadOrganisationDocuments)?;
            principal.require_visible(id, "grantee")?;
            grantees::get(c, id)?;
            Ok(None)
        }
    }
}

/// Stores a received file (its content once, whoever uploaded it before)
/// and attaches it to `owner` for `purpose`, superseding the current file
/// for that purpose, with its audit event — all in the caller's
/// transaction. The rules are [`writable_owner`]'s.
#[tracing::instrument(skip_all, fields(owner = owner.kind(), owner_id = %owner.id(), purpose = %purpose))]
pub fn attach(
    c: &mut AnyConnection,
    principal: &Principal,
    owner: AttachmentOwner,
    purpose: Purpose,
    received: &mut Received,
) -> Result<Attachment, ApiError> {
    let fund = writable_owner(c, principal, owner)?;
    let now = Utc::now();
    let content = received.content();
    documents::write_content(c, &content, now, received.chunks())?;
    let new = NewAttachment {
        owner,
        purpose,
        sha256: content.sha256,
        file_name: received.file_name.clone(),
        uploaded_by: principal.user_id,
    };
    Ok(documents::attach(c, &new, fund, &principal.actor(), now)?)
}

/// The current files of an owner the caller may read.
pub fn list(
    c: &mut AnyConnection,
    principal: &Principal,
    owner: AttachmentOwner,
) -> Result<Vec<Attachment>, ApiError> {
    readable_owner(c, principal, owner)?;
    Ok(documents::current_for_owner(c, owner)?)
}

/// One attachment (current or superseded) whose owner the caller may read.
pub fn get(
    c: &mut AnyConnection,
    principal: &Principal,
    id: AttachmentId,
) -> Result<Attachment, ApiError> {
    let attachment = documents::get(c, id)?;
    readable_owner(c, principal, attachment.owner)?;
    Ok(attachment)
}

/// The current file of `owner` for `purpose` (for an application, the file
/// answering question `purpose`), with its type and size, if the caller
/// may read the owner; `None` if nothing is attached.
pub fn current(
    c: &mut AnyConnection,
    principal: &Principal,
    owner: AttachmentOwner,
    purpose: &Purpose,
) -> Result<Option<Attachment>, ApiError> {
    readable_owner(c, principal, owner)?;
    Ok(documents::current(c, owner, purpose)?)
}

/// Opens an attachment for download: checks the caller may read it and
/// records `document.downloaded` (who, which file) in the audit trail.
/// Run it in its own write transaction before streaming the content.
#[tracing::instrument(skip_all, fields(attachment_id = %id))]
pub fn open_download(
    c: &mut AnyConnection,
    principal: &Principal,
    id: AttachmentId,
) -> Result<Attachment, ApiError> {
    let attachment = documents::get(c, id)?;
    let fund = readable_owner(c, principal, attachment.owner)?;
    documents::record_download(c, &attachment, fund, &principal.actor(), Utc::now())?;
    Ok(attachment)
}
