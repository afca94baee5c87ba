//! Grantees: the organisations that apply for and receive grants.

mod checks;
mod due_diligence;
mod likeness;
mod postcode;
mod search;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{GranteeId, UserId};
use crate::money::Money;
use crate::org_id::OrgId;
pub use crate::text::{LocalAuthority, OrganisationName};
pub use checks::{
    Check, CheckError, CheckKind, CheckKindError, CheckName, CheckProblem, CheckStatus, Evidence,
    NewCheck, current as current_checks, distinct_kinds, join_kinds, required_checks_passed,
    split_kinds,
};
pub use due_diligence::{DueDiligence, DueDiligenceOutcome, DueDiligenceStatus};
pub use likeness::{Likeness, NameKey, mixes_scripts};
pub use postcode::{Postcode, PostcodeError};
pub use search::{KeyRange, NameSearch, NameSearchError};

string_enum! {
    /// The legal form of a grantee organisation.
    pub enum OrganisationType("organisation type") {
        /// A charity registered with a charity regulator.
        RegisteredCharity = "registered_charity", "Registered charity";
        /// A charitable incorporated organisation.
        Cio = "cio", "CIO";
        /// A community interest company.
        Cic = "cic", "Community interest company";
        /// An unregistered community or voluntary group.
        CommunityGroup = "community_group", "Community group";
        /// A company (not a CIC).
        Company = "company", "Company";
        /// A school.
        School = "school", "School";
        /// A faith group.
        FaithGroup = "faith_group", "Faith group";
        /// Anything else.
        Other = "other", "Other";
    }
}

string_enum! {
    /// A UK ITL1 region (formerly NUTS1).
    pub enum Region("region") {
        /// North East (England).
        NorthEast = "north_east", "North East";
        /// North West (England).
        NorthWest = "north_west", "North West";
        /// Yorkshire and The Humber.
        YorkshireAndTheHumber = "yorkshire_and_the_humber", "Yorkshire and The Humber";
        /// East Midlands (England).
        EastMidlands = "east_midlands", "East Midlands";
        /// West Midlands (England).
        WestMidlands = "west_midlands", "West Midlands";
        /// East of England.
        EastOfEngland = "east_of_england", "East of England";
        /// London.
        London = "london", "London";
        /// South East (England).
        SouthEast = "south_east", "South East";
        /// South West (England).
        SouthWest = "south_west", "South West";
        /// Wales.
        Wales = "wales", "Wales";
        /// Scotland.
        Scotland = "scotland", "Scotland";
        /// Northern Ireland.
        NorthernIreland = "northern_ireland", "Northern Ireland";
    }
}

impl Region {
    /// The ONS ITL1 code (`TLC` … `TLN`), used in 360Giving `beneficiaryLocation`.
    ///
    /// ```
    /// use grantledger_domain::grantee::Region;
    /// assert_eq!(Region::London.itl1_code(), "TLI");
    /// ```
    #[must_use]
    pub const fn itl1_code(self) -> &'static str {
        match self {
            Region::NorthEast => "TLC",
            Region::NorthWest => "TLD",
            Region::YorkshireAndTheHumber => "TLE",
            Region::EastMidlands => "TLF",
            Region::WestMidlands => "TLG",
            Region::EastOfEngland => "TLH",
            Region::London => "TLI",
            Region::SouthEast => "TLJ",
            Region::SouthWest => "TLK",
            Region::Wales => "TLL",
            Region::Scotland => "TLM",
            Region::NorthernIreland => "TLN",
        }
    }
}

/// An organisation that applies for grants. Every field is valid by
/// construction, so the fields are public.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grantee {
    /// Identity.
    pub id: GranteeId,
    /// Registered or working name.
    pub name: OrganisationName,
    /// Register identifier; unregistered community groups have none.
    pub org_id: Option<OrgId>,
    /// Legal form.
    pub organisation_type: OrganisationType,
    /// ITL1 region.
    pub region: Region,
    /// Local authority area.
    pub local_authority: LocalAuthority,
    /// Main address postcode.
    pub postcode: Postcode,
    /// Latest annual income.
    pub annual_income: Money,
    /// Due-diligence checks before any money is paid.
    pub due_diligence: DueDiligence,
}

impl Grantee {
    /// Records a due-diligence outcome, returning the updated grantee.
    ///
    /// # Errors
    /// As [`DueDiligence::record`].
    pub fn record_due_diligence(
        &self,
        outcome: DueDiligenceOutcome,
        by: UserId,
        at: DateTime<Utc>,
    ) -> Result<Grantee, crate::transition::TransitionError> {
        let due_diligence = self.due_diligence.record(outcome, by, at)?;
        Ok(Grantee {
            due_diligence,
            ..self.clone()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn organisation_types() {
        assert_eq!(OrganisationType::ALL.len(), 8);
        for t in OrganisationType::ALL {
            assert_eq!(t.as_str().parse::<OrganisationType>().unwrap(), t);
            assert_eq!(
                serde_json::to_string(&t).unwrap(),
                format!("\"{}\"", t.as_str())
            );
            assert_eq!(
                serde_json::from_str::<OrganisationType>(&format!("\"{t}\"")).unwrap(),
                t
            );
        }
        assert_eq!(OrganisationType::Cic.label(), "Community interest company");
        assert_eq!(
            OrganisationType::RegisteredCharity.as_str(),
            "registered_charity"
        );
        let err = "charity"
            .parse::<OrganisationType>()
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("\"charity\" is not a valid organisation type; expected one of: registered_charity, cio"), "{err}");
    }

    #[test]
    fn regions() {
        assert_eq!(Region::ALL.len(), 12);
        let codes: Vec<_> = Region::ALL.iter().map(|r| r.itl1_code()).collect();
        assert_eq!(
            codes,
            [
                "TLC", "TLD", "TLE", "TLF", "TLG", "TLH", "TLI", "TLJ", "TLK", "TLL", "TLM", "TLN"
            ]
        );
        for r in Region::ALL {
            assert_eq!(r.as_str().parse::<Region>().unwrap(), r);
            assert_eq!(
                serde_json::to_string(&r).unwrap(),
                format!("\"{}\"", r.as_str())
            );
        }
        assert_eq!(
            Region::YorkshireAndTheHumber.label(),
            "Yorkshire and The Humber"
        );
        assert_eq!(
            Region::YorkshireAndTheHumber.as_str(),
            "yorkshire_and_the_humber"
        );
        assert!(serde_json::from_str::<Region>("\"London\"").is_err());
    }
}
