-- Duplicate grantee detection and import matching look grantees up by
-- name and postcode: without this index each imported row scanned every
-- grantee, so importing (and re-importing) a file took time quadratic in its
-- length (see docs/BENCHMARKS.md, imports).
CREATE INDEX IF NOT EXISTS grantees_postcode ON grantees (postcode);
