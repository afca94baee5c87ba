-- Commitments (pledges) imported from the pledge tracker, their departments,
-- and their append-only status history (SQLite).
-- The PostgreSQL migration of the same name makes the same tables.

CREATE TABLE commitments (
    id           BLOB PRIMARY KEY,
    number       INTEGER NOT NULL CHECK (number >= 1),
    occurrence   INTEGER NOT NULL CHECK (occurrence >= 1),
    pledge       TEXT NOT NULL,
    progress     TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('completed', 'in_progress', 'ongoing', 'not_started', 'not_reported', 'other')),
    source_line  INTEGER NOT NULL CHECK (source_line >= 1),
    version      INTEGER NOT NULL DEFAULT 1,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    -- A pledge's identity across imports: its number and which row with
    -- that number it is (the tracker repeats numbers).
    UNIQUE (number, occurrence)
) STRICT;

CREATE TABLE commitment_departments (
    commitment_id  BLOB NOT NULL REFERENCES commitments (id),
    position       INTEGER NOT NULL CHECK (position >= 0),
    department     TEXT NOT NULL,
    PRIMARY KEY (commitment_id, position),
    UNIQUE (commitment_id, department)
) STRICT;
CREATE INDEX commitment_departments_department ON commitment_departments (department);

CREATE TABLE commitment_history (
    id             BLOB PRIMARY KEY,
    commitment_id  BLOB NOT NULL REFERENCES commitments (id),
    changed_at     TEXT NOT NULL,
    actor_id       BLOB,
    actor          TEXT NOT NULL,
    source         TEXT NOT NULL CHECK (source IN ('import', 'manual')),
    status         TEXT NOT NULL CHECK (status IN ('completed', 'in_progress', 'ongoing', 'not_started', 'not_reported', 'other')),
    progress       TEXT NOT NULL,
    note           TEXT NOT NULL
) STRICT;
CREATE INDEX commitment_history_commitment ON commitment_history (commitment_id, id);

CREATE TRIGGER commitment_history_no_update BEFORE UPDATE ON commitment_history
BEGIN SELECT RAISE(ABORT, 'commitment_history is append-only: UPDATE refused'); END;
CREATE TRIGGER commitment_history_no_delete BEFORE DELETE ON commitment_history
BEGIN SELECT RAISE(ABORT, 'commitment_history is append-only: DELETE refused'); END;
