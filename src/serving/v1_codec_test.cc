// Tests for KServe V1 decoding (numeric rows and generic rows) and predictions encoding.
#include "serving/v1_codec.h"

#include <gtest/gtest.h>

#include "serving/errors.h"

namespace skiff::serving {
namespace {

int Http(const Status& s) { return ToHttpError(s).status; }

TEST(V1DecodeTest, InstancesMatrix) {
  StatusOr<V1Request> r = DecodeV1Request(R"({"instances":[[5.1,3.5,1.4,0.2],[6.2,3.4,5.4,2]]})");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->key, "instances");
  ASSERT_TRUE(r->tensor.has_value());
  EXPECT_TRUE(r->rows.empty());
  const Tensor& t = *r->tensor;
  EXPECT_EQ(t.name, "instances");
  EXPECT_EQ(t.datatype, DataType::kFp64);
  EXPECT_EQ(t.shape, (std::vector<int64_t>{2, 4}));
  std::span<const double> v = t.Values<double>();
  EXPECT_EQ(std::vector<double>(v.begin(), v.end()),
            (std::vector<double>{5.1, 3.5, 1.4, 0.2, 6.2, 3.4, 5.4, 2}));
}

TEST(V1DecodeTest, InputsKeyAndPrecedence) {
  StatusOr<V1Request> r = DecodeV1Request(R"({"inputs":[1,2,3]})");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->key, "inputs");
  EXPECT_EQ(r->tensor->shape, (std::vector<int64_t>{3}));
  // KServe reads "inputs" when both are present.
  r = DecodeV1Request(R"({"instances":[[9]],"inputs":[[1,2]]})");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->key, "inputs");
  EXPECT_EQ(r->tensor->shape, (std::vector<int64_t>{1, 2}));
}

TEST(V1DecodeTest, ShapesAsNumpyInfersThem) {
  EXPECT_EQ(DecodeV1Request(R"({"instances":[]})")->tensor->shape, (std::vector<int64_t>{0}));
  EXPECT_EQ(DecodeV1Request(R"({"instances":[[]]})")->tensor->shape, (std::vector<int64_t>{1, 0}));
  StatusOr<V1Request> r = DecodeV1Request(R"({"instances":[[[1,2],[3,4]],[[5,6],[7,8]]]})");
  EXPECT_EQ(r->tensor->shape, (std::vector<int64_t>{2, 2, 2}));
  EXPECT_EQ(r->tensor->Values<double>()[7], 8.0);
  r = DecodeV1Request(R"({"instances":[18446744073709551615,-1]})");
  EXPECT_EQ(r->tensor->Values<double>()[0], 18446744073709551615.0);
}

TEST(V1DecodeTest, IrregularRowsStayJson) {
  const std::pair<const char*, std::vector<std::string>> cases[] = {
      {R"({"instances":[[1,2],[3]]})", {"[1,2]", "[3]"}},
      {R"({"instances":[{"sepal length": 5.1, "b": [1, 2]}, {"x": null}]})",
       {R"({"sepal length":5.1,"b":[1,2]})", R"({"x":null})"}},
      {R"({"instances":["a b", "c"]})", {R"("a b")", R"("c")"}},
      {R"({"instances":[1, true]})", {"1", "true"}},
      {R"({"instances":[[1,2],[3,"x"]]})", {"[1,2]", R"([3,"x"])"}},
      {R"({"instances":[1,[2]]})", {"1", "[2]"}},
  };
  for (const auto& [body, rows] : cases) {
    StatusOr<V1Request> r = DecodeV1Request(body);
    ASSERT_TRUE(r.ok()) << body;
    EXPECT_FALSE(r->tensor.has_value()) << body;
    EXPECT_EQ(r->rows, rows) << body;
  }
}

TEST(V1DecodeTest, Errors) {
  struct Case {
    std::string body;
    std::string message;
  } cases[] = {
      {"{}", "Expected \"instances\" or \"inputs\" in request body"},
      {"[1,2]", "Expected \"instances\" or \"inputs\" in request body"},
      {R"({"instances":{"a":1}})", "Expected \"instances\" to be a list"},
      {R"({"inputs":3})", "Expected \"inputs\" to be a list"},
  };
  for (const Case& c : cases) {
    StatusOr<V1Request> r = DecodeV1Request(c.body);
    ASSERT_FALSE(r.ok()) << c.body;
    EXPECT_EQ(r.status().message(), c.message);
    EXPECT_EQ(Http(r.status()), 400);
  }
  StatusOr<V1Request> bad = DecodeV1Request(R"({"instances":[1,)");
  EXPECT_EQ(Http(bad.status()), 400);
  EXPECT_EQ(bad.status().message().rfind("Unrecognized request format: ", 0), 0u);

  V1DecodeOptions small;
  small.max_elements = 3;
  EXPECT_TRUE(DecodeV1Request(R"({"instances":[1,2,3]})", small).ok());
  StatusOr<V1Request> big = DecodeV1Request(R"({"instances":[[1,2],[3,4]]})", small);
  EXPECT_EQ(Http(big.status()), 413);
}

TEST(V1EncodeTest, Predictions) {
  const int64_t classes[] = {0, 2, 1};
  EXPECT_EQ(*EncodeV1Predictions(MakeTensor<int64_t>("p", {3}, classes)),
            R"({"predictions":[0,2,1]})");
  const double proba[] = {0.9, 0.1, 0.25, 0.75};
  EXPECT_EQ(*EncodeV1Predictions(MakeTensor<double>("p", {2, 2}, proba)),
            R"({"predictions":[[0.9,0.1],[0.25,0.75]]})");
  const float f[] = {1.0f, 0.1f};
  EXPECT_EQ(*EncodeV1Predictions(MakeTensor<float>("p", {2}, f)),
            R"({"predictions":[1.0,0.10000000149011612]})");
  const bool b[] = {true};
  EXPECT_EQ(*EncodeV1Predictions(MakeTensor<bool>("p", {1}, b)), R"({"predictions":[true]})");
  const std::string_view s[] = {"setosa", "virginica"};
  EXPECT_EQ(*EncodeV1Predictions(MakeBytesTensor("p", {2}, s)),
            R"({"predictions":["setosa","virginica"]})");
  const double one[] = {3.0};
  EXPECT_EQ(*EncodeV1Predictions(MakeTensor<double>("p", {}, one)), R"({"predictions":3.0})");
  EXPECT_EQ(Http(EncodeV1Predictions(MakeTensor<double>("p", {4}, one)).status()), 500);
  EXPECT_EQ(EncodeV1PredictionsJson(R"([{"a":1}])"), R"({"predictions":[{"a":1}]})");
}

TEST(V1RoundTripTest, DecodedMatrixEncodesBack) {
  const std::string body = R"({"predictions":[[5.1,3.5],[0.0001,1e-05]]})";
  StatusOr<V1Request> r = DecodeV1Request(R"({"instances":[[5.1,3.5],[0.0001,1e-05]]})");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*EncodeV1Predictions(*r->tensor), body);
}

}  // namespace
}  // namespace skiff::serving
