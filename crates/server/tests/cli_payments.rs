//! `grantledger bank-details …` and `grantledger payment-runs …` as an
//! operator runs them: the real binary on the demo data, on SQLite and
//! (when reachable, or required) on PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod cli_support;

use std::process::{Command, Output};

use cli_support::text;
use grantledger_domain::user::Email;
use grantledger_store::bank_details::{DEMO_KEY, DEMO_KEY_ID, Keyring};
use grantledger_store::testing::TestDb;

const ADMIN: &str = "admin@demo.grantledger.org";
const TREASURER: &str = "treasurer@demo.grantledger.org";
const GRANTEE: &str = "grantee@demo.grantledger.org";

/// `grantledger ARGS` on the test database, under the demo bank key, with
/// no other bank or Bacs setting taken from the environment.
fn gl(db: &TestDb, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_grantledger"));
    command
        .args(args)
        .env("DATABASE_URL", &db.url)
        .env("GRANTLEDGER_BANK_KEY", DEMO_KEY)
        .env("GRANTLEDGER_BANK_KEY_ID", DEMO_KEY_ID)
        .env_remove("GRANTLEDGER_BANK_PREVIOUS_KEYS")
        .env_remove("GRANTLEDGER_ACCOUNT_NUMBER")
        .env_remove("RUST_LOG");
    for name in [
        "GRANTLEDGER_BACS_SUN",
        "GRANTLEDGER_BACS_SORT_CODE",
        "GRANTLEDGER_BACS_ACCOUNT_NUMBER",
        "GRANTLEDGER_BACS_NAME",
    ] {
        command.env_remove(name);
    }
    command
}

fn run(db: &TestDb, args: &[&str]) -> Output {
    gl(db, args).output().unwrap()
}

/// Runs a command that must succeed, returning its standard output.
fn ok(db: &TestDb, args: &[&str]) -> String {
    let out = run(db, args);
    assert!(
        out.status.success(),
        "{args:?} failed: {}",
        text(&out.stderr)
    );
    text(&out.stdout)
}

/// Runs a command that must fail with status 1, returning its standard error.
fn refused(db: &TestDb, args: &[&str]) -> String {
    let out = run(db, args);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{args:?} did not fail: {}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    text(&out.stderr)
}

/// Loads the demo and returns the demo grantee's id (it has no bank details).
fn demo(db: &TestDb) -> String {
    ok(db, &["demo"]);
    let email = Email::parse(GRANTEE).unwrap();
    let (user, _) = db
        .db
        .read(|c| grantledger_store::users::find_for_login(c, &email))
        .unwrap()
        .unwrap();
    user.value.grantee_id.unwrap().to_string()
}

fn tomorrow() -> String {
    (chrono::Utc::now().date_naive() + chrono::Duration::days(1)).to_string()
}

