//! Evaluation returns, review, due dates and fund outcomes over HTTP, on
//! both backends.

use grantledger_domain::award::AwardStatus;
use grantledger_domain::ids::{FundId, GranteeId, RoundId};
use grantledger_tests::{DueDiligence, TestApp, api_tests, error_fields, expect};
use serde_json::{Value, json};

struct Setup {
    admin: String,
    fund: String,
    round: String,
}

fn setup(app: &TestApp) -> Setup {
    let admin = app.admin();
    let fund = app.fund_with(
        &admin,
        json!({"code": "BCF", "name": "Building Connections Fund", "budget": "11500000.00"}),
    );
    let round = app.open_round(&fund, "1000000.00", ("100.00", "5000.00"));
    Setup {
        admin,
        fund: fund.id,
        round: round.id,
    }
}

/// A group in `region` with a user of its own: its id and the user's token.
fn grantee(app: &TestApp, s: &Setup, region: &str) -> (String, String) {
    let grantee = app
        .grantee(
            &s.admin,
            json!({"name": format!("Group in {region}"), "region": region,
                   "local_authority": "Somewhere", "postcode": "SE11 5QY", "annual_income": "5000.00"}),
            DueDiligence::NotDone,
        )
        .signed_in(app);
    (grantee.id, grantee.user.unwrap())
}

/// Fixture: an award inserted directly in the given state.
fn award(app: &TestApp, s: &Setup, grantee: &str, status: AwardStatus) -> String {
    let fund: FundId = s.fund.parse::<uuid::Uuid>().unwrap().into();
    let round: RoundId = s.round.parse::<uuid::Uuid>().unwrap().into();
    let grantee: GranteeId = grantee.parse::<uuid::Uuid>().unwrap().into();
    app.db
        .db
        .write(|c| grantledger_store::evaluation::fixture::award(c, fund, round, grantee, status))
        .unwrap()
        .to_string()
}

fn response(stage: &str, code: &str, direct: &str, ucla: [&str; 3]) -> Value {
    json!({"stage": stage, "participant_code": code, "direct": direct,
           "lack_companionship": ucla[0], "left_out": ucla[1], "isolated": ucla[2]})
}

fn return_body(participants: u32, responses: Vec<Value>) -> Value {
    json!({
        "period_start": "2026-04-01", "period_end": "2026-09-30",
        "participants_reached": participants, "volunteers": 3, "sessions_delivered": 26,
        "narrative": "Weekly lunches and a walking group.",
        "case_study": "One member now runs the walking group.",
        "responses": responses
    })
}

/// `n` participants, each answering at baseline (often lonely) and at
/// follow-up (less so).
fn paired(n: usize) -> Vec<Value> {
    let mut out = Vec::new();
    for i in 0..n {
        let code = format!("P-{i}");
        out.push(response(
            "baseline",
            &code,
            "often_always",
            ["often", "often", "some_of_the_time"],
        ));
        out.push(response(
            "follow_up",
            &code,
            "occasionally",
            ["some_of_the_time", "some_of_the_time", "some_of_the_time"],
        ));
    }
    out
}

