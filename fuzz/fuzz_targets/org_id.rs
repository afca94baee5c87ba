//! Organisation identifiers (org-id.guide): `OrgId::parse` and
//! `recipient_identifier`. Arbitrary text gives an identifier or an error
//! with a message; an accepted identifier is canonical (parsing its display
//! form gives it back) and starts with its register's prefix.
#![no_main]

use grantledger_domain::org_id::OrgId;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    match OrgId::parse(s) {
        Ok(id) => {
            let shown = id.to_string();
            assert_eq!(OrgId::parse(&shown).as_ref(), Ok(&id), "{s:?} -> {shown:?}");
            assert!(shown.starts_with(id.scheme().prefix()));
            assert_eq!(shown, format!("{}-{}", id.scheme().prefix(), id.number()));
            let json = serde_json::to_string(&id).unwrap_or_default();
            assert_eq!(serde_json::from_str::<OrgId>(&json).ok(), Some(id));
        }
        Err(e) => assert!(!e.to_string().is_empty()),
    }
    let _ = serde_json::from_str::<OrgId>(s);
});
