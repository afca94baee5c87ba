#!/usr/bin/env bash
# Runs schemathesis (https://schemathesis.readthedocs.io) against a real
# `grantledger serve --demo` on a throwaway SQLite file, as the demo admin
# and then as the demo grantee, and fails if any request got a 5xx or a
# response that breaks the OpenAPI document's schemas and media types.
#
# Usage: scripts/schemathesis.sh [MAX_EXAMPLES]          (default 25)
# Env:   ST_VENV      virtualenv to install schemathesis into
#                     (default target/schemathesis-venv)
#        ST_CHECKS    checks to run (default: not_a_server_error,
#                     status_code_conformance, content_type_conformance,
#                     response_schema_conformance)
#        ST_SEED      hypothesis seed (default 1, so runs repeat)
#        ST_NO_BUILD=1  use the debug binary already built
#        ST_REPORT    directory for the JUnit/NDJSON reports
#                     (default target/schemathesis-report)
set -euo pipefail
cd "$(dirname "$0")/.."

MAX_EXAMPLES="${1:-25}"
VENV="${ST_VENV:-target/schemathesis-venv}"
CHECKS="${ST_CHECKS:-not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance}"
SEED="${ST_SEED:-1}"
REPORT="${ST_REPORT:-target/schemathesis-report}"

if [ ! -x "$VENV/bin/schemathesis" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet -r scripts/schemathesis-requirements.txt
fi

# A debug build: overflow checks and debug assertions turn silent
# arithmetic bugs into panics that the run then reports.
[ -n "${ST_NO_BUILD:-}" ] || cargo build -p grantledger-server --bin grantledger --quiet
BIN=target/debug/grantledger

WORK="$(mktemp -d)"
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
BASE="http://127.0.0.1:${PORT}"
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

DATABASE_URL="$WORK/grantledger.sqlite3" GRANTLEDGER_WORKERS=2 GRANTLEDGER_JWT_TTL_SECONDS=7200 RUST_LOG="${RUST_LOG:-warn}" \
  "$BIN" serve --demo --bind "127.0.0.1:${PORT}" >"$WORK/server.log" 2>&1 &
SERVER_PID=$!

for _ in $(seq 1 100); do
  curl -fsS "$BASE/healthz" >/dev/null 2>&1 && break
  sleep 0.2
done
curl -fsS "$BASE/readyz" >/dev/null

token() {
  curl -fsS -X POST "$BASE/v1/auth/token" -H 'Content-Type: application/json' \
    -d "{\"email\":\"$1\",\"password\":\"demo-password-2026\"}" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])'
}
ADMIN="$(token admin@demo.grantledger.org)"
GRANTEE="$(token grantee@demo.grantledger.org)"
# The pledge tracker, so the commitment routes have records to find.
curl -fsS -X POST "$BASE/v1/commitments/import" -H "Authorization: Bearer $ADMIN" \
  -H 'Content-Type: text/plain' --data-binary @- >/dev/null <<'TRACKER'
Pledge	Dept	Progress
1. Measure loneliness.	DCMS	In progress
2. Fund community groups.	DfE, DWP	Completed
TRACKER

status=0
for who in admin grantee; do
  if [ "$who" = admin ]; then TOKEN="$ADMIN"; else TOKEN="$GRANTEE"; fi
  echo "== schemathesis as the demo $who: $MAX_EXAMPLES examples per operation, checks $CHECKS" >&2
  "$VENV/bin/schemathesis" run "$BASE/openapi.json" \
    --header "Authorization: Bearer $TOKEN" \
    --checks "$CHECKS" \
    --max-examples "$MAX_EXAMPLES" \
    --seed "$SEED" \
    --workers 2 \
    --continue-on-failure \
    --suppress-health-check all \
    --report junit,ndjson --report-dir "$REPORT/$who" \
    || status=$?
done

if grep -q "panicked" "$WORK/server.log"; then
  echo "the server panicked:" >&2
  grep -A5 "panicked" "$WORK/server.log" >&2
  status=1
fi
exit "$status"
