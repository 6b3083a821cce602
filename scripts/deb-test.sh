#!/usr/bin/env bash
# Builds the Debian packages with CPack from a build directory, checks
# their contents and that their Depends are installed here, unpacks them
# into a temporary root (dpkg-deb -x: nothing is installed into the
# system) and builds examples/hello_node against that root with CMake
# (shared and static library) and with pkg-config, and examples/service,
# pubsub and worker with CMake; each binary must run and answer (the
# service to a real erl: scripts/lib/examples.sh).
# Usage: scripts/deb-test.sh [BUILD_DIR] (default build/ci)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(realpath "${1:-$root/build/ci}")
source "$root/scripts/lib/hello_node.sh"
source "$root/scripts/lib/examples.sh"
hello_begin deb-test  # $work, removed on exit

(cd "$build" && cpack -G DEB -B "$work/debs" >"$work/cpack.log" 2>&1) || { cat "$work/cpack.log"; exit 1; }
debs=("$work"/debs/*.deb)
((${#debs[@]} == 2)) || { echo "expected 2 packages, got: ${debs[*]}" >&2; exit 1; }
for deb in "${debs[@]}"; do
  echo "$(basename "$deb"): $(du -k "$deb" | cut -f1) KiB; Depends: $(dpkg-deb -f "$deb" Depends)"
  # Every dependency but beamlink itself must be an installed package.
  dpkg-deb -f "$deb" Depends | tr ',' '\n' | sed 's/^ *//; s/[ (].*//' |
    while read -r package; do
      [[ -z $package || $package == beamlink ]] && continue
      dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' ||
        { echo "$(basename "$deb") depends on $package, which is not installed" >&2; exit 1; }
    done
  # Headers only under usr/include/beamlink/.
  if dpkg-deb -c "$deb" | awk '{print $6}' | grep '^\./usr/include/.*\.h$' | grep -v '^\./usr/include/beamlink/'; then
    echo "$(basename "$deb") ships headers outside usr/include/beamlink" >&2
    exit 1
  fi
  dpkg-deb -x "$deb" "$work/root"
done
[[ $(dpkg-deb -f "$work"/debs/beamlink-dev_*.deb Depends) == *"beamlink (= "* ]] ||
  { echo "beamlink-dev does not depend on its beamlink" >&2; exit 1; }

usr=$work/root/usr
libdir=$(dirname "$(find "$usr" -name 'libbeamlink.so' | head -1)")
pcdir=$(dirname "$(find "$usr" -name beamlink.pc | head -1)")
hello_start_epmd "$usr/bin/beamlink"
hello_build_cmake "$usr" "$work/cmake"
hello_check_linkage "$work/cmake/hello_node" shared "$libdir"
hello_run "$work/cmake/hello_node" deb_cmake
hello_build_cmake "$usr" "$work/cmake-static" -DBEAMLINK_USE_STATIC_LIBS=ON
hello_check_linkage "$work/cmake-static/hello_node" static "$libdir"
hello_run "$work/cmake-static/hello_node" deb_cmake_static
hello_build_pkgconfig "$pcdir" "$work/pc" shared
hello_check_linkage "$work/pc/hello_node" shared "$libdir"
hello_run "$work/pc/hello_node" deb_pc
examples_build_cmake "$usr" "$work/examples" service pubsub worker
examples_run_service "$work/examples/service/service" deb
examples_run_pubsub "$work/examples/pubsub/pubsub" deb
examples_run_worker "$work/examples/worker/worker" deb
echo "deb test passed"
