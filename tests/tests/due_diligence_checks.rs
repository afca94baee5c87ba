//! Due-diligence checks with expiry (issue 20), on both backends: checks
//! are recorded and read back with their audit events; bad input is a 422
//! naming the field; a fund that requires checks refuses a tranche while
//! one is missing, failed or expired, and takes it once renewed; a grantee
//! user reads its own organisation's checks only and never writes; and an
//! administrator records a check through the portal's grantee page.

use chrono::{Days, Utc};
use grantledger_domain::user::Role;
use grantledger_tests::portal::Visitor;
use grantledger_tests::{
    DueDiligence, Fund, Grantee, Round, TestApp, api_tests, error_fields, expect,
};
use serde_json::{Value, json};

fn checks_path(grantee: &Grantee) -> String {
    format!("/v1/grantees/{}/checks", grantee.id)
}

fn record(app: &TestApp, token: &str, grantee: &Grantee, body: &Value) -> Value {
    expect(app.post(&checks_path(grantee), Some(token), body), 201)
}

fn today() -> chrono::NaiveDate {
    Utc::now().date_naive()
}

fn days_from_today(days: i64) -> String {
    let today = today();
    let day = if days >= 0 {
        today.checked_add_days(Days::new(days.unsigned_abs()))
    } else {
        today.checked_sub_days(Days::new(days.unsigned_abs()))
    };
    day.unwrap().to_string()
}

/// A fund requiring `required` checks, with an open round.
fn fund_requiring(app: &TestApp, admin: &str, code: &str, required: Value) -> (Fund, Round) {
    let fund = app.fund_with(
        admin,
        json!({"code": code, "name": "Checked Fund", "budget": "10000.00", "required_checks": required}),
    );
    let round = app.round_with(
        &fund,
        json!({"allocation": "10000.00", "min_grant": "100.00", "max_grant": "2500.00"}),
    );
    (fund, round)
}

fn schedule(app: &TestApp, round: &Round, award: &str) -> reqwest::blocking::Response {
    app.post(
        &format!("/v1/awards/{award}/disbursements"),
        Some(&round.admin),
        &json!({"amount": "100.00", "due_on": days_from_today(30)}),
    )
}

fn records_and_reads_back(app: &TestApp) {
    let admin = app.admin();
    let grantee = app.grantee(&admin, json!({}), DueDiligence::NotDone);
    let first = record(
        app,
        &admin,
        &grantee,
        &json!({"kind": "safeguarding_policy", "status": "failed", "evidence": "No policy seen"}),
    );
    assert_eq!(first["kind"], "safeguarding_policy");
    assert_eq!(first["description"], "Safeguarding policy checked");
    assert_eq!(first["status"], "failed");
    assert_eq!(first["checked_on"], today().to_string());
    assert_eq!(first["expired"], false);
    let expiry = days_from_today(365);
    record(
        app,
        &admin,
        &grantee,
        &json!({"kind": "safeguarding_policy", "status": "passed",
                "evidence": "Policy v3 dated 2026-05-01, ref SG-17", "expires_on": expiry}),
    );
    let own_kind = record(
        app,
        &admin,
        &grantee,
        &json!({"kind": "insurance", "status": "passed", "evidence": "Certificate seen",
                "checked_on": days_from_today(-400), "expires_on": days_from_today(-35)}),
    );
    assert_eq!(own_kind["description"], "Insurance");
    assert_eq!(own_kind["expired"], true);

    for reader in [admin.clone(), app.assessor(), app.auditor()] {
        let checks = expect(app.get(&checks_path(&grantee), Some(&reader)), 200);
        assert_eq!(checks["grantee_id"], grantee.id.as_str());
        let current = checks["current"].as_array().unwrap();
        assert_eq!(current.len(), 2, "{checks}");
        assert_eq!(current[0]["kind"], "safeguarding_policy");
        assert_eq!(current[0]["status"], "passed", "the latest record wins");
        assert_eq!(current[0]["expires_on"], expiry.as_str());
        assert_eq!(current[1]["kind"], "insurance");
        assert_eq!(current[1]["expired"], true);
        let history = checks["history"].as_array().unwrap();
        assert_eq!(history.len(), 3);
        assert_eq!(history[2]["evidence"], "No policy seen", "oldest last");
    }

    let events = expect(
        app.get(
            "/v1/audit-events?action=due_diligence.check_recorded&limit=500",
            Some(&admin),
        ),
        200,
    );
    let events = events["items"].as_array().unwrap();
    assert_eq!(events.len(), 3, "{events:?}");
    assert!(
        events.iter().all(|e| e["entity_id"] == grantee.id.as_str()),
        "{events:?}"
    );

    // Append-only on both backends: a renewal is a new row.
    for statement in [
        "UPDATE due_diligence_checks SET status = 'passed'",
        "DELETE FROM due_diligence_checks",
    ] {
        let result = app.db.db.read(|c| {
            use diesel::connection::SimpleConnection;
            c.batch_execute(statement)
                .map_err(grantledger_store::StoreError::from)
        });
        let message = format!("{result:?}");
        assert!(
            result.is_err() && message.contains("append-only"),
            "{statement}: {message}"
        );
    }

    let unknown = format!("/v1/grantees/{}/checks", uuid::Uuid::now_v7());
    expect(app.get(&unknown, Some(&admin)), 404);
    expect(
        app.post(
            &unknown,
            Some(&admin),
            &json!({"kind": "registration", "status": "passed", "evidence": "x"}),
        ),
        404,
    );
}

