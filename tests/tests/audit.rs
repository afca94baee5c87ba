//! For auditors, over HTTP and through the command line, on both backends:
//! reconciliation (JSON, CSV, as of an instant), the audit trail with its
//! filters and cursor, chain verification that names a tampered event, and
//! the export verified offline.

use grantledger_server::cli::{self, Cli};
use grantledger_tests::{DueDiligence, TestApp, api_tests, expect};
use serde_json::{Value, json};

struct World {
    admin: String,
    auditor: String,
    fund: String,
    award: String,
}

/// A fund with one round and one accepted award, part paid.
fn world(app: &TestApp) -> World {
    let admin = app.admin();
    let auditor = app.auditor();
    let fund = app.fund(&admin, "4000000.00");
    let round = app.open_round(&fund, "2000000.00", ("250.00", "2500.00"));
    let grantee = app.grantee(&admin, json!({}), DueDiligence::Passed);
    let application = app.submitted_application(&round, &grantee, "1500.00");
    let award = app.award(&round, &application, "1200.00");
    app.accept(&round, &grantee, &award);
    app.paid_tranche(&round, &award, "400.00", "2026-01-01");
    World {
        admin,
        auditor,
        fund: fund.id,
        award,
    }
}

/// Edits an audit event's summary behind the append-only trigger's back.
fn edit_first_award_event(app: &TestApp) {
    app.edit_audit_trail(
        "UPDATE audit_events SET after = replace(after, '\"1200.00\"', '\"12000.00\"') \
         WHERE seq = (SELECT MIN(seq) FROM audit_events WHERE action = 'award.offered')",
    );
}

