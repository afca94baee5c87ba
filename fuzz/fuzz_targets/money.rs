//! Money on the wire: `Money::parse`, `MoneyDelta::parse` and their JSON
//! forms. Arbitrary text must give a value or an error with a message,
//! never a panic, and every accepted value must survive
//! `parse(display(x)) == x`.
#![no_main]

use grantledger_domain::money::{Money, MoneyDelta};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    match Money::parse(s) {
        Ok(m) => {
            assert!(m <= Money::MAX, "{s:?} parsed above the maximum");
            let shown = m.to_string();
            assert_eq!(Money::parse(&shown), Ok(m), "{s:?} -> {shown:?}");
            assert_eq!(Money::from_pence(m.pence()), Ok(m));
            assert_eq!(Money::from_decimal(m.as_decimal()), Ok(m));
            // The JSON form is the display string.
            let json = serde_json::to_string(&m).unwrap_or_default();
            assert_eq!(serde_json::from_str::<Money>(&json).ok(), Some(m));
        }
        Err(e) => assert!(!e.to_string().is_empty()),
    }
    match MoneyDelta::parse(s) {
        Ok(d) => {
            let shown = d.to_string();
            assert_eq!(MoneyDelta::parse(&shown), Ok(d), "{s:?} -> {shown:?}");
            assert!(d.abs() <= Money::MAX);
        }
        Err(e) => assert!(!e.to_string().is_empty()),
    }
    // Any JSON value where money is expected: an error, never a panic; a
    // JSON number is always refused.
    if let Ok(m) = serde_json::from_str::<Money>(s) {
        assert!(s.trim_start().starts_with('"'), "{s:?} accepted as money");
        assert_eq!(Money::parse(&m.to_string()), Ok(m));
    }
    let _ = serde_json::from_str::<MoneyDelta>(s);
    let _ = serde_json::from_str::<Option<Vec<Money>>>(s);
});
