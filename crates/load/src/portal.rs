//! The portal scenario (issue 16's budget): the grantee dashboard, `GET /`
//! with a session cookie, at a constant arrival rate (open loop), latency
//! counted from when each request was due.
//!
//! Set-up goes through the public API as an administrator, as `run` does,
//! and gives the grantee a dashboard worth drawing: applications (one still
//! a draft, the rest submitted), awards (one offered, the rest accepted, one
//! with tranches scheduled), and an evaluation return draft with many
//! participants loaded through the portal's CSV upload. Then the grantee
//! signs in through the portal's own form, as a browser does.
//!
//! The session cookie is `Secure`, and reqwest's cookie store will not send
//! a Secure cookie over plain http, so the cookies travel in a `Cookie`
//! header written here. Each request says `Accept-Encoding: gzip, br` as a
//! browser does, so the server's time includes compressing the page.

use std::fmt::Write as _;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use chrono::{Duration as Days, Utc};
use reqwest::{Client, StatusCode, header};
use serde_json::{Value, json};
use tokio::task::JoinSet;

use crate::api::{Answer, Api};
use crate::scenarios::{ScenarioReport, record, recorders};
use crate::schedule::Schedule;
use crate::setup::{self, GRANT, World};
use crate::stats::Outcome;

/// The session cookie's name.
const SESSION_COOKIE: &str = "__Host-session";
/// The sign-in form's CSRF cookie's name.
const SIGN_IN_COOKIE: &str = "__Host-sign-in";
/// What a browser says it accepts.
const ACCEPT_ENCODING: &str = "gzip, br";

/// How big a dashboard to make and how hard to ask for it.
#[derive(Debug, Clone)]
pub struct Options {
    /// Applications the grantee has made (the last stays a draft).
    pub applications: usize,
    /// Of the submitted ones, how many are awarded (the first stays
    /// offered, the rest are accepted).
    pub awards: usize,
    /// Participants in the evaluation return draft.
    pub participants: usize,
    /// Arrivals a second.
    pub rate: f64,
    /// Measured for this long.
    pub duration: Duration,
    /// Unmeasured first, at the same rate, to open connections.
    pub warm_up: Duration,
    /// Most requests in flight at once (latency still counts from when
    /// each was due).
    pub max_in_flight: usize,
    /// Each request gives up after this long.
    pub timeout: Duration,
}

/// What set-up made: the session and the pages worth weighing.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The `Cookie` header value that carries the grantee's session.
    pub cookie: String,
    /// The grantee organisation's name (the dashboard shows it).
    pub organisation: String,
    /// Pages by name and path, the signed-out sign-in page first.
    pub pages: Vec<(&'static str, String)>,
}

/// A client that reports redirects instead of following them, so that a
/// lost session shows as a 303 to `/sign-in`, not as the sign-in page.
pub fn client(timeout: Duration) -> anyhow::Result<Client> {
    Client::builder()
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(256)
        .tcp_nodelay(true)
        .build()
        .context("building the HTTP client")
}

/// The value of the `name` cookie among a response's `Set-Cookie` headers,
/// as `name=value`.
fn set_cookie(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .find(|pair| {
            pair.split_once('=')
                .is_some_and(|(n, v)| n.trim() == name && !v.is_empty())
        })
        .map(|pair| pair.trim().to_owned())
}

/// The hidden CSRF field's value in a page.
pub fn csrf_in(html: &str) -> Option<String> {
    const FIELD: &str = "name=\"csrf\" value=\"";
    let start = html.find(FIELD)? + FIELD.len();
    let rest = html.get(start..)?;
    Some(rest.get(..rest.find('"')?)?.to_owned())
}

/// `application/x-www-form-urlencoded` encoding of one value.
fn form_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'*' => {
                out.push(char::from(b));
            }
            b' ' => out.push('+'),
            _ => {
                let _ = write!(out, "%{b:02X}");
            }
        }
    }
    out
}

