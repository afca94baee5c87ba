//! `/funds/{id}/outcomes`: what a fund's grants did for loneliness, from
//! the evaluation returns (issue 17), by the same operation as `GET
//! /v1/funds/{id}/outcomes`. Administrators and auditors see the exact
//! figures or, on asking, the published form; everyone else sees only the
//! published form, where a figure with too small a base is suppressed and
//! says so. The answers before and after are charted beside their table.

use actix_web::http::header;
use actix_web::{HttpResponse, get, web};
use askama::Template;
use grantledger_domain::evaluation::{Figures, Interval};
use serde::Deserialize;

use crate::error::ApiError;
use crate::http::blocking;
use crate::operations::evaluation::{self as op, FundOutcomes};
use crate::policy::Action;
use crate::portal::chart::{self, BLUE, Chart, GREEN, Series};
use crate::portal::messages::{Messages, english};
use crate::portal::page::{Chrome, PortalResult, html};
use crate::portal::session::SignedIn;
use crate::portal::table::{Cell, Table};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "outcomes.html")]
struct OutcomesPage {
    c: Chrome,
    id: String,
    fund_name: String,
    published: bool,
    /// Whether the reader may choose exact figures.
    chooses: bool,
    summary: Table,
    direct_chart: Chart,
    direct: Table,
    often_always: Table,
    ucla: Table,
    rounds: Table,
    regions: Table,
}

/// `?published=true|false`.
#[derive(Debug, Deserialize)]
pub struct OutcomesQuery {
    published: Option<bool>,
}

/// A count, or what stands for a missing one.
fn count(m: &Messages, published: bool, v: Option<u64>) -> Cell {
    Cell::figure(v.map_or_else(|| missing(m, published), |v| v.to_string()))
}

fn missing(m: &Messages, published: bool) -> String {
    if published {
        m.t("outcomes-suppressed")
    } else {
        "–".to_owned()
    }
}

fn percent(m: &Messages, published: bool, v: Option<f64>, ci: Option<&Interval>) -> Cell {
    Cell::figure(match (v, ci) {
        (Some(v), Some(ci)) => format!("{v:.1}% ({:.1}–{:.1})", ci.low, ci.high),
        (Some(v), None) => format!("{v:.1}%"),
        (None, _) => missing(m, published),
    })
}

fn number(m: &Messages, published: bool, v: Option<f64>) -> Cell {
    Cell::figure(v.map_or_else(|| missing(m, published), |v| format!("{v:.2}")))
}

fn two_columns(m: &Messages, caption: &str, first: &str, second: &str) -> Table {
    Table::under_heading(
        m.t(caption),
        &[
            (m.t("outcomes-measure"), false),
            (m.t(first), true),
            (m.t(second), true),
        ],
        m.t("outcomes-none"),
    )
}

fn summary(m: &Messages, p: bool, f: &Figures) -> Table {
    let mut t = Table::under_heading(
        m.t("outcomes-summary"),
        &[
            (m.t("outcomes-measure"), false),
            (m.t("outcomes-value"), true),
        ],
        m.t("outcomes-none"),
    );
    for (key, v) in [
        ("outcomes-returns", f.returns),
        ("outcomes-participants", f.participants_reached),
        ("outcomes-respondents-baseline", f.respondents.baseline),
        ("outcomes-respondents-follow-up", f.respondents.follow_up),
        ("outcomes-respondents-paired", f.respondents.paired),
    ] {
        t.rows.push(vec![Cell::text(m.t(key)), count(m, p, v)]);
    }
    t
}

const ANSWERS: [&str; 5] = [
    "outcomes-often-always",
    "outcomes-some-of-the-time",
    "outcomes-occasionally",
    "outcomes-hardly-ever",
    "outcomes-never",
];

fn direct(m: &Messages, p: bool, f: &Figures) -> (Chart, Table) {
    let (b, a) = (&f.direct.baseline, &f.direct.follow_up);
    let pairs = [
        (b.often_always, a.often_always),
        (b.some_of_the_time, a.some_of_the_time),
        (b.occasionally, a.occasionally),
        (b.hardly_ever, a.hardly_ever),
        (b.never, a.never),
    ];
    let mut t = two_columns(
        m,
        "outcomes-direct",
        "outcomes-baseline",
        "outcomes-follow-up",
    );
    let mut categories = Vec::new();
    for (key, (before, after)) in ANSWERS.iter().zip(pairs) {
        t.rows.push(vec![
            Cell::text(m.t(key)),
            count(m, p, before),
            count(m, p, after),
        ]);
        let bar = |v: Option<u64>| v.and_then(|v| i64::try_from(v).ok()).unwrap_or(0);
        categories.push((m.t(key), vec![bar(before), bar(after)]));
    }
    t.rows.push(vec![
        Cell::text(m.t("outcomes-answered")),
        count(m, p, b.answered),
        count(m, p, a.answered),
    ]);
    let series = [
        Series {
            name: m.t("outcomes-baseline"),
            colour: BLUE,
        },
        Series {
            name: m.t("outcomes-follow-up"),
            colour: GREEN,
        },
    ];
    let chart = chart::bars(
        "chart-direct",
        m.t("outcomes-direct"),
        &series,
        &categories,
        |v| v.to_string(),
    );
    (chart, t)
}

