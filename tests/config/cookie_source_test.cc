#include "config/cookie_source.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <map>

namespace beamlink::config {
namespace {

class CookieSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "/cookie_" + std::to_string(getpid()) + "_" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    ::mkdir(dir_.c_str(), 0700);
    env_["HOME"] = dir_;
  }
  void TearDown() override {
    std::remove((dir_ + "/.erlang.cookie").c_str());
    std::remove((dir_ + "/given").c_str());
    ::rmdir(dir_.c_str());
  }
  void write(const std::string& name, const std::string& text, mode_t mode) {
    std::string path = dir_ + "/" + name;
    std::ofstream(path) << text;
    ::chmod(path.c_str(), mode);
  }
  CookieInputs inputs() {
    CookieInputs in;
    in.env = [this](const std::string& name) -> std::optional<std::string> {
      auto it = env_.find(name);
      if (it == env_.end()) return std::nullopt;
      return it->second;
    };
    return in;
  }
  std::string dir_;
  std::map<std::string, std::string> env_;
};

TEST_F(CookieSourceTest, FlagWinsOverEverything) {
  write(".erlang.cookie", "home\n", 0400);
  env_["BEAMLINK_COOKIE"] = "env";
  CookieInputs in = inputs();
  in.flag = "flag";
  auto r = resolve_cookie(in);
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(r->cookie, "flag");
  EXPECT_EQ(r->source, "--cookie");
}

TEST_F(CookieSourceTest, FileBeatsEnvironment) {
  write("given", "  from-file  \nsecond line ignored\n", 0644);
  env_["BEAMLINK_COOKIE"] = "env";
  CookieInputs in = inputs();
  in.file = dir_ + "/given";
  auto r = resolve_cookie(in);
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(r->cookie, "from-file");
}

TEST_F(CookieSourceTest, BeamlinkCookieThenReleaseCookie) {
  env_["RELEASE_COOKIE"] = "release";
  auto r = resolve_cookie(inputs());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->cookie, "release");
  EXPECT_EQ(r->source, "RELEASE_COOKIE");
  env_["BEAMLINK_COOKIE"] = "beamlink";
  r = resolve_cookie(inputs());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->cookie, "beamlink");
}

TEST_F(CookieSourceTest, HomeErlangCookieLast) {
  write(".erlang.cookie", "SECRETCOOKIE", 0400);
  auto r = resolve_cookie(inputs());
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(r->cookie, "SECRETCOOKIE");
  EXPECT_EQ(r->source, "~/.erlang.cookie");
}

TEST_F(CookieSourceTest, HomeCookieReadableByOthersIsRefused) {
  write(".erlang.cookie", "SECRETCOOKIE", 0644);
  auto r = resolve_cookie(inputs());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::invalid_argument);
  EXPECT_NE(r.error().message.find("owner only"), std::string::npos);
}

TEST_F(CookieSourceTest, NothingFoundSaysWhereItLooked) {
  auto r = resolve_cookie(inputs());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::not_found);
  EXPECT_NE(r.error().message.find("RELEASE_COOKIE"), std::string::npos);
}

TEST_F(CookieSourceTest, EmptyAndMissingFilesAreErrors) {
  write("given", "\n", 0600);
  CookieInputs in = inputs();
  in.file = dir_ + "/given";
  EXPECT_EQ(resolve_cookie(in).error().code, Errc::invalid_argument);
  in.file = dir_ + "/absent";
  EXPECT_EQ(resolve_cookie(in).error().code, Errc::not_found);
  CookieInputs empty_flag = inputs();
  empty_flag.flag = "";
  EXPECT_EQ(resolve_cookie(empty_flag).error().code, Errc::invalid_argument);
}

}  // namespace
}  // namespace beamlink::config
