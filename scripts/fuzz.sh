#!/usr/bin/env bash
# Runs every cargo-fuzz target (or those named) for a bounded time each and
# prints, per target, the executions, the coverage reached and whether it
# found anything. See docs/FUZZING.md.
#
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...]     (default 120, all targets)
# Needs: cargo install cargo-fuzz --locked
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_EACH="${1:-120}"
shift || true
TARGETS=("$@")
if [ ${#TARGETS[@]} -eq 0 ]; then
  TARGETS=(money org_id identifiers pledge_tracker csv_import jwt routes)
fi
# Nightly flags on the stable toolchain; no sanitizer (see docs/FUZZING.md).
export RUSTC_BOOTSTRAP=1
cargo fuzz build -s none

mkdir -p fuzz/logs
status=0
for target in "${TARGETS[@]}"; do
  log="fuzz/logs/${target}.log"
  echo "== ${target}: ${SECONDS_EACH} s" >&2
  if cargo fuzz run -s none "$target" -- -max_total_time="$SECONDS_EACH" \
      -rss_limit_mb=4096 -timeout=30 -print_final_stats=1 >"$log" 2>&1; then
    result="no crash"
  else
    result="FOUND A CRASH (see $log and fuzz/artifacts/$target/)"
    status=1
  fi
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | grep -o '[0-9]*' || echo '?')
  echo "${target}: ${runs} executions, coverage ${cov} edges, ${result}"
done
exit "$status"
