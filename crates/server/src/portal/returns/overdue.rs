//! `/returns/overdue`: the evaluation returns that are late, for the staff
//! who chase them (issue 17), from the same operation as `GET
//! /v1/evaluation-returns/overdue`.

use std::collections::HashMap;

use actix_web::{get, web};
use askama::Template;
use chrono::Utc;
use grantledger_domain::evaluation::ReviewStatus;
use grantledger_store::common::PageRequest;
use grantledger_store::grantees;
use serde::Deserialize;

use crate::error::ApiError;
use crate::http::blocking;
use crate::operations;
use crate::policy::Action;
use crate::portal::format::date;
use crate::portal::messages::english;
use crate::portal::page::{Chrome, PortalResult, html};
use crate::portal::session::SignedIn;
use crate::portal::table::{Cell, Table};
use crate::state::AppState;

/// Rows on one page.
const PAGE: u32 = 100;

#[derive(Template)]
#[template(path = "overdue_returns.html")]
struct OverduePage {
    c: Chrome,
    table: Table,
    more: Option<String>,
}

/// Where the list continues.
#[derive(Debug, Deserialize)]
pub struct After {
    after: Option<uuid::Uuid>,
}

/// Awards whose return is late, oldest award first, with who owes it and
/// how late it is.
#[get("/returns/overdue")]
pub async fn list(
    state: web::Data<AppState>,
    signed_in: SignedIn,
    query: web::Query<After>,
) -> PortalResult {
    signed_in.may(Action::ReadOverdueReturns)?;
    let today = Utc::now().date_naive();
    let after = query.after;
    let (page, names) = blocking(move || {
        state.db.read(|c| {
            let page = operations::evaluation::overdue(
                c,
                today,
                None,
                PageRequest::new(Some(PAGE), after),
            )?;
            let mut names = HashMap::new();
            for o in &page.items {
                if let std::collections::hash_map::Entry::Vacant(slot) =
                    names.entry(o.award.grantee_id)
                {
                    slot.insert(grantees::get(c, o.award.grantee_id)?.value.name.to_string());
                }
            }
            Ok::<_, ApiError>((page, names))
        })
    })
    .await?;
    let m = english();
    let mut table = Table::under_heading(
        m.t("overdue-title"),
        &[
            (m.t("overdue-award"), false),
            (m.t("overdue-grantee"), false),
            (m.t("overdue-due"), false),
            (m.t("overdue-days"), true),
            (m.t("overdue-state"), false),
        ],
        m.t("overdue-none"),
    );
    for o in &page.items {
        let due = o.award.return_due_on;
        let days = due.map_or(0, |d| (today - d).num_days());
        let state = match o.return_status {
            Some(ReviewStatus::ChangesRequested) => (m.t("overdue-changes"), "orange"),
            _ => (m.t("overdue-not-sent"), "red"),
        };
        table.rows.push(vec![
            Cell::link(
                o.award.reference.clone(),
                format!("/awards/{}/return", o.award.id),
            ),
            Cell::link(
                names.get(&o.award.grantee_id).cloned().unwrap_or_default(),
                format!("/grantees/{}", o.award.grantee_id),
            ),
            Cell::text(due.map(date).unwrap_or_default()),
            Cell::figure(days.to_string()),
            Cell::tag(state),
        ]);
    }
    let more = page
        .next
        .map(|after| format!("/returns/overdue?after={after}"));
    html(&OverduePage {
        c: Chrome::signed_in(&signed_in, "home"),
        table,
        more,
    })
}
