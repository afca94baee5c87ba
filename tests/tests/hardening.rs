//! Findings of the attacker's review (issue 24) that are about sign-in and
//! tokens, tested as an attacker meets them: over HTTP, from several client
//! addresses (127.0.0.x), on both backends.

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use grantledger_domain::user::Role;
use grantledger_tests::{DueDiligence, PASSWORD, TestApp, api_tests, expect, tameside};
use reqwest::blocking::{Client, Response};
use serde_json::{Value, json};

/// A client whose requests come from 127.0.0.`n`.
fn client_from(n: u8) -> Client {
    Client::builder()
        .local_address(IpAddr::V4(Ipv4Addr::new(127, 0, 0, n)))
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap()
}

/// Signs in from `client`; with the right password, with the code too.
fn sign_in(app: &TestApp, client: &Client, email: &str, password: &str) -> Response {
    let body = if password == PASSWORD {
        grantledger_tests::credentials(&app.base, email, password)
    } else {
        json!({"email": email, "password": password})
    };
    client
        .post(app.url("/v1/auth/token"))
        .json(&body)
        .send()
        .unwrap()
}

/// Medium 1: five wrong passwords from five addresses no longer keep the
/// owner out; failures back off per account and address, and an address
/// that keeps failing is held back while a fresh one is not.
fn guessing_from_many_addresses_does_not_lock_the_owner_out(app: &TestApp) {
    let email = app.user_email(Role::Auditor, None);
    for n in 11..=15 {
        expect(
            sign_in(app, &client_from(n), &email, "not the password at all"),
            401,
        );
    }
    // The owner, from an address that has not been failing, gets in.
    expect(sign_in(app, &client_from(16), &email, PASSWORD), 200);

    // One address failing again and again is held back, with a wait that
    // grows; even the right password waits there.
    let guesser = client_from(17);
    for _ in 0..5 {
        expect(
            sign_in(app, &guesser, &email, "still not the password"),
            401,
        );
    }
    // Refused before the password is looked at: no code is needed.
    let refused = guesser
        .post(app.url("/v1/auth/token"))
        .json(&json!({"email": email, "password": PASSWORD}))
        .send()
        .unwrap();
    assert_eq!(refused.status().as_u16(), 429);
    let wait: u64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=30).contains(&wait), "{wait}");
    // ...while the owner elsewhere still gets in.
    expect(sign_in(app, &client_from(18), &email, PASSWORD), 200);
}

/// Medium 4: a password longer than any password can be is refused
/// before it is hashed, naming the field.
fn an_overlong_password_is_refused_without_hashing(app: &TestApp) {
    let email = app.user_email(Role::Auditor, None);
    let long = "x".repeat(1024 * 1024 - 100);
    let problem = expect(sign_in(app, &client_from(21), &email, &long), 422);
    assert_eq!(problem["errors"][0]["field"], "password", "{problem}");
    // The longest possible password is still checked (and is wrong).
    expect(
        sign_in(app, &client_from(21), &email, &"x".repeat(1024)),
        401,
    );
}

/// Medium 4: a flood of sign-ins from many addresses is bounded: beyond
/// what the hashing threads and their queue hold, sign-ins get 503 with
/// `Retry-After` at once instead of all hashing together.
fn a_sign_in_flood_is_bounded_with_503_and_retry_after(app: &TestApp) {
    let email = app.user_email(Role::Auditor, None);
    let statuses: Vec<(u16, bool)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..120u8)
            .map(|n| {
                let email = email.clone();
                scope.spawn(move || {
                    let response =
                        sign_in(app, &client_from(100 + n), &email, "a wrong password here");
                    (
                        response.status().as_u16(),
                        response.headers().contains_key("retry-after"),
                    )
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(
        statuses.iter().all(|(s, _)| *s == 401 || *s == 503),
        "{statuses:?}"
    );
    let busy: Vec<_> = statuses.iter().filter(|(s, _)| *s == 503).collect();
    assert!(!busy.is_empty(), "no sign-in was refused: {statuses:?}");
    assert!(busy.iter().all(|(_, retry)| *retry), "{statuses:?}");
    // Afterwards sign-in works as ever.
    expect(sign_in(app, &client_from(250), &email, PASSWORD), 200);
}

fn change_user(app: &TestApp, admin: &str, id: &str, changes: &Value) {
    let path = format!("/v1/users/{id}");
    let current = app.get(&path, Some(admin));
    let etag = current.headers()["etag"].to_str().unwrap().to_owned();
    expect(app.patch(&path, Some(admin), Some(&etag), changes), 200);
}

/// Medium 2: a token stops working as soon as its user is disabled, moved
/// to another organisation or given another role.
fn a_token_no_longer_acts_once_its_user_changes(app: &TestApp) {
    let admin = app.admin();
    let round = app.small_round(&admin, "STALE", "Stale Fund");
    let applications = format!("/v1/rounds/{}/applications", round.id);
    let first = app
        .grantee(&admin, tameside("First Group"), DueDiligence::NotDone)
        .id;
    let second = app
        .grantee(&admin, tameside("Second Group"), DueDiligence::NotDone)
        .id;
    let application = json!({
        "amount_requested": "500.00", "project_title": "Walks", "summary": "Weekly walks"
    });

    // Moved to another organisation: the old token cannot act for either.
    let email = format!("moved-{}@example.org", uuid::Uuid::now_v7().simple());
    let user = expect(
        app.post(
            "/v1/users",
            Some(&admin),
            &json!({"email": email, "password": PASSWORD, "role": "grantee", "grantee_id": first}),
        ),
        201,
    );
    let user_id = user["id"].as_str().unwrap();
    let token = app.login(&email, PASSWORD);
    expect(app.post(&applications, Some(&token), &application), 201);
    change_user(app, &admin, user_id, &json!({"grantee_id": second}));
    let problem = expect(app.post(&applications, Some(&token), &application), 401);
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("sign in again"),
        "{problem}"
    );
    expect(app.get("/v1/me", Some(&token)), 401);
    // A fresh sign-in acts for the new organisation.
    let fresh = app.login(&email, PASSWORD);
    let created = expect(app.post(&applications, Some(&fresh), &application), 201);
    assert_eq!(created["grantee_id"], second.as_str());

    // Disabled: nothing works with any token.
    change_user(app, &admin, user_id, &json!({"disabled": true}));
    expect(app.post(&applications, Some(&fresh), &application), 401);
    expect(app.get("/v1/me", Some(&fresh)), 401);

    // Another role: an administrator made auditor cannot create funds with
    // the old token.
    let email = format!("demoted-{}@example.org", uuid::Uuid::now_v7().simple());
    let user = expect(
        app.post(
            "/v1/users",
            Some(&admin),
            &json!({"email": email, "password": PASSWORD, "role": "admin"}),
        ),
        201,
    );
    app.enrol(&email);
    let token = app.login(&email, PASSWORD);
    change_user(
        app,
        &admin,
        user["id"].as_str().unwrap(),
        &json!({"role": "auditor"}),
    );
    let fund = json!({"code": "STALE2", "name": "Stale Fund 2", "budget": "10.00"});
    expect(app.post("/v1/funds", Some(&token), &fund), 401);
    // Unchanged users' tokens keep working.
    expect(app.get("/v1/funds", Some(&admin)), 200);
}

api_tests!(
    guessing_from_many_addresses_does_not_lock_the_owner_out,
    an_overlong_password_is_refused_without_hashing,
    a_sign_in_flood_is_bounded_with_503_and_retry_after,
    a_token_no_longer_acts_once_its_user_changes,
);
