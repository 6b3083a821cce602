#!/usr/bin/env bash
# OTP services in a mixed cluster, side by side in one run: what an Erlang
# node pays for global, gen_server calls and global registration when its
# peers are erl nodes only, and when beamlink nodes are among them.
#   usage: bench/compare_otp.sh [BUILD_DIR]
#   RUNS   fresh driver nodes per global:sync figure (default 7)
#   CALLS  serial gen_server calls per call figure (default 20000)
#   REGS   global register/whereis/unregister rounds (default 300)
# Everything binds 127.0.0.1; every process started here is stopped by pid.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build/release}
beamlink="$build/bin/beamlink"
[[ -x $beamlink ]] || { echo "build first: scripts/build.sh $build" >&2; exit 1; }

RUNS=${RUNS:-7}
CALLS=${CALLS:-20000}
REGS=${REGS:-300}

source "$root/bench/bench_lib.sh"
bench_init
erlc -o "$tmp" "$root/bench/otp_bench.erl"
start_epmd "$beamlink"

host=127.0.0.1
erl_flags=(-setcookie bench -kernel inet_dist_use_interface '{127,0,0,1}' -noshell -noinput -pa "$tmp")
start_erl() {
  erl -name "$1@$host" "${erl_flags[@]}" -eval 'otp_bench:serve()' >"$tmp/$1.out" 2>&1 &
  pids+=($!)
  wait_for "$tmp/$1.out" ready "erl node $1" 200
}
start_beamlink() {
  "$beamlink" node --name "$1@$host" --cookie bench --global-name "bench_$1" >"$tmp/$1.out" 2>&1 &
  pids+=($!)
  wait_for "$tmp/$1.out" "echo is" "beamlink node $1" 200
}
driver() {  # function args...
  local fun=$1
  shift
  local list=""
  for a in "$@"; do list+="${list:+,}\"$a\""; done
  erl -name "drv_$RANDOM$RANDOM@$host" "${erl_flags[@]}" -eval "otp_bench:$fun([$list])"
}
median() { sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
sync_median() {
  for _ in $(seq "$RUNS"); do driver sync "$@" | field sync_us; done | median
}

echo "erl: $(erl -noshell -eval 'io:format("OTP ~s", [erlang:system_info(otp_release)]), halt().'); cpu: $(nproc) cores; $(date -u +%F)"
start_erl e1
start_erl e2
erl_only=("e1@$host" "e2@$host")
sync_erl=$(sync_median "${erl_only[@]}")
reg_erl=$(driver register "$REGS" "${erl_only[@]}" | field per_registration_us)
call_erl=$(driver calls "e1@$host" "$CALLS" | field per_call_us)

start_beamlink b1
start_beamlink b2
mixed=("e1@$host" "e2@$host" "b1@$host" "b2@$host")
sync_mixed=$(sync_median "${mixed[@]}")
reg_mixed=$(driver register "$REGS" "${mixed[@]}" | field per_registration_us)
call_bl=$(driver calls "b1@$host" "$CALLS" | field per_call_us)

printf '%-44s %12s %12s %8s\n' "figure (median of $RUNS runs for sync)" "erl only" "with beamlink" "ratio"
printf '%-44s %12s %12s %8s\n' "global:sync() of a new erl node, us" "$sync_erl" "$sync_mixed" "$(ratio "$sync_mixed" "$sync_erl")"
printf '%-44s %12s %12s %8s\n' "global register+whereis+unregister, us" "$reg_erl" "$reg_mixed" "$(ratio "$reg_mixed" "$reg_erl")"
printf '%-44s %12s %12s %8s\n' "gen_server:call round trip from erl, us" "$call_erl" "$call_bl" "$(ratio "$call_bl" "$call_erl")"
