-- Commitments (pledges) imported from the pledge tracker, their departments,
-- and their append-only status history (PostgreSQL).
-- The SQLite migration of the same name makes the same tables.

CREATE TABLE commitments (
    id           uuid PRIMARY KEY,
    number       integer NOT NULL CHECK (number >= 1),
    occurrence   integer NOT NULL CHECK (occurrence >= 1),
    pledge       text NOT NULL,
    progress     text NOT NULL,
    status       text NOT NULL CHECK (status IN ('completed', 'in_progress', 'ongoing', 'not_started', 'not_reported', 'other')),
    source_line  integer NOT NULL CHECK (source_line >= 1),
    version      bigint NOT NULL DEFAULT 1,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    -- A pledge's identity across imports: its number and which row with
    -- that number it is (the tracker repeats numbers).
    UNIQUE (number, occurrence)
);

CREATE TABLE commitment_departments (
    commitment_id  uuid NOT NULL REFERENCES commitments (id),
    position       integer NOT NULL CHECK (position >= 0),
    department     text NOT NULL,
    PRIMARY KEY (commitment_id, position),
    UNIQUE (commitment_id, department)
);
CREATE INDEX commitment_departments_department ON commitment_departments (department);

CREATE TABLE commitment_history (
    id             uuid PRIMARY KEY,
    commitment_id  uuid NOT NULL REFERENCES commitments (id),
    changed_at     timestamptz NOT NULL,
    actor_id       uuid,
    actor          text NOT NULL,
    source         text NOT NULL CHECK (source IN ('import', 'manual')),
    status         text NOT NULL CHECK (status IN ('completed', 'in_progress', 'ongoing', 'not_started', 'not_reported', 'other')),
    progress       text NOT NULL,
    note           text NOT NULL
);
CREATE INDEX commitment_history_commitment ON commitment_history (commitment_id, id);

CREATE TRIGGER commitment_history_append_only
    BEFORE UPDATE OR DELETE ON commitment_history
    FOR EACH ROW EXECUTE FUNCTION grantledger_refuse_change();
CREATE TRIGGER commitment_history_no_truncate
    BEFORE TRUNCATE ON commitment_history
    FOR EACH STATEMENT EXECUTE FUNCTION grantledger_refuse_change();
