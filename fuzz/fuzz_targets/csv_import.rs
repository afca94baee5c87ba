//! The CSV imports (grantees, award decisions): `parse_grantees` and
//! `parse_award_decisions`, which read and check every row before anything
//! touches the database. The first byte picks the file kind. Arbitrary
//! bytes give rows or errors naming a line, never a panic.
#![no_main]

use grantledger_domain::import::{parse_award_decisions, parse_grantees};
use libfuzzer_sys::fuzz_target;

fn check_lines(lines: impl Iterator<Item = u64>, last: u64) {
    let mut previous = 0;
    for line in lines {
        assert!(line >= 1, "line {line}");
        // Quoted fields may span lines, so a row's line is where it starts.
        assert!(line <= last, "line {line} of {last}");
        assert!(
            line >= previous,
            "lines out of order: {line} after {previous}"
        );
        previous = line;
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, file)) = data.split_first() else {
        return;
    };
    let last =
        u64::try_from(file.split(|b| *b == b'\n' || *b == b'\r').count()).unwrap_or(u64::MAX);
    if which % 2 == 0 {
        match parse_grantees(file) {
            Ok(rows) => check_lines(rows.iter().map(|r| r.line), last),
            Err(errors) => {
                assert!(!errors.0.is_empty());
                assert!(errors.0.iter().all(|e| !e.message.is_empty()));
                check_lines(errors.0.iter().map(|e| e.line), last);
            }
        }
    } else {
        match parse_award_decisions(file) {
            Ok(rows) => check_lines(rows.iter().map(|r| r.line), last),
            Err(errors) => {
                assert!(!errors.0.is_empty());
                assert!(errors.0.iter().all(|e| !e.message.is_empty()));
                check_lines(errors.0.iter().map(|e| e.line), last);
            }
        }
    }
});
