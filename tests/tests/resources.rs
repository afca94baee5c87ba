//! Funds, rounds, grantees and users over HTTP, on both backends.

use grantledger_domain::user::Role;
use grantledger_tests::{DueDiligence, TestApp, api_tests, error_fields, expect};
use serde_json::{Value, json};

/// Fund `code`, "Local Connections Fund", with two funders' 4,000,000.
fn fund_body(code: &str) -> Value {
    json!({
        "code": code,
        "name": "Local Connections Fund",
        "funders": [
            {"name": "DCMS", "contribution": "2000000.00"},
            {"name": "The National Lottery Community Fund", "org_id": "GB-CHC-1036733", "contribution": "2000000.00"}
        ]
    })
}

/// Round 1 with `allocation`, for community groups and CICs.
fn round_body(allocation: &str) -> Value {
    json!({
        "name": "Round 1",
        "opens_at": "2026-01-05T09:00:00Z",
        "closes_at": "2099-02-16T17:00:00Z",
        "allocation": allocation,
        "min_grant": "500.00",
        "max_grant": "2500.00",
        "eligibility": {"organisation_types": ["community_group", "cic"], "max_annual_income": "50000.00"}
    })
}

/// A community group in Tameside named `name`.
fn grantee_body(name: &str) -> Value {
    json!({
        "name": name,
        "organisation_type": "community_group",
        "region": "north_west",
        "local_authority": "Tameside",
        "postcode": "ol6 7sf",
        "annual_income": "12000.00"
    })
}

fn a_fund_is_set_up_with_funders_and_rounds_take_its_budget(app: &TestApp) {
    let admin = app.admin();
    let fund = expect(app.post("/v1/funds", Some(&admin), &fund_body("LCF")), 201);
    assert_eq!(fund["budget"], "4000000.00");
    assert_eq!(fund["unallocated"], "4000000.00");
    assert_eq!(fund["status"], "draft");
    let id = fund["id"].as_str().unwrap();

    let rounds_path = format!("/v1/funds/{id}/rounds");
    let round = expect(
        app.post(&rounds_path, Some(&admin), &round_body("2500000.00")),
        201,
    );
    assert_eq!(round["number"], 1);
    assert_eq!(round["available"], "2500000.00");
    assert_eq!(round["phase"], "open");
    let fund = expect(app.get(&format!("/v1/funds/{id}"), Some(&admin)), 200);
    assert_eq!(fund["unallocated"], "1500000.00");

    // One penny more than is left is refused, and nothing changes.
    let refused = expect(
        app.post(&rounds_path, Some(&admin), &round_body("1500000.01")),
        409,
    );
    assert_eq!(refused["status"], 409);
    assert!(
        refused["detail"].as_str().unwrap().contains("1500000.00"),
        "{refused}"
    );
    let rounds = expect(
        app.get(&format!("/v1/funds/{id}/rounds"), Some(&admin)),
        200,
    );
    assert_eq!(rounds["items"].as_array().unwrap().len(), 1);

    // Opening a draft fund works once; a second time is a conflict.
    expect(
        app.post(&format!("/v1/funds/{id}/open"), Some(&admin), &json!({})),
        200,
    );
    let again = expect(
        app.post(&format!("/v1/funds/{id}/open"), Some(&admin), &json!({})),
        409,
    );
    assert!(
        again["detail"].as_str().unwrap().contains("cannot open"),
        "{again}"
    );
}

fn updates_need_the_current_version(app: &TestApp) {
    let admin = app.admin();
    let fund = app.fund_with(&admin, fund_body("LCF"));
    let path = format!("/v1/funds/{}", fund.id);
    let read = app.get(&path, Some(&admin));
    let etag = read.headers()["etag"].to_str().unwrap().to_owned();
    assert_eq!(etag, "\"1\"");

    expect(
        app.patch(&path, Some(&admin), None, &json!({"name": "Renamed"})),
        428,
    );
    let updated = expect(
        app.patch(
            &path,
            Some(&admin),
            Some(&etag),
            &json!({"name": "Renamed"}),
        ),
        200,
    );
    assert_eq!(updated["name"], "Renamed");
    assert_eq!(updated["version"], 2);
    // The same stale ETag again: someone else's change would be lost.
    let stale = expect(
        app.patch(&path, Some(&admin), Some(&etag), &json!({"name": "Other"})),
        412,
    );
    assert_eq!(stale["type"], "/problems/precondition-failed");
    assert_eq!(expect(app.get(&path, Some(&admin)), 200)["name"], "Renamed");
}

