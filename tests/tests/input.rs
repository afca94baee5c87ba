//! Input and errors across the API, as a client meets them, on both
//! backends: every bad field named at once, messages a person can act on,
//! dates that say their format, fund codes wherever a fund id goes, one
//! list envelope with a checked `limit`, and one precision for instants.

use grantledger_domain::user::Role;
use grantledger_tests::{
    DueDiligence, TestApp, api_tests, assert_documents_idempotency_key, expect,
};
use serde_json::{Value, json};

/// The `field`s of a 422, sorted, after checking that no message reads
/// like Rust.
fn fields(problem: &Value) -> Vec<String> {
    assert_eq!(problem["type"], "/problems/validation", "{problem}");
    let errors = problem["errors"].as_array().unwrap();
    for error in errors {
        let message = error["message"].as_str().unwrap();
        for rust in ["`", "u8", "u32", "i64", "variant", "struct "] {
            assert!(!message.contains(rust), "{rust:?} in {message:?}");
        }
    }
    let mut fields: Vec<String> = errors
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_owned())
        .collect();
    fields.sort();
    fields
}

fn message<'a>(problem: &'a Value, field: &str) -> &'a str {
    problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["field"] == field)
        .and_then(|e| e["message"].as_str())
        .unwrap_or_else(|| panic!("no error for {field}: {problem}"))
}

fn a_fund_body_with_three_bad_fields_gets_three_errors(app: &TestApp) {
    let admin = app.user(Role::Admin, None);
    let problem = expect(
        app.post(
            "/v1/funds",
            Some(&admin),
            &json!({"code": "lcf2", "name": "", "budget": "-5"}),
        ),
        422,
    );
    assert_eq!(fields(&problem), ["budget", "code", "name"], "{problem}");
    assert_eq!(problem["detail"], "3 fields are invalid");
}

fn a_grantee_body_with_six_bad_fields_gets_six_errors_each_with_its_path(app: &TestApp) {
    let admin = app.user(Role::Admin, None);
    let problem = post_grantee(
        app,
        &admin,
        &json!({
            "name": "",
            "org_id": "GB-CHC-12",
            "organisation_type": "club",
            "region": "narnia",
            "local_authority": "Calderdale",
            "postcode": "HX1",
            "annual_income": 12000
        }),
        422,
    );
    assert_eq!(
        fields(&problem),
        [
            "annual_income",
            "name",
            "org_id",
            "organisation_type",
            "postcode",
            "region"
        ],
        "{problem}"
    );
    let six_bad = problem;
    // A required field left out is reported beside the bad values before
    // it, not lost behind them.
    let problem = post_grantee(
        app,
        &admin,
        &json!({
            "name": "",
            "organisation_type": "club",
            "region": "narnia",
            "local_authority": "Calderdale",
            "annual_income": 12000
        }),
        422,
    );
    assert_eq!(
        fields(&problem),
        [
            "annual_income",
            "name",
            "organisation_type",
            "postcode",
            "region"
        ],
        "{problem}"
    );
    assert_eq!(message(&problem, "postcode"), "postcode is required");
    let region = message(&six_bad, "region");
    assert!(
        region.starts_with("region must be one of: north_east, north_west"),
        "{region}"
    );

    // Nested values keep their paths: two bad funders, each named.
    let problem = expect(
        app.post(
            "/v1/funds",
            Some(&admin),
            &json!({"code": "VFF", "name": "Volunteering Futures Fund", "funders": [
                {"name": "DCMS", "contribution": "1.005"},
                {"name": "Pears", "contribution": "10.00"},
                {"name": "", "contribution": 5}
            ]}),
        ),
        422,
    );
    assert_eq!(
        fields(&problem),
        [
            "funders[0].contribution",
            "funders[2].contribution",
            "funders[2].name"
        ],
        "{problem}"
    );
}