/// Signs in through the portal's form, as a browser does, and returns the
/// session cookie as `__Host-session=…`. Someone with two-factor sign-in
/// (staff always) then gives a code on `/sign-in/code`, from `api`'s
/// authenticator.
pub async fn sign_in(
    client: &Client,
    api: &Api,
    base: &str,
    email: &str,
    password: &str,
) -> anyhow::Result<String> {
    let form = client
        .get(format!("{base}/sign-in"))
        .send()
        .await
        .context("GET /sign-in")?;
    if form.status() != StatusCode::OK {
        bail!("GET /sign-in answered {}", form.status());
    }
    let sign_in_cookie = set_cookie(&form, SIGN_IN_COOKIE)
        .with_context(|| format!("GET /sign-in set no {SIGN_IN_COOKIE} cookie"))?;
    let html = form.text().await.context("reading the sign-in page")?;
    let csrf = csrf_in(&html).context("the sign-in page has no csrf field")?;
    let body = format!(
        "email={}&password={}&csrf={}&next=%2F",
        form_encode(email),
        form_encode(password),
        form_encode(&csrf)
    );
    let answer = post_form(client, base, "/sign-in", &sign_in_cookie, body).await?;
    let cookie = set_cookie(&answer, SESSION_COOKIE)
        .with_context(|| format!("POST /sign-in set no {SESSION_COOKIE} cookie"))?;
    let to = answer
        .headers()
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !to.starts_with("/sign-in/code") {
        return Ok(cookie);
    }
    let code = api
        .code_for(email)
        .await
        .with_context(|| format!("{email} signs in with a code; give --two-factor-secret"))?;
    let (status, html) = page(client, base, &cookie, "/sign-in/code").await?;
    if status != StatusCode::OK {
        bail!("GET /sign-in/code answered {status}");
    }
    let csrf = csrf_in(&html).context("the code page has no csrf field")?;
    let body = format!(
        "code={}&csrf={}&next=%2F",
        form_encode(&code),
        form_encode(&csrf)
    );
    let answer = post_form(client, base, "/sign-in/code", &cookie, body).await?;
    set_cookie(&answer, SESSION_COOKIE)
        .with_context(|| format!("POST /sign-in/code set no {SESSION_COOKIE} cookie"))
}

/// POSTs a form as a browser on the same site does; the answer must be a
/// redirect (303), as every accepted portal form's is.
async fn post_form(
    client: &Client,
    base: &str,
    path: &str,
    cookie: &str,
    body: String,
) -> anyhow::Result<reqwest::Response> {
    let answer = client
        .post(format!("{base}{path}"))
        .header(header::COOKIE, cookie)
        .header("Sec-Fetch-Site", "same-origin")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .with_context(|| format!("POST {path}"))?;
    if answer.status() != StatusCode::SEE_OTHER {
        let status = answer.status();
        let text = answer.text().await.unwrap_or_default();
        bail!(
            "POST {path} answered {status}, not 303: {}",
            text.chars().take(300).collect::<String>()
        );
    }
    Ok(answer)
}

/// GET a portal page with the session; the status and the body.
pub(crate) async fn page(
    client: &Client,
    base: &str,
    cookie: &str,
    path: &str,
) -> anyhow::Result<(StatusCode, String)> {
    let answer = client
        .get(format!("{base}{path}"))
        .header(header::COOKIE, cookie)
        .send()
        .await
        .with_context(|| format!("GET {path}"))?;
    let status = answer.status();
    Ok((status, answer.text().await.unwrap_or_default()))
}

/// An answer's JSON when it succeeded; otherwise an error naming `what`.
fn success(answer: Answer, what: &str) -> anyhow::Result<Value> {
    match answer.outcome {
        Outcome::Status(s) if (200..300).contains(&s) => Ok(answer.body.unwrap_or(Value::Null)),
        Outcome::Status(s) => bail!(
            "{what} answered {s}: {}",
            answer.body.unwrap_or(Value::Null)
        ),
        Outcome::Transport => bail!("{what} got no answer"),
    }
}

fn string_at(value: &Value, pointer: &str, what: &str) -> anyhow::Result<String> {
    value
        .pointer(pointer)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .with_context(|| format!("{what} has no {pointer}: {value}"))
}

