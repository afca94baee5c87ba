//! `grantledger export awards|panel-pack|…` as an operator runs it: the real
//! binary on the demo data set in a fresh SQLite file, writing an XLSX file
//! that reads back with typed cells, and a CSV; a bad round fails naming
//! `--round` and leaves no file behind.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod cli_support;

use cli_support::{Scratch, text};

use calamine::{Data, Reader, Xlsx};

#[test]
fn exports_write_xlsx_and_csv_files() {
    let dir = Scratch::new();
    let demo = dir.run(&["demo"]);
    assert!(demo.status.success(), "{}", text(&demo.stderr));

    let xlsx = dir.0.join("awards.xlsx");
    let out = dir.run(&[
        "export",
        "awards",
        "--fund",
        "lcf",
        "--format",
        "xlsx",
        "--output",
        xlsx.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("exported"),
        "{}",
        text(&out.stderr)
    );
    let mut workbook: Xlsx<_> = calamine::open_workbook(&xlsx).unwrap();
    assert_eq!(workbook.sheet_names(), ["Awards"]);
    let range = workbook.worksheet_range_at(0).unwrap().unwrap();
    let header: Vec<String> = range
        .rows()
        .next()
        .unwrap()
        .iter()
        .map(|c| c.to_string())
        .collect();
    assert_eq!(header[0], "Award reference");
    let amount = header
        .iter()
        .position(|h| h == "Amount awarded (£)")
        .unwrap();
    let awarded = header.iter().position(|h| h == "Awarded (UTC)").unwrap();
    assert!(range.height() > 1, "no awards in the demo fund");
    for row in range.rows().skip(1) {
        assert!(
            matches!(row[amount], Data::Float(f) if f > 0.0),
            "{:?}",
            row[amount]
        );
        assert!(
            matches!(row[awarded], Data::DateTime(_)),
            "{:?}",
            row[awarded]
        );
    }

    let csv = dir.0.join("panel.csv");
    let out = dir.run(&[
        "export",
        "panel-pack",
        "--fund",
        "LCF",
        "--format",
        "csv",
        "--output",
        csv.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let body = std::fs::read_to_string(&csv).unwrap();
    assert!(
        body.starts_with("Application ID,Round,Round name,Applicant,"),
        "{body}"
    );

    let missing = dir.0.join("missing.xlsx");
    let out = dir.run(&[
        "export",
        "tranches",
        "--fund",
        "LCF",
        "--round",
        &uuid::Uuid::now_v7().to_string(),
        "--format",
        "xlsx",
        "--output",
        missing.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("--round"),
        "{}",
        text(&out.stderr)
    );
    assert!(!missing.exists());
    assert_eq!(
        std::fs::read_dir(&dir.0)
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .contains("partial")
            })
            .count(),
        0
    );
}
