//! Reconciliation of a fund of 1,000,000 awards on PostgreSQL.
//!
//! Seeds a fresh schema in the PostgreSQL named by
//! `GRANTLEDGER_BENCH_POSTGRES_URL` (default: the test database) with one
//! fund, two rounds, 10,000 grantees and `GRANTLEDGER_BENCH_AWARDS` awards
//! (default 1,000,000) — a tenth declined, a tenth paid in full — using bulk
//! `generate_series` SQL that writes the same rows, transfers and balances
//! the application would; then times `reconcile_fund` (which must pass) a
//! few times, then again with one award's amount edited in the table
//! (which must fail, naming that award's account), and prints the figures. Run with
//! `cargo bench -p grantledger-store --bench reconcile`.

use std::error::Error;
use std::time::{Duration, Instant};

use chrono::{Duration as Days, Utc};
use diesel::Connection;
use diesel::connection::SimpleConnection;
use grantledger_domain::Money;
use grantledger_domain::fund::{Fund, FundName};
use grantledger_domain::grantee::Region;
use grantledger_domain::ids::{FundId, RoundId};
use grantledger_domain::reference::FundCode;
use grantledger_domain::round::{Eligibility, GrantRange, Round, RoundWindow};
use grantledger_store::common::Actor;
use grantledger_store::{Database, PoolOptions, funds, reconciliation, rounds};

type Result<T> = std::result::Result<T, Box<dyn Error>>;

fn money(pounds: i64) -> Result<Money> {
    Ok(Money::from_pence(pounds * 100)?)
}

fn seed(db: &Database, awards: i64) -> Result<FundId> {
    let fund = Fund::new(
        FundId::new(),
        FundCode::parse("BEN")?,
        FundName::parse("Benchmark fund")?,
        Some(money(2_000_000_000)?),
        vec![],
    )?;
    let opens = Utc::now() - Days::days(10);
    let round = |n: u16| -> Result<Round> {
        Ok(Round::new(
            RoundId::new(),
            fund.id,
            n,
            format!("Round {n}"),
            RoundWindow::new(opens, opens + Days::days(60))?,
            money(900_000_000)?,
            GrantRange::new(money(250)?, money(2_500)?)?,
            Eligibility::default(),
        )?)
    };
    let (r1, r2) = (round(1)?, round(2)?);
    let actor = Actor::system("bench");
    db.write(|c| {
        funds::create(c, &fund, &actor, Utc::now())?;
        rounds::create(c, &r1, &actor, Utc::now())?;
        rounds::create(c, &r2, &actor, Utc::now())
    })?;
    let regions: Vec<String> = Region::ALL
        .iter()
        .map(|r| format!("'{}'", r.as_str()))
        .collect();
    let f = fund.id;
    let (r1, r2) = (r1.id, r2.id);
    let sql = format!(
        "
        INSERT INTO grantees (id, name, organisation_type, region, local_authority, postcode,
                              annual_income_pence, due_diligence, created_at, updated_at)
        SELECT gen_random_uuid(), 'Group ' || g, 'community_group',
               (ARRAY[{regions}])[1 + g % {nregions}], 'Manchester', 'M14 4PW', 1200000, 'passed', now(), now()
        FROM generate_series(1, 10000) g;
        CREATE TEMP TABLE gl AS SELECT id, row_number() OVER (ORDER BY id) - 1 AS k FROM grantees;
        CREATE TEMP TABLE seed AS
        SELECT n, gen_random_uuid() AS app_id, gen_random_uuid() AS award_id,
               CASE WHEN n % 2 = 0 THEN '{r1}'::uuid ELSE '{r2}'::uuid END AS round_id,
               CASE WHEN n % 2 = 0 THEN 1 ELSE 2 END AS round_no,
               50000 + (n % 20) * 10000 AS amount, n % 10 AS path
        FROM generate_series(1, {awards}) n;
        ALTER TABLE seed ADD COLUMN grantee_id uuid;
        UPDATE seed SET grantee_id = gl.id FROM gl WHERE gl.k = seed.n % 10000;
        INSERT INTO applications (id, round_id, grantee_id, amount_requested_pence, project_title, summary,
                                  status, submitted_at, decided_at, created_at, updated_at)
        SELECT app_id, round_id, grantee_id, amount, 'Project', 'Summary', 'awarded', now(), now(), now(), now() FROM seed;
        INSERT INTO awards (id, reference, fund_id, round_id, application_id, grantee_id, amount_pence, paid_pence,
                            scheduled_pence, status, created_at, updated_at)
        SELECT award_id, 'BEN-R' || round_no || '-' || lpad(n::text, 7, '0'), '{f}'::uuid, round_id, app_id, grantee_id,
               amount, CASE WHEN path = 1 THEN amount ELSE 0 END, CASE WHEN path = 1 THEN amount ELSE 0 END,
               CASE WHEN path = 0 THEN 'declined' ELSE 'accepted' END, now(), now() FROM seed;
        INSERT INTO disbursements (id, award_id, amount_pence, due_on, status, paid_at, created_at, updated_at)
        SELECT gen_random_uuid(), award_id, amount, DATE '2026-03-01', 'paid', now(), now(), now() FROM seed WHERE path = 1;
        INSERT INTO ledger_transfers (id, fund_id, debit_account, credit_account, amount_pence, kind, entity_type, entity_id, created_at)
        SELECT gen_random_uuid(), '{f}'::uuid, 'round:' || round_id || ':available', 'award:' || award_id || ':payable',
               amount, 'award_committed', 'award', award_id, now() FROM seed
        UNION ALL
        SELECT gen_random_uuid(), '{f}'::uuid, 'award:' || award_id || ':payable', 'round:' || round_id || ':available',
               amount, 'award_released', 'award', award_id, now() FROM seed WHERE path = 0
        UNION ALL
        SELECT gen_random_uuid(), '{f}'::uuid, 'award:' || award_id || ':payable', 'grantees',
               amount, 'disbursement_paid', 'award', award_id, now() FROM seed WHERE path = 1;
        INSERT INTO ledger_accounts (key, fund_id, balance_pence, created_at)
        SELECT 'award:' || award_id || ':payable', '{f}'::uuid, CASE WHEN path IN (0, 1) THEN 0 ELSE amount END, now() FROM seed;
        UPDATE ledger_accounts SET balance_pence = balance_pence - c.committed
        FROM (SELECT round_id, SUM(CASE WHEN path = 0 THEN 0 ELSE amount END) AS committed FROM seed GROUP BY round_id) c
        WHERE ledger_accounts.key = 'round:' || c.round_id || ':available';
        DROP TABLE seed; DROP TABLE gl;
        ANALYZE;
        ",
        nregions = regions.len(),
        regions = regions.join(", "),
    );
    db.read(|c| {
        c.batch_execute(&sql)
            .map_err(grantledger_store::StoreError::from)
    })?;
    Ok(f)
}

