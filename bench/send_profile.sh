#!/usr/bin/env bash
# The cost of sending one small message, in instructions and heap
# allocations, as evidence beside the rates of compare_dist.sh: a beamlink
# client sends N and then 2N small messages ({msg, I} by REG_SEND, as the
# "small" workload does) to a beamlink server; the client runs under
# callgrind (instructions) and memcheck (allocations), and the difference
# between the two runs, divided by N, is the cost per message without the
# start-up. The client's own {msg, I} tuple is one allocation per message.
#   usage: bench/send_profile.sh [BUILD_DIR] [N]
# Prints per-message Ir and allocations, and the top functions by
# inclusive Ir of the 2N run. Everything binds 127.0.0.1; the processes
# started here are stopped by pid.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build/release}
n=${2:-20000}
tool="$build/bench/dist_bench"
[[ -x $tool ]] || { echo "build first: scripts/build.sh $build" >&2; exit 1; }
command -v valgrind >/dev/null || { echo "valgrind is needed" >&2; exit 1; }

source "$root/bench/bench_lib.sh"
bench_init
start_epmd "$build/bin/beamlink"
"$tool" serve --name "prof_srv@127.0.0.1" --cookie bench >"$tmp/srv.out" 2>&1 &
pids+=($!)
wait_for "$tmp/srv.out" ready "the bench server"

client() {  # valgrind-args... -- count
  local count=${*: -1}
  valgrind "${@:1:$#-1}" "$tool" client --name "prof_cli_$RANDOM@127.0.0.1" --cookie bench \
    prof_srv@127.0.0.1 small "$count" 0 >"$tmp/client.out" 2>>"$tmp/valgrind.err" || true
  grep -q '^workload=small' "$tmp/client.out" || {
    echo "the client failed:" >&2; grep -v '^==' "$tmp/valgrind.err" | tail -5 >&2; exit 1; }
}
ir() { callgrind_annotate "$1" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(/,/, "", $1); v = $1} END {print v}'; }
allocs() { sed -n 's/.*total heap usage: \([0-9,]*\) allocs.*/\1/p' "$1" | tr -d ,; }

client --tool=callgrind --callgrind-out-file="$tmp/cg.1" -- "$n"
client --tool=callgrind --callgrind-out-file="$tmp/cg.2" -- $((2 * n))
client --tool=memcheck --log-file="$tmp/mc.1" -- "$n"
client --tool=memcheck --log-file="$tmp/mc.2" -- $((2 * n))

ir1=$(ir "$tmp/cg.1"); ir2=$(ir "$tmp/cg.2")
a1=$(allocs "$tmp/mc.1"); a2=$(allocs "$tmp/mc.2")
echo "small message sent by a beamlink client (N=$n, difference of N and 2N runs):"
awk -v a="$ir1" -v b="$ir2" -v n="$n" 'BEGIN { printf "  Ir per message: %.0f\n", (b - a) / n }'
awk -v a="$a1" -v b="$a2" -v n="$n" 'BEGIN { printf "  heap allocations per message: %.2f (one is the client'"'"'s {msg, I})\n", (b - a) / n }'
echo "top functions by inclusive Ir, 2N run:"
callgrind_annotate --inclusive=yes "$tmp/cg.2" 2>/dev/null | grep -E '^ *[0-9,]+ ' | sed -n 2,25p |
  sed -E 's/\([^()]*\)//g' | cut -c1-160
