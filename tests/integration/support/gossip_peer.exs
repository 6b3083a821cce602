# gossip_peer.exs - a stand-in for libcluster's Cluster.Strategy.Gossip
# (libcluster itself cannot be installed here), written from its documented
# wire format, for tests/integration/gossip_test.cc.
#
# Wire format: "heartbeat::" <> :erlang.term_to_binary(%{node: node()}).
# With a secret: 16 random IV bytes <> AES-256-CBC(key, IV, PKCS#7 padded
# heartbeat), key = SHA-256(secret); packets that do not decrypt are dropped.
#
# Run as a distributed node:
#   ERL_EPMD_PORT=P elixir --name x@127.0.0.1 --cookie C \
#     --erl "-kernel inet_dist_use_interface {127,0,0,1}" gossip_peer.exs
# Settings come from the environment:
#   GOSSIP_PORT (45892), GOSSIP_IF_ADDR ("0.0.0.0"), GOSSIP_MULTICAST_IF
#   (unset: the kernel's choice), GOSSIP_MULTICAST_ADDR ("233.252.1.32"),
#   GOSSIP_TTL (1), GOSSIP_BROADCAST_ONLY ("true" to broadcast), GOSSIP_SECRET
#   (unset: plaintext), GOSSIP_INTERVAL_MS (1000).
# It prints one line per event, for the test to read:
#   "listening <addr>:<port>", "heard <node>", "connected <node>",
#   "connect failed <node>", "dropped <reason>", "nodes <n1> <n2> ..." (each
#   time Node.list/0 changes).
defmodule GossipPeer do
  @prefix "heartbeat::"

  def main do
    port = env_int("GOSSIP_PORT", 45892)
    if_addr = env_ip("GOSSIP_IF_ADDR", "0.0.0.0")
    multicast_if = env_ip("GOSSIP_MULTICAST_IF", nil)
    group = env_ip("GOSSIP_MULTICAST_ADDR", "233.252.1.32")
    broadcast_only = System.get_env("GOSSIP_BROADCAST_ONLY") == "true"
    secret = System.get_env("GOSSIP_SECRET")

    options =
      [:binary, active: true, ip: if_addr, reuseaddr: true, broadcast: true] ++
        if broadcast_only do
          []
        else
          membership_if = multicast_if || {0, 0, 0, 0}

          [multicast_loop: true, multicast_ttl: env_int("GOSSIP_TTL", 1)] ++
            if(multicast_if, do: [multicast_if: multicast_if], else: []) ++
            [add_membership: {group, membership_if}]
        end

    {:ok, socket} = :gen_udp.open(port, options)
    say("listening #{:inet.ntoa(if_addr)}:#{port}")

    state = %{
      socket: socket,
      port: port,
      destination: if(broadcast_only, do: {255, 255, 255, 255}, else: group),
      key: secret && :crypto.hash(:sha256, secret),
      interval: env_int("GOSSIP_INTERVAL_MS", 1000),
      announced: MapSet.new(),
      nodes: []
    }

    :net_kernel.monitor_nodes(true)
    send(self(), :heartbeat)
    loop(state)
  end

  defp loop(state) do
    receive do
      :heartbeat ->
        :gen_udp.send(state.socket, state.destination, state.port, packet(state.key))
        Process.send_after(self(), :heartbeat, state.interval)
        loop(state)

      {:udp, _socket, _ip, _port, data} ->
        loop(handle(data, state))

      {event, _node} when event in [:nodeup, :nodedown] ->
        loop(report_nodes(state))

      _other ->
        loop(state)
    end
  end

  defp packet(nil), do: heartbeat()

  defp packet(key) do
    iv = :crypto.strong_rand_bytes(16)
    iv <> :crypto.crypto_one_time(:aes_256_cbc, key, iv, pad(heartbeat()), true)
  end

  defp heartbeat, do: @prefix <> :erlang.term_to_binary(%{node: node()})

  defp pad(data) do
    n = 16 - rem(byte_size(data), 16)
    data <> :binary.copy(<<n>>, n)
  end

  defp handle(data, state) do
    with {:ok, plain} <- open(data, state.key),
         {:ok, peer} <- parse(plain) do
      cond do
        peer == node() -> state
        MapSet.member?(state.announced, peer) and peer in Node.list() -> state
        true -> connect(peer, state)
      end
    else
      {:error, reason} ->
        say("dropped #{reason}")
        state
    end
  end

  defp connect(peer, state) do
    unless MapSet.member?(state.announced, peer), do: say("heard #{peer}")

    if Node.connect(peer) == true do
      say("connected #{peer}")
    else
      say("connect failed #{peer}")
    end

    report_nodes(%{state | announced: MapSet.put(state.announced, peer)})
  end

  defp open(data, nil), do: {:ok, data}

  defp open(<<iv::binary-16, body::binary>>, key)
       when byte_size(body) > 0 and rem(byte_size(body), 16) == 0 do
    unpad(:crypto.crypto_one_time(:aes_256_cbc, key, iv, body, false))
  end

  defp open(_data, _key), do: {:error, "not IV + whole AES blocks"}

  defp unpad(plain) do
    n = :binary.last(plain)
    size = byte_size(plain)

    if n in 1..16 and :binary.part(plain, size - n, n) == :binary.copy(<<n>>, n) do
      {:ok, :binary.part(plain, 0, size - n)}
    else
      {:error, "bad padding"}
    end
  end

  # Not binary_to_term(etf, [:safe]): :safe refuses atoms that do not exist
  # yet, and a node name never heard before is exactly such an atom.
  defp parse(@prefix <> etf) do
    try do
      case :erlang.binary_to_term(etf) do
        %{node: peer} when is_atom(peer) -> {:ok, peer}
        _ -> {:error, "not a heartbeat map"}
      end
    rescue
      ArgumentError -> {:error, "bad term"}
    end
  end

  defp parse(_plain), do: {:error, "no heartbeat prefix"}

  defp report_nodes(state) do
    nodes = Enum.sort(Node.list())

    if nodes != state.nodes do
      say("nodes " <> Enum.map_join(nodes, " ", &Atom.to_string/1))
    end

    %{state | nodes: nodes}
  end

  defp say(line), do: IO.puts(line)

  defp env_int(name, default) do
    case System.get_env(name) do
      nil -> default
      text -> String.to_integer(text)
    end
  end

  defp env_ip(name, default) do
    case System.get_env(name) || default do
      nil ->
        nil

      text ->
        {:ok, ip} = :inet.parse_ipv4_address(String.to_charlist(text))
        ip
    end
  end
end

GossipPeer.main()
