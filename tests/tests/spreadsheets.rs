//! The spreadsheet exports over HTTP, on both backends: a small fund with a
//! round, applications, assessments, an award, a variation, a tranche and a
//! return due comes out of each export as CSV (money exact to the penny, a
//! formula-like name neutralised) and as XLSX (money as numbers, dates as
//! dates, read back with calamine); grantees and assessors get 403.

use calamine::{Data, Reader, Xlsx};
use grantledger_tests::{DueDiligence, Grantee, Round, TestApp, api_tests, expect};
use serde_json::{Value, json};

const HYPERLINK: &str = "=HYPERLINK(\"http://x\",\"Click\")";
const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
const EXPORTS: [&str; 5] = ["panel-pack", "awards", "variations", "tranches", "returns"];

/// A grantee in Lambeth named `name`.
fn lambeth(name: &str) -> Value {
    json!({"name": name, "region": "london", "local_authority": "Lambeth",
           "postcode": "SE11 5QY", "annual_income": "9000.00"})
}

/// Fund SSX, round 1, two applicants (one named like a formula), three
/// assessments of the first application (two scores and a conflict) and one
/// of the second; the first awarded 1234.56, varied to 1200.05, a tranche of
/// 600.01 due 2026-02-01 and its return due 2027-03-31.
fn setup(app: &TestApp) -> Round {
    let admin = app.admin();
    let fund = app.fund_with(
        &admin,
        json!({"code": "SSX", "name": "Spreadsheet Fund", "budget": "100000.00"}),
    );
    let round = app.open_round(&fund, "10000.00", ("100.00", "5000.00"));
    let formula = app.grantee(&admin, lambeth(HYPERLINK), DueDiligence::Passed);
    let tea = app.grantee(&admin, lambeth("Tea Dances CIC"), DueDiligence::NotDone);
    let apply = |grantee: &Grantee, amount: &str, title: &str| {
        let application = app.submitted_application_with(
            &round,
            grantee,
            json!({"amount_requested": amount, "project_title": title, "summary": "Weekly sessions."}),
        );
        app.start_review(&round, &application);
        application
    };
    let first = apply(&formula, "1234.56", "Lunch club");
    let second = apply(&tea, "999.99", "Walks");
    app.assessment(
        &first,
        json!({"kind": "scored", "score": 7, "recommendation": "award"}),
    );
    app.assessment(
        &first,
        json!({"kind": "scored", "score": 8, "recommendation": "award"}),
    );
    app.assessment(
        &first,
        json!({"kind": "conflict_declared", "declaration": "I chair its board"}),
    );
    app.assessment(
        &second,
        json!({"kind": "scored", "score": 4, "recommendation": "reject"}),
    );
    let award = app.award(&round, &first, "1234.56");
    app.accept(&round, &formula, &award);
    app.variation(&round, &award, "1200.05", "Smaller hall");
    app.tranche(&round, &award, "600.01", "2026-02-01");
    app.return_due(&round, &award, "2027-03-31");
    round
}

fn rows(text: &str) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

/// GETs an export; asserts 200 and the content type; returns the response.
fn get(app: &TestApp, token: &str, path: &str, content_type: &str) -> reqwest::blocking::Response {
    let response = app.get(path, Some(token));
    let status = response.status().as_u16();
    let got = response
        .headers()
        .get("Content-Type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert_eq!(status, 200, "{path}");
    assert!(got.starts_with(content_type), "{path}: {got}");
    response
}

fn csv(app: &TestApp, token: &str, export: &str) -> Vec<Vec<String>> {
    let response = get(
        app,
        token,
        &format!("/v1/exports/{export}?fund_id=SSX&format=csv"),
        "text/csv; charset=utf-8",
    );
    let disposition = response.headers()["Content-Disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        disposition,
        format!("attachment; filename=\"{export}-SSX.csv\"")
    );
    rows(&response.text().unwrap())
}

fn column(table: &[Vec<String>], name: &str) -> usize {
    table[0]
        .iter()
        .position(|c| c == name)
        .unwrap_or_else(|| panic!("no column {name:?} in {:?}", table[0]))
}

fn sheet(bytes: Vec<u8>) -> calamine::Range<Data> {
    let mut workbook: Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
    workbook.worksheet_range_at(0).unwrap().unwrap()
}

fn xlsx(app: &TestApp, token: &str, path: &str) -> calamine::Range<Data> {
    sheet(get(app, token, path, XLSX).bytes().unwrap().to_vec())
}

fn cell<'a>(range: &'a calamine::Range<Data>, row: usize, name: &str) -> &'a Data {
    let header: Vec<String> = range
        .rows()
        .next()
        .unwrap()
        .iter()
        .map(|c| c.to_string())
        .collect();
    let col = header
        .iter()
        .position(|c| c == name)
        .unwrap_or_else(|| panic!("no column {name:?} in {header:?}"));
    range.get((row, col)).unwrap()
}

