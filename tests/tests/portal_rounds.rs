//! Setting up rounds in the staff portal (issue 17), on both backends: an
//! administrator adds a round to a fund, sees every bad value named, changes
//! it, is shown both values when someone else changed it meanwhile, and
//! opens or closes it now; other roles cannot.

use grantledger_domain::user::Role;
use grantledger_tests::portal::Visitor;
use grantledger_tests::{DueDiligence, TestApp, api_tests, expect, id_of};
use serde_json::json;

fn an_administrator_sets_up_changes_and_closes_a_round(app: &TestApp) {
    let token = app.admin();
    let fund = app.fund_with(
        &token,
        json!({"code": "PR", "name": "Portal Rounds Fund", "budget": "50000.00"}),
    );
    let mut admin = Visitor::new(app);
    admin.sign_in(&app.user_email(Role::Admin, None));
    let fund_page = admin.get(&format!("/funds/{}", fund.id)).expect(200);
    let new = format!("/funds/{}/rounds/new", fund.id);
    assert!(
        fund_page.body.contains(&new),
        "the fund page offers a new round"
    );

    let create = format!("/funds/{}/rounds", fund.id);
    let refused = admin.submit(
        &new,
        &create,
        &[
            ("name", "Round 1"),
            ("opens_at", "2027-02-01 09:00"),
            ("closes_at", "2027-01-01 09:00"),
            ("allocation", "lots"),
            ("min_grant", "100"),
            ("max_grant", "2500"),
        ],
    );
    assert_eq!(refused.status, 422);
    assert!(
        refused.body.contains("id=\"closes_at-error\""),
        "{}",
        refused.body
    );
    assert!(refused.body.contains("id=\"allocation-error\""));
    assert!(
        refused.body.contains("value=\"Round 1\""),
        "what was typed is kept"
    );

    let created = admin.submit(
        &new,
        &create,
        &[
            ("name", "Spring round"),
            ("opens_at", "2027-02-01 09:00"),
            ("closes_at", "2027-03-31 17:00"),
            ("allocation", "20000"),
            ("min_grant", "100"),
            ("max_grant", "2500"),
            ("max_annual_income", "50000"),
            ("type__community_group", "on"),
            ("region__north_east", "on"),
            ("one_each", "on"),
        ],
    );
    assert_eq!(created.status, 303, "{}", created.body);
    let round_page = created.location().to_owned();
    let round_id = round_page.trim_start_matches("/rounds/").to_owned();
    let read = expect(
        app.get(&format!("/v1/rounds/{round_id}"), Some(&token)),
        200,
    );
    assert_eq!(read["name"], "Spring round");
    assert_eq!(read["allocation"], "20000.00");
    assert_eq!(
        read["eligibility"]["organisation_types"],
        json!(["community_group"])
    );
    assert_eq!(read["eligibility"]["regions"], json!(["north_east"]));
    assert_eq!(
        read["eligibility"]["one_application_per_organisation"],
        true
    );

    // Someone else raises the allocation while this administrator edits.
    let edit = format!("/rounds/{round_id}/edit");
    let form = admin.get(&edit).expect(200);
    assert!(form.body.contains("value=\"2027-02-01 09:00\""));
    let csrf = form.csrf();
    expect(
        app.patch(
            &format!("/v1/rounds/{round_id}"),
            Some(&token),
            Some("*"),
            &json!({"allocation": "25000.00"}),
        ),
        200,
    );
    let version = form
        .body
        .split("name=\"version\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let clash = admin.post(
        &edit,
        &[
            ("csrf", &csrf),
            ("version", &version),
            ("name", "Spring round"),
            ("opens_at", "2027-02-01 09:00"),
            ("closes_at", "2027-03-31 17:00"),
            ("allocation", "21000"),
            ("min_grant", "100"),
            ("max_grant", "2500"),
        ],
    );
    assert_eq!(clash.status, 409);
    assert!(clash.body.contains("Someone else changed this round"));
    assert!(
        clash.body.contains("25000.00") && clash.body.contains("21000"),
        "both values: {}",
        clash.body
    );
    let again = clash
        .body
        .split("name=\"version\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let saved = admin.post(
        &edit,
        &[
            ("csrf", &csrf),
            ("version", &again),
            ("name", "Spring round"),
            ("opens_at", "2027-02-01 09:00"),
            ("closes_at", "2027-03-31 17:00"),
            ("allocation", "21000"),
            ("min_grant", "100"),
            ("max_grant", "2500"),
        ],
    );
    assert_eq!(saved.status, 303, "{}", saved.body);
    assert_eq!(
        expect(
            app.get(&format!("/v1/rounds/{round_id}"), Some(&token)),
            200
        )["allocation"],
        "21000.00"
    );

    let opened = admin.post(&format!("/rounds/{round_id}/open-now"), &[("csrf", &csrf)]);
    assert_eq!(opened.status, 303, "{}", opened.body);
    assert_eq!(
        expect(
            app.get(&format!("/v1/rounds/{round_id}"), Some(&token)),
            200
        )["phase"],
        "open"
    );
    let closed = admin.post(&format!("/rounds/{round_id}/close-now"), &[("csrf", &csrf)]);
    assert_eq!(closed.status, 303, "{}", closed.body);
    assert_eq!(
        expect(
            app.get(&format!("/v1/rounds/{round_id}"), Some(&token)),
            200
        )["phase"],
        "closed"
    );

    for role in [Role::Assessor, Role::Auditor] {
        let mut staff = Visitor::new(app);
        staff.sign_in(&app.user_email(role, None));
        assert_eq!(staff.get(&edit).status, 403, "{role}");
        assert_eq!(staff.get(&new).status, 403, "{role}");
    }
    let grantee = app.grantee(&token, json!({}), DueDiligence::Passed);
    let gid = id_of(&json!({"id": grantee.id}));
    let mut applicant = Visitor::new(app);
    applicant.sign_in(&app.user_email(
        Role::Grantee,
        Some(gid.parse::<uuid::Uuid>().unwrap().into()),
    ));
    assert_eq!(applicant.get(&edit).status, 403);
    let csrf = applicant.get("/").expect(200).csrf();
    assert_eq!(
        applicant
            .post(&create, &[("csrf", &csrf), ("name", "x")])
            .status,
        403
    );
}

