//! Reconciliation and the audit chain, on both backends: a fund of the Local
//! Connections Fund's shape reconciles; an attacker with database access who
//! edits an amount, forges a transfer, or edits, deletes or inserts an audit
//! event is caught and named.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use diesel::connection::SimpleConnection;
use grantledger_domain::Money;
use grantledger_domain::application::{Application, ApplicationStatus};
use grantledger_domain::audit::{ExportHeader, ExportLine, FaultKind, verify_export};
use grantledger_domain::award::Award;
use grantledger_domain::disbursement::{Disbursement, DisbursementStatus};
use grantledger_domain::fund::{Fund, FundName, Funder};
use grantledger_domain::grantee::{
    DueDiligence, Grantee, LocalAuthority, OrganisationName, OrganisationType, Postcode, Region,
};
use grantledger_domain::ids::{ApplicationId, AwardId, DisbursementId, FundId, GranteeId, RoundId};
use grantledger_domain::ledger::Transfer;
use grantledger_domain::reconciliation::Reconciliation;
use grantledger_domain::reference::{AwardReference, FundCode};
use grantledger_domain::round::{Eligibility, GrantRange, Round, RoundWindow};

use crate::common::Actor;
use crate::connection::BackendKind;
use crate::disbursements::Outcome;
use crate::error::StoreError;
use crate::testing::TestDb;
use crate::{applications, audit, awards, disbursements, funds, grantees, reconciliation, rounds};

fn m(pence: i64) -> Money {
    Money::from_pence(pence).unwrap()
}

fn actor() -> Actor {
    Actor::system("test")
}