fn grantees_submit_versions_and_administrators_review(app: &TestApp) {
    let s = setup(app);
    let (ours, token) = grantee(app, &s, "north_east");
    let (theirs, their_token) = grantee(app, &s, "london");
    let own = award(app, &s, &ours, AwardStatus::Accepted);
    let other = award(app, &s, &theirs, AwardStatus::Accepted);
    let offered = award(app, &s, &ours, AwardStatus::Offered);
    let path = |a: &str| format!("/v1/awards/{a}/evaluation-returns");

    // Invalid input: every problem named by its path.
    let mut bad = paired(2);
    bad[1]["participant_code"] = json!("jo@example.org");
    bad[2]["direct"] = json!("sometimes");
    bad[3]["participant_code"] = json!("QQ 12 34 56 C");
    bad.push(response(
        "baseline",
        "07700 900123",
        "never",
        ["often", "often", "often"],
    ));
    let problem = expect(
        app.post(&path(&own), Some(&token), &return_body(2, bad)),
        422,
    );
    let fields: Vec<&str> = error_fields(&problem);
    assert_eq!(
        fields,
        [
            "responses[1].participant_code",
            "responses[2].direct",
            "responses[3].participant_code",
            "responses[4].participant_code",
            "participants_reached"
        ],
        "{problem}"
    );
    let negative = expect(
        app.post(
            &path(&own),
            Some(&token),
            &json!({"period_start": "2026-04-01", "period_end": "2026-09-30",
        "participants_reached": -1, "volunteers": 0, "sessions_delivered": 0, "narrative": "x"}),
        ),
        422,
    );
    assert_eq!(
        negative["errors"][0]["field"], "participants_reached",
        "{negative}"
    );

    // Not accepted: 409. Not ours: 404, for writing and reading alike.
    expect(
        app.post(&path(&offered), Some(&token), &return_body(5, paired(1))),
        409,
    );
    expect(
        app.post(&path(&other), Some(&token), &return_body(5, paired(1))),
        404,
    );
    expect(app.get(&path(&other), Some(&token)), 404);
    // Staff cannot submit on a grantee's behalf.
    expect(
        app.post(&path(&own), Some(&s.admin), &return_body(5, paired(1))),
        403,
    );

    let created = app.post(&path(&own), Some(&token), &return_body(5, paired(2)));
    let location = created.headers()["location"].to_str().unwrap().to_owned();
    let first = expect(created, 201);
    let id = first["id"].as_str().unwrap().to_owned();
    assert_eq!(location, format!("/v1/evaluation-returns/{id}"));
    assert_eq!(first["status"], "submitted");
    assert_eq!(first["latest_version"], 1);
    assert_eq!(first["current"]["respondents"]["baseline"], 2);
    assert_eq!(first["current"]["responses"][0]["participant_code"], "P-0");

    // Another organisation cannot see it.
    expect(
        app.get(&format!("/v1/evaluation-returns/{id}"), Some(&their_token)),
        404,
    );
    expect(
        app.post(
            &path(&other),
            Some(&their_token),
            &return_body(5, paired(1)),
        ),
        201,
    );

    // Review: changes need a comment.
    let review = format!("/v1/evaluation-returns/{id}/review");
    let problem = expect(
        app.post(
            &review,
            Some(&s.admin),
            &json!({"decision": "request_changes"}),
        ),
        422,
    );
    assert_eq!(problem["errors"][0]["field"], "comment");
    expect(
        app.post(&review, Some(&token), &json!({"decision": "accept"})),
        403,
    );
    // A review retried with its Idempotency-Key is answered as the first
    // was, not refused because the return is no longer awaiting review.
    let send_back = || {
        app.client
            .post(app.url(&review))
            .bearer_auth(&s.admin)
            .header("Idempotency-Key", "review-once")
            .json(&json!({"decision": "request_changes", "comment": "Add the follow-up surveys", "version_number": 1}))
            .send()
            .unwrap()
    };
    let sent_back = expect(send_back(), 200);
    assert_eq!(sent_back["status"], "changes_requested");
    let retried = send_back();
    assert_eq!(
        retried
            .headers()
            .get("Idempotent-Replayed")
            .map(|v| v.to_str().unwrap().to_owned()),
        Some("true".to_owned())
    );
    assert_eq!(expect(retried, 200), sent_back);
    expect(
        app.post(&review, Some(&s.admin), &json!({"decision": "accept"})),
        409,
    );

    let second = expect(
        app.post(&path(&own), Some(&token), &return_body(8, paired(4))),
        201,
    );
    assert_eq!(
        (
            second["id"].as_str().unwrap(),
            &second["status"],
            &second["latest_version"]
        ),
        (id.as_str(), &json!("submitted"), &json!(2))
    );
    // A review of a version the reviewer did not read is refused.
    expect(
        app.post(
            &review,
            Some(&s.admin),
            &json!({"decision": "accept", "version_number": 1}),
        ),
        409,
    );
    let accepted = expect(
        app.post(
            &review,
            Some(&s.admin),
            &json!({"decision": "accept", "version_number": 2}),
        ),
        200,
    );
    assert_eq!(accepted["status"], "accepted");
    assert_eq!(accepted["reviews"].as_array().unwrap().len(), 2);
    assert_eq!(
        accepted["reviews"][0]["comment"],
        "Add the follow-up surveys"
    );
    expect(
        app.post(&path(&own), Some(&token), &return_body(8, paired(4))),
        409,
    );

    // Every version is kept.
    let versions = expect(app.get(&path(&own), Some(&token)), 200);
    let numbers: Vec<i64> = versions["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["number"].as_i64().unwrap())
        .collect();
    assert_eq!(numbers, [1, 2]);
    assert_eq!(versions["items"][0]["participants_reached"], 5);
    assert_eq!(versions["items"][1]["participants_reached"], 8);
    let auditor = app.auditor();
    expect(
        app.get(&format!("/v1/evaluation-returns/{id}"), Some(&auditor)),
        200,
    );
    expect(
        app.get(
            &format!("/v1/evaluation-returns/{}", uuid::Uuid::now_v7()),
            Some(&auditor),
        ),
        404,
    );
}

fn due_dates_and_overdue_returns(app: &TestApp) {
    let s = setup(app);
    let (ours, token) = grantee(app, &s, "wales");
    let late = award(app, &s, &ours, AwardStatus::Accepted);
    let on_time = award(app, &s, &ours, AwardStatus::Accepted);
    let due = |a: &str, date: &str| {
        app.request(
            "PUT",
            &format!("/v1/awards/{a}/return-due-date"),
            Some(&s.admin),
            Some(&json!({"return_due_on": date})),
        )
    };
    let set = expect(due(&late, "2026-01-31"), 200);
    assert_eq!(set["return_due_on"], "2026-01-31");
    assert_eq!(set["version"], 2);
    expect(due(&on_time, "2099-01-31"), 200);
    let stale = app
        .client
        .put(app.url(&format!("/v1/awards/{late}/return-due-date")))
        .bearer_auth(&s.admin)
        .header("If-Match", "\"1\"")
        .json(&json!({"return_due_on": "2026-02-28"}))
        .send()
        .unwrap();
    expect(stale, 412);
    expect(
        app.request(
            "PUT",
            &format!("/v1/awards/{late}/return-due-date"),
            Some(&token),
            Some(&json!({"return_due_on": null})),
        ),
        403,
    );

    let overdue = expect(
        app.get("/v1/evaluation-returns/overdue", Some(&s.admin)),
        200,
    );
    let items = overdue["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{overdue}");
    assert_eq!(items[0]["award_id"], late.as_str());
    assert_eq!(items[0]["return_status"], Value::Null);
    assert!(items[0]["days_overdue"].as_i64().unwrap() > 0);
    expect(app.get("/v1/evaluation-returns/overdue", Some(&token)), 403);
    // The portal lists the same, linking each to its return.
    let mut auditor = grantledger_tests::portal::Visitor::new(app);
    auditor.sign_in(&app.user_email(grantledger_domain::user::Role::Auditor, None));
    let page = auditor.get("/returns/overdue").expect(200);
    assert!(
        page.body.contains(&format!("/awards/{late}/return")),
        "{}",
        page.body
    );
    assert!(!page.body.contains(&format!("/awards/{on_time}/return")));
    assert!(page.body.contains("Not sent"));
    assert!(
        auditor
            .get("/")
            .expect(200)
            .body
            .contains("/returns/overdue")
    );
    let mut assessor = grantledger_tests::portal::Visitor::new(app);
    assessor.sign_in(&app.user_email(grantledger_domain::user::Role::Assessor, None));
    assert_eq!(assessor.get("/returns/overdue").status, 403);
    expect(
        app.get(
            &format!("/v1/evaluation-returns/overdue?fund_id={}&limit=5", s.fund),
            Some(&app.auditor()),
        ),
        200,
    );

    expect(
        app.post(
            &format!("/v1/awards/{late}/evaluation-returns"),
            Some(&token),
            &return_body(3, paired(1)),
        ),
        201,
    );
    let overdue = expect(
        app.get("/v1/evaluation-returns/overdue", Some(&s.admin)),
        200,
    );
    assert!(overdue["items"].as_array().unwrap().is_empty(), "{overdue}");
}

fn counts(v: &Value, out: &mut Vec<(String, u64)>, path: &str) {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                counts(v, out, &format!("{path}.{k}"));
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                counts(v, out, &format!("{path}[{i}]"));
            }
        }
        Value::Number(n)
            if !path.contains("percent")
                && !path.contains("mean")
                && !path.contains("ci_")
                && !path.contains("number") =>
        {
            if let Some(n) = n.as_u64() {
                out.push((path.to_owned(), n));
            }
        }
        _ => {}
    }
}

