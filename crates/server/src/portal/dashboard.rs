//! The first page after signing in. A grantee sees its organisation, the
//! rounds open to it, its applications and its awards with what is due
//! next; staff see the funds (their own pages come with part 2).

use std::collections::HashMap;

use actix_web::web;
use askama::Template;
use chrono::Utc;
use grantledger_domain::application::ApplicationStatus;
use grantledger_domain::award::AwardStatus;
use grantledger_domain::ids::RoundId;
use grantledger_store::awards::AwardFilter;
use grantledger_store::common::PageRequest;

use crate::http::blocking;
use crate::operations;
use crate::policy::Action;
use crate::portal::format::{date, instant, pounds, status};
use crate::portal::messages::english;
use crate::portal::page::{Chrome, PortalResult, html};
use crate::portal::session::SignedIn;
use crate::portal::table::{Cell, Table};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "dashboard.html")]
struct GranteeDashboard {
    c: Chrome,
    organisation: String,
    payment_hold: Option<String>,
    rounds: Table,
    applications: Table,
    awards: Table,
}

#[derive(Template)]
#[template(path = "staff_home.html")]
struct StaffHome {
    c: Chrome,
    funds: Table,
    verifies_bank_details: bool,
    reads_payments: bool,
    reads_overdue: bool,
    imports: bool,
    commitments: bool,
    audits: bool,
    reads_grantees: bool,
    assesses: bool,
    manages_funds: bool,
}

fn next_step(award: &grantledger_store::awards::Stored) -> String {
    let m = english();
    let a = &award.award;
    match a.status {
        AwardStatus::Offered => m.t("next-accept-offer"),
        AwardStatus::Accepted => match award.return_due_on {
            Some(due) => m.with("next-return-due", &[("date", &date(due))]),
            None if award.scheduled.pence() > a.paid.pence() => m.t("next-payment-scheduled"),
            None => m.t("next-nothing"),
        },
        _ => m.t("next-nothing"),
    }
}