fn the_budget_cannot_drop_below_what_rounds_hold(app: &TestApp) {
    let admin = app.admin();
    let fund = app.fund_with(&admin, fund_body("LCF"));
    app.round_with(&fund, round_body("3000000.00"));
    let path = format!("/v1/funds/{}", fund.id);
    let body = json!({"funders": [{"name": "DCMS", "contribution": "2000000.00"}]});
    let refused = expect(app.patch(&path, Some(&admin), Some("\"1\""), &body), 409);
    assert!(
        refused["detail"]
            .as_str()
            .unwrap()
            .contains("not enough money"),
        "{refused}"
    );
    let fund = expect(app.get(&path, Some(&admin)), 200);
    assert_eq!(fund["budget"], "4000000.00");
    assert_eq!(fund["funders"].as_array().unwrap().len(), 2);
    assert_eq!(fund["version"], 1);
}

fn bad_input_is_named_field_by_field(app: &TestApp) {
    let admin = app.admin();
    let amount_as_number = json!({"code": "LCF", "name": "x", "budget": 2500});
    let problem = expect(app.post("/v1/funds", Some(&admin), &amount_as_number), 422);
    assert_eq!(problem["errors"][0]["field"], "budget");

    let too_precise = json!({"code": "LCF", "name": "x", "budget": "10.001"});
    let problem = expect(app.post("/v1/funds", Some(&admin), &too_precise), 422);
    assert_eq!(problem["errors"][0]["field"], "budget");

    let unknown = json!({"code": "LCF", "name": "x", "budget": "10.00", "status": "open"});
    let problem = expect(app.post("/v1/funds", Some(&admin), &unknown), 422);
    assert!(
        problem["detail"].as_str().unwrap().contains("status"),
        "{problem}"
    );

    let mismatch = json!({"code": "LCF", "name": "x", "budget": "10.00", "funders": [{"name": "A", "contribution": "5.00"}]});
    let problem = expect(app.post("/v1/funds", Some(&admin), &mismatch), 422);
    assert_eq!(problem["errors"][0]["field"], "budget");

    let bad_org = json!({"name": "A group", "org_id": "GB-COH-123", "organisation_type": "cic", "region": "london",
        "local_authority": "Lambeth", "postcode": "SE11 5QY", "annual_income": "100.00"});
    let problem = expect(app.post("/v1/grantees", Some(&admin), &bad_org), 422);
    assert_eq!(problem["errors"][0]["field"], "org_id");

    let several = json!({"name": "", "organisation_type": "cic", "region": "london",
        "local_authority": "", "postcode": "nonsense", "annual_income": "100.00"});
    let problem = expect(app.post("/v1/grantees", Some(&admin), &several), 422);
    let mut fields: Vec<&str> = error_fields(&problem);
    fields.sort_unstable();
    assert_eq!(fields, ["local_authority", "name", "postcode"]);

    let malformed = app
        .client
        .post(app.url("/v1/funds"))
        .bearer_auth(&admin)
        .header("content-type", "application/json")
        .body("{\"code\": ")
        .send()
        .unwrap();
    let problem = expect(malformed, 400);
    assert_eq!(problem["type"], "/problems/bad-request");

    // The server answers 413 from the declared length without reading the
    // body, so send only the head: a client still sending would see the
    // connection close under it.
    assert_eq!(status_of_raw_request(app, &admin, 2 * 1024 * 1024), 413);

    let not_json = app
        .client
        .post(app.url("/v1/funds"))
        .bearer_auth(&admin)
        .body("code=LCF")
        .send()
        .unwrap();
    assert_eq!(not_json.status().as_u16(), 415);

    let bad_path = expect(app.get("/v1/funds/not-a-uuid", Some(&admin)), 404);
    assert_eq!(bad_path["type"], "/problems/not-found");
    let bad_query = expect(app.get("/v1/funds?status=nonsense", Some(&admin)), 422);
    assert_eq!(bad_query["status"], 422);
    expect(app.get("/v1/nowhere", Some(&admin)), 404);
}

