//! Who can sign in, and inviting more (issue 18): `/users` for
//! administrators (everyone, invite anyone) and `/organisation/users` for
//! an organisation's owner (its colleagues: invite, remove). Both call the
//! operations the JSON API calls, so the rules are the same.

use actix_web::{get, post, web};
use askama::Template;
use chrono::Utc;
use grantledger_domain::ids::{GranteeId, UserId};
use grantledger_domain::user::{Role, User};
use grantledger_store::common::{PageRequest, Record};
use grantledger_store::users;
use serde::Deserialize;

use crate::http::blocking;
use crate::operations::accounts as op;
use crate::portal::forms::FormErrors;
use crate::portal::messages::english;
use crate::portal::page::{Chrome, PortalError, PortalResult, html, html_with_status, see_other};
use crate::portal::payment_runs::SelectOption;
use crate::portal::session::{Posted, SignedIn};
use crate::state::AppState;

/// A person as the list shows them.
#[derive(Debug)]
pub struct Person {
    /// Their id (for the remove button).
    pub id: String,
    /// Their address.
    pub email: String,
    /// Their role, in words.
    pub role: String,
    /// Active, invited or removed, in words.
    pub status: String,
    /// Whether the viewer may remove them.
    pub removable: bool,
    /// Whether they can no longer sign in.
    pub disabled: bool,
    /// Whether they are the viewer (who may not disable themselves).
    pub is_viewer: bool,
    /// Whether they sign in with two factors.
    pub two_factor: bool,
}

#[derive(Template)]
#[template(path = "people.html")]
struct PeoplePage {
    c: Chrome,
    /// `/users` or `/organisation/users`.
    base: &'static str,
    admin: bool,
    people: Vec<Person>,
    errors: FormErrors,
    email: String,
    roles: Vec<SelectOption>,
    grantee_id: String,
    invited: Option<String>,
    reset: Option<String>,
}

fn person(record: Record<User>, viewer: UserId, owner_view: bool, two_factor: bool) -> Person {
    let m = english();
    let u = record.value;
    let status = if u.disabled {
        m.t("user-disabled")
    } else {
        m.t("user-active")
    };
    Person {
        id: u.id.to_string(),
        email: u.email.to_string(),
        role: if u.owner {
            format!("{} ({})", u.role.label(), m.t("people-owner"))
        } else {
            u.role.label().to_owned()
        },
        status,
        removable: owner_view && !u.disabled && u.id != viewer,
        disabled: u.disabled,
        is_viewer: u.id == viewer,
        two_factor,
    }
}

fn roles(chosen: Option<Role>) -> Vec<SelectOption> {
    Role::ALL
        .iter()
        .map(|r| SelectOption {
            value: r.as_str().to_owned(),
            label: r.label().to_owned(),
            selected: Some(*r) == chosen,
        })
        .collect()
}

/// Whose list a viewer sees: administrators everyone, an owner their
/// organisation; anyone else is refused.
fn scope(signed_in: &SignedIn, admin_page: bool) -> Result<Option<GranteeId>, PortalError> {
    let m = english();
    if admin_page {
        signed_in.may(crate::policy::Action::ManageUsers)?;
        Ok(None)
    } else {
        signed_in
            .principal
            .grantee_id
            .filter(|_| signed_in.is_grantee())
            .map(Some)
            .ok_or_else(|| PortalError::Forbidden(m.t("grantee-only")))
    }
}

