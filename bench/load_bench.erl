%% load_bench: the Erlang side of bench/compare_load.sh and bench/soak.sh.
%% bench/load_bench.cc plays the same client roles for beamlink; the
%% beamlink server is the CLI's own `beamlink node`, whose registered `echo`
%% answers {Pid, Term} with Pid ! Term, as serve/0's `echo` does here.
%%
%% serve/0 registers `echo`, prints "ready" and runs until killed.
%%
%% echo/1, args [Server, Count, Window, Duration, Report]: sends
%% {self(), {seq, I}} (I = 1, 2, ...) to {echo, Server} and counts the
%% {seq, I} replies. Count 0: no limit (until Duration seconds pass);
%% Window 0: open loop (send as fast as `!` returns), else at most Window
%% unanswered; Report > 0 prints a progress line every Report seconds. A
%% full window with no reply for 5 s gives up on what is outstanding (a
%% later arrival counts as a reorder). After the last send it waits until
%% every reply is in, or none came for 10 s. Prints
%%   echo sent=S replies=R lost=L dups=D reorders=O nodedowns=N secs=T rate=P
%% lost = sent - replies (when positive), reorders = replies whose I is
%% below one already seen, rate = replies per second.
%%
%% latency/1, args [Server, IdlePings, Count, Size]: times IdlePings round
%% trips {self(), {ping, N}} -> {ping, N} to an idle {echo, Server}; then
%% a second process streams Count binaries of Size bytes to echo (echo
%% ignores them) and a last {Pid, stream_done} whose answer proves all of
%% them arrived, while this process keeps timing round trips back to back.
%% Prints milliseconds:
%%   latency idle_median= idle_p99= idle_max= busy_median= busy_p99=
%%           busy_max= busy_pings= lost_pings= stream_secs= stream_Bps= nodedowns=
-module(load_bench).
-export([serve/0, echo/1, latency/1]).

-define(STALL_MS, 5000).
-define(IDLE_MS, 10000).
-define(PING_TIMEOUT_MS, 10000).

serve() ->
    register(echo, spawn(fun echo_loop/0)),
    io:format("ready~n"),
    receive stop -> ok end.

echo_loop() ->
    receive
        {Pid, Term} when is_pid(Pid) -> Pid ! Term;
        _ -> ok
    end,
    echo_loop().

now_ms() -> erlang:monotonic_time(millisecond).

connect(ServerArg) ->
    Server = list_to_atom(ServerArg),
    case net_adm:ping(Server) of
        pong -> ok;
        pang -> io:format(standard_error, "~s does not answer~n", [ServerArg]), halt(1)
    end,
    ok = net_kernel:monitor_nodes(true, [nodedown_reason]),
    Server.

%% ---- echo ----

-record(s, {to, count, window, deadline, report, t0, next_report, last_reply,
            sent = 0, replies = 0, max = 0, reorders = 0, nodedowns = 0,
            interval_replies = 0}).

echo([ServerArg, CountArg, WindowArg, DurationArg, ReportArg]) ->
    Server = connect(ServerArg),
    Report = list_to_integer(ReportArg) * 1000,
    T0 = now_ms(),
    S = #s{to = {echo, Server}, count = list_to_integer(CountArg),
           window = list_to_integer(WindowArg),
           deadline = T0 + list_to_integer(DurationArg) * 1000, report = Report,
           t0 = T0, next_report = T0 + Report, last_reply = T0},
    finish(send_loop(S)),
    halt(0).

