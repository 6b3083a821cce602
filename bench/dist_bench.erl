%% dist_bench: the Erlang side of bench/compare_dist.sh. The same roles are
%% implemented by bench/dist_bench.cc for beamlink nodes, so any client can
%% be pointed at any server.
%%
%% Server (serve/0): registers
%%   bench_rx   - counts {msg, N} and {bin, Bin} messages; answers
%%                {done, From, Ref} with {Ref, Count, Bytes} and resets.
%%   bench_echo - answers {ping, From, N} with {pong, N}.
%%
%% Client (client/1, args [ServerNode, Workload, Count, Size]) prints one
%% line "workload=<w> value=<v> unit=<u> [p99=<v>]":
%%   small    - Count messages {msg, N}: messages per second
%%   pingpong - Count round trips: median microseconds (and p99)
%%   binary   - Count binaries of Size bytes: bytes per second
%% small and binary first send a done of their own, so counts a failed
%% earlier run left do not count; a shortfall is reported on stderr with the
%% number that arrived, and exits 1.
-module(dist_bench).
-export([serve/0, client/1]).

serve() ->
    register(bench_rx, spawn(fun() -> rx(0, 0) end)),
    register(bench_echo, spawn(fun echo/0)),
    io:format("ready~n"),
    receive stop -> ok end.

rx(Count, Bytes) ->
    receive
        {msg, _} -> rx(Count + 1, Bytes);
        {bin, B} -> rx(Count + 1, Bytes + byte_size(B));
        {done, From, Ref} -> From ! {Ref, Count, Bytes}, rx(0, 0)
    end.

echo() ->
    receive {ping, From, N} -> From ! {pong, N} end,
    echo().

client([ServerArg, WorkloadArg, CountArg, SizeArg]) ->
    Server = list_to_atom(ServerArg),
    Count = list_to_integer(CountArg),
    Size = list_to_integer(SizeArg),
    pong = net_adm:ping(Server),
    case list_to_atom(WorkloadArg) of
        small -> small(Server, Count);
        pingpong -> pingpong(Server, Count);
        binary -> binary(Server, Count, Size)
    end,
    halt(0).

finish(Server) ->
    Ref = make_ref(),
    {bench_rx, Server} ! {done, self(), Ref},
    receive {Ref, Count, Bytes} -> {Count, Bytes} after 120000 -> exit(timeout) end.

small(Server, Count) ->
    _ = finish(Server),  % resets the counts a failed earlier run left
    T0 = erlang:monotonic_time(microsecond),
    send_small({bench_rx, Server}, Count),
    case finish(Server) of
        {Count, _} -> ok;
        {Received, _} ->
            io:format(standard_error, "small: lost messages: ~p received ~w of ~w~n",
                      [Server, Received, Count]),
            halt(1)
    end,
    T = erlang:monotonic_time(microsecond) - T0,
    io:format("workload=small value=~w unit=msg/s~n", [round(Count * 1.0e6 / T)]).

send_small(_, 0) -> ok;
send_small(To, N) -> To ! {msg, N}, send_small(To, N - 1).

pingpong(Server, Count) ->
    To = {bench_echo, Server},
    [round_trip(To, N) || N <- lists:seq(1, 100)],  % warm up
    Times = lists:sort([round_trip(To, N) || N <- lists:seq(1, Count)]),
    Median = lists:nth(max(1, Count div 2), Times),
    P99 = lists:nth(max(1, (Count * 99) div 100), Times),
    io:format("workload=pingpong value=~.1f unit=us p99=~.1f~n", [Median / 1000, P99 / 1000]).

round_trip(To, N) ->
    T0 = erlang:monotonic_time(nanosecond),
    To ! {ping, self(), N},
    receive {pong, N} -> erlang:monotonic_time(nanosecond) - T0 after 10000 -> exit(timeout) end.

binary(Server, Count, Size) ->
    Bin = binary:copy(<<7>>, Size),
    _ = finish(Server),
    T0 = erlang:monotonic_time(microsecond),
    [{bench_rx, Server} ! {bin, Bin} || _ <- lists:seq(1, Count)],
    {Count, Bytes} = finish(Server),
    T = erlang:monotonic_time(microsecond) - T0,
    io:format("workload=binary value=~w unit=B/s~n", [round(Bytes * 1.0e6 / T)]).
