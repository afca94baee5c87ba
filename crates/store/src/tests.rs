//! Store tests: every body runs on SQLite and on PostgreSQL (see
//! [`crate::backend_tests`]), which also checks the hand-written schema
//! against both migration sets.

use chrono::{Duration, TimeZone, Utc};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use grantledger_domain::Money;
use grantledger_domain::fund::{Fund, FundName, FundStatus, Funder};
use grantledger_domain::grantee::{
    DueDiligence, DueDiligenceOutcome, Grantee, LocalAuthority, OrganisationName, OrganisationType,
    Postcode, Region,
};
use grantledger_domain::ids::{FundId, GranteeId, RoundId, UserId};
use grantledger_domain::ledger::Account;
use grantledger_domain::org_id::OrgId;
use grantledger_domain::reference::FundCode;
use grantledger_domain::round::{Eligibility, GrantRange, Round, RoundWindow};
use grantledger_domain::user::{Email, Role, User};

use crate::common::{Actor, PageRequest};
use crate::connection::BackendKind;
use crate::error::StoreError;
use crate::testing::TestDb;
use crate::{award_numbers, funds, grantees, ledger, rounds, schema, users};

fn m(s: &str) -> Money {
    Money::parse(s).unwrap()
}

fn actor() -> Actor {
    Actor::system("test")
}

fn lcf(code: &str) -> Fund {
    Fund::new(
        FundId::new(),
        FundCode::parse(code).unwrap(),
        FundName::parse("Local Connections Fund").unwrap(),
        None,
        vec![
            Funder {
                name: OrganisationName::parse("DCMS").unwrap(),
                org_id: None,
                contribution: m("2000000.00"),
            },
            Funder {
                name: OrganisationName::parse("The National Lottery Community Fund").unwrap(),
                org_id: Some(OrgId::parse("GB-CHC-1036733").unwrap()),
                contribution: m("2000000.00"),
            },
        ],
    )
    .unwrap()
}

fn round(fund: &Fund, number: u16, allocation: &str) -> Round {
    let opens = Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap();
    Round::new(
        RoundId::new(),
        fund.id,
        number,
        format!("Round {number}"),
        RoundWindow::new(opens, opens + Duration::days(42)).unwrap(),
        m(allocation),
        GrantRange::new(m("500.00"), m("2500.00")).unwrap(),
        Eligibility {
            organisation_types: vec![
                OrganisationType::CommunityGroup,
                OrganisationType::RegisteredCharity,
            ],
            max_annual_income: Some(m("50000.00")),
            regions: vec![],
            one_application_per_organisation: false,
        },
    )
    .unwrap()
}

fn grantee(org_id: Option<&str>) -> Grantee {
    Grantee {
        id: GranteeId::new(),
        name: OrganisationName::parse("Friends of Moss Side Library").unwrap(),
        org_id: org_id.map(|o| OrgId::parse(o).unwrap()),
        organisation_type: OrganisationType::CommunityGroup,
        region: Region::NorthWest,
        local_authority: LocalAuthority::parse("Manchester").unwrap(),
        postcode: Postcode::parse("m14 4pw").unwrap(),
        annual_income: m("12000.00"),
        due_diligence: DueDiligence::pending(),
    }
}

fn count_audit(db: &TestDb) -> i64 {
    db.db
        .read(|c| {
            schema::audit_events::table
                .count()
                .get_result::<i64>(c)
                .map_err(StoreError::from)
        })
        .unwrap()
}

fn fund_round_trips_with_funders_and_ledger(db: &TestDb) {
    let fund = lcf("LCF");
    let stored = db
        .db
        .write(|c| funds::create(c, &fund, &actor(), Utc::now()))
        .unwrap();
    assert_eq!(stored.value, fund);
    assert_eq!(stored.version, 1);
    assert_eq!(db.db.read(|c| funds::get(c, fund.id)).unwrap().value, fund);
    assert_eq!(
        db.db.read(|c| funds::find(c, "lcf")).unwrap().value.id,
        fund.id
    );
    assert_eq!(
        db.db
            .read(|c| funds::find(c, &fund.id.to_string()))
            .unwrap()
            .value
            .id,
        fund.id
    );
    let unallocated = db
        .db
        .read(|c| ledger::balance(c, &Account::FundUnallocated(fund.id)))
        .unwrap();
    assert_eq!(unallocated, m("4000000.00"));
    assert_eq!(count_audit(db), 1);
    let missing = db.db.read(|c| funds::find(c, "NOPE"));
    assert!(matches!(
        missing,
        Err(StoreError::NotFound { entity: "fund" })
    ));
}