fn exec(db: &TestDb, sql: &str) {
    db.db
        .read(|c| c.batch_execute(sql).map_err(StoreError::from))
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

fn postgres(db: &TestDb) -> bool {
    db.db.backend() == BackendKind::Postgres
}

/// Runs `sql` with the append-only triggers (and foreign keys) of `tables`
/// out of the way, as an attacker with database access would.
fn tamper(db: &TestDb, tables: &[&str], sql: &str) {
    if postgres(db) {
        for t in tables {
            exec(db, &format!("ALTER TABLE {t} DISABLE TRIGGER ALL"));
        }
        exec(db, sql);
        for t in tables {
            exec(db, &format!("ALTER TABLE {t} ENABLE TRIGGER ALL"));
        }
    } else {
        let mut drop = String::from("PRAGMA foreign_keys = OFF;");
        for t in tables {
            for op in ["update", "delete"] {
                drop.push_str(&format!("DROP TRIGGER IF EXISTS {t}_no_{op};"));
            }
        }
        // One connection for all of it: the PRAGMA is per connection.
        db.db
            .read(|c| {
                c.batch_execute(&format!("{drop}{sql};PRAGMA foreign_keys = ON;"))
                    .map_err(StoreError::from)
            })
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
}

struct Built {
    fund: FundId,
    rounds: Vec<RoundId>,
    awards: Vec<AwardId>,
    /// An instant after round 1's awards and before round 2's.
    between: DateTime<Utc>,
    /// Round 1's totals at that instant: (awards, committed pence).
    round_one: (i64, i64),
}

fn grantee(n: usize) -> Grantee {
    Grantee {
        id: GranteeId::new(),
        name: OrganisationName::parse(&format!("Community group {n:03}")).unwrap(),
        org_id: None,
        organisation_type: OrganisationType::CommunityGroup,
        region: Region::ALL[n % Region::ALL.len()],
        local_authority: LocalAuthority::parse("Manchester").unwrap(),
        postcode: Postcode::parse("M14 4PW").unwrap(),
        annual_income: m(1_200_000),
        due_diligence: DueDiligence::pending(),
    }
}

/// Makes one award in the round and takes it through a path chosen by `i`:
/// declined, paid in full, part paid then cancelled, varied up, paid then
/// reversed, or simply accepted.
fn award_one(
    c: &mut crate::AnyConnection,
    fund: &Fund,
    round: &Round,
    grantee: GranteeId,
    i: usize,
) -> Result<(AwardId, i64), StoreError> {
    let now = Utc::now();
    let amount = m(50_000 + (i as i64 % 20) * 10_000);
    let draft = Application::draft(
        ApplicationId::new(),
        round.id,
        grantee,
        amount,
        "Tea and talk",
        "A weekly drop-in.",
    )
    .unwrap();
    let application = Application {
        status: ApplicationStatus::Awarded,
        submitted_at: Some(now),
        ..draft
    };
    applications::create(c, &application, fund.id, &actor(), now)?;
    let sequence = crate::award_numbers::next(c, round.id)?;
    let reference = AwardReference::new(fund.code.clone(), round.number, sequence).unwrap();
    let award = Award::offer(AwardId::new(), reference, &application, round, amount);
    let mut record = awards::create(c, &award, &actor(), now)?;
    let save = |c: &mut crate::AnyConnection,
                record: &crate::common::Record<awards::Stored>,
                award: Award,
                transfer: Option<Transfer>,
                action: &str| {
        let after = awards::Stored {
            award,
            ..record.value.clone()
        };
        awards::save(c, record, &after, transfer.as_ref(), action, &actor(), now)
    };
    let pay = |c: &mut crate::AnyConnection, id: AwardId, pence: i64| {
        let stored = awards::get(c, id)?.value;
        let d = Disbursement {
            id: DisbursementId::new(),
            award_id: id,
            amount: m(pence),
            due_on: NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
            status: DisbursementStatus::Scheduled,
            payment_run_id: None,
        };
        disbursements::schedule(c, &stored, &d, &actor(), now)?;
        disbursements::settle(c, d.id, Outcome::Paid, None, &actor(), now)
    };
    if i.is_multiple_of(10) {
        let a = &record.value.award;
        let (declined, released) = a.decline().unwrap();
        let t = Transfer::award_released(a.round_id, a.id, released).ok();
        record = save(c, &record, declined, t, "award.declined")?;
        return Ok((award.id, record.value.award.committed().pence()));
    }
    let accepted = record.value.award.accept().unwrap();
    record = save(c, &record, accepted, None, "award.accepted")?;
    match i % 10 {
        1 => {
            pay(c, award.id, amount.pence())?;
        }
        2 => {
            pay(c, award.id, 20_000)?;
            let before = awards::get(c, award.id)?;
            let a = &before.value.award;
            let (cancelled, released) = a.cancel().unwrap();
            let t = Transfer::award_released(a.round_id, a.id, released).ok();
            save(c, &before, cancelled, t, "award.cancelled")?;
        }
        3 => {
            let (varied, delta) = record
                .value
                .award
                .vary(amount.checked_add(m(10_000)).unwrap(), "more sessions")
                .unwrap();
            awards::vary(
                c,
                &record,
                &varied,
                delta,
                "more sessions",
                None,
                &actor(),
                now,
            )?;
        }
        4 => {
            let paid = pay(c, award.id, 30_000)?;
            disbursements::settle(
                c,
                paid.value.disbursement.id,
                Outcome::Reversed,
                Some("returned"),
                &actor(),
                now,
            )?;
        }
        _ => {}
    }
    let committed = awards::get(c, award.id)?.value.award.committed().pence();
    Ok((award.id, committed))
}

/// A fund shaped like the Local Connections Fund: £4m from two funders, two
/// rounds, `per_round` awards in each, through every kind of transfer.
fn build(db: &TestDb, code: &str, per_round: usize) -> Built {
    let fund = Fund::new(
        FundId::new(),
        FundCode::parse(code).unwrap(),
        FundName::parse("Local Connections Fund").unwrap(),
        None,
        vec![
            Funder {
                name: OrganisationName::parse("DCMS").unwrap(),
                org_id: None,
                contribution: m(200_000_000),
            },
            Funder {
                name: OrganisationName::parse("The National Lottery Community Fund").unwrap(),
                org_id: None,
                contribution: m(200_000_000),
            },
        ],
    )
    .unwrap();
    let opens = Utc::now() - Duration::days(30);
    let make_round = |n: u16| {
        Round::new(
            RoundId::new(),
            fund.id,
            n,
            format!("Round {n}"),
            RoundWindow::new(opens, opens + Duration::days(60)).unwrap(),
            m(190_000_000),
            GrantRange::new(m(25_000), m(250_000)).unwrap(),
            Eligibility::default(),
        )
        .unwrap()
    };
    let round_list = [make_round(1), make_round(2)];
    let people: Vec<Grantee> = (0..40).map(grantee).collect();
    db.db
        .write(|c| {
            funds::create(c, &fund, &actor(), Utc::now())?;
            for r in &round_list {
                rounds::create(c, r, &actor(), Utc::now())?;
            }
            for g in &people {
                grantees::create(c, g, &actor(), Utc::now())?;
            }
            Ok::<_, StoreError>(())
        })
        .unwrap();
    let mut award_ids = Vec::new();
    let mut between = Utc::now();
    let mut round_one = (0, 0);
    for (r, round) in round_list.iter().enumerate() {
        let made = db
            .db
            .write(|c| {
                (0..per_round)
                    .map(|i| award_one(c, &fund, round, people[(i + r) % people.len()].id, i))
                    .collect::<Result<Vec<_>, StoreError>>()
            })
            .unwrap();
        if r == 0 {
            round_one = (made.len() as i64, made.iter().map(|(_, c)| c).sum());
            std::thread::sleep(std::time::Duration::from_millis(20));
            between = Utc::now();
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        award_ids.extend(made.into_iter().map(|(id, _)| id));
    }
    Built {
        fund: fund.id,
        rounds: round_list.iter().map(|r| r.id).collect(),
        awards: award_ids,
        between,
        round_one,
    }
}

fn reconcile(db: &TestDb, fund: FundId, as_of: Option<DateTime<Utc>>) -> Reconciliation {
    db.db
        .read(|c| reconciliation::reconcile_fund(c, fund, as_of))
        .unwrap()
}

fn failed(r: &Reconciliation) -> Vec<String> {
    r.failures()
        .map(|c| {
            format!(
                "{} [{}]: expected {} actual {}",
                c.check, c.scope, c.expected, c.actual
            )
        })
        .collect()
}

fn a_fund_of_1700_awards_over_two_rounds_reconciles(db: &TestDb) {
    let built = build(db, "LCF", 850);
    let r = reconcile(db, built.fund, None);
    assert!(r.passed, "{:#?}", failed(&r));
    assert_eq!(r.by_round.len(), 2);
    assert_eq!(r.by_round.iter().map(|x| x.awards).sum::<i64>(), 1_700);
    assert_eq!(r.by_grantee.len(), 40);
    assert_eq!(r.by_grantee.iter().map(|g| g.awards).sum::<i64>(), 1_700);
    assert!(!r.by_region.is_empty());
    assert!(r.paid.0 > 0 && r.committed.0 > r.paid.0);
    assert_eq!(
        r.checks
            .iter()
            .filter(|c| c.check == "round_committed")
            .count(),
        2
    );
    // The CSV has a row per check and per total, funders' shares included.
    assert_eq!(
        r.csv_rows().count(),
        r.checks.len() + 2 + r.by_region.len() + r.by_grantee.len() + r.by_funder.len()
    );

    // By round and region only (the fund's page): the same checks and
    // totals, and none by grantee, now and as of a past instant; the
    // page's charts as of the same instant (8 in 10 awards stay live, one
    // round's worth before `between`), their money over time ending at the
    // reconciliation's committed and paid.
    for (as_of, live) in [(None, 1_360), (Some(built.between), 680)] {
        let whole = reconcile(db, built.fund, as_of);
        let page = db
            .db
            .read(|c| reconciliation::fund_page(c, "LCF", as_of))
            .unwrap();
        assert_eq!(page.fund.value.id, built.fund);
        let live_awards: i64 = page.page.live_amounts.iter().map(|(_, n)| n).sum();
        assert_eq!(live_awards, live, "as of {as_of:?}");
        let last = grantledger_domain::fund_overview::money_over_time(page.page.movements)
            .pop()
            .expect("movements");
        assert_eq!(
            (last.committed, last.paid),
            (whole.committed.0, whole.paid.0)
        );
        let regions = page.reconciliation;
        assert!(regions.by_grantee.is_empty());
        assert_eq!(regions.checks, whole.checks);
        assert_eq!(regions.by_round, whole.by_round);
        assert_eq!(regions.by_region, whole.by_region);
        assert_eq!(
            (regions.committed, regions.paid),
            (whole.committed, whole.paid)
        );
    }

    // As of the instant between the rounds' awards: round 1's only.
    let then = reconcile(db, built.fund, Some(built.between));
    assert!(then.passed, "{:#?}", failed(&then));
    let one = &then.by_round[0];
    assert_eq!((one.awards, one.committed.0), built.round_one);
    assert_eq!(then.by_round[1].awards, 0);
    // As of a moment before the fund existed, there is nothing to reconcile.
    let before = db.db.read(|c| {
        reconciliation::reconcile_fund(c, built.fund, Some(Utc::now() - Duration::days(400)))
    });
    assert!(matches!(before, Err(StoreError::NotFound { .. })));
}

/// Each reconciliation statement's text carries no value — not the fund,
/// the instant or the salt — so a connection prepares it once: reconciling
/// another fund, as of another instant, prepares nothing new.
fn a_connection_prepares_the_reconciliation_once(db: &TestDb) {
    use diesel::connection::{Connection, Instrumentation, InstrumentationEvent};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    let one = build(db, "ONE", 5);
    let two = build(db, "TWO", 5);
    let prepared = Arc::new(AtomicUsize::new(0));
    let (first, second) = db
        .db
        .read(|c| {
            let counter = Arc::clone(&prepared);
            c.set_instrumentation(move |event: InstrumentationEvent<'_>| {
                if let InstrumentationEvent::CacheQuery { .. } = event {
                    counter.fetch_add(1, Ordering::SeqCst);
                }
            });
            let mut pass = |built: &Built, code: &str| -> Result<usize, StoreError> {
                let before = prepared.load(Ordering::SeqCst);
                for as_of in [None, Some(built.between)] {
                    assert!(reconciliation::reconcile_fund(c, built.fund, as_of)?.passed);
                    assert!(
                        reconciliation::fund_page(c, code, as_of)?
                            .reconciliation
                            .passed
                    );
                }
                Ok(prepared.load(Ordering::SeqCst) - before)
            };
            let first = pass(&one, "ONE")?;
            let second = pass(&two, "TWO")?;
            c.set_instrumentation(None::<Box<dyn Instrumentation>>);
            Ok::<_, StoreError>((first, second))
        })
        .unwrap();
    assert!(
        first > 5,
        "the first reconciliation prepares its statements ({first})"
    );
    assert_eq!(second, 0, "the second prepares none");
}

fn first_award_committed_transfer(db: &TestDb) -> &'static str {
    let _ = db;
    "(SELECT id FROM ledger_transfers WHERE kind = 'award_committed' ORDER BY created_at, id LIMIT 1)"
}

fn an_award_amount_edited_in_the_table_is_caught(db: &TestDb) {
    let built = build(db, "TMP", 12);
    let victim = built.awards[5];
    let key = format!("award:{victim}:payable");
    let id = if postgres(db) {
        format!("'{victim}'::uuid")
    } else {
        format!("X'{}'", victim.as_uuid().simple())
    };
    exec(
        db,
        &format!("UPDATE awards SET amount_pence = amount_pence + 100000 WHERE id = {id}"),
    );
    let r = reconcile(db, built.fund, None);
    assert!(!r.passed);
    let failed = failed(&r);
    assert!(
        failed
            .iter()
            .any(|f| f.starts_with("round_committed [round 1]")),
        "{failed:#?}"
    );
    assert!(
        failed
            .iter()
            .any(|f| f.starts_with("award_accounts_mismatched"))
    );
    assert_eq!(r.account_mismatches.len(), 1);
    assert_eq!(r.account_mismatches[0].account, key);
    assert_eq!(
        r.account_mismatches[0].expected.0 - r.account_mismatches[0].ledger.0,
        100_000
    );
}

fn a_ledger_transfer_amount_edited_is_caught(db: &TestDb) {
    let built = build(db, "TMP", 12);
    tamper(
        db,
        &["ledger_transfers"],
        &format!(
            "UPDATE ledger_transfers SET amount_pence = amount_pence + 1 WHERE id = {}",
            first_award_committed_transfer(db)
        ),
    );
    let r = reconcile(db, built.fund, None);
    let failed = failed(&r);
    assert!(!r.passed);
    // The round's account no longer matches its transfers, nor the awards.
    let round = format!("round:{}:available", built.rounds[0]);
    assert!(
        failed
            .iter()
            .any(|f| f.starts_with(&format!("stored_balance [{round}]"))),
        "{failed:#?}"
    );
    assert!(
        failed
            .iter()
            .any(|f| f.starts_with("round_committed [round 1]"))
    );
    assert_eq!(r.account_mismatches.len(), 1);
}

fn a_forged_transfer_is_caught(db: &TestDb) {
    let built = build(db, "TMP", 12);
    let new_id = if postgres(db) {
        "gen_random_uuid()"
    } else {
        "randomblob(16)"
    };
    // Money out of an award account to the grantees, with no disbursement.
    tamper(
        db,
        &[],
        &format!(
            "INSERT INTO ledger_transfers (id, fund_id, debit_account, credit_account, amount_pence, kind, entity_type, entity_id, created_at) \
             SELECT {new_id}, fund_id, credit_account, 'grantees', 5000, 'disbursement_paid', entity_type, entity_id, created_at \
             FROM ledger_transfers WHERE id = {}",
            first_award_committed_transfer(db)
        ),
    );
    let r = reconcile(db, built.fund, None);
    let names = failed(&r);
    assert!(
        names.iter().any(|f| f.starts_with("paid [fund]")),
        "{names:#?}"
    );
    assert!(names.iter().any(|f| f.starts_with("outstanding [fund]")));
    assert_eq!(r.account_mismatches.len(), 1);

    // A forged transfer that breaks the ledger table is named as such.
    let built = build(db, "TMQ", 3);
    let round = built.rounds[0];
    tamper(
        db,
        &[],
        &format!(
            "INSERT INTO ledger_transfers (id, fund_id, debit_account, credit_account, amount_pence, kind, entity_type, entity_id, created_at) \
             SELECT {new_id}, fund_id, 'round:{round}:available', 'grantees', 100, 'disbursement_paid', entity_type, entity_id, created_at \
             FROM ledger_transfers WHERE fund_id = (SELECT id FROM funds WHERE code = 'TMQ') LIMIT 1"
        ),
    );
    let r = reconcile(db, built.fund, None);
    let names = failed(&r);
    assert!(
        names.iter().any(|f| f.starts_with("transfer_kinds [fund]")),
        "{names:#?}"
    );
}

fn verify(db: &TestDb) -> grantledger_domain::audit::Verification {
    audit::verify(&db.db).unwrap()
}

fn the_chain_seals_and_verifies_and_cannot_be_changed(db: &TestDb) {
    build(db, "AUD", 5);
    let report = verify(db);
    assert!(report.ok, "{report:?}");
    let events: i64 = db
        .db
        .read(|c| {
            use diesel::prelude::*;
            crate::schema::audit_events::table
                .count()
                .get_result(c)
                .map_err(StoreError::from)
        })
        .unwrap();
    assert_eq!(report.links as i64, events);
    // Sealing again finds nothing new; verifying again agrees.
    assert_eq!(
        audit::seal_pending(&db.db, Some(audit::SEAL_LOOKBACK)).unwrap(),
        0
    );
    assert_eq!(verify(db).head, report.head);
    for statement in [
        "UPDATE audit_chain SET hash = prev_hash",
        "DELETE FROM audit_chain",
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
    // The export verifies offline.
    let mut lines = vec![
        serde_json::to_string(&ExportHeader::new(
            audit::contiguous_seq(&db.db),
            Utc::now(),
        ))
        .unwrap(),
    ];
    audit::for_each_link(&db.db, |link, event| {
        lines.push(serde_json::to_string(&ExportLine::new(link, event)).unwrap());
        Ok(true)
    })
    .unwrap();
    assert!(verify_export(&lines).unwrap().ok);
    // Listing pages by sequence number with filters.
    let (page, next) = db
        .db
        .read(|c| audit::list(c, &audit::EventFilter::default(), 3, None))
        .unwrap();
    assert_eq!(page.len(), 3);
    assert!(page.iter().all(|l| l.link.is_some()));
    let (rest, _) = db
        .db
        .read(|c| audit::list(c, &audit::EventFilter::default(), 500, next))
        .unwrap();
    assert_eq!(rest.len() as i64, events - 3);
    let filter = audit::EventFilter {
        action: Some("award.declined".into()),
        ..Default::default()
    };
    let (declined, _) = db.db.read(|c| audit::list(c, &filter, 50, None)).unwrap();
    // The first award of each round is declined.
    assert_eq!(declined.len(), 2);
}

fn an_audit_event_edited_directly_is_named(db: &TestDb) {
    build(db, "AUD", 3);
    assert!(verify(db).ok);
    tamper(
        db,
        &["audit_events"],
        "UPDATE audit_events SET after = replace(after, '\"amount\":\"', '\"amount\":\"1') WHERE seq = (SELECT MIN(seq) FROM audit_events WHERE action = 'award.offered')",
    );
    let report = verify(db);
    let fault = report.first_fault.unwrap();
    assert_eq!(fault.kind, FaultKind::EventAltered, "{fault:?}");
    assert!(fault.detail.contains("award.offered"), "{}", fault.detail);
}

fn a_deleted_audit_event_is_named(db: &TestDb) {
    build(db, "AUD", 3);
    assert!(verify(db).ok);
    tamper(
        db,
        &["audit_events", "audit_chain"],
        "DELETE FROM audit_events WHERE seq = 4",
    );
    let fault = verify(db).first_fault.unwrap();
    assert_eq!(
        (fault.seq, fault.kind),
        (4, FaultKind::MissingEvent),
        "{fault:?}"
    );

    // Deleting its link too leaves a hole in the positions.
    tamper(
        db,
        &["audit_events", "audit_chain"],
        "DELETE FROM audit_chain WHERE seq = 4",
    );
    let fault = verify(db).first_fault.unwrap();
    assert_eq!(fault.kind, FaultKind::PositionGap, "{fault:?}");
}

fn a_deleted_unsealed_event_is_a_gap_on_sqlite(db: &TestDb) {
    build(db, "AUD", 2);
    if postgres(db) {
        // Rolled-back inserts leave gaps on PostgreSQL: a gap alone proves nothing there.
        return;
    }
    tamper(
        db,
        &["audit_events"],
        "DELETE FROM audit_events WHERE seq = 3",
    );
    let fault = verify(db).first_fault.unwrap();
    assert_eq!(
        (fault.seq, fault.kind),
        (4, FaultKind::SequenceGap),
        "{fault:?}"
    );
    assert!(fault.detail.contains("event 3 is missing"));
}

fn an_inserted_forged_event_is_named(db: &TestDb) {
    build(db, "AUD", 3);
    assert!(verify(db).ok);
    let (overriding, new_id) = if postgres(db) {
        ("OVERRIDING SYSTEM VALUE", "gen_random_uuid()")
    } else {
        ("", "randomblob(16)")
    };
    // Backdated into the trail's early history, numbered below every event.
    tamper(
        db,
        &[],
        &format!(
            "INSERT INTO audit_events (seq, id, occurred_at, actor_id, actor, action, entity_type, entity_id, fund_id, before, after) {overriding} \
             SELECT 0, {new_id}, occurred_at, actor_id, actor, 'award.varied', entity_type, entity_id, fund_id, before, after \
             FROM audit_events WHERE seq = 1"
        ),
    );
    // Pretend it was sealed a quarter of an hour after the rest.
    let later = Utc::now() + Duration::minutes(15);
    db.db.write(|c| audit::seal_batch(c, None, later)).unwrap();
    let fault = verify(db).first_fault.unwrap();
    assert_eq!(
        (fault.seq, fault.kind),
        (0, FaultKind::LateInsertion),
        "{fault:?}"
    );
}

/// Appends a `test.event` on the fund with this `after`.
fn test_event(
    c: &mut crate::connection::AnyConnection,
    fund: FundId,
    after: serde_json::Value,
) -> Result<grantledger_domain::ids::AuditEventId, StoreError> {
    audit::append(
        c,
        audit::NewEvent {
            actor: &actor(),
            action: "test.event",
            entity_type: "fund",
            entity_id: fund.into(),
            fund_id: Some(fund),
            before: None,
            after: Some(after),
        },
        Utc::now(),
    )
}

fn concurrent_writers_and_sealers_make_one_valid_chain(db: &TestDb) {
    let fund = build(db, "CON", 2).fund;
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let database = db.db.clone();
            std::thread::spawn(move || {
                for i in 0..25 {
                    database
                        .write(|c| test_event(c, fund, serde_json::json!({"writer": w, "i": i})))
                        .unwrap();
                }
            })
        })
        .collect();
    let sealers: Vec<_> = (0..3)
        .map(|_| {
            let database = db.db.clone();
            std::thread::spawn(move || {
                for _ in 0..20 {
                    audit::seal_pending(&database, Some(audit::SEAL_LOOKBACK)).unwrap();
                    std::thread::sleep(std::time::Duration::from_millis(2));
                }
            })
        })
        .collect();
    for h in writers.into_iter().chain(sealers) {
        h.join().unwrap();
    }
    let report = verify(db);
    assert!(report.ok, "{report:?}");
}

