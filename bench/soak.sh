#!/usr/bin/env bash
# The full-speed soak of issue 10 (not in CI): a client keeps WINDOW
# `{Pid, {seq, I}}` messages in flight to a node's `echo` for DURATION
# seconds, so the node receives and answers as fast as it can while memory
# stays bounded by the window. Pairs, one after the other:
#   erl-beamlink       erl -> beamlink -> erl (the CLI's `beamlink node`)
#   beamlink-beamlink  beamlink -> beamlink
#   erl-erl            erl -> erl, the baseline
# Every REPORT seconds: messages sent, replies, replies/s in that interval,
# gaps (sequence numbers skipped so far), reorderings, nodedowns, and the
# echo node's RSS; at the end: lost, duplicated, reordered, nodedowns.
# A window that stays full for 5 s is given up on (its messages count as
# lost unless they arrive later, then as reorderings), so a loss never
# stalls the soak.
#   usage: bench/soak.sh [BUILD_DIR]                (needs -DBEAMLINK_BENCH=ON)
#   DURATION=600 REPORT=60 WINDOW=50000 PAIRS="erl-beamlink beamlink-beamlink erl-erl"
# Everything binds 127.0.0.1 with its own EPMD port and node names; every
# process is stopped by pid; each client is bounded by `timeout`.
set -euo pipefail
# shellcheck source=load_lib.sh source-path=SCRIPTDIR
source "$(dirname "$0")/load_lib.sh"
load_init "${1:-}"

DURATION=${DURATION:-600}
REPORT=${REPORT:-60}
WINDOW=${WINDOW:-50000}
PAIRS=${PAIRS:-"erl-beamlink beamlink-beamlink erl-erl"}

echo "erl: $(erl -noshell -eval 'io:format("OTP ~s", [erlang:system_info(otp_release)]), halt().'); cpu: $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg); $(date -u '+%F %H:%M UTC'); commit $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo -)"
echo "soak: ${DURATION}s per pair, window $WINDOW, report every ${REPORT}s"

summary=()
for pair in $PAIRS; do
  c=${pair%-*}
  s=${pair#*-}
  name="${tag}s${s}"
  if [[ $s == erl ]]; then start_erl_echo "$name"; else start_beamlink_echo "$name"; fi
  echo
  echo "## $c -> $s -> $c"
  client_seq=$((client_seq + 1))
  out="$tmp/soak$client_seq.out"
  err="$tmp/soak$client_seq.err"
  client_name="${tag}c${client_seq}@127.0.0.1"
  args=("$name@127.0.0.1" 0 "$WINDOW" "$DURATION" "$REPORT")
  if [[ $c == erl ]]; then
    list=$(printf '"%s",' "${args[@]}")
    timeout $((DURATION + 120)) erl -name "$client_name" "${erl_flags[@]}" \
      -eval "load_bench:echo([${list%,}])" >"$out" 2>"$err" &
  else
    timeout $((DURATION + 120)) "$tool" echo --name "$client_name" --cookie bench "${args[@]}" \
      >"$out" 2>"$err" &
  fi
  client_pid=$!
  pids+=("$client_pid")
  # Progress lines as they come, with the echo node's RSS beside them.
  shown=0
  while kill -0 "$client_pid" 2>/dev/null; do
    sleep 1
    total=$(wc -l <"$out")
    while ((shown < total)); do
      shown=$((shown + 1))
      l=$(sed -n "${shown}p" "$out")
      [[ $l == at=* ]] && echo "  $l server_rss_kib=$(status_kib "$server_pid" VmRSS)"
    done
  done
  rc=0
  wait "$client_pid" || rc=$?
  result=$(grep '^echo ' "$out" | tail -n 1 || true)
  [[ -n $result ]] || result="no result: client exited with $rc"
  echo "  $result server_peak_kib=$(status_kib "$server_pid" VmHWM)"
  grep -E 'nodedown|down:' "$err" | grep -v 'distribution stopping' | head -5 | sed 's/^/    /' || true
  [[ $s == erl ]] || server_downs "$name"
  summary+=("$(printf '%-20s %s' "$c -> $s" "$result")")
  stop_server "$server_pid"
done

echo
echo "## summary"
printf '%s\n' "${summary[@]}"
