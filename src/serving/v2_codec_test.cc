// Tests for V2 REST decoding and encoding: every datatype, flat and nested data, schema and
// value errors, size limits, and the binary tensor extension.
#include "serving/v2_codec.h"

#include <gtest/gtest.h>

#include <cstring>
#include <limits>

#include "serving/errors.h"

namespace skiff::serving {
namespace {

int Http(const Status& s) { return ToHttpError(s).status; }

V2ResponseOptions BinaryOut(bool binary) {
  V2ResponseOptions options;
  options.binary_data_output = binary;
  return options;
}

std::string Input(std::string_view datatype, std::string_view shape, std::string_view data) {
  return std::string(R"({"inputs":[{"name":"x","datatype":")") + std::string(datatype) +
         R"(","shape":)" + std::string(shape) + R"(,"data":)" + std::string(data) + "}]}";
}

StatusOr<Tensor> DecodeOne(std::string_view datatype, std::string_view shape, std::string_view data,
                           const V2DecodeOptions& options = {}) {
  SKIFF_ASSIGN_OR_RETURN(InferRequest req,
                         DecodeV2Request(Input(datatype, shape, data), std::nullopt, options));
  return std::move(req.inputs.at(0));
}

std::string Le32(uint32_t v) {
  std::string s(4, '\0');
  std::memcpy(s.data(), &v, 4);
  return s;
}

// --- Every datatype, flat JSON ---------------------------------------------------------

TEST(V2DecodeTest, EveryDatatypeFlat) {
  {
    Tensor t = *DecodeOne("BOOL", "[3]", "[true,false,true]");
    EXPECT_EQ(t.datatype, DataType::kBool);
    EXPECT_EQ(t.data, std::string("\x01\x00\x01", 3));
  }
  EXPECT_EQ(DecodeOne("UINT8", "[2]", "[0,255]")->Values<uint8_t>()[1], 255);
  EXPECT_EQ(DecodeOne("UINT16", "[2]", "[0,65535]")->Values<uint16_t>()[1], 65535);
  EXPECT_EQ(DecodeOne("UINT32", "[2]", "[0,4294967295]")->Values<uint32_t>()[1], 4294967295u);
  EXPECT_EQ(DecodeOne("UINT64", "[2]", "[1,18446744073709551615]")->Values<uint64_t>()[1],
            std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(DecodeOne("INT8", "[2]", "[-128,127]")->Values<int8_t>()[0], -128);
  EXPECT_EQ(DecodeOne("INT16", "[2]", "[-32768,32767]")->Values<int16_t>()[0], -32768);
  EXPECT_EQ(DecodeOne("INT32", "[2]", "[-2147483648,2147483647]")->Values<int32_t>()[0],
            std::numeric_limits<int32_t>::min());
  {
    Tensor t = *DecodeOne("INT64", "[2]", "[-9223372036854775808,9223372036854775807]");
    EXPECT_EQ(t.Values<int64_t>()[0], std::numeric_limits<int64_t>::min());
    EXPECT_EQ(t.Values<int64_t>()[1], std::numeric_limits<int64_t>::max());
  }
  {
    Tensor t = *DecodeOne("FP32", "[3]", "[1.5,-2.25,3]");  // integers are numbers too
    EXPECT_EQ(t.data.size(), 12u);
    EXPECT_EQ(std::vector<float>(t.Values<float>().begin(), t.Values<float>().end()),
              (std::vector<float>{1.5f, -2.25f, 3.0f}));
  }
  {
    Tensor t = *DecodeOne("FP64", "[2]", "[0.1,-1e300]");
    EXPECT_EQ(t.Values<double>()[0], 0.1);
    EXPECT_EQ(t.Values<double>()[1], -1e300);
  }
  {
    Tensor t = *DecodeOne("BYTES", "[3]", R"(["a","","h\u00e9"])");
    EXPECT_EQ(t.BytesElements(), (std::vector<std::string_view>{"a", "", "h\xc3\xa9"}));
    EXPECT_EQ(t.data, Le32(1) + "a" + Le32(0) + Le32(3) + "h\xc3\xa9");
  }
}

TEST(V2DecodeTest, RequestFieldsAndParameters) {
  const std::string body = R"({"id":"r-1","parameters":{"b":true,"i":3,"d":0.5,"s":"x","n":null,
    "binary_data_output":true},
    "inputs":[{"name":"in0","shape":[1,4],"datatype":"FP32","parameters":{"content_type":"np"},
               "data":[5.1,3.5,1.4,0.2]}],
    "outputs":[{"name":"o1","parameters":{"binary_data":false,"k":1}},{"name":"o2"}]})";
  StatusOr<InferRequest> req = DecodeV2Request(body, std::nullopt);
  ASSERT_TRUE(req.ok()) << req.status().ToString();
  EXPECT_EQ(req->id, "r-1");
  EXPECT_TRUE(req->binary_data_output);
  EXPECT_EQ(req->parameters.Find("binary_data_output"), nullptr);
  EXPECT_EQ(req->parameters.GetBool("b"), true);
  EXPECT_EQ(req->parameters.GetInt("i"), 3);
  EXPECT_EQ(req->parameters.GetString("s"), "x");
  EXPECT_EQ(req->parameters.Find("n"), nullptr);
  EXPECT_EQ(req->parameters.size(), 4u);
  ASSERT_EQ(req->inputs.size(), 1u);
  EXPECT_EQ(req->inputs[0].name, "in0");
  EXPECT_EQ(req->inputs[0].shape, (std::vector<int64_t>{1, 4}));
  EXPECT_EQ(req->inputs[0].parameters.GetString("content_type"), "np");
  EXPECT_EQ(req->inputs[0].Values<float>()[0], 5.1f);
  ASSERT_EQ(req->outputs.size(), 2u);
  EXPECT_EQ(req->outputs[0].name, "o1");
  EXPECT_EQ(req->outputs[0].binary_data, false);
  EXPECT_EQ(req->outputs[0].parameters.GetInt("k"), 1);
  EXPECT_EQ(req->outputs[0].parameters.Find("binary_data"), nullptr);
  EXPECT_EQ(req->outputs[1].binary_data, std::nullopt);
}