fn bad_input_names_the_field(app: &TestApp) {
    let admin = app.admin();
    let grantee = app.grantee(&admin, json!({}), DueDiligence::NotDone);
    let refused = |body: Value, field: &str, words: &str| {
        let problem = expect(app.post(&checks_path(&grantee), Some(&admin), &body), 422);
        assert_eq!(error_fields(&problem), [field], "{problem}");
        assert!(
            problem["detail"].as_str().unwrap().contains(words),
            "{problem}"
        );
    };
    refused(
        json!({"kind": "Insurance certificate", "status": "passed", "evidence": "x"}),
        "kind",
        "a check kind is one of registration",
    );
    refused(
        json!({"kind": "registration", "status": "maybe", "evidence": "x"}),
        "status",
        "maybe",
    );
    refused(
        json!({"kind": "registration", "status": "passed", "evidence": "x".repeat(2001)}),
        "evidence",
        "at most 2000 characters",
    );
    refused(
        json!({"kind": "registration", "status": "passed", "evidence": "x",
               "expires_on": days_from_today(-1)}),
        "expires_on",
        "must be after the day it was carried out",
    );
    refused(
        json!({"kind": "registration", "status": "passed", "evidence": "x",
               "expires_on": today().to_string()}),
        "expires_on",
        "no longer valid that day",
    );
    refused(
        json!({"kind": "registration", "status": "passed", "evidence": "x",
               "checked_on": "2026-03-01", "expires_on": "2026-02-01"}),
        "expires_on",
        "(2026-03-01)",
    );
    refused(
        json!({"kind": "registration", "status": "passed", "evidence": "x",
               "checked_on": days_from_today(2)}),
        "checked_on",
        "in the future",
    );
    let checks = expect(app.get(&checks_path(&grantee), Some(&admin)), 200);
    assert_eq!(checks["history"], json!([]), "nothing was recorded");
    // A fund's list is checked the same way.
    let problem = expect(
        app.post(
            "/v1/funds",
            Some(&admin),
            &json!({"code": "BADCK", "name": "Bad", "budget": "10.00", "required_checks": ["Registration"]}),
        ),
        422,
    );
    assert_eq!(error_fields(&problem), ["required_checks[0]"], "{problem}");
}

