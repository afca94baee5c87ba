//! The portal's pages over HTTP, on both backends: sessions and their
//! cookies, CSRF, escaping of everything a grantee types, another
//! organisation's records, who may open which page, and every grantee
//! journey from sign-in to an evaluation return fixed after review.

use diesel::prelude::*;
use grantledger_domain::ids::GranteeId;
use grantledger_domain::user::Role;
use grantledger_tests::portal::{Visitor, value_after};
use grantledger_tests::{DueDiligence, Grantee, Round, TestApp, api_tests, expect, tameside};
use serde_json::json;

/// A round open now, a grantee with a user of its own, and that user's email.
fn set_up(app: &TestApp) -> (Round, Grantee, String) {
    let admin = app.admin();
    let fund = app.fund(&admin, "100000.00");
    let round = app.open_round(&fund, "50000.00", ("300.00", "2500.00"));
    let grantee = app.grantee(
        &admin,
        tameside("Tameside Lunch Club"),
        DueDiligence::Passed,
    );
    let (grantee, email) = grantee.with_user_email(app);
    (round, grantee, email)
}

fn cookie_flags_are_strict_and_sessions_are_new_at_sign_in(app: &TestApp) {
    let (_, _, email) = set_up(app);
    let mut v = Visitor::new(app);
    let form = v.get("/sign-in").expect(200);
    let pre = form
        .set_cookie("__Host-sign-in")
        .expect("a sign-in token cookie");
    for flag in ["Secure", "HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(pre.contains(flag), "{flag} missing from {pre}");
    }
    assert!(!pre.contains("Domain"), "{pre}");
    assert_eq!(form.header("cache-control"), "no-store");
    let csp = form.header("content-security-policy");
    assert!(
        csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert!(form.body.contains("<title>Sign in – grantledger</title>"));

    // A session id planted before sign-in is never the one signed in.
    v.cookies.insert("__Host-session".into(), "a".repeat(64));
    let signed = v
        .sign_in_with(&email, grantledger_tests::PASSWORD)
        .expect(303);
    assert_eq!(signed.location(), "/");
    let session = signed
        .set_cookie("__Host-session")
        .expect("a session cookie");
    for flag in ["Secure", "HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(session.contains(flag), "{flag} missing from {session}");
    }
    let id = v.cookies["__Host-session"].clone();
    assert_ne!(id, "a".repeat(64));
    assert_eq!(id.len(), 64);
    let home = v.get("/").expect(200);
    assert!(home.body.contains("Tameside Lunch Club"));
    assert_eq!(home.header("cache-control"), "no-store");

    // The planted id, alone, signs nobody in.
    let mut other = Visitor::new(app);
    other
        .cookies
        .insert("__Host-session".into(), "a".repeat(64));
    assert_eq!(
        other.get("/organisation").expect(303).location(),
        "/sign-in?next=%2Forganisation"
    );
}

fn wrong_passwords_are_refused_in_words(app: &TestApp) {
    let (_, _, email) = set_up(app);
    let mut v = Visitor::new(app);
    let page = v.sign_in_with(&email, "not the password").expect(401);
    assert!(page.body.contains("There is a problem"));
    assert!(
        page.body
            .contains("The email address or password is not right")
    );
    assert!(
        page.body
            .contains("<title>Error: Sign in – grantledger</title>")
    );
    assert!(!v.cookies.contains_key("__Host-session"));
    let empty = v.sign_in_with("", "").expect(422);
    assert!(empty.body.contains("Enter your email address"));
    assert!(empty.body.contains("href=\"#password\""));
}

fn forms_without_the_token_or_from_another_site_change_nothing(app: &TestApp) {
    let (round, grantee, email) = set_up(app);
    let mut v = Visitor::new(app);
    v.sign_in(&email);
    let apply = format!("/rounds/{}/apply", round.id);
    let fields = [
        ("project_title", "Lunch club"),
        ("summary", "Weekly lunches."),
        ("amount_requested", "1000.00"),
    ];
    assert_eq!(v.post(&apply, &fields).status, 403);
    let mut wrong: Vec<(&str, &str)> = fields.to_vec();
    wrong.push(("csrf", "0000"));
    assert_eq!(v.post(&apply, &wrong).status, 403);
    let csrf = v.get(&apply).expect(200).csrf();
    let mut right: Vec<(&str, &str)> = fields.to_vec();
    right.push(("csrf", &csrf));
    let cross = v.post_with(&apply, &right, &[("Sec-Fetch-Site", "cross-site")]);
    assert_eq!(cross.status, 403);
    assert!(cross.body.contains("This form has expired"));
    let evil = v.post_with(&apply, &right, &[("Origin", "https://evil.example")]);
    assert_eq!(evil.status, 403);
    let told = v.post_with(
        &apply,
        &right,
        &[
            ("Origin", "https://evil.example"),
            ("Sec-Fetch-Site", "cross-site"),
        ],
    );
    assert_eq!(told.status, 403);
    let listed = expect(
        app.get(
            &format!("/v1/rounds/{}/applications", round.id),
            grantee.user.as_deref(),
        ),
        200,
    );
    assert_eq!(listed["items"].as_array().unwrap().len(), 0, "{listed}");
    // With the token, from this site, it works: also with the opaque
    // `Origin: null` a no-referrer page makes Chromium send.
    let from_here = v.post_with(
        &apply,
        &right,
        &[("Origin", "null"), ("Sec-Fetch-Site", "same-origin")],
    );
    assert_eq!(from_here.status, 303, "{}", from_here.body);
    // Signing in needs the pre-session token too.
    let mut w = Visitor::new(app);
    let page = w.post(
        "/sign-in",
        &[("email", &email), ("password", grantledger_tests::PASSWORD)],
    );
    assert_eq!(page.status, 403);
}

fn signing_out_and_disabling_end_sessions_at_once(app: &TestApp) {
    let (_, _, email) = set_up(app);
    let admin = app.admin();
    let mut v = Visitor::new(app);
    v.sign_in(&email);
    let held = v.cookies["__Host-session"].clone();
    let home = v.get("/").expect(200);
    let out = v.post("/sign-out", &[("csrf", &home.csrf())]).expect(303);
    assert_eq!(out.location(), "/sign-in?signed_out=1");
    assert!(!v.cookies.contains_key("__Host-session"));
    let mut replay = Visitor::new(app);
    replay.cookies.insert("__Host-session".into(), held);
    assert_eq!(replay.get("/").expect(303).location(), "/sign-in");

    let mut w = Visitor::new(app);
    w.sign_in(&email);
    w.get("/organisation").expect(200);
    let users = expect(app.get("/v1/users?role=grantee", Some(&admin)), 200);
    let user = users["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["email"] == email.as_str())
        .unwrap()
        .clone();
    let response = app.patch(
        &format!("/v1/users/{}", user["id"].as_str().unwrap()),
        Some(&admin),
        Some("*"),
        &json!({"disabled": true}),
    );
    assert_eq!(response.status(), 200);
    assert_eq!(
        w.get("/organisation").expect(303).location(),
        "/sign-in?next=%2Forganisation"
    );
}

fn idle_sessions_end_after_thirty_minutes(app: &TestApp) {
    let (_, _, email) = set_up(app);
    let mut v = Visitor::new(app);
    v.sign_in(&email);
    v.get("/").expect(200);
    let old = grantledger_store::sql_types::DbTime::new(
        chrono::Utc::now() - chrono::TimeDelta::minutes(31),
    );
    app.db
        .db
        .write(|c| {
            diesel::update(grantledger_store::schema::portal_sessions::table)
                .set(grantledger_store::schema::portal_sessions::last_seen_at.eq(old))
                .execute(c)
                .map_err(grantledger_store::StoreError::from)
        })
        .unwrap();
    assert_eq!(v.get("/").expect(303).location(), "/sign-in");
}

const HOSTILE_TITLE: &str = "<script>alert(1)</script>";
const HOSTILE_SUMMARY: &str = "\"><img src=x onerror=alert(1)>";

fn everything_a_grantee_types_is_escaped(app: &TestApp) {
    let (round, grantee, email) = set_up(app);
    let mut v = Visitor::new(app);
    v.sign_in(&email);
    let apply = format!("/rounds/{}/apply", round.id);
    let saved = v
        .submit(
            &apply,
            &apply,
            &[
                ("project_title", HOSTILE_TITLE),
                ("summary", HOSTILE_SUMMARY),
                ("amount_requested", "1000.00"),
                ("then", "later"),
            ],
        )
        .expect(303);
    let page_path = saved.location().split('?').next().unwrap().to_owned();
    for path in [
        "/".to_owned(),
        page_path.clone(),
        format!("{page_path}/check"),
        format!("{page_path}/edit"),
    ] {
        let page = v.get(&path).expect(200);
        assert!(
            !page.body.contains(HOSTILE_TITLE),
            "{path} shows the title raw"
        );
        assert!(
            !page.body.contains("<img src=x"),
            "{path} shows the summary raw"
        );
        assert!(
            page.body.contains("&lt;script&gt;") || page.body.contains("&#60;script&#62;"),
            "{path}: {}",
            page.body
        );
    }
    // An evaluation return's typed text too.
    let award = app.accepted_award(&round, &grantee, "1000.00");
    let mut fields = return_fields(&[(HOSTILE_TITLE, "never", "")]);
    fields.push(("narrative".into(), HOSTILE_SUMMARY.into()));
    post_return(&mut v, &award, &fields, "save").expect(303);
    let page = v.get(&format!("/awards/{award}/return")).expect(200);
    assert!(!page.body.contains(HOSTILE_TITLE) && !page.body.contains("<img src=x"));
    // A rejected form shows the typed values back, escaped too.
    let bad = v.submit(
        &apply,
        &apply,
        &[
            ("project_title", HOSTILE_TITLE),
            ("summary", HOSTILE_SUMMARY),
            ("amount_requested", "\"><script>x</script>"),
        ],
    );
    assert_eq!(bad.status, 422);
    assert!(!bad.body.contains("<script>x</script>"));
    assert!(!bad.body.contains("<img src=x"));
}

fn another_organisations_records_are_not_found(app: &TestApp) {
    let (round, grantee, _) = set_up(app);
    let admin = &round.admin;
    let application = app.submitted_application(&round, &grantee, "1000.00");
    app.start_review(&round, &application);
    let award = app.award(&round, &application, "1000.00");
    let other = app.grantee(admin, tameside("Another Group"), DueDiligence::Passed);
    let other_id: GranteeId = other.id.parse::<uuid::Uuid>().unwrap().into();
    let stranger = app.user_email(Role::Grantee, Some(other_id));
    let mut v = Visitor::new(app);
    v.sign_in(&stranger);
    let missing = uuid::Uuid::now_v7();
    for (theirs, none) in [
        (
            format!("/applications/{application}"),
            format!("/applications/{missing}"),
        ),
        (format!("/awards/{award}"), format!("/awards/{missing}")),
        (
            format!("/awards/{award}/return"),
            format!("/awards/{missing}/return"),
        ),
        (
            format!("/applications/{application}/check"),
            "/applications/not-an-id".to_owned(),
        ),
    ] {
        let a = v.get(&theirs).expect(404);
        let b = v.get(&none).expect(404);
        assert!(a.body.contains("Page not found"));
        let strip = |s: &str| s.replace(&theirs, "").replace(&none, "");
        assert_eq!(
            strip(&a.body),
            strip(&b.body),
            "{theirs} differs from a missing record"
        );
    }
    let csrf = v.get("/").expect(200).csrf();
    assert_eq!(
        v.post(
            &format!("/awards/{award}/accept"),
            &[("csrf", &csrf), ("declaration", "yes")]
        )
        .status,
        404
    );
}

fn pages_need_a_signed_in_user_with_the_right_role(app: &TestApp) {
    let (round, grantee, _) = set_up(app);
    let application = app.submitted_application(&round, &grantee, "1000.00");
    app.start_review(&round, &application);
    let award = app.award(&round, &application, "1000.00");
    let pages = [
        "/".to_owned(),
        "/organisation".to_owned(),
        format!("/rounds/{}", round.id),
        format!("/rounds/{}/eligibility", round.id),
        format!("/rounds/{}/apply", round.id),
        format!("/applications/{application}"),
        format!("/applications/{application}/edit"),
        format!("/applications/{application}/check"),
        format!("/applications/{application}/submitted"),
        format!("/applications/{application}/withdraw"),
        format!("/applications/{application}/decide"),
        format!("/applications/{application}/score"),
        format!("/applications/{application}/sections/any"),
        format!("/applications/{application}/extend"),
        format!("/rounds/{}/form", round.id),
        format!("/rounds/{}/edit", round.id),
        "/funds/new".to_owned(),
        "/assignments".to_owned(),
        format!("/rounds/{}/panel", round.id),
        format!("/rounds/{}/applications", round.id),
        format!("/rounds/{}/criteria", round.id),
        format!("/awards/{award}"),
        format!("/awards/{award}/decline"),
        format!("/awards/{award}/manage"),
        format!("/awards/{award}/return"),
        format!("/awards/{award}/return/template.csv"),
        "/organisation/bank-details".to_owned(),
        format!("/grantees/{}/bank-details", grantee.id),
        "/bank-details".to_owned(),
        "/payment-runs".to_owned(),
        "/payment-runs/new".to_owned(),
        "/users".to_owned(),
        "/organisation/users".to_owned(),
        "/account/password".to_owned(),
        "/account/reminders".to_owned(),
        "/account/two-factor".to_owned(),
        "/sign-in/code".to_owned(),
        "/returns/overdue".to_owned(),
        "/grantees/new".to_owned(),
        format!("/grantees/{}/edit", grantee.id),
        format!("/funds/{}/sheets/awards", uuid::Uuid::now_v7()),
        format!("/funds/{}/outcomes", uuid::Uuid::now_v7()),
        format!("/funds/{}/outcomes.csv", uuid::Uuid::now_v7()),
        "/imports".to_owned(),
        "/commitments".to_owned(),
        "/commitments/report".to_owned(),
        format!("/commitments/{}", uuid::Uuid::now_v7()),
        "/mail".to_owned(),
        format!("/attachments/{}/download", uuid::Uuid::now_v7()),
    ];
    let mut anonymous = Visitor::new(app);
    for page in &pages {
        let got = anonymous.get(page);
        assert_eq!(got.status, 303, "{page}");
        assert!(
            got.location().starts_with("/sign-in"),
            "{page}: {}",
            got.location()
        );
    }
    let posts = [
        format!("/rounds/{}/eligibility", round.id),
        format!("/rounds/{}/apply", round.id),
        format!("/applications/{application}/edit"),
        format!("/applications/{application}/submit"),
        format!("/applications/{application}/withdraw"),
        format!("/applications/{application}/decide"),
        format!("/applications/{application}/score"),
        format!("/applications/{application}/sections/any"),
        format!("/applications/{application}/extend"),
        format!("/applications/{application}/start-review"),
        format!("/rounds/{}/form", round.id),
        format!("/rounds/{}/edit", round.id),
        format!("/rounds/{}/open-now", round.id),
        "/funds".to_owned(),
        format!("/rounds/{}/close-now", round.id),
        format!("/rounds/{}/assign", round.id),
        format!("/rounds/{}/criteria", round.id),
        format!("/applications/{application}/recommendation"),
        format!("/applications/{application}/assign"),
        format!("/rounds/{}/decisions", round.id),
        format!("/awards/{award}/accept"),
        format!("/awards/{award}/decline"),
        format!("/awards/{award}/return"),
        format!("/awards/{award}/tranches"),
        format!("/awards/{award}/return/review"),
        format!("/awards/{award}/return/evidence"),
        format!("/awards/{award}/variations"),
        format!("/awards/{award}/return-due"),
        format!("/awards/{award}/complete"),
        format!("/awards/{award}/cancel"),
        "/sign-out".to_owned(),
        "/organisation/bank-details".to_owned(),
        format!("/grantees/{}/bank-details/verify", grantee.id),
        format!("/grantees/{}/checks", grantee.id),
        format!("/grantees/{}/due-diligence", grantee.id),
        "/payment-runs".to_owned(),
        "/users/invite".to_owned(),
        format!("/users/{}/disable", uuid::Uuid::now_v7()),
        "/organisation/users/invite".to_owned(),
        "/account/password".to_owned(),
        "/account/sign-out-everywhere".to_owned(),
        "/account/reminders".to_owned(),
        "/account/reminders/resume".to_owned(),
        "/account/two-factor/start".to_owned(),
        "/account/two-factor/confirm".to_owned(),
        "/account/two-factor/recovery-codes".to_owned(),
        "/account/two-factor/turn-off".to_owned(),
        "/sign-in/code".to_owned(),
        format!("/users/{}/reset-two-factor", uuid::Uuid::now_v7()),
        "/grantees/new".to_owned(),
        format!("/grantees/{}/edit", grantee.id),
        "/imports/grantees".to_owned(),
        "/commitments/import".to_owned(),
        format!("/commitments/{}/status", uuid::Uuid::now_v7()),
        format!("/rounds/{}/import-awards", round.id),
        format!("/mail/{}/retry", uuid::Uuid::now_v7()),
        "/organisation/documents/bank_statement".to_owned(),
    ];
    for post in &posts {
        assert_eq!(anonymous.post(post, &[("csrf", "x")]).status, 303, "{post}");
    }
    // Staff read what their role reads, and may not act for a grantee.
    for role in [Role::Admin, Role::Assessor, Role::Auditor] {
        let email = app.user_email(role, None);
        let mut staff = Visitor::new(app);
        staff.sign_in(&email);
        let home = staff.get("/").expect(200);
        assert!(home.body.contains("Funds"), "{role}");
        let csrf = home.csrf();
        staff.get("/organisation").expect(403);
        // Bank details and payment runs: see tests/portal_payments.rs.
        staff.get("/organisation/bank-details").expect(403);
        staff.get(&format!("/rounds/{}", round.id)).expect(200);
        // The same table of permissions as the API: an administrator may
        // accept on a grantee's behalf; applying needs an organisation,
        // which only a grantee user has here; returns are the grantee's.
        let apply = staff.post(
            &format!("/rounds/{}/apply", round.id),
            &[
                ("csrf", &csrf),
                ("project_title", "x"),
                ("summary", "y"),
                ("amount_requested", "500.00"),
            ],
        );
        let accept = staff.post(
            &format!("/awards/{award}/accept"),
            &[("csrf", &csrf), ("declaration", "yes")],
        );
        if role == Role::Admin {
            assert_eq!(apply.status, 422, "{}", apply.body);
            assert!(apply.body.contains("say which grantee is applying"));
            assert_eq!(accept.status, 303, "{}", accept.body);
        } else {
            assert_eq!(apply.status, 403, "{role} applied");
            assert_eq!(
                accept.status, 403,
                "{role} accepted an award: {}",
                accept.body
            );
        }
        let sent = staff.post(
            &format!("/awards/{award}/return"),
            &[("csrf", &csrf), ("action", "save")],
        );
        assert_eq!(sent.status, 403, "{role} saved a return");
        // Only an administrator decides; this one is decided already.
        let decided = staff.post(
            &format!("/applications/{application}/decide"),
            &[("csrf", &csrf), ("outcome", "reject"), ("feedback", "x")],
        );
        let expected = if role == Role::Admin { 422 } else { 403 };
        assert_eq!(decided.status, expected, "{role}: {}", decided.body);
    }
    // Unknown pages are the portal's 404; the API keeps its problem+json.
    let mut v = Visitor::new(app);
    let page = v.get("/no-such-page").expect(404);
    assert!(page.header("content-type").starts_with("text/html"));
    let api = app.get("/v1/no-such-thing", None);
    assert_eq!(api.status(), 404);
    assert!(
        api.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("problem+json")
    );
}

fn a_grantee_checks_applies_saves_submits_and_withdraws(app: &TestApp) {
    let (round, grantee, email) = set_up(app);
    let mut v = Visitor::new(app);
    v.sign_in(&email);
    let home = v.get("/").expect(200);
    assert!(home.body.contains(&format!("/rounds/{}", round.id)));
    assert!(home.body.contains("£300.00 to £2,500.00"));

    // Eligibility: every failed rule in words.
    let check = format!("/rounds/{}/eligibility", round.id);
    let answers = v.get(&check).expect(200);
    assert!(answers.body.contains("value=\"north_west\" checked"));
    let failed = v
        .submit(
            &check,
            &check,
            &[
                ("organisation_type", "community_group"),
                ("region", "north_west"),
                ("annual_income", "10000.00"),
                ("amount_requested", "9000.00"),
            ],
        )
        .expect(200);
    assert!(failed.body.contains("You cannot apply to this round"));
    assert!(
        failed
            .body
            .contains("£9,000.00 is more than this round&#39;s largest grant of £2,500.00")
            || failed
                .body
                .contains("£9,000.00 is more than this round&#x27;s largest grant"),
        "{}",
        failed.body
    );
    let passed = v
        .submit(
            &check,
            &check,
            &[
                ("organisation_type", "community_group"),
                ("region", "north_west"),
                ("annual_income", "10000.00"),
                ("amount_requested", "1000.00"),
            ],
        )
        .expect(200);
    assert!(passed.body.contains("You can apply to this round"));
    let missing = v
        .submit(&check, &check, &[("annual_income", "ten pounds")])
        .expect(422);
    for message in [
        "Select what type of organisation you are",
        "Select where your organisation works",
        "Enter how much you want to ask for",
    ] {
        assert!(missing.body.contains(message), "{message}");
    }

    // Apply: a bad amount is named; save as draft; come back; change; check; submit.
    let apply = format!("/rounds/{}/apply", round.id);
    let bad = v
        .submit(
            &apply,
            &apply,
            &[
                ("project_title", "Lunch club"),
                ("summary", "Weekly lunches."),
                // A decimal comma, not a thousands separator.
                ("amount_requested", "2,50"),
            ],
        )
        .expect(422);
    assert!(bad.body.contains("href=\"#amount_requested\""));
    let empty = v.submit(&apply, &apply, &[]).expect(422);
    for field in ["project_title", "summary", "amount_requested"] {
        assert!(
            empty.body.contains(&format!("href=\"#{field}\"")),
            "every error at once: {field}"
        );
    }
    assert!(
        bad.body.contains("value=\"Lunch club\""),
        "typed values are kept"
    );
    let saved = v
        .submit(
            &apply,
            &apply,
            &[
                ("project_title", "Lunch club"),
                ("summary", "Weekly lunches."),
                ("amount_requested", "1000.00"),
                ("then", "later"),
            ],
        )
        .expect(303);
    let application = saved.location().split('?').next().unwrap().to_owned();
    assert!(
        v.get(saved.location())
            .expect(200)
            .body
            .contains("Your draft is saved")
    );
    let edit = format!("{application}/edit");
    let changed = v
        .submit(
            &edit,
            &edit,
            &[
                ("project_title", "Friday lunch club"),
                ("summary", "Weekly lunches."),
                ("amount_requested", "1200.00"),
                ("version", "1"),
            ],
        )
        .expect(303);
    assert_eq!(changed.location(), format!("{application}/check"));
    // A stale version is refused in words, not silently overwritten.
    let stale = v
        .submit(
            &edit,
            &edit,
            &[
                ("project_title", "Old"),
                ("summary", "Weekly lunches."),
                ("amount_requested", "1200.00"),
                ("version", "1"),
            ],
        )
        .expect(409);
    assert!(stale.body.contains("Someone else changed this application"));
    let answers = v.get(&format!("{application}/check")).expect(200);
    assert!(answers.body.contains("Friday lunch club") && answers.body.contains("£1,200.00"));
    let sent = v
        .submit(
            &format!("{application}/check"),
            &format!("{application}/submit"),
            &[],
        )
        .expect(303);
    assert_eq!(sent.location(), format!("{application}/submitted"));
    let confirmation = v.get(sent.location()).expect(200);
    assert!(confirmation.body.contains("Application submitted"));
    let id = application.trim_start_matches("/applications/");
    assert!(confirmation.body.contains(id));
    let api = expect(
        app.get(&format!("/v1/applications/{id}"), grantee.user.as_deref()),
        200,
    );
    assert_eq!(api["status"], "submitted");
    assert_eq!(api["amount_requested"], "1200.00");
    // Submitted: no more changes, but it can be withdrawn.
    assert_eq!(v.get(&edit).expect(303).location(), application);
    v.submit(
        &format!("{application}/withdraw"),
        &format!("{application}/withdraw"),
        &[],
    )
    .expect(303);
    let api = expect(
        app.get(&format!("/v1/applications/{id}"), grantee.user.as_deref()),
        200,
    );
    assert_eq!(api["status"], "withdrawn");
}

fn an_ineligible_submission_lists_every_failed_rule(app: &TestApp) {
    let admin = app.admin();
    let fund = app.fund(&admin, "100000.00");
    let round = app.round_with(
        &fund,
        json!({"allocation": "50000.00", "min_grant": "300.00", "max_grant": "2500.00",
               "eligibility": {"regions": ["london"], "max_annual_income": "5000.00"}}),
    );
    let grantee = app.grantee(
        &admin,
        tameside("Tameside Lunch Club"),
        DueDiligence::Passed,
    );
    let id: GranteeId = grantee.id.parse::<uuid::Uuid>().unwrap().into();
    let email = app.user_email(Role::Grantee, Some(id));
    let mut v = Visitor::new(app);
    v.sign_in(&email);
    let apply = format!("/rounds/{}/apply", round.id);
    let saved = v
        .submit(
            &apply,
            &apply,
            &[
                ("project_title", "Lunch club"),
                ("summary", "Weekly lunches."),
                ("amount_requested", "1000.00"),
            ],
        )
        .expect(303);
    let check = saved.location().to_owned();
    let submit = check.replace("/check", "/submit");
    let refused = v.submit(&check, &submit, &[]).expect(422);
    assert!(refused.body.contains("There is a problem"));
    assert!(
        refused.body.contains("not eligible") || refused.body.contains("North West"),
        "{}",
        refused.body
    );
    assert!(
        refused.body.contains("href=\"#region\"") || refused.body.contains("region"),
        "{}",
        refused.body
    );
}

fn a_grantee_accepts_an_offer_with_the_declaration(app: &TestApp) {
    let (round, grantee, email) = set_up(app);
    let application = app.submitted_application(&round, &grantee, "1000.00");
    app.start_review(&round, &application);
    let award = app.award(&round, &application, "1000.00");
    let mut v = Visitor::new(app);
    v.sign_in(&email);
    let home = v.get("/").expect(200);
    assert!(home.body.contains("Accept or decline the offer"));
    let page = format!("/awards/{award}");
    let offer = v.get(&page).expect(200);
    assert!(offer.body.contains("Conditions of the grant"));
    assert!(offer.body.contains("£1,000.00"));
    let refused = v.submit(&page, &format!("{page}/accept"), &[]).expect(422);
    assert!(
        refused
            .body
            .contains("Confirm that you accept the conditions")
    );
    assert_eq!(
        expect(
            app.get(&format!("/v1/awards/{award}"), grantee.user.as_deref()),
            200
        )["status"],
        "offered"
    );
    let accepted = v
        .submit(&page, &format!("{page}/accept"), &[("declaration", "yes")])
        .expect(303);
    assert!(
        v.get(accepted.location())
            .expect(200)
            .body
            .contains("You have accepted the offer")
    );
    assert_eq!(
        expect(
            app.get(&format!("/v1/awards/{award}"), grantee.user.as_deref()),
            200
        )["status"],
        "accepted"
    );
    // Tranches scheduled and paid appear on the page.
    app.paid_tranche(&round, &award, "400.00", "2027-01-15");
    app.tranche(&round, &award, "600.00", "2027-04-15");
    let tranches = v.get(&page).expect(200);
    assert!(tranches.body.contains("15 January 2027") && tranches.body.contains("£600.00"));
    assert!(tranches.body.contains("Paid") && tranches.body.contains("Scheduled"));
}

fn a_grantee_declines_an_offer(app: &TestApp) {
    let (round, grantee, email) = set_up(app);
    let application = app.submitted_application(&round, &grantee, "1000.00");
    app.start_review(&round, &application);
    let award = app.award(&round, &application, "1000.00");
    let mut v = Visitor::new(app);
    v.sign_in(&email);
    let confirm = format!("/awards/{award}/decline");
    assert!(
        v.get(&confirm)
            .expect(200)
            .body
            .contains("Are you sure you want to decline")
    );
    v.submit(&confirm, &confirm, &[]).expect(303);
    assert_eq!(
        expect(
            app.get(&format!("/v1/awards/{award}"), grantee.user.as_deref()),
            200
        )["status"],
        "declined"
    );
}

fn return_fields(code_answers: &[(&str, &str, &str)]) -> Vec<(String, String)> {
    let mut fields: Vec<(String, String)> = [
        ("start_day", "1"),
        ("start_month", "9"),
        ("start_year", "2026"),
        ("end_day", "31"),
        ("end_month", "3"),
        ("end_year", "2027"),
        ("participants_reached", "12"),
        ("volunteers", "3"),
        ("sessions_delivered", "20"),
        ("narrative", "Weekly lunches for older neighbours."),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    for (i, (code, before, after)) in code_answers.iter().enumerate() {
        fields.push((format!("p{i}_code"), (*code).to_owned()));
        fields.push((format!("p{i}_before_direct"), (*before).to_owned()));
        fields.push((format!("p{i}_after_direct"), (*after).to_owned()));
    }
    fields
}

fn post_return(
    v: &mut Visitor,
    award: &str,
    fields: &[(String, String)],
    action: &str,
) -> grantledger_tests::portal::Page {
    let page = format!("/awards/{award}/return");
    let csrf = v.get(&page).expect(200).csrf();
    let mut all: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    all.push(("csrf", &csrf));
    all.push(("action", action));
    v.post(&page, &all)
}

fn a_grantee_makes_saves_submits_and_fixes_a_return(app: &TestApp) {
    let (round, grantee, email) = set_up(app);
    let award = app.accepted_award(&round, &grantee, "1000.00");
    let mut v = Visitor::new(app);
    v.sign_in(&email);
    let page = format!("/awards/{award}/return");
    let blank = v.get(&page).expect(200);
    assert!(blank.body.contains("How often do you feel lonely?"));
    assert!(blank.body.contains("p0_before_lack_companionship"));

    // A draft keeps what was typed, even when it is not valid yet.
    let fields = return_fields(&[
        ("P-1", "often_always", "occasionally"),
        ("jo@example.org", "never", ""),
    ]);
    let saved = post_return(&mut v, &award, &fields, "save").expect(303);
    let again = v.get(saved.location()).expect(200);
    assert!(again.body.contains("Your draft return is saved"));
    assert!(again.body.contains("value=\"jo@example.org\""));
    assert!(
        again
            .body
            .contains("<option value=\"often_always\" selected>")
    );

    // Adding a participant keeps the draft and shows one more block.
    let added = post_return(&mut v, &award, &fields, "add").expect(200);
    assert!(added.body.contains("p2_code"));

    // Submitting names each bad value beside its participant.
    let refused = post_return(&mut v, &award, &fields, "submit").expect(422);
    assert!(
        refused.body.contains("href=\"#p1_code\""),
        "{}",
        refused.body
    );
    let mut bad_date = return_fields(&[("P-1", "often_always", "occasionally")]);
    bad_date.retain(|(k, _)| k != "end_month");
    bad_date.push(("end_month".into(), "13".into()));
    let refused = post_return(&mut v, &award, &bad_date, "submit").expect(422);
    assert!(refused.body.contains("The last day must be a real date"));

    let good = return_fields(&[
        ("P-1", "often_always", "occasionally"),
        ("P-2", "some_of_the_time", "hardly_ever"),
    ]);
    let sent = post_return(&mut v, &award, &good, "submit").expect(303);
    let shown = v.get(sent.location()).expect(200);
    assert!(shown.body.contains("Your return has been sent to the fund"));
    assert!(
        !shown.body.contains("name=\"action\""),
        "a submitted return is not a form"
    );
    let versions = expect(
        app.get(
            &format!("/v1/awards/{award}/evaluation-returns"),
            grantee.user.as_deref(),
        ),
        200,
    );
    assert_eq!(versions["items"].as_array().unwrap().len(), 1);
    let return_id = versions["items"][0]["return_id"]
        .as_str()
        .unwrap()
        .to_owned();

    // The fund asks for changes; the grantee sees why and fixes it.
    expect(
        app.post(
            &format!("/v1/evaluation-returns/{return_id}/review"),
            Some(&round.admin),
            &json!({"decision": "request_changes", "comment": "Please add the volunteers' sessions."}),
        ),
        200,
    );
    let fix = v.get(&page).expect(200);
    assert!(fix.body.contains("Please add the volunteers"));
    assert!(
        fix.body.contains("value=\"P-2\""),
        "the form starts from the version sent"
    );
    let mut fixed = good.clone();
    fixed.retain(|(k, _)| k != "sessions_delivered");
    fixed.push(("sessions_delivered".into(), "26".into()));
    post_return(&mut v, &award, &fixed, "submit").expect(303);
    let versions = expect(
        app.get(
            &format!("/v1/evaluation-returns/{return_id}"),
            grantee.user.as_deref(),
        ),
        200,
    );
    assert_eq!(versions["latest_version"], 2);
}

/// The most participants a file may load come back whole through the form
/// (a form of about 1 MiB): none is dropped when the draft is saved.
fn a_return_of_two_thousand_five_hundred_participants_saves_whole(app: &TestApp) {
    let (round, grantee, email) = set_up(app);
    let award = app.accepted_award(&round, &grantee, "1000.00");
    let mut v = Visitor::new(app);
    v.sign_in(&email);
    let mut fields = return_fields(&[]);
    for i in 0..2_500 {
        fields.push((format!("p{i}_code"), format!("P-{i:04}")));
        for stage in ["before", "after"] {
            fields.push((format!("p{i}_{stage}_direct"), "some_of_the_time".into()));
            for item in ["lack_companionship", "left_out", "isolated"] {
                fields.push((
                    format!("p{i}_{stage}_{item}"),
                    "hardly_ever_or_never".into(),
                ));
            }
        }
    }
    let saved = post_return(&mut v, &award, &fields, "save").expect(303);
    let page = v.get(saved.location()).expect(200);
    assert!(page.body.contains("value=\"P-2499\""));
    assert!(page.body.contains("value=\"P-0000\""));
}

fn a_grantee_uploads_participants_and_sees_every_bad_row(app: &TestApp) {
    let (round, grantee, email) = set_up(app);
    let award = app.accepted_award(&round, &grantee, "1000.00");
    let mut v = Visitor::new(app);
    v.sign_in(&email);
    let template = v
        .get(&format!("/awards/{award}/return/template.csv"))
        .expect(200);
    assert!(template.header("content-type").starts_with("text/csv"));
    assert!(template.body.starts_with("participant_code,before_direct"));
    let page = format!("/awards/{award}/return");
    let csrf = v.get(&page).expect(200).csrf();
    let header = template.body.lines().next().unwrap().to_owned();
    let bad = format!("{header}\nP-1,sometimes,,,,,,,\nP-2,never,,,,,,,\nP-3,,,,,,,,lots\n");
    let refused = v
        .upload(
            &format!("{page}/upload"),
            &csrf,
            "participants",
            bad.into_bytes(),
        )
        .expect(422);
    assert!(
        refused.body.contains("Line 2") && refused.body.contains("sometimes"),
        "{}",
        refused.body
    );
    assert!(refused.body.contains("Line 4") && refused.body.contains("after_isolated"));
    assert_eq!(
        v.upload(
            &format!("{page}/upload"),
            "wrong",
            "participants",
            template.body.clone().into_bytes()
        )
        .status,
        403
    );
    let loaded = v
        .upload(
            &format!("{page}/upload"),
            &csrf,
            "participants",
            template.body.into_bytes(),
        )
        .expect(303);
    let shown = v.get(loaded.location()).expect(200);
    assert!(
        shown
            .body
            .contains("2 participants were loaded from your file")
    );
    assert!(shown.body.contains("value=\"P-002\""));
    let _ = value_after(&shown.body, "name=\"csrf\" value=\"").unwrap();
}

fn assets_are_served_with_a_fingerprint_and_compressed(app: &TestApp) {
    let mut v = Visitor::new(app);
    let page = v.get("/sign-in").expect(200);
    let css = value_after(&page.body, "rel=\"stylesheet\" href=\"").unwrap();
    assert!(
        css.starts_with("/assets/") && css.ends_with("/portal.css"),
        "{css}"
    );
    let got = app
        .client
        .get(app.url(&css))
        .header("Accept-Encoding", "gzip")
        .send()
        .unwrap();
    assert_eq!(got.status(), 200);
    assert_eq!(
        got.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(got.headers()["content-encoding"], "gzip");
    assert!(!page.body.contains("<script>"), "no inline script");
    assert!(!page.body.contains("style="), "no inline style");
    assert!(!page.body.contains("GOV.UK"), "not a GOV.UK service");
}

api_tests!(
    cookie_flags_are_strict_and_sessions_are_new_at_sign_in,
    wrong_passwords_are_refused_in_words,
    forms_without_the_token_or_from_another_site_change_nothing,
    signing_out_and_disabling_end_sessions_at_once,
    idle_sessions_end_after_thirty_minutes,
    everything_a_grantee_types_is_escaped,
    another_organisations_records_are_not_found,
    pages_need_a_signed_in_user_with_the_right_role,
    a_grantee_checks_applies_saves_submits_and_withdraws,
    an_ineligible_submission_lists_every_failed_rule,
    a_grantee_accepts_an_offer_with_the_declaration,
    a_grantee_declines_an_offer,
    a_grantee_makes_saves_submits_and_fixes_a_return,
    a_grantee_uploads_participants_and_sees_every_bad_row,
    a_return_of_two_thousand_five_hundred_participants_saves_whole,
    assets_are_served_with_a_fingerprint_and_compressed,
);
