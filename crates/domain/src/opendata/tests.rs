use chrono::{TimeZone, Utc};

use super::*;
use crate::fund::{FundName, Funder};
use crate::grantee::{
    DueDiligence, LocalAuthority, OrganisationName, OrganisationType, Postcode, Region,
};
use crate::ids::{ApplicationId, AwardId, FundId, GranteeId, RoundId};
use crate::org_id::OrgId;
use crate::reference::{AwardReference, FundCode};

fn fund(funders: Vec<Funder>) -> Fund {
    Fund::new(
        FundId::new(),
        FundCode::parse("VFF").unwrap(),
        FundName::parse("Volunteering Futures Fund").unwrap(),
        Some(Money::parse("100").unwrap()),
        funders,
    )
    .unwrap()
}

fn grantee(org_id: Option<&str>) -> Grantee {
    Grantee {
        id: GranteeId::new(),
        name: OrganisationName::parse("Cardiff Youth Hub").unwrap(),
        org_id: org_id.map(|s| OrgId::parse(s).unwrap()),
        organisation_type: OrganisationType::Cic,
        region: Region::Wales,
        local_authority: LocalAuthority::parse("Cardiff").unwrap(),
        postcode: Postcode::parse("CF10 1AA").unwrap(),
        annual_income: Money::parse("1000").unwrap(),
        due_diligence: DueDiligence::pending(),
    }
}

fn award(status: AwardStatus, amount: &str, paid: &str) -> Award {
    Award {
        id: AwardId::new(),
        reference: AwardReference::new(FundCode::parse("VFF").unwrap(), 2, 42).unwrap(),
        application_id: ApplicationId::new(),
        round_id: RoundId::new(),
        fund_id: FundId::new(),
        grantee_id: GranteeId::new(),
        amount: Money::parse(amount).unwrap(),
        paid: Money::parse(paid).unwrap(),
        status,
    }
}

fn source<'a>(award: &'a Award, grantee: &'a Grantee, fund: &'a Fund) -> GrantSource<'a> {
    GrantSource {
        award,
        title: "Youth volunteering, \"with quotes\", and commas",
        description: "Line one\nline two",
        amount_applied_for: Money::parse("99.99").unwrap(),
        awarded_at: Utc.with_ymd_and_hms(2021, 3, 4, 23, 59, 0).unwrap(),
        modified_at: Utc.with_ymd_and_hms(2021, 5, 6, 7, 8, 9).unwrap(),
        end_date: None,
        grantee,
        fund,
        round_number: 2,
        round_name: "Round 2",
    }
}

fn grant(award: &Award, grantee: &Grantee, fund: &Fund) -> Option<Grant> {
    source(award, grantee, fund)
        .to_grant(&Publisher::new("360G-pub", "Publisher Ltd", None).unwrap())
}

#[test]
fn csv_columns_are_the_official_list() {
    let official: Vec<&str> =
        include_str!("../../../../schemas/360giving/grants-sheet-columns.txt")
            .lines()
            .filter(|l| !l.trim().is_empty())
            .collect();
    assert_eq!(official, CSV_COLUMNS.to_vec());
}

