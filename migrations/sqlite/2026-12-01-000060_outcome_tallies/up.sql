-- Each return version's outcome tally, computed once when the version is
-- submitted (grantledger_domain::evaluation::Tally::of_return), so the fund
-- outcome report sums small rows instead of parsing every survey response
-- of every return (docs/BENCHMARKS.md, "Outcomes at scale"). The tally is
-- the Tally's counts and sums as comma-separated integers (the store's
-- evaluation module encodes it): a table of diesel columns would need 36.
-- Versions submitted before this migration have no row; the report tallies
-- those from their responses. Append-only, like the versions.
CREATE TABLE evaluation_version_tallies (
    return_id  BLOB NOT NULL,
    number     INTEGER NOT NULL,
    tally      TEXT NOT NULL,
    PRIMARY KEY (return_id, number),
    FOREIGN KEY (return_id, number) REFERENCES evaluation_return_versions (return_id, number)
) STRICT, WITHOUT ROWID;

CREATE TRIGGER evaluation_version_tallies_no_update BEFORE UPDATE ON evaluation_version_tallies
BEGIN SELECT RAISE(ABORT, 'evaluation_version_tallies is append-only: UPDATE refused'); END;
CREATE TRIGGER evaluation_version_tallies_no_delete BEFORE DELETE ON evaluation_version_tallies
BEGIN SELECT RAISE(ABORT, 'evaluation_version_tallies is append-only: DELETE refused'); END;
