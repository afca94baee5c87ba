//! The fund page's figures, as tables and as the charts drawn beside
//! them: one builder a section, each from the reconciliation or the
//! domain's fund overview.

use grantledger_domain::Money;
use grantledger_domain::fund_overview::{MoneyAt, Period, SizeCount};
use grantledger_domain::reconciliation::{Check, Reconciliation, Totals, Unit};

use crate::portal::chart::{self, BLUE, Chart, GREEN, Series};
use crate::portal::format::{date, pounds, pounds_of_pence, whole_pounds};
use crate::portal::messages::Messages;
use crate::portal::table::{Cell, Table};

fn committed_and_paid(m: &Messages) -> [Series; 2] {
    [
        Series {
            name: m.t("column-committed"),
            colour: BLUE,
        },
        Series {
            name: m.t("column-paid"),
            colour: GREEN,
        },
    ]
}

pub(super) fn money_table(m: &Messages, r: &Reconciliation) -> Table {
    let mut t = Table::under_heading(
        m.t("fund-money"),
        &[(m.t("column-figure"), false), (m.t("column-amount"), true)],
        String::new(),
    );
    let available: i64 = r.by_round.iter().map(|round| round.available.0).sum();
    t.rows = [
        ("fund-budget", r.budget.0),
        ("fund-allocated", r.allocated.0),
        ("fund-committed", r.committed.0),
        ("fund-paid", r.paid.0),
        ("fund-outstanding", r.outstanding.0),
        ("fund-available", available),
    ]
    .into_iter()
    .map(|(key, pence)| vec![Cell::text(m.t(key)), Cell::figure(pounds_of_pence(pence))])
    .collect();
    t
}

/// A check's figure as the page shows it: money in pounds with commas.
fn figure(unit: Unit, text: &str) -> String {
    if unit != Unit::Gbp {
        return text.to_owned();
    }
    let (sign, digits) = text.strip_prefix('-').map_or(("", text), |d| ("-", d));
    Money::parse(digits).map_or_else(|_| text.to_owned(), |m| format!("{sign}{}", pounds(m)))
}

pub(super) fn checks_table(m: &Messages, checks: &[Check]) -> Table {
    let mut t = Table::under_heading(
        m.t("fund-checks"),
        &[
            (m.t("column-check"), false),
            (m.t("column-scope"), false),
            (m.t("column-expected"), true),
            (m.t("column-actual"), true),
            (m.t("column-difference"), true),
            (m.t("column-result"), false),
        ],
        m.t("fund-no-checks"),
    );
    t.rows = checks
        .iter()
        .map(|check| {
            let result = if check.pass {
                (m.t("check-pass"), "green")
            } else {
                (m.t("check-fail"), "red")
            };
            vec![
                Cell::text(check.description.clone()),
                Cell::text(check.scope.clone()),
                Cell::figure(figure(check.unit, &check.expected)),
                Cell::figure(figure(check.unit, &check.actual)),
                Cell::figure(figure(check.unit, &check.difference)),
                Cell::tag(result),
            ]
        })
        .collect();
    t
}

pub(super) fn funders_table(m: &Messages, r: &Reconciliation) -> Table {
    let mut t = Table::under_heading(
        m.t("fund-funders"),
        &[
            (m.t("column-funder"), false),
            (m.t("column-contribution"), true),
            (m.t("column-share"), true),
            (m.t("column-allocated"), true),
            (m.t("column-committed"), true),
            (m.t("column-paid"), true),
            (m.t("column-outstanding"), true),
        ],
        m.t("fund-no-funders"),
    );
    t.rows = r
        .by_funder
        .iter()
        .map(|f| {
            vec![
                Cell::text(f.name.clone()),
                Cell::figure(pounds_of_pence(f.contribution.0)),
                Cell::figure(format!("{}%", f.share_percent)),
                Cell::figure(pounds_of_pence(f.allocated.0)),
                Cell::figure(pounds_of_pence(f.committed.0)),
                Cell::figure(pounds_of_pence(f.paid.0)),
                Cell::figure(pounds_of_pence(f.outstanding.0)),
            ]
        })
        .collect();
    t
}

/// The rounds as a chart of committed and paid, and as a table.
pub(super) fn rounds(m: &Messages, r: &Reconciliation) -> (Chart, Table) {
    let mut t = Table::under_heading(
        m.t("fund-by-round"),
        &[
            (m.t("column-round"), false),
            (m.t("column-allocated"), true),
            (m.t("column-awards"), true),
            (m.t("column-committed"), true),
            (m.t("column-paid"), true),
            (m.t("column-available"), true),
        ],
        m.t("fund-no-rounds"),
    );
    t.rows = r
        .by_round
        .iter()
        .map(|round| {
            vec![
                Cell::link(round.name.clone(), format!("/rounds/{}", round.round_id)),
                Cell::figure(pounds_of_pence(round.allocation.0)),
                Cell::figure(round.awards.to_string()),
                Cell::figure(pounds_of_pence(round.committed.0)),
                Cell::figure(pounds_of_pence(round.paid.0)),
                Cell::figure(pounds_of_pence(round.available.0)),
            ]
        })
        .collect();
    let categories: Vec<(String, Vec<i64>)> = r
        .by_round
        .iter()
        .map(|round| (round.name.clone(), vec![round.committed.0, round.paid.0]))
        .collect();
    let chart = chart::bars(
        "chart-rounds",
        m.t("fund-by-round"),
        &committed_and_paid(m),
        &categories,
        whole_pounds,
    );
    (chart, t)
}