fn status_of_raw_request(app: &TestApp, token: &str, content_length: usize) -> u16 {
    use std::io::{Read, Write};
    let address = app.base.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    let head = format!(
        "POST /v1/funds HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {content_length}\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).unwrap();
    let mut buffer = [0u8; 64];
    let n = stream.read(&mut buffer).unwrap();
    let status_line = String::from_utf8_lossy(&buffer[..n]).to_string();
    status_line
        .split_whitespace()
        .nth(1)
        .unwrap()
        .parse()
        .unwrap()
}

fn grantees_see_only_their_own_organisation(app: &TestApp) {
    let admin = app.admin();
    let ours = app
        .grantee(
            &admin,
            grantee_body("Made by Mortals CIC"),
            DueDiligence::NotDone,
        )
        .signed_in(app);
    let theirs = app.grantee(&admin, grantee_body("EPIC Dad"), DueDiligence::NotDone);
    let ours_id = ours.id.as_str();
    let theirs_id = theirs.id.as_str();
    let grantee = ours.user.clone().unwrap();

    assert_eq!(
        expect(
            app.get(&format!("/v1/grantees/{ours_id}"), Some(&grantee)),
            200
        )["name"],
        "Made by Mortals CIC"
    );
    let hidden = expect(
        app.get(&format!("/v1/grantees/{theirs_id}"), Some(&grantee)),
        404,
    );
    assert_eq!(hidden["detail"], "grantee not found");
    let list = expect(app.get("/v1/grantees", Some(&grantee)), 200);
    let ids: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [ours_id]);
    let all = expect(app.get("/v1/grantees?limit=1", Some(&admin)), 200);
    assert_eq!(all["items"].as_array().unwrap().len(), 1);
    let next = all["next"].as_str().unwrap();
    let rest = expect(
        app.get(&format!("/v1/grantees?limit=1&after={next}"), Some(&admin)),
        200,
    );
    assert_eq!(rest["items"][0]["id"], theirs_id);
    assert!(rest.get("next").is_none());
}

fn due_diligence_records_who_and_when(app: &TestApp) {
    let admin = app.admin();
    let g = expect(
        app.post(
            "/v1/grantees",
            Some(&admin),
            &grantee_body("Big Steps 4 Change"),
        ),
        201,
    );
    assert_eq!(g["due_diligence"]["status"], "pending");
    let path = format!("/v1/grantees/{}/due-diligence", g["id"].as_str().unwrap());
    let passed = expect(
        app.post(&path, Some(&admin), &json!({"outcome": "passed"})),
        200,
    );
    assert_eq!(passed["due_diligence"]["status"], "passed");
    assert!(passed["due_diligence"]["decided_by"].is_string());
    assert!(passed["due_diligence"]["decided_at"].is_string());
    expect(
        app.post(&path, Some(&admin), &json!({"outcome": "passed"})),
        409,
    );
    let filtered = expect(
        app.get("/v1/grantees?due_diligence=passed", Some(&admin)),
        200,
    );
    assert_eq!(filtered["items"].as_array().unwrap().len(), 1);
}