// --- Nested data and shape agreement ---------------------------------------------------

TEST(V2DecodeTest, NestedDataEqualsFlat) {
  Tensor flat = *DecodeOne("INT32", "[2,3]", "[1,2,3,4,5,6]");
  Tensor nested = *DecodeOne("INT32", "[2,3]", "[[1,2,3],[4,5,6]]");
  EXPECT_EQ(flat.data, nested.data);
  EXPECT_EQ(DecodeOne("FP64", "[1,1]", "[[5]]")->Values<double>()[0], 5.0);
  EXPECT_EQ(DecodeOne("INT8", "[4,1]", "[[1],[2],[3],[4]]")->Values<int8_t>()[3], 4);
  EXPECT_EQ(DecodeOne("INT8", "[2,1,2]", "[[[1,2]],[[3,4]]]")->Values<int8_t>()[2], 3);
  EXPECT_EQ(DecodeOne("BYTES", "[2,1]", R"([["a"],["b"]])")->BytesElements()[1], "b");
  EXPECT_EQ(DecodeOne("INT32", "[]", "[7]")->Values<int32_t>()[0], 7);  // rank-0 scalar
  EXPECT_TRUE(DecodeOne("FP32", "[0,3]", "[]")->data.empty());
  EXPECT_TRUE(DecodeOne("FP32", "[2,0]", "[[],[]]")->data.empty());
}

TEST(V2DecodeTest, ShapeMismatchesUseTritonWording) {
  const char kMsg[] = "Unable to parse 'data': Shape does not match true shape of 'data' field";
  const std::pair<const char*, const char*> cases[] = {
      {"[1,16]", "[1,2,3]"},           // too few
      {"[3]", "[1,2,3,4]"},            // too many
      {"[3,2]", "[[1,2,3],[4,5,6]]"},  // nesting of another shape
      {"[2,2]", "[[1,2],[3]]"},        // ragged
      {"[2,1]", "[[1],2]"},            // mixed
      {"[2,1]", "[1,[2]]"},            // flat with an array inside
      {"[2]", "[[1],[2]]"},            // nested deeper than the shape
      {"[1,2]", "[[[1,2]]]"},          // one level too deep
      {"[]", "[]"},                    // a scalar needs one value
  };
  for (auto [shape, data] : cases) {
    StatusOr<Tensor> t = DecodeOne("INT32", shape, data);
    ASSERT_FALSE(t.ok()) << shape << " " << data;
    EXPECT_EQ(t.status().message(), kMsg) << shape << " " << data;
    EXPECT_EQ(Http(t.status()), 400);
  }
}

