//! `grantledger commitments …` as an operator runs it: the real binary on a
//! fresh SQLite file.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod cli_support;

use cli_support::{Scratch, text};

const REAL: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../tests/fixtures/pledge-tracker-appendix-2.txt"
);

#[test]
fn import_twice_then_report_in_three_formats() {
    let dir = Scratch::new();
    let first = dir.run(&["commitments", "import", REAL]);
    assert!(first.status.success(), "{}", text(&first.stderr));
    assert!(
        text(&first.stderr).contains("61 rows; 61 created"),
        "{}",
        text(&first.stderr)
    );
    let second = dir.run(&["commitments", "import", REAL]);
    assert!(second.status.success());
    assert!(
        text(&second.stderr)
            .contains("0 created, 0 status changed, 0 details changed, 61 unchanged")
    );

    let markdown = dir.run(&["commitments", "report", "--format", "markdown"]);
    assert!(markdown.status.success());
    let markdown = text(&markdown.stdout);
    assert!(markdown.starts_with("# Annual progress report"));
    assert!(markdown.contains("| **Total** | **61** |"));

    let csv = text(
        &dir.run(&["commitments", "report", "--format", "csv"])
            .stdout,
    );
    assert_eq!(csv.lines().filter(|l| l.starts_with("pledge,")).count(), 61);

    let json = dir.run(&["commitments", "report", "--format", "json"]);
    let json: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(json["total"], 61);

    let list = text(
        &dir.run(&["commitments", "list", "--department", "DFE"])
            .stdout,
    );
    assert_eq!(list.lines().count(), 10);
}

#[test]
fn malformed_files_fail_with_the_line_on_stderr_and_change_nothing() {
    let dir = Scratch::new();
    let real = std::fs::read_to_string(REAL).unwrap();
    let mut few = real.lines().take(8).collect::<Vec<_>>().join("\n");
    few.push_str("\n2. A pledge with no columns\n");
    let cases: [(&str, Vec<u8>, &str); 3] = [
        ("few.txt", few.into_bytes(), "line 9: has 1 column"),
        (
            "binary.txt",
            vec![0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a, 0],
            "line 1:",
        ),
        ("empty.txt", Vec::new(), "line 1: the file is empty"),
    ];
    for (name, bytes, expected) in cases {
        let path = dir.0.join(name);
        std::fs::write(&path, bytes).unwrap();
        let out = dir.run(&["commitments", "import", path.to_str().unwrap()]);
        assert!(!out.status.success(), "{name} was accepted");
        let stderr = text(&out.stderr);
        assert!(stderr.contains(expected), "{name}: {stderr}");
        assert!(stderr.contains("nothing was changed"), "{name}: {stderr}");
    }
    let report = dir.run(&["commitments", "report", "--format", "json"]);
    let report: serde_json::Value = serde_json::from_slice(&report.stdout).unwrap();
    assert_eq!(report["total"], 0);

    let missing = dir.run(&["commitments", "import", "no-such-file.txt"]);
    assert!(!missing.status.success());
    assert!(text(&missing.stderr).contains("no-such-file.txt"));
}
