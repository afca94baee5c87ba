-- grantledger foundation schema (PostgreSQL).
-- Money is BIGINT pence; ids are UUID v7; instants are timestamptz (UTC).
-- The SQLite migration of the same name makes the same tables.

CREATE TABLE funds (
    id            uuid PRIMARY KEY,
    code          text NOT NULL UNIQUE,
    name          text NOT NULL,
    budget_pence  bigint NOT NULL CHECK (budget_pence >= 0),
    status        text NOT NULL CHECK (status IN ('draft', 'open', 'closed')),
    version       bigint NOT NULL DEFAULT 1,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL
);

CREATE TABLE funders (
    fund_id             uuid NOT NULL REFERENCES funds (id),
    position            integer NOT NULL CHECK (position >= 0),
    name                text NOT NULL,
    org_id              text,
    contribution_pence  bigint NOT NULL CHECK (contribution_pence >= 0),
    PRIMARY KEY (fund_id, position),
    UNIQUE (fund_id, name)
);

CREATE TABLE rounds (
    id                         uuid PRIMARY KEY,
    fund_id                    uuid NOT NULL REFERENCES funds (id),
    number                     integer NOT NULL CHECK (number >= 1),
    name                       text NOT NULL,
    opens_at                   timestamptz NOT NULL,
    closes_at                  timestamptz NOT NULL,
    allocation_pence           bigint NOT NULL CHECK (allocation_pence >= 0),
    min_grant_pence            bigint NOT NULL CHECK (min_grant_pence > 0),
    max_grant_pence            bigint NOT NULL,
    eligible_types             text NOT NULL DEFAULT '',
    max_annual_income_pence    bigint CHECK (max_annual_income_pence >= 0),
    eligible_regions           text NOT NULL DEFAULT '',
    next_award_sequence        integer NOT NULL DEFAULT 1 CHECK (next_award_sequence >= 1),
    version                    bigint NOT NULL DEFAULT 1,
    created_at                 timestamptz NOT NULL,
    updated_at                 timestamptz NOT NULL,
    UNIQUE (fund_id, number),
    CHECK (opens_at < closes_at),
    CHECK (min_grant_pence <= max_grant_pence)
);
CREATE INDEX rounds_fund ON rounds (fund_id);

CREATE TABLE grantees (
    id                   uuid PRIMARY KEY,
    name                 text NOT NULL,
    org_id               text UNIQUE,
    organisation_type    text NOT NULL CHECK (organisation_type IN ('registered_charity', 'cio', 'cic', 'community_group', 'company', 'school', 'faith_group', 'other')),
    region               text NOT NULL,
    local_authority      text NOT NULL,
    postcode             text NOT NULL,
    annual_income_pence  bigint NOT NULL CHECK (annual_income_pence >= 0),
    due_diligence        text NOT NULL CHECK (due_diligence IN ('pending', 'passed', 'failed')),
    due_diligence_by     uuid,
    due_diligence_at     timestamptz,
    version              bigint NOT NULL DEFAULT 1,
    created_at           timestamptz NOT NULL,
    updated_at           timestamptz NOT NULL
);
CREATE INDEX grantees_region ON grantees (region);

CREATE TABLE users (
    id             uuid PRIMARY KEY,
    email          text NOT NULL UNIQUE,
    password_hash  text NOT NULL,
    role           text NOT NULL CHECK (role IN ('admin', 'assessor', 'grantee', 'auditor')),
    grantee_id     uuid REFERENCES grantees (id),
    disabled       boolean NOT NULL DEFAULT false,
    version        bigint NOT NULL DEFAULT 1,
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL,
    CHECK ((role = 'grantee') = (grantee_id IS NOT NULL))
);

CREATE TABLE applications (
    id                       uuid PRIMARY KEY,
    round_id                 uuid NOT NULL REFERENCES rounds (id),
    grantee_id               uuid NOT NULL REFERENCES grantees (id),
    amount_requested_pence   bigint NOT NULL CHECK (amount_requested_pence > 0),
    project_title            text NOT NULL,
    summary                  text NOT NULL,
    status                   text NOT NULL CHECK (status IN ('draft', 'submitted', 'under_review', 'awarded', 'rejected', 'withdrawn')),
    submitted_at             timestamptz,
    decided_at               timestamptz,
    decision_reason          text,
    version                  bigint NOT NULL DEFAULT 1,
    created_at               timestamptz NOT NULL,
    updated_at               timestamptz NOT NULL
);
CREATE INDEX applications_round_status ON applications (round_id, status);
CREATE INDEX applications_grantee ON applications (grantee_id);

CREATE TABLE assessments (
    id                   uuid PRIMARY KEY,
    application_id       uuid NOT NULL REFERENCES applications (id),
    assessor_id          uuid NOT NULL REFERENCES users (id),
    conflict_declared    boolean NOT NULL,
    declaration          text,
    score                integer CHECK (score BETWEEN 0 AND 10),
    recommendation       text CHECK (recommendation IN ('award', 'reject')),
    comment              text NOT NULL DEFAULT '',
    created_at           timestamptz NOT NULL,
    -- One scored assessment and one conflict declaration at most per assessor.
    UNIQUE (application_id, assessor_id, conflict_declared),
    CHECK (conflict_declared = (score IS NULL))
);

