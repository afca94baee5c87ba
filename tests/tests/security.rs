//! Checks from the OWASP API Security Top 10 review (docs/SECURITY.md) that
//! the authorization matrix does not already make: mass assignment, bounded
//! resource use, injection strings kept as data, what error and success
//! responses reveal, and cross-origin access. On both backends.

use grantledger_tests::{DueDiligence, TestApp, api_tests, expect, merged, tameside};
use serde_json::{Value, json};

fn problem_names(problem: &Value, field: &str) -> bool {
    problem["detail"]
        .as_str()
        .is_some_and(|d| d.contains(field))
        || problem["errors"]
            .as_array()
            .is_some_and(|errors| errors.iter().any(|e| e["field"] == field))
}

/// API3 (mass assignment): fields the server owns — ids, statuses,
/// versions, timestamps, awarded amounts — are refused by name on every
/// create and update body, so a client can never set them.
fn server_owned_fields_cannot_be_set_by_clients(app: &TestApp) {
    let admin = app.admin();
    let group = app.grantee(
        &admin,
        tameside("Tameside Walking Group"),
        DueDiligence::NotDone,
    );
    let round = app.small_round(&admin, "SECA", "Security Fund").id;
    let id = uuid::Uuid::now_v7().to_string();

    let application = json!({
        "grantee_id": group.id, "amount_requested": "500.00",
        "project_title": "Walks", "summary": "Weekly walks"
    });
    let applications = format!("/v1/rounds/{round}/applications");
    for (field, value) in [
        ("id", json!(id)),
        ("status", json!("awarded")),
        ("version", json!(7)),
        ("amount_awarded", json!("500.00")),
        ("created_at", json!("2020-01-01T00:00:00Z")),
        ("round_id", json!(id)),
    ] {
        let mut body = application.clone();
        body[field] = value;
        let problem = expect(app.post(&applications, Some(&admin), &body), 422);
        assert!(problem_names(&problem, field), "{field}: {problem}");
    }

    for (path, body) in [
        (
            "/v1/funds",
            json!({"code": "SECB", "name": "x", "budget": "1.00", "id": id}),
        ),
        (
            "/v1/funds",
            json!({"code": "SECB", "name": "x", "budget": "1.00", "unallocated": "9.00"}),
        ),
        (
            "/v1/grantees",
            json!({"name": "A", "organisation_type": "cic", "region": "london", "local_authority": "Lambeth",
                   "postcode": "SE11 5QY", "annual_income": "1.00", "due_diligence": "passed"}),
        ),
        (
            "/v1/users",
            json!({"email": "x@example.org", "password": "a long enough password", "role": "admin",
                   "disabled": false, "id": id}),
        ),
    ] {
        let problem = expect(app.post(path, Some(&admin), &body), 422);
        let extra = body
            .as_object()
            .unwrap()
            .keys()
            .find(|k| ["id", "unallocated", "due_diligence", "disabled"].contains(&k.as_str()))
            .unwrap();
        assert!(problem_names(&problem, extra), "{path}: {problem}");
    }

    // Nothing was created by the refused bodies.
    let list = expect(app.get(&applications, Some(&admin)), 200);
    assert_eq!(list["items"].as_array().unwrap().len(), 0, "{list}");
}

/// API1/API3: a grantee applies only for its own organisation; naming
/// another one is refused and creates nothing.
fn a_grantee_cannot_apply_for_another_organisation(app: &TestApp) {
    let admin = app.admin();
    let mine = app
        .grantee(&admin, tameside("Our Group"), DueDiligence::NotDone)
        .signed_in(app);
    let theirs = app.grantee(&admin, tameside("Their Group"), DueDiligence::NotDone);
    let round = app.small_round(&admin, "SECC", "Security Fund").id;
    let me = mine.user.clone().unwrap();

    let path = format!("/v1/rounds/{round}/applications");
    let body = json!({
        "grantee_id": theirs.id, "amount_requested": "500.00",
        "project_title": "Walks", "summary": "Weekly walks"
    });
    let problem = expect(app.post(&path, Some(&me), &body), 422);
    assert!(problem_names(&problem, "grantee_id"), "{problem}");

    let theirs_id = &theirs.id;
    let listed = expect(
        app.get(&format!("{path}?grantee_id={theirs_id}"), Some(&admin)),
        200,
    );
    assert_eq!(listed["items"].as_array().unwrap().len(), 0, "{listed}");

    // The grantee's own applications name its own organisation even when
    // it leaves the field out.
    let body =
        json!({"amount_requested": "500.00", "project_title": "Walks", "summary": "Weekly walks"});
    let created = expect(app.post(&path, Some(&me), &body), 201);
    assert_eq!(created["grantee_id"], mine.id);
}