fn payment_runs_need_two_administrators(db: &TestDb) {
    let grantee = demo(db);
    let due_by = tomorrow();
    let create = [
        "payment-runs",
        "create",
        "--fund",
        "LCF",
        "--due-by",
        &due_by,
    ];
    assert!(refused(db, &create).contains("needs --as EMAIL"));
    let mut as_admin = create.to_vec();
    as_admin.extend(["--as", ADMIN]);
    let run = ok(db, &as_admin).trim().to_owned();

    let show = ok(db, &["payment-runs", "show", &run]);
    assert!(show.contains("status: draft"), "{show}");
    assert!(show.contains("held: 1"), "{show}");
    assert!(show.contains("no_bank_details"), "{show}");
    let json: serde_json::Value =
        serde_json::from_str(&ok(db, &["payment-runs", "show", &run, "--format", "json"])).unwrap();
    assert_eq!(json["held"][0]["grantee_id"], grantee.as_str());
    assert_eq!(json["held"][0]["reason"], "no_bank_details");
    let lines = json["lines"].as_array().unwrap();
    assert!(!lines.is_empty());

    let draft_export = refused(db, &["payment-runs", "export", &run]);
    assert!(draft_export.contains("approve"), "{draft_export}");
    let maker = refused(db, &["payment-runs", "approve", &run, "--as", ADMIN]);
    assert!(
        maker.contains("another administrator must approve it"),
        "{maker}"
    );
    let grantee_user = refused(db, &["payment-runs", "approve", &run, "--as", GRANTEE]);
    assert!(
        grantee_user.contains("your role (grantee)"),
        "{grantee_user}"
    );
    let stranger = refused(
        db,
        &[
            "payment-runs",
            "approve",
            &run,
            "--as",
            "nobody@example.org",
        ],
    );
    assert!(stranger.contains("no user"), "{stranger}");
    let approved = ok(db, &["payment-runs", "approve", &run, "--as", TREASURER]);
    assert!(approved.contains("status: approved"), "{approved}");
    assert!(ok(db, &["payment-runs", "list"]).contains(&format!("{run}\tapproved")));
    let listed: serde_json::Value =
        serde_json::from_str(&ok(db, &["payment-runs", "list", "--format", "json"])).unwrap();
    assert!(
        listed
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["id"] == run.as_str() && r["status"] == "approved"),
        "{listed}"
    );

    let no_originator = refused(db, &["payment-runs", "export", &run]);
    assert!(
        no_originator.contains("GRANTLEDGER_BACS_SUN"),
        "{no_originator}"
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("run.std18.txt");
    let export = gl(
        db,
        &[
            "payment-runs",
            "export",
            &run,
            "--output",
            file.to_str().unwrap(),
        ],
    )
    .env("GRANTLEDGER_BACS_SUN", "900001")
    .env("GRANTLEDGER_BACS_SORT_CODE", "20-00-00")
    .env("GRANTLEDGER_BACS_ACCOUNT_NUMBER", "55779911")
    .env("GRANTLEDGER_BACS_NAME", "LOCAL CONNECTIONS")
    .output()
    .unwrap();
    assert!(export.status.success(), "{}", text(&export.stderr));
    assert!(export.stdout.is_empty());
    let bytes = std::fs::read(&file).unwrap();
    let std18 = std::str::from_utf8(&bytes).unwrap();
    assert!(std18.starts_with("VOL1"), "{std18}");
    let records: Vec<&str> = std18.strip_suffix("\r\n").unwrap().split("\r\n").collect();
    assert!(records.len() > lines.len(), "{std18}");
    for record in records {
        assert_eq!(record.len(), 100, "{record:?}");
    }
    let csv = ok(
        db,
        &["payment-runs", "export", &run, "--format", "bank-csv"],
    );
    assert_eq!(csv.lines().count(), lines.len() + 1, "{csv}");
    // The audit copy: the same rows with each account number masked.
    let copy = ok(
        db,
        &["payment-runs", "export", &run, "--format", "audit-copy"],
    );
    let masked: Vec<String> = csv
        .lines()
        .map(|row| {
            let mut cells: Vec<String> = row.split(',').map(str::to_owned).collect();
            if cells[1] != "account_number" {
                cells[1] = format!("****{}", &cells[1][4..]);
            }
            cells.join(",")
        })
        .collect();
    assert_eq!(copy.lines().collect::<Vec<_>>(), masked, "{copy}");

    let first = lines[0]["disbursement_id"].as_str().unwrap();
    assert!(refused(db, &["payment-runs", "paid", &run, first]).contains("--as"));
    let paid = ok(
        db,
        &["payment-runs", "paid", &run, first, "--as", TREASURER],
    );
    assert!(paid.contains("paid"), "{paid}");
    // A line paid: the run can no longer be cancelled, and the rest is
    // confirmed in one step.
    let cancel = refused(db, &["payment-runs", "cancel", &run, "--as", ADMIN]);
    assert!(!cancel.is_empty());
    let confirmed = ok(db, &["payment-runs", "confirm", &run, "--as", ADMIN]);
    assert!(confirmed.contains("status: confirmed"), "{confirmed}");
}

