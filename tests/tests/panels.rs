//! Assessment panels (issue 20), on both backends: an administrator sets a
//! round's weighted criteria, assigns assessors automatically (balanced,
//! never to an application an assessor is conflicted on) and by hand; the
//! assigned assessors score against the criteria; the panel view shows
//! the weighted scores side by side with disagreements flagged; and every
//! refusal names what is wrong.

use grantledger_domain::user::Role;
use grantledger_tests::portal::Visitor;
use grantledger_tests::{DueDiligence, Round, TestApp, api_tests, error_fields, expect};
use serde_json::{Value, json};

/// A signed-in assessor: token and user id.
struct Assessor {
    token: String,
    id: String,
}

fn assessor(app: &TestApp) -> Assessor {
    let token = app.user(Role::Assessor, None);
    let me = expect(app.get("/v1/me", Some(&token)), 200);
    Assessor {
        id: me["id"].as_str().unwrap().to_owned(),
        token,
    }
}

/// "Reaches lonely people" weighs 3, "Value for money" 1, on 1–5; a spread
/// above 1 is a disagreement.
fn set_criteria(app: &TestApp, round: &Round) -> Value {
    expect(
        app.request(
            "PUT",
            &format!("/v1/rounds/{}/criteria", round.id),
            Some(&round.admin),
            Some(&json!({"scale": {"min": 1, "max": 5}, "margin": "1", "criteria": [
                {"name": "Reaches lonely people", "guidance": "5: most participants are lonely", "weight": 3},
                {"name": "Value for money", "weight": 1}
            ]})),
        ),
        200,
    )
}

