//! Grantees, for staff (issue 17): search by name, org id, postcode or
//! local authority (issue 20), and open one to see its details, who can
//! sign in for it, its due diligence and its due-diligence checks, which
//! administrators record there. Grantee users have their own
//! "Your organisation" page instead and are not shown these.

use actix_web::http::StatusCode;
use actix_web::{get, post, web};
use askama::Template;
use chrono::{NaiveDate, Utc};
use grantledger_domain::grantee::{
    CheckKind, CheckStatus, DueDiligenceOutcome, DueDiligenceStatus, Evidence, Grantee,
    LocalAuthority, NameSearch, NewCheck, Postcode, current_checks,
};
use grantledger_domain::ids::{GranteeId, UserId};
use grantledger_domain::org_id::OrgId;
use grantledger_domain::user::User;
use grantledger_store::common::{PageRequest, Record};
use grantledger_store::due_diligence_checks::StoredCheck;
use serde::Deserialize;

use crate::http::blocking;
use crate::operations;
use crate::operations::grantees::GranteeListing;
use crate::policy::Action;
use crate::portal::format::{date, instant, pounds, status};
use crate::portal::forms::FormErrors;
use crate::portal::messages::{Messages, english};
use crate::portal::organisation::{Row, organisation_rows, people_table};
use crate::portal::page::{Chrome, PortalError, PortalResult, html, html_with_status, see_other};
use crate::portal::payment_runs::SelectOption;
use crate::portal::rounds::Choice;
use crate::portal::session::{Posted, SignedIn};
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
    /// Whether the reader may register organisations.
    registers: bool,
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
        registers: signed_in.can(Action::ManageGrantees),
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
    checks: Table,
    documents: Table,
    awards: Table,
    /// Whether the reader may record a check (administrators).
    may_record: bool,
    errors: FormErrors,
    kinds: Vec<SelectOption>,
    statuses: Vec<Choice>,
    other_kind: String,
    evidence: String,
    checked_on: String,
    expires_on: String,
    /// The decisions the grantee's due diligence can take from here
    /// (a pass when pending or failed; a fail when pending or passed).
    can_pass: bool,
    can_fail: bool,
}

/// The grantee's awards, each linking to its page.
fn awards_table(m: &Messages, awards: &[Record<grantledger_store::awards::Stored>]) -> Table {
    let mut table = Table::under_heading(
        m.t("grantee-awards-title"),
        &[
            (m.t("column-reference"), false),
            (m.t("column-amount"), true),
            (m.t("column-status"), false),
        ],
        m.t("grantee-awards-none"),
    );
    table.rows = awards
        .iter()
        .map(|r| {
            let a = &r.value.award;
            vec![
                Cell::link(a.reference.to_string(), format!("/awards/{}", a.id)),
                Cell::figure(pounds(a.amount)),
                Cell::tag(status(m, "award", a.status.as_str())),
            ]
        })
        .collect();
    table
}

/// The kind select's value for "another kind", named in `other_kind`.
const OTHER_KIND: &str = "other";

/// What the check form posts; every field as typed, named as the API's
/// `POST /v1/grantees/{id}/checks` body so one error serves both.
#[derive(Debug, Default, Deserialize)]
pub struct CheckForm {
    #[serde(default)]
    kind: String,
    /// The kind's name when `kind` is `other`.
    #[serde(default)]
    other_kind: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    evidence: String,
    #[serde(default)]
    checked_on: String,
    #[serde(default)]
    expires_on: String,
}

fn grantee_id(path: &str) -> Result<GranteeId, PortalError> {
    Ok(path
        .parse::<uuid::Uuid>()
        .map_err(|_| PortalError::NotFound)?
        .into())
}

/// The checks table: the record in force for each kind, with an "Expired"
/// tag on one whose expiry day has come. With `checked_by` (staff), a
/// column of who recorded each, by email; without (the grantee's own
/// page), none, so staff addresses are not shown to grantees.
pub fn checks_table(
    m: &Messages,
    stored: &[StoredCheck],
    checked_by: Option<&[(UserId, String)]>,
) -> Table {
    let today = Utc::now().date_naive();
    let mut columns = vec![(m.t("checks-kind"), false), (m.t("checks-status"), false)];
    if checked_by.is_some() {
        columns.push((m.t("checks-checked-by"), false));
    }
    columns.push((m.t("checks-checked-on"), false));
    columns.push((m.t("checks-expires-on"), false));
    let mut table = Table::under_heading(m.t("checks-title"), &columns, m.t("checks-none"));
    let checks: Vec<_> = stored.iter().map(|s| s.check.clone()).collect();
    table.rows = current_checks(&checks)
        .into_iter()
        .map(|c| {
            let status = if c.is_expired(today) {
                (m.t("checks-expired"), "grey")
            } else {
                status(m, "checks", c.status.as_str())
            };
            let mut row = vec![Cell::text(c.kind.description()), Cell::tag(status)];
            if let Some(emails) = checked_by {
                let by = emails
                    .iter()
                    .find(|(id, _)| *id == c.checked_by)
                    .map_or_else(|| c.checked_by.to_string(), |(_, e)| e.clone());
                row.push(Cell::text(by));
            }
            row.push(Cell::text(date(c.checked_on)));
            row.push(Cell::text(
                c.expires_on.map_or_else(|| m.t("checks-no-expiry"), date),
            ));
            row
        })
        .collect();
    table
}

