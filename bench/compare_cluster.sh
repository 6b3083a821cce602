#!/usr/bin/env bash
# Cluster formation and failure detection, beamlink beside real erl in one
# run on this machine (bench/cluster_formation.cc drives, reading the
# nodes' own timestamped nodeup/nodedown logs):
#   1. formation: N nodes started together until each sees the N-1 others;
#      beamlink with the static (epmd) and the gossip strategy, erl with
#      net_kernel:connect_node/1 over the static list (libcluster's Epmd);
#   2. kill -9 of one node of a formed cluster: until all others log nodedown;
#   3. a silent peer (packets dropped, sockets left open) across a veth pair
#      between two network namespaces: until the other side logs nodedown.
#   usage: bench/compare_cluster.sh [BUILD_DIR]          (as root)
#   SIZES="8 32 64 128" ERL_SIZES="8 32 64 128" NOPROBE_SIZES="64 128" KILL_NODES=8
#   SLOW=1 scale it (NOPROBE_SIZES: beamlink again with liveness_probe = 0);
#   SLOW=0 skips the erl silent peer at the default net_ticktime (45-75 s);
#   an empty ERL_SIZES or NOPROBE_SIZES skips those runs. FORM_ONLY=1 runs
#   only the static formation (and its idle CPU, over IDLE seconds, 10):
#     FORM_ONLY=1 SIZES="64 128" ERL_SIZES= NOPROBE_SIZES= bench/compare_cluster.sh
# Builds nothing. Servers bind 127.0.0.0/8 or addresses inside the network
# namespaces made here (198.18.0.0/15); gossip multicast stays inside its
# own namespace. Every namespace is deleted on exit, every process stopped
# by pid (the driver does that for the nodes it starts).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build/release}
beamlink="$build/bin/beamlink"
driver="$build/bench/cluster_formation"
[[ -x $driver && -x $beamlink ]] || { echo "build first: scripts/build.sh $build" >&2; exit 1; }
[[ $(id -u) == 0 ]] || { echo "run as root: the gossip and silent-peer runs need network namespaces" >&2; exit 1; }

SIZES=${SIZES:-"8 32 64 128"}
ERL_SIZES=${ERL_SIZES-"8 32 64 128"}
NOPROBE_SIZES=${NOPROBE_SIZES-"64 128"}
KILL_NODES=${KILL_NODES:-8}
SLOW=${SLOW:-1}
FORM_ONLY=${FORM_ONLY:-0}
IDLE=${IDLE:-10}

