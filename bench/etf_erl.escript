#!/usr/bin/env escript
%% The erl side of bench/compare_etf.sh: reads "name hex" lines (the corpus
%% beamlink's etf_bench dumps), and for each term times term_to_binary/2 and
%% binary_to_term/1 in this real erl. Prints "encode/<name> <ns per op>" and
%% "decode/<name> <ns per op>" lines.
-mode(compile).

main([File]) ->
    {ok, Text} = file:read_file(File),
    Lines = [L || L <- binary:split(Text, <<"\n">>, [global]), L =/= <<>>],
    lists:foreach(fun bench_line/1, Lines).

bench_line(Line) ->
    [Name, Hex] = binary:split(Line, <<" ">>),
    Bin = binary:decode_hex(Hex),
    Term = binary_to_term(Bin),
    %% minor_version 2 writes atoms as UTF-8, as OTP 26+ does by default and
    %% as the distribution protocol does; beamlink always does.
    Bin = term_to_binary(Term, [{minor_version, 2}]),  % the same bytes, or the comparison is void
    Enc = time_per_op(fun(N) -> encode_loop(Term, N) end),
    Dec = time_per_op(fun(N) -> decode_loop(Bin, N) end),
    io:format("encode/~s ~.1f~n", [Name, Enc]),
    io:format("decode/~s ~.1f~n", [Name, Dec]).

%% Doubles the iteration count until one run takes at least 0.5 s, then
%% reports the best of three runs of that count.
time_per_op(Fun) -> time_per_op(Fun, 1).
time_per_op(Fun, N) ->
    case run(Fun, N) of
        T when T >= 500000000 -> lists:min([T, run(Fun, N), run(Fun, N)]) / N;
        _ -> time_per_op(Fun, N * 2)
    end.

run(Fun, N) ->
    garbage_collect(),
    T0 = erlang:monotonic_time(nanosecond),
    Fun(N),
    erlang:monotonic_time(nanosecond) - T0.

encode_loop(_, 0) -> ok;
encode_loop(T, N) -> _ = term_to_binary(T, [{minor_version, 2}]), encode_loop(T, N - 1).

decode_loop(_, 0) -> ok;
decode_loop(B, N) -> _ = binary_to_term(B), decode_loop(B, N - 1).
