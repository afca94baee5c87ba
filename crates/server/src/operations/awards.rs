//! Awards: seeing them, accepting or declining an offer, completing,
//! cancelling and varying them.

use chrono::Utc;
use grantledger_domain::Money;
use grantledger_domain::award::{AwardError, CancellationReason, RangeOverride, VariationError};
use grantledger_domain::ids::AwardId;
use grantledger_domain::ledger::Transfer;
use grantledger_domain::user::Role;
use grantledger_store::common::{Actor, Page, PageRequest, Record};
use grantledger_store::{AnyConnection, awards, disbursements, rounds};

use crate::auth::principal::Principal;
use crate::error::ApiError;
use crate::operations::notices::{self, Notices};

/// A change to an award's amount.
#[derive(Debug, Clone)]
pub struct Variation {
    /// The new amount.
    pub amount: Money,
    /// Why.
    pub reason: String,
    /// An administrator's decision to go outside the round's grant range.
    pub range_override: Option<RangeOverride>,
}

/// A cancellation reason, checked (422 on `reason` otherwise).
pub fn cancellation_reason(text: &str) -> Result<CancellationReason, ApiError> {
    CancellationReason::parse(text).map_err(|e| ApiError::invalid("reason", e.to_string()))
}

/// A range override's reason, checked (422 on `range_override.reason`
/// otherwise).
pub fn range_override(reason: &str) -> Result<RangeOverride, ApiError> {
    RangeOverride::parse(reason)
        .map_err(|e| ApiError::invalid("range_override.reason", e.to_string()))
}

/// Loads an award the caller may see (another organisation's: 404).
#[tracing::instrument(skip_all, fields(award_id = %id))]
pub fn visible(
    conn: &mut AnyConnection,
    principal: &Principal,
    id: AwardId,
) -> Result<Record<awards::Stored>, ApiError> {
    let record = awards::get(conn, id)?;
    principal.require_visible(record.value.award.grantee_id, "award")?;
    Ok(record)
}

/// The award made for an application, if the caller may see it.
#[tracing::instrument(skip_all, fields(application_id = %application))]
pub fn for_application(
    conn: &mut AnyConnection,
    principal: &Principal,
    application: grantledger_domain::ids::ApplicationId,
) -> Result<Option<Record<awards::Stored>>, ApiError> {
    let found = awards::for_application(conn, application)?;
    if let Some(r) = &found {
        principal.require_visible(r.value.award.grantee_id, "award")?;
    }
    Ok(found)
}

/// A page of awards: a grantee sees only its own, whatever the filter says.
#[tracing::instrument(skip_all)]
pub fn list(
    conn: &mut AnyConnection,
    principal: &Principal,
    filter: awards::AwardFilter,
    page: PageRequest,
) -> Result<Page<Record<awards::Stored>>, ApiError> {
    let grantee_id = match principal.role {
        Role::Grantee => principal.grantee_id,
        _ => filter.grantee_id,
    };
    let filter = awards::AwardFilter {
        grantee_id,
        ..filter
    };
    Ok(awards::list(conn, &filter, page)?)
}

fn award_error(e: AwardError) -> ApiError {
    ApiError::conflict_from(e)
}

fn variation_error(e: VariationError) -> ApiError {
    match e {
        VariationError::Reason(_) => ApiError::invalid("reason", e.to_string()),
        VariationError::Zero
        | VariationError::Unchanged { .. }
        | VariationError::OutsideRange { .. } => ApiError::invalid("amount", e.to_string()),
        VariationError::OverrideNotNeeded { .. } => {
            ApiError::invalid("range_override", e.to_string())
        }
        _ => ApiError::conflict_from(e),
    }
}

/// Loads an award the caller may see, changes it with `f` and saves it with
/// the audit `action`.
fn change_award(
    conn: &mut AnyConnection,
    principal: &Principal,
    id: AwardId,
    action: &str,
    f: impl FnOnce(&Record<awards::Stored>) -> Result<(awards::Stored, Option<Transfer>), ApiError>,
) -> Result<Record<awards::Stored>, ApiError> {
    let actor = principal.actor();
    let before = visible(conn, principal, id)?;
    let (after, transfer) = f(&before)?;
    Ok(awards::save(
        conn,
        &before,
        &after,
        transfer.as_ref(),
        action,
        &actor,
        Utc::now(),
    )?)
}