fn is_date(data: &Data) -> bool {
    matches!(data, Data::DateTime(_))
}

fn csv_exports_have_users_columns_and_exact_money(app: &TestApp) {
    let s = setup(app);
    let panel = csv(app, &s.admin, "panel-pack");
    assert_eq!(panel.len(), 3, "{panel:?}");
    assert_eq!(
        panel[0][..4],
        ["Application ID", "Round", "Round name", "Applicant"]
    );
    assert_eq!(panel[0].last().unwrap(), "Assessor 3 recommendation");
    let first = panel
        .iter()
        .find(|r| r[column(&panel, "Project title")] == "Lunch club")
        .unwrap();
    assert_eq!(first[column(&panel, "Applicant")], format!("'{HYPERLINK}"));
    assert_eq!(first[column(&panel, "Amount requested (£)")], "1234.56");
    assert_eq!(first[column(&panel, "Assessments")], "3");
    assert_eq!(first[column(&panel, "Scores")], "2");
    assert_eq!(first[column(&panel, "Mean score")], "7.50");
    assert_eq!(first[column(&panel, "Assessor 1 score")], "7");
    assert_eq!(first[column(&panel, "Assessor 2 recommendation")], "award");
    assert_eq!(
        first[column(&panel, "Assessor 3 recommendation")],
        "conflict declared"
    );
    let second = panel
        .iter()
        .find(|r| r[column(&panel, "Project title")] == "Walks")
        .unwrap();
    assert_eq!(second[column(&panel, "Mean score")], "4.00");
    assert_eq!(second[column(&panel, "Assessor 2")], "");

    let awards = csv(app, &s.admin, "awards");
    assert_eq!(awards.len(), 2, "{awards:?}");
    let a = &awards[1];
    assert_eq!(a[column(&awards, "Grantee")], format!("'{HYPERLINK}"));
    assert_eq!(a[column(&awards, "Amount awarded (£)")], "1200.05");
    assert_eq!(a[column(&awards, "Scheduled (£)")], "600.01");
    assert_eq!(a[column(&awards, "Paid (£)")], "0.00");
    assert_eq!(a[column(&awards, "Status")], "accepted");
    assert_eq!(a[column(&awards, "Evaluation return due")], "2027-03-31");

    let variations = csv(app, &s.admin, "variations");
    assert_eq!(variations.len(), 2, "{variations:?}");
    assert_eq!(
        variations[1][3..7],
        ["1234.56", "1200.05", "-34.51", "Smaller hall"]
    );

    let tranches = csv(app, &s.admin, "tranches");
    assert_eq!(tranches.len(), 2, "{tranches:?}");
    assert_eq!(tranches[1][3..6], ["600.01", "2026-02-01", "scheduled"]);

    let returns = csv(app, &s.admin, "returns");
    assert_eq!(returns.len(), 2, "{returns:?}");
    assert_eq!(returns[1][4..7], ["2027-03-31", "not submitted", "0"]);
    // No participant-level data: nothing of what a return says has a column.
    assert!(!returns[0].iter().any(|h| h.contains("articipant")));

    // One round: the file is named for it.
    let response = get(
        app,
        &s.admin,
        &format!("/v1/exports/awards?fund_id=SSX&round_id={}", s.id),
        "text/csv",
    );
    assert_eq!(
        response.headers()["Content-Disposition"],
        "attachment; filename=\"awards-SSX-round-1.csv\""
    );
}

