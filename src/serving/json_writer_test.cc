// Tests for the JSON appenders: Python-repr numbers, escaping, tensors as JSON.
#include "serving/json_writer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace skiff::serving {
namespace {

std::string Double(double v) {
  std::string out;
  AppendJsonDouble(out, v);
  return out;
}

TEST(JsonWriterTest, DoublesAsPythonRepr) {
  EXPECT_EQ(Double(1.0), "1.0");
  EXPECT_EQ(Double(0.0), "0.0");
  EXPECT_EQ(Double(-0.0), "-0.0");
  EXPECT_EQ(Double(0.1), "0.1");
  EXPECT_EQ(Double(-2.5), "-2.5");
  EXPECT_EQ(Double(123.456), "123.456");
  EXPECT_EQ(Double(0.0001), "0.0001");
  EXPECT_EQ(Double(0.00001), "1e-05");
  EXPECT_EQ(Double(1.5e-7), "1.5e-07");
  EXPECT_EQ(Double(1e15), "1000000000000000.0");
  EXPECT_EQ(Double(1e16), "1e+16");
  EXPECT_EQ(Double(1.25e16), "1.25e+16");
  EXPECT_EQ(Double(1e100), "1e+100");
  EXPECT_EQ(Double(12345678901234567890.0), "1.2345678901234567e+19");
  EXPECT_EQ(Double(std::numeric_limits<double>::max()), "1.7976931348623157e+308");
  EXPECT_EQ(Double(5e-324), "5e-324");
  EXPECT_EQ(Double(static_cast<double>(0.1f)), "0.10000000149011612");  // numpy .tolist()
  EXPECT_EQ(Double(std::nan("")), "null");
  EXPECT_EQ(Double(-std::numeric_limits<double>::infinity()), "null");
}

TEST(JsonWriterTest, DoublesRoundTrip) {
  for (double v : {0.1, 1.0 / 3, 2.0 / 3e-9, 6.02214076e23, 1e-300, 9007199254740993.0}) {
    EXPECT_EQ(std::stod(Double(v)), v) << Double(v);
  }
}

TEST(JsonWriterTest, IntegersAndStrings) {
  std::string out;
  AppendJsonInt(out, std::numeric_limits<int64_t>::min());
  out.push_back(' ');
  AppendJsonUint(out, std::numeric_limits<uint64_t>::max());
  out.push_back(' ');
  AppendJsonString(out, std::string("a\"b\\c\n\t\x01\x1f\xc3\xa9", 11));
  EXPECT_EQ(
      out, "-9223372036854775808 18446744073709551615 \"a\\\"b\\\\c\\n\\t\\u0001\\u001f\xc3\xa9\"");
}

TEST(JsonWriterTest, Parameters) {
  Parameters p;
  p.Set("b", true);
  p.Set("i", int64_t{-3});
  p.Set("d", 0.5);
  p.Set("s", std::string("x\"y"));
  std::string out;
  AppendJsonParameters(out, p);
  EXPECT_EQ(out, R"({"b":true,"i":-3,"d":0.5,"s":"x\"y"})");
}

TEST(JsonWriterTest, TensorFlatAndNested) {
  const int32_t v[] = {1, -2, 3, 4, 5, 6};
  Tensor t = MakeTensor<int32_t>("t", {2, 3}, v);
  std::string flat, nested;
  ASSERT_TRUE(AppendTensorJson(flat, t, false).ok());
  ASSERT_TRUE(AppendTensorJson(nested, t, true).ok());
  EXPECT_EQ(flat, "[1,-2,3,4,5,6]");
  EXPECT_EQ(nested, "[[1,-2,3],[4,5,6]]");

  const double s[] = {2.5};
  Tensor scalar = MakeTensor<double>("s", {}, s);
  std::string out;
  ASSERT_TRUE(AppendTensorJson(out, scalar, true).ok());
  EXPECT_EQ(out, "2.5");
  out.clear();
  ASSERT_TRUE(AppendTensorJson(out, scalar, false).ok());
  EXPECT_EQ(out, "[2.5]");

  Tensor empty = MakeTensor<float>("e", {2, 0}, {});
  out.clear();
  ASSERT_TRUE(AppendTensorJson(out, empty, true).ok());
  EXPECT_EQ(out, "[[],[]]");
}

TEST(JsonWriterTest, TensorOfEveryKind) {
  const bool b[] = {true, false};
  const Fp16 h[] = {{0x3C00}, {0x3555}};
  const float f[] = {0.5f, 0.1f};
  const uint64_t u[] = {18446744073709551615ull};
  const std::string_view s[] = {"é", "q\""};
  struct Case {
    Tensor t;
    std::string want;
  } cases[] = {
      {MakeTensor<bool>("b", {2}, b), "[true,false]"},
      {MakeTensor<Fp16>("h", {2}, h), "[1.0,0.333251953125]"},
      {MakeTensor<float>("f", {2}, f), "[0.5,0.10000000149011612]"},
      {MakeTensor<uint64_t>("u", {1}, u), "[18446744073709551615]"},
      {MakeBytesTensor("s", {2}, s), "[\"é\",\"q\\\"\"]"},
  };
  for (const Case& c : cases) {
    std::string out;
    ASSERT_TRUE(AppendTensorJson(out, c.t, false).ok()) << c.t.name;
    EXPECT_EQ(out, c.want);
  }
}

TEST(JsonWriterTest, TensorDataMustMatchShape) {
  const float f[] = {1, 2, 3};
  Tensor t = MakeTensor<float>("out", {2, 2}, f);
  std::string out;
  Status s = AppendTensorJson(out, t, false);
  EXPECT_EQ(s.code(), StatusCode::kInternal);
  EXPECT_EQ(s.message(), "output tensor shape does not match size of output for 'out'");

  const std::string_view e[] = {"a"};
  Tensor bytes = MakeBytesTensor("s", {2}, e);
  EXPECT_FALSE(CheckTensorData(bytes).ok());
  bytes.shape = {1};
  EXPECT_TRUE(CheckTensorData(bytes).ok());
  bytes.data.pop_back();
  EXPECT_FALSE(CheckTensorData(bytes).ok());

  t.shape = {-3};
  EXPECT_FALSE(CheckTensorData(t).ok());
}

TEST(JsonWriterTest, BytesMustBeUtf8ForJson) {
  const std::string_view e[] = {"\xff\xfe"};
  Tensor t = MakeBytesTensor("raw", {1}, e);
  std::string out;
  Status s = AppendTensorJson(out, t, false);
  EXPECT_EQ(s.code(), StatusCode::kInternal);
  EXPECT_NE(s.message().find("using UTF-8"), std::string::npos);
}

}  // namespace
}  // namespace skiff::serving
