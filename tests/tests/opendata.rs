//! The 360Giving export over HTTP and through the export function, on both
//! backends: a realistic fund built through the workflow validates against
//! the official package and grant schemas (1.4.3, draft 2020-12, resolved
//! locally), the CSV header is the official column list, and a 1,700-award
//! fund (the size of the Local Connections Fund) validates too.

use chrono::{Duration, Utc};
use grantledger_domain::application::Application;
use grantledger_domain::fund::{Fund, FundName, Funder};
use grantledger_domain::grantee::*;
use grantledger_domain::ids::*;
use grantledger_domain::money::Money;
use grantledger_domain::org_id::OrgId;
use grantledger_domain::reference::FundCode;
use grantledger_domain::round::{Eligibility, GrantRange, Round, RoundWindow};
use grantledger_server::opendata::{self, ExportFormat};
use grantledger_server::operations::applications::{DecisionBody, Outcome, decide};
use grantledger_store::common::Actor;
use grantledger_store::{applications, funds, grantees, rounds};
use grantledger_tests::{TestApp, api_tests, expect};
use serde_json::{Value, json};

const PACKAGE_SCHEMA: &str = include_str!("../../schemas/360giving/360-giving-package-schema.json");
const GRANT_SCHEMA: &str = include_str!("../../schemas/360giving/360-giving-schema.json");
const COLUMNS: &str = include_str!("../../schemas/360giving/grants-sheet-columns.txt");
const GEO_CODE_TYPES: &str = include_str!("../../schemas/360giving/codelists/geoCodeType.csv");
const COUNTRY_CODES: &str = include_str!("../../schemas/360giving/codelists/countryCode.csv");

/// Validates a package against the package schema, whose `grants.items`
/// names the grant schema by its 1.4.2 URL; the local 1.4.3 grant schema is
/// registered under both URLs, so nothing is fetched. Formats (date-time,
/// uri) are asserted, which the schema's date `oneOf`s rely on.
fn schema_errors(package: &Value) -> Vec<String> {
    let grant: Value = serde_json::from_str(GRANT_SCHEMA).unwrap();
    let package_schema: Value = serde_json::from_str(PACKAGE_SCHEMA).unwrap();
    assert_eq!(
        package_schema["$schema"],
        "http://json-schema.org/draft/2020-12/schema"
    );
    let registry = jsonschema::Registry::new()
        .add(
            "https://raw.githubusercontent.com/ThreeSixtyGiving/standard/1.4.2/schema/360-giving-schema.json",
            &grant,
        )
        .unwrap()
        .add(
            "https://raw.githubusercontent.com/ThreeSixtyGiving/standard/1.4.3/schema/360-giving-schema.json",
            &grant,
        )
        .unwrap()
        .prepare()
        .unwrap();
    let validator = jsonschema::options()
        .with_registry(&registry)
        .should_validate_formats(true)
        .build(&package_schema)
        .unwrap();
    let grant_validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&grant)
        .unwrap();
    let mut errors: Vec<String> = validator
        .iter_errors(package)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    for (i, g) in package["grants"].as_array().unwrap().iter().enumerate() {
        errors.extend(
            grant_validator
                .iter_errors(g)
                .map(|e| format!("grant {i}: {e} at {}", e.instance_path())),
        );
    }
    errors
}

#[test]
fn the_validator_catches_a_bad_grant() {
    let bad = json!({"grants": [{"id": "x", "title": "t", "description": "d", "currency": "GBP",
        "amountAwarded": "10.00", "awardDate": "2021-13-01", "recipientOrganization": [], "fundingOrganization": [{"id": "a", "name": "b"}]}]});
    let errors = schema_errors(&bad);
    assert!(errors.len() >= 3, "{errors:?}");
    let good = json!({"grants": [{"id": "x", "title": "t", "description": "d", "currency": "GBP",
        "amountAwarded": 10.00, "awardDate": "2021-12-01", "recipientOrganization": [{"id": "r", "name": "R"}],
        "fundingOrganization": [{"id": "a", "name": "b"}], "dateModified": "2021-12-01T10:00:00Z"}]});
    assert_eq!(schema_errors(&good), Vec::<String>::new());
}

