use super::*;
use crate::grantee::{OrganisationType, Region};
use crate::testing::{at, grantee, m, round};

#[test]
fn window() {
    let w = RoundWindow::new(at(1, 0), at(30, 12)).unwrap();
    assert!(!w.is_open_at(at(1, 0) - chrono::Duration::seconds(1)));
    assert!(w.is_open_at(at(1, 0)));
    assert!(w.is_open_at(at(30, 11)));
    assert!(!w.is_open_at(at(30, 12)));
    assert!(w.has_closed_at(at(30, 12)));
    assert!(!w.has_closed_at(at(30, 11)));
    assert_eq!((w.opens_at(), w.closes_at()), (at(1, 0), at(30, 12)));
    assert!(matches!(
        RoundWindow::new(at(2, 0), at(2, 0)),
        Err(RoundError::WindowInverted { .. })
    ));
    assert!(RoundWindow::new(at(3, 0), at(2, 0)).is_err());
    let json = serde_json::to_string(&w).unwrap();
    assert_eq!(
        json,
        r#"{"opens_at":"2019-06-01T00:00:00Z","closes_at":"2019-06-30T12:00:00Z"}"#
    );
    assert_eq!(serde_json::from_str::<RoundWindow>(&json).unwrap(), w);
    let inverted = r#"{"opens_at":"2019-06-30T12:00:00Z","closes_at":"2019-06-01T00:00:00Z"}"#;
    assert!(
        serde_json::from_str::<RoundWindow>(inverted)
            .unwrap_err()
            .to_string()
            .contains("must close after it opens")
    );
}

#[test]
fn grant_range() {
    let r = GrantRange::new(m("250"), m("2500")).unwrap();
    assert!(r.contains(m("250")) && r.contains(m("2500")));
    assert!(!r.contains(m("249.99")) && !r.contains(m("2500.01")));
    assert_eq!(
        GrantRange::new(Money::ZERO, m("1")),
        Err(RoundError::ZeroMinimumGrant)
    );
    assert_eq!(
        GrantRange::new(m("2"), m("1")),
        Err(RoundError::MinimumAboveMaximum {
            min: m("2"),
            max: m("1")
        })
    );
    assert!(GrantRange::new(m("1"), m("1")).is_ok());
    assert!(serde_json::from_str::<GrantRange>(r#"{"min":"3.00","max":"2.00"}"#).is_err());
}

#[test]
fn round_validation() {
    let ok = round();
    let build = |number, name: &str, allocation: &str| {
        Round::new(
            ok.id,
            ok.fund_id,
            number,
            name,
            ok.window,
            m(allocation),
            ok.grant_range,
            Eligibility::default(),
        )
    };
    assert!(build(2, "Round 2", "2500").is_ok());
    assert_eq!(build(0, "Round 0", "2500"), Err(RoundError::NumberZero));
    assert!(matches!(build(1, " ", "2500"), Err(RoundError::Name(_))));
    assert_eq!(build(1, "R", "0"), Err(RoundError::ZeroAllocation));
    assert_eq!(
        build(1, "R", "2499.99"),
        Err(RoundError::MaximumAboveAllocation {
            max: m("2500"),
            allocation: m("2499.99")
        })
    );
    assert_eq!(build(1, "  Round 1 ", "2500").unwrap().name, "Round 1");
}

#[test]
fn eligible_grantee_passes() {
    assert_eq!(round().check_eligibility(&grantee(), m("1000")), Ok(()));
    let anyone = Round {
        eligibility: Eligibility::default(),
        ..round()
    };
    let g = Grantee {
        organisation_type: OrganisationType::School,
        region: Region::Wales,
        annual_income: Money::MAX,
        ..grantee()
    };
    assert_eq!(anyone.check_eligibility(&g, m("250")), Ok(()));
}

#[test]
fn every_reason_is_reported_at_once() {
    let g = Grantee {
        organisation_type: OrganisationType::Company,
        annual_income: m("50000.01"),
        region: Region::London,
        ..grantee()
    };
    let reasons = round().check_eligibility(&g, m("249.99")).unwrap_err();
    assert_eq!(
        reasons,
        vec![
            Ineligibility::AmountBelowMinimum {
                amount: m("249.99"),
                min: m("250")
            },
            Ineligibility::OrganisationTypeNotEligible {
                organisation_type: OrganisationType::Company,
                eligible: vec![OrganisationType::CommunityGroup, OrganisationType::Cic],
            },
            Ineligibility::IncomeTooHigh {
                income: m("50000.01"),
                max: m("50000")
            },
            Ineligibility::RegionNotEligible {
                region: Region::London,
                eligible: vec![Region::NorthEast, Region::NorthWest]
            },
        ]
    );
    let fields: Vec<_> = reasons.iter().map(Ineligibility::field).collect();
    assert_eq!(
        fields,
        [
            "amount_requested",
            "organisation_type",
            "annual_income",
            "region"
        ]
    );
    let messages: Vec<_> = reasons.iter().map(ToString::to_string).collect();
    assert_eq!(
        messages,
        [
            "the amount requested, 249.99, is less than this round's minimum grant of 250.00",
            "Company organisations are not eligible for this round; eligible types are: Community group, Community interest company",
            "annual income of 50000.01 is more than this round's limit of 50000.00",
            "organisations in London are not eligible for this round; eligible regions are: North East, North West",
        ]
    );
    let json = serde_json::to_value(&reasons[2]).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"reason": "income_too_high", "income": "50000.01", "max": "50000.00"})
    );
}

#[test]
fn income_at_the_limit_is_eligible() {
    let g = Grantee {
        annual_income: m("50000"),
        ..grantee()
    };
    assert_eq!(round().check_eligibility(&g, m("2500")), Ok(()));
    let reasons = round().check_eligibility(&g, m("2500.01")).unwrap_err();
    assert_eq!(
        reasons,
        vec![Ineligibility::AmountAboveMaximum {
            amount: m("2500.01"),
            max: m("2500")
        }]
    );
}
