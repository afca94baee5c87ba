//! Application forms per round (issue 19), over HTTP on both backends: an
//! administrator sets a round's form before it opens (versioned, never a
//! silent overwrite, locked once open); applicants save partial answers,
//! each bad one refused on its own question, and submit only a complete,
//! valid set whose budget adds up; staff read the answers; another
//! organisation cannot; a round can take one application per organisation.

use grantledger_tests::{DueDiligence, Grantee, Round, TestApp, api_tests, error_fields, expect};
use serde_json::{Value, json};

const MICROGRANT: &str = include_str!("../../crates/server/forms/microgrant.json");

fn microgrant() -> Value {
    serde_json::from_str(MICROGRANT).unwrap()
}

/// A two-section form with every kind of rule but no upload.
fn two_sections() -> Value {
    json!({"sections": [
        {"id": "group", "title": "Your group", "questions": [
            {"id": "contact", "label": "Contact name", "type": "short_text", "max_length": 40},
            {"id": "meeting_place", "label": "Where do you meet?", "type": "address"},
            {"id": "registered", "label": "Are you a registered charity?", "type": "yes_no"},
            {"id": "charity_number", "label": "Charity number", "type": "short_text", "show_when": {"question": "registered", "equals": "yes"}}
        ]},
        {"id": "project", "title": "Your project", "questions": [
            {"id": "plan", "label": "What will you do?", "type": "long_text", "word_limit": 10},
            {"id": "people", "label": "How many people?", "type": "whole_number", "min": 1, "max": 100},
            {"id": "start", "label": "Start date", "type": "date", "not_before": {"relative_to": "today"}},
            {"id": "budget", "label": "Budget", "type": "budget", "max_lines": 3},
            {"id": "agree", "label": "Declaration", "type": "declaration", "statement": "True."}
        ]}
    ]})
}

/// An open round with `form`, and a grantee with a user of its own.
fn round_with_form(app: &TestApp, code: &str, form: Value) -> (Round, Grantee) {
    let admin = app.admin();
    let round = app.round_with_form(&admin, code, &form);
    let grantee = app
        .grantee(&admin, json!({}), DueDiligence::Passed)
        .signed_in(app);
    (round, grantee)
}

fn answers_path(application: &str) -> String {
    format!("/v1/applications/{application}/answers")
}

fn a_form_is_versioned_and_locked_once_its_round_opens(app: &TestApp) {
    let admin = app.admin();
    let round = app.upcoming_round(&admin, "FV");
    let path = format!("/v1/rounds/{}/form", round.id);
    expect(app.get(&path, Some(&admin)), 404);

    let first = app.put(&path, Some(&admin), None, &microgrant());
    let etag = first.headers().get("etag").cloned();
    let first = expect(first, 200);
    assert_eq!(etag.unwrap(), "\"1\"");
    assert_eq!(first["version"], 1);
    assert_eq!(first["sections"][2]["questions"][0]["type"], "budget");

    let stale = expect(app.put(&path, Some(&admin), None, &two_sections()), 409);
    assert!(
        stale["detail"]
            .as_str()
            .unwrap()
            .contains("latest is version 1"),
        "{stale}"
    );
    let second = expect(
        app.put(&path, Some(&admin), Some("\"1\""), &two_sections()),
        200,
    );
    assert_eq!(second["version"], 2);
    let applicant = app
        .grantee(&admin, json!({}), DueDiligence::Passed)
        .signed_in(app)
        .user
        .unwrap();
    let read = expect(app.get(&path, Some(&applicant)), 200);
    assert_eq!(
        read["sections"][0]["id"], "group",
        "applicants read the latest"
    );
    let versions = expect(app.get(&format!("{path}/versions"), Some(&admin)), 200);
    assert_eq!(
        versions.as_array().unwrap().len(),
        2,
        "every version is kept"
    );

    let mut bad = two_sections();
    bad["sections"][1]["questions"][0]["word_limit"] = json!(0);
    let refused = expect(app.put(&path, Some(&admin), Some("\"2\""), &bad), 422);
    assert!(
        refused.to_string().contains("plan"),
        "names the question: {refused}"
    );
    let mut bad = two_sections();
    bad["sections"][0]["questions"][3]["show_when"]["question"] = json!("later");
    let refused = expect(app.put(&path, Some(&admin), Some("\"2\""), &bad), 422);
    assert!(
        refused.to_string().contains("no such question before it"),
        "{refused}"
    );

    app.open_now(&round);
    let locked = expect(
        app.put(&path, Some(&admin), Some("\"2\""), &microgrant()),
        409,
    );
    assert!(
        locked["detail"]
            .as_str()
            .unwrap()
            .contains("can no longer change"),
        "{locked}"
    );
    assert_eq!(expect(app.get(&path, Some(&admin)), 200)["version"], 2);
}