/// A fund run through the workflow over HTTP: two funders (one without an
/// org id), four grantees (charity, CIC, community group without org id,
/// Scottish charity), awards accepted and part or fully paid, one declined
/// and one cancelled before any payment (neither published).
fn realistic_fund(app: &TestApp, admin: &str) -> String {
    let fund = app.fund_with(
        admin,
        json!({"code": "VFF", "name": "Volunteering Futures Fund", "funders": [
            {"name": "Department for Culture, Media and Sport", "org_id": "GB-GOR-D5", "contribution": "50000.00"},
            {"name": "Pears Foundation", "org_id": "GB-CHC-1009195", "contribution": "40000.00"},
            {"name": "Calderdale Giving Circle", "contribution": "10000.00"}
        ]}),
    );
    let round = app.open_round(&fund, "50000.00", ("100.00", "10000.00"));
    let grantee =
        |name: &str, org_id: Option<&str>, kind: &str, region: &str, la: &str, pc: &str| {
            let mut body = json!({"name": name, "organisation_type": kind, "region": region,
            "local_authority": la, "postcode": pc, "annual_income": "20000.00"});
            if let Some(o) = org_id {
                body["org_id"] = json!(o);
            }
            app.grantee(admin, body, grantledger_tests::DueDiligence::Passed)
        };
    let charity = grantee(
        "Reading Friends Lambeth",
        Some("GB-CHC-1234567"),
        "registered_charity",
        "london",
        "Lambeth",
        "SE11 5QY",
    );
    let cic = grantee(
        "Made by Mortals CIC",
        Some("GB-COH-09876543"),
        "cic",
        "north_west",
        "Tameside",
        "OL6 7SF",
    );
    let group = grantee(
        "EPIC Dad",
        None,
        "community_group",
        "east_of_england",
        "Bedford",
        "MK40 1SJ",
    );
    let scottish = grantee(
        "Glasgow Tea Dance",
        Some("GB-SC-SC012345"),
        "registered_charity",
        "scotland",
        "Glasgow City",
        "G1 1XQ",
    );
    let award = |grantee: &grantledger_tests::Grantee, asked: &str, amount: &str, title: &str| {
        let application = app.submitted_application_with(
            &round,
            grantee,
            json!({"amount_requested": asked, "project_title": title,
                   "summary": "Weekly sessions, \"tea\", talk; and a newsletter.\nSecond line."}),
        );
        app.award(&round, &application, amount)
    };
    let a1 = award(&charity, "2500.00", "2500.00", "Reading together");
    app.accept(&round, &charity, &a1);
    app.paid_tranche(&round, &a1, "1000.00", "2026-02-01");
    let a2 = award(&cic, "3000.00", "2750.50", "Armchair Adventures");
    app.accept(&round, &cic, &a2);
    app.paid_tranche(&round, &a2, "2750.50", "2026-02-01");
    app.complete(&round, &a2);
    let _offered = award(&group, "800.00", "800.00", "Dads' walks");
    let _accepted = {
        let a = award(&scottish, "1200.00", "1000.00", "Tea dances");
        app.accept(&round, &scottish, &a);
        a
    };
    let declined = award(&group, "500.00", "500.00", "Declined project");
    app.decline(&round, &group, &declined);
    let cancelled = award(&charity, "400.00", "400.00", "Cancelled project");
    app.cancel(&round, &cancelled, "project did not go ahead");
    fund.id
}

fn csv_rows(text: &str) -> Vec<Vec<String>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes());
    reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

