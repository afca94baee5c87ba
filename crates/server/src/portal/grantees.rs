//! Grantees, for staff (issue 17): search by name, org id, postcode or
//! local authority (issue 20), and open one to see its details, who can
//! sign in for it and its due diligence. Grantee users have their own
//! "Your organisation" page instead and are not shown these.

use actix_web::{get, web};
use askama::Template;
use grantledger_domain::grantee::{LocalAuthority, NameSearch, Postcode};
use grantledger_domain::ids::GranteeId;
use grantledger_domain::org_id::OrgId;
use grantledger_store::common::PageRequest;
use serde::Deserialize;

use crate::http::blocking;
use crate::operations;
use crate::operations::grantees::GranteeListing;
use crate::policy::Action;
use crate::portal::format::instant;
use crate::portal::forms::FormErrors;
use crate::portal::messages::english;
use crate::portal::organisation::{Row, organisation_rows, people_table};
use crate::portal::page::{Chrome, PortalError, PortalResult, html};
use crate::portal::session::SignedIn;
use crate::portal::table::{Cell, Table};
use crate::state::AppState;

/// Grantees a page of results shows.
const PAGE: u32 = 50;

/// `?name=&org_id=&postcode=&local_authority=&after=` on the search.
#[derive(Debug, Default, Deserialize)]
pub struct SearchQuery {
    #[serde(default)]
    name: String,
    #[serde(default)]
    org_id: String,
    #[serde(default)]
    postcode: String,
    #[serde(default)]
    local_authority: String,
    #[serde(default)]
    after: Option<uuid::Uuid>,
}

/// Staff who may read grantees; a grantee user is shown no such page.
fn staff_only(signed_in: &SignedIn) -> Result<(), PortalError> {
    signed_in.may(Action::ReadGrantees)?;
    if signed_in.is_grantee() {
        return Err(PortalError::NotFound);
    }
    Ok(())
}

/// A filter typed in `field`: none when blank, else parsed, with the
/// field's message when it does not parse.
fn parsed<T, E>(
    errors: &mut FormErrors,
    field: &str,
    text: &str,
    parse: impl Fn(&str) -> Result<T, E>,
) -> Option<T> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let value = parse(text).ok();
    if value.is_none() {
        errors.add(field, english().t(&format!("grantees-{field}-invalid")));
    }
    value
}

#[derive(Template)]
#[template(path = "grantees.html")]
struct SearchPage {
    c: Chrome,
    errors: FormErrors,
    /// The name typed (not `name`, which the form macro's own parameter
    /// of that name would hide).
    search_name: String,
    org_id: String,
    postcode: String,
    local_authority: String,
    results: Table,
    next: Option<String>,
}

/// The search form and a page of grantees matching it, oldest first.
#[get("/grantees")]
pub async fn list(
    state: web::Data<AppState>,
    signed_in: SignedIn,
    query: web::Query<SearchQuery>,
) -> PortalResult {
    staff_only(&signed_in)?;
    let q = query.into_inner();
    let mut errors = FormErrors::default();
    let listing = GranteeListing {
        name: parsed(&mut errors, "name", &q.name, NameSearch::parse),
        org_id: parsed(&mut errors, "org_id", &q.org_id, str::parse::<OrgId>),
        postcode: parsed(&mut errors, "postcode", &q.postcode, Postcode::parse),
        local_authority: parsed(
            &mut errors,
            "local_authority",
            &q.local_authority,
            LocalAuthority::parse,
        ),
        ..GranteeListing::default()
    };
    let principal = signed_in.principal.clone();
    let page = PageRequest::new(Some(PAGE), q.after);
    let found = if errors.is_empty() {
        Some(
            blocking(move || {
                state
                    .db
                    .read(|c| operations::grantees::list(c, &principal, listing, page))
            })
            .await?,
        )
    } else {
        None
    };
    let m = english();
    let mut results = Table::under_heading(
        m.t("grantees-results"),
        &[
            (m.t("column-grantee"), false),
            (m.t("organisation-org-id"), false),
            (m.t("organisation-postcode"), false),
            (m.t("organisation-local-authority"), false),
            (m.t("column-region"), false),
            (m.t("organisation-due-diligence"), false),
        ],
        m.t("grantees-none"),
    );
    let mut next = None;
    if let Some(found) = found {
        results.rows = found
            .items
            .into_iter()
            .map(|r| {
                let g = r.value;
                vec![
                    Cell::link(g.name.to_string(), format!("/grantees/{}", g.id)),
                    Cell::text(g.org_id.map(|o| o.to_string()).unwrap_or_default()),
                    Cell::text(g.postcode.to_string()),
                    Cell::text(g.local_authority.to_string()),
                    Cell::text(m.t(&format!("region-{}", g.region))),
                    Cell::text(m.t(&format!("due-diligence-{}", g.due_diligence.status))),
                ]
            })
            .collect();
        next = found.next.map(|n| {
            let mut fields: Vec<(&str, String)> = vec![
                ("name", q.name.clone()),
                ("org_id", q.org_id.clone()),
                ("postcode", q.postcode.clone()),
                ("local_authority", q.local_authority.clone()),
            ];
            fields.retain(|(_, v)| !v.trim().is_empty());
            fields.push(("after", n.to_string()));
            format!(
                "/grantees?{}",
                serde_urlencoded::to_string(&fields).unwrap_or_default()
            )
        });
    }
    html(&SearchPage {
        c: Chrome::signed_in(&signed_in, "home"),
        errors,
        search_name: q.name,
        org_id: q.org_id,
        postcode: q.postcode,
        local_authority: q.local_authority,
        results,
        next,
    })
}

#[derive(Template)]
#[template(path = "grantee.html")]
struct GranteePage {
    c: Chrome,
    id: String,
    name: String,
    rows: Vec<Row>,
    people: Table,
}

/// One grantee: its details, due diligence (who decided and when), the
/// people who can sign in for it, and a link to its bank details.
#[get("/grantees/{id}")]
pub async fn show(
    state: web::Data<AppState>,
    signed_in: SignedIn,
    id: web::Path<String>,
) -> PortalResult {
    staff_only(&signed_in)?;
    let id: GranteeId = id
        .parse::<uuid::Uuid>()
        .map_err(|_| PortalError::NotFound)?
        .into();
    let principal = signed_in.principal.clone();
    let (grantee, users, decided_by) = blocking(move || {
        state.db.read(|c| {
            let grantee = operations::grantees::visible(c, &principal, id)?.value;
            let users =
                operations::users::list(c, None, Some(id), PageRequest::new(Some(100), None))?
                    .items;
            let decided_by = match grantee.due_diligence.decided_by {
                Some(user) => operations::users::get(c, user)
                    .ok()
                    .map(|u| u.value.email.as_str().to_owned()),
                None => None,
            };
            Ok((grantee, users, decided_by))
        })
    })
    .await?;
    let m = english();
    let row = |key: &str, value: String| Row {
        key: m.t(key),
        value,
    };
    let dd = &grantee.due_diligence;
    let mut rows = organisation_rows(m, &grantee);
    if let Some(by) = decided_by.or_else(|| dd.decided_by.map(|u| u.to_string())) {
        rows.push(row("grantees-decided-by", by));
    }
    if let Some(at) = dd.decided_at {
        rows.push(row("grantees-decided-at", instant(at)));
    }
    let people = people_table(m, users, m.t("grantees-no-users"));
    html(&GranteePage {
        c: Chrome::signed_in(&signed_in, "home"),
        id: grantee.id.to_string(),
        name: grantee.name.to_string(),
        rows,
        people,
    })
}
