#!/usr/bin/env bash
# The docs/DESIGN.md §10 service benchmarks, in one run on one machine:
#   1. pgbench (TPC-B-like, the default script) on the PostgreSQL server,
#   2. grantledger serve on a fresh PostgreSQL database, driven by
#      grantledger-load (surge, award decisions, mixed reads),
#   3. the same against a fresh SQLite file,
#   each followed by `grantledger reconcile` of the run's fund (must pass),
# then a markdown table of the figures, the ratios and the targets.
#
# Usage: scripts/bench.sh                    full run, about 6 minutes after the build
#        BENCH_QUICK=1 scripts/bench.sh      short run (smaller surge, shorter phases), about 2 minutes
# Env:   BENCH_PG         admin URL without database (default postgres://postgres@127.0.0.1:5432)
#        BENCH_DB_PREFIX  databases <prefix>_pgbench and <prefix>_server are (re)created
#                         (default grantledger_bench)
#        BENCH_CLIENTS    pgbench clients and concurrent award decisions (default 16)
#        BENCH_OUT        where logs and JSON reports go (default target/bench)
#        BENCH_BACKENDS   "postgresql sqlite" (default) or one of them
#        BENCH_NO_BUILD=1 use the release binaries already built
#        BENCH_BIN  the server binary to time (default target/release/grantledger)
#        BENCH_KEEP=1     keep the databases afterwards
#        BENCH_LOAD_ARGS  extra flags for grantledger-load run (see --help)
#        GRANTLEDGER_WORKERS, GRANTLEDGER_DB_POOL_SIZE, RUST_LOG pass through to the server
set -euo pipefail
cd "$(dirname "$0")/.."
export PGOPTIONS="${PGOPTIONS:-} -c client_min_messages=warning"

PG="${BENCH_PG:-postgres://postgres@127.0.0.1:5432}"
PREFIX="${BENCH_DB_PREFIX:-grantledger_bench}"
PGBENCH_DB="${PREFIX}_pgbench"
SERVER_DB="${PREFIX}_server"
OUT="${BENCH_OUT:-target/bench}"
CLIENTS="${BENCH_CLIENTS:-16}"
BACKENDS="${BENCH_BACKENDS:-postgresql sqlite}"

if [ -n "${BENCH_QUICK:-}" ]; then
    PGBENCH_SECONDS=10
    LOAD=(--surge-count 3000 --surge-seconds 20 --decision-seconds 10 --read-seconds 10)
else
    PGBENCH_SECONDS=30
    LOAD=(--surge-count 20000 --surge-seconds 60 --decision-seconds 30 --read-seconds 30)
fi
# shellcheck disable=SC2206 # word splitting of the extra flags is wanted
LOAD+=(--decision-concurrency "$CLIENTS" ${BENCH_LOAD_ARGS:-})

for tool in psql pgbench; do
    command -v "$tool" >/dev/null || { echo "bench.sh needs $tool (apt-get install postgresql-client)" >&2; exit 1; }
done
mkdir -p "$OUT"

EXTRA_DBS="$PGBENCH_DB"
# The server logs as a deployment does by default (an access-log line per
# request), as in every figure of docs/BENCHMARKS.md from this script.
export RUST_LOG="${RUST_LOG:-info}"
# The server's lifetime, the build, free_port, the machine note and
# start_backend (a fresh database, the administrator and the server).
# shellcheck source=scripts/bench-common.sh
source scripts/bench-common.sh

fresh_db() {
    psql "${PG}/postgres" -qc "DROP DATABASE IF EXISTS $1 WITH (FORCE)" -c "CREATE DATABASE $1" >/dev/null
}