CREATE TABLE awards (
    id              uuid PRIMARY KEY,
    reference       text NOT NULL UNIQUE,
    fund_id         uuid NOT NULL REFERENCES funds (id),
    round_id        uuid NOT NULL REFERENCES rounds (id),
    application_id  uuid NOT NULL UNIQUE REFERENCES applications (id),
    grantee_id      uuid NOT NULL REFERENCES grantees (id),
    amount_pence    bigint NOT NULL CHECK (amount_pence >= 0),
    paid_pence      bigint NOT NULL DEFAULT 0 CHECK (paid_pence >= 0),
    status          text NOT NULL CHECK (status IN ('offered', 'accepted', 'completed', 'declined', 'cancelled')),
    return_due_on   date,
    version         bigint NOT NULL DEFAULT 1,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    CHECK (paid_pence <= amount_pence)
);
CREATE INDEX awards_round ON awards (round_id);
CREATE INDEX awards_fund ON awards (fund_id);
CREATE INDEX awards_grantee ON awards (grantee_id);

CREATE TABLE payment_runs (
    id                  uuid PRIMARY KEY,
    status              text NOT NULL CHECK (status IN ('draft', 'confirmed', 'cancelled')),
    total_pence         bigint NOT NULL CHECK (total_pence >= 0),
    disbursement_count  integer NOT NULL CHECK (disbursement_count >= 0),
    created_by          uuid REFERENCES users (id),
    created_at          timestamptz NOT NULL,
    confirmed_at        timestamptz,
    version             bigint NOT NULL DEFAULT 1
);

CREATE TABLE disbursements (
    id              uuid PRIMARY KEY,
    award_id        uuid NOT NULL REFERENCES awards (id),
    amount_pence    bigint NOT NULL CHECK (amount_pence > 0),
    due_on          date NOT NULL,
    status          text NOT NULL CHECK (status IN ('scheduled', 'paid', 'failed', 'reversed')),
    payment_run_id  uuid REFERENCES payment_runs (id),
    paid_at         timestamptz,
    note            text,
    version         bigint NOT NULL DEFAULT 1,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL
);
CREATE INDEX disbursements_award ON disbursements (award_id);
CREATE INDEX disbursements_due ON disbursements (status, due_on);

-- The ledger. Only internal accounts have rows: their balances are kept here
-- and may never go negative. External accounts ('funders', 'grantees') are
-- named in transfers only, so that no single row becomes a hot spot.
CREATE TABLE ledger_accounts (
    key            text PRIMARY KEY,
    fund_id        uuid NOT NULL REFERENCES funds (id),
    balance_pence  bigint NOT NULL DEFAULT 0 CHECK (balance_pence >= 0),
    created_at     timestamptz NOT NULL
);
CREATE INDEX ledger_accounts_fund ON ledger_accounts (fund_id);

CREATE TABLE ledger_transfers (
    id              uuid PRIMARY KEY,
    fund_id         uuid NOT NULL REFERENCES funds (id),
    debit_account   text NOT NULL,
    credit_account  text NOT NULL,
    amount_pence    bigint NOT NULL CHECK (amount_pence > 0),
    kind            text NOT NULL,
    entity_type     text NOT NULL,
    entity_id       uuid NOT NULL,
    created_at      timestamptz NOT NULL,
    CHECK (debit_account <> credit_account)
);
CREATE INDEX ledger_transfers_fund ON ledger_transfers (fund_id, created_at);

CREATE TABLE audit_events (
    seq          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id           uuid NOT NULL UNIQUE,
    occurred_at  timestamptz NOT NULL,
    actor_id     uuid,
    actor        text NOT NULL,
    action       text NOT NULL,
    entity_type  text NOT NULL,
    entity_id    uuid NOT NULL,
    fund_id      uuid,
    before       text,
    after        text
);
CREATE INDEX audit_events_entity ON audit_events (entity_type, entity_id);

CREATE TABLE idempotency_keys (
    caller_id            uuid NOT NULL,
    key                  text NOT NULL,
    method               text NOT NULL,
    path                 text NOT NULL,
    fingerprint          text NOT NULL,
    response_status      integer,
    response_body        text,
    response_location    text,
    created_at           timestamptz NOT NULL,
    completed_at         timestamptz,
    PRIMARY KEY (caller_id, key)
);

-- Append-only: ledger transfers and audit events are never changed or
-- removed; corrections are new rows.
CREATE FUNCTION grantledger_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END
$$;

CREATE TRIGGER ledger_transfers_append_only
    BEFORE UPDATE OR DELETE ON ledger_transfers
    FOR EACH ROW EXECUTE FUNCTION grantledger_refuse_change();
CREATE TRIGGER ledger_transfers_no_truncate
    BEFORE TRUNCATE ON ledger_transfers
    FOR EACH STATEMENT EXECUTE FUNCTION grantledger_refuse_change();
CREATE TRIGGER audit_events_append_only
    BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION grantledger_refuse_change();
CREATE TRIGGER audit_events_no_truncate
    BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION grantledger_refuse_change();
