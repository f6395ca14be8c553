// Tests for datatypes, FP16 conversion, Parameters and Tensor helpers.
#include "serving/tensor.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace skiff::serving {
namespace {

TEST(DataTypeTest, NamesRoundTripAndSizes) {
  const std::pair<DataType, size_t> all[] = {
      {DataType::kBool, 1},   {DataType::kUint8, 1}, {DataType::kUint16, 2}, {DataType::kUint32, 4},
      {DataType::kUint64, 8}, {DataType::kInt8, 1},  {DataType::kInt16, 2},  {DataType::kInt32, 4},
      {DataType::kInt64, 8},  {DataType::kFp16, 2},  {DataType::kFp32, 4},   {DataType::kFp64, 8},
      {DataType::kBytes, 0}};
  for (auto [type, size] : all) {
    EXPECT_EQ(DataTypeFromName(DataTypeName(type)), type) << DataTypeName(type);
    EXPECT_EQ(DataTypeSize(type), size) << DataTypeName(type);
  }
  EXPECT_EQ(DataTypeName(DataType::kFp32), "FP32");
  EXPECT_EQ(DataTypeName(DataType::kBytes), "BYTES");
  EXPECT_EQ(DataTypeFromName("fp32"), std::nullopt);  // case-sensitive
  EXPECT_EQ(DataTypeFromName("BF16"), std::nullopt);
  EXPECT_EQ(DataTypeFromName(""), std::nullopt);
}

TEST(Fp16Test, KnownValues) {
  EXPECT_EQ(FloatToFp16(1.0f).bits, 0x3C00);
  EXPECT_EQ(FloatToFp16(-2.0f).bits, 0xC000);
  EXPECT_EQ(FloatToFp16(0.0f).bits, 0x0000);
  EXPECT_EQ(FloatToFp16(-0.0f).bits, 0x8000);
  EXPECT_EQ(FloatToFp16(65504.0f).bits, 0x7BFF);  // largest finite half
  EXPECT_EQ(FloatToFp16(65520.0f).bits, 0x7C00);  // rounds up to infinity
  EXPECT_EQ(FloatToFp16(std::numeric_limits<float>::infinity()).bits, 0x7C00);
  EXPECT_EQ(FloatToFp16(6.103515625e-05f).bits, 0x0400);         // smallest normal
  EXPECT_EQ(FloatToFp16(5.9604644775390625e-08f).bits, 0x0001);  // smallest subnormal
  EXPECT_EQ(FloatToFp16(1e-8f).bits, 0x0000);                    // underflows to zero
  // Ties go to even: 1 + 2^-11 is halfway between 1 and 1 + 2^-10.
  EXPECT_EQ(FloatToFp16(1.0f + std::ldexp(1.0f, -11)).bits, 0x3C00);
  EXPECT_EQ(FloatToFp16(1.0f + 3 * std::ldexp(1.0f, -11)).bits, 0x3C02);
  Fp16 nan = FloatToFp16(std::numeric_limits<float>::quiet_NaN());
  EXPECT_EQ(nan.bits & 0x7C00, 0x7C00);
  EXPECT_NE(nan.bits & 0x3FF, 0);
  EXPECT_TRUE(std::isnan(Fp16ToFloat(nan)));
  EXPECT_EQ(Fp16ToFloat({0x3555}), 0.333251953125f);
  EXPECT_EQ(Fp16ToFloat({0x8001}), -5.9604644775390625e-08f);
}

TEST(Fp16Test, EveryHalfRoundTripsThroughFloat) {
  for (uint32_t bits = 0; bits <= 0xFFFF; ++bits) {
    Fp16 h{static_cast<uint16_t>(bits)};
    float f = Fp16ToFloat(h);
    if (std::isnan(f)) continue;
    ASSERT_EQ(FloatToFp16(f).bits, h.bits) << std::hex << bits;
  }
}

TEST(ParametersTest, SetFindEraseAndTypedGets) {
  Parameters p;
  EXPECT_TRUE(p.empty());
  p.Set("flag", true);
  p.Set("n", int64_t{7});
  p.Set("x", 2.5);
  p.Set("s", std::string("np"));
  EXPECT_EQ(p.size(), 4u);
  EXPECT_EQ(p.GetBool("flag"), true);
  EXPECT_EQ(p.GetInt("n"), 7);
  EXPECT_EQ(p.GetString("s"), "np");
  EXPECT_EQ(p.GetInt("x"), std::nullopt);  // wrong type
  EXPECT_EQ(p.GetBool("missing"), std::nullopt);
  p.Set("n", int64_t{9});  // replaces, keeps position
  EXPECT_EQ(p.size(), 4u);
  EXPECT_EQ(p.GetInt("n"), 9);
  EXPECT_EQ(p.begin()[1].first, "n");
  EXPECT_TRUE(p.Erase("flag"));
  EXPECT_FALSE(p.Erase("flag"));
  EXPECT_EQ(p.Find("flag"), nullptr);
  EXPECT_EQ(p.size(), 3u);
}

TEST(TensorTest, AppendAndTypedViews) {
  Tensor t{.name = "x", .datatype = DataType::kInt16, .shape = {3}, .data = {}, .parameters = {}};
  t.Append<int16_t>(-1);
  t.Append<int16_t>(300);
  t.Append<int16_t>(7);
  ASSERT_EQ(t.data.size(), 6u);
  EXPECT_EQ(static_cast<unsigned char>(t.data[0]), 0xFF);  // little-endian -1
  std::span<const int16_t> v = t.Values<int16_t>();
  ASSERT_EQ(v.size(), 3u);
  EXPECT_EQ(v[1], 300);
  t.MutableValues<int16_t>()[2] = 8;
  EXPECT_EQ(t.Values<int16_t>()[2], 8);
  EXPECT_EQ(t.ElementCount(), 3);
}

TEST(TensorTest, ScalarHasOneElement) {
  Tensor t;
  EXPECT_EQ(t.ElementCount(), 1);
  t.shape = {2, 0, 5};
  EXPECT_EQ(t.ElementCount(), 0);
}

TEST(TensorTest, BytesElements) {
  const std::string_view elems[] = {"a", "", "hello"};
  Tensor t = MakeBytesTensor("s", {3}, elems);
  EXPECT_EQ(t.data.size(), 4u * 3 + 6);
  EXPECT_EQ(t.data.substr(0, 5), std::string("\x01\0\0\0a", 5));
  std::vector<std::string_view> got = t.BytesElements();
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0], "a");
  EXPECT_EQ(got[1], "");
  EXPECT_EQ(got[2], "hello");
  t.data.pop_back();  // malformed: the last element is cut short and skipped
  EXPECT_EQ(t.BytesElements().size(), 2u);
}