fn auditors_reconcile_a_fund(app: &TestApp) {
    let w = world(app);
    let path = format!("/v1/funds/{}/reconciliation", w.fund);
    let report = expect(app.get(&path, Some(&w.auditor)), 200);
    assert_eq!(report["passed"], true, "{report:#}");
    assert_eq!(report["committed"], "1200.00");
    assert_eq!(report["paid"], "400.00");
    assert_eq!(report["outstanding"], "800.00");
    assert_eq!(report["by_round"][0]["available"], "1998800.00");
    assert_eq!(report["by_region"][0]["name"], "north_east");
    assert_eq!(report["by_grantee"][0]["name"], "Tuesday Lunch Club");
    let check = &report["checks"][0];
    for field in ["check", "scope", "expected", "actual", "difference", "pass"] {
        assert!(!check[field].is_null(), "{field} missing: {check}");
    }

    // CSV by Accept header and by ?format=csv.
    let response = app
        .client
        .get(app.url(&path))
        .bearer_auth(&w.auditor)
        .header("Accept", "text/csv")
        .send()
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let text = response.text().unwrap();
    assert!(text.starts_with("record,scope,check,description,expected,actual,difference,pass"));
    assert!(text.contains("round_committed"));
    let by_query = app.get(&format!("{path}?format=csv"), Some(&w.admin));
    assert_eq!(
        by_query.text().unwrap().lines().count(),
        text.lines().count()
    );

    // As of an instant: before the award, nothing is committed.
    let events = expect(
        app.get("/v1/audit-events?action=award.offered", Some(&w.auditor)),
        200,
    );
    let offered: chrono::DateTime<chrono::Utc> = events["items"][0]["occurred_at"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let before = (offered - chrono::Duration::milliseconds(1)).to_rfc3339();
    let then = expect(
        app.get(
            &format!("{path}?as_of={}", before.replace('+', "%2B")),
            Some(&w.auditor),
        ),
        200,
    );
    assert_eq!(then["passed"], true, "{then:#}");
    assert_eq!(then["committed"], "0.00");
    assert_eq!(then["budget"], "4000000.00");

    // Nonsense is refused; unknown funds are 404.
    expect(
        app.get(&format!("{path}?as_of=yesterday"), Some(&w.auditor)),
        422,
    );
    expect(
        app.get(&format!("{path}?format=xml"), Some(&w.auditor)),
        422,
    );
    expect(
        app.get(
            &format!("/v1/funds/{}/reconciliation", uuid::Uuid::now_v7()),
            Some(&w.auditor),
        ),
        404,
    );

    // An award amount changed in the database is named.
    app.exec_sql("UPDATE awards SET amount_pence = amount_pence + 1");
    let report = expect(app.get(&path, Some(&w.auditor)), 200);
    assert_eq!(report["passed"], false);
    assert_eq!(
        report["account_mismatches"][0]["account"],
        format!("award:{}:payable", w.award)
    );
}

fn the_audit_trail_is_listed_sealed_and_verified(app: &TestApp) {
    let w = world(app);
    let all = expect(app.get("/v1/audit-events?limit=500", Some(&w.auditor)), 200);
    let total = all["items"].as_array().unwrap().len();
    assert!(total >= 8, "{total}");
    // Pages follow the cursor without overlap.
    let first = expect(app.get("/v1/audit-events?limit=3", Some(&w.auditor)), 200);
    let next = first["next"].as_str().unwrap();
    let rest = expect(
        app.get(
            &format!("/v1/audit-events?limit=500&after={next}"),
            Some(&w.auditor),
        ),
        200,
    );
    assert_eq!(rest["items"].as_array().unwrap().len() + 3, total);
    assert!(rest["next"].is_null());
    // Filters.
    let awards = expect(
        app.get(
            &format!("/v1/audit-events?entity_type=award&entity_id={}", w.award),
            Some(&w.auditor),
        ),
        200,
    );
    let actions: Vec<&str> = awards["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions[..2], ["award.offered", "award.accepted"]);
    assert_eq!(awards["items"][0]["after"]["amount"], "1200.00");
    let by_fund = expect(
        app.get(
            &format!("/v1/audit-events?fund_id={}", w.fund),
            Some(&w.auditor),
        ),
        200,
    );
    assert!(!by_fund["items"].as_array().unwrap().is_empty());
    expect(
        app.get("/v1/audit-events?colour=red", Some(&w.auditor)),
        422,
    );

    // The server's sealer chains new events within about a second.
    let mut sealed = false;
    for _ in 0..50 {
        let page = expect(app.get("/v1/audit-events?limit=500", Some(&w.auditor)), 200);
        if page["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["chain"]["hash"].is_string())
        {
            sealed = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(sealed, "events were not sealed by the background sealer");

    let verdict = expect(app.get("/v1/audit-events/verify", Some(&w.auditor)), 200);
    assert_eq!(verdict["ok"], true, "{verdict:#}");
    assert_eq!(verdict["links"].as_u64().unwrap() as usize, total);

    edit_first_award_event(app);
    let verdict = expect(app.get("/v1/audit-events/verify", Some(&w.admin)), 200);
    assert_eq!(verdict["ok"], false);
    let fault = &verdict["first_fault"];
    assert_eq!(fault["kind"], "event_altered", "{verdict:#}");
    assert_eq!(fault["seq"], awards["items"][0]["seq"]);
}

fn the_command_line_reconciles_verifies_and_exports(app: &TestApp) {
    let w = world(app);
    let url = app.db.url.clone();
    let run = |args: &[&str]| {
        let mut full = vec!["grantledger", "--database-url", url.as_str()];
        full.extend_from_slice(args);
        cli::run(<Cli as clap::Parser>::try_parse_from(full).unwrap())
    };
    assert!(run(&["reconcile", "--fund", "LCF", "--format", "csv"]).is_ok());
    assert!(run(&["reconcile", "--fund", &w.fund, "--format", "json"]).is_ok());
    assert!(run(&["reconcile", "--fund", "NOPE"]).is_err());
    assert!(run(&["audit", "verify"]).is_ok());

    let dir = std::env::temp_dir().join(format!("gl-audit-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("chain.jsonl");
    let file_arg = file.to_str().unwrap();
    assert!(run(&["audit", "export", "--output", file_arg]).is_ok());
    assert!(cli::verify_file(&file).is_ok());

    // An edited export fails offline verification, naming the event.
    let text = std::fs::read_to_string(&file).unwrap();
    let edited = text.replacen("\"1200.00", "\"1300.00", 1);
    assert_ne!(edited, text);
    let forged = dir.join("forged.jsonl");
    std::fs::write(&forged, edited).unwrap();
    let error = cli::verify_file(&forged).unwrap_err().to_string();
    assert!(error.contains("event sequence"), "{error}");

    // The reconciliation's report for a tampered fund: non-zero exit, checks named.
    app.exec_sql("UPDATE awards SET paid_pence = paid_pence + 1");
    let mut out = Vec::new();
    let args = cli::ReconcileArgs {
        fund: "LCF".to_owned(),
        format: cli::OutputFormat::Json,
        as_of: None,
    };
    let error = cli::reconcile(&app.db.db, &args, &mut out)
        .unwrap_err()
        .to_string();
    assert!(error.contains("round_paid [round 1]"), "{error}");
    let report: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(report["passed"], false);

    // A tampered trail: `audit verify` fails and names the sequence number.
    edit_first_award_event(app);
    let error = run(&["audit", "verify"]).unwrap_err().to_string();
    assert!(error.contains("event sequence"), "{error}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A fund with two funders (60:40): the reconciliation shows each its
/// pro-rata share of what is allocated, committed and paid, over HTTP (JSON
/// and CSV) and on the command line; the shares add up to the fund's totals.
fn each_funder_sees_its_share(app: &TestApp) {
    let admin = app.admin();
    let auditor = app.auditor();
    let fund = app.fund_with(
        &admin,
        json!({"code": "VFF", "name": "Volunteering Futures Fund", "funders": [
                {"name": "Department for Culture, Media and Sport", "org_id": "GB-GOR-D5", "contribution": "6000.00"},
                {"name": "Partner Trust", "contribution": "4000.00"}
            ]}),
    );
    let round = app.open_round(&fund, "5000.00", ("100.00", "2500.00"));
    let grantee = app.grantee(&admin, json!({}), DueDiligence::Passed);
    let award = app.accepted_award(&round, &grantee, "1000.01");
    app.paid_tranche(&round, &award, "250.00", "2026-01-01");
    let fund = fund.id;

    let path = format!("/v1/funds/{fund}/reconciliation");
    let report = expect(app.get(&path, Some(&auditor)), 200);
    assert_eq!(report["passed"], true, "{report:#}");
    // £1,000.01 committed: 600.006 and 400.004, so the odd penny goes to the
    // larger remainder (DCMS) and the shares still add up.
    assert_eq!(
        report["by_funder"],
        json!([
            {"name": "Department for Culture, Media and Sport", "org_id": "GB-GOR-D5",
             "contribution": "6000.00", "share_percent": "60.00", "allocated": "3000.00",
             "committed": "600.01", "paid": "150.00", "outstanding": "450.01", "unallocated": "3000.00"},
            {"name": "Partner Trust", "contribution": "4000.00", "share_percent": "40.00",
             "allocated": "2000.00", "committed": "400.00", "paid": "100.00", "outstanding": "300.00",
             "unallocated": "2000.00"}
        ])
    );
    let csv = app.get(&format!("{path}?format=csv"), Some(&auditor));
    let text = csv.text().unwrap();
    assert!(
        text.lines().any(|l| l.starts_with("funder,Partner Trust,")
            && l.ends_with(",400.00,100.00,300.00")),
        "{text}"
    );

    let mut out = Vec::new();
    let args = cli::ReconcileArgs {
        fund: "VFF".to_owned(),
        format: cli::OutputFormat::Json,
        as_of: None,
    };
    cli::reconcile(&app.db.db, &args, &mut out).unwrap();
    let from_cli: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(from_cli["by_funder"], report["by_funder"]);
}

api_tests!(
    each_funder_sees_its_share,
    auditors_reconcile_a_fund,
    the_audit_trail_is_listed_sealed_and_verified,
    the_command_line_reconciles_verifies_and_exports,
);
