#!/usr/bin/env bash
# Manual check (not run in CI): a REAL PostgreSQL restart under a running
# grantledger server. Starts `grantledger serve --demo` on its own database,
# polls /healthz, /readyz and an authenticated read twice a second, and prints
# one line per poll, while you restart the cluster in another terminal:
#
#     sudo pg_ctlcluster 15 main restart        # or: stop ... sleep 10 ... start
#
# Expected: 200s; then, while PostgreSQL is down, /healthz 200, /readyz 503
# and the read 503 (application/problem+json, no host or user in it) — never
# 500; then 200s again within a few seconds of PostgreSQL being back, with the
# same server process (its pid is printed). Ctrl-C stops it.
#
# Do not run this on a PostgreSQL that other people's tests are using.
#
# Usage: scripts/pg-restart-check.sh
# Env:   CHECK_PG  admin URL without database (default postgres://postgres@127.0.0.1:5432)
#        CHECK_DB  database to (re)create      (default grantledger_faults_manual)
#        CHECK_PORT                            (default 8099)
set -euo pipefail
cd "$(dirname "$0")/.."

PG="${CHECK_PG:-postgres://postgres@127.0.0.1:5432}"
DB="${CHECK_DB:-grantledger_faults_manual}"
PORT="${CHECK_PORT:-8099}"
BASE="http://127.0.0.1:${PORT}"

cargo build -p grantledger-server --quiet
psql "${PG}/postgres" -qc "DROP DATABASE IF EXISTS ${DB} WITH (FORCE)" -c "CREATE DATABASE ${DB}"

DATABASE_URL="${PG}/${DB}" RUST_LOG=warn target/debug/grantledger serve --demo \
    --bind "127.0.0.1:${PORT}" >/tmp/pg-restart-check.log 2>&1 &
SERVER=$!
trap 'kill "$SERVER" 2>/dev/null || true' EXIT
until curl -fs "${BASE}/readyz" >/dev/null; do sleep 0.2; done
TOKEN=$(curl -fs "${BASE}/v1/auth/token" -H 'content-type: application/json' \
    -d '{"email":"admin@demo.grantledger.org","password":"demo-password-2026"}' |
    sed -E 's/.*"access_token":"([^"]+)".*/\1/')
echo "server pid ${SERVER} on ${BASE}; now restart PostgreSQL in another terminal" >&2

code() { curl -s -o /tmp/pg-restart-check.body -w '%{http_code}' --max-time 30 "$@"; }
while true; do
    h=$(code "${BASE}/healthz")
    r=$(code "${BASE}/readyz")
    f=$(code -H "Authorization: Bearer ${TOKEN}" "${BASE}/v1/funds")
    detail=""
    [ "$f" = 200 ] || detail=$(head -c 200 /tmp/pg-restart-check.body)
    printf '%s pid=%s healthz=%s readyz=%s GET /v1/funds=%s %s\n' \
        "$(date +%T)" "$(kill -0 "$SERVER" && echo "$SERVER" || echo dead)" "$h" "$r" "$f" "$detail"
    sleep 0.5
done
