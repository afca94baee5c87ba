//! "Bank details": where the grantee is paid. The grantee sees the account
//! in force and any change waiting for the fund to verify, and enters a new
//! one; a change holds its payments until a second person at the fund has
//! checked it. Account numbers are only ever shown masked (`****5678`),
//! and the number typed is never put back into the form.

use actix_web::http::StatusCode;
use actix_web::{get, post, web};
use askama::Template;
use grantledger_domain::bank::{BankAccount, Entered, PaymentHold};
use grantledger_domain::ids::GranteeId;
use grantledger_store::bank_details::Details;
use serde::Deserialize;

use crate::http::blocking;
use crate::operations::bank_details as op;
use crate::policy::Action;
use crate::portal::format::instant;
use crate::portal::forms::FormErrors;
use crate::portal::messages::english;
use crate::portal::page::{Chrome, PortalError, PortalResult, html_with_status, see_other};
use crate::portal::session::{Posted, SignedIn};
use crate::routes::bank_details::mask_roll;
use crate::state::AppState;

/// An account as a page shows it: the number masked to its last 4 digits.
#[derive(Debug)]
pub struct AccountView {
    /// The name on the account.
    pub account_name: String,
    /// `12-34-56`.
    pub sort_code: String,
    /// `****5678`.
    pub account_number: String,
    /// The roll number, masked, when there is one.
    pub roll_number: Option<String>,
    /// When it was entered.
    pub entered_at: String,
    /// Who entered it (filled in on staff pages only).
    pub entered_by: Option<String>,
    /// When it was verified (the account in force only).
    pub verified_at: Option<String>,
    /// Who verified it (staff pages only).
    pub verified_by: Option<String>,
    /// How it was checked (staff pages only).
    pub note: Option<String>,
}

impl AccountView {
    fn of(account: &BankAccount, entered: &Entered) -> AccountView {
        AccountView {
            account_name: account.account_name.as_str().to_owned(),
            sort_code: account.sort_code.hyphenated(),
            account_number: account.account_number.masked(),
            roll_number: account.roll_number.as_ref().map(mask_roll),
            entered_at: instant(entered.at),
            entered_by: None,
            verified_at: None,
            verified_by: None,
            note: None,
        }
    }
}

/// Bank details as a page shows them.
#[derive(Debug)]
pub struct DetailsView {
    /// The verified account payments go to.
    pub in_force: Option<AccountView>,
    /// A change waiting for verification.
    pub pending: Option<AccountView>,
    /// Why payments are held, in words; `None` when they are not.
    pub hold: Option<String>,
}

/// The masked view of `details`; `names` says who a user id is, on staff
/// pages (a grantee is not told which person at the fund did what).
pub fn details_view(
    details: &Details,
    names: Option<&dyn Fn(grantledger_domain::ids::UserId) -> String>,
) -> DetailsView {
    let m = english();
    let in_force = details.in_force.as_ref().map(|v| {
        let mut view = AccountView::of(&v.account.account, &v.entered);
        view.verified_at = Some(instant(v.verified.at));
        if let Some(name) = names {
            view.entered_by = Some(name(v.entered.by));
            view.verified_by = Some(name(v.verified.by));
            view.note = Some(v.verified.note.clone());
        }
        view
    });
    let pending = details.pending.as_ref().map(|p| {
        let mut view = AccountView::of(&p.account.account, &p.entered);
        view.entered_by = names.map(|name| name(p.entered.by));
        view
    });
    DetailsView {
        in_force,
        pending,
        hold: details
            .hold()
            .map(|h: PaymentHold| m.t(&format!("hold-{}", h.code()))),
    }
}

#[derive(Template)]
#[template(path = "bank_details.html")]
struct BankDetailsPage {
    c: Chrome,
    errors: FormErrors,
    d: DetailsView,
    form: Typed,
    entered: bool,
}

/// The form as typed. Only the name and sort code are shown again after
/// an error: the account and roll numbers are typed again, so they never
/// travel back to the browser (nor into a log, by `Debug`).
#[derive(Default, Deserialize)]
pub struct Typed {
    #[serde(default)]
    account_name: String,
    #[serde(default)]
    sort_code: String,
    #[serde(default)]
    account_number: String,
    #[serde(default)]
    roll_number: String,
}

impl std::fmt::Debug for Typed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Typed")
            .field("account_name", &self.account_name)
            .field("sort_code", &self.sort_code)
            .finish_non_exhaustive()
    }
}

fn own_grantee(signed_in: &SignedIn) -> Result<GranteeId, PortalError> {
    signed_in
        .principal
        .grantee_id
        .filter(|_| signed_in.is_grantee())
        .ok_or_else(|| PortalError::Forbidden(english().t("grantee-only")))
}

async fn page(
    state: &web::Data<AppState>,
    signed_in: &SignedIn,
    errors: FormErrors,
    form: Typed,
    entered: bool,
) -> PortalResult {
    let grantee = own_grantee(signed_in)?;
    let principal = signed_in.principal.clone();
    let state = state.clone();
    let details = blocking(move || {
        state
            .db
            .read(|c| op::show(c, &state.bank_keys, &principal, grantee))
    })
    .await?;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let form = Typed {
        account_number: String::new(),
        roll_number: String::new(),
        ..form
    };
    html_with_status(
        status,
        &BankDetailsPage {
            c: Chrome::signed_in(signed_in, "organisation"),
            errors,
            d: details_view(&details, None),
            form,
            entered,
        },
    )
}

/// Whether the page should confirm a change was saved.
#[derive(Debug, Deserialize)]
pub struct Confirmation {
    entered: Option<String>,
}

/// The account in force, a change waiting, whether payments are held, and
/// the form to give new details.
#[get("/organisation/bank-details")]
pub async fn show(
    state: web::Data<AppState>,
    signed_in: SignedIn,
    query: web::Query<Confirmation>,
) -> PortalResult {
    signed_in.may(Action::ReadBankDetails)?;
    let entered = query.entered.is_some();
    page(
        &state,
        &signed_in,
        FormErrors::default(),
        Typed::default(),
        entered,
    )
    .await
}

/// Enters new details: checked as the API checks them, then waiting for
/// the fund to verify.
#[post("/organisation/bank-details")]
pub async fn enter(state: web::Data<AppState>, posted: Posted<Typed>) -> PortalResult {
    posted.signed_in.may(Action::EnterBankDetails)?;
    let Posted { signed_in, form } = posted;
    let grantee = own_grantee(&signed_in)?;
    let typed = op::TypedAccount {
        account_name: form.account_name.clone(),
        sort_code: form.sort_code.clone(),
        account_number: form.account_number.clone(),
        roll_number: Some(form.roll_number.clone()).filter(|r| !r.trim().is_empty()),
    };
    let account = match op::parse(&typed, &state.modulus) {
        Ok(account) => account,
        Err(e) => return page(&state, &signed_in, FormErrors::from_api(e)?, form, false).await,
    };
    let principal = signed_in.principal.clone();
    let entered = {
        let state = state.clone();
        blocking(move || {
            state.db.write(|c| {
                op::enter(
                    c,
                    &state.bank_keys,
                    &state.notices,
                    &principal,
                    grantee,
                    &account,
                )
            })
        })
        .await
    };
    match entered {
        Ok(_) => Ok(see_other("/organisation/bank-details?entered=1")),
        Err(e) => page(&state, &signed_in, FormErrors::from_api(e)?, form, false).await,
    }
}
