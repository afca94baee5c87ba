//! "Your organisation": what the fund holds about the grantee, its
//! due-diligence checks, its documents (with a form to upload each kind),
//! and who can sign in for it.

use actix_web::http::StatusCode;
use actix_web::{get, web};
use askama::Template;
use grantledger_domain::document::AttachmentOwner;
use grantledger_domain::grantee::Grantee;
use grantledger_domain::user::User;
use grantledger_store::common::Record;

use crate::http::blocking;
use crate::operations;
use crate::portal::documents::{KindForm, documents_table, kind_forms};
use crate::portal::format::pounds;
use crate::portal::forms::FormErrors;
use crate::portal::messages::{Messages, english};
use crate::portal::page::{Chrome, PortalError, PortalResult, html_with_status};
use crate::portal::session::SignedIn;
use crate::portal::table::{Cell, Table};
use crate::state::AppState;

/// A row of a summary list.
#[derive(Debug)]
pub struct Row {
    /// What it is.
    pub key: String,
    /// Its value.
    pub value: String,
}

#[derive(Template)]
#[template(path = "organisation.html")]
struct OrganisationPage {
    c: Chrome,
    name: String,
    rows: Vec<Row>,
    people: Table,
    owner: bool,
    checks: Table,
    documents: Table,
    kinds: Vec<KindForm>,
    may_upload: bool,
    errors: FormErrors,
}

/// The summary rows every page about an organisation starts with, so that
/// the grantee's own page and the staff's page of it say the same things.
pub fn organisation_rows(m: &Messages, grantee: &Grantee) -> Vec<Row> {
    let row = |key: &str, value: String| Row {
        key: m.t(key),
        value,
    };
    vec![
        row(
            "organisation-org-id",
            grantee
                .org_id
                .as_ref()
                .map_or_else(|| m.t("organisation-none"), ToString::to_string),
        ),
        row(
            "eligibility-type",
            m.t(&format!("organisation-type-{}", grantee.organisation_type)),
        ),
        row(
            "eligibility-region",
            m.t(&format!("region-{}", grantee.region)),
        ),
        row(
            "organisation-local-authority",
            grantee.local_authority.to_string(),
        ),
        row("organisation-postcode", grantee.postcode.to_string()),
        row("eligibility-income", pounds(grantee.annual_income)),
        row(
            "organisation-due-diligence",
            m.t(&format!("due-diligence-{}", grantee.due_diligence.status)),
        ),
    ]
}

/// The people who sign in for an organisation, and whether each may.
pub fn people_table(m: &Messages, users: Vec<Record<User>>, empty: String) -> Table {
    let mut people = Table::under_heading(
        m.t("organisation-users"),
        &[(m.t("sign-in-email"), false), (m.t("column-status"), false)],
        empty,
    );
    people.rows = users
        .into_iter()
        .map(|u| {
            let state = if u.value.disabled {
                m.t("user-disabled")
            } else {
                m.t("user-active")
            };
            vec![Cell::text(u.value.email.as_str()), Cell::text(state)]
        })
        .collect();
    people
}

/// The organisation's details, documents and users.
#[get("/organisation")]
pub async fn show(state: web::Data<AppState>, signed_in: SignedIn) -> PortalResult {
    render(state, signed_in, FormErrors::default(), StatusCode::OK).await
}

/// The organisation page with `errors` (a refused upload) and `status`.
pub async fn render(
    state: web::Data<AppState>,
    signed_in: SignedIn,
    errors: FormErrors,
    status: StatusCode,
) -> PortalResult {
    let m = english();
    signed_in.may(crate::policy::Action::ReadGrantees)?;
    let principal = signed_in.principal.clone();
    let grantee_id = principal
        .grantee_id
        .ok_or_else(|| PortalError::Forbidden(m.t("grantee-only")))?;
    let (grantee, users, checks, documents) = blocking(move || {
        state.db.read(|c| {
            let grantee = operations::grantees::visible(c, &principal, grantee_id)?.value;
            let users = operations::users::of_my_organisation(c, &principal)?;
            let checks = operations::due_diligence::for_grantee(c, &principal, grantee_id)?;
            let owner = AttachmentOwner::Organisation(grantee_id);
            let documents = operations::documents::list(c, &principal, owner)?;
            Ok((grantee, users, checks, documents))
        })
    })
    .await?;
    let rows = organisation_rows(m, &grantee);
    let owner = users
        .iter()
        .any(|u| u.value.id == signed_in.principal.user_id && u.value.owner);
    let people = people_table(m, users, String::new());
    html_with_status(
        status,
        &OrganisationPage {
            c: Chrome::signed_in(&signed_in, "organisation"),
            name: grantee.name.to_string(),
            rows,
            people,
            owner,
            checks: crate::portal::grantees::checks_table(m, &checks, None),
            documents: documents_table(m, &documents),
            kinds: kind_forms(),
            may_upload: signed_in.can(crate::policy::Action::UploadOrganisationDocuments),
            errors,
        },
    )
}
