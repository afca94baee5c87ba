//! The fund outcome report at scale, on SQLite and PostgreSQL.
//!
//! Seeds a fresh database (a temporary SQLite file; a temporary schema in
//! the PostgreSQL named by `GRANTLEDGER_TEST_POSTGRES_URL`, default the
//! test database) with one fund, four rounds, 2,000 grantees and
//! `GRANTLEDGER_BENCH_RETURNS` evaluation returns (default 100,000) of
//! `GRANTLEDGER_BENCH_PARTICIPANTS` participants each (default 10, so
//! 1,000,000 participants, nine in ten answering at both stages: about
//! 1.9 million survey responses), then times the report five times: the
//! fund's rounds, the tally of every counted return, and both forms of the
//! report (exact and published with disclosure control), after `ANALYZE`
//! on PostgreSQL (as autovacuum would after the load). It prints the
//! median and best, and a fingerprint of both reports, so a change that
//! must not alter any figure can be checked at scale.
//!
//! ```sh
//! cargo bench -p grantledger-store --features testing --bench outcomes
//! # GRANTLEDGER_BENCH_BACKENDS="sqlite postgresql" (default both)
//! ```

use std::error::Error;
use std::hash::{Hash, Hasher};
use std::time::{Duration, Instant};

use chrono::{Duration as Days, Utc};
use diesel::connection::SimpleConnection;
use grantledger_domain::Money;
use grantledger_domain::fund::{Fund, FundName};
use grantledger_domain::ids::{FundId, RoundId};
use grantledger_domain::reference::FundCode;
use grantledger_domain::round::{Eligibility, GrantRange, Round, RoundWindow};
use grantledger_store::common::Actor;
use grantledger_store::evaluation::{self, fixture};
use grantledger_store::testing::TestDb;
use grantledger_store::{funds, rounds};

type Result<T> = std::result::Result<T, Box<dyn Error>>;

fn env_usize(name: &str, default: usize) -> Result<usize> {
    Ok(match std::env::var(name) {
        Ok(v) => v.parse()?,
        Err(_) => default,
    })
}

fn money(pounds: i64) -> Result<Money> {
    Ok(Money::from_pence(pounds * 100)?)
}

fn seed(db: &TestDb, returns: usize, participants: usize) -> Result<FundId> {
    let fund = Fund::new(
        FundId::new(),
        FundCode::parse("OUT")?,
        FundName::parse("Outcomes benchmark fund")?,
        Some(money(4_000_000_000)?),
        vec![],
    )?;
    let opens = Utc::now() - Days::days(400);
    let mut made = Vec::new();
    for n in 1..=4_u16 {
        made.push(Round::new(
            RoundId::new(),
            fund.id,
            n,
            format!("Round {n}"),
            RoundWindow::new(opens, opens + Days::days(60))?,
            money(900_000_000)?,
            GrantRange::new(money(250)?, money(2_500)?)?,
            Eligibility::default(),
        )?);
    }
    let actor = Actor::system("bench");
    let started = Instant::now();
    let seeded = db.db.write(|c| {
        funds::create(c, &fund, &actor, Utc::now())?;
        for r in &made {
            rounds::create(c, r, &actor, Utc::now())?;
        }
        let labels: Vec<(RoundId, i32)> =
            made.iter().map(|r| (r.id, i32::from(r.number))).collect();
        fixture::returns_at_scale(c, fund.id, "OUT", &labels, 2_000, returns, participants)
    })?;
    eprintln!(
        "seeded {} returns ({} counted, {} survey responses in them) in {:.1?}",
        seeded.returns,
        seeded.counted_returns,
        seeded.counted_responses,
        started.elapsed()
    );
    Ok(fund.id)
}

/// A hash of the report's figures (round ids, new every run, left out).
fn fingerprint(value: &impl serde::Serialize) -> Result<u64> {
    let mut json = serde_json::to_value(value)?;
    if let Some(rounds) = json.get_mut("by_round").and_then(|r| r.as_array_mut()) {
        for round in rounds {
            if let Some(round) = round.as_object_mut() {
                round.remove("round_id");
            }
        }
    }
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    json.to_string().hash(&mut hasher);
    Ok(hasher.finish())
}

fn main() -> Result<()> {
    let returns = env_usize("GRANTLEDGER_BENCH_RETURNS", 100_000)?;
    let participants = env_usize("GRANTLEDGER_BENCH_PARTICIPANTS", 10)?;
    let backends = std::env::var("GRANTLEDGER_BENCH_BACKENDS")
        .unwrap_or_else(|_| "sqlite postgresql".to_owned());
    for backend in backends.split_whitespace() {
        let db = match backend {
            "sqlite" => TestDb::sqlite(),
            "postgresql" => match TestDb::postgres() {
                Some(db) => db,
                None => continue,
            },
            other => return Err(format!("unknown backend {other}").into()),
        };
        let fund = seed(&db, returns, participants)?;
        if backend == "postgresql" {
            // What autovacuum would do after a bulk load: without
            // statistics the planner takes the fund's 100,000 returns for
            // a handful.
            db.db.write(|c| {
                c.batch_execute("ANALYZE")?;
                Ok::<_, grantledger_store::StoreError>(())
            })?;
        }
        let mut times: Vec<Duration> = Vec::new();
        let mut prints = None;
        for _ in 0..5 {
            let started = Instant::now();
            let (exact, published) = db.db.read(|c| {
                let _labels = evaluation::fund_rounds(c, fund)?;
                let builder = evaluation::outcomes(c, fund)?;
                Ok::<_, grantledger_store::StoreError>((builder.exact(), builder.published()))
            })?;
            times.push(started.elapsed());
            prints = Some((
                exact.total.returns,
                exact.total.respondents.baseline,
                fingerprint(&exact)?,
                fingerprint(&published)?,
            ));
        }
        times.sort();
        let (counted, baseline, exact, published) = prints.ok_or("no run")?;
        println!(
            "{backend}: fund outcome report over {returns} returns × {participants} participants: median {:.3?}, best {:.3?} (5 runs); returns counted {counted:?}, baseline respondents {baseline:?}; fingerprints exact {exact:016x} published {published:016x}",
            times.get(2).copied().unwrap_or_default(),
            times.first().copied().unwrap_or_default(),
        );
    }
    Ok(())
}
