//! The fund's page over HTTP, on both backends: its money to the penny,
//! its reconciliation now, as of a date and as a CSV download, charts that
//! stand beside tables of the same figures with every label escaped, and
//! who may open it.

use grantledger_domain::user::Role;
use grantledger_tests::portal::Visitor;
use grantledger_tests::{DueDiligence, Fund, TestApp, api_tests, tameside};
use serde_json::json;

/// A fund of £100,000.00 with a round of £50,000.00, one award of
/// £1,234.56 to a grantee in the North West and £400.00 of it paid.
fn fund_with_an_award(app: &TestApp) -> Fund {
    let admin = app.admin();
    let fund = app.fund(&admin, "100000.00");
    let round = app.open_round(&fund, "50000.00", ("100.00", "5000.00"));
    let grantee = app.grantee(
        &admin,
        tameside("Tameside Lunch Club"),
        DueDiligence::Passed,
    );
    let award = app.accepted_award(&round, &grantee, "1234.56");
    app.paid_tranche(&round, &award, "400.00", "2026-02-01");
    fund
}

fn signed_in(app: &TestApp, role: Role) -> Visitor {
    let mut v = Visitor::new(app);
    v.sign_in(&app.user_email(role, None));
    v
}

/// The text of the table row whose first cell says `first`, tags removed.
fn row(body: &str, first: &str) -> String {
    body.split("<tr")
        .map(|r| r.split("</tr").next().unwrap_or_default())
        .find(|r| r.contains(&format!(">{first}<")))
        .map(|r| {
            let mut text = String::new();
            let mut in_tag = true;
            for ch in r.chars() {
                match ch {
                    '<' => in_tag = true,
                    '>' => {
                        in_tag = false;
                        text.push(' ');
                    }
                    c if !in_tag => text.push(c),
                    _ => {}
                }
            }
            text.split_whitespace().collect::<Vec<_>>().join(" ")
        })
        .unwrap_or_else(|| panic!("no row starting {first:?}"))
}

fn the_fund_page_shows_its_money_to_the_penny(app: &TestApp) {
    let today = || chrono::Utc::now().format("%-d %B %Y").to_string();
    let day_before = today();
    let fund = fund_with_an_award(app);
    let mut admin = signed_in(app, Role::Admin);
    let home = admin.get("/").expect(200);
    let page = format!("/funds/{}", fund.id);
    assert!(
        home.body.contains(&format!("href=\"{page}\"")),
        "the funds list links to the fund's page"
    );
    let body = admin.get(&page).expect(200).body;
    assert_eq!(row(&body, "Budget"), "Budget £100,000.00");
    assert_eq!(
        row(&body, "Allocated to rounds"),
        "Allocated to rounds £50,000.00"
    );
    assert_eq!(
        row(&body, "Committed to awards"),
        "Committed to awards £1,234.56"
    );
    assert_eq!(row(&body, "Paid to grantees"), "Paid to grantees £400.00");
    assert_eq!(
        row(&body, "Committed but not yet paid"),
        "Committed but not yet paid £834.56"
    );
    assert_eq!(
        row(&body, "Allocated but not yet committed"),
        "Allocated but not yet committed £48,765.44"
    );
    assert!(body.contains("Every check passes"), "{body}");
    assert!(!body.contains(">Fail<"));
    // Four charts, each named, each beside its table.
    assert_eq!(body.matches("<svg class=\"app-chart\"").count(), 4);
    for title in [
        "Awards by round",
        "Committed and paid over time",
        "Awards by grant size",
        "Awards by region",
    ] {
        assert!(
            body.contains(&format!("-title\">{title}</title>")),
            "{title}"
        );
    }
    assert_eq!(
        row(&body, "North West"),
        "North West 1 £1,234.56 £400.00 £834.56"
    );
    assert_eq!(
        row(&body, "£1,000.01 to £2,500.00"),
        "£1,000.01 to £2,500.00 1 £1,234.56"
    );
    assert_eq!(row(&body, "Up to £500.00"), "Up to £500.00 0 £0.00");
    // Over time: the day's commitment and payment, summed (unless the
    // set-up ran over midnight UTC).
    if today() == day_before {
        assert_eq!(
            row(&body, &day_before),
            format!("{day_before} £1,234.56 £400.00")
        );
    }
    // The bars say their figures too.
    assert!(body.contains("<title>Committed: £1,234</title>"), "{body}");
}