#[test]
fn companies_and_funders_without_ids() {
    let f = fund(vec![
        Funder {
            name: OrganisationName::parse("DCMS").unwrap(),
            org_id: None,
            contribution: Money::parse("60").unwrap(),
        },
        Funder {
            name: OrganisationName::parse("Pears Foundation").unwrap(),
            org_id: Some(OrgId::parse("GB-CHC-1009195").unwrap()),
            contribution: Money::parse("40").unwrap(),
        },
    ]);
    let g = grantee(Some("GB-COH-01234567"));
    let a = award(AwardStatus::Completed, "50", "50");
    let grant = grant(&a, &g, &f).unwrap();
    assert_eq!(grant.id, "360G-pub-VFF-R2-000042");
    assert_eq!(grant.award_date, "2021-03-04");
    assert_eq!(grant.date_modified, "2021-05-06T07:08:09Z");
    let r = &grant.recipient_organization[0];
    assert_eq!(r.id, "GB-COH-01234567");
    assert_eq!(r.company_number.as_deref(), Some("01234567"));
    assert_eq!(r.charity_number, None);
    let ids: Vec<&str> = grant
        .funding_organization
        .iter()
        .map(|o| o.id.as_str())
        .collect();
    assert_eq!(ids, ["360G-pub-funder-dcms", "GB-CHC-1009195"]);
    assert_eq!(grant.grant_programme[0].code, "VFF-R2");
    assert_eq!(
        grant.grant_programme[0].title,
        "Volunteering Futures Fund: Round 2"
    );
    // Wales has no code on the closed geoCodeType list: name only.
    assert_eq!(grant.beneficiary_location.len(), 1);
    assert_eq!(grant.beneficiary_location[0].geo_code, None);
    assert_eq!(grant.beneficiary_location[0].geo_code_type, None);
    let header = csv_header(2);
    let row = grant.csv_record(2);
    assert_eq!(row.len(), header.len());
    let col = |name: &str| {
        let i = header.iter().position(|c| c == name).unwrap();
        row[i].clone()
    };
    // One funder per set of columns, numbered as flattentool numbers them.
    assert_eq!(col("Funding Org:Identifier"), "360G-pub-funder-dcms");
    assert_eq!(col("Funding Org:Name"), "DCMS");
    assert_eq!(col("Funding Org:1:Identifier"), "GB-CHC-1009195");
    assert_eq!(col("Funding Org:1:Name"), "Pears Foundation");
    assert_eq!(col("Beneficiary Location:Geographic Code"), "");
    assert_eq!(col("Recipient Org:Company Number"), "01234567");
    assert_eq!(col("Amount Awarded"), "50.00");
    assert_eq!(col("Amount Applied For"), "99.99");
    assert_eq!(col("Beneficiary Location:Name"), "Wales");
    assert_eq!(col("URL"), "");
    let json = serde_json::to_value(&grant).unwrap();
    assert_eq!(json["amountAwarded"], serde_json::json!(50.0));
    assert!(json.get("dataSource").is_none());
}

#[test]
fn english_regions_carry_their_ons_codes() {
    let f = fund(vec![]);
    let mut g = grantee(Some("GB-GOR-PB188"));
    g.region = Region::NorthWest;
    let a = award(AwardStatus::Accepted, "10", "0");
    let grant = grant(&a, &g, &f).unwrap();
    let location = &grant.beneficiary_location[0];
    assert_eq!(
        (location.geo_code, location.geo_code_type),
        (Some("E12000002"), Some("RGN"))
    );
    // A GB-GOR id is neither a charity nor a company number.
    let r = &grant.recipient_organization[0];
    assert_eq!(
        (r.id.as_str(), &r.charity_number, &r.company_number),
        ("GB-GOR-PB188", &None, &None)
    );
    let codes: Vec<_> = Region::ALL
        .iter()
        .filter_map(|r| region_ons_code(*r))
        .collect();
    assert_eq!(codes.len(), 9);
    assert!(codes.iter().all(|c| c.len() == 9 && c.starts_with("E12")));
}

#[test]
fn fund_without_funders_is_the_publishers_money() {
    let f = fund(vec![]);
    let g = grantee(None);
    let a = award(AwardStatus::Offered, "10", "0");
    let grant = grant(&a, &g, &f).unwrap();
    assert_eq!(grant.funding_organization[0].id, "360G-pub");
    assert_eq!(grant.funding_organization[0].name, "Publisher Ltd");
    assert_eq!(
        grant.recipient_organization[0].id,
        format!("360G-pub-{}", g.id)
    );
}

