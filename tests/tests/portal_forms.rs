//! A round's own questions in the portal (issue 19), over HTTP on both
//! backends: the applicant starts an application, sees a task list of
//! sections, answers each on its own page (every bad answer shown on its
//! question, nothing saved), is stopped at submission until the budget
//! adds up, and submits; staff read the answers; another organisation
//! cannot reach the pages.

use grantledger_domain::user::Role;
use grantledger_tests::portal::Visitor;
use grantledger_tests::{DueDiligence, TestApp, api_tests};
use serde_json::json;

fn form() -> serde_json::Value {
    json!({"sections": [
        {"id": "group", "title": "Your group", "questions": [
            {"id": "meeting_place", "label": "Where do you meet?", "type": "address"},
            {"id": "registered", "label": "Are you a registered charity?", "type": "yes_no"},
            {"id": "charity_number", "label": "Charity number", "type": "short_text", "show_when": {"question": "registered", "equals": "yes"}},
            {"id": "who", "label": "Who takes part?", "type": "multiple_choice", "options": [
                {"value": "older", "label": "Older people"}, {"value": "carers", "label": "Carers"}]}
        ]},
        {"id": "project", "title": "Your project", "questions": [
            {"id": "plan", "label": "What will you do?", "type": "long_text", "word_limit": 10},
            {"id": "start", "label": "Start date", "type": "date", "not_before": {"relative_to": "today"}},
            {"id": "budget", "label": "Budget", "type": "budget", "max_lines": 3},
            {"id": "agree", "label": "Declaration", "type": "declaration", "statement": "All true."}
        ]},
        {"id": "documents", "title": "Documents", "questions": [
            {"id": "statement", "label": "A recent bank statement", "type": "file", "accept": ["pdf", "png"]}
        ]}
    ]})
}

/// A small PDF, as its first bytes say.
const PDF: &[u8] =
    b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";