# --- pgbench ----------------------------------------------------------------
echo "pgbench: initialising scale 10 in ${PGBENCH_DB} ..." >&2
fresh_db "$PGBENCH_DB"
pgbench -i -s 10 -q "${PG}/${PGBENCH_DB}" >"$OUT/pgbench-init.log" 2>&1
echo "pgbench: ${CLIENTS} clients, 2 threads, ${PGBENCH_SECONDS} s ..." >&2
pgbench -c "$CLIENTS" -j 2 -T "$PGBENCH_SECONDS" "${PG}/${PGBENCH_DB}" >"$OUT/pgbench.log" 2>&1
TPS=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$OUT/pgbench.log" | head -1)
[ -n "$TPS" ] || { cat "$OUT/pgbench.log" >&2; echo "no TPS in pgbench's output" >&2; exit 1; }
echo "pgbench: ${TPS} TPS" >&2
# The same at scale 1: one branch row that every transaction updates, as
# every award decision updates its round's rows. Not the target's
# reference (that is the line above); the database's own ceiling for work
# serialised on one row, to show how much of the gap is the hot row.
echo "pgbench: scale 1 (one hot row), ${CLIENTS} clients, ${PGBENCH_SECONDS} s ..." >&2
pgbench -i -s 1 -q "${PG}/${PGBENCH_DB}" >>"$OUT/pgbench-init.log" 2>&1
pgbench -c "$CLIENTS" -j 2 -T "$PGBENCH_SECONDS" "${PG}/${PGBENCH_DB}" >"$OUT/pgbench-scale1.log" 2>&1
HOT_TPS=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$OUT/pgbench-scale1.log" | head -1)
echo "pgbench at scale 1: ${HOT_TPS:-?} TPS" >&2
if [ -z "${BENCH_KEEP:-}" ]; then
    psql "${PG}/postgres" -qc "DROP DATABASE IF EXISTS ${PGBENCH_DB} WITH (FORCE)" >/dev/null
fi

# --- grantledger on each backend ---------------------------------------------
REPORTS=()
FAILED=0
for backend in $BACKENDS; do
    start_backend "$backend" bench.sqlite3
    echo "grantledger on ${backend}: serving on 127.0.0.1:${PORT} (pid ${SERVER_PID}); load ..." >&2
    status=0
    GRANTLEDGER_LOAD_PASSWORD="$ADMIN_PASSWORD" GRANTLEDGER_LOAD_TWO_FACTOR_SECRET="$ADMIN_TWO_FACTOR_SECRET" "$LOAD_BIN" run \
        --base "http://127.0.0.1:${PORT}" --email "$ADMIN_EMAIL" --label "$backend" \
        --json "$OUT/load-${backend}.json" --fund-file "$OUT/fund-${backend}.txt" "${LOAD[@]}" \
        | tee "$OUT/load-${backend}.txt" || status=$?
    stop_server
    if [ "$status" -ne 0 ]; then
        echo "grantledger-load on ${backend} exited ${status} (2 means some 5xx or unanswered requests)" >&2
        FAILED=1
    fi
    # Reconciliation must still pass after the run, to the penny.
    if [ ! -s "$OUT/fund-${backend}.txt" ] || ! DATABASE_URL="$URL" RUST_LOG=warn "$SERVER_BIN" reconcile \
        --fund "$(cat "$OUT/fund-${backend}.txt")" >"$OUT/reconcile-${backend}.txt" 2>&1; then
        echo "reconciliation on ${backend} failed: $OUT/reconcile-${backend}.txt" >&2
        FAILED=1
    else
        echo "reconciliation on ${backend}: every check passed ($OUT/reconcile-${backend}.txt)" >&2
    fi
    [ -f "$OUT/load-${backend}.json" ] && REPORTS+=("$OUT/load-${backend}.json")
done

# --- summary ------------------------------------------------------------------
echo
echo "## Service benchmarks ($(date -u +%Y-%m-%d), $(nproc) cores${BENCH_QUICK:+, quick run})"
echo
"$LOAD_BIN" compare --pgbench-tps "$TPS" ${HOT_TPS:+--pgbench-hot-row-tps "$HOT_TPS"} --pgbench-setup="-c ${CLIENTS} -j 2 -T ${PGBENCH_SECONDS}, scale 10" "${REPORTS[@]}" \
    | tee "$OUT/summary.md"
echo
echo "Logs and JSON reports: $OUT"
exit "$FAILED"
