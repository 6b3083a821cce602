# shellcheck shell=bash
# The firewall state around scripts/image-test.sh's podman network.
#
# netavark (1.4, bookworm) removes a network's own chain (NETAVARK-<hash>)
# and rules when the network's last container goes, but leaves the chains
# it shares between networks (NETAVARK_FORWARD, NETAVARK-HOSTPORT-*), the
# FORWARD/PREROUTING/OUTPUT/POSTROUTING rules that jump to them, and the
# iptables-nft tables it created. These functions take a snapshot before
# the run, remove those leftovers afterwards (only what the snapshot did
# not have, and only while no network uses them), and compare.
#
# Sourced; needs iptables (nft backend, Debian's default) and nft.

# firewall_snapshot FILE: every rule set as text, without counters.
firewall_snapshot() {
  {
    echo "## iptables"
    iptables-save 2>/dev/null | sed '/^#/d; s/\[[0-9]*:[0-9]*\]/[-]/'
    echo "## ip6tables"
    ip6tables-save 2>/dev/null | sed '/^#/d; s/\[[0-9]*:[0-9]*\]/[-]/'
    echo "## iptables-legacy"
    iptables-legacy-save 2>/dev/null | sed '/^#/d; s/\[[0-9]*:[0-9]*\]/[-]/'
    echo "## nft"
    nft -s list ruleset 2>/dev/null
  } >"$1"
}

# firewall_remove_netavark_leftovers BEFORE: BEFORE is a snapshot taken
# before the network existed.
firewall_remove_netavark_leftovers() {
  local before=$1 cmd table line chain
  local -a args
  for cmd in iptables ip6tables; do
    # Some network still forwards through netavark: its chains are in use.
    if $cmd-save -t filter 2>/dev/null | grep -q '^-A NETAVARK_FORWARD '; then
      echo "image-test: another podman network is up; its netavark chains stay" >&2
      continue
    fi
    for table in filter nat; do
      # Rules in the built-in chains that jump to a netavark chain.
      $cmd-save -t "$table" 2>/dev/null | grep -E '^-A [A-Z]+ .*-j NETAVARK' | while read -r line; do
        grep -qxF -- "$line" "$before" && continue
        eval "args=(${line/#-A/-D})"
        $cmd -t "$table" "${args[@]}"
      done
      for chain in $($cmd-save -t "$table" 2>/dev/null | sed -n 's/^:\(NETAVARK[^ ]*\) .*/\1/p'); do
        grep -q "^:$chain " "$before" && continue
        $cmd -t "$table" -F "$chain" && $cmd -t "$table" -X "$chain"
      done
    done
  done
  # Tables iptables-nft created for netavark and that are empty again.
  local family
  for family in ip ip6; do
    cmd=iptables
    [[ $family == ip6 ]] && cmd=ip6tables
    for table in filter nat; do
      nft list table "$family" "$table" >/dev/null 2>&1 || continue
      grep -q "^table $family $table {" "$before" && continue
      # Only the built-in chains, no rule: nothing of anyone else's.
      $cmd-save -t "$table" 2>/dev/null | grep -qE '^-A |^:[^ ]+ - ' && continue
      nft delete table "$family" "$table"
    done
  done
}

# firewall_compare BEFORE AFTER: snapshots AFTER, prints what differs.
firewall_compare() {
  firewall_snapshot "$2"
  diff -u "$1" "$2" >&2
}
