#!/usr/bin/env bash
# The README's test command: installs what is needed, builds with warnings
# as errors, checks formatting, runs every test (unit and real-peer),
# shows a cluster's live page in headless Chromium, installs the build
# and builds examples/hello_node against the installed package and the
# .deb, builds the container image and runs it as a
# three-node cluster (podman), then runs the unit tests again under
# AddressSanitizer and UBSan. Prints how long each stage took
# (docs/development.md keeps the figures).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

stage_start=$SECONDS
run_start=$SECONDS
stage() {
  local now=$SECONDS
  if [[ -n ${current_stage:-} ]]; then
    echo "== ${current_stage}: $((now - stage_start)) s"
  fi
  current_stage=$1
  stage_start=$now
  [[ -n $1 ]] && echo "== $1"
  return 0
}

stage "install dependencies"
bash scripts/install-deps.sh

stage "format check"
git ls-files '*.h' '*.cc' | xargs clang-format --dry-run --Werror

stage "build (warnings as errors)"
bash scripts/build.sh "$root/build/ci" -DBEAMLINK_WERROR=ON

stage "tests"
(cd build/ci && ctest --output-on-failure -j "$(nproc)" --timeout 300)

# A 4-node cluster's page in headless Chromium (docs/cluster-page.md).
stage "cluster page (headless Chromium, playwright-core)"
bash scripts/page-test.sh "$root/build/ci"

stage "install, build examples/hello_node against it (CMake, pkg-config)"
bash scripts/install-test.sh "$root/build/ci"

stage "Debian packages (cpack), build examples/hello_node against them"
bash scripts/deb-test.sh "$root/build/ci"

# Builds deploy/Dockerfile with podman on locally made Debian bases and
# runs three containers of it as a cluster (docs/container.md).
stage "container image (podman): build, run a three-node cluster"
bash scripts/image-test.sh

# Only the unit tests run under the sanitizers, so only they are built:
# the module libraries and the unit-test binaries (no integration tests,
# benchmarks, CLI, worker, or installable libbeamlink).
stage "build (address + undefined sanitizers, unit tests)"
bash scripts/build.sh "$root/build/asan" -DBEAMLINK_WERROR=ON -DBEAMLINK_SANITIZE=ON \
  -DBEAMLINK_BENCH=OFF -DBEAMLINK_INTEGRATION_TESTS=OFF -DBEAMLINK_APPS=OFF -DBEAMLINK_INSTALL=OFF

stage "unit tests under sanitizers"
(cd build/asan && ctest --output-on-failure -j "$(nproc)" --timeout 600 -L unit)

stage ""
echo "== all stages: $((SECONDS - run_start)) s"