fn outcomes_are_exact_for_staff_and_protected_when_published(app: &TestApp) {
    let s = setup(app);
    let (north, north_token) = grantee(app, &s, "north_east");
    let (london, london_token) = grantee(app, &s, "london");
    for _ in 0..3 {
        let a = award(app, &s, &north, AwardStatus::Accepted);
        expect(
            app.post(
                &format!("/v1/awards/{a}/evaluation-returns"),
                Some(&north_token),
                &return_body(20, paired(6)),
            ),
            201,
        );
    }
    let a = award(app, &s, &london, AwardStatus::Accepted);
    expect(
        app.post(
            &format!("/v1/awards/{a}/evaluation-returns"),
            Some(&london_token),
            &return_body(10, paired(2)),
        ),
        201,
    );

    let url = format!("/v1/funds/{}/outcomes", s.fund);
    let exact = expect(app.get(&url, Some(&s.admin)), 200);
    assert_eq!(exact["published"], false);
    let total = &exact["total"];
    assert_eq!(total["returns"], 4);
    assert_eq!(total["participants_reached"], 70);
    assert_eq!(total["respondents"]["paired"], 20);
    assert_eq!(total["direct"]["baseline"]["often_always"], 20);
    assert_eq!(total["often_always_percent"]["baseline"], 100.0);
    assert_eq!(total["often_always_percent"]["follow_up"], 0.0);
    // 8 → 6 for everyone: mean change −2, and "no variation" rather than
    // a zero-width interval.
    assert_eq!(total["ucla"]["baseline"]["mean"], 8.0);
    assert_eq!(total["ucla"]["change"]["mean"], -2.0);
    assert_eq!(total["ucla"]["change"]["ci_low"], Value::Null);
    assert_eq!(total["ucla"]["change"]["ci_note"], "no_variation");
    assert_eq!(total["ucla"]["change"]["baseline_mean"], 8.0);
    assert_eq!(total["ucla"]["change"]["improved_percent"], 100.0);
    // Every pair lonely at baseline and not at follow-up: −100 points.
    let paired_share = &total["often_always_paired"];
    assert_eq!(paired_share["pairs"], 20);
    assert_eq!(paired_share["no_longer"], 20);
    assert_eq!(paired_share["change_points"], -100.0);
    assert!(
        paired_share["change_ci"]["high"].as_f64().unwrap() < -70.0,
        "{paired_share}"
    );
    assert!(
        paired_share["mcnemar_p"].as_f64().unwrap() < 1e-4,
        "{paired_share}"
    );
    assert!(
        exact["bases"]["ucla.change.*"]
            .as_str()
            .unwrap()
            .contains("both stages")
    );
    assert_eq!(exact["by_round"][0]["number"], 1);
    let london_exact = exact["by_region"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["region"] == "london")
        .unwrap();
    assert_eq!(london_exact["figures"]["respondents"]["paired"], 2);

    // Grantees get the published form by default, and only that.
    let published = expect(app.get(&url, Some(&london_token)), 200);
    assert_eq!(published["published"], true);
    assert!(
        published["disclosure_control"]
            .as_str()
            .unwrap()
            .contains("below 10")
    );
    expect(
        app.get(&format!("{url}?published=false"), Some(&london_token)),
        403,
    );
    let as_admin = expect(
        app.get(&format!("{url}?published=true"), Some(&s.admin)),
        200,
    );
    assert_eq!(as_admin["total"], published["total"]);
    let mut all = Vec::new();
    counts(&published, &mut all, "");
    assert!(!all.is_empty());
    for (path, n) in &all {
        assert!(*n >= 10 && n % 5 == 0, "{path} = {n}");
    }
    let p = &published["total"];
    assert_eq!(p["returns"], Value::Null); // 4 returns
    assert_eq!(p["participants_reached"], 70);
    assert_eq!(p["respondents"]["paired"], 20);
    assert_eq!(p["ucla"]["change"]["mean"], -2.0);
    // London has 2 pairs: suppressed. The North East's 18 and the total's
    // 20 are published rounded (20 and 20), so subtraction says only that
    // London has 0 to 4.
    let region = |name: &str| {
        published["by_region"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["region"] == name)
            .unwrap()["figures"]
            .clone()
    };
    assert_eq!(region("london")["respondents"]["paired"], Value::Null);
    assert_eq!(region("north_east")["respondents"]["paired"], 20);
    // 100% would say nobody else is in the line: not published.
    assert_eq!(p["often_always_percent"]["baseline"], Value::Null);
    assert_eq!(region("london")["ucla"]["change"]["mean"], Value::Null);

    // CSV by parameter or by Accept.
    let csv = app.get(
        &format!("{url}?format=csv&published=true"),
        Some(&north_token),
    );
    assert_eq!(csv.status().as_u16(), 200);
    assert!(
        csv.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let text = csv.text().unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("breakdown,group,group_name,measure,value")
    );
    assert!(
        text.contains(&format!(
            "fund,{},Building Connections Fund,respondents.paired,20\n",
            s.fund
        )),
        "{text}"
    );
    assert!(
        text.contains("region,london,London,respondents.paired,\n"),
        "{text}"
    );
    let by_accept = app
        .client
        .get(app.url(&url))
        .bearer_auth(&s.admin)
        .header("Accept", "text/csv")
        .send()
        .unwrap();
    let text = by_accept.text().unwrap();
    assert!(
        text.contains("region,london,London,respondents.paired,2\n"),
        "{text}"
    );

    expect(
        app.get(
            &format!("/v1/funds/{}/outcomes", uuid::Uuid::now_v7()),
            Some(&s.admin),
        ),
        404,
    );
    expect(app.get(&format!("{url}?format=xml"), Some(&s.admin)), 422);
}

