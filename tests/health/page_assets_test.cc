#include "health/page_assets.h"

#include <gtest/gtest.h>

namespace beamlink::health {
namespace {

TEST(PageAssets, RootIsTheEmbeddedIndexPage) {
  auto page = find_page_asset("/");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->content_type, "text/html; charset=utf-8");
  EXPECT_TRUE(page->body.starts_with("<!doctype html>"));
  EXPECT_NE(page->body.find("page.js"), std::string_view::npos);
  EXPECT_EQ(find_page_asset("/index.html")->body, page->body);
}

TEST(PageAssets, ScriptAndStyleAreServedWithTheirTypes) {
  auto script = find_page_asset("/page.js");
  ASSERT_TRUE(script);
  EXPECT_EQ(script->content_type, "text/javascript; charset=utf-8");
  EXPECT_NE(script->body.find("EventSource"), std::string_view::npos);
  auto style = find_page_asset("/page.css");
  ASSERT_TRUE(style);
  EXPECT_EQ(style->content_type, "text/css; charset=utf-8");
}

TEST(PageAssets, EveryFileIsWholeAndNothingElseIsFound) {
  for (const EmbeddedFile& file : embedded_web_files()) {
    EXPECT_FALSE(file.bytes.empty()) << file.name;
    EXPECT_EQ(file.bytes.find('\0'), std::string_view::npos) << file.name;
    EXPECT_EQ(file.bytes.back(), '\n') << file.name;
  }
  EXPECT_FALSE(find_page_asset("/nope.js"));
  EXPECT_FALSE(find_page_asset("/../CMakeLists.txt"));
  EXPECT_FALSE(find_page_asset("page.js"));
  EXPECT_FALSE(find_page_asset(""));
}

}  // namespace
}  // namespace beamlink::health
