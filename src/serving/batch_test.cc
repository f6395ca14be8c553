#include "serving/batch.h"

#include <gtest/gtest.h>

namespace skiff::serving {
namespace {

PredictRequest Rows(std::vector<double> values, int64_t cols) {
  PredictRequest r;
  r.inputs.push_back(
      MakeTensor<double>("x", {static_cast<int64_t>(values.size()) / cols, cols}, values));
  return r;
}

TEST(BatchTest, KeyDependsOnLayoutNotRows) {
  auto a = BatchKey(Rows({1, 2, 3, 4}, 2));
  auto b = BatchKey(Rows({5, 6}, 2));
  auto c = BatchKey(Rows({5, 6}, 1));
  ASSERT_TRUE(a && b && c);
  EXPECT_EQ(*a, *b);
  EXPECT_NE(*a, *c);
  PredictRequest d = Rows({5, 6}, 2);
  d.output_names = {"predict_proba"};
  EXPECT_NE(*a, *BatchKey(d));
  PredictRequest e = Rows({5, 6}, 2);
  e.v1 = true;
  EXPECT_NE(*a, *BatchKey(e));
  PredictRequest scalar;
  scalar.inputs.push_back(MakeTensor<double>("x", {}, std::vector<double>{1.0}));
  EXPECT_FALSE(BatchKey(scalar));
  EXPECT_FALSE(BatchKey(PredictRequest{}));
}

TEST(BatchTest, ConcatAndSplitRoundTrip) {
  PredictRequest a = Rows({1, 2, 3, 4}, 2), b = Rows({5, 6}, 2);
  const PredictRequest* both[] = {&a, &b};
  PredictRequest joined = ConcatRows(both);
  ASSERT_EQ(joined.inputs.size(), 1u);
  EXPECT_EQ(joined.inputs[0].shape, (std::vector<int64_t>{3, 2}));
  auto values = joined.inputs[0].Values<double>();
  EXPECT_EQ(std::vector<double>(values.begin(), values.end()),
            (std::vector<double>{1, 2, 3, 4, 5, 6}));

  // One label per row, and a BYTES output with variable-length rows.
  std::vector<Tensor> outputs;
  outputs.push_back(MakeTensor<int64_t>("label", {3}, std::vector<int64_t>{7, 8, 9}));
  std::string_view words[] = {"a", "bb", "ccc"};
  outputs.push_back(MakeBytesTensor("word", {3}, words));
  int64_t rows[] = {2, 1};
  auto parts = SplitRows(outputs, rows);
  ASSERT_TRUE(parts.ok()) << parts.status().ToString();
  ASSERT_EQ(parts->size(), 2u);
  EXPECT_EQ((*parts)[0][0].shape, (std::vector<int64_t>{2}));
  auto first = (*parts)[0][0].Values<int64_t>();
  EXPECT_EQ(std::vector<int64_t>(first.begin(), first.end()), (std::vector<int64_t>{7, 8}));
  EXPECT_EQ((*parts)[1][0].Values<int64_t>()[0], 9);
  EXPECT_EQ((*parts)[0][1].BytesElements(), (std::vector<std::string_view>{"a", "bb"}));
  EXPECT_EQ((*parts)[1][1].BytesElements(), (std::vector<std::string_view>{"ccc"}));
}

TEST(BatchTest, SplitRejectsRowCountMismatch) {
  std::vector<Tensor> outputs;
  outputs.push_back(MakeTensor<int64_t>("label", {2}, std::vector<int64_t>{7, 8}));
  int64_t rows[] = {2, 1};
  EXPECT_EQ(SplitRows(outputs, rows).status().code(), StatusCode::kInternal);
}

}  // namespace
}  // namespace skiff::serving
