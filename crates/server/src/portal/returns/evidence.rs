//! Evidence on an evaluation return (issue 19): a grantee attaches a file
//! (an attendance register, a photograph taken with consent) from the
//! return's page while the fund asks for changes; everyone who reads the
//! return sees the files listed there. The rules are the API's
//! ([`operations::documents`]).

use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, post, web};
use grantledger_domain::document::{AttachmentOwner, Purpose};

use super::{award_id, load, page};
use crate::policy::Action;
use crate::portal::documents::attach_form_file;
use crate::portal::messages::english;
use crate::portal::page::{PortalError, PortalResult, html_with_status, see_other};
use crate::portal::session::{SignedIn, check_same_site};
use crate::state::AppState;

/// The file input's name and id.
pub const FIELD: &str = "evidence";

/// Attaches one file to the award's return. The form's token comes before
/// the file and is checked before the file is read; the file is streamed
/// as the API's is. A return not open to changes, a file of a type not
/// accepted or too large: the page again, with why.
#[post("/awards/{id}/return/evidence")]
pub async fn attach(
    state: web::Data<AppState>,
    req: HttpRequest,
    signed_in: SignedIn,
    path: web::Path<String>,
    mut payload: Multipart,
) -> PortalResult {
    check_same_site(&req)?;
    signed_in.may(Action::SubmitEvaluationReturns)?;
    let id = award_id(&path)?;
    let m = english();
    let loaded = load(&state, &signed_in, id).await?;
    let Some(owner) = loaded
        .detail
        .as_ref()
        .map(|d| AttachmentOwner::EvaluationReturn(d.record.value.id))
    else {
        return Err(PortalError::Refused {
            status: StatusCode::CONFLICT,
            reason: m.t("return-evidence-no-return"),
        });
    };
    let (status, errors) = match attach_form_file(
        &state,
        &signed_in,
        &mut payload,
        FIELD,
        owner,
        Purpose::evidence(),
    )
    .await?
    {
        Ok(()) => {
            return Ok(see_other(&format!(
                "/awards/{id}/return?done=evidence#evidence"
            )));
        }
        Err(refused) => refused,
    };
    html_with_status(
        status,
        &page(&signed_in, id, loaded, None, errors, String::new()),
    )
}
