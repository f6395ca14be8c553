// HpaReconciler against a real in-process API server: rescaling a Deployment through /scale,
// status and conditions, Events, the sync-period throttle, min/max and zero-replica rules, and
// failures (missing target, no metrics). Metrics come from a fake source; time from a FakeClock.
#include "controllers/hpa/reconciler.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "controllers/runtime/conditions.h"
#include "controllers/runtime/controller.h"
#include "controllers/runtime/events.h"
#include "controllers/runtime/json_fields.h"
#include "controllers/runtime/test_env.h"

namespace skiff::controllers::hpa {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;
using testing::Eventually;
using testing::TestEnv;

// Per-pod CPU usage set by the test.
class FakeMetrics final : public MetricsSource {
 public:
  void Set(const std::string& pod, int64_t milli) {
    std::lock_guard lock(mu_);
    usage_[pod] = milli;
  }
  void Fail(Status s) {
    std::lock_guard lock(mu_);
    error_ = std::move(s);
  }
  void SetTime(SystemTime t) {
    std::lock_guard lock(mu_);
    time_ = t;
  }
  StatusOr<PodMetrics> ResourceMetrics(const std::string& ns, const std::string& selector,
                                       const std::string& resource,
                                       const std::string& container) override {
    std::lock_guard lock(mu_);
    last_selector_ = selector;
    if (!error_.ok()) return error_;
    PodMetrics out;
    for (const auto& [pod, v] : usage_) {
      out[pod] = {.value_milli = v, .timestamp = time_, .window = std::chrono::seconds(5)};
    }
    return out;
  }
  std::string last_selector() {
    std::lock_guard lock(mu_);
    return last_selector_;
  }

 private:
  std::mutex mu_;
  std::map<std::string, int64_t> usage_;
  Status error_;
  SystemTime time_{};
  std::string last_selector_;
};

class HpaReconcilerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(env_.ok());
    deployments_ = env_.Resource("apps/v1", "Deployment");
    pods_r_ = env_.Resource("v1", "Pod");
    hpas_r_ = env_.Resource("autoscaling/v2", "HorizontalPodAutoscaler");
    events_r_ = env_.Resource("v1", "Event");
    mgr_ = std::make_unique<Manager>(env_.client());
    auto hpas = mgr_->informers().ForKind("autoscaling/v2", "HorizontalPodAutoscaler");
    auto pods = mgr_->informers().ForKind("v1", "Pod");
    ASSERT_TRUE(hpas.ok() && pods.ok());
    hpas_ = *hpas;
    pods_ = *pods;
    ASSERT_TRUE(mgr_->Start().ok());
    ASSERT_TRUE(mgr_->WaitForSync(seconds(30)));
    metrics_.SetTime(clock_.Now());
    HpaOptions o;
    o.metrics = &metrics_;
    o.clock = &clock_;
    reconciler_ = std::make_unique<HpaReconciler>(env_.client(), hpas_, pods_, &mgr_->events(), o);
  }
  void TearDown() override {
    if (mgr_) mgr_->Stop();
  }

  void CreateDeployment(const std::string& name, int replicas) {
    Json d = Json::parse(R"({"apiVersion": "apps/v1", "kind": "Deployment",
      "spec": {"selector": {"matchLabels": {"app": "web"}},
        "template": {"metadata": {"labels": {"app": "web"}},
          "spec": {"containers": [{"name": "app", "image": "busybox",
                   "resources": {"requests": {"cpu": "500m"}}}]}}}})");
    d["metadata"]["name"] = name;
    d["spec"]["replicas"] = replicas;
    ASSERT_TRUE(env_.client()->Create(deployments_, "default", d).ok());
  }

  // A Running pod, ready for 9 minutes, requesting 500m.
  void CreatePod(const std::string& name) {
    Json p = Json::parse(R"({"apiVersion": "v1", "kind": "Pod",
      "metadata": {"labels": {"app": "web"}},
      "spec": {"containers": [{"name": "app", "image": "busybox",
                               "resources": {"requests": {"cpu": "500m"}}}]}})");
    p["metadata"]["name"] = name;
    auto created = env_.client()->Create(pods_r_, "default", p);
    ASSERT_TRUE(created.ok()) << created.status().ToString();
    Json st = *created;
    st["status"] = {
        {"phase", "Running"},
        {"startTime", FormatRfc3339(clock_.Now() - minutes(10))},
        {"conditions",
         Json::array({{{"type", "Ready"},
                       {"status", "True"},
                       {"lastTransitionTime", FormatRfc3339(clock_.Now() - minutes(9))}}})}};
    client::WriteOptions wo;
    wo.subresource = "status";
    ASSERT_TRUE(env_.client()->Replace(pods_r_, "default", name, st, wo).ok());
    ASSERT_TRUE(Eventually([&] {
      auto o = pods_->Get("default", name);
      return o && StringField(Field(*o, "status"), "phase") == "Running";
    }));
  }

  void CreateHpa(const std::string& name, const std::string& target, const Json& spec_extra) {
    Json h = {
        {"apiVersion", "autoscaling/v2"},
        {"kind", "HorizontalPodAutoscaler"},
        {"metadata", {{"name", name}}},
        {"spec",
         {{"scaleTargetRef", {{"apiVersion", "apps/v1"}, {"kind", "Deployment"}, {"name", target}}},
          {"minReplicas", 1},
          {"maxReplicas", 10}}}};
    h["spec"].update(spec_extra);
    auto created = env_.client()->Create(hpas_r_, "default", h);
    ASSERT_TRUE(created.ok()) << created.status().ToString();
    ASSERT_TRUE(Eventually([&] { return hpas_->Get("default", name) != nullptr; }));
  }

  StatusOr<Result> Sync(const std::string& name) {
    auto r = reconciler_->Reconcile({.ns = "default", .name = name});
    // Later syncs must see this one's status write.
    if (r.ok()) {
      auto live = env_.client()->Get(hpas_r_, "default", name);
      if (live.ok()) {
        std::string rv = MetaString(*live, "resourceVersion");
        EXPECT_TRUE(Eventually([&] {
          auto c = hpas_->Get("default", name);
          return c && MetaString(*c, "resourceVersion") == rv;
        }));
      }
    }
    return r;
  }

  int64_t Replicas(const std::string& name) {
    auto d = env_.client()->Get(deployments_, "default", name);
    return d.ok() ? (*d)["spec"].value("replicas", int64_t{-1}) : -1;
  }

  Json HpaStatus(const std::string& name) {
    auto h = env_.client()->Get(hpas_r_, "default", name);
    return h.ok() && (*h)["status"].is_object() ? (*h)["status"] : Json::object();
  }

  std::string ConditionReason(const std::string& hpa, const std::string& type,
                              const std::string& status) {
    Json conditions = HpaStatus(hpa).value("conditions", Json::array());
    const Json* c = FindCondition(conditions, type);
    if (!c || c->value("status", "") != status) return "<" + type + " not " + status + ">";
    return c->value("reason", "");
  }

  std::vector<std::string> EventMessages(const std::string& reason) {
    mgr_->events().Flush();
    std::vector<std::string> out;
    auto list = env_.client()->List(events_r_, "default");
    if (!list.ok()) return out;
    for (const Json& e : (*list)["items"]) {
      if (e.value("reason", "") == reason) out.push_back(e.value("message", ""));
    }
    return out;
  }

  TestEnv env_;
  FakeClock clock_;
  FakeMetrics metrics_;
  client::ResourceInfo deployments_, pods_r_, hpas_r_, events_r_;
  std::unique_ptr<Manager> mgr_;
  client::Informer* hpas_ = nullptr;
  client::Informer* pods_ = nullptr;
  std::unique_ptr<HpaReconciler> reconciler_;
};

