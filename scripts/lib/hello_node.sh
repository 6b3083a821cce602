# shellcheck shell=bash disable=SC2154 # $root comes from the sourcing script
# Shared by scripts/install-test.sh and scripts/deb-test.sh (sourced, with
# $root set): builds examples/hello_node out of tree against an
# installed beamlink, with CMake or with pkg-config, and runs two copies of
# it (a server and a client that asks it once) on loopback with their own
# EPMD port and node names.

hello_pids=()
hello_cleanup() {
  local pid
  for pid in "${hello_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${hello_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  hello_pids=()
}

# hello_begin NAME: a scratch directory $work; on exit, the processes
# started here are stopped and $work is removed.
hello_begin() {
  work=$(mktemp -d "/tmp/beamlink-$1.XXXXXX")
  trap 'hello_cleanup; rm -rf "$work"' EXIT
}

# hello_build_cmake PREFIX OUT [cmake args...]: find_package(beamlink CONFIG).
hello_build_cmake() {
  local prefix=$1 out=$2
  shift 2
  cmake -S "$root/examples/hello_node" -B "$out" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_PREFIX_PATH="$prefix" "$@" >"$out.log" 2>&1 || { cat "$out.log"; return 1; }
  cmake --build "$out" >>"$out.log" 2>&1 || { cat "$out.log"; return 1; }
}

# hello_build_pkgconfig PCDIR OUT shared|static [EXAMPLE]: `pkg-config
# beamlink`; builds OUT/EXAMPLE from examples/EXAMPLE/main.cc (hello_node).
hello_build_pkgconfig() {
  local pcdir=$1 out=$2 kind=$3 example=${4:-hello_node} cflags libs libdir
  mkdir -p "$out"
  cflags=$(PKG_CONFIG_PATH=$pcdir pkg-config --cflags beamlink)
  libdir=$(PKG_CONFIG_PATH=$pcdir pkg-config --variable=libdir beamlink)
  if [[ $kind == static ]]; then
    libs=$(PKG_CONFIG_PATH=$pcdir pkg-config --static --libs beamlink)
    libs=${libs/-lbeamlink/-l:libbeamlink.a}
  else
    libs="$(PKG_CONFIG_PATH=$pcdir pkg-config --libs beamlink) -Wl,-rpath,$libdir"
  fi
  # shellcheck disable=SC2086 # word splitting of the flags is wanted
  c++ -std=c++23 -O1 -Wall -Wextra -Wpedantic -Werror $cflags -o "$out/$example" "$root/examples/$example/main.cc" $libs
}

# hello_check_linkage BINARY shared|static LIBDIR: the binary uses the
# installed shared library from LIBDIR, or carries the static one.
hello_check_linkage() {
  local bin=$1 kind=$2 libdir=$3 resolved
  resolved=$(ldd "$bin" | awk '/libbeamlink/ {print $3}')
  if [[ $kind == static ]]; then
    [[ -z $resolved ]] || { echo "$bin: links libbeamlink.so ($resolved), expected the static library" >&2; return 1; }
  else
    [[ $(realpath "$resolved") == $(realpath "$libdir")/libbeamlink.so.* ]] ||
      { echo "$bin: libbeamlink resolves to '$resolved', expected $libdir" >&2; return 1; }
  fi
}

# hello_start_epmd BEAMLINK_CLI: beamlink's EPMD daemon on 127.0.0.1, on a
# free port of its own; exports ERL_EPMD_PORT.
hello_start_epmd() {
  local cli=$1 port attempt
  for attempt in 1 2 3 4 5; do
    port=$((30000 + RANDOM % 20000))
    "$cli" epmd --address 127.0.0.1 --port "$port" 2>"$work/epmd.log" &
    hello_pids+=("$!")
    for _ in $(seq 50); do
      if "$cli" names 127.0.0.1 --port "$port" --timeout 200 >/dev/null 2>&1; then
        export ERL_EPMD_PORT=$port
        return 0
      fi
      kill -0 "${hello_pids[-1]}" 2>/dev/null || break
      sleep 0.1
    done
  done
  echo "could not start beamlink epmd (attempt $attempt): $(cat "$work/epmd.log")" >&2
  return 1
}

# hello_run BINARY TAG: a server and a client; the client's answer must be
# {hello,'SERVER',world}.
hello_run() {
  local bin=$1 tag=$2 server client answer cookie=hello-$$-$RANDOM
  server=hello_srv_${tag}_$$@127.0.0.1
  client=hello_cli_${tag}_$$@127.0.0.1
  "$bin" "$server" "$cookie" >"$work/$tag-server.log" 2>&1 &
  local server_pid=$!
  hello_pids+=("$server_pid")
  # Up to 30 s for the server to say it is up (or to fail).
  for _ in $(seq 300); do
    grep -qs ' is up$' "$work/$tag-server.log" && break
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  answer=$(timeout 60 "$bin" "$client" "$cookie" "$server" 2>"$work/$tag-client.log") || true
  kill "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  if [[ $answer != "{hello,'$server',world}" ]]; then
    echo "hello_node ($tag): answer '$answer'" >&2
    cat "$work/$tag-server.log" "$work/$tag-client.log" >&2
    return 1
  fi
  echo "hello_node ($tag): $answer"
}
