// ETF encode/decode micro-benchmarks (Google Benchmark).
//
//   build/release/bench/etf_bench                 run the benchmarks
//   build/release/bench/etf_bench --dump-corpus   print "name hex" lines of the
//                                                 corpus, for the erl side of
//                                                 bench/compare_etf.sh
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstring>

#include "beamlink/etf.h"
#include "corpus.h"

namespace {

using beamlink::Term;
namespace etf = beamlink::etf;

void bm_encode(benchmark::State& state, const Term& term) {
  std::vector<uint8_t> out;
  for (auto _ : state) {
    out.clear();
    auto r = etf::encode_to(out, term);
    benchmark::DoNotOptimize(r);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * out.size()));
}

void bm_decode(benchmark::State& state, const std::vector<uint8_t>& bytes, etf::BinaryMode mode) {
  etf::DecodeOptions options;
  options.binaries = mode;
  for (auto _ : state) {
    auto term = etf::decode(bytes, options);
    if (!term) {
      state.SkipWithError(term.error().message.c_str());
      break;
    }
    benchmark::DoNotOptimize(term);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes.size()));
}

std::string hex(const std::vector<uint8_t>& bytes) {
  std::string out;
  char buf[3];
  for (uint8_t b : bytes) {
    std::snprintf(buf, sizeof buf, "%02x", b);
    out += buf;
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  static const auto corpus = beamlink::bench::etf_corpus();
  static std::vector<std::vector<uint8_t>> encoded;
  for (const auto& [name, term] : corpus) {
    auto bytes = etf::encode(term);
    if (!bytes) {
      std::fprintf(stderr, "cannot encode %s: %s\n", name.c_str(),
                   bytes.error().to_string().c_str());
      return 1;
    }
    encoded.push_back(std::move(*bytes));
  }
  if (argc > 1 && std::strcmp(argv[1], "--dump-corpus") == 0) {
    for (size_t i = 0; i < corpus.size(); ++i)
      std::printf("%s %s\n", corpus[i].first.c_str(), hex(encoded[i]).c_str());
    return 0;
  }
  for (size_t i = 0; i < corpus.size(); ++i) {
    const auto& name = corpus[i].first;
    benchmark::RegisterBenchmark(("encode/" + name).c_str(), bm_encode, corpus[i].second);
    benchmark::RegisterBenchmark(("decode/" + name).c_str(), bm_decode, encoded[i],
                                 etf::BinaryMode::copy);
    benchmark::RegisterBenchmark(("decode_borrow/" + name).c_str(), bm_decode, encoded[i],
                                 etf::BinaryMode::borrow);
  }
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