/// Everything the grantee page shows, read in one transaction.
struct Loaded {
    grantee: Grantee,
    users: Vec<Record<User>>,
    decided_by: Option<String>,
    checks: Vec<StoredCheck>,
    emails: Vec<(UserId, String)>,
    documents: Vec<grantledger_domain::document::Attachment>,
    awards: Vec<Record<grantledger_store::awards::Stored>>,
}

/// Awards the grantee page lists, newest last; more are on the fund pages.
const AWARDS_SHOWN: u32 = 100;

async fn load(
    state: &web::Data<AppState>,
    signed_in: &SignedIn,
    id: GranteeId,
) -> Result<Loaded, PortalError> {
    let principal = signed_in.principal.clone();
    let state = state.clone();
    Ok(blocking(move || {
        state.db.read(|c| {
            let grantee = operations::grantees::visible(c, &principal, id)?.value;
            let users =
                operations::users::list(c, None, Some(id), PageRequest::new(Some(100), None))?
                    .items;
            let email = |c: &mut _, user| {
                operations::users::get(c, user)
                    .ok()
                    .map(|u| u.value.email.as_str().to_owned())
            };
            let decided_by = match grantee.due_diligence.decided_by {
                Some(user) => email(c, user),
                None => None,
            };
            let checks = operations::due_diligence::for_grantee(c, &principal, id)?;
            let mut emails: Vec<(UserId, String)> = Vec::new();
            for s in &checks {
                let by = s.check.checked_by;
                if !emails.iter().any(|(id, _)| *id == by)
                    && let Some(e) = email(c, by)
                {
                    emails.push((by, e));
                }
            }
            let owner = grantledger_domain::document::AttachmentOwner::Organisation(id);
            let documents = operations::documents::list(c, &principal, owner)?;
            let awards = operations::awards::list(
                c,
                &principal,
                grantledger_store::awards::AwardFilter {
                    grantee_id: Some(id),
                    ..Default::default()
                },
                PageRequest::new(Some(AWARDS_SHOWN), None),
            )?
            .items;
            Ok(Loaded {
                awards,
                grantee,
                users,
                decided_by,
                checks,
                emails,
                documents,
            })
        })
    })
    .await?)
}

fn page(signed_in: &SignedIn, loaded: Loaded, form: &CheckForm, errors: FormErrors) -> GranteePage {
    let m = english();
    let Loaded {
        grantee,
        users,
        decided_by,
        checks,
        emails,
        documents,
        awards,
    } = loaded;
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
    let mut kinds: Vec<SelectOption> = CheckKind::STANDARD
        .iter()
        .map(|k| SelectOption {
            value: k.as_str().to_owned(),
            label: k.description(),
            selected: form.kind == k.as_str(),
        })
        .collect();
    kinds.push(SelectOption {
        value: OTHER_KIND.to_owned(),
        label: m.t("checks-kind-other"),
        selected: form.kind == OTHER_KIND,
    });
    let statuses = [
        ("passed", "checks-status-passed"),
        ("failed", "checks-status-failed"),
    ]
    .into_iter()
    .map(|(value, label)| Choice {
        value,
        label: m.t(label),
        checked: form.status == value,
    })
    .collect();
    GranteePage {
        c: Chrome::signed_in(signed_in, "home"),
        id: grantee.id.to_string(),
        name: grantee.name.to_string(),
        rows,
        people,
        checks: checks_table(m, &checks, Some(&emails)),
        documents: crate::portal::documents::documents_table(m, &documents),
        awards: awards_table(m, &awards),
        may_record: signed_in.can(Action::ManageGrantees),
        errors,
        kinds,
        statuses,
        other_kind: form.other_kind.clone(),
        evidence: form.evidence.clone(),
        checked_on: form.checked_on.clone(),
        expires_on: form.expires_on.clone(),
        can_pass: dd.status != DueDiligenceStatus::Passed,
        can_fail: dd.status != DueDiligenceStatus::Failed,
    }
}

