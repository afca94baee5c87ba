//! Commitment store tests, on SQLite and on PostgreSQL.

use chrono::Utc;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use grantledger_domain::commitment::{ChangeSource, CommitmentStatus, Department, parse_tracker};

use crate::commitments::{self, CommitmentFilter};
use crate::common::{Actor, PageRequest};
use crate::error::StoreError;
use crate::schema;
use crate::testing::TestDb;

const REAL: &str = include_str!("../../../tests/fixtures/pledge-tracker-appendix-2.txt");

fn actor() -> Actor {
    Actor::system("test")
}

fn import(db: &TestDb, text: &str) -> grantledger_domain::commitment::ImportSummary {
    let rows = parse_tracker(text.as_bytes()).unwrap();
    db.db
        .write(|c| commitments::import(c, &rows, &actor(), Utc::now()))
        .unwrap()
}

macro_rules! count {
    ($db:expr, $table:expr) => {
        $db.db
            .read(|c| {
                $table
                    .count()
                    .get_result::<i64>(c)
                    .map_err(StoreError::from)
            })
            .unwrap()
    };
}

fn importing_the_real_tracker_twice_changes_nothing_the_second_time(db: &TestDb) {
    let first = import(db, REAL);
    assert_eq!((first.rows, first.created), (61, 61));
    let audit = count!(db, schema::audit_events::table);
    let history = count!(db, schema::commitment_history::table);
    assert_eq!(audit, 61);
    assert_eq!(history, 61);

    let second = import(db, REAL);
    assert_eq!((second.unchanged, second.created), (61, 0));
    assert_eq!(count!(db, schema::audit_events::table), audit);
    assert_eq!(count!(db, schema::commitment_history::table), history);

    let all = db.db.read(commitments::all).unwrap();
    assert_eq!(all.len(), 61);
    let fifties: Vec<_> = all.iter().filter(|c| c.number == 50).collect();
    assert_eq!(fifties.len(), 4);
    assert!(fifties.iter().all(|c| c.departments[0].code() == "DfE"));
    let ten = all.iter().find(|c| c.number == 10).unwrap();
    assert_eq!(ten.status, CommitmentStatus::NotReported);
    let codes: Vec<&str> = ten.departments.iter().map(Department::code).collect();
    assert_eq!(codes, ["DHSC", "NHSE", "DWP"]);
}

fn a_changed_progress_becomes_a_history_entry(db: &TestDb) {
    import(db, REAL);
    let changed = REAL.replace(
        "50. Extend Personal Advisor support to all care leavers to age 25.\tDfE\tCompleted",
        "50. Extend Personal Advisor support to all care leavers to age 25.\tDfE\tIn progress",
    );
    assert_ne!(changed, REAL);
    let summary = import(db, &changed);
    assert_eq!(summary.progress_changed, 1);
    assert_eq!(summary.unchanged, 60);
    let all = db.db.read(commitments::all).unwrap();
    let third = all
        .iter()
        .find(|c| c.number == 50 && c.occurrence == 3)
        .unwrap();
    assert_eq!(third.status, CommitmentStatus::InProgress);
    let history = db.db.read(|c| commitments::history(c, third.id)).unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history[0].status, CommitmentStatus::Completed);
    assert_eq!(history[1].status, CommitmentStatus::InProgress);
    assert_eq!(history[1].source, ChangeSource::Import);
    assert!(
        history[1].note.contains("was \"Completed\""),
        "{}",
        history[1].note
    );
}

fn status_is_set_by_hand_and_survives_reimport(db: &TestDb) {
    import(db, REAL);
    let all = db.db.read(commitments::all).unwrap();
    let first = all.first().unwrap().clone();
    let record = db
        .db
        .write(|c| {
            let before = commitments::get(c, first.id)?;
            let (after, note) = before
                .value
                .set_status(CommitmentStatus::Completed, "Adopted across government")
                .unwrap();
            commitments::set_status(c, &before, &after, &note, &actor(), Utc::now())
        })
        .unwrap();
    assert_eq!(record.value.status, CommitmentStatus::Completed);
    assert_eq!(record.version, 2);
    import(db, REAL);
    let again = db.db.read(|c| commitments::get(c, first.id)).unwrap();
    assert_eq!(again.value.status, CommitmentStatus::Completed);
    let history = db.db.read(|c| commitments::history(c, first.id)).unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history[1].source, ChangeSource::Manual);
    assert_eq!(history[1].note, "Adopted across government");
}

fn lists_filter_by_department_and_status_and_page(db: &TestDb) {
    import(db, REAL);
    let filter = CommitmentFilter {
        department: Some(Department::parse("DFE").unwrap()),
        status: None,
    };
    let page = db
        .db
        .read(|c| commitments::list(c, &filter, PageRequest::new(Some(500), None)))
        .unwrap();
    let numbers: Vec<u32> = page.items.iter().map(|r| r.value.number).collect();
    assert_eq!(numbers, [22, 23, 36, 37, 40, 41, 50, 50, 50, 50]);

    let filter = CommitmentFilter {
        department: Some(Department::parse("dcms").unwrap()),
        status: Some(CommitmentStatus::Completed),
    };
    let page = db
        .db
        .read(|c| commitments::list(c, &filter, PageRequest::new(Some(500), None)))
        .unwrap();
    assert!(!page.items.is_empty());
    assert!(
        page.items
            .iter()
            .all(|r| r.value.status == CommitmentStatus::Completed
                && r.value.departments.iter().any(|d| d.code() == "DCMS"))
    );

    let mut seen = 0;
    let mut after = None;
    loop {
        let page = db
            .db
            .read(|c| {
                commitments::list(
                    c,
                    &CommitmentFilter::default(),
                    PageRequest::new(Some(25), after),
                )
            })
            .unwrap();
        seen += page.items.len();
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    assert_eq!(seen, 61);
}

fn a_failed_import_leaves_nothing(db: &TestDb) {
    let rows = parse_tracker(REAL.as_bytes()).unwrap();
    let result: Result<(), StoreError> = db.db.write(|c| {
        commitments::import(c, &rows, &actor(), Utc::now())?;
        Err(StoreError::Conflict("changed my mind".into()))
    });
    assert!(result.is_err());
    assert_eq!(count!(db, schema::commitments::table), 0);
    assert_eq!(count!(db, schema::commitment_departments::table), 0);
    assert_eq!(count!(db, schema::commitment_history::table), 0);
    assert_eq!(count!(db, schema::audit_events::table), 0);
}

fn history_rows_cannot_be_changed_or_removed(db: &TestDb) {
    import(db, REAL);
    for statement in [
        "UPDATE commitment_history SET note = 'rewritten'",
        "DELETE FROM commitment_history",
    ] {
        let result = db
            .db
            .read(|c| c.batch_execute(statement).map_err(StoreError::from));
        let message = format!("{result:?}");
        assert!(
            result.is_err() && message.contains("append-only"),
            "{statement}: {message}"
        );
    }
}

crate::backend_tests!(
    importing_the_real_tracker_twice_changes_nothing_the_second_time,
    a_changed_progress_becomes_a_history_entry,
    status_is_set_by_hand_and_survives_reimport,
    lists_filter_by_department_and_status_and_page,
    a_failed_import_leaves_nothing,
    history_rows_cannot_be_changed_or_removed,
);
