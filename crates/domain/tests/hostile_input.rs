//! Property tests for every parser of outside text in the domain, through
//! the public API: arbitrary input never panics, an error names the
//! problem, and an accepted value is canonical (parsing what it displays
//! gives it back). The same properties are fuzzed by the targets in
//! `fuzz/` (docs/FUZZING.md); these run with the test suite.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::fmt::{Debug, Display};

use grantledger_domain::commitment::parse_departments;
use grantledger_domain::evaluation::ParticipantCode;
use grantledger_domain::grantee::{LocalAuthority, OrganisationName, Postcode};
use grantledger_domain::import::{parse_award_decisions, parse_grantees};
use grantledger_domain::money::{Money, MoneyDelta};
use grantledger_domain::org_id::{OrgId, OrgIdScheme};
use grantledger_domain::reference::{AwardReference, FundCode};
use grantledger_domain::text::FundName;
use grantledger_domain::user::Email;
use proptest::prelude::*;

/// Parses; an accepted value must parse back from its display form, and an
/// error must say something.
fn canonical<T, E>(s: &str, parse: impl Fn(&str) -> Result<T, E>) -> Result<T, TestCaseError>
where
    T: Display + PartialEq + Debug,
    E: Display,
{
    match parse(s) {
        Ok(value) => {
            let shown = value.to_string();
            match parse(&shown) {
                Ok(again) => prop_assert_eq!(&again, &value, "{:?} -> {:?}", s, shown),
                Err(e) => {
                    return Err(TestCaseError::fail(format!(
                        "{s:?} parsed but its display {shown:?} does not: {e}"
                    )));
                }
            }
            Ok(value)
        }
        Err(e) => {
            prop_assert!(
                !e.to_string().trim().is_empty(),
                "empty message for {:?}",
                s
            );
            Err(TestCaseError::reject("not accepted"))
        }
    }
}

fn accept<T, E>(s: &str, parse: impl Fn(&str) -> Result<T, E>) -> Result<(), TestCaseError>
where
    T: Display + PartialEq + Debug,
    E: Display,
{
    match canonical(s, parse) {
        Ok(_) | Err(TestCaseError::Reject(_)) => Ok(()),
        Err(fail) => Err(fail),
    }
}

