-- Evaluation returns (SQLite). The PostgreSQL migration of the same name
-- makes the same tables. Versions and reviews are append-only.

CREATE TABLE evaluation_returns (
    id              BLOB PRIMARY KEY,
    award_id        BLOB NOT NULL UNIQUE REFERENCES awards (id),
    fund_id         BLOB NOT NULL REFERENCES funds (id),
    round_id        BLOB NOT NULL REFERENCES rounds (id),
    grantee_id      BLOB NOT NULL REFERENCES grantees (id),
    status          TEXT NOT NULL CHECK (status IN ('submitted', 'accepted', 'changes_requested')),
    latest_version  INTEGER NOT NULL CHECK (latest_version >= 1),
    version         INTEGER NOT NULL DEFAULT 1,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
) STRICT;
CREATE INDEX evaluation_returns_fund ON evaluation_returns (fund_id, id);
CREATE INDEX evaluation_returns_grantee ON evaluation_returns (grantee_id);

CREATE TABLE evaluation_return_versions (
    return_id              BLOB NOT NULL REFERENCES evaluation_returns (id),
    number                 INTEGER NOT NULL CHECK (number >= 1),
    period_start           TEXT NOT NULL,
    period_end             TEXT NOT NULL,
    participants_reached   INTEGER NOT NULL CHECK (participants_reached >= 0),
    volunteers             INTEGER NOT NULL CHECK (volunteers >= 0),
    sessions_delivered     INTEGER NOT NULL CHECK (sessions_delivered >= 0),
    narrative              TEXT NOT NULL,
    case_study             TEXT,
    baseline_respondents   INTEGER NOT NULL CHECK (baseline_respondents >= 0),
    follow_up_respondents  INTEGER NOT NULL CHECK (follow_up_respondents >= 0),
    responses              TEXT NOT NULL,
    submitted_by           BLOB,
    submitted_at           TEXT NOT NULL,
    PRIMARY KEY (return_id, number),
    CHECK (period_start <= period_end),
    CHECK (baseline_respondents <= participants_reached),
    CHECK (follow_up_respondents <= participants_reached)
) STRICT;

CREATE TABLE evaluation_reviews (
    id              BLOB PRIMARY KEY,
    return_id       BLOB NOT NULL REFERENCES evaluation_returns (id),
    version_number  INTEGER NOT NULL,
    decision        TEXT NOT NULL CHECK (decision IN ('accept', 'request_changes')),
    comment         TEXT,
    reviewed_by     BLOB,
    reviewed_at     TEXT NOT NULL,
    FOREIGN KEY (return_id, version_number) REFERENCES evaluation_return_versions (return_id, number),
    CHECK (decision = 'accept' OR comment IS NOT NULL)
) STRICT;
CREATE INDEX evaluation_reviews_return ON evaluation_reviews (return_id);

CREATE INDEX awards_return_due ON awards (return_due_on) WHERE return_due_on IS NOT NULL;

CREATE TRIGGER evaluation_return_versions_no_update BEFORE UPDATE ON evaluation_return_versions
BEGIN SELECT RAISE(ABORT, 'evaluation_return_versions is append-only: UPDATE refused'); END;
CREATE TRIGGER evaluation_return_versions_no_delete BEFORE DELETE ON evaluation_return_versions
BEGIN SELECT RAISE(ABORT, 'evaluation_return_versions is append-only: DELETE refused'); END;
CREATE TRIGGER evaluation_reviews_no_update BEFORE UPDATE ON evaluation_reviews
BEGIN SELECT RAISE(ABORT, 'evaluation_reviews is append-only: UPDATE refused'); END;
CREATE TRIGGER evaluation_reviews_no_delete BEFORE DELETE ON evaluation_reviews
BEGIN SELECT RAISE(ABORT, 'evaluation_reviews is append-only: DELETE refused'); END;