/// The background sealer looks for pending events only after this process
/// committed a write, and otherwise every `LOOK_AT_LEAST_EVERY` ticks, so
/// an idle server does not scan the recent events every second; what
/// others write (here: outside `Database::write`) is still sealed.
fn the_sealer_looks_after_a_write_and_now_and_then(db: &TestDb) {
    let fund = build(db, "SEA", 1).fund;
    let sealer = audit::Sealer::new(db.db.clone());
    assert!(
        sealer.tick().unwrap() > 0,
        "the first tick seals what is there"
    );
    let append = |c: &mut crate::connection::AnyConnection, i: i64| {
        test_event(c, fund, serde_json::json!({ "i": i }))
    };
    // Written as another process would: not through this handle's writes.
    db.db.read(|c| append(c, 1)).unwrap();
    for tick in 1..audit::Sealer::LOOK_AT_LEAST_EVERY {
        assert_eq!(sealer.tick().unwrap(), 0, "tick {tick} should not look");
    }
    assert_eq!(
        sealer.tick().unwrap(),
        1,
        "a look at the latest after a while"
    );
    assert_eq!(sealer.tick().unwrap(), 0);
    db.db.write(|c| append(c, 2)).unwrap();
    assert_eq!(
        sealer.tick().unwrap(),
        1,
        "a write is sealed at the next tick"
    );
    assert_eq!(
        sealer.tick().unwrap(),
        0,
        "its own sealing is not a write to look at"
    );
    assert!(verify(db).ok);
    if !postgres(db) {
        // SQLite's sealer looks only past the chain's end (no event can
        // commit below it); one inserted there by hand is left to verify.
        tamper(
            db,
            &[],
            "INSERT INTO audit_events (seq, id, occurred_at, actor_id, actor, action, entity_type, entity_id, fund_id, before, after) \
             SELECT 0, randomblob(16), occurred_at, actor_id, actor, 'award.varied', entity_type, entity_id, fund_id, before, after \
             FROM audit_events WHERE seq = 1",
        );
        for tick in 0..=audit::Sealer::LOOK_AT_LEAST_EVERY {
            assert_eq!(sealer.tick().unwrap(), 0, "tick {tick} seals nothing");
        }
        let fault = verify(db).first_fault.unwrap();
        assert_eq!((fault.seq, fault.kind), (0, FaultKind::LateInsertion));
    }
}

crate::backend_tests!(
    a_fund_of_1700_awards_over_two_rounds_reconciles,
    a_connection_prepares_the_reconciliation_once,
    an_award_amount_edited_in_the_table_is_caught,
    a_ledger_transfer_amount_edited_is_caught,
    a_forged_transfer_is_caught,
    the_chain_seals_and_verifies_and_cannot_be_changed,
    an_audit_event_edited_directly_is_named,
    a_deleted_audit_event_is_named,
    a_deleted_unsealed_event_is_a_gap_on_sqlite,
    an_inserted_forged_event_is_named,
    concurrent_writers_and_sealers_make_one_valid_chain,
    the_sealer_looks_after_a_write_and_now_and_then,
);
