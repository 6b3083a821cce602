// beamlink/rpc.h - C++ functions that Erlang nodes call with erpc:call,
// rpc:call or erpc:cast, and what they answer.
//
// A function registered with Node::register_function(module, function, fn)
// is run on a node worker thread for each call (calls may run at once on
// several workers if NodeOptions::worker_threads > 1). It receives the
// argument list and answers with a CallResult: the value to return, or an
// exception of class throw, exit or error, which the caller sees exactly as
// if an Erlang function had raised it. A C++ exception escaping fn becomes
// error:{cpp_exception, <<"what()">>}.
#pragma once

#include <functional>
#include <utility>
#include <vector>

#include "beamlink/term.h"

namespace beamlink {

class CallResult {
 public:
  enum class Kind { value, thrown, exited, error };

  CallResult(Term value) : kind_(Kind::value), term_(std::move(value)) {}  // NOLINT: implicit
  static CallResult value(Term v) { return CallResult(Kind::value, std::move(v)); }
  // throw(Reason): erpc:call rethrows it in the caller.
  static CallResult thrown(Term reason) { return CallResult(Kind::thrown, std::move(reason)); }
  // exit(Reason): erpc:call raises exit:{exception, Reason}.
  static CallResult exited(Term reason) { return CallResult(Kind::exited, std::move(reason)); }
  // error(Reason): erpc:call raises error:{exception, Reason, Stack}.
  static CallResult error(Term reason) { return CallResult(Kind::error, std::move(reason)); }

  Kind kind() const { return kind_; }
  const Term& term() const& { return term_; }
  Term&& term() && { return std::move(term_); }

 private:
  CallResult(Kind kind, Term term) : kind_(kind), term_(std::move(term)) {}
  Kind kind_;
  Term term_;
};

using RpcFunction = std::function<CallResult(const std::vector<Term>& args)>;

}  // namespace beamlink