/// API4 (resource consumption): page sizes and bulk batches are bounded,
/// and oversized bodies are refused before they are read in full.
fn lists_bodies_and_batches_are_bounded(app: &TestApp) {
    let admin = app.admin();
    // 501 organisations, so a page cap of 500 shows.
    let mut file = String::from(
        "name,org_id,organisation_type,region,local_authority,postcode,annual_income\n",
    );
    for n in 0..501 {
        file.push_str(&format!(
            "Group {n},,community_group,london,Lambeth,SE11 5QY,100\n"
        ));
    }
    expect(
        app.post_raw("/v1/imports/grantees", Some(&admin), "text/csv", file),
        200,
    );
    // A full page is the cap (documented: 1–500); anything outside 1–500 is
    // refused with the range, never answered in full or silently clamped.
    let page = expect(app.get("/v1/grantees?limit=500", Some(&admin)), 200);
    assert_eq!(page["items"].as_array().unwrap().len(), 500);
    assert!(page["next"].is_string(), "{page}");
    for path in [
        "/v1/grantees?limit=100000",
        "/v1/grantees?limit=4294967295",
        "/v1/grantees?limit=0",
        "/v1/grantees?limit=-1",
        "/v1/grantees?limit=4294967296",
    ] {
        let problem = expect(app.get(path, Some(&admin)), 422);
        assert_eq!(problem["errors"][0]["field"], "limit", "{path}: {problem}");
    }

    // Refused from Content-Length, before the body is read. (Its own
    // client: the server stops reading mid-body and drops the connection.)
    let huge = "x".repeat(2 * 1024 * 1024);
    let response = reqwest::blocking::Client::new()
        .post(app.url("/v1/grantees"))
        .bearer_auth(&admin)
        .json(&json!({"name": huge, "organisation_type": "cic"}))
        .send()
        .unwrap();
    assert_eq!(response.status().as_u16(), 413);

    let round = app.small_round(&admin, "SECD", "Security Fund").id;
    let items: Vec<Value> = (0..1001)
        .map(
            |_| json!({"application_id": uuid::Uuid::now_v7(), "outcome": "reject", "reason": "x"}),
        )
        .collect();
    // The bound is stated on the body (validator) and reported like any
    // other invalid field; an empty batch likewise.
    for decisions in [json!(items), json!([])] {
        let problem = expect(
            app.post(
                &format!("/v1/rounds/{round}/decisions"),
                Some(&admin),
                &json!({"decisions": decisions}),
            ),
            422,
        );
        assert_eq!(problem["errors"][0]["field"], "decisions", "{problem}");
        assert_eq!(
            problem["errors"][0]["message"],
            "send between 1 and 1000 decisions"
        );
    }

    // A note on a payment outcome is bounded the same way.
    let fund = app.fund(&admin, "10000.00");
    let round = app.open_round(&fund, "5000.00", ("100.00", "2500.00"));
    let grantee = app.grantee(&admin, json!({}), grantledger_tests::DueDiligence::Passed);
    let award = app.accepted_award(&round, &grantee, "1000.00");
    let tranche = app.tranche(&round, &award, "500.00", "2027-01-15");
    let problem = expect(
        app.post(
            &format!("/v1/disbursements/{tranche}/failed"),
            Some(&admin),
            &json!({"note": "n".repeat(2001)}),
        ),
        422,
    );
    assert_eq!(problem["errors"][0]["field"], "note", "{problem}");
    assert_eq!(
        problem["errors"][0]["message"],
        "a note has at most 2000 characters"
    );
    let failed = expect(
        app.post(
            &format!("/v1/disbursements/{tranche}/failed"),
            Some(&admin),
            &json!({"note": "n".repeat(2000)}),
        ),
        200,
    );
    assert_eq!(failed["status"], "failed", "{failed}");
}

