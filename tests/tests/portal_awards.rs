//! Managing an award in the staff portal (issue 17), on both backends:
//! scheduling a payment, changing the amount with its history, setting the
//! return date and cancelling with a reason, each refusal shown on its
//! form; other roles cannot.

use grantledger_domain::user::Role;
use grantledger_tests::portal::Visitor;
use grantledger_tests::{DueDiligence, TestApp, api_tests, expect};
use serde_json::json;

fn an_administrator_pays_varies_and_cancels_an_award(app: &TestApp) {
    let token = app.admin();
    let round = app.small_round(&token, "PAW", "Portal Awards Fund");
    let grantee = app.grantee(&token, json!({}), DueDiligence::Passed);
    let award = app.accepted_award(&round, &grantee, "1000.00");
    let mut admin = Visitor::new(app);
    admin.sign_in(&app.user_email(Role::Admin, None));
    let page = format!("/awards/{award}/manage");
    assert!(
        admin
            .get(&format!("/awards/{award}"))
            .expect(200)
            .body
            .contains(&page)
    );
    let form = admin.get(&page).expect(200);
    let csrf = form.csrf();

    let bad = admin.post(
        &format!("/awards/{award}/tranches"),
        &[
            ("csrf", &csrf),
            ("tranche_amount", "300"),
            ("tranche_due_on", "next week"),
        ],
    );
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("id=\"tranche_due_on-error\""));
    let too_much = admin.post(
        &format!("/awards/{award}/tranches"),
        &[
            ("csrf", &csrf),
            ("tranche_amount", "1200"),
            ("tranche_due_on", "2026-12-01"),
        ],
    );
    assert_eq!(too_much.status, 422, "{}", too_much.body);
    assert!(too_much.body.contains("govuk-error-summary"));
    let scheduled = admin.post(
        &format!("/awards/{award}/tranches"),
        &[
            ("csrf", &csrf),
            ("tranche_amount", "300"),
            ("tranche_due_on", "2026-12-01"),
        ],
    );
    assert_eq!(scheduled.status, 303, "{}", scheduled.body);
    assert!(
        admin
            .get(scheduled.location())
            .expect(200)
            .body
            .contains("The payment is scheduled.")
    );
    let tranches = expect(
        app.get(&format!("/v1/awards/{award}/disbursements"), Some(&token)),
        200,
    );
    assert_eq!(tranches["items"][0]["amount"], "300.00", "{tranches}");
    assert_eq!(tranches["items"].as_array().unwrap().len(), 1);

    let no_reason = admin.post(
        &format!("/awards/{award}/variations"),
        &[("csrf", &csrf), ("vary_amount", "800"), ("vary_reason", "")],
    );
    assert_eq!(no_reason.status, 422);
    assert!(no_reason.body.contains("id=\"vary_reason-error\""));
    let varied = admin.post(
        &format!("/awards/{award}/variations"),
        &[
            ("csrf", &csrf),
            ("vary_amount", "800"),
            ("vary_reason", "Hall hire came free"),
        ],
    );
    assert_eq!(varied.status, 303, "{}", varied.body);
    let shown = admin.get(&page).expect(200);
    assert!(shown.body.contains("Hall hire came free"));
    assert!(shown.body.contains("£1,000.00") && shown.body.contains("£800.00"));

    let dated = admin.post(
        &format!("/awards/{award}/return-due"),
        &[("csrf", &csrf), ("return_due_on", "2027-06-30")],
    );
    assert_eq!(dated.status, 303, "{}", dated.body);
    assert!(admin.get(&page).expect(200).body.contains("30 June 2027"));

    let blank = admin.post(
        &format!("/awards/{award}/cancel"),
        &[("csrf", &csrf), ("cancel_reason", " ")],
    );
    assert_eq!(blank.status, 422);
    assert!(blank.body.contains("id=\"cancel_reason-error\""));
    let cancelled = admin.post(
        &format!("/awards/{award}/cancel"),
        &[("csrf", &csrf), ("cancel_reason", "The group has closed")],
    );
    assert_eq!(cancelled.status, 303, "{}", cancelled.body);
    let read = expect(app.get(&format!("/v1/awards/{award}"), Some(&token)), 200);
    assert_eq!(read["status"], "cancelled");
    assert_eq!(read["cancellation_reason"], "The group has closed");

    for role in [Role::Assessor, Role::Auditor] {
        let mut staff = Visitor::new(app);
        staff.sign_in(&app.user_email(role, None));
        assert_eq!(staff.get(&page).status, 403, "{role}");
    }
}

