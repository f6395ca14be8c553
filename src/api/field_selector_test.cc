// Field selector tests: parsing, escapes, matching through GetFieldValue.
#include "api/field_selector.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace skiff::api {
namespace {

Json J(const char* text) { return Json::parse(text); }

bool Matches(std::string_view sel, const Json& obj) {
  auto s = ParseFieldSelector(sel);
  EXPECT_TRUE(s.ok()) << sel << ": " << s.status().ToString();
  return s.ok() && s->Matches([&](std::string_view f) { return GetFieldValue(obj, f); });
}

TEST(FieldSelectorTest, ParsesTerms) {
  auto s = ParseFieldSelector("metadata.name=foo,status.phase!=Running,spec.nodeName==n1");
  ASSERT_TRUE(s.ok());
  ASSERT_EQ(s->requirements().size(), 3u);
  // Sorted by term text, as upstream.
  EXPECT_EQ(s->requirements()[0].field, "metadata.name");
  EXPECT_TRUE(s->requirements()[0].equals);
  EXPECT_EQ(s->requirements()[1].field, "spec.nodeName");
  EXPECT_EQ(s->requirements()[1].value, "n1");
  EXPECT_EQ(s->requirements()[2].field, "status.phase");
  EXPECT_FALSE(s->requirements()[2].equals);
  EXPECT_EQ(s->ToString(), "metadata.name=foo,spec.nodeName=n1,status.phase!=Running");
  EXPECT_TRUE(ParseFieldSelector("")->Empty());
}

TEST(FieldSelectorTest, Escapes) {
  auto s = ParseFieldSelector(R"(metadata.name=a\,b\=c\\d)");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  ASSERT_EQ(s->requirements().size(), 1u);
  EXPECT_EQ(s->requirements()[0].value, R"(a,b=c\d)");
  EXPECT_EQ(s->ToString(), R"(metadata.name=a\,b\=c\\d)");
  for (const char* bad : {R"(a=b\q)", R"(a=b\)", "a=b=c", "novalue", "a"}) {
    auto r = ParseFieldSelector(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().details()->http_code, 400);
  }
  EXPECT_EQ(ParseFieldSelector("x").status().message(),
            "invalid selector: 'x'; can't understand 'x'");
  EXPECT_EQ(ParseFieldSelector(R"(a=\q)").status().message(),
            "invalid field selector: invalid escape sequence: \\q");
}

TEST(FieldSelectorTest, MatchesObjects) {
  Json pod = J(R"({"metadata":{"name":"p1","namespace":"default"},
                   "spec":{"nodeName":"n1","hostNetwork":true,"priority":5},
                   "status":{"phase":"Running"}})");
  EXPECT_TRUE(Matches("metadata.name=p1,metadata.namespace=default", pod));
  EXPECT_FALSE(Matches("metadata.name=p2", pod));
  EXPECT_TRUE(Matches("status.phase!=Pending", pod));
  EXPECT_TRUE(Matches("spec.hostNetwork=true", pod));
  EXPECT_TRUE(Matches("spec.priority=5", pod));
  EXPECT_TRUE(Matches("spec.schedulerName=", pod));  // missing compares as ""
  EXPECT_FALSE(Matches("spec.schedulerName!=", pod));
  Json event = J(R"({"involvedObject":{"kind":"Widget","uid":"u-1"},"reason":"Created"})");
  EXPECT_TRUE(Matches("involvedObject.kind=Widget,involvedObject.uid=u-1,reason=Created", event));
}

TEST(FieldSelectorTest, GetFieldValue) {
  Json obj = J(R"({"a":{"b":"x","t":false,"n":42,"f":1.5,"o":{},"z":null}})");
  EXPECT_EQ(GetFieldValue(obj, "a.b"), "x");
  EXPECT_EQ(GetFieldValue(obj, "a.t"), "false");
  EXPECT_EQ(GetFieldValue(obj, "a.n"), "42");
  EXPECT_EQ(GetFieldValue(obj, "a.f"), "1.5");
  EXPECT_EQ(GetFieldValue(obj, "a.o"), std::nullopt);
  EXPECT_EQ(GetFieldValue(obj, "a.z"), std::nullopt);
  EXPECT_EQ(GetFieldValue(obj, "a.missing"), std::nullopt);
  EXPECT_EQ(GetFieldValue(obj, "a.b.c"), std::nullopt);
}

}  // namespace
}  // namespace skiff::api
