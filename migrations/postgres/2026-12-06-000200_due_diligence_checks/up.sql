-- Due-diligence checks with expiry (issue 20): one row a check recorded,
-- never changed (a renewal or a correction is a new row; the latest of a
-- kind is in force). `expires_on` is the first day the check is no longer
-- valid, so it must fall after the day the check was carried out.
CREATE TABLE due_diligence_checks (
    id          uuid PRIMARY KEY,
    grantee_id  uuid NOT NULL REFERENCES grantees (id),
    kind        text NOT NULL CHECK (kind ~ '^[a-z][a-z0-9_]{1,39}$'),
    status      text NOT NULL CHECK (status IN ('passed', 'failed')),
    evidence    text NOT NULL CHECK (length(evidence) BETWEEN 1 AND 2000),
    checked_by  uuid NOT NULL REFERENCES users (id),
    checked_at  timestamptz NOT NULL,
    checked_on  date NOT NULL,
    expires_on  date,
    CHECK (expires_on IS NULL OR expires_on > checked_on)
);
CREATE INDEX due_diligence_checks_grantee ON due_diligence_checks (grantee_id, checked_at);

CREATE TRIGGER due_diligence_checks_append_only
    BEFORE UPDATE OR DELETE ON due_diligence_checks
    FOR EACH ROW EXECUTE FUNCTION grantledger_refuse_change();
CREATE TRIGGER due_diligence_checks_no_truncate
    BEFORE TRUNCATE ON due_diligence_checks
    FOR EACH STATEMENT EXECUTE FUNCTION grantledger_refuse_change();

-- The kinds a fund requires before a tranche is scheduled, comma-separated
-- in the fund's order; existing funds require none.
ALTER TABLE funds ADD COLUMN required_checks text NOT NULL DEFAULT '';
