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
    /// See the messages the mail server refused for good, and send them
    /// again.
    ManageMail,
    /// Start, edit, submit and withdraw applications (grantees: their own).
    Apply,
    /// Read applications (grantees: their own).
    ReadApplications,
    /// Move applications into review and record assessments.
    Assess,
    /// Award or reject applications.
    Decide,
    /// Set a round's assessment criteria and assign assessors.
    ManagePanels,
    /// Read a round's assignments and the panel view (every assessor's
    /// scores side by side).
    ReadPanels,
    /// Read awards, their variations and tranches (grantees: their own).
    ReadAwards,
    /// Accept or decline an offer (grantees: their own).
    RespondToAward,
    /// Vary, cancel and complete awards; schedule tranches.
    ManageAwards,
    /// Mark tranches paid, failed or reversed; make and confirm payment runs.
    ManagePayments,
    /// Read payment runs and their bank files.
    ReadPayments,
    /// Read the strategy's commitments and the progress report: everyone signed in.
    ReadCommitments,
    /// Import the pledge tracker and set commitments' status.
    ManageCommitments,
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
    /// Reconcile funds, read the audit trail and verify its hash chain.
    Audit,
    /// Export awards as 360Giving open data (every fund's grantees and amounts).
    ExportOpenData,
    /// Import grantees and award decisions from CSV files.
    ImportData,
    /// Export a fund's spreadsheets: the panel pack, awards, variations,
    /// tranches and evaluation returns (names, scores and amounts).
    ExportSpreadsheets,
    /// See a grantee's bank details, masked (grantees: their own).
    ReadBankDetails,
    /// Enter or change a grantee's bank details (grantees: their own).
    EnterBankDetails,
    /// Verify or reject a change of bank details someone else entered.
    VerifyBankDetails,
    /// Upload an organisation's documents (grantees: their own).
    UploadOrganisationDocuments,
}

impl Action {
    /// The roles allowed to take this action.
    pub fn allowed(self) -> &'static [Role] {
        use Role::{Admin, Assessor, Auditor, Grantee};
        match self {
            Action::ReadFunds
            | Action::ReadGrantees
            | Action::ReadApplications
            | Action::ReadAwards
            | Action::ReadCommitments
            | Action::ReadOutcomes => &[Admin, Assessor, Auditor, Grantee],
            Action::ReadBankDetails => &[Admin, Auditor, Grantee],
            Action::EnterBankDetails | Action::UploadOrganisationDocuments => &[Admin, Grantee],
            Action::VerifyBankDetails => &[Admin],
            Action::ManageFunds
            | Action::ManageGrantees
            | Action::ManageUsers
            | Action::ManageMail
            | Action::Decide
            | Action::ManagePanels
            | Action::ManageAwards
            | Action::ManagePayments
            | Action::ManageCommitments
            | Action::ReviewEvaluationReturns
            | Action::SetReturnDueDates
            | Action::ImportData => &[Admin],
            Action::Apply | Action::RespondToAward => &[Admin, Grantee],
            Action::Assess => &[Admin, Assessor],
            Action::ReadPayments
            | Action::ReadOverdueReturns
            | Action::Audit
            | Action::ExportOpenData
            | Action::ExportSpreadsheets
            | Action::ReadPanels => &[Admin, Auditor],
            Action::SubmitEvaluationReturns => &[Grantee],
            Action::ReadEvaluationReturns => &[Admin, Auditor, Grantee],
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
            Action::ManageMail => "see or resend failed mail",
            Action::Apply => "make or change applications",
            Action::ReadApplications => "read applications",
            Action::Assess => "assess applications",
            Action::Decide => "decide applications",
            Action::ManagePanels => "set assessment criteria or assign assessors",
            Action::ReadPanels => "read assignments or the panel view",
            Action::ReadAwards => "read awards",
            Action::RespondToAward => "accept or decline awards",
            Action::ManageAwards => "vary, cancel or complete awards, or schedule payments",
            Action::ManagePayments => "record payments",
            Action::ReadPayments => "read payment runs",
            Action::ReadCommitments => "read commitments",
            Action::ManageCommitments => "import commitments or change their status",
            Action::SubmitEvaluationReturns => "submit evaluation returns",
            Action::ReadEvaluationReturns => "read evaluation returns",
            Action::ReviewEvaluationReturns => "review evaluation returns",
            Action::SetReturnDueDates => "set return due dates",
            Action::ReadOverdueReturns => "list overdue evaluation returns",
            Action::ReadOutcomes => "read outcomes",
            Action::Audit => "reconcile funds or read the audit trail",
            Action::ExportOpenData => "export open data",
            Action::ImportData => "import grantees or award decisions",
            Action::ExportSpreadsheets => "export spreadsheets",
            Action::ReadBankDetails => "see bank details",
            Action::EnterBankDetails => "enter bank details",
            Action::VerifyBankDetails => "verify or reject bank details",
            Action::UploadOrganisationDocuments => "upload organisation documents",
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
        ManageMail,
        Apply,
        ReadApplications,
        Assess,
        Decide,
        ManagePanels,
        ReadPanels,
        ReadAwards,
        RespondToAward,
        ManageAwards,
        ManagePayments,
        ReadPayments,
        ReadCommitments,
        ManageCommitments,
        SubmitEvaluationReturns,
        ReadEvaluationReturns,
        ReviewEvaluationReturns,
        SetReturnDueDates,
        ReadOverdueReturns,
        ReadOutcomes,
        Audit,
        ExportOpenData,
        ImportData,
        ExportSpreadsheets,
        ReadBankDetails,
        EnterBankDetails,
        VerifyBankDetails,
        UploadOrganisationDocuments
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
    /// Fails with 404 naming `entity` unless the caller may see records of
    /// `grantee`: another organisation's record must look like no record.
    pub fn require_visible(
        &self,
        grantee: grantledger_domain::ids::GranteeId,
        entity: &'static str,
    ) -> Result<(), ApiError> {
        if self.can_see_grantee(grantee) {
            Ok(())
        } else {
            Err(ApiError::not_found(entity))
        }
    }

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
    fn only_admins_and_auditors_audit() {
        assert_eq!(Action::Audit.allowed(), &[Role::Admin, Role::Auditor]);
    }

    #[test]
    fn auditors_never_write() {
        for action in [
            Action::ManageFunds,
            Action::ManageGrantees,
            Action::ManageUsers,
            Action::ManageMail,
            Action::ManageCommitments,
            Action::SubmitEvaluationReturns,
            Action::ReviewEvaluationReturns,
            Action::SetReturnDueDates,
            Action::Apply,
            Action::Assess,
            Action::Decide,
            Action::ManagePanels,
            Action::RespondToAward,
            Action::ManageAwards,
            Action::ManagePayments,
        ] {
            assert!(!action.allowed().contains(&Role::Auditor), "{action:?}");
        }
    }
}
