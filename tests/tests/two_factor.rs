//! Two-factor sign-in (issue 18), over HTTP on both backends: staff cannot
//! get a token or use the portal until it is on; the token endpoint and
//! the portal's code page take a code once only, or a recovery code once;
//! grantees may turn it on and off; an administrator's reset ends the
//! user's tokens and sessions at once; two racing sign-ins with one code
//! cannot both win.

use grantledger_domain::two_factor::{Authenticator, TotpSecret, step_at};
use grantledger_domain::user::Role;
use grantledger_store::outbox::{self, Status};
use grantledger_tests::portal::Visitor;
use grantledger_tests::{DueDiligence, PASSWORD, TestApp, api_tests, expect, tameside};
use serde_json::{Value, json};

fn grantee_user(app: &TestApp) -> String {
    let admin = app.admin();
    let g = app.grantee(
        &admin,
        tameside("Two Factor Lunch Club"),
        DueDiligence::NotDone,
    );
    app.user_email(
        Role::Grantee,
        Some(g.id.parse::<uuid::Uuid>().unwrap().into()),
    )
}

fn token_request(app: &TestApp, email: &str, code: Option<&str>) -> reqwest::blocking::Response {
    let mut body = json!({"email": email, "password": PASSWORD});
    if let Some(code) = code {
        body["code"] = json!(code);
    }
    app.post("/v1/auth/token", None, &body)
}

fn problem_type(response: reqwest::blocking::Response) -> String {
    let body: Value = response.json().unwrap();
    body["type"].as_str().unwrap_or_default().to_owned()
}

fn subjects_to(app: &TestApp, to: &str) -> Vec<String> {
    app.db
        .db
        .read(|c| outbox::list(c, Status::Pending, 500))
        .unwrap()
        .into_iter()
        .filter(|m| m.to_address == to)
        .map(|m| m.subject)
        .collect()
}

/// A code for `secret` that is not the one an authenticator just gave.
fn wrong_code(secret: &TotpSecret) -> String {
    let now = step_at(chrono::Utc::now());
    let valid: Vec<String> = (now - 1..=now + 1)
        .map(|s| secret.code_for_step(s))
        .collect();
    (0..1_000_000)
        .map(|n| format!("{n:06}"))
        .find(|c| !valid.contains(c))
        .unwrap()
}

