//! `grantledger form …` as an operator runs it: the real binary on the
//! demo data, on SQLite and (when reachable, or required) on PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod cli_support;

use cli_support::{ok_on as ok, run_on as run, text};
use grantledger_store::common::PageRequest;
use grantledger_store::rounds::RoundFilter;
use grantledger_store::testing::TestDb;

/// The demo's open round with a form (LCF round 2) and its upcoming one (VFF round 1).
fn demo_rounds(db: &TestDb) -> (String, String) {
    ok(db, &["demo"]);
    let rounds = db
        .db
        .read(|c| {
            grantledger_store::rounds::list(
                c,
                &RoundFilter::default(),
                PageRequest::new(Some(50), None),
            )
        })
        .unwrap();
    let open = rounds.items.iter().find(|r| r.value.number == 2).unwrap();
    let upcoming = rounds
        .items
        .iter()
        .find(|r| r.value.window.opens_at() > chrono::Utc::now())
        .unwrap();
    (open.value.id.to_string(), upcoming.value.id.to_string())
}

fn an_operator_reads_and_replaces_a_rounds_form(db: &TestDb) {
    let (open, upcoming) = demo_rounds(db);
    let outline = ok(db, &["form", "show", "--round", &open]);
    assert!(outline.starts_with("version 1\n"), "{outline}");
    assert!(
        outline.contains("  budget\tbudget\trequired\t"),
        "{outline}"
    );
    let json: serde_json::Value = serde_json::from_str(&ok(
        db,
        &["form", "show", "--round", &upcoming, "--format", "json"],
    ))
    .unwrap();
    assert_eq!(json["version"], 1);
    assert_eq!(json["sections"][0]["id"], "organisation");

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("form.json");
    std::fs::write(
        &file,
        r#"{"sections": [{"id": "s", "title": "S", "questions": [{"id": "q", "label": "Q?", "type": "yes_no"}]}]}"#,
    )
    .unwrap();
    let path = file.to_str().unwrap();
    let stale = run(db, &["form", "set", "--round", &upcoming, "--file", path]);
    assert!(!stale.status.success());
    assert!(text(&stale.stderr).contains("someone else changed this form"));
    let saved = ok(
        db,
        &[
            "form",
            "set",
            "--round",
            &upcoming,
            "--file",
            path,
            "--replaces",
            "1",
        ],
    );
    assert_eq!(saved.trim(), "version 2 saved");
    let locked = run(
        db,
        &[
            "form",
            "set",
            "--round",
            &open,
            "--file",
            path,
            "--replaces",
            "1",
        ],
    );
    assert!(!locked.status.success());
    assert!(
        text(&locked.stderr).contains("can no longer change"),
        "{}",
        text(&locked.stderr)
    );
    std::fs::write(&file, r#"{"sections": []}"#).unwrap();
    let bad = run(
        db,
        &[
            "form",
            "set",
            "--round",
            &upcoming,
            "--file",
            path,
            "--replaces",
            "2",
        ],
    );
    assert!(
        text(&bad.stderr).contains("1 to 20 sections"),
        "{}",
        text(&bad.stderr)
    );
}

grantledger_store::backend_tests!(an_operator_reads_and_replaces_a_rounds_form);
