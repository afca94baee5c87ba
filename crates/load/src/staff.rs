//! The staff pages' budget (issue 17): the first page of a round's queue
//! with 20,000 applications in the round, and the fund page of a fund
//! with 1,700 awards, each asked for at a constant rate (open loop) with
//! an administrator's portal session, server time p99 under 20 ms.
//!
//! Set-up goes through the public API as `run` does: a fund whose one
//! round affords exactly the awards, the applications submitted by
//! grantee users at once (the surge), the first ones awarded in bulk
//! (`POST /v1/rounds/{id}/decisions`, 100 a request). Then the
//! administrator signs in through the portal's form, with a code.

use std::time::Duration;

use anyhow::{Context, ensure};
use reqwest::{Client, StatusCode};

use crate::api::Api;
use crate::portal::{Rate, measure, page, sign_in};
use crate::scenarios::{self, ScenarioReport};
use crate::setup;

/// The budget: server time p99 under this many milliseconds.
pub const STAFF_P99_MS: f64 = 20.0;

/// Decisions a bulk request carries while setting up.
const BATCH: usize = 100;

/// How big a round and fund to make.
#[derive(Debug, Clone, Copy)]
pub struct Size {
    /// Applications in the round.
    pub applications: u64,
    /// Of them, how many are awarded.
    pub awards: usize,
    /// Applicants submitting at once while setting up.
    pub concurrency: usize,
}

/// The administrator's session and the two pages, by scenario name.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The `Cookie` header value that carries the session.
    pub cookie: String,
    /// `(scenario, path)`: the queue's first page, then the fund page.
    pub pages: [(&'static str, String); 2],
    /// The fund's id.
    pub fund: String,
}

/// Makes the round and fund, and signs the administrator in to the portal.
pub async fn prepare(
    api: &Api,
    client: &Client,
    base: &str,
    email: &str,
    password: &str,
    size: Size,
) -> anyhow::Result<Prepared> {
    let world = setup::prepare(
        api,
        email,
        password,
        size.awards as u64,
        setup::MAX_GRANTEE_USERS,
    )
    .await?;
    let no_limit = Duration::from_secs(24 * 3600);
    let (_, submitted) =
        scenarios::surge(api, &world, size.applications, size.concurrency, no_limit).await?;
    ensure!(
        submitted.len() as u64 == size.applications,
        "only {} of {} applications were submitted",
        submitted.len(),
        size.applications
    );
    let to_award = submitted.get(..size.awards).unwrap_or(&submitted);
    let (_, awards) = scenarios::bulk_decisions(api, &world, to_award, BATCH, 2, no_limit).await?;
    ensure!(
        awards.len() == size.awards,
        "only {} of {} awards were made",
        awards.len(),
        size.awards
    );
    let cookie = sign_in(client, api, base, email, password)
        .await
        .context("the administrator's portal sign-in")?;
    let pages = [
        ("queue", format!("/rounds/{}/applications", world.round)),
        ("fund", format!("/funds/{}", world.fund)),
    ];
    for (name, path) in &pages {
        let (status, _) = page(client, base, &cookie, path).await?;
        ensure!(
            status == StatusCode::OK,
            "GET {path} ({name}) answered {status}"
        );
    }
    Ok(Prepared {
        cookie,
        pages,
        fund: world.fund,
    })
}

/// Measures each page in turn at `rate`.
pub async fn pages(
    client: &Client,
    base: &str,
    prepared: &Prepared,
    rate: Rate,
) -> anyhow::Result<Vec<ScenarioReport>> {
    let mut reports = Vec::new();
    for (name, path) in &prepared.pages {
        let kinds = match *name {
            "queue" => ["queue", "queue_service_time"],
            _ => ["fund", "fund_service_time"],
        };
        reports.push(measure(client, base, &prepared.cookie, path, name, kinds, rate).await?);
    }
    Ok(reports)
}