fn an_applicant_answers_section_by_section_and_submits(app: &TestApp) {
    let admin = app.admin();
    let round = app.round_with_form(&admin, "PF", &form());
    let (grantee, email) = app
        .grantee(&admin, json!({}), DueDiligence::Passed)
        .with_user_email(app);
    let mut applicant = Visitor::new(app);
    applicant.sign_in(&email);
    let started = applicant.submit(
        &format!("/rounds/{}/apply", round.id),
        &format!("/rounds/{}/apply", round.id),
        &[
            ("project_title", "Tuesday lunches"),
            ("summary", "A hot lunch"),
            ("amount_requested", "1500"),
        ],
    );
    assert_eq!(started.status, 303, "{}", started.body);
    let overview = started.location().to_owned();
    let id = overview.trim_start_matches("/applications/").to_owned();
    let page = applicant.get(&overview).expect(200);
    assert!(page.body.contains("govuk-task-list"), "a task list");
    assert!(
        page.body
            .contains(&format!("/applications/{id}/sections/group"))
    );
    assert!(page.body.contains("Not started"));

    let group = format!("/applications/{id}/sections/group");
    let refused = applicant.submit(
        &group,
        &group,
        &[
            ("a_meeting_place_line1", "St Mary's Hall"),
            ("a_meeting_place_town", "Gateshead"),
            ("a_meeting_place_postcode", "nowhere"),
            ("a_registered", "maybe"),
        ],
    );
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(refused.body.contains("id=\"a_meeting_place-error\""));
    assert!(refused.body.contains("not a UK postcode"));
    assert!(refused.body.contains("id=\"a_registered-error\""));
    assert!(
        refused.body.contains("value=\"Gateshead\""),
        "what was typed is kept"
    );

    let saved = applicant.submit(
        &group,
        &group,
        &[
            ("a_meeting_place_line1", "St Mary's Hall"),
            ("a_meeting_place_town", "Gateshead"),
            ("a_meeting_place_postcode", "ne8 1he"),
            ("a_registered", "no"),
            ("a_who__older", "on"),
            ("a_who__carers", "on"),
        ],
    );
    assert_eq!(saved.status, 303, "{}", saved.body);
    let project = format!("/applications/{id}/sections/project");
    assert_eq!(saved.location(), project, "on to the next section");
    let again = applicant.get(&group).expect(200);
    assert!(
        again.body.contains("NE8 1HE"),
        "saved answers fill the page"
    );

    let page = applicant.get(&project).expect(200);
    assert!(
        page.body.contains("data-maxwords=\"10\""),
        "words counted as typed"
    );
    let too_long = applicant.submit(
        &project,
        &project,
        &[(
            "a_plan",
            "one two three four five six seven eight nine ten eleven",
        )],
    );
    assert_eq!(too_long.status, 422);
    assert!(
        too_long
            .body
            .contains("use 10 words or fewer; this answer has 11")
    );
    let saved = applicant.submit(
        &project,
        &project,
        &[
            ("a_plan", "Lunch and a chat"),
            ("a_start_day", "4"),
            ("a_start_month", "1"),
            ("a_start_year", "2099"),
            ("a_budget_item_0", "Hall hire"),
            ("a_budget_amount_0", "600"),
            ("a_budget_item_1", "Food"),
            ("a_budget_amount_1", "800"),
            ("a_agree", "on"),
        ],
    );
    assert_eq!(saved.status, 303, "{}", saved.body);
    assert_eq!(
        saved.location(),
        format!("/applications/{id}/sections/documents"),
        "on to the last section"
    );
    let check = applicant
        .get(&format!("/applications/{id}/check"))
        .expect(200);
    assert!(check.body.contains("Before you can submit"));
    assert!(
        check
            .body
            .contains("A recent bank statement: upload a file")
    );
    assert!(check.body.contains("adds up to £1400.00"), "{}", check.body);
    let refused = applicant.submit(
        &format!("/applications/{id}/check"),
        &format!("/applications/{id}/submit"),
        &[],
    );
    assert_eq!(refused.status, 422);
    assert!(refused.body.contains("adds up to £1400.00"));

    // The bank statement: a web page named .pdf is refused, a PDF taken.
    let files = format!("/applications/{id}/files/statement");
    let form_page = applicant.get(&files).expect(200);
    assert!(
        form_page.body.contains("PDF, PNG, up to 12"),
        "{}",
        form_page.body
    );
    let csrf = form_page.csrf();
    let disguised = applicant.upload_named(
        &files,
        &csrf,
        "file",
        "statement.pdf",
        b"<!DOCTYPE html><html><script>alert(1)</script></html>".to_vec(),
    );
    assert_eq!(disguised.status, 422, "{}", disguised.body);
    assert!(
        disguised.body.contains("accepted types are PDF"),
        "{}",
        disguised.body
    );
    let executable = applicant.upload_named(
        &files,
        &csrf,
        "file",
        "statement.png",
        b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff".to_vec(),
    );
    assert_eq!(executable.status, 422, "an executable named .png");
    let uploaded =
        applicant.upload_named(&files, &csrf, "file", "march-statement.pdf", PDF.to_vec());
    assert_eq!(uploaded.status, 303, "{}", uploaded.body);
    assert_eq!(
        uploaded.location(),
        format!("/applications/{id}/sections/documents")
    );
    assert!(
        applicant
            .get(uploaded.location())
            .expect(200)
            .body
            .contains("march-statement.pdf")
    );

    let fixed = applicant.submit(
        &project,
        &project,
        &[
            ("a_plan", "Lunch and a chat"),
            ("a_start_day", "4"),
            ("a_start_month", "1"),
            ("a_start_year", "2099"),
            ("a_budget_item_0", "Hall hire"),
            ("a_budget_amount_0", "700"),
            ("a_budget_item_1", "Food"),
            ("a_budget_amount_1", "800"),
            ("a_agree", "on"),
        ],
    );
    assert_eq!(fixed.status, 303);
    let submitted = applicant.submit(
        &format!("/applications/{id}/check"),
        &format!("/applications/{id}/submit"),
        &[],
    );
    assert_eq!(submitted.status, 303, "{}", submitted.body);
    assert_eq!(
        submitted.location(),
        format!("/applications/{id}/submitted")
    );
    let after = applicant.get(&project);
    assert_eq!(
        after.status, 303,
        "a submitted application's answers are fixed"
    );

    let mut assessor = Visitor::new(app);
    assessor.sign_in(&app.user_email(Role::Assessor, None));
    let read = assessor.get(&format!("/applications/{id}")).expect(200);
    assert!(
        read.body.contains("march-statement.pdf"),
        "staff see the file"
    );
    let link = read
        .body
        .split("href=\"/attachments/")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let download = assessor.get(&format!("/attachments/{link}"));
    assert_eq!(download.status, 200);
    assert!(
        download
            .header("content-disposition")
            .starts_with("attachment")
    );
    assert_eq!(download.header("x-content-type-options"), "nosniff");
    assert_eq!(download.body.as_bytes(), PDF);
    for shown in [
        "St Mary",
        "NE8 1HE",
        "Older people",
        "Carers",
        "Hall hire: £700.00",
        "Total: £1,500.00",
        "4 January 2099",
    ] {
        assert!(read.body.contains(shown), "staff see {shown:?}");
    }
    assert!(
        !read.body.contains("govuk-task-list"),
        "no task list for staff"
    );
    assert!(
        !read.body.contains("Charity number"),
        "hidden questions are not listed"
    );

    let (_, other) = app
        .grantee(
            &admin,
            json!({"name": "Another Group"}),
            DueDiligence::Passed,
        )
        .with_user_email(app);
    let mut stranger = Visitor::new(app);
    stranger.sign_in(&other);
    assert_eq!(stranger.get(&group).status, 404);
    assert_eq!(stranger.get(&format!("/applications/{id}")).status, 404);
    let _ = grantee;
}