send_loop(S0) ->
    Now = now_ms(),
    S = maybe_report(S0, Now),
    Sending = (S#s.count == 0 orelse S#s.sent < S#s.count) andalso Now < S#s.deadline,
    if
        not Sending -> drain(S, Now);
        true ->
            Room = case S#s.window of
                       0 -> 1000;
                       W -> min(1000, W - (S#s.sent - S#s.max))
                   end,
            Batch = case S#s.count of
                        0 -> Room;
                        C -> min(Room, C - S#s.sent)
                    end,
            if
                Batch > 0 ->
                    send_batch(S#s.to, self(), S#s.sent + 1, S#s.sent + Batch),
                    send_loop(collect(S#s{sent = S#s.sent + Batch}));
                true ->  % the window is full
                    receive
                        M -> send_loop(collect(handle(S, M)))
                    after ?STALL_MS ->
                        send_loop(S#s{max = S#s.sent})
                    end
            end
    end.

send_batch(_, _, I, Last) when I > Last -> ok;
send_batch(To, Self, I, Last) -> To ! {Self, {seq, I}}, send_batch(To, Self, I + 1, Last).

collect(S) ->
    receive M -> collect(handle(S, M)) after 0 -> S end.

handle(S, {seq, I}) when I > S#s.max ->
    S#s{replies = S#s.replies + 1, max = I, interval_replies = S#s.interval_replies + 1};
handle(S, {seq, _}) ->
    S#s{replies = S#s.replies + 1, reorders = S#s.reorders + 1,
        interval_replies = S#s.interval_replies + 1};
handle(S, {nodedown, Node, Info}) ->
    io:format(standard_error, "nodedown ~p ~p~n", [Node, Info]),
    S#s{nodedowns = S#s.nodedowns + 1};
handle(S, _) -> S.

drain(S, IdleSince) when S#s.replies >= S#s.sent -> S#s{last_reply = IdleSince};
drain(S0, IdleSince) ->
    Now = now_ms(),
    S = maybe_report(S0, Now),
    if
        Now - IdleSince > ?IDLE_MS -> S#s{last_reply = IdleSince};
        true ->
            receive M -> drain(handle(S, M), now_ms()) after 500 -> drain(S, IdleSince) end
    end.

maybe_report(S = #s{report = 0}, _) -> S;
maybe_report(S, Now) when Now < S#s.next_report -> S;
maybe_report(S, Now) ->
    io:format("at=~ws sent=~w replies=~w rate=~w gaps=~w reorders=~w nodedowns=~w~n",
              [(Now - S#s.t0) div 1000, S#s.sent, S#s.replies,
               round(S#s.interval_replies * 1000 / S#s.report), S#s.max - S#s.replies,
               S#s.reorders, S#s.nodedowns]),
    S#s{next_report = S#s.next_report + S#s.report, interval_replies = 0}.

finish(S) ->
    Secs = max(1, S#s.last_reply - S#s.t0) / 1000,
    io:format("echo sent=~w replies=~w lost=~w dups=~w reorders=~w nodedowns=~w secs=~.2f rate=~w~n",
              [S#s.sent, S#s.replies, max(0, S#s.sent - S#s.replies),
               max(0, S#s.replies - S#s.sent), S#s.reorders, S#s.nodedowns, Secs,
               round(S#s.replies / Secs)]).

%% ---- latency ----

latency([ServerArg, IdleArg, CountArg, SizeArg]) ->
    Server = connect(ServerArg),
    To = {echo, Server},
    _ = [rtt(To, -N) || N <- lists:seq(1, 100)],  % warm-up
    Idle = lists:sort([T || N <- lists:seq(1, list_to_integer(IdleArg)),
                            (T = rtt(To, N)) =/= timeout]),
    Self = self(),
    Count = list_to_integer(CountArg),
    Size = list_to_integer(SizeArg),
    spawn_link(fun() ->
                       Bin = binary:copy(<<7>>, Size),
                       T0 = now_ms(),
                       [To ! {bin, Bin} || _ <- lists:seq(1, Count)],
                       To ! {self(), stream_done},
                       receive stream_done -> Self ! {streamed, now_ms() - T0}
                       after 600000 -> Self ! {streamed, timeout}
                       end
               end),
    {Busy, Lost, StreamMs} = busy_pings(To, 1000000, [], 0),
    Nodedowns = count_nodedowns(0),
    Bps = case StreamMs of
              timeout -> 0;
              _ -> round(Count * Size * 1000 / max(1, StreamMs))
          end,
    {BM, BP, BX} = stats(lists:sort(Busy)),
    {IM, IP, IX} = stats(Idle),
    io:format("latency idle_median=~.3f idle_p99=~.3f idle_max=~.3f busy_median=~.3f "
              "busy_p99=~.3f busy_max=~.3f busy_pings=~w lost_pings=~w stream_secs=~s "
              "stream_Bps=~w nodedowns=~w~n",
              [IM, IP, IX, BM, BP, BX, length(Busy), Lost,
               case StreamMs of timeout -> "timeout"; _ -> io_lib:format("~.2f", [StreamMs / 1000]) end,
               Bps, Nodedowns]),
    halt(0).

busy_pings(To, N, Acc, Lost) ->
    receive
        {streamed, Ms} -> {Acc, Lost, Ms}
    after 0 ->
        case rtt(To, N) of
            timeout -> busy_pings(To, N + 1, Acc, Lost + 1);
            T -> busy_pings(To, N + 1, [T | Acc], Lost)
        end
    end.

rtt(To, N) ->
    T0 = erlang:monotonic_time(microsecond),
    To ! {self(), {ping, N}},
    receive
        {ping, N} -> (erlang:monotonic_time(microsecond) - T0) / 1000
    after ?PING_TIMEOUT_MS -> timeout
    end.

count_nodedowns(N) ->
    receive {nodedown, _, _} -> count_nodedowns(N + 1) after 0 -> N end.

stats([]) -> {0.0, 0.0, 0.0};
stats(Sorted) ->
    Len = length(Sorted),
    {lists:nth(max(1, (Len + 1) div 2), Sorted), lists:nth(max(1, (Len * 99 + 99) div 100), Sorted),
     lists:last(Sorted)}.
