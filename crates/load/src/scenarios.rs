//! The workloads: a closing-deadline surge of applications (closed loop,
//! fixed concurrency, bounded time), award decisions (closed loop, fixed
//! concurrency, bounded time) and mixed reads (open loop, constant rate).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::json;
use tokio::task::JoinSet;

use crate::api::{Answer, Api};
use crate::schedule::Schedule;
use crate::setup::{GRANT, World};
use crate::stats::{Recorder, Summary};

/// A submitted application and which grantee user made it.
#[derive(Debug, Clone)]
pub struct Submitted {
    /// The application's id.
    pub id: String,
    /// Index of the grantee user's token in [`World::grantees`].
    pub grantee: usize,
}

/// What one scenario measured.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScenarioReport {
    /// `surge`, `decisions` or `reads`.
    pub scenario: String,
    /// From the first request to the last answer, seconds.
    pub elapsed_s: f64,
    /// Units of work that succeeded: submissions, decisions or reads.
    pub completed: u64,
    /// How many were attempted.
    pub attempted: u64,
    /// `completed / elapsed_s`.
    pub per_second: f64,
    /// Closed-loop scenarios: requests in flight at once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub concurrency: Option<usize>,
    /// Open-loop scenarios: the arrival rate asked for, per second.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offered_rate: Option<f64>,
    /// 5xx answers over all requests of the scenario.
    pub server_errors: u64,
    /// Requests that got no answer.
    pub transport_errors: u64,
    /// Counts and latencies by kind of request.
    pub requests: BTreeMap<String, Summary>,
}

impl ScenarioReport {
    /// A report of `completed` of `attempted` units of work since `started`.
    pub(crate) fn new(
        scenario: &str,
        started: Instant,
        completed: u64,
        attempted: u64,
        recorders: &BTreeMap<&'static str, Recorder>,
    ) -> ScenarioReport {
        let elapsed_s = started.elapsed().as_secs_f64();
        let requests: BTreeMap<String, Summary> = recorders
            .iter()
            .map(|(k, r)| ((*k).to_owned(), r.summary()))
            .collect();
        // "flow" and "all" summarise requests counted under other kinds too.
        let counted = requests
            .iter()
            .filter(|(k, _)| !matches!(k.as_str(), "flow" | "all" | "all_service_time"));
        let (server_errors, transport_errors) = counted.fold((0, 0), |(s, t), (_, r)| {
            (s + r.server_errors, t + r.transport_errors)
        });
        ScenarioReport {
            scenario: scenario.to_owned(),
            elapsed_s,
            completed,
            attempted,
            per_second: if elapsed_s > 0.0 {
                completed as f64 / elapsed_s
            } else {
                0.0
            },
            concurrency: None,
            offered_rate: None,
            server_errors,
            transport_errors,
            requests,
        }
    }
}

pub(crate) fn recorders(
    kinds: &[&'static str],
) -> anyhow::Result<BTreeMap<&'static str, Recorder>> {
    kinds.iter().map(|k| Ok((*k, Recorder::new()?))).collect()
}

pub(crate) fn record(
    map: &mut BTreeMap<&'static str, Recorder>,
    kind: &'static str,
    answer: &Answer,
) {
    if let Some(r) = map.get_mut(kind) {
        r.record(answer.outcome, answer.latency);
    }
}

fn merge_into(
    total: &mut BTreeMap<&'static str, Recorder>,
    part: &BTreeMap<&'static str, Recorder>,
) {
    for (kind, r) in part {
        if let Some(t) = total.get_mut(kind) {
            t.merge(r);
        }
    }
}

