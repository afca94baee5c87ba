#!/usr/bin/env bash
# The web portal's budgets (issue 16), in one run on one machine:
#   1. server time to render the grantee dashboard: GET / with a session
#      cookie, open loop at 100 requests/s, p99 < 5 ms, on a fresh
#      PostgreSQL database and on a fresh SQLite file (grantledger-load
#      portal: set-up through the API, sign-in through the portal's form);
#   2. page weight: the first visit (sign-in page, then every asset it
#      links, as a browser with an empty cache fetches them) under 150 KB
#      transferred, and each page's HTML under 30 KB, all with
#      `Accept-Encoding: gzip, br` as a browser sends.
#
# Usage: scripts/bench-portal.sh               about 3 minutes after the build
#        BENCH_QUICK=1 scripts/bench-portal.sh  20 s a backend
# Env:   BENCH_PG              admin URL without database (default postgres://postgres@127.0.0.1:5432)
#        BENCH_DB_PREFIX       the database <prefix>_portal is (re)created (default grantledger_bench)
#        BENCH_OUT             where logs, JSON reports and pages go (default target/bench-portal)
#        BENCH_BACKENDS        "postgresql sqlite" (default) or one of them
#        BENCH_NO_BUILD=1      use the release binaries already built
#        BENCH_BIN             another server binary to time (default target/release/grantledger)
#        BENCH_KEEP=1          keep the database afterwards
#        BENCH_PORTAL_SECONDS  measured seconds a backend (default 60)
#        BENCH_PORTAL_ARGS     extra flags for grantledger-load portal (see --help),
#                              e.g. "--participants 300 --rate 200"
#        GRANTLEDGER_WORKERS, GRANTLEDGER_DB_POOL_SIZE pass through to the server
set -euo pipefail
cd "$(dirname "$0")/.."
export PGOPTIONS="${PGOPTIONS:-} -c client_min_messages=warning"

PG="${BENCH_PG:-postgres://postgres@127.0.0.1:5432}"
PREFIX="${BENCH_DB_PREFIX:-grantledger_bench}"
SERVER_DB="${PREFIX}_portal"
OUT="${BENCH_OUT:-target/bench-portal}"
BACKENDS="${BENCH_BACKENDS:-postgresql sqlite}"
SECONDS_EACH="${BENCH_PORTAL_SECONDS:-60}"
[ -n "${BENCH_QUICK:-}" ] && SECONDS_EACH=20
FIRST_VISIT_BUDGET=$((150 * 1024))
HTML_BUDGET=$((30 * 1024))

for tool in psql curl; do
    command -v "$tool" >/dev/null || { echo "bench-portal.sh needs $tool" >&2; exit 1; }
done
mkdir -p "$OUT"

# shellcheck source=scripts/bench-common.sh
source scripts/bench-common.sh

kb() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1024 }'; }

# GET a path as a browser would (gzip, br), optionally with the session;
# prints "transferred-body headers decoded-body" in bytes and keeps the page.
weigh() {
    local url=$1 cookie=$2 save=$3
    local args=(-s -o "$save" --compressed -H 'Accept-Encoding: gzip, br' -w '%{http_code} %{size_download} %{size_header}')
    [ -n "$cookie" ] && args+=(-H "Cookie: ${cookie}")
    local out
    out=$(curl "${args[@]}" "$url")
    echo "$out $(wc -c <"$save")"
}

