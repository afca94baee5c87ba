//! Bank details under dual control, on both backends: who may enter,
//! verify and reject them; a change holds the organisation's payments;
//! numbers are masked in every answer but the bank file, and never in the
//! audit trail.

use grantledger_tests::{
    DueDiligence, Grantee, TEST_ACCOUNT, TestApp, api_tests, error_fields, expect,
};
use serde_json::{Value, json};

fn details(app: &TestApp, token: &str, grantee: &Grantee) -> Value {
    expect(
        app.get(
            &format!("/v1/grantees/{}/bank-details", grantee.id),
            Some(token),
        ),
        200,
    )
}

fn decide(
    app: &TestApp,
    token: &str,
    grantee: &Grantee,
    verb: &str,
) -> reqwest::blocking::Response {
    app.post(
        &format!("/v1/grantees/{}/bank-details/{verb}", grantee.id),
        Some(token),
        &json!({"note": "called the treasurer on the number we hold"}),
    )
}

fn put(app: &TestApp, token: &str, grantee: &Grantee, body: Value) -> reqwest::blocking::Response {
    app.request(
        "PUT",
        &format!("/v1/grantees/{}/bank-details", grantee.id),
        Some(token),
        Some(&body),
    )
}

fn the_person_who_entered_details_cannot_verify_them(app: &TestApp) {
    let admin = app.admin();
    let grantee = app
        .grantee(&admin, json!({}), DueDiligence::NotDone)
        .signed_in(app);
    let own = grantee.user.clone().unwrap();
    assert_eq!(
        details(app, &own, &grantee)["payment_hold"],
        "no_bank_details"
    );

    // The grantee enters them; any administrator may verify.
    let entered = app.enter_bank_details(&own, &grantee, TEST_ACCOUNT);
    assert_eq!(
        entered["payment_hold"],
        "bank_details_awaiting_verification"
    );
    assert_eq!(entered["pending"]["account_number"], "****4958");
    assert_eq!(entered["pending"]["modulus_check"], "valid");
    let refused = decide(app, &own, &grantee, "verify");
    assert_eq!(refused.status().as_u16(), 403);
    let verified = expect(decide(app, &admin, &grantee, "verify"), 200);
    assert_eq!(verified["payment_hold"], Value::Null);
    assert_eq!(verified["in_force"]["sort_code"], "08-99-99");
    assert_eq!(
        verified["in_force"]["verification_note"],
        "called the treasurer on the number we hold"
    );

    // An administrator changes them: only another may verify or reject.
    app.enter_bank_details(&admin, &grantee, ("10-79-99", "88837491"));
    for verb in ["verify", "reject"] {
        let same = decide(app, &admin, &grantee, verb);
        assert_eq!(same.status().as_u16(), 403, "{verb}");
        assert!(
            same.text()
                .unwrap()
                .contains("other than the person who entered")
        );
    }
    let no_note = app.post(
        &format!("/v1/grantees/{}/bank-details/reject", grantee.id),
        Some(&app.admin()),
        &json!({"note": "  "}),
    );
    assert_eq!(error_fields(&expect(no_note, 422)), ["note"]);
    // Rejected: the account verified before stays in force.
    let rejected = expect(decide(app, &app.admin(), &grantee, "reject"), 200);
    assert_eq!(rejected["payment_hold"], Value::Null);
    assert_eq!(rejected["pending"], Value::Null);
    assert_eq!(rejected["in_force"]["account_number"], "****4958");
    let nothing = decide(app, &app.admin(), &grantee, "verify");
    assert_eq!(nothing.status().as_u16(), 409);
}

