// Unit tests of the metric primitives: the rate window, code counters and label escaping.
#include "gateway/metrics.h"

#include <gtest/gtest.h>

namespace skiff::gateway {
namespace {

TEST(MetricsTest, RateWindowCountsWholeSecondsBeforeNow) {
  RateWindow w;
  for (int i = 0; i < 5; ++i) w.Add(100);
  for (int i = 0; i < 3; ++i) w.Add(101);
  w.Add(102);
  EXPECT_EQ(w.CountBefore(102, 1), 3u);
  EXPECT_EQ(w.CountBefore(102, 2), 8u);
  EXPECT_EQ(w.CountBefore(103, 60), 9u);
  EXPECT_EQ(w.CountBefore(100, 10), 0u);
  // A slot is reused 64 seconds later without mixing in the old count.
  w.Add(164);
  EXPECT_EQ(w.CountBefore(165, 1), 1u);
  EXPECT_EQ(w.CountBefore(165, 60), 1u);
}

TEST(MetricsTest, CodeCountersAndLabels) {
  CodeCounters c;
  c.Add(200);
  c.Add(200);
  c.Add(503);
  c.Add(42);  // out of range lands in 599
  EXPECT_EQ(c.Get(200), 2u);
  EXPECT_EQ(c.Get(599), 1u);
  std::string out;
  c.Render(out, "x", "a=\"b\"", true);
  EXPECT_NE(out.find("x{a=\"b\",response_code=\"503\",response_code_class=\"5xx\"} 1\n"),
            std::string::npos)
      << out;
  EXPECT_EQ(RevisionLabels("ml/iris-00001"), R"(namespace_name="ml",revision_name="iris-00001")");
  EXPECT_EQ(RevisionLabels("plain"), R"(namespace_name="",revision_name="plain")");
  EXPECT_EQ(RevisionLabels("a/b\"c"), R"(namespace_name="a",revision_name="b\"c")");
}

}  // namespace
}  // namespace skiff::gateway
