-- Grantees' bank accounts, encrypted (AES-256-GCM; the key named by
-- key_id, so keys can rotate), with their dual-control history: every
-- account ever entered stays, as pending, verified, superseded or rejected.
CREATE TABLE bank_details (
    id              BLOB PRIMARY KEY,
    grantee_id      BLOB NOT NULL REFERENCES grantees (id),
    state           TEXT NOT NULL CHECK (state IN ('pending', 'verified', 'superseded', 'rejected')),
    key_id          TEXT NOT NULL,
    sealed          TEXT NOT NULL,
    fingerprint     TEXT NOT NULL,
    entered_by      BLOB NOT NULL REFERENCES users (id),
    entered_at      TEXT NOT NULL,
    decided_by      BLOB REFERENCES users (id),
    decided_at      TEXT,
    decision_note   TEXT,
    CHECK ((state = 'pending') = (decided_at IS NULL))
) STRICT;
-- At most one account in force and one change waiting, per grantee.
CREATE UNIQUE INDEX bank_details_one_pending ON bank_details (grantee_id) WHERE state = 'pending';
CREATE UNIQUE INDEX bank_details_one_verified ON bank_details (grantee_id) WHERE state = 'verified';
CREATE INDEX bank_details_grantee ON bank_details (grantee_id);
