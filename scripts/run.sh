#!/usr/bin/env bash
# The README's run command: installs what is needed, builds, and runs the
# main job on its embedded default, a local demo cluster (no Kubernetes, no
# multicast): beamlink's EPMD daemon answers on 127.0.0.1-127.0.0.6, four
# beamlink nodes on 127.0.0.2-5 and, where erl is installed, one Erlang node
# on 127.0.0.6 form a cluster with the static `epmd` strategy. The script
# prints the membership as it forms, kills one node with SIGKILL, shows the
# rest notice it, restarts it and shows the cluster heal.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

bash scripts/install-deps.sh
bash scripts/build.sh "$root/build/release" -DBEAMLINK_TESTS=OFF -DBEAMLINK_BENCH=OFF
beamlink="$root/build/release/bin/beamlink"
demo="$root/build/release/demo"
mkdir -p "$demo"
rm -f "$demo"/*.log

# The daemon listens on ERL_EPMD_PORT (default 4369); if that port is
# taken, the demo falls back to a port of its own.
port=${ERL_EPMD_PORT:-4369}
started=()
cleanup() {
  for pid in "${started[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${started[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT

addresses=()
for i in 1 2 3 4 5 6; do addresses+=(--address "127.0.0.$i"); done
start_daemon() {
  "$beamlink" epmd "${addresses[@]}" --port "$1" 2>"$demo/epmd.log" &
  started+=($!)
  for _ in $(seq 50); do
    if "$beamlink" names 127.0.0.1 --port "$1" --timeout 200 >/dev/null 2>&1; then return 0; fi
    kill -0 "${started[-1]}" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}
if ! start_daemon "$port"; then
  port=$((20000 + RANDOM % 20000))
  echo "beamlink: port ${ERL_EPMD_PORT:-4369} is taken; using $port for the demo"
  start_daemon "$port"
fi
export ERL_EPMD_PORT=$port
cookie=beamlink-demo

members=(a@127.0.0.2 b@127.0.0.3 c@127.0.0.4 d@127.0.0.5)
erl_node=""
if command -v erl >/dev/null; then erl_node=erl@127.0.0.6; fi
all=("${members[@]}" ${erl_node:+"$erl_node"})

# The demo's configuration: the static strategy over every member.
hosts=$(printf '"%s", ' "${all[@]}")
cat >"$demo/cluster.toml" <<TOML
[node]
cookie = "$cookie"
epmd_port = $port

[reconciler]
backoff_initial = "100ms"
backoff_max = "1s"

[topologies.demo]
strategy = "epmd"
hosts = [${hosts%, }]
TOML
echo
echo "== beamlink epmd answers on 127.0.0.1-6 port $port; the cluster's config ($demo/cluster.toml):"
cat "$demo/cluster.toml"

declare -A pid_of
start_member() {
  "$beamlink" node --config "$demo/cluster.toml" --name "$1" 2>>"$demo/$1.log" &
  pid_of[$1]=$!
  started+=($!)
}

# One line per member: who it is connected to (`beamlink nodes`).
show() {
  local line
  for n in "${all[@]}"; do
    if [[ -n ${pid_of[$n]:-} ]] && ! kill -0 "${pid_of[$n]}" 2>/dev/null; then
      printf '  %-14s (down)\n' "$n"
      continue
    fi
    line=$("$beamlink" nodes "$n" --cookie "$cookie" --timeout 1 2>/dev/null | tail -n +2 | tr '\n' ' ')
    printf '  %-14s sees %s\n' "$n" "${line:-nothing yet}"
  done
}
# Waits until every live member sees exactly `want` peers, printing the
# membership as it changes; prints how long that took.
settle() {
  local want=$1 label=$2 t0 now shown="" current ok
  t0=$(date +%s%N)
  for _ in $(seq 60); do
    current=$(show)
    if [[ "$current" != "$shown" ]]; then
      now=$(( ($(date +%s%N) - t0) / 1000000 ))
      echo "-- +${now} ms"
      echo "$current"
      shown=$current
    fi
    ok=1
    while read -r n sees rest; do
      [[ $sees == "(down)" ]] && continue
      [[ $rest == "nothing yet" ]] && rest=""
      [[ $(wc -w <<<"$rest") -eq $want ]] || ok=0
    done <<<"$current"
    if [[ $ok == 1 ]]; then
      echo "== $label after $(( ($(date +%s%N) - t0) / 1000000 )) ms (as polled by this script)"
      return 0
    fi
    sleep 0.2
  done
  echo "== $label: not settled within the demo's wait; see $demo/*.log"
  return 1
}

echo
echo "== starting ${#members[@]} beamlink nodes${erl_node:+ and the Erlang node $erl_node}"
if [[ -n $erl_node ]]; then
  # erl has no libcluster here: the beamlink nodes connect to it, and erl
  # learns the rest of the cluster from them (global's full mesh).
  erl -start_epmd false -name "$erl_node" -setcookie "$cookie" \
    -kernel inet_dist_use_interface '{127,0,0,6}' -noshell -noinput >"$demo/erl.log" 2>&1 &
  started+=($!)
fi
for n in "${members[@]}"; do start_member "$n"; done
settle $(( ${#all[@]} - 1 )) "the cluster is whole"

victim=c@127.0.0.4
echo
echo "== kill -9 $victim (pid ${pid_of[$victim]})"
kill -9 "${pid_of[$victim]}"
wait "${pid_of[$victim]}" 2>/dev/null || true
settle $(( ${#all[@]} - 2 )) "every other member has dropped $victim"

echo
echo "== restarting $victim"
start_member "$victim"
settle $(( ${#all[@]} - 1 )) "the cluster has healed"

echo
echo "== what a@127.0.0.2 logged about $victim (reconciler and node):"
grep -E "\[beamlink:(demo|node)\].*($victim|ready)" "$demo/a@127.0.0.2.log" | sed 's/^/  /' | tail -n 12
if [[ -n $erl_node ]]; then
  echo
  echo "== and from Erlang's side: erlang:nodes() on $erl_node"
  "$beamlink" rpc "$erl_node" erlang nodes '[]' --cookie "$cookie" 2>/dev/null
fi
echo
echo "== logs: $demo/*.log"

echo
echo "== one term through the ETF codec: beamlink term encode '{ok,[1,2,3],<<\"hi\">>}'"
hex=$("$beamlink" term encode '{ok,[1,2,3],<<"hi">>}')
echo "$hex"
echo "== and back: beamlink term decode $hex"
"$beamlink" term decode "$hex"
