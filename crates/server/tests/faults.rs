//! Fault tests with real `grantledger serve` processes.
//!
//! 1. `kill -9` under load: two server processes share one database while
//!    client threads push award decisions, acceptances, tranche scheduling,
//!    payments and evaluation returns through them, each request with an
//!    `Idempotency-Key`. One process at a time is killed with SIGKILL mid-load
//!    and restarted on the same port. Afterwards every write that was answered
//!    2xx is in the database exactly as answered, every request whose outcome
//!    the client could not know is either wholly there or wholly absent, a
//!    retry with the same key applies it at most once, every record has
//!    exactly the audit events its state implies, the fund reconciles and the
//!    audit chain verifies. On PostgreSQL and on SQLite (one file, two
//!    processes).
//! 2. PostgreSQL unavailable: the server reaches PostgreSQL through a TCP
//!    proxy in this test. "Down" closes the listener (connections refused)
//!    and cuts every proxied connection, as a database restart does: the API
//!    answers 503 problem+json without internal details, `/readyz` 503,
//!    `/healthz` 200, never 500. "Up" again on the same port: the same server
//!    recovers by itself. Then the server's backends are killed with
//!    `pg_terminate_backend`, once while a request is waiting on a row lock
//!    inside its transaction: that request gets 503, the next ones 2xx.
//!
//! See docs/RELIABILITY.md.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::{HashMap, HashSet};
use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{Duration as Days, Utc};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use grantledger_domain::grantee::Grantee;
use grantledger_domain::ids::{ApplicationId, FundId};
use grantledger_domain::user::Role;
use grantledger_store::schema::{
    applications as apps_t, audit_events as events_t, awards as awards_t, disbursements as disb_t,
    evaluation_returns as returns_t, idempotency_keys as keys_t,
};
use grantledger_store::sql_types::{DbTime, DbUuid};
use grantledger_store::testing::TestDb;
use grantledger_store::{StoreError, applications, funds, grantees, rounds};
use serde_json::{Value, json};

mod common;
use common::{PASSWORD, free_port, login, seed};

/// Starts a server whose log level is `FAULTS_SERVER_LOG` (default: errors only).
fn start(url: &str, port: u16) -> common::Server {
    let log = std::env::var("FAULTS_SERVER_LOG").unwrap_or_else(|_| "error".to_owned());
    common::start(url, port, &log)
}

fn uuid_of(v: &Value) -> uuid::Uuid {
    v.as_str()
        .unwrap_or_else(|| panic!("not an id: {v}"))
        .parse()
        .unwrap()
}

// ---------------------------------------------------------------------------
// Data

struct Prepared {
    fund: FundId,
    /// Applications per grantee.
    applications: Vec<Vec<ApplicationId>>,
    admin_email: String,
    grantee_emails: Vec<String>,
}

/// A fund and an open round with room for every award; `grantees` grantees
/// who passed due diligence, each with a user and `per_grantee` submitted
/// applications for £100.
fn prepare(db: &TestDb, grantee_count: usize, per_grantee: usize) -> Prepared {
    let actor = seed::actor();
    let now = Utc::now();
    let (fund, round) = seed::fund_and_open_round(
        "FLT",
        "Faults",
        "10000000.00",
        "1000000.00",
        ("100.00", "1000.00"),
    );
    let people: Vec<Grantee> = (0..grantee_count)
        .map(|g| seed::group(&format!("Group {g}"), true))
        .collect();
    let applications = db
        .db
        .write(|c| {
            funds::create(c, &fund, &actor, now)?;
            rounds::create(c, &round, &actor, now)?;
            let mut all = Vec::new();
            for grantee in &people {
                grantees::create(c, grantee, &actor, now)?;
                let mut ids = Vec::new();
                for i in 0..per_grantee {
                    let a =
                        seed::submitted(&round, grantee, &format!("Project {i}"), "Tea and talk");
                    applications::create(c, &a, fund.id, &actor, now)?;
                    ids.push(a.id);
                }
                all.push(ids);
            }
            Ok::<_, StoreError>(all)
        })
        .unwrap();
    let tag = uuid::Uuid::now_v7().simple().to_string();
    let admin_email = format!("admin-{tag}@example.org");
    seed::user(db, &admin_email, Role::Admin, None);
    let mut grantee_emails = Vec::new();
    for (g, grantee) in people.iter().enumerate() {
        let email = format!("grantee{g}-{tag}@example.org");
        seed::user(db, &email, Role::Grantee, Some(grantee.id));
        grantee_emails.push(email);
    }
    Prepared {
        fund: fund.id,
        applications,
        admin_email,
        grantee_emails,
    }
}

fn return_body() -> Value {
    json!({
        "period_start": "2026-04-01", "period_end": "2026-09-30",
        "participants_reached": 12, "volunteers": 3, "sessions_delivered": 26,
        "narrative": "Weekly lunches and a walking group.",
        "responses": [
            {"stage": "baseline", "participant_code": "P-1", "direct": "often_always",
             "lack_companionship": "often", "left_out": "often", "isolated": "some_of_the_time"},
            {"stage": "follow_up", "participant_code": "P-1", "direct": "occasionally",
             "lack_companionship": "some_of_the_time", "left_out": "some_of_the_time",
             "isolated": "some_of_the_time"}
        ]
    })
}

