%% The Erlang side of bench/compare_otp.sh: what an Erlang node of a mixed
%% cluster does with its peers, timed the same way whatever kind they are.
%%   serve()                    an echo gen_server registered as `echo`
%%   sync(Peers)                connect to Peers, time global:sync()
%%   calls(Target, N)           N gen_server:call({echo, Target}, Req), serially
%%   register(Peers, N)         N global:register_name + whereis + unregister
%% Each prints one line "key=value ..." and halts.
-module(otp_bench).
-behaviour(gen_server).
-export([serve/0, sync/1, calls/1, register/1]).
-export([init/1, handle_call/3, handle_cast/2]).

serve() ->
    {ok, _} = gen_server:start({local, echo}, ?MODULE, [], []),
    io:format("ready~n").

init([]) -> {ok, nostate}.
handle_call(Request, _From, State) -> {reply, Request, State}.
handle_cast(_Request, State) -> {noreply, State}.

connect_all(Peers) ->
    [true = net_kernel:connect_node(list_to_atom(P)) || P <- Peers],
    ok.

sync(Peers) ->
    connect_all(Peers),
    {Us, ok} = timer:tc(global, sync, []),
    io:format("sync_us=~b nodes=~b~n", [Us, length(nodes())]),
    halt().

calls([Target, NText]) ->
    N = list_to_integer(NText),
    Node = list_to_atom(Target),
    true = net_kernel:connect_node(Node),
    Req = {self(), <<"payload">>},
    Req = gen_server:call({echo, Node}, Req),  % warm up
    {Us, ok} = timer:tc(fun() -> call_loop({echo, Node}, Req, N) end),
    io:format("calls=~b us=~b per_call_us=~.2f~n", [N, Us, Us / N]),
    halt().

call_loop(_Server, _Req, 0) -> ok;
call_loop(Server, Req, N) ->
    Req = gen_server:call(Server, Req, 10000),
    call_loop(Server, Req, N - 1).

register([NText | Peers]) ->
    N = list_to_integer(NText),
    connect_all(Peers),
    ok = global:sync(),
    {Us, ok} = timer:tc(fun() -> register_loop(N) end),
    io:format("registrations=~b us=~b per_registration_us=~.1f~n", [N, Us, Us / N]),
    halt().

register_loop(0) -> ok;
register_loop(N) ->
    Name = {otp_bench, N},
    yes = global:register_name(Name, self()),
    Self = self(),
    Self = global:whereis_name(Name),
    ok = global:unregister_name(Name),
    register_loop(N - 1).