fn often_always(m: &Messages, p: bool, f: &Figures) -> Table {
    let mut t = two_columns(
        m,
        "outcomes-often-always-title",
        "outcomes-baseline",
        "outcomes-follow-up",
    );
    t.rows.push(vec![
        Cell::text(m.t("outcomes-share-all")),
        percent(
            m,
            p,
            f.often_always_percent.baseline,
            f.often_always_ci.baseline.as_ref(),
        ),
        percent(
            m,
            p,
            f.often_always_percent.follow_up,
            f.often_always_ci.follow_up.as_ref(),
        ),
    ]);
    let pa = &f.often_always_paired;
    t.rows.push(vec![
        Cell::text(m.t("outcomes-share-paired")),
        percent(m, p, pa.baseline_percent, None),
        percent(m, p, pa.follow_up_percent, None),
    ]);
    t.rows.push(vec![
        Cell::text(m.t("outcomes-no-longer")),
        count(m, p, pa.no_longer),
        Cell::text(String::new()),
    ]);
    t.rows.push(vec![
        Cell::text(m.t("outcomes-newly")),
        Cell::text(String::new()),
        count(m, p, pa.newly),
    ]);
    t
}

fn ucla(m: &Messages, p: bool, f: &Figures) -> Table {
    let mut t = two_columns(
        m,
        "outcomes-ucla",
        "outcomes-baseline",
        "outcomes-follow-up",
    );
    let u = &f.ucla;
    t.rows.push(vec![
        Cell::text(m.t("outcomes-ucla-n")),
        count(m, p, u.baseline.n),
        count(m, p, u.follow_up.n),
    ]);
    t.rows.push(vec![
        Cell::text(m.t("outcomes-ucla-mean")),
        number(m, p, u.baseline.mean),
        number(m, p, u.follow_up.mean),
    ]);
    let c = &u.change;
    for (key, v, share) in [
        ("outcomes-improved", c.improved, c.improved_percent),
        ("outcomes-same", c.same, c.same_percent),
        ("outcomes-worse", c.worse, c.worse_percent),
    ] {
        t.rows.push(vec![
            Cell::text(m.t(key)),
            count(m, p, v),
            percent(m, p, share, None),
        ]);
    }
    t
}

fn groups<'a>(
    m: &Messages,
    p: bool,
    caption: &str,
    first: &str,
    rows: impl Iterator<Item = (String, &'a Figures)>,
) -> Table {
    let mut t = Table::under_heading(
        m.t(caption),
        &[
            (m.t(first), false),
            (m.t("outcomes-returns"), true),
            (m.t("outcomes-respondents-paired"), true),
            (m.t("outcomes-often-always-before"), true),
            (m.t("outcomes-often-always-after"), true),
            (m.t("outcomes-improved"), true),
        ],
        m.t("outcomes-none"),
    );
    for (name, f) in rows {
        t.rows.push(vec![
            Cell::text(name),
            count(m, p, f.returns),
            count(m, p, f.respondents.paired),
            percent(m, p, f.often_always_percent.baseline, None),
            percent(m, p, f.often_always_percent.follow_up, None),
            count(m, p, f.ucla.change.improved),
        ]);
    }
    t
}

async fn load(
    state: web::Data<AppState>,
    signed_in: &SignedIn,
    fund: String,
    asked: Option<bool>,
) -> Result<FundOutcomes, ApiError> {
    crate::policy::authorize(&signed_in.principal, Action::ReadOutcomes)?;
    let published = op::outcome_form(&signed_in.principal, asked)?;
    blocking(move || state.db.read(|c| op::outcomes(c, &fund, published))).await
}

/// The outcomes report.
#[get("/funds/{id}/outcomes")]
pub async fn show(
    state: web::Data<AppState>,
    signed_in: SignedIn,
    id: web::Path<String>,
    query: web::Query<OutcomesQuery>,
) -> PortalResult {
    let o = load(state, &signed_in, id.into_inner(), query.published).await?;
    let m = english();
    let p = o.published;
    let (direct_chart, direct) = direct(m, p, &o.total);
    let rounds = groups(
        m,
        p,
        "outcomes-by-round",
        "column-round",
        o.by_round.iter().map(|r| (r.name.clone(), &r.figures)),
    );
    let regions = groups(
        m,
        p,
        "outcomes-by-region",
        "column-region",
        o.by_region
            .iter()
            .map(|r| (r.region.label().to_owned(), &r.figures)),
    );
    html(&OutcomesPage {
        c: Chrome::signed_in(&signed_in, "home"),
        id: o.fund_id.to_string(),
        fund_name: o.fund_name.clone(),
        published: p,
        chooses: op::outcome_form(&signed_in.principal, Some(false)).is_ok(),
        summary: summary(m, p, &o.total),
        direct_chart,
        direct,
        often_always: often_always(m, p, &o.total),
        ucla: ucla(m, p, &o.total),
        rounds,
        regions,
    })
}

/// The same figures as CSV (one row per group and measure), the file the
/// API gives.
#[get("/funds/{id}/outcomes.csv")]
pub async fn csv(
    state: web::Data<AppState>,
    signed_in: SignedIn,
    id: web::Path<String>,
    query: web::Query<OutcomesQuery>,
) -> PortalResult {
    let o = load(state, &signed_in, id.into_inner(), query.published).await?;
    let body = op::outcomes_csv(&o)?;
    let name = if o.published {
        "outcomes-published.csv"
    } else {
        "outcomes.csv"
    };
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        ))
        .body(body))
}