fn a_realistic_fund_exports_valid_360giving(app: &TestApp) {
    let admin = app.admin();
    let fund = realistic_fund(app, &admin);

    let (status, content_type, body) = app.get_accepting(
        &format!("/v1/exports/360giving?fund_id={fund}&format=json"),
        Some(&admin),
        "*/*",
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(content_type, "application/json");
    // Exact decimal text, as a JSON number.
    assert!(body.contains("\"amountAwarded\":2750.50"), "{body}");
    assert!(body.contains("\"amountDisbursed\":1000.00"), "{body}");
    let package: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(schema_errors(&package), Vec::<String>::new());
    let grants = package["grants"].as_array().unwrap();
    assert_eq!(
        grants.len(),
        4,
        "declined and unpaid cancelled awards are not published"
    );
    let by_title = |t: &str| grants.iter().find(|g| g["title"] == t).unwrap().clone();

    let reading = by_title("Reading together");
    assert!(
        reading["id"]
            .as_str()
            .unwrap()
            .starts_with("360G-grantledger-VFF-R1-")
    );
    assert_eq!(reading["currency"], "GBP");
    assert_eq!(reading["recipientOrganization"][0]["id"], "GB-CHC-1234567");
    assert_eq!(
        reading["recipientOrganization"][0]["charityNumber"],
        "1234567"
    );
    assert_eq!(
        reading["recipientOrganization"][0]["postalCode"],
        "SE11 5QY"
    );
    assert_eq!(
        reading["fundingOrganization"],
        json!([
            {"id": "GB-GOR-D5", "name": "Department for Culture, Media and Sport"},
            {"id": "GB-CHC-1009195", "name": "Pears Foundation"},
            {"id": "360G-grantledger-funder-calderdale-giving-circle", "name": "Calderdale Giving Circle"}
        ])
    );
    assert_eq!(
        reading["grantProgramme"],
        json!([{"code": "VFF-R1", "title": "Volunteering Futures Fund: Round 1"}])
    );
    // ONS codes with codelist types; no location without a code GrantNav can use.
    assert_eq!(
        reading["beneficiaryLocation"],
        json!([{"name": "London", "countryCode": "GB", "geoCode": "E12000007", "geoCodeType": "RGN"}])
    );
    assert_eq!(reading["amountAppliedFor"], json!(2500.0));
    assert_eq!(
        reading["awardDate"].as_str().unwrap(),
        Utc::now().date_naive().to_string()
    );

    let mortals = by_title("Armchair Adventures");
    assert_eq!(
        mortals["recipientOrganization"][0]["companyNumber"],
        "09876543"
    );
    assert_eq!(mortals["amountDisbursed"], json!(2750.5));
    let dads = by_title("Dads' walks");
    let recipient = dads["recipientOrganization"][0]["id"].as_str().unwrap();
    assert!(recipient.starts_with("360G-grantledger-"), "{recipient}");
    assert!(
        dads["recipientOrganization"][0]
            .get("charityNumber")
            .is_none()
    );
    assert_eq!(dads["amountDisbursed"], json!(0.0));
    let tea = by_title("Tea dances");
    assert_eq!(tea["recipientOrganization"][0]["charityNumber"], "SC012345");
    assert_eq!(
        tea["beneficiaryLocation"],
        json!([{"name": "Scotland", "countryCode": "GB"}])
    );

    // CSV: the official header, one row per grant, same identifiers.
    let (status, content_type, text) = app.get_accepting(
        "/v1/exports/360giving?fund_id=vff&format=csv",
        Some(&admin),
        "*/*",
    );
    assert_eq!(status, 200, "{text}");
    assert_eq!(content_type, "text/csv; charset=utf-8");
    let rows = csv_rows(&text);
    let official: Vec<String> = COLUMNS.lines().map(str::to_owned).collect();
    assert_eq!(rows[0][..official.len()], official[..]);
    assert_eq!(
        rows[0][official.len()..],
        [
            "Funding Org:1:Identifier",
            "Funding Org:1:Name",
            "Funding Org:2:Identifier",
            "Funding Org:2:Name"
        ]
    );
    let header = rows[0].clone();
    assert_eq!(rows.len(), 5);
    let mut csv_ids: Vec<&str> = rows[1..].iter().map(|r| r[0].as_str()).collect();
    let mut json_ids: Vec<&str> = grants.iter().map(|g| g["id"].as_str().unwrap()).collect();
    csv_ids.sort_unstable();
    json_ids.sort_unstable();
    assert_eq!(csv_ids, json_ids);
    let col = |name: &str| header.iter().position(|c| c == name).unwrap();
    let reading_row = rows
        .iter()
        .find(|r| r[col("Title")] == "Reading together")
        .unwrap();
    assert_eq!(reading_row[col("Amount Awarded")], "2500.00");
    assert_eq!(reading_row[col("Amount Disbursed")], "1000.00");
    assert_eq!(reading_row[col("Recipient Org:Charity Number")], "1234567");
    assert_eq!(
        reading_row[col("Beneficiary Location:Geographic Code")],
        "E12000007"
    );
    assert_eq!(reading_row[col("Funding Org:Identifier")], "GB-GOR-D5");
    assert_eq!(
        reading_row[col("Funding Org:1:Identifier")],
        "GB-CHC-1009195"
    );
    assert_eq!(
        reading_row[col("Funding Org:2:Name")],
        "Calderdale Giving Circle"
    );
    assert_codelists(&package);
    assert_csv_unflattens_to_json(&text, &package);
    assert!(reading_row[col("Description")].contains("\"tea\""));

    // Every fund when none is named; auditors may export; others may not.
    let auditor = app.auditor();
    let all = expect(app.get("/v1/exports/360giving", Some(&auditor)), 200);
    assert_eq!(all["grants"].as_array().unwrap().len(), 4);
    let assessor = app.assessor();
    expect(app.get("/v1/exports/360giving", Some(&assessor)), 403);
    expect(app.get("/v1/exports/360giving", None), 401);
    expect(
        app.get("/v1/exports/360giving?fund_id=NOPE", Some(&admin)),
        404,
    );
    expect(
        app.get("/v1/exports/360giving?format=xml", Some(&admin)),
        422,
    );
    expect(
        app.get("/v1/exports/360giving?fundid=VFF", Some(&admin)),
        422,
    );
}

/// 1,700 awards made through the store in one transaction (as the Local
/// Connections Fund made almost 1,700 microgrants), then exported through
/// the same function the CLI uses and over HTTP (many streamed chunks).
fn a_1700_award_fund_validates(app: &TestApp) {
    let db = &app.db.db;
    let actor = Actor::system("test");
    let now = Utc::now();
    let m = |s: &str| Money::parse(s).unwrap();
    let fund = Fund::new(
        FundId::new(),
        FundCode::parse("LCF").unwrap(),
        FundName::parse("Local Connections Fund").unwrap(),
        None,
        vec![
            Funder {
                name: OrganisationName::parse("DCMS").unwrap(),
                org_id: None,
                contribution: m("2000000"),
            },
            Funder {
                name: OrganisationName::parse("The National Lottery Community Fund").unwrap(),
                org_id: Some(OrgId::parse("GB-GOR-PB188").unwrap()),
                contribution: m("2000000"),
            },
        ],
    )
    .unwrap()
    .open()
    .unwrap();
    let round = Round::new(
        RoundId::new(),
        fund.id,
        1,
        "Round 1",
        RoundWindow::new(now - Duration::days(30), now + Duration::days(30)).unwrap(),
        m("4000000"),
        GrantRange::new(m("250"), m("2500")).unwrap(),
        Eligibility::default(),
    )
    .unwrap();
    let regions = Region::ALL;
    let grantees: Vec<Grantee> = (0..100)
        .map(|i| Grantee {
            id: GranteeId::new(),
            name: OrganisationName::parse(&format!("Community group {i}")).unwrap(),
            org_id: (i % 3 == 0)
                .then(|| OrgId::parse(&format!("GB-CHC-{:07}", 1_000_000 + i)).unwrap()),
            organisation_type: OrganisationType::CommunityGroup,
            region: regions[i % regions.len()],
            local_authority: LocalAuthority::parse("Leeds").unwrap(),
            postcode: Postcode::parse("LS1 4DY").unwrap(),
            annual_income: m("5000"),
            due_diligence: DueDiligence::pending(),
        })
        .collect();
    db.write(|c| {
        funds::create(c, &fund, &actor, now)?;
        rounds::create(c, &round, &actor, now)?;
        for g in &grantees {
            grantees::create(c, g, &actor, now)?;
        }
        for i in 0..1_700_usize {
            let grantee = &grantees[i % grantees.len()];
            let asked = Money::from_pence(25_000 + (i as i64 * 137) % 225_000).unwrap();
            let application = Application::draft(
                ApplicationId::new(),
                round.id,
                grantee.id,
                asked,
                &format!("Microgrant {i}"),
                "Bringing people together.",
            )
            .unwrap()
            .submit(&round, grantee, now)
            .unwrap();
            applications::create(c, &application, fund.id, &actor, now)?;
            decide(
                c,
                &grantledger_server::operations::notices::Notices::default(),
                application.id,
                Some(round.id),
                &DecisionBody {
                    outcome: Outcome::Award,
                    amount: Some(asked),
                    feedback: None,
                    internal_note: None,
                },
                &actor,
            )?;
        }
        Ok::<_, grantledger_server::error::ApiError>(())
    })
    .unwrap();

    let publisher = grantledger_tests::test_publisher();
    let plan = opendata::prepare(db, Some(fund.id), &publisher).unwrap();
    let mut out = Vec::new();
    let mut seen = 0;
    let written = opendata::export(db, &plan, ExportFormat::Json, &publisher, &mut out, |n| {
        seen += n
    })
    .unwrap();
    assert_eq!((written, seen), (1_700, 1_700));
    let package: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(schema_errors(&package), Vec::<String>::new());
    let ids: std::collections::BTreeSet<&str> = package["grants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 1_700);
    assert!(ids.contains("360G-grantledger-LCF-R1-001700"));

    // Over HTTP the same bytes arrive, streamed in chunks.
    let admin = app.admin();
    let (status, _, body) = app.get_accepting(
        "/v1/exports/360giving?fund_id=LCF",
        Some(&admin),
        "application/json",
    );
    assert_eq!(status, 200);
    assert_eq!(body.as_bytes(), out.as_slice());
    let (status, _, csv_text) = app.get_accepting(
        "/v1/exports/360giving?fund_id=LCF&format=csv",
        Some(&admin),
        "text/csv",
    );
    assert_eq!(status, 200);
    assert_eq!(csv_rows(&csv_text).len(), 1_701);
    assert_csv_unflattens_to_json(&csv_text, &package);
}

/// A fund with nothing to publish is refused before a byte is written: the
/// standard requires at least one grant, so `{"grants":[]}` is not a file.
fn an_empty_fund_is_refused(app: &TestApp) {
    let admin = app.admin();
    app.fund_with(
        &admin,
        json!({"code": "EMPTY", "name": "Empty Fund", "funders": [
            {"name": "Department for Culture, Media and Sport", "org_id": "GB-GOR-D5", "contribution": "1000.00"}
        ]}),
    );
    for format in ["json", "csv"] {
        let (status, content_type, body) = app.get_accepting(
            &format!("/v1/exports/360giving?fund_id=EMPTY&format={format}"),
            Some(&admin),
            "*/*",
        );
        assert_eq!(status, 409, "{body}");
        assert_eq!(content_type, "application/problem+json");
        assert!(body.contains("at least one grant"), "{body}");
    }
    // With no fund named and no grants anywhere, the same.
    let (status, _, body) = app.get_accepting("/v1/exports/360giving", Some(&admin), "*/*");
    assert_eq!(status, 409, "{body}");
}

/// The codes in the export are on 360Giving's closed codelists (1.4.3).
fn assert_codelists(package: &Value) {
    let codes = |file: &str| -> Vec<String> {
        // A code like `RGN/GOR` lists two accepted spellings.
        file.lines()
            .skip(1)
            .filter_map(|l| l.split(',').next())
            .flat_map(|c| {
                c.split('/')
                    .map(|c| c.trim().trim_matches('"').to_owned())
                    .collect::<Vec<_>>()
            })
            .collect()
    };
    let geo = codes(GEO_CODE_TYPES);
    let countries = codes(COUNTRY_CODES);
    for grant in package["grants"].as_array().unwrap() {
        for location in grant["beneficiaryLocation"].as_array().unwrap() {
            let country = location["countryCode"].as_str().unwrap();
            assert!(countries.iter().any(|c| c == country), "{country}");
            if let Some(kind) = location.get("geoCodeType") {
                let kind = kind.as_str().unwrap();
                assert!(
                    geo.iter().any(|c| c == kind),
                    "{kind} is not on the codelist"
                );
                let code = location["geoCode"].as_str().unwrap();
                assert!(code.len() == 9 && code.starts_with("E12"), "{code}");
            } else {
                assert!(location.get("geoCode").is_none(), "{location}");
            }
        }
    }
}

/// Where flattentool is: `GRANTLEDGER_FLATTENTOOL`, `flatten-tool` on the
/// path, or the virtualenv `.ci/run` makes under `target/`.
fn flattentool() -> Option<std::path::PathBuf> {
    let mut candidates = std::env::var_os("GRANTLEDGER_FLATTENTOOL")
        .map(std::path::PathBuf::from)
        .into_iter()
        .chain(std::env::var_os("PATH").into_iter().flat_map(|p| {
            std::env::split_paths(&p)
                .map(|d| d.join("flatten-tool"))
                .collect::<Vec<_>>()
        }))
        .chain(std::iter::once(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../target/venv-flattentool/bin/flatten-tool"),
        ));
    candidates.find(|candidate| candidate.is_file())
}

/// Unflattens the CSV with 360Giving's own tool, as the standard's docs
/// do, and requires exactly the JSON export back, grant by grant. Without
/// flattentool the check is skipped with a message, except under CI=true.
fn assert_csv_unflattens_to_json(csv_text: &str, package: &Value) {
    let Some(tool) = flattentool() else {
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "flattentool is required under CI=true (.ci/run installs it into target/venv-flattentool)"
        );
        eprintln!(
            "SKIPPED: the flattentool round trip (pip install flattentool, or set GRANTLEDGER_FLATTENTOOL)"
        );
        return;
    };
    let dir = std::env::temp_dir().join(format!("gl-360-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(dir.join("in")).unwrap();
    std::fs::write(dir.join("in/grants.csv"), csv_text).unwrap();
    // flattentool reads JSON Schema draft 4 `definitions`; the grant schema
    // itself is the root of each row.
    let mut schema: Value = serde_json::from_str(GRANT_SCHEMA).unwrap();
    let object = schema.as_object_mut().unwrap();
    for key in ["$id", "$schema", "oneOf"] {
        object.remove(key);
    }
    let defs = object.remove("$defs").unwrap();
    object.insert("definitions".to_owned(), defs);
    let schema = serde_json::to_string(&schema)
        .unwrap()
        .replace("#/$defs/", "#/definitions/");
    std::fs::write(dir.join("schema.json"), schema).unwrap();
    let output = std::process::Command::new(&tool)
        .arg("unflatten")
        .args(["--schema", "schema.json", "--root-list-path", "grants"])
        .args(["--root-id", "", "--convert-titles", "--input-format", "csv"])
        .args(["--output-name", "out.json", "in"])
        .current_dir(&dir)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "flattentool failed: {stderr}");
    // A column flattentool could not place would be data lost.
    assert!(!stderr.contains("ignored"), "{stderr}");
    let unflattened: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("out.json")).unwrap()).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(schema_errors(&unflattened), Vec::<String>::new());
    let from_csv = unflattened["grants"].as_array().unwrap();
    let from_json = package["grants"].as_array().unwrap();
    assert_eq!(from_csv.len(), from_json.len());
    for (csv_grant, json_grant) in from_csv.iter().zip(from_json) {
        assert_eq!(
            numbers_as_decimals(csv_grant),
            numbers_as_decimals(json_grant),
            "the CSV row unflattens to a different grant"
        );
    }
}

