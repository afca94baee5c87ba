//! The other identifiers and short texts that come from outside: fund
//! codes, award references, postcodes, participant codes, emails, department
//! cells of the pledge tracker, and the free-text name types. The first byte
//! picks the parser. Each must give a value or an error with a message; an
//! accepted value is canonical (parsing its display form gives it back).
#![no_main]

use grantledger_domain::commitment::parse_departments;
use grantledger_domain::evaluation::ParticipantCode;
use grantledger_domain::grantee::{LocalAuthority, OrganisationName, Postcode};
use grantledger_domain::reference::{AwardReference, FundCode};
use grantledger_domain::text::FundName;
use grantledger_domain::user::Email;
use libfuzzer_sys::fuzz_target;

/// Parses, and checks that a value's display form parses back to it.
fn canonical<T, E>(s: &str, parse: impl Fn(&str) -> Result<T, E>)
where
    T: std::fmt::Display + PartialEq + std::fmt::Debug,
    E: std::fmt::Display,
{
    match parse(s) {
        Ok(value) => {
            let shown = value.to_string();
            match parse(&shown) {
                Ok(again) => assert_eq!(again, value, "{s:?} -> {shown:?}"),
                Err(e) => panic!("{s:?} parsed, but its display {shown:?} does not: {e}"),
            }
        }
        Err(e) => assert!(!e.to_string().is_empty()),
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let Ok(s) = std::str::from_utf8(rest) else {
        return;
    };
    match which % 9 {
        0 => canonical(s, FundCode::parse),
        1 => {
            canonical(s, AwardReference::parse);
            if let Ok(r) = AwardReference::parse(s) {
                assert_eq!(
                    AwardReference::new(r.fund().clone(), r.round(), r.sequence()).ok(),
                    Some(r)
                );
            }
        }
        2 => canonical(s, Postcode::parse),
        3 => canonical(s, ParticipantCode::parse),
        4 => canonical(s, Email::parse),
        5 => match parse_departments(s) {
            Ok(departments) => {
                assert!(!departments.is_empty());
                let joined = departments
                    .iter()
                    .map(|d| d.code().to_owned())
                    .collect::<Vec<_>>()
                    .join(", ");
                assert_eq!(parse_departments(&joined).ok(), Some(departments), "{s:?}");
            }
            Err(e) => assert!(!e.to_string().is_empty()),
        },
        6 => canonical(s, OrganisationName::parse),
        7 => canonical(s, FundName::parse),
        _ => canonical(s, LocalAuthority::parse),
    }
});
