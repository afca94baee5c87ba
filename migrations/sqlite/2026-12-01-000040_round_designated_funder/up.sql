-- A round may be designated to one of its fund's funders (by the funder's
-- name, as the fund lists it): that round's money counts wholly to that
-- funder in the per-funder figures of the reconciliation (docs/AUDIT.md).
-- No row: the round draws on the pooled budget. A table of its own rather
-- than a column on rounds, which already has diesel's 16 columns.
CREATE TABLE round_designations (
    round_id  BLOB PRIMARY KEY REFERENCES rounds (id),
    funder    TEXT NOT NULL
);