fn the_reconciliation_is_taken_as_of_a_date_and_downloaded(app: &TestApp) {
    let fund = fund_with_an_award(app);
    let mut auditor = signed_in(app, Role::Auditor);
    let page = format!("/funds/{}", fund.id);
    let today = chrono::Utc::now().date_naive().to_string();

    let as_of = auditor.get(&format!("{page}?as_of={today}")).expect(200);
    assert!(as_of.body.contains("as they stood at"), "{}", as_of.body);
    assert!(as_of.body.contains("at 23:59 UTC"));
    assert!(as_of.body.contains("Every check passes"));
    assert!(
        as_of.body.contains(&format!(
            "href=\"/funds/{}/reconciliation.csv?as_of={today}\"",
            fund.id
        )),
        "the download is of the same date"
    );

    // A date the page cannot read is named beside its field; the figures
    // are shown for now.
    let bad = auditor
        .get(&format!("{page}?as_of=30%2F11%2F2026"))
        .expect(200);
    assert!(bad.body.contains("govuk-error-summary"));
    assert!(bad.body.contains("as_of must be a date such as 2026-11-30"));
    assert!(bad.body.contains("Figures as they stand now."));

    let csv = auditor
        .get(&format!("/funds/{}/reconciliation.csv", fund.id))
        .expect(200);
    assert!(csv.header("content-type").starts_with("text/csv"));
    assert!(
        csv.header("content-disposition")
            .starts_with("attachment; filename=\"reconciliation-")
    );
    assert!(
        csv.body.starts_with("record,scope,check,description"),
        "{}",
        csv.body
    );
    assert!(csv.body.contains("1234.56"));
    let refused = auditor.get(&format!("/funds/{}/reconciliation.csv?as_of=soon", fund.id));
    assert!(
        (400..500).contains(&refused.status),
        "a bad date is the client's mistake: {}",
        refused.status
    );
}

fn the_fund_page_downloads_its_grants_as_open_data(app: &TestApp) {
    let fund = fund_with_an_award(app);
    let mut auditor = signed_in(app, Role::Auditor);
    let page = auditor.get(&format!("/funds/{}", fund.id)).expect(200);
    let json_href = format!("/funds/{}/360giving?format=json", fund.id);
    assert!(page.body.contains(&format!("href=\"{json_href}\"")));
    let json = auditor.get(&json_href).expect(200);
    assert!(json.header("content-type").starts_with("application/json"));
    assert!(
        json.header("content-disposition")
            .starts_with("attachment; filename=\"360giving-")
    );
    let package: serde_json::Value = serde_json::from_str(&json.body).unwrap();
    let grants = package["grants"].as_array().unwrap();
    assert_eq!(grants.len(), 1);
    assert_eq!(grants[0]["amountAwarded"], 1234.56);
    let csv = auditor
        .get(&format!("/funds/{}/360giving?format=csv", fund.id))
        .expect(200);
    assert!(csv.header("content-type").starts_with("text/csv"));
    assert!(csv.body.contains("1234.56"));
    let bad = auditor.get(&format!("/funds/{}/360giving?format=pdf", fund.id));
    assert!((400..500).contains(&bad.status), "{}", bad.status);
    auditor.get("/funds/NOPE/360giving").expect(404);
}

