%% cluster_bench: the erl side of bench/compare_cluster.sh (driven by
%% bench/cluster_formation.cc).
%%
%%   erl -setcookie C -kernel inet_dist_use_interface ... -run cluster_bench run NAME PEERS_FILE
%%
%% The node starts its distribution as NAME itself (not with -name), so
%% that it watches nodeup from the moment it can be reached: with -name,
%% peers connect while the node still boots, before any code of ours runs.
%% PEERS_FILE holds one node name a line. The node connects to each of them
%% with net_kernel:connect_node/1, one after the other, as libcluster's
%% Cluster.Strategy.Epmd does over its static list, and repeats the round
%% for the ones not yet connected (every 50 ms, at most 30 s) until nodes()
%% holds them all. It logs nodeup and nodedown in beamlink's log format, so
%% one parser reads both kinds of node:
%%   2026-11-21T11:10:27.005Z info [erl:node] nodeup b@127.78.0.2
-module(cluster_bench).
-export([run/1]).

-define(ROUND_PAUSE_MS, 50).
-define(MAX_ROUNDS, 600).

run([Name, PeersFile]) ->
    {ok, Text} = file:read_file(PeersFile),
    Peers = [list_to_atom(Peer) || Peer <- string:lexemes(binary_to_list(Text), "\r\n"),
                                   Peer =/= Name],
    %% -run calls this from init: return at once, the work runs elsewhere.
    spawn(fun() -> watch(list_to_atom(Name), Peers) end),
    ok.

%% Logs node events as they arrive, so the timestamps do not wait for a
%% connect_node/1 call in progress.
watch(Name, Peers) ->
    %% start/2 takes net_ticktime from the kernel parameter (start/1 would not).
    {ok, _} = net_kernel:start(Name, #{name_domain => longnames}),
    ok = net_kernel:monitor_nodes(true, [nodedown_reason]),
    log("distribution started, net_ticktime ~b s", [net_kernel:get_net_ticktime()]),
    %% Whoever connected between the start and the line above.
    [log("nodeup ~s", [Node]) || Node <- nodes()],
    spawn(fun() -> connect_rounds(Peers, 0) end),
    watch_loop().

watch_loop() ->
    receive
        {nodeup, Node, _Info} ->
            log("nodeup ~s", [Node]);
        {nodedown, Node, Info} ->
            log("nodedown ~s: ~p", [Node, proplists:get_value(nodedown_reason, Info)]);
        _ ->
            ok
    end,
    watch_loop().

connect_rounds(Peers, Round) when Round >= ?MAX_ROUNDS ->
    log("gave up after ~b rounds with ~b of ~b peers", [Round, length(nodes()), length(Peers)]);
connect_rounds(Peers, Round) ->
    Missing = Peers -- nodes(),
    case Missing of
        [] ->
            log("formed with ~b peers", [length(Peers)]);
        _ ->
            [net_kernel:connect_node(Node) || Node <- Missing],
            case Peers -- nodes() of
                [] -> connect_rounds(Peers, Round + 1);
                _ -> timer:sleep(?ROUND_PAUSE_MS), connect_rounds(Peers, Round + 1)
            end
    end.

log(Format, Args) ->
    Stamp = calendar:system_time_to_rfc3339(erlang:system_time(millisecond),
                                            [{unit, millisecond}, {offset, "Z"}]),
    io:format("~s info [erl:node] " ++ Format ++ "~n", [Stamp | Args]).