/// Sets up two-factor through the API for a signed-in user; returns their
/// authenticator and recovery codes.
fn enrol_over_api(app: &TestApp, token: &str) -> (Authenticator, TotpSecret, Vec<String>) {
    let started = expect(app.post("/v1/me/two-factor", Some(token), &json!({})), 200);
    let secret = TotpSecret::parse(started["secret"].as_str().unwrap()).unwrap();
    assert!(
        started["otpauth_url"]
            .as_str()
            .unwrap()
            .starts_with("otpauth://totp/grantledger:")
    );
    assert!(started["qr_svg"].as_str().unwrap().contains("<svg"));
    let wrong = app.post(
        "/v1/me/two-factor/confirm",
        Some(token),
        &json!({"code": wrong_code(&secret)}),
    );
    assert_eq!(wrong.status(), 422);
    let phone = Authenticator::new(secret.clone());
    let confirmed = expect(
        app.post(
            "/v1/me/two-factor/confirm",
            Some(token),
            &json!({"code": phone.code()}),
        ),
        200,
    );
    let codes: Vec<String> = confirmed["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(codes.len(), 10);
    (phone, secret, codes)
}

fn staff_get_no_token_until_two_factor_is_on(app: &TestApp) {
    let email = app.staff_without_two_factor(Role::Assessor);
    let refused = token_request(app, &email, None);
    assert_eq!(refused.status(), 403);
    assert!(problem_type(refused).ends_with("/two-factor-setup-required"));

    // The portal lets them in only as far as setting it up.
    let mut v = Visitor::new(app);
    let answer = v.sign_in_with(&email, PASSWORD);
    assert_eq!(answer.expect(303).location(), "/account/two-factor");
    assert_eq!(v.get("/").expect(303).location(), "/account/two-factor");
    assert_eq!(
        v.get("/account/password").expect(303).location(),
        "/account/two-factor"
    );
    let page = v.get("/account/two-factor").expect(200);
    assert!(page.body.contains("must sign in with a code"));
    let csrf = page.csrf();
    v.post("/account/two-factor/start", &[("csrf", &csrf)])
        .expect(303);
    let page = v.get("/account/two-factor").expect(200);
    assert!(page.body.contains("<svg"), "the QR code");
    let key = grantledger_tests::portal::value_after(&page.body, "id=\"secret\">")
        .map(|k| k.split('<').next().unwrap_or_default().to_owned())
        .unwrap();
    let secret = TotpSecret::parse(&key).unwrap();
    let wrong = v.post(
        "/account/two-factor/confirm",
        &[("code", &wrong_code(&secret)), ("csrf", &csrf)],
    );
    assert_eq!(wrong.status, 422);
    assert!(wrong.body.contains("The code is wrong") || wrong.body.contains("wrong"));
    let phone = Authenticator::new(secret.clone());
    let done = v
        .post(
            "/account/two-factor/confirm",
            &[("code", &phone.code()), ("csrf", &csrf)],
        )
        .expect(200);
    assert!(done.body.contains("Your recovery codes"));
    v.get("/").expect(200);
    assert!(
        subjects_to(app, &email)
            .iter()
            .any(|s| s == "Two-factor sign-in is on for your account")
    );

    // Now the token needs the code; each code works once.
    let missing = token_request(app, &email, None);
    assert_eq!(missing.status(), 401);
    assert!(problem_type(missing).ends_with("/two-factor-required"));
    let wrong = token_request(app, &email, Some(&wrong_code(&secret)));
    assert_eq!(wrong.status(), 401);
    let code = phone.code();
    expect(token_request(app, &email, Some(&code)), 200);
    let again = token_request(app, &email, Some(&code));
    assert_eq!(again.status(), 401, "a code is never accepted twice");
}

fn the_portal_asks_for_the_code_after_the_password(app: &TestApp) {
    let email = app.user_email(Role::Admin, None);
    let mut v = Visitor::new(app);
    let form = v.get("/sign-in").expect(200);
    let csrf = form.csrf();
    let answer = v.post(
        "/sign-in",
        &[
            ("email", &email),
            ("password", PASSWORD),
            ("csrf", &csrf),
            ("next", "/funds"),
        ],
    );
    let to = answer.expect(303).location().to_owned();
    assert!(to.starts_with("/sign-in/code"), "{to}");
    // Owing the code, no page but the code page opens.
    assert!(
        v.get("/")
            .expect(303)
            .location()
            .starts_with("/sign-in/code")
    );
    assert!(
        v.get("/account/two-factor")
            .expect(303)
            .location()
            .starts_with("/sign-in/code")
    );
    let page = v.get(&to).expect(200);
    let csrf = page.csrf();
    let wrong = v.post(
        "/sign-in/code",
        &[("code", "12345"), ("csrf", &csrf), ("next", "/funds")],
    );
    assert_eq!(wrong.status, 401);
    assert!(wrong.body.contains("6 digits"));
    let right = v.give_code(&to, &app.code_for(&email).unwrap());
    assert_eq!(right.expect(303).location(), "/funds");
    v.get("/").expect(200);
}

fn a_recovery_code_signs_in_once(app: &TestApp) {
    let email = grantee_user(app);
    let token = app.login(&email, PASSWORD);
    let (_phone, _secret, codes) = enrol_over_api(app, &token);
    let status = expect(app.get("/v1/me/two-factor", Some(&token)), 200);
    assert_eq!(status["enabled"], json!(true));
    assert_eq!(status["required"], json!(false));
    assert_eq!(status["recovery_codes_left"], json!(10));
    let typed = codes[3].to_uppercase().replace('-', " ");
    expect(token_request(app, &email, Some(&typed)), 200);
    let again = token_request(app, &email, Some(&codes[3]));
    assert_eq!(again.status(), 401, "a recovery code is used up");
    let status = expect(app.get("/v1/me/two-factor", Some(&token)), 200);
    assert_eq!(status["recovery_codes_left"], json!(9));

    // New codes: the old ones stop working, and the user is told.
    let renewed = expect(
        app.post(
            "/v1/me/two-factor/recovery-codes",
            Some(&token),
            &json!({"code": codes[4]}),
        ),
        200,
    );
    assert_eq!(renewed["recovery_codes"].as_array().unwrap().len(), 10);
    assert_eq!(token_request(app, &email, Some(&codes[5])).status(), 401);
    let fresh = renewed["recovery_codes"][0].as_str().unwrap();
    expect(token_request(app, &email, Some(fresh)), 200);
    assert!(
        subjects_to(app, &email)
            .iter()
            .any(|s| s == "New recovery codes for your account")
    );
}

fn grantees_may_turn_it_off_and_staff_may_not(app: &TestApp) {
    let email = grantee_user(app);
    let token = app.login(&email, PASSWORD);
    let (phone, secret, _) = enrol_over_api(app, &token);
    assert_eq!(token_request(app, &email, None).status(), 401);
    let wrong = app.post(
        "/v1/me/two-factor/turn-off",
        Some(&token),
        &json!({"code": wrong_code(&secret)}),
    );
    assert_eq!(wrong.status(), 422);
    let off = app.post(
        "/v1/me/two-factor/turn-off",
        Some(&token),
        &json!({"code": phone.code()}),
    );
    assert_eq!(off.status(), 204);
    expect(token_request(app, &email, None), 200);
    assert!(
        subjects_to(app, &email)
            .iter()
            .any(|s| s == "Two-factor sign-in is off for your account")
    );

    let admin_email = app.user_email(Role::Admin, None);
    let admin = app.login(&admin_email, PASSWORD);
    let refused = app.post(
        "/v1/me/two-factor/turn-off",
        Some(&admin),
        &json!({"code": app.code_for(&admin_email).unwrap()}),
    );
    assert_eq!(refused.status(), 403);
    expect(
        token_request(
            app,
            &admin_email,
            Some(&app.code_for(&admin_email).unwrap()),
        ),
        200,
    );
}

fn an_administrators_reset_ends_the_users_tokens_and_sessions(app: &TestApp) {
    let admin = app.admin();
    let email = app.user_email(Role::Auditor, None);
    let token = app.login(&email, PASSWORD);
    let mut v = Visitor::new(app);
    v.sign_in(&email);
    v.get("/").expect(200);
    let me = expect(app.get("/v1/me", Some(&token)), 200);
    let id = me["id"].as_str().unwrap().to_owned();

    let reset = app.request(
        "DELETE",
        &format!("/v1/users/{id}/two-factor"),
        Some(&admin),
        None,
    );
    assert_eq!(reset.status(), 204);
    assert_eq!(app.get("/v1/me", Some(&token)).status(), 401);
    assert_eq!(v.get("/").status, 303);
    assert!(
        subjects_to(app, &email)
            .iter()
            .any(|s| s == "Your two-factor sign-in was reset")
    );
    // Staff must set it up again before they get a token.
    assert_eq!(token_request(app, &email, None).status(), 403);
    let twice = app.request(
        "DELETE",
        &format!("/v1/users/{id}/two-factor"),
        Some(&admin),
        None,
    );
    assert_eq!(twice.status(), 409);
}

fn two_sign_ins_racing_with_one_code_cannot_both_win(app: &TestApp) {
    let email = app.user_email(Role::Admin, None);
    let code = app.code_for(&email).unwrap();
    let statuses: Vec<u16> = std::thread::scope(|s| {
        let racers: Vec<_> = (0..4)
            .map(|_| s.spawn(|| token_request(app, &email, Some(&code)).status().as_u16()))
            .collect();
        racers.into_iter().map(|r| r.join().unwrap()).collect()
    });
    assert_eq!(
        statuses.iter().filter(|&&s| s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|&s| s == 200 || s == 401),
        "{statuses:?}"
    );
}

api_tests!(
    staff_get_no_token_until_two_factor_is_on,
    the_portal_asks_for_the_code_after_the_password,
    a_recovery_code_signs_in_once,
    grantees_may_turn_it_off_and_staff_may_not,
    an_administrators_reset_ends_the_users_tokens_and_sessions,
    two_sign_ins_racing_with_one_code_cannot_both_win,
);
