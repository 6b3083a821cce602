#!/usr/bin/env bash
# The README's run command: installs what is needed, builds, and runs the
# main job on its embedded default: start beamlink's EPMD daemon on
# 127.0.0.1, let real Erlang nodes and a beamlink node register with it,
# show the names it holds (through beamlink and Erlang's own epmd client),
# then let the nodes talk: erl pings the beamlink node and uses its echo
# process, and beamlink calls into erl with rpc.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

bash scripts/install-deps.sh
bash scripts/build.sh "$root/build/release" -DBEAMLINK_TESTS=OFF -DBEAMLINK_BENCH=OFF
beamlink="$root/build/release/bin/beamlink"

# The daemon listens on ERL_EPMD_PORT (default 4369); if that port is
# taken, the demo falls back to a port of its own.
port=${ERL_EPMD_PORT:-4369}
started=()
cleanup() {
  if [[ -f "$root/build/release/demo-node.log" ]]; then
    echo; echo "== the beamlink node's log"; cat "$root/build/release/demo-node.log"
  fi
  for pid in "${started[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${started[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT

start_daemon() {
  "$beamlink" epmd --address 127.0.0.1 --port "$1" &
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

echo
echo "== beamlink epmd is running on 127.0.0.1:$port; starting two Erlang nodes against it"
for name in alpha beta; do
  # inet_dist_use_interface keeps the node's distribution port on loopback.
  ERL_EPMD_PORT=$port erl -start_epmd false -name "$name@127.0.0.1" -setcookie beamlink-demo \
    -kernel inet_dist_use_interface '{127,0,0,1}' -noshell -noinput >/dev/null 2>&1 &
  started+=($!)
done
"$beamlink" node --name cpp@127.0.0.1 --cookie beamlink-demo --listen-address 127.0.0.1 \
  --epmd-port "$port" 2>"$root/build/release/demo-node.log" &
started+=($!)
for _ in $(seq 100); do
  count=$("$beamlink" names 127.0.0.1 --port "$port" | grep -c '^name ' || true)
  [[ $count -ge 3 ]] && break
  sleep 0.1
done

echo
echo "== beamlink names 127.0.0.1 --port $port"
"$beamlink" names 127.0.0.1 --port "$port"
echo
echo "== Erlang's own client: epmd -names (ERL_EPMD_PORT=$port)"
ERL_EPMD_PORT=$port epmd -names
echo
echo "== erl (alpha) pings the beamlink node, asks its echo process, and lists its nodes"
ERL_EPMD_PORT=$port erl -name "probe@127.0.0.1" -setcookie beamlink-demo \
  -kernel inet_dist_use_interface '{127,0,0,1}' -noshell -noinput -eval '
    io:format("net_adm:ping(cpp@127.0.0.1) -> ~p~n", [net_adm:ping(list_to_atom("cpp@127.0.0.1"))]),
    {echo, list_to_atom("cpp@127.0.0.1")} ! {self(), {hello, from, erlang}},
    receive Reply -> io:format("echo answered ~p~n", [Reply]) after 5000 -> io:format("no echo~n") end,
    io:format("nodes() -> ~p~n", [nodes()]),
    halt().'
echo
echo "== beamlink rpc alpha@127.0.0.1 lists seq '[1,5]'"
ERL_EPMD_PORT=$port "$beamlink" rpc alpha@127.0.0.1 lists seq '[1,5]' --cookie beamlink-demo 2>/dev/null
echo "== beamlink ping beta@127.0.0.1"
ERL_EPMD_PORT=$port "$beamlink" ping beta@127.0.0.1 --cookie beamlink-demo 2>/dev/null
echo
echo "== one term through the ETF codec: beamlink term encode '{ok,[1,2,3],<<\"hi\">>}'"
hex=$("$beamlink" term encode '{ok,[1,2,3],<<"hi">>}')
echo "$hex"
echo "== and back: beamlink term decode $hex"
"$beamlink" term decode "$hex"
