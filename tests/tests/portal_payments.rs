//! The portal's bank-details and payment-run pages over HTTP, on both
//! backends: a grantee gives its bank details and never sees the number
//! again in full; a change and a payment run each need a second
//! administrator; the bank file is an administrator's download; and who
//! may open each page and send each form.

use grantledger_domain::user::Role;
use grantledger_tests::portal::{Visitor, value_after};
use grantledger_tests::{DueDiligence, Fund, Grantee, Round, TestApp, api_tests, expect, tameside};
use serde_json::json;

/// A grantee with verified bank details ([`grantledger_tests::TEST_ACCOUNT`])
/// and a user of its own; returns that user's email.
fn grantee(app: &TestApp, admin: &str, name: &str) -> (Grantee, String) {
    app.grantee(admin, tameside(name), DueDiligence::Passed)
        .with_user_email(app)
}

/// A fund whose grantee has a tranche of £400.00 due on 1 February 2026.
fn fund_with_a_tranche_due(app: &TestApp) -> (Fund, Round, Grantee) {
    let admin = app.admin();
    let fund = app.fund(&admin, "100000.00");
    let round = app.open_round(&fund, "50000.00", ("100.00", "5000.00"));
    let (grantee, _) = grantee(app, &admin, "Tameside Lunch Club");
    let award = app.accepted_award(&round, &grantee, "1000.00");
    app.tranche(&round, &award, "400.00", "2026-02-01");
    (fund, round, grantee)
}

fn signed_in(app: &TestApp, email: &str) -> Visitor {
    let mut v = Visitor::new(app);
    v.sign_in(email);
    v
}

fn a_grantee_gives_bank_details_and_never_sees_the_number_again(app: &TestApp) {
    let admin = app.admin();
    let (grantee, email) = grantee(app, &admin, "Tameside Lunch Club");
    let mut v = signed_in(app, &email);
    let organisation = v.get("/organisation").expect(200);
    assert!(
        organisation
            .body
            .contains("href=\"/organisation/bank-details\"")
    );
    let page = "/organisation/bank-details";
    let before = v.get(page).expect(200);
    assert!(before.body.contains("****4958"), "{}", before.body);
    assert!(!before.body.contains("66374958"));
    assert!(before.body.contains("Payments are not held"));
    assert!(before.body.contains("protects you against fraud"));

    // A wrong sort code is named beside its field; the number typed is
    // not sent back.
    let refused = v
        .submit(
            page,
            page,
            &[
                ("account_name", "Tuesday Lunch Club"),
                ("sort_code", "12-34"),
                ("account_number", "88837491"),
                ("roll_number", ""),
            ],
        )
        .expect(422);
    assert!(
        refused.body.contains("href=\"#sort_code\""),
        "{}",
        refused.body
    );
    assert!(refused.body.contains("id=\"sort_code-error\""));
    assert!(refused.body.contains("value=\"Tuesday Lunch Club\""));
    assert!(
        !refused.body.contains("88837491"),
        "the number is never echoed"
    );

    let entered = v
        .submit(
            page,
            page,
            &[
                ("account_name", "Tuesday Lunch Club"),
                ("sort_code", "10-79-99"),
                ("account_number", "88837491"),
                ("roll_number", ""),
            ],
        )
        .expect(303);
    let after = v.get(entered.location()).expect(200);
    assert!(
        after
            .body
            .contains("the fund will check the change with your organisation")
    );
    assert!(after.body.contains("****7491") && after.body.contains("****4958"));
    assert!(after.body.contains("10-79-99"));
    assert!(
        after
            .body
            .contains("Payments are held until a second person")
    );
    assert!(!after.body.contains("88837491") && !after.body.contains("66374958"));
    let details = expect(
        app.get(
            &format!("/v1/grantees/{}/bank-details", grantee.id),
            grantee.user.as_deref(),
        ),
        200,
    );
    assert_eq!(details["pending"]["account_number"], "****7491");
    assert_eq!(
        details["payment_hold"],
        "bank_details_awaiting_verification"
    );
}

