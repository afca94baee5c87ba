//! The round-designated funder rule over HTTP, on both backends: a round
//! designated to the partner funder counts wholly to it in the
//! reconciliation's per-funder figures, the other rounds are shared pro rata
//! on what each funder has left; a designation must name one of the fund's
//! funders (422 naming `funder`), and a designated funder cannot be dropped
//! from the fund (422 naming `funders`).

use grantledger_tests::{DueDiligence, Round, TestApp, api_tests, expect, id_of};
use serde_json::{Value, json};

fn round(app: &TestApp, admin: &str, fund: &str, allocation: &str, funder: Option<&str>) -> Value {
    let mut body = json!({"name": "A round", "opens_at": "2026-01-01T00:00:00Z", "closes_at": "2099-01-01T00:00:00Z",
                          "allocation": allocation, "min_grant": "100.00", "max_grant": "2000.00"});
    if let Some(funder) = funder {
        body["funder"] = json!(funder);
    }
    app.post(&format!("/v1/funds/{fund}/rounds"), Some(admin), &body)
        .json()
        .unwrap()
}

fn a_designated_round_counts_wholly_to_its_funder(app: &TestApp) {
    let admin = app.admin();
    let auditor = app.auditor();
    let fund = app
        .fund_with(
            &admin,
            json!({"code": "DSG", "name": "Designated Fund", "funders": [
                {"name": "Department for Culture, Media and Sport", "contribution": "6000.00"},
                {"name": "Partner Trust", "contribution": "2000.00"}
            ]}),
        )
        .id;
    // A designation must name one of the fund's funders.
    let refused = round(app, &admin, &fund, "2000.00", Some("Nobody"));
    assert_eq!(refused["errors"][0]["field"], "funder", "{refused}");
    assert!(
        refused["detail"]
            .as_str()
            .unwrap()
            .contains("Partner Trust"),
        "{refused}"
    );

    let pooled = round(app, &admin, &fund, "5000.00", None);
    assert!(pooled.get("funder").is_none(), "{pooled}");
    let partner = round(app, &admin, &fund, "2000.00", Some("Partner Trust"));
    assert_eq!(partner["funder"], "Partner Trust", "{partner}");
    let shown = expect(
        app.get(&format!("/v1/rounds/{}", id_of(&partner)), Some(&auditor)),
        200,
    );
    assert_eq!(shown["funder"], "Partner Trust");

    let grantee = app.grantee(&admin, json!({}), DueDiligence::Passed);
    let in_round = |round: &Value| Round {
        id: id_of(round),
        admin: admin.clone(),
    };
    app.accepted_award(&in_round(&pooled), &grantee, "1000.00");
    let partner_round = in_round(&partner);
    let award = app.accepted_award(&partner_round, &grantee, "500.00");
    app.paid_tranche(&partner_round, &award, "200.00", "2026-01-01");

    let path = format!("/v1/funds/{fund}/reconciliation");
    let report = expect(app.get(&path, Some(&auditor)), 200);
    assert_eq!(report["passed"], true, "{report:#}");
    assert!(
        report["checks"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["check"] == "designated_funders" && c["pass"] == true),
        "{report:#}"
    );
    // Round 2 is the partner's; the partner has nothing left to give to the
    // pool (2000 in, 2000 designated), so round 1 is wholly DCMS's.
    assert_eq!(
        report["by_funder"],
        json!([
            {"name": "Department for Culture, Media and Sport",
             "contribution": "6000.00", "share_percent": "75.00", "allocated": "5000.00",
             "committed": "1000.00", "paid": "0.00", "outstanding": "1000.00", "unallocated": "1000.00"},
            {"name": "Partner Trust", "contribution": "2000.00", "share_percent": "25.00",
             "allocated": "2000.00", "committed": "500.00", "paid": "200.00", "outstanding": "300.00",
             "unallocated": "0.00", "designated_rounds": [2]}
        ])
    );
    let text = app
        .get(&format!("{path}?format=csv"), Some(&auditor))
        .text()
        .unwrap();
    assert!(
        text.lines().any(|l| l.starts_with("funder,Partner Trust,")
            && l.contains("rounds designated to it: 2")
            && l.ends_with(",500.00,200.00,300.00")),
        "{text}"
    );

    // The designated funder cannot be dropped from the fund.
    let fund_view = app.get(&format!("/v1/funds/{fund}"), Some(&admin));
    let etag = fund_view.headers()["ETag"].to_str().unwrap().to_owned();
    let refused = expect(
        app.patch(
            &format!("/v1/funds/{fund}"),
            Some(&admin),
            Some(&etag),
            &json!({"funders": [{"name": "Department for Culture, Media and Sport", "contribution": "8000.00"}]}),
        ),
        422,
    );
    assert_eq!(refused["errors"][0]["field"], "funders", "{refused}");

    // A round's designation changes with PATCH, and `null` returns it to the pool.
    let round_path = format!("/v1/rounds/{}", id_of(&partner));
    let etag = app.get(&round_path, Some(&admin)).headers()["ETag"]
        .to_str()
        .unwrap()
        .to_owned();
    let refused = expect(
        app.patch(
            &round_path,
            Some(&admin),
            Some(&etag),
            &json!({"funder": "Nobody"}),
        ),
        422,
    );
    assert_eq!(refused["errors"][0]["field"], "funder", "{refused}");
    let cleared = expect(
        app.patch(
            &round_path,
            Some(&admin),
            Some(&etag),
            &json!({"funder": null}),
        ),
        200,
    );
    assert!(cleared.get("funder").is_none(), "{cleared}");
    let report = expect(app.get(&path, Some(&auditor)), 200);
    assert_eq!(report["passed"], true, "{report:#}");
    // All pooled again: 1500 committed, 3:1.
    assert_eq!(report["by_funder"][0]["committed"], "1125.00");
    assert_eq!(report["by_funder"][1]["committed"], "375.00");
    assert!(report["by_funder"][1].get("designated_rounds").is_none());
}

fn a_fund_without_funders_has_none_to_designate(app: &TestApp) {
    let admin = app.admin();
    let fund = app
        .fund_with(
            &admin,
            json!({"code": "NOF", "name": "No Funders Fund", "budget": "5000.00"}),
        )
        .id;
    let refused = round(app, &admin, &fund, "2000.00", Some("Anyone"));
    assert_eq!(refused["errors"][0]["field"], "funder", "{refused}");
    assert!(
        refused["detail"]
            .as_str()
            .unwrap()
            .contains("lists no funders"),
        "{refused}"
    );
}

api_tests!(
    a_designated_round_counts_wholly_to_its_funder,
    a_fund_without_funders_has_none_to_designate,
);
