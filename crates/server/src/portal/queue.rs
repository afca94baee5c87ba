//! A round's applications for staff (issue 17): filtered by status, paged
//! by id, each linking to the application (where an administrator decides
//! it). The same operation as `GET /v1/rounds/{id}/applications`.

use std::collections::HashMap;

use actix_web::{get, web};
use askama::Template;
use grantledger_domain::application::ApplicationStatus;
use grantledger_domain::ids::{GranteeId, RoundId};
use grantledger_store::common::PageRequest;
use serde::Deserialize;

use crate::http::blocking;
use crate::operations;
use crate::policy::Action;
use crate::portal::format::{instant, pounds, status};
use crate::portal::forms::FormErrors;
use crate::portal::messages::english;
use crate::portal::page::{Chrome, PortalError, PortalResult, html};
use crate::portal::payment_runs::SelectOption;
use crate::portal::session::SignedIn;
use crate::portal::table::{Cell, Table};
use crate::state::AppState;

/// Applications a page shows.
const PAGE: u32 = 50;

#[derive(Template)]
#[template(path = "queue.html")]
struct QueuePage {
    c: Chrome,
    errors: FormErrors,
    id: String,
    round: String,
    statuses: Vec<SelectOption>,
    table: Table,
    next: Option<String>,
}

/// The status filter and the page's cursor.
#[derive(Debug, Default, Deserialize)]
pub struct QueueQuery {
    #[serde(default)]
    status: String,
    after: Option<uuid::Uuid>,
}

/// A page of the round's applications, oldest first.
#[get("/rounds/{id}/applications")]
pub async fn list(
    state: web::Data<AppState>,
    signed_in: SignedIn,
    path: web::Path<String>,
    query: web::Query<QueueQuery>,
) -> PortalResult {
    signed_in.may(Action::ReadApplications)?;
    if signed_in.is_grantee() {
        // A grantee's applications are on its home page.
        return Err(PortalError::NotFound);
    }
    let round = path
        .parse::<uuid::Uuid>()
        .map(RoundId::from_uuid)
        .map_err(|_| PortalError::NotFound)?;
    let q = query.into_inner();
    let m = english();
    let mut errors = FormErrors::default();
    let wanted = match q.status.trim() {
        "" => None,
        s => match s.parse::<ApplicationStatus>() {
            Ok(status) => Some(status),
            Err(_) => {
                errors.add("status", m.t("queue-status-invalid"));
                None
            }
        },
    };
    let principal = signed_in.principal.clone();
    let page = PageRequest::new(Some(PAGE), q.after);
    let (round_name, found, names) = blocking(move || {
        state.db.read(|c| {
            let name = operations::rounds::get(c, round)?.record.value.name;
            let found = operations::applications::list(c, &principal, round, wanted, None, page)?;
            let mut names: HashMap<GranteeId, String> = HashMap::new();
            for r in &found.items {
                let id = r.value.application.grantee_id;
                if let std::collections::hash_map::Entry::Vacant(e) = names.entry(id) {
                    let grantee = operations::grantees::visible(c, &principal, id)?;
                    e.insert(grantee.value.name.to_string());
                }
            }
            Ok((name, found, names))
        })
    })
    .await?;
    let mut table = Table::under_heading(
        m.t("queue-title"),
        &[
            (m.t("column-application"), false),
            (m.t("column-grantee"), false),
            (m.t("queue-amount"), true),
            (m.t("column-status"), false),
            (m.t("queue-submitted"), false),
        ],
        m.t("queue-none"),
    );
    table.rows = found
        .items
        .iter()
        .map(|r| {
            let a = &r.value.application;
            vec![
                Cell::link(a.project_title.clone(), format!("/applications/{}", a.id)),
                Cell::text(names.get(&a.grantee_id).cloned().unwrap_or_default()),
                Cell::figure(pounds(a.amount_requested)),
                Cell::tag(status(m, "application", a.status.as_str())),
                Cell::text(a.submitted_at.map(instant).unwrap_or_default()),
            ]
        })
        .collect();
    let chosen = wanted.map(ApplicationStatus::as_str).unwrap_or_default();
    let mut statuses = vec![SelectOption {
        value: String::new(),
        label: m.t("queue-any-status"),
        selected: chosen.is_empty(),
    }];
    statuses.extend(ApplicationStatus::ALL.iter().map(|s| SelectOption {
        value: s.as_str().to_owned(),
        label: m.t(&format!("application-status-{}", s.as_str())),
        selected: chosen == s.as_str(),
    }));
    let next = found.next.map(|after| {
        let mut fields = vec![("after", after.to_string())];
        if !chosen.is_empty() {
            fields.insert(0, ("status", chosen.to_owned()));
        }
        format!(
            "/rounds/{round}/applications?{}",
            serde_urlencoded::to_string(&fields).unwrap_or_default()
        )
    });
    html(&QueuePage {
        c: Chrome::signed_in(&signed_in, "home"),
        errors,
        id: round.to_string(),
        round: round_name,
        statuses,
        table,
        next,
    })
}