/// A participants file in the portal's template, `count` rows of answers
/// before and after.
pub fn participants_csv(count: usize) -> String {
    const DIRECT: [&str; 5] = [
        "often_always",
        "some_of_the_time",
        "occasionally",
        "hardly_ever",
        "never",
    ];
    const UCLA: [&str; 3] = ["hardly_ever_or_never", "some_of_the_time", "often"];
    let d = |i: usize| DIRECT.get(i % DIRECT.len()).copied().unwrap_or("never");
    let u = |i: usize| UCLA.get(i % UCLA.len()).copied().unwrap_or("often");
    let mut out = String::from(
        "participant_code,before_direct,before_lack_companionship,before_left_out,before_isolated,\
         after_direct,after_lack_companionship,after_left_out,after_isolated\r\n",
    );
    for i in 0..count {
        let _ = write!(
            out,
            "P-{:04},{},{},{},{},{},{},{},{}\r\n",
            i + 1,
            d(i),
            u(i),
            u(i + 1),
            u(i + 2),
            d(i + 2),
            u(i + 1),
            u(i + 2),
            u(i)
        );
    }
    out
}

/// Loads `count` participants into the award's return draft through the
/// portal's upload form.
async fn upload_participants(
    client: &Client,
    base: &str,
    cookie: &str,
    award: &str,
    count: usize,
) -> anyhow::Result<()> {
    let path = format!("/awards/{award}/return");
    let (status, html) = page(client, base, cookie, &path).await?;
    if status != StatusCode::OK {
        bail!("GET {path} answered {status}");
    }
    let csrf = csrf_in(&html).with_context(|| format!("{path} has no csrf field"))?;
    let boundary = format!("grantledger-load-{}", uuid::Uuid::now_v7().simple());
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"participants\"; filename=\"participants.csv\"\r\n\
         Content-Type: text/csv\r\n\r\n{}\r\n--{boundary}--\r\n",
        participants_csv(count)
    );
    let answer = client
        .post(format!("{base}{path}/upload"))
        .header(header::COOKIE, cookie)
        .header("Sec-Fetch-Site", "same-origin")
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .with_context(|| format!("POST {path}/upload"))?;
    if answer.status() != StatusCode::SEE_OTHER {
        let status = answer.status();
        let text = answer.text().await.unwrap_or_default();
        bail!(
            "POST {path}/upload answered {status}, not 303: {}",
            text.chars().take(500).collect::<String>()
        );
    }
    Ok(())
}