/// What a closed-loop worker hands back: its latencies, what it made (a
/// submitted application, an award), and how many it attempted.
type WorkerResult<T> = (BTreeMap<&'static str, Recorder>, Vec<T>, u64);

/// Waits for every worker of a closed-loop scenario and reports it: their
/// latencies merged, what they made (its count is the scenario's completed
/// count) and how many they attempted.
async fn finish<T: Send + 'static>(
    name: &'static str,
    kinds: &[&'static str],
    started: Instant,
    concurrency: usize,
    mut workers: JoinSet<WorkerResult<T>>,
) -> anyhow::Result<(ScenarioReport, Vec<T>)> {
    let mut total = recorders(kinds)?;
    let mut made = Vec::new();
    let mut attempted = 0;
    while let Some(done) = workers.join_next().await {
        let (mine, mut theirs, tried) = done?;
        merge_into(&mut total, &mine);
        made.append(&mut theirs);
        attempted += tried;
    }
    let mut report = ScenarioReport::new(name, started, made.len() as u64, attempted, &total);
    report.concurrency = Some(concurrency);
    Ok((report, made))
}

/// The closing-deadline surge: `concurrency` applicants at once, each
/// starting a draft and submitting it, until `count` are submitted or
/// `limit` has passed (no new application starts after that).
pub async fn surge(
    api: &Api,
    world: &World,
    count: u64,
    concurrency: usize,
    limit: Duration,
) -> anyhow::Result<(ScenarioReport, Vec<Submitted>)> {
    const KINDS: [&str; 3] = ["create", "submit", "flow"];
    let next = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let deadline = started + limit;
    let tokens = Arc::new(world.grantees.clone());
    let path = Arc::new(format!("/v1/rounds/{}/applications", world.round));
    let mut workers = JoinSet::new();
    for _ in 0..concurrency.max(1) {
        let (api, next, tokens, path) = (api.clone(), next.clone(), tokens.clone(), path.clone());
        let mut mine = recorders(&KINDS)?;
        workers.spawn(async move {
            let mut submitted = Vec::new();
            let mut attempted = 0u64;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= count || Instant::now() >= deadline {
                    break;
                }
                attempted += 1;
                let grantee = usize::try_from(i).unwrap_or_default() % tokens.len().max(1);
                let Some(token) = tokens.get(grantee) else {
                    break;
                };
                let body = json!({
                    "amount_requested": GRANT,
                    "project_title": format!("Tea and talk, week {i}"),
                    "summary": "Weekly sessions where people meet, make things and talk, so that nobody has to feel alone.",
                });
                let flow_started = Instant::now();
                let created = api.post(&path, token, &body).await;
                record(&mut mine, "create", &created);
                let Some(id) = created
                    .outcome
                    .is_success()
                    .then(|| created.field("/id"))
                    .flatten()
                    .map(str::to_owned)
                else {
                    record(&mut mine, "flow", &created);
                    continue;
                };
                let submit = api
                    .post(&format!("/v1/applications/{id}/submit"), token, &json!({}))
                    .await;
                record(&mut mine, "submit", &submit);
                record(
                    &mut mine,
                    "flow",
                    &Answer {
                        outcome: submit.outcome,
                        latency: flow_started.elapsed(),
                        body: None,
                    },
                );
                if submit.outcome.is_success() {
                    submitted.push(Submitted { id, grantee });
                }
            }
            (mine, submitted, attempted)
        });
    }
    finish("surge", &KINDS, started, concurrency, workers).await
}

/// Award decisions on submitted applications, `concurrency` at once, each
/// with its own `Idempotency-Key` as a careful client sends, until every
/// application is decided or `limit` has passed.
pub async fn decisions(
    api: &Api,
    world: &World,
    applications: &[Submitted],
    concurrency: usize,
    limit: Duration,
) -> anyhow::Result<(ScenarioReport, Vec<String>)> {
    const KINDS: [&str; 1] = ["decision"];
    let ids: Arc<Vec<String>> = Arc::new(applications.iter().map(|a| a.id.clone()).collect());
    let next = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let deadline = started + limit;
    let admin = Arc::new(world.admin.clone());
    let mut workers = JoinSet::new();
    for _ in 0..concurrency.max(1) {
        let (api, next, ids, admin) = (api.clone(), next.clone(), ids.clone(), admin.clone());
        let mut mine = recorders(&KINDS)?;
        workers.spawn(async move {
            let mut awards = Vec::new();
            let mut attempted = 0u64;
            let body = json!({"outcome": "award", "amount": GRANT});
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(id) = usize::try_from(i).ok().and_then(|i| ids.get(i)) else {
                    break;
                };
                if Instant::now() >= deadline {
                    break;
                }
                attempted += 1;
                let key = uuid::Uuid::now_v7().to_string();
                let answer = api
                    .send(
                        reqwest::Method::POST,
                        &format!("/v1/applications/{id}/decision"),
                        Some(&admin),
                        Some(&body),
                        Some(&key),
                    )
                    .await;
                record(&mut mine, "decision", &answer);
                if answer.outcome.is_success()
                    && let Some(award) = answer.field("/award/id")
                {
                    awards.push(award.to_owned());
                }
            }
            (mine, awards, attempted)
        });
    }
    finish("decisions", &KINDS, started, concurrency, workers).await
}