fn scores_and_recommendations_are_refused_in_plain_words(app: &TestApp) {
    let assessor = app.user(Role::Assessor, None);
    let path = format!("/v1/applications/{}/assessments", uuid::Uuid::now_v7());
    let problem = expect(
        app.post(
            &path,
            Some(&assessor),
            &json!({"kind": "scored", "score": 11, "recommendation": "maybe"}),
        ),
        422,
    );
    assert_eq!(fields(&problem), ["recommendation", "score"], "{problem}");
    assert_eq!(
        message(&problem, "score"),
        "score must be a whole number from 0 to 10; got 11"
    );
    assert_eq!(
        message(&problem, "recommendation"),
        "recommendation must be one of: award, reject; got \"maybe\""
    );
    let problem = expect(
        app.post(
            &path,
            Some(&assessor),
            &json!({"kind": "scored", "score": "seven", "recommendation": "award"}),
        ),
        422,
    );
    assert_eq!(
        message(&problem, "score"),
        "score must be a whole number from 0 to 10; got \"seven\""
    );
    let problem = expect(
        app.post(&path, Some(&assessor), &json!({"kind": "scored"})),
        422,
    );
    assert_eq!(fields(&problem), ["recommendation", "score"], "{problem}");
}

fn date_errors_say_the_format_expected(app: &TestApp) {
    let admin = app.user(Role::Admin, None);
    let fund = expect(
        app.post(
            "/v1/funds",
            Some(&admin),
            &json!({"code": "LCF2", "name": "Local Connections Fund", "budget": "1000000.00"}),
        ),
        201,
    );
    let fund = fund["id"].as_str().unwrap();
    let problem = expect(
        app.post(
            &format!("/v1/funds/{fund}/rounds"),
            Some(&admin),
            &json!({
                "name": "Round 1", "opens_at": "2027-01-01", "closes_at": "2027-02-30T17:00:00Z",
                "allocation": "1000.00", "min_grant": "300.00", "max_grant": "2500.00",
                "eligibility": {"organisation_types": ["community_group"]}
            }),
        ),
        422,
    );
    assert_eq!(fields(&problem), ["closes_at", "opens_at"], "{problem}");
    assert_eq!(
        message(&problem, "opens_at"),
        "opens_at must be an instant such as 2027-01-01T09:00:00Z; got \"2027-01-01\""
    );
    let problem = expect(
        app.post(
            &format!("/v1/awards/{}/disbursements", uuid::Uuid::now_v7()),
            Some(&admin),
            &json!({"amount": "100.00", "due_on": "07/12/2026"}),
        ),
        422,
    );
    assert_eq!(
        message(&problem, "due_on"),
        "due_on must be a date such as 2027-01-31; got \"07/12/2026\""
    );
}

fn reconciliation_takes_a_fund_code_and_a_plain_date(app: &TestApp) {
    let admin = app.user(Role::Admin, None);
    let auditor = app.user(Role::Auditor, None);
    let fund = expect(
        app.post(
            "/v1/funds",
            Some(&admin),
            &json!({"code": "LCF2", "name": "Local Connections Fund", "budget": "1000000.00"}),
        ),
        201,
    );
    let id = fund["id"].as_str().unwrap();

    let by_code = expect(
        app.get("/v1/funds/LCF2/reconciliation", Some(&auditor)),
        200,
    );
    let by_id = expect(
        app.get(&format!("/v1/funds/{id}/reconciliation"), Some(&auditor)),
        200,
    );
    assert_eq!(by_code["passed"], true, "{by_code}");
    assert_eq!(by_code["fund_id"], by_id["fund_id"]);
    expect(app.get("/v1/funds/lcf2", Some(&auditor)), 200);
    let rounds = expect(app.get("/v1/funds/LCF2/rounds", Some(&auditor)), 200);
    assert!(rounds["items"].is_array(), "{rounds}");
    let outcomes = expect(app.get("/v1/funds/LCF2/outcomes", Some(&auditor)), 200);
    assert_eq!(outcomes["fund_id"], id, "{outcomes}");
    expect(app.get("/v1/funds/NOPE/outcomes", Some(&auditor)), 404);
    expect(
        app.get("/v1/funds/NOPE/reconciliation", Some(&auditor)),
        404,
    );

    // A plain date is the end of that day: today's fund is in it.
    let today = chrono::Utc::now().date_naive();
    let report = expect(
        app.get(
            &format!("/v1/funds/LCF2/reconciliation?as_of={today}"),
            Some(&auditor),
        ),
        200,
    );
    assert_eq!(report["passed"], true, "{report}");
    let yesterday = today.pred_opt().unwrap();
    expect(
        app.get(
            &format!("/v1/funds/LCF2/reconciliation?as_of={yesterday}"),
            Some(&auditor),
        ),
        404,
    );
    let problem = expect(
        app.get(
            "/v1/funds/LCF2/reconciliation?as_of=30/11/2026",
            Some(&auditor),
        ),
        422,
    );
    let detail = message(&problem, "as_of");
    assert!(detail.contains("a date such as 2026-11-30"), "{detail}");
}