// --- Value ranges and JSON kinds -------------------------------------------------------

TEST(V2DecodeTest, OutOfRangeValues) {
  const std::pair<const char*, const char*> cases[] = {
      {"UINT8", "256"},
      {"UINT8", "-1"},
      {"INT8", "128"},
      {"INT8", "-129"},
      {"UINT16", "65536"},
      {"INT16", "32768"},
      {"INT16", "-32769"},
      {"UINT32", "4294967296"},
      {"INT32", "2147483648"},
      {"INT32", "-2147483649"},
      {"INT64", "9223372036854775808"},
      {"UINT64", "-1"},
      {"FP32", "1e39"},
      {"FP32", "-3.5e38"},
  };
  for (auto [type, value] : cases) {
    StatusOr<Tensor> t = DecodeOne(type, "[1]", std::string("[") + value + "]");
    ASSERT_FALSE(t.ok()) << type << " " << value;
    EXPECT_EQ(Http(t.status()), 400);
    EXPECT_NE(t.status().message().find("out of range"), std::string::npos) << t.status().message();
  }
  EXPECT_EQ(DecodeOne("UINT8", "[1]", "[300]").status().message(),
            "Unable to parse 'data': value 300 is out of range for UINT8 input 'x'");
  // Small doubles still fit FP32 (they round, possibly to zero).
  EXPECT_TRUE(DecodeOne("FP32", "[1]", "[1e-50]").ok());
  EXPECT_EQ(DecodeOne("FP32", "[1]", "[3.4028234663852886e38]")->Values<float>()[0],
            std::numeric_limits<float>::max());
}

TEST(V2DecodeTest, WrongJsonKinds) {
  const std::pair<const char*, const char*> cases[] = {
      {"BOOL", "[1]"},     {"BOOL", "[\"true\"]"}, {"INT32", "[1.5]"}, {"INT32", "[\"1\"]"},
      {"UINT8", "[true]"}, {"FP32", "[\"x\"]"},    {"FP64", "[true]"}, {"FP64", "[null]"},
      {"BYTES", "[1]"},    {"BYTES", "[{}]"},      {"INT64", "[1.0]"},
  };
  for (auto [type, data] : cases) {
    StatusOr<Tensor> t = DecodeOne(type, "[1]", data);
    ASSERT_FALSE(t.ok()) << type << " " << data;
    EXPECT_EQ(Http(t.status()), 400) << type << " " << data;
  }
  EXPECT_EQ(DecodeOne("INT32", "[2]", "[1,\"2\"]").status().message(),
            "Unable to parse 'data': expected an integer for INT32 input 'x', got a string");
  EXPECT_EQ(DecodeOne("BOOL", "[1]", "[0]").status().message(),
            "Unable to parse 'data': expected a boolean for BOOL input 'x', got a number");
}

TEST(V2DecodeTest, UnknownDatatype) {
  for (const char* type : {"FLOAT32", "fp32", "BF16", ""}) {
    StatusOr<Tensor> t = DecodeOne(type, "[1]", "[1]");
    ASSERT_FALSE(t.ok());
    EXPECT_EQ(Http(t.status()), 400);
    EXPECT_EQ(t.status().message(), "invalid datatype '" + std::string(type) + "' for input 'x'");
  }
}

TEST(V2DecodeTest, Fp16) {
  StatusOr<Tensor> refused = DecodeOne("FP16", "[1]", "[1.0]");
  EXPECT_EQ(refused.status().message(),
            "receiving FP16 data via JSON is not supported. Please use the binary data format "
            "for input x");
  EXPECT_EQ(Http(refused.status()), 400);
  V2DecodeOptions allow;
  allow.allow_fp16_json = true;
  Tensor t = *DecodeOne("FP16", "[3]", "[1.0,-2,0.333251953125]", allow);
  EXPECT_EQ(t.Values<Fp16>()[0].bits, 0x3C00);
  EXPECT_EQ(t.Values<Fp16>()[1].bits, 0xC000);
  EXPECT_EQ(t.Values<Fp16>()[2].bits, 0x3555);
  EXPECT_FALSE(DecodeOne("FP16", "[1]", "[70000]", allow).ok());  // beyond half's range
}

