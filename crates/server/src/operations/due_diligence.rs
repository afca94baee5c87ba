//! Due-diligence checks with expiry (issue 20): record one, read a
//! grantee's, and the rule scheduling a tranche obeys — a fund's required
//! checks all passed and unexpired for the award's grantee. The rules are
//! the domain's (`grantledger_domain::grantee::checks`).

use chrono::{NaiveDate, Utc};
use grantledger_domain::fund::Fund;
use grantledger_domain::grantee::{Check, NewCheck, required_checks_passed};
use grantledger_domain::ids::GranteeId;
use grantledger_store::due_diligence_checks::{self, StoredCheck};
use grantledger_store::{AnyConnection, grantees};

use crate::auth::principal::Principal;
use crate::error::ApiError;

/// Records a check of grantee `id` carried out by the caller. 404 for an
/// unknown grantee; 422 naming `checked_on` or `expires_on` for dates the
/// domain refuses.
#[tracing::instrument(skip_all, fields(grantee_id = %id, kind = %new.kind))]
pub fn record(
    c: &mut AnyConnection,
    principal: &Principal,
    id: GranteeId,
    new: NewCheck,
) -> Result<StoredCheck, ApiError> {
    grantees::get(c, id)?;
    let now = Utc::now();
    let check = Check::record(new, principal.user_id, now)
        .map_err(|e| ApiError::invalid(e.field(), e.to_string()))?;
    Ok(due_diligence_checks::record(
        c,
        id,
        &check,
        &principal.actor(),
        now,
    )?)
}

/// Every check recorded for a grantee the caller may see, oldest first
/// (another organisation's grantee: 404).
#[tracing::instrument(skip_all, fields(grantee_id = %id))]
pub fn for_grantee(
    c: &mut AnyConnection,
    principal: &Principal,
    id: GranteeId,
) -> Result<Vec<StoredCheck>, ApiError> {
    principal.require_visible(id, "grantee")?;
    grantees::get(c, id)?;
    Ok(due_diligence_checks::for_grantee(c, id)?)
}

/// Refuses (409, naming the check) money for `grantee` from `fund` unless
/// each of the fund's required checks stands on `today`. A fund requiring
/// none is not consulted further.
pub fn require_for_tranche(
    c: &mut AnyConnection,
    fund: &Fund,
    grantee: GranteeId,
    today: NaiveDate,
) -> Result<(), ApiError> {
    if fund.required_checks.is_empty() {
        return Ok(());
    }
    let checks: Vec<Check> = due_diligence_checks::for_grantee(c, grantee)?
        .into_iter()
        .map(|s| s.check)
        .collect();
    required_checks_passed(&fund.required_checks, &checks, today).map_err(|problem| {
        ApiError::conflict(format!(
            "{problem}; {} before scheduling a tranche",
            problem.remedy()
        ))
    })
}
