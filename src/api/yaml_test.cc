// Tests for the YAML codec: go-yaml v2 scalar resolution, documents, limits, and ToYaml output.
#include "api/yaml.h"

#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

namespace skiff::api {
namespace {

Json One(std::string_view text) {
  auto j = ParseYamlOrJson(text);
  EXPECT_TRUE(j.ok()) << text << "\n" << j.status().ToString();
  return j.ok() ? *j : Json();
}

// The value of key "v" in "v: <scalar>".
Json Scalar(const std::string& scalar) { return One("v: " + scalar)["v"]; }

TEST(YamlTest, PlainScalarsResolveLikeGoYamlV2) {
  for (auto s : {"true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON", "y", "Y"}) {
    EXPECT_EQ(Scalar(s), Json(true)) << s;
  }
  for (auto s : {"false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF", "n", "N"}) {
    EXPECT_EQ(Scalar(s), Json(false)) << s;
  }
  for (auto s : {"~", "null", "Null", "NULL", ""}) {
    EXPECT_TRUE(Scalar(s).is_null()) << s;
  }
  EXPECT_EQ(Scalar("tRUE"), Json("tRUE"));
  EXPECT_EQ(Scalar("nULL"), Json("nULL"));

  EXPECT_EQ(Scalar("42"), Json(42));
  EXPECT_TRUE(Scalar("42").is_number_integer());
  EXPECT_EQ(Scalar("-17"), Json(-17));
  EXPECT_EQ(Scalar("+17"), Json(17));
  EXPECT_EQ(Scalar("0x1F"), Json(31));
  EXPECT_EQ(Scalar("-0x10"), Json(-16));
  EXPECT_EQ(Scalar("0o17"), Json(15));
  EXPECT_EQ(Scalar("017"), Json(15));  // leading 0 is octal
  EXPECT_EQ(Scalar("0b101"), Json(5));
  EXPECT_EQ(Scalar("1_000"), Json(1000));
  EXPECT_EQ(Scalar("08"), Json(8));  // not octal, so a float 8.0, so the integer 8
  EXPECT_EQ(Scalar("0"), Json(0));
  EXPECT_EQ(Scalar("9223372036854775807"), Json(INT64_MAX));
  EXPECT_EQ(Scalar("-9223372036854775808"), Json(INT64_MIN));
  EXPECT_TRUE(Scalar("9223372036854775808").is_number_unsigned());
  EXPECT_TRUE(Scalar("99999999999999999999999").is_number_float());

  EXPECT_EQ(Scalar("1.5"), Json(1.5));
  EXPECT_TRUE(Scalar("1.5").is_number_float());
  EXPECT_EQ(Scalar("-.5"), Json(-0.5));
  EXPECT_EQ(Scalar(".5"), Json(0.5));
  EXPECT_EQ(Scalar("1e3"), Json(1000));
  EXPECT_TRUE(Scalar("1e3").is_number_integer());  // whole floats read back as integers
  EXPECT_TRUE(Scalar("3.0").is_number_integer());
  EXPECT_EQ(Scalar("2.5E-1"), Json(0.25));
  EXPECT_TRUE(std::isinf(Scalar(".inf").get<double>()));
  EXPECT_LT(Scalar("-.Inf").get<double>(), 0);
  EXPECT_TRUE(std::isnan(Scalar(".nan").get<double>()));

  for (auto s : {"1.2.3", "12:30", "0x", "1e400", "abc", "+", "2024-01-02", "1_a", ".", "v1",
                 "0.1.2", "1e", "e3", "Yes!", "~x"}) {
    EXPECT_EQ(Scalar(s), Json(s)) << s;
  }
}

TEST(YamlTest, QuotedTaggedAndBlockScalarsAreStrings) {
  EXPECT_EQ(Scalar("\"true\""), Json("true"));
  EXPECT_EQ(Scalar("'123'"), Json("123"));
  EXPECT_EQ(Scalar("''"), Json(""));
  EXPECT_EQ(Scalar("\"\""), Json(""));
  EXPECT_EQ(Scalar("'null'"), Json("null"));
  EXPECT_EQ(Scalar("!!str 123"), Json("123"));
  EXPECT_EQ(Scalar("!!str yes"), Json("yes"));
  EXPECT_EQ(Scalar("!!int \"12\""), Json(12));
  EXPECT_EQ(Scalar("!!float 2"), Json(2));
  EXPECT_EQ(Scalar("!custom 5"), Json("5"));
  EXPECT_FALSE(ParseYamlOrJson("v: !!int abc").ok());
  EXPECT_EQ(Scalar("\"a\\tb\\u00e9\\n\""), Json("a\tb\xc3\xa9\n"));
  EXPECT_EQ(Scalar("'it''s'"), Json("it's"));
  EXPECT_EQ(One("v: |\n  line1\n  line2\n")["v"], Json("line1\nline2\n"));
  EXPECT_EQ(One("v: |-\n  123\n")["v"], Json("123"));
  EXPECT_EQ(One("v: >\n  folded\n  text\n")["v"], Json("folded text\n"));
  EXPECT_EQ(One("v: plain\n  continued\n")["v"], Json("plain continued"));
}

TEST(YamlTest, MappingKeysBecomeStrings) {
  Json j = One("1: a\ntrue: b\non: c\n1.5: d\nnull_key: e\n0x10: f\n");
  EXPECT_EQ(j["1"], "a");
  EXPECT_EQ(j["true"], "c");  // "on" is also true; the later key wins
  EXPECT_EQ(j["1.5"], "d");
  EXPECT_EQ(j["null_key"], "e");
  EXPECT_EQ(j["16"], "f");
  EXPECT_FALSE(ParseYamlOrJson("? [a, b]\n: c\n").ok());
  EXPECT_EQ(One("a: 1\na: 2\n")["a"], 2);
}

TEST(YamlTest, MultipleDocuments) {
  auto docs = ParseYamlDocuments(
      "---\napiVersion: v1\nkind: A\n---\n---\n# only a comment\n---\nnull\n---\nkind: B\n...\n");
  ASSERT_TRUE(docs.ok()) << docs.status().ToString();
  ASSERT_EQ(docs->size(), 2u);
  EXPECT_EQ((*docs)[0]["kind"], "A");
  EXPECT_EQ((*docs)[1]["kind"], "B");

  auto empty = ParseYamlDocuments("");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
  auto comments = ParseYamlDocuments("# nothing\n---\n");
  ASSERT_TRUE(comments.ok());
  EXPECT_TRUE(comments->empty());

  EXPECT_FALSE(ParseYamlOrJson("").ok());
  auto two = ParseYamlOrJson("a: 1\n---\nb: 2\n");
  ASSERT_FALSE(two.ok());
  EXPECT_NE(two.status().message().find("expected one document"), std::string::npos);
}

TEST(YamlTest, AcceptsJson) {
  Json j = One(R"({"apiVersion": "v1", "n": 1.0, "f": 1.5, "s": "yes", "l": [1, "2"]})");
  EXPECT_EQ(j["apiVersion"], "v1");
  EXPECT_EQ(j["s"], "yes");
  EXPECT_EQ(j["l"], Json::parse(R"([1, "2"])"));
  EXPECT_EQ(j["f"], 1.5);
  // YAML flow style that is not JSON still parses.
  Json flow = One("{a: 1, b: [x, z, y]}");
  EXPECT_EQ(flow, Json::parse(R"({"a": 1, "b": ["x", "z", true]})"));  // y is YAML 1.1 true
}

TEST(YamlTest, ErrorsNameLineAndColumn) {
  auto bad = ParseYamlDocuments("a: 1\nb: [1, 2\nc: 3\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("yaml: line "), std::string::npos)
      << bad.status().message();
  auto bad_indent = ParseYamlDocuments("a:\n  b: 1\n c: 2\n");
  ASSERT_FALSE(bad_indent.ok());
  EXPECT_NE(bad_indent.status().message().find("line 3"), std::string::npos)
      << bad_indent.status().message();
}

TEST(YamlTest, AnchorsAliasesAndMergeKeys) {
  Json j =
      One("base: &base {cpu: 1, mem: 2}\n"
          "copy: *base\n"
          "list: &l [a, b]\n"
          "again: *l\n"
          "merged:\n"
          "  <<: *base\n"
          "  mem: 3\n"
          "multi:\n"
          "  <<: [{p: 1}, {p: 2, q: 2}]\n");
  EXPECT_EQ(j["copy"], j["base"]);
  EXPECT_EQ(j["again"], Json::parse(R"(["a", "b"])"));
  EXPECT_EQ(j["merged"], Json::parse(R"({"cpu": 1, "mem": 3})"));
  EXPECT_EQ(j["multi"], Json::parse(R"({"p": 1, "q": 2})"));
  EXPECT_EQ(Scalar("'<<'"), Json("<<"));
  EXPECT_FALSE(ParseYamlOrJson("a:\n  <<: 5\n").ok());
  EXPECT_FALSE(ParseYamlOrJson("a: *nope\n").ok());
}

TEST(YamlTest, RejectsAliasBombs) {
  std::string bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  char prev = 'a';
  for (char c = 'b'; c <= 'j'; ++c) {
    bomb += std::string(1, c) + ": &" + c + " [";
    for (int i = 0; i < 10; ++i) {
      bomb += std::string(i ? ", *" : "*") + prev;
    }
    bomb += "]\n";
    prev = c;
  }
  auto r = ParseYamlDocuments(bomb);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("excessive aliasing"), std::string::npos)
      << r.status().message();
}

TEST(YamlTest, LimitsNestingDepth) {
  std::string ok_flow(kMaxYamlDepth, '[');
  ok_flow += std::string(kMaxYamlDepth, ']');
  EXPECT_TRUE(ParseYamlDocuments(ok_flow).ok());
  std::string deep_flow = "a: " + std::string(300, '[') + std::string(300, ']');
  auto r = ParseYamlDocuments(deep_flow);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("exceeded max depth of 256"), std::string::npos)
      << r.status().message();
  // Hostile depth far beyond the limit must fail cleanly, not exhaust the stack.
  EXPECT_FALSE(ParseYamlDocuments(std::string(100000, '[')).ok());
  EXPECT_FALSE(ParseYamlDocuments("a: " + std::string(100000, '{')).ok());
  std::string block;
  for (int i = 0; i < 300; ++i) {
    block += std::string(static_cast<size_t>(i), ' ') + "k:\n";
  }
  EXPECT_FALSE(ParseYamlDocuments(block).ok());
  // Aliases may not smuggle in extra depth.
  std::string nested = "a: &a " + std::string(200, '[') + std::string(200, ']') +
                       "\nb: " + std::string(100, '[') + "*a" + std::string(100, ']') + "\n";
  EXPECT_FALSE(ParseYamlDocuments(nested).ok());
}

TEST(YamlTest, ToYamlMatchesKubectlLayout) {
  Json pod = Json::parse(R"({
    "apiVersion": "v1", "kind": "Pod",
    "metadata": {"name": "web", "labels": {"app": "web"}, "annotations": {}},
    "spec": {"containers": [{"name": "a", "image": "b", "args": ["--x", "true"],
                              "ports": [{"containerPort": 80}], "env": []}],
             "nodeSelector": {}},
    "status": {"ratio": 0.5, "ok": true, "none": null}
  })");
  EXPECT_EQ(ToYaml(pod),
            "apiVersion: v1\n"
            "kind: Pod\n"
            "metadata:\n"
            "  annotations: {}\n"
            "  labels:\n"
            "    app: web\n"
            "  name: web\n"
            "spec:\n"
            "  containers:\n"
            "  - args:\n"
            "    - --x\n"
            "    - \"true\"\n"
            "    env: []\n"
            "    image: b\n"
            "    name: a\n"
            "    ports:\n"
            "    - containerPort: 80\n"
            "  nodeSelector: {}\n"
            "status:\n"
            "  none: null\n"
            "  ok: true\n"
            "  ratio: 0.5\n");
  EXPECT_EQ(ToYaml(Json::parse(R"([[1, 2], [], {"a": [3]}])")),
            "- - 1\n"
            "  - 2\n"
            "- []\n"
            "- a:\n"
            "  - 3\n");
  EXPECT_EQ(ToYaml(Json::object()), "{}\n");
  EXPECT_EQ(ToYaml(Json::array()), "[]\n");
  EXPECT_EQ(ToYaml(Json("x")), "x\n");
}

