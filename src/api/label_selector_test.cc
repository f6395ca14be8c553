// Label selector tests: string syntax, matching semantics, errors and metav1.LabelSelector.
#include "api/label_selector.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace skiff::api {
namespace {

Json J(const char* text) { return Json::parse(text); }

LabelSelector Must(std::string_view s) {
  auto r = ParseLabelSelector(s);
  EXPECT_TRUE(r.ok()) << s << ": " << r.status().ToString();
  return r.ok() ? *r : LabelSelector();
}

bool M(std::string_view sel, const char* labels) { return Must(sel).Matches(J(labels)); }

TEST(LabelSelectorTest, EqualityAndSets) {
  EXPECT_TRUE(M("app=demo", R"({"app":"demo","tier":"x"})"));
  EXPECT_TRUE(M("app==demo", R"({"app":"demo"})"));
  EXPECT_FALSE(M("app=demo", R"({"app":"other"})"));
  EXPECT_FALSE(M("app=demo", "null"));
  EXPECT_TRUE(M("app!=demo", R"({"app":"other"})"));
  EXPECT_TRUE(M("app!=demo", "{}"));  // != matches objects without the key
  EXPECT_TRUE(M("env in (prod, staging)", R"({"env":"staging"})"));
  EXPECT_FALSE(M("env in (prod,staging)", R"({"env":"dev"})"));
  EXPECT_FALSE(M("env in (prod)", "{}"));
  EXPECT_TRUE(M("env notin (prod)", "{}"));
  EXPECT_FALSE(M("env notin (prod)", R"({"env":"prod"})"));
  EXPECT_TRUE(M("app", R"({"app":""})"));
  EXPECT_FALSE(M("!app", R"({"app":""})"));
  EXPECT_TRUE(M("!app", R"({"x":"1"})"));
  EXPECT_TRUE(M("", R"({"x":"1"})"));
}

TEST(LabelSelectorTest, ConjunctionWhitespaceAndNumbers) {
  const char* labels = R"({"app":"demo","tier":"web","gen":"7","example.com/team":"a"})";
  EXPECT_TRUE(M(" app = demo , tier!=db,example.com/team in (a,b),!legacy ", labels));
  EXPECT_FALSE(M("app=demo,tier=db", labels));
  EXPECT_TRUE(M("gen>5", labels));
  EXPECT_FALSE(M("gen<5", labels));
  EXPECT_FALSE(M("app>5", labels));            // not an integer label
  EXPECT_TRUE(M("tier in (in,web)", labels));  // keywords are plain values inside ()
  EXPECT_TRUE(M("app=", R"({"app":""})"));
  EXPECT_TRUE(M("app in (),x!=y", R"({"app":""})"));
}

TEST(LabelSelectorTest, CanonicalString) {
  EXPECT_EQ(Must("tier notin (b,a),app=demo,!old,x,gen>3").ToString(),
            "app=demo,gen>3,!old,tier notin (a,b),x");
  EXPECT_TRUE(Must("").Empty());
  EXPECT_EQ(Must("").ToString(), "");
}

TEST(LabelSelectorTest, ErrorsUseUpstreamWording) {
  struct Case {
    const char* in;
    const char* want;
  };
  for (const Case& c : std::vector<Case>{
           {"app=demo,", "found '', expected: identifier after ','"},
           {"app in (a", "unable to parse requirement: found '', expected: ',' or ')'"},
           {"app in a", "unable to parse requirement: found 'a' expected: '('"},
           {"app demo",
            "unable to parse requirement: found 'demo', expected: in, notin, =, ==, "
            "!=, gt, lt"},
           {"=x", "found '=', expected: !, identifier, or 'end of string'"},
           {"app=a=b", "found '=', expected: ',' or 'end of string'"},
           {"k/x/y=1", "a qualified name must consist of"},
           {"Bad_Prefix/x=1", "prefix part a lowercase RFC 1123 subdomain"},
           {"app=-bad-", "values[0]: Invalid value: \"-bad-\": a valid label must be"},
           {"gen>abc", "for 'Gt', 'Lt' operators, the value must be an integer"}}) {
    auto r = ParseLabelSelector(c.in);
    ASSERT_FALSE(r.ok()) << c.in;
    EXPECT_NE(r.status().message().find(c.want), std::string::npos)
        << c.in << " -> " << r.status().message();
    ASSERT_NE(r.status().details(), nullptr);
    EXPECT_EQ(r.status().details()->http_code, 400);
  }
  std::string long_value(64, 'a');
  EXPECT_FALSE(ParseLabelSelector("app=" + long_value).ok());
}

TEST(LabelSelectorTest, FromJson) {
  auto s = LabelSelectorFromJson(J(R"({"matchLabels":{"app":"demo"},
      "matchExpressions":[{"key":"tier","operator":"In","values":["web","api"]},
                          {"key":"legacy","operator":"DoesNotExist"}]})"));
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->ToString(), "app=demo,!legacy,tier in (api,web)");
  EXPECT_TRUE(s->Matches(J(R"({"app":"demo","tier":"api"})")));
  EXPECT_FALSE(s->Matches(J(R"({"app":"demo","tier":"api","legacy":"1"})")));
  EXPECT_TRUE(LabelSelectorFromJson(J("null"))->Empty());
  EXPECT_TRUE(LabelSelectorFromJson(J("{}"))->Matches(J(R"({"a":"b"})")));
  auto bad = LabelSelectorFromJson(J(R"({"matchExpressions":[{"key":"a","operator":"Gt"}]})"));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "\"Gt\" is not a valid label selector operator");
  EXPECT_FALSE(LabelSelectorFromJson(J(R"({"matchExpressions":[{"key":"a","operator":"In"}]})"))
                   .ok());  // In needs values
  EXPECT_FALSE(LabelSelectorFromJson(J(R"({"matchExpressions":[{"key":"a","operator":"Exists",
                                                       "values":["x"]}]})"))
                   .ok());
}

}  // namespace
}  // namespace skiff::api
