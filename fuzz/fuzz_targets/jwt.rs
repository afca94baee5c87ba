//! JWT verification (`JwtKeys::verify`) with a fixed key. The first byte
//! picks the mode:
//! - even: the rest of the input is the token. No input can carry a valid
//!   HS256 signature under a secret the fuzzer does not know, so every one
//!   must be refused with a 401, never accepted and never a panic.
//! - odd: a genuine token, with the input's bytes written over it at the
//!   positions they name. A changed token may still verify only if it says
//!   the same thing (base64 has spare bits in its last character); it must
//!   never verify as someone else.
#![no_main]

use std::sync::OnceLock;
use std::time::Duration;

use grantledger_domain::ids::{GranteeId, UserId};
use grantledger_domain::user::Role;
use grantledger_server::auth::jwt::{JwtConfig, JwtKeys};
use grantledger_server::auth::principal::Principal;
use grantledger_server::error::ApiError;
use libfuzzer_sys::fuzz_target;
use secrecy::SecretString;

struct Fixture {
    keys: JwtKeys,
    token: String,
    principal: Principal,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let config = JwtConfig {
            secret: SecretString::from("fuzz-secret-fuzz-secret-fuzz-secret-0123".to_owned()),
            key_id: "fuzz".to_owned(),
            previous_keys: vec![(
                "old".to_owned(),
                SecretString::from("old-secret-old-secret-old-secret-0123456".to_owned()),
            )],
            issuer: "grantledger".to_owned(),
            audience: "grantledger-api".to_owned(),
            ttl: Duration::from_secs(3600),
        };
        let keys = JwtKeys::new(&config, false).unwrap_or_else(|e| panic!("{e}"));
        let user = UserId::new();
        let grantee = GranteeId::new();
        let token = keys
            .issue(user, Role::Grantee, Some(grantee))
            .unwrap_or_else(|e| panic!("{e}"))
            .access_token;
        let principal = keys.verify(&token).unwrap_or_else(|e| panic!("{e}"));
        Fixture {
            keys,
            token,
            principal,
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let f = fixture();
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode % 2 == 0 {
        let token = String::from_utf8_lossy(rest);
        match f.keys.verify(&token) {
            Ok(p) => panic!("a forged token verified: {token:?} as {p:?}"),
            Err(e) => assert!(matches!(e, ApiError::Unauthorized(_)), "{e:?}"),
        }
    } else {
        let mut token = f.token.clone().into_bytes();
        for pair in rest.chunks(3) {
            let [a, b, value] = pair else { break };
            let at = usize::from(u16::from_le_bytes([*a, *b])) % (token.len() + 1);
            if at == token.len() {
                token.push(*value);
            } else if let Some(byte) = token.get_mut(at) {
                *byte = *value;
            }
        }
        let token = String::from_utf8_lossy(&token);
        match f.keys.verify(&token) {
            Ok(p) => assert_eq!(p, f.principal, "a changed token verified as someone else"),
            Err(e) => assert!(matches!(e, ApiError::Unauthorized(_)), "{e:?}"),
        }
    }
});