# Page weights against the running server, from the pages and the session
# grantledger-load wrote. Prints a markdown table; returns 1 if over budget.
page_weights() {
    local base=$1 pages=$2 cookie=$3 dir=$4
    local over=0 first_visit=0 line name path cookie_for status body headers decoded verdict
    mkdir -p "$dir"
    echo "| page | path | status | HTML transferred | HTML decoded | headers | HTML < 30 KB |"
    echo "|---|---|---|---:|---:|---:|---|"
    while IFS=$'\t' read -r name path; do
        cookie_for="$cookie"
        [ "$name" = "sign-in" ] && cookie_for=""
        read -r status body headers decoded < <(weigh "${base}${path}" "$cookie_for" "$dir/$(echo "$name" | tr -c 'a-z0-9\n' '-').html")
        verdict="met"
        if [ "$decoded" -ge "$HTML_BUDGET" ] || [ "$status" != 200 ]; then verdict="**missed**"; over=1; fi
        # The budget is on what the page weighs; the transferred size is what the user waits for.
        echo "| $name | \`$(echo "$path" | sed -E 's/[0-9a-f]{8}-[0-9a-f-]{27}/{id}/g')\` | $status | $(kb "$body") KB | $(kb "$decoded") KB | $(kb "$headers") KB | $verdict |"
    done <"$pages"
    echo
    # The first visit: the sign-in page, then what it links (stylesheet,
    # icon, script module), then what those import or load.
    local signin="$dir/sign-in.html" assets asset
    assets=$(grep -oE '(href|src)="/assets/[^"]+"' "$signin" | sed -E 's/^(href|src)="//; s/"$//' | sort -u)
    local asset_dir
    asset_dir=$(echo "$assets" | head -1 | sed 's#/[^/]*$##')
    local imports=""
    for asset in $assets; do
        case "$asset" in
            *.js)
                read -r _ _ _ _ < <(weigh "${base}${asset}" "" "$dir/asset.tmp")
                imports+=$(grep -oE 'from *"\./[^"]+"' "$dir/asset.tmp" | sed -E 's#from *"\./#'"$asset_dir"'/#; s/"$//')$'\n'
                ;;
            *.css)
                read -r _ _ _ _ < <(weigh "${base}${asset}" "" "$dir/asset.tmp")
                imports+=$(grep -oE 'url\("?[^")]+\.(woff2?|ttf|otf)"?\)' "$dir/asset.tmp" | sed -E 's/^url\("?//; s/"?\)$//')$'\n'
                ;;
        esac
    done
    echo "| first visit: sign-in page and assets | status | transferred (body + headers) | decoded |"
    echo "|---|---|---:|---:|"
    read -r status body headers decoded < <(weigh "${base}/sign-in" "" "$dir/asset.tmp")
    first_visit=$((body + headers))
    echo "| /sign-in (HTML) | $status | $(kb $((body + headers))) KB | $(kb "$decoded") KB |"
    for asset in $(printf '%s\n%s\n' "$assets" "$imports" | grep -v '^$' | sort -u); do
        read -r status body headers decoded < <(weigh "${base}${asset}" "" "$dir/asset.tmp")
        first_visit=$((first_visit + body + headers))
        echo "| ${asset##*/} | $status | $(kb $((body + headers))) KB | $(kb "$decoded") KB |"
    done
    verdict="met"
    if [ "$first_visit" -ge "$FIRST_VISIT_BUDGET" ]; then verdict="**missed**"; over=1; fi
    echo "| **total** | | **$(kb "$first_visit") KB** (budget < 150 KB: $verdict) | |"
    rm -f "$dir/asset.tmp"
    return "$over"
}


FAILED=0
WEIGHED=""
for backend in $BACKENDS; do
    start_backend "$backend" portal.sqlite3
    echo "grantledger on ${backend}: serving on 127.0.0.1:${PORT} (pid ${SERVER_PID}); portal load ..." >&2
    status=0
    # shellcheck disable=SC2086 # word splitting of the extra flags is wanted
    GRANTLEDGER_LOAD_PASSWORD="$ADMIN_PASSWORD" GRANTLEDGER_LOAD_TWO_FACTOR_SECRET="$ADMIN_TWO_FACTOR_SECRET" "$LOAD_BIN" portal \
        --base "http://127.0.0.1:${PORT}" --email "$ADMIN_EMAIL" --label "$backend" \
        --seconds "$SECONDS_EACH" --json "$OUT/portal-${backend}.json" \
        --cookie-file "$OUT/cookie-${backend}.txt" --pages-file "$OUT/pages-${backend}.tsv" \
        ${BENCH_PORTAL_ARGS:-} | tee "$OUT/portal-${backend}.txt" || status=$?
    if [ "$status" -ne 0 ]; then
        echo "grantledger-load portal on ${backend} exited ${status}" >&2
        FAILED=1
    fi
    # The pages weigh the same on either backend: weigh them once.
    if [ -z "$WEIGHED" ] && [ -f "$OUT/pages-${backend}.tsv" ]; then
        weights=0
        page_weights "http://127.0.0.1:${PORT}" "$OUT/pages-${backend}.tsv" \
            "$(cat "$OUT/cookie-${backend}.txt")" "$OUT/pages" >"$OUT/weights.md" || weights=$?
        [ "$weights" -ne 0 ] && FAILED=1
        WEIGHED="$backend"
    fi
    stop_server
done

# --- summary ------------------------------------------------------------------
echo
echo "## Portal budgets ($(date -u +%Y-%m-%d), $(nproc) cores, load average before $(sed -n 's/^load average before: //p' "$OUT/machine.txt"))"
echo
echo "Dashboard, GET / as a grantee, open loop, latency from when each request was due:"
echo
for backend in $BACKENDS; do
    grep -h "portal budget on" "$OUT/portal-${backend}.txt" 2>/dev/null || echo "portal budget on ${backend}: no result"
done
echo
echo "Page weights (weighed on ${WEIGHED:-nothing}):"
echo
[ -f "$OUT/weights.md" ] && cat "$OUT/weights.md"
echo
echo "Logs, JSON reports and the pages: $OUT"
exit "$FAILED"
