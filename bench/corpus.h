// corpus.h - the typical messages the ETF benchmarks encode and decode.
//
// The same terms are handed to a real erl (as ETF bytes, see
// bench/compare_etf.sh), so beamlink and term_to_binary/binary_to_term are
// timed on identical input.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "beamlink/term.h"

namespace beamlink::bench {

inline Pid bench_pid(uint32_t id) {
  return Pid{Atom("worker@127.0.0.1"), id, 0, 1700000000u};
}

inline std::vector<std::pair<std::string, Term>> etf_corpus() {
  std::vector<std::pair<std::string, Term>> corpus;
  // A gen_server-style call: {'$gen_call', {Pid, Ref}, {get, key, 42}}.
  corpus.emplace_back(
      "small_tuple",
      Term::tuple(
          {Term::atom("$gen_call"),
           Term::tuple({bench_pid(77),
                        Term(Reference{Atom("worker@127.0.0.1"), 1700000000u, {1u, 2u, 3u}})}),
           Term::tuple({Term::atom("get"), Term::atom("key"), Term(42)})}));
  std::vector<std::pair<Term, Term>> fields;
  for (int i = 0; i < 10; ++i) {
    Term value = i % 3 == 0   ? Term(i * 1000)
                 : i % 3 == 1 ? Term::binary("value-" + std::to_string(i))
                              : Term(i + 0.5);
    fields.emplace_back(Term::atom("field_" + std::to_string(i)), value);
  }
  corpus.emplace_back("map_10_keys", Term::map(std::move(fields)));
  std::string kib(1024, 'x');
  for (size_t i = 0; i < kib.size(); ++i) kib[i] = static_cast<char>(i * 31 + 7);
  corpus.emplace_back("binary_1KiB", Term::binary(kib));
  std::string mib(1u << 20, 'x');
  for (size_t i = 0; i < mib.size(); ++i) mib[i] = static_cast<char>(i * 131 + 17);
  corpus.emplace_back("binary_1MiB", Term::binary(mib));
  std::vector<Term> pids;
  for (uint32_t i = 0; i < 200; ++i) pids.emplace_back(bench_pid(100 + i));
  corpus.emplace_back("list_200_pids", Term::list(std::move(pids)));
  return corpus;
}

}  // namespace beamlink::bench