fn duplicate_fund_code_is_a_conflict_and_writes_nothing(db: &TestDb) {
    db.db
        .write(|c| funds::create(c, &lcf("LCF"), &actor(), Utc::now()))
        .unwrap();
    let again = db
        .db
        .write(|c| funds::create(c, &lcf("LCF"), &actor(), Utc::now()));
    assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
    assert_eq!(count_audit(db), 1);
}

fn lists_page_by_cursor_and_filter(db: &TestDb) {
    let codes = ["AA", "BB", "CC", "DD", "EE"];
    for code in codes {
        db.db
            .write(|c| funds::create(c, &lcf(code), &actor(), Utc::now()))
            .unwrap();
    }
    let first = db
        .db
        .read(|c| funds::list(c, &Default::default(), PageRequest::new(Some(2), None)))
        .unwrap();
    assert_eq!(first.items.len(), 2);
    let second = db
        .db
        .read(|c| {
            funds::list(
                c,
                &Default::default(),
                PageRequest::new(Some(2), first.next),
            )
        })
        .unwrap();
    let third = db
        .db
        .read(|c| {
            funds::list(
                c,
                &Default::default(),
                PageRequest::new(Some(2), second.next),
            )
        })
        .unwrap();
    assert_eq!(third.items.len(), 1);
    assert_eq!(third.next, None);
    let seen: Vec<String> = [first, second, third]
        .iter()
        .flat_map(|p| p.items.iter().map(|r| r.value.code.to_string()))
        .collect();
    assert_eq!(seen, codes);
    let filter = funds::FundFilter {
        status: Some(FundStatus::Open),
    };
    assert!(
        db.db
            .read(|c| funds::list(c, &filter, PageRequest::default()))
            .unwrap()
            .items
            .is_empty()
    );
}

fn stale_versions_are_refused(db: &TestDb) {
    let fund = lcf("LCF");
    let v1 = db
        .db
        .write(|c| funds::create(c, &fund, &actor(), Utc::now()))
        .unwrap();
    let opened = v1.value.open().unwrap();
    let v2 = db
        .db
        .write(|c| funds::save(c, &v1, &opened, "fund.opened", &actor(), Utc::now()))
        .unwrap();
    assert_eq!(v2.version, 2);
    assert_eq!(v2.value.status, FundStatus::Open);
    let again = db
        .db
        .write(|c| funds::save(c, &v1, &opened, "fund.opened", &actor(), Utc::now()));
    assert!(
        matches!(again, Err(StoreError::StaleVersion { expected: 1, .. })),
        "{again:?}"
    );
}

