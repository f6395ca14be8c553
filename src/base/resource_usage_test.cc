// The usage registry: publish, replace, find (newest of a recreated pod), forget.
#include "base/resource_usage.h"

#include <gtest/gtest.h>

namespace skiff::usage {
namespace {

TEST(ResourceUsageTest, PublishFindForget) {
  ResetUsageForTest();
  PodUsage a{.ns = "ns", .name = "web", .uid = "u1", .timestamp = SystemTime(std::chrono::seconds(10))};
  a.containers.push_back({.name = "c", .cpu_nano_cores = 5});
  PublishPodUsage(a);
  PublishPodUsage({.ns = "a", .name = "z", .uid = "u0"});
  auto all = PodUsages();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].ns, "a");  // sorted by namespace, name
  EXPECT_TRUE(all[1].HasRates());
  EXPECT_FALSE(all[0].HasRates());  // no containers

  // The same name under a new uid (a recreated pod): the newer sample wins.
  PublishPodUsage({.ns = "ns", .name = "web", .uid = "u2", .timestamp = SystemTime(std::chrono::seconds(20))});
  auto found = FindPodUsage("ns", "web");
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->uid, "u2");
  ForgetPod("u2");
  EXPECT_EQ(FindPodUsage("ns", "web")->uid, "u1");
  ForgetPod("u1");
  EXPECT_FALSE(FindPodUsage("ns", "web").has_value());

  PublishNodeUsage({.name = "n", .cpu_nano_cores = 7});
  PublishNodeUsage({.name = "n", .cpu_nano_cores = 8});
  ASSERT_EQ(NodeUsages().size(), 1u);
  EXPECT_EQ(NodeUsages()[0].cpu_nano_cores, 8);
  ForgetNode("n");
  EXPECT_TRUE(NodeUsages().empty());
  ResetUsageForTest();
}

}  // namespace
}  // namespace skiff::usage
