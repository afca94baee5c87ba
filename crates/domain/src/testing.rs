//! Fixtures shared by the unit tests.

use chrono::{DateTime, TimeZone, Utc};

use crate::grantee::*;
use crate::ids::*;
use crate::money::Money;
use crate::round::*;

pub(crate) fn m(s: &str) -> Money {
    Money::parse(s).unwrap()
}

pub(crate) fn at(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2019, 6, day, hour, 0, 0).unwrap()
}

/// Open from 1 June 00:00 to 30 June 12:00; grants 250–2500; community groups
/// and CICs with income up to 50,000 in the North East or North West.
pub(crate) fn round() -> Round {
    Round::new(
        RoundId::new(),
        FundId::new(),
        1,
        "Round 1",
        RoundWindow::new(at(1, 0), at(30, 12)).unwrap(),
        m("100000"),
        GrantRange::new(m("250"), m("2500")).unwrap(),
        Eligibility {
            organisation_types: vec![OrganisationType::CommunityGroup, OrganisationType::Cic],
            max_annual_income: Some(m("50000")),
            regions: vec![Region::NorthEast, Region::NorthWest],
            one_application_per_organisation: false,
        },
    )
    .unwrap()
}

pub(crate) fn grantee() -> Grantee {
    Grantee {
        id: GranteeId::new(),
        name: OrganisationName::parse("Tuesday Lunch Club").unwrap(),
        org_id: None,
        organisation_type: OrganisationType::CommunityGroup,
        region: Region::NorthEast,
        local_authority: LocalAuthority::parse("Gateshead").unwrap(),
        postcode: Postcode::parse("NE8 1HE").unwrap(),
        annual_income: m("12000"),
        due_diligence: DueDiligence::pending(),
    }
}
