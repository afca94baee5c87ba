//! Accounts people manage themselves (issue 18), over HTTP on both
//! backends: invitations by administrators and organisation owners, the
//! single-use set-password link (used, expired, unknown), password resets
//! that tell nobody whether an address has an account, changing your own
//! password, and revocation at once of sessions and tokens.

use chrono::{TimeDelta, Utc};
use grantledger_domain::ids::GranteeId;
use grantledger_domain::user::{Email, LinkPurpose, Role};
use grantledger_server::operations::accounts::{new_token, token_hash};
use grantledger_store::outbox::{self, Status};
use grantledger_store::{user_tokens, users};
use grantledger_tests::portal::Visitor;
use grantledger_tests::{DueDiligence, PASSWORD, TestApp, api_tests, expect, tameside};
use serde_json::{Value, json};

const NEW_PASSWORD: &str = "a brand new long password";

/// The messages waiting in the outbox for `to`.
fn mail_to(app: &TestApp, to: &str) -> Vec<outbox::Message> {
    app.db
        .db
        .read(|c| outbox::list(c, Status::Pending, 500))
        .unwrap()
        .into_iter()
        .filter(|m| m.to_address == to)
        .collect()
}

/// The set-password path in the last message to `to`.
fn link_path(app: &TestApp, to: &str) -> String {
    let messages = mail_to(app, to);
    let text = &messages.last().expect("a message").text_body;
    let start = text.find("/set-password/").expect("a link");
    text[start..].split_whitespace().next().unwrap().to_owned()
}

fn grantee_id(app: &TestApp, admin: &str, name: &str) -> GranteeId {
    let g = app.grantee(admin, tameside(name), DueDiligence::NotDone);
    g.id.parse::<uuid::Uuid>().unwrap().into()
}

fn invite(app: &TestApp, token: &str, body: &Value) -> reqwest::blocking::Response {
    app.post("/v1/users/invitations", Some(token), body)
}

/// Sets a password through the link's page; returns the post's answer.
fn set_password(v: &mut Visitor, path: &str, password: &str) -> grantledger_tests::portal::Page {
    let form = v.get(path).expect(200);
    let csrf = form.csrf();
    v.post(path, &[("password", password), ("csrf", &csrf)])
}