fn the_cli_takes_a_plain_date_for_as_of() {
    use clap::Parser;
    let cli = grantledger_server::cli::Cli::try_parse_from([
        "grantledger",
        "reconcile",
        "--fund",
        "LCF2",
        "--as-of",
        "2026-11-30",
    ]);
    assert!(cli.is_ok(), "{:?}", cli.err());
    let refused = grantledger_server::cli::Cli::try_parse_from([
        "grantledger",
        "reconcile",
        "--fund",
        "LCF2",
        "--as-of",
        "30/11/2026",
    ]);
    let error = refused.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(error.contains("a date such as 2026-11-30"), "{error}");
}

#[test]
fn cli_as_of_accepts_a_plain_date() {
    the_cli_takes_a_plain_date_for_as_of();
}

fn a_limit_out_of_range_is_refused_not_changed(app: &TestApp) {
    let admin = app.user(Role::Admin, None);
    for path in ["/v1/funds", "/v1/grantees", "/v1/users", "/v1/audit-events"] {
        for limit in ["0", "501", "1000", "-1", "many"] {
            let problem = expect(app.get(&format!("{path}?limit={limit}"), Some(&admin)), 422);
            assert_eq!(fields(&problem), ["limit"], "{path}?limit={limit}");
            assert!(
                message(&problem, "limit")
                    .starts_with("limit must be a whole number from 1 to 500"),
                "{problem}"
            );
        }
        for limit in ["1", "500"] {
            expect(app.get(&format!("{path}?limit={limit}"), Some(&admin)), 200);
        }
    }
}

/// Sets up an accepted award with one variation and one tranche, scored by
/// an assessor; returns (admin, application id, award id, the POSTed assessment).
fn an_award(app: &TestApp) -> (String, String, String, Value) {
    let admin = app.admin();
    let fund = app.fund(&admin, "100000.00");
    let round = app.round_with(
        &fund,
        json!({
            "allocation": "10000.00", "min_grant": "300.00", "max_grant": "2500.00",
            "eligibility": {"organisation_types": ["community_group"]}
        }),
    );
    let grantee = app
        .grantee(
            &admin,
            json!({"name": "Hebden Lunch Club", "region": "yorkshire_and_the_humber",
                   "local_authority": "Calderdale", "postcode": "HX7 8AD", "annual_income": "9000.00"}),
            DueDiligence::NotDone,
        )
        .signed_in(app);
    let application = app.submitted_application_with(
        &round,
        &grantee,
        json!({"amount_requested": "1000.00", "summary": "Weekly lunches."}),
    );
    let ap = |p: &str| format!("/v1/applications/{application}{p}");
    let assessor = app.assessor();
    expect(
        app.post(&ap("/start-review"), Some(&assessor), &json!({})),
        200,
    );
    let assessment = expect(
        app.post(
            &ap("/assessments"),
            Some(&assessor),
            &json!({"kind": "scored", "score": 8, "recommendation": "award", "comment": "Good"}),
        ),
        201,
    );
    let award = app.award(&round, &application, "900.00");
    app.accept(&round, &grantee, &award);
    app.pass_due_diligence(&admin, &grantee);
    expect(
        app.post(
            &format!("/v1/awards/{award}/variations"),
            Some(&admin),
            &json!({"amount": "1000.00", "reason": "Extra sessions"}),
        ),
        201,
    );
    app.tranche(&round, &award, "500.00", "2099-02-01");
    (admin, application, award, assessment)
}