fn bad_details_are_refused_naming_each_field_without_echoing_digits(app: &TestApp) {
    let admin = app.admin();
    let grantee = app.grantee(&admin, json!({}), DueDiligence::NotDone);
    let shape = expect(
        put(
            app,
            &admin,
            &grantee,
            json!({"account_name": "", "sort_code": "12-34", "account_number": "1234567"}),
        ),
        422,
    );
    assert_eq!(
        error_fields(&shape),
        ["account_name", "sort_code", "account_number"]
    );
    assert!(!shape.to_string().contains("1234567"));
    // The last two digits swapped: the modulus check catches it.
    let swapped = expect(
        put(
            app,
            &admin,
            &grantee,
            json!({"account_name": "Lunch Club", "sort_code": "08-99-99", "account_number": "66374985"}),
        ),
        422,
    );
    assert_eq!(error_fields(&swapped), ["account_number"]);
    assert!(!swapped.to_string().contains("66374985"));
    // A sort code the tables do not list is taken, unchecked.
    let unlisted = expect(
        put(
            app,
            &admin,
            &grantee,
            json!({"account_name": "Lunch Club", "sort_code": "99 99 99", "account_number": "1234 5678"}),
        ),
        200,
    );
    assert_eq!(unlisted["pending"]["modulus_check"], "not_checked");
    assert_eq!(unlisted["pending"]["account_number"], "****5678");
    // Another organisation's details are not there for a grantee user.
    let other = app
        .grantee(
            &admin,
            json!({"name": "Another Club"}),
            DueDiligence::NotDone,
        )
        .signed_in(app);
    let response = app.get(
        &format!("/v1/grantees/{}/bank-details", grantee.id),
        other.user.as_deref(),
    );
    assert_eq!(response.status().as_u16(), 404);
}

fn a_changed_account_holds_the_organisations_tranches(app: &TestApp) {
    let admin = app.admin();
    let fund = app.fund(&admin, "100000.00");
    let round = app.open_round(&fund, "50000.00", ("100.00", "5000.00"));
    let changed = app.grantee(
        &admin,
        json!({"name": "Changed Club"}),
        DueDiligence::Passed,
    );
    let steady = app.grantee(&admin, json!({"name": "Steady Club"}), DueDiligence::Passed);
    for g in [&changed, &steady] {
        let award = app.accepted_award(&round, g, "1000.00");
        app.tranche(&round, &award, "400.00", "2026-02-01");
    }
    // A change of bank details (the usual way grant money is diverted).
    app.enter_bank_details(&admin, &changed, ("10-79-99", "88837491"));
    let run = expect(
        app.post(
            "/v1/payment-runs",
            Some(&admin),
            &json!({"fund_id": fund.id, "due_by": "2026-12-31"}),
        ),
        201,
    );
    assert_eq!(
        (run["count"].as_u64(), run["total"].as_str()),
        (Some(1), Some("400.00"))
    );
    let id = run["id"].as_str().unwrap();
    let lines = expect(
        app.get(&format!("/v1/payment-runs/{id}/lines"), Some(&admin)),
        200,
    );
    assert_eq!(lines["lines"][0]["grantee_id"], steady.id.as_str());
    assert_eq!(
        lines["held"][0]["grantee_id"],
        changed.id.as_str(),
        "{lines}"
    );
    assert_eq!(
        lines["held"][0]["reason"],
        "bank_details_awaiting_verification"
    );

    // Changed after the run was made: approval is refused, naming the
    // grantee, until the new account is verified.
    app.enter_bank_details(&admin, &steady, ("10-79-99", "88837491"));
    let refused = app.post(
        &format!("/v1/payment-runs/{id}/approve"),
        Some(&app.admin()),
        &json!({}),
    );
    let problem = expect(refused, 409);
    let detail = problem["detail"].as_str().unwrap();
    assert!(
        detail.contains("Steady Club") && detail.contains(&steady.id),
        "{detail}"
    );
    expect(decide(app, &app.admin(), &steady, "verify"), 200);
    approve(app, id);
    let file = app.get(&format!("/v1/payment-runs/{id}/export"), Some(&admin));
    assert_eq!(file.status().as_u16(), 200);
    assert!(file.text().unwrap().contains("10799988837491"));
}

fn approve(app: &TestApp, run: &str) {
    expect(
        app.post(
            &format!("/v1/payment-runs/{run}/approve"),
            Some(&app.admin()),
            &json!({}),
        ),
        200,
    );
}

/// The run's Standard 18 file, or the problem refusing it.
fn bank_file(app: &TestApp, admin: &str, run: &str) -> Result<String, String> {
    let response = app.get(&format!("/v1/payment-runs/{run}/export"), Some(admin));
    match response.status().as_u16() {
        200 => Ok(response.text().unwrap()),
        409 => Err(expect(response, 409)["detail"].as_str().unwrap().to_owned()),
        other => panic!("bank file answered {other}"),
    }
}

