//! Reviewing an evaluation return in the staff portal (issue 17): accept
//! it, or send it back with a message saying what to change. The same
//! operation as `POST /v1/evaluation-returns/{id}/review`, naming the
//! version read so a newer one is never reviewed unseen.

use std::collections::HashMap;

use actix_web::{post, web};
use grantledger_domain::evaluation::ReviewDecision;

use super::{award_id, load, page};
use crate::error::ApiError;
use crate::http::blocking;
use crate::operations;
use crate::operations::evaluation::ReviewInput;
use crate::policy::Action;
use crate::portal::forms::FormErrors;
use crate::portal::messages::english;
use crate::portal::page::{PortalResult, html_with_status, see_other};
use crate::portal::session::Posted;
use crate::state::AppState;

/// Records the review.
#[post("/awards/{id}/return/review")]
pub async fn review_return(
    state: web::Data<AppState>,
    posted: Posted<HashMap<String, String>>,
    path: web::Path<String>,
) -> PortalResult {
    let Posted { signed_in, form } = posted;
    signed_in.may(Action::ReviewEvaluationReturns)?;
    let id = award_id(&path)?;
    let field = |k: &str| form.get(k).map(String::as_str).unwrap_or_default();
    let decision = field("decision").parse::<ReviewDecision>().ok();
    let version = field("version").parse::<u32>().ok();
    let input = match decision {
        None => Err(FormErrors::one(
            "decision",
            english().t("return-review-choose"),
        )),
        Some(d) => {
            let comment = Some(field("comment")).filter(|c| !c.trim().is_empty());
            ReviewInput::new(d, comment, version)
                .map_err(|e| FormErrors::from_api(e).unwrap_or_default())
        }
    };
    let result = match input {
        Err(errors) => Err(errors),
        Ok(input) => {
            let principal = signed_in.principal.clone();
            let state = state.clone();
            match blocking(move || {
                state.db.write(|c| {
                    let detail = operations::evaluation::for_award(c, &principal, id)?
                        .ok_or(ApiError::not_found("evaluation return"))?;
                    operations::evaluation::review(
                        c,
                        &state.notices,
                        &principal,
                        detail.record.value.id,
                        &input,
                    )
                })
            })
            .await
            {
                Ok(_) => Ok(()),
                Err(e @ (ApiError::Unprocessable { .. } | ApiError::Conflict { .. })) => {
                    Err(FormErrors::from_api(e)?)
                }
                Err(e) => return Err(e.into()),
            }
        }
    };
    match result {
        Ok(()) => Ok(see_other(&format!("/awards/{id}/return?done=reviewed"))),
        Err(errors) => {
            let loaded = load(&state, &signed_in, id).await?;
            html_with_status(
                actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
                &page(&signed_in, id, loaded, None, errors, String::new()),
            )
        }
    }
}