fn a_grantee_without_bank_details_is_told_its_payments_are_held(app: &TestApp) {
    let admin = app.admin();
    let (_, email) = app
        .grantee(&admin, tameside("New Club"), DueDiligence::NotDone)
        .with_user_email(app);
    let mut v = signed_in(app, &email);
    let home = v.get("/").expect(200);
    assert!(home.body.contains("no bank account has been given yet"));
    assert!(home.body.contains("href=\"/organisation/bank-details\""));
    let page = v.get("/organisation/bank-details").expect(200);
    assert!(page.body.contains("No bank account has been verified yet"));
    v.submit(
        "/organisation/bank-details",
        "/organisation/bank-details",
        &[
            ("account_name", "New Club"),
            ("sort_code", "08 99 99"),
            ("account_number", "6637 4958"),
            ("roll_number", "ABC/12345678"),
        ],
    )
    .expect(303);
    let page = v.get("/organisation/bank-details").expect(200);
    assert!(page.body.contains("****4958") && page.body.contains("08-99-99"));
    assert!(
        !page.body.contains("ABC/12345678"),
        "the roll number is masked"
    );
    let home = v.get("/").expect(200);
    assert!(
        home.body
            .contains("Payments are held until a second person")
    );
}

fn only_a_second_administrator_verifies_a_change(app: &TestApp) {
    let first_email = app.user_email(Role::Admin, None);
    let first = app.login(&first_email, grantledger_tests::PASSWORD);
    let (grantee, _) = grantee(app, &first, "Tameside Lunch Club");
    app.enter_bank_details(&first, &grantee, ("10-79-99", "88837491"));

    let mut maker = signed_in(app, &first_email);
    let home = maker.get("/").expect(200);
    assert!(home.body.contains("href=\"/bank-details\""));
    let waiting = maker.get("/bank-details").expect(200);
    let page = format!("/grantees/{}/bank-details", grantee.id);
    assert!(waiting.body.contains(&page), "{}", waiting.body);
    assert!(waiting.body.contains(&first_email));
    let shown = maker.get(&page).expect(200);
    assert!(shown.body.contains("****7491") && !shown.body.contains("88837491"));
    let verify = format!("{page}/verify");
    let refused = maker
        .submit(&page, &verify, &[("verify_note", "called the treasurer")])
        .expect(403);
    assert!(
        refused
            .body
            .contains("another administrator must verify or reject it"),
        "{}",
        refused.body
    );
    assert!(refused.body.contains("There is a problem"), "on the page");

    let mut second = signed_in(app, &app.user_email(Role::Admin, None));
    let no_note = second
        .submit(&page, &verify, &[("verify_note", "")])
        .expect(422);
    assert!(
        no_note.body.contains("href=\"#verify_note\""),
        "{}",
        no_note.body
    );
    let verified = second
        .submit(
            &page,
            &verify,
            &[("verify_note", "called the treasurer on the number we hold")],
        )
        .expect(303);
    let done = second.get(verified.location()).expect(200);
    assert!(done.body.contains("The change is verified"));
    assert!(
        done.body
            .contains("called the treasurer on the number we hold")
    );
    let details = expect(
        app.get(
            &format!("/v1/grantees/{}/bank-details", grantee.id),
            Some(&first),
        ),
        200,
    );
    assert_eq!(details["payment_hold"], serde_json::Value::Null);
    assert_eq!(details["in_force"]["account_number"], "****7491");
    let none = second.get("/bank-details").expect(200);
    assert!(none.body.contains("No changes of bank details are waiting"));
}

