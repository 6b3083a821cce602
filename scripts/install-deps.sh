#!/usr/bin/env bash
# Installs everything beamlink needs to build, test and benchmark, from
# Debian's packages. Idempotent: skips apt when every package is present.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config clang-format ccache
  libasio-dev zlib1g-dev libssl-dev libtomlplusplus-dev libc-ares-dev libcli11-dev nlohmann-json3-dev
  libgtest-dev libgmock-dev libbenchmark-dev libyaml-cpp-dev
  erlang-base elixir
  iproute2 procps iperf3 dnsmasq-base
  prometheus  # promtool and a server for the /metrics tests (never as a service)
  chromium  # the cluster page's browser test (scripts/page-test.sh), with node and npm below
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# kubectl for the Kubernetes stand-in's test: Debian ships it as
# kubernetes-client; any kubectl already on the PATH will do.
command -v kubectl >/dev/null || missing+=(kubernetes-client)
# node and npm for playwright-core: Debian's nodejs and npm, unless a node
# with its own npm is already installed (NodeSource's nodejs bundles npm
# and conflicts with Debian's npm package).
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)

if ((${#missing[@]})); then
  echo "beamlink: installing ${missing[*]}"
  if [[ $(id -u) -ne 0 ]]; then
    echo "beamlink: run as root (or with sudo) to install packages" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
  # Debian's prometheus package enables a service listening on *:9090
  # where systemd runs; the tests start their own on loopback only.
  if [[ " ${missing[*]} " == *" prometheus "* ]] && command -v systemctl >/dev/null &&
    systemctl is-enabled --quiet prometheus 2>/dev/null; then
    systemctl disable --now prometheus
  fi
fi