/// A region in words; a region the catalogue does not know (a grantee
/// without one is "(unknown)") as it is stored.
fn region_label(m: &Messages, region: &str) -> String {
    let key = format!("region-{region}");
    if m.has(&key) {
        m.t(&key)
    } else {
        region.to_owned()
    }
}

pub(super) fn regions(m: &Messages, by_region: &[Totals]) -> (Chart, Table) {
    let mut t = Table::under_heading(
        m.t("fund-by-region"),
        &[
            (m.t("column-region"), false),
            (m.t("column-awards"), true),
            (m.t("column-committed"), true),
            (m.t("column-paid"), true),
            (m.t("column-outstanding"), true),
        ],
        m.t("fund-no-awards"),
    );
    t.rows = by_region
        .iter()
        .map(|region| {
            vec![
                Cell::text(region_label(m, &region.name)),
                Cell::figure(region.awards.to_string()),
                Cell::figure(pounds_of_pence(region.committed.0)),
                Cell::figure(pounds_of_pence(region.paid.0)),
                Cell::figure(pounds_of_pence(region.outstanding.0)),
            ]
        })
        .collect();
    let categories: Vec<(String, Vec<i64>)> = by_region
        .iter()
        .map(|region| {
            (
                region_label(m, &region.name),
                vec![region.committed.0, region.paid.0],
            )
        })
        .collect();
    let chart = chart::bars(
        "chart-regions",
        m.t("fund-by-region"),
        &committed_and_paid(m),
        &categories,
        whole_pounds,
    );
    (chart, t)
}

fn size_label(m: &Messages, size: &SizeCount) -> String {
    let from = pounds_of_pence(size.from_pence);
    match size.band.up_to_pence {
        Some(up_to) if size.from_pence == 0 => {
            m.with("size-up-to", &[("to", &pounds_of_pence(up_to))])
        }
        Some(up_to) => m.with(
            "size-between",
            &[("from", &from), ("to", &pounds_of_pence(up_to))],
        ),
        None => m.with("size-from", &[("from", &from)]),
    }
}

pub(super) fn sizes(m: &Messages, sizes: &[SizeCount]) -> (Chart, Table) {
    let mut t = Table::under_heading(
        m.t("fund-by-size"),
        &[
            (m.t("column-grant-size"), false),
            (m.t("column-awards"), true),
            (m.t("column-total"), true),
        ],
        m.t("fund-no-awards"),
    );
    t.rows = sizes
        .iter()
        .map(|s| {
            vec![
                Cell::text(size_label(m, s)),
                Cell::figure(s.awards.to_string()),
                Cell::figure(pounds_of_pence(s.total.pence())),
            ]
        })
        .collect();
    let categories: Vec<(String, Vec<i64>)> = sizes
        .iter()
        .map(|s| (size_label(m, s), vec![s.awards]))
        .collect();
    let series = [Series {
        name: m.t("column-awards"),
        colour: BLUE,
    }];
    let chart = chart::bars(
        "chart-sizes",
        m.t("fund-by-size"),
        &series,
        &categories,
        |n| n.to_string(),
    );
    (chart, t)
}

fn period_label(point: &MoneyAt) -> String {
    match point.length {
        Period::Day => date(point.period),
        Period::Month => point.period.format("%B %Y").to_string(),
    }
}

pub(super) fn over_time(m: &Messages, points: &[MoneyAt]) -> (Chart, Table) {
    let mut t = Table::under_heading(
        m.t("fund-over-time"),
        &[
            (m.t("column-period"), false),
            (m.t("column-committed"), true),
            (m.t("column-paid"), true),
        ],
        m.t("fund-no-movements"),
    );
    t.rows = points
        .iter()
        .map(|p| {
            vec![
                Cell::text(period_label(p)),
                Cell::figure(pounds_of_pence(p.committed)),
                Cell::figure(pounds_of_pence(p.paid)),
            ]
        })
        .collect();
    let periods: Vec<String> = points.iter().map(period_label).collect();
    let values = [
        points.iter().map(|p| p.committed).collect(),
        points.iter().map(|p| p.paid).collect(),
    ];
    let chart = chart::lines(
        "chart-over-time",
        m.t("fund-over-time"),
        &committed_and_paid(m),
        &periods,
        &values,
        whole_pounds,
    );
    (chart, t)
}
