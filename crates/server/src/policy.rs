//! Who may do what: the one table of role permissions. Handlers name the
//! action they perform; record-level ownership for grantees (another
//! organisation's record answers 404) is checked where the record is loaded,
//! with [`Principal::can_see_grantee`].

use std::marker::PhantomData;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use futures_util::future::{Ready, ready};
use grantledger_domain::user::Role;

use crate::auth::principal::Principal;
use crate::error::ApiError;

/// Everything a caller can ask to do, in users' words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Read funds and rounds: everyone signed in (grantees need them to apply).
    ReadFunds,
    /// Create and change funds and rounds.
    ManageFunds,
    /// Read grantee organisations (grantees: their own only).
    ReadGrantees,
    /// Register grantees, change them, record due diligence.
    ManageGrantees,
    /// Read and manage user accounts.
    ManageUsers,
    /// Submit an evaluation return on an award: the award's grantee only.
    SubmitEvaluationReturns,
    /// Read evaluation returns (grantees: their own organisation's only).
    ReadEvaluationReturns,
    /// Accept a return or request changes.
    ReviewEvaluationReturns,
    /// Set the date an award's evaluation return is due.
    SetReturnDueDates,
    /// List overdue evaluation returns.
    ReadOverdueReturns,
    /// Read a fund's outcomes (exact figures for administrators and
    /// auditors; the published form for everyone else).
    ReadOutcomes,
}

impl Action {
    /// The roles allowed to take this action.
    pub fn allowed(self) -> &'static [Role] {
        use Role::{Admin, Assessor, Auditor, Grantee};
        match self {
            Action::ReadFunds | Action::ReadGrantees => &[Admin, Assessor, Auditor, Grantee],
            Action::ManageFunds
            | Action::ManageGrantees
            | Action::ManageUsers
            | Action::ReviewEvaluationReturns
            | Action::SetReturnDueDates => &[Admin],
            Action::SubmitEvaluationReturns => &[Grantee],
            Action::ReadEvaluationReturns => &[Admin, Auditor, Grantee],
            Action::ReadOverdueReturns => &[Admin, Auditor],
            Action::ReadOutcomes => &[Admin, Assessor, Auditor, Grantee],
        }
    }

    /// Completes "your role (auditor) cannot …".
    fn describe(self) -> &'static str {
        match self {
            Action::ReadFunds => "read funds",
            Action::ManageFunds => "create or change funds and rounds",
            Action::ReadGrantees => "read grantees",
            Action::ManageGrantees => "register or change grantees",
            Action::ManageUsers => "manage users",
            Action::SubmitEvaluationReturns => "submit evaluation returns",
            Action::ReadEvaluationReturns => "read evaluation returns",
            Action::ReviewEvaluationReturns => "review evaluation returns",
            Action::SetReturnDueDates => "set return due dates",
            Action::ReadOverdueReturns => "list overdue evaluation returns",
            Action::ReadOutcomes => "read outcomes",
        }
    }
}

/// Fails with 403 unless the caller's role may take `action`.
pub fn authorize(principal: &Principal, action: Action) -> Result<(), ApiError> {
    principal.require_role(action.allowed(), action.describe())
}

/// A permission a handler can demand in its signature.
pub trait Permission {
    /// The action it stands for.
    const ACTION: Action;
}

/// Marker types for [`Authorized`], one per [`Action`].
pub mod can {
    use super::{Action, Permission};

    macro_rules! permissions {
        ($($name:ident),*) => {$(
            #[doc = concat!("Permission for [`Action::", stringify!($name), "`].")]
            #[derive(Debug)]
            pub struct $name;
            impl Permission for $name {
                const ACTION: Action = Action::$name;
            }
        )*};
    }

    permissions!(
        ReadFunds,
        ManageFunds,
        ReadGrantees,
        ManageGrantees,
        ManageUsers,
        SubmitEvaluationReturns,
        ReadEvaluationReturns,
        ReviewEvaluationReturns,
        SetReturnDueDates,
        ReadOverdueReturns,
        ReadOutcomes
    );
}

/// An authenticated caller whose role allows `P`. As a handler argument
/// placed before the body, it answers 401 or 403 before the body is read, so
/// a forbidden caller learns nothing from validation errors.
#[derive(Debug)]
pub struct Authorized<P: Permission> {
    /// The caller.
    pub principal: Principal,
    permission: PhantomData<P>,
}

impl<P: Permission> FromRequest for Authorized<P> {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let principal = match Principal::from_request(req, payload).into_inner() {
            Ok(principal) => principal,
            Err(error) => return ready(Err(error)),
        };
        ready(authorize(&principal, P::ACTION).map(|()| Authorized {
            principal,
            permission: PhantomData,
        }))
    }
}

impl Principal {
    /// The caller as the audit trail records them.
    pub fn actor(&self) -> grantledger_store::common::Actor {
        grantledger_store::common::Actor::user(
            self.user_id,
            format!("{}:{}", self.role, self.user_id),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auditors_never_write() {
        for action in [
            Action::ManageFunds,
            Action::ManageGrantees,
            Action::ManageUsers,
            Action::SubmitEvaluationReturns,
            Action::ReviewEvaluationReturns,
            Action::SetReturnDueDates,
        ] {
            assert!(!action.allowed().contains(&Role::Auditor), "{action:?}");
        }
    }
}
