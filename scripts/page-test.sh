#!/usr/bin/env bash
# The cluster page (docs/cluster-page.md) in Debian's headless Chromium:
# installs playwright-core from tests/web/package-lock.json (npm ci, the
# npm registry; no browser is downloaded, /usr/bin/chromium is used), then
# runs tests/web/cluster_page_test.mjs against the build's `beamlink` CLI:
# a 4-node cluster on 127.0.0.1, one node's page shows 4 nodes, then 3
# within seconds of a kill, through its event stream.
# Usage: scripts/page-test.sh [BUILD_DIR] [SCREENSHOT]
#   (default build/ci, and BUILD_DIR/cluster-page.png; docs/cluster-page.png
#   is one such screenshot, refreshed by hand)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(realpath "${1:-$root/build/ci}")
screenshot=$(realpath -m "${2:-$build/cluster-page.png}")
cli=$build/bin/beamlink
[[ -x $cli ]] || { echo "page-test: no $cli; build first (scripts/build.sh $build)" >&2; exit 1; }
[[ -x /usr/bin/chromium ]] || { echo "page-test: /usr/bin/chromium missing (scripts/install-deps.sh)" >&2; exit 1; }

cd "$root/tests/web"
# The exact versions of package-lock.json; npm's cache makes a warm run
# offline.
PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --prefer-offline --no-audit --no-fund --loglevel=error
node cluster_page_test.mjs --cli "$cli" --screenshot "$screenshot"
