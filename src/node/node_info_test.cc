// Tests for the Node object and the GPU/port bookkeeping.
#include "node/node_info.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "node/node_context.h"

namespace skiff::node {
namespace {

TEST(BuildNodeObject, CapacityConditionsAndMarks) {
  auto node =
      BuildNodeObject({.name = "n1",
                       .internal_ip = "10.244.0.1",
                       .host = {.cpu_milli = 4000, .memory_bytes = 8LL << 30, .real_gpus = 1},
                       .simulated_gpus = 2,
                       .extra_capacity = {{"example.com/fpga", "2"}}});
  ASSERT_TRUE(node.ok()) << node.status().ToString();
  const Json& cap = (*node)["status"]["capacity"];
  EXPECT_EQ(cap["cpu"], "4");
  EXPECT_EQ(cap["memory"], "8Gi");
  EXPECT_EQ(cap["pods"], "110");
  EXPECT_EQ(cap["nvidia.com/gpu"], "3");
  EXPECT_EQ(cap["example.com/fpga"], "2");
  EXPECT_EQ((*node)["status"]["allocatable"], cap);
  EXPECT_EQ((*node)["metadata"]["annotations"]["skiff.dev/simulated-gpus"], "2");
  EXPECT_EQ((*node)["status"]["addresses"][0]["address"], "10.244.0.1");
  bool ready = false;
  for (const auto& c : (*node)["status"]["conditions"])
    ready |= c["type"] == "Ready" && c["status"] == "True";
  EXPECT_TRUE(ready);
  EXPECT_FALSE(BuildNodeObject({.name = "n", .extra_capacity = {{"x", "not-a-quantity"}}}).ok());
  auto plain = BuildNodeObject({.name = "n", .host = {.cpu_milli = 1000, .memory_bytes = 1 << 20}});
  EXPECT_FALSE((*plain)["status"]["capacity"].contains("nvidia.com/gpu"));
}

TEST(GpuPool, ExclusiveAssignment) {
  GpuPool pool(1, 2);
  auto a = pool.Take("a", 2);
  EXPECT_EQ(a, (std::vector<int>{0, 1}));
  EXPECT_FALSE(pool.IsSimulated(0));
  EXPECT_TRUE(pool.IsSimulated(1));
  EXPECT_TRUE(pool.Take("b", 2).empty());  // only one left
  EXPECT_EQ(pool.Take("b", 1), (std::vector<int>{2}));
  pool.Release("a");
  EXPECT_EQ(pool.Free(), 2);
  pool.Claim("c", {0});
  EXPECT_EQ(pool.Take("d", 1), (std::vector<int>{1}));
}

TEST(PortRegistry, ConflictsNameTheHolder) {
  PortRegistry ports;
  EXPECT_EQ(ports.Reserve("ns/a", {28411}), "");
  EXPECT_EQ(ports.Reserve("ns/a", {28411}), "");  // idempotent for the owner
  EXPECT_EQ(ports.Reserve("ns/b", {28412, 28411}), "ns/a");
  ports.Release("ns/a");
  EXPECT_EQ(ports.Reserve("ns/b", {28412, 28411}), "");
}

}  // namespace
}  // namespace skiff::node
