#!/usr/bin/env bash
# Times ETF encode/decode of the same corpus in beamlink (Google Benchmark)
# and in a real erl (term_to_binary/binary_to_term), in one run on this
# machine, and prints a table of ns/op and the ratio erl/beamlink (above 1
# means beamlink is faster).
#   usage: bench/compare_etf.sh [BUILD_DIR]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build/release}
bench="$build/bench/etf_bench"
[[ -x $bench ]] || { echo "build first: scripts/build.sh $build" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$bench" --dump-corpus >"$tmp/corpus.txt"
"$bench" --benchmark_format=csv --benchmark_min_time=0.5 2>/dev/null >"$tmp/beamlink.csv"
escript "$root/bench/etf_erl.escript" "$tmp/corpus.txt" >"$tmp/erl.txt"

echo "erl: $(erl -noshell -eval 'io:format("OTP ~s, erts ~s", [erlang:system_info(otp_release), erlang:system_info(version)]), halt().')"
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores"
printf '%-28s %14s %14s %14s %10s\n' benchmark "beamlink ns" "borrow ns" "erl ns" "erl/beamlink"
# CSV columns: name,iterations,real_time,cpu_time,time_unit,...
awk -F, -v erl="$tmp/erl.txt" '
  BEGIN { while ((getline line < erl) > 0) { split(line, f, " "); e[f[1]] = f[2] } }
  NR > 1 {
    gsub(/"/, "", $1)
    t = $4; u = $5
    if (u == "us") t *= 1000; else if (u == "ms") t *= 1000000; else if (u == "s") t *= 1e9
    split($1, p, "/")
    if (p[1] == "decode_borrow") { borrow["decode/" p[2]] = t; next }
    ours[$1] = t; order[++n] = $1
  }
  END {
    for (i = 1; i <= n; i++) {
      k = order[i]; b = (k in borrow) ? sprintf("%.1f", borrow[k]) : "-"
      printf "%-28s %14.1f %14s %14.1f %10.2f\n", k, ours[k], b, e[k], e[k] / ours[k]
    }
  }' "$tmp/beamlink.csv"