// ---------------------------------------------------------------------------
// Requests and what became of them

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Decide,
    Accept,
    Schedule,
    Pay,
    Return,
}

/// What one attempt of a request came to (the fields are shown in failure
/// messages).
#[derive(Debug, Clone)]
#[allow(dead_code)]
enum Outcome {
    /// 2xx with its body.
    Done(u16, Value),
    /// 4xx: refused, nothing applied.
    Refused(u16, String),
    /// 5xx: the server says it failed.
    Failed(u16, String),
    /// No answer (connection refused or reset, body cut off): the outcome is
    /// unknown to the client.
    Lost(String),
}

#[derive(Debug, Clone)]
struct Op {
    step: Step,
    key: String,
    path: String,
    body: Value,
    as_grantee: bool,
    attempts: Vec<Outcome>,
}

impl Op {
    fn new(step: Step, path: String, body: Value, as_grantee: bool) -> Op {
        Op {
            step,
            key: uuid::Uuid::now_v7().to_string(),
            path,
            body,
            as_grantee,
            attempts: Vec::new(),
        }
    }

    fn done(&self) -> Option<&Value> {
        self.attempts.iter().find_map(|a| match a {
            Outcome::Done(_, v) => Some(v),
            _ => None,
        })
    }

    fn uncertain(&self) -> bool {
        self.attempts
            .iter()
            .any(|a| matches!(a, Outcome::Failed(..) | Outcome::Lost(_)))
    }
}

#[derive(Debug)]
struct Pipeline {
    application: ApplicationId,
    grantee: usize,
    ops: Vec<Op>,
}

impl Pipeline {
    fn op(&self, step: Step) -> Option<&Op> {
        self.ops.iter().find(|o| o.step == step)
    }
}

struct Tokens {
    admin: String,
    grantees: Vec<String>,
}

fn send(client: &reqwest::blocking::Client, base: &str, token: &str, op: &Op) -> Outcome {
    let mut request = client
        .post(format!("{base}{}", op.path))
        .bearer_auth(token)
        .header("Idempotency-Key", &op.key);
    if !op.body.is_null() {
        request = request.json(&op.body);
    }
    let response = match request.send() {
        Ok(r) => r,
        Err(e) => return Outcome::Lost(e.to_string()),
    };
    let status = response.status().as_u16();
    let text = match response.text() {
        Ok(t) => t,
        Err(e) => return Outcome::Lost(format!("{status} with the body cut off: {e}")),
    };
    match status {
        200..=299 => match serde_json::from_str(&text) {
            Ok(v) => Outcome::Done(status, v),
            Err(e) => Outcome::Lost(format!("{status} with an unreadable body: {e}")),
        },
        400..=499 => Outcome::Refused(status, text),
        _ => Outcome::Failed(status, text),
    }
}

/// Sends `op` until it succeeds, alternating between the servers. Gives up
/// (returns false) on a refusal: a 409 "still being processed" means an
/// earlier attempt's claim was left by a killed process and blocks the key
/// until it is stale; the test settles those afterwards.
fn run_op(
    client: &reqwest::blocking::Client,
    servers: &[String; 2],
    token: &str,
    op: &mut Op,
    lane: usize,
) -> bool {
    let mut refusals = 0;
    for attempt in 0..100 {
        let base = &servers[(lane + attempt) % 2];
        let outcome = send(client, base, token, op);
        let next = match &outcome {
            Outcome::Done(..) => None,
            Outcome::Refused(409, _) if op.uncertain() && refusals < 3 => {
                refusals += 1;
                Some(Duration::from_millis(200))
            }
            Outcome::Refused(..) => {
                op.attempts.push(outcome);
                return false;
            }
            Outcome::Failed(..) | Outcome::Lost(_) => Some(Duration::from_millis(50)),
        };
        op.attempts.push(outcome);
        match next {
            None => return true,
            Some(pause) => std::thread::sleep(pause),
        }
    }
    false
}

/// One client: takes its applications one by one through decision,
/// acceptance, a tranche, its payment and an evaluation return, until told
/// to stop.
fn client_lane(
    servers: &[String; 2],
    tokens: &Tokens,
    grantee: usize,
    applications: &[ApplicationId],
    lane: usize,
    stop: &AtomicBool,
    sent: &AtomicUsize,
) -> Vec<Pipeline> {
    let client = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let mut pipelines = Vec::new();
    for &application in applications {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        let mut pipeline = Pipeline {
            application,
            grantee,
            ops: Vec::new(),
        };
        let mut next = Some(Op::new(
            Step::Decide,
            format!("/v1/applications/{application}/decision"),
            json!({"outcome": "award", "amount": "100.00"}),
            false,
        ));
        let mut award = None;
        while let Some(mut op) = next.take() {
            let token = if op.as_grantee {
                &tokens.grantees[grantee]
            } else {
                &tokens.admin
            };
            let ok = run_op(&client, servers, token, &mut op, lane);
            sent.fetch_add(1, Ordering::Relaxed);
            if ok {
                let body = op.done().unwrap().clone();
                next = match op.step {
                    Step::Decide => {
                        let id = uuid_of(&body["award"]["id"]);
                        award = Some(id);
                        Some(Op::new(
                            Step::Accept,
                            format!("/v1/awards/{id}/accept"),
                            Value::Null,
                            true,
                        ))
                    }
                    Step::Accept => Some(Op::new(
                        Step::Schedule,
                        format!("/v1/awards/{}/disbursements", award.unwrap()),
                        json!({"amount": "100.00", "due_on": "2026-12-01"}),
                        false,
                    )),
                    Step::Schedule => Some(Op::new(
                        Step::Pay,
                        format!("/v1/disbursements/{}/paid", uuid_of(&body["id"])),
                        Value::Null,
                        false,
                    )),
                    Step::Pay => Some(Op::new(
                        Step::Return,
                        format!("/v1/awards/{}/evaluation-returns", award.unwrap()),
                        return_body(),
                        true,
                    )),
                    Step::Return => None,
                };
            }
            pipeline.ops.push(op);
        }
        pipelines.push(pipeline);
    }
    pipelines
}

