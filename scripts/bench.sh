#!/usr/bin/env bash
# The docs/DESIGN.md §10 service benchmarks, in one run on one machine:
#   1. pgbench (TPC-B-like, the default script) on the PostgreSQL server,
#   2. grantledger serve on a fresh PostgreSQL database, driven by
#      grantledger-load (surge, award decisions, mixed reads),
#   3. the same against a fresh SQLite file,
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

SERVER_PID=""
stop_server() {
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    SERVER_PID=""
}
cleanup() {
    stop_server
    if [ -z "${BENCH_KEEP:-}" ]; then
        psql "${PG}/postgres" -qc "DROP DATABASE IF EXISTS ${PGBENCH_DB} WITH (FORCE)" \
            -c "DROP DATABASE IF EXISTS ${SERVER_DB} WITH (FORCE)" >/dev/null 2>&1 || true
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ -z "${BENCH_NO_BUILD:-}" ]; then
    echo "building (release) ..." >&2
    cargo build --release --locked --quiet -p grantledger-server -p grantledger-load
fi
SERVER_BIN="${BENCH_BIN:-target/release/grantledger}"
# The server refuses to start without a key for bank details at rest; a
# throwaway one does for a benchmark database.
export GRANTLEDGER_BANK_KEY="${GRANTLEDGER_BANK_KEY:-$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')}"
LOAD_BIN=target/release/grantledger-load

fresh_db() {
    psql "${PG}/postgres" -qc "DROP DATABASE IF EXISTS $1 WITH (FORCE)" -c "CREATE DATABASE $1" >/dev/null
}

free_port() {
    local port
    while :; do
        port=$(( 20000 + RANDOM % 40000 ))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/${port}") 2>/dev/null; then
            echo "$port"
            return
        fi
    done
}

# --- the machine ------------------------------------------------------------
{
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "cpu: $(nproc) × $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
    echo "memory: $(free -g | awk '/^Mem:/ {print $2}') GiB"
    echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "postgresql: $(psql "${PG}/postgres" -Atc 'SHOW server_version'), shared_buffers $(psql "${PG}/postgres" -Atc 'SHOW shared_buffers'), synchronous_commit $(psql "${PG}/postgres" -Atc 'SHOW synchronous_commit')"
    echo "grantledger: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
} | tee "$OUT/machine.txt" >&2

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
SECRET=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
ADMIN_EMAIL="bench-admin@example.org"
ADMIN_PASSWORD="bench-password-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
ADMIN_TWO_FACTOR_SECRET=BENCHMARKADMINTWOFACTORSECRETKEY
REPORTS=()
FAILED=0
for backend in $BACKENDS; do
    case "$backend" in
        postgresql)
            fresh_db "$SERVER_DB"
            URL="${PG}/${SERVER_DB}"
            ;;
        sqlite)
            URL="$OUT/bench.sqlite3"
            rm -f "$URL" "$URL-wal" "$URL-shm"
            ;;
        *) echo "unknown backend $backend" >&2; exit 1 ;;
    esac
    DATABASE_URL="$URL" GRANTLEDGER_NEW_PASSWORD="$ADMIN_PASSWORD" RUST_LOG=warn \
        "$SERVER_BIN" user create --email "$ADMIN_EMAIL" --role admin >/dev/null
    # Staff sign in with a code as well; the load generator holds the secret.
    DATABASE_URL="$URL" GRANTLEDGER_TWO_FACTOR_SECRET="$ADMIN_TWO_FACTOR_SECRET" RUST_LOG=warn \
        "$SERVER_BIN" user two-factor "$ADMIN_EMAIL" >/dev/null
    PORT=$(free_port)
    # The load generator is one client address opening many connections.
    DATABASE_URL="$URL" GRANTLEDGER_JWT_SECRET="$SECRET" GRANTLEDGER_MAX_CONNECTIONS_PER_CLIENT=0 \
        "$SERVER_BIN" serve --bind "127.0.0.1:${PORT}" >"$OUT/server-${backend}.log" 2>&1 &
    SERVER_PID=$!
    echo "grantledger on ${backend}: serving on 127.0.0.1:${PORT} (pid ${SERVER_PID}); load ..." >&2
    status=0
    GRANTLEDGER_LOAD_PASSWORD="$ADMIN_PASSWORD" GRANTLEDGER_LOAD_TWO_FACTOR_SECRET="$ADMIN_TWO_FACTOR_SECRET" "$LOAD_BIN" run \
        --base "http://127.0.0.1:${PORT}" --email "$ADMIN_EMAIL" --label "$backend" \
        --json "$OUT/load-${backend}.json" "${LOAD[@]}" | tee "$OUT/load-${backend}.txt" || status=$?
    stop_server
    if [ "$status" -ne 0 ]; then
        echo "grantledger-load on ${backend} exited ${status} (2 means some 5xx or unanswered requests)" >&2
        FAILED=1
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
