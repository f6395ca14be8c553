// Tests for KServe error wording and the Status -> HTTP/gRPC table.
#include "serving/errors.h"

#include <gtest/gtest.h>

namespace skiff::serving {
namespace {

TEST(ErrorsTest, KServeConstructors) {
  struct Case {
    Status status;
    int http;
    std::string body;
  } cases[] = {
      {ModelNotFoundError("iris"), 404, R"({"error":"Model with name iris does not exist."})"},
      {ModelNotReadyError("iris"), 503, R"({"error":"Model with name iris is not ready."})"},
      {ModelNotReadyError("iris", "load failed"), 503,
       R"({"error":"Model with name iris is not ready. load failed"})"},
      {ServerNotReadyError(), 503, R"({"error":"Server is not ready."})"},
      {ServerNotLiveError("draining"), 503, R"({"error":"Server is not live. draining"})"},
      {InvalidInputError("bad \"x\""), 400, R"({"error":"bad \"x\""})"},
      {InferenceError("boom"), 500, R"({"error":"boom"})"},
      {InferenceError("boom", "INTERNAL"), 500, R"({"error":"[INTERNAL] boom"})"},
      {UnsupportedProtocolError("v3"), 501, R"({"error":"Unsupported protocol v3."})"},
  };
  for (const Case& c : cases) {
    HttpError e = ToHttpError(c.status);
    EXPECT_EQ(e.status, c.http) << c.status.ToString();
    EXPECT_EQ(e.body, c.body);
  }
}

TEST(ErrorsTest, CodeTable) {
  EXPECT_EQ(ToHttpError(InvalidArgument("x")).status, 400);
  EXPECT_EQ(ToHttpError(OutOfRange("x")).status, 400);
  EXPECT_EQ(ToHttpError(FailedPrecondition("x")).status, 400);
  EXPECT_EQ(ToHttpError(NotFound("x")).status, 404);
  EXPECT_EQ(ToHttpError(AlreadyExists("x")).status, 409);
  EXPECT_EQ(ToHttpError(ResourceExhausted("x")).status, 413);
  EXPECT_EQ(ToHttpError(Internal("x")).status, 500);
  EXPECT_EQ(ToHttpError(Status(StatusCode::kUnknown, "x")).status, 500);
  EXPECT_EQ(ToHttpError(Status(StatusCode::kDataLoss, "x")).status, 500);
  EXPECT_EQ(ToHttpError(Unimplemented("x")).status, 501);
  EXPECT_EQ(ToHttpError(Unavailable("x")).status, 503);
  EXPECT_EQ(ToHttpError(DeadlineExceeded("x")).status, 504);
  EXPECT_EQ(ToHttpError(Status(StatusCode::kUnauthenticated, "x")).status, 401);
  EXPECT_EQ(ToHttpError(Status(StatusCode::kPermissionDenied, "x")).status, 403);
}

TEST(ErrorsTest, ExplicitHttpCodeWins) {
  StatusDetails details;
  details.http_code = 429;
  HttpError e = ToHttpError(Status(StatusCode::kUnavailable, "slow down", details));
  EXPECT_EQ(e.status, 429);
  EXPECT_EQ(e.body, R"({"error":"slow down"})");
}

TEST(ErrorsTest, ValidationErrorIsFastApiShaped) {
  Status s = RequestValidationError("missing", "Field required", "body.inputs.0.shape");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "body.inputs.0.shape: Field required");
  HttpError e = ToHttpError(s);
  EXPECT_EQ(e.status, 422);
  EXPECT_EQ(e.body, R"({"detail":[{"type":"missing","loc":["body","inputs",0,"shape"],)"
                    R"("msg":"Field required"}]})");
}

TEST(ErrorsTest, GrpcCodesAreCanonical) {
  EXPECT_EQ(GrpcStatusCode(StatusCode::kOk), 0);
  EXPECT_EQ(GrpcStatusCode(StatusCode::kInvalidArgument), 3);
  EXPECT_EQ(GrpcStatusCode(StatusCode::kNotFound), 5);
  EXPECT_EQ(GrpcStatusCode(StatusCode::kResourceExhausted), 8);
  EXPECT_EQ(GrpcStatusCode(StatusCode::kUnimplemented), 12);
  EXPECT_EQ(GrpcStatusCode(StatusCode::kInternal), 13);
  EXPECT_EQ(GrpcStatusCode(StatusCode::kUnavailable), 14);
}

TEST(ErrorsTest, BodyStaysValidJsonForAnyMessage) {
  EXPECT_EQ(ErrorBody("a\nb"), R"({"error":"a\nb"})");
  EXPECT_EQ(ErrorBody(std::string("bad \xff header", 12)), R"({"error":"bad ? header"})");
}

}  // namespace
}  // namespace skiff::serving