const char* kCpu50 = R"({"metrics": [{"type": "Resource", "resource": {"name": "cpu",
    "target": {"type": "Utilization", "averageUtilization": 50}}}],
    "behavior": {"scaleDown": {"stabilizationWindowSeconds": 0}}})";

TEST_F(HpaReconcilerTest, ScalesDeploymentUpThenDownOnCpuUtilization) {
  CreateDeployment("web", 2);
  CreatePod("web-1");
  CreatePod("web-2");
  CreateHpa("web", "web", Json::parse(kCpu50));
  metrics_.Set("web-1", 500);
  metrics_.Set("web-2", 500);

  auto r = Sync("web");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->requeue_after, std::chrono::milliseconds(15000));
  EXPECT_EQ(metrics_.last_selector(), "app=web");
  EXPECT_EQ(Replicas("web"), 4);  // 100% of request vs 50%: ceil(2 x 2)
  Json st = HpaStatus("web");
  EXPECT_EQ(st["currentReplicas"], 2);
  EXPECT_EQ(st["desiredReplicas"], 4);
  EXPECT_EQ(st["lastScaleTime"], FormatRfc3339(clock_.Now()));
  const Json& cur = st["currentMetrics"][0];
  EXPECT_EQ(cur["type"], "Resource");
  EXPECT_EQ(cur["resource"]["name"], "cpu");
  EXPECT_EQ(cur["resource"]["current"]["averageUtilization"], 100);
  EXPECT_EQ(cur["resource"]["current"]["averageValue"], "500m");
  EXPECT_EQ(ConditionReason("web", "AbleToScale", "True"), "SucceededRescale");
  EXPECT_EQ(ConditionReason("web", "ScalingActive", "True"), "ValidMetricFound");
  EXPECT_EQ(ConditionReason("web", "ScalingLimited", "False"), "DesiredWithinRange");
  auto events = EventMessages("SuccessfulRescale");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0],
            "New size: 4; reason: cpu resource utilization (percentage of request) above target");

  // Within the sync period nothing happens, even when asked (our own status write asks).
  metrics_.Set("web-1", 50);
  metrics_.Set("web-2", 50);
  clock_.Advance(seconds(5));
  r = Sync("web");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->requeue_after, std::chrono::milliseconds(10000));
  EXPECT_EQ(Replicas("web"), 4);

  // Next period: 10% of request on the two pods there are (no Deployment controller runs here,
  // so the other two never appear; kube sizes from the pods it measures).
  clock_.Advance(seconds(10));
  metrics_.SetTime(clock_.Now());
  r = Sync("web");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(Replicas("web"), 1);  // ceil(2 x 10/50) = 1; 100% per 15 s allows it
  EXPECT_EQ(HpaStatus("web")["desiredReplicas"], 1);
  events = EventMessages("SuccessfulRescale");
  EXPECT_NE(
      std::find(events.begin(), events.end(), "New size: 1; reason: All metrics below target"),
      events.end());
}