// ---------------------------------------------------------------------------
// The database as it is after the faults

#[derive(Debug, Default)]
struct Snapshot {
    /// application -> (award id, amount, paid, status)
    awards: HashMap<uuid::Uuid, Vec<(uuid::Uuid, i64, i64, String)>>,
    award_ids: HashSet<uuid::Uuid>,
    application_status: HashMap<uuid::Uuid, String>,
    /// award -> (disbursement id, status)
    disbursements: HashMap<uuid::Uuid, Vec<(uuid::Uuid, String)>>,
    /// award -> (return id, latest version)
    returns: HashMap<uuid::Uuid, Vec<(uuid::Uuid, i32)>>,
    /// (entity, action) -> count
    events: HashMap<(uuid::Uuid, String), usize>,
    /// entity ids of award, disbursement and evaluation-return events
    event_entities: Vec<(String, uuid::Uuid)>,
    /// idempotency keys -> completed
    keys: HashMap<String, bool>,
}

fn snapshot(db: &TestDb) -> Snapshot {
    db.db
        .read(|c| {
            let mut s = Snapshot::default();
            let awards: Vec<(DbUuid, DbUuid, i64, i64, String)> = awards_t::table
                .select((
                    awards_t::id,
                    awards_t::application_id,
                    awards_t::amount_pence,
                    awards_t::paid_pence,
                    awards_t::status,
                ))
                .load(c)?;
            for (id, app, amount, paid, status) in awards {
                s.award_ids.insert(id.0);
                s.awards
                    .entry(app.0)
                    .or_default()
                    .push((id.0, amount, paid, status));
            }
            let apps: Vec<(DbUuid, String)> =
                apps_t::table.select((apps_t::id, apps_t::status)).load(c)?;
            s.application_status = apps.into_iter().map(|(i, st)| (i.0, st)).collect();
            let disbursements: Vec<(DbUuid, DbUuid, String)> = disb_t::table
                .select((disb_t::id, disb_t::award_id, disb_t::status))
                .load(c)?;
            for (id, award, status) in disbursements {
                s.disbursements
                    .entry(award.0)
                    .or_default()
                    .push((id.0, status));
            }
            let returns: Vec<(DbUuid, DbUuid, i32)> = returns_t::table
                .select((
                    returns_t::id,
                    returns_t::award_id,
                    returns_t::latest_version,
                ))
                .load(c)?;
            for (id, award, version) in returns {
                s.returns.entry(award.0).or_default().push((id.0, version));
            }
            let events: Vec<(String, String, DbUuid)> = events_t::table
                .select((events_t::entity_type, events_t::action, events_t::entity_id))
                .load(c)?;
            for (entity_type, action, id) in events {
                *s.events.entry((id.0, action)).or_default() += 1;
                if matches!(
                    entity_type.as_str(),
                    "award" | "disbursement" | "evaluation_return"
                ) {
                    s.event_entities.push((entity_type, id.0));
                }
            }
            let keys: Vec<(String, Option<DbTime>)> = keys_t::table
                .select((keys_t::key, keys_t::completed_at))
                .load(c)?;
            s.keys = keys.into_iter().map(|(k, d)| (k, d.is_some())).collect();
            Ok::<_, StoreError>(s)
        })
        .unwrap()
}

impl Snapshot {
    fn events(&self, entity: uuid::Uuid, action: &str) -> usize {
        self.events
            .get(&(entity, action.to_owned()))
            .copied()
            .unwrap_or(0)
    }

    /// Whether the change `op` asks for is in the database, for a pipeline
    /// whose earlier steps are known.
    fn applied(&self, pipeline: &Pipeline, op: &Op) -> bool {
        let app = pipeline.application.as_uuid();
        let award = pipeline
            .op(Step::Decide)
            .and_then(Op::done)
            .map(|b| uuid_of(&b["award"]["id"]));
        let disbursement = pipeline
            .op(Step::Schedule)
            .and_then(Op::done)
            .map(|b| uuid_of(&b["id"]));
        match op.step {
            Step::Decide => self.awards.contains_key(&app),
            Step::Accept => self.awards[&app][0].3 != "offered",
            Step::Schedule => self.disbursements.contains_key(&award.unwrap()),
            Step::Pay => self
                .disbursements
                .get(&award.unwrap())
                .into_iter()
                .flatten()
                .any(|(id, status)| Some(*id) == disbursement && status == "paid"),
            Step::Return => self.returns.contains_key(&award.unwrap()),
        }
    }

