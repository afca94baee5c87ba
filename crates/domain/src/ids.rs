//! Identifiers: one UUID v7 newtype per entity, so ids of different things
//! cannot be mixed up. v7 ids sort by creation time, which keeps database
//! indexes compact and gives cursor pagination a natural order.
//!
//! ```
//! use grantledger_domain::ids::AwardId;
//!
//! let id = AwardId::new();
//! let parsed: AwardId = id.to_string().parse()?;
//! assert_eq!(parsed, id);
//! assert_eq!(id.as_uuid().get_version_num(), 7);
//! # Ok::<(), grantledger_domain::ids::IdError>(())
//! ```

/// A string that is not a UUID.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "\"{value}\" is not a valid id; ids are UUIDs such as 0190f5c6-8c1e-7b3a-9c2d-4e5f6a7b8c9d"
)]
pub struct IdError {
    /// The text that was given.
    pub value: String,
}

id_type!(
    /// Identifies a fund.
    FundId
);
id_type!(
    /// Identifies a grant round.
    RoundId
);
id_type!(
    /// Identifies a grantee organisation.
    GranteeId
);
id_type!(
    /// Identifies an application.
    ApplicationId
);
id_type!(
    /// Identifies an assessment.
    AssessmentId
);
id_type!(
    /// Identifies an award (microgrant).
    AwardId
);
id_type!(
    /// Identifies a disbursement (payment tranche).
    DisbursementId
);
id_type!(
    /// Identifies a payment run.
    PaymentRunId
);
id_type!(
    /// Identifies a user account.
    UserId
);
id_type!(
    /// Identifies an audit event.
    AuditEventId
);
id_type!(
    /// Identifies a ledger transfer.
    TransferId
);
id_type!(
    /// Identifies an evaluation return.
    EvaluationReturnId
);
id_type!(
    /// Identifies a commitment (pledge).
    CommitmentId
);
id_type!(
    /// Identifies one of a round's assessment criteria.
    CriterionId
);
id_type!(
    /// Identifies a file attached to an application, an evaluation return
    /// or an organisation.
    AttachmentId
);

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    #[test]
    fn round_trips() {
        let id = FundId::new();
        assert_eq!(FundId::from_uuid(id.as_uuid()), id);
        assert_eq!(FundId::from(id.as_uuid()), id);
        assert_eq!(id.to_string().parse::<FundId>().unwrap(), id);
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, format!("\"{id}\""));
        assert_eq!(serde_json::from_str::<FundId>(&json).unwrap(), id);
        assert_eq!(Uuid::from(id), id.as_uuid());
    }

    #[test]
    fn rejects_garbage() {
        let err = "nope".parse::<AwardId>().unwrap_err();
        assert!(err.to_string().contains("\"nope\" is not a valid id"));
    }

    #[test]
    fn ids_are_time_ordered() {
        let a = UserId::new();
        let b = UserId::new();
        assert!(a < b);
    }
}