/// Draws the dashboard for whoever is signed in.
pub async fn show(state: &web::Data<AppState>, signed_in: &SignedIn) -> PortalResult {
    let principal = signed_in.principal.clone();
    let state = state.clone();
    let m = english();
    let Some(grantee_id) = principal.grantee_id.filter(|_| signed_in.is_grantee()) else {
        let funds = blocking(move || {
            state
                .db
                .read(|c| operations::funds::list(c, None, PageRequest::new(Some(100), None)))
        })
        .await?;
        let mut table = Table::under_heading(
            m.t("staff-funds"),
            &[
                (m.t("column-code"), false),
                (m.t("column-fund"), false),
                (m.t("column-budget"), true),
                (m.t("column-unallocated"), true),
                (m.t("column-status"), false),
            ],
            m.t("staff-no-funds"),
        );
        table.caption_class = "govuk-table__caption--m";
        let audits = signed_in.can(Action::Audit);
        table.rows = funds
            .items
            .into_iter()
            .map(|f| {
                let fund = f.record.value;
                let code = fund.code.to_string();
                vec![
                    if audits {
                        Cell::link(code, format!("/funds/{}", fund.id))
                    } else {
                        Cell::text(code)
                    },
                    Cell::text(fund.name.to_string()),
                    Cell::figure(pounds(fund.budget)),
                    Cell::figure(pounds(f.unallocated)),
                    Cell::text(m.t(&format!("fund-status-{}", fund.status))),
                ]
            })
            .collect();
        return html(&StaffHome {
            c: Chrome::signed_in(signed_in, "home"),
            funds: table,
            verifies_bank_details: signed_in.can(Action::VerifyBankDetails),
            reads_payments: signed_in.can(Action::ReadPayments),
            reads_overdue: signed_in.can(Action::ReadOverdueReturns),
            imports: signed_in.can(Action::ImportData),
            commitments: signed_in.can(Action::ReadCommitments),
            audits,
            reads_grantees: signed_in.can(Action::ReadGrantees),
            assesses: signed_in.can(Action::Assess),
            manages_funds: signed_in.can(Action::ManageFunds),
        });
    };
    let (organisation, hold, rounds, applications, awards, round_names) = blocking(move || {
        state.db.read(|c| {
            let organisation = operations::grantees::visible(c, &principal, grantee_id)?;
            // Held payments are the grantee's to unblock, so the first page
            // says so.
            let hold =
                operations::bank_details::show(c, &state.bank_keys, &principal, grantee_id)?.hold();
            let rounds =
                operations::rounds::open_now(c, Utc::now(), PageRequest::new(Some(50), None))?;
            let applications =
                operations::applications::mine(c, &principal, PageRequest::new(Some(100), None))?;
            let awards = operations::awards::list(
                c,
                &principal,
                AwardFilter::default(),
                PageRequest::new(Some(100), None),
            )?;
            let mut round_names: HashMap<RoundId, String> = HashMap::new();
            for a in &applications.items {
                let id = a.value.application.round_id;
                if let std::collections::hash_map::Entry::Vacant(e) = round_names.entry(id) {
                    e.insert(operations::rounds::get(c, id)?.record.value.name);
                }
            }
            Ok((
                organisation,
                hold,
                rounds,
                applications,
                awards,
                round_names,
            ))
        })
    })
    .await?;
    let mut round_table = Table::under_heading(
        m.t("dashboard-rounds"),
        &[
            (m.t("column-round"), false),
            (m.t("column-grants"), false),
            (m.t("column-closes"), false),
        ],
        m.t("dashboard-no-rounds"),
    );
    round_table.rows = rounds
        .items
        .into_iter()
        .map(|r| {
            let round = r.record.value;
            vec![
                Cell::link(round.name, format!("/rounds/{}", round.id)),
                Cell::text(m.with(
                    "grant-range",
                    &[
                        ("min", &pounds(round.grant_range.min())),
                        ("max", &pounds(round.grant_range.max())),
                    ],
                )),
                Cell::text(instant(round.window.closes_at())),
            ]
        })
        .collect();
    let mut listed: Vec<_> = applications
        .items
        .into_iter()
        .map(|r| r.value.application)
        .collect();
    // Drafts first: they are what the grantee still has to do.
    listed.sort_by_key(|a| a.status != ApplicationStatus::Draft);
    let mut application_table = Table::under_heading(
        m.t("dashboard-applications"),
        &[
            (m.t("column-project"), false),
            (m.t("column-round"), false),
            (m.t("column-requested"), true),
            (m.t("column-status"), false),
        ],
        m.t("dashboard-no-applications"),
    );
    application_table.rows = listed
        .into_iter()
        .map(|a| {
            vec![
                Cell::link(a.project_title, format!("/applications/{}", a.id)),
                Cell::text(round_names.get(&a.round_id).cloned().unwrap_or_default()),
                Cell::figure(pounds(a.amount_requested)),
                Cell::tag(status(m, "application", a.status.as_str())),
            ]
        })
        .collect();
    let mut award_table = Table::under_heading(
        m.t("dashboard-awards"),
        &[
            (m.t("column-reference"), false),
            (m.t("column-awarded"), true),
            (m.t("column-paid"), true),
            (m.t("column-status"), false),
            (m.t("column-next"), false),
        ],
        m.t("dashboard-no-awards"),
    );
    award_table.rows = awards
        .items
        .into_iter()
        .map(|r| {
            let next = next_step(&r.value);
            let a = r.value.award;
            vec![
                Cell::link(a.reference.to_string(), format!("/awards/{}", a.id)),
                Cell::figure(pounds(a.amount)),
                Cell::figure(pounds(a.paid)),
                Cell::tag(status(m, "award", a.status.as_str())),
                Cell::text(next),
            ]
        })
        .collect();
    html(&GranteeDashboard {
        c: Chrome::signed_in(signed_in, "home"),
        organisation: organisation.value.name.to_string(),
        payment_hold: hold.map(|h| m.t(&format!("hold-{}", h.code()))),
        rounds: round_table,
        applications: application_table,
        awards: award_table,
    })
}
