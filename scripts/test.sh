#!/usr/bin/env bash
# The README's test command: installs what is needed, builds with warnings
# as errors, checks formatting, runs every test (unit and real-peer), then
# runs the unit tests again under AddressSanitizer and UBSan.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

bash scripts/install-deps.sh

echo "== format check"
git ls-files '*.h' '*.cc' | xargs clang-format --dry-run --Werror

echo "== build (warnings as errors)"
bash scripts/build.sh "$root/build/ci" -DBEAMLINK_WERROR=ON

echo "== tests"
(cd build/ci && ctest --output-on-failure -j "$(nproc)" --timeout 300)

echo "== build (address + undefined sanitizers)"
bash scripts/build.sh "$root/build/asan" -DBEAMLINK_WERROR=ON -DBEAMLINK_SANITIZE=ON -DBEAMLINK_BENCH=OFF

echo "== unit tests under sanitizers"
(cd build/asan && ctest --output-on-failure -j "$(nproc)" --timeout 600 -L unit)
