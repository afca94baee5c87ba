-- Evaluation returns (PostgreSQL). One return per award, reviewed as a
-- whole; every submission is a new, immutable version. Survey responses are
-- kept as canonical JSON on the version row (parsed back through the domain
-- on the way out). Versions and reviews are append-only.

CREATE TABLE evaluation_returns (
    id              uuid PRIMARY KEY,
    award_id        uuid NOT NULL UNIQUE REFERENCES awards (id),
    fund_id         uuid NOT NULL REFERENCES funds (id),
    round_id        uuid NOT NULL REFERENCES rounds (id),
    grantee_id      uuid NOT NULL REFERENCES grantees (id),
    status          text NOT NULL CHECK (status IN ('submitted', 'accepted', 'changes_requested')),
    latest_version  integer NOT NULL CHECK (latest_version >= 1),
    version         bigint NOT NULL DEFAULT 1,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL
);
CREATE INDEX evaluation_returns_fund ON evaluation_returns (fund_id, id);
CREATE INDEX evaluation_returns_grantee ON evaluation_returns (grantee_id);

CREATE TABLE evaluation_return_versions (
    return_id              uuid NOT NULL REFERENCES evaluation_returns (id),
    number                 integer NOT NULL CHECK (number >= 1),
    period_start           date NOT NULL,
    period_end             date NOT NULL,
    participants_reached   integer NOT NULL CHECK (participants_reached >= 0),
    volunteers             integer NOT NULL CHECK (volunteers >= 0),
    sessions_delivered     integer NOT NULL CHECK (sessions_delivered >= 0),
    narrative              text NOT NULL,
    case_study             text,
    baseline_respondents   integer NOT NULL CHECK (baseline_respondents >= 0),
    follow_up_respondents  integer NOT NULL CHECK (follow_up_respondents >= 0),
    responses              text NOT NULL,
    submitted_by           uuid,
    submitted_at           timestamptz NOT NULL,
    PRIMARY KEY (return_id, number),
    CHECK (period_start <= period_end),
    CHECK (baseline_respondents <= participants_reached),
    CHECK (follow_up_respondents <= participants_reached)
);

CREATE TABLE evaluation_reviews (
    id              uuid PRIMARY KEY,
    return_id       uuid NOT NULL REFERENCES evaluation_returns (id),
    version_number  integer NOT NULL,
    decision        text NOT NULL CHECK (decision IN ('accept', 'request_changes')),
    comment         text,
    reviewed_by     uuid,
    reviewed_at     timestamptz NOT NULL,
    FOREIGN KEY (return_id, version_number) REFERENCES evaluation_return_versions (return_id, number),
    CHECK (decision = 'accept' OR comment IS NOT NULL)
);
CREATE INDEX evaluation_reviews_return ON evaluation_reviews (return_id);

CREATE INDEX awards_return_due ON awards (return_due_on) WHERE return_due_on IS NOT NULL;

CREATE TRIGGER evaluation_return_versions_append_only
    BEFORE UPDATE OR DELETE ON evaluation_return_versions
    FOR EACH ROW EXECUTE FUNCTION grantledger_refuse_change();
CREATE TRIGGER evaluation_return_versions_no_truncate
    BEFORE TRUNCATE ON evaluation_return_versions
    FOR EACH STATEMENT EXECUTE FUNCTION grantledger_refuse_change();
CREATE TRIGGER evaluation_reviews_append_only
    BEFORE UPDATE OR DELETE ON evaluation_reviews
    FOR EACH ROW EXECUTE FUNCTION grantledger_refuse_change();
CREATE TRIGGER evaluation_reviews_no_truncate
    BEFORE TRUNCATE ON evaluation_reviews
    FOR EACH STATEMENT EXECUTE FUNCTION grantledger_refuse_change();