// --- Schema errors: 422 as FastAPI answers -------------------------------------------

TEST(V2DecodeTest, SchemaErrorsAre422WithLocation) {
  struct Case {
    std::string body;
    std::string type;
    std::string loc;
  } cases[] = {
      {"[]", "model_attributes_type", "\"body\""},
      {"{}", "missing", "\"body\",\"inputs\""},
      {R"({"inputs":{}})", "list_type", "\"body\",\"inputs\""},
      {R"({"inputs":[1]})", "model_attributes_type", "\"body\",\"inputs\",0"},
      {R"({"inputs":[{"shape":[1],"datatype":"FP32","data":[1]}]})", "missing",
       "\"body\",\"inputs\",0,\"name\""},
      {R"({"inputs":[{"name":3,"shape":[1],"datatype":"FP32","data":[1]}]})", "string_type",
       "\"body\",\"inputs\",0,\"name\""},
      {R"({"inputs":[{"name":"x","datatype":"FP32","data":[1]}]})", "missing",
       "\"body\",\"inputs\",0,\"shape\""},
      {R"({"inputs":[{"name":"x","shape":3,"datatype":"FP32","data":[1]}]})", "list_type",
       "\"body\",\"inputs\",0,\"shape\""},
      {R"({"inputs":[{"name":"x","shape":[1,"2"],"datatype":"FP32","data":[1]}]})", "int_type",
       "\"body\",\"inputs\",0,\"shape\",1"},
      {R"({"inputs":[{"name":"x","shape":[1.5],"datatype":"FP32","data":[1]}]})", "int_from_float",
       "\"body\",\"inputs\",0,\"shape\",0"},
      {R"({"inputs":[{"name":"x","shape":[1],"data":[1]}]})", "missing",
       "\"body\",\"inputs\",0,\"datatype\""},
      {R"({"inputs":[{"name":"x","shape":[1],"datatype":1,"data":[1]}]})", "string_type",
       "\"body\",\"inputs\",0,\"datatype\""},
      {R"({"inputs":[{"name":"x","shape":[1],"datatype":"FP32"}]})", "missing",
       "\"body\",\"inputs\",0,\"data\""},
      {R"({"inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":1}]})", "list_type",
       "\"body\",\"inputs\",0,\"data\""},
      {R"({"inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":[1],"parameters":[]}]})",
       "dict_type", "\"body\",\"inputs\",0,\"parameters\""},
      {R"({"id":5,"inputs":[]})", "string_type", "\"body\",\"id\""},
      {R"({"parameters":"x","inputs":[]})", "dict_type", "\"body\",\"parameters\""},
      {R"({"inputs":[],"outputs":{}})", "list_type", "\"body\",\"outputs\""},
      {R"({"inputs":[],"outputs":[{}]})", "missing", "\"body\",\"outputs\",0,\"name\""},
  };
  for (const Case& c : cases) {
    StatusOr<InferRequest> r = DecodeV2Request(c.body, std::nullopt);
    ASSERT_FALSE(r.ok()) << c.body;
    HttpError e = ToHttpError(r.status());
    EXPECT_EQ(e.status, 422) << c.body;
    EXPECT_NE(e.body.find("\"type\":\"" + c.type + "\""), std::string::npos) << e.body;
    EXPECT_NE(e.body.find("\"loc\":[" + c.loc + "]"), std::string::npos) << e.body;
  }
  EXPECT_EQ(ToHttpError(DecodeV2Request("{}", std::nullopt).status()).body,
            R"({"detail":[{"type":"missing","loc":["body","inputs"],"msg":"Field required"}]})");
}

TEST(V2DecodeTest, OtherRequestErrorsAre400) {
  const char* bodies[] = {
      R"({"inputs":[{"name":"x","shape":[-1],"datatype":"FP32","data":[]}]})",
      R"({"parameters":{"binary_data_output":1},"inputs":[]})",
      R"({"parameters":{"k":{"nested":1}},"inputs":[]})",
      R"({"inputs":[],"outputs":[{"name":"o","parameters":{"binary_data":"yes"}}]})",
  };
  for (const char* body : bodies) {
    StatusOr<InferRequest> r = DecodeV2Request(body, std::nullopt);
    ASSERT_FALSE(r.ok()) << body;
    EXPECT_EQ(Http(r.status()), 400) << body;
  }
  EXPECT_TRUE(
      DecodeV2Request(R"({"inputs":[{"name":"x","shape":[2.0],"datatype":"FP32","data":[1,2]}]})",
                      std::nullopt)
          .ok());  // an integral double is an integer, as pydantic allows
}