/// Award decisions in bulk, as a panel decides a round: batches of `batch`
/// applications per `POST /v1/rounds/{id}/decisions` (one transaction per
/// batch), `concurrency` batches at once, until every application is
/// decided or `limit` has passed. Counts decisions, not requests.
pub async fn bulk_decisions(
    api: &Api,
    world: &World,
    applications: &[Submitted],
    batch: usize,
    concurrency: usize,
    limit: Duration,
) -> anyhow::Result<(ScenarioReport, Vec<String>)> {
    const KINDS: [&str; 1] = ["bulk_decision"];
    let batches: Arc<Vec<Vec<String>>> = Arc::new(
        applications
            .chunks(batch.clamp(1, 1_000))
            .map(|c| c.iter().map(|a| a.id.clone()).collect())
            .collect(),
    );
    let next = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let deadline = started + limit;
    let admin = Arc::new(world.admin.clone());
    let path = Arc::new(format!("/v1/rounds/{}/decisions", world.round));
    let mut workers = JoinSet::new();
    for _ in 0..concurrency.max(1) {
        let (api, next, batches, admin, path) = (
            api.clone(),
            next.clone(),
            batches.clone(),
            admin.clone(),
            path.clone(),
        );
        let mut mine = recorders(&KINDS)?;
        workers.spawn(async move {
            let mut awards = Vec::new();
            let mut attempted = 0u64;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(ids) = usize::try_from(i).ok().and_then(|i| batches.get(i)) else {
                    break;
                };
                if Instant::now() >= deadline {
                    break;
                }
                attempted += ids.len() as u64;
                let body = json!({
                    "decisions": ids
                        .iter()
                        .map(|id| json!({"application_id": id, "outcome": "award", "amount": GRANT}))
                        .collect::<Vec<_>>(),
                });
                let key = uuid::Uuid::now_v7().to_string();
                let answer = api
                    .send(
                        reqwest::Method::POST,
                        &path,
                        Some(&admin),
                        Some(&body),
                        Some(&key),
                    )
                    .await;
                record(&mut mine, "bulk_decision", &answer);
                let results = answer
                    .body
                    .as_ref()
                    .and_then(|b| b.get("results"))
                    .and_then(serde_json::Value::as_array);
                for result in results.into_iter().flatten() {
                    if let Some(award) = result.pointer("/award/id").and_then(|v| v.as_str()) {
                        awards.push(award.to_owned());
                    }
                }
            }
            (mine, awards, attempted)
        });
    }
    finish("bulk_decisions", &KINDS, started, concurrency, workers).await
}

/// A well-mixed index for request `i` (SplitMix64), so reads spread over
/// the records without a random number generator.
fn mix(i: u64) -> u64 {
    let mut z = i.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn pick<T>(items: &[T], i: u64) -> Option<&T> {
    let len = u64::try_from(items.len()).ok().filter(|n| *n > 0)?;
    items.get(usize::try_from(mix(i) % len).ok()?)
}

/// The read mix, in twentieths: what request `i` reads, the path, and
/// which token reads it.
fn read_for<'a>(
    i: u64,
    world: &'a World,
    applications: &[Submitted],
    awards: &[String],
) -> Option<(&'static str, String, &'a str)> {
    let admin = world.admin.as_str();
    let own_application = || {
        let a = pick(applications, i)?;
        let token = world.grantees.get(a.grantee)?;
        Some((
            "get_application",
            format!("/v1/applications/{}", a.id),
            token.as_str(),
        ))
    };
    match i % 20 {
        // 40%: a grantee looks at its own application.
        0..8 => own_application(),
        // 25%: staff open an award.
        8..13 => match pick(awards, i) {
            Some(award) => Some(("get_award", format!("/v1/awards/{award}"), admin)),
            None => own_application(),
        },
        // 15%: the round, with what is left of its allocation.
        13..16 => Some(("get_round", format!("/v1/rounds/{}", world.round), admin)),
        // 10%: the first page of the round's applications.
        16..18 => Some((
            "list_applications",
            format!("/v1/rounds/{}/applications?limit=20", world.round),
            admin,
        )),
        // 10%: the fund.
        _ => Some(("get_fund", format!("/v1/funds/{}", world.fund), admin)),
    }
}

const READ_KINDS: [&str; 7] = [
    "all",
    "all_service_time",
    "get_application",
    "get_award",
    "get_round",
    "list_applications",
    "get_fund",
];

