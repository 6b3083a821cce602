// service/log_sink.h and service/json_string.h: the text and JSON log
// lines, and that every JSON line parses whatever bytes the message holds.
#include "service/log_sink.h"

#include <gtest/gtest.h>

#include <chrono>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "service/json_string.h"

namespace beamlink::service {
namespace {

using namespace std::chrono_literals;

// 2026-12-07T12:00:00.123Z
const std::chrono::system_clock::time_point kAt =
    std::chrono::system_clock::time_point(std::chrono::seconds(1796644800)) + 123ms;

TEST(LogSinkTest, TextLineKeepsTheCliFormat) {
  EXPECT_EQ(format_log_line(LogFormat::text, kAt, LogLevel::warning, "static", "cannot connect"),
            "2026-12-07T12:00:00.123Z warning [beamlink:static] cannot connect");
}

TEST(LogSinkTest, JsonLineHasTsLevelAreaMsg) {
  std::string line = format_log_line(LogFormat::json, kAt, LogLevel::info, "node", "ready");
  EXPECT_EQ(line,
            R"({"ts":"2026-12-07T12:00:00.123Z","level":"info","area":"node","msg":"ready"})");
  auto parsed = nlohmann::json::parse(line);
  EXPECT_EQ(parsed["msg"], "ready");
}

TEST(LogSinkTest, JsonEscapesQuotesBackslashesAndControlCharacters) {
  const std::string message = std::string("say \"hi\" \\ path\nnext\tcol\r\x01\x1f\x7f end");
  std::string line = format_log_line(LogFormat::json, kAt, LogLevel::error, "a\"rea", message);
  EXPECT_EQ(line.find('\n'), std::string::npos) << "one line: " << line;
  auto parsed = nlohmann::json::parse(line);
  EXPECT_EQ(parsed["msg"], message);
  EXPECT_EQ(parsed["area"], "a\"rea");
  EXPECT_EQ(parsed["level"], "error");
}

TEST(LogSinkTest, JsonKeepsUtf8AndReplacesMalformedBytes) {
  EXPECT_EQ(json_string("h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80"),
            "\"h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80\"");
  // A lone continuation byte, a truncated sequence, an overlong '/', a
  // surrogate and a code point above U+10FFFF: each byte becomes U+FFFD.
  const std::string bad[] = {"\x80",         "\xe2\x82",         "\xc0\xaf",
                             "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xff"};
  for (const std::string& bytes : bad) {
    std::string literal = json_string("a" + bytes + "b");
    auto parsed = nlohmann::json::parse(literal);  // throws on invalid UTF-8
    std::string text = parsed.get<std::string>();
    EXPECT_EQ(text.front(), 'a');
    EXPECT_EQ(text.back(), 'b');
    EXPECT_NE(text.find("\xef\xbf\xbd"), std::string::npos) << literal;
  }
}

TEST(LogSinkTest, SinkFiltersByLevelAndWritesOneLinePerCall) {
  std::mutex mu;
  std::vector<std::string> lines;
  Logger sink = make_log_sink(LogFormat::json, LogLevel::info, [&](std::string_view line) {
    std::lock_guard lock(mu);
    lines.emplace_back(line);
  });
  sink(LogLevel::debug, "node", "hidden");
  sink(LogLevel::info, "node", "shown");
  sink(LogLevel::error, "k8s", "also shown");
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(nlohmann::json::parse(lines[0])["msg"], "shown");
  EXPECT_EQ(nlohmann::json::parse(lines[1])["area"], "k8s");
}

}  // namespace
}  // namespace beamlink::service
