//! The first page after signing in. A grantee sees its organisation, the
//! rounds open to it, its applications and its awards with what is due
//! next; staff see the funds (their own pages come with part 2).

use std::collections::HashMap;

use actix_web::web;
use askama::Template;
use chrono::Utc;
use grantledger_domain::award::AwardStatus;
use grantledger_domain::ids::RoundId;
use grantledger_store::awards::AwardFilter;
use grantledger_store::common::PageRequest;

use crate::http::blocking;
use crate::operations;
use crate::portal::format::{date, instant, pounds, status};
use crate::portal::messages::english;
use crate::portal::page::{Chrome, PortalResult, html};
use crate::portal::session::SignedIn;
use crate::state::AppState;

/// A round open for applications.
#[derive(Debug)]
pub struct OpenRound {
    /// Its id, for links.
    pub id: String,
    /// Its name.
    pub name: String,
    /// When it closes, in words.
    pub closes: String,
    /// Smallest to largest grant, in words.
    pub range: String,
}

/// An application, as listed.
#[derive(Debug)]
pub struct ApplicationLine {
    /// Its id, for links.
    pub id: String,
    /// The project's title.
    pub title: String,
    /// The round's name.
    pub round: String,
    /// The amount asked for.
    pub amount: String,
    /// Its status in words, and the tag colour.
    pub status: (String, &'static str),
}

/// An award, as listed, with what the grantee should do next.
#[derive(Debug)]
pub struct AwardLine {
    /// Its id, for links.
    pub id: String,
    /// Its reference.
    pub reference: String,
    /// The amount awarded.
    pub amount: String,
    /// Paid so far.
    pub paid: String,
    /// Its status in words, and the tag colour.
    pub status: (String, &'static str),
    /// What is due next, in words.
    pub next: String,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct GranteeDashboard {
    c: Chrome,
    organisation: String,
    rounds: Vec<OpenRound>,
    applications: Vec<ApplicationLine>,
    awards: Vec<AwardLine>,
}

/// A fund, as staff see it listed.
#[derive(Debug)]
pub struct FundLine {
    /// Its code.
    pub code: String,
    /// Its name.
    pub name: String,
    /// Its budget.
    pub budget: String,
    /// Not yet allocated to rounds.
    pub unallocated: String,
    /// Its status in words.
    pub status: String,
}

#[derive(Template)]
#[template(path = "staff_home.html")]
struct StaffHome {
    c: Chrome,
    funds: Vec<FundLine>,
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
        let funds = funds
            .items
            .into_iter()
            .map(|f| {
                let fund = f.record.value;
                FundLine {
                    code: fund.code.to_string(),
                    name: fund.name.to_string(),
                    budget: pounds(fund.budget),
                    unallocated: pounds(f.unallocated),
                    status: m.t(&format!("fund-status-{}", fund.status)),
                }
            })
            .collect();
        return html(&StaffHome {
            c: Chrome::signed_in(signed_in, "home"),
            funds,
        });
    };
    let (organisation, rounds, applications, awards, round_names) = blocking(move || {
        state.db.read(|c| {
            let organisation = operations::grantees::visible(c, &principal, grantee_id)?;
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
            Ok((organisation, rounds, applications, awards, round_names))
        })
    })
    .await?;
    let rounds = rounds
        .items
        .into_iter()
        .map(|r| {
            let round = r.record.value;
            OpenRound {
                id: round.id.to_string(),
                name: round.name,
                closes: instant(round.window.closes_at()),
                range: m.with(
                    "grant-range",
                    &[
                        ("min", &pounds(round.grant_range.min())),
                        ("max", &pounds(round.grant_range.max())),
                    ],
                ),
            }
        })
        .collect();
    let mut applications: Vec<ApplicationLine> = applications
        .items
        .into_iter()
        .map(|r| {
            let a = r.value.application;
            ApplicationLine {
                id: a.id.to_string(),
                round: round_names.get(&a.round_id).cloned().unwrap_or_default(),
                title: a.project_title,
                amount: pounds(a.amount_requested),
                status: status(m, "application", a.status.as_str()),
            }
        })
        .collect();
    // Drafts first: they are what the grantee still has to do.
    applications.sort_by_key(|a| a.status.1 != "blue");
    let awards = awards
        .items
        .into_iter()
        .map(|r| {
            let next = next_step(&r.value);
            let a = r.value.award;
            AwardLine {
                id: a.id.to_string(),
                reference: a.reference.to_string(),
                amount: pounds(a.amount),
                paid: pounds(a.paid),
                status: status(m, "award", a.status.as_str()),
                next,
            }
        })
        .collect();
    html(&GranteeDashboard {
        c: Chrome::signed_in(signed_in, "home"),
        organisation: organisation.value.name.to_string(),
        rounds,
        applications,
        awards,
    })
}