async fn render(
    state: web::Data<AppState>,
    signed_in: &SignedIn,
    admin_page: bool,
    errors: FormErrors,
    email: String,
    banner: Invited,
) -> PortalResult {
    let grantee = scope(signed_in, admin_page)?;
    let viewer = signed_in.principal.user_id;
    let (me, list, two_factor) = blocking(move || {
        state.db.read(|c| {
            let me = users::get(c, viewer)?.value;
            let filter = users::UserFilter {
                role: None,
                grantee_id: grantee,
            };
            Ok::<_, crate::error::ApiError>((
                me,
                users::list(c, &filter, PageRequest::new(Some(500), None))?.items,
                grantledger_store::two_factor::enabled_users(c)?,
            ))
        })
    })
    .await?;
    if !admin_page && !me.owner {
        return Err(PortalError::Forbidden(english().t("people-owner-only")));
    }
    let people = list
        .into_iter()
        .map(|r| {
            let on = two_factor.contains(&r.value.id);
            person(r, viewer, !admin_page, on)
        })
        .collect();
    let page = PeoplePage {
        c: Chrome::signed_in(signed_in, if admin_page { "users" } else { "organisation" }),
        base: if admin_page {
            "/users"
        } else {
            "/organisation/users"
        },
        admin: admin_page,
        people,
        email,
        roles: roles(None),
        grantee_id: String::new(),
        invited: banner.invited,
        reset: banner.reset,
        errors,
    };
    if page.errors.is_empty() {
        html(&page)
    } else {
        html_with_status(actix_web::http::StatusCode::UNPROCESSABLE_ENTITY, &page)
    }
}

/// Whom an invite was sent to, or whose two-factor was reset, to say so.
#[derive(Debug, Default, Deserialize)]
pub struct Invited {
    invited: Option<String>,
    reset: Option<String>,
}

/// Every user, and the form to invite one (administrators).
#[get("/users")]
pub async fn admin_list(
    state: web::Data<AppState>,
    signed_in: SignedIn,
    query: web::Query<Invited>,
) -> PortalResult {
    render(
        state,
        &signed_in,
        true,
        FormErrors::default(),
        String::new(),
        query.into_inner(),
    )
    .await
}

/// The organisation's users, and the form to invite one (its owner).
#[get("/organisation/users")]
pub async fn owner_list(
    state: web::Data<AppState>,
    signed_in: SignedIn,
    query: web::Query<Invited>,
) -> PortalResult {
    render(
        state,
        &signed_in,
        false,
        FormErrors::default(),
        String::new(),
        query.into_inner(),
    )
    .await
}

/// What the invite form posts.
#[derive(Debug, Deserialize)]
pub struct InviteForm {
    #[serde(default)]
    email: String,
    role: Option<String>,
    grantee_id: Option<String>,
}

async fn invite(
    state: web::Data<AppState>,
    posted: Posted<InviteForm>,
    admin_page: bool,
) -> PortalResult {
    let Posted { signed_in, form } = posted;
    scope(&signed_in, admin_page)?;
    let m = english();
    let role = if admin_page {
        match form.role.as_deref().map(str::parse::<Role>) {
            Some(Ok(role)) => role,
            _ => {
                let errors = FormErrors::one("role", m.t("people-role-missing"));
                return render(
                    state,
                    &signed_in,
                    admin_page,
                    errors,
                    form.email,
                    Invited::default(),
                )
                .await;
            }
        }
    } else {
        Role::Grantee
    };
    let grantee_id = if admin_page {
        match form
            .grantee_id
            .as_deref()
            .map(str::trim)
            .filter(|g| !g.is_empty())
        {
            None => None,
            Some(text) => match text.parse::<uuid::Uuid>() {
                Ok(id) => Some(GranteeId::from_uuid(id)),
                Err(_) => {
                    let errors = FormErrors::one("grantee_id", m.t("people-grantee-invalid"));
                    return render(
                        state,
                        &signed_in,
                        admin_page,
                        errors,
                        form.email,
                        Invited::default(),
                    )
                    .await;
                }
            },
        }
    } else {
        signed_in.principal.grantee_id
    };
    let invitation = op::Invitation {
        email: form.email.clone(),
        role,
        grantee_id,
    };
    let principal = signed_in.principal.clone();
    let result = {
        let state = state.clone();
        blocking(move || {
            let notices = state.notices.clone();
            state
                .db
                .write(|c| op::invite(c, &notices, &principal, &invitation, Utc::now()))
        })
        .await
    };
    match result {
        Ok(invited) => {
            let base = if admin_page {
                "/users"
            } else {
                "/organisation/users"
            };
            let to: String =
                form_urlencoded::byte_serialize(invited.user.value.email.as_str().as_bytes())
                    .collect();
            Ok(see_other(&format!("{base}?invited={to}")))
        }
        Err(error) => {
            let errors = FormErrors::from_api(error)?;
            render(
                state,
                &signed_in,
                admin_page,
                errors,
                form.email,
                Invited::default(),
            )
            .await
        }
    }
}