TEST(YamlTest, ToYamlQuotesOnlyWhenNeeded) {
  auto v = [](const Json& s) { return ToYaml(Json{{"v", s}}); };
  EXPECT_EQ(v("plain text"), "v: plain text\n");
  EXPECT_EQ(v("true"), "v: \"true\"\n");
  EXPECT_EQ(v("123"), "v: \"123\"\n");
  EXPECT_EQ(v(""), "v: \"\"\n");
  EXPECT_EQ(v("null"), "v: \"null\"\n");
  EXPECT_EQ(v("1e3"), "v: \"1e3\"\n");
  EXPECT_EQ(v("0x1F"), "v: \"0x1F\"\n");
  EXPECT_EQ(v("yes"), "v: \"yes\"\n");
  EXPECT_EQ(v("1:20"), "v: \"1:20\"\n");
  EXPECT_EQ(v("a: b"), "v: 'a: b'\n");
  EXPECT_EQ(v("- x"), "v: '- x'\n");
  EXPECT_EQ(v("#c"), "v: '#c'\n");
  EXPECT_EQ(v("it's: x"), "v: 'it''s: x'\n");
  EXPECT_EQ(v(" lead"), "v: ' lead'\n");
  EXPECT_EQ(v("a:b"), "v: a:b\n");
  EXPECT_EQ(v("a#b"), "v: a#b\n");
  EXPECT_EQ(v("tab\there"), "v: \"tab\\there\"\n");
  EXPECT_EQ(v("héllo"), "v: héllo\n");
  EXPECT_EQ(v("multi\nline\n"), "v: |\n  multi\n  line\n");
  EXPECT_EQ(v("multi\nline"), "v: |-\n  multi\n  line\n");
  EXPECT_EQ(v("keep\n\n"), "v: |+\n  keep\n\n");
  EXPECT_EQ(v("trailing \nspace"), "v: \"trailing \\nspace\"\n");
  EXPECT_EQ(ToYaml(Json{{"on", 1}, {"", 2}}), "\"\": 2\n\"on\": 1\n");
  EXPECT_EQ(ToYaml(Json{{"l", {"a\nb"}}}), "l:\n- |-\n  a\n  b\n");
}

