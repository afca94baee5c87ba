-- An import matches a row without an org id to the grantee with the same
-- name and postcode: without this index each row scanned every grantee, so
-- importing (and re-importing) a file took time quadratic in its length
-- (see docs/BENCHMARKS.md, imports).
CREATE INDEX grantees_postcode ON grantees (postcode);
