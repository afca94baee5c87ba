//! The audit trail, for administrators and auditors: browse and filter
//! events, open one to see the record before and after, and verify the
//! hash chain, which names where it breaks if it does.

use std::collections::HashMap;

use actix_web::{get, post, web};
use askama::Template;
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use grantledger_domain::audit::Verification;
use grantledger_store::audit::{EventFilter, Listed};
use serde::Deserialize;

use crate::http::blocking;
use crate::operations::audit as op;
use crate::policy::Action;
use crate::portal::format::instant;
use crate::portal::forms::FormErrors;
use crate::portal::messages::english;
use crate::portal::page::{Chrome, PortalError, PortalResult, html};
use crate::portal::session::{Posted, SignedIn};
use crate::portal::table::{Cell, Table};
use crate::state::AppState;

/// Events a page of the trail shows.
const PAGE: u32 = 50;

/// `?action=&entity_type=&since=&until=&after=` on the trail.
#[derive(Debug, Default, Deserialize)]
pub struct TrailQuery {
    #[serde(default)]
    action: String,
    #[serde(default)]
    entity_type: String,
    #[serde(default)]
    since: String,
    #[serde(default)]
    until: String,
    #[serde(default)]
    after: Option<i64>,
}

/// The start of a day typed as `2026-11-30`, UTC; `days` later for the end
/// of a range. A blank field is no limit.
fn day_start(errors: &mut FormErrors, field: &str, text: &str, days: u64) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let day = NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.checked_add_days(chrono::Days::new(days)));
    if day.is_none() {
        errors.add(field, english().t(&format!("trail-{field}-invalid")));
    }
    day.map(|d| d.and_time(NaiveTime::MIN).and_utc())
}

fn blank_none(text: &str) -> Option<String> {
    Some(text.trim().to_owned()).filter(|t| !t.is_empty())
}

#[derive(Template)]
#[template(path = "audit_trail.html")]
struct TrailPage {
    c: Chrome,
    errors: FormErrors,
    action: String,
    entity_type: String,
    since: String,
    until: String,
    events: Table,
    next: Option<String>,
}

fn sealed(m: &crate::portal::messages::Messages, listed: &Listed) -> String {
    listed
        .link
        .as_ref()
        .map_or_else(|| m.t("trail-not-sealed"), |l| l.position.to_string())
}

/// The trail, oldest first, filtered; 50 events a page.
#[get("/audit")]
pub async fn list(
    state: web::Data<AppState>,
    signed_in: SignedIn,
    query: web::Query<TrailQuery>,
) -> PortalResult {
    signed_in.may(Action::Audit)?;
    let q = query.into_inner();
    let mut errors = FormErrors::default();
    let filter = EventFilter {
        action: blank_none(&q.action),
        entity_type: blank_none(&q.entity_type),
        since: day_start(&mut errors, "since", &q.since, 0),
        until: day_start(&mut errors, "until", &q.until, 1),
        ..EventFilter::default()
    };
    let after = q.after;
    let (items, next) = if errors.is_empty() {
        blocking(move || state.db.read(|c| op::events(c, &filter, PAGE, after))).await?
    } else {
        (Vec::new(), None)
    };
    let m = english();
    let mut events = Table::under_heading(
        m.t("trail-events"),
        &[
            (m.t("column-number"), true),
            (m.t("column-when"), false),
            (m.t("column-who"), false),
            (m.t("column-what"), false),
            (m.t("column-record"), false),
            (m.t("column-chain-position"), true),
        ],
        m.t("trail-none"),
    );
    events.rows = items
        .iter()
        .map(|l| {
            let e = &l.event;
            vec![
                Cell::link(e.seq.to_string(), format!("/audit/{}", e.seq)),
                Cell::text(instant(e.occurred_at)),
                Cell::text(e.actor.clone()),
                Cell::text(e.action.clone()),
                Cell::text(e.entity_type.clone()),
                Cell::figure(sealed(m, l)),
            ]
        })
        .collect();
    let next = next.map(|n| {
        let mut fields: Vec<(&str, String)> = vec![
            ("action", q.action.clone()),
            ("entity_type", q.entity_type.clone()),
            ("since", q.since.clone()),
            ("until", q.until.clone()),
        ];
        fields.retain(|(_, v)| !v.trim().is_empty());
        fields.push(("after", n.to_string()));
        format!(
            "/audit?{}",
            serde_urlencoded::to_string(&fields).unwrap_or_default()
        )
    });
    html(&TrailPage {
        c: Chrome::signed_in(&signed_in, "home"),
        errors,
        action: q.action,
        entity_type: q.entity_type,
        since: q.since,
        until: q.until,
        events,
        next,
    })
}

