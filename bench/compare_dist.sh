#!/usr/bin/env bash
# Distribution benchmarks, side by side in one run on this machine:
# the same workloads between two beamlink nodes, between two real erl
# nodes, and mixed (beamlink client -> erl server, erl client -> beamlink
# server); raw loopback TCP (iperf3) as the physical limit for bandwidth;
# and the resident memory of an idle node of each kind.
#   usage: bench/compare_dist.sh [BUILD_DIR]
# Everything binds 127.0.0.1; every process started here is stopped by pid.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build/release}
beamlink="$build/bin/beamlink"
tool="$build/bench/dist_bench"
[[ -x $tool && -x $beamlink ]] || { echo "build first: scripts/build.sh $build" >&2; exit 1; }

SMALL=${SMALL:-1000000}     # messages in the small-message workload
PINGS=${PINGS:-20000}       # round trips in the ping-pong workload
BIN64=${BIN64:-4000}        # 64 KiB binaries
BIN1M=${BIN1M:-400}         # 1 MiB binaries

source "$root/bench/bench_lib.sh"
bench_init
erlc -o "$tmp" "$root/bench/dist_bench.erl"
start_epmd "$beamlink"

erl_flags=(-setcookie bench -kernel inet_dist_use_interface '{127,0,0,1}' -noshell -noinput -pa "$tmp")
start_erl_server() {
  erl -name "$1@127.0.0.1" "${erl_flags[@]}" -eval 'dist_bench:serve()' >"$tmp/$1.out" 2>&1 &
  pids+=($!)
  wait_for "$tmp/$1.out" ready "erl server $1"
}
start_beamlink_server() {
  "$tool" serve --name "$1@127.0.0.1" --cookie bench >"$tmp/$1.out" 2>&1 &
  pids+=($!)
  wait_for "$tmp/$1.out" ready "beamlink server $1"
}
# A client that fails (a lost message, a lost connection) prints
# value=FAILED; what it said goes to $tmp/clients.err, shown at the end.
erl_client() {  # server workload count size
  { timeout 900 erl -name "cli_erl_$RANDOM@127.0.0.1" "${erl_flags[@]}" \
    -eval "dist_bench:client([\"$1\", \"$2\", \"$3\", \"$4\"])" 2>>"$tmp/clients.err" || true; } |
    grep '^workload=' || echo "workload=$2 value=FAILED"
}
beamlink_client() {
  { echo "== beamlink client -> $1 $2 $3" >>"$tmp/clients.err"
    timeout 900 "$tool" client --name "cli_bl_$RANDOM@127.0.0.1" --cookie bench "$1" "$2" "$3" "$4" \
      2>>"$tmp/clients.err" || true; } | grep '^workload=' || echo "workload=$2 value=FAILED"
}
rss_kib() { ps -o rss= -p "$1" | tr -d ' '; }

start_erl_server srv_erl
erl_server_pid=${pids[-1]}
start_beamlink_server srv_bl
bl_server_pid=${pids[-1]}
sleep 1
erl_rss=$(rss_kib "$erl_server_pid")
bl_rss=$(rss_kib "$bl_server_pid")

loopback_bps=0
if command -v iperf3 >/dev/null; then
  iport=$(free_port)
  iperf3 -s -B 127.0.0.1 -p "$iport" -1 >/dev/null 2>&1 &
  pids+=($!)
  sleep 0.5
  loopback_bps=$(iperf3 -c 127.0.0.1 -p "$iport" -t 3 -J 2>/dev/null |
    awk '/"sum_received"/ {f=1} f && /"bits_per_second"/ {gsub(/[^0-9.e+]/, "", $2); printf "%.0f", $2 / 8; exit}')
fi

echo "erl: $(erl -noshell -eval 'io:format("OTP ~s", [erlang:system_info(otp_release)]), halt().'); cpu: $(nproc) cores; $(date -u +%F)"
printf '%-22s %16s %16s %10s %18s %18s\n' workload "beamlink" "erl" "ratio" "beamlink->erl" "erl->beamlink"
run() {  # label workload count size better(higher|lower)
  local bl erl mixed1 mixed2
  bl=$(beamlink_client srv_bl@127.0.0.1 "$2" "$3" "$4")
  erl=$(erl_client srv_erl@127.0.0.1 "$2" "$3" "$4")
  mixed1=$(beamlink_client srv_erl@127.0.0.1 "$2" "$3" "$4")
  mixed2=$(erl_client srv_bl@127.0.0.1 "$2" "$3" "$4")
  local b e ratio
  b=$(echo "$bl" | field value); e=$(echo "$erl" | field value)
  if [[ $b == FAILED || $e == FAILED ]]; then ratio=-
  elif [[ $5 == higher ]]; then ratio=$(awk -v b="$b" -v e="$e" 'BEGIN{printf "%.2fx", b/e}')
  else ratio=$(awk -v b="$b" -v e="$e" 'BEGIN{printf "%.2fx", e/b}'); fi
  local unit; unit=$(echo "$bl" | field unit)
  printf '%-22s %16s %16s %10s %18s %18s\n' "$1 ($unit)" "$b" "$e" "$ratio" \
    "$(echo "$mixed1" | field value)" "$(echo "$mixed2" | field value)"
  if [[ $2 == binary && $4 == 1048576 && $b != FAILED && $e != FAILED ]]; then bl_1m=$b; erl_1m=$e; fi
  if [[ $2 == pingpong ]]; then
    printf '%-22s %16s %16s\n' "  p99 (us)" "$(echo "$bl" | field p99)" "$(echo "$erl" | field p99)"
  fi
}
bl_1m=0; erl_1m=0
# iperf3 first, while nothing else runs.
run "small messages" small "$SMALL" 0 higher
run "ping-pong median" pingpong "$PINGS" 0 lower
run "64 KiB binaries" binary "$BIN64" 65536 higher
run "1 MiB binaries" binary "$BIN1M" 1048576 higher
echo "loopback TCP (iperf3, one stream): $loopback_bps B/s"
echo "1 MiB binaries vs loopback TCP: beamlink $(awk -v b="$bl_1m" -v l="$loopback_bps" 'BEGIN{ if (l > 0) printf "%.0f%%", 100*b/l; else print "-"}'), erl $(awk -v e="$erl_1m" -v l="$loopback_bps" 'BEGIN{ if (l > 0) printf "%.0f%%", 100*e/l; else print "-"}')"
echo "idle node RSS: beamlink ${bl_rss} KiB, erl ${erl_rss} KiB (ratio erl/beamlink $(awk -v b="$bl_rss" -v e="$erl_rss" 'BEGIN{printf "%.1f", e/b}'))"
echo "ratio: above 1x means beamlink is better (higher rate, or lower latency)"
# A client's own connections closing as it exits ("distribution stopping")
# are not failures.
failures=$(grep -E '^==|lost|no reply|down:|rror' "$tmp/clients.err" 2>/dev/null |
  grep -v 'distribution stopping' | grep -B1 -vE '^==' | grep -v '^--' || true)
if [[ -n $failures ]]; then
  echo "FAILED runs, in the clients' words:"
  echo "$failures" | sed 's/^/  /'
fi