fn an_admin_invites_and_the_link_sets_a_password_once(app: &TestApp) {
    let admin = app.admin();
    let g = grantee_id(app, &admin, "Invited Lunch Club");
    let email = format!("new-{}@example.org", uuid::Uuid::now_v7().simple());
    let made = expect(
        invite(
            app,
            &admin,
            &json!({"email": email, "role": "grantee", "grantee_id": g}),
        ),
        201,
    );
    assert_eq!(made["role"], "grantee");
    // No usable password yet.
    let refused = app.post(
        "/v1/auth/token",
        None,
        &json!({"email": email, "password": PASSWORD}),
    );
    assert_eq!(refused.status(), 401);
    let messages = mail_to(app, &email);
    assert_eq!(messages.len(), 1);
    let text = &messages[0].text_body;
    assert!(text.contains("Invited Lunch Club"), "{text}");
    assert!(text.contains("7 days"), "{text}");
    let path = link_path(app, &email);
    assert_eq!(path.len(), "/set-password/".len() + 43, "{path}");

    let mut v = Visitor::new(app);
    let weak = {
        let form = v.get(&path).expect(200);
        assert!(form.body.contains(&email));
        let csrf = form.csrf();
        v.post(&path, &[("password", "short"), ("csrf", &csrf)])
    };
    assert_eq!(weak.status, 422, "{}", weak.body);
    let common = set_password(&mut v, &path, "Password1234");
    assert_eq!(common.status, 422, "{}", common.body);
    assert!(common.body.contains("too common"), "{}", common.body);
    let done = set_password(&mut v, &path, NEW_PASSWORD).expect(303);
    assert!(done.location().starts_with('/'));
    // Signed in by setting it.
    let home = v.get("/").expect(200);
    assert!(home.body.contains(&email));
    app.login(&email, NEW_PASSWORD);

    // Used: refused in words, 410, never a 500.
    let mut again = Visitor::new(app);
    let used = again.get(&path);
    assert_eq!(used.status, 410);
    assert!(used.body.contains("already been used"));
    let posted = again.post(&path, &[("password", NEW_PASSWORD), ("csrf", "x")]);
    assert!(posted.status < 500, "{}", posted.status);
    // Unknown: 404.
    let unknown = again.get(&format!("/set-password/{}", new_token()));
    assert_eq!(unknown.status, 404);
    assert!(unknown.body.contains("not valid"));
    assert_eq!(again.get("/set-password/short").status, 404);

    // The invitation and its acceptance are in the audit trail.
    let events = expect(app.get("/v1/audit-events?limit=500", Some(&admin)), 200);
    let actions: Vec<&str> = events["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert!(actions.contains(&"user.invited"), "{actions:?}");
    assert!(actions.contains(&"user.invitation_accepted"), "{actions:?}");
}

fn an_expired_link_is_refused(app: &TestApp) {
    let admin = app.admin();
    let email = app.user_email(Role::Auditor, None);
    let token = new_token();
    let user = app
        .db
        .db
        .read(|c| users::find_for_login(c, &Email::parse(&email).unwrap()))
        .unwrap()
        .unwrap()
        .0
        .value;
    let now = Utc::now();
    app.db
        .db
        .write(|c| {
            user_tokens::create(
                c,
                user.id,
                LinkPurpose::PasswordReset,
                &token_hash(&token),
                now - TimeDelta::seconds(1),
                now - TimeDelta::hours(1),
            )
        })
        .unwrap();
    let mut v = Visitor::new(app);
    let path = format!("/set-password/{token}");
    let page = v.get(&path);
    assert_eq!(page.status, 410);
    assert!(page.body.contains("expired"));
    let _ = admin;
    // Posting to it changes nothing.
    let form = v.get("/forgot-password").expect(200);
    let csrf = form.csrf();
    let posted = v.post(&path, &[("password", NEW_PASSWORD), ("csrf", &csrf)]);
    assert_eq!(posted.status, 410);
    app.login(&email, PASSWORD);
}

fn owners_invite_and_remove_colleagues_of_their_own_organisation_only(app: &TestApp) {
    let admin = app.admin();
    let ours = grantee_id(app, &admin, "Ours");
    let theirs = grantee_id(app, &admin, "Theirs");
    let owner_email = app.user_email(Role::Grantee, Some(ours));
    let owner = app.login(&owner_email, PASSWORD);
    let colleague_email = app.user_email(Role::Grantee, Some(ours));
    let colleague = app.login(&colleague_email, PASSWORD);
    let fresh = || format!("c-{}@example.org", uuid::Uuid::now_v7().simple());

    // The owner invites into their own organisation (by default too).
    let invited = expect(
        invite(app, &owner, &json!({"email": fresh(), "role": "grantee"})),
        201,
    );
    assert_eq!(invited["grantee_id"], json!(ours));
    // Not into another organisation, nor staff roles.
    let other = invite(
        app,
        &owner,
        &json!({"email": fresh(), "role": "grantee", "grantee_id": theirs}),
    );
    assert_eq!(other.status(), 404);
    let staff = invite(app, &owner, &json!({"email": fresh(), "role": "admin"}));
    assert_eq!(staff.status(), 403);
    // A colleague who is not the owner cannot invite at all.
    let not_owner = invite(
        app,
        &colleague,
        &json!({"email": fresh(), "role": "grantee"}),
    );
    assert_eq!(not_owner.status(), 403);
    // Assessors and auditors cannot either.
    let auditor = app.auditor();
    assert_eq!(
        invite(
            app,
            &auditor,
            &json!({"email": fresh(), "role": "grantee", "grantee_id": ours})
        )
        .status(),
        403
    );

    // Through the portal: the owner removes the colleague, whose token
    // stops working on its next request.
    let mut v = Visitor::new(app);
    v.sign_in(&owner_email);
    let page = v.get("/organisation/users").expect(200);
    assert!(page.body.contains(&colleague_email));
    let colleague_id = expect(app.get("/v1/me", Some(&colleague)), 200)["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let csrf = page.csrf();
    v.post(
        &format!("/organisation/users/{colleague_id}/remove"),
        &[("csrf", &csrf)],
    )
    .expect(303);
    assert_eq!(app.get("/v1/me", Some(&colleague)).status(), 401);
    // A user of another organisation is not theirs to remove.
    let stranger_email = app.user_email(Role::Grantee, Some(theirs));
    let stranger = app.login(&stranger_email, PASSWORD);
    let stranger_id = expect(app.get("/v1/me", Some(&stranger)), 200)["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let removed = v.post(
        &format!("/organisation/users/{stranger_id}/remove"),
        &[("csrf", &csrf)],
    );
    assert_eq!(removed.status, 404);
    assert_eq!(app.get("/v1/me", Some(&stranger)).status(), 200);
    // The colleague cannot open the owner's page.
    let mut c = Visitor::new(app);
    c.sign_in(&stranger_email);
    let _ = c.get("/organisation/users").expect(200);
    let second = app.user_email(Role::Grantee, Some(theirs));
    let mut s = Visitor::new(app);
    s.sign_in(&second);
    assert_eq!(s.get("/organisation/users").status, 403);
}

fn a_reset_answers_the_same_for_every_address(app: &TestApp) {
    let email = app.user_email(Role::Assessor, None);
    let known = app.post("/v1/auth/password-reset", None, &json!({"email": email}));
    let unknown = app.post(
        "/v1/auth/password-reset",
        None,
        &json!({"email": "nobody-at-all@example.org"}),
    );
    assert_eq!(known.status(), 202);
    assert_eq!(unknown.status(), 202);
    assert_eq!(known.text().unwrap(), unknown.text().unwrap());
    assert!(mail_to(app, "nobody-at-all@example.org").is_empty());
    let path = link_path(app, &email);
    assert!(mail_to(app, &email)[0].text_body.contains("1 hour"));

    // The portal's form answers the same way.
    let mut v = Visitor::new(app);
    let form = v.get("/forgot-password").expect(200);
    let csrf = form.csrf();
    let a = v.post(
        "/forgot-password",
        &[("email", "x-nobody@example.org"), ("csrf", &csrf)],
    );
    assert_eq!(a.expect(303).location(), "/forgot-password?sent=1");

    // The link sets a new password; the old password and tokens stop.
    let old = app.login(&email, PASSWORD);
    let mut r = Visitor::new(app);
    set_password(&mut r, &path, NEW_PASSWORD).expect(303);
    assert_eq!(app.get("/v1/me", Some(&old)).status(), 401);
    let refused = app.post(
        "/v1/auth/token",
        None,
        &json!({"email": email, "password": PASSWORD}),
    );
    assert_eq!(refused.status(), 401);
    app.login(&email, NEW_PASSWORD);
}

fn changing_your_password_ends_every_session_and_older_token(app: &TestApp) {
    let email = app.user_email(Role::Auditor, None);
    let before = app.login(&email, PASSWORD);
    let mut elsewhere = Visitor::new(app);
    elsewhere.sign_in(&email);
    elsewhere.get("/").expect(200);

    let wrong = app.request(
        "PUT",
        "/v1/me/password",
        Some(&before),
        Some(&json!({"current_password": "not it at all", "new_password": NEW_PASSWORD})),
    );
    assert_eq!(wrong.status(), 422);
    let weak = app.request(
        "PUT",
        "/v1/me/password",
        Some(&before),
        Some(&json!({"current_password": PASSWORD, "new_password": "short"})),
    );
    assert_eq!(weak.status(), 422);
    let changed = expect(
        app.request(
            "PUT",
            "/v1/me/password",
            Some(&before),
            Some(&json!({"current_password": PASSWORD, "new_password": NEW_PASSWORD})),
        ),
        200,
    );
    let after = changed["access_token"].as_str().unwrap();
    // The token issued before the change is refused; the new one works.
    assert_eq!(app.get("/v1/me", Some(&before)).status(), 401);
    expect(app.get("/v1/me", Some(after)), 200);
    // The other browser's session has ended.
    assert_eq!(elsewhere.get("/").status, 303);

    // Through the portal, the browser that changes it stays signed in.
    let mut v = Visitor::new(app);
    let page = v.sign_in_with(&email, NEW_PASSWORD).expect(303);
    let _ = page;
    let form = v.get("/account/password").expect(200);
    let csrf = form.csrf();
    v.post(
        "/account/password",
        &[
            ("current_password", NEW_PASSWORD),
            ("new_password", PASSWORD),
            ("csrf", &csrf),
        ],
    )
    .expect(303);
    assert!(
        v.get("/account/password?changed=1")
            .expect(200)
            .body
            .contains("has been changed")
    );
    assert_eq!(app.get("/v1/me", Some(after)).status(), 401);
}

fn signing_out_everywhere_and_disabling_end_tokens_at_once(app: &TestApp) {
    let admin = app.admin();
    let email = app.user_email(Role::Assessor, None);
    let one = app.login(&email, PASSWORD);
    let two = app.login(&email, PASSWORD);
    let mut v = Visitor::new(app);
    v.sign_in(&email);
    let resp = app.post("/v1/me/sign-out-everywhere", Some(&one), &json!({}));
    assert_eq!(resp.status(), 204);
    assert_eq!(app.get("/v1/me", Some(&one)).status(), 401);
    assert_eq!(app.get("/v1/me", Some(&two)).status(), 401);
    assert_eq!(v.get("/").status, 303);
    // A token issued afterwards works.
    let three = app.login(&email, PASSWORD);
    let me = expect(app.get("/v1/me", Some(&three)), 200);

    // Disabled: the token is refused on the very next request.
    let id = me["id"].as_str().unwrap();
    let resp = app
        .client
        .patch(app.url(&format!("/v1/users/{id}")))
        .bearer_auth(&admin)
        .header("If-Match", format!("\"{}\"", me["version"]))
        .json(&json!({"disabled": true}))
        .send()
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(app.get("/v1/me", Some(&three)).status(), 401);

    // The portal's button signs this browser out too.
    let email = app.user_email(Role::Auditor, None);
    let token = app.login(&email, PASSWORD);
    let mut w = Visitor::new(app);
    w.sign_in(&email);
    let form = w.get("/account/password").expect(200);
    let csrf = form.csrf();
    w.post("/account/sign-out-everywhere", &[("csrf", &csrf)])
        .expect(303);
    assert_eq!(w.get("/").status, 303);
    assert_eq!(app.get("/v1/me", Some(&token)).status(), 401);
}

fn an_administrator_invites_through_the_portal(app: &TestApp) {
    let email = app.user_email(Role::Admin, None);
    let mut v = Visitor::new(app);
    v.sign_in(&email);
    let page = v.get("/users").expect(200);
    assert!(page.body.contains(&email));
    let to = format!("p-{}@example.org", uuid::Uuid::now_v7().simple());
    let done = v
        .submit(
            "/users",
            "/users/invite",
            &[("email", &to), ("role", "assessor")],
        )
        .expect(303);
    assert!(done.location().starts_with("/users?invited="));
    assert!(v.get("/users").expect(200).body.contains(&to));
    assert_eq!(mail_to(app, &to).len(), 1);
    let bad = v.submit(
        "/users",
        "/users/invite",
        &[("email", "nope"), ("role", "assessor")],
    );
    assert_eq!(bad.status, 422);
    // Nobody else opens the page.
    let auditor = app.user_email(Role::Auditor, None);
    let mut a = Visitor::new(app);
    a.sign_in(&auditor);
    assert_eq!(a.get("/users").status, 403);
}

api_tests!(
    an_admin_invites_and_the_link_sets_a_password_once,
    an_expired_link_is_refused,
    owners_invite_and_remove_colleagues_of_their_own_organisation_only,
    a_reset_answers_the_same_for_every_address,
    changing_your_password_ends_every_session_and_older_token,
    signing_out_everywhere_and_disabling_end_tokens_at_once,
    an_administrator_invites_through_the_portal,
);
