//! Every CSV the service writes goes through one writer that neutralises
//! cells a spreadsheet would run as formulas (OWASP CSV injection): a fund,
//! grantee and project named like formulas, run through the workflow over
//! HTTP, come out of the bank file, the reconciliation, the 360Giving
//! export, the outcomes and the commitments report with a `'` in front;
//! plain numbers, negative ones included, stay numbers.

use grantledger_tests::{DueDiligence, TestApp, api_tests, expect, id_of};
use serde_json::json;

const HYPERLINK: &str = "=HYPERLINK(\"http://x\",\"Click\")";

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
    let admin = app.admin();
    let fund = app.fund_with(
        &admin,
        json!({"code": "INJ", "name": "@SUM(A1:A9) Fund", "funders": [
            {"name": "-2+3+cmd|' /C calc'!A0", "contribution": "10000.00"}
        ]}),
    );
    let round = app.open_round(&fund, "5000.00", ("100.00", "2500.00"));
    let grantee = app.grantee(
        &admin,
        json!({"name": HYPERLINK, "region": "london", "local_authority": "Lambeth",
               "postcode": "SE11 5QY", "annual_income": "9000.00"}),
        DueDiligence::Passed,
    );
    let award = app
        .accepted_award_with(
            &round,
            &grantee,
            json!({"amount_requested": "1000.00", "project_title": "=1+1", "summary": "+44 20 7946 0000"}),
            "1000.00",
        )
        .award;
    app.tranche(&round, &award, "400.00", "2026-02-01");
    // The name on the account, as the grantee typed it, starts a formula.
    expect(
        app.request(
            "PUT",
            &format!("/v1/grantees/{}/bank-details", grantee.id),
            Some(&admin),
            Some(
                &json!({"account_name": "-1+1 Lunch Club", "sort_code": "08-99-99",
                         "account_number": "66374958"}),
            ),
        ),
        200,
    );
    expect(
        app.post(
            &format!("/v1/grantees/{}/bank-details/verify", grantee.id),
            Some(&app.admin()),
            &json!({"note": "called the treasurer"}),
        ),
        200,
    );
    let fund = fund.id;
    let run = id_of(&app.approved_run(&admin, &fund, "2099-01-01"));

    let neutral_link = format!("'{HYPERLINK}");
    let bank = csv_get(
        app,
        &admin,
        &format!("/v1/payment-runs/{run}/export?format=bank_csv"),
    );
    assert_safe("bank file", &bank, &["'-1 1 LUNCH CLUB", "400.00"]);

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
