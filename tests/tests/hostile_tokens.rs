//! JWT verification under hostile input: arbitrary text is refused with a
//! 401, never accepted and never a panic, and a genuine token changed
//! anywhere either fails or still names the same caller. The fuzz target
//! `fuzz/fuzz_targets/jwt.rs` checks the same properties at greater depth.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use grantledger_domain::ids::{GranteeId, UserId};
use grantledger_domain::user::Role;
use grantledger_server::auth::jwt::JwtKeys;
use grantledger_server::error::ApiError;
use grantledger_tests::jwt_config;
use proptest::prelude::*;

fn keys() -> JwtKeys {
    JwtKeys::new(&jwt_config(), false).unwrap()
}

fn refused(result: Result<impl std::fmt::Debug, ApiError>) -> Result<(), TestCaseError> {
    match result {
        Err(ApiError::Unauthorized(reason)) => {
            prop_assert!(!reason.is_empty());
            Ok(())
        }
        other => Err(TestCaseError::fail(format!(
            "expected a 401, got {other:?}"
        ))),
    }
}

/// Three dot-separated parts, each base64url of JSON-ish or random bytes.
fn token_shaped() -> impl Strategy<Value = String> {
    let part = prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..64).prop_map(|b| URL_SAFE_NO_PAD.encode(b)),
        "\\{\"(alg|kid|typ|sub|exp)\":(\"HS256\"|\"none\"|\"test-key\"|-1|1e999|null|\\[\\])\\}"
            .prop_map(|j| URL_SAFE_NO_PAD.encode(j)),
        "[A-Za-z0-9_=+/-]{0,40}",
    ];
    (part.clone(), part.clone(), part).prop_map(|(a, b, c)| format!("{a}.{b}.{c}"))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn arbitrary_text_is_refused(token in prop_oneof!["\\PC{0,200}", "(?s).{0,200}", token_shaped()]) {
        refused(keys().verify(&token))?;
    }

    #[test]
    fn a_changed_token_never_names_someone_else(
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
        append in proptest::option::of("[A-Za-z0-9_.=-]{1,4}"),
    ) {
        let keys = keys();
        let token = keys
            .issue(UserId::new(), Role::Grantee, Some(GranteeId::new()))
            .unwrap()
            .access_token;
        let principal = keys.verify(&token).unwrap();
        let mut bytes = token.clone().into_bytes();
        for (at, byte) in &edits {
            let at = at.index(bytes.len());
            bytes[at] = *byte;
        }
        if let Some(tail) = &append {
            bytes.extend_from_slice(tail.as_bytes());
        }
        let changed = String::from_utf8_lossy(&bytes).into_owned();
        match keys.verify(&changed) {
            Ok(who) => prop_assert_eq!(who, principal, "{} verified as someone else", changed),
            Err(e) => refused(Err::<(), _>(e))?,
        }
    }
}
