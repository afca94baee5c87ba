//! A decision carries two texts (issue 20): feedback the applicant reads and
//! an internal note for staff only. On both backends: the applicant never
//! receives the note, in any answer of the API it can reach or any page of
//! the portal it can follow a link to; staff do; and bad texts get a 422
//! naming the field, singly and in a bulk decision.

use std::collections::{BTreeSet, VecDeque};

use grantledger_domain::user::Role;
use grantledger_tests::portal::Visitor;
use grantledger_tests::{DueDiligence, Grantee, Round, TestApp, api_tests, error_fields, expect};
use serde_json::{Value, json};

const FEEDBACK: &str = "Thank you: the round was oversubscribed.";
const NOTE: &str = "PANEL-ONLY scored 3/10, budget unclear";

/// A grantee with a user of its own, two applications in one round (one
/// rejected with feedback and a note, one awarded with a note only), and the
/// ids an applicant could put into a URL.
struct Decided {
    round: Round,
    grantee: Grantee,
    email: String,
    rejected: String,
    award: String,
}

fn decided(app: &TestApp) -> Decided {
    let admin = app.admin();
    let round = app.small_round(&admin, "FB", "Feedback Fund");
    let (grantee, email) = app
        .grantee(&admin, json!({}), DueDiligence::Passed)
        .with_user_email(app);
    let rejected = app.submitted_application(&round, &grantee, "1000.00");
    let awarded = app.submitted_application(&round, &grantee, "900.00");
    let r = expect(
        app.post(
            &format!("/v1/applications/{rejected}/decision"),
            Some(&admin),
            &json!({"outcome": "reject", "feedback": FEEDBACK, "internal_note": NOTE}),
        ),
        201,
    );
    assert_eq!(r["application"]["decision_feedback"], FEEDBACK);
    assert_eq!(
        r["application"]["decision_note"], NOTE,
        "the decider sees it"
    );
    let r = expect(
        app.post(
            &format!("/v1/applications/{awarded}/decision"),
            Some(&admin),
            &json!({"outcome": "award", "amount": "900.00", "internal_note": NOTE}),
        ),
        201,
    );
    let award = r["award"]["id"].as_str().unwrap().to_owned();
    Decided {
        round,
        grantee,
        email,
        rejected,
        award,
    }
}

/// Every GET path of the API document, with `{…}` filled from `ids` by the
/// parameter's name; paths needing an id we do not have are left out.
fn reachable_paths(app: &TestApp, ids: &[(&str, &str)]) -> Vec<String> {
    let doc = expect(app.get("/openapi.json", None), 200);
    let mut paths = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        if item.get("get").is_none() {
            continue;
        }
        let mut filled = format!("/v1{}", path.trim_start_matches("/v1"));
        let mut complete = true;
        while let Some(start) = filled.find('{') {
            let end = start + filled[start..].find('}').unwrap();
            let name = &filled[start + 1..end];
            // Each route names its parameter `id`; the path says of what.
            let owner = filled[..start].trim_end_matches('/').rsplit('/').next();
            let key = if name == "id" {
                owner.unwrap_or_default()
            } else {
                name
            };
            match ids.iter().find(|(k, _)| *k == key) {
                Some((_, v)) => filled.replace_range(start..=end, v),
                None => {
                    complete = false;
                    break;
                }
            }
        }
        if complete {
            paths.push(filled);
        }
    }
    paths
}

fn the_applicant_never_receives_the_internal_note(app: &TestApp) {
    let d = decided(app);
    let token = d.grantee.user.clone().unwrap();
    let ids = [
        ("applications", d.rejected.as_str()),
        ("rounds", d.round.id.as_str()),
        ("grantees", d.grantee.id.as_str()),
        ("awards", d.award.as_str()),
    ];
    let paths = reachable_paths(app, &ids);
    assert!(
        paths
            .iter()
            .any(|p| p == &format!("/v1/applications/{}", d.rejected)),
        "the crawl covers the application itself: {paths:?}"
    );
    let mut readable = 0;
    for path in &paths {
        let response = app.get(path, Some(&token));
        let status = response.status().as_u16();
        let body = response.text().unwrap();
        assert!(!body.contains(NOTE), "GET {path} ({status}) shows the note");
        if status == 200 {
            readable += 1;
        }
    }
    assert!(readable >= 3, "the grantee could read {readable} paths");

    // The application itself, alone and in its round's list: the feedback,
    // and no note field at all.
    let one = expect(
        app.get(&format!("/v1/applications/{}", d.rejected), Some(&token)),
        200,
    );
    assert_eq!(one["decision_feedback"], FEEDBACK);
    assert!(one.get("decision_note").is_none(), "{one}");
    let list = expect(
        app.get(
            &format!("/v1/rounds/{}/applications", d.round.id),
            Some(&token),
        ),
        200,
    );
    assert_eq!(list["items"].as_array().unwrap().len(), 2);

    // The portal: every page reachable by links from the home page.
    let mut visitor = Visitor::new(app);
    visitor.sign_in(&d.email);
    let mut seen = BTreeSet::new();
    let mut queue = VecDeque::from(["/".to_owned(), format!("/applications/{}", d.rejected)]);
    let mut feedback_shown = false;
    while let Some(path) = queue.pop_front() {
        if !seen.insert(path.clone()) || seen.len() > 80 {
            continue;
        }
        let page = visitor.get(&path);
        assert!(!page.body.contains(NOTE), "{path} shows the note");
        feedback_shown |= page.body.contains(FEEDBACK);
        if page.status != 200 {
            continue;
        }
        for link in page.body.split("href=\"").skip(1) {
            let href = link.split('"').next().unwrap_or_default();
            let safe = href.starts_with('/')
                && !href.starts_with("//")
                && !href.starts_with("/assets")
                && !href.contains("sign-out")
                && !href.contains("signout");
            if safe {
                queue.push_back(href.replace("&amp;", "&"));
            }
        }
    }
    assert!(feedback_shown, "the applicant reads the feedback somewhere");
    assert!(seen.len() > 3, "the crawl went nowhere: {seen:?}");
}

