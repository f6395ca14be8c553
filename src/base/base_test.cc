// Tests for base helpers: Status, JSON depth guard, time formatting, base64.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <vector>

#include "base/base64.h"
#include "base/json.h"
#include "base/status.h"
#include "base/time.h"

namespace skiff {
namespace {

TEST(StatusTest, OkAndErrors) {
  EXPECT_TRUE(Status::Ok().ok());
  Status s = NotFound("x").WithContext("loading");
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(s.message(), "loading: x");
  StatusOr<int> v = 3;
  EXPECT_EQ(*v, 3);
  StatusOr<int> e = Internal("boom");
  EXPECT_FALSE(e.ok());
}

TEST(JsonTest, ParseErrorsAndDepth) {
  EXPECT_TRUE(ParseJson(R"({"a":[1,2]})").ok());
  EXPECT_FALSE(ParseJson("{").ok());
  std::string deep(1000, '[');
  EXPECT_EQ(ParseJson(deep).status().code(), StatusCode::kInvalidArgument);
  // Brackets inside strings don't count.
  EXPECT_TRUE(ParseJson("\"" + deep + "\"").ok());
  EXPECT_EQ(DumpJson(Json{{"s", "a\nb"}}).find('\n'), std::string::npos);
}

TEST(JsonTest, Utf8Validation) {
  EXPECT_TRUE(IsValidUtf8("plain ascii"));
  EXPECT_TRUE(IsValidUtf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));
  EXPECT_FALSE(IsValidUtf8("\xff"));
  EXPECT_FALSE(IsValidUtf8("\xc3"));              // truncated
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));          // overlong
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));      // surrogate
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // > U+10FFFF
}

TEST(TimeTest, Rfc3339RoundTripAndHuman) {
  auto t = ParseRfc3339("2025-01-02T03:04:05Z");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(FormatRfc3339(*t), "2025-01-02T03:04:05Z");
  auto f = ParseRfc3339("2025-01-02T03:04:05.123456+01:00");
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(FormatRfc3339(*f, 6), "2025-01-02T02:04:05.123456Z");
  EXPECT_FALSE(ParseRfc3339("yesterday").ok());
  using namespace std::chrono;
  EXPECT_EQ(HumanDuration(seconds(45)), "45s");
  EXPECT_EQ(HumanDuration(seconds(312)), "5m12s");
  EXPECT_EQ(HumanDuration(hours(50)), "2d2h");
}

TEST(Base64Test, RoundTrip) {
  for (std::string s : std::vector<std::string>{"", "a", "ab", "abc", "hello world", std::string("\0\xff", 2)}) {
    EXPECT_EQ(Base64Decode(Base64Encode(s)), s);
    EXPECT_EQ(Base64Decode(Base64Encode(s, true, false)), s);
  }
  EXPECT_EQ(Base64Encode("hi"), "aGk=");
  EXPECT_FALSE(Base64Decode("a$b").has_value());
}

}  // namespace
}  // namespace skiff
