#!/usr/bin/env bash
# Builds the container image (deploy/Dockerfile) with podman and runs it as
# a three-node cluster, the deploy/k8s/deployment-dns way:
#   1. installs podman, runc, netavark, aardvark-dns, iptables, debootstrap
#      (apt, skipped when present); podman reads only
#      deploy/podman/containers.conf (CONTAINERS_CONF), nothing in /etc;
#   2. makes the Debian bookworm base images with debootstrap (no registry
#      is reachable here) and `podman import`;
#   3. builds deploy/Dockerfile on them, the compiler cache in a build cache
#      mount (see "Caches" below);
#   4. on a podman network in 198.18.0.0/15 (never a private range), runs
#      three containers with deployment-dns's beamlink.toml, read-only, no
#      capabilities, non-root, the network alias standing in for the
#      headless service's name;
#   5. checks that every node reports ready (/readyz 200) and sees the other
#      two (/status), answers `beamlink rpc` from a fourth container, and
#      that `podman stop` makes a node leave cleanly well within the grace
#      period (exit 0, the others see it go);
#   6. removes every container, network and image it made, the firewall
#      chains netavark added and the ip_forward it turned on, and checks
#      that iptables and nftables are as they were.
# Every wait is bounded; names carry this shell's pid, so runs can overlap.
#
# Caches (kept on purpose, so that a second run takes about a minute; the
# first builds them, `BEAMLINK_IMAGE_FRESH=1` rebuilds them):
#   - images localhost/beamlink-ci-base:bookworm (debootstrap minbase),
#     :bookworm-slim (the same without docs, man pages, locales or apt
#     lists) and :bookworm-build-deps (the Dockerfile's build-deps stage);
#   - the compiler cache of the image build, in the build cache mount
#     `beamlink-ccache`, kept by buildah under $ccache_parent below.
# Remove them with `podman rmi` and `rm -rf`. Nothing else outlives the run.
#
# Usage (as root): scripts/image-test.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
[[ $(id -u) -eq 0 ]] || { echo "image-test: run as root (podman networks, iptables)" >&2; exit 1; }

packages=(podman runc netavark aardvark-dns iptables nftables debootstrap curl time)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "image-test: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

