//! Grantee organisations: register, change, and record due diligence.

use chrono::Utc;
use grantledger_domain::Money;
use grantledger_domain::grantee::{
    DueDiligenceOutcome, DueDiligenceStatus, Grantee, Likeness, LocalAuthority, NameSearch,
    OrganisationName, OrganisationType, Postcode, Region,
};
use grantledger_domain::ids::GranteeId;
use grantledger_domain::org_id::OrgId;
use grantledger_domain::user::Role;
use grantledger_store::common::{Page, PageRequest, Record};
use grantledger_store::{AnyConnection, grantees};

use crate::auth::principal::Principal;
use crate::error::ApiError;
use crate::http::IfMatch;

// The JSON API reads this as the body of `PATCH /grantees/{id}` as it is,
// so the operation and the request cannot list different fields. (A plain
// comment: the doc comment is the API document's description.)
/// Changes to a grantee; absent fields stay as they are.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = GranteeChangesBody)]
pub struct GranteeChanges {
    /// A new name.
    pub name: Option<OrganisationName>,
    /// A new org id.
    pub org_id: Option<OrgId>,
    /// A new organisation type.
    pub organisation_type: Option<OrganisationType>,
    /// A new region.
    pub region: Option<Region>,
    /// A new local authority.
    pub local_authority: Option<LocalAuthority>,
    /// A new postcode.
    pub postcode: Option<Postcode>,
    /// A new annual income.
    pub annual_income: Option<Money>,
}

/// Which grantees to list: every filter given must hold (issue 20).
#[derive(Debug, Clone, Default)]
pub struct GranteeListing {
    /// Only grantees in this region.
    pub region: Option<Region>,
    /// Only grantees of this type.
    pub organisation_type: Option<OrganisationType>,
    /// Only grantees whose due diligence is in this state.
    pub due_diligence: Option<DueDiligenceStatus>,
    /// Only grantees whose name starts with this, ignoring case, spaces,
    /// punctuation and look-alike letters.
    pub name: Option<NameSearch>,
    /// Only the grantee with this org id.
    pub org_id: Option<OrgId>,
    /// Only grantees at this postcode.
    pub postcode: Option<Postcode>,
    /// Only grantees in this local authority (case does not count).
    pub local_authority: Option<LocalAuthority>,
}

/// Loads a grantee the caller may see; any other is not found.
#[tracing::instrument(skip_all, fields(grantee_id = %id))]
pub fn visible(
    c: &mut AnyConnection,
    principal: &Principal,
    id: GranteeId,
) -> Result<Record<Grantee>, ApiError> {
    principal.require_visible(id, "grantee")?;
    Ok(grantees::get(c, id)?)
}

/// Registers a grantee. A likely duplicate of one already held — the same
/// org id, or the same name and postcode — is refused naming it, unless
/// `distinct` says the caller has checked they differ and the org ids do
/// not clash.
#[tracing::instrument(skip_all, fields(grantee_id = %grantee.id))]
pub fn register(
    c: &mut AnyConnection,
    principal: &Principal,
    grantee: &Grantee,
    distinct: bool,
) -> Result<Record<Grantee>, ApiError> {
    if let Some((held, likeness)) = grantees::likely_same(c, grantee)?
        && (likeness == Likeness::SameOrgId || !distinct)
    {
        return Err(duplicate(&held, likeness));
    }
    Ok(grantees::create(
        c,
        grantee,
        &principal.actor(),
        Utc::now(),
    )?)
}

/// The refusal for a grantee likely already held, naming it.
fn duplicate(held: &Record<Grantee>, likeness: Likeness) -> ApiError {
    let g = &held.value;
    let detail = match likeness {
        Likeness::SameOrgId => format!(
            "{} is already registered with org id {} as grantee {}",
            g.name,
            g.org_id.as_ref().map_or("", OrgId::as_str),
            g.id
        ),
        Likeness::SameNameAndPostcode => format!(
            "this looks like {} at {}, already registered as grantee {}; if it is a different organisation, send distinct_organisation: true",
            g.name, g.postcode, g.id
        ),
    };
    ApiError::Duplicate {
        detail,
        existing_id: g.id.as_uuid(),
    }
}

/// A page of grantees; a grantee user sees only its own organisation.
#[tracing::instrument(skip_all)]
pub fn list(
    c: &mut AnyConnection,
    principal: &Principal,
    listing: GranteeListing,
    page: PageRequest,
) -> Result<Page<Record<Grantee>>, ApiError> {
    let only = match principal.role {
        Role::Grantee => Some(
            principal
                .grantee_id
                .ok_or_else(|| ApiError::Forbidden("no grantee organisation".into()))?,
        ),
        _ => None,
    };
    let filter = grantees::GranteeFilter {
        region: listing.region,
        organisation_type: listing.organisation_type,
        due_diligence: listing.due_diligence,
        only,
        name: listing.name,
        org_id: listing.org_id,
        postcode: listing.postcode,
        local_authority: listing.local_authority,
    };
    Ok(grantees::list(c, &filter, page)?)
}

/// Changes a grantee's details read at the version in `if_match`.
#[tracing::instrument(skip_all, fields(grantee_id = %id))]
pub fn update(
    c: &mut AnyConnection,
    principal: &Principal,
    id: GranteeId,
    if_match: IfMatch,
    changes: GranteeChanges,
) -> Result<Record<Grantee>, ApiError> {
    let before = grantees::get(c, id)?;
    if_match.check(&before, "grantee")?;
    let cur = before.value.clone();
    let after = Grantee {
        name: changes.name.unwrap_or(cur.name),
        org_id: changes.org_id.or(cur.org_id),
        organisation_type: changes.organisation_type.unwrap_or(cur.organisation_type),
        region: changes.region.unwrap_or(cur.region),
        local_authority: changes.local_authority.unwrap_or(cur.local_authority),
        postcode: changes.postcode.unwrap_or(cur.postcode),
        annual_income: changes.annual_income.unwrap_or(cur.annual_income),
        ..cur
    };
    Ok(grantees::save(
        c,
        &before,
        &after,
        "grantee.updated",
        &principal.actor(),
        Utc::now(),
    )?)
}

/// Records the outcome of due-diligence checks by the caller.
#[tracing::instrument(skip_all, fields(grantee_id = %id))]
pub fn record_due_diligence(
    c: &mut AnyConnection,
    principal: &Principal,
    id: GranteeId,
    outcome: DueDiligenceOutcome,
) -> Result<Record<Grantee>, ApiError> {
    let before = grantees::get(c, id)?;
    let now = Utc::now();
    let after = before
        .value
        .record_due_diligence(outcome, principal.user_id, now)
        .map_err(ApiError::conflict_from)?;
    Ok(grantees::save(
        c,
        &before,
        &after,
        "grantee.due_diligence",
        &principal.actor(),
        now,
    )?)
}