/// One grantee: its details, due diligence (who decided and when), its
/// checks and, for administrators, a form to record one, the people who
/// can sign in for it, and a link to its bank details.
#[get("/grantees/{id}")]
pub async fn show(
    state: web::Data<AppState>,
    signed_in: SignedIn,
    id: web::Path<String>,
) -> PortalResult {
    staff_only(&signed_in)?;
    let id = grantee_id(&id)?;
    let loaded = load(&state, &signed_in, id).await?;
    html(&page(
        &signed_in,
        loaded,
        &CheckForm::default(),
        FormErrors::default(),
    ))
}

/// A typed date: none when blank, else `YYYY-MM-DD`.
fn date_answer(errors: &mut FormErrors, field: &str, text: &str) -> Option<NaiveDate> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let day = NaiveDate::parse_from_str(text, "%Y-%m-%d").ok();
    if day.is_none() {
        errors.add(field, english().t("checks-date-invalid"));
    }
    day
}

/// Records a check (administrators); a refused one comes back with its
/// errors by field and 422.
#[post("/grantees/{id}/checks")]
pub async fn record_check(
    state: web::Data<AppState>,
    posted: Posted<CheckForm>,
    path: web::Path<String>,
) -> PortalResult {
    let Posted { signed_in, form } = posted;
    signed_in.may(Action::ManageGrantees)?;
    let id = grantee_id(&path)?;
    let m = english();
    let mut errors = FormErrors::default();
    // "Another kind" is named in its own box; a standard kind typed there
    // is that kind.
    let (kind_field, kind_text) = if form.kind == OTHER_KIND {
        ("other_kind", form.other_kind.trim())
    } else {
        ("kind", form.kind.trim())
    };
    let kind = CheckKind::parse(kind_text)
        .map_err(|e| errors.add(kind_field, e.to_string()))
        .ok();
    let status = form.status.parse::<CheckStatus>().ok();
    if status.is_none() {
        errors.add("status", m.t("checks-status-missing"));
    }
    let evidence = Evidence::parse(&form.evidence)
        .map_err(|e| errors.add("evidence", e.to_string()))
        .ok();
    let checked_on = date_answer(&mut errors, "checked_on", &form.checked_on);
    let expires_on = date_answer(&mut errors, "expires_on", &form.expires_on);
    if let (Some(kind), Some(status), Some(evidence), true) =
        (kind, status, evidence, errors.is_empty())
    {
        let new = NewCheck {
            kind,
            status,
            evidence,
            checked_on,
            expires_on,
        };
        let principal = signed_in.principal.clone();
        let st = state.clone();
        let written = blocking(move || {
            st.db
                .write(|c| operations::due_diligence::record(c, &principal, id, new))
        })
        .await;
        match written {
            Ok(_) => return Ok(see_other(&format!("/grantees/{id}#checks"))),
            Err(e) => errors = FormErrors::from_api(e)?,
        }
    }
    let loaded = load(&state, &signed_in, id).await?;
    html_with_status(
        StatusCode::UNPROCESSABLE_ENTITY,
        &page(&signed_in, loaded, &form, errors),
    )
}

/// What the due-diligence decision form posts.
#[derive(Debug, Deserialize)]
pub struct DueDiligenceForm {
    outcome: DueDiligenceOutcome,
}

/// Records the grantee's due-diligence decision (administrators): a pass,
/// which payments need, or a fail, which revokes one. The same operation
/// as `POST /v1/grantees/{id}/due-diligence`; recording the decision the
/// grantee already has (a second click) is refused in words.
#[post("/grantees/{id}/due-diligence")]
pub async fn record_due_diligence(
    state: web::Data<AppState>,
    posted: Posted<DueDiligenceForm>,
    path: web::Path<String>,
) -> PortalResult {
    let Posted { signed_in, form } = posted;
    signed_in.may(Action::ManageGrantees)?;
    let id = grantee_id(&path)?;
    let principal = signed_in.principal.clone();
    let st = state.clone();
    let written = blocking(move || {
        st.db
            .write(|c| operations::grantees::record_due_diligence(c, &principal, id, form.outcome))
    })
    .await;
    let errors = match written {
        Ok(_) => return Ok(see_other(&format!("/grantees/{id}#due-diligence"))),
        Err(e) => FormErrors::from_api(e)?,
    };
    let loaded = load(&state, &signed_in, id).await?;
    html_with_status(
        StatusCode::CONFLICT,
        &page(&signed_in, loaded, &CheckForm::default(), errors),
    )
}
