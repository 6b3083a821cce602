# shellcheck shell=bash
# bench/load_lib.sh - shell helpers of bench/compare_load.sh and
# bench/soak.sh (sourced, not run). load_init BUILD_DIR checks the binaries,
# makes a temporary directory, compiles bench/load_bench.erl and starts
# beamlink's EPMD on a free 127.0.0.1 port of its own (ERL_EPMD_PORT). Every
# process started through these helpers is recorded in `pids` and stopped
# by pid on exit; node names carry this script's pid, so runs never meet.
# shellcheck source=bench/bench_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/bench_lib.sh"

load_init() {
  root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  build=${1:-$root/build/release}
  beamlink="$build/bin/beamlink"
  tool="$build/bench/load_bench"
  [[ -x $tool && -x $beamlink ]] || {
    echo "build first: scripts/build.sh $build -DBEAMLINK_BENCH=ON" >&2
    exit 1
  }
  bench_init
  tag=ld$$
  erlc -o "$tmp" "$root/bench/load_bench.erl"
  start_epmd "$beamlink"
  erl_flags=(-setcookie bench -kernel inet_dist_use_interface '{127,0,0,1}' -noshell -noinput
    -pa "$tmp")
}

# Waits up to 10 s for "ready" in a log file.
await_ready() { wait_for "$1" ready "$2"; }

# start_erl_echo NAME [erl args...]: an erl node with load_bench:serve()'s
# `echo`; sets server_pid (erl execs into beam.smp: this is the VM's pid).
start_erl_echo() {
  local name=$1
  shift
  erl -name "$name@127.0.0.1" "${erl_flags[@]}" "$@" -eval 'load_bench:serve()' >"$tmp/$name.out" 2>&1 &
  server_pid=$!
  pids+=("$server_pid")
  await_ready "$tmp/$name.out" "erl node $name"
}

# start_beamlink_echo NAME [beamlink node args...]: the CLI's `beamlink node`
# (its `echo` answers {Pid, Term}); sets server_pid.
start_beamlink_echo() {
  local name=$1
  shift
  "$beamlink" node --name "$name@127.0.0.1" --cookie bench --listen-address 127.0.0.1 "$@" \
    >"$tmp/$name.out" 2>&1 &
  server_pid=$!
  pids+=("$server_pid")
  await_ready "$tmp/$name.out" "beamlink node $name"
}

stop_server() {
  kill "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

# client KIND SECONDS MODE ARGS...: one erl or beamlink client run, bounded
# by SECONDS; sets `line` to its result line (or to why it has none) and
# keeps its stderr in $last_client_err. Not to be called in a subshell.
client_seq=0
client() {
  local kind=$1 seconds=$2 mode=$3
  shift 3
  client_seq=$((client_seq + 1))
  local name="${tag}c${client_seq}" out="$tmp/client$client_seq.out"
  last_client_err="$tmp/client$client_seq.err"
  local rc=0
  if [[ $kind == erl ]]; then
    local list
    list=$(printf '"%s",' "$@")
    timeout "$seconds" erl -name "$name@127.0.0.1" "${erl_flags[@]}" \
      -eval "load_bench:$mode([${list%,}])" >"$out" 2>"$last_client_err" || rc=$?
  else
    timeout "$seconds" "$tool" "$mode" --name "$name@127.0.0.1" --cookie bench "$@" \
      >"$out" 2>"$last_client_err" || rc=$?
  fi
  line=$(grep -E "^$mode " "$out" | tail -n 1 || true)
  if [[ -z $line ]]; then
    line="no result: client exited with $rc$([[ $rc == 124 ]] && echo " (timeout after ${seconds}s)")"
  fi
}

# The nodedown and connection-down lines a client logged, indented.
client_downs() {
  grep -E 'nodedown|down:' "$last_client_err" | grep -v 'distribution stopping' | head -5 |
    sed 's/^/    /' || true
}

# The connection-down lines a beamlink node NAME logged since the last call
# for it, indented (erl nodes log none), but for a client's own close as it
# exits (the client logs its side of any drop itself).
declare -A server_log_seen
server_downs() {
  local log="$tmp/$1.out" seen=${server_log_seen[$1]:-0} total
  total=$(wc -l <"$log")
  server_log_seen[$1]=$total
  tail -n +$((seen + 1)) "$log" | head -n $((total - seen)) | grep -E 'down' |
    grep -v -e 'distribution stopping' -e "connection closed by ${tag}c" | head -3 |
    sed 's/^/    server: /' || true
}

status_kib() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status" 2>/dev/null || echo -; }