tmp=$(mktemp -d)
tag=clb$$
namespaces=()
cleanup() {
  for ns in "${namespaces[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

erlc -o "$tmp" "$root/bench/cluster_bench.erl"

# One driver run; prints its result line (key=value ...). Bounded in time.
drive() {
  local work
  work=$(mktemp -d -p "$tmp")
  timeout 900 "$driver" "$@" --beamlink "$beamlink" --erl-dir "$tmp" --workdir "$work" 2>"$work/driver.err" |
    tail -n 1 || true
}
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p"; }

# A namespace with only loopback, multicast routed to it (gossip).
gossip_ns=${tag}g
make_gossip_ns() {
  ip netns add "$gossip_ns"
  namespaces+=("$gossip_ns")
  ip -n "$gossip_ns" link set lo up
  ip -n "$gossip_ns" link set lo multicast on
  ip -n "$gossip_ns" route add 224.0.0.0/4 dev lo
}

# Two namespaces joined by a veth pair, 198.18.0.1/24 and 198.18.0.2/24.
# Sets pair_a, pair_b, pair_dev_b and cut (the command that silences b).
pair_count=0
make_pair() {
  pair_count=$((pair_count + 1))
  pair_a=${tag}a$pair_count
  pair_b=${tag}b$pair_count
  local dev_a=cla$$p$pair_count dev_b=clb$$p$pair_count
  ip netns add "$pair_a"
  namespaces+=("$pair_a")
  ip netns add "$pair_b"
  namespaces+=("$pair_b")
  ip link add "$dev_a" type veth peer name "$dev_b"
  ip link set "$dev_a" netns "$pair_a"
  ip link set "$dev_b" netns "$pair_b"
  ip -n "$pair_a" addr add 198.18.0.1/24 dev "$dev_a"
  ip -n "$pair_b" addr add 198.18.0.2/24 dev "$dev_b"
  for ns in "$pair_a" "$pair_b"; do ip -n "$ns" link set lo up; done
  ip -n "$pair_a" link set "$dev_a" up
  ip -n "$pair_b" link set "$dev_b" up
  # Drop every packet in and out of b's side (classic BPF "return
  # TC_ACT_SHOT" on clsact: no netem or iptables needed); without clsact
  # or cls_bpf in the kernel, take b's link down instead.
  if ip netns exec "$pair_b" tc qdisc add dev "$dev_b" clsact 2>/dev/null &&
    ip netns exec "$pair_b" tc filter add dev "$dev_b" ingress bpf da bytecode '1,6 0 0 0,' 2>/dev/null; then
    ip netns exec "$pair_b" tc filter del dev "$dev_b" ingress
    local drop="bpf da bytecode '1,6 0 0 2,'"
    cut="ip netns exec $pair_b tc filter add dev $dev_b egress $drop && ip netns exec $pair_b tc filter add dev $dev_b ingress $drop"
    cut_kind="tc drop"
  else
    cut="ip netns exec $pair_b ip link set $dev_b down"
    cut_kind="link down"
  fi
}

rows=()
row() { rows+=("$(printf '%-44s %18s %18s %10s  %s' "$@")"); }
ratio() { awk -v b="$1" -v e="$2" 'BEGIN{ if (b + 0 > 0 && e + 0 > 0) printf "%.1fx", e / b; else print "-" }'; }
shown() {  # result-line -> "max (median)" ms, or failed
  local line=$1
  if [[ $(echo "$line" | field formed) == 1 ]]; then
    echo "$(echo "$line" | field max_ms) ($(echo "$line" | field median_ms))"
  else
    echo "failed"
  fi
}

echo "erl: $(erl -noshell -eval 'io:format("OTP ~s", [erlang:system_info(otp_release)]), halt().'); cpu: $(nproc) cores; $(date -u +'%F %H:%M') UTC; load $(cut -d' ' -f1 /proc/loadavg)"

# 1. Formation.
make_gossip_ns
declare -A bl_static bl_gossip bl_noprobe erl_form
for n in $SIZES; do
  bl_static[$n]=$(drive form --kind beamlink --nodes "$n" --subnet 77 --idle "$IDLE")
  echo "beamlink static  $n: ${bl_static[$n]}" >&2
  [[ $FORM_ONLY == 1 ]] && continue
  bl_gossip[$n]=$(drive form --kind beamlink --nodes "$n" --strategy gossip --netns "$gossip_ns" --subnet 79)
  echo "beamlink gossip  $n: ${bl_gossip[$n]}" >&2
done
for n in $NOPROBE_SIZES; do
  bl_noprobe[$n]=$(drive form --kind beamlink --nodes "$n" --subnet 77 --node-option "liveness_probe = 0")
  echo "beamlink static, liveness_probe = 0, $n: ${bl_noprobe[$n]}" >&2
done
for n in $ERL_SIZES; do
  erl_form[$n]=$(drive form --kind erl --nodes "$n" --subnet 78 --timeout 180)
  echo "erl connect_node $n: ${erl_form[$n]}" >&2
done
for n in $SIZES; do
  b=${bl_static[$n]}
  e=${erl_form[$n]:-}
  target=""
  [[ $n == 64 ]] && target="< 1000 ms"
  [[ $n == 128 ]] && target="< 3000 ms"
  row "formation, $n nodes, static: max (median) ms" "$(shown "$b")" "$( [[ -n $e ]] && shown "$e" || echo "not run")" \
    "$(ratio "$(echo "$b" | field max_ms)" "$(echo "$e" | field max_ms)")" "$target"
  [[ $FORM_ONLY == 1 ]] || row "formation, $n nodes, gossip: max (median) ms" "$(shown "${bl_gossip[$n]}")" "-" "" "$target"
  if [[ -n ${bl_noprobe[$n]:-} ]]; then
    row "  static, liveness_probe = 0" "$(shown "${bl_noprobe[$n]}")" "" \
      "$(ratio "$(echo "${bl_noprobe[$n]}" | field max_ms)" "$(echo "$e" | field max_ms)")" ""
  fi
done
for n in $SIZES; do
  row "last node up after (ms), $n nodes" "$(echo "${bl_static[$n]}" | field last_up_ms)" \
    "$(echo "${erl_form[$n]:-}" | field last_up_ms)" "" ""
done
for n in $SIZES; do
  e=${erl_form[$n]:-}
  row "total RSS of $n formed nodes (MiB)" \
    "$(echo "${bl_static[$n]}" | field rss_kib | awk 'NF { printf "%.0f", $1 / 1024 }')" \
    "$(echo "$e" | field rss_kib | awk 'NF { printf "%.0f", $1 / 1024 }')" \
    "$(ratio "$(echo "${bl_static[$n]}" | field rss_kib)" "$(echo "$e" | field rss_kib)")" ""
done
for n in $SIZES; do
  row "CPU used by $n nodes until formed (s)" \
    "$(echo "${bl_static[$n]}" | field form_cpu_ms | awk 'NF { printf "%.1f", $1 / 1000 }')" \
    "$(echo "${erl_form[$n]:-}" | field form_cpu_ms | awk 'NF { printf "%.1f", $1 / 1000 }')" \
    "$(ratio "$(echo "${bl_static[$n]}" | field form_cpu_ms)" "$(echo "${erl_form[$n]:-}" | field form_cpu_ms)")" ""
done
for n in $SIZES; do
  row "idle CPU of $n formed nodes (% of one core)" "$(echo "${bl_static[$n]}" | field idle_cpu_pct)" \
    "$(echo "${erl_form[$n]:-}" | field idle_cpu_pct)" "" "$( [[ $n == 64 ]] && echo "< 2 %")"
  if [[ -n ${bl_noprobe[$n]:-} ]]; then
    row "  beamlink with liveness_probe = 0" "$(echo "${bl_noprobe[$n]}" | field idle_cpu_pct)" "" "" ""
  fi
done
for n in $SIZES; do
  downs=$(echo "${bl_static[$n]}" | field nodedowns)/$(echo "${bl_gossip[$n]:-}" | field nodedowns)
  row "nodedowns while forming, $n nodes (static/gossip)" "$downs" "$(echo "${erl_form[$n]:-}" | field nodedowns)" "" ""
done

if [[ $FORM_ONLY == 1 ]]; then
  echo
  printf '%-44s %18s %18s %10s  %s\n' "measure" "beamlink" "erl" "erl/bl" "target"
  printf '%s\n' "${rows[@]}"
  exit 0
fi

# 2a. kill -9 in a formed cluster.
bk=$(drive kill --kind beamlink --nodes "$KILL_NODES" --subnet 77)
echo "beamlink kill: $bk" >&2
ek=$(drive kill --kind erl --nodes "$KILL_NODES" --subnet 78)
echo "erl kill: $ek" >&2
row "kill -9, $KILL_NODES nodes: nodedown max (median) ms" "$(shown "$bk")" "$(shown "$ek")" \
  "$(ratio "$(echo "$bk" | field max_ms)" "$(echo "$ek" | field max_ms)")" "< 50 ms"

# 2b. A silent peer.
silent() {  # kind peer-kind ticktime timeout; after make_pair
  drive silent --kind "$1" --peer-kind "$2" --ticktime "$3" --timeout "$4" --netns "$pair_a" --peer-netns "$pair_b" \
    --address 198.18.0.1 --peer-address 198.18.0.2 --cut "$cut"
}
detect() {
  local line=$1
  if [[ $(echo "$line" | field detected) == 1 ]]; then echo "$line" | field detect_ms; else echo "not seen"; fi
}
make_pair
bs=$(silent beamlink beamlink 0 30)
echo "beamlink silent: $bs" >&2
make_pair
es4=$(silent erl erl 4 30)
echo "erl silent, net_ticktime 4: $es4" >&2
if [[ $SLOW == 1 ]]; then
  make_pair
  es=$(silent erl erl 0 120)
  echo "erl silent, net_ticktime 60: $es" >&2
else
  es=""
fi
make_pair
bes=$(silent beamlink erl 0 30)
echo "beamlink facing erl silent: $bes" >&2
row "silent peer ($cut_kind): nodedown after (ms)" "$(detect "$bs")" "$( [[ -n $es ]] && detect "$es" || echo "not run")" \
  "$(ratio "$(detect "$bs")" "$(detect "$es")")" "< 2000 ms (erl: 45000-75000)"
row "  erl with -kernel net_ticktime 4" "" "$(detect "$es4")" "$(ratio "$(detect "$bs")" "$(detect "$es4")")" "erl: 3000-5000"
row "  beamlink node facing an erl node" "$(detect "$bes")" "" "" "< 2000 ms"

echo
printf '%-44s %18s %18s %10s  %s\n' "measure" "beamlink" "erl" "erl/bl" "target"
printf '%s\n' "${rows[@]}"
echo "ratio: erl / beamlink (above 1x: beamlink faster or smaller); times from launch (formation), from the kill, from the end of the cut"