    /// Every award, tranche and return has exactly the audit events its
    /// state implies, and every such event belongs to a record: a change
    /// and its audit event committed together or not at all.
    fn check_audit_matches_state(&self) {
        let mut problems = Vec::new();
        let mut expected_events = 0;
        for (app, awards) in &self.awards {
            for (award, _, paid, status) in awards {
                let accepted = usize::from(status != "offered");
                let paid_tranches = self
                    .disbursements
                    .get(award)
                    .map_or(0, |d| d.iter().filter(|(_, s)| s == "paid").count());
                for (action, want) in [
                    ("award.offered", 1),
                    ("award.accepted", accepted),
                    ("disbursement.paid", paid_tranches),
                ] {
                    let got = self.events(*award, action);
                    if got != want {
                        problems.push(format!("award {award}: {got} {action} events, want {want}"));
                    }
                    expected_events += want;
                }
                if *paid != 10_000 * i64::try_from(paid_tranches).unwrap() {
                    problems.push(format!(
                        "award {award}: paid {paid}p with {paid_tranches} paid tranches"
                    ));
                }
            }
            if self.application_status.get(app).map(String::as_str) != Some("awarded") {
                problems.push(format!("application {app} has an award but is not awarded"));
            }
            if self.events(*app, "application.awarded") != 1 {
                problems.push(format!(
                    "application {app}: not one application.awarded event"
                ));
            }
        }
        for (app, status) in &self.application_status {
            if status == "awarded" && !self.awards.contains_key(app) {
                problems.push(format!("application {app} is awarded with no award"));
            }
        }
        for tranches in self.disbursements.values() {
            for (id, status) in tranches {
                let paid = usize::from(status == "paid");
                for (action, want) in [("disbursement.scheduled", 1), ("disbursement.paid", paid)] {
                    let got = self.events(*id, action);
                    if got != want {
                        problems.push(format!("tranche {id}: {got} {action} events, want {want}"));
                    }
                    expected_events += want;
                }
            }
        }
        for returns in self.returns.values() {
            for (id, version) in returns {
                let want = usize::try_from(*version).unwrap();
                let got = self.events(*id, "evaluation_return.submitted");
                if got != want {
                    problems.push(format!(
                        "return {id}: {got} submitted events for {version} versions"
                    ));
                }
                expected_events += want;
            }
        }
        let tranche_ids: HashSet<uuid::Uuid> = self
            .disbursements
            .values()
            .flatten()
            .map(|(id, _)| *id)
            .collect();
        let return_ids: HashSet<uuid::Uuid> =
            self.returns.values().flatten().map(|(id, _)| *id).collect();
        for (entity_type, id) in &self.event_entities {
            let known = match entity_type.as_str() {
                "award" => self.award_ids.contains(id),
                "disbursement" => tranche_ids.contains(id),
                _ => return_ids.contains(id),
            };
            if !known {
                problems.push(format!(
                    "an audit event names {entity_type} {id}, which does not exist"
                ));
            }
        }
        assert_eq!(
            self.event_entities.len(),
            expected_events,
            "audit events of awards, tranches and returns vs what their state implies; {problems:?}"
        );
        assert!(
            problems.is_empty(),
            "records and audit events disagree: {problems:#?}"
        );
    }
}

/// Every op answered 2xx is in the database exactly once and as answered.
fn check_pipelines(s: &Snapshot, pipelines: &[Pipeline], applications: &[ApplicationId]) {
    let started: HashSet<uuid::Uuid> = pipelines.iter().map(|p| p.application.as_uuid()).collect();
    for app in applications {
        if !started.contains(&app.as_uuid()) {
            assert!(
                !s.awards.contains_key(&app.as_uuid()),
                "application {app} was never decided but has an award"
            );
        }
    }
    for p in pipelines {
        let app = p.application.as_uuid();
        let Some(decision) = p.op(Step::Decide).and_then(Op::done) else {
            panic!(
                "application {app}: the decision never succeeded: {:?}",
                p.ops
            );
        };
        let award = uuid_of(&decision["award"]["id"]);
        let awards = s.awards.get(&app).cloned().unwrap_or_default();
        assert_eq!(
            awards.len(),
            1,
            "application {app}: answered 201 with award {award}, database holds {awards:?}"
        );
        let (id, amount, paid, status) = &awards[0];
        assert_eq!(*id, award, "application {app}: a different award is stored");
        assert_eq!(*amount, 10_000, "award {award}: amount");
        assert_eq!(decision["award"]["amount"], "100.00");

        let accepted = p.op(Step::Accept).and_then(Op::done).is_some();
        assert_eq!(
            status,
            if accepted { "accepted" } else { "offered" },
            "award {award}: status vs the answers"
        );

        let tranches = s.disbursements.get(&award).cloned().unwrap_or_default();
        match p.op(Step::Schedule).and_then(Op::done) {
            Some(body) => {
                assert_eq!(
                    tranches.len(),
                    1,
                    "award {award}: one tranche answered, stored {tranches:?}"
                );
                assert_eq!(tranches[0].0, uuid_of(&body["id"]));
                let paid_answer = p.op(Step::Pay).and_then(Op::done).is_some();
                assert_eq!(
                    tranches[0].1,
                    if paid_answer { "paid" } else { "scheduled" },
                    "tranche {}: status vs the answers",
                    tranches[0].0
                );
                assert_eq!(*paid, if paid_answer { 10_000 } else { 0 });
            }
            None => assert!(tranches.is_empty(), "award {award}: unanswered tranche"),
        }

        let returns = s.returns.get(&award).cloned().unwrap_or_default();
        match p.op(Step::Return).and_then(Op::done) {
            Some(body) => {
                assert_eq!(
                    returns,
                    vec![(uuid_of(&body["id"]), 1)],
                    "award {award}: one return of one version answered"
                );
            }
            None => assert!(returns.is_empty(), "award {award}: unanswered return"),
        }
    }
}

