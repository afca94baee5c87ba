//! Two real `grantledger` server processes share one database and are sent
//! 500 concurrent award decisions for a round that can afford 100: exactly
//! 100 succeed, the rest get 409, and the round's committed money equals its
//! allocation to the penny. Run on PostgreSQL (the production shape) and on
//! SQLite (one file, two processes).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::time::Duration;

use chrono::{Duration as Days, Utc};
use diesel::prelude::*;
use grantledger_domain::Money;
use grantledger_domain::application::Application;
use grantledger_domain::fund::{Fund, FundName};
use grantledger_domain::grantee::{
    DueDiligence, Grantee, LocalAuthority, OrganisationName, OrganisationType, Postcode, Region,
};
use grantledger_domain::ids::{ApplicationId, FundId, GranteeId, RoundId};
use grantledger_domain::ledger::Account;
use grantledger_domain::reference::FundCode;
use grantledger_domain::round::{Eligibility, GrantRange, Round, RoundWindow};
use grantledger_domain::user::Role;
use grantledger_store::common::Actor;
use grantledger_store::testing::TestDb;
use grantledger_store::{StoreError, applications, funds, grantees, ledger, rounds, schema};
use serde_json::json;

mod common;
use common::{PASSWORD, free_port, login};

/// Starts a server on a free port; returns it and its base URL.
fn start(url: &str) -> (common::Server, String) {
    let server = common::start(url, free_port(), "warn");
    let base = server.base.clone();
    (server, base)
}

fn m(s: &str) -> Money {
    Money::parse(s).unwrap()
}

/// A fund whose round affords exactly 100 awards of £100, and 500 submitted
/// applications for £100 each.
fn prepare(db: &TestDb) -> (RoundId, Vec<ApplicationId>) {
    let actor = Actor::system("test");
    let now = Utc::now();
    let fund = Fund::new(
        FundId::new(),
        FundCode::parse("RACE").unwrap(),
        FundName::parse("Race").unwrap(),
        Some(m("1000000.00")),
        vec![],
    )
    .unwrap();
    let round = Round::new(
        RoundId::new(),
        fund.id,
        1,
        "Round 1",
        RoundWindow::new(now - Days::days(1), now + Days::days(30)).unwrap(),
        m("10000.00"),
        GrantRange::new(m("100.00"), m("100.00")).unwrap(),
        Eligibility::default(),
    )
    .unwrap();
    let grantee = Grantee {
        id: GranteeId::new(),
        name: OrganisationName::parse("Busy Group").unwrap(),
        org_id: None,
        organisation_type: OrganisationType::CommunityGroup,
        region: Region::London,
        local_authority: LocalAuthority::parse("Lambeth").unwrap(),
        postcode: Postcode::parse("SE11 5QY").unwrap(),
        annual_income: m("1000.00"),
        due_diligence: DueDiligence::pending(),
    };
    let ids = db
        .db
        .write(|c| {
            funds::create(c, &fund, &actor, now)?;
            rounds::create(c, &round, &actor, now)?;
            grantees::create(c, &grantee, &actor, now)?;
            let mut ids = Vec::new();
            for i in 0..500 {
                let mut a = Application::draft(
                    ApplicationId::new(),
                    round.id,
                    grantee.id,
                    m("100.00"),
                    &format!("Project {i}"),
                    "Tea",
                )
                .unwrap();
                a = a.submit(&round, &grantee, now).unwrap();
                applications::create(c, &a, fund.id, &actor, now)?;
                ids.push(a.id);
            }
            Ok::<_, StoreError>(ids)
        })
        .unwrap();
    grantledger_server::routes::users::create_user(
        &db.db,
        "race@example.org",
        PASSWORD,
        Role::Admin,
        None,
        &actor,
    )
    .unwrap();
    (round.id, ids)
}

fn race(db: TestDb) {
    let (round, applications) = prepare(&db);
    let (_a, base_a) = start(&db.url);
    let (_b, base_b) = start(&db.url);
    let client = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(120))
        .build()
        .unwrap();
    let token = login(&base_a, "race@example.org");

    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let chunks: Vec<Vec<(usize, ApplicationId)>> = applications
            .iter()
            .copied()
            .enumerate()
            .collect::<Vec<_>>()
            .chunks(16)
            .map(<[_]>::to_vec)
            .collect();
        let handles: Vec<_> = chunks
            .into_iter()
            .map(|chunk| {
                let (client, token, base_a, base_b) = (&client, &token, &base_a, &base_b);
                scope.spawn(move || {
                    chunk
                        .into_iter()
                        .map(|(i, id)| {
                            let base = if i % 2 == 0 { base_a } else { base_b };
                            client
                                .post(format!("{base}/v1/applications/{id}/decision"))
                                .bearer_auth(token)
                                .json(&json!({"outcome": "award", "amount": "100.00"}))
                                .send()
                                .unwrap()
                                .status()
                                .as_u16()
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    let won = statuses.iter().filter(|s| **s == 201).count();
    let refused = statuses.iter().filter(|s| **s == 409).count();
    assert_eq!(
        (won, refused),
        (100, 400),
        "other statuses: {:?}",
        statuses
            .iter()
            .filter(|s| **s != 201 && **s != 409)
            .collect::<Vec<_>>()
    );

    let available = db
        .db
        .read(|c| ledger::balance(c, &Account::RoundAvailable(round)))
        .unwrap();
    assert_eq!(available, Money::ZERO);
    let committed: Vec<i64> = db
        .db
        .read(|c| {
            schema::awards::table
                .filter(
                    schema::awards::round_id
                        .eq(grantledger_store::sql_types::DbUuid(round.as_uuid())),
                )
                .select(schema::awards::amount_pence)
                .load(c)
                .map_err(StoreError::from)
        })
        .unwrap();
    assert_eq!(committed.len(), 100);
    assert_eq!(
        committed.iter().sum::<i64>(),
        1_000_000,
        "committed must equal the allocation to the penny"
    );
}

#[test]
fn two_servers_never_over_commit_a_round_on_postgresql() {
    if let Some(db) = TestDb::postgres() {
        race(db);
    }
}

#[test]
fn two_servers_never_over_commit_a_round_on_sqlite() {
    race(TestDb::sqlite());
}