fn an_applicant_saves_partial_answers_and_submits_a_complete_set(app: &TestApp) {
    let (round, grantee) = round_with_form(app, "FA", two_sections());
    let token = grantee.user.clone().unwrap();
    let draft = grantledger_tests::id_of(&app.draft_application(&round, &grantee, "1500.00"));
    let path = answers_path(&draft);

    let empty = expect(app.get(&path, Some(&token)), 200);
    assert_eq!(empty["sections"][0]["status"], "not_started");
    assert_eq!(empty["to_do"].as_array().unwrap().len(), 8, "{empty}");

    // Every bad answer is refused on its own question, and nothing is saved.
    let refused = expect(
        app.put(&path, Some(&token), None, &json!({
            "contact": "A name much longer than the forty characters allowed here",
            "meeting_place": {"line1": "1 High St", "town": "Gateshead", "postcode": "NOT A POSTCODE"},
            "registered": "perhaps",
            "plan": "one two three four five six seven eight nine ten eleven",
            "people": 0,
            "start": "2020-01-01",
            "budget": [{"item": "Hall", "amount": "-5"}],
            "agree": false,
            "colour": "blue"
        })),
        422,
    );
    let mut fields = error_fields(&refused);
    fields.sort_unstable();
    assert_eq!(
        fields,
        [
            "answers.agree",
            "answers.budget",
            "answers.colour",
            "answers.contact",
            "answers.meeting_place",
            "answers.people",
            "answers.plan",
            "answers.registered",
            "answers.start"
        ]
    );
    let plan = refused["errors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["field"] == "answers.plan")
        .unwrap();
    assert_eq!(
        plan["message"],
        "What will you do?: use 10 words or fewer; this answer has 11"
    );
    assert_eq!(
        expect(app.get(&path, Some(&token)), 200)["saved_at"],
        Value::Null
    );

    // A draft keeps partial answers.
    let saved = expect(
        app.put(&path, Some(&token), None, &json!({
            "contact": "Ann Smith",
            "meeting_place": {"line1": "St Mary's Hall", "town": "Gateshead", "postcode": "ne8 1he"},
            "registered": "yes"
        })),
        200,
    );
    assert_eq!(saved["answers"]["meeting_place"]["postcode"], "NE8 1HE");
    assert_eq!(
        saved["sections"][0]["status"], "in_progress",
        "charity number is now asked"
    );
    let not_yet = expect(
        app.post(
            &format!("/v1/applications/{draft}/submit"),
            Some(&token),
            &json!({}),
        ),
        422,
    );
    assert!(
        error_fields(&not_yet).contains(&"answers.charity_number"),
        "{not_yet}"
    );
    assert!(
        error_fields(&not_yet).contains(&"answers.budget"),
        "{not_yet}"
    );

    // The rest, with a budget that does not add up.
    expect(
        app.put(&path, Some(&token), None, &json!({
            "registered": "no",
            "plan": "Lunch and a chat every Tuesday",
            "people": "25",
            "start": "2099-01-04",
            "budget": [{"item": "Hall hire", "amount": "600.00"}, {"item": "Food", "amount": "800.00"}],
            "agree": true
        })),
        200,
    );
    let short = expect(
        app.post(
            &format!("/v1/applications/{draft}/submit"),
            Some(&token),
            &json!({}),
        ),
        422,
    );
    assert_eq!(error_fields(&short), ["answers.budget"], "{short}");
    assert!(short.to_string().contains("adds up to £1400.00"), "{short}");
    let fixed = expect(
        app.put(&path, Some(&token), None, &json!({
            "budget": [{"item": "Hall hire", "amount": "600.00"}, {"item": "Food", "amount": "900.00"}]
        })),
        200,
    );
    assert_eq!(fixed["to_do"], json!([]));
    assert!(
        fixed["sections"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["status"] == "completed")
    );
    expect(
        app.post(
            &format!("/v1/applications/{draft}/submit"),
            Some(&token),
            &json!({}),
        ),
        200,
    );

    // Submitted answers are fixed; staff read them.
    let late = expect(
        app.put(&path, Some(&token), None, &json!({"people": 30})),
        409,
    );
    assert!(
        late["detail"].as_str().unwrap().contains("only a draft"),
        "{late}"
    );
    for staff in [app.admin(), app.assessor(), app.auditor()] {
        let read = expect(app.get(&path, Some(&staff)), 200);
        assert_eq!(read["answers"]["people"], 25);
        assert_eq!(read["answers"]["budget"][1]["amount"], "900.00");
    }
    // The round's panel pack carries a column per question.
    let csv = app
        .get(
            &format!("/v1/exports/panel-pack?fund_id=FA&round_id={}", round.id),
            Some(&app.admin()),
        )
        .text()
        .unwrap();
    let mut lines = csv.lines();
    let header = lines.next().unwrap();
    assert!(
        header.ends_with("Contact name,Where do you meet?,Are you a registered charity?,Charity number,What will you do?,How many people?,Start date,Budget,Declaration"),
        "{header}"
    );
    let row = lines.next().unwrap();
    assert!(
        row.ends_with("\"St Mary's Hall, Gateshead, NE8 1HE\",No,,Lunch and a chat every Tuesday,25,2099-01-04,Hall hire: 600.00; Food: 900.00,Confirmed"),
        "{row}"
    );
}

fn only_the_applicant_and_staff_see_answers_and_only_the_applicant_changes_them(app: &TestApp) {
    let (round, grantee) = round_with_form(app, "FS", two_sections());
    let draft = grantledger_tests::id_of(&app.draft_application(&round, &grantee, "500.00"));
    let path = answers_path(&draft);
    let admin = app.admin();
    let other = app
        .grantee(
            &admin,
            json!({"name": "Another Group"}),
            DueDiligence::Passed,
        )
        .signed_in(app);
    let other = other.user.unwrap();
    expect(app.get(&path, Some(&other)), 404);
    expect(
        app.put(&path, Some(&other), None, &json!({"people": 3})),
        404,
    );
    expect(
        app.put(&path, Some(&app.assessor()), None, &json!({"people": 3})),
        403,
    );
    expect(
        app.put(&path, Some(&app.auditor()), None, &json!({"people": 3})),
        403,
    );
    expect(
        app.put(
            &format!("/v1/rounds/{}/form", round.id),
            Some(&other),
            None,
            &two_sections(),
        ),
        403,
    );
    expect(app.get(&path, None), 401);
    // A round without a form answers 404 for answers, and submits as before.
    let plain = app.small_round(&admin, "FP", "Plain Fund");
    let application = grantledger_tests::id_of(&app.draft_application(&plain, &grantee, "500.00"));
    expect(app.get(&answers_path(&application), Some(&admin)), 404);
    app.submit(&plain, &grantee, &application);
}

fn a_round_can_take_one_application_per_organisation(app: &TestApp) {
    let admin = app.admin();
    let fund = app.fund_with(
        &admin,
        json!({"code": "OA", "name": "One Each", "budget": "10000.00"}),
    );
    let round = app.round_with(
        &fund,
        json!({"allocation": "10000.00", "min_grant": "100.00", "max_grant": "2500.00",
               "eligibility": {"one_application_per_organisation": true}}),
    );
    let shown = expect(
        app.get(&format!("/v1/rounds/{}", round.id), Some(&admin)),
        200,
    );
    assert_eq!(
        shown["eligibility"]["one_application_per_organisation"],
        true
    );
    let grantee = app
        .grantee(&admin, json!({}), DueDiligence::Passed)
        .signed_in(app);
    let token = grantee.user.clone().unwrap();
    let first = grantledger_tests::id_of(&app.draft_application(&round, &grantee, "500.00"));
    let body =
        json!({"project_title": "Again", "summary": "Second go", "amount_requested": "600.00"});
    let refused = expect(
        app.post(
            &format!("/v1/rounds/{}/applications", round.id),
            Some(&token),
            &body,
        ),
        409,
    );
    assert!(
        refused["detail"]
            .as_str()
            .unwrap()
            .contains("one application per organisation")
    );
    expect(
        app.post(
            &format!("/v1/applications/{first}/withdraw"),
            Some(&token),
            &json!({}),
        ),
        200,
    );
    expect(
        app.post(
            &format!("/v1/rounds/{}/applications", round.id),
            Some(&token),
            &body,
        ),
        201,
    );
    // Another organisation is not held back by this one's application.
    let other = app
        .grantee(
            &admin,
            json!({"name": "Another Group"}),
            DueDiligence::Passed,
        )
        .signed_in(app);
    app.draft_application(&round, &other, "700.00");
}

api_tests!(
    a_form_is_versioned_and_locked_once_its_round_opens,
    an_applicant_saves_partial_answers_and_submits_a_complete_set,
    only_the_applicant_and_staff_see_answers_and_only_the_applicant_changes_them,
    a_round_can_take_one_application_per_organisation,
);
