#!/usr/bin/env bash
# Benchmark of the streamed 360Giving export: seeds N accepted awards (half
# of them part-paid) in a fresh PostgreSQL database with bulk SQL
# (generate_series), then times `grantledger export 360giving` and reports
# its peak memory (max RSS) with /usr/bin/time -v.
#
# Usage: scripts/bench-export.sh [N] [json|csv]     (default 100000 json)
# Env:   BENCH_PG  admin URL without database (default postgres://postgres@127.0.0.1:5432)
#        BENCH_DB  database to (re)create      (default grantledger_bench_export)
#        BENCH_NO_BUILD=1  use the release binary already built
set -euo pipefail
cd "$(dirname "$0")/.."

N="${1:-100000}"
FORMAT="${2:-json}"
PG="${BENCH_PG:-postgres://postgres@127.0.0.1:5432}"
DB="${BENCH_DB:-grantledger_bench_export}"
URL="${PG}/${DB}"
GRANTEES=10000
PER_ROUND=500000   # award references have six digits of sequence per round

[ -n "${BENCH_NO_BUILD:-}" ] || cargo build --release -p grantledger-server --quiet
BIN="${BENCH_BIN:-target/release/grantledger}"

psql "${PG}/postgres" -qc "DROP DATABASE IF EXISTS ${DB}" -c "CREATE DATABASE ${DB}"
DATABASE_URL="$URL" "$BIN" migrate

echo "seeding ${N} awards ..." >&2
seed_start=$(date +%s)
psql "$URL" -q -v ON_ERROR_STOP=1 -v n="$N" -v grantees="$GRANTEES" -v per_round="$PER_ROUND" <<'SQL'
BEGIN;
INSERT INTO funds (id, code, name, budget_pence, status, created_at, updated_at)
VALUES ('01900000-0000-7000-8000-000000000001', 'BEN', 'Benchmark Fund', 100000000000000, 'open', now(), now());
INSERT INTO funders (fund_id, position, name, org_id, contribution_pence) VALUES
  ('01900000-0000-7000-8000-000000000001', 0, 'Department for Culture, Media and Sport', 'GB-GOR-D5', 50000000000000),
  ('01900000-0000-7000-8000-000000000001', 1, 'The National Lottery Community Fund', 'GB-GOR-PB188', 50000000000000);
INSERT INTO rounds (id, fund_id, number, name, opens_at, closes_at, allocation_pence, min_grant_pence, max_grant_pence, created_at, updated_at)
SELECT ('01900000-0000-7000-8000-1' || lpad(r::text, 11, '0'))::uuid, '01900000-0000-7000-8000-000000000001', r,
       'Round ' || r, now() - interval '60 days', now() - interval '30 days', 100000000000000 / 10, 25000, 250000, now(), now()
FROM generate_series(1, (:n - 1) / :per_round + 1) r;
CREATE TEMP TABLE seed_grantees AS
SELECT k, gen_random_uuid() AS id FROM generate_series(0, :grantees - 1) k;
INSERT INTO grantees (id, name, org_id, organisation_type, region, local_authority, postcode, annual_income_pence, due_diligence, created_at, updated_at)
SELECT id, 'Community group ' || k,
       CASE WHEN k % 3 = 0 THEN 'GB-CHC-' || (1000000 + k) END,
       CASE WHEN k % 3 = 0 THEN 'registered_charity' ELSE 'community_group' END,
       (ARRAY['north_east','north_west','yorkshire_and_the_humber','east_midlands','west_midlands','east_of_england',
              'london','south_east','south_west','wales','scotland','northern_ireland'])[1 + k % 12],
       'Leeds', 'LS1 4DY', 500000, 'passed', now(), now()
FROM seed_grantees;
CREATE TEMP TABLE seed AS
SELECT g, gen_random_uuid() AS app_id, gen_random_uuid() AS award_id,
       ('01900000-0000-7000-8000-1' || lpad(((g - 1) / :per_round + 1)::text, 11, '0'))::uuid AS round_id,
       (g - 1) / :per_round + 1 AS round_number, (g - 1) % :per_round + 1 AS seq,
       25000 + (g * 137) % 225000 AS amount
FROM generate_series(1, :n) g;
INSERT INTO applications (id, round_id, grantee_id, amount_requested_pence, project_title, summary, status, submitted_at, decided_at, created_at, updated_at)
SELECT s.app_id, s.round_id, sg.id, s.amount, 'Microgrant ' || s.g,
       'Weekly sessions where people meet, make things and talk, so that nobody has to feel alone.',
       'awarded', now() - interval '40 days', now() - interval '20 days', now() - interval '40 days', now() - interval '20 days'
FROM seed s JOIN seed_grantees sg ON sg.k = s.g % :grantees;
INSERT INTO awards (id, reference, fund_id, round_id, application_id, grantee_id, amount_pence, paid_pence, status, created_at, updated_at)
SELECT s.award_id, 'BEN-R' || s.round_number || '-' || lpad(s.seq::text, 6, '0'),
       '01900000-0000-7000-8000-000000000001', s.round_id, s.app_id, sg.id, s.amount,
       CASE WHEN s.g % 2 = 0 THEN s.amount / 2 ELSE 0 END, 'accepted', now() - interval '20 days', now() - interval '10 days'
FROM seed s JOIN seed_grantees sg ON sg.k = s.g % :grantees;
COMMIT;
ANALYZE;
SQL
echo "seeded in $(( $(date +%s) - seed_start )) s" >&2

TIMING=$(mktemp)
DATABASE_URL="$URL" GRANTLEDGER_360G_PREFIX="${GRANTLEDGER_360G_PREFIX:-bench}" /usr/bin/time -v "$BIN" export 360giving --fund BEN --format "$FORMAT" 2>"$TIMING" >/dev/null
grep -E "exported|Elapsed \(wall clock\)|Maximum resident set size|User time|System time" "$TIMING"
rm -f "$TIMING"