#[derive(Template)]
#[template(path = "audit_event.html")]
struct EventPage {
    c: Chrome,
    details: Table,
    before: Option<String>,
    after: Option<String>,
}

/// A summary as stored, laid out for reading when it is JSON.
fn readable(summary: Option<&String>) -> Option<String> {
    summary.map(|s| {
        serde_json::from_str::<serde_json::Value>(s)
            .ok()
            .and_then(|v| serde_json::to_string_pretty(&v).ok())
            .unwrap_or_else(|| s.clone())
    })
}

/// One event: who did what to which record, when, the record before and
/// after, and its link in the chain.
#[get("/audit/{seq}")]
pub async fn show(
    state: web::Data<AppState>,
    signed_in: SignedIn,
    seq: web::Path<String>,
) -> PortalResult {
    signed_in.may(Action::Audit)?;
    let seq: i64 = seq.parse().map_err(|_| PortalError::NotFound)?;
    let listed = blocking(move || state.db.read(|c| op::event(c, seq))).await?;
    let m = english();
    let e = &listed.event;
    let mut details = Table::under_heading(
        m.with("trail-event-title", &[("seq", &e.seq.to_string())]),
        &[(m.t("column-figure"), false), (String::new(), false)],
        String::new(),
    );
    let mut rows = vec![
        ("column-when", instant(e.occurred_at)),
        ("column-who", e.actor.clone()),
        ("column-what", e.action.clone()),
        (
            "column-record",
            format!("{} {}", e.entity_type, e.entity_id),
        ),
        ("column-chain-position", sealed(m, &listed)),
    ];
    if let Some(link) = &listed.link {
        rows.push(("trail-hash", link.hash.clone()));
        rows.push(("trail-previous-hash", link.prev_hash.clone()));
    }
    details.rows = rows
        .into_iter()
        .map(|(key, value)| vec![Cell::text(m.t(key)), Cell::text(value)])
        .collect();
    html(&EventPage {
        c: Chrome::signed_in(&signed_in, "home"),
        details,
        before: readable(e.before.as_ref()),
        after: readable(e.after.as_ref()),
    })
}

#[derive(Template)]
#[template(path = "audit_verify.html")]
struct VerifyPage {
    c: Chrome,
    report: Verification,
    fault: Option<String>,
}

/// Seals what is pending and verifies the whole chain. A post: sealing
/// writes.
#[post("/audit/verify")]
pub async fn verify(
    state: web::Data<AppState>,
    posted: Posted<HashMap<String, String>>,
) -> PortalResult {
    let signed_in = posted.signed_in;
    signed_in.may(Action::Audit)?;
    let report = blocking(move || op::verify(&state.db)).await?;
    let m = english();
    let fault = report.first_fault.as_ref().map(|f| {
        m.with(
            "trail-fault",
            &[
                ("position", &f.position.to_string()),
                ("seq", &f.seq.to_string()),
                ("detail", &f.detail),
            ],
        )
    });
    html(&VerifyPage {
        c: Chrome::signed_in(&signed_in, "home"),
        report,
        fault,
    })
}