fn a_payment_run_needs_a_second_administrator_and_files_are_theirs(app: &TestApp) {
    let (fund, round, _) = fund_with_a_tranche_due(app);
    // A second grantee whose changed details hold its tranche.
    let admin = app.admin();
    let (changed, _) = grantee(app, &admin, "Changed Club");
    let award = app.accepted_award(&round, &changed, "1000.00");
    app.tranche(&round, &award, "300.00", "2026-02-01");
    app.enter_bank_details(&admin, &changed, ("10-79-99", "88837491"));
    let maker_email = app.user_email(Role::Admin, None);
    let mut maker = signed_in(app, &maker_email);
    let home = maker.get("/").expect(200);
    assert!(home.body.contains("href=\"/payment-runs\""));
    let form = maker.get("/payment-runs/new").expect(200);
    assert!(form.body.contains(&fund.id));
    let missing = maker
        .submit("/payment-runs/new", "/payment-runs", &[("due_by", "")])
        .expect(422);
    assert!(
        missing.body.contains("href=\"#fund_id\"") && missing.body.contains("href=\"#due_by\"")
    );
    let made = maker
        .submit(
            "/payment-runs/new",
            "/payment-runs",
            &[
                ("fund_id", &fund.id),
                ("round_id", ""),
                ("due_by", "2026-12-31"),
            ],
        )
        .expect(303);
    let run_page = made.location().split('?').next().unwrap().to_owned();
    let run = run_page.trim_start_matches("/payment-runs/").to_owned();
    let shown = maker.get(made.location()).expect(200);
    assert!(shown.body.contains("The run is made"));
    assert!(shown.body.contains("Tameside Lunch Club") && shown.body.contains("£400.00"));
    assert!(shown.body.contains(&maker_email));
    // Each payment shows the account it would pay, masked.
    assert!(shown.body.contains("08-99-99 ****4958"), "{}", shown.body);
    assert!(!shown.body.contains("66374958"));
    assert!(shown.body.contains("Changed Club") && shown.body.contains("£300.00"));
    assert!(
        shown
            .body
            .contains("New bank details waiting for verification")
    );
    let held_link = format!("href=\"/grantees/{}/bank-details\"", changed.id);
    assert!(shown.body.contains(&held_link));
    let list = maker.get("/payment-runs").expect(200);
    assert!(list.body.contains(&run_page));

    // The maker cannot approve, and a draft has no file.
    let approve = format!("{run_page}/approve");
    let refused = maker.submit(&run_page, &approve, &[]).expect(403);
    assert!(
        refused
            .body
            .contains("a second administrator must approve it"),
        "{}",
        refused.body
    );
    maker
        .get(&format!("{run_page}/file?format=standard18"))
        .expect(409);
    let sure = maker.get(&format!("{run_page}/cancel")).expect(200);
    assert!(
        sure.body.contains("how many: 1; total: £400.00"),
        "{}",
        sure.body
    );
    assert!(sure.body.contains(&format!("action=\"{run_page}/cancel\"")));

    let mut checker = signed_in(app, &app.user_email(Role::Admin, None));
    let approved = checker.submit(&run_page, &approve, &[]).expect(303);
    let page = checker.get(approved.location()).expect(200);
    assert!(page.body.contains("The run is approved"));
    assert!(page.body.contains("file?format=standard18"));
    let file = checker
        .get(&format!("{run_page}/file?format=standard18"))
        .expect(200);
    assert!(file.header("content-disposition").starts_with("attachment"));
    assert_eq!(file.header("cache-control"), "no-store");
    assert!(file.body.ends_with("\r\n"));
    assert!(
        file.body.split_terminator("\r\n").all(|r| r.len() == 100),
        "{}",
        file.body
    );
    assert!(file.body.contains("08999966374958"));
    let csv = checker
        .get(&format!("{run_page}/file?format=bank_csv"))
        .expect(200);
    assert!(csv.body.starts_with("sort_code,account_number"));
    assert_eq!(
        expect(
            app.get(&format!("/v1/payment-runs/{run}"), Some(&app.admin())),
            200
        )["status"],
        "approved"
    );

    // An auditor reads the run but has no buttons and no bank file: only
    // its audit copy, with the account number masked.
    let mut auditor = signed_in(app, &app.user_email(Role::Auditor, None));
    let read = auditor.get(&run_page).expect(200);
    assert!(read.body.contains("£400.00"));
    assert!(read.body.contains("08-99-99 ****4958") && !read.body.contains("66374958"));
    assert!(!read.body.contains("/approve") && !read.body.contains("format=standard18"));
    assert!(!read.body.contains("format=bank_csv"));
    assert!(!read.body.contains("/paid\""));
    assert!(read.body.contains("Changed Club") && !read.body.contains(&held_link));
    auditor
        .get(&format!("{run_page}/file?format=standard18"))
        .expect(403);
    auditor
        .get(&format!("{run_page}/file?format=bank_csv"))
        .expect(403);
    let copy_link = format!("{run_page}/file?format=audit_copy");
    assert!(read.body.contains(&copy_link), "{}", read.body);
    let copy = auditor.get(&copy_link).expect(200);
    assert!(
        copy.header("content-disposition")
            .contains("audit-copy.csv")
    );
    assert_eq!(
        copy.body.lines().collect::<Vec<_>>(),
        [
            "sort_code,account_number,account_name,amount,reference,roll_number",
            &csv.body
                .lines()
                .nth(1)
                .unwrap()
                .replace("66374958", "****4958"),
        ],
        "the bank's CSV, the number masked"
    );
    assert!(!copy.body.contains("66374958"));
    // The API gives auditors the same file.
    let api_copy = app.get(
        &format!("/v1/payment-runs/{run}/audit-copy"),
        Some(&app.auditor()),
    );
    assert_eq!(api_copy.status(), 200);
    assert_eq!(api_copy.text().unwrap(), copy.body);

    // The line is confirmed paid, and the run with it.
    let line = value_after(&page.body, &format!("action=\"{run_page}/lines/"))
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    checker
        .submit(&run_page, &format!("{run_page}/lines/{line}/paid"), &[])
        .expect(303);
    let paid = expect(
        app.get(&format!("/v1/payment-runs/{run}"), Some(&app.admin())),
        200,
    );
    assert_eq!(paid["status"], "confirmed");
}