fn tranche_needs_the_funds_required_checks(app: &TestApp) {
    let admin = app.admin();
    let (fund, round) = fund_requiring(
        app,
        &admin,
        "CHK",
        json!(["registration", "safeguarding_policy", "registration"]),
    );
    let view = expect(
        app.get(&format!("/v1/funds/{}", fund.id), Some(&admin)),
        200,
    );
    assert_eq!(
        view["required_checks"],
        json!(["registration", "safeguarding_policy"]),
        "repeats are dropped"
    );
    let grantee = app.grantee(&admin, json!({}), DueDiligence::Passed);
    let award = app.accepted_award(&round, &grantee, "1000.00");
    let refused = |words: &str| {
        let problem = expect(schedule(app, &round, &award), 409);
        assert_eq!(problem["status"], 409);
        let detail = problem["detail"].as_str().unwrap();
        assert_eq!(detail, words, "{problem}");
    };

    refused(
        "the grantee has no registration check recorded; record one before scheduling a tranche",
    );
    record(
        app,
        &admin,
        &grantee,
        &json!({"kind": "registration", "status": "passed", "evidence": "Charity register entry 1234567"}),
    );
    refused(
        "the grantee has no safeguarding policy check recorded; record one before scheduling a tranche",
    );
    record(
        app,
        &admin,
        &grantee,
        &json!({"kind": "safeguarding_policy", "status": "failed", "evidence": "Policy out of date",
                "checked_on": "2026-02-01"}),
    );
    refused(
        "the grantee's safeguarding policy check failed on 2026-02-01; record a passed check before scheduling a tranche",
    );
    record(
        app,
        &admin,
        &grantee,
        &json!({"kind": "safeguarding_policy", "status": "passed", "evidence": "Policy v2",
                "checked_on": "2025-11-01", "expires_on": "2026-11-01"}),
    );
    refused(
        "the grantee's safeguarding policy check expired on 2026-11-01; renew it before scheduling a tranche",
    );
    // A check expiring today has expired today.
    record(
        app,
        &admin,
        &grantee,
        &json!({"kind": "safeguarding_policy", "status": "passed", "evidence": "Policy v2",
                "checked_on": days_from_today(-10), "expires_on": today().to_string()}),
    );
    refused(&format!(
        "the grantee's safeguarding policy check expired on {}; renew it before scheduling a tranche",
        today()
    ));
    let tranches = expect(
        app.get(&format!("/v1/awards/{award}/disbursements"), Some(&admin)),
        200,
    );
    assert_eq!(tranches["items"], json!([]), "{tranches}");

    // Renewed until tomorrow: valid today.
    record(
        app,
        &admin,
        &grantee,
        &json!({"kind": "safeguarding_policy", "status": "passed", "evidence": "Policy v3",
                "expires_on": days_from_today(1)}),
    );
    expect(schedule(app, &round, &award), 201);

    // A fund that drops its requirements takes tranches whatever the checks.
    let failed = record(
        app,
        &admin,
        &grantee,
        &json!({"kind": "registration", "status": "failed", "evidence": "Struck off"}),
    );
    assert_eq!(failed["status"], "failed");
    expect(schedule(app, &round, &award), 409);
    let fund_view = app.get(&format!("/v1/funds/{}", fund.id), Some(&admin));
    let etag = fund_view.headers()["ETag"].to_str().unwrap().to_owned();
    let changed = expect(
        app.patch(
            &format!("/v1/funds/{}", fund.id),
            Some(&admin),
            Some(&etag),
            &json!({"required_checks": []}),
        ),
        200,
    );
    assert_eq!(changed["required_checks"], json!([]));
    expect(schedule(app, &round, &award), 201);
}

fn funds_without_required_checks_are_unchanged(app: &TestApp) {
    let admin = app.admin();
    let round = app.small_round(&admin, "NCK", "Unchecked Fund");
    let grantee = app.grantee(&admin, json!({}), DueDiligence::Passed);
    let award = app.accepted_award(&round, &grantee, "1000.00");
    record(
        app,
        &admin,
        &grantee,
        &json!({"kind": "registration", "status": "failed", "evidence": "Not found"}),
    );
    expect(schedule(app, &round, &award), 201);
}

