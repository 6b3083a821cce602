#!/usr/bin/env bash
# Installs beamlink from a build directory into a temporary prefix
# (`cmake --install`) and builds examples/hello_node out of tree against
# it: with CMake's find_package (shared and static library) and with
# pkg-config (shared and static); each binary must run, cluster with a
# second copy and answer. examples/service, pubsub, worker and quickstart
# (README's) are built with find_package (the service also with
# pkg-config) and run against real peers (scripts/lib/examples.sh);
# README.md must show examples/quickstart as it is. Also checks that only
# include/beamlink/ is installed as API and compiles without the sources
# (no private header leaks into it), and the SONAME (CHANGELOG.md:
# MAJOR.MINOR below 1.0).
# Usage: scripts/install-test.sh [BUILD_DIR] (default build/ci)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(realpath "${1:-$root/build/ci}")
source "$root/scripts/lib/hello_node.sh"
source "$root/scripts/lib/examples.sh"
hello_begin install-test  # $work, removed on exit

prefix=$work/prefix
cmake --install "$build" --prefix "$prefix" >/dev/null
libdir=$(dirname "$(find "$prefix" -name 'libbeamlink.so' | head -1)")
pcdir=$(dirname "$(find "$prefix" -name beamlink.pc | head -1)")

# The installed API is include/beamlink/*.h, nothing from src/.
unexpected=$(cd "$prefix/include" && find . -type f ! -path './beamlink/*.h')
[[ -z $unexpected ]] || { echo "installed headers outside include/beamlink: $unexpected" >&2; exit 1; }
for h in "$prefix"/include/beamlink/*.h; do echo "#include <beamlink/$(basename "$h")>"; done >"$work/all_headers.cc"
# shellcheck disable=SC2046
c++ -std=c++23 -fsyntax-only -Wall -Wextra -Werror $(PKG_CONFIG_PATH=$pcdir pkg-config --cflags beamlink) \
  "$work/all_headers.cc"
echo "the public headers compile against the prefix (one file including them all)"

soname=$(readelf -d "$libdir/libbeamlink.so" | sed -n 's/.*SONAME.*\[\(.*\)\]/\1/p')
echo "installed: $(cd "$prefix" && find . -type f -o -type l | sort | grep -v '/include/' | tr '\n' ' ')"
version=$(PKG_CONFIG_PATH=$pcdir pkg-config --modversion beamlink)
if [[ $version == 0.* ]]; then expected=libbeamlink.so.${version%.*}; else expected=libbeamlink.so.${version%%.*}; fi
echo "version $version, SONAME $soname"
[[ $soname == "$expected" ]] || { echo "SONAME '$soname', expected $expected" >&2; exit 1; }

hello_start_epmd "$prefix/bin/beamlink"
hello_build_cmake "$prefix" "$work/cmake-shared"
hello_check_linkage "$work/cmake-shared/hello_node" shared "$libdir"
hello_run "$work/cmake-shared/hello_node" cmake_shared
hello_build_cmake "$prefix" "$work/cmake-static" -DBEAMLINK_USE_STATIC_LIBS=ON
hello_check_linkage "$work/cmake-static/hello_node" static "$libdir"
hello_run "$work/cmake-static/hello_node" cmake_static
hello_build_pkgconfig "$pcdir" "$work/pc-shared" shared
hello_check_linkage "$work/pc-shared/hello_node" shared "$libdir"
hello_run "$work/pc-shared/hello_node" pc_shared
hello_build_pkgconfig "$pcdir" "$work/pc-static" static
hello_check_linkage "$work/pc-static/hello_node" static "$libdir"
hello_run "$work/pc-static/hello_node" pc_static

# The other examples: each built with find_package and run against a real
# peer (erl for the service); the service also with pkg-config.
examples_build_cmake "$prefix" "$work/examples" service pubsub worker quickstart
examples_run_service "$work/examples/service/service" cmake
examples_run_pubsub "$work/examples/pubsub/pubsub" cmake
examples_run_worker "$work/examples/worker/worker" cmake
examples_check_readme
examples_run_quickstart "$work/examples/quickstart/hello" "$prefix/bin/beamlink"
hello_build_pkgconfig "$pcdir" "$work/pc-service" shared service
hello_check_linkage "$work/pc-service/service" shared "$libdir"
examples_run_service "$work/pc-service/service" pc
echo "install test passed"