#[test]
fn only_standing_awards_are_published() {
    let f = fund(vec![]);
    let g = grantee(Some("GB-SC-SC012345"));
    assert!(grant(&award(AwardStatus::Declined, "10", "0"), &g, &f).is_none());
    assert!(grant(&award(AwardStatus::Cancelled, "10", "0"), &g, &f).is_none());
    let cancelled = grant(&award(AwardStatus::Cancelled, "10", "4"), &g, &f).unwrap();
    assert_eq!(cancelled.amount_awarded.0, Money::parse("4").unwrap());
    assert_eq!(
        cancelled.recipient_organization[0]
            .charity_number
            .as_deref(),
        Some("SC012345")
    );
}

/// The JSON of one grant, field by field as 360Giving orders them, so a
/// change to how a grant is built cannot change the published bytes
/// unnoticed.
#[test]
fn a_grants_json_is_exactly_this() {
    let f = fund(vec![Funder {
        name: OrganisationName::parse("DCMS").unwrap(),
        org_id: None,
        contribution: Money::parse("100").unwrap(),
    }]);
    let g = grantee(Some("GB-CHC-1234567"));
    let a = award(AwardStatus::Accepted, "50", "20");
    let publisher =
        Publisher::new("pub", "Publisher Ltd", Some("https://example.org/data")).unwrap();
    let mut source = source(&a, &g, &f);
    source.end_date = chrono::NaiveDate::from_ymd_opt(2022, 3, 31);
    let grant = source.to_grant(&publisher).unwrap();
    assert_eq!(
        serde_json::to_string(&grant).unwrap(),
        concat!(
            r#"{"id":"360G-pub-VFF-R2-000042","title":"Youth volunteering, \"with quotes\", and commas","#,
            r#""description":"Line one\nline two","currency":"GBP","amountAppliedFor":99.99,"#,
            r#""amountAwarded":50.00,"amountDisbursed":20.00,"awardDate":"2021-03-04","#,
            r#""plannedDates":[{"startDate":"2021-03-04","endDate":"2022-03-31"}],"#,
            r#""recipientOrganization":[{"id":"GB-CHC-1234567","name":"Cardiff Youth Hub","charityNumber":"1234567","postalCode":"CF10 1AA"}],"#,
            r#""beneficiaryLocation":[{"name":"Wales","countryCode":"GB"}],"#,
            r#""fundingOrganization":[{"id":"360G-pub-funder-dcms","name":"DCMS"}],"#,
            r#""grantProgramme":[{"code":"VFF-R2","title":"Volunteering Futures Fund: Round 2"}],"#,
            r#""fromOpenCall":"Yes","dateModified":"2021-05-06T07:08:09Z","dataSource":"https://example.org/data"}"#
        )
    );
}

#[test]
fn exact_amounts_in_json() {
    let text = serde_json::to_string(&Amount(Money::parse("1000000000000").unwrap())).unwrap();
    assert_eq!(text, "1000000000000.00");
    assert_eq!(serde_json::to_string(&Amount(Money::ZERO)).unwrap(), "0.00");
    assert_eq!(
        serde_json::to_string(&Amount(Money::MAX)).unwrap(),
        "1000000000000.00"
    );
    assert_eq!(
        serde_json::to_string(&Amount(Money::from_pence(1).unwrap())).unwrap(),
        "0.01"
    );
}

#[test]
fn publisher_settings() {
    assert_eq!(
        Publisher::new(" 360G-abc ", "A", None).unwrap().prefix(),
        "abc"
    );
    for bad in ["", "-a", "a-", "a b", "é", &"x".repeat(65)] {
        assert!(Publisher::new(bad, "A", None).is_err(), "{bad}");
    }
    assert!(Publisher::new("a", " ", None).is_err());
    assert_eq!(
        Publisher::new("a", "A", Some("")).unwrap().data_source(),
        None
    );
    assert_eq!(slug("  Big -- Lottery!! "), "big-lottery");
    assert_eq!(slug("£££"), "unnamed");
}
