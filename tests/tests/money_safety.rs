//! Money safety over HTTP on both backends.
//!
//! Payment runs pay exactly what they list: a tranche in a
//! draft run changes only through the run — cancelling its award or failing
//! it takes it out of the run (the run's total, count and bank file follow),
//! and paying it directly is refused, so the bank is never asked to pay it
//! twice. Confirming reports what it recorded, and reconciliation checks
//! every confirmed run's total against the tranches paid through it.

use diesel::connection::SimpleConnection;
use grantledger_domain::user::Role;
use grantledger_tests::{DueDiligence, Grantee, Round, TestApp, api_tests, error_fields, expect};
use reqwest::blocking::Response;

use serde_json::{Value, json};

struct World {
    admin: String,
    fund: String,
    round: Round,
    org: Grantee,
    /// The grantee's user.
    grantee: String,
}

fn world(app: &TestApp) -> World {
    let admin = app.admin();
    let fund = app.fund(&admin, "100000.00");
    let round = app.round_with(
        &fund,
        json!({
            "allocation": "50000.00", "min_grant": "300.00", "max_grant": "2500.00",
            "eligibility": {"organisation_types": ["community_group"], "max_annual_income": "50000.00", "regions": ["north_west"]}
        }),
    );
    let org = app
        .grantee(
            &admin,
            json!({"name": "Halifax Knit and Natter", "region": "north_west",
                   "local_authority": "Calderdale", "postcode": "HX1 1AA"}),
            DueDiligence::Passed,
        )
        .signed_in(app);
    World {
        admin,
        fund: fund.id,
        round,
        grantee: org.user.clone().unwrap(),
        org,
    }
}

/// An accepted award of `amount`, returning its id.
fn accepted_award(app: &TestApp, w: &World, amount: &str) -> String {
    app.accepted_award(&w.round, &w.org, amount)
}

fn tranche(app: &TestApp, w: &World, award: &str, amount: &str) -> String {
    app.tranche(&w.round, award, amount, "2026-02-01")
}

/// A run of what is due, approved by a second administrator so that its
/// bank file exists and it can be confirmed.
fn new_run(app: &TestApp, w: &World) -> Value {
    app.approved_run(&w.admin, &w.fund, "2026-12-31")
}

fn run(app: &TestApp, w: &World, id: &str) -> (String, u64) {
    let run = expect(
        app.get(&format!("/v1/payment-runs/{id}"), Some(&w.admin)),
        200,
    );
    (
        run["total"].as_str().unwrap().to_owned(),
        run["count"].as_u64().unwrap(),
    )
}

