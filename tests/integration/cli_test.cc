// The beamlink CLI as a user runs it: every command's --help, `term
// encode/decode` against a real erl, and `beamlink epmd` / `beamlink names`
// side by side with Erlang's own epmd client and a real erl node.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "integration/support/child_process.h"
#include "integration/support/subprocess.h"
#include "integration/support/test_env.h"

namespace beamlink {
namespace {

using namespace std::chrono_literals;
using testing::ChildProcess;
using testing::ProcessResult;

const std::string kCli = BEAMLINK_CLI_PATH;

ProcessResult cli(std::vector<std::string> args, std::string_view input = "") {
  args.insert(args.begin(), kCli);
  return testing::run_process(args, input, 30s);
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

std::vector<std::string> split(const std::string& text, char sep) {
  std::vector<std::string> parts;
  std::string part;
  std::istringstream in(text);
  while (std::getline(in, part, sep)) parts.push_back(part);
  return parts;
}

TEST(Cli, EveryCommandHasHelp) {
  for (std::vector<std::string> command : {std::vector<std::string>{},
                                           {"epmd"},
                                           {"names"},
                                           {"term"},
                                           {"term", "encode"},
                                           {"term", "decode"}}) {
    command.push_back("--help");
    ProcessResult r = cli(command);
    std::string joined;
    for (const auto& c : command) joined += c + " ";
    EXPECT_EQ(r.exit_code, 0) << joined << r.err;
    EXPECT_NE(r.out.find("Usage:"), std::string::npos) << joined << r.out;
  }
}

TEST(Cli, UnknownCommandIsAUsageError) {
  ProcessResult r = cli({"frobnicate"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_FALSE(r.err.empty());
}

// Terms written in Erlang syntax; beamlink and erl must agree on their bytes
// and on how they print.
const std::vector<std::string> kTerms = {
    "{ok,[1,2,3]}",
    "'quoted atom'",
    "<<1,2>>",
    "<<\"text\">>",
    "#{a => 1,\"k\" => [x]}",
    "\"string\"",
    "[1|2]",
    "-123456789012345678901234567890",
    "3.14",
    "<<1:3>>",
    "{[],{},#{},<<>>}",
    "'h\xc3\xa9llo'",
    "\"h\xc3\xa9llo\xe2\x82\xac\"",
    "[{a,1.0e100},-0.5,255,256,-2147483649]",
};

TEST(Cli, TermEncodeAndDecodeAgreeWithRealErl) {
  // beamlink encodes each term; erl evaluates the same text, checks that
  // binary_to_term of beamlink's bytes is exactly equal, and prints its own
  // term_to_binary bytes and ~0tp text for the decode direction.
  std::string lines;
  for (const auto& text : kTerms) {
    ProcessResult r = cli({"term", "encode", text});
    ASSERT_EQ(r.exit_code, 0) << text << ": " << r.err;
    lines += text + "\t" + trim(r.out) + "\n";
  }
  std::string path = ::testing::TempDir() + "/cli_terms_" + testing::unique_node_name("t") + ".txt";
  std::ofstream(path) << lines;
  const char* script =
      "io:setopts([{encoding, unicode}]),"
      "[File] = init:get_plain_arguments(),"
      "{ok, B} = file:read_file(File),"
      "Check = fun(<<>>) -> ok; (L) ->"
      "  [Expr, Hex] = string:split(L, <<\"\\t\">>),"
      "  {ok, Toks, _} = erl_scan:string(unicode:characters_to_list(Expr) ++ \".\"),"
      "  {ok, Es} = erl_parse:parse_exprs(Toks),"
      "  {value, T, _} = erl_eval:exprs(Es, []),"
      "  Same = binary_to_term(binary:decode_hex(Hex)) =:= T,"
      "  io:format(\"~s\\t~s\\t~ts~n\", [Same, binary:encode_hex(term_to_binary(T)),"
      "                                  io_lib:format(\"~0tp\", [T])])"
      "end,"
      "lists:foreach(Check, string:split(B, <<\"\\n\">>, all)),"
      "halt().";
  // +pc unicode: print Unicode lists as strings, as beamlink does by default.
  ProcessResult erl = testing::run_process(
      {"erl", "+pc", "unicode", "-noshell", "-noinput", "-eval", script, "-extra", path}, "", 60s);
  std::remove(path.c_str());
  ASSERT_EQ(erl.exit_code, 0) << "erl failed (is erlang-base installed?): " << erl.err << erl.out;
  std::vector<std::string> rows = split(erl.out, '\n');
  ASSERT_EQ(rows.size(), kTerms.size()) << erl.out;
  for (size_t i = 0; i < kTerms.size(); ++i) {
    std::vector<std::string> cols = split(rows[i], '\t');
    ASSERT_EQ(cols.size(), 3u) << rows[i];
    EXPECT_EQ(cols[0], "true") << "erl reads beamlink's bytes for " << kTerms[i]
                               << " as a different term";
    ProcessResult decoded = cli({"term", "decode", cols[1]});
    ASSERT_EQ(decoded.exit_code, 0) << decoded.err;
    EXPECT_EQ(trim(decoded.out), cols[2]) << "printing erl's bytes for " << kTerms[i];
  }
}

TEST(Cli, CompressedEncodingIsReadByErl) {
  std::string big = "[";
  for (int i = 0; i < 500; ++i)
    big += (i ? "," : "") + std::string("{item,") + std::to_string(i) + "}";
  big += "]";
  ProcessResult enc = cli({"term", "encode", "--compressed", big});
  ASSERT_EQ(enc.exit_code, 0) << enc.err;
  EXPECT_EQ(enc.out.substr(0, 4), "8350");  // 131, 80: a compressed term
  std::string script =
      "T = binary_to_term(binary:decode_hex(<<\"" + trim(enc.out) +
      "\">>)), io:format(\"~p~n\", [T =:= [{item, I} || I <- lists:seq(0, 499)]]), halt().";
  ProcessResult erl =
      testing::run_process({"erl", "-noshell", "-noinput", "-eval", script}, "", 60s);
  ASSERT_EQ(erl.exit_code, 0) << erl.err;
  EXPECT_EQ(trim(erl.out), "true");
}

TEST(Cli, MalformedInputGivesAClearError) {
  ProcessResult truncated = cli({"term", "decode", "836803"});  // a 3-tuple with no elements
  EXPECT_EQ(truncated.exit_code, 1);
  EXPECT_NE(truncated.err.find("offset"), std::string::npos) << truncated.err;
  ProcessResult not_hex = cli({"term", "decode", "83zz"});
  EXPECT_EQ(not_hex.exit_code, 1);
  EXPECT_NE(not_hex.err.find("hex"), std::string::npos) << not_hex.err;
  ProcessResult bad_text = cli({"term", "encode", "{ok,"});
  EXPECT_EQ(bad_text.exit_code, 1);
  EXPECT_NE(bad_text.err.find("column"), std::string::npos) << bad_text.err;
}

TEST(Cli, RawRoundTripThroughStdin) {
  ProcessResult enc = cli({"term", "encode", "--format", "raw", "{a,<<0,255,10>>}"});
  ASSERT_EQ(enc.exit_code, 0);
  ProcessResult dec = cli({"term", "decode", "--raw"}, enc.out);
  ASSERT_EQ(dec.exit_code, 0) << dec.err;
  EXPECT_EQ(trim(dec.out), "{a,<<0,255,10>>}");
}

TEST(Cli, EpmdDaemonServesRealErlAndNamesMatchesEpmd) {
  uint16_t port = 0;
  std::optional<ChildProcess> daemon;
  for (int attempt = 0; attempt < 5 && !daemon; ++attempt) {
    port = testing::free_port();
    auto spawned = ChildProcess::spawn(
        {kCli, "epmd", "--address", "127.0.0.1", "--port", std::to_string(port)});
    ASSERT_TRUE(spawned) << spawned.error();
    bool up = testing::eventually(
        [&] {
          return cli({"names", "127.0.0.1", "--port", std::to_string(port), "--timeout", "200"})
                     .exit_code == 0;
        },
        5s);
    if (up) daemon = std::move(*spawned);
  }
  ASSERT_TRUE(daemon) << "beamlink epmd did not come up";

  std::string name = testing::unique_node_name("cli");
  auto node = ChildProcess::spawn(
      {"erl", "-start_epmd", "false", "-name", name + "@127.0.0.1", "-setcookie", "cli-test",
       "-kernel", "inet_dist_use_interface", "{127,0,0,1}", "-noshell", "-noinput"},
      {{"ERL_EPMD_PORT", std::to_string(port)}});
  ASSERT_TRUE(node) << node.error();
  ProcessResult ours;
  ASSERT_TRUE(testing::eventually([&] {
    ours = cli({"names", "127.0.0.1", "--port", std::to_string(port)});
    return ours.out.find("name " + name + " at port ") != std::string::npos;
  })) << ours.out
      << ours.err << node->output();

  ProcessResult theirs = testing::run_process(
      {"env", "ERL_EPMD_PORT=" + std::to_string(port), "epmd", "-names"}, "", 30s);
  ASSERT_EQ(theirs.exit_code, 0) << theirs.err;
  EXPECT_EQ(ours.out, theirs.out);
  EXPECT_NE(ours.out.find("epmd: up and running on port " + std::to_string(port) + " with data:"),
            std::string::npos)
      << ours.out;

  node->stop(SIGKILL);
  EXPECT_TRUE(testing::eventually([&] {
    return cli({"names", "127.0.0.1", "--port", std::to_string(port)}).out.find(name) ==
           std::string::npos;
  })) << "the registration must end when the node's socket closes";

  EXPECT_EQ(daemon->stop(SIGTERM, 5s), 0) << daemon->output();
  EXPECT_NE(daemon->output().find("stopping on SIGTERM"), std::string::npos) << daemon->output();
}

TEST(Cli, NamesWithoutADaemonFailsClearly) {
  uint16_t port = testing::free_port();
  ProcessResult r =
      cli({"names", "127.0.0.1", "--port", std::to_string(port), "--timeout", "1000"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("cannot list names at 127.0.0.1:" + std::to_string(port)), std::string::npos)
      << r.err;
}

}  // namespace
}  // namespace beamlink
