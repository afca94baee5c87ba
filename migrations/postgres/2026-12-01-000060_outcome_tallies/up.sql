-- Each return version's outcome tally, computed once when the version is
-- submitted (grantledger_domain::evaluation::Tally::of_return), so the fund
-- outcome report sums small rows instead of parsing every survey response
-- of every return (docs/BENCHMARKS.md, "Outcomes at scale"). The tally is
-- the Tally's counts and sums as comma-separated integers (the store's
-- evaluation module encodes it): a table of diesel columns would need 36.
-- Versions submitted before this migration have no row; the report tallies
-- those from their responses. Append-only, like the versions.
CREATE TABLE evaluation_version_tallies (
    return_id  uuid NOT NULL,
    number     integer NOT NULL,
    tally      text NOT NULL,
    PRIMARY KEY (return_id, number),
    FOREIGN KEY (return_id, number) REFERENCES evaluation_return_versions (return_id, number)
);

CREATE TRIGGER evaluation_version_tallies_append_only
    BEFORE UPDATE OR DELETE ON evaluation_version_tallies
    FOR EACH ROW EXECUTE FUNCTION grantledger_refuse_change();
CREATE TRIGGER evaluation_version_tallies_no_truncate
    BEFORE TRUNCATE ON evaluation_version_tallies
    FOR EACH STATEMENT EXECUTE FUNCTION grantledger_refuse_change();