fn users_are_managed_by_administrators(app: &TestApp) {
    let admin = app.admin();
    let body = json!({"email": "Assessor@Example.org", "password": "a long enough password", "role": "assessor"});
    let user = expect(app.post("/v1/users", Some(&admin), &body), 201);
    assert_eq!(user["email"], "assessor@example.org");
    assert!(user.get("password_hash").is_none() && user.get("password").is_none());
    expect(app.post("/v1/users", Some(&admin), &body), 409);
    app.enrol("assessor@example.org");
    let token = app.login("assessor@example.org", "a long enough password");
    let me = expect(app.get("/v1/me", Some(&token)), 200);
    assert_eq!(me["role"], "assessor");

    let short = json!({"email": "x@example.org", "password": "short", "role": "admin"});
    assert_eq!(
        expect(app.post("/v1/users", Some(&admin), &short), 422)["errors"][0]["field"],
        "password"
    );
    let unbound =
        json!({"email": "g@example.org", "password": "a long enough password", "role": "grantee"});
    assert_eq!(
        expect(app.post("/v1/users", Some(&admin), &unbound), 422)["errors"][0]["field"],
        "grantee_id"
    );

    // Disabling a user stops them signing in.
    let path = format!("/v1/users/{}", user["id"].as_str().unwrap());
    expect(
        app.patch(
            &path,
            Some(&admin),
            Some("\"1\""),
            &json!({"disabled": true}),
        ),
        200,
    );
    let refused = app.post(
        "/v1/auth/token",
        None,
        &json!({"email": "assessor@example.org", "password": "a long enough password"}),
    );
    assert_eq!(refused.status().as_u16(), 401);
}

fn wrong_passwords_and_unknown_emails_get_the_same_answer_and_are_limited(app: &TestApp) {
    let admin_email = "limit@example.org";
    grantledger_server::routes::users::create_user(
        &app.db.db,
        admin_email,
        "the right password",
        Role::Admin,
        None,
        &grantledger_store::common::Actor::system("test"),
    )
    .unwrap();
    let wrong = expect(
        app.post(
            "/v1/auth/token",
            None,
            &json!({"email": admin_email, "password": "the wrong password"}),
        ),
        401,
    );
    let unknown = expect(
        app.post(
            "/v1/auth/token",
            None,
            &json!({"email": "nobody@example.org", "password": "x"}),
        ),
        401,
    );
    assert_eq!(wrong["detail"], unknown["detail"]);
    let mut limited = None;
    for _ in 0..10 {
        let response = app.post(
            "/v1/auth/token",
            None,
            &json!({"email": admin_email, "password": "the wrong password"}),
        );
        if response.status().as_u16() == 429 {
            limited = Some(response);
            break;
        }
    }
    let limited = limited.expect("login attempts were never limited");
    assert!(limited.headers().get("retry-after").is_some());
}

fn creating_a_fund_or_round_twice_with_one_key_makes_one(app: &TestApp) {
    let admin = app.admin();
    let send = |path: &str, body: &Value| {
        app.client
            .post(app.url(path))
            .bearer_auth(&admin)
            .header("Idempotency-Key", "fund-once")
            .json(body)
            .send()
            .unwrap()
    };
    let body = json!({"code": "ONCE", "name": "Once", "budget": "1000.00"});
    let first = expect(send("/v1/funds", &body), 201);
    let again = send("/v1/funds", &body);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(expect(again, 201), first);
    let funds = expect(app.get("/v1/funds", Some(&admin)), 200);
    assert_eq!(funds["items"].as_array().unwrap().len(), 1);
    let path = format!("/v1/funds/{}/rounds", first["id"].as_str().unwrap());
    let round = json!({"name": "R", "opens_at": "2026-01-01T00:00:00Z", "closes_at": "2099-01-01T00:00:00Z",
        "allocation": "600.00", "min_grant": "1.00", "max_grant": "10.00"});
    let send_round = || {
        app.client
            .post(app.url(&path))
            .bearer_auth(&admin)
            .header("Idempotency-Key", "round-once")
            .json(&round)
            .send()
            .unwrap()
    };
    expect(send_round(), 201);
    expect(send_round(), 201);
    let fund = expect(
        app.get(
            &format!("/v1/funds/{}", first["id"].as_str().unwrap()),
            Some(&admin),
        ),
        200,
    );
    assert_eq!(fund["unallocated"], "400.00");
}

api_tests!(
    creating_a_fund_or_round_twice_with_one_key_makes_one,
    a_fund_is_set_up_with_funders_and_rounds_take_its_budget,
    updates_need_the_current_version,
    the_budget_cannot_drop_below_what_rounds_hold,
    bad_input_is_named_field_by_field,
    grantees_see_only_their_own_organisation,
    due_diligence_records_who_and_when,
    users_are_managed_by_administrators,
    wrong_passwords_and_unknown_emails_get_the_same_answer_and_are_limited,
);