fn every_list_is_an_envelope_and_instants_agree(app: &TestApp) {
    let (admin, application, award, posted) = an_award(app);
    for path in [
        format!("/v1/applications/{application}/assessments"),
        format!("/v1/awards/{award}/variations"),
        format!("/v1/awards/{award}/disbursements"),
    ] {
        let list = expect(app.get(&path, Some(&admin)), 200);
        let items = list["items"].as_array();
        assert_eq!(items.map(Vec::len), Some(1), "{path}: {list}");
        assert!(list.get("next").is_none(), "{path}: {list}");
    }
    let listed = expect(
        app.get(
            &format!("/v1/applications/{application}/assessments"),
            Some(&admin),
        ),
        200,
    );
    assert_eq!(
        posted["recorded_at"], listed["items"][0]["recorded_at"],
        "the POST answer and a later read show the same instant"
    );
}

fn past_round(
    app: &TestApp,
    admin: &str,
    fund: &str,
    records_past_round: Option<bool>,
) -> reqwest::blocking::Response {
    let mut body = json!({
        "name": "Round 1", "opens_at": "2019-01-07T09:00:00Z", "closes_at": "2019-02-18T17:00:00Z",
        "allocation": "1500000.00", "min_grant": "300.00", "max_grant": "2500.00",
        "eligibility": {"organisation_types": ["community_group"]}
    });
    if let Some(flag) = records_past_round {
        body["records_past_round"] = json!(flag);
    }
    app.post(&format!("/v1/funds/{fund}/rounds"), Some(admin), &body)
}

fn a_round_wholly_in_the_past_is_refused_unless_it_records_one(app: &TestApp) {
    let admin = app.user(Role::Admin, None);
    expect(
        app.post(
            "/v1/funds",
            Some(&admin),
            &json!({"code": "LCF", "name": "Local Connections Fund", "budget": "4000000.00"}),
        ),
        201,
    );
    for flag in [None, Some(false)] {
        let problem = expect(past_round(app, &admin, "LCF", flag), 422);
        assert_eq!(fields(&problem), ["closes_at"], "{problem}");
        assert!(
            message(&problem, "closes_at").contains("records_past_round"),
            "{problem}"
        );
    }
    let fund = expect(app.get("/v1/funds/LCF", Some(&admin)), 200);
    assert_eq!(fund["unallocated"], "4000000.00", "nothing moved");

    let round = expect(past_round(app, &admin, "LCF", Some(true)), 201);
    assert_eq!(round["allocation"], "1500000.00");
    let events = expect(
        app.get("/v1/audit-events?action=round.recorded_past", Some(&admin)),
        200,
    );
    let events = events["items"].as_array().unwrap();
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["entity_id"], round["id"]);
}

