-- grantledger foundation schema (SQLite).
-- Money is BIGINT pence; ids are UUID v7; instants are UTC RFC 3339 TEXT; ids are 16-byte BLOBs.
-- The SQLite migration of the same name makes the same tables.

CREATE TABLE funds (
    id            BLOB PRIMARY KEY,
    code          TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    budget_pence  INTEGER NOT NULL CHECK (budget_pence >= 0),
    status        TEXT NOT NULL CHECK (status IN ('draft', 'open', 'closed')),
    version       INTEGER NOT NULL DEFAULT 1,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
) STRICT;

CREATE TABLE funders (
    fund_id             BLOB NOT NULL REFERENCES funds (id),
    position            INTEGER NOT NULL CHECK (position >= 0),
    name                TEXT NOT NULL,
    org_id              TEXT,
    contribution_pence  INTEGER NOT NULL CHECK (contribution_pence >= 0),
    PRIMARY KEY (fund_id, position),
    UNIQUE (fund_id, name)
) STRICT;

CREATE TABLE rounds (
    id                         BLOB PRIMARY KEY,
    fund_id                    BLOB NOT NULL REFERENCES funds (id),
    number                     INTEGER NOT NULL CHECK (number >= 1),
    name                       TEXT NOT NULL,
    opens_at                   TEXT NOT NULL,
    closes_at                  TEXT NOT NULL,
    allocation_pence           INTEGER NOT NULL CHECK (allocation_pence >= 0),
    min_grant_pence            INTEGER NOT NULL CHECK (min_grant_pence > 0),
    max_grant_pence            INTEGER NOT NULL,
    eligible_types             TEXT NOT NULL DEFAULT '',
    max_annual_income_pence    INTEGER CHECK (max_annual_income_pence >= 0),
    eligible_regions           TEXT NOT NULL DEFAULT '',
    next_award_sequence        INTEGER NOT NULL DEFAULT 1 CHECK (next_award_sequence >= 1),
    version                    INTEGER NOT NULL DEFAULT 1,
    created_at                 TEXT NOT NULL,
    updated_at                 TEXT NOT NULL,
    UNIQUE (fund_id, number),
    CHECK (opens_at < closes_at),
    CHECK (min_grant_pence <= max_grant_pence)
) STRICT;
CREATE INDEX rounds_fund ON rounds (fund_id);

CREATE TABLE grantees (
    id                   BLOB PRIMARY KEY,
    name                 TEXT NOT NULL,
    org_id               TEXT UNIQUE,
    organisation_type    TEXT NOT NULL CHECK (organisation_type IN ('registered_charity', 'cio', 'cic', 'community_group', 'company', 'school', 'faith_group', 'other')),
    region               TEXT NOT NULL,
    local_authority      TEXT NOT NULL,
    postcode             TEXT NOT NULL,
    annual_income_pence  INTEGER NOT NULL CHECK (annual_income_pence >= 0),
    due_diligence        TEXT NOT NULL CHECK (due_diligence IN ('pending', 'passed', 'failed')),
    due_diligence_by     BLOB,
    due_diligence_at     TEXT,
    version              INTEGER NOT NULL DEFAULT 1,
    created_at           TEXT NOT NULL,
    updated_at           TEXT NOT NULL
) STRICT;
CREATE INDEX grantees_region ON grantees (region);

CREATE TABLE users (
    id             BLOB PRIMARY KEY,
    email          TEXT NOT NULL UNIQUE,
    password_hash  TEXT NOT NULL,
    role           TEXT NOT NULL CHECK (role IN ('admin', 'assessor', 'grantee', 'auditor')),
    grantee_id     BLOB REFERENCES grantees (id),
    disabled       INTEGER NOT NULL DEFAULT 0,
    version        INTEGER NOT NULL DEFAULT 1,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    CHECK ((role = 'grantee') = (grantee_id IS NOT NULL))
) STRICT;

CREATE TABLE applications (
    id                       BLOB PRIMARY KEY,
    round_id                 BLOB NOT NULL REFERENCES rounds (id),
    grantee_id               BLOB NOT NULL REFERENCES grantees (id),
    amount_requested_pence   INTEGER NOT NULL CHECK (amount_requested_pence > 0),
    project_title            TEXT NOT NULL,
    summary                  TEXT NOT NULL,
    status                   TEXT NOT NULL CHECK (status IN ('draft', 'submitted', 'under_review', 'awarded', 'rejected', 'withdrawn')),
    submitted_at             TEXT,
    decided_at               TEXT,
    decision_reason          TEXT,
    version                  INTEGER NOT NULL DEFAULT 1,
    created_at               TEXT NOT NULL,
    updated_at               TEXT NOT NULL
) STRICT;
CREATE INDEX applications_round_status ON applications (round_id, status);
CREATE INDEX applications_grantee ON applications (grantee_id);

CREATE TABLE assessments (
    id                   BLOB PRIMARY KEY,
    application_id       BLOB NOT NULL REFERENCES applications (id),
    assessor_id          BLOB NOT NULL REFERENCES users (id),
    conflict_declared    INTEGER NOT NULL,
    declaration          TEXT,
    score                INTEGER CHECK (score BETWEEN 0 AND 10),
    recommendation       TEXT CHECK (recommendation IN ('award', 'reject')),
    comment              TEXT NOT NULL DEFAULT '',
    created_at           TEXT NOT NULL,
    -- One scored assessment and one conflict declaration at most per assessor.
    UNIQUE (application_id, assessor_id, conflict_declared),
    CHECK (conflict_declared = (score IS NULL))
) STRICT;