/// Makes every unfinished idempotency claim look older than the takeover
/// delay, as if the clients had waited two minutes before retrying.
fn age_unfinished_claims(db: &TestDb) -> usize {
    db.db
        .write(|c| {
            let open: Vec<(DbUuid, String, DbTime)> = keys_t::table
                .filter(keys_t::completed_at.is_null())
                .select((keys_t::caller_id, keys_t::key, keys_t::created_at))
                .load(c)?;
            for (caller, key, created) in &open {
                diesel::update(keys_t::table.find((*caller, key)))
                    .set(keys_t::created_at.eq(DbTime::new(created.0 - Days::seconds(600))))
                    .execute(c)?;
            }
            Ok::<_, StoreError>(open.len())
        })
        .unwrap()
}

const LANES: usize = 16;
const GRANTEES: usize = 4;
const KILLS: usize = 8;

fn kill_under_load(db: TestDb) {
    let started = Instant::now();
    let per_grantee = 400;
    let prepared = prepare(&db, GRANTEES, per_grantee);
    let ports = [free_port(), free_port()];
    let mut servers = [start(&db.url, ports[0]), start(&db.url, ports[1])];
    let bases = [servers[0].base.clone(), servers[1].base.clone()];
    let tokens = Tokens {
        admin: login(&bases[0], &prepared.admin_email),
        grantees: prepared
            .grantee_emails
            .iter()
            .map(|e| login(&bases[1], e))
            .collect(),
    };
    // Each lane owns a slice of one grantee's applications.
    let lanes_per_grantee = LANES / GRANTEES;
    let share = per_grantee / lanes_per_grantee;
    let stop = AtomicBool::new(false);
    let sent = AtomicUsize::new(0);

    let pipelines: Vec<Pipeline> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..LANES)
            .map(|lane| {
                let grantee = lane % GRANTEES;
                let slot = lane / GRANTEES;
                let apps = &prepared.applications[grantee][slot * share..(slot + 1) * share];
                let (bases, tokens, stop, sent) = (&bases, &tokens, &stop, &sent);
                scope.spawn(move || client_lane(bases, tokens, grantee, apps, lane, stop, sent))
            })
            .collect();
        // Let the load build, then kill one process at a time with SIGKILL
        // mid-load and restart it on the same port.
        for kill in 0..KILLS {
            let before = sent.load(Ordering::Relaxed);
            let deadline = Instant::now() + Duration::from_secs(20);
            while sent.load(Ordering::Relaxed) < before + 60 && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
            let victim = kill % 2;
            servers[victim].child.kill().unwrap(); // SIGKILL
            servers[victim].child.wait().unwrap();
            servers[victim] = start(&db.url, ports[victim]);
        }
        let before = sent.load(Ordering::Relaxed);
        let deadline = Instant::now() + Duration::from_secs(20);
        while sent.load(Ordering::Relaxed) < before + 60 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        stop.store(true, Ordering::SeqCst);
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    let load_done = started.elapsed();

    let attempts: Vec<&Outcome> = pipelines
        .iter()
        .flat_map(|p| &p.ops)
        .flat_map(|o| &o.attempts)
        .collect();
    let count = |f: &dyn Fn(&Outcome) -> bool| attempts.iter().filter(|a| f(a)).count();
    let lost = count(&|a| matches!(a, Outcome::Lost(_)));
    let failed = count(&|a| matches!(a, Outcome::Failed(..)));
    let refused = count(&|a| matches!(a, Outcome::Refused(..)));
    let uncertain_ops = pipelines
        .iter()
        .flat_map(|p| &p.ops)
        .filter(|o| o.uncertain())
        .count();
    eprintln!(
        "faults[{}]: {} pipelines, {} requests ({} no answer, {} 5xx, {} 4xx), {} ops with an unknown outcome, load {:?}",
        db.db.backend().name(),
        pipelines.len(),
        attempts.len(),
        lost,
        failed,
        refused,
        uncertain_ops,
        load_done,
    );
    // The kills hit requests in flight, or this test tested nothing.
    assert!(
        lost > 0,
        "no request was cut off by the kills; the test did not exercise a crash"
    );
    // Nothing is a server bug: 5xx only as 503 (the database busy, SQLite),
    // 4xx only as 409 after an attempt whose outcome was unknown.
    for p in &pipelines {
        for op in &p.ops {
            let mut unknown_before = false;
            for a in &op.attempts {
                match a {
                    Outcome::Failed(status, body) => assert_eq!(
                        *status, 503,
                        "{:?} {}: a 5xx other than 503: {body}",
                        op.step, op.path
                    ),
                    Outcome::Refused(status, body) => assert!(
                        *status == 409 && unknown_before,
                        "{:?} {}: refused {status}: {body}",
                        op.step,
                        op.path
                    ),
                    _ => {}
                }
                unknown_before |= matches!(a, Outcome::Failed(..) | Outcome::Lost(_));
            }
        }
    }

    // Requests that never got a 2xx: wholly applied if and only if their
    // key was completed (the stored response commits with the change),
    // wholly absent otherwise.
    let before = snapshot(&db);
    let mut pipelines = pipelines;
    let mut unanswered = 0;
    for p in &pipelines {
        for op in p.ops.iter().filter(|o| o.done().is_none()) {
            unanswered += 1;
            let completed = before.keys.get(&op.key).copied().unwrap_or(false);
            assert_eq!(
                before.applied(p, op),
                completed,
                "{:?} {} (key {}): applied vs key completed; attempts {:?}",
                op.step,
                op.path,
                op.key,
                op.attempts
            );
        }
    }
    // Retry every request whose outcome was ever unknown with its own key:
    // an applied one replays its first answer, an absent one is applied now.
    let aged = age_unfinished_claims(&db);
    let client = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let mut replayed = 0;
    for p in &mut pipelines {
        for op in p
            .ops
            .iter_mut()
            .filter(|o| o.uncertain() || o.done().is_none())
        {
            let token = if op.as_grantee {
                &tokens.grantees[p.grantee]
            } else {
                &tokens.admin
            };
            let first = op.done().cloned();
            let outcome = send(&client, &bases[0], token, op);
            let Outcome::Done(_, body) = &outcome else {
                panic!(
                    "{:?} {}: the retry with the same key failed: {outcome:?}",
                    op.step, op.path
                );
            };
            if let Some(first) = first {
                assert_eq!(
                    &first, body,
                    "{:?} {}: a retry of an applied request must replay its answer",
                    op.step, op.path
                );
                replayed += 1;
            }
            op.attempts.push(outcome);
        }
    }
    eprintln!(
        "faults[{}]: {unanswered} unanswered requests, {aged} abandoned claims taken over, {replayed} replays",
        db.db.backend().name()
    );

    let after = snapshot(&db);
    let all: Vec<ApplicationId> = prepared.applications.concat();
    check_pipelines(&after, &pipelines, &all);
    after.check_audit_matches_state();

    let reconciliation = db
        .db
        .read(|c| grantledger_store::reconciliation::reconcile_fund(c, prepared.fund, None))
        .unwrap();
    let failed_checks: Vec<_> = reconciliation.checks.iter().filter(|c| !c.pass).collect();
    assert!(
        reconciliation.passed && failed_checks.is_empty(),
        "reconciliation failed: {failed_checks:#?}"
    );
    let verification = grantledger_store::audit::verify(&db.db).unwrap();
    assert!(
        verification.ok,
        "audit chain: {:?}",
        verification.first_fault
    );
    eprintln!(
        "faults[{}]: reconciled, {} audit links verified, {:?} in all",
        db.db.backend().name(),
        verification.links,
        started.elapsed()
    );
}