fn a_draft_cannot_be_started_in_a_closed_round(app: &TestApp) {
    let admin = app.user(Role::Admin, None);
    expect(
        app.post(
            "/v1/funds",
            Some(&admin),
            &json!({"code": "LCF", "name": "Local Connections Fund", "budget": "4000000.00"}),
        ),
        201,
    );
    let round = expect(past_round(app, &admin, "LCF", Some(true)), 201);
    let grantee = post_grantee(
        app,
        &admin,
        &json!({"name": "Hebden Lunch Club", "organisation_type": "community_group", "region": "yorkshire_and_the_humber",
                    "local_authority": "Calderdale", "postcode": "HX7 8AD", "annual_income": "9000.00"}),
        201,
    );
    let user = app.user(
        Role::Grantee,
        Some(
            grantee["id"]
                .as_str()
                .unwrap()
                .parse::<uuid::Uuid>()
                .unwrap()
                .into(),
        ),
    );
    let problem = expect(
        app.post(
            &format!("/v1/rounds/{}/applications", round["id"].as_str().unwrap()),
            Some(&user),
            &json!({"amount_requested": "1000.00", "project_title": "Lunches", "summary": "Weekly lunches."}),
        ),
        409,
    );
    let detail = problem["detail"].as_str().unwrap();
    assert!(detail.contains("has closed"), "{detail}");
    assert!(detail.contains("2019-02-18 17:00:00 UTC"), "{detail}");
}

fn grantee(name: &str, postcode: &str, org_id: Option<&str>) -> Value {
    let mut body = json!({
        "name": name, "organisation_type": "community_group", "region": "yorkshire_and_the_humber",
        "local_authority": "Calderdale", "postcode": postcode, "annual_income": "9000.00"
    });
    if let Some(org_id) = org_id {
        body["org_id"] = json!(org_id);
        body["organisation_type"] = json!("registered_charity");
    }
    body
}

/// Registers `body` as `admin`, expecting `status`.
fn post_grantee(app: &TestApp, admin: &str, body: &Value, status: u16) -> Value {
    expect(app.post("/v1/grantees", Some(admin), body), status)
}

fn grantee_count(app: &TestApp, admin: &str) -> usize {
    expect(app.get("/v1/grantees?limit=500", Some(admin)), 200)["items"]
        .as_array()
        .unwrap()
        .len()
}

fn a_retried_grantee_post_registers_one_grantee(app: &TestApp) {
    let admin = app.user(Role::Admin, None);
    let body = grantee("Hebden Lunch Club", "HX1 1AA", None);
    let send = || {
        app.client
            .post(app.url("/v1/grantees"))
            .bearer_auth(&admin)
            .header("Idempotency-Key", "b1c0a7e2-retry-1")
            .json(&body)
            .send()
            .unwrap()
    };
    let first = send();
    assert!(first.headers().get("Idempotent-Replayed").is_none());
    let first = expect(first, 201);
    let again = send();
    assert_eq!(
        again
            .headers()
            .get("Idempotent-Replayed")
            .map(|v| v.to_str().unwrap().to_owned()),
        Some("true".to_owned())
    );
    let again = expect(again, 201);
    assert_eq!(first["id"], again["id"]);
    assert_eq!(grantee_count(app, &admin), 1);

    // The key is listed in the API document for every POST that creates.
    assert_documents_idempotency_key(
        app,
        &[
            "/v1/grantees",
            "/v1/users",
            "/v1/applications/{id}/assessments",
        ],
    );
}