fn staff_read_the_internal_note(app: &TestApp) {
    let d = decided(app);
    for role in [Role::Admin, Role::Auditor, Role::Assessor] {
        let token = app.user(role, None);
        let one = expect(
            app.get(&format!("/v1/applications/{}", d.rejected), Some(&token)),
            200,
        );
        assert_eq!(one["decision_note"], NOTE, "{role:?}");
        assert_eq!(one["decision_feedback"], FEEDBACK, "{role:?}");
    }
    // The audit trail, which only staff read, keeps both texts.
    let events = expect(
        app.get(
            &format!(
                "/v1/audit-events?action=application.rejected&entity_id={}",
                d.rejected
            ),
            Some(&app.auditor()),
        ),
        200,
    );
    let after = &events["items"][0]["after"];
    assert_eq!(after["decision_feedback"], FEEDBACK, "{events}");
    assert_eq!(after["decision_note"], NOTE, "{events}");
    assert_eq!(after["status"], "rejected", "{events}");
    let admin_email = app.user_email(Role::Admin, None);
    let mut admin = Visitor::new(app);
    admin.sign_in(&admin_email);
    let page = admin
        .get(&format!("/applications/{}", d.rejected))
        .expect(200);
    assert!(page.body.contains(NOTE), "{}", page.body);
    assert!(page.body.contains(FEEDBACK), "{}", page.body);
}

fn bad_decision_texts_are_refused_naming_the_field(app: &TestApp) {
    let admin = app.admin();
    let round = app.small_round(&admin, "FB", "Feedback Fund");
    let grantee = app.grantee(&admin, json!({}), DueDiligence::Passed);
    let application = app.submitted_application(&round, &grantee, "1000.00");
    let decide = |body: Value| {
        app.post(
            &format!("/v1/applications/{application}/decision"),
            Some(&admin),
            &body,
        )
    };
    for (body, field) in [
        (json!({"outcome": "reject"}), "feedback"),
        (
            json!({"outcome": "reject", "feedback": " ", "internal_note": NOTE}),
            "feedback",
        ),
        (
            json!({"outcome": "reject", "feedback": "x".repeat(2001)}),
            "feedback",
        ),
        (
            json!({"outcome": "reject", "feedback": "no", "internal_note": "x".repeat(2001)}),
            "internal_note",
        ),
        (
            json!({"outcome": "award", "amount": "900.00", "internal_note": "bell\u{7}"}),
            "internal_note",
        ),
    ] {
        let problem = expect(decide(body.clone()), 422);
        assert_eq!(error_fields(&problem), [field], "{body} → {problem}");
    }
    // Nothing was decided by the refusals.
    let one = expect(
        app.get(&format!("/v1/applications/{application}"), Some(&admin)),
        200,
    );
    assert_eq!(one["status"], "submitted");

    // The old name of the feedback field still works.
    let r = expect(
        decide(json!({"outcome": "reject", "reason": "Outside our aims"})),
        201,
    );
    assert_eq!(r["application"]["decision_feedback"], "Outside our aims");
    assert!(r["application"].get("decision_note").is_none(), "{r}");

    // In a bulk decision, each bad item is refused on its own.
    let first = app.submitted_application(&round, &grantee, "500.00");
    let second = app.submitted_application(&round, &grantee, "500.00");
    let bulk = expect(
        app.post(
            &format!("/v1/rounds/{}/decisions", round.id),
            Some(&admin),
            &json!({"decisions": [
                {"application_id": first, "outcome": "reject", "internal_note": NOTE},
                {"application_id": second, "outcome": "reject", "feedback": FEEDBACK, "internal_note": NOTE},
            ]}),
        ),
        200,
    );
    assert_eq!(bulk["results"][0]["status"], 422, "{bulk}");
    assert_eq!(
        error_fields(&bulk["results"][0]["problem"]),
        ["feedback"],
        "{bulk}"
    );
    assert_eq!(bulk["results"][1]["status"], 201, "{bulk}");
    let kept = expect(
        app.get(&format!("/v1/applications/{second}"), Some(&admin)),
        200,
    );
    assert_eq!(kept["decision_feedback"], FEEDBACK);
    assert_eq!(kept["decision_note"], NOTE);
}

