#include "serving/server_options.h"

#include <gtest/gtest.h>

#include <vector>

namespace skiff::serving {
namespace {

constexpr RuntimeFlagSpec kFlags[] = {
    {.name = "nthread", .default_value = "1", .help = "threads"},
    {.name = "predict_proba", .default_value = "", .help = "proba", .is_bool = true},
};

StatusOr<ServerOptions> Parse(std::vector<std::string_view> args) {
  return ParseServerFlags(args, kFlags);
}

TEST(ServerOptionsTest, KServeSpellings) {
  auto o = Parse({"--model_name=iris", "--model-dir", "/m", "--http_port", "0", "--grpc-port=9",
                  "--workers=3", "--max-batch-size", "16", "--max_latency_ms=2.5",
                  "--max-body-bytes=1000", "--nthread=4", "--predict_proba", "--enable_grpc",
                  "false", "--logger_mode=request"});
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_EQ(o->model_name, "iris");
  EXPECT_EQ(o->model_dir, "/m");
  EXPECT_EQ(o->http_port, 0);
  EXPECT_EQ(o->grpc_port, 9);
  EXPECT_EQ(o->workers, 3);
  EXPECT_EQ(o->max_batch_size, 16);
  EXPECT_DOUBLE_EQ(o->max_latency_ms, 2.5);
  EXPECT_EQ(o->max_body_bytes, 1000u);
  EXPECT_EQ(o->RuntimeFlag("nthread"), "4");
  EXPECT_EQ(o->RuntimeFlag("predict_proba"), "true");
  EXPECT_FALSE(o->enable_grpc);
  EXPECT_EQ(o->logger_mode, LoggerMode::kRequest);
}

TEST(ServerOptionsTest, DefaultsAndIgnoredKServeFlags) {
  auto o = Parse({"--enable_docs_url", "true", "--model_name", "m"});
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_EQ(o->http_port, 8080);
  EXPECT_EQ(o->grpc_port, 8081);
  EXPECT_EQ(o->RuntimeFlag("nthread"), "1");
  EXPECT_EQ(o->RuntimeFlag("predict_proba"), "");
}

TEST(ServerOptionsTest, Errors) {
  EXPECT_EQ(Parse({"--bogus=1"}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Parse({"--http_port=abc"}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Parse({"--http_port"}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Parse({"--logger_mode=some"}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Parse({"--workers=-1"}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Parse({"stray"}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Parse({"--help"}).status().code(), StatusCode::kNotFound);
  EXPECT_NE(ServerFlagsHelp("x", kFlags).find("--nthread"), std::string::npos);
}

}  // namespace
}  // namespace skiff::serving
