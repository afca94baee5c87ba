-- The panel's recommendation on an application (issue 20): award, reject
-- or reserve, with an optional note; one per application, the latest
-- replacing the last (the audit trail keeps every one).
CREATE TABLE panel_recommendations (
    application_id  uuid PRIMARY KEY REFERENCES applications (id),
    round_id        uuid NOT NULL REFERENCES rounds (id),
    decision        text NOT NULL CHECK (decision IN ('award', 'reject', 'reserve')),
    note            text,
    recorded_by     uuid,
    recorded_at     timestamptz NOT NULL
);
CREATE INDEX panel_recommendations_by_round ON panel_recommendations (round_id);
