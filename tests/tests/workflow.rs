//! The grant-round workflow end to end over HTTP, on both backends: apply,
//! assess, award, accept, vary, pay in tranches through a payment run, and
//! recover; every forbidden move answers 409; retried POSTs apply once.

use grantledger_domain::user::Role;
use grantledger_tests::{
    DueDiligence, Grantee, Round, TestApp, api_tests, content_type, error_fields, expect,
};
use reqwest::blocking::Response;
use serde_json::{Value, json};

struct Setup {
    admin: String,
    assessor: String,
    grantee: String,
    fund: String,
    round: Round,
    org: Grantee,
}

fn setup(app: &TestApp, allocation: &str) -> Setup {
    let admin = app.admin();
    let fund = app.fund(&admin, "4000000.00");
    let round = app.round_with(
        &fund,
        json!({
            "name": "Round 2", "allocation": allocation, "min_grant": "500.00", "max_grant": "2500.00",
            "eligibility": {"organisation_types": ["community_group", "cic"], "max_annual_income": "50000.00", "regions": ["north_west"]}
        }),
    );
    let org = app
        .grantee(
            &admin,
            json!({"name": "Made by Mortals CIC", "organisation_type": "cic", "region": "north_west",
                   "local_authority": "Tameside", "postcode": "OL6 7SF", "annual_income": "48000.00"}),
            DueDiligence::NotDone,
        )
        .signed_in(app);
    let assessor = app.assessor();
    Setup {
        admin,
        assessor,
        grantee: org.user.clone().unwrap(),
        fund: fund.id,
        round,
        org,
    }
}

fn apply(app: &TestApp, s: &Setup, amount: &str) -> String {
    let draft = app.draft_application_with(
        &s.round,
        &s.org,
        json!({"amount_requested": amount, "project_title": "Armchair Adventures", "summary": "An immersive podcast."}),
    );
    assert_eq!(draft["status"], "draft");
    let id = draft["id"].as_str().unwrap().to_owned();
    app.submit(&s.round, &s.org, &id);
    id
}