export CONTAINERS_CONF=$root/deploy/podman/containers.conf
# buildah keeps `RUN --mount=type=cache` directories under $TMPDIR (here
# $ccache_parent/buildah-cache/beamlink-ccache); this names the place.
ccache_parent=${BEAMLINK_IMAGE_CACHE_DIR:-/var/tmp/beamlink-image-cache}
mirror=${BEAMLINK_DEBIAN_MIRROR:-http://deb.debian.org/debian}
base=localhost/beamlink-ci-base:bookworm
slim=localhost/beamlink-ci-base:bookworm-slim
deps=localhost/beamlink-ci-base:bookworm-build-deps

tag=$$
image=localhost/beamlink-image-test:$tag
net=beamlink-it-$tag
nodes=("$net-w1" "$net-w2" "$net-w3")
probe=$net-probe
grace=30 # terminationGracePeriodSeconds of deploy/k8s/deployment-dns

work=$(mktemp -d /var/tmp/beamlink-image-test.XXXXXX)
trap 'rm -rf "$work"' EXIT
source "$root/scripts/lib/image_firewall.sh"
firewall_snapshot "$work/firewall.before"
ip_forward_before=$(cat /proc/sys/net/ipv4/ip_forward)

# Removes everything this run made; the caches above stay.
cleanup() {
  local rc=$?
  set +e
  podman rm -f -t 0 "${nodes[@]}" "$probe" >/dev/null 2>&1
  podman network rm -f "$net" >/dev/null 2>&1
  podman rmi -f "$image" >/dev/null 2>&1
  echo "$ip_forward_before" >/proc/sys/net/ipv4/ip_forward
  if podman network ls --format '{{.Name}}' | grep -q '^beamlink-it-' || [[ -n $(podman ps -q) ]]; then
    # An overlapping run (or other containers): netavark's shared chains
    # are still in use, and the rules are not ours alone to compare.
    echo "image-test: other podman containers or networks are up; netavark's shared chains stay" >&2
  else
    firewall_remove_netavark_leftovers "$work/firewall.before"
    if ! firewall_compare "$work/firewall.before" "$work/firewall.after"; then
      echo "image-test: the firewall differs from before the run" >&2
      ((rc == 0)) && rc=1
    fi
  fi
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

elapsed() { echo "$((SECONDS - $1)) s"; }

# wait_until SECONDS DESCRIPTION COMMAND...: runs COMMAND every 0.2 s until
# it succeeds; fails after SECONDS.
wait_until() {
  local limit=$1 what=$2 start=$SECONDS
  shift 2
  until "$@"; do
    if ((SECONDS - start >= limit)); then
      echo "image-test: timed out after ${limit} s waiting for $what" >&2
      return 1
    fi
    sleep 0.2
  done
}

# ---- base images ----------------------------------------------------------
# One debootstrap gives both: minbase as the build stage's base, and the
# same tree without docs, man pages and locales (and a dpkg filter that
# keeps later installs from adding them) as the runtime's, like Debian's
# bookworm-slim.
make_bases() {
  local rootfs=$work/rootfs start=$SECONDS
  echo "image-test: debootstrap --variant=minbase bookworm ($mirror)"
  debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 ||
    { tail -20 "$work/debootstrap.log"; return 1; }
  rm -f "$rootfs/etc/apt/sources.list" "$rootfs/etc/resolv.conf" "$rootfs/etc/hostname"
  cat >"$rootfs/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $mirror
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: ${mirror%/debian}/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin \
    "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/log/*.log "$rootfs"/var/log/apt/*
  : >"$rootfs/etc/machine-id"
  local changes=(--change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
    --change 'CMD ["bash"]')
  tar -C "$rootfs" --numeric-owner -cf - . | podman import -q "${changes[@]}" - "$base" >/dev/null

  cat >"$rootfs/etc/dpkg/dpkg.cfg.d/slim" <<'EOF'
# Slim image: no documentation, manual pages or translations.
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/lintian/*
EOF
  find "$rootfs/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
  find "$rootfs/usr/share/doc" -mindepth 1 -type d -empty -delete
  rm -rf "$rootfs"/usr/share/{man,info,locale,lintian}/*
  tar -C "$rootfs" --numeric-owner -cf - . | podman import -q "${changes[@]}" - "$slim" >/dev/null
  rm -rf "$rootfs"
  echo "image-test: base images made in $(elapsed "$start")"
}

# build WHAT ARGS...: podman build of deploy/Dockerfile. --network=host:
# the build's apt-get needs no container network; --layers=false: no
# intermediate images are left behind.
build() {
  local what=$1
  shift
  mkdir -p "$ccache_parent"
  TMPDIR=$ccache_parent /usr/bin/time -o "$work/build.time" -f '%e s (CPU: %U s user, %S s system)' \
    podman build --network=host --pull=never --layers=false "$@" \
    -f deploy/Dockerfile "$root" >"$work/build.log" 2>&1 ||
    { tail -40 "$work/build.log"; return 1; }
  echo "image-test: built $what in $(cat "$work/build.time")"
}

stage_start=$SECONDS
# Serialized, so that overlapping runs do not debootstrap twice.
exec {lock}>/run/lock/beamlink-image-bases.lock
flock -w 900 "$lock"
if [[ -n ${BEAMLINK_IMAGE_FRESH:-} ]]; then
  podman rmi -f "$deps" "$slim" "$base" >/dev/null 2>&1 || true
  rm -rf "$ccache_parent"
fi
if ! podman image exists "$base" || ! podman image exists "$slim"; then
  podman rmi -f "$deps" >/dev/null 2>&1 || true
  make_bases
fi
podman image exists "$deps" ||
  build "$deps" --target build-deps --build-arg BUILD_BASE="$base" -t "$deps"
flock -u "$lock"

build "$image" --build-arg BUILD_BASE="$deps" --build-arg RUNTIME_BASE="$slim" -t "$image"
grep -E '^\s*(Hits|Misses|cache hit|cache miss|Cacheable)' "$work/build.log" | sed 's/^/image-test: ccache: /' || true
size=$(podman image inspect --format '{{.Size}}' "$image")
echo "image-test: image $image: $((size / 1000000)) MB ($size bytes)"
((size < 150000000)) || { echo "image-test: the image is not under 150 MB" >&2; exit 1; }
[[ $(podman image inspect --format '{{.Config.User}}' "$image") == 10001:10001 ]] ||
  { echo "image-test: the image does not run as user 10001" >&2; exit 1; }

# ---- network --------------------------------------------------------------
# A /24 in 198.19.0.0/16 (inside 198.18.0.0/15; the other tests use
# 198.18.0.0/24) that no route and no podman network holds yet.
# --internal: nothing is routed off the bridge and netavark adds no NAT
# rules; the host still reaches the containers' addresses. Each container
# gets the network's DNS (aardvark-dns, on the gateway) as its only
# nameserver, so the host's resolvers stay out of its resolv.conf.
subnet=
for ((i = 0; i < 64; i++)); do
  octet=$(((tag + i) % 250 + 1))
  candidate=198.19.$octet
  ip -4 route show | grep -q "^$candidate\." && continue
  if podman network create --internal --subnet "$candidate.0/24" --gateway "$candidate.1" "$net" >/dev/null 2>"$work/net.err"; then
    subnet=$candidate
    break
  fi
done
[[ -n $subnet ]] || { cat "$work/net.err" >&2; echo "image-test: no free /24 in 198.19.0.0/16" >&2; exit 1; }
echo "image-test: network $net, $subnet.0/24"

# ---- three workers --------------------------------------------------------
# deployment-dns's config as the ConfigMap mounts it; the network alias is
# the headless service's name, so its A records are the three containers.
config=$root/deploy/k8s/deployment-dns/beamlink.toml
service=$(sed -n 's/^service = "\(.*\)".*/\1/p' "$config")
[[ -n $service ]] || { echo "image-test: no service name in $config" >&2; exit 1; }
cookie=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
hardening=(--read-only --read-only-tmpfs=false --cap-drop=all --security-opt=no-new-privileges
  --user 10001:10001 --network "$net" --dns "$subnet.1")
ips=()
names=()
start=$SECONDS
for i in 1 2 3; do
  ip=$subnet.$((10 + i))
  ips+=("$ip")
  names+=("worker@$ip")
  podman run -d --name "${nodes[i - 1]}" --hostname "w$i" "${hardening[@]}" \
    --ip "$ip" --network-alias "$service" --stop-timeout "$grace" \
    -e POD_IP="$ip" -e BEAMLINK_COOKIE="$cookie" \
    -v "$config:/etc/beamlink/cluster/beamlink.toml:ro" \
    "$image" --config /etc/beamlink/cluster/beamlink.toml >/dev/null 2>"$work/run.err" ||
    { cat "$work/run.err" >&2; exit 1; }
done

ready() { [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://$1:8080/readyz") == 200 ]]; }
# sees_exactly IP NODE...: /status on IP lists exactly these peers.
sees_exactly() {
  local ip=$1 status want got
  shift
  status=$(curl -s --max-time 2 "http://$ip:8080/status") || return 1
  want=$( (($#)) && printf '%s\n' "$@" | sort | tr '\n' ' ')
  got=$(sed -n 's/.*"peers":\[\([^]]*\)\].*/\1/p' <<<"$status" | tr -d '"' | tr ',' '\n' |
    sed '/^$/d' | sort | tr '\n' ' ')
  [[ $got == "$want" ]]
}
log_has() { podman logs "$1" 2>&1 | grep -qF -- "$2"; }
others() { local skip=$1; for n in "${names[@]}"; do [[ $n == "$skip" ]] || echo "$n"; done; }

for i in 0 1 2; do
  wait_until 60 "${names[i]} to be ready" ready "${ips[i]}"
  mapfile -t peers < <(others "${names[i]}")
  wait_until 60 "${names[i]} to see ${peers[*]}" sees_exactly "${ips[i]}" "${peers[@]}"
done
echo "image-test: 3 nodes ready, each sees the other two, $(elapsed "$start") after the first start"

# ---- beamlink rpc from a fourth container ---------------------------------
# For each node: erlang:nodes() must list the other two, and the worker's
# own function answers. The helper node is hidden (out of the workers'
# nodes()) and long-named like them; it registers with an EPMD of its own
# (`beamlink epmd` on loopback), and finds the workers through theirs.
# shellcheck disable=SC2016 # expanded by the probe's shell
script='probe="--name probe@$PROBE_IP --hidden"
beamlink epmd --address 127.0.0.1 2>/dev/null &
i=0
until beamlink names 127.0.0.1 --timeout 200 >/dev/null 2>&1; do
  i=$((i + 1)); [ $i -lt 50 ] || { echo "no EPMD in the probe" >&2; exit 1; }
done
for n in "$@"; do
  nodes=$(beamlink rpc "$n" erlang nodes "[]" $probe) || exit 1
  square=$(beamlink rpc "$n" worker square "[7]" $probe) || exit 1
  echo "$n nodes: $nodes"
  echo "$n square: $square"
done'
podman run --rm --name "$probe" "${hardening[@]}" --ip "$subnet.20" \
  -e BEAMLINK_COOKIE="$cookie" -e PROBE_IP="$subnet.20" \
  --entrypoint /bin/sh "$image" -c "$script" sh "${names[@]}" >"$work/rpc.out" 2>"$work/rpc.err" ||
  { cat "$work/rpc.out" "$work/rpc.err"; exit 1; }
sed 's/^/image-test: rpc: /' "$work/rpc.out"
for n in "${names[@]}"; do
  grep -q "^$n square: 49$" "$work/rpc.out" || { echo "image-test: $n did not answer worker:square" >&2; exit 1; }
  line=$(grep "^$n nodes: " "$work/rpc.out")
  for peer in $(others "$n"); do
    [[ $line == *"'$peer'"* ]] || { echo "image-test: $n's nodes() lacks $peer" >&2; exit 1; }
  done
done

# ---- podman stop: a clean leave within the grace period -------------------
for i in 0 1 2; do
  start_ns=$(date +%s%N)
  podman stop -t "$grace" "${nodes[i]}" >/dev/null
  took_ms=$((($(date +%s%N) - start_ns) / 1000000))
  code=$(podman inspect --format '{{.State.ExitCode}}' "${nodes[i]}")
  echo "image-test: podman stop ${names[i]}: ${took_ms} ms (grace ${grace} s), exit code $code"
  ((code == 0)) || { podman logs "${nodes[i]}" | tail -20; echo "image-test: ${names[i]} did not exit 0" >&2; exit 1; }
  ((took_ms < grace * 1000 / 3)) || { echo "image-test: ${names[i]} took too long to leave" >&2; exit 1; }
  podman logs "${nodes[i]}" >"$work/node.log" 2>&1
  grep -q 'SIGTERM' "$work/node.log" || { tail -20 "$work/node.log"; echo "image-test: ${names[i]} logged no SIGTERM" >&2; exit 1; }
  sed -n '/SIGTERM/,$p' "$work/node.log" | sed 's/^/image-test:   log: /'
  # The nodes still running must see it go: gone from their /status, and
  # a nodedown in their log.
  for ((j = i + 1; j < 3; j++)); do
    mapfile -t peers < <(for ((k = i + 1; k < 3; k++)); do ((k == j)) || echo "${names[k]}"; done)
    wait_until 30 "${names[j]} to see ${names[i]} leave" sees_exactly "${ips[j]}" "${peers[@]}"
    wait_until 10 "${names[j]} to log nodedown ${names[i]}" log_has "${nodes[j]}" "nodedown ${names[i]}"
  done
done
echo "image-test: passed ($(elapsed "$stage_start"))"
