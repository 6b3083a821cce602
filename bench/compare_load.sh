#!/usr/bin/env bash
# Load benchmarks of issue 10, beamlink beside real erl in one run:
#   echo     N `{Pid, {seq, I}}` to a node's `echo` (beamlink: the CLI's
#            `beamlink node`; erl: load_bench:serve/0), open loop; replies,
#            losses, reorderings and nodedowns for erl -> erl, erl ->
#            beamlink, beamlink -> beamlink and beamlink -> erl;
#   latency  small echo round trips while 50 binaries of 10 MiB stream to
#            the same node, for the same four pairings, with an idle baseline;
#   memory   an erl client flooding a fresh node's echo (peak VmHWM and
#            final VmRSS of the flooded node, beamlink vs erl); and a
#            beamlink node sending to a peer that reads slowly (through
#            bench/slow_proxy.py) or not at all: the sender's peak and final
#            RSS and whether the peer was dropped.
#   usage: bench/compare_load.sh [BUILD_DIR]       (needs -DBEAMLINK_BENCH=ON)
#   PARTS="echo latency memory" ECHO_N=1000000 STREAM_N=50 STREAM_SIZE=10485760
#   IDLE_PINGS=1000 FLOOD_N=10000000 SETTLE=10 SLOW_MIB=512 SLOW_RATE=1000000
#   SLOW_SECS=30   (FLOOD_N=0 skips the flood)
# Not a test: nothing fails when a figure moves; losses are reported, never
# hidden. Everything binds 127.0.0.1 with its own EPMD port and node names;
# every process is stopped by pid, each client is bounded by `timeout`.
set -euo pipefail
# shellcheck source=load_lib.sh source-path=SCRIPTDIR
source "$(dirname "$0")/load_lib.sh"
load_init "${1:-}"

PARTS=${PARTS:-"echo latency memory"}
ECHO_N=${ECHO_N:-1000000}
STREAM_N=${STREAM_N:-50}
STREAM_SIZE=${STREAM_SIZE:-10485760}
IDLE_PINGS=${IDLE_PINGS:-1000}
FLOOD_N=${FLOOD_N:-10000000}
SETTLE=${SETTLE:-10}
SLOW_MIB=${SLOW_MIB:-512}
SLOW_RATE=${SLOW_RATE:-1000000}
SLOW_SECS=${SLOW_SECS:-30}

echo "erl: $(erl -noshell -eval 'io:format("OTP ~s", [erlang:system_info(otp_release)]), halt().'); cpu: $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg); $(date -u '+%F %H:%M UTC'); commit $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo -)"

# row FORMAT LABEL KEY...: one table row, the values of KEYs in $line.
row() {
  local format=$1 label=$2 values=()
  shift 2
  for key in "$@"; do values+=("$(field "$key" <<<"$line")"); done
  # shellcheck disable=SC2059
  printf "$format" "$label" "${values[@]}"
}

pairings=("erl erl" "erl beamlink" "beamlink beamlink" "beamlink erl")
server_of() { [[ $1 == erl ]] && echo "${tag}erl@127.0.0.1" || echo "${tag}bl@127.0.0.1"; }
server_log() { [[ $1 == erl ]] && echo "${tag}erl" || echo "${tag}bl"; }
if [[ $PARTS == *echo* || $PARTS == *latency* ]]; then
  start_erl_echo "${tag}erl"
  start_beamlink_echo "${tag}bl"
fi

if [[ $PARTS == *echo* ]]; then
  echo
  echo "## echo: $ECHO_N {Pid, {seq, I}} to echo, open loop"
  printf '%-22s %10s %8s %10s %9s %9s %10s\n' "client -> server" "replies/s" secs replies lost reorders nodedowns
  for p in "${pairings[@]}"; do
    read -r c s <<<"$p"
    client "$c" $((ECHO_N / 5000 + 120)) echo "$(server_of "$s")" "$ECHO_N" 0 3600 0
    row '%-22s %10s %8s %10s %9s %9s %10s\n' "$c -> $s" rate secs replies lost reorders nodedowns
    grep -q '^echo ' <<<"$line" || echo "    $line"
    client_downs
    server_downs "$(server_log "$s")"
  done
fi