#[test]
fn kill_9_under_load_loses_no_committed_write_on_postgresql() {
    if let Some(db) = TestDb::postgres() {
        kill_under_load(db);
    }
}

#[test]
fn kill_9_under_load_loses_no_committed_write_on_sqlite() {
    kill_under_load(TestDb::sqlite());
}

// ---------------------------------------------------------------------------
// PostgreSQL unavailable

/// A TCP proxy in front of PostgreSQL that can be taken down (listener
/// closed, so connections are refused, and every proxied connection cut)
/// and brought up again on the same port.
struct Proxy {
    port: u16,
    listener: Arc<Mutex<Option<TcpListener>>>,
    /// (client side, upstream side) of every proxied connection.
    connections: Arc<Mutex<Vec<(TcpStream, TcpStream)>>>,
    stop: Arc<AtomicBool>,
}

impl Proxy {
    fn start(target: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        listener.set_nonblocking(true).unwrap();
        let proxy = Proxy {
            port,
            listener: Arc::new(Mutex::new(Some(listener))),
            connections: Arc::new(Mutex::new(Vec::new())),
            stop: Arc::new(AtomicBool::new(false)),
        };
        let (listener, connections, stop) = (
            proxy.listener.clone(),
            proxy.connections.clone(),
            proxy.stop.clone(),
        );
        std::thread::spawn(move || {
            while !stop.load(Ordering::SeqCst) {
                let accepted = listener.lock().unwrap().as_ref().map(TcpListener::accept);
                match accepted {
                    Some(Ok((client, _))) => {
                        client.set_nonblocking(false).unwrap();
                        let Ok(upstream) = TcpStream::connect(target) else {
                            continue;
                        };
                        connections
                            .lock()
                            .unwrap()
                            .push((client.try_clone().unwrap(), upstream.try_clone().unwrap()));
                        pump(client.try_clone().unwrap(), upstream.try_clone().unwrap());
                        pump(upstream, client);
                    }
                    Some(Err(e)) if e.kind() != ErrorKind::WouldBlock => panic!("proxy: {e}"),
                    _ => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        proxy
    }

    /// Connections are refused and every open one is cut, as when
    /// PostgreSQL stops.
    fn down(&self) {
        *self.listener.lock().unwrap() = None;
        for (a, b) in self.connections.lock().unwrap().drain(..) {
            let _ = a.shutdown(Shutdown::Both);
            let _ = b.shutdown(Shutdown::Both);
        }
    }

    fn up(&self) {
        let listener = TcpListener::bind(("127.0.0.1", self.port)).unwrap();
        listener.set_nonblocking(true).unwrap();
        *self.listener.lock().unwrap() = Some(listener);
    }

    /// Local ports of the proxy's connections to PostgreSQL: the
    /// `client_port`s of the server's backends in `pg_stat_activity`.
    fn upstream_ports(&self) -> Vec<u16> {
        self.connections
            .lock()
            .unwrap()
            .iter()
            .filter_map(|(_, up)| up.local_addr().ok().map(|a| a.port()))
            .collect()
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        self.down();
    }
}

fn pump(mut from: TcpStream, mut to: TcpStream) {
    std::thread::spawn(move || {
        let mut buffer = [0u8; 16 * 1024];
        loop {
            match from.read(&mut buffer) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if to.write_all(&buffer[..n]).is_err() {
                        break;
                    }
                }
            }
        }
        let _ = to.shutdown(Shutdown::Both);
        let _ = from.shutdown(Shutdown::Both);
    });
}

/// `url` with its host and port replaced by `127.0.0.1:port`, and the
/// address it named.
fn through_proxy(url: &str) -> (String, impl FnOnce(u16) -> String) {
    let (scheme, rest) = url.split_once("://").unwrap();
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let (userinfo, hostport) = match authority.rsplit_once('@') {
        Some((u, h)) => (format!("{u}@"), h.to_owned()),
        None => (String::new(), authority.to_owned()),
    };
    let hostport = if hostport.contains(':') {
        hostport
    } else {
        format!("{hostport}:5432")
    };
    let (scheme, path) = (scheme.to_owned(), path.to_owned());
    (hostport, move |port| {
        format!("{scheme}://{userinfo}127.0.0.1:{port}{path}")
    })
}

#[derive(Debug)]
struct Answer {
    status: u16,
    content_type: String,
    body: String,
}

fn call(
    client: &reqwest::blocking::Client,
    method: &str,
    url: &str,
    token: Option<&str>,
    key: Option<&str>,
    body: Option<&Value>,
) -> Answer {
    let mut request = match method {
        "GET" => client.get(url),
        _ => client.post(url),
    };
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(key) = key {
        request = request.header("Idempotency-Key", key);
    }
    if let Some(body) = body {
        request = request.json(body);
    }
    let response = request
        .send()
        .unwrap_or_else(|e| panic!("{method} {url}: no answer: {e}"));
    Answer {
        status: response.status().as_u16(),
        content_type: response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned(),
        body: response.text().unwrap_or_default(),
    }
}

/// A 503 problem document that names no host, user, port or driver text.
fn assert_unavailable(answer: &Answer, what: &str, pg_hostport: &str) {
    assert_eq!(answer.status, 503, "{what}: {answer:?}");
    assert!(
        answer.content_type.starts_with("application/problem+json"),
        "{what}: {answer:?}"
    );
    let problem: Value = serde_json::from_str(&answer.body).unwrap();
    assert_eq!(problem["status"], 503, "{what}");
    assert_eq!(problem["type"], "/problems/unavailable", "{what}");
    let text = answer.body.to_lowercase();
    for secret in [
        pg_hostport,
        "127.0.0.1",
        "postgres",
        "user=",
        "connection refused",
        "server closed",
        "terminating",
    ] {
        assert!(
            !text.contains(&secret.to_lowercase()),
            "{what}: the problem reveals {secret:?}: {}",
            answer.body
        );
    }
}

fn outage(db: TestDb) {
    let prepared = prepare(&db, 1, 8);
    let apps = &prepared.applications[0];
    let (pg_hostport, rewrite) = through_proxy(&db.url);
    let target = pg_hostport.to_socket_addrs().unwrap().next().unwrap();
    let proxy = Proxy::start(target);
    let server = start(&rewrite(proxy.port), free_port());
    let base = server.base.clone();
    let client = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    let token = login(&base, &prepared.admin_email);
    let fund = format!("{base}/v1/funds/{}", prepared.fund);
    let decide = |i: usize| format!("{base}/v1/applications/{}/decision", apps[i]);
    let award = json!({"outcome": "award", "amount": "100.00"});
    let mut seen: Vec<u16> = Vec::new();

    assert_eq!(
        call(&client, "GET", &fund, Some(&token), None, None).status,
        200
    );
    assert_eq!(
        call(
            &client,
            "POST",
            &decide(0),
            Some(&token),
            Some("k0"),
            Some(&award)
        )
        .status,
        201
    );

    // (a) PostgreSQL goes away: refused connections, existing ones cut.
    proxy.down();
    // Sent at once: each waits at most the pool's connection timeout.
    let (ready, health, read, write, signin, audit) = std::thread::scope(|scope| {
        let get = |url: String, token: Option<&'static str>| {
            let client = &client;
            scope.spawn(move || call(client, "GET", &url, token, None, None))
        };
        let ready = get(format!("{base}/readyz"), None);
        let health = get(format!("{base}/healthz"), None);
        let token_ref = &token;
        let read = scope.spawn(|| call(&client, "GET", &fund, Some(token_ref), None, None));
        let audit = scope.spawn(|| {
            call(
                &client,
                "GET",
                &format!("{base}/v1/audit-events"),
                Some(token_ref),
                None,
                None,
            )
        });
        let write = scope.spawn(|| {
            call(
                &client,
                "POST",
                &decide(1),
                Some(token_ref),
                Some("k1"),
                Some(&award),
            )
        });
        let signin = scope.spawn(|| {
            call(
                &client,
                "POST",
                &format!("{base}/v1/auth/token"),
                None,
                None,
                Some(&json!({"email": prepared.admin_email, "password": PASSWORD})),
            )
        });
        (
            ready.join().unwrap(),
            health.join().unwrap(),
            read.join().unwrap(),
            write.join().unwrap(),
            signin.join().unwrap(),
            audit.join().unwrap(),
        )
    });
    assert_eq!(ready.status, 503, "readyz while down: {ready:?}");
    assert_eq!(health.status, 200, "healthz while down: {health:?}");
    assert_unavailable(&read, "a read while down", &pg_hostport);
    assert_unavailable(&write, "a decision while down", &pg_hostport);
    assert_unavailable(&signin, "a sign-in while down", &pg_hostport);
    assert_unavailable(&audit, "the audit trail while down", &pg_hostport);
    seen.extend([
        ready.status,
        read.status,
        write.status,
        signin.status,
        audit.status,
    ]);

    // Back on the same port: the same process recovers by itself.
    proxy.up();
    let back = Instant::now();
    let deadline = back + Duration::from_secs(30);
    loop {
        let ready = call(&client, "GET", &format!("{base}/readyz"), None, None, None);
        seen.push(ready.status);
        if ready.status == 200 {
            eprintln!(
                "faults[outage]: ready again {:?} after PostgreSQL",
                back.elapsed()
            );
            break;
        }
        assert_eq!(ready.status, 503, "{ready:?}");
        assert!(
            Instant::now() < deadline,
            "not ready 30 s after PostgreSQL came back"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(
        call(&client, "GET", &fund, Some(&token), None, None).status,
        200
    );
    // The decision refused while down was not applied: its key runs afresh.
    let retried = call(
        &client,
        "POST",
        &decide(1),
        Some(&token),
        Some("k1"),
        Some(&award),
    );
    assert_eq!(retried.status, 201, "{retried:?}");

    // (b) The server's backends are terminated (as by an administrator, or
    // a failover): idle pooled connections are replaced on checkout.
    let mut admin = diesel::PgConnection::establish(&db.url).unwrap();
    let terminate = |admin: &mut diesel::PgConnection, ports: &[u16]| {
        let list = ports
            .iter()
            .map(u16::to_string)
            .collect::<Vec<_>>()
            .join(",");
        admin
            .batch_execute(&format!(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                 WHERE datname = current_database() AND client_port IN ({list})"
            ))
            .unwrap();
    };
    terminate(&mut admin, &proxy.upstream_ports());
    for _ in 0..3 {
        let a = call(&client, "GET", &fund, Some(&token), None, None);
        seen.push(a.status);
        assert!(a.status == 200 || a.status == 503, "{a:?}");
    }
    assert_eq!(
        call(&client, "GET", &fund, Some(&token), None, None).status,
        200
    );

    // ... and one killed in the middle of a transaction: the decision waits
    // on a row lock held here, its backend is terminated, it answers 503.
    admin.batch_execute("BEGIN").unwrap();
    admin
        .batch_execute(&format!(
            "SELECT id FROM applications WHERE id = '{}' FOR UPDATE",
            apps[2]
        ))
        .unwrap();
    let (blocked_url, blocked_token, blocked_body) = (decide(2), token.clone(), award.clone());
    let blocked = std::thread::spawn(move || {
        let client = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap();
        call(
            &client,
            "POST",
            &blocked_url,
            Some(&blocked_token),
            Some("k2"),
            Some(&blocked_body),
        )
    });
    let mut probe = diesel::PgConnection::establish(&db.url).unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        #[derive(QueryableByName)]
        struct Waiting {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let ports = proxy
            .upstream_ports()
            .iter()
            .map(u16::to_string)
            .collect::<Vec<_>>()
            .join(",");
        let waiting: Waiting = diesel::sql_query(format!(
            "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() \
             AND wait_event_type = 'Lock' AND client_port IN ({ports})"
        ))
        .get_result(&mut probe)
        .unwrap();
        if waiting.n > 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the decision never waited on the lock"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    terminate(&mut probe, &proxy.upstream_ports());
    admin.batch_execute("ROLLBACK").unwrap();
    let cut = blocked.join().unwrap();
    assert_unavailable(
        &cut,
        "a decision whose backend was terminated",
        &pg_hostport,
    );
    seen.push(cut.status);
    let again = call(
        &client,
        "POST",
        &decide(2),
        Some(&token),
        Some("k2"),
        Some(&award),
    );
    assert_eq!(again.status, 201, "the retry after termination: {again:?}");
    let ready = call(&client, "GET", &format!("{base}/readyz"), None, None, None);
    assert_eq!(ready.status, 200);

    // Every decision answered 201 is there once; the one refused is too now.
    let awards: i64 = db
        .db
        .read(|c| {
            awards_t::table
                .count()
                .get_result(c)
                .map_err(StoreError::from)
        })
        .unwrap();
    assert_eq!(awards, 3);
    assert!(!seen.contains(&500), "a 500 was answered: {seen:?}");
    drop(server);
}

#[test]
fn postgresql_outage_gives_503_then_recovers_without_restart() {
    if let Some(db) = TestDb::postgres() {
        outage(db);
    }
}
