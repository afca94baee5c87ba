//! `grantledger panel …` as an operator runs it: the real binary on the
//! demo data, on SQLite and (when reachable, or required) on PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod cli_support;

use cli_support::{ok_on as ok, run_on as run, text};
use grantledger_store::common::PageRequest;
use grantledger_store::rounds::RoundFilter;
use grantledger_store::testing::TestDb;

/// The demo's round 2 (the open one, with its panel).
fn round_2(db: &TestDb) -> String {
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
    rounds
        .items
        .iter()
        .find(|r| r.value.number == 2 && r.value.name == "Round 2")
        .unwrap()
        .value
        .id
        .to_string()
}

fn an_operator_sets_criteria_assigns_and_reads_the_panel(db: &TestDb) {
    let round = round_2(db);
    let shown = ok(db, &["panel", "show", "--round", &round]);
    let lines: Vec<&str> = shown.lines().collect();
    assert_eq!(lines.len(), 3, "{shown}");
    assert!(
        lines.iter().any(|l| l.ends_with("\tdisagree")),
        "the demo's disagreement: {shown}"
    );
    let json: serde_json::Value = serde_json::from_str(&ok(
        db,
        &["panel", "show", "--round", &round, "--format", "json"],
    ))
    .unwrap();
    assert_eq!(json["rows"].as_array().unwrap().len(), 3);

    // Assigning again adds nobody: each application has its two already.
    let assigned = ok(
        db,
        &[
            "panel",
            "assign",
            "--round",
            &round,
            "--per-application",
            "2",
        ],
    );
    assert!(assigned.starts_with("0 assignments made"), "{assigned}");
    let bad = run(
        db,
        &[
            "panel",
            "assign",
            "--round",
            &round,
            "--per-application",
            "11",
        ],
    );
    assert!(!bad.status.success());
    assert!(text(&bad.stderr).contains("11"), "{}", text(&bad.stderr));

    // Scoring has started, so the criteria are locked; a bad file is
    // refused naming the field.
    let dir = std::env::temp_dir().join(format!("gl-panel-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("criteria.json");
    std::fs::write(
        &file,
        r#"{"scale": {"min": 1, "max": 5}, "margin": "1", "criteria": [{"name": "Reach", "weight": 0}]}"#,
    )
    .unwrap();
    let refused = run(
        db,
        &[
            "panel",
            "criteria",
            "--round",
            &round,
            "--file",
            file.to_str().unwrap(),
        ],
    );
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        text(&refused.stderr).contains("criteria[0]"),
        "{}",
        text(&refused.stderr)
    );
    std::fs::write(
        &file,
        r#"{"scale": {"min": 1, "max": 5}, "margin": "1", "criteria": [{"name": "Reach", "weight": 2}]}"#,
    )
    .unwrap();
    let locked = run(
        db,
        &[
            "panel",
            "criteria",
            "--round",
            &round,
            "--file",
            file.to_str().unwrap(),
        ],
    );
    assert_eq!(locked.status.code(), Some(1));
    assert!(
        text(&locked.stderr).contains("started scoring"),
        "{}",
        text(&locked.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

grantledger_store::backend_tests!(an_operator_sets_criteria_assigns_and_reads_the_panel);