fn return_body() -> serde_json::Value {
    json!({
        "period_start": "2026-04-01", "period_end": "2026-09-30",
        "participants_reached": 12, "volunteers": 2, "sessions_delivered": 20,
        "narrative": "Weekly lunches.",
        "responses": [
            {"stage": "baseline", "participant_code": "P-1", "direct": "often_always",
             "lack_companionship": "often", "left_out": "often", "isolated": "some_of_the_time"},
            {"stage": "follow_up", "participant_code": "P-1", "direct": "occasionally"}
        ]
    })
}

fn an_administrator_reviews_a_return_in_the_portal(app: &TestApp) {
    let token = app.admin();
    let round = app.small_round(&token, "PRV", "Portal Review Fund");
    let grantee = app
        .grantee(&token, json!({}), DueDiligence::Passed)
        .signed_in(app);
    let award = app.accepted_award(&round, &grantee, "1000.00");
    let returns = format!("/v1/awards/{award}/evaluation-returns");
    let applicant = grantee.user.clone().unwrap();
    let submitted = expect(app.post(&returns, Some(&applicant), &return_body()), 201);
    let status_of = || {
        let id = submitted["return_id"]
            .as_str()
            .or(submitted["id"].as_str())
            .unwrap();
        expect(
            app.get(&format!("/v1/evaluation-returns/{id}"), Some(&applicant)),
            200,
        )["status"]
            .clone()
    };

    let mut admin = Visitor::new(app);
    admin.sign_in(&app.user_email(Role::Admin, None));
    let page = format!("/awards/{award}/return");
    let shown = admin.get(&page).expect(200);
    assert!(shown.body.contains("Review this return"));
    let csrf = shown.csrf();
    let review = format!("/awards/{award}/return/review");
    let no_comment = admin.post(
        &review,
        &[
            ("csrf", &csrf),
            ("version", "1"),
            ("decision", "request_changes"),
        ],
    );
    assert_eq!(no_comment.status, 422);
    assert!(
        no_comment.body.contains("id=\"comment-error\""),
        "{}",
        no_comment.body
    );
    let sent_back = admin.post(
        &review,
        &[
            ("csrf", &csrf),
            ("version", "1"),
            ("decision", "request_changes"),
            ("comment", "Please add the follow-up answers for P-1."),
        ],
    );
    assert_eq!(sent_back.status, 303, "{}", sent_back.body);
    assert_eq!(status_of(), "changes_requested");
    assert!(
        !admin
            .get(&page)
            .expect(200)
            .body
            .contains("Review this return")
    );

    expect(app.post(&returns, Some(&applicant), &return_body()), 201);
    let stale = admin.post(
        &review,
        &[("csrf", &csrf), ("version", "1"), ("decision", "accept")],
    );
    assert_eq!(
        stale.status, 422,
        "a newer version is never reviewed unseen"
    );
    assert!(stale.body.contains("latest is version 2"));
    let accepted = admin.post(
        &review,
        &[("csrf", &csrf), ("version", "2"), ("decision", "accept")],
    );
    assert_eq!(accepted.status, 303, "{}", accepted.body);
    assert_eq!(status_of(), "accepted");

    let mut auditor = Visitor::new(app);
    auditor.sign_in(&app.user_email(Role::Auditor, None));
    let read = auditor.get(&page).expect(200);
    assert!(!read.body.contains("Review this return"));
    let csrf = read.csrf();
    assert_eq!(
        auditor
            .post(&review, &[("csrf", &csrf), ("decision", "accept")])
            .status,
        403
    );
}

api_tests!(
    an_administrator_pays_varies_and_cancels_an_award,
    an_administrator_reviews_a_return_in_the_portal,
);
