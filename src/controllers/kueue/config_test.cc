// Kueue Configuration parsing: v1beta1 vs v1beta2 defaults, durations, bad input.
#include "controllers/kueue/config.h"

#include <gtest/gtest.h>

namespace skiff::controllers::kueue {
namespace {

TEST(KueueConfig, V1beta2Defaults) {
  auto c = ParseKueueConfig("{}");
  ASSERT_TRUE(c.ok());
  EXPECT_FALSE(c->fair_sharing);
  EXPECT_TRUE(c->wait_for_pods_ready);
  EXPECT_EQ(c->pods_ready_timeout, std::chrono::seconds(1800));
  EXPECT_FALSE(c->block_admission);
  EXPECT_EQ(c->backoff_base_seconds, 60);
  EXPECT_EQ(c->backoff_max_seconds, 3600);
}

TEST(KueueConfig, V1beta1NeedsEnable) {
  auto c = ParseKueueConfig(R"(apiVersion: config.kueue.x-k8s.io/v1beta1
kind: Configuration
fairSharing: {enable: true}
waitForPodsReady: {enable: true, timeout: 5m30s, requeuingStrategy: {backoffLimitCount: 3}})");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_TRUE(c->fair_sharing);
  EXPECT_TRUE(c->wait_for_pods_ready);
  EXPECT_TRUE(c->block_admission);
  EXPECT_EQ(c->pods_ready_timeout, std::chrono::seconds(330));
  EXPECT_EQ(c->backoff_limit_count, 3);
  auto off = ParseKueueConfig("apiVersion: config.kueue.x-k8s.io/v1beta1\nfairSharing: {}\n");
  ASSERT_TRUE(off.ok());
  EXPECT_FALSE(off->fair_sharing);
  EXPECT_FALSE(off->wait_for_pods_ready);
}

TEST(KueueConfig, V1beta2FairSharingByPresence) {
  auto c = ParseKueueConfig("apiVersion: config.kueue.x-k8s.io/v1beta2\nfairSharing: {}\n"
                            "waitForPodsReady: {enable: false}\n");
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->fair_sharing);
  EXPECT_FALSE(c->wait_for_pods_ready);
}

TEST(KueueConfig, BadInputNamesTheField) {
  auto bad = ParseKueueConfig("waitForPodsReady: {timeout: 5 minutes}");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("waitForPodsReady.timeout"), std::string::npos);
  EXPECT_FALSE(ParseKueueConfig("apiVersion: v1\n").ok());
  EXPECT_FALSE(ParseKueueConfig("[1, 2").ok());
}

}  // namespace
}  // namespace skiff::controllers::kueue