TEST(V2DecodeTest, MalformedJson) {
  for (std::string_view body : {"", "{", R"({"inputs":[}")", "nul", "{\"a\":\"\xff\"}"}) {
    StatusOr<InferRequest> r = DecodeV2Request(body, std::nullopt);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(Http(r.status()), 400);
    EXPECT_EQ(r.status().message().rfind("Unrecognized request format: ", 0), 0u)
        << r.status().message();
  }
  std::string deep(300, '[');
  EXPECT_FALSE(DecodeV2Request(deep + std::string(300, ']'), std::nullopt).ok());
}

// --- Size limits ------------------------------------------------------------------------

TEST(V2DecodeTest, HugeShapesRejectedBeforeAllocation) {
  StatusOr<Tensor> huge = DecodeOne("FP32", "[1000000000000]", "[1]");
  EXPECT_EQ(huge.status().code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(Http(huge.status()), 413);
  EXPECT_EQ(DecodeOne("INT8", "[4294967296,4294967296,4294967296]", "[1]").status().code(),
            StatusCode::kResourceExhausted);  // the product overflows int64
  V2DecodeOptions small;
  small.max_elements = 4;
  EXPECT_TRUE(DecodeOne("INT8", "[2,2]", "[1,2,3,4]", small).ok());
  EXPECT_EQ(DecodeOne("INT8", "[5]", "[1,2,3,4,5]", small).status().code(),
            StatusCode::kResourceExhausted);
  small.max_bytes = 8;
  EXPECT_EQ(DecodeOne("INT64", "[2]", "[1,2]", small).status().code(),
            StatusCode::kResourceExhausted);
  EXPECT_EQ(DecodeOne("BYTES", "[1]", R"(["abcde"])", small).status().code(),
            StatusCode::kResourceExhausted);
  // With the limits lifted, a huge shape must still fail on the element count without first
  // reserving shape-sized storage (which would abort this test with bad_alloc).
  V2DecodeOptions unlimited;
  unlimited.max_elements = int64_t{1} << 60;
  unlimited.max_bytes = std::numeric_limits<int64_t>::max();
  StatusOr<Tensor> lying = DecodeOne("FP64", "[576460752303423488]", "[1]", unlimited);
  EXPECT_EQ(Http(lying.status()), 400);
  StatusOr<Tensor> nested = DecodeOne("FP64", "[1,576460752303423488]", "[[1]]", unlimited);
  EXPECT_EQ(Http(nested.status()), 400);
  V2DecodeOptions low_rank;
  low_rank.max_rank = 2;
  EXPECT_EQ(Http(DecodeOne("INT8", "[1,1,1]", "[1]", low_rank).status()), 400);
}

// --- Binary tensor extension ----------------------------------------------------------

std::string BinaryHeader(std::string_view datatype, std::string_view shape, size_t size) {
  return std::string(R"({"inputs":[{"name":"x","datatype":")") + std::string(datatype) +
         R"(","shape":)" + std::string(shape) + R"(,"parameters":{"binary_data_size":)" +
         std::to_string(size) + "}}]}";
}

StatusOr<InferRequest> DecodeBinary(const std::string& header, std::string_view tail) {
  V2DecodeOptions options;
  options.model_name = "m";
  return DecodeV2Request(header + std::string(tail), header.size(), options);
}

TEST(V2BinaryTest, DecodesRawTensors) {
  std::string raw(8, '\0');
  const float f[] = {1.5f, -2.0f};
  std::memcpy(raw.data(), f, 8);
  StatusOr<InferRequest> r = DecodeBinary(BinaryHeader("FP32", "[1,2]", 8), raw);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->inputs[0].Values<float>()[1], -2.0f);
  EXPECT_EQ(r->inputs[0].parameters.Find("binary_data_size"), nullptr);
  EXPECT_EQ(r->inputs[0].parameters.size(), 0u);

  // FP16 travels fine in binary.
  r = DecodeBinary(BinaryHeader("FP16", "[1]", 2), std::string("\x00\x3c", 2));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->inputs[0].Values<Fp16>()[0].bits, 0x3C00);

  // BOOL bytes are normalized to 0/1.
  r = DecodeBinary(BinaryHeader("BOOL", "[3]", 3), std::string("\x07\x00\x01", 3));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->inputs[0].data, std::string("\x01\x00\x01", 3));

  const std::string bytes = Le32(2) + "ab" + Le32(0);
  r = DecodeBinary(BinaryHeader("BYTES", "[2]", bytes.size()), bytes);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->inputs[0].BytesElements(), (std::vector<std::string_view>{"ab", ""}));

  r = DecodeBinary(BinaryHeader("INT32", "[0]", 0), "");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->inputs[0].data.empty());
}