fn likely_duplicate_grantees_are_refused_naming_the_one_held(app: &TestApp) {
    let admin = app.user(Role::Admin, None);
    let held = post_grantee(
        app,
        &admin,
        &grantee("Hebden Lunch Club", "HX1 1AA", None),
        201,
    );
    // The same group typed in lower case with a run-together postcode.
    let problem = post_grantee(
        app,
        &admin,
        &grantee("hebden lunch club", "HX11AA", None),
        409,
    );
    assert_eq!(problem["type"], "/problems/duplicate");
    assert_eq!(problem["existing_id"], held["id"], "{problem}");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("distinct_organisation"),
        "{problem}"
    );
    // Another group of the same name elsewhere is not a duplicate.
    post_grantee(
        app,
        &admin,
        &grantee("Hebden Lunch Club", "LS1 4AP", None),
        201,
    );
    // The caller can confirm a distinct organisation at the same address.
    let mut distinct = grantee("Hebden Lunch Club", "HX1 1AA", None);
    distinct["distinct_organisation"] = json!(true);
    post_grantee(app, &admin, &distinct, 201);

    // A charity number already held: 409 naming the record, confirmed or not.
    let charity = post_grantee(
        app,
        &admin,
        &grantee("Reading Friends", "SE11 5QY", Some("GB-CHC-1234567")),
        201,
    );
    let mut again = grantee("Reading Friends Lambeth", "SE1 7PB", Some("GB-CHC-1234567"));
    again["distinct_organisation"] = json!(true);
    let problem = post_grantee(app, &admin, &again, 409);
    assert_eq!(problem["existing_id"], charity["id"], "{problem}");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("GB-CHC-1234567"),
        "{problem}"
    );
    assert_eq!(grantee_count(app, &admin), 4);
}

fn look_alike_names_count_as_the_same_and_are_warned_of(app: &TestApp) {
    let admin = app.user(Role::Admin, None);
    let held = post_grantee(app, &admin, &grantee("EPIC Dad", "MK40 1SJ", None), 201);
    assert!(held.get("warnings").is_none(), "{held}");
    // "EPIC Dаd" with a Cyrillic а.
    let look_alike = grantee("EPIC D\u{0430}d", "MK40 1SJ", None);
    let problem = post_grantee(app, &admin, &look_alike, 409);
    assert_eq!(problem["existing_id"], held["id"], "{problem}");
    let mut confirmed = look_alike.clone();
    confirmed["distinct_organisation"] = json!(true);
    let created = post_grantee(app, &admin, &confirmed, 201);
    let warnings = created["warnings"].as_array().cloned().unwrap_or_default();
    assert_eq!(warnings.len(), 1, "{created}");
    assert!(
        warnings[0].as_str().unwrap().contains("different scripts"),
        "{created}"
    );
}

fn importing_an_org_id_updates_the_grantee_held_by_name_and_postcode(app: &TestApp) {
    let admin = app.user(Role::Admin, None);
    let held = post_grantee(
        app,
        &admin,
        &grantee("Hebden Lunch Club", "HX1 1AA", None),
        201,
    );
    let file = "name,org_id,organisation_type,region,local_authority,postcode,annual_income\n\
                hebden lunch club,GB-CHC-1234567,registered_charity,yorkshire_and_the_humber,Calderdale,HX11AA,9000.00\n";
    let summary = expect(
        app.post_raw("/v1/imports/grantees", Some(&admin), "text/csv", file),
        200,
    );
    assert_eq!(
        summary,
        json!({"rows": 1, "created": 0, "updated": 1, "unchanged": 0})
    );
    assert_eq!(grantee_count(app, &admin), 1);
    let id = held["id"].as_str().unwrap();
    let now = expect(app.get(&format!("/v1/grantees/{id}"), Some(&admin)), 200);
    assert_eq!(now["org_id"], "GB-CHC-1234567");
}

