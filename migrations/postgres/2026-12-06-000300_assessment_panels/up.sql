-- Assessment panels (issue 20): a round's weighted criteria, which
-- assessors are assigned to which applications, and each assessor's score
-- sheet. The criteria are kept as the JSON the domain reads back through
-- its own checks (`Criteria`), so no rule lives in SQL.
CREATE TABLE round_criteria (
    round_id    uuid PRIMARY KEY REFERENCES rounds (id),
    definition  text NOT NULL,
    margin      text NOT NULL,
    version     bigint NOT NULL,
    updated_at  timestamptz NOT NULL
);
CREATE TABLE assessor_assignments (
    application_id  uuid NOT NULL REFERENCES applications (id),
    assessor_id     uuid NOT NULL REFERENCES users (id),
    round_id        uuid NOT NULL REFERENCES rounds (id),
    assigned_by     uuid,
    assigned_at     timestamptz NOT NULL,
    PRIMARY KEY (application_id, assessor_id)
);
CREATE INDEX assessor_assignments_by_round ON assessor_assignments (round_id);
CREATE INDEX assessor_assignments_by_assessor ON assessor_assignments (assessor_id);
CREATE TABLE score_sheets (
    application_id  uuid NOT NULL REFERENCES applications (id),
    assessor_id     uuid NOT NULL REFERENCES users (id),
    round_id        uuid NOT NULL REFERENCES rounds (id),
    scores          text NOT NULL,
    recorded_at     timestamptz NOT NULL,
    PRIMARY KEY (application_id, assessor_id)
);
CREATE INDEX score_sheets_by_round ON score_sheets (round_id);