/// Amounts compare by value: flattentool writes `2500.0` for `2500.00`.
fn numbers_as_decimals(v: &Value) -> Value {
    match v {
        Value::Number(n) => {
            let text = n.to_string();
            let text = if text.contains('.') {
                text.trim_end_matches('0').trim_end_matches('.').to_owned()
            } else {
                text
            };
            Value::String(text)
        }
        Value::Array(items) => Value::Array(items.iter().map(numbers_as_decimals).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), numbers_as_decimals(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// A grantee's org id that no longer reads (edited in the database by
/// hand) refuses the export before its first byte, naming the grantee and
/// the id, rather than cutting the file off midway.
fn a_bad_grantee_org_id_is_refused_before_the_first_byte(app: &TestApp) {
    use diesel::connection::SimpleConnection;
    let admin = app.admin();
    let fund = realistic_fund(app, &admin);
    app.db
        .db
        .write(|c| {
            c.batch_execute(
                "UPDATE grantees SET org_id = 'GB-CHC-12' WHERE org_id = 'GB-CHC-1234567'",
            )
            .map_err(grantledger_store::StoreError::from)
        })
        .unwrap();
    for format in ["json", "csv"] {
        let (status, content_type, body) = app.get_accepting(
            &format!("/v1/exports/360giving?fund_id={fund}&format={format}"),
            Some(&admin),
            "*/*",
        );
        assert_eq!(status, 409, "{body}");
        assert_eq!(content_type, "application/problem+json");
        assert!(body.contains("\\\"GB-CHC-12\\\""), "{body}");
    }
}

api_tests!(
    a_bad_grantee_org_id_is_refused_before_the_first_byte,
    a_realistic_fund_exports_valid_360giving,
    a_1700_award_fund_validates,
    an_empty_fund_is_refused
);