fn an_administrator_gives_one_late_draft_a_later_deadline(app: &TestApp) {
    let admin = app.user(Role::Admin, None);
    expect(
        app.post(
            "/v1/funds",
            Some(&admin),
            &json!({"code": "LCF", "name": "Local Connections Fund", "budget": "100000.00"}),
        ),
        201,
    );
    let round = expect(
        app.post(
            "/v1/funds/LCF/rounds",
            Some(&admin),
            &json!({
                "name": "Round 1", "opens_at": "2026-01-01T00:00:00Z", "closes_at": "2099-01-01T00:00:00Z",
                "allocation": "10000.00", "min_grant": "300.00", "max_grant": "2500.00",
                "eligibility": {"organisation_types": ["community_group"]}
            }),
        ),
        201,
    );
    let round_id = round["id"].as_str().unwrap();
    let grantee_id = post_grantee(
        app,
        &admin,
        &grantee("Hebden Lunch Club", "HX7 8AD", None),
        201,
    )["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let user = app.user(
        Role::Grantee,
        Some(grantee_id.parse::<uuid::Uuid>().unwrap().into()),
    );
    let draft = expect(
        app.post(
            &format!("/v1/rounds/{round_id}/applications"),
            Some(&user),
            &json!({"amount_requested": "1000.00", "project_title": "Lunches", "summary": "Weekly lunches."}),
        ),
        201,
    );
    let id = draft["id"].as_str().unwrap();
    // The round closes before the group submits.
    let closed_at = (chrono::Utc::now() - chrono::TimeDelta::minutes(1)).to_rfc3339();
    expect(
        app.patch(
            &format!("/v1/rounds/{round_id}"),
            Some(&admin),
            Some(&format!("\"{}\"", round["version"])),
            &json!({"closes_at": closed_at}),
        ),
        200,
    );
    let submit = format!("/v1/applications/{id}/submit");
    expect(app.post(&submit, Some(&user), &json!({})), 409);

    let extension = format!("/v1/applications/{id}/deadline-extension");
    let until = (chrono::Utc::now() + chrono::TimeDelta::hours(2)).to_rfc3339();
    // Only administrators, with a reason, to a later deadline.
    expect(
        app.post(
            &extension,
            Some(&user),
            &json!({"until": until, "reason": "Flood"}),
        ),
        403,
    );
    let problem = expect(
        app.post(
            &extension,
            Some(&admin),
            &json!({"until": until, "reason": " "}),
        ),
        422,
    );
    assert_eq!(fields(&problem), ["reason"], "{problem}");
    let problem = expect(
        app.post(
            &extension,
            Some(&admin),
            &json!({"until": "2020-01-01T00:00:00Z", "reason": "Flood"}),
        ),
        422,
    );
    assert_eq!(fields(&problem), ["until"], "{problem}");
    let extended = expect(
        app.post(
            &extension,
            Some(&admin),
            &json!({"until": until, "reason": "Office flooded on deadline day"}),
        ),
        200,
    );
    assert_eq!(
        extended["deadline_extension"]["reason"],
        "Office flooded on deadline day"
    );
    let submitted = expect(app.post(&submit, Some(&user), &json!({})), 200);
    assert_eq!(submitted["status"], "submitted");
    // Not for everyone: another draft cannot even be started now.
    expect(
        app.post(
            &format!("/v1/rounds/{round_id}/applications"),
            Some(&user),
            &json!({"amount_requested": "500.00", "project_title": "More", "summary": "More lunches."}),
        ),
        409,
    );
    let events = expect(
        app.get(
            &format!("/v1/audit-events?action=application.deadline_extended&entity_id={id}"),
            Some(&admin),
        ),
        200,
    );
    let events = events["items"].as_array().unwrap();
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(
        events[0]["after"]["deadline_extension"]["reason"], "Office flooded on deadline day",
        "{events:?}"
    );
}

api_tests!(
    a_fund_body_with_three_bad_fields_gets_three_errors,
    a_grantee_body_with_six_bad_fields_gets_six_errors_each_with_its_path,
    scores_and_recommendations_are_refused_in_plain_words,
    date_errors_say_the_format_expected,
    reconciliation_takes_a_fund_code_and_a_plain_date,
    a_limit_out_of_range_is_refused_not_changed,
    every_list_is_an_envelope_and_instants_agree,
    a_round_wholly_in_the_past_is_refused_unless_it_records_one,
    a_draft_cannot_be_started_in_a_closed_round,
    a_retried_grantee_post_registers_one_grantee,
    likely_duplicate_grantees_are_refused_naming_the_one_held,
    look_alike_names_count_as_the_same_and_are_warned_of,
    importing_an_org_id_updates_the_grantee_held_by_name_and_postcode,
    an_administrator_gives_one_late_draft_a_later_deadline,
);
