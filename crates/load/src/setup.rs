//! Everything the scenarios need, made through the public API as an
//! administrator: a fund and an open round big enough for every award, and
//! grantee organisations each with a signed-in user.

use anyhow::Context;
use chrono::{Duration as Days, SecondsFormat, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::api::Api;

/// The amount every application asks for and every award makes.
pub const GRANT: &str = "500.00";
/// [`GRANT`] in whole pounds, for sizing the round.
const GRANT_POUNDS: u64 = 500;

/// Sign-ins a client address may make a minute (the server's limit is 30,
/// and the administrator signs in too).
pub const MAX_GRANTEE_USERS: usize = 25;

/// What set-up made.
#[derive(Debug, Clone)]
pub struct World {
    /// The administrator's token.
    pub admin: String,
    /// The fund's id.
    pub fund: String,
    /// The round's id.
    pub round: String,
    /// Each grantee user's token.
    pub grantees: Vec<String>,
    /// Each grantee user's email, in the order of [`World::grantees`].
    pub grantee_emails: Vec<String>,
    /// The password every grantee user has.
    pub grantee_password: String,
    /// Each grantee organisation's name, in the same order.
    pub grantee_names: Vec<String>,
}

fn id(value: &Value, what: &str) -> anyhow::Result<String> {
    value
        .get("id")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .with_context(|| format!("the new {what} has no id: {value}"))
}

/// Makes a fund whose one round can afford `awards` grants of [`GRANT`],
/// open from yesterday until tomorrow, and `grantee_users` grantees with a
/// user each, all signed in.
pub async fn prepare(
    api: &Api,
    email: &str,
    password: &str,
    awards: u64,
    grantee_users: usize,
) -> anyhow::Result<World> {
    let admin = api.login(email, password).await?;
    let tag = uuid::Uuid::now_v7().simple().to_string();
    // Fund codes are 2–10 capitals and digits; the tail of a v7 UUID is random.
    let code = format!(
        "LD{}",
        tag.get(tag.len().saturating_sub(8)..)
            .unwrap_or_default()
            .to_uppercase()
    );
    let allocation = awards.max(1) * GRANT_POUNDS;
    let fund = api
        .must(
            "/v1/funds",
            Some(&admin),
            &json!({
                "code": code,
                "name": format!("Load test fund {code}"),
                "budget": format!("{}.00", allocation * 2),
            }),
            StatusCode::CREATED,
        )
        .await
        .context("creating the fund")?;
    let fund = id(&fund, "fund")?;
    let now = Utc::now();
    let round = api
        .must(
            &format!("/v1/funds/{fund}/rounds"),
            Some(&admin),
            &json!({
                "name": "Closing-deadline round",
                "opens_at": (now - Days::days(1)).to_rfc3339_opts(SecondsFormat::Secs, true),
                "closes_at": (now + Days::days(1)).to_rfc3339_opts(SecondsFormat::Secs, true),
                "allocation": format!("{allocation}.00"),
                "min_grant": "100.00",
                "max_grant": "2500.00",
                "eligibility": {
                    "organisation_types": ["community_group", "cic", "registered_charity"],
                    "max_annual_income": "250000.00",
                },
            }),
            StatusCode::CREATED,
        )
        .await
        .context("creating the round")?;
    let round = id(&round, "round")?;

    let regions = [
        "north_east",
        "north_west",
        "yorkshire_and_the_humber",
        "west_midlands",
        "london",
        "south_west",
        "wales",
        "scotland",
    ];
    let mut grantees = Vec::with_capacity(grantee_users);
    let mut grantee_emails = Vec::with_capacity(grantee_users);
    let mut grantee_names = Vec::with_capacity(grantee_users);
    for n in 0..grantee_users {
        let region = regions.get(n % regions.len()).copied().unwrap_or("london");
        let name = format!("Load test group {code}-{n}");
        let grantee = api
            .must(
                "/v1/grantees",
                Some(&admin),
                &json!({
                    "name": name,
                    "organisation_type": "community_group",
                    "region": region,
                    "local_authority": "Leeds",
                    "postcode": "LS1 4DY",
                    "annual_income": "18000.00",
                }),
                StatusCode::CREATED,
            )
            .await
            .context("creating a grantee")?;
        let grantee = id(&grantee, "grantee")?;
        let user_email = format!("load-{tag}-{n}@example.org");
        api.must(
            "/v1/users",
            Some(&admin),
            &json!({
                "email": user_email,
                "password": password_for(&tag),
                "role": "grantee",
                "grantee_id": grantee,
            }),
            StatusCode::CREATED,
        )
        .await
        .context("creating a grantee user")?;
        grantees.push(api.login(&user_email, &password_for(&tag)).await?);
        grantee_emails.push(user_email);
        grantee_names.push(name);
    }
    Ok(World {
        admin,
        fund,
        round,
        grantees,
        grantee_emails,
        grantee_password: password_for(&tag),
        grantee_names,
    })
}

fn password_for(tag: &str) -> String {
    format!("load-{tag}")
}