if [[ $PARTS == *latency* ]]; then
  echo
  echo "## latency: small echo round trips (ms), idle and during $STREAM_N x $STREAM_SIZE B to the same echo"
  printf '%-22s %8s %8s %8s | %8s %8s %8s %6s %5s | %7s %10s %5s\n' "client -> server" \
    idle_med idle_p99 idle_max busy_med busy_p99 busy_max pings lost stream_s "stream B/s" downs
  for p in "${pairings[@]}"; do
    read -r c s <<<"$p"
    client "$c" 900 latency "$(server_of "$s")" "$IDLE_PINGS" "$STREAM_N" "$STREAM_SIZE"
    row '%-22s %8s %8s %8s | %8s %8s %8s %6s %5s | %7s %10s %5s\n' "$c -> $s" idle_median \
      idle_p99 idle_max busy_median busy_p99 busy_max busy_pings lost_pings stream_secs stream_Bps \
      nodedowns
    grep -q '^latency ' <<<"$line" || echo "    $line"
    client_downs
    server_downs "$(server_log "$s")"
  done
fi

if [[ $PARTS == *memory* ]]; then
  echo
  echo "## flood: an erl client sends $FLOOD_N {Pid, {seq, I}} to a fresh node's echo, open loop"
  printf '%-10s %10s %12s %12s %12s | %10s %9s %9s %10s\n' server idle_kib peak_kib end_kib \
    "(after ${SETTLE}s)" "replies/s" replies lost nodedowns
  for s in beamlink erl; do
    ((FLOOD_N > 0)) || break
    if [[ $s == erl ]]; then start_erl_echo "${tag}ferl"; else start_beamlink_echo "${tag}fbl"; fi
    sleep 1
    idle=$(status_kib "$server_pid" VmRSS)
    [[ $s == erl ]] && target="${tag}ferl@127.0.0.1" || target="${tag}fbl@127.0.0.1"
    client erl $((FLOOD_N / 5000 + 120)) echo "$target" "$FLOOD_N" 0 3600 0
    sleep "$SETTLE"
    printf '%-10s %10s %12s %12s %12s | %10s %9s %9s %10s\n' "$s" "$idle" \
      "$(status_kib "$server_pid" VmHWM)" "$(status_kib "$server_pid" VmRSS)" "" \
      "$(field rate <<<"$line")" "$(field replies <<<"$line")" "$(field lost <<<"$line")" \
      "$(field nodedowns <<<"$line")"
    grep -q '^echo ' <<<"$line" || echo "    $line"
    client_downs
    [[ $s == erl ]] || server_downs "${tag}fbl"
    stop_server "$server_pid"
  done

  echo
  echo "## slow receiver: a beamlink node sends up to $SLOW_MIB MiB in 64 KiB binaries for ${SLOW_SECS}s"
  printf '%-34s %8s %9s %10s %9s %12s %11s %6s\n' peer sent send_s nodedowns down_at \
    sender_peak sender_end conns
  for kind in slow stalled; do
    peer_port=$(free_port)
    proxy_port=$(free_port)
    if [[ $kind == slow ]]; then
      # A beamlink peer: it ticks every 0.5 s, so our side keeps hearing it,
      # while the proxy passes our bytes on at SLOW_RATE.
      start_beamlink_echo "${tag}slow" --port "$peer_port"
      peer="${tag}slow@127.0.0.1"
      rate=$SLOW_RATE
      label="beamlink peer reading $SLOW_RATE B/s"
    else
      # An erl peer that stops reading (the proxy stops) after the handshake.
      start_erl_echo "${tag}stall" -kernel inet_dist_listen_min "$peer_port" inet_dist_listen_max "$peer_port"
      peer="${tag}stall@127.0.0.1"
      rate=0
      label="erl peer not reading at all"
    fi
    peer_pid=$server_pid
    python3 "$root/bench/slow_proxy.py" --listen "$proxy_port" --target "$peer_port" \
      --rate "$rate" --max-seconds $((SLOW_SECS + 60)) >"$tmp/proxy.out" 2>&1 &
    proxy_pid=$!
    pids+=("$proxy_pid")
    await_ready "$tmp/proxy.out" "slow_proxy"
    client beamlink $((SLOW_SECS + 60)) slow --peer-port "$proxy_port" --listen-port "$(free_port)" \
      "$peer" 65536 "$SLOW_MIB" "$SLOW_SECS"
    row '%-34s %8s %9s %10s %9s %12s %11s %6s\n' "$label" sent send_secs nodedowns \
      first_down_at peak_rss_kib end_rss_kib connections
    grep -q '^slow ' <<<"$line" || echo "    $line"
    client_downs
    [[ $kind == stalled ]] || server_downs "${tag}slow"
    stop_server "$proxy_pid"
    stop_server "$peer_pid"
  done
  echo "(sent: 64 KiB messages the sender's send() accepted; sender RSS in KiB)"
fi