TEST(V2BinaryTest, MixedJsonAndBinaryInputsInOrder) {
  const std::string header =
      R"({"inputs":[{"name":"a","datatype":"INT8","shape":[2],"parameters":{"binary_data_size":2}},)"
      R"({"name":"b","datatype":"INT8","shape":[1],"data":[9]},)"
      R"({"name":"c","datatype":"INT8","shape":[1],"parameters":{"binary_data_size":1}}]})";
  StatusOr<InferRequest> r = DecodeV2Request(header + "\x01\x02\x03", header.size());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->inputs[0].data, "\x01\x02");
  EXPECT_EQ(r->inputs[1].data, "\x09");
  EXPECT_EQ(r->inputs[2].data, "\x03");
}

TEST(V2BinaryTest, ErrorsUseTritonWording) {
  struct Case {
    std::string header;
    std::string tail;
    std::string message;
  } cases[] = {
      {BinaryHeader("FP32", "[4]", 16), std::string(14, 'x'),
       "unexpected size for input 'x', expecting 2 additional bytes for model 'm'"},
      {BinaryHeader("FP32", "[4]", 16), std::string(17, 'x'),
       "unexpected additional input data for model 'm'"},
      {BinaryHeader("FP32", "[4]", 12), std::string(12, 'x'),
       "input byte size mismatch for input 'x' for model 'm'. Expected 16, got 12"},
      {BinaryHeader("BYTES", "[3]", 10), Le32(1) + "a" + Le32(1) + "b",
       "expected 3 string elements for inference input 'x' for model 'm', got 2"},
      {BinaryHeader("BYTES", "[1]", 6), Le32(5) + "ab",
       "element byte size indicator exceeds the end of the buffer"},
      {BinaryHeader("BYTES", "[1]", 3), std::string("\x01\x00\x00", 3),
       "element byte size indicator exceeds the end of the buffer"},
      {R"({"inputs":[{"name":"x","datatype":"INT8","shape":[1]}]})", "",
       "'data' field is missing for input 'x' for model 'm'"},
      {R"({"inputs":[{"name":"x","datatype":"INT8","shape":[1],"data":[1],)"
       R"("parameters":{"binary_data_size":1}}]})",
       "\x01", "input 'x' has both 'data' and 'binary_data_size'; send one of them"},
      {R"({"inputs":[{"name":"x","datatype":"INT8","shape":[1],)"
       R"("parameters":{"binary_data_size":-1}}]})",
       "", "Unable to parse 'binary_data_size' for input 'x'"},
  };
  for (const Case& c : cases) {
    StatusOr<InferRequest> r = DecodeBinary(c.header, c.tail);
    ASSERT_FALSE(r.ok()) << c.message;
    EXPECT_EQ(r.status().message(), c.message);
    EXPECT_EQ(Http(r.status()), 400);
  }
}

TEST(V2BinaryTest, BinaryNeedsTheHeaderAndAFittingLength) {
  const std::string header = BinaryHeader("INT8", "[1]", 1);
  StatusOr<InferRequest> r = DecodeV2Request(header, std::nullopt);
  EXPECT_EQ(r.status().message(),
            "must specify valid 'Infer-Header-Content-Length' in request header and "
            "'binary_data_size' when passing inputs in binary data format");
  r = DecodeV2Request(header + "\x01", header.size() + 5);
  EXPECT_EQ(Http(r.status()), 400);
  EXPECT_NE(r.status().message().find("exceeds the body size"), std::string::npos);
  // A header length that cuts the JSON short is a JSON error.
  r = DecodeV2Request(header + "\x01", header.size() - 3);
  EXPECT_EQ(Http(r.status()), 400);
}