fn a_run_pays_the_accounts_it_was_approved_for(app: &TestApp) {
    const FIRST: &str = "08999966374958"; // TEST_ACCOUNT, as in the file
    const SECOND: &str = "10799988837491";
    let admin = app.admin();
    let fund = app.fund(&admin, "100000.00");
    let round = app.open_round(&fund, "50000.00", ("100.00", "5000.00"));
    let club = app.grantee(&admin, json!({"name": "Moving Club"}), DueDiligence::Passed);
    let award = app.accepted_award(&round, &club, "1000.00");
    app.tranche(&round, &award, "400.00", "2026-02-01");
    let run = |due_by: &str| {
        let run = expect(
            app.post(
                "/v1/payment-runs",
                Some(&admin),
                &json!({"fund_id": fund.id, "due_by": due_by}),
            ),
            201,
        );
        run["id"].as_str().unwrap().to_owned()
    };
    let first = run("2026-12-31");
    approve(app, &first);
    assert!(bank_file(app, &admin, &first).unwrap().contains(FIRST));

    // A new account verified after approval is not one the approver saw:
    // the line is refused, not paid to it.
    app.enter_bank_details(&admin, &club, ("10-79-99", "88837491"));
    expect(decide(app, &app.admin(), &club, "verify"), 200);
    let refused = bank_file(app, &admin, &first).unwrap_err();
    assert!(
        refused.contains("Moving Club")
            && refused.contains(&club.id)
            && refused.contains("changed after the run was approved"),
        "{refused}"
    );
    expect(
        app.post(
            &format!("/v1/payment-runs/{first}/cancel"),
            Some(&admin),
            &json!({}),
        ),
        200,
    );

    // Made and approved again, it pays the new account; once paid, its
    // file still shows that account whatever changes later.
    let second = run("2026-12-31");
    approve(app, &second);
    let file = bank_file(app, &admin, &second).unwrap();
    assert!(file.contains(SECOND) && !file.contains(FIRST), "{file}");
    expect(
        app.post(
            &format!("/v1/payment-runs/{second}/confirm"),
            Some(&admin),
            &json!({}),
        ),
        200,
    );
    app.verified_bank_details(&admin, &club);
    app.enter_bank_details(&admin, &club, ("10-79-99", "88837491"));
    let paid = bank_file(app, &admin, &second).unwrap();
    assert!(paid.contains(SECOND) && !paid.contains(FIRST), "{paid}");

    // Which account each line pays is on the audit trail of the approval.
    let events = expect(
        app.get(
            &format!("/v1/audit-events?action=payment_run.accounts_fixed&entity_id={second}"),
            Some(&admin),
        ),
        200,
    );
    let fixed = &events["items"][0]["after"]["bank_details_by_line"];
    assert_eq!(fixed.as_object().map(|o| o.len()), Some(1), "{events}");
}

fn numbers_are_masked_for_grantees_and_auditors_and_absent_from_the_audit_trail(app: &TestApp) {
    let admin = app.admin();
    let grantee = app
        .grantee(&admin, json!({}), DueDiligence::Passed)
        .signed_in(app);
    let own = grantee.user.clone().unwrap();
    app.enter_bank_details(&own, &grantee, ("10-79-99", "88837491"));
    let auditor = app.auditor();
    for token in [&own, &auditor, &admin] {
        let body = details(app, token, &grantee).to_string();
        assert!(body.contains("****7491"), "{body}");
        assert!(
            !body.contains("88837491") && !body.contains("66374958"),
            "{body}"
        );
    }
    let trail = expect(app.get("/v1/audit-events?limit=200", Some(&auditor)), 200).to_string();
    assert!(trail.contains("bank_details.entered"), "{trail}");
    assert!(trail.contains("bank_details.verified"), "{trail}");
    for digits in ["88837491", "66374958"] {
        assert!(!trail.contains(digits), "{digits} in the audit trail");
    }
    let waiting = expect(app.get("/v1/bank-details/waiting", Some(&admin)), 200);
    assert_eq!(waiting[0]["grantee_id"], grantee.id.as_str());
}

api_tests!(
    the_person_who_entered_details_cannot_verify_them,
    bad_details_are_refused_naming_each_field_without_echoing_digits,
    a_changed_account_holds_the_organisations_tranches,
    a_run_pays_the_accounts_it_was_approved_for,
    numbers_are_masked_for_grantees_and_auditors_and_absent_from_the_audit_trail,
);
