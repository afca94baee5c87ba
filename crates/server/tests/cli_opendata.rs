//! `grantledger export 360giving` as an operator runs it: the real binary
//! on the demo data set in a fresh SQLite file. A deployment must name its
//! own publisher prefix; an export with nothing to publish fails without
//! writing a byte; the demo's funders carry their real org ids.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod cli_support;

use std::process::Output;

use cli_support::{Scratch, text};

/// Runs `grantledger ARGS` with no publisher settings from the
/// environment but the prefix given.
fn run(dir: &Scratch, prefix: Option<&str>, args: &[&str]) -> Output {
    let mut command = dir.command(args);
    command
        .env_remove("GRANTLEDGER_360G_PREFIX")
        .env_remove("GRANTLEDGER_360G_PUBLISHER_NAME")
        .env_remove("GRANTLEDGER_360G_DATA_SOURCE");
    if let Some(prefix) = prefix {
        command.env("GRANTLEDGER_360G_PREFIX", prefix);
    }
    command.output().unwrap()
}

#[test]
fn exports_need_a_prefix_and_a_grant_and_name_the_demo_funders_by_their_org_ids() {
    let dir = Scratch::new();
    let demo = run(&dir, None, &["demo"]);
    assert!(demo.status.success(), "{}", text(&demo.stderr));

    // No prefix: refused, nothing written.
    let unconfigured = run(&dir, None, &["export", "360giving", "--format", "json"]);
    assert!(!unconfigured.status.success());
    assert!(unconfigured.stdout.is_empty());
    assert!(
        text(&unconfigured.stderr).contains("GRANTLEDGER_360G_PREFIX"),
        "{}",
        text(&unconfigured.stderr)
    );
    let bad = run(
        &dir,
        Some("360G-x y"),
        &["export", "360giving", "--format", "json"],
    );
    assert!(!bad.status.success());
    assert!(
        text(&bad.stderr).contains("prefix"),
        "{}",
        text(&bad.stderr)
    );

    // The Volunteering Futures Fund has made no awards: refused, nothing written.
    let empty = run(
        &dir,
        Some("demo-funder"),
        &["export", "360giving", "--fund", "VFF", "--format", "csv"],
    );
    assert!(!empty.status.success());
    assert!(empty.stdout.is_empty(), "{}", text(&empty.stdout));
    assert!(
        text(&empty.stderr).contains("at least one grant"),
        "{}",
        text(&empty.stderr)
    );

    let json = run(
        &dir,
        Some("demo-funder"),
        &["export", "360giving", "--fund", "LCF", "--format", "json"],
    );
    assert!(json.status.success(), "{}", text(&json.stderr));
    let package: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let grants = package["grants"].as_array().unwrap();
    // Round 1's four microgrants and the demo grantee's two awards made
    // for the portal's journeys (an offer and an accepted award).
    assert_eq!(grants.len(), 6);
    for grant in grants {
        assert!(
            grant["id"]
                .as_str()
                .unwrap()
                .starts_with("360G-demo-funder-LCF-R1-")
        );
        assert_eq!(
            grant["fundingOrganization"],
            serde_json::json!([
                {"id": "GB-GOR-D5", "name": "Department for Culture, Media and Sport"},
                {"id": "GB-GOR-PB188", "name": "The National Lottery Community Fund"}
            ])
        );
    }
    let recipients: Vec<&str> = grants
        .iter()
        .map(|g| g["recipientOrganization"][0]["id"].as_str().unwrap())
        .collect();
    assert!(recipients.contains(&"GB-COH-09876543"), "{recipients:?}");
    assert!(recipients.contains(&"GB-CHC-1234567"), "{recipients:?}");
    assert!(!text(&json.stdout).contains("GB-CHC-1036733"));
}
