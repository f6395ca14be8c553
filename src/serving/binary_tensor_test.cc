// Tests for the binary tensor extension helpers.
#include "serving/binary_tensor.h"

#include <gtest/gtest.h>

#include <cstring>
#include <limits>

namespace skiff::serving {
namespace {

std::string Elem(std::string_view s) {
  std::string out(4, '\0');
  uint32_t n = static_cast<uint32_t>(s.size());
  std::memcpy(out.data(), &n, 4);
  out.append(s);
  return out;
}

TEST(BinaryTensorTest, HeaderLength) {
  EXPECT_EQ(*ParseInferenceHeaderContentLength("0"), 0u);
  EXPECT_EQ(*ParseInferenceHeaderContentLength("1234"), 1234u);
  for (std::string_view bad : {"", "-1", "12a", " 1", "1 ", "0x10", "99999999999999999999999"}) {
    StatusOr<size_t> r = ParseInferenceHeaderContentLength(bad);
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << bad;
  }
}

TEST(BinaryTensorTest, CheckedElementCount) {
  const int64_t big = int64_t{1} << 40;
  EXPECT_EQ(CheckedElementCount(std::vector<int64_t>{}, 10), 1);
  EXPECT_EQ(CheckedElementCount(std::vector<int64_t>{2, 3}, 10), 6);
  EXPECT_EQ(CheckedElementCount(std::vector<int64_t>{2, 6}, 10), std::nullopt);
  EXPECT_EQ(CheckedElementCount(std::vector<int64_t>{2, -1}, 10), std::nullopt);
  EXPECT_EQ(CheckedElementCount(std::vector<int64_t>{big, 0, big}, 10), 0);
  // Would overflow int64 if multiplied blindly.
  EXPECT_EQ(
      CheckedElementCount(std::vector<int64_t>{big, big, big}, std::numeric_limits<int64_t>::max()),
      std::nullopt);
}

TEST(BinaryTensorTest, CountBytesElements) {
  EXPECT_EQ(*CountBytesElements(""), 0);
  EXPECT_EQ(*CountBytesElements(Elem("ab") + Elem("") + Elem("xyz")), 3);
  const std::string truncated_prefix = Elem("ab") + std::string("\x01\x00", 2);
  const std::string truncated_body = Elem("abc").substr(0, 6);
  for (const std::string& bad : {truncated_prefix, truncated_body}) {
    StatusOr<int64_t> r = CountBytesElements(bad);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().message(), "element byte size indicator exceeds the end of the buffer");
  }
  // A length prefix near 2^32 must not wrap the bounds check.
  EXPECT_FALSE(CountBytesElements(std::string("\xff\xff\xff\xff", 4) + "x").ok());
}

TEST(BinaryTensorTest, ValidateBytesTensorMessages) {
  const std::string buf = Elem("a") + Elem("b");
  EXPECT_TRUE(ValidateBytesTensor(buf, 2, "in", "m").ok());
  EXPECT_EQ(ValidateBytesTensor(buf, 3, "INPUT0", "simple").message(),
            "expected 3 string elements for inference input 'INPUT0' for model 'simple', got 2");
  EXPECT_EQ(ValidateBytesTensor(buf, 3, "INPUT0", "").message(),
            "expected 3 string elements for inference input 'INPUT0', got 2");
}

TEST(BinaryTensorTest, TailHandsOutChunksInOrder) {
  BinaryTail tail("aabbbc", true);
  EXPECT_EQ(*tail.Take(2, "x", "m"), "aa");
  EXPECT_EQ(*tail.Take(3, "y", "m"), "bbb");
  EXPECT_EQ(tail.CheckConsumed("m").message(), "unexpected additional input data for model 'm'");
  StatusOr<std::string_view> short_take = tail.Take(3, "z", "m");
  EXPECT_EQ(short_take.status().message(),
            "unexpected size for input 'z', expecting 2 additional bytes for model 'm'");
  EXPECT_EQ(*tail.Take(1, "z", "m"), "c");
  EXPECT_TRUE(tail.CheckConsumed("m").ok());
  EXPECT_EQ(*tail.Take(0, "empty", "m"), "");
}

TEST(BinaryTensorTest, TailWithoutHeaderRefusesBinary) {
  BinaryTail tail("", false);
  StatusOr<std::string_view> r = tail.Take(0, "x", "m");
  EXPECT_EQ(r.status().message(),
            "must specify valid 'Infer-Header-Content-Length' in request header and "
            "'binary_data_size' when passing inputs in binary data format");
}

}  // namespace
}  // namespace skiff::serving
