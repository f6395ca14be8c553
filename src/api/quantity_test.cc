// Tests for resource quantities: kube's grammar, rounding, saturation and canonical strings.
#include "api/quantity.h"

#include <gtest/gtest.h>

#include <limits>
#include <nlohmann/json.hpp>

namespace skiff::api {
namespace {

Quantity Q(std::string_view s) {
  auto q = ParseQuantity(s);
  EXPECT_TRUE(q.ok()) << s << ": " << q.status().ToString();
  return q.ok() ? *q : Quantity();
}

TEST(QuantityTest, ParsesMilliValues) {
  EXPECT_EQ(Q("100m").MilliValue(), 100);
  EXPECT_EQ(Q("1").MilliValue(), 1000);
  EXPECT_EQ(Q("1.5").MilliValue(), 1500);
  EXPECT_EQ(Q(".5").MilliValue(), 500);
  EXPECT_EQ(Q("0.25").MilliValue(), 250);
  EXPECT_EQ(Q("2Gi").MilliValue(), 2LL * 1024 * 1024 * 1024 * 1000);
  EXPECT_EQ(Q("512Mi").MilliValue(), 512LL * 1024 * 1024 * 1000);
  EXPECT_EQ(Q("1Ki").MilliValue(), 1024 * 1000);
  EXPECT_EQ(Q("1e3").MilliValue(), 1000 * 1000);
  EXPECT_EQ(Q("1E3").MilliValue(), 1000 * 1000);
  EXPECT_EQ(Q("1e-3").MilliValue(), 1);
  EXPECT_EQ(Q("1k").MilliValue(), 1000 * 1000);
  EXPECT_EQ(Q("1M").MilliValue(), 1000LL * 1000 * 1000);
  EXPECT_EQ(Q("3G").MilliValue(), 3LL * 1000 * 1000 * 1000 * 1000);
  EXPECT_EQ(Q("1500u").MilliValue(), 2);  // 1.5m rounds up
  EXPECT_EQ(Q("1n").MilliValue(), 1);
  EXPECT_EQ(Q("-1n").MilliValue(), -1);  // rounding is away from zero
  EXPECT_EQ(Q("1.5Gi").MilliValue(), 1536LL * 1024 * 1024 * 1000);
  EXPECT_EQ(Q("+7").MilliValue(), 7000);
  EXPECT_EQ(Q("-250m").MilliValue(), -250);
  EXPECT_EQ(Q("007").MilliValue(), 7000);
  EXPECT_EQ(Q("0").MilliValue(), 0);
  EXPECT_EQ(Q("1.").MilliValue(), 1000);
  EXPECT_EQ(Q("1e+2").MilliValue(), 100000);
  EXPECT_EQ(Q("Gi").MilliValue(), 0);  // kube reads a bare suffix as zero
}

TEST(QuantityTest, ValueRoundsAwayFromZero) {
  EXPECT_EQ(Q("100m").Value(), 1);
  EXPECT_EQ(Q("1").Value(), 1);
  EXPECT_EQ(Q("1001m").Value(), 2);
  EXPECT_EQ(Q("-100m").Value(), -1);
  EXPECT_EQ(Q("1Gi").Value(), 1LL << 30);
}

TEST(QuantityTest, SaturatesAtInt64) {
  EXPECT_EQ(Q("1Ei").MilliValue(), std::numeric_limits<int64_t>::max());
  EXPECT_EQ(Q("99999999999999999999999").MilliValue(), std::numeric_limits<int64_t>::max());
  EXPECT_EQ(Q("-1e30").MilliValue(), -std::numeric_limits<int64_t>::max());
  EXPECT_EQ(Q("1e-30").MilliValue(), 1);
  Quantity big = Quantity::FromMilli(std::numeric_limits<int64_t>::max());
  EXPECT_EQ((big + Q("1")).MilliValue(), std::numeric_limits<int64_t>::max());
  Quantity small = Quantity::FromMilli(std::numeric_limits<int64_t>::min());
  EXPECT_EQ((small - Q("1")).MilliValue(), std::numeric_limits<int64_t>::min());
}

TEST(QuantityTest, RejectsMalformed) {
  for (std::string_view bad : {"", "abc", "1 ", " 1", "1Mx", "1.2.3", "--1", "1e", "1Kib", "1K",
                               "1e1.5", "1i", "1ee3", "1e3e"}) {
    auto q = ParseQuantity(bad);
    EXPECT_FALSE(q.ok()) << "'" << bad << "'";
    if (!q.ok()) {
      EXPECT_EQ(q.status().code(), StatusCode::kInvalidArgument);
    }
  }
  auto format = ParseQuantity("1 ");
  EXPECT_EQ(format.status().message(),
            "quantities must match the regular expression "
            "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'");
  EXPECT_EQ(ParseQuantity("1K").status().message(), "unable to parse quantity's suffix");
}

TEST(QuantityTest, CanonicalStrings) {
  struct Case {
    std::string_view in, out;
  } cases[] = {
      {"0", "0"},           {"0Gi", "0"},         {"100m", "100m"},
      {"1500m", "1500m"},   {"1.5", "1500m"},     {"1000", "1k"},
      {"1024", "1024"},     {"1k", "1k"},         {"2Gi", "2Gi"},
      {"2048Mi", "2Gi"},    {"1536Mi", "1536Mi"}, {"1.5Gi", "1536Mi"},
      {"0.5Gi", "512Mi"},   {"1Ki", "1Ki"},       {"512", "512"},
      {"1e3", "1e3"},       {"1E6", "1e6"},       {"10e2", "1e3"},
      {"15e-1", "1500e-3"}, {"1M", "1M"},         {"1000M", "1G"},
      {"-1Gi", "-1Gi"},     {"-1500m", "-1500m"}, {"0.1", "100m"},
      {"1n", "1m"},         {"12345", "12345"},   {"120000", "120k"},
      {"1.2e4", "12e3"},    {"100Ki", "100Ki"},   {"1023Ki", "1023Ki"},
      {"0.5Ki", "512"},     {"1.5Ki", "1536"},    {"100.5Ki", "102912"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(Q(c.in).ToString(), c.out) << c.in;
  }
}

TEST(QuantityTest, ArithmeticAndComparison) {
  EXPECT_EQ(Q("1"), Q("1000m"));
  EXPECT_EQ(Q("1k"), Q("1000"));
  EXPECT_LT(Q("500m"), Q("1"));
  EXPECT_GT(Q("1Gi"), Q("1G"));
  Quantity sum = Q("1Gi") + Q("1Gi");
  EXPECT_EQ(sum.ToString(), "2Gi");
  EXPECT_EQ((Q("1") - Q("250m")).ToString(), "750m");
  // Adding to zero takes the other operand's format (kube's Quantity.Add).
  Quantity zero;
  EXPECT_EQ((zero + Q("1Mi")).ToString(), "1Mi");
  Quantity acc;
  acc += Q("100m");
  acc += Q("900m");
  EXPECT_EQ(acc.ToString(), "1");
  EXPECT_EQ(Quantity::FromValue(2LL << 30, QuantityFormat::kBinarySI).ToString(), "2Gi");
  EXPECT_EQ(Quantity::FromMilli(2500).ToString(), "2500m");
  EXPECT_TRUE(Q("-0").IsZero());
  EXPECT_EQ(Q("-2").Sign(), -1);
}

TEST(QuantityTest, FromJson) {
  auto s = QuantityFromJson(Json("250m"));
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->MilliValue(), 250);
  auto i = QuantityFromJson(Json(2));
  ASSERT_TRUE(i.ok());
  EXPECT_EQ(i->ToString(), "2");
  auto f = QuantityFromJson(Json(0.5));
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->ToString(), "500m");
  EXPECT_FALSE(QuantityFromJson(Json(true)).ok());
  EXPECT_FALSE(QuantityFromJson(Json("lots")).ok());
}

}  // namespace
}  // namespace skiff::api
