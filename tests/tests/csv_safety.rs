//! Every CSV the service writes goes through one writer that neutralises
//! cells a spreadsheet would run as formulas (OWASP CSV injection): a fund,
//! grantee and project named like formulas, run through the workflow over
//! HTTP, come out of the bank file, the reconciliation, the 360Giving
//! export, the outcomes and the commitments report with a `'` in front;
//! plain numbers, negative ones included, stay numbers.

use grantledger_domain::user::Role;
use grantledger_tests::{TestApp, api_tests, expect};
use serde_json::{Value, json};

const HYPERLINK: &str = "=HYPERLINK(\"http://x\",\"Click\")";

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_owned()
}

fn rows(text: &str) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

/// No cell of the CSV starts a formula, except plain numbers; and a cell
/// begins with each of `wanted`.
fn assert_safe(what: &str, text: &str, wanted: &[&str]) {
    let cells: Vec<String> = rows(text).into_iter().flatten().collect();
    for cell in &cells {
        let number = cell
            .strip_prefix('-')
            .is_some_and(|rest| !rest.is_empty() && rest.parse::<f64>().is_ok());
        assert!(
            !cell.starts_with(['=', '+', '-', '@', '\t', '\r']) || number,
            "{what}: the cell {cell:?} would run as a formula:\n{text}"
        );
    }
    for w in wanted {
        assert!(
            cells.iter().any(|c| c.starts_with(w)),
            "{what}: no cell {w:?} in\n{text}"
        );
    }
}

fn csv_get(app: &TestApp, token: &str, path: &str) -> String {
    let (status, content_type, body) = app.get_accepting(path, Some(token), "text/csv");
    assert_eq!(status, 200, "{path}: {body}");
    assert!(
        content_type.starts_with("text/csv"),
        "{path}: {content_type}"
    );
    body
}

fn formula_cells_are_neutralised_in_every_csv(app: &TestApp) {
    let admin = app.user(Role::Admin, None);
    let fund = id(&expect(
        app.post(
            "/v1/funds",
            Some(&admin),
            &json!({"code": "INJ", "name": "@SUM(A1:A9) Fund", "funders": [
                {"name": "-2+3+cmd|' /C calc'!A0", "contribution": "10000.00"}
            ]}),
        ),
        201,
    ));
    let round = id(&expect(
        app.post(
            &format!("/v1/funds/{fund}/rounds"),
            Some(&admin),
            &json!({"name": "Round 1", "opens_at": "2026-01-01T00:00:00Z", "closes_at": "2099-01-01T00:00:00Z",
                    "allocation": "5000.00", "min_grant": "100.00", "max_grant": "2500.00"}),
        ),
        201,
    ));
    let grantee = id(&expect(
        app.post(
            "/v1/grantees",
            Some(&admin),
            &json!({"name": HYPERLINK, "organisation_type": "community_group", "region": "london",
                    "local_authority": "Lambeth", "postcode": "SE11 5QY", "annual_income": "9000.00"}),
        ),
        201,
    ));
    expect(
        app.post(
            &format!("/v1/grantees/{grantee}/due-diligence"),
            Some(&admin),
            &json!({"outcome": "passed"}),
        ),
        200,
    );
    let application = id(&expect(
        app.post(
            &format!("/v1/rounds/{round}/applications"),
            Some(&admin),
            &json!({"amount_requested": "1000.00", "project_title": "=1+1",
                    "summary": "+44 20 7946 0000", "grantee_id": grantee}),
        ),
        201,
    ));
    expect(
        app.post(
            &format!("/v1/applications/{application}/submit"),
            Some(&admin),
            &json!({}),
        ),
        200,
    );
    let decided = expect(
        app.post(
            &format!("/v1/applications/{application}/decision"),
            Some(&admin),
            &json!({"outcome": "award", "amount": "1000.00"}),
        ),
        201,
    );
    let award = decided["award"]["id"].as_str().unwrap().to_owned();
    expect(
        app.post(
            &format!("/v1/awards/{award}/accept"),
            Some(&admin),
            &json!({}),
        ),
        200,
    );
    expect(
        app.post(
            &format!("/v1/awards/{award}/disbursements"),
            Some(&admin),
            &json!({"amount": "400.00", "due_on": "2026-02-01"}),
        ),
        201,
    );
    let run = id(&expect(
        app.post(
            "/v1/payment-runs",
            Some(&admin),
            &json!({"due_by": "2099-01-01"}),
        ),
        201,
    ));

    let neutral_link = format!("'{HYPERLINK}");
    let bank = csv_get(app, &admin, &format!("/v1/payment-runs/{run}/export"));
    assert_safe("bank file", &bank, &[&neutral_link, "400.00"]);

    let reconciliation = csv_get(
        app,
        &admin,
        &format!("/v1/funds/{fund}/reconciliation?format=csv"),
    );
    assert_safe("reconciliation", &reconciliation, &[&neutral_link]);

    let open_data = csv_get(
        app,
        &admin,
        &format!("/v1/exports/360giving?fund_id={fund}&format=csv"),
    );
    assert_safe(
        "360Giving",
        &open_data,
        &[
            "'=1+1",
            "'+44 20 7946 0000",
            &neutral_link,
            "'-2+3+cmd|' /C calc'!A0",
            "1000.00",
        ],
    );

    let outcomes = csv_get(
        app,
        &admin,
        &format!("/v1/funds/{fund}/outcomes?format=csv"),
    );
    assert_safe("outcomes", &outcomes, &["'@SUM(A1:A9) Fund"]);

    let tracker = "Pledge tracker\n\nPledge\tDept\tProgress\n\
                   1. =HYPERLINK(\"http://x\",\"Click\")\tDCMS\t@Completed\n";
    expect(
        app.post_raw(
            "/v1/commitments/import",
            Some(&admin),
            "text/plain",
            tracker,
        ),
        200,
    );
    let report = csv_get(app, &admin, "/v1/commitments/report");
    assert_safe("commitments report", &report, &["'@Completed"]);
}

api_tests!(formula_cells_are_neutralised_in_every_csv);
