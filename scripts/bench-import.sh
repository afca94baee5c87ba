#!/usr/bin/env bash
# Benchmark of `grantledger import grantees`: writes a CSV of N grantee rows
# (a third with charity numbers, the rest community groups matched by name
# and postcode), imports it into a fresh SQLite file and a fresh PostgreSQL
# database, then imports the identical file again (every row unchanged), and
# reports the wall time of each run. Not a test: figures go in
# docs/BENCHMARKS.md.
#
# Usage: scripts/bench-import.sh [N]            (default 100000)
# Env:   BENCH_PG  admin URL without database (default postgres://postgres@127.0.0.1:5432)
#        BENCH_DB  database to (re)create      (default grantledger_bench_import)
#        BENCH_NO_BUILD=1  use the release binary already built
set -euo pipefail
cd "$(dirname "$0")/.."

N="${1:-100000}"
PG="${BENCH_PG:-postgres://postgres@127.0.0.1:5432}"
DB="${BENCH_DB:-grantledger_bench_import}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

[ -n "${BENCH_NO_BUILD:-}" ] || cargo build --release -p grantledger-server --quiet
BIN=target/release/grantledger

FILE="$WORK/grantees.csv"
awk -v n="$N" 'BEGIN {
    print "name,org_id,organisation_type,region,local_authority,postcode,annual_income";
    inward = "ABDEFGHJLNPQRSTUWXYZ";
    split("north_east north_west yorkshire_and_the_humber east_midlands west_midlands east_of_england london south_east south_west wales scotland northern_ireland", regions, " ");
    for (i = 1; i <= n; i++) {
        region = regions[1 + i % 12];
        # Inward codes never use C, I, K, M, O or V.
        postcode = sprintf("LS%d %d%s%s", 1 + i % 29, i % 10, substr(inward, 1 + int(i / 10) % 20, 1), substr(inward, 1 + int(i / 200) % 20, 1));
        if (i % 3 == 0) {
            printf "Registered charity %d,GB-CHC-%07d,registered_charity,%s,Leeds,%s,%d.00\n", i, 1000000 + i, region, postcode, 10000 + i % 90000;
        } else {
            printf "Community group %d,,community_group,%s,Leeds,%s,%d\n", i, region, postcode, 1000 + i % 9000;
        }
    }
}' > "$FILE"
echo "$(($(wc -l < "$FILE") - 1)) rows, $(du -h "$FILE" | cut -f1)" >&2

run() { # label, database url
    local start end
    start=$(date +%s.%N)
    DATABASE_URL="$2" "$BIN" import grantees "$FILE" 2>"$WORK/out" >/dev/null
    end=$(date +%s.%N)
    printf '%-32s %6.2f s   %s\n' "$1" "$(echo "$end - $start" | bc)" "$(tail -1 "$WORK/out")"
}

SQLITE="$WORK/bench.sqlite3"
DATABASE_URL="$SQLITE" "$BIN" migrate 2>/dev/null
run "SQLite, first import" "$SQLITE"
run "SQLite, unchanged re-import" "$SQLITE"

psql "${PG}/postgres" -qc "DROP DATABASE IF EXISTS ${DB}" -c "CREATE DATABASE ${DB}"
DATABASE_URL="${PG}/${DB}" "$BIN" migrate 2>/dev/null
run "PostgreSQL, first import" "${PG}/${DB}"
run "PostgreSQL, unchanged re-import" "${PG}/${DB}"
psql "${PG}/postgres" -qc "DROP DATABASE IF EXISTS ${DB}"
