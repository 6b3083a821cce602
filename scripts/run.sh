#!/usr/bin/env bash
# The README's run command: installs what is needed, builds, and runs the
# main job on its embedded default. For now that is: start beamlink's EPMD
# daemon on 127.0.0.1, let real Erlang nodes register with it, and show the
# names it holds, through beamlink and through Erlang's own epmd client.
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
for _ in $(seq 100); do
  count=$("$beamlink" names 127.0.0.1 --port "$port" | grep -c '^name ' || true)
  [[ $count -ge 2 ]] && break
  sleep 0.1
done

echo
echo "== beamlink names 127.0.0.1 --port $port"
"$beamlink" names 127.0.0.1 --port "$port"
echo
echo "== Erlang's own client: epmd -names (ERL_EPMD_PORT=$port)"
ERL_EPMD_PORT=$port epmd -names
echo
echo "== one term through the ETF codec: beamlink term encode '{ok,[1,2,3],<<\"hi\">>}'"
hex=$("$beamlink" term encode '{ok,[1,2,3],<<"hi">>}')
echo "$hex"
echo "== and back: beamlink term decode $hex"
"$beamlink" term decode "$hex"