TEST(TensorTest, MakeTensorAndConversions) {
  const bool bools[] = {true, false, true};
  Tensor b = MakeTensor<bool>("b", {3}, bools);
  EXPECT_EQ(b.datatype, DataType::kBool);
  EXPECT_EQ(b.data, std::string("\x01\x00\x01", 3));
  EXPECT_EQ(*b.ToDoubles(), (std::vector<double>{1, 0, 1}));

  const uint64_t big[] = {0, 18446744073709551615ull};
  Tensor u = MakeTensor<uint64_t>("u", {2}, big);
  EXPECT_EQ((*u.ToDoubles())[1], 18446744073709551615.0);

  const Fp16 halves[] = {{0x3C00}, {0xC000}};
  Tensor h = MakeTensor<Fp16>("h", {2}, halves);
  EXPECT_EQ(*h.ToFloats(), (std::vector<float>{1.0f, -2.0f}));

  const double ds[] = {1.5, -0.25};
  Tensor d = MakeTensor<double>("d", {1, 2}, ds);
  EXPECT_EQ(*d.ToFloats(), (std::vector<float>{1.5f, -0.25f}));

  Tensor s = MakeBytesTensor("s", {0}, {});
  EXPECT_FALSE(s.ToDoubles().ok());
}

TEST(TensorDeathTest, WrongTypedViewIsAProgrammerError) {
  Tensor t{
      .name = "x", .datatype = DataType::kFp32, .shape = {1}, .data = "abcd", .parameters = {}};
  EXPECT_DEATH((void)t.Values<double>(), "");
}

}  // namespace
}  // namespace skiff::serving