fn bank_and_payment_pages_follow_the_permission_table(app: &TestApp) {
    let (fund, _, grantee) = fund_with_a_tranche_due(app);
    let admin = app.admin();
    let run = expect(
        app.post(
            "/v1/payment-runs",
            Some(&admin),
            &json!({"fund_id": fund.id, "due_by": "2026-12-31"}),
        ),
        201,
    )["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let own = "/organisation/bank-details".to_owned();
    let waiting = "/bank-details".to_owned();
    let theirs = format!("/grantees/{}/bank-details", grantee.id);
    let runs = "/payment-runs".to_owned();
    let new_run = "/payment-runs/new".to_owned();
    let one_run = format!("/payment-runs/{run}");
    let file = format!("/payment-runs/{run}/file?format=standard18");
    let audit_copy = format!("/payment-runs/{run}/file?format=audit_copy");
    let cancel = format!("/payment-runs/{run}/cancel");
    // (page, grantee, assessor, auditor, admin); the administrator's file
    // and the audit copy are refused only because the run is a draft.
    let table: [(&str, [u16; 4]); 9] = [
        (&own, [200, 403, 403, 403]),
        (&waiting, [403, 403, 403, 200]),
        (&theirs, [403, 403, 403, 200]),
        (&runs, [403, 403, 200, 200]),
        (&new_run, [403, 403, 403, 200]),
        (&one_run, [403, 403, 200, 200]),
        (&file, [403, 403, 403, 409]),
        (&audit_copy, [403, 403, 409, 409]),
        (&cancel, [403, 403, 403, 200]),
    ];
    let grantee_email = app.user_email(
        Role::Grantee,
        Some(grantee.id.parse::<uuid::Uuid>().unwrap().into()),
    );
    let people = [
        grantee_email,
        app.user_email(Role::Assessor, None),
        app.user_email(Role::Auditor, None),
        app.user_email(Role::Admin, None),
    ];
    let posts = [
        own.clone(),
        format!("{theirs}/verify"),
        format!("{theirs}/reject"),
        runs.clone(),
        format!("{one_run}/approve"),
        cancel.clone(),
        format!("{one_run}/lines/{run}/paid"),
        format!("{one_run}/lines/{run}/failed"),
    ];
    let mut anonymous = Visitor::new(app);
    for (page, _) in &table {
        let got = anonymous.get(page).expect(303);
        assert!(got.location().starts_with("/sign-in"), "{page}");
    }
    for post in &posts {
        anonymous.post(post, &[("csrf", "x")]).expect(303);
    }
    for (i, email) in people.iter().enumerate() {
        let mut v = signed_in(app, email);
        let home = v.get("/").expect(200);
        let csrf = home.csrf();
        for (page, statuses) in &table {
            assert_eq!(v.get(page).status, statuses[i], "{email} {page}");
        }
        // The links on the staff home page follow the same table.
        assert_eq!(
            home.body.contains("href=\"/bank-details\""),
            i == 3,
            "{email}"
        );
        assert_eq!(
            home.body.contains("href=\"/payment-runs\""),
            i >= 2,
            "{email}"
        );
        // Only an administrator acts on payments and checks; only the
        // grantee gives its own bank details here.
        for post in &posts {
            let got = v.post(post, &[("csrf", &csrf)]);
            let allowed = if post == &own { i == 0 } else { i == 3 };
            if !allowed {
                assert_eq!(got.status, 403, "{email} {post}: {}", got.body);
            }
        }
    }
    // The administrator, not the run's maker, approved it and then
    // cancelled it through the confirmation page's form.
    let after = expect(
        app.get(&format!("/v1/payment-runs/{run}"), Some(&admin)),
        200,
    );
    assert_eq!(after["status"], "cancelled", "{after}");
}

api_tests!(
    a_grantee_gives_bank_details_and_never_sees_the_number_again,
    a_grantee_without_bank_details_is_told_its_payments_are_held,
    only_a_second_administrator_verifies_a_change,
    a_payment_run_needs_a_second_administrator_and_files_are_theirs,
    bank_and_payment_pages_follow_the_permission_table,
);
