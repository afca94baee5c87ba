-- Grantees' bank accounts, encrypted (AES-256-GCM; the key named by
-- key_id, so keys can rotate), with their dual-control history: every
-- account ever entered stays, as pending, verified, superseded or rejected.
CREATE TABLE bank_details (
    id              uuid PRIMARY KEY,
    grantee_id      uuid NOT NULL REFERENCES grantees (id),
    state           text NOT NULL CHECK (state IN ('pending', 'verified', 'superseded', 'rejected')),
    key_id          text NOT NULL,
    sealed          text NOT NULL,
    fingerprint     text NOT NULL,
    entered_by      uuid NOT NULL REFERENCES users (id),
    entered_at      timestamptz NOT NULL,
    decided_by      uuid REFERENCES users (id),
    decided_at      timestamptz,
    decision_note   text,
    CHECK ((state = 'pending') = (decided_at IS NULL))
);
-- At most one account in force and one change waiting, per grantee.
CREATE UNIQUE INDEX bank_details_one_pending ON bank_details (grantee_id) WHERE state = 'pending';
CREATE UNIQUE INDEX bank_details_one_verified ON bank_details (grantee_id) WHERE state = 'verified';
CREATE INDEX bank_details_grantee ON bank_details (grantee_id);