/// Mixed reads at a constant arrival rate for a fixed time (open loop).
/// Each read's latency counts from when it was due; `all_service_time`
/// counts from when it was sent, for comparison.
pub async fn reads(
    api: &Api,
    world: &World,
    applications: &[Submitted],
    awards: &[String],
    rate: f64,
    duration: Duration,
    max_in_flight: usize,
) -> anyhow::Result<ScenarioReport> {
    let schedule = Schedule::new(rate, duration)?;
    let stats = Arc::new(Mutex::new(recorders(&READ_KINDS)?));
    let gate = Arc::new(tokio::sync::Semaphore::new(max_in_flight.max(1)));
    let mut in_flight = JoinSet::new();
    let started = Instant::now();
    let start = tokio::time::Instant::from_std(started);
    let mut next = 0u64;
    while next < schedule.total() {
        let due = schedule.due_by(started.elapsed());
        while next < due {
            let Some((kind, path, token)) = read_for(next, world, applications, awards) else {
                next += 1;
                continue;
            };
            let due_at = started + schedule.due(next);
            let permit = gate.clone().acquire_owned().await?;
            let (api, stats, token) = (api.clone(), stats.clone(), token.to_owned());
            in_flight.spawn(async move {
                let answer = api.get(&path, &token).await;
                let late = Answer {
                    outcome: answer.outcome,
                    latency: due_at.elapsed(),
                    body: None,
                };
                let mut stats = stats.lock().unwrap_or_else(PoisonError::into_inner);
                record(&mut stats, kind, &late);
                record(&mut stats, "all", &late);
                record(&mut stats, "all_service_time", &answer);
                drop(permit);
            });
            next += 1;
        }
        // Reap finished tasks so their slots do not pile up.
        while in_flight.try_join_next().is_some() {}
        if next < schedule.total() {
            tokio::time::sleep_until(start + schedule.due(next)).await;
        }
    }
    while in_flight.join_next().await.is_some() {}
    let stats = stats.lock().unwrap_or_else(PoisonError::into_inner);
    let ok = stats.get("all").map_or(0, |r| r.ok);
    let mut report = ScenarioReport::new("reads", started, ok, schedule.total(), &stats);
    report.offered_rate = Some(schedule.rate());
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::Outcome;

    fn world() -> World {
        World {
            admin: "admin".into(),
            fund: "f".into(),
            round: "r".into(),
            grantees: vec!["g0".into(), "g1".into()],
            grantee_emails: vec!["g0@example.org".into(), "g1@example.org".into()],
            grantee_password: "p".into(),
            grantee_names: vec!["G0".into(), "G1".into()],
        }
    }

    #[test]
    fn the_read_mix_follows_its_shares_and_uses_the_owners_token() {
        let w = world();
        let apps = vec![
            Submitted {
                id: "a0".into(),
                grantee: 0,
            },
            Submitted {
                id: "a1".into(),
                grantee: 1,
            },
        ];
        let awards = vec!["w0".to_owned()];
        let mut counts: BTreeMap<&str, u64> = BTreeMap::new();
        for i in 0..20_000 {
            let (kind, path, token) = read_for(i, &w, &apps, &awards).unwrap();
            *counts.entry(kind).or_default() += 1;
            if kind == "get_application" {
                let owner = if path.ends_with("a0") { "g0" } else { "g1" };
                assert_eq!(token, owner, "{path}");
            } else {
                assert_eq!(token, "admin");
            }
        }
        assert_eq!(counts["get_application"], 8_000);
        assert_eq!(counts["get_award"], 5_000);
        assert_eq!(counts["get_round"], 3_000);
        assert_eq!(counts["list_applications"], 2_000);
        assert_eq!(counts["get_fund"], 2_000);
    }

    #[test]
    fn without_awards_their_share_reads_applications() {
        let w = world();
        let apps = vec![Submitted {
            id: "a0".into(),
            grantee: 0,
        }];
        let (kind, _, _) = read_for(8, &w, &apps, &[]).unwrap();
        assert_eq!(kind, "get_application");
    }

    #[test]
    fn picks_spread_over_every_item() {
        let items: Vec<u32> = (0..10).collect();
        let mut seen = [0u32; 10];
        for i in 0..10_000 {
            seen[*pick(&items, i).unwrap() as usize] += 1;
        }
        assert!(seen.iter().all(|n| (800..1200).contains(n)), "{seen:?}");
        assert!(pick::<u32>(&[], 3).is_none());
    }

    #[test]
    fn five_hundreds_are_totalled_without_double_counting_the_flow() {
        let mut r = recorders(&["create", "submit", "flow"]).unwrap();
        let failed = Answer {
            outcome: Outcome::Status(503),
            latency: Duration::from_millis(2),
            body: None,
        };
        record(&mut r, "submit", &failed);
        record(&mut r, "flow", &failed);
        let report = ScenarioReport::new("surge", Instant::now(), 0, 1, &r);
        assert_eq!(report.server_errors, 1);
        assert_eq!(report.requests["flow"].server_errors, 1);
    }
}