fn staff_start_a_review_and_give_a_draft_a_later_deadline(app: &TestApp) {
    let token = app.admin();
    let round = app.small_round(&token, "PSR", "Portal Review Start Fund");
    let grantee = app.grantee(&token, json!({}), DueDiligence::Passed);
    let submitted = app.submitted_application(&round, &grantee, "500.00");
    let draft = id_of(&app.draft_application(&round, &grantee, "400.00"));

    let mut assessor = Visitor::new(app);
    assessor.sign_in(&app.user_email(Role::Assessor, None));
    let page = assessor
        .get(&format!("/applications/{submitted}"))
        .expect(200);
    let start = format!("/applications/{submitted}/start-review");
    assert!(page.body.contains(&start));
    let csrf = page.csrf();
    assert_eq!(assessor.post(&start, &[("csrf", &csrf)]).status, 303);
    let read = expect(
        app.get(&format!("/v1/applications/{submitted}"), Some(&token)),
        200,
    );
    assert_eq!(read["status"], "under_review");
    assert!(
        !assessor
            .get(&format!("/applications/{submitted}"))
            .expect(200)
            .body
            .contains(&start)
    );
    assert_eq!(
        assessor
            .get(&format!("/applications/{draft}/extend"))
            .status,
        403
    );

    let mut admin = Visitor::new(app);
    admin.sign_in(&app.user_email(Role::Admin, None));
    let extend = format!("/applications/{draft}/extend");
    assert!(
        admin
            .get(&format!("/applications/{draft}"))
            .expect(200)
            .body
            .contains(&extend)
    );
    let early = admin.submit(
        &extend,
        &extend,
        &[("until", "2030-01-01 12:00"), ("reason", "Flooded hall")],
    );
    assert_eq!(early.status, 422);
    assert!(early.body.contains("id=\"until-error\""), "{}", early.body);
    let no_reason = admin.submit(
        &extend,
        &extend,
        &[("until", "2099-03-01 12:00"), ("reason", "")],
    );
    assert_eq!(no_reason.status, 422);
    assert!(no_reason.body.contains("id=\"reason-error\""));
    let given = admin.submit(
        &extend,
        &extend,
        &[("until", "2099-03-01 12:00"), ("reason", "Flooded hall")],
    );
    assert_eq!(given.status, 303, "{}", given.body);
    let read = expect(
        app.get(&format!("/v1/applications/{draft}"), Some(&token)),
        200,
    );
    assert_eq!(
        read["deadline_extension"]["reason"], "Flooded hall",
        "{read}"
    );
}

api_tests!(
    an_administrator_sets_up_changes_and_closes_a_round,
    staff_start_a_review_and_give_a_draft_a_later_deadline,
);