/// Accepts an offer (the grantee, or an administrator on its behalf), and
/// tells the organisation so.
#[tracing::instrument(skip_all, fields(award_id = %id))]
pub fn accept(
    conn: &mut AnyConnection,
    notices: &Notices,
    principal: &Principal,
    id: AwardId,
) -> Result<Record<awards::Stored>, ApiError> {
    let accepted = change_award(conn, principal, id, "award.accepted", |before| {
        let accepted = before.value.award.accept().map_err(award_error)?;
        Ok((
            awards::Stored {
                award: accepted,
                ..before.value.clone()
            },
            None,
        ))
    })?;
    notices::award_accepted(conn, notices, &accepted.value.award, Utc::now())?;
    Ok(accepted)
}

/// Declines an offer: its whole amount returns to the round.
#[tracing::instrument(skip_all, fields(award_id = %id))]
pub fn decline(
    conn: &mut AnyConnection,
    principal: &Principal,
    id: AwardId,
) -> Result<Record<awards::Stored>, ApiError> {
    change_award(conn, principal, id, "award.declined", |before| {
        let a = &before.value.award;
        let (declined, released) = a.decline().map_err(award_error)?;
        let transfer = Transfer::award_released(a.round_id, a.id, released).ok();
        Ok((
            awards::Stored {
                award: declined,
                ..before.value.clone()
            },
            transfer,
        ))
    })
}

/// Marks a fully paid award complete.
#[tracing::instrument(skip_all, fields(award_id = %id))]
pub fn complete(
    conn: &mut AnyConnection,
    principal: &Principal,
    id: AwardId,
) -> Result<Record<awards::Stored>, ApiError> {
    change_award(conn, principal, id, "award.completed", |before| {
        let completed = before.value.award.complete().map_err(award_error)?;
        Ok((
            awards::Stored {
                award: completed,
                ..before.value.clone()
            },
            None,
        ))
    })
}

/// Cancels an award: tranches not yet paid fail (leaving any draft payment
/// run) with the reason as their note, then the unpaid amount returns to the
/// round and the reason is kept on the award.
#[tracing::instrument(skip_all, fields(award_id = %id))]
pub fn cancel(
    conn: &mut AnyConnection,
    principal: &Principal,
    id: AwardId,
    reason: &CancellationReason,
) -> Result<Record<awards::Stored>, ApiError> {
    let actor = principal.actor();
    let first = visible(conn, principal, id)?;
    first
        .value
        .award
        .status
        .cancel()
        .map_err(ApiError::conflict_from)?;
    let now = Utc::now();
    // Unpaid tranches fail first, so what is left to release is exact.
    disbursements::fail_unpaid(conn, id, &reason.tranche_note(), &actor, now)?;
    let before = awards::get(conn, id)?;
    let a = &before.value.award;
    let (cancelled, released) = a.cancel().map_err(award_error)?;
    let transfer = Transfer::award_released(a.round_id, a.id, released).ok();
    let after = awards::Stored {
        award: cancelled,
        cancellation_reason: Some(reason.as_str().to_owned()),
        ..before.value.clone()
    };
    Ok(awards::save(
        conn,
        &before,
        &after,
        transfer.as_ref(),
        "award.cancelled",
        &actor,
        now,
    )?)
}

/// An award's variations, oldest first.
#[tracing::instrument(skip_all, fields(award_id = %id))]
pub fn variations(
    conn: &mut AnyConnection,
    principal: &Principal,
    id: AwardId,
) -> Result<Vec<awards::Variation>, ApiError> {
    visible(conn, principal, id)?;
    Ok(awards::variations(conn, id)?)
}

/// Changes an award's amount, within the round's grant range unless
/// overridden; returns the award after it and the variation.
#[tracing::instrument(skip_all, fields(award_id = %id))]
pub fn vary(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: AwardId,
    input: &Variation,
) -> Result<(Record<awards::Stored>, awards::Variation), ApiError> {
    let before = awards::get(conn, id)?;
    let range = rounds::get(conn, before.value.award.round_id)?
        .value
        .grant_range;
    let (varied, delta) = before
        .value
        .award
        .vary_in_range(
            range,
            input.amount,
            &input.reason,
            input.range_override.as_ref(),
        )
        .map_err(variation_error)?;
    Ok(awards::vary(
        conn,
        &before,
        &varied,
        delta,
        &input.reason,
        input.range_override.as_ref().map(RangeOverride::reason),
        actor,
        Utc::now(),
    )?)
}