/// API8 (injection): SQL, markup and control characters in text fields and
/// filters are stored and returned as data; a filter of the wrong shape is
/// a 4xx naming the parameter, never a 500.
fn injection_strings_are_kept_as_data(app: &TestApp) {
    let admin = app.admin();
    let name = "Robert'); DROP TABLE grantees;-- <script>alert(1)</script> \u{202e}";
    // Its own request: the test reads what the create answers.
    let body = merged(
        tameside(name),
        json!({"organisation_type": "community_group", "annual_income": "12000.00"}),
    );
    let created = expect(app.post("/v1/grantees", Some(&admin), &body), 201);
    assert_eq!(created["name"], name);
    let id = created["id"].as_str().unwrap();
    let read = expect(app.get(&format!("/v1/grantees/{id}"), Some(&admin)), 200);
    assert_eq!(read["name"], name);

    for path in [
        "/v1/grantees?region=north_west'%20OR%20'1'='1",
        "/v1/funds/1%20OR%201=1",
        "/v1/grantees?after=';DROP%20TABLE%20funds;--",
        "/v1/audit-events?limit=1;SELECT%201",
    ] {
        let response = app.get(path, Some(&admin));
        let status = response.status().as_u16();
        assert!((400..500).contains(&status), "{path}: {status}");
        let kind = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        assert_eq!(kind, "application/problem+json", "{path}");
    }
    // The tables are still there.
    expect(app.get("/v1/funds", Some(&admin)), 200);
    expect(app.get("/v1/grantees", Some(&admin)), 200);
}

/// API8 (misconfiguration) and API3 (excessive data exposure): every
/// answer, success or error, carries the security headers; errors reveal no
/// internals; user records never carry password hashes.
fn responses_carry_security_headers_and_reveal_nothing_internal(app: &TestApp) {
    let admin = app.admin();
    let responses = [
        app.get("/v1/funds", Some(&admin)),
        app.get("/v1/funds", None),
        app.get("/v1/funds", Some("not.a.token")),
        app.get(&format!("/v1/funds/{}", uuid::Uuid::now_v7()), Some(&admin)),
        app.post_raw("/v1/funds", Some(&admin), "application/json", "{\"code\":"),
        app.get("/no/such/route", None),
    ];
    for response in responses {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        for (name, value) in [
            ("x-content-type-options", "nosniff"),
            ("x-frame-options", "DENY"),
            ("cache-control", "no-store"),
            ("referrer-policy", "no-referrer"),
        ] {
            assert_eq!(
                headers.get(name).and_then(|v| v.to_str().ok()),
                Some(value),
                "{name} on a {status}"
            );
        }
        assert!(
            headers.contains_key("content-security-policy"),
            "CSP on a {status}"
        );
        assert!(
            !headers.contains_key("server"),
            "Server header on a {status}"
        );
        let body = response.text().unwrap();
        for leak in [
            "diesel", "postgres", "sqlite", "panicked", ".rs:", "SELECT", "secret",
        ] {
            assert!(
                !body.to_lowercase().contains(&leak.to_lowercase()),
                "{status} body reveals {leak:?}: {body}"
            );
        }
    }

    let users = app.get("/v1/users?limit=500", Some(&admin)).text().unwrap();
    assert!(!users.contains("argon2"), "{users}");
    assert!(!users.contains("password"), "{users}");
}

/// API8 (misconfiguration): no cross-origin grant. The API is for servers
/// and same-origin pages; a browser on another origin gets no
/// `Access-Control-Allow-*` header, so it cannot read answers with a
/// user's token.
fn other_origins_get_no_cors_grant(app: &TestApp) {
    let admin = app.admin();
    let preflight = app
        .client
        .request(reqwest::Method::OPTIONS, app.url("/v1/funds"))
        .header("Origin", "https://evil.example")
        .header("Access-Control-Request-Method", "POST")
        .header(
            "Access-Control-Request-Headers",
            "authorization,content-type",
        )
        .send()
        .unwrap();
    assert!(preflight.status().as_u16() >= 400, "{}", preflight.status());
    let simple = app
        .client
        .get(app.url("/v1/funds"))
        .bearer_auth(&admin)
        .header("Origin", "https://evil.example")
        .send()
        .unwrap();
    for response in [&preflight, &simple] {
        assert!(
            !response
                .headers()
                .keys()
                .any(|k| k.as_str().starts_with("access-control-allow")),
            "{:?}",
            response.headers()
        );
    }
}

api_tests!(
    server_owned_fields_cannot_be_set_by_clients,
    a_grantee_cannot_apply_for_another_organisation,
    lists_bodies_and_batches_are_bounded,
    injection_strings_are_kept_as_data,
    responses_carry_security_headers_and_reveal_nothing_internal,
    other_origins_get_no_cors_grant,
);