fn a_retried_submission_adds_one_version(app: &TestApp) {
    let s = setup(app);
    let (grantee_id, token) = grantee(app, &s, "london");
    let award = award(app, &s, &grantee_id, AwardStatus::Accepted);
    let path = format!("/v1/awards/{award}/evaluation-returns");
    let body = return_body(12, paired(3));
    let send = || {
        app.client
            .post(app.url(&path))
            .bearer_auth(&token)
            .header("Idempotency-Key", "return-once")
            .json(&body)
            .send()
            .unwrap()
    };
    let first = expect(send(), 201);
    let again = send();
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(expect(again, 201), first);
    let versions = expect(app.get(&path, Some(&token)), 200);
    assert_eq!(versions["items"].as_array().unwrap().len(), 1, "{versions}");
}

/// Issue 14, item 11: 14 pairs, 13 improved and 1 the same, were published
/// as n 15, improved 15 and 93% — which fits only 14 or 15 pairs and so
/// revealed the one. Now rates come from published counts (15/15 is 100%,
/// a bound: not shown), and `answered` stays published although
/// `not_answered` is 0.
fn published_rates_never_undo_the_rounding(app: &TestApp) {
    let s = setup(app);
    let (id, token) = grantee(app, &s, "wales");
    let mut responses = Vec::new();
    for i in 0..14 {
        let code = format!("P-{i}");
        let after = if i == 0 { "often" } else { "some_of_the_time" };
        responses.push(response("baseline", &code, "never", ["often"; 3]));
        responses.push(response("follow_up", &code, "never", [after; 3]));
    }
    let a = award(app, &s, &id, AwardStatus::Accepted);
    expect(
        app.post(
            &format!("/v1/awards/{a}/evaluation-returns"),
            Some(&token),
            &return_body(14, responses),
        ),
        201,
    );
    let url = format!("/v1/funds/{}/outcomes", s.fund);
    let exact = expect(app.get(&url, Some(&s.admin)), 200);
    assert_eq!(exact["total"]["ucla"]["change"]["improved_percent"], 92.9);
    let published = expect(app.get(&url, Some(&token)), 200);
    let change = &published["total"]["ucla"]["change"];
    assert_eq!(
        (change["n"].as_u64(), change["improved"].as_u64()),
        (Some(15), Some(15))
    );
    assert_eq!(change["same"], Value::Null);
    assert_eq!(change["improved_percent"], Value::Null, "{change}");
    assert_eq!(change["improved_ci"], Value::Null, "{change}");
    // 14 answered the direct question at baseline, none skipped it.
    let direct = &published["total"]["direct"]["baseline"];
    assert_eq!(direct["not_answered"], Value::Null);
    assert_eq!(direct["answered"], 15, "{direct}");
    // The published means are banded: the pairs' baseline mean 9 (all
    // "often") shows as 8, "8 or more".
    assert_eq!(change["baseline_mean"], 8.0);
    assert_eq!(published["total"]["ucla"]["baseline"]["mean"], 8.0);
}