/// Makes one grantee with a realistic dashboard through the API, signs it
/// in through the portal, and checks the dashboard answers.
pub async fn prepare(
    api: &Api,
    client: &Client,
    base: &str,
    email: &str,
    password: &str,
    options: &Options,
) -> anyhow::Result<Prepared> {
    let world: World = setup::prepare(api, email, password, 100, 1).await?;
    let token = world.grantees.first().context("set-up made no grantee")?;
    let user = world
        .grantee_emails
        .first()
        .context("set-up made no grantee")?;
    let organisation = world
        .grantee_names
        .first()
        .cloned()
        .context("set-up made no grantee")?;

    let mut applications = Vec::new();
    for n in 0..options.applications.max(1) {
        let created = api
            .post(
                &format!("/v1/rounds/{}/applications", world.round),
                token,
                &json!({
                    "amount_requested": GRANT,
                    "project_title": format!("Tea and talk, term {}", n + 1),
                    "summary": "Weekly sessions where people meet, make things and talk, so that nobody has to feel alone.",
                }),
            )
            .await;
        let created = success(created, "creating an application")?;
        applications.push(string_at(&created, "/id", "the new application")?);
    }
    let (draft, to_submit) = applications
        .split_last()
        .context("no application was made")?;
    let mut submitted = Vec::new();
    for id in to_submit {
        let answer = api
            .post(&format!("/v1/applications/{id}/submit"), token, &json!({}))
            .await;
        success(answer, "submitting an application")?;
        submitted.push(id.clone());
    }
    let mut awards = Vec::new();
    for id in submitted.iter().take(options.awards) {
        let answer = api
            .send(
                reqwest::Method::POST,
                &format!("/v1/applications/{id}/decision"),
                Some(&world.admin),
                Some(&json!({"outcome": "award", "amount": GRANT})),
                Some(&uuid::Uuid::now_v7().to_string()),
            )
            .await;
        let decided = success(answer, "an award decision")?;
        awards.push(string_at(&decided, "/award/id", "the decision")?);
    }
    // The first award stays offered ("accept the offer"); the rest are accepted.
    for id in awards.iter().skip(1) {
        let answer = api
            .post(&format!("/v1/awards/{id}/accept"), token, &json!({}))
            .await;
        success(answer, "accepting an award")?;
    }
    let accepted = awards.get(1).or(awards.first());
    if let Some(id) = awards.get(1) {
        let today = Utc::now().date_naive();
        for (amount, days) in [("250.00", 7), ("250.00", 90)] {
            let answer = api
                .post(
                    &format!("/v1/awards/{id}/disbursements"),
                    &world.admin,
                    &json!({"amount": amount, "due_on": (today + Days::days(days)).to_string()}),
                )
                .await;
            // Tranches need the grantee's due diligence passed first;
            // without it the dashboard still shows the return due.
            if let Err(e) = success(answer, "scheduling a tranche") {
                eprintln!("grantledger-load: no tranches on the dashboard: {e:#}");
                break;
            }
        }
    }

    let cookie = sign_in(client, api, base, user, &world.grantee_password).await?;
    let (status, html) = page(client, base, &cookie, "/").await?;
    if status != StatusCode::OK || !html.contains(&organisation) {
        bail!("GET / with the session answered {status} without the organisation's name");
    }
    if let (Some(id), true) = (awards.get(1), options.participants > 0) {
        upload_participants(client, base, &cookie, id, options.participants).await?;
    }

    let mut pages: Vec<(&'static str, String)> = vec![
        ("sign-in", "/sign-in".to_owned()),
        ("dashboard", "/".to_owned()),
        ("round", format!("/rounds/{}", world.round)),
        (
            "eligibility",
            format!("/rounds/{}/eligibility", world.round),
        ),
        ("application (draft)", format!("/applications/{draft}/edit")),
        ("check answers", format!("/applications/{draft}/check")),
        ("organisation", "/organisation".to_owned()),
    ];
    if let Some(id) = submitted.first() {
        pages.push(("application", format!("/applications/{id}")));
    }
    if let Some(id) = awards.first() {
        pages.push(("award (offered)", format!("/awards/{id}")));
    }
    if let Some(id) = accepted.filter(|_| awards.len() > 1) {
        pages.push(("award (accepted)", format!("/awards/{id}")));
        pages.push(("evaluation return", format!("/awards/{id}/return")));
    }
    Ok(Prepared {
        cookie,
        organisation,
        pages,
    })
}

/// Kinds of request the dashboard scenario counts.
const KINDS: [&str; 2] = ["dashboard", "dashboard_service_time"];