fn an_administrator_writes_a_form_until_the_round_opens(app: &TestApp) {
    let admin_email = app.user_email(Role::Admin, None);
    let admin_token = app.admin();
    let round = app.upcoming_round(&admin_token, "PW");
    let page = format!("/rounds/{}/form", round.id);
    let mut admin = Visitor::new(app);
    admin.sign_in(&admin_email);
    let empty = admin.get(&page).expect(200);
    assert!(empty.body.contains("only the standard questions"));
    assert!(
        empty.body.contains("name=\"definition\""),
        "an editor before the round opens"
    );
    let template = admin
        .get(&format!("{page}?template=microgrant"))
        .expect(200);
    assert!(
        template.body.contains("bank_statement"),
        "the template fills the editor"
    );

    let bad = admin.submit(
        &page,
        &page,
        &[("definition", "{\"sections\": []}"), ("version", "")],
    );
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("1 to 20 sections"), "{}", bad.body);
    let microgrant = include_str!("../../crates/server/forms/microgrant.json");
    let saved = admin.submit(&page, &page, &[("definition", microgrant), ("version", "")]);
    assert_eq!(saved.status, 303, "{}", saved.body);
    let shown = admin.get(&page).expect(200);
    assert!(
        shown
            .body
            .contains("What will your project do to bring people together?")
    );
    assert!(shown.body.contains("Version 1"));
    assert!(shown.body.contains("up to 300 words"));
    let stale = admin.submit(&page, &page, &[("definition", microgrant), ("version", "")]);
    assert_eq!(stale.status, 422);
    assert!(
        stale.body.contains("someone else changed this form"),
        "{}",
        stale.body
    );

    let (_, grantee_email) = app
        .grantee(&admin_token, json!({}), DueDiligence::Passed)
        .with_user_email(app);
    let mut grantee = Visitor::new(app);
    grantee.sign_in(&grantee_email);
    let read = grantee.get(&page).expect(200);
    assert!(
        read.body
            .contains("What will your project do to bring people together?")
    );
    assert!(
        !read.body.contains("name=\"definition\""),
        "no editor for applicants"
    );
    let csrf = read.csrf();
    let refused = grantee.post(
        &page,
        &[
            ("definition", microgrant),
            ("version", "1"),
            ("csrf", &csrf),
        ],
    );
    assert_eq!(refused.status, 403);

    app.open_now(&round);
    let locked = admin.get(&page).expect(200);
    assert!(locked.body.contains("can no longer change"));
    assert!(!locked.body.contains("name=\"definition\""));
    let csrf = locked.csrf();
    let late = admin.post(
        &page,
        &[
            ("definition", microgrant),
            ("version", "1"),
            ("csrf", &csrf),
        ],
    );
    assert_eq!(late.status, 422);
    assert!(late.body.contains("can no longer change"));
}

api_tests!(
    an_applicant_answers_section_by_section_and_submits,
    an_administrator_writes_a_form_until_the_round_opens,
);
