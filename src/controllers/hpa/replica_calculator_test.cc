// The replica arithmetic against kube's replica_calculator_test.go cases: plain scale up/down,
// tolerance, missing and unready pods, young pods' CPU samples, missing requests.
#include "controllers/hpa/replica_calculator.h"

#include <gtest/gtest.h>

namespace skiff::controllers::hpa {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

const SystemTime kNow = SystemTime(seconds(1700000000));

// A Running pod, ready for an hour, requesting `request` millicores.
PodFacts Pod(const std::string& name, int64_t request, const std::string& phase = "Running",
             bool ready = true) {
  PodFacts p;
  p.name = name;
  p.phase = phase;
  p.has_ready_condition = true;
  p.ready = ready;
  p.start_time = kNow - minutes(60);
  p.ready_transition = kNow - minutes(59);
  p.request_milli = request;
  return p;
}

PodMetric Sample(int64_t milli) {
  return {.value_milli = milli, .timestamp = kNow, .window = std::chrono::seconds(15)};
}

StatusOr<ReplicaProposal> Cpu(int32_t current, int32_t target, const std::vector<PodFacts>& pods,
                              const PodMetrics& metrics) {
  return ResourceUtilizationReplicas(current, target, "cpu", pods, metrics, kNow,
                                     CalculatorOptions{});
}

TEST(ReplicaCalculatorTest, ScalesUpByUtilizationRatio) {
  // kube's TestReplicaCalcScaleUp: 3 pods at 1.0 cores of a 1.0 request vs a 30% target.
  std::vector<PodFacts> pods = {Pod("a", 1000), Pod("b", 1000), Pod("c", 1000)};
  PodMetrics m = {{"a", Sample(300)}, {"b", Sample(500)}, {"c", Sample(700)}};
  auto r = Cpu(3, 30, pods, m);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->replicas, 5);  // ceil(3 * 50/30)
  EXPECT_EQ(r->utilization, 50);
  EXPECT_EQ(r->raw_average_milli, 500);
}

TEST(ReplicaCalculatorTest, ScalesDown) {
  std::vector<PodFacts> pods;
  PodMetrics m;
  for (int i = 0; i < 5; ++i) {
    std::string n = "p" + std::to_string(i);
    pods.push_back(Pod(n, 1000));
    m[n] = Sample(100);
  }
  auto r = Cpu(5, 50, pods, m);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->replicas, 1);  // ceil(5 * 10/50)
  EXPECT_EQ(r->utilization, 10);
}

TEST(ReplicaCalculatorTest, WithinToleranceKeepsCurrent) {
  std::vector<PodFacts> pods = {Pod("a", 1000), Pod("b", 1000)};
  PodMetrics m = {{"a", Sample(540)}, {"b", Sample(540)}};
  auto r = Cpu(2, 50, pods, m);  // 54% vs 50%: ratio 1.08 <= 1.1
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->replicas, 2);
  EXPECT_EQ(r->utilization, 54);
}

TEST(ReplicaCalculatorTest, MissingPodsCountAsIdleOnScaleUp) {
  // Two pods at 100% of request, one without a sample: the missing one counts as 0%, so
  // usage is 200/300 = 66% vs 50%: ceil(3 * 66/50) = 4 (not the 4.0 * 2 a naive average gives).
  std::vector<PodFacts> pods = {Pod("a", 1000), Pod("b", 1000), Pod("c", 1000)};
  PodMetrics m = {{"a", Sample(1000)}, {"b", Sample(1000)}};
  auto r = Cpu(3, 50, pods, m);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->replicas, 4);
  EXPECT_EQ(r->utilization, 100);  // reported from the pods with samples
}

TEST(ReplicaCalculatorTest, MissingPodsCountAsFullOnScaleDown) {
  // Two pods at 10%, two without samples: those count as 100% of request, so the average is
  // 55% against a 50% target, inside the tolerance: no scale-down on partial data.
  std::vector<PodFacts> pods = {Pod("a", 1000), Pod("b", 1000), Pod("c", 1000), Pod("d", 1000)};
  PodMetrics m = {{"a", Sample(100)}, {"b", Sample(100)}};
  auto r = Cpu(4, 50, pods, m);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->replicas, 4);
  // With only one missing pod the average is (10+10+10+100)/4 = 32%: down to ceil(4*32/50) = 3.
  pods.pop_back();
  m["c"] = Sample(100);
  pods.push_back(Pod("d", 1000));
  r = Cpu(4, 50, pods, m);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->replicas, 3);
}

