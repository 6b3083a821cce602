# shellcheck shell=bash disable=SC2154 # $root, $work, hello_pids come from the sourcing script
# Shared by scripts/install-test.sh (sourced after scripts/lib/hello_node.sh,
# whose hello_begin and hello_start_epmd come first): builds
# examples/service, examples/pubsub and examples/worker out of tree against
# an installed beamlink and runs each against a real peer on loopback, with
# the EPMD port hello_start_epmd exported and node names of its own:
#  * service: a real erl calls demo:add over rpc and erpc and the `counter`
#    gen_server;
#  * pubsub: a subscriber prints what a publisher broadcasts;
#  * worker: a job sent to a member of the `jobs` group is answered.

# examples_build_cmake PREFIX OUT EXAMPLE...: one find_package build each,
# in OUT/EXAMPLE (through ccache when it is installed).
examples_build_cmake() {
  local prefix=$1 out=$2 example launcher=()
  shift 2
  mkdir -p "$out"
  command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  for example in "$@"; do
    cmake -S "$root/examples/$example" -B "$out/$example" -G Ninja -DCMAKE_BUILD_TYPE=Release "${launcher[@]}" \
      -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_CXX_FLAGS="-Wall -Wextra -Wpedantic -Werror" \
      >"$out/$example.log" 2>&1 || { cat "$out/$example.log"; return 1; }
    # The prefix is a new temporary directory each run: paths relative to
    # $work let ccache find the last run's objects.
    CCACHE_BASEDIR=$work cmake --build "$out/$example" >>"$out/$example.log" 2>&1 ||
      { cat "$out/$example.log"; return 1; }
  done
}

# examples_start LOG PATTERN COMMAND...: starts COMMAND in the background
# (its pid in hello_pids and $examples_pid) and waits up to 30 s for
# PATTERN in its output, or for it to exit.
examples_start() {
  local log=$1 pattern=$2
  shift 2
  "$@" >"$log" 2>&1 &
  examples_pid=$!
  hello_pids+=("$examples_pid")
  for _ in $(seq 300); do
    grep -qs -- "$pattern" "$log" && return 0
    kill -0 "$examples_pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "$* did not print '$pattern':" >&2
  cat "$log" >&2
  return 1
}

# examples_stop: stops what examples_start started last.
examples_stop() {
  kill "$examples_pid" 2>/dev/null || true
  wait "$examples_pid" 2>/dev/null || true
}

# examples_expect WHAT EXPECTED ACTUAL LOG...: EXPECTED (an extended
# regular expression) must match all of ACTUAL.
examples_expect() {
  local what=$1 expected=$2 actual=$3
  shift 3
  if [[ ! $actual =~ ^$expected$ ]]; then
    echo "$what: got '$actual', expected $expected" >&2
    cat "$@" >&2
    return 1
  fi
  echo "$what: $actual"
}