/// Issue 14, item 19: the demo's accepted awards have evaluation returns,
/// and the published report shows both suppressed and published cells.
fn the_demo_fund_publishes_outcomes_with_suppressed_and_published_cells(app: &TestApp) {
    let (admin, lcf) = app.demo();
    let lcf = lcf["id"].as_str().unwrap().to_owned();
    let published = expect(
        app.get(
            &format!("/v1/funds/{lcf}/outcomes?published=true"),
            Some(&admin),
        ),
        200,
    );
    let rows = |v: &Value| {
        let mut all = Vec::new();
        nulls_and_counts(v, &mut all, "");
        all
    };
    let all = rows(&published["total"]);
    let suppressed = all.iter().filter(|(_, v)| v.is_none()).count();
    let shown = all.iter().filter(|(_, v)| v.is_some()).count();
    assert!(suppressed > 0 && shown > 0, "{published}");
    assert!(
        published["total"]["ucla"]["change"]["mean"].is_number(),
        "{published}"
    );
    assert!(
        published["total"]["often_always_percent"]["baseline"].is_number()
            || published["total"]["ucla"]["change"]["improved_percent"].is_number(),
        "{published}"
    );
    let exact = expect(
        app.get(&format!("/v1/funds/{lcf}/outcomes"), Some(&admin)),
        200,
    );
    assert_eq!(exact["total"]["returns"], 3, "{exact}");
    assert!(
        exact["total"]["ucla"]["change"]["ci_low"].is_number(),
        "{exact}"
    );
    assert!(
        exact["total"]["often_always_paired"]["change_ci"]["low"].is_number(),
        "{exact}"
    );

    // The portal's report: exact for an administrator, who may ask for the
    // published form; only the published form for a grantee.
    use grantledger_server::demo::{DEMO_PASSWORD, DEMO_USERS};
    let mut staff = grantledger_tests::portal::Visitor::new(app);
    staff
        .sign_in_with(DEMO_USERS[0].0, DEMO_PASSWORD)
        .expect(303);
    let page = staff.get(&format!("/funds/{lcf}/outcomes")).expect(200);
    assert!(page.body.contains("id=\"exact\""), "{}", page.body);
    assert!(page.body.contains("chart-direct"), "the chart");
    assert!(!page.body.contains(">suppressed<"));
    let shown = staff
        .get(&format!("/funds/{lcf}/outcomes?published=true"))
        .expect(200);
    assert!(shown.body.contains("id=\"published\""));
    assert!(
        shown.body.contains(">suppressed<"),
        "suppression is visible"
    );
    let csv = staff
        .get(&format!("/funds/{lcf}/outcomes.csv?published=true"))
        .expect(200);
    assert!(csv.header("content-type").starts_with("text/csv"));
    assert!(
        csv.body
            .starts_with("breakdown,group,group_name,measure,value")
    );
    assert!(
        staff
            .get(&format!("/funds/{lcf}"))
            .expect(200)
            .body
            .contains(&format!("/funds/{lcf}/outcomes"))
    );
    let mut grantee = grantledger_tests::portal::Visitor::new(app);
    grantee
        .sign_in_with(DEMO_USERS[3].0, DEMO_PASSWORD)
        .expect(303);
    let theirs = grantee.get(&format!("/funds/{lcf}/outcomes")).expect(200);
    assert!(theirs.body.contains("id=\"published\""));
    assert!(!theirs.body.contains("outcomes?published=false"));
    assert_eq!(
        grantee
            .get(&format!("/funds/{lcf}/outcomes?published=false"))
            .status,
        403
    );
}

/// Counts (and suppressed counts) of a figures object, by path.
fn nulls_and_counts(v: &Value, out: &mut Vec<(String, Option<u64>)>, path: &str) {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                nulls_and_counts(v, out, &format!("{path}.{k}"));
            }
        }
        Value::Null
            if !["percent", "mean", "_ci", "ci_", "points", "mcnemar"]
                .iter()
                .any(|w| path.contains(w)) =>
        {
            out.push((path.to_owned(), None));
        }
        Value::Number(n) if n.is_u64() => out.push((path.to_owned(), n.as_u64())),
        _ => {}
    }
}

api_tests!(
    published_rates_never_undo_the_rounding,
    the_demo_fund_publishes_outcomes_with_suppressed_and_published_cells,
    a_retried_submission_adds_one_version,
    grantees_submit_versions_and_administrators_review,
    due_dates_and_overdue_returns,
    outcomes_are_exact_for_staff_and_protected_when_published,
);
