# shellcheck shell=bash
# bench/bench_lib.sh - what every benchmark script here does first (sourced,
# not run): a temporary directory, the pids of the processes it starts
# (stopped by pid on exit, the directory removed), a free 127.0.0.1 port,
# an EPMD of its own, and waiting for a line in a log.
#   bench_init        sets tmp and pids and the exit trap
#   free_port         prints a free 127.0.0.1 TCP port
#   start_epmd BIN    beamlink's EPMD (BIN epmd) on a free port, exported as
#                     ERL_EPMD_PORT; returns once it accepts connections
#   wait_for FILE PATTERN WHAT [TRIES]  waits (0.1 s a try, 100 tries by
#                     default) for PATTERN in FILE; else prints FILE
#   field KEY         the value of KEY=VALUE on stdin's first matching line

bench_init() {
  tmp=$(mktemp -d)
  pids=()
  trap bench_cleanup EXIT
  trap 'exit 130' INT TERM
}

bench_cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$tmp"
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null ||
    echo $((30000 + RANDOM % 20000))
}

start_epmd() {
  ERL_EPMD_PORT=$(free_port)
  export ERL_EPMD_PORT
  "$1" epmd --address 127.0.0.1 --port "$ERL_EPMD_PORT" 2>"$tmp/epmd.log" &
  pids+=($!)
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$ERL_EPMD_PORT") 2>/dev/null && return 0
    sleep 0.05
  done
  echo "EPMD did not start:" >&2
  cat "$tmp/epmd.log" >&2
  return 1
}

wait_for() {
  local tries=${4:-100}
  for _ in $(seq "$tries"); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
  echo "$3 did not start:" >&2
  cat "$1" >&2
  return 1
}

field() { sed -n "s/^\(.*[ ]\)\{0,1\}$1=\([^ ]*\).*/\2/p" | head -n 1; }