fn the_fund_page_downloads_its_spreadsheets(app: &TestApp) {
    let fund = fund_with_an_award(app);
    let mut auditor = signed_in(app, Role::Auditor);
    let page = auditor.get(&format!("/funds/{}", fund.id)).expect(200);
    for slug in ["panel-pack", "awards", "variations", "tranches", "returns"] {
        let xlsx = format!("/funds/{}/sheets/{slug}?format=xlsx", fund.id);
        assert!(page.body.contains(&format!("href=\"{xlsx}\"")), "{slug}");
        let got = auditor.get(&xlsx).expect(200);
        assert!(
            got.header("content-type")
                .starts_with("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            "{slug}"
        );
        assert!(
            got.header("content-disposition")
                .starts_with("attachment; filename=\""),
            "{slug}"
        );
    }
    let csv = auditor
        .get(&format!("/funds/{}/sheets/awards?format=csv", fund.id))
        .expect(200);
    assert!(csv.header("content-type").starts_with("text/csv"));
    assert!(csv.body.contains("1234.56"), "{}", csv.body);
    // Without a format, a workbook.
    let plain = auditor
        .get(&format!("/funds/{}/sheets/awards", fund.id))
        .expect(200);
    assert!(plain.header("content-type").contains("spreadsheetml"));
    auditor
        .get(&format!("/funds/{}/sheets/nothing", fund.id))
        .expect(404);
    auditor.get("/funds/NOPE/sheets/awards").expect(404);
}

fn names_on_charts_are_escaped(app: &TestApp) {
    let admin = app.admin();
    let fund = app.fund(&admin, "100000.00");
    app.round_with(
        &fund,
        json!({"name": "<b>Tea & Talk</b>", "allocation": "1000.00",
               "min_grant": "100.00", "max_grant": "500.00"}),
    );
    let mut v = signed_in(app, Role::Admin);
    let body = v.get(&format!("/funds/{}", fund.id)).expect(200).body;
    let shown = body
        .find("Tea")
        .map(|i| &body[i.saturating_sub(20)..i + 40]);
    assert!(
        body.contains("&#60;b&#62;Tea &#38; Talk&#60;/b&#62;</text>"),
        "the chart: {shown:?}"
    );
    assert!(
        body.contains(">&#60;b&#62;Tea &#38; Talk&#60;/b&#62;</a>"),
        "the table"
    );
    assert!(!body.contains("<b>Tea"));
}

fn only_administrators_and_auditors_open_a_fund(app: &TestApp) {
    let fund = fund_with_an_award(app);
    let admin = app.admin();
    let grantee = app
        .grantee(&admin, tameside("Another Club"), DueDiligence::Passed)
        .with_user_email(app)
        .1;
    let page = format!("/funds/{}", fund.id);
    let csv = format!("/funds/{}/reconciliation.csv", fund.id);
    let open_data = format!("/funds/{}/360giving", fund.id);
    let sheet = format!("/funds/{}/sheets/awards", fund.id);
    let people = [
        (grantee, 403),
        (app.user_email(Role::Assessor, None), 403),
        (app.user_email(Role::Auditor, None), 200),
        (app.user_email(Role::Admin, None), 200),
    ];
    for (email, status) in people {
        let mut v = Visitor::new(app);
        v.sign_in(&email);
        assert_eq!(v.get(&page).status, status, "{email} {page}");
        assert_eq!(v.get(&csv).status, status, "{email} {csv}");
        assert_eq!(v.get(&open_data).status, status, "{email} {open_data}");
        assert_eq!(v.get(&sheet).status, status, "{email} {sheet}");
        if status == 200 {
            assert_eq!(v.get("/funds/NOPE").status, 404);
        }
    }
    let mut stranger = Visitor::new(app);
    let away = stranger.get(&page);
    assert_eq!(away.status, 303, "not signed in: sent to sign in");
    assert!(away.location().starts_with("/sign-in"));
}

api_tests!(
    the_fund_page_shows_its_money_to_the_penny,
    the_reconciliation_is_taken_as_of_a_date_and_downloaded,
    the_fund_page_downloads_its_grants_as_open_data,
    the_fund_page_downloads_its_spreadsheets,
    names_on_charts_are_escaped,
    only_administrators_and_auditors_open_a_fund,
);