// --- Round trips through the encoders --------------------------------------------------

InferRequest EveryTypeRequest() {
  const bool b[] = {true, false};
  const uint8_t u8[] = {0, 255};
  const uint16_t u16[] = {1, 65535};
  const uint32_t u32[] = {2, 4294967295u};
  const uint64_t u64[] = {3, 18446744073709551615ull};
  const int8_t i8[] = {-128, 127};
  const int16_t i16[] = {-32768, 32767};
  const int32_t i32[] = {-2147483647 - 1, 2147483647};
  const int64_t i64[] = {std::numeric_limits<int64_t>::min(), 9223372036854775807};
  const float f32[] = {0.1f, -3.4e38f};
  const double f64[] = {0.1, 5e-324};
  const std::string_view s[] = {"", "h\xc3\xa9llo \"q\"\n"};
  InferRequest req;
  req.id = "rt";
  req.parameters.Set("p", int64_t{1});
  req.inputs = {
      MakeTensor<bool>("b", {1, 2}, b),         MakeTensor<uint8_t>("u8", {2}, u8),
      MakeTensor<uint16_t>("u16", {2, 1}, u16), MakeTensor<uint32_t>("u32", {2}, u32),
      MakeTensor<uint64_t>("u64", {2}, u64),    MakeTensor<int8_t>("i8", {2}, i8),
      MakeTensor<int16_t>("i16", {2}, i16),     MakeTensor<int32_t>("i32", {2}, i32),
      MakeTensor<int64_t>("i64", {2}, i64),     MakeTensor<float>("f32", {2}, f32),
      MakeTensor<double>("f64", {2}, f64),      MakeBytesTensor("s", {2}, s),
  };
  req.inputs[9].parameters.Set("content_type", std::string("np"));
  req.outputs = {{.name = "o", .binary_data = true, .parameters = {}}};
  return req;
}

TEST(V2RoundTripTest, RequestJsonAndBinary) {
  InferRequest req = EveryTypeRequest();
  for (bool binary : {false, true}) {
    StatusOr<V2Body> body = EncodeV2Request(req, binary);
    ASSERT_TRUE(body.ok()) << body.status().ToString();
    EXPECT_EQ(body->json_header_length.has_value(), binary);
    StatusOr<InferRequest> back = DecodeV2Request(body->bytes, body->json_header_length);
    ASSERT_TRUE(back.ok()) << back.status().ToString() << "\n" << body->bytes;
    EXPECT_EQ(*back, req) << "binary=" << binary;
  }
  const Fp16 h[] = {{0x3C00}, {0x7BFF}};
  req.inputs.push_back(MakeTensor<Fp16>("h", {2}, h));
  EXPECT_FALSE(EncodeV2Request(req, false).ok());
  StatusOr<V2Body> body = EncodeV2Request(req, true);
  EXPECT_EQ(*DecodeV2Request(body->bytes, body->json_header_length), req);
}

TEST(V2RoundTripTest, ResponseJsonAndBinary) {
  InferResponse resp;
  resp.model_name = "m";
  resp.model_version = "2";
  resp.id = "rid";
  resp.parameters.Set("k", std::string("v"));
  resp.outputs = EveryTypeRequest().inputs;
  for (bool binary : {false, true}) {
    StatusOr<V2Body> body = EncodeV2Response(resp, BinaryOut(binary));
    ASSERT_TRUE(body.ok()) << body.status().ToString();
    StatusOr<InferResponse> back = DecodeV2Response(body->bytes, body->json_header_length);
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(*back, resp);
  }
}

// --- Response encoding ------------------------------------------------------------------

InferResponse SampleResponse() {
  const float out[] = {1.5f, 0.1f};
  const int64_t cls[] = {0, 2};
  InferResponse r;
  r.model_name = "iris";
  r.id = "r1";
  r.outputs = {MakeTensor<float>("proba", {2}, out), MakeTensor<int64_t>("output-0", {2}, cls)};
  return r;
}