TEST(YamlTest, RoundTrip) {
  const std::vector<std::string> strings = {"true",
                                            "123",
                                            "",
                                            "a: b",
                                            "- x",
                                            "#c",
                                            "multi\nline\n",
                                            "null",
                                            "1e3",
                                            "0x1F",
                                            "yes",
                                            "~",
                                            "-",
                                            "?",
                                            ":",
                                            "a:",
                                            "&x",
                                            "*x",
                                            "!x",
                                            "|",
                                            ">",
                                            "%",
                                            "@",
                                            "`",
                                            "'",
                                            "\"",
                                            "{",
                                            "}",
                                            "[",
                                            "]",
                                            ",",
                                            "a, b",
                                            "a [b]",
                                            "{a: 1}",
                                            "---",
                                            "...",
                                            "--- x",
                                            "<<",
                                            "1:20",
                                            "0o17",
                                            ".inf",
                                            ".5",
                                            "+1",
                                            "-1",
                                            "1_000",
                                            " lead",
                                            "trail ",
                                            "x\ty",
                                            "a\r\nb",
                                            "\n",
                                            "\n\nx",
                                            "  indented\nlines\n",
                                            "x\n\n\n",
                                            "line\n  more\n",
                                            "tab\tend\n",
                                            "a\\b",
                                            "emoji 😀",
                                            "é",
                                            "nul\x01",
                                            "back\bspace",
                                            "ls\xE2\x80\xA8ps",
                                            "bom\xEF\xBB\xBF",
                                            "y",
                                            "N",
                                            "On",
                                            "2024-01-02T03:04:05Z",
                                            "1.",
                                            "+",
                                            "=",
                                            "a # b",
                                            "a #b",
                                            "a#b",
                                            "key: value\nx: y",
                                            std::string(2000, 'k'),
                                            "10.0.0.1",
                                            "v1.2.3",
                                            "0",
                                            "-0",
                                            "00",
                                            "0.0",
                                            "1e+06"};
  for (const auto& s : strings) {
    Json value = {{"v", s}, {"list", {s, {{"k", s}}}}, {s, 1}};
    std::string yaml = ToYaml(value);
    auto back = ParseYamlDocuments(yaml);
    ASSERT_TRUE(back.ok()) << DumpJson(s) << "\n" << yaml << "\n" << back.status().ToString();
    ASSERT_EQ(back->size(), 1u) << yaml;
    EXPECT_EQ((*back)[0], value) << DumpJson(s) << "\n" << yaml;
    // As a document root too.
    if (!s.empty() || true) {
      auto root = ParseYamlDocuments(ToYaml(Json(s)));
      ASSERT_TRUE(root.ok()) << DumpJson(s);
      ASSERT_EQ(root->size(), 1u) << DumpJson(s) << ToYaml(Json(s));
      EXPECT_EQ((*root)[0], Json(s)) << DumpJson(s) << "\n" << ToYaml(Json(s));
    }
  }
  const std::vector<Json> values = {
      Json::parse(R"({"a": {"b": {"c": [1, 2, {"d": []}]}}, "e": {}})"),
      Json::parse(R"([[[]], [[1]], {"x": [[{"y": null}]]}])"),
      Json::parse(R"({"n": -5, "f": 1.25, "big": 18446744073709551615, "tiny": 1e-7,
                      "huge": 1e300, "b": false})"),
      Json::parse(R"({"multi": "a\nb\n", "nested": [{"s": "x\ny", "t": [" lead\n"]}]})"),
  };
  for (const auto& value : values) {
    auto back = ParseYamlDocuments(ToYaml(value));
    ASSERT_TRUE(back.ok()) << ToYaml(value) << back.status().ToString();
    ASSERT_EQ(back->size(), 1u);
    EXPECT_EQ((*back)[0], value) << ToYaml(value);
  }
}

TEST(YamlTest, ToYamlQuotesTimestampsLikeKubectl) {
  Json j = Json::parse(R"({"t": "2025-01-02T03:04:05Z", "d": "2025-1-2", "s": "2025-01-02x"})");
  std::string y = ToYaml(j);
  EXPECT_NE(y.find("t: \"2025-01-02T03:04:05Z\""), std::string::npos) << y;
  EXPECT_NE(y.find("d: \"2025-1-2\""), std::string::npos) << y;
  EXPECT_NE(y.find("s: 2025-01-02x"), std::string::npos) << y;
  auto back = ParseYamlOrJson(y);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, j);
}

}  // namespace
}  // namespace skiff::api