fn rounds_take_their_allocation_from_the_fund(db: &TestDb) {
    let fund = lcf("LCF");
    db.db
        .write(|c| funds::create(c, &fund, &actor(), Utc::now()))
        .unwrap();
    let r1 = round(&fund, 1, "2500000.00");
    let stored = db
        .db
        .write(|c| rounds::create(c, &r1, &actor(), Utc::now()))
        .unwrap();
    assert_eq!(stored.value, r1);
    let audit_before = count_audit(db);
    // 1.5m is left; 1.5m + 0.01 must be refused with nothing written.
    let too_big = round(&fund, 2, "1500000.01");
    let refused = db
        .db
        .write(|c| rounds::create(c, &too_big, &actor(), Utc::now()));
    match refused {
        Err(StoreError::Conflict(msg)) => assert!(msg.contains("1500000.00"), "{msg}"),
        other => panic!("expected a conflict, got {other:?}"),
    }
    assert!(matches!(
        db.db.read(|c| rounds::get(c, too_big.id)),
        Err(StoreError::NotFound { .. })
    ));
    assert_eq!(count_audit(db), audit_before);
    let r2 = round(&fund, 2, "1500000.00");
    db.db
        .write(|c| rounds::create(c, &r2, &actor(), Utc::now()))
        .unwrap();
    let left = db
        .db
        .read(|c| ledger::balance(c, &Account::FundUnallocated(fund.id)))
        .unwrap();
    assert_eq!(left, Money::ZERO);
    assert_eq!(db.db.read(|c| rounds::next_number(c, fund.id)).unwrap(), 3);
    // Budget cannot now drop below what the rounds hold.
    let before = db.db.read(|c| funds::get(c, fund.id)).unwrap();
    let mut smaller = before.value.clone();
    smaller.funders.truncate(1);
    smaller.budget = m("2000000.00");
    let refused = db
        .db
        .write(|c| funds::save(c, &before, &smaller, "fund.updated", &actor(), Utc::now()));
    assert!(
        matches!(refused, Err(StoreError::Conflict(_))),
        "{refused:?}"
    );
    assert_eq!(
        db.db
            .read(|c| funds::get(c, fund.id))
            .unwrap()
            .value
            .funders
            .len(),
        2
    );
}

fn round_allocation_changes_move_money_both_ways(db: &TestDb) {
    let fund = lcf("LCF");
    db.db
        .write(|c| funds::create(c, &fund, &actor(), Utc::now()))
        .unwrap();
    let r1 = round(&fund, 1, "1000000.00");
    let v1 = db
        .db
        .write(|c| rounds::create(c, &r1, &actor(), Utc::now()))
        .unwrap();
    let mut lower = v1.value.clone();
    lower.allocation = m("400000.00");
    let v2 = db
        .db
        .write(|c| rounds::save(c, &v1, &lower, &actor(), Utc::now()))
        .unwrap();
    assert_eq!(v2.value.allocation, m("400000.00"));
    assert_eq!(
        db.db
            .read(|c| ledger::balance(c, &Account::RoundAvailable(r1.id)))
            .unwrap(),
        m("400000.00")
    );
    assert_eq!(
        db.db
            .read(|c| ledger::balance(c, &Account::FundUnallocated(fund.id)))
            .unwrap(),
        m("3600000.00")
    );
    let mut higher = v2.value.clone();
    higher.allocation = m("4000000.01");
    let refused = db
        .db
        .write(|c| rounds::save(c, &v2, &higher, &actor(), Utc::now()));
    assert!(
        matches!(refused, Err(StoreError::Conflict(_))),
        "{refused:?}"
    );
    assert_eq!(db.db.read(|c| rounds::get(c, r1.id)).unwrap().version, 2);
}

fn grantees_round_trip_and_org_ids_are_unique(db: &TestDb) {
    let g = grantee(Some("GB-CHC-1234567"));
    let stored = db
        .db
        .write(|c| grantees::create(c, &g, &actor(), Utc::now()))
        .unwrap();
    assert_eq!(stored.value, g);
    let twin = grantee(Some("GB-CHC-1234567"));
    assert!(matches!(
        db.db
            .write(|c| grantees::create(c, &twin, &actor(), Utc::now())),
        Err(StoreError::Conflict(_))
    ));
    let group = grantee(None);
    db.db
        .write(|c| grantees::create(c, &group, &actor(), Utc::now()))
        .unwrap();
    // Due diligence with who and when survives the round trip.
    let at =
        Utc.with_ymd_and_hms(2026, 2, 1, 10, 30, 15).unwrap() + Duration::microseconds(123_456);
    let passed = g
        .record_due_diligence(DueDiligenceOutcome::Passed, UserId::new(), at)
        .unwrap();
    let v2 = db
        .db
        .write(|c| {
            grantees::save(
                c,
                &stored,
                &passed,
                "grantee.due_diligence",
                &actor(),
                Utc::now(),
            )
        })
        .unwrap();
    assert_eq!(v2.value, passed);
    let filter = grantees::GranteeFilter {
        region: Some(Region::NorthWest),
        ..Default::default()
    };
    assert_eq!(
        db.db
            .read(|c| grantees::list(c, &filter, PageRequest::default()))
            .unwrap()
            .items
            .len(),
        2
    );
    let only = grantees::GranteeFilter {
        only: Some(group.id),
        ..Default::default()
    };
    let page = db
        .db
        .read(|c| grantees::list(c, &only, PageRequest::default()))
        .unwrap();
    assert_eq!(
        page.items.iter().map(|r| r.value.id).collect::<Vec<_>>(),
        vec![group.id]
    );
}

