-- Due-diligence checks with expiry (issue 20): one row a check recorded,
-- never changed (a renewal or a correction is a new row; the latest of a
-- kind is in force). `expires_on` is the first day the check is no longer
-- valid, so it must fall after the day the check was carried out. Dates
-- are ISO text (YYYY-MM-DD), as disbursements.due_on, so they compare as
-- dates.
CREATE TABLE due_diligence_checks (
    id          BLOB PRIMARY KEY,
    grantee_id  BLOB NOT NULL REFERENCES grantees (id),
    kind        TEXT NOT NULL CHECK (length(kind) BETWEEN 2 AND 40 AND kind GLOB '[a-z]*' AND kind NOT GLOB '*[^a-z0-9_]*'),
    status      TEXT NOT NULL CHECK (status IN ('passed', 'failed')),
    evidence    TEXT NOT NULL CHECK (length(evidence) BETWEEN 1 AND 2000),
    checked_by  BLOB NOT NULL REFERENCES users (id),
    checked_at  TEXT NOT NULL,
    checked_on  TEXT NOT NULL,
    expires_on  TEXT,
    CHECK (expires_on IS NULL OR expires_on > checked_on)
) STRICT;
CREATE INDEX due_diligence_checks_grantee ON due_diligence_checks (grantee_id, checked_at);

CREATE TRIGGER due_diligence_checks_no_update BEFORE UPDATE ON due_diligence_checks
BEGIN SELECT RAISE(ABORT, 'due_diligence_checks is append-only: UPDATE refused'); END;
CREATE TRIGGER due_diligence_checks_no_delete BEFORE DELETE ON due_diligence_checks
BEGIN SELECT RAISE(ABORT, 'due_diligence_checks is append-only: DELETE refused'); END;

-- The kinds a fund requires before a tranche is scheduled, comma-separated
-- in the fund's order; existing funds require none.
ALTER TABLE funds ADD COLUMN required_checks TEXT NOT NULL DEFAULT '';
