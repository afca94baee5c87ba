//! Setting up funds in the staff portal (issue 17), on both backends: an
//! administrator sets up a fund with two funders, sees bad values named,
//! changes it (a change over someone else's is refused with what is saved
//! now), opens and closes it; other roles cannot.

use grantledger_domain::user::Role;
use grantledger_tests::portal::Visitor;
use grantledger_tests::{TestApp, api_tests, expect};
use serde_json::json;

fn an_administrator_sets_up_changes_opens_and_closes_a_fund(app: &TestApp) {
    let token = app.admin();
    let mut admin = Visitor::new(app);
    admin.sign_in(&app.user_email(Role::Admin, None));
    assert!(admin.get("/").expect(200).body.contains("/funds/new"));
    let bad = admin.submit(
        "/funds/new",
        "/funds",
        &[
            ("code", "lower case"),
            ("name", "Kindness Fund"),
            ("funder-0", "Department for Culture, Media and Sport"),
            ("contribution-0", "lots"),
        ],
    );
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("id=\"code-error\""), "{}", bad.body);
    assert!(bad.body.contains("id=\"contribution-0-error\""));
    assert!(
        bad.body.contains("value=\"Kindness Fund\""),
        "what was typed is kept"
    );

    let made = admin.submit(
        "/funds/new",
        "/funds",
        &[
            ("code", "KND"),
            ("name", "Kindness Fund"),
            ("funder-0", "Department for Culture, Media and Sport"),
            ("contribution-0", "30000"),
            ("funder-1", "Pears Foundation"),
            ("contribution-1", "20000"),
            ("check__registration", "on"),
        ],
    );
    assert_eq!(made.status, 303, "{}", made.body);
    let page = made.location().to_owned();
    let id = page.trim_start_matches("/funds/").to_owned();
    let read = expect(app.get(&format!("/v1/funds/{id}"), Some(&token)), 200);
    assert_eq!(read["budget"], "50000.00");
    assert_eq!(read["status"], "draft");
    assert_eq!(read["required_checks"], json!(["registration"]));

    let edit = format!("/funds/{id}/edit");
    let form = admin.get(&edit).expect(200);
    assert!(form.body.contains("value=\"Pears Foundation\""));
    let csrf = form.csrf();
    expect(
        app.patch(
            &format!("/v1/funds/{id}"),
            Some(&token),
            Some("*"),
            &json!({"name": "Kindness Fund 2027"}),
        ),
        200,
    );
    let fields = [
        ("csrf", csrf.as_str()),
        ("version", "1"),
        ("name", "Kindness and Connection Fund"),
        ("funder-0", "Department for Culture, Media and Sport"),
        ("contribution-0", "30000"),
        ("funder-1", "Pears Foundation"),
        ("contribution-1", "25000"),
    ];
    let clash = admin.post(&edit, &fields);
    assert_eq!(clash.status, 409);
    assert!(
        clash.body.contains("Kindness Fund 2027"),
        "what is saved now: {}",
        clash.body
    );
    let version = clash
        .body
        .split("name=\"version\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let mut again = fields.to_vec();
    again[1] = ("version", &version);
    assert_eq!(admin.post(&edit, &again).status, 303);
    let read = expect(app.get(&format!("/v1/funds/{id}"), Some(&token)), 200);
    assert_eq!(read["name"], "Kindness and Connection Fund");
    assert_eq!(read["budget"], "55000.00");

    assert!(
        admin
            .get(&page)
            .expect(200)
            .body
            .contains(&format!("/funds/{id}/open"))
    );
    assert_eq!(
        admin
            .post(&format!("/funds/{id}/open"), &[("csrf", &csrf)])
            .status,
        303
    );
    assert_eq!(
        expect(app.get(&format!("/v1/funds/{id}"), Some(&token)), 200)["status"],
        "open"
    );
    assert_eq!(
        admin
            .post(&format!("/funds/{id}/close"), &[("csrf", &csrf)])
            .status,
        303
    );
    assert_eq!(
        expect(app.get(&format!("/v1/funds/{id}"), Some(&token)), 200)["status"],
        "closed"
    );

    let mut auditor = Visitor::new(app);
    auditor.sign_in(&app.user_email(Role::Auditor, None));
    assert_eq!(auditor.get("/funds/new").status, 403);
    assert_eq!(auditor.get(&edit).status, 403);
    assert!(!auditor.get(&page).expect(200).body.contains(&edit));
}

api_tests!(an_administrator_sets_up_changes_opens_and_closes_a_fund);
