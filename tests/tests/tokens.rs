//! Bearer tokens: every way a token can be wrong answers 401.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use grantledger_domain::user::Role;
use grantledger_tests::{TEST_SECRET, TestApp, api_tests, expect};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn claims(user: &str) -> Value {
    let t = now();
    json!({
        "sub": user, "role": "auditor", "grantee": null, "iss": "grantledger", "aud": "grantledger-api",
        "exp": t + 600, "iat": t, "nbf": t, "jti": uuid::Uuid::now_v7()
    })
}

fn sign(claims: &Value, secret: &str, kid: Option<&str>) -> String {
    let mut header = Header::new(Algorithm::HS256);
    header.kid = kid.map(str::to_owned);
    jsonwebtoken::encode(
        &header,
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

fn status(app: &TestApp, token: &str) -> u16 {
    app.get("/v1/me", Some(token)).status().as_u16()
}

fn bad_tokens_are_all_refused(app: &TestApp) {
    let good = app.user(Role::Auditor, None);
    let me = expect(app.get("/v1/me", Some(&good)), 200);
    let user = me["id"].as_str().unwrap();
    let kid = Some("test-key");

    // A token forged correctly with the server's key works: the cases below
    // fail for their one flaw, not for some other difference.
    assert_eq!(status(app, &sign(&claims(user), TEST_SECRET, kid)), 200);

    let mut expired = claims(user);
    expired["exp"] = json!(now() - 120);
    expired["iat"] = json!(now() - 1000);
    expired["nbf"] = json!(now() - 1000);
    let mut not_yet = claims(user);
    not_yet["nbf"] = json!(now() + 600);
    let mut wrong_audience = claims(user);
    wrong_audience["aud"] = json!("someone-else");
    let mut wrong_issuer = claims(user);
    wrong_issuer["iss"] = json!("evil");
    let cases = [
        ("expired", sign(&expired, TEST_SECRET, kid)),
        ("not yet valid", sign(&not_yet, TEST_SECRET, kid)),
        ("wrong audience", sign(&wrong_audience, TEST_SECRET, kid)),
        ("wrong issuer", sign(&wrong_issuer, TEST_SECRET, kid)),
        (
            "wrong key",
            sign(
                &claims(user),
                "another-secret-another-secret-another-secret",
                kid,
            ),
        ),
        (
            "unknown key id",
            sign(&claims(user), TEST_SECRET, Some("other-key")),
        ),
        ("no key id", sign(&claims(user), TEST_SECRET, None)),
    ];
    for (what, token) in cases {
        assert_eq!(status(app, &token), 401, "{what}");
    }

    // alg: none, with the claims of a valid token and no signature.
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT","kid":"test-key"}"#);
    let payload = URL_SAFE_NO_PAD.encode(claims(user).to_string());
    assert_eq!(
        status(app, &format!("{header}.{payload}.")),
        401,
        "alg none"
    );

    // A real token whose payload is changed (auditor → admin) keeps its old signature.
    let parts: Vec<&str> = good.split('.').collect();
    let mut payload: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    assert_eq!(payload["role"], "auditor");
    payload["role"] = json!("admin");
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(payload.to_string()),
        parts[2]
    );
    assert_eq!(status(app, &tampered), 401, "tampered payload");

    // Missing or malformed Authorization headers.
    let missing = expect(app.get("/v1/me", None), 401);
    assert_eq!(missing["type"], "/problems/unauthorized");
    for header in [
        "Basic dXNlcjpwYXNz",
        "Bearer",
        "Bearer not.a.jwt",
        "Token abc",
    ] {
        let response = app
            .client
            .get(app.url("/v1/me"))
            .header("Authorization", header)
            .send()
            .unwrap();
        assert_eq!(response.status().as_u16(), 401, "{header}");
        assert!(response.headers().get("www-authenticate").is_some());
    }
}

api_tests!(bad_tokens_are_all_refused);