TEST(ReplicaCalculatorTest, UnreadyPodsCountAsIdleOnScaleUpAndAreIgnoredOtherwise) {
  // kube's TestReplicaCalcScaleUpUnreadyLessScale: a pending pod joins at 0% on scale-up.
  std::vector<PodFacts> pods = {Pod("a", 1000), Pod("b", 1000), Pod("c", 1000, "Pending")};
  PodMetrics m = {{"a", Sample(900)}, {"b", Sample(900)}};
  auto r = Cpu(3, 60, pods, m);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->replicas, 3);  // (90+90+0)/3 = 60%: exactly on target
  r = Cpu(3, 30, pods, m);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->replicas, 6);  // 60% vs 30% over 3 pods
  // On a scale-down unready pods are left out: 2 ready pods at 10%.
  m = {{"a", Sample(100)}, {"b", Sample(100)}};
  r = Cpu(3, 50, pods, m);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->replicas, 1);
}

TEST(ReplicaCalculatorTest, YoungPodCpuSampleBeforeAFullReadyWindowIsIgnored) {
  PodFacts young = Pod("young", 1000);
  young.start_time = kNow - seconds(30);
  young.ready_transition = kNow - seconds(10);  // ready 10 s ago, sample window 15 s
  std::vector<PodFacts> pods = {Pod("a", 1000), young};
  PodMetrics m = {{"a", Sample(500)}, {"young", Sample(1000)}};
  auto r = Cpu(2, 50, pods, m);
  ASSERT_TRUE(r.ok());
  // The young pod's start-up burst does not count: only "a" at 50% is measured.
  EXPECT_EQ(r->utilization, 50);
  EXPECT_EQ(r->replicas, 2);
  // Once a whole window has passed since readiness, its sample counts.
  young.ready_transition = kNow - seconds(20);
  pods[1] = young;
  r = Cpu(2, 50, pods, m);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->utilization, 75);
  EXPECT_EQ(r->replicas, 3);
  // Memory has no initialization period.
  young.ready_transition = kNow - seconds(1);
  pods[1] = young;
  r = ResourceUtilizationReplicas(2, 50, "memory", pods, m, kNow, CalculatorOptions{});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->utilization, 75);
}

TEST(ReplicaCalculatorTest, DeletedAndFailedPodsAreIgnored) {
  PodFacts failed = Pod("f", 1000, "Failed");
  PodFacts deleting = Pod("d", 1000);
  deleting.deleting = true;
  std::vector<PodFacts> pods = {Pod("a", 1000), failed, deleting};
  PodMetrics m = {{"a", Sample(1000)}, {"d", Sample(5000)}};
  auto r = Cpu(3, 50, pods, m);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->utilization, 100);
  EXPECT_EQ(r->replicas, 2);  // ceil(1 ready * 2.0)
}

TEST(ReplicaCalculatorTest, ErrorsReadLikeKube) {
  auto r = Cpu(1, 50, {}, {});
  EXPECT_EQ(r.status().message(), "no pods returned by selector while calculating replica count");
  PodFacts no_request = Pod("a", 0);
  no_request.request_milli.reset();
  no_request.missing_request = "missing request for cpu in container app of Pod a";
  r = Cpu(1, 50, {no_request}, {{"a", Sample(1)}});
  EXPECT_EQ(r.status().message(), "missing request for cpu in container app of Pod a");
  r = Cpu(1, 50, {Pod("a", 1000, "Pending")}, {});
  EXPECT_EQ(r.status().message(),
            "did not receive metrics for targeted pods (pods might be unready)");
}

TEST(ReplicaCalculatorTest, AverageValueTarget) {
  // Memory AverageValue: 3 pods averaging 300Mi against 100Mi (milli-bytes, as kube compares).
  const int64_t mi = int64_t{1} << 20;
  std::vector<PodFacts> pods = {Pod("a", 0), Pod("b", 0), Pod("c", 0)};
  PodMetrics m = {{"a", Sample(200 * mi * 1000)},
                  {"b", Sample(300 * mi * 1000)},
                  {"c", Sample(400 * mi * 1000)}};
  auto r = ResourceAverageValueReplicas(3, 100 * mi * 1000, "memory", pods, m, kNow,
                                        CalculatorOptions{});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->replicas, 9);
  EXPECT_EQ(r->raw_average_milli, 300 * mi * 1000);
  // A missing pod on scale-down counts as exactly the target.
  m = {{"a", Sample(10 * mi * 1000)}, {"b", Sample(10 * mi * 1000)}};
  r = ResourceAverageValueReplicas(3, 100 * mi * 1000, "memory", pods, m, kNow,
                                   CalculatorOptions{});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->replicas, 2);  // (10+10+100)/3 = 40 of 100 over 3 pods
}

}  // namespace
}  // namespace skiff::controllers::hpa