TEST_F(HpaReconcilerTest, DefaultBehaviorLimitsScaleUpRate) {
  CreateDeployment("web", 1);
  CreatePod("web-1");
  CreateHpa("web", "web", Json::parse(R"({"maxReplicas": 50, "behavior": {},
      "metrics": [{"type": "Resource", "resource": {"name": "cpu",
        "target": {"type": "Utilization", "averageUtilization": 10}}}]})"));
  metrics_.Set("web-1", 5000);  // 1000% of request: wants 100 replicas
  ASSERT_TRUE(Sync("web").ok());
  EXPECT_EQ(Replicas("web"), 5);  // max(1 + 4 pods, 1 x 200%) per 15 s
  EXPECT_EQ(ConditionReason("web", "ScalingLimited", "True"), "ScaleUpLimit");
}

TEST_F(HpaReconcilerTest, ReplicasOutsideMinMaxAreBroughtInsideWithoutMetrics) {
  CreateDeployment("low", 1);
  CreateHpa("low", "low", Json::parse(R"({"minReplicas": 3})"));
  ASSERT_TRUE(Sync("low").ok());
  EXPECT_EQ(Replicas("low"), 3);
  auto events = EventMessages("SuccessfulRescale");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0], "New size: 3; reason: Current number of replicas below Spec.MinReplicas");

  CreateDeployment("high", 12);
  CreateHpa("high", "high", Json::object());
  ASSERT_TRUE(Sync("high").ok());
  EXPECT_EQ(Replicas("high"), 10);
}

TEST_F(HpaReconcilerTest, ZeroReplicasDisablesScaling) {
  CreateDeployment("web", 0);
  CreateHpa("web", "web", Json::object());
  ASSERT_TRUE(Sync("web").ok());
  EXPECT_EQ(Replicas("web"), 0);
  EXPECT_EQ(ConditionReason("web", "ScalingActive", "False"), "ScalingDisabled");
  EXPECT_EQ(HpaStatus("web")["desiredReplicas"], 0);
}

TEST_F(HpaReconcilerTest, MissingTargetAndMissingMetricsAreConditions) {
  CreateHpa("ghost", "nothing-here", Json::object());
  auto r = Sync("ghost");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->requeue_after, std::chrono::milliseconds(15000));
  EXPECT_EQ(ConditionReason("ghost", "AbleToScale", "False"), "FailedGetScale");
  EXPECT_EQ(EventMessages("FailedGetScale").size(), 1u);

  CreateDeployment("web", 2);
  CreatePod("web-1");
  CreateHpa("web", "web", Json::object());
  metrics_.Fail(Unavailable("no metrics returned from resource metrics API"));
  ASSERT_TRUE(Sync("web").ok());
  EXPECT_EQ(Replicas("web"), 2);
  EXPECT_EQ(ConditionReason("web", "AbleToScale", "True"), "SucceededGetScale");
  EXPECT_EQ(ConditionReason("web", "ScalingActive", "False"), "FailedGetResourceMetric");
  Json conditions = HpaStatus("web")["conditions"];
  const Json* c = FindCondition(conditions, "ScalingActive");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ((*c)["message"],
            "the HPA was unable to compute the replica count: unable to get metrics for resource "
            "cpu: no metrics returned from resource metrics API");
  EXPECT_EQ(HpaStatus("web")["currentReplicas"], 2);
  EXPECT_FALSE(EventMessages("FailedComputeMetricsReplicas").empty());
}

}  // namespace
}  // namespace skiff::controllers::hpa
