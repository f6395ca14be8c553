#include "serving/route.h"

#include <gtest/gtest.h>

namespace skiff::serving {
namespace {

TEST(RouteTest, V1Paths) {
  EXPECT_EQ(ParseRoute("GET", "/").kind, RouteKind::kRoot);
  EXPECT_EQ(ParseRoute("GET", "/v1/models").kind, RouteKind::kV1ListModels);
  Route r = ParseRoute("GET", "/v1/models/iris");
  EXPECT_EQ(r.kind, RouteKind::kV1ModelReady);
  EXPECT_EQ(r.model, "iris");
  r = ParseRoute("POST", "/v1/models/iris:predict?x=1");
  EXPECT_EQ(r.kind, RouteKind::kV1Predict);
  EXPECT_EQ(r.model, "iris");
  EXPECT_EQ(ParseRoute("POST", "/v1/models/iris:explain").kind, RouteKind::kV1Explain);
  EXPECT_EQ(ParseRoute("GET", "/v1/models/iris:predict").kind, RouteKind::kMethodNotAllowed);
  EXPECT_EQ(ParseRoute("POST", "/v1/models/iris:train").kind, RouteKind::kNotFound);
  EXPECT_EQ(ParseRoute("POST", "/v1/models/:predict").kind, RouteKind::kNotFound);
  EXPECT_EQ(ParseRoute("GET", "/v1/models/a/b").kind, RouteKind::kNotFound);
}

TEST(RouteTest, V2Paths) {
  EXPECT_EQ(ParseRoute("GET", "/v2").kind, RouteKind::kV2Server);
  EXPECT_EQ(ParseRoute("GET", "/v2/health/live").kind, RouteKind::kV2Live);
  EXPECT_EQ(ParseRoute("GET", "/v2/health/ready").kind, RouteKind::kV2Ready);
  EXPECT_EQ(ParseRoute("GET", "/v2/models").kind, RouteKind::kV2ListModels);
  Route r = ParseRoute("GET", "/v2/models/iris");
  EXPECT_EQ(r.kind, RouteKind::kV2ModelMetadata);
  EXPECT_EQ(r.model, "iris");
  EXPECT_TRUE(r.version.empty());
  r = ParseRoute("GET", "/v2/models/iris/versions/3/ready");
  EXPECT_EQ(r.kind, RouteKind::kV2ModelReady);
  EXPECT_EQ(r.version, "3");
  r = ParseRoute("POST", "/v2/models/iris/versions/3/infer");
  EXPECT_EQ(r.kind, RouteKind::kV2Infer);
  EXPECT_EQ(r.model, "iris");
  EXPECT_EQ(ParseRoute("GET", "/v2/models/iris/infer").kind, RouteKind::kMethodNotAllowed);
  EXPECT_EQ(ParseRoute("POST", "/v2/models/iris/versions//infer").kind, RouteKind::kNotFound);
  EXPECT_EQ(ParseRoute("POST", "/v2/repository/models/iris/load").kind, RouteKind::kV2RepoLoad);
  EXPECT_EQ(ParseRoute("POST", "/v2/repository/models/iris/unload").kind, RouteKind::kV2RepoUnload);
  EXPECT_EQ(ParseRoute("GET", "/metrics").kind, RouteKind::kMetrics);
  EXPECT_EQ(ParseRoute("GET", "/v3").kind, RouteKind::kNotFound);
  EXPECT_EQ(ParseRoute("HEAD", "/v2/health/live").kind, RouteKind::kV2Live);
}

}  // namespace
}  // namespace skiff::serving