fn users_round_trip_and_emails_are_unique(db: &TestDb) {
    let g = grantee(None);
    db.db
        .write(|c| grantees::create(c, &g, &actor(), Utc::now()))
        .unwrap();
    let user = User::new(
        UserId::new(),
        Email::parse("Chair@Example.org").unwrap(),
        Role::Grantee,
        Some(g.id),
    )
    .unwrap();
    db.db
        .write(|c| users::create(c, &user, "$argon2id$hash", &actor(), Utc::now()))
        .unwrap();
    let (found, hash) = db
        .db
        .read(|c| users::find_for_login(c, &Email::parse("chair@example.org").unwrap()))
        .unwrap()
        .unwrap();
    assert_eq!(found.value, user);
    assert_eq!(hash, "$argon2id$hash");
    let twin = User::new(
        UserId::new(),
        Email::parse("chair@example.org").unwrap(),
        Role::Admin,
        None,
    )
    .unwrap();
    assert!(matches!(
        db.db
            .write(|c| users::create(c, &twin, "x", &actor(), Utc::now())),
        Err(StoreError::Conflict(_))
    ));
    assert!(
        db.db
            .read(|c| users::find_for_login(c, &Email::parse("nobody@example.org").unwrap()))
            .unwrap()
            .is_none()
    );
}

