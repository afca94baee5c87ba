//! The audit trail's pages over HTTP, on both backends: browse, filter and
//! page through events, open one to see the record before and after,
//! verify the chain in the browser alone and see where it breaks after an
//! event is edited in the database; and who may do each.

use grantledger_domain::user::Role;
use grantledger_tests::portal::{Page, Visitor};
use grantledger_tests::{DueDiligence, TestApp, api_tests, tameside};
use serde_json::json;

fn signed_in(app: &TestApp, role: Role) -> Visitor {
    let mut v = Visitor::new(app);
    v.sign_in(&app.user_email(role, None));
    v
}

/// The sequence numbers linked from a page of the trail, in order.
fn seqs(page: &Page) -> Vec<i64> {
    page.body
        .split("href=\"/audit/")
        .skip(1)
        .filter_map(|rest| rest.split('"').next()?.parse().ok())
        .collect()
}

fn auditors_browse_filter_and_open_events(app: &TestApp) {
    let admin = app.admin();
    app.fund_with(
        &admin,
        json!({"code": "TRAIL", "name": "Trail Fund", "budget": "5000.00"}),
    );
    for i in 0..55 {
        app.grantee(
            &admin,
            tameside(&format!("Club {i}")),
            DueDiligence::NotDone,
        );
    }
    let mut auditor = signed_in(app, Role::Auditor);
    let home = auditor.get("/").expect(200);
    assert!(home.body.contains("href=\"/audit\""));

    let first = auditor.get("/audit").expect(200);
    let on_first = seqs(&first);
    assert_eq!(on_first.len(), 50, "50 events a page");
    assert!(on_first.windows(2).all(|w| w[0] < w[1]), "oldest first");
    let next =
        grantledger_tests::portal::value_after(&first.body, "href=\"/audit?").expect("a next page");
    let second = auditor
        .get(&format!("/audit?{}", next.replace("&amp;", "&")))
        .expect(200);
    let on_second = seqs(&second);
    assert!(!on_second.is_empty());
    assert!(on_second[0] > on_first[49], "the next page carries on");

    let funds = auditor.get("/audit?action=fund.created").expect(200);
    assert_eq!(seqs(&funds).len(), 1, "{}", funds.body);
    assert!(funds.body.contains(">fund.created<"));
    assert!(!funds.body.contains(">grantee.created<"));

    let event = auditor
        .get(&format!("/audit/{}", seqs(&funds)[0]))
        .expect(200);
    assert!(event.body.contains("Trail Fund"), "{}", event.body);
    assert!(event.body.contains("Nothing: the change made the record."));

    let bad = auditor.get("/audit?since=yesterday").expect(200);
    assert!(bad.body.contains("govuk-error-summary"));
    assert!(bad.body.contains("Enter the first day as a date"));
    assert!(seqs(&bad).is_empty());

    let today = chrono::Utc::now().date_naive();
    let ranged = auditor
        .get(&format!(
            "/audit?since={today}&until={today}&action=fund.created"
        ))
        .expect(200);
    assert_eq!(seqs(&ranged).len(), 1);
    let later = today + chrono::Days::new(1);
    let none = auditor.get(&format!("/audit?since={later}")).expect(200);
    assert!(none.body.contains("No events match."));

    auditor.get("/audit/999999999").expect(404);
    auditor.get("/audit/not-a-number").expect(404);
}

fn the_chain_is_verified_in_the_browser_and_a_break_is_named(app: &TestApp) {
    let admin = app.admin();
    app.fund(&admin, "1000.00");
    let mut auditor = signed_in(app, Role::Auditor);
    let csrf = auditor.get("/audit").expect(200).csrf();
    let intact = auditor
        .post("/audit/verify", &[("csrf", &csrf)])
        .expect(200);
    assert!(
        intact.body.contains("The chain is intact"),
        "{}",
        intact.body
    );
    assert!(intact.body.contains("Last link: position"));

    // An event edited behind the append-only trigger's back.
    app.edit_audit_trail(
        "UPDATE audit_events SET actor = 'someone else' \
         WHERE seq = (SELECT MIN(seq) FROM audit_events)",
    );
    let broken = auditor
        .post("/audit/verify", &[("csrf", &csrf)])
        .expect(200);
    assert!(
        broken.body.contains("The chain is broken"),
        "{}",
        broken.body
    );
    assert!(
        broken.body.contains("At position 1 (event"),
        "{}",
        broken.body
    );
}

fn only_administrators_and_auditors_see_the_trail(app: &TestApp) {
    let admin = app.admin();
    app.fund(&admin, "1000.00");
    let grantee = app
        .grantee(&admin, tameside("Club"), DueDiligence::Passed)
        .with_user_email(app)
        .1;
    let people = [
        (grantee, 403),
        (app.user_email(Role::Assessor, None), 403),
        (app.user_email(Role::Auditor, None), 200),
        (app.user_email(Role::Admin, None), 200),
    ];
    for (email, status) in people {
        let mut v = Visitor::new(app);
        v.sign_in(&email);
        let csrf = v.get("/").expect(200).csrf();
        assert_eq!(v.get("/audit").status, status, "{email}");
        assert_eq!(v.get("/audit/1").status, status, "{email}");
        assert_eq!(
            v.post("/audit/verify", &[("csrf", &csrf)]).status,
            status,
            "{email}"
        );
        // Without the form's token nobody verifies.
        assert_ne!(v.post("/audit/verify", &[("csrf", "x")]).status, 200);
    }
    let mut stranger = Visitor::new(app);
    assert_eq!(stranger.get("/audit").status, 303);
    assert_eq!(stranger.post("/audit/verify", &[("csrf", "x")]).status, 303);
}

api_tests!(
    auditors_browse_filter_and_open_events,
    the_chain_is_verified_in_the_browser_and_a_break_is_named,
    only_administrators_and_auditors_see_the_trail,
);