CREATE TABLE awards (
    id              BLOB PRIMARY KEY,
    reference       TEXT NOT NULL UNIQUE,
    fund_id         BLOB NOT NULL REFERENCES funds (id),
    round_id        BLOB NOT NULL REFERENCES rounds (id),
    application_id  BLOB NOT NULL UNIQUE REFERENCES applications (id),
    grantee_id      BLOB NOT NULL REFERENCES grantees (id),
    amount_pence    INTEGER NOT NULL CHECK (amount_pence >= 0),
    paid_pence      INTEGER NOT NULL DEFAULT 0 CHECK (paid_pence >= 0),
    status          TEXT NOT NULL CHECK (status IN ('offered', 'accepted', 'completed', 'declined', 'cancelled')),
    return_due_on   TEXT,
    version         INTEGER NOT NULL DEFAULT 1,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    CHECK (paid_pence <= amount_pence)
) STRICT;
CREATE INDEX awards_round ON awards (round_id);
CREATE INDEX awards_fund ON awards (fund_id);
CREATE INDEX awards_grantee ON awards (grantee_id);

CREATE TABLE payment_runs (
    id                  BLOB PRIMARY KEY,
    status              TEXT NOT NULL CHECK (status IN ('draft', 'confirmed', 'cancelled')),
    total_pence         INTEGER NOT NULL CHECK (total_pence >= 0),
    disbursement_count  INTEGER NOT NULL CHECK (disbursement_count >= 0),
    created_by          BLOB REFERENCES users (id),
    created_at          TEXT NOT NULL,
    confirmed_at        TEXT,
    version             INTEGER NOT NULL DEFAULT 1
) STRICT;

CREATE TABLE disbursements (
    id              BLOB PRIMARY KEY,
    award_id        BLOB NOT NULL REFERENCES awards (id),
    amount_pence    INTEGER NOT NULL CHECK (amount_pence > 0),
    due_on          TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('scheduled', 'paid', 'failed', 'reversed')),
    payment_run_id  BLOB REFERENCES payment_runs (id),
    paid_at         TEXT,
    note            TEXT,
    version         INTEGER NOT NULL DEFAULT 1,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
) STRICT;
CREATE INDEX disbursements_award ON disbursements (award_id);
CREATE INDEX disbursements_due ON disbursements (status, due_on);

-- The ledger. Only internal accounts have rows: their balances are kept here
-- and may never go negative. External accounts ('funders', 'grantees') are
-- named in transfers only, so that no single row becomes a hot spot.
CREATE TABLE ledger_accounts (
    key            TEXT PRIMARY KEY,
    fund_id        BLOB NOT NULL REFERENCES funds (id),
    balance_pence  INTEGER NOT NULL DEFAULT 0 CHECK (balance_pence >= 0),
    created_at     TEXT NOT NULL
) STRICT;
CREATE INDEX ledger_accounts_fund ON ledger_accounts (fund_id);

CREATE TABLE ledger_transfers (
    id              BLOB PRIMARY KEY,
    fund_id         BLOB NOT NULL REFERENCES funds (id),
    debit_account   TEXT NOT NULL,
    credit_account  TEXT NOT NULL,
    amount_pence    INTEGER NOT NULL CHECK (amount_pence > 0),
    kind            TEXT NOT NULL,
    entity_type     TEXT NOT NULL,
    entity_id       BLOB NOT NULL,
    created_at      TEXT NOT NULL,
    CHECK (debit_account <> credit_account)
) STRICT;
CREATE INDEX ledger_transfers_fund ON ledger_transfers (fund_id, created_at);

CREATE TABLE audit_events (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    id           BLOB NOT NULL UNIQUE,
    occurred_at  TEXT NOT NULL,
    actor_id     BLOB,
    actor        TEXT NOT NULL,
    action       TEXT NOT NULL,
    entity_type  TEXT NOT NULL,
    entity_id    BLOB NOT NULL,
    fund_id      BLOB,
    before       TEXT,
    after        TEXT
) STRICT;
CREATE INDEX audit_events_entity ON audit_events (entity_type, entity_id);

CREATE TABLE idempotency_keys (
    caller_id            BLOB NOT NULL,
    key                  TEXT NOT NULL,
    method               TEXT NOT NULL,
    path                 TEXT NOT NULL,
    fingerprint          TEXT NOT NULL,
    response_status      INTEGER,
    response_body        TEXT,
    response_location    TEXT,
    created_at           TEXT NOT NULL,
    completed_at         TEXT,
    PRIMARY KEY (caller_id, key)
) STRICT;

-- Append-only: ledger transfers and audit events are never changed or
-- removed; corrections are new rows.
CREATE TRIGGER ledger_transfers_no_update BEFORE UPDATE ON ledger_transfers
BEGIN SELECT RAISE(ABORT, 'ledger_transfers is append-only: UPDATE refused'); END;
CREATE TRIGGER ledger_transfers_no_delete BEFORE DELETE ON ledger_transfers
BEGIN SELECT RAISE(ABORT, 'ledger_transfers is append-only: DELETE refused'); END;
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit_events is append-only: UPDATE refused'); END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit_events is append-only: DELETE refused'); END;