fn grantee_users_read_their_own_checks_only(app: &TestApp) {
    let admin = app.admin();
    let ours = app
        .grantee(&admin, json!({"name": "Ours"}), DueDiligence::NotDone)
        .signed_in(app);
    let theirs = app.grantee(
        &admin,
        json!({"name": "Theirs", "postcode": "NE1 1AA"}),
        DueDiligence::NotDone,
    );
    let body = json!({"kind": "bank_details", "status": "passed", "evidence": "Statement seen"});
    record(app, &admin, &ours, &body);
    record(app, &admin, &theirs, &body);
    let token = ours.user.clone().unwrap();
    let own = expect(app.get(&checks_path(&ours), Some(&token)), 200);
    assert_eq!(own["current"][0]["kind"], "bank_details");
    expect(app.get(&checks_path(&theirs), Some(&token)), 404);
    expect(app.post(&checks_path(&ours), Some(&token), &body), 403);
    expect(app.post(&checks_path(&theirs), Some(&token), &body), 403);
    expect(
        app.post(&checks_path(&ours), Some(&app.auditor()), &body),
        403,
    );
    expect(
        app.post(&checks_path(&ours), Some(&app.assessor()), &body),
        403,
    );
    expect(app.get(&checks_path(&ours), None), 401);
    let own = expect(app.get(&checks_path(&ours), Some(&admin)), 200);
    assert_eq!(own["history"].as_array().unwrap().len(), 1, "nothing added");

    // In the portal: its own checks on "Your organisation", without who
    // at the fund recorded them; the staff page of it is not its to see.
    let (ours, email) = ours.with_user_email(app);
    let mut visitor = Visitor::new(app);
    visitor.sign_in(&email);
    let page = visitor.get("/organisation").expect(200);
    assert!(page.body.contains("Bank details verified"), "{}", page.body);
    assert!(!page.body.contains("Checked by"));
    assert!(!page.body.contains("Record a check"));
    visitor.get(&format!("/grantees/{}", ours.id)).expect(404);
    let csrf = page.csrf();
    let post = visitor.post(
        &format!("/grantees/{}/checks", ours.id),
        &[
            ("csrf", &csrf),
            ("kind", "registration"),
            ("status", "passed"),
            ("evidence", "x"),
        ],
    );
    assert_eq!(post.status, 403);
}

fn portal_form_as_administrator(app: &TestApp) {
    let admin = app.admin();
    let grantee = app.grantee(&admin, json!({}), DueDiligence::NotDone);
    let page = format!("/grantees/{}", grantee.id);
    let action = format!("/grantees/{}/checks", grantee.id);
    let mut staff = Visitor::new(app);
    staff.sign_in(&app.user_email(Role::Admin, None));
    let empty = staff.get(&page).expect(200);
    assert!(
        empty.body.contains("No checks have been recorded."),
        "{}",
        empty.body
    );
    assert!(empty.body.contains("Record a check"));

    // Errors come back by field, with what was typed kept.
    let refused = staff.submit(
        &page,
        &action,
        &[
            ("kind", "safeguarding_policy"),
            ("evidence", "Policy v4 seen"),
            ("checked_on", "2026-03-01"),
            ("expires_on", "2026-02-01"),
        ],
    );
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(
        refused
            .body
            .contains("Select whether the check passed or failed")
    );
    assert!(
        refused.body.contains("href=\"#status\""),
        "{}",
        refused.body
    );
    assert!(
        refused.body.contains("Policy v4 seen"),
        "kept what was typed"
    );
    let refused = staff.submit(
        &page,
        &action,
        &[
            ("kind", "safeguarding_policy"),
            ("status", "passed"),
            ("evidence", "Policy v4 seen"),
            ("checked_on", "2026-03-01"),
            ("expires_on", "2026-02-01"),
        ],
    );
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(
        refused.body.contains("href=\"#expires_on\""),
        "{}",
        refused.body
    );
    assert!(
        refused
            .body
            .contains("must be after the day it was carried out")
    );
    let refused = staff.submit(
        &page,
        &action,
        &[
            ("kind", "registration"),
            ("status", "passed"),
            ("evidence", &"x".repeat(2001)),
            ("expires_on", "next year"),
        ],
    );
    assert_eq!(refused.status, 422);
    assert!(refused.body.contains("href=\"#evidence\""));
    assert!(refused.body.contains("href=\"#expires_on\""));
    assert!(refused.body.contains("Enter a date as year-month-day"));

    // Another kind is named in its own box.
    let refused = staff.submit(
        &page,
        &action,
        &[
            ("kind", "other"),
            ("other_kind", "Fire safety"),
            ("status", "passed"),
            ("evidence", "Certificate seen"),
        ],
    );
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(
        refused.body.contains("href=\"#other_kind\""),
        "{}",
        refused.body
    );
    let done = staff.submit(
        &page,
        &action,
        &[
            ("kind", "other"),
            ("other_kind", "fire_safety"),
            ("status", "failed"),
            ("evidence", "Certificate out of date"),
        ],
    );
    assert_eq!(done.status, 303, "{}", done.body);

    // Recorded: back to the page, which shows it.
    let done = staff.submit(
        &page,
        &action,
        &[
            ("kind", "safeguarding_policy"),
            ("status", "passed"),
            ("evidence", "Policy v4 seen"),
            ("checked_on", "2025-06-01"),
            ("expires_on", "2026-06-01"),
        ],
    );
    assert_eq!(done.status, 303, "{}", done.body);
    assert_eq!(done.location(), format!("/grantees/{}#checks", grantee.id));
    let shown = staff.get(&page).expect(200);
    assert!(
        shown.body.contains("Safeguarding policy checked"),
        "{}",
        shown.body
    );
    assert!(shown.body.contains("Expired"), "past its expiry day");
    assert!(shown.body.contains("1 June 2026"));
    assert!(shown.body.contains("Fire safety"));
    let checks = expect(app.get(&checks_path(&grantee), Some(&admin)), 200);
    assert_eq!(checks["current"][0]["kind"], "fire_safety");
    assert_eq!(checks["current"][0]["status"], "failed");
    assert_eq!(checks["current"][1]["evidence"], "Policy v4 seen");

    // Other staff see the table but not the form, and may not post it.
    let mut auditor = Visitor::new(app);
    auditor.sign_in(&app.user_email(Role::Auditor, None));
    let read = auditor.get(&page).expect(200);
    assert!(read.body.contains("Safeguarding policy checked"));
    assert!(!read.body.contains("Record a check"));
    let csrf = read.csrf();
    let post = auditor.post(
        &action,
        &[
            ("csrf", &csrf),
            ("kind", "registration"),
            ("status", "passed"),
            ("evidence", "x"),
        ],
    );
    assert_eq!(post.status, 403);
}