fn median_and_best(times: &mut [Duration]) -> (Duration, Duration) {
    times.sort();
    let median = times.get(times.len() / 2).copied().unwrap_or_default();
    (median, times.first().copied().unwrap_or_default())
}

fn main() -> Result<()> {
    let admin_url = std::env::var("GRANTLEDGER_BENCH_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
    let awards: i64 = std::env::var("GRANTLEDGER_BENCH_AWARDS")
        .ok()
        .map(|v| v.parse())
        .transpose()?
        .unwrap_or(1_000_000);
    let runs: usize = 5;
    let schema = format!("bench_{}", uuid::Uuid::now_v7().simple());
    let mut admin = diesel::PgConnection::establish(&admin_url)?;
    admin.batch_execute(&format!("CREATE SCHEMA {schema}"))?;
    let separator = if admin_url.contains('?') { '&' } else { '?' };
    let url = format!("{admin_url}{separator}options=-csearch_path%3D{schema}");
    let outcome = (|| -> Result<()> {
        let db = Database::open(&url, &PoolOptions::default())?;
        let started = Instant::now();
        let fund = seed(&db, awards)?;
        eprintln!("seeded {awards} awards in {:.1?}", started.elapsed());
        let mut times: Vec<Duration> = Vec::new();
        for run in 1..=runs {
            let started = Instant::now();
            let report = db.read(|c| reconciliation::reconcile_fund(c, fund, None))?;
            let took = started.elapsed();
            let awards_seen: i64 = report.by_round.iter().map(|r| r.awards).sum();
            if !report.passed || awards_seen != awards {
                let failed: Vec<_> = report.failures().map(|c| c.check.clone()).collect();
                return Err(format!("the benchmark fund does not reconcile: {failed:?}").into());
            }
            eprintln!(
                "run {run}: reconciled {awards_seen} awards, {} checks, {} grantees in {took:.2?}",
                report.checks.len(),
                report.by_grantee.len()
            );
            times.push(took);
        }
        let (median, best) = median_and_best(&mut times);
        println!(
            "reconciliation of {awards} awards on PostgreSQL: median {median:.2?}, best {best:.2?} over {runs} runs"
        );
        // A fund that does not reconcile: one award's amount edited in the
        // table, as someone with database access might. The fingerprints
        // disagree and the exact comparison names the account.
        db.read(|c| {
            c.batch_execute(&format!(
                "UPDATE awards SET amount_pence = amount_pence + 1 WHERE id = \
                 (SELECT id FROM awards WHERE fund_id = '{fund}'::uuid AND status = 'accepted' LIMIT 1)"
            ))
            .map_err(grantledger_store::StoreError::from)
        })?;
        let mut times: Vec<Duration> = Vec::new();
        for run in 1..=runs {
            let started = Instant::now();
            let report = db.read(|c| reconciliation::reconcile_fund(c, fund, None))?;
            let took = started.elapsed();
            if report.passed || report.account_mismatches.len() != 1 {
                return Err(
                    "an edited award was not named as the one account that disagrees".into(),
                );
            }
            eprintln!("run {run}: the edited award's account named in {took:.2?}");
            times.push(took);
        }
        let (median, best) = median_and_best(&mut times);
        println!(
            "reconciliation of {awards} awards with one edited, on PostgreSQL: median {median:.2?}, best {best:.2?} over {runs} runs"
        );
        Ok(())
    })();
    if std::env::var("GRANTLEDGER_BENCH_KEEP").is_err() {
        admin.batch_execute(&format!("DROP SCHEMA {schema} CASCADE"))?;
    } else {
        eprintln!("kept schema {schema}");
    }
    outcome
}