/// Invites someone (administrators).
#[post("/users/invite")]
pub async fn admin_invite(state: web::Data<AppState>, posted: Posted<InviteForm>) -> PortalResult {
    invite(state, posted, true).await
}

/// Invites a colleague (an organisation's owner).
#[post("/organisation/users/invite")]
pub async fn owner_invite(state: web::Data<AppState>, posted: Posted<InviteForm>) -> PortalResult {
    invite(state, posted, false).await
}

/// Removes a colleague (an organisation's owner): they can no longer sign
/// in, and any session or token they hold ends.
#[post("/organisation/users/{id}/remove")]
pub async fn owner_remove(
    state: web::Data<AppState>,
    id: web::Path<uuid::Uuid>,
    posted: Posted<std::collections::HashMap<String, String>>,
) -> PortalResult {
    let principal = posted.signed_in.principal.clone();
    let id = UserId::from_uuid(id.into_inner());
    blocking(move || {
        state
            .db
            .write(|c| op::remove_colleague(c, &principal, id, Utc::now()))
    })
    .await?;
    Ok(see_other("/organisation/users"))
}

/// Stops someone signing in (ending their sessions and tokens), or lets
/// them again (administrators; never themselves).
#[post("/users/{id}/{change}")]
pub async fn admin_disable(
    state: web::Data<AppState>,
    path: web::Path<(uuid::Uuid, String)>,
    posted: Posted<std::collections::HashMap<String, String>>,
) -> PortalResult {
    let signed_in = posted.signed_in;
    signed_in.may(crate::policy::Action::ManageUsers)?;
    let (id, change) = path.into_inner();
    let id = UserId::from_uuid(id);
    let disabled = match change.as_str() {
        "disable" => true,
        "enable" => false,
        "reset-two-factor" => return reset_two_factor(state, signed_in, id).await,
        _ => return Err(PortalError::NotFound),
    };
    let principal = signed_in.principal.clone();
    let result = {
        let state = state.clone();
        blocking(move || {
            state.db.write(|c| {
                crate::operations::users::update(
                    c,
                    &principal,
                    id,
                    crate::http::IfMatch::Any,
                    crate::operations::users::UserChanges {
                        disabled: Some(disabled),
                        ..Default::default()
                    },
                )
            })
        })
        .await
    };
    match result {
        Ok(_) => Ok(see_other("/users")),
        Err(e) => {
            let errors = FormErrors::from_api(e)?;
            render(
                state,
                &signed_in,
                true,
                errors,
                String::new(),
                Invited::default(),
            )
            .await
        }
    }
}

/// An administrator's reset of someone's two-factor sign-in (they lost
/// their phone and recovery codes): it goes, and so do their sessions.
async fn reset_two_factor(
    state: web::Data<AppState>,
    signed_in: SignedIn,
    id: UserId,
) -> PortalResult {
    let actor = signed_in.principal.actor();
    let result = {
        let state = state.clone();
        blocking(move || {
            state.db.write(|c| {
                crate::operations::two_factor::reset(c, &state.notices, id, &actor, Utc::now())?;
                Ok(users::get(c, id)?.value)
            })
        })
        .await
    };
    match result {
        Ok(user) => {
            let email: String =
                form_urlencoded::byte_serialize(user.email.as_str().as_bytes()).collect();
            Ok(see_other(&format!("/users?reset={email}")))
        }
        Err(e) => {
            let errors = FormErrors::from_api(e)?;
            render(
                state,
                &signed_in,
                true,
                errors,
                String::new(),
                Invited::default(),
            )
            .await
        }
    }
}