TEST(V2EncodeTest, JsonBody) {
  StatusOr<V2Body> body = EncodeV2Response(SampleResponse());
  ASSERT_TRUE(body.ok());
  EXPECT_EQ(body->json_header_length, std::nullopt);
  EXPECT_EQ(body->bytes,
            R"({"model_name":"iris","id":"r1","outputs":[)"
            R"({"name":"proba","datatype":"FP32","shape":[2],"data":[1.5,0.10000000149011612]},)"
            R"({"name":"output-0","datatype":"INT64","shape":[2],"data":[0,2]}]})");
}

TEST(V2EncodeTest, RequestedOutputsSelectOrderAndFormat) {
  V2ResponseOptions options;
  options.binary_data_output = true;
  options.requested_outputs = {{.name = "output-0", .binary_data = false, .parameters = {}},
                               {.name = "proba", .binary_data = std::nullopt, .parameters = {}}};
  StatusOr<V2Body> body = EncodeV2Response(SampleResponse(), options);
  ASSERT_TRUE(body.ok());
  ASSERT_TRUE(body->json_header_length.has_value());
  const std::string json = body->bytes.substr(0, *body->json_header_length);
  EXPECT_EQ(
      json,
      R"({"model_name":"iris","id":"r1","outputs":[)"
      R"({"name":"output-0","datatype":"INT64","shape":[2],"data":[0,2]},)"
      R"({"name":"proba","datatype":"FP32","shape":[2],"parameters":{"binary_data_size":8}}]})");
  std::string raw(8, '\0');
  const float f[] = {1.5f, 0.1f};
  std::memcpy(raw.data(), f, 8);
  EXPECT_EQ(body->bytes.substr(*body->json_header_length), raw);

  options.requested_outputs = {{.name = "nope", .binary_data = std::nullopt, .parameters = {}}};
  StatusOr<V2Body> missing = EncodeV2Response(SampleResponse(), options);
  EXPECT_EQ(missing.status().message(), "Unexpected inference output 'nope' for model 'iris'");
  EXPECT_EQ(Http(missing.status()), 400);
}

TEST(V2EncodeTest, ResponseOptionsComeFromTheRequest) {
  InferRequest req =
      *DecodeV2Request(R"({"parameters":{"binary_data_output":true},"inputs":[],)"
                       R"("outputs":[{"name":"proba","parameters":{"binary_data":false}}]})",
                       std::nullopt);
  V2ResponseOptions options = ResponseOptionsFor(req);
  EXPECT_TRUE(options.binary_data_output);
  ASSERT_EQ(options.requested_outputs.size(), 1u);
  StatusOr<V2Body> body = EncodeV2Response(SampleResponse(), options);
  ASSERT_TRUE(body.ok());
  EXPECT_EQ(body->json_header_length, std::nullopt);  // the one output asked for JSON
  EXPECT_EQ(body->bytes.find("output-0"), std::string::npos);
}

TEST(V2EncodeTest, Errors) {
  InferResponse r = SampleResponse();
  const Fp16 h[] = {{0x3C00}};
  r.outputs.push_back(MakeTensor<Fp16>("half", {1}, h));
  StatusOr<V2Body> fp16 = EncodeV2Response(r);
  EXPECT_EQ(fp16.status().message(),
            "Sending FP16 data via JSON is not supported. Please use the binary data format for "
            "output half");
  EXPECT_EQ(Http(fp16.status()), 400);
  EXPECT_TRUE(EncodeV2Response(r, BinaryOut(true)).ok());

  InferResponse bad = SampleResponse();
  bad.outputs[0].shape = {3};
  for (bool binary : {false, true}) {
    StatusOr<V2Body> body = EncodeV2Response(bad, BinaryOut(binary));
    EXPECT_EQ(body.status().message(),
              "output tensor shape does not match size of output for 'proba'");
    EXPECT_EQ(Http(body.status()), 500);
  }
  InferResponse text;
  const std::string_view raw[] = {"\xff"};
  text.outputs = {MakeBytesTensor("t", {1}, raw)};
  EXPECT_EQ(Http(EncodeV2Response(text).status()), 500);
  EXPECT_TRUE(EncodeV2Response(text, BinaryOut(true)).ok());
}

}  // namespace
}  // namespace skiff::serving
