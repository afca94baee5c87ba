-- The panel's recommendation on an application (issue 20): award, reject
-- or reserve, with an optional note; one per application, the latest
-- replacing the last (the audit trail keeps every one).
CREATE TABLE panel_recommendations (
    application_id  BLOB PRIMARY KEY REFERENCES applications (id),
    round_id        BLOB NOT NULL REFERENCES rounds (id),
    decision        TEXT NOT NULL CHECK (decision IN ('award', 'reject', 'reserve')),
    note            TEXT,
    recorded_by     BLOB,
    recorded_at     TEXT NOT NULL
) STRICT;
CREATE INDEX panel_recommendations_by_round ON panel_recommendations (round_id);
