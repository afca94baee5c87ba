#!/usr/bin/env bash
# The staff pages' budgets (issue 17), in one run on one machine: with an
# administrator's portal session, open loop at 50 requests/s each,
#   1. the first page of a round's queue (GET /rounds/{id}/applications)
#      with 20,000 applications in the round, and
#   2. the fund page (GET /funds/{id}: figures, charts and reconciliation)
#      of a fund with 1,700 awards,
# server time p99 < 20 ms, on a fresh PostgreSQL database and a fresh
# SQLite file. Set-up goes through the API (grantledger-load staff): the
# applications submitted by 25 grantee users at once, 1,700 awarded in
# bulk; then the administrator signs in through the portal with a code.
#
# Usage: scripts/bench-staff.sh                about 4 minutes a backend after the build
#        BENCH_QUICK=1 scripts/bench-staff.sh   2,000 applications, 170 awards, 15 s a page
# Env:   BENCH_PG              admin URL without database (default postgres://postgres@127.0.0.1:5432)
#        BENCH_DB_PREFIX       the database <prefix>_staff is (re)created (default grantledger_bench)
#        BENCH_OUT             where logs and JSON reports go (default target/bench-staff)
#        BENCH_BACKENDS        "postgresql sqlite" (default) or one of them
#        BENCH_NO_BUILD=1      use the release binaries already built
#        BENCH_BIN             another server binary to time (default target/release/grantledger)
#        BENCH_KEEP=1          keep the database afterwards
#        BENCH_STAFF_SECONDS   measured seconds a page (default 60)
#        BENCH_STAFF_ARGS      extra flags for grantledger-load staff (see --help),
#                              e.g. "--applications 5000 --rate 100"
#        GRANTLEDGER_WORKERS, GRANTLEDGER_DB_POOL_SIZE pass through to the server
set -euo pipefail
cd "$(dirname "$0")/.."
export PGOPTIONS="${PGOPTIONS:-} -c client_min_messages=warning"

PG="${BENCH_PG:-postgres://postgres@127.0.0.1:5432}"
PREFIX="${BENCH_DB_PREFIX:-grantledger_bench}"
SERVER_DB="${PREFIX}_staff"
OUT="${BENCH_OUT:-target/bench-staff}"
BACKENDS="${BENCH_BACKENDS:-postgresql sqlite}"
SECONDS_EACH="${BENCH_STAFF_SECONDS:-60}"
SIZE_ARGS=()
if [ -n "${BENCH_QUICK:-}" ]; then
    SECONDS_EACH=15
    SIZE_ARGS=(--applications 2000 --awards 170)
fi

command -v psql >/dev/null || { echo "bench-staff.sh needs psql" >&2; exit 1; }
mkdir -p "$OUT"

# shellcheck source=scripts/bench-common.sh
source scripts/bench-common.sh

FAILED=0
for backend in $BACKENDS; do
    start_backend "$backend" staff.sqlite3
    echo "grantledger on ${backend}: serving on 127.0.0.1:${PORT} (pid ${SERVER_PID}); staff pages ..." >&2
    status=0
    # shellcheck disable=SC2086 # word splitting of the extra flags is wanted
    GRANTLEDGER_LOAD_PASSWORD="$ADMIN_PASSWORD" GRANTLEDGER_LOAD_TWO_FACTOR_SECRET="$ADMIN_TWO_FACTOR_SECRET" "$LOAD_BIN" staff \
        --base "http://127.0.0.1:${PORT}" --email "$ADMIN_EMAIL" --label "$backend" \
        --seconds "$SECONDS_EACH" --json "$OUT/staff-${backend}.json" --fund-file "$OUT/fund-${backend}.txt" \
        "${SIZE_ARGS[@]}" ${BENCH_STAFF_ARGS:-} | tee "$OUT/staff-${backend}.txt" || status=$?
    if [ "$status" -ne 0 ]; then
        echo "grantledger-load staff on ${backend} exited ${status}" >&2
        FAILED=1
    fi
    # Reconciliation must still pass after the run.
    if [ ! -s "$OUT/fund-${backend}.txt" ] || ! DATABASE_URL="$URL" RUST_LOG=warn "$SERVER_BIN" reconcile \
        --fund "$(cat "$OUT/fund-${backend}.txt")" >"$OUT/reconcile-${backend}.txt" 2>&1; then
        echo "reconciliation on ${backend} failed: $OUT/reconcile-${backend}.txt" >&2
        FAILED=1
    fi
    stop_server
done

echo
echo "## Staff page budgets ($(date -u +%Y-%m-%d), $(nproc) cores, load average before $(sed -n 's/^load average before: //p' "$OUT/machine.txt"))"
echo
for backend in $BACKENDS; do
    grep -h "staff budget" "$OUT/staff-${backend}.txt" 2>/dev/null | sed "s/^/${backend}: /" || echo "${backend}: no result"
done
echo
echo "Logs and JSON reports: $OUT"
exit "$FAILED"
