// The KPA controller against a real in-process API server: load drives a revision Deployment
// up (capped by max-scale) and, once idle for the stable window and the grace period, to zero;
// a poke from the activator brings it back at once; a bad annotation is reported, not acted on.
#include "controllers/kpa/kpa_controller.h"

#include <gtest/gtest.h>

#include <atomic>
#include <nlohmann/json.hpp>

#include "controllers/runtime/controller.h"
#include "controllers/runtime/test_env.h"

namespace skiff::controllers::kpa {
namespace {

using testing::Eventually;
using testing::TestEnv;

class KpaControllerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(env_.ok());
    deployments_ = env_.Resource("apps/v1", "Deployment");
    configmaps_ = env_.Resource("v1", "ConfigMap");
    namespaces_ = env_.Resource("v1", "Namespace");
    events_ = env_.Resource("v1", "Event");
    Json ns = {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", kConfigNamespace}}}};
    ASSERT_TRUE(env_.client()->Create(namespaces_, "", ns).ok());
    // Short windows so the test runs in seconds (Skiff allows stable windows from 1 s).
    Json cm = {{"apiVersion", "v1"},
               {"kind", "ConfigMap"},
               {"metadata", {{"name", kConfigName}, {"namespace", kConfigNamespace}}},
               {"data",
                {{"stable-window", "2s"},
                 {"scale-to-zero-grace-period", "1s"},
                 {"tick-interval", "100ms"}}}};
    ASSERT_TRUE(env_.client()->Create(configmaps_, kConfigNamespace, cm).ok());
    mgr_ = std::make_unique<Manager>(env_.client());
    KpaOptions o;
    o.sample_interval = std::chrono::milliseconds(50);
    o.load = [this](const std::string& rev) -> std::optional<RevisionLoad> {
      if (rev != "default/iris-predictor-00001") return std::nullopt;
      return RevisionLoad{load_.load(), 0};
    };
    auto h = Register(mgr_.get(), o);
    ASSERT_TRUE(h.ok()) << h.status().ToString();
    handle_ = *h;
    ASSERT_TRUE(mgr_->Start().ok());
  }
  void TearDown() override {
    if (handle_) handle_->Stop();
    if (mgr_) mgr_->Stop();
  }

  void CreateRevision(const Json& annotations) {
    Json d = Json::parse(R"({"apiVersion": "apps/v1", "kind": "Deployment",
      "metadata": {"name": "iris-predictor-00001",
                   "labels": {"serving.knative.dev/revision": "iris-predictor-00001"}},
      "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "r1"}},
               "template": {"metadata": {"labels": {"app": "r1"}},
                            "spec": {"containers": [{"name": "c", "image": "x"}]}}}})");
    d["metadata"]["annotations"] = annotations;
    ASSERT_TRUE(env_.client()->Create(deployments_, "default", d).ok());
  }

  // Reports `ready` ready pods, as the Deployment controller would.
  void SetReady(int ready) {
    ASSERT_TRUE(Eventually([&] {
      auto d = env_.client()->Get(deployments_, "default", "iris-predictor-00001");
      if (!d.ok()) return false;
      (*d)["status"] = {{"replicas", ready}, {"readyReplicas", ready}, {"availableReplicas", ready}};
      client::WriteOptions o;
      o.subresource = "status";
      return env_.client()->Replace(deployments_, "default", "iris-predictor-00001", *d, o).ok();
    }));
  }

  int Replicas() {
    auto d = env_.client()->Get(deployments_, "default", "iris-predictor-00001");
    return d.ok() ? (*d)["spec"].value("replicas", -1) : -1;
  }

  TestEnv env_;
  client::ResourceInfo deployments_, configmaps_, namespaces_, events_;
  std::unique_ptr<Manager> mgr_;
  std::shared_ptr<KpaHandle> handle_;
  std::atomic<double> load_{0};
};

TEST_F(KpaControllerTest, ScalesWithLoadToMaxThenToZeroAndPokeWakes) {
  CreateRevision({{"autoscaling.knative.dev/min-scale", "0"},
                  {"autoscaling.knative.dev/max-scale", "5"},
                  {"autoscaling.knative.dev/target", "10"}});
  SetReady(1);
  // 35 in flight against a target of 10 × 0.7 = 7 per pod: 5 pods, the cap.
  load_ = 35;
  ASSERT_TRUE(Eventually([&] { return Replicas() == 5; }, std::chrono::seconds(20)));
  SetReady(5);
  load_ = 0;
  // Idle: down (at most halving per tick, so the ready count follows as the Deployment
  // controller would report it), and after the stable window plus the grace period, to zero.
  ASSERT_TRUE(Eventually(
      [&] {
        int r = Replicas();
        SetReady(r);
        return r == 0;
      },
      std::chrono::seconds(30)));
  auto d = env_.client()->Get(deployments_, "default", "iris-predictor-00001");
  EXPECT_EQ((*d)["metadata"]["annotations"]["autoscaling.skiff.dev/state"].get<std::string>().rfind(
                "Inactive", 0),
            0u);
  // A request held by the activator: back to one pod without waiting for metrics.
  handle_->Poke("default/iris-predictor-00001");
  ASSERT_TRUE(Eventually([&] { return Replicas() == 1; }, std::chrono::seconds(10)));
}

TEST_F(KpaControllerTest, BadAnnotationIsReportedAndLeavesReplicas) {
  CreateRevision({{"autoscaling.knative.dev/window", "soon"}});
  ASSERT_TRUE(Eventually([&] {
    auto list = env_.client()->List(events_, "default");
    if (!list.ok()) return false;
    for (const Json& e : (*list)["items"]) {
      if (e.value("reason", "") == "InvalidAutoscaling" &&
          e.value("message", "").find("window") != std::string::npos) {
        return true;
      }
    }
    return false;
  }));
  EXPECT_EQ(Replicas(), 1);
}

}  // namespace
}  // namespace skiff::controllers::kpa