fn xlsx_exports_have_typed_cells(app: &TestApp) {
    let s = setup(app);
    let awards = xlsx(app, &s.admin, "/v1/exports/awards?fund_id=SSX&format=xlsx");
    assert_eq!(awards.height(), 2);
    assert_eq!(
        awards.get((0, 0)),
        Some(&Data::String("Award reference".to_owned()))
    );
    assert_eq!(
        cell(&awards, 1, "Amount awarded (£)"),
        &Data::Float(1200.05)
    );
    assert_eq!(cell(&awards, 1, "Scheduled (£)"), &Data::Float(600.01));
    assert_eq!(cell(&awards, 1, "Paid (£)"), &Data::Float(0.0));
    assert!(is_date(cell(&awards, 1, "Awarded (UTC)")));
    assert!(is_date(cell(&awards, 1, "Evaluation return due")));
    // In a workbook the name is text in a text cell: nothing to neutralise.
    assert_eq!(
        cell(&awards, 1, "Grantee"),
        &Data::String(HYPERLINK.to_owned())
    );
    assert_eq!(cell(&awards, 1, "Round"), &Data::Float(1.0));

    // Accept selects XLSX too.
    let response = app
        .client
        .get(app.url("/v1/exports/tranches?fund_id=SSX"))
        .bearer_auth(&s.admin)
        .header("Accept", XLSX)
        .send()
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.headers()["Content-Type"], XLSX);
    assert_eq!(
        response.headers()["Content-Disposition"],
        "attachment; filename=\"tranches-SSX.xlsx\""
    );
    let tranches = sheet(response.bytes().unwrap().to_vec());
    assert_eq!(cell(&tranches, 1, "Amount (£)"), &Data::Float(600.01));
    let due = cell(&tranches, 1, "Due on");
    match due {
        Data::DateTime(d) => assert_eq!(d.as_f64(), 46054.0), // 2026-02-01
        other => panic!("due date is {other:?}"),
    }

    let panel = xlsx(
        app,
        &s.admin,
        "/v1/exports/panel-pack?fund_id=SSX&format=xlsx",
    );
    assert_eq!(panel.height(), 3);
    let first = (1..3)
        .find(|r| cell(&panel, *r, "Project title") == &Data::String("Lunch club".into()))
        .unwrap();
    assert_eq!(cell(&panel, first, "Mean score"), &Data::Float(7.5));
    assert_eq!(
        cell(&panel, first, "Amount requested (£)"),
        &Data::Float(1234.56)
    );
    assert!(is_date(cell(&panel, first, "Submitted (UTC)")));

    let variations = xlsx(
        app,
        &s.admin,
        "/v1/exports/variations?fund_id=SSX&format=xlsx",
    );
    assert_eq!(cell(&variations, 1, "Change (£)"), &Data::Float(-34.51));
    let returns = xlsx(app, &s.admin, "/v1/exports/returns?fund_id=SSX&format=xlsx");
    assert!(is_date(cell(&returns, 1, "Return due")));
}

fn only_administrators_and_auditors_export(app: &TestApp) {
    let s = setup(app);
    let auditor = app.auditor();
    let assessor = app.assessor();
    let grantee = app
        .grantee(&s.admin, lambeth("Someone Else"), DueDiligence::NotDone)
        .signed_in(app)
        .user
        .unwrap();
    for export in EXPORTS {
        for format in ["csv", "xlsx"] {
            let path = format!("/v1/exports/{export}?fund_id=SSX&format={format}");
            for token in [&grantee, &assessor] {
                let problem = expect(app.get(&path, Some(token)), 403);
                assert!(
                    problem["detail"]
                        .as_str()
                        .unwrap()
                        .contains("export spreadsheets"),
                    "{problem}"
                );
            }
            expect(app.get(&path, None), 401);
            let response = app.get(&path, Some(&auditor));
            assert_eq!(response.status().as_u16(), 200, "{path}");
        }
    }
}

fn bad_queries_are_named(app: &TestApp) {
    let s = setup(app);
    let other = app
        .fund_with(
            &s.admin,
            json!({"code": "OTH", "name": "Other Fund", "budget": "1000.00"}),
        )
        .id;
    let problem = expect(
        app.get(
            &format!("/v1/exports/awards?fund_id={other}&round_id={}", s.id),
            Some(&s.admin),
        ),
        422,
    );
    assert_eq!(problem["errors"][0]["field"], "round_id", "{problem}");
    expect(
        app.get("/v1/exports/awards?fund_id=NOPE", Some(&s.admin)),
        404,
    );
    let problem = expect(
        app.get("/v1/exports/awards?fund_id=SSX&format=pdf", Some(&s.admin)),
        422,
    );
    assert!(problem.to_string().contains("format"), "{problem}");
    let problem = expect(app.get("/v1/exports/awards", Some(&s.admin)), 422);
    assert!(problem.to_string().contains("fund_id"), "{problem}");
    // An empty fund exports a header and no rows.
    let empty = rows(
        &get(app, &s.admin, "/v1/exports/awards?fund_id=OTH", "text/csv")
            .text()
            .unwrap(),
    );
    assert_eq!(empty.len(), 1);
    let empty = xlsx(
        app,
        &s.admin,
        "/v1/exports/panel-pack?fund_id=OTH&format=xlsx",
    );
    assert_eq!(empty.height(), 1);
}

api_tests!(
    csv_exports_have_users_columns_and_exact_money,
    xlsx_exports_have_typed_cells,
    only_administrators_and_auditors_export,
    bad_queries_are_named,
);