fn available(app: &TestApp, s: &Setup) -> String {
    expect(
        app.get(&format!("/v1/rounds/{}", s.round.id), Some(&s.admin)),
        200,
    )["available"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn conflict(response: Response, needle: &str) {
    let problem = expect(response, 409);
    let detail = problem["detail"].as_str().unwrap();
    assert!(detail.contains(needle), "expected {needle:?} in {detail:?}");
}

/// Decides `decisions` in one bulk request; the answer (200).
fn decide_in_bulk(app: &TestApp, s: &Setup, decisions: impl Into<Value>) -> Value {
    let decisions: Value = decisions.into();
    expect(
        app.post(
            &format!("/v1/rounds/{}/decisions", s.round.id),
            Some(&s.admin),
            &json!({"decisions": decisions}),
        ),
        200,
    )
}

/// Each item's status in a bulk answer, in order.
fn item_statuses(answer: &Value) -> Vec<u64> {
    answer["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_u64().unwrap())
        .collect()
}

/// The fund's reconciliation, which must pass.
fn reconciles(app: &TestApp, s: &Setup) -> Value {
    let report = expect(
        app.get(
            &format!("/v1/funds/{}/reconciliation", s.fund),
            Some(&s.admin),
        ),
        200,
    );
    assert_eq!(report["passed"], true, "{report:#}");
    report
}

/// The application is still submitted: nothing decided it.
fn still_submitted(app: &TestApp, s: &Setup, id: &str) {
    let application = expect(
        app.get(&format!("/v1/applications/{id}"), Some(&s.admin)),
        200,
    );
    assert_eq!(application["status"], "submitted", "{application}");
}

fn a_microgrant_goes_from_application_to_payment(app: &TestApp) {
    let s = setup(app, "10000.00");
    let id = apply(app, &s, "2000.00");
    conflict(
        app.post(
            &format!("/v1/applications/{id}/submit"),
            Some(&s.grantee),
            &json!({}),
        ),
        "cannot submit",
    );

    // Assessment: a declared conflict blocks that assessor's score.
    expect(
        app.post(
            &format!("/v1/applications/{id}/start-review"),
            Some(&s.assessor),
            &json!({}),
        ),
        200,
    );
    let conflicted = app.user(Role::Assessor, None);
    expect(
        app.post(
            &format!("/v1/applications/{id}/assessments"),
            Some(&conflicted),
            &json!({"kind": "conflict_declared", "declaration": "I chair its board"}),
        ),
        201,
    );
    conflict(
        app.post(
            &format!("/v1/applications/{id}/assessments"),
            Some(&conflicted),
            &json!({"kind": "scored", "score": 9, "recommendation": "award"}),
        ),
        "conflict",
    );
    expect(
        app.post(
            &format!("/v1/applications/{id}/assessments"),
            Some(&s.assessor),
            &json!({"kind": "scored", "score": 8, "recommendation": "award", "comment": "Strong"}),
        ),
        201,
    );
    let scored = expect(
        app.get(
            &format!("/v1/applications/{id}/assessments"),
            Some(&s.admin),
        ),
        200,
    );
    assert_eq!(scored["items"].as_array().unwrap().len(), 2);

    // Award more than asked: refused. Then award, which commits the money.
    let too_much = expect(
        app.post(
            &format!("/v1/applications/{id}/decision"),
            Some(&s.admin),
            &json!({"outcome": "award", "amount": "2000.01"}),
        ),
        422,
    );
    assert_eq!(too_much["errors"][0]["field"], "amount");
    let decided = expect(
        app.post(
            &format!("/v1/applications/{id}/decision"),
            Some(&s.admin),
            &json!({"outcome": "award", "amount": "1800.00"}),
        ),
        201,
    );
    assert_eq!(decided["application"]["status"], "awarded");
    let award = decided["award"].clone();
    assert_eq!(award["status"], "offered");
    assert_eq!(award["reference"], "LCF-R1-000001");
    assert_eq!(available(app, &s), "8200.00");
    conflict(
        app.post(
            &format!("/v1/applications/{id}/decision"),
            Some(&s.admin),
            &json!({"outcome": "reject", "reason": "x"}),
        ),
        "cannot reject",
    );
    let award_id = award["id"].as_str().unwrap().to_owned();
    let a = |path: &str| format!("/v1/awards/{award_id}{path}");

    // Paying before acceptance or due diligence is refused.
    conflict(
        app.post(
            &a("/disbursements"),
            Some(&s.admin),
            &json!({"amount": "100.00", "due_on": "2026-02-01"}),
        ),
        "accepted",
    );
    expect(app.post(&a("/accept"), Some(&s.grantee), &json!({})), 200);
    conflict(
        app.post(&a("/accept"), Some(&s.grantee), &json!({})),
        "cannot accept",
    );
    conflict(
        app.post(&a("/decline"), Some(&s.grantee), &json!({})),
        "cannot decline",
    );
    conflict(
        app.post(
            &a("/disbursements"),
            Some(&s.admin),
            &json!({"amount": "100.00", "due_on": "2026-02-01"}),
        ),
        "due diligence",
    );
    app.pass_due_diligence(&s.admin, &s.org);

    // Variations: up needs headroom, down never below what is paid.
    let up = expect(
        app.post(
            &a("/variations"),
            Some(&s.admin),
            &json!({"amount": "2000.00", "reason": "Extra sessions"}),
        ),
        201,
    );
    assert_eq!(up["award"]["amount"], "2000.00");
    assert_eq!(available(app, &s), "8000.00");
    conflict(
        app.post(
            &a("/variations"),
            Some(&s.admin),
            &json!({"amount": "10000.01", "reason": "Too big",
                    "range_override": {"reason": "Beyond the range, and beyond the round"}}),
        ),
        "not enough money",
    );

    // Two tranches; the second cannot exceed what is left of the award.
    let first = expect(
        app.post(
            &a("/disbursements"),
            Some(&s.admin),
            &json!({"amount": "1500.00", "due_on": "2026-02-01"}),
        ),
        201,
    );
    conflict(
        app.post(
            &a("/disbursements"),
            Some(&s.admin),
            &json!({"amount": "500.01", "due_on": "2026-03-01"}),
        ),
        "500.00",
    );
    let second = expect(
        app.post(
            &a("/disbursements"),
            Some(&s.admin),
            &json!({"amount": "500.00", "due_on": "2099-03-01"}),
        ),
        201,
    );

    // A payment run takes one fund's tranches due; a second administrator
    // approves it before its bank file exists; it confirms in one step.
    let run = expect(
        app.post(
            "/v1/payment-runs",
            Some(&s.admin),
            &json!({"fund_id": s.fund, "due_by": "2026-12-31"}),
        ),
        201,
    );
    assert_eq!(run["count"], 1);
    assert_eq!(run["total"], "1500.00");
    assert_eq!(run["status"], "draft");
    assert_eq!(run["fund_id"], s.fund.as_str());
    let run_id = run["id"].as_str().unwrap();
    conflict(
        app.get(&format!("/v1/payment-runs/{run_id}/export"), Some(&s.admin)),
        "second administrator must approve",
    );
    let refused = app.post(
        &format!("/v1/payment-runs/{run_id}/approve"),
        Some(&s.admin),
        &json!({}),
    );
    assert_eq!(refused.status().as_u16(), 403);
    assert!(
        refused
            .text()
            .unwrap()
            .contains("another administrator must approve")
    );
    conflict(
        app.post(
            &format!("/v1/payment-runs/{run_id}/confirm"),
            Some(&s.admin),
            &json!({}),
        ),
        "cannot confirm a payment run that is draft",
    );
    let approver = app.admin();
    let approved = expect(
        app.post(
            &format!("/v1/payment-runs/{run_id}/approve"),
            Some(&approver),
            &json!({}),
        ),
        200,
    );
    assert_eq!(approved["status"], "approved");
    assert!(approved["approved_by"].is_string());
    assert_ne!(approved["approved_by"], approved["created_by"]);
    // The bank file: Bacs Standard 18 by default, or a bank's upload CSV;
    // both carry the full account number, and only these files do.
    let std18 = app.get(&format!("/v1/payment-runs/{run_id}/export"), Some(&s.admin));
    assert_eq!(std18.status().as_u16(), 200);
    assert!(content_type(&std18).starts_with("text/plain"));
    let std18 = std18.text().unwrap();
    assert!(
        std18.split_terminator("\r\n").all(|r| r.len() == 100),
        "{std18}"
    );
    let credit = std18
        .split_terminator("\r\n")
        .find(|r| r.get(15..17) == Some("99"))
        .unwrap();
    assert_eq!(&credit[0..14], "08999966374958", "{credit}");
    assert_eq!(&credit[35..46], "00000150000", "{credit}");
    assert!(credit.contains("LCF-R1-000001") && credit.contains("TUESDAY LUNCH CLUB"));
    let csv = app.get(
        &format!("/v1/payment-runs/{run_id}/export?format=bank_csv"),
        Some(&s.admin),
    );
    assert_eq!(csv.status().as_u16(), 200);
    let csv = csv.text().unwrap();
    assert_eq!(
        csv,
        "sort_code,account_number,account_name,amount,reference,roll_number\n\
         089999,66374958,TUESDAY LUNCH CLUB,1500.00,LCF-R1-000001,\n"
    );
    conflict(
        app.post(
            "/v1/payment-runs",
            Some(&s.admin),
            &json!({"fund_id": s.fund, "due_by": "2026-12-31"}),
        ),
        "at least one disbursement",
    );
    expect(
        app.post(
            &format!("/v1/payment-runs/{run_id}/confirm"),
            Some(&s.admin),
            &json!({}),
        ),
        200,
    );
    conflict(
        app.post(
            &format!("/v1/payment-runs/{run_id}/confirm"),
            Some(&s.admin),
            &json!({}),
        ),
        "cannot confirm",
    );
    let lines = expect(
        app.get(&format!("/v1/payment-runs/{run_id}/lines"), Some(&s.admin)),
        200,
    );
    assert_eq!(lines["lines"][0]["status"], "paid");
    assert!(lines["lines"][0]["settled_at"].is_string());
    assert_eq!(lines["held"], json!([]));
    let award = expect(app.get(&a(""), Some(&s.admin)), 200);
    assert_eq!(award["paid"], "1500.00");
    assert_eq!(award["outstanding"], "500.00");

    // Cannot vary below what is paid; cannot complete before fully paid.
    conflict(
        app.post(
            &a("/variations"),
            Some(&s.admin),
            &json!({"amount": "1499.99", "reason": "Cut"}),
        ),
        "paid",
    );
    conflict(
        app.post(&a("/complete"), Some(&s.admin), &json!({})),
        "paid",
    );

    // The second tranche is paid individually; a paid tranche cannot fail.
    let second_id = second["id"].as_str().unwrap();
    expect(
        app.post(
            &format!("/v1/disbursements/{second_id}/paid"),
            Some(&s.admin),
            &json!({"note": "BACS 1234"}),
        ),
        200,
    );
    conflict(
        app.post(
            &format!("/v1/disbursements/{second_id}/failed"),
            Some(&s.admin),
            &json!({}),
        ),
        "cannot fail",
    );

    // A recovery: the first tranche's money comes back to the round.
    let first_id = first["id"].as_str().unwrap();
    let reversed = expect(
        app.post(
            &format!("/v1/disbursements/{first_id}/reverse"),
            Some(&s.admin),
            &json!({"note": "Returned unspent"}),
        ),
        200,
    );
    assert_eq!(reversed["status"], "reversed");
    conflict(
        app.post(
            &format!("/v1/disbursements/{first_id}/reverse"),
            Some(&s.admin),
            &json!({}),
        ),
        "cannot reverse",
    );
    let award = expect(app.get(&a(""), Some(&s.admin)), 200);
    assert_eq!(
        (award["amount"].as_str(), award["paid"].as_str()),
        (Some("500.00"), Some("500.00"))
    );
    assert_eq!(available(app, &s), "9500.00");
    let completed = expect(app.post(&a("/complete"), Some(&s.admin), &json!({})), 200);
    assert_eq!(completed["status"], "completed");
    conflict(
        app.post(&a("/cancel"), Some(&s.admin), &json!({"reason": "late"})),
        "cannot cancel",
    );

    let variations = expect(app.get(&a("/variations"), Some(&s.grantee)), 200);
    assert_eq!(variations["items"].as_array().unwrap().len(), 1);
    let tranches = expect(app.get(&a("/disbursements"), Some(&s.grantee)), 200);
    assert_eq!(tranches["items"].as_array().unwrap().len(), 2);
    let _ = s.fund;
}

fn rejections_withdrawals_declines_and_cancellations_release_nothing_or_everything(app: &TestApp) {
    let s = setup(app, "5000.00");
    // Ineligible: every failed rule is named at once.
    let other = expect(
        app.post("/v1/grantees", Some(&s.admin), &json!({"name": "Big Charity", "organisation_type": "registered_charity",
            "region": "london", "local_authority": "Lambeth", "postcode": "SE11 5QY", "annual_income": "900000.00"})),
        201,
    )["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let draft = expect(
        app.post(&format!("/v1/rounds/{}/applications", s.round.id), Some(&s.admin),
            &json!({"amount_requested": "3000.00", "project_title": "Big", "summary": "Too big", "grantee_id": other})),
        201,
    );
    let problem = expect(
        app.post(
            &format!("/v1/applications/{}/submit", draft["id"].as_str().unwrap()),
            Some(&s.admin),
            &json!({}),
        ),
        422,
    );
    let fields: Vec<&str> = error_fields(&problem);
    assert_eq!(fields.len(), 4, "{problem}");
    for field in [
        "amount_requested",
        "organisation_type",
        "annual_income",
        "region",
    ] {
        assert!(fields.contains(&field), "{field} missing from {fields:?}");
    }

    let rejected = apply(app, &s, "1000.00");
    expect(
        app.post(
            &format!("/v1/applications/{rejected}/decision"),
            Some(&s.admin),
            &json!({"outcome": "reject"}),
        ),
        422,
    );
    let r = expect(
        app.post(
            &format!("/v1/applications/{rejected}/decision"),
            Some(&s.admin),
            &json!({"outcome": "reject", "reason": "Outside priorities"}),
        ),
        201,
    );
    assert_eq!(r["application"]["decision_feedback"], "Outside priorities");
    assert!(r["award"].is_null());
    conflict(
        app.post(
            &format!("/v1/applications/{rejected}/withdraw"),
            Some(&s.grantee),
            &json!({}),
        ),
        "cannot withdraw",
    );

    let withdrawn = apply(app, &s, "1000.00");
    expect(
        app.post(
            &format!("/v1/applications/{withdrawn}/withdraw"),
            Some(&s.grantee),
            &json!({}),
        ),
        200,
    );
    conflict(
        app.post(
            &format!("/v1/applications/{withdrawn}/decision"),
            Some(&s.admin),
            &json!({"outcome": "award", "amount": "1000.00"}),
        ),
        "cannot award",
    );
    assert_eq!(available(app, &s), "5000.00");

    let declined = apply(app, &s, "1000.00");
    let award = app.award(&s.round, &declined, "1000.00");
    assert_eq!(available(app, &s), "4000.00");
    expect(
        app.post(
            &format!("/v1/awards/{award}/decline"),
            Some(&s.grantee),
            &json!({}),
        ),
        200,
    );
    assert_eq!(available(app, &s), "5000.00");

    let cancelled = apply(app, &s, "2000.00");
    let award = app.award(&s.round, &cancelled, "2000.00");
    app.accept(&s.round, &s.org, &award);
    app.pass_due_diligence(&s.admin, &s.org);
    app.paid_tranche(&s.round, &award, "500.00", "2026-01-10");
    let pending = expect(
        app.post(
            &format!("/v1/awards/{award}/disbursements"),
            Some(&s.admin),
            &json!({"amount": "700.00", "due_on": "2026-02-10"}),
        ),
        201,
    );
    let c = expect(
        app.post(
            &format!("/v1/awards/{award}/cancel"),
            Some(&s.admin),
            &json!({"reason": "Project stopped"}),
        ),
        200,
    );
    assert_eq!(c["status"], "cancelled");
    // The unpaid 1,500.00 returns; the paid 500.00 stays spent; the pending tranche failed.
    assert_eq!(available(app, &s), "4500.00");
    let tranches = expect(
        app.get(&format!("/v1/awards/{award}/disbursements"), Some(&s.admin)),
        200,
    );
    let pending_now = tranches["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == pending["id"])
        .unwrap()
        .clone();
    assert_eq!(pending_now["status"], "failed");
    conflict(
        app.post(
            &format!("/v1/awards/{award}/accept"),
            Some(&s.grantee),
            &json!({}),
        ),
        "cannot accept",
    );
}

fn bulk_decisions_report_each_item_and_stop_at_the_allocation(app: &TestApp) {
    let s = setup(app, "2500.00");
    let ids: Vec<String> = (0..4).map(|_| apply(app, &s, "1000.00")).collect();
    let decisions: Vec<Value> = ids
        .iter()
        .map(|id| json!({"application_id": id, "outcome": "award", "amount": "1000.00"}))
        .chain(std::iter::once(
            json!({"application_id": uuid::Uuid::now_v7(), "outcome": "reject", "reason": "x"}),
        ))
        .collect();
    let result = decide_in_bulk(app, &s, decisions);
    let statuses = item_statuses(&result);
    assert_eq!(statuses, [201, 201, 409, 409, 404], "{result}");
    assert_eq!(
        (result["succeeded"].as_u64(), result["failed"].as_u64()),
        (Some(2), Some(3))
    );
    assert_eq!(available(app, &s), "500.00");
    let references: Vec<&str> = result["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["award"]["reference"].as_str())
        .collect();
    assert_eq!(references, ["LCF-R1-000001", "LCF-R1-000002"]);
    // The failed ones are untouched and can still be decided.
    still_submitted(app, &s, &ids[2]);
}

/// Bulk and single decisions racing for one round's money: a bulk decision
/// reads the money without a lock and debits it last, and decides again
/// with the money locked when another took what it counted on. However
/// they interleave, exactly what the round affords is awarded, each award
/// has its own reference, every refusal is "not enough money" and leaves
/// its application as it was, and the fund reconciles.
fn concurrent_bulk_decisions_award_exactly_what_the_round_affords(app: &TestApp) {
    let s = setup(app, "10000.00");
    let ids: Vec<String> = (0..24).map(|_| apply(app, &s, "1000.00")).collect();
    let (bulk, single) = ids.split_at(20);
    let start = std::sync::Barrier::new(6);
    let results: Vec<(String, u64, Option<String>, String)> = std::thread::scope(|scope| {
        let mut handles = Vec::new();
        for batch in bulk.chunks(5) {
            let (start, s) = (&start, &s);
            handles.push(scope.spawn(move || {
                let decisions: Vec<Value> = batch
                    .iter()
                    .map(
                        |id| json!({"application_id": id, "outcome": "award", "amount": "1000.00"}),
                    )
                    .collect();
                start.wait();
                let answer = decide_in_bulk(app, s, decisions);
                answer["results"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|r| {
                        (
                            r["application_id"].as_str().unwrap().to_owned(),
                            r["status"].as_u64().unwrap(),
                            r["award"]["reference"].as_str().map(str::to_owned),
                            r["problem"]["detail"]
                                .as_str()
                                .unwrap_or_default()
                                .to_owned(),
                        )
                    })
                    .collect::<Vec<_>>()
            }));
        }
        for pair in single.chunks(2) {
            let (start, s) = (&start, &s);
            handles.push(scope.spawn(move || {
                start.wait();
                pair.iter()
                    .map(|id| {
                        let r = app.post(
                            &format!("/v1/applications/{id}/decision"),
                            Some(&s.admin),
                            &json!({"outcome": "award", "amount": "1000.00"}),
                        );
                        let status = u64::from(r.status().as_u16());
                        let body: Value = r.json().unwrap();
                        (
                            id.clone(),
                            status,
                            body["award"]["reference"].as_str().map(str::to_owned),
                            body["detail"].as_str().unwrap_or_default().to_owned(),
                        )
                    })
                    .collect()
            }));
        }
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    assert_eq!(results.len(), 24);
    let awarded = results.iter().filter(|r| r.1 == 201).count();
    assert_eq!(awarded, 10, "{results:#?}");
    for (id, status, _, detail) in results.iter().filter(|r| r.1 != 201) {
        assert_eq!(*status, 409, "{results:#?}");
        assert!(detail.contains("not enough money"), "{detail}");
        still_submitted(app, &s, id);
    }
    let mut references: Vec<&str> = results.iter().filter_map(|r| r.2.as_deref()).collect();
    references.sort_unstable();
    references.dedup();
    assert_eq!(references.len(), 10, "{references:?}");
    assert_eq!(available(app, &s), "0.00");
    reconciles(app, &s);
}

/// An item whose write the database refuses fails alone: the batch is
/// decided again with a savepoint an item, and the others are awarded as
/// if it were not there. (A trigger stands in for whatever the database
/// might refuse: the decision's own checks leave nothing for it to.)
fn a_bulk_item_the_database_refuses_fails_alone(app: &TestApp) {
    let s = setup(app, "5000.00");
    let ids: Vec<String> = (0..3).map(|_| apply(app, &s, "1000.00")).collect();
    let refused = &ids[1];
    app.exec_sql(&format!(
        "UPDATE applications SET summary = 'Refused by the database' WHERE {}",
        if app.db.db.backend() == grantledger_store::BackendKind::Postgres {
            format!("id = '{refused}'")
        } else {
            format!("lower(hex(id)) = '{}'", refused.replace('-', ""))
        }
    ));
    if app.db.db.backend() == grantledger_store::BackendKind::Postgres {
        app.exec_sql(
            "CREATE FUNCTION refuse_one() RETURNS trigger AS $$ BEGIN \
             RAISE EXCEPTION 'refused by the test' USING ERRCODE = 'check_violation'; END $$ \
             LANGUAGE plpgsql; \
             CREATE TRIGGER refuse_one BEFORE UPDATE ON applications FOR EACH ROW \
             WHEN (OLD.summary = 'Refused by the database') EXECUTE FUNCTION refuse_one();",
        );
    } else {
        app.exec_sql(
            "CREATE TRIGGER refuse_one BEFORE UPDATE ON applications \
             WHEN OLD.summary = 'Refused by the database' \
             BEGIN SELECT RAISE(ABORT, 'refused by the test'); END;",
        );
    }
    let decisions: Vec<Value> = ids
        .iter()
        .map(|id| json!({"application_id": id, "outcome": "award", "amount": "1000.00"}))
        .collect();
    let result = decide_in_bulk(app, &s, decisions);
    let results = result["results"].as_array().unwrap();
    let statuses = item_statuses(&result);
    assert_eq!((statuses[0], statuses[2]), (201, 201), "{result}");
    assert!((400..600).contains(&statuses[1]), "{result}");
    let references: Vec<&str> = results
        .iter()
        .filter_map(|r| r["award"]["reference"].as_str())
        .collect();
    assert_eq!(references.len(), 2, "{result}");
    assert_ne!(references[0], references[1]);
    assert_eq!(available(app, &s), "3000.00");
    still_submitted(app, &s, refused);
    reconciles(app, &s);
}

fn bulk_decisions_keep_the_ledger_and_the_trail_whole(app: &TestApp) {
    let s = setup(app, "5000.00");
    let ids: Vec<String> = (0..3).map(|_| apply(app, &s, "1000.00")).collect();
    let decisions = json!([
        {"application_id": ids[0], "outcome": "award", "amount": "1000.00"},
        {"application_id": ids[1], "outcome": "reject", "reason": "Out of scope"},
        {"application_id": ids[0], "outcome": "award", "amount": "1000.00"},
        {"application_id": ids[2], "outcome": "award", "amount": "1500.00"},
        {"application_id": ids[2], "outcome": "award", "amount": "1000.00"},
    ]);
    let result = decide_in_bulk(app, &s, decisions);
    let results = result["results"].as_array().unwrap();
    let statuses = item_statuses(&result);
    // The second decision on the same application finds it already decided;
    // an amount above what was asked is refused and takes no number.
    assert_eq!(statuses, [201, 201, 409, 422, 201], "{result}");
    let awards: Vec<(&str, &str)> = results
        .iter()
        .filter_map(|r| {
            Some((
                r["award"]["id"].as_str()?,
                r["award"]["reference"].as_str()?,
            ))
        })
        .collect();
    assert_eq!(
        awards.iter().map(|(_, r)| *r).collect::<Vec<_>>(),
        ["LCF-R1-000001", "LCF-R1-000002"]
    );
    assert_eq!(available(app, &s), "3000.00");
    // Each award reads back as the bulk answer gave it.
    for (i, (id, _)) in awards.iter().enumerate() {
        let stored = expect(app.get(&format!("/v1/awards/{id}"), Some(&s.admin)), 200);
        let answered = &results[if i == 0 { 0 } else { 4 }]["award"];
        assert_eq!(&stored, answered);
    }
    // One audit event per change.
    for (id, _) in &awards {
        let events = expect(
            app.get(
                &format!("/v1/audit-events?entity_type=award&entity_id={id}"),
                Some(&s.admin),
            ),
            200,
        );
        let actions: Vec<&str> = events["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap())
            .collect();
        assert_eq!(actions, ["award.offered"], "{events}");
    }
    for (id, decided) in [
        (&ids[0], "application.awarded"),
        (&ids[1], "application.rejected"),
        (&ids[2], "application.awarded"),
    ] {
        let events = expect(
            app.get(
                &format!("/v1/audit-events?entity_type=application&entity_id={id}"),
                Some(&s.admin),
            ),
            200,
        );
        let decisions = events["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| {
                let action = e["action"].as_str().unwrap();
                action == "application.awarded" || action == "application.rejected"
            })
            .map(|e| e["action"].as_str().unwrap())
            .collect::<Vec<_>>();
        assert_eq!(decisions, [decided], "{events}");
    }
    // The ledger the batch wrote reconciles with the awards.
    let report = reconciles(app, &s);
    assert_eq!(report["committed"], "2000.00", "{report:#}");
}

fn post_with_key(app: &TestApp, token: &str, path: &str, key: &str, body: &Value) -> Response {
    app.client
        .post(app.url(path))
        .bearer_auth(token)
        .header("Idempotency-Key", key)
        .json(body)
        .send()
        .unwrap()
}

fn retried_posts_take_effect_once(app: &TestApp) {
    let s = setup(app, "10000.00");
    let id = apply(app, &s, "1000.00");
    let path = format!("/v1/applications/{id}/decision");
    let body = json!({"outcome": "award", "amount": "1000.00"});
    let first = post_with_key(app, &s.admin, &path, "decide-1", &body);
    assert!(first.headers().get("idempotent-replayed").is_none());
    let first = expect(first, 201);
    let again = post_with_key(app, &s.admin, &path, "decide-1", &body);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(expect(again, 201), first);
    assert_eq!(available(app, &s), "9000.00");
    let different = expect(
        post_with_key(
            app,
            &s.admin,
            &path,
            "decide-1",
            &json!({"outcome": "award", "amount": "999.00"}),
        ),
        422,
    );
    assert_eq!(different["errors"][0]["field"], "Idempotency-Key");

    // Every money-moving POST, each sent twice with one key.
    let award = first["award"]["id"].as_str().unwrap().to_owned();
    app.pass_due_diligence(&s.admin, &s.org);
    let steps: Vec<(String, &str, Value)> = vec![
        (format!("/v1/awards/{award}/accept"), "accept-1", json!({})),
        (
            format!("/v1/awards/{award}/variations"),
            "vary-1",
            json!({"amount": "1200.00", "reason": "More"}),
        ),
        (
            format!("/v1/awards/{award}/disbursements"),
            "tranche-1",
            json!({"amount": "400.00", "due_on": "2026-01-01"}),
        ),
        (
            "/v1/payment-runs".to_owned(),
            "run-1",
            json!({"fund_id": s.fund, "due_by": "2026-01-01"}),
        ),
    ];
    let mut last = Value::Null;
    for (path, key, body) in &steps {
        let token = if path.ends_with("/accept") {
            &s.grantee
        } else {
            &s.admin
        };
        let one = post_with_key(app, token, path, key, body);
        let status = one.status().as_u16();
        let one = expect(one, status);
        assert!(status == 200 || status == 201, "{path}: {status} {one}");
        let two = post_with_key(app, token, path, key, body);
        assert_eq!(two.headers()["idempotent-replayed"], "true", "{path}");
        assert_eq!(expect(two, status), one, "{path}");
        last = one;
    }
    let run = last["id"].as_str().unwrap().to_owned();
    let approver = app.admin();
    for _ in 0..2 {
        let approve = post_with_key(
            app,
            &approver,
            &format!("/v1/payment-runs/{run}/approve"),
            "approve-1",
            &json!({}),
        );
        expect(approve, 200);
    }
    for _ in 0..2 {
        let confirm = post_with_key(
            app,
            &s.admin,
            &format!("/v1/payment-runs/{run}/confirm"),
            "confirm-1",
            &json!({}),
        );
        expect(confirm, 200);
    }
    let a = expect(app.get(&format!("/v1/awards/{award}"), Some(&s.admin)), 200);
    assert_eq!(
        (
            a["amount"].as_str(),
            a["paid"].as_str(),
            a["scheduled"].as_str()
        ),
        (Some("1200.00"), Some("400.00"), Some("400.00"))
    );
    assert_eq!(available(app, &s), "8800.00");
    let variations = expect(
        app.get(&format!("/v1/awards/{award}/variations"), Some(&s.admin)),
        200,
    );
    assert_eq!(variations["items"].as_array().unwrap().len(), 1);

    // The same decision fired at once from many clients with one key applies once.
    let id = apply(app, &s, "1000.00");
    let path = format!("/v1/applications/{id}/decision");
    let statuses: Vec<(u16, bool)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..8)
            .map(|_| {
                scope.spawn(|| {
                    let r = post_with_key(
                        app,
                        &s.admin,
                        &path,
                        "concurrent-1",
                        &json!({"outcome": "award", "amount": "1000.00"}),
                    );
                    (
                        r.status().as_u16(),
                        r.headers().get("idempotent-replayed").is_some(),
                    )
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let fresh = statuses
        .iter()
        .filter(|(status, replayed)| *status == 201 && !replayed)
        .count();
    assert_eq!(fresh, 1, "{statuses:?}");
    assert!(
        statuses
            .iter()
            .all(|(status, _)| *status == 201 || *status == 409),
        "{statuses:?}"
    );
    assert_eq!(available(app, &s), "7800.00");
}

api_tests!(
    a_microgrant_goes_from_application_to_payment,
    rejections_withdrawals_declines_and_cancellations_release_nothing_or_everything,
    bulk_decisions_report_each_item_and_stop_at_the_allocation,
    bulk_decisions_keep_the_ledger_and_the_trail_whole,
    concurrent_bulk_decisions_award_exactly_what_the_round_affords,
    a_bulk_item_the_database_refuses_fails_alone,
    retried_posts_take_effect_once,
);
