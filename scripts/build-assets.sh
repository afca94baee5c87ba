#!/usr/bin/env bash
# Rebuilds the portal's vendored design assets from their npm packages and
# records their versions. The Rust build never needs Node: the files this
# writes are committed. Needs node and npm (the public npm registry).
#
#   crates/server/assets/portal.css          GOV.UK Frontend + ours, compiled by sass
#   crates/server/assets/govuk-frontend.min.js
#   crates/server/assets/VERSIONS
#   tests/vendor/axe-core/axe.min.js         for the browser tests only
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"

GOVUK_FRONTEND=6.6.0 # MIT
SASS=1.108.2         # MIT, build time only
AXE_CORE=4.14.1      # MPL-2.0, tests only

WORK="target/assets-build"
mkdir -p "$WORK"
cd "$WORK"
[ -f package.json ] || npm init -y >/dev/null
npm install --no-audit --no-fund --ignore-scripts --save-exact \
    "govuk-frontend@${GOVUK_FRONTEND}" "sass@${SASS}" "axe-core@${AXE_CORE}" >/dev/null

npx sass --no-source-map --style=compressed --load-path=. \
    "${ROOT}/crates/server/assets-src/portal.scss" "${ROOT}/crates/server/assets/portal.css"
cp node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.js "${ROOT}/crates/server/assets/"
cp node_modules/axe-core/axe.min.js "${ROOT}/tests/vendor/axe-core/axe.min.js"
cp node_modules/axe-core/LICENSE "${ROOT}/tests/vendor/axe-core/LICENSE"

cat > "${ROOT}/crates/server/assets/VERSIONS" <<VERSIONS
# Built by scripts/build-assets.sh; do not edit by hand.
govuk-frontend ${GOVUK_FRONTEND} (MIT) https://www.npmjs.com/package/govuk-frontend
sass ${SASS} (MIT, build only)
axe-core ${AXE_CORE} (MPL-2.0, tests only: tests/vendor/axe-core)
VERSIONS
echo "assets rebuilt: $(wc -c < "${ROOT}/crates/server/assets/portal.css") bytes of CSS"