fn ledger_and_audit_rows_cannot_be_changed_or_removed(db: &TestDb) {
    db.db
        .write(|c| funds::create(c, &lcf("LCF"), &actor(), Utc::now()))
        .unwrap();
    for statement in [
        "UPDATE ledger_transfers SET amount_pence = 1",
        "DELETE FROM ledger_transfers",
        "UPDATE audit_events SET actor = 'someone else'",
        "DELETE FROM audit_events",
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

fn a_failed_write_leaves_nothing_behind(db: &TestDb) {
    let fund = lcf("LCF");
    let result: Result<(), StoreError> = db.db.write(|c| {
        funds::create(c, &fund, &actor(), Utc::now())?;
        Err(StoreError::Conflict("changed my mind".into()))
    });
    assert!(result.is_err());
    assert!(matches!(
        db.db.read(|c| funds::get(c, fund.id)),
        Err(StoreError::NotFound { .. })
    ));
    assert_eq!(count_audit(db), 0);
    let transfers: i64 = db
        .db
        .read(|c| {
            schema::ledger_transfers::table
                .count()
                .get_result(c)
                .map_err(StoreError::from)
        })
        .unwrap();
    assert_eq!(transfers, 0);
}

fn concurrent_allocations_never_exceed_the_budget(db: &TestDb) {
    // A £1,000 fund; 24 writers each try to open a £100 round: exactly 10 fit.
    let fund = Fund::new(
        FundId::new(),
        FundCode::parse("RACE").unwrap(),
        FundName::parse("Race fund").unwrap(),
        Some(m("1000.00")),
        vec![],
    )
    .unwrap();
    db.db
        .write(|c| funds::create(c, &fund, &actor(), Utc::now()))
        .unwrap();
    let handles: Vec<_> = (1..=24u16)
        .map(|n| {
            let database = db.db.clone();
            let fund = fund.clone();
            std::thread::spawn(move || {
                let opens = Utc::now();
                let r = Round::new(
                    RoundId::new(),
                    fund.id,
                    n,
                    format!("Round {n}"),
                    RoundWindow::new(opens, opens + Duration::days(1)).unwrap(),
                    m("100.00"),
                    GrantRange::new(m("10.00"), m("100.00")).unwrap(),
                    Eligibility::default(),
                )
                .unwrap();
                database.write(|c| rounds::create(c, &r, &actor(), Utc::now()))
            })
        })
        .collect();
    let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let ok = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(ok, 10, "{results:?}");
    for r in results.iter().filter(|r| r.is_err()) {
        assert!(matches!(r, Err(StoreError::Conflict(_))), "{r:?}");
    }
    assert_eq!(
        db.db
            .read(|c| ledger::balance(c, &Account::FundUnallocated(fund.id)))
            .unwrap(),
        Money::ZERO
    );
}

/// Award numbers count per round. On SQLite they are the round's counter,
/// taken in the deciding transaction, so a rolled-back number comes back;
/// on PostgreSQL a sequence per round, so it is a gap. A bulk decision's
/// numbers are taken at once and handed out in order; on PostgreSQL the
/// ones it does not use are gaps, and it cannot hand out more than asked.
fn award_numbers_count_per_round(db: &TestDb) {
    let fund = lcf("LCF");
    let (r1, r2) = (round(&fund, 1, "5000.00"), round(&fund, 2, "5000.00"));
    db.db
        .write(|c| {
            funds::create(c, &fund, &actor(), Utc::now())?;
            rounds::create(c, &r1, &actor(), Utc::now())?;
            rounds::create(c, &r2, &actor(), Utc::now())
        })
        .unwrap();
    let next = |round: RoundId| db.db.write(|c| award_numbers::next(c, round)).unwrap();
    assert_eq!((next(r1.id), next(r1.id), next(r2.id)), (1, 2, 1));
    let rolled_back = db.db.write(|c| {
        assert_eq!(award_numbers::next(c, r1.id)?, 3);
        Err::<(), _>(StoreError::Conflict("the decision failed".to_owned()))
    });
    assert!(rolled_back.is_err());
    let postgres = db.db.backend() == BackendKind::Postgres;
    let first = if postgres { 4 } else { 3 };
    let used = db
        .db
        .write(|c| {
            let batch = award_numbers::for_batch(c, r1.id, 3)?;
            let used = (batch.nth(0)?, batch.nth(1)?);
            if postgres {
                assert!(matches!(batch.nth(3), Err(StoreError::Conflict(_))));
            }
            batch.finish(c, 2)?;
            Ok::<_, StoreError>(used)
        })
        .unwrap();
    assert_eq!(used, (first, first + 1));
    assert_eq!(next(r1.id), if postgres { 7 } else { 5 });
    assert_eq!(next(r2.id), 2);
}

/// Numbers taken at once by many writers on one round are all different,
/// and on SQLite consecutive.
fn concurrent_award_numbers_are_unique(db: &TestDb) {
    let fund = lcf("LCF");
    let r1 = round(&fund, 1, "5000.00");
    db.db
        .write(|c| {
            funds::create(c, &fund, &actor(), Utc::now())?;
            rounds::create(c, &r1, &actor(), Utc::now())
        })
        .unwrap();
    let handles: Vec<_> = (0..8)
        .map(|_| {
            let database = db.db.clone();
            std::thread::spawn(move || {
                (0..25)
                    .map(|_| database.write(|c| award_numbers::next(c, r1.id)).unwrap())
                    .collect::<Vec<u32>>()
            })
        })
        .collect();
    let mut taken: Vec<u32> = handles
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    taken.sort_unstable();
    taken.dedup();
    assert_eq!(taken.len(), 200);
    if db.db.backend() == BackendKind::Sqlite {
        assert_eq!(taken, (1..=200).collect::<Vec<u32>>());
    }
}

/// Grantees held before the search keys existed (keys NULL) are found by
/// name and local authority once the migrate step has backfilled them, with
/// the keys Rust computes; a rename rewrites the key (issue 20).
fn search_keys_are_backfilled_and_follow_renames(db: &TestDb) {
    let g = grantee(None);
    db.db
        .write(|c| grantees::create(c, &g, &actor(), Utc::now()))
        .unwrap();
    let by_name = |text: &str| grantees::GranteeFilter {
        name: Some(grantledger_domain::grantee::NameSearch::parse(text).unwrap()),
        ..Default::default()
    };
    let found = |filter: &grantees::GranteeFilter| {
        db.db
            .read(|c| grantees::list(c, filter, PageRequest::default()))
            .unwrap()
            .items
            .len()
    };
    assert_eq!(found(&by_name("friends of moss")), 1);
    db.db
        .write(|c| {
            c.batch_execute("UPDATE grantees SET name_key = NULL, local_authority_key = NULL")?;
            Ok::<_, StoreError>(())
        })
        .unwrap();
    assert_eq!(found(&by_name("friends of moss")), 0);
    let filled = db
        .db
        .write(|c| {
            crate::migrate::run_pending(c)?;
            grantees::backfill_search_keys(c)
        })
        .unwrap();
    assert_eq!(filled, 0, "run_pending filled them already");
    assert_eq!(found(&by_name("FRIENDS-of moss")), 1);
    let authority = grantees::GranteeFilter {
        local_authority: Some(
            LocalAuthority::parse(&g.local_authority.as_str().to_uppercase()).unwrap(),
        ),
        ..Default::default()
    };
    assert_eq!(found(&authority), 1);
    let before = db.db.read(|c| grantees::get(c, g.id)).unwrap();
    let renamed = Grantee {
        name: OrganisationName::parse("Hulme Tenants' Association").unwrap(),
        ..g.clone()
    };
    db.db
        .write(|c| {
            grantees::save(
                c,
                &before,
                &renamed,
                "grantee.updated",
                &actor(),
                Utc::now(),
            )
        })
        .unwrap();
    assert_eq!(found(&by_name("friends of moss")), 0);
    assert_eq!(found(&by_name("hulme tenants")), 1);
}

/// Two assessors recording at once: the second waits for the first to
/// commit (the application's row is held first), so the kept mean counts
/// both. Deterministic on PostgreSQL: the first transaction stays open
/// while the second starts; without the hold, the second would work out
/// its mean from its own score alone and write it last.
fn assessments_recorded_at_once_both_count_in_the_mean(db: &TestDb) {
    use grantledger_domain::application::{Application, ApplicationStatus};
    use grantledger_domain::assessment::{Assessment, AssessmentOutcome, Recommendation, Score};
    use grantledger_domain::ids::{ApplicationId, AssessmentId};

    use crate::applications;

    let fund = lcf("MEAN");
    let r = round(&fund, 1, "10000.00");
    let g = grantee(None);
    let application = Application {
        status: ApplicationStatus::Submitted,
        ..Application::draft(ApplicationId::new(), r.id, g.id, m("800.00"), "Tea", "Talk").unwrap()
    };
    let assessors: Vec<User> = (0..2)
        .map(|n| {
            User::new(
                UserId::new(),
                Email::parse(&format!("assessor{n}@example.org")).unwrap(),
                Role::Assessor,
                None,
            )
            .unwrap()
        })
        .collect();
    db.db
        .write(|c| {
            funds::create(c, &fund, &actor(), Utc::now())?;
            rounds::create(c, &r, &actor(), Utc::now())?;
            grantees::create(c, &g, &actor(), Utc::now())?;
            for a in &assessors {
                users::create(c, a, "x", &actor(), Utc::now())?;
            }
            applications::create(c, &application, fund.id, &actor(), Utc::now()).map(|_| ())
        })
        .unwrap();
    let scored = |assessor: &User, score: u8| Assessment {
        id: AssessmentId::new(),
        application_id: application.id,
        assessor_id: assessor.id,
        outcome: AssessmentOutcome::Scored {
            score: Score::new(score).unwrap(),
            recommendation: Recommendation::Award,
            comment: String::new(),
        },
        recorded_at: Utc::now(),
    };
    let (first, second) = (scored(&assessors[0], 2), scored(&assessors[1], 9));
    let (recorded, go_on) = (std::sync::mpsc::channel(), std::sync::mpsc::channel::<()>());
    std::thread::scope(|s| {
        let database = db.db.clone();
        let holder = s.spawn(move || {
            database.write(|c| {
                applications::add_assessment(c, &first, fund.id, &actor(), Utc::now())?;
                recorded.0.send(()).unwrap();
                go_on.1.recv().unwrap();
                Ok::<_, StoreError>(())
            })
        });
        recorded.1.recv().unwrap();
        let database = db.db.clone();
        let racer = s.spawn(move || {
            database
                .write(|c| applications::add_assessment(c, &second, fund.id, &actor(), Utc::now()))
        });
        std::thread::sleep(std::time::Duration::from_millis(300));
        go_on.0.send(()).unwrap();
        holder.join().unwrap().unwrap();
        racer.join().unwrap().unwrap();
    });
    let kept = db
        .db
        .read(|c| applications::get(c, application.id))
        .unwrap()
        .value
        .mean_score
        .map(|s| s.to_string());
    assert_eq!(kept.as_deref(), Some("5.50"));
}

crate::backend_tests!(
    fund_round_trips_with_funders_and_ledger,
    search_keys_are_backfilled_and_follow_renames,
    duplicate_fund_code_is_a_conflict_and_writes_nothing,
    lists_page_by_cursor_and_filter,
    stale_versions_are_refused,
    rounds_take_their_allocation_from_the_fund,
    round_allocation_changes_move_money_both_ways,
    grantees_round_trip_and_org_ids_are_unique,
    users_round_trip_and_emails_are_unique,
    ledger_and_audit_rows_cannot_be_changed_or_removed,
    a_failed_write_leaves_nothing_behind,
    concurrent_allocations_never_exceed_the_budget,
    award_numbers_count_per_round,
    concurrent_award_numbers_are_unique,
    assessments_recorded_at_once_both_count_in_the_mean,
);

/// A backend terminated in the middle of a write transaction (an
/// administrator, a failover, a restart): the caller gets the connection
/// loss itself — which the server answers with 503 — rather than the failed
/// rollback's "broken transaction manager", and the pool's next connection
/// works.
#[test]
fn a_backend_lost_mid_transaction_reports_the_loss_and_the_pool_recovers() {
    let Some(db) = TestDb::postgres() else {
        return;
    };
    let lost = db.db.write(|c| {
        c.batch_execute("SELECT pg_terminate_backend(pg_backend_pid())")?;
        Ok::<_, StoreError>(())
    });
    assert!(
        matches!(lost, Err(StoreError::ConnectionLost(_))),
        "{lost:?}"
    );
    for _ in 0..10 {
        db.db
            .write(|c| c.batch_execute("SELECT 1").map_err(StoreError::from))
            .unwrap();
    }
}

/// The migration that gives each PostgreSQL round its number sequence
/// starts it where the round's counter was, and undoing it writes the
/// sequence's position back to the counter.
#[test]
fn award_number_sequences_carry_on_from_the_round_counter_on_postgresql() {
    use diesel_migrations::MigrationHarness;
    let Some(db) = TestDb::postgres() else {
        return;
    };
    let fund = lcf("LCF");
    let r1 = round(&fund, 1, "5000.00");
    db.db
        .write(|c| {
            funds::create(c, &fund, &actor(), Utc::now())?;
            rounds::create(c, &r1, &actor(), Utc::now())?;
            award_numbers::next(c, r1.id)?;
            award_numbers::next(c, r1.id)
        })
        .unwrap();
    let mut pg = diesel::PgConnection::establish(&db.url).unwrap();
    // Undo migrations down to and including 2026-12-11-000100_award_numbers.
    while !pg
        .revert_last_migration(crate::migrate::POSTGRES)
        .unwrap()
        .to_string()
        .replace('-', "")
        .starts_with("20261211000100")
    {}
    let counter: i32 = schema::rounds::table
        .select(schema::rounds::next_award_sequence)
        .first(&mut pg)
        .unwrap();
    assert_eq!(counter, 3);
    db.db.migrate().unwrap();
    assert_eq!(db.db.write(|c| award_numbers::next(c, r1.id)).unwrap(), 3);
}