/// GETs `url` with the session at `schedule`'s rate; latencies into
/// `stats` when given (the warm-up passes none), as `kinds`: from when
/// each request was due, and from when it was sent.
async fn open_loop(
    client: &Client,
    url: &Arc<String>,
    cookie: &Arc<String>,
    schedule: Schedule,
    max_in_flight: usize,
    stats: Option<(&Arc<Mutex<Recorders>>, [&'static str; 2])>,
) -> anyhow::Result<()> {
    let gate = Arc::new(tokio::sync::Semaphore::new(max_in_flight.max(1)));
    let mut in_flight = JoinSet::new();
    let started = Instant::now();
    let start = tokio::time::Instant::from_std(started);
    let mut next = 0u64;
    while next < schedule.total() {
        let due = schedule.due_by(started.elapsed());
        while next < due {
            let due_at = started + schedule.due(next);
            let permit = gate.clone().acquire_owned().await?;
            let (client, url, cookie) = (client.clone(), url.clone(), cookie.clone());
            let stats = stats.map(|(s, kinds)| (s.clone(), kinds));
            in_flight.spawn(async move {
                let sent = Instant::now();
                let outcome = match client
                    .get(url.as_str())
                    .header(header::COOKIE, cookie.as_str())
                    .header(header::ACCEPT_ENCODING, ACCEPT_ENCODING)
                    .send()
                    .await
                {
                    Ok(response) => {
                        let status = response.status().as_u16();
                        match response.bytes().await {
                            Ok(_) => Outcome::Status(status),
                            Err(_) => Outcome::Transport,
                        }
                    }
                    Err(_) => Outcome::Transport,
                };
                if let Some((stats, [late_kind, service_kind])) = stats {
                    let late = Answer {
                        outcome,
                        latency: due_at.elapsed(),
                        body: None,
                    };
                    let service = Answer {
                        outcome,
                        latency: sent.elapsed(),
                        body: None,
                    };
                    let mut stats = stats.lock().unwrap_or_else(PoisonError::into_inner);
                    record(&mut stats, late_kind, &late);
                    record(&mut stats, service_kind, &service);
                }
                drop(permit);
            });
            next += 1;
        }
        while in_flight.try_join_next().is_some() {}
        if next < schedule.total() {
            tokio::time::sleep_until(start + schedule.due(next)).await;
        }
    }
    while in_flight.join_next().await.is_some() {}
    Ok(())
}

type Recorders = std::collections::BTreeMap<&'static str, crate::stats::Recorder>;

/// How hard to ask for one page.
#[derive(Debug, Clone, Copy)]
pub struct Rate {
    /// Arrivals a second.
    pub rate: f64,
    /// Measured for this long.
    pub duration: Duration,
    /// Unmeasured first, at the same rate.
    pub warm_up: Duration,
    /// Most requests in flight at once.
    pub max_in_flight: usize,
}

/// Asks for the page at `path` at the rate for the time, after a warm-up,
/// and reports it as scenario `name` with request kinds `kinds` (from
/// due, and from sent).
pub async fn measure(
    client: &Client,
    base: &str,
    cookie: &str,
    path: &str,
    name: &'static str,
    kinds: [&'static str; 2],
    rate: Rate,
) -> anyhow::Result<ScenarioReport> {
    let url = Arc::new(format!("{base}{path}"));
    let cookie = Arc::new(cookie.to_owned());
    if rate.warm_up > Duration::ZERO
        && let Ok(warm) = Schedule::new(rate.rate, rate.warm_up)
    {
        open_loop(client, &url, &cookie, warm, rate.max_in_flight, None).await?;
    }
    let schedule = Schedule::new(rate.rate, rate.duration)?;
    let stats = Arc::new(Mutex::new(recorders(&kinds)?));
    let started = Instant::now();
    open_loop(
        client,
        &url,
        &cookie,
        schedule,
        rate.max_in_flight,
        Some((&stats, kinds)),
    )
    .await?;
    let stats = stats.lock().unwrap_or_else(PoisonError::into_inner);
    let ok = stats.get(kinds[0]).map_or(0, |r| r.ok);
    let mut report = ScenarioReport::new(name, started, ok, schedule.total(), &stats);
    report.offered_rate = Some(schedule.rate());
    Ok(report)
}

/// Asks for the dashboard at the rate for the time, after a warm-up, and
/// reports it as the `portal` scenario.
pub async fn dashboard(
    client: &Client,
    base: &str,
    prepared: &Prepared,
    options: &Options,
) -> anyhow::Result<ScenarioReport> {
    let rate = Rate {
        rate: options.rate,
        duration: options.duration,
        warm_up: options.warm_up,
        max_in_flight: options.max_in_flight,
    };
    measure(client, base, &prepared.cookie, "/", "portal", KINDS, rate).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_csrf_field_is_found() {
        let html =
            r#"<form><input type="hidden" name="csrf" value="abc-123"><input name="email"></form>"#;
        assert_eq!(csrf_in(html).as_deref(), Some("abc-123"));
        assert_eq!(csrf_in("<p>no form</p>"), None);
    }

    #[test]
    fn form_values_are_encoded() {
        assert_eq!(form_encode("a b+c@d.org"), "a+b%2Bc%40d.org");
        assert_eq!(form_encode("é"), "%C3%A9");
    }

    #[test]
    fn the_participants_file_has_a_header_and_a_row_each() {
        let csv = participants_csv(3);
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines.len(), 4);
        assert!(lines[0].starts_with("participant_code,"));
        assert!(lines[3].starts_with("P-0003,"));
        assert!(lines.iter().all(|l| l.split(',').count() == 9));
    }
}