/// Scores `(reach, value)` as a score-sheet body for `criteria`.
fn sheet(criteria: &Value, reach: u8, value: u8) -> Value {
    let ids: Vec<&str> = criteria["criteria"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    json!({"scores": [
        {"criterion_id": ids[0], "score": reach, "comment": "Clear plan"},
        {"criterion_id": ids[1], "score": value}
    ]})
}

fn score(
    app: &TestApp,
    who: &Assessor,
    application: &str,
    body: &Value,
) -> reqwest::blocking::Response {
    app.post(
        &format!("/v1/applications/{application}/score-sheet"),
        Some(&who.token),
        body,
    )
}

/// A round with three submitted applications from three organisations.
fn round_with_applications(app: &TestApp) -> (Round, Vec<String>) {
    let admin = app.admin();
    let round = app.small_round(&admin, "PNL", "Panel Fund");
    let applications = ["One", "Two", "Three"]
        .iter()
        .map(|name| {
            let g = app.grantee(&admin, json!({"name": name}), DueDiligence::Passed);
            app.submitted_application(&round, &g, "1000.00")
        })
        .collect();
    (round, applications)
}

fn criteria_are_set_read_and_locked_once_scoring_starts(app: &TestApp) {
    let (round, applications) = round_with_applications(app);
    let path = format!("/v1/rounds/{}/criteria", round.id);
    let absent = app.get(&path, Some(&round.admin));
    assert_eq!(absent.status().as_u16(), 404);
    let criteria = set_criteria(app, &round);
    assert_eq!(criteria["scale"], json!({"min": 1, "max": 5}));
    assert_eq!(criteria["margin"], "1");
    assert_eq!(criteria["criteria"][0]["weight"], 3);
    // An applicant may read what it will be scored on.
    let grantee = app.grantee(&round.admin, json!({}), DueDiligence::NotDone);
    let grantee_token = app.user(
        Role::Grantee,
        Some(grantee.id.parse::<uuid::Uuid>().unwrap().into()),
    );
    let read = expect(app.get(&path, Some(&grantee_token)), 200);
    assert_eq!(read["criteria"], criteria["criteria"]);

    for (body, field) in [
        (
            json!({"scale": {"min": 5, "max": 1}, "margin": "1", "criteria": [{"name": "A", "weight": 1}]}),
            "scale",
        ),
        (
            json!({"scale": {"min": 1, "max": 5}, "margin": "1", "criteria": []}),
            "criteria",
        ),
        (
            json!({"scale": {"min": 1, "max": 5}, "margin": "1",
                   "criteria": [{"name": "Reach", "weight": 1}, {"name": "REACH", "weight": 2}]}),
            "criteria",
        ),
        (
            json!({"scale": {"min": 1, "max": 5}, "margin": "1", "criteria": [{"name": "A", "weight": 0}]}),
            "criteria[0]",
        ),
        (
            json!({"scale": {"min": 1, "max": 5}, "margin": "-1", "criteria": [{"name": "A", "weight": 1}]}),
            "margin",
        ),
    ] {
        let problem = expect(
            app.request("PUT", &path, Some(&round.admin), Some(&body)),
            422,
        );
        assert_eq!(error_fields(&problem), [field], "{body} → {problem}");
    }

    // Once anyone has scored, the criteria stay as they are.
    let a = assessor(app);
    expect(
        app.post(
            &format!("/v1/applications/{}/assignments", applications[0]),
            Some(&round.admin),
            &json!({"assessor_id": a.id}),
        ),
        201,
    );
    expect(
        score(app, &a, &applications[0], &sheet(&criteria, 4, 3)),
        201,
    );
    let locked = expect(
        app.request(
            "PUT",
            &path,
            Some(&round.admin),
            Some(&json!({"scale": {"min": 1, "max": 5}, "margin": "1", "criteria": [{"name": "A", "weight": 1}]})),
        ),
        409,
    );
    assert!(
        locked["detail"]
            .as_str()
            .unwrap()
            .contains("started scoring"),
        "{locked}"
    );
    let unchanged = expect(app.get(&path, Some(&round.admin)), 200);
    assert_eq!(unchanged["criteria"], criteria["criteria"]);
}

fn assignment_is_balanced_and_never_conflicted(app: &TestApp) {
    let (round, applications) = round_with_applications(app);
    set_criteria(app, &round);
    let (a, b, c) = (assessor(app), assessor(app), assessor(app));
    // c declares a conflict on the second application.
    expect(
        app.post(
            &format!("/v1/applications/{}/assessments", applications[1]),
            Some(&c.token),
            &json!({"kind": "conflict_declared", "declaration": "I chair its board"}),
        ),
        201,
    );
    let plan = expect(
        app.post(
            &format!("/v1/rounds/{}/assignments", round.id),
            Some(&round.admin),
            &json!({"per_application": 2, "assessors": [a.id, b.id, c.id]}),
        ),
        201,
    );
    let pairs: Vec<(String, String)> = plan["assignments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["application_id"].as_str().unwrap().to_owned(),
                p["assessor_id"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(pairs.len(), 6, "{plan}");
    assert!(plan["shortfalls"].as_array().unwrap().is_empty(), "{plan}");
    assert!(
        !pairs.contains(&(applications[1].clone(), c.id.clone())),
        "a conflicted assessor was assigned: {plan}"
    );
    for application in &applications {
        assert_eq!(pairs.iter().filter(|(x, _)| x == application).count(), 2);
    }
    for who in [&a, &b, &c] {
        assert_eq!(
            pairs.iter().filter(|(_, y)| *y == who.id).count(),
            2,
            "{plan}"
        );
    }
    // Read back: the round's list and each assessor's own.
    let listed = expect(
        app.get(
            &format!("/v1/rounds/{}/assignments", round.id),
            Some(&round.admin),
        ),
        200,
    );
    assert_eq!(listed["items"].as_array().unwrap().len(), 6);
    let mine = expect(app.get("/v1/me/assignments", Some(&a.token)), 200);
    assert_eq!(mine["items"].as_array().unwrap().len(), 2);

    // Running it again adds nothing: every application has its two.
    let again = expect(
        app.post(
            &format!("/v1/rounds/{}/assignments", round.id),
            Some(&round.admin),
            &json!({"per_application": 2, "assessors": [a.id, b.id, c.id]}),
        ),
        201,
    );
    assert!(
        again["assignments"].as_array().unwrap().is_empty(),
        "{again}"
    );
    // Asking for three: the conflicted application can have only two.
    let three = expect(
        app.post(
            &format!("/v1/rounds/{}/assignments", round.id),
            Some(&round.admin),
            &json!({"per_application": 3, "assessors": [a.id, b.id, c.id]}),
        ),
        201,
    );
    assert_eq!(three["assignments"].as_array().unwrap().len(), 2, "{three}");
    assert_eq!(
        three["shortfalls"][0]["application_id"],
        applications[1].as_str()
    );
    assert_eq!(three["shortfalls"][0]["eligible"], 2);

    // By hand: refused for the conflicted, the assigned and a non-assessor.
    let by_hand = |application: &str, assessor: &str| {
        app.post(
            &format!("/v1/applications/{application}/assignments"),
            Some(&round.admin),
            &json!({"assessor_id": assessor}),
        )
    };
    expect(by_hand(&applications[1], &c.id), 409);
    expect(by_hand(&applications[0], &a.id), 409);
    let admin_me = expect(app.get("/v1/me", Some(&round.admin)), 200);
    let problem = expect(
        by_hand(&applications[0], admin_me["id"].as_str().unwrap()),
        422,
    );
    assert_eq!(error_fields(&problem), ["assessor_id"]);
    let problem = expect(
        app.post(
            &format!("/v1/rounds/{}/assignments", round.id),
            Some(&round.admin),
            &json!({"per_application": 11}),
        ),
        422,
    );
    assert_eq!(error_fields(&problem), ["per_application"], "{problem}");
}

fn assessors_score_and_the_panel_sees_the_spread(app: &TestApp) {
    let (round, applications) = round_with_applications(app);
    let criteria = set_criteria(app, &round);
    let (a, b, outsider) = (assessor(app), assessor(app), assessor(app));
    expect(
        app.post(
            &format!("/v1/rounds/{}/assignments", round.id),
            Some(&round.admin),
            &json!({"per_application": 2, "assessors": [a.id, b.id]}),
        ),
        201,
    );
    // Bad sheets are refused naming the scores; nothing is recorded.
    let ids: Vec<String> = criteria["criteria"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect();
    for body in [
        json!({"scores": [{"criterion_id": ids[0], "score": 4}]}),
        json!({"scores": [{"criterion_id": ids[0], "score": 6}, {"criterion_id": ids[1], "score": 3}]}),
        json!({"scores": [{"criterion_id": ids[0], "score": 4}, {"criterion_id": ids[0], "score": 3}]}),
    ] {
        let problem = expect(score(app, &a, &applications[0], &body), 422);
        assert_eq!(error_fields(&problem), ["scores"], "{body} → {problem}");
    }
    let problem = expect(
        score(
            app,
            &a,
            &applications[0],
            &json!({"scores": [{"criterion_id": ids[0], "score": 6}, {"criterion_id": ids[1], "score": 3}]}),
        ),
        422,
    );
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("Reaches lonely people"),
        "the refusal names the criterion: {problem}"
    );
    // Someone not assigned cannot score.
    expect(
        score(app, &outsider, &applications[0], &sheet(&criteria, 5, 5)),
        409,
    );

    // Application 0: 5,5 and 4,4 → 5.00 and 4.00, spread 1: agreement.
    // Application 1: 5,1 and 2,2 → 4.00 and 2.00, spread 2: disagreement.
    let recorded = expect(
        score(app, &a, &applications[0], &sheet(&criteria, 5, 5)),
        201,
    );
    assert_eq!(recorded["weighted"]["score"], "5.00");
    assert_eq!(recorded["weighted"]["percent_of_scale"], "100.00");
    expect(
        score(app, &b, &applications[0], &sheet(&criteria, 4, 4)),
        201,
    );
    let recorded = expect(
        score(app, &a, &applications[1], &sheet(&criteria, 5, 1)),
        201,
    );
    assert_eq!(recorded["weighted"]["score"], "4.00");
    assert_eq!(recorded["weighted"]["percent_of_scale"], "75.00");
    expect(
        score(app, &b, &applications[1], &sheet(&criteria, 2, 2)),
        201,
    );
    // Twice is refused.
    expect(
        score(app, &b, &applications[1], &sheet(&criteria, 3, 3)),
        409,
    );

    let panel = expect(
        app.get(
            &format!("/v1/rounds/{}/panel", round.id),
            Some(&round.admin),
        ),
        200,
    );
    let rows = panel["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0]["application_id"], applications[0].as_str());
    assert_eq!(rows[0]["mean"], "4.50");
    assert_eq!(rows[0]["spread"], "1.00");
    assert_eq!(
        rows[0]["disagreement"], false,
        "a spread equal to the margin"
    );
    assert_eq!(rows[1]["application_id"], applications[1].as_str());
    assert_eq!(rows[1]["mean"], "3.00");
    assert_eq!(rows[1]["disagreement"], true);
    assert_eq!(rows[1]["scores"].as_array().unwrap().len(), 2);
    assert_eq!(rows[2]["application_id"], applications[2].as_str());
    assert!(rows[2]["mean"].is_null(), "unscored last: {panel}");

    // The auditor reads the panel; an assessor does not.
    let auditor = app.auditor();
    expect(
        app.get(&format!("/v1/rounds/{}/panel", round.id), Some(&auditor)),
        200,
    );
    expect(
        app.get(&format!("/v1/rounds/{}/panel", round.id), Some(&a.token)),
        403,
    );
    // Each sheet is in the audit trail.
    let events = expect(
        app.get("/v1/audit-events?action=application.scored", Some(&auditor)),
        200,
    );
    let scored = events["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "application.scored")
        .count();
    assert_eq!(scored, 4, "{events}");
}

fn the_panel_journey_in_the_portal(app: &TestApp) {
    let (round, applications) = round_with_applications(app);
    set_criteria(app, &round);
    let panel_path = format!("/rounds/{}/panel", round.id);
    let assessor_emails = [
        app.user_email(Role::Assessor, None),
        app.user_email(Role::Assessor, None),
    ];

    let mut admin = Visitor::new(app);
    admin.sign_in(&app.user_email(Role::Admin, None));
    let round_page = admin.get(&format!("/rounds/{}", round.id)).expect(200);
    assert!(round_page.body.contains(&panel_path), "a link to the panel");
    let refused = admin.submit(
        &panel_path,
        &format!("/rounds/{}/assign", round.id),
        &[("per_application", "0")],
    );
    assert_eq!(refused.status, 422);
    assert!(
        refused.body.contains("href=\"#per_application\""),
        "{}",
        refused.body
    );
    let assigned = admin.submit(
        &panel_path,
        &format!("/rounds/{}/assign", round.id),
        &[("per_application", "2")],
    );
    assert_eq!(assigned.status, 303, "{}", assigned.body);
    let shown = admin.get(assigned.location()).expect(200);
    assert!(shown.body.contains("6 assignments made"), "{}", shown.body);

    // Each assessor scores all three from their list.
    for (i, email) in assessor_emails.iter().enumerate() {
        let mut assessor = Visitor::new(app);
        assessor.sign_in(email);
        assert!(assessor.get("/").expect(200).body.contains("/assignments"));
        let list = assessor.get("/assignments").expect(200);
        for application in &applications {
            let form_path = format!("/applications/{application}/score");
            assert!(list.body.contains(&form_path), "{}", list.body);
            let form = assessor.get(&form_path).expect(200);
            let fields: Vec<String> = form
                .body
                .split("name=\"")
                .skip(1)
                .map(|rest| rest.split('"').next().unwrap().to_owned())
                .filter(|name| name.starts_with("score-"))
                .collect();
            assert_eq!(fields.len(), 2, "one score per criterion: {fields:?}");
            let bad = assessor.submit(
                &form_path,
                &form_path,
                &[(fields[0].as_str(), "9"), (fields[1].as_str(), "3")],
            );
            assert_eq!(bad.status, 422, "{}", bad.body);
            assert!(bad.body.contains("Reaches lonely people"), "{}", bad.body);
            let missing = assessor.submit(&form_path, &form_path, &[(fields[0].as_str(), "")]);
            assert_eq!(missing.status, 422);
            let reach = if i == 0 { "5" } else { "1" };
            let good = assessor.submit(
                &form_path,
                &form_path,
                &[(fields[0].as_str(), reach), (fields[1].as_str(), "3")],
            );
            assert_eq!(good.status, 303, "{}", good.body);
            assert_eq!(good.location(), "/assignments?scored=1");
        }
        let list = assessor.get("/assignments").expect(200);
        assert!(!list.body.contains("/score\""), "all scored: {}", list.body);
        // Assessors do not see the panel.
        assert_eq!(assessor.get(&panel_path).status, 403);
    }

    // 4.50 and 1.50: a spread of 3 on a margin of 1.
    let panel = admin.get(&panel_path).expect(200);
    assert!(
        panel.body.contains("4.50") && panel.body.contains("1.50"),
        "{}",
        panel.body
    );
    assert_eq!(panel.body.matches("Disagree").count(), 3, "{}", panel.body);
}

/// The demo's round 2: criteria set, two assessors assigned to each of
/// three applications, the spread shown, and one left for `assessor@`.
fn the_demo_has_a_panel_to_moderate(app: &TestApp) {
    use grantledger_server::demo::{DEMO_PASSWORD, DEMO_USERS};
    let (admin, lcf) = app.demo();
    let lcf = lcf["id"].as_str().unwrap();
    let rounds = expect(
        app.get(&format!("/v1/funds/{lcf}/rounds"), Some(&admin)),
        200,
    );
    let round_2 = rounds["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["number"] == 2)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let panel = expect(
        app.get(&format!("/v1/rounds/{round_2}/panel"), Some(&admin)),
        200,
    );
    let rows = panel["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 3, "{panel}");
    assert_eq!(panel["criteria"]["criteria"].as_array().unwrap().len(), 3);
    assert!(rows.iter().any(|r| r["disagreement"] == true), "{panel}");
    assert!(
        rows.iter()
            .any(|r| r["disagreement"] == false && r["scores"].as_array().unwrap().len() == 2)
    );
    let assessor = app.login(DEMO_USERS[1].0, DEMO_PASSWORD);
    let mine = expect(app.get("/v1/me/assignments", Some(&assessor)), 200);
    assert_eq!(mine["items"].as_array().unwrap().len(), 3, "{mine}");
    let mut visitor = Visitor::new(app);
    assert_eq!(
        visitor.sign_in_with(DEMO_USERS[1].0, DEMO_PASSWORD).status,
        303
    );
    let list = visitor.get("/assignments").expect(200);
    assert_eq!(
        list.body.matches("/score\"").count(),
        1,
        "one left to score: {}",
        list.body
    );
}

fn the_panel_recommends_and_only_staff_see_it(app: &TestApp) {
    let admin = app.admin();
    let round = app.small_round(&admin, "PNL", "Panel Fund");
    set_criteria(app, &round);
    let (grantee, email) = app
        .grantee(&admin, json!({}), DueDiligence::Passed)
        .with_user_email(app);
    let application = app.submitted_application(&round, &grantee, "1000.00");
    let path = format!("/v1/applications/{application}/panel-recommendation");
    let recommend = |body: Value| app.request("PUT", &path, Some(&admin), Some(&body));
    let problem = expect(recommend(json!({"decision": "maybe"})), 422);
    assert_eq!(error_fields(&problem), ["decision"], "{problem}");
    let problem = expect(
        recommend(json!({"decision": "award", "note": "x".repeat(2001)})),
        422,
    );
    assert_eq!(error_fields(&problem), ["note"], "{problem}");
    let first = expect(
        recommend(json!({"decision": "reserve", "note": " If money is left "})),
        200,
    );
    assert_eq!(first["note"], "If money is left");
    let second = expect(recommend(json!({"decision": "award"})), 200);
    assert!(second["note"].is_null());
    let panel = expect(
        app.get(&format!("/v1/rounds/{}/panel", round.id), Some(&admin)),
        200,
    );
    assert_eq!(
        panel["rows"][0]["recommendation"]["decision"], "award",
        "the latest replaces the last"
    );
    let events = expect(
        app.get(
            "/v1/audit-events?action=application.panel_recommended",
            Some(&app.auditor()),
        ),
        200,
    );
    assert_eq!(
        events["items"].as_array().unwrap().len(),
        2,
        "both are in the audit trail"
    );

    // In the portal: the administrator records it on the application page;
    // the auditor reads it; the applicant never does.
    let page = format!("/applications/{application}");
    let mut staff = Visitor::new(app);
    staff.sign_in(&app.user_email(Role::Admin, None));
    let refused = staff.submit(&page, &format!("{page}/recommendation"), &[("note", "x")]);
    assert_eq!(refused.status, 422);
    let done = staff.submit(
        &page,
        &format!("{page}/recommendation"),
        &[("decision", "reject"), ("note", "PANEL-ONLY weak budget")],
    );
    assert_eq!(done.status, 303, "{}", done.body);
    let mut auditor = Visitor::new(app);
    auditor.sign_in(&app.user_email(Role::Auditor, None));
    let read = auditor.get(&page).expect(200);
    assert!(
        read.body.contains("PANEL-ONLY weak budget"),
        "{}",
        read.body
    );
    assert!(
        !read.body.contains("/recommendation"),
        "an auditor does not record it"
    );
    let mut applicant = Visitor::new(app);
    applicant.sign_in(&email);
    let own = applicant.get(&page).expect(200);
    assert!(!own.body.contains("PANEL-ONLY"), "{}", own.body);
    assert!(!own.body.contains("Panel recommends"), "{}", own.body);
    let api = expect(app.get(&format!("/v1{page}"), grantee.user.as_deref()), 200);
    assert!(!api.to_string().contains("PANEL-ONLY"), "{api}");

    // Once decided, the panel has nothing left to recommend.
    app.award(&round, &application, "1000.00");
    expect(recommend(json!({"decision": "award"})), 409);
}

fn an_administrator_sets_criteria_in_the_portal(app: &TestApp) {
    let (round, _) = round_with_applications(app);
    let mut admin = Visitor::new(app);
    admin.sign_in(&app.user_email(Role::Admin, None));
    let panel = format!("/rounds/{}/panel", round.id);
    let form = format!("/rounds/{}/criteria", round.id);
    let first = admin.get(&panel);
    assert_eq!(first.status, 303, "no criteria yet: to the form");
    assert_eq!(first.location(), form);
    admin.get(&form).expect(200);

    let refused = admin.submit(
        &form,
        &form,
        &[
            ("min", "1"),
            ("max", "5"),
            ("margin", "1"),
            ("name-0", "Reach"),
            ("weight-0", "3"),
            ("name-2", "Value"),
            ("weight-2", "0"),
        ],
    );
    assert_eq!(refused.status, 422);
    assert!(
        refused.body.contains("href=\"#name-2\""),
        "the error is on the row: {}",
        refused.body
    );
    assert!(
        refused.body.contains("value=\"Reach\""),
        "what was typed is kept"
    );
    let refused = admin.submit(
        &form,
        &form,
        &[("min", "1"), ("max", "five"), ("margin", "x")],
    );
    assert_eq!(refused.status, 422);
    assert!(refused.body.contains("href=\"#max\"") && refused.body.contains("href=\"#margin\""));

    let saved = admin.submit(
        &form,
        &form,
        &[
            ("min", "1"),
            ("max", "5"),
            ("margin", "1.5"),
            ("name-0", "Reach"),
            ("guidance-0", "5: most are lonely"),
            ("weight-0", "3"),
            ("name-2", "Value"),
            ("weight-2", "1"),
        ],
    );
    assert_eq!(saved.status, 303, "{}", saved.body);
    assert_eq!(saved.location(), panel);
    let shown = admin.get(&panel).expect(200);
    assert!(
        shown.body.contains("Reach (weight 3, scored 1 to 5)"),
        "{}",
        shown.body
    );
    let api = expect(
        app.get(
            &format!("/v1/rounds/{}/criteria", round.id),
            Some(&round.admin),
        ),
        200,
    );
    assert_eq!(api["margin"], "1.5");
    assert_eq!(api["criteria"].as_array().unwrap().len(), 2);
    // Changing keeps each criterion's id.
    let again = admin.get(&form).expect(200);
    let id = api["criteria"][0]["id"].as_str().unwrap();
    assert!(again.body.contains(id), "{}", again.body);

    let mut auditor = Visitor::new(app);
    auditor.sign_in(&app.user_email(Role::Auditor, None));
    assert_eq!(auditor.get(&form).status, 403);
}

fn an_administrator_assigns_by_hand_in_the_portal(app: &TestApp) {
    let admin = app.admin();
    let round = app.small_round(&admin, "PNL", "Panel Fund");
    let (grantee, email) = app
        .grantee(&admin, json!({}), DueDiligence::Passed)
        .with_user_email(app);
    let application = app.submitted_application(&round, &grantee, "1000.00");
    let signed = |email: String| {
        let token = app.login(&email, grantledger_tests::PASSWORD);
        let me = expect(app.get("/v1/me", Some(&token)), 200);
        (email, token, me["id"].as_str().unwrap().to_owned())
    };
    let (conflicted_email, conflicted_token, conflicted_id) =
        signed(app.user_email(Role::Assessor, None));
    let (free_email, _, free_id) = signed(app.user_email(Role::Assessor, None));
    expect(
        app.post(
            &format!("/v1/applications/{application}/assessments"),
            Some(&conflicted_token),
            &json!({"kind": "conflict_declared", "declaration": "My sister runs it"}),
        ),
        201,
    );
    let page = format!("/applications/{application}");
    let mut staff = Visitor::new(app);
    staff.sign_in(&app.user_email(Role::Admin, None));
    let before = staff.get(&page).expect(200);
    assert!(
        before.body.contains("No assessor is assigned yet"),
        "{}",
        before.body
    );
    assert!(before.body.contains(&format!("value=\"{free_id}\"")));
    assert!(
        !before.body.contains(&format!("value=\"{conflicted_id}\"")),
        "a conflicted assessor is not offered"
    );
    let done = staff.submit(
        &page,
        &format!("{page}/assign"),
        &[("assessor_id", &free_id)],
    );
    assert_eq!(done.status, 303, "{}", done.body);
    let after = staff.get(&page).expect(200);
    assert!(
        after.body.contains(&format!("<li>{free_email}</li>")),
        "{}",
        after.body
    );
    assert!(
        !after.body.contains(&format!("value=\"{free_id}\"")),
        "no longer offered"
    );
    // Posted anyway, the conflicted one is refused and nothing changes.
    let refused = staff.submit(
        &page,
        &format!("{page}/assign"),
        &[("assessor_id", &conflicted_id)],
    );
    assert_eq!(refused.status, 409, "{}", refused.body);
    let missing = staff.submit(&page, &format!("{page}/assign"), &[("assessor_id", "")]);
    assert_eq!(missing.status, 422);
    let listed = expect(
        app.get(
            &format!("/v1/rounds/{}/assignments", round.id),
            Some(&admin),
        ),
        200,
    );
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    assert!(
        !staff
            .get(&page)
            .expect(200)
            .body
            .contains(&format!("<li>{conflicted_email}</li>"))
    );

    let mut auditor = Visitor::new(app);
    auditor.sign_in(&app.user_email(Role::Auditor, None));
    let read = auditor.get(&page).expect(200);
    assert!(read.body.contains(&free_email) && !read.body.contains(&format!("{page}/assign")));
    let mut applicant = Visitor::new(app);
    applicant.sign_in(&email);
    let own = applicant.get(&page).expect(200);
    assert!(
        !own.body.contains(&free_email),
        "assessors are not named to the applicant"
    );
}

/// A conflict declared on one application is a conflict with its
/// organisation: the assessor is kept off its other applications too.
fn a_declared_conflict_covers_the_whole_organisation(app: &TestApp) {
    let admin = app.admin();
    let round = app.small_round(&admin, "PNL", "Panel Fund");
    set_criteria(app, &round);
    let org = app.grantee(
        &admin,
        json!({"name": "Hebden Lunch Club"}),
        DueDiligence::Passed,
    );
    let first = app.submitted_application(&round, &org, "1000.00");
    let second = app.submitted_application(&round, &org, "800.00");
    let (a, b, c) = (assessor(app), assessor(app), assessor(app));
    expect(
        app.post(
            &format!("/v1/applications/{first}/assessments"),
            Some(&c.token),
            &json!({"kind": "conflict_declared", "declaration": "I volunteer there"}),
        ),
        201,
    );
    let plan = expect(
        app.post(
            &format!("/v1/rounds/{}/assignments", round.id),
            Some(&admin),
            &json!({"per_application": 2, "assessors": [a.id, b.id, c.id]}),
        ),
        201,
    );
    let with_c: Vec<&Value> = plan["assignments"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["assessor_id"] == c.id.as_str())
        .collect();
    assert!(
        with_c.is_empty(),
        "c is on none of the club's applications: {plan}"
    );
    let problem = expect(
        app.post(
            &format!("/v1/applications/{second}/assignments"),
            Some(&admin),
            &json!({"assessor_id": c.id}),
        ),
        409,
    );
    assert!(
        problem["detail"].as_str().unwrap().contains("organisation")
            || problem["detail"].as_str().unwrap().contains("grantee"),
        "{problem}"
    );
}

api_tests!(
    a_declared_conflict_covers_the_whole_organisation,
    an_administrator_assigns_by_hand_in_the_portal,
    an_administrator_sets_criteria_in_the_portal,
    the_panel_recommends_and_only_staff_see_it,
    the_demo_has_a_panel_to_moderate,
    the_panel_journey_in_the_portal,
    criteria_are_set_read_and_locked_once_scoring_starts,
    assignment_is_balanced_and_never_conflicted,
    assessors_score_and_the_panel_sees_the_spread,
);
