// Informers, controllers and leader election against a real skiff API server.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <set>

#include <nlohmann/json.hpp>

#include "client/informer.h"
#include "controllers/runtime/conditions.h"
#include "controllers/runtime/controller.h"
#include "controllers/runtime/events.h"
#include "controllers/runtime/leader_election.h"
#include "controllers/runtime/test_env.h"

namespace skiff::controllers {
namespace {

using testing::Eventually;
using testing::TestEnv;

Json ConfigMap(const std::string& name, const std::string& value, const Json& owner = nullptr) {
  Json cm = {{"apiVersion", "v1"},
             {"kind", "ConfigMap"},
             {"metadata", {{"name", name}, {"namespace", "default"}}},
             {"data", {{"v", value}}}};
  if (!owner.is_null()) cm["metadata"]["ownerReferences"] = Json::array({ControllerRef(owner)});
  return cm;
}

TEST(Informer, ListsThenStreamsAddsUpdatesDeletes) {
  TestEnv env;
  ASSERT_TRUE(env.ok());
  auto cm_r = env.Resource("v1", "ConfigMap");
  ASSERT_TRUE(env.client()->Create(cm_r, "default", ConfigMap("before", "1")).ok());

  client::Informer inf(env.client(), cm_r);
  std::mutex mu;
  std::vector<std::string> seen;
  client::EventHandler h;
  h.on_add = [&](const client::ObjectPtr& o) {
    std::lock_guard<std::mutex> l(mu);
    seen.push_back("add " + (*o)["metadata"].value("name", ""));
  };
  h.on_update = [&](const client::ObjectPtr& a, const client::ObjectPtr& b) {
    std::lock_guard<std::mutex> l(mu);
    seen.push_back("update " + (*a)["data"].value("v", "") + "->" + (*b)["data"].value("v", ""));
  };
  h.on_delete = [&](const client::ObjectPtr& o) {
    std::lock_guard<std::mutex> l(mu);
    seen.push_back("delete " + (*o)["metadata"].value("name", ""));
  };
  inf.AddEventHandler(h);
  inf.Start();
  ASSERT_TRUE(inf.WaitForSync(std::chrono::seconds(10)));
  ASSERT_NE(inf.Get("default", "before"), nullptr);
  EXPECT_EQ((*inf.Get("default", "before"))["kind"], "ConfigMap") << "list items get their kind";

  auto owner = env.client()->Create(cm_r, "default", ConfigMap("owner", "o"));
  ASSERT_TRUE(owner.ok());
  ASSERT_TRUE(env.client()->Create(cm_r, "default", ConfigMap("child", "1", *owner)).ok());
  Json updated = ConfigMap("before", "2");
  ASSERT_TRUE(env.client()->Replace(cm_r, "default", "before", updated).ok());
  ASSERT_TRUE(env.client()->Delete(cm_r, "default", "before").ok());
  ASSERT_TRUE(Eventually([&] {
    std::lock_guard<std::mutex> l(mu);
    return seen.size() >= 5;
  }));
  {
    std::lock_guard<std::mutex> l(mu);
    std::vector<std::string> want = {"add before", "add owner", "add child", "update 1->2",
                                     "delete before"};
    EXPECT_EQ(std::vector<std::string>(seen.begin(), seen.begin() + 5), want);
  }
  EXPECT_EQ(inf.Get("default", "before"), nullptr);
  auto children = inf.ListByOwner((*owner)["metadata"].value("uid", ""));
  ASSERT_EQ(children.size(), 1u);
  EXPECT_EQ((*children[0])["metadata"]["name"], "child");
  EXPECT_EQ(inf.List("default").size(), 2u);
  EXPECT_TRUE(inf.List("other").empty());
  inf.Stop();  // must return promptly although the watch is idle (the test would hang)
}

TEST(Informer, FactorySharesOneInformerPerKind) {
  TestEnv env;
  ASSERT_TRUE(env.ok());
  client::InformerFactory f(env.client());
  auto a = f.ForKind("v1", "ConfigMap");
  auto b = f.ForKind("v1", "ConfigMap");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(*a, *b);
  EXPECT_FALSE(f.ForKind("v1", "NoSuchKind").ok());
  f.StartAll();
  EXPECT_TRUE(f.WaitForSync(std::chrono::seconds(10)));
  f.StopAll();
}

// Counts reconciles per key; fails the first time for keys starting with "flaky".
class CountingReconciler : public Reconciler {
 public:
  StatusOr<Result> Reconcile(const Request& req) override {
    std::lock_guard<std::mutex> l(mu);
    int n = ++calls[req.Key()];
    if (req.name.rfind("flaky", 0) == 0 && n == 1) return Unavailable("transient");
    return Result{};
  }
  int Calls(const std::string& key) {
    std::lock_guard<std::mutex> l(mu);
    return calls.count(key) ? calls[key] : 0;
  }
  std::mutex mu;
  std::map<std::string, int> calls;
};

TEST(Controller, ReconcilesOwnersOfChildrenAndRetriesErrors) {
  TestEnv env;
  ASSERT_TRUE(env.ok());
  auto cm_r = env.Resource("v1", "ConfigMap");
  auto secret_r = env.Resource("v1", "Secret");
  Manager mgr(env.client());
  auto rec = std::make_unique<CountingReconciler>();
  CountingReconciler* r = rec.get();
  Controller* c = mgr.NewController("test", std::move(rec), 2);
  ASSERT_TRUE(c->For("v1", "ConfigMap").ok());
  ASSERT_TRUE(c->Owns("v1", "Secret").ok());
  ASSERT_TRUE(mgr.Start().ok());
  ASSERT_TRUE(mgr.WaitForSync(std::chrono::seconds(10)));

  auto owner = env.client()->Create(cm_r, "default", ConfigMap("owner", "1"));
  ASSERT_TRUE(owner.ok());
  ASSERT_TRUE(Eventually([&] { return r->Calls("default/owner") >= 1; }));
  int before = r->Calls("default/owner");
  Json secret = {{"apiVersion", "v1"},
                 {"kind", "Secret"},
                 {"metadata",
                  {{"name", "s"},
                   {"namespace", "default"},
                   {"ownerReferences", Json::array({ControllerRef(*owner)})}}}};
  ASSERT_TRUE(env.client()->Create(secret_r, "default", secret).ok());
  EXPECT_TRUE(Eventually([&] { return r->Calls("default/owner") > before; }))
      << "a child event must reconcile its controller owner";

  ASSERT_TRUE(env.client()->Create(cm_r, "default", ConfigMap("flaky", "1")).ok());
  EXPECT_TRUE(Eventually([&] { return r->Calls("default/flaky") >= 2; }))
      << "a failed reconcile is retried with backoff";
  EXPECT_TRUE(Eventually([&] { return c->reconcile_count("error") >= 1; }));
  mgr.Stop();
}

TEST(EventRecorder, AggregatesRepeats) {
  TestEnv env;
  ASSERT_TRUE(env.ok());
  auto cm_r = env.Resource("v1", "ConfigMap");
  auto obj = env.client()->Create(cm_r, "default", ConfigMap("x", "1"));
  ASSERT_TRUE(obj.ok());
  EventRecorder rec(env.client(), "test-controller");
  rec.Event(*obj, "Warning", "Broken", "it broke");
  rec.Event(*obj, "Warning", "Broken", "it broke");
  rec.Event(*obj, "Normal", "Fixed", "fixed");
  rec.Flush();
  auto list = env.client()->List(env.Resource("v1", "Event"), "default");
  ASSERT_TRUE(list.ok());
  std::map<std::string, int> counts;
  for (const Json& e : (*list)["items"]) {
    counts[e.value("reason", "")] = e.value("count", 0);
    EXPECT_EQ(e["source"]["component"], "test-controller");
    EXPECT_EQ(e["involvedObject"]["name"], "x");
  }
  EXPECT_EQ(counts["Broken"], 2);
  EXPECT_EQ(counts["Fixed"], 1);
}

TEST(LeaderElection, OnlyOneLeadsAndAStandbyTakesOverOnRelease) {
  TestEnv env;
  ASSERT_TRUE(env.ok());
  auto make = [&](const std::string& id, std::atomic<int>* started) {
    LeaderElectionConfig cfg;
    cfg.name = "test-lock";
    cfg.identity = id;
    cfg.lease_duration = std::chrono::milliseconds(2000);
    cfg.renew_deadline = std::chrono::milliseconds(1500);
    cfg.retry_period = std::chrono::milliseconds(50);
    cfg.on_started_leading = [started] { ++*started; };
    return std::make_unique<LeaderElector>(env.client(), cfg);
  };
  std::atomic<int> a_started{0}, b_started{0};
  auto a = make("a", &a_started);
  ASSERT_TRUE(a->Start().ok());
  ASSERT_TRUE(Eventually([&] { return a->IsLeader(); }));
  auto b = make("b", &b_started);
  ASSERT_TRUE(b->Start().ok());
  // b keeps trying while a renews: it must never lead meanwhile.
  EXPECT_FALSE(Eventually([&] { return b->IsLeader(); }, std::chrono::milliseconds(500)));
  auto lease = env.client()->Get(env.Resource("coordination.k8s.io/v1", "Lease"), "kube-system",
                                 "test-lock");
  ASSERT_TRUE(lease.ok());
  EXPECT_EQ((*lease)["spec"]["holderIdentity"], "a");
  a->Stop();  // releases the lease
  EXPECT_TRUE(Eventually([&] { return b->IsLeader(); }));
  EXPECT_EQ(a_started.load(), 1);
  EXPECT_EQ(b_started.load(), 1);
  lease = env.client()->Get(env.Resource("coordination.k8s.io/v1", "Lease"), "kube-system",
                            "test-lock");
  EXPECT_EQ((*lease)["spec"]["holderIdentity"], "b");
  EXPECT_EQ((*lease)["spec"]["leaseTransitions"], 1);
  b->Stop();
}

}  // namespace
}  // namespace skiff::controllers