/// The tranches a run's bank file pays, as (disbursement id, amount): its
/// lines, checked against the amounts in the bank's CSV (a run with
/// nothing left to pay has no bank file: 409).
fn bank_file(app: &TestApp, w: &World, id: &str) -> Vec<(String, String)> {
    let lines = expect(
        app.get(&format!("/v1/payment-runs/{id}/lines"), Some(&w.admin)),
        200,
    );
    let lines: Vec<(String, String)> = lines["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["disbursement_id"].as_str().unwrap().to_owned(),
                l["amount"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let response = app.get(
        &format!("/v1/payment-runs/{id}/export?format=bank_csv"),
        Some(&w.admin),
    );
    if lines.is_empty() {
        assert_eq!(response.status().as_u16(), 409);
        return lines;
    }
    assert_eq!(response.status().as_u16(), 200);
    let text = response.text().unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let mut amounts: Vec<String> = reader.records().map(|r| r.unwrap()[3].to_owned()).collect();
    let mut expected: Vec<String> = lines.iter().map(|(_, a)| a.clone()).collect();
    amounts.sort();
    expected.sort();
    assert_eq!(amounts, expected, "{text}");
    lines
}

fn get(app: &TestApp, w: &World, path: &str) -> Value {
    expect(app.get(path, Some(&w.admin)), 200)
}

fn tranche_of(app: &TestApp, w: &World, award: &str, id: &str) -> Value {
    items(&get(app, w, &format!("/v1/awards/{award}/disbursements")))
        .iter()
        .find(|d| d["id"] == id)
        .unwrap()
        .clone()
}

/// POSTs `body` to `path` as the fund's administrator.
fn act(app: &TestApp, w: &World, path: &str, body: Value) -> Response {
    app.post(path, Some(&w.admin), &body)
}

fn conflict(response: Response, needle: &str) {
    let problem = expect(response, 409);
    let detail = problem["detail"].as_str().unwrap();
    assert!(detail.contains(needle), "expected {needle:?} in {detail:?}");
}

/// The reconciliation passes, and its payment-run check is there and passes.
fn reconciles(app: &TestApp, w: &World) -> Value {
    let report = get(app, w, &format!("/v1/funds/{}/reconciliation", w.fund));
    let runs: Vec<&Value> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["check"] == "payment_runs" || c["check"] == "payment_runs_mismatched")
        .collect();
    assert_eq!(runs.len(), 2, "{report:#}");
    assert_eq!(report["passed"], true, "{report:#}");
    report
}

fn cancelling_an_award_takes_its_tranche_out_of_a_draft_run(app: &TestApp) {
    let w = world(app);
    let cancelled = accepted_award(app, &w, "500.00");
    let kept = accepted_award(app, &w, "300.00");
    let doomed = tranche(app, &w, &cancelled, "500.00");
    let paid = tranche(app, &w, &kept, "300.00");
    let created = new_run(app, &w);
    assert_eq!(
        (created["total"].as_str(), created["count"].as_u64()),
        (Some("800.00"), Some(2))
    );
    let id = created["id"].as_str().unwrap().to_owned();

    expect(
        act(
            app,
            &w,
            &format!("/v1/awards/{cancelled}/cancel"),
            json!({"reason": "fraud suspected"}),
        ),
        200,
    );
    let failed = tranche_of(app, &w, &cancelled, &doomed);
    assert_eq!(failed["status"], "failed");
    assert_eq!(failed["payment_run_id"], Value::Null, "{failed}");
    assert_eq!(run(app, &w, &id), ("300.00".to_owned(), 1));
    assert_eq!(
        bank_file(app, &w, &id),
        [(paid.clone(), "300.00".to_owned())]
    );

    let confirmed = expect(
        act(
            app,
            &w,
            &format!("/v1/payment-runs/{id}/confirm"),
            json!({}),
        ),
        200,
    );
    assert_eq!(confirmed["status"], "confirmed");
    assert_eq!(
        (confirmed["total"].as_str(), confirmed["count"].as_u64()),
        (Some("300.00"), Some(1))
    );
    assert_eq!(
        get(app, &w, &format!("/v1/awards/{kept}"))["paid"],
        "300.00"
    );
    assert_eq!(
        get(app, &w, &format!("/v1/awards/{cancelled}"))["paid"],
        "0.00"
    );
    assert_eq!(bank_file(app, &w, &id), [(paid, "300.00".to_owned())]);
    let report = reconciles(app, &w);
    assert_eq!(report["paid"], "300.00");
}

fn a_run_emptied_by_a_cancellation_cannot_be_confirmed(app: &TestApp) {
    let w = world(app);
    let award = accepted_award(app, &w, "500.00");
    tranche(app, &w, &award, "500.00");
    let id = new_run(app, &w)["id"].as_str().unwrap().to_owned();
    expect(
        act(
            app,
            &w,
            &format!("/v1/awards/{award}/cancel"),
            json!({"reason": "fraud suspected"}),
        ),
        200,
    );
    assert_eq!(run(app, &w, &id), ("0.00".to_owned(), 0));
    assert!(bank_file(app, &w, &id).is_empty());
    conflict(
        act(
            app,
            &w,
            &format!("/v1/payment-runs/{id}/confirm"),
            json!({}),
        ),
        "nothing left to pay",
    );
    assert_eq!(
        get(app, &w, &format!("/v1/payment-runs/{id}"))["status"],
        "approved"
    );
    expect(
        act(app, &w, &format!("/v1/payment-runs/{id}/cancel"), json!({})),
        200,
    );
    reconciles(app, &w);
}

fn a_tranche_in_a_draft_run_cannot_be_paid_directly(app: &TestApp) {
    let w = world(app);
    let award = accepted_award(app, &w, "500.00");
    let d = tranche(app, &w, &award, "500.00");
    let id = new_run(app, &w)["id"].as_str().unwrap().to_owned();
    conflict(
        act(
            app,
            &w,
            &format!("/v1/disbursements/{d}/paid"),
            json!({"note": "paid by cheque"}),
        ),
        &format!("payment run {id}"),
    );
    assert_eq!(get(app, &w, &format!("/v1/awards/{award}"))["paid"], "0.00");
    assert_eq!(tranche_of(app, &w, &award, &d)["status"], "scheduled");
    assert_eq!(bank_file(app, &w, &id), [(d.clone(), "500.00".to_owned())]);

    let confirmed = expect(
        act(
            app,
            &w,
            &format!("/v1/payment-runs/{id}/confirm"),
            json!({}),
        ),
        200,
    );
    assert_eq!(
        (confirmed["total"].as_str(), confirmed["count"].as_u64()),
        (Some("500.00"), Some(1))
    );
    assert_eq!(
        get(app, &w, &format!("/v1/awards/{award}"))["paid"],
        "500.00"
    );
    let report = reconciles(app, &w);
    assert_eq!(report["paid"], "500.00");

    // Once the run is cancelled the tranche is free, and may be paid on its own.
    let other = tranche(app, &w, &accepted_award(app, &w, "400.00"), "400.00");
    let second = new_run(app, &w)["id"].as_str().unwrap().to_owned();
    expect(
        act(
            app,
            &w,
            &format!("/v1/payment-runs/{second}/cancel"),
            json!({}),
        ),
        200,
    );
    expect(
        act(
            app,
            &w,
            &format!("/v1/disbursements/{other}/paid"),
            json!({}),
        ),
        200,
    );
    reconciles(app, &w);
}

fn a_failed_tranche_leaves_its_draft_run(app: &TestApp) {
    let w = world(app);
    let award = accepted_award(app, &w, "800.00");
    let bounced = tranche(app, &w, &award, "500.00");
    let kept = tranche(app, &w, &award, "300.00");
    let created = new_run(app, &w);
    assert_eq!(
        (created["total"].as_str(), created["count"].as_u64()),
        (Some("800.00"), Some(2))
    );
    let id = created["id"].as_str().unwrap().to_owned();

    let failed = expect(
        act(
            app,
            &w,
            &format!("/v1/disbursements/{bounced}/failed"),
            json!({"note": "account closed"}),
        ),
        200,
    );
    assert_eq!(failed["status"], "failed");
    assert_eq!(failed["payment_run_id"], Value::Null);
    assert_eq!(run(app, &w, &id), ("300.00".to_owned(), 1));
    assert_eq!(
        bank_file(app, &w, &id),
        [(kept.clone(), "300.00".to_owned())]
    );

    let confirmed = expect(
        act(
            app,
            &w,
            &format!("/v1/payment-runs/{id}/confirm"),
            json!({}),
        ),
        200,
    );
    assert_eq!(
        (confirmed["total"].as_str(), confirmed["count"].as_u64()),
        (Some("300.00"), Some(1))
    );
    let a = get(app, &w, &format!("/v1/awards/{award}"));
    assert_eq!(
        (a["paid"].as_str(), a["scheduled"].as_str()),
        (Some("300.00"), Some("300.00"))
    );
    reconciles(app, &w);
}

fn reconciliation_finds_a_confirmed_run_whose_total_is_not_what_it_paid(app: &TestApp) {
    let w = world(app);
    let award = accepted_award(app, &w, "500.00");
    tranche(app, &w, &award, "500.00");
    let id = new_run(app, &w)["id"].as_str().unwrap().to_owned();
    expect(
        act(
            app,
            &w,
            &format!("/v1/payment-runs/{id}/confirm"),
            json!({}),
        ),
        200,
    );
    reconciles(app, &w);
    // What the run said before this fix: a total the bank was sent, but
    // nothing recorded as paid behind it.
    app.db
        .db
        .read(|c| {
            c.batch_execute("UPDATE payment_runs SET total_pence = total_pence + 50000")
                .map_err(grantledger_store::StoreError::from)
        })
        .unwrap();
    let report = get(app, &w, &format!("/v1/funds/{}/reconciliation", w.fund));
    assert_eq!(report["passed"], false);
    let failed: Vec<&str> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["pass"] == false)
        .map(|c| c["check"].as_str().unwrap())
        .collect();
    assert_eq!(
        failed,
        ["payment_runs", "payment_runs_mismatched"],
        "{report:#}"
    );
    let check = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == "payment_runs")
        .unwrap();
    assert_eq!(
        (check["expected"].as_str(), check["actual"].as_str()),
        (Some("1000.00"), Some("500.00"))
    );
}

