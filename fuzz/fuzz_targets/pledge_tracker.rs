//! The pledge-tracker import (`parse_tracker`, then the import plan and the
//! progress report built from it). Arbitrary bytes give rows or errors that
//! name a line, never a panic; a file that parsed imports idempotently and
//! reports every row.
#![no_main]

use chrono::Utc;
use grantledger_domain::commitment::{Commitment, ProgressReport, parse_tracker, plan_import};
use grantledger_domain::ids::CommitmentId;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let lines = u32::try_from(data.split(|b| *b == b'\n').count()).unwrap_or(u32::MAX);
    match parse_tracker(data) {
        Ok(rows) => {
            let mut previous = 0;
            for row in &rows {
                assert!(
                    row.line > previous && row.line <= lines,
                    "row line {}",
                    row.line
                );
                previous = row.line;
                assert!(row.occurrence >= 1);
                assert!(!row.departments.is_empty());
                let _ = row.status();
            }
            let held: Vec<Commitment> = rows
                .iter()
                .map(|row| Commitment::from_row(CommitmentId::new(), row))
                .collect();
            assert!(plan_import(&held, &rows, CommitmentId::new).changes_nothing());
            let report = ProgressReport::new(&held, Utc::now());
            assert_eq!(report.csv_records().len(), rows.len());
            let _ = report.to_markdown();
        }
        Err(errors) => {
            assert!(!errors.0.is_empty());
            for error in &errors.0 {
                assert!(
                    error.line >= 1 && error.line <= lines,
                    "error line {}",
                    error.line
                );
                assert!(!error.message.is_empty());
            }
        }
    }
});
