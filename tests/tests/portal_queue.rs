//! A round's applications in the staff portal (issue 17), on both
//! backends: every application with its organisation, filtered by status,
//! paged without repeats or gaps, refused for a grantee user.

use std::collections::BTreeSet;

use grantledger_domain::user::Role;
use grantledger_tests::portal::Visitor;
use grantledger_tests::{DueDiligence, TestApp, api_tests};
use serde_json::json;

/// The application ids linked from a page.
fn linked(body: &str) -> Vec<String> {
    body.split("href=\"/applications/")
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap().to_owned())
        .collect()
}

fn staff_page_through_a_rounds_applications(app: &TestApp) {
    let admin = app.admin();
    let round = app.small_round(&admin, "QUE", "Queue Fund");
    let grantee = app.grantee(
        &admin,
        json!({"name": "Hebden Lunch Club"}),
        DueDiligence::Passed,
    );
    let mut submitted = BTreeSet::new();
    for _ in 0..52 {
        submitted.insert(app.submitted_application(&round, &grantee, "500.00"));
    }
    let draft = app.draft_application(&round, &grantee, "300.00")["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let mut staff = Visitor::new(app);
    staff.sign_in(&app.user_email(Role::Auditor, None));
    let queue = format!("/rounds/{}/applications", round.id);
    assert!(
        staff
            .get(&format!("/rounds/{}", round.id))
            .expect(200)
            .body
            .contains(&queue)
    );
    let first = staff.get(&queue).expect(200);
    assert!(
        first.body.contains("Hebden Lunch Club"),
        "the organisation's name"
    );
    let mut seen: Vec<String> = linked(&first.body);
    assert_eq!(seen.len(), 50, "a page of 50");
    let next = first
        .body
        .split("href=\"")
        .map(|rest| rest.split('"').next().unwrap().replace("&amp;", "&"))
        .find(|href| href.contains("after="))
        .expect("a next page");
    let second = staff.get(&next).expect(200);
    seen.extend(linked(&second.body));
    let unique: BTreeSet<String> = seen.iter().cloned().collect();
    assert_eq!(unique.len(), 53, "every application once");
    assert!(unique.contains(&draft));

    let drafts = staff.get(&format!("{queue}?status=draft")).expect(200);
    assert_eq!(linked(&drafts.body), std::slice::from_ref(&draft));
    let bad = staff.get(&format!("{queue}?status=lost")).expect(200);
    assert!(bad.body.contains("govuk-error-summary"), "{}", bad.body);

    // By region and by the amount asked for, in the page and the API alike.
    let welsh = app.grantee(
        &admin,
        json!({"name": "Swansea Walkers", "region": "wales"}),
        DueDiligence::Passed,
    );
    let large = app.submitted_application(&round, &welsh, "2000.00");
    let in_wales = staff.get(&format!("{queue}?region=wales")).expect(200);
    assert_eq!(linked(&in_wales.body), std::slice::from_ref(&large));
    let at_least = staff
        .get(&format!("{queue}?min_amount=%C2%A31%2C000"))
        .expect(200);
    assert_eq!(linked(&at_least.body), std::slice::from_ref(&large));
    let at_most = staff.get(&format!("{queue}?max_amount=400")).expect(200);
    assert_eq!(linked(&at_most.body), std::slice::from_ref(&draft));
    let both = staff
        .get(&format!("{queue}?region=north_east&min_amount=1000"))
        .expect(200);
    assert!(linked(&both.body).is_empty());
    let bad_amount = staff.get(&format!("{queue}?min_amount=lots")).expect(200);
    assert!(bad_amount.body.contains("govuk-error-summary"));
    let api = app.get(
        &format!(
            "/v1/rounds/{}/applications?region=wales&min_amount=1000.00",
            round.id
        ),
        Some(&admin),
    );
    let api: serde_json::Value = api.json().unwrap();
    let ids: Vec<&str> = api["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [large.as_str()]);

    let (_, email) = app
        .grantee(&admin, json!({"name": "Other"}), DueDiligence::NotDone)
        .with_user_email(app);
    let mut grantee_user = Visitor::new(app);
    grantee_user.sign_in(&email);
    assert_eq!(grantee_user.get(&queue).status, 404);
}

fn an_administrator_decides_many_at_once(app: &TestApp) {
    let admin = app.admin();
    let round = app.small_round(&admin, "QUE", "Queue Fund");
    let grantee = app.grantee(
        &admin,
        json!({"name": "Hebden Lunch Club"}),
        DueDiligence::Passed,
    );
    let apps: Vec<String> = (0..4)
        .map(|_| app.submitted_application(&round, &grantee, "500.00"))
        .collect();
    let draft = app.draft_application(&round, &grantee, "300.00")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let queue = format!("/rounds/{}/applications", round.id);
    let action = format!("/rounds/{}/decisions", round.id);

    let mut auditor = Visitor::new(app);
    auditor.sign_in(&app.user_email(Role::Auditor, None));
    let read = auditor.get(&queue).expect(200);
    assert!(
        !read.body.contains("name=\"application\""),
        "only deciders tick"
    );
    let csrf = read.csrf();
    let tried = auditor.post(
        &action,
        &[
            ("csrf", &csrf),
            ("application", &apps[0]),
            ("outcome", "reject"),
            ("feedback", "x"),
        ],
    );
    assert_eq!(tried.status, 403);

    let mut staff = Visitor::new(app);
    staff.sign_in(&app.user_email(Role::Admin, None));
    let page = staff.get(&queue).expect(200);
    assert_eq!(
        page.body.matches("name=\"application\"").count(),
        4,
        "the draft cannot be ticked"
    );
    assert!(!page.body.contains(&format!("value=\"{draft}\"")));
    let none = staff.submit(&queue, &action, &[("outcome", "reject"), ("feedback", "x")]);
    assert_eq!(none.status, 422);

    // Rejecting with no feedback: each is refused, in words, and nothing changes.
    let refused = staff.submit(
        &queue,
        &action,
        &[
            ("application", &apps[0]),
            ("application", &apps[1]),
            ("outcome", "reject"),
        ],
    );
    assert_eq!(refused.status, 200, "{}", refused.body);
    assert!(refused.body.contains("0 decided"), "{}", refused.body);
    assert_eq!(
        refused.body.matches("a rejection needs feedback").count(),
        2,
        "{}",
        refused.body
    );

    let awarded = staff.submit(
        &queue,
        &action,
        &[
            ("application", &apps[0]),
            ("application", &apps[1]),
            ("outcome", "award"),
            ("internal_note", "Panel 12 May"),
        ],
    );
    assert!(awarded.body.contains("2 decided"), "{}", awarded.body);
    let rejected = staff.submit(
        &queue,
        &action,
        &[
            ("application", &apps[2]),
            ("application", &apps[0]),
            ("outcome", "reject"),
            ("feedback", "Oversubscribed"),
        ],
    );
    assert!(rejected.body.contains("1 decided"), "{}", rejected.body);
    assert!(
        rejected.body.contains("Not decided"),
        "the one already awarded: {}",
        rejected.body
    );

    for (id, status) in [
        (&apps[0], "awarded"),
        (&apps[1], "awarded"),
        (&apps[2], "rejected"),
        (&apps[3], "submitted"),
    ] {
        let one = grantledger_tests::expect(
            app.get(&format!("/v1/applications/{id}"), Some(&admin)),
            200,
        );
        assert_eq!(one["status"], status, "{one}");
    }
    let one = grantledger_tests::expect(
        app.get(&format!("/v1/applications/{}", apps[0]), Some(&admin)),
        200,
    );
    assert_eq!(one["decision_note"], "Panel 12 May");
    let awards = grantledger_tests::expect(app.get("/v1/awards", Some(&admin)), 200);
    assert_eq!(awards["items"].as_array().unwrap().len(), 2);
    assert_eq!(awards["items"][0]["amount"], "500.00");
}

/// The ids of every application in the API's list at `query`, page by
/// page (two a page, so ties cross pages), with each one's field `key`.
fn api_pages(
    app: &TestApp,
    token: &str,
    round: &str,
    query: &str,
    key: &str,
) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut after = String::new();
    loop {
        let page = grantledger_tests::expect(
            app.get(
                &format!("/v1/rounds/{round}/applications?limit=2&{query}{after}"),
                Some(token),
            ),
            200,
        );
        for a in page["items"].as_array().unwrap() {
            let value = a.get(key).and_then(|v| v.as_str()).unwrap_or("").to_owned();
            out.push((a["id"].as_str().unwrap().to_owned(), value));
        }
        match page["next"].as_str() {
            Some(next) => after = format!("&after={next}"),
            None => return out,
        }
    }
}

fn the_queue_sorts_by_amount_and_by_mean_score(app: &TestApp) {
    let admin = app.admin();
    let round = app.small_round(&admin, "SRT", "Sorted Fund");
    let grantee = app.grantee(
        &admin,
        json!({"name": "Todmorden Tea Club"}),
        DueDiligence::Passed,
    );
    let amounts = ["300.00", "700.00", "500.00", "700.00", "100.00", "700.00"];
    let ids: Vec<String> = amounts
        .iter()
        .map(|a| app.submitted_application(&round, &grantee, a))
        .collect();
    let by_amount = |query: &str| api_pages(app, &admin, &round.id, query, "amount_requested");
    // Largest first, ties in the order they arrived, across pages of two.
    let highest = by_amount("sort=amount_highest");
    let expected: Vec<(String, String)> = [1, 3, 5, 2, 0, 4]
        .iter()
        .map(|&i| (ids[i].clone(), amounts[i].to_owned()))
        .collect();
    assert_eq!(highest, expected);
    let lowest = by_amount("sort=amount_lowest");
    let expected: Vec<(String, String)> = [4, 0, 2, 1, 3, 5]
        .iter()
        .map(|&i| (ids[i].clone(), amounts[i].to_owned()))
        .collect();
    assert_eq!(lowest, expected);

    // Mean scores: 7 and 8 make 7.50; 9 alone; a 2 withdrawn by its
    // assessor's later conflict leaves 6; the rest are not scored.
    let score = |s: u8| json!({"kind": "scored", "score": s, "recommendation": "award"});
    app.assessment(&ids[0], score(7));
    app.assessment(&ids[0], score(8));
    app.assessment(&ids[1], score(9));
    let conflicted = app.assessor();
    grantledger_tests::expect(
        app.post(
            &format!("/v1/applications/{}/assessments", ids[2]),
            Some(&conflicted),
            &score(2),
        ),
        201,
    );
    app.assessment(&ids[2], score(6));
    grantledger_tests::expect(
        app.post(
            &format!("/v1/applications/{}/assessments", ids[2]),
            Some(&conflicted),
            &json!({"kind": "conflict_declared", "declaration": "I chair its board"}),
        ),
        201,
    );
    let best = api_pages(app, &admin, &round.id, "sort=score_highest", "mean_score");
    let expected: Vec<(String, String)> = [
        (1, "9.00"),
        (0, "7.50"),
        (2, "6.00"),
        (3, ""),
        (4, ""),
        (5, ""),
    ]
    .iter()
    .map(|&(i, s)| (ids[i].clone(), s.to_owned()))
    .collect();
    assert_eq!(best, expected, "highest mean first, unscored last by age");
    let at_least = api_pages(
        app,
        &admin,
        &round.id,
        "sort=score_highest&min_score=7.5",
        "mean_score",
    );
    assert_eq!(
        at_least.iter().map(|(id, _)| id).collect::<Vec<_>>(),
        [&ids[1], &ids[0]]
    );
    let bad = app.get(
        &format!("/v1/rounds/{}/applications?min_score=11", round.id),
        Some(&admin),
    );
    assert_eq!(bad.status().as_u16(), 422);
    let bad = app.get(
        &format!("/v1/rounds/{}/applications?sort=name", round.id),
        Some(&admin),
    );
    assert_eq!(bad.status().as_u16(), 422);

    // An assessor may neither see means nor order by them: a mean could
    // reveal others' scores on an application they are conflicted on.
    let plain = grantledger_tests::expect(
        app.get(
            &format!("/v1/rounds/{}/applications", round.id),
            Some(&conflicted),
        ),
        200,
    );
    assert!(
        plain["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a.get("mean_score").is_none())
    );
    for query in ["sort=score_highest", "min_score=5"] {
        let refused = app.get(
            &format!("/v1/rounds/{}/applications?{query}", round.id),
            Some(&conflicted),
        );
        assert_eq!(refused.status().as_u16(), 403, "{query}");
    }

    // The page: the administrator's order, filter and score column.
    let mut staff = Visitor::new(app);
    staff.sign_in(&app.user_email(Role::Admin, None));
    let queue = format!("/rounds/{}/applications", round.id);
    let page = staff
        .get(&format!("{queue}?sort=score_highest&min_score=6"))
        .expect(200);
    assert_eq!(
        linked(&page.body),
        [ids[1].clone(), ids[0].clone(), ids[2].clone()]
    );
    assert!(page.body.contains("7.50"), "the mean is shown");
    let page = staff
        .get(&format!("{queue}?sort=amount_lowest"))
        .expect(200);
    assert_eq!(linked(&page.body).first(), Some(&ids[4]));
    assert!(page.body.contains("Not scored"));
    let bad = staff.get(&format!("{queue}?min_score=ten")).expect(200);
    assert!(bad.body.contains("govuk-error-summary"), "{}", bad.body);
    let mut assessor = Visitor::new(app);
    assessor.sign_in(&app.user_email(Role::Assessor, None));
    let page = assessor.get(&queue).expect(200);
    assert!(!page.body.contains("score_highest") && !page.body.contains("Mean score"));
    assert!(
        assessor
            .get(&format!("{queue}?sort=score_highest"))
            .expect(200)
            .body
            .contains("govuk-error-summary")
    );
}

/// Six assessors scoring one application at once over HTTP: none is
/// refused or kept waiting into an error, and the mean counts all six.
/// (The lost update this guards against is provoked deterministically by
/// the store test `assessments_recorded_at_once_both_count_in_the_mean`;
/// over HTTP the requests rarely overlap closely enough to show it.)
fn assessors_scoring_at_once_all_count_in_the_mean(app: &TestApp) {
    let admin = app.admin();
    let round = app.small_round(&admin, "MNS", "Mean Fund");
    let grantee = app.grantee(
        &admin,
        json!({"name": "Glossop Chatterbox"}),
        DueDiligence::Passed,
    );
    let application = app.submitted_application(&round, &grantee, "400.00");
    let assessors: Vec<String> = (0..6).map(|_| app.assessor()).collect();
    let path = format!("/v1/applications/{application}/assessments");
    let statuses: Vec<u16> = std::thread::scope(|s| {
        let racers: Vec<_> = assessors
            .iter()
            .zip(1u8..)
            .map(|(token, score)| {
                let path = &path;
                s.spawn(move || {
                    let body = json!({"kind": "scored", "score": score, "recommendation": "award"});
                    app.post(path, Some(token), &body).status().as_u16()
                })
            })
            .collect();
        racers.into_iter().map(|r| r.join().unwrap()).collect()
    });
    assert!(statuses.iter().all(|&s| s == 201), "{statuses:?}");
    let read = grantledger_tests::expect(
        app.get(&format!("/v1/applications/{application}"), Some(&admin)),
        200,
    );
    // (1 + 2 + … + 6) / 6
    assert_eq!(read["mean_score"], "3.50", "{read}");
}

api_tests!(
    staff_page_through_a_rounds_applications,
    an_administrator_decides_many_at_once,
    the_queue_sorts_by_amount_and_by_mean_score,
    assessors_scoring_at_once_all_count_in_the_mean,
);