fn a_cancelled_award_keeps_its_reason_and_owes_nothing(app: &TestApp) {
    let w = world(app);
    let award = accepted_award(app, &w, "1000.00");
    let paid = tranche(app, &w, &award, "400.00");
    expect(
        act(
            app,
            &w,
            &format!("/v1/disbursements/{paid}/paid"),
            json!({}),
        ),
        200,
    );
    let unpaid = tranche(app, &w, &award, "300.00");
    let problem = expect(
        act(
            app,
            &w,
            &format!("/v1/awards/{award}/cancel"),
            json!({"reason": "  "}),
        ),
        422,
    );
    assert_eq!(problem["errors"][0]["field"], "reason", "{problem}");

    let reason = "Group has wound up; trustees resigned";
    let cancelled = expect(
        act(
            app,
            &w,
            &format!("/v1/awards/{award}/cancel"),
            json!({"reason": reason}),
        ),
        200,
    );
    let shown = get(app, &w, &format!("/v1/awards/{award}"));
    for view in [&cancelled, &shown] {
        assert_eq!(view["status"], "cancelled");
        assert_eq!(view["cancellation_reason"], reason, "{view}");
        assert_eq!(
            (view["paid"].as_str(), view["outstanding"].as_str()),
            (Some("400.00"), Some("0.00")),
            "{view}"
        );
    }
    let own = expect(
        app.get(&format!("/v1/awards/{award}"), Some(&w.grantee)),
        200,
    );
    assert_eq!(own["cancellation_reason"], reason);
    assert_eq!(
        tranche_of(app, &w, &award, &unpaid)["note"],
        format!("award cancelled: {reason}")
    );

    let events = get(
        app,
        &w,
        &format!("/v1/audit-events?entity_type=award&entity_id={award}&action=award.cancelled"),
    );
    assert_eq!(
        events["items"][0]["after"]["cancellation_reason"], reason,
        "{events:#}"
    );
    let dir = std::env::temp_dir().join(format!("gl-cancel-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("chain.jsonl");
    grantledger_server::cli::export_audit(&app.db.db, &file).unwrap();
    let exported = std::fs::read_to_string(&file).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        exported.contains(reason),
        "the reason is not in the audit export"
    );

    // The award view agrees with reconciliation: nothing outstanding.
    let report = reconciles(app, &w);
    assert_eq!(
        (report["paid"].as_str(), report["outstanding"].as_str()),
        (Some("400.00"), Some("0.00"))
    );
    let listed = get(
        app,
        &w,
        &format!("/v1/awards?status=cancelled&fund_id={}", w.fund),
    );
    assert_eq!(listed["items"][0]["outstanding"], "0.00");
}

fn report(reached: u32) -> Value {
    json!({
        "period_start": "2026-04-01", "period_end": "2026-09-30",
        "participants_reached": reached, "volunteers": 2, "sessions_delivered": 6,
        "narrative": "Six sessions ran before the group wound up.", "responses": []
    })
}

fn a_part_paid_cancelled_award_can_report_how_its_money_was_spent(app: &TestApp) {
    let w = world(app);
    let part_paid = accepted_award(app, &w, "1000.00");
    let d = tranche(app, &w, &part_paid, "400.00");
    expect(
        act(app, &w, &format!("/v1/disbursements/{d}/paid"), json!({})),
        200,
    );
    let unpaid = accepted_award(app, &w, "600.00");
    for award in [&part_paid, &unpaid] {
        expect(
            act(
                app,
                &w,
                &format!("/v1/awards/{award}/cancel"),
                json!({"reason": "Group has wound up"}),
            ),
            200,
        );
    }
    let submitted = expect(
        app.post(
            &format!("/v1/awards/{part_paid}/evaluation-returns"),
            Some(&w.grantee),
            &report(12),
        ),
        201,
    );
    assert_eq!(submitted["status"], "submitted", "{submitted}");
    // A resubmission works too, once changes are asked for.
    let id = submitted["id"].as_str().unwrap();
    expect(
        act(
            app,
            &w,
            &format!("/v1/evaluation-returns/{id}/review"),
            json!({"decision": "request_changes", "comment": "Add the spend"}),
        ),
        200,
    );
    expect(
        app.post(
            &format!("/v1/awards/{part_paid}/evaluation-returns"),
            Some(&w.grantee),
            &report(12),
        ),
        201,
    );
    // Nothing was paid on the other: there is nothing to report on.
    conflict(
        app.post(
            &format!("/v1/awards/{unpaid}/evaluation-returns"),
            Some(&w.grantee),
            &report(12),
        ),
        "cancelled",
    );
}

fn a_return_cannot_be_due_before_the_award_was_made(app: &TestApp) {
    let w = world(app);
    let award = accepted_award(app, &w, "500.00");
    let made = get(app, &w, &format!("/v1/awards/{award}"))["created_at"]
        .as_str()
        .unwrap()
        .parse::<chrono::DateTime<chrono::Utc>>()
        .unwrap()
        .date_naive();
    let day_before = made.pred_opt().unwrap();
    let path = format!("/v1/awards/{award}/return-due-date");
    let refused = expect(
        app.request(
            "PUT",
            &path,
            Some(&w.admin),
            Some(&json!({"return_due_on": day_before.to_string()})),
        ),
        422,
    );
    assert_eq!(refused["errors"][0]["field"], "return_due_on", "{refused}");
    let message = refused["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains(&made.to_string()), "{message}");
    assert_eq!(
        get(app, &w, &format!("/v1/awards/{award}"))["return_due_on"],
        Value::Null
    );
    for ok in [made, made.checked_add_days(chrono::Days::new(365)).unwrap()] {
        let set = expect(
            app.request(
                "PUT",
                &path,
                Some(&w.admin),
                Some(&json!({"return_due_on": ok.to_string()})),
            ),
            200,
        );
        assert_eq!(set["return_due_on"], ok.to_string());
    }
}

/// A list's items, whether it comes as a bare array or in `{"items"}`.
fn items(list: &Value) -> Vec<Value> {
    list.get("items")
        .unwrap_or(list)
        .as_array()
        .unwrap()
        .clone()
}

fn a_conflicted_assessor_cannot_read_the_other_assessments(app: &TestApp) {
    let w = world(app);
    let application = app.submitted_application(&w.round, &w.org, "900.00");
    let path = format!("/v1/applications/{application}/assessments");
    let (scorer, conflicted) = (
        app.user(Role::Assessor, None),
        app.user(Role::Assessor, None),
    );
    expect(
        app.post(&path, Some(&scorer), &json!({"kind": "scored", "score": 8, "recommendation": "award", "comment": "Strong local support"})),
        201,
    );
    expect(
        app.post(
            &path,
            Some(&conflicted),
            &json!({"kind": "conflict_declared", "declaration": "I chair its board"}),
        ),
        201,
    );
    let seen = items(&expect(app.get(&path, Some(&conflicted)), 200));
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(seen[0]["kind"], "conflict_declared");
    assert!(!format!("{seen:?}").contains("Strong local support"));
    assert_eq!(items(&expect(app.get(&path, Some(&scorer)), 200)).len(), 2);
    assert_eq!(items(&expect(app.get(&path, Some(&w.admin)), 200)).len(), 2);
}

fn a_variation_outside_the_grant_range_needs_an_audited_override(app: &TestApp) {
    let w = world(app);
    let award = accepted_award(app, &w, "2000.00");
    let path = format!("/v1/awards/{award}/variations");
    for amount in ["3000.00", "299.99"] {
        let refused = expect(
            app.post(
                &path,
                Some(&w.admin),
                &json!({"amount": amount, "reason": "More sessions"}),
            ),
            422,
        );
        assert_eq!(refused["errors"][0]["field"], "amount", "{refused}");
        let message = refused["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains("300.00 to 2500.00"), "{message}");
    }
    assert_eq!(
        get(app, &w, &format!("/v1/awards/{award}"))["amount"],
        "2000.00"
    );
    let not_needed = expect(
        app.post(
            &path,
            Some(&w.admin),
            &json!({"amount": "2500.00", "reason": "More",
            "range_override": {"reason": "Council match funding"}}),
        ),
        422,
    );
    assert_eq!(
        not_needed["errors"][0]["field"], "range_override",
        "{not_needed}"
    );
    let unreasoned = expect(
        app.post(
            &path,
            Some(&w.admin),
            &json!({"amount": "3000.00", "reason": "More",
            "range_override": {"reason": " "}}),
        ),
        422,
    );
    assert_eq!(
        unreasoned["errors"][0]["field"], "range_override.reason",
        "{unreasoned}"
    );

    let why = "Council match funding agreed at panel";
    let varied = expect(
        app.post(
            &path,
            Some(&w.admin),
            &json!({"amount": "3000.00", "reason": "Extra venue",
            "range_override": {"reason": why}}),
        ),
        201,
    );
    assert_eq!(varied["award"]["amount"], "3000.00");
    assert_eq!(varied["variation"]["range_override_reason"], why);
    let history = items(&get(app, &w, &path));
    assert_eq!(history.len(), 1);
    assert_eq!(history[0]["range_override_reason"], why);
    let events = get(
        app,
        &w,
        &format!(
            "/v1/audit-events?entity_type=award&entity_id={award}&action=award.varied_outside_range"
        ),
    );
    let event = &events["items"][0];
    assert_eq!(event["after"]["range_override_reason"], why, "{events:#}");
    assert_eq!(event["after"]["amount"], "3000.00");
    assert_eq!(event["before"]["amount"], "2000.00");
    reconciles(app, &w);
}

/// Each line of an approved run is confirmed on its own, with who and when;
/// the run is confirmed with exactly what was paid once nothing is left.
fn lines_are_confirmed_one_by_one(app: &TestApp) {
    let w = world(app);
    let first = accepted_award(app, &w, "500.00");
    let second = accepted_award(app, &w, "300.00");
    let paid = tranche(app, &w, &first, "500.00");
    let failing = tranche(app, &w, &second, "300.00");
    let id = new_run(app, &w)["id"].as_str().unwrap().to_owned();
    let line = |d: &str, what: &str| {
        act(
            app,
            &w,
            &format!("/v1/payment-runs/{id}/lines/{d}/{what}"),
            json!({"note": "bank statement 12 March"}),
        )
    };
    let one = expect(line(&paid, "paid"), 200);
    assert_eq!(one["status"], "paid");
    assert_eq!(
        get(app, &w, &format!("/v1/payment-runs/{id}"))["status"],
        "approved"
    );
    conflict(
        line(&paid, "paid"),
        "cannot pay a disbursement that is paid",
    );
    expect(line(&failing, "failed"), 200);
    let done = get(app, &w, &format!("/v1/payment-runs/{id}"));
    assert_eq!(
        (
            done["status"].as_str(),
            done["total"].as_str(),
            done["count"].as_u64()
        ),
        (Some("confirmed"), Some("500.00"), Some(1))
    );
    let lines = get(app, &w, &format!("/v1/payment-runs/{id}/lines"));
    let lines = lines["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["disbursement_id"], paid.as_str());
    assert!(lines[0]["settled_by"].is_string(), "{lines:?}");
    assert!(lines[0]["settled_at"].is_string(), "{lines:?}");
    // A tranche of another run is not this run's line.
    conflict(line(&failing, "paid"), "not in payment run");
    reconciles(app, &w);
}

/// A draft's lines cannot be confirmed before approval, and a run with a
/// line confirmed paid cannot be cancelled.
fn a_run_with_a_paid_line_cannot_be_cancelled(app: &TestApp) {
    let w = world(app);
    let a = accepted_award(app, &w, "500.00");
    let b = accepted_award(app, &w, "400.00");
    let ta = tranche(app, &w, &a, "500.00");
    tranche(app, &w, &b, "400.00");
    let draft = expect(
        act(
            app,
            &w,
            "/v1/payment-runs",
            json!({"fund_id": w.fund, "due_by": "2026-12-31"}),
        ),
        201,
    );
    let id = draft["id"].as_str().unwrap();
    conflict(
        act(
            app,
            &w,
            &format!("/v1/payment-runs/{id}/lines/{ta}/paid"),
            json!({}),
        ),
        "only an approved run",
    );
    let approver = app.admin();
    expect(
        app.post(
            &format!("/v1/payment-runs/{id}/approve"),
            Some(&approver),
            &json!({}),
        ),
        200,
    );
    expect(
        act(
            app,
            &w,
            &format!("/v1/payment-runs/{id}/lines/{ta}/paid"),
            json!({}),
        ),
        200,
    );
    conflict(
        act(app, &w, &format!("/v1/payment-runs/{id}/cancel"), json!({})),
        "already confirmed paid",
    );
    expect(
        act(
            app,
            &w,
            &format!("/v1/payment-runs/{id}/confirm"),
            json!({}),
        ),
        200,
    );
    assert_eq!(run(app, &w, id), ("900.00".to_owned(), 2));
    reconciles(app, &w);
}

/// A payment the grantee's bank sends back is owed again: the award's paid
/// figure drops, a new tranche can be scheduled, and the ledger reconciles.
fn a_payment_returned_by_the_bank_is_payable_again(app: &TestApp) {
    let w = world(app);
    let award = accepted_award(app, &w, "800.00");
    let d = tranche(app, &w, &award, "800.00");
    let id = new_run(app, &w)["id"].as_str().unwrap().to_owned();
    expect(
        act(
            app,
            &w,
            &format!("/v1/payment-runs/{id}/confirm"),
            json!({}),
        ),
        200,
    );
    let bad = expect(
        act(
            app,
            &w,
            &format!("/v1/disbursements/{d}/returned"),
            json!({"reason_code": "account closed"}),
        ),
        422,
    );
    assert_eq!(error_fields(&bad), ["reason_code"], "{bad}");
    let returned = expect(
        act(
            app,
            &w,
            &format!("/v1/disbursements/{d}/returned"),
            json!({"reason_code": "b", "note": "ARUCS 14 March"}),
        ),
        200,
    );
    assert_eq!(returned["status"], "returned");
    let a = get(app, &w, &format!("/v1/awards/{award}"));
    assert_eq!(
        (
            a["amount"].as_str(),
            a["paid"].as_str(),
            a["outstanding"].as_str()
        ),
        (Some("800.00"), Some("0.00"), Some("800.00"))
    );
    conflict(
        act(
            app,
            &w,
            &format!("/v1/disbursements/{d}/returned"),
            json!({"reason_code": "B"}),
        ),
        "cannot return",
    );
    // The money is scheduled again and paid by a new run.
    app.tranche(&w.round, &award, "800.00", "2026-03-01");
    let again = new_run(app, &w)["id"].as_str().unwrap().to_owned();
    expect(
        act(
            app,
            &w,
            &format!("/v1/payment-runs/{again}/confirm"),
            json!({}),
        ),
        200,
    );
    let a = get(app, &w, &format!("/v1/awards/{award}"));
    assert_eq!(a["paid"], "800.00");
    let report = reconciles(app, &w);
    assert_eq!(report["passed"], true);
}

/// A run pays one fund's tranches (one round's when asked), never another's.
fn a_run_pays_one_fund(app: &TestApp) {
    let w = world(app);
    let award = accepted_award(app, &w, "500.00");
    tranche(app, &w, &award, "500.00");
    let other_fund = app.fund_with(
        &w.admin,
        json!({"code": "OTH", "name": "Other Fund", "budget": "10000.00"}),
    );
    let other_round = app.open_round(&other_fund, "5000.00", ("300.00", "2500.00"));
    let bad = expect(
        act(
            app,
            &w,
            "/v1/payment-runs",
            json!({"fund_id": other_fund.id, "round_id": w.round.id, "due_by": "2026-12-31"}),
        ),
        422,
    );
    assert_eq!(error_fields(&bad), ["round_id"], "{bad}");
    conflict(
        act(
            app,
            &w,
            "/v1/payment-runs",
            json!({"fund_id": other_fund.id, "round_id": other_round.id, "due_by": "2026-12-31"}),
        ),
        "at least one disbursement",
    );
    expect(
        act(
            app,
            &w,
            "/v1/payment-runs",
            json!({"fund_id": "01a23129-cfcc-75f0-a510-4bf1debb7462", "due_by": "2026-12-31"}),
        ),
        404,
    );
    let run = expect(
        act(
            app,
            &w,
            "/v1/payment-runs",
            json!({"fund_id": w.fund, "round_id": w.round.id, "due_by": "2026-12-31"}),
        ),
        201,
    );
    assert_eq!(run["round_id"], w.round.id.as_str());
    assert_eq!(run["count"], 1);
}

api_tests!(
    lines_are_confirmed_one_by_one,
    a_run_with_a_paid_line_cannot_be_cancelled,
    a_payment_returned_by_the_bank_is_payable_again,
    a_run_pays_one_fund,
    a_variation_outside_the_grant_range_needs_an_audited_override,
    a_conflicted_assessor_cannot_read_the_other_assessments,
    a_cancelled_award_keeps_its_reason_and_owes_nothing,
    a_part_paid_cancelled_award_can_report_how_its_money_was_spent,
    a_return_cannot_be_due_before_the_award_was_made,
    cancelling_an_award_takes_its_tranche_out_of_a_draft_run,
    a_run_emptied_by_a_cancellation_cannot_be_confirmed,
    a_tranche_in_a_draft_run_cannot_be_paid_directly,
    a_failed_tranche_leaves_its_draft_run,
    reconciliation_finds_a_confirmed_run_whose_total_is_not_what_it_paid,
);