fn an_administrator_decides_in_the_portal(app: &TestApp) {
    let admin_token = app.admin();
    let round = app.small_round(&admin_token, "FB", "Feedback Fund");
    let (grantee, email) = app
        .grantee(&admin_token, json!({}), DueDiligence::Passed)
        .with_user_email(app);
    let application = app.submitted_application(&round, &grantee, "1000.00");
    let page_path = format!("/applications/{application}");
    let form_path = format!("/applications/{application}/decide");

    // The applicant cannot decide, nor see the form.
    let mut applicant = Visitor::new(app);
    applicant.sign_in(&email);
    assert!(
        !applicant
            .get(&page_path)
            .expect(200)
            .body
            .contains(&form_path)
    );
    let status = applicant.get(&form_path).status;
    assert!(status == 403 || status == 404, "got {status}");

    let admin_email = app.user_email(Role::Admin, None);
    let mut admin = Visitor::new(app);
    admin.sign_in(&admin_email);
    assert!(admin.get(&page_path).expect(200).body.contains(&form_path));
    let form = admin.get(&form_path).expect(200);
    assert!(form.body.contains("value=\"1000.00\""), "{}", form.body);

    // Each refusal comes back on its field, and nothing is decided.
    let refused = admin.submit(&form_path, &form_path, &[("feedback", "x")]);
    assert_eq!(refused.status, 422);
    assert!(
        refused.body.contains("href=\"#outcome\""),
        "{}",
        refused.body
    );
    let refused = admin.submit(
        &form_path,
        &form_path,
        &[("outcome", "reject"), ("internal_note", NOTE)],
    );
    assert_eq!(refused.status, 422);
    assert!(
        refused.body.contains("href=\"#feedback\""),
        "{}",
        refused.body
    );
    assert!(
        refused.body.contains(NOTE),
        "what was typed is kept: {}",
        refused.body
    );
    let refused = admin.submit(
        &form_path,
        &form_path,
        &[("outcome", "award"), ("amount", "5000.00")],
    );
    assert_eq!(refused.status, 422);
    assert!(
        refused.body.contains("href=\"#amount\""),
        "{}",
        refused.body
    );
    let one = expect(app.get(&format!("/v1{page_path}"), Some(&admin_token)), 200);
    assert_eq!(one["status"], "submitted");

    let done = admin.submit(
        &form_path,
        &form_path,
        &[
            ("outcome", "reject"),
            ("feedback", FEEDBACK),
            ("internal_note", NOTE),
        ],
    );
    assert_eq!(done.status, 303, "{}", done.body);
    assert_eq!(done.location(), page_path);
    let shown = admin.get(&page_path).expect(200);
    assert!(shown.body.contains(FEEDBACK) && shown.body.contains(NOTE));
    assert!(
        !shown.body.contains(&form_path),
        "decided: no form any more"
    );

    let seen = applicant.get(&page_path).expect(200);
    assert!(seen.body.contains(FEEDBACK), "{}", seen.body);
    assert!(!seen.body.contains(NOTE), "{}", seen.body);
}

/// The demo grantee has a rejection to read: the feedback, not the note.
fn the_demo_applicant_reads_feedback_not_the_note(app: &TestApp) {
    use grantledger_server::demo::{DEMO_PASSWORD, DEMO_USERS};
    app.demo();
    let mut grantee = Visitor::new(app);
    assert_eq!(
        grantee.sign_in_with(DEMO_USERS[3].0, DEMO_PASSWORD).status,
        303
    );
    let home = grantee.get("/").expect(200);
    let link = home
        .body
        .split("href=\"/applications/")
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap().to_owned())
        .find(|id| {
            grantee
                .get(&format!("/applications/{id}"))
                .body
                .contains("Friday film club")
        })
        .expect("the demo grantee's rejected application is on its home page");
    let page = grantee.get(&format!("/applications/{link}")).expect(200);
    assert!(
        page.body.contains("we would welcome an application"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("Panel: 2/5"), "{}", page.body);
}

api_tests!(
    the_demo_applicant_reads_feedback_not_the_note,
    an_administrator_decides_in_the_portal,
    the_applicant_never_receives_the_internal_note,
    staff_read_the_internal_note,
    bad_decision_texts_are_refused_naming_the_field,
);