fn the_demo_fund_requires_checks_and_one_has_expired(app: &TestApp) {
    let (admin, lcf) = app.demo();
    assert_eq!(
        lcf["required_checks"],
        json!([
            "registration",
            "governing_document",
            "safeguarding_policy",
            "bank_details"
        ])
    );
    let awards = expect(app.get("/v1/awards?limit=500", Some(&admin)), 200);
    let (mut refused, mut scheduled) = (0, 0);
    for award in awards["items"].as_array().unwrap() {
        if award["status"] != "accepted" || award["fund_id"] != lcf["id"] {
            continue;
        }
        let grantee = award["grantee_id"].as_str().unwrap();
        let checks = expect(
            app.get(&format!("/v1/grantees/{grantee}/checks"), Some(&admin)),
            200,
        );
        let current = checks["current"].as_array().unwrap();
        assert_eq!(current.len(), 4, "{checks}");
        let expired = current.iter().any(|c| c["expired"] == true);
        let answer = app.post(
            &format!("/v1/awards/{}/disbursements", award["id"].as_str().unwrap()),
            Some(&admin),
            &json!({"amount": "1.00", "due_on": days_from_today(30)}),
        );
        if expired {
            // An award already scheduled in full says so first.
            let problem = expect(answer, 409);
            let detail = problem["detail"].as_str().unwrap();
            if detail.starts_with("the grantee's safeguarding policy check expired on ") {
                refused += 1;
            } else {
                assert!(detail.contains("not yet scheduled or paid"), "{detail}");
            }
        } else {
            let status = answer.status().as_u16();
            // An award already scheduled in full is refused for that reason.
            assert!(status == 201 || status == 409, "{status}");
            scheduled += 1;
        }
    }
    assert!(refused >= 1, "one demo grantee's check has expired");
    assert!(scheduled >= 1);
}

api_tests!(
    the_demo_fund_requires_checks_and_one_has_expired,
    portal_form_as_administrator,
    records_and_reads_back,
    bad_input_names_the_field,
    tranche_needs_the_funds_required_checks,
    funds_without_required_checks_are_unchanged,
    grantee_users_read_their_own_checks_only,
);
