#include "discovery/hosts_file.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace beamlink::discovery {
namespace {

TEST(HostsFile, ParsesAtomsCommentsAndQuotes) {
  auto hosts = parse_hosts_file(
      "% the cluster's hosts\n"
      "'host1.example.com'.\n"
      "host2. % a bare atom\n"
      "  '127.0.0.2'.\n"
      "'a.b'. 'c'.\n");
  ASSERT_TRUE(hosts) << hosts.error().message;
  EXPECT_EQ(*hosts,
            (std::vector<std::string>{"host1.example.com", "host2", "127.0.0.2", "a.b", "c"}));
}

TEST(HostsFile, EmptyAndCommentOnlyFilesHaveNoHosts) {
  EXPECT_EQ(parse_hosts_file("")->size(), 0u);
  EXPECT_EQ(parse_hosts_file("% nothing\n\n  % here\n")->size(), 0u);
}

TEST(HostsFile, ErrorsNameTheLine) {
  auto missing_stop = parse_hosts_file("'a'.\n'b'\n");
  ASSERT_FALSE(missing_stop);
  EXPECT_EQ(missing_stop.error().code, Errc::malformed);
  EXPECT_NE(missing_stop.error().message.find("line 2"), std::string::npos)
      << missing_stop.error().message;
  EXPECT_NE(missing_stop.error().message.find("full stop"), std::string::npos);

  auto not_atom = parse_hosts_file("'a'.\n\n\"b\".\n");
  ASSERT_FALSE(not_atom);
  EXPECT_NE(not_atom.error().message.find("line 3"), std::string::npos) << not_atom.error().message;
  EXPECT_NE(not_atom.error().message.find("atom"), std::string::npos);

  auto number = parse_hosts_file("42.\n");
  ASSERT_FALSE(number);

  auto garbage = parse_hosts_file("{{{.\n");
  ASSERT_FALSE(garbage);
  EXPECT_EQ(garbage.error().code, Errc::malformed);

  auto unterminated_quote = parse_hosts_file("'abc.\n");
  ASSERT_FALSE(unterminated_quote);

  // The message stays on one line (it goes to the log as one record).
  auto multi_line = parse_hosts_file("not erlang {\nstill going\n");
  ASSERT_FALSE(multi_line);
  EXPECT_EQ(multi_line.error().message.find('\n'), std::string::npos) << multi_line.error().message;
}

TEST(HostsFile, FindsWorkingDirectoryFirstThenHome) {
  auto base = std::filesystem::temp_directory_path() / ("bl-hosts-" + std::to_string(::getpid()));
  auto cwd = base / "cwd";
  auto home = base / "home";
  std::filesystem::create_directories(cwd);
  std::filesystem::create_directories(home);
  EXPECT_FALSE(find_hosts_file(cwd.string(), home.string()));
  std::ofstream(home / ".hosts.erlang") << "'h'.\n";
  EXPECT_EQ(find_hosts_file(cwd.string(), home.string()), (home / ".hosts.erlang").string());
  std::ofstream(cwd / ".hosts.erlang") << "'c'.\n";
  EXPECT_EQ(find_hosts_file(cwd.string(), home.string()), (cwd / ".hosts.erlang").string());
  auto hosts = read_hosts_file((cwd / ".hosts.erlang").string());
  ASSERT_TRUE(hosts);
  EXPECT_EQ(*hosts, std::vector<std::string>{"c"});
  auto missing = read_hosts_file((base / "nope").string());
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, Errc::io);
  std::filesystem::remove_all(base);
}

}  // namespace
}  // namespace beamlink::discovery
