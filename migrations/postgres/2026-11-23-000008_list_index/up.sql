-- A round's applications are listed a page at a time in id order (keyset):
-- this index serves each page directly instead of sorting the whole round
-- (with 20,000 applications in a round the sort made the first page about
-- 10 ms; see docs/BENCHMARKS.md).
CREATE INDEX applications_round_id ON applications (round_id, id);