# examples_run_service BINARY TAG: rpc, erpc and gen_server calls from erl.
examples_run_service() {
  local bin=$1 tag=$2 cookie=svc-$$-$RANDOM node answer
  node=svc_${tag}_$$@127.0.0.1
  examples_start "$work/$tag-service.log" ' is up$' \
    env BEAMLINK_NODE="$node" BEAMLINK_COOKIE="$cookie" "$bin"
  answer=$(timeout 60 erl -name "erl_${tag}_$$@127.0.0.1" -setcookie "$cookie" -noshell -eval "
    N = '$node',
    Add = rpc:call(N, demo, add, [1, 2]),
    Bad = try erpc:call(N, demo, add, [1, x]) catch error:{exception, R, _} -> R end,
    C1 = gen_server:call({counter, N}, {add, 5}),
    C2 = gen_server:call({counter, N}, {add, 2}),
    io:format(\"~w~n\", [{Add, Bad, C1, C2}]), halt()." 2>&1) || true
  examples_stop
  examples_expect "service ($tag), from erl" '\{3,badarg,5,7\}' "$answer" "$work/$tag-service.log"
}

# examples_run_pubsub BINARY TAG: the subscriber gets the publisher's message.
examples_run_pubsub() {
  local bin=$1 tag=$2 cookie=ps-$$-$RANDOM sub pub_status=0
  sub=sub_${tag}_$$@127.0.0.1
  examples_start "$work/$tag-sub.log" ' subscribed to news$' "$bin" "$sub" "$cookie" sub news
  timeout 60 "$bin" "pub_${tag}_$$@127.0.0.1" "$cookie" pub "$sub" news "hello-$tag" \
    >"$work/$tag-pub.log" 2>&1 || pub_status=$?
  for _ in $(seq 100); do
    grep -qs "^news " "$work/$tag-sub.log" && break
    sleep 0.1
  done
  examples_stop
  examples_expect "pubsub ($tag), publisher status $pub_status, subscriber got" "news <<\"hello-$tag\">>" \
    "$(grep '^news ' "$work/$tag-sub.log")" "$work/$tag-sub.log" "$work/$tag-pub.log"
}

# examples_run_worker BINARY TAG: job 10 is done (10*11/2 = 55) by the worker.
examples_run_worker() {
  local bin=$1 tag=$2 cookie=wk-$$-$RANDOM worker answer
  worker=worker_${tag}_$$@127.0.0.1
  examples_start "$work/$tag-worker.log" ' is up$' "$bin" "$worker" "$cookie" serve
  answer=$(timeout 60 "$bin" "submit_${tag}_$$@127.0.0.1" "$cookie" submit "$worker" 10 \
    2>"$work/$tag-submit.log") || true
  examples_stop
  examples_expect "worker ($tag), job answer" "\\{done,#Ref<[^>]*>,55,'$worker'\\}" "$answer" \
    "$work/$tag-worker.log" "$work/$tag-submit.log"
}

# examples_run_quickstart BINARY CLI: README's quick start, three copies of
# examples/quickstart with its cluster.toml; they must see each other
# (`beamlink nodes`, up to 30 s) and answer `beamlink rpc`.
examples_run_quickstart() {
  local bin=$1 cli=$2 n pids=() seen="" answer
  for n in a b c; do
    (cd "$root/examples/quickstart" && BEAMLINK_NODE=$n@127.0.0.1 exec "$bin" cluster.toml) \
      2>"$work/quickstart-$n.log" &
    pids+=("$!")
    hello_pids+=("$!")
  done
  for _ in $(seq 60); do
    seen=$("$cli" nodes a@127.0.0.1 --cookie quickstart 2>/dev/null | sort | tr '\n' ' ') || true
    [[ $seen == "a@127.0.0.1 b@127.0.0.1 c@127.0.0.1 " ]] && break
    sleep 0.5
  done
  answer=$("$cli" rpc c@127.0.0.1 hello who --cookie quickstart 2>/dev/null) || true
  kill "${pids[@]}" 2>/dev/null || true
  wait "${pids[@]}" 2>/dev/null || true
  examples_expect "quickstart, a's cluster" "a@127.0.0.1 b@127.0.0.1 c@127.0.0.1 " "$seen" \
    "$work"/quickstart-*.log
  examples_expect "quickstart, rpc to c" "'c@127.0.0.1'" "$answer" "$work"/quickstart-*.log
}

# examples_check_readme: README's quick start shows examples/quickstart's
# main.cc and cluster.toml as they are (the files CI builds and runs).
examples_check_readme() {
  local lang file
  for lang in cpp toml; do
    file=$root/examples/quickstart/$([[ $lang == cpp ]] && echo main.cc || echo cluster.toml)
    sed -n '/^## Quick start$/,/^## Set up$/p' "$root/README.md" | sed -n "/^\`\`\`$lang\$/,/^\`\`\`\$/p" |
      sed '1d;$d' | diff -u - "$file" >&2 ||
      { echo "README.md's quick start differs from $file" >&2; return 1; }
  done
  echo "README's quick start shows examples/quickstart as it is"
}