/// Arbitrary text, and text made of the characters these parsers care about.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "\\PC{0,40}",
        "(?s).{0,40}",
        "[ \\t\\-A-Za-z0-9@.()+£,]{0,24}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn money_is_canonical_and_never_negative(s in prop_oneof![text(), "[-+]?[0-9]{0,16}(\\.[0-9]{0,3})?"]) {
        if let Ok(m) = canonical(&s, Money::parse) {
            prop_assert!(m <= Money::MAX);
            prop_assert!(!s.starts_with('-'));
        }
        accept(&s, MoneyDelta::parse)?;
    }

    #[test]
    fn money_json_numbers_are_refused_with_a_reason(n in any::<f64>(), i in any::<i64>()) {
        for json in [serde_json::json!(n), serde_json::json!(i)] {
            let error = serde_json::from_value::<Money>(json).unwrap_err();
            prop_assert!(error.to_string().contains("string"), "{}", error);
        }
    }

    #[test]
    fn org_ids_are_canonical(s in prop_oneof![
        text(),
        "(?i)gb-(chc|coh|sc|nic)-[a-z0-9]{5,9}",
        " GB-CHC-[0-9]{6,7} ",
    ]) {
        if let Ok(id) = canonical(&s, OrgId::parse) {
            prop_assert!(id.as_str().starts_with(id.scheme().prefix()));
        }
    }

    #[test]
    fn valid_org_ids_parse_in_any_case(n in "[0-9]{7}", coh in "[A-Z0-9]{8}", sc in "[0-9]{6}") {
        for (text, scheme) in [
            (format!("gb-chc-{n}"), OrgIdScheme::CharityCommission),
            (format!("GB-COH-{coh}"), OrgIdScheme::CompaniesHouse),
            (format!("gb-sc-sc{sc}"), OrgIdScheme::Oscr),
            (format!("GB-NIC-{sc}"), OrgIdScheme::CharityCommissionNi),
        ] {
            let id = OrgId::parse(&text).unwrap();
            prop_assert_eq!(id.scheme(), scheme);
            prop_assert_eq!(id.as_str(), text.to_uppercase());
        }
    }

    #[test]
    fn fund_codes_and_references_are_canonical(s in prop_oneof![text(), "[A-Z][A-Z0-9]{0,10}(-R[0-9]{1,6}-[0-9]{5,7})?"]) {
        accept(&s, FundCode::parse)?;
        accept(&s, AwardReference::parse)?;
    }

    #[test]
    fn postcodes_are_canonical(s in prop_oneof![text(), "(?i)[a-z]{1,2}[0-9][a-z0-9]? ?[0-9][a-z]{2}"]) {
        if let Ok(p) = canonical(&s, Postcode::parse) {
            prop_assert!(p.as_str().len() <= 8);
            prop_assert_eq!(p.as_str().matches(' ').count(), 1);
        }
    }

    #[test]
    fn participant_codes_emails_and_names_are_canonical(s in text()) {
        accept(&s, ParticipantCode::parse)?;
        accept(&s, Email::parse)?;
        for (parsed, max) in [
            (OrganisationName::parse(&s).map(|v| v.to_string()), 200),
            (FundName::parse(&s).map(|v| v.to_string()), 200),
            (LocalAuthority::parse(&s).map(|v| v.to_string()), 100),
        ] {
            match parsed {
                Ok(v) => {
                    prop_assert_eq!(v.trim(), v.as_str());
                    prop_assert!(!v.is_empty() && v.chars().count() <= max);
                }
                Err(e) => prop_assert!(!e.to_string().is_empty()),
            }
        }
    }

    #[test]
    fn department_cells_parse_to_codes_that_parse_again(s in prop_oneof![text(), "((DfE|dcms|DWP|NHSE|Defra)( and |, |/|&)?){1,4}"]) {
        match parse_departments(&s) {
            Ok(departments) => {
                prop_assert!(!departments.is_empty());
                let codes = departments.iter().map(|d| d.code().to_owned()).collect::<Vec<_>>().join(", ");
                prop_assert_eq!(parse_departments(&codes).unwrap(), departments);
            }
            Err(e) => prop_assert!(!e.to_string().is_empty()),
        }
    }

    #[test]
    fn csv_imports_name_lines_within_the_file(
        bytes in prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..400),
            "(?s)(name,org_id,organisation_type,region,local_authority,postcode,annual_income|application_id,amount)\n[a-z0-9,\"\\n\\r .-]{0,200}".prop_map(String::into_bytes),
        ]
    ) {
        let lines = bytes.split(|b| *b == b'\n' || *b == b'\r').count() as u64;
        let grantee_lines = match parse_grantees(&bytes) {
            Ok(rows) => rows.iter().map(|r| r.line).collect::<Vec<_>>(),
            Err(errors) => {
                prop_assert!(!errors.0.is_empty());
                prop_assert!(errors.0.iter().all(|e| !e.message.is_empty()));
                errors.0.iter().map(|e| e.line).collect()
            }
        };
        let award_lines = match parse_award_decisions(&bytes) {
            Ok(rows) => rows.iter().map(|r| r.line).collect::<Vec<_>>(),
            Err(errors) => {
                prop_assert!(!errors.0.is_empty());
                prop_assert!(errors.0.iter().all(|e| !e.message.is_empty()));
                errors.0.iter().map(|e| e.line).collect()
            }
        };
        for line in grantee_lines.into_iter().chain(award_lines) {
            prop_assert!(line >= 1 && line <= lines.max(1), "line {} of {}", line, lines);
        }
    }

    #[test]
    fn valid_grantee_rows_all_import(rows in proptest::collection::vec(("[A-Z][a-z]{2,20}( [A-Z][a-z]{2,10})?", "[0-9]{7}", "(0|[1-9][0-9]{0,6})(\\.[0-9]{2})?"), 1..20)) {
        let mut file = String::from("name,org_id,organisation_type,region,local_authority,postcode,annual_income\n");
        for (name, charity, income) in &rows {
            file.push_str(&format!("{name},GB-CHC-{charity},registered_charity,london,Lambeth,SE11 5QY,{income}\n"));
        }
        let parsed = parse_grantees(file.as_bytes()).unwrap();
        prop_assert_eq!(parsed.len(), rows.len());
        for (i, row) in parsed.iter().enumerate() {
            prop_assert_eq!(row.line, i as u64 + 2);
            prop_assert_eq!(row.grantee.annual_income, Money::parse(&rows[i].2).unwrap());
        }
    }
}