fn bank_details_need_two_people_and_stay_masked(db: &TestDb) {
    let grantee = demo(db);
    let show = ["bank-details", "show", "--grantee", &grantee];
    assert!(ok(db, &show).contains("payments: held (no_bank_details)"));
    let enter = |who: &'static str| {
        let mut args = vec![
            "bank-details",
            "enter",
            "--grantee",
            &grantee,
            "--account-name",
            "Made by Mortals CIC",
            "--sort-code",
            "20-00-00",
            "--account-number",
            "55779911",
        ];
        if !who.is_empty() {
            args.extend(["--as", who]);
        }
        run(db, &args)
    };
    let anonymous = enter("");
    assert!(!anonymous.status.success());
    assert!(text(&anonymous.stderr).contains("needs --as EMAIL"));
    // A grantee user enters only its own organisation's details.
    let other = db
        .db
        .read(grantledger_store::grantees::all)
        .unwrap()
        .into_iter()
        .map(|g| g.value.id.to_string())
        .find(|id| *id != grantee)
        .unwrap();
    let elsewhere = refused(
        db,
        &[
            "bank-details",
            "enter",
            "--grantee",
            &other,
            "--as",
            GRANTEE,
            "--account-name",
            "Someone Else",
            "--sort-code",
            "20-00-00",
            "--account-number",
            "55779911",
        ],
    );
    assert!(elsewhere.contains("not found"), "{elsewhere}");
    let entered = enter(GRANTEE);
    assert!(entered.status.success(), "{}", text(&entered.stderr));
    let entered = text(&entered.stdout);
    assert!(entered.contains("****9911"), "{entered}");
    assert!(!entered.contains("55779911"), "{entered}");
    assert!(ok(db, &["bank-details", "waiting"]).contains(&grantee));
    let waiting: serde_json::Value =
        serde_json::from_str(&ok(db, &["bank-details", "waiting", "--format", "json"])).unwrap();
    assert_eq!(waiting[0]["grantee_id"], grantee.as_str());

    let decide = |verb: &str, who: &str| -> Vec<String> {
        [
            "bank-details",
            verb,
            "--grantee",
            &grantee,
            "--note",
            "called the treasurer on the number we hold",
            "--as",
            who,
        ]
        .map(str::to_owned)
        .to_vec()
    };
    let args = decide("verify", GRANTEE);
    let same = refused(db, &args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(
        same.contains("cannot verify or reject bank details"),
        "{same}"
    );
    let args = decide("verify", TREASURER);
    ok(db, &args.iter().map(String::as_str).collect::<Vec<_>>());
    let shown = ok(db, &show);
    assert!(shown.contains("payments: not held"), "{shown}");
    assert!(shown.contains("20-00-00 ****9911"), "{shown}");
    assert!(!shown.contains("55779911"), "{shown}");
    assert!(
        !ok(db, &["bank-details", "waiting"]).contains(&grantee),
        "still waiting"
    );

    // An administrator who enters a change cannot verify it either; a
    // rejection leaves the verified account in force.
    assert!(enter(ADMIN).status.success());
    let args = decide("verify", ADMIN);
    let own = refused(db, &args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(
        own.contains("other than the person who entered them"),
        "{own}"
    );
    let args = decide("reject", TREASURER);
    ok(db, &args.iter().map(String::as_str).collect::<Vec<_>>());
    let shown = ok(db, &show);
    assert!(shown.contains("in force: Made by Mortals CIC"), "{shown}");
    assert!(shown.contains("waiting for verification: none"), "{shown}");
}

fn rekey_reseals_every_account_under_the_new_key(db: &TestDb) {
    let grantee = demo(db);
    let new_key = format!(
        "{}{}",
        uuid::Uuid::now_v7().simple(),
        uuid::Uuid::now_v7().simple()
    );
    let wrong_key = format!(
        "{}{}",
        uuid::Uuid::now_v7().simple(),
        uuid::Uuid::now_v7().simple()
    );
    let with_keys = |args: &[&str], key: &str, previous: Option<&str>| {
        let mut command = gl(db, args);
        command
            .env("GRANTLEDGER_BANK_KEY", key)
            .env("GRANTLEDGER_BANK_KEY_ID", "k2");
        if let Some(previous) = previous {
            command.env("GRANTLEDGER_BANK_PREVIOUS_KEYS", previous);
        }
        command.output().unwrap()
    };
    let show = ["bank-details", "show", "--grantee", &grantee];
    let rekey = ["bank-details", "rekey"];

    // The new key alone cannot read what the demo sealed: named, refused.
    let before = with_keys(&show, &new_key, None);
    assert_eq!(before.status.code(), Some(1));
    assert!(
        text(&before.stderr).contains("\"demo\""),
        "{}",
        text(&before.stderr)
    );

    let previous = format!("{DEMO_KEY_ID}={DEMO_KEY}");
    let first = with_keys(&rekey, &new_key, Some(&previous));
    assert!(first.status.success(), "{}", text(&first.stderr));
    let count: usize = text(&first.stdout).trim().parse().unwrap();
    assert!(count >= 2, "the demo seals two accounts: {count}");
    let again = with_keys(&rekey, &new_key, Some(&previous));
    assert_eq!(text(&again.stdout).trim(), "0");

    // No row is left under the demo key: a keyring without it opens them all.
    let only_new = Keyring::new("k2", &new_key, &[]).unwrap();
    db.db
        .read(|c| grantledger_store::bank_details::check_keys(c, &only_new))
        .unwrap();
    let after = with_keys(&show, &new_key, None);
    assert!(after.status.success(), "{}", text(&after.stderr));
    assert!(text(&after.stdout).contains("payments: held (no_bank_details)"));

    let wrong = with_keys(&show, &wrong_key, None);
    assert_eq!(wrong.status.code(), Some(1));
    assert!(wrong.stdout.is_empty(), "{}", text(&wrong.stdout));
    let message = text(&wrong.stderr);
    assert!(
        message.contains("\"k2\"") && message.contains("wrong key"),
        "{message}"
    );
    let old = refused(db, &show);
    assert!(
        old.contains("\"k2\"") && old.contains("not configured"),
        "{old}"
    );
}

grantledger_store::backend_tests!(
    payment_runs_need_two_administrators,
    bank_details_need_two_people_and_stay_masked,
    rekey_reseals_every_account_under_the_new_key,
);
